#include "protocol.h"

#include <string.h>

/* Rows differ from linux-3.15 only in the fields they name. */
const struct protocol protocols[] = {
	{
		.name = "linux-3.15",
		.changes = "-",
		.origin = "3.15: dd18dbc2d42a extends need_rmap_locks to the huge-pmd move",
		.expected = "sound",
	},
	{
		.name = "linux-3.14",
		.changes = "huge-pmd move never takes the anon_vma lock",
		.origin = "3.7 to 3.14 (38a76013ad80 / 108d6642ad81 left the THP move out)",
		.expected = "split misses a pmd",
		.pmd_move_locks = RMAP_LOCKS_NEVER,
	},
	{
		.name = "list-3.0",
		.changes = "index list, pte and pmd moves never take the anon_vma lock",
		.origin = "2.6.34 to 3.2, before anon_vma_moveto_tail",
		.expected = "migration leaves a stale entry; split misses a pmd",
		.index = INDEX_LIST,
		.pte_move_locks = RMAP_LOCKS_NEVER,
		.pmd_move_locks = RMAP_LOCKS_NEVER,
	},
	{
		.name = "list-3.3",
		.changes = "index list; copy_vma's merge moves the vma to the list tail; moves never lock",
		.origin = "3.3 to 3.6: anon_vma_moveto_tail (Andrea Arcangeli, 2011)",
		.expected = "sound",
		.index = INDEX_LIST,
		.moveto_tail = true,
		.pte_move_locks = RMAP_LOCKS_NEVER,
		.pmd_move_locks = RMAP_LOCKS_NEVER,
	},
	{
		.name = "peek-migration-pte",
		.changes = "remove_migration_pte peeks before the pte lock; pte moves never lock",
		.origin = "before 486cf46f3f9b (3.1, Hugh Dickins)",
		.expected = "migration leaves a stale entry",
		.migration_pte_peek = true,
		.pte_move_locks = RMAP_LOCKS_NEVER,
	},
	{
		.name = "peek-split-pmd",
		.changes = "split pass 1 peeks at the pmd before the pmd lock",
		.origin = "3.13 to 3.14: mm_find_pmd's unlocked pmd_present (split-vs-zap, fixed in 3.15)",
		.expected = "split count mismatch",
		.split_pmd_peek = true,
	},
	{
		.name = "tree-left",
		.changes = "interval tree inserts equal vm_pgoff before, not after",
		.origin = "hypothetical: the mail's walk order reversed vs insertion order",
		.expected = "fork race: split misses a copied pmd",
		.tree_equal = ITREE_EQUAL_BEFORE,
	},
	{
		.name = "unlink-first",
		.changes = "munmap unlinks the anon_vma chains before it zaps",
		.origin = "hypothetical",
		.expected = "walk misses a still-mapped vma",
		.unlink_first = true,
	},
	{
		.name = "retry-walk",
		.changes = "linux-3.14, and split pass 1 walks again until its count equals mapcount",
		.origin = "Kirill Shutemov's patch of 10 Apr 2014, withdrawn",
		.expected = "disputed",
		.pmd_move_locks = RMAP_LOCKS_NEVER,
		.split_retry = true,
	},
	{
		.name = "retry-only",
		.changes = "no anon_vma lock around any move; split pass 1 retried as in retry-walk",
		.origin = "the mail's alternative taken literally",
		.expected = "migration leaves a stale entry",
		.pte_move_locks = RMAP_LOCKS_NEVER,
		.pmd_move_locks = RMAP_LOCKS_NEVER,
		.split_retry = true,
	},
	{
		.name = "templist",
		.changes = "moves never lock; new and re-indexed vmas walked last until flushed",
		.origin = "the mail's proposal, 17 Apr 2014, never merged",
		.expected = "sound",
		.pte_move_locks = RMAP_LOCKS_NEVER,
		.pmd_move_locks = RMAP_LOCKS_NEVER,
		.templist = TEMPLIST_ALL,
	},
	{
		.name = "templist-new-only",
		.changes = "as templist, but a vma grown by vma_merge is re-indexed in the tree",
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
