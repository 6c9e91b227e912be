/* The anon_vma hierarchy's layout features as first written (oracle.h's
 * oracle_layout_features), by brute force: every per-vma and per-pair
 * feature recomputed from the vma lists, the chains and the page tables
 * each time it is asked for. oracle.c computes the same features in masks
 * of anon_vma ids; this copy is the reference it is checked against
 * (tests/test_oracle_features.c runs inputs with RUN_REFERENCE_LAYOUT and
 * without, and wants the same counters), as lib's interval tree is checked
 * against a list. The layout's other features (home, the pages' walks)
 * were not rewritten: oracle.c computes them once for both. Keep it as it
 * is: a change to a feature is made in both, and the test says whether
 * they agree. */
#include <stddef.h>

#include "anon_vma.h"
#include "mm.h"
#include "oracle.h"
#include "page.h"

static unsigned cap(unsigned v, unsigned max) { return v < max ? v : max; }

/* Where b sits in own's family, seen from own. */
enum kin { KIN_SELF, KIN_ANCESTOR, KIN_DESCENDANT, KIN_COUSIN };

static enum kin kin_of(const struct anon_vma *own, const struct anon_vma *b)
{
	if (b == own)
		return KIN_SELF;
	for (const struct anon_vma *a = own; a->parent != a; a = a->parent)
		if (a->parent == b)
			return KIN_ANCESTOR;
	for (const struct anon_vma *a = b; a->parent != a; a = a->parent)
		if (a->parent == own)
			return KIN_DESCENDANT;
	return KIN_COUSIN;
}

/* The kin of the anon_vmas v's mapped pages name, a bit each. */
static unsigned page_kin(const struct vm_area_struct *v)
{
	unsigned kin = 0;
	for (unsigned long a = v->vm_start & PMD_MASK; a < v->vm_end; a += PMD_SIZE) {
		const struct pmd *pmd = mm_pmd(v->vm_mm, a);
		if (pmd->kind == PMD_HUGE && a >= v->vm_start)
			kin |= 1u << kin_of(v->anon_vma, pmd->page->mapping);
		for (int p = 0; pmd->kind == PMD_TABLE && p < PTRS_PER_PTE; p++) {
			unsigned long at = a + ((unsigned long)p << PAGE_SHIFT);
			if (pmd->pte[p].kind == PTE_PRESENT && at >= v->vm_start && at < v->vm_end)
				kin |= 1u << kin_of(v->anon_vma, pmd->pte[p].page->mapping);
		}
	}
	return kin;
}

/* A vma's chain against the hierarchy: its length, its own anon_vma's
 * place (not first: a fork gave it an older one), whether it holds a
 * cousin of its own (neither ancestor nor descendant: left behind by a
 * reuse higher up) and an anon_vma no vma uses and no child keeps (an
 * avc the only thing left of it); and what its pages' anon_vmas are to
 * its own. */
static bool vma_chain_features(struct oracle *o, const struct vm_area_struct *v)
{
	const struct anon_vma_chain *avc;
	unsigned n = 0, pos = 0;
	bool idle = false, cousin = false;

	list_for_each_entry(avc, &v->anon_vma_chain, same_vma) {
		const struct anon_vma *m = avc->anon_vma;
		if (m == v->anon_vma)
			pos = n;
		else
			idle |= !m->scan_vmas && !m->scan_children;
		cousin |= kin_of(v->anon_vma, m) == KIN_COUSIN;
		n++;
	}
	unsigned f = cap(pos, 2);
	f = f * 2 + cousin;
	f = f * 2 + idle;
	f = f * 5 + cap(n ? n - 1 : 0, 4);
	oracle_feature(o, ORACLE_FEATURE_VMA_CHAIN + f);
	oracle_feature(o, ORACLE_FEATURE_VMA_PAGES + page_kin(v));
	return idle;
}

static unsigned long mix(unsigned long x)	/* splitmix64's finalizer */
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ul;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebul;
	return x ^ (x >> 31);
}

/* Each vma's chain as a whole, hashed into ORACLE_CHAIN_BUCKETS: in chain
 * order, each anon_vma's kin to the vma's own and its users (vmas and
 * non-empty children together: none, one, more; what 3.19's degree, the
 * reuse rule's input, counts), a run of equal entries as one (a chain
 * three generations longer than another but alike is no new shape). The
 * per-object features above see one anon_vma, mm or vma part at a time
 * and saturate within a million executions, after which no state three
 * or four operations deeper in a fork tree looks new: a whole chain's
 * shape goes on growing with the tree (some 15k shapes in 3M executions),
 * so that an input reaching a chain no input reached is kept and built
 * on, as a protocol fuzzer keeps new states. Measured on linux-3.19
 * (/work/research/issue16-search.md): inputs reaching two vmas of one mm
 * sharing an anon_vma off both their lineages rose from 0-1 to 243-435 in
 * 300 s; a hash of the whole world's shape, or of each family's tree,
 * filled any number of buckets with layouts instead. With vmas and
 * children counted apart and runs kept, though, the shapes filled the
 * 16384 buckets (16.4k features in 7M executions): new chains collided
 * with old ones unseen, and the corpus (10k inputs) buried the few deep
 * ones. Coarser, with the vma pairs beside it (vma_pair_features), the
 * corpus is some 800 inputs at 4k features, three times the executions
 * a second, and the linux-3.19 double reuse was found (issue16-search.md). */
static void chain_features(struct oracle *o)
{
	struct world *w = o->w;

	for (int i = 0; i < w->nr_mm; i++) {
		if (w->mm[i]->exited)
			continue;
		for (const struct vm_area_struct *v = w->mm[i]->mmap; v; v = v->vm_next) {
			const struct anon_vma_chain *avc;
			unsigned long h = 1;
			if (!v->anon_vma)
				continue;
			unsigned last = ~0u;
			list_for_each_entry(avc, &v->anon_vma_chain, same_vma) {
				const struct anon_vma *m = avc->anon_vma;
				unsigned t = kin_of(v->anon_vma, m);
				t = t * 3 + cap((unsigned)(m->scan_vmas + m->scan_children), 2);
				if (t != last)
					h = mix(h * 37 + t);
				last = t;
			}
			oracle_feature(o, ORACLE_FEATURE_CHAINS + (unsigned)(h % ORACLE_CHAIN_BUCKETS));
		}
	}
}

/* Is b own itself or one of its ancestors (what a fork links any child of own to)? */
static bool lineage(const struct anon_vma *own, const struct anon_vma *b)
{
	enum kin k = kin_of(own, b);
	return k == KIN_SELF || k == KIN_ANCESTOR;
}

/* Does every anon_vma of a's chain sit on b's too? */
static bool chain_within(const struct vm_area_struct *a, const struct vm_area_struct *b)
{
	const struct anon_vma_chain *avc;
	list_for_each_entry(avc, &a->anon_vma_chain, same_vma)
		if (!anon_vma_chain_holds(b, avc->anon_vma))
			return false;
	return true;
}

/* Does a map a page whose anon_vma b's chain lacks (a walk from that page
 * could not reach b, were the two one vma)? */
static bool pages_beyond(const struct vm_area_struct *a, const struct vm_area_struct *b)
{
	for (unsigned long addr = a->vm_start & PMD_MASK; addr < a->vm_end; addr += PMD_SIZE) {
		const struct pmd *pmd = mm_pmd(a->vm_mm, addr);
		if (pmd->kind == PMD_HUGE && addr >= a->vm_start && !anon_vma_chain_holds(b, pmd->page->mapping))
			return true;
		for (int p = 0; pmd->kind == PMD_TABLE && p < PTRS_PER_PTE; p++) {
			unsigned long at = addr + ((unsigned long)p << PAGE_SHIFT);
			if (pmd->pte[p].kind == PTE_PRESENT && at >= a->vm_start && at < a->vm_end &&
			    !anon_vma_chain_holds(b, pmd->pte[p].page->mapping))
				return true;
		}
	}
	return false;
}

/* Each pair of vmas of an mm, side by side, as vma_merge and
 * anon_vma_clone see two vmas: their own anon_vmas (the same, one an
 * ancestor of the other, or neither), their chains (the same, one within
 * the other, or different: sharing an anon_vma of neither's lineage,
 * with or without users of its own, or not), their places (touching,
 * with their pgoffs running on, so a change of protection or a move back
 * joins them) and whether either maps a page the other's chain cannot
 * reach. The per-vma features see one chain at a time; what one fork or
 * merge does to two vmas at once (both forked from chains that differ,
 * joined while their chains differ) is a relation between them, and the
 * chain hashes, thousands of shapes, collide too much to show it. A fixed,
 * small grid (120): each cell new once, in any mm. */
static void vma_pair_features(struct oracle *o, const struct mm_struct *mm)
{
	for (const struct vm_area_struct *u = mm->mmap; u; u = u->vm_next) {
		if (!u->anon_vma)
			continue;
		for (const struct vm_area_struct *v = u->vm_next; v; v = v->vm_next) {
			if (!v->anon_vma)
				continue;
			enum kin k = kin_of(u->anon_vma, v->anon_vma);
			unsigned own = k == KIN_SELF ? 0 : k == KIN_COUSIN ? 2 : 1;
			bool uv = chain_within(u, v), vu = chain_within(v, u);
			unsigned chains = uv && vu ? 0 : uv || vu ? 1 : 4;
			if (chains == 4) {
				const struct anon_vma_chain *avc;
				list_for_each_entry(avc, &u->anon_vma_chain, same_vma) {
					const struct anon_vma *m = avc->anon_vma;
					if (!anon_vma_chain_holds(v, m) || lineage(u->anon_vma, m) || lineage(v->anon_vma, m))
						continue;
					chains = !m->scan_vmas && !m->scan_children ? 2 : 3;
					if (chains == 2)
						break;
				}
			}
			bool touch = u->vm_end == v->vm_start;
			bool runs_on = u->vm_pgoff + vma_pages(u) == v->vm_pgoff ||
				       v->vm_pgoff + vma_pages(v) == u->vm_pgoff;
			unsigned f = own;
			f = f * 5 + chains;
			f = f * 4 + (unsigned)(touch << 1 | runs_on);
			f = f * 2 + (pages_beyond(u, v) || pages_beyond(v, u));
			oracle_feature(o, ORACLE_FEATURE_VMA_PAIR + f);
		}
	}
}

/* The anon_vma hierarchy (oracle.h), by brute force over every vma. Only
 * where it decides something (the rows that reuse anon_vmas on fork: on
 * the others it cost the walk races' searches a third of their speed),
 * once forks or execs made one (one mm has one family, a root), and only
 * when an object came or went since the last look: these counts move with
 * every fork, exit, split, merge, unmap and new page. */
static void anon_vma_features(struct oracle *o)
{
	struct world *w = o->w;
	struct anon_vma *av;
	unsigned long stamp = (unsigned long)w->nr_mm;

	for (int i = 0; i < w->nr_mm; i++)
		stamp = stamp * 31 + (unsigned long)w->mm[i]->map_count * 2 + w->mm[i]->exited;
	stamp = ((stamp * 31 + w->next_vma_id) * 31 + w->next_anon_vma_id) * 31 +
		(unsigned long)w->nr_anon_vmas * 7 + (unsigned long)w->nr_page_blocks;
	if (w->proto->anon_vma_reuse == REUSE_NONE || w->nr_mm < 2 || stamp == o->hierarchy_seen)
		return;
	o->hierarchy_seen = stamp;

	list_for_each_entry(av, &w->anon_vmas, world_node)
		av->scan_vmas = av->scan_children = 0;
	list_for_each_entry(av, &w->anon_vmas, world_node)
		if (av->parent != av && av->nr_avcs)
			av->parent->scan_children++;
	for (int i = 0; i < w->nr_mm; i++)
		for (struct vm_area_struct *v = w->mm[i]->mmap; v; v = v->vm_next)
			if (v->anon_vma)
				v->anon_vma->scan_vmas++;
	for (int i = 0; i < w->nr_mm; i++) {
		struct mm_struct *mm = w->mm[i];
		const struct anon_vma *seen[MAX_MAP_COUNT + 1];
		unsigned vmas = 0, anon_vmas = 0, chain = 0, idle = 0;
		if (mm->exited)
			continue;
		for (struct vm_area_struct *v = mm->mmap; v; v = v->vm_next) {
			if (!v->anon_vma)
				continue;
			vmas++;
			unsigned k = 0, n = 0;
			while (k < anon_vmas && seen[k] != v->anon_vma)
				k++;
			if (k == anon_vmas && anon_vmas <= MAX_MAP_COUNT)
				seen[anon_vmas++] = v->anon_vma;
			const struct anon_vma_chain *avc;
			list_for_each_entry(avc, &v->anon_vma_chain, same_vma)
				n++;
			chain = n > chain ? n : chain;
			idle += vma_chain_features(o, v);
		}
		oracle_feature(o, ORACLE_FEATURE_MM_FAMILY +
				  ((cap(vmas, 3) * 3 + cap(anon_vmas, 2)) * 6 + cap(chain, 5)) * 3 +
				  cap(idle, 2));
		vma_pair_features(o, mm);
	}
	list_for_each_entry(av, &w->anon_vmas, world_node) {
		if (!av->nr_avcs)
			continue;	/* on its way out, held by a walker */
		unsigned depth = 0;
		for (const struct anon_vma *a = av; a->parent != a && depth < 4; a = a->parent)
			depth++;
		oracle_feature(o, ORACLE_FEATURE_ANON_VMA + (depth * 3 + cap((unsigned)av->scan_vmas, 2)) * 3 +
				  cap((unsigned)av->scan_children, 2));
	}
	chain_features(o);
}

void oracle_hierarchy_features_reference(struct oracle *o) { anon_vma_features(o); }
