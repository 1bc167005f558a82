/*
 * routes.c: the HTTP face of the appeals module (appeals, their actions and
 * events, categories, the calendar) and its start-up registrations: the
 * time-limit tick, the household timeline source and the handover mover.
 */
#include "appeals_int.h"

#include "households/households.h"
#include "org/org.h"
#include "platform/audit.h"
#include "platform/files.h"

/* ---- appeals ---- */

static int a_create(struct req *r, struct resp *w)
{
	json_t *in, *out = NULL;
	int rc = req_json(r, &in);
	if (rc || (rc = appeal_create(&r->ctx, in, &out)))
		return rc;
	resp_created_id(w, out, "/api/v1/appeals/");
	return 0;
}

static int a_list(struct req *r, struct resp *w)
{
	struct appeal_filter f;
	struct page p;
	json_t *items = NULL;
	int64_t next = 0;
	int rc;
	memset(&f, 0, sizeof(f));
	if ((rc = req_page(r, &p)))
		return rc;
	f.region = req_query(r, "region");
	f.state = req_query(r, "state");
	f.due_before = req_query(r, "due_before");
	if ((rc = org_query_id(r, "category", &f.category_id)) || (rc = org_query_id(r, "assignee", &f.assignee_id)) ||
	    (rc = org_query_id(r, "department", &f.department_id)) || (rc = org_query_flag(r, "mine", &f.mine)) ||
	    (rc = org_query_flag(r, "overdue", &f.overdue)) || (rc = org_query_flag(r, "escalated", &f.escalated)))
		return rc;
	if ((rc = appeal_list(&r->ctx, &f, &p, &items, &next)))
		return rc;
	resp_json(w, 200, page_result(items, next));
	return 0;
}

static int a_get(struct req *r, struct resp *w)
{
	int64_t id;
	json_t *out = NULL;
	int rc = req_param_id(r, "id", &id);
	if (rc || (rc = appeal_get(&r->ctx, id, &out)))
		return rc;
	resp_json(w, 200, out);
	return 0;
}

static int a_events(struct req *r, struct resp *w)
{
	int64_t id;
	json_t *items = NULL;
	int rc = req_param_id(r, "id", &id);
	if (rc || (rc = appeal_events(&r->ctx, id, &items)))
		return rc;
	resp_json(w, 200, page_result(items, 0));
	return 0;
}

/* A refused action answers the problem itself, with the actions the caller
 * may take instead ("allowed_actions"), so the page can show them. */
static int a_action(struct req *r, struct resp *w)
{
	int64_t id;
	json_t *in, *out = NULL, *allowed = NULL;
	int rc = req_param_id(r, "id", &id);
	if (rc || (rc = req_json(r, &in)))
		return rc;
	rc = appeal_action_apply(&r->ctx, id, in, &out, &allowed);
	if (allowed) {
		resp_problem(w, rc, &r->ctx, r->path);
		json_object_set_new(w->json, "allowed_actions", allowed);
		return 0; /* nothing was changed; the problem is the answer */
	}
	return resp_result(w, rc, 200, out);
}

/* ---- photos ---- */

static int a_photo_add(struct req *r, struct resp *w)
{
	json_t *out = NULL;
	int64_t id;
	int created = 0;
	char prefix[64];
	int rc = req_param_id(r, "id", &id);
	if (rc)
		return rc;
	snprintf(prefix, sizeof(prefix), "/api/v1/appeals/%" PRId64 "/photos/", id);
	if ((rc = appeal_photo_add(&r->ctx, id, req_header(r, "Content-Type"), r->body, r->body_len, prefix, &out,
				   &created)))
		return rc;
	file_answer(w, out, created);
	return 0;
}

static int a_photo_get(struct req *r, struct resp *w)
{
	char *path = NULL;
	const char *mime = NULL;
	int64_t id;
	int rc = req_param_id(r, "id", &id);
	if (rc || (rc = appeal_photo_path(&r->ctx, id, req_param(r, "sha"), &path, &mime)))
		return rc;
	file_send(r, w, path, mime);
	return 0;
}

/* ---- categories ---- */

static int c_list(struct req *r, struct resp *w)
{
	int all = 0;
	json_t *out = NULL;
	int rc = org_query_flag(r, "include_retired", &all);
	if (rc || (rc = category_list(&r->ctx, all, &out)))
		return rc;
	resp_json(w, 200, out);
	return 0;
}

static int c_get(struct req *r, struct resp *w)
{
	int64_t id;
	json_t *out = NULL;
	int rc = req_param_id(r, "id", &id);
	if (rc || (rc = category_get(&r->ctx, id, &out)))
		return rc;
	resp_json(w, 200, out);
	return 0;
}

static int c_create(struct req *r, struct resp *w)
{
	json_t *in, *out = NULL;
	int rc = req_json(r, &in);
	if (rc || (rc = category_create(&r->ctx, in, &out)))
		return rc;
	resp_created_id(w, out, "/api/v1/appeal-categories/");
	return 0;
}

static int c_update(struct req *r, struct resp *w)
{
	int64_t id;
	json_t *in, *out = NULL;
	int rc = req_param_id(r, "id", &id);
	if (rc || (rc = req_json(r, &in)) || (rc = category_update(&r->ctx, id, in, &out)))
		return rc;
	resp_json(w, 200, out);
	return 0;
}

/* ---- calendar ---- */

static int cal_list(struct req *r, struct resp *w)
{
	const char *y = req_query(r, "year");
	int64_t year = 0;
	json_t *out = NULL;
	int rc;
	if (!y || parse_int64(y, &year)) {
		verr_add(&r->ctx.errs, "year", "请给出年份，例如 ?year=2026", "give 'year', e.g. ?year=2026");
		return ZL_E_VALIDATION;
	}
	if ((rc = calendar_list(&r->ctx, (int)(year > 9999 ? 0 : year), &out)))
		return rc;
	resp_json(w, 200, out);
	return 0;
}

static int cal_put(struct req *r, struct resp *w)
{
	json_t *in, *out = NULL;
	int rc = req_json(r, &in);
	if (rc || (rc = calendar_put(&r->ctx, req_param(r, "day"), in, &out)))
		return rc;
	resp_json(w, 200, out);
	return 0;
}

static int cal_delete(struct req *r, struct resp *w)
{
	int rc = calendar_delete(&r->ctx, req_param(r, "day"));
	if (rc)
		return rc;
	resp_no_content(w);
	return 0;
}

static const struct route appeal_route_list[] = {
	{ "GET", "/api/v1/appeals", a_list, "appeal.read", 0 },
	{ "POST", "/api/v1/appeals", a_create, "appeal.write", 0 },
	{ "GET", "/api/v1/appeals/{id}", a_get, "appeal.read", 0 },
	{ "GET", "/api/v1/appeals/{id}/events", a_events, "appeal.read", 0 },
	{ "POST", "/api/v1/appeals/{id}/actions", a_action, "appeal.write", 0 },
	{ "POST", "/api/v1/appeals/{id}/photos", a_photo_add, "appeal.write", ROUTE_RAW | ROUTE_LARGE_BODY },
	{ "GET", "/api/v1/appeals/{id}/photos/{sha}", a_photo_get, "appeal.read", 0 },
	{ "GET", "/api/v1/appeal-categories", c_list, "category.read", 0 },
	{ "POST", "/api/v1/appeal-categories", c_create, "category.write", 0 },
	{ "GET", "/api/v1/appeal-categories/{id}", c_get, "category.read", 0 },
	{ "PATCH", "/api/v1/appeal-categories/{id}", c_update, "category.write", 0 },
	{ "GET", "/api/v1/calendar", cal_list, "calendar.read", 0 },
	{ "PUT", "/api/v1/calendar/{day}", cal_put, "calendar.write", 0 },
	{ "DELETE", "/api/v1/calendar/{day}", cal_delete, "calendar.write", 0 },
};
ROUTE_TABLE(appeal_routes, "appeals", appeal_route_list);

/* ---- household timeline: the events of the household's appeals ---- */

static int timeline_fetch(struct ctx *c, int64_t hid, const struct timeline_window *tw, json_t *out)
{
	struct db_stmt *st = NULL;
	int rc = db_prepare(c->db,
		"SELECT e.id, e.at, e.action, e.user_id, a.id, a.title, e.to_state FROM appeal_event e "
		"JOIN appeal a ON a.id = e.appeal_id WHERE a.household_id = ? AND "
		"(? IS NULL OR e.at < ? OR (e.at = ? AND e.id < ?)) ORDER BY e.at DESC, e.id DESC LIMIT ?", &st);
	if (rc)
		return rc;
	db_bindv(st, "itttii", hid, tw->before_at, tw->before_at, tw->before_at, tw->before_id, (int64_t)tw->limit);
	while ((rc = db_step(st)) == 1) {
		char kind[48], zh[200], en[200];
		snprintf(kind, sizeof(kind), "appeal.%s", db_col_text(st, 2));
		snprintf(zh, sizeof(zh), "诉求 #%" PRId64 "「%s」：%s", db_col_int(st, 4), db_col_text(st, 5),
			 db_col_text(st, 2));
		snprintf(en, sizeof(en), "appeal #%" PRId64 " \"%s\": %s", db_col_int(st, 4), db_col_text(st, 5),
			 db_col_text(st, 2));
		json_t *o = json_pack("{s:I,s:s,s:s,s:s,s:s,s:{s:I,s:s?}}", "id", (json_int_t)db_col_int(st, 0),
				      "at", db_col_text(st, 1), "kind", kind, "summary_zh", zh, "summary_en", en,
				      "data", "appeal_id", (json_int_t)db_col_int(st, 4), "state", db_col_text(st, 6));
		if (!db_col_isnull(st, 3))
			json_object_set_new(o, "user_id", json_integer(db_col_int(st, 3)));
		json_array_append_new(out, o);
	}
	db_done(st);
	return rc < 0 ? rc : 0;
}

static const struct timeline_source appeal_timeline = { "appeal", timeline_fetch };

/* ---- handover: the from-cadre's open appeals go to the to-cadre ---- */

static int handover_move(struct ctx *c, const struct handover *h, json_t *summary)
{
	struct db_stmt *st = NULL;
	json_t *ids = json_array();
	size_t i;
	json_t *v;
	int rc = db_prepare(c->db, "SELECT id, village_code, COALESCE(household_id, 0), state FROM appeal "
				   "WHERE assignee_user_id = ? AND state NOT IN ('rejected', 'closed') ORDER BY id", &st);
	if (rc)
		goto out;
	db_bindv(st, "i", h->from_user_id);
	while ((rc = db_step(st)) == 1) {
		int take = h->whole_scope;
		const char *vc = db_col_text(st, 1);
		int64_t hid = db_col_int(st, 2);
		for (size_t k = 0; !take && k < h->nhouseholds; k++)
			take = hid && h->household_ids[k] == hid;
		for (size_t k = 0; !take && k < h->nvillages; k++)
			take = !strcmp(h->village_codes[k], vc);
		if (take && (h->whole_scope ? scope_contains(c, vc) == 1 : 1))
			json_array_append_new(ids, json_pack("{s:I,s:s}", "id", (json_int_t)db_col_int(st, 0), "state",
							     db_col_text(st, 3)));
	}
	db_done(st);
	if (rc < 0)
		goto out;
	rc = 0;
	json_array_foreach(ids, i, v) {
		int64_t id = json_integer_value(json_object_get(v, "id"));
		const char *state = json_string_value(json_object_get(v, "state"));
		char idt[24];
		json_t *after = json_pack("{s:I,s:I,s:I}", "from_user_id", (json_int_t)h->from_user_id, "to_user_id",
					  (json_int_t)h->to_user_id, "handover_id", (json_int_t)h->id);
		if (!(rc = db_run(c->db, "UPDATE appeal SET assignee_user_id = ? WHERE id = ?", "ii", h->to_user_id, id)))
			rc = appeal_event_add(c, id, "handover", state, state, json_incref(after));
		appeal_id_text(id, idt);
		if (!rc)
			rc = audit_log(c, "appeal.handover", "appeal", idt, NULL, after);
		json_decref(after);
		if (rc)
			goto out;
		json_array_set_new(ids, i, json_integer(id));
	}
	json_object_set_new(summary, "appeals", json_pack("{s:I,s:O}", "count", (json_int_t)json_array_size(ids), "ids", ids));
out:
	json_decref(ids);
	return rc;
}

static const struct handover_mover appeal_mover = { "appeals", handover_move };

void appeals_init(void)
{
	server_on_tick(appeal_tick);
	household_timeline_register(&appeal_timeline);
	handover_register(&appeal_mover);
}

/* The route table is what main.c refers to, so this object (and with it the
 * registrations) is always linked when the server is. */
static void __attribute__((constructor)) appeals_ctor(void)
{
	appeals_init();
}
