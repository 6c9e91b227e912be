/* The TLB of an mm, what fills it and what empties it (the CPU's page walk;
 * arch/x86/mm/tlb.c's flush_tlb_*; include/asm-generic/tlb.h and
 * mm/memory.c's mmu_gather).
 *
 * A TLB keeps the translations a CPU made from the page tables and goes on
 * using them without looking again: after an entry is cleared or moved, its
 * old address still reaches the old page until a flush covers it. So the
 * kernel flushes before a page it unmapped can be freed: a zap gathers its
 * pages and frees them only after tlb_flush_mmu, an rmap walker clears with
 * ptep_clear_flush under the pte lock. The oracle's stale-tlb holds every
 * kernel to that: when a page is freed, no TLB maps it.
 *
 * Model abstractions: one TLB per mm, for every CPU that runs it (each
 * flush the modelled kernels make is mm-wide: flush_tlb_range and
 * flush_tlb_mm shoot down every CPU of the mm, so per-CPU TLBs would tell
 * nothing more); direct-mapped, an entry per virtual page and one per pmd
 * slot for huge entries, so nothing is evicted (a real TLB may drop an entry
 * early, never keep one late: the entry that survives is the worst case);
 * translations only, no write or dirty bit (the races are about which page,
 * not the access rights). The TLB is allocated at an mm's first access: an
 * mm nothing touched has none, and its flushes cost nothing.
 */
#ifndef RMAP_TLB_H
#define RMAP_TLB_H

#include <stdbool.h>

#include "pgtable.h"

struct mm_struct;
struct page;
struct task;
struct world;

struct tlb {
	struct page *pte[NR_PMDS * PTRS_PER_PTE];	/* by virtual page */
	struct page *huge[NR_PMDS];			/* by pmd slot: a THP's head */
};

/* What an access found. */
enum tlb_access_result {
	TLB_HIT,		/* an entry already translated the address: the page walk never ran */
	TLB_FILLED,		/* a present pte or a huge pmd: now in the TLB */
	TLB_NOT_PRESENT,	/* nothing to translate (none, a migration entry): the access faults */
};

/* A task touching addr in mm: the TLB translates it, or the page walk fills
 * the TLB from the page tables (no lock: the hardware walker takes none).
 * *page is the page the access reached, NULL when none. */
enum tlb_access_result tlb_access(struct world *w, struct task *t, struct mm_struct *mm,
				  unsigned long addr, struct page **page);

/* Empty mm's TLB over [start, end): every 4 KB entry in it and every huge
 * entry that overlaps it (invlpg of any address drops the entry covering
 * it). why names the kernel function, for reports. */
void flush_tlb_range(struct world *w, struct task *t, struct mm_struct *mm, unsigned long start,
		     unsigned long end, const char *why);
static inline void flush_tlb_page(struct world *w, struct task *t, struct mm_struct *mm,
				  unsigned long addr, const char *why)
{
	flush_tlb_range(w, t, mm, addr & PAGE_MASK, (addr & PAGE_MASK) + PAGE_SIZE, why);
}
static inline void flush_tlb_mm(struct world *w, struct task *t, struct mm_struct *mm,
				const char *why)
{
	flush_tlb_range(w, t, mm, 0, TASK_SIZE, why);
}

/* Does mm's TLB translate an address to page (for a THP still compound, to
 * any page of it; for a small page, also by a huge entry of its old THP)?
 * The first such address, and whether that entry is huge. */
bool tlb_maps(const struct mm_struct *mm, const struct page *page, unsigned long *addr,
	      bool *huge);

/* The mmu_gather of a zap (tlb_gather_mmu ... tlb_finish_mmu): the pages a
 * zap unmapped keep their references in the gather until the flush of the
 * range, and are freed after it. One per task at a time (munmap, madvise
 * and exit_mmap each finish theirs before anything else gathers). */
void tlb_gather_mmu(struct world *w, struct task *t, struct mm_struct *mm, unsigned long start,
		    unsigned long end);
/* __tlb_remove_page: the zap's reference on page moves to the gather. */
void tlb_remove_page(struct world *w, struct task *t, struct page *page);
/* tlb_finish_mmu: flush the gathered range (when anything was unmapped),
 * then free what was gathered. Nothing when no gather was begun. */
void tlb_finish_mmu(struct world *w, struct task *t);

#endif
