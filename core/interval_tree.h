/* A stable augmented red-black interval tree, after the kernel's
 * include/linux/interval_tree_generic.h on top of lib/rbtree.c.
 *
 * It indexes anon_vma_chains by their closed page-offset range, as
 * anon_vma->rb_root does since 3.7. Nodes are embedded in their owners, so
 * the tree never allocates, and erase moves nodes rather than their keys:
 * an owner's node stays its node whatever else is removed.
 */
#ifndef RMAP_INTERVAL_TREE_H
#define RMAP_INTERVAL_TREE_H

#include <stdbool.h>
#include <stddef.h>

struct itree_node {
	struct itree_node *parent, *left, *right;
	bool red;
	unsigned long start, last;	/* closed interval [start, last], start <= last */
	unsigned long subtree_last;	/* max(last) over this node's subtree */
};

struct itree_root {
	struct itree_node *node;	/* NULL when empty */
};

/* Where a node whose start equals existing starts goes: the kernel (3.7+) sends an
 * equal start right, so it lands AFTER every existing equal start (stable, insertion
 * order); ITREE_EQUAL_BEFORE sends it left, so it lands before all of them. */
enum itree_equal { ITREE_EQUAL_AFTER, ITREE_EQUAL_BEFORE };

/* node->start and node->last must be set by the caller; other fields are written here. */
void itree_insert(struct itree_root *root, struct itree_node *node, enum itree_equal eq);
void itree_remove(struct itree_root *root, struct itree_node *node);
static inline bool itree_empty(const struct itree_root *root) { return root->node == NULL; }

/* Nodes overlapping [start, last], in in-order (ascending start; equal starts in tree
 * order), O(log n + k) like the kernel's iter_first/iter_next. */
struct itree_node *itree_iter_first(const struct itree_root *root, unsigned long start, unsigned long last);
struct itree_node *itree_iter_next(const struct itree_node *node, unsigned long start, unsigned long last);

/* In-order traversal of every node (for checks and printing). */
struct itree_node *itree_first(const struct itree_root *root);
struct itree_node *itree_next(const struct itree_node *node);

/* Structural check: parent pointers, BST order by start (in-order start non-decreasing),
 * red-black shape (root black, no red node with red child, equal black height on all
 * paths), subtree_last correct at every node, start <= last.
 * Returns 0 when sound, else -1 with a one-line description written into msg. */
int itree_check(const struct itree_root *root, char *msg, size_t msglen);

#endif
