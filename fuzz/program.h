/* Every byte string is a program: fixed-size records, each either starting
 * an operation as a task or stepping a task (fuzzing.md).
 *
 * A record is 4 bytes: op, a, b, c.
 *   op & 0x7f the operation, modulo NR_REC_OPS (enum rec_op: the first
 *             eight are op & 7 alone, as before the later operations came);
 *             op & 0x80: run the started task at once, to its end or until
 *             it blocks (how setup is cheap)
 *   a, b, c   operands: objects are picked modulo what is live (mms, tasks,
 *             vmas, mapped pages); addresses and lengths as below.
 * A step record interleaves two tasks for up to 8 steps, its schedule one
 * bit per step: the races need two tasks interleaved at a few precise
 * points, and one mutated byte moves a preemption point.
 * Trailing bytes that do not fill a record are ignored; records past
 * PROGRAM_MAX_RECORDS too. No byte string is rejected.
 *
 * An address byte either names a grid point (b < 0x80: pmd slot b & 15,
 * for (b >> 4) in 5..7 one to three pages in) or a point of a live vma of
 * the mm (b >= 0x80: vma b & 7, at its start, its end, one pmd past its
 * start or its home, the address its vm_pgoff says it was first mapped at,
 * for (b >> 3) & 3; one page further when (b >> 5) & 3 is 3; a home one
 * pmd further when it is 1, the home of the vma's pmd in (0.9.0 and older
 * read 1 as 0)). Naming vmas makes the layouts the races need (move a vma
 * away, move it back next to its old neighbour) likely.
 * A length code (5 bits) is 1-4 pmd slots, one page short when (code >> 2)
 * & 3 is 3; with bit 4 set it runs to the end of the vma holding the
 * address (mremap, munmap, madvise, mprotect) or to the next vma (mmap); a
 * resize's new length with bit 4 set runs from the address to the next vma
 * after the one holding it (the most that vma can grow in place).
 */
#ifndef RMAP_PROGRAM_H
#define RMAP_PROGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct world;
struct strbuf;

#define RECORD_SIZE 4
#define PROGRAM_MAX_RECORDS 24

enum rec_op {
	REC_STEP,	/* a & 7: task X, b & 7: task Y, counted from the newest live
			 * task (0: the task started last); (a >> 3) & 7:
			 * slots - 1; c: the schedule, bit i set: Y runs slot i, else X */
	REC_MMAP,	/* a: mm; b: address; c & 31: length */
	REC_FAULT,	/* a: mm; b: address; c & 1: THP; c & 2: a write fault
			 * (FAULT_FLAG_WRITE: a COW on a write-protected entry);
			 * with it, c & 4: a THP's COW finds no THP to copy into
			 * (do_huge_pmd_wp_page_fallback) */
	REC_FORK,	/* a: mm */
	REC_MREMAP,	/* a & 7: mm, a >> 3: length; b: old address; c: new address */
	REC_MUNMAP,	/* a: mm; b: address; c & 31: length */
	REC_SPLIT,	/* a: mapped THP (mod their number) */
	REC_MIGRATE,	/* a: mapped page (mod their number) */
	REC_MADVISE,	/* madvise(MADV_DONTNEED): a: mm; b: address; c & 31: length */
	REC_EXIT,	/* the mm's exit_mmap: a: mm */
	REC_MREMAP_RESIZE,	/* mremap to a new length, no MREMAP_FIXED: a & 7: mm, a >> 3:
				 * old length; b: address; c & 31: new length; (c >> 5) & 3:
				 * 0 no flag, 1 (and 3) MREMAP_MAYMOVE, 2 MREMAP_MAYMOVE whose
				 * move fails after its first extent */
	REC_EXEC,	/* exec's new mm: a & 7: argument pages - 1; b & 7: pmds its stack
			 * moves down (shift_arg_pages) - 1 */
	REC_MPROTECT,	/* a: mm; b: address; c & 31: length; c & 32: PROT_READ alone,
			 * else PROT_READ|PROT_WRITE */
	REC_ACCESS,	/* a task of the mm touching an address (the TLB, or the page
			 * walk filling it): a: mm; b: address */
	NR_REC_OPS
};

struct record {
	uint8_t op, a, b, c;
};

static inline size_t program_nr_records(size_t size)
{
	size_t n = size / RECORD_SIZE;
	return n < PROGRAM_MAX_RECORDS ? n : PROGRAM_MAX_RECORDS;
}

static inline struct record record_at(const uint8_t *data, size_t i)
{
	const uint8_t *p = data + i * RECORD_SIZE;
	return (struct record){ p[0], p[1], p[2], p[3] };
}

static inline enum rec_op record_op(const struct record *r)
{
	return (enum rec_op)((r->op & 0x7f) % NR_REC_OPS);
}
static inline bool record_now(const struct record *r) { return r->op & 0x80; }

/* An address byte naming a point of a vma (b >= 0x80, the comment at the
 * top): which point, and how far past it. The one rule for bits 5-6, read
 * by the decoder, the canonical form, the text and the mutator alike. */
enum addr_point { ADDR_START, ADDR_END, ADDR_PMD, ADDR_HOME };
enum addr_past { ADDR_AT, ADDR_PAGE_PAST, ADDR_PMD_PAST /* a home's only */ };
static inline enum addr_point addr_point(uint8_t b) { return (enum addr_point)((b >> 3) & 3); }
static inline enum addr_past addr_past(uint8_t b)
{
	unsigned bits = (b >> 5) & 3;
	if (bits == 3)
		return ADDR_PAGE_PAST;
	return bits == 1 && addr_point(b) == ADDR_HOME ? ADDR_PMD_PAST : ADDR_AT;
}
/* The canonical byte naming vma n's point, past it by past. */
static inline uint8_t addr_vma_point(unsigned n, enum addr_point point, enum addr_past past)
{
	static const uint8_t bits[3] = { 0, 3 << 5, 1 << 5 };
	return (uint8_t)(0x80 | (n & 7) | point << 3 | bits[past]);
}

/* An mm selector picks mm (sel % nr_mm). Up to MAX_MMS 6 every nr_mm
 * divided 60 and canonical records reduced selectors mod 60; with 8 mms
 * (deeper fork chains) no byte value does (lcm(1..8) = 840): a selector
 * is kept whole, and the canonical records of before are unchanged. */
#define MM_SELECTORS 256

/* r with every bit the decoder ignores cleared and selectors reduced: it
 * runs exactly as r does. The scenario text shows canonical records. */
struct record record_canonical(const struct record *r);
/* The canonical bytes of a program (at most PROGRAM_MAX_RECORDS records,
 * no trailing partial record) into out; returns their length. */
size_t program_canonical(const uint8_t *data, size_t size, uint8_t *out);

struct mm_struct;

/* The address b names in mm, and the length code names from addr. */
unsigned long decode_addr(struct mm_struct *mm, uint8_t b);
unsigned long decode_len(struct mm_struct *mm, unsigned long addr, uint8_t code, bool mmap);
unsigned long decode_new_len(struct mm_struct *mm, unsigned long addr, uint8_t code);
/* A resize record's mremap flags (sched.h), from its c operand. */
unsigned resize_flags(uint8_t c);
/* An exec record's argument pages and shift (bytes). */
static inline int exec_pages(const struct record *r) { return 1 + (r->a & 7); }
static inline unsigned long exec_shift_pmds(const struct record *r) { return 1 + (r->b & 7u); }

/* Start (and for "now" records run) what r asks on w. A step record steps
 * through run_step so the caller's checks see every step. Returns the task
 * started, or 0. */
struct task;
typedef bool (*run_step_fn)(void *ctx, struct task *t);
int record_execute(struct world *w, const struct record *r, run_step_fn step, void *ctx);

/* One line of text for r, as executed on w now (operands resolved). */
void record_format(struct world *w, const struct record *r, struct strbuf *out);

#endif
