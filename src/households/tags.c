/*
 * tags.c: the editable tag list (低保户, 留守老人 ...) and the tags a
 * household carries. Tags are retired, never deleted: a retired tag stays on
 * the households that have it and cannot be given to more.
 */
#include "households/households_int.h"

#include "platform/audit.h"
#include "platform/error.h"

#define TAG_NAME_MAX 16
#define TAG_NAME_EN_MAX 64

void hh_tag_set_release(struct hh_tag_set *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->name[i]);
	t->n = 0;
}

json_t *hh_tag_names(const struct hh_tag_set *t)
{
	json_t *a = json_array();
	for (size_t i = 0; i < t->n; i++)
		json_array_append_new(a, json_string(t->name[i]));
	return a;
}

static int tag_set_has(const struct hh_tag_set *t, int64_t id)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->id[i] == id)
			return 1;
	return 0;
}

static void tag_error(struct ctx *c, const char *field, const char *zh_fmt, const char *en_fmt,
		      const char *what)
{
	char zh[200], en[200];
	snprintf(zh, sizeof(zh), zh_fmt, what);
	snprintf(en, sizeof(en), en_fmt, what);
	verr_add(&c->errs, field, zh, en);
}

int hh_tags_resolve(struct ctx *c, const json_t *arr, const char *field, int64_t hid,
		    struct hh_tag_set *out)
{
	size_t n0 = c->errs.n, i;
	json_t *v;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!arr || json_is_null(arr))
		return 0;
	if (!json_is_array(arr) || json_array_size(arr) > HH_TAGS_MAX) {
		hh_ferr(c, field, "“%s”应为标签名称的列表，至多 32 个", "'%s' must be a list of at most 32 tag names");
		return ZL_E_VALIDATION;
	}
	json_array_foreach(arr, i, v) {
		struct db_stmt *st = NULL;
		char what[64];
		if (json_is_string(v)) {
			rc = db_prepare(c->db, "SELECT id, name, retired_at FROM tag WHERE name = ?", &st);
			if (rc)
				break;
			db_bind_text(st, 1, json_string_value(v));
			snprintf(what, sizeof(what), "%s", json_string_value(v));
		} else if (json_is_integer(v)) {
			rc = db_prepare(c->db, "SELECT id, name, retired_at FROM tag WHERE id = ?", &st);
			if (rc)
				break;
			db_bind_int(st, 1, json_integer_value(v));
			snprintf(what, sizeof(what), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		} else {
			hh_ferr(c, field, "“%s”中的每一项应为标签名称", "each item of '%s' must be a tag name");
			continue;
		}
		rc = db_step(st);
		if (rc == 1) {
			int64_t id = db_col_int(st, 0);
			int retired = !db_col_isnull(st, 2);
			char *name = hh_col_dup(st, 1);
			db_done(st);
			rc = 0;
			if (retired && hid >= 0) {
				int64_t one = 0;
				int has = hid > 0 ? db_get_int(c->db, &one,
							       "SELECT 1 FROM household_tag WHERE household_id = ?"
							       " AND tag_id = ?",
							       "ii", hid, id)
						  : 0;
				if (has < 0) {
					free(name);
					rc = has;
					break;
				}
				if (!has) {
					tag_error(c, field, "标签“%s”已停用", "tag '%s' is retired", name);
					free(name);
					continue;
				}
			}
			if (tag_set_has(out, id) || out->n == HH_TAGS_MAX) {
				free(name);
				continue;
			}
			out->id[out->n] = id;
			out->name[out->n++] = name;
		} else {
			db_done(st);
			if (rc < 0)
				break;
			rc = 0;
			tag_error(c, field, "没有名为“%s”的标签", "unknown tag '%s'", what);
		}
	}
	if (rc < 0) {
		hh_tag_set_release(out);
		return rc;
	}
	return c->errs.n > n0 ? ZL_E_VALIDATION : 0;
}

int hh_tags_load(struct ctx *c, int64_t hid, struct hh_tag_set *out)
{
	struct db_stmt *st = NULL;
	int rc = db_prepare(c->db,
			    "SELECT t.id, t.name FROM household_tag ht JOIN tag t ON t.id = ht.tag_id"
			    " WHERE ht.household_id = ? ORDER BY t.sort, t.id",
			    &st);
	memset(out, 0, sizeof(*out));
	if (rc)
		return rc;
	db_bind_int(st, 1, hid);
	while ((rc = db_step(st)) == 1) {
		if (out->n == HH_TAGS_MAX)
			continue;
		out->id[out->n] = db_col_int(st, 0);
		out->name[out->n++] = hh_col_dup(st, 1);
	}
	db_done(st);
	if (rc < 0) {
		hh_tag_set_release(out);
		return rc;
	}
	return 0;
}

int hh_tags_apply(struct ctx *c, int64_t hid, const struct hh_tag_set *want, json_t **added,
		  json_t **removed)
{
	struct hh_tag_set have;
	char now[ZL_TIME_MAX];
	int rc = hh_tags_load(c, hid, &have);
	if (added)
		*added = json_array();
	if (removed)
		*removed = json_array();
	if (rc)
		return rc;
	hh_now(now);
	for (size_t i = 0; !rc && i < want->n; i++) {
		if (tag_set_has(&have, want->id[i]))
			continue;
		rc = db_run(c->db, "INSERT INTO household_tag(household_id, tag_id, created_at) VALUES (?, ?, ?)",
			    "iit", hid, want->id[i], now);
		if (!rc && added)
			json_array_append_new(*added, json_string(want->name[i]));
	}
	for (size_t i = 0; !rc && i < have.n; i++) {
		if (tag_set_has(want, have.id[i]))
			continue;
		rc = db_run(c->db, "DELETE FROM household_tag WHERE household_id = ? AND tag_id = ?", "ii", hid,
			    have.id[i]);
		if (!rc && removed)
			json_array_append_new(*removed, json_string(have.name[i]));
	}
	hh_tag_set_release(&have);
	return rc;
}

/* ---- the tag list ---- */

#define TAG_COLS "id, name, name_en, sort, retired_at, created_at"

static json_t *tag_json(struct db_stmt *st)
{
	return json_pack("{s:I,s:s,s:s,s:I,s:b,s:o,s:o}", "id", (json_int_t)db_col_int(st, 0), "name",
			 db_col_text(st, 1), "name_en", db_col_text(st, 2) ? db_col_text(st, 2) : "",
			 "sort", (json_int_t)db_col_int(st, 3), "retired", !db_col_isnull(st, 4),
			 "retired_at", hh_time_json(db_col_text(st, 4)), "created_at",
			 hh_time_json(db_col_text(st, 5)));
}

int tag_list(struct ctx *c, int include_retired, json_t **out)
{
	struct db_stmt *st = NULL;
	json_t *items;
	int rc = db_prepare(c->db,
			    include_retired ? "SELECT " TAG_COLS " FROM tag ORDER BY sort, id"
					    : "SELECT " TAG_COLS " FROM tag WHERE retired_at IS NULL ORDER BY sort, id",
			    &st);
	*out = NULL;
	if (rc)
		return rc;
	items = json_array();
	while ((rc = db_step(st)) == 1)
		json_array_append_new(items, tag_json(st));
	db_done(st);
	if (rc < 0) {
		json_decref(items);
		return rc;
	}
	*out = page_result(items, 0);
	return 0;
}

static int tag_load(struct ctx *c, int64_t id, json_t **out)
{
	struct db_stmt *st = NULL;
	int rc = db_prepare(c->db, "SELECT " TAG_COLS " FROM tag WHERE id = ?", &st);
	*out = NULL;
	if (rc)
		return rc;
	db_bind_int(st, 1, id);
	rc = db_step(st);
	if (rc == 1) {
		*out = tag_json(st);
		rc = 0;
	} else if (rc == 0) {
		rc = ZL_E_NOT_FOUND;
	}
	db_done(st);
	return rc;
}

/* Reads and checks name, name_en and sort; 0 or ZL_E_VALIDATION. */
static int tag_fields(struct ctx *c, const json_t *in, int patch, const char **name, const char **name_en,
		      int64_t *sort, int *has_sort)
{
	size_t n0 = c->errs.n;
	int pr = 0;
	json_t *s;
	if (hh_opt_str(c, in, "", "name", &pr, name) == 0 && (pr || !patch)) {
		if (!*name || !**name)
			verr_required(c, "name");
		else
			hh_text_ok(c, "name", *name, 1, TAG_NAME_MAX, 0);
	}
	if (hh_opt_str(c, in, "", "name_en", &pr, name_en) == 0 && *name_en && **name_en)
		hh_text_ok(c, "name_en", *name_en, 1, TAG_NAME_EN_MAX, 0);
	s = json_object_get(in, "sort");
	*has_sort = s && !json_is_null(s);
	if (*has_sort) {
		if (!json_is_integer(s) || json_integer_value(s) < 0 || json_integer_value(s) > 100000)
			hh_ferr(c, "sort", "“%s”应为 0 到 100000 之间的整数", "'%s' must be an integer from 0 to 100000");
		else
			*sort = json_integer_value(s);
	}
	return c->errs.n > n0 ? ZL_E_VALIDATION : 0;
}

static int tag_name_taken(struct ctx *c, const char *name, int64_t except)
{
	int64_t one;
	int rc = db_get_int(c->db, &one, "SELECT 1 FROM tag WHERE name = ? AND id <> ?", "ti", name, except);
	if (rc < 0)
		return rc;
	return rc == 1 ? ZL_E_TAG_EXISTS : 0;
}

int tag_create(struct ctx *c, const json_t *in, json_t **out)
{
	const char *name = NULL, *name_en = NULL;
	int64_t sort = 0, id;
	int has_sort = 0, rc;
	char now[ZL_TIME_MAX], idt[24];

	*out = NULL;
	if (!json_is_object(in))
		return ZL_E_BAD_JSON;
	rc = tag_fields(c, in, 0, &name, &name_en, &sort, &has_sort);
	if (!rc)
		rc = tag_name_taken(c, name, 0);
	if (rc)
		return rc;
	if (!has_sort && db_get_int(c->db, &sort, "SELECT COALESCE(MAX(sort), 0) + 10 FROM tag", "") < 0)
		sort = 0;
	hh_now(now);
	rc = db_run(c->db, "INSERT INTO tag(name, name_en, sort, created_at) VALUES (?, ?, ?, ?)", "ttit",
		    name, name_en && *name_en ? name_en : name, sort, now);
	if (rc == ZL_E_CONFLICT)
		rc = ZL_E_TAG_EXISTS;
	if (rc)
		return rc;
	id = db_last_id(c->db);
	rc = tag_load(c, id, out);
	hh_id_text(id, idt);
	if (!rc)
		rc = audit_log(c, "tag.create", "tag", idt, NULL, *out);
	if (rc) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

int tag_update(struct ctx *c, int64_t id, const json_t *patch, json_t **out)
{
	const char *name = NULL, *name_en = NULL;
	json_t *before = NULL, *r;
	int64_t sort = 0;
	int has_sort = 0, rc, retire = -1;
	char now[ZL_TIME_MAX], idt[24];

	*out = NULL;
	if (!json_is_object(patch))
		return ZL_E_BAD_JSON;
	rc = tag_load(c, id, &before);
	if (rc)
		return rc;
	rc = tag_fields(c, patch, 1, &name, &name_en, &sort, &has_sort);
	r = json_object_get(patch, "retired");
	if (r && !json_is_null(r)) {
		if (json_is_boolean(r))
			retire = json_is_true(r);
		else
			hh_ferr(c, "retired", "“%s”应为 true 或 false", "'%s' must be true or false");
	}
	if (c->errs.n)
		rc = ZL_E_VALIDATION;
	if (!rc && name)
		rc = tag_name_taken(c, name, id);
	if (rc)
		goto out;
	hh_now(now);
	rc = db_run(c->db,
		    "UPDATE tag SET name = COALESCE(?, name), name_en = COALESCE(?, name_en),"
		    " sort = CASE WHEN ? THEN ? ELSE sort END,"
		    " retired_at = CASE WHEN ? = 1 THEN COALESCE(retired_at, ?) WHEN ? = 0 THEN NULL"
		    " ELSE retired_at END WHERE id = ?",
		    "ttiiitii", name, name_en && *name_en ? name_en : NULL, (int64_t)has_sort, sort,
		    (int64_t)retire, now, (int64_t)retire, id);
	if (rc == ZL_E_CONFLICT)
		rc = ZL_E_TAG_EXISTS;
	if (!rc)
		rc = tag_load(c, id, out);
	hh_id_text(id, idt);
	if (!rc && !json_equal(before, *out))
		rc = audit_log(c, "tag.update", "tag", idt, before, *out);
out:
	if (rc) {
		json_decref(*out);
		*out = NULL;
	}
	json_decref(before);
	return rc;
}
