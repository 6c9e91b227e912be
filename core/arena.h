/* A world's memory: one run's objects, bump-allocated from chunks that
 * outlive the run, so that starting the next run is O(1) and costs no
 * malloc (the fuzz target runs a fresh world per input, hundreds of
 * thousands of times a second).
 *
 * Freed objects are never handed out again within a run, and under
 * AddressSanitizer they are poisoned, as is a redzone after every object:
 * a use-after-free or an overflow in the model is still reported, as it
 * would be with malloc. A double free aborts.
 */
#ifndef RMAP_ARENA_H
#define RMAP_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *first, *cur;	/* chunks, and the one in use */
	char *next, *end;			/* the free part of cur */
	unsigned long live;			/* objects allocated, not freed */
};

/* Zeroed, 16-byte aligned; never NULL (aborts on out-of-memory). */
void *arena_alloc(struct arena *a, size_t size);
/* The same with only the first head bytes zeroed: for objects whose tail is
 * arrays filled before they are read (a task's frame stack). */
void *arena_alloc_head(struct arena *a, size_t size, size_t head);
/* memset(p, 0, n) of memory the caller owns (an object it allocated, a
 * field of one), without AddressSanitizer's check of the range first. */
void mem_zero(void *p, size_t n);
/* p (size bytes, from arena_alloc) is dead; its memory returns at reset. */
void arena_free(struct arena *a, void *p, size_t size);
/* Every object at once; the chunks are kept for the next run. */
void arena_reset(struct arena *a);
/* The chunks too. */
void arena_destroy(struct arena *a);

#endif
