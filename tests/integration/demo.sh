#!/bin/sh
# `make demo` must keep working: run it on the build under test and check
# that it stored all 1,200 bundled events, named both agents and left no
# process behind.
. "$(dirname "$0")/lib.sh"

out=$(DEMO_DIR="$T/demo" sh "$LW_TOP/tests/demo.sh" "$LW_BUILD" 2>&1)
rc=$?
echo "$out" | tail -n 3
check demo_exit_0 [ $rc -eq 0 ]
check demo_stored_all contains "$out" "1200 of 1200 events stored"
check demo_top_reader contains "$out" "^eko  *29  *9158"
n=$(sql "$T/demo/collector.db" "SELECT count(DISTINCT agent) FROM events")
check demo_two_agents [ "$n" = 2 ]
left=$(pgrep -f "$T/demo" | wc -l)
check demo_nothing_running [ "$left" = 0 ]
finish
