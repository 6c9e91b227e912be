/* The log a report is made of: what the oracle keeps when a violating input
 * is run a second time to be explained (run.h). Runs of the hot loops have
 * none, so nothing here costs them anything.
 *
 * It holds every trace line as the steps ran, the locks each task held
 * after every step, and, for every rmap walk, its plan, its visits and the
 * page-table entry changes of every page. Strings live in text, NUL
 * separated, named by offset (text moves as it grows).
 */
#ifndef RMAP_RUNLOG_H
#define RMAP_RUNLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "page.h"
#include "strbuf.h"
#include "world.h"

struct rmap_event;
struct rmap_walk;
struct task;
struct world;

enum log_line_kind {
	LINE_WORK,	/* a step's work: the last line a step traced */
	LINE_CONTROL,	/* a call or return traced before the work, in the same step */
	LINE_WAIT,	/* an attempt that waited for a lock and ran nothing */
	LINE_NOTE,	/* the run's own: which record starts */
	LINE_PENDING,	/* traced by an attempt that has not ended yet */
};

struct log_line {
	unsigned long step;	/* the step it is part of (a wait: the step it came before) */
	int task;
	unsigned char kind;
	const char *op, *name;	/* the task's operation; the kernel function */
	size_t text;
};

/* One task's locks after a step. */
struct log_held {
	unsigned long step;
	int task;
	size_t text;
};

struct log_walk {
	const struct rmap_walk *walk;	/* a frame's: the next walk of the task reuses it */
	unsigned char kind;
	int task;
	unsigned long step, end;	/* lock taken; ended (0: not ended) */
	const struct page *page;
	unsigned long pgoff, anon_vma;
	int nr, count;			/* vmas to visit; counted by its end */
	size_t plan;			/* "vma0 then vma1" */
	size_t vmas;			/* index of its first vma id in log->plan_vmas */
};

struct log_visit {
	unsigned long step;
	int walk;			/* in log->walks */
	int mm;
	unsigned long vma, start, end, addr;
	int result;
	bool locked;			/* under the page-table lock, not an unlocked peek */
};

struct log_entry {
	unsigned long step;
	int task;
	const char *op;
	unsigned char change;		/* enum entry_change */
	bool huge, locked;
	int mm, from_mm;		/* from_mm -1: none */
	unsigned long addr, from;
	const struct page *page;
	const char *noun;		/* "huge pmd", "pte", "migration entry" */
};

/* What a TLB did, and the frees the TLBs are judged at. */
enum log_tlb_kind { LOG_TLB_FILL, LOG_TLB_FLUSH, LOG_PAGE_FREE };
struct log_tlb {
	unsigned long step;
	int task;
	const char *op;
	unsigned char kind;		/* enum log_tlb_kind */
	bool huge;			/* a fill of a huge entry */
	int mm;				/* a fill's, a flush's */
	unsigned long start, end;	/* what a fill translates, what a flush empties */
	const struct page *page;	/* a fill's, a free's */
	const char *why;		/* the kernel function of a flush or a free */
};

struct run_log {
	struct log_line *lines;
	int nr_lines, cap_lines;
	int attempt;			/* first line of the attempt under way */
	struct log_held *held;
	int nr_held, cap_held;
	struct log_walk *walks;
	int nr_walks, cap_walks;
	unsigned long *plan_vmas;
	int nr_plan_vmas, cap_plan_vmas;
	struct log_visit *visits;
	int nr_visits, cap_visits;
	struct log_entry *entries;
	int nr_entries, cap_entries;
	struct log_tlb *tlbs;
	int nr_tlbs, cap_tlbs;
	struct strbuf text;
	unsigned long bug_step;		/* the step a kernel BUG_ON fired in, 0: none */
};

struct run_log *runlog_new(void);
void runlog_free(struct run_log *log);
static inline const char *runlog_text(const struct run_log *log, size_t at)
{
	return log->text.buf + at;
}

/* Filling it: the oracle's hooks. A step's lines are pending until its
 * attempt ends: in a step, the last is the work and the others control;
 * in an attempt that waited, they are control kept for the next step. */
void runlog_trace(struct run_log *log, struct world *w, const struct task *t, const char *name,
		  const char *detail);
void runlog_note(struct run_log *log, struct world *w, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void runlog_step_done(struct run_log *log, struct world *w);
void runlog_wait(struct run_log *log, struct world *w, const struct task *t);
void runlog_event(struct run_log *log, struct world *w, const struct rmap_event *ev);

/* Reading it. */
/* The walk a visit or end of walk belongs to: the latest begun with it. */
int runlog_walk_of(const struct run_log *log, const struct rmap_walk *walk);
/* The work line of a step, NULL when it ran none (or is not logged). */
const struct log_line *runlog_work(const struct run_log *log, unsigned long step);
/* The kernel function task ran at step, or `or` when it ran none there. */
const char *runlog_function(const struct run_log *log, unsigned long step, int task,
			    const char *or);
/* The visit of a walk at mm's addr, NULL when the walk made none there. */
const struct log_visit *runlog_visit_at(const struct run_log *log, int walk, int mm,
					unsigned long addr);
/* Does the walk's plan (the vmas fixed at its lock) hold vma? */
bool runlog_plans(const struct run_log *log, int walk, unsigned long vma);
/* A take that lands where it was: change_protection's, not a move's. */
static inline bool runlog_protect_take(const struct log_entry *e)
{
	return e->change == ENTRY_TAKE && e->from_mm == e->mm && e->from == e->addr;
}
/* Is the entry about page (itself, or a page of the THP page heads)? */
/* A fault that clears an entry is a COW (do_wp_page, do_huge_pmd_wp_page):
 * its clear is followed by the copy's entry, not by nothing as a zap's. */
static inline bool runlog_entry_by_cow(const struct log_entry *e) { return !strcmp(e->op, "fault"); }

static inline bool runlog_entry_of(const struct log_entry *e, const struct page *page)
{
	return e->page == page || e->page->head == page;
}

#endif
