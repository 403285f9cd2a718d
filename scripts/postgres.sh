#!/usr/bin/env bash
# A throwaway PostgreSQL server on 127.0.0.1 for tests and benchmarks, in its own cluster
# (initdb + pg_ctl from Debian's `postgresql` package); nothing of the system's clusters is used.
#   scripts/postgres.sh start DIR [PORT]   creates DIR's cluster if needed, starts it, prints its URL
#                                          (TLS on, with DIR/server.crt as the CA to trust)
#   scripts/postgres.sh stop DIR           stops it (DIR stays; remove it to forget the data)
# The server trusts connections from 127.0.0.1 as user `plinth` (no password: it lives only as
# long as the run, on loopback). PLINTH_PG_FAST=1 turns off fsync (for tests). As root, it runs as the `postgres` system user, since
# PostgreSQL refuses to run as root.
set -euo pipefail
command=${1:?usage: postgres.sh start|stop DIR [PORT]}
dir=${2:?usage: postgres.sh start|stop DIR [PORT]}
port=${3:-55432}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [[ -z $bin || ! -x $bin/pg_ctl ]]; then
  echo "postgres.sh: PostgreSQL's server programs are missing (apt-get install postgresql, or scripts/setup.sh --test)" >&2
  exit 2
fi
as_owner=()
if [[ $(id -u) -eq 0 ]]; then as_owner=(runuser -u postgres --); fi

case $command in
  start)
    mkdir -p "$dir"
    if [[ ${#as_owner[@]} -gt 0 ]]; then
      chown postgres: "$dir"
      chmod o+x "$(dirname "$dir")"  # the server's user must reach its folder
    fi
    if [[ ! -f $dir/PG_VERSION ]]; then
      "${as_owner[@]}" "$bin/initdb" -D "$dir" -U plinth --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir.initdb.log" 2>&1 || {
        cat "$dir.initdb.log" >&2; exit 1; }
      # TLS for clients that ask (sslmode=require/verify-full): a self-signed certificate for
      # 127.0.0.1, which is also its own CA ($dir/server.crt).
      openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
        -keyout "$dir/server.key" -out "$dir/server.crt" 2>/dev/null
      chmod 600 "$dir/server.key"
      [[ ${#as_owner[@]} -eq 0 ]] || chown postgres: "$dir/server.key" "$dir/server.crt"
    fi
    options="-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=300 -c ssl=on -c ssl_cert_file=server.crt -c ssl_key_file=server.key"
    # PLINTH_PG_FAST=1 (the tests): no waiting for the disk; a crash of this server may lose data.
    # And 1,000 connections: the suite runs its tests in parallel, each on a database of its own
    # with a pool of its own (and CLI and server processes of its own), so 300 ran out.
    [[ ${PLINTH_PG_FAST:-} != 1 ]] || options+=" -c fsync=off -c synchronous_commit=off -c max_connections=1000"
    "${as_owner[@]}" "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 30 -o "$options" start >/dev/null
    "${as_owner[@]}" "$bin/psql" -h 127.0.0.1 -p "$port" -U plinth -d postgres -qAt \
      -c "SELECT 1 FROM pg_database WHERE datname = 'plinth'" | grep -q 1 ||
      "${as_owner[@]}" "$bin/createdb" -h 127.0.0.1 -p "$port" -U plinth plinth
    echo "postgres://plinth@127.0.0.1:$port/plinth"
    ;;
  stop)
    [[ -f $dir/postmaster.pid ]] && "${as_owner[@]}" "$bin/pg_ctl" -D "$dir" -m fast -w stop >/dev/null || true
    ;;
  *)
    echo "postgres.sh: unknown command '$command' (start or stop)" >&2
    exit 2
    ;;
esac
