#include "runlog.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anon_vma.h"
#include "mm.h"
#include "task.h"
#include "world.h"

#define GROW(arr, nr, cap)                                                               \
	do {                                                                             \
		if ((nr) == (cap)) {                                                     \
			(cap) = (cap) ? 2 * (cap) : 64;                                  \
			void *grown = realloc((arr), (size_t)(cap) * sizeof(*(arr)));    \
			if (!grown)                                                      \
				abort();                                                 \
			(arr) = grown;                                                   \
		}                                                                        \
	} while (0)

struct run_log *runlog_new(void)
{
	struct run_log *log = calloc(1, sizeof(*log));
	if (!log)
		abort();
	return log;
}

void runlog_free(struct run_log *log)
{
	free(log->lines);
	free(log->held);
	free(log->walks);
	free(log->plan_vmas);
	free(log->visits);
	free(log->entries);
	free(log->tlbs);
	sb_free(&log->text);
	free(log);
}

/* Keep s; its offset names it. */
static size_t keep(struct run_log *log, const char *s)
{
	size_t at = log->text.len;
	sb_printf(&log->text, "%s%c", s, 0);
	return at;
}

/* The number of the step under way: w->steps counts the steps that ran. */
static unsigned long step_now(const struct world *w) { return w->steps + 1; }

static void add_line(struct run_log *log, unsigned long step, int task, unsigned char kind,
		     const char *op, const char *name, const char *text)
{
	GROW(log->lines, log->nr_lines, log->cap_lines);
	log->lines[log->nr_lines++] = (struct log_line){ .step = step, .task = task, .kind = kind,
							 .op = op, .name = name,
							 .text = keep(log, text) };
}

void runlog_trace(struct run_log *log, struct world *w, const struct task *t, const char *name,
		  const char *detail)
{
	add_line(log, step_now(w), t->id, LINE_PENDING, task_op_name(t->op), name, detail);
}

void runlog_note(struct run_log *log, struct world *w, const char *fmt, ...)
{
	char text[128];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	add_line(log, step_now(w), 0, LINE_NOTE, "", "", text);
	log->attempt = log->nr_lines;
}

/* The attempt's lines: all control, then the last one its work if it ran. */
static void end_attempt(struct run_log *log, bool ran)
{
	for (int i = log->attempt; i < log->nr_lines; i++)
		log->lines[i].kind = ran && i == log->nr_lines - 1 ? LINE_WORK : LINE_CONTROL;
	log->attempt = log->nr_lines;
}

/* "AV0(w) PTL(mm0 0x8000)": a task's locks, in the order it took them. */
static void locks_text(const struct world *w, const struct task *t, char *buf, size_t size)
{
	size_t len = 0;
	buf[0] = 0;
	for (int i = 0; i < t->nheld && len + 1 < size; i++) {
		char name[64];
		world_lock_name(w, t->held[i].lock, t->held[i].write, name, sizeof(name));
		len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? " " : "", name);
	}
}

void runlog_step_done(struct run_log *log, struct world *w)
{
	end_attempt(log, true);
	for (int i = 0; i < w->nr_tasks; i++) {
		const struct task *t = w->task[i];
		char text[256];
		if (!t->nheld)
			continue;
		locks_text(w, t, text, sizeof(text));
		GROW(log->held, log->nr_held, log->cap_held);
		log->held[log->nr_held++] = (struct log_held){ .step = w->steps, .task = t->id,
							       .text = keep(log, text) };
	}
}

/* "task 5", or "tasks 3 and 4" for an rwsem's readers. */
static void holders_text(const struct world *w, const struct lock *l, char *buf, size_t size)
{
	size_t len = 0;
	int n = 0;
	buf[0] = 0;
	for (int i = 0; i < w->nr_tasks && len + 1 < size; i++)
		if (task_holds(w->task[i], l))
			len += (size_t)snprintf(buf + len, size - len, "%s%d", n++ ? " and " : "",
						w->task[i]->id);
	if (!n)
		snprintf(buf, size, "no task");
}

void runlog_wait(struct run_log *log, struct world *w, const struct task *t)
{
	char text[192], name[64], holders[64];
	/* A halted world runs no attempt: nothing waited. */
	if (w->halted)
		return;
	end_attempt(log, false);
	if (t->blocked_on) {
		world_lock_name(w, t->blocked_on, t->blocked_write, name, sizeof(name));
		holders_text(w, t->blocked_on, holders, sizeof(holders));
		snprintf(text, sizeof(text), "waits for %s, held by task%s %s", name,
			 strstr(holders, " and ") ? "s" : "", holders);
	} else {
		snprintf(text, sizeof(text), "retries only after another task's step");
	}
	add_line(log, step_now(w), t->id, LINE_WAIT, task_op_name(t->op),
		 task_op_name(t->depth ? t->frames[t->depth - 1].op : t->op), text);
	log->attempt = log->nr_lines;
}

/* "vma0 then vma1": the walk's plan, fixed under its lock. */
static void log_walk_begin(struct run_log *log, struct world *w, const struct rmap_event *ev)
{
	const struct rmap_walk *walk = ev->walk;
	char plan[256];
	size_t len = 0;

	plan[0] = 0;
	for (int i = 0; i < walk->nr; i++) {
		GROW(log->plan_vmas, log->nr_plan_vmas, log->cap_plan_vmas);
		log->plan_vmas[log->nr_plan_vmas++] = walk->avc[i]->vma->id;
		if (len + 1 < sizeof(plan))
			len += (size_t)snprintf(plan + len, sizeof(plan) - len, "%svma%lu",
						i ? " then " : "", walk->avc[i]->vma->id);
	}
	GROW(log->walks, log->nr_walks, log->cap_walks);
	log->walks[log->nr_walks++] = (struct log_walk){
		.walk = walk, .kind = walk->kind, .task = ev->task ? ev->task->id : 0,
		.step = step_now(w), .page = walk->page, .pgoff = walk->pgoff,
		.anon_vma = walk->anon_vma->id, .nr = walk->nr, .plan = keep(log, plan),
		.vmas = (size_t)(log->nr_plan_vmas - walk->nr),
	};
}

/* A visit under a page-table lock (a pmd slot's, a pte table's, the mm's
 * page_table_lock), not an unlocked peek: walkers hold no other PTL then. */
static bool holds_ptl(const struct task *t)
{
	for (int i = 0; i < t->nheld; i++)
		if (t->held[i].lock->cls == LOCK_PTL)
			return true;
	return false;
}

static void log_visit(struct run_log *log, struct world *w, const struct rmap_event *ev)
{
	struct mm_struct *mm = ev->vma->vm_mm;
	GROW(log->visits, log->nr_visits, log->cap_visits);
	log->visits[log->nr_visits++] = (struct log_visit){
		.step = step_now(w), .walk = runlog_walk_of(log, ev->walk), .mm = mm->id,
		.vma = ev->vma->id, .start = ev->vma->vm_start, .end = ev->vma->vm_end,
		.addr = ev->addr, .result = ev->result,
		.locked = holds_ptl(ev->task),
	};
}

/* What the entry is: the events say huge or not; a pte may be a
 * migration entry, which the table still shows when the event comes
 * (a take before its clear, the rest after their write). */
static const char *entry_noun(const struct rmap_event *ev)
{
	const struct pmd *pmd = mm_pmd(ev->entry.mm, ev->entry.addr);
	if (ev->entry.huge)
		return "huge pmd";
	if (pmd->kind == PMD_TABLE && pmd->pte[pte_index(ev->entry.addr)].kind == PTE_MIGRATION)
		return "migration entry";
	return "pte";
}

static void log_entry(struct run_log *log, struct world *w, const struct rmap_event *ev)
{
	GROW(log->entries, log->nr_entries, log->cap_entries);
	log->entries[log->nr_entries++] = (struct log_entry){
		.step = step_now(w), .task = ev->task ? ev->task->id : 0,
		.op = ev->task ? task_op_name(ev->task->op) : "?", .change = ev->entry.change,
		.huge = ev->entry.huge, .locked = ev->entry.locked, .mm = ev->entry.mm->id,
		.from_mm = ev->entry.from_mm ? ev->entry.from_mm->id : -1, .addr = ev->entry.addr,
		.from = ev->entry.from, .page = ev->entry.page, .noun = entry_noun(ev),
	};
}

static void log_tlb(struct run_log *log, struct world *w, const struct rmap_event *ev)
{
	static const unsigned char kinds[] = { [EV_TLB_FILL] = LOG_TLB_FILL,
					       [EV_TLB_FLUSH] = LOG_TLB_FLUSH,
					       [EV_PAGE_FREE] = LOG_PAGE_FREE };
	GROW(log->tlbs, log->nr_tlbs, log->cap_tlbs);
	log->tlbs[log->nr_tlbs++] = (struct log_tlb){
		.step = step_now(w), .task = ev->task ? ev->task->id : 0,
		.op = ev->task ? task_op_name(ev->task->op) : "?", .kind = kinds[ev->kind],
		.huge = ev->tlb.huge, .mm = ev->tlb.mm ? ev->tlb.mm->id : -1, .start = ev->tlb.start,
		.end = ev->tlb.end, .page = ev->tlb.page, .why = ev->tlb.why,
	};
}

void runlog_event(struct run_log *log, struct world *w, const struct rmap_event *ev)
{
	int walk;
	switch (ev->kind) {
	case EV_WALK_BEGIN:
		log_walk_begin(log, w, ev);
		break;
	case EV_WALK_VISIT:
		log_visit(log, w, ev);
		break;
	case EV_WALK_END:
		walk = runlog_walk_of(log, ev->walk);
		if (walk >= 0) {
			log->walks[walk].end = step_now(w);
			log->walks[walk].count = ev->result;
		}
		break;
	case EV_ENTRY:
		log_entry(log, w, ev);
		break;
	case EV_KERNEL_BUG:
		if (!log->bug_step)
			log->bug_step = step_now(w);
		break;
	case EV_TLB_FILL:
	case EV_TLB_FLUSH:
	case EV_PAGE_FREE:
		log_tlb(log, w, ev);
		break;
	}
}

int runlog_walk_of(const struct run_log *log, const struct rmap_walk *walk)
{
	for (int i = log->nr_walks - 1; i >= 0; i--)
		if (log->walks[i].walk == walk)
			return i;
	return -1;
}

const struct log_line *runlog_work(const struct run_log *log, unsigned long step)
{
	for (int i = 0; i < log->nr_lines; i++)
		if (log->lines[i].step == step && log->lines[i].kind == LINE_WORK)
			return &log->lines[i];
	return NULL;
}

const char *runlog_function(const struct run_log *log, unsigned long step, int task,
			    const char *or)
{
	const struct log_line *l = runlog_work(log, step);
	return l && l->task == task ? l->name : or;
}

const struct log_visit *runlog_visit_at(const struct run_log *log, int walk, int mm,
					unsigned long addr)
{
	for (int i = 0; i < log->nr_visits; i++) {
		const struct log_visit *v = &log->visits[i];
		if (v->walk == walk && v->mm == mm && v->addr == addr)
			return v;
	}
	return NULL;
}

bool runlog_plans(const struct run_log *log, int walk, unsigned long vma)
{
	const struct log_walk *lw = &log->walks[walk];
	for (int i = 0; i < lw->nr; i++)
		if (log->plan_vmas[lw->vmas + (size_t)i] == vma)
			return true;
	return false;
}
