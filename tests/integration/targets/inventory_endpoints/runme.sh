#!/usr/bin/env bash
# The inventory plugin emnify.iot.endpoints with the real ansible-inventory (--list, --graph, --host) against a
# simulator of its own with 2,100 endpoints (three pages of the endpoint list): every endpoint with the documented
# variables, keyed groups by tag and status, the filters, a cached run without a request, and configuration errors
# (an unknown option, no token, an unreachable URL) that fail with a message naming the option. check.py does the
# runs and the comparisons with the simulator's own view of its fleet.
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
[ -n "$collection" ] || { echo "inventory_endpoints: cannot find the simulator (emnify_sim/)" >&2; exit 1; }

# The Python that runs ansible-inventory (ansible-test puts its interpreter first in PATH as `python`).
python=$(command -v python || command -v python3)

work=$(mktemp -d)
chmod 0700 "$work"
simulator() {
    PYTHONPATH="$collection" "$python" -m emnify_sim "$@"
}
cleanup() {
    simulator stop "$work/sim" >/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# A simulator of its own (random token, free port, stops by itself after 600 s).
simulator start "$work/sim" --host 127.0.0.1 --endpoints 2100 --seed 7 --lifetime 600 --quiet \
    || { echo "inventory_endpoints: the simulator did not start" >&2; exit 1; }

# Connection settings of the caller must not change what is tested.
env -u EMNIFY_APPLICATION_TOKEN -u EMNIFY_API_URL -u EMNIFY_TOKEN_CACHE_DIR -u EMNIFY_TOKEN_CACHE -u EMNIFY_CA_PATH \
    -u EMNIFY_VALIDATE_CERTS -u EMNIFY_RATE_LIMIT_REQUESTS -u EMNIFY_RATE_LIMIT_WINDOW -u ANSIBLE_INVENTORY \
    "$python" "$here/check.py" "$(cat "$work/sim/url")" "$(cat "$work/sim/token")" "$work"
