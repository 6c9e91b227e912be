/* The bounded exhaustive explorer (explore.md): for a protocol, every
 * program in a stated bound and every interleaving of its concurrent
 * operations, judged by the fuzzer's own oracle; a shortest counterexample
 * per broken invariant, or "clean within the bound" with the counts that
 * make the claim checkable.
 *
 * A program is a base layout (an anonymous mmap of 1..3 pmds in mm0 with
 * one page faulted at its start, a THP or a small page), set-up operations
 * run alone to their ends, then 2..max_conc operations started together, of
 * which one is a walk of the page (split_huge_page or migration). The
 * operations come from a menu derived from the layout they start on
 * (explore.c's build_menu): by default fork, munmap and mremap, the 2014
 * rows' operations; --ops brings in the model's others (explore_ops).
 *
 * Interleavings are a depth-first search over the runnable tasks at each
 * step. States are deduplicated by a 128-bit hash of the whole world: the
 * world struct, every byte of its arena (where every object of a run
 * lives: equal bytes are equal futures, runs being deterministic) and the
 * oracle's state, in one visited set for every program of the bound: the
 * bound is searched as one transition system (set-up operations, starts,
 * steps), level by level of operations. A node is the state a sched_step
 * leaves; a state any program explored before is cut (under a preemption
 * bound, unless reached with more preemptions left). A second search over
 * the levels where an invariant was first broken makes the shortest
 * counterexamples exact (docs/explore.md). The hash leaves names out (ids,
 * insertion numbers, whether a task has tried yet the lock it will wait
 * on: docs/explore.md, "Names"; --no-reduction keeps them).
 */
#ifndef RMAP_EXPLORE_H
#define RMAP_EXPLORE_H

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "program.h"

struct protocol;
struct strbuf;

/* The operations of the menu (--ops), each a bit. */
enum explore_op {
	EXPLORE_OP_FORK = 1u << 0,
	EXPLORE_OP_MUNMAP = 1u << 1,
	EXPLORE_OP_MREMAP = 1u << 2,	/* MREMAP_FIXED to every free place */
	EXPLORE_OP_RESIZE = 1u << 3,	/* mremap to a new length, in place or moving */
	EXPLORE_OP_MADVISE = 1u << 4,	/* MADV_DONTNEED */
	EXPLORE_OP_MPROTECT = 1u << 5,
	EXPLORE_OP_EXIT = 1u << 6,	/* exit_mmap */
	EXPLORE_OP_EXEC = 1u << 7,	/* a new mm, shift_arg_pages */
	EXPLORE_OP_FAULT = 1u << 8,	/* write faults (COW) on mapped addresses */
	EXPLORE_OP_ACCESS = 1u << 9,	/* a task touching a mapped address (TLB) */
	/* Walks of every mapped page, not only the base page's thp0/page0:
	 * started with the others, or after any step of theirs (a page a
	 * concurrent operation maps: exec's argument pages, a COW's copy). */
	EXPLORE_OP_WALKS = 1u << 10,
};
#define EXPLORE_OPS_2014 (EXPLORE_OP_FORK | EXPLORE_OP_MUNMAP | EXPLORE_OP_MREMAP)
#define EXPLORE_OPS_ALL ((EXPLORE_OP_WALKS << 1) - 1)

/* "all", or names joined by commas (explore_ops_text's): into *ops; false
 * with why. */
bool explore_ops_parse(const char *s, unsigned *ops, char *why, size_t size);
/* The names of ops, joined by sep. */
void explore_ops_text(unsigned ops, const char *sep, struct strbuf *sb);

struct explore_bound {
	int max_ops;		/* set-up and concurrent operations, the walk among them */
	int max_conc;		/* concurrent operations, 2 at least */
	int max_pmds;		/* the address space: pmd slots [0, max_pmds) */
	int max_mms;		/* fork no further */
	int preemptions;	/* < 0: unbounded */
	unsigned families;	/* oracle.h's invariant families judged */
	bool no_dedup;		/* every interleaving: the soundness test's baseline */
	bool byte_hash;		/* states by their bytes, not by object (canonical) */
	bool no_reduction;	/* hash names as they are: task ids, object ids, avc
				 * insertion numbers (the reduction's baseline) */
	bool translate_all;	/* the tests': skip the programs moved up (translated)
				 * under --no-dedup too, to compare enumerations */
	bool no_translate;	/* the tests': search the programs moved up too (a
				 * state of theirs is reached only moved down) */
	bool check_layouts;	/* the tests': hash every state also with tasks and
				 * mms read whole, not by explore_canon.c's
				 * layouts (layout_conflicts) */
	bool check_next_lock;	/* the tests': check task_next_lock's claims at
				 * every step the search takes (next_lock_errors) */
	/* The tests': called with every node of the stepping phase the
	 * first search (or enumeration, each time) reaches, hashed as the
	 * search hashes it but for the task that ran last, the program's
	 * number (in enumeration order), the path of task ids to it and its
	 * preemptions. */
	void (*on_state)(void *ctx, const unsigned long long h[2], unsigned long program,
			 const int *path, int depth, int preemptions);
	void *on_state_ctx;
	bool measure;		/* count, beside the search, how many of its states
				 * differ only in names (explore.md's measurements) */
	int shard, shards;	/* this run takes the programs numbered shard mod shards */
	unsigned ops;		/* the menu (enum explore_op); 0: EXPLORE_OPS_2014 */
	/* Stop after the first level (programs of as many operations) that
	 * broke an invariant: its counterexamples are as exact as the whole
	 * bound's (no longer program can be shorter); an invariant that only
	 * longer programs break is not sought. */
	bool stop_at_violation;
	/* Nonzero (a signal handler's flag): stop now; the result is the
	 * levels searched to their end (explore_result.ops_done). */
	const volatile sig_atomic_t *interrupt;
	/* Searches that share one bound (--jobs' workers, in memory they
	 * share): the lowest level any of them stopped at a violation in
	 * (stop_at_violation), 0 while none did. Each lowers it when it stops
	 * so, and stops once it is no further than it (a level under way
	 * above it is given up: the joined result is taken back to it). */
	_Atomic int *shared_stop;
};

#define EXPLORE_MAX_OPS 8	/* --max-ops at most */

/* The defaults of the issue: 5 operations, 3 concurrent, 6 pmds, 3 mms,
 * unbounded preemptions, the walk family, the 2014 rows' menu. */
void explore_default_bound(struct explore_bound *b);

#define EXPLORE_MAX_INVARIANTS 16

/* The shortest counterexample found for an invariant: fewest operations,
 * then steps (sched_step attempts), then preemptions. */
struct explore_cex {
	int ops, steps, preemptions;
	/* The level (programs of as many operations) it was found in: its
	 * operations', or, for an operation that broke an invariant alone as a
	 * set-up, two more (set-ups run only where two concurrent operations
	 * still fit after them). */
	int level;
	uint8_t data[PROGRAM_MAX_RECORDS * RECORD_SIZE];	/* the program, replayable */
	size_t size;
	/* Its steps and preemptions may not be the fewest: the search of its
	 * level, or of a part merged into it, was interrupted before the
	 * second search. One per counterexample, so that a merge says it of
	 * the ones it is true of, whatever the order of the parts. */
	bool not_minimized;
};

/* Why a search ended before its bound's last level (explore_result.end). */
enum explore_end {
	EXPLORE_COMPLETE,	/* every level searched */
	EXPLORE_AT_VIOLATION,	/* stop_at_violation, after the first level that broke one */
	EXPLORE_INTERRUPTED,	/* interrupt, in the level after ops_done */
};

/* The counts of a result as they stood at the end of a level: a search
 * stopped in a later one, or a part of one (a shard) that searched fewer
 * levels than another, is judged on the levels every part finished. */
struct explore_level_counts {
	unsigned long candidates, programs, translated, same_setup, states, interleavings, cut,
		revisits, truncated, setup_violations, unencodable;
	unsigned long inv_programs[EXPLORE_MAX_INVARIANTS];	/* explore_result.inv[i].programs */
};

struct explore_result {
	char protocol[512];	/* its name: a row's, or an ad-hoc spec's (PROTOCOL_SPEC_MAX) */
	/* The levels searched to their end: every program of ops_done
	 * operations or fewer (the bound's max_ops when end is COMPLETE). The
	 * counts and invariants below are those levels' alone. */
	int ops_done;
	enum explore_end end;
	bool not_minimized;	/* some counterexample's cex.not_minimized */
	int parts;		/* searches joined into it (explore_result_merge) */
	struct explore_level_counts upto[EXPLORE_MAX_OPS + 1];	/* [L]: after level L */
	unsigned long candidates;	/* programs in the bound (every shard's) */
	unsigned long programs;		/* programs whose tasks all started and whose
					 * search began (its states may have been
					 * explored by earlier programs: cut at once) */
	unsigned long translated;	/* not searched: every address of theirs a pmd
					 * or more up, the same program moved down
					 * is searched (docs/explore.md, Symmetry) */
	unsigned long same_setup;	/* not searched: their set-up left a world an
					 * earlier program's did (the same futures) */
	unsigned long states;		/* distinct states of the whole bound (with
					 * dedup; else nodes) */
	unsigned long interleavings;	/* complete interleavings judged */
	unsigned long cut;		/* nodes cut as already explored */
	unsigned long revisits;		/* explored again with more preemptions left */
	unsigned long truncated;	/* interleavings stopped at the depth cap */
	unsigned long setup_violations;	/* set-up operations alone broke an invariant */
	unsigned long unencodable;	/* violations whose schedule no input can hold */
	unsigned long next_lock_errors;	/* check_next_lock: claims a step broke */
	/* check_layouts: states hashed, and pairs of them the layouts merge
	 * but whole objects tell apart, or the other way (none: the same
	 * partition of the states) */
	unsigned long layout_states, layout_conflicts;
	double seconds;
	int nr_inv;
	struct {
		char name[40];
		unsigned long programs;	/* programs whose search met it (not one whose
					 * violation lies below a state an earlier
					 * program explored) */
		struct explore_cex cex;	/* size 0: none replayed */
	} inv[EXPLORE_MAX_INVARIANTS];
};

/* Explore proto within b into res (zeroed first). progress: report on
 * stderr every few seconds. */
void explore_protocol(const struct protocol *proto, const struct explore_bound *b,
		      struct explore_result *res, bool progress);

/* The violations found, as (invariant, program) pairs: for the soundness
 * test, which compares a deduplicated search with plain enumeration. The
 * callback gets each program (its records) whose search met a violation,
 * once per invariant (with deduplication, a program whose violation lies
 * below a state an earlier program explored is not among them: the pairs
 * are a subset of enumeration's, the invariants the same). */
typedef void (*explore_found_fn)(void *ctx, const char *invariant, const uint8_t *data,
				 size_t size);
void explore_protocol_found(const struct protocol *proto, const struct explore_bound *b,
			    struct explore_result *res, explore_found_fn found, void *ctx);

/* Join b into a (the same protocol; a zeroed a takes b as it is): counts
 * summed, the shorter counterexample kept. Where one searched fewer
 * levels than the other, both are first taken back to those levels
 * (explore_result_rewind): what every part searched is the claim. */
void explore_result_merge(struct explore_result *a, const struct explore_result *b);

/* r as it stood at the end of level ops (< r->ops_done): its counts, and
 * only the invariants broken by then, with their counterexamples of ops
 * operations or fewer (a set-up's found later too: docs/explore.md). */
void explore_result_rewind(struct explore_result *r, int ops);

/* The programs in the bound b (its shard aside): their set-ups run, none
 * searched (about half a second at the default bound, 7 at one operation
 * more). Progress lines say where a search is in their numbering. */
unsigned long explore_count_programs(const struct protocol *proto, const struct explore_bound *b);

/* The tests': the hash the search gives a quiescent world (no tasks),
 * names left out; w's arena must have logged from its first object
 * (arena_log_on, then world_reset). */
void explore_world_hash(struct world *w, unsigned long long h[2]);

/* The `rmapfuzz explore` command (explore_cli.c): argv[0] is "explore". */
int explore_main(int argc, char **argv, const char *version);
void explore_help(void);

#endif
