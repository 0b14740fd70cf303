#!/usr/bin/env bash
# The SOAP client's cost per PortStatus call against one `ecapi serve --quiet` (issue 21, row 4),
# in figures a busy machine does not move much:
#
#   - instructions per call of the client process (callgrind), whole and in its parts (reading the
#     answer, the connection's exchange, writing the request), taken as the slope between a run of
#     FEW and a run of MANY calls, so that start-up cancels out;
#   - processor time per call (user and system) of the client and of serve, and their context
#     switches per call, from the same slope (`/proc`), without valgrind;
#   - the system calls of one call on the client's side (strace).
#
#     benches/client_call.sh [BINARY] [FEW] [MANY]     # default target/release/ecapi, 300, 1800
#
# The script is `ecapi run` of a loop of `port_status(1, 1)` checking each code (one kept-alive
# connection, one call at a time), as in benches/client_vs_zeep.sh. Needs valgrind and strace.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${1:-$root/target/release/ecapi}"
few="${2:-300}"
many="${3:-1800}"
for tool in valgrind strace python3 curl; do
    command -v "$tool" >/dev/null || { echo "client_call.sh: $tool not found" >&2; exit 2; }
done
[ -x "$bin" ] || { echo "client_call.sh: no binary at $bin (cargo build --release)" >&2; exit 2; }
work="$(mktemp -d)"
server=""
cleanup() {
    [ -z "$server" ] || kill "$server" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

cat >"$work/loop.rhai" <<'RHAI'
let calls = param("calls", 1000);
for i in 0..calls {
    let r = port_status(1, 1);
    if r.code != 100 { throw `PortStatus answered ${r.code}`; }
}
RHAI
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
url="http://127.0.0.1:$port/WebAPI/ECAPI.svc"
"$bin" serve --listen "127.0.0.1:$port" --quiet >/dev/null 2>&1 &
server=$!
deadline=$((SECONDS + 30))
until curl -s -o /dev/null "$url?wsdl"; do
    [ $SECONDS -lt $deadline ] || { echo "client_call.sh: the server did not start" >&2; exit 1; }
    sleep 0.1
done
run() { "$bin" run "$work/loop.rhai" --endpoint "$url" --set "calls=$1" >/dev/null; }
run 200 # warm the server

echo "client per PortStatus call, slope between $few and $many calls (load average $(cut -d' ' -f1-3 /proc/loadavg))"
for n in "$few" "$many"; do
    valgrind --tool=callgrind --dump-instr=no --callgrind-out-file="$work/cg.$n" \
        "$bin" run "$work/loop.rhai" --endpoint "$url" --set "calls=$n" >/dev/null 2>&1
done
python3 - "$work" "$few" "$many" "$root/benches/callgrind_calls.py" <<'PY'
import re, subprocess, sys
work, few, many, calls_py = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
def total(n):
    for line in open(f"{work}/cg.{n}", errors="replace"):
        if line.startswith("summary:") or line.startswith("totals:"):
            return int(line.split()[1])
    sys.exit("client_call.sh: no totals in the callgrind output")
def part(n, pattern):
    out = subprocess.run([sys.executable, calls_py, f"{work}/cg.{n}", pattern],
                         capture_output=True, text=True)
    if out.returncode != 0:
        return 0
    calls, per = map(int, out.stdout.split())
    return calls * per
span = many - few
print(f"  {'the whole client process':<58} {(total(many) - total(few)) / span:>8,.0f} instructions")
for label, pattern in [
    ("the script function's call into the transport", "Transport>::call"),
    ("  reading the answer (soap::decode_response)", "ecapi::soap::envelope::decode_response"),
    ("  the connection's exchange (write, read, httparse)", "ecapi::client::connection::Connection::exchange"),
    ("  writing the request (soap::encode_request)", "ecapi::soap::envelope::encode_request"),
]:
    print(f"  {label:<58} {(part(many, pattern) - part(few, pattern)) / span:>8,.0f}")
PY

# Processor time and context switches, from /proc: the client process's own (its children
# included, which it has none of) and every thread of serve.
ticks=$(getconf CLK_TCK)
serve_stat() {
    local u=0 s=0 c=0
    for t in /proc/"$server"/task/*; do
        read -r tu ts < <(cut -d' ' -f14,15 "$t/stat")
        u=$((u + tu)); s=$((s + ts))
        c=$((c + $(awk '/ctxt_switches/ {n += $2} END {print n}' "$t/status")))
    done
    echo "$u $s $c"
}
client_stat() { # CALLS -> user-ticks system-ticks context-switches of a whole run
    python3 - "$bin" "$work/loop.rhai" "$url" "$1" <<'PY'
import resource, subprocess, sys
bin, script, url, n = sys.argv[1:]
subprocess.run([bin, "run", script, "--endpoint", url, "--set", f"calls={n}"],
               check=True, stdout=subprocess.DEVNULL)
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(r.ru_utime, r.ru_stime, r.ru_nvcsw + r.ru_nivcsw)
PY
}
few_t=$((few * 10)); many_t=$((many * 10))
read -r su0 ss0 sc0 < <(serve_stat)
read -r cu1 cs1 cc1 < <(client_stat "$few_t")
read -r su1 ss1 sc1 < <(serve_stat)
read -r cu2 cs2 cc2 < <(client_stat "$many_t")
read -r su2 ss2 sc2 < <(serve_stat)
python3 - <<PY
span = $many_t - $few_t
tick = 1e6 / $ticks
cu = ($cu2 - $cu1) * 1e6 / span; cs = ($cs2 - $cs1) * 1e6 / span
few_s = ($su1 - $su0, $ss1 - $ss0, $sc1 - $sc0); many_s = ($su2 - $su1, $ss2 - $ss1, $sc2 - $sc1)
su = (many_s[0] - few_s[0]) * tick / span; ss = (many_s[1] - few_s[1]) * tick / span
print(f"processor time and context switches per call, slope between $few_t and $many_t calls")
print(f"  client: {cu:5.1f} µs user + {cs:5.1f} µs system, {($cc2 - $cc1) / span:.2f} context switches")
print(f"  serve:  {su:5.1f} µs user + {ss:5.1f} µs system, {(many_s[2] - few_s[2]) / span:.2f} context switches")
PY

echo "system calls of the client for one call (the last of three):"
strace -f -o "$work/strace" "$bin" run "$work/loop.rhai" --endpoint "$url" --set calls=3 >/dev/null
# The calls on the connection's socket: the last three are the last call's.
sock=$(grep -E '^[0-9]+ +sendto\(' "$work/strace" | tail -1 | sed -E 's/^[0-9]+ +sendto\(([0-9]+),.*/\1/')
grep -E "^[0-9]+ +[a-z0-9_]+\($sock," "$work/strace" | tail -3 | sed -E 's/^[0-9]+ +/  /; s/(.{110}).*/\1…/'
echo "  (TCP_NODELAY: $(grep -c "setsockopt([0-9]*, SOL_TCP, TCP_NODELAY, \[1\]" "$work/strace") socket(s) of the client set it)"
