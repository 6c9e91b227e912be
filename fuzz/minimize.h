/* Delta debugging over records: the smallest program that still violates
 * with the same signature (the report's first line, invariant and protocol).
 *
 * Passes, repeated until none helps: drain earlier (drop a tail of
 * records), drop single records, then pairs (a task's start and the step
 * that runs it), shorten
 * step schedules, lower operands toward zero. Every candidate is canonical
 * and runs as the fuzz target runs it (checks at walk ends and at the end).
 * A candidate is kept when it has fewer records, or as many and no more
 * steps to the violation: the result never runs longer than the input
 * unless it has fewer records.
 */
#ifndef RMAP_MINIMIZE_H
#define RMAP_MINIMIZE_H

#include <stddef.h>
#include <stdint.h>

#include "program.h"

struct protocol;

struct minimize_result {
	size_t size;			/* of out, a multiple of RECORD_SIZE */
	unsigned long runs;		/* candidates tried */
	unsigned long steps_in, steps;	/* to the violation: the input's, out's */
	char signature[128];		/* the first line kept */
};

/* Minimize data (which must violate under proto, run with flags: the
 * invariant families of run.h) into out, room for PROGRAM_MAX_RECORDS
 * records. Returns false when data does not violate. */
bool rmap_minimize(const uint8_t *data, size_t size, const struct protocol *proto, unsigned flags,
		   uint8_t *out, struct minimize_result *res);

#endif
