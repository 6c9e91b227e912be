/* COW write faults (core/wp_page.c): do_wp_page reusing a page (and
 * page_move_anon_rmap to the vma's own anon_vma) or copying it into the
 * child's anon_vma; do_huge_pmd_wp_page reusing a THP in place, copying
 * it, or falling back to small pages; and the step orders against walkers
 * that matter, under every protocol.
 *
 *   small layout (tw_fork_layout_small): mm0 maps small page A at 0 of vma
 *   [0, 2P); mm1 is its fork, A shared and write-protected on both sides
 *   (mapcount 2).
 *
 *      0     P     2P
 *      |A....|.....|     mm0, anon_vma 0 (the root)
 *      |A....|.....|     mm1, linked to anon_vma 0 and to its own anon_vma 1
 *
 *   THP layout (tw_fork_layout): the same with THP T at [0, P).
 *
 *      |TTTTT|.....|     mm0 and mm1
 */
#include "anon_vma.h"
#include "oracle.h"
#include "protocol.h"
#include "script.h"
#include "test.h"
#include "world_util.h"

static void write_fault(struct world *w, int mm, unsigned long addr)
{
	tw_run(w, start_write_fault(w, mm, addr, false, false));
}

static struct anon_vma *own_anon_vma(struct world *w, int mm)
{
	return tw_vma(w, mm, 0)->anon_vma;
}

/* A fault maps its page writable; fork write-protects both sides (ptes and
 * huge pmds); a write fault on a writable entry changes nothing. */
static void fork_write_protects_both_sides(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_mmap(w, 0, 0, 2 * P);
	tw_fault(w, 0, 0, true);
	tw_fault(w, 0, P, false);
	CHECK(pmd_write(tw_pmd(w, 0, 0)) && pte_write(tw_pte(w, 0, P)));
	struct page *a = tw_page(w, 0, P);
	write_fault(w, 0, P);	/* writable: handle_pte_fault's pte_mkdirty only */
	CHECK(tw_page(w, 0, P) == a && a->mapping == own_anon_vma(w, 0));
	CHECK_EQ(tw_fork(w, 0), 1);
	for (int mm = 0; mm < 2; mm++) {
		CHECK(!pmd_write(tw_pmd(w, mm, 0)));
		CHECK(!pte_write(tw_pte(w, mm, P)));
	}
	world_free(w);
}

/* The child's write copies A into a new page of the child's own anon_vma;
 * A stays the parent's, mapped once, still write-protected there.
 *   before  mm1 |A....|      after  mm1 |B....|  B in anon_vma 1 */
static void copy_makes_a_page_in_the_child_anon_vma(void)
{
	struct world *w = tw_new("linux-3.15");
	struct page *a = tw_fork_layout_small(w);
	write_fault(w, 1, 0);
	struct page *b = tw_page(w, 1, 0);
	CHECK(b != a && b->mapping == own_anon_vma(w, 1));
	CHECK(own_anon_vma(w, 1) != own_anon_vma(w, 0));
	CHECK_EQ(b->index, 0);
	CHECK_EQ(page_mapcount(b), 1);
	CHECK_EQ(page_mapcount(a), 1);
	CHECK(a->mapping == own_anon_vma(w, 0));
	CHECK(pte_write(tw_pte(w, 1, 0)) && !pte_write(tw_pte(w, 0, 0)));
	CHECK_EQ(a->pins, 0);
	/* The parent's write now finds A mapped once: reused, no copy. */
	write_fault(w, 0, 0);
	CHECK(tw_page(w, 0, 0) == a && pte_write(tw_pte(w, 0, 0)));
	/* A migration of B walks the child's anon_vma: one vma, the child's. */
	int m = start_migrate(w, b);
	tw_run(w, m);
	CHECK(tw_page(w, 1, 0) != b && tw_page(w, 1, 0)->mapping == own_anon_vma(w, 1));
	world_free(w);
}

/* The parent unmaps A: the child's write finds it mapped once and reuses
 * it; page_move_anon_rmap moves it to the child's anon_vma. A migration
 * walk then searches only the child's anon_vma, and after the child forks
 * again it finds the grandchild there too (anon_vma_clone links it). */
static void reuse_moves_the_page_to_the_child_anon_vma(void)
{
	struct scen s;
	sc_begin(&s, "linux-3.15");
	struct world *w = s.w;
	struct page *a = tw_fork_layout_small(w);
	tw_munmap(w, 0, 0, 2 * P);
	CHECK_EQ(page_mapcount(a), 1);
	write_fault(w, 1, 0);
	CHECK(tw_page(w, 1, 0) == a);
	CHECK(a->mapping == own_anon_vma(w, 1) && a->mapping->root != a->mapping);
	CHECK(pte_write(tw_pte(w, 1, 0)));
	CHECK_EQ(tw_fork(w, 1), 2);
	CHECK_EQ(page_mapcount(a), 2);
	int m = start_migrate(w, a);
	sc_through(&s, m, "try_to_unmap", 1);
	const struct rmap_walk *walk = &task_find(w, m)->frames[0].u.migrate.walk;
	CHECK(walk->anon_vma == own_anon_vma(w, 1));
	CHECK_EQ(walk->nr, 2);	/* the child's vma, the grandchild's */
	CHECK(sc_end(&s) == NULL);
	CHECK(tw_page(w, 1, 0) != a && tw_page(w, 1, 0) == tw_page(w, 2, 0));
	sc_free(&s);
}

/* A THP mapped once is reused in place: no page_move_anon_rmap for a THP
 * (3.x), so it stays in the parent's anon_vma, and once split its small
 * pages are writable: a write on one moves nothing either. */
static void thp_reuse_keeps_its_anon_vma(void)
{
	struct world *w = tw_new("linux-3.15");
	struct page *t = tw_fork_layout(w);
	tw_munmap(w, 0, 0, 2 * P);
	write_fault(w, 1, 0);
	CHECK(tw_page(w, 1, 0) == t && PageTransHuge(t));
	CHECK(pmd_write(tw_pmd(w, 1, 0)));
	CHECK(t->mapping != own_anon_vma(w, 1));
	tw_run(w, start_split_huge_page(w, t));
	CHECK(pte_write(tw_pte(w, 1, PAGE_SIZE)));
	write_fault(w, 1, PAGE_SIZE);
	CHECK(tw_page(w, 1, PAGE_SIZE) == t + 1 && t[1].mapping == t->mapping);
	world_free(w);
}

/* The child's write copies T into a new THP of its own anon_vma; a split
 * of the new THP, shared again by the child's fork, walks that anon_vma. */
static void thp_copy_makes_a_thp_in_the_child_anon_vma(void)
{
	struct world *w = tw_new("linux-3.15");
	struct page *t = tw_fork_layout(w);
	write_fault(w, 1, PAGE_SIZE);
	struct page *u = tw_page(w, 1, 0);
	CHECK(u != t && PageTransHuge(u) && u->mapping == own_anon_vma(w, 1));
	CHECK(pmd_write(tw_pmd(w, 1, 0)));
	CHECK_EQ(page_mapcount(t), 1);
	CHECK_EQ(page_mapcount(u), 1);
	CHECK_EQ(t->pins, 0);
	CHECK_EQ(tw_fork(w, 1), 2);
	int s = start_split_huge_page(w, u);
	tw_step(w, s);
	tw_step(w, s);	/* anon_vma_lock_write: the plan is fixed */
	CHECK(task_find(w, s)->frames[0].u.split.walk.anon_vma == own_anon_vma(w, 1));
	CHECK_EQ(task_find(w, s)->frames[0].u.split.walk.nr, 2);
	tw_run(w, s);
	CHECK(!PageTransHuge(u) && tw_page(w, 2, 3 * PAGE_SIZE) == u + 3);
	world_free(w);
}

/* No THP to copy into: do_huge_pmd_wp_page_fallback maps HPAGE_PMD_NR new
 * small pages by a pte table; T is not split, only unmapped here.
 *   before  mm1 |TTTTT|      after  mm1 |abcd.|  a-d in anon_vma 1 */
static void thp_fallback_maps_small_copies(void)
{
	struct world *w = tw_new("linux-3.15");
	struct page *t = tw_fork_layout(w);
	tw_run(w, start_write_fault(w, 1, 0, false, true));
	CHECK_EQ(tw_pmd(w, 1, 0)->kind, PMD_TABLE);
	for (int i = 0; i < HPAGE_PMD_NR; i++) {
		unsigned long addr = (unsigned long)i * PAGE_SIZE;
		struct page *p = tw_page(w, 1, addr);
		CHECK(p && !PageTransHuge(p) && !PageTail(p));
		CHECK(p->mapping == own_anon_vma(w, 1) && p->index == (pgoff_t)i);
		CHECK(pte_write(tw_pte(w, 1, addr)));
	}
	CHECK(PageTransHuge(t) && page_mapcount(t) == 1 && tw_page(w, 0, 0) == t);
	CHECK_EQ(t->pins, 0);
	world_free(w);
}

/* The fault's reference on A across its unlocked window makes a migration
 * that locked A first give up (page_count), after the COW's trylock_page
 * failed and it slept in lock_page; the COW then finds its pte the same,
 * the old page back, and copies. */
static void trylock_fails_under_migration_and_pins_the_page(void)
{
	struct world *w = tw_new("linux-3.15");
	struct page *a = tw_fork_layout_small(w);
	int m = start_migrate(w, a);
	tw_step(w, m);	/* lock_page */
	int f = start_write_fault(w, 1, 0, false, false);
	tw_step(w, f);	/* handle_mm_fault */
	tw_step(w, f);	/* do_wp_page: trylock_page fails, page_cache_get */
	CHECK_EQ(a->pins, 1);
	CHECK_EQ(sched_step(w, f), STEP_BLOCKED);	/* lock_page sleeps */
	tw_run(w, m);	/* both ptes unmapped, A pinned: -EAGAIN, restored */
	CHECK(tw_page(w, 0, 0) == a && tw_page(w, 1, 0) == a);
	tw_run(w, f);
	CHECK(tw_page(w, 1, 0) != a && tw_page(w, 1, 0)->mapping == own_anon_vma(w, 1));
	CHECK_EQ(page_mapcount(a), 1);
	CHECK_EQ(a->pins, 0);
	world_free(w);
}

/* A write fault on a migration entry waits for the migration and faults
 * again: the migration restored a write-protected pte, so it copies. */
static void write_fault_waits_on_a_migration_entry(void)
{
	struct world *w = tw_new("linux-3.15");
	struct page *a = tw_fork_layout_small(w);
	int m = start_migrate(w, a);
	for (int i = 0; i < 6; i++)
		tw_step(w, m);	/* both ptes are migration entries */
	CHECK_EQ(tw_pte(w, 1, 0)->kind, PTE_MIGRATION);
	int f = start_write_fault(w, 1, 0, false, false);
	tw_step(w, f);	/* handle_mm_fault */
	tw_step(w, f);	/* migration_entry_wait */
	CHECK_EQ(sched_step(w, f), STEP_BLOCKED);
	tw_run(w, m);
	struct page *moved = tw_page(w, 0, 0);
	CHECK(moved != a && tw_page(w, 1, 0) == moved && !pte_write(tw_pte(w, 1, 0)));
	tw_run(w, f);
	CHECK(tw_page(w, 1, 0) != moved && page_mapcount(moved) == 1);
	world_free(w);
}

/* A walker racing each window of a COW, under a protocol: the verdict. */
enum cow_race {
	/* THP: split_huge_page's pass 1 while the copy has cleared the
	 * child's huge pmd and not yet set the new one (or, with fallback,
	 * its pte table): an unlocked pmd_present skips it (3.13-3.14). */
	RACE_SPLIT_IN_THP_CLEAR,
	RACE_SPLIT_IN_FALLBACK_CLEAR,
	/* THP: the whole split inside the copy's unlocked window: the copy
	 * finds its pmd no longer the same and returns (the CPU faults again,
	 * now on a pte). */
	RACE_SPLIT_IN_THP_UNLOCKED,
	/* Small page: a migration's try_to_unmap inside the copy's unlocked
	 * window: the pte is a migration entry when the copy relocks, so it
	 * returns; the migration gives up on the pinned page and restores it. */
	RACE_MIGRATION_IN_UNLOCKED,
	/* Small page: the migration's walk peeks at the child's pte between
	 * ptep_clear_flush and the new pte (try_to_unmap_one's unlocked look)
	 * and skips it; the copy then drops A's mapcount itself. */
	RACE_MIGRATION_IN_CLEAR,
	NR_COW_RACES
};

static const char *cow_race(const char *protocol, enum cow_race race)
{
	struct scen s;
	sc_begin(&s, protocol);
	bool thp = race <= RACE_SPLIT_IN_THP_UNLOCKED;
	struct page *page = thp ? tw_fork_layout(s.w) : tw_fork_layout_small(s.w);
	int f = start_write_fault(s.w, 1, 0, false, race == RACE_SPLIT_IN_FALLBACK_CLEAR);
	int t = thp ? start_split_huge_page(s.w, page) : start_migrate(s.w, page);
	const char *cow = thp ? "do_huge_pmd_wp_page" : "do_wp_page";
	switch (race) {
	case RACE_SPLIT_IN_THP_CLEAR:
		sc_through(&s, f, cow, 2);	/* cleared, the lock held */
		sc_through(&s, t, "__split_huge_page_splitting", 2);	/* parent frozen, child looked at */
		sc_step(&s, t);	/* the count check */
		break;
	case RACE_SPLIT_IN_FALLBACK_CLEAR:
		sc_through(&s, f, "do_huge_pmd_wp_page_fallback", 1);
		sc_through(&s, t, "__split_huge_page_splitting", 2);
		sc_step(&s, t);
		break;
	case RACE_SPLIT_IN_THP_UNLOCKED:
		sc_through(&s, f, cow, 1);	/* get_page, unlock */
		while (task_find(s.w, t) && sc_step(&s, t))
			;
		break;
	case RACE_MIGRATION_IN_UNLOCKED:
		sc_through(&s, f, cow, 1);	/* page_cache_get, unlock */
		sc_through(&s, t, "try_to_unmap_one", 2);
		break;
	default:	/* RACE_MIGRATION_IN_CLEAR */
		sc_through(&s, f, cow, 2);	/* ptep_clear_flush, the lock held */
		sc_through(&s, t, "try_to_unmap_one", 1);	/* the parent's */
		sc_step(&s, t);	/* the child's, peeked at */
		break;
	}
	const char *v = sc_end(&s);
	if (!v) {
		/* The copy was made (the child maps its own page, in its own
		 * anon_vma), or it found its entry changed and returned. A
		 * split that split_refuses_pins (4.5's count check) makes give
		 * up on the pinned THP leaves the copy to the COW. */
		bool copied = race != RACE_MIGRATION_IN_UNLOCKED &&
			      (race != RACE_SPLIT_IN_THP_UNLOCKED || s.w->proto->split_refuses_pins);
		struct page *mine = tw_page(s.w, 1, 0);
		CHECK_EQ(mine != tw_page(s.w, 0, 0), copied);
		CHECK(!copied || mine->mapping == own_anon_vma(s.w, 1));
		CHECK_EQ(page->pins, 0);
	}
	sc_free(&s);
	return v;
}

/* What every row must do: the clear window of a THP copy is the split
 * race of b5a8cad376ee's kind (3.13-3.14's unlocked pmd_present in split
 * pass 1; the rows with that peek report a missed pmd, the kernel's
 * BUG_ON); every other order is sound on every row. */
static void cow_races_under_every_protocol(void)
{
	for (int i = 0; i < nr_protocols; i++) {
		const struct protocol *p = &protocols[i];
		for (int race = 0; race < NR_COW_RACES; race++) {
			const char *v = cow_race(p->name, (enum cow_race)race);
			bool peeked = race == RACE_SPLIT_IN_THP_CLEAR || race == RACE_SPLIT_IN_FALLBACK_CLEAR;
			if (peeked && p->split_pmd_peek)
				CHECK_STR(v, "split-missed-pmd");
			else
				CHECK(v == NULL);
		}
	}
}

/* A fault of the same mm at the huge pmd a THP copy has cleared waits for
 * the copy's lock, the pmd's: __pte_alloc fills an empty pmd under it
 * (mm->page_table_lock before 3.13), so it finds the new THP, not an empty
 * pmd to put a pte table in. Every row. */
static void fault_waits_for_a_cleared_huge_pmd(void)
{
	for (int i = 0; i < nr_protocols; i++) {
		struct scen s;
		sc_begin(&s, protocols[i].name);
		tw_fork_layout(s.w);
		int f = start_write_fault(s.w, 1, 0, false, false);
		sc_through(&s, f, "do_huge_pmd_wp_page", 2);	/* cleared, the lock held */
		CHECK_EQ(tw_pmd(s.w, 1, 0)->kind, PMD_NONE);
		int g = start_fault(s.w, 1, PAGE_SIZE, false);
		CHECK(sc_step(&s, g));	/* handle_mm_fault */
		CHECK(!sc_step(&s, g));	/* waits for the pmd's lock */
		CHECK(sc_end(&s) == NULL);
		CHECK(pmd_trans_huge(tw_pmd(s.w, 1, 0)));
		sc_free(&s);
	}
}

/* The trace names each step after its kernel function. */
/* mprotect and the COW: a private vma's ptes are PAGE_COPY whatever its
 * VM_WRITE, so mprotect write-protects them and the next write fault is a
 * do_wp_page reuse (a page mapped once: page_move_anon_rmap); a write to a
 * read-only vma is refused (SIGSEGV) and maps nothing.
 *   |A....|  rw  --mprotect ro-->  |A....| ro, A write-protected
 *                --mprotect rw-->  |A....| rw, A still write-protected */
static void mprotect_write_protects_and_denies(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_mmap(w, 0, 0, P);
	tw_fault(w, 0, 0, false);
	struct page *a = tw_page(w, 0, 0);
	CHECK(pte_write(tw_pte(w, 0, 0)));
	tw_run(w, start_mprotect(w, 0, 0, P, false));
	CHECK(!pte_write(tw_pte(w, 0, 0)));
	int f = start_write_fault(w, 0, PAGE_SIZE, false, false);
	tw_run(w, f);
	CHECK_EQ(tw_pte(w, 0, PAGE_SIZE)->kind, PTE_NONE);	/* denied: nothing mapped */
	tw_run(w, start_mprotect(w, 0, 0, P, true));
	CHECK(!pte_write(tw_pte(w, 0, 0)));	/* PAGE_COPY: still write-protected */
	write_fault(w, 0, 0);
	CHECK(tw_page(w, 0, 0) == a);	/* reused, not copied */
	CHECK(pte_write(tw_pte(w, 0, 0)));
	world_free(w);
}

static void steps_are_named_in_kernel_words(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_fork_layout_small(w);
	struct tw_trace tr;
	tw_trace_on(w, &tr);
	write_fault(w, 1, 0);
	CHECK(strstr(tr.buf, "do_wp_page mm1 0 page 0 mapped 2 times: copy it") != NULL);
	CHECK(strstr(tr.buf, "ptep_clear_flush") != NULL);
	CHECK(strstr(tr.buf, "set_pte_at_notify, page_remove_rmap page 0") != NULL);
	CHECK(strstr(tr.buf, "up_read mm1 mmap_sem") != NULL);
	tw_trace_free(&tr);
	world_free(w);
}

TEST_MAIN(T(fork_write_protects_both_sides), T(copy_makes_a_page_in_the_child_anon_vma),
	  T(reuse_moves_the_page_to_the_child_anon_vma), T(thp_reuse_keeps_its_anon_vma),
	  T(thp_copy_makes_a_thp_in_the_child_anon_vma), T(thp_fallback_maps_small_copies),
	  T(trylock_fails_under_migration_and_pins_the_page),
	  T(write_fault_waits_on_a_migration_entry), T(cow_races_under_every_protocol),
	  T(fault_waits_for_a_cleared_huge_pmd), T(steps_are_named_in_kernel_words), T(mprotect_write_protects_and_denies))
