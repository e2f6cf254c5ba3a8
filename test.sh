#!/usr/bin/env bash
# Runs the whole test suite (the README's test command) and ends with one summary line,
# "N passed, N failed, N skipped". Extra arguments go to `dotnet test` (e.g. --filter Name~Parity).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$root"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
dotnet test Acclimate.sln -c Release -nologo "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
summary=$(grep -E 'Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+' "$log" | tail -n1)
if [ -n "$summary" ]; then
  failed=$(sed -E 's/.*Failed: +([0-9]+),.*/\1/' <<<"$summary")
  passed=$(sed -E 's/.*Passed: +([0-9]+),.*/\1/' <<<"$summary")
  skipped=$(sed -E 's/.*Skipped: +([0-9]+),.*/\1/' <<<"$summary")
  echo "$passed passed, $failed failed, $skipped skipped"
fi
exit "$status"
