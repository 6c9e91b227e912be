/* COW write faults (mm/memory.c do_wp_page; mm/huge_memory.c
 * do_huge_pmd_wp_page, do_huge_pmd_wp_page_fallback): a write fault found
 * its entry write-protected (fork left both sides so). mmap_sem is held for
 * read throughout, so they run beside other faults and madvise; no
 * anon_vma lock is taken but anon_vma_prepare's.
 *
 * do_wp_page, under the pte lock: trylock_page; a page mapped here alone is
 * reused, and page_move_anon_rmap makes it the vma's own anon_vma's (a
 * fork's child: the child's), under the page lock and the pte lock ||.
 * Else the page is pinned and the lock dropped ||; anon_vma_prepare (AV(w),
 * only for a vma without one) ||; the copy is made with no lock; then under
 * the pte lock again: pte_same, ptep_clear_flush | page_add_new_anon_rmap
 * of the copy into vma->anon_vma, set_pte_at_notify, page_remove_rmap of
 * the old page, unlock ||. A failed trylock_page pins the page and drops
 * the lock ||, sleeps in lock_page ||, retakes the pte lock and checks
 * pte_same before it decides.
 *
 * do_huge_pmd_wp_page, under the huge pmd's lock: a THP mapped here alone
 * is reused in place, with neither page_move_anon_rmap nor the page lock
 * (3.x); else get_page, unlock ||; the copy is made with no lock; relock,
 * pmd_same, pmdp_clear_flush | page_add_new_anon_rmap of the new THP,
 * set_pmd_at, VM_BUG_ON(!PageHead(old)), page_remove_rmap of the old THP,
 * unlock ||. When no THP can be allocated, do_huge_pmd_wp_page_fallback
 * copies into HPAGE_PMD_NR small pages and, under the same lock,
 * pmdp_clear_flush | maps them by a pte table in the huge pmd's place,
 * page_remove_rmap of the old THP, unlock ||: not a split, the old THP only
 * loses this mapping.
 *
 * "|" is the lock held across two steps: the kernel clears the entry and
 * sets the new one inside one lock section, which only an unlocked look
 * (try_to_unmap_one's pte peek; 3.13-3.14 split pass 1's pmd_present) can
 * see between.
 *
 * Model abstractions: pte_same and pmd_same compare what the model keeps
 * (kind, page, write, splitting; no young or dirty bit); the copy's page is
 * allocated under the relocked lock once the entry is found the same (a
 * page never mapped is invisible); the fallback's own failure (the kernel
 * then splits the THP: VM_FAULT_OOM and 3.13's retry, VM_FAULT_FALLBACK in
 * 3.15) and the memcg charge's are not modelled; the huge zero page is not
 * modelled. */
#include "ops.h"

static struct pte *wp_pte(const struct wp_page_frame *wp)
{
	struct pmd *pmd = mm_pmd(wp->mm, wp->addr);
	return pmd->kind == PMD_TABLE ? &pmd->pte[pte_index(wp->addr)] : NULL;
}

/* pte_same(): still the write-protected pte of the page the fault found. */
static bool wp_pte_same(const struct pte *pte, const struct page *page)
{
	return pte && pte->kind == PTE_PRESENT && pte->page == page && !pte_write(pte);
}

static bool wp_pmd_same(const struct pmd *pmd, const struct page *page)
{
	return pmd_trans_huge(pmd) && !pmd_trans_splitting(pmd) && pmd->page == page && !pmd_write(pmd);
}

static enum step_result wp_gone(struct world *w, struct task *t, struct wp_page_frame *wp,
				const char *step, const char *when)
{
	step_trace(w, t, step, "mm%d %#lx: the entry changed%s: return", wp->mm->id, wp->addr, when);
	task_return(t, 0);
	return STEP_DONE;
}

/* With the pte lock and the page lock: reuse_swap_page() (only this pte
 * maps the page) reuses it; else the copy, with the page pinned. Both
 * locks go. */
static enum step_result reuse_or_copy(struct world *w, struct task *t, struct frame *f,
				      struct pte *pte, struct lock *ptl)
{
	struct wp_page_frame *wp = &f->u.wp;
	struct page *old = wp->old_page;

	if (page_mapcount(old) == 1) {
		unsigned long from = old->mapping->id;
		step_trace(w, t, "page_move_anon_rmap", "mm%d %#lx page %lu mapped here alone: reused, "
			   "anon_vma %lu -> %lu", wp->mm->id, wp->addr, old->id, from,
			   wp->vma->anon_vma->id);
		page_move_anon_rmap(w, t, old, wp->vma, wp->addr);
		pte->write = true;
		task_return(t, 0);
	} else {
		step_trace(w, t, "do_wp_page", "mm%d %#lx page %lu mapped %d times: copy it "
			   "(page_cache_get, unlock)", wp->mm->id, wp->addr, old->id, page_mapcount(old));
		page_pin(w, old);
		f->pc = 3;
	}
	lock_drop(w, t, &old->lock);
	lock_drop(w, t, ptl);
	return STEP_DONE;
}

/* The copy's lock section, first half: pte_same, ptep_clear_flush. */
static enum step_result wp_clear(struct world *w, struct task *t, struct frame *f)
{
	struct wp_page_frame *wp = &f->u.wp;
	struct lock *ptl = pte_lockptr(w, wp->mm, wp->addr);
	struct pte *pte = wp_pte(wp);
	struct page *old = wp->old_page;

	if (!lock_take(w, t, ptl, true))
		return STEP_BLOCKED;
	if (!wp_pte_same(pte, old)) {
		lock_drop(w, t, ptl);
		page_unpin(w, t, old, "page_cache_release (do_wp_page)");
		return wp_gone(w, t, wp, "do_wp_page", " while unlocked, the copy is freed");
	}
	wp->new_page = alloc_anon_page(w, false);
	step_trace(w, t, "do_wp_page", "mm%d %#lx: page %lu copied to page %lu; ptep_clear_flush, "
		   "the new pte next", wp->mm->id, wp->addr, old->id, wp->new_page->id);
	*pte = (struct pte){ .kind = PTE_NONE };
	flush_tlb_page(w, t, wp->mm, wp->addr, "ptep_clear_flush (do_wp_page)");
	inflight_push(t, &(struct inflight){
		.kind = INFLIGHT_ZAP_PTE, .page = old, .from = mm_pmd(wp->mm, wp->addr), .mm = wp->mm,
		.addr = wp->addr });
	entry_event(w, t, ENTRY_TAKE, false, wp->mm, wp->addr, NULL, 0, old, false);
	f->pc = 5;
	return STEP_DONE;
}

/* Its second half: the new page mapped, then the old one's mapcount
 * dropped ("only after switching the pte to the new page"), unlock. */
static enum step_result wp_set(struct world *w, struct task *t, struct frame *f)
{
	struct wp_page_frame *wp = &f->u.wp;
	struct page *old = wp->old_page, *new = wp->new_page;
	struct pte *pte = wp_pte(wp);

	step_trace(w, t, "do_wp_page", "mm%d %#lx: page_add_new_anon_rmap page %lu (anon_vma %lu), "
		   "set_pte_at_notify, page_remove_rmap page %lu", wp->mm->id, wp->addr, new->id,
		   wp->vma->anon_vma->id, old->id);
	page_add_new_anon_rmap(new, wp->vma, wp->addr);
	*pte = (struct pte){ .kind = PTE_PRESENT, .write = true, .page = new };
	entry_event(w, t, ENTRY_SET, false, wp->mm, wp->addr, NULL, 0, new, false);
	t->nr_inflight = 0;
	page_remove_rmap(old);
	entry_event(w, t, ENTRY_CLEAR, false, wp->mm, wp->addr, NULL, 0, old, false);
	lock_drop(w, t, pte_lockptr(w, wp->mm, wp->addr));
	/* After the unlock: the old mapping's reference, then the pin. */
	put_page(w, t, old, "page_cache_release (do_wp_page)");
	page_unpin(w, t, old, "page_cache_release (do_wp_page)");
	wp->new_page = NULL;
	task_return(t, 0);
	return STEP_DONE;
}

enum step_result wp_page_step(struct world *w, struct task *t, struct frame *f)
{
	struct wp_page_frame *wp = &f->u.wp;
	struct page *old = wp->old_page;
	struct lock *ptl = pte_lockptr(w, wp->mm, wp->addr);

	switch (f->pc) {
	case 0: {
		/* handle_pte_fault's pte_same under the lock, then do_wp_page. */
		if (!lock_take(w, t, ptl, true))
			return STEP_BLOCKED;
		struct pte *pte = wp_pte(wp);
		if (!wp_pte_same(pte, old)) {
			lock_drop(w, t, ptl);
			return wp_gone(w, t, wp, "handle_pte_fault", "");
		}
		if (lock_trylock(w, t, &old->lock))
			return reuse_or_copy(w, t, f, pte, ptl);
		step_trace(w, t, "do_wp_page", "mm%d %#lx: trylock_page(page %lu) failed: page_cache_get, "
			   "unlock, lock_page", wp->mm->id, wp->addr, old->id);
		page_pin(w, old);
		lock_drop(w, t, ptl);
		f->pc = 1;
		return STEP_DONE;
	}
	case 1:
		if (!lock_take(w, t, &old->lock, true))
			return STEP_BLOCKED;
		step_trace(w, t, "lock_page", "page %lu", old->id);
		f->pc = 2;
		return STEP_DONE;
	case 2: {
		if (!lock_take(w, t, ptl, true))
			return STEP_BLOCKED;
		struct pte *pte = wp_pte(wp);
		/* page_cache_release, either way: the pte, the page lock
		 * or the copy's own pin keep it. */
		page_unpin(w, t, old, "page_cache_release (do_wp_page)");
		if (!wp_pte_same(pte, old)) {
			lock_drop(w, t, &old->lock);
			lock_drop(w, t, ptl);
			return wp_gone(w, t, wp, "do_wp_page", " while it slept");
		}
		return reuse_or_copy(w, t, f, pte, ptl);
	}
	case 3:
		/* gotten: anon_vma_prepare, a step only when the vma has none. */
		if (!wp->vma->anon_vma) {
			if (anon_vma_prepare(w, t, wp->vma) == STEP_BLOCKED)
				return STEP_BLOCKED;
			f->pc = 4;
			return STEP_DONE;
		}
		f->pc = 4;
		return wp_clear(w, t, f);
	case 4:
		return wp_clear(w, t, f);
	default:
		return wp_set(w, t, f);
	}
}

/* The THP copy's lock section, first half: put_page, pmd_same,
 * pmdp_clear_flush (the fallback's too). */
static enum step_result huge_wp_clear(struct world *w, struct task *t, struct frame *f)
{
	struct wp_page_frame *wp = &f->u.wp;
	struct pmd *pmd = mm_pmd(wp->mm, wp->addr);
	struct page *old = wp->old_page;
	const char *step = wp->fallback ? "do_huge_pmd_wp_page_fallback" : "do_huge_pmd_wp_page";

	if (!lock_take(w, t, huge_pmd_lockptr(w, wp->mm, wp->addr), true))
		return STEP_BLOCKED;
	if (!wp_pmd_same(pmd, old)) {
		page_unpin(w, t, old, "put_page (do_huge_pmd_wp_page)");
		lock_drop(w, t, huge_pmd_lockptr(w, wp->mm, wp->addr));
		return wp_gone(w, t, wp, step, " while unlocked, the copy is freed");
	}
	if (wp->fallback) {
		step_trace(w, t, step, "mm%d %#lx: no THP for the copy, THP page %lu copied to %d small "
			   "pages; pmdp_clear_flush, the pte table next", wp->mm->id, wp->addr, old->id,
			   HPAGE_PMD_NR);
	} else {
		/* 3.15 puts it here, under the lock; 3.13 later */
		page_unpin(w, t, old, "put_page (do_huge_pmd_wp_page)");
		wp->new_page = alloc_anon_page(w, true);
		step_trace(w, t, step, "mm%d %#lx: THP page %lu copied to THP page %lu; pmdp_clear_flush, "
			   "the new pmd next", wp->mm->id, wp->addr, old->id, wp->new_page->id);
	}
	set_pmd(pmd, PMD_NONE, NULL);
	flush_tlb_range(w, t, wp->mm, wp->addr, wp->addr + HPAGE_PMD_SIZE, "pmdp_clear_flush");
	inflight_push(t, &(struct inflight){
		.kind = INFLIGHT_ZAP, .page = old, .from = pmd, .mm = wp->mm, .addr = wp->addr });
	entry_event(w, t, ENTRY_TAKE, true, wp->mm, wp->addr, NULL, 0, old, false);
	f->pc = 2;
	return STEP_DONE;
}

/* Its second half: the new THP mapped; the old one must still be a THP
 * head (VM_BUG_ON_PAGE(!PageHead)) when its mapcount drops; unlock. */
static enum step_result huge_wp_set(struct world *w, struct task *t, struct frame *f)
{
	struct wp_page_frame *wp = &f->u.wp;
	struct pmd *pmd = mm_pmd(wp->mm, wp->addr);
	struct page *old = wp->old_page, *new = wp->new_page;

	step_trace(w, t, "do_huge_pmd_wp_page", "mm%d %#lx: page_add_new_anon_rmap THP page %lu "
		   "(anon_vma %lu), set_pmd_at, page_remove_rmap THP page %lu", wp->mm->id, wp->addr,
		   new->id, wp->vma->anon_vma->id, old->id);
	page_add_new_anon_rmap(new, wp->vma, wp->addr);
	set_pmd(pmd, PMD_HUGE, new);
	pmd->write = true;
	entry_event(w, t, ENTRY_SET, true, wp->mm, wp->addr, NULL, 0, new, false);
	if (!PageTransHuge(old)) {
		world_kernel_bug(w, "do_huge_pmd_wp_page: VM_BUG_ON_PAGE(!PageHead(page)): page %lu, "
				 "copied from mm%d %#lx, was split while the fault held the pmd's lock",
				 old->id, wp->mm->id, wp->addr);
		return STEP_DONE;
	}
	t->nr_inflight = 0;
	page_remove_rmap(old);
	entry_event(w, t, ENTRY_CLEAR, true, wp->mm, wp->addr, NULL, 0, old, false);
	put_page(w, t, old, "put_page (do_huge_pmd_wp_page)");	/* under the lock, in 3.15 */
	lock_drop(w, t, huge_pmd_lockptr(w, wp->mm, wp->addr));
	wp->new_page = NULL;
	task_return(t, 0);
	return STEP_DONE;
}

/* do_huge_pmd_wp_page_fallback's second half: the small copies mapped by
 * a pte table written before it is populated, so no walk sees it part
 * filled; then the old THP's mapcount drops; unlock. */
static enum step_result fallback_set(struct world *w, struct task *t, struct frame *f)
{
	struct wp_page_frame *wp = &f->u.wp;
	struct pmd *pmd = mm_pmd(wp->mm, wp->addr);
	struct page *old = wp->old_page;
	struct pmd table = { .kind = PMD_TABLE };

	for (int i = 0; i < HPAGE_PMD_NR; i++) {
		unsigned long addr = wp->addr + (unsigned long)i * PAGE_SIZE;
		struct page *page = alloc_anon_page(w, false);
		page_add_new_anon_rmap(page, wp->vma, addr);
		table.pte[i] = (struct pte){ .kind = PTE_PRESENT, .write = true, .page = page };
	}
	step_trace(w, t, "do_huge_pmd_wp_page_fallback", "mm%d %#lx: page_add_new_anon_rmap pages "
		   "%lu-%lu (anon_vma %lu), pmd_populate, page_remove_rmap THP page %lu", wp->mm->id,
		   wp->addr, table.pte[0].page->id, table.pte[HPAGE_PMD_NR - 1].page->id,
		   wp->vma->anon_vma->id, old->id);
	*pmd = table;
	for (int i = 0; i < HPAGE_PMD_NR; i++)
		entry_event(w, t, ENTRY_SET, false, wp->mm, wp->addr + (unsigned long)i * PAGE_SIZE, NULL,
			    0, table.pte[i].page, false);
	t->nr_inflight = 0;
	page_remove_rmap(old);
	entry_event(w, t, ENTRY_CLEAR, true, wp->mm, wp->addr, NULL, 0, old, false);
	lock_drop(w, t, huge_pmd_lockptr(w, wp->mm, wp->addr));
	put_page(w, t, old, "put_page (do_huge_pmd_wp_page_fallback)");
	page_unpin(w, t, old, "put_page (do_huge_pmd_wp_page)");
	task_return(t, 0);
	return STEP_DONE;
}

enum step_result huge_pmd_wp_page_step(struct world *w, struct task *t, struct frame *f)
{
	struct wp_page_frame *wp = &f->u.wp;
	struct page *old = wp->old_page;
	struct lock *ptl = huge_pmd_lockptr(w, wp->mm, wp->addr);

	switch (f->pc) {
	case 0: {
		if (!lock_take(w, t, ptl, true))
			return STEP_BLOCKED;
		struct pmd *pmd = mm_pmd(wp->mm, wp->addr);
		if (!wp_pmd_same(pmd, old)) {
			lock_drop(w, t, ptl);
			return wp_gone(w, t, wp, "do_huge_pmd_wp_page", "");
		}
		if (page_mapcount(old) == 1) {
			step_trace(w, t, "do_huge_pmd_wp_page", "mm%d %#lx THP page %lu mapped here alone: "
				   "reused in place (anon_vma %lu stays)", wp->mm->id, wp->addr, old->id,
				   old->mapping->id);
			pmd->write = true;
			task_return(t, 0);
		} else {
			step_trace(w, t, "do_huge_pmd_wp_page", "mm%d %#lx THP page %lu mapped %d times: copy "
				   "it (get_page, unlock)", wp->mm->id, wp->addr, old->id,
				   page_mapcount(old));
			page_pin(w, old);
			f->pc = 1;
		}
		lock_drop(w, t, ptl);
		return STEP_DONE;
	}
	case 1:
		return huge_wp_clear(w, t, f);
	default:
		return wp->fallback ? fallback_set(w, t, f) : huge_wp_set(w, t, f);
	}
}
