#!/bin/sh
# Gives nginx a certificate to start with before certbot has issued one (first boot, or a CA that
# cannot be reached): a self-signed placeholder valid for one day, so the HttpsCertificateExpiresSoon
# alert fires while it is served. A certificate and key that belong together are left alone.
set -eu

dir=${HTTPS_DIR:-/etc/dr-estate/https}
certificate="$dir/fullchain.pem"
key="$dir/privkey.pem"

public_key_of_certificate() { openssl x509 -noout -pubkey -in "$1" 2>/dev/null; }
public_key_of_key() { openssl pkey -pubout -in "$1" 2>/dev/null; }

if [ -s "$certificate" ] && [ -s "$key" ]; then
  served=$(public_key_of_certificate "$certificate" || true)
  if [ -n "$served" ] && [ "$served" = "$(public_key_of_key "$key" || true)" ]; then
    exit 0
  fi
fi

umask 077
install -d -m 0700 "$dir"
staging=$(mktemp -d "$dir/.placeholder.XXXXXX")
trap 'rm -rf "$staging"' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
  -subj "/CN=dr-estate placeholder (no certificate issued yet)" \
  -keyout "$staging/privkey.pem" -out "$staging/fullchain.pem" 2>"$staging/openssl.log" || {
  cat "$staging/openssl.log" >&2
  exit 1
}
chmod 0644 "$staging/fullchain.pem"
mv -f "$staging/privkey.pem" "$key"
mv -f "$staging/fullchain.pem" "$certificate"
echo "https-placeholder-certificate: no usable certificate in $dir; serving a self-signed placeholder until certbot issues one"
