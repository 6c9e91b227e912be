/* The scheduler: start operations as tasks, and interleave their steps.
 *
 * Starting a task runs nothing; each sched_step runs one step of one task.
 * Operands name mms by index in w->mm; addresses are bytes (pgtable.h).
 * A start returns the task id (> 0), or -1 when the call makes no sense
 * (no such mm, too many tasks): nothing is changed then.
 */
#ifndef RMAP_SCHED_H
#define RMAP_SCHED_H

#include <stdbool.h>

#include "task.h"

struct page;
struct world;

int start_mmap(struct world *w, int mm, unsigned long addr, unsigned long len);
int start_fault(struct world *w, int mm, unsigned long addr, bool huge);
/* A write fault (FAULT_FLAG_WRITE): a COW where the entry is write-protected
 * (after a fork). fallback: a THP's COW cannot allocate a THP to copy into
 * and maps small pages instead (do_huge_pmd_wp_page_fallback). */
int start_write_fault(struct world *w, int mm, unsigned long addr, bool huge, bool fallback);
int start_fork(struct world *w, int mm);
int start_mremap(struct world *w, int mm, unsigned long old_addr, unsigned long len,
		 unsigned long new_addr);
/* mremap(addr, old_len, new_len, flags) without MREMAP_FIXED: shrink, grow
 * in place, or (MREMAP_MAYMOVE) move to where get_unmapped_area says.
 * MREMAP_ALLOC_FAILS, the model's, makes the move's page-table allocation
 * fail after its first extent: move_vma moves the entries back. */
enum { MREMAP_MAYMOVE = 1, MREMAP_ALLOC_FAILS = 2 };
int start_mremap_resize(struct world *w, int mm, unsigned long addr, unsigned long old_len,
			unsigned long new_len, unsigned flags);
int start_munmap(struct world *w, int mm, unsigned long addr, unsigned long len);
/* madvise(addr, len, MADV_DONTNEED). */
int start_madvise(struct world *w, int mm, unsigned long addr, unsigned long len);
/* The mm's last user is gone: exit_mmap. The mm stays, empty, and no
 * operation can name it again. */
int start_exit_mmap(struct world *w, int mm);
/* mprotect(addr, len, PROT_READ, or PROT_READ|PROT_WRITE when write). */
int start_mprotect(struct world *w, int mm, unsigned long addr, unsigned long len, bool write);
/* exec: a new mm whose temporary stack, nr_pages argument pages at the top
 * of the address space, setup_arg_pages moves shift bytes down. Its task
 * returns the new mm's index. */
int start_exec(struct world *w, int nr_pages, unsigned long shift);
/* A task of mm touching addr: its TLB translates it, or the CPU's page walk
 * fills the TLB from the page tables (tlb.h). No lock, no mmap_sem. */
int start_access(struct world *w, int mm, unsigned long addr);
int start_split_huge_page(struct world *w, struct page *page);
int start_migrate(struct world *w, struct page *page);

struct task *task_find(struct world *w, int id);
/* Could the task's next step run now? (Not if it waits on a held lock.) */
bool task_runnable(const struct world *w, const struct task *t);
/* Ids of runnable tasks, in id order; returns how many (at most max). */
int sched_runnable(const struct world *w, int *ids, int max);
/* The lowest-id runnable task, NULL when none can run. */
struct task *sched_first_runnable(const struct world *w);
/* One step of task id: STEP_DONE, or STEP_BLOCKED (nothing ran). A task whose
 * last frame returns is freed. Nothing runs in a halted world (BLOCKED). */
enum step_result sched_step(struct world *w, int id);
/* The same for a task in hand (t may be NULL: STEP_BLOCKED). After
 * STEP_DONE t may have ended and been freed. */
enum step_result sched_step_task(struct world *w, struct task *t);
/* Run every task to its end, always stepping the lowest-id runnable task.
 * Returns the number of steps; a world where tasks remain but none can run
 * is a deadlock, reported as a model bug. */
unsigned long sched_drain(struct world *w);
/* No task can run: a deadlock (a model bug), or a retry loop spinning with
 * nothing left to change what it waits for (the kernel's soft lockup). */
void sched_stuck(struct world *w);
/* The lock a task's next attempt takes first, before it reads anything
 * another task can change, with *write its mode; NULL when the next
 * attempt is not known to begin so. Known: the first step of munmap,
 * mremap and fork (the mmap_sem, write); the anon_vma lock steps of fork,
 * mremap's copy_vma, __split_vma and move_page_tables' wait for a split,
 * whose lock the mm's vmas decide, under the task's mmap_sem (ops.h); the
 * walks' lock steps that begin with their lock: migrate_pages' lock_page
 * and its two anon_vma locks, split_huge_page's anon_vma lock (an
 * anon_vma's root is set when it is made and never changes), and the
 * locked half of each walk's visit while it holds its anon_vma lock
 * (ops.h: migrate_next_lock, split_huge_page_next_lock). Such an attempt
 * either takes the lock and goes on, or blocks on it having changed
 * nothing but the task's blocked_on and blocked_write, the same as when it
 * blocked there before; and a task blocked on it can run exactly when the
 * attempt would take it. The explorer (docs/explore.md, "Names") hashes a
 * task that has not tried such a lock as one that tried and blocked. Each
 * step named here says so where it takes the lock. */
struct lock *task_next_lock(const struct world *w, const struct task *t, bool *write);
/* The same, seen through a top frame whose next attempt only returns
 * (unmap_vmas at its end, then munmap's or exit_mmap's unlink): *returns
 * frames are popped first, the last returning 0 (task_return). Such a task
 * and the one that has returned and waits on the lock have the same
 * futures, with the frames popped. */
struct lock *task_next_lock_through(const struct world *w, const struct task *t, bool *write,
				    int *returns);
/* Run one task alone to its end (or until it blocks): for scripted tests. */
enum step_result sched_run(struct world *w, int id);

#endif
