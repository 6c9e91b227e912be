/* mremap(MREMAP_MAYMOVE|MREMAP_FIXED) of a range to a new address, same
 * length (mm/mremap.c), mmap_sem held for write throughout:
 *   do_munmap of the destination; copy_vma (vma_merge into a neighbour,
 *   re-indexed under AV(w), or a new vma cloned under AV(w)) ||;
 *   move_page_tables (move_page_tables.c), one pmd extent per step ||;
 *   do_munmap of the old range, whose entries are gone already. */
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
};

/* A second anon_vma lock section on a vma: templist protocols flush the
 * destination into the index once the move is done; list-3.3's
 * moveto_tail puts a merged destination behind the source. */
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

/* copy_vma(): the destination vma, by merge or as a new clone. */
static enum step_result copy_vma(struct world *w, struct task *t, struct frame *f)
{
	struct mremap_frame *m = &f->u.mremap;
	struct mm_struct *mm = m->mm;
	struct vm_area_struct *vma = m->vma;
	unsigned long end = m->new_addr + m->len;
	pgoff_t pgoff = m->new_pgoff;
	struct vma_merge_plan plan;

	/* A never-faulted vma has no pages to keep linear: take the pgoff of
	 * the new address, to merge more often. */
	if (!vma->anon_vma)
		pgoff = m->new_addr >> PAGE_SHIFT;
	if (vma_merge(mm, find_vma_prev_of(mm, m->new_addr), m->new_addr, end, vma->anon_vma,
		      pgoff, &plan)) {
		m->new_vma = plan.vma;
		if (w->proto->templist == TEMPLIST_ALL)
			plan.vma->rmap_templist = true;
		f->pc = MREMAP_MERGED;
		call_vma_adjust(w, t, plan.vma, plan.start, plan.end, plan.pgoff, NULL, plan.remove);
		return STEP_CONTINUE;
	}
	struct anon_vma *av = vma->anon_vma;
	if (av && !lock_take(w, t, anon_vma_lock(av), true))
		return STEP_BLOCKED;
	struct vm_area_struct *new_vma = vm_area_dup(w, vma);
	new_vma->vm_start = m->new_addr;
	new_vma->vm_end = end;
	new_vma->vm_pgoff = pgoff;
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

/* move_vma() up to the move: the vma is found and the range checked. */
static enum step_result move_vma(struct world *w, struct task *t, struct frame *f,
				 struct vm_area_struct *vma)
{
	struct mremap_frame *m = &f->u.mremap;

	if (m->mm->map_count >= MAX_MAP_COUNT - 3)
		return mremap_fail(w, t, m, "map_count");
	m->vma = vma;
	m->vma_start = vma->vm_start;
	m->new_pgoff = vma->vm_pgoff + ((m->old_addr - vma->vm_start) >> PAGE_SHIFT);
	return copy_vma(w, t, f);
}

enum step_result mremap_step(struct world *w, struct task *t, struct frame *f)
{
	struct mremap_frame *m = &f->u.mremap;
	struct mm_struct *mm = m->mm;

	for (;;) {
		switch (f->pc) {
		case MREMAP_BEGIN:
			if (!lock_take(w, t, &mm->mmap_sem, true))
				return STEP_BLOCKED;
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
			/* vma_to_resize(): the range must lie in one vma. */
			struct vm_area_struct *vma = find_vma(mm, m->old_addr);
			if (!vma || vma->vm_start > m->old_addr || m->old_addr + m->len > vma->vm_end)
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
		case MREMAP_MOVE:
			f->pc = MREMAP_MOVED;
			call_move_page_tables(w, t, m->vma, m->old_addr, m->new_vma, m->new_addr, m->len,
					      m->need_rmap_locks, false);
			return STEP_CONTINUE;
		case MREMAP_MOVED:
			f->pc = m->new_vma->rmap_templist ? MREMAP_FLUSH : MREMAP_UNMAP_OLD;
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
		default:	/* MREMAP_MOVETO_TAIL */
			return anon_vma_section(w, t, f, m->new_vma, "anon_vma_moveto_tail",
						anon_vma_moveto_tail, MREMAP_MOVE);
		}
	}
}
