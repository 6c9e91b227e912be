/* The scheduler and the locks: blocking, the runnable list, drain order,
 * determinism, and the model's own-rule checks (lock order, deadlock). */
#include <stdlib.h>
#include <string.h>

#include "anon_vma.h"
#include "test.h"
#include "world_util.h"

/* A split holding AV(w) blocks fork's anon_vma_fork; the blocked task is
 * not runnable until the split ends, and a blocked step changes nothing. */
static void lock_blocks_until_released(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_mmap(w, 0, 0, P);
	tw_fault(w, 0, 0, true);
	int s = start_split_huge_page(w, tw_page(w, 0, 0));
	tw_step(w, s);
	tw_step(w, s);	/* AV(w) held */
	int f = start_fork(w, 0);
	tw_step(w, f);	/* dup_mmap */
	int ids[MAX_TASKS];
	CHECK_EQ(sched_runnable(w, ids, MAX_TASKS), 2);
	CHECK_EQ(sched_first_runnable(w)->id, ids[0]);
	CHECK_EQ(sched_step(w, f), STEP_BLOCKED);
	CHECK_EQ(sched_step_task(w, NULL), STEP_BLOCKED);
	CHECK_EQ(tw_nr_vmas(w, 1), 0);
	CHECK(!task_runnable(w, task_find(w, f)));
	CHECK_EQ(sched_runnable(w, ids, MAX_TASKS), 1);
	CHECK_EQ(ids[0], s);
	CHECK_EQ(sched_first_runnable(w)->id, s);	/* f waits on AV(w) */
	tw_run(w, s);
	CHECK(task_runnable(w, task_find(w, f)));
	tw_run(w, f);
	CHECK_EQ(tw_nr_vmas(w, 1), 1);
	CHECK(sched_first_runnable(w) == NULL);
	world_free(w);
}

/* Readers share: two migrations' walks hold AV(r) together. */
static void readers_share_anon_vma_lock(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_mmap(w, 0, 0, P);
	tw_fault(w, 0, 0, false);
	tw_fault(w, 0, PAGE_SIZE, false);
	int a = start_migrate(w, tw_page(w, 0, 0));
	int b = start_migrate(w, tw_page(w, 0, PAGE_SIZE));
	tw_step(w, a);
	tw_step(w, a);	/* try_to_unmap: AV(r) */
	tw_step(w, b);
	tw_step(w, b);	/* AV(r) too */
	CHECK_EQ(tw_vma(w, 0, 0)->anon_vma->rwsem.readers, 2);
	sched_drain(w);
	CHECK_EQ(w->nr_tasks, 0);
	world_free(w);
}

/* drain runs the lowest-id runnable task first, to its end when it never
 * blocks: task 1's steps all come before task 2's. */
static void drain_order_is_fixed(void)
{
	struct world *w = tw_new("linux-3.15");
	struct tw_trace tr;
	tw_trace_on(w, &tr);
	start_mmap(w, 0, 0, P);
	start_mmap(w, 0, 4 * P, P);
	sched_drain(w);
	CHECK(tr.buf != NULL);
	CHECK(strstr(tr.buf, "1:mmap_region mm0 [0, 0x4000)\n2:mmap_region mm0 [0x10000, 0x14000)") != NULL);
	tw_trace_free(&tr);
	world_free(w);
}

static char *scripted_run(void)
{
	struct world *w = tw_new("linux-3.14");
	struct tw_trace tr;
	tw_trace_on(w, &tr);
	tw_mmap(w, 0, 0, 4 * P);
	tw_fault(w, 0, 2 * P, true);
	tw_fault(w, 0, 0, false);
	int f = start_fork(w, 0);
	int m = start_mremap(w, 0, 2 * P, 2 * P, 8 * P);
	int s = start_split_huge_page(w, tw_page(w, 0, 2 * P));
	int g = start_migrate(w, tw_page(w, 0, 0));
	int order[] = { f, s, m, g, f, f, s, g, m, s, g, f };
	for (unsigned i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		sched_step(w, order[i]);
	sched_drain(w);
	size_t n = tr.buf ? strlen(tr.buf) + 1 : 1;
	char *copy = malloc(n);
	memcpy(copy, tr.buf ? tr.buf : "", n);
	tw_trace_free(&tr);
	world_free(w);
	return copy;
}

static void same_script_same_trace(void)
{
	char *a = scripted_run(), *b = scripted_run();
	CHECK(strlen(a) > 500);
	CHECK_STR(a, b);
	free(a);
	free(b);
}

/* A task waiting on a lock nobody can release: drain reports a deadlock. */
static void deadlock_is_a_model_bug(void)
{
	struct world *w = tw_new("linux-3.15");
	w->mm[0]->mmap_sem.writer = 99;	/* a holder that is not a task */
	start_mmap(w, 0, 0, P);
	sched_drain(w);
	CHECK_EQ(w->halted, HALT_MODEL_BUG);
	CHECK(strstr(w->halt_message, "deadlock") != NULL);
	w->mm[0]->mmap_sem.writer = 0;
	world_free(w);
}

/* Taking mmap_sem under a page-table lock inverts the kernel's order. */
static void lock_order_is_enforced(void)
{
	struct world *w = tw_new("linux-3.15");
	struct task t = { .id = 42 };
	struct mm_struct *mm = w->mm[0];
	CHECK(lock_take(w, &t, &mm->ptl[0], true));
	CHECK_EQ(w->halted, HALT_NONE);
	lock_take(w, &t, &mm->mmap_sem, true);
	CHECK_EQ(w->halted, HALT_MODEL_BUG);
	CHECK(strstr(w->halt_message, "lock order") != NULL);
	world_free(w);
}

/* A world halted mid-operation (kernel BUG) still frees everything:
 * LeakSanitizer checks this test. */
static void halted_world_tears_down(void)
{
	struct world *w = tw_new("tree-left");
	tw_mmap(w, 0, 0, 2 * P);
	tw_fault(w, 0, 0, true);
	int f = start_fork(w, 0);
	int s = start_split_huge_page(w, tw_page(w, 0, 0));
	int order[] = { f, f, s, s, s, f, s, s };
	for (unsigned i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		sched_step(w, order[i]);
	CHECK_EQ(w->halted, HALT_KERNEL_BUG);
	CHECK_EQ(w->nr_tasks, 2);
	CHECK_EQ(sched_step(w, f), STEP_BLOCKED);	/* nothing runs once halted */
	world_free(w);
}

/* Bounds: no more tasks than MAX_TASKS, no fork past MAX_MMS. */
static void bounds_refuse_cleanly(void)
{
	struct world *w = tw_new("linux-3.15");
	for (int i = 0; i < MAX_TASKS; i++)
		CHECK(start_mmap(w, 0, (unsigned long)i * P, P) > 0);
	CHECK_EQ(start_mmap(w, 0, 12 * P, P), -1);
	CHECK_EQ(start_fault(w, 7, 0, false), -1);	/* no such mm */
	sched_drain(w);
	for (int i = 1; i < MAX_MMS + 2; i++)
		tw_run(w, start_fork(w, 0));
	CHECK_EQ(w->nr_mm, MAX_MMS);
	tw_check(w);
	world_free(w);
}

/* A freed anon_vma stays readable (dead) until world_free: one more put
 * is a model bug, a page mapped through it a kernel bug, never a crash. */
static void freed_anon_vma_is_reported(void)
{
	struct world *w = tw_new("linux-3.15");
	struct anon_vma *av = anon_vma_alloc(w);
	put_anon_vma(w, av);
	CHECK(av->dead);
	CHECK_EQ(w->nr_anon_vmas, 0);
	put_anon_vma(w, av);
	CHECK_EQ(w->halted, HALT_MODEL_BUG);
	CHECK(strstr(w->halt_message, "already freed") != NULL);
	world_free(w);

	w = tw_new("linux-3.15");
	tw_mmap(w, 0, 0, P);
	tw_fault(w, 0, 0, false);
	struct page *page = tw_page(w, 0, 0);
	page->mapping->dead = true;	/* as if unlinked and freed under the page */
	CHECK(page_get_anon_vma(w, page) == NULL);
	CHECK_EQ(w->halted, HALT_KERNEL_BUG);
	CHECK(strstr(w->halt_message, "use-after-free") != NULL);
	page->mapping->dead = false;
	world_free(w);
}

TEST_MAIN(T(freed_anon_vma_is_reported), T(lock_blocks_until_released), T(readers_share_anon_vma_lock), T(drain_order_is_fixed),
	  T(same_script_same_trace), T(deadlock_is_a_model_bug), T(lock_order_is_enforced),
	  T(halted_world_tears_down), T(bounds_refuse_cleanly))
