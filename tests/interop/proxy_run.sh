#!/usr/bin/env bash
# `ecapi proxy` with real clients on both sides: a zeep client through the proxy to an `ecapi
# serve` (every operation arrives unchanged, a dropped connection and a fault pass through, the
# record holds every exchange); then the record as a script that passes against a fresh server, and
# replayed against the embedded simulator (passes) and against the recorder profile (fails, naming
# the differences).
#
#   tests/interop/proxy_run.sh            builds the binary with cargo (honours CARGO_TARGET_DIR)
#   ECAPI_BIN=path tests/interop/proxy_run.sh   uses a built binary
set -euo pipefail

# ECAPI_BIN, `work`, `launch`, `endpoint_of` and the clean-up at exit.
source "$(dirname "$0")/lib.sh"
python3 -c "import zeep" 2>/dev/null || python3 -m pip install --quiet zeep

status=0
launch "$work/serve.out" "$ECAPI_BIN" serve --listen 127.0.0.1:0 --quiet
serve="$(endpoint_of "$work/serve.out" "$pid")"
launch "$work/proxy.out" "$ECAPI_BIN" proxy --listen 127.0.0.1:0 --upstream "$serve" --record "$work/rec.jsonl"
proxy_pid="$pid"
proxy="$(endpoint_of "$work/proxy.out" "$pid")"
python3 "$here/zeep_proxy.py" "$proxy" "$serve" "$work/rec.jsonl" || status=1
kill -TERM "$proxy_pid"
wait "$proxy_pid" || { echo "FAIL ecapi proxy did not stop cleanly"; status=1; }
grep -q "^ecapi proxy: 19 exchanges$" "$work/proxy.out" || { echo "FAIL the proxy's summary"; tail -3 "$work/proxy.out"; status=1; }

"$ECAPI_BIN" script "$work/rec.jsonl" -o "$work/flow.rhai"
launch "$work/fresh.out" "$ECAPI_BIN" serve --listen 127.0.0.1:0 --quiet
fresh="$(endpoint_of "$work/fresh.out" "$pid")"
if "$ECAPI_BIN" run "$work/flow.rhai" --endpoint "$fresh" >"$work/run.out" 2>&1; then
    echo "ok   the recorded flow passes against a fresh ecapi serve"
else
    echo "FAIL the recorded flow against a fresh ecapi serve:"; cat "$work/run.out"; cat "$work/flow.rhai"; status=1
fi
if env -u ECAPI_ENDPOINT "$ECAPI_BIN" replay "$work/rec.jsonl" >"$work/replay.out" 2>&1; then
    echo "ok   the replay against the embedded simulator passes"
else
    echo "FAIL the replay against the embedded simulator:"; cat "$work/replay.out"; status=1
fi
code=0
env -u ECAPI_ENDPOINT "$ECAPI_BIN" replay "$work/rec.jsonl" --profile recorder >"$work/replay2.out" 2>&1 || code=$?
if [[ $code == 1 ]] && grep -q "^DIFFERS #12 StopRecording: code 608 against 616" "$work/replay2.out"; then
    echo "ok   the replay against the recorder profile fails, naming the differences"
else
    echo "FAIL the replay against the recorder profile (exit $code):"; cat "$work/replay2.out"; status=1
fi
exit $status
