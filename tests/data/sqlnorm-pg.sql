SELECT name, phone, email FROM crm.customers WHERE id = 42
select name from customers where id = $1
UPDATE pgbench_accounts SET abalance = abalance + -4232 WHERE aid = 77218;
SELECT abalance FROM pgbench_accounts WHERE aid = 77218;
UPDATE pgbench_tellers SET tbalance = tbalance + -4232 WHERE tid = 7;
UPDATE pgbench_branches SET bbalance = bbalance + -4232 WHERE bid = 1;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (7, 1, 77218, -4232, CURRENT_TIMESTAMP);
BEGIN
END
SELECT c.oid, n.nspname, c.relname FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relname OPERATOR(pg_catalog.~) '^(customers)$' COLLATE pg_catalog.default AND pg_catalog.pg_table_is_visible(c.oid) ORDER BY 2, 3;
SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), (SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid, true) FROM pg_catalog.pg_attrdef d WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum AND a.atthasdef), a.attnotnull FROM pg_catalog.pg_attribute a WHERE a.attrelid = '16384' AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum;
SELECT * FROM orders WHERE customer_id IN (1, 2, 3, 4, 5, 6, 7, 8) AND created > '2026-01-01' /*user='alice',action='export'*/
COPY crm.customers TO STDOUT
COPY (SELECT id, name FROM crm.customers WHERE region = 'EU') TO STDOUT WITH (FORMAT csv)
DECLARE c1 CURSOR WITH HOLD FOR SELECT * FROM crm.customers WHERE region = 'EU'
FETCH 1000 FROM c1
WITH big AS (SELECT customer_id, sum(total) AS s FROM orders GROUP BY customer_id HAVING sum(total) > 1000) SELECT c.name, b.s FROM customers c JOIN big b ON b.customer_id = c.id
INSERT INTO audit_log (ts, who, what) VALUES (now(), 'svc', 'login'), (now(), 'svc', 'logout')
SELECT $$literal$$, E'it\'s', 'x''y' FROM t
SET application_name = 'psql'
