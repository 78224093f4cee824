#!/bin/sh
# The replay cases, in the style of suricata-verify: each directory
# tests/replay/<case>/ holds a small capture (input.pcap, made from real
# servers on loopback by capture.sh), the agent options it needs (args:
# one line, e.g. `--source db --port pgsql:5432`; lines starting with #
# are comments), what it shows (README) and the events the agent must
# write for it (expected.jsonl). Each case runs
#
#   leakwatch-agent --read input.pcap ARGS --name replay
#
# and compares its output with expected.jsonl field by field
# (tests/tools/lwjsondiff.c: one line per field that differs, naming the
# event, and one per event on one side only). Nothing is ignored: the
# only field that would vary from machine to machine, the agent name, is
# fixed by --name. One PASS:/FAIL: line per case; the agent must also exit
# 0 with no sanitizer report.
#
#   sh tests/replay/run.sh BUILD [--update] [CASE...]
#
# --update (`make replay-update`) writes each case's output to its
# expected.jsonl after printing the differences, for a change that is
# meant to alter the events; read the diff (git diff tests/replay) before
# committing it. $LW_ONLY, as for tests/run.sh, keeps the cases whose
# "replay/<case>" matches it.
BUILD=${1:-build-asan}
[ $# -gt 0 ] && shift
UPDATE=
if [ "${1:-}" = "--update" ]; then
	UPDATE=1
	shift
fi
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "$TOP" && cd "$BUILD" && pwd) || exit 2
AGENT="$BUILD/leakwatch-agent"
DIFF="$BUILD/tests/lwjsondiff"
R="$TOP/tests/replay"
for b in "$AGENT" "$DIFF"; do
	[ -x "$b" ] || { echo "FAIL: replay: $b not built"; exit 1; }
done
W=$(mktemp -d /tmp/lwreplay.XXXXXX) || exit 2
trap 'rm -rf "$W"' EXIT
trap 'exit 1' INT TERM HUP

# The case names asked for: the arguments, or every directory.
if [ $# -gt 0 ]; then
	CASES="$*"
else
	CASES=$(cd "$R" && for d in */; do
		[ -f "$d/input.pcap" ] && printf '%s\n' "${d%/}"; done)
fi

# one CASE: runs the agent on it and compares; prints PASS:/FAIL:.
one() {
	c=$1
	d="$R/$c"
	name="replay/$c"
	for f in input.pcap args README; do
		[ -f "$d/$f" ] || { echo "FAIL: $name: no $f"; return; }
	done
	# shellcheck disable=SC2046
	"$AGENT" --read "$d/input.pcap" $(grep -v '^#' "$d/args") \
	    --name replay >"$W/$c.jsonl" 2>"$W/$c.err"
	rc=$?
	if [ $rc -ne 0 ] || grep -q -E \
	    "AddressSanitizer|LeakSanitizer|runtime error:" "$W/$c.err"; then
		echo "FAIL: $name: agent exit status $rc"
		tail -5 "$W/$c.err" | sed 's/^/  /'
		return
	fi
	if [ ! -f "$d/expected.jsonl" ]; then
		: >"$W/none.jsonl"
		set -- "$W/none.jsonl"
	else
		set -- "$d/expected.jsonl"
	fi
	"$DIFF" "$1" "$W/$c.jsonl" >"$W/$c.diff" 2>&1
	drc=$?
	if [ -n "$UPDATE" ]; then
		if [ $drc -eq 0 ]; then
			echo "PASS: $name (unchanged)"
		else
			sed 's/^/  /' "$W/$c.diff"
			cp "$W/$c.jsonl" "$d/expected.jsonl"
			echo "PASS: $name (expected.jsonl rewritten)"
		fi
		return
	fi
	if [ $drc -eq 0 ]; then
		echo "PASS: $name (events: $(grep -c . "$1"))"
	else
		echo "FAIL: $name: output differs from expected.jsonl"
		sed 's/^/  /' "$W/$c.diff"
	fi
}

for c in $CASES; do
	if [ -n "${LW_ONLY:-}" ] && ! echo "replay/$c" | grep -q "$LW_ONLY"
	then
		continue
	fi
	[ -d "$R/$c" ] || { echo "FAIL: replay/$c: no such case"; continue; }
	one "$c"
done
