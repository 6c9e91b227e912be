/* struct page: the fields the anon rmap reads.
 *
 * A THP is HPAGE_PMD_NR page structs allocated together; until
 * __split_huge_page_refcount the head is PageTransHuge and only huge pmds map
 * it (3.x THPs are never mapped by ptes). After the split every page of the
 * group is a small page with its own mapcount; `head` keeps pointing at the
 * group's first page so the oracle can still attribute splitting pmds.
 * Lifetime: page_count() is the kernel's _count as far as the races need it:
 * one reference per entry that maps the page (a huge pmd's on the head, as
 * the THP is one compound page until __split_huge_page_refcount gives each
 * tail its own), and the references tasks hold (migration's isolation, a
 * split's caller, a COW's pin, an mmu_gather's batch). put_page() of the
 * last one frees the page where the kernel frees it. A freed page keeps
 * its struct until world_free, marked freed, so the oracle can ask who
 * still translates to it (the TLBs, stale-tlb) and a model that uses it
 * again is caught (a model bug), not a crash.
 */
#ifndef RMAP_PAGE_H
#define RMAP_PAGE_H

#include "lock.h"
#include "pgtable.h"

struct anon_vma;
struct world;

struct page {
	unsigned long id;		/* for traces: allocation order */
	struct anon_vma *mapping;	/* the anon_vma rmap walks start from */
	pgoff_t index;			/* vm_pgoff-space offset of this page */
	int mapcount;			/* page_mapcount(): entries mapping it */
	/* References tasks hold across a lock drop (do_wp_page's
	 * page_cache_get): the only part of page_count() the model keeps,
	 * because migrate_page_move_mapping gives up on a page that has them. */
	int pins;
	int count;			/* page_count(): every reference, pins among them */
	int split_refs;			/* those of tasks splitting it (split_refuses_pins) */
	bool freed;			/* the last reference went (free_hot_cold_page) */
	struct page *head;		/* first page of the allocation */
	unsigned char nr;		/* on the first page: pages in the allocation */
	bool compound;			/* on a THP head, until its refcount split */
	struct lock lock;		/* PG_locked */
	int scan;			/* rmap_check's scratch count */
};

static inline bool PageTransHuge(const struct page *p) { return p->head == p && p->compound; }
static inline bool PageTail(const struct page *p) { return p->head != p && p->head->compound; }
static inline bool page_mapped(const struct page *p) { return p->mapcount > 0; }
static inline int page_mapcount(const struct page *p) { return p->mapcount; }

static inline int page_count(const struct page *p) { return p->count; }
/* The references on a THP besides its mappings' and its splitters'
 * (split_refuses_pins refuses a split while there are any). */
static inline int split_extra_refs(const struct page *p)
{
	return p->count - p->split_refs - p->mapcount;
}

/* A THP (huge) or a small page, owned by the world, with one reference:
 * the allocation's, which becomes the first mapping's. */
struct page *alloc_anon_page(struct world *w, bool huge);

struct task;
/* get_page(); a page already freed is a model bug. */
void get_page(struct world *w, struct page *page);
/* put_page(): the last reference frees the page (and, for a THP still
 * compound, all of its pages); `why` is the kernel function that drops it,
 * for reports. Below zero is a model bug. */
void put_page(struct world *w, struct task *t, struct page *page, const char *why);
/* A reference a task holds across a lock drop that migration's
 * page_count() check sees (page_cache_get in do_wp_page): pins counts
 * them apart, as the model always has. */
void page_pin(struct world *w, struct page *page);
void page_unpin(struct world *w, struct task *t, struct page *page, const char *why);

#endif
