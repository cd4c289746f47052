#!/usr/bin/env bash
# A rollout run in 3 slices side by side (hosts[k::3] of the inventory sorted by name, as AWX job slicing splits
# it), each slice named after its AWX job, and the slices' reports merged with emnify.iot.sms_rollout_report: the
# merged report must equal a single run's device by device, and the slices together must send exactly the single
# run's parts.
#
# ansible-test gives a runme.sh target no variables: it copies tests/integration/integration_config.yml
# two levels above the target's working directory. EMNIFY_INTEGRATION_CONFIG overrides where it is looked for.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
config=${EMNIFY_INTEGRATION_CONFIG:-}
if [ -z "$config" ]; then
    for candidate in "$PWD/../../integration_config.yml" "$here/../../integration_config.yml"; do
        if [ -f "$candidate" ]; then
            config=$(cd "$(dirname "$candidate")" && pwd)/integration_config.yml
            break
        fi
    done
fi
if [ -z "$config" ] || [ ! -f "$config" ]; then
    echo "role_sms_provisioning_slices: tests/integration/integration_config.yml not found (set EMNIFY_INTEGRATION_CONFIG)" >&2
    exit 1
fi

# The Python that runs ansible-playbook (ansible-test puts its interpreter first in PATH as `python`) runs the modules.
python=$(command -v python || command -v python3)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
play() {
    ansible-playbook -c local -e "ansible_python_interpreter=$python" -e "@$config" -e "work=$work" "$@"
}

# The inventories: the whole fleet, and slice k of 3 as AWX makes it (hosts sorted by name, every third from k).
hosts=()
for number in $(seq 1 21); do
    hosts+=("$(printf 'device-%04d emnify_endpoint_id=%d' "$number" $((11380000 + number)))")
done
printf '%s\n' "${hosts[@]}" > "$work/all.ini"
for slice in 0 1 2; do
    printf '%s\n' "${hosts[@]}" | sort | awk -v k=$slice '(NR - 1) % 3 == k' > "$work/slice-$slice.ini"
done

# A slice name that cannot name a file is refused before any request, naming the variable.
play -i localhost, "$here/reset.yml"
if play -i "$work/all.ini" "$here/rollout.yml" -e report_dir="$work/bad" -e sms_provisioning_report_slice="a/b" > "$work/bad.log" 2>&1; then
    echo "role_sms_provisioning_slices: the slice name a/b was accepted" >&2
    exit 1
fi
grep -q 'sms_provisioning_report_slice must be letters, digits' "$work/bad.log" || {
    cat "$work/bad.log" >&2
    echo "role_sms_provisioning_slices: the refusal does not name sms_provisioning_report_slice" >&2
    exit 1
}
play -i localhost, "$here/count.yml" -e count_file="$work/bad-count.json"

# One run of the whole rollout, on a fresh simulator.
play -i localhost, "$here/reset.yml"
play -i "$work/all.ini" "$here/rollout.yml" -e report_dir="$work/single" -e sms_provisioning_report_slice=all
play -i localhost, "$here/count.yml" -e count_file="$work/single-count.json"

# The same rollout in 3 slices at once, on a fresh simulator; each slice is an AWX job of one workflow.
play -i localhost, "$here/reset.yml"
pids=()
for slice in 0 1 2; do
    play -i "$work/slice-$slice.ini" "$here/rollout.yml" -e report_dir="$work/sliced" \
        -e awx_workflow_job_id=7 -e awx_job_id=$((100 + slice)) > "$work/slice-$slice.log" 2>&1 &
    pids+=($!)
done
status=0
for number in 0 1 2; do
    if ! wait "${pids[$number]}"; then
        echo "role_sms_provisioning_slices: slice $number failed:" >&2
        cat "$work/slice-$number.log" >&2
        status=1
    fi
done
[ "$status" -eq 0 ] || exit 1
play -i localhost, "$here/count.yml" -e count_file="$work/sliced-count.json"

play -i localhost, "$here/compare.yml"
