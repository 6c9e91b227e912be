/* Structural invariants of the model, checked by brute force (oracle.md):
 * the interval tree's order, shape, augmentation and stability; anon_vma
 * chains; anon_vma lifetime and counters (refcount, the reuse counters);
 * every mapping reachable by an rmap walk; mapcount against a scan of
 * every page table; the vma layout; lock ownership.
 * Callable after any step; it reads the world and changes nothing. */
#ifndef RMAP_CHECK_H
#define RMAP_CHECK_H

struct world;

struct check_failure {
	const char *invariant;	/* short stable name: "mapcount", "interval-tree", ... */
	char message[256];
};

/* 0 when every invariant holds, else -1 and the first failure in *out. */
int rmap_check(struct world *w, struct check_failure *out);

/* anon-vma-lifetime alone (rmap_check runs it first): no freed anon_vma is
 * named by a mapped page, a linked vma or its avcs, a live anon_vma of its
 * family (as root, or as parent while that one's tree is not empty), or a
 * walker's reference. Free when nothing was ever freed. */
int rmap_check_lifetime(struct world *w, struct check_failure *out);

#endif
