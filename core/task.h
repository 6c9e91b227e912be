/* Tasks: kernel operations cut into atomic steps.
 *
 * A task runs a stack of frames, one per kernel function that spans a lock
 * drop (do_munmap calls __split_vma calls vma_adjust calls split_huge_page).
 * A step attempt runs the top frame until it either
 *   - does one piece of work between two lock drops (STEP_DONE), having taken
 *     every lock that work needs, or
 *   - finds a lock held by another task (STEP_BLOCKED): the locks this attempt
 *     took are given back and the task waits on that lock.
 * Pure decisions that read state without a lock (the kernel's unlocked
 * peeks) may run before the work and are kept even when the attempt blocks,
 * as a sleeping kernel thread keeps what it already read; the work itself
 * re-checks what the kernel re-checks under its locks.
 */
#ifndef RMAP_TASK_H
#define RMAP_TASK_H

#include <stdbool.h>
#include <string.h>

#include "lock.h"
#include "pgtable.h"
#include "rmap.h"

struct anon_vma;
struct mm_struct;
struct page;
struct vm_area_struct;
struct world;

enum task_op {
	OP_MMAP,
	OP_FAULT,
	OP_FORK,
	OP_MREMAP,
	OP_MUNMAP,
	OP_SPLIT_VMA,
	OP_VMA_ADJUST,
	OP_SPLIT_HUGE_PAGE_PMD,
	OP_SPLIT_HUGE_PAGE,
	OP_MIGRATE,
	OP_UNMAP_VMAS,		/* unmap_vmas / zap_page_range: munmap, madvise, exit_mmap */
	OP_MADVISE,
	OP_EXIT_MMAP,
	OP_MPROTECT,
	OP_WP_PAGE,		/* do_wp_page: a write fault's COW of a pte */
	OP_HUGE_PMD_WP_PAGE,	/* do_huge_pmd_wp_page: of a huge pmd */
	OP_MOVE_PAGE_TABLES,	/* mremap's move and move-back, exec's shift */
	OP_EXEC,		/* a new mm, its stack shifted down (shift_arg_pages) */
	OP_ACCESS,		/* a task touching an address: the TLB, or the page walk */
	NR_TASK_OPS
};

enum step_result {
	STEP_DONE,	/* one atomic step ran */
	STEP_BLOCKED,	/* nothing ran: waiting for a lock */
	STEP_CONTINUE,	/* control only (a call or a return): go on in this attempt */
};

/* The locals of each kernel function that spans steps. */
struct mmap_frame { struct mm_struct *mm; unsigned long addr, len; };
struct fault_frame {
	struct mm_struct *mm;
	unsigned long addr;
	bool huge;
	bool write;			/* FAULT_FLAG_WRITE */
	bool fallback;			/* a THP's COW finds no THP to copy into */
	struct page *wait_page;
};
/* do_wp_page and do_huge_pmd_wp_page: the entry the fault found
 * write-protected, and the page it mapped. */
struct wp_page_frame {
	struct mm_struct *mm;
	struct vm_area_struct *vma;
	unsigned long addr;		/* the pte's, or the huge pmd's */
	struct page *old_page;		/* pinned while no lock is held */
	struct page *new_page;		/* the copy, between the clear and the set */
	bool fallback;			/* do_huge_pmd_wp_page_fallback */
};
struct fork_frame {
	struct mm_struct *oldmm, *mm;
	struct vm_area_struct *mpnt, *tmp;	/* parent vma, its copy */
	unsigned long addr;			/* copy_page_range cursor */
};
struct mremap_frame {
	struct mm_struct *mm;
	unsigned long old_addr, len, new_addr, new_len;
	bool resize;			/* no MREMAP_FIXED: new_len may differ */
	unsigned char flags;		/* resize: MREMAP_MAYMOVE, MREMAP_ALLOC_FAILS */
	struct vm_area_struct *vma, *new_vma;
	unsigned long vma_start;
	bool need_rmap_locks;
	unsigned long moved;		/* what move_page_tables moved */
};
struct move_page_tables_frame {
	struct vm_area_struct *vma, *new_vma;
	unsigned long old_addr, new_addr, len;
	bool need_rmap_locks;
	bool alloc_fails;		/* alloc_new_pmd fails after the first extent */
	unsigned long old, new;		/* cursors */
	unsigned long extent;		/* of the move in flight */
	bool moving_huge;
	bool need_flush;		/* something moved: the TLB range flush at the end */
};
struct munmap_frame {
	struct mm_struct *mm;
	unsigned long start, end;
	bool nested;			/* the caller holds mmap_sem */
	unsigned long floor, ceiling;	/* free_pgtables bounds */
	struct vm_area_struct *vma;	/* unlink cursor over mm->detached */
};
/* unmap_vmas(): zap [start, end) of each vma from vma on (vm_next order)
 * that starts below end, one pmd extent per step. */
struct unmap_vmas_frame {
	struct mm_struct *mm;
	struct vm_area_struct *vma;	/* the vma being zapped */
	unsigned long start, end, addr;
	struct page *zap_page;		/* zap_huge_pmd's THP, inside its lock section */
};
struct madvise_frame { struct mm_struct *mm; unsigned long start, end; };
struct exit_mmap_frame { struct mm_struct *mm; struct vm_area_struct *vma; };
/* sys_mprotect(): mprotect_fixup of each vma in [start, end), then
 * change_protection of [nstart, tmp) in it, one pmd extent at a time. */
struct mprotect_frame {
	struct mm_struct *mm;
	unsigned long start, end;
	unsigned long newflags;
	struct vm_area_struct *vma, *prev;	/* mprotect_fixup's vma and *pprev */
	unsigned long nstart, tmp;		/* the part of vma it changes */
	unsigned long addr;			/* change_protection's cursor */
	bool changed;				/* an entry changed: flush the range at its end */
};
struct exec_frame {
	struct mm_struct *mm;
	struct vm_area_struct *vma;	/* the temporary stack */
	int nr_pages, faulted;		/* argument pages, and those faulted in */
	unsigned long shift;		/* how far down setup_arg_pages moves it */
	unsigned long old_start, old_end;	/* shift_arg_pages' */
};
struct access_frame { struct mm_struct *mm; unsigned long addr; };
struct split_vma_frame {
	struct mm_struct *mm;
	struct vm_area_struct *vma, *new;
	unsigned long addr;
	bool new_below;
};
/* vma_adjust(): next is vma->vm_next when it takes part, merged away
 * (remove_next: 1, or 2 when the one after it goes too) or moved
 * (adjust_next pages: > 0 it shrinks from the front, < 0 it grows down);
 * the importer gets the exporter's anon_vma first when it has none. */
struct vma_adjust_frame {
	struct vm_area_struct *vma, *insert, *next;
	struct vm_area_struct *importer, *exporter;
	unsigned long start, end;
	pgoff_t pgoff;
	long adjust_next;
	int remove_next;
};
/* Its steps (frame pc): ADJUST_MERGE is between next's unlink from the mm
 * and anon_vma_merge, when next is still indexed but in no mm. */
enum { ADJUST_PLAN, ADJUST_IMPORT, ADJUST_SPLIT_START, ADJUST_SPLIT_END, ADJUST_SPLIT_NEXT,
       ADJUST_LOCKED, ADJUST_MERGE, ADJUST_AGAIN };
struct split_pmd_frame {
	struct mm_struct *mm;
	unsigned long haddr;
	struct page *page;
	bool waiting;			/* split_refuses_pins refused it: it waits */
	int wait_refs;			/* for the page's other references to change */
};
struct split_huge_page_frame {
	struct page *page;
	struct anon_vma *anon_vma;	/* referenced */
	struct rmap_walk walk;
	int mapcount;			/* pass 1's count */
	bool looked;			/* the visit's unlocked look passed: its lock next */
	unsigned long others;		/* other tasks' steps when this pass began */
	int retries;
	bool own_ref;			/* started alone: it holds the caller's reference */
};
struct migrate_frame {
	struct page *page, *newpage;
	struct anon_vma *anon_vma;	/* referenced */
	struct rmap_walk walk;
	int rc;
	bool looked;			/* the visit's unlocked look passed: its lock next */
	unsigned char table;		/* the pte table it looked at (mm.h's table_lock) */
};

struct frame {
	unsigned char op;
	unsigned char pc;
	union {
		struct mmap_frame mmap;
		struct fault_frame fault;
		struct fork_frame fork;
		struct mremap_frame mremap;
		struct munmap_frame munmap;
		struct split_vma_frame split_vma;
		struct vma_adjust_frame adjust;
		struct split_pmd_frame split_pmd;
		struct split_huge_page_frame split;
		struct migrate_frame migrate;
		struct unmap_vmas_frame unmap;
		struct madvise_frame madvise;
		struct exit_mmap_frame exit_mmap;
		struct mprotect_frame mprotect;
		struct wp_page_frame wp;
		struct move_page_tables_frame move;
		struct exec_frame exec;
		struct access_frame access;
	} u;
};

#define TASK_MAX_FRAMES 8

/* An entry a task took out of the page tables and has not yet put back or
 * accounted for: a move between its clear and its set (both page-table locks
 * held across the two steps), or a cleared huge pmd or pte whose mapcount
 * drop is a later step of the same lock section (zap_huge_pmd; a COW's
 * clear before its new entry). Locked walkers cannot see the window;
 * unlocked peeks can. Checks and the oracle count these where they will
 * land (a cleared one: where it was, until its page_remove_rmap). */
enum inflight_kind { INFLIGHT_PTE, INFLIGHT_PMD, INFLIGHT_ZAP, INFLIGHT_ZAP_PTE };
struct inflight {
	unsigned char kind;
	bool write;			/* INFLIGHT_PMD: the huge pmd's pmd_write() */
	struct pte pte;			/* INFLIGHT_PTE: the entry moved */
	struct pmd *from;		/* where it was */
	struct page *page;		/* INFLIGHT_PMD, INFLIGHT_ZAP: the THP head;
					 * INFLIGHT_ZAP_PTE: the small page */
	struct mm_struct *mm;
	unsigned long addr;		/* where it lands (a zap: where it was) */
};
#define TASK_MAX_INFLIGHT PTRS_PER_PTE
/* An mmu_gather holds at most every entry of one mm. */
#define MMU_GATHER_PAGES (NR_PMDS * PTRS_PER_PTE)

struct task {
	int id;				/* > 0; lock owners name tasks by id */
	unsigned char op;		/* the operation it was started as */
	int depth;
	int ret;			/* what the last returning frame returned */
	int nheld, attempt_held;	/* attempt_held: held before this attempt */
	struct lock *blocked_on;	/* set by a blocked attempt */
	bool blocked_write;
	const char *step;		/* kernel function of the last step */
	unsigned long steps;
	int nr_inflight;
	/* A retry loop that found nothing new spins: it cannot step again
	 * until another task has (others = w->steps - steps when it began). */
	bool spinning;
	unsigned long spin_others;
	/* Or it waits for spin_page's references besides its mappings' and
	 * splitters' to change from spin_refs (split_huge_page_pmd,
	 * split_refuses_pins). */
	struct page *spin_page;
	int spin_refs;
	unsigned long anon_vma_locks;	/* anon_vma lock sections entered */
	/* The mmu_gather (tlb.h): the mm it gathers for (NULL: none open), the
	 * range tlb_finish_mmu flushes, whether anything was unmapped, and the
	 * pages whose references it holds (gathered[], below). */
	struct mm_struct *tlb_mm;
	unsigned long tlb_start, tlb_end;
	bool tlb_need_flush;
	int nr_gathered;
	/* The arrays last, each read only below its count (depth, nheld,
	 * nr_inflight, nr_gathered): a new task zeroes the fields above, not these, which
	 * are nine tenths of it (task_new). */
	struct frame frames[TASK_MAX_FRAMES];
	struct held_lock held[TASK_MAX_HELD];
	struct inflight inflight[TASK_MAX_INFLIGHT];
	struct page *gathered[MMU_GATHER_PAGES];
};

/* Take e into t's in-flight entries field by field over a zeroed slot: a
 * compound literal's padding is unspecified, and the explorer hashes the
 * slot's bytes, so two equal entries must be equal bytes (else equal
 * states count twice, and the counts move with code generation). */
static inline void inflight_push(struct task *t, const struct inflight *e)
{
	struct inflight *d = &t->inflight[t->nr_inflight++];
	memset(d, 0, sizeof(*d));
	d->kind = e->kind;
	d->write = e->write;
	d->pte.kind = e->pte.kind;
	d->pte.write = e->pte.write;
	d->pte.page = e->pte.page;
	d->from = e->from;
	d->page = e->page;
	d->mm = e->mm;
	d->addr = e->addr;
}

/* Steps other tasks have run since the world began. */
static inline unsigned long task_others_steps(const struct task *t, unsigned long world_steps)
{
	return world_steps - t->steps;
}

/* Frame stack helpers for the op modules. */
struct frame *task_push(struct world *w, struct task *t, enum task_op op);
/* Return from the top frame with ret. */
void task_return(struct task *t, int ret);
static inline struct frame *task_top(struct task *t) { return &t->frames[t->depth - 1]; }

/* Each op module's step function (one per task_op). */
typedef enum step_result (*step_fn)(struct world *w, struct task *t, struct frame *f);
enum step_result mmap_step(struct world *w, struct task *t, struct frame *f);
enum step_result fault_step(struct world *w, struct task *t, struct frame *f);
enum step_result fork_step(struct world *w, struct task *t, struct frame *f);
enum step_result mremap_step(struct world *w, struct task *t, struct frame *f);
enum step_result munmap_step(struct world *w, struct task *t, struct frame *f);
enum step_result split_vma_step(struct world *w, struct task *t, struct frame *f);
enum step_result vma_adjust_step(struct world *w, struct task *t, struct frame *f);
enum step_result split_huge_page_pmd_step(struct world *w, struct task *t, struct frame *f);
enum step_result split_huge_page_step(struct world *w, struct task *t, struct frame *f);
enum step_result migrate_step(struct world *w, struct task *t, struct frame *f);
enum step_result unmap_vmas_step(struct world *w, struct task *t, struct frame *f);
enum step_result madvise_step(struct world *w, struct task *t, struct frame *f);
enum step_result exit_mmap_step(struct world *w, struct task *t, struct frame *f);
enum step_result mprotect_step(struct world *w, struct task *t, struct frame *f);
enum step_result wp_page_step(struct world *w, struct task *t, struct frame *f);
enum step_result huge_pmd_wp_page_step(struct world *w, struct task *t, struct frame *f);
enum step_result move_page_tables_step(struct world *w, struct task *t, struct frame *f);
enum step_result exec_step(struct world *w, struct task *t, struct frame *f);
enum step_result access_step(struct world *w, struct task *t, struct frame *f);

/* Release what a frame owns when a halted world is torn down mid-task. */
void task_frame_release(struct world *w, struct frame *f);

const char *task_op_name(enum task_op op);

#endif
