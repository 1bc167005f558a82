/*
 * auth.h: passwords, sessions, API tokens, lockout and login rate limits.
 * Passwords are argon2id (libsodium crypto_pwhash_str). Session and token
 * secrets are random; only their SHA-256 is stored.
 */
#ifndef ZL_AUTH_H
#define ZL_AUTH_H

#include "ctx.h"

#define AUTH_COOKIE "zl_session"
#define AUTH_CSRF_MAX 64
#define AUTH_IDLE_SEC (30 * 60)
#define AUTH_ABSOLUTE_SEC (12 * 60 * 60)
#define AUTH_LOCK_FAILURES 5
#define AUTH_LOCK_SEC (15 * 60)

/* Password rules: at least 10 characters (code points), not containing the
 * username (case-insensitive). Adds field errors under `field` and returns
 * ZL_E_AUTH_PASSWORD_RULE when broken. v may be NULL. */
int password_check_rules(const char *username, const char *password, struct verr *v,
			 const char *field);
/* argon2id hash into a new string the caller frees. */
int password_hash(const char *password, char **out);
/* 1 if the password matches the stored hash, 0 if not. */
int password_verify(const char *hash, const char *password);

/*
 * Resolves the caller from a session cookie value or an "Authorization:
 * Bearer ..." header (either may be NULL). On success fills c->actor and
 * returns 0; *via_cookie is set when the cookie was used and csrf gets the
 * session's CSRF token. Returns ZL_E_UNAUTHENTICATED when there are no
 * valid credentials and ZL_E_AUTH_EXPIRED when the session timed out
 * (idle or absolute). Touches the session's last-seen time.
 */
int auth_resolve(struct ctx *c, const char *cookie, const char *authorization, int *via_cookie,
		 char csrf[AUTH_CSRF_MAX + 1]);

/*
 * Signs in (POST /api/v1/session uses it; it manages its own transactions
 * and must not be called inside one the caller wants to roll back): rate
 * limit for c->addr, lockout by the typed username, password check, then a
 * new session. On success returns 0, sets c->actor to the user and gives the
 * cookie secret and CSRF token as new strings the caller frees. Failures are
 * counted and committed even though an error is returned:
 * ZL_E_AUTH_RATE, ZL_E_AUTH_LOCKED, ZL_E_AUTH_FAILED (unknown user, wrong
 * password and disabled account alike), or a storage error.
 */
int auth_login(struct ctx *c, const char *username, const char *password, char **cookie_secret,
	       char **csrf, int64_t *user_id);

/*
 * API tokens of the calling user. auth_token_create() checks the name
 * (1-64 characters; ZL_E_VALIDATION, ZL_E_TOKEN_NAME_EXISTS for a live
 * token of the same name) and gives *out (new reference) as {id, name,
 * prefix, token, created_at}: the only time the secret is shown.
 * auth_token_revoke() revokes one of the caller's tokens (an admin: any
 * token of a user in scope); ZL_E_NOT_FOUND otherwise; revoking a revoked
 * token changes nothing and returns 0. Both audit, and open a transaction
 * unless the caller holds one.
 */
struct json_t;
int auth_token_create(struct ctx *c, const char *name, struct json_t **out);
int auth_token_revoke(struct ctx *c, int64_t id);

/* The i-th permission name of the table, NULL past the end (tests, docs). */
const char *perm_name(size_t i);

/* Per-address login rate limit (in memory, on the program clock): at most
 * the limit (default 20) sign-in attempts per address in 5 minutes.
 * 0 if allowed, ZL_E_AUTH_RATE if the address is over the limit. */
int auth_rate_check(const char *addr);
void auth_rate_reset(void);
/* Sets the limit, 1..AUTH_RATE_LIMIT_MAX (a town office whose cadres all
 * sign in from one address wants more than 20); -1 if out of range. */
#define AUTH_RATE_LIMIT_MAX 200
int auth_rate_set_limit(int n);

#endif
