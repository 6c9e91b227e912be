#include "scenario.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const char *const op_names[NR_REC_OPS] = {
	[REC_STEP] = "step", [REC_MMAP] = "mmap", [REC_FAULT] = "fault", [REC_FORK] = "fork",
	[REC_MREMAP] = "mremap", [REC_MUNMAP] = "munmap", [REC_SPLIT] = "split",
	[REC_MIGRATE] = "migrate", [REC_MADVISE] = "madvise", [REC_EXIT] = "exit",
	[REC_MPROTECT] = "mprotect", [REC_MREMAP_RESIZE] = "mremap", [REC_EXEC] = "exec",
	[REC_ACCESS] = "access",
};
/* A resize's mode word, by (c >> 5) & 3 canonical (no word: no flag). */
static const char *const resize_modes[3] = { "", "maymove", "maymove-fails" };
static const char *const points[4] = { "start", "end", "pmd", "home" };

static void addr_text(uint8_t b, struct strbuf *out)
{
	if (b >= 0x80) {
		static const char *const past[3] = { "", "+1p", "+1P" };
		sb_printf(out, " vma%d.%s%s", b & 7, points[addr_point(b)], past[addr_past(b)]);
		return;
	}
	unsigned in = (b >> 4) & 7;
	sb_printf(out, " slot%d", b & 15);
	if (in >= 5)
		sb_printf(out, "+%up", in - 4);
}

static void len_text(uint8_t code, struct strbuf *out)
{
	sb_printf(out, " %s%dP%s", code & 16 ? "rest:" : "", 1 + (code & 3),
		  ((code >> 2) & 3) == 3 ? "-1p" : "");
}

void scenario_record_text(const struct record *raw, struct strbuf *out)
{
	struct record r = record_canonical(raw);
	enum rec_op op = record_op(&r);

	sb_printf(out, "%-7s", op_names[op]);
	switch (op) {
	case REC_STEP:
		sb_printf(out, " t%d t%d ", r.a & 7, r.b & 7);
		for (int i = 0, slots = 1 + ((r.a >> 3) & 7); i < slots; i++)
			sb_printf(out, "%c", (r.c >> i) & 1 ? 'Y' : 'X');
		return;	/* a step has no "now" */
	case REC_MMAP:
	case REC_MUNMAP:
	case REC_MADVISE:
	case REC_MPROTECT:
		sb_printf(out, " mm%d", r.a);
		addr_text(r.b, out);
		len_text(r.c & 31, out);
		if (op == REC_MPROTECT)
			sb_printf(out, " %s", r.c & 32 ? "ro" : "rw");
		break;
	case REC_ACCESS:
		sb_printf(out, " mm%d", r.a);
		addr_text(r.b, out);
		break;
	case REC_FAULT:
		sb_printf(out, " mm%d", r.a);
		addr_text(r.b, out);
		if (r.c & 1)
			sb_printf(out, " thp");
		if (r.c & 2)
			sb_printf(out, " write%s", r.c & 4 ? " fallback" : "");
		break;
	case REC_FORK:
	case REC_EXIT:
		sb_printf(out, " mm%d", r.a);
		break;
	case REC_MREMAP:
		sb_printf(out, " mm%d", r.a & 7);
		addr_text(r.b, out);
		len_text(r.a >> 3, out);
		sb_printf(out, " ->");
		addr_text(r.c, out);
		break;
	case REC_MREMAP_RESIZE:
		sb_printf(out, " mm%d", r.a & 7);
		addr_text(r.b, out);
		len_text(r.a >> 3, out);
		sb_printf(out, " to");
		len_text(r.c & 31, out);
		if (r.c >> 5)
			sb_printf(out, " %s", resize_modes[r.c >> 5]);
		break;
	case REC_SPLIT:
		sb_printf(out, " thp%d", r.a);
		break;
	case REC_EXEC:
		sb_printf(out, " %dp shift %luP", exec_pages(&r), exec_shift_pmds(&r));
		break;
	default:	/* REC_MIGRATE */
		sb_printf(out, " page%d", r.a);
		break;
	}
	if (record_now(&r))
		sb_printf(out, " now");
}

/* The parser: a line at a time, a token at a time. */
struct token {
	const char *s;
	size_t len;
	int col;
};

struct parser {
	const char *line;	/* the current line */
	size_t len, pos;
	int lineno;
	struct scenario_error *err;
	bool failed;
};

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

/* The next token, or len 0 at the end of the line (or at a comment). */
static struct token next_token(struct parser *p)
{
	while (p->pos < p->len && is_space(p->line[p->pos]))
		p->pos++;
	struct token t = { p->line + p->pos, 0, (int)p->pos + 1 };
	if (p->pos < p->len && p->line[p->pos] == '#')
		p->pos = p->len;
	while (p->pos < p->len && !is_space(p->line[p->pos]) && p->line[p->pos] != '#') {
		p->pos++;
		t.len++;
	}
	return t;
}

/* Fail at col with a message; the token, if any, is quoted printably. */
static bool fail_at(struct parser *p, int col, const struct token *t, const char *what)
{
	if (p->failed)
		return false;
	p->failed = true;
	p->err->line = p->lineno;
	p->err->col = col;
	char quoted[48] = "";
	if (t && t->len) {
		size_t q = 0;
		for (size_t i = 0; i < t->len && q + 5 < sizeof(quoted) - 4; i++) {
			unsigned char c = (unsigned char)t->s[i];
			q += (size_t)snprintf(quoted + q, sizeof(quoted) - q, c >= 0x20 && c < 0x7f ? "%c" : "\\x%02x", c);
		}
		if (q + 5 >= sizeof(quoted) - 4)
			snprintf(quoted + q, sizeof(quoted) - q, "...");
		snprintf(p->err->message, sizeof(p->err->message), "%s, not '%s'", what, quoted);
	} else if (t) {
		snprintf(p->err->message, sizeof(p->err->message), "%s, but the line ends", what);
	} else {
		snprintf(p->err->message, sizeof(p->err->message), "%s", what);
	}
	return false;
}

/* A decimal number at *s (no sign, no leading zero), at most max. */
static bool number(const char **s, const char *end, unsigned max, unsigned *out)
{
	const char *q = *s;
	unsigned v = 0;
	if (q == end || *q < '0' || *q > '9')
		return false;
	if (*q == '0' && q + 1 < end && q[1] >= '0' && q[1] <= '9')
		return false;
	while (q < end && *q >= '0' && *q <= '9') {
		v = v * 10 + (unsigned)(*q++ - '0');
		if (v > max)
			return false;
	}
	*s = q;
	*out = v;
	return true;
}

static bool prefix(const char **s, const char *end, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(end - *s) < n || memcmp(*s, word, n) != 0)
		return false;
	*s += n;
	return true;
}

/* PREFIX N, the whole token. */
static bool numbered(struct parser *p, const char *word, unsigned max, const char *what, unsigned *out)
{
	struct token t = next_token(p);
	const char *s = t.s, *end = t.s + t.len;
	if (prefix(&s, end, word) && number(&s, end, max, out) && s == end)
		return true;
	return fail_at(p, t.col, &t, what);
}

static bool parse_addr(struct parser *p, uint8_t *b)
{
	struct token t = next_token(p);
	const char *s = t.s, *end = t.s + t.len;
	unsigned n, k;
	if (prefix(&s, end, "slot") && number(&s, end, 15, &n)) {
		*b = (uint8_t)n;
		if (s == end)
			return true;
		if (prefix(&s, end, "+") && number(&s, end, 3, &k) && k >= 1 && prefix(&s, end, "p") &&
		    s == end) {
			*b = (uint8_t)(n | (k + 4) << 4);
			return true;
		}
	} else if (prefix(&s, end, "vma") && number(&s, end, 7, &n) && prefix(&s, end, ".")) {
		for (unsigned i = 0; i < 4; i++) {
			const char *q = s;
			if (!prefix(&q, end, points[i]))
				continue;
			enum addr_past past = ADDR_AT;
			if (prefix(&q, end, "+1p"))
				past = ADDR_PAGE_PAST;
			else if (i == ADDR_HOME && prefix(&q, end, "+1P"))
				past = ADDR_PMD_PAST;
			if (q == end) {
				*b = addr_vma_point(n, (enum addr_point)i, past);
				return true;
			}
		}
	}
	return fail_at(p, t.col, &t, "expected an address (slotN, slotN+Kp, vmaN.start|end|pmd|home[+1p], vmaN.home+1P)");
}

static bool parse_len(struct parser *p, uint8_t *code)
{
	struct token t = next_token(p);
	const char *s = t.s, *end = t.s + t.len;
	unsigned n;
	bool rest = prefix(&s, end, "rest:");
	if (number(&s, end, 4, &n) && n >= 1 && prefix(&s, end, "P")) {
		bool short_ = prefix(&s, end, "-1p");
		if (s == end) {
			*code = (uint8_t)((n - 1) | (short_ ? 12 : 0) | (rest ? 16 : 0));
			return true;
		}
	}
	return fail_at(p, t.col, &t, "expected a length (NP or NP-1p, N 1-4, optionally rest:)");
}

static bool is_word(const struct token *t, const char *word)
{
	return t->len == strlen(word) && memcmp(t->s, word, t->len) == 0;
}

static bool parse_word(struct parser *p, const char *word)
{
	struct token t = next_token(p);
	if (is_word(&t, word))
		return true;
	char what[40];
	snprintf(what, sizeof(what), "expected '%s'", word);
	return fail_at(p, t.col, &t, what);
}

/* N followed by unit, the whole token, N 1-8. */
static bool parse_count(struct parser *p, const char *unit, const char *what, unsigned *out)
{
	struct token t = next_token(p);
	const char *s = t.s, *end = t.s + t.len;
	if (number(&s, end, 8, out) && *out >= 1 && prefix(&s, end, unit) && s == end)
		return true;
	return fail_at(p, t.col, &t, what);
}

/* mprotect's protection: ro (PROT_READ) or rw (PROT_READ|PROT_WRITE). */
static bool parse_prot(struct parser *p, uint8_t *code)
{
	struct token t = next_token(p);
	if (t.len == 2 && (memcmp(t.s, "ro", 2) == 0 || memcmp(t.s, "rw", 2) == 0)) {
		if (t.s[1] == 'o')
			*code |= 32;
		return true;
	}
	return fail_at(p, t.col, &t, "expected a protection (ro or rw)");
}

static bool parse_schedule(struct parser *p, struct record *r)
{
	struct token t = next_token(p);
	if (t.len < 1 || t.len > 8)
		return fail_at(p, t.col, &t, "expected a schedule of 1 to 8 X and Y");
	for (size_t i = 0; i < t.len; i++) {
		if (t.s[i] == 'Y')
			r->c |= (uint8_t)(1u << i);
		else if (t.s[i] != 'X')
			return fail_at(p, t.col + (int)i, &t, "expected a schedule of 1 to 8 X and Y");
	}
	r->a |= (uint8_t)((t.len - 1) << 3);
	return true;
}

/* The optional trailing words (a fault's "thp", "write" and "fallback",
 * in that order; a resize's mode; then "now"), then the end. */
static bool parse_tail(struct parser *p, struct record *r)
{
	struct token t = next_token(p);
	if (record_op(r) == REC_FAULT) {
		if (is_word(&t, "thp")) {
			r->c |= 1;
			t = next_token(p);
		}
		if (is_word(&t, "write")) {
			r->c |= 2;
			t = next_token(p);
			if (is_word(&t, "fallback")) {
				r->c |= 4;
				t = next_token(p);
			}
		} else if (is_word(&t, "fallback")) {
			return fail_at(p, t.col, &t, "expected 'write' before 'fallback'");
		}
	}
	for (unsigned mode = 1; record_op(r) == REC_MREMAP_RESIZE && mode < 3; mode++)
		if (is_word(&t, resize_modes[mode])) {
			r->c |= (uint8_t)(mode << 5);
			t = next_token(p);
			break;
		}
	if (record_op(r) != REC_STEP && is_word(&t, "now")) {
		r->op |= 0x80;
		t = next_token(p);
	}
	if (t.len)
		return fail_at(p, t.col, &t, "expected the end of the record");
	return true;
}

static bool parse_record(struct parser *p, const struct token *name, struct record *r)
{
	int op = -1;
	for (int i = 0; i < NR_REC_OPS && op < 0; i++)
		if (is_word(name, op_names[i]))
			op = i;
	if (op < 0)
		return fail_at(p, name->col, name,
			       "expected an operation (mmap, fault, fork, mremap, munmap, madvise, mprotect, exit, "
			       "exec, access, split, migrate, step)");
	*r = (struct record){ .op = (uint8_t)op };
	unsigned n, m;
	switch (op) {
	case REC_STEP:
		if (!numbered(p, "t", 7, "expected a task (t0 to t7)", &n) ||
		    !numbered(p, "t", 7, "expected a task (t0 to t7)", &m))
			return false;
		r->a = (uint8_t)n;
		r->b = (uint8_t)m;
		if (!parse_schedule(p, r))
			return false;
		break;
	case REC_MMAP:
	case REC_MUNMAP:
	case REC_MADVISE:
	case REC_MPROTECT:
	case REC_FAULT:
	case REC_FORK:
	case REC_EXIT:
	case REC_ACCESS:
		if (!numbered(p, "mm", MM_SELECTORS - 1, "expected an mm (mm0 to mm255)", &n))
			return false;
		r->a = (uint8_t)n;
		if (op == REC_FORK || op == REC_EXIT)
			break;
		if (!parse_addr(p, &r->b))
			return false;
		if (op != REC_FAULT && op != REC_ACCESS && !parse_len(p, &r->c))
			return false;
		if (op == REC_MPROTECT && !parse_prot(p, &r->c))
			return false;
		break;
	case REC_MREMAP: {
		uint8_t len;
		if (!numbered(p, "mm", 7, "expected an mm (mm0 to mm7)", &n) || !parse_addr(p, &r->b) ||
		    !parse_len(p, &len))
			return false;
		r->a = (uint8_t)(n | (unsigned)len << 3);
		/* "-> ADDR" moves it (MREMAP_FIXED), "to NEWLEN" resizes it. */
		struct token t = next_token(p);
		if (is_word(&t, "to")) {
			r->op = REC_MREMAP_RESIZE;
			if (!parse_len(p, &r->c))
				return false;
			break;
		}
		if (!is_word(&t, "->"))
			return fail_at(p, t.col, &t, "expected '->' (MREMAP_FIXED) or 'to' (a new length)");
		if (!parse_addr(p, &r->c))
			return false;
		break;
	}
	case REC_SPLIT:
		if (!numbered(p, "thp", 255, "expected a THP (thp0 to thp255)", &n))
			return false;
		r->a = (uint8_t)n;
		break;
	case REC_EXEC:
		if (!parse_count(p, "p", "expected argument pages (1p to 8p)", &n) ||
		    !parse_word(p, "shift") ||
		    !parse_count(p, "P", "expected how far the stack moves (1P to 8P)", &m))
			return false;
		r->a = (uint8_t)(n - 1);
		r->b = (uint8_t)(m - 1);
		break;
	default:	/* REC_MIGRATE */
		if (!numbered(p, "page", 255, "expected a page (page0 to page255)", &n))
			return false;
		r->a = (uint8_t)n;
		break;
	}
	return parse_tail(p, r);
}

int scenario_parse(const char *text, size_t len, struct record *out, struct scenario_error *err)
{
	struct parser p = { .err = err };
	struct record recs[PROGRAM_MAX_RECORDS];
	int n = 0;
	size_t at = 0;

	while (at <= len) {
		const char *nl = at < len ? memchr(text + at, '\n', len - at) : NULL;
		size_t end = nl ? (size_t)(nl - text) : len;
		p.line = text + at;
		p.len = end - at;
		p.pos = 0;
		p.lineno++;
		struct token name = next_token(&p);
		if (name.len) {
			if (n == PROGRAM_MAX_RECORDS) {
				fail_at(&p, name.col, NULL, "too many records (at most 24)");
				return -1;
			}
			if (!parse_record(&p, &name, &recs[n]))
				return -1;
			n++;
		}
		at = end + 1;
	}
	memcpy(out, recs, (size_t)n * sizeof(recs[0]));
	return n;
}
