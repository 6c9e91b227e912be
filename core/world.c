#include "world.h"

#include <stdio.h>
#include <stdlib.h>

#include "anon_vma.h"
#include "mm.h"
#include "page.h"
#include "task.h"

static void world_init(struct world *w, const struct protocol *proto)
{
	struct arena mem = w->mem;

	mem_zero(w, sizeof(*w));	/* a world is 800 bytes: see mem_zero */
	w->mem = mem;
	w->proto = proto ? proto : protocol_default();
	INIT_LIST_HEAD(&w->anon_vmas);
	INIT_LIST_HEAD(&w->dead_anon_vmas);
	w->next_task_id = 1;
	w->mm[w->nr_mm++] = mm_alloc(w);
}

struct world *world_new(const struct protocol *proto)
{
	struct world *w = calloc(1, sizeof(*w));

	if (!w) {
		fputs("rmapfuzz: out of memory\n", stderr);
		abort();
	}
	world_init(w, proto);
	return w;
}

void world_reset(struct world *w, const struct protocol *proto)
{
	arena_reset(&w->mem);
	world_init(w, proto);
}

void *world_alloc(struct world *w, unsigned long size) { return arena_alloc(&w->mem, size); }

void *world_alloc_kind(struct world *w, unsigned long size, enum world_obj_kind kind)
{
	return arena_alloc_kind(&w->mem, size, (unsigned char)kind);
}

void *world_alloc_head(struct world *w, unsigned long size, unsigned long head)
{
	return arena_alloc_head(&w->mem, size, head);
}

void world_dealloc(struct world *w, void *p, unsigned long size) { arena_free(&w->mem, p, size); }

static void free_vma_list(struct world *w, struct vm_area_struct *vma)
{
	while (vma) {
		struct vm_area_struct *next = vma->vm_next;
		unlink_anon_vmas(w, vma);
		vm_area_free(w, vma);
		vma = next;
	}
}

static void free_anon_vma_list(struct world *w, struct list_head *head)
{
	while (!list_empty(head)) {
		struct anon_vma *av = list_entry(head->next, struct anon_vma, world_node);
		list_del(&av->world_node);
		world_dealloc(w, av, sizeof(*av));
	}
}

void world_free(struct world *w)
{
	if (!w)
		return;
	/* Tasks first: they hold anon_vma references and walk snapshots. A
	 * task halted mid-operation may own a vma not yet linked anywhere. */
	for (int i = 0; i < w->nr_tasks; i++) {
		struct task *t = w->task[i];
		for (int d = t->depth - 1; d >= 0; d--)
			task_frame_release(w, &t->frames[d]);
		world_dealloc(w, t, sizeof(*t));
	}
	w->nr_tasks = 0;
	for (int i = 0; i < w->nr_mm; i++) {
		struct mm_struct *mm = w->mm[i];
		free_vma_list(w, mm->mmap);
		free_vma_list(w, mm->detached);
		mm->mmap = mm->detached = NULL;
		mm_free(w, mm);
	}
	/* Refcounting has freed every anon_vma by now unless a run leaked one;
	 * free leftovers so one model bug does not hide behind the leak check. */
	free_anon_vma_list(w, &w->anon_vmas);
	free_anon_vma_list(w, &w->dead_anon_vmas);
	for (int i = 0; i < w->nr_page_blocks; i++)
		world_dealloc(w, w->page_blocks[i], w->page_blocks[i]->nr * sizeof(struct page));
	world_dealloc(w, w->page_blocks, (unsigned long)w->cap_page_blocks * sizeof(*w->page_blocks));
	/* What LeakSanitizer would say with malloc'd objects: the teardown
	 * above reaches every object a run can own. */
	if (w->mem.live) {
		fprintf(stderr, "rmapfuzz: model bug: %lu objects of a world outlived world_free\n",
			w->mem.live);
		abort();
	}
	arena_destroy(&w->mem);
	free(w);
}

static void halt(struct world *w, enum halt_reason why, const char *fmt, va_list ap)
{
	if (w->halted)
		return;
	w->halted = why;
	vsnprintf(w->halt_message, sizeof(w->halt_message), fmt, ap);
}

void world_kernel_bug(struct world *w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	halt(w, HALT_KERNEL_BUG, fmt, ap);
	va_end(ap);
	struct rmap_event ev = { .kind = EV_KERNEL_BUG, .message = w->halt_message };
	world_emit(w, &ev);
}

void world_model_bug(struct world *w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	halt(w, HALT_MODEL_BUG, fmt, ap);
	va_end(ap);
}

static const struct anon_vma *anon_vma_of_lock(const struct list_head *head, const struct lock *l)
{
	const struct anon_vma *av;
	list_for_each_entry(av, head, world_node)
		if (&av->rwsem == l)
			return av;
	return NULL;
}

static const struct page *page_of_lock(const struct world *w, const struct lock *l)
{
	for (int b = 0; b < w->nr_page_blocks; b++) {
		const struct page *pages = w->page_blocks[b];
		for (int i = 0; i < pages->nr; i++)
			if (&pages[i].lock == l)
				return &pages[i];
	}
	return NULL;
}

/* The mm and pmd slot of an mmap_sem (slot -1), the mm's page_table_lock
 * (slot NR_PMDS), a pmd slot's page-table lock, or (slot NR_PMDS + 1 + s)
 * the pte table in slot s's own lock. */
static const struct mm_struct *mm_of_lock(const struct world *w, const struct lock *l, int *slot)
{
	for (int i = 0; i < w->nr_mm; i++) {
		const struct mm_struct *mm = w->mm[i];
		*slot = -1;
		if (&mm->mmap_sem == l)
			return mm;
		*slot = NR_PMDS;
		if (&mm->page_table_lock == l)
			return mm;
		for (*slot = 0; *slot < NR_PMDS; ++*slot)
			if (&mm->ptl[*slot] == l)
				return mm;
		for (int id = 0; id < NR_PMDS; id++)
			if (&mm->table_ptl[id] == l) {
				*slot = NR_PMDS + 1 + (int)table_slot(mm, (unsigned char)id);
				return mm;
			}
	}
	return NULL;
}

void world_lock_name(const struct world *w, const struct lock *l, bool write, char *buf,
		     unsigned long size)
{
	const char *mode = write ? "(w)" : "(r)";
	const struct anon_vma *av = anon_vma_of_lock(&w->anon_vmas, l);
	const struct page *page;
	const struct mm_struct *mm;
	int slot;

	if (!av)
		av = anon_vma_of_lock(&w->dead_anon_vmas, l);
	if (av)
		snprintf(buf, size, "AV%lu%s", av->id, mode);
	else if ((page = page_of_lock(w, l)))
		snprintf(buf, size, "PG_locked(page%lu)", page->id);
	else if ((mm = mm_of_lock(w, l, &slot)) && slot < 0)
		snprintf(buf, size, "mmap_sem%d%s", mm->id, mode);
	else if (mm && slot == NR_PMDS)
		snprintf(buf, size, "page_table_lock(mm%d)", mm->id);
	else if (mm && slot > NR_PMDS)
		snprintf(buf, size, "PTL(mm%d table at %#lx)", mm->id,
			 (unsigned long)(slot - NR_PMDS - 1) << PMD_SHIFT);
	else if (mm)
		snprintf(buf, size, "PTL(mm%d %#lx)", mm->id, (unsigned long)slot << PMD_SHIFT);
	else
		snprintf(buf, size, "a %s of no object in the world", lock_class_name(l->cls));
}

void world_emit(struct world *w, const struct rmap_event *ev)
{
	if (w->event)
		w->event(w->event_ctx, w, ev);
}

void step_trace_detail(struct world *w, struct task *t, const char *step, const char *fmt, ...)
{
	char detail[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	w->trace(w->trace_ctx, t, step, detail);
}

void entry_event(struct world *w, struct task *t, enum entry_change change, bool huge,
		 struct mm_struct *mm, unsigned long addr, struct mm_struct *from_mm,
		 unsigned long from, struct page *page, bool locked)
{
	if (!w->event)
		return;
	struct rmap_event ev = {
		.kind = EV_ENTRY, .task = t,
		.entry = { .change = (unsigned char)change, .huge = huge, .locked = locked, .mm = mm,
			   .from_mm = from_mm, .addr = addr, .from = from, .page = page },
	};
	w->event(w->event_ctx, w, &ev);
}
