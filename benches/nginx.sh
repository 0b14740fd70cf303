#!/usr/bin/env bash
# `ecapi serve` in its default configuration (one log line per request, written by its log thread to
# a file) against nginx answering the very same PortStatus answer as a fixed body (its access log on,
# to a file too), measured by wrk with the same connections and duration, in one run.
#
#   benches/nginx.sh                 ECAPI_BENCH_SECS=10 ECAPI_BENCH_CONNECTIONS=32
#
# Installs nginx and wrk with apt-get when they are missing. Builds the release binary. Prints each
# round's requests per second and the ratio ecapi / nginx (the mean of two alternating rounds each).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
secs="${ECAPI_BENCH_SECS:-10}"
conns="${ECAPI_BENCH_CONNECTIONS:-32}"

missing=()
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx)
command -v wrk >/dev/null || missing+=(wrk)
if ((${#missing[@]})); then
    apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
fi
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"

cargo build --quiet --release --bin ecapi --manifest-path "$root/Cargo.toml"
ecapi="${CARGO_TARGET_DIR:-$root/target}/release/ecapi"

work="$(mktemp -d)"
ecapi_pid=""
cleanup() {
    [[ -n "$ecapi_pid" ]] && kill -TERM "$ecapi_pid" 2>/dev/null && wait "$ecapi_pid" 2>/dev/null
    [[ -f "$work/nginx.pid" ]] && kill -QUIT "$(cat "$work/nginx.pid")" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# ecapi serve, default configuration: its log lines go to a file (never a terminal).
ecapi_port="$(free_port)"
"$ecapi" serve --listen "127.0.0.1:$ecapi_port" >"$work/ecapi.out" 2>"$work/ecapi.log" &
ecapi_pid=$!
for _ in $(seq 100); do grep -q '^WSDL:' "$work/ecapi.out" 2>/dev/null && break; sleep 0.1; done

envelope='<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><PortStatus xmlns="http://tempuri.org/"><Unit>1</Unit><Port>1</Port></PortStatus></s:Body></s:Envelope>'
action='"http://tempuri.org/IECAPI/PortStatus"'
# The fixed body nginx answers: exactly what ecapi serve answers to this request.
curl -s -o "$work/answer.xml" -X POST -H 'Content-Type: text/xml; charset=utf-8' \
    -H "SOAPAction: $action" --data "$envelope" "http://127.0.0.1:$ecapi_port/WebAPI/ECAPI.svc"
grep -q '<a:responseCode>100</a:responseCode>' "$work/answer.xml" || { echo "no PortStatus answer"; exit 1; }
[[ "$(cat "$work/answer.xml")" != *"'"* ]] || { echo "the answer holds a quote nginx cannot return"; exit 1; }

nginx_port="$(free_port)"
mkdir -p "$work/nginx"
cat >"$work/nginx.conf" <<EOF
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
    access_log $work/nginx-access.log;
    client_body_temp_path $work/nginx;
    proxy_temp_path $work/nginx;
    fastcgi_temp_path $work/nginx;
    uwsgi_temp_path $work/nginx;
    scgi_temp_path $work/nginx;
    server {
        listen 127.0.0.1:$nginx_port;
        location /WebAPI/ECAPI.svc {
            default_type "text/xml; charset=utf-8";
            return 200 '$(cat "$work/answer.xml")';
        }
    }
}
EOF
"$nginx_bin" -c "$work/nginx.conf" -p "$work"
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$nginx_port/WebAPI/ECAPI.svc" && break; sleep 0.1; done

cat >"$work/post.lua" <<EOF
wrk.method = "POST"
wrk.body = '$envelope'
wrk.headers["Content-Type"] = "text/xml; charset=utf-8"
wrk.headers["SOAPAction"] = '$action'
done = function(summary, latency, requests)
    local e = summary.errors
    io.write(string.format("non2xx=%d errors=%d\n", e.status, e.connect + e.read + e.write + e.timeout))
end
EOF

# One round: wrk against a URL; prints requests per second (and fails on any error).
round() {
    local out
    out="$(wrk -t2 -c"$conns" -d"${secs}s" -s "$work/post.lua" "$1")"
    grep -q '^non2xx=0 errors=0$' <<<"$out" || { echo "$out" >&2; echo "errors during the run" >&2; exit 1; }
    awk '/^Requests\/sec:/ {print $2}' <<<"$out"
}

nginx_url="http://127.0.0.1:$nginx_port/WebAPI/ECAPI.svc"
ecapi_url="http://127.0.0.1:$ecapi_port/WebAPI/ECAPI.svc"
# Warm-up, then two alternating rounds each, so neither always gets the quieter moment.
wrk -t1 -c4 -d1s -s "$work/post.lua" "$nginx_url" >/dev/null
wrk -t1 -c4 -d1s -s "$work/post.lua" "$ecapi_url" >/dev/null
n1="$(round "$nginx_url")"; e1="$(round "$ecapi_url")"
e2="$(round "$ecapi_url")"; n2="$(round "$nginx_url")"
lines="$(wc -l <"$work/ecapi.log")"
echo "load average before/after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "wrk -t2 -c$conns -d${secs}s, PortStatus POST, $(wc -c <"$work/answer.xml")-byte answer"
echo "nginx:       $n1  $n2 req/s (access log to a file)"
echo "ecapi serve: $e1  $e2 req/s (default text log to a file: $lines lines)"
awk -v n1="$n1" -v n2="$n2" -v e1="$e1" -v e2="$e2" \
    'BEGIN { n=(n1+n2)/2; e=(e1+e2)/2; printf "mean: nginx %.0f, ecapi %.0f req/s; ratio ecapi/nginx %.2f\n", n, e, e/n }'
