#include "minimize.h"

#include <stdbool.h>
#include <string.h>

#include "run.h"

struct mini {
	const struct protocol *proto;
	unsigned flags;
	const char *signature;
	unsigned long runs;
	unsigned long steps;	/* cur's, to its violation */
};

/* True when data violates with the signature; *steps: the run's. */
static bool same_violation(struct mini *m, const uint8_t *data, size_t size, unsigned long *steps)
{
	struct run_result res;
	m->runs++;
	bool same = rmap_run(data, size, m->proto, m->flags, &res, NULL) &&
		    strcmp(res.first_line, m->signature) == 0;
	*steps = res.steps;
	return same;
}

/* Try a candidate; keep it in cur when it still violates the same way and
 * is smaller: fewer records, or as many and no more steps to the violation
 * (a rewritten schedule of as many records that runs longer is no gain:
 * an explorer's shortest counterexample must stay its length). */
static bool try_candidate(struct mini *m, uint8_t *cur, size_t *size, const uint8_t *cand,
			  size_t cand_size)
{
	uint8_t canon[PROGRAM_MAX_RECORDS * RECORD_SIZE];
	unsigned long steps;
	size_t n = program_canonical(cand, cand_size, canon);
	if ((n == *size && memcmp(canon, cur, n) == 0) || !same_violation(m, canon, n, &steps) ||
	    (n == *size && steps > m->steps))
		return false;
	memcpy(cur, canon, n);
	*size = n;
	m->steps = steps;
	return true;
}

/* Drain earlier: the shortest prefix that still violates. */
static bool pass_prefix(struct mini *m, uint8_t *cur, size_t *size)
{
	for (size_t k = RECORD_SIZE; k < *size; k += RECORD_SIZE)
		if (try_candidate(m, cur, size, cur, k))
			return true;
	return false;
}

/* The program cur of n records without records i and j (j = n: only i). */
static size_t without(const uint8_t *cur, size_t n, size_t i, size_t j, uint8_t *cand)
{
	size_t len = 0;
	for (size_t k = 0; k < n; k++)
		if (k != i && k != j) {
			memcpy(cand + len, cur + k * RECORD_SIZE, RECORD_SIZE);
			len += RECORD_SIZE;
		}
	return len;
}

/* Drop one record, from the last: later records name tasks and vmas
 * relative to what is live, so dropping late ones first disturbs least. */
static bool pass_drop(struct mini *m, uint8_t *cur, size_t *size)
{
	bool changed = false;
	uint8_t cand[PROGRAM_MAX_RECORDS * RECORD_SIZE];
	for (size_t i = *size / RECORD_SIZE; i-- > 0;) {
		size_t n = *size / RECORD_SIZE;
		if (i >= n)
			continue;
		changed |= try_candidate(m, cur, size, cand, without(cur, n, i, n, cand));
	}
	return changed;
}

/* Drop two records at once: a task's start and the step that runs it, or
 * two records whose removals only work together (tasks are named relative
 * to the newest, so one drop renames the rest). Runs are microseconds:
 * the n^2 candidates of 24 records cost nothing. */
static bool pass_drop_pairs(struct mini *m, uint8_t *cur, size_t *size)
{
	uint8_t cand[PROGRAM_MAX_RECORDS * RECORD_SIZE];
	size_t n = *size / RECORD_SIZE;
	for (size_t i = 0; i + 1 < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (try_candidate(m, cur, size, cand, without(cur, n, i, j, cand)))
				return true;
	return false;
}

/* Fewer step slots, the lowest task selectors that still do (a task is
 * counted modulo the live ones: with two live, t4 is t0, and t0 is what
 * a reader should see), then smaller operand bytes (0, half, one less). */
static bool pass_lower(struct mini *m, uint8_t *cur, size_t *size)
{
	bool changed = false;
	uint8_t cand[PROGRAM_MAX_RECORDS * RECORD_SIZE];
	for (size_t i = 0; i < *size / RECORD_SIZE; i++) {
		uint8_t *rec = cur + i * RECORD_SIZE;
		bool step = record_op(&(struct record){ rec[0], 0, 0, 0 }) == REC_STEP;
		while (step && (rec[1] >> 3) & 7) {
			memcpy(cand, cur, *size);
			cand[i * RECORD_SIZE + 1] = (uint8_t)(rec[1] - 8);
			if (!try_candidate(m, cur, size, cand, *size))
				break;
			changed = true;
		}
		for (int f = 1; step && f <= 2; f++)
			for (uint8_t t = 0; t < (rec[f] & 7); t++) {
				memcpy(cand, cur, *size);
				cand[i * RECORD_SIZE + f] = (uint8_t)((rec[f] & ~7) | t);
				if (try_candidate(m, cur, size, cand, *size)) {
					changed = true;
					break;
				}
			}
		for (int f = 1; f < RECORD_SIZE; f++) {
			uint8_t v = rec[f];
			const uint8_t tries[3] = { 0, (uint8_t)(v / 2), (uint8_t)(v - 1) };
			for (int t = 0; t < 3 && v; t++) {
				if (tries[t] >= v)
					continue;
				memcpy(cand, cur, *size);
				cand[i * RECORD_SIZE + f] = tries[t];
				if (try_candidate(m, cur, size, cand, *size)) {
					changed = true;
					break;
				}
			}
		}
	}
	return changed;
}

bool rmap_minimize(const uint8_t *data, size_t size, const struct protocol *proto, unsigned flags,
		   uint8_t *out, struct minimize_result *res)
{
	struct run_result first;
	size_t cur_size = program_canonical(data, size, out);

	*res = (struct minimize_result){ 0 };
	if (!rmap_run(data, size, proto, flags, &first, NULL))
		return false;
	memcpy(res->signature, first.first_line, sizeof(res->signature));
	struct mini m = { proto, flags, res->signature, 1, 0 };
	/* The canonical form runs as the raw bytes do; check, do not assume. */
	if (!same_violation(&m, out, cur_size, &m.steps))
		return false;
	res->steps_in = m.steps;
	bool changed = true;
	while (changed) {
		changed = pass_prefix(&m, out, &cur_size);
		changed |= pass_drop(&m, out, &cur_size);
		if (!changed)
			changed = pass_drop_pairs(&m, out, &cur_size);
		changed |= pass_lower(&m, out, &cur_size);
	}
	res->size = cur_size;
	res->runs = m.runs;
	res->steps = m.steps;
	return true;
}
