#!/bin/sh
# `make install` with PREFIX and DESTDIR puts the programs, the example
# configurations and the documentation where the README says, and the
# installed programs run.
. "$(dirname "$0")/lib.sh"

make -s -C "$LW_TOP" BUILD="$LW_BUILD" PREFIX=/usr DESTDIR="$T/root" \
    install >"$T/make.log" 2>&1
check install_exit_0 [ $? -eq 0 ]
for f in usr/sbin/leakwatch-agent usr/sbin/leakwatch-collector \
    etc/leakwatch/agent.conf.example etc/leakwatch/collector.conf.example \
    usr/share/doc/leakwatch/README.md usr/share/doc/leakwatch/protocol.md; do
	check "installed_$(basename "$f")" [ -f "$T/root/$f" ]
done
check binaries_executable [ -x "$T/root/usr/sbin/leakwatch-agent" ]
v=$("$T/root/usr/sbin/leakwatch-collector" --version)
check installed_collector_runs [ "$v" = "leakwatch-collector 0.1.0" ]
finish
