/* Property: random programs with random interleavings keep every structural
 * invariant after every step; under the sound protocol the modelled kernel
 * never hits its BUG_ONs; under no protocol does the model break its own
 * rules (lock order, deadlock). A small-scope stress of the whole model. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "protocol_spec.h"
#include "test.h"
#include "world_util.h"

struct rng {
	uint64_t s;
};

static uint32_t next(struct rng *r)
{
	r->s ^= r->s << 13;
	r->s ^= r->s >> 7;
	r->s ^= r->s << 17;
	return (uint32_t)(r->s >> 16);
}

static unsigned below(struct rng *r, unsigned n) { return next(r) % n; }

/* Addresses on a small grid: pmd slots, sometimes a page or two in. */
static unsigned long addr(struct rng *r)
{
	unsigned long a = below(r, 12) * P;
	if (below(r, 4) == 0)
		a += (1 + below(r, HPAGE_PMD_NR - 1)) * PAGE_SIZE;
	return a;
}

static unsigned long len(struct rng *r)
{
	unsigned long l = (1 + below(r, 3)) * P;
	if (below(r, 4) == 0)
		l -= (1 + below(r, HPAGE_PMD_NR - 1)) * PAGE_SIZE;
	return l;
}

/* A mapped page: a THP head when huge is asked, else any head or small. */
static struct page *mapped_page(struct world *w, struct rng *r, bool huge)
{
	struct page *found[64];
	int n = 0;
	for (int b = 0; b < w->nr_page_blocks && n < 64; b++)
		for (int i = 0; i < w->page_blocks[b]->nr && n < 64; i++) {
			struct page *p = &w->page_blocks[b][i];
			if (page_mapped(p) && !PageTail(p) && (!huge || PageTransHuge(p)))
				found[n++] = p;
		}
	return n ? found[below(r, (unsigned)n)] : NULL;
}

struct stats {
	unsigned long runs, steps, kernel_bugs, splits, migrations;
};

static void start_random(struct world *w, struct rng *r, struct stats *st)
{
	int mm = (int)below(r, (unsigned)w->nr_mm);
	switch (below(r, 11)) {
	case 0:
	case 1:
		start_mmap(w, mm, addr(r), len(r));
		break;
	case 2:
	case 3:
		start_fault(w, mm, addr(r), below(r, 3) != 0);
		break;
	case 4:
		start_fork(w, mm);
		break;
	case 5:
		start_mremap(w, mm, addr(r), len(r), addr(r));
		break;
	case 6:
		start_munmap(w, mm, addr(r), len(r));
		break;
	case 9:
		start_mremap_resize(w, mm, addr(r), len(r), len(r), below(r, 3));
		break;
	case 10:
		start_exec(w, 1 + (int)below(r, 8), (1 + below(r, 8)) * P);
		break;
	case 7:
		if (start_split_huge_page(w, mapped_page(w, r, true)) > 0)
			st->splits++;
		break;
	default:
		if (start_migrate(w, mapped_page(w, r, false)) > 0)
			st->migrations++;
		break;
	}
}

static void print_step(void *ctx, const struct task *t, const char *step, const char *detail)
{
	(void)ctx;
	fprintf(stderr, "    task %d: %s %s\n", t->id, step, detail);
}

/* RMAP_TRACE_SEED=N prints the steps of seed N: how a failure is read. */
static void random_run(const struct protocol *proto, uint64_t seed, struct stats *st)
{
	const char *protocol = proto->name;
	struct world *w = world_new(proto);
	/* unlink-first breaks a structural invariant by design (a detached vma
	 * maps pages it is no longer linked for); its walks judge it. */
	bool structure = !w->proto->unlink_first;
	const char *trace_seed = getenv("RMAP_TRACE_SEED");
	if (trace_seed && strtoull(trace_seed, NULL, 10) == seed)
		w->trace = print_step;
	struct rng r = { seed * 0x9E3779B97F4A7C15ull + 1 };
	int before = test_failures;

	for (int i = 0; i < 300 && !w->halted && test_failures == before; i++) {
		if (below(&r, 100) < 30 || !w->nr_tasks) {
			start_random(w, &r, st);
			continue;
		}
		int ids[MAX_TASKS];
		int n = sched_runnable(w, ids, MAX_TASKS);
		if (!n)
			break;
		if (sched_step(w, ids[below(&r, (unsigned)n)]) == STEP_DONE)
			st->steps++;
		if (structure)
			tw_check(w);
	}
	if (!w->halted) {
		sched_drain(w);
		if (structure)
			tw_check(w);
		if (!w->halted)
			CHECK_EQ(w->nr_tasks, 0);
	}
	if (w->halted == HALT_KERNEL_BUG)
		st->kernel_bugs++;
	if (test_failures != before || w->halted == HALT_MODEL_BUG)
		fprintf(stderr, "  %s seed %llu: %s\n", protocol, (unsigned long long)seed,
			w->halted ? w->halt_message : "(see above)");
	CHECK(w->halted != HALT_MODEL_BUG);
	st->runs++;
	world_free(w);
}

static void sound_protocol_never_bugs(void)
{
	struct stats st = { 0 };
	for (uint64_t seed = 1; seed <= 3000; seed++)
		random_run(protocol_find("linux-3.15"), seed, &st);
	fprintf(stderr, "linux-3.15: %lu runs, %lu steps, %lu splits, %lu migrations, %lu kernel BUGs\n",
		st.runs, st.steps, st.splits, st.migrations, st.kernel_bugs);
	CHECK_EQ(st.kernel_bugs, 0);
	/* The stress must reach the operations it is about. */
	CHECK(st.splits > 500);
	CHECK(st.migrations > 500);
}

/* Every other protocol: the model keeps its own rules (no model bug, no
 * deadlock) and the structure holds; kernel BUGs are the protocols' own. */
static void every_protocol_keeps_structure(void)
{
	for (int i = 1; i < nr_protocols; i++) {
		struct stats st = { 0 };
		for (uint64_t seed = 1; seed <= 500; seed++)
			random_run(&protocols[i], seed, &st);
		fprintf(stderr, "%s: %lu runs, %lu steps, %lu kernel BUGs\n", protocols[i].name, st.runs,
			st.steps, st.kernel_bugs);
		CHECK(st.steps > 10000);
	}
}

/* Combinations no row names (protocol_spec.h's draws), as rmapfuzz
 * protocols --random draws them: the switches' dependencies leave the
 * model none it cannot run. */
static void random_switches_keep_structure(void)
{
	uint64_t state = 1;
	for (int i = 0; i < 24; i++) {
		struct protocol_adhoc a;
		protocol_random(&state, &a);
		struct stats st = { 0 };
		for (uint64_t seed = 1; seed <= 150; seed++)
			random_run(&a.proto, seed, &st);
		fprintf(stderr, "%s: %lu runs, %lu steps, %lu kernel BUGs\n", a.name, st.runs, st.steps,
			st.kernel_bugs);
		CHECK(st.steps > 3000);
	}
}

TEST_MAIN(T(sound_protocol_never_bugs), T(every_protocol_keeps_structure), T(random_switches_keep_structure))
