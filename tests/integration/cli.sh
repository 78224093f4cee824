#!/bin/sh
# The four programs' command lines (getopt_long): -h and --help print the
# usage on stdout and exit 0, --version prints "<program> <version>" and
# exits 0, a bad option, an abbreviated one or a stray word prints the
# usage on stderr and exits 2. The agent and the collector take every
# configuration key as --key value, --key=value or, for a flag, --key;
# the command line wins over -c's file wherever it stands.
. "$(dirname "$0")/lib.sh"

VERSION=$(sed -n 's/^#define LEAKWATCH_VERSION[[:space:]]*"\(.*\)"/\1/p' \
    "$LW_TOP/include/leakwatch/util.h")
check version_known [ -n "$VERSION" ]

# run PROGRAM ARGS... : exit status in $rc, stdout in $T/o, stderr in $T/e
run() {
	p=$1
	shift
	"$LW_BUILD/$p" "$@" >"$T/o" 2>"$T/e"
	rc=$?
}
# ok NAME : PASS when the command list just before succeeded (no command
# substitution in the arguments, which would reset $?).
ok() {
	if [ $? -eq 0 ]; then pass "$1"; else fail "$1" "rc $rc: $(head -c 300 "$T/e")"; fi
}

for p in leakwatch-agent leakwatch-collector leakwatch-tui leakwatch-ctl; do
	for h in -h --help; do
		run "$p" "$h"
		check "${p}_${h#--}_exit_0" [ $rc -eq 0 ]
		check "${p}_${h#--}_usage_on_stdout" grep -q "^usage: $p " "$T/o"
		check "${p}_${h#--}_stderr_empty" [ ! -s "$T/e" ]
	done
	run "$p" --version
	[ $rc -eq 0 ] && [ "$(cat "$T/o")" = "$p $VERSION" ]
	ok "${p}_version"
	check "${p}_version_stderr_empty" [ ! -s "$T/e" ]
	for bad in --no-such-option -Z --vers --hel; do
		run "$p" "$bad"
		check "${p}_bad_${bad#-}_exit_2" [ $rc -eq 2 ]
		check "${p}_bad_${bad#-}_usage_on_stderr" grep -q "^usage: $p " "$T/e"
		check "${p}_bad_${bad#-}_stdout_empty" [ ! -s "$T/o" ]
	done
	# -h wins over what else is wrong: the operator asked for help
	run "$p" --no-such-option -h
	[ $rc -eq 0 ] && grep -q "^usage: $p " "$T/o"
	ok "${p}_help_among_bad"
done
# A word that is no option (ctl takes a command and one argument).
for p in leakwatch-agent leakwatch-collector leakwatch-tui; do
	run "$p" stray
	[ $rc -eq 2 ] && grep -q 'unexpected argument "stray"' "$T/e"
	ok "${p}_stray_word_exit_2"
done
run leakwatch-ctl --db "$T/none.db"
[ $rc -eq 2 ] && grep -q '^usage: leakwatch-ctl ' "$T/e"
ok ctl_no_command_exit_2
run leakwatch-ctl --db "$T/none.db" secret-revoke a b
check ctl_extra_word_exit_2 [ $rc -eq 2 ]
run leakwatch-ctl --db "$T/none.db" frobnicate
[ $rc -eq 2 ] && grep -q 'unknown command "frobnicate"' "$T/e"
ok ctl_unknown_command_exit_2
run leakwatch-tui --refresh 10 --db "$T/none.db"
[ $rc -eq 2 ] && grep -q -- '--refresh' "$T/e"
ok tui_bad_refresh_exit_2

# Keys as options, each form; a missing or bad value is exit 2 too.
run leakwatch-collector -t -v --db="$T/a.db" --max-frame 2M --insecure \
    --db-sync-full=no --rules "$LW_TOP/rules"
[ $rc -eq 0 ] &&
    grep -qx "db \"$T/a.db\"" "$T/o" && grep -qx 'max-frame 2097152' "$T/o" &&
    grep -qx 'insecure yes' "$T/o" && grep -qx 'db-sync-full no' "$T/o"
ok collector_key_forms
run leakwatch-collector -tv --rules "$LW_TOP/rules"
[ $rc -eq 0 ] && grep -q '^rules ' "$T/o"
ok collector_short_options_grouped
run leakwatch-collector -t --max-frame
[ $rc -eq 2 ] && grep -q "max-frame' requires an argument" "$T/e"
ok collector_missing_value_exit_2
run leakwatch-collector -t --max-frame 12Q
[ $rc -eq 2 ] && grep -q 'max-frame: expected a size' "$T/e"
ok collector_bad_value_exit_2
run leakwatch-agent -t --insecure --collector 127.0.0.1:1 --spool "$T/sp" \
    --source jsonl:- --name=cli-test -v
[ $rc -eq 0 ] && grep -qx 'name "cli-test"' "$T/o" &&
    grep -qx 'insecure yes' "$T/o" && grep -qx 'source "jsonl:-"' "$T/o"
ok agent_key_forms
run leakwatch-agent -t --insecure=maybe
[ $rc -eq 2 ] && grep -q 'insecure: expected yes or no' "$T/e"
ok agent_bad_flag_value_exit_2

# The command line wins over the file, before or after -c; lists append.
printf 'listen 127.0.0.1:1\ninsecure yes\ndb "%s/file.db"\nmax-frame 1M\nrules "%s/rules"\n' \
    "$T" "$LW_TOP" >"$T/c.conf"
run leakwatch-collector --db "$T/cli.db" -t -v -c "$T/c.conf"
[ $rc -eq 0 ] && grep -qx "db \"$T/cli.db\"" "$T/o" &&
    grep -qx 'max-frame 1048576' "$T/o"
ok cli_wins_before_c
run leakwatch-collector -t -v -c "$T/c.conf" --db "$T/cli.db"
[ $rc -eq 0 ] && grep -qx "db \"$T/cli.db\"" "$T/o"
ok cli_wins_after_c
printf 'collector 127.0.0.1:1\nspool %s/sp\nsource jsonl:%s/a\ninsecure yes\n' \
    "$T" "$T" >"$T/a.conf"
run leakwatch-agent -t -v -c "$T/a.conf" --source "jsonl:$T/b"
[ $rc -eq 0 ] && [ "$(grep -c '^source ' "$T/o")" = 2 ]
ok agent_list_appends
# ctl: its own options and the collector's keys, mixed with the command
run leakwatch-ctl config --db "$T/ctl.db" --stale 5s --max-frame 2M
[ $rc -eq 0 ] && grep -qx "db \"$T/ctl.db\"" "$T/o" &&
    grep -qx 'max-frame 2097152' "$T/o"
ok ctl_keys_and_command
run leakwatch-ctl --db "$T/ctl.db" agents --stale 1ms
[ $rc -eq 2 ] && grep -q 'stale: expected a duration' "$T/e"
ok ctl_bad_own_value_exit_2
finish
