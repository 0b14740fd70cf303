#!/usr/bin/env bash
# `ecapi audit` end to end: a zeep "CRM" (tests/interop/zeep_audit.py) runs a payment flow through
# `ecapi proxy --record` to `ecapi serve --profile recorder` (examples/recorder.toml: CORP\asmith's
# desktop is recorded). The careless flow pauses only the audio and assigns a card number: serve's
# log line, sim_findings() and `ecapi audit` of the proxy's record all name desktop-not-paused and
# card-data; the corrected flow gives no finding and `ecapi audit` exits 0.
#
#   tests/interop/audit_run.sh            builds the binary with cargo (honours CARGO_TARGET_DIR)
#   ECAPI_BIN=path tests/interop/audit_run.sh   uses a built binary
set -euo pipefail

# ECAPI_BIN, `work`, `endpoint_of` and the clean-up at exit.
source "$(dirname "$0")/lib.sh"
python3 -c "import zeep" 2>/dev/null || python3 -m pip install --quiet zeep

# Unlike lib.sh's, keeps standard error too: serve's log line is checked.
launch() {
    local out="$1"
    shift
    : >"$out"
    "$@" >"$out" 2>&1 &
    pid=$!
    pids+=("$pid")
}

ok() { echo "ok   $1"; }
fail() { echo "FAIL $1"; status=1; }

status=0
for flow in careless corrected; do
    launch "$work/serve-$flow.out" "$ECAPI_BIN" serve --listen 127.0.0.1:0 --profile recorder \
        --config "$root/examples/recorder.toml" --clock real
    serve_pid="$pid"
    serve="$(endpoint_of "$work/serve-$flow.out" "$pid")"
    launch "$work/proxy-$flow.out" "$ECAPI_BIN" proxy --listen 127.0.0.1:0 --upstream "$serve" \
        --record "$work/$flow.jsonl"
    proxy_pid="$pid"
    proxy="$(endpoint_of "$work/proxy-$flow.out" "$pid")"
    echo "-- the $flow flow"
    python3 "$here/zeep_audit.py" "$proxy" "$serve" "$flow" || status=1
    kill -TERM "$proxy_pid"; wait "$proxy_pid" || fail "ecapi proxy did not stop cleanly"
    kill -TERM "$serve_pid"; wait "$serve_pid" || fail "ecapi serve did not stop cleanly"
    log="$work/serve-$flow.out"
    plog="$work/proxy-$flow.out"
    if grep -q "4111 1111 1111 1111" "$plog" "$work/$flow.jsonl"; then
        fail "the proxy's line or record shows the card number in clear"
    fi
    if grep -q "4111 1111 1111 1111\|4111111111111111" "$log"; then
        fail "serve's log shows the card number in clear"
    fi
    code=0
    "$ECAPI_BIN" audit "$work/$flow.jsonl" --desktop-users 'CORP\asmith' \
        --report-junit "$work/$flow.xml" >"$work/audit-$flow.out" 2>&1 || code=$?
    if [[ $flow == careless ]]; then
        grep -q "error\[card-data\] port 1/1" "$log" && grep -q "error\[desktop-not-paused\] port 1/1" "$log" \
            && ok "serve's log line names card-data and desktop-not-paused" \
            || { fail "serve's log line"; cat "$log"; }
        grep -q "^  error\[card-data\] port 1/1" "$plog" && grep -q "^error    card-data                     1$" "$plog" \
            && ok "the proxy's line names card-data and its summary counts it" \
            || { fail "the proxy's line and summary"; cat "$plog"; }
        if [[ $code == 1 ]] && grep -q "error\[card-data\] port 1/1" "$work/audit-$flow.out" \
            && grep -q "error\[desktop-not-paused\] port 1/1" "$work/audit-$flow.out" \
            && grep -q "you will need to send both a PauseRecording and a DesktopPause" "$work/audit-$flow.out" \
            && ! grep -q "4111 1111 1111 1111" "$work/audit-$flow.out"; then
            ok "ecapi audit of the proxy's record names both rules and exits 1"
        else
            fail "ecapi audit of the careless record (exit $code)"; cat "$work/audit-$flow.out"
        fi
    else
        grep -q "error\[" "$log" && { fail "serve's log names a finding for the corrected flow"; cat "$log"; }
        if [[ $code == 0 ]] && grep -q "^0 findings in 8 exchanges$" "$work/audit-$flow.out"; then
            ok "ecapi audit of the corrected record finds nothing and exits 0"
        else
            fail "ecapi audit of the corrected record (exit $code)"; cat "$work/audit-$flow.out"
        fi
    fi
done
exit $status
