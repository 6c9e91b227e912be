/* Scenario text: the input format a person reads and writes.
 *
 * One record per line, `#` starts a comment; blank lines are ignored. Each
 * line is the canonical record (program.h, record_canonical) spelled out:
 *
 *   mmap    MM ADDR LEN [now]        fault  MM ADDR [thp] [write [fallback]] [now]
 *             (write: a write fault, a COW where the entry is write-protected;
 *             fallback: a THP's COW finds no THP, do_huge_pmd_wp_page_fallback)
 *   fork    MM [now]                 munmap MM ADDR LEN [now]
 *   madvise MM ADDR LEN [now]        exit   MM [now]
 *             (madvise: MADV_DONTNEED; exit: the mm's exit_mmap)
 *   mprotect MM ADDR LEN ro|rw [now]
 *             (ro: PROT_READ; rw: PROT_READ|PROT_WRITE)
 *   mremap  MM ADDR LEN -> ADDR [now]        (MREMAP_FIXED, same length)
 *   mremap  MM ADDR LEN to NEWLEN [maymove|maymove-fails] [now]
 *             (no MREMAP_FIXED: shrink, grow in place, or with maymove
 *             move where get_unmapped_area says; maymove-fails: the
 *             move's page-table allocation fails after its first extent)
 *   exec    Np shift MP [now]        (a new mm: N = 1-8 argument pages in its
 *             temporary stack, which setup_arg_pages moves M = 1-8 pmds down)
 *   access  MM ADDR [now]            (a task of the mm touching ADDR: its TLB
 *             translates it, or the page walk fills the TLB; no lock)
 *   split   thpN [now]               migrate pageN [now]
 *   step    tX tY SCHEDULE
 *
 *   MM        mm0 .. mm59 (mremap: mm0 .. mm7), taken modulo the live mms
 *   ADDR      slotN (N 0-15: N pmds in) or slotN+Kp (K = 1-3 pages further);
 *             vmaN.start, vmaN.end, vmaN.pmd (one pmd in), vmaN.home (where
 *             its vm_pgoff says it was first mapped), each optionally +1p;
 *             vmaN.home+1P, the home of its pmd in (one pmd further);
 *             N 0-7, modulo the mm's vmas
 *   LEN       NP (N = 1-4 pmds) or NP-1p; rest:NP / rest:NP-1p runs to the
 *             end of the vma holding ADDR (mremap, munmap, madvise,
 *             mprotect) or to the next vma (mmap), NP when there is none
 *   NEWLEN    as LEN; rest: runs from ADDR to the next vma after the one
 *             holding ADDR (the most it can grow in place)
 *   thpN, pageN   the N-th mapped THP / page (N 0-255, modulo their number)
 *   tX tY     tasks counted from the newest live one (t0 = started last)
 *   SCHEDULE  1 to 8 of X and Y: which task runs each step slot
 *   now       run the task at once, to its end or until it blocks
 *
 * encode(show(bytes)) gives the bytes' canonical form; show(encode(text))
 * gives the text back up to whitespace and comments.
 */
#ifndef RMAP_SCENARIO_H
#define RMAP_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

#include "program.h"
#include "strbuf.h"

struct scenario_error {
	int line, col;		/* 1-based */
	char message[160];
};

/* The canonical form of r, as one line of text (no newline). */
void scenario_record_text(const struct record *r, struct strbuf *out);

/* Parse len bytes of text into at most PROGRAM_MAX_RECORDS records.
 * Returns how many, or -1 with err set (nothing else is touched). */
int scenario_parse(const char *text, size_t len, struct record *out, struct scenario_error *err);

#endif
