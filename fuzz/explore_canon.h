/* The explorer's canonical hash of the objects whose bytes are not all
 * state (core/arena.h, arena_canon_object_fn): a task's arrays are live
 * only below their counts, and most of an mm's page-table slots are as
 * mm_alloc left them. Mixing only what is state, and a fresh slot as its
 * number's absence, reads a third of the bytes; two states hash the same
 * exactly when they did with every byte of those objects read (the dead
 * array slots were zeroed for it, and the counts and the slots' mask are
 * mixed), so the states the search tells apart are the same. And a
 * vma's id, a name (docs/explore.md, "Names"), is left out wherever the
 * vma is met, when the search leaves names out. */
#ifndef RMAP_EXPLORE_CANON_H
#define RMAP_EXPLORE_CANON_H

#include <stdbool.h>
#include <stddef.h>

struct arena_canon;
struct world;

struct explore_canon_ctx {
	const struct world *w;	/* whose arena is hashed */
	bool layouts;		/* tasks and mms by their live parts (else whole) */
	bool names;		/* leave a vma's id out (else hash it) */
};

/* ctx: a struct explore_canon_ctx. */
bool explore_canon_object(struct arena_canon *c, const void *p, size_t size, unsigned char kind,
			  void *ctx);

#endif
