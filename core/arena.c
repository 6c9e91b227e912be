#include "arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sanitizer/asan_interface.h>

#if defined(__SANITIZE_ADDRESS__)
#define ARENA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_ASAN 1
#endif
#endif

/* One run's objects fit in a chunk or two (a task is under 1.5 KiB, a run
 * starts at most PROGRAM_MAX_RECORDS operations). */
#define CHUNK_SIZE (64 * 1024)
#define ALIGN 16
#ifdef ARENA_ASAN
#define REDZONE 16
#else
#define REDZONE 0
#endif

struct arena_chunk {
	struct arena_chunk *next;
	size_t size;			/* of data */
	_Alignas(ALIGN) char data[];
};

static void out_of_memory(void)
{
	fputs("rmapfuzz: out of memory\n", stderr);
	abort();
}

static void use_chunk(struct arena *a, struct arena_chunk *c)
{
	a->cur = c;
	a->next = c->data;
	a->end = c->data + c->size;
}

/* Move to a chunk with room for need bytes: the next kept one if it is big
 * enough, else a new one linked in after cur. */
static void next_chunk(struct arena *a, size_t need)
{
	struct arena_chunk *after = a->cur ? a->cur->next : a->first;
	if (after && after->size >= need) {
		use_chunk(a, after);
		return;
	}
	size_t size = need > CHUNK_SIZE ? need : CHUNK_SIZE;
	struct arena_chunk *c = malloc(sizeof(*c) + size);
	if (!c)
		out_of_memory();
	c->size = size;
	c->next = after;
	ASAN_POISON_MEMORY_REGION(c->data, size);
	if (a->cur)
		a->cur->next = c;
	else
		a->first = c;
	use_chunk(a, c);
}

/* Under ASan a memset first checks its whole range against the shadow; on
 * memory the caller owns that check can only pass, and it cost more than
 * the zeroing: without it a run is 8% faster (perf). */
#if defined(ARENA_ASAN) && defined(__x86_64__)
__attribute__((no_sanitize("address"))) void mem_zero(void *p, size_t n)
{
	/* Most objects are small and word-aligned: plain stores (volatile, or
	 * the compiler makes them a memset call again), rep stos otherwise. */
	if (n <= 256 && !(((uintptr_t)p | n) & 7)) {
		volatile uint64_t *q = p;
		for (size_t i = 0; i < n / 8; i++)
			q[i] = 0;
		return;
	}
	__asm__ volatile("rep stosb" : "+D"(p), "+c"(n) : "a"(0) : "memory");
}
#else
void mem_zero(void *p, size_t n) { memset(p, 0, n); }
#endif

void *arena_alloc(struct arena *a, size_t size) { return arena_alloc_head(a, size, size); }

void *arena_alloc_head(struct arena *a, size_t size, size_t head)
{
	size_t need = (size + ALIGN - 1) / ALIGN * ALIGN + REDZONE;
	if (!a->cur || (size_t)(a->end - a->next) < need)
		next_chunk(a, need);
	char *p = a->next;
	a->next += need;
	a->live++;
	ASAN_UNPOISON_MEMORY_REGION(p, size);
	mem_zero(p, head < size ? head : size);
	return p;
}

void arena_free(struct arena *a, void *p, size_t size)
{
	if (!p)
		return;
#ifdef ARENA_ASAN
	if (__asan_address_is_poisoned(p)) {
		fprintf(stderr, "rmapfuzz: model bug: double free of %p (%zu bytes)\n", p, size);
		abort();
	}
#endif
	ASAN_POISON_MEMORY_REGION(p, size);
	(void)size;
	a->live--;
}

void arena_reset(struct arena *a)
{
	/* Loop invariant: chunks before c were used whole or in part, up to
	 * cur; only what was used can be unpoisoned. */
	for (struct arena_chunk *c = a->first; c && a->cur; c = c->next) {
		size_t used = c == a->cur ? (size_t)(a->next - c->data) : c->size;
		ASAN_POISON_MEMORY_REGION(c->data, used);
		(void)used;
		if (c == a->cur)
			break;
	}
	a->live = 0;
	if (a->first)
		use_chunk(a, a->first);
}

void arena_destroy(struct arena *a)
{
	struct arena_chunk *c = a->first;
	while (c) {
		struct arena_chunk *next = c->next;
		ASAN_UNPOISON_MEMORY_REGION(c->data, c->size);
		free(c);
		c = next;
	}
	*a = (struct arena){ 0 };
}
