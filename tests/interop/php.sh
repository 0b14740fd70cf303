#!/usr/bin/env bash
# Interoperability with a second SOAP toolkit: for each API version, start `ecapi serve` on a free
# port and let PHP's SoapClient, built from its ?wsdl, call every operation (php_check.php).
#
#   tests/interop/php.sh            builds the binary with cargo (honours CARGO_TARGET_DIR)
#   ECAPI_BIN=path tests/interop/php.sh   uses a built binary
# Needs php with the soap extension (Debian: php-cli php-soap; .ci/run installs them).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

if [[ -z "${ECAPI_BIN:-}" ]]; then
    cargo build --quiet --manifest-path "$root/Cargo.toml" --bin ecapi
    ECAPI_BIN="${CARGO_TARGET_DIR:-$root/target}/debug/ecapi"
fi
php -r 'exit(extension_loaded("soap") ? 0 : 1);' || { echo "php's soap extension is missing (apt-get install php-soap)"; exit 1; }

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
    php "$here/php_check.php" "$url" "$api" || status=1
    kill -TERM "$server_pid"
    wait "$server_pid" || { echo "ecapi serve did not stop cleanly"; status=1; }
    server_pid=""
done
exit $status
