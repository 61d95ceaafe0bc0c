#!/usr/bin/env bash
# Makes the TLS material the fault server and the FHIR client tests use, with the openssl CLI:
#
#   ca.pem / ca.key                   test CA (EC P-256, 10 years, CA:TRUE)
#   server.pem / server.key           leaf for DNS:localhost + IP:127.0.0.1, signed by the test CA
#   wrong-name.pem / wrong-name.key   leaf for DNS:wrong.example only, signed by the test CA
#   untrusted-ca.pem / untrusted-ca.key  a second, unrelated CA
#   untrusted.pem / untrusted.key     leaf for DNS:localhost + IP:127.0.0.1, signed by the untrusted CA
#
# Usage: make-test-certs.sh OUTDIR
# Idempotent: when every file is there, chains to its CA and is valid for at least another day,
# nothing is done. Otherwise the whole set is made anew. Safe to run concurrently (flock).
set -euo pipefail

if [[ $# -ne 1 || -z "$1" ]]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
command -v openssl >/dev/null 2>&1 || { echo "make-test-certs.sh: openssl not found" >&2; exit 1; }

out="$1"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

files=(ca.pem ca.key server.pem server.key wrong-name.pem wrong-name.key
       untrusted-ca.pem untrusted-ca.key untrusted.pem untrusted.key)

all_good() {
  local f
  for f in "${files[@]}"; do [[ -s "$out/$f" ]] || return 1; done
  for f in ca server wrong-name untrusted-ca untrusted; do
    openssl x509 -in "$out/$f.pem" -noout -checkend 86400 >/dev/null 2>&1 || return 1
  done
  openssl verify -CAfile "$out/ca.pem" "$out/server.pem" "$out/wrong-name.pem" >/dev/null 2>&1 || return 1
  openssl verify -CAfile "$out/untrusted-ca.pem" "$out/untrusted.pem" >/dev/null 2>&1 || return 1
  return 0
}

# Serialise concurrent callers (several tests may ask for the same directory at once).
exec 9>>"$out/.lock"
flock 9

if all_good; then
  exit 0
fi

tmp="$(mktemp -d "$out/.tmp.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

newkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
serial() { echo "0x$(openssl rand -hex 16)"; }

make_ca() { # name CN
  local name="$1" cn="$2"
  newkey "$tmp/$name.key"
  openssl req -x509 -new -key "$tmp/$name.key" -sha256 -days 3650 -subj "/O=ibd-cds tests/CN=$cn" \
    -set_serial "$(serial)" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash" \
    -out "$tmp/$name.pem" 2>/dev/null
}

make_leaf() { # name CN SAN ca-name
  local name="$1" cn="$2" san="$3" ca="$4"
  newkey "$tmp/$name.key"
  openssl req -new -key "$tmp/$name.key" -subj "/O=ibd-cds tests/CN=$cn" -out "$tmp/$name.csr" 2>/dev/null
  cat >"$tmp/$name.ext" <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyAgreement
extendedKeyUsage=serverAuth
subjectAltName=$san
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
EOF
  openssl x509 -req -in "$tmp/$name.csr" -CA "$tmp/$ca.pem" -CAkey "$tmp/$ca.key" -set_serial "$(serial)" \
    -sha256 -days 3650 -extfile "$tmp/$name.ext" -out "$tmp/$name.pem" 2>/dev/null
  rm -f "$tmp/$name.csr" "$tmp/$name.ext"
}

make_ca ca "ibd-cds test CA"
make_leaf server localhost "DNS:localhost,IP:127.0.0.1" ca
make_leaf wrong-name wrong.example "DNS:wrong.example" ca
make_ca untrusted-ca "ibd-cds untrusted test CA"
make_leaf untrusted localhost "DNS:localhost,IP:127.0.0.1" untrusted-ca

chmod 600 "$tmp"/*.key
chmod 644 "$tmp"/*.pem
for f in "${files[@]}"; do mv -f "$tmp/$f" "$out/$f"; done

all_good || { echo "make-test-certs.sh: generated certificates failed verification" >&2; exit 1; }
