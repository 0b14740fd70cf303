#!/usr/bin/env bash
# Every figure of issue 21's table in one run, against the references in ../shared/bench/
# (nginx at its best, wrk -t1 -c32, server_bench.sh's alternated rounds), printed as one table
# with the machine's load average. Method and figures: benches/README.md, "Speed against the limit".
#
#   benches/speed.sh
#
# Environment (all optional):
#   ECAPI_BENCH_REF    the references (default: ../shared/bench beside the repository)
#   ECAPI_BENCH_SECS   seconds of each wrk round (default 10; 3 rounds per server)
#   ECAPI_BENCH_CALLS  calls of each embedded loop (default 2,000,000; 3 rounds each)
#   ECAPI_BENCH_SKIP   steps to leave out, separated by spaces or commas: serve embedded client
#                      reader load build
#
# 1. serve: `ecapi serve` in its default configuration (hosted profile, strict reader, audit on,
#    one text log line per request on standard error, which goes to a file), nginx of
#    ../shared/bench/nginx.conf.template and the Python peer (benches/peer_server.py: waitress +
#    lxml), after checking that all three answer PortStatus with the very same bytes; then
#    ../shared/bench/server_bench.sh: wrk -t1 -c32 against each in turn, 3 alternated rounds.
# 2. embedded: `ecapi run benches/embedded_loop.rhai`, port_status(1, 5) against abs(-5) in the
#    same loop, alternated rounds, medians.
# 3. client: benches/client_vs_zeep.sh; 4. reader: `cargo bench --bench reader`;
# 5. load: benches/load.sh (the generator's ceiling against wrk);
# 6. build: the README's first command (`cargo run --release -- run scripts/screen_pop.rhai`) on
#    a fresh clone with an empty target directory, the registry already fetched (`cargo fetch`
#    first, so the network is not timed); and the size of the release binary.
#
# Refuses to measure a debug build: the binary comes from `cargo build --release`, whose profile
# (as cargo reports it) must be optimised and without debug assertions. Installs wrk and nginx with
# apt-get, and lxml, waitress and zeep with pip, when they are missing. Listens on 127.0.0.1 only.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
ref="${ECAPI_BENCH_REF:-$root/../shared/bench}"
secs="${ECAPI_BENCH_SECS:-10}"
calls="${ECAPI_BENCH_CALLS:-2000000}"
skip=" ${ECAPI_BENCH_SKIP//,/ } "
wanted() { [[ "$skip" != *" $1 "* ]]; }

[[ -x "$ref/server_bench.sh" && -x "$ref/nginx.sh" ]] || {
    echo "speed.sh: no references at $ref (server_bench.sh, nginx.sh); set ECAPI_BENCH_REF" >&2
    exit 2
}
ref="$(cd "$ref" && pwd)"

SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx)
if ((${#missing[@]})); then
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
python3 -c 'import lxml, waitress' 2>/dev/null || python3 -m pip install --quiet lxml waitress

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"

# The release binary, and cargo's word that it is one.
cargo build --release --locked --bin ecapi --message-format=json-render-diagnostics >"${TMPDIR:-/tmp}/ecapi-speed-build.json"
read -r bin opt debug_assertions < <(python3 - "${TMPDIR:-/tmp}/ecapi-speed-build.json" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "ecapi" and m.get("executable"):
        p = m["profile"]
        print(m["executable"], p["opt_level"], str(p["debug_assertions"]).lower())
PY
)
rm -f "${TMPDIR:-/tmp}/ecapi-speed-build.json"
if [[ -z "${bin:-}" || "$opt" == 0 || "$debug_assertions" == true ]]; then
    echo "speed.sh: refusing to measure a debug build (opt-level ${opt:-?}, debug assertions ${debug_assertions:-?})" >&2
    exit 2
fi

work="$(mktemp -d)"
pids=()
nginx_port=""
cleanup() {
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    [[ -n "$nginx_port" ]] && NGINX_RUN_DIR="$work/nginx" "$ref/nginx.sh" stop "$nginx_port" >/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
envelope='<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><PortStatus xmlns="http://tempuri.org/"><Unit>1</Unit><Port>1</Port></PortStatus></s:Body></s:Envelope>'
# POSTs the PortStatus envelope to $1, writing the answer to $2; prints the HTTP status.
post() {
    curl -s -m 5 -o "$2" -w '%{http_code}' -X POST -H 'Content-Type: text/xml; charset=utf-8' \
        -H 'SOAPAction: "http://tempuri.org/IECAPI/PortStatus"' --data-binary "$envelope" "$1" || true
}
# Waits (at most 10 s) until $1 answers PortStatus with 200.
await() {
    for _ in $(seq 100); do
        [[ "$(post "$1" /dev/null)" == 200 ]] && return 0
        sleep 0.1
    done
    echo "speed.sh: $1 did not answer PortStatus within 10 s" >&2
    exit 1
}
median() { python3 -c 'import statistics, sys; print(statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }
ratio() { python3 -c 'import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print(f"{a / b:.2f}" if b else "n/a")' "$1" "$2"; }
fmt() { python3 -c 'import sys; print(f"{float(sys.argv[1]):,.0f}")' "$1"; }

rows=()
row() { rows+=("$(printf '| %s | %s | %s |' "$1" "$2" "$3")"); }

echo "ecapi: $bin (release: opt-level $opt, no debug assertions)"

# ---- 1. serve against nginx and the Python peer ----
if wanted serve; then
    ecapi_port="$(free_port)"
    "$bin" serve --listen "127.0.0.1:$ecapi_port" >"$work/serve.out" 2>"$work/serve.log" &
    pids+=($!)
    peer_port="$(free_port)"
    python3 "$root/benches/peer_server.py" "$peer_port" >"$work/peer.log" 2>&1 &
    pids+=($!)
    nginx_port="$(free_port)"
    NGINX_RUN_DIR="$work/nginx" "$ref/nginx.sh" start "$nginx_port" >/dev/null
    ecapi_url="http://127.0.0.1:$ecapi_port/WebAPI/ECAPI.svc"
    peer_url="http://127.0.0.1:$peer_port/WebAPI/ECAPI.svc"
    nginx_url="http://127.0.0.1:$nginx_port/WebAPI/ECAPI.svc"
    for url in "$ecapi_url" "$peer_url" "$nginx_url"; do await "$url"; done
    post "$ecapi_url" "$work/ecapi.xml" >/dev/null
    post "$peer_url" "$work/peer.xml" >/dev/null
    post "$nginx_url" "$work/nginx.xml" >/dev/null
    for other in peer nginx; do
        cmp -s "$work/ecapi.xml" "$work/$other.xml" || {
            echo "speed.sh: $other does not answer PortStatus with ecapi serve's bytes:" >&2
            diff <(cat "$work/ecapi.xml"; echo) <(cat "$work/$other.xml"; echo) >&2 || true
            exit 1
        }
    done
    echo "ecapi serve configuration: default ($(head -1 "$work/serve.out" | sed 's/ at .*//'); hosted profile, strict reader, audit on, text log to a file)"
    echo "all three answer PortStatus with the same $(wc -c <"$work/ecapi.xml") bytes"
    "$ref/server_bench.sh" "$secs" "$nginx_url" "$ecapi_url" "$peer_url" | tee "$work/server_bench.txt"
    med() { awk -v u="$1" '$1 == u { print $2 }' "$work/server_bench.txt" | tail -1; }
    n="$(med "$nginx_url")"; e="$(med "$ecapi_url")"; p="$(med "$peer_url")"
    lines="$(grep -c 'PortStatus 100' "$work/serve.log" || true)"
    echo "ecapi serve wrote $lines log lines to its file"
    row "\`ecapi serve\` (default logging, to a file) PortStatus req/s ÷ nginx's" \
        "$(ratio "$e" "$n") ($(fmt "$e") against $(fmt "$n"))" "≥ 0.7"
    row "the same ÷ the peer Python server (lxml + waitress)" \
        "$(ratio "$e" "$p")× ($(fmt "$p") req/s)" "≥ 20×"
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    pids=()
    NGINX_RUN_DIR="$work/nginx" "$ref/nginx.sh" stop "$nginx_port" >/dev/null
    nginx_port=""
fi

# ---- 2. the embedded path ----
if wanted embedded; then
    ps=(); ab=()
    for r in 1 2 3; do
        ps+=("$("$bin" run benches/embedded_loop.rhai --set "calls=$calls")")
        ab+=("$("$bin" run benches/embedded_loop.rhai --set "calls=$calls" --set function=abs)")
        printf 'embedded round %d: port_status %s calls/s, abs %s calls/s\n' "$r" "$(fmt "${ps[-1]}")" "$(fmt "${ab[-1]}")"
    done
    p="$(median "${ps[@]}")"; a="$(median "${ab[@]}")"
    row "\`port_status\` calls/s from a Rhai loop, embedded (a whole \`ecapi run\`)" \
        "$(python3 -c 'import sys; print(f"{float(sys.argv[1]) / 1e6:.2f} M")' "$p"), $(ratio "$a" "$p")× a native \`abs()\` loop ($(fmt "$a") calls/s)" \
        "≥ 1.2 M, ≤ 2.5×"
fi

# ---- 3. the SOAP client against zeep ----
if wanted client; then
    benches/client_vs_zeep.sh | tee "$work/zeep.txt"
    z="$(grep '^mean:' "$work/zeep.txt" | sed -E 's/.*ratio ([0-9.]+).*/\1/')"
    row "our SOAP client's PortStatus calls/s ÷ zeep's against the same \`ecapi serve\`" "${z:-n/a}×" "≥ 15×"
fi

# ---- 4. the strict reader against the old kind reader ----
if wanted reader; then
    cargo bench --locked --bench reader -- --warm-up-time 1 --measurement-time 3 port_status 2>&1 | tee "$work/reader.txt"
    read -r kind strict < <(python3 - "$work/reader.txt" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
units = {"ns": 1e-3, "µs": 1.0, "us": 1.0, "ms": 1e3}
def mid(name):
    m = re.search(r"port_status/" + name + r"\s+time:\s+\[\S+ \S+ (\S+) (\S+) ", text)
    return float(m.group(1)) * units[m.group(2)] if m else 0.0
print(mid("old_kind_reader"), mid("strict_reader"))
PY
)
    row "the strict reader, per PortStatus, ÷ the old kind reader" \
        "$(ratio "$strict" "$kind")× ($strict µs against $kind µs)" "≤ 1.0×"
fi

# ---- 5. the load generator's ceiling ----
if wanted load; then
    benches/load.sh | tee "$work/load.txt"
    l="$(awk '/ratio ecapi/ { print $5; exit }' "$work/load.txt")"
    row "\`ecapi load\` req/s ÷ wrk's against nginx (benches/load.sh)" "${l:-n/a}" "≥ 0.5"
fi

# ---- 6. the build and the binary ----
if wanted build; then
    clone="$work/clone"
    git clone --quiet "$root" "$clone"
    (cd "$clone" && cargo fetch --locked >/dev/null 2>&1)
    started="$(date +%s.%N)"
    (cd "$clone" && CARGO_TARGET_DIR="$clone/target" cargo run --locked --release --quiet -- run scripts/screen_pop.rhai >/dev/null)
    took="$(python3 -c 'import sys; print(f"{(float(sys.argv[2]) - float(sys.argv[1])) / 60:.1f}")' "$started" "$(date +%s.%N)")"
    size="$(python3 -c 'import os, sys; print(f"{os.path.getsize(sys.argv[1]) / 1e6:.0f}")' "$clone/target/release/ecapi")"
    row "first README command on a fresh clone (\`cargo run --release -- run …\`)" "$took min" "≤ 4 min on a quiet one"
    row "release binary" "$size MB" "≤ 20 MB"
fi

echo
echo "issue 21, $(nproc) CPUs, load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| what | now | aim |"
echo "|---|---|---|"
printf '%s\n' "${rows[@]}"
