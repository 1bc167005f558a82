/*
 * departments.c: town offices, village committees, stations and other
 * departments, each bound to a region, with a head and members whose
 * memberships end but are never deleted; a department is retired, never
 * deleted. Scope follows the department's region.
 */
#include "org/org.h"

#include "platform/audit.h"
#include "platform/clock.h"
#include "platform/db.h"

#define DEPT_NAME_MAX 64
#define POSITION_MAX 64

static const char *const dept_kinds[] = { "town_office", "village_committee", "station", "other" };

struct dept_row {
	int64_t id, head_user_id;
	char name[4 * DEPT_NAME_MAX + 1];
	char kind[24];
	char region_code[ZL_CODE_MAX];
	char region_name[4 * 64 + 1];
	char phone[24];
	char retired_at[ZL_TIME_MAX];
	char created_at[ZL_TIME_MAX], updated_at[ZL_TIME_MAX];
};

#define DEPT_COLS \
	"d.id, d.name, d.kind, d.region_code, z.name, d.head_user_id, d.phone, d.retired_at," \
	" d.created_at, d.updated_at"

static void dept_read(struct db_stmt *st, struct dept_row *d)
{
	d->id = db_col_int(st, 0);
	org_col_copy(st, 1, d->name, sizeof(d->name));
	org_col_copy(st, 2, d->kind, sizeof(d->kind));
	org_col_copy(st, 3, d->region_code, sizeof(d->region_code));
	org_col_copy(st, 4, d->region_name, sizeof(d->region_name));
	d->head_user_id = db_col_int(st, 5);
	org_col_copy(st, 6, d->phone, sizeof(d->phone));
	org_col_copy(st, 7, d->retired_at, sizeof(d->retired_at));
	org_col_copy(st, 8, d->created_at, sizeof(d->created_at));
	org_col_copy(st, 9, d->updated_at, sizeof(d->updated_at));
}

static int dept_load(struct ctx *c, int64_t id, struct dept_row *d)
{
	struct db_stmt *st = NULL;
	int rc = db_prepare(c->db,
			    "SELECT " DEPT_COLS " FROM department d JOIN region z ON z.code = d.region_code"
			    " WHERE d.id = ? AND +z.path LIKE ?",
			    &st);
	if (rc < 0)
		return rc;
	db_bindv(st, "it", id, c->actor.scope_like);
	rc = db_step(st);
	if (rc == 1) {
		dept_read(st, d);
		rc = 0;
	} else if (rc == 0) {
		rc = ZL_E_NOT_FOUND;
	}
	db_done(st);
	return rc;
}

static json_t *dept_json(struct ctx *c, const struct dept_row *d, int64_t members)
{
	return json_pack("{s:I,s:s,s:s,s:s,s:s,s:o,s:s?,s:b,s:o,s:I,s:o,s:o}", "id", (json_int_t)d->id,
			 "name", d->name, "kind", d->kind, "region_code", d->region_code, "region_name",
			 d->region_name, "head", org_user_brief(c, d->head_user_id), "phone",
			 d->phone[0] ? d->phone : NULL, "retired", d->retired_at[0] != 0, "retired_at",
			 org_time_json(d->retired_at[0] ? d->retired_at : NULL), "member_count",
			 (json_int_t)members, "created_at", org_time_json(d->created_at), "updated_at",
			 org_time_json(d->updated_at));
}

/* The audit form: phones masked. */
static json_t *dept_audit(const struct dept_row *d)
{
	char masked[32];
	org_phone_mask(d->phone, masked, sizeof(masked));
	return json_pack("{s:I,s:s,s:s,s:s,s:I,s:s?,s:b}", "id", (json_int_t)d->id, "name", d->name, "kind",
			 d->kind, "region_code", d->region_code, "head_user_id", (json_int_t)d->head_user_id,
			 "phone", d->phone[0] ? masked : NULL, "retired", d->retired_at[0] != 0);
}

static int dept_audit_change(struct ctx *c, const char *action, const struct dept_row *before,
			     const struct dept_row *after)
{
	char id[24];
	json_t *b = before ? dept_audit(before) : NULL, *a = after ? dept_audit(after) : NULL;
	snprintf(id, sizeof(id), "%" PRId64, after ? after->id : before->id);
	int rc = audit_log(c, action, "department", id, b, a);
	json_decref(b);
	json_decref(a);
	return rc;
}

static int64_t member_count(struct ctx *c, int64_t id)
{
	int64_t n = 0;
	if (db_get_int(c->db, &n,
		       "SELECT COUNT(*) FROM department_member WHERE department_id = ? AND end_date IS NULL",
		       "i", id) != 1)
		n = 0;
	return n;
}

static int kind_ok(const char *k)
{
	return org_one_of(k, dept_kinds, ARRAY_SIZE(dept_kinds));
}

static void kind_error(struct ctx *c)
{
	verr_add(&c->errs, "kind", "类型应为 town_office（镇机关部门）、village_committee（村委会）、station（站所）或 other",
		 "'kind' must be town_office, village_committee, station or other");
}

/* An active user the actor can see, for head_user_id / user_id fields. */
static int check_user_field(struct ctx *c, const char *field, int64_t id, struct org_user *u)
{
	char zh[160], en[160];
	int rc = org_user_load(c, id, u);
	if (rc == 0 && !u->disabled)
		return 0;
	if (rc < 0 && rc != ZL_E_NOT_FOUND)
		return rc;
	snprintf(zh, sizeof(zh), "“%s”指定的用户不存在、已停用或不在您的管辖范围内", field);
	snprintf(en, sizeof(en), "'%s' is not an active user within your scope", field);
	verr_add(&c->errs, field, zh, en);
	return 0;
}

/* A region in scope and active, for region_code. */
static int check_region_field(struct ctx *c, const char *code)
{
	int64_t one;
	int rc = db_get_int(c->db, &one, "SELECT 1 FROM region WHERE code = ? AND +path LIKE ? AND retired_at IS NULL",
			    "tt", code ? code : "", c->actor.scope_like);
	if (rc < 0)
		return rc;
	if (rc == 0)
		verr_add(&c->errs, "region_code", "区域不存在、已停用或不在您的管辖范围内",
			 "'region_code' is not an active region within your scope");
	return 0;
}

static void bind_id(struct db_stmt *st, int i, int64_t id)
{
	if (id > 0)
		db_bind_int(st, i, id);
	else
		db_bind_null(st, i);
}

static int step_done(struct db_stmt *st)
{
	int rc = db_step(st);
	db_done(st);
	return rc < 0 ? rc : 0;
}

int department_create(struct ctx *c, const json_t *in, json_t **out)
{
	const char *name = NULL, *kind = NULL, *region = NULL, *phone = NULL;
	struct db_stmt *st = NULL;
	struct dept_row d;
	struct org_user u;
	char now[ZL_TIME_MAX], ph[24] = "";
	int64_t head = 0;
	int rc;

	if (out)
		*out = NULL;
	json_opt_string(c, in, "name", &name);
	json_opt_string(c, in, "kind", &kind);
	json_opt_string(c, in, "region_code", &region);
	json_opt_string(c, in, "phone", &phone);
	if (c->errs.n)
		return ZL_E_VALIDATION;
	org_text_check(c, "name", name, DEPT_NAME_MAX);
	if (!kind)
		verr_required(c, "kind");
	else if (!kind_ok(kind))
		kind_error(c);
	if (!region)
		verr_required(c, "region_code");
	else if ((rc = check_region_field(c, region)) < 0)
		return rc;
	if (org_opt_id(c, in, "head_user_id", &head) == 1 &&
	    (rc = check_user_field(c, "head_user_id", head, &u)) < 0)
		return rc;
	if (phone)
		org_phone_field(c, "phone", phone, ph);
	if (c->errs.n)
		return ZL_E_VALIDATION;
	time_format_utc(clock_now(), now);
	rc = db_prepare(c->db,
			"INSERT INTO department(name, kind, region_code, head_user_id, phone, created_at,"
			" updated_at) VALUES (?,?,?,?,?,?,?)",
			&st);
	if (rc < 0)
		return rc;
	db_bindv(st, "ttt", name, kind, region);
	bind_id(st, 4, head);
	db_bind_text(st, 5, ph[0] ? ph : NULL);
	db_bind_text(st, 6, now);
	db_bind_text(st, 7, now);
	rc = step_done(st);
	if (!rc)
		rc = dept_load(c, db_last_id(c->db), &d);
	if (!rc)
		rc = dept_audit_change(c, "department.create", NULL, &d);
	if (!rc && out)
		*out = dept_json(c, &d, 0);
	return rc;
}

/* ---- members ---- */

#define MEMBER_COLS \
	"m.id, m.department_id, m.user_id, u.display_name, m.position, m.start_date, m.end_date"

static json_t *member_json(struct db_stmt *st)
{
	return json_pack("{s:I,s:I,s:I,s:s,s:s?,s:s,s:s?,s:b}", "id", (json_int_t)db_col_int(st, 0),
			 "department_id", (json_int_t)db_col_int(st, 1), "user_id",
			 (json_int_t)db_col_int(st, 2), "display_name", db_col_text(st, 3), "position",
			 db_col_text(st, 4), "start_date", db_col_text(st, 5), "end_date", db_col_text(st, 6),
			 "current", db_col_isnull(st, 6));
}

static int members_query(struct ctx *c, int64_t dept, int64_t member, int all, json_t **items)
{
	struct db_stmt *st = NULL;
	int rc = db_prepare(c->db,
			    "SELECT " MEMBER_COLS " FROM department_member m JOIN app_user u ON u.id = m.user_id"
			    " WHERE m.department_id = ? AND (? = 0 OR m.id = ?) AND (? = 1 OR m.end_date IS NULL)"
			    " ORDER BY m.end_date IS NOT NULL, m.start_date, m.id",
			    &st);
	if (rc < 0)
		return rc;
	db_bindv(st, "iiii", dept, member, member, (int64_t)all);
	*items = json_array();
	while ((rc = db_step(st)) == 1)
		json_array_append_new(*items, member_json(st));
	db_done(st);
	if (rc < 0) {
		json_decref(*items);
		*items = NULL;
	}
	return rc < 0 ? rc : 0;
}

int department_get(struct ctx *c, int64_t id, int all_members, json_t **out)
{
	struct dept_row d;
	json_t *members = NULL;
	int rc = dept_load(c, id, &d);
	*out = NULL;
	if (!rc)
		rc = members_query(c, id, 0, all_members, &members);
	if (rc)
		return rc;
	*out = dept_json(c, &d, member_count(c, id));
	json_object_set_new(*out, "members", members);
	return 0;
}

int department_members(struct ctx *c, int64_t id, int all, json_t **items)
{
	struct dept_row d;
	int rc = dept_load(c, id, &d);
	*items = NULL;
	return rc ? rc : members_query(c, id, 0, all, items);
}

int department_list(struct ctx *c, const struct page *p, const char *region, const char *kind,
		    int include_retired, json_t **items, int64_t *next)
{
	struct buf sql = BUF_INIT;
	struct db_stmt *st = NULL;
	char *like = NULL;
	int limit = p && p->limit > 0 ? p->limit : 50, n = 0, bind = 1, rc;
	int64_t last = 0;

	*items = NULL;
	*next = 0;
	if (kind && *kind && !kind_ok(kind)) {
		kind_error(c);
		return ZL_E_VALIDATION;
	}
	if (region && *region) {
		rc = db_get_text(c->db, &like, "SELECT path || '%' FROM region WHERE code = ? AND +path LIKE ?",
				 "tt", region, c->actor.scope_like);
		if (rc <= 0)
			return rc < 0 ? rc : ZL_E_NOT_FOUND;
	}
	buf_adds(&sql, "SELECT " DEPT_COLS " FROM department d JOIN region z ON z.code = d.region_code"
		       " WHERE d.id > ? AND +z.path LIKE ?");
	if (like)
		buf_adds(&sql, " AND +z.path LIKE ?");
	if (kind && *kind)
		buf_adds(&sql, " AND d.kind = ?");
	if (!include_retired)
		buf_adds(&sql, " AND d.retired_at IS NULL");
	buf_adds(&sql, " ORDER BY d.id LIMIT ?");
	rc = db_prepare(c->db, sql.data, &st);
	buf_release(&sql);
	if (rc < 0)
		goto out;
	db_bind_int(st, bind++, p ? p->after : 0);
	db_bind_text(st, bind++, c->actor.scope_like);
	if (like)
		db_bind_text(st, bind++, like);
	if (kind && *kind)
		db_bind_text(st, bind++, kind);
	db_bind_int(st, bind++, (int64_t)limit + 1);
	*items = json_array();
	while ((rc = db_step(st)) == 1) {
		struct dept_row d;
		if (n == limit) {
			*next = last;
			break;
		}
		dept_read(st, &d);
		json_array_append_new(*items, dept_json(c, &d, member_count(c, d.id)));
		last = d.id;
		n++;
	}
	db_done(st);
	if (rc < 0) {
		json_decref(*items);
		*items = NULL;
		*next = 0;
	}
out:
	free(like);
	return rc < 0 ? rc : 0;
}

int department_update(struct ctx *c, int64_t id, const json_t *patch, json_t **out)
{
	struct dept_row d, v;
	struct db_stmt *st = NULL;
	struct org_user u;
	const char *name = NULL, *kind = NULL, *region = NULL, *phone = NULL;
	char now[ZL_TIME_MAX];
	int64_t head = 0;
	int rc;

	*out = NULL;
	rc = dept_load(c, id, &d);
	if (rc)
		return rc;
	if (d.retired_at[0])
		return ZL_E_DEPT_RETIRED;
	v = d;
	json_opt_string(c, patch, "name", &name);
	json_opt_string(c, patch, "kind", &kind);
	json_opt_string(c, patch, "region_code", &region);
	json_opt_string(c, patch, "phone", &phone);
	if (c->errs.n)
		return ZL_E_VALIDATION;
	if (name && org_text_check(c, "name", name, DEPT_NAME_MAX) == 0)
		snprintf(v.name, sizeof(v.name), "%s", name);
	if (kind && !kind_ok(kind))
		kind_error(c);
	else if (kind)
		snprintf(v.kind, sizeof(v.kind), "%s", kind);
	if (region) {
		rc = check_region_field(c, region);
		if (rc < 0)
			return rc;
		snprintf(v.region_code, sizeof(v.region_code), "%s", region);
	}
	if (json_object_get(patch, "head_user_id")) {
		rc = org_opt_id(c, patch, "head_user_id", &head);
		if (rc == 1 && (rc = check_user_field(c, "head_user_id", head, &u)) < 0)
			return rc;
		v.head_user_id = head;
	}
	if (phone)
		org_phone_field(c, "phone", phone, v.phone);
	else if (json_is_null(json_object_get(patch, "phone")))
		v.phone[0] = '\0';
	if (c->errs.n)
		return ZL_E_VALIDATION;
	if (strcmp(v.name, d.name) || strcmp(v.kind, d.kind) || strcmp(v.region_code, d.region_code) ||
	    v.head_user_id != d.head_user_id || strcmp(v.phone, d.phone)) {
		time_format_utc(clock_now(), now);
		rc = db_prepare(c->db,
				"UPDATE department SET name = ?, kind = ?, region_code = ?, head_user_id = ?,"
				" phone = ?, updated_at = ? WHERE id = ?",
				&st);
		if (rc < 0)
			return rc;
		db_bindv(st, "ttt", v.name, v.kind, v.region_code);
		bind_id(st, 4, v.head_user_id);
		db_bind_text(st, 5, v.phone[0] ? v.phone : NULL);
		db_bind_text(st, 6, now);
		db_bind_int(st, 7, id);
		rc = step_done(st);
		if (!rc)
			rc = dept_audit_change(c, "department.update", &d, &v);
		if (rc)
			return rc;
	}
	return department_get(c, id, 0, out);
}

int department_retire(struct ctx *c, int64_t id, json_t **out)
{
	struct dept_row d, v;
	char now[ZL_TIME_MAX], today[ORG_DATE_MAX];
	int rc;

	*out = NULL;
	rc = dept_load(c, id, &d);
	if (rc)
		return rc;
	if (!d.retired_at[0]) {
		time_format_utc(clock_now(), now);
		org_today(today);
		v = d;
		snprintf(v.retired_at, sizeof(v.retired_at), "%s", now);
		rc = db_run(c->db, "UPDATE department SET retired_at = ?, updated_at = ? WHERE id = ?", "tti",
			    now, now, id);
		if (!rc)
			rc = db_run(c->db,
				    "UPDATE department_member SET end_date = CASE WHEN start_date > ?"
				    " THEN start_date ELSE ? END WHERE department_id = ? AND end_date IS NULL",
				    "tti", today, today, id);
		if (!rc)
			rc = dept_audit_change(c, "department.retire", &d, &v);
		if (rc)
			return rc;
	}
	return department_get(c, id, 0, out);
}

static int member_audit(struct ctx *c, const char *action, int64_t member_id, json_t *before,
			json_t *after)
{
	char id[24];
	snprintf(id, sizeof(id), "%" PRId64, member_id);
	return audit_log(c, action, "department_member", id, before, after);
}

static int member_one(struct ctx *c, int64_t dept, int64_t member, json_t **out)
{
	json_t *items = NULL;
	int rc = members_query(c, dept, member, 1, &items);
	*out = NULL;
	return rc ? rc : org_first(items, out);
}

int department_member_add(struct ctx *c, int64_t id, const json_t *in, json_t **out)
{
	struct dept_row d;
	struct org_user u;
	const char *position = NULL, *start = NULL;
	char today[ORG_DATE_MAX];
	int64_t user_id = 0, one, mid;
	int rc;

	*out = NULL;
	rc = dept_load(c, id, &d);
	if (rc)
		return rc;
	if (d.retired_at[0])
		return ZL_E_DEPT_RETIRED;
	json_opt_string(c, in, "position", &position);
	json_opt_string(c, in, "start_date", &start);
	if (org_opt_id(c, in, "user_id", &user_id) == 0)
		verr_required(c, "user_id");
	else if (user_id > 0 && (rc = check_user_field(c, "user_id", user_id, &u)) < 0)
		return rc;
	if (position)
		org_text_check(c, "position", position, POSITION_MAX);
	if (start)
		org_date_check(c, "start_date", start);
	if (c->errs.n)
		return ZL_E_VALIDATION;
	org_today(today);
	rc = db_get_int(c->db, &one,
			"SELECT 1 FROM department_member WHERE department_id = ? AND user_id = ? AND end_date IS NULL",
			"ii", id, user_id);
	if (rc < 0)
		return rc;
	if (rc == 1)
		return ZL_E_MEMBER_EXISTS;
	rc = db_run(c->db,
		    "INSERT INTO department_member(department_id, user_id, position, start_date) VALUES (?,?,?,?)",
		    "iitt", id, user_id, position, start ? start : today);
	if (rc)
		return rc == ZL_E_CONFLICT ? ZL_E_MEMBER_EXISTS : rc;
	mid = db_last_id(c->db);
	rc = member_one(c, id, mid, out);
	if (!rc)
		rc = member_audit(c, "department.member.add", mid, NULL, *out);
	return rc;
}

int department_member_update(struct ctx *c, int64_t id, int64_t member_id, const json_t *patch,
			     json_t **out)
{
	struct dept_row d;
	json_t *before = NULL;
	const char *position = NULL, *end = NULL, *start, *old_end;
	int rc;

	*out = NULL;
	rc = dept_load(c, id, &d);
	if (!rc)
		rc = member_one(c, id, member_id, &before);
	if (rc)
		return rc;
	json_opt_string(c, patch, "position", &position);
	json_opt_string(c, patch, "end_date", &end);
	if (position)
		org_text_check(c, "position", position, POSITION_MAX);
	start = json_string_value(json_object_get(before, "start_date"));
	old_end = json_string_value(json_object_get(before, "end_date"));
	if (end && org_date_check(c, "end_date", end) == 0 && strcmp(end, start) < 0)
		verr_add(&c->errs, "end_date", "结束日期不能早于开始日期", "'end_date' must not be before 'start_date'");
	if (c->errs.n) {
		rc = ZL_E_VALIDATION;
		goto out;
	}
	if (end && old_end) {
		rc = ZL_E_MEMBER_ENDED;
		goto out;
	}
	rc = db_run(c->db,
		    "UPDATE department_member SET position = COALESCE(?, position),"
		    " end_date = COALESCE(?, end_date) WHERE id = ?",
		    "tti", position, end, member_id);
	if (!rc)
		rc = member_one(c, id, member_id, out);
	if (!rc && !json_equal(before, *out))
		rc = member_audit(c, end ? "department.member.end" : "department.member.update", member_id,
				  before, *out);
out:
	json_decref(before);
	return rc;
}

/* ---- routes ---- */

static int h_list(struct req *r, struct resp *w)
{
	struct page p;
	json_t *items = NULL;
	int64_t next = 0;
	int retired = 0, rc = req_page(r, &p);
	if (!rc)
		rc = org_query_flag(r, "include_retired", &retired);
	if (!rc)
		rc = department_list(&r->ctx, &p, req_query(r, "region"), req_query(r, "kind"), retired,
				     &items, &next);
	if (rc < 0)
		return rc;
	resp_json(w, 200, page_result(items, next));
	return 0;
}

static int h_create(struct req *r, struct resp *w)
{
	json_t *in = NULL, *out = NULL;
	int rc = req_json(r, &in);
	if (!rc)
		rc = department_create(&r->ctx, in, &out);
	if (rc < 0)
		return rc;
	resp_created_id(w, out, "/api/v1/departments/");
	return 0;
}

static int h_get(struct req *r, struct resp *w)
{
	json_t *out = NULL;
	int64_t id;
	int all = 0, rc = req_param_id(r, "id", &id);
	if (!rc)
		rc = org_query_flag(r, "all", &all);
	if (!rc)
		rc = department_get(&r->ctx, id, all, &out);
	if (rc < 0)
		return rc;
	resp_json(w, 200, out);
	return 0;
}

static int h_update(struct req *r, struct resp *w)
{
	json_t *in = NULL, *out = NULL;
	int64_t id;
	int rc = req_param_id(r, "id", &id);
	if (!rc)
		rc = req_json(r, &in);
	if (!rc)
		rc = department_update(&r->ctx, id, in, &out);
	if (rc < 0)
		return rc;
	resp_json(w, 200, out);
	return 0;
}

static int h_retire(struct req *r, struct resp *w)
{
	json_t *out = NULL;
	int64_t id;
	int rc = req_param_id(r, "id", &id);
	if (!rc)
		rc = department_retire(&r->ctx, id, &out);
	if (rc < 0)
		return rc;
	resp_json(w, 200, out);
	return 0;
}

static int h_members(struct req *r, struct resp *w)
{
	json_t *items = NULL;
	int64_t id;
	int all = 0, rc = req_param_id(r, "id", &id);
	if (!rc)
		rc = org_query_flag(r, "all", &all);
	if (!rc)
		rc = department_members(&r->ctx, id, all, &items);
	if (rc < 0)
		return rc;
	resp_json(w, 200, page_result(items, 0));
	return 0;
}

static int h_member_add(struct req *r, struct resp *w)
{
	json_t *in = NULL, *out = NULL;
	char loc[96];
	int64_t id;
	int rc = req_param_id(r, "id", &id);
	if (!rc)
		rc = req_json(r, &in);
	if (!rc)
		rc = department_member_add(&r->ctx, id, in, &out);
	if (rc < 0)
		return rc;
	snprintf(loc, sizeof(loc), "/api/v1/departments/%" PRId64 "/members/%" JSON_INTEGER_FORMAT, id,
		 json_integer_value(json_object_get(out, "id")));
	resp_created(w, out, loc);
	return 0;
}

static int h_member_update(struct req *r, struct resp *w)
{
	json_t *in = NULL, *out = NULL;
	int64_t id, mid;
	int rc = req_param_id(r, "id", &id);
	if (!rc)
		rc = req_param_id(r, "member_id", &mid);
	if (!rc)
		rc = req_json(r, &in);
	if (!rc)
		rc = department_member_update(&r->ctx, id, mid, in, &out);
	if (rc < 0)
		return rc;
	resp_json(w, 200, out);
	return 0;
}

static const struct route routes[] = {
	{ "GET", "/api/v1/departments", h_list, "department.read", 0 },
	{ "POST", "/api/v1/departments", h_create, "department.write", 0 },
	{ "GET", "/api/v1/departments/{id}", h_get, "department.read", 0 },
	{ "PATCH", "/api/v1/departments/{id}", h_update, "department.write", 0 },
	{ "POST", "/api/v1/departments/{id}/retire", h_retire, "department.write", 0 },
	{ "GET", "/api/v1/departments/{id}/members", h_members, "department.read", 0 },
	{ "POST", "/api/v1/departments/{id}/members", h_member_add, "department.write", 0 },
	{ "PATCH", "/api/v1/departments/{id}/members/{member_id}", h_member_update, "department.write", 0 },
};

ROUTE_TABLE(department_routes, "departments", routes);
