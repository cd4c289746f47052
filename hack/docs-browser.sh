#!/usr/bin/env bash
# Open every page of the documentation site in headless Chromium (hack/docs_browser.py).
#
#   hack/docs-browser.sh HTML_DIR
#
# Uses Debian's chromium package. When it is missing and this runs as root with apt-get, it is installed
# (apt-get update, then apt-get install chromium); otherwise the script says what to install. A screenshot of
# the start page is written to HTML_DIR/../screenshot.png.
set -euo pipefail

html=${1:?usage: docs-browser.sh HTML_DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
python="$root/build/docs-venv/bin/python"
[ -x "$python" ] || { echo "missing build/docs-venv: run 'make venv-docs' first" >&2; exit 2; }

chromium=$(command -v chromium || true)
if [ -z "$chromium" ]; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "docs-browser: installing Debian's chromium (apt-get)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends chromium >/dev/null
        chromium=$(command -v chromium)
    else
        echo "docs-browser: Chromium is missing; install Debian's chromium package (apt-get install chromium) and run again" >&2
        exit 2
    fi
fi
exec "$python" "$root/hack/docs_browser.py" "$html" --chromium "$chromium" --screenshot "$(dirname "$html")/screenshot.png"
