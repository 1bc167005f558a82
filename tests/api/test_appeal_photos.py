"""
Photos of appeals, as for contacts: a cadre attaches JPEG and PNG photos
judged by their content (415 for a declared non-image, 422 for content that
is not the image, 413 over 5 MB), region scope (404 for another village's
cadre), the viewer's 403, the photo event and audit row, the list in the
appeal JSON; the resident adds photos through the portal within 24 hours of
submitting (with the phone's last four digits when a phone was given) and
sees them on the track view only with those digits.
"""
import os
import sqlite3

from conftest import VILLAGE_A, VILLAGE_B, problem
from test_contacts import jpeg_bytes, png_bytes

MONDAY = "2026-03-02T09:00:00+08:00"
PUBLIC = "/api/v1/public"
PNG = {"Content-Type": "image/png"}
JPEG = {"Content-Type": "image/jpeg"}


def sql(server, query, *args):
    con = sqlite3.connect(server.db, timeout=30)
    try:
        return con.execute(query, args).fetchall()
    finally:
        con.close()


def new_appeal(client, village=VILLAGE_A, **kw):
    body = {"village_code": village, "category_id": 3, "title": "垃圾没人清", "description": "村口垃圾堆三天没人清理"}
    body.update(kw)
    r = client.post("/api/v1/appeals", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def public_submit(server, **kw):
    body = {"village_code": VILLAGE_A, "category_id": 3, "description": "路灯坏了，晚上看不见路"}
    body.update(kw)
    r = server.client().post(PUBLIC + "/appeals", json=body)
    if r.status_code == 429:
        server.clock(advance="PT61M")
        r = server.client().post(PUBLIC + "/appeals", json=body)
    assert r.status_code == 201, r.text
    return r.json()["receipt_code"]


def test_cadre_photos_by_content_with_event_and_audit(server):
    server.clock(now=MONDAY)
    cadre = server.session("cadre")
    a = new_appeal(cadre)
    p = "/api/v1/appeals/%d/photos" % a["id"]
    assert a["photos"] == []
    png = png_bytes(5, 3)
    r = cadre.post(p, data=png, headers=PNG)
    assert r.status_code == 201, r.text
    ph = r.json()
    assert ph["mime"] == "image/png" and ph["bytes"] == len(png)
    assert r.headers["Location"] == ph["url"] == p + "/" + ph["sha256"]
    sha = ph["sha256"]
    path = "%s.files/%s/%s/%s" % (server.db, sha[:2], sha[2:4], sha)
    assert os.path.isfile(path) and open(path, "rb").read() == png
    assert cadre.post(p, data=png, headers=PNG).status_code == 200  # the same photo again: once
    r = cadre.post(p, data=jpeg_bytes(), headers=JPEG)
    assert r.status_code == 201, r.text
    g = cadre.get(ph["url"])
    assert g.status_code == 200 and g.content == png
    assert g.headers["Content-Type"] == "image/png" and g.headers["Cache-Control"] == "private"
    got = cadre.get("/api/v1/appeals/%d" % a["id"]).json()["photos"]
    assert sorted(x["mime"] for x in got) == ["image/jpeg", "image/png"]
    assert all(set(x) >= {"sha256", "mime", "bytes", "url"} for x in got)
    problem(cadre.get(p + "/" + "0" * 64), 404)
    problem(cadre.get(p + "/not-a-sha"), 404)
    # wrong content or type, too large
    problem(cadre.post(p, data=b"just some text\n", headers=JPEG), 422, "contact.photo_invalid")
    problem(cadre.post(p, data=png, headers=JPEG), 422, "contact.photo_invalid")
    problem(cadre.post(p, data=png[:-20], headers=PNG), 422, "contact.photo_invalid")
    problem(cadre.post(p, data=png, headers={"Content-Type": "text/plain"}), 415, "contact.photo_type")
    big = png + b"\x00" * (5 * 1024 * 1024)
    problem(cadre.post(p, data=big, headers=PNG), 413, "contact.photo_too_large")
    problem(cadre.post("/api/v1/appeals/999999999/photos", data=png, headers=PNG), 404)
    # one event and one audit row per new photo, user recorded
    assert sql(server, "SELECT COUNT(*), COUNT(user_id) FROM appeal_photo WHERE appeal_id = ?", a["id"])[0] == (2, 2)
    ev = [e for e in cadre.get("/api/v1/appeals/%d/events" % a["id"]).json()["items"] if e["action"] == "photo"]
    assert len(ev) == 2
    assert sql(server, "SELECT COUNT(*) FROM audit_log WHERE action = 'appeal.photo_add' AND entity_id = ?",
               str(a["id"]))[0][0] == 2


def test_scope_and_roles(server):
    admin = server.session("admin")
    cadre = server.session("cadre")  # 东坑村 only
    viewer = server.session("viewer")
    other = new_appeal(admin, VILLAGE_B)
    p = "/api/v1/appeals/%d/photos" % other["id"]
    r = admin.post(p, data=png_bytes(), headers=PNG)
    assert r.status_code == 201, r.text
    problem(cadre.post(p, data=png_bytes(2, 3), headers=PNG), 404)
    problem(cadre.get(r.json()["url"]), 404)
    problem(viewer.post(p, data=png_bytes(2, 3), headers=PNG), 403)
    g = viewer.get(r.json()["url"])  # a town viewer may look
    assert g.status_code == 200 and g.content == png_bytes()


def test_resident_adds_photos_within_a_day(server):
    server.clock(now=MONDAY)
    code = public_submit(server, submitter_phone="13912345678")
    c = server.client()
    up = PUBLIC + "/track/%s/photos" % code
    # the phone was given: its last four digits are needed
    problem(c.post(up, data=png_bytes(), headers=PNG), 422, "request.invalid")
    problem(c.post(up, params={"phone_last4": "0000"}, data=png_bytes(), headers=PNG), 403, "portal.phone_mismatch")
    r = c.post(up, params={"phone_last4": "5678"}, data=png_bytes(3, 3), headers=PNG)
    assert r.status_code == 201, r.text
    ph = r.json()
    assert ph["url"] == up + "/" + ph["sha256"]
    problem(c.post(up, params={"phone_last4": "5678"}, data=b"GIF89a", headers={"Content-Type": "image/gif"}),
            415, "contact.photo_type")
    # listed on the track view only with the digits
    t = c.get(PUBLIC + "/track/" + code).json()
    assert "photos" not in t
    t = c.get(PUBLIC + "/track/" + code, params={"phone_last4": "5678"}).json()
    assert [x["sha256"] for x in t["photos"]] == [ph["sha256"]]
    problem(c.get(ph["url"]), 422)
    problem(c.get(ph["url"], params={"phone_last4": "1111"}), 403, "portal.phone_mismatch")
    g = c.get(ph["url"], params={"phone_last4": "5678"})
    assert g.status_code == 200 and g.content == png_bytes(3, 3) and g.headers["Cache-Control"] == "private"
    # the cadre sees it on the appeal, uploaded by nobody (the resident)
    admin = server.session("admin")
    aid = sql(server, "SELECT id FROM appeal WHERE receipt_code = ?", code)[0][0]
    a = admin.get("/api/v1/appeals/%d" % aid).json()
    assert [x["sha256"] for x in a["photos"]] == [ph["sha256"]]
    assert a["photos"][0]["url"] == "/api/v1/appeals/%d/photos/%s" % (aid, ph["sha256"])
    assert sql(server, "SELECT user_id FROM appeal_photo WHERE appeal_id = ?", aid) == [(None,)]
    # 24 hours later: refused
    server.clock(advance="PT23H59M")
    assert c.post(up, params={"phone_last4": "5678"}, data=jpeg_bytes(), headers=JPEG).status_code == 201
    server.clock(advance="PT2M")
    problem(c.post(up, params={"phone_last4": "5678"}, data=png_bytes(6, 6), headers=PNG), 409, "portal.photo_closed")
    assert sql(server, "SELECT COUNT(*) FROM appeal_photo WHERE appeal_id = ?", aid)[0][0] == 2


def test_anonymous_resident_and_rate_limit(server):
    server.clock(now=MONDAY)
    server.clock(advance="PT2H")  # a fresh rate-limit window
    code = public_submit(server)
    c = server.client()
    up = PUBLIC + "/track/%s/photos" % code
    r = c.post(up, data=png_bytes(7, 7), headers=PNG)  # no phone given: no digits needed
    assert r.status_code == 201, r.text
    assert [x["sha256"] for x in c.get(PUBLIC + "/track/" + code).json()["photos"]] == [r.json()["sha256"]]
    problem(c.post(PUBLIC + "/track/ZZZZ-ZZZZ-ZZ/photos", data=png_bytes(), headers=PNG), 404)
    codes = [c.post(up, data=png_bytes(8, 8 + i), headers=PNG).status_code for i in range(12)]
    assert 429 in codes and codes[0] in (200, 201)
