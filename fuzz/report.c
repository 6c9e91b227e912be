/* The report's sections after the cause line (report.h): the timeline,
 * the walk, the history of the page's entries, the interleaving. */
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "page.h"
#include "rmap.h"
#include "world.h"

const char *report_walk_function(unsigned char kind)
{
	static const char *const names[] = {
		[WALK_SPLIT_PASS1] = "split_huge_page", [WALK_SPLIT_PASS2] = "split_huge_page",
		[WALK_TRY_TO_UNMAP] = "try_to_unmap", [WALK_REMOVE_MIGRATION] = "remove_migration_ptes",
	};
	return names[kind];
}

static bool is_split(unsigned char kind)
{
	return kind == WALK_SPLIT_PASS1 || kind == WALK_SPLIT_PASS2;
}

/* The same words as the traces of the steps that make these changes
 * (core/mremap.c, fork.c, munmap.c): "took out ptes mm0 [a, b) -> mm0
 * [c, d)" there, "took out pte mm0 a -> mm0 c" here. Source first. */
void report_entry_words(const struct log_entry *e, struct strbuf *out)
{
	switch (e->change) {
	case ENTRY_SET:
		sb_printf(out, "set %s mm%d %#lx", e->noun, e->mm, e->addr);
		break;
	case ENTRY_MIGRATION:
		if (e->from_mm < 0) {
			sb_printf(out, "made pte mm%d %#lx a migration entry", e->mm, e->addr);
			break;
		}
		/* fall through: fork copies a migration entry as it is */
	case ENTRY_COPY:
		sb_printf(out, "copied %s mm%d %#lx -> mm%d %#lx", e->noun, e->from_mm, e->from, e->mm,
			  e->addr);
		break;
	case ENTRY_MOVE:
		sb_printf(out, "moved %s mm%d %#lx -> mm%d %#lx", e->noun, e->from_mm, e->from, e->mm,
			  e->addr);
		break;
	case ENTRY_TAKE:
		if (runlog_protect_take(e))
			sb_printf(out, "took out %s mm%d %#lx to change its protection", e->noun, e->mm,
				  e->addr);
		else if (e->from_mm >= 0)
			sb_printf(out, "took out %s mm%d %#lx -> mm%d %#lx", e->noun, e->mm, e->addr,
				  e->from_mm, e->from);
		else if (runlog_entry_by_cow(e))
			sb_printf(out, "cleared %s mm%d %#lx for the copy, page_remove_rmap next", e->noun,
				  e->mm, e->addr);
		else
			sb_printf(out, "zapped %s mm%d %#lx, page_remove_rmap next", e->noun, e->mm,
				  e->addr);
		break;
	case ENTRY_CLEAR:
		if (runlog_entry_by_cow(e))
			sb_printf(out, "page_remove_rmap of the %s mm%d %#lx the copy replaced", e->noun,
				  e->mm, e->addr);
		else if (e->huge)
			sb_printf(out, "page_remove_rmap of zapped huge pmd mm%d %#lx", e->mm, e->addr);
		else
			sb_printf(out, "zapped %s mm%d %#lx", e->noun, e->mm, e->addr);
		break;
	case ENTRY_SPLIT:
		sb_printf(out, "split huge pmd mm%d %#lx into ptes", e->mm, e->addr);
		break;
	case ENTRY_PROTECT:
		sb_printf(out, "set %s mm%d %#lx back with its new protection", e->noun, e->mm, e->addr);
		break;
	}
}

/* What a move or copy held, for the history. */
static void entry_locks(const struct log_entry *e, struct strbuf *out)
{
	if (runlog_protect_take(e)) {
		sb_printf(out, ", out under its page-table lock");
		return;
	}
	bool moves = e->change == ENTRY_MOVE || (e->change == ENTRY_TAKE && e->from_mm >= 0);
	if (moves || e->change == ENTRY_COPY || (e->change == ENTRY_MIGRATION && e->from_mm >= 0))
		sb_printf(out, " %s the anon_vma lock", e->locked ? "under" : "without");
	if (e->change == ENTRY_TAKE && e->from_mm >= 0)
		sb_printf(out, ", in flight under its page-table locks");
}

static bool about(const struct log_entry *e, const struct cause *c)
{
	return c->page && runlog_entry_of(e, c->page);
}

bool report_visit_no_table(const struct run_log *log, const struct log_visit *v)
{
	const struct log_line *l = v->locked ? NULL : runlog_work(log, v->step);
	return l && strstr(runlog_text(log, l->text), ": no pte table");
}

static void visit_words(const struct run_log *log, const struct log_visit *v, struct strbuf *out)
{
	bool peek = !v->locked && !report_visit_no_table(log, v);
	sb_printf(out, "%s mm%d vma%lu [%#lx, %#lx) at %#lx%s: %s", peek ? "peeked at" : "visited",
		  v->mm, v->vma, v->start, v->end, v->addr, peek ? " without the page-table lock" : "",
		  v->result ? "found it" : peek || v->locked ? "nothing" : "no pte table");
}

/* --- the timeline ------------------------------------------------------ */

#define MAX_COLS MAX_TASKS
#define MAX_ROWS 256

struct row {
	const struct log_line *line;
	char mark;
	char what[160];
	char locks[256];
};

struct timeline {
	const struct run_log *log;
	const struct cause *c;
	const struct log_walk *lw;
	bool av_mutex;			/* the anon_vma lock is a mutex (before 3.8) */
	unsigned long first, last;
	int cols[MAX_COLS], nr_cols;
	struct row rows[MAX_ROWS];
	int nr_rows;
	int left_out;			/* rows past MAX_ROWS */
};

static int column_of(const struct timeline *tl, int task)
{
	for (int i = 0; i < tl->nr_cols; i++)
		if (tl->cols[i] == task)
			return i;
	return -1;
}

static void add_column(struct timeline *tl, int task)
{
	if (task > 0 && column_of(tl, task) < 0 && tl->nr_cols < MAX_COLS)
		tl->cols[tl->nr_cols++] = task;
}

/* The task's first step: where its column's story begins. */
static unsigned long first_step_of(const struct run_log *log, int task)
{
	for (int i = 0; i < log->nr_lines; i++)
		if (log->lines[i].task == task && log->lines[i].kind == LINE_WORK)
			return log->lines[i].step;
	return 0;
}

static unsigned long last_step_of(const struct run_log *log, int task)
{
	unsigned long last = 0;
	for (int i = 0; i < log->nr_lines; i++)
		if (log->lines[i].task == task && log->lines[i].kind == LINE_WORK)
			last = log->lines[i].step;
	return last;
}

/* Where the timeline begins: at the first step of the task whose walk
 * (or BUG_ON) it is, or at the earliest step the cause names, or at the
 * first step of the other side when that task was already running and
 * still had steps to run then. The race has two halves, and the other
 * side's first one often ran before the walking task began: fork's
 * anon_vma_fork or mremap's copy_vma and vma_adjust linked or re-indexed
 * the vma under the anon_vma lock and dropped it, and only later does the
 * same task copy or move the entry the walk misses; a zap's munmap began
 * before the split it races. Whatever that task did, it did as part of
 * the one operation the cause names, so its column starts where it does. */
static unsigned long timeline_start(const struct run_log *log, const struct cause *c)
{
	unsigned long start = first_step_of(log, c->task);
	unsigned long other = c->other ? first_step_of(log, c->other) : 0;

	if (c->first && (!start || c->first < start))
		start = c->first;
	if (other && start && other < start && last_step_of(log, c->other) >= start)
		start = other;
	return start;
}

static bool in_range(const struct timeline *tl, const struct log_line *l)
{
	if (l->kind == LINE_WORK)
		return l->step >= tl->first && l->step <= tl->last;
	return l->kind == LINE_WAIT && l->step > tl->first && l->step <= tl->last &&
	       column_of(tl, l->task) >= 0;
}

static void walk_what(const struct timeline *tl, const struct log_line *l, struct row *r)
{
	int walk = tl->c->walk;
	for (int i = 0; i < tl->log->nr_visits; i++) {
		const struct log_visit *v = &tl->log->visits[i];
		if (v->walk == walk && v->step == l->step) {
			r->mark = '@';
			bool no_table = report_visit_no_table(tl->log, v);
			snprintf(r->what, sizeof(r->what), "mm%d vma%lu %#lx: %s%s", v->mm, v->vma,
				 v->addr, v->result ? "found it" : no_table ? "no pte table" : "nothing",
				 v->locked || no_table ? "" : " (peek)");
			return;
		}
	}
	if (tl->lw->step == l->step && tl->lw->task == l->task) {
		r->mark = '@';
		snprintf(r->what, sizeof(r->what), "lock taken: %s%s", tl->lw->nr ? "will visit " : "",
			 tl->lw->nr ? runlog_text(tl->log, tl->lw->plan) : "no vma to visit");
	} else if (tl->lw->end == l->step && is_split(tl->lw->kind)) {
		snprintf(r->what, sizeof(r->what), "the walk counted %d, page_mapcount %d", tl->lw->count,
			 page_mapcount(tl->c->page));
	}
}

static void entry_what(const struct timeline *tl, const struct log_line *l, struct row *r)
{
	const struct log_entry *first = NULL;
	int more = 0;
	for (int i = 0; i < tl->log->nr_entries; i++) {
		const struct log_entry *e = &tl->log->entries[i];
		if (e->step != l->step || !about(e, tl->c))
			continue;
		if (first)
			more++;
		else
			first = e;
	}
	if (!first)
		return;
	struct strbuf words = { 0 };
	report_entry_words(first, &words);
	if (more)
		sb_printf(&words, " (and %d more)", more);
	r->mark = '*';
	snprintf(r->what, sizeof(r->what), "%s", sb_str(&words));
	sb_free(&words);
}

/* Another walk of the page: named where it takes its lock, not explained. */
static void other_walk_what(const struct timeline *tl, const struct log_line *l, struct row *r)
{
	for (int i = 0; i < tl->log->nr_walks; i++) {
		const struct log_walk *w = &tl->log->walks[i];
		if (w != tl->lw && w->step == l->step && w->task == l->task && w->page == tl->c->page)
			snprintf(r->what, sizeof(r->what), "%s took the lock (another walk)",
				 rmap_walk_kind_name(w->kind));
	}
}

/* stale-tlb: what the TLB of the stale entry's mm did at this step, and
 * the page's free. */
static void tlb_what(const struct timeline *tl, const struct log_line *l, struct row *r)
{
	const struct cause *c = tl->c;
	for (int i = 0; i < tl->log->nr_tlbs; i++) {
		const struct log_tlb *t = &tl->log->tlbs[i];
		char words[128] = "";
		char mark = 'T';
		if (t->step != l->step || t->task != l->task)
			continue;
		if (t->kind == LOG_PAGE_FREE && t->page == c->page) {
			snprintf(words, sizeof(words), "page %lu freed", c->page->id);
			mark = 'F';
		} else if (t->kind == LOG_TLB_FILL && t->mm == c->tlb_mm) {
			snprintf(words, sizeof(words), "mm%d's TLB took %#lx -> page %lu", t->mm, t->start,
				 t->page->id);
		} else if (t->kind == LOG_TLB_FLUSH && t->mm == c->tlb_mm) {
			snprintf(words, sizeof(words), "flushed mm%d [%#lx, %#lx)", t->mm, t->start, t->end);
		} else {
			continue;
		}
		size_t len = strlen(r->what);
		snprintf(r->what + len, sizeof(r->what) - len, "%s%s", len ? "; " : "", words);
		if (r->mark == ' ' || mark == 'F')
			r->mark = mark;
	}
}

static void row_what(const struct timeline *tl, const struct log_line *l, struct row *r)
{
	r->mark = ' ';
	r->what[0] = 0;
	if (l->kind == LINE_WAIT) {
		r->mark = '~';
		snprintf(r->what, sizeof(r->what), "%s", runlog_text(tl->log, l->text));
		return;
	}
	if (tl->lw)
		walk_what(tl, l, r);
	if (r->mark == ' ')
		entry_what(tl, l, r);
	if (!r->what[0])
		other_walk_what(tl, l, r);
	unsigned long vma;
	if (!r->what[0] && tl->lw && report_line_rekeys(tl->log, l, &vma) &&
	    runlog_plans(tl->log, tl->c->walk, vma))
		snprintf(r->what, sizeof(r->what), "vma%lu's vm_start moved, its vm_pgoff kept: "
			 "vma_address() moved with it", vma);
	if (!r->what[0] && l->step == tl->log->bug_step) {
		r->mark = '!';
		snprintf(r->what, sizeof(r->what), "the kernel's BUG_ON");
	}
	if (tl->c->tlb_mm >= 0)
		tlb_what(tl, l, r);
}

static void append_held(const struct timeline *tl, const struct log_held *h, struct row *r)
{
	size_t len = strlen(r->locks);
	if (len + 1 < sizeof(r->locks))
		snprintf(r->locks + len, sizeof(r->locks) - len, "%s%d: %s", len ? "  " : "", h->task,
			 runlog_text(tl->log, h->text));
}

/* "5: AV0(w)  4: mmap_sem0(w)": the columns' tasks first, in their order. */
static void row_locks(const struct timeline *tl, const struct log_line *l, struct row *r)
{
	const struct run_log *log = tl->log;
	r->locks[0] = 0;
	if (l->kind != LINE_WORK)
		return;
	for (int c = 0; c < tl->nr_cols; c++)
		for (int i = 0; i < log->nr_held; i++)
			if (log->held[i].step == l->step && log->held[i].task == tl->cols[c])
				append_held(tl, &log->held[i], r);
	for (int i = 0; i < log->nr_held; i++)
		if (log->held[i].step == l->step && column_of(tl, log->held[i].task) < 0)
			append_held(tl, &log->held[i], r);
}

static void gather(struct timeline *tl)
{
	const struct run_log *log = tl->log;
	tl->first = timeline_start(log, tl->c);
	for (int i = 0; i < log->nr_lines; i++)
		if (log->lines[i].kind == LINE_WORK && log->lines[i].step > tl->last)
			tl->last = log->lines[i].step;
	add_column(tl, tl->c->task);
	for (int i = 0; i < log->nr_lines; i++)
		if (log->lines[i].kind == LINE_WORK && in_range(tl, &log->lines[i]))
			add_column(tl, log->lines[i].task);
	for (int i = 0; i < log->nr_lines; i++) {
		const struct log_line *l = &log->lines[i];
		if (!in_range(tl, l) || column_of(tl, l->task) < 0)
			continue;
		if (tl->nr_rows == MAX_ROWS) {
			tl->left_out++;
			continue;
		}
		struct row *r = &tl->rows[tl->nr_rows++];
		r->line = l;
		row_what(tl, l, r);
		row_locks(tl, l, r);
	}
}

static int max_int(int a, int b) { return a > b ? a : b; }

static void pad(struct strbuf *out, const char *s, int width)
{
	sb_printf(out, "%-*s", width, s);
}

static void print_rows(const struct timeline *tl, struct strbuf *out)
{
	int width[MAX_COLS], what = (int)strlen("what the walk saw / what happened to the page");
	char head[MAX_COLS][64];

	for (int c = 0; c < tl->nr_cols; c++) {
		const char *op = "?";
		for (int i = 0; i < tl->nr_rows; i++)
			if (tl->rows[i].line->task == tl->cols[c])
				op = tl->rows[i].line->op;
		snprintf(head[c], sizeof(head[c]), "task %d %s", tl->cols[c], op);
		width[c] = (int)strlen(head[c]);
	}
	for (int i = 0; i < tl->nr_rows; i++) {
		int c = column_of(tl, tl->rows[i].line->task);
		width[c] = max_int(width[c], 2 + (int)strlen(tl->rows[i].line->name));
		what = max_int(what, (int)strlen(tl->rows[i].what));
	}
	sb_printf(out, "  step  ");
	for (int c = 0; c < tl->nr_cols; c++)
		pad(out, head[c], width[c] + 2);
	pad(out, "what the walk saw / what happened to the page", what + 2);
	sb_printf(out, "locks held after the step\n");
	for (int i = 0; i < tl->nr_rows; i++) {
		const struct row *r = &tl->rows[i];
		char step[16] = "";
		if (r->line->kind == LINE_WORK)
			snprintf(step, sizeof(step), "%lu", r->line->step);
		sb_printf(out, "  %-6s", step);
		for (int c = 0; c < tl->nr_cols; c++) {
			char cell[96] = "";
			if (tl->cols[c] == r->line->task)
				snprintf(cell, sizeof(cell), "%c %s", r->mark, r->line->name);
			pad(out, cell, width[c] + 2);
		}
		pad(out, r->what, what + 2);
		sb_printf(out, "%s", r->locks);
		while (out->len && out->buf[out->len - 1] == ' ')	/* no trailing blanks */
			out->buf[--out->len] = 0;
		sb_printf(out, "\n");
	}
	if (tl->left_out)
		sb_printf(out, "  ... %d row%s more: the interleaving below has every step\n",
			  tl->left_out, tl->left_out == 1 ? "" : "s");
}

static bool marked(const struct timeline *tl, char mark)
{
	for (int i = 0; i < tl->nr_rows; i++)
		if (tl->rows[i].mark == mark)
			return true;
	return false;
}

/* The legend: the marks the rows use, and how locks are named. */
static void print_timeline(const struct timeline *tl, struct strbuf *out)
{
	static const struct { char mark; const char *means; } marks[] = {
		{ '@', "a step of the walk" }, { '*', "a change of page %lu's entries" },
		{ '~', "a wait for a lock" }, { '!', "the BUG_ON" },
		{ 'T', "the stale TLB's fill or flush" }, { 'F', "page %lu freed" },
	};
	int n = 0;

	if (tl->first == tl->last)
		sb_printf(out, "\ntimeline, step %lu", tl->first);
	else
		sb_printf(out, "\ntimeline, steps %lu-%lu", tl->first, tl->last);
	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
		if (!marked(tl, marks[i].mark))
			continue;
		sb_printf(out, "%s%c ", n++ ? ", " : ": ", marks[i].mark);
		sb_printf(out, marks[i].means, tl->c->page ? tl->c->page->id : 0);
	}
	/* Before 3.8 the anon_vma lock was a mutex (the protocol says): no
	 * readers, so AVn(w) only. */
	sb_printf(out, ";\n  locks held after each step: AVn anon_vma n's %s, mmap_semN mmN's, "
		  "PTL(mm addr) a pmd's\n  page-table lock, PG_locked(page), (w) or (r) for write or "
		  "read%s\n", tl->av_mutex ? "mutex" : "rwsem",
		  tl->av_mutex ? " (a mutex: (w))" : "");
	print_rows(tl, out);
}

void report_timeline(const struct oracle *o, const struct cause *c, struct strbuf *out)
{
	struct timeline *tl;

	if (!c->task && !c->first)
		return;
	tl = calloc(1, sizeof(*tl));	/* some 100 KB of rows: not on the stack */
	if (!tl)
		abort();
	tl->log = o->log;
	tl->c = c;
	tl->lw = c->walk >= 0 ? &o->log->walks[c->walk] : NULL;
	tl->av_mutex = o->w->proto->anon_vma_mutex;
	gather(tl);
	if (tl->nr_rows)
		print_timeline(tl, out);
	free(tl);
}

/* --- the walk and the history ------------------------------------------ */

static void other_walks(const struct run_log *log, const struct cause *c, struct strbuf *out)
{
	bool any = false;
	int others = 0;
	for (int i = 0; i < log->nr_walks; i++)
		others += i != c->walk && log->walks[i].page == c->page;
	for (int i = 0; i < log->nr_walks; i++) {
		const struct log_walk *w = &log->walks[i];
		int visits = 0;
		if (i == c->walk || w->page != c->page)
			continue;
		if (!any)
			sb_printf(out, "%s of page %lu:\n", others == 1 ? "another walk" : "other walks",
				  c->page->id);
		any = true;
		sb_printf(out, "  %s by task %d, lock taken at step %lu", rmap_walk_kind_name(w->kind),
			  w->task, w->step);
		if (w->end)
			sb_printf(out, ", ended at step %lu", w->end);
		for (int v = 0; v < log->nr_visits; v++)
			if (log->visits[v].walk == i)
				sb_printf(out, "%s vma%lu %s", visits++ ? "," : ": visited", log->visits[v].vma,
					  log->visits[v].result ? "(found it)" : "(nothing)");
		sb_printf(out, "%s\n", visits ? "" : ": visited no vma");
	}
}

void report_walk(const struct oracle *o, const struct cause *c, struct strbuf *out)
{
	const struct run_log *log = o->log;
	if (c->walk < 0)
		return;
	const struct log_walk *lw = &log->walks[c->walk];
	const struct log_line *began = runlog_work(log, lw->step);
	const char *op = began ? began->op : report_walk_function(lw->kind);
	sb_printf(out, "\nthe walk: %s of page %lu (index %#lx, anon_vma %lu) by task %d",
		  rmap_walk_kind_name(lw->kind), lw->page->id, lw->pgoff, lw->anon_vma, lw->task);
	if (strcmp(op, report_walk_function(lw->kind)))
		sb_printf(out, " (%s)", op);
	sb_printf(out, ", lock taken at step %lu: %s\n", lw->step,
		  lw->nr ? runlog_text(log, lw->plan) : "no vma to visit");
	for (int i = 0; i < log->nr_visits; i++) {
		if (log->visits[i].walk != c->walk)
			continue;
		sb_printf(out, "  step %-4lu ", log->visits[i].step);
		visit_words(log, &log->visits[i], out);
		sb_printf(out, "\n");
	}
	/* The walk that broke is the oracle's; a kernel BUG's is the cause's. */
	const struct page *page = o->page ? o->page : c->page;
	if (is_split(lw->kind) && page)
		sb_printf(out, "  counted %d, page_mapcount %d\n", o->walk ? o->walk->count : lw->count,
			  page_mapcount(page));
	other_walks(log, c, out);
}

static void history_entry(const struct run_log *log, const struct log_entry *e, struct strbuf *out)
{
	sb_printf(out, "  step %-4lu %s (task %d, %s) ", e->step,
		  runlog_function(log, e->step, e->task, e->op), e->task, e->op);
	report_entry_words(e, out);
	entry_locks(e, out);
	sb_printf(out, "\n");
}

/* stale-tlb: a TLB record of the history (the stale mm's fills and
 * flushes, the page's free), or false. */
static bool history_tlb(const struct run_log *log, const struct cause *c, const struct log_tlb *t,
			struct strbuf *out)
{
	if (t->kind == LOG_PAGE_FREE ? t->page != c->page : t->mm != c->tlb_mm ||
	    (t->kind == LOG_TLB_FILL && t->page->head != c->page->head))
		return false;
	sb_printf(out, "  step %-4lu %s (task %d, %s) ", t->step,
		  runlog_function(log, t->step, t->task, t->op), t->task, t->op);
	if (t->kind == LOG_TLB_FILL)
		sb_printf(out, "mm%d's TLB took %#lx -> page %lu%s\n", t->mm, t->start, t->page->id,
			  t->huge ? " (a huge entry)" : "");
	else if (t->kind == LOG_TLB_FLUSH)
		sb_printf(out, "%s flushed mm%d [%#lx, %#lx)\n", t->why, t->mm, t->start, t->end);
	else
		sb_printf(out, "%s freed page %lu\n", t->why, t->page->id);
	return true;
}

void report_history(const struct oracle *o, const struct cause *c, struct strbuf *out)
{
	const struct run_log *log = o->log;
	int v = 0, k = 0;

	if (!c->page)
		return;
	sb_printf(out, "\nhistory of page %lu's entries%s%s:\n", c->page->id,
		  c->walk >= 0 ? ", with the walk's visits" : "",
		  c->tlb_mm >= 0 ? ", the TLB of its stale entry and its free" : "");
	for (int i = 0; i <= log->nr_entries; i++) {
		const struct log_entry *e = i < log->nr_entries ? &log->entries[i] : NULL;
		if (e && !about(e, c))
			continue;
		for (; v < log->nr_visits && (!e || log->visits[v].step <= e->step); v++) {
			if (log->visits[v].walk != c->walk)
				continue;
			sb_printf(out, "  step %-4lu   walk ", log->visits[v].step);
			visit_words(log, &log->visits[v], out);
			sb_printf(out, "\n");
		}
		for (; c->tlb_mm >= 0 && k < log->nr_tlbs && (!e || log->tlbs[k].step <= e->step); k++)
			history_tlb(log, c, &log->tlbs[k], out);
		if (e)
			history_entry(log, e, out);
	}
}

/* --- the interleaving -------------------------------------------------- */

void report_lines(const struct run_log *log, struct strbuf *out)
{
	/* The operation's column as wide as its longest name here, so that
	 * split_huge_page's rows line up with the others'. */
	int width = 14;
	for (int i = 0; i < log->nr_lines; i++)
		if (log->lines[i].kind != LINE_NOTE && (int)strlen(log->lines[i].op) > width)
			width = (int)strlen(log->lines[i].op);
	for (int i = 0; i < log->nr_lines; i++) {
		const struct log_line *l = &log->lines[i];
		char step[16];
		if (l->kind == LINE_NOTE) {
			sb_printf(out, "  %s\n", runlog_text(log, l->text));
			continue;
		}
		if (l->kind == LINE_WORK)
			snprintf(step, sizeof(step), "step %lu", l->step);
		else
			snprintf(step, sizeof(step), "%s", l->kind == LINE_CONTROL ? ">" :
				 l->kind == LINE_WAIT ? "~" : "?");
		sb_printf(out, "  %-9s task %d %-*s %s: %s\n", step, l->task, width, l->op, l->name,
			  runlog_text(log, l->text));
	}
}

void report_interleaving(const struct run_log *log, struct strbuf *out)
{
	sb_printf(out, "\ninterleaving as executed (> a call or return made before a step's work, ~ an "
		  "attempt that\nwaited for a lock and ran nothing):\n");
	report_lines(log, out);
}
