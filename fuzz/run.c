#include "run.h"

#include <stdio.h>
#include <string.h>

#include "oracle.h"
#include "program.h"
#include "protocol.h"
#include "report.h"
#include "runlog.h"
#include "scenario.h"
#include "sched.h"
#include "task.h"
#include "world.h"

struct run {
	struct world *w;
	struct oracle o;
	unsigned flags;
};

/* A run that keeps the log a report is made of (run_once sets it). Its
 * hooks sit where the hot loops already test their flags, so a run
 * without a log pays nothing for them. */
enum { RUN_LOG = 1u << 8 };
_Static_assert(!(RUN_LOG & (RUN_EVERY_STEP | RUN_REFERENCE_LAYOUT | RUN_FEW_MASK_BITS)), "a private flag");

static bool stopped(const struct run *r) { return r->o.invariant || r->w->halted; }

_Static_assert(RUN_STEP_FEATURES == ORACLE_NR_FEATURES, "step features follow the oracle's");
_Static_assert(FAMILY_ALL == 7u && !(RUN_LOG & (7u << RUN_FAMILIES_SHIFT)) &&
	       !(RUN_EVERY_STEP & (7u << RUN_FAMILIES_SHIFT)), "families in flags bits 4-6");
_Static_assert(RUN_NR_STEP_FEATURES >= NR_TASK_OPS * 8, "an operation by a lock class");

/* Model coverage: which operation waited on which class of lock (its
 * step blocked), the contention a race is made of. The fuzzing build
 * leaves the model's own code uninstrumented (CMakeLists.txt). Features for
 * every step (which kernel function each operation ran, with or without
 * where it began) split the corpus by paths that do not matter for races:
 * every search was slower with them, and each execution too (README). */
static void step_feature(struct run *r, const struct task *t)
{
	/* 7: no lock: a retry loop spinning until another task steps, or the
	 * world halted. */
	unsigned cls = t->blocked_on ? t->blocked_on->cls : 7;
	oracle_feature(&r->o, RUN_STEP_FEATURES + t->op * 8u + cls);
}

/* Every step goes through here so the oracle sees each one. */
static bool run_step(void *ctx, struct task *t)
{
	struct run *r = ctx;
	if (sched_step_task(r->w, t) != STEP_DONE) {
		if (r->o.features)	/* a logging run counts none */
			step_feature(r, t);	/* blocked: t is still there */
		else if (r->flags & RUN_LOG)
			oracle_step_waited(&r->o, t);
		return false;
	}
	if (r->flags & (RUN_EVERY_STEP | RUN_LOG) || r->w->halted) {
		if (r->flags & RUN_LOG)
			oracle_step_ran(&r->o);
		if (r->flags & RUN_EVERY_STEP || r->w->halted)
			oracle_after_step(&r->o);
	}
	return !stopped(r);
}

/* sched_drain, with the oracle after every step. */
static void drain(struct run *r)
{
	struct world *w = r->w;
	while (w->nr_tasks && !stopped(r)) {
		struct task *t = sched_first_runnable(w);
		if (!t) {
			sched_stuck(w);
			oracle_after_step(&r->o);
			return;
		}
		run_step(r, t);
	}
}

/* A record as scenario text, and as a comment what it does on the world
 * now: the program listing of reports, and `rmapfuzz show`. */
static void list_record(struct run *r, const struct record *rec, size_t i, struct strbuf *program)
{
	size_t start = program->len;
	sb_printf(program, "  ");
	scenario_record_text(rec, program);
	while (program->len - start < 44)
		sb_printf(program, " ");
	sb_printf(program, " # %zu: ", i + 1);
	if (stopped(r))
		sb_printf(program, "not run (the run stopped)");
	else
		record_format(r->w, rec, program);
	sb_printf(program, "\n");
}

static void execute(struct run *r, const uint8_t *data, size_t size, struct strbuf *program)
{
	size_t n = program_nr_records(size);
	for (size_t i = 0; i < n && (program || !stopped(r)); i++) {
		struct record rec = record_at(data, i);
		if (program) {
			list_record(r, &rec, i, program);
			if (stopped(r))
				continue;
			oracle_note_record(&r->o, i + 1);
		}
		record_execute(r->w, &rec, run_step, r);
		if (r->o.features && !stopped(r))
			oracle_layout_features(&r->o);
	}
	if (!stopped(r)) {
		if (program)
			runlog_note(r->o.log, r->w, "-- end of input: drain");
		drain(r);
	}
	if (!stopped(r))
		oracle_at_end(&r->o);
	else if (!r->o.invariant)
		oracle_after_step(&r->o);	/* a halt the oracle did not name yet */
}

/* The report after its first line, but for the program: the cause, the
 * detail, the timeline, the walk, the history (explain) and the
 * interleaving (timeline). */
static void explain_violation(const struct oracle *o, struct strbuf *explain,
			      struct strbuf *timeline)
{
	struct cause c;
	report_cause(o, &c, explain);
	sb_printf(explain, "%s\n", sb_str(&o->detail));
	report_timeline(o, &c, explain);
	report_walk(o, &c, explain);
	report_history(o, &c, explain);
	report_interleaving(o->log, timeline);
}

static unsigned char *novelty_seen;

void rmap_run_novelty(unsigned char *seen) { novelty_seen = seen; }

/* On reuse (reset in O(1)) when given, else on a world of its own, torn
 * down and leak-checked by world_free. */
static bool run_once(struct world *reuse, const uint8_t *data, size_t size,
		     const struct protocol *proto, unsigned flags,
		     unsigned char *features, struct run_result *res,
		     struct strbuf *program, struct strbuf *timeline, struct strbuf *explain)
{
	struct run r;	/* not zeroed here: oracle_attach zeroes r.o */

	r.w = reuse;
	r.flags = program ? flags | RUN_LOG : flags;

	if (reuse)
		world_reset(reuse, proto);
	else
		r.w = world_new(proto);

	oracle_attach(&r.o, r.w, program != NULL);
	r.o.families = run_families_of(flags);
	r.o.features = features;
	r.o.seen = features ? novelty_seen : NULL;
	r.o.reference_layout = flags & RUN_REFERENCE_LAYOUT;
	if (flags & RUN_FEW_MASK_BITS)
		r.o.mask_anon_vmas = 4;
	if (program)
		r.o.checks_every_step = flags & RUN_EVERY_STEP;
	execute(&r, data, size, program);
	res->invariant = r.o.invariant;
	res->steps = r.w->steps;
	res->novel = r.o.novel;

	res->first_line[0] = 0;
	if (r.o.invariant)
		snprintf(res->first_line, sizeof(res->first_line), "rmap violation: %s (%s)",
			 r.o.invariant, proto->name);
	if (explain && r.o.invariant)
		explain_violation(&r.o, explain, timeline);
	else if (timeline)
		report_lines(r.o.log, timeline);
	oracle_detach(&r.o);
	if (!reuse)
		world_free(r.w);
	return res->invariant != NULL;
}

bool rmap_run(const uint8_t *data, size_t size, const struct protocol *proto, unsigned flags,
	      struct run_result *res, struct strbuf *report)
{
	return rmap_run_in(NULL, data, size, proto, flags, NULL, res, report);
}

bool rmap_run_in(struct world *w, const uint8_t *data, size_t size, const struct protocol *proto,
		 unsigned flags, unsigned char *features, struct run_result *res,
		 struct strbuf *report)
{
	if (!run_once(w, data, size, proto, flags, features, res, NULL, NULL, NULL))
		return false;
	if (!report)
		return true;
	struct strbuf program = { 0 }, timeline = { 0 }, explain = { 0 };
	struct run_result again;
	run_once(NULL, data, size, proto, flags, NULL, &again, &program, &timeline, &explain);
	sb_printf(report, "%s\n", res->first_line);
	if (!again.invariant || strcmp(again.invariant, res->invariant) != 0)
		sb_printf(report, "(model bug: the second run did not repeat the first: %s)\n",
			  again.invariant ? again.invariant : "passed");
	sb_printf(report, "%s", sb_str(&explain));
	sb_printf(report, "\nprogram (%zu records):\n%s", program_nr_records(size), sb_str(&program));
	sb_printf(report, "%s", sb_str(&timeline));
	sb_free(&program);
	sb_free(&timeline);
	sb_free(&explain);
	return true;
}

void rmap_show(const uint8_t *data, size_t size, const struct protocol *proto, unsigned flags,
	       struct strbuf *out)
{
	struct run_result res;
	struct strbuf program = { 0 }, timeline = { 0 };
	run_once(NULL, data, size, proto, flags & ~RUN_EVERY_STEP, NULL, &res, &program, &timeline, NULL);
	sb_printf(out, "# rmapfuzz scenario, %zu records; the comments say what each did under %s\n",
		  program_nr_records(size), proto->name);
	sb_printf(out, "%s", sb_str(&program));
	sb_printf(out, "# then the tasks left run to their ends: %s\n",
		  res.invariant ? res.first_line : "no violation");
	sb_free(&program);
	sb_free(&timeline);
}

bool rmap_run_traced(const uint8_t *data, size_t size, const struct protocol *proto, unsigned flags,
		     struct run_result *res, struct strbuf *trace)
{
	struct strbuf program = { 0 };
	bool violated = run_once(NULL, data, size, proto, flags, NULL, res, &program, trace, NULL);
	sb_free(&program);
	return violated;
}
