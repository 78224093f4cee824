#!/bin/sh
# `make bench`: collector ingest throughput, agent -> TLS -> collector ->
# SQLite, next to the raw SQLite insert rate of the same rows measured in
# the same run (the ceiling), and their ratio. Figures go to stdout; the
# numbers in docs/benchmarks.md come from this script.
set -e
BUILD=$(cd "$1" && pwd)
TOP=$(cd "$(dirname "$0")/../.." && pwd)
export LW_BUILD="$BUILD" LW_TOP="$TOP"
N=${BENCH_EVENTS:-300000}
. "$TOP/tests/integration/lib.sh"

make_pki bench
gen_events "$N" >"$T/events.jsonl"
echo "bench: $N db.query events, $(wc -c <"$T/events.jsonl") bytes of JSON Lines"

# Ceiling: the same rows straight into SQLite, same schema and batch.
set -- $("$BUILD/tests/lwbench" "$T/events.jsonl" "$T/raw.db" 2000)
RAW=$3
echo "sqlite ceiling: $1 rows in $2 s = $RAW rows/s"

PORT=$(free_port)
start_collector c --listen 127.0.0.1:$PORT --db "$T/c.db" \
    --tls-cert "$T/pki/collector.crt" --tls-key "$T/pki/collector.key" \
    --tls-client-ca "$T/pki/ca.crt"

# 1. Live: the agent reads, spools and sends while the collector stores.
t0=$(date +%s.%N)
"$AGENT" --name bench --collector 127.0.0.1:$PORT --spool "$T/spool" \
    --source "jsonl:$T/events.jsonl" --tls-ca "$T/pki/ca.crt" \
    --tls-cert "$T/pki/bench.crt" --tls-key "$T/pki/bench.key" --drain \
    2>"$T/agent.log"
t1=$(date +%s.%N)
rows=$(sql "$T/c.db" "SELECT count(*) FROM events")
[ "$rows" = "$N" ] || { echo "bench: only $rows of $N rows stored"; exit 1; }
E2E=$(awk -v n=$N -v a=$t0 -v b=$t1 'BEGIN { printf "%d", n / (b - a) }')
echo "end to end (jsonl -> agent spool -> TLS -> collector -> SQLite): $N events in $(awk -v a=$t0 -v b=$t1 'BEGIN { printf "%.2f", b - a }') s = $E2E events/s"

# 2. Ingest alone: an agent whose spool already holds every event, so the
# figure is the collector's ingest (TLS, framing, validation, dedup, store)
# with the agent only reading its spool.
kill -TERM $CPID; wait $CPID
rm -f "$T/c.db" "$T/c.db-wal" "$T/c.db-shm"
TLSA="--tls-ca $T/pki/ca.crt --tls-cert $T/pki/bench.crt --tls-key $T/pki/bench.key"
"$AGENT" --name bench --collector 127.0.0.1:1 --spool "$T/spool2" \
    --source "jsonl:$T/events.jsonl" $TLSA --drain \
    --backoff-min 60s --backoff-max 60s 2>"$T/agent2.log" &
fill=$!
# Wait until the whole file is in the spool.
while ! grep -q "end of input after $N lines" "$T/agent2.log"; do sleep 0.1; done
kill -TERM $fill; wait $fill || true
start_collector c2 --listen 127.0.0.1:$PORT --db "$T/c.db" \
    --tls-cert "$T/pki/collector.crt" --tls-key "$T/pki/collector.key" \
    --tls-client-ca "$T/pki/ca.crt"
t0=$(date +%s.%N)
"$AGENT" --name bench --collector 127.0.0.1:$PORT --spool "$T/spool2" \
    --source "jsonl:$T/events.jsonl" $TLSA --drain 2>>"$T/agent2.log"
t1=$(date +%s.%N)
rows=$(sql "$T/c.db" "SELECT count(*) FROM events")
[ "$rows" = "$N" ] || { echo "bench: only $rows of $N rows stored (ingest)"; exit 1; }
ING=$(awk -v n=$N -v a=$t0 -v b=$t1 'BEGIN { printf "%d", n / (b - a) }')
echo "ingest from a full spool (agent -> TLS -> collector -> SQLite): $N events in $(awk -v a=$t0 -v b=$t1 'BEGIN { printf "%.2f", b - a }') s = $ING events/s"

echo "ratio end-to-end / ceiling: $(awk -v a=$E2E -v b=$RAW 'BEGIN { printf "%.2f", a / b }')"
echo "ratio ingest / ceiling: $(awk -v a=$ING -v b=$RAW 'BEGIN { printf "%.2f", a / b }')"

# SIEM forwarding to a real rsyslog (its own temporary directory).
sh "$TOP/tests/bench/siem.sh" "$BUILD"
