#!/usr/bin/env bash
# Install the built collection tarball into an empty collections path and run its smoke playbook.
#
#   hack/smoke.sh TARBALL
#
# This is what a user gets from `ansible-galaxy collection install`: the playbook runs from the
# installed copy, with ANSIBLE_COLLECTIONS_PATH naming only the temporary install folder, against
# a simulator started by hack/with-simulator.sh. The temporary folder is removed afterwards.
set -euo pipefail

tarball=${1:?usage: smoke.sh TARBALL}
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/build/tools-venv/bin"
[ -f "$tarball" ] || { echo "missing $tarball: run 'make build' first" >&2; exit 2; }

mkdir -p "$root/build"
install_dir=$(mktemp -d "$root/build/smoke.XXXXXX")
trap 'rm -rf "$install_dir"' EXIT

"$bin/ansible-galaxy" collection install --force -p "$install_dir" "$tarball"
installed="$install_dir/ansible_collections/emnify/iot"
playbook="$installed/playbooks/smoke.yml"
[ -f "$playbook" ] || { echo "the tarball holds no playbooks/smoke.yml" >&2; exit 1; }

cd "$install_dir"
ANSIBLE_COLLECTIONS_PATH="$install_dir" ANSIBLE_PYTHON_INTERPRETER="$bin/python" ANSIBLE_NOCOLOR=1 \
    "$root/hack/with-simulator.sh" smoke \
    "$bin/ansible-playbook" -i localhost, -c local "$playbook"
