/*
 * plans.c: visit plans (长效机制): period arithmetic, rule choice, the due
 * items computed on read from rules, responsible cadres and contacts, the
 * leader's overdue view, station days (驻点日) with check-ins and the missed
 * ones. Rules and check-ins are the only things stored (0010_plans.sql).
 */
#include "contacts/plans.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "org/org.h"
#include "platform/audit.h"
#include "platform/clock.h"
#include "platform/error.h"

#define STATION_DAYS_DEFAULT 4
#define RANGE_MAX_DAYS 366
#define OVERDUE_LIMIT_MAX 2000

static const char *const every_names[] = { "week", "month", "quarter", "days" };

/* ---- arithmetic ---- */

void plan_period_of(enum plan_every e, int every_days, int64_t day, struct plan_period *p)
{
	int y, m, d;
	switch (e) {
	case PLAN_WEEK:
		p->start = day - (weekday_from_days(day) + 6) % 7;
		p->end = p->start + 7;
		return;
	case PLAN_MONTH:
	case PLAN_QUARTER:
		civil_from_days(day, &y, &m, &d);
		if (e == PLAN_QUARTER)
			m = (m - 1) / 3 * 3 + 1;
		p->start = days_from_civil(y, m, 1);
		m += e == PLAN_QUARTER ? 3 : 1;
		if (m > 12) {
			m -= 12;
			y++;
		}
		p->end = days_from_civil(y, m, 1);
		return;
	case PLAN_DAYS:
	default: {
		int64_t n = every_days > 0 ? every_days : 1;
		int64_t q = day / n;
		if (day % n < 0)
			q--;
		p->start = q * n;
		p->end = p->start + n;
	}
	}
}

void plan_period_prev(enum plan_every e, int every_days, const struct plan_period *p,
		      struct plan_period *prev)
{
	plan_period_of(e, every_days, p->start - 1, prev);
}

static int nominal_days(const struct plan_rule *r)
{
	static const int len[] = { 7, 30, 91 };
	return r->every == PLAN_DAYS ? r->every_days : len[r->every];
}

static size_t path_depth(const char *p)
{
	size_t n = 0;
	for (; *p; p++)
		n += *p == '/';
	return n;
}

int plan_rule_stricter(const struct plan_rule *a, const struct plan_rule *b)
{
	int64_t x = (int64_t)nominal_days(a) * b->min_contacts, y = (int64_t)nominal_days(b) * a->min_contacts;
	if (x != y)
		return x < y;
	if ((a->tag_id != 0) != (b->tag_id != 0))
		return a->tag_id != 0;
	if (path_depth(a->region_path) != path_depth(b->region_path))
		return path_depth(a->region_path) > path_depth(b->region_path);
	return a->id < b->id;
}

const struct plan_rule *plan_rule_pick(const struct plan_rule *rules, size_t n,
				       const char *region_path, const int64_t *tags, size_t ntags)
{
	const struct plan_rule *best = NULL;
	for (size_t i = 0; i < n; i++) {
		const struct plan_rule *r = &rules[i];
		size_t k = strlen(r->region_path), j;
		if (k && strncmp(region_path, r->region_path, k))
			continue;
		for (j = 0; r->tag_id && j < ntags && tags[j] != r->tag_id; j++)
			;
		if (r->tag_id && j == ntags)
			continue;
		if (!best || plan_rule_stricter(r, best))
			best = r;
	}
	return best;
}

int plan_is_station_day(int weekday, int every_weeks, int64_t ref_monday, int64_t day)
{
	if (weekday < 1 || weekday > 7)
		return 0;
	if ((weekday_from_days(day) + 6) % 7 + 1 != weekday)
		return 0;
	if (every_weeks != 2)
		return 1;
	int64_t weeks = (day - ref_monday) / 7 - ((day - ref_monday) < 0 && (day - ref_monday) % 7);
	return weeks % 2 == 0;
}

int plan_method_is_presence(const char *method)
{
	static const char *const m[] = { "home_visit", "meeting", "reception_day" };
	for (size_t i = 0; method && i < ARRAY_SIZE(m); i++)
		if (!strcmp(method, m[i]))
			return 1;
	return 0;
}

/* ---- small helpers ---- */

static int64_t local_day_of_us(int64_t us)
{
	int64_t s = us / USEC_PER_SEC + ZL_TZ_OFFSET_MIN * 60;
	return s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
}

static int64_t today_day(void)
{
	return local_day_of_us(clock_now());
}

static int64_t stored_day(const char *stored)
{
	int64_t us;
	if (!stored || time_parse(stored, &us))
		return INT64_MAX;
	return local_day_of_us(us);
}

static json_t *day_json(int64_t day)
{
	int y, m, d;
	char s[ORG_DATE_MAX];
	civil_from_days(day, &y, &m, &d);
	snprintf(s, sizeof(s), "%04d-%02d-%02d", y, m, d);
	return json_string(s);
}

/* The UTC storage form of local midnight starting day. */
static void day_start_utc(int64_t day, char out[ZL_TIME_MAX])
{
	time_format_utc((day * 86400 - ZL_TZ_OFFSET_MIN * 60) * USEC_PER_SEC, out);
}

static int setting_int(struct ctx *c, const char *key, int64_t dflt, int64_t lo, int64_t hi)
{
	char *v = NULL;
	int64_t n = dflt;
	if (db_get_text(c->db, &v, "SELECT value FROM setting WHERE key = ?", "t", key) == 1 && v &&
	    (parse_int64(v, &n) || n < lo || n > hi))
		n = dflt;
	free(v);
	return (int)n;
}

int64_t plan_station_reference(struct ctx *c)
{
	char *v = NULL;
	int64_t day = days_from_civil(2026, 1, 5);
	if (db_get_text(c->db, &v, "SELECT value FROM setting WHERE key = 'plan.station_reference_monday'",
			"") == 1 && v && date_parse(v, &day))
		day = days_from_civil(2026, 1, 5);
	free(v);
	return day;
}

static json_t *region_brief(struct ctx *c, const char *code)
{
	char *name = NULL;
	json_t *o;
	if (!code || db_get_text(c->db, &name, "SELECT name FROM region WHERE code = ?", "t", code) != 1) {
		free(name);
		return json_null();
	}
	o = json_pack("{s:s,s:s}", "code", code, "name", name ? name : "");
	free(name);
	return o;
}

/* 1 if the actor's scope is the town or above (whole-town rules, settings). */
static int scope_is_town(struct ctx *c)
{
	int64_t one = 0;
	return db_get_int(c->db, &one, "SELECT 1 FROM region WHERE code = ? AND level IN "
			  "('province', 'city', 'county', 'town')", "t", c->actor.scope) == 1;
}

/* A date query argument: dflt when absent; ZL_E_VALIDATION when malformed. */
static int date_arg(struct ctx *c, const char *field, const char *s, int64_t dflt, int64_t *day)
{
	*day = dflt;
	if (!s || !*s)
		return 0;
	if (date_parse(s, day)) {
		char en[64];
		snprintf(en, sizeof(en), "'%s' must be a date YYYY-MM-DD", field);
		verr_add(&c->errs, field, "日期格式应为 YYYY-MM-DD", en);
		return ZL_E_VALIDATION;
	}
	return 0;
}

static int range_args(struct ctx *c, const char *from, const char *to, int64_t dfrom, int64_t dto,
		      int64_t *f, int64_t *t)
{
	int rc = date_arg(c, "from", from, dfrom, f) | date_arg(c, "to", to, dto, t);
	if (rc)
		return ZL_E_VALIDATION;
	if (!to || !*to) {
		if (from && *from)
			*t = *f + 28;
	}
	if (*t < *f || *t - *f > RANGE_MAX_DAYS) {
		verr_add(&c->errs, "to", "结束日期须在开始日期之后且不超过 366 天",
			 "'to' must follow 'from' by at most 366 days");
		return ZL_E_VALIDATION;
	}
	return 0;
}

/* ---- rules ---- */

static int rules_load(struct ctx *c, struct plan_rule **out, size_t *n)
{
	struct db_stmt *st = NULL;
	struct plan_rule *v = NULL;
	size_t k = 0, cap = 0;
	int rc = db_prepare(c->db, "SELECT r.id, COALESCE(g.path, ''), COALESCE(r.tag_id, 0), r.every, "
			    "COALESCE(r.every_days, 0), r.min_contacts FROM plan_rule r "
			    "LEFT JOIN region g ON g.code = r.region_code WHERE r.retired_at IS NULL "
			    "ORDER BY r.id", &st);
	if (rc < 0)
		return rc;
	while ((rc = db_step(st)) == 1) {
		if (k == cap)
			v = xrealloc(v, (cap = cap ? cap * 2 : 8) * sizeof(*v));
		memset(&v[k], 0, sizeof(v[k]));
		v[k].id = db_col_int(st, 0);
		org_col_copy(st, 1, v[k].region_path, sizeof(v[k].region_path));
		v[k].tag_id = db_col_int(st, 2);
		for (int e = 0; e < 4; e++)
			if (!strcmp(db_col_text(st, 3), every_names[e]))
				v[k].every = (enum plan_every)e;
		v[k].every_days = (int)db_col_int(st, 4);
		v[k].min_contacts = (int)db_col_int(st, 5);
		k++;
	}
	db_done(st);
	if (rc < 0) {
		free(v);
		return rc;
	}
	*out = v;
	*n = k;
	return 0;
}

static json_t *rule_json_row(struct db_stmt *st)
{
	json_t *o = json_pack("{s:I,s:o,s:o,s:s,s:o,s:I,s:b,s:o,s:o}", "id", (json_int_t)db_col_int(st, 0),
			      "region", db_col_isnull(st, 1) ? json_null() :
				      json_pack("{s:s,s:s}", "code", db_col_text(st, 1), "name", db_col_text(st, 2)),
			      "tag", db_col_isnull(st, 3) ? json_null() :
				      json_pack("{s:I,s:s,s:s}", "id", (json_int_t)db_col_int(st, 3), "name",
						db_col_text(st, 4), "name_en", db_col_text(st, 5)),
			      "every", db_col_text(st, 6),
			      "every_days", db_col_isnull(st, 7) ? json_null() : json_integer(db_col_int(st, 7)),
			      "min_contacts", (json_int_t)db_col_int(st, 8), "retired", !db_col_isnull(st, 9),
			      "created_at", org_time_json(db_col_text(st, 10)), "updated_at",
			      org_time_json(db_col_text(st, 11)));
	return o;
}

#define RULE_SELECT                                                                                \
	"SELECT r.id, r.region_code, g.name, r.tag_id, t.name, t.name_en, r.every, r.every_days, "  \
	"r.min_contacts, r.retired_at, r.created_at, r.updated_at FROM plan_rule r "              \
	"LEFT JOIN region g ON g.code = r.region_code LEFT JOIN tag t ON t.id = r.tag_id "

static int rule_get(struct ctx *c, int64_t id, json_t **out)
{
	struct db_stmt *st = NULL;
	int rc = db_prepare(c->db, RULE_SELECT "WHERE r.id = ?", &st);
	if (rc < 0)
		return rc;
	db_bind_int(st, 1, id);
	rc = db_step(st);
	if (rc == 1)
		*out = rule_json_row(st);
	db_done(st);
	return rc == 1 ? 0 : rc < 0 ? rc : ZL_E_NOT_FOUND;
}

int plan_rule_list(struct ctx *c, json_t **out)
{
	struct db_stmt *st = NULL;
	json_t *items = json_array();
	int rc = db_prepare(c->db, RULE_SELECT "WHERE r.region_code IS NULL OR +g.path LIKE ? OR ? LIKE g.path || '%' "
			    "ORDER BY r.retired_at IS NOT NULL, r.id", &st);
	if (rc < 0) {
		json_decref(items);
		return rc;
	}
	db_bindv(st, "tt", c->actor.scope_like, c->actor.scope_like);
	while ((rc = db_step(st)) == 1)
		json_array_append_new(items, rule_json_row(st));
	db_done(st);
	if (rc < 0) {
		json_decref(items);
		return rc;
	}
	*out = json_pack("{s:o,s:n,s:i}", "items", items, "next_cursor", "station_days_per_month",
			 setting_int(c, "plan.station_days_per_month", STATION_DAYS_DEFAULT, 0, 31));
	return 0;
}

/* Checks every/every_days/min_contacts of in (absent ones keep *every etc). */
static int rule_fields(struct ctx *c, const json_t *in, const char **every, int64_t *days, int64_t *min)
{
	json_t *e = json_object_get(in, "every"), *d = json_object_get(in, "every_days"),
	       *m = json_object_get(in, "min_contacts");
	int bad = 0;
	if (e) {
		*every = json_string_value(e);
		if (!org_one_of(*every, every_names, 4)) {
			verr_add(&c->errs, "every", "周期须为 week、month、quarter 或 days",
				 "'every' must be week, month, quarter or days");
			bad = 1;
		}
	}
	if (d) {
		*days = json_is_null(d) ? 0 : json_is_integer(d) ? json_integer_value(d) : -1;
	}
	if (!bad && *every && !strcmp(*every, "days") && (*days < 1 || *days > RANGE_MAX_DAYS)) {
		verr_add(&c->errs, "every_days", "天数须为 1 到 366", "'every_days' must be 1 to 366");
		bad = 1;
	} else if (!bad && *every && strcmp(*every, "days") && d && *days != 0) {
		verr_add(&c->errs, "every_days", "只有按天数的周期才填天数",
			 "'every_days' is only for every 'days'");
		bad = 1;
	}
	if (*every && strcmp(*every, "days"))
		*days = 0;
	if (m) {
		*min = json_is_integer(m) ? json_integer_value(m) : -1;
		if (*min < 1 || *min > 31) {
			verr_add(&c->errs, "min_contacts", "次数须为 1 到 31", "'min_contacts' must be 1 to 31");
			bad = 1;
		}
	}
	return bad ? ZL_E_VALIDATION : 0;
}

static int rule_audit(struct ctx *c, const char *action, int64_t id, json_t *before, json_t *after)
{
	char ids[24];
	snprintf(ids, sizeof(ids), "%" PRId64, id);
	return audit_log(c, action, "plan_rule", ids, before, after);
}

static int tag_lookup(struct ctx *c, const json_t *t, int64_t *id)
{
	int rc;
	if (json_is_integer(t))
		rc = db_get_int(c->db, id, "SELECT id FROM tag WHERE id = ?", "i",
				(int64_t)json_integer_value(t));
	else if (json_is_string(t))
		rc = db_get_int(c->db, id, "SELECT id FROM tag WHERE name = ? OR name_en = ?", "tt",
				json_string_value(t), json_string_value(t));
	else
		rc = 0;
	if (rc < 0)
		return rc;
	if (rc != 1) {
		verr_add(&c->errs, "tag", "没有这个标签", "'tag' is not a known tag");
		return ZL_E_VALIDATION;
	}
	return 0;
}

/* Runs sql with a rule's key (region, tag, every, every_days: NULL when
 * 0) bound to ?1..?4, then min (NULL when 0) and now; one step's answer. */
static int rule_key_step(struct ctx *c, const char *sql, const char *region, int64_t tag, const char *every,
			 int64_t days, int64_t min, const char *now)
{
	struct db_stmt *st = NULL;
	int rc = db_prepare(c->db, sql, &st);
	if (rc < 0)
		return rc;
	db_bind_text(st, 1, region);
	if (tag)
		db_bind_int(st, 2, tag);
	db_bind_text(st, 3, every);
	if (days)
		db_bind_int(st, 4, days);
	if (min)
		db_bind_int(st, 5, min);
	db_bind_text(st, 6, now);
	rc = db_step(st);
	db_done(st);
	return rc;
}

/* Keeps plan_rule_version in step with rule id after a change at now: the
 * version in force is closed when the rule differs from it or is retired,
 * and a new one opened for an active rule with none in force. */
static int rule_version_sync(struct ctx *c, int64_t id, const char *now)
{
	int rc = db_run(c->db,
			"UPDATE plan_rule_version SET valid_to = ? WHERE rule_id = ? AND valid_to IS NULL AND EXISTS "
			"(SELECT 1 FROM plan_rule r WHERE r.id = plan_rule_version.rule_id AND (r.retired_at IS NOT NULL "
			"OR r.every IS NOT plan_rule_version.every OR r.every_days IS NOT plan_rule_version.every_days "
			"OR r.min_contacts IS NOT plan_rule_version.min_contacts))",
			"ti", now, id);
	if (rc >= 0)
		rc = db_run(c->db,
			    "INSERT INTO plan_rule_version(rule_id, region_code, tag_id, every, every_days, min_contacts, "
			    "valid_from) SELECT r.id, r.region_code, r.tag_id, r.every, r.every_days, r.min_contacts, ? "
			    "FROM plan_rule r WHERE r.id = ? AND r.retired_at IS NULL AND NOT EXISTS (SELECT 1 FROM "
			    "plan_rule_version v WHERE v.rule_id = r.id AND v.valid_to IS NULL)",
			    "ti", now, id);
	return rc < 0 ? rc : 0;
}

int plan_rule_create(struct ctx *c, const json_t *in, json_t **out)
{
	const char *every = NULL, *region = json_string_value(json_object_get(in, "region_code"));
	json_t *t = json_object_get(in, "tag");
	int64_t days = 0, min = 1, tag = 0, id;
	char now[ZL_TIME_MAX];
	int rc = rule_fields(c, in, &every, &days, &min);
	if (!every && !rc) {
		verr_add(&c->errs, "every", "请填写周期", "'every' is required");
		rc = ZL_E_VALIDATION;
	}
	if (t && !json_is_null(t) && tag_lookup(c, t, &tag))
		rc = ZL_E_VALIDATION;
	if (json_object_get(in, "region_code") && !json_is_null(json_object_get(in, "region_code")) && !region) {
		verr_add(&c->errs, "region_code", "地区编码须为字符串", "'region_code' must be a string");
		rc = ZL_E_VALIDATION;
	}
	if (rc)
		return rc;
	if (region ? scope_contains(c, region) != 1 : !scope_is_town(c))
		return region ? ZL_E_NOT_FOUND : ZL_E_FORBIDDEN;
	rc = rule_key_step(c, "SELECT id FROM plan_rule WHERE retired_at IS NULL AND region_code IS ? "
			   "AND tag_id IS ? AND every = ? AND every_days IS ? AND ? IS NULL AND ? IS NULL",
			   region, tag, every, days, 0, NULL);
	if (rc < 0)
		return rc;
	if (rc == 1)
		return ZL_E_PLAN_RULE_EXISTS;
	time_format_utc(clock_now(), now);
	rc = rule_key_step(c, "INSERT INTO plan_rule(region_code, tag_id, every, every_days, min_contacts, "
			   "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?6)", region, tag, every, days, min, now);
	if (rc < 0)
		return rc;
	id = db_last_id(c->db);
	if ((rc = rule_version_sync(c, id, now)) || (rc = rule_get(c, id, out)))
		return rc;
	return rule_audit(c, "plan_rule.create", id, NULL, *out);
}

static int rule_editable(struct ctx *c, int64_t id, json_t **before)
{
	int rc = rule_get(c, id, before);
	if (rc)
		return rc;
	json_t *reg = json_object_get(*before, "region");
	if (json_is_null(reg) ? !scope_is_town(c) :
	    scope_contains(c, json_string_value(json_object_get(reg, "code"))) != 1) {
		int visible = json_is_null(reg);
		json_decref(*before);
		*before = NULL;
		return visible ? ZL_E_FORBIDDEN : ZL_E_NOT_FOUND;
	}
	return 0;
}

int plan_rule_update(struct ctx *c, int64_t id, const json_t *patch, json_t **out)
{
	json_t *before = NULL, *ret = json_object_get(patch, "retired");
	const char *every = NULL;
	int64_t days, min;
	char now[ZL_TIME_MAX];
	int rc = rule_editable(c, id, &before);
	if (rc)
		return rc;
	every = json_string_value(json_object_get(before, "every"));
	days = json_integer_value(json_object_get(before, "every_days"));
	min = json_integer_value(json_object_get(before, "min_contacts"));
	rc = rule_fields(c, patch, &every, &days, &min);
	if (ret && !json_is_boolean(ret)) {
		verr_add(&c->errs, "retired", "须为 true 或 false", "'retired' must be true or false");
		rc = ZL_E_VALIDATION;
	}
	if (rc) {
		json_decref(before);
		return rc;
	}
	time_format_utc(clock_now(), now);
	{
		struct db_stmt *st = NULL;
		if ((rc = db_prepare(c->db, "UPDATE plan_rule SET every = ?, every_days = ?, min_contacts = ?, "
				     "retired_at = CASE WHEN ? = 1 THEN COALESCE(retired_at, ?) WHEN ? = 0 THEN NULL "
				     "ELSE retired_at END, updated_at = ? WHERE id = ?", &st)) < 0) {
			json_decref(before);
			return rc;
		}
		db_bind_text(st, 1, every);
		if (days)
			db_bind_int(st, 2, days);
		db_bind_int(st, 3, min);
		db_bind_int(st, 4, ret ? json_is_true(ret) : -1);
		db_bind_text(st, 5, now);
		db_bind_int(st, 6, ret ? json_is_true(ret) : -1);
		db_bind_text(st, 7, now);
		db_bind_int(st, 8, id);
		rc = db_step(st);
		db_done(st);
	}
	if (rc >= 0)
		rc = rule_version_sync(c, id, now);
	if (!rc)
		rc = rule_get(c, id, out);
	if (!rc)
		rc = rule_audit(c, "plan_rule.update", id, before, *out);
	json_decref(before);
	return rc;
}

int plan_settings_update(struct ctx *c, const json_t *in, json_t **out)
{
	json_t *v = json_object_get(in, "station_days_per_month");
	int64_t n = json_is_integer(v) ? json_integer_value(v) : -1;
	int old, rc;
	char s[24];
	if (n < 0 || n > 31) {
		verr_add(&c->errs, "station_days_per_month", "驻点天数须为 0 到 31",
			 "'station_days_per_month' must be 0 to 31");
		return ZL_E_VALIDATION;
	}
	if (!scope_is_town(c))
		return ZL_E_FORBIDDEN;
	old = setting_int(c, "plan.station_days_per_month", STATION_DAYS_DEFAULT, 0, 31);
	snprintf(s, sizeof(s), "%" PRId64, n);
	if ((rc = db_run(c->db, "INSERT INTO setting(key, value) VALUES ('plan.station_days_per_month', ?) "
			 "ON CONFLICT(key) DO UPDATE SET value = excluded.value", "t", s)) < 0)
		return rc;
	*out = json_pack("{s:I}", "station_days_per_month", (json_int_t)n);
	json_t *before = json_pack("{s:i}", "station_days_per_month", old);
	rc = audit_log(c, "plan.settings", "setting", "plan.station_days_per_month", before, *out);
	json_decref(before);
	return rc;
}

/* ---- due items, computed on read ---- */

struct hh {
	int64_t id, cadre, created_day;
	char *code, *head, *village, *village_name, *cadre_name, *last_contact, *tag_name;
	const struct plan_rule *rule;
	struct plan_period cur, prev;
	int ncur, nprev;
};

struct hh_set {
	struct hh *v;
	size_t n, cap;
	struct plan_rule *rules;
	size_t nrules;
	int64_t today;
};

static void hh_set_release(struct hh_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		struct hh *h = &s->v[i];
		free(h->code), free(h->head), free(h->village), free(h->village_name);
		free(h->cadre_name), free(h->last_contact), free(h->tag_name);
	}
	free(s->v);
	free(s->rules);
	memset(s, 0, sizeof(*s));
}

static char *dup_col(struct db_stmt *st, int i)
{
	const char *t = db_col_text(st, i);
	return t ? xstrdup(t) : NULL;
}

static int hh_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = ((const struct hh *)b)->id;
	return x < y ? -1 : x > y;
}

/* Households in scope (of one cadre, one village: 0 / NULL for all) with
 * their rule and the contact counts of its current and previous periods. */
static int hh_load(struct ctx *c, int64_t cadre, const char *village, struct hh_set *s)
{
	struct buf sql = BUF_INIT;
	struct db_stmt *st = NULL;
	int64_t earliest = INT64_MAX, tags[64];
	char since[ZL_TIME_MAX];
	int rc, i = 1;
	memset(s, 0, sizeof(*s));
	s->today = today_day();
	if ((rc = rules_load(c, &s->rules, &s->nrules)))
		return rc;
	buf_adds(&sql, "SELECT h.id, h.code, h.head_name, h.village_code, v.name, g.path, h.created_at, "
		 "a.user_id, u.display_name, h.last_contact_at, "
		 "(SELECT group_concat(tag_id) FROM household_tag WHERE household_id = h.id) "
		 "FROM household h JOIN region g ON g.code = h.region_code JOIN region v ON v.code = h.village_code "
		 "LEFT JOIN household_assignment a ON a.household_id = h.id AND a.end_date IS NULL "
		 "LEFT JOIN app_user u ON u.id = a.user_id WHERE h.retired_at IS NULL");
	if (cadre)
		buf_adds(&sql, " AND a.user_id = ?");
	if (village)
		buf_adds(&sql, " AND h.village_code = ?");
	scope_sql(&sql, "h.region_code");
	buf_adds(&sql, " ORDER BY h.id");
	rc = db_prepare(c->db, sql.data, &st);
	buf_release(&sql);
	if (rc < 0)
		return rc;
	if (cadre)
		db_bind_int(st, i++, cadre);
	if (village)
		db_bind_text(st, i++, village);
	db_bind_text(st, i, c->actor.scope_like);
	while ((rc = db_step(st)) == 1) {
		size_t nt = 0;
		const char *tl = db_col_text(st, 10);
		for (const char *p = tl; p && *p && nt < ARRAY_SIZE(tags);) {
			tags[nt++] = strtoll(p, (char **)&p, 10);
			if (*p == ',')
				p++;
		}
		const struct plan_rule *r = plan_rule_pick(s->rules, s->nrules, db_col_text(st, 5), tags, nt);
		if (!r)
			continue;
		if (s->n == s->cap)
			s->v = xrealloc(s->v, (s->cap = s->cap ? s->cap * 2 : 64) * sizeof(*s->v));
		struct hh *h = &s->v[s->n++];
		memset(h, 0, sizeof(*h));
		h->id = db_col_int(st, 0);
		h->code = dup_col(st, 1);
		h->head = dup_col(st, 2);
		h->village = dup_col(st, 3);
		h->village_name = dup_col(st, 4);
		h->created_day = stored_day(db_col_text(st, 6));
		h->cadre = db_col_int(st, 7);
		h->cadre_name = dup_col(st, 8);
		h->last_contact = dup_col(st, 9);
		h->rule = r;
		plan_period_of(r->every, r->every_days, s->today, &h->cur);
		plan_period_prev(r->every, r->every_days, &h->cur, &h->prev);
		if (h->prev.start < earliest)
			earliest = h->prev.start;
	}
	db_done(st);
	if (rc < 0 || !s->n)
		return rc < 0 ? rc : 0;
	for (size_t k = 0; k < s->n; k++)
		if (s->v[k].rule->tag_id)
			db_get_text(c->db, &s->v[k].tag_name, "SELECT name FROM tag WHERE id = ?", "i",
				    s->v[k].rule->tag_id);
	day_start_utc(earliest, since);
	buf_adds(&sql, "SELECT ch.household_id, k.started_at FROM contact k "
		 "JOIN contact_household ch ON ch.contact_id = k.id WHERE k.started_at >= ?");
	if (cadre)
		buf_adds(&sql, " AND ch.household_id IN (SELECT household_id FROM household_assignment "
			 "WHERE user_id = ? AND end_date IS NULL)");
	rc = db_prepare(c->db, sql.data, &st);
	buf_release(&sql);
	if (rc < 0)
		return rc;
	db_bind_text(st, 1, since);
	if (cadre)
		db_bind_int(st, 2, cadre);
	while ((rc = db_step(st)) == 1) {
		int64_t hid = db_col_int(st, 0);
		struct hh *h = bsearch(&hid, s->v, s->n, sizeof(*s->v), hh_cmp);
		int64_t d = stored_day(db_col_text(st, 1));
		if (!h)
			continue;
		if (d >= h->cur.start && d < h->cur.end)
			h->ncur++;
		else if (d >= h->prev.start && d < h->prev.end)
			h->nprev++;
	}
	db_done(st);
	return rc < 0 ? rc : 0;
}

static int hh_done(const struct hh *h)
{
	return h->ncur >= h->rule->min_contacts;
}

/* Missed the period just ended (which began after the household existed)
 * and not contacted enough since. */
static int hh_overdue(const struct hh *h)
{
	return !hh_done(h) && h->nprev < h->rule->min_contacts && h->created_day <= h->prev.start;
}

static json_t *hh_json(const struct hh *h, int64_t today)
{
	int od = hh_overdue(h);
	const struct plan_rule *r = h->rule;
	return json_pack("{s:s,s:{s:I,s:s,s:s},s:{s:s,s:s},s:o,s:{s:I,s:s,s:o,s:i,s:o},s:o,s:o,s:o,s:i,s:i,"
			 "s:s,s:b,s:o,s:I,s:o}",
			 "kind", "household", "household", "id", (json_int_t)h->id, "code", h->code, "head_name",
			 h->head, "village", "code", h->village, "name", h->village_name ? h->village_name : "",
			 "cadre", h->cadre ? json_pack("{s:I,s:s}", "id", (json_int_t)h->cadre, "display_name",
							 h->cadre_name ? h->cadre_name : "") : json_null(),
			 "rule", "id", (json_int_t)r->id, "every", every_names[r->every], "every_days",
			 r->every == PLAN_DAYS ? json_integer(r->every_days) : json_null(), "min_contacts",
			 r->min_contacts, "tag", h->tag_name ? json_string(h->tag_name) : json_null(),
			 "period_start", day_json(h->cur.start), "period_end", day_json(h->cur.end), "due_date",
			 day_json(h->cur.end - 1), "contacts", h->ncur, "required", r->min_contacts, "status",
			 hh_done(h) ? "done" : "open", "overdue", od, "overdue_since",
			 od ? day_json(h->prev.end - 1) : json_null(), "days_overdue",
			 (json_int_t)(od ? today - (h->prev.end - 1) : 0), "last_contact_at",
			 org_time_json(h->last_contact));
}

/* Distinct days in [p->start, p->end) on which user was at the village:
 * a contact there in person (author or present; a phone call or a WeChat
 * message proves no presence, see PLAN_PRESENCE_METHODS) or a check-in. */
static int station_presence(struct ctx *c, int64_t user, const char *village, const struct plan_period *p,
			    int *days)
{
	struct db_stmt *st = NULL;
	char from[ZL_TIME_MAX], to[ZL_TIME_MAX], seen[RANGE_MAX_DAYS + 1] = { 0 };
	int rc, n = 0;
	day_start_utc(p->start, from);
	day_start_utc(p->end, to);
	if ((rc = db_prepare(c->db, "SELECT k.started_at FROM contact k WHERE k.village_code = ? AND "
			     "k.started_at >= ? AND k.started_at < ? AND k.method IN " PLAN_PRESENCE_METHODS_SQL
			     " AND (k.author_user_id = ? OR EXISTS "
			     "(SELECT 1 FROM contact_cadre cc WHERE cc.contact_id = k.id AND cc.user_id = ?))",
			     &st)) < 0)
		return rc;
	db_bindv(st, "tttii", village, from, to, user, user);
	while ((rc = db_step(st)) == 1) {
		int64_t d = stored_day(db_col_text(st, 0)) - p->start;
		if (d >= 0 && d < p->end - p->start && d <= RANGE_MAX_DAYS && !seen[d])
			seen[d] = 1, n++;
	}
	db_done(st);
	if (rc < 0)
		return rc;
	if ((rc = db_prepare(c->db, "SELECT date FROM station_checkin WHERE village_code = ? AND user_id = ? "
			     "AND date >= ? AND date < ?", &st)) < 0)
		return rc;
	{
		json_t *a = day_json(p->start), *b = day_json(p->end);
		db_bindv(st, "titt", village, user, json_string_value(a), json_string_value(b));
		json_decref(a);
		json_decref(b);
	}
	while ((rc = db_step(st)) == 1) {
		int64_t d;
		if (date_parse(db_col_text(st, 0), &d))
			continue;
		d -= p->start;
		if (d >= 0 && d < p->end - p->start && d <= RANGE_MAX_DAYS && !seen[d])
			seen[d] = 1, n++;
	}
	db_done(st);
	*days = n;
	return rc < 0 ? rc : 0;
}

/* The cadre's 驻点天数 items, one per current stationing in scope. */
static int station_items(struct ctx *c, int64_t user, int64_t today, const char *window, json_t *items)
{
	struct db_stmt *st = NULL;
	struct plan_period cur, prev;
	int need = setting_int(c, "plan.station_days_per_month", STATION_DAYS_DEFAULT, 0, 31), rc;
	struct { char village[ZL_CODE_MAX]; int64_t start; } v[32];
	size_t n = 0;
	struct buf sql = BUF_INIT;
	if (!need)
		return 0;
	plan_period_of(PLAN_MONTH, 0, today, &cur);
	plan_period_prev(PLAN_MONTH, 0, &cur, &prev);
	buf_adds(&sql, "SELECT s.village_code, s.start_date FROM station_assignment s WHERE s.user_id = ? "
		 "AND s.end_date IS NULL");
	scope_sql(&sql, "s.village_code");
	buf_adds(&sql, " ORDER BY s.village_code");
	rc = db_prepare(c->db, sql.data, &st);
	buf_release(&sql);
	if (rc < 0)
		return rc;
	db_bindv(st, "it", user, c->actor.scope_like);
	while (n < ARRAY_SIZE(v) && (rc = db_step(st)) == 1) {
		org_col_copy(st, 0, v[n].village, sizeof(v[n].village));
		if (date_parse(db_col_text(st, 1), &v[n].start))
			v[n].start = today;
		n++;
	}
	db_done(st);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		int dc = 0, dp = 0, od;
		if ((rc = station_presence(c, user, v[i].village, &cur, &dc)) ||
		    (rc = station_presence(c, user, v[i].village, &prev, &dp)))
			return rc;
		od = dc < need && dp < need && v[i].start <= prev.start;
		int64_t due = cur.end - 1;
		int keep = !strcmp(window, "overdue") ? od :
			   !strcmp(window, "today") ? dc < need && due == today :
			   !strcmp(window, "week") ? dc < need && due < today + 7 - (weekday_from_days(today) + 6) % 7 :
			   dc < need;
		if (!keep)
			continue;
		json_array_append_new(items, json_pack("{s:s,s:o,s:o,s:o,s:o,s:i,s:i,s:s,s:b,s:o}", "kind",
						       "station_days", "village", region_brief(c, v[i].village),
						       "period_start", day_json(cur.start), "period_end",
						       day_json(cur.end), "due_date", day_json(due), "days", dc,
						       "required", need, "status", dc >= need ? "done" : "open",
						       "overdue", od, "overdue_since",
						       od ? day_json(prev.end - 1) : json_null()));
	}
	return 0;
}

static const char *const windows[] = { "all", "today", "week", "overdue" };

int plan_due(struct ctx *c, int64_t cadre, const char *window, json_t **out)
{
	struct hh_set s;
	json_t *items, *who;
	int rc;
	int64_t week_end;
	if (!window || !*window)
		window = "all";
	if (!org_one_of(window, windows, ARRAY_SIZE(windows))) {
		verr_add(&c->errs, "window", "范围须为 all、today、week 或 overdue",
			 "'window' must be all, today, week or overdue");
		return ZL_E_VALIDATION;
	}
	if (!cadre)
		cadre = c->actor.user_id;
	if (cadre != c->actor.user_id) {
		struct org_user u;
		if ((rc = org_user_load(c, cadre, &u)))
			return rc;
	}
	if ((rc = hh_load(c, cadre, NULL, &s))) {
		hh_set_release(&s);
		return rc;
	}
	week_end = s.today + 7 - (weekday_from_days(s.today) + 6) % 7; /* next Monday */
	items = json_array();
	for (size_t i = 0; i < s.n; i++) {
		const struct hh *h = &s.v[i];
		int od = hh_overdue(h), keep;
		if (hh_done(h))
			continue;
		int64_t due = h->cur.end - 1;
		keep = !strcmp(window, "overdue") ? od :
		       !strcmp(window, "today") ? due == s.today :
		       !strcmp(window, "week") ? due < week_end : 1;
		if (keep)
			json_array_append_new(items, hh_json(h, s.today));
	}
	rc = station_items(c, cadre, s.today, window, items);
	if (rc) {
		json_decref(items);
		hh_set_release(&s);
		return rc;
	}
	who = org_user_brief(c, cadre);
	if (json_is_object(who)) {
		json_object_del(who, "phone");
		json_object_del(who, "position");
	}
	*out = json_pack("{s:o,s:o,s:s,s:o,s:n}", "cadre", who, "today", day_json(s.today), "window", window,
			 "items", items, "next_cursor");
	hh_set_release(&s);
	return 0;
}

struct group {
	char key[ZL_CODE_MAX];
	const char *name;
	int count;
};

int plan_overdue(struct ctx *c, const char *by, const char *village, int64_t cadre, int limit,
		 json_t **out)
{
	struct hh_set s;
	struct group *g = NULL;
	size_t ng = 0;
	json_t *groups, *items;
	int rc, total = 0, by_cadre;
	if (!by || !*by)
		by = "village";
	by_cadre = !strcmp(by, "cadre");
	if (!by_cadre && strcmp(by, "village")) {
		verr_add(&c->errs, "by", "分组须为 village 或 cadre", "'by' must be village or cadre");
		return ZL_E_VALIDATION;
	}
	if (limit <= 0 || limit > OVERDUE_LIMIT_MAX)
		limit = 200;
	if (village && *village && scope_contains(c, village) != 1)
		return ZL_E_NOT_FOUND;
	if ((rc = hh_load(c, cadre, village && *village ? village : NULL, &s))) {
		hh_set_release(&s);
		return rc;
	}
	g = xmalloc((s.n + 1) * sizeof(*g));
	items = json_array();
	for (size_t i = 0; i < s.n; i++) {
		const struct hh *h = &s.v[i];
		char key[ZL_CODE_MAX];
		size_t j;
		if (!hh_overdue(h))
			continue;
		total++;
		if (by_cadre)
			snprintf(key, sizeof(key), "%" PRId64, h->cadre);
		else
			snprintf(key, sizeof(key), "%s", h->village);
		for (j = 0; j < ng && strcmp(g[j].key, key); j++)
			;
		if (j == ng) {
			snprintf(g[ng].key, sizeof(g[ng].key), "%s", key);
			g[ng].name = by_cadre ? (h->cadre_name ? h->cadre_name : "") : h->village_name;
			g[ng++].count = 0;
		}
		g[j].count++;
		if ((int)json_array_size(items) < limit)
			json_array_append_new(items, hh_json(h, s.today));
	}
	groups = json_array();
	for (size_t j = 0; j < ng; j++) {
		json_t *o = json_pack("{s:s,s:i}", "name", g[j].name ? g[j].name : "", "count", g[j].count);
		if (by_cadre) {
			int64_t id = strtoll(g[j].key, NULL, 10);
			json_object_set_new(o, "id", id ? json_integer(id) : json_null());
		} else {
			json_object_set_new(o, "code", json_string(g[j].key));
		}
		json_array_append_new(groups, o);
	}
	*out = json_pack("{s:s,s:o,s:i,s:o,s:o}", "by", by, "today", day_json(s.today), "total", total,
			 "groups", groups, "items", items);
	free(g);
	hh_set_release(&s);
	return 0;
}

/* ---- station days (驻点日) ---- */

struct team {
	int weekday, every_weeks;
	int64_t leader, created_day;
	char start[8], end[8], place[256];
};

/* The village's station team: 1 found (with a station day), 0 none. */
static int team_load(struct ctx *c, const char *village, struct team *t)
{
	struct db_stmt *st = NULL;
	int rc = db_prepare(c->db, "SELECT station_weekday, station_every_weeks, COALESCE(leader_user_id, 0), "
			    "created_at, station_start, station_end, station_place FROM village_team "
			    "WHERE village_code = ? AND kind = 'station' AND station_weekday IS NOT NULL", &st);
	memset(t, 0, sizeof(*t));
	if (rc < 0)
		return rc;
	db_bind_text(st, 1, village);
	if ((rc = db_step(st)) == 1) {
		t->weekday = (int)db_col_int(st, 0);
		t->every_weeks = (int)db_col_int(st, 1);
		t->leader = db_col_int(st, 2);
		t->created_day = stored_day(db_col_text(st, 3));
		org_col_copy(st, 4, t->start, sizeof(t->start));
		org_col_copy(st, 5, t->end, sizeof(t->end));
		org_col_copy(st, 6, t->place, sizeof(t->place));
	}
	db_done(st);
	return rc;
}

/* 0 if code is a village in scope, else ZL_E_NOT_FOUND. */
static int village_check(struct ctx *c, const char *code)
{
	int64_t one = 0;
	int rc = db_get_int(c->db, &one, "SELECT 1 FROM region WHERE code = ? AND level = 'village' AND +path LIKE ?",
			    "tt", code ? code : "", c->actor.scope_like);
	return rc < 0 ? rc : rc == 1 ? 0 : ZL_E_NOT_FOUND;
}

static json_t *checkins_json(struct ctx *c, const char *village, int64_t day, int *n)
{
	struct db_stmt *st = NULL;
	json_t *a = json_array(), *d = day_json(day);
	*n = 0;
	if (db_prepare(c->db, "SELECT k.user_id, u.display_name, k.at, k.lat, k.lng FROM station_checkin k "
		       "JOIN app_user u ON u.id = k.user_id WHERE k.village_code = ? AND k.date = ? ORDER BY k.id",
		       &st) >= 0) {
		db_bindv(st, "tt", village, json_string_value(d));
		while (db_step(st) == 1) {
			json_array_append_new(a, json_pack("{s:{s:I,s:s},s:o,s:o,s:o}", "user", "id",
							   (json_int_t)db_col_int(st, 0), "display_name",
							   db_col_text(st, 1), "at", org_time_json(db_col_text(st, 2)),
							   "lat", db_col_isnull(st, 3) ? json_null() : json_real(db_col_double(st, 3)),
							   "lng", db_col_isnull(st, 4) ? json_null() : json_real(db_col_double(st, 4))));
			(*n)++;
		}
		db_done(st);
	}
	json_decref(d);
	return a;
}

int plan_station_days(struct ctx *c, const char *village, const char *from, const char *to, json_t **out)
{
	struct team t;
	int64_t f, e, today = today_day(), ref;
	json_t *items, *team;
	int rc = village_check(c, village);
	if (rc)
		return rc;
	if ((rc = range_args(c, from, to, today, today + 28, &f, &e)))
		return rc;
	if ((rc = team_load(c, village, &t)) < 0)
		return rc;
	ref = plan_station_reference(c);
	items = json_array();
	team = json_null();
	if (rc == 1) {
		json_decref(team);
		team = json_pack("{s:i,s:i,s:s,s:s,s:s,s:o}", "weekday", t.weekday, "every_weeks", t.every_weeks,
				 "start", t.start, "end", t.end, "place", t.place, "leader", org_user_brief(c, t.leader));
		for (int64_t d = f; d < e; d++) {
			int n;
			if (!plan_is_station_day(t.weekday, t.every_weeks, ref, d))
				continue;
			json_t *ck = checkins_json(c, village, d, &n);
			const char *status = n ? "attended" : d > today ? "upcoming" : d == today ? "today" : "missed";
			json_array_append_new(items, json_pack("{s:o,s:i,s:s,s:s,s:s,s:s,s:o}", "date", day_json(d),
							       "weekday", t.weekday, "start", t.start, "end", t.end,
							       "place", t.place, "status", status, "checkins", ck));
		}
	}
	*out = json_pack("{s:o,s:o,s:o}", "village", region_brief(c, village), "team", team, "items", items);
	return 0;
}

int plan_checkin(struct ctx *c, const char *village, const char *date, const json_t *in, json_t **out)
{
	struct team t;
	int64_t day, one = 0, id;
	json_t *lat = json_object_get(in, "lat"), *lng = json_object_get(in, "lng");
	char now[ZL_TIME_MAX], ids[24];
	int rc = village_check(c, village), bad = 0;
	if (rc)
		return rc;
	if (!date || date_parse(date, &day))
		return ZL_E_NOT_FOUND;
	if (lat && !json_is_null(lat) && (!json_is_number(lat) || fabs(json_number_value(lat)) > 90)) {
		verr_add(&c->errs, "lat", "纬度须为 -90 到 90 的数", "'lat' must be a number from -90 to 90");
		bad = 1;
	}
	if (lng && !json_is_null(lng) && (!json_is_number(lng) || fabs(json_number_value(lng)) > 180)) {
		verr_add(&c->errs, "lng", "经度须为 -180 到 180 的数", "'lng' must be a number from -180 to 180");
		bad = 1;
	}
	if (!bad && json_is_number(lat) != json_is_number(lng)) {
		verr_add(&c->errs, json_is_number(lat) ? "lng" : "lat", "经纬度须同时填写",
			 "'lat' and 'lng' go together");
		bad = 1;
	}
	if (bad)
		return ZL_E_VALIDATION;
	if (day != today_day())
		return ZL_E_PLAN_CHECKIN_DATE;
	if ((rc = team_load(c, village, &t)) < 0)
		return rc;
	if (rc != 1 || !plan_is_station_day(t.weekday, t.every_weeks, plan_station_reference(c), day))
		return ZL_E_PLAN_NOT_STATION_DAY;
	rc = db_get_int(c->db, &one, "SELECT 1 FROM team_member m JOIN village_team v ON v.id = m.team_id "
			"WHERE v.village_code = ? AND v.kind = 'station' AND m.user_id = ? AND m.end_date IS NULL "
			"UNION ALL SELECT 1 FROM village_team WHERE village_code = ? AND kind = 'station' AND "
			"leader_user_id = ? UNION ALL SELECT 1 FROM station_assignment WHERE village_code = ? AND "
			"user_id = ? AND end_date IS NULL UNION ALL SELECT 1 FROM station_duty WHERE "
			"village_code = ? AND date = ? AND user_id = ?", "titititti", village, c->actor.user_id,
			village, c->actor.user_id, village, c->actor.user_id, village, date, c->actor.user_id);
	if (rc < 0)
		return rc;
	if (rc != 1)
		return ZL_E_PLAN_NOT_ON_TEAM;
	rc = db_get_int(c->db, &one, "SELECT 1 FROM station_checkin WHERE village_code = ? AND date = ? AND user_id = ?",
			"tti", village, date, c->actor.user_id);
	if (rc < 0)
		return rc;
	if (rc == 1)
		return ZL_E_PLAN_CHECKIN_EXISTS;
	time_format_utc(clock_now(), now);
	{
		struct db_stmt *st = NULL;
		if ((rc = db_prepare(c->db, "INSERT INTO station_checkin(village_code, date, user_id, at, lat, lng) "
				     "VALUES (?, ?, ?, ?, ?, ?)", &st)) < 0)
			return rc;
		db_bindv(st, "ttit", village, date, c->actor.user_id, now);
		if (json_is_number(lat)) {
			db_bind_double(st, 5, json_number_value(lat));
			db_bind_double(st, 6, json_number_value(lng));
		}
		rc = db_step(st);
		db_done(st);
		if (rc < 0)
			return rc;
	}
	id = db_last_id(c->db);
	json_t *who = org_user_brief(c, c->actor.user_id);
	if (json_is_object(who)) {
		json_object_del(who, "phone");
		json_object_del(who, "position");
	}
	*out = json_pack("{s:I,s:o,s:s,s:o,s:o,s:b}", "id", (json_int_t)id, "village", region_brief(c, village),
			 "date", date, "user", who, "at", org_time_json(now), "gps", json_is_number(lat));
	/* the position is personal data: the audit row says only that one was given */
	snprintf(ids, sizeof(ids), "%" PRId64, id);
	json_t *a = json_pack("{s:s,s:s,s:b}", "village", village, "date", date, "gps", json_is_number(lat));
	rc = audit_log(c, "station_day.checkin", "station_checkin", ids, NULL, a);
	json_decref(a);
	return rc;
}

int plan_missed_station_days(struct ctx *c, const char *from, const char *to, json_t **out)
{
	struct db_stmt *st = NULL;
	struct buf sql = BUF_INIT;
	int64_t today = today_day(), f, e, ref = plan_station_reference(c);
	struct plan_period month;
	json_t *items, *byv;
	int rc, total = 0;
	struct { char code[ZL_CODE_MAX]; char name[4 * ZL_NAME_MAX + 1]; } *v = NULL;
	size_t n = 0, cap = 0;
	plan_period_of(PLAN_MONTH, 0, today, &month);
	if ((rc = range_args(c, from, to, month.start, today, &f, &e)))
		return rc;
	if (e > today)
		e = today; /* only days that have passed */
	buf_adds(&sql, "SELECT g.code, g.name FROM region g JOIN village_team t ON t.village_code = g.code "
		 "AND t.kind = 'station' AND t.station_weekday IS NOT NULL WHERE g.level = 'village' "
		 "AND g.retired_at IS NULL");
	scope_sql(&sql, "g.code");
	buf_adds(&sql, " ORDER BY g.code");
	rc = db_prepare(c->db, sql.data, &st);
	buf_release(&sql);
	if (rc < 0)
		return rc;
	db_bind_text(st, 1, c->actor.scope_like);
	while ((rc = db_step(st)) == 1) {
		if (n == cap)
			v = xrealloc(v, (cap = cap ? cap * 2 : 16) * sizeof(*v));
		org_col_copy(st, 0, v[n].code, sizeof(v[n].code));
		org_col_copy(st, 1, v[n].name, sizeof(v[n].name));
		n++;
	}
	db_done(st);
	if (rc < 0) {
		free(v);
		return rc;
	}
	items = json_array();
	byv = json_array();
	for (size_t i = 0; i < n && !rc; i++) {
		struct team t;
		int count = 0;
		if ((rc = team_load(c, v[i].code, &t)) < 0)
			break;
		rc = 0;
		for (int64_t d = f > t.created_day ? f : t.created_day; d < e; d++) {
			int64_t one = 0;
			json_t *ds;
			if (!plan_is_station_day(t.weekday, t.every_weeks, ref, d))
				continue;
			ds = day_json(d);
			rc = db_get_int(c->db, &one, "SELECT 1 FROM station_checkin WHERE village_code = ? AND date = ? LIMIT 1",
					"tt", v[i].code, json_string_value(ds));
			if (rc < 0) {
				json_decref(ds);
				break;
			}
			rc = 0;
			if (one) {
				json_decref(ds);
				continue;
			}
			count++;
			json_array_append_new(items, json_pack("{s:{s:s,s:s},s:o,s:i,s:o}", "village", "code", v[i].code,
							       "name", v[i].name, "date", ds, "weekday", t.weekday,
							       "leader", org_user_brief(c, t.leader)));
		}
		if (count)
			json_array_append_new(byv, json_pack("{s:s,s:s,s:i}", "code", v[i].code, "name", v[i].name,
							     "count", count));
		total += count;
	}
	free(v);
	if (rc < 0) {
		json_decref(items);
		json_decref(byv);
		return rc;
	}
	*out = json_pack("{s:o,s:o,s:i,s:o,s:o}", "from", day_json(f), "to", day_json(e), "total", total,
			 "by_village", byv, "items", items);
	return 0;
}

/* ---- HTTP ---- */

/*
 * Handover (交接): no mover is registered. Due items are not stored: each is
 * computed on read for the household's current responsible cadre
 * (household_assignment), so when a handover re-assigns a household its open
 * items show on the new cadre's due list at once, with the contacts already
 * made in the period still counting. Nothing is left behind to move.
 */

static int h_rules(struct req *r, struct resp *w)
{
	json_t *out = NULL;
	int rc = plan_rule_list(&r->ctx, &out);
	return resp_result(w, rc, 200, out);
}

static int h_rule_create(struct req *r, struct resp *w)
{
	json_t *in = NULL, *out = NULL;
	int rc = req_json(r, &in);
	if (!rc)
		rc = plan_rule_create(&r->ctx, in, &out);
	if (rc)
		return rc;
	resp_created_id(w, out, "/api/v1/plans/rules/");
	return 0;
}

static int h_rule_update(struct req *r, struct resp *w)
{
	json_t *in = NULL, *out = NULL;
	int64_t id;
	int rc = req_param_id(r, "id", &id);
	if (!rc)
		rc = req_json(r, &in);
	if (!rc)
		rc = plan_rule_update(&r->ctx, id, in, &out);
	return resp_result(w, rc, 200, out);
}

static int h_settings(struct req *r, struct resp *w)
{
	json_t *in = NULL, *out = NULL;
	int rc = req_json(r, &in);
	if (!rc)
		rc = plan_settings_update(&r->ctx, in, &out);
	return resp_result(w, rc, 200, out);
}

static int h_due(struct req *r, struct resp *w)
{
	json_t *out = NULL;
	int64_t cadre = 0;
	int rc = org_query_id(r, "cadre", &cadre);
	if (!rc)
		rc = plan_due(&r->ctx, cadre, req_query(r, "window"), &out);
	return resp_result(w, rc, 200, out);
}

static int h_overdue(struct req *r, struct resp *w)
{
	json_t *out = NULL;
	int64_t cadre = 0, limit = 200;
	const char *l = req_query(r, "limit");
	int rc = org_query_id(r, "cadre", &cadre);
	if (!rc && l && (parse_int64(l, &limit) || limit < 1 || limit > OVERDUE_LIMIT_MAX)) {
		verr_add(&r->ctx.errs, "limit", "条数须为 1 到 2000", "'limit' must be 1 to 2000");
		rc = ZL_E_VALIDATION;
	}
	if (!rc)
		rc = plan_overdue(&r->ctx, req_query(r, "by"), req_query(r, "village"), cadre, (int)limit, &out);
	return resp_result(w, rc, 200, out);
}

static int h_missed(struct req *r, struct resp *w)
{
	json_t *out = NULL;
	int rc = plan_missed_station_days(&r->ctx, req_query(r, "from"), req_query(r, "to"), &out);
	return resp_result(w, rc, 200, out);
}

static int h_station_days(struct req *r, struct resp *w)
{
	json_t *out = NULL;
	int rc = plan_station_days(&r->ctx, req_param(r, "code"), req_query(r, "from"), req_query(r, "to"), &out);
	return resp_result(w, rc, 200, out);
}

static int h_checkin(struct req *r, struct resp *w)
{
	json_t *in = NULL, *out = NULL;
	char loc[96];
	int rc = 0;
	if (r->body_len)
		rc = req_json(r, &in);
	if (!rc)
		rc = plan_checkin(&r->ctx, req_param(r, "village"), req_param(r, "date"), in, &out);
	if (rc)
		return rc;
	snprintf(loc, sizeof(loc), "/api/v1/villages/%s/station-days", req_param(r, "village"));
	resp_created(w, out, loc);
	return 0;
}

static const struct route routes[] = {
	{ "GET", "/api/v1/plans/rules", h_rules, "plan.read", 0 },
	{ "POST", "/api/v1/plans/rules", h_rule_create, "plan.write", 0 },
	{ "PATCH", "/api/v1/plans/rules/{id}", h_rule_update, "plan.write", 0 },
	{ "PATCH", "/api/v1/plans/settings", h_settings, "plan.write", 0 },
	{ "GET", "/api/v1/plans/due", h_due, "plan.read", 0 },
	{ "GET", "/api/v1/plans/overdue", h_overdue, "plan.read", 0 },
	{ "GET", "/api/v1/plans/missed-station-days", h_missed, "plan.read", 0 },
	{ "GET", "/api/v1/villages/{code}/station-days", h_station_days, "plan.read", 0 },
	{ "POST", "/api/v1/station-days/{village}/{date}/checkin", h_checkin, "checkin.write", 0 },
};
ROUTE_TABLE(plan_routes, "plans", routes);
