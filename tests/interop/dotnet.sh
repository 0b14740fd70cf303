#!/usr/bin/env bash
# Interoperability with .NET: for each API version, Mono's svcutil generates a WCF proxy from
# `ecapi serve`'s description, mcs compiles it unchanged beside dotnet_check.cs, and the proxy calls
# every operation (all fifteen under 7.1, the ten of 7.0), directly and again through `ecapi proxy`
# (generated from the proxy's copy of the description, which must point at the proxy).
#
# Mono's svcutil reads `?singleWsdl`: given a WCF `?wsdl` whose schemas are separate documents
# (`?xsd=xsdN`, as every WCF service publishes them) its importer meets each schema twice and
# generates nothing ("The global element … has already been declared"), against a real Encore as
# against ecapi. `?singleWsdl` is the document WCF publishes for such toolkits.
#
#   tests/interop/dotnet.sh            builds the binary with cargo (honours CARGO_TARGET_DIR)
#   ECAPI_BIN=path tests/interop/dotnet.sh   uses a built binary
# Needs Mono (Debian: mono-devel libmono-system-servicemodel4.0a-cil; .ci/run installs them).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

for tool in svcutil mcs mono; do
    command -v "$tool" >/dev/null || { echo "$tool is missing (apt-get install mono-devel libmono-system-servicemodel4.0a-cil)"; exit 1; }
done

# Generates the proxy from the description at URL and compiles it with the check; prints the
# program's path.
build() {
    local url="$1" api="$2" dir="$3"
    mkdir -p "$dir"
    if ! (cd "$dir" && svcutil --noLogo -o ECAPI.cs "$url?singleWsdl" >svcutil.out 2>&1) \
        || ! grep -q "interface IECAPI" "$dir/ECAPI.cs"; then
        echo "FAIL svcutil generated no proxy from $url?singleWsdl:" >&2
        cat "$dir/svcutil.out" >&2
        return 1
    fi
    local define=()
    [[ "$api" == 7.1 ]] && define=(-define:V71)
    mcs -nologo -nowarn:0169,0649 "${define[@]}" -r:System.ServiceModel -r:System.Runtime.Serialization \
        -out:"$dir/check.exe" "$here/dotnet_check.cs" "$dir/ECAPI.cs" >"$dir/mcs.out" 2>&1 \
        || { echo "FAIL mcs could not compile the generated proxy:" >&2; cat "$dir/mcs.out" >&2; return 1; }
    echo "$dir/check.exe"
}

status=0
for api in 7.1 7.0; do
    echo "== API $api, directly"
    launch "$work/serve-$api.out" "$ECAPI_BIN" serve --listen 127.0.0.1:0 --api "$api" --quiet
    serve_pid="$pid"
    serve="$(endpoint_of "$work/serve-$api.out" "$pid")"
    exe="$(build "$serve" "$api" "$work/direct-$api")" || { status=1; continue; }
    mono "$exe" "$serve" "$api" || status=1
    stop "$serve_pid" "ecapi serve" || status=1

    echo "== API $api, through ecapi proxy"
    launch "$work/serve2-$api.out" "$ECAPI_BIN" serve --listen 127.0.0.1:0 --api "$api" --quiet
    serve_pid="$pid"
    serve="$(endpoint_of "$work/serve2-$api.out" "$pid")"
    launch "$work/proxy-$api.out" "$ECAPI_BIN" proxy --listen 127.0.0.1:0 --upstream "$serve" \
        --record "$work/rec-$api.jsonl"
    proxy_pid="$pid"
    proxy="$(endpoint_of "$work/proxy-$api.out" "$pid")"
    exe="$(build "$proxy" "$api" "$work/proxied-$api")" || { status=1; continue; }
    if grep -q "location=\"$proxy\"" <(fetch "$proxy?singleWsdl"); then
        echo "ok   the description through the proxy points at the proxy"
    else
        echo "FAIL the description through the proxy does not point at the proxy"; status=1
    fi
    mono "$exe" "$proxy" "$api" | tee "$work/check-$api.out" || status=1
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
