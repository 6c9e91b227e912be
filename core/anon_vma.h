/* anon_vma and anon_vma_chain: which vmas may map a page (mm/rmap.c).
 *
 * Every function here that changes an index expects the caller's step to hold
 * the root anon_vma's rwsem for write (anon_vma_lock(av)); taking locks is
 * the step's job because only a step can block.
 */
#ifndef RMAP_ANON_VMA_H
#define RMAP_ANON_VMA_H

#include "interval_tree.h"
#include "list.h"
#include "lock.h"
#include "pgtable.h"

struct world;
struct vm_area_struct;

/* Lifetime (mm/rmap.c): refcount is 1 while the anon_vma's tree holds an
 * avc (the reference anon_vma_alloc made, put by the unlink that empties
 * the tree), plus one per child that pins it as its root, plus one per
 * walker that took it with page_get_anon_vma. At 0 it is freed
 * (__put_anon_vma): kept on world->dead_anon_vmas, so that anything still
 * reaching it is a report, not a use-after-free of the model.
 *
 * Reuse (3.19 on, protocol.h's anon_vma_reuse): parent, and the counters
 * the row's kernel keeps, the others staying 0: degree (3.19 to 5.19.6)
 * counts the vmas whose ->anon_vma this is plus its children whose trees
 * are not empty, a root counting itself; the fix splits it into
 * num_children (the same children, the root itself included) and
 * num_active_vmas (the vmas). */
struct anon_vma {
	struct anon_vma *root;	/* oldest of the family; only its rwsem is taken */
	struct anon_vma *parent;	/* the anon_vma it was forked from; a root's own */
	int refcount;
	int degree;		/* REUSE_DEGREE */
	int num_children, num_active_vmas;	/* REUSE_COUNTS */
	bool dead;		/* freed: on world->dead_anon_vmas */
	struct lock rwsem;
	/* The index of this anon_vma's avcs: one of the two forms, per protocol. */
	struct itree_root rb_root;	/* INDEX_TREE */
	struct list_head head;		/* INDEX_LIST: same_anon_vma, oldest first */
	struct list_head templist;	/* avcs of vmas being filled, walked last */
	int nr_avcs;			/* indexed, templist included */
	unsigned long id;
	struct list_head world_node;	/* world->anon_vmas: for checks and teardown */
	int scan_vmas, scan_children;	/* the oracle's scratch counts */
};

struct anon_vma_chain {
	struct vm_area_struct *vma;
	struct anon_vma *anon_vma;
	struct list_head same_vma;	/* on vma->anon_vma_chain, newest first */
	struct itree_node rb;		/* INDEX_TREE; key cached at insert */
	struct list_head same_anon_vma;	/* INDEX_LIST */
	struct list_head templist_node;	/* on anon_vma->templist when on_templist */
	bool on_templist;
	unsigned long seq;		/* insertion number, to check tree stability */
};

static inline struct lock *anon_vma_lock(struct anon_vma *av) { return &av->root->rwsem; }

/* vm_pgoff range of a vma, the interval tree's key. */
pgoff_t avc_start_pgoff(const struct anon_vma_chain *avc);
pgoff_t avc_last_pgoff(const struct anon_vma_chain *avc);

struct anon_vma *anon_vma_alloc(struct world *w);
void get_anon_vma(struct anon_vma *av);
void put_anon_vma(struct world *w, struct anon_vma *av);

/* The index, whichever form the protocol selects. */
void anon_vma_index_insert(struct world *w, struct anon_vma_chain *avc);
void anon_vma_index_remove(struct world *w, struct anon_vma_chain *avc);
/* avcs of av whose range contains pgoff, in walk order (the templist after
 * the index); returns how many. */
int anon_vma_index_query(struct world *w, struct anon_vma *av, pgoff_t pgoff,
			 struct anon_vma_chain **out, int max);
/* vma_adjust's re-indexing around a change of start, end or pgoff. */
void anon_vma_interval_tree_pre_update_vma(struct world *w, struct vm_area_struct *vma);
void anon_vma_interval_tree_post_update_vma(struct world *w, struct vm_area_struct *vma);

/* The templist protocols: the copy or move into vma is done, so its avcs
 * leave the templist for the index (a second AV(w) section). */
void anon_vma_templist_flush(struct world *w, struct vm_area_struct *vma);
/* The templist protocols, mremap's move-back: the old vma is being filled
 * by a move, so its avcs leave the index for the templist (walked after
 * the new vma's, already there) until the move-back is done. */
void anon_vma_templist_add(struct world *w, struct vm_area_struct *vma);
/* 3.3-3.6: move vma's avcs to the tail of their lists, so walks meet it
 * after the vma whose entries are about to move into it. */
void anon_vma_moveto_tail(struct world *w, struct vm_area_struct *vma);

void anon_vma_chain_link(struct world *w, struct vm_area_struct *vma, struct anon_vma *av);
/* Is av on vma's chain (an avc of vma links it)? What a walk from a page
 * whose anon_vma is av needs of every vma mapping it. */
bool anon_vma_chain_holds(const struct vm_area_struct *vma, const struct anon_vma *av);
/* anon_vma_prepare's choice: a neighbour's anon_vma when it may be shared. */
struct anon_vma *find_mergeable_anon_vma(struct vm_area_struct *vma);
/* __anon_vma_prepare's locked part: av (allocated for it, or the
 * neighbour's) becomes vma's anon_vma, linked, counted. */
void anon_vma_prepare_link(struct world *w, struct vm_area_struct *vma, struct anon_vma *av,
			   bool allocated);
/* Link dst into every anon_vma of src's chain, oldest first. A dst without
 * an anon_vma (anon_vma_fork's) may take one of them, by the row's reuse
 * rule; every other caller sets dst->anon_vma first (a copy of src). */
void anon_vma_clone(struct world *w, struct vm_area_struct *dst, struct vm_area_struct *src);
/* Clone the parent's chain; unless the clone reused an anon_vma (then it
 * returns true), give the child a new one of its own. The caller has
 * cleared vma->anon_vma. */
bool anon_vma_fork(struct world *w, struct vm_area_struct *vma, struct vm_area_struct *pvma);
/* unlink_anon_vmas() in its two halves, as the kernel runs them: under the
 * root's lock, every avc out of its index (an anon_vma left empty keeps
 * its avc on vma's chain, as a note), and the counters; after the lock is
 * dropped (freeing may take it), the put of each anon_vma left empty. A
 * vma already unlinked (an empty chain) is left alone. */
void unlink_anon_vmas_locked(struct world *w, struct vm_area_struct *vma);
void unlink_anon_vmas_put(struct world *w, struct vm_area_struct *vma);
/* Both halves, for teardown where no lock is held. */
void unlink_anon_vmas(struct world *w, struct vm_area_struct *vma);

#endif
