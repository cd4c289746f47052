#!/usr/bin/env bash
# Secrets never reach the output: runs playbooks with -vvv, with ANSIBLE_DEBUG, in failing runs and in
# check mode, captures everything they print and log, and looks for the application token, any JWT,
# an Authorization header value and a payload the user asked to hide. Then checks the token cache.
#
# ansible-test gives a runme.sh target no variables: it copies tests/integration/integration_config.yml
# two levels above the target's working directory and passes only verbosity flags as arguments (and
# `-e @file` for cloud plugins). EMNIFY_INTEGRATION_CONFIG overrides where the file is looked for.
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
    echo "security_secrets: tests/integration/integration_config.yml not found (set EMNIFY_INTEGRATION_CONFIG)" >&2
    exit 1
fi

value() {
    sed -n "s/^$1: *//p" "$config" | head -1 | sed "s/^[\"']//; s/[\"']\$//"
}
token=$(value emnify_application_token)
[ -n "$token" ] || { echo "security_secrets: no emnify_application_token in $config" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 0700 "$work"

inventory=${INVENTORY_PATH:-}
if [ -z "$inventory" ]; then
    inventory="$work/inventory"
    echo "testhost ansible_connection=local ansible_python_interpreter=$(command -v python3)" > "$inventory"
fi

secret_payload='PWD,S3cr3tPayl0ad-7731,SERVER,mqtt.example.net'
cache_dir="$work/cache"
report_dir="$work/reports"
extra=(-i "$inventory" -e "@$config" -e "secret_payload=$secret_payload" -e "cache_dir=$cache_dir" -e "report_dir=$report_dir")

run() {
    # run NAME [ENV=VALUE...] -- ANSIBLE-PLAYBOOK-ARGS...: capture stdout, stderr and the log of one run
    local name=$1
    shift
    local envs=()
    while [ "$1" != "--" ]; do envs+=("$1"); shift; done
    shift
    local status=0
    env "${envs[@]}" ANSIBLE_LOG_PATH="$work/$name.log" ANSIBLE_NOCOLOR=1 \
        ansible-playbook "${extra[@]}" "$@" > "$work/$name.out" 2>&1 || status=$?
    echo "security_secrets: $name exited $status ($(wc -l < "$work/$name.out") lines of output)"
    if [ "$status" -ne 0 ]; then
        tail -40 "$work/$name.out"
        return 1
    fi
}

run verbose ANSIBLE_DEBUG=0 -- "$here/secrets.yml" -vvv "$@"
# ansible-core's debug output prints every module's arguments as they are, no_log or not: with
# ANSIBLE_DEBUG only a token that is not a module argument (EMNIFY_APPLICATION_TOKEN in the controller's
# environment, local connection) stays out of it, and so do JWTs and Authorization headers.
run debug ANSIBLE_DEBUG=1 EMNIFY_APPLICATION_TOKEN="$token" -- "$here/secrets.yml" -vvv -e token_from_env=true "$@"
run check ANSIBLE_DEBUG=0 -- "$here/secrets.yml" -vvv --check --diff "$@"

# The failing tasks ran (ignore_errors): make sure they are in the output, so the scan means something.
for name in verbose debug check; do
    for marker in 'emnify refused the application token' 'dcs: must be between 0 and 255' 'HTTP 401'; do
        grep -qF "$marker" "$work/$name.out" || { echo "security_secrets: '$marker' missing from the $name run" >&2; exit 1; }
    done
done
grep -qF '_execute_module' "$work/debug.out" || { echo "security_secrets: ANSIBLE_DEBUG printed nothing" >&2; exit 1; }

leaks=0
scan() {
    # scan all|debug FILE...: none of the secrets may appear (debug: module arguments are printed as they are)
    local what=$1 file
    shift
    for file in "$@"; do
        if grep -qF -- "$token" "$file"; then
            echo "LEAK: the application token in $file" >&2; leaks=1
        fi
        if [ "$what" = all ] && grep -qF -- "wrong-token-0123456789abcdef" "$file"; then
            echo "LEAK: the refused application token in $file" >&2; leaks=1
        fi
        if grep -qE 'eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*' "$file"; then
            echo "LEAK: a JWT in $file" >&2; leaks=1
        fi
        if grep -qiE '(authorization|bearer)[ :="'\'']{1,4}(bearer[ :="'\'']{1,4})?[A-Za-z0-9_.~+/-]{8,}' "$file"; then
            echo "LEAK: an Authorization header value in $file" >&2; leaks=1
        fi
        if [ "$what" = all ] && grep -qF -- 'S3cr3tPayl0ad' "$file"; then
            echo "LEAK: the hidden payload in $file" >&2; leaks=1
        fi
    done
}
scan all "$work"/verbose.* "$work"/check.*
scan debug "$work"/debug.*
while IFS= read -r -d '' file; do
    scan all "$file"
done < <(find "$report_dir" -type f -print0)
[ -n "$(find "$report_dir" -type f)" ] || { echo "security_secrets: the role wrote no report" >&2; exit 1; }
[ "$leaks" -eq 0 ] || exit 1
echo "security_secrets: no secret in $(find "$work" -maxdepth 1 -type f \( -name "*.out" -o -name "*.log" \) | wc -l) outputs and logs and $(find "$report_dir" -type f | wc -l) report files"

# The token cache: private, without the application token, and an expired or rejected JWT is not used.
run cache ANSIBLE_DEBUG=0 -- "$here/cache.yml" "$@"
echo "security_secrets: token cache checks passed"
