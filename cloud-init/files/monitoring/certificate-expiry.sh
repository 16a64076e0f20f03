#!/bin/sh
# Publishes when each of the node's estate certificates expires, for the NodeCertificateExpiresSoon
# alert: one gauge per certificate in the node exporter's textfile collector directory.
#
#   dr_estate_certificate_expiry_timestamp_seconds{certificate="node"} 1830000000
#
# A certificate that cannot be read is published as 0 (already expired), so it alerts too. On the data
# nodes HTTPS_CERTIFICATE names the certificate nginx serves on 443, published as certificate="https".
set -eu

tls_dir=${CERTIFICATE_DIR:-${DR_ESTATE_ETC:-/etc/dr-estate}/tls}
textfile_dir=${TEXTFILE_DIR:-/var/lib/prometheus/node-exporter}
metric=dr_estate_certificate_expiry_timestamp_seconds

expiry() {
  end=$(openssl x509 -noout -enddate -in "$1" 2>/dev/null | sed -n 's/^notAfter=//p')
  if [ -n "$end" ]; then date -u -d "$end" +%s; else echo 0; fi
}

lines="# HELP $metric When the estate certificate expires (Unix time; 0 when it cannot be read).
# TYPE $metric gauge"
for name in node ca; do
  lines="$lines
$metric{certificate=\"$name\"} $(expiry "$tls_dir/$name.crt")"
done
if [ -n "${HTTPS_CERTIFICATE:-}" ]; then
  lines="$lines
$metric{certificate=\"https\"} $(expiry "$HTTPS_CERTIFICATE")"
fi

staged="$textfile_dir/.certificate-expiry.prom.$$"
printf '%s\n' "$lines" > "$staged"
chmod 0644 "$staged"
mv -f "$staged" "$textfile_dir/certificate-expiry.prom"
