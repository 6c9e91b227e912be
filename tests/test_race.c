/* The mail's races as scripted interleavings (protocols.md).
 *
 * linux-3.14: one mm, A = [0, 2P) pgoff 0 and B = [8P, 10P) pgoff 8 on one
 * anon_vma, B mapping THP T. Task P mremaps B back to 2P: vma_merge grows A,
 * whose key sorts before B's. Task S splits T.
 *
 *      0     2P    4P          8P    10P
 *      |AAAAA|                 |BBBBB|      T at 8P
 *      |AAAAAAAAAAA|   <- P: vma_merge grows A over [2P, 4P)
 *
 *   S locks AV(w), visits A: pmd 2P empty
 *   P moves the huge pmd 8P -> 2P (3.14: no anon_vma lock)
 *   S visits B: pmd 8P empty. counted 0, page_mapcount 1: BUG.
 */
#include <string.h>

#include "anon_vma.h"
#include "test.h"
#include "world_util.h"

struct visits {
	int n;
	unsigned long addr[8];
	int result[8];
	int walk_end_count;
};

static void record_visits(void *ctx, struct world *w, const struct rmap_event *ev)
{
	struct visits *v = ctx;
	(void)w;
	if (ev->kind == EV_WALK_VISIT && ev->walk->kind == WALK_SPLIT_PASS1 && v->n < 8) {
		v->addr[v->n] = ev->addr;
		v->result[v->n++] = ev->result;
	}
	if (ev->kind == EV_WALK_END && ev->walk->kind == WALK_SPLIT_PASS1)
		v->walk_end_count = ev->result;
}

/* Build the layout: returns T. */
static struct page *mail_layout(struct world *w)
{
	tw_mmap(w, 0, 0, 4 * P);
	tw_fault(w, 0, 2 * P, true);
	struct page *thp = tw_page(w, 0, 2 * P);
	CHECK(thp && PageTransHuge(thp));
	tw_mremap(w, 0, 2 * P, 2 * P, 8 * P);
	CHECK_EQ(tw_nr_vmas(w, 0), 2);
	CHECK_EQ(tw_vma(w, 0, 0)->vm_end, 2 * P);
	CHECK_EQ(tw_vma(w, 0, 1)->vm_start, 8 * P);
	CHECK_EQ(tw_vma(w, 0, 1)->vm_pgoff, 2 * P / PAGE_SIZE);
	CHECK(tw_page(w, 0, 8 * P) == thp);
	CHECK(tw_vma(w, 0, 0)->anon_vma == tw_vma(w, 0, 1)->anon_vma);
	return thp;
}

/* The interleaving; returns after S's count check. */
static void mail_interleaving(struct world *w, struct page *thp, int *p_out, int *s_out)
{
	int p = start_mremap(w, 0, 8 * P, 2 * P, 2 * P);
	int s = start_split_huge_page(w, thp);
	tw_step(w, p);	/* mremap_to: mmap_sem */
	tw_step(w, p);	/* copy_vma: vma_merge -> vma_adjust grows A (AV(w)) */
	CHECK_EQ(tw_vma(w, 0, 0)->vm_end, 4 * P);
	tw_step(w, s);	/* page_get_anon_vma */
	tw_step(w, s);	/* anon_vma_lock_write: A then B */
	tw_step(w, s);	/* visit A: 2P empty */
	*p_out = p;
	*s_out = s;
}

static void mail_race_linux_3_14(void)
{
	struct world *w = tw_new("linux-3.14");
	struct visits v = { 0 };
	struct page *thp = mail_layout(w);
	int p, s;

	w->event = record_visits;
	w->event_ctx = &v;
	mail_interleaving(w, thp, &p, &s);
	tw_step(w, p);	/* move_huge_pmd 8P -> 2P, no anon_vma lock: clear 8P */
	tw_step(w, p);	/* set 2P, drop the page-table locks */
	CHECK(tw_page(w, 0, 2 * P) == thp);
	tw_step(w, s);	/* visit B: 8P empty now */
	CHECK_EQ(sched_step(w, s), STEP_DONE);	/* __split_huge_page: the count check */

	CHECK_EQ(w->halted, HALT_KERNEL_BUG);
	CHECK(strstr(w->halt_message, "mapcount 0 page_mapcount 1") != NULL);
	CHECK_EQ(v.n, 2);
	CHECK_EQ(v.addr[0], 2 * P);	/* A first: its key sorts first */
	CHECK_EQ(v.addr[1], 8 * P);
	CHECK_EQ(v.result[0] + v.result[1], 0);
	CHECK_EQ(v.walk_end_count, 0);
	/* The split ended with the moved pmd huge and never frozen. */
	struct pmd *pmd = tw_pmd(w, 0, 2 * P);
	CHECK(pmd_trans_huge(pmd) && !pmd->splitting && pmd->page == thp);
	CHECK_EQ(page_mapcount(thp), 1);
	world_free(w);
}

static void mail_race_linux_3_15(void)
{
	struct world *w = tw_new("linux-3.15");
	struct visits v = { 0 };
	struct page *thp = mail_layout(w);
	int p, s;

	w->event = record_visits;
	w->event_ctx = &v;
	mail_interleaving(w, thp, &p, &s);
	/* need_rmap_locks: the move waits for the split's AV(w). */
	CHECK_EQ(sched_step(w, p), STEP_BLOCKED);
	CHECK(!task_runnable(w, task_find(w, p)));
	CHECK(tw_page(w, 0, 8 * P) == thp);
	tw_step(w, s);	/* visit B: frozen */
	tw_step(w, s);	/* count check passes */
	CHECK_EQ(w->halted, HALT_NONE);
	CHECK_EQ(v.walk_end_count, 1);
	sched_drain(w);
	tw_check(w);
	CHECK_EQ(w->halted, HALT_NONE);
	CHECK_EQ(w->nr_tasks, 0);
	/* Nothing missed: A = [0, 4P) maps T's four pages by ptes at 2P. */
	CHECK_EQ(tw_nr_vmas(w, 0), 1);
	CHECK_EQ(tw_vma(w, 0, 0)->vm_end, 4 * P);
	for (int i = 0; i < HPAGE_PMD_NR; i++) {
		CHECK(tw_page(w, 0, 2 * P + (unsigned long)i * PAGE_SIZE) == thp + i);
		CHECK_EQ(page_mapcount(thp + i), 1);
	}
	CHECK(!PageTransHuge(thp));
	world_free(w);
}

/* The same script with the move before the split's lock: both protocols
 * are fine, the split then finds the pmd in A. */
static void move_before_split_is_fine(void)
{
	const char *names[] = { "linux-3.14", "linux-3.15" };
	for (int i = 0; i < 2; i++) {
		struct world *w = tw_new(names[i]);
		struct page *thp = mail_layout(w);
		int p = start_mremap(w, 0, 8 * P, 2 * P, 2 * P);
		tw_run(w, p);
		int s = start_split_huge_page(w, thp);
		tw_run(w, s);
		CHECK_EQ(w->halted, HALT_NONE);
		CHECK(tw_page(w, 0, 2 * P) == thp);
		CHECK_EQ(tw_pmd(w, 0, 2 * P)->kind, PMD_TABLE);
		world_free(w);
	}
}

/* fork vs split: the child's avc has the parent's key, so the stable tree
 * walks it after the parent. A split that freezes the parent first makes
 * fork wait and copy ptes; a copy made before the freeze is found in the
 * child. Under tree-left the child is walked first and its copy is missed. */
static int fork_race(const char *protocol, struct page **thp_out, struct world **w_out)
{
	struct world *w = tw_new(protocol);
	tw_mmap(w, 0, 0, 2 * P);
	tw_fault(w, 0, 0, true);
	struct page *thp = tw_page(w, 0, 0);
	int f = start_fork(w, 0);
	int s = start_split_huge_page(w, thp);
	tw_step(w, f);	/* dup_mmap */
	tw_step(w, f);	/* anon_vma_fork: child linked */
	tw_step(w, s);	/* page_get_anon_vma */
	tw_step(w, s);	/* anon_vma_lock_write */
	tw_step(w, s);	/* first visit */
	*thp_out = thp;
	*w_out = w;
	return f;
}

static void fork_race_stable_tree(void)
{
	struct world *w;
	struct page *thp;
	int f = fork_race("linux-3.15", &thp, &w);

	/* Parent visited and frozen: fork's copy_huge_pmd must wait. */
	CHECK(pmd_trans_splitting(tw_pmd(w, 0, 0)));
	tw_step(w, f);	/* copy_huge_pmd: splitting -> wait_split_huge_page */
	CHECK_EQ(tw_pmd(w, 1, 0)->kind, PMD_NONE);
	CHECK_EQ(sched_step(w, f), STEP_BLOCKED);
	sched_drain(w);
	tw_check(w);
	CHECK_EQ(w->halted, HALT_NONE);
	for (int i = 0; i < HPAGE_PMD_NR; i++) {
		CHECK(tw_page(w, 1, (unsigned long)i * PAGE_SIZE) == thp + i);
		CHECK_EQ(page_mapcount(thp + i), 2);
	}
	world_free(w);
}

static void fork_race_copy_first_stable_tree(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_mmap(w, 0, 0, 2 * P);
	tw_fault(w, 0, 0, true);
	struct page *thp = tw_page(w, 0, 0);
	int f = start_fork(w, 0);
	int s = start_split_huge_page(w, thp);
	tw_step(w, f);	/* dup_mmap */
	tw_step(w, f);	/* anon_vma_fork */
	tw_step(w, f);	/* copy_huge_pmd: mapcount 2 */
	CHECK_EQ(page_mapcount(thp), 2);
	tw_run(w, s);	/* finds both */
	tw_run(w, f);
	CHECK_EQ(w->halted, HALT_NONE);
	CHECK_EQ(tw_pmd(w, 1, 0)->kind, PMD_TABLE);
	world_free(w);
}

static void fork_race_tree_left(void)
{
	struct world *w;
	struct page *thp;
	int f = fork_race("tree-left", &thp, &w);
	int s = w->task[1]->id;

	/* The child came first and was empty; the parent is not frozen yet. */
	CHECK(!pmd_trans_splitting(tw_pmd(w, 0, 0)));
	tw_step(w, f);	/* copy_huge_pmd into the already-walked child */
	CHECK_EQ(page_mapcount(thp), 2);
	tw_step(w, s);	/* parent: frozen, count 1 */
	CHECK_EQ(sched_step(w, s), STEP_DONE);
	CHECK_EQ(w->halted, HALT_KERNEL_BUG);
	CHECK(strstr(w->halt_message, "mapcount 1 page_mapcount 2") != NULL);
	CHECK(pmd_trans_huge(tw_pmd(w, 1, 0)) && !tw_pmd(w, 1, 0)->splitting);
	world_free(w);
}

TEST_MAIN(T(mail_race_linux_3_14), T(mail_race_linux_3_15), T(move_before_split_is_fine),
	  T(fork_race_stable_tree), T(fork_race_copy_first_stable_tree), T(fork_race_tree_left))
