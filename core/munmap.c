/* do_munmap() (mm/mmap.c), mmap_sem held for write: split the vmas at the
 * range's ends (__split_vma) ||, detach the vmas from the mm, zap their
 * entries one pmd per step under its lock (unmap_vmas) ||, then unlink each
 * vma from the anon_vma indexes under AV(w) (free_pgtables) ||, and free the
 * empty page tables and the vmas. A walk may visit a vma while it is being
 * zapped, never after its unlink, which follows the zap. */
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
	u->addr = u->vma->vm_start;
}

/* free_pgd_range(): pte tables wholly inside [floor, ceiling) and touching
 * the unmapped range go; a table shared with a neighbour vma stays. */
static void free_pgd_range(struct world *w, struct munmap_frame *u, unsigned long addr,
			   unsigned long end)
{
	unsigned long ceiling = u->ceiling & PMD_MASK;

	if (!ceiling)	/* the next vma shares the first pmd: nothing to free */
		return;
	addr &= PMD_MASK;
	if (addr < u->floor)
		addr += PMD_SIZE;
	if (end - 1 > ceiling - 1)
		end -= PMD_SIZE;
	for (; addr < end && addr < TASK_SIZE; addr += PMD_SIZE) {
		struct pmd *pmd = mm_pmd(u->mm, addr);
		for (int i = 0; i < PTRS_PER_PTE && pmd->kind == PMD_TABLE; i++)
			if (pmd->pte[i].kind != PTE_NONE)
				world_model_bug(w, "free_pgd_range: mm%d table %#lx not empty",
						u->mm->id, addr);
		if (pmd->kind == PMD_HUGE)
			world_model_bug(w, "free_pgd_range: mm%d huge pmd %#lx left", u->mm->id, addr);
		set_pmd(pmd, PMD_NONE, NULL);
	}
}

static enum step_result zap_huge_pmd(struct world *w, struct task *t, struct frame *f)
{
	struct munmap_frame *u = &f->u.munmap;
	struct pmd *pmd = mm_pmd(u->mm, u->addr);
	struct lock *ptl = pmd_lockptr(u->mm, u->addr);

	if (!lock_take(w, t, ptl, true))
		return STEP_BLOCKED;
	if (pmd_trans_splitting(pmd)) {
		step_trace(w, t, "zap_huge_pmd", "mm%d %#lx: splitting, wait", u->mm->id, u->addr);
		f->pc = 4;
	} else if (pmd_trans_huge(pmd)) {
		/* The kernel clears the pmd, then drops mapcount, in one
		 * page-table-lock section: two steps here, the lock held across,
		 * so an unlocked peek can see the gap. */
		struct page *page = pmd->page;
		step_trace(w, t, "zap_huge_pmd", "zapped huge pmd mm%d %#lx, page_remove_rmap next (page %lu)",
			   u->mm->id, u->addr, page->id);
		set_pmd(pmd, PMD_NONE, NULL);
		t->inflight[t->nr_inflight++] = (struct inflight){
			.kind = INFLIGHT_ZAP, .page = page, .from = pmd, .mm = u->mm, .addr = u->addr };
		entry_event(w, t, ENTRY_TAKE, true, u->mm, u->addr, NULL, 0, page, false);
		f->pc = 7;
		return STEP_DONE;
	} else {
		step_trace(w, t, "zap_huge_pmd", "mm%d %#lx: no longer huge", u->mm->id, u->addr);
	}
	lock_drop(w, t, ptl);
	return STEP_DONE;
}

/* zap_huge_pmd's second half: page_remove_rmap, then the lock goes. */
static enum step_result zap_huge_pmd_rmap(struct world *w, struct task *t, struct frame *f)
{
	struct munmap_frame *u = &f->u.munmap;
	struct page *page = t->inflight[0].page;

	step_trace(w, t, "zap_huge_pmd", "page_remove_rmap of zapped huge pmd mm%d %#lx (page %lu)",
		   u->mm->id, u->addr, page->id);
	t->nr_inflight = 0;
	page_remove_rmap(page);
	entry_event(w, t, ENTRY_CLEAR, true, u->mm, u->addr, NULL, 0, page, false);
	lock_drop(w, t, pmd_lockptr(u->mm, u->addr));
	u->addr += PMD_SIZE;
	f->pc = 3;
	return STEP_DONE;
}

static enum step_result zap_pte_range(struct world *w, struct task *t, struct munmap_frame *u,
				      unsigned long next)
{
	struct lock *ptl = pmd_lockptr(u->mm, u->addr);

	if (!lock_take(w, t, ptl, true))
		return STEP_BLOCKED;
	step_trace(w, t, "zap_pte_range", "zapped ptes mm%d [%#lx, %#lx)", u->mm->id, u->addr, next);
	zap_ptes(w, t, u->mm, u->addr, next);
	u->addr = next;
	lock_drop(w, t, ptl);
	return STEP_DONE;
}

enum step_result munmap_step(struct world *w, struct task *t, struct frame *f)
{
	struct munmap_frame *u = &f->u.munmap;
	struct mm_struct *mm = u->mm;

	for (;;) {
		switch (f->pc) {
		case 0: {
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
			f->pc = w->proto->unlink_first ? 5 : 3;
			return STEP_DONE;
		case 3: {
			/* unmap_vmas(): zap each detached vma, pmd by pmd. */
			struct vm_area_struct *vma = u->vma;
			if (!vma) {
				u->vma = mm->detached;
				f->pc = w->proto->unlink_first ? 6 : 5;
				continue;
			}
			if (u->addr >= vma->vm_end) {
				u->vma = vma->vm_next;
				u->addr = u->vma ? u->vma->vm_start : 0;
				continue;
			}
			unsigned long next = pmd_addr_end(u->addr, vma->vm_end);
			struct pmd *pmd = mm_pmd(mm, u->addr);
			if (pmd_none(pmd)) {
				u->addr = next;
				continue;
			}
			if (pmd_trans_huge(pmd)) {
				if (next - u->addr != HPAGE_PMD_SIZE) {
					world_model_bug(w, "zap: huge pmd %#lx straddles vma%lu", u->addr,
							vma->id);
					return STEP_DONE;
				}
				return zap_huge_pmd(w, t, f);
			}
			return zap_pte_range(w, t, u, next);
		}
		case 4: {
			/* wait_split_huge_page(): the kernel locks vma->anon_vma's
			 * root; the page's anon_vma has the same root, and the split
			 * keeps it alive even when (unlink-first) the vma's own was
			 * freed. A pmd no longer frozen means the split ended. */
			struct pmd *pmd = mm_pmd(mm, u->addr);
			if (pmd_trans_splitting(pmd) &&
			    !lock_wait(w, t, anon_vma_lock(pmd->page->mapping), true))
				return STEP_BLOCKED;
			step_trace(w, t, "wait_split_huge_page", "mm%d %#lx", mm->id, u->addr);
			f->pc = 3;
			return STEP_DONE;
		}
		case 5: {
			/* free_pgtables(): unlink_anon_vmas, one vma per step. */
			struct vm_area_struct *vma = u->vma;
			if (!vma) {
				if (w->proto->unlink_first) {
					u->vma = mm->detached;
					u->addr = u->vma->vm_start;
					f->pc = 3;
				} else {
					f->pc = 6;
				}
				continue;
			}
			struct anon_vma *av = vma->anon_vma;
			if (!av) {
				u->vma = vma->vm_next;
				continue;
			}
			if (!lock_take(w, t, anon_vma_lock(av), true))
				return STEP_BLOCKED;
			step_trace(w, t, "unlink_anon_vmas", "vma%lu [%#lx, %#lx)", vma->id,
				   vma->vm_start, vma->vm_end);
			/* The root outlives the unlink: vma's own anon_vma holds it. */
			struct lock *root_lock = anon_vma_lock(av);
			get_anon_vma(av->root);
			struct anon_vma *root = av->root;
			unlink_anon_vmas(w, vma);
			lock_drop(w, t, root_lock);
			put_anon_vma(w, root);
			u->vma = vma->vm_next;
			return STEP_DONE;
		}
		case 7:
			return zap_huge_pmd_rmap(w, t, f);
		default: {
			struct vm_area_struct *first = mm->detached, *last = first;
			while (last->vm_next)
				last = last->vm_next;
			step_trace(w, t, "free_pgtables", "mm%d [%#lx, %#lx)", mm->id, first->vm_start,
				   last->vm_end);
			free_pgd_range(w, u, first->vm_start, last->vm_end);
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
