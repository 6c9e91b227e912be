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

/* is_mergeable_vma(): the flags must be equal (the model has no files,
 * vm_ops or policies to compare). */
static bool is_mergeable_vma(const struct vm_area_struct *vma, unsigned long vm_flags)
{
	return vma->vm_flags == vm_flags;
}

static bool can_vma_merge_after(struct vm_area_struct *vma, unsigned long vm_flags,
				struct anon_vma *anon_vma, pgoff_t vm_pgoff)
{
	return is_mergeable_vma(vma, vm_flags) && is_mergeable_anon_vma(anon_vma, vma->anon_vma, vma) &&
	       vma->vm_pgoff + vma_pages(vma) == vm_pgoff;
}

static bool can_vma_merge_before(struct vm_area_struct *vma, unsigned long vm_flags,
				 struct anon_vma *anon_vma, pgoff_t vm_pgoff)
{
	return is_mergeable_vma(vma, vm_flags) && is_mergeable_anon_vma(anon_vma, vma->anon_vma, vma) &&
	       vma->vm_pgoff == vm_pgoff;
}

/* The kernel's table (mm/mmap.c), A the range, P prev, N next, X the vma
 * after N. In a hole: 1 PPPPAAAANNNN -> one vma, 2 P grows up, 3 N grows
 * down. mprotect's range lies in one vma: 4 A is P's tail, N grows down
 * over it (adjust_next < 0); 5 A is N's head, P grows up over it
 * (adjust_next > 0); A is all of N: 6 P absorbs N and X (remove_next 2),
 * 7 P absorbs N, 8 N absorbs X. A faulted range never merges into a vma
 * without an anon_vma (an empty chain is not singular), so cases 4 and 5
 * never need the importer's anon_vma_clone; 6 and 8 may. */
bool vma_merge(struct mm_struct *mm, struct vm_area_struct *prev, unsigned long addr,
	       unsigned long end, unsigned long vm_flags, struct anon_vma *anon_vma, pgoff_t pgoff,
	       struct vma_merge_plan *plan)
{
	pgoff_t pglen = (end - addr) >> PAGE_SHIFT;
	struct vm_area_struct *next = prev ? prev->vm_next : mm->mmap, *area = next;
	bool whole = next && next->vm_end == end;	/* cases 6, 7, 8 */

	*plan = (struct vma_merge_plan){ .area = area };
	if (whole)
		next = next->vm_next;
	if (prev && prev->vm_end == addr && can_vma_merge_after(prev, vm_flags, anon_vma, pgoff)) {
		plan->vma = plan->area = prev;
		plan->start = prev->vm_start;
		plan->pgoff = prev->vm_pgoff;
		if (next && end == next->vm_start &&
		    can_vma_merge_before(next, vm_flags, anon_vma, pgoff + pglen) &&
		    is_mergeable_anon_vma(prev->anon_vma, next->anon_vma, NULL)) {
			plan->end = next->vm_end;
			plan->merge_case = whole ? 6 : 1;
		} else {
			plan->end = end;
			plan->merge_case = whole ? 7 : area && area->vm_start < end ? 5 : 2;
		}
		return true;
	}
	if (next && end == next->vm_start &&
	    can_vma_merge_before(next, vm_flags, anon_vma, pgoff + pglen)) {
		if (prev && addr < prev->vm_end) {
			plan->vma = prev;
			plan->start = prev->vm_start;
			plan->end = addr;
			plan->pgoff = prev->vm_pgoff;
			plan->merge_case = 4;
		} else {
			plan->vma = area;
			plan->start = addr;
			plan->end = next->vm_end;
			plan->pgoff = next->vm_pgoff - pglen;
			plan->merge_case = whole ? 8 : 3;
		}
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

/* MAP_ANONYMOUS|MAP_PRIVATE, PROT_READ|PROT_WRITE, at a fixed, free address
 * (the model never maps over an existing vma: that would be munmap first). */
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
		if (vma_merge(mm, find_vma_prev_of(mm, m->addr), m->addr, end, VM_READ | VM_WRITE, NULL,
			      pgoff, &plan)) {
			f->pc = 1;
			call_vma_adjust(w, t, plan.vma, plan.start, plan.end, plan.pgoff, NULL);
			return STEP_DONE;
		}
		struct vm_area_struct *vma = vm_area_alloc(w, mm);
		vma->vm_flags = VM_READ | VM_WRITE;
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
