/* rmap_fuzzer's record-aware mutator (mutator.c): libFuzzer finds these two
 * by name and calls them instead of its byte mutations. Both keep records
 * whole, never write past their output limit, and return the new size.
 * They call LLVMFuzzerMutate (libFuzzer's byte mutator) for a share of the
 * mutations; a program that links them without libFuzzer supplies it. */
#ifndef RMAP_MUTATOR_H
#define RMAP_MUTATOR_H

#include <stddef.h>
#include <stdint.h>

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);
size_t LLVMFuzzerCustomCrossOver(const uint8_t *data1, size_t size1, const uint8_t *data2,
				 size_t size2, uint8_t *out, size_t max_out_size, unsigned int seed);

/* The mutator counts its calls: a campaign's first ones all start races
 * from scratch. How many so far (the fuzz target starts its search clock at
 * the first), and back to none (tests that want a known phase). */
unsigned long rmap_mutator_calls(void);
void rmap_mutator_reset(void);
/* The input of the last mutation ran and showed novel features no input
 * had shown (run.h's novelty): the mutator weighs its kinds of mutation by
 * what they found. */
void rmap_mutator_reward(unsigned long novel);

#endif
