#!/usr/bin/env bash
# Interoperability with another SOAP toolkit: for each API version, start `ecapi serve` on a free
# port, let Python's zeep generate a client from its ?wsdl (strict mode) and call every operation.
#
#   tests/interop/run.sh            builds the binary with cargo (honours CARGO_TARGET_DIR)
#   ECAPI_BIN=path tests/interop/run.sh   uses a built binary
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

if [[ -z "${ECAPI_BIN:-}" ]]; then
    cargo build --quiet --manifest-path "$root/Cargo.toml" --bin ecapi
    ECAPI_BIN="${CARGO_TARGET_DIR:-$root/target}/debug/ecapi"
fi
python3 -c "import zeep" 2>/dev/null || python3 -m pip install --quiet zeep

work="$(mktemp -d)"
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]]; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

status=0
for api in 7.1 7.0; do
    out="$work/serve-$api.out"
    "$ECAPI_BIN" serve --listen 127.0.0.1:0 --api "$api" --quiet >"$out" &
    server_pid=$!
    # The server prints its bound address once it listens; wait for that line (10 s at most).
    url=""
    for _ in $(seq 100); do
        url="$(sed -n 's/^WSDL: \(.*\)?wsdl$/\1/p' "$out")"
        [[ -n "$url" ]] && break
        kill -0 "$server_pid" 2>/dev/null || { echo "ecapi serve exited"; exit 1; }
        sleep 0.1
    done
    [[ -n "$url" ]] || { echo "ecapi serve did not report its address"; exit 1; }
    python3 "$here/zeep_check.py" "$url" "$api" || status=1
    kill -TERM "$server_pid"
    wait "$server_pid" || { echo "ecapi serve did not stop cleanly"; status=1; }
    server_pid=""
done

# A hold scheduled with sim_at, met by the client alone (recorder profile, real clock).
out="$work/serve-recorder.out"
"$ECAPI_BIN" serve --listen 127.0.0.1:0 --profile recorder --config "$root/examples/recorder.toml" \
    --clock real --quiet >"$out" &
server_pid=$!
url=""
for _ in $(seq 100); do
    url="$(sed -n 's/^WSDL: \(.*\)?wsdl$/\1/p' "$out")"
    [[ -n "$url" ]] && break
    kill -0 "$server_pid" 2>/dev/null || { echo "ecapi serve exited"; exit 1; }
    sleep 0.1
done
[[ -n "$url" ]] || { echo "ecapi serve did not report its address"; exit 1; }
python3 "$here/zeep_scheduled_hold.py" "$url" || status=1
kill -TERM "$server_pid"
wait "$server_pid" || { echo "ecapi serve did not stop cleanly"; status=1; }
server_pid=""

# HTTPS with a generated CA and basic authentication: zeep trusts DIR/ca.pem and sends credentials.
out="$work/serve-https.out"
"$ECAPI_BIN" serve --listen 127.0.0.1:0 --tls-self-signed "$work/ca" --basic-auth crm:s3cret \
    --quiet >"$out" &
server_pid=$!
url=""
for _ in $(seq 100); do
    url="$(sed -n 's/^WSDL: \(.*\)?wsdl$/\1/p' "$out")"
    [[ -n "$url" ]] && break
    kill -0 "$server_pid" 2>/dev/null || { echo "ecapi serve exited"; exit 1; }
    sleep 0.1
done
[[ -n "$url" ]] || { echo "ecapi serve did not report its address"; exit 1; }
python3 "$here/zeep_https.py" "$url" "$work/ca/ca.pem" crm s3cret || status=1
kill -TERM "$server_pid"
wait "$server_pid" || { echo "ecapi serve did not stop cleanly"; status=1; }
server_pid=""
exit $status
