/* The record-level mutator (fuzz/mutator.c), linked here with a stand-in
 * for libFuzzer's byte mutator: it stays inside the buffer for every size
 * and limit libFuzzer may pass, keeps records whole, and its from-scratch
 * races find the easy race and never a false alarm. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mutator.h"
#include "program.h"
#include "protocol.h"
#include "run.h"
#include "test.h"
#include "world.h"
#include "world_util.h"

/* libFuzzer's byte mutator, as far as the contract goes: it changes bytes
 * in place, within size, and never grows past max_size. */
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size)
{
	if (size && max_size)
		data[size / 2] ^= 0x5a;
	return size < max_size ? size : max_size;
}

#define MAX (PROGRAM_MAX_RECORDS * RECORD_SIZE)

/* Every input size 0..MAX (whole records or not), every limit from the
 * size up: the result fits the limit, and nothing past it is written (a
 * heap buffer of exactly the limit, so ASan sees an overflow). */
static void stays_in_bounds(void)
{
	unsigned seed = 1;
	for (size_t size = 0; size <= MAX; size++)
		for (size_t max = size ? size : 1; max <= MAX; max += 7) {
			uint8_t *buf = malloc(max);
			for (size_t i = 0; i < max; i++)
				buf[i] = (uint8_t)(i * 37 + size);
			for (int k = 0; k < 8; k++) {
				size_t out = LLVMFuzzerCustomMutator(buf, size, max, seed++);
				CHECK(out <= max);
				/* Record mutations keep whole records; only the
				 * byte path may leave a tail, and it keeps the size. */
				CHECK(out % RECORD_SIZE == 0 || out == (size < max ? size : max));
			}
			free(buf);
		}
}

/* Whether out (len bytes) ends with a race from scratch: a walker, then a
 * step record (and at times a second, the walker's alone). */
static enum rec_op op_at(const uint8_t *out, size_t len, size_t back)
{
	return record_op(&(struct record){ out[len - back * RECORD_SIZE], 0, 0, 0 });
}

/* A walker, a step record, and maybe the walker alone, after a task's
 * touch of memory or not. */
static int ends_in_race(const uint8_t *out, size_t len)
{
	if (len >= 4 * RECORD_SIZE && op_at(out, len, 1) == REC_STEP && op_at(out, len, 2) == REC_ACCESS &&
	    op_at(out, len, 3) == REC_STEP)
		len -= 2 * RECORD_SIZE;
	for (size_t steps = 1; steps <= 2; steps++) {
		if (len < (steps + 1) * RECORD_SIZE || op_at(out, len, steps) != REC_STEP)
			return 0;
		enum rec_op walker = op_at(out, len, steps + 1);
		if (walker == REC_SPLIT || walker == REC_MIGRATE)
			return 1;
	}
	return 0;
}

/* A cross-over is data1's head, then data2's tail, at record boundaries;
 * or a race from scratch on a fresh program, an mmap run at once first.
 * Past the young phase, both happen often. */
static void crossover_splices_records(void)
{
	uint8_t a[MAX], b[MAX], out[MAX];
	int splices = 0, races = 0;
	for (size_t i = 0; i < MAX; i++)
		a[i] = REC_MMAP | 0x10, b[i] = REC_FAULT | 0x20;	/* told apart by byte */
	rmap_mutator_reset();
	for (unsigned seed = 1; seed < 3000; seed++) {
		size_t n1 = seed % (PROGRAM_MAX_RECORDS + 1), n2 = (seed * 7) % (PROGRAM_MAX_RECORDS + 1);
		size_t max = RECORD_SIZE * (1 + seed % PROGRAM_MAX_RECORDS);
		size_t len = LLVMFuzzerCustomCrossOver(a, n1 * RECORD_SIZE, b, n2 * RECORD_SIZE, out, max, seed);
		CHECK(len <= max && len % RECORD_SIZE == 0);
		size_t i = 0;
		while (i < len && out[i] == a[0])
			i++;
		CHECK(i % RECORD_SIZE == 0 && i <= n1 * RECORD_SIZE);
		if (i < len && out[i] != b[0]) {
			CHECK_EQ(i, 0);
			CHECK_EQ(out[i], REC_MMAP | 0x80);
			CHECK(ends_in_race(out, len));
			races++;
			continue;
		}
		while (i < len && out[i] == b[0])
			i++;
		CHECK_EQ(i, len);
		splices++;
	}
	/* (A race from scratch that does not fit max_out_size is none: the
	 * longest, with a touch of memory mid-race, are 11 records.) */
	CHECK(splices > 700 && races > 1400);
}

/* A campaign's first 1000 mutations of a program (but the byte-level
 * eighth) replace it with a race from scratch, an mmap run at once first;
 * later ones mostly refine the program. */
static void young_campaign_starts_races(void)
{
	uint8_t in[8 * RECORD_SIZE], out[MAX];
	int young = 0, grown = 0;
	memset(in, REC_MMAP | 0x10, sizeof(in));
	rmap_mutator_reset();
	for (unsigned seed = 1; seed <= 2000; seed++) {
		memcpy(out, in, sizeof(in));
		size_t len = LLVMFuzzerCustomMutator(out, sizeof(in), MAX, seed);
		int fresh = out[0] == (REC_MMAP | 0x80) && ends_in_race(out, len);
		*(seed <= 1000 ? &young : &grown) += fresh;
	}
	CHECK(young > 800);
	CHECK(grown < 400);
}

/* Past the young phase, a share of the mutations append whole operations
 * run at once, and a fork among them names the newest mm more than any
 * other: the one the program's forks made last (here two forks: mm2). */
static void grown_forks_name_the_newest_mm(void)
{
	const uint8_t in[4 * RECORD_SIZE] = {
		REC_MMAP | 0x80, 0, 0, 1, REC_FAULT | 0x80, 0, 0, 0,
		REC_FORK | 0x80, 0, 0, 0, REC_FORK | 0x80, 1, 0, 0,
	};
	uint8_t out[MAX];
	int newest = 0, other = 0;
	rmap_mutator_reset();
	for (unsigned seed = 1; seed <= 20000; seed++) {
		memcpy(out, in, sizeof(in));
		size_t len = LLVMFuzzerCustomMutator(out, sizeof(in), MAX, seed);
		if (seed <= 1000 || len <= sizeof(in) || memcmp(out, in, sizeof(in)))
			continue;
		const uint8_t *rec = out + sizeof(in);
		/* Not a duplicate of one of the input's forks. */
		if (rec[0] == (REC_FORK | 0x80) && (rec[2] || rec[3]))
			*(rec[1] == 2 ? &newest : &other) += 1;
	}
	/* Half of them, and a quarter of the rest, name it; other mutations
	 * append forks of any mm too. */
	CHECK(newest > 100);
	CHECK(newest * 4 > other * 3);
}

/* Mutating the empty input starts a race from scratch. Under unlink-first
 * (the easiest race) a few thousand such starts find it; the same inputs
 * never fire under the sound linux-3.15. Deterministic: fixed seeds. */
static void scratch_races_find_a_bug(void)
{
	const struct protocol *buggy = protocol_find("unlink-first"), *sound = protocol_default();
	struct world *w = world_new(sound);
	int found = 0, false_alarms = 0, scratch = 0;
	for (unsigned seed = 1; seed <= 3000; seed++) {
		uint8_t buf[MAX];
		size_t size = LLVMFuzzerCustomMutator(buf, 0, MAX, seed);
		scratch += size >= 5 * RECORD_SIZE;
		struct run_result res;
		found += rmap_run_in(w, buf, size, buggy, 0, NULL, &res, NULL);
		false_alarms += rmap_run_in(w, buf, size, sound, 0, NULL, &res, NULL);
	}
	world_free(w);
	CHECK(scratch > 3000 * 3 / 4);	/* 1 in 8 mutations stays byte-level */
	CHECK(found >= 3);
	CHECK_EQ(false_alarms, 0);
	fprintf(stderr, "  %d of 3000 scratch races violate unlink-first\n", found);
}

/* Moves back home from a vma's pmd in: the set-up of the issue's own
 * example, a two-pmd move out of a three-pmd vma,
 *
 *   before:  |A0 A1* A2|                    (* the THP, at slot 1)
 *   after 3: |  .  .  A2| B0 B1*|           (B: slots 3-4, pgoff 0)
 *
 * then a move_home of B from its pmd in, whose destination must be the
 * home of that pmd (vma1.home+1P), not of B's start: run, it puts the THP
 * back at slot 1, where the part moved joins A2, the neighbour it was cut
 * from:
 *
 *   after:   |  . A1* A2| B0 |              (A: slots 1-2, pgoff 1) */
static void moves_a_part_back_home(void)
{
	const uint8_t in[3 * RECORD_SIZE] = {
		REC_MMAP | 0x80, 0, 0, 2,		/* mmap mm0 slot0 3P now */
		REC_FAULT | 0x80, 0, 1, 1,		/* fault mm0 slot1 thp now */
		REC_MREMAP | 0x80, 1 << 3, 0, 3,	/* mremap mm0 slot0 2P -> slot3 now */
	};
	struct world *w = world_new(protocol_default());
	uint8_t out[MAX];
	int parts = 0, wholes = 0;
	rmap_mutator_reset();
	for (unsigned seed = 1; seed <= 40000; seed++) {
		memcpy(out, in, sizeof(in));
		size_t len = LLVMFuzzerCustomMutator(out, sizeof(in), MAX, seed);
		if (seed <= 1000 || len != sizeof(in) + RECORD_SIZE || memcmp(out, in, sizeof(in)))
			continue;
		const uint8_t *rec = out + sizeof(in);
		if ((rec[0] & 0x7f) != REC_MREMAP || rec[1] != (0x80 | (rec[1] & 7)))
			continue;
		if (rec[2] == (0x90 | (rec[2] & 7)) && rec[3] == (0xb8 | (rec[2] & 7)) && (rec[2] & 1)) {
			struct run_result res;
			CHECK(!rmap_run_in(w, out, len, protocol_default(), 0, NULL, &res, NULL));
			tw_check_vma(w, 0, 0, P, 3 * P, P >> PAGE_SHIFT);
			CHECK(tw_pmd(w, 0, P)->kind == PMD_HUGE && tw_page(w, 0, P));
			CHECK_EQ(tw_nr_vmas(w, 0), 2);
			tw_check_vma(w, 0, 1, 3 * P, 4 * P, 0);
			parts++;
		}
		wholes += rec[2] == (0x80 | (rec[2] & 7)) && rec[3] == (0x98 | (rec[2] & 7));
	}
	world_free(w);
	/* One move home in three is from a pmd in; half name vma1. */
	CHECK(parts >= 10);
	CHECK(wholes > 2 * parts);
}

TEST_MAIN(T(stays_in_bounds), T(crossover_splices_records), T(young_campaign_starts_races),
	  T(grown_forks_name_the_newest_mm), T(scratch_races_find_a_bug),
	  T(moves_a_part_back_home))
