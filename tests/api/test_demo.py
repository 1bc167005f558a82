"""The demo town: its size and shape, and that the same command builds the
same town (the data is generated from a fixed seed)."""
import os
import sqlite3
import tempfile

from conftest import run_cli


def build(dirpath):
    db = os.path.join(dirpath, "demo.db")
    p = run_cli("demo", "--db", db, check=True, timeout=900)
    logins = [l for l in p.stdout.splitlines() if ": " in l and " / " in l]
    assert [l.split(":")[0] for l in logins] == ["admin", "leader", "cadre", "viewer"]
    return sqlite3.connect(db)


def one(con, sql):
    return con.execute(sql).fetchone()[0]


def test_demo_town_has_the_size_and_shape_the_design_asks_for():
    with tempfile.TemporaryDirectory() as d:
        con = build(d)
        assert one(con, "SELECT count(*) FROM region WHERE level = 'village'") == 12
        assert 55 <= one(con, "SELECT count(*) FROM region WHERE level = 'group'") <= 65
        assert 2900 <= one(con, "SELECT count(*) FROM household") <= 3100
        members = one(con, "SELECT count(*) FROM household_member")
        assert 8500 <= members <= 10000
        # every ID number is different (a re-import of an export depends on it)
        assert one(con, "SELECT count(DISTINCT id_number_hash) FROM household_member") == members
        assert one(con, "SELECT count(*) FROM app_user WHERE role = 'cadre'") == 60
        # every household has exactly one responsible cadre, of its own village
        assert one(con, "SELECT count(*) FROM household h WHERE (SELECT count(*) FROM household_assignment a"
                        " WHERE a.household_id = h.id AND a.end_date IS NULL) <> 1") == 0
        assert one(con, "SELECT count(*) FROM household_assignment a JOIN household h ON h.id = a.household_id"
                        " JOIN app_user u ON u.id = a.user_id WHERE a.end_date IS NULL"
                        " AND u.scope_code <> h.village_code") == 0
        # each village has its station team with a leader and the three fixed things
        assert one(con, "SELECT count(*) FROM village_team WHERE kind = 'station' AND leader_user_id IS NOT NULL"
                        " AND station_weekday IS NOT NULL AND station_place IS NOT NULL") == 12
        assert one(con, "SELECT count(*) FROM village_team WHERE kind = 'auxiliary'") == 12
        # tags at plausible shares: each shipped tag is used, none on most households
        shares = dict(con.execute("SELECT t.name, count(*) FROM household_tag ht JOIN tag t ON t.id = ht.tag_id"
                                  " GROUP BY t.name").fetchall())
        assert len(shares) == 10, shares
        assert all(10 <= n <= 400 for n in shares.values()), shares
        # nothing stored in the clear: ID numbers are encrypted, masks shown
        assert one(con, "SELECT count(*) FROM household_member WHERE id_number_enc IS NULL") == 0
        assert one(con, "SELECT count(*) FROM household_member WHERE id_number_mask NOT LIKE '4408**********%'") == 0
        assert run_cli("check", "--db", os.path.join(d, "demo.db")).returncode == 0


def test_same_command_same_town():
    q = ("SELECT h.code, h.head_name, m.name, m.relation, m.id_number_mask, m.birth_date"
         " FROM household h JOIN household_member m ON m.household_id = h.id ORDER BY h.code, m.id")
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        assert build(a).execute(q).fetchall() == build(b).execute(q).fetchall()
