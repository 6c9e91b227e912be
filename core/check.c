#include "check.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "anon_vma.h"
#include "mm.h"
#include "page.h"
#include "task.h"
#include "world.h"

static int fail(struct check_failure *out, const char *invariant, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct check_failure *out, const char *invariant, const char *fmt, ...)
{
	va_list ap;
	out->invariant = invariant;
	va_start(ap, fmt);
	vsnprintf(out->message, sizeof(out->message), fmt, ap);
	va_end(ap);
	return -1;
}

static bool anon_vma_live(struct world *w, const struct anon_vma *av)
{
	const struct anon_vma *a;
	list_for_each_entry(a, &w->anon_vmas, world_node)
		if (a == av)
			return true;
	return false;
}

static int check_tree(struct world *w, struct anon_vma *av, struct check_failure *out)
{
	char msg[160];

	if (w->proto->index == INDEX_LIST)
		return 0;
	if (itree_check(&av->rb_root, msg, sizeof(msg)))
		return fail(out, "interval-tree", "anon_vma %lu: %s", av->id, msg);
	const struct anon_vma_chain *prev = NULL;
	int n = 0;
	for (struct itree_node *node = itree_first(&av->rb_root); node; node = itree_next(node)) {
		const struct anon_vma_chain *avc = container_of(node, struct anon_vma_chain, rb);
		n++;
		if (node->start != avc_start_pgoff(avc) || node->last != avc_last_pgoff(avc))
			return fail(out, "interval-tree",
				    "anon_vma %lu: vma%lu's range changed while indexed ([%#lx, %#lx] "
				    "indexed, [%#lx, %#lx] now)", av->id, avc->vma->id, node->start,
				    node->last, avc_start_pgoff(avc), avc_last_pgoff(avc));
		/* Stability: equal starts stay in insertion order (or its reverse). */
		if (prev && prev->rb.start == node->start &&
		    (w->proto->tree_equal == ITREE_EQUAL_AFTER) != (prev->seq < avc->seq))
			return fail(out, "interval-tree",
				    "anon_vma %lu: equal keys %#lx out of insertion order", av->id,
				    node->start);
		prev = avc;
	}
	const struct anon_vma_chain *avc;
	list_for_each_entry(avc, &av->templist, templist_node) {
		if (!avc->on_templist || !avc->vma->rmap_templist)
			return fail(out, "interval-tree", "anon_vma %lu: vma%lu on the templist unmarked",
				    av->id, avc->vma->id);
		n++;
	}
	if (n != av->nr_avcs)
		return fail(out, "interval-tree", "anon_vma %lu: %d nodes, %d avcs counted", av->id, n,
			    av->nr_avcs);
	return 0;
}

static int count_task_refs(struct world *w, const struct anon_vma *av)
{
	int refs = 0;
	for (int i = 0; i < w->nr_tasks; i++) {
		const struct task *t = w->task[i];
		for (int d = 0; d < t->depth; d++) {
			const struct frame *f = &t->frames[d];
			if ((f->op == OP_SPLIT_HUGE_PAGE && f->u.split.anon_vma == av) ||
			    (f->op == OP_MIGRATE && f->u.migrate.anon_vma == av))
				refs++;
		}
	}
	return refs;
}

static bool covering_exactly(const struct vm_area_struct *list, const struct vm_area_struct *vma)
{
	for (; list; list = list->vm_next)
		if (list == vma)
			return true;
	return false;
}

/* Every vma an anon_vma may be referred to by: the mms' vmas, munmap's and
 * exit's detached ones, and the orphans of operations under way (a
 * __split_vma's new part before vma_adjust inserts it, a vma merged away
 * before anon_vma_merge unlinks it). fn returns nonzero to stop. */
typedef int (*vma_fn)(struct world *w, struct vm_area_struct *vma, void *ctx);

/* The orphans alone: linked, in no mm's lists. */
static int for_each_orphan_vma(struct world *w, vma_fn fn, void *ctx)
{
	int r;
	for (int i = 0; i < w->nr_tasks; i++)
		for (int d = 0; d < w->task[i]->depth; d++) {
			const struct frame *f = &w->task[i]->frames[d];
			struct vm_area_struct *v = NULL;
			if (f->op == OP_SPLIT_VMA && f->u.split_vma.new &&
			    !covering_exactly(f->u.split_vma.mm->mmap, f->u.split_vma.new))
				v = f->u.split_vma.new;
			else if (f->op == OP_VMA_ADJUST && f->pc == ADJUST_MERGE)
				v = f->u.adjust.next;
			if (v && (r = fn(w, v, ctx)))
				return r;
		}
	return 0;
}

static int for_each_vma(struct world *w, vma_fn fn, void *ctx)
{
	int r;
	for (int i = 0; i < w->nr_mm; i++) {
		struct vm_area_struct *lists[] = { w->mm[i]->mmap, w->mm[i]->detached };
		for (int l = 0; l < 2; l++)
			for (struct vm_area_struct *v = lists[l]; v; v = v->vm_next)
				if ((r = fn(w, v, ctx)))
					return r;
	}
	return for_each_orphan_vma(w, fn, ctx);
}

/* --- anon-vma-counters ------------------------------------------------- */

struct counted {
	const struct anon_vma *av;
	int vmas;	/* linked vmas whose ->anon_vma it is */
};

static int count_vmas_of(struct world *w, struct vm_area_struct *v, void *ctx)
{
	struct counted *c = ctx;
	(void)w;
	/* An unlinked vma (empty chain) keeps a stale pointer and no count. */
	c->vmas += v->anon_vma == c->av && !list_empty(&v->anon_vma_chain);
	return 0;
}

/* Each counter against what it counts, found by brute force: refcount
 * (the tree's reference while it holds an avc, the walkers', the root pins
 * of the family), and the reuse counters of the row's kernel (anon_vma.h). */
static int check_anon_vma_counters(struct world *w, struct anon_vma *av, struct check_failure *out)
{
	const struct anon_vma *a;
	int expected = (av->nr_avcs > 0) + count_task_refs(w, av), children = 0;

	list_for_each_entry(a, &w->anon_vmas, world_node) {
		expected += a != av && a->root == av;
		children += a->parent == av && a->nr_avcs > 0;	/* a root is its own */
	}
	if (av->refcount != expected)
		return fail(out, "anon-vma-counters", "anon_vma %lu: refcount %d, %d references exist",
			    av->id, av->refcount, expected);
	struct counted c = { .av = av };
	for_each_vma(w, count_vmas_of, &c);
	int degree = 0, num_children = 0, num_active_vmas = 0;
	if (w->proto->anon_vma_reuse == REUSE_DEGREE)
		degree = c.vmas + children;
	else if (w->proto->anon_vma_reuse == REUSE_COUNTS)
		num_children = children, num_active_vmas = c.vmas;
	if (av->degree != degree || av->num_children != num_children ||
	    av->num_active_vmas != num_active_vmas)
		return fail(out, "anon-vma-counters",
			    "anon_vma %lu: degree %d, num_children %d, num_active_vmas %d; counted "
			    "%d, %d, %d (%d vmas use it, %d children with avcs)", av->id, av->degree,
			    av->num_children, av->num_active_vmas, degree, num_children,
			    num_active_vmas, c.vmas, children);
	return 0;
}

static int check_anon_vmas(struct world *w, struct check_failure *out)
{
	struct anon_vma *av;

	list_for_each_entry(av, &w->anon_vmas, world_node) {
		if (!anon_vma_live(w, av->root))
			return fail(out, "anon_vma", "anon_vma %lu: root freed", av->id);
		if (av->root->root != av->root)
			return fail(out, "anon_vma", "anon_vma %lu: root is not its own root", av->id);
		if (check_tree(w, av, out) || check_anon_vma_counters(w, av, out))
			return -1;
	}
	/* A freed one was unlinked from everything: the kernel's VM_WARN_ONs
	 * before the put in unlink_anon_vmas. */
	list_for_each_entry(av, &w->dead_anon_vmas, world_node)
		if (av->refcount || av->degree || av->num_children || av->num_active_vmas)
			return fail(out, "anon-vma-counters", "anon_vma %lu freed with refcount %d, "
				    "degree %d, num_children %d, num_active_vmas %d", av->id,
				    av->refcount, av->degree, av->num_children, av->num_active_vmas);
	return 0;
}

/* --- anon-vma-lifetime ------------------------------------------------- */

/* What the kernel lets still point at a freed anon_vma (its slab is
 * SLAB_DESTROY_BY_RCU: the memory stays an anon_vma, so a look that checks
 * before it trusts is safe): the mapping of a page no longer mapped
 * (page_get_anon_vma and page_lock_anon_vma_read test page_mapped() before
 * and after they touch it), the anon_vma of a vma already unlinked on its
 * way to remove_vma, the parent of an anon_vma whose own tree is empty
 * (never followed again). Nothing else: a mapped page, a linked vma, an
 * avc, a member's root, a walker's reference. Why a mapped page's anon_vma
 * lives: the page is mapped only in vmas linked to it, whose avcs keep its
 * tree non-empty and so its refcount above 0; whatever breaks that link
 * (a merge of two vmas with the same anon_vma and different chains) lets
 * the unlink of the last avc free it under the page. */

static int mapped_page_of_dead(struct check_failure *out, const struct page *page,
			       const char *what, int mm, unsigned long addr)
{
	if (!page->mapping || !page->mapping->dead)
		return 0;
	/* A migration entry that outlived its migration (the walk that should
	 * have restored it missed it) may hold a page no pte maps: the walks,
	 * which test page_mapped() first, no longer read the anon_vma, but the
	 * entry does, and a fault there takes it for a migration under way. */
	if (!page_mapped(page) && !strcmp(what, "migration entry"))
		return fail(out, "anon-vma-lifetime", "anon_vma %lu was freed while page %lu, held by "
			    "the stale migration entry at mm%d %#lx, still names it as its anon_vma: "
			    "the page is mapped nowhere (page_mapped() is false, so no rmap walk "
			    "starts from it), but the entry outlived the migration that should have "
			    "replaced it, and the next fault there takes it for one under way "
			    "(migration_entry_to_page BUGs on an unlocked page)", page->mapping->id,
			    page->id, mm, addr);
	return fail(out, "anon-vma-lifetime", "anon_vma %lu was freed while page %lu, mapped by "
		    "the %s at mm%d %#lx, still names it as its anon_vma: an rmap walk of the page "
		    "reads freed memory", page->mapping->id, page->id, what, mm, addr);
}

static int dead_pages(struct world *w, struct check_failure *out)
{
	for (int i = 0; i < w->nr_mm; i++) {
		struct mm_struct *mm = w->mm[i];
		for (unsigned long slot = 0; slot < NR_PMDS; slot++) {
			const struct pmd *pmd = &mm->pmd[slot];
			unsigned long addr = slot << PMD_SHIFT;
			if (pmd->kind == PMD_HUGE &&
			    mapped_page_of_dead(out, pmd->page, "huge pmd", mm->id, addr))
				return -1;
			for (int p = 0; pmd->kind == PMD_TABLE && p < PTRS_PER_PTE; p++) {
				const struct pte *pte = &pmd->pte[p];
				if (pte->kind != PTE_NONE &&
				    mapped_page_of_dead(out, pte->page, pte->kind == PTE_PRESENT ? "pte" :
							"migration entry", mm->id,
							addr + ((unsigned long)p << PAGE_SHIFT)))
					return -1;
			}
		}
	}
	for (int i = 0; i < w->nr_tasks; i++)
		for (int e = 0; e < w->task[i]->nr_inflight; e++) {
			const struct inflight *in = &w->task[i]->inflight[e];
			const struct page *page = in->kind == INFLIGHT_PTE ? in->pte.page : in->page;
			if (page && mapped_page_of_dead(out, page, "entry in flight", in->mm->id, in->addr))
				return -1;
		}
	/* page_mapped(), the kernel's own test. */
	for (int b = 0; b < w->nr_page_blocks; b++)
		for (int i = 0; i < w->page_blocks[b]->nr; i++) {
			const struct page *p = &w->page_blocks[b][i];
			if (page_mapped(p) && p->mapping && p->mapping->dead)
				return fail(out, "anon-vma-lifetime", "anon_vma %lu was freed while page "
					    "%lu, page_mapped(), still names it as its anon_vma",
					    p->mapping->id, p->id);
		}
	return 0;
}

static int dead_in_vma(struct world *w, struct vm_area_struct *v, void *ctx)
{
	struct check_failure *out = ctx;
	const struct anon_vma_chain *avc;
	(void)w;

	if (list_empty(&v->anon_vma_chain))
		return 0;	/* unlinked: a stale anon_vma pointer is allowed */
	if (v->anon_vma && v->anon_vma->dead)
		return fail(out, "anon-vma-lifetime", "anon_vma %lu was freed while vma%lu of mm%d, "
			    "still linked, has it as its anon_vma", v->anon_vma->id, v->id,
			    v->vm_mm->id);
	list_for_each_entry(avc, &v->anon_vma_chain, same_vma)
		if (avc->anon_vma->dead)
			return fail(out, "anon-vma-lifetime", "anon_vma %lu was freed while an avc "
				    "of vma%lu (mm%d) still links to it", avc->anon_vma->id, v->id,
				    v->vm_mm->id);
	return 0;
}

int rmap_check_lifetime(struct world *w, struct check_failure *out)
{
	const struct anon_vma *av;

	if (list_empty(&w->dead_anon_vmas))
		return 0;
	if (dead_pages(w, out) || for_each_vma(w, dead_in_vma, out))
		return -1;
	list_for_each_entry(av, &w->anon_vmas, world_node)
		if (av->root->dead || (av->parent->dead && av->nr_avcs))
			return fail(out, "anon-vma-lifetime", "anon_vma %lu was freed while anon_vma %lu "
				    "has it as its %s", av->root->dead ? av->root->id : av->parent->id,
				    av->id, av->root->dead ? "root" : "parent");
	for (int i = 0; i < w->nr_tasks; i++)
		for (int d = 0; d < w->task[i]->depth; d++) {
			const struct frame *f = &w->task[i]->frames[d];
			const struct anon_vma *held = f->op == OP_SPLIT_HUGE_PAGE ? f->u.split.anon_vma
						    : f->op == OP_MIGRATE ? f->u.migrate.anon_vma : NULL;
			if (held && held->dead)
				return fail(out, "anon-vma-lifetime", "anon_vma %lu was freed while task %d "
					    "holds a reference to it", held->id, w->task[i]->id);
		}
	return 0;
}

/* Chains: vma <-> avc <-> anon_vma agree, one family per vma. */
static int check_chain(struct world *w, struct vm_area_struct *vma, int *avcs,
		       struct check_failure *out)
{
	struct anon_vma_chain *avc;
	bool own = false;

	if (!vma->anon_vma) {
		if (!list_empty(&vma->anon_vma_chain))
			return fail(out, "anon_vma-chain", "vma%lu: avcs but no anon_vma", vma->id);
		return 0;
	}
	if (!anon_vma_live(w, vma->anon_vma))
		return fail(out, "anon_vma-chain", "vma%lu: anon_vma freed", vma->id);
	list_for_each_entry(avc, &vma->anon_vma_chain, same_vma) {
		if (avc->vma != vma || !anon_vma_live(w, avc->anon_vma))
			return fail(out, "anon_vma-chain", "vma%lu: broken avc", vma->id);
		if (avc->anon_vma->root != vma->anon_vma->root)
			return fail(out, "anon_vma-chain", "vma%lu: avc in another family", vma->id);
		own |= avc->anon_vma == vma->anon_vma;
		(*avcs)++;
	}
	if (!own)
		return fail(out, "anon_vma-chain", "vma%lu: not linked to its own anon_vma", vma->id);
	return 0;
}

static struct vm_area_struct *covering(struct vm_area_struct *list, unsigned long addr)
{
	for (; list; list = list->vm_next)
		if (list->vm_start <= addr && addr < list->vm_end)
			return list;
	return NULL;
}

/* exec's shift_arg_pages between its first vma_adjust (vm_start lowered,
 * vm_pgoff kept) and the move: an entry not yet moved sits shift above
 * where the vma's linear index puts the page. The kernel lets it, for a
 * temporary stack only (its rmap walks skip it or find nothing there). */
static bool shifting_stack_entry(struct world *w, const struct vm_area_struct *vma,
				 unsigned long addr, pgoff_t index)
{
	if (!is_vma_temporary_stack(vma))
		return false;
	for (int i = 0; i < w->nr_tasks; i++) {
		const struct frame *f = &w->task[i]->frames[0];
		if (f->op == OP_EXEC && f->u.exec.vma == vma && addr >= f->u.exec.old_start &&
		    linear_page_index(vma, addr) == index + (f->u.exec.shift >> PAGE_SHIFT))
			return true;
	}
	return false;
}

/* An rmap walk can find page at addr only through a vma covering addr,
 * linked to page->mapping, at the page's linear index. */
static int check_reachable(struct world *w, struct mm_struct *mm, unsigned long addr,
			   struct page *page, const char *what, struct check_failure *out)
{
	struct vm_area_struct *vma = covering(mm->mmap, addr);
	if (!vma)
		vma = covering(mm->detached, addr);
	if (!vma)
		return fail(out, "rmap-reachable", "mm%d %#lx: %s of page %lu outside every vma",
			    mm->id, addr, what, page->id);
	if (!anon_vma_live(w, page->mapping))
		return fail(out, "rmap-reachable", "mm%d %#lx: page %lu's anon_vma was freed", mm->id,
			    addr, page->id);
	if (!anon_vma_chain_holds(vma, page->mapping))
		return fail(out, "rmap-reachable",
			    "mm%d %#lx: %s of page %lu in vma%lu, which is not linked to anon_vma %lu",
			    mm->id, addr, what, page->id, vma->id, page->mapping->id);
	if (linear_page_index(vma, addr) != page->index &&
	    !shifting_stack_entry(w, vma, addr, page->index))
		return fail(out, "rmap-reachable",
			    "mm%d %#lx: page %lu index %#lx, vma%lu maps index %#lx there", mm->id, addr,
			    page->id, page->index, vma->id, linear_page_index(vma, addr));
	return 0;
}

static int check_vmas(struct world *w, struct mm_struct *mm, int *avcs, struct check_failure *out)
{
	int n = 0;
	struct vm_area_struct *prev = NULL;

	for (struct vm_area_struct *v = mm->mmap; v; prev = v, v = v->vm_next, n++) {
		if (v->vm_mm != mm || v->vm_prev != prev || v->vm_start >= v->vm_end ||
		    (v->vm_start & ~PAGE_MASK) || (v->vm_end & ~PAGE_MASK) || v->vm_end > TASK_SIZE)
			return fail(out, "vma-layout", "mm%d vma%lu [%#lx, %#lx) malformed", mm->id,
				    v->id, v->vm_start, v->vm_end);
		if (prev && prev->vm_end > v->vm_start)
			return fail(out, "vma-layout", "mm%d vma%lu overlaps vma%lu", mm->id, v->id,
				    prev->id);
		if (check_chain(w, v, avcs, out))
			return -1;
	}
	if (n != mm->map_count)
		return fail(out, "vma-layout", "mm%d map_count %d, %d vmas", mm->id, mm->map_count, n);
	/* A detached vma already unlinked (free_pgtables) keeps a stale
	 * anon_vma pointer, as in the kernel, and no avc: nothing to check. */
	for (struct vm_area_struct *v = mm->detached; v; v = v->vm_next)
		if (!list_empty(&v->anon_vma_chain) && check_chain(w, v, avcs, out))
			return -1;
	return 0;
}

/* Count every entry's page in page->scan, and check each is reachable. */
static int scan_page_tables(struct world *w, struct mm_struct *mm, struct check_failure *out)
{
	for (unsigned long slot = 0; slot < NR_PMDS; slot++) {
		struct pmd *pmd = &mm->pmd[slot];
		unsigned long addr = slot << PMD_SHIFT;
		if (pmd->kind == PMD_HUGE) {
			struct page *head = pmd->page;
			struct vm_area_struct *vma = covering(mm->mmap, addr);
			if (!vma)
				vma = covering(mm->detached, addr);
			if (head->head != head || (vma && (vma->vm_start > addr ||
							   vma->vm_end < addr + PMD_SIZE)))
				return fail(out, "huge-pmd", "mm%d huge pmd %#lx straddles its vma or "
					    "maps a tail", mm->id, addr);
			if (!head->compound && !pmd->splitting)
				return fail(out, "huge-pmd", "mm%d huge pmd %#lx maps a split page %lu",
					    mm->id, addr, head->id);
			/* Before its refcount split a THP counts huge pmds on
			 * the head; after it, each page counts the pmds still
			 * frozen (pass 2 pending). */
			if (head->compound)
				head->scan++;
			else
				for (int i = 0; i < head->nr; i++)
					head[i].scan++;
			if (check_reachable(w, mm, addr, head, "huge pmd", out))
				return -1;
		} else if (pmd->kind == PMD_TABLE) {
			for (int i = 0; i < PTRS_PER_PTE; i++) {
				struct pte *pte = &pmd->pte[i];
				unsigned long a = addr + ((unsigned long)i << PAGE_SHIFT);
				if (pte->kind == PTE_NONE)
					continue;
				if (PageTransHuge(pte->page) || PageTail(pte->page))
					return fail(out, "huge-pmd", "mm%d pte %#lx maps part of a THP",
						    mm->id, a);
				if (pte->kind == PTE_PRESENT)
					pte->page->scan++;
				if (check_reachable(w, mm, a, pte->page,
						    pte->kind == PTE_PRESENT ? "pte" : "migration entry", out))
					return -1;
			}
		}
	}
	return 0;
}

static int check_mapcounts(struct world *w, struct check_failure *out)
{
	for (int b = 0; b < w->nr_page_blocks; b++)
		for (int i = 0; i < w->page_blocks[b]->nr; i++)
			w->page_blocks[b][i].scan = 0;
	for (int i = 0; i < w->nr_mm; i++)
		if (scan_page_tables(w, w->mm[i], out))
			return -1;
	/* Entries in flight still count: a move's, until it lands; a cleared
	 * huge pmd's or pte's, until its page_remove_rmap. */
	for (int i = 0; i < w->nr_tasks; i++)
		for (int e = 0; e < w->task[i]->nr_inflight; e++) {
			const struct inflight *in = &w->task[i]->inflight[e];
			if (in->kind == INFLIGHT_PTE) {
				if (in->pte.kind == PTE_PRESENT)
					in->pte.page->scan++;
			} else if (in->kind == INFLIGHT_ZAP_PTE) {
				in->page->scan++;
			} else if (in->page->compound) {
				in->page->scan++;
			} else {
				for (int p = 0; p < in->page->nr; p++)
					in->page[p].scan++;
			}
		}
	for (int b = 0; b < w->nr_page_blocks; b++) {
		struct page *pages = w->page_blocks[b];
		for (int i = 0; i < pages->nr; i++) {
			struct page *p = &pages[i];
			if (PageTail(p))
				continue;	/* a THP's mapcount lives on its head */
			if (p->mapcount != p->scan)
				return fail(out, "mapcount", "page %lu: page_mapcount %d, %d entries map it",
					    p->id, p->mapcount, p->scan);
			if (p->pins < 0 || (!w->nr_tasks && p->pins))
				return fail(out, "refcount", "page %lu: %d references held, %d tasks live",
					    p->id, p->pins, w->nr_tasks);
			/* Every entry that maps a page holds a reference on it
			 * (and the tasks theirs): a page freed with an entry left
			 * is a use after free, one whose count fell below its
			 * entries will be. */
			if (p->freed ? p->scan || p->count : p->count < p->scan || p->count < p->pins)
				return fail(out, "page-count", "page %lu%s: page_count %d, %d entries map it, "
					    "%d pins", p->id, p->freed ? " (freed)" : "", p->count, p->scan,
					    p->pins);
		}
	}
	return 0;
}

/* Every lock's state is exactly what the tasks' held lists say. */
static int check_lock_held(struct world *w, const struct lock *l, const char *what,
			   struct check_failure *out)
{
	int writer = 0, readers = 0;
	for (int i = 0; i < w->nr_tasks; i++)
		for (int h = 0; h < w->task[i]->nheld; h++)
			if (w->task[i]->held[h].lock == l) {
				if (w->task[i]->held[h].write)
					writer = w->task[i]->id;
				else
					readers++;
			}
	if (l->writer != writer || l->readers != readers)
		return fail(out, "locks", "%s: held by task %d and %d readers, tasks say %d and %d",
			    what, l->writer, l->readers, writer, readers);
	return 0;
}

/* With no task left (the end of every input) every lock is free: a quick
 * test of each of the world's many locks, inline. */
#define check_lock(w, l, what, out) \
	(!(w)->nr_tasks && lock_is_free(l) ? 0 : check_lock_held((w), (l), (what), (out)))

static int check_locks(struct world *w, struct check_failure *out)
{
	struct anon_vma *av;

	for (int i = 0; i < w->nr_mm; i++) {
		struct mm_struct *mm = w->mm[i];
		if (check_lock(w, &mm->mmap_sem, "mmap_sem", out))
			return -1;
		for (int s = 0; s < NR_PMDS; s++)
			if (check_lock(w, &mm->ptl[s], "page table lock", out) ||
			    check_lock(w, &mm->table_ptl[s], "pte table lock", out))
				return -1;
		if (check_lock(w, &mm->page_table_lock, "page_table_lock", out))
			return -1;
	}
	list_for_each_entry(av, &w->anon_vmas, world_node)
		if (check_lock(w, &av->rwsem, "anon_vma rwsem", out))
			return -1;
	for (int b = 0; b < w->nr_page_blocks; b++)
		for (int i = 0; i < w->page_blocks[b]->nr; i++)
			if (check_lock(w, &w->page_blocks[b][i].lock, "page lock", out))
				return -1;
	return 0;
}

struct chain_ctx {
	int *avcs;
	struct check_failure *out;
};

static int check_orphan_chain(struct world *w, struct vm_area_struct *v, void *ctx)
{
	struct chain_ctx *c = ctx;
	return check_chain(w, v, c->avcs, c->out);
}

int rmap_check(struct world *w, struct check_failure *out)
{
	struct anon_vma *av;
	int chained = 0, indexed = 0;

	/* First: the other checks would name a freed anon_vma as broken
	 * structure (a chain, a reachable entry) rather than as what it is. */
	if (rmap_check_lifetime(w, out))
		return -1;
	for (int i = 0; i < w->nr_mm; i++)
		if (check_vmas(w, w->mm[i], &chained, out))
			return -1;
	/* Orphans mid-operation (a __split_vma's new part before vma_adjust
	 * inserts it) are linked too: count them from the tasks. */
	struct chain_ctx c = { .avcs = &chained, .out = out };
	if (for_each_orphan_vma(w, check_orphan_chain, &c))
		return -1;
	list_for_each_entry(av, &w->anon_vmas, world_node)
		indexed += av->nr_avcs;
	if (chained != indexed)
		return fail(out, "anon_vma-chain", "%d avcs on vma chains, %d indexed", chained, indexed);
	if (check_anon_vmas(w, out) || check_mapcounts(w, out) || check_locks(w, out))
		return -1;
	return 0;
}
