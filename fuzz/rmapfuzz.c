/* rmapfuzz: the command-line tool. Runs inputs without libFuzzer, through
 * the same decoder and oracle as the fuzz target.
 *
 *   rmapfuzz protocols
 *   rmapfuzz replay [--protocol P] [--every-step] FILE|DIR...
 *   rmapfuzz trace [--protocol P] [--every-step] FILE
 *   rmapfuzz show [--protocol P] FILE
 *   rmapfuzz encode FILE.txt -o OUT
 *   rmapfuzz minimize [--protocol P] IN -o OUT
 *   rmapfuzz cost [--protocol P]
 *   rmapfuzz blind [--protocol P] SEED SECONDS
 *   rmapfuzz speed [--protocol P]
 * An input named *.txt is scenario text (scenario.h), any other file bytes.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "protocol.h"
#include "minimize.h"
#include "run.h"
#include "scenario.h"
#include "mm.h"
#include "sched.h"
#include "world.h"

static int usage(void)
{
	fprintf(stderr,
		"usage: rmapfuzz protocols\n"
		"       rmapfuzz replay [--protocol P] [--every-step] FILE|DIR...\n"
		"       rmapfuzz trace [--protocol P] [--every-step] FILE\n"
		"       rmapfuzz show [--protocol P] FILE\n"
		"       rmapfuzz encode FILE.txt -o OUT\n"
		"       rmapfuzz minimize [--protocol P] IN -o OUT\n"
		"       rmapfuzz cost [--protocol P]   anon_vma locks per mremap and fork\n"
		"       rmapfuzz blind [--protocol P] SEED SECONDS   blind random testing\n"
		"       rmapfuzz speed [--protocol P]   cost of one execution by records and vmas\n"
		"An input named *.txt is scenario text; any other file is input bytes.\n"
		"The protocol defaults to $RMAP_PROTOCOL, then linux-3.15. Inputs are judged as the\n"
		"fuzz target judges them; --every-step adds the structural checks after every step.\n");
	return 2;
}

static const struct protocol *pick_protocol(const char *name)
{
	const struct protocol *p = protocol_find(name);
	if (!p) {
		fprintf(stderr, "rmapfuzz: unknown protocol '%s'; known:", name);
		for (int i = 0; i < nr_protocols; i++)
			fprintf(stderr, " %s", protocols[i].name);
		fprintf(stderr, "\n");
	}
	return p;
}

static int cmd_protocols(void)
{
	for (int i = 0; i < nr_protocols; i++) {
		const struct protocol *p = &protocols[i];
		printf("%-20s %s | origin: %s | expected: %s\n", p->name, p->changes, p->origin,
		       p->expected);
	}
	return 0;
}

/* The whole file, or NULL with errno set. */
static uint8_t *read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, len = 0;
	uint8_t *buf = malloc(cap);
	size_t n;
	if (!buf)
		abort();
	while ((n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			uint8_t *grown = realloc(buf, cap *= 2);
			if (!grown)
				abort();
			buf = grown;
		}
	}
	int err = ferror(f) ? EIO : 0;
	fclose(f);
	if (err) {
		free(buf);
		errno = err;
		return NULL;
	}
	*size = len;
	return buf;
}

static bool is_text(const char *path)
{
	size_t n = strlen(path);
	return n >= 4 && !strcmp(path + n - 4, ".txt");
}

/* An input: bytes as they are, scenario text encoded. NULL after printing
 * why (FILE: error, or FILE:LINE:COL: message). */
static uint8_t *load_input(const char *path, size_t *size)
{
	uint8_t *data = read_file(path, size);
	if (!data) {
		fprintf(stderr, "rmapfuzz: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	if (!is_text(path))
		return data;
	struct record recs[PROGRAM_MAX_RECORDS];
	struct scenario_error err;
	int n = scenario_parse((const char *)data, *size, recs, &err);
	free(data);
	if (n < 0) {
		fprintf(stderr, "%s:%d:%d: %s\n", path, err.line, err.col, err.message);
		return NULL;
	}
	uint8_t *bytes = malloc((size_t)n * RECORD_SIZE + 1);
	if (!bytes)
		abort();
	memcpy(bytes, recs, (size_t)n * RECORD_SIZE);
	*size = (size_t)n * RECORD_SIZE;
	return bytes;
}

/* Write size bytes to path; false after printing why. */
static bool write_output(const char *path, const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
		fprintf(stderr, "rmapfuzz: %s: %s\n", path, strerror(errno ? errno : EIO));
		if (f)
			remove(path);
		return false;
	}
	return true;
}

/* IN -o OUT, in either order. */
static bool in_out_args(int argc, char **argv, const char **in, const char **out)
{
	*in = *out = NULL;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc && !*out)
			*out = argv[++i];
		else if (!*in && argv[i][0] != '-')
			*in = argv[i];
		else
			return false;
	}
	return *in && *out;
}

struct tally {
	int passed, failed, errors;
	unsigned flags;	/* run.h: RUN_EVERY_STEP with --every-step */
};

static void replay_file(const char *path, const struct protocol *proto, struct tally *t)
{
	size_t size = 0;
	uint8_t *data = load_input(path, &size);
	if (!data) {
		t->errors++;
		return;
	}
	struct run_result res;
	struct strbuf report = { 0 };
	if (rmap_run(data, size, proto, t->flags, &res, &report)) {
		printf("%s: FAILED\n%s\n", path, sb_str(&report));
		t->failed++;
	} else {
		printf("%s: ok (%lu steps)\n", path, res.steps);
		t->passed++;
	}
	sb_free(&report);
	free(data);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A directory: its regular files in name order, skipping text (.txt, .md)
 * that sits next to inputs. */
static void replay_dir(const char *path, const struct protocol *proto, struct tally *t)
{
	DIR *d = opendir(path);
	if (!d) {
		fprintf(stderr, "rmapfuzz: %s: %s\n", path, strerror(errno));
		t->errors++;
		return;
	}
	char **names = NULL;
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		const char *dot = strrchr(e->d_name, '.');
		if (e->d_name[0] == '.' || (dot && (!strcmp(dot, ".txt") || !strcmp(dot, ".md"))))
			continue;
		char **grown = realloc(names, (n + 1) * sizeof(*names));
		if (!grown)
			abort();
		names = grown;
		size_t len = strlen(path) + strlen(e->d_name) + 2;
		names[n] = malloc(len);
		snprintf(names[n++], len, "%s/%s", path, e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
			replay_file(names[i], proto, t);
		free(names[i]);
	}
	free(names);
}

static int cmd_replay(int argc, char **argv, const struct protocol *proto, unsigned flags)
{
	struct tally t = { .flags = flags };
	if (!argc)
		return usage();
	for (int i = 0; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "rmapfuzz: %s: %s\n", argv[i], strerror(errno));
			t.errors++;
		} else if (S_ISDIR(st.st_mode)) {
			replay_dir(argv[i], proto, &t);
		} else {
			replay_file(argv[i], proto, &t);
		}
	}
	printf("%d passed, %d failed\n", t.passed, t.failed);
	return t.errors ? 2 : t.failed ? 1 : 0;
}

static int cmd_trace(int argc, char **argv, const struct protocol *proto, unsigned flags)
{
	if (argc != 1)
		return usage();
	size_t size = 0;
	uint8_t *data = load_input(argv[0], &size);
	if (!data)
		return 2;
	struct run_result res;
	struct strbuf trace = { 0 };
	bool violated = rmap_run_traced(data, size, proto, flags, &res, &trace);
	fputs(sb_str(&trace), stdout);
	printf("%s\n", violated ? res.first_line : "ok");
	sb_free(&trace);
	free(data);
	return violated ? 1 : 0;
}

static int cmd_show(int argc, char **argv, const struct protocol *proto)
{
	if (argc != 1)
		return usage();
	size_t size = 0;
	uint8_t *data = load_input(argv[0], &size);
	if (!data)
		return 2;
	struct strbuf out = { 0 };
	rmap_show(data, size, proto, &out);
	fputs(sb_str(&out), stdout);
	sb_free(&out);
	free(data);
	return 0;
}

static int cmd_encode(int argc, char **argv)
{
	const char *in, *out;
	if (!in_out_args(argc, argv, &in, &out))
		return usage();
	if (!is_text(in)) {
		fprintf(stderr, "rmapfuzz encode: %s: scenario text files end in .txt\n", in);
		return 2;
	}
	size_t size = 0;
	uint8_t *data = load_input(in, &size);
	if (!data)
		return 2;
	int rc = write_output(out, data, size) ? 0 : 2;
	free(data);
	return rc;
}

/* Delta debugging (minimize.h); the result's text goes next to it. */
static int cmd_minimize(int argc, char **argv, const struct protocol *proto)
{
	const char *in, *out;
	if (!in_out_args(argc, argv, &in, &out))
		return usage();
	size_t size = 0;
	uint8_t *data = load_input(in, &size);
	if (!data)
		return 2;
	uint8_t min[PROGRAM_MAX_RECORDS * RECORD_SIZE];
	struct minimize_result res;
	bool violated = rmap_minimize(data, size, proto, min, &res);
	free(data);
	if (!violated) {
		fprintf(stderr, "rmapfuzz minimize: %s does not violate anything under %s\n", in,
			proto->name);
		return 1;
	}
	if (!write_output(out, min, res.size))
		return 2;
	printf("%s\n%zu records -> %zu records (%lu runs): %s\n", res.signature,
	       program_nr_records(size), res.size / RECORD_SIZE, res.runs, out);
	return 0;
}

/* The cost the mail weighs: anon_vma lock sections per mremap and per fork,
 * on one fixed workload (the mail's layout): a vma A = [0, 4P) with two
 * THPs and a vma C with a small page; mremap A's upper half away (copy_vma
 * makes a new vma), then back (vma_merge grows A again); fork the mm. */
static int cmd_cost(int argc, char **argv, const struct protocol *proto)
{
	(void)argv;
	if (argc) {
		fprintf(stderr, "rmapfuzz cost: takes no arguments\n");
		return 2;
	}
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

/* Blind random testing, the baseline the fuzzer must beat: random byte
 * strings (lengths uniform in 0..96, the fuzz target's -max_len) through
 * the same decoder and oracle, no feedback, until the first violation or
 * SECONDS. Prints "found|silent SECONDS INPUTS SIGNATURE"; exit 1 if found. */
static int cmd_blind(int argc, char **argv, const struct protocol *proto)
{
	char *end1 = NULL, *end2 = NULL;
	unsigned long long seed = argc == 2 ? strtoull(argv[0], &end1, 10) : 0;
	double seconds = argc == 2 ? strtod(argv[1], &end2) : 0;
	if (argc != 2 || *end1 || *end2 || seconds <= 0) {
		fprintf(stderr, "rmapfuzz blind: wants SEED SECONDS\n");
		return 2;
	}
	uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
	uint8_t buf[PROGRAM_MAX_RECORDS * RECORD_SIZE];
	struct world *w = world_new(proto);	/* reset per input, as the fuzz target's */
	double t0 = now_seconds();
	for (unsigned long n = 1;; n++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		size_t size = (size_t)(x % (sizeof(buf) + 1));
		fill_random(buf, size, &x, NULL);
		struct run_result res;
		bool violated = rmap_run_in(w, buf, size, proto, 0, NULL, &res, NULL);
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

/* How the cost of one execution grows with records and with vmas. */
static int cmd_speed(int argc, char **argv, const struct protocol *proto)
{
	(void)argv;
	if (argc)
		return usage();
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

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	const char *cmd = argv[1];
	const char *env = getenv("RMAP_PROTOCOL");
	const char *name = env && *env ? env : protocol_default()->name;
	int i = 2;
	if (!strcmp(cmd, "protocols"))
		return argc == 2 ? cmd_protocols() : usage();
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		usage();
		return 0;
	}
	unsigned flags = 0;
	/* Options come first: --protocol P (or --protocol=P), --every-step. */
	for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
		if (!strcmp(argv[i], "--protocol") && i + 1 < argc)
			name = argv[++i];
		else if (!strncmp(argv[i], "--protocol=", 11))
			name = argv[i] + 11;
		else if (!strcmp(argv[i], "--every-step"))
			flags |= RUN_EVERY_STEP;
		else
			return usage();
	}
	const struct protocol *proto = pick_protocol(name);
	if (!proto)
		return 2;
	if (!strcmp(cmd, "replay"))
		return cmd_replay(argc - i, argv + i, proto, flags);
	if (!strcmp(cmd, "trace"))
		return cmd_trace(argc - i, argv + i, proto, flags);
	if (!strcmp(cmd, "show"))
		return cmd_show(argc - i, argv + i, proto);
	if (!strcmp(cmd, "encode"))
		return cmd_encode(argc - i, argv + i);
	if (!strcmp(cmd, "minimize"))
		return cmd_minimize(argc - i, argv + i, proto);
	if (!strcmp(cmd, "speed"))
		return cmd_speed(argc - i, argv + i, proto);
	if (!strcmp(cmd, "blind"))
		return cmd_blind(argc - i, argv + i, proto);
	if (!strcmp(cmd, "cost"))
		return cmd_cost(argc - i, argv + i, proto);
	fprintf(stderr, "rmapfuzz: unknown command '%s'\n", cmd);
	return usage();
}
