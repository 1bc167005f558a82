"""Users: creation, forced password change, password rules, roles,
escalation, region scope and disabling."""
import pytest

from conftest import (TOWN, VILLAGE_A, VILLAGE_B, create_user, list_all, problem, ready_user,
                      unique)

USER_KEYS = {"id", "username", "display_name", "role", "scope_code", "must_change_password"}


def no_secrets(obj):
    text = repr(obj)
    assert "argon2" not in text and "password_hash" not in text, obj


# ---------------------------------------------------------------- create

def test_create_user(server, admin_token):
    name = unique("new")
    body = {"username": name, "display_name": "新用户", "role": "cadre", "scope_code": VILLAGE_A,
            "password": "First-Pass-2026"}
    r = admin_token.post("/api/v1/users", json=body)
    assert r.status_code == 201, r.text
    u = r.json()
    assert set(u) >= USER_KEYS, u
    assert (u["username"], u["display_name"], u["role"], u["scope_code"]) == (name, "新用户", "cadre", VILLAGE_A)
    assert u["must_change_password"] is True
    assert isinstance(u["id"], int)
    no_secrets(u)
    loc = r.headers.get("Location")
    assert loc and loc.endswith("/api/v1/users/%d" % u["id"]), loc
    g = admin_token.get(loc[loc.index("/api/"):])
    assert g.status_code == 200
    assert g.json()["username"] == name and g.json()["id"] == u["id"]
    no_secrets(g.json())


def test_create_user_conflict_and_validation(server, admin_token):
    u = create_user(admin_token)
    problem(admin_token.post("/api/v1/users", json={
        "username": u["username"], "display_name": "dup", "role": "viewer", "scope_code": TOWN,
        "password": "Another-Pass-2026"}), 409, "user.exists")
    body = problem(admin_token.post("/api/v1/users", json={
        "username": unique("r"), "display_name": "x", "role": "superuser", "scope_code": TOWN,
        "password": "Another-Pass-2026"}), 422)
    assert "role" in {e["field"] for e in body["errors"]}, body
    body = problem(admin_token.post("/api/v1/users", json={
        "username": unique("s"), "display_name": "x", "role": "viewer", "scope_code": "999999999999",
        "password": "Another-Pass-2026"}), 422)
    assert "scope_code" in {e["field"] for e in body.get("errors") or [{"field": "scope_code"}]}, body
    body = problem(admin_token.post("/api/v1/users", json={
        "username": 42, "display_name": "x", "role": "viewer", "scope_code": TOWN,
        "password": "Another-Pass-2026"}), 422)
    assert "username" in {e["field"] for e in body["errors"]}, body


@pytest.mark.parametrize("pw,ok", [
    ("Short-1", False),
    ("abcdefghi", False),             # 9
    ("abcdefghij", True),             # 10
    ("密码密码密码密码密", False),      # 9 code points (27 bytes)
    ("密码密码密码密码密码", True),     # 10 code points
])
def test_password_length_rule_on_create(server, admin_token, pw, ok):
    name = unique("len")
    r = admin_token.post("/api/v1/users", json={"username": name, "display_name": "x", "role": "viewer",
                                                "scope_code": TOWN, "password": pw})
    if ok:
        assert r.status_code == 201, r.text
    else:
        body = problem(r, 422)
        assert [e["field"] for e in body["errors"]] == ["password"], body


def test_password_must_not_contain_username_on_create(server, admin_token):
    name = unique("pwu")
    r = admin_token.post("/api/v1/users", json={"username": name, "display_name": "x", "role": "viewer",
                                                "scope_code": TOWN, "password": "X-" + name.upper() + "-2026"})
    body = problem(r, 422)
    assert "password" in {e["field"] for e in body["errors"]}, body


# ---------------------------------------------------------------- forced password change

def test_forced_password_change(server, admin_token):
    u = create_user(admin_token, role="leader")
    c = server.login(u["username"], u["_password"])
    assert c.user["must_change_password"] is True
    problem(c.get("/api/v1/users"), 403, "auth.password_change_required")
    problem(c.get("/api/v1/tokens"), 403, "auth.password_change_required")
    problem(c.post("/api/v1/tokens", json={"name": "x"}), 403, "auth.password_change_required")
    r = c.get("/api/v1/session")
    assert r.status_code == 200 and r.json()["user"]["must_change_password"] is True

    # the rules
    r = c.post("/api/v1/session/password", json={"old_password": u["_password"], "new_password": "short"})
    body = problem(r, 422)
    assert "new_password" in {e["field"] for e in body["errors"]}, body
    r = c.post("/api/v1/session/password",
               json={"old_password": u["_password"], "new_password": "My-" + u["username"].upper() + "-2026"})
    body = problem(r, 422)
    assert "new_password" in {e["field"] for e in body["errors"]}, body
    r = c.post("/api/v1/session/password",
               json={"old_password": "not-the-old-one-1", "new_password": "Brand-New-Pass-2026"})
    assert 400 <= r.status_code < 500 and r.status_code != 404, r.status_code
    problem(r, r.status_code)
    # CSRF applies to the password route too
    csrf = c.csrf
    c.set_csrf(None)
    problem(c.post("/api/v1/session/password",
                   json={"old_password": u["_password"], "new_password": "Brand-New-Pass-2026"}), 403, "auth.csrf")
    c.set_csrf(csrf)
    problem(c.get("/api/v1/users"), 403, "auth.password_change_required")

    r = c.post("/api/v1/session/password",
               json={"old_password": u["_password"], "new_password": "Brand-New-Pass-2026"})
    assert r.status_code == 204, r.text
    r = c.refresh()
    assert r.status_code == 200 and r.json()["user"]["must_change_password"] is False
    assert c.get("/api/v1/users").status_code == 200

    server.login(u["username"], u["_password"], expect=401)
    again = server.login(u["username"], "Brand-New-Pass-2026")
    assert again.user["must_change_password"] is False


def test_admin_set_password_forces_change(server, admin_token):
    c, u, pw = ready_user(server, admin_token, role="cadre", scope=VILLAGE_A)
    r = admin_token.patch("/api/v1/users/%d" % u["id"], json={"password": "Reset-By-Admin-2026"})
    assert r.status_code == 200, r.text
    no_secrets(r.json())
    server.login(u["username"], pw, expect=401)
    c2 = server.login(u["username"], "Reset-By-Admin-2026")
    assert c2.user["must_change_password"] is True
    problem(c2.get("/api/v1/tokens"), 403, "auth.password_change_required")


# ---------------------------------------------------------------- roles and escalation

def test_leader_cannot_create_or_change_users(server, admin_token):
    leader = server.session("leader")
    problem(leader.post("/api/v1/users", json={
        "username": unique("l"), "display_name": "x", "role": "viewer", "scope_code": TOWN,
        "password": "Leader-Made-2026"}), 403, "auth.forbidden")
    victim = create_user(admin_token)
    problem(leader.patch("/api/v1/users/%d" % victim["id"], json={"display_name": "changed"}),
            403, "auth.forbidden")
    assert leader.get("/api/v1/users/%d" % victim["id"]).status_code == 200


@pytest.mark.parametrize("role", ["leader", "cadre", "viewer"])
def test_nobody_raises_own_role(server, role):
    c = server.session(role)
    me = c.user["id"]
    r = c.patch("/api/v1/users/%d" % me, json={"role": "admin"})
    body = problem(r, 403)
    assert body["code"] in ("user.escalation", "auth.forbidden"), body
    assert c.refresh().json()["user"]["role"] == role
    r = c.patch("/api/v1/users/%d" % me, json={"scope_code": "440881000000"})
    assert r.status_code in (403, 404, 422), r.status_code


@pytest.fixture(scope="module")
def village_admin(server):
    admin = server.token_client("admin")
    c, u, pw = ready_user(server, admin, role="admin", scope=VILLAGE_A)
    return c


def test_village_admin_cannot_widen_own_scope(server, village_admin):
    c = village_admin
    me = c.user["id"]
    problem(c.patch("/api/v1/users/%d" % me, json={"scope_code": TOWN}), 403, "user.escalation")
    assert c.refresh().json()["user"]["scope_code"] == VILLAGE_A
    # moving itself sideways to a village it does not hold is not allowed either
    r = c.patch("/api/v1/users/%d" % me, json={"scope_code": VILLAGE_B})
    assert r.status_code in (403, 404, 422), r.status_code
    assert c.refresh().json()["user"]["scope_code"] == VILLAGE_A


def test_village_admin_cannot_create_outside_scope(server, village_admin):
    name = unique("out")
    r = village_admin.post("/api/v1/users", json={"username": name, "display_name": "x", "role": "viewer",
                                                  "scope_code": TOWN, "password": "Outside-Scope-2026"})
    assert r.status_code in (403, 404, 422), r.status_code
    problem(r, r.status_code)
    admin = server.token_client("admin")
    assert not [u for u in list_all(admin, "/api/v1/users", {"q": name}) if u["username"] == name]
    ok = create_user(village_admin, role="cadre", scope=VILLAGE_A)
    assert ok["scope_code"] == VILLAGE_A


def test_scope_hides_users_outside(server, village_admin):
    admin = server.token_client("admin")
    outside = create_user(admin, role="cadre", scope=VILLAGE_B)
    inside = create_user(admin, role="cadre", scope=VILLAGE_A)
    vleader, _, _ = ready_user(server, admin, role="leader", scope=VILLAGE_A)
    for c in (vleader, village_admin):
        problem(c.get("/api/v1/users/%d" % outside["id"]), 404, "not_found")
        assert c.get("/api/v1/users/%d" % inside["id"]).status_code == 200
        # the town admin, above the village, is outside too
        problem(c.get("/api/v1/users/%d" % server.user_id("admin")), 404, "not_found")
        listed = list_all(c, "/api/v1/users")
        ids = {u["id"] for u in listed}
        assert inside["id"] in ids and outside["id"] not in ids
        assert {u["scope_code"] for u in listed} == {VILLAGE_A}, {u["scope_code"] for u in listed}
    problem(village_admin.patch("/api/v1/users/%d" % outside["id"], json={"display_name": "x"}),
            404, "not_found")
    problem(village_admin.patch("/api/v1/users/%d" % outside["id"], json={"disabled": True}),
            404, "not_found")
    # the demo cadre of 东坑村 cannot read the user of 石岭村 either way
    r = server.session("cadre").get("/api/v1/users/%d" % outside["id"])
    assert r.status_code in (403, 404), r.status_code
    # the town admin sees both
    assert admin.get("/api/v1/users/%d" % outside["id"]).status_code == 200


# ---------------------------------------------------------------- changes, disable

def test_patch_user(server, admin_token):
    u = create_user(admin_token, role="viewer")
    r = admin_token.patch("/api/v1/users/%d" % u["id"], json={"display_name": "改名", "role": "cadre",
                                                             "scope_code": VILLAGE_B})
    assert r.status_code == 200, r.text
    g = admin_token.get("/api/v1/users/%d" % u["id"]).json()
    assert (g["display_name"], g["role"], g["scope_code"]) == ("改名", "cadre", VILLAGE_B)
    body = problem(admin_token.patch("/api/v1/users/%d" % u["id"], json={"role": "king"}), 422)
    assert "role" in {e["field"] for e in body["errors"]}
    problem(admin_token.patch("/api/v1/users/987654321", json={"display_name": "x"}), 404, "not_found")
    problem(admin_token.patch("/api/v1/users/abc", json={"display_name": "x"}), 404)


def test_disable_user(server, admin_token):
    c, u, pw = ready_user(server, admin_token, role="leader")
    r = c.post("/api/v1/tokens", json={"name": "before-disable"})
    assert r.status_code == 201, r.text
    bearer = server.client(Authorization="Bearer " + r.json()["token"])
    assert bearer.get("/api/v1/session").status_code == 200

    r = admin_token.patch("/api/v1/users/%d" % u["id"], json={"disabled": True})
    assert r.status_code == 200, r.text

    problem(c.get("/api/v1/session"), 401)
    problem(c.get("/api/v1/users"), 401)
    problem(bearer.get("/api/v1/session"), 401)
    r = server.login(u["username"], pw, expect=None).login_response
    assert r.status_code in (401, 403), r.status_code
    problem(r, r.status_code)
    # still there (disable, not delete), and shown as disabled
    g = admin_token.get("/api/v1/users/%d" % u["id"])
    assert g.status_code == 200
    body = g.json()
    assert body.get("disabled") is True or body.get("disabled_at"), body


def test_users_list_filters_and_pagination(server, admin_token):
    tag = unique("lf")
    made = [create_user(admin_token, username="%s%d" % (tag, i), role=("cadre" if i % 2 else "viewer"),
                        scope=VILLAGE_A) for i in range(5)]
    r = admin_token.get("/api/v1/users", params={"q": tag})
    assert r.status_code == 200
    names = {u["username"] for u in r.json()["items"]}
    assert names == {m["username"] for m in made}, names
    for u in r.json()["items"]:
        no_secrets(u)
    cadres = list_all(admin_token, "/api/v1/users", {"q": tag, "role": "cadre"})
    assert {u["username"] for u in cadres} == {m["username"] for m in made if m["role"] == "cadre"}
    assert all(u["role"] == "cadre" for u in list_all(admin_token, "/api/v1/users", {"role": "cadre"}))
    paged = list_all(admin_token, "/api/v1/users", {"q": tag}, limit=2)
    assert sorted(u["id"] for u in paged) == sorted(m["id"] for m in made)
    everyone = list_all(admin_token, "/api/v1/users", limit=3)
    ids = [u["id"] for u in everyone]
    assert len(ids) == len(set(ids))
    big = admin_token.get("/api/v1/users", params={"limit": 500}).json()
    assert [u["id"] for u in big["items"]] == ids


@pytest.mark.parametrize("params,field", [({"limit": "abc"}, "limit"), ({"limit": "-1"}, "limit"),
                                          ({"cursor": "%%%not-a-cursor"}, "cursor")])
def test_users_list_bad_paging(server, admin_token, params, field):
    body = problem(admin_token.get("/api/v1/users", params=params), 422)
    assert field in {e["field"] for e in body["errors"]}, body
