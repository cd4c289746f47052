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
    if [ -n "$root" ] && [ -f "$root/ansible_collections/emnify/iot/emnify_sim/__main__.py" ]; then
        collection="$root/ansible_collections/emnify/iot"
        break
    fi
done
if [ -z "$collection" ]; then
    dir=$here
    while [ "$dir" != / ] && [ ! -f "$dir/emnify_sim/__main__.py" ]; do dir=$(dirname "$dir"); done
    [ -f "$dir/emnify_sim/__main__.py" ] && collection=$dir
fi
[ -n "$collection" ] || { echo "security_tls: cannot find the simulator (emnify_sim/)" >&2; exit 1; }

# The Python that runs ansible-playbook (ansible-test puts its interpreter first in PATH as `python`).
python=$(command -v python || command -v python3)
openssl=$(command -v openssl || true)
[ -n "$openssl" ] || { echo "security_tls: openssl is required" >&2; exit 1; }

work=$(mktemp -d)
simulator() {
    PYTHONPATH="$collection" "$python" -m emnify_sim "$@"
}
cleanup() {
    simulator stop "$work/sim" >/dev/null || true
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

# A simulator of its own over HTTPS (random token, free port, stops by itself after 300 s).
simulator start "$work/sim" --host 127.0.0.1 --tls-cert "$work/server.pem" --tls-key "$work/server.key" \
    --endpoints 5 --lifetime 300 --quiet || { echo "security_tls: the simulator did not start" >&2; exit 1; }
url=$(cat "$work/sim/url")
token=$(cat "$work/sim/token")
case "$url" in https://*) ;; *) echo "security_tls: expected an https URL, got $url" >&2; exit 1 ;; esac

inventory=${INVENTORY_PATH:-}
if [ -z "$inventory" ]; then
    inventory="$work/inventory"
    echo "testhost ansible_connection=local ansible_python_interpreter=$python" > "$inventory"
fi

# EMNIFY_CA_PATH / EMNIFY_VALIDATE_CERTS from the caller's environment must not change the default case.
env -u EMNIFY_CA_PATH -u EMNIFY_VALIDATE_CERTS -u REQUESTS_CA_BUNDLE -u CURL_CA_BUNDLE -u SSL_CERT_FILE \
    ansible-playbook -i "$inventory" "$here/tls.yml" -e "tls_url=$url" -e "tls_token=$token" -e "tls_ca=$work/ca.pem" "$@"
