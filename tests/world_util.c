#include "world_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

struct world *tw_new(const char *protocol)
{
	const struct protocol *p = protocol_find(protocol);
	CHECK(p != NULL);
	return world_new(p);
}

void tw_check(struct world *w)
{
	struct check_failure f;
	if (rmap_check(w, &f)) {
		fprintf(stderr, "rmap_check: %s: %s\n", f.invariant, f.message);
		CHECK(!"structural invariant broken");
	}
	if (w->halted == HALT_MODEL_BUG) {
		fprintf(stderr, "model bug: %s\n", w->halt_message);
		CHECK(!"model bug");
	}
}

void tw_step(struct world *w, int id)
{
	CHECK(task_find(w, id) != NULL);
	enum step_result r = sched_step(w, id);
	CHECK(r == STEP_DONE);
	tw_check(w);
}

void tw_run(struct world *w, int id)
{
	CHECK(id > 0);
	for (int n = 0; task_find(w, id) && !w->halted; n++) {
		if (n > 10000) {
			CHECK(!"task does not end");
			return;
		}
		tw_step(w, id);
	}
}

void tw_mmap(struct world *w, int mm, unsigned long addr, unsigned long len) { tw_run(w, start_mmap(w, mm, addr, len)); }
void tw_fault(struct world *w, int mm, unsigned long addr, bool huge) { tw_run(w, start_fault(w, mm, addr, huge)); }
void tw_munmap(struct world *w, int mm, unsigned long addr, unsigned long len) { tw_run(w, start_munmap(w, mm, addr, len)); }
void tw_mremap(struct world *w, int mm, unsigned long old, unsigned long len, unsigned long new)
{
	tw_run(w, start_mremap(w, mm, old, len, new));
}
int tw_fork(struct world *w, int mm)
{
	int before = w->nr_mm;
	tw_run(w, start_fork(w, mm));
	CHECK_EQ(w->nr_mm, before + 1);
	return w->nr_mm - 1;
}

struct pmd *tw_pmd(struct world *w, int mm, unsigned long addr) { return mm_pmd(w->mm[mm], addr); }
struct pte *tw_pte(struct world *w, int mm, unsigned long addr)
{
	struct pmd *pmd = tw_pmd(w, mm, addr);
	return pmd->kind == PMD_TABLE ? &pmd->pte[pte_index(addr)] : NULL;
}
struct page *tw_page(struct world *w, int mm, unsigned long addr)
{
	struct pmd *pmd = tw_pmd(w, mm, addr);
	if (pmd->kind == PMD_HUGE)
		return pmd->page;
	struct pte *pte = tw_pte(w, mm, addr);
	return pte && pte->kind == PTE_PRESENT ? pte->page : NULL;
}

int tw_nr_vmas(struct world *w, int mm) { return w->mm[mm]->map_count; }
struct vm_area_struct *tw_vma(struct world *w, int mm, int nth)
{
	struct vm_area_struct *v = w->mm[mm]->mmap;
	while (v && nth--)
		v = v->vm_next;
	return v;
}

void tw_check_vma(struct world *w, int mm, int nth, unsigned long start, unsigned long end,
		  pgoff_t pgoff)
{
	struct vm_area_struct *v = tw_vma(w, mm, nth);
	CHECK(v != NULL);
	if (!v)
		return;
	CHECK_EQ(v->vm_start, start);
	CHECK_EQ(v->vm_end, end);
	CHECK_EQ(v->vm_pgoff, pgoff);
}

static void trace_cb(void *ctx, const struct task *t, const char *step, const char *detail)
{
	struct tw_trace *tr = ctx;
	char line[256];
	int n = snprintf(line, sizeof(line), "%d:%s %s\n", t->id, step, detail);
	if (n < 0)
		return;
	if (tr->len + (size_t)n + 1 > tr->cap) {
		tr->cap = (tr->cap + (size_t)n + 1) * 2;
		tr->buf = realloc(tr->buf, tr->cap);
		if (!tr->buf)
			abort();
	}
	memcpy(tr->buf + tr->len, line, (size_t)n + 1);
	tr->len += (size_t)n;
}

void tw_trace_on(struct world *w, struct tw_trace *tr)
{
	memset(tr, 0, sizeof(*tr));
	w->trace = trace_cb;
	w->trace_ctx = tr;
}

void tw_trace_free(struct tw_trace *tr) { free(tr->buf); }

static struct page *fork_layout(struct world *w, bool huge)
{
	tw_mmap(w, 0, 0, 2 * P);
	tw_fault(w, 0, 0, huge);
	struct page *page = tw_page(w, 0, 0);
	CHECK_EQ(tw_fork(w, 0), 1);
	CHECK_EQ(page_mapcount(page), 2);
	return page;
}

struct page *tw_fork_layout(struct world *w) { return fork_layout(w, true); }
struct page *tw_fork_layout_small(struct world *w) { return fork_layout(w, false); }
