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
#include <stdio.h>

struct option;

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
 * getopt_long(3) options: `fixed` (the program's own, up to its all-zero
 * entry; may be NULL) followed by one per key, "--key value" or
 * "--key=value", and for a flag also "--key" alone, which means yes (as
 * conf_set(..., "yes")). Key i of the table returns val base + i. The
 * array is the caller's to free(); the names stay the tables'.
 */
struct option	*conf_options(const struct option *fixed,
		    const struct conf_key *keys, int base);
/*
 * getopt_long(3), except that a long option must be written in full:
 * getopt_long() takes any unambiguous prefix ("--coll"), which a key
 * added later would turn ambiguous or into another option. An
 * abbreviation is an unrecognized option: '?', said on stderr when
 * opterr is set. *longindex (may be NULL) is -1 unless a long option
 * was returned.
 */
int		 conf_getopt(int argc, char **argv, const char *shortopts,
		    const struct option *opts, int *longindex);
/*
 * A daemon's command line (leakwatch-agent, leakwatch-collector): -c
 * FILE, -h, --version, -t (check the configuration and exit), -v (more
 * verbose, repeatable), every key as --key value, and the program's own
 * long options. The file -c names is read first, then the command line
 * in order, which wins key by key.
 */
#define CONF_OWN_MAX	4
struct conf_prog {
	const char		*name;		/* "leakwatch-agent" */
	const struct conf_key	*keys;		/* the file's and --key's */
	const struct option	*own;		/* up to CONF_OWN_MAX, then an
						   all-zero entry; val is
						   ignored */
	const char		*synopsis;	/* "leakwatch-agent [-htv]
						   ...\n", the lines -h
						   prints before --version */
};
struct conf_args {
	const char	*path;		/* the file -c named, or NULL */
	int		 check_only;	/* -t */
	int		 verbose;	/* how many -v */
	const char	*own[CONF_OWN_MAX];	/* own option i: its value,
						   "yes" for a flag, NULL
						   when not given */
};
/*
 * Fills cfg (from the file, then the keys given) and *a. Exits after
 * the usage (on stdout) for -h, after the version for --version, with
 * the error for a file that does not load, and with status 2 after the
 * usage (on stderr) for a bad option, a bad key value or an argument
 * that is not an option.
 */
void		 conf_daemon_args(const struct conf_prog *, int argc,
		    char **argv, void *cfg, struct conf_args *a);
/* Formats a configuration error into err and returns -1, so that a
 * check reads `return conf_fail(err, errlen, "...")`. */
int	conf_fail(char *err, size_t errlen, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Parses a file; err is "file:line:col: message". */
int	conf_load(const char *path, const struct conf_key *keys, void *cfg,
	    char *err, size_t errlen);
/* Frees every CONF_STR and CONF_LIST the table names. */
void	conf_clear(const struct conf_key *keys, void *cfg);
/* Prints the effective configuration, one "key value" line each. */
void	conf_dump(const struct conf_key *keys, const void *cfg, void *fp);

#endif
