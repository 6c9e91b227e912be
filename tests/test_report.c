/* The report's second line names both sides of each race and what one did
 * to the other (fuzz/cause.c): a wrong "who vs who" fails here. The
 * inputs are the kept crashers' and the mail's (tests/cli_test.sh's
 * mail.bin); tests/golden/ holds every crasher's whole report. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "anon_vma.h"
#include "oracle.h"
#include "report.h"
#include "run.h"
#include "test.h"
#include "world_util.h"

/* Line n (from 1) of the report of data under protocol, in line. */
static void report_line(const char *protocol, const uint8_t *data, size_t size, int n, char *line,
			size_t max)
{
	struct run_result res;
	struct strbuf report = { 0 };
	line[0] = 0;
	CHECK(rmap_run(data, size, protocol_find(protocol), 0, &res, &report));
	const char *s = sb_str(&report);
	for (int i = 1; i < n && s; i++)
		s = strchr(s, '\n') ? strchr(s, '\n') + 1 : NULL;
	if (s)
		snprintf(line, max, "%.*s", (int)strcspn(s, "\n"), s);
	sb_free(&report);
}

/* An input, its protocol, and the second line of its report. */
struct cause_case {
	const char *protocol;
	uint8_t bytes[32];
	size_t size;
	const char *cause;
};

static void check_cause(const struct cause_case *c)
{
	char line[512];
	report_line(c->protocol, c->bytes, c->size, 2, line, sizeof(line));
	CHECK_STR(line, c->cause);
}

/* The mail's race: the merge puts the destination first; the split walks
 * it empty, mremap moves the pmd into it without the anon_vma lock, the
 * split walks the source empty. linux-3.12: the move race alone. */
static const struct cause_case mail = {
	"linux-3.12",	/* tests/cli_test.sh's mail.bin */
	{ 0x81, 0x00, 0x00, 0x03, 0x82, 0x00, 0x02, 0x01, 0x84, 0x08, 0x02, 0x08,
	  0x04, 0x08, 0x08, 0x02, 0x06, 0x00, 0x00, 0x00, 0x00, 0x39, 0x00, 0xdc }, 24,
	"split_huge_page (task 5) vs move_huge_pmd (task 4): the walk visited vma0 at step 19, "
	"the huge pmd moved vma1 -> vma0 at steps 20-21 without the anon_vma lock, the walk "
	"visited vma1 at step 23",
};

/* The same schedule under linux-3.14, whose split pass 1 also peeks at
 * the pmd without its lock: the peek at B falls inside the move. */
static const struct cause_case mail_3_14 = {
	"linux-3.14",
	{ 0x81, 0x00, 0x00, 0x03, 0x82, 0x00, 0x02, 0x01, 0x84, 0x08, 0x02, 0x08,
	  0x04, 0x08, 0x08, 0x02, 0x06, 0x00, 0x00, 0x00, 0x00, 0x39, 0x00, 0xdc }, 24,
	"split_huge_page (task 5) vs move_huge_pmd (task 4): the huge pmd left vma1 for vma0 at "
	"step 20 under both page-table locks, and the walk peeked at vma1 at step 21 without them "
	"while it was in flight",
};

#define FOR_EACH(cases) for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)

/* The explorer's counterexamples (rmapfuzz explore --max-ops 3
 * --max-conc 3 --max-pmds 3 --max-mms 2, few preemptions): the other
 * side linked or re-indexed the vma the walk misses, or began its munmap,
 * before the walking task's first step: the race's first half. The
 * timeline starts there, with that step among its rows. */
static const struct timeline_case {
	const char *protocol;
	uint8_t bytes[24];
	const char *header, *row;
} early_other_sides[] = {
	{ "tree-left",	/* fork: anon_vma_fork at step 6, the copy at step 10 */
	  { 0x81, 0x00, 0x00, 0x00, 0x82, 0x00, 0x00, 0x01, 0x03, 0x00, 0x00, 0x00,
	    0x06, 0x00, 0x00, 0x00, 0x00, 0x39, 0x00, 0xdc }, "\ntimeline, steps 5-12:",
	  "\n  6                                      anon_vma_fork  " },
	{ "linux-3.12",	/* mremap_to and the merge's vma_adjust at steps 15-16 */
	  { 0x81, 0x00, 0x00, 0x01, 0x82, 0x00, 0x01, 0x01, 0x84, 0x00, 0x01, 0x02,
	    0x06, 0x00, 0x00, 0x00, 0x04, 0x00, 0x02, 0x01, 0x00, 0x30, 0x01, 0x1c },
	  "\ntimeline, steps 15-23:", "\n  16                                     vma_adjust  " },
	{ "linux-3.14",	/* the split's page_get_anon_vma at step 5, the zap's BUG at 13 */
	  { 0x81, 0x00, 0x00, 0x00, 0x82, 0x00, 0x00, 0x01, 0x05, 0x00, 0x00, 0x00,
	    0x06, 0x00, 0x00, 0x00, 0x00, 0x38, 0x01, 0x1e }, "\ntimeline, steps 5-13:",
	  "\n  5                                     page_get_anon_vma" },
};

static void check_timeline_starts(void)
{
	FOR_EACH(early_other_sides) {
		const struct timeline_case *t = &early_other_sides[i];
		struct run_result res;
		struct strbuf report = { 0 };
		CHECK(rmap_run(t->bytes, sizeof(t->bytes), protocol_find(t->protocol), 0, &res, &report));
		const char *r = sb_str(&report), *tl = strstr(r, t->header);
		const char *walk = strstr(r, "\nthe walk: "), *row = strstr(r, t->row);
		CHECK(tl != NULL);
		CHECK(row && tl && walk && tl < row && row < walk);
		sb_free(&report);
	}
}

static void mail_race_names_the_move(void)
{
	check_cause(&mail);
	check_cause(&mail_3_14);
	check_timeline_starts();
}

/* tree-left walks the child before the parent: fork's copy lands behind. */
static const struct cause_case fork_races[] = {
	{ "tree-left",
	  { 0x81, 0x00, 0x00, 0x01, 0x82, 0x00, 0x00, 0x01, 0x03, 0x00, 0x00, 0x00,
	    0x06, 0x00, 0x00, 0x00, 0x00, 0x39, 0x00, 0xdc }, 20,
	  "split_huge_page (task 4) vs copy_huge_pmd (task 3): the walk visited vma1 at step 9, "
	  "the huge pmd was copied vma0 -> vma1 at step 10 without the anon_vma lock, the walk "
	  "visited vma0 at step 11" },
	{ "tree-left",	/* crashers/tree-left/stale-migration-entry-046694c5 */
	  { 0x81, 0x00, 0x00, 0x00, 0x82, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00,
	    0x07, 0x00, 0x00, 0x00, 0x00, 0x39, 0x00, 0xbd, 0x00, 0x00, 0x00, 0x00 }, 24,
	  "remove_migration_ptes (task 4) vs copy_pte_range (task 3): the walk visited vma1 at "
	  "step 13 and found no pte table, the migration entry was copied vma0 -> vma1 at "
	  "step 14 without the anon_vma lock, the walk visited vma0 at step 17" },
};

/* unlink-first: munmap unlinks before it zaps. */
static const struct cause_case unlink_first[] = {
	{ "unlink-first",	/* crashers/unlink-first/missed-vma-f0d6ac43 */
	  { 0x81, 0x00, 0x00, 0x00, 0x82, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00,
	    0x07, 0x00, 0x00, 0x00, 0x00, 0x21, 0x00, 0x11 }, 20,
	  "try_to_unmap (task 4) vs munmap (task 3): its do_munmap unlinked vma0 at step 8 before "
	  "zapping it, and the walk took the lock at step 9 while vma0 still mapped the page at "
	  "mm0 0: it will not visit vma0" },
	{ "unlink-first",	/* crashers/unlink-first/kernel-bug-45f1f58f */
	  { 0x81, 0x00, 0x00, 0x00, 0x82, 0x00, 0x00, 0x01, 0x04, 0x00, 0x01, 0x00,
	    0x06, 0x00, 0x00, 0x00, 0x00, 0x19, 0x00, 0x08 }, 20,
	  "split_huge_page (task 4) vs mremap (task 3): its do_munmap unlinked vma0 at step 7 "
	  "before zapping it, which freed anon_vma 0 while page 0 was still mapped at mm0 0, and "
	  "page_get_anon_vma found it freed at step 8" },
	{ "unlink-first",	/* crashers/unlink-first/split-missed-pmd-a84e2300 */
	  { 0x81, 0x00, 0x00, 0x00, 0x82, 0x00, 0x00, 0x01, 0x05, 0x00, 0x00, 0x00,
	    0x06, 0x00, 0x00, 0x00, 0x00, 0x31, 0x00, 0x64 }, 20,
	  "split_huge_page (task 4) vs munmap (task 3): its do_munmap unlinked vma0 at step 8 "
	  "before zapping it, the zap cleared the huge pmd at step 9 and had not dropped the "
	  "page's mapcount when the walk took the lock at step 10 without vma0: counted 0, "
	  "page_mapcount 1" },
};

/* The unlocked peeks: a move in flight, a zap between its steps, a split
 * that completes inside a zap's lock section. And one that is no peek:
 * list-3.2's remove_migration_pte found no pte table at the pmd, the look
 * every kernel makes before the lock; the visit order missed the entry. */
static const struct cause_case peeks[] = {
	{ "list-3.2",	/* crashers/list-3.2/stale-migration-entry-3c62aea0 */
	  { 0x81, 0x00, 0x00, 0x01, 0x82, 0x00, 0x00, 0x00, 0x84, 0x00, 0x00, 0x02,
	    0x04, 0x00, 0x02, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x38, 0x01, 0x30,
	    0x00, 0x20, 0x01, 0x06 }, 28,
	  "remove_migration_ptes (task 5) vs move_ptes (task 4): the walk visited vma0 at step 24 "
	  "and found no pte table, the migration entry moved vma1 -> vma0 at steps 25-26 without "
	  "the anon_vma lock, the walk visited vma1 at step 28" },
	{ "peek-migration-pte",	/* crashers/peek-migration-pte/stale-migration-entry-e026fe7b */
	  { 0x81, 0x00, 0x00, 0x00, 0x82, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00,
	    0x04, 0x00, 0x00, 0x01, 0x00, 0x39, 0x00, 0xb0 }, 20,
	  "remove_migration_ptes (task 3) vs move_ptes (task 4): the migration entry left vma0 for "
	  "vma1 at step 12 under both page-table locks, and the walk peeked at vma0 at step 14 and "
	  "at vma1 at step 15 without them while it was in flight" },
	{ "linux-3.14",	/* crashers/linux-3.14/kernel-bug-d56c5e7c: b5a8cad376ee's second race */
	  { 0x81, 0x00, 0x00, 0x00, 0x82, 0x00, 0x00, 0x01, 0x05, 0x00, 0x00, 0x00,
	    0x06, 0x00, 0x00, 0x00, 0x00, 0x39, 0x00, 0xe4 }, 20,
	  "zap_huge_pmd (task 3) vs split_huge_page (task 4): the zap cleared the huge pmd of vma0 at "
	  "step 8, the zap dropped the page's mapcount at step 9, the walk peeked at vma0 at step 11 "
	  "without the page-table lock, the split found its count equal to page_mapcount and split "
	  "the compound page at step 12, the zap's VM_BUG_ON_PAGE(!PageHead) fired at step 13" },
	{ "peek-split-pmd",	/* crashers/peek-split-pmd/split-missed-pmd-7bae756a */
	  { 0x81, 0x00, 0x00, 0x00, 0x82, 0x00, 0x00, 0x01, 0x04, 0x00, 0x01, 0x00,
	    0x06, 0x00, 0x00, 0x00, 0x00, 0x31, 0x00, 0x65 }, 20,
	  "split_huge_page (task 4) vs zap_huge_pmd (task 3): the zap cleared the huge pmd of vma0 "
	  "at step 9 and drops the page's mapcount only at its next step, and the walk peeked at "
	  "vma0 at step 10, in between, without the page-table lock: counted 0, page_mapcount 1" },
};

/* mremap's move-back and exec's shift. */
static const struct cause_case moves_back_and_down[] = {
	/* list-3.0: mremap to a new length whose move fails after its first
	 * extent; the migration entry moves back into the old vma (first in
	 * the list) behind the walk. */
	{ "list-3.0",
	  { 0x81, 0x00, 0x00, 0x01, 0x82, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x5d,
	    0x07, 0x00, 0x00, 0x00, 0x00, 0x31, 0x00, 0x61, 0x00, 0x26, 0x00, 0x00 }, 24,
	  "remove_migration_ptes (task 4) vs move_ptes (task 3): the walk peeked at vma0 at step 16 "
	  "without the page-table lock, the migration entry moved vma1 -> vma0 at steps 17-18 "
	  "without the anon_vma lock, the walk peeked at vma1 at step 21 without the page-table "
	  "lock" },
	/* no-stack-skip: exec 3p shift 2P, a migration of its top page
	 * between its faults and its first vma_adjust. */
	{ "no-stack-skip",
	  { 0x0b, 0x02, 0x01, 0x00, 0x00, 0x20, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00,
	    0x00, 0x39, 0x00, 0xef, 0x00, 0x39, 0x00, 0xff }, 20,
	  "remove_migration_ptes (task 2) vs exec (task 1): the migration entry was put at mm1 "
	  "0x3f000 at step 9 (try_to_unmap_one), vma_adjust moved vma0's vm_start and kept its "
	  "vm_pgoff at step 10, the walk visited vma0 at step 13 at 0x37000, where vma_address() "
	  "now put the page, and found no pte table there" },
};


static void moves_back_and_down_name_the_mover(void)
{
	FOR_EACH(moves_back_and_down) check_cause(&moves_back_and_down[i]);
}

static void fork_races_name_the_copy(void) { FOR_EACH(fork_races) check_cause(&fork_races[i]); }
static void unlink_first_names_the_munmap(void)
{
	FOR_EACH(unlink_first) check_cause(&unlink_first[i]);
}
static void peeks_name_what_they_fell_into(void)
{
	char line[512];

	FOR_EACH(peeks) check_cause(&peeks[i]);
	/* Its one other walk, the migration's try_to_unmap, in the singular. */
	struct run_result res;
	struct strbuf report = { 0 };
	CHECK(rmap_run(peeks[0].bytes, peeks[0].size, protocol_find(peeks[0].protocol), 0, &res,
		       &report));
	CHECK(strstr(sb_str(&report), "\nanother walk of page 0:\n  try_to_unmap by task 5") != NULL);
	sb_free(&report);
	/* The timeline's lock legend: list-3.2's walks take the anon_vma mutex
	 * (before 3.8), linux-3.14's the rwsem. */
	report_line(peeks[0].protocol, peeks[0].bytes, peeks[0].size, 6, line, sizeof(line));
	CHECK_STR(line, "  locks held after each step: AVn anon_vma n's mutex, mmap_semN mmN's, "
		  "PTL(mm addr) a pmd's");
	report_line(peeks[2].protocol, peeks[2].bytes, peeks[2].size, 6, line, sizeof(line));
	CHECK_STR(line, "  locks held after each step: AVn anon_vma n's rwsem, mmap_semN mmN's, "
		  "PTL(mm addr) a pmd's");
}

/* A structural violation names no walk: the line says what it cannot know. */
static void structural_says_sides_unknown(void)
{
	struct world *w = tw_new("linux-3.15");
	struct oracle o;
	struct cause c;
	struct strbuf line = { 0 };

	tw_mmap(w, 0, 0, P);
	tw_fault(w, 0, 0, false);
	oracle_attach(&o, w, true);
	tw_page(w, 0, 0)->mapcount++;
	oracle_after_step(&o);
	CHECK_STR(o.invariant, "mapcount");
	report_cause(&o, &c, &line);
	CHECK(strstr(sb_str(&line), "the sides are not known") != NULL);
	CHECK_EQ(c.walk, -1);
	tw_page(w, 0, 0)->mapcount--;
	sb_free(&line);
	oracle_detach(&o);
	world_free(w);
}

/* Locks are named by the object they belong to. */
static void locks_named_by_object(void)
{
	struct world *w = tw_new("linux-3.15");
	char name[64];

	tw_mmap(w, 0, 0, 2 * P);
	tw_fault(w, 0, P, false);
	struct mm_struct *mm = w->mm[0];
	world_lock_name(w, &mm->mmap_sem, true, name, sizeof(name));
	CHECK_STR(name, "mmap_sem0(w)");
	world_lock_name(w, pmd_lockptr(mm, P), true, name, sizeof(name));
	CHECK_STR(name, "PTL(mm0 0x4000)");
	world_lock_name(w, anon_vma_lock(tw_vma(w, 0, 0)->anon_vma), false, name, sizeof(name));
	CHECK_STR(name, "AV0(r)");
	world_lock_name(w, &tw_page(w, 0, P)->lock, true, name, sizeof(name));
	CHECK_STR(name, "PG_locked(page0)");
	world_free(w);
}

/* The timeline of a log of n steps, each task 1's: its header line and
 * its last line. */
static void timeline_of(int n, char *header, char *last, size_t size)
{
	struct world *w = tw_new("linux-3.15");
	struct run_log *log = runlog_new();
	struct oracle o = { .w = w, .log = log };
	struct cause c = { .task = 1, .walk = -1, .tlb_mm = -1 };
	struct strbuf out = { 0 };

	sb_printf(&log->text, "mm0 0");
	log->lines = calloc((size_t)n, sizeof(*log->lines));
	CHECK(log->lines != NULL);
	for (int i = 0; i < n; i++)
		log->lines[log->nr_lines++] = (struct log_line){
			.step = (unsigned long)i + 1, .task = 1, .kind = LINE_WORK, .op = "fault",
			.name = "handle_mm_fault",
		};
	report_timeline(&o, &c, &out);
	const char *s = sb_str(&out), *end = s + strlen(s) - 1;
	while (end > s && end[-1] != '\n')
		end--;
	snprintf(header, size, "%.*s", (int)strcspn(s + 1, ";:"), s + 1);
	snprintf(last, size, "%.*s", (int)strcspn(end, "\n"), end);
	sb_free(&out);
	runlog_free(log);
	world_free(w);
}

/* The timeline's counts read as words: one step, one row left out. */
static void check_timeline_counts(void)
{
	char header[128], last[128];

	timeline_of(1, header, last, sizeof(header));
	CHECK_STR(header, "timeline, step 1");
	timeline_of(257, header, last, sizeof(header));
	CHECK_STR(header, "timeline, steps 1-257");
	CHECK_STR(last, "  ... 1 row more: the interleaving below has every step");
	timeline_of(258, header, last, sizeof(header));
	CHECK_STR(last, "  ... 2 rows more: the interleaving below has every step");
}

/* One number per step: in the interleaving and the timeline, a step's
 * calls and returns and a task's waits carry none. */
static void every_step_numbered_once(void)
{
	check_timeline_counts();
	struct run_result res;
	struct strbuf report = { 0 };
	CHECK(rmap_run(mail.bytes, mail.size, protocol_find(mail.protocol), 0, &res, &report));
	const char *r = sb_str(&report), *inter = strstr(r, "\ninterleaving as executed");
	const char *tl = strstr(r, "\ntimeline, "), *walk = strstr(r, "\nthe walk: ");
	unsigned long last = 0;

	CHECK(inter && tl && walk);
	for (const char *s = inter; s && (s = strstr(s, "\n  step ")); s++) {
		unsigned long n = strtoul(s + 8, NULL, 10);
		CHECK(n == last + 1);
		last = n;
	}
	CHECK_EQ(last, res.steps);
	CHECK(strstr(inter, "\n  >         task 4 mremap          copy_vma: merged into vma0") != NULL);
	CHECK(strstr(inter, "\n  ~         task 4 mremap          munmap: waits for AV0(w), held by "
			    "task 5\n") != NULL);
	last = 0;
	for (const char *s = strstr(tl, "\n  step "); s && s < walk; s = strchr(s + 1, '\n')) {
		unsigned long n = strtoul(s + 1, NULL, 10);
		if (!n)	/* a wait, or the header */
			continue;
		CHECK(!last || n == last + 1);
		last = n;
	}
	CHECK_EQ(last, res.steps);
	sb_free(&report);
}

/* A stale migration entry's page, mapped nowhere, whose anon_vma is
 * freed: the report says what holds it and that no walk starts from it
 * (list-3.0's missed migration pte, seen by the lifetime family a step
 * later: mm1's write fault reuses the page the stale entry in mm0 still
 * holds, moves it to mm1's anon_vma, and mm1's exit frees that). The
 * fixed row keeps the entry, so no lifetime break there. */
static void stale_migration_entry_outlives_its_anon_vma(void)
{
	static const uint8_t in[] = {
		0x81, 0x00, 0x00, 0x00, 0x82, 0x00, 0x00, 0x00, 0x83, 0x00, 0x00, 0x00,
		0x02, 0x01, 0x00, 0x02, 0x07, 0x00, 0x00, 0x00, 0x00, 0x39, 0x00, 0xdd,
		0x04, 0x00, 0x00, 0x01, 0x89, 0x01, 0x00, 0x00, 0x00, 0x19, 0x00, 0x01,
	};
	struct run_result res;
	struct strbuf report = { 0 };
	CHECK(rmap_run(in, sizeof(in), protocol_find("list-3.0"), run_families(FAMILY_LIFETIME), &res,
		       &report));
	CHECK(strstr(sb_str(&report), "rmap violation: anon-vma-lifetime (list-3.0)") != NULL);
	CHECK(strstr(sb_str(&report), "held by the stale migration entry at mm0 0x4000") != NULL);
	CHECK(strstr(sb_str(&report), "no rmap walk starts from it") != NULL);
	sb_free(&report);
	CHECK(!rmap_run(in, sizeof(in), protocol_find("list-3.1"), run_families(FAMILY_LIFETIME), &res, NULL));
}

TEST_MAIN(T(stale_migration_entry_outlives_its_anon_vma), T(mail_race_names_the_move), T(fork_races_name_the_copy),
	  T(unlink_first_names_the_munmap), T(peeks_name_what_they_fell_into),
	  T(structural_says_sides_unknown), T(locks_named_by_object), T(every_step_numbered_once),
	  T(moves_back_and_down_name_the_mover))
