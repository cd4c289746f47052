#!/usr/bin/env bash
# Run the integration targets with one ansible-core version against one simulator.
#
#   hack/run-integration.sh CORE_VERSION [TARGET...] [-- ANSIBLE_TEST_ARGS...]
#
# ansible-test passes no environment variables through to targets, so this script starts one
# simulator (`python3 -m emnify_sim start` from the collection copy: 127.0.0.1, random port and token,
# bounded lifetime) and writes
# tests/integration/integration_config.yml in the collection copy; ansible-test hands its keys to
# every target as extra variables:
#   emnify_api_url            base URL of the simulated REST API (requests go to <url>/api/v1/...)
#   emnify_application_token  application token the simulator accepts
#   emnify_simulator_url      same base URL; the admin API is under <url>/_simulator
# Targets reset the simulator (POST <emnify_simulator_url>/_simulator/reset) at their start.
# The simulator is stopped by its pid on exit.
set -euo pipefail

core=${1:?usage: run-integration.sh CORE_VERSION [TARGET...]}
shift
root=$(cd "$(dirname "$0")/.." && pwd)
copy="$root/build/collections/ansible_collections/emnify/iot"
targets_dir="$copy/tests/integration/targets"

targets=$(find "$targets_dir" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | sort)
if [ -z "$targets" ]; then
    echo "no integration targets"
    exit 77
fi
if [ ! -f "$copy/emnify_sim/__main__.py" ]; then
    echo "integration targets exist but the simulator (emnify_sim/) does not" >&2
    exit 1
fi

state="$root/build/sim/integration-$core"
config="$copy/tests/integration/integration_config.yml"
cleanup() {
    rm -f "$config"
    PYTHONPATH="$copy" "$root/build/tools-venv/bin/python" -m emnify_sim stop "$state" || true
}
trap cleanup EXIT

# EMNIFY_SIM_ARGS holds extra simulator options separated by spaces.
read -r -a sim_args <<< "${EMNIFY_SIM_ARGS:-}"
PYTHONPATH="$copy" "$root/build/tools-venv/bin/python" -m emnify_sim start "$state" \
    --endpoints 60 --seed 1 --lifetime "${EMNIFY_SIM_LIFETIME:-3000}" "${sim_args[@]}"
url=$(cat "$state/url")
token=$(cat "$state/token")
cat > "$config" <<YAML
---
emnify_api_url: "$url"
emnify_application_token: "$token"
emnify_simulator_url: "$url"
YAML

"$root/hack/ansible-test.sh" "$core" integration --continue-on-error "$@"
