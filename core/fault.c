/* An anonymous page fault (mm/memory.c, mm/huge_memory.c), under mmap_sem
 * for read: anon_vma_prepare (AV(w)) || the page-table section that maps a
 * new THP or small page. A migration entry makes it wait for the migration
 * to end. A write fault on a write-protected entry (fork left it so) is a
 * COW: do_wp_page or do_huge_pmd_wp_page (wp_page.c), then up_read. Any
 * other fault where an entry exists does nothing.
 *
 * Model abstraction: a fault of an empty entry maps a new page writable,
 * read fault or write; the kernel maps the zero page on a read fault, which
 * the rmap never sees. */
#include "ops.h"

/* anon_vma_prepare(): link the vma to a neighbour's anon_vma or a new one. */
enum step_result anon_vma_prepare(struct world *w, struct task *t, struct vm_area_struct *vma)
{
	struct anon_vma *av = find_mergeable_anon_vma(vma);
	bool allocated = !av;

	if (av && !lock_take(w, t, anon_vma_lock(av), true))
		return STEP_BLOCKED;
	if (!av) {
		/* A new one is locked as the kernel does, uncontended (nobody
		 * else can reach it yet), so the lock sections counted per
		 * operation are the kernel's. */
		av = anon_vma_alloc(w);
		if (!lock_take(w, t, anon_vma_lock(av), true))
			world_model_bug(w, "a new anon_vma's lock is held");
	}
	step_trace(w, t, "anon_vma_prepare", "vma%lu -> anon_vma %lu", vma->id, av->id);
	anon_vma_prepare_link(w, vma, av, allocated);
	lock_drop(w, t, anon_vma_lock(av));
	return STEP_DONE;
}

void do_anonymous_page(struct world *w, struct task *t, struct vm_area_struct *vma,
		       unsigned long addr, struct pte *pte)
{
	struct page *page = alloc_anon_page(w, false);

	step_trace(w, t, "do_anonymous_page", "mm%d %#lx page %lu", vma->vm_mm->id, addr, page->id);
	page_add_new_anon_rmap(page, vma, addr);
	*pte = (struct pte){ .kind = PTE_PRESENT, .write = true, .page = page };
	entry_event(w, t, ENTRY_SET, false, vma->vm_mm, addr, NULL, 0, page, false);
}

static bool thp_fits(const struct vm_area_struct *vma, unsigned long addr)
{
	unsigned long haddr = addr & PMD_MASK;
	return haddr >= vma->vm_start && haddr + HPAGE_PMD_SIZE <= vma->vm_end;
}

static void fault_done(struct world *w, struct task *t, struct mm_struct *mm, int ret)
{
	lock_drop(w, t, &mm->mmap_sem);
	task_return(t, ret);
}

/* do_huge_pmd_anonymous_page / do_anonymous_page, under the pmd's lock. */
static enum step_result map_new_page(struct world *w, struct task *t, struct fault_frame *fl,
				     struct vm_area_struct *vma)
{
	struct mm_struct *mm = fl->mm;
	unsigned long addr = fl->addr & PAGE_MASK;
	struct pmd *pmd = mm_pmd(mm, addr);
	/* A huge pmd, or one about to be, is under the huge pmd's lock. */
	bool huge = pmd_trans_huge(pmd) || (fl->huge && pmd_none(pmd) && thp_fits(vma, addr));
	struct lock *ptl = huge ? huge_pmd_lockptr(w, mm, addr) : pte_lockptr(w, mm, addr);
	/* __pte_alloc fills an empty pmd under the pmd's lock, which before
	 * 3.13 is mm->page_table_lock: a huge pmd that a COW or a zap holding
	 * that lock has cleared for a moment is not filled meanwhile. (From
	 * 3.13 on it is the slot's lock, ptl already.) Nothing holds the
	 * slot's lock across steps while its pmd is empty, so this step
	 * cannot block after taking the first. */
	struct lock *alloc = !huge && pmd_none(pmd) ? huge_pmd_lockptr(w, mm, addr) : ptl;

	if (alloc != ptl && !lock_take(w, t, alloc, true))
		return STEP_BLOCKED;
	if (!lock_take(w, t, ptl, true))
		return STEP_BLOCKED;
	if (fl->huge && pmd_none(pmd) && thp_fits(vma, addr)) {
		unsigned long haddr = addr & PMD_MASK;
		struct page *page = alloc_anon_page(w, true);
		step_trace(w, t, "do_huge_pmd_anonymous_page", "mm%d %#lx page %lu", mm->id, haddr,
			   page->id);
		page_add_new_anon_rmap(page, vma, haddr);
		set_pmd(pmd, PMD_HUGE, page);
		pmd->write = true;
		entry_event(w, t, ENTRY_SET, true, mm, haddr, NULL, 0, page, false);
	} else if (pmd_trans_huge(pmd)) {
		step_trace(w, t, "handle_mm_fault", "mm%d %#lx already mapped huge", mm->id, addr);
	} else {
		if (pmd_none(pmd))
			set_pmd(pmd, PMD_TABLE, NULL);	/* __pte_alloc */
		struct pte *pte = &pmd->pte[pte_index(addr)];
		if (pte->kind == PTE_MIGRATION) {
			/* migration_entry_wait(): sleep on the page lock, then
			 * refault. An unlocked page behind a migration entry is
			 * a stale entry: migration_entry_to_page() BUGs. */
			step_trace(w, t, "migration_entry_wait", "mm%d %#lx page %lu", mm->id, addr,
				   pte->page->id);
			if (lock_is_free(&pte->page->lock)) {
				world_kernel_bug(w, "migration_entry_to_page: mm%d %#lx names page %lu, "
						 "which is not locked (stale migration entry)",
						 mm->id, addr, pte->page->id);
			} else {
				fl->wait_page = pte->page;
			}
			lock_drop(w, t, ptl);	/* a table was there: alloc is ptl */
			return STEP_DONE;
		}
		if (pte->kind == PTE_NONE) {
			do_anonymous_page(w, t, vma, addr, pte);
		} else {
			step_trace(w, t, "handle_mm_fault", "mm%d %#lx already mapped", mm->id, addr);
		}
	}
	lock_drop(w, t, ptl);
	if (alloc != ptl)
		lock_drop(w, t, alloc);
	fault_done(w, t, mm, 0);
	return STEP_DONE;
}

/* A write fault's unlocked look at its entry (__handle_mm_fault,
 * handle_pte_fault): a write-protected huge pmd or present pte is a COW,
 * which re-checks it under the lock; a splitting huge pmd makes the fault
 * return at once, for the CPU to fault again (3.13-3.15: "return and retry
 * the fault"). True when it took the fault over; *r is the attempt's. */
static bool write_protect_fault(struct world *w, struct task *t, struct frame *f,
				struct vm_area_struct *vma, enum step_result *r)
{
	struct fault_frame *fl = &f->u.fault;
	unsigned long addr = fl->addr & PAGE_MASK;
	struct pmd *pmd = mm_pmd(fl->mm, addr);
	const struct pte *pte = pmd->kind == PMD_TABLE ? &pmd->pte[pte_index(addr)] : NULL;

	if (pmd_trans_splitting(pmd)) {
		step_trace(w, t, "handle_mm_fault", "mm%d %#lx: huge pmd splitting, return (the fault "
			   "is retried)", fl->mm->id, addr);
		fault_done(w, t, fl->mm, 0);
		*r = STEP_DONE;
		return true;
	}
	if (pmd_trans_huge(pmd) && !pmd_write(pmd)) {
		f->pc = 3;
		call_huge_pmd_wp_page(w, t, vma, addr, pmd->page, fl->fallback);
	} else if (pte && pte->kind == PTE_PRESENT && !pte_write(pte)) {
		f->pc = 3;
		call_wp_page(w, t, vma, addr, pte->page);
	} else {
		return false;
	}
	*r = STEP_CONTINUE;
	return true;
}

enum step_result fault_step(struct world *w, struct task *t, struct frame *f)
{
	struct fault_frame *fl = &f->u.fault;
	struct mm_struct *mm = fl->mm;
	struct vm_area_struct *vma;

	switch (f->pc) {
	case 0:
		if (!lock_take(w, t, &mm->mmap_sem, false))
			return STEP_BLOCKED;
		vma = vma_lookup(mm, fl->addr);
		/* __do_page_fault's access_error(): a write needs VM_WRITE. */
		bool denied = vma && fl->write && !(vma->vm_flags & VM_WRITE);
		step_trace(w, t, "handle_mm_fault", "mm%d %#lx%s", mm->id, fl->addr,
			   !vma ? ": no vma" : denied ? ": write to a read-only vma, SIGSEGV" : "");
		if (!vma || denied) {
			fault_done(w, t, mm, -1);
			return STEP_DONE;
		}
		f->pc = 1;
		return STEP_DONE;
	case 1:
		/* mmap_sem is held from step 0 on, across any sleep on the
		 * anon_vma lock: the vma and its neighbours stay. */
		vma = vma_lookup(mm, fl->addr);
		if (!vma->anon_vma) {
			if (anon_vma_prepare(w, t, vma) == STEP_BLOCKED)
				return STEP_BLOCKED;
			f->pc = 2;
			return STEP_DONE;
		}
		f->pc = 2;
		/* fall through: the vma had its anon_vma already */
	case 2: {
		vma = vma_lookup(mm, fl->addr);
		if (fl->wait_page) {
			if (!lock_wait(w, t, &fl->wait_page->lock, true))
				return STEP_BLOCKED;
			fl->wait_page = NULL;	/* migration ended: fault again */
		}
		enum step_result r;
		if (fl->write && write_protect_fault(w, t, f, vma, &r))
			return r;
		return map_new_page(w, t, fl, vma);
	}
	default:	/* the COW returned */
		step_trace(w, t, "up_read", "mm%d mmap_sem", mm->id);
		fault_done(w, t, mm, t->ret);
		return STEP_DONE;
	}
}
