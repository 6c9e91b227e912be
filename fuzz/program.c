#include "program.h"

#include "page.h"
#include "sched.h"
#include "strbuf.h"
#include "world.h"

unsigned long grid_addr(uint8_t b)
{
	unsigned long slot = b & 15, hi = b >> 4;
	return slot * PMD_SIZE + (hi >= 13 ? (hi - 12) * PAGE_SIZE : 0);
}

unsigned long grid_len(uint8_t b)
{
	unsigned long slots = 1 + (b & 3), short_by = (b >> 2) & 7;
	return slots * PMD_SIZE - (short_by >= 5 ? (short_by - 4) * PAGE_SIZE : 0);
}

/* The n-th mapped page (a THP head when huge), in allocation order. */
static struct page *pick_page(struct world *w, uint8_t sel, bool huge)
{
	int count = 0;
	for (int pass = 0; pass < 2; pass++) {
		int target = count ? sel % count : -1, n = 0;
		for (int b = 0; b < w->nr_page_blocks; b++) {
			struct page *pages = w->page_blocks[b];
			int nr = huge ? 1 : pages->nr;
			for (int i = 0; i < nr; i++) {
				struct page *p = &pages[i];
				if (!page_mapped(p) || PageTail(p) || (huge && !PageTransHuge(p)))
					continue;
				if (n++ == target)
					return p;
			}
		}
		if (!(count = n))
			return NULL;
	}
	return NULL;
}

static int pick_mm(struct world *w, uint8_t sel) { return sel % w->nr_mm; }

static int start(struct world *w, const struct record *r)
{
	switch (record_op(r)) {
	case REC_MMAP:
		return start_mmap(w, pick_mm(w, r->a), grid_addr(r->b), grid_len(r->c));
	case REC_FAULT:
		return start_fault(w, pick_mm(w, r->a), grid_addr(r->b), r->c & 1);
	case REC_FORK:
		return start_fork(w, pick_mm(w, r->a));
	case REC_MREMAP:
		return start_mremap(w, pick_mm(w, r->a & 7), grid_addr(r->b), grid_len(r->a >> 3),
				    grid_addr(r->c));
	case REC_MUNMAP:
		return start_munmap(w, pick_mm(w, r->a), grid_addr(r->b), grid_len(r->c));
	case REC_SPLIT:
		return start_split_huge_page(w, pick_page(w, r->a, true));
	case REC_MIGRATE:
		return start_migrate(w, pick_page(w, r->a, false));
	default:
		return -1;
	}
}

/* Step id up to n times (n < 0: until it ends), stopping when it blocks. */
static void run(struct world *w, int id, int n, run_step_fn step, void *ctx)
{
	for (int i = 0; (n < 0 || i < n) && task_find(w, id) && !w->halted; i++) {
		if (!task_runnable(w, task_find(w, id)) || !step(ctx, id))
			return;
	}
}

int record_execute(struct world *w, const struct record *r, run_step_fn step, void *ctx)
{
	if (record_op(r) == REC_STEP) {
		if (w->nr_tasks)
			run(w, w->task[r->a % w->nr_tasks]->id, r->b & 0x80 ? -1 : 1 + (r->b & 7), step,
			    ctx);
		return 0;
	}
	int id = start(w, r);
	if (id <= 0)
		return 0;
	if (record_now(r))
		run(w, id, -1, step, ctx);
	return id;
}

static void page_name(struct world *w, uint8_t sel, bool huge, struct strbuf *out)
{
	struct page *p = pick_page(w, sel, huge);
	if (p)
		sb_printf(out, "page %lu", p->id);
	else
		sb_printf(out, "(no %s page: skipped)", huge ? "mapped THP" : "mapped");
}

void record_format(struct world *w, const struct record *r, struct strbuf *out)
{
	const char *now = record_now(r) ? " now" : "";
	unsigned long a;

	switch (record_op(r)) {
	case REC_STEP:
		if (!w->nr_tasks) {
			sb_printf(out, "step (no task: skipped)");
			break;
		}
		sb_printf(out, "step task %d ", w->task[r->a % w->nr_tasks]->id);
		if (r->b & 0x80)
			sb_printf(out, "until done");
		else
			sb_printf(out, "x%d", 1 + (r->b & 7));
		break;
	case REC_MMAP:
		a = grid_addr(r->b);
		sb_printf(out, "mmap mm%d [%#lx, %#lx)%s", pick_mm(w, r->a), a, a + grid_len(r->c), now);
		break;
	case REC_FAULT:
		sb_printf(out, "fault mm%d %#lx%s%s", pick_mm(w, r->a), grid_addr(r->b),
			  r->c & 1 ? " thp" : "", now);
		break;
	case REC_FORK:
		sb_printf(out, "fork mm%d%s", pick_mm(w, r->a), now);
		break;
	case REC_MREMAP:
		a = grid_addr(r->b);
		sb_printf(out, "mremap mm%d [%#lx, %#lx) -> %#lx%s", pick_mm(w, r->a & 7), a,
			  a + grid_len(r->a >> 3), grid_addr(r->c), now);
		break;
	case REC_MUNMAP:
		a = grid_addr(r->b);
		sb_printf(out, "munmap mm%d [%#lx, %#lx)%s", pick_mm(w, r->a), a, a + grid_len(r->c), now);
		break;
	case REC_SPLIT:
		sb_printf(out, "split_huge_page ");
		page_name(w, r->a, true, out);
		sb_printf(out, "%s", now);
		break;
	default:
		sb_printf(out, "migrate ");
		page_name(w, r->a, false, out);
		sb_printf(out, "%s", now);
		break;
	}
}
