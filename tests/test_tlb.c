/* The TLB (core/tlb.c) and page lifetime (core/page.c): what an access
 * fills, what each flush empties, and where pages are freed. The race
 * scripts at the end are written from what the fuzzer found (crashers/).
 *
 * Layouts (P = one pmd slot; the TLB holds an entry per page and one per
 * pmd slot for a huge pmd):
 *
 *      0     P     2P    3P
 *      |AAAAAAAAAAA|           mm0's vma, a page or a THP at 0
 */
#include "oracle.h"
#include "script.h"
#include "test.h"
#include "tlb.h"
#include "world_util.h"

static struct page *tw_access(struct world *w, int mm, unsigned long addr,
			      enum tlb_access_result want)
{
	struct page *page;
	CHECK_EQ(tlb_access(w, NULL, w->mm[mm], addr, &page), want);
	return page;
}

static bool maps(struct world *w, int mm, const struct page *page)
{
	unsigned long addr;
	bool huge;
	return tlb_maps(w->mm[mm], page, &addr, &huge);
}

/* A miss fills from a present pte, a hit does not look at the tables again:
 * after a munmap whose flush covers it, the entry is gone. */
static void access_fills_and_hits(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_mmap(w, 0, 0, 2 * P);
	tw_access(w, 0, 0, TLB_NOT_PRESENT);
	tw_fault(w, 0, 0, false);
	struct page *page = tw_page(w, 0, 0);
	CHECK(tw_access(w, 0, 0, TLB_FILLED) == page);
	CHECK(tw_access(w, 0, 0, TLB_HIT) == page);
	CHECK(maps(w, 0, page));
	/* A hit does not see the pte change: the TLB is what it is. */
	tw_pte(w, 0, 0)->kind = PTE_NONE;
	CHECK(tw_access(w, 0, 0, TLB_HIT) == page);
	tw_pte(w, 0, 0)->kind = PTE_PRESENT;
	tw_munmap(w, 0, 0, 2 * P);
	CHECK(!maps(w, 0, page));
	CHECK(page->freed);
	world_free(w);
}

/* A huge pmd fills one huge entry for the slot; any address in it hits; a
 * flush of one page of it drops the whole entry. */
static void huge_entry_covers_the_pmd(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_mmap(w, 0, 0, 2 * P);
	tw_fault(w, 0, 0, true);
	struct page *thp = tw_page(w, 0, 0);
	CHECK(PageTransHuge(thp));
	CHECK(tw_access(w, 0, PAGE_SIZE, TLB_FILLED) == thp + 1);
	CHECK(tw_access(w, 0, 3 * PAGE_SIZE, TLB_HIT) == thp + 3);
	unsigned long addr;
	bool huge;
	CHECK(tlb_maps(w->mm[0], thp, &addr, &huge));
	CHECK(huge && addr == 0);
	flush_tlb_page(w, NULL, w->mm[0], 2 * PAGE_SIZE, "test");
	CHECK(!maps(w, 0, thp));
	tw_access(w, 0, 0, TLB_FILLED);
	/* The split flushes the huge entry at pass 1 and again at pass 2. */
	tw_run(w, start_split_huge_page(w, thp));
	CHECK(!maps(w, 0, thp));
	CHECK(tw_access(w, 0, PAGE_SIZE, TLB_FILLED) == thp + 1);
	world_free(w);
}

/* Page counts: one reference per mapping, a fork's copy adds one, a zap
 * gathers them and frees after tlb_finish_mmu's flush. */
static void zap_frees_after_the_flush(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_mmap(w, 0, 0, P);
	tw_fault(w, 0, 0, false);
	struct page *page = tw_page(w, 0, 0);
	CHECK_EQ(page_count(page), 1);
	int child = tw_fork(w, 0);
	CHECK_EQ(page_count(page), 2);
	tw_access(w, 0, 0, TLB_FILLED);
	tw_access(w, child, 0, TLB_FILLED);
	tw_munmap(w, child, 0, P);
	CHECK_EQ(page_count(page), 1);
	CHECK(!page->freed);
	CHECK(!maps(w, child, page));
	CHECK(maps(w, 0, page));
	/* madvise's zap_page_range: the same gather. */
	tw_run(w, start_madvise(w, 0, 0, P));
	CHECK(page->freed);
	CHECK(!maps(w, 0, page));
	world_free(w);
}

/* exit_mmap flushes the whole mm before it frees. */
static void exit_flushes_then_frees(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_mmap(w, 0, 0, 2 * P);
	tw_fault(w, 0, 0, true);
	tw_fault(w, 0, P, false);
	struct page *thp = tw_page(w, 0, 0), *small = tw_page(w, 0, P);
	tw_access(w, 0, 0, TLB_FILLED);
	tw_access(w, 0, P, TLB_FILLED);
	tw_run(w, start_exit_mmap(w, 0));
	CHECK(thp->freed && thp[3].freed && small->freed);
	CHECK(!maps(w, 0, thp) && !maps(w, 0, small));
	world_free(w);
}

/* Migration: try_to_unmap_one flushes the address it clears, the old page
 * is freed at putback_lru_page, the new one keeps its mapping's reference. */
static void migration_frees_the_old_page(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_mmap(w, 0, 0, P);
	tw_fault(w, 0, 0, false);
	struct page *old = tw_page(w, 0, 0);
	tw_access(w, 0, 0, TLB_FILLED);
	tw_run(w, start_migrate(w, old));
	struct page *new = tw_page(w, 0, 0);
	CHECK(new != old);
	CHECK(old->freed);
	CHECK_EQ(page_count(new), 1);
	CHECK(!maps(w, 0, old));
	world_free(w);
}

/* A COW: ptep_clear_flush of the fault's address, the old page freed when
 * its last mapping goes (the other side unmapped meanwhile). */
static void cow_frees_the_old_page(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_mmap(w, 0, 0, P);
	tw_fault(w, 0, 0, false);
	struct page *old = tw_page(w, 0, 0);
	int child = tw_fork(w, 0);
	tw_access(w, child, 0, TLB_FILLED);
	tw_run(w, start_write_fault(w, child, 0, false, false));
	CHECK(tw_page(w, child, 0) != old);
	CHECK(!maps(w, child, old));
	CHECK_EQ(page_count(old), 1);
	tw_munmap(w, 0, 0, P);
	CHECK(old->freed);
	world_free(w);
}

/* mremap's move: 3.2-4.18 flush the old range after the loop, a step of
 * its own once the mm has a TLB; 4.19 on, under the page-table locks. */
static void move_flushes_per_era(void)
{
	const char *rows[] = { "linux-3.15", "all-fixes" };
	for (int r = 0; r < 2; r++) {
		struct world *w = tw_new(rows[r]);
		tw_mmap(w, 0, 0, P);
		tw_fault(w, 0, 0, false);
		struct page *page = tw_page(w, 0, 0);
		tw_access(w, 0, 0, TLB_FILLED);
		int id = start_mremap(w, 0, 0, P, 8 * P);
		bool flushed_in_the_move = false;
		while (task_find(w, id) && !w->halted) {
			tw_step(w, id);
			const char *step = task_find(w, id) ? task_find(w, id)->step : "";
			if (!maps(w, 0, page) && !strcmp(step, "move_ptes"))
				flushed_in_the_move = true;
		}
		CHECK(!maps(w, 0, page));
		CHECK_EQ(flushed_in_the_move, r == 1);
		world_free(w);
	}
}

TEST_MAIN(T(access_fills_and_hits), T(huge_entry_covers_the_pmd), T(zap_frees_after_the_flush),
	  T(exit_flushes_then_frees), T(migration_frees_the_old_page), T(cow_frees_the_old_page),
	  T(move_flushes_per_era))
