/* exit_mmap() (mm/mmap.c): the mm's last user is gone. unmap_vmas over every
 * vma (memory.c) ||, then free_pgtables: unlink_anon_vmas for each vma under
 * AV(w), one vma a step ||, then the page tables and the vmas go. The zap
 * comes before the unlink, as in munmap: a walk from another mm that shares
 * the anon_vma may visit these vmas until their unlink.
 *
 * The kernel takes no mmap_sem here: no task uses the mm any more. The
 * model takes it for write, uncontended in the kernel's terms, so that no
 * operation of the mm that started earlier runs interleaved with its exit
 * (an interleaving the kernel cannot have); walkers take no mmap_sem and
 * interleave freely. Nothing finds the vmas through the mm any more: the
 * model keeps them on mm->detached, as munmap does, until they are freed. */
#include "ops.h"

struct lock *exit_mmap_next_lock(const struct frame *f)
{
	return f->pc == 1 ? unlink_next_lock(f->u.exit_mmap.vma) : NULL;
}

enum step_result exit_mmap_step(struct world *w, struct task *t, struct frame *f)
{
	struct exit_mmap_frame *x = &f->u.exit_mmap;
	struct mm_struct *mm = x->mm;

	for (;;) {
		switch (f->pc) {
		case 0:
			if (!lock_take(w, t, &mm->mmap_sem, true))
				return STEP_BLOCKED;
			step_trace(w, t, "exit_mmap", "mm%d: %d vmas", mm->id, mm->map_count);
			mm->exited = true;	/* mm_users is 0: nothing names it again */
			mm->detached = mm->mmap;
			mm->mmap = NULL;
			mm->map_count = 0;
			f->pc = 1;
			x->vma = mm->detached;
			tlb_gather_mmu(w, t, mm, 0, TASK_SIZE);
			call_unmap_vmas(w, t, mm, mm->detached, 0, TASK_SIZE);
			return STEP_DONE;
		case 1: {
			/* free_pgtables(): unlink_anon_vmas, one vma per step. */
			enum step_result r = unlink_next_vma(w, t, &x->vma);
			if (r != STEP_CONTINUE)
				return r;
			f->pc = 2;
			continue;
		}
		default:
			/* free_pgd_range() of everything, then remove_vma(). */
			step_trace(w, t, "free_pgtables", "mm%d: every table; remove_vma", mm->id);
			free_pgd_range(w, mm, 0, TASK_SIZE, 0, TASK_SIZE);
			tlb_finish_mmu(w, t);
			while (mm->detached) {
				struct vm_area_struct *vma = mm->detached;
				mm->detached = vma->vm_next;
				vm_area_free(w, vma);
			}
			lock_drop(w, t, &mm->mmap_sem);
			task_return(t, 0);
			return STEP_DONE;
		}
	}
}
