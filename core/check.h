/* Structural invariants of the model, checked by brute force (oracle.md):
 * the interval tree's order, shape, augmentation and stability; anon_vma
 * chains and refcounts; every mapping reachable by an rmap walk; mapcount
 * against a scan of every page table; the vma layout; lock ownership.
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

#endif
