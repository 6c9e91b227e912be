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
	pages[0].count = 1;
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

void get_page(struct world *w, struct page *page)
{
	if (page->freed)
		world_model_bug(w, "get_page of page %lu, freed already", page->id);
	page->count++;
}

/* free_hot_cold_page(), or for a THP __free_pages of the compound page:
 * every page of it goes at once. */
static void free_page(struct world *w, struct task *t, struct page *page, const char *why)
{
	int nr = page->compound ? page->nr : 1;

	for (int i = 0; i < nr; i++)
		page[i].freed = true;
	struct rmap_event ev = { .kind = EV_PAGE_FREE, .task = t,
				 .tlb = { .page = page, .why = why } };
	world_emit(w, &ev);
}

void put_page(struct world *w, struct task *t, struct page *page, const char *why)
{
	if (page->freed || page->count <= 0) {
		world_model_bug(w, "put_page of page %lu (%s): count %d%s", page->id, why,
				page->count, page->freed ? ", freed already" : "");
		return;
	}
	if (--page->count == 0)
		free_page(w, t, page, why);
}

void page_pin(struct world *w, struct page *page)
{
	page->pins++;
	get_page(w, page);
}

void page_unpin(struct world *w, struct task *t, struct page *page, const char *why)
{
	page->pins--;
	put_page(w, t, page, why);
}
