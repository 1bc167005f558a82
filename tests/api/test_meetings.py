"""Analysis meetings (分析研判): the agenda drawn from the village's open appeals
and undecided contact issues, the minutes' decisions (solve_village, appeal
through the issue conversion or a link, close with a reason) each linked to
what it produced, finalisation (then 409), bad input, scope 404, viewer 403,
a cadre off the team 403, audit rows."""
import pytest

from conftest import VILLAGE_A, VILLAGE_B, list_all, problem, ready_user, unique
# the issue tests' helpers and client fixtures serve here too
from test_issues import cadre, leader, now, shift, sql, viewer  # noqa: F401

PATH = "/api/v1/meetings"


def raise_issues(server, client, texts, village=VILLAGE_A):
    r = client.post("/api/v1/contacts", json={
        "method": "reception_day", "started_at": shift(now(server), minutes=-30), "duration_min": 30,
        "village_code": village, "summary": "驻点日来访", "issues": texts})
    assert r.status_code == 201, r.text
    return [i["id"] for i in client.get("/api/v1/contacts/%d" % r.json()["id"]).json()["issues"]]


def new_meeting(server, client, village=VILLAGE_A, **kw):
    b = {"village_code": village, "held_at": now(server), "place": "村委会会议室", "title": "第一次研判会",
         "attendees": [client.user["id"]]}
    b.update(kw)
    r = client.post(PATH, json=b)
    assert r.status_code == 201, r.text
    return r.json()


def item_of(m, **kw):
    return [i for i in m["items"] if all(i[k] == v for k, v in kw.items())]


def decide(client, m, item, expect=200, **b):
    r = client.post("%s/%d/items/%d/decision" % (PATH, m["id"], item["id"]), json=b)
    assert r.status_code == expect, r.text
    return r.json()


def test_full_meeting(server, cadre, leader):
    a, b, c = raise_issues(server, cadre, [unique("村道坑洼"), unique("水沟堵塞"), unique("咨询医保")])
    appeal = sql(server, "SELECT id FROM appeal WHERE village_code = ? AND state NOT IN ('rejected', 'resolved',"
                         " 'closed') ORDER BY id LIMIT 1", VILLAGE_A)
    # the agenda shown before the meeting is the one the meeting gets
    preview = cadre.get(PATH + "/agenda", params={"village": VILLAGE_A})
    assert preview.status_code == 200, preview.text
    m = new_meeting(server, cadre, attendees=[cadre.user["id"], leader.user["id"]])
    assert m["state"] == "draft" and m["village"]["code"] == VILLAGE_A and m["place"] == "村委会会议室"
    assert {p["id"] for p in m["attendees"]} == {cadre.user["id"], leader.user["id"]}
    assert [(i["kind"], i["appeal_id"], i["contact_issue_id"]) for i in m["items"]] == \
        [(i["kind"], i["appeal_id"], i["contact_issue_id"]) for i in preview.json()["items"]]
    assert [i["seq"] for i in m["items"]] == list(range(1, len(m["items"]) + 1))
    issue_ids = [i["contact_issue_id"] for i in m["items"] if i["kind"] == "issue"]
    assert {a, b, c} <= set(issue_ids)
    if appeal:
        assert item_of(m, kind="appeal", appeal_id=appeal[0][0])
    assert all(i["decision"] is None for i in m["items"])
    # solve at village level: who and by when; may be changed while a draft
    ia, ib, ic = (item_of(m, contact_issue_id=x)[0] for x in (a, b, c))
    m2 = decide(cadre, m, ia, decision="solve_village", owner_user_id=cadre.user["id"], due_date="2026-12-31",
                note="村里组织修补")
    got = item_of(m2, id=ia["id"])[0]
    assert got["decision"] == "solve_village" and got["owner"]["id"] == cadre.user["id"]
    assert got["due_date"] == "2026-12-31" and got["decided_by"]["id"] == cadre.user["id"]
    decide(cadre, m, ia, decision="solve_village", owner_user_id=leader.user["id"], due_date="2026-12-20")
    # send up: the issue becomes an appeal by the same conversion
    m3 = decide(cadre, m, ib, decision="appeal", category_id=3, urgency="general")
    got = item_of(m3, id=ib["id"])[0]
    aid = got["result_appeal_id"]
    assert got["decision"] == "appeal" and aid and got["result_appeal"]["state"] == "submitted"
    assert got["source"]["status"] == "converted" and got["source"]["appeal_id"] == aid
    ap = cadre.get("/api/v1/appeals/%d" % aid).json()
    assert ap["contact_issue_id"] == b and ap["channel"] == "contact" and ap["village"]["code"] == VILLAGE_A
    assert sql(server, "SELECT status, appeal_id FROM contact_issue WHERE id = ?", b) == [("converted", aid)]
    # a decision that produced something does not change
    problem(cadre.post("%s/%d/items/%d/decision" % (PATH, m["id"], ib["id"]),
                       json={"decision": "close", "reason": "x"}), 409, "meeting.item_decided")
    # close with a reason closes the issue
    m4 = decide(cadre, m, ic, decision="close", reason="当场答复，无需办理")
    got = item_of(m4, id=ic["id"])[0]
    assert got["closed_issue_id"] == c and got["reason"] == "当场答复，无需办理"
    assert sql(server, "SELECT status, close_reason FROM contact_issue WHERE id = ?", c) == \
        [("closed", "当场答复，无需办理")]
    # an existing appeal sent up is linked as it is
    if appeal:
        it = item_of(m, kind="appeal", appeal_id=appeal[0][0])[0]
        got = item_of(decide(cadre, m, it, decision="appeal"), id=it["id"])[0]
        assert got["result_appeal_id"] == appeal[0][0]
    # the leader adds a free item and sends it up as an appeal of the village
    r = leader.post("%s/%d/items" % (PATH, m["id"]), json={"text": "村小学门口缺少减速带"})
    assert r.status_code == 201, r.text
    free = r.json()["items"][-1]
    assert free["kind"] == "free" and free["seq"] == len(m["items"]) + 1
    got = item_of(decide(leader, m, free, decision="appeal", category_id=1), id=free["id"])[0]
    fa = leader.get("/api/v1/appeals/%d" % got["result_appeal_id"]).json()
    assert fa["title"] == "村小学门口缺少减速带" and fa["contact_issue_id"] is None and fa["channel"] == "contact"
    # the team's cadre may not add free items
    problem(cadre.post("%s/%d/items" % (PATH, m["id"]), json={"text": "x"}), 403, "meeting.leader_only")
    # finalise: the minutes are locked
    r = cadre.post("%s/%d/finalise" % (PATH, m["id"]), json={})
    assert r.status_code == 200, r.text
    fin = r.json()
    assert fin["state"] == "final" and fin["finalised_by"]["id"] == cadre.user["id"] and fin["finalised_at"]
    for method, path, body in (
            ("post", "%s/%d/finalise" % (PATH, m["id"]), {}),
            ("post", "%s/%d/items" % (PATH, m["id"]), {"text": "x"}),
            ("patch", "%s/%d" % (PATH, m["id"]), {"place": "x"}),
            ("post", "%s/%d/items/%d/decision" % (PATH, m["id"], ia["id"]),
             {"decision": "close", "reason": "x"})):
        problem(getattr(leader, method)(path, json=body), 409, "meeting.finalised")
    # decided issues are not drawn again; listed by village, newest first
    nxt = cadre.get(PATH + "/agenda", params={"village": VILLAGE_A}).json()
    drawn = {i["contact_issue_id"] for i in nxt["items"]}
    assert not drawn & {a, b, c}
    ms = list_all(cadre, PATH, {"village": VILLAGE_A})
    assert ms[0]["id"] == m["id"] and ms[0]["decided_count"] >= 4 and "items" not in ms[0]
    acts = dict(sql(server, "SELECT action, COUNT(*) FROM audit_log WHERE action LIKE 'meeting.%' GROUP BY 1"))
    assert acts["meeting.create"] >= 1 and acts["meeting.decide"] >= 4 and acts["meeting.finalise"] >= 1
    assert acts["meeting.item_add"] >= 1


def test_converting_an_issue_twice(server, cadre):
    (a,) = raise_issues(server, cadre, [unique("路灯不亮")])
    m = new_meeting(server, cadre)
    it = item_of(m, contact_issue_id=a)[0]
    # converted elsewhere first (the contact page), then decided in the meeting: 409 naming the appeal
    r = cadre.post("/api/v1/contacts/%d/issues/%d/appeal" % (
        sql(server, "SELECT contact_id FROM contact_issue WHERE id = ?", a)[0][0], a), json={"category_id": 1})
    assert r.status_code == 201, r.text
    p = problem(cadre.post("%s/%d/items/%d/decision" % (PATH, m["id"], it["id"]),
                           json={"decision": "appeal", "category_id": 1}), 409, "contact_issue.converted")
    assert p["appeal_id"] == r.json()["appeal"]["id"]
    assert sql(server, "SELECT decision FROM meeting_item WHERE id = ?", it["id"]) == [(None,)]


def test_close_of_an_open_appeal_is_left_to_the_workflow(server, cadre, leader):
    r = cadre.post("/api/v1/appeals", json={"village_code": VILLAGE_A, "category_id": 1, "title": "路面破损",
                                            "description": "村道破损"})
    assert r.status_code == 201, r.text
    m = new_meeting(server, cadre)
    it = item_of(m, kind="appeal", appeal_id=r.json()["id"])[0]
    problem(cadre.post("%s/%d/items/%d/decision" % (PATH, m["id"], it["id"]),
                       json={"decision": "close", "reason": "x"}), 409, "appeal.illegal_transition")


@pytest.mark.parametrize("b, fields", [
    ({}, {"village_code", "held_at", "attendees"}),
    ({"village_code": "440881104299"}, {"village_code"}),
    ({"held_at": "yesterday"}, {"held_at"}),
    ({"attendees": []}, {"attendees"}),
    ({"attendees": [99999999]}, {"attendees[0]"}),
    ({"attendees": "1"}, {"attendees"}),
    ({"place": ""}, {"place"}),
    ({"title": "x" * 101}, {"title"}),
])
def test_create_bad_input(server, cadre, b, fields):
    full = {"village_code": VILLAGE_A, "held_at": now(server), "attendees": [cadre.user["id"]]}
    body = dict(full, **b) if b else {}
    p = problem(cadre.post(PATH, json=body), 422)
    assert {e["field"] for e in p["errors"]} == fields, p


@pytest.mark.parametrize("b, field", [
    ({}, "decision"),
    ({"decision": "later"}, "decision"),
    ({"decision": "solve_village"}, "owner_user_id"),
    ({"decision": "solve_village", "owner_user_id": 1, "due_date": "31/12"}, "due_date"),
    ({"decision": "close"}, "reason"),
    ({"decision": "appeal"}, "category_id"),
])
def test_decision_bad_input(server, cadre, b, field):
    raise_issues(server, cadre, [unique("问题")])
    m = new_meeting(server, cadre)
    it = [i for i in m["items"] if i["kind"] == "issue"][-1]
    p = problem(cadre.post("%s/%d/items/%d/decision" % (PATH, m["id"], it["id"]), json=b), 422)
    assert field in [e["field"] for e in p["errors"]], p
    problem(cadre.post("%s/%d/items/%d/decision" % (PATH, m["id"], 99999999), json={}), 404)


def test_owner_must_be_able_to_act_in_the_village(server, cadre, viewer):
    """Who solves an item in the village: an active cadre whose scope holds
    it, not a viewer (nor a cadre of another village)."""
    raise_issues(server, cadre, [unique("问题")])
    m = new_meeting(server, cadre)
    it = [i for i in m["items"] if i["kind"] == "issue"][-1]
    body = {"decision": "solve_village", "owner_user_id": viewer.user["id"], "due_date": "2026-12-31"}
    p = problem(cadre.post("%s/%d/items/%d/decision" % (PATH, m["id"], it["id"]), json=body), 422)
    assert [e["field"] for e in p["errors"]] == ["owner_user_id"], p


def test_patch_a_draft(server, cadre, leader):
    m = new_meeting(server, cadre)
    r = cadre.patch("%s/%d" % (PATH, m["id"]), json={"place": "党群服务中心", "attendees": [leader.user["id"]]})
    assert r.status_code == 200, r.text
    assert r.json()["place"] == "党群服务中心" and [p["id"] for p in r.json()["attendees"]] == [leader.user["id"]]
    problem(cadre.patch("%s/%d" % (PATH, m["id"]), json={"held_at": "x"}), 422)


def test_viewer_reads_only(server, cadre, viewer):
    m = new_meeting(server, cadre)
    assert viewer.get("%s/%d" % (PATH, m["id"])).status_code == 200
    assert viewer.get(PATH + "/agenda", params={"village": VILLAGE_A}).status_code == 200
    problem(viewer.post(PATH, json={"village_code": VILLAGE_A, "held_at": now(server), "attendees": [1]}), 403)
    problem(viewer.post("%s/%d/finalise" % (PATH, m["id"]), json={}), 403)
    problem(viewer.patch("%s/%d" % (PATH, m["id"]), json={"place": "x"}), 403)


def test_scope_and_team(server, cadre, admin):
    m = new_meeting(server, cadre)
    b, _, _ = ready_user(server, admin, role="cadre", scope=VILLAGE_B)
    problem(b.get("%s/%d" % (PATH, m["id"])), 404)
    problem(b.post("%s/%d/finalise" % (PATH, m["id"]), json={}), 404)
    problem(b.get(PATH + "/agenda", params={"village": VILLAGE_A}), 404)
    assert [x for x in list_all(b, PATH) if x["village"]["code"] != VILLAGE_B] == []
    p = problem(b.post(PATH, json={"village_code": VILLAGE_A, "held_at": now(server), "attendees": [b.user["id"]]}),
                422)
    assert [e["field"] for e in p["errors"]] == ["village_code"]
    # a cadre in scope of village B but not on its team may not record its meetings
    problem(b.post(PATH, json={"village_code": VILLAGE_B, "held_at": now(server), "attendees": [b.user["id"]]}),
            403, "meeting.not_on_team")
    problem(b.get(PATH + "/agenda"), 422)
