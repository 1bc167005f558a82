"""
The people's-condition diary (民情日记): create with the village derived from
the links or the author's station, validation, who reads what (a cadre only
their own, leaders and viewers in scope, 404 outside it), the 24-hour edit
window (409 after it), filters and cursor pagination, and an audit row
without the text.
"""
import json

import pytest

from conftest import TOWN, VILLAGE_A, VILLAGE_B, list_all, problem, ready_user

NOW = "2026-11-21T02:00:00Z"  # 10:00 in Asia/Shanghai
TODAY = "2026-11-21"


@pytest.fixture(scope="module")
def s(server):
    server.clock(now=NOW)
    return server


def entry(client, expect=201, **body):
    body.setdefault("date", TODAY)
    body.setdefault("text", "走访后记：群众反映村道路灯坏了。")
    r = client.post("/api/v1/diary", json=body)
    assert r.status_code == expect, (r.status_code, r.text)
    return r.json() if expect == 201 else r


def fields(r):
    return {e["field"] for e in problem(r, 422)["errors"]}


def a_contact(client, village):
    """One contact of the village with at least one household."""
    r = client.get("/api/v1/contacts", params={"region": village, "limit": 50})
    assert r.status_code == 200, r.text
    for k in r.json()["items"]:
        if k["households"]:
            return k
    raise AssertionError("no contact with a household in %s" % village)


def test_cadre_writes_an_entry_at_their_station_village(s):
    cadre = s.session("cadre")
    r = cadre.post("/api/v1/diary", json={"date": TODAY, "text": "今天在村委会值班。\n来咨询医保的人多。",
                                         "tags": ["民生", "建议", "民生"]})
    assert r.status_code == 201, r.text
    e = r.json()
    assert r.headers["Location"] == "/api/v1/diary/%d" % e["id"]
    assert e["village"]["code"] == VILLAGE_A and e["village"]["name"]
    assert e["author"]["id"] == cadre.user["id"]
    assert e["date"] == TODAY and e["text"].endswith("来咨询医保的人多。")
    assert e["tags"] == ["民生", "建议"]  # duplicates dropped, order kept
    assert e["contacts"] == [] and e["households"] == []
    assert e["editable"] is True and e["editable_until"].endswith("+08:00")
    assert cadre.get(r.headers["Location"]).json() == e


def test_links_to_contacts_and_households_set_the_village(s):
    cadre = s.session("cadre")
    k = a_contact(cadre, VILLAGE_A)
    hh = k["households"][0]["id"]
    e = entry(cadre, contacts=[k["id"], k["id"]], households=[hh])
    assert [c["id"] for c in e["contacts"]] == [k["id"]]
    assert e["contacts"][0]["method"] == k["method"]
    assert [h["id"] for h in e["households"]] == [hh] and e["households"][0]["head_name"]
    assert e["village"]["code"] == VILLAGE_A
    # the household filter finds it
    got = list_all(cadre, "/api/v1/diary", {"household": hh})
    assert e["id"] in [i["id"] for i in got]


def test_links_outside_scope_or_across_villages_are_refused(s):
    cadre, leader = s.session("cadre"), s.session("leader")
    kb = a_contact(leader, VILLAGE_B)
    ka = a_contact(leader, VILLAGE_A)
    # the cadre's scope is village A: B's records do not exist for them
    assert "households[0]" in fields(entry(cadre, expect=422, households=[kb["households"][0]["id"]]))
    assert "contacts[0]" in fields(entry(cadre, expect=422, contacts=[kb["id"]]))
    assert "contacts[0]" in fields(entry(cadre, expect=422, contacts=[999999999]))
    # a leader sees both, but an entry belongs to one village
    f = fields(entry(leader, expect=422, contacts=[ka["id"]], households=[kb["households"][0]["id"]]))
    assert "households[0]" in f
    f = fields(entry(leader, expect=422, contacts=[ka["id"]], village_code=VILLAGE_B))
    assert "village_code" in f
    # village_code must be a village in scope
    assert "village_code" in fields(entry(leader, expect=422, village_code=TOWN))
    assert "village_code" in fields(entry(cadre, expect=422, village_code=VILLAGE_B))


def test_a_leader_linking_two_villages_names_the_village(s):
    leader = s.session("leader")
    r = entry(leader, expect=422)
    assert "village_code" in fields(r)
    e = entry(leader, village_code=VILLAGE_B, text="到石岭村驻点，听取村两委汇报。")
    assert e["village"]["code"] == VILLAGE_B


@pytest.mark.parametrize("body, field", [
    ({"text": ""}, "text"),
    ({"text": "   \n "}, "text"),
    ({"text": "字" * 4001}, "text"),
    ({"text": "bell\u0007"}, "text"),
    ({"date": "2026-11-22"}, "date"),          # tomorrow
    ({"date": "2025-11-01"}, "date"),          # more than a year back
    ({"date": "2026-02-30"}, "date"),
    ({"date": "21/11/2026"}, "date"),
    ({"tags": ["a"] * 9}, "tags"),
    ({"tags": ["这个标签实在是太长了超过了十六个字的限制"]}, "tags[0]"),
    ({"tags": "民生"}, "tags"),
    ({"contacts": [0]}, "contacts[0]"),
    ({"households": "1"}, "households"),
    ({"mood": "good"}, "mood"),
])
def test_bad_input_names_the_field(s, body, field):
    assert field in fields(entry(s.session("cadre"), expect=422, **body))


def test_missing_fields_and_bad_json(s):
    cadre = s.session("cadre")
    f = fields(cadre.post("/api/v1/diary", json={}))
    assert {"date", "text"} <= f
    r = cadre.post("/api/v1/diary", data="[1]", headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.text


def test_longest_text_with_line_breaks_is_kept(s):
    text = ("第一行\n" + "字" * 3996)[:4000]
    e = entry(s.session("cadre"), text=text)
    assert e["text"] == text


def test_who_reads_what(s, admin):
    cadre, leader, viewer = s.session("cadre"), s.session("leader"), s.session("viewer")
    mine = entry(cadre, text="只有作者和领导能看。")
    theirs = entry(leader, village_code=VILLAGE_A, text="镇领导的驻点记录。")
    # the cadre: own entries only; another's is 404, naming another author 403
    ids = [i["id"] for i in list_all(cadre, "/api/v1/diary")]
    assert mine["id"] in ids and theirs["id"] not in ids
    ids = [i["id"] for i in list_all(cadre, "/api/v1/diary", {"village": VILLAGE_A, "mine": 0})]
    assert theirs["id"] not in ids
    problem(cadre.get("/api/v1/diary/%d" % theirs["id"]), 404)
    problem(cadre.get("/api/v1/diary", params={"user_id": leader.user["id"]}), 403)
    # the leader: own by default; others by user_id, village or mine=0
    ids = [i["id"] for i in list_all(leader, "/api/v1/diary")]
    assert theirs["id"] in ids and mine["id"] not in ids
    for params in ({"user_id": cadre.user["id"]}, {"village": VILLAGE_A}, {"mine": 0}):
        assert mine["id"] in [i["id"] for i in list_all(leader, "/api/v1/diary", params)], params
    assert leader.get("/api/v1/diary/%d" % mine["id"]).json()["editable"] is False
    # the viewer reads in scope and writes nothing
    assert viewer.get("/api/v1/diary/%d" % mine["id"]).status_code == 200
    assert mine["id"] in [i["id"] for i in list_all(viewer, "/api/v1/diary", {"mine": 0})]
    problem(viewer.post("/api/v1/diary", json={"date": TODAY, "text": "x", "village_code": VILLAGE_A}), 403)
    problem(viewer.patch("/api/v1/diary/%d" % mine["id"], json={"text": "x"}), 403)
    # a leader of village B only: village A's entries do not exist
    lb, _, _ = ready_user(s, admin, role="leader", scope=VILLAGE_B)
    problem(lb.get("/api/v1/diary/%d" % mine["id"]), 404)
    assert mine["id"] not in [i["id"] for i in list_all(lb, "/api/v1/diary", {"mine": 0})]
    problem(lb.patch("/api/v1/diary/%d" % mine["id"], json={"text": "x"}), 404)
    problem(cadre.get("/api/v1/diary/999999999"), 404)


def test_edit_window(s):
    cadre, leader = s.session("cadre"), s.session("leader")
    e = entry(cadre, text="初稿", tags=["民生"])
    k = a_contact(cadre, VILLAGE_A)
    r = cadre.patch("/api/v1/diary/%d" % e["id"], json={"text": "改稿", "contacts": [k["id"]], "tags": []})
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["text"] == "改稿" and got["tags"] == [] and [c["id"] for c in got["contacts"]] == [k["id"]]
    assert got["date"] == e["date"] and got["village"] == e["village"]
    assert "text" in fields(cadre.patch("/api/v1/diary/%d" % e["id"], json={"text": ""}))
    assert "nope" in fields(cadre.patch("/api/v1/diary/%d" % e["id"], json={"nope": 1}))
    # a leader may read it but not change it
    problem(leader.patch("/api/v1/diary/%d" % e["id"], json={"text": "领导改"}), 403)
    # 24 hours later the entry stays as written
    s.clock(advance="PT23H59M")
    cadre = s.session("cadre")
    assert cadre.patch("/api/v1/diary/%d" % e["id"], json={"text": "最后一改"}).status_code == 200
    s.clock(advance="PT2M")
    cadre = s.session("cadre")
    body = problem(cadre.patch("/api/v1/diary/%d" % e["id"], json={"text": "太晚了"}), 409)
    assert "24" in body["detail"]
    assert cadre.get("/api/v1/diary/%d" % e["id"]).json()["text"] == "最后一改"
    assert cadre.get("/api/v1/diary/%d" % e["id"]).json()["editable"] is False
    s.clock(now=NOW)


def test_filters_and_pagination(s):
    cadre = s.session("cadre")
    made = [entry(cadre, date="2026-10-%02d" % d, text="十月第%d篇" % d, tags=["分页"]) for d in (3, 5, 5, 9)]
    got = list_all(cadre, "/api/v1/diary", {"tag": "分页"}, limit=2)
    assert [i["id"] for i in got] == [made[3]["id"], made[2]["id"], made[1]["id"], made[0]["id"]]
    r = cadre.get("/api/v1/diary", params={"tag": "分页", "limit": 3})
    assert len(r.json()["items"]) == 3 and r.json()["next_cursor"]
    got = list_all(cadre, "/api/v1/diary", {"month": "2026-10", "tag": "分页"})
    assert len(got) == 4
    got = list_all(cadre, "/api/v1/diary", {"from": "2026-10-05", "to": "2026-10-09", "tag": "分页"})
    assert {i["id"] for i in got} == {made[1]["id"], made[2]["id"]}
    assert list_all(cadre, "/api/v1/diary", {"month": "2026-09", "tag": "分页"}) == []
    # the home page's call: the last few of mine
    r = cadre.get("/api/v1/diary", params={"mine": 1, "limit": 3})
    assert r.status_code == 200 and len(r.json()["items"]) == 3
    for bad in ({"month": "2026-13"}, {"month": "2026-1"}, {"from": "yesterday"}, {"to": "2026-10-32"},
                {"mine": "maybe"}, {"user_id": "x"}, {"limit": 0}):
        problem(cadre.get("/api/v1/diary", params=bad), 422)


def test_audited_without_the_text(s, admin):
    cadre = s.session("cadre")
    secret = "这段文字不应出现在审计日志里"
    e = entry(cadre, text=secret)
    rows = [i for i in list_all(admin, "/api/v1/audit", {}, limit=500)
            if i["entity"] == "diary_entry" and str(i["entity_id"]) == str(e["id"])]
    assert [r["action"] for r in rows] == ["diary.create"]
    after = rows[0]["after"]
    after = json.loads(after) if isinstance(after, str) else after
    assert after["text_chars"] == len(secret) and after["village_code"] == VILLAGE_A
    assert secret not in json.dumps(rows, ensure_ascii=False)


def test_household_timeline_shows_the_diary_to_who_may_read_it(s, admin):
    """An entry linked to a household is on that household's timeline: for
    its author and the leaders, never for another cadre of the village."""
    cadre, leader = s.session("cadre"), s.session("leader")
    k = a_contact(cadre, VILLAGE_A)
    hh = k["households"][0]["id"]
    e = entry(cadre, households=[hh], text="到户看了漏雨的屋顶，已联系村委维修。")
    path = "/api/v1/households/%d/timeline" % hh

    def diary_ids(client):
        items = list_all(client, path, limit=200)
        return [i["data"]["diary_id"] for i in items if i["source"] == "diary"]

    mine = [i for i in list_all(cadre, path, limit=200) if i["source"] == "diary" and i["data"]["diary_id"] == e["id"]]
    assert len(mine) == 1 and mine[0]["kind"] == "diary.entry" and "漏雨" in mine[0]["summary"]
    assert e["id"] in diary_ids(leader)
    other, _, _ = ready_user(s, admin, role="cadre", scope=VILLAGE_A)
    assert other.get(path).status_code == 200
    assert e["id"] not in diary_ids(other)
