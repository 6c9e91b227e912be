/* Migration of one anon page (mm/migrate.c, __unmap_and_move), a THP split
 * first: lock the page, take a reference on its anon_vma; try_to_unmap
 * walks under AV(r), replacing each pte by a migration entry ||; the page
 * is copied with no anon_vma lock held (fork may copy migration entries,
 * mremap may move them), the new page locked ||; remove_migration_ptes
 * walks under AV(r) again, turning each migration entry into a pte of the
 * new page (or of the old page, when the first walk left it mapped and
 * migration gives up) ||; unlock both pages. An entry the second walk
 * misses stays forever. Before 3.8 the root's lock was a mutex (a spinlock
 * before 3.0): the walks took it exclusively (anon_vma_mutex). */
#include "ops.h"

static void end_walk(struct world *w, struct task *t, struct migrate_frame *m, unsigned char pc,
		     struct frame *f)
{
	rmap_walk_end(w, t, &m->walk);
	lock_drop(w, t, anon_vma_lock(m->anon_vma));
	f->pc = pc;
}

/* try_to_unmap_one(): a pte of the page becomes a migration entry, a write
 * one when the pte was writable (make_migration_entry(page, pte_write)). */
static int try_to_unmap_one(struct world *w, struct task *t, struct migrate_frame *m,
			    const struct walk_visit *v, struct pte *pte, unsigned long at)
{
	if (pte->kind != PTE_PRESENT || pte->page != m->page)
		return 0;
	/* ptep_clear_flush: the address the walk computed from the vma; the
	 * pte is where its table is now (at: another address only when a
	 * move_normal_pmd moved the table since the walk's look). */
	flush_tlb_page(w, t, v->mm, v->addr, "ptep_clear_flush (try_to_unmap_one)");
	pte->kind = PTE_MIGRATION;
	page_remove_rmap(m->page);
	entry_event(w, t, ENTRY_MIGRATION, false, v->mm, at, NULL, 0, m->page, true);
	/* page_cache_release: a migration entry holds no reference; the
	 * isolation's keeps the page until putback_lru_page. */
	put_page(w, t, m->page, "page_cache_release (try_to_unmap_one)");
	return 1;
}

/* remove_migration_pte(): a migration entry for the old page maps the new
 * one (or the old one again, when migration gave up), writable when it was
 * a write migration entry. */
static int remove_migration_pte(struct world *w, struct task *t, struct migrate_frame *m,
				const struct walk_visit *v, struct pte *pte, unsigned long at)
{
	struct page *new = m->rc ? m->page : m->newpage;
	if (pte->kind != PTE_MIGRATION || pte->page != m->page)
		return 0;
	*pte = (struct pte){ .kind = PTE_PRESENT, .write = pte->write, .page = new };
	get_page(w, new);
	page_dup_rmap(new);
	entry_event(w, t, ENTRY_SET, false, v->mm, at, NULL, 0, new, true);
	return 1;
}

/* What a visit finds without any lock, or NULL when it goes on under the
 * page-table lock. Both walks find the pte through mm_find_pmd() and a
 * pmd_trans_huge() test, unlocked in every kernel the model has;
 * try_to_unmap_one's page_check_address(..., sync=0) also skips a pte
 * that does not look present; remove_migration_pte looked at the pte
 * without the lock too before 3.1 (peek-migration-pte, list-3.0), when
 * 486cf46f3f9b moved that look under the lock. */
static const char *unlocked_look(const struct world *w, const struct pte *pte, bool remove)
{
	if (!pte)
		return "no pte table (unlocked look at the pmd)";
	if (!remove && pte->kind != PTE_PRESENT)
		return "pte not present (unlocked peek)";
	if (remove && w->proto->migration_pte_peek && pte->kind != PTE_MIGRATION)
		return "no migration entry seen (unlocked peek)";
	return NULL;
}

static void visit_done_in(struct world *w, struct task *t, struct frame *f,
			  const struct walk_visit *v, bool remove, const char *step, int found,
			  const char *what)
{
	struct migrate_frame *m = &f->u.migrate;

	m->looked = false;
	rmap_walk_visit_done(w, t, &m->walk, v, step, found, what);
	/* try_to_unmap's rmap_walk stops once the page is no longer mapped. */
	if (rmap_walk_done(&m->walk) || (!remove && !page_mapped(m->page)))
		end_walk(w, t, m, remove ? 8 : 5, f);
}

static void visit_done(struct world *w, struct task *t, struct frame *f, const struct walk_visit *v,
		       bool remove, int found, const char *what)
{
	visit_done_in(w, t, f, v, remove, remove ? "remove_migration_pte" : "try_to_unmap_one", found,
		      what);
}

/* pte_offset_map_lock on the pmd the look read: the table it found, and
 * that table's lock, wherever a move_normal_pmd has put it since
 * (split_ptlocks); without it, the slot's. */
static struct lock *visit_ptl(const struct world *w, const struct migrate_frame *m,
			      const struct walk_visit *v)
{
	return w->proto->split_ptlocks ? &v->mm->table_ptl[m->table] : pmd_lockptr(v->mm, v->addr);
}

struct lock *migrate_next_lock(const struct world *w, const struct task *t, const struct frame *f)
{
	const struct migrate_frame *m = &f->u.migrate;
	if ((f->pc != 4 && f->pc != 7) || !m->looked || rmap_walk_done(&m->walk) || !m->anon_vma ||
	    !task_holds(t, anon_vma_lock(m->anon_vma)))
		return NULL;
	struct walk_visit v;
	rmap_walk_next_visit(&m->walk, &v);
	return visit_ptl(w, m, &v);
}

/* One visit of either walk: the unlocked look is a step of its own (the
 * kernel holds no lock there, and another task may run before the lock is
 * taken); then, under the page-table lock, everything is checked again. */
static enum step_result migrate_visit(struct world *w, struct task *t, struct frame *f, bool remove)
{
	struct migrate_frame *m = &f->u.migrate;
	struct walk_visit v;

	rmap_walk_next_visit(&m->walk, &v);
	struct pte *pte = v.pmd->kind == PMD_TABLE ? &v.pmd->pte[pte_index(v.addr)] : NULL;
	/* The temporary-stack skip (a8bef8ff6ea1), read under the anon_vma
	 * lock: try_to_unmap_anon's until 3.13, rmap_walk_anon's call of
	 * try_to_unmap's invalid_vma, invalid_migration_vma, from 3.14 (the
	 * model's rows are 3.14's walks): exec's stack may be mid-shift, its vma_address() wrong, and
	 * remove_migration_ptes, which has no such skip, could miss an entry
	 * put there. The page stays mapped: migration gives up. (Split walks
	 * BUG_ON a temporary stack instead; no THP is ever mapped in one.) */
	if (!remove && !m->looked && !w->proto->no_stack_skip && is_vma_temporary_stack(v.vma)) {
		visit_done_in(w, t, f, &v, remove, "invalid_migration_vma", 0,
			      "temporary stack (is_vma_temporary_stack): skipped");
		return STEP_DONE;
	}
	if (!m->looked) {
		const char *skip = unlocked_look(w, pte, remove);
		if (skip) {
			visit_done(w, t, f, &v, remove, 0, skip);
		} else {
			m->looked = true;
			m->table = v.mm->table_lock[pmd_index(v.addr)];
			step_trace(w, t, remove ? "remove_migration_pte" : "page_check_address",
				   "mm%d vma%lu %#lx: looked without the lock, %s; the pte lock next",
				   v.mm->id, v.vma->id, v.addr,
				   remove ? "a pte table" : "pte present");
		}
		return STEP_DONE;
	}
	/* The lock first (task_next_lock, sched.c). */
	v.ptl = visit_ptl(w, m, &v);
	if (!lock_take(w, t, v.ptl, true))
		return STEP_BLOCKED;
	unsigned long slot = w->proto->split_ptlocks ? table_slot(v.mm, m->table) : pmd_index(v.addr);
	struct pmd *pmd = &v.mm->pmd[slot];
	unsigned long at = (slot << PMD_SHIFT) | (v.addr & ~PMD_MASK);
	pte = pmd->kind == PMD_TABLE ? &pmd->pte[pte_index(v.addr)] : NULL;
	int found = 0;
	if (pte)
		found = remove ? remove_migration_pte(w, t, m, &v, pte, at)
			       : try_to_unmap_one(w, t, m, &v, pte, at);
	visit_done(w, t, f, &v, remove, found,
		   found ? (remove ? "restored" : "migration entry installed")
		   : remove ? "no migration entry here" : "not mapped here");
	return STEP_DONE;
}

enum step_result migrate_step(struct world *w, struct task *t, struct frame *f)
{
	struct migrate_frame *m = &f->u.migrate;
	struct page *page = m->page;

	for (;;) {
		switch (f->pc) {
		case 0:
			if (PageTail(page)) {	/* only a THP's head is isolated */
				step_trace(w, t, "migrate_pages", "page %lu is a THP tail: not isolated",
					   page->id);
				put_page(w, t, page, "putback_lru_page");
				task_return(t, -1);
				return STEP_DONE;
			}
			f->pc = 2;
			if (PageTransHuge(page)) {
				f->pc = 1;
				page->split_refs++;	/* the isolation's: split_huge_page's caller's */
				call_split_huge_page(w, t, page);
				return STEP_CONTINUE;
			}
			continue;
		case 1:
			page->split_refs--;
			if (t->ret) {
				step_trace(w, t, "unmap_and_move", "page %lu: split failed, give up", page->id);
				put_page(w, t, page, "putback_lru_page");
				task_return(t, -1);
				return STEP_DONE;
			}
			f->pc = 2;
			continue;
		case 2:
			/* Cases 2, 3, 6: the lock first (task_next_lock, sched.c). */
			if (!lock_take(w, t, &page->lock, true))
				return STEP_BLOCKED;
			m->anon_vma = page_get_anon_vma(w, page);
			step_trace(w, t, "lock_page", "page %lu%s", page->id,
				   m->anon_vma ? "" : page_mapped(page) ? ": its anon_vma was freed"
				   : ": not mapped, nothing to migrate");
			if (!m->anon_vma) {
				lock_drop(w, t, &page->lock);
				put_page(w, t, page, "putback_lru_page");
				task_return(t, -1);
				return STEP_DONE;
			}
			f->pc = 3;
			return STEP_DONE;
		case 3:
			if (!lock_take(w, t, anon_vma_lock(m->anon_vma), w->proto->anon_vma_mutex))
				return STEP_BLOCKED;
			if (!page_mapped(page)) {
				/* page_lock_anon_vma_read() finds nothing to walk. */
				step_trace(w, t, "try_to_unmap", "page %lu no longer mapped", page->id);
				lock_drop(w, t, anon_vma_lock(m->anon_vma));
				f->pc = 5;
				return STEP_DONE;
			}
			rmap_walk_begin(w, t, &m->walk, WALK_TRY_TO_UNMAP, page, m->anon_vma);
			step_trace(w, t, "try_to_unmap", "page %lu index %#lx: %d vmas to visit", page->id,
				   page->index, m->walk.nr);
			f->pc = 4;
			if (rmap_walk_done(&m->walk))
				end_walk(w, t, m, 5, f);
			return STEP_DONE;
		case 4:
			return migrate_visit(w, t, f, false);
		case 5:
			/* move_to_new_page(): only an unmapped page is copied,
			 * and migrate_page_move_mapping gives up (-EAGAIN) on
			 * one another task holds a reference to (a COW fault,
			 * across its unlocked window).
			 * The new page is locked (a trylock of a page nobody
			 * else knows yet) until remove_migration_ptes has mapped
			 * it everywhere: nothing that locks a page may find it
			 * half mapped while migration entries still name it. */
			if (!page_mapped(page) && !page->pins) {
				m->newpage = alloc_anon_page(w, false);
				m->newpage->mapping = page->mapping;
				m->newpage->index = page->index;
				lock_trylock(w, t, &m->newpage->lock);
				m->rc = 0;
			} else {
				m->rc = -1;
			}
			if (m->rc)
				step_trace(w, t, "move_to_new_page", "page %lu %s: give up, restore", page->id,
					   page_mapped(page) ? "still mapped"
					   : "has another task's reference (page_count)");
			else
				step_trace(w, t, "move_to_new_page", "page %lu copied to page %lu", page->id,
					   m->newpage->id);
			f->pc = 6;
			return STEP_DONE;
		case 6:
			if (!lock_take(w, t, anon_vma_lock(m->anon_vma), w->proto->anon_vma_mutex))
				return STEP_BLOCKED;
			/* The walk looks for entries naming the old page; the new
			 * one has the same mapping and index. */
			rmap_walk_begin(w, t, &m->walk, WALK_REMOVE_MIGRATION, page, m->anon_vma);
			step_trace(w, t, "remove_migration_ptes", "page %lu: %d vmas to visit", page->id,
				   m->walk.nr);
			f->pc = 7;
			if (rmap_walk_done(&m->walk))
				end_walk(w, t, m, 8, f);
			return STEP_DONE;
		case 7:
			return migrate_visit(w, t, f, true);
		default:
			step_trace(w, t, "unlock_page", "page %lu", page->id);
			put_anon_vma(w, m->anon_vma);
			m->anon_vma = NULL;
			rmap_walk_free(w, &m->walk);
			if (!m->rc)
				lock_drop(w, t, &m->newpage->lock);
			lock_drop(w, t, &page->lock);
			/* unmap_and_move's putback_lru_page of both: a migrated
			 * page's last reference is the isolation's, and it goes
			 * now; the new page keeps those of its mappings. */
			put_page(w, t, page, "putback_lru_page (unmap_and_move)");
			if (!m->rc)
				put_page(w, t, m->newpage, "putback_lru_page (unmap_and_move)");
			task_return(t, m->rc);
			return STEP_DONE;
		}
	}
}
