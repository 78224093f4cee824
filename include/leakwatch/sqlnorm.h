/*
 * Statement normalisation, shared by every source that sees SQL (the wire
 * decoders, the log readers): literals and placeholders become `?`, lists
 * collapse, comments and whitespace fold, keywords go upper-case, so the
 * same statement from the wire and from a log has the same text and the
 * same fingerprint, and no literal value can leave the host. When the
 * normaliser is unsure of a token it fails closed (statement "<unparsed>").
 * It also extracts the command, the tables (canonical schema.table) and
 * an sqlcommenter end user. No I/O, no global state.
 */
#ifndef LEAKWATCH_SQLNORM_H
#define LEAKWATCH_SQLNORM_H

#include <stddef.h>
#include <stdint.h>

#include "leakwatch/sqllex.h"	/* enum sql_dialect */

#define SQLNORM_UNPARSED	"<unparsed>"
#define SQLNORM_MAX_TABLES	64
#define SQLNORM_DEFAULT_MAX_LEN	(1024 * 1024)	/* max_len 0 means this */

struct sqlnorm_opts {
	enum sql_dialect dialect;
	/* Schema for unqualified tables: PostgreSQL's first search_path
	 * entry ("public" when NULL), MySQL's current database (the
	 * table stays unqualified when NULL). */
	const char	*default_schema;
	/* sqlcommenter key naming the end user ("user" when NULL). */
	const char	*end_user_tag;
	size_t		 max_len;	/* longer input: unparsed */
};

struct sqlnorm {
	char	*statement;	/* normalised text or SQLNORM_UNPARSED */
	char	 fingerprint[17];	/* 16 hex digits of SHA-256 */
	char	 command[32];	/* "SELECT", "COPY", ... ("UNKNOWN") */
	char	*tables[SQLNORM_MAX_TABLES];	/* owned, canonical */
	size_t	 ntables;
	char	*end_user;	/* from a comment, or NULL */
	int	 unparsed;
};

/*
 * Fills out (which the caller clears with sqlnorm_clear()); 0 or -1.
 * On 0, statement is always set (possibly "" or SQLNORM_UNPARSED), as are
 * fingerprint and command; opts may be NULL (PostgreSQL, defaults). -1
 * only on memory exhaustion or sql == NULL with len > 0, and then out
 * holds nothing to free. Rules: docs/normalisation.md.
 */
int	sqlnorm(const char *sql, size_t len, const struct sqlnorm_opts *,
	    struct sqlnorm *out);
void	sqlnorm_clear(struct sqlnorm *);

/*
 * The shape of a plain text (no quote, comment, dollar quote, backslash
 * or control character): the text with every number literal that is a
 * bare run of digits replaced by "0". Texts of one shape normalise to
 * the same result under the same options, so a cache may key results
 * by it. Writes at most len bytes to out and their count to *outlen;
 * 0, or -1 when the text is not plain (or over the length bound).
 */
int	sqlnorm_shape(const char *sql, size_t len,
	    const struct sqlnorm_opts *, char *out, size_t *outlen);

/*
 * A memo of fingerprints, owned by one caller (never shared between
 * threads): sqlnorm_memo() is sqlnorm() that looks the SHA-256 of the
 * normalised text up there first, so each distinct shape is hashed
 * once while it stays in the memo. The results are the same with and
 * without it. The key seeds the memo's table hash (random per process,
 * so crafted texts cannot aim at one slot). _new returns NULL when out
 * of memory; a NULL memo is no memo.
 */
struct sqlnorm_fpmemo;

struct sqlnorm_fpmemo *sqlnorm_fpmemo_new(uint64_t key);
void	sqlnorm_fpmemo_free(struct sqlnorm_fpmemo *);
void	sqlnorm_fpmemo_stats(const struct sqlnorm_fpmemo *, uint64_t *hits,
	    uint64_t *misses);
/* The first 16 hex digits of the SHA-256 of s into fp (17 bytes). */
void	sqlnorm_fingerprint(struct sqlnorm_fpmemo *, const char *s,
	    size_t len, char *fp);
int	sqlnorm_memo(const char *sql, size_t len,
	    const struct sqlnorm_opts *, struct sqlnorm_fpmemo *,
	    struct sqlnorm *out);

#endif
