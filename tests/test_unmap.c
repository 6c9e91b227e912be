/* madvise(MADV_DONTNEED) and exit_mmap: the two zaps beside munmap's, on
 * unmap_vmas (core/memory.c). What each does to page tables, vmas and
 * anon_vmas, that madvise runs beside faults, and the one race their zap
 * takes part in (a split walk's unlocked peek, 3.13-3.14) under every
 * protocol.
 *
 *   fork layout: mm0 maps THP T at [0, 2P); mm1 is its fork.
 *
 *      0     P     2P
 *      |TTTTT|.....|     mm0, and mm1 the same: T mapped twice
 */
#include "anon_vma.h"
#include "oracle.h"
#include "protocol.h"
#include "script.h"
#include "test.h"
#include "world_util.h"

static void run_madvise(struct world *w, int mm, unsigned long addr, unsigned long len)
{
	int id = start_madvise(w, mm, addr, len);
	CHECK(id > 0);
	tw_run(w, id);
}

/* The entries go; the vmas, their anon_vma and its chains stay. */
static void madvise_zaps_but_keeps_vmas(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_mmap(w, 0, 0, 2 * P);
	tw_fault(w, 0, 0, false);
	tw_fault(w, 0, P, false);
	struct page *a = tw_page(w, 0, 0), *b = tw_page(w, 0, P);
	struct vm_area_struct *vma = tw_vma(w, 0, 0);
	run_madvise(w, 0, 0, 2 * P);
	CHECK(tw_page(w, 0, 0) == NULL && tw_page(w, 0, P) == NULL);
	CHECK_EQ(page_mapcount(a), 0);
	CHECK_EQ(page_mapcount(b), 0);
	CHECK_EQ(tw_nr_vmas(w, 0), 1);
	CHECK(tw_vma(w, 0, 0) == vma && vma->anon_vma != NULL);
	CHECK(!list_empty(&vma->anon_vma_chain));
	/* A fault there maps a new page in the same anon_vma. */
	tw_fault(w, 0, 0, false);
	CHECK(tw_page(w, 0, 0) != a && tw_page(w, 0, 0)->mapping == vma->anon_vma);
	world_free(w);
}

/* A range that covers part of a THP splits it first: the rest stays mapped.
 *   before  |TTTTTTTTTTT|      after  |tt..tttttttt|  (one page zapped) */
static void madvise_splits_a_partly_covered_thp(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_mmap(w, 0, 0, P);
	tw_fault(w, 0, 0, true);
	struct page *thp = tw_page(w, 0, 0);
	run_madvise(w, 0, PAGE_SIZE, PAGE_SIZE);
	CHECK_EQ(tw_pmd(w, 0, 0)->kind, PMD_TABLE);
	CHECK(!PageTransHuge(thp));
	CHECK_EQ(tw_pte(w, 0, PAGE_SIZE)->kind, PTE_NONE);
	CHECK(tw_page(w, 0, 0) == thp && tw_page(w, 0, 2 * PAGE_SIZE) == thp + 2);
	CHECK_EQ(page_mapcount(thp + 1), 0);
	CHECK_EQ(page_mapcount(thp + 3), 1);
	world_free(w);
}

/* mmap_sem for read: a fault runs while madvise holds it; an mremap, which
 * wants it for write, waits. */
static void madvise_runs_beside_a_fault(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_mmap(w, 0, 0, 2 * P);
	tw_fault(w, 0, 0, false);
	int m = start_madvise(w, 0, 0, P);
	tw_step(w, m);	/* madvise: mmap_sem taken for read */
	CHECK(task_holds(task_find(w, m), &w->mm[0]->mmap_sem));
	int f = start_fault(w, 0, P, false);
	tw_run(w, f);	/* CHECKs that it never blocks */
	CHECK(tw_page(w, 0, P) != NULL);
	int r = start_mremap(w, 0, 0, P, 8 * P);
	CHECK(sched_step(w, r) == STEP_BLOCKED);
	tw_run(w, m);
	tw_run(w, r);
	CHECK(tw_page(w, 0, 0) == NULL);
	world_free(w);
}

/* exit_mmap of the child: its vmas, their avcs and its own anon_vma go; the
 * THP is mapped once again; nothing can name mm1 any more. */
static void exit_mmap_frees_the_mm(void)
{
	struct world *w = tw_new("linux-3.15");
	struct page *thp = tw_fork_layout(w);
	int before = w->nr_anon_vmas;
	int x = start_exit_mmap(w, 1);
	CHECK(x > 0);
	tw_run(w, x);
	CHECK_EQ(page_mapcount(thp), 1);
	CHECK_EQ(tw_nr_vmas(w, 1), 0);
	CHECK_EQ(tw_pmd(w, 1, 0)->kind, PMD_NONE);
	CHECK_EQ(w->nr_anon_vmas, before - 1);	/* the child's own */
	CHECK(w->mm[1]->exited);
	CHECK_EQ(start_fault(w, 1, 0, false), -1);
	CHECK_EQ(start_fork(w, 1), -1);
	CHECK_EQ(start_exit_mmap(w, 1), -1);
	/* The parent carries on. */
	tw_fault(w, 0, P, false);
	CHECK(tw_page(w, 0, P) != NULL);
	world_free(w);
}

/* The exit zaps before it unlinks: a split that takes the anon_vma lock in
 * between still visits the child's vma and finds its pmd gone, its
 * mapcount dropped with it. */
static void exit_mmap_zaps_before_it_unlinks(void)
{
	struct scen s;
	sc_begin(&s, "linux-3.15");
	struct page *thp = tw_fork_layout(s.w);
	int x = start_exit_mmap(s.w, 1);
	int t = start_split_huge_page(s.w, thp);
	sc_through(&s, x, "zap_huge_pmd", 3);	/* cleared, mapcount 1, unlocked */
	CHECK_EQ(page_mapcount(thp), 1);
	sc_through(&s, t, "anon_vma_lock_write", 1);
	CHECK_EQ(task_find(s.w, t)->frames[0].u.split.walk.nr, 2);	/* parent and child */
	CHECK(sc_end(&s) == NULL);
	CHECK(!PageTransHuge(thp));
	sc_free(&s);
}

/* Z zaps mm1's mapping of T (madvise, or its exit) while S splits T: the
 * zap clears the huge pmd, S's pass 1 looks at the child's pmd, then the
 * zap drops the mapcount. With 3.13-3.14's unlocked peek S skips the
 * cleared pmd and counts 1 against a mapcount of 2; every other row takes
 * the pmd's lock and waits for the zap to end. */
static const char *zap_race(const char *protocol, bool by_exit)
{
	struct scen s;
	sc_begin(&s, protocol);
	struct page *thp = tw_fork_layout(s.w);
	int z = by_exit ? start_exit_mmap(s.w, 1) : start_madvise(s.w, 1, 0, 2 * P);
	int t = start_split_huge_page(s.w, thp);
	sc_through(&s, z, "zap_huge_pmd", 1);	/* the child's pmd cleared */
	sc_through(&s, t, "__split_huge_page_splitting", 2);	/* parent frozen, child looked at */
	sc_step(&s, t);	/* the count check */
	const char *v = sc_end(&s);
	sc_free(&s);
	return v;
}

static void zap_races_a_peeking_split_under_every_protocol(void)
{
	for (int i = 0; i < nr_protocols; i++) {
		const struct protocol *p = &protocols[i];
		for (int by_exit = 0; by_exit < 2; by_exit++) {
			const char *v = zap_race(p->name, by_exit);
			if (p->split_pmd_peek)
				CHECK_STR(v, "split-missed-pmd");
			else
				CHECK(v == NULL);
		}
	}
}

TEST_MAIN(T(madvise_zaps_but_keeps_vmas), T(madvise_splits_a_partly_covered_thp),
	  T(madvise_runs_beside_a_fault), T(exit_mmap_frees_the_mm),
	  T(exit_mmap_zaps_before_it_unlinks), T(zap_races_a_peeking_split_under_every_protocol))
