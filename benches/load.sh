#!/usr/bin/env bash
# `ecapi load`'s own limits (benches/README.md, "ecapi load"), in one run:
#
# 1. The generator's ceiling: a flow of back-to-back port_status against nginx answering a fixed
#    PortStatus body (the very bytes `ecapi serve` answers), against wrk with the same number of
#    connections on the same nginx. The figure is requests per second, and ecapi ÷ wrk.
# 2. A call centre at rest: 1,000 agents whose flow is one port_status and 30 s of sleep, started
#    over 30 s and then held for a minute, on the embedded simulator. The figures are the peak
#    resident memory and the generator lag (how late agents woke) at p99.
#
#   benches/load.sh        # ECAPI_BENCH_SECS=10 ECAPI_BENCH_CONNECTIONS=16 ECAPI_BENCH_AGENTS=1000
#
# Installs nginx and wrk with apt when they are missing. Uses ports 18961 and 18962 on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."

SECS=${ECAPI_BENCH_SECS:-10}
CONNS=${ECAPI_BENCH_CONNECTIONS:-16}
AGENTS=${ECAPI_BENCH_AGENTS:-1000}
SERVE_ADDR=127.0.0.1:18961
NGINX_ADDR=127.0.0.1:18962
PATH_SVC=/WebAPI/ECAPI.svc

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
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

cargo build --release --bin ecapi
BIN=$PWD/target/release/ecapi

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

ENVELOPE='<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><PortStatus xmlns="http://tempuri.org/"><Unit>1</Unit><Port>5</Port></PortStatus></s:Body></s:Envelope>'
ACTION='"http://tempuri.org/IECAPI/PortStatus"'

# The fixed body: what `ecapi serve` answers to PortStatus.
"$BIN" serve --listen "$SERVE_ADDR" --quiet >/dev/null 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do curl -s -o /dev/null "http://$SERVE_ADDR$PATH_SVC?wsdl" && break; sleep 0.1; done
curl -s -H 'Content-Type: text/xml; charset=utf-8' -H "SOAPAction: $ACTION" \
  --data-binary "$ENVELOPE" "http://$SERVE_ADDR$PATH_SVC" >"$WORK/body.xml"
grep -q '<a:responseCode>100</a:responseCode>' "$WORK/body.xml"

# nginx, one worker (the generator needs the other core), answering that body to every request.
mkdir -p "$WORK/tmp"
cat >"$WORK/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK/tmp;
  proxy_temp_path $WORK/tmp;
  fastcgi_temp_path $WORK/tmp;
  uwsgi_temp_path $WORK/tmp;
  scgi_temp_path $WORK/tmp;
  keepalive_requests 1000000;
  server {
    listen $NGINX_ADDR;
    location $PATH_SVC {
      default_type "text/xml; charset=utf-8";
      return 200 '$(cat "$WORK/body.xml")';
    }
  }
}
EOF
"$NGINX" -p "$WORK" -c "$WORK/nginx.conf" &
PIDS+=($!)
for _ in $(seq 50); do curl -s -o /dev/null "http://$NGINX_ADDR$PATH_SVC" && break; sleep 0.1; done
URL="http://$NGINX_ADDR$PATH_SVC"

# 1a. wrk, one thread, CONNS connections, POSTing the same envelope and SOAPAction.
cat >"$WORK/post.lua" <<EOF
wrk.method = "POST"
wrk.body = '$ENVELOPE'
wrk.headers["Content-Type"] = "text/xml; charset=utf-8"
wrk.headers["SOAPAction"] = '$ACTION'
EOF
wrk -t1 -c"$CONNS" -d"${SECS}s" -s "$WORK/post.lua" "$URL" >"$WORK/wrk.txt"
WRK_RATE=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt")
if grep -q "Non-2xx" "$WORK/wrk.txt"; then
  echo "wrk met non-2xx answers:" >&2
  cat "$WORK/wrk.txt" >&2
  exit 1
fi

# 1b. ecapi load, CONNS agents, each running port_status back to back.
echo 'port_status(1, 5);' >"$WORK/status.rhai"
"$BIN" load "$WORK/status.rhai" --endpoint "$URL" --agents "$CONNS" --duration "$SECS" \
  --no-progress --summary-json "$WORK/ceiling.json" --threshold 'errors<0.1%' \
  --threshold 'not_ok<0.1%' >"$WORK/ceiling.txt" 2>/dev/null
ECAPI_RATE=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['requests']['rate'])" "$WORK/ceiling.json")
ECAPI_P99=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['requests']['latency_ms']['p99'])" "$WORK/ceiling.json")
WRK_P99=$(awk '/Latency/ && !done {print $2; done=1}' "$WORK/wrk.txt")

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

echo
echo "ecapi load benchmark ($(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg))"
echo "generator ceiling, $CONNS connections, ${SECS} s, nginx with one worker answering PortStatus:"
printf '  wrk          %10.0f req/s   p99 %s\n' "$WRK_RATE" "$WRK_P99"
printf '  ecapi load   %10.0f req/s   p99 %.3f ms\n' "$ECAPI_RATE" "$ECAPI_P99"
python3 -c "import sys; print('  ratio         %.2f (aim: at least 0.5)' % (float(sys.argv[1]) / float(sys.argv[2])))" "$ECAPI_RATE" "$WRK_RATE"
echo "$AGENTS agents, 30 s sleep per iteration, ramp-up 30 s, held 60 s, embedded simulator:"
python3 -c "import sys; print('  peak resident memory %.0f MB (aim: under 500 MB); processor time %.1f s in 90 s' % (int(sys.argv[1]) / 1024, int(sys.argv[2]) / int(sys.argv[3])))" "$PEAK_KB" "$LAST_TICKS" "$(getconf CLK_TCK)"
printf '  generator lag p99 %s ms, max %s ms (aim: p99 under 10 ms); %s iterations\n' "$LAG_P99" "$LAG_MAX" "$ITER"
