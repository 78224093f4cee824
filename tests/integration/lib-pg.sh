# PostgreSQL for the integration tests (sourced after lib.sh; POSIX sh).
# Only defines functions, so running this file by itself does nothing.
#
#   pg_bin                 prints the newest /usr/lib/postgresql/N/bin
#   pg_have                true when initdb, pg_ctl, psql and the postgres
#                          user exist (callers SKIP otherwise)
#   pg_start DIR PORT      a fresh cluster in DIR, run as the postgres user
#                          (PostgreSQL refuses root): TCP on 127.0.0.1:PORT
#                          only, the Unix socket in DIR (invisible to
#                          libpcap, so setup traffic is never captured),
#                          ssl=on with a self-signed certificate made here
#                          (sslmode=require works), trust for every user
#                          except those listed in $PG_SCRAM_USERS, who
#                          need a password (scram-sha-256).
#                          $PG_EXTRA_CONF (lines) is appended to
#                          postgresql.conf (pgaudit, log formats).
#   pg_sql DIR DB SQL      runs SQL as postgres over the socket; quiet,
#                          stops at the first error
#   pg_stop DIR            fast shutdown, waits for it
#   pg_stop_all            stops every cluster pg_start started (for traps)
#   pg_client_env PORT     exports PGHOST/PGPORT for the real clients over
#                          TCP, with TLS and GSS encryption off unless the
#                          caller asks (libpq prefers TLS when offered)
#
# The server log is DIR/log; pg_start fails with it when the server does
# not answer within 60 s. DIR's parents must be searchable by postgres
# (lib.sh's $T is 0700: chmod 755 "$T" first).

PG_DIRS=""

pg_bin() {
	ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}

pg_have() {
	_pb=$(pg_bin)
	[ -n "$_pb" ] && [ -x "$_pb/initdb" ] && [ -x "$_pb/pg_ctl" ] &&
	    command -v psql >/dev/null 2>&1 && id postgres >/dev/null 2>&1
}

# Runs a command as postgres from a directory it can read (initdb and
# pg_ctl complain about an unreadable working directory).
pg_as() {
	(cd "$1" && shift && runuser -u postgres -- "$@")
}

pg_start() {
	_pd=$1
	_pp=$2
	_pb=$(pg_bin)
	mkdir -p "$_pd" || return 1
	chown postgres "$_pd" || return 1
	pg_as "$_pd" "$_pb/initdb" -D "$_pd/data" -U postgres -A trust \
	    --no-sync -E UTF8 --locale=C >"$_pd/initdb.log" 2>&1 || return 1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -keyout "$_pd/data/server.key" \
	    -out "$_pd/data/server.crt" -days 2 -subj "/CN=127.0.0.1" \
	    >/dev/null 2>&1 || return 1
	chown postgres "$_pd/data/server.key" "$_pd/data/server.crt"
	chmod 600 "$_pd/data/server.key"
	cat >>"$_pd/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $_pp
unix_socket_directories = '$_pd'
ssl = on
ssl_cert_file = 'server.crt'
ssl_key_file = 'server.key'
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 64MB
max_connections = 40
password_encryption = 'scram-sha-256'
${PG_EXTRA_CONF:-}
EOF
	{
		echo "local all all trust"
		for _u in ${PG_SCRAM_USERS:-}; do
			echo "host all $_u 127.0.0.1/32 scram-sha-256"
		done
		echo "host all all 127.0.0.1/32 trust"
	} >"$_pd/data/pg_hba.conf"
	PG_DIRS="$PG_DIRS $_pd"
	pg_as "$_pd" "$_pb/pg_ctl" -D "$_pd/data" -l "$_pd/log" -w -t 60 \
	    start >/dev/null 2>&1 || return 1
}

pg_sql() {
	pg_as "$1" psql -X -q -v ON_ERROR_STOP=1 -h "$1" \
	    -p "$(sed -n 's/^port = //p' "$1/data/postgresql.conf")" \
	    -U postgres -d "$2" -c "$3"
}

pg_stop() {
	[ -f "$1/data/postmaster.pid" ] || return 0
	pg_as "$1" "$(pg_bin)/pg_ctl" -D "$1/data" -m fast -w -t 30 stop \
	    >/dev/null 2>&1 ||
	    pg_as "$1" "$(pg_bin)/pg_ctl" -D "$1/data" -m immediate stop \
	    >/dev/null 2>&1
}

pg_stop_all() {
	for _d in $PG_DIRS; do
		pg_stop "$_d"
	done
}

pg_client_env() {
	export PGHOST=127.0.0.1 PGPORT="$1" PGSSLMODE=disable \
	    PGGSSENCMODE=disable PGCONNECT_TIMEOUT=10
	unset PGPASSWORD PGUSER PGDATABASE
}
