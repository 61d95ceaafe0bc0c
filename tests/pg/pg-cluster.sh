#!/usr/bin/env bash
# A throw-away PostgreSQL server for the tests, from Debian's packages (postgresql-15; CI
# installs it through scripts/install-deps.sh), on a free loopback port.
#
#   pg-cluster.sh start STATE_DIR   initdb + pg_ctl start in a new /tmp folder; writes
#                                   STATE_DIR/url (postgresql://ibd@127.0.0.1:PORT/postgres)
#   pg-cluster.sh stop STATE_DIR    stops the server and removes its folder
#   pg-cluster.sh down STATE_DIR    stops the server the hard way (-m immediate), data kept
#   pg-cluster.sh up STATE_DIR      starts it again on the same port
#
# PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user (or
# `nobody`). Trust authentication on 127.0.0.1 only: test data, never real data.
# Without PostgreSQL this fails loudly: the PostgreSQL tests must fail, not skip.
set -euo pipefail

cmd=${1:-}
state=${2:-}
if [ -z "$cmd" ] || [ -z "$state" ]; then
  echo "usage: $0 start|stop|down|up STATE_DIR" >&2
  exit 2
fi

find_bin() {
  if [ -n "${IBD_PG_BIN:-}" ] && [ -x "$IBD_PG_BIN/initdb" ]; then
    echo "$IBD_PG_BIN"
    return
  fi
  local best=""
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && best="$d"
  done
  if [ -z "$best" ]; then
    echo "pg-cluster: PostgreSQL server binaries not found (no /usr/lib/postgresql/*/bin/initdb)." >&2
    echo "pg-cluster: install them with scripts/install-deps.sh (Debian package postgresql)." >&2
    exit 1
  fi
  echo "$best"
}

# Runs a command as the cluster's owner.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u "$(cat "$state/owner")" -- "$@"
  else
    "$@"
  fi
}

server_options() {
  echo "-c listen_addresses=127.0.0.1 -p $(cat "$state/port") -k $(cat "$state/dir")/socket -c max_connections=200 -c fsync=on"
}

start_server() {
  local bin dir
  bin=$(cat "$state/bin")
  dir=$(cat "$state/dir")
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "$(server_options)" start >/dev/null
}

case "$cmd" in
  start)
    bin=$(find_bin)
    # A cluster left by an interrupted run: stop it first.
    if [ -f "$state/dir" ]; then "$0" stop "$state" || true; fi
    mkdir -p "$state"
    dir=$(mktemp -d /tmp/ibd-pg-XXXXXX)
    echo "$bin" >"$state/bin"
    echo "$dir" >"$state/dir"
    owner=$(id -un)
    if [ "$(id -u)" -eq 0 ]; then
      if id postgres >/dev/null 2>&1; then owner=postgres; else owner=nobody; fi
      chown "$owner" "$dir"
    fi
    echo "$owner" >"$state/owner"
    chmod 700 "$dir"
    as_owner mkdir -p "$dir/socket"
    if ! as_owner "$bin/initdb" -D "$dir/data" -U ibd --auth=trust -E UTF8 --locale=C \
        >"$state/initdb.log" 2>&1; then
      echo "pg-cluster: initdb failed:" >&2
      cat "$state/initdb.log" >&2
      exit 1
    fi
    # A free port: try random ones until the server starts.
    for attempt in $(seq 1 20); do
      port=$((20000 + RANDOM % 40000))
      echo "$port" >"$state/port"
      if start_server 2>>"$state/start.log"; then
        echo "postgresql://ibd@127.0.0.1:$port/postgres" >"$state/url"
        echo "pg-cluster: PostgreSQL ($(basename "$(dirname "$bin")")) on 127.0.0.1:$port, data in $dir"
        exit 0
      fi
    done
    echo "pg-cluster: could not start PostgreSQL:" >&2
    cat "$state/start.log" "$dir/server.log" >&2 || true
    exit 1
    ;;
  stop)
    [ -f "$state/dir" ] || exit 0
    dir=$(cat "$state/dir")
    as_owner "$(cat "$state/bin")/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    rm -f "$state/url" "$state/dir" "$state/port" "$state/bin" "$state/owner"
    ;;
  down)
    as_owner "$(cat "$state/bin")/pg_ctl" -D "$(cat "$state/dir")/data" -m immediate -w stop \
      >/dev/null
    ;;
  up)
    start_server
    ;;
  *)
    echo "usage: $0 start|stop|down|up STATE_DIR" >&2
    exit 2
    ;;
esac
