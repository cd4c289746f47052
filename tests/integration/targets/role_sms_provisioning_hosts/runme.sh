#!/usr/bin/env bash
# The sms_provisioning role with sms_provisioning_devices_from_hosts: a play on inventory hosts of the
# emnify.iot.endpoints inventory (plus a static host without an endpoint id) plans, then rolls out once on the
# controller for all its hosts, and sends exactly the planned parts (counted by the simulator); rollout.yml checks it.
#
# ansible-test gives a runme.sh target no variables: it copies tests/integration/integration_config.yml two levels
# above the target's working directory. EMNIFY_INTEGRATION_CONFIG overrides where the file is looked for.
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
    echo "role_sms_provisioning_hosts: tests/integration/integration_config.yml not found (set EMNIFY_INTEGRATION_CONFIG)" >&2
    exit 1
fi
value() {
    sed -n "s/^$1: *//p" "$config" | head -1 | sed "s/^[\"']//; s/[\"']\$//"
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 0700 "$work"

# The devices: the trackers of the simulator's first 40 that can receive SMS, in the group rollout; the static
# host stray joins that group without an endpoint id.
cat > "$work/fleet.emnify.yml" <<YAML
plugin: emnify.iot.endpoints
name_pattern: "device-00[0-3]?"
groups:
  rollout: emnify_sms_ready and 'tracker' in emnify_tags
compose:
  apn: "'iot-' ~ emnify_endpoint_id ~ '.example.net'"
YAML
printf '[rollout]\nstray\n' > "$work/stray.ini"
printf 'localhost ansible_connection=local ansible_python_interpreter=%s\n' "$(command -v python || command -v python3)" > "$work/localhost.ini"

EMNIFY_API_URL=$(value emnify_api_url) EMNIFY_APPLICATION_TOKEN=$(value emnify_application_token) \
EMNIFY_TOKEN_CACHE_DIR="$work/tokens" ANSIBLE_INVENTORY_UNPARSED_FAILED=true \
    ansible-playbook -i "$work/localhost.ini" -i "$work/fleet.emnify.yml" -i "$work/stray.ini" "$here/rollout.yml" \
    -e "@$config" -e "report_dir=$work/reports" "$@"
