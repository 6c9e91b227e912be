#include "program.h"

#include "mm.h"
#include "page.h"
#include "sched.h"
#include "strbuf.h"
#include "world.h"

unsigned long decode_addr(struct mm_struct *mm, uint8_t b)
{
	if (b >= 0x80) {
		/* No vma to name: the grid slot of the vma's number, so only the
		 * bits the vma form reads decide (record_canonical). */
		if (!mm->map_count)
			return (unsigned long)(b & 7) * PMD_SIZE;
		const struct vm_area_struct *v = mm->mmap;
		for (int n = (b & 7) % mm->map_count; n; n--)
			v = v->vm_next;
		static const unsigned long past[3] = { 0, PAGE_SIZE, PMD_SIZE };
		unsigned long off = past[addr_past(b)];
		switch (addr_point(b)) {
		case ADDR_START:
			return v->vm_start + off;
		case ADDR_END:
			return v->vm_end + off;
		case ADDR_PMD:
			return v->vm_start + PMD_SIZE + off;
		default:
			/* Its home: an anonymous vma's pgoff is the address it was
			 * first mapped at, so moving it there joins it again with
			 * the neighbours it was cut from. One pmd past it: the home
			 * of its pmd in, where the part from there goes back to. */
			return (v->vm_pgoff << PAGE_SHIFT) + off;
		}
	}
	unsigned long slot = b & 15, in = (b >> 4) & 7;
	return slot * PMD_SIZE + (in >= 5 ? (in - 4) * PAGE_SIZE : 0);
}

unsigned long decode_len(struct mm_struct *mm, unsigned long addr, uint8_t code, bool mmap)
{
	if (code & 16) {
		const struct vm_area_struct *v = find_vma(mm, addr);
		if (mmap && v && v->vm_start > addr)
			return v->vm_start - addr;	/* fill the hole */
		if (!mmap && v && v->vm_start <= addr)
			return v->vm_end - addr;	/* the rest of the vma */
	}
	return (1 + (code & 3)) * PMD_SIZE - (((code >> 2) & 3) == 3 ? PAGE_SIZE : 0);
}

unsigned long decode_new_len(struct mm_struct *mm, unsigned long addr, uint8_t code)
{
	if (code & 16) {
		const struct vm_area_struct *v = find_vma(mm, addr);
		if (v && v->vm_start <= addr)
			v = v->vm_next;
		if (v)
			return v->vm_start - addr;
	}
	return decode_len(mm, addr, code & 15, false);
}

unsigned resize_flags(uint8_t c)
{
	static const unsigned char flags[4] = { 0, MREMAP_MAYMOVE,
						MREMAP_MAYMOVE | MREMAP_ALLOC_FAILS, MREMAP_MAYMOVE };
	return flags[(c >> 5) & 3];
}

_Static_assert(MM_SELECTORS == 256 || (MM_SELECTORS % 60 == 0 && MAX_MMS <= 6),
	       "a reduced selector must pick as sel % nr_mm does");

/* The canonical form of each operand byte: the bits the decoder ignores
 * cleared, and selectors reduced where the reduction is exact. */
static uint8_t canon_addr(uint8_t b)
{
	if (b >= 0x80)
		return addr_vma_point(b, addr_point(b), addr_past(b));
	unsigned in = (b >> 4) & 7;
	return (uint8_t)((b & 15) | (in >= 5 ? in << 4 : 0));
}

static uint8_t canon_len(uint8_t code)
{
	return (uint8_t)((code & (16 | 3)) | (((code >> 2) & 3) == 3 ? 12 : 0));
}

struct record record_canonical(const struct record *r)
{
	struct record c = { .op = (uint8_t)(record_op(r) | (r->op & 0x80)) };

	switch (record_op(r)) {
	case REC_STEP: {
		int slots = 1 + ((r->a >> 3) & 7);
		c.op = REC_STEP;	/* "now" means nothing to a step */
		c.a = r->a & 0x3f;
		c.b = r->b & 7;
		c.c = (uint8_t)(r->c & ((1u << slots) - 1));
		break;
	}
	case REC_MMAP:
	case REC_MUNMAP:
	case REC_MADVISE:
	case REC_MPROTECT:
		c.a = r->a % MM_SELECTORS;
		c.b = canon_addr(r->b);
		c.c = canon_len(r->c & 31);
		if (record_op(r) == REC_MPROTECT)
			c.c |= r->c & 32;
		break;
	case REC_FAULT:
		c.a = r->a % MM_SELECTORS;
		c.b = canon_addr(r->b);
		c.c = r->c & (r->c & 2 ? 7 : 1);
		break;
	case REC_FORK:
	case REC_EXIT:
		c.a = r->a % MM_SELECTORS;
		break;
	case REC_ACCESS:
		c.a = r->a % MM_SELECTORS;
		c.b = canon_addr(r->b);
		break;
	case REC_EXEC:
		c.a = r->a & 7;
		c.b = r->b & 7;
		break;
	case REC_MREMAP:
		c.a = (uint8_t)((r->a & 7) | canon_len(r->a >> 3) << 3);
		c.b = canon_addr(r->b);
		c.c = canon_addr(r->c);
		break;
	case REC_MREMAP_RESIZE: {
		unsigned mode = (r->c >> 5) & 3;
		c.a = (uint8_t)((r->a & 7) | canon_len(r->a >> 3) << 3);
		c.b = canon_addr(r->b);
		c.c = (uint8_t)(canon_len(r->c & 31) | (mode == 3 ? 1 : mode) << 5);
		break;
	}
	default:	/* REC_SPLIT, REC_MIGRATE */
		c.a = r->a;
		break;
	}
	return c;
}

size_t program_canonical(const uint8_t *data, size_t size, uint8_t *out)
{
	size_t n = program_nr_records(size);
	for (size_t i = 0; i < n; i++) {
		struct record c = record_canonical(&(struct record){ data[4 * i], data[4 * i + 1],
								     data[4 * i + 2], data[4 * i + 3] });
		out[4 * i] = c.op;
		out[4 * i + 1] = c.a;
		out[4 * i + 2] = c.b;
		out[4 * i + 3] = c.c;
	}
	return n * RECORD_SIZE;
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

/* A record's mm and the range it names there. */
struct range {
	int mm;
	unsigned long addr, len, to;
};

static struct range decode_range(struct world *w, const struct record *r)
{
	enum rec_op op = record_op(r);
	bool mremap = op == REC_MREMAP || op == REC_MREMAP_RESIZE;
	struct range g = { .mm = pick_mm(w, mremap ? r->a & 7 : r->a) };
	struct mm_struct *mm = w->mm[g.mm];

	g.addr = decode_addr(mm, r->b);
	switch (op) {
	case REC_MREMAP:
		g.len = decode_len(mm, g.addr, r->a >> 3, false);
		g.to = decode_addr(mm, r->c);
		break;
	case REC_MREMAP_RESIZE:
		g.len = decode_len(mm, g.addr, r->a >> 3, false);
		g.to = decode_new_len(mm, g.addr, r->c & 31);
		break;
	case REC_MMAP:
	case REC_MUNMAP:
	case REC_MADVISE:
	case REC_MPROTECT:
		g.len = decode_len(mm, g.addr, r->c & 31, record_op(r) == REC_MMAP);
		break;
	default:
		break;
	}
	return g;
}

static int start(struct world *w, const struct record *r)
{
	struct range g = decode_range(w, r);

	switch (record_op(r)) {
	case REC_MMAP:
		return start_mmap(w, g.mm, g.addr, g.len);
	case REC_FAULT:
		if (r->c & 2)
			return start_write_fault(w, g.mm, g.addr, r->c & 1, r->c & 4);
		return start_fault(w, g.mm, g.addr, r->c & 1);
	case REC_FORK:
		return start_fork(w, g.mm);
	case REC_MREMAP:
		return start_mremap(w, g.mm, g.addr, g.len, g.to);
	case REC_MUNMAP:
		return start_munmap(w, g.mm, g.addr, g.len);
	case REC_SPLIT:
		return start_split_huge_page(w, pick_page(w, r->a, true));
	case REC_MIGRATE:
		return start_migrate(w, pick_page(w, r->a, false));
	case REC_MADVISE:
		return start_madvise(w, g.mm, g.addr, g.len);
	case REC_EXIT:
		return start_exit_mmap(w, g.mm);
	case REC_MREMAP_RESIZE:
		return start_mremap_resize(w, g.mm, g.addr, g.len, g.to, resize_flags(r->c));
	case REC_EXEC:
		return start_exec(w, exec_pages(r), exec_shift_pmds(r) * PMD_SIZE);
	case REC_MPROTECT:
		return start_mprotect(w, g.mm, g.addr, g.len, !(r->c & 32));
	case REC_ACCESS:
		return start_access(w, g.mm, g.addr);
	default:
		return -1;
	}
}

/* A "now" record: run the task to its end, or until it blocks (a step of
 * a task that cannot run returns false: the scheduler checks). */
static void run_to_end(struct world *w, int id, run_step_fn step, void *ctx)
{
	struct task *t;
	while ((t = task_find(w, id)) && !w->halted && step(ctx, t))
		;
}

/* Tasks are named from the newest: 0 is the task started last, so "the
 * two tasks just started" have the same names whatever else is live. */
static struct task *newest_task(struct world *w, uint8_t sel)
{
	return w->task[w->nr_tasks - 1 - (sel & 7) % w->nr_tasks];
}

/* A step record's schedule: slot i runs Y when bit i of c is set, else X;
 * a slot whose task has ended or is blocked is skipped. */
static void interleave(struct world *w, const struct record *r, run_step_fn step, void *ctx)
{
	int x = newest_task(w, r->a)->id, y = newest_task(w, r->b)->id;
	int slots = 1 + ((r->a >> 3) & 7);

	for (int i = 0; i < slots && !w->halted; i++) {
		struct task *t = task_find(w, (r->c >> i) & 1 ? y : x);
		if (t && task_runnable(w, t) && !step(ctx, t))
			return;
	}
}

int record_execute(struct world *w, const struct record *r, run_step_fn step, void *ctx)
{
	if (record_op(r) == REC_STEP) {
		if (w->nr_tasks)
			interleave(w, r, step, ctx);
		return 0;
	}
	int id = start(w, r);
	if (id <= 0)
		return 0;
	if (record_now(r))
		run_to_end(w, id, step, ctx);
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
	struct range g = decode_range(w, r);

	switch (record_op(r)) {
	case REC_STEP:
		if (!w->nr_tasks) {
			sb_printf(out, "step (no task: skipped)");
			break;
		}
		sb_printf(out, "step");
		for (int i = 0, slots = 1 + ((r->a >> 3) & 7); i < slots; i++)
			sb_printf(out, " %d", newest_task(w, (r->c >> i) & 1 ? r->b : r->a)->id);
		break;
	case REC_MMAP:
		sb_printf(out, "mmap mm%d [%#lx, %#lx)%s", g.mm, g.addr, g.addr + g.len, now);
		break;
	case REC_FAULT:
		sb_printf(out, "fault mm%d %#lx%s%s%s%s", g.mm, g.addr, r->c & 1 ? " thp" : "",
			  r->c & 2 ? " write" : "",
			  (r->c & 6) == 6 ? " (a THP's COW: alloc_hugepage_vma fails)" : "", now);
		break;
	case REC_FORK:
		sb_printf(out, "fork mm%d%s", g.mm, now);
		break;
	case REC_MREMAP:
		sb_printf(out, "mremap mm%d [%#lx, %#lx) -> %#lx%s", g.mm, g.addr, g.addr + g.len, g.to,
			  now);
		break;
	case REC_MUNMAP:
		sb_printf(out, "munmap mm%d [%#lx, %#lx)%s", g.mm, g.addr, g.addr + g.len, now);
		break;
	case REC_SPLIT:
		sb_printf(out, "split_huge_page ");
		page_name(w, r->a, true, out);
		sb_printf(out, "%s", now);
		break;
	case REC_MADVISE:
		sb_printf(out, "madvise mm%d [%#lx, %#lx) MADV_DONTNEED%s", g.mm, g.addr, g.addr + g.len,
			  now);
		break;
	case REC_EXIT:
		sb_printf(out, "exit_mmap mm%d%s", g.mm, now);
		break;
	case REC_MREMAP_RESIZE: {
		unsigned flags = resize_flags(r->c);
		sb_printf(out, "mremap mm%d [%#lx, %#lx) to %#lx bytes%s%s%s", g.mm, g.addr,
			  g.addr + g.len, g.to, flags & MREMAP_MAYMOVE ? " MREMAP_MAYMOVE" : "",
			  flags & MREMAP_ALLOC_FAILS ? ", a move's page-table allocation fails after "
			  "its first extent" : "", now);
		break;
	}
	case REC_EXEC: {
		unsigned long top = TASK_SIZE, start = top - (unsigned long)exec_pages(r) * PAGE_SIZE;
		unsigned long shift = exec_shift_pmds(r) * PMD_SIZE;
		if (w->nr_mm == MAX_MMS)
			sb_printf(out, "exec (no room for another mm: fails)");
		else
			sb_printf(out, "exec: a new mm, %d argument pages in a temporary stack [%#lx, %#lx) "
				  "that shift_arg_pages moves down to [%#lx, %#lx)", exec_pages(r),
				  start, top, start - shift, top - shift);
		sb_printf(out, "%s", now);
		break;
	}
	case REC_MPROTECT:
		sb_printf(out, "mprotect mm%d [%#lx, %#lx) %s%s", g.mm, g.addr, g.addr + g.len,
			  r->c & 32 ? "PROT_READ" : "PROT_READ|PROT_WRITE", now);
		break;
	case REC_ACCESS:
		sb_printf(out, "access mm%d %#lx (a task touching it: its TLB, or the page walk)%s",
			  g.mm, g.addr & PAGE_MASK, now);
		break;
	default:	/* REC_MIGRATE */
		sb_printf(out, "migrate ");
		page_name(w, r->a, false, out);
		sb_printf(out, "%s", now);
		break;
	}
}
