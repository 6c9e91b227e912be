#include "tlb.h"

#include "ops.h"

static struct tlb *mm_tlb(struct world *w, struct mm_struct *mm)
{
	if (!mm->tlb)
		mm->tlb = world_alloc(w, sizeof(*mm->tlb));
	return mm->tlb;
}

static unsigned long vpn(unsigned long addr) { return addr >> PAGE_SHIFT; }

enum tlb_access_result tlb_access(struct world *w, struct task *t, struct mm_struct *mm,
				  unsigned long addr, struct page **page)
{
	*page = NULL;
	if (addr >= TASK_SIZE)	/* past the address space: the access faults */
		return TLB_NOT_PRESENT;
	struct tlb *tlb = mm_tlb(w, mm);
	unsigned long slot = pmd_index(addr);
	struct pmd *pmd = mm_pmd(mm, addr);

	if (tlb->huge[slot]) {
		*page = tlb->huge[slot] + pte_index(addr);
		return TLB_HIT;
	}
	if (tlb->pte[vpn(addr)]) {
		*page = tlb->pte[vpn(addr)];
		return TLB_HIT;
	}
	struct rmap_event ev = { .kind = EV_TLB_FILL, .task = t, .tlb = { .mm = mm } };
	if (pmd_trans_huge(pmd)) {
		tlb->huge[slot] = pmd->page;
		ev.tlb.start = addr & PMD_MASK;
		ev.tlb.end = ev.tlb.start + PMD_SIZE;
		ev.tlb.page = pmd->page;
		ev.tlb.huge = true;
		*page = pmd->page + pte_index(addr);
	} else if (pmd->kind == PMD_TABLE && pmd->pte[pte_index(addr)].kind == PTE_PRESENT) {
		*page = tlb->pte[vpn(addr)] = pmd->pte[pte_index(addr)].page;
		ev.tlb.start = addr & PAGE_MASK;
		ev.tlb.end = ev.tlb.start + PAGE_SIZE;
		ev.tlb.page = *page;
	} else {
		return TLB_NOT_PRESENT;
	}
	world_emit(w, &ev);
	return TLB_FILLED;
}

void flush_tlb_range(struct world *w, struct task *t, struct mm_struct *mm, unsigned long start,
		     unsigned long end, const char *why)
{
	struct tlb *tlb = mm->tlb;

	/* Nothing was ever translated in this mm: nothing to flush or log. */
	if (!tlb || start >= end)
		return;
	if (end > TASK_SIZE)
		end = TASK_SIZE;
	for (unsigned long a = start & PAGE_MASK; a < end; a += PAGE_SIZE)
		tlb->pte[vpn(a)] = NULL;
	for (unsigned long a = start & PMD_MASK; a < end; a += PMD_SIZE)
		tlb->huge[pmd_index(a)] = NULL;
	struct rmap_event ev = { .kind = EV_TLB_FLUSH, .task = t,
				 .tlb = { .mm = mm, .start = start, .end = end, .why = why } };
	world_emit(w, &ev);
}

bool tlb_maps(const struct mm_struct *mm, const struct page *page, unsigned long *addr,
	      bool *huge)
{
	const struct tlb *tlb = mm->tlb;
	/* A THP still compound is one page: an entry of any of its pages maps it. */
	const struct page *first = page, *last = page->compound ? page + page->nr - 1 : page;

	if (!tlb)
		return false;
	for (unsigned long s = 0; s < NR_PMDS; s++)
		if (tlb->huge[s] && tlb->huge[s] == page->head) {
			*addr = s << PMD_SHIFT;
			*huge = true;
			return true;
		}
	for (unsigned long v = 0; v < NR_PMDS * PTRS_PER_PTE; v++)
		if (tlb->pte[v] && tlb->pte[v] >= first && tlb->pte[v] <= last) {
			*addr = v << PAGE_SHIFT;
			*huge = false;
			return true;
		}
	return false;
}

void tlb_gather_mmu(struct world *w, struct task *t, struct mm_struct *mm, unsigned long start,
		    unsigned long end)
{
	if (t->tlb_mm)
		world_model_bug(w, "task %d gathers for mm%d while its gather for mm%d is open", t->id,
				mm->id, t->tlb_mm->id);
	t->tlb_mm = mm;
	t->tlb_start = start;
	t->tlb_end = end;
	t->tlb_need_flush = false;
	t->nr_gathered = 0;
}

void tlb_remove_page(struct world *w, struct task *t, struct page *page)
{
	if (!t->tlb_mm || t->nr_gathered == MMU_GATHER_PAGES) {
		world_model_bug(w, "task %d: tlb_remove_page of page %lu %s", t->id, page->id,
				t->tlb_mm ? "into a full gather" : "without a gather");
		return;
	}
	t->tlb_need_flush = true;
	t->gathered[t->nr_gathered++] = page;
}

void tlb_finish_mmu(struct world *w, struct task *t)
{
	if (!t->tlb_mm)
		return;
	/* tlb_flush_mmu: the flush, then free_pages_and_swap_cache. */
	if (t->tlb_need_flush)
		flush_tlb_range(w, t, t->tlb_mm, t->tlb_start, t->tlb_end, "tlb_finish_mmu");
	for (int i = 0; i < t->nr_gathered; i++)
		put_page(w, t, t->gathered[i], "tlb_finish_mmu");
	t->nr_gathered = 0;
	t->tlb_mm = NULL;
}

/* A task touching an address of its mm (OP_ACCESS): one step, no lock, no
 * mmap_sem (another thread of the process, while its syscalls hold them). */
enum step_result access_step(struct world *w, struct task *t, struct frame *f)
{
	struct access_frame *a = &f->u.access;
	struct page *page;
	unsigned long addr = a->addr & PAGE_MASK;

	switch (tlb_access(w, t, a->mm, addr, &page)) {
	case TLB_HIT:
		step_trace(w, t, "access", "mm%d %#lx: TLB hit, page %lu%s", a->mm->id, addr, page->id,
			   page->freed ? " (freed: a use after free)" : "");
		break;
	case TLB_FILLED:
		step_trace(w, t, "access", "mm%d %#lx: TLB miss, the page walk fills mm%d's TLB: %s page "
			   "%lu", a->mm->id, addr, a->mm->id,
			   pmd_trans_huge(mm_pmd(a->mm, addr)) ? "huge pmd," : "pte,", page->id);
		break;
	default:
		step_trace(w, t, "access", "mm%d %#lx: TLB miss, nothing present (the access would "
			   "fault)", a->mm->id, addr);
		break;
	}
	task_return(t, 0);
	return STEP_DONE;
}
