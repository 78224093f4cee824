/*
 * Configuration files and the command line share one table of keys per
 * program: a key has a name, a kind and where its value lives in the
 * program's config struct. The file syntax is "key value" per line, `#`
 * comments, double quotes for values with spaces; an error names file,
 * line and column. docs/config.md lists every key; a test keeps it true.
 */
#ifndef LEAKWATCH_CONF_H
#define LEAKWATCH_CONF_H

#include <stddef.h>

enum conf_kind {
	CONF_STR,	/* char *, owned */
	CONF_FLAG,	/* int: yes|no|true|false|on|off|1|0 */
	CONF_UINT,	/* long long within [min, max] */
	CONF_SIZE,	/* long long bytes, "64M" */
	CONF_DURATION,	/* long long milliseconds, "10s" */
	CONF_LIST	/* struct conf_list, repeated key appends */
};

struct conf_list {
	char	**v;
	size_t	  n;
};

struct conf_key {
	const char	*name;
	enum conf_kind	 kind;
	size_t		 off;	/* offsetof() into the config struct */
	long long	 min, max;
};

/* Sets one key from text; the CLI and the file parser both end here. */
int	conf_set(const struct conf_key *keys, void *cfg, const char *name,
	    const char *value, char *err, size_t errlen);
/*
 * Applies one command-line option at argv[*i]: "--key value", "--key=value"
 * or, for a flag, a bare "--key". Advances *i past any value it used.
 * -1 with err set on an unknown key, a missing or a bad value.
 */
int	conf_arg(const struct conf_key *keys, void *cfg, int argc,
	    char **argv, int *i, char *err, size_t errlen);
/* Parses a file; err is "file:line:col: message". */
int	conf_load(const char *path, const struct conf_key *keys, void *cfg,
	    char *err, size_t errlen);
/* Frees every CONF_STR and CONF_LIST the table names. */
void	conf_clear(const struct conf_key *keys, void *cfg);
/* Prints the effective configuration, one "key value" line each. */
void	conf_dump(const struct conf_key *keys, const void *cfg, void *fp);

#endif
