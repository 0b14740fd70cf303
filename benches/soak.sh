#!/bin/sh
# Soak test of `ecapi serve` (not a unit test; see benches/README.md): 500,000 mixed requests with
# some 8 KB values against a release build, resident memory read as it goes; then sim_recordings
# over 50,000 recordings while a client times SOAP answers. Takes a few minutes.
#
# Then the same mix through `ecapi proxy --record` (SOAK_PHASES=3 for that alone).
#
#   benches/soak.sh [TOTAL_REQUESTS] [RECORDINGS] [PROXY_EXCHANGES]
set -eu
cd "$(dirname "$0")/.."
command -v python3 >/dev/null || { echo "soak.sh needs python3" >&2; exit 2; }
cargo build --release --quiet
exec python3 benches/soak.py target/release/ecapi "${1:-500000}" "${2:-50000}" "${3:-500000}"
