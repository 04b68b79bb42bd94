#!/usr/bin/env bash
# End-to-end test of scripts/services: starts the real Redis, PostgreSQL, InfluxDB and
# nginx on loopback, talks to each, checks idempotence, status, env, a custom nginx
# config, stop (processes gone, ports closed, directories removed) and `run` (exit code
# passed on, services stopped after failure and after a signal).
# Needs the servers installed (scripts/setup). Uses its own state directory
# ($SPACETIME_SERVICES_DIR, default build/services-test), so it leaves services started
# by hand alone. Prints "N passed, M failed"; exits non-zero on any failure.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SVC=$ROOT/scripts/services
export SPACETIME_SERVICES_DIR=${SPACETIME_SERVICES_DIR:-$ROOT/build/services-test}
unset SPACETIME_NGINX_CONF
PSQL=/usr/lib/postgresql/15/bin/psql
passed=0
failed=0
TMP=$(mktemp -d)

cleanup() {
  "$SVC" stop all >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap cleanup EXIT

ok() { passed=$((passed + 1)); echo "ok   - $1"; }
fail() { failed=$((failed + 1)); echo "FAIL - $1"; }
check() { # check DESCRIPTION COMMAND...
  local what=$1
  shift
  if "$@"; then ok "$what"; else fail "$what"; fi
}
alive() { local st; st=$(ps -o stat= -p "$1" 2>/dev/null) && [[ -n $st && $st != Z* ]]; }
gone() { ! alive "$1"; }
port_open() { (: <"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port_closed() { [[ -n $1 ]] && ! port_open "$1"; }
nonempty() { [[ -n $1 ]]; }
both() { "$1" "$2" && "$3" "$4"; } # both CMD1 ARG1 CMD2 ARG2
# wait_gone PID: stopped daemons may stay zombies a moment.
wait_gone() { local i; for ((i = 0; i < 50; i++)); do gone "$1" && return 0; sleep 0.1; done; return 1; }
state() { cat "$SPACETIME_SERVICES_DIR/$1/$2" 2>/dev/null; }
http_code() { curl -s -o "$TMP/body" -m 5 -w '%{http_code}' "$@"; }

"$SVC" stop all >/dev/null 2>&1 || true

# --- start ------------------------------------------------------------------------------
t0=$(date +%s.%N)
if "$SVC" start redis postgres influxdb nginx >"$TMP/start.out" 2>&1; then
  ok "start redis postgres influxdb nginx"
else
  fail "start redis postgres influxdb nginx"
  cat "$TMP/start.out"
fi
t1=$(date +%s.%N)
start_seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
echo "#    start of all four took ${start_seconds}s"

declare -A PORT PID
for s in redis postgres influxdb nginx; do
  PORT[$s]=$(state "$s" port)
  PID[$s]=$(state "$s" pid)
done
check "four distinct ports" test "$(printf '%s\n' "${PORT[@]}" | sort -u | wc -l)" -eq 4

# --- each server answers ----------------------------------------------------------------
check "redis: PING = PONG" test "$(redis-cli -h 127.0.0.1 -p "${PORT[redis]}" ping 2>&1)" = PONG
check "redis: SET/GET" test "$(redis-cli -h 127.0.0.1 -p "${PORT[redis]}" set k v >/dev/null &&
  redis-cli -h 127.0.0.1 -p "${PORT[redis]}" get k)" = v

check "postgres: select 1 as spacetime over TCP" test "$(PGPASSWORD=spacetime "$PSQL" -X -h 127.0.0.1 \
  -p "${PORT[postgres]}" -U spacetime -d spacetime -tAc 'select 1' 2>&1)" = 1
check "postgres: a wrong password is refused" bash -c "! PGPASSWORD=wrong '$PSQL' -X -h 127.0.0.1 \
  -p '${PORT[postgres]}' -U spacetime -d spacetime -tAc 'select 1' >/dev/null 2>&1"
check "postgres: spacetime can create a table" test "$(PGPASSWORD=spacetime "$PSQL" -X -h 127.0.0.1 \
  -p "${PORT[postgres]}" -U spacetime -d spacetime -tAc \
  'create table t (x int); insert into t values (42); select x from t' 2>&1 | tail -n1)" = 42

check "influxdb: GET /ping = 204" test "$(http_code "http://127.0.0.1:${PORT[influxdb]}/ping")" = 204
check "influxdb: a write without the password = 401" test "$(http_code -XPOST \
  "http://127.0.0.1:${PORT[influxdb]}/write?db=spacetime&precision=s" \
  --data-binary 'ticks,symbol=AAPL price=187.25,size=100i 1700000000')" = 401
check "influxdb: write one point = 204" test "$(http_code -XPOST -u spacetime:spacetime \
  "http://127.0.0.1:${PORT[influxdb]}/write?db=spacetime&precision=s" \
  --data-binary 'ticks,symbol=AAPL price=187.25,size=100i 1700000000')" = 204
influx_query() {
  curl -s -m 5 -u spacetime:spacetime -G "http://127.0.0.1:${PORT[influxdb]}/query" --data-urlencode db=spacetime \
    --data-urlencode "q=SELECT price, size FROM ticks WHERE symbol = 'AAPL'"
}
check "influxdb: query returns the point" grep -qF '["2023-11-14T22:13:20Z",187.25,100]' <(influx_query)

check "nginx: GET /healthz = 200" test "$(http_code "http://127.0.0.1:${PORT[nginx]}/healthz")" = 200
check "nginx: GET / = 404" test "$(http_code "http://127.0.0.1:${PORT[nginx]}/")" = 404

# --- idempotent start, status, env ------------------------------------------------------
"$SVC" env all >"$TMP/env1"
check "start again succeeds" "$SVC" start redis postgres influxdb nginx
"$SVC" env all >"$TMP/env2"
check "start again keeps the ports" cmp -s "$TMP/env1" "$TMP/env2"
same_pids=1
for s in redis postgres influxdb nginx; do [[ $(state "$s" pid) == "${PID[$s]}" ]] || same_pids=0; done
check "start again keeps the processes" test $same_pids = 1

"$SVC" status >"$TMP/status" 2>&1
check "status: exit 0 with names" "$SVC" status redis postgres influxdb nginx
check "status: four running with URLs" test "$(grep -c 'running (pid [0-9]*) at ' "$TMP/status")" = 4
check "status: redis URL" grep -q "redis running .* at redis://127.0.0.1:${PORT[redis]}$" "$TMP/status"

env_out=$("$SVC" env redis postgres influxdb nginx)
check "env: eight lines" test "$(wc -l <<<"$env_out")" = 8
(
  set -eu
  eval "$env_out"
  [[ $SPACETIME_TEST_REDIS_URL == "redis://127.0.0.1:${PORT[redis]}" ]]
  [[ $SPACETIME_TEST_POSTGRES_URL == "postgresql://spacetime:spacetime@127.0.0.1:${PORT[postgres]}/spacetime" ]]
  [[ $SPACETIME_TEST_INFLUXDB_URL == "influxdb://spacetime:spacetime@127.0.0.1:${PORT[influxdb]}/spacetime" ]]
  [[ $SPACETIME_TEST_NGINX_URL == "http://127.0.0.1:${PORT[nginx]}" ]]
  [[ $SPACETIME_TEST_REDIS_PORT == "${PORT[redis]}" && $SPACETIME_TEST_POSTGRES_PORT == "${PORT[postgres]}" ]]
  [[ $SPACETIME_TEST_INFLUXDB_PORT == "${PORT[influxdb]}" && $SPACETIME_TEST_NGINX_PORT == "${PORT[nginx]}" ]]
)
check "env: evaluable, names and values right" test $? = 0
check "env: psql with the URL works" test "$("$PSQL" -X -tAc 'select current_user' \
  "postgresql://spacetime:spacetime@127.0.0.1:${PORT[postgres]}/spacetime" 2>&1)" = spacetime

# --- nginx with a custom config template -------------------------------------------------
"$SVC" stop nginx >/dev/null
check "nginx: stopped alone, the others still run" both port_closed "${PORT[nginx]}" port_open "${PORT[redis]}"
cat >"$TMP/nginx.conf.in" <<'EOF'
worker_processes 1;
error_log @PREFIX@/error.log;
events { worker_connections 64; }
http {
  include /etc/nginx/mime.types;
  access_log @PREFIX@/access.log;
  client_body_temp_path @PREFIX@/tmp/client_body;
  proxy_temp_path @PREFIX@/tmp/proxy;
  fastcgi_temp_path @PREFIX@/tmp/fastcgi;
  uwsgi_temp_path @PREFIX@/tmp/uwsgi;
  scgi_temp_path @PREFIX@/tmp/scgi;
  server {
    listen 127.0.0.1:@PORT@;
    location = /hello { default_type text/plain; return 200 "@GREETING@\n"; }
  }
}
EOF
if SPACETIME_NGINX_CONF=$TMP/nginx.conf.in "$SVC" start nginx >"$TMP/out" 2>&1; then
  fail "nginx: a template with an unfilled @GREETING@ is refused"
else
  check "nginx: a template with an unfilled @GREETING@ is refused" grep -q 'unfilled placeholders: @GREETING@' "$TMP/out"
fi
check "nginx: custom template starts" env SPACETIME_NGINX_CONF="$TMP/nginx.conf.in" \
  SPACETIME_NGINX_VAR_GREETING='hi & bye' "$SVC" start nginx
nport=$(state nginx port)
check "nginx: template variables filled" test "$(curl -s -m 5 "http://127.0.0.1:$nport/hello")" = 'hi & bye'
PORT[nginx]=$nport
PID[nginx]=$(state nginx pid)

# --- stop all ---------------------------------------------------------------------------
pgroot=$(state postgres pgroot)
check "stop all" "$SVC" stop all
for s in redis postgres influxdb nginx; do
  check "$s: process gone" wait_gone "${PID[$s]}"
  check "$s: port closed" port_closed "${PORT[$s]}"
done
no_procs() { ! pgrep -f -- "$SPACETIME_SERVICES_DIR/" >/dev/null; }
check "no process left that uses the state directory" no_procs
check "service directories removed" test -z "$(find "$SPACETIME_SERVICES_DIR" -mindepth 1 -type d 2>/dev/null)"
check "postgres data removed" test ! -e "$pgroot"
check "stop all again is a no-op" "$SVC" stop all
check "status NAME of a stopped service exits 1" bash -c "! '$SVC' status redis >/dev/null"

# A missing server: one line that says to run scripts/setup, and nothing started.
if ! PATH=/usr/local/bin:/usr/bin:/bin command -v nginx >/dev/null; then # nginx is in /usr/sbin
  PATH=/usr/local/bin:/usr/bin:/bin "$SVC" start redis nginx >"$TMP/out" 2>&1
  rc=$?
  check "missing nginx: start fails" test "$rc" -ne 0
  check "missing nginx: one line says to run scripts/setup" \
    test "$(cat "$TMP/out")" = "services: error: nginx not found: run scripts/setup to install the servers"
  check "missing nginx: redis not started either" test ! -e "$SPACETIME_SERVICES_DIR/redis"
fi

# --- run ----------------------------------------------------------------------------------
"$SVC" run redis -- sh -c 'echo "$SPACETIME_TEST_REDIS_PORT" >"$1"; redis-cli -p "$SPACETIME_TEST_REDIS_PORT" ping >"$1.ping"; false' \
  sh "$TMP/runport" >/dev/null 2>&1
rc=$?
check "run redis -- false: exits non-zero" test "$rc" -ne 0
rport=$(cat "$TMP/runport" 2>/dev/null)
check "run: the command saw SPACETIME_TEST_REDIS_PORT and redis answered" grep -qx PONG "$TMP/runport.ping"
check "run: redis stopped after the failure" both nonempty "$rport" port_closed "$rport"
check "run: redis state removed" test ! -e "$SPACETIME_SERVICES_DIR/redis"

"$SVC" run redis -- sh -c 'exit 7' >/dev/null 2>&1
check "run: passes on the exit code (7)" test $? = 7
"$SVC" run redis -- true >/dev/null 2>&1
check "run: exit 0 when the command succeeds" test $? = 0
check "run: stdin reaches the command, stdout is only its own" \
  test "$(echo piped | "$SVC" run redis -- cat 2>/dev/null)" = piped

"$SVC" run redis -- sleep 60 >"$TMP/run.out" 2>&1 &
runpid=$!
sleeper=
for ((i = 0; i < 200; i++)); do
  sleeper=$(pgrep -P "$runpid" -x sleep | head -n1) && [[ -n $sleeper ]] && break
  sleep 0.1
done
rport=$(state redis port)
check "run: the command runs while redis is up" both nonempty "$sleeper" port_open "$rport"
kill -TERM "$runpid"
wait "$runpid"
rc=$?
check "run: TERM ends it with 143" test "$rc" = 143
check "run: the command got stopped too" wait_gone "${sleeper:-0}"
check "run: redis stopped after TERM" both nonempty "$rport" port_closed "$rport"

echo "$passed passed, $failed failed"
((failed == 0))
