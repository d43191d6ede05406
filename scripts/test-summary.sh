#!/usr/bin/env bash
# Prints the XCTest totals of a `swift test` log as one closing line: "N passed, N skipped, N failed".
# The totals line reads "Executed N tests, with [K tests skipped and ]F failures".
set -euo pipefail
line=$(grep -E "Executed [0-9]+ tests?, with ([0-9]+ tests? skipped and )?[0-9]+ failures?" "$1" | tail -1)
total=$(sed -E 's/.*Executed ([0-9]+) tests?.*/\1/' <<<"$line")
failed=$(sed -E 's/.* ([0-9]+) failures?.*/\1/' <<<"$line")
skipped=0
if [[ $line =~ ([0-9]+)\ tests?\ skipped ]]; then skipped=${BASH_REMATCH[1]}; fi
echo "tests: $((total - failed - skipped)) passed, $skipped skipped, $failed failed"
