/* __split_vma(): cut a vma in two at addr (mm/mmap.c). The new part is
 * linked into every anon_vma under AV(w) first (anon_vma_clone) ||, then
 * vma_adjust shrinks the old part and inserts the new one. In between both
 * are indexed over the new part's range: a walk may visit those ptes twice,
 * as in the kernel, and never misses them. */
#include "ops.h"

struct lock *split_vma_next_lock(const struct frame *f)
{
	struct anon_vma *av = f->u.split_vma.vma->anon_vma;
	return f->pc == 0 && av ? anon_vma_lock(av) : NULL;
}

enum step_result split_vma_step(struct world *w, struct task *t, struct frame *f)
{
	struct split_vma_frame *s = &f->u.split_vma;
	struct vm_area_struct *vma = s->vma;

	switch (f->pc) {
	case 0: {
		/* The lock first: task_next_lock (split_vma_next_lock). */
		struct anon_vma *av = vma->anon_vma;
		if (av && !lock_take(w, t, anon_vma_lock(av), true))
			return STEP_BLOCKED;
		step_trace(w, t, "__split_vma", "vma%lu [%#lx, %#lx) at %#lx", vma->id,
			   vma->vm_start, vma->vm_end, s->addr);
		struct vm_area_struct *new = vm_area_dup(w, vma);
		if (s->new_below) {
			new->vm_end = s->addr;
		} else {
			new->vm_start = s->addr;
			new->vm_pgoff += (s->addr - vma->vm_start) >> PAGE_SHIFT;
		}
		anon_vma_clone(w, new, vma);
		if (av)
			lock_drop(w, t, anon_vma_lock(av));
		s->new = new;
		f->pc = 1;
		return STEP_DONE;
	}
	case 1:
		f->pc = 2;
		if (s->new_below)
			call_vma_adjust(w, t, vma, s->addr, vma->vm_end,
					vma->vm_pgoff + ((s->addr - s->new->vm_start) >> PAGE_SHIFT),
					s->new);
		else
			call_vma_adjust(w, t, vma, vma->vm_start, s->addr, vma->vm_pgoff, s->new);
		return STEP_CONTINUE;
	default:
		task_return(t, 0);
		return STEP_CONTINUE;
	}
}
