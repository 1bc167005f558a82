"""Access control swept over the route tables (`zhilian routes`): 401 on
every non-public route without credentials, 403 for a viewer on every unsafe
route that is not "self", and the test clock route only with the variable."""
import pytest

from conftest import UNSAFE, fill_pattern, problem, routes, start_server

ROUTES = routes()
PRIVATE = [r for r in ROUTES if not r["public"]]
VIEWER_DENIED = [r for r in ROUTES if r["method"] in UNSAFE and not r["public"] and not r["self"]]


def rid(r):
    return "%s %s" % (r["method"], r["pattern"])


def test_route_table_shape():
    for r in ROUTES:
        assert set(r) >= {"module", "method", "pattern", "perm", "public", "self"}, r
        assert r["method"] in ("GET", "POST", "PUT", "PATCH", "DELETE"), r
        assert r["pattern"].startswith("/"), r
    seen = set()
    for r in ROUTES:
        assert rid(r) not in seen, "duplicate route " + rid(r)
        seen.add(rid(r))
    public = {rid(r) for r in ROUTES if r["public"]}
    # the contract's public routes, and only them, among the platform's
    assert {"GET /healthz", "GET /metrics", "POST /api/v1/session"} <= public, public
    for must_be_private in ("GET /api/v1/users", "POST /api/v1/users", "GET /api/v1/audit",
                            "PATCH /api/v1/users/{id}", "POST /api/v1/tokens"):
        assert must_be_private in seen and must_be_private not in public, must_be_private
    assert VIEWER_DENIED, "no unsafe non-self routes found"


def _send(client, r, **kw):
    path = fill_pattern(r["pattern"])
    if r["method"] in ("POST", "PUT", "PATCH"):
        return client.request(r["method"], path, json={}, **kw)
    return client.request(r["method"], path, **kw)


@pytest.mark.parametrize("route", PRIVATE, ids=rid)
def test_401_without_credentials(server, route):
    c = server.client()
    body = problem(_send(c, route), 401, "auth.required")
    assert body["instance"] == fill_pattern(route["pattern"])
    # a made-up cookie or token is no better
    c.set_session_cookie("bogus-session-value")
    problem(_send(c, route), 401)
    c = server.client(Authorization="Bearer zl_notarealtoken000000000000000000")
    problem(_send(c, route), 401)


@pytest.mark.parametrize("route", VIEWER_DENIED, ids=rid)
def test_403_for_viewer_on_unsafe_routes(server, route):
    viewer = server.session("viewer")
    assert viewer.user["role"] == "viewer"
    problem(_send(viewer, route), 403, "auth.forbidden")


def test_viewer_still_signed_in_after_sweep(server):
    r = server.session("viewer").get("/api/v1/session")
    assert r.status_code == 200 and r.json()["user"]["role"] == "viewer"


def test_test_clock_absent_without_variable(request):
    s = start_server(request, name="noclock", test_clock=False)
    c = s.client()
    r = c.post("/api/v1/test/clock", json={"advance": "PT31M"})
    body = problem(r, 404, "not_found")
    assert "now" not in body
    assert not any(rt["pattern"] == "/api/v1/test/clock" and rt["method"] == "GET" for rt in ROUTES)
    # the clock did not move: a fresh session is still good
    admin = s.login("admin")
    assert c.post("/api/v1/test/clock", json={"advance": "PT13H"}).status_code == 404
    assert admin.get("/api/v1/session").status_code == 200


def test_test_clock_route(request):
    import datetime
    s = start_server(request, name="clock")
    c = s.client()
    r = c.post("/api/v1/test/clock", json={"now": "2030-03-02T09:00:00+08:00"})
    assert r.status_code == 200, r.text
    now = datetime.datetime.fromisoformat(r.json()["now"])
    assert now.utcoffset() == datetime.timedelta(hours=8), r.json()
    want = datetime.datetime(2030, 3, 2, 9, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
    assert abs((now - want).total_seconds()) < 5, r.json()
    r = c.post("/api/v1/test/clock", json={"advance": "PT26H"})
    assert r.status_code == 200, r.text
    later = datetime.datetime.fromisoformat(r.json()["now"])
    assert abs((later - want).total_seconds() - 26 * 3600) < 5, r.json()
    # bad input is a validation problem, not a crash
    r = c.post("/api/v1/test/clock", json={"advance": "soon"})
    assert 400 <= r.status_code < 500, r.status_code
    problem(r, r.status_code)
