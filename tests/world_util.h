/* Test helpers: build a world by running operations to completion, look at
 * page tables, and assert the structural checks after every step. */
#ifndef RMAPFUZZ_WORLD_UTIL_H
#define RMAPFUZZ_WORLD_UTIL_H

#include "check.h"
#include "mm.h"
#include "page.h"
#include "sched.h"
#include "world.h"

#define P PMD_SIZE	/* one pmd slot: a THP's worth of address space */

/* A world under the named protocol that checks itself after every step
 * (CHECK-fails the test on a broken invariant). */
struct world *tw_new(const char *protocol);
/* Run task id alone to its end; CHECK that it never blocks. Returns its
 * return value... the task is gone, so the result is the world's state. */
void tw_run(struct world *w, int id);
/* One step of task id; CHECK that it ran. */
void tw_step(struct world *w, int id);
/* CHECK the structural invariants now. */
void tw_check(struct world *w);

void tw_mmap(struct world *w, int mm, unsigned long addr, unsigned long len);
void tw_fault(struct world *w, int mm, unsigned long addr, bool huge);
void tw_munmap(struct world *w, int mm, unsigned long addr, unsigned long len);
void tw_mremap(struct world *w, int mm, unsigned long old, unsigned long len, unsigned long new);
int tw_fork(struct world *w, int mm);
/* The fork layout: mm0 maps a THP at [0, 2P), mm1 is its fork (the child's
 * vma shares the parent's key, linked after it). Returns the THP. */
struct page *tw_fork_layout(struct world *w);
/* The same with a small page at 0 instead of the THP. */
struct page *tw_fork_layout_small(struct world *w);

struct pmd *tw_pmd(struct world *w, int mm, unsigned long addr);
struct pte *tw_pte(struct world *w, int mm, unsigned long addr);
/* The page mapped at addr (huge pmd or pte), or NULL. */
struct page *tw_page(struct world *w, int mm, unsigned long addr);
int tw_nr_vmas(struct world *w, int mm);
struct vm_area_struct *tw_vma(struct world *w, int mm, int nth);
/* CHECK the nth vma of mm: its range and pgoff. */
void tw_check_vma(struct world *w, int mm, int nth, unsigned long start, unsigned long end,
		  pgoff_t pgoff);

/* Record the trace as one string: "task:step detail\n" lines. */
struct tw_trace {
	char *buf;
	size_t len, cap;
};
void tw_trace_on(struct world *w, struct tw_trace *tr);
void tw_trace_free(struct tw_trace *tr);

#endif
