#!/bin/bash
# bench/http.sh: a first HTTP benchmark. wrk against zhilian's GET /healthz and
# an authenticated GET /api/v1/session (Bearer token), and against nginx
# serving a static file of exactly the /healthz body's size, in the same run
# with the same settings; prints requests/sec of each and the ratios.
# Everything runs on loopback and is cleaned up on exit.
#
#   bench/http.sh                       (after `make`, from anywhere)
#   BENCH_THREADS=2 BENCH_CONNECTIONS=32 BENCH_DURATION=5s bench/http.sh
#   ZHILIAN_BIN=/abs/path/zhilian bench/http.sh
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${ZHILIAN_BIN:-$ROOT/build/zhilian}
THREADS=${BENCH_THREADS:-2}
CONNS=${BENCH_CONNECTIONS:-32}
DURATION=${BENCH_DURATION:-5s}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
WRK=${WRK:-$(command -v wrk || echo wrk)}
PY=${PYTHON:-/usr/bin/python3}

die() { echo "bench: $*" >&2; exit 1; }
[ -x "$BIN" ] || die "'$BIN' not found: run make first"
[ -x "$NGINX" ] || die "nginx not found (Debian package nginx-light)"
command -v "$WRK" >/dev/null || die "wrk not found (Debian package wrk)"
command -v curl >/dev/null || die "curl not found (Debian package curl)"
[ -x "$PY" ] || die "'$PY' not found"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/zhilian-bench.XXXXXX")
ZPID=
NPID=
cleanup() {
	set +e
	if [ -n "$ZPID" ]; then kill "$ZPID" 2>/dev/null; wait "$ZPID" 2>/dev/null; fi
	if [ -n "$NPID" ]; then kill "$NPID" 2>/dev/null; wait "$NPID" 2>/dev/null; fi
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

CURL=(curl -sS --noproxy '*' --max-time 5)

wait_http() { # url what-for log
	for _ in $(seq 1 100); do
		"${CURL[@]}" -o /dev/null -f "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "bench: $2 did not answer at $1" >&2
	[ -f "$3" ] && tail -20 "$3" >&2
	exit 1
}

# two free loopback ports, held together so they differ
read -r ZPORT NPORT < <("$PY" -c '
import socket
a, b = socket.socket(), socket.socket()
a.bind(("127.0.0.1", 0)); b.bind(("127.0.0.1", 0))
print(a.getsockname()[1], b.getsockname()[1])')
Z=http://127.0.0.1:$ZPORT
N=http://127.0.0.1:$NPORT

# ---- zhilian on a demo database
"$BIN" demo --db "$TMP/z.db" >"$TMP/logins.txt" 2>&1 || { cat "$TMP/logins.txt" >&2; die "zhilian demo failed"; }
read -r ADMIN_USER ADMIN_PW < <(sed -n 's|^admin: *\([^ ]*\) */ *\([^ ]*\) *$|\1 \2|p' "$TMP/logins.txt")
[ -n "${ADMIN_PW:-}" ] || die "no admin login in the demo output"
(cd "$ROOT" && exec "$BIN" serve --db "$TMP/z.db" --listen "127.0.0.1:$ZPORT" --quiet) 2>"$TMP/zhilian.log" &
ZPID=$!
wait_http "$Z/healthz" zhilian "$TMP/zhilian.log"

# sign in once and make an API token for the authenticated run
TOKEN=$("$PY" - "$Z" "$ADMIN_USER" "$ADMIN_PW" <<'EOF'
import json, sys, urllib.request
base, user, pw = sys.argv[1:4]
http = urllib.request.build_opener(urllib.request.ProxyHandler({}))
def post(path, body, headers):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST",
                                 headers=dict(headers, **{"Content-Type": "application/json"}))
    return http.open(req, timeout=10)
with post("/api/v1/session", {"username": user, "password": pw}, {}) as r:
    csrf = json.load(r)["csrf_token"]
    cookie = r.headers["Set-Cookie"].split(";")[0]
with post("/api/v1/tokens", {"name": "bench"}, {"Cookie": cookie, "X-CSRF-Token": csrf}) as r:
    print(json.load(r)["token"])
EOF
) || die "could not sign in and make a token"
code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$Z/api/v1/session")
[ "$code" = 200 ] || die "GET /api/v1/session with the token answered $code"

# ---- nginx serving a file of the same size as the /healthz body
mkdir -p "$TMP/www" "$TMP/nginx-temp"
"${CURL[@]}" -f -o "$TMP/www/healthz" "$Z/healthz"
SIZE=$(wc -c <"$TMP/www/healthz")
chmod 755 "$TMP" "$TMP/www"
chmod 644 "$TMP/www/healthz"
cat >"$TMP/nginx.conf" <<EOF
worker_processes ${NGINX_WORKERS:-auto};
daemon off;
master_process on;
pid $TMP/nginx.pid;
error_log $TMP/nginx-error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $TMP/nginx-temp/body;
    proxy_temp_path $TMP/nginx-temp/proxy;
    fastcgi_temp_path $TMP/nginx-temp/fastcgi;
    uwsgi_temp_path $TMP/nginx-temp/uwsgi;
    scgi_temp_path $TMP/nginx-temp/scgi;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
    default_type application/json;
    server {
        listen 127.0.0.1:$NPORT;
        root $TMP/www;
        location = /healthz { }
    }
}
EOF
"$NGINX" -q -e "$TMP/nginx-error.log" -p "$TMP" -c "$TMP/nginx.conf" 2>>"$TMP/nginx-error.log" &
NPID=$!
wait_http "$N/healthz" nginx "$TMP/nginx-error.log"
NSIZE=$("${CURL[@]}" -o /dev/null -w '%{size_download}' "$N/healthz")
[ "$NSIZE" = "$SIZE" ] || die "nginx body is $NSIZE bytes, zhilian's $SIZE"

# ---- the runs
bench() { # name url [wrk args...]
	local name=$1 url=$2
	shift 2
	"$WRK" -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "$@" "$url" >"$TMP/$name.out" 2>&1 ||
		{ cat "$TMP/$name.out" >&2; die "wrk failed on $name"; }
}
bench zhilian-healthz "$Z/healthz"
bench zhilian-session "$Z/api/v1/session" -H "Authorization: Bearer $TOKEN"
bench nginx-static "$N/healthz"

field() { # file -> "rps p50 p99 non2xx errors"
	awk '
	/^Requests\/sec:/ { rps = $2 }
	/^ +50%/ { p50 = $2 }
	/^ +99%/ { p99 = $2 }
	/Non-2xx or 3xx responses:/ { bad = $NF }
	/Socket errors:/ { err = $4 + $6 + $8 + $10 }
	END { printf "%s %s %s %d %d\n", rps, p50, p99, bad, err }' "$1"
}
read -r HZ_RPS HZ_P50 HZ_P99 HZ_BAD HZ_ERR < <(field "$TMP/zhilian-healthz.out")
read -r SE_RPS SE_P50 SE_P99 SE_BAD SE_ERR < <(field "$TMP/zhilian-session.out")
read -r NG_RPS NG_P50 NG_P99 NG_BAD NG_ERR < <(field "$TMP/nginx-static.out")

echo "bench: wrk -t$THREADS -c$CONNS -d$DURATION on 127.0.0.1, body $SIZE bytes, $(nproc) cores"
printf '%-36s %12s %10s %10s %8s %7s\n' target "requests/s" p50 p99 non-2xx errors
printf '%-36s %12s %10s %10s %8s %7s\n' "zhilian GET /healthz" "$HZ_RPS" "$HZ_P50" "$HZ_P99" "$HZ_BAD" "$HZ_ERR"
printf '%-36s %12s %10s %10s %8s %7s\n' "zhilian GET /api/v1/session (Bearer)" "$SE_RPS" "$SE_P50" "$SE_P99" "$SE_BAD" "$SE_ERR"
printf '%-36s %12s %10s %10s %8s %7s\n' "nginx GET static file, same size" "$NG_RPS" "$NG_P50" "$NG_P99" "$NG_BAD" "$NG_ERR"
awk -v h="$HZ_RPS" -v s="$SE_RPS" -v n="$NG_RPS" 'BEGIN {
	if (n <= 0) { print "ratio: nginx made no requests"; exit 1 }
	printf "ratio zhilian /healthz / nginx:         %.3f\n", h / n
	printf "ratio zhilian /api/v1/session / nginx: %.3f\n", s / n
}'
if [ "$HZ_BAD" != 0 ] || [ "$SE_BAD" != 0 ] || [ "$NG_BAD" != 0 ]; then
	die "some answers were not 2xx: the figures above are not comparable"
fi
