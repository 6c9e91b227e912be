/* The libFuzzer target: bytes -> program -> run on a fresh world under
 * RMAP_PROTOCOL (default linux-3.15) -> the oracle's verdict. The structural
 * checks run at the end of each input, after every step with
 * RMAP_CHECK_EVERY_STEP=1. A violation
 * prints its report and traps from a function named after the invariant,
 * so crash deduplication (top frames) tells invariants apart. */
#define _POSIX_C_SOURCE 200809L	/* clock_gettime */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mutator.h"
#include "program.h"
#include "protocol.h"
#include "run.h"
#include "world.h"

static const struct protocol *proto;
static unsigned run_flags;
static struct world *world;	/* one world's memory, reset per input */

/* libFuzzer reads this section as extra coverage counters (Linux): the
 * oracle's interleaving features and the steps' land here (run.h). */
#define NR_EXTRA_COUNTERS RUN_NR_FEATURES
__attribute__((used, section("__libfuzzer_extra_counters")))
static uint8_t extra_counters[NR_EXTRA_COUNTERS];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* libFuzzer flags this target wants unless the command line says otherwise
 * (libFuzzer parses its flags after LLVMFuzzerInitialize returns):
 *   -max_len       records past PROGRAM_MAX_RECORDS are ignored: do not grow
 *                  inputs past them;
 *   -use_counters=0  edges, not hit counts: the model's loops run as long as
 *                  the world is big, and counting them floods the corpus
 *                  with layouts instead of interleavings (measured: the
 *                  linux-3.14 race is found within minutes with it, not
 *                  within 10 without). */
static void default_flags(int *argc, char ***argv)
{
	static char max_len[32];
	static const char *const wanted[][2] = {
		{ "-max_len=", max_len },
		{ "-use_counters=", "-use_counters=0" },
	};
	static char *args[256];
	int n = 0;

	if (!argc || !argv || *argc < 1 || *argc > 250)
		return;
	snprintf(max_len, sizeof(max_len), "-max_len=%d", PROGRAM_MAX_RECORDS * RECORD_SIZE);
	args[n++] = (*argv)[0];
	for (size_t w = 0; w < sizeof(wanted) / sizeof(wanted[0]); w++) {
		bool given = false;
		for (int i = 1; i < *argc; i++)
			given |= !strncmp((*argv)[i], wanted[w][0], strlen(wanted[w][0]));
		if (!given)
			args[n++] = (char *)wanted[w][1];
	}
	for (int i = 1; i < *argc; i++)
		args[n++] = (*argv)[i];
	args[n] = NULL;
	*argc = n;
	*argv = args;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *name = getenv("RMAP_PROTOCOL");
	default_flags(argc, argv);
	const char *every = getenv("RMAP_CHECK_EVERY_STEP");
	if (every && *every && *every != '0')
		run_flags |= RUN_EVERY_STEP;
	proto = name && *name ? protocol_find(name) : protocol_default();
	if (!proto) {
		fprintf(stderr, "rmap_fuzzer: unknown protocol '%s' (RMAP_PROTOCOL); known:", name);
		for (int i = 0; i < nr_protocols; i++)
			fprintf(stderr, " %s", protocols[i].name);
		fprintf(stderr, "\n");
		exit(2);
	}
	/* Built once, before the search: its arenas' first pages are start-up
	 * cost, as blind testing's world is built before its clock starts. */
	world = world_new(proto);
	return 0;
}

#define TRAP(fn)                                                                          \
	__attribute__((noinline)) void fn(void);                                          \
	__attribute__((noinline)) void fn(void)                                           \
	{                                                                                 \
		fprintf(stderr, "trap: %s\n", #fn);                                       \
		abort();                                                                  \
	}
TRAP(violation_split_missed_pmd)
TRAP(violation_stale_migration_entry)
TRAP(violation_missed_vma)
TRAP(violation_mapcount)
TRAP(violation_structure)
TRAP(violation_kernel_bug)
TRAP(violation_model_bug)

static void trap(const char *invariant)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} traps[] = {
		{ "split-missed-pmd", violation_split_missed_pmd },
		{ "stale-migration-entry", violation_stale_migration_entry },
		{ "missed-vma", violation_missed_vma },
		{ "mapcount", violation_mapcount },
		{ "kernel-bug", violation_kernel_bug },
		{ "model-bug", violation_model_bug },
	};
	for (size_t i = 0; i < sizeof(traps) / sizeof(traps[0]); i++)
		if (strcmp(traps[i].name, invariant) == 0)
			traps[i].fn();
	violation_structure();
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* When the search began: at the first input the mutator made. Before
	 * it libFuzzer runs its seeds (from an empty corpus, two inputs it
	 * makes up) and sets up its loop, as blind testing sets up before its
	 * first input; tools/bench.sh reports wall time with all of it too. */
	static double first;
	static unsigned long inputs;
	struct run_result res;
	struct strbuf report = { 0 };

	inputs++;
	if (!first && rmap_mutator_calls())
		first = now();

	if (!proto)	/* engines that skip LLVMFuzzerInitialize (it builds the world too) */
		LLVMFuzzerInitialize(NULL, NULL);
	if (rmap_run_in(world, data, size, proto, run_flags, extra_counters, &res, NULL)) {
		/* How long the search took, start-up aside (tools/bench.sh):
		 * up to the verdict, not the report's runs. */
		double search = first ? now() - first : 0;
		if (!rmap_run(data, size, proto, run_flags, &res, &report)) {
			fprintf(stderr, "rmap_fuzzer: model bug: the input passed when run again\n");
			res.invariant = "model-bug";
		}
		fputs(sb_str(&report), stderr);
		fprintf(stderr, "rmap_fuzzer: violation after %.4f s of search, input %lu\n", search,
			inputs);
		fflush(stderr);
		sb_free(&report);
		trap(res.invariant);
	}
	return 0;
}
