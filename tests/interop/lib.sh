# Helpers shared by the interop scripts that start `ecapi serve` and `ecapi proxy` (sourced).
#
# Sets ECAPI_BIN (building the binary with cargo when it is not given), a work folder `work`
# removed at exit, and stops every process started with `launch` at exit.

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

if [[ -z "${ECAPI_BIN:-}" ]]; then
    cargo build --quiet --manifest-path "$root/Cargo.toml" --bin ecapi
    ECAPI_BIN="${CARGO_TARGET_DIR:-$root/target}/debug/ecapi"
fi

work="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

# Starts a command in the background, its output in a file; sets `pid`.
launch() {
    local out="$1"
    shift
    "$@" >"$out" &
    pid=$!
    pids+=("$pid")
}

# Waits (10 s at most) for the "WSDL: URL?wsdl" line in a file; prints the endpoint URL.
endpoint_of() {
    local out="$1" pid="$2" url=""
    for _ in $(seq 100); do
        url="$(sed -n 's/^WSDL: \(.*\)?wsdl$/\1/p' "$out")"
        [[ -n "$url" ]] && break
        kill -0 "$pid" 2>/dev/null || { echo "process $pid exited" >&2; exit 1; }
        sleep 0.1
    done
    [[ -n "$url" ]] || { echo "process $pid did not report its address" >&2; exit 1; }
    echo "$url"
}

# Stops a process started with `launch` (SIGTERM) and waits for it; fails when it does not stop
# cleanly.
stop() {
    local pid="$1" name="$2"
    kill -TERM "$pid"
    if ! wait "$pid"; then
        echo "FAIL $name did not stop cleanly"
        return 1
    fi
    local left=() p
    for p in "${pids[@]}"; do
        [[ "$p" == "$pid" ]] || left+=("$p")
    done
    pids=("${left[@]}")
}

# GETs a URL and prints the body (python3, which the zeep checks need anyway).
fetch() {
    python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())' "$1"
}
