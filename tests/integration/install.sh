#!/bin/sh
# `make install` with PREFIX and DESTDIR puts every file where
# docs/deployment.md says: programs (agent, collector, ctl in sbin; the
# TUI in bin), man pages that render without warnings and that man(1)
# finds, example configurations, the default rules, the systemd units
# (paths substituted, hardening present: dedicated users, capabilities for
# the agent only, NoNewPrivileges, ProtectSystem=strict, ReadWritePaths,
# PrivateTmp), the sysusers.d users, logrotate and rsyslog snippets. The
# installed programs run, and `systemd-analyze verify` accepts both units
# with no warning (units pointed at the DESTDIR binaries, man pages found
# through MANPATH).
. "$(dirname "$0")/lib.sh"

R="$T/root"
# -o all: install the build under test as it is; without it make would
# relink the programs with the default CFLAGS when a source changed since.
make -s -C "$LW_TOP" -o all BUILD="$LW_BUILD" PREFIX=/usr DESTDIR="$R" \
    install >"$T/make.log" 2>&1
check install_exit_0 [ $? -eq 0 ]
[ -s "$T/make.log" ] && tail -n 5 "$T/make.log"
for f in usr/sbin/leakwatch-agent usr/sbin/leakwatch-collector \
    usr/sbin/leakwatch-ctl usr/bin/leakwatch-tui \
    etc/leakwatch/agent.conf.example etc/leakwatch/collector.conf.example \
    usr/share/leakwatch/rules/default.rules \
    usr/share/leakwatch/rules/categories.map \
    usr/share/man/man8/leakwatch-agent.8 \
    usr/share/man/man8/leakwatch-collector.8 \
    usr/share/man/man8/leakwatch-ctl.8 usr/share/man/man1/leakwatch-tui.1 \
    usr/share/man/man5/leakwatch.rules.5 \
    usr/share/man/man5/leakwatch-collector.conf.5 \
    usr/share/man/man5/leakwatch-agent.conf.5 \
    usr/lib/systemd/system/leakwatch-agent.service \
    usr/lib/systemd/system/leakwatch-collector.service \
    usr/lib/sysusers.d/leakwatch.conf etc/logrotate.d/leakwatch \
    etc/rsyslog.d/30-leakwatch.conf \
    usr/share/doc/leakwatch/README.md usr/share/doc/leakwatch/protocol.md; do
	check "installed_$(basename "$f")" [ -f "$R/$f" ]
done
check no_config_overwritten [ ! -e "$R/etc/leakwatch/collector.conf" ]
for p in usr/sbin/leakwatch-agent usr/sbin/leakwatch-collector \
    usr/sbin/leakwatch-ctl usr/bin/leakwatch-tui; do
	check "mode_755_$(basename "$p")" [ "$(stat -c %a "$R/$p")" = 755 ]
done
check unit_mode_644 [ "$(stat -c %a "$R/usr/lib/systemd/system/leakwatch-agent.service")" = 644 ]
v=$("$R/usr/sbin/leakwatch-collector" --version)
check installed_collector_runs [ "$v" = "leakwatch-collector 0.1.0" ]
v=$("$R/usr/sbin/leakwatch-ctl" --version)
check installed_ctl_runs [ "$v" = "leakwatch-ctl 0.1.0" ]
"$R/usr/sbin/leakwatch-collector" -t --rules "$R/usr/share/leakwatch/rules" \
    2>/dev/null
check installed_rules_load [ $? -eq 0 ]

# Man pages: no groff warnings; man -w finds each by section.
if command -v groff >/dev/null; then
	for m in "$R"/usr/share/man/man*/*; do
		w=$(groff -mdoc -Tutf8 -ww -z "$m" 2>&1)
		check "man_clean_$(basename "$m")" [ -z "$w" ]
	done
else
	skip man_clean "groff not installed"
fi
if command -v man >/dev/null; then
	for p in 8:leakwatch-agent 8:leakwatch-collector 8:leakwatch-ctl \
	    1:leakwatch-tui 5:leakwatch.rules 5:leakwatch-collector.conf \
	    5:leakwatch-agent.conf; do
		man -M "$R/usr/share/man" -w "${p%%:*}" "${p#*:}" >/dev/null 2>&1
		check "man_found_${p#*:}" [ $? -eq 0 ]
	done
else
	skip man_found "man not installed"
fi

# Units: paths substituted, hardening as documented.
A="$R/usr/lib/systemd/system/leakwatch-agent.service"
C="$R/usr/lib/systemd/system/leakwatch-collector.service"
check units_paths_substituted [ "$(cat "$A" "$C" | grep -c '@[A-Z]*@')" = 0 ]
check agent_execstart grep -qx 'ExecStart=/usr/sbin/leakwatch-agent -c /etc/leakwatch/agent.conf' "$A"
check collector_execstart grep -qx 'ExecStart=/usr/sbin/leakwatch-collector -c /etc/leakwatch/collector.conf' "$C"
check agent_user grep -qx 'User=leakwatch-agent' "$A"
check collector_user grep -qx 'User=leakwatch' "$C"
check agent_caps grep -qx 'CapabilityBoundingSet=CAP_NET_RAW CAP_NET_ADMIN' "$A"
check agent_ambient grep -qx 'AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN' "$A"
check collector_no_caps grep -qx 'CapabilityBoundingSet=' "$C"
check collector_no_net_raw [ "$(grep -c CAP_NET "$C")" = 0 ]
for u in "$A" "$C"; do
	n=$(basename "$u" .service)
	for l in NoNewPrivileges=yes ProtectSystem=strict PrivateTmp=yes; do
		check "${n}_$l" grep -qx "$l" "$u"
	done
done
check agent_rw_spool grep -qx 'ReadWritePaths=/var/lib/leakwatch-agent' "$A"
check collector_rw_db grep -qx 'ReadWritePaths=/var/lib/leakwatch /run/leakwatch' "$C"
# /run/leakwatch belongs to user and group leakwatch; analysts reach the
# control socket in it (0660, group leakwatch-analysts) only through the
# directory's "other" execute bit.
rdm=$(sed -n 's/^RuntimeDirectoryMode=//p' "$C")
check runtime_dir_lets_analysts_through [ -n "$rdm" ] && [ $(( 0$rdm & 01 )) = 1 ]
S="$R/usr/lib/sysusers.d/leakwatch.conf"
check sysusers_collector grep -q '^u  *leakwatch ' "$S"
check sysusers_agent grep -q '^u  *leakwatch-agent ' "$S"
check sysusers_analysts grep -q '^g  *leakwatch-analysts ' "$S"

if command -v systemd-analyze >/dev/null; then
	mkdir -p "$T/units"
	for u in "$A" "$C"; do
		sed -e "s|/usr/sbin/|$R/usr/sbin/|g" "$u" \
		    >"$T/units/$(basename "$u")"
	done
	out=$(MANPATH="$R/usr/share/man" systemd-analyze verify \
	    "$T/units/leakwatch-agent.service" \
	    "$T/units/leakwatch-collector.service" 2>&1)
	rc=$?
	[ -n "$out" ] && echo "$out"
	check systemd_analyze_verify [ $rc -eq 0 -a -z "$out" ]
	# and it is not a rubber stamp: an unknown key is reported
	printf '[Service]\nFooBar=1\n' >>"$T/units/leakwatch-agent.service"
	out=$(MANPATH="$R/usr/share/man" systemd-analyze verify \
	    "$T/units/leakwatch-agent.service" 2>&1)
	check systemd_analyze_catches contains "$out" "Unknown key 'FooBar'"
else
	skip systemd_analyze_verify "systemd-analyze not installed (Debian package systemd)"
fi
if command -v rsyslogd >/dev/null; then
	rsyslogd -N1 -f "$R/etc/rsyslog.d/30-leakwatch.conf" >"$T/rs.log" 2>&1
	check rsyslog_snippet_valid [ $? -eq 0 ]
else
	skip rsyslog_snippet_valid "rsyslog not installed"
fi
if command -v logrotate >/dev/null; then
	logrotate -d "$R/etc/logrotate.d/leakwatch" >"$T/lr.log" 2>&1
	check logrotate_snippet_valid [ $? -eq 0 ]
else
	check logrotate_snippet_shape grep -q '^/var/log/leakwatch/\*.log {' \
	    "$R/etc/logrotate.d/leakwatch"
fi
finish
