#!/bin/bash
# bench/contacts.sh: creates N contacts (default 100,000) through the API
# (POST /api/v1/contacts with wrk over keep-alive connections, Bearer token of
# the demo admin; each one a transaction with its audit row), then inserts the
# same rows with raw SQLite (one transaction per contact, WAL and
# synchronous=NORMAL as the server uses) in the same run; prints both rates and
# the ratio.
#
#   bench/contacts.sh                    (after `make`, from anywhere)
#   BENCH_ROWS=20000 BENCH_CONNECTIONS=8 bench/contacts.sh
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${ZHILIAN_BIN:-$ROOT/build/zhilian}
ROWS=${BENCH_ROWS:-100000}
THREADS=${BENCH_THREADS:-2}
CONNS=${BENCH_CONNECTIONS:-8}
WRK=${WRK:-$(command -v wrk || echo wrk)}
PY=${PYTHON:-/usr/bin/python3}

die() { echo "bench: $*" >&2; exit 1; }
[ -x "$BIN" ] || die "'$BIN' not found: run make first"
command -v "$WRK" >/dev/null || die "wrk not found (Debian package wrk)"
command -v curl >/dev/null || die "curl not found (Debian package curl)"
[ "$CONNS" -ge "$THREADS" ] || die "BENCH_CONNECTIONS must be at least BENCH_THREADS"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/zhilian-bench.XXXXXX")
ZPID=
cleanup() {
	set +e
	if [ -n "$ZPID" ]; then kill "$ZPID" 2>/dev/null; wait "$ZPID" 2>/dev/null; fi
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ZPORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
Z=http://127.0.0.1:$ZPORT

"$BIN" demo --db "$TMP/z.db" >"$TMP/logins.txt" 2>&1 || { cat "$TMP/logins.txt" >&2; die "zhilian demo failed"; }
read -r ADMIN_USER ADMIN_PW < <(sed -n 's|^admin: *\([^ ]*\) */ *\([^ ]*\) *$|\1 \2|p' "$TMP/logins.txt")
[ -n "${ADMIN_PW:-}" ] || die "no admin login in the demo output"
# the raw run gets its own copy of the same starting database
cp "$TMP/z.db" "$TMP/raw.db"
HID=$("$PY" -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(
    "SELECT id FROM household ORDER BY id LIMIT 1").fetchone()[0])' "$TMP/z.db")
(cd "$ROOT" && exec "$BIN" serve --db "$TMP/z.db" --listen "127.0.0.1:$ZPORT" --quiet) 2>"$TMP/zhilian.log" &
ZPID=$!
for _ in $(seq 1 100); do
	curl -sS --noproxy '*' -o /dev/null -f "$Z/healthz" 2>/dev/null && break
	sleep 0.1
done

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

# bodies differ by thread and serial
cat >"$TMP/post.lua" <<EOF
local hid, thread_no = $HID, 0
function setup(thread) thread_no = thread_no + 1; thread:set("tno", thread_no) end
function init(args) sent = 0 end
function request()
  sent = sent + 1
  local k = tno * 10000000 + sent
  local body = string.format('{"method":"home_visit","started_at":"2026-01-10T%02d:%02d:00+08:00",' ..
    '"duration_min":%d,"summary":"走访 %d：了解生产生活情况","households":[%d]}',
    k % 10, k % 60, 1 + k % 120, k, hid)
  return wrk.format("POST", "/api/v1/contacts", {["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer $TOKEN"}, body)
end
function response(status, headers, body)
  if status ~= 201 then io.stderr:write("status " .. status .. ": " .. body .. "\n") end
end
EOF
# wrk runs by time, not by count: it is stopped once the database holds
# ROWS contacts (polled read-only; WAL lets the reader run beside the writer).
count() { "$PY" -c 'import sqlite3, sys; print(sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True).execute("SELECT COUNT(*) FROM contact").fetchone()[0])' "$TMP/z.db"; }
START=$(date +%s.%N)
"$WRK" -t"$THREADS" -c"$CONNS" -d3600s -s "$TMP/post.lua" "$Z" >"$TMP/wrk.out" 2>&1 &
WPID=$!
while kill -0 "$WPID" 2>/dev/null && [ "$(count)" -lt "$ROWS" ]; do sleep 0.2; done
END=$(date +%s.%N)
kill -INT "$WPID" 2>/dev/null || true
wait "$WPID" 2>/dev/null || true
API_ROWS=$("$PY" -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT COUNT(*) FROM contact").fetchone()[0])' "$TMP/z.db")
NON2XX=$(grep -c "^status" "$TMP/wrk.out" || true)
API_S=$("$PY" -c "print(round($END - $START, 3))")

# ---- the same rows with raw SQLite, one transaction each
RAW=$("$PY" - "$TMP/raw.db" "$API_ROWS" "$HID" <<'EOF'
import sqlite3, sys, time, uuid, hashlib
path, n, hid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
con = sqlite3.connect(path, isolation_level=None)
con.execute("PRAGMA journal_mode=WAL"); con.execute("PRAGMA synchronous=NORMAL"); con.execute("PRAGMA foreign_keys=ON")
author = con.execute("SELECT id FROM app_user WHERE username = 'admin'").fetchone()[0]
village = con.execute("SELECT village_code FROM household WHERE id = ?", (hid,)).fetchone()[0]
t0 = time.monotonic()
for k in range(n):
    summary = "走访 %d：了解生产生活情况" % k
    con.execute("BEGIN IMMEDIATE")
    cur = con.execute(
        "INSERT INTO contact(uuid, author_user_id, method, started_at, duration_min, summary, village_code,"
        " content_hash, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
        (str(uuid.uuid4()), author, "home_visit", "2026-01-10T%02d:%02d:00Z" % (k % 10, k % 60),
         1 + k % 120, summary, village, hashlib.sha256(summary.encode()).hexdigest(),
         "2026-11-01T00:00:00Z", "2026-11-01T00:00:00Z"))
    con.execute("INSERT INTO contact_household(contact_id, household_id) VALUES (?,?)", (cur.lastrowid, hid))
    con.execute("UPDATE household SET last_contact_at = ? WHERE id = ?", ("2026-01-10T09:00:00Z", hid))
    con.execute("COMMIT")
print(round(time.monotonic() - t0, 3))
EOF
)
"$PY" - "$API_ROWS" "$API_S" "$RAW" "${NON2XX:-0}" "$ROWS" <<'EOF'
import sys
rows, api_s, raw_s, non2xx, asked = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4], int(sys.argv[5])
api, raw = rows / api_s, rows / raw_s
print("contacts asked %d, stored through the API %d (non-2xx answers: %s)" % (asked, rows, non2xx))
print("API  POST /api/v1/contacts: %8.0f contacts/s (%.1f s)" % (api, api_s))
print("raw  SQLite inserts:        %8.0f contacts/s (%.1f s)" % (raw, raw_s))
print("ratio raw / API: %.1f" % (raw / api))
EOF
