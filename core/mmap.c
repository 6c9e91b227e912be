/* mmap of an anonymous range, and vma_merge's decision (mm/mmap.c). */
#include "ops.h"

/* is_mergeable_anon_vma(): equal anon_vmas, or one side has none and the
 * other's vma has a single avc (merging a forked vma would mix families). */
static bool is_mergeable_anon_vma(struct anon_vma *a1, struct anon_vma *a2,
				  struct vm_area_struct *vma)
{
	if ((!a1 || !a2) && (!vma || list_is_singular(&vma->anon_vma_chain)))
		return true;
	return a1 == a2;
}

static bool can_vma_merge_after(struct vm_area_struct *vma, unsigned long vm_flags,
				struct anon_vma *anon_vma, pgoff_t vm_pgoff)
{
	return vma->vm_flags == vm_flags && is_mergeable_anon_vma(anon_vma, vma->anon_vma, vma) &&
	       vma->vm_pgoff + vma_pages(vma) == vm_pgoff;
}

static bool can_vma_merge_before(struct vm_area_struct *vma, unsigned long vm_flags,
				 struct anon_vma *anon_vma, pgoff_t vm_pgoff)
{
	return vma->vm_flags == vm_flags && is_mergeable_anon_vma(anon_vma, vma->anon_vma, vma) &&
	       vma->vm_pgoff == vm_pgoff;
}

/* Only the cases for a range in a hole (mmap, copy_vma): 1 (prev and next
 * join), 2 (prev grows up), 3 (next grows down). mprotect's cases 4-8 do
 * not arise in the model. */
bool vma_merge(struct mm_struct *mm, struct vm_area_struct *prev, unsigned long addr,
	       unsigned long end, unsigned long vm_flags, struct anon_vma *anon_vma, pgoff_t pgoff,
	       struct vma_merge_plan *plan)
{
	pgoff_t pglen = (end - addr) >> PAGE_SHIFT;
	struct vm_area_struct *next = prev ? prev->vm_next : mm->mmap;

	*plan = (struct vma_merge_plan){ 0 };
	if (prev && prev->vm_end == addr && can_vma_merge_after(prev, vm_flags, anon_vma, pgoff)) {
		plan->vma = prev;
		plan->start = prev->vm_start;
		plan->pgoff = prev->vm_pgoff;
		if (next && end == next->vm_start &&
		    can_vma_merge_before(next, vm_flags, anon_vma, pgoff + pglen) &&
		    is_mergeable_anon_vma(prev->anon_vma, next->anon_vma, NULL)) {
			plan->end = next->vm_end;	/* case 1 */
			plan->remove = next;
		} else {
			plan->end = end;		/* case 2 */
		}
		return true;
	}
	if (next && end == next->vm_start && can_vma_merge_before(next, vm_flags, anon_vma, pgoff + pglen)) {
		plan->vma = next;			/* case 3 */
		plan->start = addr;
		plan->end = next->vm_end;
		plan->pgoff = next->vm_pgoff - pglen;
		return true;
	}
	return false;
}

/* The model's choice is x86-64's default, top-down layout
 * (arch_get_unmapped_area_topdown): the highest hole that fits, at its top.
 * mmap_base is TASK_SIZE (the model has no stack gap, no randomization)
 * and the lowest address 0, as the model's mmap allows. */
bool get_unmapped_area(struct mm_struct *mm, unsigned long len, unsigned long *addr)
{
	unsigned long hole_end = TASK_SIZE;
	struct vm_area_struct *last = mm->mmap;

	if (!len || len > TASK_SIZE)
		return false;
	while (last && last->vm_next)
		last = last->vm_next;
	for (struct vm_area_struct *v = last;; v = v->vm_prev) {
		unsigned long hole_start = v ? v->vm_end : 0;
		if (hole_end - hole_start >= len) {
			*addr = hole_end - len;
			return true;
		}
		if (!v)
			return false;
		hole_end = v->vm_start;
	}
}

static bool range_ok(unsigned long addr, unsigned long len)
{
	return len && !(addr & (PAGE_SIZE - 1)) && !(len & (PAGE_SIZE - 1)) &&
	       addr < TASK_SIZE && len <= TASK_SIZE - addr;
}

/* MAP_ANONYMOUS|MAP_PRIVATE at a fixed, free address (the model never maps
 * over an existing vma: that would be munmap first). */
enum step_result mmap_step(struct world *w, struct task *t, struct frame *f)
{
	struct mmap_frame *m = &f->u.mmap;
	struct mm_struct *mm = m->mm;

	switch (f->pc) {
	case 0: {
		if (!lock_take(w, t, &mm->mmap_sem, true))
			return STEP_BLOCKED;
		unsigned long end = m->addr + m->len;
		step_trace(w, t, "mmap_region", "mm%d [%#lx, %#lx)", mm->id, m->addr, end);
		if (!range_ok(m->addr, m->len) || !range_is_free(mm, m->addr, end) ||
		    mm->map_count >= MAX_MAP_COUNT) {
			lock_drop(w, t, &mm->mmap_sem);
			task_return(t, -1);
			return STEP_DONE;
		}
		/* An anonymous private mapping's pgoff is its address. */
		pgoff_t pgoff = m->addr >> PAGE_SHIFT;
		struct vma_merge_plan plan;
		if (vma_merge(mm, find_vma_prev_of(mm, m->addr), m->addr, end, 0, NULL, pgoff, &plan)) {
			f->pc = 1;
			call_vma_adjust(w, t, plan.vma, plan.start, plan.end, plan.pgoff, NULL,
					plan.remove);
			return STEP_DONE;
		}
		struct vm_area_struct *vma = vm_area_alloc(w, mm);
		vma->vm_start = m->addr;
		vma->vm_end = end;
		vma->vm_pgoff = pgoff;
		vma_link(mm, vma);
		lock_drop(w, t, &mm->mmap_sem);
		task_return(t, 0);
		return STEP_DONE;
	}
	default:
		step_trace(w, t, "up_write", "mm%d mmap_sem", mm->id);
		lock_drop(w, t, &mm->mmap_sem);
		task_return(t, 0);
		return STEP_DONE;
	}
}
