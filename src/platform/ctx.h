/*
 * ctx.h: who is acting, where, and in which language. A struct ctx is what
 * every service function takes, so that the HTTP handler and the CLI
 * subcommand call the same function: the server fills it from the request,
 * the CLI fills it as the system actor.
 */
#ifndef ZL_CTX_H
#define ZL_CTX_H

#include "error.h"

struct db;

enum role {
	ROLE_NONE = 0, /* not signed in */
	ROLE_VIEWER = 1,
	ROLE_CADRE = 2,
	ROLE_LEADER = 3,
	ROLE_ADMIN = 4
};

enum lang { LANG_ZH = 0, LANG_EN = 1 };

#define ZL_CODE_MAX 24  /* region codes: 12 digits, groups 15 */
#define ZL_PATH_MAX 160 /* materialised path "/440881000000/440881104000/" */
#define ZL_NAME_MAX 64

struct actor {
	int64_t user_id;             /* 0 for the system (CLI, background jobs) */
	char username[ZL_NAME_MAX];  /* "system" for the CLI */
	enum role role;
	char scope[ZL_CODE_MAX];     /* region code of the data scope */
	char scope_like[ZL_PATH_MAX + 2]; /* scope path followed by '%' */
	int must_change_password;
	int via_token;               /* authenticated by an API token */
	int64_t session_id;          /* 0 unless a cookie session */
};

struct ctx {
	struct db *db;
	struct actor actor;
	const char *addr;       /* client address, "cli" for the CLI */
	const char *request_id; /* NULL outside a request */
	enum lang lang;
	struct verr errs;       /* validation errors gathered by services */
	char *detail_zh;        /* optional detail replacing the generic one */
	char *detail_en;
};

/* Sets up a system actor with the whole tree in scope (CLI, jobs). */
void ctx_init_system(struct ctx *c, struct db *db);
void ctx_release(struct ctx *c);
/* Sets a detail message for the error being returned (copied). */
void ctx_detail(struct ctx *c, const char *zh, const char *en);

const char *role_name(enum role r);
/* "admin" -> ROLE_ADMIN; ROLE_NONE for anything else. */
enum role role_parse(const char *s);

/* The permission table (auth.c): does this role hold this permission?
 * An empty or NULL permission is held by every signed-in role. */
int perm_allows(enum role r, const char *perm);

/*
 * Data scope. Regions carry a materialised path; a record is in scope when
 * its region's path starts with the actor's scope path.
 * scope_sql() appends " AND EXISTS (...)" for the column holding a region
 * code, with one "?" to bind to c->actor.scope_like.
 * scope_contains() returns 1 if the region is in scope, 0 if not (or if it
 * does not exist), negative on a database error.
 */
void scope_sql(struct buf *sql, const char *region_col);
int scope_contains(struct ctx *c, const char *region_code);
/* Fills actor->scope and scope_like from a region code; ZL_E_NOT_FOUND if
 * the region does not exist. */
int scope_load(struct db *db, struct actor *a, const char *region_code);

enum lang lang_from_header(const char *accept_language);

#endif
