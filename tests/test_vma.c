/* vma_merge and __split_vma in the manner of tools/testing/vma: the layout
 * before and after, drawn in pmd slots (P). Lower case marks a vma with an
 * anon_vma (faulted), the digit its pgoff in units of P. */
#include "anon_vma.h"
#include "test.h"
#include "world_util.h"

#define PG(addr) ((addr) / PAGE_SIZE)

static void check_vma(struct world *w, int nth, unsigned long start, unsigned long end, pgoff_t pgoff)
{
	tw_check_vma(w, 0, nth, start, end, pgoff);
}

/*   0    P    2P             0    P    2P
 *   |aaaa|                   |aaaaaaaaa|
 *        |new|       ->
 */
static void merge_after_prev(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_mmap(w, 0, 0, P);
	tw_fault(w, 0, 0, false);
	tw_mmap(w, 0, P, P);
	CHECK_EQ(tw_nr_vmas(w, 0), 1);
	check_vma(w, 0, 0, 2 * P, 0);
	world_free(w);
}

/*   0    P    2P             0    P    2P
 *        |bbbb|                  |bbbbbbbbb|   (b's pgoff moves down)
 *   |new|           ->
 */
static void merge_before_next(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_mmap(w, 0, P, P);
	tw_fault(w, 0, P, false);
	struct page *page = tw_page(w, 0, P);
	tw_mmap(w, 0, 0, P);
	CHECK_EQ(tw_nr_vmas(w, 0), 1);
	check_vma(w, 0, 0, 2 * P, 0);
	CHECK(tw_page(w, 0, P) == page);
	CHECK_EQ(page->index, PG(P));
	world_free(w);
}

/*   0    P    2P   3P        0              3P
 *   |aaaa|    |cccc|   ->   |aaaaaaaaaaaaaa|   (case 1: c is merged away)
 *        |new|
 */
static void merge_both_removes_next(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_mmap(w, 0, 0, P);
	tw_fault(w, 0, 0, false);
	tw_mmap(w, 0, 2 * P, P);
	tw_fault(w, 0, 2 * P, false);
	CHECK_EQ(tw_nr_vmas(w, 0), 2);
	/* Both reuse one anon_vma? No: c faulted alone and got its own, so
	 * is_mergeable_anon_vma(prev, next) fails and only prev grows. */
	tw_mmap(w, 0, P, P);
	CHECK_EQ(tw_nr_vmas(w, 0), 2);
	check_vma(w, 0, 0, 2 * P, 0);
	world_free(w);

	/* With next not faulted, all three become one. */
	w = tw_new("linux-3.15");
	tw_mmap(w, 0, 0, P);
	tw_fault(w, 0, 0, false);
	tw_mmap(w, 0, 2 * P, P);
	tw_mmap(w, 0, P, P);
	CHECK_EQ(tw_nr_vmas(w, 0), 1);
	check_vma(w, 0, 0, 3 * P, 0);
	CHECK_EQ(tw_vma(w, 0, 0)->anon_vma->nr_avcs, 1);
	world_free(w);
}

/*   0    P    2P   3P        0              3P
 *   |AAAA|    |cccc|   ->   |cccccccccccccc|   (case 1, importer: the
 *        |new|                                 grown vma takes c's anon_vma)
 */
static void merge_both_imports_anon_vma(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_mmap(w, 0, 0, P);
	tw_mmap(w, 0, 2 * P, P);
	tw_fault(w, 0, 2 * P, false);
	struct page *page = tw_page(w, 0, 2 * P);
	struct anon_vma *av = tw_vma(w, 0, 1)->anon_vma;
	tw_mmap(w, 0, P, P);
	CHECK_EQ(tw_nr_vmas(w, 0), 1);
	check_vma(w, 0, 0, 3 * P, 0);
	CHECK(tw_vma(w, 0, 0)->anon_vma == av);
	CHECK_EQ(av->nr_avcs, 1);
	CHECK(tw_page(w, 0, 2 * P) == page);
	world_free(w);
}

/* pgoff must stay linear: a moved vma does not merge with a new mapping.
 *   0        8P   10P 11P
 *   |a0|     |a2..|       b = [8P, 10P) pgoff 2P/PAGE after mremap
 *                 |new|   pgoff 10P/PAGE: not b's continuation -> 3 vmas
 */
static void no_merge_without_linear_pgoff(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_mmap(w, 0, 0, 4 * P);
	tw_fault(w, 0, 2 * P, true);
	tw_mremap(w, 0, 2 * P, 2 * P, 8 * P);
	tw_mmap(w, 0, 10 * P, P);
	CHECK_EQ(tw_nr_vmas(w, 0), 3);
	check_vma(w, 1, 8 * P, 10 * P, PG(2 * P));
	check_vma(w, 2, 10 * P, 11 * P, PG(10 * P));
	world_free(w);
}

/* A forked vma (two avcs) never absorbs a new mapping. */
static void no_merge_with_forked_vma(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_mmap(w, 0, 0, P);
	tw_fault(w, 0, 0, false);
	int child = tw_fork(w, 0);
	tw_run(w, start_mmap(w, child, P, P));
	CHECK_EQ(tw_nr_vmas(w, child), 2);
	world_free(w);
}

/*   0    P    2P   3P   4P        0        2P   3P   4P
 *   |aaaaaaaaaaaaaaaaaaa|   ->   |aaaaaaaa|    |a12|    munmap [2P, 3P)
 */
static void split_keeps_pgoff_linear(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_mmap(w, 0, 0, 4 * P);
	tw_fault(w, 0, 0, false);
	tw_fault(w, 0, 3 * P, false);
	struct page *page = tw_page(w, 0, 3 * P);
	tw_munmap(w, 0, 2 * P, P);
	CHECK_EQ(tw_nr_vmas(w, 0), 2);
	check_vma(w, 0, 0, 2 * P, 0);
	check_vma(w, 1, 3 * P, 4 * P, PG(3 * P));
	CHECK(tw_vma(w, 0, 0)->anon_vma == tw_vma(w, 0, 1)->anon_vma);
	CHECK_EQ(tw_vma(w, 0, 0)->anon_vma->nr_avcs, 2);
	CHECK_EQ(page->index, PG(3 * P));
	world_free(w);
}

/* Re-keying moves a vma behind its equal-start peers: after a fork the
 * parent's avc is walked before the child's (same key, inserted first);
 * shrinking the parent re-inserts it, now after the child. The walk order
 * is the tree's, not the vmas' age. */
static void rekey_moves_behind_equal_starts(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_mmap(w, 0, 0, 4 * P);
	tw_fault(w, 0, 0, false);
	int child = tw_fork(w, 0);
	struct anon_vma *av = tw_vma(w, 0, 0)->anon_vma;
	struct anon_vma_chain *out[4];

	CHECK_EQ(anon_vma_index_query(w, av, 0, out, 4), 2);
	CHECK(out[0]->vma == tw_vma(w, 0, 0));
	CHECK(out[1]->vma == tw_vma(w, child, 0));
	tw_munmap(w, 0, 3 * P, P);
	CHECK_EQ(anon_vma_index_query(w, av, 0, out, 4), 2);
	CHECK(out[0]->vma == tw_vma(w, child, 0));
	CHECK(out[1]->vma == tw_vma(w, 0, 0));
	world_free(w);

	/* The list form keeps insertion order whatever the re-keying. */
	w = tw_new("list-3.0");
	tw_mmap(w, 0, 0, 4 * P);
	tw_fault(w, 0, 0, false);
	child = tw_fork(w, 0);
	av = tw_vma(w, 0, 0)->anon_vma;
	tw_munmap(w, 0, 3 * P, P);
	CHECK_EQ(anon_vma_index_query(w, av, 0, out, 4), 2);
	CHECK(out[0]->vma == tw_vma(w, 0, 0));
	CHECK(out[1]->vma == tw_vma(w, child, 0));
	world_free(w);
}

/* Under the tree a walk only meets vmas whose range holds the index. */
static void walk_visits_only_covering_vmas(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_mmap(w, 0, 0, 4 * P);
	tw_fault(w, 0, 0, false);
	tw_munmap(w, 0, P, P);	/* [0, P) and [2P, 4P), one anon_vma */
	struct anon_vma *av = tw_vma(w, 0, 0)->anon_vma;
	struct anon_vma_chain *out[4];
	CHECK_EQ(anon_vma_index_query(w, av, 0, out, 4), 1);
	CHECK_EQ(anon_vma_index_query(w, av, PG(P), out, 4), 0);
	CHECK_EQ(anon_vma_index_query(w, av, PG(3 * P), out, 4), 1);
	CHECK(out[0]->vma == tw_vma(w, 0, 1));
	world_free(w);
}

TEST_MAIN(T(merge_after_prev), T(merge_before_next), T(merge_both_removes_next),
	  T(merge_both_imports_anon_vma), T(no_merge_without_linear_pgoff),
	  T(no_merge_with_forked_vma), T(split_keeps_pgoff_linear),
	  T(rekey_moves_behind_equal_starts), T(walk_visits_only_covering_vmas))
