#!/bin/sh
# Browser tests: builds a demo database in a temp folder, serves it on a free
# loopback port, runs `node --test tests/web/` against it with ZHILIAN_URL
# set, stops the server and exits with node's status.
# usage: scripts/run-web-tests.sh path/to/zhilian
set -u
BIN=${1:?usage: scripts/run-web-tests.sh path/to/zhilian}
case $BIN in /*) ;; *) BIN=$(pwd)/$BIN ;; esac
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1

if [ ! -x /usr/bin/chromium ]; then
	echo "run-web-tests: /usr/bin/chromium is missing (apt-get install chromium)" >&2
	exit 1
fi
if [ ! -d tests/web/node_modules/playwright-core ]; then
	(cd tests/web && npm install --no-audit --no-fund --silent) || {
		echo "run-web-tests: npm install failed in tests/web" >&2
		exit 1
	}
fi

DIR=$(mktemp -d "${TMPDIR:-/tmp}/zhilian-web.XXXXXX")
PID=
cleanup() {
	if [ -n "$PID" ]; then
		kill "$PID" 2>/dev/null
		wait "$PID" 2>/dev/null
	fi
	rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$BIN" demo --db "$DIR/z.db" >"$DIR/demo.txt" 2>&1 || {
	echo "run-web-tests: demo failed:" >&2
	cat "$DIR/demo.txt" >&2
	exit 1
}

# A free port: let the kernel pick one; retry if someone takes it first.
tries=0
while :; do
	PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
	# the test clock lets tests drive deadlines and deliveries without sleeping
	# every browser test signs in from 127.0.0.1: more than the default 20 in 5 minutes
	ZHILIAN_TEST_CLOCK=1 "$BIN" serve --db "$DIR/z.db" --listen "127.0.0.1:$PORT" --web "$ROOT/web" --signin-limit 200 --quiet >"$DIR/server.log" 2>&1 &
	PID=$!
	URL="http://127.0.0.1:$PORT"
	up=0
	i=0
	while [ $i -lt 100 ]; do
		if ! kill -0 "$PID" 2>/dev/null; then break; fi
		if python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + "/healthz", timeout=2)' "$URL" 2>/dev/null; then
			up=1
			break
		fi
		sleep 0.1
		i=$((i + 1))
	done
	[ $up = 1 ] && break
	kill "$PID" 2>/dev/null
	wait "$PID" 2>/dev/null
	PID=
	tries=$((tries + 1))
	if [ $tries -ge 3 ]; then
		echo "run-web-tests: the server did not start:" >&2
		cat "$DIR/server.log" >&2
		exit 1
	fi
done

echo "run-web-tests: server at $URL"
# one file at a time: a test that moves the shared test clock must not sign
# out a page another file is driving
ZHILIAN_URL=$URL node --test --test-concurrency=1 tests/web/
status=$?
if [ $status -ne 0 ] && [ -s "$DIR/server.log" ]; then
	echo "run-web-tests: server log:" >&2
	tail -n 50 "$DIR/server.log" >&2
fi
exit $status
