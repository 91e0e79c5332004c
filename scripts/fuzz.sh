#!/usr/bin/env bash
# Fuzz every channel adapter's payload parser (fuzz/fuzz_targets/*.rs) for a bounded time each,
# seeded with the official payloads in tests/fixtures/. Writes reports/fuzz.md: executions,
# corpus size and findings per target (docs/BENCHMARKS.md records a run). A crash leaves its
# input under fuzz/artifacts/<target>/ and makes this script exit 1.
# Usage: scripts/fuzz.sh [seconds per target, default 60] [targets...]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(x facebook slack telegram mastodon api)
# cargo-fuzz passes -Z flags; the stable toolchain accepts them with RUSTC_BOOTSTRAP.
export RUSTC_BOOTSTRAP=1
out=reports/fuzz.md
mkdir -p reports
echo "| target | seconds | executions | exec/s | corpus | findings |" >"$out"
echo "|---|---|---|---|---|---|" >>"$out"
failed=0
for t in "${targets[@]}"; do
  corpus=fuzz/corpus/$t
  mkdir -p "$corpus" "fuzz/artifacts/$t"
  fixtures=tests/fixtures/$t
  [ "$t" = api ] && fixtures=tests/fixtures/api
  if [ -d "$fixtures" ]; then
    find "$fixtures" -name '*.json' -size -64k -exec cp {} "$corpus/" \;
  fi
  log=$(mktemp)
  set +e
  cargo fuzz run --sanitizer none "$t" "$corpus" -- \
    -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 \
    -artifact_prefix="fuzz/artifacts/$t/" >"$log" 2>&1
  rc=$?
  set -e
  runs=$(grep -oE 'Done [0-9]+ runs' "$log" | grep -oE '[0-9]+' | tail -1 || true)
  if [ -z "$runs" ]; then
    runs=$(grep -oE '#[0-9]+' "$log" | tail -1 | tr -d '#' || true)
  fi
  findings=$(find "fuzz/artifacts/$t" -type f | wc -l)
  size=$(find "$corpus" -type f | wc -l)
  rate=$(( ${runs:-0} / secs ))
  echo "| $t | $secs | ${runs:-?} | $rate | $size | $findings |" >>"$out"
  if [ $rc -ne 0 ] || [ "$findings" -gt 0 ]; then
    failed=1
    echo "fuzz target $t failed (exit $rc); log:" >&2
    tail -40 "$log" >&2
  fi
  rm -f "$log"
done
cat "$out"
exit $failed
