#!/usr/bin/env bash
# Runs each libFuzzer target for SECONDS (default 60) and fails on the first
# crash, leak, timeout or out-of-memory. Used by `make test-fuzz`:
#   tests/fuzz/run_fuzzers.sh BUILD_DIR [SECONDS] [DICOM_FIXTURES_DIR]
# Corpora grow in BUILD_DIR/corpus/<target> across runs (not committed); seeds
# are regenerated each run by cxr_fuzz_seeds into BUILD_DIR/seeds; DICOM
# fixtures (from the native build, when present) seed the DICOM, image and
# classify targets. A crashing input is kept as BUILD_DIR/artifacts/<target>-*:
# turn it into a regression test in tests/test_*.cpp (a hex literal or code).
set -euo pipefail
build=${1:?usage: run_fuzzers.sh BUILD_DIR [SECONDS] [DICOM_FIXTURES_DIR]}
seconds=${2:-60}
fixtures=${3:-}
bin=$build/tests/fuzz
seeds=$build/seeds
rm -rf "$seeds"
mkdir -p "$seeds"/{image,model,dicom,small-dicom,site} "$build"/artifacts "$build"/logs
"$bin"/cxr_fuzz_seeds "$seeds"
if [ -n "$fixtures" ] && [ -d "$fixtures" ]; then
  cp "$fixtures"/*.dcm "$seeds"/dicom/ 2>/dev/null || true
  # Only the small ones for decode and classify: libFuzzer's input length limit
  # starts at the largest seed, and 100 KB inputs slow every mutation.
  find "$fixtures" -maxdepth 1 -name '*.dcm' -size -16k -exec cp {} "$seeds"/small-dicom/ \;
else
  echo "run_fuzzers.sh: no DICOM fixtures (build the native tests first); DICOM seeds skipped"
fi

status=0
run() {
  local target=$1; shift
  mkdir -p "$build/corpus/$target"
  local log=$build/logs/$target.log
  echo "fuzz: cxr_fuzz_$target for ${seconds}s (log: $log)"
  if ! "$bin/cxr_fuzz_$target" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
       -print_final_stats=1 -artifact_prefix="$build/artifacts/$target-" \
       "$build/corpus/$target" "$@" > "$log" 2>&1; then
    echo "fuzz: cxr_fuzz_$target FAILED; the end of its log:"
    tail -n 60 "$log"
    status=1
  fi
  grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$log" | tr '\n' ' ' || true
  echo
}
run dicom "$seeds"/dicom
run image "$seeds"/image "$seeds"/small-dicom
run model "$seeds"/model
run classify "$seeds"/image "$seeds"/small-dicom
run site_record "$seeds"/site
exit $status
