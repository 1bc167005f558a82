/*
 * routes.c: the HTTP face of the household service: reading query
 * arguments and bodies, calling households.h, shaping the answer. No rule
 * lives here that the service would not enforce for another caller.
 */
#include <microhttpd.h>

#include "households/households_int.h"

#include "platform/error.h"

#define TIMELINE_DEFAULT 50
#define TAG_ARGS_MAX 16

/* ---- query arguments ---- */

/* A yes/no argument: 0 absent or 0/false, 1 for 1/true; -1 (field error)
 * otherwise. */
static int arg_bool(struct req *r, const char *name)
{
	const char *v = req_query(r, name);
	if (!v || !*v || !strcmp(v, "0") || !strcmp(v, "false"))
		return 0;
	if (!strcmp(v, "1") || !strcmp(v, "true"))
		return 1;
	hh_ferr(&r->ctx, name, "“%s”应为 1 或 0", "'%s' must be 1 or 0");
	return -1;
}

/* A whole-number argument in [min, max]: 0 and *out set, 1 absent, -1 bad. */
static int arg_int(struct req *r, const char *name, int64_t min, int64_t max, int64_t *out)
{
	const char *v = req_query(r, name);
	char zh[160], en[160];
	if (!v || !*v)
		return 1;
	if (parse_int64(v, out) == 0 && *out >= min && *out <= max)
		return 0;
	snprintf(zh, sizeof(zh), "“%s”应为 %" PRId64 " 到 %" PRId64 " 之间的整数", name, min, max);
	snprintf(en, sizeof(en), "'%s' must be an integer from %" PRId64 " to %" PRId64, name, min, max);
	verr_add(&r->ctx.errs, name, zh, en);
	return -1;
}

struct tag_args {
	struct req *r;
	struct household_filter *f;
	int too_many;
};

/* ?tag= may repeat and each may be a comma list. */
static enum MHD_Result tag_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct tag_args *ta = cls;
	char *copy, *p, *comma;
	UNUSED(kind);
	if (!key || strcmp(key, "tag") != 0 || !value)
		return MHD_YES;
	copy = req_strdup(ta->r, value);
	for (p = copy; p; p = comma) {
		comma = strchr(p, ',');
		if (comma)
			*comma++ = '\0';
		while (*p == ' ')
			p++;
		if (!*p)
			continue;
		if (ta->f->ntags == ARRAY_SIZE(ta->f->tags)) {
			ta->too_many = 1;
			break;
		}
		ta->f->tags[ta->f->ntags++] = p;
	}
	return MHD_YES;
}

static int filter_from_query(struct req *r, struct household_filter *f)
{
	struct tag_args ta = { r, f, 0 };
	const char *m;
	int64_t v;
	int b;

	*f = (struct household_filter)HOUSEHOLD_FILTER_INIT;
	f->region = req_query(r, "region");
	f->group = req_query(r, "group");
	f->q = req_query(r, "q");
	f->id_number = req_query(r, "id_number");
	f->phone = req_query(r, "phone");
	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, tag_arg, &ta);
	if (ta.too_many)
		hh_ferr(&r->ctx, "tag", "“%s”至多 16 个", "at most 16 values of '%s'");
	m = req_query(r, "tag_match");
	if (m && *m && strcmp(m, "all") && strcmp(m, "any"))
		hh_ferr(&r->ctx, "tag_match", "“%s”应为 all 或 any", "'%s' must be all or any");
	f->tag_any = m && !strcmp(m, "any");
	if (arg_int(r, "cadre", 1, INT64_MAX, &v) == 0)
		f->cadre = v;
	if (req_query(r, "has_open_appeal") && *req_query(r, "has_open_appeal")) {
		b = arg_bool(r, "has_open_appeal");
		f->has_open_appeal = b < 0 ? -1 : b;
	}
	if (arg_int(r, "not_contacted_days", 0, 36500, &v) == 0)
		f->not_contacted_days = (int)v;
	return r->ctx.errs.n ? ZL_E_VALIDATION : 0;
}

/* Runs a read that writes audit rows (a reveal) in its own transaction:
 * GET requests get none from the router. */
static int reveal_begin(struct req *r, int reveal)
{
	if (!reveal)
		return 0;
	if (!perm_allows(r->ctx.actor.role, "household.reveal"))
		return ZL_E_FORBIDDEN;
	return db_begin(r->ctx.db);
}

static int reveal_end(struct req *r, int reveal, int rc)
{
	if (!reveal)
		return rc;
	if (!rc)
		rc = db_commit(r->ctx.db);
	if (rc)
		db_rollback(r->ctx.db);
	return rc;
}

/* ---- households ---- */

static int h_list(struct req *r, struct resp *w)
{
	struct household_filter f;
	struct page p;
	json_t *items = NULL;
	int64_t next = 0;
	int rc = req_page(r, &p), reveal = arg_bool(r, "reveal");
	int frc = filter_from_query(r, &f);
	if (rc || frc || reveal < 0)
		return rc && rc != ZL_E_VALIDATION ? rc : ZL_E_VALIDATION;
	rc = reveal_begin(r, reveal);
	if (rc)
		return rc;
	rc = reveal_end(r, reveal, household_list(&r->ctx, &f, &p, reveal, &items, &next));
	if (rc) {
		json_decref(items);
		return rc;
	}
	resp_json(w, 200, page_result(items, next));
	return 0;
}

static int h_counts(struct req *r, struct resp *w)
{
	struct household_filter f;
	json_t *out = NULL;
	int rc = filter_from_query(r, &f);
	if (!rc)
		rc = household_counts(&r->ctx, &f, &out);
	return resp_result(w, rc, 200, out);
}

static void location(struct resp *w, json_t *out, const char *fmt, int64_t hid)
{
	char loc[96];
	snprintf(loc, sizeof(loc), fmt, hid ? hid : (int64_t)json_integer_value(json_object_get(out, "id")));
	resp_created(w, out, loc);
}

static int h_create(struct req *r, struct resp *w)
{
	json_t *in = NULL, *out = NULL;
	int rc = req_json(r, &in);
	if (!rc)
		rc = household_create(&r->ctx, in, &out);
	if (rc)
		return rc;
	location(w, out, "/api/v1/households/%" PRId64, 0);
	return 0;
}

static int h_get(struct req *r, struct resp *w)
{
	json_t *out = NULL;
	int64_t id;
	int reveal = arg_bool(r, "reveal");
	int rc = req_param_id(r, "id", &id);
	if (rc)
		return rc;
	if (reveal < 0)
		return ZL_E_VALIDATION;
	rc = reveal_begin(r, reveal);
	if (rc)
		return rc;
	rc = reveal_end(r, reveal, household_get(&r->ctx, id, reveal, &out));
	if (rc) {
		json_decref(out);
		return rc;
	}
	resp_json(w, 200, out);
	return 0;
}

/* Path id and JSON body, the start of every write on one household. */
static int id_and_body(struct req *r, int64_t *id, json_t **in)
{
	int rc = req_param_id(r, "id", id);
	return rc ? rc : req_json(r, in);
}

static int h_update(struct req *r, struct resp *w)
{
	json_t *in = NULL, *out = NULL;
	int64_t id;
	int rc = id_and_body(r, &id, &in);
	if (!rc)
		rc = household_update(&r->ctx, id, in, &out);
	return resp_result(w, rc, 200, out);
}

static int h_tags_put(struct req *r, struct resp *w)
{
	json_t *in = NULL, *out = NULL;
	int64_t id;
	int rc = id_and_body(r, &id, &in);
	if (!rc)
		rc = household_tags_set(&r->ctx, id, json_object_get(in, "tags"), &out);
	return resp_result(w, rc, 200, out);
}

static int h_member_add(struct req *r, struct resp *w)
{
	json_t *in = NULL, *out = NULL;
	int64_t id;
	int rc = id_and_body(r, &id, &in);
	if (!rc)
		rc = household_member_add(&r->ctx, id, in, &out);
	if (rc)
		return rc;
	location(w, out, "/api/v1/households/%" PRId64, id);
	return 0;
}

static int h_member_update(struct req *r, struct resp *w)
{
	json_t *in = NULL, *out = NULL;
	int64_t id, mid;
	int rc = id_and_body(r, &id, &in);
	if (!rc)
		rc = req_param_id(r, "member_id", &mid);
	if (!rc)
		rc = household_member_update(&r->ctx, id, mid, in, &out);
	return resp_result(w, rc, 200, out);
}

static int h_member_remove(struct req *r, struct resp *w)
{
	json_t *in = NULL, *out = NULL;
	const char *reason = NULL;
	int64_t id, mid;
	int rc = id_and_body(r, &id, &in);
	if (!rc)
		rc = req_param_id(r, "member_id", &mid);
	if (!rc)
		rc = json_opt_string(&r->ctx, in, "reason", &reason);
	if (!rc)
		rc = household_member_remove(&r->ctx, id, mid, reason, &out);
	return resp_result(w, rc, 200, out);
}

static int h_timeline(struct req *r, struct resp *w)
{
	json_t *items = NULL, *o;
	char *next = NULL;
	int64_t id, limit = TIMELINE_DEFAULT;
	int rc = req_param_id(r, "id", &id);
	if (rc)
		return rc;
	if (arg_int(r, "limit", 1, 200, &limit) < 0)
		return ZL_E_VALIDATION;
	rc = household_timeline(&r->ctx, id, req_query(r, "cursor"), (int)limit, &items, &next);
	if (rc)
		return rc;
	o = json_pack("{s:o,s:s?}", "items", items, "next_cursor", next);
	free(next);
	resp_json(w, 200, o);
	return 0;
}

/* ---- tags ---- */

static int h_tag_list(struct req *r, struct resp *w)
{
	json_t *out = NULL;
	int all = arg_bool(r, "include_retired");
	int rc = all < 0 ? ZL_E_VALIDATION : tag_list(&r->ctx, all, &out);
	return resp_result(w, rc, 200, out);
}

static int h_tag_create(struct req *r, struct resp *w)
{
	json_t *in = NULL, *out = NULL;
	int rc = req_json(r, &in);
	if (!rc)
		rc = tag_create(&r->ctx, in, &out);
	if (rc)
		return rc;
	location(w, out, "/api/v1/tags/%" PRId64, 0);
	return 0;
}

static int h_tag_update(struct req *r, struct resp *w)
{
	json_t *in = NULL, *out = NULL;
	int64_t id;
	int rc = id_and_body(r, &id, &in);
	if (!rc)
		rc = tag_update(&r->ctx, id, in, &out);
	return resp_result(w, rc, 200, out);
}

/* Reads are open to every signed-in role (viewers included); ?reveal=1
 * additionally needs household.reveal, checked by the handler. */
static const struct route routes[] = {
	{ "GET", "/api/v1/households", h_list, "household.read", 0 },
	{ "POST", "/api/v1/households", h_create, "household.write", 0 },
	{ "GET", "/api/v1/households/counts", h_counts, "household.read", 0 },
	{ "GET", "/api/v1/households/{id}", h_get, "household.read", 0 },
	{ "PATCH", "/api/v1/households/{id}", h_update, "household.write", 0 },
	{ "PUT", "/api/v1/households/{id}/tags", h_tags_put, "household.write", 0 },
	{ "POST", "/api/v1/households/{id}/members", h_member_add, "household.write", 0 },
	{ "PATCH", "/api/v1/households/{id}/members/{member_id}", h_member_update, "household.write", 0 },
	{ "POST", "/api/v1/households/{id}/members/{member_id}/remove", h_member_remove, "household.write", 0 },
	{ "GET", "/api/v1/households/{id}/timeline", h_timeline, "household.read", 0 },
	{ "GET", "/api/v1/tags", h_tag_list, "household.read", 0 },
	{ "POST", "/api/v1/tags", h_tag_create, "tag.write", 0 },
	{ "PATCH", "/api/v1/tags/{id}", h_tag_update, "tag.write", 0 },
};

ROUTE_TABLE(household_routes, "households", routes);
