# Helpers the benchmark scripts share; source it from a script run at the repository's root.

# Installs the Debian packages of the commands given as command:package that are missing.
install_missing() {
  local need=() pair
  for pair in "$@"; do command -v "${pair%%:*}" >/dev/null || need+=("${pair#*:}"); done
  ((${#need[@]})) || return 0
  local sudo=""; [[ $(id -u) -eq 0 ]] || sudo=sudo
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
}

# A temporary folder in $work, and the processes started in $pids, removed and stopped on exit.
start_work() {
  work=$(mktemp -d)
  pids=()
  trap 'for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"' EXIT
}

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Waits up to 30 s for curl to succeed with the arguments given.
wait_for() { for _ in $(seq 300); do curl -fs -o /dev/null "$@" && return 0; sleep 0.1; done; echo "timed out waiting for $*" >&2; exit 2; }
