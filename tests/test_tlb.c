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
#include "run.h"
#include "scenario.h"
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

/* --- The races, as the fuzzer found them (crashers/, and the campaigns
 * the commits name), each judged under every row for the tlb family. --- */

static void tlb_only(struct scen *s, const char *protocol)
{
	sc_begin(s, protocol);
	s->o.families = FAMILY_TLB;
}

/* CVE-2018-18281 with a small page (3.2 to 4.18):
 *
 *      0     P     2P
 *      |AAAAA|               access 0: mm0's TLB takes 0 -> page
 *            |BBBBB|         mremap [0, P) -> P: move_ptes takes the pte
 *                            out and sets it at P, the page-table locks go
 *   migration: try_to_unmap_one finds the pte in B, ptep_clear_flush(P),
 *   the copy, remove_migration_ptes, putback_lru_page frees the page:
 *   move_page_tables' flush of [0, P) has not run, 0 still translates. */
static const char *mremap_pte_vs_migration(const char *protocol)
{
	struct scen s;
	tlb_only(&s, protocol);
	tw_mmap(s.w, 0, 0, P);
	tw_fault(s.w, 0, 0, false);
	struct page *page = tw_page(s.w, 0, 0);
	tw_run(s.w, start_access(s.w, 0, 0));
	int p = start_mremap(s.w, 0, 0, P, P);
	int m = start_migrate(s.w, page);
	sc_through(&s, p, "move_ptes", 2);	/* taken out, set at P, unlocked */
	while (task_find(s.w, m) && sc_step(&s, m))	/* the whole migration */
		;
	const char *v = sc_end(&s);
	sc_free(&s);
	return v;
}

/* The same with a THP (the fuzzer's first find, crashers/linux-3.15):
 * move_huge_pmd moves the huge pmd 2P -> 0 with no flush (3.15's has
 * none; eb66ae030829 added one under the locks), migration splits the THP
 * (its pmd flushes are of 0, the new address) and frees the head, which
 * mm0's huge TLB entry for 2P still covers. */
static const char *mremap_thp_vs_migration(const char *protocol)
{
	struct scen s;
	tlb_only(&s, protocol);
	tw_mmap(s.w, 0, 2 * P, P);
	tw_fault(s.w, 0, 2 * P, true);
	struct page *thp = tw_page(s.w, 0, 2 * P);
	CHECK(start_migrate(s.w, thp) > 0);
	int p = start_mremap(s.w, 0, 2 * P, P, 0);
	tw_run(s.w, start_access(s.w, 0, 2 * P));
	sc_through(&s, p, "move_huge_pmd", 1);	/* the pmd taken out, in flight */
	const char *v = sc_end(&s);	/* the migration (lower id) runs first */
	sc_free(&s);
	return v;
}

/* CVE-2022-41222 (crashers/move-normal-pmd): the fuzzer's mremap grows
 * [0, P) to 2P by moving it (MREMAP_MAYMOVE) to a hole at 14P:
 *
 *      0     P     2P               14P   15P   16P
 *      |AAAAA|.....|                 |BBBBBBBBBBB|
 *
 *   migration: try_to_unmap looks at A's pmd (its pte table) unlocked;
 *   move_normal_pmd moves the whole table 0 -> 14P under the pmd locks
 *   alone (need_rmap_locks is false: B is new) and flushes [0, P); an
 *   access fills 14P -> page; the walker takes the table's lock (it went
 *   with the table), clears the pte, now at 14P, and flushes 0, the
 *   address it computed through A; the page is freed. */
static const char *move_normal_pmd_vs_migration(const char *protocol)
{
	struct scen s;
	tlb_only(&s, protocol);
	tw_mmap(s.w, 0, 0, 2 * P);
	tw_fault(s.w, 0, 0, false);
	struct page *page = tw_page(s.w, 0, 0);
	int p = start_mremap_resize(s.w, 0, 0, P, 2 * P, MREMAP_MAYMOVE | MREMAP_ALLOC_FAILS);
	int m = start_migrate(s.w, page);
	sc_through(&s, p, "copy_vma", 1);
	sc_through(&s, m, "page_check_address", 1);	/* A's table, looked at */
	sc_step(&s, p);	/* move_normal_pmd (or, on other rows, move_ptes) */
	unsigned long at = tw_vma(s.w, 0, 1)->vm_start;
	tw_run(s.w, start_access(s.w, 0, at));
	const char *v = sc_end(&s);
	sc_free(&s);
	return v;
}

/* The fuzzer's find on all-fixes before split_refuses_pins joined it
 * (3.x's split_huge_page splits a THP whatever its count):
 *
 *   mm0 maps THP T at P (a huge TLB entry), mm1 is its fork; a migration
 *   of T takes the anon_vma lock for its split; mm0's munmap zaps its
 *   huge pmd, gathering T's head, and waits for the anon_vma lock to
 *   unlink; the split (it meets only mm1's pmd) gives the tails their own
 *   counts; mm1's exit frees the tails after its own flush; mm0's gather
 *   has not flushed: its huge TLB entry covers a freed page. 4.5's split
 *   refuses a THP with the gather's reference (split_refuses_pins). */
static const char *thp_zap_vs_split(const char *protocol)
{
	struct scen s;
	tlb_only(&s, protocol);
	tw_mmap(s.w, 0, 0, 2 * P);
	tw_fault(s.w, 0, P, true);
	struct page *thp = tw_page(s.w, 0, P);
	int child = tw_fork(s.w, 0);
	int m = start_migrate(s.w, thp);
	tw_run(s.w, start_access(s.w, 0, P));
	sc_through(&s, m, "anon_vma_lock_write", 1);	/* the split's lock */
	int x = start_exit_mmap(s.w, child);
	int z = start_munmap(s.w, 0, 0, 2 * P);
	sc_through(&s, z, "zap_huge_pmd", 3);	/* gathered; unlink waits */
	while (task_find(s.w, m) && sc_step(&s, m))
		;
	sc_through(&s, x, "free_pgtables", 1);	/* mm1's gather flushed and freed */
	const char *v = sc_end(&s);
	sc_free(&s);
	return v;
}

/* What every row must do: the late mremap flush (3.2-4.18: every row
 * without move_flush_locked) lets migration free a page a TLB still
 * translates, pte or (with move_huge_pmd) THP, but where split pass 1
 * peeks (3.13-3.14): the split meets the huge pmd in flight and BUGs first
 * (the walk family's split-missed-pmd); the whole-table move without the
 * rmap lock lets a walker flush the wrong address; 3.x's split of a THP a
 * zap still gathers frees its tails early, but where munmap unlinks before
 * it zaps (its unlink waits for the split, the zap comes after). */
static void races_under_every_protocol(void)
{
	for (int i = 0; i < nr_protocols; i++) {
		const struct protocol *p = &protocols[i];
		bool late_flush = !p->move_flush_locked;
		sc_check_verdict(p->name, mremap_pte_vs_migration(p->name),
				 late_flush ? "stale-tlb" : NULL);
		sc_check_verdict(p->name, mremap_thp_vs_migration(p->name),
				 late_flush && !p->no_thp_move && !p->split_pmd_peek ? "stale-tlb" : NULL);
		sc_check_verdict(p->name, move_normal_pmd_vs_migration(p->name),
				 p->move_normal_pmd && p->table_move_locks != RMAP_LOCKS_ALWAYS
				 ? "stale-tlb" : NULL);
		sc_check_verdict(p->name, thp_zap_vs_split(p->name),
				 p->split_refuses_pins || p->unlink_first ? NULL : "stale-tlb");
		/* What `rmapfuzz protocols` expects of the row's TLBs says
		 * "sound" only where none of these races is open (it said so of
		 * list-3.1 and list-3.0, whose THP window the verdicts found). */
		bool open = late_flush || (p->move_normal_pmd && p->table_move_locks != RMAP_LOCKS_ALWAYS) ||
			    (!p->split_refuses_pins && !p->unlink_first);
		if (open == !strcmp(protocol_expected_tlb(p), "sound"))
			fprintf(stderr, "%s: expected (tlb) '%s'\n", p->name, protocol_expected_tlb(p));
		CHECK_EQ(open, !!strcmp(protocol_expected_tlb(p), "sound"));
	}
}

/* Every invariant has its family; a run checks the families it is given:
 * the fuzzer's CVE-2018-18281 (crashers/linux-3.15) is the tlb family's,
 * and linux-3.15's walks pass it. */
static void families_select_what_is_checked(void)
{
	CHECK_EQ(invariant_family("stale-tlb"), FAMILY_TLB);
	CHECK_EQ(invariant_family("split-missed-pmd"), FAMILY_WALK);
	CHECK_EQ(invariant_family("kernel-bug"), FAMILY_WALK);
	CHECK_EQ(invariant_family("mapcount"), FAMILY_WALK);	/* a structural check */
	CHECK_EQ(invariant_family("anon-vma-lifetime"), FAMILY_LIFETIME);
	CHECK_EQ(invariant_family("model-bug"), 0);
	unsigned f;
	char why[128];
	CHECK(invariant_families_parse("walk,tlb", &f, why, sizeof(why)) && f == (FAMILY_WALK | FAMILY_TLB));
	CHECK(invariant_families_parse("all", &f, why, sizeof(why)) && f == FAMILY_ALL);
	CHECK(!invariant_families_parse("walk,", &f, why, sizeof(why)));
	CHECK(!invariant_families_parse("tlbs", &f, why, sizeof(why)));

	static const char text[] = "mmap mm0 slot2 1P now\n"
				   "fault mm0 slot2 thp now\n"
				   "migrate page0\n"
				   "mremap mm0 slot2 1P -> slot0\n"
				   "access mm0 slot2 now\n"
				   "step t2 t0 XXX\n";
	struct record recs[PROGRAM_MAX_RECORDS];
	struct scenario_error err;
	int n = scenario_parse(text, sizeof(text) - 1, recs, &err);
	CHECK_EQ(n, 6);
	struct run_result res;
	const struct protocol *p = protocol_find("linux-3.15");
	CHECK(rmap_run((const uint8_t *)recs, (size_t)n * RECORD_SIZE, p, 0, &res, NULL));
	CHECK_STR(res.invariant, "stale-tlb");
	CHECK(rmap_run((const uint8_t *)recs, (size_t)n * RECORD_SIZE, p, run_families(FAMILY_TLB), &res,
		       NULL));
	CHECK(!rmap_run((const uint8_t *)recs, (size_t)n * RECORD_SIZE, p, run_families(FAMILY_WALK),
			&res, NULL));
	CHECK(!rmap_run((const uint8_t *)recs, (size_t)n * RECORD_SIZE, protocol_find("all-fixes"), 0,
			&res, NULL));
}

TEST_MAIN(T(access_fills_and_hits), T(huge_entry_covers_the_pmd), T(zap_frees_after_the_flush),
	  T(exit_flushes_then_frees), T(migration_frees_the_old_page), T(cow_frees_the_old_page),
	  T(move_flushes_per_era), T(races_under_every_protocol), T(families_select_what_is_checked))
