/*
 * json.c: responses, RFC 9457 problem details, cursor pagination and small
 * JSON field readers shared by every module's handlers.
 */
#include "http.h"

#include "db.h"

void resp_json(struct resp *w, int status, json_t *j)
{
	if (w->json)
		json_decref(w->json);
	w->status = status;
	w->json = j;
	if (!w->content_type)
		w->content_type = "application/json; charset=utf-8";
}

void resp_header(struct resp *w, const char *name, const char *value)
{
	if (w->nheaders >= ARRAY_SIZE(w->headers)) {
		fprintf(stderr, "zhilian: too many response headers, dropping %s\n", name);
		return;
	}
	w->headers[w->nheaders].name = xstrdup(name);
	w->headers[w->nheaders].value = xstrdup(value);
	w->nheaders++;
}

void resp_created(struct resp *w, json_t *j, const char *location)
{
	resp_json(w, 201, j);
	if (location)
		resp_header(w, "Location", location);
}

void resp_raw(struct resp *w, int status, const char *content_type, const void *data, size_t len)
{
	w->status = status;
	w->content_type = content_type;
	buf_reset(&w->body);
	buf_add(&w->body, data, len);
}

void resp_no_content(struct resp *w)
{
	w->status = 204;
}

json_t *problem_json(int code, const struct ctx *c, const char *instance)
{
	const struct zl_error_info *e = zl_error_info(code);
	int en = c && c->lang == LANG_EN;
	char type[128];
	const char *detail;
	json_t *o = json_object();

	snprintf(type, sizeof(type), "urn:zhilian:problem:%s", e->name);
	detail = en ? (c && c->detail_en ? c->detail_en : e->en) : (c && c->detail_zh ? c->detail_zh : e->zh);
	json_object_set_new(o, "type", json_string(type));
	json_object_set_new(o, "title", json_string(en ? e->en : e->zh));
	json_object_set_new(o, "status", json_integer(e->http_status));
	json_object_set_new(o, "detail", json_string(detail));
	json_object_set_new(o, "code", json_string(e->name));
	if (instance)
		json_object_set_new(o, "instance", json_string(instance));
	if (c && c->request_id)
		json_object_set_new(o, "request_id", json_string(c->request_id));
	if (c && c->errs.n) {
		json_t *arr = json_array();
		for (size_t i = 0; i < c->errs.n; i++)
			json_array_append_new(arr, json_pack("{s:s,s:s}", "field", c->errs.items[i].field,
							     "message", en ? c->errs.items[i].en : c->errs.items[i].zh));
		json_object_set_new(o, "errors", arr);
	}
	return o;
}

void resp_problem(struct resp *w, int code, const struct ctx *c, const char *instance)
{
	const struct zl_error_info *e = zl_error_info(code);
	resp_json(w, e->http_status, problem_json(code, c, instance));
	w->content_type = "application/problem+json; charset=utf-8";
}

char *cursor_encode(int64_t v)
{
	char tmp[32];
	snprintf(tmp, sizeof(tmp), "c%" PRId64, v);
	return b64url_new((const unsigned char *)tmp, strlen(tmp));
}

int cursor_decode(const char *s, int64_t *v)
{
	/* the inverse of b64url_new for the short strings cursor_encode makes */
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char out[48];
	size_t n = 0, len = strlen(s);
	unsigned acc = 0;
	int bits = 0;
	if (len == 0 || len > 60)
		return -1;
	for (size_t i = 0; i < len; i++) {
		const char *p = strchr(tab, s[i]);
		if (!p || !s[i])
			return -1;
		acc = (acc << 6) | (unsigned)(p - tab);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	out[n] = '\0';
	if (out[0] != 'c' || parse_int64((const char *)out + 1, v) || *v < 0)
		return -1;
	return 0;
}

json_t *page_result(json_t *items, int64_t next)
{
	json_t *o = json_object();
	json_object_set_new(o, "items", items);
	if (next > 0) {
		char *c = cursor_encode(next);
		json_object_set_new(o, "next_cursor", json_string(c));
		free(c);
	} else {
		json_object_set_new(o, "next_cursor", json_null());
	}
	return o;
}

void verr_required(struct ctx *c, const char *field)
{
	/* the field is named beside the message (errors[].field), and pages show
	 * the message under their own label: no need to repeat the API name */
	verr_add(&c->errs, field, "此项必须填写", "required");
}

int json_opt_string(struct ctx *c, const json_t *o, const char *field, const char **out)
{
	json_t *v = o ? json_object_get(o, field) : NULL;
	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		verr_add(&c->errs, field, "此项应为文本", "must be a string");
		return ZL_E_VALIDATION;
	}
	*out = json_string_value(v);
	return 0;
}

int json_req_string(struct ctx *c, const json_t *o, const char *field, const char **out)
{
	int rc = json_opt_string(c, o, field, out);
	if (rc)
		return rc;
	if (!*out || !**out) {
		verr_required(c, field);
		return ZL_E_VALIDATION;
	}
	return 0;
}

int page_collect(struct db_stmt *st, int limit, json_t *(*row)(struct db_stmt *), json_t **items, int64_t *next)
{
	int n = 0, rc;
	int64_t last = 0;
	*items = json_array();
	*next = 0;
	while ((rc = db_step(st)) == 1) {
		if (n == limit) {
			*next = last;
			break;
		}
		last = db_col_int(st, 0);
		json_array_append_new(*items, row(st));
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

int resp_result(struct resp *w, int rc, int status, json_t *out)
{
	if (rc) {
		json_decref(out);
		return rc;
	}
	resp_json(w, status, out);
	return 0;
}

void resp_created_id(struct resp *w, json_t *out, const char *prefix)
{
	char *loc = xasprintf("%s%" JSON_INTEGER_FORMAT, prefix, json_integer_value(json_object_get(out, "id")));
	resp_created(w, out, loc);
	free(loc);
}
