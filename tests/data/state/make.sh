#!/bin/sh
# make.sh TREE OUT.db: one state fixture, made by the collector built in
# TREE - a checkout of an older commit, built there with `make
# build/leakwatch-collector build/tests/lwsim` - from TREE's own simulator
# (seed 1, 30 employees, 12 days) replayed with TREE's default rules.
# Only the saved state of three people (e0002, e0013, svc_etl) and of
# every peer group is kept; every other table is emptied (its layout,
# the schema of that version, stays) and the file vacuumed. README.md
# says which commit made which file. KEEP=1 keeps the work directory.
set -e
TREE=$(cd "$1" && pwd); OUT=$2
W=$(mktemp -d)
trap '[ -n "$KEEP" ] || rm -rf "$W"' EXIT INT TERM
"$TREE/build/tests/lwsim" --seed 1 --employees 30 --days 12 --out "$W/sim" \
    >/dev/null
# shellcheck disable=SC2046
"$TREE/build/leakwatch-collector" --replay "$W/sim/events.jsonl" \
    --db "$W/f.db" --directory "$W/sim/directory.csv" \
    $(cat "$W/sim/sensitive.args") --rules "$TREE/rules" \
    >"$W/alerts.jsonl" 2>"$W/replay.err" || { cat "$W/replay.err"; exit 1; }
for t in $(sqlite3 "$W/f.db" "SELECT name FROM sqlite_master WHERE
    type = 'table' AND name NOT LIKE 'sqlite%' AND name NOT IN
    ('an_entities', 'an_peers')"); do
	sqlite3 "$W/f.db" "DELETE FROM \"$t\""
done
sqlite3 "$W/f.db" "DELETE FROM an_entities WHERE entity NOT IN
    ('e0002', 'e0013', 'svc_etl');
    PRAGMA journal_mode = DELETE; PRAGMA page_size = 1024; VACUUM"
cp "$W/f.db" "$OUT"
