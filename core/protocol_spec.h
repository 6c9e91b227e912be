/* Protocols by their switches: ad-hoc rows, written where a row's name goes.
 *
 * A spec is a row's name, or BASE+SWITCH[,SWITCH...]: row BASE with the
 * switches changed. A switch is its struct protocol field's name: a boolean
 * alone turns it on, NAME=on|off sets it; an enum is NAME=VALUE, the value
 * named as the kernel-ish constant (pmd_move_locks=never, index=list,
 * anon_vma_reuse=counts; protocol_switches_text lists them all).
 *
 *   linux-3.15+pmd_move_locks=never,split_pmd_peek
 *   linux-3.19+anon_vma_reuse=counts
 *
 * Every struct protocol has one canonical spec: linux-3.15, then '+' and
 * the switches where it differs from linux-3.15, in the struct's order,
 * booleans by name alone (linux-3.15 alone when none differ). Parsing the
 * canonical spec gives the same switches back; it is the ad-hoc row's name,
 * so two spellings of one combination name it alike (crasher directories,
 * violation lines, bench tables).
 *
 * An ad-hoc row is no kernel and has no verdict of ours: expected and
 * expected_tlb are "unknown", for the fuzzer and the explorer to decide.
 * Nothing here is global: the row and its strings live in the caller's
 * struct protocol_adhoc.
 */
#ifndef RMAP_PROTOCOL_SPEC_H
#define RMAP_PROTOCOL_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol.h"

/* The longest spec kept: every switch at its longest fits. */
#define PROTOCOL_SPEC_MAX 512

struct protocol_adhoc {
	struct protocol proto;		/* name, changes, origin point below */
	char name[PROTOCOL_SPEC_MAX];	/* the canonical spec */
	char changes[PROTOCOL_SPEC_MAX + 64];
	char origin[PROTOCOL_SPEC_MAX + 64];	/* the spec as written */
};

/* One switch: a field of struct protocol, a bool or an enum of values. */
struct protocol_switch {
	const char *name;
	size_t offset, size;
	const char *const *values;	/* an enum's names by value; NULL for a bool */
	int nr_values;
};

extern const struct protocol_switch protocol_switches[];
extern const int nr_protocol_switches;

int protocol_switch_get(const struct protocol *p, const struct protocol_switch *s);
void protocol_switch_set(struct protocol *p, const struct protocol_switch *s, int v);
/* Every switch of a and b alike (the rows' prose aside). */
bool protocol_same_switches(const struct protocol *a, const struct protocol *b);

/* spec: a row's name (that row, as protocol_find finds it) or
 * BASE+SWITCH[,SWITCH...] (adhoc filled, &adhoc->proto returned). NULL on
 * a bad spec, with why: the bad part and what is known instead (the rows,
 * the switches, or an enum's values), or the two switches that conflict. */
const struct protocol *protocol_lookup(const char *spec, struct protocol_adhoc *adhoc, char *why,
				       size_t why_size);

/* p's canonical spec into buf (truncated to size); its length. */
size_t protocol_spec(const struct protocol *p, char *buf, size_t size);

/* The switches and their values, "index=tree|list tree_equal=after|before
 * moveto_tail ...", for error messages and help. */
void protocol_switches_text(char *buf, size_t size);

/* Why p's switches cannot go together, or NULL. moveto_tail reorders the
 * list index and needs index=list, templist=off: on the tree, or with the
 * avcs on a templist, it corrupts the model's lists (blind testing
 * segfaults at once). move_normal_pmd needs split_ptlocks: no kernel moved
 * a pte table without its lock, which lives in the table's struct page. */
const char *protocol_conflict(const struct protocol *p);

/* p with the switches that change nothing in it reset to linux-3.15's:
 * tree_equal without the tree, table_move_locks without move_normal_pmd,
 * pmd_move_locks when mremap never moves a huge pmd (no_thp_move). Two
 * protocols alike after it behave alike. */
void protocol_normalize(struct protocol *p);

/* The row whose normalized switches are p's normalized ones, or NULL. */
const struct protocol *protocol_row_like(const struct protocol *p);

/* A random combination into adhoc, from *state (any value; advanced):
 * linux-3.15 with one to four switches changed to a value of theirs, then
 * what those need (protocol_conflict), normalized, and like no row. The
 * same state gives the same draw. */
void protocol_random(uint64_t *state, struct protocol_adhoc *adhoc);

#endif
