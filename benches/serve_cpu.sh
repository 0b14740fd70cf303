#!/usr/bin/env bash
# Processor time per request of `ecapi serve` under wrk, for comparing builds on a busy machine.
#
#     benches/serve_cpu.sh [BINARY...]      # ECAPI_BENCH_SECS=5 ROUNDS=3 CONNECTIONS=32
#
# Each binary (default: target/release/ecapi) runs `serve` in its default configuration (hosted
# profile, strict reader, audit on, its log lines on standard error redirected to a file). wrk
# (`-t1 -c32`, ../shared/bench's portstatus.lua, or ECAPI_BENCH_LUA) posts PortStatus to it; the
# server's user and system time over the round (from /proc/PID/stat) divided by the requests
# answered is its processor time per request, in microseconds. Wall-clock rates move with
# whatever else the machine runs; processor time per request moves far less. Rounds alternate
# the binaries; medians are printed, with each binary's ratio to the first. Linux only (/proc).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
secs="${ECAPI_BENCH_SECS:-5}"
rounds="${ROUNDS:-3}"
conns="${CONNECTIONS:-32}"
lua="${ECAPI_BENCH_LUA:-$root/../shared/bench/portstatus.lua}"
[ -f "$lua" ] || lua="/work/shared/bench/portstatus.lua"
[ -f "$lua" ] || { echo "serve_cpu.sh: no portstatus.lua; set ECAPI_BENCH_LUA" >&2; exit 2; }
command -v wrk >/dev/null || { echo "serve_cpu.sh: wrk not found (apt-get install -y wrk)" >&2; exit 2; }
bins=("$@")
[ ${#bins[@]} -gt 0 ] || bins=("$root/target/release/ecapi")
tck="$(getconf CLK_TCK)"
work="$(mktemp -d)"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

urls=()
for i in "${!bins[@]}"; do
    port="$(free_port)"
    "${bins[$i]}" serve --listen "127.0.0.1:$port" >"$work/out$i" 2>"$work/log$i" &
    pids+=($!)
    url="http://127.0.0.1:$port/WebAPI/ECAPI.svc"
    deadline=$((SECONDS + 20))
    until curl -s -o /dev/null "$url?wsdl"; do
        [ $SECONDS -lt $deadline ] || { echo "serve_cpu.sh: ${bins[$i]} did not start" >&2; exit 1; }
        sleep 0.1
    done
    urls+=("$url")
    # Warm-up: connections, allocator, page cache.
    wrk -t1 -c"$conns" -d1s -s "$lua" "$url" >/dev/null 2>&1 || true
done

echo "wrk -t1 -c$conns -d${secs}s, $rounds rounds, $(nproc) CPUs, load average $(cut -d' ' -f1 /proc/loadavg)"
for r in $(seq "$rounds"); do
    for i in "${!bins[@]}"; do
        pid="${pids[$i]}"
        before="$(ticks "$pid")"
        line="$(wrk -t1 -c"$conns" -d"${secs}s" -s "$lua" "${urls[$i]}" 2>&1 | grep '^WRK_RESULT')"
        after="$(ticks "$pid")"
        reqs="$(sed -E 's/.* requests=([0-9]+).*/\1/' <<<"$line")"
        rps="$(sed -E 's/.* rps=([0-9.]+).*/\1/' <<<"$line")"
        bad="$(sed -E 's/.* status_errors=([0-9]+).*/\1/' <<<"$line")"
        us="$(awk -v t=$((after - before)) -v h="$tck" -v n="$reqs" 'BEGIN { printf "%.2f", t / h * 1e6 / n }')"
        echo "$i $us $rps" >>"$work/results"
        printf '  round %d  %-40s %8s µs/request  %10s req/s  non-2xx %s\n' "$r" "${bins[$i]}" "$us" "$rps" "$bad"
    done
done
echo
printf '%-40s %18s %14s %8s\n' binary "median µs/request" "median req/s" ratio
first=""
for i in "${!bins[@]}"; do
    us="$(awk -v t="$i" '$1 == t { print $2 }' "$work/results" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')"
    rps="$(awk -v t="$i" '$1 == t { print $3 }' "$work/results" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')"
    [ -n "$first" ] || first="$us"
    printf '%-40s %18s %14s %8s\n' "${bins[$i]}" "$us" "$rps" \
        "$(awk -v a="$us" -v b="$first" 'BEGIN { printf "%.3f", a / b }')"
done
