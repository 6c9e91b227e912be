/* The world: every object of one model run, and nothing global.
 *
 * A run is deterministic: the same protocol and the same calls give the same
 * execution. Objects are freed by the kernel's own rules (refcounts, unlink);
 * world_free frees whatever a run leaves, even a run halted mid-operation.
 */
#ifndef RMAP_WORLD_H
#define RMAP_WORLD_H

#include <stdarg.h>
#include <stdbool.h>

#include "arena.h"
#include "list.h"
#include "pgtable.h"
#include "protocol.h"
#include "rmap.h"

struct lock;
struct mm_struct;
struct page;
struct task;
struct vm_area_struct;

/* The small scope: bounds of one world (the decoder's too). */
#define MAX_MMS 8	/* fork chains deep enough for anon_vma reuse's generations */
#define MAX_TASKS 8
#define MAX_MAP_COUNT 12	/* sysctl_max_map_count */

/* What the model tells an observer (the oracle, a trace printer). */
enum rmap_event_kind {
	EV_WALK_BEGIN,		/* walk: vmas to visit fixed under the lock */
	EV_WALK_VISIT,		/* walk, vma, addr, result */
	EV_WALK_END,		/* walk (count = what it counted) */
	EV_ENTRY,		/* a page-table entry changed: entry */
	EV_KERNEL_BUG,		/* the modelled kernel hit a BUG_ON: message */
	EV_TLB_FILL,		/* an access filled mm's TLB: tlb.mm, start (the entry's
				 * address), page, huge */
	EV_TLB_FLUSH,		/* a flush of mm's TLB over [start, end): why */
	EV_PAGE_FREE,		/* put_page freed tlb.page: why */
};

/* ENTRY_TAKE: the first half of a move, huge-pmd zap or protection change
 * took the entry out of its table (mm, addr); a move names where it will
 * land (from_mm, from), a protection change the same place. ENTRY_PROTECT:
 * change_protection put it back there. */
enum entry_change { ENTRY_SET, ENTRY_COPY, ENTRY_MOVE, ENTRY_CLEAR, ENTRY_MIGRATION, ENTRY_SPLIT,
		    ENTRY_TAKE, ENTRY_PROTECT };

/* The fields of each kind overlap: an event is at most 64 bytes, which
 * AddressSanitizer checks inline when one is built (a bigger one costs an
 * out-of-line range check, and there are events at every visit and entry). */
struct rmap_event {
	unsigned char kind;
	const struct task *task;
	union {
		struct {	/* EV_WALK_* */
			const struct rmap_walk *walk;
			const struct vm_area_struct *vma;
			unsigned long addr;
			int result;
		};
		struct {	/* EV_ENTRY */
			unsigned char change;	/* enum entry_change */
			bool huge;
			bool locked;	/* under the anon_vma lock (moves) */
			struct mm_struct *mm, *from_mm;
			unsigned long addr, from;
			struct page *page;
		} entry;
		const char *message;	/* EV_KERNEL_BUG */
		struct {	/* EV_TLB_FILL, EV_TLB_FLUSH, EV_PAGE_FREE */
			struct mm_struct *mm;
			unsigned long start, end;
			struct page *page;
			const char *why;	/* the kernel function that flushed or freed */
			bool huge;
		} tlb;
	};
};
_Static_assert(sizeof(struct rmap_event) <= 64, "an event fits ASan's inline check");

typedef void (*rmap_event_fn)(void *ctx, struct world *w, const struct rmap_event *ev);
typedef void (*rmap_trace_fn)(void *ctx, const struct task *t, const char *step, const char *detail);

enum halt_reason { HALT_NONE, HALT_KERNEL_BUG, HALT_MODEL_BUG };

struct world {
	/* Kept across world_reset: the memory every object of a run lives in. */
	struct arena mem;

	const struct protocol *proto;

	struct mm_struct *mm[MAX_MMS];
	int nr_mm;
	struct task *task[MAX_TASKS];	/* live tasks, by increasing id */
	int nr_tasks;
	int next_task_id;

	struct list_head anon_vmas;	/* every live anon_vma */
	/* Freed anon_vmas are kept until world_free, marked dead, so a page
	 * whose anon_vma died while it was mapped is a reported kernel bug
	 * (the kernel's use-after-free), not a crash of the model. */
	struct list_head dead_anon_vmas;
	int nr_anon_vmas;
	struct page **page_blocks;	/* every page allocation */
	int nr_page_blocks, cap_page_blocks;

	unsigned long next_vma_id, next_anon_vma_id, next_page_id, avc_seq;
	unsigned long steps;		/* step attempts that ran */
	/* Per operation (enum task_op): tasks ended, anon_vma lock sections
	 * they entered (what a protocol costs: the templist locks twice). */
	struct { unsigned long tasks, anon_vma_locks; } op_stats[20];	/* NR_TASK_OPS at most */

	rmap_event_fn event;
	void *event_ctx;
	rmap_trace_fn trace;
	void *trace_ctx;

	enum halt_reason halted;
	char halt_message[256];
};

/* A world with one empty mm (mm 0). Never NULL: aborts on out-of-memory. */
struct world *world_new(const struct protocol *proto);
/* Tear down by the kernel's rules (tasks release what they hold, vmas
 * unlink, anon_vmas die by refcount), check that nothing is left, free. */
void world_free(struct world *w);
/* w as world_new(proto) returns it, in O(1): the objects of the last run
 * are dropped at once, their memory kept (the fuzz target's per input). */
void world_reset(struct world *w, const struct protocol *proto);

/* The world's objects: zeroed, never NULL; world_dealloc poisons. */
void *world_alloc(struct world *w, unsigned long size);
/* Kinds of object the explorer's hash reads by a layout of their own
 * (arena_alloc_kind): a vma, whose id is a name. */
enum world_obj_kind { WORLD_OBJ_VMA = 1 };
void *world_alloc_kind(struct world *w, unsigned long size, enum world_obj_kind kind);
/* Only the first head bytes zeroed (arena_alloc_head). */
void *world_alloc_head(struct world *w, unsigned long size, unsigned long head);
void world_dealloc(struct world *w, void *p, unsigned long size);

/* The modelled kernel's BUG_ON fired (a detected miss): the world stops. */
void world_kernel_bug(struct world *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The model broke its own rules (deadlock, lock order): the world stops. */
void world_model_bug(struct world *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void world_emit(struct world *w, const struct rmap_event *ev);
/* The name of the object a lock belongs to, for reports: AV0 (anon_vma
 * 0's rwsem, a root's), mmap_sem0 (mm0's), PTL(mm0 0x8000) (the pmd
 * slot's), PG_locked(page0), with (w) or (r) after an rwsem's name.
 * Locks carry only their class, so it searches the world: a cold path,
 * for reports only. */
void world_lock_name(const struct world *w, const struct lock *l, bool write, char *buf,
		     unsigned long size);
/* Record the step a task is running (its kernel function) and, when tracing,
 * a detail line. A macro: every step calls it, and the detail's arguments
 * are worth evaluating only for a trace. */
#define step_trace(w, t, name, ...)                                   \
	do {                                                          \
		(t)->step = (name);                                   \
		if ((w)->trace)                                       \
			step_trace_detail((w), (t), (name), __VA_ARGS__); \
	} while (0)
void step_trace_detail(struct world *w, struct task *t, const char *step, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void entry_event(struct world *w, struct task *t, enum entry_change change, bool huge,
		 struct mm_struct *mm, unsigned long addr, struct mm_struct *from_mm,
		 unsigned long from, struct page *page, bool locked);

#endif
