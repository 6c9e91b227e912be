/* The bounded exhaustive explorer (explore.h, docs/explore.md). */
#define _POSIX_C_SOURCE 200809L
#include "explore.h"

#include <assert.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "anon_vma.h"
#include "arena.h"
#include "explore_canon.h"
#include "interval_tree.h"
#include "mm.h"
#include "oracle.h"
#include "page.h"
#include "program.h"
#include "protocol.h"
#include "run.h"
#include "sched.h"
#include "strbuf.h"
#include "task.h"
#include "world.h"

void explore_default_bound(struct explore_bound *b)
{
	*b = (struct explore_bound){ .max_ops = 5, .max_conc = 3, .max_pmds = 6, .max_mms = 3,
				     .preemptions = -1, .families = FAMILY_WALK, .shards = 1,
				     .ops = EXPLORE_OPS_2014 };
}

/* The menu's operations by name, in enum explore_op's order. */
static const char *const op_names[] = { "fork", "munmap", "mremap", "resize", "madvise", "mprotect",
					"exit", "exec", "fault", "access", "walks" };
_Static_assert(sizeof(op_names) / sizeof(op_names[0]) == 11 && EXPLORE_OPS_ALL == (1u << 11) - 1,
	       "a name for every menu operation");

bool explore_ops_parse(const char *s, unsigned *ops, char *why, size_t size)
{
	unsigned v = 0;
	if (!strcmp(s, "all")) {
		*ops = EXPLORE_OPS_ALL;
		return true;
	}
	for (const char *p = s;; p++) {
		size_t n = strcspn(p, ",");
		unsigned bit = 0;
		for (unsigned i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++)
			if (strlen(op_names[i]) == n && !strncmp(op_names[i], p, n))
				bit = 1u << i;
		if (!bit) {
			snprintf(why, size, "no menu operation '%.*s' (all, or of fork, munmap, mremap, "
				 "resize, madvise, mprotect, exit, exec, fault, access, walks)", (int)n, p);
			return false;
		}
		v |= bit;
		p += n;
		if (!*p)
			break;
	}
	/* A program is operations beside a walk: something for it to race. */
	if (!(v & ~EXPLORE_OP_WALKS)) {
		snprintf(why, size, "walks alone: the menu needs an operation besides the walk");
		return false;
	}
	*ops = v;
	return true;
}

void explore_ops_text(unsigned ops, const char *sep, struct strbuf *sb)
{
	const char *s = "";
	for (unsigned i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++)
		if (ops & (1u << i)) {
			sb_printf(sb, "%s%s", s, op_names[i]);
			s = sep;
		}
}

/* A schedule longer than this is cut and counted (truncated), and path[]
 * is this long: a guard, as every operation ends (a retry loop must wait
 * for another task's step) and none has come near it; it would also end a
 * loop through states with one runnable task, which are never hashed. */
#define MAX_PATH 400

/* ---- sets of 128-bit state hashes: open addressing, linear probing.
 * A slot is its key (h0, h1) first, then what the set keeps with it:
 * nothing in a keyset (16 bytes a slot; the first search without a
 * preemption bound needs no label, as its cut asks only whether a state
 * was seen, nor do the quiescent worlds and the tests' and --measure's
 * counts), a label in the visited set. (0, 0) marks an empty slot: a hash
 * that is (0, 0) is stored as (0, 1), one more collision in 2^128. ---- */

struct key128 { unsigned long long h0, h1; };

struct hashset {
	unsigned char *slot;
	size_t size;			/* bytes a slot, a multiple of 8 */
	size_t cap, used;		/* cap a power of two */
};

static void *hashset_find(struct hashset *k, unsigned long long h0, unsigned long long h1,
			  bool *fresh);

static void hashset_grow(struct hashset *k)
{
	assert(k->size >= sizeof(struct key128) && k->size % 8 == 0);	/* slots stay aligned */
	struct hashset old = *k;
	k->cap = old.cap ? old.cap * 2 : 1 << 14;
	k->slot = calloc(k->cap, k->size);
	if (!k->slot) {
		fprintf(stderr, "rmapfuzz explore: out of memory (visited states: %zu, %zu MB more "
			"needed)\n", old.used, k->cap * k->size >> 20);
		exit(2);
	}
	k->used = 0;
	for (size_t i = 0; i < old.cap; i++) {
		const struct key128 *s = (const void *)(old.slot + i * old.size);
		bool fresh;
		if (s->h0 || s->h1)
			memcpy(hashset_find(k, s->h0, s->h1, &fresh), s, k->size);
	}
	free(old.slot);
}

/* The slot of (h0, h1), its key set and the rest zero when it was not in
 * the set (fresh). */
static void *hashset_find(struct hashset *k, unsigned long long h0, unsigned long long h1,
			  bool *fresh)
{
	if (!h0 && !h1)
		h1 = 1;
	/* Up to 7/8 full: the set is most of the memory of a big search. An
	 * insert (every new state) then probes some 30 slots on average, where
	 * 3/4 would probe 8; no change in time was measurable. */
	if ((k->used + 1) * 8 >= k->cap * 7)
		hashset_grow(k);
	for (size_t i = (size_t)h0 & (k->cap - 1);; i = (i + 1) & (k->cap - 1)) {
		struct key128 *s = (void *)(k->slot + i * k->size);
		if (!s->h0 && !s->h1) {
			s->h0 = h0;
			s->h1 = h1;
			k->used++;
			*fresh = true;
			return s;
		}
		if (s->h0 == h0 && s->h1 == h1) {
			*fresh = false;
			return s;
		}
	}
}

static void hashset_free(struct hashset *k)
{
	free(k->slot);
	*k = (struct hashset){ .size = k->size };
}

/* A keyset: true when (h0, h1) was not in it (it is now). */
static bool keyset_add(struct hashset *k, unsigned long long h0, unsigned long long h1)
{
	bool fresh;
	hashset_find(k, h0, h1, &fresh);
	return fresh;
}

/* The visited set's slot: the best label a state was explored from, in
 * the counterexamples' order: the fewest operations of the programs
 * reaching it, then the fewest steps, then the fewest preemptions of those
 * paths, with the task that ran last on that path (which decides whether
 * the next step is a preemption). 24 bytes. */
struct visited_slot {
	struct key128 key;		/* hashset_find's, read through it alone */
	unsigned char ops;
	signed char last;
	unsigned short depth;
	short depth_preempt;
	short preempt;			/* the fewest preemptions of any path */
};
_Static_assert(sizeof(struct visited_slot) % 8 == 0, "slots stay aligned in a hashset");

static struct visited_slot *visited_find(struct hashset *v, unsigned long long h0,
					 unsigned long long h1, bool *fresh)
{
	return hashset_find(v, h0, h1, fresh);
}

/* ---- a saved state ---- */

struct snap {
	struct world w;
	struct oracle o;
	struct arena_snap a;
};

/* ---- one exploration ---- */

struct ex {
	const struct explore_bound *b;
	const struct protocol *proto;
	struct explore_result *res;
	explore_found_fn found;
	void *found_ctx;
	bool progress;
	double t0, last_progress;
	unsigned long total;		/* the programs in the bound (progress), 0: not counted */

	struct world *w;
	struct oracle o;

	struct record rec[PROGRAM_MAX_RECORDS];
	int nrec, ops;			/* records; operations (set-up and concurrent) */
	unsigned long candidate;	/* programs numbered in enumeration order */
	unsigned inv_seen;		/* this program's invariants reported (found) */
	/* One visited set for every program of the bound: the states of the
	 * concurrent phase, with the best label each was explored from. */
	struct hashset visited;
	/* The same without labels, when none is needed: the first search
	 * without a preemption bound (visit). */
	struct hashset seen;
	struct arena_canon canon;	/* the canonical hash's scratch */
	/* The quiescent worlds set-up operations left, keyed with how many
	 * there were and the level's operations; dup: the world now is one of
	 * them seen before. */
	struct hashset worlds;
	bool dup;
	/* The second, exact search of the shortest counterexamples (explore):
	 * a state is explored again when reached by a strictly better label,
	 * and only in the levels where an invariant was first broken, only as
	 * deep as a counterexample of theirs could still improve. */
	bool shortest;
	int level;				/* the operations of the programs now searched */
	int min_ops[EXPLORE_MAX_INVARIANTS];	/* the fewest operations each broke with */
	int path[MAX_PATH];
	/* A walk (EXPLORE_OP_WALKS) or an access (EXPLORE_OP_ACCESS) started
	 * late: the last of rec, started after path[late_at - 1]; 0: every
	 * record started before path[0]. late_kind: which the program starts. */
	int late_at;
	enum late_kind { LATE_WALK, LATE_ACCESS } late_kind;
	struct snap *snaps;		/* one per DFS depth, and per set-up level */
	int nr_snaps;
	/* Names left out of the hash (names_hide, names_show): the fields
	 * overwritten, with what they held, and the avcs ranked. */
	struct name_undo { void *p; unsigned long v; unsigned char size; } *undo;
	int nr_undo, cap_undo;
	struct anon_vma_chain **avcs;
	int nr_avcs, cap_avcs;
	struct itree_save { struct itree_node *node, saved; } *itree;	/* names_itree's */
	int nr_itree, cap_itree;
	/* --measure (measure_state): the states of this search again, told
	 * apart modulo kinds of names; steps per operation; states per
	 * program; where blocked tasks wait. */
	struct hashset measured[4];
	/* check_layouts: the distinct layout hashes, whole hashes, and pairs */
	struct hashset layouts[3];
	/* names_hide_attempts: the returning frames it hashed as returned */
	struct { struct task *t; struct frame f; } popped[MAX_TASKS];
	int nr_popped;
	bool whole;			/* this hash reads tasks and mms whole */
	bool hiding;			/* names are hidden (names_hide to names_show) */
	unsigned long measure_states[4];
	unsigned long op_tasks[NR_TASK_OPS], op_steps[NR_TASK_OPS];
	unsigned long prog_states_hist[8];	/* programs by states: 0, 1-9, 10-99, ... */
	unsigned long blocked_at[NR_TASK_OPS][16];	/* states with a task blocked there, */
	unsigned long blocked_known[NR_TASK_OPS][16];	/* and on a lock task_next_lock knows */
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool stopped(const struct ex *x) { return x->o.invariant || x->w->halted; }

/* Asked to stop now (a signal): every loop of the search returns at once;
 * explore() keeps the levels finished before. */
static bool interrupted(const struct ex *x) { return x->b->interrupt && *x->b->interrupt; }

/* Another search of the bound stopped at a violation in a level below the
 * one under way (explore_bound.shared_stop): this one is given up too. */
static bool overtaken(const struct ex *x)
{
	if (!x->b->shared_stop)
		return false;
	int l = atomic_load(x->b->shared_stop);
	return l && l < x->level;
}

/* Every loop of the search returns at once on either. */
static bool stop_now(const struct ex *x) { return interrupted(x) || overtaken(x); }

/* What run.c's run_step does for a run without features or a log: the
 * oracle after a step only when the world halted (the structural checks
 * at the end, as the fuzz target and replay judge). */
static bool ex_step(void *ctx, struct task *t)
{
	struct ex *x = ctx;
	if (sched_step_task(x->w, t) != STEP_DONE)
		return false;
	if (x->w->halted)
		oracle_after_step(&x->o);
	return !stopped(x);
}

static struct snap *snap_at(struct ex *x, int i)
{
	if (i >= x->nr_snaps) {
		int n = x->nr_snaps ? x->nr_snaps * 2 : 64;
		while (n <= i)
			n *= 2;
		x->snaps = realloc(x->snaps, (size_t)n * sizeof(*x->snaps));
		if (!x->snaps) {
			fputs("rmapfuzz explore: out of memory (snapshots)\n", stderr);
			exit(2);
		}
		memset(x->snaps + x->nr_snaps, 0, (size_t)(n - x->nr_snaps) * sizeof(*x->snaps));
		x->nr_snaps = n;
	}
	return &x->snaps[i];
}

static void save(struct ex *x, int i)
{
	struct snap *s = snap_at(x, i);
	arena_save(&x->w->mem, &s->a);
	s->w = *x->w;
	s->o = x->o;
}

static void restore(struct ex *x, int i)
{
	struct snap *s = &x->snaps[i];
	arena_restore(&x->w->mem, &s->a);
	*x->w = s->w;
	/* A judged leaf may have written the oracle's detail: the saved state
	 * had none (a node with a violation is never saved). */
	sb_free(&x->o.detail);
	x->o = s->o;
}

/* The state's hash: the world struct's state (not its statistics: op_stats
 * counts lock sections, which no step reads), every used byte of its
 * arena, and the oracle's own state, whose walks under way are pointers
 * into the tasks (its verdict so far is NULL at every node hashed). Under
 * a preemption bound the task that ran last is state too: it decides what
 * counts as a preemption from here. */
/* Slots no step reads: a task's frames, held locks, in-flight entries and
 * gathered pages beyond their counts (task.h: "each read only below its
 * count"), and the world's task pointers beyond nr_tasks. They keep
 * whatever was there before (a returned call's frame, a dropped lock, a
 * branch the search left), so two visits of one state could differ in
 * them: zeroed before the state is hashed, they do not. Measured: 28%
 * fewer states at 3 operations, 2 concurrent, 3 pmds, 1 mm (linux-3.14).
 * The hash by object does not read a task's dead slots (explore_canon.c):
 * only the byte hash and whole objects need them zeroed (arrays). */
static void clear_dead(struct world *w, bool arrays)
{
	for (int i = 0; arrays && i < w->nr_tasks; i++) {
		struct task *t = w->task[i];
		mem_zero(&t->frames[t->depth], (size_t)(TASK_MAX_FRAMES - t->depth) * sizeof(t->frames[0]));
		mem_zero(&t->held[t->nheld], (size_t)(TASK_MAX_HELD - t->nheld) * sizeof(t->held[0]));
		mem_zero(&t->inflight[t->nr_inflight],
			 (size_t)(TASK_MAX_INFLIGHT - t->nr_inflight) * sizeof(t->inflight[0]));
		mem_zero(&t->gathered[t->nr_gathered],
			 (size_t)(MMU_GATHER_PAGES - t->nr_gathered) * sizeof(t->gathered[0]));
	}
	for (int i = w->nr_tasks; i < MAX_TASKS; i++)
		w->task[i] = NULL;
}


/* perm[0, n) to the next permutation in lexicographic order; false (perm
 * unchanged) after the last. */
static bool next_permutation(int *perm, int n)
{
	int i = n - 2;
	while (i >= 0 && perm[i] > perm[i + 1])
		i--;
	if (i < 0)
		return false;
	int j = n - 1;
	while (perm[j] < perm[i])
		j--;
	int t = perm[i];
	perm[i] = perm[j];
	perm[j] = t;
	for (int a = i + 1, b = n - 1; a < b; a++, b--)
		t = perm[a], perm[a] = perm[b], perm[b] = t;
	return true;
}

/* ---- names: what the hash leaves out (docs/explore.md, "Names") ----
 *
 * Some values of a state are names, read by no step but to tell objects
 * apart or to order them: the ids of vmas, anon_vmas and pages (traces and
 * messages only), the counters that hand them out, the oracle's scratch
 * counts (page->scan, anon_vma->scan_*: set before each read), an avc's
 * insertion number (compared only between neighbours of one interval tree
 * with equal starts, and given anew at every insertion: the tree's order
 * says it), and task ids (compared only for equality, as lock owners;
 * their order is the order of w->task, which the hash keeps). Two
 * interleavings of a program that allocate in another order, or two
 * programs that start the same tasks with other ids, leave states that
 * differ only there. Before hashing, names_hide overwrites them with
 * canonical values (0; an indexed avc's position in its tree's order; a
 * task's rank in w->task, for its id and the locks it owns), logging
 * what was there; names_show puts it back. A vma's id the hash leaves
 * out where it meets the vma (explore_canon.c), wherever the vma lies.
 * Whatever it misses keeps its name in the hash: that only tells states
 * apart, which the tests' comparison of the sets of states reached
 * (dedup_reaches_enumerations_states) would show. */

static void undo_push(struct ex *x, void *p, unsigned long v, unsigned char size)
{
	if (x->nr_undo == x->cap_undo) {
		x->cap_undo = x->cap_undo ? x->cap_undo * 2 : 256;
		x->undo = realloc(x->undo, (size_t)x->cap_undo * sizeof(*x->undo));
		if (!x->undo) {
			fputs("rmapfuzz explore: out of memory (names)\n", stderr);
			exit(2);
		}
	}
	x->undo[x->nr_undo++] = (struct name_undo){ p, v, size };
}

static void set_ul(struct ex *x, unsigned long *p, unsigned long v)
{
	undo_push(x, p, *p, sizeof(*p));
	*p = v;
}

static void set_int(struct ex *x, int *p, int v)
{
	undo_push(x, p, (unsigned long)(unsigned)*p, sizeof(*p));
	*p = v;
}

/* p: a one-byte field, a bool or an unsigned char. */
static void set_byte(struct ex *x, void *p, unsigned char v)
{
	unsigned char *b = p;
	undo_push(x, b, *b, 1);
	*b = v;
}

/* p: a pointer field (names_show writes it back as a pointer). */
static void set_ptr(struct ex *x, void *p, const void *v)
{
	undo_push(x, p, (unsigned long)*(void **)p, 0);
	*(const void **)p = v;
}

static void avc_rank_add(struct ex *x, struct anon_vma_chain *avc)
{
	if (x->nr_avcs == x->cap_avcs) {
		x->cap_avcs = x->cap_avcs ? x->cap_avcs * 2 : 64;
		x->avcs = realloc(x->avcs, (size_t)x->cap_avcs * sizeof(*x->avcs));
		if (!x->avcs) {
			fputs("rmapfuzz explore: out of memory (names)\n", stderr);
			exit(2);
		}
	}
	x->avcs[x->nr_avcs++] = avc;
}


/* An interval tree without its shape: links, colours and subtree maxima
 * left out, the root's link NULL (its nodes are reached from their vmas'
 * chains). Every reader of a tree depends on its order and keys alone,
 * and the order is the keys' and, among equal starts, the insertion
 * numbers' (the rule is the protocol's), which the hash keeps as each
 * avc's position in it (docs/explore.md, "Names"). */
static void names_itree(struct ex *x, struct anon_vma *av, int first)
{
	int n = x->nr_avcs - first;
	if (x->nr_itree + n > x->cap_itree) {
		x->cap_itree = x->cap_itree ? x->cap_itree * 2 : 64;
		if (x->cap_itree < x->nr_itree + n)
			x->cap_itree = x->nr_itree + n;
		x->itree = realloc(x->itree, (size_t)x->cap_itree * sizeof(*x->itree));
		if (!x->itree) {
			fputs("rmapfuzz explore: out of memory (names)\n", stderr);
			exit(2);
		}
	}
	/* Whole nodes saved and put back (names_show): one copy a node. */
	for (int i = first; i < x->nr_avcs; i++) {
		struct itree_node *node = &x->avcs[i]->rb;
		x->itree[x->nr_itree++] = (struct itree_save){ node, *node };
		node->parent = node->left = node->right = NULL;
		node->red = false;
		node->subtree_last = 0;
	}
	set_ptr(x, &av->rb_root.node, NULL);
}

static void names_anon_vmas(struct ex *x, struct list_head *head)
{
	struct anon_vma *av;
	list_for_each_entry(av, head, world_node) {
		set_ul(x, &av->id, 0);
		set_int(x, &av->scan_vmas, 0);
		set_int(x, &av->scan_children, 0);
		int first = x->nr_avcs;
		for (struct itree_node *n = itree_first(&av->rb_root); n; n = itree_next(n))
			avc_rank_add(x, container_of(n, struct anon_vma_chain, rb));
		names_itree(x, av, first);
		/* Only a tree compares insertion numbers: on a list or the
		 * templist they are read by nothing (an avc out of the index
		 * has none: anon_vma_index_remove). */
		struct anon_vma_chain *avc;
		list_for_each_entry(avc, &av->head, same_anon_vma)
			set_ul(x, &avc->seq, 0);
		list_for_each_entry(avc, &av->templist, templist_node)
			set_ul(x, &avc->seq, 0);
	}
}

/* The step counters are clocks: w->steps and t->steps grow at every step,
 * and a task's count of its anon_vma lock sections at each, but no step
 * reads one but to ask whether a task has begun (t->steps != 0, in
 * task_next_lock) or whether another task has stepped since a mark (a
 * spinning retry: t->spin_others, and a retrying split's s->others, against
 * task_others_steps); a split's count of its retries no step reads. The
 * counts only grow, so once another task has stepped past a mark it stays
 * past it. Hashed as those answers, two paths of other lengths to the same
 * world merge: a set-up that took more steps to leave the same layout, a
 * walk that visited more vmas and ended. */
static void names_clocks(struct ex *x)
{
	struct world *w = x->w;
	for (int i = 0; i < w->nr_tasks; i++) {
		struct task *t = w->task[i];
		unsigned long others = task_others_steps(t, w->steps);
		set_ul(x, &t->spin_others, t->spinning && others != t->spin_others);
		for (int d = 0; d < t->depth; d++)
			if (t->frames[d].op == OP_SPLIT_HUGE_PAGE) {
				/* Read only by retry protocols' split_retry. */
				set_ul(x, &t->frames[d].u.split.others,
				       w->proto->split_retry && others != t->frames[d].u.split.others);
				set_int(x, &t->frames[d].u.split.retries, 0);	/* no step reads it */
			}
		set_ul(x, &t->steps, t->steps != 0);
		set_ul(x, &t->anon_vma_locks, 0);
	}
	set_ul(x, &w->steps, 0);
}

/* Locals a frame no longer reads: a migration's pte table id, which the
 * unlocked look records for the locked step after it (visit_ptl) and
 * nothing reads once the visit is done (looked false). */
static void names_dead_locals(struct ex *x)
{
	struct world *w = x->w;
	for (int i = 0; i < w->nr_tasks; i++) {
		struct task *t = w->task[i];
		for (int d = 0; d < t->depth; d++) {
			struct frame *f = &t->frames[d];
			if (f->op == OP_MIGRATE && !f->u.migrate.looked)
				set_byte(x, &f->u.migrate.table, 0);
		}
	}
}

/* tasks: task ids by rank too. */
static void names_hide(struct ex *x, bool tasks)
{
	struct world *w = x->w;
	x->hiding = true;	/* and the hash leaves vma ids out (explore_canon.c) */
	x->nr_undo = 0;
	x->nr_avcs = 0;
	/* Before names_hide_attempts, whose task_next_lock then reads these
	 * fields in the form the hash keeps: t->steps as whether it has
	 * begun, migrate.table only with looked set. A claim function that
	 * read a hidden field otherwise would have to run before this. */
	names_clocks(x);
	names_dead_locals(x);
	set_ul(x, &w->next_vma_id, 0);
	set_ul(x, &w->next_anon_vma_id, 0);
	set_ul(x, &w->next_page_id, 0);
	set_ul(x, &w->avc_seq, 0);
	/* The indexed avcs (every anon_vma is on one of the two lists),
	 * numbered 1.. in each tree's order. An insertion number is compared
	 * only between neighbours of one tree with equal starts (check.c's
	 * stability check), which itree_insert placed in insertion order (or
	 * its reverse) and which keep it (keys do not change while indexed,
	 * which check.c checks too): the tree's order says all of it. The
	 * order of insertions into different trees, or of different starts,
	 * is history no step reads. */
	names_anon_vmas(x, &w->anon_vmas);
	names_anon_vmas(x, &w->dead_anon_vmas);
	for (int i = 0; i < x->nr_avcs; i++)
		set_ul(x, &x->avcs[i]->seq, (unsigned long)i + 1);
	for (int b = 0; b < w->nr_page_blocks; b++) {
		struct page *pg = w->page_blocks[b];
		for (int i = 0; i < pg->nr; i++) {
			set_ul(x, &pg[i].id, 0);
			set_int(x, &pg[i].scan, 0);
		}
	}
	/* The page blocks' array lives outside the arena, reallocated as it
	 * grows: its address and room are no state (its count and the pages
	 * are). */
	set_ptr(x, &w->page_blocks, NULL);
	set_int(x, &w->cap_page_blocks, 0);
	if (!tasks)
		return;
	set_int(x, &w->next_task_id, 0);
	for (int i = 0; i < w->nr_tasks; i++) {
		struct task *t = w->task[i];
		int id = t->id;
		for (int k = 0; k < t->nheld; k++)
			if (t->held[k].lock->writer == id)
				set_int(x, &t->held[k].lock->writer, i + 1);
		set_int(x, &t->id, i + 1);
	}
}

/* Also a task's scratch of its last attempt, written before it is read
 * at the start of every attempt (sched_step_task): the kernel function
 * it named (t->step: messages only) and what it held before it. */
static void names_hide_attempts(struct ex *x, bool next_lock)
{
	struct world *w = x->w;
	for (int i = 0; i < w->nr_tasks; i++) {
		struct task *t = w->task[i];
		set_ptr(x, (void *)&t->step, NULL);
		set_int(x, &t->attempt_held, 0);
		/* Not yet tried, or tried and blocked, on the lock its next
		 * attempt takes before reading anything: hashed as blocked on
		 * it (task_next_lock; the argument in docs/explore.md). The
		 * same violations, with the same fewest operations, follow
		 * both, but not the same fewest preemptions (a task that may
		 * run makes another's step a preemption): not in the shortest
		 * search. */
		bool write;
		int returns = 0;
		struct lock *next = next_lock ? task_next_lock_through(w, t, &write, &returns) : NULL;
		if (next && (!t->blocked_on || (t->blocked_on == next && t->blocked_write == write))) {
			set_ptr(x, &t->blocked_on, next);
			set_byte(x, &t->blocked_write, write);
			/* Its frame returns first (task_next_lock_through): hashed
			 * as returned. The frame is kept aside, as a hash that
			 * reads dead slots zeroes them. */
			if (returns) {
				x->popped[x->nr_popped].t = t;
				x->popped[x->nr_popped++].f = t->frames[t->depth - 1];
				set_int(x, &t->depth, t->depth - 1);
				set_int(x, &t->ret, 0);
			}
		}
	}
}

static void names_show(struct ex *x)
{
	x->hiding = false;
	while (x->nr_popped) {
		x->nr_popped--;
		struct task *t = x->popped[x->nr_popped].t;
		t->frames[t->depth] = x->popped[x->nr_popped].f;	/* depth is still the hash's */
	}
	while (x->nr_itree) {
		x->nr_itree--;
		*x->itree[x->nr_itree].node = x->itree[x->nr_itree].saved;
	}
	while (x->nr_undo) {
		const struct name_undo *u = &x->undo[--x->nr_undo];
		if (!u->size)
			*(const void **)u->p = (const void *)u->v;
		else if (u->size == 1)	/* a bool or an unsigned char: one byte */
			*(unsigned char *)u->p = (unsigned char)u->v;
		else if (u->size == sizeof(unsigned long))
			*(unsigned long *)u->p = u->v;
		else
			*(int *)u->p = (int)(unsigned)u->v;
	}
}

/* The rank of task id in w->task (1..), 0 when no live task has it. */
static int task_rank(const struct world *w, int id)
{
	for (int i = 0; i < w->nr_tasks; i++)
		if (w->task[i]->id == id)
			return i + 1;
	return 0;
}

static void state_hash_as(struct ex *x, int last, unsigned long long h[2])
{
	struct world *w = x->w;
	clear_dead(w, x->b->byte_hash || x->whole);
	h[0] = 0x243f6a8885a308d3ull;
	h[1] = 0x13198a2e03707344ull;
	if (!x->b->byte_hash) {
		/* By object (arena_canon): the world struct's state and the
		 * oracle's walks are the roots, the objects they reach are
		 * numbered as met. Where allocation stands (mem.next) is left
		 * out: no step reads an address but to follow it. */
		struct arena_canon *c = &x->canon;
		struct explore_canon_ctx cx = { w, !x->whole, x->hiding };
		c->object = explore_canon_object;
		c->object_ctx = &cx;
		arena_canon_begin(c, &w->mem, h);
		arena_canon_self(c, w, sizeof(*w));
		arena_canon_root(c, &w->mm, offsetof(struct world, op_stats) - offsetof(struct world, mm));
		arena_canon_root(c, &w->halted, sizeof(w->halted));
		arena_canon_root(c, &w->mem.live, sizeof(w->mem.live));
		arena_canon_root(c, &x->o.nr_active, sizeof(x->o.nr_active));
		arena_canon_root(c, x->o.active, (size_t)x->o.nr_active * sizeof(x->o.active[0]));
		if (x->b->preemptions >= 0)
			arena_canon_root(c, &last, sizeof(last));
		arena_canon_end(c, h);
		return;
	}
	mem_hash(&w->mm, offsetof(struct world, op_stats) - offsetof(struct world, mm), h);
	mem_hash(&w->halted, sizeof(w->halted), h);
	mem_hash(&w->mem.next, sizeof(w->mem.next), h);
	mem_hash(&w->mem.live, sizeof(w->mem.live), h);
	arena_hash(&w->mem, h);
	mem_hash(&x->o.nr_active, sizeof(x->o.nr_active), h);
	mem_hash(x->o.active, (size_t)x->o.nr_active * sizeof(x->o.active[0]), h);
	if (x->b->preemptions >= 0)
		mem_hash(&last, sizeof(last), h);
}

/* The state hashed again with tasks and mms read whole: the layouts must
 * tell apart exactly the states whole objects do, so the distinct layout
 * hashes, whole hashes and pairs of them are as many. */
static void check_layouts(struct ex *x, int rank, const unsigned long long h[2])
{
	unsigned long long hw[2];
	x->whole = true;
	state_hash_as(x, rank, hw);
	x->whole = false;
	keyset_add(&x->layouts[0], h[0], h[1]);
	keyset_add(&x->layouts[1], hw[0], hw[1]);
	keyset_add(&x->layouts[2], h[0] ^ (hw[0] * 0x9e3779b97f4a7c15ull),
		   h[1] ^ (hw[1] * 0xc2b2ae3d27d4eb4full));
}

/* The state's hash, names left out unless --no-reduction (or the byte
 * hash). Under a preemption bound last is hashed as its task's rank. */
static void state_hash(struct ex *x, int last, unsigned long long h[2])
{
	if (x->b->no_reduction || x->b->byte_hash) {
		state_hash_as(x, last, h);
		return;
	}
	int rank = task_rank(x->w, last);
	names_hide(x, true);
	names_hide_attempts(x, !x->shortest);
	state_hash_as(x, rank, h);
	if (x->b->check_layouts)
		check_layouts(x, rank, h);
	names_show(x);
}

/* --measure: this state modulo object names (0), and task ids and
 * attempts' scratch (1), and mm numbering too (2: every order of w->mm,
 * the least hash), and (3, not sound: what the reduction cannot merge)
 * every blocked task as one that has not tried; each in a visited set of
 * its own, nothing cut by them. Also which operation and step a blocked
 * task waits at, and whether task_next_lock knows its lock. */
static void measure_state(struct ex *x, int last)
{
	struct world *w = x->w;
	for (int i = 0; i < w->nr_tasks; i++) {
		struct task *t = w->task[i];
		const struct frame *f = &t->frames[t->depth - 1];
		bool write;
		if (t->blocked_on && t->depth && f->pc < 16) {
			x->blocked_at[f->op][f->pc]++;
			x->blocked_known[f->op][f->pc] += task_next_lock(w, t, &write) == t->blocked_on;
		}
	}
	for (int k = 0; k < 4; k++) {
		unsigned long long h[2], best[2] = { ~0ull, ~0ull };
		int perm[MAX_MMS], n = w->nr_mm;
		struct mm_struct *orig[MAX_MMS];
		for (int i = 0; i < n; i++) {
			perm[i] = i;
			orig[i] = w->mm[i];
		}
		for (;;) {
			for (int i = 0; i < n; i++)
				w->mm[i] = orig[perm[i]];
			names_hide(x, k >= 1);
			if (k >= 1)
				names_hide_attempts(x, false);
			for (int i = 0; i < w->nr_tasks && k == 3; i++) {
				/* Not a name: a blocked task waits, a fresh one may try. */
				struct task *t = w->task[i];
				set_ptr(x, &t->blocked_on, NULL);
				set_byte(x, &t->blocked_write, false);
			}
			int ids[MAX_MMS];
			for (int i = 0; i < n && k == 2; i++) {
				ids[i] = w->mm[i]->id;
				w->mm[i]->id = 0;
			}
			state_hash_as(x, k >= 1 ? task_rank(w, last) : last, h);
			for (int i = 0; i < n && k == 2; i++)
				w->mm[i]->id = ids[i];
			names_show(x);
			if (h[0] < best[0] || (h[0] == best[0] && h[1] < best[1]))
				best[0] = h[0], best[1] = h[1];
			/* The next permutation (k == 2 only; more than 4 mms: their
			 * order as it is). */
			if (k != 2 || n > 4 || !next_permutation(perm, n))
				break;
		}
		for (int i = 0; i < n; i++)
			w->mm[i] = orig[i];
		x->measure_states[k] += keyset_add(&x->measured[k], best[0], best[1]);
	}
}

/* check_next_lock (the tests'): what task_next_lock claims of a task, at
 * the state before a step, must hold after it: the task that stepped, if
 * it blocked, blocked on that lock in that mode with its frame as it was,
 * and it did block if another task held the lock (an attempt that begins
 * with something else, such as an unlocked look, would have run); every
 * other task, if still at the same frame and pc, has the same next lock
 * (no other task's step changes it: the hash relies on it). */
struct next_claim {
	int id, depth, pc;
	int returns;			/* frames its attempt returns from first */
	struct lock *lock;
	bool write;
	bool held;			/* by another task, in a mode that excludes ours */
	struct frame top;		/* the frame it blocks in: below the returning */
};

static int next_claims(struct world *w, struct next_claim *c)
{
	int n = 0;
	for (int i = 0; i < w->nr_tasks; i++) {
		struct task *t = w->task[i];
		bool write;
		int returns;
		struct lock *l = task_next_lock_through(w, t, &write, &returns);
		if (!l)
			continue;
		c[n] = (struct next_claim){ .id = t->id, .depth = t->depth, .returns = returns,
					    .lock = l, .write = write,
					    .held = !lock_available_to(t->id, l, write) };
		c[n].top = t->frames[t->depth - 1 - returns];
		c[n].pc = t->frames[t->depth - 1].pc;
		n++;
	}
	return n;
}

static void next_claims_check(struct ex *x, const struct next_claim *c, int n, int stepped,
			      enum step_result r)
{
	struct world *w = x->w;
	for (int i = 0; i < n; i++) {
		struct task *t = task_find(w, c[i].id);
		if (c[i].id == stepped) {
			if (r != STEP_BLOCKED && c[i].held)
				x->res->next_lock_errors++;
			if (r == STEP_BLOCKED &&
			    (!t || t->blocked_on != c[i].lock || t->blocked_write != c[i].write ||
			     t->depth != c[i].depth - c[i].returns ||
			     (c[i].returns && t->ret != 0) ||
			     memcmp(&t->frames[t->depth - 1], &c[i].top, sizeof(c[i].top))))
				x->res->next_lock_errors++;
			continue;
		}
		if (!t || t->depth != c[i].depth || t->frames[t->depth - 1].pc != c[i].pc)
			continue;
		bool write;
		int returns;
		struct lock *l = task_next_lock_through(w, t, &write, &returns);
		if (l != c[i].lock || write != c[i].write || returns != c[i].returns)
			x->res->next_lock_errors++;
	}
}

/* ---- counterexamples ---- */

static int find_inv(struct explore_result *r, const char *name, bool add)
{
	for (int i = 0; i < r->nr_inv; i++)
		if (!strcmp(r->inv[i].name, name))
			return i;
	if (!add || r->nr_inv == EXPLORE_MAX_INVARIANTS)
		return -1;
	int i = r->nr_inv++;
	memset(&r->inv[i], 0, sizeof(r->inv[i]));
	snprintf(r->inv[i].name, sizeof(r->inv[i].name), "%s", name);
	return i;
}

/* < 0 when (ops, steps, preempt) comes before a's in the counterexamples'
 * order, 0 when they tie (the fewer records then win), > 0 after. */
static int cex_cmp(const struct explore_cex *a, int ops, int steps, int preempt)
{
	if (!a->size)
		return -1;
	if (ops != a->ops)
		return ops < a->ops ? -1 : 1;
	if (steps != a->steps)
		return steps < a->steps ? -1 : 1;
	return preempt < a->preemptions ? -1 : preempt > a->preemptions;
}

static bool cex_better(const struct explore_cex *a, const struct explore_cex *b)
{
	int c = cex_cmp(a, b->ops, b->steps, b->preemptions);
	return c < 0 || (c == 0 && b->size < a->size);
}

/* The task's selector in a step record: counted from the newest live one. */
static int task_sel(const int *ids, int n, int id)
{
	for (int i = 0; i < n; i++)
		if (ids[i] == id)
			return n - 1 - i;
	return -1;
}

struct plain {
	struct world *w;
	struct oracle o;
};

static bool plain_step(void *ctx, struct task *t)
{
	struct plain *p = ctx;
	if (sched_step_task(p->w, t) != STEP_DONE)
		return false;
	if (p->w->halted)
		oracle_after_step(&p->o);
	return !(p->o.invariant || p->w->halted);
}

static void plain_begin(struct plain *p, const struct protocol *proto, unsigned families,
			const struct record *rec, int nrec)
{
	p->w = world_new(proto);
	oracle_attach(&p->o, p->w, false);
	p->o.families = families;
	for (int i = 0; i < nrec; i++)
		record_execute(p->w, &rec[i], plain_step, p);
}

static void plain_end(struct plain *p)
{
	oracle_detach(&p->o);
	world_free(p->w);
}

/* The program's records and the schedule path[0, n) as an input: the
 * schedule as step records (two tasks and at most 8 slots each, a record
 * ended by a slot whose attempt blocked, as record_execute's interleave
 * ends it), less its tail where every step is the one the end-of-input
 * drain takes (the lowest-id runnable task). late_at > 0: the last record
 * (a walk or an access) starts after path[late_at - 1], its record between
 * the step records there; late_now: and, where the path runs its task
 * alone from its start to its end, as a `now` record, those steps not
 * written (0 when the path does not). Returns the size, 0 when it does
 * not fit in PROGRAM_MAX_RECORDS records (or late_now cannot be). */
static size_t encode_cex(const struct protocol *proto, unsigned families, const struct record *rec,
			 int nrec, const int *path, int n, int late_at, bool late_now, uint8_t *out)
{
	struct plain p;
	int keep = n, before = late_at > 0 ? nrec - 1 : nrec, alone = 0;

	/* Pass 1: where the drain's choices begin (not before a late start);
	 * how many steps the late task runs alone from its start, ended. */
	plain_begin(&p, proto, families, rec, before);
	{
		int first[MAX_PATH], late_id = -1;
		bool ran_alone = true, ended = false;
		for (int j = 0; j < n; j++) {
			if (late_at > 0 && j == late_at) {
				late_id = p.w->next_task_id;
				record_execute(p.w, &rec[nrec - 1], plain_step, &p);
			}
			struct task *f = sched_first_runnable(p.w);
			first[j] = f ? f->id : -1;
			bool mine = ran_alone && late_id >= 0 && path[j] == late_id;
			ran_alone = late_id < 0 || mine;
			plain_step(&p, task_find(p.w, path[j]));
			if (mine) {
				alone++;
				ended = !task_find(p.w, late_id);
			}
		}
		while (keep > (late_at > 0 ? late_at : 0) && path[keep - 1] == first[keep - 1])
			keep--;
		if (late_now && !ended) {
			plain_end(&p);
			return 0;
		}
	}
	plain_end(&p);

	/* Pass 2: the records, on a world stepped as they are built. */
	struct record all[PROGRAM_MAX_RECORDS];
	int nr = before;
	bool pending = late_at > 0;	/* the late walk's record still to come */
	memcpy(all, rec, (size_t)before * sizeof(*rec));
	plain_begin(&p, proto, families, rec, before);
	for (int j = 0; j < keep || pending;) {
		if (nr == PROGRAM_MAX_RECORDS) {
			plain_end(&p);
			return 0;
		}
		if (pending && j == late_at) {
			struct record r = rec[nrec - 1];
			if (late_now) {
				r.op |= 0x80;	/* runs to its end here: its steps */
				j += alone;
			}
			all[nr++] = r;
			record_execute(p.w, &r, plain_step, &p);
			pending = false;
			continue;
		}
		int ids[MAX_TASKS], nt = p.w->nr_tasks;
		for (int i = 0; i < nt; i++)
			ids[i] = p.w->task[i]->id;
		int x = path[j], y = -1, slots = 0;
		unsigned sched = 0;
		while (j < keep && slots < 8 && !(pending && j == late_at)) {
			int id = path[j];
			unsigned bit;
			if (id == x)
				bit = 0;
			else if (y < 0 || id == y)
				y = id, bit = 1;
			else
				break;
			enum step_result r = sched_step_task(p.w, task_find(p.w, id));
			if (r == STEP_DONE && p.w->halted)
				oracle_after_step(&p.o);
			sched |= bit << slots;
			slots++;
			j++;
			if (r != STEP_DONE || p.o.invariant || p.w->halted)
				break;
		}
		int sx = task_sel(ids, nt, x), sy = y < 0 ? sx : task_sel(ids, nt, y);
		all[nr++] = (struct record){ REC_STEP, (uint8_t)(sx | (slots - 1) << 3), (uint8_t)sy,
					     (uint8_t)sched };
	}
	plain_end(&p);
	for (int i = 0; i < nr; i++) {
		out[4 * i] = all[i].op;
		out[4 * i + 1] = all[i].a;
		out[4 * i + 2] = all[i].b;
		out[4 * i + 3] = all[i].c;
	}
	return (size_t)nr * RECORD_SIZE;
}

/* encode_cex with the concurrent starts in the order that takes fewest
 * records: the drain runs the lowest-id task first, so the order the tasks
 * start in decides how much of the schedule it takes over (a walk started
 * first often needs one step record less); and a late record both as it
 * started and, where its task then ran alone to its end, as a `now`
 * record. The path is the same interleaving under each order, its task
 * ids renamed; an encoding is kept only if its input replays to the same
 * invariant. Returns the size, 0 when none encodes. */
static size_t encode_cex_fewest(const struct protocol *proto, unsigned families, const struct record *rec,
				int nrec, const int *path, int n, int late_at, const char *inv, uint8_t *out)
{
	int before = late_at > 0 ? nrec - 1 : nrec, c0 = before;
	while (c0 > 0 && !record_now(&rec[c0 - 1]))
		c0--;
	int k = before - c0;
	/* The ids the concurrent records' tasks got, in record order. */
	int ids[4];
	bool permute = k >= 2 && k <= 4;
	if (permute) {
		struct plain p;
		plain_begin(&p, proto, families, rec, c0);
		for (int i = 0; i < k && permute; i++) {
			ids[i] = p.w->next_task_id;
			record_execute(p.w, &rec[c0 + i], plain_step, &p);
			permute = p.w->next_task_id == ids[i] + 1;	/* else as found */
		}
		plain_end(&p);
	}
	int perm[4] = { 0, 1, 2, 3 };
	size_t best = 0;
	for (;;) {
		struct record r2[PROGRAM_MAX_RECORDS];
		int path2[MAX_PATH];
		uint8_t buf[PROGRAM_MAX_RECORDS * RECORD_SIZE];
		memcpy(r2, rec, (size_t)nrec * sizeof(*rec));
		memcpy(path2, path, (size_t)n * sizeof(*path));
		/* Record perm[i] now starts i-th: its task gets ids[i]. */
		for (int i = 0; permute && i < k; i++) {
			r2[c0 + i] = rec[c0 + perm[i]];
			for (int j = 0; j < n; j++)
				if (path[j] == ids[perm[i]])
					path2[j] = ids[i];
		}
		for (int late_now = 0; late_now <= (late_at > 0); late_now++) {
			size_t size = encode_cex(proto, families, r2, nrec, path2, n, late_at, late_now, buf);
			struct run_result rr;
			if (size && (!best || size < best) &&
			    rmap_run(buf, size, proto, run_families(families), &rr, NULL) &&
			    !strcmp(rr.invariant, inv)) {
				best = size;
				memcpy(out, buf, size);
			}
		}
		if (!permute || !next_permutation(perm, k))
			break;
	}
	return best;
}

/* A violation at the end of path[0, n): counted for the program, kept as
 * the invariant's counterexample when it is the shortest yet and its input
 * replays to the same invariant through rmap_run, as `rmapfuzz replay`
 * would run it. */
static void violation(struct ex *x, int n, int preempt)
{
	const char *name = x->o.invariant;
	int i = find_inv(x->res, name, true);
	if (i < 0)
		return;
	unsigned bit = 1u << i;
	if (!x->min_ops[i] || x->ops < x->min_ops[i])
		x->min_ops[i] = x->ops;
	if (!(x->inv_seen & bit)) {
		x->inv_seen |= bit;
		x->res->inv[i].programs++;
		if (x->found) {
			uint8_t data[PROGRAM_MAX_RECORDS * RECORD_SIZE];
			for (int r = 0; r < x->nrec; r++)
				memcpy(data + 4 * r, &x->rec[r], 4);
			x->found(x->found_ctx, name, data, (size_t)x->nrec * RECORD_SIZE);
		}
	}
	/* A tie with the one kept is kept when its input has fewer records
	 * (a program without the base layout, as exec's races can be): each
	 * of this program's records, and a step record at least, are in it. */
	struct explore_cex *c = &x->res->inv[i].cex;
	int cmp = cex_cmp(c, x->ops, n, preempt);
	if (cmp > 0 || (cmp == 0 && (size_t)(x->nrec + 1) * RECORD_SIZE >= c->size))
		return;
	struct explore_cex cand = { .ops = x->ops, .steps = n, .preemptions = preempt, .level = x->level };
	cand.size = encode_cex_fewest(x->proto, x->b->families, x->rec, x->nrec, x->path, n, x->late_at,
				      name, cand.data);
	if (!cand.size) {
		x->res->unencodable += cmp < 0;
		return;
	}
	if (cex_better(c, &cand))
		*c = cand;
}

/* A complete interleaving, or one the oracle or a halt stopped. */
static void leaf(struct ex *x, int n, int preempt)
{
	x->res->interleavings++;
	if (!stopped(x))
		oracle_at_end(&x->o);
	else if (!x->o.invariant)
		oracle_after_step(&x->o);	/* a halt not named yet */
	if (x->o.invariant)
		violation(x, n, preempt);
}

static void progress(struct ex *x)
{
	double t = now();
	if (!x->progress || t - x->last_progress < 5)
		return;
	x->last_progress = t;
	char at[64] = "";
	if (x->total)
		snprintf(at, sizeof(at), " (at program %lu of %lu, %.1f%%)", x->candidate, x->total,
			 100.0 * (double)x->candidate / (double)x->total);
	fprintf(stderr, "rmapfuzz explore: %s: %s%d operations%s: %lu programs, %lu states, "
		"%lu interleavings, %.0f s\n", x->proto->name, x->shortest ? "shortest search, " : "",
		x->level, at, x->res->programs, x->res->states, x->res->interleavings, t - x->t0);
}

/* The label a state is reached by: the program's operations, the steps
 * (path length) and preemptions so far, and the task that ran last. */
static void label_set(struct visited_slot *s, int ops, int depth, int preempt, int last)
{
	s->ops = (unsigned char)ops;
	s->depth = (unsigned short)depth;
	s->depth_preempt = (short)preempt;
	s->last = (signed char)last;
}

/* Whether the label (ops, depth, preempt, last) may lead to a better
 * counterexample than the one s was explored from: fewer operations, or
 * as many and fewer steps, or as many of both and preemptions the stored
 * label does not dominate. The stored label dominates when for every
 * next step its preemptions stay no more than ours: it has at least one
 * fewer, or no more and its next step is a preemption no more often
 * (the same last task, or its last task not runnable here, where no step
 * is a preemption). The steps after the first cost the same from both:
 * they depend only on the path below. */
static bool label_better(const struct visited_slot *s, int ops, int depth, int preempt, int last,
			 const int *ids, int n)
{
	if (ops != s->ops)
		return ops < s->ops;
	if (depth != s->depth)
		return depth < s->depth;
	if (s->depth_preempt + 1 <= preempt)
		return false;
	if (s->depth_preempt > preempt)
		return true;
	/* s->depth_preempt == preempt */
	if (s->last == last)
		return false;
	for (int i = 0; i < n; i++)
		if (ids[i] == s->last)
			return true;	/* the stored path's next step may be a preemption */
	return false;
}

/* In the shortest search at level x->ops: the most steps a violation may
 * take and still improve a counterexample of an invariant first broken
 * with x->ops operations (only those can improve here: the others' fewest
 * operations are fewer, exact from the first search). INT_MAX while one
 * of them has no counterexample of x->ops operations yet. */
static int shortest_bound(const struct ex *x)
{
	int bound = -1;
	for (int i = 0; i < x->res->nr_inv; i++) {
		if (x->min_ops[i] != x->ops)
			continue;
		const struct explore_cex *c = &x->res->inv[i].cex;
		if (!c->size || c->ops != x->ops)
			return INT_MAX;
		if (c->steps > bound)
			bound = c->steps;
	}
	return bound;
}

/* Every interleaving from here: the state after path[0, depth), last the
 * task that ran the step before (0: none), preempt the preemptions so far. */
/* The runnable tasks ids[0, n) the preemption bound lets run next, into
 * kids; *last_runnable: whether the task that ran last could run on (a
 * step of another is then a preemption). Returns how many. */
static int children(const struct ex *x, const int *ids, int n, int last, int preempt, int *kids,
		    bool *last_runnable)
{
	int nk = 0;
	*last_runnable = false;
	for (int i = 0; i < n; i++)
		*last_runnable |= ids[i] == last;
	for (int i = 0; i < n; i++) {
		int p = preempt + (*last_runnable && ids[i] != last);
		if (x->b->preemptions < 0 || p <= x->b->preemptions)
			kids[nk++] = ids[i];
	}
	return nk;
}

/* The key of a stepping state: its hash, salted when a late walk is still
 * to start (salt 0: none). Under a preemption bound the task that ran
 * last is part of it, as no task when it cannot run on (ids[0, n) are the
 * runnable ones) and the node's edges are steps alone: a step of another
 * is then no preemption, as from no last task. So a task about to try a
 * lock another holds and the same task blocked on it, which hash the
 * same, are one key only when it did not run last; when it did, another
 * task's step is a preemption beside the first (which can run: its
 * attempt would block) and none beside the second. Where a late walk may
 * start (salt), which is no step and can make the last task runnable
 * again (a migration's page reference ends a split's wait on its page),
 * the last task is kept, and whether it can run on now beside it. */
static int salted_hash(struct ex *x, int last, const int *ids, int n, unsigned long long salt,
		       unsigned long long h[2])
{
	bool runs_on = false;
	for (int i = 0; i < n; i++)
		runs_on |= ids[i] == last;
	int key_last = runs_on || salt ? last : 0;
	state_hash(x, key_last, h);
	if (salt && !runs_on && last && x->b->preemptions >= 0) {
		h[0] ^= 0x5851f42d4c957f2dull;	/* it cannot, for now */
		h[1] ^= 0x14057b7ef767814full;
	}
	h[0] ^= salt;
	h[1] ^= salt ? 0x9e3779b97f4a7c15ull : 0;
	return key_last;	/* the last task as the key holds it (--measure's) */
}

/* on_state (the tests'): every node of the first search, branching or not
 * (a task that has not tried a lock hashes as one blocked on it, but only
 * the first is runnable: whether a state branches is not in its hash),
 * hashed without the task that ran last. Under a preemption bound a
 * search may reach a world only with a last task that can run on, at no
 * more preemptions, where enumeration also reaches it with one that
 * cannot (a fresh task beside the same task blocked, above): every step
 * from the latter costs no more from the former, so the worlds are what
 * both must reach. */
static void reached(struct ex *x, int depth, int preempt, const int *ids, int n,
		    unsigned long long salt)
{
	if (!x->b->on_state || x->shortest)
		return;
	unsigned long long h[2];
	salted_hash(x, 0, ids, n, salt, h);
	x->b->on_state(x->b->on_state_ctx, h, x->candidate, x->path, depth, preempt);
}

/* Look a branching state up in the one visited set: true to search on
 * below it, false when an equal state was searched already with as good a
 * label (cut). salt tells apart states that are equal as worlds but wait
 * for different things (a late walk still to start). Labels name tasks as
 * the hash does: by rank when task ids are left out of it (names_hide). */
static bool visit(struct ex *x, int depth, int last, int preempt, const int *ids, int n,
		  unsigned long long salt)
{
	unsigned long long h[2];
	bool fresh;
	int key_last = salted_hash(x, last, ids, n, salt, h);
	if (!x->shortest && x->b->preemptions < 0) {
		if (!keyset_add(&x->seen, h[0], h[1])) {
			x->res->cut++;
			return false;
		}
		x->res->states++;
		if (x->b->measure)
			measure_state(x, key_last);
		return true;
	}
	struct visited_slot *s = visited_find(&x->visited, h[0], h[1], &fresh);
	bool ranks = !x->b->no_reduction && !x->b->byte_hash;
	int lastk = ranks ? task_rank(x->w, last) : last, idk[MAX_TASKS];
	for (int i = 0; i < n; i++)
		idk[i] = ranks ? task_rank(x->w, ids[i]) : ids[i];
	if (fresh) {
		x->res->states++;
		label_set(s, x->ops, depth, preempt, lastk);
		s->preempt = (short)preempt;
		if (x->b->measure)
			measure_state(x, key_last);
		return true;
	}
	/* Explored again only when reached by a strictly better label (the
	 * shortest counterexamples stay exact), or under a preemption bound
	 * with more preemptions left (the subtree below may hold more). */
	bool better = x->shortest && label_better(s, x->ops, depth, preempt, lastk, idk, n);
	bool more_left = x->b->preemptions >= 0 && preempt < s->preempt;
	if (!better && !more_left) {
		x->res->cut++;
		return false;
	}
	x->res->revisits++;
	if (better)
		label_set(s, x->ops, depth, preempt, lastk);
	if (preempt < s->preempt)
		s->preempt = (short)preempt;
	return true;
}

/* One edge of the search: task id's step, with what the test build checks
 * of task_next_lock's claims and --measure counts, and a halt named. */
static void step_child(struct ex *x, int id)
{
	struct world *w = x->w;
	struct task *t = task_find(w, id);
	int op = t->op;
	unsigned long tsteps = t->steps;
	struct next_claim claims[MAX_TASKS];
	int nc = x->b->check_next_lock ? next_claims(w, claims) : 0;
	enum step_result r = sched_step_task(w, t);
	if (nc)
		next_claims_check(x, claims, nc, id, r);
	if (x->b->measure && !task_find(w, id)) {
		/* Its last step: how many it took on this path. */
		x->op_tasks[op]++;
		x->op_steps[op] += tsteps + 1;
	}
	if (w->halted && !x->o.invariant)
		oracle_after_step(&x->o);
}

static void dfs(struct ex *x, int depth, int last, int preempt)
{
	struct world *w = x->w;
	if (stop_now(x))
		return;
	if (!w->nr_tasks) {
		leaf(x, depth, preempt);
		return;
	}
	int ids[MAX_TASKS];
	int n = sched_runnable(w, ids, MAX_TASKS);
	if (!n) {
		/* What drain does: a deadlock (model bug) or a soft lockup. */
		sched_stuck(w);
		leaf(x, depth, preempt);
		return;
	}
	if (depth == MAX_PATH) {
		x->res->truncated++;
		return;
	}
	if (x->shortest && depth + 1 > shortest_bound(x))
		return;	/* no violation below can be as short as the best known */
	/* States are hashed where the search branches: a node with one
	 * runnable task has one future, which the next branching node (or
	 * leaf) below it stands for. One visited set serves every program of
	 * the bound (docs/explore.md, "One search over every program"). */
	reached(x, depth, preempt, ids, n, 0);
	if (!x->b->no_dedup && n > 1) {
		if (!visit(x, depth, last, preempt, ids, n, 0))
			return;
	} else if (x->b->no_dedup) {
		x->res->states++;	/* every node, as it comes */
	}
	if ((x->res->states & 0xfff) == 0)
		progress(x);

	/* The children the preemption bound allows; the state is saved before
	 * the first of them when another follows, and restored before each
	 * later one. */
	bool last_runnable;
	int kids[MAX_TASKS], nk = children(x, ids, n, last, preempt, kids, &last_runnable);
	if (nk > 1)
		save(x, depth + 1);
	for (int k = 0; k < nk; k++) {
		int id = kids[k], p = preempt + (last_runnable && id != last);
		if (k)
			restore(x, depth + 1);
		x->path[depth] = id;
		step_child(x, id);
		if (stopped(x))
			leaf(x, depth + 1, p);
		else
			dfs(x, depth + 1, id, p);
	}
}

/* ---- programs ---- */

/* A menu entry: a record to start (set-up ones get "now"). */
struct menu {
	struct record op[4096];
	int n;
};

static void menu_add(struct menu *m, uint8_t op, uint8_t a, uint8_t b, uint8_t c)
{
	if (m->n == (int)(sizeof(m->op) / sizeof(m->op[0]))) {
		/* Dropping entries would make "clean within the bound" false. */
		fputs("rmapfuzz explore: the menu has more than 4096 operations: a smaller bound\n", stderr);
		exit(2);
	}
	m->op[m->n++] = (struct record){ op, a, b, c };
}

static bool slots_free(struct mm_struct *mm, unsigned long from, unsigned long to)
{
	return range_is_free(mm, from * PMD_SIZE, to * PMD_SIZE);
}

static unsigned menu_ops(const struct explore_bound *b) { return b->ops ? b->ops : EXPLORE_OPS_2014; }

/* The address byte of a grid address (program.h: pmd slot, one to three
 * pages in). */
static uint8_t grid_addr(unsigned long addr)
{
	unsigned long pg = (addr & (PMD_SIZE - 1)) / PAGE_SIZE;
	return (uint8_t)(addr / PMD_SIZE | (pg ? (pg + 4) << 4 : 0));
}

/* Is a page mapped at addr in mm (a huge pmd counts at its start only:
 * one address per mapping)? */
static bool mapped_at(struct mm_struct *mm, unsigned long addr, bool *huge)
{
	struct pmd *pmd = mm_pmd(mm, addr);
	*huge = pmd_trans_huge(pmd);
	if (*huge)
		return !(addr & (PMD_SIZE - 1));
	return pmd->kind == PMD_TABLE && pmd->pte[pte_index(addr)].kind == PTE_PRESENT;
}

/* Every address of mm a page is mapped at (mapped_at), in address order,
 * as grid address bytes; huge[i]: a huge pmd's. At most one a page slot
 * of the address space. */
#define MAX_MAPPED (NR_PMDS * PTRS_PER_PTE)
static int mapped_addrs(struct mm_struct *mm, uint8_t *addr, bool *huge)
{
	int n = 0;
	for (struct vm_area_struct *v = mm->mmap; v; v = v->vm_next)
		for (unsigned long a = v->vm_start; a < v->vm_end && a < TASK_SIZE; a += PAGE_SIZE)
			if (mapped_at(mm, a, &huge[n]))
				addr[n++] = grid_addr(a);
	return n;
}

/* The menu on the layout now (docs/explore.md, "The bound"). The 2014
 * rows' operations (the default): fork of every mm while there is room
 * for one more; for every vma, every pmd-aligned range in it of 1..4 pmds
 * (single pmds, the whole vma, the sub-ranges of several pmds), to munmap,
 * or to mremap to every free place of its length in the address space
 * (beside the vma before, the one after, both, or neither: every merge a
 * destination can make). --ops adds, after them (the default's programs
 * keep their numbers): on the same ranges, madvise(MADV_DONTNEED),
 * mprotect to PROT_READ and to PROT_READ|PROT_WRITE, and mremap to every
 * other length of 1..4 pmds (a shrink; a growth without a flag, with
 * MREMAP_MAYMOVE, and with MREMAP_MAYMOVE whose move fails after its
 * first extent); exit_mmap of every mm; a write fault (a COW) at every
 * mapped address (a THP's also with do_huge_pmd_wp_page_fallback) and an
 * access of every mapped address, in any vma; exec, while there is room
 * for its mm, with 1, 3 or 5 argument pages (5: the stack spans two pmds)
 * moved down 1 or 2 pmds (5 pages down 1 pmd: the ranges overlap). */
static void build_menu(struct ex *x, struct menu *m)
{
	struct world *w = x->w;
	int G = x->b->max_pmds;
	unsigned ops = menu_ops(x->b);
	m->n = 0;
	for (int i = 0; i < w->nr_mm; i++) {
		struct mm_struct *mm = w->mm[i];
		if (mm->exited)
			continue;
		if (w->nr_mm < x->b->max_mms && (ops & EXPLORE_OP_FORK))
			menu_add(m, REC_FORK, (uint8_t)i, 0, 0);
		for (struct vm_area_struct *v = mm->mmap; v; v = v->vm_next) {
			if ((v->vm_start | v->vm_end) & (PMD_SIZE - 1))
				continue;	/* no such vma in the bound: pmd-aligned all */
			unsigned long s = v->vm_start / PMD_SIZE, e = v->vm_end / PMD_SIZE;
			for (unsigned long a = s; a < e; a++)
				for (unsigned long len = 1; len <= 4 && a + len <= e; len++) {
					if (ops & EXPLORE_OP_MUNMAP)
						menu_add(m, REC_MUNMAP, (uint8_t)i, (uint8_t)a, (uint8_t)(len - 1));
					for (unsigned long d = 0; d + len <= (unsigned long)G; d++)
						if ((ops & EXPLORE_OP_MREMAP) && slots_free(mm, d, d + len))
							menu_add(m, REC_MREMAP, (uint8_t)(i | (len - 1) << 3),
								 (uint8_t)a, (uint8_t)d);
				}
		}
		/* The operations --ops adds, on the same ranges. */
		for (struct vm_area_struct *v = mm->mmap; v; v = v->vm_next) {
			if ((v->vm_start | v->vm_end) & (PMD_SIZE - 1))
				continue;
			unsigned long s = v->vm_start / PMD_SIZE, e = v->vm_end / PMD_SIZE;
			for (unsigned long a = s; a < e; a++)
				for (unsigned long len = 1; len <= 4 && a + len <= e; len++) {
					uint8_t code = (uint8_t)(len - 1);
					if (ops & EXPLORE_OP_MADVISE)
						menu_add(m, REC_MADVISE, (uint8_t)i, (uint8_t)a, code);
					if (ops & EXPLORE_OP_MPROTECT) {
						menu_add(m, REC_MPROTECT, (uint8_t)i, (uint8_t)a, code | 32);
						menu_add(m, REC_MPROTECT, (uint8_t)i, (uint8_t)a, code);
					}
					for (unsigned long nl = 1; (ops & EXPLORE_OP_RESIZE) && nl <= 4; nl++) {
						uint8_t sel = (uint8_t)(i | (len - 1) << 3), nc = (uint8_t)(nl - 1);
						if (nl < len)
							menu_add(m, REC_MREMAP_RESIZE, sel, (uint8_t)a, nc);
						for (int mode = 0; nl > len && mode < 3; mode++)
							menu_add(m, REC_MREMAP_RESIZE, sel, (uint8_t)a,
								 (uint8_t)(nc | mode << 5));
					}
				}
		}
		if (ops & EXPLORE_OP_EXIT)
			menu_add(m, REC_EXIT, (uint8_t)i, 0, 0);
		/* Mapped addresses, in any vma (exec's stack too). */
		uint8_t addr[MAX_MAPPED];
		bool huge[MAX_MAPPED];
		int na = ops & (EXPLORE_OP_FAULT | EXPLORE_OP_ACCESS) ? mapped_addrs(mm, addr, huge) : 0;
		for (int j = 0; j < na; j++) {
			if (ops & EXPLORE_OP_FAULT) {
				menu_add(m, REC_FAULT, (uint8_t)i, addr[j], huge[j] ? 3 : 2);
				if (huge[j])
					menu_add(m, REC_FAULT, (uint8_t)i, addr[j], 7);
			}
			if (ops & EXPLORE_OP_ACCESS)
				menu_add(m, REC_ACCESS, (uint8_t)i, addr[j], 0);
		}
	}
	if ((ops & EXPLORE_OP_EXEC) && w->nr_mm < x->b->max_mms) {
		static const uint8_t pages[] = { 1, 3, 5 };
		for (unsigned k = 0; k < sizeof(pages); k++)
			for (uint8_t shift = 1; shift <= 2; shift++)
				menu_add(m, REC_EXEC, (uint8_t)(pages[k] - 1), (uint8_t)(shift - 1), 0);
	}
}

/* ---- symmetry: translation in the address space ----
 *
 * The model does not depend on where in the address space a layout lies,
 * only on where its parts lie relative to each other: an anonymous vma's
 * pgoff is the address it was mapped at, and moves with it; page-table
 * slots and their locks are indexed by address alike; nothing orders or
 * compares an address with a constant, but TASK_SIZE, which exec's stack
 * and get_unmapped_area (resize's moves) read. So with neither in the
 * menu, a program whose every address is a pmd or more up (its base
 * layout's, its set-ups', its concurrent operations') behaves as the same
 * program moved down by that much, which is in the bound and is searched:
 * the same verdicts, operations, steps and preemptions (the argument, and
 * why the same-setup merge keeps it whole, in docs/explore.md). A late
 * access, started mid-search at an address mapped then, is no lower than
 * the lowest address the records map: it moves down with the program.
 * --no-reduction and --no-dedup search them all. */
static bool translated_up(const struct ex *x)
{
	unsigned ops = menu_ops(x->b);
	if (x->b->no_reduction || x->b->no_translate || (x->b->no_dedup && !x->b->translate_all) ||
	    (ops & (EXPLORE_OP_EXEC | EXPLORE_OP_RESIZE)))
		return false;
	for (int i = 0; i < x->nrec; i++) {
		const struct record *r = &x->rec[i];
		if (r->b & 0x80)
			return false;	/* an address by vma (program.c): not in the menu */
		switch (record_op(r)) {
		case REC_MMAP: case REC_FAULT: case REC_MUNMAP: case REC_MADVISE: case REC_MPROTECT:
		case REC_ACCESS:
			if ((r->b & 15) == 0)
				return false;
			break;
		case REC_MREMAP:
			if ((r->b & 15) == 0 || (r->c & 15) == 0)
				return false;
			break;
		default:
			break;	/* no address: fork, exit, the walks */
		}
	}
	return true;
}

#define MAX_WALKS 64

/* The walks on the world now: with the 2014 rows' menu, split of the first
 * mapped THP and migration of the first mapped page (thp0, page0: the
 * base page, the one the bound faults); with EXPLORE_OP_WALKS, of every
 * mapped THP and every mapped page, by their selectors (program.c's
 * pick_page order). */
static int build_walks(struct ex *x, struct record *walks)
{
	int nw = 0, thps = 0, pages = 0;
	bool thp = false, mapped = false;
	for (int b = 0; b < x->w->nr_page_blocks; b++) {
		struct page *pg = x->w->page_blocks[b];
		for (int i = 0; i < pg->nr; i++) {
			mapped |= page_mapped(&pg[i]) && !PageTail(&pg[i]);
			thp |= page_mapped(&pg[i]) && PageTransHuge(&pg[i]);
			pages += page_mapped(&pg[i]) && !PageTail(&pg[i]);
		}
		thps += page_mapped(pg) && !PageTail(pg) && PageTransHuge(pg);
	}
	if (!(menu_ops(x->b) & EXPLORE_OP_WALKS)) {
		if (thp)
			walks[nw++] = (struct record){ REC_SPLIT, 0, 0, 0 };
		if (mapped)
			walks[nw++] = (struct record){ REC_MIGRATE, 0, 0, 0 };
		return nw;
	}
	if (thps + pages > MAX_WALKS) {
		fputs("rmapfuzz explore: more than 64 walks: a smaller bound\n", stderr);
		exit(2);
	}
	for (int i = 0; i < thps; i++)
		walks[nw++] = (struct record){ REC_SPLIT, (uint8_t)i, 0, 0 };
	for (int i = 0; i < pages; i++)
		walks[nw++] = (struct record){ REC_MIGRATE, (uint8_t)i, 0, 0 };
	return nw;
}

/* The late accesses on the world now: a task touching every mapped
 * address of every mm (as the menu's accesses, on the layout a step of
 * the others made: an address a move or a fault has just mapped). */
#define MAX_LATE (MAX_MAPPED * 4)
static int build_accesses(struct ex *x, struct record *out)
{
	int n = 0;
	for (int i = 0; i < x->w->nr_mm; i++) {
		struct mm_struct *mm = x->w->mm[i];
		uint8_t addr[MAX_MAPPED];
		bool huge[MAX_MAPPED];
		int na = mm->exited ? 0 : mapped_addrs(mm, addr, huge);
		if (n + na > MAX_LATE) {
			fprintf(stderr, "rmapfuzz explore: more than %d late accesses: a smaller bound\n", MAX_LATE);
			exit(2);
		}
		for (int j = 0; j < na; j++)
			out[n++] = (struct record){ REC_ACCESS, (uint8_t)i, addr[j], 0 };
	}
	return n;
}

/* Snapshots of the late walks' nodes: above every DFS depth and the
 * quiescent levels' (MAX_PATH + 2 + level). */
#define LATE_SNAP (MAX_PATH + 2 + 16)

/* A program whose walk (EXPLORE_OP_WALKS) or access (EXPLORE_OP_ACCESS,
 * beside a walk started with the others) starts late, x->late_kind: the
 * state after path[0, depth) of its other operations, the late one not
 * started. After any step (a start before the first is the program with
 * it started with the others), every walk (every access) of the world
 * then starts, and dfs searches on; and every step of the others leads
 * on. These nodes are deduplicated as dfs's are, in the same visited set,
 * their hash salted apart, by kind: a world with a walk or an access
 * still to start has other futures than the same world without, and than
 * each other (docs/explore.md, "Late walks"). */
static void dfs_late(struct ex *x, int depth, int last, int preempt)
{
	struct world *w = x->w;
	if (stop_now(x))
		return;
	if (depth == MAX_PATH) {
		x->res->truncated++;
		return;
	}
	if (x->shortest && depth + 1 > shortest_bound(x))
		return;
	int ids[MAX_TASKS];
	int n = w->nr_tasks ? sched_runnable(w, ids, MAX_TASKS) : 0;
	uint64_t salt = x->late_kind == LATE_ACCESS ? 0x2f9be6cc4b1f5d07ull : 0x6c62272e07bb0142ull;
	if (depth > 0)
		reached(x, depth, preempt, ids, n, salt);
	if (!x->b->no_dedup && depth > 0) {
		if (!visit(x, depth, last, preempt, ids, n, salt))
			return;	/* salted: the late one is still to start */
	} else if (x->b->no_dedup) {
		x->res->states++;
	}
	if ((x->res->states & 0xfff) == 0)
		progress(x);

	if (depth > 0) {
		struct record walks[MAX_WALKS > MAX_LATE ? MAX_WALKS : MAX_LATE];
		int nw = x->late_kind == LATE_ACCESS ? build_accesses(x, walks) : build_walks(x, walks);
		if (nw)
			save(x, LATE_SNAP + depth);
		for (int i = 0; i < nw; i++) {
			if (i)
				restore(x, LATE_SNAP + depth);
			x->rec[x->nrec++] = walks[i];
			x->late_at = depth;
			if (record_execute(w, &walks[i], ex_step, x) > 0)
				dfs(x, depth, last, preempt);
			x->nrec--;
			x->late_at = 0;
		}
		if (nw)
			restore(x, LATE_SNAP + depth);
	}
	if (!w->nr_tasks)
		return;		/* the others ended: the walks above ran alone */
	if (!n) {
		sched_stuck(w);	/* as dfs: a deadlock or a soft lockup */
		leaf(x, depth, preempt);
		return;
	}
	bool last_runnable;
	int kids[MAX_TASKS], nk = children(x, ids, n, last, preempt, kids, &last_runnable);
	if (nk > 1)
		save(x, depth + 1);
	for (int k = 0; k < nk; k++) {
		int id = kids[k], p = preempt + (last_runnable && id != last);
		if (k)
			restore(x, depth + 1);
		x->path[depth] = id;
		step_child(x, id);
		if (stopped(x))
			leaf(x, depth + 1, p);
		else
			dfs_late(x, depth + 1, id, p);
	}
}

/* Search every interleaving of the program in x->rec (its tasks started
 * on the world now), against the one visited set of the whole search. */
static void search_program(struct ex *x)
{
	x->res->programs++;
	x->inv_seen = 0;
	unsigned long before = x->res->states;
	dfs(x, 0, 0, 0);
	if (x->b->measure && !x->shortest) {
		int k = 0;
		for (unsigned long n = x->res->states - before; n; n /= 10)
			k++;
		x->prog_states_hist[k < 8 ? k : 7]++;
	}
}

/* The programs of exactly ops operations from the quiescent world now,
 * after setup set-up operations. */
static void explore_from(struct ex *x, int setup, int level, int ops)
{
	struct menu *m = malloc(sizeof(*m));
	if (!m) {
		fputs("rmapfuzz explore: out of memory\n", stderr);
		exit(2);
	}
	build_menu(x, m);
	/* A world an earlier set-up left (the same bytes after as many set-up
	 * operations, in the same level) has the same menu, the same walks and
	 * the same programs from here, with the same futures and labels: they
	 * are numbered (shards number alike) but not searched again, nor is
	 * any set-up after it. */
	bool was_dup = x->dup;
	if (!x->dup && !x->b->no_dedup) {
		unsigned long long h[2];
		state_hash(x, 0, h);
		h[0] ^= (unsigned long long)(setup + 1) * 0x9e3779b97f4a7c15ull;
		h[1] ^= (unsigned long long)ops * 0xc2b2ae3d27d4eb4full;
		x->dup = !keyset_add(&x->worlds, h[0], h[1]);
	}
	/* The snapshot of this quiescent state sits above every DFS depth. */
	int here = MAX_PATH + 2 + level;
	save(x, here);
	int nrec = x->nrec;

	/* The walks: split of a mapped THP, migration of a mapped page; and
	 * (EXPLORE_OP_WALKS) one more "walk", nw: the one started late; and
	 * (EXPLORE_OP_ACCESS) each walk again, nw + late + wk, beside an
	 * access started late (one menu operation fewer): a TLB filled for an
	 * address a step of the others maps (move_normal_pmd's destination). */
	struct record walks[MAX_WALKS];
	int nw = build_walks(x, walks);
	int late = (menu_ops(x->b) & EXPLORE_OP_WALKS) != 0;
	int nla = menu_ops(x->b) & EXPLORE_OP_ACCESS ? nw : 0;

	unsigned long mod = (unsigned long)x->b->shards;
	int c = ops - setup;
	if (c >= 2 && c <= x->b->max_conc) {
		int idx[8] = { 0 };
		for (int wk = 0; wk < nw + late + nla; wk++) {
			bool late_access = wk >= nw + late;
			int k = late_access ? c - 2 : c - 1;
			const struct record *walk = wk < nw ? &walks[wk] : late_access ? &walks[wk - nw - late] : NULL;
			/* Multisets of k menu operations: indices non-decreasing (the
			 * order they start in names the tasks, nothing more). */
			for (int i = 0; i < k; i++)
				idx[i] = 0;
			while (m->n && !stop_now(x)) {
				if (x->candidate++ % mod != (unsigned long)x->b->shard) {
					/* another shard's */
				} else if (x->dup) {
					x->res->same_setup++;
				} else {
					bool ok = true;
					x->nrec = nrec;
					for (int i = 0; i < k; i++)
						x->rec[x->nrec++] = m->op[idx[i]];
					if (walk)
						x->rec[x->nrec++] = *walk;
					if (translated_up(x)) {
						x->res->translated++;
						ok = false;
					}
					for (int i = nrec; i < x->nrec && ok; i++)
						ok = record_execute(x->w, &x->rec[i], ex_step, x) > 0;
					if (ok) {
						x->ops = ops;
						if (wk < nw) {
							search_program(x);
						} else {
							x->res->programs++;
							x->inv_seen = 0;
							x->late_kind = late_access ? LATE_ACCESS : LATE_WALK;
							dfs_late(x, 0, 0, 0);
						}
					}
					restore(x, here);
					progress(x);
				}
				int i = k - 1;
				while (i >= 0 && idx[i] == m->n - 1)
					i--;
				if (i < 0)
					break;
				idx[i]++;
				for (int j = i + 1; j < k; j++)
					idx[j] = idx[i];
			}
		}
	}

	/* One more set-up operation, where two concurrent ones still fit. */
	if (setup + 1 + 2 <= ops) {
		for (int i = 0; i < m->n && !stop_now(x); i++) {
			x->nrec = nrec;
			struct record r = m->op[i];
			r.op |= 0x80;
			x->rec[x->nrec++] = r;
			record_execute(x->w, &r, ex_step, x);
			if (x->o.invariant || x->w->halted) {
				/* An operation alone broke something: judged as replay
				 * judges it, counted apart, once: in the first level that
				 * runs it, and where its world was first met. */
				if (!x->o.invariant)
					oracle_after_step(&x->o);
				if (x->o.invariant && setup + 1 + 2 == ops && !x->dup) {
					x->res->setup_violations++;
					x->ops = setup + 1;
					x->inv_seen = 0;
					violation(x, 0, 0);
				}
			} else if (!x->w->nr_tasks) {
				explore_from(x, setup + 1, level + 1, ops);
			}
			restore(x, here);
		}
	}
	x->nrec = nrec;
	x->dup = was_dup;
	free(m);
}

/* One base layout: mmap of pmds pmds at slot pos, the page faulted at slot
 * at (a THP when huge), and every program of ops operations from there. */
static void explore_base(struct ex *x, int pmds, int pos, int at, int huge, int ops)
{
	if (stop_now(x))
		return;
	world_reset(x->w, x->proto);
	oracle_detach(&x->o);
	oracle_attach(&x->o, x->w, false);
	x->o.families = x->b->families;
	x->nrec = 0;
	if (pmds) {
		x->rec[x->nrec++] = (struct record){ REC_MMAP | 0x80, 0, (uint8_t)pos, (uint8_t)(pmds - 1) };
		x->rec[x->nrec++] = (struct record){ REC_FAULT | 0x80, 0, (uint8_t)at, (uint8_t)huge };
	}
	for (int i = 0; i < x->nrec; i++)
		record_execute(x->w, &x->rec[i], ex_step, x);
	if (!stopped(x) && !x->w->nr_tasks)
		explore_from(x, 0, 0, ops);
}

/* The programs of exactly ops operations, from every base layout: every
 * place and size of the vma, every pmd of it for the page (a THP needs the
 * vma on both sides of it in some races, as the mail's), a THP or a small
 * page. Programs are numbered across levels (the shards' numbering). */
static void explore_level(struct ex *x, int ops)
{
	x->level = ops;
	for (int pmds = 1; pmds <= 3 && pmds <= x->b->max_pmds; pmds++)
		for (int pos = 0; pos + pmds <= x->b->max_pmds; pos++)
			for (int at = pos; at < pos + pmds; at++)
				for (int huge = 1; huge >= 0; huge--)
					explore_base(x, pmds, pos, at, huge, ops);
	/* With exec in the menu, no base layout too: exec maps argument pages
	 * of its own, which walks started late can walk, and a race of its
	 * needs nothing else (no_stack_skip's: a migration of its stack's
	 * page), so its counterexample needs no mmap or fault either. Last:
	 * the programs above keep their numbers. */
	if (menu_ops(x->b) & EXPLORE_OP_EXEC)
		explore_base(x, 0, 0, 0, 0, ops);
}

/* The result's flag is its counterexamples'. */
static void result_not_minimized(struct explore_result *r)
{
	r->not_minimized = false;
	for (int i = 0; i < r->nr_inv; i++)
		r->not_minimized |= r->inv[i].cex.size && r->inv[i].cex.not_minimized;
}

/* The counterexamples found in a level above finished (the second search's
 * last finished level; 0: it never ran) keep the first search's steps; so
 * does one found above the level the second search took for its invariant
 * (min_ops, when it ran: the fewest operations broke it only in schedules
 * no input holds). A set-up's (no step) is as short as any. */
static void mark_not_minimized(struct explore_result *r, int finished, const int *min_ops)
{
	for (int i = 0; i < r->nr_inv; i++) {
		struct explore_cex *c = &r->inv[i].cex;
		c->not_minimized = c->size && c->steps > 0 &&
				   (c->level > finished || (min_ops && c->level != min_ops[i]));
	}
	result_not_minimized(r);
}

static void explore(const struct protocol *proto, const struct explore_bound *b,
		    struct explore_result *res, explore_found_fn found, void *ctx, bool progress);
static void level_done(struct explore_result *r, int ops);

/* (explore.h) Every one another shard's, as a shard's first part costs;
 * the numbering is every shard's, so the count is what any shard's
 * search is at a place in. */
unsigned long explore_count_programs(const struct protocol *proto, const struct explore_bound *b)
{
	struct explore_bound cb = *b;
	cb.shard = INT_MAX - 1;
	cb.shards = INT_MAX;
	cb.measure = cb.check_layouts = cb.check_next_lock = false;
	cb.on_state = NULL;
	cb.stop_at_violation = false;	/* a count publishes no stop */
	cb.shared_stop = NULL;
	struct explore_result *r = malloc(sizeof(*r));
	if (!r) {
		fputs("rmapfuzz explore: out of memory\n", stderr);
		exit(2);
	}
	explore(proto, &cb, r, NULL, NULL, false);
	unsigned long n = r->candidates;
	free(r);
	return n;
}

static void explore(const struct protocol *proto, const struct explore_bound *b,
		    struct explore_result *res, explore_found_fn found, void *ctx, bool progress)
{
	struct ex x = { .b = b, .proto = proto, .res = res, .found = found, .found_ctx = ctx,
			.progress = progress };
	memset(res, 0, sizeof(*res));
	snprintf(res->protocol, sizeof(res->protocol), "%s", proto->name);
	res->parts = 1;
	x.visited.size = sizeof(struct visited_slot);
	x.seen.size = x.worlds.size = sizeof(struct key128);
	for (size_t k = 0; k < sizeof(x.measured) / sizeof(x.measured[0]); k++)
		x.measured[k].size = sizeof(struct key128);
	for (size_t k = 0; k < sizeof(x.layouts) / sizeof(x.layouts[0]); k++)
		x.layouts[k].size = sizeof(struct key128);
	x.t0 = x.last_progress = now();
	if (progress) {
		x.total = explore_count_programs(proto, b);
		fprintf(stderr, "rmapfuzz explore: %s: %lu programs in the bound (counted in %.1f s)\n",
			proto->name, x.total, now() - x.t0);
	}
	x.w = world_new(proto);
	arena_log_on(&x.w->mem);
	oracle_attach(&x.o, x.w, false);
	x.o.families = b->families;

	/* Level by level, the programs of 2 operations, then of 3, and so on
	 * (docs/explore.md, "One search over every program"): a state first
	 * explored from a program of fewer operations is never explored again
	 * for one of more, and a counterexample's operations are the fewest. */
	unsigned long level_first[256] = { 0 };	/* each level's first program number */
	int ops;
	bool cut_short = false;	/* a level under way given up */
	for (ops = 2; ops <= b->max_ops; ops++) {
		level_first[ops] = x.candidate;
		explore_level(&x, ops);
		if (interrupted(&x) || overtaken(&x)) {
			cut_short = true;
			break;
		}
		res->candidates = x.candidate;
		level_done(res, ops);
		if (progress)
			fprintf(stderr, "rmapfuzz explore: %s: every program of %d operations done: "
				"%lu programs in the bound so far (%lu of %d operations), %lu searched, "
				"%lu same-setup, %lu states, %lu interleavings, %.1f s\n",
				proto->name, ops, x.candidate, x.candidate - level_first[ops], ops,
				res->programs, res->same_setup, res->states, res->interleavings,
				now() - x.t0);
		if (b->stop_at_violation && res->nr_inv && ops < b->max_ops) {
			res->end = EXPLORE_AT_VIOLATION;
			if (b->shared_stop) {
				int l = 0;	/* lower it to ops, unless another did lower */
				while (!atomic_compare_exchange_weak(b->shared_stop, &l, ops) &&
				       (!l || l > ops))
					;
			}
			break;
		}
		if (b->shared_stop && atomic_load(b->shared_stop) && atomic_load(b->shared_stop) <= ops) {
			res->end = EXPLORE_AT_VIOLATION;	/* another search's, in this level */
			break;
		}
	}
	/* --measure's figures are of every state searched, a level cut short
	 * included: its line says so where the result's count is less. */
	unsigned long searched = res->states;
	/* Read once: a stop between two reads would skip both the flags and
	 * the second search. */
	bool stop = interrupted(&x);
	if (cut_short && stop) {
		/* The level under way is not a claim: back to the last one done. */
		if (progress)
			fprintf(stderr, "rmapfuzz explore: %s: interrupted in the level of %d operations: "
				"the result is every program of %d operations or fewer\n",
				proto->name, ops, res->ops_done);
		res->end = EXPLORE_INTERRUPTED;
		explore_result_rewind(res, res->ops_done);
		if (!b->no_dedup)	/* enumeration's are exact */
			mark_not_minimized(res, 0, NULL);
	} else if (stop) {
		/* Every level done, not the second search. */
		if (!b->no_dedup)
			mark_not_minimized(res, 0, NULL);
	} else if (b->shared_stop) {
		/* Another search of the bound stopped at a violation below where
		 * this one got to: what this one found above that level is no
		 * part of the joined claim, nor is a level it gave up. */
		int l = atomic_load(b->shared_stop);
		if ((l && l < res->ops_done) || cut_short) {
			res->end = EXPLORE_AT_VIOLATION;
			explore_result_rewind(res, l && l < res->ops_done ? l : res->ops_done);
		}
	}
	if (!b->no_dedup && res->nr_inv && !stop) {
		res->seconds = now() - x.t0;
		struct explore_result counts = *res;
		hashset_free(&x.visited);
		hashset_free(&x.seen);
		hashset_free(&x.worlds);
		x.shortest = true;
		x.found = NULL;
		int minimized = 1;	/* the levels the second search finished */
		for (int l = 2; l <= res->ops_done; l++) {
			bool need = false;
			for (int i = 0; i < res->nr_inv; i++)
				need |= x.min_ops[i] == l;
			if (need) {
				unsigned long u = res->unencodable;
				x.candidate = level_first[l];
				explore_level(&x, l);
				for (int k = l; k <= res->ops_done; k++)
					counts.upto[k].unencodable += res->unencodable - u;
			}
			if (!interrupted(&x))
				minimized = l;
		}
		if (x.progress)
			fprintf(stderr, "rmapfuzz explore: %s: the first search %lu states in %.1f s, "
				"the second %lu states more (%lu explored again) in %.1f s\n",
				proto->name, counts.states, counts.seconds, res->states - counts.states,
				res->revisits - counts.revisits, now() - x.t0 - counts.seconds);
		for (int i = 0; i < res->nr_inv; i++)
			counts.inv[i].cex = res->inv[i].cex;
		counts.unencodable = res->unencodable;
		/* Interrupted here, the counterexamples of the levels it had
		 * not finished are the first search's, or better: as few
		 * operations, maybe more steps than needed. */
		*res = counts;
		mark_not_minimized(res, minimized, x.min_ops);
	}
	res->seconds = now() - x.t0;
	if (b->measure) {
		fprintf(stderr, "measure: %s: %lu states; modulo object names %lu, and task ids %lu, "
			"and mm numbering %lu; (not sound) blocked tasks as fresh %lu\n", proto->name,
			searched, x.measure_states[0], x.measure_states[1], x.measure_states[2],
			x.measure_states[3]);
		if (searched > res->states)
			fprintf(stderr, "measure: %s: these figures count the level cut short too; "
				"the result's %lu states are the levels finished\n", proto->name,
				res->states);
		for (int op = 0; op < NR_TASK_OPS; op++)
			if (x.op_tasks[op])
				fprintf(stderr, "measure: %s: %s: %lu task ends on explored paths, "
					"%.1f steps each\n", proto->name, task_op_name(op), x.op_tasks[op],
					(double)x.op_steps[op] / (double)x.op_tasks[op]);
		for (int op = 0; op < NR_TASK_OPS; op++)
			for (int pc = 0; pc < 16; pc++)
				if (x.blocked_at[op][pc])
					fprintf(stderr, "measure: %s: states with a task blocked in %s at pc %d: "
						"%lu (task_next_lock knows the lock: %lu)\n", proto->name,
						task_op_name(op), pc, x.blocked_at[op][pc], x.blocked_known[op][pc]);
		static const char *const hist[8] = { "0", "1-9", "10-99", "100-999", "1e3-1e4",
						     "1e4-1e5", "1e5-1e6", ">= 1e6" };
		for (int k = 0; k < 8; k++)
			fprintf(stderr, "measure: %s: programs with %s states of their own: %lu\n",
				proto->name, hist[k], x.prog_states_hist[k]);
	}
	if (b->check_layouts) {
		res->layout_states = x.layouts[2].used;
		res->layout_conflicts = (x.layouts[2].used - x.layouts[0].used) +
					(x.layouts[2].used - x.layouts[1].used);
		for (int k = 0; k < 3; k++)
			hashset_free(&x.layouts[k]);
	}
	oracle_detach(&x.o);
	world_free(x.w);
	for (int i = 0; i < x.nr_snaps; i++)
		arena_snap_free(&x.snaps[i].a);
	free(x.snaps);
	hashset_free(&x.visited);
	hashset_free(&x.seen);
	hashset_free(&x.worlds);
	for (int k = 0; k < 4; k++)
		hashset_free(&x.measured[k]);
	free(x.undo);
	free(x.avcs);
	free(x.itree);
	arena_canon_free(&x.canon);
}

void explore_protocol_found(const struct protocol *proto, const struct explore_bound *b,
			    struct explore_result *res, explore_found_fn found, void *ctx)
{
	explore(proto, b, res, found, ctx, false);
}

void explore_protocol(const struct protocol *proto, const struct explore_bound *b,
		      struct explore_result *res, bool progress)
{
	explore(proto, b, res, NULL, NULL, progress);
}

void explore_world_hash(struct world *w, unsigned long long h[2])
{
	struct explore_bound b;
	explore_default_bound(&b);
	struct ex x = { .b = &b, .proto = w->proto, .w = w };
	state_hash(&x, 0, h);
	arena_canon_free(&x.canon);
	free(x.undo);
	free(x.avcs);
	free(x.itree);
}

/* A result's counts as a level's (its invariants' programs aside), and
 * back. */
static struct explore_level_counts counts_of(const struct explore_result *r)
{
	return (struct explore_level_counts){
		.candidates = r->candidates, .programs = r->programs, .translated = r->translated,
		.same_setup = r->same_setup, .states = r->states, .interleavings = r->interleavings,
		.cut = r->cut, .revisits = r->revisits, .truncated = r->truncated,
		.setup_violations = r->setup_violations, .unencodable = r->unencodable,
	};
}

static void counts_set(struct explore_result *r, const struct explore_level_counts *c)
{
	r->candidates = c->candidates;
	r->programs = c->programs;
	r->translated = c->translated;
	r->same_setup = c->same_setup;
	r->states = c->states;
	r->interleavings = c->interleavings;
	r->cut = c->cut;
	r->revisits = c->revisits;
	r->truncated = c->truncated;
	r->setup_violations = c->setup_violations;
	r->unencodable = c->unencodable;
}

/* Two parts' counts joined: candidates are every part's (each numbers
 * every program of the bound), the rest add up. */
static void counts_add(struct explore_level_counts *x, const struct explore_level_counts *y)
{
	if (y->candidates > x->candidates)
		x->candidates = y->candidates;
	x->programs += y->programs;
	x->translated += y->translated;
	x->same_setup += y->same_setup;
	x->states += y->states;
	x->interleavings += y->interleavings;
	x->cut += y->cut;
	x->revisits += y->revisits;
	x->truncated += y->truncated;
	x->setup_violations += y->setup_violations;
	x->unencodable += y->unencodable;
}

/* The counts of r now, as level ops's (explore_result_rewind). */
static void level_done(struct explore_result *r, int ops)
{
	struct explore_level_counts *c = &r->upto[ops];
	*c = counts_of(r);
	for (int i = 0; i < r->nr_inv; i++)
		c->inv_programs[i] = r->inv[i].programs;
	r->ops_done = ops;
}

void explore_result_rewind(struct explore_result *r, int ops)
{
	if (ops > r->ops_done)
		return;
	const struct explore_level_counts c = r->upto[ops];	/* zero below level 2 */
	counts_set(r, &c);
	/* An invariant first broken in a later level goes; the others keep
	 * their places' counts (an invariant is counted from its first
	 * program on, so one broken by then has programs). */
	int n = 0;
	for (int i = 0; i < r->nr_inv; i++) {
		if (!c.inv_programs[i])
			continue;
		r->inv[n] = r->inv[i];
		r->inv[n].programs = c.inv_programs[i];
		/* By its operations, not its level: a set-up's, found two
		 * levels above its operations (cex.level), may have replaced
		 * the one found by then (one is kept), and dropping it would
		 * leave the invariant none; it is a program of ops operations
		 * or fewer, in the claim. One of more operations is a later
		 * level's: every violation by then was unencodable. */
		if (r->inv[n].cex.ops > ops) {
			r->inv[n].cex.size = 0;
			r->inv[n].cex.not_minimized = false;
		}
		for (int l = 0; l <= ops; l++)
			r->upto[l].inv_programs[n] = r->upto[l].inv_programs[i];
		n++;
	}
	r->nr_inv = n;
	result_not_minimized(r);
	for (int l = 0; l <= ops; l++)
		for (int i = n; i < EXPLORE_MAX_INVARIANTS; i++)
			r->upto[l].inv_programs[i] = 0;
	for (int l = ops + 1; l <= EXPLORE_MAX_OPS; l++)
		memset(&r->upto[l], 0, sizeof(r->upto[l]));
	r->ops_done = ops;
}

void explore_result_merge(struct explore_result *a, const struct explore_result *b)
{
	if (!a->parts) {
		*a = *b;
		a->parts = b->parts ? b->parts : 1;
		return;
	}
	/* The levels every part searched, and why the search ended there,
	 * of the parts that ended there (a part that searched on ended for
	 * none): a stop at a violation says most (that level's
	 * counterexamples are the bound's), then an interruption (the next
	 * level was cut). */
	int ops = a->ops_done < b->ops_done ? a->ops_done : b->ops_done;
	static const int rank[] = { [EXPLORE_COMPLETE] = 0, [EXPLORE_INTERRUPTED] = 1,
				    [EXPLORE_AT_VIOLATION] = 2 };
	enum explore_end end = EXPLORE_COMPLETE;
	if (a->ops_done == ops && rank[a->end] > rank[end])
		end = a->end;
	if (b->ops_done == ops && rank[b->end] > rank[end])
		end = b->end;
	struct explore_result *bb = malloc(sizeof(*bb));
	if (!bb) {
		fputs("rmapfuzz explore: out of memory\n", stderr);
		exit(2);
	}
	*bb = *b;
	explore_result_rewind(a, ops);
	explore_result_rewind(bb, ops);
	a->end = end;
	a->parts += bb->parts ? bb->parts : 1;
	struct explore_level_counts sum = counts_of(a), more = counts_of(bb);
	counts_add(&sum, &more);
	counts_set(a, &sum);
	a->next_lock_errors += bb->next_lock_errors;
	a->seconds += bb->seconds;
	for (int l = 0; l <= ops; l++)
		counts_add(&a->upto[l], &bb->upto[l]);
	for (int i = 0; i < bb->nr_inv; i++) {
		int j = find_inv(a, bb->inv[i].name, true);
		if (j < 0)
			continue;
		a->inv[j].programs += bb->inv[i].programs;
		for (int l = 0; l <= ops; l++)
			a->upto[l].inv_programs[j] += bb->upto[l].inv_programs[i];
		/* Not minimized if a part's of as many operations as the one
		 * kept may not be: another part's search, finished, says
		 * nothing of the programs that part covered. A part's of more
		 * operations is no rival (the fewest operations come first). */
		const struct explore_cex old = a->inv[j].cex, *c = &bb->inv[i].cex;
		if (c->size && cex_better(&a->inv[j].cex, c))
			a->inv[j].cex = *c;
		struct explore_cex *k = &a->inv[j].cex;
		k->not_minimized = k->size && ((old.size && old.ops == k->ops && old.not_minimized) ||
					       (c->size && c->ops == k->ops && c->not_minimized));
	}
	result_not_minimized(a);
	free(bb);
}
