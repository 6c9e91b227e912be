#include "ops.h"

void call_vma_adjust(struct world *w, struct task *t, struct vm_area_struct *vma,
		     unsigned long start, unsigned long end, pgoff_t pgoff,
		     struct vm_area_struct *insert)
{
	struct frame *f = task_push(w, t, OP_VMA_ADJUST);
	if (f)
		f->u.adjust = (struct vma_adjust_frame){ .vma = vma, .start = start, .end = end,
							 .pgoff = pgoff, .insert = insert };
}

void call_split_vma(struct world *w, struct task *t, struct vm_area_struct *vma,
		    unsigned long addr, bool new_below)
{
	struct frame *f = task_push(w, t, OP_SPLIT_VMA);
	if (f)
		f->u.split_vma = (struct split_vma_frame){ .mm = vma->vm_mm, .vma = vma,
							   .addr = addr, .new_below = new_below };
}

void call_munmap(struct world *w, struct task *t, struct mm_struct *mm, unsigned long start,
		 unsigned long len)
{
	struct frame *f = task_push(w, t, OP_MUNMAP);
	if (f)
		f->u.munmap = (struct munmap_frame){ .mm = mm, .start = start, .end = start + len,
						     .nested = true };
}

void call_split_huge_page_pmd(struct world *w, struct task *t, struct mm_struct *mm,
			      unsigned long addr)
{
	struct frame *f = task_push(w, t, OP_SPLIT_HUGE_PAGE_PMD);
	if (f)
		f->u.split_pmd = (struct split_pmd_frame){ .mm = mm, .haddr = addr & PMD_MASK };
}

void call_unmap_vmas(struct world *w, struct task *t, struct mm_struct *mm,
		     struct vm_area_struct *vma, unsigned long start, unsigned long end)
{
	struct frame *f = task_push(w, t, OP_UNMAP_VMAS);
	if (f)
		f->u.unmap = (struct unmap_vmas_frame){ .mm = mm, .vma = vma, .start = start, .end = end };
}

void call_split_huge_page(struct world *w, struct task *t, struct page *page)
{
	struct frame *f = task_push(w, t, OP_SPLIT_HUGE_PAGE);
	if (f)
		f->u.split.page = page;
}

void call_wp_page(struct world *w, struct task *t, struct vm_area_struct *vma, unsigned long addr,
		  struct page *page)
{
	struct frame *f = task_push(w, t, OP_WP_PAGE);
	if (f)
		f->u.wp = (struct wp_page_frame){ .mm = vma->vm_mm, .vma = vma, .addr = addr & PAGE_MASK,
						  .old_page = page };
}

void call_huge_pmd_wp_page(struct world *w, struct task *t, struct vm_area_struct *vma,
			   unsigned long addr, struct page *page, bool fallback)
{
	struct frame *f = task_push(w, t, OP_HUGE_PMD_WP_PAGE);
	if (f)
		f->u.wp = (struct wp_page_frame){ .mm = vma->vm_mm, .vma = vma, .addr = addr & PMD_MASK,
						  .old_page = page, .fallback = fallback };
}

void call_move_page_tables(struct world *w, struct task *t, struct vm_area_struct *vma,
			   unsigned long old_addr, struct vm_area_struct *new_vma,
			   unsigned long new_addr, unsigned long len, bool need_rmap_locks,
			   bool alloc_fails)
{
	struct frame *f = task_push(w, t, OP_MOVE_PAGE_TABLES);
	if (f)
		f->u.move = (struct move_page_tables_frame){
			.vma = vma, .old_addr = old_addr, .new_vma = new_vma, .new_addr = new_addr,
			.len = len, .need_rmap_locks = need_rmap_locks, .alloc_fails = alloc_fails,
			.old = old_addr, .new = new_addr };
}

bool take_ptl_pair(struct world *w, struct task *t, struct lock *a, struct lock *b)
{
	if (!lock_take(w, t, a, true))
		return false;
	return a == b || lock_take(w, t, b, true);
}

void drop_ptl_pair(struct world *w, struct task *t, struct lock *a, struct lock *b)
{
	lock_drop(w, t, a);
	if (a != b)
		lock_drop(w, t, b);
}

void zap_ptes(struct world *w, struct task *t, struct mm_struct *mm, unsigned long addr,
	      unsigned long end)
{
	struct pmd *pmd = mm_pmd(mm, addr);

	for (; addr < end; addr += PAGE_SIZE) {
		struct pte *pte = &pmd->pte[pte_index(addr)];
		if (pte->kind == PTE_NONE)
			continue;
		struct page *page = pte->kind == PTE_PRESENT ? pte->page : NULL;
		if (page)
			page_remove_rmap(page);
		entry_event(w, t, ENTRY_CLEAR, false, mm, addr, NULL, 0, pte->page, false);
		*pte = (struct pte){ .kind = PTE_NONE };
		if (page)	/* __tlb_remove_page: freed after the flush */
			tlb_remove_page(w, t, page);
	}
}
