#include "sched.h"

#include <stddef.h>
#include <stdlib.h>

#include "anon_vma.h"
#include "arena.h"
#include "mm.h"
#include "ops.h"
#include "page.h"
#include "world.h"

static const step_fn step_fns[NR_TASK_OPS] = {
	[OP_MMAP] = mmap_step,
	[OP_FAULT] = fault_step,
	[OP_FORK] = fork_step,
	[OP_MREMAP] = mremap_step,
	[OP_MUNMAP] = munmap_step,
	[OP_SPLIT_VMA] = split_vma_step,
	[OP_VMA_ADJUST] = vma_adjust_step,
	[OP_SPLIT_HUGE_PAGE_PMD] = split_huge_page_pmd_step,
	[OP_SPLIT_HUGE_PAGE] = split_huge_page_step,
	[OP_MIGRATE] = migrate_step,
	[OP_UNMAP_VMAS] = unmap_vmas_step,
	[OP_MADVISE] = madvise_step,
	[OP_EXIT_MMAP] = exit_mmap_step,
	[OP_MPROTECT] = mprotect_step,
	[OP_WP_PAGE] = wp_page_step,
	[OP_HUGE_PMD_WP_PAGE] = huge_pmd_wp_page_step,
	[OP_MOVE_PAGE_TABLES] = move_page_tables_step,
	[OP_EXEC] = exec_step,
	[OP_ACCESS] = access_step,
};
_Static_assert(NR_TASK_OPS <= sizeof(((struct world *)0)->op_stats) /
	       sizeof(((struct world *)0)->op_stats[0]), "op_stats holds every operation");

const char *task_op_name(enum task_op op)
{
	static const char *const names[NR_TASK_OPS] = {
		[OP_MMAP] = "mmap",
		[OP_FAULT] = "fault",
		[OP_FORK] = "fork",
		[OP_MREMAP] = "mremap",
		[OP_MUNMAP] = "munmap",
		[OP_SPLIT_VMA] = "__split_vma",
		[OP_VMA_ADJUST] = "vma_adjust",
		[OP_SPLIT_HUGE_PAGE_PMD] = "split_huge_page_pmd",
		[OP_SPLIT_HUGE_PAGE] = "split_huge_page",
		[OP_MIGRATE] = "migrate_pages",
		[OP_UNMAP_VMAS] = "unmap_vmas",
		[OP_MADVISE] = "madvise",
		[OP_EXIT_MMAP] = "exit_mmap",
		[OP_MPROTECT] = "mprotect",
		[OP_WP_PAGE] = "do_wp_page",
		[OP_HUGE_PMD_WP_PAGE] = "do_huge_pmd_wp_page",
		[OP_MOVE_PAGE_TABLES] = "move_page_tables",
		[OP_EXEC] = "exec",
		[OP_ACCESS] = "access",
	};
	return names[op];
}

struct frame *task_push(struct world *w, struct task *t, enum task_op op)
{
	if (t->depth == TASK_MAX_FRAMES) {
		world_model_bug(w, "task %d: call stack too deep", t->id);
		return NULL;
	}
	struct frame *f = &t->frames[t->depth++];
	mem_zero(f, sizeof(*f));	/* a frame is over 64 bytes: see mem_zero */
	f->op = (unsigned char)op;
	return f;
}

void task_return(struct task *t, int ret)
{
	t->ret = ret;
	t->depth--;
}

static struct frame *task_new(struct world *w, enum task_op op)
{
	if (w->nr_tasks == MAX_TASKS || w->halted)
		return NULL;
	struct task *t = world_alloc_head(w, sizeof(*t), offsetof(struct task, frames));
	t->id = w->next_task_id++;
	t->op = (unsigned char)op;
	w->task[w->nr_tasks++] = t;
	return task_push(w, t, op);
}

/* An mm an operation can name: not one that exited (nothing uses it). */
static struct mm_struct *mm_of(struct world *w, int mm)
{
	return mm >= 0 && mm < w->nr_mm && !w->mm[mm]->exited ? w->mm[mm] : NULL;
}

static int task_id_of(struct world *w) { return w->task[w->nr_tasks - 1]->id; }

int start_mmap(struct world *w, int mm, unsigned long addr, unsigned long len)
{
	struct mm_struct *m = mm_of(w, mm);
	struct frame *f = m ? task_new(w, OP_MMAP) : NULL;
	if (!f)
		return -1;
	f->u.mmap = (struct mmap_frame){ .mm = m, .addr = addr, .len = len };
	return task_id_of(w);
}

int start_fault(struct world *w, int mm, unsigned long addr, bool huge)
{
	struct mm_struct *m = mm_of(w, mm);
	struct frame *f = m ? task_new(w, OP_FAULT) : NULL;
	if (!f)
		return -1;
	f->u.fault = (struct fault_frame){ .mm = m, .addr = addr, .huge = huge };
	return task_id_of(w);
}

int start_write_fault(struct world *w, int mm, unsigned long addr, bool huge, bool fallback)
{
	int id = start_fault(w, mm, addr, huge);
	if (id > 0) {
		struct fault_frame *fl = &task_top(w->task[w->nr_tasks - 1])->u.fault;
		fl->write = true;
		fl->fallback = fallback;
	}
	return id;
}

int start_fork(struct world *w, int mm)
{
	struct mm_struct *m = mm_of(w, mm);
	struct frame *f = m ? task_new(w, OP_FORK) : NULL;
	if (!f)
		return -1;
	f->u.fork = (struct fork_frame){ .oldmm = m };
	return task_id_of(w);
}

int start_mremap(struct world *w, int mm, unsigned long old_addr, unsigned long len,
		 unsigned long new_addr)
{
	struct mm_struct *m = mm_of(w, mm);
	struct frame *f = m ? task_new(w, OP_MREMAP) : NULL;
	if (!f)
		return -1;
	f->u.mremap = (struct mremap_frame){ .mm = m, .old_addr = old_addr, .len = len,
					     .new_addr = new_addr, .new_len = len };
	return task_id_of(w);
}

int start_mremap_resize(struct world *w, int mm, unsigned long addr, unsigned long old_len,
			unsigned long new_len, unsigned flags)
{
	struct mm_struct *m = mm_of(w, mm);
	struct frame *f = m ? task_new(w, OP_MREMAP) : NULL;
	if (!f)
		return -1;
	if (flags & MREMAP_ALLOC_FAILS)
		flags |= MREMAP_MAYMOVE;
	f->u.mremap = (struct mremap_frame){ .mm = m, .old_addr = addr, .len = old_len,
					     .new_len = new_len, .resize = true,
					     .flags = (unsigned char)flags };
	return task_id_of(w);
}

int start_munmap(struct world *w, int mm, unsigned long addr, unsigned long len)
{
	struct mm_struct *m = mm_of(w, mm);
	struct frame *f = m ? task_new(w, OP_MUNMAP) : NULL;
	if (!f)
		return -1;
	f->u.munmap = (struct munmap_frame){ .mm = m, .start = addr, .end = addr + len };
	return task_id_of(w);
}

int start_madvise(struct world *w, int mm, unsigned long addr, unsigned long len)
{
	struct mm_struct *m = mm_of(w, mm);
	struct frame *f = m ? task_new(w, OP_MADVISE) : NULL;
	if (!f)
		return -1;
	f->u.madvise = (struct madvise_frame){ .mm = m, .start = addr, .end = addr + len };
	return task_id_of(w);
}

int start_exit_mmap(struct world *w, int mm)
{
	struct mm_struct *m = mm_of(w, mm);
	struct frame *f = m ? task_new(w, OP_EXIT_MMAP) : NULL;
	if (!f)
		return -1;
	f->u.exit_mmap = (struct exit_mmap_frame){ .mm = m };
	return task_id_of(w);
}

int start_mprotect(struct world *w, int mm, unsigned long addr, unsigned long len, bool write)
{
	struct mm_struct *m = mm_of(w, mm);
	struct frame *f = m ? task_new(w, OP_MPROTECT) : NULL;
	if (!f)
		return -1;
	f->u.mprotect = (struct mprotect_frame){ .mm = m, .start = addr, .end = addr + len,
						 .newflags = VM_READ | (write ? VM_WRITE : 0) };
	return task_id_of(w);
}

int start_exec(struct world *w, int nr_pages, unsigned long shift)
{
	unsigned long size = (unsigned long)nr_pages * PAGE_SIZE;
	if (nr_pages < 1 || size > TASK_SIZE || !shift || (shift & ~PAGE_MASK) ||
	    shift > TASK_SIZE - size)
		return -1;
	struct frame *f = task_new(w, OP_EXEC);
	if (!f)
		return -1;
	f->u.exec = (struct exec_frame){ .nr_pages = nr_pages, .shift = shift };
	return task_id_of(w);
}

int start_access(struct world *w, int mm, unsigned long addr)
{
	struct mm_struct *m = mm_of(w, mm);
	struct frame *f = m ? task_new(w, OP_ACCESS) : NULL;
	if (!f)
		return -1;
	f->u.access = (struct access_frame){ .mm = m, .addr = addr };
	return task_id_of(w);
}

int start_split_huge_page(struct world *w, struct page *page)
{
	struct frame *f = page ? task_new(w, OP_SPLIT_HUGE_PAGE) : NULL;
	if (!f)
		return -1;
	f->u.split.page = page;
	/* split_huge_page's callers hold a reference on the page. */
	f->u.split.own_ref = true;
	get_page(w, page);
	page->split_refs++;
	return task_id_of(w);
}

int start_migrate(struct world *w, struct page *page)
{
	struct frame *f = page ? task_new(w, OP_MIGRATE) : NULL;
	if (!f)
		return -1;
	f->u.migrate.page = page;
	get_page(w, page);	/* isolate_lru_page: migrate_pages gets isolated pages */
	return task_id_of(w);
}

struct task *task_find(struct world *w, int id)
{
	for (int i = 0; i < w->nr_tasks; i++)
		if (w->task[i]->id == id)
			return w->task[i];
	return NULL;
}

bool task_runnable(const struct world *w, const struct task *t)
{
	const struct lock *l = t->blocked_on;

	if (w->halted)
		return false;
	if (t->spinning && task_others_steps(t, w->steps) == t->spin_others)
		return false;
	if (t->spin_page && PageTransHuge(t->spin_page) &&
	    split_extra_refs(t->spin_page) == t->spin_refs)
		return false;
	return !l || lock_available_to(t->id, l, t->blocked_write);
}

struct task *sched_first_runnable(const struct world *w)
{
	for (int i = 0; i < w->nr_tasks; i++)
		if (task_runnable(w, w->task[i]))
			return w->task[i];
	return NULL;
}

int sched_runnable(const struct world *w, int *ids, int max)
{
	int n = 0;
	for (int i = 0; i < w->nr_tasks && n < max; i++)
		if (task_runnable(w, w->task[i]))
			ids[n++] = w->task[i]->id;
	return n;
}

static void task_exit(struct world *w, struct task *t)
{
	w->op_stats[t->op].tasks++;
	w->op_stats[t->op].anon_vma_locks += t->anon_vma_locks;
	if (t->nheld)
		world_model_bug(w, "task %d (%s) ended holding a %s", t->id, task_op_name(t->op),
				lock_class_name(t->held[0].lock->cls));
	for (int i = 0; i < w->nr_tasks; i++) {
		if (w->task[i] != t)
			continue;
		for (int j = i + 1; j < w->nr_tasks; j++)
			w->task[j - 1] = w->task[j];
		w->nr_tasks--;
		break;
	}
	world_dealloc(w, t, sizeof(*t));
}

/* A blocked attempt ran no work. It must not have taken a lock either: a
 * kernel thread keeps what it took while it sleeps on the next lock, so a
 * step that can block after taking one must be two steps. */
static void undo_attempt(struct world *w, struct task *t)
{
	if (t->nheld > t->attempt_held)
		world_model_bug(w, "task %d (%s) blocked in %s after taking a %s: split that step",
				t->id, task_op_name(t->op), t->step ? t->step : "a step",
				lock_class_name(t->held[t->nheld - 1].lock->cls));
	while (t->nheld > t->attempt_held)
		lock_drop(w, t, t->held[t->nheld - 1].lock);
}

enum step_result sched_step(struct world *w, int id) { return sched_step_task(w, task_find(w, id)); }

enum step_result sched_step_task(struct world *w, struct task *t)
{
	if (!t || w->halted || !task_runnable(w, t))
		return STEP_BLOCKED;
	t->spinning = false;
	t->spin_page = NULL;
	t->blocked_on = NULL;
	t->blocked_write = false;	/* no stale mode: the explorer hashes it */
	t->attempt_held = t->nheld;
	t->step = NULL;
	/* A bound on control-only transitions: more is a model bug (a loop). */
	for (int spins = 0; spins < 64; spins++) {
		if (t->depth == 0) {
			task_exit(w, t);
			return STEP_DONE;
		}
		struct frame *f = task_top(t);
		enum step_result r = step_fns[f->op](w, t, f);
		if (r == STEP_CONTINUE && !w->halted)
			continue;
		if (r == STEP_BLOCKED) {
			undo_attempt(w, t);
			return STEP_BLOCKED;
		}
		t->steps++;
		w->steps++;
		/* Every step names the kernel function it models (traces use it). */
		if (!t->step)
			world_model_bug(w, "task %d (%s) ran a step without a kernel function name",
					t->id, task_op_name(t->op));
		if (t->depth == 0)
			task_exit(w, t);
		return STEP_DONE;
	}
	world_model_bug(w, "task %d (%s) loops without doing work", t->id, task_op_name(t->op));
	return STEP_DONE;
}

void sched_stuck(struct world *w)
{
	for (int i = 0; i < w->nr_tasks; i++) {
		struct task *t = w->task[i];
		if (t->spinning || t->spin_page) {
			world_kernel_bug(w, "soft lockup: task %d (%s) retries in %s and no other task "
					 "can change what it waits for", t->id, task_op_name(t->op),
					 t->step ? t->step : task_op_name(t->op));
			return;
		}
	}
	struct task *t = w->task[0];
	world_model_bug(w, "deadlock: %d tasks wait, none can run (task %d in %s waits on a %s)",
			w->nr_tasks, t->id, t->step ? t->step : task_op_name(t->op),
			t->blocked_on ? lock_class_name(t->blocked_on->cls) : "?");
}

struct lock *task_next_lock(const struct world *w, const struct task *t, bool *write)
{
	if (!t->depth || t->spinning || t->spin_page)
		return NULL;
	const struct frame *f = &t->frames[t->depth - 1];
	*write = true;
	switch (f->op) {
	case OP_MUNMAP:		/* munmap_step: case 0; free_pgtables' unlink */
		if (f->pc != 0)
			return munmap_next_lock(f);
		if (t->depth != 1 || t->steps || f->u.munmap.nested)
			return NULL;
		return &f->u.munmap.mm->mmap_sem;
	case OP_EXIT_MMAP:	/* exit_mmap_step: free_pgtables' unlink */
		return exit_mmap_next_lock(f);
	case OP_MREMAP:		/* mremap_step: MREMAP_BEGIN; copy_vma's */
		if (f->pc != 0)
			return mremap_next_lock(f);
		if (t->depth != 1 || t->steps)
			return NULL;
		return &f->u.mremap.mm->mmap_sem;
	case OP_SPLIT_VMA:	/* split_vma_step: case 0 */
		return split_vma_next_lock(f);
	case OP_MOVE_PAGE_TABLES:	/* move_page_tables_step: wait_split_huge_page */
		return move_page_tables_next_lock(f);
	case OP_FORK:		/* fork_step: case 0; anon_vma_fork's and the waits' */
		if (f->pc != 0)
			return fork_next_lock(f);
		if (t->depth != 1 || t->steps)
			return NULL;
		return &f->u.fork.oldmm->mmap_sem;
	case OP_MIGRATE:	/* migrate_step: cases 2, 3 and 6; the visits (4, 7) */
		if (f->pc == 2)
			return &f->u.migrate.page->lock;
		if (f->pc == 4 || f->pc == 7)
			return migrate_next_lock(w, t, f);
		if ((f->pc != 3 && f->pc != 6) || !f->u.migrate.anon_vma)
			return NULL;
		*write = w->proto->anon_vma_mutex;
		return anon_vma_lock(f->u.migrate.anon_vma);
	case OP_SPLIT_HUGE_PAGE:	/* split_huge_page_step: case 1; the visits (2, 4) */
		if (f->pc == 2 || f->pc == 4)
			return split_huge_page_next_lock(w, t, f);
		return f->pc == 1 && f->u.split.anon_vma ? anon_vma_lock(f->u.split.anon_vma) : NULL;
	default:
		return NULL;
	}
}

struct lock *task_next_lock_through(const struct world *w, const struct task *t, bool *write,
				    int *returns)
{
	*returns = 0;
	if (t->depth < 2 || t->spinning || t->spin_page)
		return task_next_lock(w, t, write);
	const struct frame *f = &t->frames[t->depth - 1], *caller = f - 1;
	if (f->op != OP_UNMAP_VMAS || !unmap_vmas_returns(f))
		return task_next_lock(w, t, write);
	struct lock *l = caller->op == OP_MUNMAP ? munmap_next_lock(caller)
		       : caller->op == OP_EXIT_MMAP ? exit_mmap_next_lock(caller) : NULL;
	*write = true;
	*returns = l ? 1 : 0;
	return l;
}

enum step_result sched_run(struct world *w, int id)
{
	while (task_find(w, id) && !w->halted)
		if (sched_step(w, id) == STEP_BLOCKED)
			return STEP_BLOCKED;
	return STEP_DONE;
}

unsigned long sched_drain(struct world *w)
{
	unsigned long steps = 0;

	while (w->nr_tasks && !w->halted) {
		bool ran = false;
		for (int i = 0; i < w->nr_tasks && !ran; i++) {
			struct task *t = w->task[i];
			if (task_runnable(w, t) && sched_step(w, t->id) == STEP_DONE)
				ran = true;
		}
		if (!ran) {
			sched_stuck(w);
			break;
		}
		steps++;
	}
	return steps;
}

static bool vma_in_mm(const struct vm_area_struct *vma)
{
	for (const struct vm_area_struct *v = vma->vm_mm->mmap; v; v = v->vm_next)
		if (v == vma)
			return true;
	return false;
}

static void free_orphan_vma(struct world *w, struct vm_area_struct *vma)
{
	unlink_anon_vmas(w, vma);
	vm_area_free(w, vma);
}

void task_frame_release(struct world *w, struct frame *f)
{
	switch (f->op) {
	case OP_SPLIT_VMA:
		/* __split_vma's new vma is its own until vma_adjust inserts it. */
		if (f->u.split_vma.new && !vma_in_mm(f->u.split_vma.new))
			free_orphan_vma(w, f->u.split_vma.new);
		break;
	case OP_VMA_ADJUST:
		/* A merged-away next is out of the mm until anon_vma_merge. */
		if (f->pc == ADJUST_MERGE && f->u.adjust.next)
			free_orphan_vma(w, f->u.adjust.next);
		break;
	case OP_SPLIT_HUGE_PAGE:
		rmap_walk_free(w, &f->u.split.walk);
		if (f->u.split.anon_vma)
			put_anon_vma(w, f->u.split.anon_vma);
		break;
	case OP_MIGRATE:
		rmap_walk_free(w, &f->u.migrate.walk);
		if (f->u.migrate.anon_vma)
			put_anon_vma(w, f->u.migrate.anon_vma);
		break;
	default:
		break;
	}
}
