#!/usr/bin/env bash
# deploy/nginx/spacetime.conf passes `nginx -t` (Debian's nginx, no server started):
#   1. the loopback variant scripts/nginx_loopback.py derives from it (what the topology
#      test runs), placeholders filled as scripts/services would;
#   2. the production file itself, inside an http {} block as docker compose mounts it,
#      with the gateway host names pointed at 127.0.0.1 and a throwaway self-signed
#      certificate at Certbot's paths — once without and once with Certbot's
#      options-ssl-nginx.conf (its usual directives must not clash with the file's);
#   3. the production file really running on loopback ports (its 443 server on one, TLS
#      with the throwaway certificate): the files nginx serves itself (/, index.html,
#      /assets/, a 404) carry the security headers (CSP, nosniff, X-Frame-Options,
#      Referrer-Policy; HSTS over TLS only), and /auth/ reaches the Keycloak upstream
#      (a stand-in that echoes what it got) with Host and X-Forwarded-* and without the
#      page's headers.
# Exits non-zero on any failure.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CONF=$ROOT/deploy/nginx/spacetime.conf
TMP=$(mktemp -d)
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  [[ -f $TMP/run/pid ]] && kill "$(cat "$TMP/run/pid")" 2>/dev/null || true
  sleep 0.2
  rm -rf "$TMP"
}
trap cleanup EXIT
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
      -e "s#@GATEWAY_2_PORT@#18082#g; s#@KEYCLOAK_PORT@#18083#g; s#@WEB_ROOT@#$d#g" >"$d/nginx.conf"
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
    sed -e 's#gateway-[0-9]*:8080#127.0.0.1:8080#' -e 's#keycloak:8080#127.0.0.1:8080#' \
      -e "s#/etc/letsencrypt#$d/le#g" "$CONF"
    echo "}"
  } >"$d/nginx.conf"
  t "production file, $certbot Certbot's options-ssl-nginx.conf" "$d"
done
# --- 3. running: the headers on the wire ---------------------------------------------
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
d=$TMP/run; mkdir -p "$d/tmp" "$d/web/assets"
chmod 755 "$TMP" "$d" # nginx's workers (another user when run as root) read the web root
echo '<!doctype html><title>SpaceTime</title>' >"$d/web/index.html"
echo 'console.log(1)' >"$d/web/assets/app-1.js"
HTTP_PORT=$(free_port); TLS_PORT=$(free_port); KC_PORT=$(free_port)
# The Keycloak stand-in: answers every request with the headers it received, as JSON.
python3 - "$KC_PORT" >"$d/keycloak.log" 2>&1 <<'PY' &
import http.server, json, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
PIDS+=($!)
{
  echo "events {}"
  echo "http {"
  echo "  include /etc/nginx/mime.types;"
  for p in client_body proxy fastcgi uwsgi scgi; do echo "  ${p}_temp_path $d/tmp/$p;"; done
  echo "  access_log off;"
  sed -e "s#gateway-[0-9]*:8080#127.0.0.1:$HTTP_PORT#" -e "s#keycloak:8080#127.0.0.1:$KC_PORT#" \
    -e "s#/etc/letsencrypt#$TMP/production-without/le#g" \
    -e "s#^\( *\)listen 80;#\1listen 127.0.0.1:$HTTP_PORT;#" -e '/listen \[::\]/d' \
    -e "s#^\( *\)listen 443 ssl http2;#\1listen 127.0.0.1:$TLS_PORT ssl http2;#" \
    -e "s#root /usr/share/spacetime/web;#root $d/web;#" -e "s#root /var/www/certbot;#root $d/web;#" "$CONF"
  echo "}"
} >"$d/nginx.conf"
if ! nginx -p "$d/" -e "$d/error.log" -c "$d/nginx.conf" -g "pid $d/pid;" 2>"$d/start.log"; then
  echo "FAIL - production file does not start on loopback"; sed 's/^/  | /' "$d/start.log" "$d/error.log"; exit 1
fi
for _ in $(seq 50); do curl -skf -o /dev/null "https://127.0.0.1:$TLS_PORT/" && break; sleep 0.1; done
for _ in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:$KC_PORT/" && break; sleep 0.1; done
check() { # check NAME COMMAND...: the command succeeds
  if "${@:2}"; then echo "ok   - $1"; else echo "FAIL - $1"; failed=1; fi
}
headers() { curl -sk -D - -o /dev/null -H 'Host: spacetime.example.com' "https://127.0.0.1:$TLS_PORT$1" | tr -d '\r'; }
has_security_headers() { # PATH STATUS
  local h
  h=$(headers "$1")
  grep -q "^HTTP/[0-9.]* $2" <<<"$h" &&
    grep -qi "^content-security-policy: default-src 'self'; script-src 'self';.* frame-ancestors 'none'$" <<<"$h" &&
    grep -qi '^x-content-type-options: nosniff$' <<<"$h" &&
    grep -qi '^x-frame-options: DENY$' <<<"$h" &&
    grep -qi '^referrer-policy: no-referrer$' <<<"$h" &&
    grep -qi '^strict-transport-security: max-age=31536000$' <<<"$h" ||
    { echo "$h" | sed 's/^/  | /'; return 1; }
}
for path in / /index.html /chart/ALFA /assets/app-1.js; do
  check "security headers on $path (nginx serves it)" has_security_headers "$path" 200
done
check "security headers on a missing asset (404)" has_security_headers /assets/missing.js 404
no_hsts_over_http() { ! curl -s -D - -o /dev/null "http://127.0.0.1:$HTTP_PORT/.well-known/acme-challenge/x" | grep -qi strict-transport; }
check "no HSTS over plain HTTP" no_hsts_over_http
auth_proxied() {
  local h body
  h=$(headers /auth/realms/spacetime/.well-known/openid-configuration)
  body=$(curl -sk -H 'Host: spacetime.example.com' "https://127.0.0.1:$TLS_PORT/auth/realms/spacetime/.well-known/openid-configuration")
  python3 - "$body" <<'PY' && ! grep -qi '^content-security-policy' <<<"$h" || { echo "$h"; echo "$body"; return 1; }
import json, sys
got = json.loads(sys.argv[1])
h = got["headers"]
assert got["path"] == "/auth/realms/spacetime/.well-known/openid-configuration", got["path"]
assert h.get("host") == "spacetime.example.com", h
assert h.get("x-forwarded-host") == "spacetime.example.com", h
assert h.get("x-forwarded-proto") == "https", h
assert h.get("x-forwarded-for") == "127.0.0.1", h
assert h.get("x-forwarded-port"), h
PY
}
check "/auth/ reaches Keycloak with Host and X-Forwarded-*, without the page's headers" auth_proxied
exit $failed
