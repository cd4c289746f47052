#!/usr/bin/env bash
# 200 devices in 3 waves (20, up to 50 %, all) on a simulator of its own with 280 endpoints (the shared one has 60):
# a fault rule refuses every SMS to 32 of the 80 devices of wave 2 (40 %), so the rollout must halt after wave 2,
# send nothing to wave 3, fail the task and name the wave in its report.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)

# The collection: ansible-test sets ANSIBLE_COLLECTIONS_PATH to the directory holding ansible_collections/.
collection=""
IFS=: read -r -a roots <<< "${ANSIBLE_COLLECTIONS_PATH:-}"
for root in "${roots[@]}"; do
    if [ -n "$root" ] && [ -f "$root/ansible_collections/emnify/iot/emnify_sim/__main__.py" ]; then
        collection="$root/ansible_collections/emnify/iot"
        break
    fi
done
if [ -z "$collection" ]; then
    dir=$here
    while [ "$dir" != / ] && [ ! -f "$dir/emnify_sim/__main__.py" ]; do dir=$(dirname "$dir"); done
    [ -f "$dir/emnify_sim/__main__.py" ] && collection=$dir
fi
[ -n "$collection" ] || { echo "role_sms_provisioning_waves: cannot find the simulator (emnify_sim/)" >&2; exit 1; }

# The Python that runs ansible-playbook (ansible-test puts its interpreter first in PATH as `python`) runs the modules.
python=$(command -v python || command -v python3)
work=$(mktemp -d)
simulator() {
    PYTHONPATH="$collection" "$python" -m emnify_sim "$@"
}
cleanup() {
    simulator stop "$work/sim" >/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# 280 endpoints hold 208 that take SMS and are online (the simulator's fleet rules: index % 10 == 0 is offline,
# index % 25 in 11..14 refuses SMS); SMS are delivered at once. Rate limits are not the subject here.
simulator start "$work/sim" --endpoints 280 --delivery-seconds 0 --no-rate-limit --lifetime 300 --quiet \
    || { echo "role_sms_provisioning_waves: the simulator did not start" >&2; exit 1; }

# The first 200 of them, by the fleet rules; the endpoint id is 11380000 + index.
"$python" -c '
import json, sys
indexes = [i for i in range(1, 281) if i % 10 != 0 and i % 25 not in (11, 12, 13, 14)][:200]
json.dump({"devices": [{"id": 11380000 + i} for i in indexes]}, open(sys.argv[1], "w"))
' "$work/devices.json"

ansible-playbook -i localhost, -c local -e "ansible_python_interpreter=$python" \
    -e "sim_url=$(cat "$work/sim/url")" -e "sim_token=$(cat "$work/sim/token")" -e "report_dir=$work/report" -e "@$work/devices.json" \
    "$here/waves.yml" "$@"
