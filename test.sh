#!/usr/bin/env bash
# Runs the whole test suite (the README's test command) and ends with one summary line,
# "N passed, N failed, N skipped". Extra arguments go to `dotnet test` (e.g. --filter Name~Parity).
#
# Known open defect: about one suite run in seven here, the test host dies from native code (libtorch)
# with "Test host process crashed", every test before it having passed. The suite runs with --blame,
# so when that happens this script prints the test that was running, then runs the suite ONCE
# more; a second crash, or any failed test, still fails. Test failures are never retried.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$root"
log=$(mktemp)
blame=$(mktemp -d)
trap 'rm -rf "$log" "$blame"' EXIT

run_suite() {
  dotnet test Acclimate.sln -c Release -nologo --blame --results-directory "$blame" "$@" 2>&1 | tee "$log"
  return "${PIPESTATUS[0]}"
}

run_suite "$@"
status=$?
if [ "$status" -ne 0 ] && grep -q "Test host process crashed" "$log" && ! grep -qE "Failed: +[1-9]" "$log"; then
  echo "test.sh: the test host crashed from native code (known open defect). Last tests started:"
  find "$blame" -name 'Sequence_*.xml' -exec grep -o 'Name="[^"]*"' {} + | tail -n 3 | sed 's/^/  /'
  echo "test.sh: running the whole suite once more."
  rm -rf "${blame:?}"/*
  run_suite "$@"
  status=$?
fi

summary=$(grep -E 'Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+' "$log" | tail -n1)
if [ -n "$summary" ]; then
  failed=$(sed -E 's/.*Failed: +([0-9]+),.*/\1/' <<<"$summary")
  passed=$(sed -E 's/.*Passed: +([0-9]+),.*/\1/' <<<"$summary")
  skipped=$(sed -E 's/.*Skipped: +([0-9]+),.*/\1/' <<<"$summary")
  echo "$passed passed, $failed failed, $skipped skipped"
fi
exit "$status"
