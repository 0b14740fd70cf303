#!/usr/bin/env bash
# Instructions per PortStatus request of `ecapi serve`, counted by callgrind: the whole process
# (every thread: the runtime's workers, hyper, the endpoint, the log writer), and the parts.
#
#     benches/serve_instructions.sh [BINARY] [SECONDS]     # default target/release/ecapi, 8 s
#
# The release binary runs `serve` in its default configuration (hosted profile, strict reader,
# audit on, its log on standard error redirected to a file) under valgrind's callgrind. Once it
# listens, wrk (`-t1 -c32`, ../shared/bench's portstatus.lua or ECAPI_BENCH_LUA) warms it for
# 2 s, the counters are zeroed, wrk posts PortStatus for SECONDS, the counters are dumped. The
# instructions counted divided by the requests wrk saw answered is the cost of one request in
# user space (the kernel's part is not counted). The machine's load does not move the count,
# which is why it serves to compare builds on a busy machine. Needs valgrind and wrk.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${1:-$root/target/release/ecapi}"
secs="${2:-8}"
lua="${ECAPI_BENCH_LUA:-$root/../shared/bench/portstatus.lua}"
[ -f "$lua" ] || lua="/work/shared/bench/portstatus.lua"
[ -f "$lua" ] || { echo "serve_instructions.sh: no portstatus.lua; set ECAPI_BENCH_LUA" >&2; exit 2; }
for tool in valgrind callgrind_control callgrind_annotate wrk; do
    command -v "$tool" >/dev/null || { echo "serve_instructions.sh: $tool not found" >&2; exit 2; }
done
work="$(mktemp -d)"
pid=""
cleanup() {
    [ -z "$pid" ] || kill "$pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" \
    "$bin" serve --listen "127.0.0.1:$port" >"$work/serve.out" 2>"$work/serve.log" &
pid=$!
url="http://127.0.0.1:$port/WebAPI/ECAPI.svc"
deadline=$((SECONDS + 60))
until curl -s -o /dev/null "$url?wsdl"; do
    [ $SECONDS -lt $deadline ] || { echo "serve_instructions.sh: the server did not start" >&2; exit 1; }
    sleep 0.2
done
wrk -t1 -c32 -d2s -s "$lua" "$url" >/dev/null 2>&1
callgrind_control -z "$pid" >/dev/null 2>&1
line="$(wrk -t1 -c32 -d"${secs}s" -s "$lua" "$url" 2>&1 | grep '^WRK_RESULT')"
callgrind_control -d "$pid" >/dev/null 2>&1
requests="$(sed -E 's/.* requests=([0-9]+).*/\1/' <<<"$line")"
bad="$(sed -E 's/.* status_errors=([0-9]+).*/\1/' <<<"$line")"
[ "$bad" = 0 ] || { echo "serve_instructions.sh: $bad answers were not 2xx" >&2; exit 1; }
dump="$(ls "$work"/cg.out.* | head -1)"
annotated="$(callgrind_annotate --threshold=100 "$dump" 2>/dev/null | sed 's/,//g')"
# The inclusive cost of every call to the function named exactly NAME (callgrind's calls= lines,
# as benches/callgrind_calls.py reads them), per request.
part() {
    python3 - "$dump" "$1" "$requests" <<'PY'
import re, sys
path, wanted, requests = sys.argv[1], sys.argv[2], int(sys.argv[3])
names, callee, pending, cost = {}, None, False, 0
with open(path, errors="replace") as f:
    for line in f:
        m = re.match(r"^(c?fn)=\((\d+)\)(?: (.*))?$", line.rstrip("\n"))
        if m:
            kind, ident, name = m.groups()
            if name:
                names[ident] = name
            callee = names.get(ident, "") if kind == "cfn" else None
            continue
        if line.startswith("calls=") and callee is not None:
            pending = callee == wanted
            continue
        if pending:
            parts = line.split()
            if len(parts) > 1:
                cost += int(parts[1])
            pending = False
print(cost // requests)
PY
}
total="$(awk -v n="$requests" '/PROGRAM TOTALS/ { printf "%d", $1 / n; exit }' <<<"$annotated")"
echo "$bin: $requests PortStatus requests in ${secs} s under callgrind (wrk -t1 -c32)"
printf '%-62s %10s\n' "per request" instructions
printf '%-62s %10s\n' "the whole process" "$total"
printf '%-62s %10s\n' "the request with its body read (server::front::handle)" "$(part 'ecapi::server::front::handle::{{closure}}')"
printf '%-62s %10s\n' "the SOAP call (server::handler::soap_call)" "$(part 'ecapi::server::handler::soap_call::{{closure}}')"
printf '%-62s %10s\n' "  the strict reader (soap::read_request)" "$(part 'ecapi::soap::reader::read_request')"
printf '%-62s %10s\n' "  the answer's envelope (soap::ResponseFrames::encode)" "$(part 'ecapi::soap::envelope::ResponseFrames::encode')"
printf '%-62s %10s\n' "  the simulator (Simulator::handle)" "$(part 'ecapi::simulator::Simulator::handle')"
printf '%-62s %10s\n' "  the audit (Auditor::observe)" "$(part 'ecapi::audit::auditor::Auditor::observe')"
printf '%-62s %10s\n' "the log line on the request thread (RequestLog::request)" "$(part 'ecapi::server::log::RequestLog::request')"
printf '%-62s %10s\n' "hyper reading and parsing the head (Conn::poll_read_head)" "$(part 'hyper::proto::h1::conn::Conn<I,B,T>::poll_read_head')"
