/* exec's new mm and its stack (fs/exec.c), 3.x:
 *   bprm_mm_init: a new mm with a temporary stack vma at the top of the
 *   address space, flagged VM_STACK_INCOMPLETE_SETUP ||;
 *   copy_strings: get_arg_page faults each argument page in, from the top
 *   down: anon_vma_prepare under AV(w) ||, do_anonymous_page under the pte
 *   lock ||, a page a step;
 *   setup_arg_pages moves the stack down to its place, shift_arg_pages:
 *     vma_adjust(vma, new_start, old_end, vm_pgoff) under AV(w) ||;
 *     move_page_tables(vma, old_start, vma, new_start, length, false),
 *     the destination below the source, in the same vma ||;
 *     free_pgd_range of the vacated tail ||;
 *     vma_adjust(vma, new_start, new_end, vm_pgoff) ||;
 *   then clears VM_STACK_INCOMPLETE_SETUP, a plain store under mmap_sem.
 * Between the two vma_adjusts vm_start is lower and vm_pgoff is not, so
 * vma_address() of a page not yet moved is its destination, where an rmap
 * walk looks. try_to_unmap therefore skips a temporary stack when it
 * migrates (a8bef8ff6ea1, migrate.c): no migration entry ever goes there.
 *
 * Model abstractions: the kernel's stack begins as one page at
 * STACK_TOP_MAX and grows down as copy_strings faults below it
 * (expand_downwards, an AV(w) re-key that lowers vm_pgoff with vm_start,
 * from 0); here it has its final extent at once, its vm_pgoff its address
 * as an anonymous mmap's: the shift depends on neither. The kernel takes
 * the new mm's mmap_sem only in __bprm_mm_init and setup_arg_pages, since
 * nothing else can name the mm before exec_mmap installs it; the model
 * holds it from the first step to the last, so that no record naming the
 * mm runs inside the exec. The old mm's release (exec_mmap, mmput), the
 * mprotect_fixup that only sets the flag again and setup_arg_pages'
 * expand_stack are left out. */
#include "ops.h"

enum { EXEC_BEGIN, EXEC_ARG_PAGE, EXEC_ARG_PTE, EXEC_SHIFT, EXEC_MOVE, EXEC_MOVED, EXEC_SHRINK,
       EXEC_DONE };

static enum step_result bprm_mm_init(struct world *w, struct task *t, struct exec_frame *x)
{
	if (w->nr_mm == MAX_MMS) {
		step_trace(w, t, "bprm_mm_init", "no room for another mm");
		task_return(t, -1);
		return STEP_DONE;
	}
	struct mm_struct *mm = mm_alloc(w);
	w->mm[w->nr_mm++] = mm;
	lock_take(w, t, &mm->mmap_sem, true);	/* new: uncontended */
	struct vm_area_struct *vma = vm_area_alloc(w, mm);
	vma->vm_end = TASK_SIZE;
	vma->vm_start = TASK_SIZE - (unsigned long)x->nr_pages * PAGE_SIZE;
	vma->vm_pgoff = vma->vm_start >> PAGE_SHIFT;
	vma->vm_flags = VM_READ | VM_WRITE | VM_GROWSDOWN | VM_STACK_INCOMPLETE_SETUP;
	vma_link(mm, vma);
	step_trace(w, t, "__bprm_mm_init", "mm%d: temporary stack vma%lu [%#lx, %#lx)", mm->id,
		   vma->id, vma->vm_start, vma->vm_end);
	x->mm = mm;
	x->vma = vma;
	return STEP_DONE;
}

/* get_arg_page(): the next argument page down, faulted in
 * (get_user_pages: handle_mm_fault, small pages only, the temporary stack
 * never has THPs). */
static enum step_result get_arg_page(struct world *w, struct task *t, struct frame *f)
{
	struct exec_frame *x = &f->u.exec;
	unsigned long addr = x->vma->vm_end - (unsigned long)(x->faulted + 1) * PAGE_SIZE;
	struct lock *ptl = pte_lockptr(w, x->mm, addr);

	if (!lock_take(w, t, ptl, true))
		return STEP_BLOCKED;
	struct pmd *pmd = mm_pmd(x->mm, addr);
	if (pmd_none(pmd))
		set_pmd(pmd, PMD_TABLE, NULL);	/* __pte_alloc */
	do_anonymous_page(w, t, x->vma, addr, &pmd->pte[pte_index(addr)]);
	lock_drop(w, t, ptl);
	x->faulted++;
	f->pc = EXEC_ARG_PAGE;
	return STEP_DONE;
}

/* free_pgd_range() of what the stack left: the overlap stays. */
static void free_vacated_tail(struct world *w, struct exec_frame *x)
{
	unsigned long new_end = x->old_end - x->shift;
	unsigned long ceiling = x->vma->vm_next ? x->vma->vm_next->vm_start : TASK_SIZE;
	unsigned long from = new_end > x->old_start ? new_end : x->old_start;

	free_pgd_range(w, x->mm, from, x->old_end, new_end, ceiling);
}

enum step_result exec_step(struct world *w, struct task *t, struct frame *f)
{
	struct exec_frame *x = &f->u.exec;

	for (;;) {
		switch (f->pc) {
		case EXEC_BEGIN:
			f->pc = EXEC_ARG_PAGE;
			return bprm_mm_init(w, t, x);
		case EXEC_ARG_PAGE:
			if (x->faulted == x->nr_pages) {
				f->pc = EXEC_SHIFT;
				continue;
			}
			if (!x->vma->anon_vma) {
				if (anon_vma_prepare(w, t, x->vma) == STEP_BLOCKED)
					return STEP_BLOCKED;
				f->pc = EXEC_ARG_PTE;
				return STEP_DONE;
			}
			f->pc = EXEC_ARG_PTE;
			continue;
		case EXEC_ARG_PTE:
			return get_arg_page(w, t, f);
		case EXEC_SHIFT: {
			/* setup_arg_pages -> shift_arg_pages: cover both ranges. */
			struct vm_area_struct *vma = x->vma;
			x->old_start = vma->vm_start;
			x->old_end = vma->vm_end;
			unsigned long new_start = x->old_start - x->shift;
			if (find_vma(x->mm, new_start) != vma) {
				world_model_bug(w, "shift_arg_pages: mm%d has a vma below its stack",
						x->mm->id);
				return STEP_DONE;
			}
			step_trace(w, t, "shift_arg_pages", "vma%lu [%#lx, %#lx) down %#lx to [%#lx, %#lx)",
				   vma->id, x->old_start, x->old_end, x->shift, new_start,
				   x->old_end - x->shift);
			f->pc = EXEC_MOVE;
			call_vma_adjust(w, t, vma, new_start, x->old_end, vma->vm_pgoff, NULL);
			return STEP_CONTINUE;
		}
		case EXEC_MOVE:
			f->pc = EXEC_MOVED;
			call_move_page_tables(w, t, x->vma, x->old_start, x->vma, x->old_start - x->shift,
					      x->old_end - x->old_start, false, false);
			return STEP_CONTINUE;
		case EXEC_MOVED:
			if ((unsigned long)t->ret != x->old_end - x->old_start) {
				world_model_bug(w, "shift_arg_pages: move_page_tables moved %#x of %#lx",
						t->ret, x->old_end - x->old_start);
				return STEP_DONE;
			}
			step_trace(w, t, "free_pgd_range", "mm%d [%#lx, %#lx): the vacated tail", x->mm->id,
				   x->old_end - x->shift > x->old_start ? x->old_end - x->shift
				   : x->old_start, x->old_end);
			free_vacated_tail(w, x);
			f->pc = EXEC_SHRINK;
			return STEP_DONE;
		case EXEC_SHRINK:
			f->pc = EXEC_DONE;
			call_vma_adjust(w, t, x->vma, x->old_start - x->shift, x->old_end - x->shift,
					x->vma->vm_pgoff, NULL);
			return STEP_CONTINUE;
		default:	/* EXEC_DONE */
			x->vma->vm_flags &= ~VM_STACK_INCOMPLETE_SETUP;
			step_trace(w, t, "setup_arg_pages", "vma%lu [%#lx, %#lx): VM_STACK_INCOMPLETE_SETUP "
				   "cleared; up_write", x->vma->id, x->vma->vm_start, x->vma->vm_end);
			lock_drop(w, t, &x->mm->mmap_sem);
			task_return(t, x->mm->id);
			return STEP_DONE;
		}
	}
}
