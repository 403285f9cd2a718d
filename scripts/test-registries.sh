#!/usr/bin/env bash
# Real registries for the tests: the CNCF distribution registry (Debian's docker-registry)
# on 127.0.0.1 in three flavours, anonymous, htpasswd basic auth, and token auth (with the
# small token server beside this script), each with storage in DIR, and the fixture images
# (built offline, byte-reproducibly, by build-fixtures.py) pushed to each with skopeo.
#
# Usage: scripts/test-registries.sh start DIR [--owner PID]   start, push, write DIR/env
#        scripts/test-registries.sh single DIR [--access-log] one anonymous registry, empty;
#                                                             prints "host:port pid" (for tests that kill it);
#                                                             --access-log logs each request to DIR/single/log;
#                                                             --notify URL TOKEN sends its events (notifications)
#                                                             to URL with that bearer token
#        scripts/test-registries.sh stop DIR                  stop everything started in DIR
# With --owner, everything stops by itself once process PID has exited (the test run).
#
# DIR/env (shell syntax) names: PLINTH_TEST_REGISTRY_ANON, _BASIC, _TOKEN (host:port),
# PLINTH_TEST_REGISTRY_USER, _PASSWORD, PLINTH_TEST_FIXTURES (the OCI layout).
# Repositories on each: fixtures/oci-index:v1 (OCI index, two platforms),
# fixtures/oci-manifest:v1, fixtures/docker-list:v1 (Docker manifest list, v2s2),
# fixtures/docker-manifest:v1 (Docker v2 manifest), fixtures/moving:latest (amd64 build 1;
# a test moves it to the layout's amd64-next).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
command=${1:-}; dir=${2:-}
[[ -n $command && -n $dir ]] || { sed -n '2,20p' "$0" >&2; exit 2; }
user=plinth password=registry-test-secret

stop() {
  [[ -f $dir/pids ]] || return 0
  while read -r pid; do kill "$pid" 2>/dev/null || true; done <"$dir/pids"
  rm -f "$dir/pids"
}

if [[ $command == stop ]]; then stop; exit 0; fi
[[ $command == start || $command == single ]] || { echo "unknown command '$command'" >&2; exit 2; }
owner=""
[[ ${3:-} == --owner ]] && owner=${4:?--owner needs a PID}
access_log=disabled
[[ ${3:-} == --access-log ]] && access_log=enabled
notify=""
if [[ ${3:-} == --notify ]]; then
  # distribution's notifications: every push and pull, as an envelope of events, to URL.
  notify="notifications:
  endpoints:
    - {name: plinth, url: '${4:?--notify needs a URL}', headers: {Authorization: ['Bearer ${5:?--notify needs a token}']}, timeout: 10s, threshold: 3, backoff: 1s}"
fi

for tool in docker-registry skopeo htpasswd openssl python3 zstd; do
  command -v "$tool" >/dev/null || { echo "test-registries: '$tool' is missing (scripts/setup.sh --test installs it)" >&2; exit 2; }
done

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
: >"$dir/pids"
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() { for _ in $(seq 200); do curl -s -o /dev/null "$1" && return 0; sleep 0.05; done; echo "test-registries: $1 did not come up" >&2; exit 2; }

registry() { # name port [auth yaml]
  local name=$1 port=$2 auth=${3:-}
  mkdir -p "$dir/$name"
  # Our own config: the packaged one listens on every interface. Log level error: access
  # logging costs the registry a quarter of its throughput.
  cat >"$dir/$name/config.yml" <<YAML
version: 0.1
log: {level: error, accesslog: {disabled: $([[ $access_log == enabled && $name == single ]] && echo false || echo true)}}
storage:
  filesystem: {rootdirectory: $dir/$name/storage}
  delete: {enabled: true}
http: {addr: 127.0.0.1:$port}
$auth
YAML
  docker-registry serve "$dir/$name/config.yml" >"$dir/$name/log" 2>&1 &
  echo $! >>"$dir/pids"
  wait_for "http://127.0.0.1:$port/v2/"
}

if [[ $command == single ]]; then
  port=$(free_port)
  registry single "$port" "$notify" >/dev/null
  echo "127.0.0.1:$port $(tail -n 1 "$dir/pids")"
  exit 0
fi

anon=$(free_port); basic=$(free_port); token=$(free_port); token_server=$(free_port)
registry anon "$anon"
htpasswd -Bbn "$user" "$password" >"$dir/htpasswd" 2>/dev/null
registry basic "$basic" "auth: {htpasswd: {realm: plinth-test, path: $dir/htpasswd}}"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/token.key" -out "$dir/token.crt" -days 7 -subj /CN=plinth-test-token 2>/dev/null
python3 "$here/test-registries/token-server.py" "$token_server" "$dir/token.key" "$dir/token.crt" "$user" "$password" plinth-test-issuer >"$dir/token-server.log" 2>&1 &
echo $! >>"$dir/pids"
wait_for "http://127.0.0.1:$token_server/"
registry token "$token" "auth: {token: {realm: 'http://127.0.0.1:$token_server/token', service: plinth-test, issuer: plinth-test-issuer, rootcertbundle: $dir/token.crt}}"

python3 "$here/test-registries/build-fixtures.py" "$dir/layout" >/dev/null
push() { # registry-port creds source destination [extra skopeo flags]
  local port=$1 creds=$2 source=$3 destination=$4; shift 4
  skopeo copy --quiet --dest-tls-verify=false ${creds:+--dest-creds "$creds"} "$@" \
    "oci:$dir/layout:$source" "docker://127.0.0.1:$port/fixtures/$destination"
}
for pair in "$anon:" "$basic:$user:$password" "$token:$user:$password"; do
  port=${pair%%:*}; creds=${pair#*:}
  push "$port" "$creds" multi oci-index:v1 --all --preserve-digests
  push "$port" "$creds" amd64 oci-manifest:v1 --preserve-digests
  push "$port" "$creds" multi docker-list:v1 --all --format v2s2
  push "$port" "$creds" amd64 docker-manifest:v1 --format v2s2
  push "$port" "$creds" amd64 moving:latest --preserve-digests
done

cat >"$dir/env" <<ENV
PLINTH_TEST_REGISTRY_ANON=127.0.0.1:$anon
PLINTH_TEST_REGISTRY_BASIC=127.0.0.1:$basic
PLINTH_TEST_REGISTRY_TOKEN=127.0.0.1:$token
PLINTH_TEST_REGISTRY_USER=$user
PLINTH_TEST_REGISTRY_PASSWORD=$password
PLINTH_TEST_FIXTURES=$dir/layout
ENV

if [[ -n $owner ]]; then
  # Watchdog: stop everything once the owning process is gone.
  ( while kill -0 "$owner" 2>/dev/null; do sleep 1; done; "$0" stop "$dir" ) >/dev/null 2>&1 &
  disown
fi
echo "$dir/env"
