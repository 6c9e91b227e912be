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
		.name = "tree-left",
		.changes = "interval tree inserts equal vm_pgoff before, not after",
		.origin = "hypothetical: the mail's walk order reversed vs insertion order",
		.expected = "fork race: split misses a copied pmd",
		.tree_equal = ITREE_EQUAL_BEFORE,
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
