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

#include <stdbool.h>
#include <stddef.h>

struct arena_chunk;

struct arena_log;

struct arena {
	struct arena_chunk *first, *cur;	/* chunks, and the one in use */
	char *next, *end;			/* the free part of cur */
	unsigned long live;			/* objects allocated, not freed */
	/* The explorer's log of every allocation, in order (arena_log_on):
	 * the first nlogged entries of *log are this run's. The count is
	 * part of the state (saved and restored with it); the log itself
	 * only grows, and entries past the count are stale. */
	struct arena_log *log;
	unsigned long nlogged;
};

/* Zeroed, 16-byte aligned; never NULL (aborts on out-of-memory). */
void *arena_alloc(struct arena *a, size_t size);
/* The same, of kind (its owner's numbering, not 0), which the log keeps
 * for the canonical hash's object function (a vma, whose id it leaves out
 * wherever the vma lies). */
void *arena_alloc_kind(struct arena *a, size_t size, unsigned char kind);
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

/* A copy of the memory a run has used so far (every chunk up to the one in
 * use, up to its free part) and, under AddressSanitizer, of which of its
 * bytes are poisoned: the explorer (explore.h) goes back to a state by
 * copying it back. Objects hold absolute pointers into the chunks, which
 * stay where they are for the arena's life, so the copied bytes are the
 * state itself. */
struct arena_snap {
	struct arena a;			/* where allocation stood */
	unsigned char *bytes, *shadow;	/* malloc'd, grown as needed */
	size_t size, cap, shadow_size, shadow_cap;
};
void arena_save(const struct arena *a, struct arena_snap *s);
/* a as it was when s was saved; what was allocated since is poisoned. */
void arena_restore(struct arena *a, const struct arena_snap *s);
void arena_snap_free(struct arena_snap *s);
/* Mix every used byte (as arena_save copies them) into the two 64-bit
 * lanes of h; under ASan, of the poisoned ones (which nothing reads) only
 * where they are. */
void arena_hash(const struct arena *a, unsigned long long h[2]);
/* Log every allocation from now on (the explorer's canonical hash needs
 * where each object starts and ends). */
void arena_log_on(struct arena *a);

/* A hash of the objects reachable from roots, by object rather than by
 * address: objects are numbered in the order a breadth-first walk from
 * the roots meets them, and a word that points into a logged object is
 * mixed as (its object's number, the offset in it), every other word as
 * it is. Two states whose reachable objects are the same up to where
 * they lie in the arena hash the same (docs/explore.md: what it assumes
 * of the model). Use: begin, the roots (regions outside the arena, read
 * with the same pointer mapping), then end. */
struct arena_canon;
/* How one object is hashed, when not all of its bytes are state (a struct
 * whose arrays are live below a count; a name): given its kind
 * (arena_alloc_kind), it mixes the parts that are with
 * arena_canon_root, in a fixed order, and returns true; false hashes the
 * object's bytes. What it leaves out must be what no step reads, and it
 * must meet every pointer a step can follow (objects are numbered as met). */
typedef bool (*arena_canon_object_fn)(struct arena_canon *c, const void *p, size_t size,
				      unsigned char kind, void *ctx);
struct arena_canon {
	const struct arena *a;
	arena_canon_object_fn object;	/* optional */
	void *object_ctx;
	unsigned long long x[4], y[4];
	int *id;			/* per logged object: its number, or -1 */
	unsigned long *queue;		/* objects met, in number order */
	unsigned long nqueue, cap;
	const char *glo, *ghi;		/* the first chunk (its granule map) */
	unsigned long *order;		/* the other chunks' objects by address */
	unsigned long nsorted;
	const char *lo, *hi;		/* their span */
	const char *slo, *shi;		/* arena_canon_self's region */
};
void arena_canon_begin(struct arena_canon *c, const struct arena *a, const unsigned long long h[2]);
void arena_canon_root(struct arena_canon *c, const void *p, size_t n);
/* A region outside the arena whose own addresses the roots hold (the
 * world struct: its empty list heads point into it): a word pointing into
 * it is mixed as its offset there, so the hash does not depend on where
 * the region lies (two runs' states compare). Call after begin. */
void arena_canon_self(struct arena_canon *c, const void *p, size_t n);
void arena_canon_end(struct arena_canon *c, unsigned long long h[2]);
void arena_canon_free(struct arena_canon *c);

/* The same mix over any bytes (the explorer hashes the world struct and
 * the oracle with it). */
void mem_hash(const void *p, size_t n, unsigned long long h[2]);

#endif
