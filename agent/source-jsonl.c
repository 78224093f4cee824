/*
 * The jsonl source: events as JSON Lines, from a file followed like
 * `tail -F` (rotation by rename and by truncation) or from stdin. It is how
 * third-party tools feed leakwatch and how the transport is tested without
 * the decoders. Each good line becomes one spooled event whose source
 * position is the byte offset just after that line, so after a SIGKILL
 * the agent resumes at the next line: nothing re-read, nothing skipped.
 * A bad line is reported with its line number and skipped; a line over
 * EVENT_MAX_LEN is skipped whole. Files are read in bounded batches so a
 * huge backlog never starves the uplink of loop turns, and pause while the
 * spool is nearly full (a file is its own buffer). A pipe does not pause:
 * like a live capture its producer cannot wait, so the spool's cap applies
 * and the oldest events are dropped and reported as a gap.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "agent.h"
#include "leakwatch/event.h"
#include "leakwatch/log.h"
#include "leakwatch/xmalloc.h"

#define JSONL_CHUNK	65536
#define JSONL_BUFSZ	(EVENT_MAX_LEN + JSONL_CHUNK)
#define JSONL_BATCH	8		/* chunks per loop turn */
#define JSONL_POLL_MS	200		/* growth and rotation checks */
#define JSONL_LOGGED	100		/* bad lines logged one by one */

struct source_jsonl {
	struct event_base	*base;
	struct sink		 sink;
	char			*path;		/* NULL: stdin */
	const char		*name;		/* for messages */
	uint32_t		 src_id;
	int			 follow;
	int			 fd;
	int			 stream;	/* pipe or tty: EV_READ */
	dev_t			 dev;
	ino_t			 ino;
	uint64_t		 off;		/* bytes read from fd */
	uint64_t		 line_off;	/* just after the last line */
	uint64_t		 lineno;	/* lines consumed */
	char			*buf;		/* bytes line_off .. off */
	size_t			 len;
	int			 skipping;	/* inside an over-long line */
	int			 eof;
	int			 missing;	/* warned that path is absent */
	struct event		*ev;
	struct source_stats	 st;
};

static void	jsonl_cb(evutil_socket_t, short, void *);

static void
schedule(struct source_jsonl *j, long ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	if (j->stream || j->eof)
		return;
	evtimer_add(j->ev, &tv);
}

static void
bad_line(struct source_jsonl *j, const char *why)
{
	j->st.errors++;
	if (j->st.errors <= JSONL_LOGGED)
		log_warnx("%s:%" PRIu64 ": %s; line skipped", j->name,
		    j->lineno, why);
	if (j->st.errors == JSONL_LOGGED)
		log_warnx("%s: further bad lines are counted, not logged",
		    j->name);
}

/* One complete line, without its newline. -1: the sink failed; retry. */
static int
handle_line(struct source_jsonl *j, char *line, size_t n, uint64_t end)
{
	struct lw_event *ev;
	char err[256];

	if (n > 0 && line[n - 1] == '\r')
		n--;
	if (strspn(line, " \t") >= n)
		return 0;
	if ((ev = lw_event_parse(line, n, err, sizeof(err))) == NULL) {
		bad_line(j, err);
		return 0;
	}
	if (j->sink.emit(j->sink.arg, ev, j->src_id, end) != 0)
		return -1;
	j->st.read++;
	return 0;
}

/*
 * Consumes every complete line in the buffer; with final, also a last
 * line that has no newline (end of a file that is not followed).
 */
static int
consume(struct source_jsonl *j, int final)
{
	size_t start = 0, i;
	char *nl;
	int rc = 0;

	while (start < j->len && (nl = memchr(j->buf + start, '\n',
	    j->len - start)) != NULL) {
		i = (size_t)(nl - j->buf);
		j->lineno++;
		if (j->skipping) {
			j->skipping = 0;
			bad_line(j, "line longer than the 65536-byte limit");
		} else if (handle_line(j, j->buf + start, i - start,
		    j->line_off + (i + 1 - start)) != 0) {
			j->lineno--;
			rc = -1;
			break;
		}
		j->line_off += i + 1 - start;
		start = i + 1;
	}
	if (rc == 0 && final && start < j->len && !j->skipping) {
		j->lineno++;
		if (handle_line(j, j->buf + start, j->len - start,
		    j->line_off + (j->len - start)) != 0) {
			j->lineno--;
			rc = -1;
		} else {
			j->line_off += j->len - start;
			start = j->len;
		}
	}
	memmove(j->buf, j->buf + start, j->len - start);
	j->len -= start;
	if (j->len > EVENT_MAX_LEN) {
		/* No newline within the limit: drop what we have. */
		j->skipping = 1;
		j->line_off += j->len;
		j->len = 0;
	}
	return rc;
}

static uint64_t
count_lines(int fd, uint64_t upto)
{
	char buf[65536];
	uint64_t n = 0, pos = 0;
	ssize_t r;
	size_t want;

	while (pos < upto) {
		want = upto - pos < sizeof(buf) ? (size_t)(upto - pos) :
		    sizeof(buf);
		if ((r = pread(fd, buf, want, (off_t)pos)) <= 0)
			break;
		for (ssize_t i = 0; i < r; i++)
			n += buf[i] == '\n';
		pos += (uint64_t)r;
	}
	return n;
}

/* Opens (or reopens after rotation) the followed path at offset from. */
static int
open_path(struct source_jsonl *j, uint64_t from)
{
	struct stat st;
	int fd;

	if ((fd = open(j->path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return -1;
	}
	if (from > (uint64_t)st.st_size) {
		log_warnx("%s: shorter than the saved position %" PRIu64
		    "; reading from the start", j->name, from);
		from = 0;
	}
	if (j->fd != -1)
		close(j->fd);
	j->fd = fd;
	j->dev = st.st_dev;
	j->ino = st.st_ino;
	j->off = j->line_off = from;
	j->lineno = from ? count_lines(fd, from) : 0;
	j->len = 0;
	j->skipping = 0;
	if (lseek(fd, (off_t)from, SEEK_SET) == -1)
		return -1;
	return 0;
}

/*
 * At end of file: has the path been rotated (new inode) or truncated
 * (copytruncate)? Only then is there more to read elsewhere.
 */
static void
check_rotation(struct source_jsonl *j)
{
	struct stat st;

	if (j->path == NULL)
		return;
	if (j->fd == -1 || stat(j->path, &st) != 0) {
		if (j->fd == -1 && open_path(j, 0) == 0) {
			log_info("%s: appeared; reading", j->name);
			j->missing = 0;
		}
		return;
	}
	if (st.st_dev != j->dev || st.st_ino != j->ino) {
		consume(j, 1);	/* the rotated file's unterminated tail */
		log_info("%s: rotated; reading the new file", j->name);
		open_path(j, 0);
		return;
	}
	if ((uint64_t)st.st_size < j->off) {
		log_info("%s: truncated; reading from the start", j->name);
		open_path(j, 0);
	}
}

/* Reads up to JSONL_BATCH chunks. Returns 1 if more may be waiting. */
static int
read_batch(struct source_jsonl *j)
{
	ssize_t n;
	int i;

	if (j->fd == -1)
		return 0;
	for (i = 0; i < JSONL_BATCH; i++) {
		if ((!j->stream && j->sink.full(j->sink.arg)) ||
		    j->len >= JSONL_BUFSZ)
			return 0;
		n = read(j->fd, j->buf + j->len, JSONL_BUFSZ - j->len);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			log_warn("%s: read", j->name);
			return 0;
		}
		if (n == 0) {
			if (consume(j, !j->follow || j->stream) != 0)
				return 0;
			if (!j->follow || j->stream) {
				j->eof = 1;
				log_info("%s: end of input after %" PRIu64
				    " lines", j->name, j->lineno);
			} else
				check_rotation(j);
			return 0;
		}
		j->off += (uint64_t)n;
		j->len += (size_t)n;
		if (consume(j, 0) != 0)
			return 0;
		if (j->stream)
			return 0;	/* one read per readiness */
	}
	return 1;
}

static void
jsonl_cb(evutil_socket_t fd, short what, void *arg)
{
	struct source_jsonl *j = arg;

	(void)fd;
	(void)what;
	if (j->fd == -1) {
		check_rotation(j);
		if (j->fd == -1 && !j->missing) {
			log_warnx("%s: not there yet; waiting", j->name);
			j->missing = 1;
		}
	}
	if (j->eof)
		return;
	if (read_batch(j))
		schedule(j, 0);
	else if (j->eof && j->stream)
		event_del(j->ev);
	else
		schedule(j, !j->stream && j->sink.full(j->sink.arg) ?
		    JSONL_POLL_MS / 4 : JSONL_POLL_MS);
}

struct source_jsonl *
jsonl_new(struct event_base *base, const char *path, uint32_t src_id,
    const struct sink *sink, uint64_t resume, int follow, char *err,
    size_t errlen)
{
	struct source_jsonl *j;
	struct stat st;

	j = xcalloc(1, sizeof(*j));
	j->base = base;
	j->sink = *sink;
	j->src_id = src_id;
	j->follow = follow;
	j->fd = -1;
	j->buf = xmalloc(JSONL_BUFSZ);
	if (strcmp(path, "-") == 0) {
		j->name = "stdin";
		j->fd = STDIN_FILENO;
		if (fstat(j->fd, &st) == 0 && S_ISREG(st.st_mode))
			j->follow = 0;	/* a redirected file: read it once */
		else {
			j->stream = 1;
			fcntl(j->fd, F_SETFL, fcntl(j->fd, F_GETFL) |
			    O_NONBLOCK);
		}
	} else {
		j->path = xstrdup(path);
		j->name = j->path;
		if (open_path(j, resume) != 0) {
			if (!follow) {
				snprintf(err, errlen, "%s: %s", path,
				    strerror(errno));
				jsonl_free(j);
				return NULL;
			}
			log_warnx("%s: %s; waiting for it", path,
			    strerror(errno));
			j->missing = 1;
		} else if (resume > 0)
			log_info("%s: resuming at byte %" PRIu64 " (line %"
			    PRIu64 ")", path, j->off, j->lineno + 1);
	}
	if (j->stream)
		j->ev = event_new(base, j->fd, EV_READ | EV_PERSIST, jsonl_cb,
		    j);
	else
		j->ev = evtimer_new(base, jsonl_cb, j);
	if (j->stream)
		event_add(j->ev, NULL);
	else
		schedule(j, 0);
	return j;
}

int
jsonl_done(const struct source_jsonl *j)
{
	return j->eof;
}

void
jsonl_stats(const struct source_jsonl *j, struct source_stats *st)
{
	*st = j->st;
}

void
jsonl_free(struct source_jsonl *j)
{
	if (j == NULL)
		return;
	if (j->ev != NULL)
		event_free(j->ev);
	if (j->fd != -1 && j->fd != STDIN_FILENO)
		close(j->fd);
	free(j->buf);
	free(j->path);
	free(j);
}
