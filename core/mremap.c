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

/* The move's anon_vma lock, per protocol, and its page-table locks. The
 * kernel clears each source entry and sets its destination inside one
 * page-table-lock section; the model cuts that section in two steps (clear
 * all, then set all) with both locks held across, so only an unlocked peek
 * can fall between them. Per-pte interleaving inside the section would add
 * nothing: a walk looks at one entry of its page. */
struct move_locks {
	struct lock *av, *old_ptl, *new_ptl;
};

static void move_locks_of(struct world *w, struct mremap_frame *m, bool huge, struct move_locks *l)
{
	enum rmap_lock_rule rule = huge ? w->proto->pmd_move_locks : w->proto->pte_move_locks;
	bool locked = m->vma->anon_vma && rmap_lock_rule(rule, m->need_rmap_locks);

	l->av = locked ? anon_vma_lock(m->vma->anon_vma) : NULL;
	l->old_ptl = huge ? huge_pmd_lockptr(w, m->mm, m->old) : pmd_lockptr(m->mm, m->old);
	l->new_ptl = huge ? huge_pmd_lockptr(w, m->mm, m->new) : pmd_lockptr(m->mm, m->new);
}

static bool take_move_locks(struct world *w, struct task *t, const struct move_locks *l)
{
	if (l->av && !lock_take(w, t, l->av, true))
		return false;
	return take_ptl_pair(w, t, l->old_ptl, l->new_ptl);
}

static void drop_move_locks(struct world *w, struct task *t, const struct move_locks *l)
{
	drop_ptl_pair(w, t, l->old_ptl, l->new_ptl);
	if (l->av)
		lock_drop(w, t, l->av);
}

static const char *lock_note(const struct move_locks *l)
{
	return l->av ? "under the anon_vma lock" : "without the anon_vma lock";
}

/* The second half of a move: every entry taken out lands at its
 * destination; then the locks go. */
static enum step_result move_set_new(struct world *w, struct task *t, struct frame *f)
{
	struct mremap_frame *m = &f->u.mremap;
	struct move_locks l;

	move_locks_of(w, m, m->moving_huge, &l);
	if (m->moving_huge)
		step_trace(w, t, "move_huge_pmd", "moved huge pmd mm%d %#lx -> mm%d %#lx", m->mm->id,
			   m->old, m->mm->id, m->new);
	else
		step_trace(w, t, "move_ptes", "moved ptes mm%d [%#lx, %#lx) -> mm%d [%#lx, %#lx): %d %s",
			   m->mm->id, m->old, m->old + m->extent, m->mm->id, m->new, m->new + m->extent,
			   t->nr_inflight, t->nr_inflight == 1 ? "entry" : "entries");
	for (int i = 0; i < t->nr_inflight; i++) {
		struct inflight *e = &t->inflight[i];
		unsigned long from = m->old + (e->addr - m->new);
		if (e->kind == INFLIGHT_PMD) {
			set_pmd(mm_pmd(m->mm, e->addr), PMD_HUGE, e->page);
			mm_pmd(m->mm, e->addr)->write = e->write;
			entry_event(w, t, ENTRY_MOVE, true, m->mm, e->addr, m->mm, from, e->page, l.av);
		} else {
			mm_pmd(m->mm, e->addr)->pte[pte_index(e->addr)] = e->pte;
			entry_event(w, t, ENTRY_MOVE, false, m->mm, e->addr, m->mm, from, e->pte.page,
				    l.av);
		}
	}
	t->nr_inflight = 0;
	m->old += m->extent;
	m->new += m->extent;
	drop_move_locks(w, t, &l);
	f->pc = 3;
	return STEP_DONE;
}

/* After the first half: the entries in flight wait for the second. */
static enum step_result move_cleared(struct world *w, struct task *t, struct frame *f,
				     const struct move_locks *l)
{
	struct mremap_frame *m = &f->u.mremap;

	if (t->nr_inflight) {
		f->pc = 6;
		return STEP_DONE;
	}
	m->old += m->extent;
	m->new += m->extent;
	drop_move_locks(w, t, l);
	return STEP_DONE;
}

/* move_huge_pmd(): the whole pmd moves. 3.15 takes the anon_vma lock around
 * it when need_rmap_locks; 3.7-3.14 did not. */
static enum step_result move_huge_pmd(struct world *w, struct task *t, struct frame *f)
{
	struct mremap_frame *m = &f->u.mremap;
	struct mm_struct *mm = m->mm;
	struct pmd *old_pmd = mm_pmd(mm, m->old);
	struct move_locks l;

	move_locks_of(w, m, true, &l);
	if (!take_move_locks(w, t, &l))
		return STEP_BLOCKED;
	m->moving_huge = true;
	m->extent = PMD_SIZE;
	if (pmd_trans_splitting(old_pmd)) {
		step_trace(w, t, "move_huge_pmd", "mm%d %#lx: splitting, wait", mm->id, m->old);
		f->pc = 5;
	} else if (pmd_trans_huge(old_pmd)) {
		step_trace(w, t, "move_huge_pmd", "took out huge pmd mm%d %#lx -> mm%d %#lx %s (page %lu)",
			   mm->id, m->old, mm->id, m->new, lock_note(&l), old_pmd->page->id);
		t->inflight[t->nr_inflight++] = (struct inflight){
			.kind = INFLIGHT_PMD, .write = pmd_write(old_pmd), .page = old_pmd->page,
			.from = old_pmd, .mm = mm, .addr = m->new };
		entry_event(w, t, ENTRY_TAKE, true, mm, m->old, mm, m->new, old_pmd->page, l.av);
		set_pmd(old_pmd, PMD_NONE, NULL);
		return move_cleared(w, t, f, &l);
	} else {
		/* Split while this step waited: its ptes move next. */
		step_trace(w, t, "move_huge_pmd", "mm%d %#lx: no longer huge", mm->id, m->old);
	}
	drop_move_locks(w, t, &l);
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
	struct move_locks l;

	move_locks_of(w, m, false, &l);
	if (!take_move_locks(w, t, &l))
		return STEP_BLOCKED;
	m->moving_huge = false;
	m->extent = extent;
	step_trace(w, t, "move_ptes", "took out ptes mm%d [%#lx, %#lx) -> mm%d [%#lx, %#lx) %s", mm->id,
		   m->old, m->old + extent, mm->id, m->new, m->new + extent, lock_note(&l));
	if (old_pmd->kind != PMD_TABLE || pmd_trans_huge(new_pmd)) {
		world_model_bug(w, "move_ptes: mm%d old pmd %#lx is not a table or new %#lx is huge",
				mm->id, m->old, m->new);
		drop_move_locks(w, t, &l);
		return STEP_DONE;
	}
	if (pmd_none(new_pmd))
		set_pmd(new_pmd, PMD_TABLE, NULL);	/* __pte_alloc */
	for (unsigned long off = 0; off < extent; off += PAGE_SIZE) {
		struct pte *from = &old_pmd->pte[pte_index(m->old + off)];
		if (from->kind == PTE_NONE)
			continue;
		t->inflight[t->nr_inflight++] = (struct inflight){
			.kind = INFLIGHT_PTE, .pte = *from, .from = old_pmd, .mm = mm,
			.addr = m->new + off };
		entry_event(w, t, ENTRY_TAKE, false, mm, m->old + off, mm, m->new + off, from->page,
			    l.av);
		*from = (struct pte){ .kind = PTE_NONE };
	}
	return move_cleared(w, t, f, &l);
}

/* A second anon_vma lock section on the destination, then the move:
 * templist protocols flush it into the index once the move is done;
 * list-3.3's moveto_tail puts a merged destination behind the source. */
static enum step_result dest_anon_vma_section(struct world *w, struct task *t, struct frame *f,
					      const char *step,
					      void (*fn)(struct world *, struct vm_area_struct *))
{
	struct mremap_frame *m = &f->u.mremap;
	struct anon_vma *av = m->new_vma->anon_vma;

	if (av && !lock_take(w, t, anon_vma_lock(av), true))
		return STEP_BLOCKED;
	step_trace(w, t, step, "vma%lu", m->new_vma->id);
	fn(w, m->new_vma);
	if (av)
		lock_drop(w, t, anon_vma_lock(av));
	f->pc = 3;
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
	if (vma_merge(mm, find_vma_prev_of(mm, m->new_addr), m->new_addr, end, vma->vm_flags,
		      vma->anon_vma, pgoff, &plan)) {
		m->new_vma = plan.vma;
		if (w->proto->templist == TEMPLIST_ALL)
			plan.vma->rmap_templist = true;
		f->pc = 2;
		call_vma_adjust(w, t, plan.vma, plan.start, plan.end, plan.pgoff, NULL);
		return STEP_CONTINUE;
	}
	struct anon_vma *av = vma->anon_vma;
	if (av && !lock_take(w, t, anon_vma_lock(av), true))
		return STEP_BLOCKED;
	struct vm_area_struct *new_vma = vm_area_dup(w, vma);
	new_vma->vm_start = m->new_addr;
	new_vma->vm_end = end;
	new_vma->vm_pgoff = pgoff;
	new_vma->rmap_templist = w->proto->templist != TEMPLIST_OFF;
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
			f->pc = w->proto->moveto_tail && m->vma != new_vma ? 8 : 3;
			continue;
		}
		case 3: {
			unsigned long old_end = m->old_addr + m->len;
			if (m->old >= old_end) {
				if (m->new_vma->rmap_templist) {
					f->pc = 7;
					continue;
				}
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
				 * an empty one; otherwise the THP is split first, as
				 * before 3.2 (37a1c49a91ad) it always was. */
				if (extent == HPAGE_PMD_SIZE && !(m->new & ~PMD_MASK) &&
				    pmd_none(mm_pmd(mm, m->new)) && !w->proto->no_thp_move)
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
		case 6:
			return move_set_new(w, t, f);
		case 7:
			return dest_anon_vma_section(w, t, f, "anon_vma_templist_flush",
						     anon_vma_templist_flush);
		case 8:
			return dest_anon_vma_section(w, t, f, "anon_vma_moveto_tail",
						     anon_vma_moveto_tail);
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
