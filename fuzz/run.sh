#!/usr/bin/env bash
# Builds the fuzz targets with libFuzzer's coverage instrumentation (what
# `cargo fuzz build -s none` passes, on stable rustc, without cargo-fuzz) and
# runs each for FUZZ_SECONDS. Usage: fuzz/run.sh [target...]  (default: all)
set -euo pipefail
cd "$(dirname "$0")"

FUZZ_SECONDS=${FUZZ_SECONDS:-60}
export CARGO_TARGET_DIR=${FUZZ_TARGET_DIR:-$PWD/target}
HOST=$(rustc -vV | sed -n 's/^host: //p')

# libfuzzer-sys compiles libFuzzer (C++) with the cc crate: Debian's g++ is the
# smaller cold install (clang pulls in LLVM, several times the download).
if ! command -v c++ >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq g++ >/dev/null
fi

# --target keeps the instrumentation off build scripts and proc macros.
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions -Coverflow-checks"
cargo build --release --locked --target "$HOST" --bins

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(ls fuzz_targets | sed 's/\.rs$//')
fi

status=0
printf '%-14s %12s %8s %8s\n' target execs cov ft
for t in "${targets[@]}"; do
  work="$CARGO_TARGET_DIR/corpus/$t" artifacts="$CARGO_TARGET_DIR/artifacts/$t"
  mkdir -p "$work" "$artifacts" "corpus/$t"
  log="$CARGO_TARGET_DIR/$t.log"
  # New inputs go to the work corpus; the committed seeds (second dir) are only read.
  if ! "$CARGO_TARGET_DIR/$HOST/release/$t" -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 \
      -artifact_prefix="$artifacts/" -max_len=4096 "$work" "corpus/$t" >"$log" 2>&1; then
    status=1
    echo "$t: FAILED, see $log and $artifacts/" >&2
    tail -n 30 "$log" >&2
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  last=$(grep -aE '^#[0-9]+' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  printf '%-14s %12s %8s %8s\n' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}"
done
exit $status
