#!/usr/bin/env bash
# Start and stop a real Prometheus Pushgateway and a real Prometheus on 127.0.0.1, for local runs
# and integration tests (no systemd needed; works as root in a container).
#
#   scripts/services.sh start [DIR]   DIR defaults to .run/services
#   scripts/services.sh stop  [DIR]
#
# start picks two free ports, writes DIR/prometheus.yml (scrapes the Pushgateway every 1 s with
# honor_labels: true), starts both in the background (logs: DIR/pushgateway.log,
# DIR/prometheus.log; PIDs: DIR/pushgateway.pid, DIR/prometheus.pid), waits for both /-/ready,
# writes DIR/env and prints its two lines:
#   PUSHGATEWAY_URL=http://127.0.0.1:PORT
#   PROMETHEUS_URL=http://127.0.0.1:PORT
# so `set -a; . DIR/env; set +a` or `eval "$(scripts/services.sh start)"` wires a run to them.
# Ready is not yet scraping: Prometheus picks its targets up ~5 s after start (measured here: a
# pushed metric is queryable ~6.5 s after start), so poll the query API, do not sleep once.
# start on a DIR whose services are still running prints the same lines and starts nothing.
# stop sends SIGTERM to the recorded PIDs (only if they are still these binaries) and waits.
#
# RULES_FILE=PATH loads a Prometheus rule file (alerting and recording rules, from `synthetics
# rules`); its groups carry their own evaluation intervals.
#
# Exit codes: 0 ok, 1 a service did not start / usage error, 3 a binary is missing.
# Binaries: PUSHGATEWAY_BIN (default /usr/bin/prometheus-pushgateway), PROMETHEUS_BIN (default
# /usr/bin/prometheus), the Debian packages prometheus-pushgateway and prometheus.
set -euo pipefail

READY_TIMEOUT_S=30
STOP_TIMEOUT_S=15
PUSHGATEWAY_BIN="${PUSHGATEWAY_BIN:-/usr/bin/prometheus-pushgateway}"
PROMETHEUS_BIN="${PROMETHEUS_BIN:-/usr/bin/prometheus}"

die() { echo "services.sh: $*" >&2; exit 1; }

usage() { echo "usage: scripts/services.sh start|stop [DIR]   (DIR defaults to .run/services)" >&2; exit 1; }

# Running = the process exists and is not a zombie (in a container PID 1 may never reap it).
alive() {
  local pid="$1" state
  [[ -n "$pid" && -r "/proc/$pid/stat" ]] || return 1
  state="$(sed -E 's/^.*\) ([A-Za-z]).*$/\1/' "/proc/$pid/stat" 2>/dev/null)" || return 1
  [[ "$state" != "Z" && "$state" != "X" ]]
}

# True when PID is alive and runs BINARY (guards against a recycled PID).
is_ours() {
  local pid="$1" bin="$2" exe
  alive "$pid" || return 1
  exe="$(tr '\0' '\n' < "/proc/$pid/cmdline" 2>/dev/null | head -n 1)" || return 1
  [[ "$(basename -- "$exe")" == "$(basename -- "$bin")" ]]
}

read_pid() { [[ -r "$1" ]] && tr -dc '0-9' < "$1" || true; }

free_ports() { # prints two distinct free TCP ports on 127.0.0.1
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket
s=[socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1",0))
print(" ".join(str(x.getsockname()[1]) for x in s))'
  elif command -v node >/dev/null 2>&1; then
    node -e 'const n=require("net");const a=n.createServer().listen(0,"127.0.0.1",()=>{const b=n.createServer().listen(0,"127.0.0.1",()=>{console.log(a.address().port+" "+b.address().port);a.close();b.close();});});'
  else
    die "need python3 or node to pick free ports"
  fi
}

http_ok() { # URL -> 0 when it answers 200
  if command -v curl >/dev/null 2>&1; then
    curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null
  else
    node -e 'fetch(process.argv[1],{signal:AbortSignal.timeout(2000)}).then(r=>process.exit(r.status===200?0:1),()=>process.exit(1))' "$1"
  fi
}

stop_pid() { # PIDFILE BINARY
  local pidfile="$1" bin="$2" pid i
  pid="$(read_pid "$pidfile")"
  if [[ -n "$pid" ]] && is_ours "$pid" "$bin"; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < STOP_TIMEOUT_S * 10; i++)); do
      alive "$pid" || break
      sleep 0.1
    done
    if alive "$pid"; then
      kill -KILL "$pid" 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do alive "$pid" || break; sleep 0.1; done
    fi
    alive "$pid" && die "$(basename -- "$bin") (pid $pid) did not exit"
    echo "stopped $(basename -- "$bin") (pid $pid)" >&2
  fi
  rm -f "$pidfile"
}

cmd_stop() {
  local dir="$1"
  stop_pid "$dir/prometheus.pid" "$PROMETHEUS_BIN"
  stop_pid "$dir/pushgateway.pid" "$PUSHGATEWAY_BIN"
}

cmd_start() {
  local dir="$1" pg_port prom_port pg_pid prom_pid deadline name port log pid
  for bin in "$PUSHGATEWAY_BIN" "$PROMETHEUS_BIN"; do
    if [[ ! -x "$bin" ]]; then
      echo "services.sh: $bin not found; install it with: apt-get install -y prometheus-pushgateway prometheus" >&2
      exit 3
    fi
  done
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"

  # Already running from this DIR: report it, start nothing.
  if is_ours "$(read_pid "$dir/pushgateway.pid")" "$PUSHGATEWAY_BIN" \
    && is_ours "$(read_pid "$dir/prometheus.pid")" "$PROMETHEUS_BIN" && [[ -r "$dir/env" ]]; then
    echo "services.sh: already running in $dir" >&2
    cat "$dir/env"
    return 0
  fi
  cmd_stop "$dir" 2>/dev/null || true # half-started leftovers

  read -r pg_port prom_port < <(free_ports)
  [[ -n "$pg_port" && -n "$prom_port" ]] || die "could not pick free ports"

  cat > "$dir/prometheus.yml" <<EOF
# written by scripts/services.sh
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
$( [[ -n "${RULES_FILE:-}" ]] && printf 'rule_files:\n  - %s\n' "$(cd "$(dirname "$RULES_FILE")" && pwd)/$(basename "$RULES_FILE")" )
scrape_configs:
  - job_name: pushgateway
    honor_labels: true
    static_configs:
      - targets: ['127.0.0.1:$pg_port']
EOF
  rm -rf "$dir/tsdb"

  # Detached from our stdio (a caller reading our output must not wait for the daemons).
  "$PUSHGATEWAY_BIN" --web.listen-address="127.0.0.1:$pg_port" --persistence.file="" \
    < /dev/null > "$dir/pushgateway.log" 2>&1 &
  pg_pid=$!
  echo "$pg_pid" > "$dir/pushgateway.pid"
  "$PROMETHEUS_BIN" --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/tsdb" \
    --web.listen-address="127.0.0.1:$prom_port" \
    < /dev/null > "$dir/prometheus.log" 2>&1 &
  prom_pid=$!
  echo "$prom_pid" > "$dir/prometheus.pid"

  deadline=$((SECONDS + READY_TIMEOUT_S))
  for name in pushgateway prometheus; do
    if [[ $name == pushgateway ]]; then port=$pg_port pid=$pg_pid; else port=$prom_port pid=$prom_pid; fi
    log="$dir/$name.log"
    until http_ok "http://127.0.0.1:$port/-/ready"; do
      if ! alive "$pid"; then
        cmd_stop "$dir" 2>/dev/null || true
        die "$name exited before it was ready on 127.0.0.1:$port; see $log"
      fi
      if ((SECONDS >= deadline)); then
        cmd_stop "$dir" 2>/dev/null || true
        die "$name not ready on 127.0.0.1:$port within ${READY_TIMEOUT_S}s; see $log"
      fi
      sleep 0.2
    done
  done

  printf 'PUSHGATEWAY_URL=http://127.0.0.1:%s\nPROMETHEUS_URL=http://127.0.0.1:%s\n' "$pg_port" "$prom_port" > "$dir/env"
  cat "$dir/env"
}

action="${1:-}"
dir="${2:-.run/services}"
[[ $# -le 2 ]] || usage
case "$action" in
  start) cmd_start "$dir" ;;
  stop) [[ -d "$dir" ]] && cmd_stop "$dir"; true ;;
  *) usage ;;
esac
