#!/usr/bin/env bash
# Runs a libFuzzer harness of Fuzz/ for a bounded time.
#
#   scripts/fuzz/run.sh TARGET SECONDS      TARGET: safetensors pickle onnx model-card config png label-table
#                                           source-table, or all
#
# Builds the harnesses with -sanitize=fuzzer,address into .build-fuzz (separate from the normal
# build; FUZZ_NO_BUILD=1 skips the build), seeds Fuzz/corpus/TARGET from fixtures/
# (scripts/fuzz/seeds.py), then fuzzes with one job. Crashing inputs go to Fuzz/crashes/, the
# fuzzer's log to Fuzz/logs/TARGET.log; the last line printed per target is
#   TARGET: N executions in S s, K crashes
# and the exit status is non-zero when any target crashed. Every run is bounded three ways:
# -max_total_time, a per-input -timeout, -rss_limit_mb, and an outer `timeout -s KILL` in case
# the fuzzer itself does not come back after a crash.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TARGETS=(safetensors pickle onnx model-card config png label-table source-table)

usage() { echo "usage: $0 {${TARGETS[*]}|all} SECONDS" >&2; exit 64; }
[[ $# -eq 2 && "$2" =~ ^[0-9]+$ && "$2" -gt 0 ]] || usage
if [[ "$1" == all ]]; then selected=("${TARGETS[@]}")
elif [[ " ${TARGETS[*]} " == *" $1 "* ]]; then selected=("$1")
else usage
fi
seconds="$2"

SCRATCH="$ROOT/.build-fuzz"
# Release by default (optimised code runs roughly ten times more inputs a second);
# FUZZ_CONFIGURATION=debug for a quicker build.
BUILD=(swift build --package-path "$ROOT/Fuzz" --scratch-path "$SCRATCH" -c "${FUZZ_CONFIGURATION:-release}")
if [[ "${FUZZ_NO_BUILD:-0}" != 1 ]]; then
  # One -sanitize list: a later -sanitize=address alone would replace the fuzzer's coverage
  # instrumentation (which is why SwiftPM's --sanitize flags are not used). lld: gold stops with
  # an internal error linking the instrumented harnesses. -enable-testing: the label-table
  # and source-table harnesses reach internal types.
  "${BUILD[@]}" -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld -Xswiftc -enable-testing
fi
BIN="$("${BUILD[@]}" --show-bin-path)"

mkdir -p "$ROOT/Fuzz/corpus" "$ROOT/Fuzz/crashes" "$ROOT/Fuzz/logs"
python3 "$ROOT/scripts/fuzz/seeds.py" "$ROOT/Fuzz/corpus" "${selected[@]}"

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=1:handle_abort=1}"
# Swift's runtime starts its own backtracer (swift-backtrace) on a crash; killed with the fuzzer,
# it kept the output pipe open for minutes. libFuzzer and AddressSanitizer report crashes anyway.
export SWIFT_BACKTRACE=enable=no
failed=0
for t in "${selected[@]}"; do
  log="$ROOT/Fuzz/logs/$t.log"
  status=0
  # -jobs=1 runs the fuzzing in a child process whose output goes to fuzz-0.log in the current
  # folder (one per target, so that two targets can run at once).
  work="$ROOT/Fuzz/logs/$t"
  mkdir -p "$work"
  (cd "$work" && rm -f fuzz-0.log && \
   timeout -s KILL $((seconds + 120)) "$BIN/fuzz-$t" "$ROOT/Fuzz/corpus/$t" \
     -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 -jobs=1 \
     -max_len=65536 -print_final_stats=1 -artifact_prefix="$ROOT/Fuzz/crashes/$t-" >/dev/null 2>&1) || status=$?
  mv -f "$work/fuzz-0.log" "$log" 2>/dev/null || true
  # (A crashed run prints no final statistics: the last progress line gives the count.)
  runs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" 2>/dev/null | grep -o '[0-9]*$' | tail -1 || true)"
  [[ -n "$runs" ]] || runs="$(grep -o '^#[0-9]*' "$log" 2>/dev/null | tail -1 | tr -d '#' || true)"
  took="$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" 2>/dev/null | grep -o 'in [0-9]*' | grep -o '[0-9]*' | tail -1 || true)"
  crashes="$(grep -c 'Test unit written to' "$log" 2>/dev/null || true)"
  if [[ "$status" -ne 0 || "${crashes:-0}" -ne 0 ]]; then failed=1; fi
  echo "$t: ${runs:-0} executions in ${took:-$seconds} s, ${crashes:-0} crashes (exit $status, log $log)"
  grep -m3 'Test unit written to\|SUMMARY\|==ERROR' "$log" 2>/dev/null | sed 's/^/  /' || true
done
exit "$failed"
