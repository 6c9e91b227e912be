/* Helpers the operation modules share: calls into sub-operations (frames),
 * vma_merge's decision, and page-table entry changes that keep mapcount. */
#ifndef RMAP_OPS_H
#define RMAP_OPS_H

#include "anon_vma.h"
#include "mm.h"
#include "page.h"
#include "protocol.h"
#include "sched.h"
#include "task.h"
#include "world.h"

/* vma_merge()'s verdict for a new range [addr, end) in a hole of the mm:
 * grow vma to [start, end) at pgoff, removing `remove` (case 1) if set. */
struct vma_merge_plan {
	struct vm_area_struct *vma, *remove;
	unsigned long start, end;
	pgoff_t pgoff;
};
bool vma_merge(struct mm_struct *mm, struct vm_area_struct *prev, unsigned long addr,
	       unsigned long end, struct anon_vma *anon_vma, pgoff_t pgoff,
	       struct vma_merge_plan *plan);

/* Calls: push the callee's frame; its first step runs in this attempt. */
void call_vma_adjust(struct world *w, struct task *t, struct vm_area_struct *vma,
		     unsigned long start, unsigned long end, pgoff_t pgoff,
		     struct vm_area_struct *insert, struct vm_area_struct *remove);
void call_split_vma(struct world *w, struct task *t, struct vm_area_struct *vma,
		    unsigned long addr, bool new_below);
void call_munmap(struct world *w, struct task *t, struct mm_struct *mm, unsigned long start,
		 unsigned long len);
void call_split_huge_page_pmd(struct world *w, struct task *t, struct mm_struct *mm,
			      unsigned long addr);
void call_split_huge_page(struct world *w, struct task *t, struct page *page);

/* Which protocol rule says the anon_vma lock goes around a move. */
static inline bool rmap_lock_rule(enum rmap_lock_rule rule, bool need_rmap_locks)
{
	return rule == RMAP_LOCKS_ALWAYS || (rule == RMAP_LOCKS_NEED && need_rmap_locks);
}

/* Both page-table locks of a copy or move (once when they are the same). */
bool take_ptl_pair(struct world *w, struct task *t, struct lock *a, struct lock *b);
void drop_ptl_pair(struct world *w, struct task *t, struct lock *a, struct lock *b);

/* Clear the ptes of [addr, end) in one table, dropping mapcounts
 * (zap_pte_range); migration entries just vanish. */
void zap_ptes(struct world *w, struct task *t, struct mm_struct *mm, unsigned long addr,
	      unsigned long end);

#endif
