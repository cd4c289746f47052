#!/usr/bin/env bash
# Find the Python interpreters the tested matrix needs and link them into one directory.
#
#   hack/pythons.sh DIRECTORY VERSION [VERSION...]
#   e.g. hack/pythons.sh build/python/bin 3.9 3.10 3.11 3.12 3.13
#
# For each VERSION (X.Y) this looks, in order, for a working pythonX.Y on PATH, for the newest X.Y.* that pyenv
# knows (`pyenv prefix X.Y`, or $PYENV_ROOT/versions/X.Y.*), and for /usr/local/bin/pythonX.Y and
# /usr/bin/pythonX.Y. A candidate counts only when it runs, reports version X.Y and can create virtual
# environments (venv and ensurepip). DIRECTORY/pythonX.Y then links to it: put DIRECTORY first in PATH and
# ansible-test, venv and pip find exactly these interpreters (pyenv's shims answer only for the selected
# version and would shadow the others).
#
# Exits 1 after naming every version it could not find.
set -uo pipefail

dest=${1:?usage: pythons.sh DIRECTORY VERSION [VERSION...]}
shift
[ $# -gt 0 ] || { echo "usage: pythons.sh DIRECTORY VERSION [VERSION...]" >&2; exit 2; }

usable() {
    local candidate=$1 version=$2
    [ -x "$candidate" ] || return 1
    [ "$("$candidate" -c 'import sys, venv, ensurepip; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" = "$version" ]
}

candidates() {
    local version=$1 found prefix root
    # Skip $dest itself, so a stale link is never taken for an interpreter.
    while IFS= read -r found; do
        [ "$(dirname "$found")" = "$dest" ] || echo "$found"
    done < <(type -ap "python$version" 2>/dev/null)
    if command -v pyenv >/dev/null 2>&1; then
        prefix=$(pyenv prefix "$version" 2>/dev/null | head -n 1)
        [ -n "$prefix" ] && echo "$prefix/bin/python$version"
    fi
    root=${PYENV_ROOT:-$HOME/.pyenv}
    if [ -d "$root/versions" ]; then
        find "$root/versions" -mindepth 1 -maxdepth 1 -name "$version.*" 2>/dev/null | sort -V -r | sed "s|\$|/bin/python$version|"
    fi
    echo "/usr/local/bin/python$version"
    echo "/usr/bin/python$version"
}

mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
missing=()
for version in "$@"; do
    chosen=""
    while IFS= read -r candidate; do
        if usable "$candidate" "$version"; then
            chosen=$candidate
            break
        fi
    done < <(candidates "$version")
    if [ -z "$chosen" ]; then
        missing+=("$version")
        continue
    fi
    # Link to the interpreter itself, not to a pyenv shim or another link.
    real=$("$chosen" -c 'import os, sys; print(os.path.realpath(sys.executable))')
    if [ "$(readlink "$dest/python$version" 2>/dev/null)" != "$real" ]; then
        ln -sfn "$real" "$dest/python$version"
    fi
done

if [ ${#missing[@]} -gt 0 ]; then
    mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -V)
    for version in "${missing[@]}"; do
        echo "Python $version is missing: no working python$version on PATH, in pyenv or in /usr/bin." >&2
    done
    echo "The tested matrix (hack/matrix.mk) needs Python ${missing[*]}; install them (for example" \
         "'pyenv install ${missing[0]}', or your distribution's python${missing[0]} and python${missing[0]}-venv) and run make again." >&2
    exit 1
fi
linked=()
for version in "$@"; do linked+=("python$version"); done
echo "pythons: ${linked[*]} in $dest"
