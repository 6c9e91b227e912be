/* The libFuzzer target: bytes -> program -> run on a fresh world under
 * RMAP_PROTOCOL (default linux-3.15) -> the oracle's verdict. A violation
 * prints its report and traps from a function named after the invariant,
 * so crash deduplication (top frames) tells invariants apart. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"
#include "run.h"

static const struct protocol *proto;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *name = getenv("RMAP_PROTOCOL");
	(void)argc;
	(void)argv;
	proto = name && *name ? protocol_find(name) : protocol_default();
	if (!proto) {
		fprintf(stderr, "rmap_fuzzer: unknown protocol '%s' (RMAP_PROTOCOL); known:", name);
		for (int i = 0; i < nr_protocols; i++)
			fprintf(stderr, " %s", protocols[i].name);
		fprintf(stderr, "\n");
		exit(2);
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run_result res;
	struct strbuf report = { 0 };

	if (!proto)	/* engines that skip LLVMFuzzerInitialize */
		LLVMFuzzerInitialize(NULL, NULL);
	if (rmap_run(data, size, proto, &res, &report)) {
		fputs(sb_str(&report), stderr);
		fflush(stderr);
		sb_free(&report);
		trap(res.invariant);
	}
	return 0;
}
