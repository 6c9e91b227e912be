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
#include "tlb.h"
#include "world.h"

/* vma_merge()'s verdict for [addr, end) taking vm_flags: a range in a hole
 * (mmap, copy_vma: cases 1-3) or, for mprotect, part or all of one vma
 * (cases 4-8). vma_adjust(vma, start, end, pgoff) does it; area is what
 * vma_merge returns, the vma that now holds the range. */
struct vma_merge_plan {
	struct vm_area_struct *vma, *area;
	unsigned long start, end;
	pgoff_t pgoff;
	unsigned char merge_case;	/* the case of vma_merge's comment table, 1-8 */
};
bool vma_merge(struct mm_struct *mm, struct vm_area_struct *prev, unsigned long addr,
	       unsigned long end, unsigned long vm_flags, struct anon_vma *anon_vma, pgoff_t pgoff,
	       struct vma_merge_plan *plan);

/* get_unmapped_area() of len bytes for an anonymous mapping: false when
 * no hole fits (-ENOMEM). */
bool get_unmapped_area(struct mm_struct *mm, unsigned long len, unsigned long *addr);

/* task_next_lock's claims for the walks' visits (sched.c): the page-table
 * lock the task's next attempt takes first when it is a visit's locked
 * half, else NULL. Claimed only while the task holds its walk's anon_vma
 * lock: the lock comes from the walk's vma (its mm, vm_start, vm_pgoff:
 * vma_adjust changes the last two of an indexed vma only under that lock,
 * for write) and the frame (the table a look found), so no other task can
 * change it while the task waits. */
struct lock *migrate_next_lock(const struct world *w, const struct task *t, const struct frame *f);
struct lock *split_huge_page_next_lock(const struct world *w, const struct task *t,
				       const struct frame *f);
/* Whether unmap_vmas' next attempt does nothing but return to its caller:
 * every extent left is an empty pmd (of the caller's mm, which holds its
 * mmap_sem: no other task fills or frees them). */
bool unmap_vmas_returns(const struct frame *f);
/* mremap's copy_vma, when it makes a new vma: the source's anon_vma lock,
 * which its mm's vmas decide (the task holds the mmap_sem for write: no
 * other task changes them, nor the vma's anon_vma). */
struct lock *mremap_next_lock(const struct frame *f);
/* fork's anon_vma_fork, templist flush and wait_split_huge_page: the
 * parent vma's anon_vma lock (the task holds the parent's mmap_sem for
 * write). */
struct lock *fork_next_lock(const struct frame *f);
/* __split_vma's anon_vma_clone: the vma's anon_vma lock (its caller holds
 * the mm's mmap_sem for write). */
struct lock *split_vma_next_lock(const struct frame *f);
/* wait_split_huge_page in move_page_tables: the vma's anon_vma lock. */
struct lock *move_page_tables_next_lock(const struct frame *f);
/* free_pgtables' unlink_anon_vmas in munmap and exit_mmap (unlink_next_lock). */
struct lock *munmap_next_lock(const struct frame *f);
struct lock *exit_mmap_next_lock(const struct frame *f);

/* Calls: push the callee's frame; its first step runs in this attempt. */
/* vma_adjust() works out itself whether vma->vm_next goes (cases 1, 6-8)
 * or moves its start (cases 4, 5), as the kernel's does. */
void call_vma_adjust(struct world *w, struct task *t, struct vm_area_struct *vma,
		     unsigned long start, unsigned long end, pgoff_t pgoff,
		     struct vm_area_struct *insert);
void call_split_vma(struct world *w, struct task *t, struct vm_area_struct *vma,
		    unsigned long addr, bool new_below);
void call_munmap(struct world *w, struct task *t, struct mm_struct *mm, unsigned long start,
		 unsigned long len);
void call_split_huge_page_pmd(struct world *w, struct task *t, struct mm_struct *mm,
			      unsigned long addr);
/* split_huge_page(): returns (t->ret) 0 when split or already split, 1 when
 * the page is not mapped, SPLIT_EBUSY when split_refuses_pins refused it. */
enum { SPLIT_EBUSY = 2 };
void call_split_huge_page(struct world *w, struct task *t, struct page *page);
/* The COW of a write fault on a write-protected pte or huge pmd mapping
 * page (do_wp_page, do_huge_pmd_wp_page). */
void call_wp_page(struct world *w, struct task *t, struct vm_area_struct *vma, unsigned long addr,
		  struct page *page);
void call_huge_pmd_wp_page(struct world *w, struct task *t, struct vm_area_struct *vma,
			   unsigned long addr, struct page *page, bool fallback);
/* anon_vma_prepare(): give vma an anon_vma (a neighbour's or a new one)
 * under AV(w); one step. */
enum step_result anon_vma_prepare(struct world *w, struct task *t, struct vm_area_struct *vma);
/* move_page_tables(): returns (t->ret) how much it moved; alloc_fails makes
 * its page-table allocation fail for every extent after the first. */
void call_move_page_tables(struct world *w, struct task *t, struct vm_area_struct *vma,
			   unsigned long old_addr, struct vm_area_struct *new_vma,
			   unsigned long new_addr, unsigned long len, bool need_rmap_locks,
			   bool alloc_fails);
/* unmap_vmas() of [start, end) over vma and the vmas after it. */
void call_unmap_vmas(struct world *w, struct task *t, struct mm_struct *mm,
		     struct vm_area_struct *vma, unsigned long start, unsigned long end);
/* free_pgd_range() of [addr, end): the pte tables wholly inside
 * [floor, ceiling) and touching the range go (they must be empty). */
void free_pgd_range(struct world *w, struct mm_struct *mm, unsigned long addr, unsigned long end,
		    unsigned long floor, unsigned long ceiling);
/* free_pgtables()' anon_vma half, a vma a step: unlink_anon_vmas of the
 * next vma from *cursor on that has an anon_vma, under its root's lock;
 * *cursor moves past it. STEP_CONTINUE when none is left. */
enum step_result unlink_next_vma(struct world *w, struct task *t, struct vm_area_struct **cursor);
/* The anon_vma lock unlink_next_vma takes first from cursor, NULL when no
 * vma with an anon_vma is left (it goes on without one). The detached vmas
 * are the task's own under its mmap_sem: no other task changes which. */
struct lock *unlink_next_lock(struct vm_area_struct *cursor);

/* The lock of a huge pmd: its slot's (split PMD locks, 3.13 on) or, under
 * the rows of older kernels, the mm's page_table_lock. */
static inline struct lock *huge_pmd_lockptr(const struct world *w, struct mm_struct *mm,
					    unsigned long addr)
{
	return w->proto->pmd_lock_mm ? &mm->page_table_lock : pmd_lockptr(mm, addr);
}

/* The lock of the pte table at addr: the slot's, or under split_ptlocks the
 * table's own (mm.h). */
static inline struct lock *pte_lockptr(const struct world *w, struct mm_struct *mm,
				       unsigned long addr)
{
	if (w->proto->split_ptlocks)
		return &mm->table_ptl[mm->table_lock[pmd_index(addr)]];
	return pmd_lockptr(mm, addr);
}

/* Which protocol rule says the anon_vma lock goes around a move. */
static inline bool rmap_lock_rule(enum rmap_lock_rule rule, bool need_rmap_locks)
{
	return rule == RMAP_LOCKS_ALWAYS || (rule == RMAP_LOCKS_NEED && need_rmap_locks);
}

/* Both page-table locks of a copy or move (once when they are the same). */
bool take_ptl_pair(struct world *w, struct task *t, struct lock *a, struct lock *b);
void drop_ptl_pair(struct world *w, struct task *t, struct lock *a, struct lock *b);

/* anon_vma_prepare(): link the vma to a neighbour's anon_vma or a new one
 * (a step: it may wait for the neighbour's lock). */
enum step_result anon_vma_prepare(struct world *w, struct task *t, struct vm_area_struct *vma);
/* do_anonymous_page(): a new small page at addr, mapped by pte, which the
 * caller's step found empty under its lock. */
void do_anonymous_page(struct world *w, struct task *t, struct vm_area_struct *vma,
		       unsigned long addr, struct pte *pte);

/* Clear the ptes of [addr, end) in one table, dropping mapcounts
 * (zap_pte_range); migration entries just vanish; the pages' references go
 * to the task's mmu_gather (tlb.h). */
void zap_ptes(struct world *w, struct task *t, struct mm_struct *mm, unsigned long addr,
	      unsigned long end);

#endif
