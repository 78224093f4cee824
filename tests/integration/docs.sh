#!/bin/sh
# The documentation keeps up with the code: every configuration key the
# agent and the collector accept (their key tables in agent/config.c and
# collector/config.c) has a row in docs/config.md and an entry in its
# man page (leakwatch-agent.conf(5), leakwatch-collector.conf(5)); every
# keyword the rules parser accepts (collector/analytics/rules-parse.c:
# its tables of functions, fields and clauses, and the words it matches
# with is_word) appears in docs/rules.md and in leakwatch.rules(5); every
# docs/*.md page is linked from the README; every program has its man
# page. (tests/unit/test_config.c checks the key tables against
# docs/config.md from inside the code as well.)
. "$(dirname "$0")/lib.sh"
cd "$LW_TOP" || exit 1

keys() {
	sed -n 's/^[[:space:]]*K("\([a-z0-9-]*\)",.*/\1/p' "$1"
}
# check_keys PROGRAM SOURCE MANPAGE
check_keys() {
	n=0
	miss_md=""
	miss_man=""
	for k in $(keys "$2"); do
		n=$((n + 1))
		grep -q "^| \`$k\` |" docs/config.md || miss_md="$miss_md $k"
		grep -q "^\.It Ic $k\( \|$\)" "$3" || miss_man="$miss_man $k"
	done
	check "$1_keys_found" [ "$n" -ge 10 ]
	check "$1_keys_in_config_md${miss_md:+ (missing:$miss_md)}" [ -z "$miss_md" ]
	check "$1_keys_in_man${miss_man:+ (missing:$miss_man)}" [ -z "$miss_man" ]
}
check_keys agent agent/config.c docs/man/leakwatch-agent.conf.5
check_keys collector collector/config.c docs/man/leakwatch-collector.conf.5

# Rule keywords: the string tables of rules-parse.c (from the table's
# opening line to its NULL) and every is_word(p, "...") literal.
R=collector/analytics/rules-parse.c
words=$( {
	awk '/^} fns\[\] = \{|^static const char \*const (common_fields|event_fields|clause_words)\[\] = \{/ { on = 1 }
	    on { print } on && /NULL/ { on = 0 }' "$R" |
	    grep -o '"[a-z_0-9]*"'
	grep -o 'is_word(p, "[a-z_0-9]*")' "$R" | grep -o '"[a-z_0-9]*"'
} | tr -d '"' | sort -u)
nw=$(echo "$words" | grep -c .)
check rules_keywords_found [ "$nw" -ge 40 ]
miss_md=""
miss_man=""
for w in $words; do
	grep -qw -- "$w" docs/rules.md || miss_md="$miss_md $w"
	grep -qw -- "$w" docs/man/leakwatch.rules.5 || miss_man="$miss_man $w"
done
check "rules_keywords_in_rules_md${miss_md:+ (missing:$miss_md)}" [ -z "$miss_md" ]
check "rules_keywords_in_man${miss_man:+ (missing:$miss_man)}" [ -z "$miss_man" ]
# the function table itself must have been read (a moved table would
# silently shrink the list)
for f in value baseline cusum first_seen sum team; do
	check "rules_table_has_$f" contains "$words" "^$f\$"
done

# Where each event is born (docs/events.md): one row for every type of
# the schema; the builder is defined in its file, and that file is the
# only one of the product that writes the type ("type", "db.query").
born=$(sed -n '/^## Where each event is born/,/^## /s/^| `\([a-z.]*\)` | `\([a-z_]*\)()` | `\([a-z/.-]*\)` |.*/\1 \2 \3/p' docs/events.md)
types=$(sed -n 's/^[[:space:]]*"db\.query", .*NULL$/&/p' lib/event-schema.c |
    tr -d '",' | sed 's/NULL//')
check "event_types_found" [ "$(echo $types | wc -w)" -ge 5 ]
for t in $types; do
	row=$(printf '%s\n' "$born" | awk -v t="$t" '$1 == t')
	check "event_${t}_born_documented" [ -n "$row" ]
	[ -n "$row" ] || continue
	set -- $row
	check "event_${t}_builder_$2_in_$3" grep -q "^$2(" "$3"
	writers=$(grep -rl --include='*.c' "\"type\", \"$t\"" agent collector lib)
	check "event_${t}_written_only_by_$3 (found: $(echo $writers))" \
	    [ "$writers" = "$3" ]
done

miss=""
for d in docs/*.md; do
	grep -q "(\(\./\)\?$d)" README.md || miss="$miss $d"
done
check "docs_linked_from_readme${miss:+ (missing:$miss)}" [ -z "$miss" ]

for m in leakwatch-agent.8 leakwatch-collector.8 leakwatch-ctl.8 \
    leakwatch-tui.1 leakwatch.rules.5 leakwatch-collector.conf.5 \
    leakwatch-agent.conf.5; do
	check "man_$m" [ -s "docs/man/$m" ]
done
# every subcommand of leakwatch-ctl is in its man page and operations.md
for c in agents secret-issue secret-revoke secrets config vacuum; do
	check "ctl_${c}_documented" grep -q "Ic $c" docs/man/leakwatch-ctl.8
	check "ctl_${c}_in_operations_md" grep -q "^| \`$c" docs/operations.md
done
finish
