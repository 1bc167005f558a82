"""The audit log: every change appears with before/after, filters, cursor
pagination, admin only, append-only; then `zhilian check` on an online backup."""
import datetime
import json
import os
import tempfile

import pytest

from conftest import (TOWN, VILLAGE_A, VILLAGE_B, Server, create_user, list_all, problem,
                      run_cli, unique)

ITEM_KEYS = {"id", "at", "user_id", "username", "addr", "action", "entity", "entity_id",
             "before", "after", "hash"}


def as_obj(v):
    """before/after as an object (tolerates a JSON string)."""
    if isinstance(v, str):
        return json.loads(v)
    return v


def audit_all(client, **params):
    return list_all(client, "/api/v1/audit", params, limit=500)


def rows_for(items, entity, entity_id):
    return [i for i in items if i["entity"] == entity and str(i["entity_id"]) == str(entity_id)]


@pytest.fixture(scope="module")
def story(server):
    """Makes the changes the tests then look for in the log."""
    admin = server.token_client("admin")
    admin_id = server.user_id("admin")
    s = {"admin_id": admin_id}
    u = create_user(admin, role="viewer", scope=TOWN, display_name="审计前")
    s["user"] = u
    r = admin.patch("/api/v1/users/%d" % u["id"], json={"display_name": "审计后", "role": "cadre",
                                                       "scope_code": VILLAGE_A})
    assert r.status_code == 200, r.text
    # the user changes their own password (forced change)
    c = server.login(u["username"], u["_password"])
    s["user_new_password"] = "Audited-Change-2026"
    r = c.post("/api/v1/session/password", json={"old_password": u["_password"],
                                                 "new_password": s["user_new_password"]})
    assert r.status_code == 204, r.text
    c.refresh()
    # a token made and revoked by the user
    s["token_name"] = unique("audtok")
    r = c.post("/api/v1/tokens", json={"name": s["token_name"]})
    assert r.status_code == 201, r.text
    s["token"] = r.json()
    assert c.delete("/api/v1/tokens/%d" % s["token"]["id"]).status_code == 204
    # disabled by the admin
    d = create_user(admin, role="viewer", scope=VILLAGE_B)
    assert admin.patch("/api/v1/users/%d" % d["id"], json={"disabled": True}).status_code == 200
    s["disabled"] = d
    return s


def test_item_shape(server, story):
    items = audit_all(server.token_client("admin"))
    assert items
    for i in items:
        assert set(i) >= ITEM_KEYS, i
        assert isinstance(i["id"], int)
        at = datetime.datetime.fromisoformat(i["at"])
        assert at.utcoffset() == datetime.timedelta(hours=8), i["at"]
        assert isinstance(i["hash"], str) and len(i["hash"]) >= 32


def test_user_create_and_patch_audited(server, story):
    admin = server.token_client("admin")
    u = story["user"]
    rows = rows_for(audit_all(admin, entity="user"), "user", u["id"])
    creates = [r for r in rows if as_obj(r["before"]) is None]
    assert len(creates) == 1, rows
    cr = creates[0]
    after = as_obj(cr["after"])
    assert after["username"] == u["username"] and after["role"] == "viewer" and after["scope_code"] == TOWN
    assert after["display_name"] == "审计前"
    assert cr["user_id"] == story["admin_id"] and cr["username"] == server.logins["admin"][0]
    assert cr["addr"] == "127.0.0.1"

    patches = [r for r in rows if as_obj(r["before"]) and as_obj(r["after"])
               and as_obj(r["before"]).get("display_name") == "审计前"
               and as_obj(r["after"]).get("display_name") == "审计后"]
    assert len(patches) == 1, rows
    b, a = as_obj(patches[0]["before"]), as_obj(patches[0]["after"])
    assert (b.get("role"), a.get("role")) == ("viewer", "cadre"), (b, a)
    assert (b.get("scope_code"), a.get("scope_code")) == (TOWN, VILLAGE_A), (b, a)
    assert patches[0]["action"] != cr["action"]


def test_password_change_audited_without_secrets(server, story):
    admin = server.token_client("admin")
    u = story["user"]
    rows = [r for r in rows_for(audit_all(admin), "user", u["id"]) if r["user_id"] == u["id"]]
    assert rows, "the user's own password change is not in the audit log"
    dump = json.dumps(audit_all(admin), ensure_ascii=False)
    for secret in (u["_password"], story["user_new_password"], story["token"]["token"], "$argon2"):
        assert secret not in dump, "audit log holds a secret: %r" % secret[:12]


def test_token_audited(server, story):
    admin = server.token_client("admin")
    tid = story["token"]["id"]
    items = audit_all(admin)
    rows = [r for r in items if str(r["entity_id"]) == str(tid) and "token" in r["entity"]]
    assert len(rows) >= 2, [(r["action"], r["entity"], r["entity_id"]) for r in items[-20:]]
    made = [r for r in rows if as_obj(r["before"]) is None]
    assert made and as_obj(made[0]["after"])["name"] == story["token_name"]
    assert all(r["user_id"] == story["user"]["id"] for r in rows)


def test_disable_audited(server, story):
    admin = server.token_client("admin")
    d = story["disabled"]
    rows = rows_for(audit_all(admin, entity="user"), "user", d["id"])
    changes = [r for r in rows if as_obj(r["before"]) is not None]
    assert len(changes) == 1, rows
    b, a = as_obj(changes[0]["before"]), as_obj(changes[0]["after"])
    assert not (b.get("disabled") or b.get("disabled_at")), b
    assert a.get("disabled") is True or a.get("disabled_at"), a


def test_filters(server, story):
    admin = server.token_client("admin")
    everything = audit_all(admin)
    by_entity = audit_all(admin, entity="user")
    assert by_entity and all(i["entity"] == "user" for i in by_entity)
    assert len(by_entity) < len(everything)
    create_action = [r for r in rows_for(everything, "user", story["user"]["id"])
                     if as_obj(r["before"]) is None][0]["action"]
    by_action = audit_all(admin, action=create_action)
    assert by_action and all(i["action"] == create_action for i in by_action)
    assert {story["user"]["id"], story["disabled"]["id"]} <= {int(i["entity_id"]) for i in by_action}
    uid = story["user"]["id"]
    by_user = audit_all(admin, user=uid)
    assert by_user and all(i["user_id"] == uid for i in by_user), by_user
    assert {i["id"] for i in by_user} == {i["id"] for i in everything if i["user_id"] == uid}
    assert audit_all(admin, entity="no-such-entity") == []


def test_time_filters(server, story):
    admin = server.token_client("admin")
    t0 = datetime.datetime.fromisoformat(server.clock(advance="PT1S"))
    server.clock(advance="PT2H")
    late = create_user(admin, role="viewer")
    mid = (t0 + datetime.timedelta(hours=1)).isoformat()
    after_mid = audit_all(admin, **{"from": mid})
    assert late["id"] in {int(i["entity_id"]) for i in after_mid if i["entity"] == "user"}
    assert all(datetime.datetime.fromisoformat(i["at"]) >= t0 + datetime.timedelta(hours=1) for i in after_mid)
    before_mid = audit_all(admin, to=mid)
    assert before_mid
    assert late["id"] not in {int(i["entity_id"]) for i in before_mid if i["entity"] == "user" and i["entity_id"]}
    assert all(datetime.datetime.fromisoformat(i["at"]) <= t0 + datetime.timedelta(hours=1) for i in before_mid)
    assert {i["id"] for i in after_mid} | {i["id"] for i in before_mid} == {i["id"] for i in audit_all(admin)}
    body = problem(admin.get("/api/v1/audit", params={"from": "yesterday"}), 422)
    assert "from" in {e["field"] for e in body["errors"]}, body


def test_pagination(server, story):
    admin = server.token_client("admin")
    for _ in range(3):
        create_user(admin)
    # the demo town writes thousands of rows; page through the user rows
    full = admin.get("/api/v1/audit", params={"entity": "user", "limit": 500}).json()
    assert full["next_cursor"] is None
    paged = list_all(admin, "/api/v1/audit", params={"entity": "user"}, limit=3)
    assert [i["id"] for i in paged] == [i["id"] for i in full["items"]]
    ids = [i["id"] for i in paged]
    assert len(ids) == len(set(ids)) and len(ids) > 6
    assert ids == sorted(ids) or ids == sorted(ids, reverse=True)
    first = admin.get("/api/v1/audit", params={"limit": 2}).json()
    assert len(first["items"]) == 2 and isinstance(first["next_cursor"], str)
    # filters hold across pages
    paged_users = list_all(admin, "/api/v1/audit", {"entity": "user"}, limit=2)
    assert [i["id"] for i in paged_users] == [i["id"] for i in audit_all(admin, entity="user")]


@pytest.mark.parametrize("role", ["leader", "cadre", "viewer"])
def test_audit_is_admin_only(server, role):
    problem(server.session(role).get("/api/v1/audit"), 403, "auth.forbidden")


def test_audit_is_append_only(server):
    admin = server.token_client("admin")
    for m in ("POST", "PUT", "PATCH", "DELETE"):
        r = admin.request(m, "/api/v1/audit", json={})
        problem(r, 405, "method_not_allowed")
        r = admin.request(m, "/api/v1/audit/1", json={})
        assert r.status_code in (404, 405), (m, r.status_code)


def test_check_on_online_backup(server, story):
    admin = server.token_client("admin")
    marker = create_user(admin, role="viewer")
    out = os.path.join(server.dir, "backup.db")
    p = run_cli("backup", "--db", server.db, out)
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert os.path.getsize(out) > 0
    p = run_cli("check", "--db", out)
    assert p.returncode == 0, (p.stdout, p.stderr)
    # the live database passes too, while the server runs
    p = run_cli("check", "--db", server.db)
    assert p.returncode == 0, (p.stdout, p.stderr)
    # the backup is a working database that holds the latest change
    # restored with `zhilian restore`, which puts the key file beside it too
    assert os.path.exists(out + ".key")
    assert os.stat(out + ".key").st_mode & 0o077 == 0
    d = tempfile.mkdtemp(prefix="zhilian-restored-")
    p = run_cli("restore", "--db", os.path.join(d, "z.db"), out)
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert os.path.exists(os.path.join(d, "z.db.key"))
    s2 = Server(name="restored", dirpath=d, demo=False)
    s2.logins = server.logins
    try:
        s2.start()
        a2 = s2.login("admin")
        g = a2.get("/api/v1/users/%d" % marker["id"])
        assert g.status_code == 200 and g.json()["username"] == marker["username"]
    finally:
        s2.cleanup()


def test_check_detects_tampering(server, story, tmp_path):
    """`zhilian check` is worth running only if it fails on a broken chain."""
    sqlite3 = pytest.importorskip("sqlite3")
    out = str(tmp_path / "tampered.db")
    assert run_cli("backup", "--db", server.db, out).returncode == 0
    db = sqlite3.connect(out)
    db.execute("DROP TRIGGER audit_log_no_update")
    n = db.execute("UPDATE audit_log SET after_json = '{\"forged\": true}' "
                   "WHERE id = (SELECT min(id) + 1 FROM audit_log)").rowcount
    db.commit()
    db.close()
    assert n == 1
    p = run_cli("check", "--db", out)
    assert p.returncode != 0, (p.stdout, p.stderr)
