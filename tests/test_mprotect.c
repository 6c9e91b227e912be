/* mprotect: vma_merge's cases 4-8, __split_vma when nothing merges, the
 * THP a new boundary cuts, the interval tree's order after a re-keying,
 * and the races its steps take part in, under every protocol.
 *
 * Layouts in the manner of tools/testing/vma, in pmd slots (P, a THP's
 * worth): each vma is a letter, lower case when it has an anon_vma
 * (faulted), then its pgoff in units of P and its protection; T marks a
 * THP, t a page. "+1p" is one page further.
 */
#include <string.h>

#include "anon_vma.h"
#include "oracle.h"
#include "script.h"
#include "test.h"
#include "world_util.h"

#define PG(addr) ((addr) / PAGE_SIZE)

static void tw_mprotect(struct world *w, int mm, unsigned long addr, unsigned long len, bool write)
{
	int id = start_mprotect(w, mm, addr, len, write);
	CHECK(id > 0);
	tw_run(w, id);
}

/* mprotect traced: the steps' lines, to find vma_merge's case in. */
static void traced_mprotect(struct world *w, struct tw_trace *tr, int mm, unsigned long addr,
			    unsigned long len, bool write)
{
	tw_trace_on(w, tr);
	tw_mprotect(w, mm, addr, len, write);
	w->trace = NULL;
}

static bool traced(const struct tw_trace *tr, const char *words)
{
	if (tr->buf && strstr(tr->buf, words))
		return true;
	fprintf(stderr, "  not in the trace: %s\n%s", words, tr->buf ? tr->buf : "");
	return false;
}

/* Does words come before later in the trace? */
static bool traced_before(const struct tw_trace *tr, const char *words, const char *later)
{
	const char *a = tr->buf ? strstr(tr->buf, words) : NULL;
	const char *b = a ? strstr(a, later) : NULL;
	return a && b;
}

static void check_vma(struct world *w, int mm, int nth, unsigned long start, unsigned long end,
		      pgoff_t pgoff, unsigned long flags)
{
	tw_check_vma(w, mm, nth, start, end, pgoff);
	CHECK(!tw_vma(w, mm, nth) || tw_vma(w, mm, nth)->vm_flags == flags);
}

#define RW (VM_READ | VM_WRITE)
#define RO VM_READ

/* The vmas a walk of page visits, in its order (the index's). */
static int walk_order(struct world *w, struct page *page, struct vm_area_struct **out, int max)
{
	struct anon_vma_chain *avcs[8];
	int n = anon_vma_index_query(w, page->mapping, page->index, avcs, 8);
	for (int i = 0; i < n && i < max; i++)
		out[i] = avcs[i]->vma;
	return n;
}

/*   0    P    2P        4P
 *   |a0 rw t             |     mprotect [P, 2P) ro: no neighbour takes ro
 *   |a0rw|b1ro|c2 rw t   |     __split_vma at P, then at 2P: one anon_vma
 */
static void split_vma_when_nothing_merges(void)
{
	struct world *w = tw_new("linux-3.15");
	struct tw_trace tr;
	tw_mmap(w, 0, 0, 4 * P);
	tw_fault(w, 0, 0, false);
	tw_fault(w, 0, 3 * P, false);
	struct page *page = tw_page(w, 0, 3 * P);
	traced_mprotect(w, &tr, 0, P, P, false);
	CHECK(traced(&tr, "no merge, split_vma"));
	CHECK_EQ(tw_nr_vmas(w, 0), 3);
	check_vma(w, 0, 0, 0, P, 0, RW);
	check_vma(w, 0, 1, P, 2 * P, PG(P), RO);
	check_vma(w, 0, 2, 2 * P, 4 * P, PG(2 * P), RW);
	struct anon_vma *av = tw_vma(w, 0, 0)->anon_vma;
	CHECK(av && tw_vma(w, 0, 1)->anon_vma == av && tw_vma(w, 0, 2)->anon_vma == av);
	CHECK_EQ(av->nr_avcs, 3);
	CHECK(tw_page(w, 0, 3 * P) == page && page_mapcount(page) == 1);
	/* The same protection again changes nothing: no merge, no split. */
	tw_mprotect(w, 0, P, P, false);
	CHECK_EQ(tw_nr_vmas(w, 0), 3);
	tw_check(w);
	tw_trace_free(&tr);
	world_free(w);
}

/* Case 4 (adjust_next < 0): the range is a's tail, b takes it.
 *   0    P    2P        4P
 *   |a0 rw t  |b2 ro     |     mprotect [P, 2P) ro
 *   |a0rw|b1 ro t        |     a shrinks, b grows down; t stays at P
 */
static void case_4_next_grows_down(void)
{
	struct world *w = tw_new("linux-3.15");
	struct tw_trace tr;
	tw_mmap(w, 0, 0, 4 * P);
	tw_fault(w, 0, P, false);
	struct page *page = tw_page(w, 0, P);
	tw_mprotect(w, 0, 2 * P, 2 * P, false);
	struct vm_area_struct *a = tw_vma(w, 0, 0), *b = tw_vma(w, 0, 1);
	traced_mprotect(w, &tr, 0, P, P, false);
	CHECK(traced(&tr, "vma_merge case 4"));
	CHECK(traced(&tr, "(adjust_next -4)"));
	CHECK_EQ(tw_nr_vmas(w, 0), 2);
	CHECK(tw_vma(w, 0, 0) == a && tw_vma(w, 0, 1) == b);
	check_vma(w, 0, 0, 0, P, 0, RW);
	check_vma(w, 0, 1, P, 4 * P, PG(P), RO);
	CHECK(tw_page(w, 0, P) == page && vma_lookup(w->mm[0], P) == b);
	struct vm_area_struct *order[4];
	CHECK_EQ(walk_order(w, page, order, 4), 1);
	CHECK(order[0] == b);
	tw_check(w);
	tw_trace_free(&tr);
	world_free(w);
}

/* Case 4 with the new boundary inside a THP: vma_adjust_trans_huge splits
 * it before the anon_vma lock, then the ptes past P+1p are b's.
 *   0    P     2P       4P
 *   |a0 rw TT  |b2 ro    |     mprotect [P+1p, 2P) ro
 *   |a0 rw t|b ro tt     |     T split at P first
 */
static void case_4_splits_the_thp_it_cuts(void)
{
	struct world *w = tw_new("linux-3.15");
	struct tw_trace tr;
	tw_mmap(w, 0, 0, 4 * P);
	tw_fault(w, 0, P, true);
	struct page *thp = tw_page(w, 0, P);
	CHECK(PageTransHuge(thp));
	tw_mprotect(w, 0, 2 * P, 2 * P, false);
	traced_mprotect(w, &tr, 0, P + PAGE_SIZE, P - PAGE_SIZE, false);
	CHECK(traced(&tr, "vma_merge case 4"));
	CHECK(traced_before(&tr, "split_huge_page_pmd", ":vma_adjust vma"));
	CHECK(!PageTransHuge(thp));
	check_vma(w, 0, 0, 0, P + PAGE_SIZE, 0, RW);
	check_vma(w, 0, 1, P + PAGE_SIZE, 4 * P, PG(P) + 1, RO);
	for (int i = 0; i < HPAGE_PMD_NR; i++) {
		CHECK(tw_page(w, 0, P + (unsigned long)i * PAGE_SIZE) == thp + i);
		CHECK_EQ(page_mapcount(thp + i), 1);
	}
	CHECK(vma_lookup(w->mm[0], P + PAGE_SIZE) == tw_vma(w, 0, 1));
	tw_check(w);
	tw_trace_free(&tr);
	world_free(w);
}

/* Case 5 (adjust_next > 0): the range is b's head, a takes it; b's new
 * start cuts T, which is split first (the check on next->vm_start).
 *   0         2P        4P
 *   |a0 ro    |b2 rw TT  |     mprotect [2P, 2P+1p) ro
 *   |a0 ro     |b rw tt  |     a grows over b's first page
 */
static void case_5_prev_grows_over_next(void)
{
	struct world *w = tw_new("linux-3.15");
	struct tw_trace tr;
	tw_mmap(w, 0, 0, 4 * P);
	tw_fault(w, 0, 2 * P, true);
	struct page *thp = tw_page(w, 0, 2 * P);
	tw_mprotect(w, 0, 0, 2 * P, false);
	struct vm_area_struct *a = tw_vma(w, 0, 0), *b = tw_vma(w, 0, 1);
	CHECK(a->anon_vma && a->anon_vma == b->anon_vma);
	traced_mprotect(w, &tr, 0, 2 * P, PAGE_SIZE, false);
	CHECK(traced(&tr, "vma_merge case 5"));
	CHECK(traced(&tr, "(adjust_next 1)"));
	CHECK(traced_before(&tr, "split_huge_page_pmd mm0 0x8000", ":vma_adjust vma"));
	CHECK(!PageTransHuge(thp));
	CHECK(tw_vma(w, 0, 0) == a && tw_vma(w, 0, 1) == b);
	check_vma(w, 0, 0, 0, 2 * P + PAGE_SIZE, 0, RO);
	check_vma(w, 0, 1, 2 * P + PAGE_SIZE, 4 * P, PG(2 * P) + 1, RW);
	CHECK(tw_page(w, 0, 2 * P) == thp && vma_lookup(w->mm[0], 2 * P) == a);
	CHECK(tw_page(w, 0, 2 * P + PAGE_SIZE) == thp + 1);
	tw_check(w);
	tw_trace_free(&tr);
	world_free(w);
}

/* Case 6 (remove_next 2) and the importer: A and B never faulted, c has
 * its own anon_vma. A absorbs B, then (`again`) imports c's anon_vma in
 * an AV(w) section of its own and absorbs c.
 *   0    P    2P   3P
 *   |A0rw|B1ro|c2rw|      mprotect [P, 2P) rw
 *   |c0 rw t       |      one vma, c's anon_vma
 */
static void case_6_removes_two_and_imports(void)
{
	struct world *w = tw_new("linux-3.15");
	struct tw_trace tr;
	tw_mmap(w, 0, 0, 3 * P);
	tw_mprotect(w, 0, P, P, false);
	CHECK_EQ(tw_nr_vmas(w, 0), 3);
	tw_fault(w, 0, 2 * P, false);
	struct page *page = tw_page(w, 0, 2 * P);
	struct vm_area_struct *a = tw_vma(w, 0, 0), *b = tw_vma(w, 0, 1), *c = tw_vma(w, 0, 2);
	struct anon_vma *av = c->anon_vma;
	CHECK(av && !a->anon_vma && !b->anon_vma);
	char clone[64], unlink_b[64], unlink_c[64];
	snprintf(clone, sizeof(clone), "anon_vma_clone importer vma%lu from vma%lu", a->id, c->id);
	snprintf(unlink_b, sizeof(unlink_b), "anon_vma_merge unlink vma%lu", b->id);
	snprintf(unlink_c, sizeof(unlink_c), "anon_vma_merge unlink vma%lu", c->id);
	traced_mprotect(w, &tr, 0, P, P, true);
	CHECK(traced(&tr, "vma_merge case 6"));
	CHECK(traced_before(&tr, unlink_b, clone));
	CHECK(traced_before(&tr, clone, unlink_c));
	CHECK_EQ(tw_nr_vmas(w, 0), 1);
	CHECK(tw_vma(w, 0, 0) == a);
	check_vma(w, 0, 0, 0, 3 * P, 0, RW);
	CHECK(a->anon_vma == av && av->nr_avcs == 1);
	CHECK(tw_page(w, 0, 2 * P) == page && page->mapping == av);
	tw_check(w);
	tw_trace_free(&tr);
	world_free(w);
}

/* Case 7: the range is all of b; a takes it (same anon_vma).
 *   0    P    2P
 *   |a0rw|b1ro|      mprotect [P, 2P) rw
 *   |a0 rw    |      b merged away
 */
static void case_7_prev_absorbs_next(void)
{
	struct world *w = tw_new("linux-3.15");
	struct tw_trace tr;
	tw_mmap(w, 0, 0, 2 * P);
	tw_fault(w, 0, 0, false);
	tw_fault(w, 0, P, false);
	tw_mprotect(w, 0, P, P, false);
	CHECK_EQ(tw_nr_vmas(w, 0), 2);
	struct anon_vma *av = tw_vma(w, 0, 0)->anon_vma;
	CHECK_EQ(av->nr_avcs, 2);
	traced_mprotect(w, &tr, 0, P, P, true);
	CHECK(traced(&tr, "vma_merge case 7"));
	CHECK_EQ(tw_nr_vmas(w, 0), 1);
	check_vma(w, 0, 0, 0, 2 * P, 0, RW);
	CHECK_EQ(av->nr_avcs, 1);
	tw_check(w);
	tw_trace_free(&tr);
	world_free(w);
}

/* Case 8 and the importer: A, the range, never faulted; b has its own
 * anon_vma. A imports it and absorbs b (the odd one out: it extends A,
 * which takes b's flags after vma_adjust).
 *   0    P    2P
 *   |A0rw|b1ro|      mprotect [0, P) ro
 *   |b0 ro t  |
 */
static void case_8_area_absorbs_next_and_imports(void)
{
	struct world *w = tw_new("linux-3.15");
	struct tw_trace tr;
	tw_mmap(w, 0, 0, 2 * P);
	tw_mprotect(w, 0, P, P, false);
	tw_fault(w, 0, P, false);
	struct vm_area_struct *a = tw_vma(w, 0, 0), *b = tw_vma(w, 0, 1);
	struct anon_vma *av = b->anon_vma;
	CHECK(av && !a->anon_vma);
	char clone[64];
	snprintf(clone, sizeof(clone), "anon_vma_clone importer vma%lu from vma%lu", a->id, b->id);
	traced_mprotect(w, &tr, 0, 0, P, false);
	CHECK(traced(&tr, "vma_merge case 8"));
	CHECK(traced_before(&tr, clone, ":vma_adjust vma"));
	CHECK_EQ(tw_nr_vmas(w, 0), 1);
	CHECK(tw_vma(w, 0, 0) == a);
	check_vma(w, 0, 0, 0, 2 * P, 0, RO);
	CHECK(a->anon_vma == av && av->nr_avcs == 1);
	tw_check(w);
	tw_trace_free(&tr);
	world_free(w);
}

/* A faulted range never merges into a never-faulted neighbour (its empty
 * chain is not singular), which is why the importer case never arises in
 * 4 and 5, and arises in 6 and 8 only as above.
 *   0    P    2P
 *   |a0rw|B1ro|      mprotect [0, P) ro: case 8 refused
 *   |a0ro|B1ro|      a keeps its own vma, its flags changed
 */
static void faulted_range_never_merges_into_unfaulted(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_mmap(w, 0, 0, 2 * P);
	tw_mprotect(w, 0, P, P, false);
	tw_fault(w, 0, 0, false);
	CHECK(tw_vma(w, 0, 0)->anon_vma && !tw_vma(w, 0, 1)->anon_vma);
	tw_mprotect(w, 0, 0, P, false);
	CHECK_EQ(tw_nr_vmas(w, 0), 2);
	check_vma(w, 0, 0, 0, P, 0, RO);
	check_vma(w, 0, 1, P, 2 * P, PG(P), RO);
	tw_check(w);
	world_free(w);
}

/* A range over several vmas and a hole: each vma in turn, then -ENOMEM at
 * the hole, the vmas before it changed (as the kernel leaves them). */
static void range_over_vmas_stops_at_a_hole(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_mmap(w, 0, 0, 2 * P);
	tw_mprotect(w, 0, P, P, false);		/* [0, P) rw, [P, 2P) ro */
	tw_mmap(w, 0, 3 * P, P);
	tw_mprotect(w, 0, 0, 4 * P, false);	/* stops at the hole [2P, 3P) */
	CHECK_EQ(tw_nr_vmas(w, 0), 2);
	check_vma(w, 0, 0, 0, 2 * P, 0, RO);	/* case 8 joined the two */
	check_vma(w, 0, 1, 3 * P, 4 * P, PG(3 * P), RW);
	tw_check(w);
	world_free(w);
}

/* The re-keying moves a vma in the tree, not in the list. a's page at P is
 * mapped in mm0 (a) and in its fork mm1 (a'). Case 4 in mm0 hands [P, 2P)
 * to b, whose key then starts at P: the tree walks a' (key 0) first, then
 * b; the list keeps b where it was linked, before the fork's a'.
 *   mm0  |a0 rw t   |b2 ro    |  ->  |a0rw|b1 ro t        |
 *   mm1  |a'0 rw t  |b'2 ro   |      (unchanged)
 */
static void rekey_reorders_the_tree_not_the_list(void)
{
	const char *rows[] = { "linux-3.15", "list-3.3" };
	for (int r = 0; r < 2; r++) {
		struct world *w = tw_new(rows[r]);
		tw_mmap(w, 0, 0, 4 * P);
		tw_fault(w, 0, P, false);
		struct page *page = tw_page(w, 0, P);
		tw_mprotect(w, 0, 2 * P, 2 * P, false);
		int child = tw_fork(w, 0);
		struct vm_area_struct *a = tw_vma(w, 0, 0), *b = tw_vma(w, 0, 1);
		struct vm_area_struct *ac = tw_vma(w, child, 0), *order[4];
		CHECK_EQ(walk_order(w, page, order, 4), 2);
		CHECK(order[0] == a && order[1] == ac);	/* the parent first, in both */
		tw_mprotect(w, 0, P, P, false);		/* case 4 */
		CHECK_EQ(b->vm_start, P);
		CHECK_EQ(walk_order(w, page, order, 4), 2);
		if (w->proto->index == INDEX_TREE)
			CHECK(order[0] == ac && order[1] == b);
		else
			CHECK(order[0] == b && order[1] == ac);
		tw_check(w);
		world_free(w);
	}
}

/* A re-keying between a migration's two walks, under every protocol: the
 * entry stays where try_to_unmap put it, at P; case 4 hands P from a to b
 * (change_pte_range only makes a write migration entry a read one); the remove
 * walk, a fresh one, finds it through b. Every row runs it clean. */
static const char *rekey_between_migration_walks(const char *protocol, bool *migrated)
{
	struct scen s;
	sc_begin(&s, protocol);
	tw_mmap(s.w, 0, 0, 4 * P);
	tw_fault(s.w, 0, P, false);
	struct page *page = tw_page(s.w, 0, P);
	tw_mprotect(s.w, 0, 2 * P, 2 * P, false);
	int m = start_migrate(s.w, page);
	int t = start_mprotect(s.w, 0, P, P, false);
	sc_through(&s, m, "move_to_new_page", 1);	/* P holds a migration entry */
	CHECK_EQ(tw_pte(s.w, 0, P)->kind, PTE_MIGRATION);
	sc_through(&s, t, "up_write", 1);		/* case 4, all of it */
	CHECK_EQ(tw_vma(s.w, 0, 1)->vm_start, P);
	const char *v = sc_end(&s);
	*migrated = tw_page(s.w, 0, P) && tw_page(s.w, 0, P) != page;
	sc_free(&s);
	return v;
}

/* change_pte_range takes the pte out and sets it back under the pte lock;
 * try_to_unmap_one's unlocked peek between the two sees no pte and skips
 * it: the page stays mapped and the migration gives up. Harmless: every
 * row runs it clean, the page mapped where it was. */
static const char *protection_hides_pte_from_try_to_unmap(const char *protocol, bool *migrated)
{
	struct scen s;
	sc_begin(&s, protocol);
	tw_mmap(s.w, 0, 0, 2 * P);
	tw_fault(s.w, 0, 0, false);
	struct page *page = tw_page(s.w, 0, 0);
	int t = start_mprotect(s.w, 0, 0, 2 * P, false);
	int m = start_migrate(s.w, page);
	sc_through(&s, t, "change_pte_range", 1);	/* the pte out, the lock held */
	sc_through(&s, m, "try_to_unmap", 1);
	sc_step(&s, m);	/* the unlocked peek: nothing present */
	const char *v = sc_end(&s);
	*migrated = tw_page(s.w, 0, 0) != page;
	sc_free(&s);
	return v;
}

/* mprotect(PROT_READ) over a page under migration: change_pte_range makes
 * the write migration entry a read one in place, so remove_migration_pte
 * maps the new page read-only, as the vma now is. Kept, the write bit
 * would map it writable in a read-only vma. */
static void read_only_makes_a_migration_entry_read(void)
{
	struct scen s;
	sc_begin(&s, "linux-3.15");
	tw_mmap(s.w, 0, 0, 2 * P);
	tw_fault(s.w, 0, 0, false);
	struct page *page = tw_page(s.w, 0, 0);
	CHECK(tw_pte(s.w, 0, 0)->write);
	int m = start_migrate(s.w, page);
	sc_through(&s, m, "move_to_new_page", 1);
	CHECK_EQ(tw_pte(s.w, 0, 0)->kind, PTE_MIGRATION);
	CHECK(tw_pte(s.w, 0, 0)->write);
	int t = start_mprotect(s.w, 0, 0, 2 * P, false);
	sc_through(&s, t, "up_write", 1);
	CHECK_EQ(tw_pte(s.w, 0, 0)->kind, PTE_MIGRATION);
	CHECK(!tw_pte(s.w, 0, 0)->write);
	CHECK(sc_end(&s) == NULL);
	CHECK(tw_page(s.w, 0, 0) && tw_page(s.w, 0, 0) != page);
	CHECK(!tw_pte(s.w, 0, 0)->write);
	sc_free(&s);
}

static void rekey_and_migration_under_every_protocol(void)
{
	for (int i = 0; i < nr_protocols; i++) {
		bool migrated;
		const char *name = protocols[i].name;
		CHECK(rekey_between_migration_walks(name, &migrated) == NULL);
		CHECK(migrated);
		CHECK(protection_hides_pte_from_try_to_unmap(name, &migrated) == NULL);
		CHECK(!migrated);
	}
}

/* change_huge_pmd clears the huge pmd and sets it back under its lock. S
 * splits T, mapped in mm0 and its fork mm1, while mm0's mprotect holds
 * mm0's pmd out: a split pass 1 that reads pmd_present without the lock
 * (3.13-3.14: linux-3.14, peek-split-pmd) skips mm0's pmd and counts 1
 * against a mapcount of 2, the BUG_ON of b5a8cad376ee's first report with
 * mprotect in the zap's place; every other row's split waits for the lock
 * (3.12 and before: mm->page_table_lock, which change_huge_pmd holds). */
static const char *change_huge_pmd_race(const char *protocol)
{
	struct scen s;
	sc_begin(&s, protocol);
	struct page *thp = tw_fork_layout(s.w);
	int t = start_mprotect(s.w, 0, 0, 2 * P, false);
	int sp = start_split_huge_page(s.w, thp);
	sc_through(&s, t, "change_huge_pmd", 1);	/* mm0's pmd taken out */
	sc_through(&s, sp, "__split_huge_page_splitting", 1);	/* mm0: peek, or wait */
	sc_step(&s, t);	/* set back */
	const char *v = sc_end(&s);
	sc_free(&s);
	return v;
}

static void change_huge_pmd_races_a_peeking_split_under_every_protocol(void)
{
	for (int i = 0; i < nr_protocols; i++) {
		const struct protocol *p = &protocols[i];
		const char *v = change_huge_pmd_race(p->name);
		if (p->split_pmd_peek)
			CHECK_STR(v, "split-missed-pmd");
		else
			CHECK(v == NULL);
	}
}

/* A split that froze the huge pmd first: change_huge_pmd finds it
 * splitting, waits for the split's AV(w) (wait_split_huge_page) and
 * changes the ptes the split left. Every row runs it clean.
 *   0    P
 *   |a0 rw TT|   mprotect [0, P) ro while S splits T
 */
static const char *change_huge_pmd_waits_for_split(const char *protocol, bool *ptes)
{
	struct scen s;
	sc_begin(&s, protocol);
	tw_mmap(s.w, 0, 0, P);
	tw_fault(s.w, 0, 0, true);
	struct page *thp = tw_page(s.w, 0, 0);
	int sp = start_split_huge_page(s.w, thp);
	int t = start_mprotect(s.w, 0, 0, P, false);
	sc_through(&s, sp, "__split_huge_page_splitting", 1);	/* frozen */
	CHECK(pmd_trans_splitting(tw_pmd(s.w, 0, 0)));
	sc_through(&s, t, "change_huge_pmd", 1);	/* splitting: wait */
	CHECK(!sc_step(&s, t));	/* wait_split_huge_page: AV(w) is the split's */
	const char *v = sc_end(&s);
	*ptes = tw_pmd(s.w, 0, 0)->kind == PMD_TABLE && tw_page(s.w, 0, PAGE_SIZE) == thp + 1 &&
		tw_vma(s.w, 0, 0)->vm_flags == RO;
	sc_free(&s);
	return v;
}

/* Case 7 unlinks b from the mm in vma_adjust's AV(w) section and from the
 * index only in anon_vma_merge's, a step later: a split that takes the
 * lock in between visits b as well as a, both over the same huge pmd, and
 * freezes it once. Every row runs it clean.
 *   0    P    2P
 *   |a0rw|b1ro TT|    mprotect [P, 2P) rw: case 7, S splits T meanwhile
 */
static const char *split_between_unlink_and_anon_vma_merge(const char *protocol, int *visits)
{
	struct scen s;
	sc_begin(&s, protocol);
	tw_mmap(s.w, 0, 0, 2 * P);
	tw_fault(s.w, 0, P, true);
	struct page *thp = tw_page(s.w, 0, P);
	tw_mprotect(s.w, 0, P, P, false);
	int t = start_mprotect(s.w, 0, P, P, true);
	int sp = start_split_huge_page(s.w, thp);
	sc_through(&s, t, "vma_adjust", 1);	/* b out of the mm, still indexed */
	CHECK_EQ(tw_nr_vmas(s.w, 0), 1);
	sc_through(&s, sp, "anon_vma_lock_write", 1);
	struct task *split = task_find(s.w, sp);
	*visits = split ? split->frames[0].u.split.walk.nr : -1;
	const char *v = sc_end(&s);
	sc_free(&s);
	return v;
}

static void vma_adjust_and_split_orders_under_every_protocol(void)
{
	for (int i = 0; i < nr_protocols; i++) {
		bool ptes;
		int visits;
		CHECK(change_huge_pmd_waits_for_split(protocols[i].name, &ptes) == NULL);
		CHECK(ptes);
		CHECK(split_between_unlink_and_anon_vma_merge(protocols[i].name, &visits) == NULL);
		CHECK_EQ(visits, 2);
	}
}

/* The shape of Kirill Shutemov's 2014 reproducer: mprotect of part of a
 * THP's vma in one mm is the split (vma_adjust_trans_huge), an mremap in
 * another is the move. mm0 has the mail layout, a = [0, 2P) pgoff 0 and
 * b = [8P, 10P) pgoff 2P mapping T; mm1 is its fork. P: mm0 mremaps b back
 * to 2P, vma_merge grows a (its key sorts first). Q: mm1's mprotect of
 * [8P+1p, 10P) splits b' and, in vma_adjust, cuts T: split_huge_page.
 *   mm0  |a0 rw|              |b2 rw T|   <- P: b back to 2P, into a
 *   mm1  |a'0 rw|             |b'2 rw T|  <- Q: ro from 8P+1p: T split
 * Q's walk visits a (2P empty), P moves T's pmd 8P -> 2P, Q visits b (8P
 * empty), b' and the split-off part of b' (frozen once): counted 1,
 * page_mapcount 2 (the 2014 report: "mapcount 2 page_mapcount 3", with more
 * forks). A row breaks iff the huge pmd moves without the anon_vma lock and
 * nothing else orders or recounts the walk: the mail's race. */
static const char *mprotect_split_vs_mremap(const char *protocol)
{
	struct scen s;
	sc_begin(&s, protocol);
	tw_mmap(s.w, 0, 0, 4 * P);
	tw_fault(s.w, 0, 2 * P, true);
	struct page *thp = tw_page(s.w, 0, 2 * P);
	tw_mremap(s.w, 0, 2 * P, 2 * P, 8 * P);
	CHECK_EQ(tw_fork(s.w, 0), 1);
	CHECK_EQ(page_mapcount(thp), 2);
	int p = start_mremap(s.w, 0, 8 * P, 2 * P, 2 * P);
	int q = start_mprotect(s.w, 1, 8 * P + PAGE_SIZE, 2 * P - PAGE_SIZE, false);
	sc_through(&s, p, "vma_adjust", 1);	/* a grows over [2P, 4P) */
	sc_through(&s, q, "__split_huge_page_splitting", 1);	/* a: 2P empty */
	sc_through(&s, p, "move_huge_pmd", 2);	/* 8P -> 2P, when no lock stops it */
	const char *v = sc_end(&s);
	sc_free(&s);
	return v;
}

static void kirill_reproducer_shape_under_every_protocol(void)
{
	for (int i = 0; i < nr_protocols; i++) {
		const struct protocol *p = &protocols[i];
		bool breaks = p->pmd_move_locks == RMAP_LOCKS_NEVER && !p->split_retry &&
			      !p->moveto_tail && !p->no_thp_move && p->templist != TEMPLIST_ALL;
		const char *v = mprotect_split_vs_mremap(p->name);
		if (breaks)
			CHECK_STR(v, "split-missed-pmd");
		else
			CHECK(v == NULL);
	}
}

/* Every protocol runs every case above to the same layout. */
static void every_case_under_every_protocol(void)
{
	for (int i = 0; i < nr_protocols; i++) {
		struct world *w = tw_new(protocols[i].name);
		tw_mmap(w, 0, 0, 6 * P);
		tw_fault(w, 0, P, true);
		tw_fault(w, 0, 4 * P, false);
		tw_fork(w, 0);
		tw_mprotect(w, 0, P + PAGE_SIZE, 2 * P, false);	/* split twice, T cut */
		tw_mprotect(w, 0, P, PAGE_SIZE, false);		/* case 4 */
		tw_mprotect(w, 0, 3 * P, P, false);		/* case 5 */
		tw_mprotect(w, 0, 0, 6 * P, true);		/* 6, then the rest */
		CHECK_EQ(tw_nr_vmas(w, 0), 1);
		check_vma(w, 0, 0, 0, 6 * P, 0, RW);
		CHECK_EQ(w->nr_tasks, 0);
		tw_check(w);
		world_free(w);
	}
}

TEST_MAIN(T(split_vma_when_nothing_merges), T(case_4_next_grows_down),
	  T(case_4_splits_the_thp_it_cuts), T(case_5_prev_grows_over_next),
	  T(case_6_removes_two_and_imports), T(case_7_prev_absorbs_next),
	  T(case_8_area_absorbs_next_and_imports), T(faulted_range_never_merges_into_unfaulted),
	  T(range_over_vmas_stops_at_a_hole), T(rekey_reorders_the_tree_not_the_list),
	  T(rekey_and_migration_under_every_protocol), T(read_only_makes_a_migration_entry_read),
	  T(change_huge_pmd_races_a_peeking_split_under_every_protocol),
	  T(vma_adjust_and_split_orders_under_every_protocol),
	  T(kirill_reproducer_shape_under_every_protocol), T(every_case_under_every_protocol))
