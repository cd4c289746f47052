#!/usr/bin/env bash
# Check a built collection tarball with galaxy-importer, the code Galaxy runs on every upload.
#
#   hack/galaxy-importer.sh TARBALL
#
# Settings: hack/galaxy-importer.cfg (what runs, and what is skipped without a container engine). The importer
# runs in an empty temporary directory with build/galaxy-importer-venv first in PATH, so the ansible-doc and
# ansible-lint it calls are the pinned ones. It reports most problems as log lines and still exits 0, so this
# script fails on any ERROR or WARNING line, on a non-zero exit, and when a plugin's documentation did not load.
set -euo pipefail

tarball=${1:?usage: galaxy-importer.sh TARBALL}
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/build/galaxy-importer-venv"
[ -f "$tarball" ] || { echo "missing $tarball: run 'make build' first" >&2; exit 2; }
[ -x "$venv/bin/python" ] || { echo "missing $venv: run 'make venv-galaxy-importer' first" >&2; exit 2; }
tarball=$(cd "$(dirname "$tarball")" && pwd)/$(basename "$tarball")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
(cd "$work" && env GALAXY_IMPORTER_CONFIG="$root/hack/galaxy-importer.cfg" PATH="$venv/bin:$PATH" \
    ANSIBLE_LOCAL_TEMP="$work/tmp" NO_COLOR=1 \
    "$venv/bin/python" -m galaxy_importer.main --print-result "$tarball") >"$work/out" 2>&1 || status=$?

# The log lines, without the JSON result printed at the end.
sed '/^{$/,$d' "$work/out"
if [ "$status" -ne 0 ]; then
    echo "galaxy-importer exited with status $status" >&2
    exit 1
fi
"$venv/bin/python" - "$work/out" <<'PY'
import json
import re
import sys

text = open(sys.argv[1], encoding='utf-8').read()
log, brace, result = text.partition('\n{\n')
problems = [line for line in log.splitlines() if re.match(r'(ERROR|WARNING|CRITICAL)\b', line)]
if not brace:
    problems.append('galaxy-importer printed no result')
else:
    data = json.loads(brace.strip() + result)
    undocumented = ('doc_fragments', 'module_utils', 'plugin_utils', 'playbook', 'role')
    contents = data['docs_blob']['contents']
    # An action plugin is documented by the module of the same name (as ansible-core's own action-backed modules are).
    modules = set(item['content_name'] for item in contents if item['content_type'] == 'module' and item.get('doc_strings'))
    for item in contents:
        if item['content_type'] == 'action' and item['content_name'] in modules:
            continue
        if item['content_type'] not in undocumented and not item.get('doc_strings'):
            problems.append('no documentation loaded for %s %s' % (item['content_type'], item['content_name']))
        if item['content_type'] == 'role' and not item.get('readme_html'):
            problems.append('no README for role %s' % item['content_name'])
    if not data['docs_blob'].get('collection_readme', {}).get('html'):
        problems.append('the collection README did not render')
    counts = {}
    for item in data['contents']:
        counts[item['content_type']] = counts.get(item['content_type'], 0) + 1
    print('imported: %s; requires_ansible %s' % (', '.join('%d %s' % (n, kind) for kind, n in sorted(counts.items())),
                                                  data.get('requires_ansible')))
for problem in problems:
    print('galaxy-importer: %s' % problem, file=sys.stderr)
sys.exit(1 if problems else 0)
PY
echo "galaxy-importer: no errors or warnings for $(basename "$tarball")"
