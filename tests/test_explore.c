/* The explorer (fuzz/explore.c): its state deduplication is sound (it
 * finds exactly the (invariant, program) pairs that plain enumeration of
 * every interleaving finds, on small bounds, for buggy rows and a sound
 * one), its counterexamples replay, shards add up to the whole, and a
 * small bound finds linux-3.14's races and keeps linux-3.15 clean. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>

#include "anon_vma.h"
#include "arena.h"
#include "explore.h"
#include "oracle.h"
#include "protocol.h"
#include "protocol_spec.h"
#include "run.h"
#include "scenario.h"
#include "strbuf.h"
#include "test.h"
#include "world_util.h"

/* The pairs a search found, each as "invariant hex-of-program". */
struct found {
	char **pair;
	size_t n, cap;
};

static void on_found(void *ctx, const char *invariant, const uint8_t *data, size_t size)
{
	struct found *f = ctx;
	struct strbuf sb = { 0 };
	sb_printf(&sb, "%s ", invariant);
	for (size_t i = 0; i < size; i++)
		sb_printf(&sb, "%02x", data[i]);
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 64;
		f->pair = realloc(f->pair, f->cap * sizeof(*f->pair));
	}
	f->pair[f->n++] = sb.buf;
}

static int by_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void found_free(struct found *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->pair[i]);
	free(f->pair);
}

/* The deduplicated search (by object with names left out, the default;
 * by object with --no-reduction; by bytes with --byte-hash) and
 * plain enumeration of b on proto find the same invariants, with
 * counterexamples of the same operations, steps and preemptions; every
 * (invariant, program) pair the search reports is one enumeration finds
 * (the search reports fewer: a program whose violation lies below a state
 * another program explored first is not searched there). Returns how many
 * pairs enumeration found. */
static size_t same_as_enumeration(const char *name, struct explore_bound b)
{
	const struct protocol *p = protocol_find(name);
	struct found plain = { 0 };
	struct explore_result r2;
	b.no_dedup = true;
	b.check_next_lock = true;	/* every claim, at every step enumeration takes */
	explore_protocol_found(p, &b, &r2, on_found, &plain);
	if (plain.n)
		qsort(plain.pair, plain.n, sizeof(char *), by_str);
	unsigned long states[3] = { 0 };
	CHECK_EQ(r2.next_lock_errors, 0);
	for (int mode = 0; mode < 3; mode++) {
		struct found dedup = { 0 };
		struct explore_result r1;
		b.no_dedup = false;
		b.no_reduction = mode == 1;
		b.byte_hash = mode == 2;
		explore_protocol_found(p, &b, &r1, on_found, &dedup);
		CHECK_EQ(r1.next_lock_errors, 0);
		states[mode] = r1.states;
		CHECK_EQ(r1.candidates, r2.candidates);
		/* Programs moved up a pmd or more are not searched (mode 0
		 * and the byte hash: the symmetry is part of the reduction). */
		CHECK_EQ(r1.programs + r1.same_setup + r1.translated, r2.programs);
		CHECK_EQ(r1.translated == 0, mode == 1 || b.max_pmds == 1 ||
					       (b.ops & (EXPLORE_OP_EXEC | EXPLORE_OP_RESIZE)));
		CHECK(r1.states < r2.states);	/* the reduction reduces */
		CHECK(dedup.n <= plain.n);
		for (size_t i = 0; i < dedup.n; i++)
			CHECK(bsearch(&dedup.pair[i], plain.pair, plain.n, sizeof(char *), by_str) != NULL);
		/* The same invariants, and shortest counterexamples as short:
		 * the search's second pass makes steps and preemptions exact. */
		CHECK_EQ(r1.nr_inv, r2.nr_inv);
		for (int i = 0; i < r1.nr_inv; i++) {
			int j = 0;
			while (j < r2.nr_inv && strcmp(r1.inv[i].name, r2.inv[j].name))
				j++;
			CHECK(j < r2.nr_inv);
			if (j == r2.nr_inv)
				continue;
			CHECK(r1.inv[i].programs >= 1 && r1.inv[i].programs <= r2.inv[j].programs);
			CHECK_EQ(r1.inv[i].cex.ops, r2.inv[j].cex.ops);
			CHECK_EQ(r1.inv[i].cex.steps, r2.inv[j].cex.steps);
			CHECK_EQ(r1.inv[i].cex.preemptions, r2.inv[j].cex.preemptions);
		}
		found_free(&dedup);
	}
	/* Names left out merge states, never split them (up to the bytes a
	 * path leaves in padding, which the hash reads: a few states); under
	 * a preemption bound the order states are met in, which decides how
	 * much of a subtree a first visit explores, can tell more apart. */
	if (b.preemptions < 0)
		CHECK(states[0] <= states[1] + states[1] / 1000);
	size_t n = plain.n;
	found_free(&plain);
	return n;
}

/* The states a search reached: each state's hash once, with the first
 * path to it (a report's); or, with every, each node as it comes (the
 * report of where two sets part). */
struct reached {
	struct reached_state {
		unsigned long long h[2];
		char path[192];
	} *s;
	size_t n, cap;
	bool every;
	size_t *slot, nslots;	/* open addressing over s: index + 1, 0 empty */
};

static size_t reached_find(const struct reached *r, const unsigned long long h[2])
{
	size_t i = (size_t)(h[0] ^ h[0] >> 29) & (r->nslots - 1);
	while (r->slot[i] && (r->s[r->slot[i] - 1].h[0] != h[0] || r->s[r->slot[i] - 1].h[1] != h[1]))
		i = (i + 1) & (r->nslots - 1);
	return i;
}

static void on_state(void *ctx, const unsigned long long h[2], unsigned long program,
		     const int *path, int depth, int preemptions)
{
	struct reached *r = ctx;
	if (!r->every) {
		if (2 * (r->n + 1) > r->nslots) {
			free(r->slot);
			r->nslots = r->nslots ? r->nslots * 2 : 4096;
			r->slot = calloc(r->nslots, sizeof(*r->slot));
			for (size_t k = 0; k < r->n; k++)
				r->slot[reached_find(r, r->s[k].h)] = k + 1;
		}
		size_t i = reached_find(r, h);
		if (r->slot[i])
			return;
		r->slot[i] = r->n + 1;
	}
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 1024;
		r->s = realloc(r->s, r->cap * sizeof(*r->s));
	}
	struct reached_state *e = &r->s[r->n++];
	e->h[0] = h[0];
	e->h[1] = h[1];
	size_t k = (size_t)snprintf(e->path, sizeof(e->path), "program %lu:", program);
	for (int i = 0; i < depth && k + 4 < sizeof(e->path); i++)
		k += (size_t)snprintf(e->path + k, sizeof(e->path) - k, " %d", path[i]);
	if (k + 8 < sizeof(e->path))
		snprintf(e->path + k, sizeof(e->path) - k, " (%d)", preemptions);
}

static void reached_free(struct reached *r)
{
	free(r->s);
	free(r->slot);
	*r = (struct reached){ 0 };
}

static int by_hash(const void *a, const void *b)
{
	const struct reached_state *x = a, *y = b;
	if (x->h[0] != y->h[0])
		return x->h[0] < y->h[0] ? -1 : 1;
	if (x->h[1] != y->h[1])
		return x->h[1] < y->h[1] ? -1 : 1;
	return 0;
}

/* Where a state only enumeration reaches parts from the search: the
 * deepest state on its path the search reaches too (every: enumeration's
 * nodes, in order), and the search's first path to that one: the two
 * histories the hash took for one state, whose next steps differ. */
static void report_parting(const struct reached *every, const struct reached *dedup,
			   const char *path)
{
	char pre[sizeof(((struct reached_state *)0)->path)];
	snprintf(pre, sizeof(pre), "%s", path);
	*strrchr(pre, ' ') = 0;	/* its preemptions */
	for (char *sp; (sp = strrchr(pre, ' ')) && sp[-1] != ':';) {
		*sp = 0;
		size_t np = strlen(pre);
		for (size_t j = 0; j < every->n; j++) {
			if (strncmp(every->s[j].path, pre, np) || strncmp(every->s[j].path + np, " (", 2))
				continue;
			const struct reached_state *d =
				bsearch(&every->s[j], dedup->s, dedup->n, sizeof(*dedup->s), by_hash);
			if (d) {
				fprintf(stderr, "    parts after %s, which the search reached by %s\n",
					pre, d->path);
				return;
			}
			break;
		}
	}
}

/* The deduplicated search reaches exactly the states plain enumeration
 * does, hashed alike (every node, branching or not; the programs moved up
 * searched too, as the symmetry reaches their states only moved down): a
 * search that pruned a subtree whose root it had not seen (a persistent
 * set that is not one, a cut on a wrong label) reaches fewer; a hash that
 * merges two states whose next steps differ makes the sets part (a name
 * left in: an insertion number, a vma's id). Returns how many. */
static size_t same_states_as_enumeration(const char *name, struct explore_bound b)
{
	const struct protocol *p = protocol_find(name);
	struct reached plain = { 0 }, dedup = { 0 };
	struct explore_result r;
	b.no_translate = true;
	b.on_state = on_state;
	b.no_dedup = true;
	b.on_state_ctx = &plain;
	explore_protocol_found(p, &b, &r, NULL, NULL);
	b.no_dedup = false;
	b.on_state_ctx = &dedup;
	explore_protocol_found(p, &b, &r, NULL, NULL);
	qsort(plain.s, plain.n, sizeof(*plain.s), by_hash);
	qsort(dedup.s, dedup.n, sizeof(*dedup.s), by_hash);
	/* and the states that do not branch (under a preemption bound a
	 * state's key holds the task that ran last, which these leave out) */
	CHECK(b.preemptions >= 0 || dedup.n >= r.states);
	CHECK_EQ(plain.n, dedup.n);
	struct reached every = { .every = true };
	size_t i = 0, j = 0, shown = 0;
	while (i < plain.n || j < dedup.n) {
		int c = i == plain.n ? 1 : j == dedup.n ? -1 : by_hash(&plain.s[i], &dedup.s[j]);
		if (c && shown++ < 4) {
			fprintf(stderr, "  %s: a state only %s reaches, by %s\n", name,
				c < 0 ? "enumeration" : "the search", c < 0 ? plain.s[i].path : dedup.s[j].path);
			if (c < 0 && !every.n) {	/* enumeration again, every node kept */
				b.no_dedup = true;
				b.on_state_ctx = &every;
				explore_protocol_found(p, &b, &r, NULL, NULL);
			}
			if (c < 0)
				report_parting(&every, &dedup, plain.s[i].path);
		}
		CHECK(c == 0);
		i += c <= 0;
		j += c >= 0;
	}
	size_t n = dedup.n;
	reached_free(&every);
	reached_free(&plain);
	reached_free(&dedup);
	return n;
}

static struct explore_bound small(int ops, int pmds, int mms, int preemptions)
{
	struct explore_bound b;
	explore_default_bound(&b);
	b.max_ops = ops;
	b.max_conc = 2;
	b.max_pmds = pmds;
	b.max_mms = mms;
	b.preemptions = preemptions;
	return b;
}

static void dedup_matches_enumeration_linux_3_14(void)
{
	/* munmap and fork against a split or migration, every interleaving;
	 * then two pmds with at most two preemptions (the bound's labels). */
	CHECK(same_as_enumeration("linux-3.14", small(2, 1, 2, -1)) > 0);
	CHECK(same_as_enumeration("linux-3.14", small(2, 2, 2, 2)) > 0);
}

/* The set of states, not only the violations (same_states_as_enumeration):
 * linux-3.14 with a fork beside the walk, every interleaving; with three
 * concurrent operations, two of them on one mmap_sem, under a preemption
 * bound (where the task that ran last is part of a state); linux-3.12's
 * set-up mremaps at 3 pmds; and exec beside a late migration. A search
 * that steps one task where several could run while a task waits (a
 * persistent set that is not one) fails the first, third and fourth;
 * one that forgets the last task under a preemption bound, the second
 * and third. */
static void dedup_reaches_enumerations_states(void)
{
	CHECK(same_states_as_enumeration("linux-3.14", small(2, 1, 2, -1)) > 500);
	struct explore_bound b = small(3, 2, 1, 1);
	b.max_conc = 3;
	CHECK(same_states_as_enumeration("linux-3.14", b) > 10000);
	CHECK(same_states_as_enumeration("linux-3.12", small(3, 3, 1, 2)) > 10000);
	b = small(2, 1, 2, 3);
	b.ops = EXPLORE_OP_EXEC | EXPLORE_OP_WALKS;
	CHECK(same_states_as_enumeration("no-stack-skip", b) > 10000);
}

/* Every protocol row's set of states against enumeration's: three
 * concurrent operations at 2 pmds, 1 mm, 1 preemption, and a fork at 2
 * pmds, 2 mms, 1 preemption (the list index, the templist, the retrying
 * splits each hash their own names). */
static void dedup_reaches_enumerations_states_every_row(void)
{
	struct explore_bound three = small(3, 2, 1, 1);
	three.max_conc = 3;
	for (int i = 0; i < nr_protocols; i++) {
		CHECK(same_states_as_enumeration(protocols[i].name, three) > 10000);
		CHECK(same_states_as_enumeration(protocols[i].name, small(3, 2, 2, 1)) > 10000);
	}
}

static void dedup_matches_enumeration_linux_3_12(void)
{
	/* The mail's race needs a set-up mremap: three operations. */
	CHECK(same_as_enumeration("linux-3.12", small(3, 3, 1, 2)) > 0);
}

static void dedup_matches_enumeration_fork(void)
{
	/* Two mms: a set-up fork or a fork beside the walk, whose states
	 * programs of different set-ups share. */
	CHECK(same_as_enumeration("linux-3.14", small(3, 2, 2, 3)) > 0);
}

static void dedup_matches_enumeration_three_concurrent(void)
{
	/* Three concurrent operations, 2 mms, one preemption: an operation
	 * that runs to its end first beside the walk meets programs with it as
	 * a set-up, where the one search merges programs' states (fewer pairs
	 * than enumeration: kernel-bug takes 3 operations, 12 steps). */
	struct explore_bound b = small(3, 2, 2, 1);
	b.max_conc = 3;
	CHECK(same_as_enumeration("linux-3.14", b) > 0);
}

static void dedup_matches_enumeration_linux_3_15(void)
{
	CHECK_EQ(same_as_enumeration("linux-3.15", small(2, 1, 2, -1)), 0);
	CHECK_EQ(same_as_enumeration("linux-3.15", small(3, 3, 1, 2)), 0);
}

/* The retrying splits without a preemption bound: a fork beside the split
 * makes it count fewer mappings than page_mapcount, and walk again once
 * another task has stepped (names_clocks hashes that answer alone). */
static void dedup_matches_enumeration_retry(void)
{
	CHECK_EQ(same_as_enumeration("retry-walk", small(3, 1, 2, -1)), 0);
	CHECK_EQ(same_as_enumeration("retry-only", small(3, 1, 2, -1)), 0);
}

/* Late walks (--ops walks: every mapped page, started after any step of
 * the others) deduplicate soundly too: exec beside a migration of its
 * argument pages, every interleaving with up to 3 preemptions; and the
 * whole menu (--ops all) at the same bound. */
static void dedup_matches_enumeration_late_walks(void)
{
	struct explore_bound b = small(2, 1, 2, 3);
	b.ops = EXPLORE_OP_EXEC | EXPLORE_OP_WALKS;
	CHECK(same_as_enumeration("no-stack-skip", b) > 0);
	CHECK_EQ(same_as_enumeration("linux-3.15", b), 0);
	/* Every operation of the menu (madvise's zap makes linux-3.14's
	 * races a step shorter). */
	b.ops = EXPLORE_OPS_ALL;
	CHECK(same_as_enumeration("linux-3.14", b) > 0);
}

/* Two tasks of one mm whose first steps take its mmap_sem beside the
 * walk: a task that has not tried it and one that tried and blocked are
 * one state (task_first_lock), which the search without a preemption
 * bound merges most. */
static void dedup_matches_enumeration_first_lock(void)
{
	struct explore_bound b = small(3, 1, 1, -1);
	b.max_conc = 3;
	CHECK(same_as_enumeration("linux-3.14", b) > 0);
}

/* Every protocol row, buggy and sound, against enumeration: the same
 * invariants with counterexamples as short. At three concurrent
 * operations, two of them on mm0's mmap_sem, two pmds, one preemption
 * (linux-3.14, peek-split-pmd and unlink-first break invariants there),
 * where task ids, names and the locks tasks wait on merge states; and at
 * the races that need a set-up mremap (3 operations, 2 concurrent, 3
 * pmds, 2 preemptions: linux-3.12, the list rows, retry-only, the
 * templist rows, ...). Returns how many rows broke something. */
static int every_row(struct explore_bound b)
{
	int buggy = 0;
	for (int i = 0; i < nr_protocols; i++)
		buggy += same_as_enumeration(protocols[i].name, b) > 0;
	return buggy;
}

static void dedup_matches_enumeration_every_row_three_tasks(void)
{
	struct explore_bound b = small(3, 2, 1, 1);
	b.max_conc = 3;
	CHECK(every_row(b) >= 3);
}

static void dedup_matches_enumeration_every_row_setup(void)
{
	CHECK(every_row(small(3, 3, 1, 2)) >= 8);
}

/* Every counterexample replays through rmap_run, as `rmapfuzz replay`
 * runs it, to its invariant, and its scenario text parses back to it. */
static void check_replays(const struct protocol *p, const struct explore_result *r, unsigned families)
{
	for (int i = 0; i < r->nr_inv; i++) {
		const struct explore_cex *c = &r->inv[i].cex;
		CHECK(c->size > 0);
		struct run_result rr;
		CHECK(rmap_run(c->data, c->size, p, run_families(families), &rr, NULL));
		CHECK_STR(rr.invariant, r->inv[i].name);
		struct strbuf text = { 0 };
		for (size_t k = 0; k < c->size / RECORD_SIZE; k++) {
			struct record rec = record_at(c->data, k);
			scenario_record_text(&rec, &text);
			sb_printf(&text, "\n");
		}
		struct record back[PROGRAM_MAX_RECORDS];
		struct scenario_error err;
		int n = scenario_parse(text.buf, text.len, back, &err);
		CHECK_EQ(n, (long long)(c->size / RECORD_SIZE));
		for (int k = 0; k < n; k++)
			CHECK(!memcmp(&back[k], c->data + RECORD_SIZE * k, RECORD_SIZE));
		sb_free(&text);
	}
}

/* What ./build.sh test asks of the explorer: a small bound finds
 * linux-3.14's races (the split-vs-zap BUG and a split missing a pmd)
 * and keeps linux-3.15 clean in the walk family. */
static void small_bound_finds_3_14_keeps_3_15_clean(void)
{
	struct explore_bound b = small(3, 3, 1, -1);
	struct explore_result r;
	const struct protocol *p = protocol_find("linux-3.14");
	explore_protocol(p, &b, &r, false);
	bool bug = false, missed = false;
	for (int i = 0; i < r.nr_inv; i++) {
		bug |= !strcmp(r.inv[i].name, "kernel-bug");
		missed |= !strcmp(r.inv[i].name, "split-missed-pmd");
	}
	CHECK(bug && missed);
	CHECK_EQ(r.truncated, 0);
	check_replays(p, &r, b.families);
	/* munmap against a split: two operations, one preemption is enough. */
	for (int i = 0; i < r.nr_inv; i++)
		CHECK_EQ(r.inv[i].cex.ops, 2);

	p = protocol_find("linux-3.15");
	explore_protocol(p, &b, &r, false);
	CHECK_EQ(r.nr_inv, 0);
	/* Every program of the bound searched, or one its set-up or a move
	 * down stands for. */
	CHECK(r.programs > 200);
	CHECK_EQ(r.programs + r.same_setup + r.translated, r.candidates);
	CHECK_EQ(r.truncated, 0);
}

/* The smallest kept crasher crashers/ROW/INV-*.bin (fewest records, then
 * fewest steps to its violation under p and families): records 0 when
 * there is none. claims: its .txt says it is the shortest counterexample
 * of `rmapfuzz explore` at bound b (the options b's figures give). */
struct kept_crasher {
	size_t records;
	unsigned long steps;
	bool claims;
};

static struct kept_crasher crasher_kept(const char *row, const char *inv, const struct protocol *p,
					const struct explore_bound *b)
{
	char dir[1024], bound[128];
	snprintf(dir, sizeof(dir), "%s/crashers/%s", RMAP_SOURCE_DIR, row);
	snprintf(bound, sizeof(bound), "--max-ops %d --max-conc %d --max-pmds %d --max-mms %d`",
		 b->max_ops, b->max_conc, b->max_pmds, b->max_mms);
	DIR *d = opendir(dir);
	struct kept_crasher best = { 0 };
	size_t len = strlen(inv);
	for (struct dirent *e; d && (e = readdir(d));) {
		size_t n = strlen(e->d_name);
		if (strncmp(e->d_name, inv, len) || e->d_name[len] != '-' || n < 4 ||
		    strcmp(e->d_name + n - 4, ".bin"))
			continue;
		char path[2048];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		uint8_t data[PROGRAM_MAX_RECORDS * RECORD_SIZE];
		FILE *f = fopen(path, "rb");
		size_t size = f ? fread(data, 1, sizeof(data), f) : 0;
		if (f)
			fclose(f);
		struct run_result rr;
		CHECK(rmap_run(data, size, p, run_families(b->families), &rr, NULL));
		struct kept_crasher k = { size / RECORD_SIZE, rr.steps, false };
		if (best.records && (k.records > best.records ||
				     (k.records == best.records && k.steps >= best.steps)))
			continue;
		memcpy(path + strlen(path) - 4, ".txt", 4);
		char line[1024] = "";
		f = fopen(path, "r");
		if (f && fgets(line, sizeof(line), f))
			(void)!fgets(line, sizeof(line), f);	/* the second line */
		if (f)
			fclose(f);
		k.claims = strstr(line, "the shortest counterexample of `rmapfuzz explore") &&
			   strstr(line, bound);
		best = k;
	}
	if (d)
		closedir(d);
	return best;
}

/* A shortest counterexample is written in as few records as its
 * interleaving allows (the concurrent starts in the order whose drain
 * takes the most of the schedule), so it is no longer than the crasher
 * kept for the same row and invariant, in records nor in steps to the
 * violation: list-3.0's and peek-migration-pte's migration against an
 * mremap (5 records with the migration started first, 6 with it last),
 * linux-3.14's split against munmap's zap (5); at 3 operations, list-3.2's
 * and templist-new-only's migration against a move back into a merged
 * neighbour (7). A crasher that says it is the explorer's shortest
 * counterexample at the bound is it: as many records and steps (the two
 * 3-operation ones once held rmapfuzz minimize's rewrite of it, 30 steps
 * to its 28 with a munmap waiting on a lock). */
static void counterexamples_no_longer_than_the_crashers(void)
{
	static const struct {
		const char *row;
		int ops, pmds;
	} rows[] = { { "list-3.0", 2, 2 }, { "peek-migration-pte", 2, 2 }, { "linux-3.14", 2, 1 },
		     { "list-3.2", 3, 3 }, { "templist-new-only", 3, 3 } };
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		/* linux-3.14's zap race needs one pmd; the moves two. */
		struct explore_bound b = small(rows[i].ops, rows[i].pmds, 1, -1);
		const struct protocol *p = protocol_find(rows[i].row);
		struct explore_result r;
		explore_protocol(p, &b, &r, false);
		CHECK(r.nr_inv > 0);
		int claimed = 0;
		for (int k = 0; k < r.nr_inv; k++) {
			struct kept_crasher kept = crasher_kept(rows[i].row, r.inv[k].name, p, &b);
			if (!kept.records)
				continue;	/* an invariant no crasher holds */
			size_t n = r.inv[k].cex.size / RECORD_SIZE;
			struct run_result rr;
			CHECK(rmap_run(r.inv[k].cex.data, r.inv[k].cex.size, p, run_families(b.families), &rr,
				       NULL));
			if (n > kept.records || rr.steps > kept.steps ||
			    (kept.claims && (n != kept.records || rr.steps != kept.steps)))
				fprintf(stderr, "%s %s: %zu records, %lu steps; the crasher %zu, %lu%s\n",
					rows[i].row, r.inv[k].name, n, rr.steps, kept.records, kept.steps,
					kept.claims ? " (it says it is the counterexample)" : "");
			CHECK(n <= kept.records);
			CHECK(rr.steps <= kept.steps);
			if (kept.claims) {
				CHECK_EQ(n, kept.records);
				CHECK_EQ(rr.steps, kept.steps);
				claimed++;
			}
		}
		/* The 3-operation rows' stale-migration-entry says so. */
		CHECK(rows[i].ops < 3 || claimed > 0);
		check_replays(p, &r, b.families);
	}
}

/* Late accesses (--ops access): a TLB filled at an address that a step of
 * the others has just mapped. move-normal-pmd's CVE-2022-41222 window
 * needs one: migration's walk found the moved pte table through the old
 * vma and flushes the old address, while an access started after the
 * move filled the new address's translation. Three tasks in the
 * violation, the one shape the every-row tests lack (theirs are the walk
 * against one operation), so the reduction must keep a third task's
 * future apart: the deduplicated search finds what enumeration finds (up
 * to 3 preemptions, the race's), and the locked row is clean. The counterexample is no longer than the kept
 * crasher, the access started after a step record as a `now` record (its
 * one step written with it), and replays. Fails without late accesses
 * (an access started with the others is clean here) or without the
 * `now` encoding (7 records). */
static void late_access_finds_move_normal_pmd(void)
{
	struct explore_bound b = small(3, 2, 1, 3);	/* enumeration: 5.4M states */
	b.max_conc = 3;
	b.ops = EXPLORE_OP_MREMAP | EXPLORE_OP_ACCESS;
	b.families = FAMILY_TLB;
	CHECK(same_as_enumeration("move-normal-pmd", b) > 0);
	CHECK_EQ(same_as_enumeration("move-normal-pmd-locked", b), 0);

	const struct protocol *p = protocol_find("move-normal-pmd");
	struct explore_result r;
	explore_protocol(p, &b, &r, false);
	CHECK_EQ(r.nr_inv, 1);
	CHECK_STR(r.inv[0].name, "stale-tlb");
	CHECK_EQ(r.inv[0].cex.ops, 3);
	size_t n = r.inv[0].cex.size / RECORD_SIZE;
	size_t kept = crasher_kept("move-normal-pmd", "stale-tlb", p, &b).records;
	CHECK(kept > 0 && n <= kept);
	bool late_now = false;
	for (size_t k = 1; k < n; k++) {
		struct record rec = record_at(r.inv[0].cex.data, k), prev = record_at(r.inv[0].cex.data, k - 1);
		late_now |= record_op(&rec) == REC_ACCESS && record_now(&rec) && record_op(&prev) == REC_STEP;
	}
	CHECK(late_now);
	check_replays(p, &r, b.families);
}

/* --ops: names round-trip, "all" is every operation (exec among them),
 * the default is the 2014 rows' three, and a bad name says why. */
static void ops_parse_and_print(void)
{
	unsigned ops = 0;
	char why[256];
	CHECK(explore_ops_parse("all", &ops, why, sizeof(why)));
	CHECK_EQ(ops, EXPLORE_OPS_ALL);
	CHECK(ops & EXPLORE_OP_EXEC);
	struct strbuf sb = { 0 };
	explore_ops_text(ops, ",", &sb);
	CHECK_STR(sb_str(&sb), "fork,munmap,mremap,resize,madvise,mprotect,exit,exec,fault,access,walks");
	unsigned back = 0;
	CHECK(explore_ops_parse(sb_str(&sb), &back, why, sizeof(why)));
	CHECK_EQ(back, ops);
	sb_free(&sb);
	CHECK(explore_ops_parse("exec,walks", &ops, why, sizeof(why)));
	CHECK_EQ(ops, EXPLORE_OP_EXEC | EXPLORE_OP_WALKS);
	CHECK(!explore_ops_parse("fork,nope", &ops, why, sizeof(why)));
	CHECK(strstr(why, "'nope'") != NULL);
	CHECK(!explore_ops_parse("walks", &ops, why, sizeof(why)));
	CHECK(!explore_ops_parse("fork,", &ops, why, sizeof(why)));
	struct explore_bound b;
	explore_default_bound(&b);
	CHECK_EQ(b.ops, EXPLORE_OPS_2014);
}

/* exec is in the menu: with it (and walks of the pages it maps) a small
 * bound finds no-stack-skip's race, try_to_unmap putting a migration
 * entry in exec's temporary stack while shift_arg_pages moves it (the
 * fuzzer's crasher), and keeps linux-3.15 clean; the counterexample has
 * the exec, no base layout, is no longer than the crasher, and replays.
 * Without exec the same bound is clean: the race is the menu's to reach.
 * Fails if exec leaves the menu (or --ops all), without the empty base
 * layout or the tie broken by records (6 records). */
static void exec_in_the_menu_finds_no_stack_skip(void)
{
	const struct protocol *p = protocol_find("no-stack-skip");
	struct explore_bound b = small(2, 1, 2, -1);
	struct explore_result r;
	CHECK(explore_ops_parse("all", &b.ops, (char[64]){ 0 }, 64));
	b.ops &= EXPLORE_OP_EXEC | EXPLORE_OP_WALKS;	/* all's exec and walks: quick */
	CHECK_EQ(b.ops, EXPLORE_OP_EXEC | EXPLORE_OP_WALKS);
	explore_protocol(p, &b, &r, false);
	CHECK_EQ(r.nr_inv, 1);
	CHECK_STR(r.inv[0].name, "stale-migration-entry");
	CHECK_EQ(r.inv[0].cex.ops, 2);
	CHECK_EQ(r.truncated, 0);
	check_replays(p, &r, b.families);
	bool exec = false, late = false;
	for (size_t k = 0; k < r.inv[0].cex.size / RECORD_SIZE; k++) {
		struct record rec = record_at(r.inv[0].cex.data, k);
		exec |= record_op(&rec) == REC_EXEC;
		/* The migration starts after the exec's first steps. */
		struct record prev = record_at(r.inv[0].cex.data, k ? k - 1 : 0);
		late |= record_op(&rec) == REC_MIGRATE && k > 0 && record_op(&prev) == REC_STEP;
	}
	CHECK(exec && late);
	/* No base layout: the exec first, 4 records, the kept crasher's
	 * length (a tie in operations, steps and preemptions with the
	 * programs that mmap and fault first, which take 6). */
	struct record first = record_at(r.inv[0].cex.data, 0);
	CHECK_EQ(record_op(&first), REC_EXEC);
	CHECK(r.inv[0].cex.size / RECORD_SIZE <= crasher_kept("no-stack-skip", r.inv[0].name, p, &b).records);

	explore_protocol(protocol_find("linux-3.15"), &b, &r, false);
	CHECK_EQ(r.nr_inv, 0);
	CHECK(r.programs > 0);

	b.ops = EXPLORE_OPS_2014 | EXPLORE_OP_WALKS;
	explore_protocol(p, &b, &r, false);
	CHECK_EQ(r.nr_inv, 0);
}

/* Shards split the programs: their counts add up to the whole's, their
 * merged verdict and counterexamples are the whole's. */
static void shards_add_up(void)
{
	const struct protocol *p = protocol_find("linux-3.12");
	struct explore_bound b = small(3, 3, 1, 2);
	struct explore_result whole, part, merged = { 0 };
	explore_protocol(p, &b, &whole, false);
	snprintf(merged.protocol, sizeof(merged.protocol), "%s", p->name);
	b.shards = 3;
	for (b.shard = 0; b.shard < 3; b.shard++) {
		explore_protocol(p, &b, &part, false);
		explore_result_merge(&merged, &part);
	}
	/* Every program is one shard's, searched or merged with an earlier
	 * set-up's there; states are not: each shard has its own visited set,
	 * so a state two shards' programs reach is counted in both. */
	CHECK_EQ(merged.candidates, whole.candidates);
	/* What progress lines count against: the whole's, for every shard. */
	b.shard = 1;
	CHECK_EQ(explore_count_programs(p, &b), whole.candidates);
	b.shard = 0;
	b.shards = 1;
	CHECK_EQ(explore_count_programs(p, &b), whole.candidates);
	b.shards = 3;
	CHECK_EQ(merged.programs + merged.same_setup, whole.programs + whole.same_setup);
	CHECK(merged.states >= whole.states);
	CHECK_EQ(merged.nr_inv, whole.nr_inv);
	for (int i = 0; i < whole.nr_inv && i < merged.nr_inv; i++) {
		CHECK_STR(merged.inv[i].name, whole.inv[i].name);
		CHECK_EQ(merged.inv[i].cex.ops, whole.inv[i].cex.ops);
		CHECK_EQ(merged.inv[i].cex.steps, whole.inv[i].cex.steps);
		CHECK_EQ(merged.inv[i].cex.preemptions, whole.inv[i].cex.preemptions);
	}
	check_replays(p, &merged, b.families);
}

/* Two results of one search, however reached: the same counts, the same
 * invariants with the same counterexamples' operations (steps and
 * preemptions too when exact). */
static void same_result(const struct explore_result *a, const struct explore_result *b, bool exact)
{
	CHECK_EQ(a->ops_done, b->ops_done);
	CHECK_EQ(a->candidates, b->candidates);
	CHECK_EQ(a->programs, b->programs);
	CHECK_EQ(a->same_setup, b->same_setup);
	CHECK_EQ(a->translated, b->translated);
	CHECK_EQ(a->states, b->states);
	CHECK_EQ(a->interleavings, b->interleavings);
	CHECK_EQ(a->cut, b->cut);
	CHECK_EQ(a->setup_violations, b->setup_violations);
	CHECK_EQ(a->nr_inv, b->nr_inv);
	for (int i = 0; i < a->nr_inv && i < b->nr_inv; i++) {
		CHECK_STR(a->inv[i].name, b->inv[i].name);
		CHECK_EQ(a->inv[i].programs, b->inv[i].programs);
		CHECK_EQ(a->inv[i].cex.ops, b->inv[i].cex.ops);
		if (exact) {
			CHECK_EQ(a->inv[i].cex.steps, b->inv[i].cex.steps);
			CHECK_EQ(a->inv[i].cex.preemptions, b->inv[i].cex.preemptions);
		}
	}
}

/* --stop-at-violation: the search of a bound stopped after its first level
 * that broke an invariant is the search of the bound of that level's
 * operations, counts and counterexamples alike; and a whole search taken
 * back to that level (explore_result_rewind) is too. linux-3.12's race
 * needs a set-up mremap: 3 operations, then a fourth level is left out. */
static void stop_at_violation_is_the_first_levels_bound(void)
{
	const struct protocol *p = protocol_find("linux-3.12");
	struct explore_bound b = small(4, 3, 1, 2);
	struct explore_result whole, stopped, three;
	explore_protocol(p, &b, &whole, false);
	CHECK_EQ(whole.ops_done, 4);
	CHECK_EQ(whole.end, EXPLORE_COMPLETE);
	b.stop_at_violation = true;
	explore_protocol(p, &b, &stopped, false);
	CHECK_EQ(stopped.ops_done, 3);
	CHECK_EQ(stopped.end, EXPLORE_AT_VIOLATION);
	CHECK(!stopped.not_minimized);
	CHECK(stopped.programs < whole.programs);
	struct explore_bound b3 = small(3, 3, 1, 2);
	explore_protocol(p, &b3, &three, false);
	CHECK(three.nr_inv > 0);
	same_result(&stopped, &three, true);
	check_replays(p, &stopped, b.families);
	explore_result_rewind(&whole, 3);
	same_result(&whole, &three, true);

	/* A clean row searches on to the bound's end. */
	p = protocol_find("linux-3.15");
	explore_protocol(p, &b, &stopped, false);
	CHECK_EQ(stopped.ops_done, 4);
	CHECK_EQ(stopped.end, EXPLORE_COMPLETE);
	CHECK_EQ(stopped.nr_inv, 0);
}

/* An interruption (a signal's flag): raised at the on_state hook once the
 * search is at a program numbered from `at` on. */
struct interrupter {
	unsigned long at;
	volatile sig_atomic_t flag;
};

static void interrupt_at(void *ctx, const unsigned long long h[2], unsigned long program, const int *path,
			 int depth, int preemptions)
{
	(void)h, (void)path, (void)depth, (void)preemptions;
	struct interrupter *i = ctx;
	if (program >= i->at)
		i->flag = 1;
}

/* An interrupted search is the search of the levels it finished: stopped
 * in the level of 3 operations, linux-3.14's result is the bound of 2's,
 * its counterexamples as short in operations (their steps need not be
 * the fewest: the second search did not run), and they replay; stopped in
 * the first level, nothing is claimed. */
static void interrupt_keeps_the_levels_done(void)
{
	const struct protocol *p = protocol_find("linux-3.14");
	struct explore_bound b2 = small(2, 3, 1, -1), b = small(3, 3, 1, -1);
	struct explore_result two, r;
	explore_protocol(p, &b2, &two, false);
	CHECK(two.nr_inv > 0);
	struct interrupter in = { .at = two.candidates + 5 };
	b.on_state = interrupt_at;
	b.on_state_ctx = &in;
	b.interrupt = &in.flag;
	explore_protocol(p, &b, &r, false);
	CHECK(in.flag);
	CHECK_EQ(r.end, EXPLORE_INTERRUPTED);
	CHECK(r.not_minimized);
	same_result(&r, &two, false);
	check_replays(p, &r, b.families);

	in.flag = 0;
	in.at = 3;
	explore_protocol(p, &b, &r, false);
	CHECK_EQ(r.end, EXPLORE_INTERRUPTED);
	CHECK_EQ(r.ops_done, 0);
	CHECK_EQ(r.programs, 0);
	CHECK_EQ(r.states, 0);
	CHECK_EQ(r.nr_inv, 0);
}

static void merged_is_the_level(const struct explore_result *merged, const struct explore_result *three);

/* Another worker's stop at level `to`, published once the search is at a
 * program numbered from `at` on. */
struct lowerer {
	unsigned long at;
	int to;
	_Atomic int *shared;
};

static void lower_at(void *ctx, const unsigned long long h[2], unsigned long program, const int *path,
		     int depth, int preemptions)
{
	(void)h, (void)path, (void)depth, (void)preemptions;
	struct lowerer *l = ctx;
	if (program >= l->at)
		atomic_store(l->shared, l->to);
}

/* Parts that searched different levels join into the levels all of them
 * searched: a shard stopped at its first violating level and a shard
 * that searched on are, merged, the whole of that level's bound. */
static void merge_takes_parts_to_the_levels_all_searched(void)
{
	const struct protocol *p = protocol_find("linux-3.12");
	struct explore_bound b = small(4, 3, 1, 2), b3 = small(3, 3, 1, 2);
	struct explore_result three, part, merged = { 0 };
	explore_protocol(p, &b3, &three, false);
	snprintf(merged.protocol, sizeof(merged.protocol), "%s", p->name);
	b.shards = 2;
	for (b.shard = 0; b.shard < 2; b.shard++) {
		b.stop_at_violation = b.shard == 1;	/* shard 0 breaks nothing in level 3 */
		explore_protocol(p, &b, &part, false);
		CHECK_EQ(part.ops_done, b.shard == 1 ? 3 : 4);
		explore_result_merge(&merged, &part);
	}
	CHECK_EQ(merged.ops_done, 3);
	CHECK_EQ(merged.end, EXPLORE_AT_VIOLATION);
	CHECK_EQ(merged.parts, 2);
	merged_is_the_level(&merged, &three);

	/* --jobs' workers share where one stopped (shared_stop): shard 0,
	 * which alone would search level 4, stops after level 3 once shard 1
	 * stopped there (here one after the other: the later one sees it
	 * between its levels; below, mid-way through level 4). */
	_Atomic int shared = 0;
	struct explore_result first;
	memset(&merged, 0, sizeof(merged));
	snprintf(merged.protocol, sizeof(merged.protocol), "%s", p->name);
	b.stop_at_violation = true;
	b.shared_stop = &shared;
	b.shard = 1;
	explore_protocol(p, &b, &first, false);
	CHECK_EQ(atomic_load(&shared), 3);
	b.shard = 0;
	explore_protocol(p, &b, &part, false);
	CHECK_EQ(part.ops_done, 3);
	CHECK_EQ(part.end, EXPLORE_AT_VIOLATION);
	explore_result_merge(&merged, &part);
	explore_result_merge(&merged, &first);
	merged_is_the_level(&merged, &three);

	/* The other worker stops at level 3 while shard 0 is in level 4:
	 * shard 0 gives that level up and is its own search of level 3. */
	struct lowerer low = { .at = three.candidates + 5, .to = 3, .shared = &shared };
	atomic_store(&shared, 0);
	b.stop_at_violation = false;
	b.on_state = lower_at;
	b.on_state_ctx = &low;
	explore_protocol(p, &b, &part, false);
	CHECK_EQ(atomic_load(&shared), 3);
	CHECK_EQ(part.ops_done, 3);
	CHECK_EQ(part.end, EXPLORE_AT_VIOLATION);
	memset(&merged, 0, sizeof(merged));
	explore_result_merge(&merged, &part);
	explore_result_merge(&merged, &first);
	merged_is_the_level(&merged, &three);
}

/* One part's result as explore leaves it: levels 2 to done searched, every
 * count growing by level, one invariant broken from level `from` on, with
 * the counterexample c. */
static void part_of(struct explore_result *r, int done, enum explore_end end, const char *inv, int from,
		    struct explore_cex c)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->protocol, sizeof(r->protocol), "linux-3.14");
	r->ops_done = done;
	r->end = end;
	r->parts = 1;
	r->nr_inv = 1;
	snprintf(r->inv[0].name, sizeof(r->inv[0].name), "%s", inv);
	for (int l = 2; l <= done; l++) {
		r->upto[l].candidates = 100ul * (unsigned long)(l - 1);
		r->upto[l].programs = 10ul * (unsigned long)(l - 1);
		r->upto[l].inv_programs[0] = l >= from ? 2ul * (unsigned long)(l - from + 1) : 0;
	}
	r->candidates = r->upto[done].candidates;
	r->programs = r->upto[done].programs;
	r->inv[0].programs = r->upto[done].inv_programs[0];
	r->inv[0].cex = c;
}

/* A counterexample outlives a merge, or a rewind, to a level that keeps
 * its invariant whenever it is of as many operations or fewer. An
 * operation that broke an invariant alone, as a set-up, is found two
 * levels above its operations and in no fewer steps (0): it replaces a
 * race's of as many operations found lower down, the only counterexample
 * kept; taken back below the set-up's level, the invariant (broken by the
 * race) stays, and so must a counterexample. One of more operations than
 * the level goes: every violation by then had no input (unencodable). */
static void merge_keeps_a_set_up_counterexample(void)
{
	struct explore_result a, b, merged = { 0 }, r;
	const struct explore_cex setup = { .ops = 2, .steps = 0, .preemptions = 0, .level = 4, .size = 12 };
	const struct explore_cex race = { .ops = 2, .steps = 7, .preemptions = 1, .level = 2, .size = 20 };
	part_of(&a, 4, EXPLORE_COMPLETE, "kernel-bug", 2, setup);
	a.upto[4].setup_violations = a.setup_violations = 1;
	part_of(&b, 2, EXPLORE_AT_VIOLATION, "split-missed-pmd", 2, race);
	explore_result_merge(&merged, &a);
	explore_result_merge(&merged, &b);
	CHECK_EQ(merged.ops_done, 2);
	CHECK_EQ(merged.end, EXPLORE_AT_VIOLATION);
	CHECK_EQ(merged.nr_inv, 2);
	CHECK_STR(merged.inv[0].name, "kernel-bug");
	CHECK_EQ(merged.inv[0].programs, 2);
	CHECK_EQ(merged.inv[0].cex.size, setup.size);
	CHECK_EQ(merged.inv[0].cex.ops, 2);
	CHECK_EQ(merged.inv[0].cex.steps, 0);
	CHECK_STR(merged.inv[1].name, "split-missed-pmd");
	CHECK_EQ(merged.inv[1].cex.size, race.size);
	for (int l = 3; l >= 2; l--) {
		r = a;
		explore_result_rewind(&r, l);
		CHECK_EQ(r.nr_inv, 1);
		CHECK_EQ(r.inv[0].programs, 2ul * (unsigned long)(l - 1));
		CHECK_EQ(r.inv[0].cex.size, setup.size);
	}

	/* Broken from level 2 on, first replayed by a race of 3 operations. */
	part_of(&a, 4, EXPLORE_COMPLETE, "kernel-bug", 2,
		(struct explore_cex){ .ops = 3, .steps = 9, .preemptions = 1, .level = 3, .size = 24 });
	r = a;
	explore_result_rewind(&r, 3);
	CHECK_EQ(r.inv[0].cex.size, 24);
	explore_result_rewind(&r, 2);
	CHECK_EQ(r.nr_inv, 1);
	CHECK_EQ(r.inv[0].programs, 2);
	CHECK_EQ(r.inv[0].cex.size, 0);
}

/* "Not minimized" belongs to a counterexample, not to the part that held it:
 * a merge says it of an invariant whose counterexample any part may have
 * left unminimized, whatever the parts' order, and of no other. Part a
 * finished level 2's second search (split-missed-pmd's minimized) but not
 * level 3's (kernel-bug's, found there, not); part b, searched to level 2,
 * did not minimize split-missed-pmd; part c did. */
static void merge_says_not_minimized_per_counterexample(void)
{
	struct explore_result a, b, c, m1 = { 0 }, m2 = { 0 }, m3 = { 0 }, r;
	part_of(&a, 3, EXPLORE_INTERRUPTED, "split-missed-pmd", 2,
		(struct explore_cex){ .ops = 2, .steps = 7, .level = 2, .size = 20 });
	a.nr_inv = 2;
	snprintf(a.inv[1].name, sizeof(a.inv[1].name), "kernel-bug");
	a.upto[3].inv_programs[1] = a.inv[1].programs = 3;
	a.inv[1].cex = (struct explore_cex){ .ops = 3, .steps = 9, .level = 3, .size = 24,
					     .not_minimized = true };
	a.not_minimized = true;
	part_of(&b, 2, EXPLORE_COMPLETE, "split-missed-pmd", 2,
		(struct explore_cex){ .ops = 2, .steps = 8, .level = 2, .size = 20, .not_minimized = true });
	b.not_minimized = true;
	part_of(&c, 2, EXPLORE_COMPLETE, "split-missed-pmd", 2,
		(struct explore_cex){ .ops = 2, .steps = 8, .level = 2, .size = 20 });

	/* Taken back to level 2, a keeps only its minimized one. */
	r = a;
	explore_result_rewind(&r, 2);
	CHECK_EQ(r.nr_inv, 1);
	CHECK(!r.inv[0].cex.not_minimized);
	CHECK(!r.not_minimized);

	/* a's steps are the fewer, but b's programs may hold fewer still. */
	explore_result_merge(&m1, &a);
	explore_result_merge(&m1, &b);
	explore_result_merge(&m2, &b);
	explore_result_merge(&m2, &a);
	for (const struct explore_result *m = &m1; m; m = m == &m1 ? &m2 : NULL) {
		CHECK_EQ(m->nr_inv, 1);
		CHECK_EQ(m->inv[0].cex.steps, 7);
		CHECK(m->inv[0].cex.not_minimized);
		CHECK(m->not_minimized);
	}
	/* Every part minimized what it kept: so is the merge. */
	explore_result_merge(&m3, &c);
	explore_result_merge(&m3, &a);
	CHECK_EQ(m3.inv[0].cex.steps, 7);
	CHECK(!m3.inv[0].cex.not_minimized);
	CHECK(!m3.not_minimized);

	/* A part's unminimized counterexample of more operations than the
	 * one kept is no rival, in any order of the parts, nor once a rewind
	 * drops it: d broke split-missed-pmd only at level 3, e at level 2
	 * (minimized), f searched level 2 clean. */
	struct explore_result d, e, f;
	part_of(&d, 3, EXPLORE_COMPLETE, "split-missed-pmd", 3,
		(struct explore_cex){ .ops = 3, .steps = 9, .level = 3, .size = 24, .not_minimized = true });
	d.not_minimized = true;
	part_of(&e, 3, EXPLORE_COMPLETE, "split-missed-pmd", 2,
		(struct explore_cex){ .ops = 2, .steps = 7, .level = 2, .size = 20 });
	part_of(&f, 2, EXPLORE_COMPLETE, "split-missed-pmd", 3, (struct explore_cex){ 0 });
	f.nr_inv = 0;
	const struct explore_result *orders[3][3] = { { &d, &e, &f }, { &d, &f, &e }, { &f, &e, &d } };
	for (int o = 0; o < 3; o++) {
		struct explore_result m = { 0 };
		for (int k = 0; k < 3; k++)
			explore_result_merge(&m, orders[o][k]);
		CHECK_EQ(m.ops_done, 2);
		CHECK_EQ(m.nr_inv, 1);
		CHECK_EQ(m.inv[0].cex.ops, 2);
		CHECK(!m.inv[0].cex.not_minimized);
		CHECK(!m.not_minimized);
	}
	r = d;
	explore_result_rewind(&r, 2);
	CHECK_EQ(r.nr_inv, 0);
	CHECK(!r.not_minimized);
}

/* A merge of shards against the whole search of their levels. */
static void merged_is_the_level(const struct explore_result *merged, const struct explore_result *three)
{
	CHECK_EQ(merged->candidates, three->candidates);
	CHECK_EQ(merged->programs + merged->same_setup, three->programs + three->same_setup);
	CHECK_EQ(merged->translated, three->translated);
	CHECK(merged->states >= three->states);
	CHECK_EQ(merged->nr_inv, three->nr_inv);
	for (int i = 0; i < three->nr_inv && i < merged->nr_inv; i++) {
		CHECK_STR(merged->inv[i].name, three->inv[i].name);
		CHECK_EQ(merged->inv[i].cex.ops, three->inv[i].cex.ops);
		CHECK_EQ(merged->inv[i].cex.steps, three->inv[i].cex.steps);
		CHECK_EQ(merged->inv[i].cex.preemptions, three->inv[i].cex.preemptions);
	}
}

/* Whether a record's b (its address, by slot in the menu's records) is
 * one. Stated here apart from explore.c's test of which records carry
 * one; an mremap's c (its destination) is one too. */
static bool b_is_address(int op)
{
	return op == REC_MMAP || op == REC_FAULT || op == REC_MUNMAP || op == REC_MREMAP ||
	       op == REC_MADVISE || op == REC_MPROTECT || op == REC_ACCESS;
}

/* A program moved down by m pmds: every address of its records m less. */
static void translate_down(uint8_t *data, size_t size, int m)
{
	for (size_t k = 0; k + RECORD_SIZE <= size; k += RECORD_SIZE) {
		struct record r = record_at(data, k / RECORD_SIZE);
		if (b_is_address(record_op(&r)))
			data[k + 2] = (uint8_t)(r.b - m);
		if (record_op(&r) == REC_MREMAP)
			data[k + 3] = (uint8_t)(r.c - m);
	}
}

static int lowest_slot(const uint8_t *data, size_t size)
{
	int low = 16;
	for (size_t k = 0; k + RECORD_SIZE <= size; k += RECORD_SIZE) {
		struct record r = record_at(data, k / RECORD_SIZE);
		if (b_is_address(record_op(&r)) && (r.b & 15) < low)
			low = r.b & 15;
		if (record_op(&r) == REC_MREMAP && (r.c & 15) < low)
			low = r.c & 15;
	}
	return low;
}

static void on_found_moved_down(void *ctx, const char *invariant, const uint8_t *data, size_t size)
{
	uint8_t moved[PROGRAM_MAX_RECORDS * RECORD_SIZE];
	memcpy(moved, data, size);
	translate_down(moved, size, lowest_slot(data, size));
	on_found(ctx, invariant, moved, size);
}

/* Translation is a symmetry (explore.c, translated_up): enumerating every
 * interleaving of every program, the (invariant, program) pairs, each
 * program moved down as far as it goes, are the same whether the programs
 * moved up are run or skipped: a skipped program breaks what the program
 * moved down breaks, and that one is in the bound and run. Fails if a
 * skipped program's move down leaves the bound (an mremap's destination
 * forgotten) or if the model read an address absolutely. */
static void translation_is_a_symmetry(void)
{
	static const struct {
		const char *name;
		int ops, conc, pmds, mms;
		unsigned menu;
	} runs[] = {
		{ "linux-3.14", 3, 2, 3, 1, 0 },
		{ "list-3.0", 3, 2, 3, 1, 0 },
		{ "tree-left", 3, 2, 3, 2, 0 },
		{ "unlink-first", 2, 2, 3, 2, EXPLORE_OPS_2014 | EXPLORE_OP_MADVISE | EXPLORE_OP_MPROTECT |
						      EXPLORE_OP_FAULT | EXPLORE_OP_EXIT | EXPLORE_OP_WALKS },
		/* accesses, late ones among them, in the tlb family */
		{ "move-normal-pmd", 3, 3, 3, 1, EXPLORE_OP_MREMAP | EXPLORE_OP_ACCESS },
		{ "linux-3.15", 3, 2, 3, 2, EXPLORE_OPS_2014 | EXPLORE_OP_ACCESS },
	};
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		const struct protocol *p = protocol_find(runs[i].name);
		/* Two preemptions: every race these rows have (a program's
		 * preemptions do not move with it). */
		struct explore_bound b = small(runs[i].ops, runs[i].pmds, runs[i].mms, 2);
		b.max_conc = runs[i].conc;
		b.ops = runs[i].menu;
		if (b.ops & EXPLORE_OP_ACCESS)
			b.families = FAMILY_TLB | FAMILY_WALK;
		b.no_dedup = true;
		struct found all = { 0 }, skipped = { 0 };
		struct explore_result r1, r2;
		explore_protocol_found(p, &b, &r1, on_found_moved_down, &all);
		b.translate_all = true;
		explore_protocol_found(p, &b, &r2, on_found_moved_down, &skipped);
		CHECK_EQ(r1.translated, 0);
		CHECK(r2.translated > 0);
		CHECK(all.n > 0);
		qsort(all.pair, all.n, sizeof(char *), by_str);
		qsort(skipped.pair, skipped.n, sizeof(char *), by_str);
		size_t na = 0, ns = 0;	/* distinct */
		for (size_t k = 0; k < all.n; k++)
			if (!na || strcmp(all.pair[k], all.pair[na - 1]))
				all.pair[na++] = all.pair[k];
			else
				free(all.pair[k]);
		for (size_t k = 0; k < skipped.n; k++)
			if (!ns || strcmp(skipped.pair[k], skipped.pair[ns - 1]))
				skipped.pair[ns++] = skipped.pair[k];
			else
				free(skipped.pair[k]);
		all.n = na;
		skipped.n = ns;
		CHECK_EQ(na, ns);
		for (size_t k = 0; k < na && k < ns; k++)
			if (strcmp(all.pair[k], skipped.pair[k])) {
				fprintf(stderr, "%s: %s against %s\n", runs[i].name, all.pair[k], skipped.pair[k]);
				CHECK(false);
				break;
			}
		found_free(&all);
		found_free(&skipped);
	}
}

/* docs/explore.md, "The default bound": move_flush_locked does nothing
 * where nothing made a TLB (only an access makes one: the tlb family's),
 * so in the walk family's menus all-fixes searches linux-3.15 with
 * split_refuses_pins alone, state for state. With accesses in the menu
 * the flush is a step of its own or not, and the searches differ. */
static void move_flush_locked_is_inert_without_accesses(void)
{
	struct protocol_adhoc adhoc;
	char why[256];
	const struct protocol *pins = protocol_lookup("linux-3.15+split_refuses_pins", &adhoc, why,
						      sizeof(why));
	CHECK(pins != NULL);
	for (int access = 0; access < 2; access++) {
		struct explore_bound b = small(3, 2, 1, -1);
		if (access) {
			b.ops = EXPLORE_OP_MREMAP | EXPLORE_OP_ACCESS;
			b.families = FAMILY_TLB | FAMILY_WALK;
		}
		struct explore_result r1, r2;
		explore_protocol(protocol_find("all-fixes"), &b, &r1, false);
		explore_protocol(pins, &b, &r2, false);
		CHECK(r1.states > 0);
		if (!access) {
			CHECK_EQ(r1.programs, r2.programs);
			CHECK_EQ(r1.states, r2.states);
			CHECK_EQ(r1.interleavings, r2.interleavings);
		} else {
			CHECK(r1.states != r2.states);
		}
	}
}

/* explore_canon.c hashes a task's arrays below their counts and an mm's
 * slots that are not fresh: every state the search hashes is hashed again
 * with every byte of its tasks and mms (dead slots zeroed), and the two
 * must tell apart the same states. A layout that left out a part that is
 * state (a frame) would merge states the whole objects tell apart. */
static void object_layouts_tell_apart_what_whole_objects_do(void)
{
	static const struct {
		const char *name;
		int ops, conc, pmds, mms;
		unsigned menu;		/* 0: the 2014 rows' */
		unsigned families;	/* 0: walk */
	} runs[] = {
		{ "linux-3.14", 3, 2, 3, 2, 0, 0 },
		{ "list-3.0", 3, 3, 2, 1, 0, 0 },
		/* in-flight entries, TLBs, late accesses */
		{ "move-normal-pmd", 3, 3, 2, 1, EXPLORE_OP_MREMAP | EXPLORE_OP_ACCESS, FAMILY_TLB },
		/* exec's stack in the top slots, its pages walked late */
		{ "no-stack-skip", 2, 2, 1, 2, EXPLORE_OP_EXEC | EXPLORE_OP_WALKS, 0 },
		/* gathered pages, COW copies */
		{ "linux-3.15", 3, 2, 2, 2, EXPLORE_OP_FORK | EXPLORE_OP_MUNMAP | EXPLORE_OP_EXIT | EXPLORE_OP_FAULT, 0 },
	};
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		struct explore_bound b = small(runs[i].ops, runs[i].pmds, runs[i].mms, -1);
		b.max_conc = runs[i].conc;
		b.ops = runs[i].menu;
		if (runs[i].families)
			b.families = runs[i].families;
		b.check_layouts = true;
		struct explore_result r;
		explore_protocol(protocol_find(runs[i].name), &b, &r, false);
		CHECK(r.layout_states > 1000);
		CHECK_EQ(r.layout_conflicts, 0);
	}
}

/* The hash reads an interval tree without its shape (names_itree), its
 * order from the insertion numbers' ranks. Two forks of mm0's THP and an
 * munmap of the first child's vma, in two orders: the same nodes in the
 * same order in the root anon_vma's tree (mm0's chain, then mm2's), in
 * two shapes (the first child's node, removed from the middle of three,
 * leaves mm2's at the root; removed before mm2's came, mm0's): they must
 * hash the same. Two forks and the first child's vma moved away and back
 * (its chains inserted again), after or between the forks: the same
 * world but the order of the equal starts (mm1's chain last, or mm2's):
 * they must hash apart. One world, reset between histories, as the
 * search has (what lies outside its arena, as the page blocks' array, is
 * the same then). */
static int root_tree_mm(struct world *w, bool root_node, bool last)
{
	struct anon_vma *root = tw_vma(w, 0, 0)->anon_vma;
	const struct itree_node *n = root->rb_root.node;
	if (!root_node)
		for (n = itree_first(&root->rb_root); last && itree_next(n); n = itree_next(n))
			;
	return container_of(n, struct anon_vma_chain, rb)->vma->vm_mm->id;
}

/* fork mm0 twice; between (between) or after the forks, unmap (move:
 * move away and back) mm1's vma. */
static void tree_history(struct world *w, bool move, bool between, unsigned long long h[2])
{
	world_reset(w, w->proto);
	tw_mmap(w, 0, 0, P);
	tw_fault(w, 0, 0, true);
	CHECK_EQ(tw_fork(w, 0), 1);
	for (int k = 0; k < 2; k++) {
		if (k == (int)between)
			CHECK_EQ(tw_fork(w, 0), 2);
		else if (!move)
			tw_munmap(w, 1, 0, P);
		else {
			tw_mremap(w, 1, 0, P, 2 * P);
			tw_mremap(w, 1, 2 * P, P, 0);
		}
	}
	tw_check(w);
	int root = root_tree_mm(w, true, false);
	explore_world_hash(w, h);
	CHECK_EQ(root_tree_mm(w, true, false), root);	/* every link put back */
	tw_check(w);
}

static void interval_tree_shape_is_not_hashed(void)
{
	struct world *w = world_new(protocol_default());
	arena_log_on(&w->mem);	/* before world_reset: every object logged, mm0 too */
	unsigned long long a[2], a2[2], b[2], c[2], d[2];
	tree_history(w, false, false, a);
	CHECK_EQ(root_tree_mm(w, true, false), 2);
	tree_history(w, false, false, a2);
	CHECK(a[0] == a2[0] && a[1] == a2[1]);	/* the same history, the same hash */
	tree_history(w, false, true, b);
	CHECK_EQ(root_tree_mm(w, true, false), 0);
	CHECK_EQ(root_tree_mm(w, false, false), 0);
	CHECK_EQ(root_tree_mm(w, false, true), 2);
	CHECK(a[0] == b[0] && a[1] == b[1]);
	tree_history(w, true, false, c);
	CHECK_EQ(root_tree_mm(w, false, true), 1);
	tree_history(w, true, true, d);
	CHECK_EQ(root_tree_mm(w, false, true), 2);
	CHECK(c[0] != d[0] || c[1] != d[1]);
	world_free(w);
}

/* The step counters are hashed as what steps ask of them (names_clocks):
 * whether another task has stepped since a retrying split's mark. An
 * munmap of a range nothing maps is steps and no change. mm0's THP and
 * its fork, the child's chain out of the tree, so that retry-walk's
 * split counts 1 of 2 mappings and must walk again, which it may only
 * once another task has stepped (protocols.retry_without_progress_is_a_
 * soft_lockup). One world, as tree_history has. */
static void run_alone(struct world *w, int id)
{
	for (int n = 0; task_find(w, id); n++) {
		CHECK(n < 100);
		CHECK_EQ(sched_step(w, id), STEP_DONE);
	}
}

static bool same_hash(const unsigned long long a[2], const unsigned long long b[2])
{
	return a[0] == b[0] && a[1] == b[1];
}

static void step_clocks_hashed_as_answers(void)
{
	struct world *w = world_new(protocol_find("retry-walk"));
	arena_log_on(&w->mem);	/* before world_reset: every object logged, mm0 too */
	world_reset(w, w->proto);
	struct page *thp = tw_fork_layout(w);
	unsigned long long a[2], b[2], c[2];
	explore_world_hash(w, a);
	run_alone(w, start_munmap(w, 1, 4 * P, P));
	explore_world_hash(w, b);
	CHECK(same_hash(a, b));		/* the same world, more steps */

	struct anon_vma_chain *avc;
	list_for_each_entry(avc, &tw_vma(w, 1, 0)->anon_vma_chain, same_vma)
		if (avc->anon_vma == thp->mapping)
			break;
	anon_vma_index_remove(w, avc);
	int t = start_split_huge_page(w, thp);
	CHECK_EQ(sched_step(w, t), STEP_DONE);	/* get */
	CHECK_EQ(sched_step(w, t), STEP_DONE);	/* lock: the pass begins, its mark */
	explore_world_hash(w, a);
	run_alone(w, start_munmap(w, 1, 4 * P, P));
	explore_world_hash(w, b);
	CHECK(!same_hash(a, b));	/* another task stepped: its retry walks again */
	run_alone(w, start_munmap(w, 1, 4 * P, P));
	explore_world_hash(w, c);
	CHECK(same_hash(b, c));		/* and still has after more */
	CHECK_EQ(sched_step(w, t), STEP_DONE);	/* visit the parent */
	CHECK_EQ(sched_step(w, t), STEP_DONE);	/* count 1 < 2: walk again, a new mark */
	CHECK_EQ(sched_step(w, t), STEP_DONE);	/* visit the parent */
	CHECK_EQ(sched_step(w, t), STEP_BLOCKED);	/* spins: nothing ran since */
	explore_world_hash(w, a);
	run_alone(w, start_munmap(w, 1, 4 * P, P));
	CHECK(task_runnable(w, task_find(w, t)));
	explore_world_hash(w, b);
	CHECK(!same_hash(a, b));
	anon_vma_index_insert(w, avc);	/* whole again, for the teardown */
	world_free(w);
}

/* A frame's locals the hash leaves out where no step reads them
 * (names_dead_locals): a migration's pte table id, which its unlocked
 * look records for the locked step after it (move-normal-pmd's tables
 * carry their locks with them), hashed while the look stands and not
 * once the visit is done. */
static void dead_locals_not_hashed(void)
{
	struct world *w = world_new(protocol_find("move-normal-pmd"));
	arena_log_on(&w->mem);
	world_reset(w, w->proto);
	tw_mmap(w, 0, 0, 2 * P);
	tw_fault(w, 0, P, false);
	int m = start_migrate(w, tw_page(w, 0, P));
	struct task *t = task_find(w, m);
	CHECK_EQ(t->depth, 1);
	struct migrate_frame *mf = &t->frames[0].u.migrate;
	for (int n = 0; !mf->looked; n++) {
		CHECK(n < 20);
		CHECK_EQ(sched_step(w, m), STEP_DONE);
	}
	CHECK_EQ(mf->table, 1);		/* slot 1's table */
	unsigned long long a[2], b[2];
	explore_world_hash(w, a);
	mf->table = 0;			/* as if the look had met slot 0's */
	explore_world_hash(w, b);
	CHECK(!same_hash(a, b));	/* its locked step takes another lock */
	mf->table = 1;
	CHECK_EQ(sched_step(w, m), STEP_DONE);	/* the visit, under the lock */
	CHECK_EQ(t->depth, 1);
	CHECK(!mf->looked);
	explore_world_hash(w, a);
	mf->table = 2;
	explore_world_hash(w, b);
	CHECK(same_hash(a, b));		/* read by no step now */
	CHECK_EQ(mf->table, 2);		/* and put back as it was */
	world_free(w);
}

/* A task that has not tried its next lock and one that tried and waits on
 * it hash the same only where task_next_lock knows that lock (the attempt
 * takes it before reading anything another task changes). mm0's THP,
 * its split under way (the anon_vma lock held, the pmd frozen); an munmap
 * of it finds the pmd splitting and must wait for the split
 * (wait_split_huge_page), an attempt that first reads the pmd, which the
 * split thaws before it lets go: waiting on the lock and about to look
 * again are two futures, and must hash apart. A second munmap of mm0,
 * whose first step takes the mmap_sem the first holds, is the same
 * future fresh or blocked, and must hash the same. */
static void untried_merges_only_known_locks(void)
{
	struct world *w = world_new(protocol_find("linux-3.15"));
	arena_log_on(&w->mem);
	world_reset(w, w->proto);
	tw_mmap(w, 0, 0, P);
	tw_fault(w, 0, 0, true);
	int s = start_split_huge_page(w, tw_page(w, 0, 0));
	for (int n = 0; !pmd_trans_splitting(tw_pmd(w, 0, 0)); n++) {
		CHECK(n < 10);
		CHECK_EQ(sched_step(w, s), STEP_DONE);
	}
	int m = start_munmap(w, 0, 0, P);
	struct task *t = task_find(w, m);
	for (int n = 0; !(task_top(t)->op == OP_UNMAP_VMAS && task_top(t)->pc == 4); n++) {
		CHECK(n < 20);
		CHECK_EQ(sched_step(w, m), STEP_DONE);
	}
	bool write;
	CHECK(task_next_lock(w, t, &write) == NULL);	/* it reads the pmd first */
	unsigned long long a[2], b[2];
	explore_world_hash(w, a);
	CHECK_EQ(sched_step(w, m), STEP_BLOCKED);	/* the split holds the lock */
	CHECK(t->blocked_on != NULL);
	explore_world_hash(w, b);
	CHECK(!same_hash(a, b));

	int m2 = start_munmap(w, 0, 0, P);
	struct task *t2 = task_find(w, m2);
	CHECK(task_next_lock(w, t2, &write) == &w->mm[0]->mmap_sem);
	explore_world_hash(w, a);
	CHECK_EQ(sched_step(w, m2), STEP_BLOCKED);	/* the first munmap holds it */
	explore_world_hash(w, b);
	CHECK(same_hash(a, b));
	world_free(w);
}

TEST_MAIN(T(dedup_matches_enumeration_linux_3_14), T(move_flush_locked_is_inert_without_accesses), T(dedup_reaches_enumerations_states),
	  T(dedup_reaches_enumerations_states_every_row),
	  T(dedup_matches_enumeration_retry),
	  T(dedup_matches_enumeration_linux_3_12),
	  T(dedup_matches_enumeration_linux_3_15), T(dedup_matches_enumeration_fork),
	  T(dedup_matches_enumeration_three_concurrent), T(dedup_matches_enumeration_first_lock),
	  T(dedup_matches_enumeration_every_row_three_tasks),
	  T(dedup_matches_enumeration_every_row_setup), T(small_bound_finds_3_14_keeps_3_15_clean),
	  T(shards_add_up), T(stop_at_violation_is_the_first_levels_bound),
	  T(interrupt_keeps_the_levels_done), T(merge_takes_parts_to_the_levels_all_searched),
	  T(merge_keeps_a_set_up_counterexample), T(merge_says_not_minimized_per_counterexample),
	  T(dedup_matches_enumeration_late_walks), T(ops_parse_and_print),
	  T(exec_in_the_menu_finds_no_stack_skip), T(counterexamples_no_longer_than_the_crashers),
	  T(late_access_finds_move_normal_pmd), T(object_layouts_tell_apart_what_whole_objects_do),
	  T(translation_is_a_symmetry), T(interval_tree_shape_is_not_hashed),
	  T(step_clocks_hashed_as_answers),
	  T(dead_locals_not_hashed),
	  T(untried_merges_only_known_locks))
