#!/usr/bin/env bash
# Prints the XCTest totals of a `swift test` log as one closing line: "N passed, N failed".
set -euo pipefail
line=$(grep -E "Executed [0-9]+ tests?, with [0-9]+ failures?" "$1" | tail -1)
total=$(sed -E 's/.*Executed ([0-9]+) tests?.*/\1/' <<<"$line")
failed=$(sed -E 's/.*with ([0-9]+) failures?.*/\1/' <<<"$line")
echo "tests: $((total - failed)) passed, $failed failed"
