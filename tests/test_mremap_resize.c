/* mremap to a new length, without MREMAP_FIXED (core/mremap.c): shrink,
 * grow in place, grow by moving (to where get_unmapped_area puts it: the
 * highest hole that fits, at its top), and move_vma's move-back when
 * move_page_tables moves less than asked; then walks racing the move-back
 * under every protocol.
 *
 * P = one pmd of address space (4 pages, a THP's worth); pgoffs are in
 * pages, an anonymous vma's is the address it was first mapped at.
 */
#include <string.h>

#include "anon_vma.h"
#include "oracle.h"
#include "protocol.h"
#include "script.h"
#include "test.h"
#include "world_util.h"

#define PG PAGE_SIZE

static void resize(struct world *w, unsigned long addr, unsigned long old_len,
		   unsigned long new_len, unsigned flags)
{
	tw_run(w, start_mremap_resize(w, 0, addr, old_len, new_len, flags));
}

/* A vma whose pgoff does not follow its neighbour's, so it never merges
 * with it: mapped (and faulted) at from, then moved to addr. */
static void blocker(struct world *w, unsigned long addr, unsigned long from)
{
	tw_mmap(w, 0, from, P);
	tw_fault(w, 0, from, false);
	tw_mremap(w, 0, from, P, addr);
}

/*   before  2P        4P        6P           after  2P        4P
 *           |a........|..b......|                   |a........|
 *   do_munmap of [4P, 6P): b unmapped, vma0 keeps [2P, 4P). */
static void shrink_unmaps_the_tail(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_mmap(w, 0, 2 * P, 4 * P);
	tw_fault(w, 0, 2 * P, false);
	tw_fault(w, 0, 4 * P + PG, false);
	struct page *a = tw_page(w, 0, 2 * P), *b = tw_page(w, 0, 4 * P + PG);
	struct vm_area_struct *vma = tw_vma(w, 0, 0);
	resize(w, 2 * P, 4 * P, 2 * P, 0);
	CHECK_EQ(tw_nr_vmas(w, 0), 1);
	CHECK(tw_vma(w, 0, 0) == vma && vma->vm_start == 2 * P && vma->vm_end == 4 * P);
	CHECK(tw_page(w, 0, 2 * P) == a && page_mapcount(a) == 1);
	CHECK(tw_page(w, 0, 4 * P + PG) == NULL && page_mapcount(b) == 0);
	/* The same length: nothing to do. */
	resize(w, 2 * P, 2 * P, 2 * P, 0);
	CHECK(vma->vm_start == 2 * P && vma->vm_end == 4 * P);
	world_free(w);
}

/*   before  2P   3P              after  2P             5P
 *           |TTTT|                      |TTTT.........|     vma0, same pgoff
 *   vma_adjust under AV(w): the vma grows, its THP stays, keyed anew. */
static void grow_in_place_when_the_hole_fits(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_mmap(w, 0, 2 * P, P);
	tw_fault(w, 0, 2 * P, true);
	struct page *thp = tw_page(w, 0, 2 * P);
	struct vm_area_struct *vma = tw_vma(w, 0, 0);
	struct tw_trace tr;
	tw_trace_on(w, &tr);
	resize(w, 2 * P, P, 3 * P, 0);
	CHECK(tw_vma(w, 0, 0) == vma && vma->vm_start == 2 * P && vma->vm_end == 5 * P);
	CHECK_EQ(vma->vm_pgoff, (2 * P) >> PAGE_SHIFT);
	CHECK(tw_page(w, 0, 2 * P) == thp && pmd_trans_huge(tw_pmd(w, 0, 2 * P)));
	CHECK(strstr(tr.buf, "vma0 grows in place") && strstr(tr.buf, ":vma_adjust "));
	CHECK(!strstr(tr.buf, "move_"));
	tw_trace_free(&tr);
	world_free(w);
}

/* Not to the vma's end, or no room after it: without MREMAP_MAYMOVE,
 * -ENOMEM and nothing changes.
 *   2P   3P   4P
 *   |aaaa|bbbb|      vma0 [2P, 3P), the blocker [3P, 4P) pgoff 10P */
static void grow_without_maymove_fails(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_mmap(w, 0, 2 * P, P);
	tw_fault(w, 0, 2 * P, false);
	blocker(w, 3 * P, 10 * P);
	struct tw_trace tr;
	tw_trace_on(w, &tr);
	resize(w, 2 * P, P, 2 * P, 0);
	resize(w, 2 * P, PG, 2 * PG, 0);	/* not to its end */
	CHECK(strstr(tr.buf, "no MREMAP_MAYMOVE") != NULL);
	CHECK(strstr(tr.buf, "no room to grow in place") != NULL);
	CHECK_EQ(tw_nr_vmas(w, 0), 2);
	CHECK(tw_vma(w, 0, 0)->vm_end == 3 * P);
	tw_trace_free(&tr);
	world_free(w);
}

/* MREMAP_MAYMOVE with no room: move_vma to the top of the highest hole.
 *
 *   2P   3P   4P                                    14P       16P
 *   |TTTT|bbbb|                                     |         |    before
 *        |bbbb|                                     |TTTT.....|    after
 *
 * A new vma [14P, 16P) with vma0's pgoff: no neighbour to merge with;
 * need_rmap_locks false; the THP moves whole; vma0 is unmapped. */
static void grow_by_moving_to_a_new_vma(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_mmap(w, 0, 2 * P, P);
	tw_fault(w, 0, 2 * P, true);
	struct page *thp = tw_page(w, 0, 2 * P);
	blocker(w, 3 * P, 10 * P);
	struct tw_trace tr;
	tw_trace_on(w, &tr);
	resize(w, 2 * P, P, 2 * P, MREMAP_MAYMOVE);
	CHECK_EQ(tw_nr_vmas(w, 0), 2);
	struct vm_area_struct *moved = tw_vma(w, 0, 1);
	CHECK(moved->vm_start == 14 * P && moved->vm_end == 16 * P);
	CHECK_EQ(moved->vm_pgoff, (2 * P) >> PAGE_SHIFT);
	CHECK(tw_page(w, 0, 14 * P) == thp && pmd_trans_huge(tw_pmd(w, 0, 14 * P)));
	CHECK_EQ(thp->index, linear_page_index(moved, 14 * P));
	CHECK(tw_page(w, 0, 2 * P) == NULL && tw_vma(w, 0, 0)->vm_start == 3 * P);
	CHECK(strstr(tr.buf, "move_vma to 0x38000") && strstr(tr.buf, "need_rmap_locks 0"));
	tw_trace_free(&tr);
	world_free(w);
}

/* The hole's top is a neighbour whose pgoff follows: copy_vma merges into
 * it (vma_merge case 3), and a walk may meet it first (its pgoff is not
 * greater): need_rmap_locks, the move under the anon_vma lock.
 *
 *   4P   5P   6P                                  12P  14P       16P
 *   |aaaa|bbbb|                                        |cccc.....|   before: C pgoff 6P
 *        |bbbb|                                   |aaaa cccc.....|   after: C [12P, 16P) pgoff 4P
 */
static void grow_by_moving_merges_with_a_neighbour(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_mmap(w, 0, 4 * P, 4 * P);
	tw_fault(w, 0, 4 * P, false);
	tw_fault(w, 0, 6 * P, false);
	struct page *a = tw_page(w, 0, 4 * P), *c = tw_page(w, 0, 6 * P);
	tw_mremap(w, 0, 6 * P, 2 * P, 14 * P);	/* C */
	tw_munmap(w, 0, 5 * P, P);
	blocker(w, 5 * P, 9 * P);
	CHECK_EQ(tw_nr_vmas(w, 0), 3);
	struct vm_area_struct *cv = tw_vma(w, 0, 2);
	struct tw_trace tr;
	tw_trace_on(w, &tr);
	resize(w, 4 * P, P, 2 * P, MREMAP_MAYMOVE);
	CHECK_EQ(tw_nr_vmas(w, 0), 2);
	CHECK(tw_vma(w, 0, 1) == cv && cv->vm_start == 12 * P && cv->vm_end == 16 * P);
	CHECK_EQ(cv->vm_pgoff, (4 * P) >> PAGE_SHIFT);
	CHECK(tw_page(w, 0, 12 * P) == a && tw_page(w, 0, 14 * P) == c);
	CHECK_EQ(a->index, linear_page_index(cv, 12 * P));
	CHECK(strstr(tr.buf, "merged into vma") && strstr(tr.buf, "need_rmap_locks 1"));
	CHECK(strstr(tr.buf, "under the anon_vma lock") != NULL);
	tw_trace_free(&tr);
	world_free(w);
}

/* The move-back: the page-table allocation fails at the second extent.
 * move_page_tables moved the first (a THP, whole) and returns P;
 * move_vma moves it back with need_rmap_locks and unmaps the new range.
 *
 *   2P   3P   4P   5P                          13P            16P
 *   |TTTT|b...|xxxx|                           |              |   before
 *   |....|b...|xxxx|                           |TTTT..........|   the first extent moved
 *   |TTTT|b...|xxxx|                           |                  after: as before, -ENOMEM
 */
static void failed_move_moves_back(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_mmap(w, 0, 2 * P, 2 * P);
	tw_fault(w, 0, 2 * P, true);
	tw_fault(w, 0, 3 * P, false);
	struct page *thp = tw_page(w, 0, 2 * P), *b = tw_page(w, 0, 3 * P);
	blocker(w, 4 * P, 10 * P);
	struct vm_area_struct *vma = tw_vma(w, 0, 0);
	struct tw_trace tr;
	tw_trace_on(w, &tr);
	resize(w, 2 * P, 2 * P, 3 * P, MREMAP_MAYMOVE | MREMAP_ALLOC_FAILS);
	CHECK_EQ(tw_nr_vmas(w, 0), 2);
	CHECK(tw_vma(w, 0, 0) == vma && vma->vm_start == 2 * P && vma->vm_end == 4 * P);
	CHECK(tw_page(w, 0, 2 * P) == thp && pmd_trans_huge(tw_pmd(w, 0, 2 * P)));
	CHECK(tw_page(w, 0, 3 * P) == b);
	CHECK_EQ(page_mapcount(thp), 1);
	CHECK(range_is_free(w->mm[0], 13 * P, 16 * P));
	const char *fails = strstr(tr.buf, "alloc_new_pmd fails at mm0 0x38000: moved 0x4000 of 0x8000");
	const char *back = strstr(tr.buf, "move_huge_pmd took out huge pmd mm0 0x34000 -> mm0 0x8000 "
				  "under the anon_vma lock");
	CHECK(fails && back && fails < back);
	CHECK(strstr(tr.buf, "the move failed (-ENOMEM)") != NULL);
	tw_trace_free(&tr);
	world_free(w);
}

/* The move-back layout with small pages a (2P) and b (3P): the resize's
 * first extent (a) moves to 13P, the second fails. */
static struct page *move_back_layout(struct world *w, bool huge)
{
	tw_mmap(w, 0, 2 * P, 2 * P);
	tw_fault(w, 0, 2 * P, huge);
	tw_fault(w, 0, 3 * P, false);
	blocker(w, 4 * P, 10 * P);
	return tw_page(w, 0, 2 * P);
}

/* Migration M of a racing the move-back R. M's try_to_unmap runs once a
 * is at 13P (in the new vma), its remove_migration_ptes visits the old vma
 * (empty at 2P) before R moves the entry back, and the new vma after.
 * Safe where the move-back takes the anon_vma lock (need_rmap_locks: it
 * waits for the walk), or walks meet the new vma first (list-3.3's
 * moveto_tail of the old vma, the templist's); elsewhere the entry is
 * left behind. */
static const char *migration_races_the_move_back(const char *protocol)
{
	struct scen s;
	sc_begin(&s, protocol);
	struct page *a = move_back_layout(s.w, false);
	int r = start_mremap_resize(s.w, 0, 2 * P, 2 * P, 3 * P, MREMAP_MAYMOVE | MREMAP_ALLOC_FAILS);
	int m = start_migrate(s.w, a);
	sc_through(&s, r, "move_ptes", 2);	/* a at 13P */
	sc_through(&s, m, "try_to_unmap_one", 1);	/* the migration entry at 13P */
	sc_through(&s, m, "remove_migration_ptes", 1);
	sc_step(&s, m);	/* the old vma, the first in walk order: its look, */
	if (!s.w->proto->migration_pte_peek)
		sc_step(&s, m);	/* and under the pte lock: nothing at 2P */
	sc_through(&s, r, "move_ptes", 4);	/* the entry back at 2P */
	return sc_finish(&s);
}

static bool move_back_safe(const struct protocol *p)
{
	return p->pte_move_locks != RMAP_LOCKS_NEVER || p->moveto_tail || p->templist == TEMPLIST_ALL;
}

static void migration_races_the_move_back_under_every_protocol(void)
{
	for (int i = 0; i < nr_protocols; i++) {
		const struct protocol *p = &protocols[i];
		sc_check_verdict(p->name, migration_races_the_move_back(p->name),
				 move_back_safe(p) ? NULL : "stale-migration-entry");
	}
}

/* The same with a THP and a split S: pass 1 looks at the old vma while the
 * THP is at 13P, then the huge pmd moves back behind it: dd18dbc2d42a's
 * race, on move_vma's error path. 3.7-3.14 (and 3.2) move huge pmds
 * without the lock; before 3.2 mremap split them first; the retrying rows
 * walk again and find it. */
static const char *split_races_the_move_back(const struct protocol *p)
{
	struct scen s;
	sc_begin(&s, p->name);
	struct page *thp = move_back_layout(s.w, true);
	int r = start_mremap_resize(s.w, 0, 2 * P, 2 * P, 3 * P, MREMAP_MAYMOVE | MREMAP_ALLOC_FAILS);
	sc_through(&s, r, p->no_thp_move ? "move_ptes" : "move_huge_pmd", 2);	/* T at 13P */
	int t = start_split_huge_page(s.w, thp);
	sc_through(&s, t, "anon_vma_lock_write", 1);	/* AV0(w): no locked move now */
	sc_step(&s, t);	/* pass 1 at the old vma: nothing at 2P */
	sc_through(&s, r, p->no_thp_move ? "move_ptes" : "move_huge_pmd", 2);	/* back at 2P */
	return sc_finish(&s);
}

static void split_races_the_move_back_under_every_protocol(void)
{
	for (int i = 0; i < nr_protocols; i++) {
		const struct protocol *p = &protocols[i];
		bool missed = p->pmd_move_locks == RMAP_LOCKS_NEVER && !p->no_thp_move &&
			      !p->moveto_tail && p->templist != TEMPLIST_ALL && !p->split_retry;
		sc_check_verdict(p->name, split_races_the_move_back(p), missed ? "split-missed-pmd" : NULL);
	}
}

TEST_MAIN(T(shrink_unmaps_the_tail), T(grow_in_place_when_the_hole_fits),
	  T(grow_without_maymove_fails), T(grow_by_moving_to_a_new_vma),
	  T(grow_by_moving_merges_with_a_neighbour), T(failed_move_moves_back),
	  T(migration_races_the_move_back_under_every_protocol),
	  T(split_races_the_move_back_under_every_protocol))
