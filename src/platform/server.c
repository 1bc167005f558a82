/*
 * server.c: the HTTP server on libmicrohttpd (epoll, internal thread pool).
 * It owns the request life cycle: request id, body limits, routing,
 * authentication, permission, CSRF, one transaction per unsafe request,
 * Idempotency-Key, problem+json errors, security headers, the JSON log
 * line, metrics, static files from web/, /healthz and /metrics.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sodium.h>
#include <sys/socket.h>

#include "audit.h"
#include "auth.h"
#include "clock.h"
#include "http.h"
#include "metrics.h"

#define SECURITY_CSP                                                                       \
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " \
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "            \
	"form-action 'self'; frame-ancestors 'none'"

struct server {
	const struct server_opts *o;
	struct router *router;
	char *web_dir;
	int quiet;
};
static struct server srv;

/* ---- per-request memory ---- */
struct pool_item {
	struct pool_item *next;
	max_align_t data[];
};

void *req_alloc(struct req *r, size_t n)
{
	struct pool_item *it = xmalloc(sizeof(*it) + n);
	it->next = r->pool;
	r->pool = it;
	return it->data;
}

char *req_strdup(struct req *r, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = req_alloc(r, n);
	memcpy(p, s, n);
	return p;
}

static void pool_free(struct req *r)
{
	struct pool_item *it = r->pool, *next;
	for (; it; it = next) {
		next = it->next;
		free(it);
	}
	r->pool = NULL;
}

/* ---- request accessors ---- */
const char *req_param(struct req *r, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < r->match.nparams; i++)
		if (r->match.params[i].name_len == n && memcmp(r->match.params[i].name, name, n) == 0)
			return r->match.params[i].value;
	return NULL;
}

int req_param_id(struct req *r, const char *name, int64_t *out)
{
	const char *v = req_param(r, name);
	if (!v || parse_int64(v, out) || *out <= 0)
		return ZL_E_NOT_FOUND;
	return 0;
}

const char *req_query(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *req_header(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *req_cookie(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, name);
}

static int is_json_type(const char *ct)
{
	if (!ct)
		return 0;
	while (*ct == ' ')
		ct++;
	return strncasecmp(ct, "application/json", 16) == 0 &&
	       (ct[16] == '\0' || ct[16] == ';' || ct[16] == ' ');
}

int req_json(struct req *r, json_t **out)
{
	json_error_t err;
	*out = NULL;
	if (r->json) {
		*out = r->json;
		return 0;
	}
	if (!is_json_type(req_header(r, MHD_HTTP_HEADER_CONTENT_TYPE)))
		return ZL_E_MEDIA_TYPE;
	r->json = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &err);
	if (!r->json || !json_is_object(r->json)) {
		if (r->json) {
			json_decref(r->json);
			r->json = NULL;
		}
		ctx_detail(&r->ctx, "请求内容不是有效的 JSON 对象", "body is not a valid json object");
		return ZL_E_BAD_JSON;
	}
	*out = r->json;
	return 0;
}

int req_page(struct req *r, struct page *p)
{
	const char *l = req_query(r, "limit"), *c = req_query(r, "cursor");
	int64_t v;
	p->limit = 50;
	p->after = 0;
	if (l) {
		if (parse_int64(l, &v) || v < 1 || v > 500) {
			verr_add(&r->ctx.errs, "limit", "limit 应为 1 到 500 之间的整数",
				 "'limit' must be an integer from 1 to 500");
			return ZL_E_VALIDATION;
		}
		p->limit = (int)v;
	}
	if (c && *c) {
		if (cursor_decode(c, &v)) {
			verr_add(&r->ctx.errs, "cursor", "cursor 无效，请使用上一页返回的 next_cursor",
				 "'cursor' is invalid; use the next_cursor of the previous page");
			return ZL_E_VALIDATION;
		}
		p->after = v;
	}
	return 0;
}

/* ---- connection state ---- */
struct conn_state {
	struct req req;
	struct resp resp;
	struct buf body;
	int too_large;
	size_t limit; /* largest body this route takes */
	int64_t started;
};

static void state_free(struct conn_state *s)
{
	route_match_release(&s->req.match);
	if (s->req.json)
		json_decref(s->req.json);
	pool_free(&s->req);
	ctx_release(&s->req.ctx);
	if (s->resp.json)
		json_decref(s->resp.json);
	buf_release(&s->resp.body);
	for (size_t i = 0; i < s->resp.nheaders; i++) {
		free(s->resp.headers[i].name);
		free(s->resp.headers[i].value);
	}
	buf_release(&s->body);
	free(s);
}

static void client_addr(struct MHD_Connection *conn, char *out, size_t n)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	snprintf(out, n, "unknown");
	if (!ci || !ci->client_addr)
		return;
	if (ci->client_addr->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)ci->client_addr)->sin_addr,
			  out, (socklen_t)n);
	else if (ci->client_addr->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
			  &((const struct sockaddr_in6 *)(const void *)ci->client_addr)->sin6_addr,
			  out, (socklen_t)n);
}

static int is_unsafe(const char *m)
{
	return strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0 && strcmp(m, "OPTIONS") != 0;
}

/* ---- idempotency ---- */
struct idem {
	const char *key;
	char actor[64];
	char hash[65];
};

/* key is the request's Idempotency-Key header (NULL if none); only POSTs
 * are made idempotent. The stored hash covers the path and the body. */
static void idem_prepare(struct req *r, const char *key, struct idem *id)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_state st;
	id->key = strcmp(r->method, "POST") == 0 ? key : NULL;
	if (!id->key)
		return;
	if (r->ctx.actor.user_id)
		snprintf(id->actor, sizeof(id->actor), "u:%" PRId64, r->ctx.actor.user_id);
	else
		snprintf(id->actor, sizeof(id->actor), "a:%s", r->ctx.addr);
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)r->path, strlen(r->path) + 1);
	crypto_hash_sha256_update(&st, (const unsigned char *)r->body, r->body_len);
	crypto_hash_sha256_final(&st, h);
	hex_encode(h, sizeof(h), id->hash);
}

/* A reservation older than this belongs to a request that died. */
#define IDEM_PENDING_STALE_US (120 * USEC_PER_SEC)

/* 1 and w filled when a stored response was found, 0 when none, <0 error:
 * ZL_E_IDEM_MISMATCH for another body, ZL_E_IDEM_PENDING while the first
 * request with this key still runs (its row is reserved with status 0). */
static int idem_lookup(struct req *r, const struct idem *id, struct resp *w)
{
	struct db_stmt *st;
	int rc;
	if (!id->key)
		return 0;
	if (strlen(id->key) > 200) {
		verr_add(&r->ctx.errs, "Idempotency-Key", "幂等键不能超过 200 个字符",
			 "'Idempotency-Key' must be at most 200 characters");
		return ZL_E_VALIDATION;
	}
	rc = db_prepare(r->ctx.db,
			"SELECT body_hash, status, content_type, location, body, created_at "
			"FROM idempotency WHERE actor = ? AND idem_key = ?",
			&st);
	if (rc)
		return rc;
	db_bindv(st, "tt", id->actor, id->key);
	rc = db_step(st);
	if (rc == 1) {
		size_t n = 0;
		const void *body;
		int64_t created = 0;
		if (strcmp(db_col_text(st, 0), id->hash) != 0) {
			db_done(st);
			return ZL_E_IDEM_MISMATCH;
		}
		if (db_col_int(st, 1) == 0) {
			int stale = time_parse(db_col_text(st, 5), &created) == 0 &&
				    clock_now() - created > IDEM_PENDING_STALE_US;
			db_done(st);
			if (!stale)
				return ZL_E_IDEM_PENDING;
			rc = db_run(r->ctx.db, "DELETE FROM idempotency WHERE actor = ? AND idem_key = ?",
				    "tt", id->actor, id->key);
			return rc < 0 ? rc : 0;
		}
		body = db_col_blob(st, 4, &n);
		resp_raw(w, (int)db_col_int(st, 1), NULL, body, n);
		w->content_type = db_col_isnull(st, 2) ? NULL : req_strdup(r, db_col_text(st, 2));
		if (!db_col_isnull(st, 3))
			resp_header(w, "Location", db_col_text(st, 3));
		resp_header(w, "Idempotency-Replayed", "true");
	}
	db_done(st);
	return rc;
}

static const char *resp_header_value(const struct resp *w, const char *name)
{
	for (size_t i = 0; i < w->nheaders; i++)
		if (strcasecmp(w->headers[i].name, name) == 0)
			return w->headers[i].value;
	return NULL;
}

static const char *resp_location(const struct resp *w)
{
	return resp_header_value(w, "Location");
}

/* A handler that sets its own Cache-Control (a photo: private) keeps it;
 * every other API answer is no-store. */
static int resp_has_header(const struct resp *w, const char *name)
{
	return resp_header_value(w, name) != NULL;
}

/* Serialises the JSON body (if any) into w->body so it can be stored. */
static void resp_finish_body(struct resp *w)
{
	if (w->json) {
		char *s = json_dumps(w->json, JSON_COMPACT);
		buf_reset(&w->body);
		buf_adds(&w->body, s ? s : "null");
		free(s);
		json_decref(w->json);
		w->json = NULL;
	}
}

/* Reserves the key (status 0) for a route that commits its own changes, so
 * that a concurrent retry waits for the answer instead of running twice. */
static int idem_reserve(struct req *r, const struct idem *id, struct resp *w)
{
	char now[ZL_TIME_MAX];
	int rc = db_begin(r->ctx.db), found;
	if (rc)
		return rc;
	found = idem_lookup(r, id, w);
	if (found) {
		db_rollback(r->ctx.db);
		return found;
	}
	time_format_utc(clock_now(), now);
	rc = db_run(r->ctx.db,
		    "INSERT INTO idempotency(actor, idem_key, method, path, body_hash, status, created_at) "
		    "VALUES (?,?,?,?,?,0,?)",
		    "tttttt", id->actor, id->key, r->method, r->path, id->hash, now);
	if (!rc)
		rc = db_commit(r->ctx.db);
	if (rc)
		db_rollback(r->ctx.db);
	return rc;
}

/* Completes a reservation with the answer, or releases it when the request
 * failed (a retry may then try again). */
static void idem_complete(struct req *r, const struct idem *id, struct resp *w, int ok)
{
	int rc = db_begin(r->ctx.db);
	if (rc)
		goto fail;
	if (ok) {
		resp_finish_body(w);
		rc = db_run(r->ctx.db,
			    "UPDATE idempotency SET status = ?, content_type = ?, location = ?, body = ? "
			    "WHERE actor = ? AND idem_key = ?",
			    "ittbtt", (int64_t)w->status, w->content_type, resp_location(w), w->body.data,
			    w->body.len, id->actor, id->key);
	} else {
		rc = db_run(r->ctx.db, "DELETE FROM idempotency WHERE actor = ? AND idem_key = ?", "tt",
			    id->actor, id->key);
	}
	if (!rc)
		rc = db_commit(r->ctx.db);
	if (!rc)
		return;
	db_rollback(r->ctx.db);
fail:
	fprintf(stderr, "zhilian: could not complete idempotency key for request %s: %s\n",
		r->request_id, zl_error_info(rc)->name);
}

static int idem_store(struct req *r, const struct idem *id, struct resp *w)
{
	char now[ZL_TIME_MAX];
	struct db_stmt *st;
	int rc;
	if (!id->key)
		return 0;
	resp_finish_body(w);
	time_format_utc(clock_now(), now);
	rc = db_prepare(r->ctx.db,
			"INSERT INTO idempotency(actor, idem_key, method, path, body_hash, status, "
			"content_type, location, body, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
			&st);
	if (rc)
		return rc;
	db_bindv(st, "tttttittbt", id->actor, id->key, r->method, r->path, id->hash,
		 (int64_t)w->status, w->content_type, resp_location(w), w->body.data, w->body.len, now);
	rc = db_step(st);
	db_done(st);
	return rc < 0 ? rc : 0;
}

/* ---- dispatch ---- */
/* Unsafe methods under a cookie session must echo the session's CSRF token;
 * bearer tokens are not sent by browsers on their own, so they need none. */
static int csrf_ok(const char *method, int via_cookie, const char *got, const char *expected)
{
	if (!is_unsafe(method) || !via_cookie)
		return 1;
	return got && expected && expected[0] && str_ct_eq(got, expected);
}

static int run_handler(struct req *r, struct resp *w)
{
	const struct route *rt = r->route;
	struct idem id = { 0 };
	int unsafe = is_unsafe(r->method), rc, found;

	if (!r->ctx.db)
		return ZL_E_BUSY;
	idem_prepare(r, (rt->flags & ROUTE_NO_IDEM) ? NULL : req_header(r, "Idempotency-Key"), &id);
	if (!unsafe || (rt->flags & ROUTE_OWN_TX)) {
		if (id.key) {
			rc = idem_reserve(r, &id, w);
			if (rc)
				return rc < 0 ? rc : 0;
		}
		rc = rt->handler(r, w);
		if (db_in_tx(r->ctx.db))
			db_rollback(r->ctx.db);
		if (id.key)
			idem_complete(r, &id, w, rc == 0 && w->status < 500);
		return rc;
	}
	rc = db_begin(r->ctx.db);
	if (rc)
		return rc;
	found = idem_lookup(r, &id, w);
	if (found) {
		db_rollback(r->ctx.db);
		return found < 0 ? found : 0;
	}
	rc = rt->handler(r, w);
	if (rc == 0 && w->status < 500)
		rc = idem_store(r, &id, w);
	if (rc == 0)
		rc = db_commit(r->ctx.db);
	if (rc)
		db_rollback(r->ctx.db);
	return rc;
}

static int dispatch(struct req *r, struct resp *w)
{
	const struct route *rt;
	char csrf[AUTH_CSRF_MAX + 1] = "";
	int rc, arc;

	rc = r->match_rc; /* matched when the request arrived, to size its body limit */
	if (rc == ZL_E_METHOD) {
		resp_header(w, "Allow", r->match.allow);
		return rc;
	}
	if (rc)
		return rc;
	rt = r->route = r->match.route;
	arc = auth_resolve(&r->ctx, req_cookie(r, AUTH_COOKIE), req_header(r, "Authorization"),
			   &r->via_cookie, csrf);
	if (arc) {
		memset(&r->ctx.actor, 0, sizeof(r->ctx.actor));
		r->via_cookie = 0;
		if (!(rt->flags & ROUTE_PUBLIC))
			return arc == ZL_E_AUTH_EXPIRED ? arc : ZL_E_UNAUTHENTICATED;
	}
	if (!(rt->flags & ROUTE_PUBLIC)) {
		if (r->ctx.actor.must_change_password && !(rt->flags & ROUTE_SELF))
			return ZL_E_AUTH_MUST_CHANGE;
		if (rt->perm && !perm_allows(r->ctx.actor.role, rt->perm))
			return ZL_E_FORBIDDEN;
	}
	/* public routes do not act as the cookie's user (signing in again with a
	 * live session is allowed), so only the others need the token */
	if (!(rt->flags & ROUTE_PUBLIC) &&
	    !csrf_ok(r->method, r->via_cookie, req_header(r, "X-CSRF-Token"), csrf))
		return ZL_E_CSRF;
	return run_handler(r, w);
}

/* ---- static files ---- */
static const char *mime_type(const char *path)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".mjs", "text/javascript; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".json", "application/json; charset=utf-8" },
		{ ".webmanifest", "application/manifest+json" },
		{ ".svg", "image/svg+xml" },
		{ ".png", "image/png" },
		{ ".jpg", "image/jpeg" },
		{ ".ico", "image/x-icon" },
		{ ".woff2", "font/woff2" },
		{ ".txt", "text/plain; charset=utf-8" },
		{ ".yaml", "application/yaml; charset=utf-8" },
	};
	const char *dot = strrchr(path, '.');
	for (size_t i = 0; dot && i < ARRAY_SIZE(types); i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return "application/octet-stream";
}

/* Returns 0 with w set up to stream the file, ZL_E_NOT_FOUND otherwise. */
static int static_file(struct req *r, struct resp *w)
{
	struct buf path = BUF_INIT;
	struct stat sb;
	char etag[64];
	const char *inm;
	int rc = ZL_E_NOT_FOUND;

	if (!srv.web_dir || strstr(r->path, "..") || strstr(r->path, "//") || strchr(r->path, '\\'))
		return ZL_E_NOT_FOUND;
	buf_addf(&path, "%s%s", srv.web_dir, r->path);
	if (r->path[strlen(r->path) - 1] == '/')
		buf_adds(&path, "index.html");
	if (stat(path.data, &sb) || !S_ISREG(sb.st_mode))
		goto out;
	snprintf(etag, sizeof(etag), "\"%llx-%llx\"", (unsigned long long)sb.st_mtime,
		 (unsigned long long)sb.st_size);
	resp_header(w, "ETag", etag);
	/* pages change with releases: always revalidate; the ETag makes it cheap */
	resp_header(w, "Cache-Control", "no-cache");
	inm = req_header(r, "If-None-Match");
	w->content_type = mime_type(path.data);
	if (inm && strcmp(inm, etag) == 0) {
		w->status = 304;
	} else {
		w->status = 200;
		w->file_path = req_strdup(r, path.data);
	}
	rc = 0;
out:
	buf_release(&path);
	return rc;
}

/* ---- the libmicrohttpd callbacks ---- */
static void add_common_headers(struct MHD_Response *mr, const struct req *r, int no_store)
{
	MHD_add_response_header(mr, "X-Request-Id", r->request_id);
	MHD_add_response_header(mr, "Content-Security-Policy", SECURITY_CSP);
	MHD_add_response_header(mr, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(mr, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(mr, "X-Frame-Options", "DENY");
	if (no_store)
		MHD_add_response_header(mr, "Cache-Control", "no-store");
}

static void log_line(const struct req *r, int status, int64_t dur_us)
{
	char now[ZL_TIME_MAX];
	json_t *o;
	char *s;
	if (srv.quiet && status < 500)
		return;
	time_format_local(clock_now(), now);
	o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:f,s:s}", "time", now, "request_id", r->request_id,
		      "method", r->method, "route", r->route ? r->route->pattern : "-", "path",
		      r->path, "status", status, "duration_ms", (double)dur_us / 1000.0, "user",
		      r->ctx.actor.user_id ? r->ctx.actor.username : "-");
	s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6));
	fprintf(stderr, "%s\n", s);
	free(s);
	json_decref(o);
}

static enum MHD_Result respond(struct MHD_Connection *conn, struct conn_state *s)
{
	struct req *r = &s->req;
	struct resp *w = &s->resp;
	struct MHD_Response *mr = NULL;
	int is_api = strncmp(r->path, "/api/", 5) == 0;
	enum MHD_Result ret;

	if (w->file_path) {
		int fd = open(w->file_path, O_RDONLY | O_CLOEXEC);
		struct stat sb;
		if (fd >= 0 && fstat(fd, &sb) == 0) {
			mr = MHD_create_response_from_fd((uint64_t)sb.st_size, fd);
		} else {
			if (fd >= 0)
				close(fd);
			w->file_path = NULL;
			resp_problem(w, ZL_E_NOT_FOUND, &r->ctx, r->path);
		}
	}
	if (!mr) {
		size_t len;
		char *body;
		resp_finish_body(w);
		body = buf_detach(&w->body, &len);
		mr = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	}
	if (!mr)
		return MHD_NO;
	add_common_headers(mr, r, is_api && !resp_has_header(w, "Cache-Control"));
	if (w->content_type && w->status != 204 && w->status != 304)
		MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, w->content_type);
	for (size_t i = 0; i < w->nheaders; i++)
		MHD_add_response_header(mr, w->headers[i].name, w->headers[i].value);
	ret = MHD_queue_response(conn, (unsigned)w->status, mr);
	MHD_destroy_response(mr);
	{
		int64_t dur = clock_mono_us() - s->started;
		metrics_request(r->method, r->route ? r->route->pattern : (w->file_path ? "static" : "unmatched"),
				w->status, dur);
		log_line(r, w->status, dur);
	}
	return ret;
}

static void new_request_id(char out[40])
{
	static uint64_t counter;
	uint64_t n = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
	uint32_t rnd = randombytes_random();
	snprintf(out, 40, "%08x%06" PRIx64 "%08" PRIx64, rnd, n & 0xffffff,
		 (uint64_t)clock_mono_us() & 0xffffffff);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_size, void **con_cls)
{
	struct conn_state *s = *con_cls;
	UNUSED(cls);
	UNUSED(version);

	if (!s) {
		const char *cl;
		char addr[INET6_ADDRSTRLEN + 1];
		s = xcalloc(1, sizeof(*s));
		s->started = clock_mono_us();
		buf_init(&s->body);
		buf_init(&s->resp.body);
		s->req.conn = conn;
		s->req.method = method;
		s->req.path = url;
		new_request_id(s->req.request_id);
		s->req.ctx.request_id = s->req.request_id;
		s->req.ctx.lang = lang_from_header(
			MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept-Language"));
		client_addr(conn, addr, sizeof(addr));
		s->req.ctx.addr = req_strdup(&s->req, addr);
		s->req.match_rc = router_match(srv.router, method, url, &s->req.match);
		s->limit = s->req.match_rc == 0 && (s->req.match.route->flags & ROUTE_LARGE_BODY)
				   ? srv.o->max_upload
				   : srv.o->max_body;
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoull(cl, NULL, 10) > s->limit)
			s->too_large = 1;
		*con_cls = s;
		return MHD_YES;
	}
	if (*upload_size) {
		if (!s->too_large && s->body.len + *upload_size <= s->limit)
			buf_add(&s->body, upload_data, *upload_size);
		else
			s->too_large = 1;
		*upload_size = 0;
		return MHD_YES;
	}

	s->req.body = s->body.data;
	s->req.body_len = s->body.len;
	{
		int rc;
		if (s->too_large) {
			rc = ZL_E_TOO_LARGE;
		} else {
			s->req.ctx.db = db_thread();
			rc = dispatch(&s->req, &s->resp);
			if (rc == ZL_E_NOT_FOUND && !s->req.route &&
			    (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) &&
			    strncmp(url, "/api/", 5) != 0)
				rc = static_file(&s->req, &s->resp);
		}
		if (rc) {
			const struct zl_error_info *e = zl_error_info(rc);
			if (e->http_status >= 500)
				fprintf(stderr, "zhilian: %s %s failed: %s (request %s)\n", method, url,
					e->name, s->req.request_id);
			resp_problem(&s->resp, rc, &s->req.ctx, url);
		}
		if (!s->resp.status)
			s->resp.status = 200;
	}
	return respond(conn, s);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	UNUSED(cls);
	UNUSED(conn);
	UNUSED(toe);
	if (*con_cls)
		state_free(*con_cls);
	*con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	UNUSED(cls);
	UNUSED(conn);
	UNUSED(socket_context);
	metrics_connection(toe == MHD_CONNECTION_NOTIFY_STARTED ? 1 : -1);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	UNUSED(cls);
	fputs("zhilian: http: ", stderr);
	vfprintf(stderr, fmt, ap);
}

/* ---- built-in routes ---- */
static int healthz(struct req *r, struct resp *w)
{
	int64_t v = 0;
	int rc = db_get_int(r->ctx.db, &v, "SELECT count(*) FROM schema_migrations", "");
	if (rc < 0) {
		resp_json(w, 503, json_pack("{s:s,s:s}", "status", "error", "database", "unavailable"));
		return 0;
	}
	resp_json(w, 200, json_pack("{s:s,s:s,s:I}", "status", "ok", "database", "ok", "schema_version", (json_int_t)v));
	return 0;
}

static int metrics_get(struct req *r, struct resp *w)
{
	struct buf b = BUF_INIT;
	UNUSED(r);
	metrics_render(&b);
	resp_raw(w, 200, "text/plain; version=0.0.4; charset=utf-8", b.data, b.len);
	buf_release(&b);
	return 0;
}

static int openapi_get(struct req *r, struct resp *w)
{
	UNUSED(r);
	resp_raw(w, 200, "application/yaml; charset=utf-8", zl_openapi_yaml, strlen(zl_openapi_yaml));
	return 0;
}

/* ---- periodic jobs (server_on_tick) ---- */
#define TICK_MAX 8
static void (*tick_fns[TICK_MAX])(void);
static size_t tick_n;
static pthread_mutex_t tick_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t tick_stop_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t tick_stop_cond = PTHREAD_COND_INITIALIZER;
static int tick_stop, tick_wake, tick_running;

void server_on_tick(void (*fn)(void))
{
	for (size_t i = 0; i < tick_n; i++)
		if (tick_fns[i] == fn)
			return;
	if (tick_n == TICK_MAX) {
		fprintf(stderr, "zhilian: too many tick functions, one dropped\n");
		return;
	}
	tick_fns[tick_n++] = fn;
}

void server_tick_run(void)
{
	pthread_mutex_lock(&tick_lock);
	for (size_t i = 0; i < tick_n; i++)
		tick_fns[i]();
	pthread_mutex_unlock(&tick_lock);
}

void server_tick_wake(void)
{
	if (clock_test_enabled())
		return;
	pthread_mutex_lock(&tick_stop_lock);
	if (tick_running) {
		tick_wake = 1;
		pthread_cond_signal(&tick_stop_cond);
	}
	pthread_mutex_unlock(&tick_stop_lock);
}

static void *tick_thread(void *arg)
{
	const char *env = getenv("ZHILIAN_TICK_SECONDS");
	int64_t secs = 60;
	UNUSED(arg);
	if (env && (parse_int64(env, &secs) || secs < 1))
		secs = 60;
	pthread_mutex_lock(&tick_stop_lock);
	while (!tick_stop) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += (time_t)secs;
		while (!tick_stop && !tick_wake)
			if (pthread_cond_timedwait(&tick_stop_cond, &tick_stop_lock, &until))
				break;
		tick_wake = 0;
		if (tick_stop)
			break;
		pthread_mutex_unlock(&tick_stop_lock);
		server_tick_run();
		pthread_mutex_lock(&tick_stop_lock);
	}
	pthread_mutex_unlock(&tick_stop_lock);
	return NULL;
}

static int test_clock(struct req *r, struct resp *w)
{
	json_t *in;
	const char *now = NULL, *adv = NULL;
	int64_t v;
	char out[ZL_TIME_MAX];
	int rc = req_json(r, &in);
	if (rc)
		return rc;
	if ((rc = json_opt_string(&r->ctx, in, "now", &now)) ||
	    (rc = json_opt_string(&r->ctx, in, "advance", &adv)))
		return rc;
	if (now) {
		if (time_parse(now, &v)) {
			verr_add(&r->ctx.errs, "now", "时间格式应为 RFC 3339，例如 2026-03-02T09:00:00+08:00",
				 "'now' must be an rfc 3339 time such as 2026-03-02T09:00:00+08:00");
			return ZL_E_VALIDATION;
		}
		clock_test_set(v);
	}
	if (adv) {
		if (duration_parse(adv, &v)) {
			verr_add(&r->ctx.errs, "advance", "时长格式应为 ISO 8601，例如 PT26H",
				 "'advance' must be an iso 8601 duration such as PT26H");
			return ZL_E_VALIDATION;
		}
		clock_test_advance(v);
	}
	if (!now && !adv) {
		verr_add(&r->ctx.errs, "now", "请提供 now 或 advance", "give 'now' or 'advance'");
		return ZL_E_VALIDATION;
	}
	server_tick_run(); /* the jobs see the new time before the test goes on */
	time_format_local(clock_now(), out);
	resp_json(w, 200, json_pack("{s:s}", "now", out));
	return 0;
}

static const struct route server_route_list[] = {
	{ "GET", "/healthz", healthz, NULL, ROUTE_PUBLIC },
	{ "GET", "/metrics", metrics_get, NULL, ROUTE_PUBLIC },
	{ "GET", "/api/v1/openapi.yaml", openapi_get, NULL, ROUTE_PUBLIC },
};
ROUTE_TABLE(server_routes, "platform", server_route_list);

/* Present only when ZHILIAN_TEST_CLOCK=1: without it the path is unknown. */
static const struct route test_route_list[] = {
	{ "POST", "/api/v1/test/clock", test_clock, NULL, ROUTE_PUBLIC | ROUTE_OWN_TX },
};
ROUTE_TABLE(test_routes, "platform", test_route_list);

/* ---- start and stop ---- */
static int parse_listen(const char *listen, struct sockaddr_in *sa)
{
	const char *colon = strrchr(listen, ':');
	char host[64];
	int64_t port;
	memset(sa, 0, sizeof(*sa));
	if (!colon || (size_t)(colon - listen) >= sizeof(host) || parse_int64(colon + 1, &port) ||
	    port < 1 || port > 65535)
		return -1;
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (!*host || strcmp(host, "localhost") == 0)
		return inet_pton(AF_INET, "127.0.0.1", &sa->sin_addr) == 1 ? 0 : -1;
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

int server_run(const struct server_opts *o, const struct route_table *const *tables, size_t ntables)
{
	struct sockaddr_in sa;
	struct MHD_Daemon *d;
	const struct route_table **all;
	unsigned threads = o->threads;
	sigset_t set;
	int sig = 0;
	pthread_t ticker;
	int ticker_started;

	if (sodium_init() < 0)
		return ZL_E_INTERNAL;
	if (parse_listen(o->listen, &sa)) {
		fprintf(stderr, "zhilian: --listen \"%s\" is not ADDR:PORT (an IPv4 address and a port "
				"from 1 to 65535), e.g. 127.0.0.1:8080\n", o->listen);
		return ZL_E_BAD_REQUEST;
	}
	all = xcalloc(ntables + 1, sizeof(*all));
	memcpy(all, tables, ntables * sizeof(*all));
	if (clock_test_enabled())
		all[ntables++] = &test_routes;
	srv.o = o;
	srv.router = router_new(all, ntables);
	srv.quiet = o->quiet;
	srv.web_dir = o->web_dir ? realpath(o->web_dir, NULL) : NULL;
	if (!threads) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		threads = n > 0 ? (unsigned)n : 1;
	}
	db_thread_setup(o->db_path, o->dbo);

	/* handle SIGINT/SIGTERM in this thread only: block them before threads start */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
			     on_request, NULL,
			     MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
			     MHD_OPTION_THREAD_POOL_SIZE, threads,
			     MHD_OPTION_CONNECTION_LIMIT, o->max_conns ? o->max_conns : 1024u,
			     MHD_OPTION_CONNECTION_TIMEOUT, o->conn_timeout_s ? o->conn_timeout_s : 30u,
			     MHD_OPTION_CONNECTION_MEMORY_LIMIT,
			     (size_t)(o->max_header ? o->max_header : 16 * 1024) * 2,
			     MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
			     MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL,
			     MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "zhilian: cannot listen on %s: %s (is another server using the port?)\n",
			o->listen, strerror(errno));
		router_free(srv.router);
		free(all);
		free(srv.web_dir);
		return ZL_E_IO;
	}
	fprintf(stderr, "zhilian: serving http://%s/ with %u threads, database %s\n", o->listen,
		threads, o->db_path);
	tick_stop = 0;
	ticker_started = tick_n && pthread_create(&ticker, NULL, tick_thread, NULL) == 0;
	pthread_mutex_lock(&tick_stop_lock);
	tick_running = ticker_started;
	pthread_mutex_unlock(&tick_stop_lock);
	while (sigwait(&set, &sig) != 0)
		;
	fprintf(stderr, "zhilian: signal %d, stopping\n", sig);
	if (ticker_started) {
		pthread_mutex_lock(&tick_stop_lock);
		tick_stop = 1;
		tick_running = 0;
		pthread_cond_signal(&tick_stop_cond);
		pthread_mutex_unlock(&tick_stop_lock);
		pthread_join(ticker, NULL);
	}
	MHD_stop_daemon(d);
	db_thread_close_all();
	router_free(srv.router);
	free(all);
	free(srv.web_dir);
	return 0;
}
