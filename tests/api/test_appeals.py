"""
Appeals over HTTP: the whole path from a cadre's submission to a confirmed
solution with reopening, transfer, merge and escalation driven by the test
clock; idempotent submission; scope (404 outside); roles (viewer 403, 409
and 403 problems listing the allowed actions); accountability (a cadre works
only on appeals assigned to them or their department); categories and the
calendar.
"""
from conftest import VILLAGE_A, VILLAGE_B, problem, ready_user, unique

MONDAY = "2026-03-02T09:00:00+08:00"


def household_in(client, village):
    r = client.get("/api/v1/households", params={"region": village, "limit": 1})
    assert r.status_code == 200, r.text
    return r.json()["items"][0]


def department_id(admin):
    r = admin.get("/api/v1/departments", params={"limit": 5})
    assert r.status_code == 200, r.text
    return [d["id"] for d in r.json()["items"]]


def submit(client, **kw):
    body = {"village_code": VILLAGE_A, "category_id": 3, "title": "村口垃圾未清运",
            "description": "垃圾堆放三天无人清理", "channel": "phone"}
    body.update(kw)
    headers = {"Idempotency-Key": unique("ap-")}
    r = client.post("/api/v1/appeals", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def act(client, aid, action, expect=200, **kw):
    r = client.post("/api/v1/appeals/%d/actions" % aid, json=dict(action=action, **kw))
    assert r.status_code == expect, (action, r.status_code, r.text)
    return r.json()


def test_submission_idempotent_scoped_and_masked(server, admin):
    server.clock(now=MONDAY)
    cadre = server.session("cadre")
    hh = household_in(cadre, VILLAGE_A)
    before = cadre.get("/api/v1/households/%d" % hh["id"]).json()["open_appeal_count"]
    body = {"village_code": VILLAGE_A, "category_id": 3, "title": "路灯不亮", "description": "村口路灯坏了一周",
            "household_id": hh["id"], "submitter_name": "张大山", "submitter_phone": "13800138000"}
    key = {"Idempotency-Key": unique("idem-")}
    r1 = cadre.post("/api/v1/appeals", json=body, headers=key)
    assert r1.status_code == 201, r1.text
    r2 = cadre.post("/api/v1/appeals", json=body, headers=key)
    assert r2.status_code == 201 and r2.json()["id"] == r1.json()["id"]
    a = r1.json()
    assert r1.headers["Location"] == "/api/v1/appeals/%d" % a["id"]
    code = a["receipt_code"]
    assert len(code) == 12 and not set(code) & set("01OIL")
    assert a["state"] == "submitted" and a["channel"] == "cadre"
    assert a["accept_due_at"] == "2026-03-02T11:00:00+08:00"  # 2 working hours
    assert a["submitter"] == {"name": "张**", "phone": "138****8000"}
    assert cadre.get("/api/v1/households/%d" % hh["id"]).json()["open_appeal_count"] == before + 1
    # household timeline shows the appeal
    tl = cadre.get("/api/v1/households/%d/timeline" % hh["id"]).json()["items"]
    assert any(i.get("source") == "appeal" for i in tl), tl
    # bad input
    r = cadre.post("/api/v1/appeals", json={"village_code": VILLAGE_A, "title": "", "urgency": "x"})
    body = problem(r, 422, "request.invalid")
    assert {e["field"] for e in body["errors"]} >= {"title", "urgency", "category_id"}
    # another village's cadre: 404 for the appeal, absent from lists, cannot submit there
    other, _, _ = ready_user(server, admin, role="cadre", scope=VILLAGE_B)
    problem(other.get("/api/v1/appeals/%d" % a["id"]), 404)
    problem(other.get("/api/v1/appeals/%d/events" % a["id"]), 404)
    problem(other.post("/api/v1/appeals/%d/actions" % a["id"], json={"action": "accept"}), 404)
    ids = [x["id"] for x in other.get("/api/v1/appeals", params={"limit": 500}).json()["items"]]
    assert a["id"] not in ids
    problem(other.post("/api/v1/appeals", json=dict(body, village_code=VILLAGE_A, title="t", description="d",
                                                   category_id=3, urgency="general")), 422)
    # a viewer reads but may not act
    viewer = server.session("viewer")
    assert viewer.get("/api/v1/appeals/%d" % a["id"]).status_code == 200
    problem(viewer.post("/api/v1/appeals/%d/actions" % a["id"], json={"action": "accept"}), 403)
    problem(viewer.post("/api/v1/appeals", json=body), 403)


def test_whole_path_with_reopen_and_transfer(server, admin):
    server.clock(now=MONDAY)
    cadre = server.session("cadre")
    me = cadre.user["id"]
    a = submit(cadre)
    aid = a["id"]
    # illegal for the state: 409 with the allowed actions
    body = problem(cadre.post("/api/v1/appeals/%d/actions" % aid, json={"action": "resolve", "resolution": "x"}),
                   409, "appeal.illegal_transition")
    assert body["allowed_actions"] == ["accept", "reject", "transfer", "merge_into", "comment"]
    # a supervisor's action for a cadre: 403 with the allowed ones
    body = problem(cadre.post("/api/v1/appeals/%d/actions" % aid, json={"action": "escalate", "reason": "r"}),
                   403, "appeal.action_forbidden")
    assert "escalate" not in body["allowed_actions"] and "accept" in body["allowed_actions"]
    problem(cadre.post("/api/v1/appeals/%d/actions" % aid, json={"action": "reject"}), 422)
    a = act(cadre, aid, "accept")
    assert a["state"] == "accepted" and a["due_at"] == "2026-03-11T09:00:00+08:00"
    a = act(cadre, aid, "assign", user_id=me)
    assert a["state"] == "assigned" and a["assignee"]["id"] == me
    dept = department_id(admin)[-1]
    a = act(cadre, aid, "transfer", department_id=dept, reason="属综治办职责")
    assert a["state"] == "accepted" and a["department"]["id"] == dept and a["assignee"] is None
    # now the department's: the cadre, not a member of it, may only comment
    body = problem(cadre.post("/api/v1/appeals/%d/actions" % aid, json={"action": "assign", "user_id": me}),
                   403, "appeal.action_forbidden")
    assert body["allowed_actions"] == ["comment"]
    act(server.session("leader"), aid, "assign", user_id=me)
    act(cadre, aid, "start")
    a = act(cadre, aid, "resolve", resolution="已安排保洁员清运")
    assert a["state"] == "resolved" and a["allowed_actions"] == ["feedback", "close", "comment"]
    a = act(cadre, aid, "feedback", satisfaction="dissatisfied", comment="还没清完", fixed=False)
    assert a["state"] == "reopened"
    act(cadre, aid, "start")
    act(cadre, aid, "resolve", resolution="已全部清运并消毒")
    a = act(cadre, aid, "feedback", satisfaction="satisfied")
    assert a["state"] == "closed" and a["feedback"] == "satisfied"
    ev = cadre.get("/api/v1/appeals/%d/events" % aid).json()["items"]
    assert [e["action"] for e in ev] == ["submit", "accept", "assign", "transfer", "assign", "start", "resolve",
                                         "feedback", "start", "resolve", "feedback"]
    assert ev[3]["from_state"] == "assigned" and ev[3]["to_state"] == "accepted"
    assert ev[3]["payload"]["reason"] == "属综治办职责" and ev[3]["user"]["id"] == me
    # a leader reopens a resolved appeal; the cadre may not
    b = submit(cadre)
    for step in ("accept", ("assign", {"user_id": me}), "start", ("resolve", {"resolution": "ok"})):
        name, kw = (step, {}) if isinstance(step, str) else step
        act(cadre, b["id"], name, **kw)
    problem(cadre.post("/api/v1/appeals/%d/actions" % b["id"], json={"action": "reopen", "reason": "r"}), 403)
    leader = server.session("leader")
    assert act(leader, b["id"], "reopen", reason="群众反映未解决")["state"] == "reopened"
    # audit rows exist for the actions
    au = admin.get("/api/v1/audit", params={"entity": "appeal", "entity_id": str(aid), "limit": 50})
    if au.status_code == 200:
        assert any(x["action"] == "appeal.transfer" for x in au.json()["items"])


def test_only_the_assignee_or_their_department_works_on_an_appeal(server, admin):
    server.clock(now=MONDAY)
    owner = server.session("cadre")
    me = owner.user["id"]
    colleague, _, _ = ready_user(server, admin, role="cadre", scope=VILLAGE_A)
    member, mu, _ = ready_user(server, admin, role="cadre", scope=VILLAGE_A)
    dept = department_id(admin)[0]
    r = admin.post("/api/v1/departments/%d/members" % dept, json={"user_id": mu["id"], "start_date": "2026-01-01"})
    assert r.status_code == 201, r.text
    a = submit(owner, title="灌溉水渠堵塞")
    aid = a["id"]
    # nobody's yet: any cadre of the village may take it in
    assert colleague.get("/api/v1/appeals/%d" % aid).json()["allowed_actions"] == \
        ["accept", "reject", "transfer", "merge_into", "comment"]
    act(owner, aid, "accept")
    act(owner, aid, "assign", user_id=me)
    # the owner's: the colleague sees only "comment" and is refused the rest
    assert owner.get("/api/v1/appeals/%d" % aid).json()["allowed_actions"] == \
        ["start", "assign", "transfer", "request_extension", "merge_into", "comment"]
    got = colleague.get("/api/v1/appeals/%d" % aid).json()
    assert got["allowed_actions"] == ["comment"]
    listed = [x for x in colleague.get("/api/v1/appeals", params={"limit": 50}).json()["items"] if x["id"] == aid]
    assert listed and listed[0]["allowed_actions"] == ["comment"]
    for action, kw in (("start", {}), ("request_extension", {"days": 2, "reason": "r"}),
                       ("assign", {"user_id": colleague.user["id"]})):
        body = problem(colleague.post("/api/v1/appeals/%d/actions" % aid, json=dict(action=action, **kw)),
                       403, "appeal.action_forbidden")
        assert body["allowed_actions"] == ["comment"], body
    assert act(colleague, aid, "comment", comment="我知道那条水渠，可以帮忙联系")["state"] == "assigned"
    act(owner, aid, "start")
    body = problem(colleague.post("/api/v1/appeals/%d/actions" % aid,
                                  json={"action": "resolve", "resolution": "x"}), 403, "appeal.action_forbidden")
    assert body["allowed_actions"] == ["comment"]
    problem(colleague.post("/api/v1/appeals/%d/actions" % aid, json={"action": "wait_resident", "reason": "r"}),
            403, "appeal.action_forbidden")
    # handed to a department: its member may work on it, the former owner not
    act(owner, aid, "transfer", department_id=dept, reason="需农业办处理")
    assert owner.get("/api/v1/appeals/%d" % aid).json()["allowed_actions"] == ["comment"]
    assert member.get("/api/v1/appeals/%d" % aid).json()["allowed_actions"] == \
        ["assign", "transfer", "request_extension", "merge_into", "comment"]
    act(member, aid, "assign", user_id=member.user["id"])
    act(member, aid, "start")
    act(member, aid, "wait_resident", reason="等村民在家")
    act(member, aid, "resume")
    assert act(member, aid, "resolve", resolution="已疏通水渠")["state"] == "resolved"
    assert colleague.get("/api/v1/appeals/%d" % aid).json()["allowed_actions"] == ["comment"]
    # the leader keeps every action of the role
    leader = server.session("leader")
    assert leader.get("/api/v1/appeals/%d" % aid).json()["allowed_actions"] == ["feedback", "close", "reopen", "comment"]
    assert act(leader, aid, "reopen", reason="村民说还在漏")["state"] == "reopened"


def test_merge_keeps_both_histories(server):
    server.clock(now=MONDAY)
    cadre = server.session("cadre")
    a = submit(cadre, title="水管爆裂")
    b = submit(cadre, title="水管爆裂（重复）")
    problem(cadre.post("/api/v1/appeals/%d/actions" % a["id"], json={"action": "merge_into", "other_id": a["id"]}),
            422, "appeal.merge_target")
    m = act(cadre, b["id"], "merge_into", other_id=a["id"])
    assert m["state"] == "closed" and m["merged_into_id"] == a["id"]
    ev = cadre.get("/api/v1/appeals/%d/events" % a["id"]).json()["items"]
    assert {e["appeal_id"] for e in ev} == {a["id"], b["id"]}
    assert "merged_from" in [e["action"] for e in ev]
    problem(cadre.post("/api/v1/appeals/%d/actions" % b["id"], json={"action": "accept"}), 409)


def test_overdue_escalates_on_the_test_clock(server):
    server.clock(now=MONDAY)
    cadre = server.session("cadre")
    me = cadre.user["id"]
    a = submit(cadre, title="低保待遇未发放")
    act(cadre, a["id"], "accept")
    act(cadre, a["id"], "assign", user_id=me)
    # 80 % of 7 working days: Mon 9th 15:24
    server.clock(now="2026-03-09T15:30:00+08:00")
    cadre = server.session("cadre")
    got = cadre.get("/api/v1/appeals/%d" % a["id"]).json()
    assert got["warned_at"] is not None and not got["overdue"]
    server.clock(now="2026-03-11T09:30:00+08:00")
    server.clock(advance="PT1M")  # a second tick changes nothing more
    cadre = server.session("cadre")
    got = cadre.get("/api/v1/appeals/%d" % a["id"]).json()
    assert got["overdue"] and got["escalated"] and got["escalation_level"] == 1
    leader = server.session("leader")
    assert got["escalated_to"]["id"] == leader.user["id"]
    ids = [x["id"] for x in cadre.get("/api/v1/appeals", params={"overdue": 1, "limit": 500}).json()["items"]]
    assert a["id"] in ids
    ids = [x["id"] for x in leader.get("/api/v1/appeals", params={"escalated": 1, "limit": 500}).json()["items"]]
    assert a["id"] in ids
    inbox = leader.get("/api/v1/notifications", params={"limit": 200}).json()["items"]
    mine = [n for n in inbox if n["kind"] == "appeal.escalated" and n.get("entity_id") == str(a["id"])]
    assert len(mine) == 1, inbox[:5]
    inbox = cadre.get("/api/v1/notifications", params={"limit": 200}).json()["items"]
    kinds = [n["kind"] for n in inbox if n.get("entity_id") == str(a["id"])]
    assert kinds.count("appeal.overdue") == 1 and kinds.count("appeal.warning") == 1
    ev = [e["action"] for e in cadre.get("/api/v1/appeals/%d/events" % a["id"]).json()["items"]]
    assert ev.count("overdue") == 1 and ev.count("escalate") == 1
    # an approved extension moves the deadline past now and clears the flag
    act(cadre, a["id"], "request_extension", days=3, reason="需协调民政部门")
    got = act(leader, a["id"], "approve_extension")
    assert not got["overdue"] and got["due_at"] > "2026-03-11T09:30:00+08:00"


def test_categories_and_calendar(server, admin):
    cats = admin.get("/api/v1/appeal-categories").json()["items"]
    names = [c["name"] for c in cats if c["parent_id"] is None]
    assert names[:11] == ["道路交通", "水电气暖", "环境卫生", "社会保障", "就业创业", "土地与宅基地", "邻里纠纷",
                          "治安安全", "教育医疗", "村务公开", "其他"]
    water = [c for c in cats if c["name"] == "水电气暖"][0]
    assert water["limits"]["general"]["resolve"] == {"amount": 24, "unit": "natural_hours"}
    assert water["limits"]["emergency"]["resolve"] == {"amount": 2, "unit": "natural_hours"}
    assert cats[0]["limits"]["complex"]["resolve"] == {"amount": 15, "unit": "working_days"}
    assert cats[0]["limits"]["general"]["accept"] == {"amount": 2, "unit": "working_hours"}
    r = admin.post("/api/v1/appeal-categories", json={"name": unique("路灯"), "parent_id": cats[0]["id"],
                                                      "limits": {"general": {"resolve": {"amount": 3, "unit": "working_days"}}}})
    assert r.status_code == 201, r.text
    sub = r.json()
    assert sub["limits"]["general"]["resolve"] == {"amount": 3, "unit": "working_days"}
    assert sub["limits"]["complex"]["resolve"] == {"amount": 15, "unit": "working_days"}
    problem(admin.post("/api/v1/appeal-categories", json={"name": sub["name"], "parent_id": cats[0]["id"]}),
            409, "category.exists")
    problem(admin.post("/api/v1/appeal-categories", json={"name": "x", "limits": {"general": {"resolve": {"amount": 0, "unit": "weeks"}}}}), 422)
    r = admin.patch("/api/v1/appeal-categories/%d" % sub["id"], json={"retired": True})
    assert r.status_code == 200 and r.json()["retired"] is True
    cadre = server.session("cadre")
    problem(cadre.post("/api/v1/appeals", json={"village_code": VILLAGE_A, "category_id": sub["id"], "title": "t",
                                                "description": "d"}), 409, "category.retired")
    problem(cadre.post("/api/v1/appeal-categories", json={"name": "y"}), 403)
    # calendar
    y = admin.get("/api/v1/calendar", params={"year": 2025}).json()
    days = {d["day"]: d["kind"] for d in y["items"]}
    assert days["2025-10-08"] == "holiday" and days["2025-10-11"] == "workday" and days["2025-09-28"] == "workday"
    y = cadre.get("/api/v1/calendar", params={"year": 2026}).json()
    days = {d["day"]: d["kind"] for d in y["items"]}
    assert days["2026-02-14"] == "workday" and days["2026-02-23"] == "holiday"
    problem(cadre.put("/api/v1/calendar/2026-03-05", json={"kind": "holiday"}), 403)
    r = admin.put("/api/v1/calendar/2026-03-05", json={"kind": "holiday", "name": "台风停工"})
    assert r.status_code == 200 and r.json() == {"day": "2026-03-05", "kind": "holiday", "name": "台风停工"}
    problem(admin.put("/api/v1/calendar/2026-13-05", json={"kind": "holiday"}), 422)
    problem(admin.put("/api/v1/calendar/2026-03-06", json={"kind": "party"}), 422)
    assert admin.delete("/api/v1/calendar/2026-03-05").status_code == 204
    problem(admin.delete("/api/v1/calendar/2026-03-05"), 404)
    problem(admin.get("/api/v1/calendar"), 422)


def test_staff_cannot_claim_a_resident_channel(server, admin):
    """portal and open311 are the residents' own channels: an appeal a cadre
    enters is never counted as one a resident filed."""
    for channel in ("portal", "open311"):
        r = admin.post("/api/v1/appeals", json={"village_code": VILLAGE_A, "category_id": 3, "title": "t",
                                                "description": "d", "channel": channel})
        body = problem(r, 422)
        assert "channel" in {e["field"] for e in body["errors"]}, body
