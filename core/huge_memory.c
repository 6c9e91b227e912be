/* split_huge_page() and split_huge_page_pmd() (mm/huge_memory.c, 3.14/3.15).
 *
 * split_huge_page holds the root anon_vma lock for write from before pass 1
 * to after pass 2, so no fork link, vma_adjust, unlink or locked move can
 * run meanwhile; page-table-lock-only copies, moves and zaps still can.
 * Pass 1 freezes each huge pmd it finds (the splitting bit): a frozen pmd
 * makes copy, move and zap wait for the split. Then the kernel checks its
 * count against page_mapcount (BUG_ON), splits the refcounts, and pass 2
 * turns each frozen pmd into a pte table. */
#include "ops.h"

enum step_result split_huge_page_pmd_step(struct world *w, struct task *t, struct frame *f)
{
	struct split_pmd_frame *s = &f->u.split_pmd;
	struct pmd *pmd = mm_pmd(s->mm, s->haddr);

	switch (f->pc) {
	case 0: {
		struct lock *ptl = huge_pmd_lockptr(w, s->mm, s->haddr);
		if (!lock_take(w, t, ptl, true))
			return STEP_BLOCKED;
		step_trace(w, t, "split_huge_page_pmd", "mm%d %#lx%s", s->mm->id, s->haddr,
			   pmd_trans_huge(pmd) ? "" : ": not huge");
		if (pmd_trans_huge(pmd)) {
			s->page = pmd->page;
			get_page(w, s->page);	/* held across split_huge_page */
			s->page->split_refs++;
			f->pc = 1;
		} else {
			task_return(t, 0);
		}
		lock_drop(w, t, ptl);
		return STEP_DONE;
	}
	case 1:
		f->pc = 2;
		call_split_huge_page(w, t, s->page);
		return STEP_CONTINUE;
	default:
		/* split_refuses_pins: the THP has another reference (a zap's
		 * mmu_gather, a COW's pin, a migration's isolation): wait until
		 * one comes or goes, then split again. 4.5's split_huge_pmd
		 * would map the THP by ptes instead, which 3.x THPs never are
		 * (not modelled): this caller waits for the split it needs. */
		if (t->ret == SPLIT_EBUSY && pmd_trans_huge(pmd) && pmd->page == s->page) {
			int refs = split_extra_refs(s->page);
			/* (No longer compound: another split has it; its lock
			 * is the wait, in split_huge_page. The count right
			 * again, as when the reference went before this
			 * attempt: no wait.) */
			if (PageTransHuge(s->page) && refs &&
			    (!s->waiting || refs == s->wait_refs)) {
				s->waiting = true;
				s->wait_refs = refs;
				t->spin_page = s->page;
				t->spin_refs = refs;
				return STEP_BLOCKED;
			}
			s->waiting = false;
			f->pc = 2;
			call_split_huge_page(w, t, s->page);
			return STEP_CONTINUE;
		}
		s->page->split_refs--;
		put_page(w, t, s->page, "put_page (split_huge_page_pmd)");
		/* Another THP may have been mapped here meanwhile: again. */
		if (pmd_trans_huge(pmd)) {
			f->pc = 0;
			return STEP_CONTINUE;
		}
		task_return(t, 0);
		return STEP_CONTINUE;
	}
}

/* Pass 1 at one vma: __split_huge_page_splitting() freezes a huge pmd of
 * this page with the splitting bit. */
static int split_huge_page_splitting(struct world *w, struct task *t,
				     struct split_huge_page_frame *s, const struct walk_visit *v)
{
	struct pmd *pmd = v->pmd;
	if (!pmd_trans_huge(pmd) || pmd->page != s->page || pmd->splitting)
		return 0;
	pmd->splitting = true;
	flush_tlb_range(w, t, v->mm, v->addr, v->addr + HPAGE_PMD_SIZE, "pmdp_splitting_flush");
	return 1;
}

/* Pass 2 at one vma: __split_huge_page_map(), a frozen pmd of this page
 * becomes a table of ptes mapping the (now separate) small pages, writable
 * as the pmd was. */
static int split_huge_page_map(struct world *w, struct task *t, struct split_huge_page_frame *s,
			       const struct walk_visit *v)
{
	if (!pmd_trans_splitting(v->pmd) || v->pmd->page != s->page)
		return 0;
	struct pmd table = { .kind = PMD_TABLE };
	/* pmdp_invalidate: no huge and small entries for one address in the
	 * TLB at once (AMD erratum 383), so the huge one goes first. */
	flush_tlb_range(w, t, v->mm, v->addr, v->addr + HPAGE_PMD_SIZE, "pmdp_invalidate");
	for (int i = 0; i < HPAGE_PMD_NR; i++)
		table.pte[i] = (struct pte){ .kind = PTE_PRESENT, .write = pmd_write(v->pmd),
					     .page = s->page + i };
	*v->pmd = table;
	entry_event(w, t, ENTRY_SPLIT, true, v->mm, v->addr, NULL, 0, s->page, true);
	return 1;
}

/* One visit of either pass. page_check_address_pmd() only looks at a
 * pmd-aligned address, and takes the pmd lock before it looks. */
static enum step_result split_visit(struct world *w, struct task *t,
				    struct split_huge_page_frame *s, bool pass2)
{
	const char *step = pass2 ? "__split_huge_page_map" : "__split_huge_page_splitting";
	struct walk_visit v;
	int found;

	rmap_walk_next_visit(&s->walk, &v);
	if (v.addr & ~PMD_MASK) {
		rmap_walk_visit_done(w, t, &s->walk, &v, step, 0, "not pmd-aligned");
		return STEP_DONE;
	}
	v.ptl = huge_pmd_lockptr(w, v.mm, v.addr);
	/* 3.13-3.14 (peek-split-pmd, linux-3.14): page_check_address_pmd's
	 * mm_find_pmd() reads pmd_present without the lock, a step of its own
	 * here, and skips a pmd that looks empty. Pass 2 looks the same way
	 * but only at frozen pmds, which nothing clears: not modelled there. */
	if (!pass2 && w->proto->split_pmd_peek && !s->looked) {
		if (pmd_none(v.pmd)) {
			rmap_walk_visit_done(w, t, &s->walk, &v, step, 0, "pmd empty (unlocked peek)");
		} else {
			s->looked = true;
			step_trace(w, t, "page_check_address_pmd", "mm%d vma%lu %#lx: pmd present "
				   "(unlocked peek); its lock next", v.mm->id, v.vma->id, v.addr);
		}
		return STEP_DONE;
	}
	if (!lock_take(w, t, v.ptl, true))	/* first: split_huge_page_next_lock */
		return STEP_BLOCKED;
	s->looked = false;
	found = pass2 ? split_huge_page_map(w, t, s, &v) : split_huge_page_splitting(w, t, s, &v);
	rmap_walk_visit_done(w, t, &s->walk, &v, step, found,
			     found ? (pass2 ? "pmd split into ptes" : "huge pmd frozen")
			     : pmd_none(v.pmd) ? "pmd empty" : "no huge pmd of this page here");
	return STEP_DONE;
}

struct lock *split_huge_page_next_lock(const struct world *w, const struct task *t,
				       const struct frame *f)
{
	const struct split_huge_page_frame *s = &f->u.split;
	bool pass2 = f->pc == 4;
	if ((f->pc != 2 && !pass2) || rmap_walk_done(&s->walk) || !s->anon_vma ||
	    !task_holds(t, anon_vma_lock(s->anon_vma)))
		return NULL;
	if (!pass2 && w->proto->split_pmd_peek && !s->looked)
		return NULL;	/* the unlocked peek first */
	struct walk_visit v;
	rmap_walk_next_visit(&s->walk, &v);
	if (v.addr & ~PMD_MASK)
		return NULL;	/* a step without the lock */
	return huge_pmd_lockptr(w, v.mm, v.addr);
}

/* __split_huge_page_refcount(): the tails become small pages, each mapped
 * as often as the head was (every frozen pmd will map all of them), with a
 * reference per mapping; the head keeps its own and the callers'. */
static void split_huge_page_refcount(struct page *page)
{
	for (int i = 1; i < page->nr; i++) {
		page[i].mapcount = page->mapcount;
		page[i].count = page->mapcount;
		page[i].mapping = page->mapping;
		page[i].index = page->index + (pgoff_t)i;
	}
	page->compound = false;
}

/* retry-walk, retry-only: pass 1 walks the same vmas again (the lock is
 * still held, so the list is the same), adding what it newly freezes to its
 * count. A pass that began after no other task ran would see exactly what
 * the last one saw: the task spins until another task steps. */
static enum step_result split_retry(struct world *w, struct task *t, struct frame *f)
{
	struct split_huge_page_frame *s = &f->u.split;
	unsigned long others = task_others_steps(t, w->steps);

	if (others == s->others) {
		t->spinning = true;
		t->spin_others = others;
		return STEP_BLOCKED;
	}
	s->others = others;
	step_trace(w, t, "__split_huge_page", "mapcount %d page_mapcount %d: walk again",
		   s->walk.count, page_mapcount(s->page));
	rmap_walk_restart(&s->walk);
	s->retries++;
	f->pc = 2;
	return STEP_DONE;
}

static enum step_result split_return(struct world *w, struct task *t,
				     struct split_huge_page_frame *s, int ret);

/* 4.5's "total_mapcount(head) == page_count(head) - 1": the mappings' and
 * the caller's references only. Every task that is splitting the page
 * counts as a caller here: in 4.5 a zap's, an mprotect's or a move's
 * split_huge_pmd maps the THP by ptes and never splits the page, so two of
 * them never refuse each other; the model's 3.x callers all split it, and
 * would, counting one caller each, refuse each other for ever. */
static bool split_count_ok(const struct page *page) { return !split_extra_refs(page); }

/* split_refuses_pins, after pass 1: the pmds it froze lose the splitting
 * bit again. Every other task that meets a frozen pmd waits for the split
 * (for the anon_vma lock it holds), so no page-table lock is needed to
 * thaw them in the model. */
static enum step_result split_unfreeze(struct world *w, struct task *t,
				       struct split_huge_page_frame *s)
{
	struct page *page = s->page;
	for (int i = 0; i < s->walk.nr; i++) {
		struct vm_area_struct *vma = s->walk.avc[i]->vma;
		unsigned long addr = vma_address_of(vma, page->index);
		struct pmd *pmd = addr < TASK_SIZE ? mm_pmd(vma->vm_mm, addr) : NULL;
		if (pmd && pmd_trans_splitting(pmd) && pmd->page == page)
			pmd->splitting = false;
	}
	step_trace(w, t, "__split_huge_page", "page %lu: page_count %d, mapcount %d: another reference "
		   "since the check, unfreeze, -EBUSY", page->id, page_count(page), page_mapcount(page));
	lock_drop(w, t, anon_vma_lock(s->anon_vma));
	put_anon_vma(w, s->anon_vma);
	s->anon_vma = NULL;
	rmap_walk_free(w, &s->walk);
	return split_return(w, t, s, SPLIT_EBUSY);
}

/* The split's return; a split started alone drops the reference its
 * caller would have held. */
static enum step_result split_return(struct world *w, struct task *t,
				     struct split_huge_page_frame *s, int ret)
{
	if (s->own_ref) {
		s->page->split_refs--;
		put_page(w, t, s->page, "put_page (split_huge_page's caller)");
	}
	task_return(t, ret);
	return STEP_DONE;
}

enum step_result split_huge_page_step(struct world *w, struct task *t, struct frame *f)
{
	struct split_huge_page_frame *s = &f->u.split;
	struct page *page = s->page;

	for (;;) {
		switch (f->pc) {
		case 0:
			/* page_get_anon_vma(): only a mapped page has a live one. */
			s->anon_vma = page_get_anon_vma(w, page);
			step_trace(w, t, "page_get_anon_vma", "page %lu%s", page->id,
				   s->anon_vma ? "" : page_mapped(page) ? ": its anon_vma was freed"
				   : ": not mapped, no split");
			if (!s->anon_vma)
				return split_return(w, t, s, 1);
			f->pc = 1;
			return STEP_DONE;
		case 1:
			/* The lock first (task_next_lock, sched.c). */
			if (!lock_take(w, t, anon_vma_lock(s->anon_vma), true))
				return STEP_BLOCKED;
			if (!PageTransHuge(page)) {
				step_trace(w, t, "anon_vma_lock_write", "page %lu: already split", page->id);
				lock_drop(w, t, anon_vma_lock(s->anon_vma));
				put_anon_vma(w, s->anon_vma);
				s->anon_vma = NULL;
				return split_return(w, t, s, 0);
			}
			/* 4.5's racy check, under the lock: the caller's reference
			 * and the mappings' only, or -EBUSY. */
			if (w->proto->split_refuses_pins && !split_count_ok(page)) {
				step_trace(w, t, "anon_vma_lock_write", "page %lu: page_count %d, mapcount %d: "
					   "another reference, -EBUSY", page->id, page_count(page),
					   page_mapcount(page));
				lock_drop(w, t, anon_vma_lock(s->anon_vma));
				put_anon_vma(w, s->anon_vma);
				s->anon_vma = NULL;
				return split_return(w, t, s, SPLIT_EBUSY);
			}
			rmap_walk_begin(w, t, &s->walk, WALK_SPLIT_PASS1, page, s->anon_vma);
			s->others = task_others_steps(t, w->steps);
			step_trace(w, t, "anon_vma_lock_write", "split page %lu index %#lx: %d vmas to visit",
				   page->id, page->index, s->walk.nr);
			f->pc = 2;
			return STEP_DONE;
		case 2:
			if (!rmap_walk_done(&s->walk))
				return split_visit(w, t, s, false);
			f->pc = 3;
			continue;
		case 3:
			if (w->proto->split_retry && s->walk.count < page_mapcount(page))
				return split_retry(w, t, f);
			/* The kernel's own detection of a missed pmd. */
			s->mapcount = s->walk.count;
			rmap_walk_end(w, t, &s->walk);
			step_trace(w, t, "__split_huge_page", "mapcount %d page_mapcount %d", s->mapcount,
				   page_mapcount(page));
			if (s->mapcount != page_mapcount(page)) {
				world_kernel_bug(w, "__split_huge_page: mapcount %d page_mapcount %d (page %lu)",
						 s->mapcount, page_mapcount(page), page->id);
				return STEP_DONE;
			}
			/* 4.5 checks the count again once the mappings are frozen
			 * (freeze_page): a reference taken meanwhile (a zap that
			 * got its pmd first: its mmu_gather's) and the split is
			 * undone (unfreeze_page), -EBUSY. */
			if (w->proto->split_refuses_pins && !split_count_ok(page))
				return split_unfreeze(w, t, s);
			split_huge_page_refcount(page);
			rmap_walk_begin(w, t, &s->walk, WALK_SPLIT_PASS2, page, s->anon_vma);
			f->pc = 4;
			return STEP_DONE;
		case 4:
			if (!rmap_walk_done(&s->walk))
				return split_visit(w, t, s, true);
			f->pc = 5;
			continue;
		default:
			rmap_walk_end(w, t, &s->walk);
			step_trace(w, t, "anon_vma_unlock_write", "mapcount %d mapcount2 %d", s->mapcount,
				   s->walk.count);
			if (s->walk.count != s->mapcount) {
				world_kernel_bug(w, "__split_huge_page: mapcount %d mapcount2 %d (page %lu)",
						 s->mapcount, s->walk.count, page->id);
				return STEP_DONE;
			}
			lock_drop(w, t, anon_vma_lock(s->anon_vma));
			put_anon_vma(w, s->anon_vma);
			s->anon_vma = NULL;
			rmap_walk_free(w, &s->walk);
			return split_return(w, t, s, 0);
		}
	}
}
