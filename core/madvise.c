/* madvise(MADV_DONTNEED) (mm/madvise.c): with mmap_sem held for *read*, so
 * beside page faults and other readers, zap_page_range() each vma's part of
 * the range (unmap_vmas, memory.c). No anon_vma lock: the vmas stay linked
 * and indexed, only their entries go. A huge pmd the range covers in part
 * is split first (split_huge_page_pmd). */
#include "ops.h"

enum step_result madvise_step(struct world *w, struct task *t, struct frame *f)
{
	struct madvise_frame *m = &f->u.madvise;
	struct mm_struct *mm = m->mm;

	switch (f->pc) {
	case 0: {
		if (!lock_take(w, t, &mm->mmap_sem, false))
			return STEP_BLOCKED;
		struct vm_area_struct *vma = find_vma(mm, m->start);
		bool bad = (m->start & ~PAGE_MASK) || m->end <= m->start || m->end > TASK_SIZE;
		step_trace(w, t, "madvise", "mm%d [%#lx, %#lx) MADV_DONTNEED%s", mm->id, m->start, m->end,
			   bad ? ": bad range" : !vma || vma->vm_start >= m->end ? ": nothing mapped" : "");
		if (bad || !vma || vma->vm_start >= m->end) {
			lock_drop(w, t, &mm->mmap_sem);
			task_return(t, -1);
			return STEP_DONE;
		}
		f->pc = 1;
		tlb_gather_mmu(w, t, mm, m->start, m->end);	/* zap_page_range's */
		call_unmap_vmas(w, t, mm, vma, m->start, m->end);
		return STEP_DONE;
	}
	default:
		step_trace(w, t, "up_read", "mm%d mmap_sem", mm->id);
		tlb_finish_mmu(w, t);	/* zap_page_range's, before it returns */
		lock_drop(w, t, &mm->mmap_sem);
		task_return(t, 0);
		return STEP_DONE;
	}
}
