/* A violation's report, made from the oracle of the run that logged it
 * (runlog.h), after the first line (run.c) and in this order:
 *
 *   the cause       one sentence: both sides, and what one did to the other
 *   the detail      what was violated (the oracle's own words)
 *   the timeline    a column per task, a row per step, the locks each holds
 *   the walk        the walk that broke, visit by visit; other walks in a line
 *   the history     every entry the page had, the walk's visits among them
 *   the interleaving  every step as executed
 *
 * docs/reading-a-crash.md shows one and how to read it. All of it runs on
 * the crash path only.
 */
#ifndef RMAP_REPORT_H
#define RMAP_REPORT_H

#include "oracle.h"
#include "runlog.h"
#include "strbuf.h"

/* What the cause found, for the sections after it. */
struct cause {
	unsigned long first;		/* the earliest step it names, 0: none */
	int task;			/* whose walk or BUG_ON it is, 0: not known */
	int other;			/* the other side ("vs"), 0: not known */
	const struct page *page;	/* the page it is about, NULL: none */
	int walk;			/* the walk that broke, in log->walks; -1: none */
	int tlb_mm;			/* stale-tlb: the TLB entry left (mm, addr); -1: none */
	unsigned long tlb_addr;
};

/* The second line: "<walker> (task N) vs <function> (task M): <what
 * happened, in step order>", or as much as the log tells. */
void report_cause(const struct oracle *o, struct cause *c, struct strbuf *out);
/* Is l a vma_adjust step that moved vma's vm_start and kept its vm_pgoff
 * (exec's shift_arg_pages), so vma_address() of its pages moved too? Its
 * trace (core/vma_adjust.c) says both. */
struct log_line;
struct run_log;
bool report_line_rekeys(const struct run_log *log, const struct log_line *l, unsigned long *vma);
void report_timeline(const struct oracle *o, const struct cause *c, struct strbuf *out);
void report_walk(const struct oracle *o, const struct cause *c, struct strbuf *out);
void report_history(const struct oracle *o, const struct cause *c, struct strbuf *out);
void report_interleaving(const struct run_log *log, struct strbuf *out);
/* The interleaving's lines alone (rmapfuzz trace). */
void report_lines(const struct run_log *log, struct strbuf *out);

/* Shared words. */
/* The kernel function a walk belongs to: split_huge_page for both passes. */
const char *report_walk_function(unsigned char kind);
/* An entry change, in the words the steps' traces use for ranges. */
void report_entry_words(const struct log_entry *e, struct strbuf *out);
/* Did visit v find no pte table at its pmd? Every kernel looks at the pmd
 * before it would take the page-table lock (mm_find_pmd): a miss there is
 * the visit order's, not a peek's. Its step's trace (core/migrate.c) says. */
struct log_visit;
bool report_visit_no_table(const struct run_log *log, const struct log_visit *v);

#endif
