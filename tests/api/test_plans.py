"""
Visit plans (走访计划) and station days (驻点日) through the API: plan rules
(defaults, leader edits, duplicates, scope, viewer 403), the demo cadre's due
list, a contact closing its item, overdue by village and by cadre after the
test clock crosses a month end, station days of weekly and fortnightly
villages, check-ins and the missed station days a leader sees.
"""
import datetime

import pytest

from conftest import TOWN, VILLAGE_A, VILLAGE_B, problem, ready_user

FORTNIGHTLY = "440881104211"  # the demo's remote villages meet every two weeks


@pytest.fixture
def cadre(server):
    return server.session("cadre")


@pytest.fixture
def leader(server):
    return server.session("leader")


@pytest.fixture
def viewer(server):
    return server.session("viewer")


def server_today(server):
    """The server's date in Shanghai (the clock moved on one second)."""
    return datetime.date.fromisoformat(server.clock(advance="PT1S")[:10])


def set_local(server, day, hhmm="10:00"):
    """Moves the test clock to day at hh:mm in Shanghai; returns the display time."""
    return server.clock(now="%sT%s:00+08:00" % (day.isoformat(), hhmm))


def next_weekday(day, weekday):
    """The first date on or after day with isoweekday weekday (1 = Monday)."""
    return day + datetime.timedelta(days=(weekday - day.isoweekday()) % 7)


def first_of_month_after(day, months=1):
    y, m = day.year, day.month + months
    while m > 12:
        y, m = y + 1, m - 12
    return datetime.date(y, m, 1)


def household_ids(due):
    return [it["household"]["id"] for it in due["items"] if it["kind"] == "household"]


# ---------------------------------------------------------------- rules

def test_default_rules_and_viewer_reads(viewer):
    r = viewer.get("/api/v1/plans/rules")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["station_days_per_month"] == 4
    rules = {(x["tag"]["name"] if x["tag"] else None): x for x in body["items"] if x["region"] is None}
    assert rules[None]["every"] == "quarter" and rules[None]["min_contacts"] == 1
    for tag in ("低保户", "特困供养", "独居老人"):
        assert rules[tag]["every"] == "month", rules[tag]


def test_rule_writes_need_a_leader(viewer, cadre):
    b = {"region_code": VILLAGE_A, "tag": "留守老人", "every": "week"}
    problem(viewer.post("/api/v1/plans/rules", json=b), 403)
    problem(cadre.post("/api/v1/plans/rules", json=b), 403)
    problem(viewer.patch("/api/v1/plans/rules/1", json={"min_contacts": 2}), 403)
    problem(viewer.post("/api/v1/station-days/%s/2026-01-07/checkin" % VILLAGE_A, json={}), 403)
    problem(viewer.patch("/api/v1/plans/settings", json={"station_days_per_month": 5}), 403)
    problem(cadre.patch("/api/v1/plans/settings", json={"station_days_per_month": 5}), 403)


def test_leader_creates_updates_and_retires_a_rule(leader):
    r = leader.post("/api/v1/plans/rules", json={"region_code": VILLAGE_A, "tag": "留守儿童",
                                                 "every": "days", "every_days": 45, "min_contacts": 2})
    assert r.status_code == 201, r.text
    rule = r.json()
    assert rule["region"]["code"] == VILLAGE_A and rule["tag"]["name"] == "留守儿童"
    assert (rule["every"], rule["every_days"], rule["min_contacts"]) == ("days", 45, 2)
    assert r.headers["Location"] == "/api/v1/plans/rules/%d" % rule["id"]
    dup = leader.post("/api/v1/plans/rules", json={"region_code": VILLAGE_A, "tag": "留守儿童",
                                                   "every": "days", "every_days": 45})
    problem(dup, 409, "plan.rule_exists")
    r = leader.patch("/api/v1/plans/rules/%d" % rule["id"], json={"every": "month", "retired": True})
    assert r.status_code == 200, r.text
    assert r.json()["every"] == "month" and r.json()["every_days"] is None and r.json()["retired"] is True
    problem(leader.patch("/api/v1/plans/rules/999999", json={"min_contacts": 2}), 404)


def test_rule_history_keeps_each_version(server, leader):
    """Each change closes the version in force and opens the next, so a past
    period's plan is the rule as it was then."""
    import sqlite3
    r = leader.post("/api/v1/plans/rules", json={"region_code": VILLAGE_B, "every": "quarter", "min_contacts": 1})
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    server.clock(advance="PT20M")  # within the session's idle half hour
    assert leader.patch("/api/v1/plans/rules/%d" % rid, json={"min_contacts": 3}).status_code == 200
    server.clock(advance="PT20M")  # within the session's idle half hour
    assert leader.patch("/api/v1/plans/rules/%d" % rid, json={"min_contacts": 3}).status_code == 200  # no change
    assert leader.patch("/api/v1/plans/rules/%d" % rid, json={"retired": True}).status_code == 200
    server.clock(advance="PT20M")
    assert leader.patch("/api/v1/plans/rules/%d" % rid, json={"retired": False}).status_code == 200
    con = sqlite3.connect(server.db)
    rows = con.execute("SELECT every, min_contacts, valid_from, valid_to FROM plan_rule_version "
                       "WHERE rule_id = ? ORDER BY id", (rid,)).fetchall()
    con.close()
    assert [(e, m) for e, m, _, _ in rows] == [("quarter", 1), ("quarter", 3), ("quarter", 3)], rows
    (_, _, f1, t1), (_, _, f2, t2), (_, _, f3, t3) = rows
    assert f1 < t1 == f2 < t2 < f3 and t3 is None  # the retired hour has no version
    # the shipped rules have their versions from the migration
    con = sqlite3.connect(server.db)
    missing = con.execute("SELECT count(*) FROM plan_rule r WHERE r.retired_at IS NULL AND NOT EXISTS "
                          "(SELECT 1 FROM plan_rule_version v WHERE v.rule_id = r.id AND v.valid_to IS NULL)").fetchone()[0]
    con.close()
    assert missing == 0


@pytest.mark.parametrize("b, field", [
    ({"every": "year"}, "every"),
    ({}, "every"),
    ({"every": "days"}, "every_days"),
    ({"every": "days", "every_days": 400}, "every_days"),
    ({"every": "month", "every_days": 3}, "every_days"),
    ({"every": "month", "min_contacts": 0}, "min_contacts"),
    ({"every": "month", "tag": "没有的标签"}, "tag"),
])
def test_rule_field_errors(leader, b, field):
    body = problem(leader.post("/api/v1/plans/rules", json=b), 422, "request.invalid")
    assert field in [e["field"] for e in body["errors"]], body


def test_rule_outside_scope_is_404(server, admin):
    c, _, _ = ready_user(server, admin, role="leader", scope=VILLAGE_B)
    problem(c.post("/api/v1/plans/rules", json={"region_code": VILLAGE_A, "every": "week"}), 404)
    # a village leader cannot change the whole town's rules
    problem(c.post("/api/v1/plans/rules", json={"every": "week"}), 403)
    r = c.post("/api/v1/plans/rules", json={"region_code": VILLAGE_B, "every": "month"})
    assert r.status_code == 201, r.text
    # the town rules are shown to the village leader; village A's are not
    codes = [x["region"]["code"] if x["region"] else None for x in c.get("/api/v1/plans/rules").json()["items"]]
    assert None in codes and VILLAGE_B in codes and VILLAGE_A not in codes


# ---------------------------------------------------------------- due lists

def test_due_list_of_the_demo_cadre_and_a_contact_closes_an_item(server, cadre, leader):
    # the demo cadre was at the village on enough days this month already (the demo's
    # year of contacts): on the first of next month the station days are open again
    today = server_today(server)
    today = (today.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
    set_local(server, today, "09:00")
    leader, cadre = server.session("leader"), server.session("cadre")  # idle sessions ended
    r = cadre.get("/api/v1/plans/due", params={"window": "all"})
    assert r.status_code == 200, r.text
    due = r.json()
    assert due["cadre"]["id"] == cadre.user["id"] and due["today"] == today.isoformat()
    hh = [it for it in due["items"] if it["kind"] == "household"]
    assert hh, due
    for it in hh:
        assert it["cadre"]["id"] == cadre.user["id"]
        assert it["village"]["code"] == VILLAGE_A
        assert it["status"] == "open" and it["contacts"] < it["required"]
        assert it["period_start"] <= today.isoformat() <= it["due_date"] < it["period_end"]
    st = [it for it in due["items"] if it["kind"] == "station_days"]
    assert st and st[0]["village"]["code"] == VILLAGE_A and st[0]["required"] == 4
    # the leader reads the same list by ?cadre=
    r = leader.get("/api/v1/plans/due", params={"cadre": cadre.user["id"]})
    assert sorted(household_ids(r.json())) == sorted(household_ids(due))
    # a home visit closes the item
    hid = hh[0]["household"]["id"]
    now = server.clock(advance="PT1S")
    r = cadre.post("/api/v1/contacts", json={"method": "home_visit", "started_at": now, "duration_min": 20,
                                             "summary": "走访了解近况", "households": [hid]})
    assert r.status_code == 201, r.text
    after = cadre.get("/api/v1/plans/due", params={"window": "all"}).json()
    assert hid not in household_ids(after)
    assert len(household_ids(after)) == len(household_ids(due)) - 1


def test_due_list_bad_window_and_unknown_cadre(cadre, leader):
    body = problem(cadre.get("/api/v1/plans/due", params={"window": "month"}), 422)
    assert body["errors"][0]["field"] == "window"
    problem(cadre.get("/api/v1/plans/due", params={"cadre": "x"}), 422)
    problem(leader.get("/api/v1/plans/due", params={"cadre": 999999}), 404)


def test_overdue_by_village_and_cadre(server, cadre, leader):
    # two month ends on: a household created before last month began that
    # had no contact in it, and none since, is overdue on the monthly rule
    day = first_of_month_after(server_today(server), 2) + datetime.timedelta(days=2)
    set_local(server, day)
    leader, cadre = server.session("leader"), server.session("cadre")  # idle sessions ended
    r = leader.get("/api/v1/plans/overdue", params={"by": "village"})
    assert r.status_code == 200, r.text
    v = r.json()
    assert v["total"] > 0 and v["total"] == sum(g["count"] for g in v["groups"])
    assert all(it["overdue"] and it["overdue_since"] < day.isoformat() for it in v["items"])
    assert {g["code"] for g in v["groups"]} <= {it["village"]["code"] for it in v["items"]} | {g["code"] for g in v["groups"]}
    by_code = {g["code"]: g["count"] for g in v["groups"]}
    assert VILLAGE_A in by_code
    r = leader.get("/api/v1/plans/overdue", params={"by": "cadre"})
    c = r.json()
    assert c["total"] == v["total"]
    by_cadre = {g["id"]: g["count"] for g in c["groups"]}
    mine = cadre.get("/api/v1/plans/due", params={"window": "overdue"}).json()
    assert by_cadre[cadre.user["id"]] == len(household_ids(mine))
    # drill-down to one village
    r = leader.get("/api/v1/plans/overdue", params={"by": "village", "village": VILLAGE_A, "limit": 2000})
    d = r.json()
    assert d["total"] == by_code[VILLAGE_A] == len(d["items"])
    assert {it["village"]["code"] for it in d["items"]} == {VILLAGE_A}
    # the cadre sees only the village in scope; another is 404
    r = cadre.get("/api/v1/plans/overdue", params={"by": "village"})
    assert [g["code"] for g in r.json()["groups"]] == [VILLAGE_A]
    problem(cadre.get("/api/v1/plans/overdue", params={"village": VILLAGE_B}), 404)
    problem(leader.get("/api/v1/plans/overdue", params={"by": "tag"}), 422)
    # a contact closes an overdue item
    hid = household_ids(mine)[0]
    now = server.clock(advance="PT1S")
    r = cadre.post("/api/v1/contacts", json={"method": "phone", "started_at": now, "duration_min": 5,
                                             "summary": "电话回访", "households": [hid]})
    assert r.status_code == 201, r.text
    again = cadre.get("/api/v1/plans/due", params={"window": "overdue"}).json()
    assert hid not in household_ids(again)


# ---------------------------------------------------------------- station days

def test_station_days_weekly_and_fortnightly(server, leader, cadre):
    start = next_weekday(server_today(server), 1)
    to = start + datetime.timedelta(days=28)
    q = {"from": start.isoformat(), "to": to.isoformat()}
    r = leader.get("/api/v1/villages/%s/station-days" % VILLAGE_A, params=q)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["team"]["weekday"] == 3 and body["team"]["every_weeks"] == 1
    days = [datetime.date.fromisoformat(d["date"]) for d in body["items"]]
    assert len(days) == 4 and all(d.isoweekday() == 3 for d in days)
    r = leader.get("/api/v1/villages/%s/station-days" % FORTNIGHTLY, params=q)
    days2 = [datetime.date.fromisoformat(d["date"]) for d in r.json()["items"]]
    assert len(days2) == 2 and (days2[1] - days2[0]).days == 14
    problem(cadre.get("/api/v1/villages/%s/station-days" % VILLAGE_B, params=q), 404)
    problem(leader.get("/api/v1/villages/%s/station-days" % TOWN, params=q), 404)
    problem(leader.get("/api/v1/villages/%s/station-days" % VILLAGE_A, params={"from": "2026-13-01"}), 422)
    problem(leader.get("/api/v1/villages/%s/station-days" % VILLAGE_A,
                       params={"from": "2026-01-01", "to": "2027-06-01"}), 422)


def test_checkin_and_missed_station_days(server, cadre, leader, admin, viewer):
    wed = next_weekday(server_today(server) + datetime.timedelta(days=1), 3)
    set_local(server, wed, "09:30")
    cadre, leader, admin, viewer = (server.session(x) for x in ("cadre", "leader", "admin", "viewer"))
    url = "/api/v1/station-days/%s/%s/checkin"
    r = cadre.post(url % (VILLAGE_A, wed.isoformat()), json={"lat": 21.5, "lng": 111.9})
    assert r.status_code == 201, r.text
    assert r.json()["user"]["id"] == cadre.user["id"] and r.json()["date"] == wed.isoformat()
    problem(cadre.post(url % (VILLAGE_A, wed.isoformat()), json={}), 409, "plan.checkin_exists")
    problem(cadre.post(url % (VILLAGE_A, (wed + datetime.timedelta(days=7)).isoformat()), json={}),
            422, "plan.checkin_date")
    problem(cadre.post(url % (VILLAGE_B, wed.isoformat()), json={}), 404)
    problem(viewer.post(url % (VILLAGE_A, wed.isoformat()), json={}), 403)
    # an admin holds checkin.write (every permission) but is on no team
    problem(admin.post(url % (VILLAGE_A, wed.isoformat()), json={}), 422, "plan.not_on_team")
    body = problem(cadre.post(url % (VILLAGE_A, wed.isoformat()), json={"lat": 99}), 422)
    assert {e["field"] for e in body["errors"]} >= {"lat"}
    # a leader outside the team of a village checks in nowhere there
    c, _, _ = ready_user(server, admin, role="leader", scope=TOWN)
    problem(c.post(url % (VILLAGE_A, wed.isoformat()), json={}), 422, "plan.not_on_team")
    # the day after is no station day
    set_local(server, wed + datetime.timedelta(days=1))
    cadre = server.session("cadre")
    problem(cadre.post(url % (VILLAGE_A, (wed + datetime.timedelta(days=1)).isoformat()), json={}),
            422, "plan.not_station_day")
    # a week later: village A's first Wednesday is attended, the second missed;
    # village B missed both
    thu2 = wed + datetime.timedelta(days=8)
    set_local(server, thu2)
    cadre, leader = server.session("cadre"), server.session("leader")
    q = {"from": wed.isoformat(), "to": (thu2 + datetime.timedelta(days=1)).isoformat()}
    r = leader.get("/api/v1/plans/missed-station-days", params=q)
    assert r.status_code == 200, r.text
    m = r.json()
    missed = {(it["village"]["code"], it["date"]) for it in m["items"]}
    wed2 = (wed + datetime.timedelta(days=7)).isoformat()
    assert (VILLAGE_A, wed.isoformat()) not in missed and (VILLAGE_A, wed2) in missed
    assert (VILLAGE_B, wed.isoformat()) in missed and (VILLAGE_B, wed2) in missed
    assert m["total"] == len(m["items"]) == sum(v["count"] for v in m["by_village"])
    days = leader.get("/api/v1/villages/%s/station-days" % VILLAGE_A, params=q).json()["items"]
    assert [d["status"] for d in days] == ["attended", "missed"]
    assert days[0]["checkins"][0]["user"]["id"] == cadre.user["id"]
    # the cadre sees the missed days of village A only
    r = cadre.get("/api/v1/plans/missed-station-days", params=q)
    assert {it["village"]["code"] for it in r.json()["items"]} == {VILLAGE_A}
    # the check-in counts towards the cadre's 驻点天数 for that month
    due = cadre.get("/api/v1/plans/due", params={"window": "all"}).json()
    st = [it for it in due["items"] if it["kind"] == "station_days"]
    if wed.month == thu2.month:
        assert st and st[0]["days"] >= 1


def test_station_days_count_presence_only(server):
    # 驻点天数 counts the days a cadre was at the village in person: a home
    # visit, a meeting, a reception day or a check-in; a phone call or a
    # WeChat message about the village is no presence (a bug until 0017)
    day = first_of_month_after(server_today(server), 4) + datetime.timedelta(days=1)
    set_local(server, day, "10:00")
    cadre = server.session("cadre")

    def days():
        due = cadre.get("/api/v1/plans/due", params={"window": "all"}).json()
        st = [it for it in due["items"] if it["kind"] == "station_days" and it["village"]["code"] == VILLAGE_A]
        assert st, due
        return st[0]["days"]

    assert days() == 0
    for method in ("phone", "wechat", "online", "other"):
        now = server.clock(advance="PT1M")
        r = cadre.post("/api/v1/contacts", json={"method": method, "started_at": now, "duration_min": 5,
                                                 "village_code": VILLAGE_A, "summary": "电话了解情况"})
        assert r.status_code == 201, r.text
        assert days() == 0, method
    now = server.clock(advance="PT1M")
    r = cadre.post("/api/v1/contacts", json={"method": "home_visit", "started_at": now, "duration_min": 30,
                                             "village_code": VILLAGE_A, "summary": "入户走访"})
    assert r.status_code == 201, r.text
    assert days() == 1
    now = server.clock(advance="PT10M")
    r = cadre.post("/api/v1/contacts", json={"method": "meeting", "started_at": now, "duration_min": 60,
                                             "village_code": VILLAGE_A, "summary": "村民座谈会"})
    assert r.status_code == 201, r.text
    assert days() == 1  # the same day counts once
    set_local(server, day + datetime.timedelta(days=1), "10:00")
    cadre = server.session("cadre")
    now = server.clock(advance="PT1S")
    r = cadre.post("/api/v1/contacts", json={"method": "reception_day", "started_at": now, "duration_min": 20,
                                             "village_code": VILLAGE_A, "summary": "接访群众"})
    assert r.status_code == 201, r.text
    assert days() == 2
