/* mremap() (mm/mremap.c), mmap_sem held for write throughout.
 *
 * MREMAP_MAYMOVE|MREMAP_FIXED to a new address, same length (mremap_to):
 *   do_munmap of the destination; move_vma: copy_vma (vma_merge into a
 *   neighbour, re-indexed under AV(w), or a new vma cloned under AV(w)) ||;
 *   move_page_tables (move_page_tables.c), one pmd extent per step ||;
 *   do_munmap of the old range, whose entries are gone already.
 * Without MREMAP_FIXED, to a new length:
 *   shrink: do_munmap of the tail;
 *   grow in place, when the range runs to the vma's end and the hole after
 *   it fits (vma_expandable): vma_adjust under AV(w);
 *   else, with MREMAP_MAYMOVE, move_vma to where get_unmapped_area says
 *   (mmap.c); when move_page_tables moves less than the old length (a
 *   page-table allocation failed), it moves the entries back with
 *   need_rmap_locks and unmaps the new range instead of the old. */
#include "ops.h"

static bool range_ok(unsigned long addr, unsigned long len)
{
	return len && !(addr & ~PAGE_MASK) && !(len & ~PAGE_MASK) && addr < TASK_SIZE &&
	       len <= TASK_SIZE - addr;
}

static enum step_result mremap_fail(struct world *w, struct task *t, struct mremap_frame *m,
				    const char *why)
{
	step_trace(w, t, "mremap", "mm%d: %s", m->mm->id, why);
	lock_drop(w, t, &m->mm->mmap_sem);
	task_return(t, -1);
	return STEP_DONE;
}

/* What follows the mmap_sem's step, in order. */
enum {
	MREMAP_BEGIN,
	MREMAP_VMA,		/* vma_to_resize, then move_vma's copy_vma */
	MREMAP_MERGED,		/* copy_vma merged: need_rmap_locks */
	MREMAP_MOVE,		/* move_page_tables */
	MREMAP_MOVED,
	MREMAP_UNMAP_OLD,
	MREMAP_DONE,		/* up_write */
	MREMAP_FLUSH,		/* templist: the destination into the index */
	MREMAP_MOVETO_TAIL,	/* list-3.3: a merged destination behind the source */
	MREMAP_RESIZE_MOVE,	/* move_vma after get_unmapped_area */
	/* move_vma's error path: */
	MREMAP_BACK_MOVETO_TAIL,	/* list-3.3: the old vma behind the new */
	MREMAP_BACK_TEMPLIST,	/* templist: the old vma is filled now */
	MREMAP_BACK_MOVE,	/* move_page_tables back, need_rmap_locks */
	MREMAP_BACK_MOVED,
	MREMAP_BACK_FLUSH,	/* templist: the old vma into the index, */
	MREMAP_BACK_FLUSH_NEW,	/* and the new one, which the unmap may leave part of */
	MREMAP_UNMAP_NEW,
	MREMAP_FAILED,		/* up_write, -ENOMEM */
};

/* A second anon_vma lock section on a vma: the templist protocols flush a
 * vma a move filled into the index once the move is done (and put the old
 * vma on the templist before a move-back fills it); list-3.3's moveto_tail
 * puts the vma a move fills behind the one it empties. */
static enum step_result anon_vma_section(struct world *w, struct task *t, struct frame *f,
					 struct vm_area_struct *vma, const char *step,
					 void (*fn)(struct world *, struct vm_area_struct *),
					 unsigned char next)
{
	struct anon_vma *av = vma->anon_vma;

	if (av && !lock_take(w, t, anon_vma_lock(av), true))
		return STEP_BLOCKED;
	step_trace(w, t, step, "vma%lu", vma->id);
	fn(w, vma);
	if (av)
		lock_drop(w, t, anon_vma_lock(av));
	f->pc = next;
	return STEP_DONE;
}

/* The destination's pgoff: a never-faulted vma has no pages to keep
 * linear, so it takes the pgoff of the new address, to merge more often. */
static pgoff_t copy_vma_pgoff(const struct mremap_frame *m, const struct vm_area_struct *vma,
			      pgoff_t pgoff)
{
	return vma->anon_vma ? pgoff : m->new_addr >> PAGE_SHIFT;
}

/* copy_vma's choice: whether the destination merges (plan), from the mm's
 * vmas alone, which the caller's mmap_sem keeps still. */
static bool copy_vma_merges(const struct mremap_frame *m, struct vm_area_struct *vma,
			    pgoff_t pgoff, struct vma_merge_plan *plan)
{
	return vma_merge(m->mm, find_vma_prev_of(m->mm, m->new_addr), m->new_addr,
			 m->new_addr + m->new_len, vma->vm_flags, vma->anon_vma,
			 copy_vma_pgoff(m, vma, pgoff), plan);
}

static pgoff_t move_vma_pgoff(const struct mremap_frame *m, const struct vm_area_struct *vma)
{
	return vma->vm_pgoff + ((m->old_addr - vma->vm_start) >> PAGE_SHIFT);
}

/* copy_vma(): the destination vma, by merge or as a new clone. The frame
 * takes the source vma only once the step goes on: an attempt that blocks
 * leaves it as it was (task_next_lock). */
static enum step_result copy_vma(struct world *w, struct task *t, struct frame *f,
				 struct vm_area_struct *vma)
{
	struct mremap_frame *m = &f->u.mremap;
	struct mm_struct *mm = m->mm;
	unsigned long end = m->new_addr + m->new_len;
	pgoff_t new_pgoff = move_vma_pgoff(m, vma);
	struct vma_merge_plan plan;

	bool merges = copy_vma_merges(m, vma, new_pgoff, &plan);
	/* A new vma's first lock, after reading the mm's vmas alone:
	 * task_next_lock (mremap_next_lock). */
	struct anon_vma *av = vma->anon_vma;
	if (!merges && av && !lock_take(w, t, anon_vma_lock(av), true))
		return STEP_BLOCKED;
	m->vma = vma;
	m->vma_start = vma->vm_start;
	if (merges) {
		m->new_vma = plan.vma;
		if (w->proto->templist == TEMPLIST_ALL)
			plan.vma->rmap_templist = true;
		f->pc = MREMAP_MERGED;
		call_vma_adjust(w, t, plan.vma, plan.start, plan.end, plan.pgoff, NULL);
		return STEP_CONTINUE;
	}
	struct vm_area_struct *new_vma = vm_area_dup(w, vma);
	new_vma->vm_start = m->new_addr;
	new_vma->vm_end = end;
	new_vma->vm_pgoff = copy_vma_pgoff(m, vma, new_pgoff);
	new_vma->rmap_templist = w->proto->templist != TEMPLIST_OFF;
	anon_vma_clone(w, new_vma, vma);
	vma_link(mm, new_vma);
	if (av)
		lock_drop(w, t, anon_vma_lock(av));
	step_trace(w, t, "copy_vma", "new vma%lu [%#lx, %#lx) pgoff %#lx, need_rmap_locks 0",
		   new_vma->id, new_vma->vm_start, new_vma->vm_end, new_vma->vm_pgoff);
	/* A new vma's key is the source's or later and ties go after: the walk
	 * meets the source first without the lock. */
	m->new_vma = new_vma;
	m->need_rmap_locks = false;
	f->pc = MREMAP_MOVE;
	return STEP_DONE;
}

/* move_vma's room for the vmas a move may make (and split). */
static bool move_vma_map_count_full(const struct mremap_frame *m)
{
	return m->mm->map_count >= MAX_MAP_COUNT - 3;
}

/* move_vma() up to the move: the vma is found and the range checked. */
static enum step_result move_vma(struct world *w, struct task *t, struct frame *f,
				 struct vm_area_struct *vma)
{
	struct mremap_frame *m = &f->u.mremap;

	if (move_vma_map_count_full(m))
		return mremap_fail(w, t, m, "map_count");
	return copy_vma(w, t, f, vma);
}

/* vma_to_resize(): the range must lie in one vma. */
static struct vm_area_struct *vma_to_resize(const struct mremap_frame *m)
{
	struct vm_area_struct *vma = find_vma(m->mm, m->old_addr);
	if (!vma || vma->vm_start > m->old_addr || m->old_addr + m->len > vma->vm_end)
		return NULL;
	return vma;
}

struct lock *mremap_next_lock(const struct frame *f)
{
	const struct mremap_frame *m = &f->u.mremap;
	struct vm_area_struct *vma = f->pc == MREMAP_VMA ? vma_to_resize(m)
				   : f->pc == MREMAP_RESIZE_MOVE ? m->vma : NULL;
	struct vma_merge_plan plan;
	if (!vma || !vma->anon_vma || move_vma_map_count_full(m) ||
	    copy_vma_merges(m, vma, move_vma_pgoff(m, vma), &plan))
		return NULL;
	return anon_vma_lock(vma->anon_vma);
}

/* vma_expandable(): the hole after vma holds delta more bytes. */
static bool vma_expandable(const struct vm_area_struct *vma, unsigned long delta)
{
	unsigned long end = vma->vm_end + delta;
	return end <= TASK_SIZE && (!vma->vm_next || vma->vm_next->vm_start >= end);
}

/* mremap() without MREMAP_FIXED, once it holds mmap_sem: what to do. */
static enum step_result mremap_resize(struct world *w, struct task *t, struct frame *f)
{
	struct mremap_frame *m = &f->u.mremap;
	struct mm_struct *mm = m->mm;
	unsigned long addr = m->old_addr, old_len = m->len, new_len = m->new_len;

	if ((addr & ~PAGE_MASK) || !new_len || (new_len & ~PAGE_MASK) || (old_len & ~PAGE_MASK))
		return mremap_fail(w, t, m, "bad range");
	if (old_len >= new_len) {
		/* Always allowed, with or without a vma there. */
		step_trace(w, t, "mremap", "mm%d [%#lx, %#lx) to %#lx bytes: %s", mm->id, addr,
			   addr + old_len, new_len, old_len > new_len ? "shrink, do_munmap of the tail"
			   : "same length, nothing to do");
		f->pc = MREMAP_DONE;
		if (old_len > new_len)
			call_munmap(w, t, mm, addr + new_len, old_len - new_len);
		return STEP_DONE;
	}
	struct vm_area_struct *vma = vma_to_resize(m);
	if (!vma)
		return mremap_fail(w, t, m, "no vma covers the range");
	if (old_len == vma->vm_end - addr && vma_expandable(vma, new_len - old_len)) {
		step_trace(w, t, "mremap", "mm%d [%#lx, %#lx) to %#lx bytes: vma%lu grows in place",
			   mm->id, addr, addr + old_len, new_len, vma->id);
		f->pc = MREMAP_DONE;
		call_vma_adjust(w, t, vma, vma->vm_start, addr + new_len, vma->vm_pgoff, NULL);
		return STEP_DONE;
	}
	if (!(m->flags & MREMAP_MAYMOVE))
		return mremap_fail(w, t, m, "no room to grow in place, no MREMAP_MAYMOVE (-ENOMEM)");
	if (!get_unmapped_area(mm, new_len, &m->new_addr))
		return mremap_fail(w, t, m, "get_unmapped_area: no hole fits (-ENOMEM)");
	step_trace(w, t, "mremap", "mm%d [%#lx, %#lx) to %#lx bytes: move_vma to %#lx", mm->id, addr,
		   addr + old_len, new_len, m->new_addr);
	m->vma = vma;
	f->pc = MREMAP_RESIZE_MOVE;
	return STEP_DONE;
}

/* After move_page_tables: on, or (it moved less than asked) back. */
static unsigned char after_move(struct world *w, struct mremap_frame *m)
{
	if (m->moved == m->len)
		return m->new_vma->rmap_templist ? MREMAP_FLUSH : MREMAP_UNMAP_OLD;
	if (w->proto->moveto_tail)
		return MREMAP_BACK_MOVETO_TAIL;
	if (w->proto->templist == TEMPLIST_ALL && m->vma != m->new_vma)
		return MREMAP_BACK_TEMPLIST;
	return MREMAP_BACK_MOVE;
}

enum step_result mremap_step(struct world *w, struct task *t, struct frame *f)
{
	struct mremap_frame *m = &f->u.mremap;
	struct mm_struct *mm = m->mm;

	for (;;) {
		switch (f->pc) {
		case MREMAP_BEGIN:
			/* First, before any read: task_next_lock (sched.c). */
			if (!lock_take(w, t, &mm->mmap_sem, true))
				return STEP_BLOCKED;
			if (m->resize)
				return mremap_resize(w, t, f);
			if (!range_ok(m->old_addr, m->len) || !range_ok(m->new_addr, m->len) ||
			    (m->new_addr < m->old_addr + m->len && m->old_addr < m->new_addr + m->len))
				return mremap_fail(w, t, m, "bad range");
			step_trace(w, t, "mremap_to", "mm%d [%#lx, %#lx) -> %#lx", mm->id, m->old_addr,
				   m->old_addr + m->len, m->new_addr);
			f->pc = MREMAP_VMA;
			if (!range_is_free(mm, m->new_addr, m->new_addr + m->len))
				call_munmap(w, t, mm, m->new_addr, m->len);
			return STEP_DONE;
		case MREMAP_VMA: {
			struct vm_area_struct *vma = vma_to_resize(m);
			if (!vma)
				return mremap_fail(w, t, m, "no vma covers the range");
			return move_vma(w, t, f, vma);
		}
		case MREMAP_MERGED: {
			/* After a merge: the source itself may have merged (only
			 * possible when it has no pages). The merged vma sorts no
			 * later than the source when its pgoff is not greater: then
			 * a walk may meet it first, and moves need the lock. */
			struct vm_area_struct *new_vma = m->new_vma;
			if (m->vma_start >= new_vma->vm_start && m->vma_start < new_vma->vm_end)
				m->vma = new_vma;
			m->need_rmap_locks = new_vma->vm_pgoff <= m->vma->vm_pgoff;
			step_trace(w, t, "copy_vma", "merged into vma%lu [%#lx, %#lx) pgoff %#lx, "
				   "need_rmap_locks %d", new_vma->id, new_vma->vm_start,
				   new_vma->vm_end, new_vma->vm_pgoff, m->need_rmap_locks);
			f->pc = w->proto->moveto_tail && m->vma != new_vma ? MREMAP_MOVETO_TAIL
									    : MREMAP_MOVE;
			continue;
		}
		case MREMAP_RESIZE_MOVE:
			return move_vma(w, t, f, m->vma);
		case MREMAP_MOVE:
			f->pc = MREMAP_MOVED;
			call_move_page_tables(w, t, m->vma, m->old_addr, m->new_vma, m->new_addr, m->len,
					      m->need_rmap_locks, m->flags & MREMAP_ALLOC_FAILS);
			return STEP_CONTINUE;
		case MREMAP_MOVED:
			m->moved = (unsigned long)t->ret;
			f->pc = after_move(w, m);
			continue;
		case MREMAP_UNMAP_OLD:
			f->pc = MREMAP_DONE;
			call_munmap(w, t, mm, m->old_addr, m->len);
			return STEP_CONTINUE;
		case MREMAP_DONE:
			step_trace(w, t, "up_write", "mm%d mmap_sem", mm->id);
			lock_drop(w, t, &mm->mmap_sem);
			task_return(t, 0);
			return STEP_DONE;
		case MREMAP_FLUSH:
			return anon_vma_section(w, t, f, m->new_vma, "anon_vma_templist_flush",
						anon_vma_templist_flush, MREMAP_UNMAP_OLD);
		case MREMAP_MOVETO_TAIL:
			return anon_vma_section(w, t, f, m->new_vma, "anon_vma_moveto_tail",
						anon_vma_moveto_tail, MREMAP_MOVE);
		case MREMAP_BACK_MOVETO_TAIL:
			/* 3.3-3.6: the move-back is unlocked too; the old vma goes
			 * behind the new one, whose entries move into it. */
			return anon_vma_section(w, t, f, m->vma, "anon_vma_moveto_tail",
						anon_vma_moveto_tail, MREMAP_BACK_MOVE);
		case MREMAP_BACK_TEMPLIST:
			return anon_vma_section(w, t, f, m->vma, "anon_vma_templist_add",
						anon_vma_templist_add, MREMAP_BACK_MOVE);
		case MREMAP_BACK_MOVE:
			f->pc = MREMAP_BACK_MOVED;
			call_move_page_tables(w, t, m->new_vma, m->new_addr, m->vma, m->old_addr, m->moved,
					      true, false);
			return STEP_CONTINUE;
		case MREMAP_BACK_MOVED:
			f->pc = m->vma->rmap_templist ? MREMAP_BACK_FLUSH : MREMAP_BACK_FLUSH_NEW;
			continue;
		case MREMAP_BACK_FLUSH:
			return anon_vma_section(w, t, f, m->vma, "anon_vma_templist_flush",
						anon_vma_templist_flush, MREMAP_BACK_FLUSH_NEW);
		case MREMAP_BACK_FLUSH_NEW:
			if (!m->new_vma->rmap_templist) {
				f->pc = MREMAP_UNMAP_NEW;
				continue;
			}
			return anon_vma_section(w, t, f, m->new_vma, "anon_vma_templist_flush",
						anon_vma_templist_flush, MREMAP_UNMAP_NEW);
		case MREMAP_UNMAP_NEW:
			f->pc = MREMAP_FAILED;
			call_munmap(w, t, mm, m->new_addr, m->new_len);
			return STEP_CONTINUE;
		default:	/* MREMAP_FAILED */
			step_trace(w, t, "up_write", "mm%d mmap_sem: the move failed (-ENOMEM)", mm->id);
			lock_drop(w, t, &mm->mmap_sem);
			task_return(t, -1);
			return STEP_DONE;
		}
	}
}
