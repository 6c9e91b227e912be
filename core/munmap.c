/* do_munmap() (mm/mmap.c), mmap_sem held for write: split the vmas at the
 * range's ends (__split_vma) ||, detach the vmas from the mm, zap their
 * entries one pmd per step under its lock (unmap_vmas, memory.c) ||, then
 * unlink each vma from the anon_vma indexes under AV(w) (free_pgtables) ||,
 * and free the empty page tables and the vmas. A walk may visit a vma while
 * it is being zapped, never after its unlink, which follows the zap. */
#include "ops.h"

static enum step_result munmap_return(struct world *w, struct task *t, struct munmap_frame *u,
				      int ret)
{
	if (!u->nested)
		lock_drop(w, t, &u->mm->mmap_sem);
	task_return(t, ret);
	return STEP_DONE;
}

static void detach_vmas_to_be_unmapped(struct munmap_frame *u)
{
	struct mm_struct *mm = u->mm;
	struct vm_area_struct *vma = find_vma(mm, u->start), *prev = vma->vm_prev, *tail = NULL;

	u->floor = prev ? prev->vm_end : 0;
	while (vma && vma->vm_start < u->end) {
		struct vm_area_struct *next = vma->vm_next;
		vma_unlink(mm, vma);
		vma->vm_prev = tail;
		if (tail)
			tail->vm_next = vma;
		else
			mm->detached = vma;
		tail = vma;
		vma = next;
	}
	u->ceiling = vma ? vma->vm_start : TASK_SIZE;
	u->vma = mm->detached;
}

/* What follows the detach: zap then unlink, or (unlink-first) the other
 * way round, then free. */
enum { MUNMAP_ZAP = 3, MUNMAP_UNLINK = 4, MUNMAP_FREE = 5 };

struct lock *munmap_next_lock(const struct frame *f)
{
	return f->pc == MUNMAP_UNLINK ? unlink_next_lock(f->u.munmap.vma) : NULL;
}

enum step_result munmap_step(struct world *w, struct task *t, struct frame *f)
{
	struct munmap_frame *u = &f->u.munmap;
	struct mm_struct *mm = u->mm;
	bool unlink_first = w->proto->unlink_first;

	for (;;) {
		switch (f->pc) {
		case 0: {
			/* First, before any read: task_next_lock (sched.c). */
			if (!u->nested && !lock_take(w, t, &mm->mmap_sem, true))
				return STEP_BLOCKED;
			step_trace(w, t, "do_munmap", "mm%d [%#lx, %#lx)", mm->id, u->start, u->end);
			if ((u->start & ~PAGE_MASK) || (u->end & ~PAGE_MASK) || u->start >= u->end ||
			    u->end > TASK_SIZE)
				return munmap_return(w, t, u, -1);
			struct vm_area_struct *vma = find_vma(mm, u->start);
			if (!vma || vma->vm_start >= u->end)
				return munmap_return(w, t, u, 0);
			f->pc = 1;
			bool called = false;
			if (u->start > vma->vm_start) {
				/* map_count may pass its limit by one, to free. */
				if (u->end < vma->vm_end && mm->map_count >= MAX_MAP_COUNT)
					return munmap_return(w, t, u, -1);
				call_split_vma(w, t, vma, u->start, false);
				called = true;
			}
			if (!u->nested)
				return STEP_DONE;	/* it took mmap_sem */
			if (called)
				return STEP_CONTINUE;
			continue;
		}
		case 1: {
			struct vm_area_struct *last = find_vma(mm, u->end);
			f->pc = 2;
			if (last && u->end > last->vm_start) {
				call_split_vma(w, t, last, u->end, true);
				return STEP_CONTINUE;
			}
			continue;
		}
		case 2:
			detach_vmas_to_be_unmapped(u);
			step_trace(w, t, "detach_vmas_to_be_unmapped", "mm%d [%#lx, %#lx)", mm->id,
				   u->start, u->end);
			f->pc = unlink_first ? MUNMAP_UNLINK : MUNMAP_ZAP;
			return STEP_DONE;
		case MUNMAP_ZAP:
			/* unmap_region(): unmap_vmas over the detached vmas. */
			f->pc = unlink_first ? MUNMAP_FREE : MUNMAP_UNLINK;
			u->vma = mm->detached;
			tlb_gather_mmu(w, t, mm, u->start, u->end);
			call_unmap_vmas(w, t, mm, mm->detached, 0, TASK_SIZE);
			return STEP_CONTINUE;
		case MUNMAP_UNLINK: {
			/* free_pgtables(): unlink_anon_vmas, one vma per step. */
			enum step_result r = unlink_next_vma(w, t, &u->vma);
			if (r != STEP_CONTINUE)
				return r;
			f->pc = unlink_first ? MUNMAP_ZAP : MUNMAP_FREE;
			continue;
		}
		default: {
			struct vm_area_struct *first = mm->detached, *last = first;
			while (last->vm_next)
				last = last->vm_next;
			step_trace(w, t, "free_pgtables", "mm%d [%#lx, %#lx)", mm->id, first->vm_start,
				   last->vm_end);
			free_pgd_range(w, mm, first->vm_start, last->vm_end, u->floor, u->ceiling);
			/* unmap_region's tlb_finish_mmu: the flush, then the pages. */
			tlb_finish_mmu(w, t);
			while (first) {
				struct vm_area_struct *next = first->vm_next;
				vm_area_free(w, first);
				first = next;
			}
			mm->detached = NULL;
			return munmap_return(w, t, u, 0);
		}
		}
	}
}
