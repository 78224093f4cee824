/*
 * Following a file like `tail -F`, for the sources that read files line
 * by line (source-jsonl.c: events; source-log.c: database server logs).
 * It hands over complete lines, each with the byte offset just after it
 * (the resume position the spool keeps) and its line number; what the
 * lines mean is the caller's business.
 *
 * A path may be absent at start (it is waited for). At end of data the
 * path is checked: a new inode (rotation by rename) means the rest of the
 * old file is read, then the new one from its start; a file shorter than
 * what was read (copytruncate) is read again from its start. Lines are
 * bounded: a longer one is skipped whole and reported through bad().
 * Files are read in bounded batches so a large backlog never starves the
 * loop, and pause while the caller says its sink is full (a file is its
 * own buffer). "-" is stdin: a pipe or tty is read as it becomes
 * readable (it cannot wait, so it does not pause), a redirected regular
 * file is read once.
 *
 * flush() tells the caller that a file has no more data for now: either
 * its end (read once), a rotation, or a followed file quiet for a whole
 * poll, so a record that needs the next line to end is whole.
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
#include "leakwatch/log.h"
#include "leakwatch/util.h"
#include "leakwatch/xmalloc.h"

#define FOLLOW_CHUNK	65536
#define FOLLOW_BATCH	8		/* chunks per loop turn */
#define FOLLOW_POLL_MS	200		/* growth and rotation checks */

struct follow {
	struct follow_cb	 cb;
	char			*path;		/* NULL: stdin */
	const char		*name;		/* for messages */
	size_t			 line_max;
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
	size_t			 bufsz;
	int			 skipping;	/* inside an over-long line */
	int			 quiet;		/* polls without growth */
	int			 eof;
	int			 missing;	/* warned that path is absent */
	struct event		*ev;
};

static void
schedule(struct follow *f, long ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	if (f->stream || f->eof)
		return;
	evtimer_add(f->ev, &tv);
}

/*
 * Hands over every complete line in the buffer; with final, also a last
 * line without a newline (end of a file that is not followed, or one
 * that was rotated away). Returns -1 when the caller refused a line
 * (its sink failed): that line stays and is offered again later.
 */
static int
consume(struct follow *f, int final)
{
	size_t start = 0, i;
	char *nl;
	int rc = 0;

	while (start < f->len && (nl = memchr(f->buf + start, '\n',
	    f->len - start)) != NULL) {
		i = (size_t)(nl - f->buf);
		f->lineno++;
		if (f->skipping) {
			f->skipping = 0;
			f->cb.bad(f->cb.arg, f->lineno);
		} else if (f->cb.line(f->cb.arg, f->buf + start, i - start,
		    f->line_off + (i + 1 - start), f->lineno) != 0) {
			f->lineno--;
			rc = -1;
			break;
		}
		f->line_off += i + 1 - start;
		start = i + 1;
	}
	if (rc == 0 && final && start < f->len && !f->skipping) {
		f->lineno++;
		if (f->cb.line(f->cb.arg, f->buf + start, f->len - start,
		    f->line_off + (f->len - start), f->lineno) != 0) {
			f->lineno--;
			rc = -1;
		} else {
			f->line_off += f->len - start;
			start = f->len;
		}
	}
	memmove(f->buf, f->buf + start, f->len - start);
	f->len -= start;
	if (f->len > f->line_max) {
		/* No newline within the limit: drop what we have. */
		f->skipping = 1;
		f->line_off += f->len;
		f->len = 0;
	}
	if (rc == 0 && final)
		f->cb.flush(f->cb.arg);
	return rc;
}

static uint64_t
count_lines(int fd, uint64_t upto)
{
	char buf[65536];
	uint64_t n = 0, pos = 0;
	ssize_t r, i;
	size_t want;

	while (pos < upto) {
		want = upto - pos < sizeof(buf) ? (size_t)(upto - pos) :
		    sizeof(buf);
		if ((r = pread(fd, buf, want, (off_t)pos)) <= 0)
			break;
		for (i = 0; i < r; i++)
			n += buf[i] == '\n';
		pos += (uint64_t)r;
	}
	return n;
}

/* Opens (or reopens after rotation) the followed path at offset from. */
static int
open_path(struct follow *f, uint64_t from)
{
	struct stat st;
	int fd;

	if ((fd = open(f->path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return -1;
	}
	if (from > (uint64_t)st.st_size) {
		log_warnx("%s: shorter than the saved position %" PRIu64
		    "; reading from the start", f->name, from);
		from = 0;
	}
	if (lseek(fd, (off_t)from, SEEK_SET) == -1) {
		close(fd);
		return -1;
	}
	if (f->fd != -1)
		close(f->fd);
	f->fd = fd;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->off = f->line_off = from;
	f->lineno = from ? count_lines(fd, from) : 0;
	f->len = 0;
	f->skipping = 0;
	return 0;
}

/* The rest of a file renamed away: written between our last read and
 * the rename being noticed. */
static void
drain(struct follow *f)
{
	ssize_t n;

	for (;;) {
		if (f->len >= f->bufsz && consume(f, 0) != 0)
			break;
		if (f->len >= f->bufsz)
			break;
		n = read(f->fd, f->buf + f->len, f->bufsz - f->len);
		if (n <= 0)
			break;
		f->off += (uint64_t)n;
		f->len += (size_t)n;
		if (consume(f, 0) != 0)
			break;
	}
	consume(f, 1);	/* its unterminated tail, the caller's held record */
}

/*
 * At end of data: has the path been rotated (new inode) or truncated
 * (copytruncate)? Only then is there more to read elsewhere.
 */
static void
check_rotation(struct follow *f)
{
	struct stat st;

	if (f->path == NULL)
		return;
	if (f->fd == -1) {
		if (open_path(f, 0) == 0) {
			log_info("%s: appeared; reading", f->name);
			f->missing = 0;
		}
		return;
	}
	if (stat(f->path, &st) != 0)
		return;		/* renamed away, nothing new yet */
	if (st.st_dev != f->dev || st.st_ino != f->ino) {
		drain(f);
		log_info("%s: rotated; reading the new file", f->name);
		if (open_path(f, 0) != 0)
			log_warn("%s", f->name);
		return;
	}
	if ((uint64_t)st.st_size < f->off) {
		consume(f, 1);
		log_info("%s: truncated; reading from the start", f->name);
		open_path(f, 0);
	}
}

/* Reads up to FOLLOW_BATCH chunks. Returns 1 if more may be waiting. */
static int
read_batch(struct follow *f)
{
	ssize_t n;
	int i;

	if (f->fd == -1)
		return 0;
	for (i = 0; i < FOLLOW_BATCH; i++) {
		if ((!f->stream && f->cb.full(f->cb.arg)) ||
		    f->len >= f->bufsz)
			return 0;
		n = read(f->fd, f->buf + f->len, f->bufsz - f->len);
		if (n == -1) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn("%s: read", f->name);
			return 0;
		}
		if (n == 0) {
			if (consume(f, !f->follow || f->stream) != 0)
				return 0;
			if (!f->follow || f->stream) {
				f->eof = 1;
				log_info("%s: end of input after %" PRIu64
				    " lines", f->name, f->lineno);
			} else {
				/* Quiet for a whole poll: a held record is
				 * whole. */
				if (f->quiet++ == 1)
					f->cb.flush(f->cb.arg);
				check_rotation(f);
			}
			return 0;
		}
		f->quiet = 0;
		f->off += (uint64_t)n;
		f->len += (size_t)n;
		if (consume(f, 0) != 0)
			return 0;
		if (f->stream)
			return 0;	/* one read per readiness */
	}
	return 1;
}

static void
follow_cb(evutil_socket_t fd, short what, void *arg)
{
	struct follow *f = arg;

	(void)fd;
	(void)what;
	if (f->fd == -1) {
		check_rotation(f);
		if (f->fd == -1 && !f->missing) {
			log_warnx("%s: not there yet; waiting", f->name);
			f->missing = 1;
		}
	}
	if (f->eof)
		return;
	if (read_batch(f))
		schedule(f, 0);
	else if (f->eof && f->stream)
		event_del(f->ev);
	else
		schedule(f, !f->stream && f->cb.full(f->cb.arg) ?
		    FOLLOW_POLL_MS / 4 : FOLLOW_POLL_MS);
}

struct follow *
follow_new(struct event_base *base, const char *path, uint64_t resume,
    int follow, size_t line_max, const struct follow_cb *cb, char *err,
    size_t errlen)
{
	struct follow *f;
	struct stat st;

	f = xcalloc(1, sizeof(*f));
	f->cb = *cb;
	f->follow = follow;
	f->fd = -1;
	f->line_max = line_max;
	f->bufsz = line_max + FOLLOW_CHUNK;
	f->buf = xmalloc(f->bufsz);
	if (strcmp(path, "-") == 0) {
		f->name = "stdin";
		f->fd = STDIN_FILENO;
		if (fstat(f->fd, &st) == 0 && S_ISREG(st.st_mode))
			f->follow = 0;	/* a redirected file: read it once */
		else {
			f->stream = 1;
			fcntl(f->fd, F_SETFL, fcntl(f->fd, F_GETFL) |
			    O_NONBLOCK);
		}
	} else {
		f->path = xstrdup(path);
		f->name = f->path;
		if (open_path(f, resume) != 0) {
			if (!follow) {
				snprintf(err, errlen, "%s: %s", path,
				    strerror(errno));
				follow_free(f);
				return NULL;
			}
			log_warnx("%s: %s; waiting for it", path,
			    strerror(errno));
			f->missing = 1;
		} else if (resume > 0)
			log_info("%s: resuming at byte %" PRIu64 " (line %"
			    PRIu64 ")", path, f->off, f->lineno + 1);
	}
	if (f->stream) {
		f->ev = event_new(base, f->fd, EV_READ | EV_PERSIST, follow_cb,
		    f);
		event_add(f->ev, NULL);
	} else {
		f->ev = evtimer_new(base, follow_cb, f);
		schedule(f, 0);
	}
	return f;
}

int
follow_done(const struct follow *f)
{
	return f->eof;
}

const char *
follow_name(const struct follow *f)
{
	return f->name;
}

void
follow_free(struct follow *f)
{
	if (f == NULL)
		return;
	ev_free(f->ev);
	if (f->fd != -1 && f->fd != STDIN_FILENO)
		close(f->fd);
	free(f->buf);
	free(f->path);
	free(f);
}
