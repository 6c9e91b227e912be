/* The world's arena (core/arena.c): objects come back zeroed and aligned,
 * a freed one is poisoned under ASan, reset hands the same memory out again
 * without a malloc, and the live count is what world_free's leak check
 * trusts. */
#include <stdint.h>
#include <string.h>

#include <sanitizer/asan_interface.h>

#include "arena.h"
#include "test.h"
#include "world.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_ASAN 1
#endif
#endif

static bool all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static void alloc_is_zeroed_aligned_and_counted(void)
{
	struct arena a = { 0 };
	unsigned char *p[200];
	for (int i = 0; i < 200; i++) {
		size_t size = 1 + (size_t)i * 37 % 3000;	/* across chunk ends */
		p[i] = arena_alloc(&a, size);
		CHECK(((uintptr_t)p[i] & 15) == 0);
		CHECK(all_zero(p[i], size));
		memset(p[i], 0xff, size);
	}
	CHECK_EQ(a.live, 200);
	for (int i = 0; i < 200; i += 2)
		arena_free(&a, p[i], 1 + (size_t)i * 37 % 3000);
	CHECK_EQ(a.live, 100);
	/* Nothing overlaps: every object still holds what was written. */
	for (int i = 1; i < 200; i += 2)
		CHECK(p[i][0] == 0xff && p[i][(size_t)i * 37 % 3000] == 0xff);
	arena_destroy(&a);
}

/* After reset the same memory comes back, zeroed although the last run
 * wrote over it: a run starts clean and costs no malloc. */
static void reset_reuses_memory_zeroed(void)
{
	struct arena a = { 0 };
	unsigned char *first = arena_alloc(&a, 100);
	memset(first, 0xab, 100);
	for (int i = 0; i < 100; i++)	/* into a second chunk */
		memset(arena_alloc(&a, 1000), 0xcd, 1000);
	struct arena_chunk *chunks = a.first;
	arena_reset(&a);
	CHECK_EQ(a.live, 0);
	unsigned char *again = arena_alloc(&a, 100);
	CHECK(again == first);
	CHECK(all_zero(again, 100));
	for (int i = 0; i < 100; i++)
		CHECK(all_zero(arena_alloc(&a, 1000), 1000));
	CHECK(a.first == chunks);
	arena_destroy(&a);
}

/* Bigger than a chunk: a chunk of its own, linked where the run is. */
static void big_objects_get_their_own_chunk(void)
{
	struct arena a = { 0 };
	unsigned char *small = arena_alloc(&a, 64);
	unsigned char *big = arena_alloc(&a, 200 * 1024);
	CHECK(all_zero(big, 200 * 1024));
	big[200 * 1024 - 1] = 1;
	unsigned char *after = arena_alloc(&a, 64);
	CHECK(small != after && big != after);
	arena_reset(&a);
	CHECK(arena_alloc(&a, 64) == small);
	arena_destroy(&a);
}

static void freed_memory_is_poisoned(void)
{
#ifdef HAVE_ASAN
	struct arena a = { 0 };
	char *p = arena_alloc(&a, 48), *q = arena_alloc(&a, 48);
	CHECK(!__asan_address_is_poisoned(p) && !__asan_address_is_poisoned(p + 47));
	CHECK(__asan_address_is_poisoned(p + 48));	/* the redzone */
	arena_free(&a, p, 48);
	CHECK(__asan_address_is_poisoned(p) && __asan_address_is_poisoned(p + 47));
	CHECK(!__asan_address_is_poisoned(q));
	arena_reset(&a);
	CHECK(__asan_address_is_poisoned(q));		/* a run's objects die at reset */
	arena_destroy(&a);
#else
	fprintf(stderr, "  (no ASan in this build: poisoning not observable)\n");
#endif
}

/* world_reset keeps the arena: a world reset after a run is a fresh world
 * (one empty mm), on the same memory. */
static void world_reset_is_a_fresh_world(void)
{
	struct world *w = world_new(NULL);
	void *mm0 = w->mm[0];
	w->next_vma_id = 7;
	world_alloc(w, 500);
	world_reset(w, NULL);
	CHECK(w->mm[0] == mm0);
	CHECK_EQ(w->nr_mm, 1);
	CHECK_EQ(w->next_vma_id, 0);
	CHECK_EQ(w->mem.live, 1);	/* mm 0 */
	world_free(w);
}

/* mem_zero zeroes exactly its range, whatever the size and alignment (a
 * word loop for small aligned objects, rep stos for the rest), and
 * arena_alloc_head zeroes the head it is told and hands out the whole
 * object, addressable to its last byte. */
static void head_allocs_and_mem_zero(void)
{
	unsigned char buf[600];
	for (size_t off = 0; off < 16; off += 3)
		for (size_t n = 0; n < 520; n += off ? 37 : 8) {
			memset(buf, 0xee, sizeof(buf));
			mem_zero(buf + 8 + off, n);
			CHECK(all_zero(buf + 8 + off, n));
			CHECK(buf[7 + off] == 0xee && buf[8 + off + n] == 0xee);
		}
	struct arena a = { 0 };
	unsigned char *p = arena_alloc(&a, 300);
	memset(p, 0x5a, 300);
	arena_reset(&a);
	unsigned char *q = arena_alloc_head(&a, 300, 40);
	CHECK(q == p);				/* the same memory, dirty */
	CHECK(all_zero(q, 40));
	CHECK(q[40] == 0x5a && q[299] == 0x5a);	/* the tail is the caller's to fill */
#ifdef HAVE_ASAN
	CHECK(!__asan_address_is_poisoned(q + 299) && __asan_address_is_poisoned(q + 300));
#endif
	arena_destroy(&a);
}

TEST_MAIN(T(alloc_is_zeroed_aligned_and_counted), T(reset_reuses_memory_zeroed),
	  T(big_objects_get_their_own_chunk), T(freed_memory_is_poisoned), T(world_reset_is_a_fresh_world),
	  T(head_allocs_and_mem_zero))
