#!/usr/bin/env bash
# The strict request reader against the old kind reader (issue 21), and the client's answer reader,
# counted in instructions, which a busy machine does not move: each reader runs under callgrind in
# criterion's profiling mode on the envelopes of benches/reader.rs, and the figure is the
# instructions of one call (inclusive), with the ratio strict ÷ old. Aims: strict ÷ old at most 1.0;
# the strict reader's PortStatus and the answer reader's PortStatus answer at most 12,000 each.
#
#   benches/reader.sh            # needs valgrind (apt-get install -y valgrind)
#
# For times rather than instructions: cargo bench --bench reader -- --warm-up-time 1 --measurement-time 3
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind not found (apt-get install -y valgrind)" >&2; exit 2; }
bin=$(cargo bench --bench reader --no-run --message-format=json 2>/dev/null |
  python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "reader" and m.get("executable"):
        print(m["executable"])')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "instructions per read (callgrind), load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-14s %14s %14s %8s\n' envelope "old kind" strict "ratio"
for envelope in port_status log_event_1k; do
  for reader in old_kind_reader strict_reader; do
    valgrind --tool=callgrind --callgrind-out-file="$work/$envelope.$reader" "$bin" --bench \
      --profile-time 1 "$envelope/$reader" >/dev/null 2>&1
  done
  read -r _ old < <(python3 benches/callgrind_calls.py "$work/$envelope.old_kind_reader" "ecapi::soap::envelope::decode_request")
  read -r _ strict < <(python3 benches/callgrind_calls.py "$work/$envelope.strict_reader" "ecapi::soap::reader::read_request")
  printf '%-14s %14s %14s %8s\n' "$envelope" "$old" "$strict" "$(python3 -c "print(f'{$strict / $old:.2f}')")"
done
echo "aim: strict ÷ old at most 1.0, strict port_status at most 12000"
printf '\n%-22s %14s\n' answer "answer reader"
for answer in port_status_answer port_status_ex_answer; do
  valgrind --tool=callgrind --callgrind-out-file="$work/$answer" "$bin" --bench \
    --profile-time 1 "$answer/answer_reader" >/dev/null 2>&1
  read -r _ n < <(python3 benches/callgrind_calls.py "$work/$answer" "ecapi::soap::envelope::decode_response")
  printf '%-22s %14s\n' "$answer" "$n"
done
echo "aim: the answer reader's port_status_answer at most 12000"
