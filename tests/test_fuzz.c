/* The fuzz target's pieces: the decoder takes every byte string, runs are
 * deterministic, and the oracle names each race the way the report says. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anon_vma.h"
#include "oracle.h"
#include "program.h"
#include "run.h"
#include "task.h"
#include "test.h"
#include "world.h"
#include "world_util.h"

static uint64_t rng_state;
static uint8_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint8_t)(rng_state >> 24);
}

static bool run(const char *protocol, const uint8_t *data, size_t size, struct run_result *res)
{
	struct strbuf report = { 0 };
	bool violated = rmap_run(data, size, protocol_find(protocol), RUN_EVERY_STEP, res, &report);
	if (violated && getenv("RMAP_TEST_VERBOSE"))
		fputs(sb_str(&report), stderr);
	sb_free(&report);
	return violated;
}

/* Random byte strings of every length up to a few KB decode and run, clean
 * under the sanitizers; under the sound protocol none violates anything. */
static void decoder_totality(void)
{
	uint8_t buf[4096];
	struct run_result res;
	int violations = 0;

	rng_state = 0x1234567;
	for (size_t len = 0; len <= sizeof(buf); len += len < 700 ? 1 : 97) {
		for (size_t i = 0; i < len; i++)
			buf[i] = rnd();
		if (run("linux-3.15", buf, len, &res)) {
			fprintf(stderr, "length %zu: %s\n", len, res.first_line);
			violations++;
		}
	}
	memset(buf, 0xff, sizeof(buf));
	violations += run("linux-3.15", buf, sizeof(buf), &res);
	memset(buf, 0, sizeof(buf));
	violations += run("linux-3.15", buf, sizeof(buf), &res);
	CHECK_EQ(violations, 0);
}

static void same_input_same_trace(void)
{
	uint8_t buf[512];
	rng_state = 99;
	for (int n = 0; n < 40; n++) {
		size_t len = 16 + rnd() + rnd();
		for (size_t i = 0; i < len; i++)
			buf[i] = rnd();
		struct strbuf a = { 0 }, b = { 0 };
		struct run_result ra, rb;
		rmap_run_traced(buf, len, protocol_find("linux-3.15"), RUN_EVERY_STEP, &ra, &a);
		rmap_run_traced(buf, len, protocol_find("linux-3.15"), 0, &rb, &b);
		CHECK(a.len > 0);
		CHECK_STR(sb_str(&a), sb_str(&b));
		CHECK_EQ(ra.steps, rb.steps);
		sb_free(&a);
		sb_free(&b);
	}
}

/* The mail's race as records (see tests/test_race.c for the layout). */
static const uint8_t mail_race[] = {
	0x81, 0x00, 0x00, 0x03,	/* mmap mm0 [0, 4P) now */
	0x82, 0x00, 0x02, 0x01,	/* fault mm0 2P thp now */
	0x84, 0x08, 0x02, 0x08,	/* mremap mm0 [2P, 4P) -> 8P now */
	0x04, 0x08, 0x08, 0x02,	/* mremap mm0 [8P, 10P) -> 2P: task 4 */
	0x06, 0x00, 0x00, 0x00,	/* split_huge_page: task 5 */
	/* 4 4 5 5 5 4 5 5: mremap_to, vma_merge grows A; get, lock, visit A
	 * (empty); move_huge_pmd 8P -> 2P; visit B (empty), count */
	0x00, 0x39, 0x00, 0xdc,
};

static void oracle_fires_on_mail_race(void)
{
	struct run_result res;
	struct strbuf report = { 0 };

	/* linux-3.12: the move race alone (3.14's split also peeks, which
	 * turns this schedule into the in-flight variant, test_report.c). */
	CHECK(rmap_run(mail_race, sizeof(mail_race), protocol_find("linux-3.12"), 0, &res, &report));
	CHECK_STR(res.invariant, "split-missed-pmd");
	CHECK_STR(res.first_line, "rmap violation: split-missed-pmd (linux-3.12)");
	const char *r = sb_str(&report);
	CHECK(strncmp(r, "rmap violation: split-missed-pmd (linux-3.12)\n", 46) == 0);
	CHECK(strstr(r, "moved huge pmd mm0 0x20000 -> mm0 0x8000 without the anon_vma lock") != NULL);
	CHECK(strstr(r, "counted 0, page_mapcount 1") != NULL);
	CHECK(strstr(r, "visited mm0 vma0 [0, 0x10000) at 0x8000: nothing") != NULL);
	CHECK(strstr(r, "interleaving as executed (") != NULL);
	/* The timeline: a column per task from the walker's first step, the
	 * walk's visits marked @, the page's entry changes marked *. */
	const char *tl = strstr(r, "\ntimeline, ");
	CHECK(tl != NULL);
	CHECK(tl && strstr(tl, "task 5 split_huge_page") && strstr(tl, "task 4 mremap"));
	CHECK(tl && strstr(tl, "@ __split_huge_page_splitting") != NULL);
	CHECK(tl && strstr(tl, "* move_huge_pmd") != NULL);
	CHECK(tl && strstr(tl, "mm0 vma0 0x8000: nothing") != NULL);
	CHECK(tl && strstr(tl, "moved huge pmd mm0 0x20000 -> mm0 0x8000") != NULL);
	/* The program is scenario text: it parses back to the input. */
	CHECK(strstr(r, "mremap  mm0 slot8 2P -> slot2") != NULL);
	sb_free(&report);
	CHECK(!run("linux-3.15", mail_race, sizeof(mail_race), &res));
	/* Ten replays, ten identical verdicts. */
	for (int i = 0; i < 10; i++) {
		CHECK(run("linux-3.14", mail_race, sizeof(mail_race), &res));
		CHECK_STR(res.invariant, "split-missed-pmd");
	}
}

/* fork vs split under tree-left: the child is walked first, empty. */
static void oracle_fires_on_fork_race_tree_left(void)
{
	static const uint8_t fork_race[] = {
		0x81, 0x00, 0x00, 0x01,	/* mmap mm0 [0, 2P) now */
		0x82, 0x00, 0x00, 0x01,	/* fault mm0 0 thp now */
		0x03, 0x00, 0x00, 0x00,	/* fork mm0: task 3 */
		0x06, 0x00, 0x00, 0x00,	/* split: task 4 */
		/* 3 3 4 4 4 3 4 4: dup_mmap, anon_vma_fork; get, lock, visit
		 * the child; copy_huge_pmd; visit the parent, count */
		0x00, 0x39, 0x00, 0xdc,
	};
	struct run_result res;
	CHECK(run("tree-left", fork_race, sizeof(fork_race), &res));
	CHECK_STR(res.invariant, "split-missed-pmd");
	CHECK(!run("linux-3.15", fork_race, sizeof(fork_race), &res));
}

/* list-3.0: the migration's second walk visits A, the pte move carries the
 * migration entry B -> A without the lock, the walk visits B: stranded. */
static const uint8_t list_migration_race[] = {
	0x81, 0x00, 0x00, 0x03,	/* mmap mm0 [0, 4P) now */
	0x82, 0x00, 0x02, 0x00,	/* fault mm0 2P (small page) now */
	0x84, 0x08, 0x02, 0x08,	/* mremap mm0 [2P, 4P) -> 8P now */
	0x04, 0x08, 0x08, 0x02,	/* mremap mm0 [8P, 10P) -> 2P: task 4 */
	0x07, 0x00, 0x00, 0x00,	/* migrate the page: task 5 */
	/* 4 4 5 5 5 5 5 5: mremap_to, merge into A; lock_page, the unmap
	 * walk (A: no pte table; B: the unlocked look, the migration entry),
	 * copy */
	0x00, 0x39, 0x00, 0xfc,
	/* 5 5 4 4 5 5: the remove walk begins and finds no table at A;
	 * move_ptes 8P -> 2P without the lock (take, set); the walk looks at
	 * B and, under its lock, finds nothing */
	0x00, 0x29, 0x00, 0x33,
};

static void oracle_fires_on_stale_migration_entry(void)
{
	struct run_result res;
	struct strbuf report = { 0 };
	CHECK(rmap_run(list_migration_race, sizeof(list_migration_race), protocol_find("list-3.0"),
		       RUN_EVERY_STEP, &res, &report));
	CHECK_STR(res.invariant, "stale-migration-entry");
	CHECK(strstr(sb_str(&report), "still holds a migration entry") != NULL);
	sb_free(&report);
	CHECK(!run("linux-3.15", list_migration_race, sizeof(list_migration_race), &res));
}

/* missed-vma: a vma that maps the page but is not in the index when the
 * walk takes the lock (what unlinking before zapping would do). */
static void oracle_fires_on_missed_vma(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_mmap(w, 0, 0, P);
	tw_fault(w, 0, 0, true);
	int child = tw_fork(w, 0);
	struct vm_area_struct *cv = tw_vma(w, child, 0);
	struct anon_vma_chain *avc;
	list_for_each_entry(avc, &cv->anon_vma_chain, same_vma)
		if (avc->anon_vma == tw_vma(w, 0, 0)->anon_vma)
			break;
	anon_vma_index_remove(w, avc);
	struct oracle o;
	oracle_attach(&o, w, false);
	int s = start_split_huge_page(w, tw_page(w, 0, 0));
	sched_step(w, s);
	sched_step(w, s);	/* the lock: the walk's vmas are fixed */
	CHECK_STR(o.invariant, "missed-vma");
	CHECK(strstr(sb_str(&o.detail), "mm1 vma1") != NULL);
	oracle_detach(&o);
	anon_vma_index_insert(w, avc);
	world_free(w);
}

/* The structural checks run after every step inside the oracle. */
static void oracle_reports_structure(void)
{
	struct world *w = tw_new("linux-3.15");
	tw_mmap(w, 0, 0, P);
	tw_fault(w, 0, 0, false);
	struct oracle o;
	oracle_attach(&o, w, false);
	tw_page(w, 0, 0)->mapcount++;
	oracle_after_step(&o);
	CHECK_STR(o.invariant, "mapcount");
	tw_page(w, 0, 0)->mapcount--;
	oracle_detach(&o);
	world_free(w);
}

/* Addresses: grid points, or points of live vmas; lengths in pmd slots or
 * up to a vma's edge. */
static void operands_decode_on_grid_and_vmas(void)
{
	struct world *w = tw_new("linux-3.15");
	struct mm_struct *mm = w->mm[0];

	for (int b = 0; b < 256; b++) {
		unsigned long a = decode_addr(mm, (uint8_t)b);	/* no vma yet: all grid */
		CHECK(a < TASK_SIZE && a % PAGE_SIZE == 0);
		unsigned long l = decode_len(mm, a, (uint8_t)(b & 31), b & 1);
		CHECK(l >= 3 * PAGE_SIZE && l <= 4 * PMD_SIZE && l % PAGE_SIZE == 0);
	}
	CHECK_EQ(decode_addr(mm, 0x02), 2 * P);
	CHECK_EQ(decode_addr(mm, 0x51), P + PAGE_SIZE);
	CHECK_EQ(decode_len(mm, 0, 0x03, false), 4 * P);
	CHECK_EQ(decode_len(mm, 0, 0x0c, false), P - PAGE_SIZE);
	tw_mmap(w, 0, 2 * P, 2 * P);
	tw_mmap(w, 0, 8 * P + PAGE_SIZE, P);
	CHECK_EQ(decode_addr(mm, 0x80), 2 * P);			/* vma 0 start */
	CHECK_EQ(decode_addr(mm, 0x89), 9 * P + PAGE_SIZE);	/* vma 1 end */
	CHECK_EQ(decode_addr(mm, 0x91), 9 * P + PAGE_SIZE);	/* vma 1: start + P */
	CHECK_EQ(decode_addr(mm, 0x99), 8 * P + PAGE_SIZE);	/* vma 1: home */
	CHECK_EQ(decode_addr(mm, 0xe0), 2 * P + PAGE_SIZE);	/* one page further */
	CHECK_EQ(decode_addr(mm, 0xa0), 2 * P);			/* bits 5-6 at 1: a home's alone */
	CHECK_EQ(decode_addr(mm, 0xc0), 2 * P);			/* at 2: no further */
	CHECK_EQ(decode_addr(mm, 0xb9), 9 * P + PAGE_SIZE);	/* vma 1: home + P */
	CHECK_EQ(decode_len(mm, 3 * P, 0x10, false), P);	/* to the vma's end */
	CHECK_EQ(decode_len(mm, 4 * P, 0x10, true), 4 * P + PAGE_SIZE);	/* to the next vma */
	/* A faulted vma keeps its pgoff when moved: home is where it was. */
	tw_fault(w, 0, 8 * P + PAGE_SIZE, false);
	tw_mremap(w, 0, 8 * P + PAGE_SIZE, P, 12 * P);
	CHECK_EQ(decode_addr(mm, 0x99), 8 * P + PAGE_SIZE);
	/* The home of its pmd in (0x91, one pmd past its start: here its
	 * end, the vma is one pmd long) is one pmd past its home, moved or
	 * not. */
	CHECK_EQ(decode_addr(mm, 0x91), 13 * P);
	CHECK_EQ(decode_addr(mm, 0xb9), 9 * P + PAGE_SIZE);
	world_free(w);
}

/* The features a run reports: the fuzz target's coverage (run.h). The
 * counters are exactly RUN_NR_FEATURES bytes on the heap, so an id out of
 * range is an overflow AddressSanitizer reports. */
struct feature_set {
	unsigned char *hit;
};

static void features_of(struct world *w, const uint8_t *data, size_t size, struct feature_set *s)
{
	struct run_result res;
	if (!s->hit)
		s->hit = malloc(RUN_NR_FEATURES);
	memset(s->hit, 0, RUN_NR_FEATURES);
	rmap_run_in(w, data, size, w->proto, 0, s->hit, &res, NULL);
}

static int step_features(const struct feature_set *s)
{
	int n = 0;
	for (unsigned i = RUN_STEP_FEATURES; i < RUN_NR_FEATURES; i++)
		n += s->hit[i] != 0;
	return n;
}

/* Every id is in range, an input reports the same features however many
 * inputs the world ran before (a fuzzing process's world is reused), and
 * they vary with what ran. */
static void features_in_range_and_repeatable(void)
{
	struct feature_set a = { 0 }, b = { 0 }, seen = { calloc(1, RUN_NR_FEATURES) };
	struct world *w = world_new(protocol_find("linux-3.15"));
	uint8_t buf[96], other[96];

	rng_state = 4242;
	for (int n = 0; n < 400; n++) {
		size_t len = rnd() % (sizeof(buf) + 1);
		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = rnd(), other[i] = rnd();
		features_of(w, buf, len, &a);
		features_of(w, other, sizeof(other), &b);
		features_of(w, buf, len, &b);
		CHECK(memcmp(a.hit, b.hit, RUN_NR_FEATURES) == 0);
		for (unsigned i = 0; i < RUN_NR_FEATURES; i++)
			seen.hit[i] |= a.hit[i];
	}
	int oracle = 0;
	for (unsigned i = 0; i < RUN_STEP_FEATURES; i++)
		oracle += seen.hit[i] != 0;
	CHECK(oracle >= 5);	/* random inputs reach a few layouts (9 when written) */
	free(a.hit);
	free(b.hit);
	free(seen.hit);
	world_free(w);
}

/* The mail's race run under the fixed kernel: the mremap's move of the
 * huge pmd waits for the anon_vma lock the split's walk holds
 * (need_rmap_locks), which the same records run one task after the other
 * never do; that wait is the steps' feature. */
static void step_features_tell_contention(void)
{
	struct feature_set race = { 0 }, sequential = { 0 };
	struct world *w = world_new(protocol_find("linux-3.15"));

	features_of(w, mail_race, sizeof(mail_race), &race);
	features_of(w, mail_race, sizeof(mail_race) - RECORD_SIZE, &sequential);
	CHECK_EQ(step_features(&sequential), 0);
	CHECK_EQ(step_features(&race), 1);
	CHECK(race.hit[RUN_STEP_FEATURES + OP_MREMAP * 8 + LOCK_ANON_VMA]);
	free(race.hit);
	free(sequential.hit);
	world_free(w);
}

TEST_MAIN(T(decoder_totality), T(same_input_same_trace), T(oracle_fires_on_mail_race),
	  T(oracle_fires_on_fork_race_tree_left), T(oracle_fires_on_stale_migration_entry),
	  T(oracle_fires_on_missed_vma), T(oracle_reports_structure), T(operands_decode_on_grid_and_vmas),
	  T(features_in_range_and_repeatable), T(step_features_tell_contention))
