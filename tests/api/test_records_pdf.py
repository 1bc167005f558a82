"""
The monthly records of a village as PDF: the station log (驻点日志) and the
team record book (驻点团队记录本), over HTTP and `zhilian records`: the
content type and file names, what the text says, page numbers, pages that
grow with the data, scope (404), roles (viewer 403), bad months (422).
The PDFs are read back with poppler's pdftotext and pdfinfo.
"""
import os
import re
import subprocess
import tempfile
import urllib.parse

import pytest

from conftest import BIN, TOWN, VILLAGE_A, VILLAGE_B, problem, ready_user, run_cli

NOW = "2026-11-21T02:00:00Z"
KINDS = ("station-log", "team-book")


def url(village, kind, month="2026-10"):
    return "/api/v1/villages/%s/records/%s.pdf" % (village, kind) + ("?month=" + month if month else "")


def pdftotext(data):
    """The text without any white space (pdftotext spaces CJK unevenly)."""
    p = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, check=True)
    return re.sub(r"\s+", "", p.stdout.decode("utf-8"))


def pdfpages(data):
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(data)
        f.flush()
        out = subprocess.run(["pdfinfo", f.name], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))


@pytest.fixture(scope="module")
def s(server):
    server.clock(now=NOW)
    return server


def get_pdf(client, *a, **kw):
    r = client.get(url(*a, **kw))
    assert r.status_code == 200, (r.status_code, r.text[:300])
    assert r.headers["Content-Type"] == "application/pdf"
    assert r.content.startswith(b"%PDF-")
    return r


@pytest.mark.parametrize("kind", KINDS)
def test_cadre_of_the_village_downloads_the_month(s, kind):
    r = get_pdf(s.session("cadre"), VILLAGE_A, kind)
    disp = r.headers["Content-Disposition"]
    assert disp.startswith('attachment; filename="%s-%s-2026-10.pdf"' % (kind, VILLAGE_A)), disp
    utf8 = urllib.parse.unquote(disp.split("filename*=UTF-8''", 1)[1])
    assert utf8 == ("驻点日志" if kind == "station-log" else "驻点团队记录本") + "-东坑村-2026年10月.pdf"
    text = pdftotext(r.content)
    n = pdfpages(r.content)
    assert "东坑村" in text and "2026年10月" in text
    assert "第1/%d页" % n in text and "第%d/%d页" % (n, n) in text
    if kind == "station-log":
        assert "驻点日志" in text and "10月7日星期三" in text  # the village's Wednesday station day
        assert "记录人" in text and "情况：" in text
    else:
        for heading in ("一、驻点团队", "辅助团队", "二、本月工作概况", "三、分析研判会议", "四、联系中反映的问题"):
            assert heading in text, heading
        assert "联系群众（合计）" in text and "驻点日：已到/缺" in text


def test_leader_and_admin_read_any_village_in_scope(s, admin):
    for who in (s.session("leader"), admin):
        for kind in KINDS:
            get_pdf(who, VILLAGE_B, kind)


def test_diary_entries_print_and_pages_grow_with_data(s):
    leader = s.session("leader")
    month = "2026-11"
    before = get_pdf(leader, VILLAGE_B, "station-log", month=month).content
    marker = "记录本测试标记"
    for day in range(2, 20):
        r = leader.post("/api/v1/diary", json={"date": "2026-11-%02d" % day, "village_code": VILLAGE_B,
                                               "tags": ["民生"],
                                               "text": marker + "：" + "群众反映的情况记录在此。" * 40})
        assert r.status_code == 201, r.text
    after = get_pdf(leader, VILLAGE_B, "station-log", month=month).content
    assert pdfpages(after) > pdfpages(before)
    text = pdftotext(after)
    assert marker in text and "民情日记" in text and "〔民生〕" in text
    book = pdftotext(get_pdf(leader, VILLAGE_B, "team-book", month=month).content)
    m = re.search(r"民情日记(\d+)篇", book)
    assert m and int(m.group(1)) >= 18, book


def test_an_empty_month_still_prints(s):
    r = get_pdf(s.session("leader"), VILLAGE_A, "station-log", month="2025-03")
    assert pdfpages(r.content) == 1
    assert "本月没有驻点签到、联系记录或民情日记" in pdftotext(r.content)
    text = pdftotext(get_pdf(s.session("leader"), VILLAGE_A, "team-book", month="2025-03").content)
    assert "本月没有召开分析研判会议" in text


@pytest.mark.parametrize("kind", KINDS)
def test_scope_roles_and_bad_input(s, admin, kind):
    cadre, viewer = s.session("cadre"), s.session("viewer")
    problem(cadre.get(url(VILLAGE_B, kind)), 404)           # another village
    problem(admin.get(url("440881104299", kind)), 404)      # no such village
    problem(viewer.get(url(VILLAGE_A, kind)), 403)           # viewers do not print records
    problem(s.client().get(url(VILLAGE_A, kind)), 401)
    lb, _, _ = ready_user(s, admin, role="leader", scope=VILLAGE_B)
    problem(lb.get(url(VILLAGE_A, kind)), 404)
    get_pdf(lb, VILLAGE_B, kind)
    for month in ("2026-13", "2026-1", "26-10", "2026-10-01", "", None):
        body = problem(cadre.get(url(VILLAGE_A, kind, month=month)), 422)
        assert "month" in {e["field"] for e in body["errors"]}, month
    body = problem(admin.get(url(TOWN, kind)), 422)
    assert "village" in {e["field"] for e in body["errors"]}


def test_cli(s, tmp_path):
    out = tmp_path / "log.pdf"
    p = run_cli("records", "--db", s.db, "--village", VILLAGE_A, "--month", "2026-10", "--kind", "team-book",
                "-o", out)
    assert p.returncode == 0, p.stderr
    data = out.read_bytes()
    assert data.startswith(b"%PDF-") and "驻点团队记录本" in pdftotext(data)
    assert "page(s)" in p.stdout
    p = subprocess.run([BIN, "records", "--db", s.db, "--village", VILLAGE_A, "--month", "2026-10", "--kind",
                        "station-log", "-o", "-"], capture_output=True, timeout=60)
    assert p.returncode == 0 and p.stdout.startswith(b"%PDF-") and pdfpages(p.stdout) > 1
    assert run_cli("records", "--help").returncode == 0
    for args, words in (
            (["--month", "2026-10", "--kind", "team-book", "-o", out], "--village"),
            (["--village", VILLAGE_A, "--month", "2026-13", "--kind", "team-book", "-o", out], "--month"),
            (["--village", VILLAGE_A, "--month", "2026-10", "--kind", "diary", "-o", out], "--kind"),
            (["--village", VILLAGE_A, "--month", "2026-10", "--kind", "team-book"], "-o")):
        p = run_cli("records", "--db", s.db, *args)
        assert p.returncode == 2 and words in p.stderr, (args, p.returncode, p.stderr)
    p = run_cli("records", "--db", s.db, "--village", "440881104299", "--month", "2026-10", "--kind",
                "team-book", "-o", tmp_path / "none.pdf")
    assert p.returncode == 1 and "village" in p.stderr and not (tmp_path / "none.pdf").exists()
    p = run_cli("records", "--db", os.path.join(str(tmp_path), "missing.db"), "--village", VILLAGE_A,
                "--month", "2026-10", "--kind", "team-book", "-o", out)
    assert p.returncode != 0


def test_a_cadres_copy_prints_their_own_diary_only(s):
    """The diary rule holds in print: a cadre's station log carries their own
    entries, not a colleague's or the leader's; the leader's carries both."""
    cadre, leader = s.session("cadre"), s.session("leader")
    month = "2026-11"
    mine, theirs = "干部自己的日记标记", "领导的日记不给干部看"
    assert cadre.post("/api/v1/diary", json={"date": "2026-11-12", "text": mine}).status_code == 201
    assert leader.post("/api/v1/diary", json={"date": "2026-11-12", "village_code": VILLAGE_A,
                                              "text": theirs}).status_code == 201
    text = pdftotext(get_pdf(cadre, VILLAGE_A, "station-log", month=month).content)
    assert mine in text and theirs not in text
    text = pdftotext(get_pdf(leader, VILLAGE_A, "station-log", month=month).content)
    assert mine in text and theirs in text
