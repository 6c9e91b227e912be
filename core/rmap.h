/* Reverse-map walks and the mapcount side of mapping a page (mm/rmap.c).
 *
 * A walk runs across several steps under the root anon_vma lock, one vma per
 * step. While that lock is held no avc can be inserted, removed or re-keyed,
 * so the list of vmas the walk will visit is fixed when the lock is taken:
 * rmap_walk_begin records it then, in the index's order.
 */
#ifndef RMAP_RMAP_H
#define RMAP_RMAP_H

#include "pgtable.h"

struct anon_vma;
struct anon_vma_chain;
struct lock;
struct mm_struct;
struct pmd;
struct page;
struct task;
struct vm_area_struct;
struct world;

enum rmap_walk_kind {
	WALK_SPLIT_PASS1,	/* __split_huge_page_splitting */
	WALK_SPLIT_PASS2,	/* __split_huge_page_map */
	WALK_TRY_TO_UNMAP,	/* try_to_unmap_one, migration entries */
	WALK_REMOVE_MIGRATION,	/* remove_migration_pte */
};

struct rmap_walk {
	unsigned char kind;
	struct page *page;
	struct anon_vma *anon_vma;	/* the tree walked: page->mapping's */
	pgoff_t pgoff;
	int nr, next;			/* vmas to visit, and the next one */
	struct anon_vma_chain **avc;	/* in visit order */
	int cap;			/* avc's size */
	int count;			/* what the per-vma function counted */
};

/* Record the visit order; the caller's step holds the root's rwsem. */
void rmap_walk_begin(struct world *w, struct task *t, struct rmap_walk *walk,
		     enum rmap_walk_kind kind, struct page *page, struct anon_vma *av);
/* The vma the walk visits next. */
struct vm_area_struct *rmap_walk_vma(const struct rmap_walk *walk);
/* Report a visit of rmap_walk_vma() and move on. */
void rmap_walk_visited(struct world *w, struct task *t, struct rmap_walk *walk,
		       unsigned long addr, int result);
void rmap_walk_end(struct world *w, struct task *t, struct rmap_walk *walk);

/* Where the walk's next visit lands: the vma, and the page's address and
 * page-table lock there (vma_address(), as the per-vma functions compute). */
struct walk_visit {
	struct vm_area_struct *vma;
	struct mm_struct *mm;
	unsigned long addr;
	struct pmd *pmd;
	struct lock *ptl;
};
void rmap_walk_next_visit(const struct rmap_walk *walk, struct walk_visit *v);
/* Close a visit: name the step after the per-vma function, report what it
 * found, drop the page-table lock if this visit took it. */
void rmap_walk_visit_done(struct world *w, struct task *t, struct rmap_walk *walk,
			  const struct walk_visit *v, const char *step, int found, const char *what);
void rmap_walk_free(struct world *w, struct rmap_walk *walk);
/* Visit the same vmas again, keeping the count (a retry under the lock). */
static inline void rmap_walk_restart(struct rmap_walk *walk) { walk->next = 0; }
static inline int rmap_walk_done(const struct rmap_walk *walk) { return walk->next >= walk->nr; }

/* page->mapping if the page is mapped, with a reference taken; else NULL
 * (and a kernel bug when that anon_vma was freed under a mapped page). */
struct anon_vma *page_get_anon_vma(struct world *w, struct page *page);
/* A new page becomes the vma's own anon_vma's, at the vma's linear index. */
void page_add_new_anon_rmap(struct page *page, struct vm_area_struct *vma, unsigned long addr);
/* page_move_anon_rmap(): a page this vma alone maps becomes its own
 * anon_vma's, so walks no longer search the parent and its other children.
 * The caller holds the page lock and the pte lock; no anon_vma lock. */
void page_move_anon_rmap(struct world *w, struct task *t, struct page *page,
			 struct vm_area_struct *vma, unsigned long address);
void page_dup_rmap(struct page *page);
void page_remove_rmap(struct page *page);

const char *rmap_walk_kind_name(enum rmap_walk_kind kind);

#endif
