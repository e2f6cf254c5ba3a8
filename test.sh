#!/usr/bin/env bash
# Runs the whole test suite (the README's test command) and ends with one summary line,
# "N passed, N failed, N skipped". Extra arguments go to `dotnet test` (e.g. --filter Name~Parity).
# --blame makes a crash of the test host name the test that was running; nothing is retried.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$root"
log=$(mktemp)
blame=$(mktemp -d)
trap 'rm -rf "$log" "$blame"' EXIT

dotnet test Acclimate.sln -c Release -nologo --blame --results-directory "$blame" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

if grep -q "Test host process crashed" "$log"; then
  echo "test.sh: the test host crashed. Last tests started:"
  find "$blame" -name 'Sequence_*.xml' -exec grep -o 'Name="[^"]*"' {} + | tail -n 3 | sed 's/^/  /'
fi
summary=$(grep -E 'Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+' "$log" | tail -n1)
if [ -n "$summary" ]; then
  failed=$(sed -E 's/.*Failed: +([0-9]+),.*/\1/' <<<"$summary")
  passed=$(sed -E 's/.*Passed: +([0-9]+),.*/\1/' <<<"$summary")
  skipped=$(sed -E 's/.*Skipped: +([0-9]+),.*/\1/' <<<"$summary")
  # A crashed host still prints the counts of the tests that finished; it is a failure all the same.
  if [ "$status" -ne 0 ] && [ "$failed" = 0 ]; then failed=1; fi
  echo "$passed passed, $failed failed, $skipped skipped"
fi
exit "$status"
