/*
 * categories.c: the editable tree of appeal categories, each with its
 * default department and its time limits per urgency (appeal_limit rows).
 * Categories are retired, never deleted: appeals refer to them.
 */
#include "appeals.h"

#include "org/org.h"
#include "platform/audit.h"
#include "platform/clock.h"

static const char *const urgencies[] = { "emergency", "urgent", "general", "complex" };

/* Beijing 12345's norm, used when no category up the tree has limits. */
static void default_limits(const char *urgency, struct appeal_limits *l)
{
	l->accept_amount = 2;
	l->accept_unit = SLA_WORKING_HOURS;
	if (!strcmp(urgency, "emergency"))
		l->resolve_amount = 2, l->resolve_unit = SLA_NATURAL_HOURS;
	else if (!strcmp(urgency, "urgent"))
		l->resolve_amount = 24, l->resolve_unit = SLA_NATURAL_HOURS;
	else if (!strcmp(urgency, "complex"))
		l->resolve_amount = 15, l->resolve_unit = SLA_WORKING_DAYS;
	else
		l->resolve_amount = 7, l->resolve_unit = SLA_WORKING_DAYS;
}

int category_limits(struct db *db, int64_t category_id, const char *urgency, struct appeal_limits *l)
{
	int64_t id = category_id;
	default_limits(urgency, l);
	for (int depth = 0; id && depth < 16; depth++) {
		struct db_stmt *st = NULL;
		int64_t parent = 0;
		int rc = db_prepare(db, "SELECT l.accept_amount, l.accept_unit, l.resolve_amount, l.resolve_unit, "
					"c.parent_id FROM appeal_category c LEFT JOIN appeal_limit l "
					"ON l.category_id = c.id AND l.urgency = ? WHERE c.id = ?", &st);
		if (rc)
			return rc;
		db_bindv(st, "ti", urgency, id);
		rc = db_step(st);
		if (rc == 1 && !db_col_isnull(st, 0)) {
			l->accept_amount = db_col_int(st, 0);
			l->accept_unit = sla_unit_parse(db_col_text(st, 1));
			l->resolve_amount = db_col_int(st, 2);
			l->resolve_unit = sla_unit_parse(db_col_text(st, 3));
			db_done(st);
			return 0;
		}
		if (rc == 1)
			parent = db_col_int(st, 4);
		db_done(st);
		if (rc < 0)
			return rc;
		id = parent;
	}
	return 0;
}

static json_t *limits_json(struct db *db, int64_t id)
{
	json_t *o = json_object();
	for (size_t i = 0; i < ARRAY_SIZE(urgencies); i++) {
		struct appeal_limits l;
		if (category_limits(db, id, urgencies[i], &l))
			continue;
		json_object_set_new(o, urgencies[i],
			json_pack("{s:{s:I,s:s},s:{s:I,s:s}}",
				  "accept", "amount", (json_int_t)l.accept_amount, "unit", sla_unit_name(l.accept_unit),
				  "resolve", "amount", (json_int_t)l.resolve_amount, "unit",
				  sla_unit_name(l.resolve_unit)));
	}
	return o;
}

#define CAT_COLS "id, parent_id, name, name_en, default_department_id, sort, retired_at, created_at, updated_at"

static json_t *row_json(struct db_stmt *st)
{
	int64_t id = db_col_int(st, 0);
	json_t *o = json_pack("{s:I,s:o,s:s,s:s?,s:o,s:I,s:b,s:o,s:o}",
		"id", (json_int_t)id,
		"parent_id", db_col_isnull(st, 1) ? json_null() : json_integer(db_col_int(st, 1)),
		"name", db_col_text(st, 2), "name_en", db_col_text(st, 3),
		"default_department_id", db_col_isnull(st, 4) ? json_null() : json_integer(db_col_int(st, 4)),
		"sort", (json_int_t)db_col_int(st, 5), "retired", !db_col_isnull(st, 6),
		"created_at", org_time_json(db_col_text(st, 7)), "updated_at", org_time_json(db_col_text(st, 8)));
	return o;
}

/* Rows of the query as category JSON with limits; *items is a new array. */
static int load_rows(struct db *db, const char *sql, const char *types, int64_t id, json_t **items)
{
	struct db_stmt *st = NULL;
	json_t *arr;
	size_t i;
	json_t *v;
	int rc = db_prepare(db, sql, &st);
	if (rc)
		return rc;
	if (*types)
		db_bindv(st, types, id);
	arr = json_array();
	while ((rc = db_step(st)) == 1)
		json_array_append_new(arr, row_json(st));
	db_done(st);
	if (rc < 0) {
		json_decref(arr);
		return rc;
	}
	json_array_foreach(arr, i, v)
		json_object_set_new(v, "limits", limits_json(db, json_integer_value(json_object_get(v, "id"))));
	*items = arr;
	return 0;
}

int category_list(struct ctx *c, int include_retired, json_t **out)
{
	json_t *items;
	int rc = load_rows(c->db, include_retired
		? "SELECT " CAT_COLS " FROM appeal_category ORDER BY COALESCE(parent_id, id), parent_id IS NOT NULL, sort, id"
		: "SELECT " CAT_COLS " FROM appeal_category WHERE retired_at IS NULL "
		  "ORDER BY COALESCE(parent_id, id), parent_id IS NOT NULL, sort, id", "", 0, &items);
	if (rc)
		return rc;
	*out = page_result(items, 0);
	return 0;
}

int category_get(struct ctx *c, int64_t id, json_t **out)
{
	json_t *items;
	int rc = load_rows(c->db, "SELECT " CAT_COLS " FROM appeal_category WHERE id = ?", "i", id, &items);
	if (rc)
		return rc;
	return org_first(items, out);
}

/* Validates and writes the limits object for the urgencies it names. */
static int limits_apply(struct ctx *c, int64_t id, const json_t *limits)
{
	const char *urg;
	json_t *v;
	if (!limits)
		return 0;
	if (!json_is_object(limits)) {
		verr_add(&c->errs, "limits", "时限应为对象", "'limits' must be an object");
		return ZL_E_VALIDATION;
	}
	json_object_foreach((json_t *)limits, urg, v) {
		struct appeal_limits l;
		const char *which[2] = { "accept", "resolve" };
		int64_t amount[2];
		int unit[2];
		char field[64];
		if (!org_one_of(urg, urgencies, ARRAY_SIZE(urgencies))) {
			snprintf(field, sizeof(field), "limits.%s", urg);
			verr_add(&c->errs, field, "紧急程度应为 emergency、urgent、general 或 complex",
				 "the urgency must be emergency, urgent, general or complex");
			continue;
		}
		category_limits(c->db, id, urg, &l);
		amount[0] = l.accept_amount, unit[0] = l.accept_unit;
		amount[1] = l.resolve_amount, unit[1] = l.resolve_unit;
		for (int k = 0; k < 2; k++) {
			json_t *o = json_object_get(v, which[k]);
			json_t *a = json_object_get(o, "amount");
			int u = sla_unit_parse(json_string_value(json_object_get(o, "unit")));
			if (!o)
				continue;
			snprintf(field, sizeof(field), "limits.%s.%s", urg, which[k]);
			if (!json_is_integer(a) || json_integer_value(a) < 1 || json_integer_value(a) > 10000 || u < 0) {
				verr_add(&c->errs, field, "时限应为 {amount: 1-10000, unit: working_hours|working_days|natural_hours|natural_days}",
					 "the limit must be {amount: 1-10000, unit: working_hours, working_days, natural_hours or natural_days}");
				continue;
			}
			amount[k] = json_integer_value(a);
			unit[k] = u;
		}
		if (c->errs.n)
			continue;
		if (db_run(c->db, "INSERT INTO appeal_limit(category_id, urgency, accept_amount, accept_unit, "
				  "resolve_amount, resolve_unit) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(category_id, urgency) "
				  "DO UPDATE SET accept_amount = excluded.accept_amount, accept_unit = excluded.accept_unit, "
				  "resolve_amount = excluded.resolve_amount, resolve_unit = excluded.resolve_unit",
			   "ititit", id, urg, amount[0], sla_unit_name(unit[0]), amount[1], sla_unit_name(unit[1])))
			return ZL_E_DB;
	}
	return c->errs.n ? ZL_E_VALIDATION : 0;
}

/* Checks parent (active, not the category itself or below it) and department. */
static int refs_check(struct ctx *c, int64_t self, int64_t parent, int64_t dept)
{
	int64_t v = 0;
	if (parent) {
		int64_t p = parent;
		for (int depth = 0; p && depth < 16; depth++) {
			if (p == self) {
				verr_add(&c->errs, "parent_id", "上级分类不能是自身或其下级", "'parent_id' cannot be the category or below it");
				return ZL_E_VALIDATION;
			}
			if (db_get_int(c->db, &p, "SELECT COALESCE(parent_id, 0) FROM appeal_category WHERE id = ?", "i", p) != 1)
				p = 0;
		}
		if (db_get_int(c->db, &v, "SELECT retired_at IS NOT NULL FROM appeal_category WHERE id = ?", "i", parent) != 1) {
			verr_add(&c->errs, "parent_id", "上级分类不存在", "'parent_id' is not a category");
			return ZL_E_VALIDATION;
		}
		if (v)
			return ZL_E_CATEGORY_RETIRED;
	}
	if (dept && db_get_int(c->db, &v, "SELECT 1 FROM department WHERE id = ? AND retired_at IS NULL", "i", dept) != 1) {
		verr_add(&c->errs, "default_department_id", "部门不存在或已撤销", "'default_department_id' is not an active department");
		return ZL_E_VALIDATION;
	}
	return 0;
}

int category_create(struct ctx *c, const json_t *in, json_t **out)
{
	const char *name = NULL, *name_en = NULL;
	int64_t parent = 0, dept = 0, id, sort = 0;
	char now[ZL_TIME_MAX];
	json_t *j;
	int rc;

	if ((rc = json_req_string(c, in, "name", &name)) || (rc = json_opt_string(c, in, "name_en", &name_en)))
		return rc;
	if (org_text_check(c, "name", name, 32) || (name_en && org_text_check(c, "name_en", name_en, 64)) ||
	    org_opt_id(c, in, "parent_id", &parent) < 0 || org_opt_id(c, in, "default_department_id", &dept) < 0)
		return ZL_E_VALIDATION;
	if ((j = json_object_get(in, "sort")) && !json_is_integer(j)) {
		verr_add(&c->errs, "sort", "排序应为整数", "'sort' must be an integer");
		return ZL_E_VALIDATION;
	}
	sort = j ? json_integer_value(j) : 0;
	if ((rc = refs_check(c, 0, parent, dept)))
		return rc;
	time_format_utc(clock_now(), now);
	rc = db_run(c->db, "INSERT INTO appeal_category(parent_id, name, name_en, default_department_id, sort, "
			   "created_at, updated_at) VALUES (NULLIF(?, 0), ?, ?, NULLIF(?, 0), ?, ?, ?)", "ittiitt",
		    parent, name, name_en, dept, sort, now, now);
	if (rc == ZL_E_CONFLICT)
		return ZL_E_CATEGORY_EXISTS;
	if (rc)
		return rc;
	id = db_last_id(c->db);
	if ((rc = limits_apply(c, id, json_object_get(in, "limits"))))
		return rc;
	if ((rc = category_get(c, id, out)))
		return rc;
	{
		char ids[24];
		snprintf(ids, sizeof(ids), "%" PRId64, id);
		return audit_log(c, "category.create", "appeal_category", ids, NULL, *out);
	}
}

int category_update(struct ctx *c, int64_t id, const json_t *patch, json_t **out)
{
	json_t *before = NULL, *j;
	const char *name = NULL, *name_en = NULL;
	int64_t parent = 0, dept = 0;
	char now[ZL_TIME_MAX], ids[24];
	int rc = category_get(c, id, &before);

	if (rc)
		return rc;
	time_format_utc(clock_now(), now);
	if ((rc = json_opt_string(c, patch, "name", &name)) || (rc = json_opt_string(c, patch, "name_en", &name_en)))
		goto out;
	rc = ZL_E_VALIDATION;
	if ((name && org_text_check(c, "name", name, 32)) || (name_en && org_text_check(c, "name_en", name_en, 64)))
		goto out;
	if (name && (rc = db_run(c->db, "UPDATE appeal_category SET name = ? WHERE id = ?", "ti", name, id)))
		goto out;
	if (name_en && (rc = db_run(c->db, "UPDATE appeal_category SET name_en = ? WHERE id = ?", "ti", name_en, id)))
		goto out;
	if (org_opt_id(c, patch, "parent_id", &parent) < 0 ||
	    org_opt_id(c, patch, "default_department_id", &dept) < 0) {
		rc = ZL_E_VALIDATION;
		goto out;
	}
	if ((rc = refs_check(c, id, parent, dept)))
		goto out;
	if (json_object_get(patch, "parent_id") &&
	    (rc = db_run(c->db, "UPDATE appeal_category SET parent_id = NULLIF(?, 0) WHERE id = ?", "ii", parent, id)))
		goto out;
	if (json_object_get(patch, "default_department_id") &&
	    (rc = db_run(c->db, "UPDATE appeal_category SET default_department_id = NULLIF(?, 0) WHERE id = ?", "ii",
			 dept, id)))
		goto out;
	if ((j = json_object_get(patch, "sort"))) {
		if (!json_is_integer(j)) {
			verr_add(&c->errs, "sort", "排序应为整数", "'sort' must be an integer");
			rc = ZL_E_VALIDATION;
			goto out;
		}
		if ((rc = db_run(c->db, "UPDATE appeal_category SET sort = ? WHERE id = ?", "ii",
				 (int64_t)json_integer_value(j), id)))
			goto out;
	}
	if ((j = json_object_get(patch, "retired"))) {
		if (!json_is_boolean(j)) {
			verr_add(&c->errs, "retired", "应为 true 或 false", "'retired' must be true or false");
			rc = ZL_E_VALIDATION;
			goto out;
		}
		if ((rc = db_run(c->db, "UPDATE appeal_category SET retired_at = CASE WHEN ? THEN "
					"COALESCE(retired_at, ?) ELSE NULL END WHERE id = ?", "iti",
				 (int64_t)json_is_true(j), now, id)))
			goto out;
	}
	if ((rc = limits_apply(c, id, json_object_get(patch, "limits"))))
		goto out;
	if ((rc = db_run(c->db, "UPDATE appeal_category SET updated_at = ? WHERE id = ?", "ti", now, id)))
		goto out;
	if ((rc = category_get(c, id, out)))
		goto out;
	snprintf(ids, sizeof(ids), "%" PRId64, id);
	rc = audit_log(c, "category.update", "appeal_category", ids, before, *out);
out:
	if (rc == ZL_E_CONFLICT)
		rc = ZL_E_CATEGORY_EXISTS;
	json_decref(before);
	return rc;
}
