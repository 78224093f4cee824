# MariaDB for the integration tests (sourced after lib.sh; POSIX sh). Only
# defines functions, so running this file by itself does nothing.
#
#   mysql_start DIR PORT   a fresh datadir in DIR, mariadbd as the mysql
#                          user on 127.0.0.1:PORT with TLS (a certificate
#                          made here), root by its Unix socket only; real
#                          users are created by the caller (no
#                          --skip-grant-tables). Adds the pid to $PIDS.
#                          $MYSQL_EXTRA_ARGS (words) go to mariadbd
#                          (slow log, server_audit, TLS required).
#   mysql_root DIR ARGS... the mariadb client as root over the socket
#   mysql_stop DIR         stops it and waits for the pid file to go
#
# The server log is DIR/err; mysql_start fails with it when the server
# does not answer within 30 s.

mysql_start() {
	_md=$1
	_mp=$2
	mkdir -p "$_md/tls" || return 1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -keyout "$_md/tls/server.key" -out "$_md/tls/server.crt" \
	    -days 2 -subj "/CN=127.0.0.1" >/dev/null 2>&1 || return 1
	chown -R mysql "$_md" || return 1
	# a failure before the server runs: its reason where callers look
	if ! mariadb-install-db --no-defaults --datadir="$_md/data" \
	    --user=mysql --auth-root-authentication-method=socket \
	    --skip-test-db >"$_md/install-db.log" 2>&1; then
		tail -n 3 "$_md/install-db.log" >>"$_md/err"
		return 1
	fi
	mariadbd --no-defaults --datadir="$_md/data" --user=mysql \
	    --port="$_mp" --bind-address=127.0.0.1 --socket="$_md/sock" \
	    --pid-file="$_md/pid" --skip-log-bin --skip-name-resolve \
	    --innodb-buffer-pool-size=64M --log-error="$_md/err" \
	    --ssl-cert="$_md/tls/server.crt" --ssl-key="$_md/tls/server.key" \
	    --ssl-ca="$_md/tls/server.crt" --local-infile=1 \
	    ${MYSQL_EXTRA_ARGS:-} \
	    >>"$_md/mariadbd.out" 2>&1 &
	PIDS="$PIDS $!"
	_i=0
	while [ $_i -lt 300 ]; do
		mysql_root "$_md" -e 'SELECT 1' >/dev/null 2>&1 && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

mysql_root() {
	_md=$1
	shift
	mariadb --no-defaults -S "$_md/sock" -u root "$@"
}

mysql_stop() {
	_md=$1
	[ -f "$_md/pid" ] || return 0
	kill "$(cat "$_md/pid")" 2>/dev/null
	_i=0
	while [ -f "$_md/pid" ] && [ $_i -lt 300 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
}
