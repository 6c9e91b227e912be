/* mremap(MREMAP_MAYMOVE|MREMAP_FIXED) of a range to a new address, same
 * length (mm/mremap.c), mmap_sem held for write throughout:
 *   do_munmap of the destination; copy_vma (vma_merge into a neighbour,
 *   re-indexed under AV(w), or a new vma cloned under AV(w)) ||;
 *   move_page_tables, one pmd extent per step: move_huge_pmd or move_ptes,
 *   each under the page-table locks and, per protocol, the anon_vma lock ||;
 *   do_munmap of the old range, whose entries are gone already. */
#include "ops.h"

static bool range_ok(unsigned long addr, unsigned long len)
{
	return len && !(addr & ~PAGE_MASK) && !(len & ~PAGE_MASK) && addr < TASK_SIZE &&
	       len <= TASK_SIZE - addr;
}

static enum step_result mremap_fail(struct world *w, struct task *t, struct mremap_frame *m,
				    const char *why)
{
	step_trace(w, t, "mremap", "mm%d: %s", m->mm->id, why);
	lock_drop(w, t, &m->mm->mmap_sem);
	task_return(t, -1);
	return STEP_DONE;
}

/* move_huge_pmd(): the whole pmd moves in one page-table-lock section. 3.15
 * takes the anon_vma lock around it when need_rmap_locks; 3.7-3.14 did not. */
static enum step_result move_huge_pmd(struct world *w, struct task *t, struct frame *f)
{
	struct mremap_frame *m = &f->u.mremap;
	struct mm_struct *mm = m->mm;
	struct pmd *old_pmd = mm_pmd(mm, m->old), *new_pmd = mm_pmd(mm, m->new);
	struct lock *old_ptl = pmd_lockptr(mm, m->old), *new_ptl = pmd_lockptr(mm, m->new);
	bool locked = rmap_lock_rule(w->proto->pmd_move_locks, m->need_rmap_locks);
	struct lock *av_lock = anon_vma_lock(m->vma->anon_vma);

	if (locked && !lock_take(w, t, av_lock, true))
		return STEP_BLOCKED;
	if (!take_ptl_pair(w, t, old_ptl, new_ptl))
		return STEP_BLOCKED;
	if (pmd_trans_splitting(old_pmd)) {
		step_trace(w, t, "move_huge_pmd", "mm%d %#lx: splitting, wait", mm->id, m->old);
		f->pc = 5;
	} else if (pmd_trans_huge(old_pmd)) {
		step_trace(w, t, "move_huge_pmd", "mm%d %#lx -> %#lx page %lu%s", mm->id, m->old,
			   m->new, old_pmd->page->id, locked ? " (anon_vma locked)" : " (no anon_vma lock)");
		*new_pmd = *old_pmd;
		*old_pmd = (struct pmd){ .kind = PMD_NONE };
		entry_event(w, t, ENTRY_MOVE, true, mm, m->new, mm, m->old, new_pmd->page, locked);
		m->old += PMD_SIZE;
		m->new += PMD_SIZE;
	} else {
		/* Split while this step waited: its ptes move next. */
		step_trace(w, t, "move_huge_pmd", "mm%d %#lx: no longer huge", mm->id, m->old);
	}
	drop_ptl_pair(w, t, old_ptl, new_ptl);
	if (locked)
		lock_drop(w, t, av_lock);
	return STEP_DONE;
}

/* move_ptes(): the ptes of one extent, entries moved as they are (a
 * migration entry stays one). */
static enum step_result move_ptes(struct world *w, struct task *t, struct frame *f,
				  unsigned long extent)
{
	struct mremap_frame *m = &f->u.mremap;
	struct mm_struct *mm = m->mm;
	struct pmd *old_pmd = mm_pmd(mm, m->old), *new_pmd = mm_pmd(mm, m->new);
	struct lock *old_ptl = pmd_lockptr(mm, m->old), *new_ptl = pmd_lockptr(mm, m->new);
	bool locked = m->vma->anon_vma &&
		      rmap_lock_rule(w->proto->pte_move_locks, m->need_rmap_locks);
	struct lock *av_lock = locked ? anon_vma_lock(m->vma->anon_vma) : NULL;

	if (locked && !lock_take(w, t, av_lock, true))
		return STEP_BLOCKED;
	if (!take_ptl_pair(w, t, old_ptl, new_ptl))
		return STEP_BLOCKED;
	step_trace(w, t, "move_ptes", "mm%d [%#lx, %#lx) -> %#lx%s", mm->id, m->old, m->old + extent,
		   m->new, locked ? " (anon_vma locked)" : " (no anon_vma lock)");
	if (old_pmd->kind != PMD_TABLE || pmd_trans_huge(new_pmd)) {
		world_model_bug(w, "move_ptes: mm%d old pmd %#lx is not a table or new %#lx is huge",
				mm->id, m->old, m->new);
	} else {
		if (pmd_none(new_pmd))
			*new_pmd = (struct pmd){ .kind = PMD_TABLE };	/* __pte_alloc */
		for (unsigned long off = 0; off < extent; off += PAGE_SIZE) {
			struct pte *from = &old_pmd->pte[pte_index(m->old + off)];
			if (from->kind == PTE_NONE)
				continue;
			new_pmd->pte[pte_index(m->new + off)] = *from;
			entry_event(w, t, ENTRY_MOVE, false, mm, m->new + off, mm, m->old + off,
				    from->page, locked);
			*from = (struct pte){ .kind = PTE_NONE };
		}
	}
	m->old += extent;
	m->new += extent;
	drop_ptl_pair(w, t, old_ptl, new_ptl);
	if (locked)
		lock_drop(w, t, av_lock);
	return STEP_DONE;
}

/* copy_vma(): the destination vma, by merge or as a new clone. */
static enum step_result copy_vma(struct world *w, struct task *t, struct frame *f)
{
	struct mremap_frame *m = &f->u.mremap;
	struct mm_struct *mm = m->mm;
	struct vm_area_struct *vma = m->vma;
	unsigned long end = m->new_addr + m->len;
	pgoff_t pgoff = m->new_pgoff;
	struct vma_merge_plan plan;

	/* A never-faulted vma has no pages to keep linear: take the pgoff of
	 * the new address, to merge more often. */
	if (!vma->anon_vma)
		pgoff = m->new_addr >> PAGE_SHIFT;
	if (vma_merge(mm, find_vma_prev_of(mm, m->new_addr), m->new_addr, end, vma->anon_vma,
		      pgoff, &plan)) {
		m->new_vma = plan.vma;
		f->pc = 2;
		call_vma_adjust(w, t, plan.vma, plan.start, plan.end, plan.pgoff, NULL, plan.remove);
		return STEP_CONTINUE;
	}
	struct anon_vma *av = vma->anon_vma;
	if (av && !lock_take(w, t, anon_vma_lock(av), true))
		return STEP_BLOCKED;
	struct vm_area_struct *new_vma = vm_area_dup(w, vma);
	new_vma->vm_start = m->new_addr;
	new_vma->vm_end = end;
	new_vma->vm_pgoff = pgoff;
	anon_vma_clone(w, new_vma, vma);
	vma_link(mm, new_vma);
	if (av)
		lock_drop(w, t, anon_vma_lock(av));
	step_trace(w, t, "copy_vma", "new vma%lu [%#lx, %#lx) pgoff %#lx, need_rmap_locks 0",
		   new_vma->id, new_vma->vm_start, new_vma->vm_end, new_vma->vm_pgoff);
	/* A new vma's key is the source's or later and ties go after: the walk
	 * meets the source first without the lock. */
	m->new_vma = new_vma;
	m->need_rmap_locks = false;
	m->old = m->old_addr;
	m->new = m->new_addr;
	f->pc = 3;
	return STEP_DONE;
}

enum step_result mremap_step(struct world *w, struct task *t, struct frame *f)
{
	struct mremap_frame *m = &f->u.mremap;
	struct mm_struct *mm = m->mm;

	for (;;) {
		switch (f->pc) {
		case 0:
			if (!lock_take(w, t, &mm->mmap_sem, true))
				return STEP_BLOCKED;
			if (!range_ok(m->old_addr, m->len) || !range_ok(m->new_addr, m->len) ||
			    (m->new_addr < m->old_addr + m->len && m->old_addr < m->new_addr + m->len))
				return mremap_fail(w, t, m, "bad range");
			step_trace(w, t, "mremap_to", "mm%d [%#lx, %#lx) -> %#lx", mm->id, m->old_addr,
				   m->old_addr + m->len, m->new_addr);
			f->pc = 1;
			if (!range_is_free(mm, m->new_addr, m->new_addr + m->len))
				call_munmap(w, t, mm, m->new_addr, m->len);
			return STEP_DONE;
		case 1: {
			/* vma_to_resize(): the range must lie in one vma. */
			struct vm_area_struct *vma = find_vma(mm, m->old_addr);
			if (!vma || vma->vm_start > m->old_addr || m->old_addr + m->len > vma->vm_end)
				return mremap_fail(w, t, m, "no vma covers the range");
			if (mm->map_count >= MAX_MAP_COUNT - 3)
				return mremap_fail(w, t, m, "map_count");
			m->vma = vma;
			m->vma_start = vma->vm_start;
			m->new_pgoff = vma->vm_pgoff + ((m->old_addr - vma->vm_start) >> PAGE_SHIFT);
			return copy_vma(w, t, f);
		}
		case 2: {
			/* After a merge: the source itself may have merged (only
			 * possible when it has no pages). The merged vma sorts no
			 * later than the source when its pgoff is not greater: then
			 * a walk may meet it first, and moves need the lock. */
			struct vm_area_struct *new_vma = m->new_vma;
			if (m->vma_start >= new_vma->vm_start && m->vma_start < new_vma->vm_end)
				m->vma = new_vma;
			m->need_rmap_locks = new_vma->vm_pgoff <= m->vma->vm_pgoff;
			step_trace(w, t, "copy_vma", "merged into vma%lu [%#lx, %#lx) pgoff %#lx, "
				   "need_rmap_locks %d", new_vma->id, new_vma->vm_start,
				   new_vma->vm_end, new_vma->vm_pgoff, m->need_rmap_locks);
			m->old = m->old_addr;
			m->new = m->new_addr;
			f->pc = 3;
			continue;
		}
		case 3: {
			unsigned long old_end = m->old_addr + m->len;
			if (m->old >= old_end) {
				f->pc = 4;
				call_munmap(w, t, mm, m->old_addr, m->len);
				return STEP_CONTINUE;
			}
			unsigned long extent = pmd_addr_end(m->old, old_end) - m->old;
			struct pmd *old_pmd = mm_pmd(mm, m->old);
			if (pmd_none(old_pmd)) {	/* get_old_pmd(): nothing here */
				m->old += extent;
				m->new += extent;
				continue;
			}
			if (pmd_trans_huge(old_pmd)) {
				/* move_huge_pmd() only moves a whole, aligned pmd to
				 * an empty one; otherwise the THP is split first. */
				if (extent == HPAGE_PMD_SIZE && !(m->new & ~PMD_MASK) &&
				    pmd_none(mm_pmd(mm, m->new)))
					return move_huge_pmd(w, t, f);
				call_split_huge_page_pmd(w, t, mm, m->old);
				return STEP_CONTINUE;
			}
			unsigned long new_next = (m->new + PMD_SIZE) & PMD_MASK;
			if (extent > new_next - m->new)
				extent = new_next - m->new;
			return move_ptes(w, t, f, extent);
		}
		case 4:
			step_trace(w, t, "up_write", "mm%d mmap_sem", mm->id);
			lock_drop(w, t, &mm->mmap_sem);
			task_return(t, 0);
			return STEP_DONE;
		default: {
			/* wait_split_huge_page() */
			if (!lock_wait(w, t, anon_vma_lock(m->vma->anon_vma), true))
				return STEP_BLOCKED;
			step_trace(w, t, "wait_split_huge_page", "mm%d %#lx", mm->id, m->old);
			f->pc = 3;
			return STEP_DONE;
		}
		}
	}
}
