/* Locks as objects that tasks hold across steps.
 *
 * A model step never sleeps: it either takes every lock it needs and runs to
 * its end, or it takes none and the task stays blocked (the scheduler undoes
 * the partial acquisitions of a blocked step). Locks a step leaves held stay
 * held into the task's next steps, which is how a critical section spans
 * several steps (the split's AV(w), a migration's page lock).
 *
 * Lock classes carry the kernel's order: mmap_sem, page lock, anon_vma rwsem,
 * page-table lock. Taking a lock of a lower class while holding a higher one is
 * a model bug (it could deadlock in the kernel), as is a cycle of waiters.
 */
#ifndef RMAP_LOCK_H
#define RMAP_LOCK_H

#include <stdbool.h>

enum lock_class { LOCK_MMAP_SEM, LOCK_PAGE, LOCK_ANON_VMA, LOCK_PTL };

struct lock {
	unsigned char cls;
	int writer;	/* task id holding it exclusively, 0 when none */
	int readers;	/* rwsems only: how many tasks hold it shared */
};

struct task;
struct world;

#define TASK_MAX_HELD 8

struct held_lock {
	struct lock *lock;
	bool write;
};

static inline void lock_init(struct lock *l, enum lock_class cls)
{
	l->cls = (unsigned char)cls;
	l->writer = 0;
	l->readers = 0;
}

static inline bool lock_is_free(const struct lock *l) { return !l->writer && !l->readers; }

/* Take l for the calling step (write = exclusive). Returns false when another
 * task holds it incompatibly: the step must then return STEP_BLOCKED at once.
 * In a probe (see task.h) availability is checked and nothing is taken. */
bool lock_take(struct world *w, struct task *t, struct lock *l, bool write);
/* Take l exclusively if nobody holds it, else return false without waiting:
 * the step goes on another way, it is not blocked (trylock_page). A trylock
 * never sleeps, so it may be taken against the lock order (under a
 * page-table lock), as the kernel does. */
bool lock_trylock(struct world *w, struct task *t, struct lock *l);
/* Wait until l could be taken, without taking it (wait_on_page_locked,
 * wait_split_huge_page's lock-and-unlock). */
bool lock_wait(struct world *w, struct task *t, struct lock *l, bool write);
void lock_drop(struct world *w, struct task *t, struct lock *l);
bool task_holds(const struct task *t, const struct lock *l);
/* Whether a task with that id could take l now in that mode (what
 * lock_take asks; inline: every step's runnable test asks it). */
static inline bool lock_available_to(int id, const struct lock *l, bool write)
{
	if (l->writer && l->writer != id)
		return false;
	return !write || !l->readers;
}

const char *lock_class_name(enum lock_class cls);

#endif
