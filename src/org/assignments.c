/*
 * assignments.c: who serves whom. Stationing (驻点, cadre<->village) and
 * household responsibility (联系户, cadre<->household, exactly one current
 * cadre per household) with full, non-overlapping history, "who was
 * responsible on date D", and the handover (交接) that moves a rotating
 * cadre's responsibilities to a successor without deleting anything.
 */
#include "org/org.h"
#include "org/regions.h"

#include "platform/audit.h"
#include "platform/clock.h"
#include "platform/db.h"
#include "platform/notify.h"

#define NOTE_MAX 500
#define MOVERS_MAX 16

/* ---- checks shared by stationing, households and handover ---- */

static void id_text(int64_t id, char out[24])
{
	snprintf(out, 24, "%" PRId64, id);
}

/* The date in s, or today when s is NULL; field error when malformed. */
static int date_or_today(struct ctx *c, const char *field, const char *s, char out[ORG_DATE_MAX])
{
	if (!s) {
		org_today(out);
		return 0;
	}
	if (org_date_check(c, field, s) < 0)
		return ZL_E_VALIDATION;
	snprintf(out, ORG_DATE_MAX, "%s", s);
	return 0;
}

/*
 * The cadre: an active cadre or leader the actor can see, whose scope holds
 * region_code. Field errors go under field.
 */
static int cadre_check(struct ctx *c, const char *field, int64_t user_id, const char *region_code,
		       struct org_user *u)
{
	char zh[160], en[160];
	int rc = org_user_load(c, user_id, u);
	if (rc == ZL_E_NOT_FOUND) {
		snprintf(zh, sizeof(zh), "“%s”指定的用户不存在或不在您的管辖范围内", field);
		snprintf(en, sizeof(en), "'%s' does not exist or is outside your scope", field);
		verr_add(&c->errs, field, zh, en);
		return ZL_E_VALIDATION;
	}
	if (rc)
		return rc;
	if (u->disabled || (u->role != ROLE_CADRE && u->role != ROLE_LEADER))
		return ZL_E_ASSIGN_CADRE;
	if (!region_code)
		return 0;
	rc = region_in_subtree(c->db, region_code, u->scope_code);
	if (rc < 0)
		return rc;
	return rc ? 0 : ZL_E_ASSIGN_SCOPE;
}

/* A village in scope for a stationing; name (may be NULL) gets its name. */
static int village_check(struct ctx *c, const char *code, char *name, size_t n)
{
	struct db_stmt *st = NULL;
	int rc, ok = 0, retired = 0;
	rc = db_prepare(c->db,
			"SELECT name, retired_at FROM region WHERE code = ? AND level = 'village' AND +path LIKE ?",
			&st);
	if (rc < 0)
		return rc;
	db_bindv(st, "tt", code ? code : "", c->actor.scope_like);
	rc = db_step(st);
	if (rc == 1) {
		ok = 1;
		retired = !db_col_isnull(st, 1);
		if (name)
			snprintf(name, n, "%s", db_col_text(st, 0));
	}
	db_done(st);
	if (rc < 0)
		return rc;
	if (!ok) {
		verr_add(&c->errs, "village_code", "村不存在或不在您的管辖范围内",
			 "'village_code' is not a village within your scope");
		return ZL_E_VALIDATION;
	}
	return retired ? ZL_E_REGION_RETIRED : 0;
}

/* SQL condition: household h is visible to the actor: in scope (z is its
 * region), or the actor is its current cadre. Binds: scope_like, user id. */
#define HH_VISIBLE \
	" (+z.path LIKE ? OR EXISTS (SELECT 1 FROM household_assignment me WHERE me.household_id = h.id" \
	" AND me.user_id = ? AND me.end_date IS NULL))"

/* A household visible to the actor, with its region (group or village). */
static int household_check(struct ctx *c, int64_t id, char region[ZL_CODE_MAX], int *retired)
{
	struct db_stmt *st = NULL;
	int rc = db_prepare(c->db,
			    "SELECT h.region_code, h.retired_at FROM household h JOIN region z ON"
			    " z.code = h.region_code WHERE h.id = ? AND" HH_VISIBLE,
			    &st);
	if (rc < 0)
		return rc;
	db_bindv(st, "iti", id, c->actor.scope_like, c->actor.user_id);
	rc = db_step(st);
	if (rc == 1) {
		snprintf(region, ZL_CODE_MAX, "%s", db_col_text(st, 0));
		*retired = !db_col_isnull(st, 1);
		rc = 0;
	} else if (rc == 0) {
		rc = ZL_E_NOT_FOUND;
	}
	db_done(st);
	return rc;
}

/* ---- rows as JSON ---- */

#define STATION_COLS \
	"sa.id, sa.user_id, u.display_name, sa.village_code, z.name, sa.start_date, sa.end_date," \
	" sa.handover_id, sa.created_at"
#define STATION_FROM \
	" FROM station_assignment sa JOIN app_user u ON u.id = sa.user_id" \
	" JOIN region z ON z.code = sa.village_code"

static json_t *opt_id_json(struct db_stmt *st, int col)
{
	return db_col_isnull(st, col) ? json_null() : json_integer(db_col_int(st, col));
}

static json_t *station_json(struct db_stmt *st)
{
	return json_pack("{s:I,s:I,s:s,s:s,s:s,s:s,s:s?,s:b,s:o,s:o}", "id", (json_int_t)db_col_int(st, 0),
			 "user_id", (json_int_t)db_col_int(st, 1), "user_name", db_col_text(st, 2),
			 "village_code", db_col_text(st, 3), "village_name", db_col_text(st, 4), "start_date",
			 db_col_text(st, 5), "end_date", db_col_text(st, 6), "current", db_col_isnull(st, 6),
			 "handover_id", opt_id_json(st, 7), "created_at", org_time_json(db_col_text(st, 8)));
}

#define HA_COLS \
	"ha.id, ha.household_id, h.code, h.head_name, h.village_code, ha.user_id, u.display_name," \
	" ha.start_date, ha.end_date, ha.handover_id, ha.created_at"
#define HA_FROM \
	" FROM household_assignment ha JOIN household h ON h.id = ha.household_id" \
	" JOIN app_user u ON u.id = ha.user_id JOIN region z ON z.code = h.region_code"

static json_t *ha_json(struct db_stmt *st)
{
	return json_pack("{s:I,s:I,s:s,s:s,s:s,s:I,s:s,s:s,s:s?,s:b,s:o,s:o}", "id",
			 (json_int_t)db_col_int(st, 0), "household_id", (json_int_t)db_col_int(st, 1),
			 "household_code", db_col_text(st, 2), "head_name", db_col_text(st, 3), "village_code",
			 db_col_text(st, 4), "user_id", (json_int_t)db_col_int(st, 5), "user_name",
			 db_col_text(st, 6), "start_date", db_col_text(st, 7), "end_date", db_col_text(st, 8),
			 "current", db_col_isnull(st, 8), "handover_id", opt_id_json(st, 9), "created_at",
			 org_time_json(db_col_text(st, 10)));
}

/* ---- lists ---- */

struct list_q {
	struct buf sql;
	struct db_stmt *st;
	int bind;
};

/* Runs a prepared list query whose first bind is the cursor and last the
 * limit; rows become JSON by fn. */
static int list_run(struct ctx *c, struct list_q *q, const struct page *p, json_t *(*fn)(struct db_stmt *),
		    json_t **items, int64_t *next)
{
	int limit = p && p->limit > 0 ? p->limit : 50, n = 0, rc;
	int64_t last = 0;
	UNUSED(c);
	db_bind_int(q->st, q->bind++, (int64_t)limit + 1);
	*items = json_array();
	while ((rc = db_step(q->st)) == 1) {
		if (n == limit) {
			*next = last;
			break;
		}
		last = db_col_int(q->st, 0);
		json_array_append_new(*items, fn(q->st));
		n++;
	}
	db_done(q->st);
	if (rc < 0) {
		json_decref(*items);
		*items = NULL;
		*next = 0;
		return rc;
	}
	return 0;
}

static int filter_check(struct ctx *c, const struct assignment_filter *f)
{
	if (f->date)
		org_date_check(c, "date", f->date);
	return c->errs.n ? ZL_E_VALIDATION : 0;
}

static void bind_filters(struct list_q *q, const struct assignment_filter *f, int household)
{
	if (f->user_id)
		db_bind_int(q->st, q->bind++, f->user_id);
	if (household && f->household_id)
		db_bind_int(q->st, q->bind++, f->household_id);
	if (f->village_code)
		db_bind_text(q->st, q->bind++, f->village_code);
	if (f->date) {
		db_bind_text(q->st, q->bind++, f->date);
		db_bind_text(q->st, q->bind++, f->date);
	}
}

static void add_filters(struct buf *sql, const char *t, const struct assignment_filter *f, int household)
{
	if (f->user_id)
		buf_addf(sql, " AND %s.user_id = ?", t);
	if (household && f->household_id)
		buf_addf(sql, " AND %s.household_id = ?", t);
	if (f->village_code)
		buf_adds(sql, household ? " AND h.village_code = ?" : " AND sa.village_code = ?");
	if (f->current)
		buf_addf(sql, " AND %s.end_date IS NULL", t);
	if (f->date)
		buf_addf(sql, " AND %s.start_date <= ? AND (%s.end_date IS NULL OR %s.end_date > ?)", t, t, t);
}

int station_list(struct ctx *c, const struct page *p, const struct assignment_filter *f,
		 json_t **items, int64_t *next)
{
	struct list_q q = { BUF_INIT, NULL, 1 };
	int rc;
	*items = NULL;
	*next = 0;
	if ((rc = filter_check(c, f)))
		return rc;
	buf_adds(&q.sql, "SELECT " STATION_COLS STATION_FROM " WHERE sa.id > ? AND +z.path LIKE ?");
	add_filters(&q.sql, "sa", f, 0);
	buf_adds(&q.sql, " ORDER BY sa.id LIMIT ?");
	rc = db_prepare(c->db, q.sql.data, &q.st);
	buf_release(&q.sql);
	if (rc < 0)
		return rc;
	db_bind_int(q.st, q.bind++, p ? p->after : 0);
	db_bind_text(q.st, q.bind++, c->actor.scope_like);
	bind_filters(&q, f, 0);
	return list_run(c, &q, p, station_json, items, next);
}

int household_assignment_list(struct ctx *c, const struct page *p, const struct assignment_filter *f,
			      json_t **items, int64_t *next)
{
	struct list_q q = { BUF_INIT, NULL, 1 };
	int rc;
	*items = NULL;
	*next = 0;
	if ((rc = filter_check(c, f)))
		return rc;
	buf_adds(&q.sql, "SELECT " HA_COLS HA_FROM " WHERE ha.id > ? AND" HH_VISIBLE);
	add_filters(&q.sql, "ha", f, 1);
	buf_adds(&q.sql, " ORDER BY ha.id LIMIT ?");
	rc = db_prepare(c->db, q.sql.data, &q.st);
	buf_release(&q.sql);
	if (rc < 0)
		return rc;
	db_bind_int(q.st, q.bind++, p ? p->after : 0);
	db_bind_text(q.st, q.bind++, c->actor.scope_like);
	db_bind_int(q.st, q.bind++, c->actor.user_id);
	bind_filters(&q, f, 1);
	return list_run(c, &q, p, ha_json, items, next);
}

/* One row by id through the list query (so visibility is the list's). */
static int one_row(struct ctx *c, int household, int64_t id, json_t **out)
{
	struct db_stmt *st = NULL;
	int rc = db_prepare(c->db,
			    household ? "SELECT " HA_COLS HA_FROM " WHERE ha.id = ? AND" HH_VISIBLE
				      : "SELECT " STATION_COLS STATION_FROM " WHERE sa.id = ? AND +z.path LIKE ?",
			    &st);
	*out = NULL;
	if (rc < 0)
		return rc;
	db_bind_int(st, 1, id);
	db_bind_text(st, 2, c->actor.scope_like);
	if (household)
		db_bind_int(st, 3, c->actor.user_id);
	rc = db_step(st);
	if (rc == 1) {
		*out = household ? ha_json(st) : station_json(st);
		rc = 0;
	} else if (rc == 0) {
		rc = ZL_E_NOT_FOUND;
	}
	db_done(st);
	return rc;
}

static int audit_row(struct ctx *c, const char *action, const char *entity, int64_t id,
		     const json_t *before, const json_t *after)
{
	char ids[24];
	id_text(id, ids);
	return audit_log(c, action, entity, ids, before, after);
}

/* ---- stationing ---- */

int station_assign(struct ctx *c, int64_t user_id, const char *village_code, const char *start_date,
		   int64_t handover_id, json_t **out)
{
	struct org_user u;
	struct db_stmt *st = NULL;
	char start[ORG_DATE_MAX], now[ZL_TIME_MAX], vname[260], zh[400], en[400];
	json_t *row = NULL;
	int64_t one, id;
	int rc;

	if (out)
		*out = NULL;
	if ((rc = date_or_today(c, "start_date", start_date, start)))
		return rc;
	rc = village_check(c, village_code, vname, sizeof(vname));
	if (rc)
		return rc;
	rc = cadre_check(c, "user_id", user_id, village_code, &u);
	if (rc)
		return rc;
	rc = db_get_int(c->db, &one,
			"SELECT 1 FROM station_assignment WHERE user_id = ? AND village_code = ? AND end_date IS NULL",
			"it", user_id, village_code);
	if (rc == 1)
		return ZL_E_ASSIGN_EXISTS;
	if (rc == 0)
		rc = db_get_int(c->db, &one,
				"SELECT 1 FROM station_assignment WHERE user_id = ? AND village_code = ? AND end_date > ?",
				"itt", user_id, village_code, start);
	if (rc == 1) {
		verr_add(&c->errs, "start_date", "与此人在该村以前的驻点时段重叠",
			 "'start_date' overlaps an earlier stationing of this cadre at this village");
		return ZL_E_ASSIGN_DATES;
	}
	if (rc < 0)
		return rc;
	time_format_utc(clock_now(), now);
	rc = db_prepare(c->db,
			"INSERT INTO station_assignment(user_id, village_code, start_date, handover_id, created_at)"
			" VALUES (?, ?, ?, ?, ?)",
			&st);
	if (rc < 0)
		return rc;
	db_bindv(st, "itt", user_id, village_code, start);
	if (handover_id > 0)
		db_bind_int(st, 4, handover_id);
	else
		db_bind_null(st, 4);
	db_bind_text(st, 5, now);
	rc = db_step(st);
	db_done(st);
	if (rc < 0)
		return rc == ZL_E_CONFLICT ? ZL_E_ASSIGN_EXISTS : rc;
	id = db_last_id(c->db);
	rc = one_row(c, 0, id, &row);
	if (!rc)
		rc = audit_row(c, "station.create", "station_assignment", id, NULL, row);
	if (!rc && !handover_id) {
		char ids[24];
		id_text(id, ids);
		snprintf(zh, sizeof(zh), "您已被安排驻点%s，自 %s 起", vname, start);
		snprintf(en, sizeof(en), "you are stationed at %s from %s", vname, start);
		rc = notify_user(c, user_id, "assignment.station", zh, en, "station_assignment", ids);
	}
	if (!rc && out)
		*out = row;
	else
		json_decref(row);
	return rc;
}

int station_end(struct ctx *c, int64_t id, const char *end_date, json_t **out)
{
	json_t *before = NULL;
	char end[ORG_DATE_MAX];
	const char *start;
	int rc;

	*out = NULL;
	rc = one_row(c, 0, id, &before);
	if (rc)
		return rc;
	if (!json_is_null(json_object_get(before, "end_date")) && json_object_get(before, "end_date")) {
		rc = ZL_E_ASSIGN_ENDED;
		goto out;
	}
	if ((rc = date_or_today(c, "end_date", end_date, end)))
		goto out;
	start = json_string_value(json_object_get(before, "start_date"));
	if (strcmp(end, start) <= 0) {
		verr_add(&c->errs, "end_date", "结束日期须晚于开始日期", "'end_date' must be after 'start_date'");
		rc = ZL_E_ASSIGN_DATES;
		goto out;
	}
	rc = db_run(c->db, "UPDATE station_assignment SET end_date = ? WHERE id = ?", "ti", end, id);
	if (!rc)
		rc = one_row(c, 0, id, out);
	if (!rc)
		rc = audit_row(c, "station.end", "station_assignment", id, before, *out);
out:
	json_decref(before);
	return rc;
}

/* ---- household responsibility ---- */

int household_assign(struct ctx *c, int64_t household_id, int64_t user_id, const char *start_date,
		     int64_t handover_id, json_t **out)
{
	struct org_user u;
	struct db_stmt *st = NULL;
	char start[ORG_DATE_MAX], region[ZL_CODE_MAX], now[ZL_TIME_MAX], cur_start[ORG_DATE_MAX] = "";
	int64_t cur_id = 0, cur_user = 0, one, id;
	json_t *row = NULL, *after;
	int retired, rc;

	if (out)
		*out = NULL;
	if ((rc = date_or_today(c, "start_date", start_date, start)))
		return rc;
	rc = household_check(c, household_id, region, &retired);
	if (rc == ZL_E_NOT_FOUND || (rc == 0 && retired)) {
		verr_add(&c->errs, "household_id", "农户不存在、已注销或不在您的管辖范围内",
			 "'household_id' is not an active household within your scope");
		return ZL_E_VALIDATION;
	}
	if (rc)
		return rc;
	rc = cadre_check(c, "user_id", user_id, region, &u);
	if (rc)
		return rc;

	rc = db_prepare(c->db,
			"SELECT id, user_id, start_date FROM household_assignment WHERE household_id = ?"
			" AND end_date IS NULL",
			&st);
	if (rc < 0)
		return rc;
	db_bind_int(st, 1, household_id);
	rc = db_step(st);
	if (rc == 1) {
		cur_id = db_col_int(st, 0);
		cur_user = db_col_int(st, 1);
		snprintf(cur_start, sizeof(cur_start), "%s", db_col_text(st, 2));
	}
	db_done(st);
	if (rc < 0)
		return rc;
	if (cur_id && cur_user == user_id)
		return ZL_E_ASSIGN_EXISTS;
	if (cur_id && strcmp(cur_start, start) > 0) {
		verr_add(&c->errs, "start_date", "开始日期早于现任联系干部的开始日期",
			 "'start_date' is before the current cadre's start");
		return ZL_E_ASSIGN_DATES;
	}
	/* history never overlaps: nothing ended may reach past the new start */
	rc = db_get_int(c->db, &one,
			"SELECT 1 FROM household_assignment WHERE household_id = ? AND end_date > ?", "it",
			household_id, start);
	if (rc == 1) {
		verr_add(&c->errs, "start_date", "与该户以前的联系干部时段重叠",
			 "'start_date' overlaps the household's earlier assignments");
		return ZL_E_ASSIGN_DATES;
	}
	if (rc < 0)
		return rc;
	if (cur_id) {
		rc = db_run(c->db, "UPDATE household_assignment SET end_date = ? WHERE id = ?", "ti", start, cur_id);
		if (rc)
			return rc;
	}
	time_format_utc(clock_now(), now);
	rc = db_prepare(c->db,
			"INSERT INTO household_assignment(household_id, user_id, start_date, handover_id,"
			" created_at) VALUES (?, ?, ?, ?, ?)",
			&st);
	if (rc < 0)
		return rc;
	db_bindv(st, "iit", household_id, user_id, start);
	if (handover_id > 0)
		db_bind_int(st, 4, handover_id);
	else
		db_bind_null(st, 4);
	db_bind_text(st, 5, now);
	rc = db_step(st);
	db_done(st);
	if (rc < 0)
		return rc == ZL_E_CONFLICT ? ZL_E_ASSIGN_EXISTS : rc;
	id = db_last_id(c->db);
	rc = one_row(c, 1, id, &row);
	if (rc)
		return rc;
	after = json_pack("{s:I,s:I,s:s,s:I}", "household_id", (json_int_t)household_id, "user_id",
			  (json_int_t)user_id, "start_date", start, "ended_assignment_id", (json_int_t)cur_id);
	rc = audit_row(c, "household_assignment.create", "household_assignment", id, NULL, after);
	json_decref(after);
	if (!rc && out)
		*out = row;
	else
		json_decref(row);
	return rc;
}

int assignment_responsible(struct ctx *c, int64_t household_id, const char *date, json_t **out)
{
	struct db_stmt *st = NULL;
	char day[ORG_DATE_MAX], region[ZL_CODE_MAX];
	int retired, rc;

	*out = NULL;
	if ((rc = date_or_today(c, "date", date, day)))
		return rc;
	rc = household_check(c, household_id, region, &retired);
	if (rc)
		return rc;
	rc = db_prepare(c->db,
			"SELECT ha.id, ha.user_id, u.display_name, ha.start_date, ha.end_date, ha.handover_id"
			" FROM household_assignment ha JOIN app_user u ON u.id = ha.user_id"
			" WHERE ha.household_id = ? AND ha.start_date <= ? AND (ha.end_date IS NULL OR ha.end_date > ?)"
			" ORDER BY ha.start_date DESC LIMIT 1",
			&st);
	if (rc < 0)
		return rc;
	db_bindv(st, "itt", household_id, day, day);
	rc = db_step(st);
	if (rc == 1)
		*out = json_pack("{s:I,s:s,s:I,s:I,s:s,s:s,s:s?,s:o}", "household_id", (json_int_t)household_id,
				 "date", day, "assignment_id", (json_int_t)db_col_int(st, 0), "user_id",
				 (json_int_t)db_col_int(st, 1), "user_name", db_col_text(st, 2), "start_date",
				 db_col_text(st, 3), "end_date", db_col_text(st, 4), "handover_id",
				 opt_id_json(st, 5));
	else if (rc == 0)
		*out = json_pack("{s:I,s:s,s:n,s:n,s:n,s:n,s:n,s:n}", "household_id", (json_int_t)household_id,
				 "date", day, "assignment_id", "user_id", "user_name", "start_date", "end_date",
				 "handover_id");
	db_done(st);
	return rc < 0 ? rc : 0;
}

/* All rows of a query with one int and the actor's visibility binds. */
static int rows_of(struct ctx *c, const char *sql, int household, int64_t user_id, json_t **items)
{
	struct db_stmt *st = NULL;
	int rc = db_prepare(c->db, sql, &st);
	*items = NULL;
	if (rc < 0)
		return rc;
	db_bind_int(st, 1, user_id);
	db_bind_text(st, 2, c->actor.scope_like);
	if (household)
		db_bind_int(st, 3, c->actor.user_id);
	*items = json_array();
	while ((rc = db_step(st)) == 1)
		json_array_append_new(*items, household ? ha_json(st) : station_json(st));
	db_done(st);
	if (rc < 0) {
		json_decref(*items);
		*items = NULL;
		return rc;
	}
	return 0;
}

int user_assignments(struct ctx *c, int64_t user_id, json_t **out)
{
	struct org_user u;
	json_t *stations = NULL, *households = NULL;
	int rc = org_user_load(c, user_id, &u);
	*out = NULL;
	if (!rc)
		rc = rows_of(c,
			     "SELECT " STATION_COLS STATION_FROM " WHERE sa.user_id = ? AND +z.path LIKE ?"
			     " ORDER BY sa.end_date IS NOT NULL, sa.start_date DESC, sa.id DESC",
			     0, user_id, &stations);
	if (!rc)
		rc = rows_of(c,
			     "SELECT " HA_COLS HA_FROM " WHERE ha.user_id = ? AND" HH_VISIBLE
			     " ORDER BY ha.end_date IS NOT NULL, ha.start_date DESC, ha.id DESC",
			     1, user_id, &households);
	if (rc) {
		json_decref(stations);
		return rc;
	}
	*out = json_pack("{s:{s:I,s:s,s:s,s:s},s:o,s:o}", "user", "id", (json_int_t)u.id, "display_name",
			 u.display_name, "role", role_name(u.role), "scope_code", u.scope_code, "stations",
			 stations, "households", households);
	return 0;
}

/* ---- handover ---- */

static const struct handover_mover *movers[MOVERS_MAX];
static size_t nmovers;

void handover_register(const struct handover_mover *m)
{
	if (!m || !m->move)
		return;
	for (size_t i = 0; i < nmovers; i++)
		if (movers[i] == m)
			return;
	if (nmovers == MOVERS_MAX) {
		fprintf(stderr, "zhilian: too many handover movers, cannot register \"%s\"\n", m->name);
		abort();
	}
	movers[nmovers++] = m;
}

/* A current row to move. */
struct move_item {
	int64_t id;           /* the assignment row */
	int64_t household_id; /* households only */
	char region[ZL_CODE_MAX]; /* the village, or the household's region */
	char start[ORG_DATE_MAX];
};

struct move_list {
	struct move_item *v;
	size_t n, alloc;
};

static void move_list_release(struct move_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int move_list_has(const struct move_list *l, int64_t id)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].id == id)
			return 1;
	return 0;
}

/* Appends the rows of a query (id, household id or 0, region, start) that
 * are not yet in l; returns the number of rows the query gave. */
static int collect(struct ctx *c, struct move_list *l, const char *sql, const char *types, ...)
{
	struct db_stmt *st = NULL;
	va_list ap;
	int rc, n = 0;
	rc = db_prepare(c->db, sql, &st);
	if (rc < 0)
		return rc;
	/* every query here binds (user id, scope like[, one value]) */
	va_start(ap, types);
	db_bind_int(st, 1, va_arg(ap, int64_t));
	db_bind_text(st, 2, va_arg(ap, const char *));
	if (types[2] == 'i')
		db_bind_int(st, 3, va_arg(ap, int64_t));
	else if (types[2] == 't')
		db_bind_text(st, 3, va_arg(ap, const char *));
	va_end(ap);
	while ((rc = db_step(st)) == 1) {
		n++;
		if (move_list_has(l, db_col_int(st, 0)))
			continue;
		if (l->n == l->alloc) {
			l->alloc = l->alloc ? 2 * l->alloc : 16;
			l->v = xrealloc(l->v, l->alloc * sizeof(*l->v));
		}
		struct move_item *it = &l->v[l->n++];
		it->id = db_col_int(st, 0);
		it->household_id = db_col_int(st, 1);
		snprintf(it->region, sizeof(it->region), "%s", db_col_text(st, 2));
		snprintf(it->start, sizeof(it->start), "%s", db_col_text(st, 3));
	}
	db_done(st);
	return rc < 0 ? rc : n;
}

#define SEL_STATIONS \
	"SELECT sa.id, 0, sa.village_code, sa.start_date FROM station_assignment sa JOIN region z" \
	" ON z.code = sa.village_code WHERE sa.user_id = ? AND sa.end_date IS NULL AND +z.path LIKE ?"
#define SEL_HOUSEHOLDS \
	"SELECT ha.id, ha.household_id, h.region_code, ha.start_date FROM household_assignment ha" \
	" JOIN household h ON h.id = ha.household_id JOIN region z ON z.code = h.region_code" \
	" WHERE ha.user_id = ? AND ha.end_date IS NULL AND +z.path LIKE ?"

struct handover_in {
	int64_t from, to;
	char eff[ORG_DATE_MAX];
	const char *note;
	const json_t *households, *villages; /* arrays or NULL */
	struct org_user fu, tu;
};

static int handover_parse(struct ctx *c, const json_t *in, struct handover_in *h)
{
	json_t *f = json_object_get(in, "from_user_id"), *t = json_object_get(in, "to_user_id");
	const char *eff = NULL;
	size_t i;
	json_t *v;

	memset(h, 0, sizeof(*h));
	if (!json_is_integer(f) || json_integer_value(f) <= 0)
		verr_add(&c->errs, "from_user_id", "必须填写交出干部的用户编号", "'from_user_id' must be a user id");
	else
		h->from = json_integer_value(f);
	if (!json_is_integer(t) || json_integer_value(t) <= 0)
		verr_add(&c->errs, "to_user_id", "必须填写接手干部的用户编号", "'to_user_id' must be a user id");
	else
		h->to = json_integer_value(t);
	json_opt_string(c, in, "effective_date", &eff);
	json_opt_string(c, in, "note", &h->note);
	if (h->note && *h->note)
		org_text_check(c, "note", h->note, NOTE_MAX);
	date_or_today(c, "effective_date", eff, h->eff);
	h->households = json_object_get(in, "household_ids");
	if (json_is_null(h->households))
		h->households = NULL;
	h->villages = json_object_get(in, "village_codes");
	if (json_is_null(h->villages))
		h->villages = NULL;
	if (h->households && !json_is_array(h->households))
		verr_add(&c->errs, "household_ids", "应为农户编号的列表", "'household_ids' must be a list of ids");
	else
		json_array_foreach(h->households, i, v)
			if (!json_is_integer(v) || json_integer_value(v) <= 0) {
				verr_add(&c->errs, "household_ids", "应为农户编号的列表",
					 "'household_ids' must be a list of ids");
				break;
			}
	if (h->villages && !json_is_array(h->villages))
		verr_add(&c->errs, "village_codes", "应为村代码的列表", "'village_codes' must be a list of codes");
	else
		json_array_foreach(h->villages, i, v)
			if (!json_is_string(v)) {
				verr_add(&c->errs, "village_codes", "应为村代码的列表",
					 "'village_codes' must be a list of codes");
				break;
			}
	return c->errs.n ? ZL_E_VALIDATION : 0;
}

static void not_held(struct ctx *c, const char *field, const char *what)
{
	char zh[200], en[200];
	snprintf(zh, sizeof(zh), "%s 不是交出干部的现行职责（或不在您的管辖范围内）", what);
	snprintf(en, sizeof(en), "%s is not a current responsibility of the cadre handing over (within your scope)",
		 what);
	verr_add(&c->errs, field, zh, en);
}

/* What moves: the current stationing and household rows of the from-cadre
 * within the actor's scope, all or as listed. */
static int handover_collect(struct ctx *c, struct handover_in *h, struct move_list *st_l,
			    struct move_list *hh_l)
{
	size_t i;
	json_t *v;
	int rc;
	const char *like = c->actor.scope_like;

	if (!h->households && !h->villages) {
		rc = collect(c, st_l, SEL_STATIONS " ORDER BY sa.id", "it", h->from, like);
		if (rc >= 0)
			rc = collect(c, hh_l, SEL_HOUSEHOLDS " ORDER BY ha.household_id", "it", h->from, like);
		return rc < 0 ? rc : 0;
	}
	json_array_foreach(h->villages, i, v) {
		const char *code = json_string_value(v);
		rc = collect(c, st_l, SEL_STATIONS " AND sa.village_code = ?", "itt", h->from, like, code);
		if (rc == 0)
			not_held(c, "village_codes", code);
		if (rc >= 0)
			rc = collect(c, hh_l, SEL_HOUSEHOLDS " AND h.village_code = ? ORDER BY ha.household_id",
				     "itt", h->from, like, code);
		if (rc < 0)
			return rc;
	}
	json_array_foreach(h->households, i, v) {
		char what[40];
		rc = collect(c, hh_l, SEL_HOUSEHOLDS " AND ha.household_id = ?", "iti", h->from, like,
			     (int64_t)json_integer_value(v));
		if (rc < 0)
			return rc;
		snprintf(what, sizeof(what), "household %" JSON_INTEGER_FORMAT, json_integer_value(v));
		if (rc == 0)
			not_held(c, "household_ids", what);
	}
	return c->errs.n ? ZL_E_HANDOVER_NOT_HELD : 0;
}

/* Every item must fall within the to-cadre's scope and start no later than
 * the effective date (a stationing strictly before it). */
static int handover_check_items(struct ctx *c, struct handover_in *h, struct move_list *l, int household)
{
	char zh[240], en[240];
	int scope_bad = 0, date_bad = 0;
	for (size_t i = 0; i < l->n; i++) {
		struct move_item *it = &l->v[i];
		int rc = region_in_subtree(c->db, it->region, h->tu.scope_code);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			snprintf(zh, sizeof(zh), "%s %s 不在接手干部的管辖范围内", household ? "农户" : "村",
				 it->region);
			snprintf(en, sizeof(en), "%s in %s is outside the receiving cadre's scope",
				 household ? "a household" : "the village", it->region);
			verr_add(&c->errs, household ? "household_ids" : "village_codes", zh, en);
			scope_bad = 1;
		}
		if (household ? strcmp(it->start, h->eff) > 0 : strcmp(it->start, h->eff) >= 0) {
			snprintf(zh, sizeof(zh), "分工 %" PRId64 " 自 %s 起，交接日期须在其后", it->id, it->start);
			snprintf(en, sizeof(en), "assignment %" PRId64 " starts on %s; 'effective_date' must come after it",
				 it->id, it->start);
			verr_add(&c->errs, "effective_date", zh, en);
			date_bad = 1;
		}
	}
	return scope_bad ? ZL_E_ASSIGN_SCOPE : date_bad ? ZL_E_ASSIGN_DATES : 0;
}

/* Ends the listed rows on the effective date and starts the successor's. */
static int handover_move(struct ctx *c, struct handover_in *h, int64_t hid, struct move_list *st_l,
			 struct move_list *hh_l, json_t *summary)
{
	char now[ZL_TIME_MAX];
	json_t *moved = json_array(), *already = json_array(), *ids = json_array();
	int64_t one;
	int rc = 0;

	time_format_utc(clock_now(), now);
	for (size_t i = 0; i < st_l->n && !rc; i++) {
		struct move_item *it = &st_l->v[i];
		rc = db_run(c->db, "UPDATE station_assignment SET end_date = ? WHERE id = ?", "ti", h->eff, it->id);
		if (rc)
			break;
		rc = db_get_int(c->db, &one,
				"SELECT 1 FROM station_assignment WHERE user_id = ? AND village_code = ?"
				" AND end_date IS NULL",
				"it", h->to, it->region);
		if (rc == 1) {
			json_array_append_new(already, json_string(it->region));
			rc = 0;
			continue;
		}
		if (rc == 0)
			rc = db_run(c->db,
				    "INSERT INTO station_assignment(user_id, village_code, start_date, handover_id,"
				    " created_at) VALUES (?,?,?,?,?)",
				    "ittit", h->to, it->region, h->eff, hid, now);
		json_array_append_new(moved, json_string(it->region));
	}
	for (size_t i = 0; i < hh_l->n && !rc; i++) {
		struct move_item *it = &hh_l->v[i];
		rc = db_run(c->db, "UPDATE household_assignment SET end_date = ? WHERE id = ?", "ti", h->eff,
			    it->id);
		if (!rc)
			rc = db_run(c->db,
				    "INSERT INTO household_assignment(household_id, user_id, start_date,"
				    " handover_id, created_at) VALUES (?,?,?,?,?)",
				    "iitit", it->household_id, h->to, h->eff, hid, now);
		json_array_append_new(ids, json_integer(it->household_id));
	}
	json_object_set_new(summary, "stations",
			    json_pack("{s:I,s:o,s:o}", "count", (json_int_t)st_l->n, "villages", moved,
				      "already_stationed", already));
	json_object_set_new(summary, "households",
			    json_pack("{s:I,s:o}", "count", (json_int_t)hh_l->n, "ids", ids));
	return rc;
}

static int handover_notify(struct ctx *c, struct handover_in *h, int64_t hid, size_t nst, size_t nhh)
{
	char zh[400], en[400], ids[24];
	int rc;
	id_text(hid, ids);
	snprintf(zh, sizeof(zh), "您的 %zu 个驻点村和 %zu 户联系户已于 %s 交接给%s", nst, nhh, h->eff,
		 h->tu.display_name);
	snprintf(en, sizeof(en), "%zu station(s) and %zu household(s) of yours were handed over to %s as of %s",
		 nst, nhh, h->tu.display_name, h->eff);
	rc = notify_user(c, h->from, "handover.out", zh, en, "handover", ids);
	if (rc)
		return rc;
	snprintf(zh, sizeof(zh), "%s 的 %zu 个驻点村和 %zu 户联系户已于 %s 交接给您", h->fu.display_name, nst,
		 nhh, h->eff);
	snprintf(en, sizeof(en), "%s handed over %zu station(s) and %zu household(s) to you as of %s",
		 h->fu.display_name, nst, nhh, h->eff);
	return notify_user(c, h->to, "handover.in", zh, en, "handover", ids);
}

int handover_run(struct ctx *c, const json_t *in, json_t **out)
{
	struct handover_in h;
	struct move_list st_l = { 0 }, hh_l = { 0 };
	struct handover view;
	json_t *summary = NULL, *after = NULL;
	const char **vcodes = NULL;
	int64_t *hids = NULL, hid;
	char now[ZL_TIME_MAX], *text = NULL;
	int rc;

	*out = NULL;
	rc = handover_parse(c, in, &h);
	if (rc)
		return rc;
	if (h.from == h.to)
		return ZL_E_HANDOVER_SAME;
	rc = org_user_load(c, h.from, &h.fu);
	if (rc == ZL_E_NOT_FOUND)
		verr_add(&c->errs, "from_user_id", "交出干部不存在或不在您的管辖范围内",
			 "'from_user_id' does not exist or is outside your scope");
	else if (rc)
		return rc;
	rc = cadre_check(c, "to_user_id", h.to, NULL, &h.tu);
	if (rc && rc != ZL_E_VALIDATION)
		return rc;
	if (c->errs.n)
		return ZL_E_VALIDATION;

	rc = handover_collect(c, &h, &st_l, &hh_l);
	if (!rc)
		rc = handover_check_items(c, &h, &st_l, 0);
	if (!rc)
		rc = handover_check_items(c, &h, &hh_l, 1);
	if (rc)
		goto out;

	time_format_utc(clock_now(), now);
	rc = db_run(c->db,
		    "INSERT INTO handover(from_user_id, to_user_id, effective_date, whole_scope, note,"
		    " summary_json, created_by, created_at) VALUES (?,?,?,?,NULLIF(?, ''),'{}',NULLIF(?, 0),?)",
		    "iititit", h.from, h.to, h.eff, (int64_t)(!h.households && !h.villages),
		    h.note ? h.note : "", c->actor.user_id, now);
	if (rc)
		goto out;
	hid = db_last_id(c->db);
	summary = json_pack("{s:s,s:b}", "effective_date", h.eff, "whole_scope", !h.households && !h.villages);
	rc = handover_move(c, &h, hid, &st_l, &hh_l, summary);
	if (rc)
		goto out;

	/* what the movers of later modules see */
	memset(&view, 0, sizeof(view));
	view.id = hid;
	view.from_user_id = h.from;
	view.to_user_id = h.to;
	snprintf(view.effective_date, sizeof(view.effective_date), "%s", h.eff);
	view.whole_scope = !h.households && !h.villages;
	hids = xmalloc((hh_l.n + 1) * sizeof(*hids));
	for (size_t i = 0; i < hh_l.n; i++)
		hids[i] = hh_l.v[i].household_id;
	view.household_ids = hids;
	view.nhouseholds = hh_l.n;
	vcodes = xmalloc((st_l.n + 1) * sizeof(*vcodes));
	for (size_t i = 0; i < st_l.n; i++)
		vcodes[i] = st_l.v[i].region;
	view.village_codes = vcodes;
	view.nvillages = st_l.n;
	for (size_t i = 0; i < nmovers && !rc; i++)
		rc = movers[i]->move(c, &view, summary);
	if (rc)
		goto out;

	text = json_dumps(summary, JSON_COMPACT | JSON_SORT_KEYS);
	rc = db_run(c->db, "UPDATE handover SET summary_json = ? WHERE id = ?", "ti", text, hid);
	if (!rc)
		rc = handover_notify(c, &h, hid, st_l.n, hh_l.n);
	if (!rc)
		rc = handover_get(c, hid, out);
	if (!rc) {
		after = json_deep_copy(*out);
		rc = audit_row(c, "handover.create", "handover", hid, NULL, after);
	}
out:
	if (rc) {
		json_decref(*out);
		*out = NULL;
	}
	json_decref(summary);
	json_decref(after);
	free(text);
	free(hids);
	free(vcodes);
	move_list_release(&st_l);
	move_list_release(&hh_l);
	return rc;
}

#define HANDOVER_COLS \
	"ho.id, ho.from_user_id, ho.to_user_id, ho.effective_date, ho.whole_scope, ho.note," \
	" ho.summary_json, ho.created_by, ho.created_at"
/* Visible when the actor is either cadre or either cadre is in scope.
 * Binds: user id, user id, scope like. */
#define HANDOVER_VISIBLE \
	" (ho.from_user_id = ? OR ho.to_user_id = ? OR EXISTS (SELECT 1 FROM app_user x JOIN region zs" \
	" ON zs.code = x.scope_code WHERE x.id IN (ho.from_user_id, ho.to_user_id) AND +zs.path LIKE ?))"

static json_t *handover_json_c(struct ctx *c, struct db_stmt *st)
{
	json_t *summary = json_loads(db_col_text(st, 6), 0, NULL);
	return json_pack("{s:I,s:o,s:o,s:s,s:b,s:s?,s:o,s:o,s:o}", "id", (json_int_t)db_col_int(st, 0),
			 "from_user", org_user_brief(c, db_col_int(st, 1)), "to_user",
			 org_user_brief(c, db_col_int(st, 2)), "effective_date", db_col_text(st, 3),
			 "whole_scope", db_col_int(st, 4) != 0, "note", db_col_text(st, 5), "summary",
			 summary ? summary : json_object(), "created_by", opt_id_json(st, 7), "created_at",
			 org_time_json(db_col_text(st, 8)));
}

int handover_get(struct ctx *c, int64_t id, json_t **out)
{
	struct db_stmt *st = NULL;
	int rc = db_prepare(c->db, "SELECT " HANDOVER_COLS " FROM handover ho WHERE ho.id = ? AND" HANDOVER_VISIBLE,
			    &st);
	*out = NULL;
	if (rc < 0)
		return rc;
	db_bindv(st, "iiit", id, c->actor.user_id, c->actor.user_id, c->actor.scope_like);
	rc = db_step(st);
	if (rc == 1) {
		*out = handover_json_c(c, st);
		rc = 0;
	} else if (rc == 0) {
		rc = ZL_E_NOT_FOUND;
	}
	db_done(st);
	return rc;
}

int handover_list(struct ctx *c, const struct page *p, int64_t user_id, json_t **items, int64_t *next)
{
	struct db_stmt *st = NULL;
	int limit = p && p->limit > 0 ? p->limit : 50, n = 0, rc;
	int64_t after = p ? p->after : 0, last = 0;

	*items = NULL;
	*next = 0;
	rc = db_prepare(c->db,
			"SELECT " HANDOVER_COLS " FROM handover ho WHERE (? = 0 OR ho.id < ?)"
			" AND (? = 0 OR ho.from_user_id = ? OR ho.to_user_id = ?) AND" HANDOVER_VISIBLE
			" ORDER BY ho.id DESC LIMIT ?",
			&st);
	if (rc < 0)
		return rc;
	db_bindv(st, "iiiiiiiti", after, after, user_id, user_id, user_id, c->actor.user_id, c->actor.user_id,
		 c->actor.scope_like, (int64_t)limit + 1);
	*items = json_array();
	while ((rc = db_step(st)) == 1) {
		if (n == limit) {
			*next = last;
			break;
		}
		last = db_col_int(st, 0);
		json_array_append_new(*items, handover_json_c(c, st));
		n++;
	}
	db_done(st);
	if (rc < 0) {
		json_decref(*items);
		*items = NULL;
		*next = 0;
		return rc;
	}
	return 0;
}

/* ---- routes ---- */

static int query_filter(struct req *r, struct assignment_filter *f)
{
	memset(f, 0, sizeof(*f));
	org_query_id(r, "user_id", &f->user_id);
	org_query_id(r, "household_id", &f->household_id);
	org_query_flag(r, "current", &f->current);
	f->village_code = req_query(r, "village_code");
	if (f->village_code && !*f->village_code)
		f->village_code = NULL;
	f->date = req_query(r, "date");
	if (f->date && !*f->date)
		f->date = NULL;
	return r->ctx.errs.n ? ZL_E_VALIDATION : 0;
}

/* The JSON body, or an empty object when the request has none. */
static int body_or_empty(struct req *r, json_t **in)
{
	if (r->body_len == 0 && !r->json)
		r->json = json_object(); /* freed with the request, as a parsed body is */
	if (r->body_len == 0) {
		*in = r->json;
		return 0;
	}
	return req_json(r, in);
}

/* A required positive integer field of the body. */
static int body_id(struct req *r, const json_t *in, const char *field, int64_t *v)
{
	int rc = org_opt_id(&r->ctx, in, field, v);
	if (rc == 0)
		verr_required(&r->ctx, field);
	return rc == 1 ? 0 : ZL_E_VALIDATION;
}

typedef int (*list_fn)(struct ctx *, const struct page *, const struct assignment_filter *, json_t **,
		       int64_t *);

static int list_handler(struct req *r, struct resp *w, list_fn fn)
{
	struct page p;
	struct assignment_filter f;
	json_t *items = NULL;
	int64_t next = 0;
	int rc = req_page(r, &p);
	if (!rc)
		rc = query_filter(r, &f);
	if (!rc)
		rc = fn(&r->ctx, &p, &f, &items, &next);
	if (rc < 0)
		return rc;
	resp_json(w, 200, page_result(items, next));
	return 0;
}

static int get_handler(struct req *r, struct resp *w, int household)
{
	json_t *out = NULL;
	int64_t id;
	int rc = req_param_id(r, "id", &id);
	if (!rc)
		rc = one_row(&r->ctx, household, id, &out);
	if (rc < 0)
		return rc;
	resp_json(w, 200, out);
	return 0;
}

static int h_station_list(struct req *r, struct resp *w)
{
	return list_handler(r, w, station_list);
}

static int h_station_get(struct req *r, struct resp *w)
{
	return get_handler(r, w, 0);
}

static int h_station_create(struct req *r, struct resp *w)
{
	json_t *in = NULL, *out = NULL;
	const char *village = NULL, *start = NULL;
	int64_t user_id = 0;
	int rc = req_json(r, &in);
	if (rc)
		return rc;
	body_id(r, in, "user_id", &user_id);
	json_opt_string(&r->ctx, in, "village_code", &village);
	json_opt_string(&r->ctx, in, "start_date", &start);
	if (!village && !json_object_get(in, "village_code"))
		verr_required(&r->ctx, "village_code");
	if (r->ctx.errs.n)
		return ZL_E_VALIDATION;
	rc = station_assign(&r->ctx, user_id, village, start, 0, &out);
	if (rc < 0)
		return rc;
	resp_created_id(w, out, "/api/v1/assignments/stations/");
	return 0;
}

static int h_station_end(struct req *r, struct resp *w)
{
	json_t *in = NULL, *out = NULL;
	const char *end = NULL;
	int64_t id;
	int rc = req_param_id(r, "id", &id);
	if (!rc)
		rc = body_or_empty(r, &in);
	if (!rc)
		rc = json_opt_string(&r->ctx, in, "end_date", &end);
	if (!rc)
		rc = station_end(&r->ctx, id, end, &out);
	if (rc < 0)
		return rc;
	resp_json(w, 200, out);
	return 0;
}

static int h_household_list(struct req *r, struct resp *w)
{
	return list_handler(r, w, household_assignment_list);
}

static int h_household_get(struct req *r, struct resp *w)
{
	return get_handler(r, w, 1);
}

static int h_household_create(struct req *r, struct resp *w)
{
	json_t *in = NULL, *out = NULL;
	const char *start = NULL;
	int64_t hh = 0, user_id = 0;
	int rc = req_json(r, &in);
	if (rc)
		return rc;
	body_id(r, in, "household_id", &hh);
	body_id(r, in, "user_id", &user_id);
	json_opt_string(&r->ctx, in, "start_date", &start);
	if (r->ctx.errs.n)
		return ZL_E_VALIDATION;
	rc = household_assign(&r->ctx, hh, user_id, start, 0, &out);
	if (rc < 0)
		return rc;
	resp_created_id(w, out, "/api/v1/assignments/households/");
	return 0;
}

static int h_responsible(struct req *r, struct resp *w)
{
	json_t *out = NULL;
	int64_t hh = 0;
	int rc = org_query_id(r, "household_id", &hh);
	if (!rc && !hh) {
		verr_required(&r->ctx, "household_id");
		rc = ZL_E_VALIDATION;
	}
	if (!rc)
		rc = assignment_responsible(&r->ctx, hh, req_query(r, "date"), &out);
	if (rc < 0)
		return rc;
	resp_json(w, 200, out);
	return 0;
}

static int h_user_assignments(struct req *r, struct resp *w)
{
	json_t *out = NULL;
	int64_t id;
	int rc = req_param_id(r, "id", &id);
	if (!rc)
		rc = user_assignments(&r->ctx, id, &out);
	if (rc < 0)
		return rc;
	resp_json(w, 200, out);
	return 0;
}

static int h_handover(struct req *r, struct resp *w)
{
	json_t *in = NULL, *out = NULL;
	int rc = req_json(r, &in);
	if (!rc)
		rc = handover_run(&r->ctx, in, &out);
	if (rc < 0)
		return rc;
	resp_created_id(w, out, "/api/v1/handovers/");
	return 0;
}

static int h_handover_list(struct req *r, struct resp *w)
{
	struct page p;
	json_t *items = NULL;
	int64_t next = 0, user_id = 0;
	int rc = req_page(r, &p);
	if (!rc)
		rc = org_query_id(r, "user_id", &user_id);
	if (!rc)
		rc = handover_list(&r->ctx, &p, user_id, &items, &next);
	if (rc < 0)
		return rc;
	resp_json(w, 200, page_result(items, next));
	return 0;
}

static int h_handover_get(struct req *r, struct resp *w)
{
	json_t *out = NULL;
	int64_t id;
	int rc = req_param_id(r, "id", &id);
	if (!rc)
		rc = handover_get(&r->ctx, id, &out);
	if (rc < 0)
		return rc;
	resp_json(w, 200, out);
	return 0;
}

static const struct route routes[] = {
	{ "GET", "/api/v1/assignments/stations", h_station_list, "assignment.read", 0 },
	{ "POST", "/api/v1/assignments/stations", h_station_create, "assignment.write", 0 },
	{ "GET", "/api/v1/assignments/stations/{id}", h_station_get, "assignment.read", 0 },
	{ "POST", "/api/v1/assignments/stations/{id}/end", h_station_end, "assignment.write", 0 },
	{ "GET", "/api/v1/assignments/households", h_household_list, "assignment.read", 0 },
	{ "POST", "/api/v1/assignments/households", h_household_create, "assignment.write", 0 },
	{ "GET", "/api/v1/assignments/households/{id}", h_household_get, "assignment.read", 0 },
	{ "GET", "/api/v1/assignments/responsible", h_responsible, "assignment.read", 0 },
	{ "POST", "/api/v1/assignments/handover", h_handover, "assignment.write", 0 },
	{ "GET", "/api/v1/users/{id}/assignments", h_user_assignments, "assignment.read", 0 },
	{ "GET", "/api/v1/handovers", h_handover_list, "assignment.read", 0 },
	{ "GET", "/api/v1/handovers/{id}", h_handover_get, "assignment.read", 0 },
};

ROUTE_TABLE(assignment_routes, "assignments", routes);
