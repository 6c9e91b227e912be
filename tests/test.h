/* Minimal test harness: one executable per module, one ctest test per case.
 * CHECK* records a failure and continues, so one run shows every broken assertion. */
#ifndef RMAPFUZZ_TEST_H
#define RMAPFUZZ_TEST_H

#include <stdio.h>
#include <string.h>

struct test_case {
	const char *name;
	void (*fn)(void);
};

extern int test_failures;

#define CHECK(cond)                                                              \
	do {                                                                     \
		if (!(cond)) {                                                   \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__,   \
				__LINE__, #cond);                                \
			test_failures++;                                         \
		}                                                                \
	} while (0)

#define CHECK_EQ(a, b)                                                           \
	do {                                                                     \
		long long _a = (long long)(a), _b = (long long)(b);              \
		if (_a != _b) {                                                  \
			fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %s "      \
				"(%lld != %lld)\n", __FILE__, __LINE__, #a, #b,  \
				_a, _b);                                         \
			test_failures++;                                         \
		}                                                                \
	} while (0)

#define CHECK_STR(a, b)                                                          \
	do {                                                                     \
		const char *_a = (a), *_b = (b);                                 \
		if (!_a || !_b || strcmp(_a, _b) != 0) {                         \
			fprintf(stderr, "%s:%d: CHECK_STR failed: %s == %s "     \
				"(\"%s\" != \"%s\")\n", __FILE__, __LINE__, #a,  \
				#b, _a ? _a : "(null)", _b ? _b : "(null)");     \
			test_failures++;                                         \
		}                                                                \
	} while (0)

int test_main(const struct test_case *cases, int ncases, int argc, char **argv);

#define TEST_MAIN(...)                                                           \
	int main(int argc, char **argv)                                          \
	{                                                                        \
		static const struct test_case cases[] = { __VA_ARGS__ };         \
		return test_main(cases, (int)(sizeof(cases) / sizeof(cases[0])),\
				 argc, argv);                                    \
	}

#define T(fn) { #fn, fn }

#endif
