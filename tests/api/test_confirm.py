"""
Household confirmation of a home visit: a signature PNG (checked by content,
512 KB at most, served only in scope) or a 6-digit SMS code sent through a
local gateway receiver and typed back (wrong, expired, too many tries, the
resend throttle), who may collect it (author or a cadre present, within 7
days; not the viewer), scope 404, non-home visits, and a second confirmation.
"""
import re
import sqlite3
import urllib.parse

import pytest

from conftest import VILLAGE_A, VILLAGE_B, Server, problem, ready_user, unique
from test_contacts import admin_c, body, cadre, create, jpeg_bytes, leader, now, png_bytes, shift  # noqa: F401 (fixtures)
from test_outbound import Receiver, _SlowTick

PATH = "/api/v1/contacts"


@pytest.fixture(scope="module")
def gateway(request):
    rec = Receiver()
    request.addfinalizer(rec.close)
    return rec


@pytest.fixture(scope="module")
def server(request, gateway):
    """One server whose SMS gateway is the local receiver; only the test
    clock's moves run the sender."""
    s = Server(name="confirm")
    with sqlite3.connect(s.db) as con:
        con.execute("INSERT OR REPLACE INTO setting(key, value) VALUES ('outbound.sms_url', ?)",
                    ("http://127.0.0.1:%d/sms?to={phone}&msg={text}" % gateway.port,))
    try:
        with _SlowTick():
            s.start()
        yield s
    finally:
        s.cleanup()


_phones = iter(range(1000, 9999))


def household(admin_c, village=VILLAGE_A, phone=True):
    head = unique("户")
    b = {"village_code": village, "head_name": head, "members": [{"name": head, "relation": "户主"}]}
    if phone:
        b["phone"] = "1380013%04d" % next(_phones)
    r = admin_c.post("/api/v1/households", json=b)
    assert r.status_code == 201, r.text
    h = r.json()
    h["_phone"] = b.get("phone")
    return h


def visit(server, client, households, **kw):
    return create(client, body(server, [h["id"] for h in households], **kw))


def conf(client, cid):
    r = client.get(PATH + "/%s/confirmation" % cid)
    assert r.status_code == 200, r.text
    return r.json()


def sign(client, cid, data, ctype="image/png", **params):
    return client.post(PATH + "/%s/confirmation/signature" % cid, data=data, headers={"Content-Type": ctype},
                       params=params)


def send(client, cid, **b):
    return client.post(PATH + "/%d/confirmation/code" % cid, json=b)


def check(client, cid, code):
    return client.post(PATH + "/%d/confirmation/code/check" % cid, json={"code": code})


def delivered_code(server, gateway, phone):
    """Runs the sender (the clock moves a second) and gives the code of the
    last SMS the gateway got for phone."""
    server.clock(advance="PT1S")
    for req in reversed(gateway.requests):
        q = urllib.parse.parse_qs(urllib.parse.urlparse(req["path"]).query)
        if q.get("to") == [phone]:
            m = re.search(r"验证码 (\d{6})", q["msg"][0])
            assert m and q["msg"][0].startswith("【直联】"), q["msg"]
            return m.group(1)
    raise AssertionError("no SMS to %s" % phone)


def wrong(code):
    return "%06d" % ((int(code) + 1) % 1000000)


# ---------------------------------------------------------------- signature

def test_signature_confirms_the_visit(server, admin_c, cadre):
    h = household(admin_c)
    c = visit(server, cadre, [h])
    before = conf(cadre, c["id"])
    assert before["status"] == "none" and before["can_confirm"] is True and before["method"] == "none"
    assert before["households"][0]["id"] == h["id"] and before["households"][0]["has_phone"] is True
    assert h["_phone"] not in repr(before)
    png = png_bytes(30, 12)
    r = sign(cadre, c["id"], png, member_name="户主本人")
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == PATH + "/%d/confirmation" % c["id"]
    got = r.json()
    assert got["status"] == "confirmed" and got["method"] == "signature" and got["can_confirm"] is False
    assert got["household"]["id"] == h["id"] and got["member_name"] == "户主本人"
    assert got["confirmed_by"]["id"] == cadre.user["id"] and got["confirmed_at"].endswith("+08:00")
    sig = got["signature"]
    assert sig["bytes"] == len(png)
    g = cadre.get(sig["url"])
    assert g.status_code == 200 and g.content == png
    assert g.headers["Content-Type"] == "image/png" and g.headers["Cache-Control"] == "private"
    # the viewer (town scope) may see it, as anyone whose scope covers the contact
    assert server.session("viewer").get(sig["url"]).status_code == 200
    assert cadre.get(PATH + "/%d" % c["id"]).json()["confirmation"] == "signature"
    # once only
    problem(sign(cadre, c["id"], png_bytes(5, 5)), 409, "confirm.already_confirmed")
    problem(send(cadre, c["id"]), 409, "confirm.already_confirmed")
    audit = admin_c.get("/api/v1/audit", params={"entity": "contact"}).json()["items"]
    rows = [a for a in audit if a["entity_id"] == str(c["id"]) and a["action"] == "contact.confirm"]
    assert len(rows) == 1 and rows[0]["after"]["method"] == "signature"
    assert "户主本人" not in repr(rows)


def test_signature_type_and_size(server, admin_c, cadre):
    c = visit(server, cadre, [household(admin_c)])
    png = png_bytes(4, 4)
    problem(sign(cadre, c["id"], jpeg_bytes(), "image/jpeg"), 415, "contact.photo_type")
    problem(sign(cadre, c["id"], png, "text/plain"), 415, "contact.photo_type")
    problem(sign(cadre, c["id"], b"not a picture at all, just text\n"), 422, "contact.photo_invalid")
    problem(sign(cadre, c["id"], jpeg_bytes()), 422, "contact.photo_invalid")  # a JPEG called a PNG
    problem(sign(cadre, c["id"], png[:-12]), 422, "contact.photo_invalid")
    big = png + b"\x00" * (512 * 1024)
    pb = problem(sign(cadre, c["id"], big), 413, "contact.photo_too_large")
    assert "512" in pb["detail"]
    p = problem(sign(cadre, c["id"], png, member_name="x" * 51), 422)
    assert {e["field"] for e in p["errors"]} == {"member_name"}
    assert conf(cadre, c["id"])["status"] == "none"
    assert cadre.get(PATH + "/%d" % c["id"]).json()["confirmation"] == "none"
    problem(cadre.get(PATH + "/%d/confirmation/signature" % c["id"]), 404)


def test_household_must_be_named_when_several(server, admin_c, cadre):
    a, b = household(admin_c), household(admin_c)
    c = visit(server, cadre, [a, b])
    p = problem(sign(cadre, c["id"], png_bytes()), 422)
    assert {e["field"] for e in p["errors"]} == {"household_id"}
    other = household(admin_c)
    p = problem(send(cadre, c["id"], household_id=other["id"]), 422)
    assert {e["field"] for e in p["errors"]} == {"household_id"}
    r = sign(cadre, c["id"], png_bytes(), household_id=b["id"])
    assert r.status_code == 201, r.text
    assert r.json()["household"]["id"] == b["id"]


# ---------------------------------------------------------------- SMS code

def test_sms_code_confirms_the_visit(server, admin_c, cadre, gateway):
    h = household(admin_c)
    c = visit(server, cadre, [h])
    r = send(cadre, c["id"], member_name="张阿姨")
    assert r.status_code == 202, r.text
    got = r.json()
    masked = h["_phone"][:3] + "****" + h["_phone"][-4:]
    assert got["status"] == "pending" and got["code"]["phone_mask"] == masked
    assert got["code"]["tries_left"] == 5 and got["sends_left"] == 4 and got["resend_at"]
    assert h["_phone"] not in r.text
    code = delivered_code(server, gateway, h["_phone"])
    r = check(cadre, c["id"], code)
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["status"] == "confirmed" and got["method"] == "sms_code" and got["signature"] is None
    assert got["member_name"] == "张阿姨" and got["household"]["id"] == h["id"]
    assert cadre.get(PATH + "/%d" % c["id"]).json()["confirmation"] == "sms_code"
    problem(check(cadre, c["id"], code), 409, "confirm.already_confirmed")
    # the audit has the number masked, never the code
    audit = admin_c.get("/api/v1/audit", params={"entity": "contact"}).json()["items"]
    rows = [a for a in audit if a["entity_id"] == str(c["id"])]
    assert {"contact.confirm_code_sent", "contact.confirm"} <= {a["action"] for a in rows}
    text = repr(rows)
    assert h["_phone"] not in text and masked in text and code not in text
    stored = sqlite3.connect(server.db).execute(
        "SELECT code_hash FROM contact_confirmation WHERE contact_id = ?", (c["id"],)).fetchall()
    assert len(stored) == 1 and len(stored[0][0]) == 64 and code not in stored[0][0]


def test_wrong_code_is_counted(server, admin_c, cadre, gateway):
    h = household(admin_c)
    c = visit(server, cadre, [h])
    assert send(cadre, c["id"]).status_code == 202
    code = delivered_code(server, gateway, h["_phone"])
    pb = problem(check(cadre, c["id"], wrong(code)), 422, "confirm.code_wrong")
    assert "4" in pb["detail"]
    assert conf(cadre, c["id"])["code"]["attempts"] == 1  # committed despite the error
    p = problem(check(cadre, c["id"], "12ab56"), 422, "request.invalid")
    assert {e["field"] for e in p["errors"]} == {"code"}
    assert conf(cadre, c["id"])["code"]["attempts"] == 1
    assert check(cadre, c["id"], code).status_code == 200


def test_expired_code(server, admin_c, cadre, gateway):
    h = household(admin_c)
    c = visit(server, cadre, [h])
    assert send(cadre, c["id"]).status_code == 202
    code = delivered_code(server, gateway, h["_phone"])
    server.clock(advance="PT10M")
    problem(check(cadre, c["id"], code), 410, "confirm.code_expired")
    assert conf(cadre, c["id"])["code"]["state"] == "expired"
    # a new code works
    assert send(cadre, c["id"]).status_code == 202
    assert check(cadre, c["id"], delivered_code(server, gateway, h["_phone"])).status_code == 200


def test_too_many_tries_lock_the_code(server, admin_c, cadre, gateway):
    h = household(admin_c)
    c = visit(server, cadre, [h])
    problem(check(cadre, c["id"], "123456"), 409, "confirm.no_code")
    assert send(cadre, c["id"]).status_code == 202
    code = delivered_code(server, gateway, h["_phone"])
    for _ in range(4):
        problem(check(cadre, c["id"], wrong(code)), 422, "confirm.code_wrong")
    problem(check(cadre, c["id"], wrong(code)), 429, "confirm.too_many_tries")
    problem(check(cadre, c["id"], code), 429, "confirm.too_many_tries")  # even the right one now
    got = conf(cadre, c["id"])
    assert got["status"] == "none" and got["code"]["state"] == "locked" and got["code"]["tries_left"] == 0
    audit = admin_c.get("/api/v1/audit", params={"entity": "contact"}).json()["items"]
    assert len([a for a in audit if a["entity_id"] == str(c["id"])
                and a["action"] == "contact.confirm_code_wrong"]) == 5


def test_resend_throttle(server, admin_c, cadre, gateway):
    h = household(admin_c)
    c = visit(server, cadre, [h])
    assert send(cadre, c["id"]).status_code == 202
    first = delivered_code(server, gateway, h["_phone"])
    problem(send(cadre, c["id"]), 429, "confirm.send_throttled")
    for i in range(4):
        server.clock(advance="PT61S")
        r = send(cadre, c["id"])
        assert r.status_code == 202, r.text
        assert r.json()["sends_left"] == 3 - i
    latest = delivered_code(server, gateway, h["_phone"])
    server.clock(advance="PT61S")
    pb = problem(send(cadre, c["id"]), 429, "confirm.send_throttled")
    assert "24" in pb["detail"]
    # only the latest code counts
    if first != latest:
        problem(check(cadre, c["id"], first), 422, "confirm.code_wrong")
    assert check(cadre, c["id"], latest).status_code == 200


def test_no_phone(server, admin_c, cadre):
    c = visit(server, cadre, [household(admin_c, phone=False)])
    problem(send(cadre, c["id"]), 422, "confirm.no_phone")
    assert conf(cadre, c["id"])["households"][0]["has_phone"] is False


def test_no_gateway_no_code(server, admin_c, cadre):
    """Without an SMS gateway a code could never arrive: 503 with the reason,
    nothing stored or queued; the signature still works."""
    h = household(admin_c)
    c = visit(server, cadre, [h])
    with sqlite3.connect(server.db) as con:
        url = con.execute("SELECT value FROM setting WHERE key = 'outbound.sms_url'").fetchone()[0]
        con.execute("DELETE FROM setting WHERE key = 'outbound.sms_url'")
        queued = con.execute("SELECT count(*) FROM outbound_message").fetchone()[0]
    try:
        pb = problem(send(cadre, c["id"]), 503, "outbound.no_sms_gateway")
        assert "短信" in pb["title"]
        with sqlite3.connect(server.db) as con:
            assert con.execute("SELECT count(*) FROM contact_confirmation WHERE contact_id = ?",
                               (c["id"],)).fetchone()[0] == 0
            assert con.execute("SELECT count(*) FROM outbound_message").fetchone()[0] == queued
        got = conf(cadre, c["id"])
        assert got["status"] == "none" and got["sms_available"] is False
    finally:
        with sqlite3.connect(server.db) as con:
            con.execute("INSERT OR REPLACE INTO setting(key, value) VALUES ('outbound.sms_url', ?)", (url,))
    assert conf(cadre, c["id"])["sms_available"] is True


def test_contact_named_by_its_uuid(server, admin_c, cadre):
    """The record page knows only the UUID it gave an offline-made contact."""
    c = visit(server, cadre, [household(admin_c)])
    got = conf(cadre, c["uuid"].upper())
    assert got["contact_id"] == c["id"]
    assert sign(cadre, c["uuid"], png_bytes()).status_code == 201
    problem(cadre.get(PATH + "/00000000-0000-4000-8000-000000000000/confirmation"), 404)
    other = visit(server, admin_c, [household(admin_c, VILLAGE_B)])
    problem(cadre.get(PATH + "/%s/confirmation" % other["uuid"]), 404)


# ---------------------------------------------------------------- who, where, what

def test_only_author_or_cadre_present(server, admin_c, cadre, leader):
    h = household(admin_c)
    c = visit(server, cadre, [h])
    other, _, _ = ready_user(server, admin_c, role="cadre", scope=VILLAGE_A)
    problem(sign(other, c["id"], png_bytes()), 403, "confirm.not_present")
    problem(send(other, c["id"]), 403, "confirm.not_present")
    problem(check(other, c["id"], "123456"), 403, "confirm.not_present")
    problem(sign(leader, c["id"], png_bytes()), 403, "confirm.not_present")
    assert conf(other, c["id"])["can_confirm"] is False
    viewer = server.session("viewer")
    assert conf(viewer, c["id"])["can_confirm"] is False
    problem(sign(viewer, c["id"], png_bytes()), 403, "auth.forbidden")
    problem(send(viewer, c["id"]), 403, "auth.forbidden")
    problem(check(viewer, c["id"], "123456"), 403, "auth.forbidden")
    # a cadre listed as present may
    c2 = visit(server, cadre, [h], cadres=[leader.user["id"]])
    assert conf(leader, c2["id"])["can_confirm"] is True
    assert sign(leader, c2["id"], png_bytes()).status_code == 201


def test_out_of_scope_is_404(server, admin_c, cadre):
    c = visit(server, admin_c, [household(admin_c, VILLAGE_B)])
    problem(cadre.get(PATH + "/%d/confirmation" % c["id"]), 404, "not_found")
    problem(sign(cadre, c["id"], png_bytes()), 404)
    problem(send(cadre, c["id"]), 404)
    problem(check(cadre, c["id"], "123456"), 404)
    assert sign(admin_c, c["id"], png_bytes()).status_code == 201
    problem(cadre.get(PATH + "/%d/confirmation/signature" % c["id"]), 404)
    assert admin_c.get(PATH + "/%d/confirmation/signature" % c["id"]).status_code == 200
    problem(cadre.get(PATH + "/999999999/confirmation"), 404)


def test_only_home_visits_with_households(server, admin_c, cadre):
    h = household(admin_c)
    c = visit(server, cadre, [h], method="phone")
    problem(sign(cadre, c["id"], png_bytes()), 422, "confirm.not_home_visit")
    problem(send(cadre, c["id"]), 422, "confirm.not_home_visit")
    assert conf(cadre, c["id"])["can_confirm"] is False
    c = create(cadre, body(server, [], village_code=VILLAGE_A))
    problem(sign(cadre, c["id"], png_bytes()), 422, "confirm.not_home_visit")


def test_within_seven_days(server, admin_c, cadre):
    h = household(admin_c)
    c = visit(server, cadre, [h], started_at=shift(now(server), days=-7, minutes=-1))
    problem(sign(cadre, c["id"], png_bytes()), 409, "confirm.window_closed")
    problem(send(cadre, c["id"]), 409, "confirm.window_closed")
    c = visit(server, cadre, [h], started_at=shift(now(server), days=-6, hours=-23))
    assert sign(cadre, c["id"], png_bytes()).status_code == 201
