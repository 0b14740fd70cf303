#!/usr/bin/env bash
# The SOAP client against zeep (issue 9): PortStatus calls per second against the same
# `ecapi serve`, each client on one kept-alive connection, one call at a time, in alternating
# rounds so that neither always gets the quieter moment. Aim (issue 21): ecapi at least 15 times zeep.
#
#   benches/client_vs_zeep.sh [CALLS] [ROUNDS]      (defaults 3000 and 2)
set -euo pipefail
cd "$(dirname "$0")/.."
calls=${1:-3000}
rounds=${2:-2}

python3 -c 'import zeep' 2>/dev/null || python3 -m pip install --quiet zeep
cargo build --release --quiet
bin=target/release/ecapi
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port/WebAPI/ECAPI.svc"

"$bin" serve --listen "127.0.0.1:$port" --quiet &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    curl -sf "$url?wsdl" >/dev/null && break
    sleep 0.1
done

echo "PortStatus calls/s against ecapi serve at $url, $calls calls a round"
ecapi_total=0
zeep_total=0
for round in $(seq "$rounds"); do
    e=$("$bin" run benches/client_loop.rhai --endpoint "$url" --set "calls=$calls")
    z=$(python3 benches/client_vs_zeep.py "$url" "$calls")
    printf 'round %d: ecapi %.0f, zeep %.0f\n' "$round" "$e" "$z"
    ecapi_total=$(python3 -c "print($ecapi_total + $e)")
    zeep_total=$(python3 -c "print($zeep_total + $z)")
done
python3 - "$ecapi_total" "$zeep_total" "$rounds" <<'PY'
import sys
e, z, n = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
print(f"mean: ecapi {e / n:,.0f} calls/s, zeep {z / n:,.0f} calls/s, ratio {e / z:.1f} (aim: at least 15)")
PY
