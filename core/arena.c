#include "arena.h"

#include <stdbool.h>
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

struct arena_log {
	struct arena_obj {
		char *p;
		size_t size;
		unsigned char kind;	/* arena_alloc_kind's, else 0 */
	} *obj;
	unsigned long cap;
	/* The first chunk's granules (ALIGN bytes each): the log index of the
	 * object last allocated over each. A granule is allocated once per
	 * run, so below where allocation stands the map is the run's. */
	char *gbase;
	size_t gsize;
	unsigned *gmap;
};

static void log_object(struct arena *a, char *p, size_t size, unsigned char kind)
{
	struct arena_log *l = a->log;
	if (!l->gbase) {
		l->gbase = a->first->data;
		l->gsize = a->first->size;
		l->gmap = calloc(l->gsize / ALIGN, sizeof(*l->gmap));
		if (!l->gmap)
			out_of_memory();
	}
	if (p >= l->gbase && p < l->gbase + l->gsize)
		for (size_t g = (size_t)(p - l->gbase) / ALIGN; g * ALIGN < (size_t)(p - l->gbase) + size; g++)
			l->gmap[g] = (unsigned)a->nlogged;
	if (a->nlogged == l->cap) {
		unsigned long cap = l->cap ? 2 * l->cap : 256;
		struct arena_obj *o = realloc(l->obj, cap * sizeof(*o));
		if (!o)
			out_of_memory();
		l->obj = o;
		l->cap = cap;
	}
	l->obj[a->nlogged++] = (struct arena_obj){ p, size, kind };
}

void arena_log_on(struct arena *a)
{
	if (!a->log) {
		a->log = calloc(1, sizeof(*a->log));
		if (!a->log)
			out_of_memory();
	}
}

static void *alloc(struct arena *a, size_t size, size_t head, unsigned char kind)
{
	size_t need = (size + ALIGN - 1) / ALIGN * ALIGN + REDZONE;
	if (!a->cur || (size_t)(a->end - a->next) < need)
		next_chunk(a, need);
	char *p = a->next;
	a->next += need;
	a->live++;
	if (a->log)
		log_object(a, p, size, kind);
	ASAN_UNPOISON_MEMORY_REGION(p, size);
	mem_zero(p, head < size ? head : size);
	return p;
}

void *arena_alloc(struct arena *a, size_t size) { return alloc(a, size, size, 0); }

void *arena_alloc_head(struct arena *a, size_t size, size_t head) { return alloc(a, size, head, 0); }

void *arena_alloc_kind(struct arena *a, size_t size, unsigned char kind)
{
	return alloc(a, size, size, kind);
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
	a->nlogged = 0;
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
	if (a->log) {
		free(a->log->obj);
		free(a->log->gmap);
	}
	free(a->log);
	*a = (struct arena){ 0 };
}

/* ---- snapshots (the explorer) ----
 *
 * The copies go around AddressSanitizer: the used part of a chunk holds
 * freed objects and redzones, poisoned, and the state is every byte of it.
 * A plain loop could be turned back into a memcpy call, which ASan
 * intercepts and checks, so the copy is rep movsb on x86-64 (as mem_zero's
 * zeroing is rep stosb) and a volatile loop elsewhere. */
__attribute__((no_sanitize("address"))) static void raw_copy(void *dst, const void *src, size_t n)
{
#if defined(__x86_64__)
	__asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
#else
	volatile unsigned char *d = dst;
	const volatile unsigned char *s = src;
	for (size_t i = 0; i < n; i++)
		d[i] = s[i];
#endif
}

/* Calls fn on each used region of a: every chunk before cur whole, cur up
 * to next. */
#define for_each_used(a, c, used)                                                          \
	for (struct arena_chunk *c = (a)->cur ? (a)->first : NULL; c; c = c == (a)->cur ? NULL : c->next) \
		for (size_t used = c == (a)->cur ? (size_t)((a)->next - c->data) : c->size, once_ = 1; \
		     once_; once_ = 0)

static void grow(unsigned char **buf, size_t *cap, size_t need)
{
	if (need <= *cap)
		return;
	size_t n = *cap ? *cap : 4096;
	while (n < need)
		n *= 2;
	unsigned char *p = realloc(*buf, n);
	if (!p)
		out_of_memory();
	*buf = p;
	*cap = n;
}

#ifdef ARENA_ASAN
/* The shadow byte of each 8 bytes of the chunk's data (16-byte aligned, so
 * a region starts on a shadow byte and, its sizes being multiples of 16,
 * ends on one). */
static unsigned char *shadow_of(const void *p)
{
	size_t scale, offset;
	__asan_get_shadow_mapping(&scale, &offset);
	return (unsigned char *)(((uintptr_t)p >> scale) + offset);
}
#endif

void arena_save(const struct arena *a, struct arena_snap *s)
{
	s->a = *a;
	s->size = s->shadow_size = 0;
	for_each_used(a, c, used) {
		grow(&s->bytes, &s->cap, s->size + used);
		raw_copy(s->bytes + s->size, c->data, used);
		s->size += used;
#ifdef ARENA_ASAN
		grow(&s->shadow, &s->shadow_cap, s->shadow_size + used / 8);
		raw_copy(s->shadow + s->shadow_size, shadow_of(c->data), used / 8);
		s->shadow_size += used / 8;
#endif
	}
}

void arena_restore(struct arena *a, const struct arena_snap *s)
{
#ifdef ARENA_ASAN
	/* What was allocated after the snapshot is free again: poison it, from
	 * the snapshot's free part to where allocation stands now. */
	if (a->cur) {
		bool past = false;
		for (struct arena_chunk *c = a->first; c; c = c->next) {
			char *from = c == s->a.cur ? s->a.next : c->data;
			char *to = c == a->cur ? a->next : c->data + c->size;
			if (c == s->a.cur)
				past = true;
			if (past && to > from)
				ASAN_POISON_MEMORY_REGION(from, (size_t)(to - from));
			if (c == a->cur)
				break;
		}
	}
#endif
	*a = s->a;
	size_t off = 0, shadow_off = 0;
	for_each_used(a, c, used) {
		raw_copy(c->data, s->bytes + off, used);
		off += used;
#ifdef ARENA_ASAN
		raw_copy(shadow_of(c->data), s->shadow + shadow_off, used / 8);
		shadow_off += used / 8;
#endif
	}
	(void)shadow_off;
}

void arena_snap_free(struct arena_snap *s)
{
	free(s->bytes);
	free(s->shadow);
	*s = (struct arena_snap){ 0 };
}

/* Two lanes of multiply-xorshift over 8-byte words: 128 bits, so that two
 * states the explorer tells apart by hash alone collide with odds near
 * 2^-128 per pair (explore.md). */
__attribute__((no_sanitize("address"))) void mem_hash(const void *p, size_t n,
						       unsigned long long h[2])
{
	const unsigned char *b = p;
	unsigned long long x = h[0], y = h[1];
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		unsigned long long v;
		__builtin_memcpy(&v, b + i, 8);	/* an unaligned load, inlined */
		x = (x ^ v) * 0x9e3779b97f4a7c15ull;
		x ^= x >> 29;
		y = (y + v) * 0xc2b2ae3d27d4eb4full;
		y ^= y >> 31;
	}
	for (; i < n; i++) {
		x = (x ^ b[i]) * 0x9e3779b97f4a7c15ull;
		y = (y + b[i]) * 0xc2b2ae3d27d4eb4full;
	}
	h[0] = x ^ (x >> 32) ^ n;
	h[1] = y ^ (y >> 29);
}

#ifdef ARENA_ASAN
/* A region's used bytes as ASan sees them: what is poisoned (freed
 * objects, redzones) no step can read, so only how much of it there is
 * goes into the hash, not its stale contents. Two states that differ only
 * there have the same future; skipping them lets more states meet, and a
 * dead task's 1.8 KiB costs nothing to hash.
 *
 * Four chains per lane, word i into chain i % 4, so that the multiplies
 * of neighbouring words overlap instead of waiting on each other: the
 * explorer hashes every state it branches at, and this loop was two
 * thirds of its time with one chain. */
__attribute__((no_sanitize("address"))) static void hash_region(const unsigned char *p, size_t n,
								unsigned long long h[2])
{
	const unsigned char *sh = shadow_of(p);
	unsigned long long x[4] = { h[0], h[0] ^ 1, h[0] ^ 2, h[0] ^ 3 };
	unsigned long long y[4] = { h[1], h[1] ^ 1, h[1] ^ 2, h[1] ^ 3 };
	unsigned long long run = 0;
	size_t ng = n / 8;
#define MIX(k, v)                                              \
	do {                                                   \
		unsigned long long v_ = (v);                   \
		x[k] = (x[k] ^ v_) * 0x9e3779b97f4a7c15ull;    \
		x[k] ^= x[k] >> 29;                            \
		y[k] = (y[k] + v_) * 0xc2b2ae3d27d4eb4full;    \
		y[k] ^= y[k] >> 31;                            \
	} while (0)
	for (size_t g = 0; g < ng;) {
		unsigned s4 = 0;
		if (g + 4 <= ng)
			__builtin_memcpy(&s4, sh + g, 4);
		if (g + 4 <= ng && s4 == 0) {	/* four words, all addressable */
			unsigned long long v[4];
			__builtin_memcpy(v, p + 8 * g, 32);
			if (run) {
				MIX(0, run | 1ull << 63);
				run = 0;
			}
			MIX(0, v[0]);
			MIX(1, v[1]);
			MIX(2, v[2]);
			MIX(3, v[3]);
			g += 4;
			continue;
		}
		if (g + 4 <= ng && (s4 & 0x80808080u) == 0x80808080u) {	/* all poisoned */
			run += 4;
			g += 4;
			continue;
		}
		signed char s = (signed char)sh[g];
		if (s < 0) {
			run++;
		} else {
			if (run) {
				MIX(0, run | 1ull << 63);
				run = 0;
			}
			unsigned long long v;
			__builtin_memcpy(&v, p + 8 * g, 8);
			if (s)	/* s bytes addressable, the rest of the 8 poisoned */
				v = (v & ((1ull << 8 * s) - 1)) | (unsigned long long)s << 56;
			MIX(g & 3, v);
		}
		g++;
	}
	if (run)
		MIX(0, run | 1ull << 63);
#undef MIX
	for (int k = 1; k < 4; k++) {
		x[0] = (x[0] ^ x[k]) * 0x9e3779b97f4a7c15ull;
		y[0] = (y[0] + y[k]) * 0xc2b2ae3d27d4eb4full;
	}
	h[0] = x[0] ^ x[0] >> 31;
	h[1] = y[0] ^ y[0] >> 29;
}
#endif

void arena_hash(const struct arena *a, unsigned long long h[2])
{
	for_each_used(a, c, used) {
#ifdef ARENA_ASAN
		hash_region((const unsigned char *)c->data, used, h);
#else
		mem_hash(c->data, used, h);
#endif
	}
}

/* ---- the canonical hash (the explorer) ---- */

/* A mapped pointer (object number, offset) is mixed as CANON_MARK xor
 * the two, one into the self region as CANON_SELF xor its offset: no word
 * of the model's is near either. */
#define CANON_MARK 0xa0761d6478bd642full
#define CANON_SELF 0xe7037ed1a0b428dbull

#define MIX4(c, k, v)                                                  \
	do {                                                           \
		unsigned long long v_ = (v);                           \
		(c)->x[k] = ((c)->x[k] ^ v_) * 0x9e3779b97f4a7c15ull;  \
		(c)->x[k] ^= (c)->x[k] >> 29;                          \
		(c)->y[k] = ((c)->y[k] + v_) * 0xc2b2ae3d27d4eb4full;  \
		(c)->y[k] ^= (c)->y[k] >> 31;                          \
	} while (0)

static void *grow_array(void *p, unsigned long n, size_t elem)
{
	void *q = realloc(p, n * elem);
	if (!q && n)
		out_of_memory();
	return q;
}

void arena_canon_begin(struct arena_canon *c, const struct arena *a, const unsigned long long h[2])
{
	unsigned long n = a->nlogged;
	const struct arena_log *l = a->log;
	c->a = a;
	for (int k = 0; k < 4; k++) {
		c->x[k] = h[0] ^ (unsigned long long)k;
		c->y[k] = h[1] ^ (unsigned long long)k;
	}
	c->nqueue = 0;
	c->slo = c->shi = NULL;
	if (n > c->cap) {
		c->cap = n * 2;
		c->order = grow_array(c->order, c->cap, sizeof(*c->order));
		c->id = grow_array(c->id, c->cap, sizeof(*c->id));
		c->queue = grow_array(c->queue, c->cap, sizeof(*c->queue));
	}
	for (unsigned long i = 0; i < n; i++)
		c->id[i] = -1;
	/* The first chunk's objects are found through the granule map; those
	 * of later chunks (a run that outgrew the first) by address. */
	c->glo = l && l->gbase ? l->gbase : NULL;
	c->ghi = c->glo ? c->glo + l->gsize : NULL;
	c->nsorted = 0;
	c->lo = c->hi = NULL;
	if (n && a->cur != a->first) {
		const struct arena_obj *o = l->obj;
		for (unsigned long i = 0; i < n; i++) {
			if (o[i].p >= c->glo && o[i].p < c->ghi)
				continue;
			unsigned long j = c->nsorted++;
			while (j > 0 && o[c->order[j - 1]].p > o[i].p) {
				c->order[j] = c->order[j - 1];
				j--;
			}
			c->order[j] = i;
		}
		if (c->nsorted) {
			c->lo = o[c->order[0]].p;
			c->hi = o[c->order[c->nsorted - 1]].p + o[c->order[c->nsorted - 1]].size;
		}
	}
}

/* The logged object p points into, or -1. */
static long canon_find(const struct arena_canon *c, const char *p)
{
	const struct arena_log *l = c->a->log;
	if (p >= c->glo && p < c->ghi) {
		unsigned long i = l->gmap[(size_t)(p - c->glo) / ALIGN];
		if (i < c->a->nlogged && p >= l->obj[i].p && p < l->obj[i].p + l->obj[i].size)
			return (long)i;
		return -1;
	}
	if (p < c->lo || p >= c->hi)
		return -1;
	unsigned long lo = 0, hi = c->nsorted;	/* the last object at or below p */
	while (hi - lo > 1) {
		unsigned long mid = (lo + hi) / 2;
		if (l->obj[c->order[mid]].p <= p)
			lo = mid;
		else
			hi = mid;
	}
	unsigned long i = c->order[lo];
	if (p >= l->obj[i].p && p < l->obj[i].p + l->obj[i].size)
		return (long)i;
	return -1;
}

/* Freed objects a dangling pointer reaches are read too (their stale
 * bytes only tell more states apart): around ASan. Word i of the region
 * goes into chain i % 4. */
__attribute__((no_sanitize("address"))) static void canon_region(struct arena_canon *c,
								 const void *p, size_t n)
{
	const unsigned char *b = p;
	const struct arena_log *l = c->a->log;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		unsigned long long v;
		__builtin_memcpy(&v, b + i, 8);
		const char *q = (const char *)(uintptr_t)v;
		if ((q >= c->glo && q < c->ghi) || (q >= c->lo && q < c->hi)) {
			long k = canon_find(c, q);
			if (k >= 0) {
				if (c->id[k] < 0) {
					c->id[k] = (int)c->nqueue;
					c->queue[c->nqueue++] = (unsigned long)k;
				}
				v = CANON_MARK ^ ((unsigned long long)c->id[k] << 32 |
						  (unsigned long long)(q - l->obj[k].p));
			}
		} else if (q >= c->slo && q < c->shi) {
			v = CANON_SELF ^ (unsigned long long)(q - c->slo);
		}
		MIX4(c, (i / 8) & 3, v);
	}
	for (; i < n; i++)
		MIX4(c, 0, b[i]);
	MIX4(c, 0, n);
}

void arena_canon_root(struct arena_canon *c, const void *p, size_t n) { canon_region(c, p, n); }

void arena_canon_self(struct arena_canon *c, const void *p, size_t n)
{
	c->slo = p;
	c->shi = c->slo + n;
}

void arena_canon_end(struct arena_canon *c, unsigned long long h[2])
{
	for (unsigned long k = 0; k < c->nqueue; k++) {
		const struct arena_obj *o = &c->a->log->obj[c->queue[k]];
		if (!c->object || !c->object(c, o->p, o->size, o->kind, c->object_ctx))
			canon_region(c, o->p, o->size);
	}
	for (int k = 1; k < 4; k++) {
		c->x[0] = (c->x[0] ^ c->x[k]) * 0x9e3779b97f4a7c15ull;
		c->y[0] = (c->y[0] + c->y[k]) * 0xc2b2ae3d27d4eb4full;
	}
	h[0] = c->x[0] ^ c->x[0] >> 31;
	h[1] = c->y[0] ^ c->y[0] >> 29;
}

void arena_canon_free(struct arena_canon *c)
{
	free(c->order);
	free(c->id);
	free(c->queue);
	*c = (struct arena_canon){ 0 };
}
