"""Household import and export, black-box: the dry run's row report (every
kind of bad row, nothing written), a real run's one transaction, GBK files,
idempotent re-import, skip_bad, scope, progress polled while an import runs,
CSV/XLSX export (BOM, masks, reveal audited, re-import of an export), the
CLI, and who may do what. Test files are made here with Python's csv and
codecs modules (GBK included), not committed as binaries.
"""
import codecs
import csv
import datetime
import io
import os
import sqlite3
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import (BIN, REPO, TOWN, VILLAGE_A, VILLAGE_B, list_all, problem, run_cli, unique)

IMPORT = "/api/v1/households/import"
EXPORT = "/api/v1/households/export"
HEADER = ["户编号", "村代码", "村民小组", "地址", "姓名", "与户主关系", "身份证号", "联系电话",
          "性别", "出生日期", "职业", "标签", "备注", "成员备注", "经度", "纬度"]
KEYS = ["household_code", "village_code", "group_code", "address", "name", "relation", "id_number",
        "phone", "sex", "birth_date", "occupation", "tags", "notes", "remarks", "lng", "lat"]
GROUP_A = VILLAGE_A + "001"
XVILLAGE = "440881104297"  # a village of this module only, for exact exports

_W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_C = "10X98765432"
_serial = [0]


def id_number(birth=None, male=True):
    """A fresh valid GB 11643 ID number (and its birth date and sex)."""
    _serial[0] += 1
    n = _serial[0] + os.getpid() % 997 * 131
    if birth is None:
        birth = datetime.date(1940, 1, 1) + datetime.timedelta(days=n % 25000)
    body = "440881%s%02d%d" % (birth.strftime("%Y%m%d"), n % 100, (n // 100 % 5) * 2 + (1 if male else 0))
    return body + _C[sum(int(a) * w for a, w in zip(body, _W)) % 11], birth.isoformat(), "M" if male else "F"


def mobile():
    _serial[0] += 1
    return "139%08d" % ((_serial[0] * 7919 + os.getpid()) % 10 ** 8)


def row(**kw):
    """A row of the layout; keyword names are the English column keys."""
    d = dict.fromkeys(KEYS, "")
    d.update({k: str(v) for k, v in kw.items()})
    return [d[k] for k in KEYS]


def csv_bytes(rows, encoding="utf-8-sig", header=HEADER):
    s = io.StringIO()
    w = csv.writer(s, lineterminator="\r\n")
    w.writerow(header)
    w.writerows(rows)
    return codecs.encode(s.getvalue(), encoding)


def household(code, village=VILLAGE_A, members=3, **head):
    """Rows of one good household: a head and members-1 others."""
    hid, birth, _ = id_number(male=True)
    base = dict(household_code=code, village_code=village, address="%s号" % code, name="陈" + code[-3:],
                relation="户主", id_number=hid, phone=mobile(), sex="男", birth_date=birth,
                occupation="农民", tags="低保户、留守老人", notes="说明, 有逗号")
    base.update(head)
    rows = [row(**base)]
    rels = ["配偶", "子女", "父母", "孙子女"]
    for i in range(members - 1):
        mid, mbirth, _ = id_number(male=False)
        rows.append(row(household_code=code, name="李%s%d" % (code[-2:], i), relation=rels[i % len(rels)],
                        id_number=mid, sex="女", remarks="成员 %d" % i))
    return rows


def post_import(client, body, ctype="text/csv", **params):
    return client.post(IMPORT, params=params, data=body, headers={"Content-Type": ctype})


def db_count(server, sql, *args):
    con = sqlite3.connect(server.db, timeout=10)
    try:
        return con.execute(sql, args).fetchone()[0]
    finally:
        con.close()


def households_total(server):
    return db_count(server, "SELECT count(*) FROM household")


def kinds(body):
    return {(e["row"], e["field"], e["kind"]) for e in body["errors"]}


def ensure_region(admin, code, name, level, parent):
    if admin.get("/api/v1/regions/" + code).status_code == 200:
        return
    r = admin.post("/api/v1/regions", json={"code": code, "name": name, "level": level, "parent_code": parent})
    assert r.status_code == 201, r.text


@pytest.fixture(scope="module", autouse=True)
def regions(server):
    admin = server.session("admin")
    ensure_region(admin, GROUP_A, "一组", "group", VILLAGE_A)
    ensure_region(admin, XVILLAGE, "导出村", "village", TOWN)


def code(prefix="H"):
    return unique(prefix).upper()[-20:]


# ---------------------------------------------------------------- dry run

def bad_file():
    """A file with one good household and every kind of bad row; returns
    (bytes, {(row, field, kind)} expected, good code)."""
    good = code("G")
    dup, _, _ = id_number()
    male, _, _ = id_number(male=True)
    wrong_check = dup[:17] + ("0" if dup[17] != "0" else "1")
    bad_birth = "440881" + "19701345" + "123"
    bad_birth += _C[sum(int(a) * w for a, w in zip(bad_birth, _W)) % 11]
    c = [code("B") for _ in range(20)]
    rows = household(good, members=2)                                                    # rows 2-3
    rows += [row(household_code=c[0], village_code=VILLAGE_A, relation="户主")]            # 4 name missing
    rows += [row(household_code=c[1], village_code="440881199999", name="甲", relation="户主")]  # 5
    rows += [row(household_code=c[2], village_code=VILLAGE_A, group_code="九组", name="乙", relation="户主")]  # 6
    rows += [row(household_code=c[3], village_code=VILLAGE_A, name="丙", relation="户主", id_number=wrong_check)]  # 7
    rows += [row(household_code=c[4], village_code=VILLAGE_A, name="丁", relation="户主", id_number=bad_birth)]  # 8
    rows += [row(household_code=c[5], village_code=VILLAGE_A, name="戊", relation="户主", id_number=male, sex="女")]  # 9
    rows += [row(household_code=c[6], village_code=VILLAGE_A, name="己", relation="户主", phone="12345")]  # 10
    rows += [row(household_code=c[7], village_code=VILLAGE_A, name="庚", relation="户主", birth_date="1980-02-30")]  # 11
    rows += [row(household_code=c[8], village_code=VILLAGE_A, name="辛", relation="户主", lng="200", lat="20")]  # 12
    rows += [row(household_code=c[9], village_code=VILLAGE_A, name="壬", relation="户主", tags="低保户、富豪")]  # 13
    rows += [row(household_code=c[10], village_code=VILLAGE_A, name="癸", relation="户主"),  # 14
             row(household_code=c[10], village_code=VILLAGE_A, name="子", relation="户主")]  # 15 two heads
    rows += [row(household_code=c[11], village_code=VILLAGE_A, name="丑", relation="配偶")]  # 16 no head
    rows += [row(household_code=c[12], village_code=VILLAGE_A, name="寅", relation="户主", id_number=dup),  # 17
             row(household_code=c[13], village_code=VILLAGE_A, name="卯", relation="户主", id_number=dup)]  # 18 same ID
    rows += [row(household_code=c[14], village_code=VILLAGE_A, name="辰", relation="户主", address="一号"),  # 19
             row(household_code=c[14], name="巳", relation="子女", address="二号")]  # 20 conflict
    rows += [row(household_code=c[15], village_code=VILLAGE_A, name="午" * 60, relation="户主")]  # 21 too long
    rows += [row(household_code=c[16], village_code=VILLAGE_A, name="未", relation="表叔")]  # 22 relation
    rows += [[c[17], VILLAGE_A, "x"]]  # 23 column count
    rows += [row(household_code=c[18], village_code=VILLAGE_A, name="申", relation="户主", id_number="4.40881E+17")]  # 24
    expected = {
        (4, "name", "required"), (5, "village_code", "village"), (6, "group_code", "group"),
        (7, "id_number", "id_check"), (8, "id_number", "id_birth"), (9, "sex", "id_sex"),
        (10, "phone", "mobile"), (11, "birth_date", "date"), (12, "lng", "coords"), (13, "tags", "tag"),
        (15, "relation", "head_many"), (16, "relation", "head_none"), (18, "id_number", "duplicate_id"),
        (20, "address", "conflict"), (21, "name", "too_long"), (22, "relation", "relation"),
        (23, "", "columns"), (24, "id_number", "excel_number"),
    }
    return csv_bytes(rows), expected, good


def test_dry_run_reports_every_bad_row_and_writes_nothing(server, admin):
    body, expected, good = bad_file()
    before = households_total(server)
    audits = db_count(server, "SELECT count(*) FROM audit_log WHERE action = 'household.import'")
    r = post_import(admin, body, dry_run=1)
    assert r.status_code == 200, r.text
    res = r.json()
    assert res["dry_run"] is True and res["applied"] is False
    assert expected <= kinds(res), sorted(expected - kinds(res))
    assert len({k for _, _, k in expected}) >= 15
    for e in res["errors"]:
        assert e["zh"] and e["en"] and e["message"] == e["zh"]
        assert e["row"] >= 1
    # a column the file names the way it is written, in Chinese here
    assert any(e["column"] == "身份证号" for e in res["errors"])
    assert res["rows"] == 23 and res["created"] == 2 and res["bad_rows"] == 18  # good and c[12]
    assert [i for i in res["items"] if i["code"] == good][0]["action"] == "created"
    assert households_total(server) == before
    assert db_count(server, "SELECT count(*) FROM household WHERE code = ?", good) == 0
    assert db_count(server, "SELECT count(*) FROM audit_log WHERE action = 'household.import'") == audits
    # English messages on request
    r = admin.post(IMPORT, params={"dry_run": 1}, data=body,
                   headers={"Content-Type": "text/csv", "Accept-Language": "en"})
    assert all(e["message"] == e["en"] for e in r.json()["errors"])


def test_real_run_with_bad_rows_writes_nothing(server, admin):
    body, expected, good = bad_file()
    before = households_total(server)
    r = post_import(admin, body)
    p = problem(r, 422, "import.bad_rows")
    assert expected <= kinds(p)
    assert all("field" in e and "message" in e for e in p["errors"])
    assert p["applied"] is False
    assert households_total(server) == before
    assert db_count(server, "SELECT count(*) FROM household WHERE code = ?", good) == 0


# ---------------------------------------------------------------- applying

def test_import_then_reimport_changes_nothing(server, admin):
    codes = [code("R") for _ in range(3)]
    rows = []
    for c in codes:
        rows += household(c)
    rows[0][KEYS.index("group_code")] = GROUP_A
    body = csv_bytes(rows)
    before = households_total(server)
    audits = db_count(server, "SELECT count(*) FROM audit_log WHERE action = 'household.import'")
    r = post_import(admin, body)
    assert r.status_code == 200, r.text
    res = r.json()
    assert res["applied"] is True and res["created"] == 3 and res["bad_rows"] == 0, res
    assert res["encoding"] == "utf-8" and res["bom"] is True
    assert households_total(server) == before + 3
    assert db_count(server, "SELECT count(*) FROM household_member m JOIN household h ON h.id = m.household_id "
                            "WHERE h.code = ? AND m.removed_at IS NULL", codes[1]) == 3
    assert db_count(server, "SELECT count(*) FROM household WHERE code = ? AND region_code = ?",
                    codes[0], GROUP_A) == 1
    # one audit row, counts and the file's hash, no personal data
    assert db_count(server, "SELECT count(*) FROM audit_log WHERE action = 'household.import'") == audits + 1
    a = list_all(admin, "/api/v1/audit", {"action": "household.import"})[0]  # newest first
    after = a["after"]
    assert after["created"] == 3 and after["encoding"] == "utf-8" and len(after["file_sha256"]) == 64
    flat = str(a)
    assert rows[0][KEYS.index("id_number")] not in flat and rows[0][KEYS.index("name")] not in flat
    # the same file again: nothing changes
    r = post_import(admin, body)
    assert r.status_code == 200, r.text
    res = r.json()
    assert (res["created"], res["updated"], res["unchanged"]) == (0, 0, 3)
    assert all(i["action"] == "unchanged" for i in res["items"])
    assert households_total(server) == before + 3


def test_gbk_file_imports(server, admin):
    c = code("K")
    rows = household(c, members=2, address="石岭村“东头”", notes="邻里互助；喜欢粤剧")
    body = csv_bytes(rows, encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    r = post_import(admin, body, ctype="application/vnd.ms-excel", dry_run=1)
    assert r.status_code == 200 and r.json()["encoding"] == "gb18030" and r.json()["created"] == 1, r.text
    r = post_import(admin, body)
    assert r.status_code == 200, r.text
    assert r.json()["created"] == 1 and r.json()["encoding"] == "gb18030"
    con = sqlite3.connect(server.db, timeout=10)
    try:
        addr, notes = con.execute("SELECT address, notes FROM household WHERE code = ?", (c,)).fetchone()
    finally:
        con.close()
    assert (addr, notes) == ("石岭村“东头”", "邻里互助；喜欢粤剧")
    # the same content in UTF-8 is the same household: unchanged
    r = post_import(admin, csv_bytes(rows))
    assert r.json()["unchanged"] == 1, r.text


def test_skip_bad_applies_the_good_households(server, admin):
    good, bad = code("S"), code("S")
    rows = household(good, members=2) + household(bad, members=2)
    rows[3][KEYS.index("phone")] = "110"
    before = households_total(server)
    r = post_import(admin, csv_bytes(rows), skip_bad=1)
    assert r.status_code == 200, r.text
    res = r.json()
    assert res["applied"] is True and res["created"] == 1 and res["skipped"] == 1
    assert res["skipped_rows"] == [4, 5]
    assert (5, "phone", "mobile") in kinds(res)
    assert households_total(server) == before + 1
    assert db_count(server, "SELECT count(*) FROM household WHERE code = ?", bad) == 0


def test_cadre_cannot_import_into_another_village(server):
    cadre = server.session("cadre")  # scope: VILLAGE_A
    admin = server.session("admin")
    theirs = code("V")
    r = post_import(admin, csv_bytes(household(theirs, village=VILLAGE_B, members=1)))
    assert r.status_code == 200 and r.json()["created"] == 1, r.text
    mine = code("V")
    rows = household(code("V"), village=VILLAGE_B, members=1)      # row 2: another village
    rows += household(theirs, village=VILLAGE_A, members=1)        # row 3: a code of village B
    rows += household(mine, village=VILLAGE_A, members=1)          # row 4: fine
    before = households_total(server)
    r = post_import(cadre, csv_bytes(rows))
    p = problem(r, 422, "import.bad_rows")
    assert {(2, "village_code", "village"), (3, "household_code", "scope")} <= kinds(p)
    assert not any(e["row"] == 4 for e in p["errors"])
    assert households_total(server) == before
    # the village-B household was not moved or touched
    assert db_count(server, "SELECT count(*) FROM household WHERE code = ? AND village_code = ?",
                    theirs, VILLAGE_B) == 1
    r = post_import(cadre, csv_bytes(rows), skip_bad=1)
    assert r.status_code == 200 and r.json()["created"] == 1, r.text


def test_file_level_errors(server, admin):
    p = problem(post_import(admin, csv_bytes([["H1", VILLAGE_A, "甲", "30"]],
                                             header=["户编号", "村代码", "姓名", "年龄"])), 422, "import.header")
    assert {e["kind"] for e in p["errors"]} >= {"header_unknown", "header_missing"}
    assert any("年龄" in e["message"] for e in p["errors"])
    problem(post_import(admin, b""), 422, "import.empty")
    problem(post_import(admin, csv_bytes([])), 422, "import.empty")
    p = problem(post_import(admin, codecs.encode("户编号,姓名\n", "utf-16")), 422, "import.encoding")
    assert p["errors"][0]["kind"] == "encoding"
    problem(post_import(admin, b"PK\x03\x04 an xlsx"), 422, "import.encoding")
    p = problem(post_import(admin, csv_bytes([]) + b'H1,"open\r\n'), 422, "import.csv")
    assert p["errors"][0]["row"] == 2
    problem(post_import(admin, b"a,b\n", ctype="application/json"), 415)
    problem(post_import(admin, csv_bytes([]), dry_run="maybe"), 422)
    problem(post_import(admin, csv_bytes([]), job_key="bad key!"), 422)


def test_roles(server):
    viewer = server.session("viewer")
    problem(post_import(viewer, csv_bytes(household(code("X")))), 403, "auth.forbidden")
    problem(viewer.get(EXPORT), 403, "auth.forbidden")
    problem(viewer.get(EXPORT, params={"reveal": 1}), 403)
    anon = server.client()
    problem(anon.post(IMPORT, data=b"x", headers={"Content-Type": "text/csv"}), 401)
    problem(anon.get(EXPORT), 401)
    # a cookie session needs the CSRF token
    cadre = server.login("cadre")
    cadre.set_csrf(None)
    problem(post_import(cadre, csv_bytes(household(code("X")))), 403, "auth.csrf")


# ---------------------------------------------------------------- progress

def test_progress_is_pollable_while_the_import_runs(server, admin):
    """?async=1 answers 202 at once and the import goes on; the page polls the
    job (by id, or by the key it chose) until it is done."""
    rows = []
    n = 2200
    for i in range(n):
        rows += household(code("P%d" % i), members=3)
    body = csv_bytes(rows)
    assert len(body) < 1024 * 1024, len(body)
    key = unique("job-")
    before = households_total(server)
    r = post_import(admin, body, job_key=key, **{"async": 1})
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    assert r.headers["Location"] == "/api/v1/jobs/%d" % job_id
    seen = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        r = admin.get("/api/v1/jobs/%d" % job_id)
        assert r.status_code == 200, r.text
        job = r.json()
        if job["state"] != "running":
            break
        seen.append(job)
        by_key = admin.get("/api/v1/jobs", params={"key": key}).json()["items"]
        assert by_key and by_key[0]["id"] == job_id
        time.sleep(0.01)
    assert job["state"] == "done", job
    assert seen and seen[0]["kind"] == "import.households" and seen[0]["result"] is None
    assert all(s["phase"] in ("checking", "applying", "finishing") for s in seen)
    assert any(s["phase"] == "applying" and s["total"] == n and 0 < s["done"] <= n for s in seen), seen[-3:]
    dones = [s["done"] for s in seen if s["phase"] == "applying"]
    assert dones == sorted(dones)
    assert job["done"] == n and job["total"] == n and job["finished_at"]
    res = job["result"]
    assert res["created"] == n and res["applied"] is True and res["job_id"] == job_id
    assert len(res["items"]) == n
    assert households_total(server) == before + n
    # another user's job is not there
    cadre = server.session("cadre")
    problem(cadre.get("/api/v1/jobs/%d" % job_id), 404)
    assert cadre.get("/api/v1/jobs", params={"key": key}).json()["items"] == []
    mine = list_all(admin, "/api/v1/jobs", limit=2)
    assert job_id in [j["id"] for j in mine]
    problem(admin.get("/api/v1/jobs/999999999"), 404)


def test_async_failure_is_in_the_job(server, admin):
    body, expected, _ = bad_file()
    r = post_import(admin, body, **{"async": 1})
    assert r.status_code == 202
    job_id = r.json()["job_id"]
    for _ in range(2000):
        job = admin.get("/api/v1/jobs/%d" % job_id).json()
        if job["state"] != "running":
            break
        time.sleep(0.01)
    assert job["state"] == "failed"
    assert job["result"]["code"] == "import.bad_rows" and job["result"]["status"] == 422
    assert expected <= kinds(job["result"])
    # a synchronous import's job is findable by its key afterwards
    key = unique("k")
    r = post_import(admin, body, dry_run=1, job_key=key)
    assert r.status_code == 200
    items = admin.get("/api/v1/jobs", params={"key": key}).json()["items"]
    assert [j["id"] for j in items] == [r.json()["job_id"]] and items[0]["state"] == "done"


# ---------------------------------------------------------------- export

@pytest.fixture(scope="module")
def exported(server):
    """Households of XVILLAGE only, imported once: (codes, rows as imported)."""
    admin = server.session("admin")
    codes = sorted(code("E") for _ in range(3))
    rows = []
    for i, c in enumerate(codes):
        rows += household(c, village=XVILLAGE, members=2, lng="113.%d25" % i, lat="22.5%d" % i,
                          tags="脱贫户" if i == 0 else "")
    r = post_import(admin, csv_bytes(rows))
    assert r.status_code == 200 and r.json()["created"] == 3, r.text
    return codes, rows


def read_csv(body, encoding="utf-8-sig"):
    return list(csv.reader(io.StringIO(body.decode(encoding))))


def test_export_csv_has_bom_and_masks(server, exported):
    codes, rows = exported
    cadre_of_town = server.session("leader")
    r = cadre_of_town.get(EXPORT, params={"region": XVILLAGE})
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/csv")
    assert r.content.startswith(codecs.BOM_UTF8)
    assert "attachment" in r.headers["Content-Disposition"]
    got = read_csv(r.content)
    assert got[0] == HEADER
    data = got[1:]
    assert len(data) == len(rows) and [d[0] for d in data] == [x[0] for x in rows]
    for d, src in zip(data, rows):
        idn = d[KEYS.index("id_number")].strip()
        assert "*" in idn and idn[:4] == src[KEYS.index("id_number")][:4] and idn[-4:] == src[KEYS.index("id_number")][-4:]
        if src[KEYS.index("phone")]:
            assert d[KEYS.index("phone")].strip() == src[KEYS.index("phone")][:3] + "****" + src[KEYS.index("phone")][-4:]
        assert d[KEYS.index("name")] == src[KEYS.index("name")]
    # a masked export cannot be imported back by mistake
    p = problem(post_import(server.session("admin"), r.content), 422, "import.bad_rows")
    assert {e["kind"] for e in p["errors"]} == {"masked"}
    # GBK
    r = cadre_of_town.get(EXPORT, params={"region": XVILLAGE, "encoding": "gbk"})
    assert r.status_code == 200 and not r.content.startswith(codecs.BOM_UTF8)
    assert read_csv(r.content, "gbk")[1:] == data
    # filters and bad parameters
    r = cadre_of_town.get(EXPORT, params={"region": XVILLAGE, "tag": "脱贫户"})
    assert [d[0] for d in read_csv(r.content)[1:]] == [codes[0]] * 2
    problem(cadre_of_town.get(EXPORT, params={"format": "pdf"}), 422)
    problem(cadre_of_town.get(EXPORT, params={"tag": "没有这个"}), 422)
    problem(cadre_of_town.get(EXPORT, params={"region": "440881999999"}), 404)
    problem(server.session("cadre").get(EXPORT, params={"region": XVILLAGE}), 404)  # out of scope
    # a cadre's export holds only their village
    r = server.session("cadre").get(EXPORT)
    assert r.status_code == 200
    assert {d[KEYS.index("village_code")].strip() for d in read_csv(r.content)[1:]} <= {VILLAGE_A}


def test_revealed_export_is_audited_and_reimports_unchanged(server, exported):
    codes, rows = exported
    admin = server.session("admin")
    r = admin.get(EXPORT, params={"region": XVILLAGE, "reveal": 1})
    assert r.status_code == 200
    data = read_csv(r.content)[1:]
    for d, src in zip(data, rows):
        assert d[KEYS.index("id_number")].strip() == src[KEYS.index("id_number")]
        assert d[KEYS.index("phone")].strip() == src[KEYS.index("phone")]
    a = list_all(admin, "/api/v1/audit", {"action": "household.export"})[0]
    assert a["after"]["revealed"] is True and a["after"]["households"] == 3 and a["after"]["rows"] == 6
    assert a["after"]["region"] == XVILLAGE and a["user_id"] == admin.user["id"]
    assert rows[0][KEYS.index("id_number")] not in str(a)
    admin.get(EXPORT, params={"region": XVILLAGE})
    assert list_all(admin, "/api/v1/audit", {"action": "household.export"})[0]["after"]["revealed"] is False
    # the revealed export imports back with nothing changed
    r = post_import(admin, r.content)
    assert r.status_code == 200, r.text
    assert (r.json()["unchanged"], r.json()["created"], r.json()["updated"]) == (3, 0, 0), r.json()


def test_export_xlsx_cell_by_cell(server, exported, tmp_path):
    codes, rows = exported
    r = server.session("admin").get(EXPORT, params={"region": XVILLAGE, "format": "xlsx", "reveal": 1})
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    path = tmp_path / "h.xlsx"
    path.write_bytes(r.content)
    script = r"""
import json, sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb.active
print(json.dumps({
    "cells": [[c for c in r] for r in ws.iter_rows(values_only=True)],
    "bold": [ws.cell(row=1, column=i + 1).font.b for i in range(ws.max_column)],
    "freeze": ws.freeze_panes,
    "widths": {k: v.width for k, v in ws.column_dimensions.items()},
    "filter": ws.auto_filter.ref,
}, ensure_ascii=False))
"""
    out = subprocess.run(["/usr/bin/python3", "-c", script, str(path)], capture_output=True, text=True, check=True)
    import json
    got = json.loads(out.stdout)
    cells = got["cells"]
    assert cells[0] == HEADER
    assert all(got["bold"]) and got["freeze"] == "A2"
    assert got["widths"]["D"] >= 20 and got["widths"]["G"] >= 18  # address, ID number
    assert got["filter"] == "A1:P%d" % (len(rows) + 1)
    assert len(cells) == len(rows) + 1
    sex = {"M": "男", "F": "女"}
    for got_row, src in zip(cells[1:], rows):
        want = dict(zip(KEYS, src))
        have = dict(zip(KEYS, got_row))
        for k in ("household_code", "village_code", "name", "relation", "id_number", "occupation", "remarks"):
            if k == "village_code":
                assert have[k] == XVILLAGE  # on every row, not only the head's
            elif k == "household_code" or want[k]:
                assert have[k] == want[k], (k, have[k], want[k])
        if want["relation"] == "户主":
            assert have["address"] == want["address"] and have["notes"] == want["notes"]
            assert have["phone"] == want["phone"]
            assert have["lng"] == float(want["lng"]) and have["lat"] == float(want["lat"])
            assert have["tags"] == (want["tags"] or None)
        else:
            assert have["address"] is None and have["lng"] is None
        assert have["sex"] in sex.values() and have["birth_date"] == id_birth(want["id_number"])


def id_birth(idn):
    return "%s-%s-%s" % (idn[6:10], idn[10:12], idn[12:14])


# ---------------------------------------------------------------- CLI

def test_cli_import_and_export(server, tmp_path):
    c = code("C")
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes(household(c, members=2), encoding="gbk"))
    p = run_cli("import", "households", good, "--dry-run", "--db", server.db)
    assert p.returncode == 0, p.stderr
    assert "gb18030" in p.stdout and "1 created" in p.stdout and "nothing was written" in p.stdout
    assert db_count(server, "SELECT count(*) FROM household WHERE code = ?", c) == 0
    p = run_cli("import", "households", good, "--db", server.db)
    assert p.returncode == 0, p.stderr
    assert db_count(server, "SELECT count(*) FROM household WHERE code = ?", c) == 1
    p = run_cli("import", "households", good, "--db", server.db)
    assert p.returncode == 0 and "1 unchanged" in p.stdout, p.stdout
    bad = tmp_path / "bad.csv"
    body, expected, _ = bad_file()
    bad.write_bytes(body)
    p = run_cli("import", "households", bad, "--db", server.db)
    assert p.returncode == 1
    assert "row 7, column 身份证号: " in p.stderr and "row 23: " in p.stderr, p.stderr
    assert "\r" not in p.stderr  # no progress bar when stderr is not a terminal
    assert "nothing was imported" in p.stdout
    p = run_cli("import", "households", bad, "--dry-run", "--db", server.db)
    assert p.returncode == 1 and "row 10, column 联系电话: " in p.stderr
    p = run_cli("import", "households", tmp_path / "missing.csv", "--db", server.db)
    assert p.returncode == 1 and "cannot read" in p.stderr
    assert run_cli("import", "pets", good).returncode == 2
    assert run_cli("import").returncode == 2
    assert run_cli("import", "--help").returncode == 0
    assert run_cli("import", "regions", "--help").returncode == 0

    out = tmp_path / "all.xlsx"
    p = run_cli("export", "households", "-o", out, "--region", VILLAGE_A, "--db", server.db)
    assert p.returncode == 0 and out.read_bytes()[:2] == b"PK", p.stderr
    out = tmp_path / "all.csv"
    p = run_cli("export", "households", "-o", out, "--reveal", "--encoding", "gbk", "--db", server.db)
    assert p.returncode == 0, p.stderr
    assert c in out.read_bytes().decode("gbk")
    assert run_cli("export", "households", "--db", server.db).returncode == 2  # no -o
    assert run_cli("export", "households", "-o", out, "--format", "pdf", "--db", server.db).returncode == 1
