/* move_page_tables() (mm/mremap.c): move the entries of [old_addr, old_addr
 * + len) of vma to new_addr in new_vma, one pmd extent per step:
 * move_huge_pmd or move_ptes, each under the page-table locks and, per
 * protocol and need_rmap_locks, the anon_vma lock. mremap's move_vma moves
 * forward, and back with need_rmap_locks when it fails; exec's
 * shift_arg_pages moves a vma's entries down within it, without the lock.
 * Returns how much it moved (less than len only when alloc_fails). */
#include "ops.h"

/* The move's anon_vma lock, per protocol, and its page-table locks. The
 * kernel clears each source entry and sets its destination inside one
 * page-table-lock section; the model cuts that section in two steps (clear
 * all, then set all) with both locks held across, so only an unlocked peek
 * can fall between them. Per-pte interleaving inside the section would add
 * nothing: a walk looks at one entry of its page. */
struct move_locks {
	struct lock *av, *old_ptl, *new_ptl;
};

static void move_locks_of(struct world *w, struct move_page_tables_frame *m, bool huge,
			  struct move_locks *l)
{
	enum rmap_lock_rule rule = huge ? w->proto->pmd_move_locks : w->proto->pte_move_locks;
	bool locked = m->vma->anon_vma && rmap_lock_rule(rule, m->need_rmap_locks);
	struct mm_struct *mm = m->vma->vm_mm;

	l->av = locked ? anon_vma_lock(m->vma->anon_vma) : NULL;
	l->old_ptl = huge ? huge_pmd_lockptr(w, mm, m->old) : pte_lockptr(w, mm, m->old);
	l->new_ptl = huge ? huge_pmd_lockptr(w, mm, m->new) : pte_lockptr(w, mm, m->new);
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

enum { MOVE_EXTENT, MOVE_SET_NEW, MOVE_WAIT_SPLIT };

/* The second half of a move: every entry taken out lands at its
 * destination; then the locks go. */
static enum step_result move_set_new(struct world *w, struct task *t, struct frame *f)
{
	struct move_page_tables_frame *m = &f->u.move;
	struct mm_struct *mm = m->vma->vm_mm;
	struct move_locks l;

	move_locks_of(w, m, m->moving_huge, &l);
	if (m->moving_huge)
		step_trace(w, t, "move_huge_pmd", "moved huge pmd mm%d %#lx -> mm%d %#lx", mm->id,
			   m->old, mm->id, m->new);
	else
		step_trace(w, t, "move_ptes", "moved ptes mm%d [%#lx, %#lx) -> mm%d [%#lx, %#lx): %d %s",
			   mm->id, m->old, m->old + m->extent, mm->id, m->new, m->new + m->extent,
			   t->nr_inflight, t->nr_inflight == 1 ? "entry" : "entries");
	bool present = false;
	for (int i = 0; i < t->nr_inflight; i++) {
		struct inflight *e = &t->inflight[i];
		unsigned long from = m->old + (e->addr - m->new);
		present |= e->kind == INFLIGHT_PMD || e->pte.kind == PTE_PRESENT;
		if (e->kind == INFLIGHT_PMD) {
			set_pmd(mm_pmd(mm, e->addr), PMD_HUGE, e->page);
			mm_pmd(mm, e->addr)->write = e->write;
			entry_event(w, t, ENTRY_MOVE, true, mm, e->addr, mm, from, e->page, l.av);
		} else {
			mm_pmd(mm, e->addr)->pte[pte_index(e->addr)] = e->pte;
			entry_event(w, t, ENTRY_MOVE, false, mm, e->addr, mm, from, e->pte.page, l.av);
		}
	}
	t->nr_inflight = 0;
	/* eb66ae030829 (4.19): a present entry moved is flushed before either
	 * page-table lock drops (force_flush); until 3.1 ptep_clear_flush did
	 * the same pte by pte. */
	if (present && w->proto->move_flush_locked)
		flush_tlb_range(w, t, mm, m->old, m->old + m->extent,
				m->moving_huge ? "flush_tlb_range (move_huge_pmd)"
					       : "flush_tlb_range (move_ptes)");
	m->need_flush = true;
	m->old += m->extent;
	m->new += m->extent;
	drop_move_locks(w, t, &l);
	f->pc = MOVE_EXTENT;
	return STEP_DONE;
}

/* After the first half: the entries in flight wait for the second. */
static enum step_result move_cleared(struct world *w, struct task *t, struct frame *f,
				     const struct move_locks *l)
{
	struct move_page_tables_frame *m = &f->u.move;

	if (t->nr_inflight) {
		f->pc = MOVE_SET_NEW;
		return STEP_DONE;
	}
	m->need_flush |= !m->moving_huge;	/* 3.2-4.18 set it for every move_ptes call */
	m->old += m->extent;
	m->new += m->extent;
	drop_move_locks(w, t, l);
	return STEP_DONE;
}

/* move_huge_pmd(): the whole pmd moves. 3.15 takes the anon_vma lock around
 * it when need_rmap_locks; 3.7-3.14 did not. */
static enum step_result move_huge_pmd(struct world *w, struct task *t, struct frame *f)
{
	struct move_page_tables_frame *m = &f->u.move;
	struct mm_struct *mm = m->vma->vm_mm;
	struct pmd *old_pmd = mm_pmd(mm, m->old);
	struct move_locks l;

	move_locks_of(w, m, true, &l);
	if (!take_move_locks(w, t, &l))
		return STEP_BLOCKED;
	m->moving_huge = true;
	m->extent = PMD_SIZE;
	if (pmd_trans_splitting(old_pmd)) {
		step_trace(w, t, "move_huge_pmd", "mm%d %#lx: splitting, wait", mm->id, m->old);
		f->pc = MOVE_WAIT_SPLIT;
	} else if (pmd_trans_huge(old_pmd)) {
		step_trace(w, t, "move_huge_pmd", "took out huge pmd mm%d %#lx -> mm%d %#lx %s (page %lu)",
			   mm->id, m->old, mm->id, m->new, lock_note(&l), old_pmd->page->id);
		inflight_push(t, &(struct inflight){
			.kind = INFLIGHT_PMD, .write = pmd_write(old_pmd), .page = old_pmd->page,
			.from = old_pmd, .mm = mm, .addr = m->new });
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
	struct move_page_tables_frame *m = &f->u.move;
	struct mm_struct *mm = m->vma->vm_mm;
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
		inflight_push(t, &(struct inflight){
			.kind = INFLIGHT_PTE, .pte = *from, .from = old_pmd, .mm = mm,
			.addr = m->new + off });
		entry_event(w, t, ENTRY_TAKE, false, mm, m->old + off, mm, m->new + off, from->page,
			    l.av);
		*from = (struct pte){ .kind = PTE_NONE };
	}
	return move_cleared(w, t, f, &l);
}

/* The end of move_page_tables: 3.2 to 4.18 flush the range moved here, after
 * the loop, with no page-table lock held (7b6efc2bc4f1): between the last
 * move and this flush another CPU may still translate an old address, and
 * an rmap walker may free the page meanwhile (CVE-2018-18281). A step of
 * its own when the mm has a TLB; with none the flush is nothing, and the
 * model skips the step (the interleavings it would add are the same). */
static enum step_result move_done(struct world *w, struct task *t, struct frame *f, int ret)
{
	struct move_page_tables_frame *m = &f->u.move;
	struct mm_struct *mm = m->vma->vm_mm;

	task_return(t, ret);
	if (!m->need_flush || w->proto->move_flush_locked || !mm->tlb)
		return STEP_CONTINUE;
	step_trace(w, t, "flush_tlb_range", "mm%d [%#lx, %#lx): move_page_tables flushes what it "
		   "moved, after the page-table locks", mm->id, m->old_addr, m->old);
	flush_tlb_range(w, t, mm, m->old_addr, m->old, "flush_tlb_range (move_page_tables)");
	return STEP_DONE;
}

/* move_normal_pmd() (4.20 on; x86 from 5.0): a whole pmd's worth of ptes
 * going to an empty pmd moves as the pte table itself, under the two pmd
 * locks (not the pte table's own lock, which goes with the table: a walker
 * that took it through the old pmd still holds it after the move) and,
 * per protocol, the anon_vma lock: 4.20 to 5.13 only when need_rmap_locks,
 * as move_ptes; 5.14 on always (97113eb39fa7), which keeps every rmap
 * walker out. The old range is flushed before the pmd locks drop.
 * Model abstraction: one step, where the kernel clears the old pmd and sets
 * the new one in two stores under the pmd locks; an unlocked look at both
 * pmds in between (the walkers' mm_find_pmd) is not modelled. */
static enum step_result move_normal_pmd(struct world *w, struct task *t, struct frame *f)
{
	struct move_page_tables_frame *m = &f->u.move;
	struct mm_struct *mm = m->vma->vm_mm;
	bool locked = m->vma->anon_vma &&
		      rmap_lock_rule(w->proto->table_move_locks, m->need_rmap_locks);
	struct move_locks l = {
		.av = locked ? anon_vma_lock(m->vma->anon_vma) : NULL,
		.old_ptl = huge_pmd_lockptr(w, mm, m->old),
		.new_ptl = huge_pmd_lockptr(w, mm, m->new),
	};
	struct pmd *old_pmd = mm_pmd(mm, m->old), *new_pmd = mm_pmd(mm, m->new);

	if (!take_move_locks(w, t, &l))
		return STEP_BLOCKED;
	step_trace(w, t, "move_normal_pmd", "moved the pte table mm%d %#lx -> mm%d %#lx %s, with its "
		   "lock; flush_tlb_range [%#lx, %#lx)", mm->id, m->old, mm->id, m->new, lock_note(&l),
		   m->old, m->old + PMD_SIZE);
	for (int i = 0; i < PTRS_PER_PTE; i++)
		if (old_pmd->pte[i].kind != PTE_NONE)
			entry_event(w, t, ENTRY_TAKE, false, mm, m->old + (unsigned long)i * PAGE_SIZE, mm,
				    m->new + (unsigned long)i * PAGE_SIZE, old_pmd->pte[i].page, l.av);
	*new_pmd = *old_pmd;
	set_pmd(old_pmd, PMD_NONE, NULL);
	unsigned char id = mm->table_lock[pmd_index(m->old)];
	mm->table_lock[pmd_index(m->old)] = mm->table_lock[pmd_index(m->new)];
	mm->table_lock[pmd_index(m->new)] = id;
	for (int i = 0; i < PTRS_PER_PTE; i++)
		if (new_pmd->pte[i].kind != PTE_NONE)
			entry_event(w, t, ENTRY_MOVE, false, mm, m->new + (unsigned long)i * PAGE_SIZE, mm,
				    m->old + (unsigned long)i * PAGE_SIZE, new_pmd->pte[i].page, l.av);
	flush_tlb_range(w, t, mm, m->old, m->old + PMD_SIZE, "flush_tlb_range (move_normal_pmd)");
	m->old += PMD_SIZE;
	m->new += PMD_SIZE;
	drop_move_locks(w, t, &l);
	return STEP_DONE;
}

/* The loop of move_page_tables: the next extent, or the return. */
static enum step_result move_next_extent(struct world *w, struct task *t, struct frame *f)
{
	struct move_page_tables_frame *m = &f->u.move;
	struct mm_struct *mm = m->vma->vm_mm;
	unsigned long old_end = m->old_addr + m->len;

	for (; m->old < old_end;) {
		unsigned long extent = pmd_addr_end(m->old, old_end) - m->old;
		struct pmd *old_pmd = mm_pmd(mm, m->old);
		if (pmd_none(old_pmd)) {	/* get_old_pmd(): nothing here */
			m->old += extent;
			m->new += extent;
			continue;
		}
		if (m->alloc_fails && m->old != m->old_addr) {
			/* alloc_new_pmd() (or __pte_alloc) failed: the loop
			 * breaks, and the caller learns how much moved. */
			step_trace(w, t, "move_page_tables", "alloc_new_pmd fails at mm%d %#lx: "
				   "moved %#lx of %#lx", mm->id, m->new, m->old - m->old_addr, m->len);
			return move_done(w, t, f, (int)(m->old - m->old_addr));
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
		/* Not to a pmd already there (move_normal_pmd's WARN_ON: exec's
		 * overlapping shift): the ptes then move one by one. */
		if (extent == PMD_SIZE && w->proto->move_normal_pmd && pmd_none(mm_pmd(mm, m->new)))
			return move_normal_pmd(w, t, f);
		return move_ptes(w, t, f, extent);
	}
	return move_done(w, t, f, (int)m->len);
}

struct lock *move_page_tables_next_lock(const struct frame *f)
{
	return f->pc == MOVE_WAIT_SPLIT ? anon_vma_lock(f->u.move.vma->anon_vma) : NULL;
}

enum step_result move_page_tables_step(struct world *w, struct task *t, struct frame *f)
{
	struct move_page_tables_frame *m = &f->u.move;

	switch (f->pc) {
	case MOVE_EXTENT:
		return move_next_extent(w, t, f);
	case MOVE_SET_NEW:
		return move_set_new(w, t, f);
	default:
		/* wait_split_huge_page(), its lock first: task_next_lock
		 * (move_page_tables_next_lock). */
		if (!lock_wait(w, t, anon_vma_lock(m->vma->anon_vma), true))
			return STEP_BLOCKED;
		step_trace(w, t, "wait_split_huge_page", "mm%d %#lx", m->vma->vm_mm->id, m->old);
		f->pc = MOVE_EXTENT;
		return STEP_DONE;
	}
}
