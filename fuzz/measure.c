#define _POSIX_C_SOURCE 200809L	/* clock_gettime */
#include "measure.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mm.h"
#include "program.h"
#include "protocol.h"
#include "run.h"
#include "sched.h"
#include "world.h"

/* The cost the mail weighs: anon_vma lock sections per mremap and per fork,
 * on one fixed workload (the mail's layout): a vma A = [0, 4P) with two
 * THPs and a vma C with a small page; mremap A's upper half away (copy_vma
 * makes a new vma), then back (vma_merge grows A again); fork the mm. */
int measure_cost(const struct protocol *proto)
{
	const unsigned long P = PMD_SIZE;
	struct world *w = world_new(proto);
	int ids[] = {
		start_mmap(w, 0, 0, 4 * P), start_mmap(w, 0, 12 * P, P), start_fault(w, 0, 0, true),
		start_fault(w, 0, 2 * P, true), start_fault(w, 0, 12 * P, false),
	};
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		sched_run(w, ids[i]);
	int vmas = w->mm[0]->map_count;
	unsigned long before = w->op_stats[OP_MREMAP].anon_vma_locks;
	sched_run(w, start_mremap(w, 0, 2 * P, 2 * P, 8 * P));
	unsigned long to_new = w->op_stats[OP_MREMAP].anon_vma_locks - before;
	sched_run(w, start_mremap(w, 0, 8 * P, 2 * P, 2 * P));
	unsigned long merged = w->op_stats[OP_MREMAP].anon_vma_locks - before - to_new;
	sched_run(w, start_fork(w, 0));
	int rc = 0;
	if (w->halted || w->op_stats[OP_MREMAP].tasks != 2 || w->op_stats[OP_FORK].tasks != 1 ||
	    w->mm[0]->map_count != vmas) {
		fprintf(stderr, "rmapfuzz cost: the workload did not run: %s\n",
			w->halted ? w->halt_message : "an operation did not end");
		rc = 1;
	} else {
		printf("%s: anon_vma locks per mremap: %lu to a new vma, %lu into a merged one; "
		       "per fork of %d vmas: %lu\n", proto->name, to_new, merged, vmas,
		       w->op_stats[OP_FORK].anon_vma_locks);
	}
	world_free(w);
	return rc;
}

static double now_seconds(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void fill_random(uint8_t *buf, size_t size, uint64_t *x, void *ctx)
{
	(void)ctx;
	for (size_t i = 0; i < size; i++) {
		*x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
		buf[i] = (uint8_t)(*x >> 32);
	}
}

int measure_blind(const struct protocol *proto, unsigned flags, uint64_t seed, double seconds)
{
	uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
	uint8_t buf[PROGRAM_MAX_RECORDS * RECORD_SIZE];
	struct world *w = world_new(proto);	/* reset per input, as the fuzz target's */
	double t0 = now_seconds();
	for (unsigned long n = 1;; n++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		size_t size = (size_t)(x % (sizeof(buf) + 1));
		fill_random(buf, size, &x, NULL);
		struct run_result res;
		bool violated = rmap_run_in(w, buf, size, proto, flags, NULL, &res, NULL);
		double elapsed = now_seconds() - t0;
		if (violated || elapsed >= seconds) {
			printf("%s %.4f %lu %s\n", violated ? "found" : "silent", elapsed, n,
			       violated ? res.first_line : "-");
			world_free(w);
			return violated;
		}
	}
}

/* Time rmap_run over n inputs made by fill(buf, i); returns us per run. */
static double time_runs(const struct protocol *proto, int n, size_t size,
			void (*fill)(uint8_t *buf, size_t size, uint64_t *x, void *ctx), void *ctx,
			double *steps)
{
	uint8_t buf[PROGRAM_MAX_RECORDS * RECORD_SIZE];
	uint64_t x = 0x2545F4914F6CDD1Dull;
	unsigned long total_steps = 0;
	struct world *w = world_new(proto);
	double t0 = now_seconds();
	for (int i = 0; i < n; i++) {
		fill(buf, size, &x, ctx);
		struct run_result res;
		rmap_run_in(w, buf, size, proto, 0, NULL, &res, NULL);
		total_steps += res.steps;
	}
	world_free(w);
	*steps = (double)total_steps / n;
	return (now_seconds() - t0) * 1e6 / n;
}

/* k vmas (mmap now + a fault each, on every other slot), then random records. */
static void fill_vmas(uint8_t *buf, size_t size, uint64_t *x, void *ctx)
{
	int k = *(int *)ctx;
	fill_random(buf, size, x, NULL);
	for (int v = 0; v < k; v++) {
		const uint8_t rec[2][4] = { { 0x81, 0, (uint8_t)(2 * v), 0 }, { 0x82, 0, (uint8_t)(2 * v), 1 } };
		memcpy(buf + 8 * v, rec, 8);
	}
}

int measure_speed(const struct protocol *proto)
{
	double steps;
	printf("| records | us per execution | steps |\n|---|---|---|\n");
	for (int r = 4; r <= PROGRAM_MAX_RECORDS; r *= 2) {
		int recs = r > PROGRAM_MAX_RECORDS ? PROGRAM_MAX_RECORDS : r;
		double us = time_runs(proto, 20000, (size_t)recs * RECORD_SIZE, fill_random, NULL, &steps);
		printf("| %d | %.1f | %.1f |\n", recs, us, steps);
		if (r == 16)
			r = 12;	/* then 24 */
	}
	printf("\n| vmas (then 8 random records) | us per execution | steps |\n|---|---|---|\n");
	for (int k = 1; k <= 8; k *= 2) {
		double us = time_runs(proto, 20000, (size_t)(2 * k + 8) * RECORD_SIZE, fill_vmas, &k, &steps);
		printf("| %d | %.1f | %.1f |\n", k, us, steps);
	}
	return 0;
}
