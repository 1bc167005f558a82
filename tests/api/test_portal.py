"""
The resident portal over HTTP, with no account: the choosers, anonymous and
named submission, idempotent submission, tracking by receipt code with and
without the phone's last four digits, the rate limits (429), feedback that
reopens or closes the appeal through the workflow, merged appeals, the 7-day
follow-up driven by the test clock, and the public board with its monthly
figures and no personal data.
"""
from conftest import VILLAGE_A, problem, start_server, unique

MONDAY = "2026-03-02T09:00:00+08:00"
PUBLIC = "/api/v1/public"


def submit(server, expect=201, headers=None, **kw):
    body = {"village_code": VILLAGE_A, "category_id": 3, "description": "村口垃圾堆三天没人清理，味道很大"}
    body.update(kw)
    c = server.client()
    r = c.post(PUBLIC + "/appeals", json=body, headers=headers or {})
    if r.status_code == 429 and expect != 429:  # a long module: let the hour pass
        server.clock(advance="PT61M")
        r = c.post(PUBLIC + "/appeals", json=body, headers=headers or {})
    assert r.status_code == expect, r.text
    return r.json()


def track(server, code, expect=200, last4=None):
    params = {"phone_last4": last4} if last4 is not None else {}
    c = server.client()
    r = c.get(PUBLIC + "/track/" + code, params=params)
    if r.status_code == 429 and expect != 429:
        server.clock(advance="PT11M")
        r = c.get(PUBLIC + "/track/" + code, params=params)
    assert r.status_code == expect, r.text
    return r


def feedback(server, code, expect=200, **body):
    r = server.client().post(PUBLIC + "/track/%s/feedback" % code, json=body)
    if r.status_code == 429 and expect != 429:
        server.clock(advance="PT11M")
        r = server.client().post(PUBLIC + "/track/%s/feedback" % code, json=body)
    assert r.status_code == expect, r.text
    return r


def appeal_of(admin, code, village=VILLAGE_A):
    r = admin.get("/api/v1/appeals", params={"region": village, "limit": 200})
    assert r.status_code == 200, r.text
    found = [a for a in r.json()["items"] if a["receipt_code"] == code]
    assert len(found) == 1, code
    return found[0]


def act(admin, aid, action, **kw):
    r = admin.post("/api/v1/appeals/%d/actions" % aid, json=dict(action=action, **kw))
    assert r.status_code == 200, (action, r.status_code, r.text)
    return r.json()


def resolve(server, code, village=VILLAGE_A, resolution="已清运，村道恢复整洁"):
    admin = server.session("admin")
    a = appeal_of(admin, code, village)
    act(admin, a["id"], "accept")
    act(admin, a["id"], "assign", user_id=admin.user["id"])
    act(admin, a["id"], "start")
    return act(admin, a["id"], "resolve", resolution=resolution)


def test_choosers_list_villages_and_categories(server):
    c = server.client()
    v = c.get(PUBLIC + "/villages")
    assert v.status_code == 200, v.text
    villages = {x["code"]: x for x in v.json()["items"]}
    assert VILLAGE_A in villages and villages[VILLAGE_A]["name"] == "东坑村"
    assert all(len(code) == 12 for code in villages)
    cats = c.get(PUBLIC + "/categories").json()["items"]
    assert "环境卫生" in [x["name"] for x in cats] and all("id" in x for x in cats)


def test_anonymous_and_named_submission(server):
    server.clock(now=MONDAY)
    anon = submit(server, anonymous=True)
    code = anon["receipt_code"]
    assert len(code) == 12 and code[4] == "-" and code[9] == "-" and not set(code) & set("01OIL")
    assert anon["state"] == "submitted" and anon["phone_given"] is False
    assert anon["village"] == {"code": VILLAGE_A, "name": "东坑村"}
    assert "id" not in anon and "submitter" not in anon

    named = submit(server, submitter_name="张大山", submitter_phone="139 1234 5678", public_consent=True)
    assert named["phone_given"] is True and named["public_consent"] is True
    admin = server.session("admin")
    a = appeal_of(admin, named["receipt_code"])
    assert a["channel"] == "portal" and a["state"] == "submitted"
    assert a["submitter"] == {"name": "张**", "phone": "139****5678"}
    assert a["title"] == "村口垃圾堆三天没人清理，味道很大"
    ev = admin.get("/api/v1/appeals/%d/events" % a["id"]).json()["items"]
    assert ev[0]["action"] == "submit" and ev[0]["payload"]["channel"] == "portal"
    assert appeal_of(admin, code)["anonymous"] is True


def test_submission_is_checked(server):
    c = server.client()
    r = c.post(PUBLIC + "/appeals", json={"village_code": "440881104299", "category_id": 999,
                                          "description": " ", "submitter_phone": "12345"})
    fields = {e["field"] for e in problem(r, 422, "request.invalid")["errors"]}
    assert {"village_code", "description", "submitter_phone"} <= fields and "title" not in fields
    r = c.post(PUBLIC + "/appeals", json={"village_code": VILLAGE_A, "category_id": 3})
    assert [e["field"] for e in problem(r, 422)["errors"]] == ["description"]
    problem(c.post(PUBLIC + "/appeals", data="x", headers={"Content-Type": "application/json"}), 400)


def test_idempotent_submission(server):
    key = {"Idempotency-Key": unique("portal-")}
    first = submit(server, headers=key, description="路灯坏了一周")
    again = submit(server, headers=key, description="路灯坏了一周")
    assert first["receipt_code"] == again["receipt_code"]
    admin = server.session("admin")
    items = admin.get("/api/v1/appeals", params={"region": VILLAGE_A, "limit": 200}).json()["items"]
    assert [a["receipt_code"] for a in items].count(first["receipt_code"]) == 1
    problem(server.client().post(PUBLIC + "/appeals", headers=key,
                                 json={"village_code": VILLAGE_A, "category_id": 3, "description": "别的"}), 422)


def test_track_with_and_without_the_phone_digits(server):
    named = submit(server, submitter_name="李四", submitter_phone="13800135678", description="自来水浑浊")
    code = named["receipt_code"]
    plain = track(server, code).json()
    assert plain["state"] == "submitted" and plain["details"] is False and plain["phone_required"] is True
    assert "description" not in plain and "resolution" not in plain
    assert [e["action"] for e in plain["timeline"]] == ["submit"]
    # spaces, dashes and lower case are forgiven
    loose = track(server, code.replace("-", " ").lower(), last4="5678").json()
    assert loose["details"] is True and loose["description"] == "自来水浑浊" and loose["receipt_code"] == code
    problem(track(server, code, 403, last4="1234"), 403, "portal.phone_mismatch")
    problem(track(server, code, 422, last4="12a4"), 422, "request.invalid")
    problem(track(server, "ABCD", 422), 422)
    problem(track(server, "2345-6789-AB", 404), 404)
    # no phone given: nothing to check, the details show
    anon = submit(server, anonymous=True, description="路面坑洼")
    assert track(server, anon["receipt_code"]).json()["details"] is True


def test_feedback_not_fixed_reopens_and_satisfied_closes(server):
    named = submit(server, submitter_phone="13600001234", description="下水道堵塞")
    code = named["receipt_code"]
    problem(feedback(server, code, 409, phone_last4="1234", fixed=True, satisfaction="satisfied"),
            409, "portal.feedback_closed")
    resolve(server, code)
    seen = track(server, code, last4="1234").json()
    assert seen["state"] == "resolved" and seen["feedback_open"] is True
    assert seen["resolution"] == "已清运，村道恢复整洁"
    assert [e["action"] for e in seen["timeline"]] == ["submit", "accept", "assign", "start", "resolve"]
    assert seen["timeline"][-1]["note"] == "已清运，村道恢复整洁"
    assert "note" not in track(server, code).json()["timeline"][-1]  # no digits, no notes
    errs = problem(feedback(server, code, 422, fixed="no", satisfaction="great"), 422)["errors"]
    assert {"phone_last4", "fixed"} <= {e["field"] for e in errs}
    problem(feedback(server, code, 403, phone_last4="9999", fixed=False, satisfaction="dissatisfied"), 403,
            "portal.phone_mismatch")
    problem(feedback(server, code, 422, phone_last4="1234", fixed=True, satisfaction="great"), 422)
    r = feedback(server, code, phone_last4="1234", fixed=False, satisfaction="basically_satisfied",
                 comment="还是有点堵")
    assert r.json()["state"] == "reopened" and r.json()["feedback"] == "basically_satisfied"
    admin = server.session("admin")
    a = appeal_of(admin, code)
    assert a["state"] == "reopened" and a["feedback_comment"] == "还是有点堵" and a["due_at"]
    problem(feedback(server, code, 409, phone_last4="1234", fixed=True, satisfaction="satisfied"), 409,
            "portal.feedback_closed")
    # resolved again; this time it is fixed
    act(admin, a["id"], "start")
    act(admin, a["id"], "resolve", resolution="已疏通")
    r = feedback(server, code, phone_last4="1234", fixed=True, satisfaction="satisfied")
    assert r.json()["state"] == "closed"
    assert appeal_of(admin, code)["state"] == "closed"


def test_merged_appeal_follows_the_survivor(server):
    a = submit(server, description="桥面护栏松动")
    b = submit(server, description="桥面护栏松动（另一户）")
    admin = server.session("admin")
    ida, idb = appeal_of(admin, a["receipt_code"])["id"], appeal_of(admin, b["receipt_code"])["id"]
    act(admin, idb, "merge_into", other_id=ida)
    act(admin, ida, "accept")
    seen = track(server, b["receipt_code"]).json()
    assert seen["merged"] is True and seen["state"] == "accepted"
    assert "accept" in [e["action"] for e in seen["timeline"]]


def test_follow_up_after_seven_days(server):
    named = submit(server, submitter_phone="13700007777", description="路边树枝挡路")
    code = named["receipt_code"]
    resolve(server, code)
    admin = server.session("admin")
    aid = appeal_of(admin, code)["id"]
    server.clock(advance="P6D")
    assert "follow_up" not in [e["action"] for e in track(server, code).json()["timeline"]]
    server.clock(advance="P1DT1H")
    server.clock(advance="PT1M")  # a second tick asks no second time
    seen = track(server, code).json()
    assert [e["action"] for e in seen["timeline"]].count("follow_up") == 1 and seen["follow_up_at"]
    admin = server.session("admin")
    notes = admin.get("/api/v1/notifications", params={"limit": 100}).json()["items"]
    mine = [n for n in notes if n["kind"] == "appeal.follow_up" and n.get("entity_id") == str(aid)]
    assert len(mine) == 1
    # the answer still works after the ask
    r = feedback(server, code, phone_last4="7777", fixed=True, satisfaction="satisfied")
    assert r.json()["state"] == "closed"


def test_rate_limits(request):
    s = start_server(request, name="portal-rate")
    s.clock(now=MONDAY)
    code = submit(s)["receipt_code"]
    c = s.client()
    for _ in range(30):
        assert c.get(PUBLIC + "/track/" + code).status_code == 200
    r = c.get(PUBLIC + "/track/" + code)
    body = problem(r, 429, "portal.rate_limited")
    assert int(r.headers["Retry-After"]) > 0 and "10" in body["detail"]
    problem(c.post(PUBLIC + "/track/%s/feedback" % code, json={"fixed": True, "satisfaction": "satisfied"}), 429)
    s.clock(advance="PT10M1S")
    assert c.get(PUBLIC + "/track/" + code).status_code == 200
    for _ in range(9):
        submit(s, expect=201)
    problem(c.post(PUBLIC + "/appeals", json={"village_code": VILLAGE_A, "category_id": 3, "description": "x"}),
            429, "portal.rate_limited")
    # the choosers and the board are not limited
    assert c.get(PUBLIC + "/villages").status_code == 200
    s.clock(advance="PT61M")
    submit(s, expect=201)


VILLAGE_9 = "440881104209"


def test_board_shows_consented_resolved_appeals_and_monthly_figures(request):
    s = start_server(request, name="portal-board")
    # the demo town has a year of appeals: the figures below are what this test adds to them
    s.clock(now="2026-04-20T10:00:00+08:00")
    before = {m["month"]: m for m in s.client().get(PUBLIC + "/board/" + VILLAGE_9).json()["months"]}
    s.clock(now="2026-03-10T09:00:00+08:00")
    shown = submit(s, village_code=VILLAGE_9, public_consent=True, submitter_name="王五",
                   submitter_phone="13511112222", description="门前水渠堵了，联系我13511112222")["receipt_code"]
    hidden = submit(s, village_code=VILLAGE_9, public_consent=False, description="邻居占用通道")["receipt_code"]
    open_one = submit(s, village_code=VILLAGE_9, public_consent=True, description="路灯不亮")["receipt_code"]
    resolve(s, shown, VILLAGE_9, resolution="已清淤，回访电话 13511112222")
    resolve(s, hidden, VILLAGE_9)
    feedback(s, shown, phone_last4="2222", fixed=True, satisfaction="satisfied")
    feedback(s, hidden, fixed=True, satisfaction="dissatisfied")  # reopened: dissatisfied
    s.clock(now="2026-04-01T09:00:00+08:00")
    late = submit(s, village_code=VILLAGE_9, public_consent=True, description="村道塌陷")["receipt_code"]
    admin = s.session("admin")
    a = appeal_of(admin, late, VILLAGE_9)
    act(admin, a["id"], "accept")
    act(admin, a["id"], "assign", user_id=admin.user["id"])
    act(admin, a["id"], "start")
    s.clock(now="2026-04-20T10:00:00+08:00")  # 7 working days are long past
    admin = s.session("admin")
    act(admin, a["id"], "resolve", resolution="已修复")

    r = s.client().get(PUBLIC + "/board/" + VILLAGE_9)
    assert r.status_code == 200, r.text
    board = r.json()
    assert board["village"]["code"] == VILLAGE_9
    # the demo's own consented appeals of the village are there too: look at this test's
    ours = ("村道塌陷", "门前水渠堵了，联系我******", "邻居占用通道", "路灯不亮")
    items = [i for i in board["items"] if i["description"] in ours]
    assert [i["description"] for i in items] == ["村道塌陷", "门前水渠堵了，联系我******"]
    assert items[1]["resolution"] == "已清淤，回访电话 ******" and items[1]["feedback"] == "satisfied"
    text = r.text
    for secret in ("王五", "王", "13511112222", "2222", "邻居占用通道", "路灯不亮", shown, late):
        assert secret not in text, secret
    for i in items:
        assert not {"id", "receipt_code", "submitter", "household_id", "submitter_name", "phone"} & set(i)
    months = {m["month"]: m for m in board["months"]}
    assert len(board["months"]) == 12 and board["months"][-1]["month"] == "2026-04"
    assert board["months"][0]["month"] == "2025-05"
    figures = ("received", "resolved", "on_time", "rated", "satisfied")

    def added(month):
        return tuple(months[month][f] - before[month][f] for f in figures)

    march, april = months["2026-03"], months["2026-04"]
    assert added("2026-03") == (3, 2, 2, 2, 1)
    assert added("2026-04") == (1, 1, 0, 0, 0)
    assert added("2026-02") == (0, 0, 0, 0, 0)
    for m in (march, april):
        assert m["satisfaction_share"] == (m["satisfied"] * 1000 // m["rated"] / 1000 if m["rated"] else None), m
        assert m["on_time_share"] == (m["on_time"] * 1000 // m["resolved"] / 1000 if m["resolved"] else None), m
    problem(s.client().get(PUBLIC + "/board/440881104299"), 404)
    problem(s.client().get(PUBLIC + "/board/" + "440881104000"), 404)  # the town is not a village
