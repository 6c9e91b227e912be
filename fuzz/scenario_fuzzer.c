/* The scenario language's fuzz target: one property, the round trip.
 *
 *   as text:  text that parses encodes to canonical records, and the text
 *             show prints for them parses back to the same records; text
 *             that does not parse gets a line, a column and a message;
 *   as bytes: show(bytes) parses back to the canonical bytes, canonical
 *             bytes are their own canonical form, and they run exactly as
 *             the raw bytes do (the same interleaving, step by step).
 * Any failure prints what differed and traps. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "program.h"
#include "protocol.h"
#include "run.h"
#include "scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static __attribute__((noinline)) void round_trip_broken(const char *what, const char *a, const char *b)
{
	fprintf(stderr, "scenario round trip broken: %s\n--- first:\n%s\n--- second:\n%s\n", what, a, b);
	__builtin_trap();
}

/* Records as show prints them, one per line. */
static void records_text(const struct record *r, int n, struct strbuf *out)
{
	for (int i = 0; i < n; i++) {
		scenario_record_text(&r[i], out);
		sb_printf(out, "\n");
	}
}

static void check_text(const uint8_t *data, size_t size)
{
	struct record recs[PROGRAM_MAX_RECORDS], again[PROGRAM_MAX_RECORDS];
	struct scenario_error err;
	int n = scenario_parse((const char *)data, size, recs, &err);
	if (n < 0) {
		if (err.line < 1 || err.col < 1 || !err.message[0])
			round_trip_broken("an error without a place or a message", err.message, "");
		return;
	}
	struct strbuf text = { 0 }, text2 = { 0 };
	records_text(recs, n, &text);
	for (int i = 0; i < n; i++) {
		struct record c = record_canonical(&recs[i]);
		if (memcmp(&c, &recs[i], sizeof(c)) != 0)
			round_trip_broken("parsed text is not canonical", sb_str(&text), "");
	}
	int m = scenario_parse(sb_str(&text), text.len, again, &err);
	if (m != n || (n && memcmp(recs, again, (size_t)n * sizeof(recs[0])) != 0)) {
		records_text(again, m < 0 ? 0 : m, &text2);
		round_trip_broken(m < 0 ? err.message : "show(encode(text)) parsed differently",
				  sb_str(&text), sb_str(&text2));
	}
	sb_free(&text);
	sb_free(&text2);
}

static void check_bytes(const uint8_t *data, size_t size)
{
	uint8_t canon[PROGRAM_MAX_RECORDS * RECORD_SIZE], canon2[sizeof(canon)];
	size_t len = program_canonical(data, size, canon);
	if (program_canonical(canon, len, canon2) != len || memcmp(canon, canon2, len) != 0)
		round_trip_broken("the canonical form is not its own canonical form", "", "");

	struct record recs[PROGRAM_MAX_RECORDS];
	struct scenario_error err;
	struct strbuf text = { 0 };
	for (size_t i = 0; i < len / RECORD_SIZE; i++) {
		struct record r = record_at(canon, i);
		scenario_record_text(&r, &text);
		sb_printf(&text, "\n");
	}
	int n = scenario_parse(sb_str(&text), text.len, recs, &err);
	if (n < 0 || (size_t)n * RECORD_SIZE != len ||
	    (n && memcmp(recs, canon, len) != 0))	/* struct record is 4 packed bytes */
		round_trip_broken(n < 0 ? err.message : "encode(show(bytes)) is not canonical",
				  sb_str(&text), "");
	sb_free(&text);

	/* Canonical bytes run exactly as the raw ones. */
	struct strbuf a = { 0 }, b = { 0 };
	struct run_result ra, rb;
	rmap_run_traced(data, size, protocol_default(), 0, &ra, &a);
	rmap_run_traced(canon, len, protocol_default(), 0, &rb, &b);
	if (strcmp(sb_str(&a), sb_str(&b)) != 0)
		round_trip_broken("the canonical bytes run differently", sb_str(&a), sb_str(&b));
	sb_free(&a);
	sb_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_Static_assert(sizeof(struct record) == RECORD_SIZE, "records are compared as bytes");
	check_text(data, size);
	check_bytes(data, size);
	return 0;
}
