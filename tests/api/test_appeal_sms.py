"""
The resident asked by SMS whether the appeal is really fixed: at resolution
and once more after 7 silent days, through the SMS gateway (a local HTTP
receiver as 'outbound.sms_url'), with the receipt code and the track link and
nothing personal; no SMS without a phone; merged appeals' residents follow the
survivor; "not fixed" answered on the portal reopens the appeal.
"""
import http.server
import sqlite3
import threading
import time
import urllib.parse

import pytest

from conftest import Server, VILLAGE_A, problem

MONDAY = "2026-03-02T09:00:00+08:00"
PUBLIC_URL = "https://zl.example/town"


class Gateway:
    """An SMS gateway on 127.0.0.1: records {to, text} of every GET."""

    def __init__(self):
        self.sms = []
        self.lock = threading.Lock()
        gw = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
                with gw.lock:
                    gw.sms.append({"to": q.get("to", [""])[0], "text": q.get("text", [""])[0]})
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def to(self, phone):
        with self.lock:
            return [m for m in self.sms if m["to"] == phone]

    def wait_for(self, phone, n, timeout=5.0):
        """The SMS to phone once there are n of them (or after timeout)."""
        deadline = time.monotonic() + timeout
        while len(self.to(phone)) < n and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.to(phone)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def gateway():
    g = Gateway()
    yield g
    g.close()


@pytest.fixture(scope="module")
def server(gateway):
    s = Server(name="appeal-sms")
    with sqlite3.connect(s.db) as con:
        con.execute("INSERT OR REPLACE INTO setting(key, value) VALUES ('outbound.sms_url', ?)",
                    ("http://127.0.0.1:%d/sms?to={phone}&text={text}" % gateway.port,))
        con.execute("INSERT OR REPLACE INTO setting(key, value) VALUES ('public_url', ?)", (PUBLIC_URL + "/",))
        # the demo's residents gave no phone here: this gateway hears only the tests' appeals
        con.execute("UPDATE appeal SET submitter_phone_enc = NULL, submitter_phone_hash = NULL, "
                    "submitter_phone_mask = NULL")
        con.execute("DELETE FROM outbound_message")
    s.start()
    try:
        yield s
    finally:
        s.cleanup()


def portal_submit(server, phone=None, **kw):
    body = {"village_code": VILLAGE_A, "category_id": 3, "description": "村口的路灯坏了两个星期，晚上看不见路"}
    if phone:
        body["submitter_phone"] = phone
    body.update(kw)
    r = server.client().post("/api/v1/public/appeals", json=body)
    assert r.status_code == 201, r.text
    return r.json()["receipt_code"]


def appeal_id(admin, code):
    items = admin.get("/api/v1/appeals", params={"limit": 20}).json()["items"]
    return [a for a in items if a["receipt_code"] == code][0]["id"]


def act(client, aid, action, **kw):
    r = client.post("/api/v1/appeals/%d/actions" % aid, json=dict(action=action, **kw))
    assert r.status_code == 200, (action, r.status_code, r.text)
    return r.json()


def resolve(server, aid):
    """Accepted and assigned by the leader, started and resolved by the cadre."""
    leader, cadre = server.session("leader"), server.session("cadre")
    act(leader, aid, "accept")
    act(leader, aid, "assign", user_id=cadre.user["id"])
    act(cadre, aid, "start")
    return act(cadre, aid, "resolve", resolution="已更换路灯灯泡")


def link(code):
    return PUBLIC_URL + "/#/track?code=" + code


def followup_row(server, aid):
    with sqlite3.connect(server.db) as con:
        return con.execute("SELECT asked_at, sms_sent_at FROM appeal_followup WHERE appeal_id = ?", (aid,)).fetchone()


def test_resolution_and_seven_silent_days_each_send_one_sms(server, gateway):
    server.clock(now=MONDAY)
    phone = "13912345678"
    code = portal_submit(server, phone, submitter_name="王秀兰", anonymous=True)
    admin = server.token_client("admin")
    aid = appeal_id(admin, code)
    seen = admin.get("/api/v1/appeals/%d" % aid).json()
    assert seen["submitter"] == {"name": None, "phone": "139****5678"}  # anonymous: the name hidden
    assert gateway.to(phone) == []
    res = resolve(server, aid)
    server.clock(advance="PT1S")
    got = gateway.wait_for(phone, 1)
    assert len(got) == 1, gateway.sms
    text = got[0]["text"]
    assert text.startswith("【直联】") and code in text and link(code) in text
    assert "解决" in text and "满意" in text
    # nothing personal beyond the code and the link
    assert phone not in text and "5678" not in text.replace(link(code), "") and "王" not in text
    ev = admin.get("/api/v1/appeals/%d/events" % aid).json()["items"]
    assert [e["payload"].get("sms") for e in ev if e["action"] == "resolve"] == [1]
    assert res["state"] == "resolved"
    # the queue keeps the phone masked and says what the SMS is about
    msgs = [m for m in admin.get("/api/v1/outbound/messages", params={"limit": 50}).json()["items"]
            if m["kind"] == "appeal.feedback_ask"]
    assert msgs and msgs[0]["state"] == "sent" and phone not in repr(msgs[0])
    assert msgs[0]["payload"]["entity_id"] == str(aid)
    # six days of silence: nothing more; past seven days: asked once more
    server.clock(advance="PT144H")
    assert len(gateway.wait_for(phone, 2, timeout=0.5)) == 1
    assert followup_row(server, aid) is None
    server.clock(advance="PT25H")
    got = gateway.wait_for(phone, 2)
    assert len(got) == 2, gateway.sms
    again = got[1]["text"]
    assert code in again and link(code) in again and "7 天" in again
    asked_at, sms_sent_at = followup_row(server, aid)
    assert sms_sent_at == asked_at
    track = server.client().get("/api/v1/public/track/" + code).json()
    assert track["follow_up_at"] is not None and track["state"] == "resolved"
    # only once: another week of silence sends nothing
    server.clock(advance="PT170H")
    assert len(gateway.wait_for(phone, 3, timeout=0.5)) == 2
    # "not fixed" through the portal reopens it
    c = server.client()
    problem(c.post("/api/v1/public/track/%s/feedback" % code, json={"fixed": False, "satisfaction": "dissatisfied"}),
            422)
    r = c.post("/api/v1/public/track/%s/feedback" % code,
               json={"phone_last4": "5678", "fixed": False, "satisfaction": "dissatisfied", "comment": "晚上还是黑的"})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "reopened"
    assert admin.get("/api/v1/appeals/%d" % aid).json()["state"] == "reopened"
    # resolved again: a new ask for the new resolution
    act(server.session("cadre"), aid, "start")
    act(server.session("cadre"), aid, "resolve", resolution="已更换整条线路")
    server.clock(advance="PT1S")
    assert len(gateway.wait_for(phone, 3)) == 3


def test_no_phone_no_sms(server, gateway):
    server.clock(now=MONDAY)
    before = len(gateway.sms)
    code = portal_submit(server)
    admin = server.token_client("admin")
    aid = appeal_id(admin, code)
    resolve(server, aid)
    server.clock(advance="PT1S")
    server.clock(advance="PT170H")
    time.sleep(0.3)
    assert len(gateway.sms) == before, gateway.sms[before:]
    ev = admin.get("/api/v1/appeals/%d/events" % aid).json()["items"]
    assert [e["payload"].get("sms") for e in ev if e["action"] == "resolve"] == [0]
    assert [e["payload"].get("sms") for e in ev if e["action"] == "follow_up"] == [0]
    asked_at, sms_sent_at = followup_row(server, aid)
    assert asked_at and sms_sent_at is None


def test_merged_residents_follow_the_survivor(server, gateway):
    server.clock(now=MONDAY)
    survivor_phone, merged_phone = "13700001111", "13600002222"
    survivor = portal_submit(server, survivor_phone)
    merged = portal_submit(server, merged_phone, description="路灯不亮，老人晚上出门不方便")
    twice = portal_submit(server, survivor_phone, description="又来反映路灯的事")
    admin = server.token_client("admin")
    sid, mid, tid = appeal_id(admin, survivor), appeal_id(admin, merged), appeal_id(admin, twice)
    leader = server.session("leader")
    act(leader, mid, "merge_into", other_id=sid)
    act(leader, tid, "merge_into", other_id=sid)
    resolve(server, sid)
    server.clock(advance="PT1S")
    # one SMS per resident, each with the code that resident holds; the
    # resident who filed twice is asked once
    a = gateway.wait_for(survivor_phone, 1)
    b = gateway.wait_for(merged_phone, 1)
    assert len(a) == 1 and survivor in a[0]["text"] and link(survivor) in a[0]["text"]
    assert len(b) == 1 and merged in b[0]["text"] and link(merged) in b[0]["text"]
    ev = admin.get("/api/v1/appeals/%d/events" % sid).json()["items"]
    assert [e["payload"].get("sms") for e in ev if e["action"] == "resolve"] == [2]
    # the merged appeal's resident answers with their own code: it is the survivor they rate
    r = server.client().post("/api/v1/public/track/%s/feedback" % merged,
                             json={"phone_last4": "2222", "fixed": True, "satisfaction": "satisfied"})
    assert r.status_code == 200, r.text
    assert admin.get("/api/v1/appeals/%d" % sid).json()["state"] == "closed"
    # answered: no follow-up SMS a week later
    server.clock(advance="PT170H")
    assert len(gateway.wait_for(merged_phone, 2, timeout=0.5)) == 1
    assert len(gateway.to(survivor_phone)) == 1


def test_no_gateway_nothing_queued(server, gateway):
    """Without 'outbound.sms_url' no ask is queued (it could never be sent)."""
    server.clock(now=MONDAY)
    with sqlite3.connect(server.db) as con:
        url = con.execute("SELECT value FROM setting WHERE key = 'outbound.sms_url'").fetchone()[0]
        con.execute("DELETE FROM setting WHERE key = 'outbound.sms_url'")
    try:
        phone = "13500003333"
        code = portal_submit(server, phone)
        admin = server.token_client("admin")
        aid = appeal_id(admin, code)
        resolve(server, aid)
        ev = admin.get("/api/v1/appeals/%d/events" % aid).json()["items"]
        assert [e["payload"].get("sms") for e in ev if e["action"] == "resolve"] == [0]
        msgs = admin.get("/api/v1/outbound/messages", params={"limit": 100}).json()["items"]
        assert not [m for m in msgs if (m.get("payload") or {}).get("entity_id") == str(aid)]
    finally:
        with sqlite3.connect(server.db) as con:
            con.execute("INSERT OR REPLACE INTO setting(key, value) VALUES ('outbound.sms_url', ?)", (url,))
    server.clock(advance="PT1S")
    assert gateway.to(phone) == []
