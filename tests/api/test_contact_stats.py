"""
Contact statistics (联系统计, GET /api/v1/contacts/stats): the figures of
contacts this test records in a month the demo town never reached (counts,
distinct households, confirmed and face-to-face contacts; Shanghai month and
week boundaries), by method, village and cadre, filters, region scope (a
cadre sees their village only), the viewer's read, bad parameters (422) and
the demo year, with its timing.
"""
import sqlite3
import time

import pytest

from conftest import VILLAGE_A, VILLAGE_B, problem, unique

PATH = "/api/v1/contacts/stats"
RANGE = {"from": "2027-05-01", "to": "2027-07-01"}
FIGS = ("contacts", "households", "confirmed", "presence")


def sql(server, query, *args):
    con = sqlite3.connect(server.db, timeout=30)
    try:
        cur = con.execute(query, args)
        con.commit()
        return cur.fetchall()
    finally:
        con.close()


def household(admin, village):
    head = unique("户")
    r = admin.post("/api/v1/households", json={
        "village_code": village, "head_name": head, "address": "统计路 1 号",
        "members": [{"name": head, "relation": "户主"}]})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def contact(admin, method, started_at, households):
    r = admin.post("/api/v1/contacts", json={
        "method": method, "started_at": started_at, "duration_min": 30,
        "summary": "统计测试", "households": households})
    assert r.status_code == 201, r.text
    return r.json()["id"]


@pytest.fixture(scope="module")
def made(server):
    """Four contacts in May and June 2027 (the demo stops in 2026):
    c1 home visit 5-03 (h1, village B); c2 phone 5-31 23:30 Shanghai, still
    May (h1); c3 home visit 6-01 00:30 Shanghai, already June (h1, h2),
    confirmed; c4 meeting 6-10 (h3, village A)."""
    server.clock(now="2027-06-20T10:00:00+08:00")
    admin = server.session("admin")
    h1, h2, h3 = household(admin, VILLAGE_B), household(admin, VILLAGE_B), household(admin, VILLAGE_A)
    c1 = contact(admin, "home_visit", "2027-05-03T10:00:00+08:00", [h1])
    c2 = contact(admin, "phone", "2027-05-31T23:30:00+08:00", [h1])
    c3 = contact(admin, "home_visit", "2027-06-01T00:30:00+08:00", [h1, h2])
    c4 = contact(admin, "meeting", "2027-06-10T15:00:00+08:00", [h3])
    sql(server, "UPDATE contact SET confirmation = 'signature' WHERE id = ?", c3)
    return {"admin": admin.user["id"], "contacts": (c1, c2, c3, c4)}


def get(client, **params):
    r = client.get(PATH, params=params)
    assert r.status_code == 200, (r.status_code, r.text)
    return r.json()


def figs(o):
    return tuple(o[f] for f in FIGS)


def cells(body):
    return {(it["period"], it["group"]): figs(it) for it in body["items"]}


def test_by_method_month(server, made):
    b = get(server.session("leader"), by="method", interval="month", **RANGE)
    assert (b["by"], b["interval"], b["from"], b["to"]) == ("method", "month", "2027-05-01", "2027-07-01")
    assert figs(b["totals"]) == (4, 3, 1, 3)
    # the home visits, what a household can confirm: c1 and c3
    assert b["totals"]["home_visits"] == 2 and [p["home_visits"] for p in b["periods"]] == [1, 1]
    assert [(p["start"], p["end"], p["label"]) for p in b["periods"]] == [
        ("2027-05-01", "2027-06-01", "2027-05"), ("2027-06-01", "2027-07-01", "2027-06")]
    assert [figs(p) for p in b["periods"]] == [(2, 1, 0, 1), (2, 3, 1, 2)]
    groups = {g["key"]: g for g in b["groups"]}
    assert list(groups) == ["home_visit", "phone", "wechat", "meeting", "reception_day", "online", "other"]
    assert groups["home_visit"]["name"] == "入户走访" and groups["home_visit"]["name_en"] == "Home visit"
    assert figs(groups["home_visit"]) == (2, 2, 1, 2)
    assert figs(groups["phone"]) == (1, 1, 0, 0)
    assert figs(groups["meeting"]) == (1, 1, 0, 1)
    assert figs(groups["wechat"]) == (0, 0, 0, 0)
    assert cells(b) == {
        ("2027-05-01", "home_visit"): (1, 1, 0, 1),
        ("2027-05-01", "phone"): (1, 1, 0, 0),
        ("2027-06-01", "home_visit"): (1, 2, 1, 1),
        ("2027-06-01", "meeting"): (1, 1, 0, 1),
    }


def test_by_village_lists_every_village(server, made):
    b = get(server.session("leader"), by="village", **RANGE)
    groups = {g["key"]: g for g in b["groups"]}
    assert len(groups) >= 12 and VILLAGE_A in groups and VILLAGE_B in groups
    assert figs(groups[VILLAGE_B]) == (3, 2, 1, 2) and groups[VILLAGE_B]["home_visits"] == 2
    assert figs(groups[VILLAGE_A]) == (1, 1, 0, 1)
    assert groups[VILLAGE_B]["name"] and "name_en" not in groups[VILLAGE_B]
    stored = sql(server, "SELECT count(*) FROM household WHERE village_code = ? AND retired_at IS NULL", VILLAGE_B)
    assert groups[VILLAGE_B]["households_total"] == stored[0][0] >= 2
    # the villages with no contact are there, with zeros: they are the ones behind
    assert sum(1 for g in groups.values() if g["contacts"] == 0) == len(groups) - 2
    assert cells(b)[("2027-06-01", VILLAGE_B)] == (1, 2, 1, 1)


def test_by_cadre(server, made):
    b = get(server.session("leader"), by="cadre", **RANGE)
    groups = {g["key"]: g for g in b["groups"]}
    assert figs(groups[str(made["admin"])]) == (4, 3, 1, 3)
    cadre_id = str(server.user_id("cadre"))
    assert cadre_id in groups and groups[cadre_id]["contacts"] == 0


def test_weeks_follow_shanghai_days(server, made):
    # 2027-05-31 is a Monday; c2 (Mon 23:30) and c3 (Tue 00:30) share its week
    b = get(server.session("leader"), interval="week", **{"from": "2027-05-31", "to": "2027-06-14"})
    assert [(p["start"], p["label"], p["contacts"]) for p in b["periods"]] == [
        ("2027-05-31", "2027-05-31", 2), ("2027-06-07", "2027-06-07", 1)]
    # a range that starts mid-week is clipped, labelled by the week's Monday
    b = get(server.session("leader"), interval="week", **{"from": "2027-06-01", "to": "2027-06-09"})
    assert [(p["start"], p["end"], p["label"]) for p in b["periods"]] == [
        ("2027-06-01", "2027-06-07", "2027-05-31"), ("2027-06-07", "2027-06-09", "2027-06-07")]
    assert b["totals"]["contacts"] == 1


def test_filters(server, made):
    leader = server.session("leader")
    assert figs(get(leader, method="home_visit", **RANGE)["totals"]) == (2, 2, 1, 2)
    b = get(leader, village=VILLAGE_B, by="village", **RANGE)
    assert [g["key"] for g in b["groups"]] == [VILLAGE_B] and figs(b["totals"]) == (3, 2, 1, 2)
    b = get(leader, village="440881104000", **RANGE)  # the town: its whole subtree
    assert b["totals"]["contacts"] == 4


def test_scope_cadre_sees_own_village(server, made):
    cadre = server.session("cadre")
    b = get(cadre, by="village", **RANGE)
    assert [g["key"] for g in b["groups"]] == [VILLAGE_A]
    assert figs(b["totals"]) == (1, 1, 0, 1)
    # another village is outside the cadre's scope: refused like one that does not exist
    p1 = problem(cadre.get(PATH, params={"village": VILLAGE_B}), 422, "request.invalid")
    p2 = problem(cadre.get(PATH, params={"village": "440881999999"}), 422, "request.invalid")
    assert [e["field"] for e in p1["errors"]] == [e["field"] for e in p2["errors"]] == ["village"]


def test_viewer_reads(server, made):
    b = get(server.session("viewer"), **RANGE)
    assert figs(b["totals"]) == (4, 3, 1, 3)


def test_signed_out(server):
    problem(server.client().get(PATH), 401)


@pytest.mark.parametrize("params, field", [
    ({"by": "household"}, "by"),
    ({"interval": "day"}, "interval"),
    ({"method": "fax"}, "method"),
    ({"from": "2027-13-01"}, "from"),
    ({"to": "tomorrow"}, "to"),
    ({"from": "2027-06-01", "to": "2027-06-01"}, "to"),
    ({"from": "2027-06-01", "to": "2027-05-01"}, "to"),
    ({"from": "2000-01-01", "to": "2027-01-01", "interval": "week"}, "from"),
])
def test_bad_parameters(server, params, field):
    p = problem(server.session("leader").get(PATH, params=params), 422, "request.invalid")
    assert field in [e["field"] for e in p["errors"]], p


def test_defaults_are_the_last_twelve_months(server, made):
    b = get(server.session("leader"))
    assert (b["by"], b["interval"]) == ("method", "month")
    assert len(b["periods"]) == 12
    assert b["periods"][-1]["label"] == "2027-06" and b["to"] == "2027-07-01"
    b = get(server.session("leader"), interval="week")
    assert len(b["periods"]) == 13 and b["to"] == "2027-06-21"  # the Monday after 2027-06-20


def test_demo_year_adds_up_and_is_fast(server):
    leader = server.session("leader")
    t = time.monotonic()
    b = get(leader, by="village", **{"from": "2026-01-01", "to": "2027-01-01"})
    elapsed = time.monotonic() - t
    stored = sql(server, "SELECT count(*) FROM contact WHERE started_at >= '2025-12-31T16:00:00Z'"
                 " AND started_at < '2026-12-31T16:00:00Z'")[0][0]
    assert b["totals"]["contacts"] == stored > 5000
    assert sum(g["contacts"] for g in b["groups"]) == stored
    assert sum(p["contacts"] for p in b["periods"]) == stored
    assert sum(it["contacts"] for it in b["items"]) == stored
    assert b["totals"]["households"] <= sum(g["households"] for g in b["groups"])
    assert elapsed < 5, elapsed  # about 0.05 s on an idle machine; generous for sanitizer builds
