#include "oracle.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "anon_vma.h"
#include "arena.h"
#include "check.h"
#include "mm.h"
#include "page.h"
#include "runlog.h"
#include "task.h"
#include "tlb.h"

/* The families (oracle.h). The walk family holds what is not named here
 * too: the structural checks (check.h) name themselves. */
static const char *const walk_invariants[] = {
	"split-missed-pmd", "stale-migration-entry", "missed-vma", "kernel-bug",
	"structural checks (check.h)", NULL,
};
static const char *const tlb_invariants[] = { "stale-tlb", NULL };
static const char *const lifetime_invariants[] = { "anon-vma-lifetime", "anon-vma-counters", NULL };
static const struct {
	const char *name;
	const char *const *invariants;
} families[NR_FAMILIES] = {
	{ "walk", walk_invariants },
	{ "tlb", tlb_invariants },
	{ "lifetime", lifetime_invariants },
};

static int family_index(unsigned family)
{
	for (int i = 0; i < NR_FAMILIES; i++)
		if (family == 1u << i)
			return i;
	return -1;
}

const char *family_name(unsigned family)
{
	int i = family_index(family);
	return i < 0 ? NULL : families[i].name;
}

const char *const *family_invariants(unsigned family)
{
	int i = family_index(family);
	return i < 0 ? NULL : families[i].invariants;
}

unsigned invariant_family(const char *invariant)
{
	if (!strcmp(invariant, "model-bug"))
		return 0;
	for (int i = 1; i < NR_FAMILIES; i++)
		for (const char *const *n = families[i].invariants; *n; n++)
			if (!strcmp(*n, invariant))
				return 1u << i;
	return FAMILY_WALK;
}

bool invariant_families_parse(const char *spec, unsigned *out, char *why, size_t size)
{
	unsigned mask = 0;
	const char *s = spec;

	for (;;) {
		size_t n = strcspn(s, ",");
		int found = -1;
		for (int i = 0; i < NR_FAMILIES && found < 0; i++)
			if (n == strlen(families[i].name) && !strncmp(s, families[i].name, n))
				found = i;
		if (found >= 0)
			mask |= 1u << found;
		else if (n == 3 && !strncmp(s, "all", 3))
			mask |= FAMILY_ALL;
		else {
			snprintf(why, size, "unknown invariant family '%.*s' (known: walk, tlb, lifetime, "
				 "all)", (int)n, s);
			return false;
		}
		if (!s[n])
			break;
		s += n + 1;
	}
	*out = mask;
	return true;
}

static void violate(struct oracle *o, const char *invariant, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The first violation of a family the run checks; the others are not
 * looked for (their checks are skipped) or, for a halt of the world,
 * let pass: the world stops either way. */
static void violate(struct oracle *o, const char *invariant, const char *fmt, ...)
{
	unsigned family = invariant_family(invariant);
	if (o->invariant || (family && !(o->families & family)))
		return;
	o->invariant = invariant;
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	sb_printf(&o->detail, "%s", line);
}

enum scan_what { SCAN_HUGE_UNFROZEN, SCAN_HUGE_ANY, SCAN_PRESENT, SCAN_MIGRATION };

/* Calls found(mm, addr) for every entry of the kind that maps page. */
typedef bool (*found_fn)(struct oracle *o, const struct rmap_walk *walk, struct mm_struct *mm,
			 unsigned long addr);

static bool scan(struct oracle *o, const struct rmap_walk *walk, struct page *page,
		 enum scan_what what, found_fn found)
{
	struct world *w = o->w;
	for (int i = 0; i < w->nr_mm; i++) {
		struct mm_struct *mm = w->mm[i];
		for (unsigned long slot = 0; slot < NR_PMDS; slot++) {
			struct pmd *pmd = &mm->pmd[slot];
			unsigned long addr = slot << PMD_SHIFT;
			if (pmd->kind == PMD_HUGE) {
				if (pmd->page != page)
					continue;
				if ((what == SCAN_HUGE_ANY || (what == SCAN_HUGE_UNFROZEN && !pmd->splitting)) &&
				    !found(o, walk, mm, addr))
					return false;
				continue;
			}
			if (pmd->kind != PMD_TABLE || what == SCAN_HUGE_ANY || what == SCAN_HUGE_UNFROZEN)
				continue;
			for (int p = 0; p < PTRS_PER_PTE; p++) {
				const struct pte *pte = &pmd->pte[p];
				if (pte->page == page &&
				    pte->kind == (what == SCAN_PRESENT ? PTE_PRESENT : PTE_MIGRATION) &&
				    !found(o, walk, mm, addr + ((unsigned long)p << PAGE_SHIFT)))
					return false;
			}
		}
	}
	/* Entries a move has taken out and not yet set: they land at addr. */
	for (int i = 0; i < w->nr_tasks; i++)
		for (int e = 0; e < w->task[i]->nr_inflight; e++) {
			const struct inflight *in = &w->task[i]->inflight[e];
			bool match = in->kind == INFLIGHT_PMD
				? in->page == page && (what == SCAN_HUGE_ANY || what == SCAN_HUGE_UNFROZEN)
				: in->kind == INFLIGHT_PTE && in->pte.page == page &&
				  (what == SCAN_PRESENT || what == SCAN_MIGRATION) &&
				  in->pte.kind == (what == SCAN_PRESENT ? PTE_PRESENT : PTE_MIGRATION);
			if (match && !found(o, walk, in->mm, in->addr))
				return false;
		}
	return true;
}

static bool walk_visits(const struct rmap_walk *walk, const struct vm_area_struct *vma)
{
	for (int i = 0; i < walk->nr; i++)
		if (walk->avc[i]->vma == vma)
			return true;
	return false;
}

static void note_walk(struct oracle *o, const struct rmap_walk *walk)
{
	o->walk = walk;
	o->page = walk->page;
}

/* Where the first violation is: what a report explains. */
static void note_missed(struct oracle *o, const struct mm_struct *mm, unsigned long addr,
			const struct vm_area_struct *vma)
{
	if (o->invariant)
		return;
	o->missed.set = true;
	o->missed.mm = mm->id;
	o->missed.addr = addr;
	o->missed.vma = vma ? (long)vma->id : -1;
}

static bool unvisited_vma(struct oracle *o, const struct rmap_walk *walk, struct mm_struct *mm,
			  unsigned long addr)
{
	struct vm_area_struct *vma = vma_covering(mm, addr);
	if (vma && walk_visits(walk, vma))
		return true;
	note_walk(o, walk);
	note_missed(o, mm, addr, vma);
	if (vma)
		violate(o, "missed-vma", "%s of page %lu took the anon_vma lock while mm%d vma%lu "
			"[%#lx, %#lx) mapped it at %#lx, and will not visit that vma",
			rmap_walk_kind_name(walk->kind), walk->page->id, mm->id, vma->id, vma->vm_start,
			vma->vm_end, addr);
	else
		violate(o, "missed-vma", "%s of page %lu: mm%d maps it at %#lx outside every vma",
			rmap_walk_kind_name(walk->kind), walk->page->id, mm->id, addr);
	return false;
}

static bool left_huge(struct oracle *o, const struct rmap_walk *walk, struct mm_struct *mm,
		      unsigned long addr)
{
	note_walk(o, walk);
	note_missed(o, mm, addr, NULL);
	violate(o, "split-missed-pmd", "%s of page %lu ended; mm%d still maps it by a huge pmd at "
		"%#lx that the walk never froze", rmap_walk_kind_name(walk->kind), walk->page->id,
		mm->id, addr);
	return false;
}

static bool stale_entry(struct oracle *o, const struct rmap_walk *walk, struct mm_struct *mm,
			unsigned long addr)
{
	note_walk(o, walk);
	note_missed(o, mm, addr, NULL);
	violate(o, "stale-migration-entry", "remove_migration_ptes of page %lu ended; mm%d %#lx "
		"still holds a migration entry for it (the next fault there BUGs)", walk->page->id,
		mm->id, addr);
	return false;
}

static void walk_begin(struct oracle *o, const struct rmap_walk *walk)
{
	if (!(o->families & FAMILY_WALK))
		return;
	switch (walk->kind) {
	case WALK_SPLIT_PASS1:
		scan(o, walk, walk->page, SCAN_HUGE_ANY, unvisited_vma);
		break;
	case WALK_TRY_TO_UNMAP:
		scan(o, walk, walk->page, SCAN_PRESENT, unvisited_vma);
		break;
	case WALK_REMOVE_MIGRATION:
		scan(o, walk, walk->page, SCAN_MIGRATION, unvisited_vma);
		break;
	default:
		break;
	}
}

static void walk_end(struct oracle *o, const struct rmap_walk *walk)
{
	if (!(o->families & FAMILY_WALK))
		return;
	switch (walk->kind) {
	case WALK_SPLIT_PASS1:
		if (!scan(o, walk, walk->page, SCAN_HUGE_UNFROZEN, left_huge))
			break;
		if (walk->count != page_mapcount(walk->page)) {
			note_walk(o, walk);
			violate(o, "split-missed-pmd", "split_huge_page pass 1 of page %lu counted %d huge "
				"pmds, page_mapcount %d (the kernel's BUG_ON)", walk->page->id,
				walk->count, page_mapcount(walk->page));
		}
		break;
	case WALK_SPLIT_PASS2:
		scan(o, walk, walk->page, SCAN_HUGE_ANY, left_huge);
		break;
	case WALK_REMOVE_MIGRATION:
		scan(o, walk, walk->page, SCAN_MIGRATION, stale_entry);
		break;
	default:
		break;
	}
}

static bool visited_by(const struct rmap_walk *walk, const struct vm_area_struct *vma)
{
	for (int i = 0; i < walk->next; i++)
		if (walk->avc[i]->vma == vma)
			return true;
	return false;
}

static void track_walk(struct oracle *o, const struct rmap_walk *walk, bool begin)
{
	for (int i = 0; i < o->nr_active; i++)
		if (o->active[i] == walk) {
			o->active[i] = o->active[--o->nr_active];
			break;
		}
	if (begin && o->nr_active < ORACLE_MAX_WALKS)
		o->active[o->nr_active++] = walk;
}

/* An entry of a page changed while a walk of that page was under way: the
 * feature says which walk, what change, and whether the walk had already
 * been past the source and the destination. */
static void entry_during_walks(struct oracle *o, const struct rmap_event *ev)
{
	const struct page *page = ev->entry.page;
	for (int i = 0; i < o->nr_active; i++) {
		const struct rmap_walk *walk = o->active[i];
		if (walk->page != page && walk->page != page->head)
			continue;
		struct vm_area_struct *dst = vma_covering(ev->entry.mm, ev->entry.addr);
		struct vm_area_struct *src =
			ev->entry.from_mm ? vma_covering(ev->entry.from_mm, ev->entry.from) : NULL;
		unsigned f = walk->kind;
		f = f * 8 + ev->entry.change;
		f = f * 2 + ev->entry.huge;
		f = f * 2 + ev->entry.locked;
		f = f * 2 + (dst && visited_by(walk, dst));
		f = f * 2 + (src && visited_by(walk, src));
		oracle_feature(o, ORACLE_FEATURE_INTERLEAVE + f);
	}
}

/* A copy or move, by the order a walk of the page would meet its source
 * and destination: the mail's whole argument is about this order. */
static void order_feature(struct oracle *o, const struct rmap_event *ev)
{
	const struct page *page = ev->entry.page;
	if (!ev->entry.from_mm || !page->mapping)
		return;
	const struct vm_area_struct *to = vma_covering(ev->entry.mm, ev->entry.addr);
	const struct vm_area_struct *from = vma_covering(ev->entry.from_mm, ev->entry.from);
	struct anon_vma_chain **avcs = o->avcs;
	int n = anon_vma_index_query(o->w, page->mapping, page->index, avcs, ORACLE_MAX_AVCS);
	int dst = -1, src = -1;
	/* Their places in the walk order, -1 where absent. */
	for (int i = 0; i < n; i++) {
		if (dst < 0 && avcs[i]->vma == to)
			dst = i;
		if (src < 0 && avcs[i]->vma == from)
			src = i;
	}
	unsigned f = ev->entry.change == ENTRY_MOVE;
	f = f * 2 + ev->entry.huge;
	f = f * 2 + ev->entry.locked;
	f = f * 3 + (dst < 0 || src < 0 ? 2 : dst < src);
	oracle_feature(o, ORACLE_FEATURE_ORDER + f);
}

static bool maps_page(const struct vm_area_struct *vma, const struct page *page)
{
	unsigned long addr = vma_address_of(vma, page->index);
	const struct pmd *pmd = mm_pmd(vma->vm_mm, addr);
	if (pmd->kind == PMD_HUGE)
		return pmd->page == page;
	return pmd->kind == PMD_TABLE && pmd->pte[pte_index(addr)].page == page &&
	       pmd->pte[pte_index(addr)].kind != PTE_NONE;
}

/* A vma moved away from its home (the address its pgoff was mapped at):
 * is home free, and would moving it back join it to the neighbours it was
 * cut from? That is the layout where a merge puts the destination first. */
static void home_features(struct oracle *o, struct mm_struct *mm)
{
	for (struct vm_area_struct *v = mm->mmap; v; v = v->vm_next) {
		unsigned long home = v->vm_pgoff << PAGE_SHIFT, len = v->vm_end - v->vm_start;
		if (!v->anon_vma || home == v->vm_start || home >= TASK_SIZE)
			continue;
		bool free = range_is_free(mm, home, home + len), prev = false, next = false, thp = false;
		for (struct vm_area_struct *u = mm->mmap; u; u = u->vm_next) {
			if (u->anon_vma != v->anon_vma)
				continue;
			prev |= u->vm_end == home && u->vm_pgoff + vma_pages(u) == v->vm_pgoff;
			next |= u->vm_start == home + len && v->vm_pgoff + vma_pages(v) == u->vm_pgoff;
		}
		for (unsigned long a = v->vm_start; a < v->vm_end && !thp; a += PMD_SIZE)
			thp = pmd_trans_huge(mm_pmd(mm, a));
		oracle_feature(o, ORACLE_FEATURE_HOME + (unsigned)(free << 3 | prev << 2 | next << 1 | thp));
	}
}

static unsigned cap(unsigned v, unsigned max) { return v < max ? v : max; }

static unsigned long mix(unsigned long x)	/* splitmix64's finalizer */
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ul;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebul;
	return x ^ (x >> 31);
}

/* The hierarchy features below read each anon_vma as a bit, its id, in
 * masks of 64: o->anc[id], the anon_vma and its ancestors; a vma's chain
 * and its mapped pages' anon_vmas as masks too. Then where one anon_vma
 * sits in another's family, whether one chain holds another and whether
 * a vma maps a page another's chain lacks are a few ands, where asking
 * the parent pointers and the lists each time (oracle_reference.c) cost
 * a branch mispredicted at every end of a loop. Ids run from 0 in a run
 * and every anon_vma made stays on w->anon_vmas or w->dead_anon_vmas; a
 * run that made more than 64 has its features computed the first way. */
static uint64_t bit(const struct anon_vma *av) { return (uint64_t)1 << av->id; }

/* Where b sits in own's family, seen from own. */
enum kin { KIN_SELF, KIN_ANCESTOR, KIN_DESCENDANT, KIN_COUSIN };

static enum kin kin_of(const struct oracle *o, const struct anon_vma *own, const struct anon_vma *b)
{
	if (b == own)
		return KIN_SELF;
	if (o->anc[own->id] & bit(b))
		return KIN_ANCESTOR;
	if (o->anc[b->id] & bit(own))
		return KIN_DESCENDANT;
	return KIN_COUSIN;
}

/* o->anc of every anon_vma of the run; false when they do not fit. A
 * parent is older than its child (anon_vma_fork), so its ancestors are
 * known by the time the child's are asked for. */
static bool hierarchy_masks(struct oracle *o)
{
	struct world *w = o->w;
	const struct anon_vma *av;
	unsigned long n = w->next_anon_vma_id, found = 0;

	if (n > o->mask_anon_vmas)
		return false;
	for (unsigned long id = 0; id < n; id++)
		o->by_id[id] = NULL;
	list_for_each_entry(av, &w->anon_vmas, world_node) {
		if (av->id >= n)
			return false;
		o->by_id[av->id] = av;
		found++;
	}
	list_for_each_entry(av, &w->dead_anon_vmas, world_node) {
		if (av->id >= n)
			return false;
		o->by_id[av->id] = av;
		found++;
	}
	if (found != n)
		return false;
	for (unsigned long id = 0; id < n; id++) {
		const struct anon_vma *a = o->by_id[id], *p = a ? a->parent : NULL;
		if (!a || (p != a && p->id >= id))
			return false;
		o->anc[id] = bit(a) | (p != a ? o->anc[p->id] : 0);
		o->depth[id] = p != a ? o->depth[p->id] + 1 : 0;
	}
	return true;
}

/* The anon_vmas of the pages v maps, as a mask. */
static uint64_t page_mask(const struct vm_area_struct *v)
{
	uint64_t pages = 0;
	for (unsigned long a = v->vm_start & PMD_MASK; a < v->vm_end; a += PMD_SIZE) {
		const struct pmd *pmd = mm_pmd(v->vm_mm, a);
		if (pmd->kind == PMD_HUGE && a >= v->vm_start)
			pages |= bit(pmd->page->mapping);
		for (int p = 0; pmd->kind == PMD_TABLE && p < PTRS_PER_PTE; p++) {
			unsigned long at = a + ((unsigned long)p << PAGE_SHIFT);
			if (pmd->pte[p].kind == PTE_PRESENT && at >= v->vm_start && at < v->vm_end)
				pages |= bit(pmd->pte[p].page->mapping);
		}
	}
	return pages;
}

/* The anon_vmas of v's chain, as a mask. */
static uint64_t chain_mask(const struct vm_area_struct *v)
{
	const struct anon_vma_chain *avc;
	uint64_t chain = 0;
	list_for_each_entry(avc, &v->anon_vma_chain, same_vma)
		chain |= bit(avc->anon_vma);
	return chain;
}

/* A vma's chain against the hierarchy: its length, its own anon_vma's
 * place (not first: a fork gave it an older one), whether it holds a
 * cousin of its own (neither ancestor nor descendant: left behind by a
 * reuse higher up) and an anon_vma no vma uses and no child keeps (an
 * avc the only thing left of it); and what its pages' anon_vmas are to
 * its own (the kin of each, a bit each).
 *
 * And the chain as a whole, hashed into ORACLE_CHAIN_BUCKETS: in chain
 * order, each anon_vma's kin to the vma's own and its users (vmas and
 * non-empty children together: none, one, more; what 3.19's degree, the
 * reuse rule's input, counts), a run of equal entries as one (a chain
 * three generations longer than another but alike is no new shape). The
 * per-object features see one anon_vma, mm or vma part at a time
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
 * ones. Coarser, with the vma pairs beside it (vma_pair_feature), the
 * corpus is some 800 inputs at 4k features, three times the executions
 * a second, and the linux-3.19 double reuse was found (issue16-search.md).
 *
 * One pass over the chain and one over the page tables give all of it,
 * and the masks the pair features want (s). Returns whether the chain
 * holds an idle anon_vma; *len is its length. */
static bool vma_features(struct oracle *o, const struct vm_area_struct *v, struct oracle_vma_masks *s,
			 unsigned *len)
{
	const struct anon_vma *own = v->anon_vma;
	const struct anon_vma_chain *avc;
	unsigned n = 0, pos = 0, last = ~0u;
	bool idle = false, cousin = false;
	unsigned long h = 1;
	uint64_t chain = 0;

	list_for_each_entry(avc, &v->anon_vma_chain, same_vma) {
		const struct anon_vma *m = avc->anon_vma;
		enum kin k = kin_of(o, own, m);
		if (m == own)
			pos = n;
		else
			idle |= !m->scan_vmas && !m->scan_children;
		cousin |= k == KIN_COUSIN;
		unsigned t = (unsigned)k * 3 + cap((unsigned)(m->scan_vmas + m->scan_children), 2);
		if (t != last)
			h = mix(h * 37 + t);
		last = t;
		chain |= bit(m);
		n++;
	}
	/* The kin of the pages' anon_vmas, a bit each, from their mask: own,
	 * its ancestors (o->anc less own) and, one by one, the others (most
	 * pages are of own's lineage). */
	uint64_t pages = page_mask(v), anc = o->anc[own->id], rest = pages & ~anc;
	unsigned kin = (unsigned)!!(pages & bit(own)) << KIN_SELF |
		       (unsigned)!!(pages & anc & ~bit(own)) << KIN_ANCESTOR;
	for (; rest; rest &= rest - 1)
		kin |= 1u << (o->anc[__builtin_ctzll(rest)] & bit(own) ? KIN_DESCENDANT : KIN_COUSIN);

	unsigned f = cap(pos, 2);
	f = f * 2 + cousin;
	f = f * 2 + idle;
	f = f * 5 + cap(n ? n - 1 : 0, 4);
	oracle_feature(o, ORACLE_FEATURE_VMA_CHAIN + f);
	oracle_feature(o, ORACLE_FEATURE_VMA_PAGES + kin);
	oracle_feature(o, ORACLE_FEATURE_CHAINS + (unsigned)(h % ORACLE_CHAIN_BUCKETS));
	s->v = v;
	s->chain = chain;
	s->pages = pages;
	*len = n;
	return idle;
}

/* A pair of vmas of an mm, u before v, side by side, as vma_merge and
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
 * small grid (120): each cell new once, in any mm. idle: the anon_vmas
 * no vma uses and no child keeps. */
static void vma_pair_feature(struct oracle *o, const struct oracle_vma_masks *su,
			     const struct oracle_vma_masks *sv, uint64_t idle)
{
	const struct vm_area_struct *u = su->v, *v = sv->v;
	enum kin k = kin_of(o, u->anon_vma, v->anon_vma);
	unsigned own = k == KIN_SELF ? 0 : k == KIN_COUSIN ? 2 : 1;
	bool uv = !(su->chain & ~sv->chain), vu = !(sv->chain & ~su->chain);
	unsigned chains = uv && vu ? 0 : uv || vu ? 1 : 4;
	if (chains == 4) {
		/* On both chains, of neither's lineage: with no users, 2. */
		uint64_t shared = su->chain & sv->chain & ~o->anc[u->anon_vma->id] &
				  ~o->anc[v->anon_vma->id];
		chains = shared & idle ? 2 : shared ? 3 : 4;
	}
	bool touch = u->vm_end == v->vm_start;
	bool runs_on = u->vm_pgoff + vma_pages(u) == v->vm_pgoff ||
		       v->vm_pgoff + vma_pages(v) == u->vm_pgoff;
	unsigned f = own;
	f = f * 5 + chains;
	f = f * 4 + (unsigned)(touch << 1 | runs_on);
	f = f * 2 + !!((su->pages & ~sv->chain) | (sv->pages & ~su->chain));
	oracle_feature(o, ORACLE_FEATURE_VMA_PAIR + f);
}

/* Every pair of the nr vmas (with anon_vmas) of mm whose masks o->vmas
 * holds; should mm have more (it cannot: its vmas do not overlap and
 * span a page at least), the masks are made again for each pair. */
static void vma_pair_features(struct oracle *o, const struct mm_struct *mm, unsigned nr, uint64_t idle)
{
	if (nr <= ORACLE_MASK_VMAS) {
		for (unsigned i = 0; i < nr; i++)
			for (unsigned j = i + 1; j < nr; j++)
				vma_pair_feature(o, &o->vmas[i], &o->vmas[j], idle);
		return;
	}
	for (const struct vm_area_struct *u = mm->mmap; u; u = u->vm_next)
		for (const struct vm_area_struct *v = u->vm_next; u->anon_vma && v; v = v->vm_next) {
			struct oracle_vma_masks su = { u, chain_mask(u), page_mask(u) };
			struct oracle_vma_masks sv = { v, chain_mask(v), page_mask(v) };
			if (v->anon_vma)
				vma_pair_feature(o, &su, &sv, idle);
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

	if (w->proto->anon_vma_reuse == REUSE_NONE || w->nr_mm < 2)
		return;
	unsigned long stamp = (unsigned long)w->nr_mm;
	for (int i = 0; i < w->nr_mm; i++)
		stamp = stamp * 31 + (unsigned long)w->mm[i]->map_count * 2 + w->mm[i]->exited;
	stamp = ((stamp * 31 + w->next_vma_id) * 31 + w->next_anon_vma_id) * 31 +
		(unsigned long)w->nr_anon_vmas * 7 + (unsigned long)w->nr_page_blocks;
	if (stamp == o->hierarchy_seen)
		return;
	if (!hierarchy_masks(o)) {	/* it looks at the stamp again */
		oracle_hierarchy_features_reference(o);
		return;
	}
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
	/* Counted after the counts, dead anon_vmas' (never reset) too. */
	uint64_t idle = 0;
	for (unsigned long id = 0; id < w->next_anon_vma_id; id++)
		idle |= (uint64_t)(!o->by_id[id]->scan_vmas && !o->by_id[id]->scan_children) << id;
	for (int i = 0; i < w->nr_mm; i++) {
		struct mm_struct *mm = w->mm[i];
		unsigned vmas = 0, chain = 0, idle_vmas = 0;
		uint64_t own = 0;
		if (mm->exited)
			continue;
		for (struct vm_area_struct *v = mm->mmap; v; v = v->vm_next) {
			if (!v->anon_vma)
				continue;
			struct oracle_vma_masks spare;
			unsigned n;
			idle_vmas += vma_features(o, v, vmas < ORACLE_MASK_VMAS ? &o->vmas[vmas] : &spare, &n);
			chain = n > chain ? n : chain;
			own |= bit(v->anon_vma);
			vmas++;
		}
		unsigned anon_vmas = (own != 0) + ((own & (own - 1)) != 0);	/* capped at 2 */
		oracle_feature(o, ORACLE_FEATURE_MM_FAMILY +
				  ((cap(vmas, 3) * 3 + cap(anon_vmas, 2)) * 6 + cap(chain, 5)) * 3 +
				  cap(idle_vmas, 2));
		vma_pair_features(o, mm, vmas, idle);
	}
	list_for_each_entry(av, &w->anon_vmas, world_node) {
		if (!av->nr_avcs)
			continue;	/* on its way out, held by a walker */
		oracle_feature(o, ORACLE_FEATURE_ANON_VMA +
				  (cap(o->depth[av->id], 4) * 3 + cap((unsigned)av->scan_vmas, 2)) * 3 +
				  cap((unsigned)av->scan_children, 2));
	}
}

void oracle_layout_features(struct oracle *o)
{
	struct world *w = o->w;
	struct anon_vma_chain **avcs = o->avcs;

	/* Only steps change the layout: a record that ran none (a step record
	 * of blocked tasks, a call that made no sense) adds nothing new. */
	if (!o->features || w->steps == o->layout_steps)
		return;
	o->layout_steps = w->steps;
	for (int i = 0; i < w->nr_mm; i++)
		home_features(o, w->mm[i]);
	if (o->reference_layout)
		oracle_hierarchy_features_reference(o);
	else
		anon_vma_features(o);
	for (int b = 0, pages = 0; b < w->nr_page_blocks && pages < 8; b++) {
		struct page *page = w->page_blocks[b];
		if (!page_mapped(page) || PageTail(page))
			continue;
		pages++;
		int n = anon_vma_index_query(w, page->mapping, page->index, avcs, ORACLE_MAX_AVCS);
		int first = -1, mapping = 0;
		for (int i = 0; i < n; i++)
			if (maps_page(avcs[i]->vma, page)) {
				mapping++;
				if (first < 0)
					first = i;
			}
		unsigned f = PageTransHuge(page);
		f = f * 4 + (n < 3 ? n : 3);
		f = f * 4 + (first < 0 ? 3 : first < 2 ? first : 2);
		f = f * 3 + (mapping < 2 ? mapping : 2);
		oracle_feature(o, ORACLE_FEATURE_LAYOUT + f);
	}
}

/* Does mm's TLB translate addr to page (or to its THP)? */
static bool tlb_holds(const struct mm_struct *mm, unsigned long addr, const struct page *page)
{
	const struct tlb *tlb = mm->tlb;
	if (!tlb || addr >= TASK_SIZE)
		return false;
	const struct page *e = tlb->pte[addr >> PAGE_SHIFT];
	return tlb->huge[pmd_index(addr)] == page->head || (e && e->head == page->head &&
							     (e == page || page->compound));
}

/* An entry a TLB still holds was taken out, cleared or made a migration
 * entry: from now on the TLB is stale there, the window every stale-tlb
 * race opens. Which change, huge or not, and whether a walk of the page
 * is under way. */
static void stale_feature(struct oracle *o, const struct rmap_event *ev)
{
	unsigned change = ev->entry.change;
	if ((change != ENTRY_TAKE && change != ENTRY_CLEAR && change != ENTRY_MIGRATION) ||
	    !tlb_holds(ev->entry.mm, ev->entry.addr, ev->entry.page))
		return;
	unsigned f = change * 2 + ev->entry.huge;
	f = f * 2 + (o->nr_active > 0);
	oracle_feature(o, ORACLE_FEATURE_STALE + f);
}

/* The oracle's own check of the tlb family: a page is freed; does any TLB
 * still translate an address to it? Page structs outlive their freeing,
 * so the TLBs are asked by brute force, every mm's. */
static void page_freed(struct oracle *o, const struct rmap_event *ev)
{
	struct world *w = o->w;
	const struct page *page = ev->tlb.page;
	unsigned long addr;
	bool huge;

	if (!(o->families & FAMILY_TLB) || o->invariant)
		return;
	for (int i = 0; i < w->nr_mm; i++) {
		if (!tlb_maps(w->mm[i], page, &addr, &huge))
			continue;
		o->page = (struct page *)page;
		note_missed(o, w->mm[i], addr, NULL);
		violate(o, "stale-tlb", "page %lu was freed (%s) while mm%d's TLB still translated %#lx "
			"to it%s: a use after free", page->id, ev->tlb.why, w->mm[i]->id, addr,
			huge ? " by a huge entry" : "");
		return;
	}
}

static void on_event(void *ctx, struct world *w, const struct rmap_event *ev)
{
	struct oracle *o = ctx;
	if (o->log)
		runlog_event(o->log, w, ev);
	switch (ev->kind) {
	case EV_WALK_BEGIN:
		track_walk(o, ev->walk, true);
		walk_begin(o, ev->walk);
		break;
	case EV_WALK_VISIT:
		break;
	case EV_WALK_END:
		track_walk(o, ev->walk, false);
		walk_end(o, ev->walk);
		break;
	case EV_ENTRY:
		/* A take is the first half of a move or zap: its features come
		 * with the second half. */
		if (o->features && o->nr_active && ev->entry.change != ENTRY_TAKE)
			entry_during_walks(o, ev);
		if (o->features && (ev->entry.change == ENTRY_MOVE || ev->entry.change == ENTRY_COPY))
			order_feature(o, ev);
		if (o->features && ev->entry.mm->tlb)
			stale_feature(o, ev);
		break;
	case EV_KERNEL_BUG:
		violate(o, "kernel-bug", "the modelled kernel BUGs: %s", ev->message);
		break;
	case EV_TLB_FILL:
		if (o->features)
			for (int i = 0; i < o->nr_active; i++)
				if (o->active[i]->page == ev->tlb.page->head)
					oracle_feature(o, ORACLE_FEATURE_FILL + 2u * ev->tlb.huge +
						       (o->active[i]->kind == WALK_TRY_TO_UNMAP));
		break;
	case EV_TLB_FLUSH:
		break;
	case EV_PAGE_FREE:
		page_freed(o, ev);
		break;
	}
}

static void on_trace(void *ctx, const struct task *t, const char *step, const char *detail)
{
	struct oracle *o = ctx;
	runlog_trace(o->log, o->w, t, step, detail);
}

void oracle_note_record(struct oracle *o, unsigned long record)
{
	runlog_note(o->log, o->w, "-- record %lu", record);
}

/* In a report's run (the only one that logs), the end-of-run checks after
 * every step too, recorded, not judged (runlog.h's log_broken): the run
 * must repeat the fuzzing run's verdict, and the report wants the step
 * each broken invariant broke at. */
void oracle_step_ran(struct oracle *o)
{
	struct check_failure f;

	runlog_step_done(o->log, o->w);
	if (!o->checks_every_step && rmap_check(o->w, &f))
		runlog_broken(o->log, o->w->steps, f.invariant, f.message);
}

void oracle_step_waited(struct oracle *o, const struct task *t) { runlog_wait(o->log, o->w, t); }

void oracle_attach(struct oracle *o, struct world *w, bool logging)
{
	mem_zero(o, offsetof(struct oracle, avcs));	/* see mem_zero; avcs is scratch */
	o->w = w;
	o->families = FAMILY_ALL;
	o->mask_anon_vmas = ORACLE_MASK_ANON_VMAS;
	w->event = on_event;
	w->event_ctx = o;
	if (logging) {
		o->log = runlog_new();
		w->trace = on_trace;
		w->trace_ctx = o;
	}
}

void oracle_detach(struct oracle *o)
{
	sb_free(&o->detail);
	/* Only a logging run has one; ASan's free unwinds the stack even
	 * for NULL, a cost every run would pay. */
	if (o->log)
		runlog_free(o->log);
	o->w->event = NULL;
	o->w->trace = NULL;
}

void oracle_after_step(struct oracle *o)
{
	struct check_failure f;

	if (o->invariant)
		return;
	if (o->w->halted == HALT_MODEL_BUG) {
		violate(o, "model-bug", "the model broke its own rules: %s", o->w->halt_message);
		return;
	}
	/* rmap_check judges lifetime first (a freed anon_vma would otherwise
	 * be named as broken structure): a lifetime failure with that family
	 * off ends the checks unreported, as the structure after it is moot. */
	if ((o->families & (FAMILY_WALK | FAMILY_LIFETIME)) && rmap_check(o->w, &f) &&
	    (o->families & invariant_family(f.invariant)))
		violate(o, f.invariant, "%s", f.message);
}

void oracle_at_end(struct oracle *o)
{
	oracle_after_step(o);
	if (!o->invariant && o->w->nr_tasks)
		violate(o, "model-bug", "%d tasks never ended", o->w->nr_tasks);
}
