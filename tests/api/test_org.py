"""Organisation: regions (codes, scope, move, retire, delete, the CSV import),
departments, village teams and their three fixed things, assignments
(stationing, household responsibility, "who was responsible on date D"),
the handover end to end with both inboxes, and scope: a cadre of village A
gets 404 for village B's records everywhere, lists included."""
import os
import sqlite3
import tempfile

import pytest

from conftest import (TOWN, VILLAGE_A, VILLAGE_B, create_user, list_all, problem, ready_user,
                      run_cli, start_server, unique)

_seq = [0]


def seq():
    _seq[0] += 1
    return _seq[0]


def add_household(server, village, region=None):
    """A household row straight into the server's database (the household
    service belongs to another module; this suite needs only the row)."""
    con = sqlite3.connect(server.db, timeout=30)
    try:
        with con:
            cur = con.execute(
                "INSERT INTO household(code, village_code, region_code, head_name, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
                ("%s%04d%d" % (village, seq(), os.getpid() % 1000), village, region or village,
                 "户主%d" % seq()))
            return cur.lastrowid
    finally:
        con.close()


def fields(body):
    return {e["field"] for e in body.get("errors") or []}


def new_village(admin, name=None):
    code = "440881104%03d" % (300 + seq())
    r = admin.post("/api/v1/regions", json={"code": code, "name": name or ("村" + code[-3:]),
                                            "level": "village", "parent_code": TOWN})
    assert r.status_code == 201, r.text
    return code


@pytest.fixture(scope="module")
def cadre_a(server):
    return server.session("cadre")  # the demo cadre: scope VILLAGE_A


@pytest.fixture(scope="module")
def cadre_b(server):
    admin = server.session("admin")
    c, u, _ = ready_user(server, admin, role="cadre", scope=VILLAGE_B)
    c.user = u
    return c


# ---------------------------------------------------------------- regions

def test_region_list_and_detail(server, admin):
    items = list_all(admin, "/api/v1/regions")
    codes = {r["code"] for r in items}
    assert {TOWN, VILLAGE_A, VILLAGE_B} <= codes, codes
    town = next(r for r in items if r["code"] == TOWN)
    assert town["level"] == "town" and town["children"] >= 2
    r = admin.get("/api/v1/regions/" + VILLAGE_A)
    assert r.status_code == 200, r.text
    v = r.json()
    assert v["level"] == "village" and v["parent_code"] == TOWN
    assert v["parent"]["code"] == TOWN
    assert [p["code"] for p in v["path"]] == [TOWN, VILLAGE_A]
    assert v["users"] >= 1 and isinstance(v["households"], int)
    assert isinstance(v["descendants"], dict)
    kids = list_all(admin, "/api/v1/regions", {"parent": TOWN})
    assert {VILLAGE_A, VILLAGE_B} <= {k["code"] for k in kids}
    assert all(k["parent_code"] == TOWN for k in kids)
    villages = list_all(admin, "/api/v1/regions", {"level": "村"})
    assert villages and all(k["level"] == "village" for k in villages)
    problem(admin.get("/api/v1/regions", params={"level": "hamlet"}), 422)
    problem(admin.get("/api/v1/regions/999999999999"), 404)
    # pagination over codes
    page = admin.get("/api/v1/regions", params={"parent": TOWN, "limit": 1}).json()
    assert len(page["items"]) == 1 and page["next_cursor"]


@pytest.mark.parametrize("body,status,field", [
    ({"code": "44088110421", "name": "短", "level": "village", "parent_code": TOWN}, 422, "code"),
    ({"code": "44088110421x", "name": "字母", "level": "village", "parent_code": TOWN}, 422, "code"),
    ({"code": "440881105299", "name": "别镇的", "level": "village", "parent_code": TOWN}, 422, "code"),
    ({"code": "440881104299", "name": "级别错", "level": "group", "parent_code": TOWN}, 422, "code"),
    ({"code": "440881106000", "name": "镇下镇", "level": "town", "parent_code": TOWN}, 422, "level"),
    ({"code": "440881104299", "name": "", "level": "village", "parent_code": TOWN}, 422, "name"),
    ({"code": "440881104299", "name": "无上级", "level": "village"}, 422, "parent_code"),
    ({"code": "440881104299", "name": "上级不存在", "level": "village", "parent_code": "440881999000"},
     422, "parent_code"),
    ({"code": "440881104299", "name": "未知级别", "level": "hamlet", "parent_code": TOWN}, 422, "level"),
])
def test_region_create_validation(server, admin, body, status, field):
    b = problem(admin.post("/api/v1/regions", json=body), status)
    assert field in fields(b), b


def test_region_create_rename_retire_delete(server, admin):
    code = new_village(admin, "新建村")
    problem(admin.post("/api/v1/regions", json={"code": code, "name": "重复", "level": "village",
                                                 "parent_code": TOWN}), 409, "region.exists")
    group = code + "001"
    r = admin.post("/api/v1/regions", json={"code": group, "name": "第一组", "level": "村民小组",
                                            "parent_code": code})
    assert r.status_code == 201, r.text
    assert r.headers["Location"].endswith("/api/v1/regions/" + group)
    assert r.json()["level"] == "group"
    r = admin.patch("/api/v1/regions/" + group, json={"name": "一组"})
    assert r.status_code == 200 and r.json()["name"] == "一组", r.text
    problem(admin.patch("/api/v1/regions/" + group, json={"name": ""}), 422)
    d = admin.get("/api/v1/regions/" + code).json()
    assert d["children"] == 1 and d["descendants"] == {"group": 1}
    problem(admin.post("/api/v1/regions/" + code + "/retire"), 409, "region.active_children")
    problem(admin.delete("/api/v1/regions/" + code), 409, "region.in_use")
    assert admin.delete("/api/v1/regions/" + group).status_code == 204
    problem(admin.get("/api/v1/regions/" + group), 404)
    r = admin.post("/api/v1/regions/" + code + "/retire")
    assert r.status_code == 200 and r.json()["retired"] is True and r.json()["retired_at"]
    assert code not in {x["code"] for x in list_all(admin, "/api/v1/regions", {"parent": TOWN})}
    assert code in {x["code"] for x in list_all(admin, "/api/v1/regions",
                                                {"parent": TOWN, "include_retired": "1"})}
    problem(admin.post("/api/v1/regions", json={"code": code + "002", "name": "新组", "level": "group",
                                                 "parent_code": code}), 409, "region.retired")
    # a region that records refer to is never deleted
    problem(admin.delete("/api/v1/regions/" + VILLAGE_A), 409, "region.in_use")
    # the audit log has it all
    rows = admin.get("/api/v1/audit", params={"entity": "region"}).json()["items"]
    acts = {(x["action"], x["entity_id"]) for x in rows}
    assert ("region.create", group) in acts and ("region.delete", group) in acts
    assert ("region.retire", code) in acts


def test_region_writes_need_admin(server):
    for role in ("leader", "cadre", "viewer"):
        c = server.session(role)
        problem(c.post("/api/v1/regions", json={"code": VILLAGE_A + "009", "name": "x", "level": "group",
                                                "parent_code": VILLAGE_A}), 403, "auth.forbidden")
        problem(c.patch("/api/v1/regions/" + VILLAGE_A, json={"name": "x"}), 403, "auth.forbidden")
        problem(c.post("/api/v1/regions/" + VILLAGE_A + "/retire"), 403, "auth.forbidden")
        problem(c.delete("/api/v1/regions/" + VILLAGE_A), 403, "auth.forbidden")
        assert c.get("/api/v1/regions/" + VILLAGE_A).status_code == 200


def test_region_scope_for_cadre(server, cadre_a):
    problem(cadre_a.get("/api/v1/regions/" + VILLAGE_B), 404)
    problem(cadre_a.get("/api/v1/regions/" + TOWN), 404)
    problem(cadre_a.get("/api/v1/regions", params={"parent": TOWN}), 404)
    mine = list_all(cadre_a, "/api/v1/regions")
    assert VILLAGE_A in {r["code"] for r in mine}
    assert all(r["code"].startswith(VILLAGE_A) for r in mine), mine
    villages = list_all(cadre_a, "/api/v1/regions", {"level": "village"})
    assert [r["code"] for r in villages] == [VILLAGE_A]
    # the path names the town the village belongs to
    assert [p["code"] for p in cadre_a.get("/api/v1/regions/" + VILLAGE_A).json()["path"]] == [TOWN, VILLAGE_A]


def test_region_move_into_own_subtree_refused(server, admin):
    code = new_village(admin)
    g = code + "001"
    assert admin.post("/api/v1/regions", json={"code": g, "name": "一组", "level": "group",
                                               "parent_code": code}).status_code == 201
    problem(admin.post("/api/v1/regions/" + code + "/move", json={"parent_code": g}), 409, "region.cycle")
    problem(admin.post("/api/v1/regions/" + TOWN + "/move", json={"parent_code": code}), 409, "region.cycle")
    b = problem(admin.post("/api/v1/regions/" + g + "/move", json={"parent_code": TOWN}), 422)
    assert "parent_code" in fields(b)
    # a group may move to another village: its path follows
    r = admin.post("/api/v1/regions/" + g + "/move", json={"parent_code": VILLAGE_B})
    assert r.status_code == 200, r.text
    assert [p["code"] for p in r.json()["path"]] == [TOWN, VILLAGE_B, g]


# ---------------------------------------------------------------- import and move (own server)

GOOD_CSV = """\ufeff统计用区划代码,名称,级别,上级代码
440881105201,石城村,村,440881105000
440881105000,石城镇,镇,440881000000
440881000000,廉江市,县级市,
440881104000,凤岭镇,镇,440881000000
440881105201001,第一村民小组,村民小组,440881105201
"""

BAD_CSV = """code,name,level,parent
440881106000,车板镇,镇,440881000000
440881106201,村一,hamlet,440881106000
440881107202,村二,村,440881106000
"""


def write(tmpdir, name, text):
    path = os.path.join(tmpdir, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def region_codes(server):
    con = sqlite3.connect(server.db, timeout=30)
    try:
        return {r[0] for r in con.execute("SELECT code FROM region")}
    finally:
        con.close()


@pytest.fixture(scope="module")
def county_server(request):
    s = start_server(request, name="county")
    return s


def test_import_regions_cli(county_server):
    with tempfile.TemporaryDirectory(prefix="zl-regions-") as tmp:
        import_regions_checks(county_server, tmp)


def import_regions_checks(s, tmp):
    good = write(tmp, "good.csv", GOOD_CSV)
    bad = write(tmp, "bad.csv", BAD_CSV)
    before = region_codes(s)

    p = run_cli("import", "regions", good, "--dry-run", "--db", s.db)
    assert p.returncode == 0, p.stderr
    assert "nothing was changed" in p.stdout
    assert region_codes(s) == before

    p = run_cli("import", "regions", good, "--db", s.db)
    assert p.returncode == 0, p.stderr
    assert "created 4" in p.stdout and "moved 1" in p.stdout, p.stdout
    after = region_codes(s)
    assert after - before == {"440881000000", "440881105000", "440881105201", "440881105201001"}

    admin = s.session("admin")
    audit_before = len(list_all(admin, "/api/v1/audit", {"entity": "region"}))
    p = run_cli("import", "regions", good, "--db", s.db)
    assert p.returncode == 0, p.stderr
    assert "unchanged 5" in p.stdout and "created 0" in p.stdout, p.stdout
    assert region_codes(s) == after
    assert len(list_all(admin, "/api/v1/audit", {"entity": "region"})) == audit_before

    p = run_cli("import", "regions", bad, "--db", s.db)
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert "row 3, column 3 (level):" in p.stderr, p.stderr
    assert "row 4, column 1 (code):" in p.stderr, p.stderr
    assert "row 2," not in p.stderr  # the good row is not blamed
    assert region_codes(s) == after  # nothing applied, not even the good first row

    p = run_cli("import", "regions", "--help")
    assert p.returncode == 0 and "usage: zhilian import regions" in p.stdout
    p = run_cli("import", "regions", os.path.join(tmp, "missing.csv"), "--db", s.db)
    assert p.returncode != 0 and "missing.csv" in p.stderr


def test_move_keeps_scoped_user_seeing_records(county_server):
    s = county_server
    if "440881105000" not in region_codes(s):
        test_import_regions_cli(s)  # when run on its own
    admin = s.session("admin")
    # a county administrator, made by the CLI (the town admin cannot see the county)
    boss = unique("boss")
    p = run_cli("user", "add", boss, "--role", "admin", "--scope", "440881000000", "--password",
                "County-Admin-2026", "--db", s.db)
    assert p.returncode == 0, p.stderr
    c = s.login(boss, "County-Admin-2026")
    assert c.post("/api/v1/session/password", json={"old_password": "County-Admin-2026",
                                                    "new_password": "County-Admin-2027"}).status_code == 204
    c.refresh()
    cb, ub, _ = ready_user(s, admin, role="cadre", scope=VILLAGE_B)
    hh = add_household(s, VILLAGE_B)
    assert admin.post("/api/v1/assignments/households", json={
        "household_id": hh, "user_id": ub["id"], "start_date": "2026-01-01"}).status_code == 201
    assert admin.put("/api/v1/villages/%s/teams/auxiliary" % VILLAGE_B,
                     json={"station_place": "石岭村委会"}).status_code == 200

    # the town admin cannot move a village to a town outside its scope
    b = problem(admin.post("/api/v1/regions/%s/move" % VILLAGE_B, json={"parent_code": "440881105000"}), 422)
    assert "parent_code" in fields(b)
    r = c.post("/api/v1/regions/%s/move" % VILLAGE_B, json={"parent_code": "440881105000"})
    assert r.status_code == 200, r.text
    assert [p["code"] for p in r.json()["path"]] == ["440881000000", "440881105000", VILLAGE_B]

    # the cadre scoped to the moved village still sees all of it
    assert cb.get("/api/v1/regions/" + VILLAGE_B).status_code == 200
    assert cb.get("/api/v1/villages/%s/teams" % VILLAGE_B).json()["auxiliary"]["station_place"] == "石岭村委会"
    rows = list_all(cb, "/api/v1/assignments/households", {"household_id": hh})
    assert [x["user_id"] for x in rows] == [ub["id"]]
    r = cb.get("/api/v1/assignments/responsible", params={"household_id": hh, "date": "2026-02-01"})
    assert r.status_code == 200 and r.json()["user_id"] == ub["id"]
    # the old town's leader and admin no longer do: it is in the other town now
    leader = s.session("leader")
    problem(leader.get("/api/v1/regions/" + VILLAGE_B), 404)
    problem(admin.get("/api/v1/assignments/responsible", params={"household_id": hh}), 404)
    assert VILLAGE_B not in {x["code"] for x in list_all(admin, "/api/v1/regions", {"parent": TOWN})}
    # the county admin sees both towns
    kids = {x["code"] for x in list_all(c, "/api/v1/regions", {"parent": "440881000000"})}
    assert kids == {TOWN, "440881105000"}
    # move it back
    assert c.post("/api/v1/regions/%s/move" % VILLAGE_B, json={"parent_code": TOWN}).status_code == 200
    assert leader.get("/api/v1/regions/" + VILLAGE_B).status_code == 200


# ---------------------------------------------------------------- departments

def test_department_crud(server, admin):
    leader_id = server.user_id("leader")
    r = admin.post("/api/v1/departments", json={"name": "党政办公室", "kind": "town_office",
                                                "region_code": TOWN, "head_user_id": leader_id,
                                                "phone": "0759 661 2345"})
    assert r.status_code == 201, r.text
    d = r.json()
    assert d["head"]["id"] == leader_id and d["phone"] == "0759-6612345" and d["retired"] is False
    loc = r.headers["Location"]
    assert loc.endswith("/api/v1/departments/%d" % d["id"])
    base = "/api/v1/departments/%d" % d["id"]
    r = admin.patch(base, json={"name": "党政综合办", "head_user_id": None})
    assert r.status_code == 200 and r.json()["name"] == "党政综合办" and r.json()["head"] is None, r.text

    cadre_id = server.user_id("cadre")
    r = admin.post(base + "/members", json={"user_id": cadre_id, "position": "干事", "start_date": "2026-01-05"})
    assert r.status_code == 201, r.text
    m = r.json()
    assert m["current"] is True and m["start_date"] == "2026-01-05"
    problem(admin.post(base + "/members", json={"user_id": cadre_id}), 409, "member.exists")
    problem(admin.post(base + "/members", json={"user_id": 999999}), 422)
    assert [x["user_id"] for x in admin.get(base + "/members").json()["items"]] == [cadre_id]
    b = problem(admin.patch(base + "/members/%d" % m["id"], json={"end_date": "2025-12-31"}), 422)
    assert "end_date" in fields(b)
    r = admin.patch(base + "/members/%d" % m["id"], json={"end_date": "2026-06-30"})
    assert r.status_code == 200 and r.json()["current"] is False, r.text
    problem(admin.patch(base + "/members/%d" % m["id"], json={"end_date": "2026-07-30"}), 409, "member.ended")
    assert admin.get(base + "/members").json()["items"] == []
    assert len(admin.get(base + "/members", params={"all": "1"}).json()["items"]) == 1
    # a new membership after the old one ended
    assert admin.post(base + "/members", json={"user_id": cadre_id}).status_code == 201

    r = admin.post(base + "/retire")
    assert r.status_code == 200 and r.json()["retired"] is True
    assert r.json()["member_count"] == 0  # memberships ended with it
    problem(admin.patch(base, json={"name": "x"}), 409, "department.retired")
    assert d["id"] not in {x["id"] for x in list_all(admin, "/api/v1/departments")}
    assert d["id"] in {x["id"] for x in list_all(admin, "/api/v1/departments", {"include_retired": "1"})}


@pytest.mark.parametrize("body,field", [
    ({"name": "", "kind": "other", "region_code": TOWN}, "name"),
    ({"name": "x", "kind": "ministry", "region_code": TOWN}, "kind"),
    ({"name": "x", "kind": "other"}, "region_code"),
    ({"name": "x", "kind": "other", "region_code": "999999999999"}, "region_code"),
    ({"name": "x", "kind": "other", "region_code": TOWN, "phone": "12345"}, "phone"),
    ({"name": "x", "kind": "other", "region_code": TOWN, "head_user_id": "two"}, "head_user_id"),
])
def test_department_validation(server, admin, body, field):
    b = problem(admin.post("/api/v1/departments", json=body), 422)
    assert field in fields(b), b


def test_department_roles_and_scope(server, admin, cadre_a):
    leader = server.session("leader")
    r = leader.post("/api/v1/departments", json={"name": "石岭村委会", "kind": "village_committee",
                                                 "region_code": VILLAGE_B})
    assert r.status_code == 201, r.text  # a leader writes in scope
    dept_b = r.json()["id"]
    dept_a = admin.post("/api/v1/departments", json={"name": "东坑村委会", "kind": "village_committee",
                                                     "region_code": VILLAGE_A}).json()["id"]
    for role in ("cadre", "viewer"):
        c = server.session(role)
        problem(c.post("/api/v1/departments", json={"name": "x", "kind": "other", "region_code": VILLAGE_A}),
                403, "auth.forbidden")
        problem(c.patch("/api/v1/departments/%d" % dept_a, json={"name": "x"}), 403, "auth.forbidden")
    problem(cadre_a.get("/api/v1/departments/%d" % dept_b), 404)
    problem(cadre_a.get("/api/v1/departments/%d/members" % dept_b), 404)
    ids = {x["id"] for x in list_all(cadre_a, "/api/v1/departments")}
    assert dept_a in ids and dept_b not in ids
    problem(cadre_a.get("/api/v1/departments", params={"region": VILLAGE_B}), 404)
    assert cadre_a.get("/api/v1/departments/%d" % dept_a).status_code == 200


# ---------------------------------------------------------------- teams

def test_teams_and_three_fixed_things(server, admin):
    village = new_village(admin)
    leader_id, cadre_id = server.user_id("leader"), server.user_id("cadre")
    base = "/api/v1/villages/%s/teams" % village
    t = admin.get(base).json()
    assert t["village"]["code"] == village
    assert t["station"]["id"] is None and t["station"]["members"] == [] and t["auxiliary"]["id"] is None

    fixed = {"leader_user_id": leader_id, "station_weekday": 3, "station_every_weeks": 1,
             "station_start": "08:30", "station_end": "12:00", "station_place": "村委会办公室"}
    problem(admin.put(base + "/station", json=dict(fixed, leader_user_id=cadre_id)), 422, "team.leader_role")
    for bad, field in ((dict(fixed, station_end="11:00"), "station_end"),
                       (dict(fixed, station_weekday=8), "station_weekday"),
                       (dict(fixed, station_every_weeks=3), "station_every_weeks"),
                       (dict(fixed, station_start="8:30"), "station_start"),
                       (dict(fixed, station_end="07:00"), "station_end")):
        assert field in fields(problem(admin.put(base + "/station", json=bad), 422)), bad
    problem(admin.put(base + "/elsewhere", json=fixed), 404)
    r = admin.put(base + "/station", json=fixed)
    assert r.status_code == 200, r.text
    st = r.json()
    assert st["leader"]["id"] == leader_id and st["station_weekday"] == 3
    assert (st["station_start"], st["station_end"], st["station_place"]) == ("08:30", "12:00", "村委会办公室")
    # every two weeks only for a remote village (偏远驻点)
    problem(admin.put(base + "/station", json=dict(fixed, station_every_weeks=2)), 422, "reception.not_remote")
    r = admin.put(base + "/station", json=dict(fixed, station_every_weeks=2, station_remote=True))
    assert r.status_code == 200, r.text
    assert r.json()["station_every_weeks"] == 2

    r = admin.post(base + "/station/members", json={"user_id": cadre_id, "team_role": "cadre"})
    assert r.status_code == 201, r.text
    assert r.json()["name"] and r.json()["user_id"] == cadre_id
    problem(admin.post(base + "/station/members", json={"user_id": cadre_id, "team_role": "cadre"}),
            409, "member.exists")
    r = admin.post(base + "/auxiliary/members", json={"name": "李律师", "team_role": "legal_adviser",
                                                      "phone": "138-0013-8000", "position": "法律顾问"})
    assert r.status_code == 201, r.text
    lawyer = r.json()
    assert lawyer["user_id"] is None and lawyer["phone"] == "13800138000"
    for bad, field in (({"name": "x", "team_role": "king"}, "team_role"),
                       ({"team_role": "volunteer"}, "name"),
                       ({"name": "x", "team_role": "volunteer", "phone": "110"}, "phone")):
        assert field in fields(problem(admin.post(base + "/auxiliary/members", json=bad), 422)), bad
    t = admin.get(base).json()
    assert [m["team_role"] for m in t["station"]["members"]] == ["cadre"]
    assert [m["name"] for m in t["auxiliary"]["members"]] == ["李律师"]

    r = admin.patch(base + "/auxiliary/members/%d" % lawyer["id"], json={"end_date": "2026-12-31"})
    assert r.status_code == 200 and r.json()["current"] is False, r.text
    problem(admin.patch(base + "/auxiliary/members/%d" % lawyer["id"], json={"end_date": "2027-01-31"}),
            409, "member.ended")
    problem(admin.patch(base + "/station/members/%d" % lawyer["id"], json={"position": "x"}), 404)
    assert admin.get(base).json()["auxiliary"]["members"] == []
    assert len(admin.get(base, params={"all": "1"}).json()["auxiliary"]["members"]) == 1
    # the audit keeps the phone masked
    rows = admin.get("/api/v1/audit", params={"entity": "team_member"}).json()["items"]
    texts = repr([x["after"] for x in rows if x["entity_id"] == str(lawyer["id"])])
    assert "13800138000" not in texts and "138****8000" in texts


def test_teams_roles_and_scope(server, admin, cadre_a):
    for role in ("cadre", "viewer"):
        c = server.session(role)
        problem(c.put("/api/v1/villages/%s/teams/station" % VILLAGE_A, json={}), 403, "auth.forbidden")
        problem(c.post("/api/v1/villages/%s/teams/station/members" % VILLAGE_A,
                       json={"name": "x", "team_role": "other"}), 403, "auth.forbidden")
    assert cadre_a.get("/api/v1/villages/%s/teams" % VILLAGE_A).status_code == 200
    problem(cadre_a.get("/api/v1/villages/%s/teams" % VILLAGE_B), 404)
    problem(admin.get("/api/v1/villages/%s/teams" % TOWN), 404)  # not a village
    leader = server.session("leader")
    assert leader.put("/api/v1/villages/%s/teams/auxiliary" % VILLAGE_A,
                      json={"station_place": "东坑村党群服务中心"}).status_code == 200


# ---------------------------------------------------------------- assignments

def test_station_assignments(server, admin, cadre_a, cadre_b):
    ca, ua, _ = ready_user(server, admin, role="cadre", scope=VILLAGE_A)
    cadre_id = ua["id"]
    village = VILLAGE_A
    r = admin.post("/api/v1/assignments/stations", json={"user_id": cadre_id, "village_code": village,
                                                          "start_date": "2026-01-01"})
    assert r.status_code == 201, r.text
    st = r.json()
    assert st["current"] is True and st["village_name"]
    assert r.headers["Location"].endswith("/api/v1/assignments/stations/%d" % st["id"])
    problem(admin.post("/api/v1/assignments/stations", json={"user_id": cadre_id, "village_code": village}),
            409, "assignment.exists")
    problem(admin.post("/api/v1/assignments/stations", json={"user_id": cadre_id, "village_code": VILLAGE_B}),
            422, "assignment.cadre_scope")
    problem(admin.post("/api/v1/assignments/stations", json={"user_id": server.user_id("viewer"),
                                                              "village_code": village}), 422, "assignment.not_cadre")
    b = problem(admin.post("/api/v1/assignments/stations", json={"user_id": cadre_id, "village_code": TOWN}), 422)
    assert "village_code" in fields(b)
    b = problem(admin.post("/api/v1/assignments/stations", json={"village_code": village}), 422)
    assert "user_id" in fields(b)
    problem(admin.post("/api/v1/assignments/stations", json={"user_id": cadre_id, "village_code": village,
                                                              "start_date": "2026-02-30"}), 422)
    # the cadre is told
    inbox = ca.get("/api/v1/notifications").json()["items"]
    assert [n["kind"] for n in inbox] == ["assignment.station"]
    assert inbox[0]["entity_id"] == str(st["id"])

    rb = admin.post("/api/v1/assignments/stations", json={"user_id": cadre_b.user["id"],
                                                           "village_code": VILLAGE_B, "start_date": "2026-01-01"})
    assert rb.status_code == 201, rb.text
    # scope: the cadre of A sees A's stationing only, by list and by id
    mine = list_all(cadre_a, "/api/v1/assignments/stations")
    assert st["id"] in {x["id"] for x in mine}
    assert all(x["village_code"] == VILLAGE_A for x in mine)
    problem(cadre_a.get("/api/v1/assignments/stations/%d" % rb.json()["id"]), 404)
    assert cadre_a.get("/api/v1/assignments/stations", params={"village_code": VILLAGE_B}).json()["items"] == []
    current = list_all(admin, "/api/v1/assignments/stations", {"user_id": cadre_id, "current": "1"})
    assert [x["id"] for x in current] == [st["id"]]

    problem(admin.post("/api/v1/assignments/stations/%d/end" % st["id"], json={"end_date": "2026-01-01"}),
            422, "assignment.dates")
    r = admin.post("/api/v1/assignments/stations/%d/end" % st["id"], json={"end_date": "2026-01-20"})
    assert r.status_code == 200 and r.json()["end_date"] == "2026-01-20", r.text
    problem(admin.post("/api/v1/assignments/stations/%d/end" % st["id"], json={}), 409, "assignment.ended")
    on = list_all(admin, "/api/v1/assignments/stations", {"user_id": cadre_id, "date": "2026-01-10"})
    assert st["id"] in {x["id"] for x in on}
    off = list_all(admin, "/api/v1/assignments/stations", {"user_id": cadre_id, "date": "2026-01-20"})
    assert st["id"] not in {x["id"] for x in off}
    # a new stationing may not reach back into the ended one
    problem(admin.post("/api/v1/assignments/stations", json={"user_id": cadre_id, "village_code": village,
                                                              "start_date": "2026-01-10"}), 422, "assignment.dates")
    r = admin.post("/api/v1/assignments/stations", json={"user_id": cadre_id, "village_code": village,
                                                          "start_date": "2026-02-01"})
    assert r.status_code == 201, r.text


def test_household_assignments_and_responsible(server, admin, cadre_a, cadre_b):
    leader = server.session("leader")
    cadre_id = server.user_id("cadre")
    hh = add_household(server, VILLAGE_A)
    hb = add_household(server, VILLAGE_B)
    r = leader.post("/api/v1/assignments/households", json={"household_id": hh, "user_id": cadre_id,
                                                             "start_date": "2026-01-01"})
    assert r.status_code == 201, r.text
    first = r.json()
    c2, u2, _ = ready_user(server, admin, role="cadre", scope=TOWN)
    r = leader.post("/api/v1/assignments/households", json={"household_id": hh, "user_id": u2["id"],
                                                             "start_date": "2026-03-01"})
    assert r.status_code == 201, r.text
    rows = list_all(admin, "/api/v1/assignments/households", {"household_id": hh})
    assert [(x["user_id"], x["start_date"], x["end_date"]) for x in rows] == [
        (cadre_id, "2026-01-01", "2026-03-01"), (u2["id"], "2026-03-01", None)]
    assert sum(1 for x in rows if x["current"]) == 1
    problem(leader.post("/api/v1/assignments/households", json={"household_id": hh, "user_id": u2["id"]}),
            409, "assignment.exists")
    problem(leader.post("/api/v1/assignments/households", json={"household_id": hh, "user_id": cadre_id,
                                                                 "start_date": "2026-02-01"}), 422, "assignment.dates")
    problem(leader.post("/api/v1/assignments/households", json={"household_id": hb, "user_id": cadre_id}),
            422, "assignment.cadre_scope")
    b = problem(leader.post("/api/v1/assignments/households", json={"household_id": 99999999,
                                                                     "user_id": cadre_id}), 422)
    assert "household_id" in fields(b)
    for role in ("cadre", "viewer"):
        problem(server.session(role).post("/api/v1/assignments/households",
                                          json={"household_id": hh, "user_id": cadre_id}), 403, "auth.forbidden")

    def who(day, client=admin):
        r = client.get("/api/v1/assignments/responsible", params={"household_id": hh, "date": day})
        assert r.status_code == 200, r.text
        return r.json()

    assert who("2025-12-31")["user_id"] is None
    assert who("2026-01-01")["user_id"] == cadre_id
    assert who("2026-02-28")["user_id"] == cadre_id
    w = who("2026-03-01")
    assert (w["user_id"], w["start_date"], w["end_date"]) == (u2["id"], "2026-03-01", None)
    assert w["user_name"] and w["assignment_id"] == rows[1]["id"]
    problem(admin.get("/api/v1/assignments/responsible", params={"household_id": hh, "date": "yesterday"}), 422)
    problem(admin.get("/api/v1/assignments/responsible"), 422)

    # a cadre of village B sees nothing of A's household, anywhere
    problem(cadre_b.get("/api/v1/assignments/responsible", params={"household_id": hh}), 404)
    problem(cadre_b.get("/api/v1/assignments/households/%d" % first["id"]), 404)
    assert cadre_b.get("/api/v1/assignments/households", params={"household_id": hh}).json()["items"] == []
    assert all(x["village_code"] == VILLAGE_B for x in list_all(cadre_b, "/api/v1/assignments/households"))
    problem(cadre_b.get("/api/v1/users/%d/assignments" % cadre_id), 404)
    # and the cadre of A reads the household's whole history
    assert len(list_all(cadre_a, "/api/v1/assignments/households", {"household_id": hh})) == 2
    ua = cadre_a.get("/api/v1/users/%d/assignments" % cadre_id)
    assert ua.status_code == 200, ua.text
    assert hh in {x["household_id"] for x in ua.json()["households"]}
    assert all(x["current"] is False for x in ua.json()["households"] if x["household_id"] == hh)


# ---------------------------------------------------------------- handover

def test_handover_end_to_end(server, admin):
    leader = server.session("leader")
    cx, ux, _ = ready_user(server, admin, role="cadre", scope=TOWN)
    cy, uy, _ = ready_user(server, admin, role="cadre", scope=VILLAGE_A)
    village = new_village(admin)
    h1, h2 = add_household(server, VILLAGE_A), add_household(server, VILLAGE_A)
    h3 = add_household(server, village)
    for v in (VILLAGE_A, village):
        assert admin.post("/api/v1/assignments/stations", json={"user_id": ux["id"], "village_code": v,
                                                                 "start_date": "2026-01-01"}).status_code == 201
    for h in (h1, h2, h3):
        assert admin.post("/api/v1/assignments/households", json={"household_id": h, "user_id": ux["id"],
                                                                   "start_date": "2026-01-01"}).status_code == 201

    body = {"from_user_id": ux["id"], "to_user_id": uy["id"], "effective_date": "2026-02-01", "note": "轮岗"}
    for role in ("cadre", "viewer"):
        problem(server.session(role).post("/api/v1/assignments/handover", json=body), 403, "auth.forbidden")
    problem(leader.post("/api/v1/assignments/handover", json=dict(body, to_user_id=ux["id"])),
            422, "handover.same_user")
    # y's scope is village A only: the new village cannot be handed to y
    problem(leader.post("/api/v1/assignments/handover", json=body), 422, "assignment.cadre_scope")
    problem(leader.post("/api/v1/assignments/handover", json=dict(body, household_ids=[h1, 99999999])),
            422, "handover.not_held")
    b = problem(leader.post("/api/v1/assignments/handover", json=dict(body, effective_date="2026-13-01")), 422)
    assert "effective_date" in fields(b)
    assert list_all(admin, "/api/v1/handovers", {"user_id": ux["id"]}) == []

    r = leader.post("/api/v1/assignments/handover", json=dict(body, village_codes=[VILLAGE_A]))
    assert r.status_code == 201, r.text
    ho = r.json()
    assert r.headers["Location"].endswith("/api/v1/handovers/%d" % ho["id"])
    assert ho["from_user"]["id"] == ux["id"] and ho["to_user"]["id"] == uy["id"]
    assert ho["effective_date"] == "2026-02-01" and ho["whole_scope"] is False and ho["note"] == "轮岗"
    s = ho["summary"]
    assert s["stations"]["count"] == 1 and s["stations"]["villages"] == [VILLAGE_A]
    assert s["households"]["count"] == 2 and sorted(s["households"]["ids"]) == sorted([h1, h2])

    # nothing deleted: the old rows end, the new ones carry the handover
    rows = list_all(admin, "/api/v1/assignments/households", {"household_id": h1})
    assert [(x["user_id"], x["end_date"], x["handover_id"]) for x in rows] == [
        (ux["id"], "2026-02-01", None), (uy["id"], None, ho["id"])]
    assert list_all(admin, "/api/v1/assignments/households", {"household_id": h3})[0]["user_id"] == ux["id"]
    st = list_all(admin, "/api/v1/assignments/stations", {"user_id": uy["id"]})
    assert [(x["village_code"], x["handover_id"]) for x in st] == [(VILLAGE_A, ho["id"])]
    for day, who in (("2026-01-31", ux["id"]), ("2026-02-01", uy["id"])):
        r = admin.get("/api/v1/assignments/responsible", params={"household_id": h1, "date": day})
        assert r.json()["user_id"] == who, (day, r.text)
    assert admin.get("/api/v1/assignments/responsible",
                     params={"household_id": h1, "date": "2026-02-01"}).json()["handover_id"] == ho["id"]

    # the new cadre reads the predecessor's rows of the households now theirs
    mine = list_all(cy, "/api/v1/assignments/households", {"household_id": h1})
    assert {x["user_id"] for x in mine} == {ux["id"], uy["id"]}
    assert cy.get("/api/v1/handovers/%d" % ho["id"]).status_code == 200

    # both inboxes
    iy = cy.get("/api/v1/notifications", params={"unread": "1"}).json()
    assert iy["unread_count"] >= 1
    nin = next(n for n in iy["items"] if n["kind"] == "handover.in")
    assert nin["entity"] == "handover" and nin["entity_id"] == str(ho["id"]) and nin["read"] is False
    assert nin["title"] == nin["title_zh"]
    ix = cx.get("/api/v1/notifications").json()["items"]
    assert any(n["kind"] == "handover.out" and n["entity_id"] == str(ho["id"]) for n in ix)
    r = cy.post("/api/v1/notifications/%d/read" % nin["id"])
    assert r.status_code == 200 and r.json()["read"] is True and r.json()["read_at"]
    assert nin["id"] not in {n["id"] for n in cy.get("/api/v1/notifications", params={"unread": "1"}).json()["items"]}
    problem(cx.post("/api/v1/notifications/%d/read" % nin["id"]), 404)  # not x's
    en = cy.get("/api/v1/notifications", headers={"Accept-Language": "en"}).json()["items"]
    assert next(n for n in en if n["id"] == nin["id"])["title"] == nin["title_en"]

    # the rest in one go: whole scope
    r = admin.post("/api/v1/assignments/handover", json={"from_user_id": ux["id"], "to_user_id":
                                                          server.user_id("leader"), "effective_date": "2026-03-01"})
    assert r.status_code == 201, r.text
    s2 = r.json()["summary"]
    assert r.json()["whole_scope"] is True
    assert (s2["stations"]["count"], s2["households"]["count"]) == (1, 1)
    assert s2["households"]["ids"] == [h3]
    hs = list_all(admin, "/api/v1/handovers", {"user_id": ux["id"]})
    assert [x["id"] for x in hs] == [r.json()["id"], ho["id"]]  # newest first
    problem(cy.get("/api/v1/handovers/%d" % r.json()["id"]), 404)  # neither party is in y's scope
    audit = admin.get("/api/v1/audit", params={"entity": "handover"}).json()["items"]
    assert str(ho["id"]) in {x["entity_id"] for x in audit}


def test_notifications_paging(server, admin):
    c, u, _ = ready_user(server, admin, role="cadre", scope=TOWN)
    villages = [new_village(admin) for _ in range(3)]
    for v in villages:
        assert admin.post("/api/v1/assignments/stations", json={"user_id": u["id"], "village_code": v,
                                                                 "start_date": "2026-01-01"}).status_code == 201
    items = list_all(c, "/api/v1/notifications", limit=2)
    assert len(items) == 3
    ids = [n["id"] for n in items]
    assert ids == sorted(ids, reverse=True)
    problem(c.get("/api/v1/notifications", params={"unread": "maybe"}), 422)


# ---------------------------------------------------------------- users' phone and position

def test_user_phone_and_position(server, admin):
    u = create_user(admin, role="cadre", scope=VILLAGE_A)
    assert u["phone"] is None and u["position"] is None
    r = admin.patch("/api/v1/users/%d" % u["id"], json={"phone": "+86 139-0013-9000", "position": "驻点干部"})
    assert r.status_code == 200, r.text
    assert (r.json()["phone"], r.json()["position"]) == ("13900139000", "驻点干部")
    assert admin.get("/api/v1/users/%d" % u["id"]).json()["phone"] == "13900139000"
    for bad, field in (({"phone": "139001390"}, "phone"), ({"phone": 13900139000}, "phone"),
                       ({"position": ""}, "position"), ({"position": "长" * 65}, "position")):
        assert field in fields(problem(admin.patch("/api/v1/users/%d" % u["id"], json=bad), 422)), bad
    r = admin.patch("/api/v1/users/%d" % u["id"], json={"phone": None})
    assert r.status_code == 200 and r.json()["phone"] is None and r.json()["position"] == "驻点干部"
    name = unique("ph")
    r = admin.post("/api/v1/users", json={"username": name, "display_name": "有电话", "role": "cadre",
                                          "scope_code": VILLAGE_A, "password": "Phone-Pass-2026",
                                          "phone": "0759-6612345", "position": "党政办主任"})
    assert r.status_code == 201, r.text
    assert (r.json()["phone"], r.json()["position"]) == ("0759-6612345", "党政办主任")
    b = problem(admin.post("/api/v1/users", json={"username": unique("ph"), "display_name": "x", "role": "cadre",
                                                  "scope_code": VILLAGE_A, "password": "Phone-Pass-2026",
                                                  "phone": "call me"}), 422)
    assert "phone" in fields(b)
    # the audit log keeps phones masked
    rows = list_all(admin, "/api/v1/audit", {"entity": "user"})
    text = repr([(x["before"], x["after"]) for x in rows if x["entity_id"] in (str(u["id"]), str(r.json()["id"]))])
    assert "13900139000" not in text and "139****9000" in text
    assert "0759-6612345" not in text and "0759-***2345" in text
    # the team list shows the user's phone and position
    v = new_village(admin)
    m = admin.post("/api/v1/villages/%s/teams/station/members" % v,
                   json={"user_id": r.json()["id"], "team_role": "department_head"}).json()
    assert m["phone"] == "0759-6612345"
