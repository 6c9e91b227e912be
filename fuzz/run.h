/* Decode an input, run it on a fresh world under a protocol, judge it. The
 * fuzz target, the rmapfuzz tool and the tests all run inputs through here. */
#ifndef RMAP_RUN_H
#define RMAP_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

struct protocol;

struct run_result {
	const char *invariant;	/* the violation's name, NULL when the input passed */
	unsigned long steps;	/* steps run */
	char first_line[128];	/* "rmap violation: <invariant> (<protocol>)" */
};

/* Run data; true when it violated an invariant. When report is not NULL and
 * the input violated, the full report is appended to it (the input is run a
 * second time, with every step logged: runs are deterministic). */
bool rmap_run(const uint8_t *data, size_t size, const struct protocol *proto,
	      struct run_result *res, struct strbuf *report);

/* The same run, with the interleaving as executed appended to trace
 * whatever the verdict (for determinism checks and curious users). */
bool rmap_run_traced(const uint8_t *data, size_t size, const struct protocol *proto,
		     struct run_result *res, struct strbuf *trace);

#endif
