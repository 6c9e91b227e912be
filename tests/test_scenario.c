/* The scenario language (scenario.h), canonical records and the minimizer.
 *
 * Properties: for random byte strings, encode(show(x)) is x's canonical form
 * and the canonical form runs exactly as x does; for text, show(encode(t))
 * is t up to whitespace and comments. Errors name their line and column.
 */
#include <stdlib.h>
#include <string.h>

#include "minimize.h"
#include "protocol.h"
#include "run.h"
#include "scenario.h"
#include "test.h"

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;
static uint8_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint8_t)(rng_state >> 24);
}

static int parse(const char *text, struct record *out, struct scenario_error *err)
{
	return scenario_parse(text, strlen(text), out, err);
}

/* The text show prints for n canonical records (no comments). */
static void text_of(const uint8_t *bytes, size_t n, struct strbuf *out)
{
	for (size_t i = 0; i < n; i++) {
		struct record r = record_at(bytes, i);
		scenario_record_text(&r, out);
		sb_printf(out, "\n");
	}
}

static void bytes_round_trip(void)
{
	uint8_t data[PROGRAM_MAX_RECORDS * RECORD_SIZE + 3], canon[sizeof(data)];
	struct record recs[PROGRAM_MAX_RECORDS];
	struct scenario_error err;
	int differed = 0;

	for (int iter = 0; iter < 3000; iter++) {
		size_t size = rnd() % sizeof(data);
		for (size_t i = 0; i < size; i++)
			data[i] = rnd();
		size_t len = program_canonical(data, size, canon);
		CHECK_EQ(len, program_nr_records(size) * RECORD_SIZE);
		struct strbuf text = { 0 };
		text_of(canon, len / RECORD_SIZE, &text);
		int n = parse(sb_str(&text), recs, &err);
		CHECK_EQ(n, (int)(len / RECORD_SIZE));
		CHECK(n <= 0 || memcmp(recs, canon, len) == 0);
		differed += len && memcmp(canon, data, len) != 0;
		/* The canonical form runs exactly as the raw bytes. */
		struct strbuf a = { 0 }, b = { 0 };
		struct run_result ra, rb;
		rmap_run_traced(data, size, protocol_find("linux-3.14"), 0, &ra, &a);
		rmap_run_traced(canon, len, protocol_find("linux-3.14"), 0, &rb, &b);
		CHECK_STR(sb_str(&a), sb_str(&b));
		sb_free(&a);
		sb_free(&b);
		sb_free(&text);
		if (test_failures)
			return;
	}
	/* Random bytes are rarely canonical: the property was exercised. */
	CHECK(differed > 2000);
}

static void text_round_trip(void)
{
	const char *text =
		"# the mail's race\n"
		"mmap    mm0 slot0 4P now   # A\n"
		"\tfault mm0 slot2 thp now\n"
		"\n"
		"mremap  mm0 slot2 2P -> slot8 now\n"
		"mremap  mm7 vma1.home+1p rest:3P-1p -> vma0.end\n"
		"munmap  mm59 slot15+3p rest:1P\n"
		"fork    mm1\n"
		"split   thp0\n"
		"migrate page255 now\n"
		"step    t1 t0 XXYYYXYY\n"
		"step    t7 t7 X\n"
		"madvise mm2 vma0.pmd 1P-1p now\n"
		"exit    mm1\n"
		"mprotect mm3 vma2.start+1p rest:2P ro now\n"
		"mprotect  mm0 slot3 1P  rw\n"
		"fault   mm1 slot0 write\n"
		"fault   mm3 vma0.pmd thp write fallback now\n"
		"mremap  mm0 vma0.start 1P to rest:2P maymove now\n"
		"mremap mm3 slot2+1p 2P-1p  to 1P\n"
		"mremap  mm7 vma2.end rest:4P to 3P maymove-fails\n"
		"exec 3p shift 2P   now\n"
		"exec    8p shift 1P\n"
		"access  mm2 vma1.pmd+1p now\n"
		"access mm0   slot4+2p\n"
		"mremap  mm0 vma1.pmd rest:1P -> vma1.home+1P";
	const char *canonical[] = {
		"mmap    mm0 slot0 4P now", "fault   mm0 slot2 thp now", "mremap  mm0 slot2 2P -> slot8 now",
		"mremap  mm7 vma1.home+1p rest:3P-1p -> vma0.end", "munmap  mm59 slot15+3p rest:1P",
		"fork    mm1", "split   thp0", "migrate page255 now", "step    t1 t0 XXYYYXYY",
		"step    t7 t7 X", "madvise mm2 vma0.pmd 1P-1p now", "exit    mm1",
		"mprotect mm3 vma2.start+1p rest:2P ro now", "mprotect mm0 slot3 1P rw",
		"fault   mm1 slot0 write", "fault   mm3 vma0.pmd thp write fallback now",
		"mremap  mm0 vma0.start 1P to rest:2P maymove now", "mremap  mm3 slot2+1p 2P-1p to 1P",
		"mremap  mm7 vma2.end rest:4P to 3P maymove-fails", "exec    3p shift 2P now",
		"exec    8p shift 1P", "access  mm2 vma1.pmd+1p now", "access  mm0 slot4+2p",
		"mremap  mm0 vma1.pmd rest:1P -> vma1.home+1P",
	};
	struct record recs[PROGRAM_MAX_RECORDS];
	struct scenario_error err;
	int n = parse(text, recs, &err);
	CHECK_EQ(n, 24);
	for (int i = 0; i < n; i++) {
		struct strbuf line = { 0 };
		scenario_record_text(&recs[i], &line);
		CHECK_STR(sb_str(&line), canonical[i]);
		struct record c = record_canonical(&recs[i]);
		CHECK(memcmp(&c, &recs[i], sizeof(c)) == 0);
		sb_free(&line);
	}
	/* The mail's race in text is the race in bytes (tests/test_fuzz.c). */
	CHECK_EQ(recs[0].op, 0x81);
	CHECK_EQ(recs[2].a, 1 << 3);
	CHECK_EQ(recs[8].c, 0xdc);
	/* access: the last record kind, after mprotect: existing inputs keep
	 * their meaning. */
	CHECK_EQ(recs[21].op, 0x80 | REC_ACCESS);
	CHECK_EQ(REC_ACCESS, REC_MPROTECT + 1);
	CHECK_EQ(recs[22].b, 4 | 6 << 4);
	/* mprotect: c & 32 is PROT_READ alone. */
	CHECK_EQ(recs[12].op, 0x80 | REC_MPROTECT);
	CHECK_EQ(recs[12].c, 32 | 16 | 1);
	CHECK_EQ(recs[13].c, 0);
	/* A write fault is the fault record with c & 2, fallback c & 4. */
	CHECK_EQ(recs[14].c, 2);
	CHECK_EQ(recs[15].c, 7);
	/* fallback means nothing without write: not canonical, cleared. */
	struct record r = { REC_FAULT, 0, 0, 5 };
	CHECK_EQ(record_canonical(&r).c, 1);
	/* mremap ... to NEWLEN: the resize record, its mode in c >> 5. */
	CHECK_EQ(recs[16].op, 0x80 | REC_MREMAP_RESIZE);
	CHECK_EQ(recs[16].c, 16 | 1 | 1 << 5);
	CHECK_EQ(recs[18].c >> 5, 2);
	CHECK_EQ(recs[19].op, 0x80 | REC_EXEC);
	CHECK(recs[19].a == 2 && recs[19].b == 1 && recs[20].a == 7 && recs[20].b == 0);
}

static void check_error(const char *text, int line, int col, const char *words)
{
	struct record recs[PROGRAM_MAX_RECORDS];
	struct scenario_error err = { 0 };
	CHECK_EQ(parse(text, recs, &err), -1);
	CHECK_EQ(err.line, line);
	CHECK_EQ(err.col, col);
	if (!strstr(err.message, words))
		fprintf(stderr, "  message: %s\n", err.message);
	CHECK(strstr(err.message, words) != NULL);
}

static void errors_name_line_and_column(void)
{
	check_error("mmap mm0 slot0 4P\nfualt mm0 slot1\n", 2, 1, "expected an operation");
	check_error("mmap mm0 slot16 1P", 1, 10, "expected an address");
	check_error("mmap mm256 slot1 1P", 1, 6, "expected an mm");
	check_error("mremap mm8 slot1 1P -> slot2", 1, 8, "mm0 to mm7");
	check_error("mremap mm0 slot1 1P slot2", 1, 21, "expected '->'");
	check_error("mremap mm0 slot1 1P to 2P fast", 1, 27, "end of the record");
	check_error("mremap mm0 slot1 1P to slot2", 1, 24, "expected a length");
	check_error("exec 9p shift 1P", 1, 6, "expected argument pages");
	check_error("exec 2p 1P", 1, 9, "expected 'shift'");
	check_error("exec 2p shift 2p", 1, 15, "how far the stack moves");
	check_error("munmap mm0 slot1 5P", 1, 18, "expected a length");
	check_error("munmap mm0 slot1", 1, 17, "the line ends");
	check_error("step t0 t1 XXZ", 1, 14, "schedule");
	check_error("step t0 t1 XXXXXXXXX", 1, 12, "schedule");
	check_error("fork mm0 now now", 1, 14, "end of the record");
	check_error("fault mm0 slot01", 1, 11, "expected an address");
	/* One pmd further is a home's alone: vma0.start+1P is vma0.pmd. */
	check_error("mremap mm0 vma0.start+1P 1P -> slot4", 1, 12, "vmaN.home+1P");
	check_error("mremap mm0 vma0.pmd 1P -> vma0.home+2P", 1, 27, "expected an address");
	/* One offset at most: 0.10.0 read this as vma0.home+1P. */
	check_error("mremap mm0 vma0.pmd 1P -> vma0.home+1p+1P", 1, 27, "expected an address");
	check_error("mprotect mm0 slot1 1P", 1, 22, "expected a protection");
	check_error("mprotect mm0 slot1 1P rx", 1, 23, "expected a protection (ro or rw)");
	check_error("fault mm0 slot1 fallback", 1, 17, "expected 'write' before 'fallback'");
	check_error("fault mm0 slot1 write thp", 1, 23, "end of the record");
	check_error("split thp0 \x01", 1, 12, "\\x01");
	struct strbuf many = { 0 };
	for (int i = 0; i < 25; i++)
		sb_printf(&many, "fork mm0\n");
	check_error(sb_str(&many), 25, 1, "too many records");
	sb_free(&many);
}

/* Arbitrary text never crashes the parser and fails with a place. */
static void parser_is_total(void)
{
	char buf[200];
	const char alphabet[] = "mmap fault write fallback slot vma.start+1p2P-> t0XY#\n \t0123456789\x01\xff";
	for (int iter = 0; iter < 20000; iter++) {
		size_t len = rnd() % sizeof(buf);
		for (size_t i = 0; i < len; i++)
			buf[i] = alphabet[rnd() % (sizeof(alphabet) - 1)];
		struct record recs[PROGRAM_MAX_RECORDS];
		struct scenario_error err;
		int n = scenario_parse(buf, len, recs, &err);
		if (n < 0) {
			CHECK(err.line >= 1 && err.col >= 1 && err.message[0]);
			continue;
		}
		struct strbuf text = { 0 };
		text_of((const uint8_t *)recs, (size_t)n, &text);
		struct record again[PROGRAM_MAX_RECORDS];
		CHECK_EQ(parse(sb_str(&text), again, &err), n);
		CHECK(n == 0 || memcmp(recs, again, (size_t)n * sizeof(recs[0])) == 0);
		sb_free(&text);
	}
}

static const uint8_t mail_race[] = { 0x81, 0x00, 0x00, 0x03, 0x82, 0x00, 0x02, 0x01, 0x84, 0x08, 0x02,
				     0x08, 0x04, 0x08, 0x08, 0x02, 0x06, 0x00, 0x00, 0x00, 0x00, 0x39,
				     0x00, 0xdc, 0x05, 0x00, 0x00, 0x00 };	/* + a useless fork */

/* rmapfuzz explore's shortest stale-migration-entry under list-3.2 (3
 * operations, 13 steps, 4 preemptions), whose 7 records no drop shortens:
 * minimize must hand it back as it is, not rewrite its schedule into one
 * of as many records that runs longer (it once gave `step t4 t0 XXXX`,
 * `step t0 t1 YYXXX`: 30 steps to the violation, not 28). */
static const uint8_t explored_stale[] = { 0x81, 0x00, 0x00, 0x01, 0x82, 0x00, 0x00, 0x00, 0x84, 0x00,
					  0x00, 0x02, 0x04, 0x00, 0x02, 0x00, 0x07, 0x00, 0x00, 0x00,
					  0x00, 0x38, 0x01, 0x30, 0x00, 0x20, 0x01, 0x06 };

static void never_lengthens_the_schedule(void)
{
	uint8_t out[PROGRAM_MAX_RECORDS * RECORD_SIZE];
	struct minimize_result res;
	const struct protocol *p = protocol_find("list-3.2");
	struct run_result in, min;
	CHECK(rmap_run(explored_stale, sizeof(explored_stale), p, 0, &in, NULL));
	CHECK_STR(in.first_line, "rmap violation: stale-migration-entry (list-3.2)");
	CHECK(rmap_minimize(explored_stale, sizeof(explored_stale), p, 0, out, &res));
	CHECK(rmap_run(out, res.size, p, 0, &min, NULL));
	CHECK_STR(min.first_line, in.first_line);
	CHECK_EQ(res.size, sizeof(explored_stale));
	CHECK(min.steps <= in.steps);
	CHECK(memcmp(out, explored_stale, sizeof(explored_stale)) == 0);
	/* A task named past the live ones comes back as the one it resolves
	 * to: t2 of two live tasks is t0 (once written `step t4 t0`). */
	uint8_t past[sizeof(explored_stale)];
	memcpy(past, explored_stale, sizeof(past));
	CHECK_EQ(past[21], 0x38);	/* step t0 t1 XXXXYYXX */
	past[21] = 0x3a;		/* step t2 t1 XXXXYYXX */
	CHECK(rmap_minimize(past, sizeof(past), p, 0, out, &res));
	CHECK_EQ(res.size, sizeof(explored_stale));
	CHECK(memcmp(out, explored_stale, sizeof(explored_stale)) == 0);
	/* And the mail's race, which loses a record, ends no later either. */
	CHECK(rmap_run(mail_race, sizeof(mail_race), protocol_find("linux-3.14"), 0, &in, NULL));
	CHECK(rmap_minimize(mail_race, sizeof(mail_race), protocol_find("linux-3.14"), 0, out, &res));
	CHECK(rmap_run(out, res.size, protocol_find("linux-3.14"), 0, &min, NULL));
	CHECK(min.steps <= in.steps);
}

static void minimize_keeps_the_signature(void)
{
	uint8_t out[PROGRAM_MAX_RECORDS * RECORD_SIZE];
	struct minimize_result res;
	const struct protocol *p = protocol_find("linux-3.14");
	CHECK(rmap_minimize(mail_race, sizeof(mail_race), p, 0, out, &res));
	CHECK_STR(res.signature, "rmap violation: split-missed-pmd (linux-3.14)");
	CHECK(res.size < sizeof(mail_race));
	struct run_result again;
	CHECK(rmap_run(out, res.size, p, 0, &again, NULL));
	CHECK_STR(again.first_line, res.signature);
	/* A minimal input loses its violation with any record dropped. */
	for (size_t i = 0; i < res.size / RECORD_SIZE; i++) {
		uint8_t cand[sizeof(out)];
		memcpy(cand, out, i * RECORD_SIZE);
		memcpy(cand + i * RECORD_SIZE, out + (i + 1) * RECORD_SIZE, res.size - (i + 1) * RECORD_SIZE);
		struct run_result r;
		bool v = rmap_run(cand, res.size - RECORD_SIZE, p, 0, &r, NULL);
		CHECK(!v || strcmp(r.first_line, res.signature) != 0);
	}
	/* Nothing to minimize under the sound protocol. */
	CHECK(!rmap_minimize(mail_race, sizeof(mail_race), protocol_find("linux-3.15"), 0, out, &res));
	never_lengthens_the_schedule();
}

TEST_MAIN(T(bytes_round_trip), T(text_round_trip), T(errors_name_line_and_column),
	  T(parser_is_total), T(minimize_keeps_the_signature))
