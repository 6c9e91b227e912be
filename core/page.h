/* struct page: the fields the anon rmap reads.
 *
 * A THP is HPAGE_PMD_NR page structs allocated together; until
 * __split_huge_page_refcount the head is PageTransHuge and only huge pmds map
 * it (3.x THPs are never mapped by ptes). After the split every page of the
 * group is a small page with its own mapcount; `head` keeps pointing at the
 * group's first page so the oracle can still attribute splitting pmds.
 * Page structs live until the world is freed: tasks keep plain pointers to
 * the pages they split or migrate, as the kernel keeps a reference.
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

/* A THP (huge) or a small page, owned by the world. */
struct page *alloc_anon_page(struct world *w, bool huge);

#endif
