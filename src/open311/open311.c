/*
 * open311.c: Open311 GeoReport v2 under /open311/v2/: discovery, services
 * (one per active appeal category), service definitions (a "village"
 * attribute), POST requests (an appeal with channel 'open311'), GET requests,
 * one request, tokens; every answer in JSON and XML (libxml2) built from one
 * JSON value, errors as the spec's [{code, description}]; every request audited.
 */
#include <inttypes.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "open311_int.h"
#include "appeals/appeals.h"
#include "households/pii.h"
#include "platform/audit.h"
#include "platform/clock.h"
#include "platform/db.h"

#define MAX_REQUESTS 1000
#define DEFAULT_DAYS 90
#define MAX_DESCRIPTION 4000

/* One Open311 call: the format, the answer (or the error) and what the
 * audit row records. */
struct o311 {
	struct req *r;
	int xml;
	int status;          /* 200 unless an error */
	json_t *body;        /* the answer (owned) */
	const char *root;    /* its XML root element */
	int64_t key_id;      /* the API key used, 0 if none */
	char rid[24];        /* the service_request_id touched, for the audit */
	char token[40];      /* a new request's token (X-Open311-Token) */
};

/* Sets the spec's error answer: [{code, description}]. Returns 1. */
static int o_error(struct o311 *o, int status, const char *description)
{
	json_decref(o->body);
	o->status = status;
	o->root = "errors";
	o->body = json_pack("[{s:i,s:s}]", "code", status, "description", description);
	return 1;
}

/* ---- output: JSON as is, XML by the spec's element names ---- */

static const char *item_name(const char *list)
{
	static const char *const map[][2] = {
		{ "services", "service" }, { "service_requests", "request" }, { "attributes", "attribute" },
		{ "values", "value" }, { "endpoints", "endpoint" }, { "formats", "format" }, { "errors", "error" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (!strcmp(map[i][0], list))
			return map[i][1];
	return "item";
}

static void xml_add(xmlNodePtr parent, const char *name, json_t *v)
{
	char num[64];
	const char *key;
	json_t *x;
	size_t i;
	xmlNodePtr node;
	switch (json_typeof(v)) {
	case JSON_ARRAY:
		node = xmlNewChild(parent, NULL, BAD_CAST name, NULL);
		json_array_foreach(v, i, x)
			xml_add(node, item_name(name), x);
		return;
	case JSON_OBJECT:
		node = xmlNewChild(parent, NULL, BAD_CAST name, NULL);
		json_object_foreach(v, key, x)
			xml_add(node, key, x);
		return;
	case JSON_STRING:
		xmlNewTextChild(parent, NULL, BAD_CAST name, BAD_CAST json_string_value(v));
		return;
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		snprintf(num, sizeof(num), "%.7g", json_real_value(v));
		break;
	case JSON_TRUE:
		snprintf(num, sizeof(num), "true");
		break;
	case JSON_FALSE:
		snprintf(num, sizeof(num), "false");
		break;
	default:
		num[0] = '\0';
	}
	xmlNewTextChild(parent, NULL, BAD_CAST name, BAD_CAST num);
}

static void o_write(struct o311 *o, struct resp *w)
{
	if (!o->xml) {
		char *s = json_dumps(o->body, JSON_ENCODE_ANY | JSON_COMPACT);
		resp_raw(w, o->status, "application/json; charset=utf-8", s, strlen(s));
		free(s);
		return;
	}
	xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNodePtr root = xmlNewNode(NULL, BAD_CAST o->root);
	xmlChar *mem = NULL;
	int len = 0;
	const char *key;
	json_t *x;
	size_t i;
	xmlDocSetRootElement(doc, root);
	if (json_is_array(o->body)) {
		json_array_foreach(o->body, i, x)
			xml_add(root, item_name(o->root), x);
	} else {
		json_object_foreach(o->body, key, x)
			xml_add(root, key, x);
	}
	xmlDocDumpFormatMemoryEnc(doc, &mem, &len, "UTF-8", 1);
	resp_raw(w, o->status, "text/xml; charset=utf-8", mem, (size_t)len);
	xmlFree(mem);
	xmlFreeDoc(doc);
}

/* ---- shared look-ups ---- */

static json_t *text_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* The town the server answers for: the first active town. */
static int town_of(struct db *db, char **code)
{
	int rc = db_get_text(db, code, "SELECT code FROM region WHERE level = 'town' AND retired_at IS NULL "
				       "ORDER BY code LIMIT 1", "");
	return rc == 1 ? 0 : rc < 0 ? rc : ZL_E_NOT_FOUND;
}

#define VILLAGES_SQL \
	"SELECT v.code, v.name FROM region v JOIN region t ON t.code = ? WHERE v.level = 'village' " \
	"AND v.retired_at IS NULL AND v.path LIKE t.path || '%' ORDER BY v.code"

/* The villages of the town as the attribute's values [{key, name}]. */
static int village_values(struct db *db, const char *town, json_t **out)
{
	struct db_stmt *st;
	int rc = db_prepare(db, VILLAGES_SQL, &st);
	if (rc)
		return rc;
	db_bindv(st, "t", town);
	*out = json_array();
	while ((rc = db_step(st)) == 1)
		json_array_append_new(*out, json_pack("{s:s,s:s}", "key", db_col_text(st, 0), "name", db_col_text(st, 1)));
	db_done(st);
	return rc < 0 ? rc : 0;
}

/* An active category by its service_code: 1 and its name, 0 if none. */
static int service_find(struct db *db, const char *code, int64_t *id, char **name)
{
	if (!code || parse_int64(code, id) || *id <= 0)
		return 0;
	int rc = db_get_text(db, name, "SELECT name FROM appeal_category WHERE id = ? AND retired_at IS NULL", "i", *id);
	return rc < 0 ? rc : rc == 1;
}

/* ---- discovery, services, service definitions ---- */

static int do_discovery(struct o311 *o)
{
	char base[256];
	const char *host = req_header(o->r, "Host");
	snprintf(base, sizeof(base), "http://%s/open311/v2/", host ? host : "localhost");
	o->root = "discovery";
	o->body = json_pack("{s:s,s:s,s:s,s:[{s:s,s:s,s:s,s:s,s:[s,s]}]}", "changeset", "2026-11-26T00:00:00+08:00",
			    "contact", "镇党政办公室 (the town office): see the town's web site",
			    "key_service", "ask the town's administrator for an API key (zhilian apikey add NAME)",
			    "endpoints", "specification", "http://wiki.open311.org/GeoReport_v2", "url", base,
			    "changeset", "2026-11-26T00:00:00+08:00", "type", "production", "formats", "text/xml",
			    "application/json");
	return 0;
}

static int do_services(struct o311 *o)
{
	struct db_stmt *st;
	int rc = db_prepare(o->r->ctx.db,
			    "SELECT c.id, c.name, c.name_en, COALESCE(p.name, c.name) FROM appeal_category c "
			    "LEFT JOIN appeal_category p ON p.id = c.parent_id WHERE c.retired_at IS NULL "
			    "ORDER BY COALESCE(p.sort, c.sort), c.parent_id IS NOT NULL, c.sort, c.id", &st);
	if (rc)
		return rc;
	o->root = "services";
	o->body = json_array();
	while ((rc = db_step(st)) == 1) {
		char code[24];
		const char *en = db_col_text(st, 2);
		snprintf(code, sizeof(code), "%" PRId64, db_col_int(st, 0));
		json_array_append_new(o->body, json_pack("{s:s,s:s,s:s,s:b,s:s,s:s,s:s}", "service_code", code,
							 "service_name", db_col_text(st, 1), "description",
							 en ? en : db_col_text(st, 1), "metadata", 1, "type",
							 "realtime", "keywords", en ? en : "", "group",
							 db_col_text(st, 3)));
	}
	db_done(st);
	return rc < 0 ? rc : 0;
}

static int do_definition(struct o311 *o)
{
	const char *code = req_param(o->r, "service_code");
	char *name = NULL, *town = NULL;
	json_t *values = NULL;
	int64_t id;
	int rc = service_find(o->r->ctx.db, code, &id, &name);
	free(name);
	if (rc <= 0)
		return rc < 0 ? rc : o_error(o, 404, "service_code was not found");
	if ((rc = town_of(o->r->ctx.db, &town)) || (rc = village_values(o->r->ctx.db, town, &values))) {
		free(town);
		return rc;
	}
	free(town);
	o->root = "service_definition";
	o->body = json_pack("{s:s,s:[{s:b,s:s,s:s,s:b,s:s,s:i,s:s,s:o}]}", "service_code", code, "attributes",
			    "variable", 1, "code", "village", "datatype", "singlevaluelist", "required", 0,
			    "datatype_description", "村代码：诉求交给哪个村 (the village code the appeal goes to)",
			    "order", 1, "description", "所在村 (village)", "values", values);
	return 0;
}

/* ---- service requests as Open311 sees them ---- */

/* Appeals filed through Open311 or that their residents let be public. */
#define REQ_SQL \
	"SELECT a.receipt_code, CASE WHEN a.state IN ('rejected', 'resolved', 'closed') THEN 'closed' ELSE 'open' END, " \
	"(SELECT COALESCE(json_extract(e.payload_json, '$.resolution'), json_extract(e.payload_json, '$.reason')) " \
	" FROM appeal_event e WHERE e.appeal_id = a.id AND e.action IN ('resolve', 'reject', 'wait_resident') " \
	" ORDER BY e.id DESC LIMIT 1), " \
	"c.name, a.category_id, a.description, d.name, a.accept_amount, a.accept_unit, a.created_at, a.updated_at, " \
	"COALESCE(a.due_at, a.accept_due_at), COALESCE(o.address_string, rg.name), o.address_id, o.lat, o.lng, " \
	"o.media_url FROM appeal a JOIN appeal_category c ON c.id = a.category_id " \
	"JOIN region rg ON rg.code = a.village_code LEFT JOIN department d ON d.id = a.department_id " \
	"LEFT JOIN open311_request o ON o.appeal_id = a.id WHERE (a.channel = 'open311' OR a.public_consent = 1)"

static json_t *notice(int64_t amount, const char *unit)
{
	static const char *const zh[] = { "个工作小时", "个工作日", "小时", "天" };
	int u = sla_unit_parse(unit);
	char *s = xasprintf("将在 %" PRId64 " %s内受理 (accepted or rejected within %" PRId64 " %s)", amount,
			    u >= 0 ? zh[u] : "", amount, u >= 0 ? sla_unit_name((enum sla_unit)u) : "");
	json_t *j = json_string(s);
	free(s);
	return j;
}

static json_t *num_or_null(struct db_stmt *st, int col)
{
	return db_col_isnull(st, col) ? json_null() : json_real(db_col_double(st, col));
}

static json_t *request_row(struct db_stmt *st)
{
	char code[24];
	snprintf(code, sizeof(code), "%" PRId64, db_col_int(st, 4));
	return json_pack("{s:s,s:s,s:o,s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "service_request_id",
			 db_col_text(st, 0), "status", db_col_text(st, 1), "status_notes",
			 text_or_null(db_col_text(st, 2)), "service_name", db_col_text(st, 3), "service_code", code,
			 "description", db_col_text(st, 5), "agency_responsible", text_or_null(db_col_text(st, 6)),
			 "service_notice", notice(db_col_int(st, 7), db_col_text(st, 8)), "requested_datetime",
			 o311_local_time(db_col_text(st, 9)), "updated_datetime", o311_local_time(db_col_text(st, 10)),
			 "expected_datetime", o311_local_time(db_col_text(st, 11)), "address",
			 text_or_null(db_col_text(st, 12)), "address_id", text_or_null(db_col_text(st, 13)), "zipcode",
			 json_null(), "lat", num_or_null(st, 14), "long", num_or_null(st, 15), "media_url",
			 text_or_null(db_col_text(st, 16)));
}

/* Runs REQ_SQL with the extra conditions in sql and the binds of fill. */
static int requests_query(struct o311 *o, struct buf *sql, void (*bind)(struct db_stmt *, void *), void *arg)
{
	struct db_stmt *st;
	int rc = db_prepare(o->r->ctx.db, sql->data, &st);
	if (rc)
		return rc;
	bind(st, arg);
	o->root = "service_requests";
	o->body = json_array();
	while ((rc = db_step(st)) == 1)
		json_array_append_new(o->body, request_row(st));
	db_done(st);
	return rc < 0 ? rc : 0;
}

struct list_args {
	char *ids[MAX_REQUESTS];
	size_t nids;
	int64_t service;
	char start[ZL_TIME_MAX], end[ZL_TIME_MAX];
	int open, closed;
};

static void list_bind(struct db_stmt *st, void *p)
{
	struct list_args *a = p;
	int i = 1;
	if (a->nids) {
		for (size_t k = 0; k < a->nids; k++)
			db_bind_text(st, i++, a->ids[k]);
		return;
	}
	db_bind_text(st, i++, a->start);
	db_bind_text(st, i++, a->end);
	if (a->service)
		db_bind_int(st, i++, a->service);
}

static int time_arg(struct o311 *o, const char *name, char out[ZL_TIME_MAX], int64_t *us)
{
	const char *v = req_query(o->r, name);
	if (!v || !*v)
		return 0;
	if (time_parse(v, us)) {
		char *d = xasprintf("%s must be an ISO 8601 date and time with an offset", name);
		o_error(o, 400, d);
		free(d);
		return 1;
	}
	time_format_utc(*us, out);
	return 0;
}

static int do_list(struct o311 *o)
{
	struct list_args a;
	struct buf sql;
	const char *ids = req_query(o->r, "service_request_id"), *svc = req_query(o->r, "service_code");
	const char *status = req_query(o->r, "status");
	int64_t start = 0, end = 0;
	int rc;
	memset(&a, 0, sizeof(a));
	buf_init(&sql);
	buf_adds(&sql, REQ_SQL);
	if (ids && *ids) {
		char *copy = req_strdup(o->r, ids), *p = copy;
		while (p && *p && a.nids < MAX_REQUESTS) {
			char *comma = strchr(p, ',');
			if (comma)
				*comma = '\0';
			if (*p)
				a.ids[a.nids++] = p;
			p = comma ? comma + 1 : NULL;
		}
		buf_adds(&sql, " AND a.receipt_code IN (");
		for (size_t k = 0; k < a.nids; k++)
			buf_adds(&sql, k ? ", ?" : "?");
		buf_adds(&sql, ")");
	}
	if (!a.nids) {
		if (svc && *svc && (parse_int64(svc, &a.service) || a.service <= 0)) {
			buf_release(&sql);
			return o_error(o, 400, "service_code must be a service_code from services");
		}
		if (time_arg(o, "start_date", a.start, &start) || time_arg(o, "end_date", a.end, &end)) {
			buf_release(&sql);
			return 1;
		}
		if (!a.end[0]) {
			end = a.start[0] ? start + DEFAULT_DAYS * 86400 * USEC_PER_SEC : clock_now();
			time_format_utc(end, a.end);
		}
		if (!a.start[0])
			time_format_utc(end - DEFAULT_DAYS * 86400 * USEC_PER_SEC, a.start);
		if (end < start) {
			buf_release(&sql);
			return o_error(o, 400, "end_date must not be before start_date");
		}
		buf_adds(&sql, " AND a.created_at >= ? AND a.created_at <= ?");
		if (a.service)
			buf_adds(&sql, " AND a.category_id = ?");
		if (status && *status) {
			char *copy = req_strdup(o->r, status), *p = copy;
			while (p) {
				char *comma = strchr(p, ',');
				if (comma)
					*comma = '\0';
				if (!strcmp(p, "open"))
					a.open = 1;
				else if (!strcmp(p, "closed"))
					a.closed = 1;
				else {
					buf_release(&sql);
					return o_error(o, 400, "status must be open, closed or open,closed");
				}
				p = comma ? comma + 1 : NULL;
			}
			if (a.open != a.closed)
				buf_adds(&sql, a.open ? " AND a.state NOT IN ('rejected', 'resolved', 'closed')"
						      : " AND a.state IN ('rejected', 'resolved', 'closed')");
		}
	}
	buf_addf(&sql, " ORDER BY a.id DESC LIMIT %d", MAX_REQUESTS);
	rc = requests_query(o, &sql, list_bind, &a);
	buf_release(&sql);
	return rc;
}

static void one_bind(struct db_stmt *st, void *p)
{
	db_bind_text(st, 1, p);
}

static int do_one(struct o311 *o)
{
	const char *id = req_param(o->r, "id");
	struct buf sql;
	int rc;
	buf_init(&sql);
	buf_adds(&sql, REQ_SQL " AND a.receipt_code = ?");
	rc = requests_query(o, &sql, one_bind, (void *)id);
	buf_release(&sql);
	snprintf(o->rid, sizeof(o->rid), "%s", id ? id : "");
	if (!rc && json_array_size(o->body) == 0)
		return o_error(o, 404, "service_request_id was not found");
	return rc;
}

static int do_token(struct o311 *o)
{
	const char *token = req_param(o->r, "token");
	char *code = NULL;
	int rc = db_get_text(o->r->ctx.db, &code,
			     "SELECT a.receipt_code FROM open311_request o JOIN appeal a ON a.id = o.appeal_id WHERE o.token = ?",
			     "t", token);
	if (rc < 0)
		return rc;
	if (rc != 1)
		return o_error(o, 404, "token was not found");
	o->root = "service_requests";
	o->body = json_pack("[{s:s,s:s}]", "service_request_id", code, "token", token);
	snprintf(o->rid, sizeof(o->rid), "%s", code);
	free(code);
	return 0;
}

/* ---- POST requests: the form body ---- */

struct form {
	char *name[128], *value[128];
	size_t n;
};

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Percent-decodes s[0..n) with '+' as a space into request memory; NULL if
 * it holds a NUL. */
static char *form_decode(struct req *r, const char *s, size_t n)
{
	char *out = req_alloc(r, n + 1), *q = out;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+')
			*q++ = ' ';
		else if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			*q++ = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else
			*q++ = s[i];
	}
	*q = '\0';
	return strlen(out) == (size_t)(q - out) ? out : NULL;
}

/* 0, or 1 with the error answer set (too many fields, a NUL). */
static int form_parse(struct o311 *o, struct form *f)
{
	const char *p = o->r->body, *end = p + o->r->body_len;
	f->n = 0;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p)), *stop = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(stop - p));
		if (stop > p) {
			if (f->n == ARRAY_SIZE(f->name))
				return o_error(o, 400, "too many form fields");
			f->name[f->n] = form_decode(o->r, p, (size_t)((eq ? eq : stop) - p));
			f->value[f->n] = eq ? form_decode(o->r, eq + 1, (size_t)(stop - eq - 1)) : req_strdup(o->r, "");
			if (!f->name[f->n] || !f->value[f->n])
				return o_error(o, 400, "form fields must not hold NUL characters");
			f->n++;
		}
		p = stop + 1;
	}
	return 0;
}

static const char *form_get(const struct form *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->name[i], name))
			return f->value[i];
	return NULL;
}

static const char *field(struct o311 *o, const struct form *f, const char *name)
{
	const char *v = form_get(f, name);
	if (!v)
		v = req_query(o->r, name);
	return v && *v ? v : NULL;
}

/* Reads attribute[village] (or attribute[village][] with one value):
 * 0 with *village (NULL if not given), or 1 with the error set. */
static int attributes_read(struct o311 *o, const struct form *f, const json_t *values, const char **village)
{
	size_t count = 0;
	*village = NULL;
	for (size_t i = 0; i < f->n; i++) {
		const char *n = f->name[i];
		if (strncmp(n, "attribute[", 10))
			continue;
		const char *close = strchr(n + 10, ']');
		if (!close || (strcmp(close, "]") && strcmp(close, "][]")))
			return o_error(o, 400, "attribute names must be attribute[code] or attribute[code][]");
		if ((size_t)(close - n - 10) != strlen("village") || strncmp(n + 10, "village", 7)) {
			char *d = xasprintf("attribute[%.*s] is not an attribute of this service", (int)(close - n - 10), n + 10);
			o_error(o, 400, d);
			free(d);
			return 1;
		}
		if (++count > 1)
			return o_error(o, 400, "attribute[village] is a singlevaluelist: give one value");
		*village = f->value[i];
	}
	if (*village) {
		size_t i;
		json_t *v;
		json_array_foreach(values, i, v)
			if (!strcmp(json_string_value(json_object_get(v, "key")), *village))
				return 0;
		return o_error(o, 400, "attribute[village] must be one of the values in the service definition");
	}
	return 0;
}

static int coord(const char *s, double lim, double *out)
{
	char *end;
	if (!s)
		return -1;
	*out = strtod(s, &end);
	return (*end || end == s || !isfinite(*out) || fabs(*out) > lim) ? -1 : 0;
}

/* The village an appeal without attribute[village] goes to: the village of
 * the nearest household with coordinates, else the town's first village. */
static int village_for(struct db *db, const char *town, int has_coords, double lat, double lng,
		       const json_t *values, char **out)
{
	int rc = 0;
	*out = NULL;
	if (has_coords) {
		rc = db_get_text(db, out,
				 "SELECT h.village_code FROM household h JOIN region v ON v.code = h.village_code "
				 "JOIN region t ON t.code = ? WHERE h.lat IS NOT NULL AND h.lng IS NOT NULL "
				 "AND v.retired_at IS NULL AND v.path LIKE t.path || '%' "
				 "ORDER BY (h.lat - ?) * (h.lat - ?) + (h.lng - ?) * (h.lng - ?) LIMIT 1",
				 "tdddd", town, lat, lat, lng, lng);
		if (rc < 0)
			return rc;
	}
	if (!*out && json_array_size(values))
		*out = xstrdup(json_string_value(json_object_get(json_array_get(values, 0), "key")));
	return *out ? 0 : ZL_E_NOT_FOUND;
}

/* A validation error from the appeal service as one description. */
static int from_service_error(struct o311 *o, int rc)
{
	struct buf d;
	if (rc != ZL_E_VALIDATION && rc != ZL_E_CATEGORY_RETIRED)
		return rc;
	buf_init(&d);
	if (rc == ZL_E_CATEGORY_RETIRED)
		buf_adds(&d, "service_code is retired");
	for (size_t i = 0; i < o->r->ctx.errs.n; i++)
		buf_addf(&d, "%s%s", i ? "; " : "", o->r->ctx.errs.items[i].en);
	o_error(o, 400, d.len ? d.data : "bad request");
	buf_release(&d);
	return 1;
}

static int do_post(struct o311 *o)
{
	struct ctx *c = &o->r->ctx;
	struct form f;
	const char *svc, *desc, *lat_s, *lng_s, *addr, *addr_id, *village = NULL, *phone, *first, *last;
	char *svc_name = NULL, *town = NULL, *chosen = NULL, mobile[12];
	json_t *values = NULL, *in = NULL, *out = NULL;
	double lat = 0, lng = 0;
	int64_t svc_id = 0, rate = 0, appeal_id;
	int rc, has_coords = 0;
	unsigned char rnd[16];

	if (form_parse(o, &f))
		return 1;
	if ((rc = apikey_check(c, field(o, &f, "api_key"), &o->key_id, &rate)) == ZL_E_FORBIDDEN)
		return o_error(o, 403, "api_key is missing, unknown or revoked");
	if (rc)
		return rc;
	if (apikey_rate_take(o->key_id, rate))
		return o_error(o, 429, "too many requests for this api_key: try again in a minute");
	svc = field(o, &f, "service_code");
	if (!svc)
		return o_error(o, 400, "service_code is required");
	if ((rc = service_find(c->db, svc, &svc_id, &svc_name)) <= 0)
		return rc < 0 ? rc : o_error(o, 404, "service_code was not found");
	lat_s = field(o, &f, "lat");
	lng_s = field(o, &f, "long");
	addr = field(o, &f, "address_string");
	addr_id = field(o, &f, "address_id");
	desc = field(o, &f, "description");
	rc = 1;
	if ((lat_s || lng_s) && (coord(lat_s, 90, &lat) || coord(lng_s, 180, &lng)))
		o_error(o, 400, "lat and long must both be given, as decimal degrees (WGS84)");
	else if (!lat_s && !addr && !addr_id)
		o_error(o, 400, "a location is required: lat and long, address_string or address_id");
	else if (desc && utf8_len(desc) > MAX_DESCRIPTION)
		o_error(o, 400, "description must be at most 4000 characters");
	else if (addr && utf8_len(addr) > 500)
		o_error(o, 400, "address_string must be at most 500 characters");
	else if (field(o, &f, "media_url") && strlen(field(o, &f, "media_url")) > 2000)
		o_error(o, 400, "media_url must be at most 2000 characters");
	else
		rc = 0;
	has_coords = lat_s != NULL;
	phone = field(o, &f, "phone");
	first = field(o, &f, "first_name");
	last = field(o, &f, "last_name");
	if (!rc && phone && pii_mobile_check(phone, mobile))
		rc = o_error(o, 400, "phone must be a mainland mobile number (11 digits)");
	if (!rc && ((rc = town_of(c->db, &town)) || (rc = village_values(c->db, town, &values))))
		goto out;
	if (!rc && !(rc = attributes_read(o, &f, values, &village)) && !village)
		rc = village_for(c->db, town, has_coords, lat, lng, values, &chosen);
	if (rc)
		goto out;
	if ((rc = scope_load(c->db, &c->actor, town)))
		goto out;
	in = json_pack("{s:s,s:I,s:s,s:s,s:s}", "village_code", village ? village : chosen, "category_id",
		       (json_int_t)svc_id, "title", svc_name, "description", desc ? desc : svc_name,
		       "channel", "open311");
	if (first || last) {
		char *name = xasprintf("%s%s", last ? last : "", first ? first : "");
		json_object_set_new(in, "submitter_name", json_string(name));
		free(name);
	}
	if (phone)
		json_object_set_new(in, "submitter_phone", json_string(mobile));
	if ((rc = appeal_create(c, in, &out))) {
		rc = from_service_error(o, rc);
		goto out;
	}
	appeal_id = json_integer_value(json_object_get(out, "id"));
	snprintf(o->rid, sizeof(o->rid), "%s", json_string_value(json_object_get(out, "receipt_code")));
	randombytes_buf(rnd, sizeof(rnd));
	hex_encode(rnd, sizeof(rnd), o->token);
	char now[ZL_TIME_MAX];
	time_format_utc(clock_now(), now);
	if ((rc = db_run(c->db, "INSERT INTO open311_request(appeal_id, token, key_id, service_code, lat, lng, "
				"address_string, address_id, media_url, account_id, created_at) "
				"VALUES (?, ?, ?, ?, NULLIF(?, 1000), NULLIF(?, 1000), ?, ?, ?, ?, ?)", "itit" "dd" "ttttt",
			 appeal_id, o->token, o->key_id, svc, has_coords ? lat : 1000.0, has_coords ? lng : 1000.0, addr, addr_id, field(o, &f, "media_url"), field(o, &f, "account_id"), now)))
		goto out;
	o->root = "service_requests";
	struct db_stmt *st;
	if ((rc = db_prepare(c->db, "SELECT accept_amount, accept_unit FROM appeal WHERE id = ?", &st)))
		goto out;
	db_bindv(st, "i", appeal_id);
	if ((rc = db_step(st)) == 1) {
		o->root = "service_requests";
		o->body = json_pack("[{s:s,s:o,s:o}]", "service_request_id", o->rid, "service_notice",
				    notice(db_col_int(st, 0), db_col_text(st, 1)), "account_id",
				    text_or_null(field(o, &f, "account_id")));
		rc = 0;
	} else if (rc == 0)
		rc = ZL_E_INTERNAL;
	db_done(st);
out:
	free(svc_name);
	free(town);
	free(chosen);
	json_decref(values);
	json_decref(in);
	json_decref(out);
	return rc;
}

/* ---- the wrapper: format, transaction, audit, answer ---- */

static int run(struct req *r, struct resp *w, int (*fn)(struct o311 *))
{
	struct o311 o;
	const char *fmt = req_param(r, "format");
	json_t *after;
	int rc;
	memset(&o, 0, sizeof(o));
	o.r = r;
	o.status = 200;
	o.xml = fmt && !strcmp(fmt, "xml");
	if ((rc = db_begin(r->ctx.db)))
		return rc;
	if (!fmt || (strcmp(fmt, "xml") && strcmp(fmt, "json")))
		rc = o_error(&o, 404, "the format must be json or xml");
	else
		rc = fn(&o);
	if (rc < 0) {
		json_decref(o.body);
		o.body = NULL;
		o_error(&o, zl_error_info(rc)->http_status >= 500 ? 500 : zl_error_info(rc)->http_status,
			zl_error_info(rc)->en);
	}
	if (o.status != 200) {
		db_rollback(r->ctx.db);
		if ((rc = db_begin(r->ctx.db))) {
			json_decref(o.body);
			return rc;
		}
		o.token[0] = '\0';
	}
	after = json_pack("{s:s,s:s,s:i,s:o,s:s}", "method", r->method, "path", r->path, "status", o.status,
			  "api_key_id", o.key_id ? json_integer(o.key_id) : json_null(), "service_request_id", o.rid);
	rc = audit_log(&r->ctx, "open311.request", "open311", o.rid[0] ? o.rid : "-", NULL, after);
	json_decref(after);
	if (!rc)
		rc = db_commit(r->ctx.db);
	if (rc) {
		db_rollback(r->ctx.db);
		json_decref(o.body);
		return rc;
	}
	if (o.token[0])
		resp_header(w, "X-Open311-Token", o.token);
	o_write(&o, w);
	json_decref(o.body);
	return 0;
}

#define HANDLER(name, fn) \
	static int name(struct req *r, struct resp *w) { return run(r, w, fn); }
HANDLER(h_discovery, do_discovery)
HANDLER(h_services, do_services)
HANDLER(h_definition, do_definition)
HANDLER(h_post, do_post)
HANDLER(h_list, do_list)
HANDLER(h_one, do_one)
HANDLER(h_token, do_token)

#define O311 ROUTE_PUBLIC | ROUTE_OWN_TX | ROUTE_NO_IDEM
static const struct route rows[] = {
	{ "GET", "/open311/v2/discovery.{format}", h_discovery, NULL, O311 },
	{ "GET", "/open311/v2/services.{format}", h_services, NULL, O311 },
	{ "GET", "/open311/v2/services/{service_code}.{format}", h_definition, NULL, O311 },
	{ "POST", "/open311/v2/requests.{format}", h_post, NULL, O311 | ROUTE_RAW },
	{ "GET", "/open311/v2/requests.{format}", h_list, NULL, O311 },
	{ "GET", "/open311/v2/requests/{id}.{format}", h_one, NULL, O311 },
	{ "GET", "/open311/v2/tokens/{token}.{format}", h_token, NULL, O311 },
	{ "GET", "/api/v1/apikeys", apikey_h_list, "apikey.read", 0 },
	{ "POST", "/api/v1/apikeys", apikey_h_create, "apikey.write", ROUTE_NO_IDEM },
	{ "DELETE", "/api/v1/apikeys/{id}", apikey_h_revoke, "apikey.write", 0 },
};
ROUTE_TABLE(open311_routes, "open311", rows);
