/* Scripted interleavings judged by the oracle exactly as the fuzz target
 * judges an input: walks at their end, structure at the end of the script.
 *
 * A script names who steps when. Under a protocol that locks where a buggy
 * one does not, a scripted step may have to wait: sc_step then runs nothing
 * and the script goes on, and the final drain lets every task finish. So one
 * script serves every protocol: the buggy ones violate, the sound ones run
 * it clean. */
#ifndef RMAPFUZZ_SCRIPT_H
#define RMAPFUZZ_SCRIPT_H

#include <stdbool.h>

#include "oracle.h"

struct scen {
	struct world *w;
	struct oracle o;
};

/* A world under the protocol (tw_new's), the oracle attached. */
void sc_begin(struct scen *s, const char *protocol);
bool sc_stopped(const struct scen *s);
/* One step of task id, if it can take it now; false when it waits (or the
 * task is gone, or the run already stopped). */
bool sc_step(struct scen *s, int id);
/* Step task id until it has run the kernel function `step` (n times). */
bool sc_through(struct scen *s, int id, const char *step, int n);
/* Let every task finish, lowest id first; then the end-of-input checks.
 * Returns the violated invariant, or NULL. */
const char *sc_end(struct scen *s);
void sc_free(struct scen *s);
/* sc_end, then sc_free: the verdict (an invariant's name, a literal). */
const char *sc_finish(struct scen *s);
/* CHECK that a script run under protocol ended with want (NULL: none). */
void sc_check_verdict(const char *protocol, const char *v, const char *want);

#endif
