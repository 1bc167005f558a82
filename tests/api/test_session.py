"""Sign-in, sign-out, who-am-I, CSRF, API tokens and idempotent POSTs."""
import datetime

from conftest import TOWN, create_user, list_all, parse_set_cookie, problem, set_cookies, unique

USER_KEYS = {"id", "username", "display_name", "role", "scope_code", "must_change_password"}


def session_cookie_attrs(r):
    for raw in set_cookies(r):
        name, value, attrs = parse_set_cookie(raw)
        if name == "zl_session":
            return value, attrs
    return None, None


# ---------------------------------------------------------------- login / logout

def test_login_sets_cookie_and_returns_user(server):
    username, password = server.logins["admin"]
    c = server.client()
    r = c.post("/api/v1/session", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body["user"]) >= USER_KEYS, body
    assert body["user"]["username"] == username
    assert body["user"]["role"] == "admin"
    assert body["user"]["scope_code"] == TOWN
    assert body["user"]["must_change_password"] is False
    assert isinstance(body["csrf_token"], str) and len(body["csrf_token"]) >= 16
    assert "password_hash" not in body["user"]
    value, attrs = session_cookie_attrs(r)
    assert value, set_cookies(r)
    assert attrs.get("httponly") is True, attrs
    assert str(attrs.get("samesite", "")).lower() == "strict", attrs
    assert attrs.get("path", "/") == "/", attrs
    assert value not in r.text and body["csrf_token"] != value


def test_login_issues_a_new_session_id(server):
    """No session fixation: a cookie the client brings is never adopted."""
    username, password = server.logins["viewer"]
    c = server.client()
    c.set_session_cookie("attacker-chosen-value-0123456789abcdef")
    r = c.post("/api/v1/session", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    value, _ = session_cookie_attrs(r)
    assert value and value != "attacker-chosen-value-0123456789abcdef"
    first = value
    r = server.client().post("/api/v1/session", json={"username": username, "password": password})
    assert session_cookie_attrs(r)[0] not in (None, first)


def test_wrong_password_and_unknown_user_look_alike(server):
    c = server.client()
    username, password = server.logins["leader"]
    a = c.post("/api/v1/session", json={"username": username, "password": password + "x"})
    b = c.post("/api/v1/session", json={"username": "ghost-" + unique(), "password": password})
    pa, pb = problem(a, 401, "auth.failed"), problem(b, 401, "auth.failed")
    assert (pa["title"], pa["detail"]) == (pb["title"], pb["detail"])
    assert session_cookie_attrs(a) == (None, None) and session_cookie_attrs(b) == (None, None)


def test_login_missing_fields(server):
    r = server.client().post("/api/v1/session", json={"username": "admin"})
    assert r.status_code in (400, 401, 422), r.status_code
    problem(r, r.status_code)


def test_session_get(server):
    c = server.login("cadre")
    r = c.get("/api/v1/session")
    assert r.status_code == 200
    body = r.json()
    assert body["auth"] == "cookie"
    assert body["user"]["username"] == server.logins["cadre"][0]
    assert body["user"]["role"] == "cadre"
    assert body["csrf_token"] == c.csrf
    exp = datetime.datetime.fromisoformat(body["expires_at"])
    assert exp.utcoffset() == datetime.timedelta(hours=8), body["expires_at"]
    assert r.headers["Content-Type"].split(";")[0] == "application/json"


def test_logout(server):
    c = server.login("viewer")
    old_cookie = c.session_cookie
    # DELETE is unsafe: without the CSRF header it is refused and the session lives on
    csrf = c.csrf
    c.set_csrf(None)
    problem(c.delete("/api/v1/session"), 403, "auth.csrf")
    assert c.get("/api/v1/session").status_code == 200
    c.set_csrf(csrf)
    r = c.delete("/api/v1/session")
    assert r.status_code == 204, r.text
    assert r.content == b""
    value, attrs = session_cookie_attrs(r)
    assert attrs is not None, "logout did not clear the cookie"
    from conftest import cookie_is_cleared
    assert cookie_is_cleared(attrs, value), (value, attrs)
    # the old cookie is dead on the server, not only in the browser
    again = server.client()
    again.set_session_cookie(old_cookie)
    problem(again.get("/api/v1/session"), 401)
    problem(server.client().get("/api/v1/session"), 401, "auth.required")


# ---------------------------------------------------------------- CSRF

def test_csrf_required_for_cookie_sessions(server):
    c = server.login("admin")
    good = c.csrf
    c.set_csrf(None)
    problem(c.post("/api/v1/tokens", json={"name": unique("csrf")}), 403, "auth.csrf")
    c.set_csrf("wrong-" + good)
    problem(c.post("/api/v1/tokens", json={"name": unique("csrf")}), 403, "auth.csrf")
    c.set_csrf("")
    problem(c.post("/api/v1/tokens", json={"name": unique("csrf")}), 403, "auth.csrf")
    # another session's token is not this session's token
    other = server.login("admin")
    c.set_csrf(other.csrf)
    problem(c.post("/api/v1/tokens", json={"name": unique("csrf")}), 403, "auth.csrf")
    c.set_csrf(good)
    r = c.post("/api/v1/tokens", json={"name": unique("csrf")})
    assert r.status_code == 201, r.text
    # safe methods need none
    c.set_csrf(None)
    assert c.get("/api/v1/tokens").status_code == 200


def test_bearer_needs_no_csrf(server, admin_token):
    assert "X-CSRF-Token" not in admin_token.headers
    r = admin_token.post("/api/v1/tokens", json={"name": unique("nocsrf")})
    assert r.status_code == 201, r.text
    r = admin_token.get("/api/v1/session")
    assert r.status_code == 200 and r.json()["auth"] == "token"


# ---------------------------------------------------------------- tokens

def test_token_lifecycle(server):
    owner = server.login("leader")
    name = unique("api")
    r = owner.post("/api/v1/tokens", json={"name": name})
    assert r.status_code == 201, r.text
    t = r.json()
    assert set(t) >= {"id", "name", "prefix", "token", "created_at"}, t
    assert t["name"] == name
    assert t["token"].startswith("zl_") and len(t["token"]) >= 24, t
    assert t["prefix"] and t["token"].startswith(t["prefix"]) and t["prefix"] != t["token"], t
    datetime.datetime.fromisoformat(t["created_at"])

    listed = owner.get("/api/v1/tokens")
    assert listed.status_code == 200
    items = listed.json()["items"]
    mine = [i for i in items if i["id"] == t["id"]]
    assert len(mine) == 1 and mine[0]["name"] == name and mine[0]["prefix"] == t["prefix"], items
    assert "token" not in mine[0] and t["token"] not in listed.text
    assert not any("hash" in k for i in items for k in i), items

    bearer = server.client(Authorization="Bearer " + t["token"])
    r = bearer.get("/api/v1/session")
    assert r.status_code == 200
    assert r.json()["auth"] == "token" and r.json()["user"]["username"] == server.logins["leader"][0]
    assert bearer.get("/api/v1/users").status_code == 200

    # a token grants its owner's role, no more
    problem(bearer.post("/api/v1/users", json={}), 403, "auth.forbidden")

    # the same name twice while the first is live
    problem(owner.post("/api/v1/tokens", json={"name": name}), 409, "token.exists")

    # somebody else (not an admin) cannot revoke it, nor learn that it exists
    problem(server.session("cadre").delete("/api/v1/tokens/%d" % t["id"]), 404, "not_found")
    assert bearer.get("/api/v1/session").status_code == 200

    r = owner.delete("/api/v1/tokens/%d" % t["id"])
    assert r.status_code == 204, r.text
    problem(bearer.get("/api/v1/session"), 401)
    problem(bearer.get("/api/v1/users"), 401)
    listed = owner.get("/api/v1/tokens").json()["items"]
    assert not any(i["id"] == t["id"] and not i.get("revoked_at") for i in listed), listed
    # revoking again: nothing live to revoke
    assert owner.delete("/api/v1/tokens/%d" % t["id"]).status_code in (204, 404)
    # the name is free again
    assert owner.post("/api/v1/tokens", json={"name": name}).status_code == 201


def test_admin_revokes_a_token_in_scope(server):
    leader = server.login("leader")
    t = leader.post("/api/v1/tokens", json={"name": unique("adm")}).json()
    bearer = server.client(Authorization="Bearer " + t["token"])
    assert bearer.get("/api/v1/session").status_code == 200
    r = server.token_client("admin").delete("/api/v1/tokens/%d" % t["id"])
    assert r.status_code == 204, r.text
    problem(bearer.get("/api/v1/session"), 401)


def test_token_validation(server, admin_token):
    r = admin_token.post("/api/v1/tokens", json={})
    body = problem(r, 422)
    assert any(e["field"] == "name" for e in body["errors"]), body
    r = admin_token.post("/api/v1/tokens", json={"name": ""})
    body = problem(r, 422)
    assert any(e["field"] == "name" for e in body["errors"]), body


def test_malformed_authorization(server):
    for value in ("Bearer", "Bearer ", "Basic YWRtaW46eA==", "Bearer zl_", "bearer " + "x" * 5000):
        r = server.client(Authorization=value).get("/api/v1/session")
        assert r.status_code in (400, 401, 431), (value[:20], r.status_code)


# ---------------------------------------------------------------- idempotency

def _users_named(client, username):
    return [u for u in list_all(client, "/api/v1/users", {"q": username}) if u["username"] == username]


def test_idempotent_post_replays(server, admin_token):
    username = unique("idem")
    key = unique("key-")
    body = {"username": username, "display_name": "幂等", "role": "viewer", "scope_code": TOWN,
            "password": "Idempotent-2026-pw"}
    first = admin_token.post("/api/v1/users", json=body, headers={"Idempotency-Key": key})
    assert first.status_code == 201, first.text
    assert first.headers.get("Idempotency-Replayed", "false").lower() != "true"
    second = admin_token.post("/api/v1/users", json=body, headers={"Idempotency-Key": key})
    assert second.status_code == 201, second.text
    assert second.json() == first.json()
    assert second.headers.get("Idempotency-Replayed", "").lower() == "true"
    assert second.headers.get("Location") == first.headers.get("Location")
    assert second.headers["X-Request-Id"] != first.headers["X-Request-Id"]
    assert len(_users_named(admin_token, username)) == 1

    changed = dict(body, display_name="不同")
    problem(admin_token.post("/api/v1/users", json=changed, headers={"Idempotency-Key": key}),
            422, "idempotency.mismatch")
    # the same key on another route is also a different request
    r = admin_token.post("/api/v1/tokens", json={"name": unique("x")}, headers={"Idempotency-Key": key})
    assert r.status_code == 422 or r.status_code == 201, r.status_code
    assert len(_users_named(admin_token, username)) == 1


def test_idempotent_post_replays_errors_too(server, admin_token):
    username = unique("idemerr")
    key = unique("key-")
    body = {"username": username, "display_name": "x", "role": "viewer", "scope_code": TOWN, "password": "short"}
    a = admin_token.post("/api/v1/users", json=body, headers={"Idempotency-Key": key})
    b = admin_token.post("/api/v1/users", json=body, headers={"Idempotency-Key": key})
    assert a.status_code == b.status_code == 422
    assert {k: v for k, v in a.json().items() if k != "request_id"} == \
           {k: v for k, v in b.json().items() if k != "request_id"}


def test_idempotency_key_is_per_caller(server, admin_token):
    """Replaying another caller's response would hand out their secrets."""
    key = unique("shared-")
    name = unique("same")
    a = admin_token.post("/api/v1/tokens", json={"name": name}, headers={"Idempotency-Key": key})
    assert a.status_code == 201, a.text
    leader = server.session("leader")
    b = leader.post("/api/v1/tokens", json={"name": name}, headers={"Idempotency-Key": key})
    assert b.status_code == 201, b.text
    assert b.headers.get("Idempotency-Replayed", "false").lower() != "true"
    assert b.json()["token"] != a.json()["token"] and b.json()["id"] != a.json()["id"]
    who = server.client(Authorization="Bearer " + b.json()["token"]).get("/api/v1/session").json()
    assert who["user"]["role"] == "leader"



def test_token_secret_is_never_stored_for_a_replay(server, admin_token):
    """POST /api/v1/tokens ignores Idempotency-Key: replaying would mean keeping
    the secret in the clear; a retry with the same name meets the live token."""
    key = unique("tok-")
    name = unique("once")
    a = admin_token.post("/api/v1/tokens", json={"name": name}, headers={"Idempotency-Key": key})
    assert a.status_code == 201, a.text
    b = admin_token.post("/api/v1/tokens", json={"name": name}, headers={"Idempotency-Key": key})
    problem(b, 409, "token.exists")
    assert "token" not in b.json()
