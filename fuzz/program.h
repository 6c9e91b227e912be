/* Every byte string is a program: fixed-size records, each either starting
 * an operation as a task or stepping a task (fuzzing.md).
 *
 * A record is 4 bytes: op, a, b, c.
 *   op & 7    the operation (enum rec_op); op & 0x80: run the started task
 *             at once, to its end or until it blocks (how setup is cheap)
 *   a, b, c   operands, read by the operation: objects are picked modulo
 *             what is live (mms, tasks, mapped pages), addresses from a
 *             grid of pmd slots with a few sub-pmd offsets.
 * Trailing bytes that do not fill a record are ignored; records past
 * PROGRAM_MAX_RECORDS too. No byte string is rejected.
 */
#ifndef RMAP_PROGRAM_H
#define RMAP_PROGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct world;
struct strbuf;

#define RECORD_SIZE 4
#define PROGRAM_MAX_RECORDS 512
#define STEP_RECORD_MAX 8	/* steps one step record runs (unless "until done") */

enum rec_op {
	REC_STEP,	/* a: task (mod live tasks); b & 7: steps - 1; b & 0x80: until done */
	REC_MMAP,	/* a: mm; b: address; c: length */
	REC_FAULT,	/* a: mm; b: address; c & 1: THP */
	REC_FORK,	/* a: mm */
	REC_MREMAP,	/* a & 7: mm, a >> 3: length; b: old address; c: new address */
	REC_MUNMAP,	/* a: mm; b: address; c: length */
	REC_SPLIT,	/* a: mapped THP (mod their number) */
	REC_MIGRATE,	/* a: mapped page (mod their number) */
	NR_REC_OPS
};

struct record {
	uint8_t op, a, b, c;
};

static inline size_t program_nr_records(size_t size)
{
	size_t n = size / RECORD_SIZE;
	return n < PROGRAM_MAX_RECORDS ? n : PROGRAM_MAX_RECORDS;
}

static inline struct record record_at(const uint8_t *data, size_t i)
{
	const uint8_t *p = data + i * RECORD_SIZE;
	return (struct record){ p[0], p[1], p[2], p[3] };
}

static inline enum rec_op record_op(const struct record *r) { return (enum rec_op)(r->op & 7); }
static inline bool record_now(const struct record *r) { return r->op & 0x80; }

/* The address grid: slot b & 15, and for b >> 4 in 13..15 one to three
 * pages into it. */
unsigned long grid_addr(uint8_t b);
/* Lengths: 1-4 slots, for some values one to three pages short. */
unsigned long grid_len(uint8_t b);

/* Start (and for "now" records run) what r asks on w. A step record steps
 * through run_step so the caller's checks see every step. Returns the task
 * started, or 0. */
typedef bool (*run_step_fn)(void *ctx, int task_id);
int record_execute(struct world *w, const struct record *r, run_step_fn step, void *ctx);

/* One line of text for r, as executed on w now (operands resolved). */
void record_format(struct world *w, const struct record *r, struct strbuf *out);

#endif
