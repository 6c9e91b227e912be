/* exec's new mm (core/exec.c): the temporary stack, its argument pages, and
 * setup_arg_pages' shift_arg_pages moving it down; migration racing the
 * shift, with try_to_unmap's temporary-stack skip (a8bef8ff6ea1) and, on
 * the no-stack-skip row, without it.
 *
 * P = one pmd of address space (4 pages); the stack's top is TASK_SIZE =
 * 16P. "exec 3 pages, shift 2P":
 *
 *          12P    13P    14P    15P    16P
 *   before                             |.cba|   vma0 [16P-3p, 16P) pgoff 16P-3p,
 *                                                VM_STACK_INCOMPLETE_SETUP
 *   adjust        |.....................cba|    vma_adjust: [14P-3p, 16P), same pgoff
 *   move          |.cba.................|       move_page_tables: a, b, c 2P down
 *   after         |.cba|                        vma_adjust: [14P-3p, 14P); flag cleared
 *
 * (a is the top argument page, faulted first: copy_strings works down.)
 */
#include <string.h>

#include "anon_vma.h"
#include "oracle.h"
#include "protocol.h"
#include "script.h"
#include "test.h"
#include "world_util.h"

#define PG PAGE_SIZE

static int run_exec(struct world *w, int pages, unsigned long shift)
{
	int before = w->nr_mm;
	tw_run(w, start_exec(w, pages, shift));
	CHECK_EQ(w->nr_mm, before + 1);
	return w->nr_mm - 1;
}

/* The pages end at their new addresses, their index still the vma's linear
 * index there; the vacated tail's table is gone; the flag is cleared. */
static void exec_shifts_the_stack_down(void)
{
	struct world *w = tw_new("linux-3.15");
	int mm = run_exec(w, 3, 2 * P);
	CHECK_EQ(tw_nr_vmas(w, mm), 1);
	struct vm_area_struct *vma = tw_vma(w, mm, 0);
	CHECK_EQ(vma->vm_start, 14 * P - 3 * PG);
	CHECK_EQ(vma->vm_end, 14 * P);
	CHECK_EQ(vma->vm_pgoff, (16 * P - 3 * PG) >> PAGE_SHIFT);
	CHECK(!is_vma_temporary_stack(vma) && (vma->vm_flags & VM_GROWSDOWN));
	for (int i = 1; i <= 3; i++) {
		unsigned long addr = 14 * P - (unsigned long)i * PG;
		struct page *page = tw_page(w, mm, addr);
		CHECK(page != NULL);
		CHECK_EQ(page->index, linear_page_index(vma, addr));
		CHECK_EQ(page->index, (16 * P - (unsigned long)i * PG) >> PAGE_SHIFT);
		CHECK_EQ(page_mapcount(page), 1);
		CHECK(page->mapping == vma->anon_vma);
	}
	CHECK_EQ(tw_pmd(w, mm, 15 * P)->kind, PMD_NONE);	/* free_pgd_range */
	world_free(w);
}

/* A shift shorter than the stack: the ranges overlap, the move goes up
 * from the bottom (each destination below its source, and empty by then),
 * and free_pgd_range keeps the table the new range shares.
 *
 *          14P     15P     16P
 *   before     |...|hgfe|dcba|     8 pages [14P, 16P)
 *   after  |hgfe|dcba|             shifted 1P: [13P, 15P); 15P's table freed */
static void overlapping_shift_moves_up_from_the_bottom(void)
{
	struct world *w = tw_new("linux-3.15");
	struct tw_trace tr;
	tw_trace_on(w, &tr);
	int mm = run_exec(w, 8, P);
	struct vm_area_struct *vma = tw_vma(w, mm, 0);
	CHECK_EQ(vma->vm_start, 13 * P);
	CHECK_EQ(vma->vm_end, 15 * P);
	for (unsigned long a = 13 * P; a < 15 * P; a += PG)
		CHECK(tw_page(w, mm, a) && tw_page(w, mm, a)->index == linear_page_index(vma, a));
	CHECK_EQ(tw_pmd(w, mm, 15 * P)->kind, PMD_NONE);
	CHECK_EQ(tw_pmd(w, mm, 14 * P)->kind, PMD_TABLE);
	const char *first = strstr(tr.buf, "took out ptes mm1 [0x38000, 0x3c000) -> mm1 [0x34000");
	const char *second = strstr(tr.buf, "took out ptes mm1 [0x3c000, 0x40000) -> mm1 [0x38000");
	CHECK(first && second && first < second);
	CHECK(strstr(tr.buf, "without the anon_vma lock") != NULL);	/* need_rmap_locks false */
	CHECK(strstr(tr.buf, "free_pgd_range mm1 [0x3c000, 0x40000)") != NULL);
	tw_trace_free(&tr);
	world_free(w);
}

/* exec counts against MAX_MMS: with no room it fails and changes nothing;
 * nonsense operands start nothing. */
static void exec_needs_room_for_its_mm(void)
{
	struct world *w = tw_new("linux-3.15");
	while (w->nr_mm < MAX_MMS)
		run_exec(w, 1, P);
	int before = w->nr_page_blocks;
	tw_run(w, start_exec(w, 2, P));
	CHECK_EQ(w->nr_mm, MAX_MMS);
	CHECK_EQ(w->nr_page_blocks, before);
	CHECK_EQ(start_exec(w, 0, P), -1);
	CHECK_EQ(start_exec(w, 1, 0), -1);
	CHECK_EQ(start_exec(w, 1, TASK_SIZE), -1);
	world_free(w);
}

/* Nothing names the new mm until the exec is done: an operation started
 * on it meanwhile waits, then sees the stack in its place. */
static void exec_holds_its_mm_to_the_end(void)
{
	struct world *w = tw_new("linux-3.15");
	int x = start_exec(w, 2, P);
	tw_step(w, x);	/* __bprm_mm_init */
	int f = start_fault(w, 1, 15 * P, false);
	CHECK(sched_step(w, f) == STEP_BLOCKED);
	tw_run(w, x);
	tw_run(w, f);
	CHECK(tw_page(w, 1, 15 * P) == NULL);	/* above the shifted stack: no vma */
	world_free(w);
}

/* Migration of argument page a (at 16P - 1p) racing the shift.
 *
 * M's try_to_unmap walks before the first vma_adjust; the adjust runs
 * between its two walks (it needs AV(w), which each walk holds); M's
 * remove_migration_ptes walks after it, before the move. With the skip, M
 * never puts a migration entry in the temporary stack: a stays mapped and
 * M gives up. Without it (no-stack-skip: 2.6.34), the entry is at 16P - 1p
 * while vma_address() names 14P - 1p, where the walk finds nothing, and
 * the move carries the entry down: a stale migration entry. */
static const char *migration_races_the_shift(const char *protocol)
{
	struct scen s;
	sc_begin(&s, protocol);
	int x = start_exec(s.w, 3, 2 * P);
	sc_through(&s, x, "do_anonymous_page", 3);	/* every argument page in */
	struct page *a = tw_page(s.w, 1, 16 * P - PG);
	int m = start_migrate(s.w, a);
	sc_through(&s, m, "try_to_unmap", 1);	/* AV0(r) */
	sc_step(&s, m);				/* the skip, or the look and ... */
	if (s.w->proto->no_stack_skip)
		sc_step(&s, m);			/* ... the migration entry */
	sc_through(&s, x, "vma_adjust", 1);	/* [14P - 3p, 16P), same pgoff */
	sc_through(&s, m, "remove_migration_ptes", 1);
	sc_step(&s, m);				/* looks at 14P - 1p */
	return sc_finish(&s);
}

static void migration_races_the_shift_under_every_protocol(void)
{
	for (int i = 0; i < nr_protocols; i++) {
		const struct protocol *p = &protocols[i];
		sc_check_verdict(p->name, migration_races_the_shift(p->name),
				 p->no_stack_skip ? "stale-migration-entry" : NULL);
	}
}

/* With the skip, the page is where the shift put it, not migrated. */
static void skipped_page_stays_and_moves(void)
{
	struct scen s;
	sc_begin(&s, "linux-3.15");
	int x = start_exec(s.w, 3, 2 * P);
	sc_through(&s, x, "do_anonymous_page", 3);
	struct page *a = tw_page(s.w, 1, 16 * P - PG);
	int m = start_migrate(s.w, a);
	sc_through(&s, m, "invalid_migration_vma", 1);
	CHECK(sc_end(&s) == NULL);
	CHECK(tw_page(s.w, 1, 14 * P - PG) == a);
	CHECK_EQ(page_mapcount(a), 1);
	sc_free(&s);
}

/* The other orders are benign on every row, the skip or not: a walk that
 * begins after the first vma_adjust looks at the destination, where the
 * page is only once moved, and both walks agree. M runs whole at each
 * point of the exec. */
static void migration_at_any_point_of_the_shift_is_benign(void)
{
	static const struct { const char *step; int n; } points[] = {
		{ "vma_adjust", 1 }, { "move_ptes", 1 }, { "move_ptes", 2 }, { "free_pgd_range", 1 },
		{ "vma_adjust", 2 }, { "setup_arg_pages", 1 },
	};
	for (int i = 0; i < nr_protocols; i++)
		for (unsigned k = 0; k < sizeof(points) / sizeof(points[0]); k++) {
			struct scen s;
			sc_begin(&s, protocols[i].name);
			int x = start_exec(s.w, 3, 2 * P);
			sc_through(&s, x, "do_anonymous_page", 3);
			struct page *a = tw_page(s.w, 1, 16 * P - PG);
			sc_through(&s, x, points[k].step, points[k].n);
			int m = start_migrate(s.w, a);
			while (task_find(s.w, m) && sc_step(&s, m))
				;
			sc_check_verdict(protocols[i].name, sc_finish(&s), NULL);
		}
}

TEST_MAIN(T(exec_shifts_the_stack_down), T(overlapping_shift_moves_up_from_the_bottom),
	  T(exec_needs_room_for_its_mm), T(exec_holds_its_mm_to_the_end),
	  T(migration_races_the_shift_under_every_protocol), T(skipped_page_stays_and_moves),
	  T(migration_at_any_point_of_the_shift_is_benign))
