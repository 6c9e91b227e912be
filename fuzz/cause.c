/* The report's second line: who vs who, and what one did to the other.
 *
 * It is derived from the log, never from the protocol's name: the walk's
 * plan and visits, the history of the page's entries, and the steps' kernel
 * functions. A missed entry is traced back to the change that put it where
 * the walk had already been (a move or fork's copy behind the walk), or
 * that held it where the walk could not see it (a move in flight under
 * page-table locks an unlocked peek does not take); a count short of
 * page_mapcount to the zap the walk fell into; a vma the walk does not
 * visit, or an anon_vma freed under a mapped page, to the munmap that
 * unlinked a vma before zapping it. What the log cannot tell, the line says.
 */
#include "report.h"

#include <stdio.h>
#include <string.h>

#include "anon_vma.h"
#include "mm.h"
#include "page.h"
#include "world.h"

struct why {
	const struct oracle *o;
	const struct run_log *log;
	const struct log_walk *lw;	/* the walk that broke, NULL: none */
	struct cause *c;
	struct strbuf *out;
};

/* The sentence's parts in step order: a visit, a change, a visit. */
struct clause {
	unsigned long step;
	char text[320];
};

static void first_step(struct why *y, unsigned long step)
{
	if (step && (!y->c->first || step < y->c->first))
		y->c->first = step;
}

/* The kernel function whose step made change e. */
static const char *function_of(const struct why *y, const struct log_entry *e)
{
	return runlog_function(y->log, e->step, e->task, e->op);
}

static const struct log_visit *walk_visit(const struct why *y, int mm, unsigned long addr)
{
	return y->lw ? runlog_visit_at(y->log, y->c->walk, mm, addr) : NULL;
}

/* "vma1": the vma the walk visited at that address, else the one there
 * now (mapped or being unmapped), else the address. */
static void vma_label(const struct why *y, int mm, unsigned long addr, char *buf, size_t size)
{
	const struct log_visit *v = walk_visit(y, mm, addr);
	const struct vm_area_struct *vma = NULL;

	if (v) {
		snprintf(buf, size, "vma%lu", v->vma);
		return;
	}
	if (mm >= 0 && mm < y->o->w->nr_mm)
		vma = vma_covering(y->o->w->mm[mm], addr);
	if (vma)
		snprintf(buf, size, "vma%lu", vma->id);
	else
		snprintf(buf, size, "mm%d %#lx", mm, addr);
}

static void walker(const struct why *y)
{
	sb_printf(y->out, "%s (task %d)", report_walk_function(y->lw->kind), y->lw->task);
}

static void join_clauses(struct why *y, struct clause *cl, int n)
{
	for (int i = 1; i < n; i++)	/* five at most: insertion sort */
		for (int j = i; j > 0 && cl[j].step < cl[j - 1].step; j--) {
			struct clause t = cl[j];
			cl[j] = cl[j - 1];
			cl[j - 1] = t;
		}
	for (int i = 0; i < n; i++) {
		sb_printf(y->out, "%s%s", i ? ", " : "", cl[i].text);
		first_step(y, cl[i].step);
	}
}

/* Did e put the entry at (mm, addr), or is it taking it there? */
static bool lands_at(const struct log_entry *e, int mm, unsigned long addr)
{
	switch (e->change) {
	case ENTRY_TAKE:
		return e->from_mm == mm && e->from == addr;
	case ENTRY_SET:
	case ENTRY_COPY:
	case ENTRY_MOVE:
	case ENTRY_MIGRATION:
	case ENTRY_PROTECT:
		return e->mm == mm && e->addr == addr;
	default:
		return false;
	}
}

static const struct log_entry *last_landing(const struct why *y, int mm, unsigned long addr)
{
	const struct log_entry *found = NULL;
	for (int i = 0; i < y->log->nr_entries; i++) {
		const struct log_entry *e = &y->log->entries[i];
		if (runlog_entry_of(e, y->c->page) && lands_at(e, mm, addr))
			found = e;
	}
	return found;
}

/* The first half of move (or protection change) e: its take of the entry. */
static const struct log_entry *take_of(const struct why *y, const struct log_entry *move)
{
	const struct log_entry *found = NULL;
	for (int i = 0; i < y->log->nr_entries && y->log->entries[i].step <= move->step; i++) {
		const struct log_entry *e = &y->log->entries[i];
		if (e->change == ENTRY_TAKE && e->task == move->task && e->mm == move->from_mm &&
		    e->addr == move->from && e->from_mm == move->mm && e->from == move->addr)
			found = e;
	}
	return found;
}

static bool is_copy(const struct log_entry *e)
{
	return e->change == ENTRY_COPY || (e->change == ENTRY_MIGRATION && e->from_mm >= 0);
}

/* How the walk looked at a vma: "visited" under the page-table lock,
 * "visited" and found no pte table (the pmd look every kernel makes before
 * that lock), or "peeked at" without the lock; *note (if note) ends the
 * clause. */
static const char *visit_verb(const struct why *y, const struct log_visit *v, const char **note)
{
	bool no_table = report_visit_no_table(y->log, v);
	if (note)
		*note = v->locked ? "" : no_table ? " and found no pte table"
				  : " without the page-table lock";
	return v->locked || no_table ? "visited" : "peeked at";
}

static void visit_clause(const struct why *y, const struct log_visit *v, struct clause *cl)
{
	const char *note, *verb = visit_verb(y, v, &note);
	cl->step = v->step;
	snprintf(cl->text, sizeof(cl->text), "the walk %s vma%lu at step %lu%s", verb, v->vma,
		 v->step, note);
}

/* The walk met the destination before the entry got there, the source
 * after it had left (a move) or before the copy counted (a copy). */
static void behind_the_walk(struct why *y, const struct log_entry *e)
{
	const struct log_entry *take = e->change == ENTRY_MOVE ? take_of(y, e) : NULL;
	unsigned long from = take ? take->step : e->step;
	char src[32], dst[32], steps[32];
	struct clause cl[3];
	int n = 0;

	vma_label(y, e->from_mm, e->from, src, sizeof(src));
	vma_label(y, e->mm, e->addr, dst, sizeof(dst));
	if (from < e->step)
		snprintf(steps, sizeof(steps), "steps %lu-%lu", from, e->step);
	else
		snprintf(steps, sizeof(steps), "step %lu", from);
	walker(y);
	sb_printf(y->out, " vs %s (task %d): ", function_of(y, e), e->task);
	y->c->other = e->task;
	cl[n].step = from;
	snprintf(cl[n++].text, sizeof(cl[0].text), "the %s %s %s -> %s at %s %s the anon_vma lock",
		 e->noun, is_copy(e) ? "was copied" : "moved", src, dst, steps,
		 e->locked ? "under" : "without");
	const struct log_visit *dv = walk_visit(y, e->mm, e->addr);
	const struct log_visit *sv = walk_visit(y, e->from_mm, e->from);
	if (dv)
		visit_clause(y, dv, &cl[n++]);
	if (sv)
		visit_clause(y, sv, &cl[n++]);
	join_clauses(y, cl, n);
	if (!dv)
		sb_printf(y->out, ", and the walk does not visit %s", dst);
}

/* Did the walk look at the move's source or destination after its take,
 * before its set (landed; 0: it never landed)? */
static bool in_window(const struct why *y, const struct log_visit *v, const struct log_entry *take,
		      unsigned long landed)
{
	return v->walk == y->c->walk && v->step > take->step && (!landed || v->step < landed) &&
	       ((v->mm == take->mm && v->addr == take->addr) ||
		(v->mm == take->from_mm && v->addr == take->from));
}

static bool looked_in_flight(const struct why *y, const struct log_entry *take,
			     unsigned long landed)
{
	for (int i = 0; i < y->log->nr_visits; i++)
		if (in_window(y, &y->log->visits[i], take, landed))
			return true;
	return false;
}

/* A move between its take and its set: both page-table locks are held,
 * so only a walk that does not take them looks in the window. A change of
 * protection takes the entry out and sets it back in place, under its
 * one page-table lock. */
static void in_flight(struct why *y, const struct log_entry *take, unsigned long landed)
{
	char src[32], dst[32];
	int looked = 0;
	bool was_locked = false, protect = runlog_protect_take(take);

	vma_label(y, take->mm, take->addr, src, sizeof(src));
	vma_label(y, take->from_mm, take->from, dst, sizeof(dst));
	walker(y);
	y->c->other = take->task;
	if (protect)
		sb_printf(y->out, " vs %s (task %d): the %s of %s was taken out at step %lu to change "
			  "its protection, under its page-table lock, and the walk", function_of(y, take),
			  take->task, take->noun, src, take->step);
	else
		sb_printf(y->out, " vs %s (task %d): the %s left %s for %s at step %lu under both "
			  "page-table locks, and the walk", function_of(y, take),
			  take->task, take->noun, src, dst, take->step);
	first_step(y, take->step);
	for (int i = 0; i < y->log->nr_visits; i++) {
		const struct log_visit *v = &y->log->visits[i];
		if (!in_window(y, v, take, landed))
			continue;
		const char *verb = v->locked ? "visited" : "peeked at";
		if (!looked)
			sb_printf(y->out, " %s", verb);
		else if (v->locked != was_locked)
			sb_printf(y->out, " and %s", verb);
		else
			sb_printf(y->out, " and%s", v->locked ? "" : " at");
		sb_printf(y->out, " vma%lu at step %lu", v->vma, v->step);
		was_locked = v->locked;
		looked++;
	}
	if (protect)
		sb_printf(y->out, looked ? " without it while it was out" : " ended while it was out");
	else
		sb_printf(y->out, looked ? " without them while it was in flight"
				  : " ended while it was in flight");
	if (landed)
		sb_printf(y->out, protect ? "; it was set back at step %lu" : "; it landed at step %lu",
			  landed);
}

bool report_line_rekeys(const struct run_log *log, const struct log_line *l, unsigned long *vma)
{
	unsigned long start, end, pgoff, start2, end2, pgoff2;
	return l->kind == LINE_WORK && !strcmp(l->name, "vma_adjust") &&
	       sscanf(runlog_text(log, l->text), "vma%lu [%lx, %lx) pgoff %lx -> [%lx, %lx) pgoff %lx",
		      vma, &start, &end, &pgoff, &start2, &end2, &pgoff2) == 7 &&
	       start2 != start && pgoff2 == pgoff;
}

/* Such a vma_adjust of vma between two steps. */
static const struct log_line *rekeyed(const struct run_log *log, unsigned long vma,
				      unsigned long after, unsigned long before)
{
	for (int i = 0; i < log->nr_lines && log->lines[i].step < before; i++) {
		const struct log_line *l = &log->lines[i];
		unsigned long id;
		if (l->step > after && report_line_rekeys(log, l, &id) && id == vma)
			return l;
	}
	return NULL;
}

/* The walk visited the entry's vma, but at another address: between the
 * entry's landing and the visit a vma_adjust moved vm_start and not
 * vm_pgoff (exec's shift_arg_pages), so vma_address() named another place. */
static bool looked_elsewhere(struct why *y, int mm, unsigned long addr, const struct log_entry *e)
{
	const struct vm_area_struct *vma = vma_covering(y->o->w->mm[mm], addr);
	if (!vma || !e)
		return false;
	for (int i = 0; i < y->log->nr_visits; i++) {
		const struct log_visit *v = &y->log->visits[i];
		const struct log_line *a;
		if (v->walk != y->c->walk || v->vma != vma->id || v->addr == addr ||
		    !(a = rekeyed(y->log, vma->id, e->step, v->step)))
			continue;
		struct clause cl[3] = { { e->step, "" }, { a->step, "" }, { v->step, "" } };
		walker(y);
		sb_printf(y->out, " vs %s (task %d): ", a->op, a->task);
		y->c->other = a->task;
		snprintf(cl[0].text, sizeof(cl[0].text), "the %s was put at mm%d %#lx at step %lu (%s)",
			 e->noun, mm, addr, e->step, function_of(y, e));
		snprintf(cl[1].text, sizeof(cl[1].text), "vma_adjust moved vma%lu's vm_start and kept "
			 "its vm_pgoff at step %lu", vma->id, a->step);
		snprintf(cl[2].text, sizeof(cl[2].text), "the walk %s vma%lu at step %lu at %#lx, where "
			 "vma_address() now put the page%s", visit_verb(y, v, NULL), vma->id, v->step,
			 v->addr,
			 report_visit_no_table(y->log, v) ? ", and found no pte table there" : "");
		join_clauses(y, cl, 3);
		return true;
	}
	return false;
}

static void missed_entry(struct why *y)
{
	int mm = y->o->missed.mm;
	unsigned long addr = y->o->missed.addr;
	const struct log_entry *e = last_landing(y, mm, addr);
	const struct log_entry *take =
		e && (e->change == ENTRY_MOVE || e->change == ENTRY_PROTECT) ? take_of(y, e) : NULL;

	if (e && e->change == ENTRY_TAKE) {
		in_flight(y, e, 0);
	} else if (take && looked_in_flight(y, take, e->step)) {
		in_flight(y, take, e->step);
	} else if (e && e->step > y->lw->step && e->from_mm >= 0 && e->change != ENTRY_PROTECT) {
		behind_the_walk(y, e);
	} else if (!looked_elsewhere(y, mm, addr, e)) {
		walker(y);
		sb_printf(y->out, " missed the entry at mm%d %#lx", mm, addr);
		if (e)
			sb_printf(y->out, ", there since step %lu (%s, task %d) before the walk took the "
				  "lock at step %lu", e->step, function_of(y, e),
				  e->task, y->lw->step);
		sb_printf(y->out, "; no other task's change explains it: the other side is not known");
	}
}

/* The vma an unlink_anon_vmas step took out of the anon_vma index: its
 * trace (core/munmap.c) names it first. */
static bool unlink_step(const struct run_log *log, const struct log_line *l, unsigned long *vma)
{
	return l->kind == LINE_WORK && !strcmp(l->name, "unlink_anon_vmas") &&
	       sscanf(runlog_text(log, l->text), "vma%lu", vma) == 1;
}

/* The munmap step that took vma out of the anon_vma index before step. */
static const struct log_line *unlink_of(const struct run_log *log, unsigned long vma,
					unsigned long before)
{
	const struct log_line *found = NULL;
	unsigned long id;

	for (int i = 0; i < log->nr_lines && log->lines[i].step < before; i++)
		if (unlink_step(log, &log->lines[i], &id) && id == vma)
			found = &log->lines[i];
	return found;
}

static void unlinked_first(struct why *y, const struct log_line *u, unsigned long vma)
{
	sb_printf(y->out, " vs %s (task %d): its do_munmap unlinked vma%lu at step %lu before "
		  "zapping it", u->op, u->task, vma, u->step);
	y->c->other = u->task;
	first_step(y, u->step);
}

static void counts(const struct why *y)
{
	sb_printf(y->out, ": counted %d, page_mapcount %d", y->lw->count, page_mapcount(y->c->page));
}

/* A zap's (or a COW's) take of page not yet followed by its page_remove_rmap. */
static const struct log_entry *pending_zap(const struct run_log *log, const struct page *page)
{
	const struct log_entry *zap = NULL;
	for (int i = 0; i < log->nr_entries; i++) {
		const struct log_entry *e = &log->entries[i];
		if (!runlog_entry_of(e, page))
			continue;
		if (e->change == ENTRY_TAKE && e->from_mm < 0)
			zap = e;
		else if (zap && e->change == ENTRY_CLEAR && e->task == zap->task && e->mm == zap->mm &&
			 e->addr == zap->addr)
			zap = NULL;
	}
	return zap;
}

static void short_count(struct why *y)
{
	const struct log_entry *zap = pending_zap(y->log, y->c->page);
	const struct log_visit *v = zap ? walk_visit(y, zap->mm, zap->addr) : NULL;
	const struct vm_area_struct *vma = zap ? vma_covering(y->o->w->mm[zap->mm], zap->addr) : NULL;
	const struct log_line *u = vma ? unlink_of(y->log, vma->id, y->lw->step) : NULL;

	walker(y);
	if (v && v->step > zap->step) {
		const char *note, *verb = visit_verb(y, v, &note);
		sb_printf(y->out, " vs %s (task %d): the %s cleared the %s of vma%lu at step %lu and "
			  "drops the page's mapcount only at its next step%s, and the walk %s vma%lu at "
			  "step %lu, in between%s%s", function_of(y, zap), zap->task,
			  runlog_entry_by_cow(zap) ? "COW" : "zap", zap->noun, v->vma, zap->step,
			  runlog_entry_by_cow(zap) ? ", after it maps the copy" : "", verb, v->vma,
			  v->step, *note ? "," : "", note);
		y->c->other = zap->task;
		first_step(y, zap->step);
	} else if (u) {
		unlinked_first(y, u, vma->id);
		sb_printf(y->out, ", the %s cleared the %s at step %lu and had not dropped the page's "
			  "mapcount when the walk took the lock at step %lu without vma%lu",
			  runlog_entry_by_cow(zap) ? "COW" : "zap", zap->noun, zap->step, y->lw->step,
			  vma->id);
	} else {
		sb_printf(y->out, " missed a mapping no logged change explains: the other side is not "
			  "known");
	}
	counts(y);
}

/* "exit_mmap (task 14) in unlink_anon_vmas at step 61" */
static void step_words(const struct why *y, unsigned long step, char *buf, size_t size)
{
	const struct log_line *l = runlog_work(y->log, step);
	if (l)
		snprintf(buf, size, "%s (task %d) in %s at step %lu", l->op, l->task, l->name, step);
	else
		snprintf(buf, size, "step %lu", step);
}

/* The first end-of-run check (runlog.h's log_broken) that failed before
 * step, NULL when none did. */
static const struct log_broken *first_broken(const struct run_log *log, unsigned long step)
{
	const struct log_broken *first = NULL;
	for (int i = 0; i < log->nr_broken; i++)
		if (log->broken[i].step < step && (!first || log->broken[i].step < first->step))
			first = &log->broken[i];
	return first;
}

static void missed_vma(struct why *y)
{
	unsigned long vma = (unsigned long)y->o->missed.vma;
	const struct log_line *u = unlink_of(y->log, vma, y->lw->step);

	walker(y);
	if (u) {
		unlinked_first(y, u, vma);
		sb_printf(y->out, ", and the walk took the lock at step %lu while vma%lu still mapped "
			  "the page at mm%d %#lx: it will not visit vma%lu", y->lw->step, vma,
			  y->o->missed.mm, y->o->missed.addr, vma);
	} else {
		const struct log_broken *b = first_broken(y->log, y->lw->step);
		sb_printf(y->out, " took the lock at step %lu while vma%lu mapped the page at mm%d "
			  "%#lx, and vma%lu is not in the anon_vma's index", y->lw->step, vma,
			  y->o->missed.mm, y->o->missed.addr, vma);
		if (b) {
			char words[160];
			step_words(y, b->step, words, sizeof(words));
			sb_printf(y->out, ": %s had broken %s (%s)", words, b->invariant, b->message);
			first_step(y, b->step);
			/* Its task's earlier steps (the vma_adjust that grew
			 * the vma) belong on the timeline too. */
			const struct log_line *l = runlog_work(y->log, b->step);
			if (l)
				y->c->other = l->task;
		} else
			sb_printf(y->out, "; which task's step took it out is not known");
	}
	first_step(y, y->lw->step);
}

/* A page still counted as mapped although its anon_vma died. */
static const struct page *orphan_page(const struct world *w)
{
	for (int b = 0; b < w->nr_page_blocks; b++)
		for (int i = 0; i < w->page_blocks[b]->nr; i++) {
			const struct page *page = &w->page_blocks[b][i];
			if (page_mapped(page) && page->mapping && page->mapping->dead)
				return page;
		}
	return NULL;
}

static bool maps(const struct pmd *pmd, int p, const struct page *page)
{
	if (p < 0)
		return pmd->kind == PMD_HUGE && pmd->page == page;
	return pmd->kind == PMD_TABLE && pmd->pte[p].kind == PTE_PRESENT && pmd->pte[p].page == page;
}

/* Where page is mapped still: an entry of it, or the zap that cleared
 * its last one and has not dropped its mapcount yet. */
static void still_mapped(const struct why *y, const struct page *page)
{
	const struct world *w = y->o->w;
	const struct log_entry *zap = pending_zap(y->log, page);

	for (int i = 0; i < w->nr_mm; i++)
		for (unsigned long slot = 0; slot < NR_PMDS; slot++)
			for (int p = -1; p < PTRS_PER_PTE; p++)
				if (maps(&w->mm[i]->pmd[slot], p, page)) {
					sb_printf(y->out, "was still mapped at mm%d %#lx", w->mm[i]->id,
						  (slot << PMD_SHIFT) + (p > 0 ? (unsigned long)p << PAGE_SHIFT : 0));
					return;
				}
	if (zap)
		sb_printf(y->out, "still counted its %s mm%d %#lx, %s at step %lu before its mapcount "
			  "dropped", zap->noun, zap->mm, zap->addr,
			  runlog_entry_by_cow(zap) ? "cleared by a COW" : "zapped", zap->step);
	else
		sb_printf(y->out, "was still counted as mapped");
}

static const struct vm_area_struct *vma_by_id(const struct world *w, unsigned long id)
{
	for (int i = 0; i < w->nr_mm; i++) {
		const struct vm_area_struct *lists[] = { w->mm[i]->mmap, w->mm[i]->detached };
		for (int l = 0; l < 2; l++)
			for (const struct vm_area_struct *v = lists[l]; v; v = v->vm_next)
				if (v->id == id)
					return v;
	}
	return NULL;
}

/* The unlink that freed page's anon_vma: the last one before the BUG of
 * a vma whose own anon_vma it was. */
static const struct log_line *freeing_unlink(const struct why *y, const struct page *page,
					     unsigned long *vma)
{
	const struct log_line *found = NULL;
	unsigned long id;

	for (int i = 0; i < y->log->nr_lines && y->log->lines[i].step < y->log->bug_step; i++) {
		const struct vm_area_struct *v;
		if (unlink_step(y->log, &y->log->lines[i], &id) && (v = vma_by_id(y->o->w, id)) &&
		    v->anon_vma == page->mapping) {
			found = &y->log->lines[i];
			*vma = id;
		}
	}
	return found;
}

/* The kernel function that BUGs: the message's "function: ..." prefix. */
static void bug_function(const char *message, const char *or, char *buf, size_t size)
{
	size_t n = strcspn(message, ": ");
	if (message[n] == ':' && n > 0 && n < size)
		snprintf(buf, size, "%.*s", (int)n, message);
	else
		snprintf(buf, size, "%s", or);
}

/* The zap whose VM_BUG_ON_PAGE(!PageHead) fired: its last take of a huge
 * pmd and the page_remove_rmap after it; the split walk that peeked there
 * meanwhile, and the step it split the compound page. */
static bool split_during_zap(struct why *y, const struct log_line *bug)
{
	const struct run_log *log = y->log;
	const struct log_entry *take = NULL, *clear = NULL;
	for (int i = 0; i < log->nr_entries; i++) {
		const struct log_entry *e = &log->entries[i];
		if (e->task != bug->task || !e->huge)
			continue;
		if (e->change == ENTRY_TAKE && e->from_mm < 0)
			take = e, clear = NULL;
		else if (take && e->change == ENTRY_CLEAR && e->addr == take->addr)
			clear = e;
	}
	int walk = -1;
	for (int i = 0; take && i < log->nr_walks; i++)
		if (log->walks[i].kind == WALK_SPLIT_PASS1 && log->walks[i].page == take->page)
			walk = i;
	const struct log_visit *v = walk >= 0 ? runlog_visit_at(log, walk, take->mm, take->addr) : NULL;
	const struct log_line *split = NULL;
	for (int i = 0; v && clear && i < log->nr_lines && !split; i++) {
		const struct log_line *l = &log->lines[i];
		if (l->kind == LINE_WORK && l->task == log->walks[walk].task && l->step > clear->step &&
		    !strcmp(l->name, "__split_huge_page"))
			split = l;
	}
	if (!split || v->step < take->step)
		return false;
	y->c->walk = walk;
	y->c->page = take->page;
	struct clause cl[5] = {
		{ take->step, "" }, { v->step, "" }, { clear->step, "" }, { split->step, "" },
		{ bug->step, "" },
	};
	snprintf(cl[0].text, sizeof(cl[0].text), "the zap cleared the huge pmd of vma%lu at step %lu",
		 v->vma, take->step);
	visit_clause(y, v, &cl[1]);
	snprintf(cl[2].text, sizeof(cl[2].text), "the zap dropped the page's mapcount at step %lu",
		 clear->step);
	snprintf(cl[3].text, sizeof(cl[3].text), "the split found its count equal to page_mapcount "
		 "and split the compound page at step %lu", split->step);
	snprintf(cl[4].text, sizeof(cl[4].text), "the zap's VM_BUG_ON_PAGE(!PageHead) fired at step %lu",
		 bug->step);
	sb_printf(y->out, "%s (task %d) vs split_huge_page (task %d): ", function_of(y, take),
		  take->task, log->walks[walk].task);
	y->c->other = log->walks[walk].task;
	join_clauses(y, cl, 5);
	return true;
}

static void kernel_bug(struct why *y)
{
	const struct log_line *bug = runlog_work(y->log, y->log->bug_step);
	const struct page *page = orphan_page(y->o->w);
	unsigned long vma = 0;
	const struct log_line *u = page ? freeing_unlink(y, page, &vma) : NULL;
	char function[64];

	if (!bug) {
		sb_printf(y->out, "the modelled kernel hit a BUG_ON outside any logged step: the sides "
			  "are not known");
		return;
	}
	y->c->task = bug->task;
	y->c->page = page;
	first_step(y, bug->step);
	if (!strncmp(y->o->w->halt_message, "zap_huge_pmd: VM_BUG_ON_PAGE", 28) &&
	    split_during_zap(y, bug))
		return;
	bug_function(y->o->w->halt_message, bug->name, function, sizeof(function));
	sb_printf(y->out, "%s (task %d)", bug->op, bug->task);
	if (u) {
		unlinked_first(y, u, vma);
		sb_printf(y->out, ", which freed anon_vma %lu while page %lu ", page->mapping->id, page->id);
		still_mapped(y, page);
		sb_printf(y->out, ", and %s found it freed at step %lu", function, bug->step);
	} else {
		sb_printf(y->out, " hit a BUG_ON of the modelled kernel in %s at step %lu; which other "
			  "task's step led there is not known", function, bug->step);
	}
}

/* --- stale-tlb: a page freed while a TLB still translated to it --- */

static bool same_thp(const struct page *a, const struct page *b) { return a->head == b->head; }

/* Does a TLB entry at addr (4 KB, or a huge one at its pmd) cover mm's x? */
static bool covers(const struct log_tlb *t, int mm, unsigned long x)
{
	return t->mm == mm && t->start <= x && x < t->end;
}

/* An entry change that takes the page's translation away from (mm, addr):
 * a move's or zap's take, a zap's or COW's clear, a migration entry. */
static bool removes(const struct log_entry *e, int mm, unsigned long start, unsigned long end)
{
	bool here = e->mm == mm && e->addr >= start && e->addr < end;
	switch (e->change) {
	case ENTRY_TAKE:
		return here && !runlog_protect_take(e);
	case ENTRY_CLEAR:
		return here && !e->huge;	/* a huge zap's take came first */
	case ENTRY_MIGRATION:
		return here && e->from_mm < 0;
	default:
		return false;
	}
}

/* The first removal of the page's translation in [start, end) of mm after
 * step from, by task (any task when 0). */
static const struct log_entry *removal(const struct why *y, int mm, unsigned long start,
				       unsigned long end, unsigned long from, int task)
{
	for (int i = 0; i < y->log->nr_entries; i++) {
		const struct log_entry *e = &y->log->entries[i];
		if (e->step > from && same_thp(e->page, y->c->page) && (!task || e->task == task) &&
		    removes(e, mm, start, end))
			return e;
	}
	return NULL;
}

/* The flushes task made of mm in steps [from, to], as words: "flushing
 * only mm0 [0x8000, 0x9000)", or that it made none. */
static void flushes_of(const struct why *y, int task, int mm, unsigned long x, unsigned long from,
		       unsigned long to, const char *function, char *buf, size_t size)
{
	size_t n = 0;
	int count = 0;
	buf[0] = 0;
	for (int i = 0; i < y->log->nr_tlbs && n + 1 < size; i++) {
		const struct log_tlb *t = &y->log->tlbs[i];
		if (t->kind != LOG_TLB_FLUSH || t->task != task || t->mm != mm || t->step < from ||
		    t->step > to)
			continue;
		n += (size_t)snprintf(buf + n, size - n, "%s mm%d [%#lx, %#lx) by %s at step %lu",
				      count++ ? " and" : ", flushing only", mm, t->start, t->end, t->why,
				      t->step);
	}
	if (count)
		return;
	/* The move's flush is the one that comes late (7b6efc2bc4f1's, after
	 * the loop): name it, it is the one a fix moves. */
	if (!strcmp(function, "move_ptes") || !strcmp(function, "move_huge_pmd"))
		snprintf(buf, size, ", and dropped its page-table locks with no flush of mm%d %#lx: "
			 "move_page_tables flushes the old range only after its loop", mm, x);
	else
		snprintf(buf, size, ", with no flush of mm%d %#lx before the free", mm, x);
}

/* "made the pte at mm0 0 a migration entry", "zapped the pte at ...". */
static void unmapped_words(const struct why *y, const struct log_entry *e, char *buf, size_t size)
{
	if (e->change == ENTRY_MIGRATION)
		snprintf(buf, size, "%s (task %d) made the pte at mm%d %#lx a migration entry at step %lu",
			 function_of(y, e), e->task, e->mm, e->addr, e->step);
	else
		snprintf(buf, size, "%s (task %d) %s the %s at mm%d %#lx at step %lu", function_of(y, e),
			 e->task, runlog_entry_by_cow(e) ? "cleared for its copy" : "zapped", e->noun,
			 e->mm, e->addr, e->step);
}

/* The move that landed the page's entry in [start, end) of mm before step. */
static const struct log_entry *landing(const struct why *y, int mm, unsigned long start,
				       unsigned long end, unsigned long before)
{
	const struct log_entry *found = NULL;
	for (int i = 0; i < y->log->nr_entries && y->log->entries[i].step < before; i++) {
		const struct log_entry *e = &y->log->entries[i];
		if (e->change == ENTRY_MOVE && same_thp(e->page, y->c->page) && e->mm == mm &&
		    e->addr >= start && e->addr < end)
			found = e;
	}
	return found;
}

static void move_clause(const struct why *y, const struct log_entry *move, struct clause *cl)
{
	const struct log_entry *take = take_of(y, move);
	unsigned long from = take ? take->step : move->step;
	char steps[32];
	if (from < move->step)
		snprintf(steps, sizeof(steps), "steps %lu-%lu", from, move->step);
	else
		snprintf(steps, sizeof(steps), "step %lu", from);
	const char *function = function_of(y, move);
	cl->step = from;
	snprintf(cl->text, sizeof(cl->text), "%s (task %d) moved the %s mm%d %#lx -> mm%d %#lx%s at %s "
		 "%s the anon_vma lock", function, move->task, move->noun, move->from_mm, move->from,
		 move->mm, move->addr,
		 !strcmp(function, "move_normal_pmd") ? " with its whole pte table and the table's lock" : "",
		 steps, move->locked ? "under" : "without");
}

static void stale_tlb(struct why *y)
{
	const struct run_log *log = y->log;
	int mm = y->o->missed.mm;
	unsigned long x = y->o->missed.addr;
	const struct log_tlb *freed = NULL, *fill = NULL;
	struct clause cl[5];
	int n = 0;

	for (int i = 0; i < log->nr_tlbs; i++)
		if (log->tlbs[i].kind == LOG_PAGE_FREE && log->tlbs[i].page == y->c->page)
			freed = &log->tlbs[i];
	for (int i = 0; freed && i < log->nr_tlbs; i++) {
		const struct log_tlb *t = &log->tlbs[i];
		if (t->kind == LOG_TLB_FILL && t->step < freed->step && covers(t, mm, x) &&
		    same_thp(t->page, y->c->page))
			fill = t;
	}
	if (!fill) {
		sb_printf(y->out, "page %lu was freed while mm%d's TLB translated %#lx to it; the log "
			  "does not say when the entry was filled: the sides are not known",
			  y->c->page->id, mm, x);
		return;
	}
	y->c->task = freed->task;
	y->c->tlb_mm = mm;
	y->c->tlb_addr = x;
	cl[n].step = fill->step;
	snprintf(cl[n++].text, sizeof(cl[0].text), "mm%d's TLB took %#lx -> page %lu at step %lu (%s, "
		 "task %d%s)", mm, fill->start, fill->page->id, fill->step, fill->op, fill->task,
		 fill->huge ? ", a huge entry" : "");
	/* What took the translation away, and what its task flushed. */
	const struct log_entry *r = removal(y, mm, fill->start, fill->end, fill->step, 0);
	const struct log_entry *mover = landing(y, mm, fill->start, fill->end, fill->step);
	int other = 0;
	char flushed[192];
	if (mover && (!r || mover->task != r->task)) {
		move_clause(y, mover, &cl[n++]);
		other = mover->task;
	}
	if (r) {
		const struct log_entry *move = NULL;
		for (int i = 0; r->change == ENTRY_TAKE && r->from_mm >= 0 && i < log->nr_entries; i++)
			if (log->entries[i].change == ENTRY_MOVE && take_of(y, &log->entries[i]) == r)
				move = &log->entries[i];
		flushes_of(y, r->task, mm, x, r->step, freed->step, function_of(y, r), flushed,
			   sizeof(flushed));
		if (move) {
			move_clause(y, move, &cl[n]);
			size_t len = strlen(cl[n].text);
			snprintf(cl[n].text + len, sizeof(cl[0].text) - len, "%s", flushed);
			n++;
		} else {
			char words[128];
			unmapped_words(y, r, words, sizeof(words));
			cl[n].step = r->step;
			snprintf(cl[n++].text, sizeof(cl[0].text), "%s%s", words, flushed);
		}
		if (r->task != freed->task)
			other = r->task;
	}
	/* The freer's own unmapping, when it is another task's. */
	const struct log_entry *own = NULL;
	for (int i = 0; r && r->task != freed->task && i < log->nr_entries; i++) {
		const struct log_entry *e = &log->entries[i];
		if (e->task == freed->task && e->step < freed->step && same_thp(e->page, y->c->page) &&
		    removes(e, e->mm, 0, TASK_SIZE))
			own = e;
	}
	if (own) {
		char words[128];
		unmapped_words(y, own, words, sizeof(words));
		flushes_of(y, own->task, own->mm, own->addr, own->step, own->step, function_of(y, own),
			   flushed, sizeof(flushed));
		cl[n].step = own->step;
		snprintf(cl[n++].text, sizeof(cl[0].text), "%s%s", words, flushed);
	}
	cl[n].step = freed->step;
	snprintf(cl[n++].text, sizeof(cl[0].text), "%s freed page %lu at step %lu with mm%d %#lx still "
		 "translating to it", freed->why, y->c->page->id, freed->step, mm, x);
	sb_printf(y->out, "%s (task %d)", freed->op, freed->task);
	for (int i = 0; other && i < log->nr_lines; i++)
		if (log->lines[i].task == other && log->lines[i].kind == LINE_WORK) {
			sb_printf(y->out, " vs %s (task %d)", log->lines[i].op, other);
			y->c->other = other;
			break;
		}
	sb_printf(y->out, ": ");
	join_clauses(y, cl, n);
}

/* A check found broken at the end, which the report's run (oracle.c's
 * oracle_step_ran) also ran after every step: the step it first failed
 * after, and what other check broke before it, the cause in a chain such
 * as a merge that left a mapped page's vma off its anon_vma's tree, then
 * the unlink that freed that anon_vma under the page. */
static bool broke_at(struct why *y)
{
	const struct log_broken *b = runlog_broken_of(y->log, y->o->invariant), *before;
	char words[160];

	if (!b)
		return false;
	before = first_broken(y->log, b->step);
	const struct log_line *l = runlog_work(y->log, b->step);
	if (l)
		y->c->task = l->task;
	first_step(y, before ? before->step : b->step);
	step_words(y, b->step, words, sizeof(words));
	sb_printf(y->out, "%s %s (the checks ran after every step of this report's run)", words,
		  strcmp(b->invariant, "anon-vma-lifetime") ? "broke it" : "freed the anon_vma");
	if (before) {
		step_words(y, before->step, words, sizeof(words));
		sb_printf(y->out, "; before that, %s broke %s: %s", words, before->invariant,
			  before->message);
	}
	return true;
}

/* The structural checks name no walk: say when they found it. */
static void structural(struct why *y)
{
	unsigned long step = y->o->w->steps;
	const struct log_line *l = runlog_work(y->log, step);
	bool model = !strcmp(y->o->invariant, "model-bug");

	if (l) {
		y->c->task = l->task;
		first_step(y, step);
	}
	if (model && l)
		sb_printf(y->out, "%s (task %d) broke the model's own rules in %s at step %lu: a bug of "
			  "rmapfuzz, not a race of the kernel", l->op, l->task, l->name, step);
	else if (model)
		sb_printf(y->out, "the model broke its own rules after step %lu: a bug of rmapfuzz, "
			  "not a race of the kernel", step);
	else if (y->o->checks_every_step && l)
		sb_printf(y->out, "step %lu (%s, task %d) left it broken, checked after every step; "
			  "which other task's step, if any, set it up is not known", step, l->name, l->task);
	else if (!model && broke_at(y))
		return;
	else
		sb_printf(y->out, "found when the run ended after step %lu, checked only there (replay "
			  "with --every-step to find the step that broke it); the sides are not known", step);
}

void report_cause(const struct oracle *o, struct cause *c, struct strbuf *out)
{
	struct why y = { .o = o, .log = o->log, .c = c, .out = out };
	int walk = o->walk ? runlog_walk_of(o->log, o->walk) : -1;

	*c = (struct cause){ .walk = walk, .page = o->page, .tlb_mm = -1 };
	if (walk >= 0) {
		y.lw = &o->log->walks[walk];
		c->task = y.lw->task;
	}
	if (!strcmp(o->invariant, "stale-tlb"))
		stale_tlb(&y);
	else if (!strcmp(o->invariant, "kernel-bug"))
		kernel_bug(&y);
	else if (!y.lw)
		structural(&y);
	else if (!strcmp(o->invariant, "missed-vma"))
		missed_vma(&y);
	else if (o->missed.set)
		missed_entry(&y);
	else
		short_count(&y);
	sb_printf(out, "\n");
}
