/* Ad-hoc protocols (protocol_spec.h): specs parse to the switches they
 * name, every struct's canonical spec parses back to it (the rows' and
 * random draws'), and a bad spec says what is wrong and what is known. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "protocol_spec.h"
#include "test.h"

static const struct protocol *lookup(const char *spec, struct protocol_adhoc *a)
{
	char why[2048];
	const struct protocol *p = protocol_lookup(spec, a, why, sizeof(why));
	if (!p)
		fprintf(stderr, "%s: %s\n", spec, why);
	return p;
}

/* spec(p) parses to p's switches, under the same canonical name. */
static void check_round_trip(const struct protocol *p)
{
	char spec[PROTOCOL_SPEC_MAX];
	CHECK(protocol_spec(p, spec, sizeof(spec)) < sizeof(spec));
	struct protocol_adhoc a;
	const struct protocol *q = lookup(spec, &a);
	CHECK(q != NULL);
	if (!q)
		return;
	CHECK(protocol_same_switches(p, q));
	char again[PROTOCOL_SPEC_MAX];
	protocol_spec(q, again, sizeof(again));
	CHECK_STR(again, spec);
}

static void every_row_round_trips(void)
{
	for (int i = 0; i < nr_protocols; i++) {
		const struct protocol *row = &protocols[i];
		struct protocol_adhoc a;
		CHECK(lookup(row->name, &a) == row);	/* a name is the row itself */
		CHECK(protocol_conflict(row) == NULL);
		check_round_trip(row);
	}
	char spec[PROTOCOL_SPEC_MAX];
	protocol_spec(protocol_default(), spec, sizeof(spec));
	CHECK_STR(spec, "linux-3.15");
	protocol_spec(protocol_find("linux-3.14"), spec, sizeof(spec));
	CHECK_STR(spec, "linux-3.15+pmd_move_locks=never,split_pmd_peek");
}

static void random_draws_round_trip(void)
{
	uint64_t state = 42, again = 42;
	for (int i = 0; i < 2000; i++) {
		struct protocol_adhoc a, b;
		protocol_random(&state, &a);
		protocol_random(&again, &b);
		CHECK_STR(a.name, b.name);	/* the same seed, the same draws */
		CHECK(protocol_row_like(&a.proto) == NULL);
		CHECK(protocol_conflict(&a.proto) == NULL);
		struct protocol n = a.proto;
		protocol_normalize(&n);
		CHECK(protocol_same_switches(&n, &a.proto));
		CHECK_STR(a.proto.expected, "unknown");
		check_round_trip(&a.proto);
	}
}

/* Any row as the base, booleans on and off, one name for one struct. */
static void spellings_name_one_protocol(void)
{
	struct protocol_adhoc a;
	const struct protocol *p = lookup("linux-3.19+anon_vma_reuse=counts", &a);
	CHECK(p == &a.proto);
	CHECK_STR(p->name, "linux-3.15+anon_vma_reuse=counts");
	CHECK(protocol_same_switches(p, protocol_find("reuse-fixed")));
	CHECK_STR(p->expected, "unknown");
	CHECK_STR(protocol_expected_tlb(p), "unknown");
	CHECK(strstr(p->changes, "reuse-fixed") != NULL);
	CHECK(strstr(p->origin, "linux-3.19+anon_vma_reuse=counts") != NULL);

	p = lookup("all-fixes+move_flush_locked=off,split_refuses_pins=off", &a);
	CHECK(p != NULL);
	if (p)
		CHECK_STR(p->name, "linux-3.15+anon_vma_reuse=counts");

	struct protocol_adhoc b;
	p = lookup("linux-3.15+split_retry=on,pmd_move_locks=never", &a);
	const struct protocol *q = lookup("retry-walk+split_retry", &b);
	CHECK(p && q);
	if (p && q)
		CHECK_STR(p->name, q->name);
	/* enum values by name, the struct's order in the canonical spec */
	p = lookup("linux-3.15+templist=all,pte_move_locks=always,index=list", &a);
	CHECK(p != NULL);
	if (p) {
		CHECK_STR(p->name, "linux-3.15+index=list,pte_move_locks=always,templist=all");
		CHECK_EQ(p->templist, TEMPLIST_ALL);
		CHECK_EQ(p->pte_move_locks, RMAP_LOCKS_ALWAYS);
		CHECK_EQ(p->index, INDEX_LIST);
	}
}

static void bad_specs_say_why(void)
{
	char longspec[PROTOCOL_SPEC_MAX + 40] = "linux-3.15+";
	while (strlen(longspec) < PROTOCOL_SPEC_MAX)
		strcat(longspec, "split_retry,");
	const struct {
		const char *spec, *why;
	} bad[] = {
		{ "nope", "unknown protocol 'nope'; known: linux-3.15 " },
		{ "nope+split_retry", "unknown row 'nope' before the '+'" },
		{ "linux-3.15+", "an empty switch" },
		{ "linux-3.15+split_retry,,unlink_first", "an empty switch" },
		{ "linux-3.15+split_retry,", "an empty switch" },
		{ "linux-3.15+foo", "unknown switch 'foo' in 'linux-3.15+foo'; known: index=tree|list " },
		{ "linux-3.15+foo=1", "unknown switch 'foo'" },
		{ "linux-3.15+index", "switch index wants a value in 'linux-3.15+index': index=tree|list" },
		{ "linux-3.15+index=", "bad value '' for switch index" },
		{ "linux-3.15+pmd_move_locks=sometimes", "bad value 'sometimes' for switch pmd_move_locks in "
		  "'linux-3.15+pmd_move_locks=sometimes'; known: pmd_move_locks=need|never|always" },
		{ "linux-3.15+split_retry=yes", "bad value 'yes' for switch split_retry" },
		{ "linux-3.15+split_retry,split_retry=off", "switch split_retry given twice" },
		{ "linux-3.15+moveto_tail", "moveto_tail needs index=list" },
		{ "list-3.3+templist=all", "moveto_tail needs templist=off" },
		{ "linux-3.15+move_normal_pmd", "move_normal_pmd needs split_ptlocks" },
		{ "move-normal-pmd+split_ptlocks=off", "move_normal_pmd needs split_ptlocks" },
		{ longspec, "at most 511" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct protocol_adhoc a;
		char why[2048] = "";
		CHECK(protocol_lookup(bad[i].spec, &a, why, sizeof(why)) == NULL);
		if (!strstr(why, bad[i].why)) {
			fprintf(stderr, "%s: '%s' lacks '%s'\n", bad[i].spec, why, bad[i].why);
			CHECK(!"the error says why");
		}
	}
	/* A short buffer truncates, never overruns. */
	struct protocol_adhoc a;
	char why[8];
	CHECK(protocol_lookup("linux-3.15+foo", &a, why, sizeof(why)) == NULL);
	CHECK_EQ(strlen(why), sizeof(why) - 1);
}

/* The table follows struct protocol field by field: a switch added to the
 * struct and not to the table leaves a gap here. */
static void switches_cover_the_struct(void)
{
	const struct protocol_switch *s = protocol_switches;
	CHECK_EQ(s[0].offset, offsetof(struct protocol, index));
	for (int i = 1; i < nr_protocol_switches; i++) {
		size_t end = s[i - 1].offset + s[i - 1].size;
		CHECK(s[i].offset >= end);
		/* padding only: none before a bool, less than an int before an enum */
		CHECK(s[i].offset - end < (s[i].values ? sizeof(int) : 1));
	}
	const struct protocol_switch *last = &s[nr_protocol_switches - 1];
	CHECK(sizeof(struct protocol) - (last->offset + last->size) < sizeof(void *));
	/* and every switch shows in a spec when it differs */
	for (int i = 0; i < nr_protocol_switches; i++) {
		struct protocol p = *protocol_default();
		protocol_switch_set(&p, &s[i], 1);
		char spec[PROTOCOL_SPEC_MAX];
		protocol_spec(&p, spec, sizeof(spec));
		CHECK(strstr(spec, s[i].name) != NULL);
	}
}

/* Switches that change nothing are dropped from draws, not from specs. */
static void normalize_drops_what_does_nothing(void)
{
	struct protocol p = *protocol_default();
	p.table_move_locks = RMAP_LOCKS_ALWAYS;
	p.tree_equal = ITREE_EQUAL_BEFORE;
	p.index = INDEX_LIST;
	protocol_normalize(&p);
	CHECK_EQ(p.table_move_locks, RMAP_LOCKS_NEED);
	CHECK_EQ(p.tree_equal, ITREE_EQUAL_AFTER);
	CHECK(protocol_row_like(protocol_find("list-3.1")) == protocol_find("list-3.1"));
	p = *protocol_find("list-3.1");
	p.pmd_move_locks = RMAP_LOCKS_NEED;	/* no_thp_move: move_huge_pmd never runs */
	CHECK(protocol_row_like(&p) == protocol_find("list-3.1"));
}

TEST_MAIN(T(every_row_round_trips), T(random_draws_round_trip), T(spellings_name_one_protocol),
	  T(bad_specs_say_why), T(switches_cover_the_struct), T(normalize_drops_what_does_nothing))
