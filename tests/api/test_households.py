"""Household files (民情档案): create, read, change and remove members with
role and region scope (out of scope is 404 everywhere, lists and counts
included), masking and audited reveal, list filters, field errors, the
timeline, tags, and the key file with `zhilian rotate-key`."""
import json
import os
import sqlite3
import stat
import subprocess

import pytest

from conftest import (BIN, TOWN, VILLAGE_A, VILLAGE_B, free_port, list_all, problem, run_cli,
                      start_server, unique)

PATH = "/api/v1/households"


def make_id(body17):
    """A valid 18-character resident ID number for a 17-digit body."""
    w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body17 + "10X98765432"[sum(int(d) * k for d, k in zip(body17, w)) % 11]


_ids = [0]


def new_id(birth="19580716", sex_odd=True):
    """A fresh valid ID number, unique across the run (sequence digits)."""
    _ids[0] += 1
    seq = (os.getpid() * 7 + _ids[0]) % 100
    return make_id("440881" + birth + "%02d" % seq + ("1" if sex_odd else "2"))


_phones = [0]


def new_phone():
    _phones[0] += 1
    return "13%d%08d" % (5 + _phones[0] % 5, (os.getpid() * 1000 + _phones[0]) % 100000000)


def sql(server, query, *args):
    con = sqlite3.connect(server.db, timeout=30)
    try:
        cur = con.execute(query, args)
        con.commit()
        return cur.fetchall()
    finally:
        con.close()


def create(client, village=VILLAGE_A, expect=201, **fields):
    head = fields.pop("head_name") if "head_name" in fields else unique("户")
    body = {"village_code": village, "head_name": head, "phone": new_phone(), "address": "新村路 8 号",
            "tags": ["低保户"],
            "members": [{"name": head, "relation": "户主", "id_number": new_id()},
                        {"name": unique("妻"), "relation": "妻子", "id_number": new_id("19600102", False),
                         "phone": new_phone()}]}
    body.update(fields)
    r = client.post(PATH, json=body)
    assert r.status_code == expect, (r.status_code, r.text)
    if expect == 201:
        h = r.json()
        h["_body"] = body
        return h
    return r


def fields_of(body):
    return {e["field"] for e in body.get("errors", [])}


@pytest.fixture(scope="module")
def admin_c(server):
    return server.token_client("admin")


@pytest.fixture(scope="module")
def cadre(server):
    return server.token_client("cadre")


@pytest.fixture(scope="module")
def in_b(server, admin_c):
    """A household of village B, outside the demo cadre's village A."""
    return create(admin_c, village=VILLAGE_B)


# ---------------------------------------------------------------- create and read

def test_create_masks_and_locates(server, admin_c):
    h = create(admin_c, notes="老人独居，子女在外务工")
    body = h["_body"]
    assert h["code"].startswith(VILLAGE_A) and len(h["code"]) == 16, h["code"]
    assert h["village"] == {"code": VILLAGE_A, "name": h["village"]["name"]} and h["village"]["name"]
    assert h["group"] is None and h["tags"] == ["低保户"] and h["member_count"] == 2
    assert h["phone"] == body["phone"][:3] + "****" + body["phone"][-4:]
    assert h["revealed"] is False and h["responsible"] is None
    head, wife = h["members"]
    idn = body["members"][0]["id_number"]
    assert head["id_number"] == idn[:4] + "*" * 10 + idn[-4:]
    assert head["birth_date"] == "1958-07-16" and head["sex"] == "M" and head["age"] >= 67
    assert wife["relation"] == "配偶" and wife["sex"] == "F" and wife["birth_date"] == "1960-01-02"
    assert wife["phone"].count("*") == 4
    g = admin_c.get(PATH + "/%d" % h["id"])
    assert g.status_code == 200 and g.json()["code"] == h["code"]
    text = g.text
    for m in body["members"]:
        assert m["id_number"] not in text
    assert body["phone"] not in text


def test_code_given_generated_and_taken(server, admin_c):
    code = unique("HH-")
    h = create(admin_c, code=code)
    assert h["code"] == code
    problem(create(admin_c, code=code, expect=409), 409, "household.code_exists")
    a = create(admin_c)
    b = create(admin_c)
    assert int(b["code"][-4:]) == int(a["code"][-4:]) + 1


@pytest.mark.parametrize("patch,field", [
    ({"village_code": "440881104999"}, "village_code"),
    ({"village_code": TOWN}, "village_code"),
    ({"village_code": None}, "village_code"),
    ({"head_name": ""}, "head_name"),
    ({"head_name": "x" * 40}, "head_name"),
    ({"phone": "0759-2345678"}, "phone"),
    ({"lat": 91, "lng": 112.0}, "lat"),
    ({"lat": 21.8}, "lng"),
    ({"tags": ["没有这个标签"]}, "tags"),
    ({"tags": "低保户"}, "tags"),
    ({"code": "有 空格"}, "code"),
    ({"members": [{"name": "甲", "relation": "户主", "id_number": "440881195807161619"}]}, "members[0].id_number"),
    ({"members": [{"name": "甲", "relation": "户主", "id_number": "440881199902301230"}]}, "members[0].id_number"),
    ({"members": [{"name": "甲", "relation": "表亲"}]}, "members[0].relation"),
    ({"members": [{"relation": "户主"}]}, "members[0].name"),
    ({"members": [{"name": "甲", "relation": "户主", "phone": "12345"}]}, "members[0].phone"),
    ({"members": [{"name": "甲", "relation": "户主", "id_number": make_id("44088119580716161"),
                   "birth_date": "1958-07-17"}]}, "members[0].birth_date"),
    ({"members": [{"name": "甲", "relation": "户主", "id_number": make_id("44088119580716161"),
                   "sex": "F"}]}, "members[0].sex"),
    ({"members": [{"name": "甲", "relation": "户主", "birth_date": "2999-01-01"}]}, "members[0].birth_date"),
    ({"members": [{"name": "甲", "relation": "户主"}, {"name": "乙", "relation": "户主"}]}, "members[1].relation"),
])
def test_field_errors(server, admin_c, patch, field):
    before = sql(server, "SELECT COUNT(*) FROM household")[0][0]
    body = problem(create(admin_c, expect=422, **patch), 422, "request.invalid")
    assert field in fields_of(body), body
    assert sql(server, "SELECT COUNT(*) FROM household")[0][0] == before


def test_future_birth_date_in_id_number(server, admin_c):
    now = server.clock(advance="PT1S")  # the server's "now", e.g. 2026-..-..T..+08:00
    year = int(now[:4]) + 1
    idn = make_id("440881%d0101123" % year)
    body = problem(create(admin_c, expect=422, members=[{"name": "甲", "relation": "户主", "id_number": idn}]), 422)
    assert "members[0].id_number" in fields_of(body)


def test_english_field_messages(server, admin_c):
    r = admin_c.post(PATH, json={"village_code": VILLAGE_A, "head_name": "甲", "phone": "123"},
                     headers={"Accept-Language": "en"})
    body = problem(r, 422)
    msg = [e["message"] for e in body["errors"] if e["field"] == "phone"][0]
    assert "'phone'" in msg and msg == msg.rstrip(".")


# ---------------------------------------------------------------- roles and scope

def test_viewer_reads_but_cannot_write_or_reveal(server, admin_c, in_b):
    viewer = server.session("viewer")
    assert viewer.get(PATH + "/%d" % in_b["id"]).status_code == 200
    problem(viewer.get(PATH + "/%d?reveal=1" % in_b["id"]), 403, "auth.forbidden")
    problem(viewer.get(PATH + "?reveal=1"), 403, "auth.forbidden")
    problem(viewer.post(PATH, json={"village_code": VILLAGE_A, "head_name": "甲"}), 403)
    problem(viewer.patch(PATH + "/%d" % in_b["id"], json={"notes": "x"}), 403)
    problem(viewer.post("/api/v1/tags", json={"name": unique("标")}), 403)


def test_cadre_out_of_scope_is_404_everywhere(server, admin_c, cadre, in_b):
    hid = in_b["id"]
    mid = in_b["members"][1]["id"]
    p = PATH + "/%d" % hid
    problem(cadre.get(p), 404, "not_found")
    problem(cadre.get(p + "?reveal=1"), 404, "not_found")
    problem(cadre.patch(p, json={"notes": "x"}), 404)
    problem(cadre.put(p + "/tags", json={"tags": ["残疾人"]}), 404)
    problem(cadre.post(p + "/members", json={"name": "甲", "relation": "子女"}), 404)
    problem(cadre.patch(p + "/members/%d" % mid, json={"occupation": "x"}), 404)
    problem(cadre.post(p + "/members/%d/remove" % mid, json={"reason": "x"}), 404)
    problem(cadre.get(p + "/timeline"), 404)
    # a household that does not exist answers the same
    problem(cadre.get(PATH + "/99999999"), 404, "not_found")
    # lists and counts leave it out
    mine = list_all(cadre, PATH, {"q": in_b["head_name"]})
    assert mine == []
    assert all(h["village"]["code"] == VILLAGE_A for h in list_all(cadre, PATH, {"tag": "低保户"}))
    assert list_all(cadre, PATH, {"region": VILLAGE_B}) == []
    admin_counts = admin_c.get(PATH + "/counts").json()
    cadre_counts = cadre.get(PATH + "/counts").json()
    assert {v["code"] for v in cadre_counts["by_village"]} <= {VILLAGE_A}
    assert cadre_counts["total"] == sum(v["count"] for v in cadre_counts["by_village"])
    by_village = {v["code"]: v["count"] for v in admin_counts["by_village"]}
    assert by_village.get(VILLAGE_B, 0) >= 1
    assert cadre_counts["total"] == by_village.get(VILLAGE_A, 0)
    # nothing changed behind the 404s
    g = admin_c.get(p).json()
    assert g["notes"] == in_b["notes"] and g["member_count"] == 2
    # and the cadre cannot create there, nor move a household there
    body = problem(create(cadre, village=VILLAGE_B, expect=422), 422)
    assert "village_code" in fields_of(body)
    own = create(cadre)
    body = problem(cadre.patch(PATH + "/%d" % own["id"], json={"village_code": VILLAGE_B}), 422)
    assert "village_code" in fields_of(body)


def test_cadre_works_in_own_village(server, cadre):
    h = create(cadre)
    assert h["village"]["code"] == VILLAGE_A
    r = cadre.patch(PATH + "/%d" % h["id"], json={"address": "东坑村 3 巷 2 号", "lat": 22.1, "lng": 112.3})
    assert r.status_code == 200, r.text
    assert r.json()["address"] == "东坑村 3 巷 2 号" and r.json()["lat"] == 22.1
    assert any(x["id"] == h["id"] for x in list_all(cadre, PATH, {"q": h["head_name"]}))


# ---------------------------------------------------------------- reveal

def reveal_rows(server, hid):
    admin = server.session("admin")
    rows = list_all(admin, "/api/v1/audit", {"action": "household.reveal", "entity": "household"})
    return [r for r in rows if r["entity_id"] == str(hid)]


def test_reveal_is_audited_and_shows_values(server, cadre, admin_c):
    h = create(cadre)
    body = h["_body"]
    before = len(reveal_rows(server, h["id"]))
    r = cadre.get(PATH + "/%d" % h["id"], params={"reveal": 1})
    assert r.status_code == 200, r.text
    g = r.json()
    assert g["revealed"] is True and g["phone"] == body["phone"]
    assert [m["id_number"] for m in g["members"]] == [m["id_number"] for m in body["members"]]
    assert g["members"][1]["phone"] == body["members"][1]["phone"]
    rows = reveal_rows(server, h["id"])
    assert len(rows) == before + 1
    row = rows[0]
    assert row["user_id"] == cadre.user["id"]
    assert set(row["after"]["fields"]) == {"phone", "members.id_number", "members.phone"}
    dumped = json.dumps(row, ensure_ascii=False)
    assert body["phone"] not in dumped
    assert all(m["id_number"] not in dumped for m in body["members"])
    # the leader may too; the list reveals and audits each household shown
    leader = server.session("leader")
    assert leader.get(PATH + "/%d?reveal=1" % h["id"]).json()["phone"] == body["phone"]
    lst = cadre.get(PATH, params={"q": h["head_name"], "reveal": "1"}).json()["items"]
    assert [x["phone"] for x in lst] == [body["phone"]]
    assert len(reveal_rows(server, h["id"])) == before + 3
    # without reveal the list masks
    lst = cadre.get(PATH, params={"q": h["head_name"]}).json()["items"]
    assert lst[0]["phone"] != body["phone"] and "*" in lst[0]["phone"]
    problem(cadre.get(PATH + "/%d?reveal=yes" % h["id"]), 422)


def test_audit_of_changes_holds_masked_values_only(server, admin_c):
    h = create(admin_c)
    body = h["_body"]
    rows = [r for r in list_all(server.session("admin"), "/api/v1/audit", {"entity": "household"})
            if r["entity_id"] == str(h["id"])]
    assert {"household.create"} <= {r["action"] for r in rows}
    dumped = json.dumps(rows, ensure_ascii=False)
    assert body["phone"] not in dumped
    assert all(m["id_number"] not in dumped for m in body["members"])


# ---------------------------------------------------------------- filters

def ids(items):
    return {x["id"] for x in items}


def fresh_tag(admin):
    """A tag of the test's own, so that lists filtered by it hold only what
    the test made (the demo data uses the shipped ones)."""
    r = admin.post("/api/v1/tags", json={"name": unique("标")[:16]})
    assert r.status_code == 201, r.text
    return r.json()


def test_filters(server, admin_c):
    t1, t2 = fresh_tag(admin_c), fresh_tag(admin_c)
    tag, other = t1["name"], t2["name"]
    a = create(admin_c, tags=[tag, other])
    b = create(admin_c, village=VILLAGE_B, tags=[tag])
    c = create(admin_c, tags=[other])
    # by tag (name or id, repeatable or comma list; all of them by default)
    got = ids(list_all(admin_c, PATH, {"tag": tag}))
    assert got == {a["id"], b["id"]}
    assert ids(list_all(admin_c, PATH, {"tag": str(t1["id"])})) == got
    assert ids(list_all(admin_c, PATH, {"tag": "%s,%s" % (tag, other)})) == {a["id"]}
    r = admin_c.get(PATH, params=[("tag", tag), ("tag", other), ("limit", 500)])
    assert ids(r.json()["items"]) == {a["id"]}
    anyof = ids(list_all(admin_c, PATH, {"tag": "%s,%s" % (other, tag), "tag_match": "any"}))
    assert anyof == {a["id"], b["id"], c["id"]}
    problem(admin_c.get(PATH, params={"tag": tag, "tag_match": "some"}), 422)
    body = problem(admin_c.get(PATH, params={"tag": "不存在的标签"}), 422)
    assert "tag" in fields_of(body)
    # region subtree and village
    got = ids(list_all(admin_c, PATH, {"region": VILLAGE_B, "tag": tag}))
    assert b["id"] in got and a["id"] not in got
    assert ids(list_all(admin_c, PATH, {"region": TOWN, "tag": tag})) >= {a["id"], b["id"]}
    assert list_all(admin_c, PATH, {"region": "440881104999"}) == []
    # q: head name, member name, code prefix
    assert ids(list_all(admin_c, PATH, {"q": a["head_name"]})) == {a["id"]}
    wife = a["_body"]["members"][1]["name"]
    assert ids(list_all(admin_c, PATH, {"q": wife})) == {a["id"]}
    assert a["id"] in ids(list_all(admin_c, PATH, {"q": a["code"]}))
    assert list_all(admin_c, PATH, {"q": "%"}) == []  # wildcards are literal
    assert list_all(admin_c, PATH, {"q": unique("没有")}) == []
    # exact ID number and phone through the keyed hash
    idn = a["_body"]["members"][0]["id_number"]
    assert ids(list_all(admin_c, PATH, {"id_number": idn})) == {a["id"]}
    assert list_all(admin_c, PATH, {"id_number": idn[:10]}) == []
    phone = a["_body"]["phone"]
    assert ids(list_all(admin_c, PATH, {"phone": phone})) == {a["id"]}
    spaced = "+86 %s %s %s" % (phone[:3], phone[3:7], phone[7:])
    assert ids(list_all(admin_c, PATH, {"phone": spaced})) == {a["id"]}
    wife_phone = a["_body"]["members"][1]["phone"]
    assert ids(list_all(admin_c, PATH, {"phone": wife_phone})) == {a["id"]}
    assert list_all(admin_c, PATH, {"phone": phone[:7]}) == []


def test_contact_appeal_and_cadre_filters(server, admin_c):
    tag = fresh_tag(admin_c)["name"]
    now = server.clock(advance="PT1S")
    x, y, z = (create(admin_c, tags=[tag]) for _ in range(3))
    # the contacts and appeals modules keep these columns; set them here
    sql(server, "UPDATE household SET last_contact_at = strftime('%Y-%m-%dT%H:%M:%SZ', ?, '-3 days'),"
                " open_appeal_count = 2 WHERE id = ?", now, x["id"])
    sql(server, "UPDATE household SET last_contact_at = strftime('%Y-%m-%dT%H:%M:%SZ', ?, '-40 days')"
                " WHERE id = ?", now, y["id"])
    mine = {x["id"], y["id"], z["id"]}
    got = ids(list_all(admin_c, PATH, {"tag": tag, "not_contacted_days": 30})) & mine
    assert got == {y["id"], z["id"]}
    got = ids(list_all(admin_c, PATH, {"tag": tag, "not_contacted_days": 1})) & mine
    assert got == mine
    got = ids(list_all(admin_c, PATH, {"tag": tag, "not_contacted_days": 365})) & mine
    assert got == {z["id"]}
    assert ids(list_all(admin_c, PATH, {"tag": tag, "has_open_appeal": 1})) & mine == {x["id"]}
    assert ids(list_all(admin_c, PATH, {"tag": tag, "has_open_appeal": 0})) & mine == {y["id"], z["id"]}
    problem(admin_c.get(PATH, params={"not_contacted_days": "-1"}), 422)
    problem(admin_c.get(PATH, params={"not_contacted_days": "abc"}), 422)
    # the responsible cadre: the current assignment only
    cadre_id = server.user_id("cadre")
    today = now[:10]
    sql(server, "INSERT INTO household_assignment(household_id, user_id, start_date, created_at)"
                " VALUES (?, ?, ?, ?)", x["id"], cadre_id, today, now)
    sql(server, "INSERT INTO household_assignment(household_id, user_id, start_date, end_date, created_at)"
                " VALUES (?, ?, '2020-01-01', '2021-01-01', ?)", y["id"], cadre_id, now)
    assert ids(list_all(admin_c, PATH, {"tag": tag, "cadre": cadre_id})) & mine == {x["id"]}
    g = admin_c.get(PATH + "/%d" % x["id"]).json()
    assert g["responsible"]["user_id"] == cadre_id and g["responsible"]["since"] == today
    assert g["responsible"]["display_name"]
    assert admin_c.get(PATH + "/%d" % y["id"]).json()["responsible"] is None
    assert g["last_contact_at"] and g["open_appeal_count"] == 2


def test_pagination(server, admin_c):
    tag = fresh_tag(admin_c)["name"]
    made = {create(admin_c, tags=[tag])["id"] for _ in range(5)}
    page = admin_c.get(PATH, params={"tag": tag, "limit": 2}).json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    assert ids(list_all(admin_c, PATH, {"tag": tag}, limit=2)) == made
    problem(admin_c.get(PATH, params={"cursor": "!!"}), 422)


def test_counts(server, admin_c):
    tag = "退役军人"
    before = admin_c.get(PATH + "/counts").json()
    create(admin_c, tags=[tag])
    create(admin_c, village=VILLAGE_B, tags=[tag])
    after = admin_c.get(PATH + "/counts").json()
    assert after["total"] == before["total"] + 2
    t0 = {t["name"]: t["count"] for t in before["by_tag"]}
    t1 = {t["name"]: t["count"] for t in after["by_tag"]}
    assert t1[tag] == t0[tag] + 2
    v0 = {v["code"]: v["count"] for v in before["by_village"]}
    v1 = {v["code"]: v["count"] for v in after["by_village"]}
    assert v1[VILLAGE_A] == v0.get(VILLAGE_A, 0) + 1 and v1[VILLAGE_B] == v0.get(VILLAGE_B, 0) + 1
    only = admin_c.get(PATH + "/counts", params={"region": VILLAGE_B}).json()
    assert only["total"] == v1[VILLAGE_B] and [v["code"] for v in only["by_village"]] == [VILLAGE_B]


# ---------------------------------------------------------------- members and timeline

def test_members_and_timeline(server, cadre):
    h = create(cadre)
    p = PATH + "/%d" % h["id"]
    child_id = new_id("20120506")
    r = cadre.post(p + "/members", json={"name": "王小明", "relation": "儿子", "id_number": child_id})
    assert r.status_code == 201, r.text
    m = r.json()
    assert m["relation"] == "子女" and m["birth_date"] == "2012-05-06" and "*" in m["id_number"]
    mp = p + "/members/%d" % m["id"]
    # rules across the household
    body = problem(cadre.post(p + "/members", json={"name": "又一户主", "relation": "户主"}), 422)
    assert "relation" in fields_of(body)
    body = problem(cadre.post(p + "/members", json={"name": "重复", "relation": "子女", "id_number": child_id}), 422)
    assert "id_number" in fields_of(body)
    # a change
    phone = new_phone()
    r = cadre.patch(mp, json={"phone": phone, "occupation": "学生"})
    assert r.status_code == 200, r.text
    assert r.json()["occupation"] == "学生" and r.json()["phone"] == phone[:3] + "****" + phone[-4:]
    body = problem(cadre.patch(mp, json={"birth_date": "2012-05-07"}), 422)
    assert "birth_date" in fields_of(body)
    body = problem(cadre.patch(mp, json={"sex": "X"}), 422)
    assert "sex" in fields_of(body)
    # removal needs a reason, keeps the row, and ends changes
    body = problem(cadre.post(mp + "/remove", json={}), 422)
    assert "reason" in fields_of(body)
    r = cadre.post(mp + "/remove", json={"reason": "外出读书，户口迁出"})
    assert r.status_code == 200, r.text
    assert r.json()["removed_at"] and r.json()["removed_reason"] == "外出读书，户口迁出"
    problem(cadre.post(mp + "/remove", json={"reason": "again"}), 409, "household.member_removed")
    problem(cadre.patch(mp, json={"occupation": "x"}), 409, "household.member_removed")
    problem(cadre.patch(p + "/members/99999999", json={"occupation": "x"}), 404)
    g = cadre.get(p).json()
    assert g["member_count"] == 2 and len(g["members"]) == 3
    assert g["members"][-1]["id"] == m["id"] and g["members"][-1]["removed_at"]
    # the removed member is no longer found by ID number
    assert list_all(cadre, PATH, {"id_number": child_id}) == []
    # the timeline, newest first, with who did it
    tl = cadre.get(p + "/timeline").json()
    kinds = [i["kind"] for i in tl["items"]]
    assert kinds[:3] == ["member.remove", "member.update", "member.add"], kinds
    assert kinds[-1] == "household.create"
    assert all(i["source"] == "household" and i["summary"] for i in tl["items"])
    assert tl["items"][0]["user"]["id"] == cadre.user["id"]
    assert "外出读书" in tl["items"][0]["summary"]
    en = cadre.get(p + "/timeline", headers={"Accept-Language": "en"}).json()
    assert en["items"][0]["summary"].startswith("member removed")
    # paging
    first = cadre.get(p + "/timeline", params={"limit": 2}).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = cadre.get(p + "/timeline", params={"limit": 50, "cursor": first["next_cursor"]}).json()
    assert [i["kind"] for i in first["items"] + rest["items"]] == kinds
    problem(cadre.get(p + "/timeline", params={"cursor": "nonsense"}), 422)


def test_patch_household_move_and_code(server, admin_c):
    h = create(admin_c)
    p = PATH + "/%d" % h["id"]
    body = problem(admin_c.patch(p, json={"code": "CHANGED-1"}), 422)
    assert "code" in fields_of(body)
    r = admin_c.patch(p, json={"village_code": VILLAGE_B, "phone": None, "notes": "搬到石岭村"})
    assert r.status_code == 200, r.text
    g = r.json()
    assert g["village"]["code"] == VILLAGE_B and g["phone"] is None and g["notes"] == "搬到石岭村"
    assert g["code"] == h["code"]
    kinds = [i["kind"] for i in admin_c.get(p + "/timeline").json()["items"]]
    assert "household.move" in kinds and "household.update" in kinds
    # an empty or no-op patch changes nothing
    n = len(kinds)
    assert admin_c.patch(p, json={}).status_code == 200
    assert admin_c.patch(p, json={"notes": "搬到石岭村"}).status_code == 200
    assert len(admin_c.get(p + "/timeline").json()["items"]) == n
    problem(admin_c.patch(PATH + "/99999999", json={"notes": "x"}), 404)
    problem(admin_c.patch(p, data="{", headers={"Content-Type": "application/json"}), 400)


def test_group_level_households(server, admin_c, cadre):
    group = VILLAGE_A + "9" + ("%02d" % (os.getpid() % 100))
    sql(server, "INSERT OR IGNORE INTO region(code, name, level, parent_code, path, created_at)"
                " VALUES (?, '测试组', 'group', ?, ?, '2026-01-01T00:00:00Z')",
        group, VILLAGE_A, "/%s/%s/%s/" % (TOWN, VILLAGE_A, group))
    r = cadre.post(PATH, json={"group_code": group, "head_name": unique("组")})
    assert r.status_code == 201, r.text
    h = r.json()
    assert h["village"]["code"] == VILLAGE_A and h["group"] == {"code": group, "name": "测试组"}
    assert ids(list_all(cadre, PATH, {"group": group})) == {h["id"]}
    assert h["id"] in ids(list_all(cadre, PATH, {"region": VILLAGE_A, "q": h["head_name"]}))
    body = problem(cadre.post(PATH, json={"village_code": VILLAGE_B, "group_code": group, "head_name": "x"}), 422)
    assert "group_code" in fields_of(body)
    body = problem(cadre.post(PATH, json={"group_code": VILLAGE_A, "head_name": "x"}), 422)
    assert "group_code" in fields_of(body)


# ---------------------------------------------------------------- tags

def test_tags(server, admin_c, cadre):
    lst = admin_c.get("/api/v1/tags").json()
    names = [t["name"] for t in lst["items"]]
    for shipped in ("低保户", "特困供养", "脱贫户", "监测户", "留守老人", "留守儿童", "残疾人",
                    "退役军人", "独居老人", "重病患者"):
        assert shipped in names
    assert lst["next_cursor"] is None
    name = unique("标")[:15]
    r = admin_c.post("/api/v1/tags", json={"name": name, "name_en": "test tag"})
    assert r.status_code == 201, r.text
    t = r.json()
    assert r.headers["Location"].endswith("/api/v1/tags/%d" % t["id"])
    problem(admin_c.post("/api/v1/tags", json={"name": name}), 409, "tag.exists")
    body = problem(admin_c.post("/api/v1/tags", json={"name": ""}), 422)
    assert "name" in fields_of(body)
    problem(server.session("leader").post("/api/v1/tags", json={"name": unique("标")[:16]}), 403)
    problem(cadre.patch("/api/v1/tags/%d" % t["id"], json={"retired": True}), 403)
    # a household carries it; PUT replaces the whole list
    h = create(cadre, tags=[name])
    p = PATH + "/%d/tags" % h["id"]
    r = cadre.put(p, json={"tags": [name, "残疾人"]})
    assert r.status_code == 200, r.text
    assert r.json()["tags"] == ["残疾人", name]  # in the tag list's order
    # retired: stays on the household, cannot be given to another
    r = admin_c.patch("/api/v1/tags/%d" % t["id"], json={"retired": True, "name": name + "旧"})
    assert r.status_code == 200 and r.json()["retired"] is True
    new_name = r.json()["name"]
    assert new_name not in [x["name"] for x in admin_c.get("/api/v1/tags").json()["items"]]
    assert new_name in [x["name"] for x in admin_c.get("/api/v1/tags?include_retired=1").json()["items"]]
    assert new_name in cadre.get(PATH + "/%d" % h["id"]).json()["tags"]
    assert cadre.put(p, json={"tags": [new_name]}).status_code == 200
    body = problem(create(cadre, tags=[new_name], expect=422), 422)
    assert "tags" in fields_of(body)
    r = cadre.put(p, json={"tags": []})
    assert r.status_code == 200 and r.json()["tags"] == []
    body = problem(cadre.put(p, json={"tags": [new_name]}), 422)
    assert "tags" in fields_of(body)
    problem(cadre.put(p, json={}), 422)
    kinds = [i["kind"] for i in cadre.get(PATH + "/%d/timeline" % h["id"]).json()["items"]]
    assert kinds.count("tags.update") == 3


# ---------------------------------------------------------------- key file and rotation

def test_key_file_is_private(server):
    st = os.stat(server.db + ".key")
    assert stat.S_IMODE(st.st_mode) == 0o600
    with open(server.db + ".key") as f:
        text = f.read()
    assert len(text) == 65 and text.endswith("\n") and int(text[:64], 16) >= 0


def test_rotate_key_keeps_data_readable_and_searchable(request):
    s = start_server(request, name="rotate")
    admin = s.token_client("admin")
    made = [create(admin) for _ in range(3)]
    # not while the server holds the key
    p = run_cli("rotate-key", "--db", s.db)
    assert p.returncode != 0 and "stop" in p.stderr, (p.stdout, p.stderr)
    with open(s.db + ".key") as f:
        old = f.read()
    s.stop()
    p = run_cli("rotate-key", "--db", s.db)
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert "re-encrypted" in p.stdout
    with open(s.db + ".key") as f:
        assert f.read() != old
    assert stat.S_IMODE(os.stat(s.db + ".key").st_mode) == 0o600
    assert not os.path.exists(s.db + ".key.new") and not os.path.exists(s.db + ".key.old")
    s.start()
    admin = s.login("admin")
    for h in made:
        g = admin.get(PATH + "/%d?reveal=1" % h["id"]).json()
        assert g["phone"] == h["_body"]["phone"]
        assert [m["id_number"] for m in g["members"]] == [m["id_number"] for m in h["_body"]["members"]]
        assert ids(list_all(admin, PATH, {"phone": h["_body"]["phone"]})) == {h["id"]}
        assert ids(list_all(admin, PATH, {"id_number": h["_body"]["members"][1]["id_number"]})) == {h["id"]}
    rows = list_all(admin, "/api/v1/audit", {"action": "pii.rotate_key"})
    assert len(rows) == 1


def test_serve_refuses_wrong_or_open_key(request):
    s = start_server(request, name="keyrules")
    create(s.token_client("admin"))
    s.stop()
    key = s.db + ".key"
    os.chmod(key, 0o644)
    try:
        p = subprocess.run([BIN, "serve", "--db", s.db, "--listen", "127.0.0.1:%d" % free_port()],
                           capture_output=True, text=True, timeout=30)
        assert p.returncode != 0 and "chmod 600" in p.stderr, p.stderr
    finally:
        os.chmod(key, 0o600)
    os.rename(key, key + ".saved")
    try:
        p = subprocess.run([BIN, "serve", "--db", s.db, "--listen", "127.0.0.1:%d" % free_port()],
                           capture_output=True, text=True, timeout=30)
        assert p.returncode != 0 and "does not exist" in p.stderr, p.stderr
        assert not os.path.exists(key)  # not made up for a database holding personal data
    finally:
        os.rename(key + ".saved", key)
    s.start()
    assert s.login("admin").get(PATH).status_code == 200
