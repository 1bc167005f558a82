/*
 * http.h: requests, responses, route tables and the server.
 * Each module declares one static const route table; main.c hands all of
 * them to server_run(). The router checks authentication, the route's
 * permission and CSRF before the handler runs, wraps every unsafe request in
 * one transaction (unless the route says ROUTE_OWN_TX), honours
 * Idempotency-Key on POST, and turns a negative return into problem+json.
 */
#ifndef ZL_HTTP_H
#define ZL_HTTP_H

#include <jansson.h>

#include "ctx.h"
#include "db.h"

struct req;
struct resp;

typedef int (*handler_fn)(struct req *r, struct resp *w);

enum route_flags {
	ROUTE_PUBLIC = 1 << 0, /* no sign-in needed */
	ROUTE_SELF = 1 << 1,   /* about the caller: allowed to any signed-in user,
	                        * also while a password change is pending */
	ROUTE_OWN_TX = 1 << 2, /* the handler manages its own transactions */
	ROUTE_RAW = 1 << 3,    /* body is not JSON (forms, files) */
	ROUTE_NO_IDEM = 1 << 4, /* Idempotency-Key is ignored: the answer carries a
	                         * secret (a session, a token) that must never be
	                         * stored for a replay */
	ROUTE_LARGE_BODY = 1 << 5 /* an upload (a file to import): the body may be
	                           * up to max_upload instead of max_body */
};

struct route {
	const char *method;  /* "GET", "POST", "PATCH", "PUT", "DELETE" */
	const char *pattern; /* "/api/v1/users/{id}" */
	handler_fn handler;
	const char *perm;    /* permission name from auth.c's table; NULL = any signed-in */
	unsigned flags;
};

struct route_table {
	const char *module;
	const struct route *routes;
	size_t n;
};
#define ROUTE_TABLE(name, module, arr) \
	const struct route_table name = { (module), (arr), ARRAY_SIZE(arr) }

#define ROUTE_MAX_PARAMS 8

/* ---- router (router.c) ---- */
struct route_match {
	const struct route *route;
	size_t nparams;
	struct {
		const char *name; /* points into the pattern */
		size_t name_len;
		char *value;      /* percent-decoded, owned by the match */
	} params[ROUTE_MAX_PARAMS];
	char allow[96]; /* for 405: "GET, POST" */
};
struct router;
struct router *router_new(const struct route_table *const *tables, size_t ntables);
void router_free(struct router *rt);
/* 0 and m filled; ZL_E_NOT_FOUND; ZL_E_METHOD with m->allow filled. */
int router_match(const struct router *rt, const char *method, const char *path,
		 struct route_match *m);
void route_match_release(struct route_match *m);
/* Calls fn for every route of every table (docs tests, 401/403 sweeps). */
void router_each(const struct router *rt, void (*fn)(const struct route *, const char *module, void *), void *arg);

/* ---- requests ---- */
struct req {
	struct ctx ctx;
	const char *method;
	const char *path;
	const struct route *route;
	struct route_match match;
	int match_rc;     /* router_match's answer: 0, ZL_E_NOT_FOUND, ZL_E_METHOD */
	const char *body; /* NUL-terminated, may be "" */
	size_t body_len;
	json_t *json;     /* parsed body, owned by the request */
	void *conn;       /* struct MHD_Connection * */
	void *pool;       /* allocations freed with the request */
	char request_id[40];
	int via_cookie;
};

/* Path parameter by name, percent-decoded; NULL if absent. */
const char *req_param(struct req *r, const char *name);
/* Path parameter as a positive integer; ZL_E_NOT_FOUND if not one. */
int req_param_id(struct req *r, const char *name, int64_t *out);
/* Query argument (decoded) or NULL. */
const char *req_query(struct req *r, const char *name);
const char *req_header(struct req *r, const char *name);
const char *req_cookie(struct req *r, const char *name);
/* The parsed JSON body, borrowed. ZL_E_MEDIA_TYPE unless the content type is
 * JSON, ZL_E_BAD_JSON if it does not parse or is not an object. */
int req_json(struct req *r, json_t **out);
/* Memory that lives as long as the request. */
void *req_alloc(struct req *r, size_t n);
char *req_strdup(struct req *r, const char *s);

/* Cursor pagination: ?limit= (default 50, max 500) and ?cursor=. */
struct page {
	int limit;
	int64_t after; /* decoded cursor: return ids below/after this, 0 = start */
};
/* ZL_E_VALIDATION with a field error for a bad limit or cursor. */
int req_page(struct req *r, struct page *p);
/* {"items": items, "next_cursor": cursor-of(next) or null}; steals items. */
json_t *page_result(json_t *items, int64_t next);
/* The end of most handlers: when rc is not 0, releases out and gives rc
 * back (the router answers it as problem+json); else answers out (stolen)
 * with status and gives 0. */
int resp_result(struct resp *w, int rc, int status, json_t *out);
/* 201 with out (stolen) and Location: prefix followed by out's "id". */
void resp_created_id(struct resp *w, json_t *out, const char *prefix);
/*
 * One page of rows from st (prepared and bound with LIMIT limit + 1, its
 * first column the row's id, newest first): *items a new array of row(st)
 * for at most limit rows, *next the id of the last one when more follow (0
 * at the end). Finishes st. 0, or a storage error with *items NULL.
 */
struct db_stmt;
int page_collect(struct db_stmt *st, int limit, json_t *(*row)(struct db_stmt *), json_t **items, int64_t *next);
char *cursor_encode(int64_t v);
int cursor_decode(const char *s, int64_t *v);

/* ---- responses ---- */
struct resp_header {
	char *name, *value;
};
struct resp {
	int status;
	json_t *json;          /* body as JSON (owned) */
	struct buf body;       /* or raw body */
	const char *content_type;
	const char *file_path; /* or a file to stream (static files) */
	struct resp_header headers[16];
	size_t nheaders;
};
/* Sets a JSON body; steals j. */
void resp_json(struct resp *w, int status, json_t *j);
/* 201 with the object and a Location header. */
void resp_created(struct resp *w, json_t *j, const char *location);
void resp_raw(struct resp *w, int status, const char *content_type, const void *data, size_t len);
void resp_header(struct resp *w, const char *name, const char *value);
void resp_no_content(struct resp *w);

/* Writes the problem+json for code into w (used by the server and tests). */
void resp_problem(struct resp *w, int code, const struct ctx *c, const char *request_id);
/* The problem JSON object itself. */
json_t *problem_json(int code, const struct ctx *c, const char *instance);

/* ---- server (server.c) ---- */
struct server_opts {
	const char *listen;      /* "127.0.0.1:8080" */
	const char *db_path;
	struct db_opts *dbo;
	const char *web_dir;     /* static files */
	unsigned threads;        /* 0 = one per core */
	size_t max_body;         /* default 1 MiB */
	size_t max_upload;       /* ROUTE_LARGE_BODY routes; default 64 MiB */
	size_t max_header;       /* default 16 KiB */
	unsigned max_conns;      /* default 1024 */
	unsigned conn_timeout_s; /* default 30 */
	int quiet;               /* no request log lines */
};
/* Serves until SIGINT or SIGTERM. Returns 0 or a ZL_E_* code. */
int server_run(const struct server_opts *o, const struct route_table *const *tables, size_t ntables);

/*
 * Periodic jobs on the program's clock (appeal deadlines): fn runs on the
 * server's tick thread every ZHILIAN_TICK_SECONDS (default 60) seconds, and
 * right after POST /api/v1/test/clock moves the test clock, so tests drive
 * the jobs without sleeping. Calls never overlap (one lock). fn opens its own
 * transaction on db_thread(). Register at start-up, before server_run (at
 * most 8 functions; registering the same one twice has no effect).
 */
void server_on_tick(void (*fn)(void));
/* Runs every registered tick function once, now (the test clock calls it). */
void server_tick_run(void);
/* Asks the tick thread to run now instead of at its next interval (new
 * outbound messages); a no-op without a running server and under the test
 * clock, whose tests drive the tick themselves. */
void server_tick_wake(void);

/* Route tables of the platform. */
extern const struct route_table server_routes;
extern const struct route_table auth_routes;
extern const struct route_table audit_routes;

/* docs/openapi.yaml, compiled in by the build (build/gen/openapi.c). */
extern const char zl_openapi_yaml[];

/* Shared JSON helpers (json.c). */
/* String field or NULL if absent; ZL_E_VALIDATION (with a field error) if
 * present and not a string. */
int json_opt_string(struct ctx *c, const json_t *o, const char *field, const char **out);
int json_req_string(struct ctx *c, const json_t *o, const char *field, const char **out);
/* Adds a field error "field is required". */
void verr_required(struct ctx *c, const char *field);

#endif
