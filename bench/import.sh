#!/bin/bash
# bench/import.sh: household import at scale. Generates N households (100,000
# by default, about 3 members each, valid ID numbers and mobiles, tags) as one
# CSV file, imports it with `zhilian import households` into a fresh demo
# database, imports it again (nothing changes), and in the same run inserts
# the same rows with plain SQLite (the sqlite3 shell, INSERTs in one
# transaction into equivalent tables with the same indexes, no encryption).
# Prints the times, the ratios to raw SQLite and the peak memory of each.
#
#   bench/import.sh                    (after `make`, from anywhere)
#   BENCH_HOUSEHOLDS=20000 bench/import.sh
#   ZHILIAN_BIN=/abs/path/zhilian bench/import.sh
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${ZHILIAN_BIN:-$ROOT/build/zhilian}
N=${BENCH_HOUSEHOLDS:-100000}
PY=${PYTHON:-/usr/bin/python3}
TIME=/usr/bin/time
SQLITE=${SQLITE:-$(command -v sqlite3 || echo sqlite3)}

die() { echo "bench: $*" >&2; exit 1; }
[ -x "$BIN" ] || die "'$BIN' not found: run make first"
[ -x "$PY" ] || die "'$PY' not found"
[ -x "$TIME" ] || die "/usr/bin/time not found (Debian package time)"
command -v "$SQLITE" >/dev/null || die "sqlite3 not found (Debian package sqlite3)"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/zhilian-bench-import.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

echo "bench: demo database" >&2
"$BIN" demo --db "$TMP/z.db" >/dev/null
"$SQLITE" "$TMP/z.db" "SELECT r.code || ',' || coalesce((SELECT group_concat(g.code, ' ') FROM region g
    WHERE g.parent_code = r.code AND g.level = 'group' AND g.retired_at IS NULL), '')
    FROM region r WHERE r.level = 'village' AND r.retired_at IS NULL ORDER BY r.code" >"$TMP/villages.txt"
"$SQLITE" "$TMP/z.db" "SELECT name FROM tag WHERE retired_at IS NULL ORDER BY sort" >"$TMP/tags.txt"
[ -s "$TMP/villages.txt" ] || die "the demo database has no village"

echo "bench: generating $N households" >&2
"$PY" - "$N" "$TMP" <<'EOF'
# The same people as a CSV file (for zhilian) and as SQL (for the reference).
import csv, datetime, random, sys
n, tmp = int(sys.argv[1]), sys.argv[2]
rnd = random.Random(20261126)
villages = []
for line in open(tmp + "/villages.txt", encoding="utf-8"):
    code, _, groups = line.strip().partition(",")
    villages.append((code, groups.split()))
tags = [t.strip() for t in open(tmp + "/tags.txt", encoding="utf-8") if t.strip()]
W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
C = "10X98765432"
SUR = "陈林黄李张王吴刘蔡杨郑许谢何梁罗周叶苏庄"
GIV = "志明秀英建华丽娟国强美玲伟芳俊杰小红海燕金凤永福春兰文"
OCC = ["务农", "外出务工", "个体经营", "学生", "退休", "无业", "教师", "村干部"]
day0 = datetime.date(1935, 1, 1)

used = set()

def person(birth_lo, birth_hi, male):
    while True:  # ID numbers are unique, as they are in life
        d = day0 + datetime.timedelta(days=rnd.randint(birth_lo, birth_hi))
        body = "440881%s%03d" % (d.strftime("%Y%m%d"), rnd.randrange(500) * 2 + (1 if male else 0))
        if body not in used:
            used.add(body)
            return body + C[sum(int(a) * w for a, w in zip(body, W)) % 11], d.isoformat()

def q(s):
    return "NULL" if s is None or s == "" else "'" + str(s).replace("'", "''") + "'"

out = open(tmp + "/households.csv", "w", encoding="utf-8-sig", newline="")
w = csv.writer(out, lineterminator="\r\n")
w.writerow(["户编号", "村代码", "村民小组", "地址", "姓名", "与户主关系", "身份证号", "联系电话", "性别",
            "出生日期", "职业", "标签", "备注", "成员备注", "经度", "纬度"])
sql = open(tmp + "/reference.sql", "w", encoding="utf-8")
sql.write("PRAGMA journal_mode = WAL;\nPRAGMA synchronous = NORMAL;\nPRAGMA foreign_keys = ON;\n"
          "CREATE TABLE household (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, village_code TEXT NOT NULL,"
          " region_code TEXT NOT NULL, address TEXT, lat REAL, lng REAL, head_name TEXT NOT NULL, phone TEXT,"
          " notes TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);\n"
          "CREATE INDEX household_village ON household(village_code);\n"
          "CREATE INDEX household_region ON household(region_code);\n"
          "CREATE INDEX household_phone ON household(phone);\n"
          "CREATE INDEX household_head ON household(head_name);\n"
          "CREATE TABLE household_member (id INTEGER PRIMARY KEY, household_id INTEGER NOT NULL REFERENCES household(id),"
          " name TEXT NOT NULL, relation TEXT NOT NULL, id_number TEXT, phone TEXT, birth_date TEXT, sex TEXT,"
          " occupation TEXT, remarks TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);\n"
          "CREATE INDEX household_member_household ON household_member(household_id);\n"
          "CREATE INDEX household_member_id_number ON household_member(id_number);\n"
          "CREATE INDEX household_member_phone ON household_member(phone);\n"
          "CREATE INDEX household_member_name ON household_member(name);\n"
          "CREATE TABLE household_tag (household_id INTEGER NOT NULL, tag TEXT NOT NULL, created_at TEXT NOT NULL,"
          " PRIMARY KEY (household_id, tag));\n"
          "BEGIN;\n")
now = "'2026-11-26T00:00:00Z'"
members = 0
for h in range(1, n + 1):
    village, groups = villages[h % len(villages)]
    group = rnd.choice(groups) if groups else ""
    code = "BN%07d" % h
    size = rnd.choice((1, 2, 2, 3, 3, 3, 3, 4, 4, 5))
    head_male = rnd.random() < 0.8
    hid, hbirth = person(0, 22000, head_male)
    surname = rnd.choice(SUR)
    phone = "1%d%09d" % (rnd.choice((3, 5, 7, 8, 9)), rnd.randrange(10 ** 9))
    htags = rnd.sample(tags, rnd.choice((0, 0, 0, 1, 1, 2))) if tags else []
    address = "%s%d号" % (village[-3:], h % 500 + 1)
    lng, lat = "110.%06d" % rnd.randrange(10 ** 6), "21.%06d" % rnd.randrange(10 ** 6)
    notes = "常住" if h % 7 == 0 else ""
    people = [(surname + rnd.choice(GIV) + rnd.choice(GIV), "户主", hid, phone, "男" if head_male else "女",
               hbirth, rnd.choice(OCC), "")]
    rels = ["配偶", "子女", "子女", "父母", "孙子女"]
    for i in range(size - 1):
        male = rnd.random() < 0.5
        rel = rels[i]
        lo, hi = (18000, 30000) if rel in ("子女", "孙子女") else (0, 22000)
        pid, pbirth = person(lo, min(hi, 32000), male)
        people.append((surname + rnd.choice(GIV) if rel != "配偶" else rnd.choice(SUR) + rnd.choice(GIV),
                       rel, pid, "", "男" if male else "女", pbirth, rnd.choice(OCC), "同住" if i == 0 else ""))
    for i, (name, rel, idn, ph, sex, birth, occ, rem) in enumerate(people):
        if i == 0:
            w.writerow([code, village, group, address, name, rel, idn, ph, sex, birth, occ, "、".join(htags),
                        notes, rem, lng, lat])
        else:
            w.writerow([code, village, group, "", name, rel, idn, ph, sex, birth, occ, "", "", rem, "", ""])
    sql.write("INSERT INTO household VALUES (%d,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s);\n"
              % (h, q(code), q(village), q(group or village), q(address), lat, lng, q(people[0][0]), q(phone),
                 q(notes), now, now))
    for name, rel, idn, ph, sex, birth, occ, rem in people:
        members += 1
        sql.write("INSERT INTO household_member VALUES (%d,%d,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s);\n"
                  % (members, h, q(name), q(rel), q(idn), q(ph), q(birth), q("M" if sex == "男" else "F"),
                     q(occ), q(rem), now, now))
    for t in htags:
        sql.write("INSERT INTO household_tag VALUES (%d,%s,%s);\n" % (h, q(t), now))
sql.write("COMMIT;\n")
out.close()
sql.close()
print(members, file=open(tmp + "/members.txt", "w"))
EOF
MEMBERS=$(cat "$TMP/members.txt")
echo "bench: $N households, $MEMBERS people, $(du -h "$TMP/households.csv" | cut -f1) of CSV" >&2

# seconds and peak KiB from /usr/bin/time -v's report
measure() {
	local report=$1
	"$PY" - "$report" <<'EOF'
import re, sys
t = open(sys.argv[1]).read()
m = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", t)
secs = int(m.group(1) or 0) * 3600 + int(m.group(2)) * 60 + float(m.group(3))
rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1)
user = re.search(r"User time \(seconds\): ([\d.]+)", t).group(1)
sys_ = re.search(r"System time \(seconds\): ([\d.]+)", t).group(1)
print("%.2f %s %s %s" % (secs, rss, user, sys_))
EOF
}

echo "bench: zhilian import households" >&2
"$TIME" -v -o "$TMP/t.import" "$BIN" import households "$TMP/households.csv" --db "$TMP/z.db" >"$TMP/import.out" 2>"$TMP/import.err" ||
	{ cat "$TMP/import.out" "$TMP/import.err" >&2; die "the import failed"; }
grep -q "$N created" "$TMP/import.out" || { cat "$TMP/import.out" >&2; die "not every household was created"; }
echo "bench: zhilian import households, again (nothing changes)" >&2
"$TIME" -v -o "$TMP/t.again" "$BIN" import households "$TMP/households.csv" --db "$TMP/z.db" >"$TMP/again.out" 2>&1 ||
	{ cat "$TMP/again.out" >&2; die "the second import failed"; }
grep -q "$N unchanged" "$TMP/again.out" || { cat "$TMP/again.out" >&2; die "the second import changed something"; }
echo "bench: raw SQLite inserts" >&2
"$TIME" -v -o "$TMP/t.raw" "$SQLITE" "$TMP/ref.db" <"$TMP/reference.sql" >/dev/null
[ "$("$SQLITE" "$TMP/ref.db" "SELECT count(*) FROM household_member")" = "$MEMBERS" ] || die "the reference lost rows"

"$PY" - "$N" "$MEMBERS" "$(measure "$TMP/t.import")" "$(measure "$TMP/t.again")" "$(measure "$TMP/t.raw")" <<'EOF'
import sys
n, m = int(sys.argv[1]), int(sys.argv[2])
runs = [[float(x) for x in a.split()] for a in sys.argv[3:6]]
names = ("zhilian import households", "zhilian import, same file again", "raw SQLite INSERTs (reference)")
print("households: %d, people: %d (CPU seconds are user + system)" % (n, m))
print("%-34s %8s %12s %12s %10s" % ("", "seconds", "CPU seconds", "households/s", "peak MiB"))
for name, (t, rss, user, system) in zip(names, runs):
    print("%-34s %8.2f %12.2f %12.0f %10.1f" % (name, t, user + system, n / t if t else 0, rss / 1024))
raw = runs[2][0]
print("ratio import / raw SQLite:        %.1fx" % (runs[0][0] / raw if raw else 0))
print("ratio re-import / raw SQLite:     %.1fx" % (runs[1][0] / raw if raw else 0))
EOF
