/* Protocols: named rows of switches on the model.
 *
 * linux-3.15 is the kernel as fixed; every other row says what differs. A new
 * protocol is one row in protocol.c plus the code its switch guards; a new
 * switch is one field here, defaulting (zero) to the 3.15 behaviour.
 */
#ifndef RMAP_PROTOCOL_H
#define RMAP_PROTOCOL_H

#include "interval_tree.h"

enum anon_vma_index_form {
	INDEX_TREE,	/* 3.7+: interval tree keyed by [vm_pgoff, vm_pgoff + pages - 1] */
	INDEX_LIST,	/* 2.6.34-3.6: same_anon_vma list, insertion order */
};

enum rmap_lock_rule {
	RMAP_LOCKS_NEED,	/* take the anon_vma lock only when need_rmap_locks */
	RMAP_LOCKS_NEVER,
	RMAP_LOCKS_ALWAYS,
};

/* The mail's templist: avcs of a vma being filled by a copy or move are kept
 * on a per-anon_vma list that walks visit after the index, and flushed into
 * the index under a second anon_vma lock once the copy or move is done. */
enum templist_mode {
	TEMPLIST_OFF,
	TEMPLIST_NEW_ONLY,	/* only vmas copy_vma or fork create */
	TEMPLIST_ALL,		/* and vmas copy_vma's vma_merge re-indexes */
};

/* Whether anon_vma_fork may give the child vma an anon_vma already on the
 * parent's chain instead of a new one (anon_vma_clone's reuse), and the
 * counters that decide it. */
enum anon_vma_reuse {
	REUSE_NONE,	/* before 3.19: every fork child gets a new anon_vma */
	REUSE_DEGREE,	/* 3.19 to 5.19.6 (7a3ef208e662): degree < 2, not src's own */
	REUSE_COUNTS,	/* 5.19.7, 6.0 (2555283eb40d): num_children < 2, num_active_vmas 0 */
};

struct protocol {
	const char *name;
	const char *changes;	/* what differs from linux-3.15, one line */
	/* Which kernels behaved so: a span of releases, the commits that
	 * opened and closed it, and where we read it. A row no kernel ever
	 * was (a switch alone, a proposal) says so in kernels and leaves the
	 * commits NULL; origin then says where it comes from. */
	const char *kernels;
	const char *opened, *closed;
	const char *checked;	/* the tree and files read */
	const char *origin;	/* a proposal's or hypothesis's source, or NULL */
	const char *notes;	/* what the row leaves out of its kernels, or NULL */
	const char *expected;	/* the verdict we expect of the walks; the fuzzer decides */
	/* ... and of the TLBs (the tlb family, stale-tlb): NULL is sound */
	const char *expected_tlb;

	enum anon_vma_index_form index;
	enum itree_equal tree_equal;		/* where an equal vm_pgoff goes */
	enum rmap_lock_rule pte_move_locks;	/* move_ptes */
	enum rmap_lock_rule pmd_move_locks;	/* move_huge_pmd */
	bool moveto_tail;		/* 3.3-3.6: copy_vma's merge moves the vma to the list tail */
	bool split_pmd_peek;		/* split pass 1 skips a pmd seen empty without the lock */
	bool pmd_lock_mm;		/* huge pmds under mm->page_table_lock (no split PMD locks) */
	bool anon_vma_mutex;		/* before 3.8: rmap walks take the root's lock exclusively */
	bool no_thp_move;		/* before 3.2: mremap splits a huge pmd, then moves its ptes */
	bool migration_pte_peek;	/* remove_migration_pte skips a pte seen without the lock */
	bool unlink_first;		/* munmap unlinks the avcs before it zaps */
	bool split_retry;		/* split pass 1 walks again until count == mapcount */
	bool no_stack_skip;		/* try_to_unmap migrates from exec's temporary stack */
	/* move_ptes and move_huge_pmd flush the TLB over what they moved before
	 * the page-table locks drop (4.19's eb66ae030829; until 3.1 a
	 * ptep_clear_flush per pte did the same); without it move_page_tables
	 * flushes once after its loop, no lock held (3.2 to 4.18). */
	bool move_flush_locked;
	/* 4.20 on (x86 from 5.0): a move of a whole pmd's worth of ptes to an
	 * empty pmd moves the pte table itself (move_normal_pmd), under the two
	 * pmd locks and, per table_move_locks, the anon_vma lock. */
	bool move_normal_pmd;
	enum rmap_lock_rule table_move_locks;	/* NEED until 5.13, ALWAYS: 97113eb39fa7 */
	/* pte tables have their own locks, apart from the pmd's (mm.h) */
	bool split_ptlocks;
	/* 4.5's split_huge_page_to_list (e9b61f19858a): under the anon_vma
	 * lock, a THP with a reference besides its mappings' and the caller's
	 * is not split (-EBUSY); 3.x splits it whatever its count. */
	bool split_refuses_pins;
	enum templist_mode templist;	/* where copy_vma and fork index a vma until it is filled */
	enum anon_vma_reuse anon_vma_reuse;	/* anon_vma_clone's reuse rule on fork */
};

extern const struct protocol protocols[];
extern const int nr_protocols;

/* What the row expects of the TLBs: its expected_tlb, else what its mremap
 * flush says (after the page-table locks: CVE-2018-18281's window). */
const char *protocol_expected_tlb(const struct protocol *p);

/* NULL when no protocol has that name. */
const struct protocol *protocol_find(const char *name);
const struct protocol *protocol_default(void);
/* The row the fuzz target and a campaign fuzz unless told otherwise:
 * all-fixes, every fix known, silent in every family (continuous fuzzing
 * must not file known bugs). */
const struct protocol *protocol_fuzz_default(void);

#endif
