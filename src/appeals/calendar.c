/*
 * calendar.c: the holiday calendar (法定节假日 and 调休 workdays) and the
 * business hours, loaded from calendar_day and the settings for the
 * working-time arithmetic, and edited by admins through the API.
 */
#include "appeals.h"

#include "platform/audit.h"
#include "platform/clock.h"

/* "HH:MM-HH:MM,HH:MM-HH:MM" into the calendar's periods; -1 if malformed. */
static int parse_hours(const char *s, struct sla_calendar *cal)
{
	int n = 0;
	while (*s) {
		int h1, m1, h2, m2, used = 0;
		if (n == SLA_MAX_PERIODS || sscanf(s, "%2d:%2d-%2d:%2d%n", &h1, &m1, &h2, &m2, &used) != 4)
			return -1;
		if (h1 < 0 || h1 > 24 || m1 < 0 || m1 > 59 || h2 < 0 || h2 > 24 || m2 < 0 || m2 > 59)
			return -1;
		cal->period_start[n] = h1 * 60 + m1;
		cal->period_end[n] = h2 * 60 + m2;
		if (cal->period_end[n] <= cal->period_start[n] ||
		    (n && cal->period_start[n] < cal->period_end[n - 1]) || cal->period_end[n] > 24 * 60)
			return -1;
		n++;
		s += used;
		if (*s == ',')
			s++;
		else if (*s)
			return -1;
	}
	cal->nperiods = n;
	return n ? 0 : -1;
}

int appeal_calendar_load(struct db *db, struct sla_calendar *cal)
{
	struct db_stmt *st = NULL;
	struct sla_day *days = NULL;
	size_t n = 0, alloc = 0;
	char *hours = NULL;
	int rc;

	sla_calendar_default(cal);
	if (db_get_text(db, &hours, "SELECT value FROM setting WHERE key = 'appeal.business_hours'", "") == 1 &&
	    hours && parse_hours(hours, cal)) {
		fprintf(stderr, "zhilian: setting appeal.business_hours \"%s\" is not like "
				"\"08:30-12:00,14:30-17:30\"; using the default\n", hours);
		sla_calendar_default(cal);
	}
	free(hours);
	rc = db_prepare(db, "SELECT day, kind FROM calendar_day", &st);
	if (rc)
		return rc;
	while ((rc = db_step(st)) == 1) {
		int64_t d;
		if (date_parse(db_col_text(st, 0), &d))
			continue;
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 128;
			days = xrealloc(days, alloc * sizeof(*days));
		}
		days[n].day = d;
		days[n].workday = !strcmp(db_col_text(st, 1), "workday");
		n++;
	}
	db_done(st);
	if (rc < 0) {
		free(days);
		return rc;
	}
	sla_days_sort(days, n);
	cal->days = days;
	cal->ndays = n;
	return 0;
}

void appeal_calendar_release(struct sla_calendar *cal)
{
	free((void *)cal->days);
	cal->days = NULL;
	cal->ndays = 0;
}

static json_t *day_json(const char *day, const char *kind, const char *name)
{
	return json_pack("{s:s,s:s,s:s?}", "day", day, "kind", kind, "name", name);
}

int calendar_list(struct ctx *c, int year, json_t **out)
{
	struct db_stmt *st = NULL;
	char from[16], to[16];
	json_t *items;
	int rc;

	if (year < 2000 || year > 2100) {
		verr_add(&c->errs, "year", "年份应在 2000 至 2100 之间", "'year' must be from 2000 to 2100");
		return ZL_E_VALIDATION;
	}
	snprintf(from, sizeof(from), "%04d-01-01", year);
	snprintf(to, sizeof(to), "%04d-01-01", year + 1);
	rc = db_prepare(c->db, "SELECT day, kind, name FROM calendar_day WHERE day >= ? AND day < ? ORDER BY day", &st);
	if (rc)
		return rc;
	db_bindv(st, "tt", from, to);
	items = json_array();
	while ((rc = db_step(st)) == 1)
		json_array_append_new(items, day_json(db_col_text(st, 0), db_col_text(st, 1), db_col_text(st, 2)));
	db_done(st);
	if (rc < 0) {
		json_decref(items);
		return rc;
	}
	*out = json_pack("{s:i,s:o}", "year", year, "items", items);
	return 0;
}

/* The stored row of a day as JSON, or NULL. */
static json_t *day_load(struct ctx *c, const char *day)
{
	struct db_stmt *st = NULL;
	json_t *o = NULL;
	if (db_prepare(c->db, "SELECT day, kind, name FROM calendar_day WHERE day = ?", &st))
		return NULL;
	db_bindv(st, "t", day);
	if (db_step(st) == 1)
		o = day_json(db_col_text(st, 0), db_col_text(st, 1), db_col_text(st, 2));
	db_done(st);
	return o;
}

static int day_check(struct ctx *c, const char *day)
{
	int64_t d;
	if (!day || strlen(day) != 10 || date_parse(day, &d)) {
		verr_add(&c->errs, "day", "日期格式应为 YYYY-MM-DD", "'day' must be a date like 2026-10-01");
		return -1;
	}
	return 0;
}

int calendar_put(struct ctx *c, const char *day, const json_t *in, json_t **out)
{
	const char *kind = NULL, *name = NULL;
	json_t *before, *after;
	int rc;

	if (day_check(c, day))
		return ZL_E_VALIDATION;
	if ((rc = json_req_string(c, in, "kind", &kind)) || (rc = json_opt_string(c, in, "name", &name)))
		return rc;
	if (strcmp(kind, "holiday") && strcmp(kind, "workday")) {
		verr_add(&c->errs, "kind", "类型应为 holiday（放假）或 workday（调休上班）",
			 "'kind' must be holiday or workday");
		return ZL_E_VALIDATION;
	}
	if (name && (utf8_len(name) < 0 || utf8_len(name) > 32)) {
		verr_add(&c->errs, "name", "名称最多 32 个字", "'name' must have at most 32 characters");
		return ZL_E_VALIDATION;
	}
	before = day_load(c, day);
	rc = db_run(c->db, "INSERT INTO calendar_day(day, kind, name) VALUES (?, ?, ?) "
			   "ON CONFLICT(day) DO UPDATE SET kind = excluded.kind, name = excluded.name",
		    "ttt", day, kind, name);
	after = day_json(day, kind, name);
	if (!rc)
		rc = audit_log(c, "calendar.put", "calendar_day", day, before, after);
	json_decref(before);
	if (rc) {
		json_decref(after);
		return rc;
	}
	*out = after;
	return 0;
}

int calendar_delete(struct ctx *c, const char *day)
{
	json_t *before;
	int rc;
	if (day_check(c, day))
		return ZL_E_VALIDATION;
	before = day_load(c, day);
	if (!before)
		return ZL_E_NOT_FOUND;
	rc = db_run(c->db, "DELETE FROM calendar_day WHERE day = ?", "t", day);
	if (!rc)
		rc = audit_log(c, "calendar.delete", "calendar_day", day, before, NULL);
	json_decref(before);
	return rc;
}
