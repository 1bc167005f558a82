"""Durability: 200 concurrent user creations, SIGKILL in the middle, restart
on the same database: every creation that was answered 201 is there, and
`zhilian check` passes."""
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from conftest import TOWN, list_all, run_cli, start_server, unique

N = 200
WORKERS = 32
KILL_AFTER = 60


def test_sigkill_during_concurrent_creations(request):
    s = start_server(request, name="durability")
    auth = s.token_client("admin").headers["Authorization"]  # bearer: no CSRF dance
    url = s.url("/api/v1/users")
    tag = unique("d")
    lock = threading.Lock()
    local = threading.local()
    results = {}
    state = {"done": 0, "killed_at": None}

    def create(i):
        username = "%sn%03d" % (tag, i)
        if not hasattr(local, "http"):
            local.http = requests.Session()
            local.http.trust_env = False
        body = {"username": username, "display_name": "耐久 %d" % i, "role": "viewer",
                "scope_code": TOWN, "password": "Durable-Pass-%03d-xyz" % i}
        try:
            r = local.http.post(url, json=body, headers={"Authorization": auth}, timeout=30)
            outcome = (r.status_code, r.json().get("id") if r.status_code == 201 else None)
        except (requests.RequestException, ValueError) as e:
            outcome = ("error", type(e).__name__)
        with lock:
            results[username] = outcome
            state["done"] += 1
            if state["done"] == KILL_AFTER:
                state["killed_at"] = sum(1 for o in results.values() if o[0] == 201)
                s.kill()

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        list(pool.map(create, range(N)))

    created = {u: o[1] for u, o in results.items() if o[0] == 201}
    others = {u: o for u, o in results.items() if o[0] != 201}
    print("durability: %d answered 201 (%d when the kill came), %d saw the crash"
          % (len(created), state["killed_at"] or 0, len(others)))
    assert len(results) == N
    assert state["killed_at"] is not None and state["killed_at"] >= KILL_AFTER // 2, state
    assert len(created) < N, "the server was not killed in the middle"
    assert others, "no request saw the crash"
    # before the kill, only 201s (nothing else was asked)
    unexpected = {u: o for u, o in others.items() if o[0] != "error"}
    assert not unexpected, unexpected

    # the crashed database is consistent as it lies
    p = run_cli("check", "--db", s.db)
    assert p.returncode == 0, ("check after SIGKILL", p.stdout, p.stderr)

    s.start()
    admin = s.client(Authorization=auth)
    users = list_all(admin, "/api/v1/users", {"q": tag}, limit=100)
    found = {u["username"]: u["id"] for u in users}
    lost = sorted(u for u in created if u not in found)
    print("durability: %d of the %d half-done creations were committed"
          % (sum(1 for u in others if u in found), len(others)))
    assert not lost, "%d users answered 201 but lost after SIGKILL: %s" % (len(lost), lost[:10])
    assert all(found[u] == i for u, i in created.items())
    assert len(users) == len(found), "duplicate users in the list"
    # whatever was half-done is either fully there or not at all
    for u in others:
        if u in found:
            g = admin.get("/api/v1/users/%d" % found[u])
            assert g.status_code == 200 and g.json()["username"] == u
    # and the server works on: one more creation
    r = admin.post("/api/v1/users", json={"username": tag + "after", "display_name": "x", "role": "viewer",
                                          "scope_code": TOWN, "password": "After-Crash-2026"})
    assert r.status_code == 201, r.text

    assert s.stop() == 0, s.stderr_tail()
    p = run_cli("check", "--db", s.db)
    assert p.returncode == 0, ("check after restart", p.stdout, p.stderr)


def test_online_backup_under_writes(request, tmp_path):
    """`zhilian backup` while users are being created: the copy passes
    `zhilian check` and holds a subset of what was answered 201."""
    import subprocess
    from conftest import BIN, REPO, Server
    s = start_server(request, name="backupload")
    auth = s.token_client("admin").headers["Authorization"]
    url = s.url("/api/v1/users")
    tag = unique("b")
    out = str(tmp_path / "copy.db")
    box = {}

    def create(i):
        http = requests.Session()
        http.trust_env = False
        r = http.post(url, json={"username": "%sn%03d" % (tag, i), "display_name": "x", "role": "viewer",
                                 "scope_code": TOWN, "password": "Backup-Pass-%03d-xyz" % i},
                      headers={"Authorization": auth}, timeout=30)
        if i == 10:
            box["t0"] = time.monotonic()
            box["backup"] = subprocess.run([BIN, "backup", "--db", s.db, out], capture_output=True,
                                           text=True, timeout=60, cwd=REPO)
            box["t"] = time.monotonic() - box["t0"]
        return r.status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(create, range(40)))
    print("backup under writes took %.2f s" % box["t"])
    assert statuses == [201] * 40, statuses
    b = box["backup"]
    assert b.returncode == 0, (b.stdout, b.stderr)
    p = run_cli("check", "--db", out)
    assert p.returncode == 0, (p.stdout, p.stderr)
    # the copy serves, and what it holds was all created
    import os
    import tempfile
    d = tempfile.mkdtemp(prefix="zhilian-copy-")
    os.rename(out, os.path.join(d, "z.db"))
    os.rename(out + ".key", os.path.join(d, "z.db.key"))  # backup copies the key beside it
    s2 = Server(name="copy", dirpath=d, demo=False)
    try:
        s2.start()
        copied = list_all(s2.client(Authorization=auth), "/api/v1/users", {"q": tag}, limit=100)
        assert len(copied) <= 40
        assert all(u["username"].startswith(tag) for u in copied)
    finally:
        s2.cleanup()
