/*
 * teams.c: each village's two fixed teams, as Guangdong's practice has them:
 * the stationed team (驻点团队) led by a town leader, and the auxiliary team
 * (辅助团队), with each member's role, and the team's three fixed things
 * (三固定): fixed people, a fixed station day and hours, a fixed place.
 */
#include "org/org.h"

#include "platform/audit.h"
#include "platform/clock.h"
#include "platform/db.h"

#define PLACE_MAX 128
#define TEXT_MAX 64
#define MIN_MINUTES_DEFAULT 210 /* half a day: 08:30-12:00 */

static const char *const team_roles[] = {
	"leader",	 "cadre",	   "department_head",   "party_member",
	"deputy",	 "cppcc_member",   "village_committee", "service_centre",
	"graduate_official", "legal_adviser", "volunteer",	"other",
};

struct team_row {
	int64_t id, leader_user_id;
	char village_code[ZL_CODE_MAX];
	char kind[16];
	int weekday, every_weeks;
	int remote; /* 偏远驻点: a station team that may meet every two weeks */
	char start[8], end[8];
	char place[4 * PLACE_MAX + 1];
};

static int kind_ok(const char *kind)
{
	return kind && (!strcmp(kind, "station") || !strcmp(kind, "auxiliary"));
}

/* The village (level village, in scope) or ZL_E_NOT_FOUND; *retired set. */
static int village_load(struct ctx *c, const char *code, char *name, size_t n, int *retired)
{
	struct db_stmt *st = NULL;
	int rc = db_prepare(c->db,
			    "SELECT name, retired_at FROM region WHERE code = ? AND level = 'village'"
			    " AND +path LIKE ?",
			    &st);
	if (rc < 0)
		return rc;
	db_bindv(st, "tt", code ? code : "", c->actor.scope_like);
	rc = db_step(st);
	if (rc == 1) {
		snprintf(name, n, "%s", db_col_text(st, 0));
		*retired = !db_col_isnull(st, 1);
		rc = 0;
	} else if (rc == 0) {
		rc = ZL_E_NOT_FOUND;
	}
	db_done(st);
	return rc;
}

/* The team row; a team not yet set up gives id 0 and the defaults. */
static int team_load(struct ctx *c, const char *village, const char *kind, struct team_row *t)
{
	struct db_stmt *st = NULL;
	int rc;
	memset(t, 0, sizeof(*t));
	snprintf(t->village_code, sizeof(t->village_code), "%s", village);
	snprintf(t->kind, sizeof(t->kind), "%s", kind);
	t->every_weeks = 1;
	rc = db_prepare(c->db,
			"SELECT id, leader_user_id, station_weekday, station_every_weeks, station_start,"
			" station_end, station_place, station_remote FROM village_team WHERE village_code = ? AND kind = ?",
			&st);
	if (rc < 0)
		return rc;
	db_bindv(st, "tt", village, kind);
	rc = db_step(st);
	if (rc == 1) {
		const char *s;
		t->id = db_col_int(st, 0);
		t->leader_user_id = db_col_int(st, 1);
		t->weekday = (int)db_col_int(st, 2);
		t->every_weeks = (int)db_col_int(st, 3);
		snprintf(t->start, sizeof(t->start), "%s", (s = db_col_text(st, 4)) ? s : "");
		snprintf(t->end, sizeof(t->end), "%s", (s = db_col_text(st, 5)) ? s : "");
		snprintf(t->place, sizeof(t->place), "%s", (s = db_col_text(st, 6)) ? s : "");
		t->remote = (int)db_col_int(st, 7);
	}
	db_done(st);
	return rc < 0 ? rc : 0;
}

#define TM_COLS \
	"m.id, m.team_id, m.user_id, m.name, m.team_role, m.position, COALESCE(m.phone, u.phone)," \
	" m.start_date, m.end_date"

static json_t *member_json(struct db_stmt *st)
{
	json_t *uid = db_col_isnull(st, 2) ? json_null() : json_integer(db_col_int(st, 2));
	return json_pack("{s:I,s:I,s:o,s:s,s:s,s:s?,s:s?,s:s,s:s?,s:b}", "id", (json_int_t)db_col_int(st, 0),
			 "team_id", (json_int_t)db_col_int(st, 1), "user_id", uid, "name", db_col_text(st, 3),
			 "team_role", db_col_text(st, 4), "position", db_col_text(st, 5), "phone",
			 db_col_text(st, 6), "start_date", db_col_text(st, 7), "end_date", db_col_text(st, 8),
			 "current", db_col_isnull(st, 8));
}

/* Members of team_id (only member_id when it is not 0), current ones
 * unless all. */
static int members_query(struct ctx *c, int64_t team_id, int64_t member_id, int all, json_t **items)
{
	struct db_stmt *st = NULL;
	int rc;
	*items = json_array();
	if (team_id == 0)
		return 0;
	rc = db_prepare(c->db,
			"SELECT " TM_COLS " FROM team_member m LEFT JOIN app_user u ON u.id = m.user_id"
			" WHERE m.team_id = ? AND (? = 0 OR m.id = ?) AND (? = 1 OR m.end_date IS NULL)"
			" ORDER BY m.end_date IS NOT NULL, m.team_role = 'leader' DESC, m.start_date, m.id",
			&st);
	if (rc < 0)
		goto fail;
	db_bindv(st, "iiii", team_id, member_id, member_id, (int64_t)all);
	while ((rc = db_step(st)) == 1)
		json_array_append_new(*items, member_json(st));
	db_done(st);
	if (rc >= 0)
		return 0;
fail:
	json_decref(*items);
	*items = NULL;
	return rc;
}

static json_t *team_json(struct ctx *c, const struct team_row *t, json_t *members)
{
	json_t *o = json_pack("{s:o,s:s,s:o,s:o,s:i,s:s?,s:s?,s:s?}", "id",
			      t->id ? json_integer(t->id) : json_null(), "kind", t->kind, "leader",
			      org_user_brief(c, t->leader_user_id), "station_weekday",
			      t->weekday ? json_integer(t->weekday) : json_null(), "station_every_weeks",
			      t->every_weeks ? t->every_weeks : 1, "station_start", t->start[0] ? t->start : NULL,
			      "station_end", t->end[0] ? t->end : NULL, "station_place",
			      t->place[0] ? t->place : NULL);
	json_object_set_new(o, "station_remote", json_boolean(t->remote));
	json_object_set_new(o, "members", members);
	return o;
}

static json_t *team_audit(const struct team_row *t)
{
	return json_pack("{s:I,s:s,s:s,s:I,s:i,s:i,s:b,s:s,s:s,s:s}", "id", (json_int_t)t->id, "village_code",
			 t->village_code, "kind", t->kind, "leader_user_id", (json_int_t)t->leader_user_id,
			 "station_weekday", t->weekday, "station_every_weeks", t->every_weeks, "station_remote",
			 t->remote, "station_start", t->start, "station_end", t->end, "station_place", t->place);
}

static int one_team(struct ctx *c, const char *village, const char *kind, int all, json_t **out)
{
	struct team_row t;
	json_t *members = NULL;
	int rc = team_load(c, village, kind, &t);
	if (!rc)
		rc = members_query(c, t.id, 0, all, &members);
	if (rc)
		return rc;
	*out = team_json(c, &t, members);
	return 0;
}

int team_get(struct ctx *c, const char *village_code, int all, json_t **out)
{
	char name[260];
	json_t *st = NULL, *aux = NULL;
	int retired, rc;
	*out = NULL;
	rc = village_load(c, village_code, name, sizeof(name), &retired);
	if (!rc)
		rc = one_team(c, village_code, "station", all, &st);
	if (!rc)
		rc = one_team(c, village_code, "auxiliary", all, &aux);
	if (rc) {
		json_decref(st);
		return rc;
	}
	*out = json_pack("{s:{s:s,s:s,s:b},s:o,s:o}", "village", "code", village_code, "name", name,
			 "retired", retired, "station", st, "auxiliary", aux);
	return 0;
}

/* "HH:MM" as minutes since midnight, or -1. */
static int hhmm(const char *s)
{
	if (!s || strlen(s) != 5 || !isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
	    s[2] != ':' || !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]))
		return -1;
	int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
	return h < 24 && m < 60 ? h * 60 + m : -1;
}

static int min_station_minutes(struct ctx *c)
{
	char *v = NULL;
	int64_t n = MIN_MINUTES_DEFAULT;
	if (db_get_text(c->db, &v, "SELECT value FROM setting WHERE key = 'org.station_min_minutes'", "") == 1 &&
	    v && parse_int64(v, &n) == 0 && n >= 0 && n <= 24 * 60) {
		free(v);
		return (int)n;
	}
	free(v);
	return MIN_MINUTES_DEFAULT;
}

/* An optional integer field in [lo, hi]; 0 absent or null, 1 set, -1 bad. */
static int opt_int(struct ctx *c, const json_t *o, const char *field, int64_t lo, int64_t hi,
		   int64_t *v, const char *zh, const char *en)
{
	json_t *j = json_object_get(o, field);
	if (!j || json_is_null(j))
		return 0;
	if (json_is_integer(j) && json_integer_value(j) >= lo && json_integer_value(j) <= hi) {
		*v = json_integer_value(j);
		return 1;
	}
	verr_add(&c->errs, field, zh, en);
	return -1;
}

static int check_fixed_times(struct ctx *c, struct team_row *t, const char *start, const char *end)
{
	int a = start ? hhmm(start) : -2, b = end ? hhmm(end) : -2, min;
	char zh[200], en[200];
	if (a == -1)
		verr_add(&c->errs, "station_start", "开始时间应为 HH:MM，如 08:30", "'station_start' must be HH:MM, e.g. 08:30");
	if (b == -1)
		verr_add(&c->errs, "station_end", "结束时间应为 HH:MM，如 12:00", "'station_end' must be HH:MM, e.g. 12:00");
	if (a == -1 || b == -1)
		return -1;
	if ((a == -2) != (b == -2)) {
		verr_add(&c->errs, a == -2 ? "station_start" : "station_end", "开始和结束时间应同时填写",
			 "'station_start' and 'station_end' go together");
		return -1;
	}
	if (a == -2)
		return 0;
	if (b <= a) {
		verr_add(&c->errs, "station_end", "结束时间应晚于开始时间", "'station_end' must be after 'station_start'");
		return -1;
	}
	min = min_station_minutes(c);
	if (!strcmp(t->kind, "station") && b - a < min) {
		snprintf(zh, sizeof(zh), "驻点日至少半天：开始到结束应不少于 %d 分钟", min);
		snprintf(en, sizeof(en), "a station day lasts at least half a day: %d minutes or more", min);
		verr_add(&c->errs, "station_end", zh, en);
		return -1;
	}
	snprintf(t->start, sizeof(t->start), "%s", start);
	snprintf(t->end, sizeof(t->end), "%s", end);
	return 0;
}

/* Creates the team row if missing (with the defaults); t->id set. */
static int team_ensure(struct ctx *c, struct team_row *t)
{
	char now[ZL_TIME_MAX], id[24];
	json_t *a;
	int rc;
	if (t->id)
		return 0;
	time_format_utc(clock_now(), now);
	rc = db_run(c->db,
		    "INSERT INTO village_team(village_code, kind, station_every_weeks, created_at, updated_at)"
		    " VALUES (?,?,?,?,?)",
		    "ttitt", t->village_code, t->kind, (int64_t)(t->every_weeks ? t->every_weeks : 1), now, now);
	if (rc)
		return rc;
	t->id = db_last_id(c->db);
	snprintf(id, sizeof(id), "%" PRId64, t->id);
	a = team_audit(t);
	rc = audit_log(c, "team.create", "village_team", id, NULL, a);
	json_decref(a);
	return rc;
}

/* The village in scope and active, the kind valid: 0, or an error. */
static int team_target(struct ctx *c, const char *village, const char *kind)
{
	char name[260];
	int retired, rc;
	if (!kind_ok(kind))
		return ZL_E_NOT_FOUND;
	rc = village_load(c, village, name, sizeof(name), &retired);
	if (rc)
		return rc;
	return retired ? ZL_E_REGION_RETIRED : 0;
}

int team_put(struct ctx *c, const char *village_code, const char *kind, const json_t *in,
	     json_t **out)
{
	struct team_row old, t;
	struct org_user u;
	const char *start = NULL, *end = NULL, *place = NULL;
	char now[ZL_TIME_MAX], id[24];
	int64_t leader = 0, weekday = 0, every = 1;
	json_t *b, *a, *members = NULL;
	int rc;

	*out = NULL;
	rc = team_target(c, village_code, kind);
	if (!rc)
		rc = team_load(c, village_code, kind, &old);
	if (rc)
		return rc;
	t = old;
	json_opt_string(c, in, "station_start", &start);
	json_opt_string(c, in, "station_end", &end);
	json_opt_string(c, in, "station_place", &place);
	org_opt_id(c, in, "leader_user_id", &leader);
	opt_int(c, in, "station_weekday", 1, 7, &weekday, "驻点日应为 1（周一）到 7（周日）",
		"'station_weekday' must be 1 (Monday) to 7 (Sunday)");
	opt_int(c, in, "station_every_weeks", 1, 2, &every, "驻点周期应为每 1 周或每 2 周",
		"'station_every_weeks' must be 1 or 2");
	if (place)
		org_text_check(c, "station_place", place, PLACE_MAX);
	t.start[0] = t.end[0] = '\0';
	check_fixed_times(c, &t, start, end);
	if (leader) {
		rc = org_user_load(c, leader, &u);
		if (rc < 0 && rc != ZL_E_NOT_FOUND)
			return rc;
		if (rc || u.disabled)
			verr_add(&c->errs, "leader_user_id", "带队领导不存在、已停用或不在您的管辖范围内",
				 "'leader_user_id' is not an active user within your scope");
		else if (!strcmp(kind, "station") && u.role != ROLE_LEADER)
			return ZL_E_TEAM_LEADER_ROLE;
	}
	{
		/* 偏远驻点: only a station team marked remote may meet every two
		 * weeks; the flag is kept when absent */
		json_t *rv = json_object_get(in, "station_remote");
		if (rv && !json_is_boolean(rv))
			verr_add(&c->errs, "station_remote", "应为 true 或 false", "'station_remote' must be true or false");
		else if (rv)
			t.remote = json_is_true(rv) && !strcmp(kind, "station");
	}
	if (c->errs.n)
		return ZL_E_VALIDATION;
	if (!strcmp(kind, "station") && every == 2 && !t.remote)
		return ZL_E_RECEPTION_NOT_REMOTE;
	t.leader_user_id = leader;
	t.weekday = (int)weekday;
	t.every_weeks = (int)every;
	snprintf(t.place, sizeof(t.place), "%s", place ? place : "");

	rc = team_ensure(c, &t);
	if (rc)
		return rc;
	old.id = t.id;
	b = team_audit(&old);
	a = team_audit(&t);
	if (!json_equal(a, b)) {
		time_format_utc(clock_now(), now);
		rc = db_run(c->db,
			    "UPDATE village_team SET leader_user_id = NULLIF(?, 0), station_weekday = NULLIF(?, 0),"
			    " station_every_weeks = ?, station_remote = ?, station_start = NULLIF(?, ''),"
			    " station_end = NULLIF(?, ''), station_place = NULLIF(?, ''), updated_at = ? WHERE id = ?",
			    "iiiitttti", t.leader_user_id, (int64_t)t.weekday, (int64_t)t.every_weeks, (int64_t)t.remote,
			    t.start, t.end, t.place, now, t.id);
		snprintf(id, sizeof(id), "%" PRId64, t.id);
		if (!rc)
			rc = audit_log(c, "team.update", "village_team", id, b, a);
	}
	json_decref(a);
	json_decref(b);
	if (!rc)
		rc = members_query(c, t.id, 0, 0, &members);
	if (!rc)
		*out = team_json(c, &t, members);
	return rc;
}

static int role_ok(const char *r)
{
	return org_one_of(r, team_roles, ARRAY_SIZE(team_roles));
}

static void role_error(struct ctx *c)
{
	verr_add(&c->errs, "team_role",
		 "团队角色应为 leader、cadre、department_head、party_member、deputy、cppcc_member、"
		 "village_committee、service_centre、graduate_official、legal_adviser、volunteer 或 other",
		 "'team_role' must be one of leader, cadre, department_head, party_member, deputy, "
		 "cppcc_member, village_committee, service_centre, graduate_official, legal_adviser, "
		 "volunteer, other");
}

/* The audit form of a member: the phone masked. */
static json_t *member_audit(const json_t *m)
{
	json_t *a = json_deep_copy(m);
	const char *phone = json_string_value(json_object_get(m, "phone"));
	if (phone) {
		char masked[32];
		org_phone_mask(phone, masked, sizeof(masked));
		json_object_set_new(a, "phone", json_string(masked));
	}
	return a;
}

static int member_one(struct ctx *c, int64_t team_id, int64_t member_id, json_t **out)
{
	json_t *items = NULL;
	int rc = members_query(c, team_id, member_id, 1, &items);
	*out = NULL;
	return rc ? rc : org_first(items, out);
}

static int member_audit_log(struct ctx *c, const char *action, int64_t id, const json_t *before,
			    const json_t *after)
{
	char ids[24];
	json_t *b = before ? member_audit(before) : NULL, *a = after ? member_audit(after) : NULL;
	snprintf(ids, sizeof(ids), "%" PRId64, id);
	int rc = audit_log(c, action, "team_member", ids, b, a);
	json_decref(b);
	json_decref(a);
	return rc;
}

int team_member_add(struct ctx *c, const char *village_code, const char *kind, const json_t *in,
		    json_t **out)
{
	struct team_row t;
	struct org_user u;
	const char *name = NULL, *role = NULL, *position = NULL, *phone = NULL, *start = NULL;
	char ph[24] = "", today[ORG_DATE_MAX];
	int64_t user_id = 0, one, id;
	int rc;

	*out = NULL;
	rc = team_target(c, village_code, kind);
	if (!rc)
		rc = team_load(c, village_code, kind, &t);
	if (rc)
		return rc;
	json_opt_string(c, in, "name", &name);
	json_opt_string(c, in, "team_role", &role);
	json_opt_string(c, in, "position", &position);
	json_opt_string(c, in, "phone", &phone);
	json_opt_string(c, in, "start_date", &start);
	org_opt_id(c, in, "user_id", &user_id);
	if (user_id) {
		rc = org_user_load(c, user_id, &u);
		if (rc < 0 && rc != ZL_E_NOT_FOUND)
			return rc;
		if (rc || u.disabled)
			verr_add(&c->errs, "user_id", "用户不存在、已停用或不在您的管辖范围内",
				 "'user_id' is not an active user within your scope");
		else if (!name)
			name = u.display_name;
	}
	if (!user_id && !name)
		verr_required(c, "name");
	else if (name)
		org_text_check(c, "name", name, TEXT_MAX);
	if (!role)
		verr_required(c, "team_role");
	else if (!role_ok(role))
		role_error(c);
	if (position)
		org_text_check(c, "position", position, TEXT_MAX);
	if (phone)
		org_phone_field(c, "phone", phone, ph);
	if (start)
		org_date_check(c, "start_date", start);
	if (c->errs.n)
		return ZL_E_VALIDATION;
	rc = team_ensure(c, &t);
	if (rc)
		return rc;
	if (user_id) {
		rc = db_get_int(c->db, &one,
				"SELECT 1 FROM team_member WHERE team_id = ? AND user_id = ? AND end_date IS NULL",
				"ii", t.id, user_id);
		if (rc < 0)
			return rc;
		if (rc == 1)
			return ZL_E_MEMBER_EXISTS;
	}
	org_today(today);
	rc = db_run(c->db,
		    "INSERT INTO team_member(team_id, user_id, name, team_role, position, phone, start_date)"
		    " VALUES (?, NULLIF(?, 0), ?, ?, ?, ?, ?)",
		    "iittttt", t.id, user_id, name, role, position, ph[0] ? ph : NULL, start ? start : today);
	if (rc)
		return rc == ZL_E_CONFLICT ? ZL_E_MEMBER_EXISTS : rc;
	id = db_last_id(c->db);
	rc = member_one(c, t.id, id, out);
	if (!rc)
		rc = member_audit_log(c, "team.member.add", id, NULL, *out);
	return rc;
}

int team_member_update(struct ctx *c, const char *village_code, const char *kind, int64_t member_id,
		       const json_t *patch, json_t **out)
{
	struct team_row t;
	json_t *before = NULL;
	const char *role = NULL, *position = NULL, *phone = NULL, *end = NULL, *start;
	char ph[24] = "";
	int rc;

	*out = NULL;
	if (!kind_ok(kind))
		return ZL_E_NOT_FOUND;
	rc = team_target(c, village_code, kind);
	if (rc == ZL_E_REGION_RETIRED)
		rc = 0; /* ending memberships of a retired village is fine */
	if (!rc)
		rc = team_load(c, village_code, kind, &t);
	if (!rc)
		rc = t.id ? member_one(c, t.id, member_id, &before) : ZL_E_NOT_FOUND;
	if (rc)
		return rc;
	json_opt_string(c, patch, "team_role", &role);
	json_opt_string(c, patch, "position", &position);
	json_opt_string(c, patch, "phone", &phone);
	json_opt_string(c, patch, "end_date", &end);
	if (role && !role_ok(role))
		role_error(c);
	if (position)
		org_text_check(c, "position", position, TEXT_MAX);
	if (phone)
		org_phone_field(c, "phone", phone, ph);
	start = json_string_value(json_object_get(before, "start_date"));
	if (end && org_date_check(c, "end_date", end) == 0 && strcmp(end, start) < 0)
		verr_add(&c->errs, "end_date", "结束日期不能早于开始日期", "'end_date' must not be before 'start_date'");
	if (c->errs.n) {
		rc = ZL_E_VALIDATION;
		goto out;
	}
	if (end && !json_is_null(json_object_get(before, "end_date"))) {
		rc = ZL_E_MEMBER_ENDED;
		goto out;
	}
	rc = db_run(c->db,
		    "UPDATE team_member SET team_role = COALESCE(?, team_role), position = COALESCE(?, position),"
		    " phone = COALESCE(?, phone), end_date = COALESCE(?, end_date) WHERE id = ?",
		    "tttti", role, position, ph[0] ? ph : NULL, end, member_id);
	if (!rc)
		rc = member_one(c, t.id, member_id, out);
	if (!rc && !json_equal(before, *out))
		rc = member_audit_log(c, end ? "team.member.end" : "team.member.update", member_id, before, *out);
out:
	json_decref(before);
	return rc;
}

/* ---- routes ---- */

static int h_get(struct req *r, struct resp *w)
{
	json_t *out = NULL;
	int all, rc = org_query_flag(r, "all", &all);
	if (!rc)
		rc = team_get(&r->ctx, req_param(r, "code"), all, &out);
	if (rc < 0)
		return rc;
	resp_json(w, 200, out);
	return 0;
}

static int h_put(struct req *r, struct resp *w)
{
	json_t *in = NULL, *out = NULL;
	int rc = req_json(r, &in);
	if (!rc)
		rc = team_put(&r->ctx, req_param(r, "code"), req_param(r, "kind"), in, &out);
	if (rc < 0)
		return rc;
	resp_json(w, 200, out);
	return 0;
}

static int h_member_add(struct req *r, struct resp *w)
{
	json_t *in = NULL, *out = NULL;
	char loc[128];
	int rc = req_json(r, &in);
	if (!rc)
		rc = team_member_add(&r->ctx, req_param(r, "code"), req_param(r, "kind"), in, &out);
	if (rc < 0)
		return rc;
	snprintf(loc, sizeof(loc), "/api/v1/villages/%s/teams/%s/members/%" JSON_INTEGER_FORMAT,
		 req_param(r, "code"), req_param(r, "kind"), json_integer_value(json_object_get(out, "id")));
	resp_created(w, out, loc);
	return 0;
}

static int h_member_update(struct req *r, struct resp *w)
{
	json_t *in = NULL, *out = NULL;
	int64_t id;
	int rc = req_param_id(r, "id", &id);
	if (!rc)
		rc = req_json(r, &in);
	if (!rc)
		rc = team_member_update(&r->ctx, req_param(r, "code"), req_param(r, "kind"), id, in, &out);
	if (rc < 0)
		return rc;
	resp_json(w, 200, out);
	return 0;
}

static const struct route routes[] = {
	{ "GET", "/api/v1/villages/{code}/teams", h_get, "team.read", 0 },
	{ "PUT", "/api/v1/villages/{code}/teams/{kind}", h_put, "team.write", 0 },
	{ "POST", "/api/v1/villages/{code}/teams/{kind}/members", h_member_add, "team.write", 0 },
	{ "PATCH", "/api/v1/villages/{code}/teams/{kind}/members/{id}", h_member_update, "team.write", 0 },
};

ROUTE_TABLE(team_routes, "teams", routes);
