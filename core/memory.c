/* unmap_vmas() and zap_page_range() (mm/memory.c, mm/huge_memory.c): clear
 * the entries of a range of vmas one pmd extent per step, each under its
 * page-table lock (zap_pte_range), or a whole huge pmd (zap_huge_pmd). No
 * anon_vma lock is taken: a walk may visit a vma while it is zapped, and
 * sees entries vanish with their mapcount. munmap, madvise(MADV_DONTNEED)
 * and exit_mmap call it. */
#include "ops.h"

/* zap_huge_pmd(): one lock section in the kernel, three steps here with the
 * lock held across (so only an unlocked peek sees between them): clear the
 * pmd; page_remove_rmap; VM_BUG_ON_PAGE(!PageHead(page)) and the unlock. */
static enum step_result zap_huge_pmd(struct world *w, struct task *t, struct frame *f)
{
	struct unmap_vmas_frame *u = &f->u.unmap;
	struct pmd *pmd = mm_pmd(u->mm, u->addr);
	struct lock *ptl = huge_pmd_lockptr(w, u->mm, u->addr);

	if (!lock_take(w, t, ptl, true))
		return STEP_BLOCKED;
	if (pmd_trans_splitting(pmd)) {
		step_trace(w, t, "zap_huge_pmd", "mm%d %#lx: splitting, wait", u->mm->id, u->addr);
		f->pc = 4;
	} else if (pmd_trans_huge(pmd)) {
		struct page *page = pmd->page;
		step_trace(w, t, "zap_huge_pmd", "zapped huge pmd mm%d %#lx, page_remove_rmap next (page %lu)",
			   u->mm->id, u->addr, page->id);
		set_pmd(pmd, PMD_NONE, NULL);
		inflight_push(t, &(struct inflight){
			.kind = INFLIGHT_ZAP, .page = page, .from = pmd, .mm = u->mm, .addr = u->addr });
		entry_event(w, t, ENTRY_TAKE, true, u->mm, u->addr, NULL, 0, page, false);
		u->zap_page = page;
		f->pc = 2;
		return STEP_DONE;
	} else {
		step_trace(w, t, "zap_huge_pmd", "mm%d %#lx: no longer huge", u->mm->id, u->addr);
	}
	lock_drop(w, t, ptl);
	return STEP_DONE;
}

/* zap_huge_pmd's second step: page_remove_rmap, the lock still held. */
static enum step_result zap_huge_pmd_rmap(struct world *w, struct task *t, struct frame *f)
{
	struct unmap_vmas_frame *u = &f->u.unmap;
	struct page *page = u->zap_page;

	step_trace(w, t, "zap_huge_pmd", "page_remove_rmap of zapped huge pmd mm%d %#lx (page %lu)",
		   u->mm->id, u->addr, page->id);
	t->nr_inflight = 0;
	page_remove_rmap(page);
	entry_event(w, t, ENTRY_CLEAR, true, u->mm, u->addr, NULL, 0, page, false);
	f->pc = 3;
	return STEP_DONE;
}

/* Its last: the page must still be a THP head. A split whose pass 1 did
 * not wait for this lock (3.13-3.14's unlocked peek) can have found its
 * count right after page_remove_rmap and split the compound page before
 * this check: the second split-vs-zap BUG that b5a8cad376ee fixed. */
static enum step_result zap_huge_pmd_end(struct world *w, struct task *t, struct frame *f)
{
	struct unmap_vmas_frame *u = &f->u.unmap;
	struct page *page = u->zap_page;

	step_trace(w, t, "zap_huge_pmd", "VM_BUG_ON_PAGE(!PageHead) and unlock, mm%d %#lx (page %lu)",
		   u->mm->id, u->addr, page->id);
	u->zap_page = NULL;
	if (!PageTransHuge(page)) {
		world_kernel_bug(w, "zap_huge_pmd: VM_BUG_ON_PAGE(!PageHead(page)): page %lu, zapped "
				 "from mm%d %#lx, was split while the zap held the pmd's lock",
				 page->id, u->mm->id, u->addr);
		return STEP_DONE;
	}
	lock_drop(w, t, huge_pmd_lockptr(w, u->mm, u->addr));
	tlb_remove_page(w, t, page);	/* after the unlock, as zap_huge_pmd does */
	u->addr += PMD_SIZE;
	f->pc = 1;
	return STEP_DONE;
}

static enum step_result zap_pte_range(struct world *w, struct task *t, struct unmap_vmas_frame *u,
				      unsigned long next)
{
	struct lock *ptl = pte_lockptr(w, u->mm, u->addr);

	if (!lock_take(w, t, ptl, true))
		return STEP_BLOCKED;
	step_trace(w, t, "zap_pte_range", "zapped ptes mm%d [%#lx, %#lx)", u->mm->id, u->addr, next);
	zap_ptes(w, t, u->mm, u->addr, next);
	u->addr = next;
	lock_drop(w, t, ptl);
	return STEP_DONE;
}

/* Where the zap goes from (*vmap, *addrp), a vma not yet begun (fresh:
 * pc 0, addr not set) or one under way (pc 1): over the empty pmds and
 * the vmas' ends, which it only steps over, to the first pmd with
 * something in it (true) or past the range (false), *vmap and *addrp
 * where it stopped. unmap_vmas_step goes this way within one attempt, and
 * unmap_vmas_returns asks it whether the next attempt only returns. */
static bool zap_next_extent(const struct unmap_vmas_frame *u, bool fresh,
			    struct vm_area_struct **vmap, unsigned long *addrp)
{
	struct vm_area_struct *vma = *vmap;
	unsigned long addr = *addrp;
	bool found;
	for (bool next = fresh;; next = true) {
		if (next) {
			if (!vma || vma->vm_start >= u->end) {
				found = false;
				break;
			}
			addr = u->start > vma->vm_start ? u->start : vma->vm_start;
		}
		unsigned long end = u->end < vma->vm_end ? u->end : vma->vm_end;
		/* [the range's start in this vma, addr): empty pmds */
		while (addr < end && pmd_none(mm_pmd(u->mm, addr)))
			addr = pmd_addr_end(addr, end);
		if (addr < end) {
			found = true;
			break;
		}
		vma = vma->vm_next;
	}
	*vmap = vma;
	*addrp = addr;
	return found;
}

bool unmap_vmas_returns(const struct frame *f)
{
	const struct unmap_vmas_frame *u = &f->u.unmap;
	struct vm_area_struct *vma = u->vma;
	unsigned long addr = u->addr;
	return (f->pc == 0 || f->pc == 1) && !zap_next_extent(u, f->pc == 0, &vma, &addr);
}

enum step_result unmap_vmas_step(struct world *w, struct task *t, struct frame *f)
{
	struct unmap_vmas_frame *u = &f->u.unmap;
	struct mm_struct *mm = u->mm;

	switch (f->pc) {
	case 0:	/* unmap_single_vma() of the next vma */
	case 1: {	/* zap_pmd_range(), one extent */
		if (!zap_next_extent(u, f->pc == 0, &u->vma, &u->addr)) {
			task_return(t, 0);
			return STEP_CONTINUE;
		}
		f->pc = 1;
		unsigned long end = u->end < u->vma->vm_end ? u->end : u->vma->vm_end;
		unsigned long next = pmd_addr_end(u->addr, end);
		if (pmd_trans_huge(mm_pmd(mm, u->addr))) {
			/* Only part of the huge pmd is zapped (madvise; munmap
			 * split its vmas' THPs already): split it. */
			if (next - u->addr != HPAGE_PMD_SIZE) {
				call_split_huge_page_pmd(w, t, mm, u->addr);
				return STEP_CONTINUE;
			}
			return zap_huge_pmd(w, t, f);
		}
		return zap_pte_range(w, t, u, next);
	}
	case 2:
		return zap_huge_pmd_rmap(w, t, f);
	case 3:
		return zap_huge_pmd_end(w, t, f);
	default: {
		/* wait_split_huge_page(): the kernel locks vma->anon_vma's root;
		 * the page's anon_vma has the same root, and the split keeps it
		 * alive even when (unlink-first) the vma's own was freed. A pmd
		 * no longer frozen means the split ended. */
		struct pmd *pmd = mm_pmd(mm, u->addr);
		if (pmd_trans_splitting(pmd) && !lock_wait(w, t, anon_vma_lock(pmd->page->mapping), true))
			return STEP_BLOCKED;
		step_trace(w, t, "wait_split_huge_page", "mm%d %#lx", mm->id, u->addr);
		f->pc = 1;
		return STEP_DONE;
	}
	}
}

void free_pgd_range(struct world *w, struct mm_struct *mm, unsigned long addr, unsigned long end,
		    unsigned long floor, unsigned long ceiling)
{
	ceiling &= PMD_MASK;
	if (!ceiling)	/* the next vma shares the first pmd: nothing to free */
		return;
	addr &= PMD_MASK;
	if (addr < floor)
		addr += PMD_SIZE;
	if (end - 1 > ceiling - 1)
		end -= PMD_SIZE;
	for (; addr < end && addr < TASK_SIZE; addr += PMD_SIZE) {
		struct pmd *pmd = mm_pmd(mm, addr);
		for (int i = 0; i < PTRS_PER_PTE && pmd->kind == PMD_TABLE; i++)
			if (pmd->pte[i].kind != PTE_NONE)
				world_model_bug(w, "free_pgd_range: mm%d table %#lx not empty", mm->id, addr);
		if (pmd->kind == PMD_HUGE)
			world_model_bug(w, "free_pgd_range: mm%d huge pmd %#lx left", mm->id, addr);
		set_pmd(pmd, PMD_NONE, NULL);
	}
}

static struct vm_area_struct *next_with_anon_vma(struct vm_area_struct *vma)
{
	while (vma && !vma->anon_vma)
		vma = vma->vm_next;
	return vma;
}

struct lock *unlink_next_lock(struct vm_area_struct *cursor)
{
	struct vm_area_struct *vma = next_with_anon_vma(cursor);
	return vma ? anon_vma_lock(vma->anon_vma) : NULL;
}

enum step_result unlink_next_vma(struct world *w, struct task *t, struct vm_area_struct **cursor)
{
	/* The cursor moves once the lock is taken: a blocked attempt
	 * changes nothing (task_next_lock). */
	struct vm_area_struct *vma = next_with_anon_vma(*cursor);
	if (!vma) {
		*cursor = NULL;
		return STEP_CONTINUE;
	}
	struct anon_vma *av = vma->anon_vma;
	if (!lock_take(w, t, anon_vma_lock(av), true))
		return STEP_BLOCKED;
	step_trace(w, t, "unlink_anon_vmas", "vma%lu [%#lx, %#lx)", vma->id, vma->vm_start,
		   vma->vm_end);
	/* The puts come after the unlock, as in the kernel: a put may free
	 * the root whose rwsem this is. */
	struct lock *root_lock = anon_vma_lock(av);
	unlink_anon_vmas_locked(w, vma);
	lock_drop(w, t, root_lock);
	unlink_anon_vmas_put(w, vma);
	*cursor = vma->vm_next;
	return STEP_DONE;
}
