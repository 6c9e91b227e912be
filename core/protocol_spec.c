#include "protocol_spec.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Enums are read and written as int: the table's size says which. */
_Static_assert(sizeof(enum anon_vma_index_form) == sizeof(int), "enum switch is an int");
_Static_assert(sizeof(enum itree_equal) == sizeof(int), "enum switch is an int");
_Static_assert(sizeof(enum rmap_lock_rule) == sizeof(int), "enum switch is an int");
_Static_assert(sizeof(enum templist_mode) == sizeof(int), "enum switch is an int");
_Static_assert(sizeof(enum anon_vma_reuse) == sizeof(int), "enum switch is an int");

#define NR(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define FIELD(f) #f, offsetof(struct protocol, f), sizeof(((struct protocol *)0)->f)
#define BOOL(f) { FIELD(f), NULL, 2 }
#define ENUM(f, v) { FIELD(f), v, NR(v) }

/* The values' names, indexed by the enum (protocol.h). */
static const char *const index_values[] = { [INDEX_TREE] = "tree", [INDEX_LIST] = "list" };
static const char *const equal_values[] = { [ITREE_EQUAL_AFTER] = "after", [ITREE_EQUAL_BEFORE] = "before" };
static const char *const lock_values[] = { [RMAP_LOCKS_NEED] = "need", [RMAP_LOCKS_NEVER] = "never",
					   [RMAP_LOCKS_ALWAYS] = "always" };
static const char *const templist_values[] = { [TEMPLIST_OFF] = "off", [TEMPLIST_NEW_ONLY] = "new_only",
					       [TEMPLIST_ALL] = "all" };
static const char *const reuse_values[] = { [REUSE_NONE] = "none", [REUSE_DEGREE] = "degree",
					    [REUSE_COUNTS] = "counts" };

/* In struct protocol's order: the canonical spec's. */
const struct protocol_switch protocol_switches[] = {
	ENUM(index, index_values),
	ENUM(tree_equal, equal_values),
	ENUM(pte_move_locks, lock_values),
	ENUM(pmd_move_locks, lock_values),
	BOOL(moveto_tail),
	BOOL(split_pmd_peek),
	BOOL(pmd_lock_mm),
	BOOL(anon_vma_mutex),
	BOOL(no_thp_move),
	BOOL(migration_pte_peek),
	BOOL(unlink_first),
	BOOL(split_retry),
	BOOL(no_stack_skip),
	BOOL(move_flush_locked),
	BOOL(move_normal_pmd),
	ENUM(table_move_locks, lock_values),
	BOOL(split_ptlocks),
	BOOL(split_refuses_pins),
	ENUM(templist, templist_values),
	ENUM(anon_vma_reuse, reuse_values),
};
const int nr_protocol_switches = NR(protocol_switches);

/* Switches that need another at a value (protocol_conflict says why). */
static const struct {
	const char *sw, *needs;
	int value;
	const char *msg;
} needs[] = {
	{ "moveto_tail", "index", INDEX_LIST,
	  "moveto_tail needs index=list: anon_vma_moveto_tail reorders the same_anon_vma list" },
	{ "moveto_tail", "templist", TEMPLIST_OFF,
	  "moveto_tail needs templist=off: it moves list entries a templist would hold" },
	{ "move_normal_pmd", "split_ptlocks", 1,
	  "move_normal_pmd needs split_ptlocks: a moved pte table keeps its own lock" },
};

/* Switches that change nothing unless another is at a value. */
static const struct {
	const char *sw, *when;
	int value;
} matters[] = {
	{ "tree_equal", "index", INDEX_TREE },
	{ "table_move_locks", "move_normal_pmd", 1 },
	{ "pmd_move_locks", "no_thp_move", 0 },	/* only move_huge_pmd takes it */
};

static const struct protocol_switch *find_switch(const char *name, size_t len)
{
	for (int i = 0; i < nr_protocol_switches; i++)
		if (strlen(protocol_switches[i].name) == len && !strncmp(protocol_switches[i].name, name, len))
			return &protocol_switches[i];
	return NULL;
}

static const struct protocol_switch *named(const char *name)
{
	return find_switch(name, strlen(name));
}

int protocol_switch_get(const struct protocol *p, const struct protocol_switch *s)
{
	const char *at = (const char *)p + s->offset;
	if (!s->values) {
		bool b;
		memcpy(&b, at, sizeof(b));
		return b;
	}
	int v;
	memcpy(&v, at, sizeof(v));
	return v;
}

void protocol_switch_set(struct protocol *p, const struct protocol_switch *s, int v)
{
	char *at = (char *)p + s->offset;
	if (!s->values) {
		bool b = v;
		memcpy(at, &b, sizeof(b));
	} else {
		memcpy(at, &v, sizeof(v));
	}
}

bool protocol_same_switches(const struct protocol *a, const struct protocol *b)
{
	for (int i = 0; i < nr_protocol_switches; i++)
		if (protocol_switch_get(a, &protocol_switches[i]) != protocol_switch_get(b, &protocol_switches[i]))
			return false;
	return true;
}

/* Appends to buf[size] at *len, truncating; *len keeps counting. */
static void add(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(*len < size ? buf + *len : NULL, *len < size ? size - *len : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		*len += (size_t)n;
}

static void switch_text(const struct protocol_switch *s, char *buf, size_t size, size_t *len)
{
	add(buf, size, len, "%s", s->name);
	for (int v = 0; s->values && v < s->nr_values; v++)
		add(buf, size, len, "%s%s", v ? "|" : "=", s->values[v]);
}

void protocol_switches_text(char *buf, size_t size)
{
	size_t len = 0;
	if (size)
		buf[0] = 0;
	for (int i = 0; i < nr_protocol_switches; i++) {
		add(buf, size, &len, "%s", i ? " " : "");
		switch_text(&protocol_switches[i], buf, size, &len);
	}
}

size_t protocol_spec(const struct protocol *p, char *buf, size_t size)
{
	const struct protocol *base = protocol_default();
	size_t len = 0;
	char sep = '+';
	if (size)
		buf[0] = 0;
	add(buf, size, &len, "%s", base->name);
	for (int i = 0; i < nr_protocol_switches; i++) {
		const struct protocol_switch *s = &protocol_switches[i];
		int v = protocol_switch_get(p, s);
		if (v == protocol_switch_get(base, s))
			continue;
		if (s->values)
			add(buf, size, &len, "%c%s=%s", sep, s->name,
			    v >= 0 && v < s->nr_values ? s->values[v] : "?");
		else
			add(buf, size, &len, "%c%s%s", sep, s->name, v ? "" : "=off");
		sep = ',';
	}
	return len;
}

const char *protocol_conflict(const struct protocol *p)
{
	for (int i = 0; i < NR(needs); i++)
		if (protocol_switch_get(p, named(needs[i].sw)) &&
		    protocol_switch_get(p, named(needs[i].needs)) != needs[i].value)
			return needs[i].msg;
	return NULL;
}

void protocol_normalize(struct protocol *p)
{
	for (int i = 0; i < NR(matters); i++)
		if (protocol_switch_get(p, named(matters[i].when)) != matters[i].value)
			protocol_switch_set(p, named(matters[i].sw),
					    protocol_switch_get(protocol_default(), named(matters[i].sw)));
}

const struct protocol *protocol_row_like(const struct protocol *p)
{
	struct protocol a = *p;
	protocol_normalize(&a);
	for (int i = 0; i < nr_protocols; i++) {
		struct protocol b = protocols[i];
		protocol_normalize(&b);
		if (protocol_same_switches(&a, &b))
			return &protocols[i];
	}
	return NULL;
}

/* The ad-hoc row's prose and name, from its switches and the spec given. */
static void adhoc_fill(struct protocol_adhoc *a, const char *given)
{
	struct protocol *p = &a->proto;
	protocol_spec(p, a->name, sizeof(a->name));
	const char *plus = strchr(a->name, '+');
	const struct protocol *row = protocol_row_like(p);
	snprintf(a->changes, sizeof(a->changes), "ad hoc: %s%s%s", plus ? plus + 1 : "nothing",
		 row ? "; the switches of row " : "", row ? row->name : "");
	snprintf(a->origin, sizeof(a->origin), "the spec %s", given);
	p->name = a->name;
	p->changes = a->changes;
	p->kernels = "none: an ad-hoc combination of switches";
	p->opened = p->closed = p->checked = p->notes = NULL;
	p->origin = a->origin;
	p->expected = "unknown";
	p->expected_tlb = "unknown";
}

static void why_printf(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (size)
		vsnprintf(why, size, fmt, ap);
	va_end(ap);
}

static void rows_text(char *buf, size_t size)
{
	size_t len = 0;
	if (size)
		buf[0] = 0;
	for (int i = 0; i < nr_protocols; i++)
		add(buf, size, &len, "%s%s", i ? " " : "", protocols[i].name);
}

/* One SWITCH or SWITCH=VALUE, item[0..len), into p; false with why. */
static bool parse_switch(const char *spec, const char *item, size_t len, struct protocol *p, unsigned *seen,
			 char *why, size_t why_size)
{
	const char *eq = memchr(item, '=', len);
	size_t nlen = eq ? (size_t)(eq - item) : len;
	const struct protocol_switch *s = find_switch(item, nlen);
	if (!s) {
		char known[1024];
		protocol_switches_text(known, sizeof(known));
		why_printf(why, why_size, "unknown switch '%.*s' in '%s'; known: %s", (int)nlen, item, spec,
			   known);
		return false;
	}
	unsigned bit = 1u << (s - protocol_switches);
	if (*seen & bit) {
		why_printf(why, why_size, "switch %s given twice in '%s'", s->name, spec);
		return false;
	}
	*seen |= bit;
	const char *val = eq ? eq + 1 : NULL;
	size_t vlen = eq ? len - nlen - 1 : 0;
	if (!s->values) {
		static const char *const onoff[] = { "off", "on" };
		int v = -1;
		if (!val)
			v = 1;
		for (int k = 0; val && k < 2; k++)
			if (strlen(onoff[k]) == vlen && !strncmp(onoff[k], val, vlen))
				v = k;
		if (v < 0) {
			why_printf(why, why_size, "bad value '%.*s' for switch %s in '%s'; known: on off (%s alone "
				   "is on)", (int)vlen, val, s->name, spec, s->name);
			return false;
		}
		protocol_switch_set(p, s, v);
		return true;
	}
	for (int k = 0; val && k < s->nr_values; k++)
		if (strlen(s->values[k]) == vlen && !strncmp(s->values[k], val, vlen)) {
			protocol_switch_set(p, s, k);
			return true;
		}
	char known[256];
	size_t klen = 0;
	switch_text(s, known, sizeof(known), &klen);
	if (!val)
		why_printf(why, why_size, "switch %s wants a value in '%s': %s", s->name, spec, known);
	else
		why_printf(why, why_size, "bad value '%.*s' for switch %s in '%s'; known: %s", (int)vlen, val,
			   s->name, spec, known);
	return false;
}

const struct protocol *protocol_lookup(const char *spec, struct protocol_adhoc *adhoc, char *why,
				       size_t why_size)
{
	char rows[1024];
	const char *plus = strchr(spec, '+');
	if (!plus) {
		const struct protocol *p = protocol_find(spec);
		if (!p) {
			rows_text(rows, sizeof(rows));
			why_printf(why, why_size, "unknown protocol '%s'; known: %s; or ROW+SWITCH[,SWITCH...] "
				   "(docs/protocols.md)", spec, rows);
		}
		return p;
	}
	if (strlen(spec) >= PROTOCOL_SPEC_MAX) {
		why_printf(why, why_size, "protocol spec of %zu characters: at most %d", strlen(spec),
			   PROTOCOL_SPEC_MAX - 1);
		return NULL;
	}
	char base_name[PROTOCOL_SPEC_MAX];
	snprintf(base_name, sizeof(base_name), "%.*s", (int)(plus - spec), spec);
	const struct protocol *base = protocol_find(base_name);
	if (!base) {
		rows_text(rows, sizeof(rows));
		why_printf(why, why_size, "unknown row '%s' before the '+' in '%s'; known: %s", base_name, spec,
			   rows);
		return NULL;
	}
	struct protocol p = *base;
	unsigned seen = 0;
	for (const char *item = plus + 1;; ) {
		size_t len = strcspn(item, ",");
		if (!len) {
			why_printf(why, why_size, "an empty switch in '%s' (ROW+SWITCH[,SWITCH...])", spec);
			return NULL;
		}
		if (!parse_switch(spec, item, len, &p, &seen, why, why_size))
			return NULL;
		if (!item[len])
			break;
		item += len + 1;
	}
	const char *conflict = protocol_conflict(&p);
	if (conflict) {
		why_printf(why, why_size, "'%s': %s", spec, conflict);
		return NULL;
	}
	adhoc->proto = p;
	adhoc_fill(adhoc, spec);
	return &adhoc->proto;
}

/* splitmix64: small, and any seed is a good one. */
static uint64_t next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void protocol_random(uint64_t *state, struct protocol_adhoc *adhoc)
{
	const struct protocol *base = protocol_default();
	struct protocol p;
	do {
		p = *base;
		int k = 1 + (int)(next(state) % 4);
		for (int i = 0; i < k; i++) {
			const struct protocol_switch *s = &protocol_switches[next(state) % nr_protocol_switches];
			int nv = s->values ? s->nr_values : 2;
			int v = (protocol_switch_get(base, s) + 1 + (int)(next(state) % (uint64_t)(nv - 1))) % nv;
			protocol_switch_set(&p, s, v);
		}
		for (int i = 0; i < NR(needs); i++)
			if (protocol_switch_get(&p, named(needs[i].sw)))
				protocol_switch_set(&p, named(needs[i].needs), needs[i].value);
		protocol_normalize(&p);
	} while (protocol_row_like(&p));
	adhoc->proto = p;
	char spec[PROTOCOL_SPEC_MAX];
	protocol_spec(&p, spec, sizeof(spec));
	adhoc_fill(adhoc, spec);
}
