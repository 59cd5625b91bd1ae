# A throwaway PostgreSQL server for the tests: `source .ci/postgres.sh && postgres_start`.
#
# postgres_start   installs Debian's postgresql package if no server is found,
#                  creates a cluster in a temporary folder (a password-protected
#                  user `tunecore`, a random password), starts it on 127.0.0.1,
#                  port $TUNECORE_PG_PORT (default 54329), and exports
#                  TUNECORE_TEST_POSTGRES_URL (the tests' fixture reads it) and
#                  TUNECORE_PG_DATA (its folder).
# postgres_restart restarts it (tests/test_sql_outages.py); postgres_stop
#                  stops it and deletes the folder.
# As root, the server runs as the `postgres` user (initdb refuses root).

_pg_bin() {
    local found
    found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [ -z "$found" ] && command -v pg_ctl >/dev/null; then found=$(dirname "$(command -v pg_ctl)"); fi
    echo "$found"
}

_pg_as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

postgres_start() {
    local bin port dir password
    bin=$(_pg_bin)
    if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
        bin=$(_pg_bin)
    fi
    if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then echo "postgres.sh: no PostgreSQL server found or installed" >&2; return 1; fi
    port=${TUNECORE_PG_PORT:-54329}
    dir=$(mktemp -d "${TMPDIR:-/tmp}/tunecore-pg.XXXXXX")
    password="tc-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
    echo "$password" > "$dir/pwfile"
    [ "$(id -u)" = 0 ] && chown -R postgres "$dir"
    _pg_as_owner "$bin/initdb" -D "$dir/data" -U tunecore --pwfile="$dir/pwfile" --auth=scram-sha-256 \
        -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; return 1; }
    rm -f "$dir/pwfile"
    export TUNECORE_PG_DATA="$dir/data" TUNECORE_PG_BIN="$bin" TUNECORE_PG_PORT="$port"
    postgres_restart start || return 1
    export TUNECORE_TEST_POSTGRES_URL="postgresql://tunecore:$password@127.0.0.1:$port/postgres"
    echo "postgres.sh: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($dir)"
}

# postgres_restart [start|stop|restart]: the running server's pg_ctl (default: restart).
postgres_restart() {
    local how=${1:-restart}
    local options="-p $TUNECORE_PG_PORT -k $(dirname "$TUNECORE_PG_DATA") -c listen_addresses=127.0.0.1 -c max_connections=200"
    _pg_as_owner "$TUNECORE_PG_BIN/pg_ctl" -D "$TUNECORE_PG_DATA" -l "$TUNECORE_PG_DATA/../server.log" \
        -o "$options" -w -t 60 -m fast "$how" >/dev/null || { tail -n 20 "$TUNECORE_PG_DATA/../server.log" >&2; return 1; }
}

postgres_stop() {
    [ -n "${TUNECORE_PG_DATA:-}" ] || return 0
    local dir
    dir=$(dirname "$TUNECORE_PG_DATA")
    postgres_restart stop 2>/dev/null || true
    case "$dir" in */tunecore-pg.*) rm -rf "$dir" ;; esac
    unset TUNECORE_PG_DATA TUNECORE_TEST_POSTGRES_URL
}
