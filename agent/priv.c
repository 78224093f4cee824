/*
 * Dropping privileges once the captures are open. The agent starts as
 * root only because opening a packet socket needs it; nothing that parses
 * network bytes may run with those rights. priv_drop() switches to the
 * configured user (supplementary groups, gid, then uid, all three of the
 * real/effective/saved ids), checks that root cannot be regained, and
 * always sets no_new_privs so no later exec can gain privileges back.
 *
 * Capabilities: an already-open pcap socket keeps working after setuid,
 * so the agent keeps no capability at all (not even CAP_NET_RAW). A
 * systemd unit that wants to start the agent unprivileged instead grants
 * AmbientCapabilities=CAP_NET_RAW and leaves `user` unset; see
 * docs/network.md.
 */
#include <sys/prctl.h>
#include <sys/types.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include "agent.h"
#include "leakwatch/log.h"

void
priv_drop(const struct agent_config *cfg)
{
	struct passwd *pw;
	uid_t uid;
	gid_t gid;

	if (cfg->user != NULL && *cfg->user != '\0') {
		errno = 0;
		if ((pw = getpwnam(cfg->user)) == NULL)
			fatalx("user \"%s\": no such user", cfg->user);
		uid = pw->pw_uid;
		gid = pw->pw_gid;
		if (geteuid() == 0 && initgroups(cfg->user, gid) != 0)
			fatal("initgroups %s", cfg->user);
		if (setresgid(gid, gid, gid) != 0)
			fatal("setresgid %u", (unsigned)gid);
		if (setresuid(uid, uid, uid) != 0)
			fatal("setresuid %u", (unsigned)uid);
		if (uid != 0) {
			/* A partial drop would be worse than none. */
			if (setuid(0) == 0 || seteuid(0) == 0)
				fatalx("could regain root after dropping to "
				    "%s", cfg->user);
			if (getuid() != uid || geteuid() != uid ||
			    getgid() != gid || getegid() != gid)
				fatalx("privilege drop to %s incomplete",
				    cfg->user);
		}
		log_info("dropped privileges to %s (uid %u)", cfg->user,
		    (unsigned)uid);
	} else if (geteuid() == 0)
		log_debug("no user configured: staying root");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		fatal("prctl(PR_SET_NO_NEW_PRIVS)");
}
