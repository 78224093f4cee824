/*
 * Dropping privileges once the captures are open. The agent starts as
 * root (or with CAP_NET_RAW/CAP_NET_ADMIN from its systemd unit) only
 * because opening a packet socket needs it; nothing that parses network
 * bytes may run with those rights.
 *
 * Who it becomes (priv_user()): the configured `user`; as root with no
 * `user`, a live agent refuses to start (say `user root` to parse as
 * root knowingly) and an offline run (--read, --read-log) becomes
 * `nobody`, its files being open already. priv_drop() switches to that
 * user (supplementary groups, gid, then uid, all three of the
 * real/effective/saved ids), checks that root cannot be regained, then
 * drops every capability - permitted, effective, inheritable and
 * ambient - since an open pcap socket keeps working without them, and
 * always sets no_new_privs so no later exec can gain anything back.
 */
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <linux/capability.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "leakwatch/log.h"

#define OFFLINE_USER	"nobody"

/*
 * The account the agent will parse packets as: 1 and *pw when it must
 * switch to it, 0 when it stays who it is (not root, or `user root`),
 * -1 with err when it must not run at all.
 */
int
priv_user(const struct agent_config *cfg, int offline, struct passwd *pw,
    char *err, size_t errlen)
{
	const char *name = cfg->user;
	struct passwd *p;

	if (name != NULL && *name == '\0')
		name = NULL;
	if (name == NULL && geteuid() != 0)
		return 0;
	if (name == NULL && !offline) {
		snprintf(err, errlen, "running as root with no `user`: set "
		    "user to the agent's own account (e.g. user "
		    "leakwatch-agent), or `user root` to parse packets as "
		    "root knowingly");
		return -1;
	}
	if (name == NULL)
		name = OFFLINE_USER;
	errno = 0;
	if ((p = getpwnam(name)) == NULL) {
		snprintf(err, errlen, "user \"%s\": no such user", name);
		return -1;
	}
	if (p->pw_uid == 0 && cfg->user != NULL)
		return 0;	/* `user root`: knowingly */
	if (p->pw_uid == geteuid())
		return 0;	/* already that user */
	*pw = *p;
	return 1;
}

/* Every capability, including the ambient ones a unit may grant. */
static void
caps_drop(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3,
	    0 };
	struct __user_cap_data_struct d[2];

	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 &&
	    errno != EINVAL)
		fatal("prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capset, &h, d) != 0)
		fatal("capset");
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) != 0 || d[0].permitted != 0 ||
	    d[1].permitted != 0 || d[0].effective != 0 || d[1].effective != 0)
		fatalx("capabilities still held after dropping them");
}

static void
become(const struct passwd *pw)
{
	uid_t uid = pw->pw_uid;
	gid_t gid = pw->pw_gid;

	if (geteuid() == 0 && initgroups(pw->pw_name, gid) != 0)
		fatal("initgroups %s", pw->pw_name);
	if (setresgid(gid, gid, gid) != 0)
		fatal("setresgid %u", (unsigned)gid);
	if (setresuid(uid, uid, uid) != 0)
		fatal("setresuid %u", (unsigned)uid);
	/* A partial drop would be worse than none. */
	if (setuid(0) == 0 || seteuid(0) == 0)
		fatalx("could regain root after dropping to %s", pw->pw_name);
	if (getuid() != uid || geteuid() != uid || getgid() != gid ||
	    getegid() != gid)
		fatalx("privilege drop to %s incomplete", pw->pw_name);
}

void
priv_drop(const struct agent_config *cfg, int offline)
{
	struct passwd pw;
	char err[256];
	int rc;

	if ((rc = priv_user(cfg, offline, &pw, err, sizeof(err))) == -1)
		fatalx("%s", err);
	if (rc == 1) {
		become(&pw);
		/* An offline run's default is not news; a daemon's drop is. */
		if (offline && cfg->user == NULL)
			log_debug("dropped privileges to %s (uid %u)",
			    pw.pw_name, (unsigned)pw.pw_uid);
		else
			log_info("dropped privileges to %s (uid %u)",
			    pw.pw_name, (unsigned)pw.pw_uid);
	}
	if (rc == 1 || geteuid() != 0)
		caps_drop();
	else
		log_info("user root: parsing packets as root, as configured");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		fatal("prctl(PR_SET_NO_NEW_PRIVS)");
}

/*
 * Hands a directory made as root (the spool) and every file in it to the
 * account the agent drops to, so the dropped agent can create, rotate
 * and delete files there. Links are not followed, the directory's own
 * included.
 */
int
priv_chown_dir(const char *dir, uid_t uid, gid_t gid, char *err,
    size_t errlen)
{
	struct dirent *de;
	DIR *d;
	int fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1 || fchown(fd, uid, gid) == -1 ||
	    (d = fdopendir(fd)) == NULL) {
		snprintf(err, errlen, "%s: chown: %s", dir, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (fchownat(dirfd(d), de->d_name, uid, gid,
		    AT_SYMLINK_NOFOLLOW) == -1) {
			snprintf(err, errlen, "%s/%s: chown: %s", dir,
			    de->d_name, strerror(errno));
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	return 0;
}
