/* oracle_layout_features against its reference. The hierarchy features
 * (the anon_vmas' depths and users, each vma's chain and pages, each pair
 * of vmas, the chain hashes) are computed in oracle.c with masks and in
 * one pass over each chain and each vma's page tables; oracle_reference.c
 * keeps them as first written, each feature recomputed on its own by
 * brute force, and a run with RUN_REFERENCE_LAYOUT uses it. Every input
 * here runs both ways under the rows that reuse anon_vmas (all-fixes,
 * the OSS-Fuzz default; linux-3.19; reuse-fixed) and under linux-3.15,
 * with every invariant family and with the walks' alone (a run that goes
 * on past a freed anon_vma), and must count the same features the same
 * number of times, report the same novelty and reach the same verdict.
 *
 * The inputs: the seed corpus, every kept crasher, random byte strings,
 * and inputs a small coverage-guided loop breeds from them (an input
 * that counted a feature no earlier one did is kept and mutated further),
 * so that chains several forks deep and pairs of vmas sharing anon_vmas
 * off their lineages are among them; the test checks they are. */
#define _POSIX_C_SOURCE 200809L	/* opendir */
#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mutator.h"
#include "oracle.h"
#include "program.h"
#include "protocol.h"
#include "run.h"
#include "test.h"
#include "world.h"

#define MAX_INPUT (PROGRAM_MAX_RECORDS * RECORD_SIZE)
#define MAX_POOL 4096
/* Mutations bred and compared: 60000 reach every rare case checked at the
 * end (about 3 s under ASan); -DBRED=N for a longer search. */
#ifndef BRED
#define BRED 60000
#endif

struct input {
	uint8_t data[MAX_INPUT];
	size_t size;
};

static struct input pool[MAX_POOL];
static int nr_pool;

static uint64_t rng_state;
static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

/* libFuzzer's byte mutator, which the record mutator (fuzz/mutator.c)
 * calls for a share of its mutations: a few bytes anew. */
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size)
{
	if (size > max_size)
		size = max_size;
	for (int n = 1 + (int)(rnd() % 3); size && n; n--)
		data[rnd() % size] = (uint8_t)rnd();
	return size;
}

static void add(const uint8_t *data, size_t size)
{
	if (nr_pool == MAX_POOL)
		return;
	if (size > MAX_INPUT)
		size = MAX_INPUT;
	memcpy(pool[nr_pool].data, data, size);
	pool[nr_pool++].size = size;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir that want(name) accepts, in name order (the runs are
 * the same every time); how many, at most max. */
static int list_dir(const char *dir, bool (*want)(const char *), char **names, int max)
{
	int n = 0;
	DIR *d = opendir(dir);
	for (struct dirent *e; d && (e = readdir(d)) && n < max;)
		if (want(e->d_name))
			names[n++] = strdup(e->d_name);
	if (d)
		closedir(d);
	qsort(names, (size_t)n, sizeof(names[0]), by_name);
	return n;
}

static bool is_bin(const char *name)
{
	size_t len = strlen(name);
	return len > 4 && !strcmp(name + len - 4, ".bin");
}

static bool is_entry(const char *name) { return name[0] != '.'; }

/* Every *.bin of dir. */
static int add_dir(const char *dir)
{
	char *names[512];
	int n = list_dir(dir, is_bin, names, 512), added = 0;
	for (int i = 0; i < n; i++) {
		char path[1024];
		uint8_t buf[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		FILE *f = fopen(path, "rb");
		size_t size = f ? fread(buf, 1, sizeof(buf), f) : 0;
		if (f) {
			fclose(f);
			add(buf, size);
			added++;
		}
		free(names[i]);
	}
	return added;
}

/* Every crasher: each *.bin of each row's directory in crashers/. */
static int add_crashers(void)
{
	const char *root = RMAP_SOURCE_DIR "/crashers";
	char *names[128];
	int n = list_dir(root, is_entry, names, 128), added = 0;
	for (int i = 0; i < n; i++) {
		char dir[1024];
		snprintf(dir, sizeof(dir), "%s/%s", root, names[i]);
		added += add_dir(dir);
		free(names[i]);
	}
	return added;
}

/* The configurations every input runs under. */
/* The configurations every input runs under; those with
 * RUN_FEW_MASK_BITS go over to the reference once a run has made more
 * than 4 anon_vmas, as any run does past 64. */
static const struct {
	const char *protocol;
	unsigned families, flags;
} configs[] = {
	{ "all-fixes", FAMILY_ALL, 0 },
	{ "all-fixes", FAMILY_WALK, 0 },
	{ "linux-3.19", FAMILY_ALL, 0 },
	{ "linux-3.19", FAMILY_WALK, 0 },
	{ "linux-3.19", FAMILY_WALK | FAMILY_LIFETIME, 0 },
	{ "reuse-fixed", FAMILY_ALL, 0 },
	{ "linux-3.15", FAMILY_ALL, 0 },
	{ "linux-3.15", FAMILY_WALK, 0 },
	{ "all-fixes", FAMILY_ALL, RUN_FEW_MASK_BITS },
	{ "linux-3.19", FAMILY_WALK, RUN_FEW_MASK_BITS },
};
#define NR_CONFIGS (sizeof(configs) / sizeof(configs[0]))

static unsigned char fast[RUN_NR_FEATURES], reference[RUN_NR_FEATURES];
static unsigned char seen_fast[RUN_NR_FEATURES], seen_reference[RUN_NR_FEATURES];
static unsigned char covered[RUN_NR_FEATURES];	/* ids any run counted */
static int mismatches;
static struct world *world;	/* reset for every run, as the fuzz target's */

static const char *range_name(unsigned id)
{
	static const struct {
		unsigned from;
		const char *name;
	} ranges[] = {
		{ ORACLE_FEATURE_INTERLEAVE, "interleave" }, { ORACLE_FEATURE_ORDER, "order" },
		{ ORACLE_FEATURE_LAYOUT, "layout" },	     { ORACLE_FEATURE_HOME, "home" },
		{ ORACLE_FEATURE_STALE, "stale" },	     { ORACLE_FEATURE_FILL, "fill" },
		{ ORACLE_FEATURE_ANON_VMA, "anon_vma" },     { ORACLE_FEATURE_MM_FAMILY, "mm_family" },
		{ ORACLE_FEATURE_VMA_CHAIN, "vma_chain" },   { ORACLE_FEATURE_VMA_PAGES, "vma_pages" },
		{ ORACLE_FEATURE_VMA_PAIR, "vma_pair" },     { ORACLE_FEATURE_CHAINS, "chains" },
		{ RUN_STEP_FEATURES, "steps" },
	};
	const char *name = "?";
	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
		if (id >= ranges[i].from)
			name = ranges[i].name;
	return name;
}

/* One input both ways under one configuration: how many ids it counted
 * that no earlier run of the test had. */
static unsigned compare(const struct input *in, size_t config, const char *what)
{
	const struct protocol *proto = protocol_find(configs[config].protocol);
	unsigned flags = run_families(configs[config].families);
	struct run_result a, b;

	memset(fast, 0, sizeof(fast));
	memset(reference, 0, sizeof(reference));
	rmap_run_novelty(seen_fast);
	bool va = rmap_run_in(world, in->data, in->size, proto, flags | configs[config].flags, fast, &a,
			      NULL);
	rmap_run_novelty(seen_reference);
	bool vb = rmap_run_in(world, in->data, in->size, proto, flags | RUN_REFERENCE_LAYOUT, reference,
			      &b, NULL);
	rmap_run_novelty(NULL);

	bool same = va == vb && a.steps == b.steps && a.novel == b.novel &&
		    !memcmp(fast, reference, sizeof(fast));
	if (!same && mismatches++ < 10) {
		fprintf(stderr, "%s under %s (families %u, flags %u): verdicts %d/%d, novel %lu/%lu\n",
			what, configs[config].protocol, configs[config].families, configs[config].flags, va,
			vb, a.novel, b.novel);
		for (unsigned id = 0, shown = 0; id < RUN_NR_FEATURES && shown < 8; id++)
			if (fast[id] != reference[id]) {
				fprintf(stderr, "  feature %u (%s): counted %u times, the reference %u\n", id,
					range_name(id), fast[id], reference[id]);
				shown++;
			}
	}
	CHECK(same);
	unsigned novel = 0;
	for (unsigned id = 0; id < RUN_NR_FEATURES; id++)
		if (fast[id] && !covered[id]) {
			covered[id] = 1;
			novel++;
		}
	return novel;
}

static void mutate(struct input *in)
{
	int changes = 1 + (int)(rnd() % 4);
	for (int c = 0; c < changes; c++) {
		uint32_t how = rnd() % 8;
		if (how < 4 && in->size) {	/* a byte anew */
			in->data[rnd() % in->size] = (uint8_t)rnd();
		} else if (how < 5 && in->size) {	/* a bit */
			in->data[rnd() % in->size] ^= (uint8_t)(1u << (rnd() % 8));
		} else if (how < 6 && in->size >= 2 * RECORD_SIZE) {	/* drop a record */
			size_t r = (rnd() % (in->size / RECORD_SIZE)) * RECORD_SIZE;
			memmove(in->data + r, in->data + r + RECORD_SIZE, in->size - r - RECORD_SIZE);
			in->size -= RECORD_SIZE;
		} else {	/* another input's records after these, or in their place */
			const struct input *o = &pool[rnd() % (unsigned)nr_pool];
			size_t at = in->size && rnd() % 2 ? (rnd() % (in->size / RECORD_SIZE + 1)) * RECORD_SIZE
							  : in->size;
			size_t take = o->size;
			if (at + take > MAX_INPUT)
				take = MAX_INPUT - at;
			memcpy(in->data + at, o->data, take);
			if (at + take > in->size)
				in->size = at + take;
		}
	}
}

static unsigned covered_in(unsigned from, unsigned to)
{
	unsigned n = 0;
	for (unsigned id = from; id < to; id++)
		n += covered[id] != 0;
	return n;
}

static void fast_features_match_the_reference(void)
{
	char what[64];
	world = world_new(protocol_find("all-fixes"));
	int seeds = add_dir(RMAP_BINARY_DIR "/seeds/rmap_fuzzer");
	int crashers = add_crashers();
	CHECK(seeds >= 50);
	CHECK(crashers >= 10);

	rng_state = 0x5eed0fea7u;
	for (int i = 0; i < 200; i++) {
		struct input in = { .size = rnd() % (MAX_INPUT + 1) };
		for (size_t j = 0; j < in.size; j++)
			in.data[j] = (uint8_t)rnd();
		add(in.data, in.size);
	}
	int given = nr_pool;
	for (int i = 0; i < given; i++)
		for (size_t c = 0; c < NR_CONFIGS; c++) {
			snprintf(what, sizeof(what), "input %d", i);
			compare(&pool[i], c, what);
		}

	/* Bred inputs: each config in turn, each kept when it counted a
	 * feature no run had counted; by the fuzz target's own mutator mostly,
	 * rewarded as the fuzz target rewards it. */
	int bred = 0;
	rmap_mutator_reset();
	for (int n = 0; n < BRED; n++) {
		struct input in = pool[rnd() % (unsigned)nr_pool];
		uint32_t how = rnd() % 4;
		if (how == 0) {
			mutate(&in);
		} else if (how == 1) {
			const struct input *other = &pool[rnd() % (unsigned)nr_pool];
			struct input out;
			out.size = LLVMFuzzerCustomCrossOver(in.data, in.size, other->data, other->size,
							     out.data, MAX_INPUT, rnd());
			in = out;
		} else {
			in.size = LLVMFuzzerCustomMutator(in.data, in.size, MAX_INPUT, rnd());
		}
		size_t c = (size_t)n % NR_CONFIGS;
		snprintf(what, sizeof(what), "bred input %d", n);
		unsigned novel = compare(&in, c, what);
		rmap_mutator_reward(novel);
		if (novel) {
			add(in.data, in.size);
			bred++;
		}
	}
	world_free(world);
	fprintf(stderr, "%d inputs (%d seeds, %d crashers, 200 random, %d bred), %d mismatches\n", nr_pool,
		seeds, crashers, bred, mismatches);
	unsigned anon_vma = covered_in(ORACLE_FEATURE_ANON_VMA, ORACLE_FEATURE_MM_FAMILY),
		 mm_family = covered_in(ORACLE_FEATURE_MM_FAMILY, ORACLE_FEATURE_VMA_CHAIN),
		 vma_chain = covered_in(ORACLE_FEATURE_VMA_CHAIN, ORACLE_FEATURE_VMA_PAGES),
		 vma_pages = covered_in(ORACLE_FEATURE_VMA_PAGES, ORACLE_FEATURE_VMA_PAIR),
		 vma_pair = covered_in(ORACLE_FEATURE_VMA_PAIR, ORACLE_FEATURE_CHAINS),
		 chains = covered_in(ORACLE_FEATURE_CHAINS, ORACLE_NR_FEATURES);
	fprintf(stderr, "features covered: anon_vma %u, mm_family %u, vma_chain %u, vma_pages %u, "
		"vma_pair %u, chains %u\n", anon_vma, mm_family, vma_chain, vma_pages, vma_pair, chains);
	/* The comparison means something only where the features vary: many
	 * of each kind, and the rare cases among them (oracle.c's encodings):
	 * pages of a descendant's and of a cousin's anon_vma, chains holding
	 * a cousin and an idle anon_vma, pairs sharing an anon_vma off both
	 * lineages with users and without. */
	bool pages_desc = false, pages_cousin = false, chain_cousin = false, chain_idle = false;
	bool pair_idle = false, pair_used = false;
	for (unsigned f = 0; f < 16; f++)
		if (covered[ORACLE_FEATURE_VMA_PAGES + f]) {
			pages_desc |= f >> 2 & 1;
			pages_cousin |= f >> 3 & 1;
		}
	for (unsigned f = 0; f < 60; f++)
		if (covered[ORACLE_FEATURE_VMA_CHAIN + f]) {
			chain_cousin |= f / 10 % 2;
			chain_idle |= f / 5 % 2;
		}
	for (unsigned f = 0; f < 120; f++)
		if (covered[ORACLE_FEATURE_VMA_PAIR + f]) {
			pair_idle |= f / 8 % 5 == 2;
			pair_used |= f / 8 % 5 == 3;
		}
	CHECK(anon_vma >= 35);
	CHECK(mm_family >= 35);
	CHECK(vma_chain >= 20);
	CHECK(vma_pages >= 6);
	CHECK(vma_pair >= 45);
	CHECK(chains >= 120);
	CHECK(pages_desc && pages_cousin && chain_cousin && chain_idle && pair_idle && pair_used);
	CHECK_EQ(mismatches, 0);
}

TEST_MAIN(T(fast_features_match_the_reference))
