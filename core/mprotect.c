/* mprotect(start, len, PROT_READ[|PROT_WRITE]) (mm/mprotect.c), mmap_sem
 * held for write throughout. For each vma of the range, mprotect_fixup:
 * vma_merge with a neighbour taking the same flags (cases 4-8: vma_adjust,
 * which may re-key two vmas, import an anon_vma, split a THP the new
 * boundary cuts, remove one or two vmas) or __split_vma at the range's
 * start and end ||; vm_flags set under mmap_sem alone; change_protection,
 * one pmd extent a step: change_huge_pmd of a whole huge pmd, a partly
 * covered one split first, or change_pte_range of a table.
 *
 * Model abstraction: entries carry no protection bits, so change_protection
 * changes nothing a walk reads. What it keeps is what a walk can meet: each
 * lock section clears the entries and sets them back (pmdp_get_and_clear
 * then set_pmd_at; ptep_modify_prot_start then _commit), two steps here
 * with the page-table lock held across, so only an unlocked look falls
 * between them. Migration entries are rewritten in place (a write entry
 * becomes a read one) and never cleared: no step of their own. Left out: the
 * accounting (VM_ACCOUNT, security_vm_enough_memory), PROT_EXEC and
 * PROT_NONE, VM_GROWSDOWN, the NUMA hinting path (prot_numa). */
#include "ops.h"

static const char *prot_name(unsigned long flags)
{
	return flags & VM_WRITE ? "PROT_READ|PROT_WRITE" : "PROT_READ";
}

/* The syscall's "out:": up_write, and its return value. */
static enum step_result mprotect_out(struct world *w, struct task *t, struct mprotect_frame *m,
				     int ret, const char *why)
{
	step_trace(w, t, "up_write", "mm%d mmap_sem%s%s", m->mm->id, why ? ": " : "", why ? why : "");
	lock_drop(w, t, &m->mm->mmap_sem);
	task_return(t, ret);
	return STEP_DONE;
}

/* Steps of the frame (pc). */
enum { MP_START, MP_FIXUP, MP_SPLIT_END, MP_SUCCESS, MP_CHANGE, MP_HUGE_SET, MP_PTES_SET,
       MP_WAIT_SPLIT, MP_NEXT };

/* mprotect_fixup(): merge, or split off the parts that keep their flags. */
static enum step_result mprotect_fixup(struct world *w, struct task *t, struct frame *f)
{
	struct mprotect_frame *m = &f->u.mprotect;
	struct vm_area_struct *vma = m->vma;
	struct vma_merge_plan plan;

	m->tmp = vma->vm_end < m->end ? vma->vm_end : m->end;
	if (m->newflags == vma->vm_flags) {
		m->prev = vma;
		f->pc = MP_NEXT;
		return STEP_CONTINUE;
	}
	pgoff_t pgoff = vma->vm_pgoff + ((m->nstart - vma->vm_start) >> PAGE_SHIFT);
	if (vma_merge(m->mm, m->prev, m->nstart, m->tmp, m->newflags, vma->anon_vma, pgoff, &plan)) {
		step_trace(w, t, "mprotect_fixup", "vma%lu [%#lx, %#lx) -> %s: vma_merge case %d, "
			   "vma_adjust of vma%lu", vma->id, m->nstart, m->tmp, prot_name(m->newflags),
			   plan.merge_case, plan.vma->id);
		m->vma = m->prev = plan.area;
		f->pc = MP_SUCCESS;
		call_vma_adjust(w, t, plan.vma, plan.start, plan.end, plan.pgoff, NULL);
		return STEP_CONTINUE;
	}
	step_trace(w, t, "mprotect_fixup", "vma%lu [%#lx, %#lx) -> %s: no merge%s", vma->id, m->nstart,
		   m->tmp, prot_name(m->newflags),
		   m->nstart != vma->vm_start || m->tmp != vma->vm_end ? ", split_vma" : "");
	m->prev = vma;
	f->pc = MP_SPLIT_END;
	if (m->nstart != vma->vm_start) {
		if (m->mm->map_count >= MAX_MAP_COUNT)
			return mprotect_out(w, t, m, -1, "split_vma: map_count");
		call_split_vma(w, t, vma, m->nstart, true);
	}
	return STEP_CONTINUE;
}

/* change_huge_pmd(): the whole huge pmd, under its lock; a splitting one
 * makes it wait for the split and change the ptes left. */
static enum step_result change_huge_pmd(struct world *w, struct task *t, struct frame *f)
{
	struct mprotect_frame *m = &f->u.mprotect;
	struct pmd *pmd = mm_pmd(m->mm, m->addr);
	struct lock *ptl = huge_pmd_lockptr(w, m->mm, m->addr);

	if (!lock_take(w, t, ptl, true))
		return STEP_BLOCKED;
	if (pmd_trans_splitting(pmd)) {
		step_trace(w, t, "change_huge_pmd", "mm%d %#lx: splitting, wait", m->mm->id, m->addr);
		f->pc = MP_WAIT_SPLIT;
	} else if (pmd_trans_huge(pmd)) {
		struct page *page = pmd->page;
		step_trace(w, t, "change_huge_pmd", "took out huge pmd mm%d %#lx to change its protection "
			   "(page %lu)", m->mm->id, m->addr, page->id);
		inflight_push(t, &(struct inflight){
			.kind = INFLIGHT_PMD, .page = page, .from = pmd, .mm = m->mm, .addr = m->addr });
		entry_event(w, t, ENTRY_TAKE, true, m->mm, m->addr, m->mm, m->addr, page, false);
		set_pmd(pmd, PMD_NONE, NULL);
		m->changed = true;
		f->pc = MP_HUGE_SET;
		return STEP_DONE;
	} else {
		step_trace(w, t, "change_huge_pmd", "mm%d %#lx: no longer huge", m->mm->id, m->addr);
	}
	lock_drop(w, t, ptl);
	return STEP_DONE;
}

/* Its second half: set_pmd_at with the new protection, then the unlock. */
static enum step_result change_huge_pmd_set(struct world *w, struct task *t, struct frame *f)
{
	struct mprotect_frame *m = &f->u.mprotect;
	struct page *page = t->inflight[0].page;

	step_trace(w, t, "change_huge_pmd", "set huge pmd mm%d %#lx back, %s (page %lu)", m->mm->id,
		   m->addr, prot_name(m->newflags), page->id);
	set_pmd(mm_pmd(m->mm, m->addr), PMD_HUGE, page);	/* write-protected: PAGE_COPY */
	entry_event(w, t, ENTRY_PROTECT, true, m->mm, m->addr, m->mm, m->addr, page, false);
	t->nr_inflight = 0;
	lock_drop(w, t, huge_pmd_lockptr(w, m->mm, m->addr));
	m->addr += PMD_SIZE;
	f->pc = MP_CHANGE;
	return STEP_DONE;
}

/* change_pte_range(): the ptes of one table under its lock; each present
 * pte is taken out (ptep_modify_prot_start) and set back (_commit). */
static enum step_result change_pte_range(struct world *w, struct task *t, struct frame *f,
					 unsigned long next)
{
	struct mprotect_frame *m = &f->u.mprotect;
	struct pmd *pmd = mm_pmd(m->mm, m->addr);
	struct lock *ptl = pte_lockptr(w, m->mm, m->addr);

	if (!lock_take(w, t, ptl, true))
		return STEP_BLOCKED;
	for (unsigned long a = m->addr; a < next; a += PAGE_SIZE) {
		struct pte *pte = &pmd->pte[pte_index(a)];
		/* A write migration entry becomes a read one in place, whatever
		 * the new flags (a private vma's ptes are PAGE_COPY): otherwise
		 * remove_migration_pte would put back a writable pte in a vma
		 * mprotect made read-only. */
		if (pte->kind == PTE_MIGRATION)
			pte->write = false;
		if (pte->kind != PTE_PRESENT)
			continue;
		inflight_push(t, &(struct inflight){
			.kind = INFLIGHT_PTE, .pte = *pte, .from = pmd, .mm = m->mm, .addr = a });
		entry_event(w, t, ENTRY_TAKE, false, m->mm, a, m->mm, a, pte->page, false);
		*pte = (struct pte){ .kind = PTE_NONE };
	}
	if (t->nr_inflight) {
		m->changed = true;
		step_trace(w, t, "change_pte_range", "took out ptes mm%d [%#lx, %#lx) to change their "
			   "protection: %d %s", m->mm->id, m->addr, next, t->nr_inflight,
			   t->nr_inflight == 1 ? "entry" : "entries");
		f->pc = MP_PTES_SET;
		return STEP_DONE;
	}
	step_trace(w, t, "change_pte_range", "mm%d [%#lx, %#lx): no pte present", m->mm->id, m->addr,
		   next);
	lock_drop(w, t, ptl);
	m->addr = next;
	return STEP_DONE;
}

static enum step_result change_ptes_set(struct world *w, struct task *t, struct frame *f)
{
	struct mprotect_frame *m = &f->u.mprotect;
	unsigned long next = pmd_addr_end(m->addr, m->tmp);
	struct pmd *pmd = mm_pmd(m->mm, m->addr);

	step_trace(w, t, "change_pte_range", "set ptes mm%d [%#lx, %#lx) back, %s: %d %s", m->mm->id,
		   m->addr, next, prot_name(m->newflags), t->nr_inflight,
		   t->nr_inflight == 1 ? "entry" : "entries");
	for (int i = 0; i < t->nr_inflight; i++) {
		struct inflight *e = &t->inflight[i];
		/* A private vma's protection is PAGE_COPY even when VM_WRITE: the
		 * ptes come back write-protected, and a write faults to
		 * do_wp_page (reuse, or a copy when the page is shared). */
		e->pte.write = false;
		pmd->pte[pte_index(e->addr)] = e->pte;
		entry_event(w, t, ENTRY_PROTECT, false, m->mm, e->addr, m->mm, e->addr, e->pte.page,
			    false);
	}
	t->nr_inflight = 0;
	lock_drop(w, t, pte_lockptr(w, m->mm, m->addr));
	m->addr = next;
	f->pc = MP_CHANGE;
	return STEP_DONE;
}

/* change_protection() of [nstart, tmp) in vma, one pmd extent per step. */
static enum step_result change_protection(struct world *w, struct task *t, struct frame *f)
{
	struct mprotect_frame *m = &f->u.mprotect;

	for (;;) {
		if (m->addr >= m->tmp) {
			/* change_protection_range: one flush of the range after
			 * the loop, its page-table locks dropped, when any entry
			 * changed. */
			if (m->changed)
				flush_tlb_range(w, t, m->mm, m->nstart, m->tmp,
						"flush_tlb_range (change_protection)");
			m->changed = false;
			f->pc = MP_NEXT;
			return STEP_CONTINUE;
		}
		unsigned long next = pmd_addr_end(m->addr, m->tmp);
		struct pmd *pmd = mm_pmd(m->mm, m->addr);
		/* change_pmd_range reads pmd_trans_huge without the lock;
		 * mmap_sem (w) keeps a huge pmd from appearing meanwhile. */
		if (pmd_trans_huge(pmd)) {
			if (next - m->addr != HPAGE_PMD_SIZE) {
				call_split_huge_page_pmd(w, t, m->mm, m->addr);
				return STEP_CONTINUE;
			}
			return change_huge_pmd(w, t, f);
		}
		if (pmd_none(pmd)) {
			m->addr = next;
			continue;
		}
		return change_pte_range(w, t, f, next);
	}
}

enum step_result mprotect_step(struct world *w, struct task *t, struct frame *f)
{
	struct mprotect_frame *m = &f->u.mprotect;
	struct mm_struct *mm = m->mm;

	for (;;) {
		switch (f->pc) {
		case MP_START: {
			if (!lock_take(w, t, &mm->mmap_sem, true))
				return STEP_BLOCKED;
			struct vm_area_struct *vma = find_vma(mm, m->start);
			bool bad = (m->start & ~PAGE_MASK) || (m->end & ~PAGE_MASK) || m->end <= m->start ||
				   m->end > TASK_SIZE;
			step_trace(w, t, "mprotect", "mm%d [%#lx, %#lx) %s%s", mm->id, m->start, m->end,
				   prot_name(m->newflags), bad ? ": bad range"
				   : !vma || vma->vm_start > m->start ? ": not mapped" : "");
			if (bad || !vma || vma->vm_start > m->start) {
				lock_drop(w, t, &mm->mmap_sem);
				task_return(t, -1);
				return STEP_DONE;
			}
			m->vma = vma;
			m->prev = m->start > vma->vm_start ? vma : vma->vm_prev;
			m->nstart = m->start;
			f->pc = MP_FIXUP;
			return STEP_DONE;
		}
		case MP_FIXUP:
			return mprotect_fixup(w, t, f);
		case MP_SPLIT_END:
			f->pc = MP_SUCCESS;
			if (m->tmp != m->vma->vm_end) {
				if (mm->map_count >= MAX_MAP_COUNT)
					return mprotect_out(w, t, m, -1, "split_vma: map_count");
				call_split_vma(w, t, m->vma, m->tmp, false);
				return STEP_CONTINUE;
			}
			continue;
		case MP_SUCCESS:
			/* vm_flags under mmap_sem alone: only faults read them. */
			m->vma->vm_flags = m->newflags;
			m->addr = m->nstart;
			f->pc = MP_CHANGE;
			continue;
		case MP_CHANGE: {
			enum step_result r = change_protection(w, t, f);
			if (r != STEP_CONTINUE || f->pc != MP_NEXT)
				return r;
			continue;
		}
		case MP_HUGE_SET:
			return change_huge_pmd_set(w, t, f);
		case MP_PTES_SET:
			return change_ptes_set(w, t, f);
		case MP_WAIT_SPLIT:
			/* wait_split_huge_page(): the split holds AV(w) to its end;
			 * then the pte path does the table it left. */
			if (pmd_trans_splitting(mm_pmd(mm, m->addr)) &&
			    !lock_wait(w, t, anon_vma_lock(m->vma->anon_vma), true))
				return STEP_BLOCKED;
			step_trace(w, t, "wait_split_huge_page", "mm%d %#lx", mm->id, m->addr);
			f->pc = MP_CHANGE;
			return STEP_DONE;
		default: {
			/* The syscall's loop: the next vma, which must start where
			 * this one ended. */
			m->nstart = m->tmp;
			if (m->nstart < m->prev->vm_end)
				m->nstart = m->prev->vm_end;
			if (m->nstart >= m->end)
				return mprotect_out(w, t, m, 0, NULL);
			struct vm_area_struct *vma = m->prev->vm_next;
			if (!vma || vma->vm_start != m->nstart)
				return mprotect_out(w, t, m, -1, "a hole in the range");
			m->vma = vma;
			f->pc = MP_FIXUP;
			continue;
		}
		}
	}
}
