"""Rules that run on the clock: session idle and absolute timeouts, the
lockout after five failures and the per-address login rate limit. Time is
moved with the test clock, never slept."""
from conftest import TOWN, create_user, problem, run_cli, start_server, unique


def test_idle_timeout(server):
    c = server.login("cadre")
    server.clock(advance="PT29M")
    assert c.get("/api/v1/session").status_code == 200  # touched: the idle time starts again
    server.clock(advance="PT29M")
    assert c.get("/api/v1/session").status_code == 200
    server.clock(advance="PT31M")
    problem(c.get("/api/v1/session"), 401, "auth.session_expired")
    # expired means ended: moving on does not bring it back, and other routes agree
    problem(c.get("/api/v1/tokens"), 401)


def test_idle_timeout_on_any_route(server):
    c = server.login("leader")
    server.clock(advance="PT31M")
    problem(c.get("/api/v1/users"), 401, "auth.session_expired")


def test_absolute_timeout(server):
    c = server.login("viewer")
    for _ in range(35):  # 35 x 20 min = 11 h 40 min, touched every 20 min
        server.clock(advance="PT20M")
        r = c.get("/api/v1/session")
        assert r.status_code == 200, r.text
    server.clock(advance="PT21M")  # 12 h 01 min after sign-in, idle only 21 min
    problem(c.get("/api/v1/session"), 401, "auth.session_expired")
    assert server.login("viewer").get("/api/v1/session").status_code == 200


def test_login_again_with_a_stale_cookie(server):
    """A browser whose session timed out still holds the cookie; signing in
    again must work without clearing it (no CSRF token to send)."""
    c = server.login("cadre")
    server.clock(advance="PT31M")
    c.set_csrf(None)
    username, password = server.logins["cadre"]
    r = c.post("/api/v1/session", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    c.set_csrf(r.json()["csrf_token"])
    assert c.get("/api/v1/session").status_code == 200


def test_expires_at_moves_with_use(server):
    import datetime
    c = server.login("cadre")
    e1 = datetime.datetime.fromisoformat(c.get("/api/v1/session").json()["expires_at"])
    server.clock(advance="PT10M")
    e2 = datetime.datetime.fromisoformat(c.get("/api/v1/session").json()["expires_at"])
    assert 9 * 60 <= (e2 - e1).total_seconds() <= 11 * 60, (e1, e2)


def test_tokens_do_not_idle_out(server):
    t = server.token_client("leader")
    server.clock(advance="PT13H")
    assert t.get("/api/v1/session").status_code == 200


def _attempt(c, username, password):
    """One sign-in attempt from a browser without a session (a fresh client
    each time, so that a successful attempt's cookie is not carried on)."""
    fresh = c.__class__(c.base)
    return fresh.post("/api/v1/session", json={"username": username, "password": password})


def _shape(r):
    body = r.json()
    return r.status_code, body.get("code"), body.get("title"), body.get("detail")


def test_lockout(request):
    s = start_server(request, name="lockout")
    admin = s.token_client("admin")
    u = create_user(admin, role="viewer", scope=TOWN)
    real, ghost = u["username"], "ghost" + unique()
    c = s.client()
    seq_real, seq_ghost = [], []
    for i in range(5):
        seq_real.append(_shape(_attempt(c, real, "Wrong-Password-%d" % i)))
        seq_ghost.append(_shape(_attempt(c, ghost, "Wrong-Password-%d" % i)))
    for i in range(4):
        assert seq_real[i][:2] == (401, "auth.failed"), seq_real
    assert seq_real[4][:2] in ((401, "auth.failed"), (423, "auth.locked")), seq_real
    # locked now: even the right password is refused
    r = _attempt(c, real, u["_password"])
    problem(r, 423, "auth.locked")
    assert "zl_session" not in r.headers.get("Set-Cookie", "")
    seq_real.append(_shape(r))
    seq_ghost.append(_shape(_attempt(c, ghost, u["_password"])))
    # an unknown name answers exactly as a known one does
    assert seq_ghost == seq_real, (seq_real, seq_ghost)

    # other accounts are not affected
    assert s.login("leader").get("/api/v1/session").status_code == 200

    s.clock(advance="PT14M")
    problem(_attempt(c, real, u["_password"]), 423, "auth.locked")
    s.clock(advance="PT1M")  # 15 min after the lock
    r = _attempt(c, real, u["_password"])
    assert r.status_code == 200, r.text
    problem(_attempt(c, ghost, u["_password"]), 401, "auth.failed")


def test_lockout_counts_reset_by_success(request):
    s = start_server(request, name="lockreset")
    username, password = s.logins["cadre"]
    c = s.client()
    for i in range(4):
        problem(_attempt(c, username, "nope-nope-%d" % i), 401, "auth.failed")
    assert _attempt(c, username, password).status_code == 200
    for i in range(4):
        problem(_attempt(c, username, "nope-again-%d" % i), 401, "auth.failed")
    assert _attempt(c, username, password).status_code == 200


def test_login_rate_limit_per_address(request):
    s = start_server(request, name="ratelimit")
    c = s.client()
    username, password = s.logins["admin"]
    # different unknown names, so that the lockout does not answer first
    for i in range(20):
        r = _attempt(c, "nobody%d-%s" % (i, unique()), "Wrong-Password-1")
        problem(r, 401, "auth.failed")
    problem(_attempt(c, "nobody-more", "Wrong-Password-1"), 429, "auth.rate_limited")
    # the limit is per address, not per account: the right password is refused too
    problem(_attempt(c, username, password), 429, "auth.rate_limited")
    t = s.client()
    # after the 5-minute window it opens again
    s.clock(advance="PT5M1S")
    r = _attempt(t, username, password)
    assert r.status_code == 200, r.text


def test_login_rate_limit_is_configurable(request):
    """A town office signing in from one address can raise the limit; the
    option is checked."""
    s = start_server(request, name="ratelimit3", extra_args=["--signin-limit", "3"])
    c = s.client()
    for i in range(3):
        problem(_attempt(c, "nobody%d-%s" % (i, unique()), "Wrong-Password-1"), 401, "auth.failed")
    problem(_attempt(c, "nobody-more", "Wrong-Password-1"), 429, "auth.rate_limited")
    for bad in ("0", "201", "many"):
        p = run_cli("serve", "--db", s.db, "--signin-limit", bad)
        assert p.returncode != 0 and "--signin-limit" in p.stderr, (bad, p.stderr)


def test_sigterm_stops_cleanly(request):
    s = start_server(request, name="sigterm")
    assert s.client().get("/healthz").status_code == 200
    assert s.stop() == 0, s.stderr_tail()
