"""Issues raised in contacts (联系记录 → 诉求): one action turns an open issue
into an appeal (channel 'contact', the contact's village and household,
contact_issue_id set; the issue converted with its appeal id; a second try is
a 409 naming the appeal), closing with a reason, the list of open issues in
scope; bad input, viewer 403, out-of-scope 404, audit rows."""
import datetime
import sqlite3

import pytest

from conftest import VILLAGE_A, VILLAGE_B, list_all, problem, ready_user, unique

ISSUES = "/api/v1/contact-issues"


def sql(server, query, *args):
    con = sqlite3.connect(server.db, timeout=30)
    try:
        return con.execute(query, args).fetchall()
    finally:
        con.close()


def now(server):
    return server.clock(advance="PT1S")


def shift(t, **kw):
    return (datetime.datetime.fromisoformat(t) + datetime.timedelta(**kw)).isoformat()


@pytest.fixture(scope="module")
def cadre(server):
    return server.token_client("cadre")


@pytest.fixture(scope="module")
def leader(server):
    return server.token_client("leader")


@pytest.fixture(scope="module")
def viewer(server):
    return server.login("viewer")


@pytest.fixture(scope="module")
def household(server, cadre):
    """A household of village A the demo cadre looks after."""
    return sql(server, "SELECT household_id FROM household_assignment WHERE user_id = ? AND end_date IS NULL"
                       " ORDER BY household_id LIMIT 1", cadre.user["id"])[0][0]


def contact_with_issues(server, client, households=(), village=VILLAGE_A, issues=None):
    b = {"method": "home_visit", "started_at": shift(now(server), minutes=-30), "duration_min": 30,
         "summary": "了解近况", "issues": issues or [unique("村口路灯不亮") + "\n晚上看不见"]}
    if households:
        b["households"] = list(households)
    else:
        b["village_code"] = village
        b["method"] = "reception_day"
    r = client.post("/api/v1/contacts", json=b)
    assert r.status_code == 201, r.text
    c = client.get("/api/v1/contacts/%d" % r.json()["id"]).json()
    return c["id"], [i["id"] for i in c["issues"]], c


def convert_path(cid, iid):
    return "/api/v1/contacts/%d/issues/%d/appeal" % (cid, iid)


def close_path(cid, iid):
    return "/api/v1/contacts/%d/issues/%d/close" % (cid, iid)


def test_issue_becomes_an_appeal_in_one_action(server, cadre, household):
    cid, (iid,), contact = contact_with_issues(server, cadre, [household])
    text = contact["issues"][0]["text"]
    r = cadre.post(convert_path(cid, iid), json={"category_id": 1, "urgency": "urgent"})
    assert r.status_code == 201, r.text
    body = r.json()
    appeal, issue = body["appeal"], body["issue"]
    assert r.headers["Location"] == "/api/v1/appeals/%d" % appeal["id"]
    assert appeal["channel"] == "contact" and appeal["contact_issue_id"] == iid
    assert appeal["village"]["code"] == VILLAGE_A and appeal["household_id"] == household
    assert appeal["state"] == "submitted" and appeal["urgency"] == "urgent"
    # the issue text is the default title and description (line breaks made spaces)
    assert appeal["title"] == text.replace("\n", " ") and appeal["description"] == text.replace("\n", " ")
    assert issue["status"] == "converted" and issue["appeal_id"] == appeal["id"] and issue["contact_id"] == cid
    # the contact shows it, the appeal reads back, both in the database
    g = cadre.get("/api/v1/contacts/%d" % cid).json()
    assert g["issues"][0]["status"] == "converted" and g["issues"][0]["appeal_id"] == appeal["id"]
    assert cadre.get("/api/v1/appeals/%d" % appeal["id"]).json()["contact_issue_id"] == iid
    assert sql(server, "SELECT status, appeal_id FROM contact_issue WHERE id = ?", iid) == [("converted", appeal["id"])]
    rows = sql(server, "SELECT user_id, after_json FROM audit_log WHERE action = 'contact_issue.convert'"
                       " AND entity_id = ?", str(iid))
    assert len(rows) == 1 and rows[0][0] == cadre.user["id"] and text not in rows[0][1]
    # converting twice: 409 naming the appeal, nothing new made
    n = sql(server, "SELECT COUNT(*) FROM appeal")[0][0]
    p = problem(cadre.post(convert_path(cid, iid), json={"category_id": 1}), 409, "contact_issue.converted")
    assert p["appeal_id"] == appeal["id"]
    assert sql(server, "SELECT COUNT(*) FROM appeal")[0][0] == n
    # and a converted issue cannot be closed
    p = problem(cadre.post(close_path(cid, iid), json={"reason": "已解决"}), 409, "contact_issue.converted")
    assert p["appeal_id"] == appeal["id"]


def test_title_household_and_consent_given(server, cadre, household):
    cid, (iid,), _ = contact_with_issues(server, cadre, [household])
    r = cadre.post(convert_path(cid, iid), json={"category_id": 2, "title": "自来水水压低", "description": "三楼没水",
                                                 "household_id": household, "public_consent": True})
    assert r.status_code == 201, r.text
    a = r.json()["appeal"]
    assert a["title"] == "自来水水压低" and a["description"] == "三楼没水" and a["public_consent"] is True


def test_contact_without_household_gives_appeal_of_the_village(server, cadre):
    cid, (iid,), _ = contact_with_issues(server, cadre)
    r = cadre.post(convert_path(cid, iid), json={"category_id": 1})
    assert r.status_code == 201, r.text
    assert r.json()["appeal"]["household_id"] is None and r.json()["appeal"]["village"]["code"] == VILLAGE_A


@pytest.mark.parametrize("b, field", [
    ({}, "category_id"),
    ({"category_id": "x"}, "category_id"),
    ({"category_id": 99999}, "category_id"),
    ({"category_id": 1, "urgency": "someday"}, "urgency"),
    ({"category_id": 1, "title": ""}, "title"),
    ({"category_id": 1, "household_id": 99999999}, "household_id"),
    ({"category_id": 1, "household_id": "1"}, "household_id"),
    ({"category_id": 1, "public_consent": "yes"}, "public_consent"),
])
def test_convert_bad_input(server, cadre, household, b, field):
    cid, (iid,), _ = contact_with_issues(server, cadre, [household])
    p = problem(cadre.post(convert_path(cid, iid), json=b), 422)
    assert field in [e["field"] for e in p["errors"]], p
    assert sql(server, "SELECT status FROM contact_issue WHERE id = ?", iid) == [("open",)]


def test_not_json_and_unknown_ids(server, cadre):
    cid, (iid,), _ = contact_with_issues(server, cadre)
    other, (oiid,), _ = contact_with_issues(server, cadre)
    assert cadre.post(convert_path(cid, iid), data="x", headers={"Content-Type": "application/json"}).status_code == 400
    problem(cadre.post(convert_path(cid, oiid), json={"category_id": 1}), 404)  # issue of another contact
    problem(cadre.post(convert_path(cid, 99999999), json={"category_id": 1}), 404)
    problem(cadre.post(close_path(99999999, iid), json={"reason": "x"}), 404)


def test_close_with_a_reason(server, cadre):
    cid, (iid, iid2), _ = contact_with_issues(server, cadre, issues=["狗叫扰民", "想咨询医保"])
    p = problem(cadre.post(close_path(cid, iid), json={}), 422)
    assert [e["field"] for e in p["errors"]] == ["reason"]
    problem(cadre.post(close_path(cid, iid), json={"reason": "x" * 501}), 422)
    r = cadre.post(close_path(cid, iid), json={"reason": "当场解释清楚，群众满意"})
    assert r.status_code == 200, r.text
    i = r.json()
    assert i["status"] == "closed" and i["close_reason"] == "当场解释清楚，群众满意"
    assert i["closed_by"]["id"] == cadre.user["id"] and i["closed_at"] and i["appeal_id"] is None
    problem(cadre.post(close_path(cid, iid), json={"reason": "again"}), 409, "contact_issue.closed")
    problem(cadre.post(convert_path(cid, iid), json={"category_id": 1}), 409, "contact_issue.closed")
    assert sql(server, "SELECT COUNT(*) FROM audit_log WHERE action = 'contact_issue.close' AND entity_id = ?",
               str(iid))[0][0] == 1
    # the other issue of the contact is untouched
    assert sql(server, "SELECT status FROM contact_issue WHERE id = ?", iid2) == [("open",)]


def test_viewer_reads_but_may_not_change(server, cadre, viewer):
    cid, (iid,), _ = contact_with_issues(server, cadre)
    problem(viewer.post(convert_path(cid, iid), json={"category_id": 1}), 403)
    problem(viewer.post(close_path(cid, iid), json={"reason": "x"}), 403)
    ids = [i["id"] for i in list_all(viewer, ISSUES, {"village": VILLAGE_A})]
    assert iid in ids


def test_list_open_issues_in_scope(server, cadre, leader, admin):
    cid, (iid,), _ = contact_with_issues(server, cadre)
    items = list_all(cadre, ISSUES, {"village": VILLAGE_A, "status": "open"}, limit=2)
    mine = [i for i in items if i["id"] == iid]
    assert len(mine) == 1 and all(i["status"] == "open" and i["village"]["code"] == VILLAGE_A for i in items)
    assert mine[0]["raised_by"]["id"] == cadre.user["id"] and mine[0]["contact_id"] == cid
    ids = [i["id"] for i in items]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids)
    closed = list_all(leader, ISSUES, {"status": "closed"})
    assert all(i["status"] == "closed" for i in closed)
    problem(cadre.get(ISSUES, params={"status": "done"}), 422)
    # a cadre of village B sees none of village A's issues and cannot touch them
    b, _, _ = ready_user(server, admin, role="cadre", scope=VILLAGE_B)
    assert [i for i in list_all(b, ISSUES) if i["village"]["code"] != VILLAGE_B] == []
    assert list_all(b, ISSUES, {"village": VILLAGE_A}) == []
    problem(b.post(convert_path(cid, iid), json={"category_id": 1}), 404)
    problem(b.post(close_path(cid, iid), json={"reason": "x"}), 404)
    assert sql(server, "SELECT status FROM contact_issue WHERE id = ?", iid) == [("open",)]
