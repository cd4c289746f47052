#!/usr/bin/env bash
# Run one command while an emnify API simulator is up, then stop the simulator.
#
#   hack/with-simulator.sh NAME COMMAND [ARGS...]
#
# The simulator (`python3 -m emnify_sim start`, from this checkout) listens on 127.0.0.1 with a free
# port and a random application token, and exits by itself after EMNIFY_SIM_LIFETIME seconds
# (default 1800) whatever happens here. Its state (pid, url, token, env, log) is kept in build/sim/NAME.
# COMMAND runs with these variables set:
#   EMNIFY_API_URL            base URL of the simulator (REST API under /api/v1)
#   EMNIFY_APPLICATION_TOKEN  the application token it accepts
#   EMNIFY_SIM_PID            its process id
# Extra simulator options can be given in EMNIFY_SIM_ARGS (e.g. "--latency-ms 50"), the fleet size in
# EMNIFY_SIM_ENDPOINTS (default 60). On exit the simulator is stopped by its pid; the exit status is the command's.
set -euo pipefail

name=${1:?usage: with-simulator.sh NAME COMMAND [ARGS...]}
shift
[ $# -gt 0 ] || { echo "usage: with-simulator.sh NAME COMMAND [ARGS...]" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
python="$root/build/tools-venv/bin/python"
[ -x "$python" ] || python=python3
state="$root/build/sim/$name"

# shellcheck disable=SC2329  # called by the EXIT trap
stop() {
    PYTHONPATH="$root" "$python" -m emnify_sim stop "$state" || true
}
trap stop EXIT

# EMNIFY_SIM_ARGS holds extra simulator options separated by spaces.
read -r -a sim_args <<< "${EMNIFY_SIM_ARGS:-}"
PYTHONPATH="$root" "$python" -m emnify_sim start "$state" \
    --endpoints "${EMNIFY_SIM_ENDPOINTS:-60}" --seed 1 --lifetime "${EMNIFY_SIM_LIFETIME:-1800}" "${sim_args[@]}"

EMNIFY_API_URL=$(cat "$state/url")
EMNIFY_APPLICATION_TOKEN=$(cat "$state/token")
EMNIFY_SIM_PID=$(cat "$state/pid")
export EMNIFY_API_URL EMNIFY_APPLICATION_TOKEN EMNIFY_SIM_PID

status=0
"$@" || status=$?
exit "$status"
