#include "test.h"

int test_failures;

/* With no argument every case runs; with one, only the named case (how ctest calls it). */
int test_main(const struct test_case *cases, int ncases, int argc, char **argv)
{
	int ran = 0;

	for (int i = 0; i < ncases; i++) {
		if (argc > 1 && strcmp(argv[1], cases[i].name) != 0)
			continue;
		int before = test_failures;
		cases[i].fn();
		fprintf(stderr, "%s: %s\n", cases[i].name,
			test_failures == before ? "ok" : "FAILED");
		ran++;
	}
	if (!ran) {
		fprintf(stderr, "no test case named '%s'\n", argc > 1 ? argv[1] : "");
		return 2;
	}
	return test_failures ? 1 : 0;
}
