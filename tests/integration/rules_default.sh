#!/bin/sh
# The shipped rules are the default: a collector given no `rules` uses
# ../rules beside its binary's directory (the source tree's rules/ for a
# build directory), else DATADIR/rules (docs/config.md). A replay without
# --rules alerts exactly as one with --rules rules/; a `rules` that names
# a missing directory, an empty one or one whose files define no rule
# stops start-up, -t and replay with a message naming the path, before
# any database is made.
. "$(dirname "$0")/lib.sh"

R="$LW_TOP/tests/rules"
SENS="--sensitive crm.customer*=customer_pii --sensitive pay.*=payment --sensitive hr.*=employee_pii"
TOPRULES=$(cd "$LW_TOP/rules" && pwd -P)
NRULES=$(cat "$LW_TOP"/rules/*.rules | grep -c '^rule ')
cat "$R/background.jsonl" "$R"/*/pos.jsonl | sort >"$T/ev.jsonl"

# replay NAME ARGS... : alerts into $T/NAME.out, stderr $T/NAME.err
replay() {
	n=$1; shift
	# shellcheck disable=SC2086
	"$COLLECTOR" --replay "$T/ev.jsonl" --db "$T/$n.db" \
	    --directory "$R/directory.csv" $SENS "$@" >"$T/$n.out" 2>"$T/$n.err"
}

replay with --rules "$LW_TOP/rules"
check replay_with_rules_exit_0 [ $? -eq 0 ]
replay without
check replay_without_rules_exit_0 [ $? -eq 0 ]
n=$(wc -l <"$T/with.out")
check replay_with_rules_alerts [ "$n" -ge 5 ]
check replay_without_rules_alerts_the_same cmp -s "$T/with.out" "$T/without.out"
check default_said_once [ "$(grep -c "rules: none configured; using the shipped rules in $TOPRULES\$" "$T/without.err")" = 1 ]
check default_not_said_when_given [ "$(grep -c 'shipped rules' "$T/with.err")" = 0 ]
"$COLLECTOR" -t >"$T/t.out" 2>&1
check t_default_exit_0 [ $? -eq 0 ]
check t_default_counted grep -q ", $NRULES rules from $TOPRULES\$" "$T/t.out"

# expect_error NAME WANT ARGS... : exit 1, WANT on stderr, no database
expect_error() {
	name=$1 want=$2; shift 2
	rm -f "$T/bad.db"
	"$COLLECTOR" "$@" >"$T/bad.out" 2>"$T/bad.err"
	rc=$?
	if [ $rc -eq 1 ] && grep -qxF "leakwatch-collector: $want" "$T/bad.err" &&
	    [ ! -e "$T/bad.db" ]; then
		pass "$name"
	else
		fail "$name" "exit $rc: $(head -c 300 "$T/bad.err")"
	fi
}
mkdir -p "$T/empty" "$T/notes" "$T/comments"
echo 'rule x { on day when 1 severity low summary "s" }' >"$T/notes/README"
printf '# site rules go here\n\n' >"$T/comments/site.rules"
missing="rules directory $T/nope: No such file or directory"
empty="rules directory $T/empty: no *.rules file in it"
for mode in replay t; do
	if [ $mode = replay ]; then
		set -- --replay "$T/ev.jsonl" --db "$T/bad.db"
	else
		set -- -t
	fi
	expect_error "${mode}_missing_dir" "$missing" "$@" --rules "$T/nope"
	expect_error "${mode}_empty_dir" "$empty" "$@" --rules "$T/empty"
	expect_error "${mode}_no_rules_file" \
	    "rules directory $T/notes: no *.rules file in it" "$@" --rules "$T/notes"
	expect_error "${mode}_no_rule_defined" \
	    "rules directory $T/comments: its *.rules files define no rule" \
	    "$@" --rules "$T/comments"
done
printf 'listen 127.0.0.1:1\ninsecure yes\ndb %s/bad.db\nrules %s/empty\n' \
    "$T" "$T" >"$T/c.conf"
expect_error t_config_empty_dir "$empty" -t -c "$T/c.conf"
PORT=$(free_port)
expect_error live_empty_dir "$empty" --listen "127.0.0.1:$PORT" --insecure \
    --db "$T/bad.db" --rules "$T/empty"

# Beside the binary, wherever it is: a copy finds its own ../rules.
mkdir -p "$T/x/bin" "$T/x/rules"
cp "$COLLECTOR" "$T/x/bin/"
printf 'rule only { on day when 1 severity low summary "s" }\n' \
    >"$T/x/rules/one.rules"
X=$(cd "$T/x" && pwd -P)
"$T/x/bin/leakwatch-collector" -t >"$T/x.out" 2>&1
check copy_finds_own_rules grep -q ", 1 rules from $X/rules\$" "$T/x.out"
rm "$T/x/rules/one.rules"
"$T/x/bin/leakwatch-collector" -t >"$T/x.out" 2>&1
check copy_empty_rules_exit_1 [ $? -eq 1 ]
check copy_empty_rules_named grep -qxF "leakwatch-collector: rules directory $X/rules: no *.rules file in it" "$T/x.out"

# Live: the same default, said once in the log.
if start_collector live --listen "127.0.0.1:$PORT" --insecure --db "$T/live.db"; then
	check live_default_said [ "$(grep -c "using the shipped rules in $TOPRULES\$" "$T/live.log")" = 1 ]
else
	fail live_default_said "collector did not start: $(tail -n 2 "$T/live.log")"
fi
finish
