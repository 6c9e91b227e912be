#include "explore_canon.h"

#include <string.h>

#include "arena.h"
#include "mm.h"
#include "task.h"
#include "world.h"

/* Every part that follows the counts in the header, each after it. */
static void canon_task(struct arena_canon *c, const struct task *t)
{
	arena_canon_root(c, t, offsetof(struct task, frames));
	arena_canon_root(c, t->frames, (size_t)t->depth * sizeof(t->frames[0]));
	arena_canon_root(c, t->held, (size_t)t->nheld * sizeof(t->held[0]));
	arena_canon_root(c, t->inflight, (size_t)t->nr_inflight * sizeof(t->inflight[0]));
	arena_canon_root(c, t->gathered, (size_t)t->nr_gathered * sizeof(t->gathered[0]));
}

/* Whether n bytes at p are those at q: word by word, as this runs for
 * every slot of every mm at every state hashed (memcmp is a call). */
static bool same_bytes(const void *p, const void *q, size_t n)
{
	const unsigned char *a = p, *b = q;
	unsigned long long diff = 0;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		unsigned long long x, y;
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		diff |= x ^ y;
	}
	for (; i < n; i++)
		diff |= (unsigned long long)(a[i] ^ b[i]);
	return !diff;
}

/* Slot s as mm_alloc made it: no pmd, both its locks free, its pte table's
 * lock its own. The address space of a bound is a few of NR_PMDS slots. */
static bool slot_fresh(const struct mm_struct *mm, int s)
{
	static const struct pmd none;
	static const struct lock ptl = { .cls = LOCK_PTL };	/* as lock_init leaves it */
	return mm->table_lock[s] == s && same_bytes(&mm->pmd[s], &none, sizeof(none)) &&
	       same_bytes(&mm->ptl[s], &ptl, sizeof(ptl)) &&
	       same_bytes(&mm->table_ptl[s], &ptl, sizeof(ptl));
}

/* The mask of the slots that are not fresh, then each of them, then the
 * fields after the slot arrays. */
static void canon_mm(struct arena_canon *c, const struct mm_struct *mm)
{
	unsigned long used = 0;
	for (int s = 0; s < NR_PMDS; s++)
		if (!slot_fresh(mm, s))
			used |= 1ul << s;
	arena_canon_root(c, mm, offsetof(struct mm_struct, pmd));
	arena_canon_root(c, &used, sizeof(used));
	for (int s = 0; s < NR_PMDS; s++) {
		if (!(used & 1ul << s))
			continue;
		arena_canon_root(c, &mm->pmd[s], sizeof(mm->pmd[s]));
		arena_canon_root(c, &mm->ptl[s], sizeof(mm->ptl[s]));
		arena_canon_root(c, &mm->table_ptl[s], sizeof(mm->table_ptl[s]));
		arena_canon_root(c, &mm->table_lock[s], sizeof(mm->table_lock[s]));
	}
	arena_canon_root(c, &mm->page_table_lock, sizeof(mm->page_table_lock));
	arena_canon_root(c, &mm->detached, sizeof(*mm) - offsetof(struct mm_struct, detached));
}

/* A vma but its id: a name no step reads (traces and messages), handed
 * out in allocation order. Left out here, where the vma is met, it is
 * left out wherever the vma lies: in an mm's list, detached, or held only
 * by a frame or a walk (a copy before its insertion, a vma unmapped while
 * a finished walk's avcs still name it). */
static void canon_vma(struct arena_canon *c, const struct vm_area_struct *v)
{
	const char *b = (const char *)v;
	size_t at = offsetof(struct vm_area_struct, id), after = at + sizeof(v->id);
	arena_canon_root(c, b, at);
	arena_canon_root(c, b + after, sizeof(*v) - after);
}

bool explore_canon_object(struct arena_canon *c, const void *p, size_t size, unsigned char kind,
			  void *ctx)
{
	const struct explore_canon_ctx *x = ctx;
	const struct world *w = x->w;
	if (kind == WORLD_OBJ_VMA && size == sizeof(struct vm_area_struct)) {
		if (!x->names)
			return false;
		canon_vma(c, p);
		return true;
	}
	if (!x->layouts)
		return false;
	if (size == sizeof(struct task))
		for (int i = 0; i < w->nr_tasks; i++)
			if (p == w->task[i]) {
				canon_task(c, p);
				return true;
			}
	if (size == sizeof(struct mm_struct))
		for (int i = 0; i < w->nr_mm; i++)
			if (p == w->mm[i]) {
				canon_mm(c, p);
				return true;
			}
	return false;
}
