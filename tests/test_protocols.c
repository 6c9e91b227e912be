/* Each protocol's scenario from protocols.md as a scripted interleaving,
 * judged by the oracle exactly as the fuzz target judges an input (walks at
 * their end, structure at the end of the script).
 *
 * A script names who steps when. Under a protocol that locks where the buggy
 * one does not, a scripted step may have to wait: sc_step then runs nothing
 * and the script goes on, and the final drain lets every task finish. So one
 * script serves both halves of each test: the buggy protocol violates the
 * expected invariant, linux-3.15 runs it clean.
 *
 * The layouts (P = one pmd of address space, a THP's worth; pgoffs in pages):
 *
 *   mail: A = [0, 2P) pgoff 0 and B = [8P, 10P) pgoff 8 on one anon_vma,
 *         B mapping T (a THP, or a small page); task P mremaps B back to 2P,
 *         where vma_merge grows A to [0, 4P): A's key sorts before B's.
 *
 *      0     2P    4P          8P    10P
 *      |AAAAA|                 |BBBBB|
 *      |AAAAAAAAAAA|   <- P: vma_merge grows A
 *
 *   fork: mm0 maps THP T at [0, 2P); mm1 is its fork (the child vma shares
 *         the parent's key and is linked after it).
 */
#include <string.h>

#include "anon_vma.h"
#include "oracle.h"
#include "script.h"
#include "test.h"
#include "world_util.h"

/* The mail layout; returns T (huge or small). */
static struct page *mail_layout(struct world *w, bool huge)
{
	tw_mmap(w, 0, 0, 4 * P);
	tw_fault(w, 0, 2 * P, huge);
	struct page *page = tw_page(w, 0, 2 * P);
	tw_mremap(w, 0, 2 * P, 2 * P, 8 * P);
	CHECK_EQ(tw_nr_vmas(w, 0), 2);
	CHECK_EQ(tw_vma(w, 0, 1)->vm_pgoff, 8);
	CHECK(tw_page(w, 0, 8 * P) == page);
	return page;
}

/* linux-3.14 (and list-3.0, templist-new-only, templist): S visits A (2P
 * empty), P moves the huge pmd 8P -> 2P, S visits B (8P empty). */
static const char *mail_split_race(const char *protocol)
{
	struct scen s;
	sc_begin(&s, protocol);
	struct page *thp = mail_layout(s.w, true);
	int p = start_mremap(s.w, 0, 8 * P, 2 * P, 2 * P);
	int t = start_split_huge_page(s.w, thp);
	sc_through(&s, p, "vma_adjust", 1);	/* A grows over [2P, 4P) */
	sc_through(&s, t, "__split_huge_page_splitting", 1);	/* the first vma */
	sc_through(&s, p, "move_huge_pmd", 2);	/* clear 8P, set 2P */
	const char *v = sc_end(&s);
	sc_free(&s);
	return v;
}

/* list-3.0, retry-only: the same with a small page and a migration. The
 * remove walk visits the first vma, the pte move carries the migration
 * entry 8P -> 2P behind it, the walk visits B: the entry is stranded. */
static const char *mail_migration_race(const char *protocol)
{
	struct scen s;
	sc_begin(&s, protocol);
	struct page *page = mail_layout(s.w, false);
	int p = start_mremap(s.w, 0, 8 * P, 2 * P, 2 * P);
	int m = start_migrate(s.w, page);
	sc_through(&s, p, "vma_adjust", 1);
	sc_through(&s, m, "remove_migration_pte", 1);	/* the first vma */
	sc_through(&s, p, "move_ptes", 2);
	const char *v = sc_end(&s);
	sc_free(&s);
	return v;
}

/* peek-migration-pte: the order is right (a new vma N is walked after the
 * source X), but the remove walk peeks without the lock while the move has
 * cleared X and not yet set N: it sees neither entry. */
static const char *peek_migration_race(const char *protocol)
{
	struct scen s;
	sc_begin(&s, protocol);
	tw_mmap(s.w, 0, 0, P);
	tw_fault(s.w, 0, 0, false);
	struct page *page = tw_page(s.w, 0, 0);
	int m = start_migrate(s.w, page);
	int p = start_mremap(s.w, 0, 0, P, 8 * P);
	sc_through(&s, m, "move_to_new_page", 1);	/* 0 holds a migration entry */
	sc_through(&s, p, "copy_vma", 1);	/* N = [8P, 9P), linked after X */
	sc_through(&s, m, "remove_migration_ptes", 1);	/* X, then N */
	sc_through(&s, p, "move_ptes", 1);	/* clear 0: the entry is in flight */
	sc_step(&s, m);	/* X: peek sees nothing (3.15: waits for the lock) */
	sc_step(&s, m);	/* N: peek sees nothing yet */
	const char *v = sc_end(&s);
	sc_free(&s);
	return v;
}

/* peek-split-pmd: Z unmaps mm1's mapping; its zap clears the huge pmd and
 * drops mapcount in one lock section. S's unlocked peek falls in between:
 * it skips the pmd, and mapcount still counts it. */
static const char *peek_split_race(const char *protocol)
{
	struct scen s;
	sc_begin(&s, protocol);
	struct page *thp = tw_fork_layout(s.w);
	int z = start_munmap(s.w, 1, 0, 2 * P);
	int t = start_split_huge_page(s.w, thp);
	sc_through(&s, z, "zap_huge_pmd", 1);	/* pmd cleared, mapcount still 2 */
	sc_through(&s, t, "__split_huge_page_splitting", 2);	/* parent frozen, child peeked */
	sc_step(&s, t);	/* the count check */
	const char *v = sc_end(&s);
	sc_free(&s);
	return v;
}

/* The second split-vs-zap race of 3.13-3.14 (b5a8cad376ee): S freezes the
 * parent's pmd and peeks at the child's just after Z's zap cleared it; Z
 * drops the mapcount; S's count now matches and it splits the compound
 * page while Z still holds the pmd's lock, before Z's VM_BUG_ON_PAGE
 * (!PageHead). *why: the BUG's message. */
static const char *split_during_zap_race(const char *protocol, char *why, size_t size)
{
	struct scen s;
	sc_begin(&s, protocol);
	struct page *thp = tw_fork_layout(s.w);
	int z = start_munmap(s.w, 1, 0, 2 * P);
	int t = start_split_huge_page(s.w, thp);
	sc_through(&s, z, "zap_huge_pmd", 1);	/* the child's pmd cleared */
	sc_through(&s, t, "__split_huge_page_splitting", 2);	/* parent frozen, child peeked */
	sc_through(&s, z, "zap_huge_pmd", 1);	/* page_remove_rmap: mapcount 1 */
	sc_step(&s, t);	/* count 1, mapcount 1: __split_huge_page_refcount */
	const char *v = sc_end(&s);
	snprintf(why, size, "%s", s.w->halt_message);
	sc_free(&s);
	return v;
}

/* unlink-first: Z unlinks mm1's vma from the anon_vma before zapping it;
 * a split that takes the lock now cannot find mm1's huge pmd. */
static const char *unlink_first_race(const char *protocol)
{
	struct scen s;
	sc_begin(&s, protocol);
	struct page *thp = tw_fork_layout(s.w);
	int z = start_munmap(s.w, 1, 0, 2 * P);
	int t = start_split_huge_page(s.w, thp);
	sc_through(&s, z, "detach_vmas_to_be_unmapped", 1);
	sc_step(&s, z);	/* unlink-first: unlink_anon_vmas; 3.15: zap_huge_pmd */
	sc_through(&s, t, "anon_vma_lock_write", 1);
	const char *v = sc_end(&s);
	sc_free(&s);
	return v;
}

/* tree-left: fork while S splits T; the child's avc sorts before the
 * parent's, S visits the empty child, fork copies the huge pmd into it, S
 * visits the parent. */
static const char *fork_split_race(const char *protocol)
{
	struct scen s;
	sc_begin(&s, protocol);
	tw_mmap(s.w, 0, 0, 2 * P);
	tw_fault(s.w, 0, 0, true);
	struct page *thp = tw_page(s.w, 0, 0);
	int f = start_fork(s.w, 0);
	int t = start_split_huge_page(s.w, thp);
	sc_through(&s, f, "anon_vma_fork", 1);
	sc_through(&s, t, "__split_huge_page_splitting", 1);
	sc_through(&s, f, "copy_huge_pmd", 1);
	const char *v = sc_end(&s);
	sc_free(&s);
	return v;
}

/* retry-walk, the mail's scenario: the mail layout forked (B' in mm1 maps T
 * too, mapcount 2). S visits A (empty); P moves T's pmd 8P -> 2P; S visits
 * B (empty); Z unmaps B' before S gets there, so S counts 0 against a
 * mapcount of 1. Returns the invariant; *retries: how often pass 1 ran
 * again; *frozen_moved: whether the moved pmd was split. */
static const char *retry_walk_race(const char *protocol, int *retries, bool *moved_split)
{
	struct scen s;
	sc_begin(&s, protocol);
	struct page *thp = mail_layout(s.w, true);
	CHECK_EQ(tw_fork(s.w, 0), 1);
	CHECK_EQ(page_mapcount(thp), 2);
	int p = start_mremap(s.w, 0, 8 * P, 2 * P, 2 * P);
	int t = start_split_huge_page(s.w, thp);
	int z = start_munmap(s.w, 1, 8 * P, 2 * P);
	sc_through(&s, p, "vma_adjust", 1);
	sc_through(&s, t, "__split_huge_page_splitting", 1);	/* A: empty */
	sc_through(&s, p, "move_huge_pmd", 2);	/* 8P -> 2P */
	sc_through(&s, t, "__split_huge_page_splitting", 1);	/* B: empty */
	sc_through(&s, z, "zap_huge_pmd", 3);	/* B' cleared, mapcount 1, unlocked */
	sc_through(&s, t, "__split_huge_page_splitting", 1);	/* B': empty */
	sc_step(&s, t);	/* count 0, mapcount 1: the BUG, or a retry */
	struct task *split = task_find(s.w, t);
	*retries = split ? split->frames[0].u.split.retries : -1;
	const char *v = sc_end(&s);
	*moved_split = !s.w->halted && tw_pmd(s.w, 0, 2 * P)->kind == PMD_TABLE;
	sc_free(&s);
	return v;
}

static void linux_3_14_split_race(void)
{
	CHECK_STR(mail_split_race("linux-3.14"), "split-missed-pmd");
	CHECK_STR(mail_split_race("linux-3.12"), "split-missed-pmd");
	CHECK(mail_split_race("linux-3.15") == NULL);
}

/* The list rows: the migration race on every one before 3.3; the split
 * race only from 3.2, when mremap began to move huge pmds whole (before,
 * it split them first, and the ptes' walk is the migration's race). */
static void list_3_0_races(void)
{
	static const char *const rows[] = { "list-3.0", "list-3.1", "list-3.2" };
	for (int i = 0; i < 3; i++)
		CHECK_STR(mail_migration_race(rows[i]), "stale-migration-entry");
	CHECK(mail_split_race("list-3.0") == NULL);
	CHECK(mail_split_race("list-3.1") == NULL);
	CHECK_STR(mail_split_race("list-3.2"), "split-missed-pmd");
	CHECK(mail_migration_race("linux-3.15") == NULL);
}

/* list-3.3's moveto_tail puts the grown A behind B: both scripts run clean. */
static void list_3_3_moves_merged_vma_to_tail(void)
{
	CHECK(mail_migration_race("list-3.3") == NULL);
	CHECK(mail_split_race("list-3.3") == NULL);
}

static void peek_migration_pte_race(void)
{
	CHECK_STR(peek_migration_race("peek-migration-pte"), "stale-migration-entry");
	CHECK(peek_migration_race("linux-3.15") == NULL);
	/* Without the peek the same order is safe: linux-3.14 moves these ptes
	 * without the anon_vma lock too (need_rmap_locks is false). */
	CHECK(peek_migration_race("linux-3.14") == NULL);
}

static void peek_split_pmd_race(void)
{
	CHECK_STR(peek_split_race("peek-split-pmd"), "split-missed-pmd");
	CHECK_STR(peek_split_race("linux-3.14"), "split-missed-pmd");
	CHECK(peek_split_race("linux-3.15") == NULL);
	/* 3.12's split looked under mm->page_table_lock, which the zap holds. */
	CHECK(peek_split_race("linux-3.12") == NULL);
}

static void split_during_zap_bug(void)
{
	char why[256];
	CHECK_STR(split_during_zap_race("peek-split-pmd", why, sizeof(why)), "kernel-bug");
	CHECK(strstr(why, "zap_huge_pmd: VM_BUG_ON_PAGE(!PageHead(page))") != NULL);
	CHECK_STR(split_during_zap_race("linux-3.14", why, sizeof(why)), "kernel-bug");
	CHECK(split_during_zap_race("linux-3.15", why, sizeof(why)) == NULL);
	CHECK(split_during_zap_race("linux-3.12", why, sizeof(why)) == NULL);
}

static void tree_left_fork_race(void)
{
	CHECK_STR(fork_split_race("tree-left"), "split-missed-pmd");
	CHECK(fork_split_race("linux-3.15") == NULL);
}

static void unlink_first_misses_vma(void)
{
	CHECK_STR(unlink_first_race("unlink-first"), "missed-vma");
	CHECK(unlink_first_race("linux-3.15") == NULL);
}

static void retry_only_migration_race(void)
{
	CHECK_STR(mail_migration_race("retry-only"), "stale-migration-entry");
	/* Its split is the retry loop's: the split race passes. */
	CHECK(mail_split_race("retry-only") == NULL);
}

static void templist_races(void)
{
	CHECK_STR(mail_split_race("templist-new-only"), "split-missed-pmd");
	CHECK_STR(mail_migration_race("templist-new-only"), "stale-migration-entry");
	/* The re-indexed A on the templist is walked after B. */
	CHECK(mail_split_race("templist") == NULL);
	CHECK(mail_migration_race("templist") == NULL);
}

/* The mail's argument against the retry loop, as a script: the model
 * retries (count 0 < mapcount 1: the zap dropped the mapcount of the very
 * mapping it cleared, never one the walk had counted), the second pass
 * freezes the moved pmd, and the split completes. Under linux-3.14 the
 * same script is the BUG. */
static void retry_walk_mail_scenario(void)
{
	int retries;
	bool moved_split;
	CHECK(retry_walk_race("retry-walk", &retries, &moved_split) == NULL);
	CHECK_EQ(retries, 1);
	CHECK(moved_split);
	CHECK_STR(retry_walk_race("linux-3.14", &retries, &moved_split), "split-missed-pmd");
	CHECK(retry_walk_race("linux-3.15", &retries, &moved_split) == NULL);
}

/* A retry loop with nothing left to change what it waits for spins forever:
 * the kernel's soft lockup, reported as a kernel BUG (not a model deadlock).
 * The world is broken by hand: the child's vma is taken out of the index,
 * so pass 1 can never count its pmd. */
static void retry_without_progress_is_a_soft_lockup(void)
{
	struct world *w = tw_new("retry-walk");
	struct page *thp = tw_fork_layout(w);
	struct vm_area_struct *cv = tw_vma(w, 1, 0);
	struct anon_vma_chain *avc;
	list_for_each_entry(avc, &cv->anon_vma_chain, same_vma)
		if (avc->anon_vma == thp->mapping)
			break;
	anon_vma_index_remove(w, avc);
	int t = start_split_huge_page(w, thp);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(sched_step(w, t), STEP_DONE);	/* get, lock, visit the parent */
	/* Count 1 < mapcount 2, and nothing else ran since the pass began:
	 * walking again would see the same, so it spins, not runnable. */
	CHECK_EQ(sched_step(w, t), STEP_BLOCKED);
	CHECK(!task_runnable(w, task_find(w, t)));
	sched_drain(w);
	CHECK_EQ(w->halted, HALT_KERNEL_BUG);
	CHECK(strstr(w->halt_message, "soft lockup") != NULL);
	anon_vma_index_insert(w, avc);	/* whole again, for the teardown */
	world_free(w);
}

TEST_MAIN(T(linux_3_14_split_race), T(list_3_0_races), T(list_3_3_moves_merged_vma_to_tail),
	  T(peek_migration_pte_race), T(peek_split_pmd_race), T(split_during_zap_bug), T(tree_left_fork_race),
	  T(unlink_first_misses_vma), T(retry_only_migration_race), T(templist_races),
	  T(retry_walk_mail_scenario), T(retry_without_progress_is_a_soft_lockup))
