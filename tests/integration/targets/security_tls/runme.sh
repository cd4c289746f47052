#!/usr/bin/env bash
# Certificate validation: starts a simulator of its own over HTTPS with a certificate from a throwaway CA
# and checks that the modules refuse it by default (clear message, no traceback), accept it with
# ca_path, and accept it with validate_certs=false.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)

# The collection: ansible-test sets ANSIBLE_COLLECTIONS_PATH to the directory holding ansible_collections/.
collection=""
IFS=: read -r -a roots <<< "${ANSIBLE_COLLECTIONS_PATH:-}"
for root in "${roots[@]}"; do
    if [ -n "$root" ] && [ -f "$root/ansible_collections/emnify/iot/tests/simulator/emnify_sim.py" ]; then
        collection="$root/ansible_collections/emnify/iot"
        break
    fi
done
if [ -z "$collection" ]; then
    dir=$here
    while [ "$dir" != / ] && [ ! -f "$dir/tests/simulator/emnify_sim.py" ]; do dir=$(dirname "$dir"); done
    [ -f "$dir/tests/simulator/emnify_sim.py" ] && collection=$dir
fi
[ -n "$collection" ] || { echo "security_tls: cannot find tests/simulator/emnify_sim.py" >&2; exit 1; }

# The Python that runs ansible-playbook (ansible-test puts its interpreter first in PATH as `python`).
python=$(command -v python || command -v python3)
openssl=$(command -v openssl || true)
[ -n "$openssl" ] || { echo "security_tls: openssl is required" >&2; exit 1; }

work=$(mktemp -d)
sim_pid=""
cleanup() {
    if [ -n "$sim_pid" ]; then
        kill "$sim_pid" 2>/dev/null || true
        wait "$sim_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# A CA, and a server certificate for 127.0.0.1 that it signs.
"$openssl" req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=emnify.iot test CA" \
    -keyout "$work/ca.key" -out "$work/ca.pem" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
"$openssl" req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$work/server.key" -out "$work/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > "$work/server.ext"
"$openssl" x509 -req -in "$work/server.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial -days 2 \
    -extfile "$work/server.ext" -out "$work/server.pem" 2>/dev/null

token="tls-test-$("$openssl" rand -hex 12)"
"$python" "$collection/tests/simulator/emnify_sim.py" --host 127.0.0.1 --port 0 --tls-cert "$work/server.pem" \
    --tls-key "$work/server.key" --application-token "$token" --endpoints 5 --lifetime 300 --quiet \
    --ready-file "$work/ready" > "$work/sim.log" 2>&1 &
sim_pid=$!
for _ in $(seq 200); do
    [ -s "$work/ready" ] && break
    kill -0 "$sim_pid" 2>/dev/null || { cat "$work/sim.log" >&2; exit 1; }
    sleep 0.1
done
[ -s "$work/ready" ] || { echo "security_tls: the simulator did not start" >&2; cat "$work/sim.log" >&2; exit 1; }
url=$(head -1 "$work/ready")
case "$url" in https://*) ;; *) echo "security_tls: expected an https URL, got $url" >&2; exit 1 ;; esac

inventory=${INVENTORY_PATH:-}
if [ -z "$inventory" ]; then
    inventory="$work/inventory"
    echo "testhost ansible_connection=local ansible_python_interpreter=$python" > "$inventory"
fi

# EMNIFY_CA_PATH / EMNIFY_VALIDATE_CERTS from the caller's environment must not change the default case.
env -u EMNIFY_CA_PATH -u EMNIFY_VALIDATE_CERTS -u REQUESTS_CA_BUNDLE -u CURL_CA_BUNDLE -u SSL_CERT_FILE \
    ansible-playbook -i "$inventory" "$here/tls.yml" -e "tls_url=$url" -e "tls_token=$token" -e "tls_ca=$work/ca.pem" "$@"
