/* `rmapfuzz explore`: the command line of the explorer (explore.h), its
 * worker processes, its table, JSON and counterexample files. */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli_io.h"
#include "explore.h"
#include "oracle.h"
#include "protocol.h"
#include "protocol_spec.h"
#include "run.h"
#include "scenario.h"
#include "strbuf.h"
#include "world.h"

struct opts {
	struct explore_bound b;
	const struct protocol *proto[64];
	int nr_proto;
	struct protocol_adhoc adhoc[64];	/* the ad-hoc ones among proto (specs) */
	int nr_adhoc;
	bool all, json, merge;
	int jobs;
	const char *out;
	/* --merge: the sharding of the files (shards) and, per result (the
	 * index in res), which shards it holds. A result of fewer than all
	 * is not the bound's, and says so. */
	int shards;
	unsigned char **seen;
	int *nr_seen;
};

static void free_merge(struct opts *o, struct explore_result *res)
{
	for (int i = 0; o->seen && i < nr_protocols + 64; i++)
		free(o->seen[i]);
	free(o->seen);
	free(o->nr_seen);
	free(res);
}

/* Is result i the whole bound's: not a shard's, or a merge of every
 * shard? A shard's programs are not the bound's, and its clean verdict no
 * claim of the bound. */
static bool result_whole(const struct opts *o, int i)
{
	if (o->merge)
		return o->shards <= 1 || o->nr_seen[i] == o->shards;
	return o->b.shards <= 1;
}

/* What of the bound a result that is not whole holds: " in 2 of 80
 * shards", " in shard 3/80". */
static void shards_held_text(const struct opts *o, int i, struct strbuf *sb)
{
	if (o->merge)
		sb_printf(sb, " in %d of %d shards", o->nr_seen[i], o->shards);
	else
		sb_printf(sb, " in shard %d/%d", o->b.shard, o->b.shards);
}

/* The shards result i holds, "0,1,5" (to merge it again with the rest). */
static void merged_shards_text(const struct opts *o, int i, struct strbuf *sb)
{
	const char *sep = "";
	for (int k = 0; k < o->shards; k++)
		if (o->seen[i][k]) {
			sb_printf(sb, "%s%d", sep, k);
			sep = ",";
		}
}

void explore_help(void)
{
	printf("usage: rmapfuzz explore [--protocol P ...|--all] [--max-ops N] [--max-conc C]\n"
	       "                        [--max-pmds G] [--max-mms M] [--preemptions K] [--jobs J]\n"
	       "                        [--shard I/N] [--invariants F[,F]] [--ops LIST]\n"
	       "                        [--stop-at-violation] [--no-dedup] [--byte-hash]\n"
	       "                        [--no-reduction] [--measure] [--json] [-o DIR]\n"
	       "       rmapfuzz explore --merge [--json] [-o DIR] FILE...\n"
	       "Every program in a bound and every interleaving of its concurrent operations,\n"
	       "judged by the fuzzer's oracle: a shortest counterexample per broken invariant,\n"
	       "or clean within the bound, with the counts.\n"
	       "\n"
	       "A program: an anonymous mmap of 1..3 pmds in mm0 with one page faulted at its\n"
	       "start (a THP, or a small page; with exec in the menu, also none), set-up\n"
	       "operations each run alone to its end,\n"
	       "then 2..C operations started together, one of them a walk of the page\n"
	       "(split_huge_page, or migration). The menu, from the layout each starts on\n"
	       "(by default the 2014 rows' operations; --ops brings in the others): fork;\n"
	       "munmap and mremap of every pmd-aligned range of 1..4 pmds inside a vma,\n"
	       "mremap to every free place of its length (merging with either neighbour, both\n"
	       "or none). Every interleaving of the concurrent tasks' steps, in one search\n"
	       "over every program, level by level of operations, states deduplicated by a\n"
	       "hash of the whole world by object (docs/explore.md).\n"
	       "\n"
	       "options:\n"
	       "  -p, --protocol P  explore protocol P (again for more): a row, or an ad-hoc\n"
	       "                    spec such as linux-3.15+split_pmd_peek (rmapfuzz protocols\n"
	       "                    --help); --all, or neither: every row\n"
	       "  --max-ops N       operations in all, set-up and concurrent (default 5)\n"
	       "  --max-conc C      concurrent operations, 2 or more (default 3)\n"
	       "  --max-pmds G      the address space, in pmds (default 6, at most 16)\n"
	       "  --max-mms M       mms, fork making the others (default 3, at most 8: MAX_MMS)\n"
	       "  --preemptions K   at most K preemptions per interleaving (default: unbounded)\n"
	       "  --invariants F[,F]  the invariant families judged (default walk; rmapfuzz\n"
	       "                    invariants lists them)\n"
	       "  --ops LIST        the menu: all, or of fork, munmap, mremap (the default's\n"
	       "                    three), resize, madvise, mprotect, exit, exec, fault,\n"
	       "                    access, walks, joined by commas. madvise (MADV_DONTNEED),\n"
	       "                    mprotect (read-only, read-write) and resize (mremap to\n"
	       "                    every other length, in place or MREMAP_MAYMOVE) of the\n"
	       "                    same ranges; exit (exit_mmap) of every mm; exec with 1, 3\n"
	       "                    or 5 argument pages moved 1 or 2 pmds down; fault: write\n"
	       "                    faults (COW) and access: TLB fills, of every mapped\n"
	       "                    address (an access also started after any step of the\n"
	       "                    others, beside the walk: move_normal_pmd's destination\n"
	       "                    needs it); walks: split and migrate every mapped page, not\n"
	       "                    only the base page, started with the others or after any\n"
	       "                    of their steps (exec's pages: no_stack_skip needs it)\n"
	       "  --jobs J          J worker processes per protocol (default 1)\n"
	       "  --shard I/N       only the programs numbered I mod N (0 <= I < N): N runs of\n"
	       "                    the same bound, joined by --merge, search the whole bound\n"
	       "  --stop-at-violation  stop after the first level (programs of as many\n"
	       "                    operations) that breaks an invariant: its shortest\n"
	       "                    counterexamples are the whole bound's; invariants only\n"
	       "                    longer programs break are not sought (the result says\n"
	       "                    how many operations were searched)\n"
	       "  --no-dedup        every interleaving, no state deduplication (slow: the\n"
	       "                    baseline of the soundness test)\n"
	       "  --byte-hash       states deduplicated by their bytes, not by object (the\n"
	       "                    layout of the arena tells states apart: fewer merge)\n"
	       "  --no-reduction    hash names as they are: task ids, vma, anon_vma and page\n"
	       "                    ids, avc insertion numbers (more states; the baseline)\n"
	       "  --measure         print to stderr where the states come from: how many\n"
	       "                    differ only in names, task ids, mm numbering; steps per\n"
	       "                    operation; states per program (slower)\n"
	       "  --merge           the operands are --json results of one bound: join them\n"
	       "                    (all N shards: the bound's result; fewer: said, and\n"
	       "                    merged again with the rest later)\n"
	       "  --json            one JSON document on stdout instead of the table\n"
	       "  -o, --output DIR  write each shortest counterexample as scenario text to\n"
	       "                    DIR/PROTOCOL/INVARIANT.txt (replayable by rmapfuzz replay)\n"
	       "  -h, --help        this help\n"
	       "      --version     rmapfuzz's version\n"
	       "\n"
	       "The search goes level by level: every program of 2 operations, then of 3, and\n"
	       "so on. Ctrl-C (SIGINT) or SIGTERM stops it and prints the result of the levels\n"
	       "it finished (\"clean through N operations\"), a claim as checkable as the\n"
	       "whole bound's; the protocols after it are not explored. A second Ctrl-C ends\n"
	       "it at once, without a result.\n"
	       "\n"
	       "Exit 0: every protocol explored (violations or not); 2: a usage error or an\n"
	       "unreadable --merge input; 130 or 143: stopped by SIGINT or SIGTERM (the result\n"
	       "printed first).\n");
}

static int usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "rmapfuzz explore: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'rmapfuzz explore --help'.\n");
	return 2;
}

static bool number(const char *s, int lo, int hi, int *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < lo || v > hi)
		return false;
	*out = (int)v;
	return true;
}

/* ---- text ---- */

static const char *expected_of(const struct protocol *p, unsigned families)
{
	if (families == FAMILY_TLB)
		return protocol_expected_tlb(p);
	return p->expected;
}

/* Does the verdict agree with the row's expectation? A sound row must be
 * clean; a buggy row broken (a row whose race needs more than the bound
 * is "not within the bound", not a disagreement to hide). */
static const char *agreement(const struct explore_result *r, const struct protocol *p,
			     unsigned families, bool whole)
{
	if (families != FAMILY_WALK && families != FAMILY_TLB)
		return "-";
	const char *e = expected_of(p, families);
	bool sound = !strcmp(e, "sound");
	if (!strcmp(e, "disputed") || !strcmp(e, "unknown"))	/* unknown: an ad-hoc spec's */
		return "-";
	if (sound)
		return r->nr_inv ? "NO" : r->end == EXPLORE_INTERRUPTED || !whole ? "yes, so far" : "yes";
	return r->nr_inv		  ? "yes"
	       : r->end == EXPLORE_INTERRUPTED || !whole ? "not found so far"
					  : "not within the bound";
}

/* What of the bound a result searched, when not all of it: "" or a
 * sentence. */
static void searched_text(const struct explore_result *r, int max_ops, struct strbuf *sb)
{
	if (r->end == EXPLORE_COMPLETE && r->ops_done >= max_ops)
		;	/* all of it (but maybe the second search: below) */
	else if (r->ops_done < 2)
		sb_printf(sb, "interrupted before every program of 2 operations was searched: no claim");
	else
		sb_printf(sb, "searched every program of %d operations or fewer (of %d): %s", r->ops_done,
			  max_ops,
			  r->end == EXPLORE_INTERRUPTED
				  ? "interrupted in the next level"
				  : "stopped after the first level that broke an invariant "
				    "(--stop-at-violation); an invariant only longer programs break is not sought");
	if (r->not_minimized)
		sb_printf(sb, "%sthe counterexamples have the fewest operations, but their steps and "
			  "preemptions are not minimized (interrupted before the second search ended)",
			  sb->len ? "; " : "");
}

static void bound_text(const struct explore_bound *b, struct strbuf *sb)
{
	unsigned ops = b->ops ? b->ops : EXPLORE_OPS_2014;
	sb_printf(sb, "%d operations (set-up alone, then 2..%d concurrent, one a walk), %d pmds, %d mms; "
		  "menu ", b->max_ops, b->max_conc, b->max_pmds, b->max_mms);
	explore_ops_text(ops & ~EXPLORE_OP_WALKS, ", ", sb);
	if (ops & EXPLORE_OP_WALKS)
		sb_printf(sb, "; walks of every mapped page, started with the others or after any step");
	sb_printf(sb, "; preemptions ");
	if (b->preemptions < 0)
		sb_printf(sb, "unbounded");
	else
		sb_printf(sb, "at most %d", b->preemptions);
	sb_printf(sb, "; invariants ");
	const char *sep = "";
	for (unsigned f = 1; f & FAMILY_ALL; f <<= 1)
		if (b->families & f) {
			sb_printf(sb, "%s%s", sep, family_name(f));
			sep = ",";
		}
	sb_printf(sb, "; %s", b->no_dedup    ? "every interleaving (no deduplication)"
			      : b->byte_hash ? "states deduplicated by their bytes"
			      : b->no_reduction ? "states deduplicated, names as they are"
					     : "states deduplicated");
	if (b->shards > 1 && b->shard < 0)
		sb_printf(sb, "; shard set of %d", b->shards);	/* a merge of some */
	else if (b->shards > 1)
		sb_printf(sb, "; shard %d/%d", b->shard, b->shards);
}

static void records_text(const struct explore_cex *c, struct strbuf *sb, const char *indent)
{
	for (size_t i = 0; i + RECORD_SIZE <= c->size; i += RECORD_SIZE) {
		struct record r = record_at(c->data, i / RECORD_SIZE);
		sb_printf(sb, "%s", indent);
		scenario_record_text(&r, sb);
		sb_printf(sb, "\n");
	}
}

/* A result's protocol: one of o's (an ad-hoc spec among them), or a row. */
static const struct protocol *result_protocol(const struct opts *o, const char *name)
{
	for (int i = 0; i < o->nr_proto; i++)
		if (!strcmp(o->proto[i]->name, name))
			return o->proto[i];
	return protocol_find(name);
}

/* A row's name or a spec into o->proto; NULL with why. */
static const struct protocol *add_protocol(struct opts *o, const char *name, char *why, size_t size)
{
	if (o->nr_proto >= 64) {
		snprintf(why, size, "more than 64 protocols");
		return NULL;
	}
	const struct protocol *p = protocol_lookup(name, &o->adhoc[o->nr_adhoc], why, size);
	if (p == &o->adhoc[o->nr_adhoc].proto)
		o->nr_adhoc++;
	if (p)
		o->proto[o->nr_proto++] = p;
	return p;
}

static bool write_cex(const struct opts *o, const struct protocol *p, const char *inv,
		      const struct explore_cex *c, bool minimized, const char *bound)
{
	struct strbuf path = { 0 }, text = { 0 };
	bool ok = true;
	sb_printf(&path, "%s", o->out);
	if (mkdir(o->out, 0777) && errno != EEXIST)
		ok = false;
	sb_printf(&path, "/%s", p->name);
	if (ok && mkdir(sb_str(&path), 0777) && errno != EEXIST)
		ok = false;
	if (!ok) {
		fprintf(stderr, "rmapfuzz explore: %s: %s\n", sb_str(&path), strerror(errno));
		sb_free(&path);
		return false;
	}
	sb_printf(&path, "/%s.txt", inv);
	unsigned flags = run_families(o->b.families);
	sb_printf(&text, "# rmap violation: %s (%s)\n", inv, p->name);
	sb_printf(&text, "# the shortest counterexample rmapfuzz explore found for %s: %d operations, "
		  "%d steps, %d preemptions%s\n# bound: %s\n# replay: rmapfuzz replay --invariants ",
		  inv, c->ops, c->steps, c->preemptions,
		  minimized ? "" : " (the fewest operations; its steps and preemptions not minimized: "
				   "the search was interrupted)", bound);
	const char *sep = "";
	for (unsigned f = 1; f & FAMILY_ALL; f <<= 1)
		if (o->b.families & f) {
			sb_printf(&text, "%s%s", sep, family_name(f));
			sep = ",";
		}
	sb_printf(&text, " %s\n", sb_str(&path));
	rmap_show(c->data, c->size, p, flags, &text);
	ok = cli_write_output(sb_str(&path), text.buf, text.len);
	sb_free(&path);
	sb_free(&text);
	return ok;
}

static void hex(const uint8_t *d, size_t n, struct strbuf *sb)
{
	for (size_t i = 0; i < n; i++)
		sb_printf(sb, "%02x", d[i]);
}

/* One result as a JSON object on one line (--merge reads it back). */
static void json_result(const struct opts *o, const struct explore_result *r, int i,
			const struct protocol *p, struct strbuf *sb)
{
	sb_printf(sb, "    {\"protocol\": ");
	sb_json_string(sb, r->protocol);
	if (o->merge && o->b.shard < 0) {	/* a merge of some shards: each result's */
		sb_printf(sb, ", \"shards_merged\": \"");
		merged_shards_text(o, i, sb);
		sb_printf(sb, "\"");
	}
	sb_printf(sb, ", \"verdict\": \"%s\", \"expected\": ", r->nr_inv ? "violated" : "clean");
	sb_json_string(sb, expected_of(p, o->b.families));
	sb_printf(sb, ", \"agrees\": ");
	sb_json_string(sb, agreement(r, p, o->b.families, result_whole(o, i)));
	sb_printf(sb, ", \"candidates\": %lu, \"programs\": %lu, \"states\": %lu, \"interleavings\": %lu, \"cut\": %lu, "
		  "\"revisits\": %lu, \"truncated\": %lu, \"setup_violations\": %lu, \"unencodable\": %lu, "
		  "\"same_setup\": %lu, \"translated\": %lu, \"seconds\": %.3f, \"invariants\": [",
		  r->candidates, r->programs, r->states, r->interleavings, r->cut, r->revisits, r->truncated,
		  r->setup_violations, r->unencodable, r->same_setup, r->translated, r->seconds);
	for (int i = 0; i < r->nr_inv; i++) {
		const struct explore_cex *c = &r->inv[i].cex;
		sb_printf(sb, "%s{\"invariant\": ", i ? ", " : "");
		sb_json_string(sb, r->inv[i].name);
		sb_printf(sb, ", \"programs\": %lu, \"ops\": %d, \"steps\": %d, \"preemptions\": %d, "
			  "\"level\": %d, \"input\": \"", r->inv[i].programs, c->ops, c->steps, c->preemptions,
			  c->level);
		hex(c->data, c->size, sb);
		struct strbuf text = { 0 };
		records_text(c, &text, "");
		sb_printf(sb, "\", \"scenario\": ");
		sb_json_string(sb, sb_str(&text));
		sb_free(&text);
		sb_printf(sb, "}");
	}
	static const char *const ends[] = { "complete", "at-violation", "interrupted" };
	sb_printf(sb, "], \"ops_done\": %d, \"end\": \"%s\", \"not_minimized\": %s, \"levels\": [",
		  r->ops_done, ends[r->end], r->not_minimized ? "true" : "false");
	/* Each finished level's counts (so far), for --merge to take the
	 * parts back to the levels all of them finished. */
	for (int l = 2; l <= r->ops_done; l++) {
		const struct explore_level_counts *c = &r->upto[l];
		sb_printf(sb, "%s{\"level\": %d, \"candidates\": %lu, \"programs\": %lu, "
			  "\"translated\": %lu, \"same_setup\": %lu, \"states\": %lu, "
			  "\"interleavings\": %lu, \"cut\": %lu, \"revisits\": %lu, \"truncated\": %lu, "
			  "\"setup_violations\": %lu, \"unencodable\": %lu, \"invariant_programs\": [",
			  l > 2 ? ", " : "", l, c->candidates, c->programs, c->translated, c->same_setup,
			  c->states, c->interleavings, c->cut, c->revisits, c->truncated, c->setup_violations,
			  c->unencodable);
		for (int i = 0; i < r->nr_inv; i++)
			sb_printf(sb, "%s%lu", i ? ", " : "", c->inv_programs[i]);
		sb_printf(sb, "]}");
	}
	sb_printf(sb, "]}");
}

static void print_results(const struct opts *o, struct explore_result *res, int n, double wall)
{
	struct strbuf bound = { 0 };
	bound_text(&o->b, &bound);
	if (o->json) {
		struct strbuf sb = { 0 };
		sb_printf(&sb, "{\n  \"bound\": ");
		sb_json_string(&sb, sb_str(&bound));
		struct strbuf ops = { 0 };
		explore_ops_text(o->b.ops ? o->b.ops : EXPLORE_OPS_2014, ",", &ops);
		sb_printf(&sb, ",\n  \"max_ops\": %d, \"max_conc\": %d, \"max_pmds\": %d, \"max_mms\": %d, "
			  "\"preemptions\": %d, \"families\": %u, \"dedup\": %s, \"shard\": %d, "
			  "\"shards\": %d, \"ops\": \"%s\",\n  \"seconds\": %.3f,\n  \"results\": [\n",
			  o->b.max_ops, o->b.max_conc, o->b.max_pmds, o->b.max_mms, o->b.preemptions,
			  o->b.families, o->b.no_dedup ? "false" : "true", o->b.shard, o->b.shards,
			  sb_str(&ops), wall);
		sb_free(&ops);
		for (int i = 0; i < n; i++) {
			json_result(o, &res[i], i, result_protocol(o, res[i].protocol), &sb);
			sb_printf(&sb, "%s\n", i + 1 < n ? "," : "");
		}
		sb_printf(&sb, "  ]\n}\n");
		fputs(sb_str(&sb), stdout);
		sb_free(&sb);
	} else {
		printf("bound: %s\n\n", sb_str(&bound));
		printf("| protocol | verdict | expected | agrees | programs | states | interleavings | seconds |\n"
		       "|---|---|---|---|---:|---:|---:|---:|\n");
		for (int i = 0; i < n; i++) {
			const struct explore_result *r = &res[i];
			const struct protocol *p = result_protocol(o, r->protocol);
			struct strbuf v = { 0 };
			if (!r->nr_inv && r->ops_done >= o->b.max_ops)
				sb_printf(&v, result_whole(o, i) ? "clean within the bound" : "clean");
			else if (!r->nr_inv && r->ops_done < 2)
				sb_printf(&v, "no claim (interrupted in the first level)");
			else if (!r->nr_inv)
				sb_printf(&v, "clean through %d operations", r->ops_done);
			for (int k = 0; k < r->nr_inv; k++) {
				const struct explore_cex *c = &r->inv[k].cex;
				sb_printf(&v, "%s%s", k ? ", " : "", r->inv[k].name);
				if (c->size)
					sb_printf(&v, " (%d ops, %d steps, %d preemptions)", c->ops, c->steps,
						  c->preemptions);
			}
			/* A shard's programs are not the bound's: a clean claim of
			 * some shards is no claim of the bound. */
			if (!result_whole(o, i)) {
				shards_held_text(o, i, &v);
				sb_printf(&v, ", not the whole bound");
			}
			printf("| %s | %s | %s | %s | %lu | %lu | %lu | %.1f |\n", r->protocol, sb_str(&v),
			       expected_of(p, o->b.families), agreement(r, p, o->b.families, result_whole(o, i)), r->programs,
			       r->states, r->interleavings, r->seconds);
			sb_free(&v);
		}
		/* The programs not searched, once when every protocol has as
		 * many (the rows mostly share their menus and layouts). */
		bool alike = true;
		for (int i = 1; i < n; i++)
			alike &= res[i].same_setup == res[0].same_setup &&
				 res[i].translated == res[0].translated;
		for (int i = 0; i < n; i++) {
			const struct explore_result *r = &res[i];
			if ((r->same_setup || r->translated) && (!alike || i == 0))
				printf("\n%s: %lu programs more in the bound, not searched: %lu whose set-up "
				       "left a world an earlier program's set-up left (its programs were "
				       "searched), %lu whose every address is a pmd or more up (the same "
				       "program moved down was searched)\n",
				       alike && n > 1 ? "every protocol" : r->protocol,
				       r->same_setup + r->translated, r->same_setup, r->translated);
			struct strbuf searched = { 0 };
			searched_text(r, o->b.max_ops, &searched);
			if (searched.len && !result_whole(o, i))
				shards_held_text(o, i, &searched);
			if (searched.len)
				printf("\n%s: %s\n", r->protocol, sb_str(&searched));
			sb_free(&searched);
			if (r->truncated || r->unencodable || r->setup_violations)
				printf("\n%s: %lu interleavings cut at %d steps, %lu violating schedules no "
				       "input could hold, %lu set-up operations alone broke an invariant\n",
				       r->protocol, r->truncated, 400, r->unencodable, r->setup_violations);
			for (int k = 0; k < r->nr_inv; k++) {
				const struct explore_cex *c = &r->inv[k].cex;
				/* Why there is none, said: the only cause left, as a
				 * rewind keeps any of the claim's operations. */
				if (!c->size) {
					printf("\n%s %s: broken in %lu programs; no counterexample: every "
					       "schedule that broke it is unencodable (no input replays it)\n",
					       r->protocol, r->inv[k].name, r->inv[k].programs);
					continue;
				}
				struct strbuf t = { 0 };
				records_text(c, &t, "  ");
				printf("\n%s %s: broken in %lu programs; the shortest (%d operations, %d steps, %d "
				       "preemptions):\n%s", r->protocol, r->inv[k].name, r->inv[k].programs, c->ops,
				       c->steps, c->preemptions, sb_str(&t));
				sb_free(&t);
			}
		}
		printf("\n%d protocols in %.1f s\n", n, wall);
	}
	sb_free(&bound);
}

/* ---- workers ---- */

/* The signal that asked the search to stop (SIGINT, SIGTERM), 0 while none
 * did: the search's explore_bound.interrupt. The handler passes it on to
 * the live workers of --jobs itself (kill is async-signal-safe), so a stop
 * the parent alone got (kill PID) reaches them however the parent waits;
 * from a terminal they get it with their parent anyway. A second one ends
 * the process as the signal does (SA_RESETHAND). */
static volatile sig_atomic_t stop_signal;
static volatile sig_atomic_t workers[64];	/* live workers' pids, 0: none */

static void on_stop_signal(int sig)
{
	int saved = errno;
	stop_signal = sig;
	for (int j = 0; j < 64; j++)
		if (workers[j] > 0)
			kill((pid_t)workers[j], SIGTERM);
	errno = saved;
}

/* The stop signals held back (block) or let in again: around a fork and
 * the bookkeeping of workers[], so that the handler never sees a worker
 * half-made or already reaped. */
static void hold_stop_signals(bool block)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(block ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

/* worker: a worker's handlers only raise the flag, however many signals
 * come (its parent's and the terminal's both), and it has no workers. */
static void catch_stop_signals(bool worker)
{
	static const int sigs[] = { SIGINT, SIGTERM };
	for (int j = 0; worker && j < 64; j++)
		workers[j] = 0;
	for (int k = 0; k < 2; k++) {
		struct sigaction old;
		/* A command started in the background ignores SIGINT: so do we. */
		if (!sigaction(sigs[k], NULL, &old) && old.sa_handler == SIG_IGN)
			continue;
		struct sigaction sa = { .sa_handler = on_stop_signal,
					.sa_flags = SA_RESTART | (worker ? 0 : SA_RESETHAND) };
		sigemptyset(&sa.sa_mask);
		sigaction(sigs[k], &sa, NULL);
	}
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool read_all(int fd, void *buf, size_t n)
{
	char *p = buf;
	while (n) {
		ssize_t k = read(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return false;
		p += k;
		n -= (size_t)k;
	}
	return true;
}

static bool write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n) {
		ssize_t k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return false;
		p += k;
		n -= (size_t)k;
	}
	return true;
}

/* Workers 0..n-1 started and the next could not be: they are killed and
 * reaped, so that none searches on for hours with no one to read it. */
static void abandon_workers(const pid_t *pid, const int *fd, int n)
{
	for (int j = 0; j < n; j++) {
		kill(pid[j], SIGKILL);
		close(fd[j]);
	}
	for (int j = 0; j < n; j++) {
		hold_stop_signals(true);
		while (waitpid(pid[j], NULL, 0) < 0 && errno == EINTR)
			;
		workers[j] = 0;
		hold_stop_signals(false);
	}
}

/* One protocol, over o->jobs processes: worker j takes the shard's
 * programs numbered shard + shards * j mod shards * jobs. The model keeps
 * no global state, but processes keep a crash in one from the others. */
static bool explore_jobs(const struct opts *o, const struct protocol *p, struct explore_result *res,
			 bool progress)
{
	if (o->jobs <= 1) {
		explore_protocol(p, &o->b, res, progress);
		return true;
	}
	pid_t pid[64];
	int fd[64];
	/* Where a worker stopped at a violation tells the others to stop too
	 * (--stop-at-violation): a worker whose programs break nothing in
	 * that level would search on for hours, and only the level where they
	 * all are counts. */
	_Atomic int *shared_stop = mmap(NULL, sizeof(*shared_stop), PROT_READ | PROT_WRITE,
					MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared_stop == MAP_FAILED) {
		perror("rmapfuzz explore: mmap");
		return false;
	}
	atomic_init(shared_stop, 0);
	for (int j = 0; j < o->jobs; j++) {
		int pipefd[2];
		if (pipe(pipefd)) {
			perror("rmapfuzz explore: pipe");
			abandon_workers(pid, fd, j);
			munmap(shared_stop, sizeof(*shared_stop));
			return false;
		}
		fflush(NULL);
		hold_stop_signals(true);
		pid[j] = fork();
		if (pid[j] < 0) {
			hold_stop_signals(false);
			perror("rmapfuzz explore: fork");
			close(pipefd[0]);
			close(pipefd[1]);
			abandon_workers(pid, fd, j);
			munmap(shared_stop, sizeof(*shared_stop));
			return false;
		}
		if (pid[j]) {
			workers[j] = pid[j];
			hold_stop_signals(false);
		}
		if (!pid[j]) {
			/* (Started after a stop came, it stops at once: the flag is
			 * copied with the rest. One that came while held is taken
			 * by its own handler once let in.) */
			catch_stop_signals(true);
			hold_stop_signals(false);
			close(pipefd[0]);
			struct explore_bound b = o->b;
			b.shard = o->b.shard + o->b.shards * j;
			b.shards = o->b.shards * o->jobs;
			b.shared_stop = shared_stop;
			struct explore_result *r = malloc(sizeof(*r));
			if (!r)
				_exit(2);
			explore_protocol(p, &b, r, progress && j == 0);
			_exit(write_all(pipefd[1], r, sizeof(*r)) ? 0 : 2);
		}
		close(pipefd[1]);
		fd[j] = pipefd[0];
	}
	bool ok = true;
	memset(res, 0, sizeof(*res));
	snprintf(res->protocol, sizeof(res->protocol), "%s", p->name);
	struct explore_result *r = malloc(sizeof(*r));
	for (int j = 0; j < o->jobs; j++) {
		if (r && read_all(fd[j], r, sizeof(*r)))
			explore_result_merge(res, r);
		else
			ok = false;
		close(fd[j]);
		int st;
		hold_stop_signals(true);	/* reaped, its pid may be another's at once */
		while (waitpid(pid[j], &st, 0) < 0 && errno == EINTR)
			;
		workers[j] = 0;
		hold_stop_signals(false);
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			ok = false;
	}
	free(r);
	munmap(shared_stop, sizeof(*shared_stop));
	if (!ok)
		fprintf(stderr, "rmapfuzz explore: %s: a worker failed\n", p->name);
	return ok;
}

/* ---- --merge: the JSON explore writes, read back ---- */

/* The value after "key": in line (a number or a string, unescaped for the
 * few escapes sb_json_string makes); NULL when absent. */
static const char *json_field(const char *line, const char *key, char *buf, size_t size)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	const char *s = strstr(line, pat);
	if (!s)
		return NULL;
	s += strlen(pat);
	size_t n = 0;
	if (*s == '"') {
		for (s++; *s && *s != '"' && n + 1 < size; s++) {
			if (*s == '\\' && s[1]) {
				s++;
				buf[n++] = *s == 'n' ? '\n' : *s == 't' ? '\t' : *s;
			} else {
				buf[n++] = *s;
			}
		}
	} else {
		while (*s && *s != ',' && *s != '}' && *s != ']' && n + 1 < size)
			buf[n++] = *s++;
	}
	buf[n] = 0;
	return buf;
}

static unsigned long field_ul(const char *line, const char *key)
{
	char buf[64];
	return json_field(line, key, buf, sizeof(buf)) ? strtoul(buf, NULL, 10) : 0;
}

/* A result line's ops_done, end, not_minimized and levels into r; false
 * when they are missing or make no sense. */
static bool read_levels(const char *line, struct explore_result *r)
{
	char buf[64];
	if (!json_field(line, "ops_done", buf, sizeof(buf)))
		return false;
	char *end;
	long ops = strtol(buf, &end, 10);
	if (*end || ops < 0 || ops > EXPLORE_MAX_OPS)
		return false;
	r->ops_done = (int)ops;
	if (!json_field(line, "end", buf, sizeof(buf)))
		return false;
	if (!strcmp(buf, "complete"))
		r->end = EXPLORE_COMPLETE;
	else if (!strcmp(buf, "at-violation"))
		r->end = EXPLORE_AT_VIOLATION;
	else if (!strcmp(buf, "interrupted"))
		r->end = EXPLORE_INTERRUPTED;
	else
		return false;
	r->not_minimized = json_field(line, "not_minimized", buf, sizeof(buf)) && !strcmp(buf, "true");
	const char *s = strstr(line, "\"levels\": [");
	if (!s)
		return false;
	unsigned seen = 0;
	for (s = strstr(s, "{\"level\": "); s; s = strstr(s + 1, "{\"level\": ")) {
		/* One level's object alone (no object nests in it), so that a
		 * key missing from it is not read from the next. */
		const char *close = strchr(s, '}');
		char obj[2048];
		if (!close || (size_t)(close - s) >= sizeof(obj))
			return false;
		memcpy(obj, s, (size_t)(close - s));
		obj[close - s] = 0;
		static const char *const keys[] = { "level", "candidates", "programs", "translated",
						    "same_setup", "states", "interleavings", "cut", "revisits",
						    "truncated", "setup_violations", "unencodable",
						    "invariant_programs" };
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			if (!json_field(obj, keys[k], buf, sizeof(buf)))
				return false;
		int l = (int)field_ul(obj, "level");
		if (l < 2 || l > r->ops_done || (seen & 1u << l))
			return false;
		seen |= 1u << l;
		struct explore_level_counts *c = &r->upto[l];
		c->candidates = field_ul(obj, "candidates");
		c->programs = field_ul(obj, "programs");
		c->translated = field_ul(obj, "translated");
		c->same_setup = field_ul(obj, "same_setup");
		c->states = field_ul(obj, "states");
		c->interleavings = field_ul(obj, "interleavings");
		c->cut = field_ul(obj, "cut");
		c->revisits = field_ul(obj, "revisits");
		c->truncated = field_ul(obj, "truncated");
		c->setup_violations = field_ul(obj, "setup_violations");
		c->unencodable = field_ul(obj, "unencodable");
		const char *v = strstr(obj, "\"invariant_programs\": [");
		if (!v)
			return false;
		v += strlen("\"invariant_programs\": [");
		int i = 0;
		for (; *v != ']'; i++) {
			if (i >= r->nr_inv || *v < '0' || *v > '9')
				return false;
			c->inv_programs[i] = strtoul(v, &end, 10);
			v = end;
			if (*v == ',')
				v++;
			while (*v == ' ')
				v++;
		}
		if (i != r->nr_inv)
			return false;	/* one count per invariant */
	}
	/* Every level from 2 to ops_done, once. */
	return r->ops_done == 0 || (r->ops_done >= 2 && seen == ((2u << r->ops_done) - 4));
}

/* Mark the shards a result line holds (its "shards_merged", a merge's of
 * some shards, or the file's shard) as merged into result i; false, said,
 * for a shard merged twice (its counts would be added twice) or out of
 * range. */
static bool merge_shards(struct opts *o, int i, const char *path, const char *protocol,
			 const char *line, long file_shard)
{
	/* The list is no longer than its line: never cut. */
	size_t size = strlen(line) + 32;
	char *list = malloc(size);
	if (!list || (!o->seen[i] && !(o->seen[i] = calloc((size_t)o->shards, 1)))) {
		fprintf(stderr, "rmapfuzz explore: out of memory\n");
		free(list);
		return false;
	}
	bool listed = json_field(line, "shards_merged", list, size);
	if (!listed)
		snprintf(list, size, "%ld", file_shard);
	bool ok = true;
	for (char *s = list, *end; ok && *s; s = *end ? end + 1 : end) {
		long k = strtol(s, &end, 10);
		if (end == s || (*end && *end != ',') || k < 0 || k >= o->shards) {
			fprintf(stderr, "rmapfuzz explore: %s: %s: shard '%.*s' is not one of 0..%d\n", path,
				protocol, (int)strcspn(s, ","), s, o->shards - 1);
			ok = false;
		} else if (o->seen[i][k]) {
			fprintf(stderr, "rmapfuzz explore: %s: %s: shard %ld/%d merged twice (its counts "
				"would be added twice)\n", path, protocol, k, o->shards);
			ok = false;
		} else {
			o->seen[i][k] = 1;
			o->nr_seen[i]++;
		}
	}
	free(list);
	return ok;
}

static bool merge_file(const char *path, struct opts *o, struct explore_result *res, int *n,
		       char *bound, size_t bound_size)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "rmapfuzz explore: %s: %s\n", path, strerror(errno));
		return false;
	}
	char *line = NULL;
	size_t cap = 0;
	bool ok = true, seen_bound = false;
	char buf[4096];
	long file_shard = 0;
	while (getline(&line, &cap, f) > 0) {
		if (json_field(line, "bound", buf, sizeof(buf))) {
			seen_bound = true;
			if (!*bound)
				snprintf(bound, bound_size, "%s", buf);
			else if (strcmp(bound, buf)) {
				char *shard = strstr(buf, "; shard "), *mine = strstr(bound, "; shard ");
				if (!shard || !mine || shard - buf != mine - bound || strncmp(buf, bound, (size_t)(shard - buf))) {
					fprintf(stderr, "rmapfuzz explore: %s: another bound (%s) than the first "
						"file's (%s)\n", path, buf, bound);
					ok = false;
					break;
				}
			}
			continue;
		}
		if (strstr(line, "\"max_ops\": ")) {
			o->b.max_ops = (int)field_ul(line, "max_ops");
			o->b.max_conc = (int)field_ul(line, "max_conc");
			o->b.max_pmds = (int)field_ul(line, "max_pmds");
			o->b.max_mms = (int)field_ul(line, "max_mms");
			json_field(line, "preemptions", buf, sizeof(buf));
			o->b.preemptions = atoi(buf);
			o->b.families = (unsigned)field_ul(line, "families");
			json_field(line, "dedup", buf, sizeof(buf));
			o->b.no_dedup = !strcmp(buf, "false");
			json_field(line, "shard", buf, sizeof(buf));
			file_shard = strtol(buf, NULL, 10);
			int shards = (int)field_ul(line, "shards");
			shards = shards > 1 ? shards : 1;
			if (o->shards && shards != o->shards) {
				fprintf(stderr, "rmapfuzz explore: %s: %d shards, where the first file's "
					"have %d: shards of two splits do not add up to the bound\n", path,
					shards, o->shards);
				ok = false;
				break;
			}
			o->shards = shards;
			char why[256];
			if (json_field(line, "ops", buf, sizeof(buf)) &&
			    !explore_ops_parse(buf, &o->b.ops, why, sizeof(why))) {
				fprintf(stderr, "rmapfuzz explore: %s: %s\n", path, why);
				ok = false;
				break;
			}
			continue;
		}
		if (!json_field(line, "protocol", buf, sizeof(buf)))
			continue;
		const struct protocol *p = result_protocol(o, buf);
		char why[2048];
		if (!p && !(p = add_protocol(o, buf, why, sizeof(why)))) {
			fprintf(stderr, "rmapfuzz explore: %s: %s\n", path, why);
			ok = false;
			break;
		}
		struct explore_result r = { 0 };
		snprintf(r.protocol, sizeof(r.protocol), "%s", p->name);
		r.candidates = field_ul(line, "candidates");
		r.programs = field_ul(line, "programs");
		r.states = field_ul(line, "states");
		r.interleavings = field_ul(line, "interleavings");
		r.cut = field_ul(line, "cut");
		r.revisits = field_ul(line, "revisits");
		r.truncated = field_ul(line, "truncated");
		r.setup_violations = field_ul(line, "setup_violations");
		r.unencodable = field_ul(line, "unencodable");
		r.same_setup = field_ul(line, "same_setup");
		r.translated = field_ul(line, "translated");
		json_field(line, "seconds", buf, sizeof(buf));
		r.seconds = strtod(buf, NULL);
		for (const char *s = strstr(line, "{\"invariant\": "); s && r.nr_inv < EXPLORE_MAX_INVARIANTS;
		     s = strstr(s + 1, "{\"invariant\": ")) {
			int k = r.nr_inv++;
			json_field(s, "invariant", r.inv[k].name, sizeof(r.inv[k].name));
			r.inv[k].programs = field_ul(s, "programs");
			struct explore_cex *c = &r.inv[k].cex;
			c->ops = (int)field_ul(s, "ops");
			c->steps = (int)field_ul(s, "steps");
			c->preemptions = (int)field_ul(s, "preemptions");
			c->level = (int)field_ul(s, "level");
			json_field(s, "input", buf, sizeof(buf));
			for (size_t i = 0; buf[2 * i] && buf[2 * i + 1] && i < sizeof(c->data); i++) {
				unsigned v;
				sscanf(buf + 2 * i, "%2x", &v);
				c->data[i] = (uint8_t)v;
				c->size = i + 1;
			}
		}
		if (!read_levels(line, &r) || r.ops_done > o->b.max_ops) {
			fprintf(stderr, "rmapfuzz explore: %s: %s: no levels, or levels that make no sense "
				"(ops_done, end, levels: an older rmapfuzz explore wrote it, or it was cut or "
				"edited); explore it again\n", path, r.protocol);
			ok = false;
			break;
		}
		int i = 0;
		while (i < *n && strcmp(res[i].protocol, r.protocol))
			i++;
		if (i == *n) {
			memset(&res[i], 0, sizeof(res[i]));
			snprintf(res[i].protocol, sizeof(res[i].protocol), "%s", r.protocol);
			++*n;
		}
		if (!merge_shards(o, i, path, r.protocol, line, file_shard)) {
			ok = false;
			break;
		}
		explore_result_merge(&res[i], &r);
	}
	if (ok && !seen_bound) {
		fprintf(stderr, "rmapfuzz explore: %s: not a result of rmapfuzz explore --json\n", path);
		ok = false;
	}
	free(line);
	fclose(f);
	return ok;
}

/* ---- the command ---- */

enum { OPT_ALL = 256, OPT_MAX_OPS, OPT_MAX_CONC, OPT_MAX_PMDS, OPT_MAX_MMS, OPT_PREEMPTIONS, OPT_JOBS,
       OPT_SHARD, OPT_JSON, OPT_INVARIANTS, OPT_NO_DEDUP, OPT_BYTE_HASH, OPT_NO_REDUCTION, OPT_MEASURE,
       OPT_MERGE, OPT_VERSION, OPT_OPS, OPT_STOP_AT_VIOLATION };

int explore_main(int argc, char **argv, const char *version)
{
	static const struct option longopts[] = {
		{ "protocol", required_argument, NULL, 'p' },
		{ "all", no_argument, NULL, OPT_ALL },
		{ "max-ops", required_argument, NULL, OPT_MAX_OPS },
		{ "max-conc", required_argument, NULL, OPT_MAX_CONC },
		{ "max-pmds", required_argument, NULL, OPT_MAX_PMDS },
		{ "max-mms", required_argument, NULL, OPT_MAX_MMS },
		{ "preemptions", required_argument, NULL, OPT_PREEMPTIONS },
		{ "jobs", required_argument, NULL, OPT_JOBS },
		{ "shard", required_argument, NULL, OPT_SHARD },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "invariants", required_argument, NULL, OPT_INVARIANTS },
		{ "ops", required_argument, NULL, OPT_OPS },
		{ "no-dedup", no_argument, NULL, OPT_NO_DEDUP },
		{ "byte-hash", no_argument, NULL, OPT_BYTE_HASH },
		{ "no-reduction", no_argument, NULL, OPT_NO_REDUCTION },
		{ "measure", no_argument, NULL, OPT_MEASURE },
		{ "merge", no_argument, NULL, OPT_MERGE },
		{ "stop-at-violation", no_argument, NULL, OPT_STOP_AT_VIOLATION },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ 0 },
	};
	struct opts o = { .jobs = 1 };
	explore_default_bound(&o.b);
	char prog[] = "rmapfuzz explore";
	char *saved = argv[0];
	argv[0] = prog;
	optind = 0;
	int opt, rc = -1;
	while (rc < 0 && (opt = getopt_long(argc, argv, "hp:o:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'p': {
			char why[2048];
			if (!add_protocol(&o, optarg, why, sizeof(why))) {
				fprintf(stderr, "rmapfuzz: %s (--protocol)\n", why);
				rc = usage("%s", "a protocol rmapfuzz protocols lists, or a spec ROW+SWITCH[,SWITCH...]");
			}
			break;
		}
		case OPT_ALL:
			o.all = true;
			break;
		case OPT_MAX_OPS:
		case OPT_MAX_CONC:
		case OPT_MAX_PMDS:
		case OPT_MAX_MMS:
		case OPT_PREEMPTIONS:
		case OPT_JOBS: {
			/* The numeric options: where each goes and its range. */
			const struct { const char *name; int lo, hi; int *out; } num[] = {
				[OPT_MAX_OPS - OPT_MAX_OPS] = { "--max-ops", 2, 8, &o.b.max_ops },
				[OPT_MAX_CONC - OPT_MAX_OPS] = { "--max-conc", 2, 6, &o.b.max_conc },
				[OPT_MAX_PMDS - OPT_MAX_OPS] = { "--max-pmds", 1, 16, &o.b.max_pmds },
				[OPT_MAX_MMS - OPT_MAX_OPS] = { "--max-mms", 1, MAX_MMS, &o.b.max_mms },
				[OPT_PREEMPTIONS - OPT_MAX_OPS] = { "--preemptions", 0, 1000, &o.b.preemptions },
				[OPT_JOBS - OPT_MAX_OPS] = { "--jobs", 1, 64, &o.jobs },
			};
			const int k = opt - OPT_MAX_OPS;
			if (!number(optarg, num[k].lo, num[k].hi, num[k].out)) {
				fprintf(stderr, "rmapfuzz explore: %s wants a number from %d to %d, not '%s'\n"
					"Try 'rmapfuzz explore --help'.\n", num[k].name, num[k].lo, num[k].hi,
					optarg);
				rc = 2;
			}
			break;
		}
		case OPT_SHARD: {
			int i, n, end = 0;
			if (sscanf(optarg, "%d/%d%n", &i, &n, &end) != 2 || optarg[end] || n < 1 ||
			    n > 1000000 || i < 0 || i >= n)
				rc = usage("--shard wants I/N with 0 <= I < N, not '%s'", optarg);
			else
				o.b.shard = i, o.b.shards = n;
			break;
		}
		case OPT_JSON:
			o.json = true;
			break;
		case OPT_INVARIANTS: {
			char why[128];
			if (!invariant_families_parse(optarg, &o.b.families, why, sizeof(why)))
				rc = usage("%s (--invariants)", why);
			break;
		}
		case OPT_OPS: {
			char why[256];
			if (!explore_ops_parse(optarg, &o.b.ops, why, sizeof(why)))
				rc = usage("%s (--ops)", why);
			break;
		}
		case OPT_NO_DEDUP:
			o.b.no_dedup = true;
			break;
		case OPT_BYTE_HASH:
			o.b.byte_hash = true;
			break;
		case OPT_NO_REDUCTION:
			o.b.no_reduction = true;
			break;
		case OPT_MEASURE:
			o.b.measure = true;
			break;
		case OPT_MERGE:
			o.merge = true;
			break;
		case OPT_STOP_AT_VIOLATION:
			o.b.stop_at_violation = true;
			break;
		case 'o':
			o.out = optarg;
			break;
		case 'h':
			explore_help();
			rc = 0;
			break;
		case OPT_VERSION:
			printf("rmapfuzz %s\n", version);
			rc = 0;
			break;
		default:
			rc = usage("%s", "bad option (above)");
			break;
		}
	}
	argv[0] = saved;
	if (rc >= 0)
		return rc;
	if (o.merge && optind == argc)
		return usage("%s", "--merge wants the FILEs of --json results to join");
	if (!o.merge && optind < argc)
		return usage("takes no operands ('%s'; --merge joins files)", argv[optind]);
	if (o.merge && (o.nr_proto || o.all))
		return usage("%s", "--merge takes the protocols its files hold, not --protocol or --all");
	if (o.b.max_conc > o.b.max_ops)
		return usage("%s", "--max-conc is more than --max-ops");
	if (o.out) {
		struct stat st;
		if (!stat(o.out, &st) && !S_ISDIR(st.st_mode))
			return usage("-o %s: not a directory", o.out);
	}

	struct explore_result *res = calloc((size_t)nr_protocols + 64, sizeof(*res));
	o.seen = calloc((size_t)nr_protocols + 64, sizeof(*o.seen));
	o.nr_seen = calloc((size_t)nr_protocols + 64, sizeof(*o.nr_seen));
	if (!res || !o.seen || !o.nr_seen) {
		fprintf(stderr, "rmapfuzz explore: out of memory\n");
		free_merge(&o, res);
		return 2;
	}
	int n = 0;
	double t0 = now();
	int status = 0;
	if (o.merge) {
		char bound[4096] = "";
		for (int i = optind; i < argc; i++)
			if (!merge_file(argv[i], &o, res, &n, bound, sizeof(bound))) {
				free_merge(&o, res);
				return 2;
			}
		/* The whole bound when every result holds every shard; else a
		 * set of them, said per result (and kept for a merge with the
		 * rest). */
		bool whole = true;
		for (int i = 0; i < n; i++)
			whole &= result_whole(&o, i);
		o.b.shard = whole ? 0 : -1;
		o.b.shards = whole ? 1 : o.shards;
	} else {
		if (!o.nr_proto)
			for (int i = 0; i < nr_protocols; i++)
				o.proto[o.nr_proto++] = &protocols[i];
		/* Only an access fills a TLB: without one in the menu no TLB ever
		 * holds a translation, and "clean" in the tlb family would say
		 * nothing. Said, not refused: the bound is still the user's. */
		unsigned ops = o.b.ops ? o.b.ops : EXPLORE_OPS_2014;
		if ((o.b.families & FAMILY_TLB) && !(ops & EXPLORE_OP_ACCESS))
			fputs("rmapfuzz explore: note: the tlb family is judged, but only an access "
			      "fills a TLB and the menu has none: nothing can be stale (add access to "
			      "--ops)\n", stderr);
		struct strbuf bound = { 0 };
		bound_text(&o.b, &bound);
		bool progress = isatty(2) || getenv("RMAPFUZZ_PROGRESS");
		fprintf(stderr, "rmapfuzz explore: %d protocol(s), bound: %s\n", o.nr_proto, sb_str(&bound));
		sb_free(&bound);
		catch_stop_signals(false);
		o.b.interrupt = &stop_signal;
		for (int i = 0; i < o.nr_proto && !stop_signal; i++) {
			double t = now();
			if (!explore_jobs(&o, o.proto[i], &res[n], progress))
				status = 2;
			res[n].seconds = now() - t;
			fprintf(stderr, "rmapfuzz explore: [%d/%d] %s: %s, %lu programs, %lu states in %.1f s%s\n",
				i + 1, o.nr_proto, o.proto[i]->name, res[n].nr_inv ? "violated" : "clean",
				res[n].programs, res[n].states, res[n].seconds,
				res[n].end == EXPLORE_INTERRUPTED ? " (interrupted)" : "");
			n++;
		}
		if (stop_signal && n < o.nr_proto)
			fprintf(stderr, "rmapfuzz explore: stopped by %s: %d of %d protocol(s) explored\n",
				stop_signal == SIGINT ? "SIGINT" : "SIGTERM", n, o.nr_proto);
	}
	print_results(&o, res, n, now() - t0);
	if (o.out) {
		struct strbuf bound = { 0 };
		bound_text(&o.b, &bound);
		for (int i = 0; i < n; i++)
			for (int k = 0; k < res[i].nr_inv; k++)
				if (res[i].inv[k].cex.size &&
				    !write_cex(&o, result_protocol(&o, res[i].protocol), res[i].inv[k].name,
					       &res[i].inv[k].cex, !res[i].not_minimized, sb_str(&bound)))
					status = 2;
		sb_free(&bound);
	}
	free_merge(&o, res);
	if (stop_signal && !status) {
		/* End as the signal ends a process, the result written: a shell
		 * or script that ran us then stops too (it would go on after a
		 * plain exit 130). */
		fflush(NULL);
		signal(stop_signal, SIG_DFL);
		raise(stop_signal);
		status = 128 + stop_signal;
	}
	return status;
}
