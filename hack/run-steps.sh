#!/usr/bin/env bash
# Run several make targets one after the other, keep going when one fails, and summarise.
#
#   hack/run-steps.sh TARGET [TARGET...]
#
# Each target's output is shown as it runs and kept in build/logs/TARGET.log. At the end a table
# lists every target with its result and duration, followed by the line "N passed, M failed".
# The exit status is 1 when any target failed, 0 otherwise.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
logs="$root/build/logs"
mkdir -p "$logs"
make=${MAKE:-make}

passed=0
failed=0
summary=()
started=$(date +%s)

for target in "$@"; do
    log="$logs/$target.log"
    echo
    echo "=== $target"
    begin=$(date +%s)
    "$make" --no-print-directory -C "$root" "$target" 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    seconds=$(( $(date +%s) - begin ))
    if [ "$status" -eq 0 ]; then
        passed=$((passed + 1))
        result=passed
    else
        failed=$((failed + 1))
        result="FAILED (exit $status)"
    fi
    echo "=== $target: $result in ${seconds}s (log: ${log#"$root"/})"
    summary+=("$(printf '%-18s %-18s %6ss' "$target" "$result" "$seconds")")
done

echo
echo "=== summary ($(( $(date +%s) - started ))s)"
for line in "${summary[@]}"; do
    echo "  $line"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
