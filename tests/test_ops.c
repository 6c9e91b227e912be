/* Each operation alone, run to completion on a scripted world: the vmas,
 * page tables, mapcounts and anon_vma chains it leaves. */
#include "anon_vma.h"
#include "test.h"
#include "world_util.h"

static int chain_len(struct vm_area_struct *vma)
{
	int n = 0;
	struct anon_vma_chain *avc;
	list_for_each_entry(avc, &vma->anon_vma_chain, same_vma)
		n++;
	return n;
}

static void fault_maps_thp_and_small_pages(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_mmap(w, 0, 0, 2 * P + PAGE_SIZE);
	tw_fault(w, 0, P + PAGE_SIZE, true);	/* THP at the pmd holding P+4K */
	tw_fault(w, 0, 2 * P, true);		/* pmd not wholly in the vma: small */
	struct vm_area_struct *vma = tw_vma(w, 0, 0);
	struct page *thp = tw_page(w, 0, P);

	CHECK(thp && PageTransHuge(thp));
	CHECK_EQ(tw_pmd(w, 0, P)->kind, PMD_HUGE);
	CHECK_EQ(page_mapcount(thp), 1);
	CHECK(thp->mapping == vma->anon_vma);
	CHECK_EQ(thp->index, P / PAGE_SIZE);
	struct page *small = tw_page(w, 0, 2 * P);
	CHECK(small && !PageTransHuge(small));
	CHECK_EQ(small->index, 2 * P / PAGE_SIZE);
	CHECK_EQ(tw_pmd(w, 0, 2 * P)->kind, PMD_TABLE);
	CHECK_EQ(chain_len(vma), 1);
	CHECK_EQ(vma->anon_vma->refcount, 1);
	/* A second fault on a mapped address does nothing. */
	tw_fault(w, 0, P, false);
	CHECK(tw_page(w, 0, P) == thp);
	CHECK_EQ(page_mapcount(thp), 1);
	/* A fault outside every vma fails and leaves nothing. */
	tw_fault(w, 0, 8 * P, false);
	CHECK_EQ(tw_pmd(w, 0, 8 * P)->kind, PMD_NONE);
	world_free(w);
}

static void fork_shares_pages_and_links_chains(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_mmap(w, 0, 0, 2 * P);
	tw_fault(w, 0, 0, true);
	tw_fault(w, 0, P, false);
	int child = tw_fork(w, 0);
	struct vm_area_struct *pv = tw_vma(w, 0, 0), *cv = tw_vma(w, child, 0);
	struct page *thp = tw_page(w, 0, 0), *small = tw_page(w, 0, P);

	CHECK_EQ(tw_nr_vmas(w, child), 1);
	CHECK_EQ(cv->vm_start, pv->vm_start);
	CHECK_EQ(cv->vm_pgoff, pv->vm_pgoff);
	CHECK(tw_page(w, child, 0) == thp);
	CHECK(tw_page(w, child, P) == small);
	CHECK_EQ(page_mapcount(thp), 2);
	CHECK_EQ(page_mapcount(small), 2);
	/* The child: the parent's anon_vma plus its own, rooted at the parent's. */
	CHECK_EQ(chain_len(cv), 2);
	CHECK(cv->anon_vma != pv->anon_vma);
	CHECK(cv->anon_vma->root == pv->anon_vma);
	CHECK_EQ(pv->anon_vma->nr_avcs, 2);
	CHECK_EQ(pv->anon_vma->refcount, 2);	/* its own + the child's root reference */
	/* New pages in the child belong to the child's anon_vma. */
	tw_fault(w, child, P + PAGE_SIZE, false);
	CHECK(tw_page(w, child, P + PAGE_SIZE)->mapping == cv->anon_vma);
	CHECK_EQ(w->nr_anon_vmas, 2);
	world_free(w);
}

/* The migration's copy runs without the anon_vma lock: a fork then copies
 * the migration entry, and the second walk must restore it in the child. */
static void fork_copies_migration_entries(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_mmap(w, 0, 0, P);
	tw_fault(w, 0, 0, false);
	struct page *old = tw_page(w, 0, 0);
	int m = start_migrate(w, old);
	tw_step(w, m);	/* lock_page */
	tw_step(w, m);	/* try_to_unmap: lock */
	tw_step(w, m);	/* page_check_address: the pte looks present, without the lock */
	CHECK_EQ(tw_pte(w, 0, 0)->kind, PTE_PRESENT);
	tw_step(w, m);	/* try_to_unmap_one: migration entry */
	CHECK_EQ(tw_pte(w, 0, 0)->kind, PTE_MIGRATION);
	CHECK_EQ(page_mapcount(old), 0);
	tw_step(w, m);	/* move_to_new_page */
	int child = tw_fork(w, 0);
	CHECK_EQ(tw_pte(w, child, 0)->kind, PTE_MIGRATION);
	CHECK(tw_pte(w, child, 0)->page == old);
	tw_run(w, m);
	struct page *new = tw_page(w, 0, 0);
	CHECK(new && new != old);
	CHECK(tw_page(w, child, 0) == new);
	CHECK_EQ(page_mapcount(new), 2);
	CHECK_EQ(page_mapcount(old), 0);
	CHECK(lock_is_free(&old->lock));
	world_free(w);
}

static void mremap_moves_huge_pmd_to_new_vma(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_mmap(w, 0, 0, 4 * P);
	tw_fault(w, 0, 2 * P, true);
	struct page *thp = tw_page(w, 0, 2 * P);
	struct anon_vma *av = tw_vma(w, 0, 0)->anon_vma;
	tw_mremap(w, 0, 2 * P, 2 * P, 8 * P);

	CHECK_EQ(tw_nr_vmas(w, 0), 2);
	struct vm_area_struct *b = tw_vma(w, 0, 1);
	CHECK_EQ(b->vm_start, 8 * P);
	CHECK_EQ(b->vm_pgoff, 2 * P / PAGE_SIZE);	/* page->index stays valid */
	CHECK(b->anon_vma == av);
	CHECK_EQ(tw_pmd(w, 0, 2 * P)->kind, PMD_NONE);
	CHECK(tw_page(w, 0, 8 * P) == thp);
	CHECK(PageTransHuge(thp));
	CHECK_EQ(page_mapcount(thp), 1);
	CHECK_EQ(av->nr_avcs, 2);
	world_free(w);
}

/* To an address that is not pmd-aligned the THP cannot move whole:
 * split_huge_page_pmd first, then move_ptes, extent by extent. */
static void mremap_unaligned_splits_and_moves_ptes(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_mmap(w, 0, 0, P);
	tw_fault(w, 0, 0, true);
	struct page *thp = tw_page(w, 0, 0);
	unsigned long dst = 4 * P + PAGE_SIZE;
	tw_mremap(w, 0, 0, P, dst);

	CHECK_EQ(tw_nr_vmas(w, 0), 1);
	CHECK_EQ(tw_vma(w, 0, 0)->vm_start, dst);
	CHECK(!PageTransHuge(thp));
	for (int i = 0; i < HPAGE_PMD_NR; i++) {
		CHECK(tw_page(w, 0, dst + (unsigned long)i * PAGE_SIZE) == thp + i);
		CHECK_EQ(page_mapcount(thp + i), 1);
	}
	CHECK_EQ(tw_pmd(w, 0, 0)->kind, PMD_NONE);	/* freed with the old range */
	world_free(w);
}

static void mremap_back_merges_into_prev(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_mmap(w, 0, 0, 4 * P);
	tw_fault(w, 0, 2 * P, true);
	struct page *thp = tw_page(w, 0, 2 * P);
	tw_mremap(w, 0, 2 * P, 2 * P, 8 * P);
	tw_mremap(w, 0, 8 * P, 2 * P, 2 * P);

	CHECK_EQ(tw_nr_vmas(w, 0), 1);
	struct vm_area_struct *a = tw_vma(w, 0, 0);
	CHECK_EQ(a->vm_start, 0);
	CHECK_EQ(a->vm_end, 4 * P);
	CHECK_EQ(a->vm_pgoff, 0);
	CHECK(tw_page(w, 0, 2 * P) == thp);
	CHECK_EQ(tw_pmd(w, 0, 8 * P)->kind, PMD_NONE);
	CHECK_EQ(a->anon_vma->nr_avcs, 1);
	world_free(w);
}

static void mremap_over_a_mapping_unmaps_it_first(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_mmap(w, 0, 0, P);
	tw_fault(w, 0, 0, false);
	tw_mmap(w, 0, 4 * P, P);
	tw_fault(w, 0, 4 * P, false);
	struct page *a = tw_page(w, 0, 0), *b = tw_page(w, 0, 4 * P);
	tw_mremap(w, 0, 0, P, 4 * P);
	CHECK_EQ(tw_nr_vmas(w, 0), 1);
	CHECK(tw_page(w, 0, 4 * P) == a);
	CHECK_EQ(page_mapcount(b), 0);
	world_free(w);
}

static void munmap_zaps_unlinks_and_frees(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_mmap(w, 0, 0, 2 * P);
	tw_fault(w, 0, 0, true);
	tw_fault(w, 0, P, false);
	struct page *thp = tw_page(w, 0, 0), *small = tw_page(w, 0, P);
	tw_munmap(w, 0, 0, 2 * P);
	CHECK_EQ(tw_nr_vmas(w, 0), 0);
	CHECK_EQ(page_mapcount(thp), 0);
	CHECK_EQ(page_mapcount(small), 0);
	CHECK_EQ(tw_pmd(w, 0, 0)->kind, PMD_NONE);
	CHECK_EQ(tw_pmd(w, 0, P)->kind, PMD_NONE);
	CHECK_EQ(w->nr_anon_vmas, 0);
	world_free(w);
}

static void munmap_last_mapping_frees_family(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_mmap(w, 0, 0, P);
	tw_fault(w, 0, 0, false);
	int child = tw_fork(w, 0);
	CHECK_EQ(w->nr_anon_vmas, 2);
	/* The parent's anon_vma is the root: the child keeps it alive. */
	tw_munmap(w, 0, 0, P);
	CHECK_EQ(w->nr_anon_vmas, 2);
	CHECK_EQ(page_mapcount(tw_page(w, child, 0)), 1);
	tw_munmap(w, child, 0, P);
	CHECK_EQ(w->nr_anon_vmas, 0);
	world_free(w);
}

/* munmap through the middle of a THP: vma_adjust splits the THP first. */
static void munmap_inside_thp_splits_it(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_mmap(w, 0, 0, 2 * P);
	tw_fault(w, 0, P, true);
	struct page *thp = tw_page(w, 0, P);
	tw_munmap(w, 0, P + PAGE_SIZE, PAGE_SIZE);
	CHECK(!PageTransHuge(thp));
	CHECK_EQ(tw_nr_vmas(w, 0), 2);
	CHECK(tw_page(w, 0, P) == thp);
	CHECK(tw_page(w, 0, P + PAGE_SIZE) == NULL);
	CHECK(tw_page(w, 0, P + 2 * PAGE_SIZE) == thp + 2);
	CHECK_EQ(page_mapcount(thp + 1), 0);
	CHECK_EQ(page_mapcount(thp + 2), 1);
	CHECK_EQ(tw_vma(w, 0, 1)->vm_pgoff, (P + 2 * PAGE_SIZE) / PAGE_SIZE);
	world_free(w);
}

static void split_huge_page_in_two_mms(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_mmap(w, 0, 0, P);
	tw_fault(w, 0, 0, true);
	struct page *thp = tw_page(w, 0, 0);
	int child = tw_fork(w, 0);
	tw_run(w, start_split_huge_page(w, thp));
	CHECK(!PageTransHuge(thp));
	for (int mm = 0; mm <= child; mm += child) {
		CHECK_EQ(tw_pmd(w, mm, 0)->kind, PMD_TABLE);
		for (int i = 0; i < HPAGE_PMD_NR; i++)
			CHECK(tw_page(w, mm, (unsigned long)i * PAGE_SIZE) == thp + i);
	}
	for (int i = 0; i < HPAGE_PMD_NR; i++) {
		CHECK_EQ(page_mapcount(thp + i), 2);
		CHECK_EQ(thp[i].index, (pgoff_t)i);
		CHECK(thp[i].mapping == thp->mapping);
	}
	CHECK_EQ(tw_vma(w, 0, 0)->anon_vma->refcount, 2);	/* the split's reference is gone */
	/* Splitting again finds a small page: nothing happens. */
	tw_run(w, start_split_huge_page(w, thp));
	CHECK_EQ(page_mapcount(thp), 2);
	world_free(w);
}

static void migrate_moves_every_mapping(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_mmap(w, 0, 0, P);
	tw_fault(w, 0, PAGE_SIZE, false);
	struct page *old = tw_page(w, 0, PAGE_SIZE);
	int child = tw_fork(w, 0);
	tw_run(w, start_migrate(w, old));
	struct page *new = tw_page(w, 0, PAGE_SIZE);
	CHECK(new && new != old);
	CHECK(tw_page(w, child, PAGE_SIZE) == new);
	CHECK_EQ(page_mapcount(new), 2);
	CHECK_EQ(page_mapcount(old), 0);
	CHECK(new->mapping == old->mapping);
	CHECK_EQ(new->index, old->index);
	world_free(w);
}

static void migrate_thp_splits_then_moves_head(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_mmap(w, 0, 0, P);
	tw_fault(w, 0, 0, true);
	struct page *thp = tw_page(w, 0, 0);
	tw_run(w, start_migrate(w, thp));
	CHECK(!PageTransHuge(thp));
	struct page *new = tw_page(w, 0, 0);
	CHECK(new != thp);
	CHECK(tw_page(w, 0, PAGE_SIZE) == thp + 1);
	CHECK_EQ(page_mapcount(thp), 0);
	world_free(w);
}

/* A fault on a migration entry waits for the page lock, then maps the new page. */
static void fault_waits_for_migration(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_mmap(w, 0, 0, P);
	tw_fault(w, 0, 0, false);
	struct page *old = tw_page(w, 0, 0);
	int m = start_migrate(w, old);
	for (int i = 0; i < 4; i++)
		tw_step(w, m);	/* up to the copy */
	int f = start_fault(w, 0, 0, false);
	tw_step(w, f);	/* handle_mm_fault */
	tw_step(w, f);	/* migration_entry_wait */
	CHECK_EQ(sched_step(w, f), STEP_BLOCKED);
	tw_run(w, m);
	tw_run(w, f);
	CHECK(tw_page(w, 0, 0) != old);
	CHECK_EQ(w->halted, HALT_NONE);
	world_free(w);
}

TEST_MAIN(T(fault_maps_thp_and_small_pages), T(fork_shares_pages_and_links_chains),
	  T(fork_copies_migration_entries), T(mremap_moves_huge_pmd_to_new_vma),
	  T(mremap_unaligned_splits_and_moves_ptes), T(mremap_back_merges_into_prev),
	  T(mremap_over_a_mapping_unmaps_it_first), T(munmap_zaps_unlinks_and_frees),
	  T(munmap_last_mapping_frees_family), T(munmap_inside_thp_splits_it),
	  T(split_huge_page_in_two_mms), T(migrate_moves_every_mapping),
	  T(migrate_thp_splits_then_moves_head), T(fault_waits_for_migration))
