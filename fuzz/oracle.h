/* The oracle (oracle.md): judges a run from the outside. It finds the truth
 * by scanning every mm's page tables, never by asking the anon_vma index.
 *
 *   split-missed-pmd       pass 1 ended with a huge pmd of the page not
 *                          frozen, or its count short of page_mapcount;
 *                          pass 2 ended with a huge pmd of the page left
 *   stale-migration-entry  remove_migration_ptes ended with a migration
 *                          entry for the old page somewhere
 *   missed-vma             a vma mapping the page when the walk took the
 *                          lock is not among the vmas it visits
 *   anon-vma-lifetime, ... a freed anon_vma still named by a mapped page,
 *                          a linked vma, ... (check.h, first of the
 *                          structural checks)
 *   mapcount, ...          rmap_check's structural invariants, after every
 *                          step (check.h)
 *   kernel-bug, model-bug  a BUG_ON of the modelled kernel the checks above
 *                          did not name first; the model broke its rules
 *   stale-tlb              a page was freed while a TLB still translated an
 *                          address to it (the kernel's use after free)
 *
 * Every invariant but model-bug belongs to a family, and a run checks the
 * families it is asked for (all by default):
 *   walk      every rmap walk covers every mapping: split-missed-pmd,
 *             stale-migration-entry, missed-vma, the structural checks, and
 *             kernel-bug, whose BUG_ONs are the modelled kernel's own
 *             detection of a walk that missed (a split's count, a fault on a
 *             stale migration entry, split-vs-zap, a freed anon_vma's use)
 *   tlb       nothing freed while a TLB can reach it: stale-tlb
 *   lifetime  anon_vmas freed only when nothing refers to them:
 *             anon-vma-lifetime, anon-vma-counters
 * model-bug belongs to none: no selection turns it off.
 *
 * With a log attached (runlog.h) it also keeps what a report is made of.
 */
#ifndef RMAP_ORACLE_H
#define RMAP_ORACLE_H

#include <stdbool.h>
#include <stdint.h>

#include "strbuf.h"
#include "world.h"

struct anon_vma;
struct run_log;
struct task;

enum invariant_family {
	FAMILY_WALK = 1,
	FAMILY_TLB = 2,
	FAMILY_LIFETIME = 4,
	FAMILY_ALL = FAMILY_WALK | FAMILY_TLB | FAMILY_LIFETIME,
};
#define NR_FAMILIES 3
/* The family of an invariant by its name: 0 for model-bug; a structural
 * check's name (check.h), any other, is walk's. */
unsigned invariant_family(const char *invariant);
/* A family's name ("walk"), and every invariant it holds, NULL-ended
 * (the structural checks stand as "structural checks (check.h)"). */
const char *family_name(unsigned family);
const char *const *family_invariants(unsigned family);
/* "walk,tlb" (or "all") into a mask of families; false, with why, on an
 * unknown or empty name. */
bool invariant_families_parse(const char *spec, unsigned *families, char *why, size_t size);

/* Interleaving features: what a page's entries went through while a walk
 * of that page was under way. The fuzz target feeds them to libFuzzer as
 * extra coverage, so inputs that move or copy an entry behind or ahead of a
 * walk are kept and mutated further: the building blocks of every race. */
/* Chains hashed (oracle.c's vma_features): room for the shapes of
 * some minutes' search without collisions hiding too many. */
#define ORACLE_CHAIN_BUCKETS 16384
/* Their ids: a range per kind, ORACLE_NR_FEATURES in all. Each is a
 * counter the oracle bumps (saturating, as libFuzzer's counters are). */
enum {
	ORACLE_FEATURE_INTERLEAVE = 0,		/* walk kind, change, who was visited: 512 */
	ORACLE_FEATURE_ORDER = 512,		/* copy or move by walk order: 24 */
	ORACLE_FEATURE_LAYOUT = 536,		/* a page's vmas in walk order: 96 */
	ORACLE_FEATURE_HOME = 632,		/* a vma away from home: 16 */
	ORACLE_FEATURE_STALE = 648,		/* an entry a TLB holds taken away: 32 */
	ORACLE_FEATURE_FILL = 680,		/* a TLB fill during a walk of its page: 4 */
	ORACLE_FEATURE_ANON_VMA = 684,		/* an anon_vma's depth, vmas, children: 45 */
	ORACLE_FEATURE_MM_FAMILY = 729,		/* an mm's vmas, anon_vmas, chain length: 216 */
	ORACLE_FEATURE_VMA_CHAIN = 945,		/* a vma's chain against the hierarchy: 60 */
	ORACLE_FEATURE_VMA_PAGES = 1005,	/* what its pages' anon_vmas are to its own: 16 */
	ORACLE_FEATURE_VMA_PAIR = 1021,		/* two vmas of one mm: own, chains, place, pages: 120 */
	ORACLE_FEATURE_CHAINS = 1141,		/* a vma's whole chain, hashed: ORACLE_CHAIN_BUCKETS */
	ORACLE_NR_FEATURES = 1141 + ORACLE_CHAIN_BUCKETS,
};
#define ORACLE_MAX_WALKS 8

struct oracle {
	struct world *w;
	unsigned families;		/* the invariant families it checks */
	unsigned char *features;	/* counters by feature id, NULL: none wanted */
	unsigned char *seen;		/* ids any run counted (run.h's novelty), or NULL */
	unsigned long novel;		/* ids this run counted first */
	unsigned long layout_steps;	/* w->steps when layout features last ran */
	unsigned long hierarchy_seen;	/* what the anon_vma features last looked at */
	const struct rmap_walk *active[ORACLE_MAX_WALKS];	/* walks under way */
	int nr_active;
	const char *invariant;		/* the first violation, or NULL */
	struct strbuf detail;		/* what was violated, a few lines */
	/* What a report needs (runlog.h), only in a run that makes one. */
	struct run_log *log;
	bool checks_every_step;		/* structural checks after each step */
	bool reference_layout;		/* layout features by the reference (run.h) */
	unsigned long mask_anon_vmas;	/* anon_vmas the masks take: 64 (run.h) */
	struct page *page;		/* the page of the violating walk */
	const struct rmap_walk *walk;	/* the violating walk */
	/* Where the violation is, when it is one entry (mm, addr) or, for
	 * missed-vma, one vma (vma >= 0); for stale-tlb, the TLB entry (mm,
	 * addr) that still translated to the freed page (o->page). */
	struct {
		bool set;
		int mm;
		unsigned long addr;
		long vma;
	} missed;
	/* Scratch for index queries, last: not zeroed, and off the stack,
	 * where ASan would poison and unpoison it around every call. */
#define ORACLE_MAX_AVCS 64
	struct anon_vma_chain *avcs[ORACLE_MAX_AVCS];
	/* Scratch of the hierarchy features (oracle.c's hierarchy_masks):
	 * every anon_vma of the run by id, as a mask of ids with its
	 * ancestors, and its depth; and per vma of one mm, its chain's and
	 * its mapped pages' anon_vmas as masks. An mm's vmas do not overlap
	 * and span a page at least, so ORACLE_MASK_VMAS holds them all. */
#define ORACLE_MASK_ANON_VMAS 64
#define ORACLE_MASK_VMAS (TASK_SIZE / PAGE_SIZE)
	const struct anon_vma *by_id[ORACLE_MASK_ANON_VMAS];
	uint64_t anc[ORACLE_MASK_ANON_VMAS];
	unsigned depth[ORACLE_MASK_ANON_VMAS];	/* generations under its root */
	struct oracle_vma_masks {
		const struct vm_area_struct *v;
		uint64_t chain, pages;
	} vmas[ORACLE_MASK_VMAS];
};

static inline void oracle_feature(struct oracle *o, unsigned id)
{
	unsigned char *c = &o->features[id];
	if (!*c && o->seen && !o->seen[id]) {
		o->seen[id] = 1;
		o->novel++;
	}
	if (*c < 255)
		++*c;
}

void oracle_attach(struct oracle *o, struct world *w, bool logging);
void oracle_detach(struct oracle *o);
/* After each step: the structural checks, halts of the world. */
void oracle_after_step(struct oracle *o);
/* After the last step: every task ended, every lock free. */
void oracle_at_end(struct oracle *o);
/* Layout features: for each mapped page, how many vmas a walk would visit
 * and where the first one mapping it comes in that order. A walk that
 * meets empty vmas before the mapping one is where every race starts.
 * And the anon_vma hierarchy's shape (the fuzz build has no edge coverage
 * of the model, so a state the search should be able to build on needs a
 * feature): each anon_vma's depth under its root with how many vmas use
 * it and how many children it has (what fork's reuse rules read), each
 * mm's vmas, anon_vmas, longest chain and vmas holding an anon_vma left
 * with no user, each vma's chain against the family tree and what its
 * pages' anon_vmas are to its own, and its whole chain hashed
 * (vma_features), and each pair of vmas of an mm side by side
 * (vma_pair_feature). Only on the rows that reuse anon_vmas. The
 * hierarchy's features are computed in masks of anon_vma ids
 * (hierarchy_masks); oracle_hierarchy_features_reference below computes
 * them as first written. */
void oracle_layout_features(struct oracle *o);
/* The hierarchy's features as first written (rows that reuse anon_vmas),
 * each computed on its own by brute force (oracle_reference.c): what
 * oracle_layout_features computes instead of its masks with
 * o->reference_layout (run.h's RUN_REFERENCE_LAYOUT, which the test of the
 * masks compares against: tests/test_oracle_features.c), and falls back on
 * in a run of more anon_vmas than its masks hold. */
void oracle_hierarchy_features_reference(struct oracle *o);
/* Before each record (a report's interleaving marks where each begins). */
void oracle_note_record(struct oracle *o, unsigned long record);
/* A step attempt ended: it ran, or it waited (t still exists then). The
 * run calls these only when a log is kept. */
void oracle_step_ran(struct oracle *o);
void oracle_step_waited(struct oracle *o, const struct task *t);

#endif
