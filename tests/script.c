#include "script.h"

#include <stdio.h>
#include <string.h>

#include "sched.h"
#include "test.h"
#include "world_util.h"

void sc_begin(struct scen *s, const char *protocol)
{
	s->w = tw_new(protocol);
	oracle_attach(&s->o, s->w, false);
}

bool sc_stopped(const struct scen *s) { return s->o.invariant || s->w->halted; }

/* One step of task id, if it can take it now; false when it waits (or the
 * task is gone, or the run already stopped). */
bool sc_step(struct scen *s, int id)
{
	if (sc_stopped(s) || !task_find(s->w, id))
		return false;
	bool ran = sched_step(s->w, id) == STEP_DONE;
	if (s->w->halted)
		oracle_after_step(&s->o);
	return ran;
}

/* Step task id until it has run the kernel function `step` (n times). */
bool sc_through(struct scen *s, int id, const char *step, int n)
{
	for (int guard = 0; guard < 100; guard++) {
		struct task *t = task_find(s->w, id);
		if (!t || !sc_step(s, id))
			return false;
		t = task_find(s->w, id);
		if (t && t->step && strcmp(t->step, step) == 0 && --n == 0)
			return true;
	}
	CHECK(!"sc_through: step never reached");
	return false;
}

/* Let every task finish, lowest id first; then the end-of-input checks.
 * Returns the violated invariant, or NULL. */
const char *sc_end(struct scen *s)
{
	struct world *w = s->w;
	while (w->nr_tasks && !sc_stopped(s)) {
		struct task *t = sched_first_runnable(w);
		if (!t) {
			sched_stuck(w);
			oracle_after_step(&s->o);
			break;
		}
		sc_step(s, t->id);
	}
	if (!sc_stopped(s)) {
		oracle_after_step(&s->o);
		oracle_at_end(&s->o);
	}
	if (s->o.invariant)
		fprintf(stderr, "  %s: %s: %s\n", w->proto->name, s->o.invariant, s->o.detail.buf);
	return s->o.invariant;
}

void sc_free(struct scen *s)
{
	oracle_detach(&s->o);
	world_free(s->w);
}


const char *sc_finish(struct scen *s)
{
	const char *v = sc_end(s);
	sc_free(s);
	return v;
}

void sc_check_verdict(const char *protocol, const char *v, const char *want)
{
	if (want)
		CHECK_STR(v, want);
	else
		CHECK(v == NULL);
	if (v ? !want || strcmp(v, want) : want != NULL)
		fprintf(stderr, "  (%s: %s, expected %s)\n", protocol, v ? v : "none",
			want ? want : "none");
}
