/* vma_adjust(): change a vma's range and keep the anon_vma index keyed right
 * (mm/mmap.c). Steps: the importer's anon_vma_clone (case 1 when only next
 * has an anon_vma) || splitting huge pmds that would straddle the new
 * boundaries (vma_adjust_trans_huge) || the re-keying under AV(w) ||
 * anon_vma_merge, which unlinks the vma merged away. */
#include "ops.h"

/* __vma_adjust_trans_huge(): a huge pmd the new boundary cuts through,
 * judged against the range the vma has now. */
static bool cuts_huge_pmd(struct vm_area_struct *vma, unsigned long addr)
{
	return (addr & ~PMD_MASK) && (addr & PMD_MASK) >= vma->vm_start &&
	       (addr & PMD_MASK) + PMD_SIZE <= vma->vm_end &&
	       pmd_trans_huge(mm_pmd(vma->vm_mm, addr));
}

enum step_result vma_adjust_step(struct world *w, struct task *t, struct frame *f)
{
	struct vma_adjust_frame *a = &f->u.adjust;
	struct vm_area_struct *vma = a->vma, *next = a->next;
	struct mm_struct *mm = vma->vm_mm;

	switch (f->pc) {
	case 0:
		f->pc = 1;
		if (next && next->anon_vma && !vma->anon_vma) {
			if (!lock_take(w, t, anon_vma_lock(next->anon_vma), true)) {
				f->pc = 0;
				return STEP_BLOCKED;
			}
			step_trace(w, t, "anon_vma_clone", "importer vma%lu from vma%lu", vma->id,
				   next->id);
			anon_vma_clone(w, vma, next);
			vma->anon_vma = next->anon_vma;
			lock_drop(w, t, anon_vma_lock(next->anon_vma));
			return STEP_DONE;
		}
		/* fall through */
	case 1:
		f->pc = 2;
		if (a->start != vma->vm_start && cuts_huge_pmd(vma, a->start)) {
			call_split_huge_page_pmd(w, t, mm, a->start);
			return STEP_CONTINUE;
		}
		/* fall through */
	case 2:
		f->pc = 3;
		if (a->end != vma->vm_end && cuts_huge_pmd(vma, a->end)) {
			call_split_huge_page_pmd(w, t, mm, a->end);
			return STEP_CONTINUE;
		}
		/* fall through */
	case 3: {
		struct anon_vma *av = vma->anon_vma;
		if (av && !lock_take(w, t, anon_vma_lock(av), true))
			return STEP_BLOCKED;
		step_trace(w, t, "vma_adjust", "vma%lu [%#lx, %#lx) pgoff %#lx -> [%#lx, %#lx) pgoff %#lx",
			   vma->id, vma->vm_start, vma->vm_end, vma->vm_pgoff, a->start, a->end,
			   a->pgoff);
		if (av)
			anon_vma_interval_tree_pre_update_vma(w, vma);
		vma->vm_start = a->start;
		vma->vm_end = a->end;
		vma->vm_pgoff = a->pgoff;
		if (next)
			vma_unlink(mm, next);
		else if (a->insert)
			vma_link(mm, a->insert);
		if (av) {
			anon_vma_interval_tree_post_update_vma(w, vma);
			lock_drop(w, t, anon_vma_lock(av));
		}
		if (next) {
			f->pc = 4;
			return STEP_DONE;
		}
		task_return(t, 0);
		return STEP_DONE;
	}
	default: {
		/* anon_vma_merge(): next's avcs go; its pages now map through vma,
		 * which shares next's anon_vma. */
		struct anon_vma *av = next->anon_vma;
		if (av && !lock_take(w, t, anon_vma_lock(av), true))
			return STEP_BLOCKED;
		step_trace(w, t, "anon_vma_merge", "unlink vma%lu", next->id);
		if (av) {
			unlink_anon_vmas(w, next);
			lock_drop(w, t, anon_vma_lock(av));
		}
		vm_area_free(w, next);
		a->next = NULL;
		task_return(t, 0);
		return STEP_DONE;
	}
	}
}
