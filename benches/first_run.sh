#!/usr/bin/env bash
# The README's first command on a fresh clone: clones this repository (its committed HEAD, or the
# commit given) to a temporary folder, fetches the registry (`cargo fetch --locked`, not timed), then
# times `cargo run --release -- run scripts/screen_pop.rhai` from an empty target folder.
#
# Prints the wall time, the CPU time of the build (user + system, every compiler process summed), the
# load average before and after, the release binary's size, and checks that a panic in a release build
# names its source line with RUST_BACKTRACE=1.
#
#   benches/first_run.sh                 # this repository's HEAD
#   benches/first_run.sh COMMIT          # another commit of it (for a before/after)
#   FIRST_RUN_TIMINGS=DIR benches/first_run.sh   # also keeps cargo's --timings report in DIR
#   FIRST_RUN_KEEP=1 benches/first_run.sh        # keeps the clone (its path is printed)
#
# Wall time depends on what else the machine runs: take it on a quiet machine (load average under 0.5
# before the start). The CPU time moves much less with the machine's load.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
commit="${1:-HEAD}"
command -v /usr/bin/time >/dev/null 2>&1 || { echo "first_run: needs GNU time (apt-get install time)" >&2; exit 2; }

work="$(mktemp -d "${TMPDIR:-/tmp}/ecapi-first-run.XXXXXX")"
cleanup() { if [[ -z "${FIRST_RUN_KEEP:-}" ]]; then rm -rf "$work"; else echo "clone kept: $work/ecapi"; fi; }
trap cleanup EXIT

git clone --quiet --no-local "$here" "$work/ecapi"
cd "$work/ecapi"
git -c advice.detachedHead=false checkout --quiet "$commit"
echo "commit: $(git log -1 --format='%h %s' | cut -c1-100)"

# The command exactly as the README gives it.
readme_cmd="cargo run --release -- run scripts/screen_pop.rhai"
grep -qF -- "$readme_cmd" README.md || { echo "first_run: the README no longer says \`$readme_cmd\`" >&2; exit 2; }
install_line="$(grep -o 'cargo install[^`]*' README.md | head -1)"
case "$install_line" in
  *--locked*) echo "README install line: $install_line" ;;
  *) echo "first_run: the README's cargo install line lacks --locked: $install_line" >&2; exit 1 ;;
esac

# An empty target folder of the clone's own, whatever the caller's environment says.
unset CARGO_TARGET_DIR CARGO_BUILD_TARGET_DIR
export CARGO_TERM_COLOR=never
cargo fetch --locked --quiet

timings=()
[[ -n "${FIRST_RUN_TIMINGS:-}" ]] && timings=(--timings)
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/time -f '%e %U %S' -o "$work/time" \
  cargo run --release "${timings[@]}" -- run scripts/screen_pop.rhai >"$work/run.out" 2>"$work/build.err" || {
  tail -30 "$work/build.err" >&2; echo "first_run: the README's first command failed" >&2; exit 1; }
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
read -r wall user sys <"$work/time"
if [[ -n "${FIRST_RUN_TIMINGS:-}" ]]; then
  mkdir -p "$FIRST_RUN_TIMINGS"
  cp target/cargo-timings/cargo-timing.html "$FIRST_RUN_TIMINGS/cargo-timing-$(git rev-parse --short HEAD).html"
fi

bin=target/release/ecapi
size=$(stat -c %s "$bin")
awk -v w="$wall" -v u="$user" -v s="$sys" -v b="$size" 'BEGIN {
  printf "wall time: %d min %02d s (%.1f s)\n", int(w / 60), w % 60, w
  printf "CPU time:  %.1f s (user %.1f s + system %.1f s), %.2f cores busy on average\n", u + s, u, s, (u + s) / w
  printf "binary:    %.1f MB (%d bytes)\n", b / 1e6, b
}'
echo "load average before: $load_before; after: $load_after (1, 5, 15 min)"
grep -q . "$work/run.out" || { echo "first_run: the run printed nothing" >&2; exit 1; }

# A release panic names its line. After the timed run, the clone's src/main.rs (and only it: the
# library and the dependencies are not rebuilt) gets a panic at the start of `main`, under an
# environment variable; the rebuilt release binary must name src/main.rs and that line in its
# backtrace with RUST_BACKTRACE=1. (An example program would not do: examples bring in the
# dev-dependencies, whose features would rebuild half the dependencies.)
line=$(grep -n '^fn main()' src/main.rs | cut -d: -f1)
[[ -n "$line" ]] || { echo "first_run: no 'fn main()' in src/main.rs" >&2; exit 1; }
sed -i "${line}a\\    if std::env::var_os(\"FIRST_RUN_PANIC\").is_some() { panic!(\"a release panic\") }" src/main.rs
panic_line=$((line + 1))
cargo build --release --quiet 2>>"$work/build.err"
trace="$(FIRST_RUN_PANIC=1 RUST_BACKTRACE=1 "$bin" 2>&1 || true)"
git checkout --quiet src/main.rs
if grep -qE "^ +at \.?/?src/main\.rs:$panic_line:" <<<"$trace"; then
  echo "release backtrace: names $(grep -oE "src/main\.rs:$panic_line:[0-9]+" <<<"$trace" | tail -1)"
else
  echo "$trace" >&2
  echo "first_run: a release panic's backtrace does not name src/main.rs:$panic_line" >&2
  exit 1
fi
# The library's own line tables: `ecapi::cli::main` resolves to a line of src/cli/.
if command -v addr2line >/dev/null 2>&1 && command -v nm >/dev/null 2>&1; then
  nm -C "$bin" >"$work/symbols"
  addr="$(awk '$3 == "ecapi::cli::main" { print $1 }' "$work/symbols" | head -1)"
  if [[ -n "$addr" ]]; then
    where="$(addr2line -e "$bin" "0x$addr")"
    case "$where" in
      *src/cli/*.rs:[0-9]*) echo "ecapi::cli::main at src/cli/${where##*/src/cli/}" ;;
      *) echo "first_run: ecapi::cli::main resolves to '$where', not a line of src/cli/" >&2; exit 1 ;;
    esac
  fi
fi
