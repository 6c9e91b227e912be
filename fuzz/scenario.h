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
 *   mremap  MM ADDR LEN -> ADDR [now]
 *   split   thpN [now]               migrate pageN [now]
 *   step    tX tY SCHEDULE
 *
 *   MM        mm0 .. mm59 (mremap: mm0 .. mm7), taken modulo the live mms
 *   ADDR      slotN (N 0-15: N pmds in) or slotN+Kp (K = 1-3 pages further);
 *             vmaN.start, vmaN.end, vmaN.pmd (one pmd in), vmaN.home (where
 *             its vm_pgoff says it was first mapped), each optionally +1p;
 *             N 0-7, modulo the mm's vmas
 *   LEN       NP (N = 1-4 pmds) or NP-1p; rest:NP / rest:NP-1p runs to the
 *             end of the vma holding ADDR (mremap, munmap, madvise,
 *             mprotect) or to the next vma (mmap), NP when there is none
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
