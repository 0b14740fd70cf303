#!/usr/bin/env bash
# Interoperability with node-soap: for each API version, a client that node-soap builds from
# `ecapi serve`'s ?wsdl (following its ?xsd=xsdN imports) calls every operation (node_check.js),
# directly and again through `ecapi proxy` (built from the proxy's copy of the description).
#
#   tests/interop/node.sh            builds the binary with cargo (honours CARGO_TARGET_DIR)
#   ECAPI_BIN=path tests/interop/node.sh   uses a built binary
# Needs node and npm (Debian: nodejs npm; .ci/run installs them); installs the `soap` package with
# npm into target/node-interop when it is not there.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

for tool in node npm; do
    command -v "$tool" >/dev/null || { echo "$tool is missing (apt-get install nodejs npm)"; exit 1; }
done
modules="${CARGO_TARGET_DIR:-$root/target}/node-interop"
if [[ ! -f "$modules/node_modules/soap/package.json" ]]; then
    mkdir -p "$modules"
    [[ -f "$modules/package.json" ]] || echo '{"private": true}' >"$modules/package.json"
    (cd "$modules" && npm install --no-audit --no-fund --silent soap)
fi
export NODE_PATH="$modules/node_modules"

status=0
for api in 7.1 7.0; do
    echo "== API $api, directly"
    launch "$work/serve-$api.out" "$ECAPI_BIN" serve --listen 127.0.0.1:0 --api "$api" --quiet
    serve_pid="$pid"
    serve="$(endpoint_of "$work/serve-$api.out" "$pid")"
    node "$here/node_check.js" "$serve" "$api" || status=1
    stop "$serve_pid" "ecapi serve" || status=1

    echo "== API $api, through ecapi proxy"
    launch "$work/serve2-$api.out" "$ECAPI_BIN" serve --listen 127.0.0.1:0 --api "$api" --quiet
    serve_pid="$pid"
    serve="$(endpoint_of "$work/serve2-$api.out" "$pid")"
    launch "$work/proxy-$api.out" "$ECAPI_BIN" proxy --listen 127.0.0.1:0 --upstream "$serve" \
        --record "$work/rec-$api.jsonl"
    proxy_pid="$pid"
    proxy="$(endpoint_of "$work/proxy-$api.out" "$pid")"
    node "$here/node_check.js" "$proxy" "$api" | tee "$work/check-$api.out" || status=1
    stop "$proxy_pid" "ecapi proxy" || status=1
    stop "$serve_pid" "ecapi serve" || status=1
    calls="$(grep -c ' answers ' "$work/check-$api.out")"
    if grep -q "^ecapi proxy: $calls exchanges$" "$work/proxy-$api.out"; then
        echo "ok   the proxy saw the $calls requests"
    else
        echo "FAIL the proxy's summary (expected $calls exchanges):"; tail -3 "$work/proxy-$api.out"; status=1
    fi
done
exit $status
