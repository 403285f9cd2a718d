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

# Builds plinth (release) after the setup it needs, and sets $plinth to it.
build_plinth() {
  scripts/setup.sh
  swift build -c release --product plinth >&2
  plinth=.build/release/plinth
}

# A wrk --latency report -> "req/s p50_ms p99_ms errors" (socket errors and non-2xx answers).
wrk_summary() {
  python3 - "$1" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def ms(q):
    m = re.search(rf"^\s+{q}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)] if m else 0.0
# A run that got no answer at all (each request timed out) has no latency lines: 0 req/s.
m = re.search(r"Requests/sec:\s+([\d.]+)", text)
rps = float(m.group(1)) if m and re.search(r"^\s+99%", text, re.M) else 0.0
errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", text))
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
errors += int(non2xx.group(1)) if non2xx else 0
print(f"{rps:.0f} {ms(50):.2f} {ms(99):.2f} {errors}")
PY
}
