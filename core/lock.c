#include "lock.h"

#include <string.h>

#include "task.h"
#include "world.h"

const char *lock_class_name(enum lock_class cls)
{
	static const char *const names[] = { "mmap_sem", "page lock", "anon_vma rwsem", "page table lock" };
	return names[cls];
}

bool task_holds(const struct task *t, const struct lock *l)
{
	for (int i = 0; i < t->nheld; i++)
		if (t->held[i].lock == l)
			return true;
	return false;
}

static void blocked(struct task *t, struct lock *l, bool write)
{
	t->blocked_on = l;
	t->blocked_write = write;
}

/* The kernel's lock order: a class may follow only classes at or below it.
 * Two mmap_sems nest in fork (parent, then the new child), two page-table
 * locks in moves and copies (SINGLE_DEPTH_NESTING); other repeats deadlock. */
static void check_order(struct world *w, const struct task *t, const struct lock *l)
{
	for (int i = 0; i < t->nheld; i++) {
		const struct lock *h = t->held[i].lock;
		if (h == l)
			world_model_bug(w, "task %d takes a %s it already holds", t->id,
					lock_class_name(l->cls));
		else if (h->cls > l->cls || (h->cls == l->cls && l->cls != LOCK_PTL &&
					     l->cls != LOCK_MMAP_SEM))
			world_model_bug(w, "task %d takes a %s while holding a %s (lock order)",
					t->id, lock_class_name(l->cls), lock_class_name(h->cls));
	}
}

static bool take(struct world *w, struct task *t, struct lock *l, bool write)
{
	if (t->nheld == TASK_MAX_HELD) {
		world_model_bug(w, "task %d holds too many locks", t->id);
		return false;
	}
	if (write)
		l->writer = t->id;
	else
		l->readers++;
	if (l->cls == LOCK_ANON_VMA)
		t->anon_vma_locks++;
	/* Over a zeroed slot: the explorer hashes the slot's bytes, padding
	 * too, and the array's dead slots hold stale bytes. */
	memset(&t->held[t->nheld], 0, sizeof(t->held[0]));
	t->held[t->nheld].lock = l;
	t->held[t->nheld].write = write;
	t->nheld++;
	return true;
}

bool lock_take(struct world *w, struct task *t, struct lock *l, bool write)
{
	if (!lock_available_to(t->id, l, write)) {
		blocked(t, l, write);
		return false;
	}
	check_order(w, t, l);
	return take(w, t, l, write);
}

bool lock_trylock(struct world *w, struct task *t, struct lock *l)
{
	if (l->writer == t->id) {
		world_model_bug(w, "task %d trylocks a %s it already holds", t->id,
				lock_class_name(l->cls));
		return false;
	}
	return lock_available_to(t->id, l, true) && take(w, t, l, true);
}

bool lock_wait(struct world *w, struct task *t, struct lock *l, bool write)
{
	(void)w;
	if (lock_available_to(t->id, l, write) && !(l->writer == t->id)) {
		if (l->cls == LOCK_ANON_VMA)
			t->anon_vma_locks++;	/* a lock-and-unlock */
		return true;
	}
	blocked(t, l, write);
	return false;
}

void lock_drop(struct world *w, struct task *t, struct lock *l)
{
	for (int i = t->nheld - 1; i >= 0; i--) {
		if (t->held[i].lock != l)
			continue;
		if (t->held[i].write)
			l->writer = 0;
		else
			l->readers--;
		--t->nheld;	/* the last held lock fills the slot, field by field:
				 * a struct copy is an __asan_memcpy call */
		t->held[i].lock = t->held[t->nheld].lock;
		t->held[i].write = t->held[t->nheld].write;
		if (t->attempt_held > t->nheld)
			t->attempt_held = t->nheld;
		return;
	}
	world_model_bug(w, "task %d drops a %s it does not hold", t->id, lock_class_name(l->cls));
}
