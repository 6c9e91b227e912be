/* anon_vma lifetime and reuse (mm/rmap.c): refcounts as 3.x-5.x keep them,
 * the reuse counters of 3.19 (degree) and of 2555283eb40d (num_children,
 * num_active_vmas) across prepare, fork, clone and unlink, and the two
 * lifetime-family checks catching what they guard.
 *
 * Every world checks its structure after each step (tw_new), counters
 * included: these tests add the values the kernel would hold. P is one pmd
 * slot; "AV0" is anon_vma 0 (ids in allocation order). */
#include "anon_vma.h"
#include "oracle.h"
#include "protocol.h"
#include "script.h"
#include "task.h"
#include "test.h"
#include "world_util.h"

static void tw_exit(struct world *w, int mm) { tw_run(w, start_exit_mmap(w, mm)); }
static void tw_mprotect(struct world *w, int mm, unsigned long addr, unsigned long len, bool write)
{
	tw_run(w, start_mprotect(w, mm, addr, len, write));
}

static struct anon_vma *av_of(struct world *w, int mm, int nth) { return tw_vma(w, mm, nth)->anon_vma; }

static bool on_list(const struct list_head *head, const struct anon_vma *av)
{
	const struct anon_vma *a;
	list_for_each_entry(a, head, world_node)
		if (a == av)
			return true;
	return false;
}

/* refcount = the tree's reference while it holds an avc + one per child
 * pinning it as root + one per walker; at 0 it is freed, the root last.
 *
 *   mm0  |A|      AV0 (root): tree ref + AV1's root pin = 2
 *   mm1  |A'|     AV1: tree ref = 1, linked to AV0 and AV1
 */
static void refcounts_follow_the_kernel(void)
{
	struct world *w = tw_new("linux-3.15");
	struct page *page = tw_fork_layout(w);
	struct anon_vma *root = av_of(w, 0, 0), *child = av_of(w, 1, 0);

	CHECK(child->root == root && child->parent == root && root->parent == root);
	CHECK_EQ(root->refcount, 2);
	CHECK_EQ(child->refcount, 1);
	/* A split takes its page's anon_vma with page_get_anon_vma. */
	int s = start_split_huge_page(w, page);
	tw_step(w, s);
	CHECK_EQ(root->refcount, 3);
	tw_run(w, s);
	CHECK_EQ(root->refcount, 2);
	/* The child's exit empties AV1 (freed) and drops its pin on AV0. */
	tw_exit(w, 1);
	CHECK(child->dead && on_list(&w->dead_anon_vmas, child));
	CHECK_EQ(child->refcount, 0);
	CHECK_EQ(root->refcount, 1);
	tw_munmap(w, 0, 0, 2 * P);
	CHECK(root->dead);
	CHECK_EQ(w->nr_anon_vmas, 0);
	world_free(w);
}

/* The root outlives its family: with the parent's vma gone first, AV0's
 * tree still holds the child's avc, and AV1 pins it; the child's unlink
 * frees AV1, then (its pin dropped, its tree empty) AV0. */
static void root_outlives_its_family(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_fork_layout_small(w);
	struct anon_vma *root = av_of(w, 0, 0), *child = av_of(w, 1, 0);

	tw_exit(w, 0);
	CHECK(!root->dead);
	CHECK_EQ(root->nr_avcs, 1);
	CHECK_EQ(root->refcount, 2);
	tw_exit(w, 1);
	CHECK(child->dead && root->dead);
	world_free(w);
}

/* 3.19's degree: vmas using the anon_vma + children with avcs, a root its
 * own child.
 *
 *   mm0  |A  |B  |    prepare: AV0 degree 2 (A, itself); mprotect cuts B
 *                     off A with AV0 too: 3
 *   mm1  |A' |B' |    fork: AV1 (A'), AV2 (B'), children of AV0: 5
 *   mm2  |A''|        fork of mm1 after B' is unmapped: AV3 under AV1
 */
static void degree_counts_vmas_and_children(void)
{
	struct world *w = tw_new("linux-3.19");
	tw_mmap(w, 0, 0, 4 * P);
	tw_fault(w, 0, 0, false);
	struct anon_vma *av0 = av_of(w, 0, 0);
	CHECK_EQ(av0->degree, 2);
	tw_mprotect(w, 0, 2 * P, 2 * P, false);
	CHECK_EQ(tw_nr_vmas(w, 0), 2);
	CHECK(av_of(w, 0, 1) == av0);
	CHECK_EQ(av0->degree, 3);
	CHECK_EQ(tw_fork(w, 0), 1);
	struct anon_vma *av1 = av_of(w, 1, 0), *av2 = av_of(w, 1, 1);
	CHECK(av1 != av0 && av2 != av0 && av1 != av2);
	CHECK(av1->parent == av0 && av2->parent == av0);
	CHECK_EQ(av0->degree, 5);
	CHECK_EQ(av1->degree, 1);
	CHECK_EQ(av2->degree, 1);
	/* Unmapping B' empties AV2: AV0 loses a child, AV2 is freed. */
	tw_munmap(w, 1, 2 * P, 2 * P);
	CHECK(av2->dead);
	CHECK_EQ(av2->degree, 0);
	CHECK_EQ(av0->degree, 4);
	CHECK_EQ(tw_fork(w, 1), 2);
	struct anon_vma *av3 = av_of(w, 2, 0);
	CHECK(av3->parent == av1 && av3->root == av0);
	CHECK_EQ(av1->degree, 2);
	/* No counter of the other rule is kept. */
	CHECK_EQ(av0->num_children + av0->num_active_vmas + av1->num_children, 0);
	world_free(w);
}

/* The same history under the fix: num_children and num_active_vmas hold
 * degree's two halves. */
static void num_children_and_active_vmas_split_degree(void)
{
	struct world *w = tw_new("reuse-fixed");
	tw_mmap(w, 0, 0, 4 * P);
	tw_fault(w, 0, 0, false);
	struct anon_vma *av0 = av_of(w, 0, 0);
	CHECK_EQ(av0->num_children, 1);		/* the self-parent link */
	CHECK_EQ(av0->num_active_vmas, 1);
	tw_mprotect(w, 0, 2 * P, 2 * P, false);
	CHECK_EQ(av0->num_active_vmas, 2);
	CHECK_EQ(tw_fork(w, 0), 1);
	CHECK_EQ(av0->num_children, 3);
	CHECK_EQ(av0->num_active_vmas, 2);
	struct anon_vma *av1 = av_of(w, 1, 0);
	CHECK_EQ(av1->num_children, 0);
	CHECK_EQ(av1->num_active_vmas, 1);
	tw_exit(w, 1);
	CHECK_EQ(av0->num_children, 1);
	tw_munmap(w, 0, 0, 4 * P);
	CHECK(av0->dead);
	CHECK_EQ(av0->num_children + av0->num_active_vmas + av0->degree, 0);
	world_free(w);
}

/* What 7a3ef208e662 is for: a process that forks, and whose parent
 * exits, forks again and again ("constantly forking task"). The middle
 * anon_vma AV1 is left with one child and no vma; the next fork reuses it
 * instead of growing the chain, under both rules; a root never is.
 *
 *   mm0 AV0 -> fork mm1 AV1 -> fork mm2 AV2; mm1 exits: AV1 has AV2, no vma
 *   fork mm2 -> mm3: its vma takes AV1 (the oldest that qualifies)
 */
static void fork_reuses_an_anon_vma_left_with_one_child(void)
{
	const char *rows[] = { "linux-3.19", "reuse-fixed" };
	for (int r = 0; r < 2; r++) {
		struct world *w = tw_new(rows[r]);
		tw_mmap(w, 0, 0, 2 * P);
		tw_fault(w, 0, 0, false);
		CHECK_EQ(tw_fork(w, 0), 1);
		CHECK_EQ(tw_fork(w, 1), 2);
		struct anon_vma *av0 = av_of(w, 0, 0), *av1 = av_of(w, 1, 0), *av2 = av_of(w, 2, 0);
		tw_exit(w, 1);
		CHECK(!av1->dead);
		int before = w->nr_anon_vmas;
		CHECK_EQ(tw_fork(w, 2), 3);
		CHECK(av_of(w, 3, 0) == av1);
		CHECK_EQ(w->nr_anon_vmas, before);	/* nothing allocated */
		CHECK_EQ(av0->refcount, 3);		/* no new root pin either */
		if (r == 0) {
			CHECK_EQ(av1->degree, 2);	/* mm3's vma, AV2 */
		} else {
			CHECK_EQ(av1->num_children, 1);
			CHECK_EQ(av1->num_active_vmas, 1);
		}
		/* The root, with no vma left, still counts itself and AV1. */
		tw_exit(w, 0);
		CHECK_EQ(tw_fork(w, 3), 4);
		CHECK(av_of(w, 4, 0) != av0);
		(void)av2;
		world_free(w);
	}
}

/* docs/explore.md, "The default bound": no fork reuses an anon_vma
 * within 3 mms. A reused anon_vma is a non-root one on the parent vma's
 * chain and not its own, which takes three forks (mm0 to B makes it, B's
 * line to C makes the parent vma's own below it, and the reusing fork
 * makes a fourth mm), so the explorer's default bound (3 mms) leaves
 * linux-3.19's and reuse-fixed's rule unused. Every sequence of up to
 * five forks, unmaps (of a vma, of its first pmd) and moves (its first
 * pmd, past the mm's last vma): none reuses with at most 3 mms; with 4,
 * some do (the fork above). */
enum { REUSE_DEPTH = 5, REUSE_MAX_OPS = 24 };
struct reuse_op {
	int kind;		/* 0 fork, 1 munmap the vma, 2 munmap its first pmd, 3 mremap it */
	int mm, nth;
};

/* The world after ops[0, n); true when one of its forks reused. */
static bool run_reuse_ops(const char *row, const struct reuse_op *ops, int n, struct world **out)
{
	struct world *w = tw_new(row);
	bool reused = false;
	tw_mmap(w, 0, 0, 2 * P);
	tw_fault(w, 0, 0, false);
	for (int i = 0; i < n; i++) {
		const struct reuse_op *o = &ops[i];
		if (o->kind == 0) {
			/* Without a reuse, a new anon_vma per vma that has one. */
			unsigned long before = w->next_anon_vma_id, with = 0;
			for (int v = 0; v < tw_nr_vmas(w, o->mm); v++)
				with += tw_vma(w, o->mm, v)->anon_vma != NULL;
			tw_fork(w, o->mm);
			reused |= w->next_anon_vma_id - before < with;
		} else if (o->kind == 3) {
			struct vm_area_struct *v = tw_vma(w, o->mm, o->nth);
			unsigned long end = tw_vma(w, o->mm, tw_nr_vmas(w, o->mm) - 1)->vm_end;
			tw_mremap(w, o->mm, v->vm_start, P, end + P);
		} else {
			struct vm_area_struct *v = tw_vma(w, o->mm, o->nth);
			unsigned long len = o->kind == 1 ? v->vm_end - v->vm_start : P;
			tw_munmap(w, o->mm, v->vm_start, len);
		}
	}
	*out = w;
	return reused;
}

/* How many sequences from ops[0, n) on reuse, with at most max_mms mms. */
static int reusing_sequences(const char *row, struct reuse_op *ops, int n, int max_mms)
{
	struct world *w;
	if (run_reuse_ops(row, ops, n, &w)) {
		world_free(w);
		return 1;
	}
	int found = 0;
	if (n < REUSE_DEPTH) {
		struct reuse_op next[REUSE_MAX_OPS];
		int nn = 0;
		for (int mm = 0; mm < w->nr_mm; mm++) {
			if (w->nr_mm < max_mms)
				next[nn++] = (struct reuse_op){ 0, mm, 0 };
			int nv = tw_nr_vmas(w, mm);
			bool room = nv && tw_vma(w, mm, nv - 1)->vm_end + 2 * P <= TASK_SIZE;
			for (int v = 0; v < nv && nn + 3 <= REUSE_MAX_OPS; v++) {
				const struct vm_area_struct *vma = tw_vma(w, mm, v);
				next[nn++] = (struct reuse_op){ 1, mm, v };
				if (vma->vm_end - vma->vm_start > P)
					next[nn++] = (struct reuse_op){ 2, mm, v };
				if (room)
					next[nn++] = (struct reuse_op){ 3, mm, v };
			}
		}
		world_free(w);
		for (int i = 0; i < nn; i++) {
			ops[n] = next[i];
			found += reusing_sequences(row, ops, n + 1, max_mms);
		}
		return found;
	}
	world_free(w);
	return 0;
}

static void no_fork_reuses_within_three_mms(void)
{
	const char *rows[] = { "linux-3.19", "reuse-fixed" };
	for (int r = 0; r < 2; r++) {
		struct reuse_op ops[REUSE_DEPTH];
		CHECK_EQ(reusing_sequences(rows[r], ops, 0, 3), 0);
		CHECK(reusing_sequences(rows[r], ops, 0, 4) > 0);
	}
}

/* Before 3.19 every fork child gets an anon_vma of its own. */
static void no_reuse_before_3_19(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_mmap(w, 0, 0, 2 * P);
	tw_fault(w, 0, 0, false);
	tw_fork(w, 0);
	tw_fork(w, 1);
	struct anon_vma *av1 = av_of(w, 1, 0);
	tw_exit(w, 1);
	tw_fork(w, 2);
	CHECK(av_of(w, 3, 0) != av1);
	CHECK(av_of(w, 3, 0)->parent == av_of(w, 2, 0));
	CHECK_EQ(av1->degree + av1->num_children + av1->num_active_vmas, 0);
	world_free(w);
}

/* vma_adjust's importer takes the exporter's anon_vma before the clone
 * (b800c91a0517): a copy, never a reuse, counted on that anon_vma, and
 * the vma merged away uncounted by its unlink (mprotect's case 8).
 *   0    P    2P
 *   |a0rw|B1ro|      B faulted, a not: mprotect [0, P) ro
 *   |a0ro.....|      a imports B's anon_vma and absorbs B
 */
static void importer_copies_and_is_counted(void)
{
	const char *rows[] = { "linux-3.19", "reuse-fixed" };
	for (int r = 0; r < 2; r++) {
		struct world *w = tw_new(rows[r]);
		tw_mmap(w, 0, 0, 2 * P);
		tw_mprotect(w, 0, P, P, false);
		tw_fault(w, 0, P, false);
		struct anon_vma *av = av_of(w, 0, 1);
		tw_mprotect(w, 0, 0, P, false);
		CHECK_EQ(tw_nr_vmas(w, 0), 1);
		CHECK(av_of(w, 0, 0) == av);
		if (r == 0) {
			CHECK_EQ(av->degree, 2);
		} else {
			CHECK_EQ(av->num_active_vmas, 1);
			CHECK_EQ(av->num_children, 1);
		}
		world_free(w);
	}
}

/* The checks: a freed anon_vma named by a mapped page is anon-vma-lifetime;
 * a counter off by one, anon-vma-counters. */
static void checks_catch_lifetime_and_counters(void)
{
	struct world *w = tw_new("linux-3.19");
	struct page *page = tw_fork_layout_small(w);
	struct anon_vma *root = av_of(w, 0, 0), *child = av_of(w, 1, 0);
	struct check_failure f;

	tw_exit(w, 1);
	CHECK(child->dead);
	CHECK_EQ(rmap_check(w, &f), 0);
	page->mapping = child;	/* as a merge that lost the link would leave it */
	CHECK_EQ(rmap_check_lifetime(w, &f), -1);
	CHECK_STR(f.invariant, "anon-vma-lifetime");
	CHECK_EQ(rmap_check(w, &f), -1);
	CHECK_STR(f.invariant, "anon-vma-lifetime");
	page->mapping = root;
	root->degree++;
	CHECK_EQ(rmap_check(w, &f), -1);
	CHECK_STR(f.invariant, "anon-vma-counters");
	root->degree--;
	CHECK_EQ(rmap_check(w, &f), 0);
	CHECK_EQ(invariant_family("anon-vma-lifetime"), FAMILY_LIFETIME);
	CHECK_EQ(invariant_family("anon-vma-counters"), FAMILY_LIFETIME);
	CHECK_EQ(invariant_family("anon_vma-chain"), FAMILY_WALK);
	world_free(w);
}

/* Run task id alone to its end, the oracle watching (sc_*, not tw_run:
 * the script's end is where the oracle judges, and a world this test
 * breaks on purpose must not fail a check before then). */
static void sc_run(struct scen *s, int id)
{
	while (task_find(s->w, id) && sc_step(s, id))
		;
}

static int sc_fork(struct scen *s, int mm)
{
	int id = start_fork(s->w, mm);
	sc_run(s, id);
	return s->w->nr_mm - 1;
}

/* CVE-2022-42703 as the fuzzer found it on linux-3.19 from an empty
 * corpus (crashers/linux-3.19/rmap-reachable-8b978b02: 15 records, each
 * run alone; no race). AVn is anon_vma n, in allocation order; the vma
 * is one pmd slot [0, P), split at 3 pages by an mprotect.
 *
 *   mm0 |A   |  AV0, page 0 at 0        fork mm0 -> mm1 (AV1), mm2 (AV2)
 *   mm2 -> mm3 (AV3 under AV2); mm2 exits: AV2 left with one child, no vma
 *   mm3 -> mm4: reuses AV2 (degree 1); its chain keeps AV3, a leaf
 *   mm3 -> mm5 (AV4 under AV3): AV3 has a vma and a child, degree 2
 *   mm4 |ro |rw|  mprotect splits it: vma4, vma6, both AV2, chains AV0 AV2 AV3
 *   mm4 -> mm6: AV3's degree 2 stops reuse: vma7 AV5, vma8 AV6 (under AV2)
 *   mm5, mm3 exit: AV3 has no vma, no child: degree 0
 *   mm6 |ro |rw|  a fault at 3 pages: page 1 in vma8, page->mapping AV6
 *   mm6 -> mm7: vma9 reuses AV3 (degree 0 -> 1), and so does vma10 (1 < 2,
 *               not its parent's own): one anon_vma, two chains (AV5, AV6)
 *   mm7 |rw     |  mprotect joins them (vma_merge: the same anon_vma):
 *               vma9's chain has no AV6, yet it maps page 1: rmap-reachable
 *
 * 2555283eb40d's rule reuses AV3 once (num_active_vmas 1 after the first):
 * vma10 gets an anon_vma of its own, the vmas do not merge. */
static const char *double_reuse(const char *protocol, bool *shared)
{
	struct scen s;
	sc_begin(&s, protocol);
	struct world *w = s.w;
	sc_run(&s, start_mmap(w, 0, 0, P));
	sc_run(&s, start_fault(w, 0, 0, false));
	CHECK_EQ(sc_fork(&s, 0), 1);
	CHECK_EQ(sc_fork(&s, 0), 2);
	CHECK_EQ(sc_fork(&s, 2), 3);
	sc_run(&s, start_exit_mmap(w, 2));
	CHECK_EQ(sc_fork(&s, 3), 4);
	CHECK_EQ(sc_fork(&s, 3), 5);
	sc_run(&s, start_mprotect(w, 4, 0, P - PAGE_SIZE, false));
	CHECK_EQ(sc_fork(&s, 4), 6);
	sc_run(&s, start_exit_mmap(w, 5));
	sc_run(&s, start_exit_mmap(w, 3));
	sc_run(&s, start_fault(w, 6, P - PAGE_SIZE, false));
	struct page *page = tw_page(w, 6, P - PAGE_SIZE);
	CHECK(page->mapping == av_of(w, 6, 1));
	CHECK_EQ(sc_fork(&s, 6), 7);
	struct vm_area_struct *a = tw_vma(w, 7, 0), *b = tw_vma(w, 7, 1);
	*shared = a->anon_vma == b->anon_vma;
	/* Whatever the rule, the copies differ where their parents did. */
	CHECK(anon_vma_chain_holds(b, page->mapping) && !anon_vma_chain_holds(a, page->mapping));
	sc_run(&s, start_mprotect(w, 7, 0, P, true));
	return sc_finish(&s);
}

static void double_reuse_found_by_the_fuzzer(void)
{
	bool shared;
	CHECK_STR(double_reuse("linux-3.19", &shared), "rmap-reachable");
	CHECK(shared);
	CHECK(double_reuse("reuse-fixed", &shared) == NULL);
	CHECK(!shared);
	for (int i = 0; i < nr_protocols; i++) {
		const struct protocol *p = &protocols[i];
		sc_check_verdict(p->name, double_reuse(p->name, &shared),
				 p->anon_vma_reuse == REUSE_DEGREE ? "rmap-reachable" : NULL);
		CHECK_EQ(shared, p->anon_vma_reuse == REUSE_DEGREE);
	}
}

TEST_MAIN(T(refcounts_follow_the_kernel), T(root_outlives_its_family),
	  T(degree_counts_vmas_and_children), T(num_children_and_active_vmas_split_degree),
	  T(fork_reuses_an_anon_vma_left_with_one_child), T(no_fork_reuses_within_three_mms),
	  T(no_reuse_before_3_19),
	  T(importer_copies_and_is_counted), T(checks_catch_lifetime_and_counters),
	  T(double_reuse_found_by_the_fuzzer))
