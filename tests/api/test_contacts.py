"""Contacts with the masses (联系记录): create, read, list filters, region
scope (404 everywhere, lists and photos included), roles, the 24-hour edit
window and amendments, photos checked by content, the UUID upsert of offline
entry (stored exactly once; other content is a 409), 联系户 conflicts stored
and listed, the household timeline and last_contact_at."""
import datetime
import os
import sqlite3
import struct
import uuid as uuidlib
import zlib

import pytest

from conftest import VILLAGE_A, VILLAGE_B, create_user, list_all, problem, unique

PATH = "/api/v1/contacts"


def sql(server, query, *args):
    con = sqlite3.connect(server.db, timeout=30)
    try:
        cur = con.execute(query, args)
        con.commit()
        return cur.fetchall()
    finally:
        con.close()


def png_bytes(w=2, h=2):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * w for _ in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def jpeg_bytes():
    """A structurally whole baseline JPEG: SOI, APP0, SOF0 1x1, SOS, data, EOI."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, 1, 1, 1) + b"\x01\x11\x00"
    sos = b"\xff\xda" + struct.pack(">HB", 8, 1) + b"\x01\x00\x00\x3f\x00"
    return b"\xff\xd8" + app0 + sof + sos + b"\x12\x34\xff\x00\x56" + b"\xff\xd9"


@pytest.fixture(scope="module")
def admin_c(server):
    return server.token_client("admin")


@pytest.fixture(scope="module")
def cadre(server):
    return server.token_client("cadre")


@pytest.fixture(scope="module")
def leader(server):
    return server.token_client("leader")


def now(server):
    """The server's clock, one second on (display form, +08:00)."""
    return server.clock(advance="PT1S")


def shift(t, **kw):
    return (datetime.datetime.fromisoformat(t) + datetime.timedelta(**kw)).isoformat()


def new_household(admin_c, village=VILLAGE_A):
    head = unique("户")
    r = admin_c.post("/api/v1/households", json={
        "village_code": village, "head_name": head, "address": "新村路 1 号",
        "members": [{"name": head, "relation": "户主"}, {"name": unique("妻"), "relation": "配偶"}]})
    assert r.status_code == 201, r.text
    return r.json()


def assign(admin_c, hid, user_id, start):
    r = admin_c.post("/api/v1/assignments/households",
                     json={"household_id": hid, "user_id": user_id, "start_date": start})
    assert r.status_code in (200, 201), r.text


def body(server, households=(), **kw):
    b = {"method": "home_visit", "started_at": shift(now(server), minutes=-30), "duration_min": 40,
         "summary": "了解家庭收入和子女上学情况\n老人身体尚可", "households": list(households)}
    b.update(kw)
    return b


def create(client, b, expect=201):
    r = client.post(PATH, json=b)
    assert r.status_code == expect, (r.status_code, r.text)
    return r.json()


@pytest.fixture(scope="module")
def mine(server, admin_c, cadre):
    """A household of village A assigned to the demo cadre."""
    h = new_household(admin_c)
    assign(admin_c, h["id"], cadre.user["id"], now(server)[:10])
    return h


@pytest.fixture(scope="module")
def in_b(server, admin_c):
    return new_household(admin_c, VILLAGE_B)


# ---------------------------------------------------------------- create and read

def test_create_and_read(server, cadre, leader, mine):
    member = mine["members"][1]
    b = body(server, [mine["id"]], place="村委会旁", lat=21.8, lng=112.3, gps_accuracy_m=12.5,
             people=[{"member_id": member["id"]}, {"name": "邻居王伯"}], cadres=[leader.user["id"]],
             issues=["门前路灯坏了", {"text": "低保复核材料不清楚"}], follow_up_date=now(server)[:10])
    r = cadre.post(PATH, json=b)
    assert r.status_code == 201, r.text
    c = r.json()
    assert r.headers["Location"] == PATH + "/%d" % c["id"]
    assert len(c["uuid"]) == 36 and c["conflict"] is None
    assert c["village"]["code"] == VILLAGE_A and c["author"]["id"] == cadre.user["id"]
    assert c["households"] == [{"id": mine["id"], "code": mine["code"], "head_name": mine["head_name"]}]
    assert [x["id"] for x in c["cadres"]] == [leader.user["id"]]
    assert c["started_at"].endswith("+08:00") and c["duration_min"] == 40 and c["lat"] == 21.8
    assert c["confirmation"] == "none" and c["amended"] is None and c["amendments"] == []
    g = cadre.get(PATH + "/%d" % c["id"]).json()
    assert sorted(p["name"] for p in g["people"]) == sorted([member["name"], "邻居王伯"])
    assert [i["text"] for i in g["issues"]] == ["门前路灯坏了", "低保复核材料不清楚"]
    assert all(i["status"] == "open" and i["appeal_id"] is None for i in g["issues"])
    assert g["summary"] == b["summary"]
    # audited without the summary text
    rows = sql(server, "SELECT action, after_json FROM audit_log WHERE entity = 'contact' AND entity_id = ?",
               str(c["id"]))
    assert rows and rows[0][0] == "contact.create" and "子女上学" not in rows[0][1]


def test_village_given_without_households(server, cadre):
    c = create(cadre, body(server, [], method="phone", village_code=VILLAGE_A))
    assert c["village"]["code"] == VILLAGE_A and c["households"] == []


@pytest.mark.parametrize("patch,field", [
    ({"duration_min": 0}, "duration_min"),
    ({"duration_min": 1441}, "duration_min"),
    ({"method": "telepathy"}, "method"),
    ({"summary": ""}, "summary"),
    ({"summary": "字" * 4001}, "summary"),
    ({"lat": 91, "lng": 112.0}, "lat"),
    ({"lat": 21.8}, "lng"),
    ({"gps_accuracy_m": 5}, "gps_accuracy_m"),
    ({"started_at": "yesterday"}, "started_at"),
    ({"uuid": "not-a-uuid"}, "uuid"),
    ({"households": [], "village_code": None}, "village_code"),
    ({"people": [{"member_id": 999999999}]}, "people[0].member_id"),
    ({"cadres": [999999999]}, "cadres[0]"),
    ({"follow_up_date": "2001-01-01"}, "follow_up_date"),
    ({"issues": [""]}, "issues[0]"),
])
def test_field_errors(server, cadre, mine, patch, field):
    before = sql(server, "SELECT COUNT(*) FROM contact")[0][0]
    b = body(server, [mine["id"]])
    b.update(patch)
    if b.get("village_code", 1) is None:
        del b["village_code"]
    r = cadre.post(PATH, json=b)
    pb = problem(r, 422, "request.invalid")
    assert field in {e["field"] for e in pb["errors"]}, pb
    assert sql(server, "SELECT COUNT(*) FROM contact")[0][0] == before


def test_time_in_the_future_refused_beyond_slack(server, cadre, mine):
    t = now(server)
    create(cadre, body(server, [mine["id"]], started_at=shift(t, minutes=4)))
    pb = problem(cadre.post(PATH, json=body(server, [mine["id"]], started_at=shift(t, minutes=10))), 422)
    assert "started_at" in {e["field"] for e in pb["errors"]}


# ---------------------------------------------------------------- roles and scope

def test_viewer_reads_but_cannot_write(server, cadre, mine):
    c = create(cadre, body(server, [mine["id"]]))
    viewer = server.session("viewer")
    assert viewer.get(PATH + "/%d" % c["id"]).status_code == 200
    problem(viewer.post(PATH, json=body(server, [mine["id"]])), 403, "auth.forbidden")
    problem(viewer.patch(PATH + "/%d" % c["id"], json={"duration_min": 5}), 403)
    problem(viewer.post(PATH + "/%d/amendments" % c["id"], json={"reason": "x", "changes": {"duration_min": 5}}), 403)
    problem(viewer.post(PATH + "/%d/photos" % c["id"], data=png_bytes(), headers={"Content-Type": "image/png"}), 403)


def test_cadre_out_of_scope_is_404_everywhere(server, admin_c, cadre, in_b):
    c = create(admin_c, body(server, [in_b["id"]]))
    ph = admin_c.post(PATH + "/%d/photos" % c["id"], data=png_bytes(3, 3), headers={"Content-Type": "image/png"})
    assert ph.status_code == 201, ph.text
    p = PATH + "/%d" % c["id"]
    problem(cadre.get(p), 404, "not_found")
    problem(cadre.patch(p, json={"duration_min": 5}), 404)
    problem(cadre.post(p + "/amendments", json={"reason": "x", "changes": {"duration_min": 5}}), 404)
    problem(cadre.post(p + "/photos", data=png_bytes(), headers={"Content-Type": "image/png"}), 404)
    problem(cadre.get(ph.json()["url"]), 404)
    assert admin_c.get(ph.json()["url"]).status_code == 200
    # lists leave it out, whatever the filter
    assert list_all(cadre, PATH, {"household": in_b["id"]}) == []
    assert list_all(cadre, PATH, {"region": VILLAGE_B}) == []
    assert all(x["village"]["code"] == VILLAGE_A for x in list_all(cadre, PATH))
    assert [x["id"] for x in list_all(admin_c, PATH, {"household": in_b["id"]})] == [c["id"]]
    # and a household of B cannot be named by the cadre
    pb = problem(cadre.post(PATH, json=body(server, [in_b["id"]])), 422)
    assert "households[0]" in {e["field"] for e in pb["errors"]}


# ---------------------------------------------------------------- the UUID upsert

def test_same_uuid_twice_is_stored_once(server, cadre, mine):
    u = str(uuidlib.uuid4())
    b = body(server, [mine["id"]], uuid=u, issues=["水管漏水"])
    first = cadre.post(PATH, json=b)
    assert first.status_code == 201, first.text
    # the resend: key order, time offset and list order do not matter
    again = dict(reversed(list(b.items())))
    again["uuid"] = u.upper()
    again["started_at"] = datetime.datetime.fromisoformat(b["started_at"]).astimezone(
        datetime.timezone.utc).isoformat().replace("+00:00", "Z")
    second = cadre.post(PATH, json=again)
    assert second.status_code == 200, second.text
    assert second.json()["id"] == first.json()["id"] and second.json()["uuid"] == u
    assert sql(server, "SELECT COUNT(*) FROM contact WHERE uuid = ?", u)[0][0] == 1
    assert sql(server, "SELECT COUNT(*) FROM contact_issue WHERE contact_id = ?", first.json()["id"])[0][0] == 1


def test_same_uuid_other_content_is_409(server, cadre, mine):
    u = str(uuidlib.uuid4())
    b = body(server, [mine["id"]], uuid=u)
    create(cadre, b)
    b["summary"] = "内容不同"
    pb = problem(cadre.post(PATH, json=b), 409, "contact.uuid_conflict")
    assert u in pb["detail"]
    assert sql(server, "SELECT summary FROM contact WHERE uuid = ?", u)[0][0] != "内容不同"


# ---------------------------------------------------------------- conflicts

def test_household_moved_meanwhile_is_stored_with_conflict(server, admin_c, cadre, leader):
    h = new_household(admin_c)
    today = now(server)[:10]
    yesterday = (datetime.date.fromisoformat(today) - datetime.timedelta(days=1)).isoformat()
    month_ago = (datetime.date.fromisoformat(today) - datetime.timedelta(days=30)).isoformat()
    assign(admin_c, h["id"], cadre.user["id"], month_ago)
    other = create_user(admin_c, role="cadre", scope=VILLAGE_A)
    assign(admin_c, h["id"], other["id"], today)
    # recorded offline yesterday, while still the cadre's: no conflict
    ok = create(cadre, body(server, [h["id"]], uuid=str(uuidlib.uuid4()),
                            started_at=yesterday + "T10:00:00+08:00"))
    assert ok["conflict"] is None
    # recorded today, after the household moved: stored, flagged
    r = cadre.post(PATH, json=body(server, [h["id"]], uuid=str(uuidlib.uuid4())))
    assert r.status_code == 201, r.text
    c = r.json()
    assert c["conflict"]["kind"] == "household_reassigned"
    assert c["conflict"]["households"][0]["household_id"] == h["id"]
    assert c["conflict"]["households"][0]["responsible_user_id"] == other["id"]
    ids = [x["id"] for x in list_all(leader, PATH, {"conflict": 1})]
    assert c["id"] in ids and ok["id"] not in ids
    assert all(x["conflict"] for x in list_all(leader, PATH, {"conflict": 1}))


# ---------------------------------------------------------------- edit window and amendments

def test_edit_window_then_amendments(server, admin_c, cadre, leader, mine):
    server.clock(now=now(server)[:19] + "+08:00")  # a whole second
    c = create(cadre, body(server, [mine["id"]], duration_min=30))
    p = PATH + "/%d" % c["id"]
    problem(leader.patch(p, json={"duration_min": 31}), 403, "contact.not_author")
    server.clock(advance="PT23H59M59S")
    r = cadre.patch(p, json={"duration_min": 45, "place": "田头"})
    assert r.status_code == 200, r.text
    assert r.json()["duration_min"] == 45 and r.json()["place"] == "田头"
    problem(cadre.patch(p, json={"uuid": str(uuidlib.uuid4())}), 422)
    server.clock(advance="PT1S")
    problem(cadre.patch(p, json={"duration_min": 50}), 409, "contact.edit_window_closed")
    problem(cadre.post(p + "/photos", data=png_bytes(), headers={"Content-Type": "image/png"}), 409,
            "contact.edit_window_closed")
    pb = problem(cadre.post(p + "/amendments", json={"changes": {"duration_min": 50}}), 422)
    assert "reason" in {e["field"] for e in pb["errors"]}
    pb = problem(cadre.post(p + "/amendments", json={"reason": "x", "changes": {"households": []}}), 422)
    assert "changes.households" in {e["field"] for e in pb["errors"]}
    r = cadre.post(p + "/amendments", json={"reason": "时长记错了", "changes": {"duration_min": 50}})
    assert r.status_code == 201, r.text
    r = leader.post(p + "/amendments", json={"reason": "补充地点", "changes": {"place": "村口"}})
    assert r.status_code == 201, r.text
    g = cadre.get(p).json()
    assert g["duration_min"] == 45 and g["place"] == "田头"  # the row stays as it was
    assert g["amended"]["duration_min"] == 50 and g["amended"]["place"] == "村口"
    assert [a["reason"] for a in g["amendments"]] == ["时长记错了", "补充地点"]
    assert g["amendments"][0]["before"] == {"duration_min": 45} and g["amendments"][0]["after"] == {"duration_min": 50}
    assert g["amendments"][1]["before"] == {"place": "田头"}
    assert g["amendment_count"] == 2
    actions = [a for (a,) in sql(server, "SELECT action FROM audit_log WHERE entity = 'contact' AND entity_id = ?",
                                  str(c["id"]))]
    assert actions == ["contact.create", "contact.update", "contact.amend", "contact.amend"]


# ---------------------------------------------------------------- photos

def test_photos_by_content(server, cadre, mine):
    c = create(cadre, body(server, [mine["id"]]))
    p = PATH + "/%d/photos" % c["id"]
    png = png_bytes(4, 4)
    r = cadre.post(p, data=png, headers={"Content-Type": "image/png"})
    assert r.status_code == 201, r.text
    ph = r.json()
    assert ph["mime"] == "image/png" and ph["bytes"] == len(png)
    sha = ph["sha256"]
    path = "%s.files/%s/%s/%s" % (server.db, sha[:2], sha[2:4], sha)
    assert os.path.isfile(path) and open(path, "rb").read() == png
    assert cadre.post(p, data=png, headers={"Content-Type": "image/png"}).status_code == 200  # again: once
    r = cadre.post(p, data=jpeg_bytes(), headers={"Content-Type": "image/jpeg"})
    assert r.status_code == 201, r.text
    g = cadre.get(ph["url"])
    assert g.status_code == 200 and g.content == png
    assert g.headers["Content-Type"] == "image/png" and g.headers["Cache-Control"] == "private"
    assert cadre.get(PATH + "/%d" % c["id"]).json()["photo_count"] == 2
    problem(cadre.get(p + "/" + "0" * 64), 404)
    # a text file named .jpg, sent as a JPEG: 422; a declared non-image: 415
    problem(cadre.post(p, data=b"just some text, not a photo\n", headers={"Content-Type": "image/jpeg"}), 422,
            "contact.photo_invalid")
    problem(cadre.post(p, data=png, headers={"Content-Type": "image/jpeg"}), 422, "contact.photo_invalid")
    problem(cadre.post(p, data=png[:-20], headers={"Content-Type": "image/png"}), 422, "contact.photo_invalid")
    problem(cadre.post(p, data=png, headers={"Content-Type": "text/plain"}), 415, "contact.photo_type")
    big = png + b"\x00" * (5 * 1024 * 1024)
    problem(cadre.post(p, data=big, headers={"Content-Type": "image/png"}), 413, "contact.photo_too_large")
    assert sql(server, "SELECT COUNT(*) FROM contact_photo WHERE contact_id = ?", c["id"])[0][0] == 2


# ---------------------------------------------------------------- timeline and last_contact_at

def test_timeline_and_not_contacted_filter(server, admin_c, cadre):
    h = new_household(admin_c)
    q = {"q": h["head_name"], "not_contacted_days": 30}
    assert [x["id"] for x in list_all(admin_c, "/api/v1/households", q)] == [h["id"]]
    c = create(cadre, body(server, [h["id"]], summary="走访了解用水情况"))
    t = admin_c.get("/api/v1/households/%d/timeline" % h["id"]).json()["items"]
    mine = [x for x in t if x["source"] == "contact"]
    assert len(mine) == 1 and mine[0]["kind"] == "contact.home_visit" and mine[0]["id"] == c["id"]
    assert "走访了解用水情况" in mine[0]["summary"] and mine[0]["user"]["id"] == cadre.user["id"]
    got = admin_c.get("/api/v1/households/%d" % h["id"]).json()
    assert got["last_contact_at"] == c["started_at"]
    assert list_all(admin_c, "/api/v1/households", q) == []
    server.clock(advance="P31D")
    assert [x["id"] for x in list_all(admin_c, "/api/v1/households", q)] == [h["id"]]


# ---------------------------------------------------------------- list filters

def test_list_filters_and_order(server, admin_c, cadre, leader):
    h1, h2 = new_household(admin_c), new_household(admin_c)
    t = now(server)
    a = create(cadre, body(server, [h1["id"]], method="phone", started_at=shift(t, days=-3)))
    b = create(cadre, body(server, [h1["id"], h2["id"]], method="meeting", started_at=shift(t, days=-1),
                           cadres=[leader.user["id"]]))
    c = create(leader, body(server, [h2["id"]], method="wechat", started_at=shift(t, days=-2)))

    def ids(**params):
        return [x["id"] for x in list_all(admin_c, PATH, params, limit=1)]

    assert ids(household=h1["id"]) == [b["id"], a["id"]]  # newest first by time
    assert ids(household=h2["id"]) == [b["id"], c["id"]]
    assert ids(household=h1["id"], method="phone") == [a["id"]]
    got = ids(cadre=leader.user["id"])
    assert b["id"] in got and c["id"] in got and a["id"] not in got
    day_b = shift(t, days=-1)[:10]
    assert ids(household=h2["id"], **{"from": day_b}) == [b["id"]]
    assert ids(household=h2["id"], to=day_b) == [c["id"]]
    assert ids(household=h1["id"], region=VILLAGE_A) == [b["id"], a["id"]]
    assert ids(household=h1["id"], region=VILLAGE_B) == []
    for bad in ({"method": "x"}, {"from": "yesterday"}, {"cadre": "abc"}, {"conflict": "maybe"}):
        problem(admin_c.get(PATH, params=bad), 422)
