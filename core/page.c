#include "page.h"

#include <string.h>

#include "world.h"

struct page *alloc_anon_page(struct world *w, bool huge)
{
	int nr = huge ? HPAGE_PMD_NR : 1;
	struct page *pages = world_alloc(w, (unsigned long)nr * sizeof(*pages));

	for (int i = 0; i < nr; i++) {
		pages[i].id = w->next_page_id++;
		pages[i].head = &pages[0];
		lock_init(&pages[i].lock, LOCK_PAGE);
	}
	pages[0].nr = (unsigned char)nr;
	pages[0].compound = huge;
	if (w->nr_page_blocks == w->cap_page_blocks) {
		int cap = w->cap_page_blocks ? 2 * w->cap_page_blocks : 16;
		struct page **grown = world_alloc(w, (unsigned long)cap * sizeof(*grown));
		if (w->nr_page_blocks)
			memcpy(grown, w->page_blocks, (unsigned long)w->nr_page_blocks * sizeof(*grown));
		world_dealloc(w, w->page_blocks, (unsigned long)w->cap_page_blocks * sizeof(*grown));
		w->page_blocks = grown;
		w->cap_page_blocks = cap;
	}
	w->page_blocks[w->nr_page_blocks++] = pages;
	return pages;
}
