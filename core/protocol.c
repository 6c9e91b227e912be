#include "protocol.h"

#include <string.h>

/* Rows differ from linux-3.15 only in the fields they name. */
const struct protocol protocols[] = {
	{
		.name = "linux-3.15",
		.changes = "the kernel as fixed",
		.kernels = "3.15 to 3.18 (its walks and split to 4.4: 3.19 to 4.4 are linux-3.19)",
		.opened = "dd18dbc2d42a (3.15: need_rmap_locks covers move_huge_pmd) and b5a8cad376ee "
			  "(3.15: split pass 1 reads the pmd under its lock)",
		.closed = "7a3ef208e662 (3.19: anon_vma reuse, row linux-3.19); for the walks "
			  "e9b61f19858a (4.5: split_huge_page rewritten, the two-pass split with the "
			  "splitting bit gone)",
		.checked = "pradeep0605/CS736_Eager_paging_linux-3.15.5 (3.15.5): mm/mremap.c "
			   "move_page_tables, mm/huge_memory.c page_check_address_pmd and zap_huge_pmd; "
			   "0ctobot/neutrino_kernel_essential_msm8998 (4.4.152): the same two-pass split",
		.notes = "sound for the walks, not for the TLBs: move_page_tables flushes the range it "
			 "moved once after its loop, the page-table locks gone (3.2 to 4.18, 7b6efc2bc4f1), "
			 "so an rmap walker that frees the page in between leaves the old address "
			 "translating to it (CVE-2018-18281, fixed by eb66ae030829 in 4.19: all-fixes)",
		.expected = "sound",
		.expected_tlb = "stale TLB: CVE-2018-18281 (migration frees a page mremap has not flushed)",
	},
	{
		.name = "all-fixes",
		.changes = "move_ptes and move_huge_pmd flush the TLB before dropping the page-table locks; "
			   "4.5's split refuses a pinned THP; fork reuses anon_vmas by 2555283eb40d's counters",
		.kernels = "none exactly: linux-3.15 with every later fix the model knows (eb66ae030829, "
			   "4.19; e9b61f19858a's pin check, 4.5; 2555283eb40d's anon_vma reuse, 5.19.7); "
			   "the nearest kernels, 4.4.163 and later 4.4.y, took the flush back but not the "
			   "other two",
		.origin = "the row every fix known to us makes: what OSS-Fuzz and ClusterFuzzLite fuzz "
			  "(rmap_fuzzer's default), silent in every family",
		.checked = "Rtoax/linux-5.10.13: mm/mremap.c move_ptes (force_flush, the flush before "
			   "both pte locks drop); the 4.4.y backport of eb66ae030829 (linux-mm, 2 Nov 2018): "
			   "mm/huge_memory.c move_huge_pmd, mm/mremap.c move_page_tables",
		.notes = "named for what it is, not a kernel: 3.15's walks (the fixes of 3.15), "
			 "4.19's mremap flush, 4.5's split check and 5.19.7's anon_vma reuse (as "
			 "reuse-fixed); a later fix joins the row and it keeps the name",
		.expected = "sound",
		.move_flush_locked = true,
		.split_refuses_pins = true,
		.anon_vma_reuse = REUSE_COUNTS,
	},
	{
		.name = "move-normal-pmd",
		.changes = "mremap moves whole pte tables (move_normal_pmd) under the pmd locks, the "
			   "anon_vma lock only when need_rmap_locks; pte tables have their own locks; moves "
			   "flush under the page-table locks (all-fixes)",
		.kernels = "none exactly: 4.20-5.13's mremap (x86 from 5.0) on the model's 3.15, a hybrid: "
			   "its two-pass split_huge_page, migration and COW are 3.x's (the race needs none of "
			   "them)",
		.opened = "2c91bd4a4e2e (4.20: move_normal_pmd) and 9f132f7e1455 (5.0: HAVE_MOVE_PMD on "
			  "x86)",
		.closed = "97113eb39fa7 (5.14, stable 5.13.3: the rmap lock around every page-table move)",
		.checked = "Rtoax/linux-5.10.13 (5.10.13): mm/mremap.c move_normal_pmd, move_page_tables, "
			   "take_rmap_locks, move_ptes; the fix's message and diagram (stable, Jun 2021)",
		.notes = "CVE-2022-41222: with need_rmap_locks false (a new vma the walks meet after the "
			 "old one) the table moves while an rmap walker, which found it through the old "
			 "vma, holds its lock; the walker clears a pte that is now at the new address and "
			 "flushes the old one. pte tables' own locks (split PTE ptlocks, 2.6.15 on) are "
			 "modelled in this row only (split_ptlocks)",
		.expected = "sound",
		.expected_tlb = "stale TLB: CVE-2022-41222 (a walker holding the moved table's lock "
				"flushes the old address)",
		.move_flush_locked = true,
		.move_normal_pmd = true,
		.split_ptlocks = true,
		.split_refuses_pins = true,
	},
	{
		.name = "move-normal-pmd-locked",
		.changes = "as move-normal-pmd, and the whole-table move always takes the anon_vma lock",
		.kernels = "none exactly: 5.14's mremap on the model's 3.15 (as move-normal-pmd)",
		.opened = "97113eb39fa7 (5.14, stable 5.13.3)",
		.checked = "torvalds/linux (recent): mm/mremap.c should_take_rmap_locks (NORMAL_PMD: "
			   "always), move_pgt_entry, move_normal_pmd; Rtoax/linux-5.10.13 for the rest",
		.notes = "the rmap lock write-held around the move keeps every walker out of the window: "
			 "none can hold the table's lock across it",
		.expected = "sound",
		.move_flush_locked = true,
		.move_normal_pmd = true,
		.table_move_locks = RMAP_LOCKS_ALWAYS,
		.split_ptlocks = true,
		.split_refuses_pins = true,
	},
	{
		.name = "linux-3.19",
		.changes = "anon_vma_fork reuses an anon_vma of the parent's chain whose degree "
			   "(vmas + children) is under 2 and that is not the parent vma's own",
		.kernels = "3.19 to 4.4 (the model's walks and two-pass split are these kernels'; the "
			   "reuse rule itself lasted to 5.19.6 and 6.0-rc3, on kernels the model does "
			   "not have)",
		.opened = "7a3ef208e662 (3.19: \"mm: prevent endless growth of anon_vma hierarchy\"), "
			  "with b800c91a0517 (3.19: vma_adjust sets the importer's anon_vma before "
			  "anon_vma_clone)",
		.closed = "2555283eb40d (6.0-rc4, 5.19.7, 4.9.327 and later stable: \"mm/rmap: Fix "
			  "anon_vma->degree ambiguity leading to double-reuse\", CVE-2022-42703); for "
			  "the walks e9b61f19858a (4.5)",
		.checked = "0x88888888/Linux-4.19 (4.19, the rule unchanged since 3.19 but for "
			   "47b390d23bf8's src->anon_vma test): mm/rmap.c anon_vma_alloc, "
			   "__anon_vma_prepare, anon_vma_clone, anon_vma_fork, unlink_anon_vmas, "
			   "page_get_anon_vma, __put_anon_vma; the vma_adjust hunks of b800c91a0517; "
			   "2555283eb40d's text (stable 5.10 mail)",
		.notes = "no stock 3.19 or 4.4 mm/rmap.c is indexed: the 4.19 tree stands for them; "
			 "3.19's clone has no src->anon_vma test (47b390d23bf8, 5.5), which changes "
			 "nothing where every clone but fork's has dst->anon_vma set",
		.expected = "double reuse: a merge leaves a mapped page's anon_vma unlinked, then "
			    "freed (anon-vma-lifetime)",
		.anon_vma_reuse = REUSE_DEGREE,
	},
	{
		.name = "reuse-fixed",
		.changes = "as linux-3.19, but reuse only an anon_vma with no vma (num_active_vmas 0) "
			   "and at most one child (num_children < 2)",
		.kernels = "none: 2555283eb40d's rule (6.0, 5.19.7, 4.9.327 and later stable) on "
			   "linux-3.19; every kernel with the fix has 4.5's split and later walks, which "
			   "the model does not have",
		.origin = "2555283eb40d (Jann Horn, 2022): num_children and num_active_vmas",
		.checked = "1582130940/android_kernel_xiaomi_sdm660 (4.19 with 2555283eb40d backported): "
			   "mm/rmap.c __anon_vma_prepare, anon_vma_clone, anon_vma_fork, "
			   "unlink_anon_vmas; the stable 5.10 mail's diff",
		.expected = "sound",
		.anon_vma_reuse = REUSE_COUNTS,
	},
	{
		.name = "linux-3.14",
		.changes = "huge-pmd move never takes the anon_vma lock; split pass 1 reads pmd_present "
			   "without the pmd lock",
		.kernels = "3.13 to 3.14 (the .0 releases: both fixes went to 3.13.y and 3.14.y)",
		.opened = "117b0791ac42 (3.13, split PMD locks: page_check_address_pmd takes the lock "
			  "after mm_find_pmd's unlocked look)",
		.closed = "dd18dbc2d42a and b5a8cad376ee (3.15)",
		.checked = "Breathleas/linux-kernel-3.13-codedump (3.13): mm/mremap.c move_page_tables, "
			   "mm/huge_memory.c page_check_address_pmd and zap_huge_pmd, mm/rmap.c "
			   "mm_find_pmd; lookfiresu123/my_linux-3.13.0: mm/migrate.c remove_migration_pte",
		.expected = "split misses a pmd; split-vs-zap kernel BUG",
		.pmd_move_locks = RMAP_LOCKS_NEVER,
		.split_pmd_peek = true,
	},
	{
		.name = "linux-3.12",
		.changes = "huge-pmd move never takes the anon_vma lock; huge pmds under "
			   "mm->page_table_lock (no split PMD locks)",
		.kernels = "3.7 to 3.12 (the .0 releases: dd18dbc2d42a went to 3.7.y and later stable)",
		.opened = "bf181b9f9d8d, 108d6642ad81 and 38a76013ad80 (3.7: the interval tree, "
			  "need_rmap_locks for move_ptes only)",
		.closed = "e009bb30c8df and 117b0791ac42 (3.13: split PMD locks)",
		.checked = "doitaljosh/linux-3.10.30-famhubv1 (3.10.30): mm/huge_memory.c "
			   "move_huge_pmd, zap_huge_pmd, __split_huge_page_splitting, mm/mmap.c "
			   "copy_vma; Exynos5422/android_kernel_samsung_k3gxx mm/mremap.c "
			   "move_page_tables (3.10's side of a merge with dd18dbc2d42a)",
		.notes = "3.7's rmap walks took the root's lock as a mutex (the rwsem came in 3.8); "
			 "the huge zero page and NUMA balancing (3.8) are not modelled",
		.expected = "split misses a pmd",
		.pmd_move_locks = RMAP_LOCKS_NEVER,
		.pmd_lock_mm = true,
	},
	{
		.name = "list-3.3",
		.changes = "index list; copy_vma's merge moves the vma to the list tail; moves never lock; "
			   "huge pmds under mm->page_table_lock; walks lock the root exclusively",
		.kernels = "3.3 to 3.6",
		.opened = "anon_vma_moveto_tail: \"mremap: enforce rmap src/dst vma ordering in case of "
			  "vma_merge() succeeding in copy_vma()\" (Andrea Arcangeli, 3.3; its mainline "
			  "id not found, linux-next 952635949d87)",
		.closed = "108d6642ad81 (3.7: anon_vma_moveto_tail removed)",
		.checked = "CyanogenMod/android_kernel_htc_msm8960 at 9beb735b (3.4.10): mm/rmap.c "
			   "anon_vma_moveto_tail, mm/mmap.c copy_vma, mm/mremap.c move_vma, "
			   "move_page_tables",
		.expected = "sound",
		.index = INDEX_LIST,
		.moveto_tail = true,
		.pte_move_locks = RMAP_LOCKS_NEVER,
		.pmd_move_locks = RMAP_LOCKS_NEVER,
		.pmd_lock_mm = true,
		.anon_vma_mutex = true,
	},
	{
		.name = "list-3.2",
		.changes = "index list; pte and pmd moves never take the anon_vma lock; huge pmds under "
			   "mm->page_table_lock; walks lock the root exclusively",
		.kernels = "3.2",
		.opened = "37a1c49a91ad (3.2: move_huge_pmd, mremap stops splitting THPs)",
		.closed = "anon_vma_moveto_tail (3.3)",
		.checked = "the 3.1 trees below with 37a1c49a91ad's diff; the 3.4.10 tree's move_huge_pmd",
		.expected = "migration leaves a stale entry; split misses a pmd",
		.index = INDEX_LIST,
		.pte_move_locks = RMAP_LOCKS_NEVER,
		.pmd_move_locks = RMAP_LOCKS_NEVER,
		.pmd_lock_mm = true,
		.anon_vma_mutex = true,
	},
	{
		.name = "list-3.1",
		.changes = "as list-3.2, but mremap splits a huge pmd and moves its ptes",
		.kernels = "3.1",
		.opened = "486cf46f3f9b (3.1: remove_migration_pte takes the pte lock before it looks)",
		.closed = "37a1c49a91ad (3.2)",
		.checked = "303750856/linux-3.1 (3.1.1): mm/mremap.c get_old_pmd, move_ptes; "
			   "CyanogenMod/lge-kernel-p880 (3.1.10): mm/rmap.c __page_check_address",
		.notes = "3.1's move_ptes flushed each pte under the page-table locks (ptep_clear_flush; "
			 "3.2 moved the flush after them, 7b6efc2bc4f1): nothing to the walks, and no stale "
			 "TLB from mremap; 3.x's split against zap_huge_pmd's gathered THP stays (as "
			 "linux-3.15)",
		.expected = "migration leaves a stale entry",
		.index = INDEX_LIST,
		.pte_move_locks = RMAP_LOCKS_NEVER,
		.pmd_move_locks = RMAP_LOCKS_NEVER,
		.pmd_lock_mm = true,
		.anon_vma_mutex = true,
		.no_thp_move = true,
		.move_flush_locked = true,
	},
	{
		.name = "list-3.0",
		.changes = "as list-3.1, and remove_migration_pte looks at the pte before the pte lock",
		.kernels = "2.6.34 to 3.0 (3.0.0: 486cf46f3f9b went to 3.0.y)",
		.opened = "5beb49305251 (2.6.34: anon_vma_chain and the same_anon_vma list)",
		.closed = "486cf46f3f9b (3.1)",
		.checked = "the lines 486cf46f3f9b removed from remove_migration_pte (no 2.6.34-3.0 "
			   "mm/migrate.c is indexed)",
		.notes = "THPs, and with them the split walks, only from 2.6.38; 2.6.34-2.6.35 locked "
			 "each anon_vma rather than its root (012f18004da3, 2.6.36); 2.6.34 had no exec "
			 "temporary-stack skip (a8bef8ff6ea1, 2.6.35): the row keeps the skip, as "
			 "2.6.35-3.0 had it, and no-stack-skip is 2.6.34's race alone",
		.expected = "migration leaves a stale entry",
		.index = INDEX_LIST,
		.pte_move_locks = RMAP_LOCKS_NEVER,
		.pmd_move_locks = RMAP_LOCKS_NEVER,
		.pmd_lock_mm = true,
		.anon_vma_mutex = true,
		.no_thp_move = true,
		.migration_pte_peek = true,
		.move_flush_locked = true,
	},
	{
		.name = "peek-migration-pte",
		.changes = "remove_migration_pte looks at the pte before the pte lock; pte moves never lock",
		.kernels = "none: 2.6.34-3.0's peek alone, on linux-3.15 with unlocked pte moves",
		.origin = "486cf46f3f9b's race (Hugh Dickins, 3.1)",
		.expected = "migration leaves a stale entry",
		.migration_pte_peek = true,
		.pte_move_locks = RMAP_LOCKS_NEVER,
	},
	{
		.name = "peek-split-pmd",
		.changes = "split pass 1 reads pmd_present without the pmd lock",
		.kernels = "none: 3.13-3.14's peek alone, on linux-3.15",
		.origin = "b5a8cad376ee's races (Kirill Shutemov, 3.15)",
		.expected = "split count mismatch; split-vs-zap kernel BUG",
		.split_pmd_peek = true,
	},
	{
		.name = "no-stack-skip",
		.changes = "try_to_unmap migrates from exec's temporary stack too (no "
			   "is_vma_temporary_stack skip)",
		.kernels = "none: a8bef8ff6ea1's race, the skip alone removed from linux-3.15 (2.6.34 "
			   "had no skip)",
		.origin = "a8bef8ff6ea1 (Mel Gorman, 2.6.35): shift_arg_pages races rmap_walk during "
			  "migration",
		.expected = "stale migration entry",
		.no_stack_skip = true,
	},
	{
		.name = "tree-left",
		.changes = "interval tree inserts equal vm_pgoff before, not after",
		.kernels = "none: hypothetical",
		.origin = "the mail's walk order reversed against insertion order",
		.expected = "fork race: split misses a copied pmd",
		.tree_equal = ITREE_EQUAL_BEFORE,
	},
	{
		.name = "unlink-first",
		.changes = "munmap unlinks the anon_vma chains before it zaps",
		.kernels = "none: hypothetical",
		.origin = "the order the oracle's missed-vma invariant guards",
		.expected = "walk misses a still-mapped vma",
		.unlink_first = true,
	},
	{
		.name = "retry-walk",
		.changes = "huge-pmd move never takes the anon_vma lock; split pass 1 walks again until "
			   "its count equals mapcount",
		.kernels = "none: a patch on 3.14, never merged",
		.origin = "Kirill Shutemov's patch of 10 Apr 2014, withdrawn",
		.notes = "3.14's split peek is left out: the row asks the mail's question about the "
			 "move, which the patch was for",
		.expected = "disputed",
		.pmd_move_locks = RMAP_LOCKS_NEVER,
		.split_retry = true,
	},
	{
		.name = "retry-only",
		.changes = "no anon_vma lock around any move; split pass 1 retried as in retry-walk",
		.kernels = "none: a proposal",
		.origin = "the mail's alternative taken literally",
		.expected = "migration leaves a stale entry",
		.pte_move_locks = RMAP_LOCKS_NEVER,
		.pmd_move_locks = RMAP_LOCKS_NEVER,
		.split_retry = true,
	},
	{
		.name = "templist",
		.changes = "moves never lock; new and re-indexed vmas walked last until flushed",
		.kernels = "none: a proposal",
		.origin = "the mail's proposal, 17 Apr 2014, never merged",
		.notes = "move_vma's move-back puts the old vma on the templist too, as a vma a move "
			 "fills (3.3-3.6 moved it to the list tail there); left in the index, a walk "
			 "misses the entry moved back behind it",
		.expected = "sound",
		.pte_move_locks = RMAP_LOCKS_NEVER,
		.pmd_move_locks = RMAP_LOCKS_NEVER,
		.templist = TEMPLIST_ALL,
	},
	{
		.name = "templist-new-only",
		.changes = "as templist, but a vma grown by vma_merge is re-indexed in the tree",
		.kernels = "none: a proposal",
		.origin = "the mail's proposal read literally (\"newly inserted vmas\")",
		.expected = "mremap into a merged neighbour is missed",
		.pte_move_locks = RMAP_LOCKS_NEVER,
		.pmd_move_locks = RMAP_LOCKS_NEVER,
		.templist = TEMPLIST_NEW_ONLY,
	},
};

const int nr_protocols = (int)(sizeof(protocols) / sizeof(protocols[0]));

const struct protocol *protocol_find(const char *name)
{
	for (int i = 0; i < nr_protocols; i++)
		if (strcmp(protocols[i].name, name) == 0)
			return &protocols[i];
	return NULL;
}

const struct protocol *protocol_default(void) { return &protocols[0]; }

const struct protocol *protocol_fuzz_default(void) { return protocol_find("all-fixes"); }

const char *protocol_expected_tlb(const struct protocol *p)
{
	if (p->expected_tlb)
		return p->expected_tlb;
	if (!p->move_flush_locked)
		return "stale TLB: mremap flushes after the page-table locks (CVE-2018-18281), as "
		       "linux-3.15";
	/* mremap flushing under its locks (before 3.2) leaves 3.x's other
	 * window: zap_huge_pmd's gathered THP, whose tails a split gives counts
	 * of their own, freed by another mm's unmap before the zapper's flush
	 * (linux-3.15's notes); 4.5's pin check closes it. */
	return p->split_refuses_pins ? "sound"
				     : "stale TLB: a split frees the tail of a THP zap_huge_pmd has "
				       "gathered and not flushed (3.x's split_huge_page), as linux-3.15";
}
