#!/usr/bin/env bash
# Build the documentation site into build/docs/html (see hack/docs_site.py).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
python="$root/build/docs-venv/bin/python"
[ -x "$python" ] || { echo "missing build/docs-venv: run 'make venv-docs' first" >&2; exit 2; }
exec "$python" "$root/hack/docs_site.py" "$root/build/docs"
