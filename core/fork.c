/* fork's dup_mmap() (kernel/fork.c, mm/memory.c, mm/huge_memory.c), with
 * both mmap_sems held for write throughout. Per parent vma: anon_vma_fork
 * links the child's vma under AV(w) ||, then copy_page_range copies one pmd
 * at a time under the two page-table locks alone ||. The copy is made after
 * the child is visible to walks and without the anon_vma lock: a walk must
 * visit the parent before the child to see every copy. */
#include "ops.h"

/* fork_step's steps (frame pc). */
enum { FORK_BEGIN, FORK_VMA, FORK_COPY, FORK_DONE, FORK_WAIT_SPLIT, FORK_FLUSH };

static void next_extent(struct fork_frame *fk, struct frame *f, unsigned long next)
{
	fk->addr = next;
	if (fk->addr >= fk->mpnt->vm_end) {
		if (fk->tmp->rmap_templist) {
			f->pc = FORK_FLUSH;	/* the templist flush, then the next vma */
			return;
		}
		fk->mpnt = fk->mpnt->vm_next;
		f->pc = FORK_VMA;
	}
}

/* The pmd extent copy_pmd_range is at, in both mms. */
struct copy_extent {
	unsigned long addr, next;
	struct pmd *src, *dst;
	struct lock *src_ptl, *dst_ptl;
};

static void copy_extent_at(const struct world *w, const struct fork_frame *fk, struct copy_extent *c)
{
	c->addr = fk->addr;
	c->next = pmd_addr_end(fk->addr, fk->mpnt->vm_end);
	c->src = mm_pmd(fk->oldmm, c->addr);
	c->dst = mm_pmd(fk->mm, c->addr);
	c->src_ptl = pte_lockptr(w, fk->oldmm, c->addr);
	c->dst_ptl = pte_lockptr(w, fk->mm, c->addr);
}

/* copy_huge_pmd(): share the THP; a splitting pmd makes fork wait for the
 * split to end and copy the ptes it leaves. */
static enum step_result copy_huge_pmd(struct world *w, struct task *t, struct frame *f)
{
	struct fork_frame *fk = &f->u.fork;
	struct copy_extent c;

	copy_extent_at(w, fk, &c);
	c.src_ptl = huge_pmd_lockptr(w, fk->oldmm, c.addr);
	c.dst_ptl = huge_pmd_lockptr(w, fk->mm, c.addr);
	if (!take_ptl_pair(w, t, c.dst_ptl, c.src_ptl))
		return STEP_BLOCKED;
	struct pmd *src = c.src, *dst = c.dst;
	if (pmd_trans_splitting(src)) {
		step_trace(w, t, "copy_huge_pmd", "mm%d %#lx: splitting, wait", fk->oldmm->id, c.addr);
		f->pc = FORK_WAIT_SPLIT;
	} else if (pmd_trans_huge(src)) {
		step_trace(w, t, "copy_huge_pmd", "copied huge pmd mm%d %#lx -> mm%d %#lx (page %lu)",
			   fk->oldmm->id, c.addr, fk->mm->id, c.addr, src->page->id);
		page_dup_rmap(src->page);
		get_page(w, src->page);
		src->write = false;	/* pmdp_set_wrprotect: both sides COW */
		set_pmd(dst, PMD_HUGE, src->page);
		entry_event(w, t, ENTRY_COPY, true, fk->mm, c.addr, fk->oldmm, c.addr, src->page, false);
		next_extent(fk, f, c.next);
	} else {
		step_trace(w, t, "copy_huge_pmd", "mm%d %#lx: no longer huge", fk->oldmm->id, c.addr);
	}
	drop_ptl_pair(w, t, c.dst_ptl, c.src_ptl);
	return STEP_DONE;
}

/* copy_pte_range(): present ptes share their page; migration entries are
 * copied as migration entries (the migration's second walk must find them).
 * Both sides lose the write bit (ptep_set_wrprotect, a write migration
 * entry made a read one): the next write on either is a COW. */
static enum step_result copy_pte_range(struct world *w, struct task *t, struct frame *f)
{
	struct fork_frame *fk = &f->u.fork;
	struct copy_extent c;

	copy_extent_at(w, fk, &c);
	if (!take_ptl_pair(w, t, c.dst_ptl, c.src_ptl))
		return STEP_BLOCKED;
	struct pmd *src = c.src, *dst = c.dst;
	step_trace(w, t, "copy_pte_range", "copied ptes mm%d [%#lx, %#lx) -> mm%d [%#lx, %#lx)",
		   fk->oldmm->id, c.addr, c.next, fk->mm->id, c.addr, c.next);
	if (src->kind == PMD_TABLE) {
		if (pmd_none(dst))
			set_pmd(dst, PMD_TABLE, NULL);
		for (unsigned long a = c.addr; a < c.next; a += PAGE_SIZE) {
			struct pte *s = &src->pte[pte_index(a)];
			if (s->kind == PTE_NONE)
				continue;
			if (s->kind == PTE_PRESENT) {
				page_dup_rmap(s->page);
				get_page(w, s->page);
			}
			s->write = false;
			dst->pte[pte_index(a)] = *s;
			entry_event(w, t, s->kind == PTE_MIGRATION ? ENTRY_MIGRATION : ENTRY_COPY, false,
				    fk->mm, a, fk->oldmm, a, s->page, false);
		}
		next_extent(fk, f, c.next);
	}
	drop_ptl_pair(w, t, c.dst_ptl, c.src_ptl);
	return STEP_DONE;
}

struct lock *fork_next_lock(const struct frame *f)
{
	const struct fork_frame *fk = &f->u.fork;
	struct anon_vma *av = fk->mpnt ? fk->mpnt->anon_vma : NULL;
	return (f->pc == FORK_VMA || f->pc == FORK_WAIT_SPLIT || f->pc == FORK_FLUSH) && av ?
	       anon_vma_lock(av) : NULL;
}

enum step_result fork_step(struct world *w, struct task *t, struct frame *f)
{
	struct fork_frame *fk = &f->u.fork;

	for (;;) {
		switch (f->pc) {
		case FORK_BEGIN:
			/* First, before any read: task_next_lock (sched.c). */
			if (!lock_take(w, t, &fk->oldmm->mmap_sem, true))
				return STEP_BLOCKED;
			if (w->nr_mm == MAX_MMS) {
				step_trace(w, t, "dup_mm", "mm%d: no room for another mm", fk->oldmm->id);
				lock_drop(w, t, &fk->oldmm->mmap_sem);
				task_return(t, -1);
				return STEP_DONE;
			}
			fk->mm = mm_alloc(w);
			w->mm[w->nr_mm++] = fk->mm;
			lock_take(w, t, &fk->mm->mmap_sem, true);	/* new: uncontended */
			step_trace(w, t, "dup_mmap", "mm%d -> mm%d", fk->oldmm->id, fk->mm->id);
			fk->mpnt = fk->oldmm->mmap;
			f->pc = FORK_VMA;
			return STEP_DONE;
		case FORK_VMA: {
			struct vm_area_struct *mpnt = fk->mpnt;
			if (!mpnt) {
				f->pc = FORK_DONE;
				continue;
			}
			/* The lock first: task_next_lock (fork_next_lock). */
			struct anon_vma *av = mpnt->anon_vma;
			if (av && !lock_take(w, t, anon_vma_lock(av), true))
				return STEP_BLOCKED;
			struct vm_area_struct *tmp = vm_area_dup(w, mpnt);
			tmp->vm_mm = fk->mm;
			tmp->anon_vma = NULL;
			tmp->rmap_templist = av && w->proto->templist != TEMPLIST_OFF;
			bool reused = anon_vma_fork(w, tmp, mpnt);
			vma_link(fk->mm, tmp);
			if (reused)
				step_trace(w, t, "anon_vma_fork", "vma%lu -> mm%d vma%lu, reusing anon_vma %lu",
					   mpnt->id, fk->mm->id, tmp->id, tmp->anon_vma->id);
			else
				step_trace(w, t, "anon_vma_fork", "vma%lu -> mm%d vma%lu", mpnt->id,
					   fk->mm->id, tmp->id);
			if (av)
				lock_drop(w, t, anon_vma_lock(av));
			fk->tmp = tmp;
			fk->addr = mpnt->vm_start;
			if (av)
				f->pc = FORK_COPY;	/* copy_page_range: only vmas with an anon_vma have pages */
			else
				fk->mpnt = mpnt->vm_next;
			return STEP_DONE;
		}
		case FORK_COPY: {
			/* Unlocked peeks, as copy_pmd_range's: empty pmds are skipped. */
			struct pmd *src = mm_pmd(fk->oldmm, fk->addr);
			if (pmd_trans_huge(src))
				return copy_huge_pmd(w, t, f);
			if (src->kind == PMD_TABLE)
				return copy_pte_range(w, t, f);
			next_extent(fk, f, pmd_addr_end(fk->addr, fk->mpnt->vm_end));
			continue;
		}
		case FORK_DONE:
			step_trace(w, t, "dup_mmap", "done: up_write both mmap_sems");
			/* The parent's entries lost their write bit: its CPUs
			 * must not keep writing through the old translations. */
			flush_tlb_mm(w, t, fk->oldmm, "flush_tlb_mm (dup_mmap)");
			lock_drop(w, t, &fk->mm->mmap_sem);
			lock_drop(w, t, &fk->oldmm->mmap_sem);
			task_return(t, fk->mm->id);
			return STEP_DONE;
		case FORK_FLUSH: {
			/* The templist protocols: the copy is done, the child joins
			 * the index under the anon_vma lock a second time, the
			 * lock first (fork_next_lock). */
			struct anon_vma *av = fk->mpnt->anon_vma;
			if (!lock_take(w, t, anon_vma_lock(av), true))
				return STEP_BLOCKED;
			step_trace(w, t, "anon_vma_templist_flush", "mm%d vma%lu into the index", fk->mm->id,
				   fk->tmp->id);
			anon_vma_templist_flush(w, fk->tmp);
			lock_drop(w, t, anon_vma_lock(av));
			fk->mpnt = fk->mpnt->vm_next;
			f->pc = FORK_VMA;
			return STEP_DONE;
		}
		default: {	/* FORK_WAIT_SPLIT */
			/* wait_split_huge_page(): the split holds AV(w) to its
			 * end. The lock first (fork_next_lock). */
			struct anon_vma *av = fk->mpnt->anon_vma;
			if (!lock_wait(w, t, anon_vma_lock(av), true))
				return STEP_BLOCKED;
			step_trace(w, t, "wait_split_huge_page", "mm%d %#lx", fk->oldmm->id, fk->addr);
			/* (A split that split_refuses_pins made give up thawed
			 * it: copy_huge_pmd again.) */
			if (pmd_trans_huge(mm_pmd(fk->oldmm, fk->addr)) && !w->proto->split_refuses_pins)
				world_kernel_bug(w, "wait_split_huge_page: mm%d pmd %#lx still huge after "
						 "the split", fk->oldmm->id, fk->addr);
			f->pc = FORK_COPY;
			return STEP_DONE;
		}
		}
	}
}
