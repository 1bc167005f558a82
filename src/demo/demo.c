/*
 * demo.c: builds the demo town 凤岭镇 (fictional): 12 villages and their
 * groups, town offices, 60 cadres and 6 town leaders, each village's station
 * and auxiliary team with its fixed day, hours and place, about 3,000
 * households with 9,000 members (valid ID numbers, tags at realistic
 * shares) and their responsible cadres. Everything goes through the same
 * service functions the API uses, from a fixed seed, so the same command
 * gives the same town.
 */
#include <jansson.h>

#include "demo.h"
#include "gen.h"
#include "year.h"
#include "year_confirm.h"
#include "year_diary.h"
#include "year_meetings.h"
#include "year_reception.h"
#include "households/households.h"
#include "org/org.h"
#include "org/regions.h"
#include "org/users.h"
#include "platform/audit.h"
#include "platform/clock.h"
#include "platform/db.h"

#define DEMO_TOWN "440881104000"
#define DEMO_SEED 20141001ULL /* province-wide start of the practice */
#define DEMO_START "2026-01-05"
#define DEMO_AREA "440881"

const struct demo_login demo_logins[] = {
	{ "admin", "admin", "Demo-2026-A1", "陈立明", DEMO_TOWN, "党政办信息员", "13800138001" },
	{ "leader", "leader", "Demo-2026-L2", "黄志强", DEMO_TOWN, "镇党委副书记", "13902220001" },
	{ "cadre", "cadre", "Demo-2026-C3", "林秀英", "440881104201", "镇农业农村办主任", "13800138000" },
	{ "viewer", "viewer", "Demo-2026-V4", "周建华", DEMO_TOWN, "镇纪委督查员", "13600136000" },
	{ NULL, NULL, NULL, NULL, NULL, NULL, NULL },
};

static const struct village {
	const char *code, *name;
	int groups, households, remote;
} villages[] = {
	{ "440881104201", "东坑村", 5, 260, 0 }, { "440881104202", "石岭村", 5, 240, 0 },
	{ "440881104203", "新圩村", 6, 280, 0 }, { "440881104204", "龙湾村", 5, 250, 0 },
	{ "440881104205", "禾塘村", 4, 220, 0 }, { "440881104206", "上洋村", 5, 250, 0 },
	{ "440881104207", "平山村", 5, 240, 0 }, { "440881104208", "白沙村", 6, 290, 0 },
	{ "440881104209", "高桥村", 5, 250, 0 }, { "440881104210", "竹园村", 4, 230, 0 },
	{ "440881104211", "长岭村", 5, 240, 1 }, { "440881104212", "塘尾村", 5, 250, 1 },
};

static const char *const group_names[] = { "上村", "下村", "东头", "西头", "新屋", "老屋", "坡尾" };
static const char *const positions[] = { "党政办干部", "农业农村办干部", "社会事务办干部",
					 "综治办干部", "经济发展办干部", "自然资源所干部" };
static const char *const leader_positions[] = { "镇党委书记", "镇长", "镇党委副书记",
						"副镇长", "镇人大主席", "镇纪委书记" };
static const char *const occupations[] = { "务农", "务工", "个体经营", "学生", "退休", "无",
					   "外出务工", "养殖", "教师", "司机" };

/* Tag shares per thousand households, roughly as township files have them. */
static const struct {
	const char *tag;
	unsigned per_mille;
} tag_shares[] = {
	{ "低保户", 45 },   { "特困供养", 12 }, { "脱贫户", 60 },   { "监测户", 20 },  { "留守老人", 80 },
	{ "留守儿童", 50 }, { "残疾人", 50 },   { "退役军人", 30 }, { "独居老人", 40 }, { "重病患者", 20 },
};

#define DEMO_ID_SLOTS 32768 /* > 3 x the demo's members: open addressing stays short */

struct demo {
	struct ctx *c;
	struct rng rng;
	uint64_t ids[DEMO_ID_SLOTS]; /* hashes of the ID numbers given out: each once */
	int64_t leaders[6];
	int64_t cadres[ARRAY_SIZE(villages)][5];
	int ncadres[ARRAY_SIZE(villages)];
};

static int add_login_users(struct demo *d, int64_t *admin, int64_t *leader, int64_t *cadre)
{
	for (const struct demo_login *l = demo_logins; l->role; l++) {
		json_t *in = json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:s,s:s}", "username", l->username,
				       "display_name", l->display_name, "role", l->role, "scope_code",
				       l->scope, "password", l->password, "must_change_password", 0,
				       "position", l->position, "phone", l->phone);
		json_t *out = NULL;
		int rc = user_create(d->c, in, &out);
		int64_t id = out ? json_integer_value(json_object_get(out, "id")) : 0;
		json_decref(in);
		json_decref(out);
		if (rc)
			return rc;
		if (!strcmp(l->role, "admin"))
			*admin = id;
		else if (!strcmp(l->role, "leader"))
			*leader = id;
		else if (!strcmp(l->role, "cadre"))
			*cadre = id;
	}
	return 0;
}

/*
 * The other accounts have no password yet ("!" never verifies): an admin
 * sets one with `zhilian user passwd` when a cadre starts using the system.
 * Hashing sixty passwords with argon2id would make the demo slow to build
 * for no gain.
 */
static int add_account(struct demo *d, const char *username, const char *name, const char *role,
		       const char *scope, const char *position, int64_t *id)
{
	char now[ZL_TIME_MAX], phone[12], idtext[24];
	json_t *after;
	int rc;
	time_format_utc(clock_now(), now);
	gen_mobile(&d->rng, phone);
	rc = db_run(d->c->db,
		    "INSERT INTO app_user(username, display_name, role, scope_code, password_hash, "
		    "must_change_password, created_at, updated_at, phone, position) "
		    "VALUES (?,?,?,?,'!',1,?,?,?,?)",
		    "tttttttt", username, name, role, scope, now, now, phone, position);
	if (rc)
		return rc;
	*id = db_last_id(d->c->db);
	after = json_pack("{s:I,s:s,s:s,s:s,s:s}", "id", (json_int_t)*id, "username", username,
			  "display_name", name, "role", role, "scope_code", scope);
	snprintf(idtext, sizeof(idtext), "%" PRId64, *id);
	rc = audit_log(d->c, "user.create", "user", idtext, NULL, after);
	json_decref(after);
	return rc;
}

static int add_regions(struct demo *d)
{
	int rc = region_add(d->c, DEMO_TOWN, "凤岭镇", "town", NULL);
	for (size_t v = 0; !rc && v < ARRAY_SIZE(villages); v++) {
		rc = region_add(d->c, villages[v].code, villages[v].name, "village", DEMO_TOWN);
		for (int g = 0; !rc && g < villages[v].groups; g++) {
			char code[24], name[64];
			snprintf(code, sizeof(code), "%s%03d", villages[v].code, g + 1);
			snprintf(name, sizeof(name), "%s村民小组", group_names[g % ARRAY_SIZE(group_names)]);
			rc = region_add(d->c, code, name, "group", villages[v].code);
		}
	}
	return rc;
}

static int add_departments(struct demo *d, int64_t leader)
{
	static const char *const offices[] = { "党政综合办公室", "农业农村办公室", "社会事务办公室",
					       "综治维稳办公室" };
	int rc = 0;
	for (size_t i = 0; !rc && i < ARRAY_SIZE(offices); i++) {
		json_t *in = json_pack("{s:s,s:s,s:s,s:I}", "name", offices[i], "kind", "town_office",
				       "region_code", DEMO_TOWN, "head_user_id", (json_int_t)leader);
		{ json_t *o = NULL; rc = department_create(d->c, in, &o); json_decref(o); }
		json_decref(in);
	}
	for (size_t v = 0; !rc && v < ARRAY_SIZE(villages); v++) {
		char name[96];
		json_t *in;
		snprintf(name, sizeof(name), "%s村民委员会", villages[v].name);
		in = json_pack("{s:s,s:s,s:s}", "name", name, "kind", "village_committee", "region_code",
			       villages[v].code);
		{ json_t *o = NULL; rc = department_create(d->c, in, &o); json_decref(o); }
		json_decref(in);
	}
	if (!rc) {
		json_t *in = json_pack("{s:s,s:s,s:s}", "name", "农业技术推广站", "kind", "station",
				       "region_code", DEMO_TOWN);
		{ json_t *o = NULL; rc = department_create(d->c, in, &o); json_decref(o); }
		json_decref(in);
	}
	return rc;
}

static int add_people(struct demo *d, int64_t leader_login, int64_t cadre_login)
{
	int rc = 0, serial = 0;
	d->leaders[0] = leader_login;
	for (int i = 1; !rc && i < 6; i++) {
		char user[32], name[48], full[64];
		snprintf(user, sizeof(user), "leader%d", i + 1);
		gen_name(&d->rng, rng_chance(&d->rng, 300) ? 'F' : 'M', name, sizeof(name));
		snprintf(full, sizeof(full), "%s", name);
		rc = add_account(d, user, full, "leader", DEMO_TOWN, leader_positions[i], &d->leaders[i]);
	}
	for (size_t v = 0; !rc && v < ARRAY_SIZE(villages); v++) {
		int n = 5;
		d->ncadres[v] = 0;
		for (int i = 0; !rc && i < n; i++) {
			char user[32], name[48];
			if (v == 0 && i == 0) {
				d->cadres[v][d->ncadres[v]++] = cadre_login;
				continue;
			}
			snprintf(user, sizeof(user), "cadre%02d", ++serial);
			gen_name(&d->rng, rng_chance(&d->rng, 450) ? 'F' : 'M', name, sizeof(name));
			rc = add_account(d, user, name, "cadre", villages[v].code,
					 positions[rng_below(&d->rng, ARRAY_SIZE(positions))],
					 &d->cadres[v][d->ncadres[v]]);
			d->ncadres[v]++;
		}
	}
	return rc;
}

static int add_member(struct demo *d, const char *village, const char *team, const char *role,
		      int64_t user_id, const char *name, const char *position)
{
	json_t *in = user_id ? json_pack("{s:I,s:s,s:s?,s:s}", "user_id", (json_int_t)user_id, "team_role",
					 role, "position", position, "start_date", DEMO_START)
			     : json_pack("{s:s,s:s,s:s?,s:s}", "name", name, "team_role", role,
					 "position", position, "start_date", DEMO_START);
	json_t *o = NULL;
	int rc = team_member_add(d->c, village, team, in, &o);
	json_decref(o);
	json_decref(in);
	return rc;
}

/* Each town leader links two villages (一名镇领导直接联系一至两个村). */
static int add_teams(struct demo *d)
{
	int rc = 0;
	for (size_t v = 0; !rc && v < ARRAY_SIZE(villages); v++) {
		const struct village *vi = &villages[v];
		int64_t leader = d->leaders[v / 2];
		char place[96], name[48];
		json_t *in;
		snprintf(place, sizeof(place), "%s村委会办公室", vi->name);
		/* the county's station day is Wednesday; remote villages every two weeks */
		in = json_pack("{s:I,s:i,s:i,s:b,s:s,s:s,s:s}", "leader_user_id", (json_int_t)leader,
			       "station_weekday", 3, "station_every_weeks", vi->remote ? 2 : 1, "station_remote",
			       vi->remote,
			       "station_start", "08:30", "station_end", "12:00", "station_place", place);
		{ json_t *o = NULL; rc = team_put(d->c, vi->code, "station", in, &o); json_decref(o); }
		json_decref(in);
		if (!rc)
			rc = add_member(d, vi->code, "station", "leader", leader, NULL, NULL);
		for (int i = 0; !rc && i < d->ncadres[v]; i++)
			rc = add_member(d, vi->code, "station", i == 1 ? "department_head" : "cadre",
					d->cadres[v][i], NULL, NULL);
		if (!rc) {
			gen_name(&d->rng, 'M', name, sizeof(name));
			rc = add_member(d, vi->code, "station", "deputy", 0, name, "镇人大代表");
		}
		if (!rc) {
			gen_name(&d->rng, 'F', name, sizeof(name));
			rc = add_member(d, vi->code, "station", "party_member", 0, name, "党员");
		}
		if (!rc) {
			in = json_pack("{s:s,s:s,s:s}", "station_start", "08:30", "station_end", "12:00",
				       "station_place", place);
			{ json_t *o = NULL; rc = team_put(d->c, vi->code, "auxiliary", in, &o); json_decref(o); }
			json_decref(in);
		}
		static const struct {
			const char *role, *position;
			char sex;
		} aux[] = {
			{ "village_committee", "村委会主任", 'M' }, { "village_committee", "村委会委员", 'F' },
			{ "service_centre", "党群服务中心专职人员", 'F' }, { "graduate_official", "大学生村官", 'M' },
			{ "legal_adviser", "驻村法律顾问", 'M' },      { "volunteer", "志愿者", 'F' },
		};
		for (size_t i = 0; !rc && i < ARRAY_SIZE(aux); i++) {
			gen_name(&d->rng, aux[i].sex, name, sizeof(name));
			rc = add_member(d, vi->code, "auxiliary", aux[i].role, 0, name, aux[i].position);
		}
		if (!rc)
			rc = station_assign(d->c, leader, vi->code, DEMO_START, 0, NULL);
		for (int i = 0; !rc && i < d->ncadres[v]; i++)
			rc = station_assign(d->c, d->cadres[v][i], vi->code, DEMO_START, 0, NULL);
	}
	return rc;
}

/* 1 if this ID number is new (and now taken), 0 if it was given out already. */
static int id_take(struct demo *d, const char *id)
{
	uint64_t h = 1469598103934665603ULL;
	for (const char *p = id; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	h |= 1; /* 0 marks a free slot */
	for (size_t i = h % DEMO_ID_SLOTS;; i = (i + 1) % DEMO_ID_SLOTS) {
		if (d->ids[i] == h)
			return 0;
		if (!d->ids[i]) {
			d->ids[i] = h;
			return 1;
		}
	}
}

static json_t *make_member(struct demo *d, const char *name, const char *relation, int year, char sex,
			   int with_phone)
{
	char id[19], phone[12], birth[40];
	int m = 1 + (int)rng_below(&d->rng, 12), day = 1 + (int)rng_below(&d->rng, 28);
	json_t *o;
	do
		gen_id_number(&d->rng, DEMO_AREA, year, m, day, sex, id);
	while (!id_take(d, id));
	snprintf(birth, sizeof(birth), "%04d-%02d-%02d", year, m, day);
	o = json_pack("{s:s,s:s,s:s,s:s,s:s}", "name", name, "relation", relation, "id_number", id, "sex",
		      sex == 'M' ? "M" : "F", "birth_date", birth);
	if (with_phone) {
		gen_mobile(&d->rng, phone);
		json_object_set_new(o, "phone", json_string(phone));
	}
	json_object_set_new(o, "occupation",
			    json_string(year > 2008 ? "学生" : year < 1961 ? "退休"
							 : occupations[rng_below(&d->rng, ARRAY_SIZE(occupations))]));
	return o;
}

static json_t *make_household(struct demo *d, const struct village *vi, int serial, int group)
{
	char code[24], gcode[24], head[48], surname[8], name[48], addr[160];
	int head_year = 1940 + (int)rng_below(&d->rng, 60);
	char head_sex = rng_chance(&d->rng, 820) ? 'M' : 'F';
	int elderly_alone = head_year < 1958 && rng_chance(&d->rng, 250);
	json_t *members = json_array(), *tags = json_array(), *h;

	snprintf(code, sizeof(code), "%s%04d", vi->code, serial);
	snprintf(gcode, sizeof(gcode), "%s%03d", vi->code, group + 1);
	gen_name(&d->rng, head_sex, head, sizeof(head));
	gen_surname_of(head, surname, sizeof(surname));
	json_array_append_new(members, make_member(d, head, "户主", head_year, head_sex, 1));
	if (!elderly_alone) {
		int kids = (int)rng_below(&d->rng, 3) + rng_chance(&d->rng, 300);
		char spouse_sex = head_sex == 'M' ? 'F' : 'M';
		gen_name(&d->rng, spouse_sex, name, sizeof(name));
		json_array_append_new(members, make_member(d, name, "配偶", head_year + (int)rng_below(&d->rng, 5),
							   spouse_sex, rng_chance(&d->rng, 500)));
		for (int k = 0; k < kids; k++) {
			char sex = rng_chance(&d->rng, 520) ? 'M' : 'F';
			int year = head_year + 22 + (int)rng_below(&d->rng, 12);
			if (year > 2024)
				year = 2024;
			gen_name_with_surname(&d->rng, surname, sex, name, sizeof(name));
			json_array_append_new(members, make_member(d, name, "子女", year, sex, year < 2004));
		}
	}
	for (size_t t = 0; t < ARRAY_SIZE(tag_shares); t++) {
		unsigned share = tag_shares[t].per_mille;
		if (!strcmp(tag_shares[t].tag, "独居老人"))
			share = elderly_alone ? 900 : 0;
		else if (!strcmp(tag_shares[t].tag, "留守老人"))
			share = head_year < 1960 && !elderly_alone ? 300 : 0;
		if (rng_chance(&d->rng, share))
			json_array_append_new(tags, json_string(tag_shares[t].tag));
	}
	snprintf(addr, sizeof(addr), "凤岭镇%s%s%d号", vi->name, group_names[group % ARRAY_SIZE(group_names)],
		 serial);
	h = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:f,s:f}", "code", code, "village_code", vi->code,
		      "group_code", gcode, "address", addr, "head_name", head, "members", members, "tags",
		      tags, "lat", 21.60 + (double)rng_below(&d->rng, 1000) / 10000.0, "lng",
		      110.25 + (double)rng_below(&d->rng, 1000) / 10000.0);
	json_object_set(h, "phone", json_object_get(json_array_get(members, 0), "phone"));
	return h;
}

static int add_households(struct demo *d)
{
	int rc = 0;
	for (size_t v = 0; !rc && v < ARRAY_SIZE(villages); v++) {
		const struct village *vi = &villages[v];
		for (int i = 0; !rc && i < vi->households; i++) {
			json_t *h = make_household(d, vi, i + 1, i % vi->groups);
			int64_t id = 0;
			int changed = 0;
			rc = household_upsert_import(d->c, h, &id, &changed);
			json_decref(h);
			/* the household is shared among the village's cadres */
			if (!rc)
				rc = household_assign(d->c, id, d->cadres[v][i % d->ncadres[v]], DEMO_START, 0,
						      NULL);
		}
	}
	return rc;
}

static int add_year(struct demo *d, int64_t admin)
{
	const char *codes[ARRAY_SIZE(villages)];
	int64_t leaders[ARRAY_SIZE(villages)];
	struct demo_town t = { ARRAY_SIZE(villages), codes, leaders, d->cadres, d->ncadres, admin };
	for (size_t v = 0; v < ARRAY_SIZE(villages); v++) {
		codes[v] = villages[v].code;
		leaders[v] = d->leaders[v / 2];
	}
	/* the year, then what builds on its contacts and appeals: visits the
	 * households confirmed, reception days with their walk-ins, the teams'
	 * analysis meetings and the cadres' diaries */
	int rc = demo_year(d->c, &d->rng, &t);
	if (!rc)
		rc = demo_confirm(d->c, &d->rng, &t);
	if (!rc)
		rc = demo_reception(d->c, &d->rng, &t);
	if (!rc)
		rc = demo_meetings(d->c, &d->rng, &t);
	if (!rc)
		rc = demo_diary(d->c, &d->rng, &t);
	return rc;
}

int demo_build(struct ctx *c)
{
	struct demo *d = xcalloc(1, sizeof(*d));
	int64_t admin = 0, leader = 0, cadre = 0;
	int rc;
	d->c = c;
	rng_seed(&d->rng, DEMO_SEED);
	/* a year of records in one transaction: keep its pages in memory */
	db_exec(c->db, "PRAGMA cache_size = -262144");
	/* the town is set up on the Sunday before the year's work starts */
	demo_clock_set(days_from_civil(2026, 1, 4) * 86400 * USEC_PER_SEC + 1 * 3600 * USEC_PER_SEC);
	rc = add_regions(d);
	if (!rc)
		rc = add_login_users(d, &admin, &leader, &cadre);
	if (!rc)
		rc = add_people(d, leader, cadre);
	if (!rc)
		rc = add_departments(d, leader);
	if (!rc)
		rc = add_teams(d);
	if (!rc)
		rc = add_households(d);
	if (!rc)
		rc = add_year(d, admin);
	free(d);
	if (!rc)
		rc = db_run(c->db, "UPDATE notification SET read_at = created_at", "");
	return rc;
}

void demo_print_logins(FILE *out)
{
	for (const struct demo_login *l = demo_logins; l->role; l++)
		fprintf(out, "%s: %s / %s\n", l->role, l->username, l->password);
}
