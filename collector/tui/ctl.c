/*
 * The TUI's side of the collector's control socket (leakwatch-ctl's too,
 * which links this file): one triage action is
 * one connection, one request line and one answer line, with a timeout,
 * so a collector that is down or stuck costs the analyst a message, not a
 * frozen screen. The collector names the analyst from the socket's peer
 * credentials; nothing here claims an identity.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "tui.h"

#define CTL_TIMEOUT_MS	3000

static int
ctl_connect(const char *path, char *msg, size_t msglen)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(msg, msglen, "control socket path too long");
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		snprintf(msg, msglen, "collector control socket %s: %s", path,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	return fd;
}

/* Reads one line (the answer) within the timeout. */
static int
read_line(int fd, char *buf, size_t len)
{
	struct pollfd p = { fd, POLLIN, 0 };
	size_t have = 0;
	ssize_t n;

	while (have + 1 < len) {
		if (poll(&p, 1, CTL_TIMEOUT_MS) != 1)
			return -1;
		if ((n = read(fd, buf + have, len - 1 - have)) <= 0)
			return -1;
		have += (size_t)n;
		buf[have] = '\0';
		if (strchr(buf, '\n') != NULL)
			return 0;
	}
	return -1;
}

/* One triage action on an alert, or with is_case on a case. */
int
ctl_triage(const char *sock, int is_case, const char *id,
    const char *action,
    const char *note, const char *assignee, char *msg, size_t msglen)
{
	char buf[4096], *req;
	json_error_t je;
	json_t *o;
	int fd, rc = -1;
	size_t len;

	if (sock == NULL) {
		snprintf(msg, msglen, "no control socket: start the TUI with "
		    "-c COLLECTOR.conf or --control PATH");
		return -1;
	}
	o = json_pack("{s:s, s:s, s:s}", "op", "triage", is_case ? "case" :
	    "id", id, "action", action);
	if (note != NULL && *note != '\0')
		json_object_set_new(o, "note", json_string(note));
	if (assignee != NULL && *assignee != '\0')
		json_object_set_new(o, "assignee", json_string(assignee));
	req = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (req == NULL) {
		snprintf(msg, msglen, "note is not valid UTF-8");
		return -1;
	}
	if ((fd = ctl_connect(sock, msg, msglen)) == -1) {
		free(req);
		return -1;
	}
	len = strlen(req);
	req[len] = '\n';	/* json_dumps leaves room for the NUL */
	if (write(fd, req, len + 1) != (ssize_t)(len + 1) ||
	    read_line(fd, buf, sizeof(buf)) != 0) {
		snprintf(msg, msglen, "collector did not answer");
	} else if ((o = json_loads(buf, 0, &je)) == NULL) {
		snprintf(msg, msglen, "collector answered nonsense");
	} else {
		if (json_is_true(json_object_get(o, "ok"))) {
			snprintf(msg, msglen, "%s: %s", id, json_string_value(
			    json_object_get(o, "status")));
			rc = 0;
		} else
			snprintf(msg, msglen, "refused: %s", json_string_value(
			    json_object_get(o, "error")));
		json_decref(o);
	}
	free(req);
	close(fd);
	return rc;
}
