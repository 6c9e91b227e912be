/* vma_adjust(): change a vma's range and keep the anon_vma index keyed right
 * (mm/mmap.c). Steps: the importer's anon_vma_clone, when the vma taking
 * pages over has no anon_vma and the one giving them has || splitting huge
 * pmds that would straddle the new boundaries (vma_adjust_trans_huge,
 * before the anon_vma lock) || the re-keying under AV(w): vma, and next
 * when its start moves (mprotect's cases 4 and 5), both out of the index
 * and back in || anon_vma_merge, which unlinks the vma merged away; in
 * mprotect's case 6 all of it again for the vma after that one.
 *
 * Cases 4 and 5 re-key vmas whose pages stay where they are: under the
 * interval tree each goes behind the vmas of equal key, under the list
 * it keeps its place. The walks are shut out by AV(w) meanwhile, and no
 * entry moves, so a walk's coverage is the same before and after. */
#include "ops.h"

/* __vma_adjust_trans_huge(): a huge pmd the new boundary cuts through,
 * judged against the range the vma has now. */
static bool cuts_huge_pmd(struct vm_area_struct *vma, unsigned long addr)
{
	return (addr & ~PMD_MASK) && (addr & PMD_MASK) >= vma->vm_start &&
	       (addr & PMD_MASK) + PMD_SIZE <= vma->vm_end &&
	       pmd_trans_huge(mm_pmd(vma->vm_mm, addr));
}

/* What the kernel works out on entry (and at its `again:` label, where the
 * vma after a removed next goes too): does next go, or move its start?
 * Pure: the caller holds mmap_sem for write, the layout cannot change. */
static void adjust_plan(struct vma_adjust_frame *a, bool again)
{
	struct vm_area_struct *vma = a->vma, *next = vma->vm_next;

	a->next = a->importer = a->exporter = NULL;
	a->adjust_next = 0;
	a->remove_next = 0;
	if (!next || a->insert)
		return;
	if (again || a->end >= next->vm_end) {
		/* vma expands over all of next, and in case 6 the one after. */
		a->remove_next = 1 + (a->end > next->vm_end);
		a->end = next->vm_end;
		a->exporter = next;
		a->importer = vma;
	} else if (a->end > next->vm_start) {
		/* Case 5: vma expands over next's head. */
		a->adjust_next = (long)((a->end - next->vm_start) >> PAGE_SHIFT);
		a->exporter = next;
		a->importer = vma;
	} else if (a->end < vma->vm_end) {
		/* Case 4: vma shrinks, next grows down over its tail. */
		a->adjust_next = -(long)((vma->vm_end - a->end) >> PAGE_SHIFT);
		a->exporter = vma;
		a->importer = next;
	} else {
		return;
	}
	a->next = next;
}

static void move_next_start(struct vma_adjust_frame *a)
{
	unsigned long pages = (unsigned long)(a->adjust_next > 0 ? a->adjust_next : -a->adjust_next);

	if (a->adjust_next > 0) {
		a->next->vm_start += pages << PAGE_SHIFT;
		a->next->vm_pgoff += pages;
	} else {
		a->next->vm_start -= pages << PAGE_SHIFT;
		a->next->vm_pgoff -= pages;
	}
}

/* The one section under AV(w) (vma's anon_vma, or next's when only next
 * has one and moves): both vmas out of the index, their fields, both back. */
static enum step_result adjust_locked(struct world *w, struct task *t, struct frame *f)
{
	struct vma_adjust_frame *a = &f->u.adjust;
	struct vm_area_struct *vma = a->vma, *next = a->next;
	struct anon_vma *av = vma->anon_vma;

	if (!av && a->adjust_next)
		av = next->anon_vma;
	if (av && !lock_take(w, t, anon_vma_lock(av), true))
		return STEP_BLOCKED;
	if (a->adjust_next)
		step_trace(w, t, "vma_adjust", "vma%lu [%#lx, %#lx) pgoff %#lx -> [%#lx, %#lx) pgoff %#lx; "
			   "vma%lu [%#lx, %#lx) -> [%#lx, %#lx) (adjust_next %ld)", vma->id,
			   vma->vm_start, vma->vm_end, vma->vm_pgoff, a->start, a->end, a->pgoff, next->id,
			   next->vm_start, next->vm_end, a->end, next->vm_end, a->adjust_next);
	else
		step_trace(w, t, "vma_adjust", "vma%lu [%#lx, %#lx) pgoff %#lx -> [%#lx, %#lx) pgoff %#lx",
			   vma->id, vma->vm_start, vma->vm_end, vma->vm_pgoff, a->start, a->end,
			   a->pgoff);
	if (av) {
		anon_vma_interval_tree_pre_update_vma(w, vma);
		if (a->adjust_next)
			anon_vma_interval_tree_pre_update_vma(w, next);
	}
	vma->vm_start = a->start;
	vma->vm_end = a->end;
	vma->vm_pgoff = a->pgoff;
	if (a->adjust_next)
		move_next_start(a);
	if (a->remove_next)
		vma_unlink(vma->vm_mm, next);
	else if (a->insert)
		vma_link(vma->vm_mm, a->insert);
	if (av) {
		anon_vma_interval_tree_post_update_vma(w, vma);
		if (a->adjust_next)
			anon_vma_interval_tree_post_update_vma(w, next);
		lock_drop(w, t, anon_vma_lock(av));
	}
	if (a->remove_next) {
		f->pc = ADJUST_MERGE;
		return STEP_DONE;
	}
	task_return(t, 0);
	return STEP_DONE;
}

/* anon_vma_merge(): next's avcs go; its pages now map through vma, which
 * shares next's anon_vma. */
static enum step_result anon_vma_merge(struct world *w, struct task *t, struct frame *f)
{
	struct vma_adjust_frame *a = &f->u.adjust;
	struct vm_area_struct *next = a->next;
	struct anon_vma *av = next->anon_vma;

	if (av && !lock_take(w, t, anon_vma_lock(av), true))
		return STEP_BLOCKED;
	step_trace(w, t, "anon_vma_merge", "unlink vma%lu", next->id);
	if (av) {
		struct lock *root_lock = anon_vma_lock(av);
		unlink_anon_vmas_locked(w, next);
		lock_drop(w, t, root_lock);
		unlink_anon_vmas_put(w, next);
	}
	vm_area_free(w, next);
	a->next = NULL;
	if (a->remove_next == 2) {
		f->pc = ADJUST_AGAIN;	/* case 6: the vma after next goes too */
		return STEP_DONE;
	}
	task_return(t, 0);
	return STEP_DONE;
}

enum step_result vma_adjust_step(struct world *w, struct task *t, struct frame *f)
{
	struct vma_adjust_frame *a = &f->u.adjust;
	struct vm_area_struct *vma = a->vma;
	struct mm_struct *mm = vma->vm_mm;

	switch (f->pc) {
	case ADJUST_PLAN:
	case ADJUST_AGAIN:
		adjust_plan(a, f->pc == ADJUST_AGAIN);
		f->pc = ADJUST_IMPORT;
		/* fall through */
	case ADJUST_IMPORT:
		/* "Easily overlooked": the vma taking pages over must be linked
		 * to every anon_vma they may map through, before it covers them. */
		if (a->exporter && a->exporter->anon_vma && !a->importer->anon_vma) {
			struct anon_vma *av = a->exporter->anon_vma;
			if (!lock_take(w, t, anon_vma_lock(av), true))
				return STEP_BLOCKED;
			step_trace(w, t, "anon_vma_clone", "importer vma%lu from vma%lu", a->importer->id,
				   a->exporter->id);
			/* Set first (b800c91a0517, 3.19): the clone of a vma
			 * with an anon_vma copies, never reuses, and counts the
			 * importer on the exporter's anon_vma. */
			a->importer->anon_vma = av;
			anon_vma_clone(w, a->importer, a->exporter);
			lock_drop(w, t, anon_vma_lock(av));
			f->pc = ADJUST_SPLIT_START;
			return STEP_DONE;
		}
		/* fall through */
	case ADJUST_SPLIT_START:
		f->pc = ADJUST_SPLIT_END;
		if (a->start != vma->vm_start && cuts_huge_pmd(vma, a->start)) {
			call_split_huge_page_pmd(w, t, mm, a->start);
			return STEP_CONTINUE;
		}
		/* fall through */
	case ADJUST_SPLIT_END:
		f->pc = ADJUST_SPLIT_NEXT;
		if (a->end != vma->vm_end && cuts_huge_pmd(vma, a->end)) {
			call_split_huge_page_pmd(w, t, mm, a->end);
			return STEP_CONTINUE;
		}
		/* fall through */
	case ADJUST_SPLIT_NEXT:
		f->pc = ADJUST_LOCKED;
		/* Case 5: next's new start, against the range next has now. */
		if (a->adjust_next > 0 && cuts_huge_pmd(a->next, a->end)) {
			call_split_huge_page_pmd(w, t, mm, a->end);
			return STEP_CONTINUE;
		}
		/* fall through */
	case ADJUST_LOCKED:
		return adjust_locked(w, t, f);
	default:
		return anon_vma_merge(w, t, f);
	}
}
