/* A record-aware mutator for rmap_fuzzer (LLVMFuzzerCustomMutator and
 * LLVMFuzzerCustomCrossOver). libFuzzer's own mutations work on bytes: an
 * inserted or erased byte shifts every later record and garbles the rest of
 * the program. These keep records whole: mutate one record's bytes, insert,
 * delete, duplicate or swap records, move a record (a task's steps earlier
 * or later), splice two programs at record boundaries, race a walker against
 * an operation, move a vma back home, start a race from scratch. A share of
 * byte-level mutations stays, for what they find that records do not. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mutator.h"
#include "program.h"
#include "world.h"

struct rng {
	uint32_t s;
};

static uint32_t next(struct rng *r)
{
	r->s ^= r->s << 13;
	r->s ^= r->s >> 17;
	r->s ^= r->s << 5;
	return r->s;
}

static size_t below(struct rng *r, size_t n) { return n ? next(r) % n : 0; }

/* Address bytes (program.h) that name a point of a live vma. */
static uint8_t vma_point(struct rng *r, unsigned where)
{
	return addr_vma_point((unsigned)below(r, 8), (enum addr_point)where, ADDR_AT);
}

/* The home of a vma's start or of its pmd in (address bytes, program.h;
 * those two kinds only): where the pages there were first mapped, so that
 * a move there puts a whole vma, or the part of it from its second pmd on,
 * back beside the neighbours it was cut from. */
static uint8_t home_of(uint8_t from)
{
	return addr_vma_point(from, ADDR_HOME, addr_point(from) == ADDR_PMD ? ADDR_PMD_PAST : ADDR_AT);
}

/* A resize's old length operand (a >> 3 of the record): to the vma's end
 * mostly, where it may grow in place. */
static uint8_t resize_lengths(struct rng *r)
{
	unsigned rest = below(r, 4) ? 16 : 0;	/* drawn first: the sequence fixed */
	return (uint8_t)((rest | below(r, 16)) << 3);
}

/* A new record, drawn the way a kernel developer writes one: half are step
 * records; moves go from a vma's start, often to another vma's end (where
 * merges happen); faults land where a THP fits (half of them write faults,
 * by c's random bits), and accesses where faults land. Operand bytes stay arbitrary otherwise, so nothing
 * is out of reach. */
static void shape_operands(struct rng *r, uint8_t *rec)
{
	switch (record_op(&(struct record){ rec[0], 0, 0, 0 })) {
	case REC_FAULT:
	case REC_ACCESS:	/* where pages are: a vma's start, or a pmd in */
		if (below(r, 2))
			rec[2] = vma_point(r, 2 * (unsigned)below(r, 2));	/* start, start + P */
		break;
	case REC_MREMAP:
		if (below(r, 2))
			rec[1] |= 0x80;			/* to the vma's end */
		if (below(r, 4))
			rec[2] = vma_point(r, below(r, 2) ? 0 : 2);	/* from a vma's start, or a pmd in */
		if (below(r, 2))
			rec[3] = vma_point(r, below(r, 2) ? 1 : 3);	/* to a vma's end, or home */
		break;
	case REC_MUNMAP:
	case REC_MADVISE:
	case REC_MPROTECT:
		if (below(r, 2))
			rec[2] = vma_point(r, (unsigned)below(r, 3));
		break;
	case REC_MREMAP_RESIZE:
		rec[1] = (uint8_t)(rec[1] & 0x07) | resize_lengths(r);
		if (below(r, 4))
			rec[2] = vma_point(r, below(r, 2) ? 0 : 2);	/* from a vma's start, or a pmd in */
		break;
	default:
		break;
	}
}

static void random_record(struct rng *r, uint8_t *rec)
{
	uint32_t v = next(r);
	memcpy(rec, &v, RECORD_SIZE);
	if (below(r, 2) == 0) {
		rec[0] &= 0x80;
		return;
	}
	shape_operands(r, rec);
}

/* The mms a program has made by record n, about: one to start with, one
 * per fork or exec record (a failed one counts too: the guess only
 * biases operands). */
static unsigned mms_made(const uint8_t *data, size_t n)
{
	unsigned mms = 1;
	for (size_t i = 0; i < n; i++) {
		enum rec_op op = record_op(&(struct record){ data[i * RECORD_SIZE], 0, 0, 0 });
		mms += op == REC_FORK || op == REC_EXEC;
	}
	return mms < MAX_MMS ? mms : MAX_MMS;
}

/* The mm a record's operand names: a selector picks mm (sel % nr_mm),
 * nr_mm the mms made before it (mms_made's guess). -1: no mm operand. */
static int named_mm(const uint8_t *data, size_t i)
{
	const uint8_t *rec = data + i * RECORD_SIZE;
	switch (record_op(&(struct record){ rec[0], 0, 0, 0 })) {
	case REC_MMAP:
	case REC_FAULT:
	case REC_FORK:
	case REC_MUNMAP:
	case REC_MADVISE:
	case REC_EXIT:
	case REC_MPROTECT:
		return (int)(rec[1] % mms_made(data, i));
	case REC_MREMAP:
	case REC_MREMAP_RESIZE:
		return (int)((rec[1] & 7) % mms_made(data, i));
	default:
		return -1;
	}
}

/* After records moved, came or went, each record names the mm it named
 * before (want[i], -1: leave it) where that mm exists at its place: an
 * inserted fork shifts every later selector's meaning, as a deleted one
 * does; a developer editing a scenario keeps the names. */
static void rename_mms(uint8_t *data, size_t n, const int *want)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t *rec = data + i * RECORD_SIZE;
		int m = want[i];
		if (m < 0 || named_mm(data, i) < 0 || m >= (int)mms_made(data, i))
			continue;
		enum rec_op op = record_op(&(struct record){ rec[0], 0, 0, 0 });
		if (op == REC_MREMAP || op == REC_MREMAP_RESIZE)
			rec[1] = (uint8_t)((rec[1] & 0xf8) | m);
		else
			rec[1] = (uint8_t)m;
	}
}

/* Whole operations on whole address spaces, one to three appended, each
 * run at once: forks, exits, mprotects, faults, munmaps, mremaps. The
 * anon_vma lifetime bugs are such sequences, no race in them, and deeper
 * in fork trees than a race from scratch goes: so the mm operand names
 * the newest mm mostly (what the last fork made), or the one before it,
 * or any; the other operands as random_record draws them. */
static size_t grow_mms(struct rng *r, uint8_t *data, size_t n, size_t max)
{
	static const uint8_t ops[] = { REC_FORK, REC_FORK, REC_EXIT, REC_MPROTECT, REC_MPROTECT,
				       REC_FAULT, REC_MUNMAP, REC_MREMAP };

	for (size_t k = 1 + below(r, 3); k-- && n < max; n++) {
		uint8_t *rec = data + n * RECORD_SIZE;
		unsigned mms = mms_made(data, n), back = (unsigned)below(r, 4);
		back = back < 2 ? 0 : back == 2 ? 1 : (unsigned)below(r, mms);
		uint8_t mm = (uint8_t)(back < mms ? mms - 1 - back : 0);
		uint32_t v = next(r);
		memcpy(rec, &v, RECORD_SIZE);
		rec[0] = (uint8_t)(ops[below(r, sizeof(ops))] | 0x80);
		shape_operands(r, rec);
		if ((rec[0] & 0x7f) == REC_MREMAP)
			rec[1] = (uint8_t)((rec[1] & 0xf8) | (mm & 7));
		else
			rec[1] = mm;
	}
	return n;
}

/* An operation of the program again, on another mm: a record that names an
 * mm, copied with its other operands and run at once, either appended
 * naming the newest mm (what the last fork made; one time in four the one
 * before it), or inserted just before a fork naming the mm that fork
 * copies, so that the child inherits what it did; an mprotect's
 * protection or a fault's write bit flipped one time in two. A fork tree
 * is built so: the same split, fault, move or fork once more in a child
 * or just before the next fork, on the layout the program already made
 * (an operand drawn afresh names, most of the time, a point of no
 * interest). The other records keep the mms they named. */
static size_t again(struct rng *r, uint8_t *data, size_t n, size_t max)
{
	int names[PROGRAM_MAX_RECORDS + 1], want[PROGRAM_MAX_RECORDS + 1];
	size_t src = below(r, n), at = n;
	int mm = -1;

	if (!n || n >= max || n > PROGRAM_MAX_RECORDS)
		return n;
	for (size_t tries = n; tries && named_mm(data, src) < 0; tries--)
		src = (src + 1) % n;
	if (named_mm(data, src) < 0)
		return n;
	if (below(r, 2)) {	/* before a fork, if there is one */
		size_t f = below(r, n);
		for (size_t tries = n; tries; tries--, f = (f + 1) % n)
			if (record_op(&(struct record){ data[f * RECORD_SIZE], 0, 0, 0 }) == REC_FORK) {
				at = f;
				mm = named_mm(data, f);
				break;
			}
	}
	if (mm < 0) {
		unsigned mms = mms_made(data, n);
		mm = (int)mms - 1 - (below(r, 4) == 0 && mms > 1);
	}
	for (size_t i = 0; i < n; i++)
		names[i] = named_mm(data, i);
	uint8_t rec[RECORD_SIZE];
	memcpy(rec, data + src * RECORD_SIZE, RECORD_SIZE);
	rec[0] |= 0x80;
	enum rec_op op = record_op(&(struct record){ rec[0], 0, 0, 0 });
	if (op == REC_MREMAP || op == REC_MREMAP_RESIZE)
		rec[1] = (uint8_t)((rec[1] & 0xf8) | (mm & 7));
	else
		rec[1] = (uint8_t)mm;
	if (op == REC_MPROTECT && below(r, 2))
		rec[3] ^= 32;
	if (op == REC_FAULT && below(r, 2))
		rec[3] ^= 2;
	memmove(data + (at + 1) * RECORD_SIZE, data + at * RECORD_SIZE, (n - at) * RECORD_SIZE);
	memcpy(data + at * RECORD_SIZE, rec, RECORD_SIZE);
	n++;
	for (size_t i = 0; i < n; i++)
		want[i] = i < at ? names[i] : i == at ? mm : names[i - 1];
	rename_mms(data, n, want);
	return n;
}

/* Bits lo..hi-1 of a schedule byte (slot i runs Y when bit i is set). */
static unsigned bit_range(unsigned lo, unsigned hi)
{
	if (hi > 8)
		hi = 8;
	return lo >= hi ? 0 : ((1u << hi) - 1) & ~((1u << lo) - 1);
}

/* A walker (split or migration of a page picked at random), then a step
 * record interleaving it with the task started just before it. A race is
 * mostly "X runs a steps, Y runs b, X runs c, Y runs on": the operation up
 * to its lock drop, the walk past one vma, the operation's unlocked copy
 * or move, the walk's next visits. A step record has 8 slots; an
 * operation whose window opens at its third step (a COW: mmap_sem, its
 * look, its clear) leaves a walk of two vmas too few to reach its count
 * before the drain runs the operation on, so a quarter of the races end
 * with a second record in which the walker runs on alone. And a TLB race
 * has a third side, a task touching memory: between the two, another
 * quarter has a task of the mm (mm, the operation's selector) touch a
 * point of one of its vmas, mid-race. Returns the records written (2 to
 * 4). */
static size_t walker_and_step(struct rng *r, uint8_t *out, uint8_t mm)
{
	unsigned a = 1 + (unsigned)below(r, 4), b = 1 + (unsigned)below(r, 4), c = 1 + (unsigned)below(r, 2);
	uint8_t schedule = (uint8_t)(bit_range(a, a + b) | bit_range(a + b + c, 8));
	if (below(r, 4) == 0)
		schedule = (uint8_t)next(r);
	const uint8_t recs[3 * RECORD_SIZE] = {
		(uint8_t)(below(r, 2) ? REC_SPLIT : REC_MIGRATE), (uint8_t)next(r), 0, 0,
		REC_STEP, 0x39, 0x00, schedule,	/* X: the operation, Y: the walker */
		REC_STEP, 0x38, 0x00, 0x00,	/* the walker alone, 8 slots */
	};
	size_t k = below(r, 4) ? 2 : 3;
	memcpy(out, recs, k * RECORD_SIZE);
	if (k == 2 && below(r, 3) == 0) {
		const uint8_t touch[RECORD_SIZE] = { REC_ACCESS | 0x80, mm, vma_point(r, (unsigned)below(r, 4)), 0 };
		memcpy(out + 2 * RECORD_SIZE, touch, RECORD_SIZE);
		memcpy(out + 3 * RECORD_SIZE, recs + 2 * RECORD_SIZE, RECORD_SIZE);
		k = 4;
	}
	return k;
}

/* An operation that maps pages of its own (exec: the argument pages of
 * its new mm) runs some steps alone first: a walker picks its page when
 * it starts, so only then can it pick one of those. */
static size_t own_pages_first(struct rng *r, uint8_t *out)
{
	const uint8_t rec[RECORD_SIZE] = { REC_STEP, (uint8_t)(below(r, 8) << 3), 0, 0 };
	memcpy(out, rec, RECORD_SIZE);
	return 1;
}

/* An operation that copies, moves or zaps entries, or (mprotect, a COW
 * write fault) takes entries out and sets them or others back. */
static bool copies_moves_or_zaps(const uint8_t *rec)
{
	enum rec_op op = record_op(&(struct record){ rec[0], 0, 0, 0 });
	return op == REC_FORK || op == REC_MREMAP || op == REC_MUNMAP || op == REC_MADVISE ||
	       op == REC_EXIT || op == REC_MREMAP_RESIZE || op == REC_EXEC || op == REC_MPROTECT ||
	       (op == REC_FAULT && rec[3] & 2);
}

/* Race a walk against an operation: record i's task is no longer run at
 * once; a split or a migration starts right after it, and a step record
 * interleaves the two (the two newest tasks) by a random schedule.
 * Every race in protocols.md has this shape: a walker against a task that
 * copies, moves, zaps or (mprotect) takes out and sets back entries (a
 * COW write fault clears one and sets another). */
static size_t make_race(struct rng *r, uint8_t *data, size_t n, size_t max)
{
	if (n + 5 > max)
		return n;
	/* The operation: one that copies, moves or zaps entries, if any. */
	size_t i = below(r, n), tries = n;
	while (tries--) {
		if (copies_moves_or_zaps(data + i * RECORD_SIZE))
			break;
		i = (i + 1) % n;
	}
	uint8_t *rec = data + i * RECORD_SIZE;
	enum rec_op op = record_op(&(struct record){ rec[0], 0, 0, 0 });
	if (op == REC_STEP)
		return n;
	rec[0] &= 0x7f;
	uint8_t race[5 * RECORD_SIZE];
	size_t k = op == REC_EXEC ? own_pages_first(r, race) : 0;
	uint8_t mm = op == REC_MREMAP || op == REC_MREMAP_RESIZE ? rec[1] & 7 : rec[1];
	k += walker_and_step(r, race + k * RECORD_SIZE, mm);
	memmove(rec + (1 + k) * RECORD_SIZE, rec + RECORD_SIZE, (n - i - 1) * RECORD_SIZE);
	memcpy(rec + RECORD_SIZE, race, k * RECORD_SIZE);
	return n + k;
}

/* Move a vma back home: mremap vma k, from its start (or, one time in
 * three, from its second pmd) to its end, to the address its pgoff says
 * that point was first mapped at. Undoing a move joins the vma to the
 * neighbours it was cut from, the merge that puts the destination first in
 * walk order. From a pmd in, the part moved joins the neighbour after it
 * while the vma it leaves keeps a lower pgoff: 3.15's need_rmap_locks
 * (new_vma->vm_pgoff <= vma->vm_pgoff) is then false, right for the tree's
 * pgoff order, not for an index in the order vmas came. */
static size_t move_home(struct rng *r, uint8_t *data, size_t n, size_t max)
{
	if (n == max)
		return n;
	/* One draw a statement: the order of calls within an expression or an
	 * initializer list is unspecified in C, and another compiler's would
	 * draw another sequence from the same seed. */
	unsigned k = (unsigned)below(r, 8);
	uint8_t from = addr_vma_point(k, below(r, 3) ? ADDR_START : ADDR_PMD, ADDR_AT);	/* or a pmd in */
	uint8_t now = below(r, 2) ? 0x80 : 0;
	uint8_t mm = (uint8_t)(0x80 | below(r, 8));	/* mm, to the vma's end */
	uint8_t rec[RECORD_SIZE] = { (uint8_t)(REC_MREMAP | now), mm, from, home_of(from) };
	size_t at = below(r, 2) ? n : below(r, n + 1);
	memmove(data + (at + 1) * RECORD_SIZE, data + at * RECORD_SIZE, (n - at) * RECORD_SIZE);
	memcpy(data + at * RECORD_SIZE, rec, RECORD_SIZE);
	return n + 1;
}

/* A race from scratch, in the shape every scenario of protocols.md has:
 * a vma with a page faulted in (a THP mostly), often moved away from its
 * home first, sometimes cut by mprotect, then an operation that copies,
 * moves or zaps entries (fork or exec, an mremap, often back home, or to a
 * new length, a munmap) started but not run, a walker racing it. Every
 * operand is drawn at random: the shape, not an answer.
 * It replaces the input (always when fresh) or is appended to it (on the
 * world that made). */
static size_t make_scenario(struct rng *r, uint8_t *data, size_t n, size_t max, bool fresh)
{
	uint8_t recs[12 * RECORD_SIZE], *p = recs;	/* 11 at most */
	uint8_t mm = (uint8_t)next(r);
	uint8_t where = vma_point(r, 2 * (unsigned)below(r, 2));

	*p++ = REC_MMAP | 0x80, *p++ = mm, *p++ = (uint8_t)next(r) & 0x7f, *p++ = (uint8_t)next(r);
	*p++ = REC_FAULT | 0x80, *p++ = mm, *p++ = where, *p++ = below(r, 4) != 0;
	if (below(r, 2)) {	/* moved away from home */
		*p++ = REC_MREMAP | 0x80, *p++ = (uint8_t)((mm & 7) | (next(r) & 0xf8));
		*p++ = vma_point(r, below(r, 2) ? 0 : 2), *p++ = (uint8_t)next(r);
	}
	/* A layout cut by protections: an mprotect splits vmas (and a THP
	 * the new boundary cuts), a second may merge them back or shift a
	 * boundary between two (vma_merge's cases 4-8). */
	for (unsigned k = 0, nr = below(r, 3) ? 0 : 1 + (unsigned)below(r, 2); k < nr; k++)
		*p++ = REC_MPROTECT | 0x80, *p++ = mm, *p++ = vma_point(r, (unsigned)below(r, 4)),
		*p++ = (uint8_t)((next(r) & ~32u) | (k ? 0 : 32));	/* ro, then rw */
	/* The operations that clear entries share one draw: munmap,
	 * madvise(MADV_DONTNEED), exit_mmap (of a fork of the mm, mostly: a
	 * last mapping's exit has no walk to race), a COW write fault after a
	 * fork, in either mm, mostly where the page was faulted (sometimes with
	 * no THP to copy into), and mprotect, whose change_protection takes
	 * entries out and sets them back and whose vma_adjust splits the THPs
	 * its boundaries cut. */
	switch (below(r, 4)) {
	case 0:	/* a new mm: fork's mostly, or exec's */
		if (below(r, 4)) {
			*p++ = REC_FORK, *p++ = mm, *p++ = 0, *p++ = 0;
			break;
		}
		*p++ = REC_EXEC, *p++ = (uint8_t)next(r), *p++ = (uint8_t)next(r), *p++ = 0;
		p += own_pages_first(r, p) * RECORD_SIZE;
		break;
	case 1:
		switch (below(r, 4)) {
		case 0:
			*p++ = REC_FORK | 0x80, *p++ = mm, *p++ = 0, *p++ = 0;
			*p++ = REC_EXIT, *p++ = (uint8_t)(mm + 1), *p++ = 0, *p++ = 0;
			break;
		case 1:
			*p++ = REC_FORK | 0x80, *p++ = mm, *p++ = 0, *p++ = 0;
			*p++ = REC_FAULT, *p++ = (uint8_t)(mm + below(r, 2));
			*p++ = below(r, 4) ? where : vma_point(r, (unsigned)below(r, 3));
			*p++ = (uint8_t)(2 | (below(r, 4) ? 0 : 4));
			break;
		default: {
			static const uint8_t zaps[4] = { REC_MUNMAP, REC_MUNMAP, REC_MADVISE, REC_MPROTECT };
			*p++ = zaps[below(r, 4)], *p++ = mm,
			*p++ = vma_point(r, (unsigned)below(r, 3)), *p++ = (uint8_t)next(r);
			break;
		}
		}
		break;
	default: {	/* an mremap, mostly of a whole vma (or its part from a pmd in) back home */
		unsigned k = (unsigned)below(r, 8);
		if (!below(r, 3)) {	/* or to a new length, the move's failure a mode of it */
			*p++ = REC_MREMAP_RESIZE, *p++ = (uint8_t)((mm & 7) | resize_lengths(r));
			*p++ = (uint8_t)(0x80 | k), *p++ = (uint8_t)next(r);
			break;
		}
		uint8_t from = addr_vma_point(k, below(r, 4) ? ADDR_START : ADDR_PMD, ADDR_AT);	/* or a pmd in */
		*p++ = REC_MREMAP, *p++ = (uint8_t)((mm & 7) | (below(r, 4) ? 0x80 : next(r) & 0xf8));
		*p++ = from, *p++ = below(r, 4) ? home_of(from) : (uint8_t)next(r);
		break;
	}
	}
	p += walker_and_step(r, p, mm) * RECORD_SIZE;
	size_t k = (size_t)(p - recs) / RECORD_SIZE;
	if (k > max)
		return n;
	if (fresh || n + k > max || below(r, 2))
		n = 0;
	memcpy(data + n * RECORD_SIZE, recs, k * RECORD_SIZE);
	return n + k;
}

/* Mutations and cross-overs so far in this process. A campaign's first
 * YOUNG_MUTATIONS all start races from scratch (but the mutator's
 * byte-level eighth), each on a fresh program:
 * the corpus is a handful of scenarios a mutation or two from an empty
 * input, nothing in it is worth refining yet, and a fresh race is the
 * likeliest find (a race appended to another program may walk the other's
 * page). Measured (tools/bench.sh searches; seeds 301-340 and 501-540 for
 * the races found in a few hundred executions, 601-630 for the rest):
 *   unlink-first 170 -> 49 median executions, tree-left 163 -> 73,
 *   peek-split-pmd 240 -> 123, linux-3.14 15k -> 5.2k, list-3.0 6.9k ->
 *   3.1k; retry-only 21k -> 36k (its medians range 16k-36k between seed
 *   sets), the others within the noise. */
#define YOUNG_MUTATIONS 1000
static unsigned long nr_mutations;

/* Which mutations pay, learnt as the campaign goes: each kind's tries and
 * the tries whose input showed a feature no input had shown
 * (rmap_mutator_reward, from the fuzz target), halved now and then so the
 * figures follow the campaign. Kinds are the record mutations' numbers
 * (0-11, 9 a race from scratch, the cross-over's too), then byte-level
 * and splice. Past the young phase and once 64 tries paid, a kind drawn
 * is kept with the odds of its rate of pay against the best kind's, never
 * under one in eight (the next draw otherwise; the fourth is kept): the
 * shares above are the prior, and a row whose bugs are no races, where
 * races from scratch stopped paying long ago, spends its executions on
 * the mutations that still find new states (MOpt's idea, Lyu et al.,
 * USENIX Security 2019). */
enum { KIND_BYTES = 12, KIND_SPLICE, NR_KINDS };
static double kind_tries[NR_KINDS], kind_wins[NR_KINDS], all_wins;
static int last_kind = -1;

static void tried(unsigned kind)
{
	double sum = 0;
	last_kind = (int)kind;
	kind_tries[kind] += 1;
	for (int k = 0; k < NR_KINDS; k++)
		sum += kind_tries[k];
	if (sum < 1 << 16)
		return;
	all_wins /= 2;
	for (int k = 0; k < NR_KINDS; k++)
		kind_tries[k] /= 2, kind_wins[k] /= 2;
}

void rmap_mutator_reward(unsigned long novel)
{
	if (last_kind >= 0 && novel) {
		kind_wins[last_kind] += 1;
		all_wins += 1;
	}
	last_kind = -1;
}

static bool favoured(struct rng *r, unsigned kind, bool young)
{
	if (young || all_wins < 64)
		return true;
	double best = 0, rate = (kind_wins[kind] + 1) / (kind_tries[kind] + 64);
	for (int k = 0; k < NR_KINDS; k++) {
		double q = (kind_wins[k] + 1) / (kind_tries[k] + 64);
		best = q > best ? q : best;
	}
	double odds = rate / best;
	return odds >= 1 || below(r, 1024) < (odds < 0.125 ? 128 : odds * 1024);
}

unsigned long rmap_mutator_calls(void) { return nr_mutations; }
void rmap_mutator_reset(void)
{
	nr_mutations = 0;
	memset(kind_tries, 0, sizeof(kind_tries));
	memset(kind_wins, 0, sizeof(kind_wins));
	all_wins = 0;
	last_kind = -1;
}

/* One of the eleven record mutations below, alike: 0-5, 6 (grow_mms), 7
 * (make_race), 8 (move_home), 10 (one operand), 11 (again); 9, a race
 * from scratch, has a share of its own. */
static unsigned record_mutation(struct rng *r)
{
	unsigned what = (unsigned)below(r, 11);
	return what == 9 ? 11 : what;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	struct rng r = { seed | 1 };
	size_t max = max_size / RECORD_SIZE, n = size / RECORD_SIZE;
	uint8_t tmp[RECORD_SIZE];
	bool young = nr_mutations++ < YOUNG_MUTATIONS;

	if (max > PROGRAM_MAX_RECORDS)
		max = PROGRAM_MAX_RECORDS;
	/* A third of the record mutations start a race from scratch, three in
	 * four under four records (no race fits there). Measured against one in
	 * ten: the median executions to linux-3.14's race fell from 34k to 20k,
	 * peek-migration-pte's from 5.9k to 1.2k (tools/bench.sh, 8 seeds).
	 * The rewards reweigh these shares as the campaign goes (favoured). */
	unsigned what;
	for (int draw = 0;; draw++) {
		what = below(&r, 8) == 0 || !max ? KIND_BYTES
		     : young ? 9
		     : n >= 4 ? (below(&r, 3) ? record_mutation(&r) : 9)
			      : !n || below(&r, 4) ? 9 : record_mutation(&r);
		if (draw == 3 || favoured(&r, what, young))
			break;
	}
	tried(what);
	if (what == KIND_BYTES)
		return LLVMFuzzerMutate(data, size, max_size);
	uint8_t *rec = data + below(&r, n) * RECORD_SIZE;
	/* The mms each record names, to keep after an edit (rename_mms), one
	 * edit in two. */
	int names[PROGRAM_MAX_RECORDS + 1], want[PROGRAM_MAX_RECORDS + 1];
	bool keep_names = n <= PROGRAM_MAX_RECORDS && below(&r, 2);
	for (size_t i = 0; keep_names && i < n; i++)
		names[i] = named_mm(data, i);
	switch (what) {
	case 6:
		n = grow_mms(&r, data, n, max);
		break;
	case 9:
		n = make_scenario(&r, data, n, max, young);
		break;
	case 7:
		n = make_race(&r, data, n, max);
		break;
	case 8:
		n = move_home(&r, data, n, max);
		break;
	case 11:
		n = again(&r, data, n, max);
		break;
	case 0: /* one record's bytes */
		LLVMFuzzerMutate(rec, RECORD_SIZE, RECORD_SIZE);
		break;
	case 1: /* insert a new record */
	case 2: /* duplicate a record */
		if (n == max)
			break;
		{
			/* Programs grow at the end most of the time, as a
			 * developer extends a scenario. */
			size_t at = below(&r, 2) ? n : below(&r, n + 1);
			if (n && below(&r, 2))
				memcpy(tmp, data + below(&r, n) * RECORD_SIZE, RECORD_SIZE);
			else
				random_record(&r, tmp);
			memmove(data + (at + 1) * RECORD_SIZE, data + at * RECORD_SIZE,
				(n - at) * RECORD_SIZE);
			memcpy(data + at * RECORD_SIZE, tmp, RECORD_SIZE);
			n++;
			if (keep_names) {
				for (size_t i = 0; i < n; i++)
					want[i] = i < at ? names[i] : i == at ? -1 : names[i - 1];
				rename_mms(data, n, want);
			}
		}
		break;
	case 3: { /* delete a record */
		size_t at = (size_t)(rec - data) / RECORD_SIZE;
		memmove(rec, rec + RECORD_SIZE, (size_t)(data + n * RECORD_SIZE - rec - RECORD_SIZE));
		n--;
		if (keep_names) {
			for (size_t i = 0; i < n; i++)
				want[i] = names[i < at ? i : i + 1];
			rename_mms(data, n, want);
		}
		break;
	}
	case 4: { /* swap two records */
		uint8_t *other = data + below(&r, n) * RECORD_SIZE;
		memcpy(tmp, rec, RECORD_SIZE);
		memcpy(rec, other, RECORD_SIZE);
		memcpy(other, tmp, RECORD_SIZE);
		break;
	}
	case 5: { /* move a record elsewhere: a step earlier or later */
		size_t from = (size_t)(rec - data) / RECORD_SIZE, to = below(&r, n);
		memcpy(tmp, rec, RECORD_SIZE);
		if (to > from)
			memmove(rec, rec + RECORD_SIZE, (to - from) * RECORD_SIZE);
		else
			memmove(data + (to + 1) * RECORD_SIZE, data + to * RECORD_SIZE,
				(from - to) * RECORD_SIZE);
		memcpy(data + to * RECORD_SIZE, tmp, RECORD_SIZE);
		if (keep_names) {
			for (size_t i = 0; i < n; i++)
				want[i] = i == to ? names[from]
					: to > from && i >= from && i < to ? names[i + 1]
					: to < from && i > to && i <= from ? names[i - 1] : names[i];
			rename_mms(data, n, want);
		}
		break;
	}
	case 10:
	default: /* one operand, or the schedule of a step record */
		rec[1 + below(&r, 3)] = (uint8_t)next(&r);
		break;
	}
	return n * RECORD_SIZE;
}

/* libFuzzer calls the cross-over as often as the mutator: one mutation in
 * two. Half of those calls (all while the campaign is young) start a race
 * from scratch on a fresh program instead of splicing (make_scenario).
 * Measured (tools/bench.sh searches, seeds 101-130): unlink-first's median
 * executions fell from 140 to 75, tree-left's from 276 to 177,
 * retry-only's from 36k to 16k; peek-migration-pte's rose from 1.7k to
 * 3.0k, the others moved within the noise. A fresh race is worth more than
 * a splice of two programs that are mostly one scenario apart. Appended to
 * data1 rather than replacing it, the race found as much (seeds 801-820)
 * but grew the corpus's programs: 16% fewer executions a second. */
size_t LLVMFuzzerCustomCrossOver(const uint8_t *data1, size_t size1, const uint8_t *data2,
				 size_t size2, uint8_t *out, size_t max_out_size, unsigned int seed)
{
	struct rng r = { seed | 1 };
	size_t n1 = size1 / RECORD_SIZE, n2 = size2 / RECORD_SIZE;
	size_t max = max_out_size / RECORD_SIZE;

	if (max > PROGRAM_MAX_RECORDS)
		max = PROGRAM_MAX_RECORDS;
	bool young = nr_mutations++ < YOUNG_MUTATIONS, scratch;
	for (int draw = 0;; draw++) {
		scratch = below(&r, 2) || young;
		if (draw == 3 || favoured(&r, scratch ? 9 : KIND_SPLICE, young))
			break;
	}
	tried(scratch ? 9 : KIND_SPLICE);
	if (scratch)
		return make_scenario(&r, out, 0, max, true) * RECORD_SIZE;
	size_t a = below(&r, n1 + 1), b = below(&r, n2 + 1), len = n2 - b;
	if (a > max)
		a = max;
	if (a + len > max)
		len = max - a;
	/* data1's first a records, then data2 from record b. */
	memcpy(out, data1, a * RECORD_SIZE);
	memcpy(out + a * RECORD_SIZE, data2 + b * RECORD_SIZE, len * RECORD_SIZE);
	return (a + len) * RECORD_SIZE;
}
