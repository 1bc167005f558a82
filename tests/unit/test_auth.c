/*
 * test_auth.c: password rules and hashing, sign-in lockout and rate limit,
 * session timeouts on the test clock, bearer tokens, the permission table,
 * data scope, and the user service's escalation and scope rules.
 */
#include "unit.h"

#include <jansson.h>

#include "platform/audit.h"
#include "platform/auth.h"
#include "platform/clock.h"
#include "platform/error.h"
#include "org/users.h"

#define VILLAGE_E "440881104201"
#define VILLAGE_W "440881104202"
#define MIN_US (60 * USEC_PER_SEC)

struct fix {
	struct db *db;
	struct ctx c; /* the system actor unless a test acts as someone */
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	int64_t t0;
	f->db = unit_db();
	ctx_init_system(&f->c, f->db);
	f->c.addr = "192.0.2.1";
	clock_test_enable();
	assert_int_equal(time_parse("2026-03-02T01:00:00Z", &t0), 0);
	assert_int_equal(clock_test_set(t0), 0);
	auth_rate_reset();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;
	ctx_release(&f->c);
	db_close(f->db);
	free(f);
	return 0;
}

/* Creates a user as the system; returns its id. */
static int64_t mkuser(struct fix *f, const char *username, const char *role, const char *scope,
		      int must_change)
{
	struct ctx c;
	json_t *out = NULL;
	ctx_init_system(&c, f->db);
	json_t *in = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "username", username,
			       "display_name", "测试用户", "role", role, "scope_code", scope,
			       "password", "correct horse battery", "must_change_password",
			       must_change);
	assert_int_equal(user_create(&c, in, &out), 0);
	int64_t id = json_integer_value(json_object_get(out, "id"));
	json_decref(in);
	json_decref(out);
	ctx_release(&c);
	return id;
}

/* Makes c act as the named user, as auth_resolve would. */
static void act_as(struct ctx *c, struct db *db, const char *username)
{
	char *role = NULL, *scope = NULL;
	int64_t id;
	assert_int_equal(db_get_int(db, &id, "SELECT id FROM app_user WHERE username = ?", "t",
				    username), 1);
	assert_int_equal(db_get_text(db, &role, "SELECT role FROM app_user WHERE id = ?", "i", id), 1);
	assert_int_equal(db_get_text(db, &scope, "SELECT scope_code FROM app_user WHERE id = ?", "i",
				     id), 1);
	ctx_release(c);
	ctx_init_system(c, db);
	c->addr = "192.0.2.9";
	c->actor.user_id = id;
	snprintf(c->actor.username, sizeof(c->actor.username), "%s", username);
	c->actor.role = role_parse(role);
	assert_int_equal(scope_load(db, &c->actor, scope), 0);
	free(role);
	free(scope);
}

static int login(struct fix *f, const char *addr, const char *user, const char *pw, char **secret,
		 char **csrf)
{
	int64_t uid;
	char *s = NULL, *k = NULL;
	f->c.addr = addr;
	int rc = auth_login(&f->c, user, pw, &s, &k, &uid);
	if (secret)
		*secret = s;
	else
		free(s);
	if (csrf)
		*csrf = k;
	else
		free(k);
	return rc;
}

static int resolve(struct fix *f, const char *cookie, const char *authz)
{
	struct ctx c;
	char csrf[AUTH_CSRF_MAX + 1];
	int via = -1;
	ctx_init_system(&c, f->db);
	int rc = auth_resolve(&c, cookie, authz, &via, csrf);
	if (rc == 0)
		assert_int_equal(via, cookie && !c.actor.via_token);
	ctx_release(&c);
	return rc;
}

static int has_field_error(const struct ctx *c, const char *field)
{
	for (size_t i = 0; i < c->errs.n; i++)
		if (!strcmp(c->errs.items[i].field, field))
			return 1;
	return 0;
}

/* ---- passwords ---- */

static void test_password_rules(void **state)
{
	struct verr v = VERR_INIT;
	UNUSED(state);

	assert_int_equal(password_check_rules("alice", "short", &v, "password"),
			 ZL_E_AUTH_PASSWORD_RULE);
	assert_int_equal(v.n, 1);
	assert_string_equal(v.items[0].field, "password");
	assert_non_null(strstr(v.items[0].zh, "10"));
	assert_string_equal(v.items[0].en, "password must be at least 10 characters");
	verr_release(&v);

	/* contains the username, in any case */
	assert_int_equal(password_check_rules("alice", "my-ALICE-password", &v, "new_password"),
			 ZL_E_AUTH_PASSWORD_RULE);
	assert_int_equal(v.n, 1);
	assert_string_equal(v.items[0].field, "new_password");
	verr_release(&v);
	assert_int_equal(password_check_rules("alice", "xxAlicexxxxx", NULL, "password"),
			 ZL_E_AUTH_PASSWORD_RULE);
	/* both rules at once */
	assert_int_equal(password_check_rules("alice", "alice1", &v, "password"),
			 ZL_E_AUTH_PASSWORD_RULE);
	assert_int_equal(v.n, 2);
	verr_release(&v);

	assert_int_equal(password_check_rules("alice", "correct horse battery", &v, "password"), 0);
	assert_int_equal(v.n, 0);
	assert_int_equal(password_check_rules("alice", "0123456789", NULL, "password"), 0);

	/* code points, not bytes: 10 Chinese characters pass, 9 do not */
	assert_int_equal(password_check_rules("alice", "春眠不觉晓处处闻啼鸟", NULL, "password"), 0);
	assert_int_equal(password_check_rules("alice", "春眠不觉晓处处闻啼", NULL, "password"),
			 ZL_E_AUTH_PASSWORD_RULE);
	/* not UTF-8 */
	assert_int_equal(password_check_rules("alice", "\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7\xf6\xf5",
					      NULL, "password"),
			 ZL_E_AUTH_PASSWORD_RULE);
}

static void test_password_hash_verify(void **state)
{
	char *h1 = NULL, *h2 = NULL;
	UNUSED(state);
	assert_int_equal(password_hash("correct horse battery", &h1), 0);
	assert_int_equal(password_hash("correct horse battery", &h2), 0);
	assert_true(!strncmp(h1, "$argon2id$", 10));
	assert_string_not_equal(h1, h2); /* salted */
	assert_int_equal(password_verify(h1, "correct horse battery"), 1);
	assert_int_equal(password_verify(h2, "correct horse battery"), 1);
	assert_int_equal(password_verify(h1, "correct horse batterY"), 0);
	assert_int_equal(password_verify(h1, ""), 0);
	assert_int_equal(password_verify("not a hash", "correct horse battery"), 0);
	assert_int_equal(password_verify(NULL, "x"), 0);
	free(h1);
	free(h2);
}

/* ---- sign-in ---- */

static void test_login_ok_and_session(void **state)
{
	struct fix *f = *state;
	char *secret = NULL, *csrf = NULL, got_csrf[AUTH_CSRF_MAX + 1];
	int64_t n;
	int via = 0;
	struct ctx c;
	mkuser(f, "alice", "cadre", VILLAGE_E, 0);

	assert_int_equal(login(f, "192.0.2.1", "alice", "correct horse battery", &secret, &csrf), 0);
	assert_int_equal(strlen(secret), 43); /* 32 bytes, base64url */
	assert_int_equal(strlen(csrf), 43);
	assert_string_equal(f->c.actor.username, "alice");
	assert_true(f->c.actor.session_id > 0);
	/* only the hash is stored */
	assert_int_equal(db_get_int(f->db, &n, "SELECT count(*) FROM session WHERE token_hash = ?",
				    "t", secret), 1);
	assert_int_equal(n, 0);

	ctx_init_system(&c, f->db);
	assert_int_equal(auth_resolve(&c, secret, NULL, &via, got_csrf), 0);
	assert_int_equal(via, 1);
	assert_string_equal(got_csrf, csrf);
	assert_string_equal(c.actor.username, "alice");
	assert_int_equal(c.actor.role, ROLE_CADRE);
	assert_string_equal(c.actor.scope, VILLAGE_E);
	assert_string_equal(c.actor.scope_like, "/440881104000/440881104201/%");
	assert_int_equal(c.actor.via_token, 0);
	assert_int_equal(c.actor.must_change_password, 0);
	ctx_release(&c);

	/* garbage and no credentials */
	assert_int_equal(resolve(f, "nope", NULL), ZL_E_UNAUTHENTICATED);
	assert_int_equal(resolve(f, NULL, NULL), ZL_E_UNAUTHENTICATED);
	assert_int_equal(resolve(f, "", "Basic abc"), ZL_E_UNAUTHENTICATED);

	/* the typed name is folded to lowercase */
	assert_int_equal(login(f, "192.0.2.1", "ALICE", "correct horse battery", NULL, NULL), 0);

	/* session.create audited, chain intact, no secrets in it */
	assert_int_equal(db_get_int(f->db, &n,
				    "SELECT count(*) FROM audit_log WHERE action = 'session.create'",
				    ""), 1);
	assert_int_equal(n, 2);
	assert_int_equal(db_get_int(f->db, &n,
				    "SELECT count(*) FROM audit_log WHERE after_json LIKE '%' || ? || '%'"
				    " OR after_json LIKE '%' || ? || '%'"
				    " OR after_json LIKE '%argon2%' OR after_json LIKE '%horse%'",
				    "tt", csrf, secret), 1);
	assert_int_equal(n, 0);
	int64_t bad = 0, checked = 0;
	assert_int_equal(audit_verify(f->db, &bad, &checked), 0);
	free(secret);
	free(csrf);
}

static void test_must_change_flag(void **state)
{
	struct fix *f = *state;
	char *secret = NULL;
	struct ctx c;
	mkuser(f, "newbie", "viewer", VILLAGE_E, 1);
	assert_int_equal(login(f, "192.0.2.1", "newbie", "correct horse battery", &secret, NULL), 0);
	ctx_init_system(&c, f->db);
	assert_int_equal(auth_resolve(&c, secret, NULL, NULL, NULL), 0);
	assert_int_equal(c.actor.must_change_password, 1);
	ctx_release(&c);
	free(secret);
}

/* Five failures lock a name for 15 minutes, whether or not it exists, and
 * the answers are the same for both. */
static void test_lockout_alike(void **state)
{
	struct fix *f = *state;
	int codes_real[7], codes_ghost[7];
	mkuser(f, "alice", "cadre", VILLAGE_E, 0);

	for (int i = 0; i < 5; i++) {
		codes_real[i] = login(f, "192.0.2.1", "alice", "wrong password!", NULL, NULL);
		codes_ghost[i] = login(f, "192.0.2.2", "ghost", "wrong password!", NULL, NULL);
		assert_int_equal(codes_real[i], ZL_E_AUTH_FAILED);
	}
	/* now even the right password is refused */
	codes_real[5] = login(f, "192.0.2.1", "alice", "correct horse battery", NULL, NULL);
	codes_ghost[5] = login(f, "192.0.2.2", "ghost", "correct horse battery", NULL, NULL);
	codes_real[6] = login(f, "192.0.2.1", "alice", "wrong password!", NULL, NULL);
	codes_ghost[6] = login(f, "192.0.2.2", "ghost", "wrong password!", NULL, NULL);
	assert_int_equal(codes_real[5], ZL_E_AUTH_LOCKED);
	assert_memory_equal(codes_real, codes_ghost, sizeof(codes_real));
	assert_int_equal(zl_error_info(ZL_E_AUTH_LOCKED)->http_status, 423);

	/* the lock is recorded for both names and audited */
	int64_t n;
	assert_int_equal(db_get_int(f->db, &n,
				    "SELECT count(*) FROM login_failure WHERE locked_until IS NOT NULL",
				    ""), 1);
	assert_int_equal(n, 2);
	assert_int_equal(db_get_int(f->db, &n,
				    "SELECT count(*) FROM audit_log WHERE action = 'session.lock'", ""),
			 1);
	assert_int_equal(n, 2);

	/* a success before the fifth failure clears the count */
	mkuser(f, "bob", "cadre", VILLAGE_E, 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(login(f, "192.0.2.3", "bob", "wrong password!", NULL, NULL),
				 ZL_E_AUTH_FAILED);
	assert_int_equal(login(f, "192.0.2.3", "bob", "correct horse battery", NULL, NULL), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(login(f, "192.0.2.3", "bob", "wrong password!", NULL, NULL),
				 ZL_E_AUTH_FAILED);
	assert_int_equal(login(f, "192.0.2.3", "bob", "correct horse battery", NULL, NULL), 0);
}

static void test_lock_expires(void **state)
{
	struct fix *f = *state;
	mkuser(f, "alice", "cadre", VILLAGE_E, 0);
	for (int i = 0; i < AUTH_LOCK_FAILURES; i++)
		assert_int_equal(login(f, "192.0.2.1", "alice", "wrong password!", NULL, NULL),
				 ZL_E_AUTH_FAILED);
	assert_int_equal(login(f, "192.0.2.1", "alice", "correct horse battery", NULL, NULL),
			 ZL_E_AUTH_LOCKED);
	assert_int_equal(clock_test_advance(15 * MIN_US - USEC_PER_SEC), 0);
	assert_int_equal(login(f, "192.0.2.1", "alice", "correct horse battery", NULL, NULL),
			 ZL_E_AUTH_LOCKED);
	assert_int_equal(clock_test_advance(2 * USEC_PER_SEC), 0);
	/* after the lock the count starts again: one failure does not relock */
	assert_int_equal(login(f, "192.0.2.1", "alice", "wrong password!", NULL, NULL),
			 ZL_E_AUTH_FAILED);
	assert_int_equal(login(f, "192.0.2.1", "alice", "correct horse battery", NULL, NULL), 0);
}

static void test_login_disabled_user(void **state)
{
	struct fix *f = *state;
	json_t *patch = json_pack("{s:b}", "disabled", 1), *out = NULL;
	int64_t id = mkuser(f, "alice", "cadre", VILLAGE_E, 0);
	char *secret = NULL;
	assert_int_equal(login(f, "192.0.2.1", "alice", "correct horse battery", &secret, NULL), 0);
	assert_int_equal(resolve(f, secret, NULL), 0);

	ctx_release(&f->c); /* signing in made f->c alice */
	ctx_init_system(&f->c, f->db);
	assert_int_equal(user_update(&f->c, id, patch, &out), 0);
	assert_true(json_is_true(json_object_get(out, "disabled")));
	/* disabling ended the session; signing in answers like a wrong password */
	assert_int_equal(resolve(f, secret, NULL), ZL_E_UNAUTHENTICATED);
	assert_int_equal(login(f, "192.0.2.1", "alice", "correct horse battery", NULL, NULL),
			 ZL_E_AUTH_FAILED);
	json_decref(patch);
	json_decref(out);
	free(secret);
}

/* ---- sessions on the test clock ---- */

static void test_session_idle_timeout(void **state)
{
	struct fix *f = *state;
	char *secret = NULL;
	mkuser(f, "alice", "cadre", VILLAGE_E, 0);
	assert_int_equal(login(f, "192.0.2.1", "alice", "correct horse battery", &secret, NULL), 0);

	assert_int_equal(clock_test_advance(29 * MIN_US), 0);
	assert_int_equal(resolve(f, secret, NULL), 0); /* and touches it */
	assert_int_equal(clock_test_advance(29 * MIN_US), 0);
	assert_int_equal(resolve(f, secret, NULL), 0);
	assert_int_equal(clock_test_advance(30 * MIN_US), 0);
	assert_int_equal(resolve(f, secret, NULL), ZL_E_AUTH_EXPIRED);
	/* once ended it is simply unknown */
	assert_int_equal(resolve(f, secret, NULL), ZL_E_UNAUTHENTICATED);
	int64_t n;
	assert_int_equal(db_get_int(f->db, &n, "SELECT count(*) FROM session WHERE ended_at IS NULL",
				    ""), 1);
	assert_int_equal(n, 0);
	free(secret);
}

static void test_session_absolute_timeout(void **state)
{
	struct fix *f = *state;
	char *secret = NULL;
	mkuser(f, "alice", "cadre", VILLAGE_E, 0);
	assert_int_equal(login(f, "192.0.2.1", "alice", "correct horse battery", &secret, NULL), 0);

	/* kept active every 20 minutes, it lives until 12 hours and no longer */
	for (int m = 20; m < 12 * 60; m += 20) {
		assert_int_equal(clock_test_advance(20 * MIN_US), 0);
		assert_int_equal(resolve(f, secret, NULL), 0);
	}
	assert_int_equal(clock_test_advance(20 * MIN_US), 0);
	assert_int_equal(resolve(f, secret, NULL), ZL_E_AUTH_EXPIRED);
	free(secret);
}

/* last_seen_at is written at most once a minute */
static void test_session_touch_throttled(void **state)
{
	struct fix *f = *state;
	char *secret = NULL, *seen0 = NULL, *seen1 = NULL, *seen2 = NULL;
	const char *q = "SELECT last_seen_at FROM session";
	mkuser(f, "alice", "cadre", VILLAGE_E, 0);
	assert_int_equal(login(f, "192.0.2.1", "alice", "correct horse battery", &secret, NULL), 0);
	assert_int_equal(db_get_text(f->db, &seen0, q, ""), 1);
	assert_int_equal(clock_test_advance(30 * USEC_PER_SEC), 0);
	assert_int_equal(resolve(f, secret, NULL), 0);
	assert_int_equal(db_get_text(f->db, &seen1, q, ""), 1);
	assert_string_equal(seen0, seen1);
	assert_int_equal(clock_test_advance(31 * USEC_PER_SEC), 0);
	assert_int_equal(resolve(f, secret, NULL), 0);
	assert_int_equal(db_get_text(f->db, &seen2, q, ""), 1);
	assert_string_not_equal(seen0, seen2);
	free(seen0);
	free(seen1);
	free(seen2);
	free(secret);
}

/* ---- tokens ---- */

static void test_tokens(void **state)
{
	struct fix *f = *state;
	json_t *tok = NULL, *tok2 = NULL;
	char authz[128];
	int64_t n;
	mkuser(f, "alice", "cadre", VILLAGE_E, 0);
	mkuser(f, "carol", "cadre", VILLAGE_E, 0);
	mkuser(f, "root", "admin", UNIT_ROOT_CODE, 0);

	act_as(&f->c, f->db, "alice");
	assert_int_equal(auth_token_create(&f->c, "sync client", &tok), 0);
	const char *secret = json_string_value(json_object_get(tok, "token"));
	const char *prefix = json_string_value(json_object_get(tok, "prefix"));
	int64_t id = json_integer_value(json_object_get(tok, "id"));
	assert_non_null(secret);
	assert_int_equal(strlen(secret), 3 + 43);
	assert_true(!strncmp(secret, "zl_", 3));
	assert_true(!strncmp(secret, prefix, strlen(prefix)));
	assert_true(strlen(prefix) < 16);
	assert_int_equal(db_get_int(f->db, &n, "SELECT count(*) FROM api_token WHERE token_hash = ?",
				    "t", secret), 1);
	assert_int_equal(n, 0);

	/* a live name cannot be reused; names are checked */
	assert_int_equal(auth_token_create(&f->c, "sync client", &tok2), ZL_E_TOKEN_NAME_EXISTS);
	assert_int_equal(auth_token_create(&f->c, "", &tok2), ZL_E_VALIDATION);
	assert_true(has_field_error(&f->c, "name"));
	verr_release(&f->c.errs);

	snprintf(authz, sizeof(authz), "Bearer %s", secret);
	struct ctx c;
	ctx_init_system(&c, f->db);
	assert_int_equal(auth_resolve(&c, NULL, authz, NULL, NULL), 0);
	assert_string_equal(c.actor.username, "alice");
	assert_int_equal(c.actor.via_token, 1);
	assert_int_equal(c.actor.session_id, 0);
	ctx_release(&c);
	snprintf(authz, sizeof(authz), "bearer  %s ", secret);
	assert_int_equal(resolve(f, NULL, authz), 0);
	assert_int_equal(resolve(f, NULL, "Bearer zl_wrong"), ZL_E_UNAUTHENTICATED);
	assert_int_equal(db_get_int(f->db, &n,
				    "SELECT count(*) FROM api_token WHERE last_used_at IS NOT NULL", ""),
			 1);
	assert_int_equal(n, 1);

	/* someone else's token does not exist for a cadre ... */
	act_as(&f->c, f->db, "carol");
	assert_int_equal(auth_token_revoke(&f->c, id), ZL_E_NOT_FOUND);
	/* ... the owner revokes it, and it stops working */
	act_as(&f->c, f->db, "alice");
	assert_int_equal(auth_token_revoke(&f->c, id), 0);
	snprintf(authz, sizeof(authz), "Bearer %s", secret);
	assert_int_equal(resolve(f, NULL, authz), ZL_E_UNAUTHENTICATED);
	assert_int_equal(auth_token_revoke(&f->c, id), 0); /* again: no change */
	/* the name is free again */
	assert_int_equal(auth_token_create(&f->c, "sync client", &tok2), 0);
	/* an admin may revoke anyone's token in scope */
	act_as(&f->c, f->db, "root");
	assert_int_equal(auth_token_revoke(&f->c, json_integer_value(json_object_get(tok2, "id"))), 0);
	assert_int_equal(auth_token_revoke(&f->c, 9999), ZL_E_NOT_FOUND);

	assert_int_equal(db_get_int(f->db, &n,
				    "SELECT count(*) FROM audit_log WHERE action IN"
				    " ('token.create', 'token.revoke')",
				    ""), 1);
	assert_int_equal(n, 4);
	assert_int_equal(db_get_int(f->db, &n,
				    "SELECT count(*) FROM audit_log WHERE after_json LIKE '%' || ? || '%'"
				    " OR before_json LIKE '%' || ? || '%'",
				    "tt", secret, secret), 1);
	assert_int_equal(n, 0); /* the prefix is there, never the secret */
	json_decref(tok);
	json_decref(tok2);
}

/* A disabled user's tokens stop working too. */
static void test_token_disabled_user(void **state)
{
	struct fix *f = *state;
	json_t *tok = NULL, *patch = json_pack("{s:b}", "disabled", 1), *out = NULL;
	char authz[128];
	int64_t id = mkuser(f, "alice", "cadre", VILLAGE_E, 0);
	act_as(&f->c, f->db, "alice");
	assert_int_equal(auth_token_create(&f->c, "t", &tok), 0);
	snprintf(authz, sizeof(authz), "Bearer %s", json_string_value(json_object_get(tok, "token")));
	assert_int_equal(resolve(f, NULL, authz), 0);
	ctx_release(&f->c);
	ctx_init_system(&f->c, f->db);
	assert_int_equal(user_update(&f->c, id, patch, &out), 0);
	assert_int_equal(resolve(f, NULL, authz), ZL_E_UNAUTHENTICATED);
	json_decref(tok);
	json_decref(patch);
	json_decref(out);
}

/* ---- permissions, scope, roles, language ---- */

static void test_perm_table(void **state)
{
	UNUSED(state);
	struct {
		const char *perm;
		int viewer, cadre, leader, admin;
	} want[] = {
		{ "user.read", 0, 0, 1, 1 },  { "user.write", 0, 0, 0, 1 },
		{ "audit.read", 0, 0, 0, 1 }, { "token.write", 0, 1, 1, 1 },
		{ "token.read", 1, 1, 1, 1 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		assert_int_equal(perm_allows(ROLE_VIEWER, want[i].perm), want[i].viewer);
		assert_int_equal(perm_allows(ROLE_CADRE, want[i].perm), want[i].cadre);
		assert_int_equal(perm_allows(ROLE_LEADER, want[i].perm), want[i].leader);
		assert_int_equal(perm_allows(ROLE_ADMIN, want[i].perm), want[i].admin);
		assert_int_equal(perm_allows(ROLE_NONE, want[i].perm), 0);
	}
	/* a viewer holds read permissions only, whatever rows modules add */
	size_t n = 0;
	for (const char *p; (p = perm_name(n)); n++) {
		size_t len = strlen(p);
		int is_read = len > 5 && !strcmp(p + len - 5, ".read");
		if (!is_read)
			assert_int_equal(perm_allows(ROLE_VIEWER, p), 0);
		/* and every permission is held by an admin */
		assert_int_equal(perm_allows(ROLE_ADMIN, p), 1);
	}
	assert_true(n >= ARRAY_SIZE(want));
	/* no permission: any signed-in role; unknown: nobody */
	assert_int_equal(perm_allows(ROLE_VIEWER, NULL), 1);
	assert_int_equal(perm_allows(ROLE_VIEWER, ""), 1);
	assert_int_equal(perm_allows(ROLE_NONE, NULL), 0);
	assert_int_equal(perm_allows(ROLE_ADMIN, "no.such"), 0);
	assert_int_equal(perm_allows(ROLE_VIEWER, "user.write"), 0);
}

static void test_scope(void **state)
{
	struct fix *f = *state;
	struct buf sql = BUF_INIT;
	struct actor a;

	/* the system sees the whole tree */
	assert_int_equal(scope_contains(&f->c, UNIT_ROOT_CODE), 1);
	assert_int_equal(scope_contains(&f->c, VILLAGE_W), 1);
	assert_int_equal(scope_contains(&f->c, "999999999999"), 0);
	assert_int_equal(scope_contains(&f->c, NULL), 0);

	memset(&a, 0, sizeof(a));
	assert_int_equal(scope_load(f->db, &a, VILLAGE_E), 0);
	assert_string_equal(a.scope, VILLAGE_E);
	assert_string_equal(a.scope_like, "/440881104000/440881104201/%");
	assert_int_equal(scope_load(f->db, &a, "999999999999"), ZL_E_NOT_FOUND);

	f->c.actor.role = ROLE_CADRE;
	assert_int_equal(scope_load(f->db, &f->c.actor, VILLAGE_E), 0);
	assert_int_equal(scope_contains(&f->c, VILLAGE_E), 1);
	assert_int_equal(scope_contains(&f->c, VILLAGE_W), 0);
	assert_int_equal(scope_contains(&f->c, UNIT_ROOT_CODE), 0);

	scope_sql(&sql, "h.region_code");
	assert_string_equal(sql.data, " AND EXISTS (SELECT 1 FROM region zs WHERE zs.code ="
				      " h.region_code AND +zs.path LIKE ?)");
	buf_release(&sql);
}

static void test_roles_and_lang(void **state)
{
	UNUSED(state);
	assert_int_equal(role_parse("admin"), ROLE_ADMIN);
	assert_int_equal(role_parse("leader"), ROLE_LEADER);
	assert_int_equal(role_parse("cadre"), ROLE_CADRE);
	assert_int_equal(role_parse("viewer"), ROLE_VIEWER);
	assert_int_equal(role_parse("Admin"), ROLE_NONE);
	assert_int_equal(role_parse("none"), ROLE_NONE);
	assert_int_equal(role_parse(NULL), ROLE_NONE);
	assert_string_equal(role_name(ROLE_CADRE), "cadre");
	assert_true(ROLE_VIEWER < ROLE_CADRE && ROLE_CADRE < ROLE_LEADER && ROLE_LEADER < ROLE_ADMIN);

	assert_int_equal(lang_from_header(NULL), LANG_ZH);
	assert_int_equal(lang_from_header(""), LANG_ZH);
	assert_int_equal(lang_from_header("en"), LANG_EN);
	assert_int_equal(lang_from_header("en-US,en;q=0.9"), LANG_EN);
	assert_int_equal(lang_from_header("EN-gb"), LANG_EN);
	assert_int_equal(lang_from_header("zh-CN,zh;q=0.9,en;q=0.8"), LANG_ZH);
	assert_int_equal(lang_from_header("zh;q=0.5, en;q=0.8"), LANG_EN);
	assert_int_equal(lang_from_header("fr, en;q=0.9"), LANG_ZH);
	assert_int_equal(lang_from_header("en;q=0"), LANG_ZH);
	assert_int_equal(lang_from_header("*"), LANG_ZH);
}

static void test_ctx_detail(void **state)
{
	struct fix *f = *state;
	UNUSED(state);
	assert_string_equal(f->c.actor.username, "system");
	assert_int_equal(f->c.actor.user_id, 0);
	assert_int_equal(f->c.actor.role, ROLE_ADMIN);
	ctx_detail(&f->c, "一", "one");
	ctx_detail(&f->c, "二", "two");
	assert_string_equal(f->c.detail_zh, "二");
	assert_string_equal(f->c.detail_en, "two");
}

/* ---- the user service ---- */

static void test_user_create_rules(void **state)
{
	struct fix *f = *state;
	json_t *out = NULL, *in;
	mkuser(f, "vadmin", "admin", VILLAGE_E, 0);
	mkuser(f, "lead", "leader", UNIT_ROOT_CODE, 0);

	/* validation, field by field */
	in = json_pack("{s:s, s:s, s:s, s:s, s:s}", "username", "No Caps", "display_name", "",
		       "role", "boss", "scope_code", "999999999999", "password", "short");
	assert_int_equal(user_create(&f->c, in, &out), ZL_E_VALIDATION);
	assert_true(has_field_error(&f->c, "username"));
	assert_true(has_field_error(&f->c, "display_name"));
	assert_true(has_field_error(&f->c, "role"));
	assert_true(has_field_error(&f->c, "scope_code"));
	assert_true(has_field_error(&f->c, "password"));
	assert_null(out);
	verr_release(&f->c.errs);
	json_decref(in);

	/* only the password is bad: the answer names the rule */
	in = json_pack("{s:s, s:s, s:s, s:s, s:s}", "username", "dave", "display_name", "戴维",
		       "role", "cadre", "scope_code", VILLAGE_E, "password", "dave-password-1");
	assert_int_equal(user_create(&f->c, in, &out), ZL_E_AUTH_PASSWORD_RULE);
	verr_release(&f->c.errs);
	json_decref(in);

	/* duplicate username */
	in = json_pack("{s:s, s:s, s:s, s:s, s:s}", "username", "lead", "display_name", "重复",
		       "role", "cadre", "scope_code", VILLAGE_E, "password", "correct horse battery");
	assert_int_equal(user_create(&f->c, in, &out), ZL_E_USER_EXISTS);
	json_decref(in);

	/* a village admin cannot place a user outside the village */
	act_as(&f->c, f->db, "vadmin");
	in = json_pack("{s:s, s:s, s:s, s:s, s:s}", "username", "erin", "display_name", "艾琳",
		       "role", "cadre", "scope_code", VILLAGE_W, "password", "correct horse battery");
	assert_int_equal(user_create(&f->c, in, &out), ZL_E_VALIDATION);
	assert_true(has_field_error(&f->c, "scope_code"));
	verr_release(&f->c.errs);
	json_object_set_new(in, "scope_code", json_string(UNIT_ROOT_CODE));
	assert_int_equal(user_create(&f->c, in, &out), ZL_E_VALIDATION);
	verr_release(&f->c.errs);
	json_object_set_new(in, "scope_code", json_string(VILLAGE_E));
	assert_int_equal(user_create(&f->c, in, &out), 0);
	/* an admin-set password must be changed at first sign-in */
	assert_true(json_is_true(json_object_get(out, "must_change_password")));
	assert_true(json_is_false(json_object_get(out, "disabled")));
	assert_string_equal(json_string_value(json_object_get(out, "role")), "cadre");
	assert_null(json_object_get(out, "password_hash"));
	assert_non_null(strstr(json_string_value(json_object_get(out, "created_at")), "+08:00"));
	json_decref(out);
	out = NULL;
	json_decref(in);

	/* a leader cannot create an admin (nor, through the service, anyone above) */
	act_as(&f->c, f->db, "lead");
	in = json_pack("{s:s, s:s, s:s, s:s, s:s}", "username", "frank", "display_name", "弗兰克",
		       "role", "admin", "scope_code", VILLAGE_E, "password", "correct horse battery");
	assert_int_equal(user_create(&f->c, in, &out), ZL_E_USER_ESCALATION);
	assert_int_equal(f->c.errs.n, 0);
	json_object_set_new(in, "role", json_string("leader"));
	json_object_set_new(in, "must_change_password", json_false());
	assert_int_equal(user_create(&f->c, in, &out), 0);
	assert_true(json_is_false(json_object_get(out, "must_change_password")));
	json_decref(out);
	json_decref(in);

	int64_t bad = 0, checked = 0, n;
	assert_int_equal(audit_verify(f->db, &bad, &checked), 0);
	assert_int_equal(db_get_int(f->db, &n,
				    "SELECT count(*) FROM audit_log WHERE action = 'user.create'", ""),
			 1);
	assert_int_equal(n, 4);
	assert_int_equal(db_get_int(f->db, &n,
				    "SELECT count(*) FROM audit_log WHERE after_json LIKE '%argon%'"
				    " OR after_json LIKE '%horse%'",
				    ""), 1);
	assert_int_equal(n, 0);
}

static void test_user_update_rules(void **state)
{
	struct fix *f = *state;
	json_t *out = NULL, *p;
	int64_t lead = mkuser(f, "lead", "leader", VILLAGE_E, 0);
	int64_t vadmin = mkuser(f, "vadmin", "admin", VILLAGE_E, 0);
	int64_t top = mkuser(f, "top", "admin", UNIT_ROOT_CODE, 0);
	int64_t west = mkuser(f, "west", "cadre", VILLAGE_W, 0);
	int64_t cadre = mkuser(f, "cadre1", "cadre", VILLAGE_E, 0);

	/* nobody raises their own role */
	act_as(&f->c, f->db, "lead");
	p = json_pack("{s:s}", "role", "admin");
	assert_int_equal(user_update(&f->c, lead, p, &out), ZL_E_USER_ESCALATION);
	/* nor gives a role above their own to anyone */
	assert_int_equal(user_update(&f->c, cadre, p, &out), ZL_E_USER_ESCALATION);
	json_decref(p);
	/* lowering one's own role is fine */
	p = json_pack("{s:s}", "role", "cadre");
	assert_int_equal(user_update(&f->c, lead, p, &out), 0);
	json_decref(out);
	json_decref(p);

	/* nobody widens their own scope, even an admin */
	act_as(&f->c, f->db, "vadmin");
	p = json_pack("{s:s}", "scope_code", UNIT_ROOT_CODE);
	assert_int_equal(user_update(&f->c, vadmin, p, &out), ZL_E_USER_ESCALATION);
	json_decref(p);
	p = json_pack("{s:s}", "scope_code", VILLAGE_W);
	assert_int_equal(user_update(&f->c, vadmin, p, &out), ZL_E_USER_ESCALATION);
	/* for someone else an out-of-scope region is a bad value */
	assert_int_equal(user_update(&f->c, cadre, p, &out), ZL_E_VALIDATION);
	assert_true(has_field_error(&f->c, "scope_code"));
	verr_release(&f->c.errs);
	json_decref(p);
	/* users outside one's scope do not exist */
	p = json_pack("{s:s}", "display_name", "改名");
	assert_int_equal(user_update(&f->c, west, p, &out), ZL_E_NOT_FOUND);
	assert_int_equal(user_get(&f->c, west, &out), ZL_E_NOT_FOUND);
	assert_int_equal(user_get(&f->c, top, &out), ZL_E_NOT_FOUND);
	json_decref(p);
	/* an admin cannot disable themselves */
	p = json_pack("{s:b}", "disabled", 1);
	assert_int_equal(user_update(&f->c, vadmin, p, &out), ZL_E_FORBIDDEN);
	json_decref(p);
	/* an equal role may be given */
	p = json_pack("{s:s, s:s}", "role", "admin", "display_name", "新名字");
	assert_int_equal(user_update(&f->c, cadre, p, &out), 0);
	assert_string_equal(json_string_value(json_object_get(out, "role")), "admin");
	assert_string_equal(json_string_value(json_object_get(out, "display_name")), "新名字");
	json_decref(out);
	json_decref(p);

	/* a no-op patch audits nothing */
	int64_t before_n, after_n;
	assert_int_equal(db_get_int(f->db, &before_n, "SELECT count(*) FROM audit_log", ""), 1);
	p = json_pack("{s:s}", "display_name", "新名字");
	assert_int_equal(user_update(&f->c, cadre, p, &out), 0);
	json_decref(out);
	json_decref(p);
	assert_int_equal(db_get_int(f->db, &after_n, "SELECT count(*) FROM audit_log", ""), 1);
	assert_int_equal(before_n, after_n);

	/* bad values */
	p = json_pack("{s:s, s:i, s:s}", "display_name", "", "disabled", 3, "role", "god");
	assert_int_equal(user_update(&f->c, cadre, p, &out), ZL_E_VALIDATION);
	assert_true(has_field_error(&f->c, "display_name"));
	assert_true(has_field_error(&f->c, "disabled"));
	assert_true(has_field_error(&f->c, "role"));
	verr_release(&f->c.errs);
	json_decref(p);
	UNUSED(top);
}

static void test_user_password_reset(void **state)
{
	struct fix *f = *state;
	json_t *out = NULL, *p;
	char *secret = NULL;
	int64_t id = mkuser(f, "alice", "cadre", VILLAGE_E, 0);
	assert_int_equal(login(f, "192.0.2.1", "alice", "correct horse battery", &secret, NULL), 0);

	ctx_release(&f->c);
	ctx_init_system(&f->c, f->db);
	p = json_pack("{s:s}", "password", "alice-is-back");
	assert_int_equal(user_update(&f->c, id, p, &out), ZL_E_AUTH_PASSWORD_RULE);
	assert_true(has_field_error(&f->c, "password"));
	verr_release(&f->c.errs);
	json_decref(p);

	p = json_pack("{s:s}", "password", "a brand new secret");
	assert_int_equal(user_update(&f->c, id, p, &out), 0);
	assert_true(json_is_true(json_object_get(out, "must_change_password")));
	json_decref(out);
	json_decref(p);
	/* sessions ended, old password gone, new one works */
	assert_int_equal(resolve(f, secret, NULL), ZL_E_UNAUTHENTICATED);
	assert_int_equal(login(f, "192.0.2.1", "alice", "correct horse battery", NULL, NULL),
			 ZL_E_AUTH_FAILED);
	assert_int_equal(login(f, "192.0.2.1", "alice", "a brand new secret", NULL, NULL), 0);
	int64_t n;
	assert_int_equal(db_get_int(f->db, &n,
				    "SELECT count(*) FROM audit_log WHERE action = 'user.password_reset'",
				    ""), 1);
	assert_int_equal(n, 1);
	free(secret);
}

static void test_user_list(void **state)
{
	struct fix *f = *state;
	json_t *items = NULL;
	struct page p = { 2, 0 };
	int64_t next = 0;
	mkuser(f, "east1", "cadre", VILLAGE_E, 0);
	mkuser(f, "west1", "cadre", VILLAGE_W, 0);
	mkuser(f, "east2", "viewer", VILLAGE_E, 0);
	mkuser(f, "east3", "cadre", VILLAGE_E, 0);
	mkuser(f, "lead", "leader", VILLAGE_E, 0);

	/* scope: the east leader sees the four east users, two at a time */
	act_as(&f->c, f->db, "lead");
	assert_int_equal(user_list(&f->c, &p, NULL, NULL, &items, &next), 0);
	assert_int_equal(json_array_size(items), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(items, 0), "username")),
			    "east1");
	assert_string_equal(json_string_value(json_object_get(json_array_get(items, 1), "username")),
			    "east2");
	assert_true(next > 0);
	json_decref(items);
	p.after = next;
	assert_int_equal(user_list(&f->c, &p, NULL, NULL, &items, &next), 0);
	assert_int_equal(json_array_size(items), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(items, 0), "username")),
			    "east3");
	assert_int_equal(next, 0);
	json_decref(items);

	/* filters */
	assert_int_equal(user_list(&f->c, NULL, NULL, "viewer", &items, &next), 0);
	assert_int_equal(json_array_size(items), 1);
	json_decref(items);
	assert_int_equal(user_list(&f->c, NULL, "EAST", NULL, &items, &next), 0);
	assert_int_equal(json_array_size(items), 3);
	json_decref(items);
	assert_int_equal(user_list(&f->c, NULL, "%", NULL, &items, &next), 0);
	assert_int_equal(json_array_size(items), 0); /* wildcards are literal */
	json_decref(items);
	assert_int_equal(user_list(&f->c, NULL, NULL, "boss", &items, &next), ZL_E_VALIDATION);
	verr_release(&f->c.errs);

	/* the system sees everyone */
	ctx_release(&f->c);
	ctx_init_system(&f->c, f->db);
	assert_int_equal(user_list(&f->c, NULL, NULL, NULL, &items, &next), 0);
	assert_int_equal(json_array_size(items), 5);
	json_decref(items);
}

/* ---- rate limit ---- */

static void test_rate_limit(void **state)
{
	struct fix *f = *state;
	UNUSED(f);
	for (int i = 0; i < 20; i++)
		assert_int_equal(auth_rate_check("198.51.100.7"), 0);
	assert_int_equal(auth_rate_check("198.51.100.7"), ZL_E_AUTH_RATE);
	assert_int_equal(auth_rate_check("198.51.100.8"), 0); /* per address */
	/* sign-in itself refuses before any password work */
	assert_int_equal(login(f, "198.51.100.7", "alice", "whatever at all", NULL, NULL),
			 ZL_E_AUTH_RATE);
	/* a sliding window: after 5 minutes the early attempts have left it */
	assert_int_equal(clock_test_advance(5 * MIN_US), 0);
	assert_int_equal(auth_rate_check("198.51.100.7"), 0);

	/* many addresses at once: the table evicts, and nobody is locked out
	 * by someone else's attempts */
	char addr[64];
	for (int i = 0; i < 5000; i++) {
		snprintf(addr, sizeof(addr), "10.0.%d.%d", i / 256, i % 256);
		assert_int_equal(auth_rate_check(addr), 0);
	}
	auth_rate_reset();
	for (int i = 0; i < 20; i++)
		assert_int_equal(auth_rate_check("198.51.100.7"), 0);
	assert_int_equal(auth_rate_check("198.51.100.7"), ZL_E_AUTH_RATE);
	assert_int_equal(clock_test_advance(4 * MIN_US), 0);
	assert_int_equal(auth_rate_check("198.51.100.7"), ZL_E_AUTH_RATE);
	assert_int_equal(clock_test_advance(MIN_US), 0);
	assert_int_equal(auth_rate_check("198.51.100.7"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_password_rules),
		cmocka_unit_test(test_password_hash_verify),
		cmocka_unit_test_setup_teardown(test_login_ok_and_session, setup, teardown),
		cmocka_unit_test_setup_teardown(test_must_change_flag, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lockout_alike, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_expires, setup, teardown),
		cmocka_unit_test_setup_teardown(test_login_disabled_user, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_idle_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_absolute_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_touch_throttled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tokens, setup, teardown),
		cmocka_unit_test_setup_teardown(test_token_disabled_user, setup, teardown),
		cmocka_unit_test(test_perm_table),
		cmocka_unit_test_setup_teardown(test_scope, setup, teardown),
		cmocka_unit_test(test_roles_and_lang),
		cmocka_unit_test_setup_teardown(test_ctx_detail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_create_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_update_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_password_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rate_limit, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
