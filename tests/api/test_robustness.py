"""Hostile and awkward input: the limits hold for streamed bodies and
headers, malformed JSON never reaches a handler, concurrent retries with one
Idempotency-Key create one thing, and an unknown account is not faster to
refuse than a known one."""
import json
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import TOWN, list_all, problem, start_server, unique

MIB = 1024 * 1024


def alive(server):
    assert server.client().get("/healthz").status_code == 200
    assert server.proc.poll() is None, server.stderr_tail()


def test_chunked_body_over_1mib_413(server, admin_token):
    def body():
        yield b'{"username": "chunky", "pad": "'
        for _ in range(17):
            yield b"a" * 65536
        yield b'"}'
    r = admin_token.post("/api/v1/users", data=body(), headers={"Content-Type": "application/json"})
    problem(r, 413, "request.too_large")
    alive(server)


def test_huge_header_refused(server):
    r = server.client(**{"X-Filler": "a" * (64 * 1024)}).get("/healthz")
    assert r.status_code in (400, 413, 431), r.status_code
    alive(server)


@pytest.mark.parametrize("raw", [
    b"[" * 200000,                                   # deep nesting
    b'{"username": "\xff\xfe", "password": "x"}',    # not UTF-8
    b'{"username": "a" "b"}',
    b"",
    b"null",
    b'{"username": "x"} trailing',
])
def test_malformed_json_400(server, admin_token, raw):
    r = admin_token.post("/api/v1/users", data=raw, headers={"Content-Type": "application/json"})
    problem(r, 400, "request.bad_json")
    alive(server)


def test_nul_in_strings_does_not_truncate(server, admin_token):
    name = unique("nul")
    body = json.dumps({"username": name + "\u0000evil", "display_name": "x", "role": "viewer",
                       "scope_code": TOWN, "password": "Nul-Byte-Pass-2026"})
    r = admin_token.post("/api/v1/users", data=body, headers={"Content-Type": "application/json"})
    assert r.status_code in (400, 422), r.status_code
    assert not [u for u in list_all(admin_token, "/api/v1/users", {"q": name}) if u["username"] == name]


def test_wrong_json_types_422(server, admin_token):
    for body in ({"username": ["a"], "display_name": "x", "role": "viewer", "scope_code": TOWN, "password": "Types-Pass-2026"},
                 {"username": unique("ty"), "display_name": {"a": 1}, "role": "viewer", "scope_code": TOWN, "password": "Types-Pass-2026"},
                 {"username": unique("ty"), "display_name": "x", "role": "viewer", "scope_code": 440881104000, "password": "Types-Pass-2026"},
                 {"username": unique("ty"), "display_name": "x", "role": "viewer", "scope_code": TOWN, "password": None}):
        body_ = problem(admin_token.post("/api/v1/users", json=body), 422)
        assert body_["errors"], body_
    r = admin_token.patch("/api/v1/users/%d" % server.user_id("viewer"), json={"disabled": "yes"})
    problem(r, 422)


def test_overlong_fields(server, admin_token):
    r = admin_token.post("/api/v1/users", json={"username": "u" * 5000, "display_name": "x", "role": "viewer",
                                                "scope_code": TOWN, "password": "Long-Name-Pass-2026"})
    body = problem(r, 422)
    assert "username" in {e["field"] for e in body["errors"]}, body
    r = admin_token.post("/api/v1/users", json={"username": unique("lp"), "display_name": "x", "role": "viewer",
                                                "scope_code": TOWN, "password": "p" * 100000})
    assert r.status_code in (201, 422), r.status_code
    alive(server)


def test_list_limit_bounds(server, admin_token):
    r = admin_token.get("/api/v1/users", params={"limit": 100000})
    if r.status_code == 200:
        assert len(r.json()["items"]) <= 500
    else:
        body = problem(r, 422)
        assert "limit" in {e["field"] for e in body["errors"]}


def test_path_params(server, admin_token):
    for p in ("/api/v1/users/0", "/api/v1/users/-1", "/api/v1/users/1%2f2", "/api/v1/users/1.0",
              "/api/v1/users/99999999999999999999999", "/api/v1/users/%00"):
        r = admin_token.get(p)
        assert r.status_code in (400, 404), (p, r.status_code)
        problem(r, r.status_code)
    alive(server)


def test_concurrent_retries_with_one_key_create_one_user(server, admin_token):
    username = unique("race")
    key = unique("race-key-")
    body = {"username": username, "display_name": "并发", "role": "viewer", "scope_code": TOWN,
            "password": "Racing-Pass-2026"}
    auth = admin_token.headers["Authorization"]

    def post(_):
        c = server.client(Authorization=auth)
        r = c.post("/api/v1/users", json=body, headers={"Idempotency-Key": key})
        return r.status_code, r.json()

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(post, range(8)))
    ok = [b for s, b in answers if s == 201]
    assert ok, answers
    assert all(s in (201, 409) for s, b in answers), answers
    assert all(b == ok[0] for b in ok), "replays differ"
    for s, b in answers:
        if s == 409:
            assert b["code"] == "idempotency.in_progress", b
    made = [u for u in list_all(admin_token, "/api/v1/users", {"q": username}) if u["username"] == username]
    assert len(made) == 1, made


def test_login_replay_by_idempotency_key_still_signs_in(server):
    """A retried sign-in (same key, same body) must still give a working session."""
    username, password = server.logins["viewer"]
    key = unique("login-")
    c1 = server.client()
    r1 = c1.post("/api/v1/session", json={"username": username, "password": password},
                 headers={"Idempotency-Key": key})
    assert r1.status_code == 200
    c2 = server.client()
    r2 = c2.post("/api/v1/session", json={"username": username, "password": password},
                 headers={"Idempotency-Key": key})
    assert r2.status_code == 200
    c2.set_csrf(r2.json()["csrf_token"])
    assert c2.session_cookie, "the replayed sign-in set no cookie"
    assert c2.get("/api/v1/session").status_code == 200


def test_unknown_user_not_faster_to_refuse(request):
    """No timing oracle: refusing an unknown name costs what a wrong password does."""
    s = start_server(request, name="timing")
    known = s.logins["leader"][0]
    c = s.client()

    def timed(username):
        t = time.monotonic()
        r = c.post("/api/v1/session", json={"username": username, "password": "Wrong-Password-x"})
        assert r.status_code == 401
        return time.monotonic() - t

    timed("warm-up-" + unique())
    k = [timed(known) for _ in range(3)]
    u = [timed("nobody-" + unique()) for _ in range(3)]
    assert statistics.median(u) > 0.3 * statistics.median(k), (k, u)
