/* The interval tree against a brute-force model, plus targeted cases for the
 * augmentation, for the checker itself, and for the empty edges. */
#include <limits.h>
#include <stdint.h>

#include "interval_tree.h"
#include "test.h"

/* A fixed-seed xorshift64, so every run walks the same operations. */
static uint64_t rnd_state;

static void rnd_seed(uint64_t seed)
{
	rnd_state = seed ? seed : 0x9e3779b97f4a7c15ull;
}

static unsigned rnd(unsigned bound)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (unsigned)(rnd_state % bound);
}

static bool overlaps(const struct itree_node *n, unsigned long start, unsigned long last)
{
	return n->start <= last && start <= n->last;
}

/* ---- brute force ------------------------------------------------------- */

#define POOL 48
#define KEYS 16		/* starts 0..15: many equal starts */
#define MAXLEN 8	/* last - start in 0..8 */

struct model {
	struct itree_root root;
	struct itree_node nodes[POOL];
	bool in_tree[POOL];
	struct itree_node *order[POOL];	/* the expected in-order */
	int n;
	enum itree_equal eq;
};

/* The model's rule for an equal start: AFTER goes past every equal start,
 * BEFORE stops at the first one. */
static void model_insert(struct model *m, struct itree_node *node)
{
	int pos = 0;

	while (pos < m->n && (m->order[pos]->start < node->start ||
			      (m->eq == ITREE_EQUAL_AFTER && m->order[pos]->start == node->start)))
		pos++;
	memmove(&m->order[pos + 1], &m->order[pos], (size_t)(m->n - pos) * sizeof(m->order[0]));
	m->order[pos] = node;
	m->n++;
}

static void model_remove_at(struct model *m, int pos)
{
	memmove(&m->order[pos], &m->order[pos + 1], (size_t)(m->n - pos - 1) * sizeof(m->order[0]));
	m->n--;
}

static bool query_matches(const struct model *m, unsigned long start, unsigned long last,
			  const char *what, int op)
{
	const struct itree_node *got = itree_iter_first(&m->root, start, last);

	for (int i = 0; i < m->n; i++) {
		if (!overlaps(m->order[i], start, last))
			continue;
		if (got != m->order[i]) {
			fprintf(stderr, "op %d: %s [%lu, %lu]: expected node [%lu, %lu], got %p\n",
				op, what, start, last, m->order[i]->start, m->order[i]->last,
				(const void *)got);
			return false;
		}
		got = itree_iter_next(got, start, last);
	}
	if (got) {
		fprintf(stderr, "op %d: %s [%lu, %lu]: extra node [%lu, %lu]\n",
			op, what, start, last, got->start, got->last);
		return false;
	}
	return true;
}

static bool model_matches(struct model *m, int op)
{
	char msg[160];
	const struct itree_node *n;
	int i = 0;

	if (itree_check(&m->root, msg, sizeof(msg))) {
		fprintf(stderr, "op %d: %s\n", op, msg);
		return false;
	}
	if (itree_empty(&m->root) != (m->n == 0)) {
		fprintf(stderr, "op %d: itree_empty disagrees with the model\n", op);
		return false;
	}
	for (n = itree_first(&m->root); n; n = itree_next(n), i++) {
		if (i >= m->n || n != m->order[i]) {
			fprintf(stderr, "op %d: in-order differs at position %d\n", op, i);
			return false;
		}
	}
	if (i != m->n) {
		fprintf(stderr, "op %d: tree has %d nodes, model %d\n", op, i, m->n);
		return false;
	}

	unsigned long point = rnd(KEYS + MAXLEN + 3);
	unsigned long a = rnd(KEYS + MAXLEN + 3), b = a + rnd(MAXLEN + 2);

	return query_matches(m, point, point, "point", op) &&
	       query_matches(m, a, b, "range", op) &&
	       query_matches(m, 0, ULONG_MAX, "everything", op);
}

static bool run_brute_force(enum itree_equal eq, uint64_t seed, int ops)
{
	static struct model m;

	memset(&m, 0, sizeof(m));
	m.eq = eq;
	rnd_seed(seed);

	for (int op = 0; op < ops; op++) {
		/* Phases that grow, hold, and shrink the tree, so it is
		 * rebuilt through every size more than once. */
		static const unsigned insert_pct[] = { 75, 50, 25 };
		bool insert = rnd(100) < insert_pct[(op / 400) % 3];

		if (m.n == 0)
			insert = true;
		if (m.n == POOL)
			insert = false;

		if (insert) {
			int i = (int)rnd(POOL);

			while (m.in_tree[i])
				i = (i + 1) % POOL;
			struct itree_node *node = &m.nodes[i];

			node->start = rnd(KEYS);
			node->last = node->start + rnd(MAXLEN + 1);
			itree_insert(&m.root, node, eq);
			m.in_tree[i] = true;
			model_insert(&m, node);
		} else {
			int pos = (int)rnd((unsigned)m.n);
			struct itree_node *node = m.order[pos];

			itree_remove(&m.root, node);
			m.in_tree[node - m.nodes] = false;
			model_remove_at(&m, pos);
		}
		if (!model_matches(&m, op)) {
			fprintf(stderr, "seed %llu failed at op %d\n", (unsigned long long)seed, op);
			return false;
		}
	}
	/* Drain in a random order: removals down to the empty tree. */
	while (m.n) {
		int pos = (int)rnd((unsigned)m.n);

		itree_remove(&m.root, m.order[pos]);
		model_remove_at(&m, pos);
		if (!model_matches(&m, ops))
			return false;
	}
	return itree_empty(&m.root);
}

static const uint64_t seeds[] = { 1, 2, 0xdeadbeef, 20121008, 0x0123456789abcdefull };

static void brute_force_after(void)
{
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
		CHECK(run_brute_force(ITREE_EQUAL_AFTER, seeds[i], 4000));
}

static void brute_force_before(void)
{
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
		CHECK(run_brute_force(ITREE_EQUAL_BEFORE, seeds[i], 4000));
}

/* ---- augmentation ------------------------------------------------------ */

/* Independent of itree_check: recompute every subtree maximum from scratch
 * and count nodes whose stored value disagrees. */
static unsigned long expected_subtree_last(const struct itree_node *n, int *bad)
{
	unsigned long max;

	if (!n)
		return 0;
	max = n->last;
	unsigned long l = expected_subtree_last(n->left, bad);
	unsigned long r = expected_subtree_last(n->right, bad);
	if (n->left && l > max)
		max = l;
	if (n->right && r > max)
		max = r;
	if (n->subtree_last != max)
		(*bad)++;
	return max;
}

#define AUG_N 64

static void expect_sound(const struct itree_root *root, const struct itree_node *nodes,
			 const bool *in)
{
	char msg[160];
	int bad = 0, i = 0;
	unsigned long max = 0;

	if (itree_check(root, msg, sizeof(msg))) {
		fprintf(stderr, "%s\n", msg);
		CHECK(0);
	}
	expected_subtree_last(root->node, &bad);
	CHECK_EQ(bad, 0);

	/* Ascending distinct starts: the in-order is the present indices. */
	for (const struct itree_node *n = itree_first(root); n; n = itree_next(n)) {
		while (i < AUG_N && !in[i])
			i++;
		CHECK(i < AUG_N && n == &nodes[i]);
		i++;
	}
	for (int j = 0; j < AUG_N; j++)
		if (in[j] && nodes[j].last > max)
			max = nodes[j].last;
	if (root->node)
		CHECK_EQ(root->node->subtree_last, max);
}

static struct itree_node *interior_non_root(const struct itree_root *root)
{
	for (struct itree_node *n = itree_first(root); n; n = itree_next(n))
		if (n->parent && n->left && n->right)
			return n;
	return NULL;
}

static void augmentation_after_rotations(void)
{
	struct itree_root root = { NULL };
	struct itree_node nodes[AUG_N];
	bool in[AUG_N] = { false };
	const int big = 5;	/* the one interval that dominates every maximum */

	memset(nodes, 0, sizeof(nodes));
	/* Ascending starts force a rotation every other insert. */
	for (int i = 0; i < AUG_N; i++) {
		nodes[i].start = (unsigned long)i * 4;
		nodes[i].last = nodes[i].start + (unsigned long)((i * 37) % 11);
		if (i == big)
			nodes[i].last = 10000;
		itree_insert(&root, &nodes[i], ITREE_EQUAL_AFTER);
		in[i] = true;
		expect_sound(&root, nodes, in);
	}

	/* The root always has two children here, so this is the successor
	 * swap at the top, each time. */
	for (int k = 0; k < 8; k++) {
		struct itree_node *r = root.node;

		CHECK(r->left && r->right);
		itree_remove(&root, r);
		in[r - nodes] = false;
		CHECK(root.node != r);
		expect_sound(&root, nodes, in);
	}

	/* Successor swaps below the root. */
	for (int k = 0; k < 12; k++) {
		struct itree_node *n = interior_non_root(&root);

		CHECK(n != NULL);
		if (!n)
			break;
		itree_remove(&root, n);
		in[n - nodes] = false;
		expect_sound(&root, nodes, in);
	}

	/* Taking out the dominant interval must lower the maxima on its
	 * whole path (expect_sound compares the root against the survivors). */
	if (in[big]) {
		itree_remove(&root, &nodes[big]);
		in[big] = false;
		expect_sound(&root, nodes, in);
		CHECK(root.node->subtree_last < 10000);
	}

	/* The rest in a scattered order, down to empty. */
	for (int k = 0; k < AUG_N; k++) {
		int i = (k * 29) % AUG_N;

		if (!in[i])
			continue;
		itree_remove(&root, &nodes[i]);
		in[i] = false;
		expect_sound(&root, nodes, in);
	}
	CHECK(itree_empty(&root));
}

/* ---- the checker can fail ---------------------------------------------- */

static void check_catches_corruption(void)
{
	struct itree_root root = { NULL };
	struct itree_node nodes[20];
	char msg[160];
	int n = (int)(sizeof(nodes) / sizeof(nodes[0]));

	memset(nodes, 0, sizeof(nodes));
	/* Lasts far above every start, so swapping two starts breaks only
	 * the order, never start <= last or a maximum. */
	for (int i = 0; i < n; i++) {
		nodes[i].start = (unsigned long)i * 2;
		nodes[i].last = nodes[i].start + 100;
		itree_insert(&root, &nodes[i], ITREE_EQUAL_AFTER);
	}
	CHECK_EQ(itree_check(&root, msg, sizeof(msg)), 0);

	/* A stale maximum, too high at a leaf-ish node and too low at the root. */
	struct itree_node *victim = &nodes[7];
	unsigned long saved = victim->subtree_last;

	victim->subtree_last = saved + 1;
	msg[0] = '\0';
	CHECK_EQ(itree_check(&root, msg, sizeof(msg)), -1);
	CHECK(strstr(msg, "subtree_last") != NULL);
	victim->subtree_last = saved;
	CHECK_EQ(itree_check(&root, msg, sizeof(msg)), 0);

	saved = root.node->subtree_last;
	root.node->subtree_last = saved - 1;
	CHECK_EQ(itree_check(&root, msg, sizeof(msg)), -1);
	CHECK(strstr(msg, "subtree_last") != NULL);
	root.node->subtree_last = saved;
	CHECK_EQ(itree_check(&root, msg, sizeof(msg)), 0);

	/* Two reds in a row: paint a red node's (black) child red. */
	struct itree_node *child = NULL;

	for (struct itree_node *p = itree_first(&root); p && !child; p = itree_next(p))
		if (p->red)
			child = p->left ? p->left : p->right;
	CHECK(child != NULL);
	if (child) {
		CHECK(!child->red);
		child->red = true;
		msg[0] = '\0';
		CHECK_EQ(itree_check(&root, msg, sizeof(msg)), -1);
		CHECK(strstr(msg, "red") != NULL);
		child->red = false;
		CHECK_EQ(itree_check(&root, msg, sizeof(msg)), 0);
	}

	/* Order: swap the starts of the first and the last node in order. */
	struct itree_node *first = itree_first(&root), *last = first;

	for (struct itree_node *p = first; p; p = itree_next(p))
		last = p;
	unsigned long s = first->start;

	first->start = last->start;
	last->start = s;
	msg[0] = '\0';
	CHECK_EQ(itree_check(&root, msg, sizeof(msg)), -1);
	CHECK(strstr(msg, "order") != NULL);
	last->start = first->start;
	first->start = s;
	CHECK_EQ(itree_check(&root, msg, sizeof(msg)), 0);

	/* A parent pointer that does not point back. */
	struct itree_node *leaf = first;	/* leftmost: has a parent */
	struct itree_node *saved_parent = leaf->parent;

	leaf->parent = root.node == saved_parent ? last : root.node;
	msg[0] = '\0';
	CHECK_EQ(itree_check(&root, msg, sizeof(msg)), -1);
	CHECK(strstr(msg, "parent") != NULL);
	leaf->parent = saved_parent;
	CHECK_EQ(itree_check(&root, msg, sizeof(msg)), 0);

	/* A red root. */
	root.node->red = true;
	CHECK_EQ(itree_check(&root, msg, sizeof(msg)), -1);
	CHECK(strstr(msg, "root") != NULL);
	root.node->red = false;
	CHECK_EQ(itree_check(&root, msg, sizeof(msg)), 0);
}

/* ---- edges ------------------------------------------------------------- */

static void empty_and_single(void)
{
	struct itree_root root = { NULL };
	struct itree_node node;
	char msg[160];

	CHECK(itree_empty(&root));
	CHECK(itree_first(&root) == NULL);
	CHECK(itree_iter_first(&root, 0, 0) == NULL);
	CHECK(itree_iter_first(&root, 0, ULONG_MAX) == NULL);
	CHECK_EQ(itree_check(&root, msg, sizeof(msg)), 0);

	memset(&node, 0xa5, sizeof(node));	/* insert must not trust stale fields */
	node.start = 5;
	node.last = 9;
	itree_insert(&root, &node, ITREE_EQUAL_AFTER);
	CHECK(!itree_empty(&root));
	CHECK(root.node == &node);
	CHECK(!node.red);
	CHECK(node.parent == NULL && node.left == NULL && node.right == NULL);
	CHECK_EQ(node.subtree_last, 9);
	CHECK_EQ(itree_check(&root, msg, sizeof(msg)), 0);
	CHECK(itree_first(&root) == &node);
	CHECK(itree_next(&node) == NULL);

	/* Closed interval: both ends count. */
	static const unsigned long hit[][2] = {
		{ 5, 5 }, { 9, 9 }, { 3, 5 }, { 9, 12 }, { 6, 7 }, { 0, ULONG_MAX },
	};
	static const unsigned long miss[][2] = {
		{ 0, 4 }, { 4, 4 }, { 10, 10 }, { 10, ULONG_MAX },
	};
	for (size_t i = 0; i < sizeof(hit) / sizeof(hit[0]); i++) {
		CHECK(itree_iter_first(&root, hit[i][0], hit[i][1]) == &node);
		CHECK(itree_iter_next(&node, hit[i][0], hit[i][1]) == NULL);
	}
	for (size_t i = 0; i < sizeof(miss) / sizeof(miss[0]); i++)
		CHECK(itree_iter_first(&root, miss[i][0], miss[i][1]) == NULL);

	itree_remove(&root, &node);
	CHECK(itree_empty(&root));
	CHECK(itree_first(&root) == NULL);
	CHECK(itree_iter_first(&root, 5, 5) == NULL);
	CHECK_EQ(itree_check(&root, msg, sizeof(msg)), 0);

	/* And the same node can go back in. */
	itree_insert(&root, &node, ITREE_EQUAL_BEFORE);
	CHECK(root.node == &node);
	CHECK_EQ(itree_check(&root, msg, sizeof(msg)), 0);
	itree_remove(&root, &node);
	CHECK(itree_empty(&root));
}

TEST_MAIN(T(brute_force_after), T(brute_force_before), T(augmentation_after_rotations),
	  T(check_catches_corruption), T(empty_and_single))
