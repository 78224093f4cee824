/*
 * The rules directory: every *.rules file in it, in name order, through
 * rules_load_buf() (rules-parse.c). A missing directory, or one that
 * defines no rule, is an error naming it. Reading files is all this
 * file does; the language is rules-parse.c's.
 */
#include <sys/types.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics.h"
#include "leakwatch/util.h"
#include "leakwatch/xmalloc.h"

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Every *.rules file of dir, in name order. A directory that defines no
 * rule at all is an error like a missing one: a collector that scores
 * nothing must not look as if it were watching.
 */
int
rules_load_dir(struct ruleset *rs, const char *dir,
    const struct sensitivity *sens, char *err, size_t errlen)
{
	DIR *d;
	struct dirent *de;
	char **names = NULL, path[4096], *buf;
	size_t n = 0, i, len, before = rs->n;
	int rc = 0;

	if ((d = opendir(dir)) == NULL) {
		snprintf(err, errlen, "rules directory %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len < 7 || strcmp(de->d_name + len - 6, ".rules") != 0 ||
		    de->d_name[0] == '.')
			continue;
		names = xreallocarray(names, n + 1, sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n && rc == 0; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if ((buf = file_read_alloc(path, RULES_MAX_BYTES, &len, err,
		    errlen)) == NULL) {
			rc = -1;
			break;
		}
		rc = rules_load_buf(rs, path, buf, len, sens, err, errlen);
		free(buf);
	}
	strv_free(names, n);
	if (rc == 0 && n == 0) {
		snprintf(err, errlen, "rules directory %s: no *.rules file in "
		    "it", dir);
		rc = -1;
	} else if (rc == 0 && rs->n == before) {
		snprintf(err, errlen, "rules directory %s: its *.rules files "
		    "define no rule", dir);
		rc = -1;
	}
	return rc;
}
