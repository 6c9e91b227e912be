/* The libFuzzer target: bytes -> program -> run on a fresh world under
 * RMAP_PROTOCOL or -protocol=P (default all-fixes) -> the oracle's verdict,
 * of the invariant families RMAP_INVARIANTS or -invariants=F[,F] names
 * (default all). The structural
 * checks run at the end of each input, after every step with
 * RMAP_CHECK_EVERY_STEP=1. A violation
 * prints its report and traps from a function named after the invariant,
 * so crash deduplication (top frames) tells invariants apart. */
#define _POSIX_C_SOURCE 200809L	/* clock_gettime, setenv */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "mutator.h"
#include "oracle.h"
#include "program.h"
#include "protocol.h"
#include "protocol_spec.h"
#include "run.h"
#include "world.h"

static const struct protocol *proto;
static struct protocol_adhoc proto_adhoc;	/* proto, when a spec names it */
static unsigned run_flags;
static struct world *world;	/* one world's memory, reset per input */

/* The oracle's features and the steps' (run.h), which libFuzzer reads as
 * coverage counters. Registered at start-up as inline 8-bit counters
 * (SanitizerCoverage's interface, which libFuzzer, AFL++ and honggfuzz
 * read), not put in the __libfuzzer_extra_counters section: libFuzzer
 * clears and scans every counter it knows of after every run, and the
 * ORACLE_CHAIN_BUCKETS chain hashes, most of them, are counted only on the
 * rows that reuse anon_vmas (oracle.c). The other rows leave that range
 * out: they paid for 16k idle counters on every run (measured in
 * /work/research/issue16-search.md). Each range gets a table of made-up
 * PCs, one an entry as libFuzzer wants (a counter without one stops it);
 * they point into the table itself, so they name nothing and mix with no
 * real PC. */
static uint8_t counters[RUN_NR_FEATURES];
static uintptr_t counter_pcs[2 * RUN_NR_FEATURES];

void __sanitizer_cov_8bit_counters_init(uint8_t *start, uint8_t *stop) __attribute__((weak));
void __sanitizer_cov_pcs_init(const uintptr_t *beg, const uintptr_t *end) __attribute__((weak));

static void register_counters(unsigned from, unsigned to)
{
	if (!__sanitizer_cov_8bit_counters_init || !__sanitizer_cov_pcs_init || from == to)
		return;
	for (unsigned i = from; i < to; i++) {
		counter_pcs[2 * i] = (uintptr_t)&counter_pcs[2 * i];
		counter_pcs[2 * i + 1] = i == from;	/* PCFlags: 1 begins a "function" */
	}
	__sanitizer_cov_8bit_counters_init(counters + from, counters + to);
	__sanitizer_cov_pcs_init(counter_pcs + 2 * from, counter_pcs + 2 * to);
}

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
	/* After the caller's: libFuzzer reads a flag wherever it stands, and
	 * AFL++'s driver runs the files given only when they come first. */
	for (int i = 0; i < *argc; i++)
		args[n++] = (*argv)[i];
	for (size_t w = 0; w < sizeof(wanted) / sizeof(wanted[0]); w++) {
		bool given = false;
		for (int i = 1; i < *argc; i++)
			given |= !strncmp((*argv)[i], wanted[w][0], strlen(wanted[w][0]));
		if (!given)
			args[n++] = (char *)wanted[w][1];
	}
	args[n] = NULL;
	*argc = n;
	*argv = args;
}

/* -protocol=P (or --protocol=P, -protocol P), and -invariants=F[,F]: what
 * rmapfuzz's --protocol and --invariants are, taken out of argv before
 * libFuzzer would warn and ignore them, and put in the environment, where
 * fork mode's children find them. NULL when absent; exits on a flag
 * without a value. */
static const char *own_flag(int *argc, char **argv, const char *name, const char *what)
{
	const char *value = NULL;
	size_t len = strlen(name);
	int kept = 1;
	for (int i = 1; i < *argc; i++) {
		const char *a = argv[i], *flag = a[0] == '-' ? a + 1 + (a[1] == '-') : NULL;
		if (flag && !strncmp(flag, name, len) && flag[len] == '=') {
			value = flag + len + 1;
		} else if (flag && !strcmp(flag, name)) {
			if (i + 1 == *argc) {
				fprintf(stderr, "rmap_fuzzer: %s wants %s\n", a, what);
				exit(2);
			}
			value = argv[++i];
		} else {
			argv[kept++] = argv[i];
		}
	}
	argv[kept] = NULL;
	*argc = kept;
	return value;
}

/* Scenario text given as an input would run as bytes and mean nothing:
 * refuse it, and say so for directories of it (libFuzzer reads every
 * file of a corpus directory as bytes). */
static void refuse_text_inputs(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		size_t n = strlen(a);
		struct stat st;
		if (a[0] == '-' || stat(a, &st) != 0)
			continue;
		if (S_ISREG(st.st_mode) && n >= 4 && !strcmp(a + n - 4, ".txt")) {
			fprintf(stderr, "rmap_fuzzer: %s is scenario text, not input bytes: replay it with "
				"`rmapfuzz replay %s`, or encode it first with `rmapfuzz encode %s -o "
				"FILE.bin`\n", a, a, a);
			exit(2);
		}
		DIR *d = S_ISDIR(st.st_mode) ? opendir(a) : NULL;
		for (struct dirent *e; d && (e = readdir(d));) {
			size_t m = strlen(e->d_name);
			if (m >= 4 && !strcmp(e->d_name + m - 4, ".txt")) {
				fprintf(stderr, "rmap_fuzzer: warning: %s holds scenario text (%s), which "
					"libFuzzer reads as bytes; ./build.sh encodes corpus/rmap_fuzzer/ "
					"into build/seeds/rmap_fuzzer/\n", a, e->d_name);
				break;
			}
		}
		if (d)
			closedir(d);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *name = getenv("RMAP_PROTOCOL"), *inv = getenv("RMAP_INVARIANTS");
	if (argc && argv && *argc >= 1) {
		const char *flag = own_flag(argc, *argv, "protocol", "a protocol name");
		if (flag && name && *name && strcmp(flag, name))
			fprintf(stderr, "rmap_fuzzer: -protocol=%s overrides RMAP_PROTOCOL=%s\n", flag, name);
		if (flag) {
			name = flag;
			setenv("RMAP_PROTOCOL", flag, 1);
		}
		flag = own_flag(argc, *argv, "invariants", "invariant families (walk, tlb, lifetime, all)");
		if (flag) {
			inv = flag;
			setenv("RMAP_INVARIANTS", flag, 1);
		}
		refuse_text_inputs(*argc, *argv);
	}
	if (inv && *inv) {
		unsigned families;
		char why[128];
		if (!invariant_families_parse(inv, &families, why, sizeof(why))) {
			fprintf(stderr, "rmap_fuzzer: %s (-invariants= or RMAP_INVARIANTS)\n", why);
			exit(2);
		}
		run_flags |= run_families(families);
	}
	default_flags(argc, argv);
	const char *every = getenv("RMAP_CHECK_EVERY_STEP");
	if (every && *every && *every != '0')
		run_flags |= RUN_EVERY_STEP;
	char why[2048];
	proto = name && *name ? protocol_lookup(name, &proto_adhoc, why, sizeof(why)) : protocol_fuzz_default();
	if (!proto) {
		fprintf(stderr, "rmap_fuzzer: %s (RMAP_PROTOCOL or -protocol=)\n", why);
		exit(2);
	}
	/* Built once, before the search: its arenas' first pages are start-up
	 * cost, as blind testing's world is built before its clock starts. */
	world = world_new(proto);
	/* Once, before libFuzzer reads its modules (after this returns). */
	static bool registered;
	if (!registered) {
		registered = true;
		register_counters(0, ORACLE_FEATURE_CHAINS);
		if (proto->anon_vma_reuse != REUSE_NONE)
			register_counters(ORACLE_FEATURE_CHAINS, ORACLE_FEATURE_CHAINS + ORACLE_CHAIN_BUCKETS);
		register_counters(ORACLE_FEATURE_CHAINS + ORACLE_CHAIN_BUCKETS, RUN_NR_FEATURES);
	}
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
TRAP(violation_stale_tlb)
TRAP(violation_anon_vma_lifetime)
TRAP(violation_anon_vma_counters)
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
		{ "stale-tlb", violation_stale_tlb },
		{ "anon-vma-lifetime", violation_anon_vma_lifetime },
		{ "anon-vma-counters", violation_anon_vma_counters },
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
	static unsigned char seen[RUN_NR_FEATURES];
	rmap_run_novelty(seen);
	bool violated = rmap_run_in(world, data, size, proto, run_flags, counters, &res, NULL);
	rmap_mutator_reward(res.novel);
	if (violated) {
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
