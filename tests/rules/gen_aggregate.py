#!/usr/bin/env python3
"""Writes the aggregated-event cases of tests/rules/ (run by
tests/integration/aggregate.sh): python3 tests/rules/gen_aggregate.py.

An agent may fold repeated statements of a session into one db.query with
`count`, `first_ts` and `max_rows`, its rows and bytes totals
(docs/events.md). The event rules that add rows up must fire on the
folded form as on the statements: read_then_upload/agg-pos.jsonl is its
pos.jsonl's 15,000 sensitive rows read as 30 aggregates of 50 statements
of 10 rows, then the upload; agg-neg.jsonl the same read too long before
it. borrowed_account/agg-*.jsonl the same for its case. aggregate/ holds a
rule about one statement's rows (max_rows) and the events it must and
must not fire on: 500 statements of at most 1,000 rows folded into one
event of 400,000 rows (s1) is not one huge query; one statement of
20,000 rows (s3) is. Fingerprints are the committed cases' (gen.py)."""
import json, os

HERE = os.path.dirname(os.path.abspath(__file__))
IP = {"s1": "10.0.0.1", "s2": "10.0.0.2", "s3": "10.0.0.3"}
FP = "08bfca7d4f3f4e60"  # crm.customers in the committed cases

def ts(h, m, s=0, us=0):
    return "2026-01-19T%02d:%02d:%02d.%06dZ" % (h, m, s, us)

def query(e, h, m, rows, user=None, count=None, max_rows=None):
    q = {"type": "db.query", "ts": ts(h, m, 9), "agent": "db1",
         "db_system": "postgresql", "server": "10.1.0.1:5432",
         "client": "%s:40000" % IP[e], "db_user": user or "u_" + e,
         "database": "crm", "command": "SELECT",
         "statement": "SELECT * FROM crm.customers WHERE id IN (?+)",
         "fingerprint": FP, "tables": ["crm.customers"], "rows": rows,
         "rows_returned": rows, "rows_affected": 0, "bytes": rows * 120,
         "duration_us": 900 * (count or 1)}
    if count is not None:
        q.update({"count": count, "first_ts": ts(h, m, 0, 4112),
                  "max_rows": max_rows})
    q.update({"status": "ok", "source": "wire"})
    return q

def upload(e, h, m, out, fid):
    return {"type": "net.flow", "ts": ts(h, m), "agent": "gw1",
            "flow_id": "a%06d" % fid, "src": IP[e], "sport": 50000,
            "dst": "203.0.113.9", "dport": 443, "l4": "tcp", "app": "TLS",
            "category": "cloud_storage", "server_name": "drive.google.com",
            "bytes_out": out, "bytes_in": out // 20,
            "delta_bytes_out": out, "delta_bytes_in": out // 20,
            "final": True, "scope": "outbound"}

def write(path, evs):
    with open(path, "w") as f:
        for x in sorted(evs, key=lambda x: x["ts"]):
            f.write(json.dumps(x, separators=(",", ":")) + "\n")

def folded_read(e, h, user=None):
    # 30 windows of 50 statements of 10 rows: 15,000 rows
    return [query(e, h, m, 500, user, 50, 10) for m in range(30)]

def main():
    d = os.path.join(HERE, "read_then_upload")
    write(os.path.join(d, "agg-pos.jsonl"),
          folded_read("s1", 14) + [upload("s1", 16, 30, 600000000, 1)])
    write(os.path.join(d, "agg-neg.jsonl"),
          folded_read("s1", 9) + [upload("s1", 17, 45, 600000000, 2)])
    d = os.path.join(HERE, "borrowed_account")
    write(os.path.join(d, "agg-pos.jsonl"),
          [query("s1", 20, 10 + k, 500, "u_s2", 25, 20) for k in range(4)])
    write(os.path.join(d, "agg-neg.jsonl"),
          [query("s2", 20, 10 + k, 500, None, 25, 20) for k in range(4)])
    d = os.path.join(HERE, "aggregate")
    os.makedirs(d, exist_ok=True)
    write(os.path.join(d, "events.jsonl"),
          [query("s1", 11, 0, 400000, None, 500, 1000),
           query("s3", 11, 5, 20000)])
    with open(os.path.join(d, "expected"), "w") as f:
        f.write("s3\n")

main()
