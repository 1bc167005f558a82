"""
Liaison cards (连心卡): the PDF per household and per village, over HTTP and
the CLI. The villages, cadres, station teams and households these tests need
are written into the test database with SQL before the server starts (the
organisation and household routes are built alongside this module), in
villages of their own so that the demo data does not change the counts.
The PDFs are read back with poppler's pdftotext and pdfinfo.
"""
import math
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
import urllib.parse

import pytest

from conftest import TOWN, Server, problem, ready_user, run_cli

T0 = "2026-01-01T00:00:00Z"
PUBLIC_URL = "https://zhilian.example.gov.cn/"

LEADER = {"name": "黄志强", "position": "镇党委副书记", "phone": "13902220001"}
CADRE = {"name": "林秀英", "position": "镇农业农村办主任", "phone": "13800138000"}
CADRE_B = {"name": "陈志伟", "position": "镇司法所所长", "phone": "0759-6612345"}
PLACE_A = "卡测村村委会办公室"

# village A: five active households (one in a group, one without a cadre),
# one retired; village B: one household, a team every two weeks; village C:
# one household and no station team; village D: only a retired household
HOUSEHOLDS_A = [("A0001", "张国强", "cadre"), ("A0002", "李桂芳", "cadre"),
                ("A0003", "王秀兰", None), ("A0004", "赵德明", "cadre_b"),
                ("A0005", "何美玲", "cadre")]
RETIRED_A = ("A0009", "刘阿婆")
BIG = 300  # households of the village used for the timing


def pdftotext(data):
    p = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, check=True)
    return p.stdout.decode("utf-8")


def pdfpages(data):
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(data)
        f.flush()
        out = subprocess.run(["pdfinfo", f.name], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))


def free_codes(db, n):
    """n village codes under the town that the demo does not use."""
    con = sqlite3.connect(db)
    taken = {r[0] for r in con.execute("SELECT code FROM region")}
    con.close()
    codes = ["4408811042%02d" % i for i in range(99, 10, -1) if "4408811042%02d" % i not in taken]
    return codes[:n]


def seed(db):
    """Writes the card test data; returns what the tests need to know."""
    a, b, c, d, big = free_codes(db, 5)
    con = sqlite3.connect(db)
    cur = con.cursor()
    for code, name in ((a, "卡测村"), (b, "卡乙村"), (c, "卡丙村"), (d, "卡丁村"), (big, "卡大村")):
        cur.execute("INSERT INTO region(code, name, level, parent_code, path, created_at) VALUES (?,?,?,?,?,?)",
                    (code, name, "village", TOWN, "/%s/%s/" % (TOWN, code), T0))
    group = a + "001"
    cur.execute("INSERT INTO region(code, name, level, parent_code, path, created_at) VALUES (?,?,?,?,?,?)",
                (group, "第一村民小组", "group", a, "/%s/%s/%s/" % (TOWN, a, group), T0))

    def user(key, person, role, scope):
        cur.execute("INSERT INTO app_user(username, display_name, role, scope_code, password_hash, created_at,"
                    " updated_at, position, phone) VALUES (?,?,?,?,?,?,?,?,?)",
                    ("card_" + key, person["name"], role, scope, "x", T0, T0, person["position"], person["phone"]))
        return cur.lastrowid

    users = {"leader": user("leader", LEADER, "leader", TOWN), "cadre": user("cadre", CADRE, "cadre", a),
             "cadre_b": user("cadre_b", CADRE_B, "cadre", b)}

    def team(village, weekday, every, start, end, place):
        cur.execute("INSERT INTO village_team(village_code, kind, leader_user_id, station_weekday,"
                    " station_every_weeks, station_start, station_end, station_place, created_at, updated_at)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (village, "station", users["leader"], weekday, every, start, end, place, T0, T0))

    team(a, 3, 1, "09:00", "12:00", PLACE_A)
    team(b, 2, 2, "14:30", "17:30", "卡乙村村委会")
    team(big, 5, 1, "08:30", "11:30", "卡大村党群服务中心")

    ids = {}

    def household(code, village, head, cadre, region=None, retired=None):
        cur.execute("INSERT INTO household(code, village_code, region_code, head_name, retired_at, created_at,"
                    " updated_at) VALUES (?,?,?,?,?,?,?)", (code, village, region or village, head, retired, T0, T0))
        hid = cur.lastrowid
        if cadre:
            cur.execute("INSERT INTO household_assignment(household_id, user_id, start_date, created_at)"
                        " VALUES (?,?,?,?)", (hid, users[cadre], "2026-01-01", T0))
        ids[code] = hid
        return hid

    for i, (code, head, cadre) in enumerate(HOUSEHOLDS_A):
        household(a + code, a, head, cadre, region=group if i == 1 else None)
    household(a + RETIRED_A[0], a, RETIRED_A[1], "cadre", retired=T0)
    # an ended assignment must not show: A0001's earlier cadre was cadre_b
    cur.execute("INSERT INTO household_assignment(household_id, user_id, start_date, end_date, created_at)"
                " VALUES (?,?,?,?,?)", (ids[a + "A0001"], users["cadre_b"], "2025-01-01", "2026-01-01", T0))
    household(b + "B0001", b, "陈金水", "cadre_b")
    household(c + "C0001", c, "罗永生", "cadre")
    household(d + "D0001", d, "梁旧户", "cadre", retired=T0)
    for i in range(BIG):
        household("%sG%04d" % (big, i), big, "户主%03d" % i, ("cadre", "cadre_b", None)[i % 3])
    cur.execute("INSERT OR REPLACE INTO setting(key, value) VALUES ('public_url', ?)", (PUBLIC_URL,))
    con.commit()
    active_a = con.execute("SELECT count(*) FROM household WHERE village_code = ? AND retired_at IS NULL",
                           (a,)).fetchone()[0]
    con.close()
    return {"a": a, "b": b, "c": c, "d": d, "big": big, "group": group, "ids": ids, "active_a": active_a}


@pytest.fixture(scope="module")
def env(request):
    s = Server(name="test_cards")
    try:
        data = seed(s.db)
        s.start()
    except BaseException:
        s.cleanup()
        raise
    request.addfinalizer(s.cleanup)
    data["server"] = s
    return data


def get_pdf(client, path):
    r = client.get(path)
    assert r.status_code == 200, (path, r.status_code, r.text[:300])
    assert r.headers["Content-Type"] == "application/pdf"
    assert r.content.startswith(b"%PDF-")
    return r


def disposition_names(r):
    cd = r.headers["Content-Disposition"]
    assert cd.startswith("attachment;"), cd
    ascii_name = re.search(r'filename="([^"]+)"', cd).group(1)
    utf8 = re.search(r"filename\*=UTF-8''(\S+)", cd).group(1)
    assert re.fullmatch(r"[A-Za-z0-9!#$&+.^_`|~%-]+", utf8), "not RFC 5987 encoded: " + utf8
    return ascii_name, urllib.parse.unquote(utf8, encoding="utf-8", errors="strict")


def flat(text):
    """pdftotext output without spaces and line breaks (the phone is grouped)."""
    return re.sub(r"\s+", "", text)


# ---------------------------------------------------------------- one household

def test_household_card_names_cadre_phone_station_day_and_village(env):
    admin = env["server"].session("admin")
    code = env["a"] + "A0001"
    r = get_pdf(admin, "/api/v1/households/%d/card.pdf" % env["ids"][code])
    assert pdfpages(r.content) == 1
    text = pdftotext(r.content)
    for s in (CADRE["name"], CADRE["position"], "每周三 09:00–12:00", "卡测村", PLACE_A, LEADER["name"],
              LEADER["position"], "张国强", code, "扫码反映诉求", "连心卡"):
        assert s in text, (s, text)
    assert CADRE["phone"] in flat(text)
    # the ended assignment's cadre is not on the card
    assert CADRE_B["name"] not in text
    ascii_name, utf8_name = disposition_names(r)
    assert ascii_name == "liaison-card-%s.pdf" % code
    assert utf8_name == "连心卡-卡测村-张国强-%s.pdf" % code


def test_household_in_a_group_gets_its_village_card(env):
    admin = env["server"].session("admin")
    text = pdftotext(get_pdf(admin, "/api/v1/households/%d/card.pdf" % env["ids"][env["a"] + "A0002"]).content)
    assert "李桂芳" in text and "卡测村" in text and "每周三 09:00–12:00" in text


def test_missing_cadre_and_team_read_unassigned(env):
    admin = env["server"].session("admin")
    text = pdftotext(get_pdf(admin, "/api/v1/households/%d/card.pdf" % env["ids"][env["a"] + "A0003"]).content)
    assert "王秀兰" in text and "未指定" in text
    assert CADRE["name"] not in text and CADRE["phone"] not in flat(text)
    text = pdftotext(get_pdf(admin, "/api/v1/households/%d/card.pdf" % env["ids"][env["c"] + "C0001"]).content)
    assert "罗永生" in text and CADRE["name"] in text
    # no station team: leader, day and place all unassigned
    assert text.count("未指定") >= 3, text
    assert "每周" not in text


def test_every_two_weeks_and_landline(env):
    admin = env["server"].session("admin")
    text = pdftotext(get_pdf(admin, "/api/v1/households/%d/card.pdf" % env["ids"][env["b"] + "B0001"]).content)
    assert "每两周周二 14:30–17:30" in text
    assert CADRE_B["phone"] in text and CADRE_B["name"] in text


def test_qr_opens_the_village_portal(env):
    admin = env["server"].session("admin")
    r = get_pdf(admin, "/api/v1/households/%d/card.pdf" % env["ids"][env["a"] + "A0001"])
    url = PUBLIC_URL.rstrip("/") + "/#/portal/" + env["a"]
    # the QR's clickable link carries the same address
    assert ("/URI (%s)" % url).encode() in r.content
    if not shutil.which("zbarimg"):
        return  # the image itself is checked where zbar-tools is installed
    with tempfile.TemporaryDirectory() as d:
        pdf = os.path.join(d, "c.pdf")
        with open(pdf, "wb") as f:
            f.write(r.content)
        subprocess.run(["pdftoppm", "-png", "-r", "150", pdf, os.path.join(d, "c")], check=True)
        out = subprocess.run(["zbarimg", "-q", "--raw", os.path.join(d, "c-1.png")], capture_output=True,
                             text=True).stdout.split()
    assert out == [url], out


def test_unknown_retired_and_malformed_households_are_404(env):
    admin = env["server"].session("admin")
    problem(admin.get("/api/v1/households/999999/card.pdf"), 404, "not_found")
    problem(admin.get("/api/v1/households/%d/card.pdf" % env["ids"][env["a"] + RETIRED_A[0]]), 404, "not_found")
    problem(admin.get("/api/v1/households/abc/card.pdf"), 404)
    problem(admin.get("/api/v1/households/0/card.pdf"), 404)


def test_signed_out_is_401(env):
    c = env["server"].client()
    problem(c.get("/api/v1/households/%d/card.pdf" % env["ids"][env["a"] + "A0001"]), 401)
    problem(c.get("/api/v1/villages/%s/cards.pdf" % env["a"]), 401)


# ---------------------------------------------------------------- a village

def test_village_cards_one_per_active_household_four_to_a_page(env):
    admin = env["server"].session("admin")
    r = get_pdf(admin, "/api/v1/villages/%s/cards.pdf" % env["a"])
    assert env["active_a"] == len(HOUSEHOLDS_A)
    assert pdfpages(r.content) == math.ceil(env["active_a"] / 4) == 2
    text = pdftotext(r.content)
    for code, head, _ in HOUSEHOLDS_A:
        assert head in text and env["a"] + code in text
    assert RETIRED_A[1] not in text  # retired households get no card
    assert "陈金水" not in text      # nor do other villages'
    assert CADRE["name"] in text and CADRE_B["name"] in text and "每周三 09:00–12:00" in text
    ascii_name, utf8_name = disposition_names(r)
    assert ascii_name == "liaison-cards-%s.pdf" % env["a"]
    assert utf8_name == "连心卡-卡测村-%s.pdf" % env["a"]


def test_village_of_300_households_renders_quickly(env):
    admin = env["server"].session("admin")
    t = time.monotonic()
    r = get_pdf(admin, "/api/v1/villages/%s/cards.pdf" % env["big"])
    elapsed = time.monotonic() - t
    assert pdfpages(r.content) == BIG // 4
    print("\n%d cards, %d KB, %.2f s" % (BIG, len(r.content) // 1024, elapsed))
    assert elapsed < 10, elapsed  # about 0.3 s on two cores; generous for sanitizer builds
    text = pdftotext(r.content)
    assert "户主000" in text and "户主299" in text and "每周五 08:30–11:30" in text


def test_village_errors(env):
    admin = env["server"].session("admin")
    problem(admin.get("/api/v1/villages/440881104999/cards.pdf"), 404, "not_found")
    problem(admin.get("/api/v1/villages/%s/cards.pdf" % TOWN), 422, "card.not_village")
    problem(admin.get("/api/v1/villages/%s/cards.pdf" % env["group"]), 422, "card.not_village")
    body = problem(admin.get("/api/v1/villages/%s/cards.pdf" % env["d"]), 422, "card.no_households")
    assert body["detail"]


# ---------------------------------------------------------------- roles and scope

def test_viewer_reads_cards_in_scope_only(env):
    s = env["server"]
    admin = s.session("admin")
    viewer, _, _ = ready_user(s, admin, role="viewer", scope=env["b"])
    get_pdf(viewer, "/api/v1/households/%d/card.pdf" % env["ids"][env["b"] + "B0001"])
    get_pdf(viewer, "/api/v1/villages/%s/cards.pdf" % env["b"])
    problem(viewer.get("/api/v1/households/%d/card.pdf" % env["ids"][env["a"] + "A0001"]), 404, "not_found")
    problem(viewer.get("/api/v1/villages/%s/cards.pdf" % env["a"]), 404, "not_found")


def test_cadre_of_one_village_gets_404_for_another(env):
    s = env["server"]
    admin = s.session("admin")
    cadre, _, _ = ready_user(s, admin, role="cadre", scope=env["a"])
    get_pdf(cadre, "/api/v1/households/%d/card.pdf" % env["ids"][env["a"] + "A0004"])
    problem(cadre.get("/api/v1/households/%d/card.pdf" % env["ids"][env["b"] + "B0001"]), 404, "not_found")
    problem(cadre.get("/api/v1/villages/%s/cards.pdf" % env["b"]), 404, "not_found")
    # a town code is outside a village cadre's scope: 404, not "not a village"
    problem(cadre.get("/api/v1/villages/%s/cards.pdf" % TOWN), 404, "not_found")


def test_group_scope_sees_its_households_card(env):
    s = env["server"]
    admin = s.session("admin")
    viewer, _, _ = ready_user(s, admin, role="viewer", scope=env["group"])
    text = pdftotext(get_pdf(viewer, "/api/v1/households/%d/card.pdf" % env["ids"][env["a"] + "A0002"]).content)
    assert "卡测村" in text
    problem(viewer.get("/api/v1/households/%d/card.pdf" % env["ids"][env["a"] + "A0001"]), 404)


# ---------------------------------------------------------------- the CLI

def test_cli_village_and_household(env, tmp_path):
    db = env["server"].db
    out = tmp_path / "v.pdf"
    p = run_cli("cards", "--village", env["a"], "-o", out, "--db", db)
    assert p.returncode == 0, p.stderr
    assert "%d card(s) on 2 page(s)" % env["active_a"] in p.stdout
    data = out.read_bytes()
    assert data.startswith(b"%PDF-") and pdfpages(data) == 2
    assert "张国强" in pdftotext(data)
    out = tmp_path / "h.pdf"
    p = run_cli("cards", "--household", env["ids"][env["b"] + "B0001"], "--output", out, "--db", db)
    assert p.returncode == 0, p.stderr
    assert "陈金水" in pdftotext(out.read_bytes())
    p = run_cli("cards", "--help")
    assert p.returncode == 0 and "--village" in p.stdout


def test_cli_wrong_arguments_fail_clearly(env, tmp_path):
    db = env["server"].db
    out = tmp_path / "x.pdf"
    p = run_cli("cards", "-o", out, "--db", db)
    assert p.returncode == 2 and "--village" in p.stderr, p.stderr
    p = run_cli("cards", "--village", env["a"], "--db", db)
    assert p.returncode == 2 and "-o FILE.pdf" in p.stderr, p.stderr
    p = run_cli("cards", "--village", env["a"], "--household", "1", "-o", out, "--db", db)
    assert p.returncode == 2 and "not both" in p.stderr, p.stderr
    p = run_cli("cards", "--household", "x1", "-o", out, "--db", db)
    assert p.returncode == 2 and "--household" in p.stderr, p.stderr
    p = run_cli("cards", "--village", "440881104999", "-o", out, "--db", db)
    assert p.returncode == 1 and 'no village "440881104999"' in p.stderr, p.stderr
    p = run_cli("cards", "--village", TOWN, "-o", out, "--db", db)
    assert p.returncode == 1 and "not a village" in p.stderr, p.stderr
    p = run_cli("cards", "--household", "999999", "-o", out, "--db", db)
    assert p.returncode == 1 and "no household 999999" in p.stderr, p.stderr
    p = run_cli("cards", "--village", env["a"], "-o", out, "--db", str(tmp_path / "none.db"))
    assert p.returncode == 1 and "does not exist" in p.stderr, p.stderr
    p = run_cli("cards", "--village", env["a"], "-o", tmp_path / "no" / "dir.pdf", "--db", db)
    assert p.returncode == 1 and "cannot write" in p.stderr, p.stderr
    assert not out.exists()
