#!/bin/sh
# certbot's deploy hook: after each issuance or renewal, copies the new certificate and key from the
# lineage certbot names (RENEWED_LINEAGE) to where nginx reads them, then tells nginx to reload. A
# copy rather than a link into /etc/letsencrypt, so nginx's files exist before certbot ever ran.
set -eu

dir=${HTTPS_DIR:-/etc/dr-estate/https}
pid_file=${NGINX_PID_FILE:-/run/nginx.pid}
lineage=${RENEWED_LINEAGE:?certbot sets RENEWED_LINEAGE for its deploy hooks}

certificate_key=$(openssl x509 -noout -pubkey -in "$lineage/fullchain.pem")
if [ "$certificate_key" != "$(openssl pkey -pubout -in "$lineage/privkey.pem")" ]; then
  echo "https-certificate-deploy: $lineage/privkey.pem is not the key of $lineage/fullchain.pem; nothing installed" >&2
  exit 1
fi

umask 077
install -d -m 0700 "$dir"
install -m 0600 "$lineage/privkey.pem" "$dir/.privkey.pem.new"
install -m 0644 "$lineage/fullchain.pem" "$dir/.fullchain.pem.new"
mv -f "$dir/.privkey.pem.new" "$dir/privkey.pem"
mv -f "$dir/.fullchain.pem.new" "$dir/fullchain.pem"

# What `systemctl reload nginx` does; a stopped nginx reads the new files when it starts.
if [ -s "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
  kill -HUP "$(cat "$pid_file")"
fi
echo "https-certificate-deploy: installed the certificate of $lineage in $dir"
