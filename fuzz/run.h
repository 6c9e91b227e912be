/* Decode an input, run it on a fresh world under a protocol, judge it. The
 * fuzz target, the rmapfuzz tool and the tests all run inputs through here. */
#ifndef RMAP_RUN_H
#define RMAP_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

struct protocol;

/* How hard the oracle looks. The walk-coverage checks always run at each
 * walk's end; the structural checks (check.h) run at the end of the input,
 * and after every step too with RUN_EVERY_STEP (replay and tests: slower,
 * and it pins a broken invariant to the step that broke it). */
enum run_flags { RUN_EVERY_STEP = 1, RUN_REFERENCE_LAYOUT = 2, RUN_FEW_MASK_BITS = 4 };
/* For the test that wants the same features every way
 * (tests/test_oracle_features.c); the same verdicts, slower:
 * RUN_REFERENCE_LAYOUT: the anon_vma hierarchy's layout features by
 * their brute-force reference (oracle.h's
 * oracle_hierarchy_features_reference);
 * RUN_FEW_MASK_BITS: by oracle_layout_features with room for 4 anon_vmas
 * in its masks, not 64, so that a run goes over to the reference as one
 * with more than 64 does. */
/* The invariant families a run checks (oracle.h), in its flags as the ones
 * it leaves out (bits 4-6): no bit, every family. */
#define RUN_FAMILIES_SHIFT 4
static inline unsigned run_families(unsigned families)
{
	return (7u & ~families) << RUN_FAMILIES_SHIFT;
}
static inline unsigned run_families_of(unsigned flags)
{
	return 7u & ~(flags >> RUN_FAMILIES_SHIFT);
}

/* Features: what a run did, as counters by id (the fuzz target hands
 * libFuzzer its counters as extra coverage). RUN_NR_FEATURES ids: the
 * oracle's (oracle.h), then from RUN_STEP_FEATURES the steps' own (which
 * operation waited on which lock class: 8 ids an operation, run.c).
 * libFuzzer clears and scans every counter after every run: keep them few. */
#define RUN_STEP_FEATURES 17525u	/* ORACLE_NR_FEATURES */
#define RUN_NR_STEP_FEATURES 160u	/* room for 20 operations (NR_TASK_OPS) * 8 */
#define RUN_NR_FEATURES (RUN_STEP_FEATURES + RUN_NR_STEP_FEATURES)

struct run_result {
	const char *invariant;	/* the violation's name, NULL when the input passed */
	unsigned long steps;	/* steps run */
	char first_line[128];	/* "rmap violation: <invariant> (<protocol>)" */
	unsigned long novel;	/* feature ids no run counted before (rmap_run_novelty) */
};

/* Runs that count features note, in seen[RUN_NR_FEATURES] (NULL: stop),
 * every id they count, and report in res->novel how many no earlier run
 * had: what a coverage-guided search keeps, told to the mutator
 * (rmap_mutator_reward) without a scan of every counter. */
void rmap_run_novelty(unsigned char *seen);

/* Run data; true when it violated an invariant. When report is not NULL and
 * the input violated, the full report is appended to it (the input is run a
 * second time, with every step logged: runs are deterministic). */
bool rmap_run(const uint8_t *data, size_t size, const struct protocol *proto, unsigned flags,
	      struct run_result *res, struct strbuf *report);
/* rmap_run on w, reset in O(1) (world_reset) rather than built and torn
 * down, counting features in features[RUN_NR_FEATURES] as it goes when it
 * is not NULL: the hot loops (the fuzz target, blind testing) keep one
 * world. */
struct world;
bool rmap_run_in(struct world *w, const uint8_t *data, size_t size, const struct protocol *proto,
		 unsigned flags, unsigned char *features, struct run_result *res,
		 struct strbuf *report);

/* The program as scenario text (scenario.h), each record commented with
 * what it did when run under proto, and the verdict. */
void rmap_show(const uint8_t *data, size_t size, const struct protocol *proto, unsigned flags,
	       struct strbuf *out);

/* The same run, with the interleaving as executed appended to trace
 * whatever the verdict (for determinism checks and curious users). */
bool rmap_run_traced(const uint8_t *data, size_t size, const struct protocol *proto, unsigned flags,
		     struct run_result *res, struct strbuf *trace);

#endif
