/*
 * reception.c: reception days (接访日): the rule of the fixed day (half a
 * day at least, fortnightly only when remote), the duty roster, the
 * town-wide schedule with attendance and missed days, walk-in visitors
 * registered as a contact and an appeal in one transaction, and the public
 * list of a village's next reception days (0017_reception.sql).
 */
#include "contacts/reception.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "appeals/appeals.h"
#include "contacts/contacts.h"
#include "contacts/meetings.h"
#include "contacts/plans.h"
#include "households/households.h"
#include "households/pii.h"
#include "org/org.h"
#include "platform/audit.h"
#include "platform/clock.h"
#include "platform/error.h"

#define ROSTER_MAX 20
#define WALKIN_MINUTES_DEFAULT 15
#define MIN_MINUTES_DEFAULT RECEPTION_MIN_MINUTES /* 0017 sets the setting to it */

/* ---- arithmetic ---- */

int reception_hhmm(const char *s)
{
	if (!s || strlen(s) != 5 || !isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
	    s[2] != ':' || !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]))
		return -1;
	int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
	return h < 24 && m < 60 ? h * 60 + m : -1;
}

int reception_rule_check(int every_weeks, int remote, int start_min, int end_min, int min_minutes)
{
	int bad = 0;
	if (min_minutes < RECEPTION_MIN_MINUTES)
		min_minutes = RECEPTION_MIN_MINUTES;
	if (start_min < 0 || end_min < 0)
		bad |= RECEPTION_RULE_NO_HOURS;
	else if (end_min - start_min < min_minutes)
		bad |= RECEPTION_RULE_TOO_SHORT;
	if (every_weeks == 2 && !remote)
		bad |= RECEPTION_RULE_NOT_REMOTE;
	return bad;
}

size_t reception_days(int weekday, int every_weeks, int64_t ref_monday, int64_t from, int64_t to,
		      int64_t *out, size_t max)
{
	size_t n = 0;
	for (int64_t d = from; d < to; d++) {
		if (!plan_is_station_day(weekday, every_weeks, ref_monday, d))
			continue;
		if (n < max)
			out[n] = d;
		n++;
	}
	return n;
}

/* ---- small helpers ---- */

static int64_t today_day(void)
{
	int64_t s = clock_now() / USEC_PER_SEC + ZL_TZ_OFFSET_MIN * 60;
	return s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
}

static void day_str(int64_t day, char out[ORG_DATE_MAX])
{
	int y, m, d;
	civil_from_days(day, &y, &m, &d);
	snprintf(out, ORG_DATE_MAX, "%04d-%02d-%02d", y, m, d);
}

static json_t *day_json(int64_t day)
{
	char s[ORG_DATE_MAX];
	day_str(day, s);
	return json_string(s);
}

static int min_minutes(struct ctx *c)
{
	char *v = NULL;
	int64_t n = MIN_MINUTES_DEFAULT;
	if (db_get_text(c->db, &v, "SELECT value FROM setting WHERE key = 'org.station_min_minutes'", "") == 1 &&
	    v && (parse_int64(v, &n) || n < 0 || n > 24 * 60))
		n = MIN_MINUTES_DEFAULT;
	free(v);
	return n < RECEPTION_MIN_MINUTES ? RECEPTION_MIN_MINUTES : (int)n;
}

static json_t *rule_names(int bad)
{
	json_t *a = json_array();
	if (bad & RECEPTION_RULE_TOO_SHORT)
		json_array_append_new(a, json_string("too_short"));
	if (bad & RECEPTION_RULE_NOT_REMOTE)
		json_array_append_new(a, json_string("not_remote"));
	if (bad & RECEPTION_RULE_NO_HOURS)
		json_array_append_new(a, json_string("no_hours"));
	return a;
}

/* A village's station team as the schedule needs it. */
struct vteam {
	char code[ZL_CODE_MAX];
	char name[4 * ZL_NAME_MAX + 1];
	int64_t id, leader;
	int weekday, every_weeks, remote;
	char start[8], end[8], place[520];
};

#define VTEAM_SELECT                                                                                 \
	"SELECT g.code, g.name, COALESCE(t.id, 0), COALESCE(t.leader_user_id, 0), "                  \
	"COALESCE(t.station_weekday, 0), COALESCE(t.station_every_weeks, 1), "                       \
	"COALESCE(t.station_remote, 0), t.station_start, t.station_end, t.station_place FROM region g " \
	"LEFT JOIN village_team t ON t.village_code = g.code AND t.kind = 'station' "

static void vteam_row(struct db_stmt *st, struct vteam *t)
{
	memset(t, 0, sizeof(*t));
	org_col_copy(st, 0, t->code, sizeof(t->code));
	org_col_copy(st, 1, t->name, sizeof(t->name));
	t->id = db_col_int(st, 2);
	t->leader = db_col_int(st, 3);
	t->weekday = (int)db_col_int(st, 4);
	t->every_weeks = (int)db_col_int(st, 5);
	t->remote = (int)db_col_int(st, 6);
	org_col_copy(st, 7, t->start, sizeof(t->start));
	org_col_copy(st, 8, t->end, sizeof(t->end));
	org_col_copy(st, 9, t->place, sizeof(t->place));
}

/* The village (active, level village; in scope unless public) and its
 * station team: 0, or ZL_E_NOT_FOUND. */
static int vteam_load(struct ctx *c, const char *village, int public, struct vteam *t)
{
	struct db_stmt *st = NULL;
	int rc = db_prepare(c->db, VTEAM_SELECT "WHERE g.code = ? AND g.level = 'village' AND "
			    "g.retired_at IS NULL AND (? = 1 OR +g.path LIKE ?)", &st);
	if (rc < 0)
		return rc;
	db_bindv(st, "tit", village ? village : "", (int64_t)public, c->actor.scope_like);
	rc = db_step(st);
	if (rc == 1)
		vteam_row(st, t);
	db_done(st);
	return rc < 0 ? rc : rc == 1 ? 0 : ZL_E_NOT_FOUND;
}

static int vteam_rules(struct ctx *c, const struct vteam *t)
{
	return reception_rule_check(t->every_weeks, t->remote, reception_hhmm(t->start), reception_hhmm(t->end),
				    min_minutes(c));
}

static json_t *user_brief(struct ctx *c, int64_t id)
{
	json_t *u = org_user_brief(c, id);
	if (json_is_object(u))
		json_object_del(u, "phone");
	return u;
}

static json_t *vteam_json(struct ctx *c, const struct vteam *t)
{
	return json_pack("{s:s,s:s,s:o,s:i,s:b,s:s?,s:s?,s:s?,s:o,s:o}", "code", t->code, "name", t->name,
			 "weekday", t->weekday ? json_integer(t->weekday) : json_null(), "every_weeks",
			 t->every_weeks, "remote", t->remote, "start", t->start[0] ? t->start : NULL, "end",
			 t->end[0] ? t->end : NULL, "place", t->place[0] ? t->place : NULL, "leader",
			 user_brief(c, t->leader), "problems", rule_names(vteam_rules(c, t)));
}

/* A path date: 0 with *day, or ZL_E_NOT_FOUND (as plans.c's check-in). */
static int path_day(const char *date, int64_t *day)
{
	return date && !date_parse(date, day) ? 0 : ZL_E_NOT_FOUND;
}

/* ---- the roster ---- */

/* The roster of a day as an array of {user, checked_in, at}; *set is 1
 * when a leader set it. Check-ins come from station_checkin. */
static int roster_json(struct ctx *c, const char *village, const char *date, json_t **out, int *set)
{
	struct db_stmt *st = NULL;
	int64_t n = 0;
	int rc = db_get_int(c->db, &n, "SELECT COUNT(*) FROM station_duty WHERE village_code = ? AND date = ?", "tt",
			    village, date);
	if (rc < 0)
		return rc;
	*set = n > 0;
	rc = db_prepare(c->db, *set ?
		"SELECT u.id, u.display_name, u.position, k.at FROM station_duty d JOIN app_user u ON u.id = d.user_id "
		"LEFT JOIN station_checkin k ON k.village_code = d.village_code AND k.date = d.date AND k.user_id = u.id "
		"WHERE d.village_code = ?1 AND d.date = ?2 ORDER BY d.id" :
		"SELECT u.id, u.display_name, u.position, k.at FROM station_assignment s JOIN app_user u ON u.id = s.user_id "
		"LEFT JOIN station_checkin k ON k.village_code = s.village_code AND k.date = ?2 AND k.user_id = u.id "
		"WHERE s.village_code = ?1 AND s.start_date <= ?2 AND (s.end_date IS NULL OR s.end_date > ?2) "
		"ORDER BY u.role = 'leader' DESC, s.id", &st);
	if (rc < 0)
		return rc;
	db_bindv(st, "tt", village, date);
	*out = json_array();
	while ((rc = db_step(st)) == 1)
		json_array_append_new(*out, json_pack("{s:{s:I,s:s,s:s?},s:b,s:o}", "user", "id",
						      (json_int_t)db_col_int(st, 0), "display_name", db_col_text(st, 1),
						      "position", db_col_text(st, 2), "checked_in", !db_col_isnull(st, 3),
						      "at", org_time_json(db_col_text(st, 3))));
	db_done(st);
	if (rc < 0) {
		json_decref(*out);
		*out = NULL;
		return rc;
	}
	return 0;
}

/* 1 if user is on the day's roster, 0 if not. */
static int on_duty(struct ctx *c, const char *village, const char *date, int64_t user)
{
	json_t *r = NULL, *it;
	size_t i;
	int set, yes = 0;
	if (roster_json(c, village, date, &r, &set))
		return 0;
	json_array_foreach(r, i, it)
		if (json_integer_value(json_object_get(json_object_get(it, "user"), "id")) == user)
			yes = 1;
	json_decref(r);
	return yes;
}

int reception_roster_get(struct ctx *c, const char *village, const char *date, json_t **out)
{
	struct vteam t;
	int64_t day;
	json_t *items = NULL;
	int set, rc = vteam_load(c, village, 0, &t);
	if (!rc)
		rc = path_day(date, &day);
	if (!rc)
		rc = roster_json(c, village, date, &items, &set);
	if (rc)
		return rc;
	*out = json_pack("{s:{s:s,s:s},s:s,s:b,s:b,s:o}", "village", "code", t.code, "name", t.name, "date", date,
			 "station_day", t.weekday && plan_is_station_day(t.weekday, t.every_weeks,
									 plan_station_reference(c), day),
			 "roster_set", set, "items", items);
	return 0;
}

static json_t *roster_ids(const json_t *roster)
{
	json_t *a = json_array(), *it;
	size_t i;
	json_array_foreach(roster, i, it)
		json_array_append(a, json_object_get(json_object_get(it, "user"), "id"));
	return a;
}

/* Checks user_ids; field errors "user_ids" / "user_ids[i]". */
static int roster_input(struct ctx *c, const char *village, const json_t *ids)
{
	size_t i, j;
	json_t *v;
	char field[32];
	if (!json_is_array(ids) || json_array_size(ids) < 1 || json_array_size(ids) > ROSTER_MAX) {
		verr_add(&c->errs, "user_ids", "值班名单须列出 1 到 20 名干部，或为 null 恢复默认",
			 "'user_ids' must list 1 to 20 cadres, or be null for the stationed cadres");
		return ZL_E_VALIDATION;
	}
	json_array_foreach(ids, i, v) {
		int64_t one = 0, id = json_is_integer(v) ? json_integer_value(v) : 0;
		int rc = id > 0 ? db_get_int(c->db, &one,
			"SELECT 1 FROM app_user u JOIN region z ON z.code = u.scope_code JOIN region g ON g.code = ? "
			"WHERE u.id = ? AND u.disabled_at IS NULL AND u.role IN ('cadre', 'leader') "
			"AND g.path LIKE z.path || '%'", "ti", village, id) : 0;
		if (rc < 0)
			return rc;
		for (j = 0; j < i && json_integer_value(json_array_get(ids, j)) != id; j++)
			;
		if (rc != 1 || j < i) {
			snprintf(field, sizeof(field), "user_ids[%zu]", i);
			verr_add(&c->errs, field, j < i ? "重复的干部" : "须为负责该村的在岗干部或领导",
				 j < i ? "the cadre is listed twice" : "must be an active cadre or leader whose scope holds the village");
		}
	}
	return c->errs.n ? ZL_E_VALIDATION : 0;
}

int reception_roster_put(struct ctx *c, const char *village, const char *date, const json_t *in,
			 json_t **out)
{
	struct vteam t;
	int64_t day;
	json_t *ids = json_object_get(in, "user_ids"), *before = NULL, *b, *a;
	char now[ZL_TIME_MAX], key[40];
	int set, rc = vteam_load(c, village, 0, &t);
	if (!rc)
		rc = path_day(date, &day);
	if (rc)
		return rc;
	if (!json_is_null(ids) && (rc = roster_input(c, village, ids)))
		return rc;
	if (!t.weekday)
		return ZL_E_RECEPTION_NO_SCHEDULE;
	if (!plan_is_station_day(t.weekday, t.every_weeks, plan_station_reference(c), day))
		return ZL_E_PLAN_NOT_STATION_DAY;
	if (day < today_day())
		return ZL_E_RECEPTION_ROSTER_PAST;
	if ((rc = roster_json(c, village, date, &before, &set)))
		return rc;
	rc = db_run(c->db, "DELETE FROM station_duty WHERE village_code = ? AND date = ?", "tt", village, date);
	time_format_utc(clock_now(), now);
	for (size_t i = 0; !rc && json_is_array(ids) && i < json_array_size(ids); i++)
		rc = db_run(c->db, "INSERT INTO station_duty(village_code, date, user_id, set_by, created_at) "
			    "VALUES (?, ?, ?, NULLIF(?, 0), ?)", "ttiit", village, date,
			    (int64_t)json_integer_value(json_array_get(ids, i)), c->actor.user_id, now);
	if (!rc)
		rc = reception_roster_get(c, village, date, out);
	if (!rc) {
		snprintf(key, sizeof(key), "%s/%s", village, date);
		b = json_pack("{s:b,s:o}", "roster_set", set, "user_ids", roster_ids(before));
		a = json_pack("{s:b,s:o}", "roster_set", json_is_array(ids), "user_ids",
			      roster_ids(json_object_get(*out, "items")));
		rc = audit_log(c, "reception.roster", "station_duty", key, b, a);
		json_decref(b);
		json_decref(a);
	}
	json_decref(before);
	return rc;
}

/* ---- the schedule ---- */

static int range_args(struct ctx *c, const char *from, const char *to, int64_t today, int64_t *f, int64_t *t)
{
	int bad = 0;
	*f = today - 28;
	*t = today + 29;
	if (from && *from && date_parse(from, f)) {
		verr_add(&c->errs, "from", "日期格式应为 YYYY-MM-DD", "'from' must be a date YYYY-MM-DD");
		bad = 1;
	}
	if (to && *to && date_parse(to, t)) {
		verr_add(&c->errs, "to", "日期格式应为 YYYY-MM-DD", "'to' must be a date YYYY-MM-DD");
		bad = 1;
	} else if (!bad && from && *from && (!to || !*to)) {
		*t = *f + 57;
	}
	if (!bad && (*t < *f || *t - *f > RECEPTION_RANGE_MAX)) {
		verr_add(&c->errs, "to", "结束日期须在开始日期之后且不超过 366 天",
			 "'to' must follow 'from' by at most 366 days");
		bad = 1;
	}
	return bad ? ZL_E_VALIDATION : 0;
}

static int vteams_in_scope(struct ctx *c, const char *village, struct vteam **out, size_t *n)
{
	struct buf sql = BUF_INIT;
	struct db_stmt *st = NULL;
	size_t cap = 0;
	int rc;
	*out = NULL;
	*n = 0;
	buf_adds(&sql, VTEAM_SELECT "WHERE g.level = 'village' AND g.retired_at IS NULL AND t.station_weekday IS NOT NULL");
	if (village)
		buf_adds(&sql, " AND g.code = ?");
	scope_sql(&sql, "g.code");
	buf_adds(&sql, " ORDER BY g.code");
	rc = db_prepare(c->db, sql.data, &st);
	buf_release(&sql);
	if (rc < 0)
		return rc;
	if (village)
		db_bindv(st, "tt", village, c->actor.scope_like);
	else
		db_bind_text(st, 1, c->actor.scope_like);
	while ((rc = db_step(st)) == 1) {
		if (*n == cap)
			*out = xrealloc(*out, (cap = cap ? cap * 2 : 16) * sizeof(**out));
		vteam_row(st, &(*out)[(*n)++]);
	}
	db_done(st);
	return rc < 0 ? rc : 0;
}

static json_t *day_item(struct ctx *c, const struct vteam *t, int64_t d, int64_t today, int *rc)
{
	char date[ORG_DATE_MAX];
	json_t *roster = NULL, *it;
	int64_t checkins = 0, walkins = 0;
	int set, absent = 0;
	size_t i;
	day_str(d, date);
	if ((*rc = roster_json(c, t->code, date, &roster, &set)) ||
	    (*rc = db_get_int(c->db, &checkins, "SELECT COUNT(*) FROM station_checkin WHERE village_code = ? AND date = ?",
			      "tt", t->code, date)) < 0 ||
	    (*rc = db_get_int(c->db, &walkins, "SELECT COUNT(*) FROM reception_walkin WHERE village_code = ? AND date = ?",
			      "tt", t->code, date)) < 0) {
		json_decref(roster);
		return NULL;
	}
	*rc = 0;
	json_array_foreach(roster, i, it)
		absent += d < today && !json_is_true(json_object_get(it, "checked_in"));
	return json_pack("{s:{s:s,s:s},s:s,s:i,s:s?,s:s?,s:s?,s:s,s:b,s:o,s:I,s:i,s:I}", "village", "code", t->code,
			 "name", t->name, "date", date, "weekday", t->weekday, "start", t->start[0] ? t->start : NULL,
			 "end", t->end[0] ? t->end : NULL, "place", t->place[0] ? t->place : NULL, "status",
			 checkins ? "attended" : d > today ? "upcoming" : d == today ? "today" : "missed",
			 "roster_set", set, "roster", roster, "checkins", (json_int_t)checkins, "absent", absent,
			 "walk_ins", (json_int_t)walkins);
}

int reception_schedule(struct ctx *c, const char *from, const char *to, const char *village, json_t **out)
{
	struct vteam *v = NULL;
	size_t n = 0;
	int64_t today = today_day(), f, e, ref = plan_station_reference(c);
	json_t *villages, *items, *missed = NULL;
	char fs[ORG_DATE_MAX], ts[ORG_DATE_MAX];
	int rc;
	if (village && !*village)
		village = NULL;
	if (village && (rc = vteam_load(c, village, 0, &(struct vteam){ 0 })))
		return rc;
	if ((rc = range_args(c, from, to, today, &f, &e)) || (rc = vteams_in_scope(c, village, &v, &n)))
		return rc;
	villages = json_array();
	items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(villages, vteam_json(c, &v[i]));
	for (int64_t d = f; d < e && !rc; d++)
		for (size_t i = 0; i < n && !rc; i++)
			if (plan_is_station_day(v[i].weekday, v[i].every_weeks, ref, d)) {
				json_t *it = day_item(c, &v[i], d, today, &rc);
				if (it)
					json_array_append_new(items, it);
			}
	day_str(f, fs);
	day_str(e, ts);
	if (!rc)
		rc = plan_missed_station_days(c, fs, ts, &missed);
	free(v);
	if (rc) {
		json_decref(villages);
		json_decref(items);
		return rc;
	}
	if (village) {
		/* the missed days of the one village asked for */
		json_t *m = json_array(), *it;
		size_t i;
		json_array_foreach(json_object_get(missed, "items"), i, it)
			if (!strcmp(json_string_value(json_object_get(json_object_get(it, "village"), "code")), village))
				json_array_append(m, it);
		json_object_set_new(missed, "items", m);
		json_object_set_new(missed, "total", json_integer((json_int_t)json_array_size(m)));
	}
	*out = json_pack("{s:s,s:s,s:o,s:o,s:o,s:o}", "from", fs, "to", ts, "today", day_json(today), "villages",
			 villages, "items", items, "missed", missed);
	return 0;
}

/* ---- setting the fixed day ---- */

static int flag_of(struct ctx *c, const json_t *in, const char *field, int *v)
{
	json_t *j = json_object_get(in, field);
	if (!j || json_is_null(j))
		return 0;
	if (json_is_boolean(j)) {
		*v = json_is_true(j);
		return 0;
	}
	verr_add(&c->errs, field, "须为 true 或 false", "'remote' must be true or false");
	return ZL_E_VALIDATION;
}

int reception_schedule_put(struct ctx *c, const char *village, const json_t *in, json_t **out)
{
	struct vteam t;
	json_t *wd = json_object_get(in, "station_weekday"), *ew = json_object_get(in, "station_every_weeks");
	json_t *tin, *team = NULL;
	const char *start = json_string_value(json_object_get(in, "station_start")),
		   *end = json_string_value(json_object_get(in, "station_end")),
		   *place = json_string_value(json_object_get(in, "station_place"));
	int remote, every, rc = vteam_load(c, village, 0, &t), bad;
	if (rc)
		return rc;
	remote = t.remote;
	every = ew && !json_is_null(ew) ? (json_is_integer(ew) ? (int)json_integer_value(ew) : -1) : 1;
	flag_of(c, in, "remote", &remote);
	if (!json_is_integer(wd) || json_integer_value(wd) < 1 || json_integer_value(wd) > 7)
		verr_add(&c->errs, "station_weekday", "驻点日应为 1（周一）到 7（周日）",
			 "'station_weekday' must be 1 (Monday) to 7 (Sunday)");
	if (every != 1 && every != 2)
		verr_add(&c->errs, "station_every_weeks", "驻点周期应为每 1 周或每 2 周",
			 "'station_every_weeks' must be 1 or 2");
	if (reception_hhmm(start) < 0)
		verr_add(&c->errs, "station_start", "开始时间应为 HH:MM，如 08:30", "'station_start' must be HH:MM, e.g. 08:30");
	if (reception_hhmm(end) < 0)
		verr_add(&c->errs, "station_end", "结束时间应为 HH:MM，如 12:00", "'station_end' must be HH:MM, e.g. 12:00");
	if (!place)
		verr_required(c, "station_place");
	else
		org_text_check(c, "station_place", place, 128);
	if (c->errs.n)
		return ZL_E_VALIDATION;
	bad = reception_rule_check(every, remote, reception_hhmm(start), reception_hhmm(end), min_minutes(c));
	if (bad & RECEPTION_RULE_TOO_SHORT) {
		verr_add(&c->errs, "station_end", "驻点日至少半天（不少于 3 小时）",
			 "a station day lasts at least half a day (3 hours or more)");
		return ZL_E_RECEPTION_TOO_SHORT;
	}
	if (bad & RECEPTION_RULE_NOT_REMOTE) {
		verr_add(&c->errs, "station_every_weeks", "只有偏远村可以每两周一次",
			 "only a remote village may meet every two weeks");
		return ZL_E_RECEPTION_NOT_REMOTE;
	}
	/* team_put keeps the same rule and stores the flag with the day */
	tin = json_pack("{s:O,s:i,s:s,s:s,s:s,s:b}", "station_weekday", wd, "station_every_weeks", every,
			"station_start", start, "station_end", end, "station_place", place, "station_remote",
			remote);
	if (t.leader)
		json_object_set_new(tin, "leader_user_id", json_integer(t.leader));
	rc = team_put(c, village, "station", tin, &team);
	json_decref(tin);
	json_decref(team);
	if (rc)
		return rc;
	/* team_put stored and audited the flag with the day (team.update) */
	if ((rc = vteam_load(c, village, 0, &t)))
		return rc;
	*out = vteam_json(c, &t);
	return 0;
}

/* ---- walk-ins ---- */

struct walkin {
	const char *name, *phone, *raised, *uuid;
	int64_t household, minutes;
	char mobile[12];
	const json_t *appeal;
};

static int walkin_read(struct ctx *c, const json_t *in, struct walkin *w)
{
	json_t *m = json_object_get(in, "duration_min");
	memset(w, 0, sizeof(*w));
	w->minutes = WALKIN_MINUTES_DEFAULT;
	if (json_opt_string(c, in, "name", &w->name) || json_opt_string(c, in, "phone", &w->phone) ||
	    json_opt_string(c, in, "raised", &w->raised) || json_opt_string(c, in, "uuid", &w->uuid))
		return ZL_E_VALIDATION;
	if (!w->name)
		verr_required(c, "name");
	else
		org_text_check(c, "name", w->name, 32);
	if (!w->raised)
		verr_required(c, "raised");
	else
		org_text_check(c, "raised", w->raised, 4000);
	if (w->phone && *w->phone && pii_mobile_check(w->phone, w->mobile))
		verr_add(&c->errs, "phone", "手机号应为 11 位，以 1 开头", "'phone' must be an 11-digit mobile number");
	if (w->phone && !*w->phone)
		w->phone = NULL;
	org_opt_id(c, in, "household_id", &w->household);
	if (m && !json_is_null(m)) {
		w->minutes = json_is_integer(m) ? json_integer_value(m) : -1;
		if (w->minutes < 1 || w->minutes > 480)
			verr_add(&c->errs, "duration_min", "时长须为 1 到 480 分钟", "'duration_min' must be 1 to 480");
	}
	w->appeal = json_object_get(in, "appeal");
	if (json_is_null(w->appeal) || json_is_false(w->appeal))
		w->appeal = NULL;
	else if (w->appeal && !json_is_object(w->appeal))
		verr_add(&c->errs, "appeal", "诉求须为对象或 null", "'appeal' must be an object or null");
	else if (w->appeal && !json_object_get(w->appeal, "category_id"))
		verr_add(&c->errs, "appeal.category_id", "请选择诉求分类", "'appeal.category_id' is required");
	return c->errs.n ? ZL_E_VALIDATION : 0;
}

/* The household of the village with this phone, when exactly one has it. */
static int household_by_phone(struct ctx *c, const char *village, const char *mobile, int64_t *id)
{
	struct household_filter f = HOUSEHOLD_FILTER_INIT;
	struct page p = { 2, 0 };
	json_t *items = NULL;
	int64_t next = 0;
	int rc;
	f.region = village;
	f.phone = mobile;
	if ((rc = household_list(c, &f, &p, 0, &items, &next)))
		return rc;
	if (json_array_size(items) == 1)
		*id = json_integer_value(json_object_get(json_array_get(items, 0), "id"));
	json_decref(items);
	return 0;
}

static int walkin_get(struct ctx *c, int64_t id, json_t **out);

/* The raised matter (the contact's one issue) becomes an appeal through
 * contact_issue_convert, the one conversion path (meetings.h). */
static int walkin_appeal(struct ctx *c, const struct walkin *w, int64_t contact, int64_t *appeal)
{
	json_t *a = json_deep_copy(w->appeal), *o = NULL;
	int64_t issue = 0;
	int rc = db_get_int(c->db, &issue, "SELECT id FROM contact_issue WHERE contact_id = ? ORDER BY id LIMIT 1", "i",
			    contact);
	if (rc != 1) {
		json_decref(a);
		return rc < 0 ? rc : ZL_E_INTERNAL;
	}
	json_object_del(a, "household_id"); /* the contact's household */
	json_object_set_new(a, "submitter_name", json_string(w->name));
	if (w->phone)
		json_object_set_new(a, "submitter_phone", json_string(w->mobile));
	rc = contact_issue_convert(c, contact, issue, a, &o, NULL);
	json_decref(a);
	if (!rc)
		*appeal = json_integer_value(json_object_get(json_object_get(o, "appeal"), "id"));
	json_decref(o);
	return rc;
}

int reception_walkin_create(struct ctx *c, const char *village, const char *date, const json_t *in,
			    json_t **out, int *status)
{
	struct vteam t;
	struct walkin w;
	int64_t day, contact_id, appeal = 0, id = 0;
	json_t *cin, *contact = NULL, *a;
	char now[ZL_TIME_MAX], started[ZL_TIME_MAX], ids[24];
	int rc = vteam_load(c, village, 0, &t);
	if (!rc)
		rc = path_day(date, &day);
	if (!rc)
		rc = walkin_read(c, in, &w);
	if (rc)
		return rc;
	if (day != today_day())
		return ZL_E_RECEPTION_NOT_TODAY;
	if (!t.weekday || !plan_is_station_day(t.weekday, t.every_weeks, plan_station_reference(c), day))
		return ZL_E_PLAN_NOT_STATION_DAY;
	if (!on_duty(c, village, date, c->actor.user_id))
		return ZL_E_RECEPTION_NOT_ON_DUTY;
	if (w.uuid) { /* a resend from the phone, minutes later: the stored walk-in */
		rc = db_get_int(c->db, &id, "SELECT w.id FROM reception_walkin w JOIN contact k ON k.id = w.contact_id "
				"WHERE k.uuid = ? AND w.village_code = ? AND w.date = ? AND w.created_by = ?", "ttti",
				w.uuid, village, date, c->actor.user_id);
		if (rc < 0)
			return rc;
		if (rc == 1) {
			*status = 200;
			return walkin_get(c, id, out);
		}
	}
	if (!w.household && w.phone && (rc = household_by_phone(c, village, w.mobile, &w.household)))
		return rc;
	time_format_local(clock_now(), started);
	cin = json_pack("{s:s,s:s,s:I,s:s,s:s,s:[{s:s}],s:[s]}", "method", "reception_day", "started_at", started,
			"duration_min", (json_int_t)w.minutes, "village_code", village, "summary", w.raised,
			"people", "name", w.name, "issues", w.raised);
	if (t.place[0])
		json_object_set_new(cin, "place", json_string(t.place));
	if (w.uuid)
		json_object_set_new(cin, "uuid", json_string(w.uuid));
	if (w.household)
		json_object_set_new(cin, "households", json_pack("[I]", (json_int_t)w.household));
	rc = contact_create(c, cin, &contact, status);
	json_decref(cin);
	if (rc)
		return rc;
	contact_id = json_integer_value(json_object_get(contact, "id"));
	json_decref(contact);
	if (*status == 200) { /* the same walk-in sent again */
		rc = db_get_int(c->db, &id, "SELECT id FROM reception_walkin WHERE contact_id = ?", "i", contact_id);
		if (rc < 0)
			return rc;
		return rc == 1 ? walkin_get(c, id, out) : ZL_E_CONTACT_UUID_CONFLICT;
	}
	if (w.appeal && (rc = walkin_appeal(c, &w, contact_id, &appeal)))
		return rc;
	time_format_utc(clock_now(), now);
	rc = db_run(c->db, "INSERT INTO reception_walkin(contact_id, village_code, date, appeal_id, created_by, created_at) "
		    "VALUES (?, ?, ?, NULLIF(?, 0), ?, ?)", "ittiit", contact_id, village, date, appeal,
		    c->actor.user_id, now);
	if (rc)
		return rc;
	id = db_last_id(c->db);
	snprintf(ids, sizeof(ids), "%" PRId64, id);
	/* ids only: the visitor's name and phone stay out of the audit log */
	a = json_pack("{s:I,s:s,s:s,s:o,s:o,s:b}", "contact_id", (json_int_t)contact_id, "village", village, "date",
		      date, "appeal_id", appeal ? json_integer(appeal) : json_null(), "household_id",
		      w.household ? json_integer(w.household) : json_null(), "phone_given", w.phone != NULL);
	rc = audit_log(c, "reception.walkin", "reception_walkin", ids, NULL, a);
	json_decref(a);
	if (rc)
		return rc;
	*status = 201;
	return walkin_get(c, id, out);
}

#define WALKIN_SELECT                                                                                    \
	"SELECT w.id, w.contact_id, w.village_code, g.name, w.date, w.created_at, w.created_by, "            \
	"(SELECT name FROM contact_person p WHERE p.contact_id = w.contact_id ORDER BY p.id LIMIT 1), "     \
	"k.summary, h.id, h.code, h.head_name, a.id, a.receipt_code, a.state FROM reception_walkin w "     \
	"JOIN region g ON g.code = w.village_code JOIN contact k ON k.id = w.contact_id "                  \
	"LEFT JOIN household h ON h.id = (SELECT MIN(household_id) FROM contact_household ch "              \
	"WHERE ch.contact_id = w.contact_id) LEFT JOIN appeal a ON a.id = w.appeal_id "

static json_t *walkin_row(struct ctx *c, struct db_stmt *st)
{
	return json_pack("{s:I,s:I,s:{s:s,s:s},s:s,s:o,s:o,s:s?,s:s,s:o,s:o}", "id", (json_int_t)db_col_int(st, 0),
			 "contact_id", (json_int_t)db_col_int(st, 1), "village", "code", db_col_text(st, 2), "name",
			 db_col_text(st, 3), "date", db_col_text(st, 4), "at", org_time_json(db_col_text(st, 5)),
			 "author", user_brief(c, db_col_int(st, 6)), "visitor", db_col_text(st, 7), "summary",
			 db_col_text(st, 8), "household",
			 db_col_isnull(st, 9) ? json_null() :
			 json_pack("{s:I,s:s,s:s}", "id", (json_int_t)db_col_int(st, 9), "code", db_col_text(st, 10),
				   "head_name", db_col_text(st, 11)),
			 "appeal", db_col_isnull(st, 12) ? json_null() :
			 json_pack("{s:I,s:s,s:s}", "id", (json_int_t)db_col_int(st, 12), "receipt_code",
				   db_col_text(st, 13), "state", db_col_text(st, 14)));
}

static int walkin_get(struct ctx *c, int64_t id, json_t **out)
{
	struct db_stmt *st = NULL;
	json_t *contact = NULL;
	int rc = db_prepare(c->db, WALKIN_SELECT "WHERE w.id = ?", &st);
	if (rc < 0)
		return rc;
	db_bind_int(st, 1, id);
	rc = db_step(st);
	if (rc == 1)
		*out = walkin_row(c, st);
	db_done(st);
	if (rc != 1)
		return rc < 0 ? rc : ZL_E_NOT_FOUND;
	if ((rc = contact_get(c, json_integer_value(json_object_get(*out, "contact_id")), &contact))) {
		json_decref(*out);
		*out = NULL;
		return rc;
	}
	json_object_set_new(*out, "contact", contact);
	return 0;
}

int reception_walkin_list(struct ctx *c, const char *village, const char *date, json_t **out)
{
	struct vteam t;
	struct db_stmt *st = NULL;
	int64_t day;
	json_t *items;
	int rc = vteam_load(c, village, 0, &t);
	if (!rc)
		rc = path_day(date, &day);
	if (rc)
		return rc;
	if ((rc = db_prepare(c->db, WALKIN_SELECT "WHERE w.village_code = ? AND w.date = ? ORDER BY w.id", &st)) < 0)
		return rc;
	db_bindv(st, "tt", village, date);
	items = json_array();
	while ((rc = db_step(st)) == 1)
		json_array_append_new(items, walkin_row(c, st));
	db_done(st);
	if (rc < 0) {
		json_decref(items);
		return rc;
	}
	*out = json_pack("{s:o,s:n}", "items", items, "next_cursor");
	return 0;
}

/* ---- public ---- */

int reception_public_days(struct ctx *c, const char *village, int weeks, json_t **out)
{
	struct vteam t;
	int64_t today = today_day(), days[32];
	json_t *items, *sched = json_null();
	size_t n;
	int rc = vteam_load(c, village, 1, &t);
	if (rc)
		return rc;
	if (weeks < 1 || weeks > 26) {
		verr_add(&c->errs, "weeks", "周数须为 1 到 26", "'weeks' must be 1 to 26");
		return ZL_E_VALIDATION;
	}
	items = json_array();
	if (t.weekday) {
		json_decref(sched);
		sched = json_pack("{s:i,s:i,s:s?,s:s?,s:s?}", "weekday", t.weekday, "every_weeks", t.every_weeks,
				  "start", t.start[0] ? t.start : NULL, "end", t.end[0] ? t.end : NULL, "place",
				  t.place[0] ? t.place : NULL);
		n = reception_days(t.weekday, t.every_weeks, plan_station_reference(c), today, today + 7 * weeks, days,
				   ARRAY_SIZE(days));
		for (size_t i = 0; i < n && i < ARRAY_SIZE(days); i++) {
			char date[ORG_DATE_MAX];
			json_t *roster = NULL, *titles = json_array(), *it;
			size_t k;
			int set;
			day_str(days[i], date);
			if ((rc = roster_json(c, t.code, date, &roster, &set))) {
				json_decref(titles);
				break;
			}
			/* titles only: residents learn who serves them from the
			 * liaison card in their hands, not from an open API */
			json_array_foreach(roster, k, it) {
				const char *p = json_string_value(json_object_get(json_object_get(it, "user"), "position"));
				json_array_append_new(titles, json_string(p && *p ? p : "驻点干部"));
			}
			json_decref(roster);
			json_array_append_new(items, json_pack("{s:s,s:i,s:s?,s:s?,s:s?,s:o}", "date", date, "weekday",
							       t.weekday, "start", t.start[0] ? t.start : NULL, "end",
							       t.end[0] ? t.end : NULL, "place", t.place[0] ? t.place : NULL,
							       "on_duty", titles));
		}
	}
	if (rc) {
		json_decref(items);
		json_decref(sched);
		return rc;
	}
	*out = json_pack("{s:{s:s,s:s},s:o,s:o}", "village", "code", t.code, "name", t.name, "schedule", sched, "items",
			 items);
	return 0;
}

/* ---- HTTP ---- */

static int h_schedule(struct req *r, struct resp *w)
{
	json_t *out = NULL;
	int rc = reception_schedule(&r->ctx, req_query(r, "from"), req_query(r, "to"), req_query(r, "village"), &out);
	return resp_result(w, rc, 200, out);
}

static int h_schedule_put(struct req *r, struct resp *w)
{
	json_t *in = NULL, *out = NULL;
	int rc = req_json(r, &in);
	if (!rc)
		rc = reception_schedule_put(&r->ctx, req_param(r, "code"), in, &out);
	return resp_result(w, rc, 200, out);
}

static int h_roster(struct req *r, struct resp *w)
{
	json_t *out = NULL;
	int rc = reception_roster_get(&r->ctx, req_param(r, "village"), req_param(r, "date"), &out);
	return resp_result(w, rc, 200, out);
}

static int h_roster_put(struct req *r, struct resp *w)
{
	json_t *in = NULL, *out = NULL;
	int rc = req_json(r, &in);
	if (!rc)
		rc = reception_roster_put(&r->ctx, req_param(r, "village"), req_param(r, "date"), in, &out);
	return resp_result(w, rc, 200, out);
}

static int h_walkins(struct req *r, struct resp *w)
{
	json_t *out = NULL;
	int rc = reception_walkin_list(&r->ctx, req_param(r, "village"), req_param(r, "date"), &out);
	return resp_result(w, rc, 200, out);
}

static int h_walkin_create(struct req *r, struct resp *w)
{
	json_t *in = NULL, *out = NULL;
	char loc[64];
	int status = 201, rc = req_json(r, &in);
	if (!rc)
		rc = reception_walkin_create(&r->ctx, req_param(r, "village"), req_param(r, "date"), in, &out, &status);
	if (rc)
		return rc;
	if (status != 201) {
		resp_json(w, status, out);
		return 0;
	}
	snprintf(loc, sizeof(loc), "/api/v1/contacts/%" JSON_INTEGER_FORMAT,
		 json_integer_value(json_object_get(out, "contact_id")));
	resp_created(w, out, loc);
	return 0;
}

static int h_public(struct req *r, struct resp *w)
{
	json_t *out = NULL;
	const char *q = req_query(r, "weeks");
	int64_t weeks = 8;
	int rc = 0;
	if (q && *q && parse_int64(q, &weeks)) {
		verr_add(&r->ctx.errs, "weeks", "周数须为 1 到 26", "'weeks' must be 1 to 26");
		rc = ZL_E_VALIDATION;
	}
	if (!rc)
		rc = reception_public_days(&r->ctx, req_param(r, "code"), weeks > 26 || weeks < 1 ? -1 : (int)weeks, &out);
	return resp_result(w, rc, 200, out);
}

static const struct route routes[] = {
	{ "GET", "/api/v1/reception-days", h_schedule, "plan.read", 0 },
	{ "GET", "/api/v1/reception-days/{village}/{date}/roster", h_roster, "plan.read", 0 },
	{ "PUT", "/api/v1/reception-days/{village}/{date}/roster", h_roster_put, "plan.write", 0 },
	{ "GET", "/api/v1/reception-days/{village}/{date}/walk-ins", h_walkins, "contact.read", 0 },
	{ "POST", "/api/v1/reception-days/{village}/{date}/walk-ins", h_walkin_create, "contact.write", 0 },
	{ "PUT", "/api/v1/villages/{code}/reception-schedule", h_schedule_put, "team.write", 0 },
	{ "GET", "/api/v1/public/villages/{code}/reception-days", h_public, NULL, ROUTE_PUBLIC },
};
ROUTE_TABLE(reception_routes, "reception", routes);
