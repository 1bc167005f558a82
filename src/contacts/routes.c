/*
 * routes.c: the HTTP face of the contact service: query arguments, bodies
 * and answers only; every rule lives in contacts.c and photos.c. Also
 * registers the household timeline source when the program starts.
 */
#include "contacts/contacts_int.h"

#include "org/org.h"
#include "platform/error.h"

/*
 * Handover (交接): contacts do not move. A contact is a record of what
 * happened, kept under its author; the new cadre reads the household's
 * contacts through the timeline and the household filter. So no mover is
 * registered; open plan items (later work) will register their own.
 */
__attribute__((constructor)) static void contacts_ctor(void)
{
	contacts_init();
}

static void location(struct resp *w, json_t *out, const char *suffix)
{
	char loc[128];
	snprintf(loc, sizeof(loc), "/api/v1/contacts/%" PRId64 "%s",
		 (int64_t)json_integer_value(json_object_get(out, "id")), suffix);
	resp_created(w, out, loc);
}

static int h_list(struct req *r, struct resp *w)
{
	struct contact_filter f = CONTACT_FILTER_INIT;
	struct page p;
	json_t *items = NULL;
	int64_t next = 0;
	int rc = req_page(r, &p);
	int r1 = org_query_id(r, "cadre", &f.cadre), r2 = org_query_id(r, "household", &f.household);
	int r3 = org_query_flag(r, "conflict", &f.conflict);
	if (rc || r1 || r2 || r3)
		return rc && rc != ZL_E_VALIDATION ? rc : ZL_E_VALIDATION;
	f.region = req_query(r, "region");
	f.method = req_query(r, "method");
	f.from = req_query(r, "from");
	f.to = req_query(r, "to");
	if ((rc = contact_list(&r->ctx, &f, &p, &items, &next)))
		return rc;
	resp_json(w, 200, page_result(items, next));
	return 0;
}

static int h_create(struct req *r, struct resp *w)
{
	json_t *in = NULL, *out = NULL;
	int status = 201;
	int rc = req_json(r, &in);
	if (!rc)
		rc = contact_create(&r->ctx, in, &out, &status);
	if (rc)
		return rc;
	if (status == 201)
		location(w, out, "");
	else
		resp_json(w, status, out);
	return 0;
}

static int h_get(struct req *r, struct resp *w)
{
	json_t *out = NULL;
	int64_t id;
	int rc = req_param_id(r, "id", &id);
	if (!rc)
		rc = contact_get(&r->ctx, id, &out);
	return resp_result(w, rc, 200, out);
}

/* {id} and a JSON body for one of the service's changes. */
static int id_body_call(struct req *r, int (*fn)(struct ctx *, int64_t, const json_t *, json_t **),
			json_t **out)
{
	json_t *in = NULL;
	int64_t id;
	int rc = req_param_id(r, "id", &id);
	if (!rc)
		rc = req_json(r, &in);
	if (!rc)
		rc = fn(&r->ctx, id, in, out);
	return rc;
}

static int h_update(struct req *r, struct resp *w)
{
	json_t *out = NULL;
	int rc = id_body_call(r, contact_update, &out);
	return resp_result(w, rc, 200, out);
}

static int h_amend(struct req *r, struct resp *w)
{
	json_t *out = NULL;
	int rc = id_body_call(r, contact_amend, &out);
	if (rc)
		return rc;
	location(w, out, "");
	return 0;
}

static int h_photo_add(struct req *r, struct resp *w)
{
	json_t *out = NULL;
	int64_t id;
	int created = 0;
	int rc = req_param_id(r, "id", &id);
	if (!rc)
		rc = contact_photo_add(&r->ctx, id, req_header(r, "Content-Type"), r->body, r->body_len, &out,
				       &created);
	if (rc)
		return rc;
	file_answer(w, out, created);
	return 0;
}

static int h_photo_get(struct req *r, struct resp *w)
{
	char *path = NULL;
	const char *mime = NULL;
	int64_t id;
	int rc = req_param_id(r, "id", &id);
	if (!rc)
		rc = contact_photo_path(&r->ctx, id, req_param(r, "sha"), &path, &mime);
	if (rc)
		return rc;
	file_send(r, w, path, mime);
	return 0;
}

static const struct route routes[] = {
	{ "GET", "/api/v1/contacts", h_list, "contact.read", 0 },
	{ "POST", "/api/v1/contacts", h_create, "contact.write", 0 },
	{ "GET", "/api/v1/contacts/{id}", h_get, "contact.read", 0 },
	{ "PATCH", "/api/v1/contacts/{id}", h_update, "contact.write", 0 },
	{ "POST", "/api/v1/contacts/{id}/amendments", h_amend, "contact.write", 0 },
	{ "POST", "/api/v1/contacts/{id}/photos", h_photo_add, "contact.write", ROUTE_RAW | ROUTE_LARGE_BODY },
	{ "GET", "/api/v1/contacts/{id}/photos/{sha}", h_photo_get, "contact.read", 0 },
};

ROUTE_TABLE(contact_routes, "contacts", routes);
