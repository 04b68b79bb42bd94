#!/usr/bin/env bash
# deploy/nginx/spacetime.conf passes `nginx -t` (Debian's nginx, no server started):
#   1. the loopback variant scripts/nginx_loopback.py derives from it (what the topology
#      test runs), placeholders filled as scripts/services would;
#   2. the production file itself, inside an http {} block as docker compose mounts it,
#      with the gateway host names pointed at 127.0.0.1 and a throwaway self-signed
#      certificate at Certbot's paths — once without and once with Certbot's
#      options-ssl-nginx.conf (its usual directives must not clash with the file's).
# Exits non-zero on any failure.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CONF=$ROOT/deploy/nginx/spacetime.conf
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
command -v nginx >/dev/null || { echo "nginx not found: run scripts/setup" >&2; exit 1; }
failed=0
t() { # t NAME DIR: nginx -t on DIR/nginx.conf
  if out=$(nginx -t -p "$2/" -e "$2/error.log" -c "$2/nginx.conf" -g "pid $2/pid;" 2>&1); then
    echo "ok   - $1"
  else
    echo "FAIL - $1"; echo "$out" | sed 's/^/  | /'; failed=1
  fi
}

d=$TMP/loopback; mkdir -p "$d/tmp"
python3 "$ROOT/scripts/nginx_loopback.py" "$CONF" |
  sed -e "s#@PREFIX@#$d#g; s#@PORT@#18080#g; s#@GATEWAY_1_PORT@#18081#g" \
      -e "s#@GATEWAY_2_PORT@#18082#g; s#@WEB_ROOT@#$d#g" >"$d/nginx.conf"
if grep -q '@[A-Z_0-9]*@' "$d/nginx.conf"; then
  echo "FAIL - loopback variant: unknown placeholders"; failed=1
fi
t "loopback variant derived from deploy/nginx/spacetime.conf" "$d"

for certbot in without with; do
  d=$TMP/production-$certbot; mkdir -p "$d/tmp" "$d/le/live/spacetime.example.com"
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=spacetime.example.com \
    -keyout "$d/le/live/spacetime.example.com/privkey.pem" \
    -out "$d/le/live/spacetime.example.com/fullchain.pem" 2>/dev/null
  if [[ $certbot == with ]]; then
    # What certbot-nginx ships as options-ssl-nginx.conf.
    cat >"$d/le/options-ssl-nginx.conf" <<'OPT'
ssl_session_cache shared:le_nginx_SSL:10m;
ssl_session_timeout 1440m;
ssl_session_tickets off;
ssl_protocols TLSv1.2 TLSv1.3;
ssl_prefer_server_ciphers off;
ssl_ciphers "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256";
OPT
  fi
  {
    echo "events {}"
    echo "http {"
    echo "  include /etc/nginx/mime.types;"
    for p in client_body proxy fastcgi uwsgi scgi; do echo "  ${p}_temp_path $d/tmp/$p;"; done
    echo "  access_log off;"
    sed -e 's#gateway-[0-9]*:8080#127.0.0.1:8080#' -e "s#/etc/letsencrypt#$d/le#g" "$CONF"
    echo "}"
  } >"$d/nginx.conf"
  t "production file, $certbot Certbot's options-ssl-nginx.conf" "$d"
done
exit $failed
