/* An empty target built with rmap_fuzzer's flags: the ceiling against
 * which rmap_fuzzer's executions per second are measured. */
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	(void)data;
	(void)size;
	return 0;
}
