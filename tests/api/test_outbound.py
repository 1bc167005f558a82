"""
Outbound delivery of notifications: webhooks (signature, event header, JSON
body) against a local receiver, retry with back-off driven by the test clock,
the dead-letter list and replay, email against a local SMTP server
(aiosmtpd), SMS through a gateway template, a request that notifies returning
before delivery, pending messages surviving a restart, and admin-only access.
"""
import email
import email.policy
import hashlib
import hmac
import http.server
import json
import os
import sqlite3
import threading
import time
import urllib.parse

import pytest

from conftest import Server, VILLAGE_A, create_user, problem, run_cli

EVENT = "assignment.station"


# ---------------------------------------------------------------- receivers

class Receiver:
    """A webhook (or SMS gateway) receiver on 127.0.0.1 and a free port. It
    answers 500 to the first `fail` requests, or to all while always_fail is
    set, else 200, each after `delay` seconds, and records every request."""

    def __init__(self, fail=0, always_fail=False, delay=0.0):
        self.fail = fail
        self.always_fail = always_fail
        self.delay = delay
        self.requests = []
        self.lock = threading.Lock()
        rec = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _handle(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                if rec.delay:
                    time.sleep(rec.delay)
                with rec.lock:
                    rec.requests.append({"method": self.command, "path": self.path,
                                         "headers": dict(self.headers), "body": body})
                    failing = rec.always_fail or rec.fail > 0
                    if rec.fail > 0:
                        rec.fail -= 1
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_POST = _handle
            do_GET = _handle

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.url = "http://127.0.0.1:%d/hook" % self.port
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def count(self):
        with self.lock:
            return len(self.requests)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def receiver(request):
    def make(**kw):
        r = Receiver(**kw)
        request.addfinalizer(r.close)
        return r
    return make


# ---------------------------------------------------------------- servers

SMTP_FROM = "zhilian@town.example"


class _SlowTick:
    """The background tick every hour, so that only the test clock's POST
    runs the delivery job while a test looks at the queue."""

    def __enter__(self):
        self.old = os.environ.get("ZHILIAN_TICK_SECONDS")
        os.environ["ZHILIAN_TICK_SECONDS"] = "3600"

    def __exit__(self, *exc):
        if self.old is None:
            os.environ.pop("ZHILIAN_TICK_SECONDS", None)
        else:
            os.environ["ZHILIAN_TICK_SECONDS"] = self.old


def _settings(db):
    with sqlite3.connect(db) as con:
        con.execute("INSERT OR REPLACE INTO setting(key, value) VALUES ('outbound.smtp_from', ?)", (SMTP_FROM,))


def _start(name):
    s = Server(name=name)
    _settings(s.db)
    with _SlowTick():
        s.start()
    return s


@pytest.fixture(scope="module")
def server(request):
    s = _start("outbound")
    try:
        yield s
    finally:
        s.cleanup()


@pytest.fixture
def api(server):
    """The admin through an API token (it survives the long clock moves)."""
    c = server.token_client("admin")
    # every test starts with no active endpoint, so each sees only its own
    r = c.get("/api/v1/outbound/endpoints")
    assert r.status_code == 200, r.text
    for ep in r.json()["items"]:
        if ep["active"]:
            assert c.patch("/api/v1/outbound/endpoints/%d" % ep["id"], json={"active": False}).status_code == 200
    return c


def add_endpoint(c, expect=201, **body):
    body.setdefault("events", EVENT)
    r = c.post("/api/v1/outbound/endpoints", json=body)
    assert r.status_code == expect, r.text
    return r.json()


def notify(c):
    """POST /api/v1/assignments/stations for a new cadre: the cadre is
    notified (kind assignment.station). Returns (response, cadre)."""
    cadre = create_user(c, role="cadre", scope=VILLAGE_A)
    r = c.post("/api/v1/assignments/stations", json={"user_id": cadre["id"], "village_code": VILLAGE_A,
                                                     "start_date": "2026-01-01"})
    assert r.status_code == 201, r.text
    return r, cadre


def messages(c, endpoint_id, state=None):
    params = {"endpoint_id": endpoint_id}
    if state:
        params["state"] = state
    r = c.get("/api/v1/outbound/messages", params=params)
    assert r.status_code == 200, r.text
    return r.json()["items"]


def fields(body):
    return {e["field"] for e in body.get("errors") or []}


# ---------------------------------------------------------------- webhooks

def test_webhook_signed_json(server, api, receiver):
    rec = receiver()
    ep = add_endpoint(api, kind="webhook", target=rec.url)
    secret = ep["secret"]
    assert ep["has_secret"] is True and len(secret) >= 32 and ep["active"] is True
    listed = [e for e in api.get("/api/v1/outbound/endpoints").json()["items"] if e["id"] == ep["id"]]
    assert listed and "secret" not in listed[0] and listed[0]["has_secret"] is True

    _, cadre = notify(api)
    queued = messages(api, ep["id"])
    assert len(queued) == 1 and queued[0]["state"] == "pending" and queued[0]["attempts"] == 0
    assert rec.count() == 0

    server.clock(advance="PT1S")  # the tick runs after the clock moves
    assert rec.count() == 1
    got = rec.requests[0]
    assert got["method"] == "POST"
    want = "sha256=" + hmac.new(secret.encode(), got["body"], hashlib.sha256).hexdigest()
    assert got["headers"]["X-Zhilian-Signature"] == want
    assert got["headers"]["X-Zhilian-Event"] == EVENT
    assert got["headers"]["Content-Type"] == "application/json"
    body = json.loads(got["body"])
    assert body["event"] == EVENT and body["user_id"] == cadre["id"]
    assert body["entity"] == "station_assignment" and body["title_zh"] and body["title_en"]
    assert isinstance(body["notification_id"], int)
    sent = messages(api, ep["id"])[0]
    assert sent["state"] == "sent" and sent["attempts"] == 1 and sent["sent_at"]
    assert sent["payload"] == body

    # a sent message is not replayed, and an unknown one is 404
    problem(api.post("/api/v1/outbound/messages/%d/replay" % sent["id"]), 409, "outbound.not_dead")
    problem(api.post("/api/v1/outbound/messages/999999999/replay"), 404)

    # a chosen secret (rotated by PATCH) signs the next delivery
    r = api.patch("/api/v1/outbound/endpoints/%d" % ep["id"], json={"secret": "s3cret-of-sixteen-chars"})
    assert r.status_code == 200 and r.json()["secret"] == "s3cret-of-sixteen-chars", r.text
    notify(api)
    server.clock(advance="PT1S")
    assert rec.count() == 2
    got = rec.requests[1]
    assert got["headers"]["X-Zhilian-Signature"] == \
        "sha256=" + hmac.new(b"s3cret-of-sixteen-chars", got["body"], hashlib.sha256).hexdigest()


def test_filter_and_inactive(server, api, receiver):
    rec = receiver()
    other = add_endpoint(api, kind="webhook", target=rec.url, events="handover.*,appeal.new")
    every = add_endpoint(api, kind="webhook", target=rec.url, events="*", active=False)
    notify(api)
    assert messages(api, other["id"]) == []
    assert messages(api, every["id"]) == []
    r = api.patch("/api/v1/outbound/endpoints/%d" % every["id"], json={"active": True})
    assert r.status_code == 200 and r.json()["active"] is True and "secret" not in r.json()
    notify(api)
    assert len(messages(api, every["id"])) == 1


def test_deactivated_endpoint_holds_its_messages_visibly(server, api, receiver):
    """Messages queued before an endpoint was switched off wait for it, and
    the endpoint list says how many; switched on again, they go."""
    rec = receiver()
    ep = add_endpoint(api, kind="webhook", target=rec.url)
    notify(api)
    assert api.patch("/api/v1/outbound/endpoints/%d" % ep["id"], json={"active": False}).status_code == 200
    server.clock(advance="PT1S")
    assert rec.count() == 0

    def listed():
        return [e for e in api.get("/api/v1/outbound/endpoints").json()["items"] if e["id"] == ep["id"]][0]

    got = listed()
    assert got["active"] is False and got["pending"] == 1 and got["dead"] == 0
    assert api.patch("/api/v1/outbound/endpoints/%d" % ep["id"], json={"active": True}).status_code == 200
    server.clock(advance="PT1S")
    assert rec.count() == 1 and listed()["pending"] == 0


def test_server_makes_a_new_secret_on_request(server, api, receiver):
    """PATCH {"secret": true}: the server makes a new secret, shows it once,
    and signs the next delivery with it; not for an email endpoint."""
    rec = receiver()
    ep = add_endpoint(api, kind="webhook", target=rec.url)
    r = api.patch("/api/v1/outbound/endpoints/%d" % ep["id"], json={"secret": True})
    assert r.status_code == 200, r.text
    new = r.json()["secret"]
    assert len(new) == 64 and new != ep["secret"]
    notify(api)
    server.clock(advance="PT1S")
    got = rec.requests[-1]
    assert got["headers"]["X-Zhilian-Signature"] == \
        "sha256=" + hmac.new(new.encode(), got["body"], hashlib.sha256).hexdigest()
    mail = add_endpoint(api, kind="email", target="ops@town.example")
    r = api.patch("/api/v1/outbound/endpoints/%d" % mail["id"], json={"secret": True})
    assert "secret" in fields(problem(r, 422))
    api.patch("/api/v1/outbound/endpoints/%d" % mail["id"], json={"active": False})


def test_retry_with_backoff_then_sent_once(server, api, receiver):
    rec = receiver(fail=3)
    ep = add_endpoint(api, kind="webhook", target=rec.url)
    notify(api)
    server.clock(advance="PT1S")
    assert rec.count() == 1
    m = messages(api, ep["id"])[0]
    assert m["state"] == "pending" and m["attempts"] == 1 and m["last_error"] == "HTTP 500"
    server.clock(advance="PT20S")  # the first back-off is 30 s
    assert rec.count() == 1
    server.clock(advance="PT11S")
    assert rec.count() == 2
    server.clock(advance="PT2M1S")
    assert rec.count() == 3
    server.clock(advance="PT10M1S")
    assert rec.count() == 4
    m = messages(api, ep["id"])[0]
    assert m["state"] == "sent" and m["attempts"] == 4 and m["last_error"] is None
    # the same delivery each time, and never again once sent
    assert len({r["headers"]["X-Zhilian-Delivery"] for r in rec.requests}) == 1
    assert len({r["body"] for r in rec.requests}) == 1
    server.clock(advance="PT7H")
    assert rec.count() == 4


def test_dead_letter_and_replay(server, api, receiver):
    rec = receiver(always_fail=True)
    ep = add_endpoint(api, kind="webhook", target=rec.url)
    notify(api)
    for step in ("PT1S", "PT31S", "PT2M1S", "PT10M1S", "PT1H1S", "PT6H1S"):
        server.clock(advance=step)
    assert rec.count() == 6
    dead = messages(api, ep["id"], state="dead")
    assert len(dead) == 1 and dead[0]["attempts"] == 6 and dead[0]["last_error"] == "HTTP 500"
    assert dead[0]["dead_at"] is not None and dead[0]["endpoint_id"] == ep["id"]
    assert messages(api, ep["id"], state="pending") == []
    # the dead-letter list across endpoints has it too
    r = api.get("/api/v1/outbound/messages", params={"state": "dead", "limit": 500})
    assert dead[0]["id"] in [m["id"] for m in r.json()["items"]]
    server.clock(advance="PT24H")
    assert rec.count() == 6

    rec.always_fail = False
    r = api.post("/api/v1/outbound/messages/%d/replay" % dead[0]["id"])
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "pending" and r.json()["attempts"] == 0 and r.json()["dead_at"] is None
    problem(api.post("/api/v1/outbound/messages/%d/replay" % dead[0]["id"]), 409, "outbound.not_dead")
    server.clock(advance="PT1S")
    assert rec.count() == 7
    m = messages(api, ep["id"])[0]
    assert m["state"] == "sent" and m["attempts"] == 1
    audit = api.get("/api/v1/audit", params={"entity": "outbound_message"}).json()["items"]
    assert any(a["entity_id"] == str(m["id"]) and a["action"] == "outbound.replay" for a in audit)


def test_request_returns_before_delivery(server, api, receiver):
    rec = receiver(delay=3.0)
    ep = add_endpoint(api, kind="webhook", target=rec.url)
    t = time.monotonic()
    notify(api)
    assert time.monotonic() - t < 2.5
    assert rec.count() == 0
    assert messages(api, ep["id"])[0]["state"] == "pending"
    server.clock(advance="PT1S")
    assert rec.count() == 1
    assert messages(api, ep["id"])[0]["state"] == "sent"


# ---------------------------------------------------------------- email, SMS

def test_email_through_smtp(server, api):
    from aiosmtpd.controller import Controller

    class Sink:
        def __init__(self):
            self.mails = []

        async def handle_DATA(self, srv, session, envelope):
            self.mails.append(envelope)
            return "250 OK"

    sink = Sink()
    port = _free_port()
    ctl = Controller(sink, hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        ep = add_endpoint(api, kind="email", target="ops@town.example",
                          server_url="smtp://127.0.0.1:%d" % port)
        assert ep["has_secret"] is False and "secret" not in ep
        notify(api)
        server.clock(advance="PT1S")
        assert len(sink.mails) == 1
        env = sink.mails[0]
        assert env.mail_from == SMTP_FROM and env.rcpt_tos == ["ops@town.example"]
        msg = email.message_from_bytes(env.original_content or env.content, policy=email.policy.default)
        m = messages(api, ep["id"])[0]
        assert m["state"] == "sent"
        assert str(msg["subject"]) == "[直联] " + m["payload"]["title_zh"]
        assert msg["X-Zhilian-Event"] == EVENT
        assert m["payload"]["title_en"] in msg.get_content()
    finally:
        ctl.stop()


def test_sms_gateway_template(server, api, receiver):
    rec = receiver()
    ep = add_endpoint(api, kind="sms", target="13800138000",
                      server_url="http://127.0.0.1:%d/sms?key=gw-secret-k3y&to={phone}&msg={text}" % rec.port)
    notify(api)
    server.clock(advance="PT1S")
    assert rec.count() == 1
    got = rec.requests[0]
    assert got["method"] == "GET"
    q = urllib.parse.parse_qs(urllib.parse.urlparse(got["path"]).query)
    assert q["to"] == ["13800138000"]
    m = messages(api, ep["id"])[0]
    assert q["msg"] == ["【直联】" + m["payload"]["title_zh"]] and m["state"] == "sent"
    assert q["key"] == ["gw-secret-k3y"]
    # the audit keeps the number masked and the gateway's query (its key) out
    rows = api.get("/api/v1/audit", params={"entity": "outbound_endpoint"}).json()["items"]
    texts = repr([x["after"] for x in rows if x["entity_id"] == str(ep["id"])])
    assert "13800138000" not in texts and "138****8000" in texts
    assert "gw-secret-k3y" not in texts and "/sms?…" in texts


def test_no_gateway_is_an_error_not_a_crash(server, api):
    ep = add_endpoint(api, kind="sms", target="13900139000")
    notify(api)
    server.clock(advance="PT1S")
    m = messages(api, ep["id"])[0]
    assert m["state"] == "pending" and m["attempts"] == 1 and "outbound.sms_url" in m["last_error"]


# ---------------------------------------------------------------- restart

def test_pending_messages_survive_restart(request, receiver):
    s = _start("outbound-restart")
    request.addfinalizer(s.cleanup)
    rec = receiver()
    c = s.token_client("admin")
    ep = add_endpoint(c, kind="webhook", target=rec.url)
    notify(c)
    assert messages(c, ep["id"])[0]["state"] == "pending"
    s.stop()
    with _SlowTick():
        s.start()
    c = s.token_client("admin")
    assert messages(c, ep["id"])[0]["state"] == "pending"
    assert rec.count() == 0
    s.clock(advance="PT1S")
    assert rec.count() == 1
    assert messages(c, ep["id"])[0]["state"] == "sent"


# ---------------------------------------------------------------- validation, access

BAD_ENDPOINTS = [
    ({"kind": "fax", "target": "x"}, "kind"),
    ({"kind": "webhook"}, "target"),
    ({"kind": "webhook", "target": "ftp://x/y"}, "target"),
    ({"kind": "webhook", "target": "http://x/", "secret": "short"}, "secret"),
    ({"kind": "webhook", "target": "http://x/", "events": "Appeal;DROP"}, "events"),
    ({"kind": "webhook", "target": "http://x/", "active": "yes"}, "active"),
    ({"kind": "webhook", "target": "http://x/", "server_url": "http://y/"}, "server_url"),
    ({"kind": "email", "target": "not-an-address"}, "target"),
    ({"kind": "email", "target": "a@b.example", "server_url": "http://x"}, "server_url"),
    ({"kind": "email", "target": "a@b.example", "secret": "0123456789abcdef"}, "secret"),
    ({"kind": "sms", "target": "call me"}, "target"),
    ({"kind": "sms", "target": "13800138000", "server_url": "http://gw/no-phone"}, "server_url"),
]


def test_validation(server, api):
    for body, field in BAD_ENDPOINTS:
        b = problem(api.post("/api/v1/outbound/endpoints", json=body), 422)
        assert field in fields(b), (body, b)
    ep = add_endpoint(api, kind="webhook", target="http://127.0.0.1:1/", active=False)
    b = problem(api.patch("/api/v1/outbound/endpoints/%d" % ep["id"], json={"kind": "email"}), 422)
    assert "kind" in fields(b)
    problem(api.patch("/api/v1/outbound/endpoints/999999999", json={"active": False}), 404)
    b = problem(api.get("/api/v1/outbound/messages", params={"state": "lost"}), 422)
    assert "state" in fields(b)


@pytest.mark.parametrize("role", ["viewer", "leader", "cadre"])
def test_admin_only(server, role):
    c = server.session(role)
    problem(c.get("/api/v1/outbound/endpoints"), 403, "auth.forbidden")
    problem(c.post("/api/v1/outbound/endpoints", json={"kind": "webhook", "target": "http://x/"}),
            403, "auth.forbidden")
    problem(c.patch("/api/v1/outbound/endpoints/1", json={"active": False}), 403, "auth.forbidden")
    problem(c.get("/api/v1/outbound/messages", params={"state": "dead"}), 403, "auth.forbidden")
    problem(c.post("/api/v1/outbound/messages/1/replay"), 403, "auth.forbidden")


def _free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_secret_survives_rotate_key(request, receiver):
    """The webhook secret is encrypted with the personal data key, so
    `zhilian rotate-key` re-encrypts it and deliveries stay signed alike."""
    s = _start("outbound-rotate")
    request.addfinalizer(s.cleanup)
    rec = receiver()
    c = s.token_client("admin")
    secret = "rotate-me-0123456789"
    ep = add_endpoint(c, kind="webhook", target=rec.url, secret=secret)
    s.stop()
    run_cli("rotate-key", "--db", s.db, check=True)
    with _SlowTick():
        s.start()
    c = s.token_client("admin")
    notify(c)
    s.clock(advance="PT1S")
    assert rec.count() == 1 and messages(c, ep["id"])[0]["state"] == "sent"
    got = rec.requests[0]
    assert got["headers"]["X-Zhilian-Signature"] == \
        "sha256=" + hmac.new(secret.encode(), got["body"], hashlib.sha256).hexdigest()


def test_sent_at_once_without_waiting_for_the_tick(request, receiver):
    """Without the test clock a committed change wakes the sender: the
    webhook arrives in seconds although the tick interval is an hour."""
    s = Server(name="outbound-wake", test_clock=False)
    request.addfinalizer(s.cleanup)
    _settings(s.db)
    with _SlowTick():
        s.start()
    rec = receiver()
    c = s.token_client("admin")
    ep = add_endpoint(c, kind="webhook", target=rec.url)
    notify(c)
    deadline = time.monotonic() + 10
    while rec.count() == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert rec.count() == 1
    deadline = time.monotonic() + 5
    while messages(c, ep["id"])[0]["state"] != "sent" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert messages(c, ep["id"])[0]["state"] == "sent"

