#include "anon_vma.h"

#include "mm.h"
#include "world.h"

pgoff_t avc_start_pgoff(const struct anon_vma_chain *avc) { return avc->vma->vm_pgoff; }
pgoff_t avc_last_pgoff(const struct anon_vma_chain *avc)
{
	return avc->vma->vm_pgoff + vma_pages(avc->vma) - 1;
}

struct anon_vma *anon_vma_alloc(struct world *w)
{
	struct anon_vma *av = world_alloc(w, sizeof(*av));

	av->root = av->parent = av;
	av->refcount = 1;	/* dropped by the unlink that empties it */
	/* 3.19's anon_vma_alloc set degree to 1, the "reference for first
	 * vma", in advance; here the vma's link counts it (count_vma), as
	 * 2555283eb40d counts num_active_vmas: the same sums. */
	lock_init(&av->rwsem, LOCK_ANON_VMA);
	INIT_LIST_HEAD(&av->head);
	INIT_LIST_HEAD(&av->templist);
	av->id = w->next_anon_vma_id++;
	list_add_tail(&av->world_node, &w->anon_vmas);
	w->nr_anon_vmas++;
	return av;
}

void get_anon_vma(struct anon_vma *av) { av->refcount++; }

static void anon_vma_free(struct world *w, struct anon_vma *av)
{
	if (av->nr_avcs)
		world_model_bug(w, "anon_vma %lu freed with %d avcs indexed", av->id, av->nr_avcs);
	list_move_tail(&av->world_node, &w->dead_anon_vmas);
	av->dead = true;
	w->nr_anon_vmas--;
}

/* A child anon_vma holds a reference on its root (anon_vma_fork), so a root
 * outlives its family and the rwsem every member locks stays valid. */
void put_anon_vma(struct world *w, struct anon_vma *av)
{
	if (av->dead) {	/* kept as dead so that this is a report, not a use-after-free */
		world_model_bug(w, "put_anon_vma: anon_vma %lu was already freed", av->id);
		return;
	}
	if (--av->refcount > 0)
		return;
	struct anon_vma *root = av->root;
	anon_vma_free(w, av);
	if (root != av && --root->refcount == 0)
		anon_vma_free(w, root);
}

void anon_vma_index_insert(struct world *w, struct anon_vma_chain *avc)
{
	struct anon_vma *av = avc->anon_vma;

	avc->seq = ++w->avc_seq;
	av->nr_avcs++;
	if (avc->vma->rmap_templist && w->proto->templist != TEMPLIST_OFF) {
		list_add_tail(&avc->templist_node, &av->templist);
		avc->on_templist = true;
		return;
	}
	if (w->proto->index == INDEX_LIST) {
		list_add_tail(&avc->same_anon_vma, &av->head);
		return;
	}
	avc->rb.start = avc_start_pgoff(avc);
	avc->rb.last = avc_last_pgoff(avc);
	itree_insert(&av->rb_root, &avc->rb, w->proto->tree_equal);
}

void anon_vma_index_remove(struct world *w, struct anon_vma_chain *avc)
{
	struct anon_vma *av = avc->anon_vma;

	av->nr_avcs--;
	if (avc->on_templist) {
		list_del(&avc->templist_node);
		avc->on_templist = false;
	} else if (w->proto->index == INDEX_LIST)
		list_del(&avc->same_anon_vma);
	else
		itree_remove(&av->rb_root, &avc->rb);
	/* Out of the index, its insertion number and tree node are read by
	 * nothing (the next insertion gives both anew): cleared, so that a
	 * state does not remember how many insertions came before (the
	 * explorer's hash, docs/explore.md "Names"). */
	avc->seq = 0;
	avc->rb = (struct itree_node){ 0 };
}

static bool avc_covers(const struct anon_vma_chain *avc, pgoff_t pgoff)
{
	return avc_start_pgoff(avc) <= pgoff && pgoff <= avc_last_pgoff(avc);
}

int anon_vma_index_query(struct world *w, struct anon_vma *av, pgoff_t pgoff,
			 struct anon_vma_chain **out, int max)
{
	struct anon_vma_chain *avc;
	int n = 0;

	if (w->proto->index == INDEX_LIST) {
		/* The list is not keyed: a walk visits every avc in insertion
		 * order and vma_address() skips those not covering pgoff. */
		list_for_each_entry(avc, &av->head, same_anon_vma)
			if (n < max && avc_covers(avc, pgoff))
				out[n++] = avc;
	} else {
		for (struct itree_node *node = itree_iter_first(&av->rb_root, pgoff, pgoff);
		     node && n < max; node = itree_iter_next(node, pgoff, pgoff))
			out[n++] = container_of(node, struct anon_vma_chain, rb);
	}
	list_for_each_entry(avc, &av->templist, templist_node)
		if (n < max && avc_covers(avc, pgoff))
			out[n++] = avc;
	return n;
}

void anon_vma_templist_flush(struct world *w, struct vm_area_struct *vma)
{
	struct anon_vma_chain *avc;

	vma->rmap_templist = false;
	list_for_each_entry(avc, &vma->anon_vma_chain, same_vma) {
		if (!avc->on_templist)
			continue;
		anon_vma_index_remove(w, avc);
		anon_vma_index_insert(w, avc);
	}
}

void anon_vma_templist_add(struct world *w, struct vm_area_struct *vma)
{
	struct anon_vma_chain *avc;

	vma->rmap_templist = true;
	list_for_each_entry(avc, &vma->anon_vma_chain, same_vma) {
		if (avc->on_templist)
			continue;
		anon_vma_index_remove(w, avc);
		anon_vma_index_insert(w, avc);
	}
}

void anon_vma_moveto_tail(struct world *w, struct vm_area_struct *vma)
{
	struct anon_vma_chain *avc;

	(void)w;
	/* Oldest anon_vma first, as the kernel walks the chain in reverse. */
	list_for_each_entry_reverse(avc, &vma->anon_vma_chain, same_vma)
		list_move_tail(&avc->same_anon_vma, &avc->anon_vma->head);
}

/* The tree is keyed by the vma's range, so a range change must take the
 * vma's avcs out first and put them back after: an equal start then lands
 * after its peers. The list form (before 3.7) is not keyed and keeps its
 * place. */
void anon_vma_interval_tree_pre_update_vma(struct world *w, struct vm_area_struct *vma)
{
	struct anon_vma_chain *avc;

	if (w->proto->index == INDEX_LIST)
		return;
	list_for_each_entry(avc, &vma->anon_vma_chain, same_vma)
		anon_vma_index_remove(w, avc);
}

void anon_vma_interval_tree_post_update_vma(struct world *w, struct vm_area_struct *vma)
{
	struct anon_vma_chain *avc;

	if (w->proto->index == INDEX_LIST)
		return;
	list_for_each_entry(avc, &vma->anon_vma_chain, same_vma)
		anon_vma_index_insert(w, avc);
}

void anon_vma_chain_link(struct world *w, struct vm_area_struct *vma, struct anon_vma *av)
{
	struct anon_vma_chain *avc = world_alloc(w, sizeof(*avc));

	avc->vma = vma;
	avc->anon_vma = av;
	list_add(&avc->same_vma, &vma->anon_vma_chain);
	anon_vma_index_insert(w, avc);
}

/* anon_vma_compatible(): a and b adjacent, alike, with linear page offsets. */
static bool anon_vma_compatible(const struct vm_area_struct *a, const struct vm_area_struct *b)
{
	return a->vm_end == b->vm_start && a->vm_flags == b->vm_flags &&
	       b->vm_pgoff == a->vm_pgoff + ((b->vm_start - a->vm_start) >> PAGE_SHIFT);
}

/* Only a neighbour with a single avc (its own anon_vma, no forked
 * ancestry) may share: otherwise its pages could map through anon_vmas
 * the new vma is not linked to. */
static struct anon_vma *reusable_anon_vma(struct vm_area_struct *old, struct vm_area_struct *a,
					  struct vm_area_struct *b)
{
	if (anon_vma_compatible(a, b) && old->anon_vma && list_is_singular(&old->anon_vma_chain))
		return old->anon_vma;
	return NULL;
}

struct anon_vma *find_mergeable_anon_vma(struct vm_area_struct *vma)
{
	struct anon_vma *av = NULL;

	if (vma->vm_next)
		av = reusable_anon_vma(vma->vm_next, vma, vma->vm_next);
	if (!av && vma->vm_prev)
		av = reusable_anon_vma(vma->vm_prev, vma->vm_prev, vma);
	return av;
}

/* The row's counter of vmas whose ->anon_vma av is, by delta. */
static void count_vma(struct world *w, struct anon_vma *av, int delta)
{
	if (w->proto->anon_vma_reuse == REUSE_DEGREE)
		av->degree += delta;
	else if (w->proto->anon_vma_reuse == REUSE_COUNTS)
		av->num_active_vmas += delta;
}

/* The row's counter of av's children (a root counting itself), by delta. */
static void count_child(struct world *w, struct anon_vma *av, int delta)
{
	if (w->proto->anon_vma_reuse == REUSE_DEGREE)
		av->degree += delta;
	else if (w->proto->anon_vma_reuse == REUSE_COUNTS)
		av->num_children += delta;
}

void anon_vma_prepare_link(struct world *w, struct vm_area_struct *vma, struct anon_vma *av,
			   bool allocated)
{
	/* A new root is its own parent: "self-parent link for new root". It
	 * makes a root look like an anon_vma with a child to the reuse rule,
	 * which is why no root is ever reused. */
	if (allocated)
		count_child(w, av, 1);
	vma->anon_vma = av;
	anon_vma_chain_link(w, vma, av);
	count_vma(w, av, 1);
}

/* anon_vma_clone()'s reuse test for av, an anon_vma of src's chain. 3.19's
 * reading of degree: an anon_vma on src's chain that is not src's own must
 * be an ancestor of it, so it has a child, and degree 1 means that child
 * and no vma. 2555283eb40d counts the two apart instead. */
static bool reusable(struct world *w, const struct anon_vma *av, const struct vm_area_struct *src)
{
	switch (w->proto->anon_vma_reuse) {
	case REUSE_DEGREE:
		return av != src->anon_vma && av->degree < 2;
	case REUSE_COUNTS:
		return src->anon_vma && av->num_children < 2 && av->num_active_vmas == 0;
	default:
		return false;
	}
}

void anon_vma_clone(struct world *w, struct vm_area_struct *dst, struct vm_area_struct *src)
{
	struct anon_vma_chain *pavc;

	/* Oldest first, so dst's chain ends up in src's order, and the reuse
	 * takes the oldest anon_vma that qualifies. */
	list_for_each_entry_reverse(pavc, &src->anon_vma_chain, same_vma) {
		anon_vma_chain_link(w, dst, pavc->anon_vma);
		if (!dst->anon_vma && reusable(w, pavc->anon_vma, src))
			dst->anon_vma = pavc->anon_vma;
	}
	if (dst->anon_vma)
		count_vma(w, dst->anon_vma, 1);
}

/* Model abstraction: the kernel links the child's own anon_vma in a second
 * anon_vma lock section after the clone. That anon_vma is new and maps no
 * page yet, so no walk can tell the two sections apart; one step does both. */
bool anon_vma_fork(struct world *w, struct vm_area_struct *vma, struct vm_area_struct *pvma)
{
	if (!pvma->anon_vma)
		return false;
	anon_vma_clone(w, vma, pvma);
	if (vma->anon_vma)
		return true;	/* reused: no new anon_vma, no reference on the root */
	struct anon_vma *av = anon_vma_alloc(w);
	count_vma(w, av, 1);
	av->root = pvma->anon_vma->root;
	av->parent = pvma->anon_vma;
	get_anon_vma(av->root);
	vma->anon_vma = av;
	anon_vma_chain_link(w, vma, av);
	count_child(w, av->parent, 1);
	return false;
}

void unlink_anon_vmas_locked(struct world *w, struct vm_area_struct *vma)
{
	struct anon_vma_chain *avc, *next;

	if (list_empty(&vma->anon_vma_chain))
		return;
	list_for_each_entry_safe(avc, next, &vma->anon_vma_chain, same_vma) {
		struct anon_vma *av = avc->anon_vma;
		anon_vma_index_remove(w, avc);
		if (av->nr_avcs == 0) {
			count_child(w, av->parent, -1);
			continue;
		}
		list_del(&avc->same_vma);
		world_dealloc(w, avc, sizeof(*avc));
	}
	if (vma->anon_vma)
		count_vma(w, vma->anon_vma, -1);
}

void unlink_anon_vmas_put(struct world *w, struct vm_area_struct *vma)
{
	struct anon_vma_chain *avc, *next;

	/* Newest first: a child goes before the parent, the root last. */
	list_for_each_entry_safe(avc, next, &vma->anon_vma_chain, same_vma) {
		put_anon_vma(w, avc->anon_vma);
		list_del(&avc->same_vma);
		world_dealloc(w, avc, sizeof(*avc));
	}
}

void unlink_anon_vmas(struct world *w, struct vm_area_struct *vma)
{
	unlink_anon_vmas_locked(w, vma);
	unlink_anon_vmas_put(w, vma);
}

bool anon_vma_chain_holds(const struct vm_area_struct *vma, const struct anon_vma *av)
{
	const struct anon_vma_chain *avc;
	list_for_each_entry(avc, &vma->anon_vma_chain, same_vma)
		if (avc->anon_vma == av)
			return true;
	return false;
}
