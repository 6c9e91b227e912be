#include "rmap.h"

#include "anon_vma.h"
#include "mm.h"
#include "page.h"
#include "task.h"
#include "world.h"

const char *rmap_walk_kind_name(enum rmap_walk_kind kind)
{
	static const char *const names[] = {
		"split_huge_page pass 1", "split_huge_page pass 2", "try_to_unmap",
		"remove_migration_ptes",
	};
	return names[kind];
}

void rmap_walk_begin(struct world *w, struct task *t, struct rmap_walk *walk,
		     enum rmap_walk_kind kind, struct page *page, struct anon_vma *av)
{
	rmap_walk_free(w, walk);
	struct anon_vma_chain **avcs = world_alloc(w, ((unsigned long)av->nr_avcs + 1) * sizeof(*avcs));

	walk->kind = (unsigned char)kind;
	walk->page = page;
	walk->anon_vma = av;
	walk->pgoff = page->index;
	walk->nr = anon_vma_index_query(w, av, page->index, avcs, av->nr_avcs);
	walk->next = 0;
	walk->count = 0;
	/* No avc can be added, removed or re-keyed under the lock. */
	walk->avc = avcs;
	walk->cap = av->nr_avcs + 1;
	struct rmap_event ev = { .kind = EV_WALK_BEGIN, .task = t, .walk = walk };
	world_emit(w, &ev);
}

struct vm_area_struct *rmap_walk_vma(const struct rmap_walk *walk)
{
	return walk->avc[walk->next]->vma;
}

void rmap_walk_visited(struct world *w, struct task *t, struct rmap_walk *walk,
		       unsigned long addr, int result)
{
	struct rmap_event ev = {
		.kind = EV_WALK_VISIT, .task = t, .walk = walk,
		.vma = rmap_walk_vma(walk), .addr = addr, .result = result,
	};
	walk->count += result;
	world_emit(w, &ev);
	walk->next++;
}

void rmap_walk_end(struct world *w, struct task *t, struct rmap_walk *walk)
{
	struct rmap_event ev = { .kind = EV_WALK_END, .task = t, .walk = walk, .result = walk->count };
	world_emit(w, &ev);
}

void rmap_walk_next_visit(const struct rmap_walk *walk, struct walk_visit *v)
{
	v->vma = rmap_walk_vma(walk);
	v->mm = v->vma->vm_mm;
	v->addr = vma_address_of(v->vma, walk->pgoff);
	v->pmd = mm_pmd(v->mm, v->addr);
	v->ptl = pmd_lockptr(v->mm, v->addr);
}

void rmap_walk_visit_done(struct world *w, struct task *t, struct rmap_walk *walk,
			  const struct walk_visit *v, const char *step, int found, const char *what)
{
	step_trace(w, t, step, "mm%d vma%lu %#lx: %s", v->mm->id, v->vma->id, v->addr, what);
	rmap_walk_visited(w, t, walk, v->addr, found);
	if (task_holds(t, v->ptl))
		lock_drop(w, t, v->ptl);
}

void rmap_walk_free(struct world *w, struct rmap_walk *walk)
{
	world_dealloc(w, walk->avc, (unsigned long)walk->cap * sizeof(*walk->avc));
	walk->avc = NULL;
	walk->nr = walk->next = 0;
}

struct anon_vma *page_get_anon_vma(struct world *w, struct page *page)
{
	if (!page_mapped(page))
		return NULL;
	if (page->mapping->dead) {
		world_kernel_bug(w, "page_get_anon_vma: page %lu is mapped but its anon_vma %lu was "
				 "freed (use-after-free)", page->id, page->mapping->id);
		return NULL;
	}
	get_anon_vma(page->mapping);
	return page->mapping;
}

void page_add_new_anon_rmap(struct page *page, struct vm_area_struct *vma, unsigned long addr)
{
	page->mapping = vma->anon_vma;
	page->index = linear_page_index(vma, addr);
	page->mapcount = 1;
}

/* Walks of a small page take its lock before they read page->mapping
 * (try_to_unmap under migration's lock_page), so the page lock is what
 * keeps the move from them. */
void page_move_anon_rmap(struct world *w, struct task *t, struct page *page,
			 struct vm_area_struct *vma, unsigned long address)
{
	if (!task_holds(t, &page->lock) || !vma->anon_vma) {
		world_model_bug(w, "page_move_anon_rmap: page %lu without its lock or vma%lu without "
				"an anon_vma", page->id, vma->id);
		return;
	}
	if (page->index != linear_page_index(vma, address)) {
		world_kernel_bug(w, "page_move_anon_rmap: VM_BUG_ON(page->index != linear_page_index): "
				 "page %lu index %#lx, vma%lu maps index %#lx at %#lx", page->id,
				 page->index, vma->id, linear_page_index(vma, address), address);
		return;
	}
	page->mapping = vma->anon_vma;
}

void page_dup_rmap(struct page *page) { page->mapcount++; }
void page_remove_rmap(struct page *page) { page->mapcount--; }
