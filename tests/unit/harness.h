/*
 * The unit-test harness: one binary per module, a table of test functions,
 * CHECK macros that record a failure and go on, REQUIRE macros that end the
 * test. Each test prints one "PASS: file/test" or "FAIL: file/test: why"
 * line; tests/run.sh counts them. Header-only on purpose: a test file
 * includes it once and ends with HARNESS_MAIN(tests).
 */
#ifndef LEAKWATCH_HARNESS_H
#define LEAKWATCH_HARNESS_H

#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct test {
	const char	*name;
	void		(*fn)(void);
};

#define HARNESS_DIRS	64	/* temporary directories per binary */

static int	 harness_failed;
static char	 harness_dirs[HARNESS_DIRS][256];
static int	 harness_ndirs;

#define FAILF(...) do {							\
	if (harness_failed++ == 0)					\
		fprintf(stdout, "  ");					\
	fprintf(stdout, "%s:%d: ", __FILE__, __LINE__);			\
	fprintf(stdout, __VA_ARGS__);					\
	fputc('\n', stdout);						\
} while (0)

#define CHECK(c) do {							\
	if (!(c))							\
		FAILF("CHECK(%s)", #c);					\
} while (0)
#define REQUIRE(c) do {							\
	if (!(c)) {							\
		FAILF("REQUIRE(%s)", #c);				\
		return;							\
	}								\
} while (0)
#define CHECK_INT(a, b) do {						\
	long long _a = (long long)(a), _b = (long long)(b);		\
	if (_a != _b)							\
		FAILF("%s == %lld, expected %s == %lld", #a, _a, #b, _b);\
} while (0)
#define CHECK_STR(a, b) do {						\
	const char *_a = (a), *_b = (b);				\
	if (_a == NULL || _b == NULL || strcmp(_a, _b) != 0)		\
		FAILF("%s == \"%s\", expected \"%s\"", #a,		\
		    _a ? _a : "(null)", _b ? _b : "(null)");		\
} while (0)
#define CHECK_CONTAINS(hay, needle) do {				\
	const char *_h = (hay), *_n = (needle);				\
	if (_h == NULL || strstr(_h, _n) == NULL)			\
		FAILF("%s == \"%s\" lacks \"%s\"", #hay,		\
		    _h ? _h : "(null)", _n);				\
} while (0)

static int
harness_rm_cb(const char *path, const struct stat *sb, int flag,
    struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(path);
}

/* A fresh directory removed when the test binary exits. */
static inline const char *
harness_tmpdir(void)
{
	char *d;

	if (harness_ndirs == HARNESS_DIRS)
		abort();
	d = harness_dirs[harness_ndirs];
	snprintf(d, sizeof(harness_dirs[0]), "%s/lwtest.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(d) == NULL)
		abort();
	harness_ndirs++;
	return d;
}

static inline int
harness_main(const char *file, const struct test *t, size_t n, int argc,
    char **argv)
{
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	size_t i;
	int failures = 0;

	for (i = 0; i < n; i++) {
		if (argc > 1 && strcmp(argv[1], t[i].name) != 0)
			continue;
		harness_failed = 0;
		fflush(stdout);
		t[i].fn();
		if (harness_failed) {
			printf("\nFAIL: %.*s/%s\n", (int)(strlen(base) - 2),
			    base, t[i].name);
			failures++;
		} else
			printf("PASS: %.*s/%s\n", (int)(strlen(base) - 2),
			    base, t[i].name);
	}
	for (i = 0; i < (size_t)harness_ndirs; i++)
		nftw(harness_dirs[i], harness_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return failures ? 1 : 0;
}

#define HARNESS_MAIN(tests)						\
int									\
main(int argc, char **argv)						\
{									\
	return harness_main(__FILE__, tests,				\
	    sizeof(tests) / sizeof(tests[0]), argc, argv);		\
}

#endif
