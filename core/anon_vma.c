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

	av->root = av;
	av->refcount = 1;	/* dropped by the unlink that empties it */
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

void anon_vma_clone(struct world *w, struct vm_area_struct *dst, struct vm_area_struct *src)
{
	struct anon_vma_chain *pavc;

	/* Oldest first, so dst's chain ends up in src's order. */
	list_for_each_entry_reverse(pavc, &src->anon_vma_chain, same_vma)
		anon_vma_chain_link(w, dst, pavc->anon_vma);
}

/* Model abstraction: the kernel links the child's own anon_vma in a second
 * anon_vma lock section after the clone. That anon_vma is new and maps no
 * page yet, so no walk can tell the two sections apart; one step does both. */
void anon_vma_fork(struct world *w, struct vm_area_struct *vma, struct vm_area_struct *pvma)
{
	if (!pvma->anon_vma)
		return;
	anon_vma_clone(w, vma, pvma);
	struct anon_vma *av = anon_vma_alloc(w);
	av->root = pvma->anon_vma->root;
	get_anon_vma(av->root);
	vma->anon_vma = av;
	anon_vma_chain_link(w, vma, av);
}

void unlink_anon_vmas(struct world *w, struct vm_area_struct *vma)
{
	struct anon_vma_chain *avc, *next;

	/* First under the lock: out of every index. An anon_vma left empty
	 * keeps its avc on the chain, as a note to drop its reference. */
	list_for_each_entry_safe(avc, next, &vma->anon_vma_chain, same_vma) {
		anon_vma_index_remove(w, avc);
		if (avc->anon_vma->nr_avcs == 0)
			continue;
		list_del(&avc->same_vma);
		world_dealloc(w, avc, sizeof(*avc));
	}
	list_for_each_entry_safe(avc, next, &vma->anon_vma_chain, same_vma) {
		put_anon_vma(w, avc->anon_vma);
		list_del(&avc->same_vma);
		world_dealloc(w, avc, sizeof(*avc));
	}
}
