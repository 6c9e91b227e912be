/* The structural checks fail when the world is wrong: each case breaks one
 * invariant by hand, expects that invariant's name, and repairs it. */
#include <string.h>

#include "anon_vma.h"
#include "test.h"
#include "world_util.h"

static struct world *sample(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_mmap(w, 0, 0, 4 * P);
	tw_fault(w, 0, 0, true);
	tw_fault(w, 0, 2 * P, false);
	tw_fork(w, 0);
	return w;
}

static void expect(struct world *w, const char *invariant)
{
	struct check_failure f;
	CHECK_EQ(rmap_check(w, &f), -1);
	CHECK_STR(f.invariant, invariant);
}

static void sample_is_sound(void)
{
	struct world *w = sample();
	struct check_failure f;
	CHECK_EQ(rmap_check(w, &f), 0);
	world_free(w);
}

static void catches_mapcount(void)
{
	struct world *w = sample();
	struct page *page = tw_page(w, 0, 2 * P);
	page->mapcount++;
	expect(w, "mapcount");
	page->mapcount--;
	/* A lost pte: mapcount says 2, one entry left. */
	struct pte saved = *tw_pte(w, 1, 2 * P);
	*tw_pte(w, 1, 2 * P) = (struct pte){ .kind = PTE_NONE };
	expect(w, "mapcount");
	*tw_pte(w, 1, 2 * P) = saved;
	world_free(w);
}

static void catches_range_change_while_indexed(void)
{
	struct world *w = sample();
	struct vm_area_struct *v = tw_vma(w, 0, 0);
	v->vm_pgoff += 1;	/* without pre_update/post_update */
	expect(w, "interval-tree");
	v->vm_pgoff -= 1;
	world_free(w);
}

static void catches_refcount(void)
{
	struct world *w = sample();
	struct anon_vma *av = tw_vma(w, 0, 0)->anon_vma;
	av->refcount++;
	expect(w, "anon-vma-counters");	/* an anon_vma's; a page's pins stay "refcount" */
	av->refcount--;
	world_free(w);
}

static void catches_lock_left_held(void)
{
	struct world *w = sample();
	w->mm[1]->ptl[0].writer = 5;
	expect(w, "locks");
	w->mm[1]->ptl[0].writer = 0;
	world_free(w);
}

/* An entry no rmap walk can reach: a pte outside every vma. */
static void catches_unreachable_entry(void)
{
	struct world *w = sample();
	struct pmd saved = *tw_pmd(w, 0, 2 * P);
	*tw_pmd(w, 0, 8 * P) = saved;
	set_pmd(tw_pmd(w, 0, 2 * P), PMD_NONE, NULL);
	expect(w, "rmap-reachable");
	*tw_pmd(w, 0, 2 * P) = saved;
	set_pmd(tw_pmd(w, 0, 8 * P), PMD_NONE, NULL);
	/* The wrong index at the right place is unreachable too. */
	struct page *page = tw_page(w, 0, 2 * P);
	page->index++;
	expect(w, "rmap-reachable");
	page->index--;
	world_free(w);
}

static void catches_overlapping_vmas(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_mmap(w, 0, 0, P);
	tw_mmap(w, 0, 2 * P, P);
	tw_vma(w, 0, 0)->vm_end = 3 * P;
	expect(w, "vma-layout");
	tw_vma(w, 0, 0)->vm_end = P;
	world_free(w);
}

TEST_MAIN(T(sample_is_sound), T(catches_mapcount), T(catches_range_change_while_indexed),
	  T(catches_refcount), T(catches_lock_left_held), T(catches_unreachable_entry),
	  T(catches_overlapping_vmas))
