/* The augmented red-black tree behind anon_vma->rb_root.
 *
 * The shape follows lib/rbtree.c: insert and erase are iterative, colour is
 * fixed bottom-up, and the augmented value (subtree_last) is kept by three
 * hooks at the same places as the kernel's rb_augment_callbacks:
 *   propagate - after a subtree lost or gained a node, recompute upwards;
 *   copy      - a node taking another's place starts from its value;
 *   rotate    - a rotation only moves whole subtrees, so two nodes change.
 * Queries follow interval_tree_generic.h: subtree_last prunes every subtree
 * that ends before the query, and in-order position prunes everything that
 * starts after it.
 */
#include "interval_tree.h"

#include <stdio.h>

/* What n->subtree_last must be, given that n's children are already right. */
static inline unsigned long compute_subtree_last(const struct itree_node *n)
{
	unsigned long max = n->last;

	if (n->left && n->left->subtree_last > max)
		max = n->left->subtree_last;
	if (n->right && n->right->subtree_last > max)
		max = n->right->subtree_last;
	return max;
}

/* Recompute from n up to (not including) stop. Only one node left or joined
 * each of these subtrees, so once one of them keeps its value, every
 * ancestor's maximum is unchanged too and the walk can end early. */
static void augment_propagate(struct itree_node *n, struct itree_node *stop)
{
	while (n != stop) {
		unsigned long v = compute_subtree_last(n);

		if (n->subtree_last == v)
			break;
		n->subtree_last = v;
		n = n->parent;
	}
}

static inline bool is_red(const struct itree_node *n)
{
	return n && n->red;
}

/* Point whatever pointed at old (its parent's child slot or the root) at new. */
static inline void change_child(struct itree_root *root, struct itree_node *parent,
				struct itree_node *old, struct itree_node *new)
{
	if (!parent)
		root->node = new;
	else if (parent->left == old)
		parent->left = new;
	else
		parent->right = new;
}

/* The rotated pair covers exactly the same nodes after as before, so the node
 * moving up inherits the old top's value and only the node moving down needs
 * a recomputation (its children are correct: one is unchanged, the other a
 * subtree that was not touched). */
static void rotate_left(struct itree_root *root, struct itree_node *x)
{
	struct itree_node *y = x->right;
	struct itree_node *parent = x->parent;

	x->right = y->left;
	if (y->left)
		y->left->parent = x;
	y->left = x;
	y->parent = parent;
	x->parent = y;
	change_child(root, parent, x, y);

	y->subtree_last = x->subtree_last;
	x->subtree_last = compute_subtree_last(x);
}

static void rotate_right(struct itree_root *root, struct itree_node *x)
{
	struct itree_node *y = x->left;
	struct itree_node *parent = x->parent;

	x->left = y->right;
	if (y->right)
		y->right->parent = x;
	y->right = x;
	y->parent = parent;
	x->parent = y;
	change_child(root, parent, x, y);

	y->subtree_last = x->subtree_last;
	x->subtree_last = compute_subtree_last(x);
}

static void insert_color(struct itree_root *root, struct itree_node *n)
{
	struct itree_node *p, *g, *u;

	/*
	 * Loop invariant: n is red, and the only possible violation in the
	 * tree is n's parent also being red (every path still has the same
	 * number of black nodes). A red parent is never the root, so g exists.
	 */
	while ((p = n->parent) && p->red) {
		g = p->parent;
		if (p == g->left) {
			u = g->right;
			if (is_red(u)) {
				/* Push g's blackness down to both children; the
				 * possible violation moves two levels up. */
				p->red = false;
				u->red = false;
				g->red = true;
				n = g;
				continue;
			}
			if (n == p->right) {
				/* Turn the zig-zag into a straight line so one
				 * rotation at g finishes. */
				rotate_left(root, p);
				n = p;
				p = n->parent;
			}
			p->red = false;
			g->red = true;
			rotate_right(root, g);
			break;
		} else {
			u = g->left;
			if (is_red(u)) {
				p->red = false;
				u->red = false;
				g->red = true;
				n = g;
				continue;
			}
			if (n == p->left) {
				rotate_right(root, p);
				n = p;
				p = n->parent;
			}
			p->red = false;
			g->red = true;
			rotate_left(root, g);
			break;
		}
	}
	root->node->red = false;
}

void itree_insert(struct itree_root *root, struct itree_node *node, enum itree_equal eq)
{
	struct itree_node **link = &root->node, *parent = NULL;
	const unsigned long start = node->start, last = node->last;
	const bool equal_left = eq == ITREE_EQUAL_BEFORE;

	/*
	 * Every node passed on the way down gains this node in its subtree,
	 * so raising its subtree_last here is the whole of propagate for an
	 * insert; the rotations in insert_color keep it from then on.
	 */
	while (*link) {
		parent = *link;
		if (parent->subtree_last < last)
			parent->subtree_last = last;
		if (start < parent->start || (equal_left && start == parent->start))
			link = &parent->left;
		else
			link = &parent->right;
	}

	node->parent = parent;
	node->left = node->right = NULL;
	node->red = true;
	node->subtree_last = last;
	*link = node;

	insert_color(root, node);
}

/* Restore the colours after a black node was taken out from under parent:
 * the side that lost it (whose top is now x, possibly NULL) is one black
 * short. */
static void erase_color(struct itree_root *root, struct itree_node *x,
			struct itree_node *parent)
{
	struct itree_node *w;

	/*
	 * Loop invariant: x (NULL or black) is parent's child, and every path
	 * through x has one black fewer than the paths through its sibling w.
	 * w therefore has black height >= 1 and is never NULL. x reaching the
	 * root (parent NULL) shortens every path alike, which is sound.
	 */
	while (parent && !is_red(x)) {
		if (x == parent->left) {
			w = parent->right;
			if (w->red) {
				/* Make the sibling black so the cases below
				 * apply; parent turns red and moves down. */
				w->red = false;
				parent->red = true;
				rotate_left(root, parent);
				w = parent->right;
			}
			if (!is_red(w->left) && !is_red(w->right)) {
				/* Shorten the sibling's side too; now parent's
				 * whole subtree is one short. */
				w->red = true;
				x = parent;
				parent = x->parent;
				continue;
			}
			if (!is_red(w->right)) {
				/* Move the red nephew to the far side. */
				w->left->red = false;
				w->red = true;
				rotate_right(root, w);
				w = parent->right;
			}
			/* The far red nephew lets one rotation give x's
			 * side the black it lacks. */
			w->red = parent->red;
			parent->red = false;
			w->right->red = false;
			rotate_left(root, parent);
			return;
		} else {
			w = parent->left;
			if (w->red) {
				w->red = false;
				parent->red = true;
				rotate_right(root, parent);
				w = parent->left;
			}
			if (!is_red(w->left) && !is_red(w->right)) {
				w->red = true;
				x = parent;
				parent = x->parent;
				continue;
			}
			if (!is_red(w->left)) {
				w->right->red = false;
				w->red = true;
				rotate_left(root, w);
				w = parent->left;
			}
			w->red = parent->red;
			parent->red = false;
			w->left->red = false;
			rotate_right(root, parent);
			return;
		}
	}
	/* A red x absorbs the missing black by itself. */
	if (x)
		x->red = false;
}

void itree_remove(struct itree_root *root, struct itree_node *node)
{
	struct itree_node *parent = node->parent;
	struct itree_node *child, *fix_parent;
	bool rebalance;

	if (!node->left || !node->right) {
		/* At most one child: splice node out. A lone child of a
		 * valid red-black node is a red leaf under a black node. */
		child = node->left ? node->left : node->right;
		change_child(root, parent, node, child);
		if (child) {
			child->parent = parent;
			child->red = false;
			rebalance = false;
		} else {
			rebalance = !node->red;
		}
		fix_parent = parent;
		augment_propagate(parent, NULL);
	} else {
		/*
		 * Two children: the in-order successor s (leftmost of the right
		 * subtree, so it has no left child) takes node's place, colour
		 * and value, keeping every other node's in-order position. What
		 * is actually removed is s from its old place.
		 */
		struct itree_node *s = node->right;

		if (!s->left) {
			/* s is node's right child and keeps its own right. */
			fix_parent = s;
			child = s->right;
		} else {
			do
				s = s->left;
			while (s->left);
			fix_parent = s->parent;
			child = s->right;
			fix_parent->left = child;
			if (child)
				child->parent = fix_parent;
			s->right = node->right;
			node->right->parent = s;
		}
		rebalance = !s->red;
		if (child) {
			/* s had a lone child: a red leaf that now takes
			 * over s's black. */
			child->red = false;
			rebalance = false;
		}

		s->left = node->left;
		node->left->parent = s;
		s->parent = parent;
		s->red = node->red;
		change_child(root, parent, node, s);

		/* copy: s now spans node's old subtree minus node itself. */
		s->subtree_last = node->subtree_last;
		/* The path from s's old place up to s lost only s... */
		augment_propagate(fix_parent, s);
		/* ...and s's subtree and its ancestors lost only node. */
		augment_propagate(s, NULL);
	}

	node->parent = node->left = node->right = NULL;
	if (rebalance)
		erase_color(root, child, fix_parent);
}

/*
 * The first node in n's subtree (in-order) overlapping [start, last], or
 * NULL. The caller guarantees start <= n->subtree_last, so some node below
 * ends at or after start; the leftmost such node is the first candidate, and
 * if it starts after last then so does everything after it in order.
 */
static struct itree_node *search_from(struct itree_node *n, unsigned long start,
				      unsigned long last)
{
	for (;;) {
		/* Loop invariant: start <= n->subtree_last. */
		if (n->left && start <= n->left->subtree_last) {
			n = n->left;
			continue;
		}
		/* Nothing to the left ends at or after start. */
		if (n->start > last)
			return NULL;
		if (start <= n->last)
			return n;
		if (!n->right || n->right->subtree_last < start)
			return NULL;
		n = n->right;
	}
}

struct itree_node *itree_iter_first(const struct itree_root *root, unsigned long start,
				    unsigned long last)
{
	struct itree_node *n = root->node;

	if (!n || n->subtree_last < start)
		return NULL;
	return search_from(n, start, last);
}

struct itree_node *itree_iter_next(const struct itree_node *node, unsigned long start,
				   unsigned long last)
{
	struct itree_node *n = (struct itree_node *)node;
	struct itree_node *right = n->right, *prev;

	for (;;) {
		/*
		 * Loop invariants: n->start <= last (n overlapped, or was an
		 * ancestor reached from its left while starting in range), every
		 * node before n in order has been considered, and right ==
		 * n->right is the only place left to look below n.
		 */
		if (right && start <= right->subtree_last)
			return search_from(right, start, last);

		/* Climb until we arrive from a left child: that ancestor is
		 * the next node in order. */
		do {
			prev = n;
			n = n->parent;
			if (!n)
				return NULL;
		} while (n->right == prev);
		right = n->right;

		if (n->start > last)
			return NULL;
		if (start <= n->last)
			return n;
	}
}

struct itree_node *itree_first(const struct itree_root *root)
{
	struct itree_node *n = root->node;

	if (!n)
		return NULL;
	while (n->left)
		n = n->left;
	return n;
}

struct itree_node *itree_next(const struct itree_node *node)
{
	struct itree_node *n = (struct itree_node *)node, *prev;

	if (n->right) {
		n = n->right;
		while (n->left)
			n = n->left;
		return n;
	}
	do {
		prev = n;
		n = n->parent;
	} while (n && n->right == prev);
	return n;
}

/* More levels than any red-black tree that fits in memory can have: a
 * deeper walk means the links form a cycle. */
#define ITREE_CHECK_MAX_DEPTH (2 * 8 * (int)sizeof(void *) + 2)

struct check_state {
	char *msg;
	size_t msglen;
	const struct itree_node *prev;	/* last node visited in order */
};

static int check_fail(struct check_state *cs, const struct itree_node *n, const char *what)
{
	if (cs->msg && cs->msglen) {
		if (n)
			snprintf(cs->msg, cs->msglen, "itree: %s at node %p [%lu, %lu]",
				 what, (const void *)n, n->start, n->last);
		else
			snprintf(cs->msg, cs->msglen, "itree: %s", what);
	}
	return -1;
}

/* Returns the black height of n's subtree (NULL counts as 1), or -1. Children
 * are checked to point back at n before the walk enters them, so a visited
 * node always has exactly the parent it was reached from and no cycle can be
 * walked twice. */
static int check_node(struct check_state *cs, const struct itree_node *n, int depth)
{
	int lh, rh;

	if (!n)
		return 1;
	if (depth > ITREE_CHECK_MAX_DEPTH)
		return check_fail(cs, n, "tree too deep (link cycle?)");
	if (n->start > n->last)
		return check_fail(cs, n, "start > last");
	if (n->left && n->left->parent != n)
		return check_fail(cs, n->left, "bad parent pointer (left child)");
	if (n->right && n->right->parent != n)
		return check_fail(cs, n->right, "bad parent pointer (right child)");
	if (n->red && (is_red(n->left) || is_red(n->right)))
		return check_fail(cs, n, "red node with red child");

	lh = check_node(cs, n->left, depth + 1);
	if (lh < 0)
		return -1;

	if (cs->prev && cs->prev->start > n->start)
		return check_fail(cs, n, "in-order start order broken");
	cs->prev = n;

	rh = check_node(cs, n->right, depth + 1);
	if (rh < 0)
		return -1;

	if (lh != rh)
		return check_fail(cs, n, "unequal black heights");
	if (n->subtree_last != compute_subtree_last(n))
		return check_fail(cs, n, "wrong subtree_last");
	return lh + !n->red;
}

int itree_check(const struct itree_root *root, char *msg, size_t msglen)
{
	struct check_state cs = { msg, msglen, NULL };
	const struct itree_node *r = root->node;

	if (msg && msglen)
		msg[0] = '\0';
	if (!r)
		return 0;
	if (r->parent)
		return check_fail(&cs, r, "root has a parent");
	if (r->red)
		return check_fail(&cs, r, "root is red");
	return check_node(&cs, r, 0) < 0 ? -1 : 0;
}
