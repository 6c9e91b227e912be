/* The tool's measuring commands: what the benchmarks and the mail's cost
 * argument are built from. Each prints its figures to stdout and returns
 * the command's exit code; argument errors are the caller's (rmapfuzz.c). */
#ifndef RMAP_MEASURE_H
#define RMAP_MEASURE_H

#include <stdint.h>

struct protocol;

/* anon_vma lock sections per mremap (to a new vma, into a merged one) and
 * per fork, on one fixed workload (the mail's layout). */
int measure_cost(const struct protocol *proto);

/* Blind random testing, the baseline the fuzzer must beat: random byte
 * strings (lengths uniform in 0..96, the fuzz target's -max_len) through
 * the same decoder and oracle, no feedback, until the first violation or
 * seconds. Prints "found|silent SECONDS INPUTS SIGNATURE"; 1 if found. */
int measure_blind(const struct protocol *proto, unsigned flags, uint64_t seed, double seconds);

/* How the cost of one execution grows with records and with vmas. */
int measure_speed(const struct protocol *proto);

#endif
