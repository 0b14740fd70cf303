#!/usr/bin/env bash
# `ecapi load`'s own limits (benches/README.md, "ecapi load"), in one run:
#
# 1. The generator's ceiling (issue 19, item 6): against the reference nginx of ../shared/bench/
#    (nginx at its best: a fixed PortStatus answer, access log off, unlimited keep-alive,
#    `worker_processes auto`; started with its nginx.sh), wrk with its portstatus.lua (`wrk -t1
#    -cCONNS`) and `ecapi load` with CONNS agents running back-to-back port_status (each agent on
#    its own kept-alive connection), in alternating rounds. The figures are each one's median
#    requests per second, the ratio ecapi ÷ wrk, and the processor time each used per request
#    (which a busy machine does not move much).
# 2. A call centre at rest: 1,000 agents whose flow is one port_status and 30 s of sleep, started
#    over 30 s and then held for a minute, on the embedded simulator. The figures are the peak
#    resident memory and the generator lag (how late agents woke) at p99.
#
#   benches/load.sh        # ECAPI_BENCH_SECS=10 ECAPI_BENCH_CONNECTIONS=32 ECAPI_BENCH_ROUNDS=3
#                          # ECAPI_BENCH_AGENTS=1000; ECAPI_BENCH_PART=1 or 2 runs one part alone
#
# Installs nginx and wrk with apt when they are missing. Uses port 18962 on 127.0.0.1 (or
# ECAPI_BENCH_PORT=PORT). The reference is ../shared/bench (or ECAPI_BENCH_REFERENCE=DIR).
set -euo pipefail
cd "$(dirname "$0")/.."

SECS=${ECAPI_BENCH_SECS:-10}
CONNS=${ECAPI_BENCH_CONNECTIONS:-32}
ROUNDS=${ECAPI_BENCH_ROUNDS:-3}
AGENTS=${ECAPI_BENCH_AGENTS:-1000}
PART=${ECAPI_BENCH_PART:-all}
NGINX_PORT=${ECAPI_BENCH_PORT:-18962}
# The reference: ECAPI_BENCH_REFERENCE, or ../shared/bench beside the checkout (one level further up
# from a worktree in a folder of worktrees).
REFERENCE=""
for dir in "${ECAPI_BENCH_REFERENCE:-}" ../shared/bench ../../shared/bench; do
  if [ -n "$dir" ] && [ -x "$dir/nginx.sh" ] && [ -f "$dir/portstatus.lua" ]; then
    REFERENCE=$(cd "$dir" && pwd)
    break
  fi
done
if [ -z "$REFERENCE" ]; then
  echo "the reference ../shared/bench/ (nginx.sh, portstatus.lua) is missing; set ECAPI_BENCH_REFERENCE" >&2
  exit 2
fi

SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
install_missing() {
  local missing=()
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || missing+=("$tool")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    $SUDO apt-get update && $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
  fi
}
install_missing nginx wrk curl

cargo build --release --bin ecapi
BIN=$PWD/target/release/ecapi

WORK=$(mktemp -d)
cleanup() {
  NGINX_RUN_DIR="$WORK/nginx" "$REFERENCE/nginx.sh" stop "$NGINX_PORT" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# Processor time (user + system, in seconds) of a command, its output to files.
cpu_of() {
  local out=$1 err=$2
  shift 2
  local TIMEFORMAT='%U %S'
  { time "$@" >"$out" 2>"$err"; } 2>"$WORK/time" || return 1
  awk '{print $1 + $2}' "$WORK/time"
}

echo "ecapi load benchmark ($(nproc) cores, load average at the start $(cut -d' ' -f1-3 /proc/loadavg))"
if [ "$PART" = all ] || [ "$PART" = 1 ]; then
  NGINX_RUN_DIR="$WORK/nginx" "$REFERENCE/nginx.sh" start "$NGINX_PORT" >/dev/null
  URL="http://127.0.0.1:$NGINX_PORT/WebAPI/ECAPI.svc"
  echo 'port_status(1, 1);' >"$WORK/status.rhai"
  echo "generator ceiling: $CONNS connections, ${SECS} s a round, $ROUNDS rounds, against the reference nginx ($URL)"
  : >"$WORK/rounds"
  for round in $(seq "$ROUNDS"); do
    # wrk, one thread, CONNS connections, the reference's script.
    cpu=$(cpu_of "$WORK/wrk.txt" "$WORK/wrk.err" wrk -t1 -c"$CONNS" -d"${SECS}s" -s "$REFERENCE/portstatus.lua" "$URL")
    line=$(grep '^WRK_RESULT' "$WORK/wrk.txt")
    read -r n rate errors < <(sed -E 's/.*requests=([0-9]+).* rps=([0-9.]+) status_errors=([0-9]+) connect=([0-9]+) read=([0-9]+) write=([0-9]+) timeout=([0-9]+).*/\1 \2 \3+\4+\5+\6+\7/' <<<"$line")
    if [ "$((errors))" != 0 ]; then
      echo "wrk met errors: $line" >&2
      exit 1
    fi
    echo "wrk $rate $(python3 -c "print($cpu / $n * 1e6)")" >>"$WORK/rounds"
    printf '  round %d  wrk          %10.0f req/s  %5.1f µs of processor a request\n' "$round" "$rate" "$(python3 -c "print($cpu / $n * 1e6)")"
    # ecapi load, CONNS agents, each running port_status back to back; any error fails the run.
    cpu=$(cpu_of "$WORK/ceiling.txt" "$WORK/ceiling.err" "$BIN" load "$WORK/status.rhai" --endpoint "$URL" \
      --agents "$CONNS" --duration "$SECS" --no-progress --summary-json "$WORK/ceiling.json" \
      --threshold 'errors<0.1%' --threshold 'not_ok<0.1%') || { cat "$WORK/ceiling.txt" "$WORK/ceiling.err" >&2; exit 1; }
    read -r n rate < <(python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))['requests']
print(d['count'], d['rate'])" "$WORK/ceiling.json")
    echo "ecapi $rate $(python3 -c "print($cpu / $n * 1e6)")" >>"$WORK/rounds"
    printf '  round %d  ecapi load   %10.0f req/s  %5.1f µs of processor a request\n' "$round" "$rate" "$(python3 -c "print($cpu / $n * 1e6)")"
  done
  python3 - "$WORK/rounds" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
rate = {k: statistics.median(float(r[1]) for r in rows if r[0] == k) for k in ("wrk", "ecapi")}
cpu = {k: statistics.median(float(r[2]) for r in rows if r[0] == k) for k in ("wrk", "ecapi")}
print(f"  median: wrk {rate['wrk']:,.0f} req/s ({cpu['wrk']:.1f} µs a request), "
      f"ecapi load {rate['ecapi']:,.0f} req/s ({cpu['ecapi']:.1f} µs a request)")
print(f"  ratio ecapi ÷ wrk {rate['ecapi'] / rate['wrk']:.2f} (aim: at least 0.5)")
PY
  NGINX_RUN_DIR="$WORK/nginx" "$REFERENCE/nginx.sh" stop "$NGINX_PORT" >/dev/null
fi
[ "$PART" = 1 ] && exit 0

# 2. 1,000 agents at rest: started over 30 s, then held for a minute (no graceful stop, so the
#    process runs the 90 s the processor time is measured over, not 30 s more of sleeps running out).
printf 'port_status(1, agent.index %% 288 + 1);\nsleep(30000);\n' >"$WORK/sleepy.rhai"
"$BIN" load "$WORK/sleepy.rhai" --agents "$AGENTS" --ramp-up 30 --duration 90 --graceful-stop 0 --no-progress \
  --summary-json "$WORK/sleepers.json" >"$WORK/sleepers.txt" 2>/dev/null &
LOAD_PID=$!
PEAK_KB=0
LAST_TICKS=0
while kill -0 "$LOAD_PID" 2>/dev/null; do
  kb=$(awk '/VmHWM/ {print $2}' "/proc/$LOAD_PID/status" 2>/dev/null || true)
  [ -n "$kb" ] && PEAK_KB=$kb
  # Processor time used so far (user + system), to show that sleeping agents cost none.
  ticks=$(awk '{print $14 + $15}' "/proc/$LOAD_PID/stat" 2>/dev/null || true)
  if [ -n "$ticks" ]; then LAST_TICKS=$ticks; fi
  sleep 1
done
wait "$LOAD_PID"
read -r LAG_P99 LAG_MAX ITER < <(python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
print(d['lag']['ms']['p99'], d['lag']['ms']['max'], d['iterations']['completed'])" "$WORK/sleepers.json")

echo "$AGENTS agents, 30 s sleep per iteration, ramp-up 30 s, held 60 s, embedded simulator:"
python3 -c "import sys; print('  peak resident memory %.0f MB (aim: under 500 MB); processor time %.1f s in 90 s' % (int(sys.argv[1]) / 1024, int(sys.argv[2]) / int(sys.argv[3])))" "$PEAK_KB" "$LAST_TICKS" "$(getconf CLK_TCK)"
printf '  generator lag p99 %s ms, max %s ms (aim: p99 under 10 ms); %s iterations\n' "$LAG_P99" "$LAG_MAX" "$ITER"
