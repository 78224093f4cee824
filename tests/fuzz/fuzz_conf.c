/*
 * libFuzzer target for the config reader (lib/conf.c). Config files are
 * trusted more than network bytes, but a typo or a truncated copy must
 * still end in an error, never a crash or a leak. The input becomes a
 * file (one per process, rewritten each run, on tmpfs when there is one)
 * loaded against a key table with one key of every kind, dumped, and
 * cleared. It checks that a refusal names the file first, and that what
 * was accepted obeys the table: strings and list items non-empty, numbers
 * within their bounds. Under gcc, tests/fuzz/driver.c replays the corpus.
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "leakwatch/conf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct fcfg {
	char		*name;
	char		*path;
	int		 flag;
	long long	 count;
	long long	 size;
	long long	 delay;
	struct conf_list list;
};

static const struct conf_key fkeys[] = {
	{ "name", CONF_STR, offsetof(struct fcfg, name), 0, 0 },
	{ "path", CONF_STR, offsetof(struct fcfg, path), 0, 0 },
	{ "flag", CONF_FLAG, offsetof(struct fcfg, flag), 0, 0 },
	{ "count", CONF_UINT, offsetof(struct fcfg, count), 1, 65535 },
	{ "size", CONF_SIZE, offsetof(struct fcfg, size), 1024,
	    1LL << 40 },
	{ "delay", CONF_DURATION, offsetof(struct fcfg, delay), 1,
	    86400000 },
	{ "list", CONF_LIST, offsetof(struct fcfg, list), 0, 0 },
	{ NULL, CONF_STR, 0, 0, 0 }
};

static char	 path[256];
static FILE	*devnull;

static void
cleanup(void)
{
	unlink(path);
	if (devnull != NULL)
		fclose(devnull);
}

static void
setup(void)
{
	const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	int fd;

	if (access("/dev/shm", W_OK) == 0)
		base = "/dev/shm";
	if (snprintf(path, sizeof(path), "%s/lwfuzz-conf.XXXXXX", base) >=
	    (int)sizeof(path) || (fd = mkstemp(path)) == -1)
		abort();
	close(fd);
	if ((devnull = fopen("/dev/null", "w")) == NULL)
		abort();
	atexit(cleanup);
}

static void
put_file(const uint8_t *data, size_t size)
{
	int fd;

	if ((fd = open(path, O_WRONLY | O_TRUNC)) == -1)
		abort();
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fcfg c;
	char err[1024];
	size_t i, plen;

	if (path[0] == '\0')
		setup();
	put_file(data, size);
	memset(&c, 0, sizeof(c));
	err[0] = '\0';
	if (conf_load(path, fkeys, &c, err, sizeof(err)) != 0) {
		plen = strlen(path);
		if (strncmp(err, path, plen) != 0 || err[plen] != ':' ||
		    memchr(err, '\0', sizeof(err)) == NULL)
			abort();
	} else {
		if (c.count != 0 && (c.count < 1 || c.count > 65535))
			abort();
		if (c.size != 0 && (c.size < 1024 || c.size > 1LL << 40))
			abort();
		if (c.delay != 0 && (c.delay < 1 || c.delay > 86400000))
			abort();
		if (c.flag != 0 && c.flag != 1)
			abort();
	}
	/* Whatever was set before a mistake obeys the table too. */
	if ((c.name != NULL && c.name[0] == '\0') ||
	    (c.path != NULL && c.path[0] == '\0'))
		abort();
	for (i = 0; i < c.list.n; i++)
		if (c.list.v[i] == NULL || c.list.v[i][0] == '\0')
			abort();
	conf_dump(fkeys, &c, devnull);
	conf_clear(fkeys, &c);
	if (c.name != NULL || c.path != NULL || c.list.v != NULL ||
	    c.list.n != 0)
		abort();
	return 0;
}
