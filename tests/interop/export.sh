#!/usr/bin/env bash
# `ecapi export`, checked against `ecapi serve`: for each language (curl, python, javascript, java,
# csharp) and each example flow (the screen pop, the payment with pause and resume, a recorder flow
# that expects 608 and 616), the program exported from the embedded run runs unchanged against
# `ecapi serve` with the same profile: it exits 0 and the served journal holds the same
# operations, parameters and codes as the embedded run's; against the other profile it exits 1
# naming the request. The same for a proxy record of a zeep CRM and for a REPL session exported
# with `:export`. Generated code is checked with each language's formatter where one is at hand
# (shfmt, black, prettier).
#
# Needs curl, python3 with zeep (installed with pip when missing, with black), node with npm
# (`soap` and `prettier` are installed under target/npm when missing), java 11+ and Mono's mcs with
# System.ServiceModel; shfmt is used when installed.
#
#   tests/interop/export.sh            builds the binary with cargo (honours CARGO_TARGET_DIR)
#   ECAPI_BIN=path tests/interop/export.sh   uses a built binary
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"

if [[ -z "${ECAPI_BIN:-}" ]]; then
    cargo build --quiet --manifest-path "$root/Cargo.toml" --bin ecapi
    ECAPI_BIN="$target/debug/ecapi"
fi
python3 -c "import zeep" 2>/dev/null || python3 -m pip install --quiet zeep
python3 -m black --version >/dev/null 2>&1 || python3 -m pip install --quiet black || true
npm_dir="$target/npm"
if [[ ! -d "$npm_dir/node_modules/soap" || ! -d "$npm_dir/node_modules/prettier" ]]; then
    mkdir -p "$npm_dir"
    (cd "$npm_dir" && npm install --silent --no-audit --no-fund soap prettier >/dev/null)
fi
export NODE_PATH="$npm_dir/node_modules"
for tool in curl python3 node java mcs mono; do
    command -v "$tool" >/dev/null || { echo "FAIL $tool is not installed"; exit 1; }
done

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
unset ECAPI_ENDPOINT ECAPI_USER ECAPI_PASSWORD

# Starts a command in the background, its output in a file; sets `pid`.
launch() {
    local out="$1"
    shift
    "$@" >"$out" 2>&1 &
    pid=$!
    pids+=("$pid")
}

# Waits (10 s at most) for the "WSDL: URL?wsdl" line in a file; prints the endpoint URL.
endpoint_of() {
    local out="$1" pid="$2" url=""
    for _ in $(seq 100); do
        url="$(sed -n 's/^WSDL: \(.*\)?wsdl$/\1/p' "$out")"
        [[ -n "$url" ]] && break
        kill -0 "$pid" 2>/dev/null || { echo "process $pid exited" >&2; cat "$out" >&2; exit 1; }
        sleep 0.1
    done
    [[ -n "$url" ]] || { echo "process $pid did not report its address" >&2; exit 1; }
    echo "$url"
}

recorder_args=(--profile recorder --config "$root/examples/recorder.toml")
launch "$work/hosted.out" "$ECAPI_BIN" serve --listen 127.0.0.1:0 --quiet
hosted="$(endpoint_of "$work/hosted.out" "$pid")"
launch "$work/recorder.out" "$ECAPI_BIN" serve --listen 127.0.0.1:0 --quiet "${recorder_args[@]}"
recorder="$(endpoint_of "$work/recorder.out" "$pid")"

# The journal as lines `J operation [params] code`, from a script's end or a server.
journal_dump='for e in sim_journal() { print(`J ${e.op} ${e.params} ${e.code}`); }'
echo "$journal_dump" >"$work/journal.rhai"
echo 'sim_reset();' >"$work/reset.rhai"
served_journal() { "$ECAPI_BIN" run "$work/journal.rhai" --endpoint "$1" | grep '^J '; }
reset() { "$ECAPI_BIN" run "$work/reset.rhai" --endpoint "$1" >/dev/null; }

# The embedded run's journal of a flow: the flow (without its `// args:` line, whose options are
# given here) followed by the journal's lines.
embedded_journal() {
    local flow="$1"
    shift
    { grep -v '^// args:' "$flow"; echo; echo "$journal_dump"; } >"$work/with_journal.rhai"
    "$ECAPI_BIN" run "$work/with_journal.rhai" "$@" | grep '^J '
}

# Runs a generated program unchanged: run_program LANG FILE URL, its output in $work/run.out.
run_program() {
    local lang="$1" file="$2" url="$3"
    case "$lang" in
        curl) sh "$file" "$url" ;;
        python) python3 "$file" "$url" ;;
        javascript) node "$file" "$url" ;;
        java) java "$file" "$url" ;;
        csharp) mono "${file%.cs}.exe" "$url" ;;
    esac >"$work/run.out" 2>&1
}

# The file a language's program is saved as, in its own folder (Java runs Flow.java by name).
program_file() {
    local lang="$1" dir="$2"
    mkdir -p "$dir"
    case "$lang" in
        curl) echo "$dir/flow.sh" ;;
        python) echo "$dir/flow.py" ;;
        javascript) echo "$dir/flow.js" ;;
        java) echo "$dir/Flow.java" ;;
        csharp) echo "$dir/Program.cs" ;;
    esac
}

# Builds what needs building (C#) and checks the format where a formatter is at hand.
prepare() {
    local lang="$1" file="$2"
    case "$lang" in
        csharp)
            mcs -nologo -r:System.ServiceModel -r:System.Runtime.Serialization \
                -out:"${file%.cs}.exe" "$file" >"$work/mcs.out" 2>&1 \
                || { echo "FAIL mcs $file:"; cat "$work/mcs.out"; return 1; }
            ;;
        curl)
            if command -v shfmt >/dev/null; then
                shfmt -d "$file" >/dev/null || { echo "FAIL shfmt would change $file"; return 1; }
            fi
            ;;
        python)
            if python3 -m black --version >/dev/null 2>&1; then
                python3 -m black --check -q "$file" || { echo "FAIL black would change $file"; return 1; }
            fi
            ;;
        javascript)
            if [[ -x "$npm_dir/node_modules/.bin/prettier" ]]; then
                "$npm_dir/node_modules/.bin/prettier" --check "$file" >/dev/null 2>&1 \
                    || { echo "FAIL prettier would change $file"; return 1; }
            fi
            ;;
    esac
}

# One flow in one language: the program passes against `same` with the journal `expected`, and
# fails against `other` naming `failing` (`#N Operation`).
check() {
    local lang="$1" file="$2" name="$3" same="$4" expected="$5" other="$6" failing="$7"
    [[ -n "$expected" ]] || { echo "FAIL $name: the reference run left an empty journal"; return 1; }
    [[ -s "$file" ]] || { echo "FAIL $lang $name: nothing was exported"; return 1; }
    prepare "$lang" "$file" || return 1
    reset "$same"
    if ! run_program "$lang" "$file" "$same"; then
        echo "FAIL $lang $name against the same profile:"; cat "$work/run.out"; return 1
    fi
    if ! diff <(echo "$expected") <(served_journal "$same") >"$work/diff.out"; then
        echo "FAIL $lang $name: the served journal differs from the embedded run's:"
        cat "$work/diff.out"; return 1
    fi
    reset "$other"
    local code=0
    run_program "$lang" "$file" "$other" || code=$?
    if [[ $code != 1 ]] || ! grep -q "^FAIL $failing: expected" "$work/run.out"; then
        echo "FAIL $lang $name against the other profile (exit $code, expected 1 naming $failing):"
        cat "$work/run.out"; return 1
    fi
    echo "ok   $lang $name: exit 0 and the same journal; exit 1 naming $failing elsewhere"
}

status=0
langs=(curl python javascript java csharp)

# name | flow | profile of the run | failing request against the other profile
flows=(
    "screen_pop|$root/scripts/screen_pop.rhai|hosted|#1 InitStation"
    "payment|$root/scripts/payment.rhai|hosted|#1 InitStation"
    "recorder_late_pause|$root/tests/fixtures/export/recorder_late_pause.rhai|recorder|#8 StopRecording"
)
for entry in "${flows[@]}"; do
    IFS='|' read -r name flow profile failing <<<"$entry"
    if [[ $profile == hosted ]]; then
        same="$hosted" other="$recorder" args=()
    else
        same="$recorder" other="$hosted" args=("${recorder_args[@]}")
    fi
    expected="$(embedded_journal "$flow" "${args[@]}")"
    for lang in "${langs[@]}"; do
        file="$(program_file "$lang" "$work/$name-$lang")"
        "$ECAPI_BIN" export "$flow" --lang "$lang" -o "$file" 2>/dev/null
        check "$lang" "$file" "$name" "$same" "$expected" "$other" "$failing" || status=1
    done
done

# A proxy record of a zeep CRM (the exported payment program, run through `ecapi proxy`), exported
# in each language: the same journal as the CRM's own run.
reset "$hosted"
launch "$work/proxy.out" "$ECAPI_BIN" proxy --listen 127.0.0.1:0 --upstream "$hosted" \
    --record "$work/crm.jsonl"
proxy_pid="$pid"
proxy="$(endpoint_of "$work/proxy.out" "$pid")"
python3 "$work/payment-python/flow.py" "$proxy" >/dev/null
kill -TERM "$proxy_pid"
wait "$proxy_pid" || true
crm_journal="$(served_journal "$hosted")"
for lang in "${langs[@]}"; do
    file="$(program_file "$lang" "$work/record-$lang")"
    "$ECAPI_BIN" export "$work/crm.jsonl" --lang "$lang" -o "$file" 2>/dev/null
    check "$lang" "$file" "proxy record" "$hosted" "$crm_journal" "$recorder" "#1 InitStation" \
        || status=1
done

# A REPL session, exported with :export in each language.
repl_input='let agent = station("4030");
agent.start();
agent.assign("fldCallCategory", "Complaint");
agent.url();
agent.stop();
agent.stop();'
for lang in "${langs[@]}"; do
    program_file "$lang" "$work/repl-$lang" >/dev/null
    repl_input+=$'\n'":export $lang $(program_file "$lang" "$work/repl-$lang")"
done
repl_input+=$'\n'"$journal_dump"
repl_journal="$(echo "$repl_input" | "$ECAPI_BIN" repl | grep '^J ')"
for lang in "${langs[@]}"; do
    file="$(program_file "$lang" "$work/repl-$lang")"
    check "$lang" "$file" "REPL session" "$hosted" "$repl_journal" "$recorder" "#1 InitStation" \
        || status=1
done
# Basic authentication and withheld values: the payment run against a server that asks for
# credentials, its User withheld; each program passes with the credentials and the user from the
# environment, and fails (exit 1) with a wrong password.
launch "$work/auth.out" "$ECAPI_BIN" serve --listen 127.0.0.1:0 --quiet --basic-auth crm:s3cret
auth="$(endpoint_of "$work/auth.out" "$pid")"
for lang in "${langs[@]}"; do
    file="$(program_file "$lang" "$work/auth-$lang")"
    ECAPI_USER=crm ECAPI_PASSWORD=s3cret "$ECAPI_BIN" export "$root/scripts/payment.rhai" \
        --endpoint "$auth" --redact User --lang "$lang" -o "$file" 2>/dev/null
    prepare "$lang" "$file" || { status=1; continue; }
    export ECAPI_USER=crm ECAPI_PARAM_USER=jsmith
    if ! ECAPI_PASSWORD=s3cret run_program "$lang" "$file" "$auth"; then
        echo "FAIL $lang with basic authentication:"; cat "$work/run.out"; status=1
    elif ECAPI_PASSWORD=wrong run_program "$lang" "$file" "$auth" || ! grep -q '^FAIL' "$work/run.out"; then
        echo "FAIL $lang with a wrong password did not fail:"; cat "$work/run.out"; status=1
    else
        echo "ok   $lang with basic authentication and a withheld user; exit 1 with a wrong password"
    fi
    unset ECAPI_USER ECAPI_PARAM_USER
done
exit $status
