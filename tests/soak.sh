#!/usr/bin/env bash
# Runs the whole suite N times in a row (default 20) on one build and counts the runs that passed.
# Any failed test or test-host crash makes a run fail; the log of each failed run is kept and named.
# Example: tests/soak.sh 20; MALLOC_PERTURB_=165 tests/soak.sh 5 (glibc fills freed and new blocks
# with a byte pattern, so reads of freed or uninitialised memory show at once).
# The last line is "N passed, N failed" (runs, not tests).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
runs=${1:-20}
logs=$(mktemp -d)
dotnet build Acclimate.sln -c Release -nologo -v q >"$logs/build.log" 2>&1 || { cat "$logs/build.log"; echo "0 passed, $runs failed"; exit 1; }
passed=0 failed=0
for i in $(seq 1 "$runs"); do
  start=$SECONDS
  if dotnet test Acclimate.sln -c Release --no-build -nologo --blame --results-directory "$logs/blame-$i" >"$logs/run-$i.log" 2>&1; then
    passed=$((passed + 1)); verdict=passed
  else
    failed=$((failed + 1)); verdict="FAILED (log: $logs/run-$i.log)"
  fi
  counts=$(grep -E 'Failed: +[0-9]+, Passed: +[0-9]+' "$logs/run-$i.log" | tail -n1 | sed -E 's/^.*(Failed: [^-]*)-.*$/\1/')
  echo "run $i/$runs: $verdict in $((SECONDS - start)) s; $counts"
  [ "$verdict" = passed ] && rm -rf "$logs/run-$i.log" "$logs/blame-$i"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
