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

/* Per-address login rate limit (in memory, on the program clock).
 * 0 if allowed, ZL_E_AUTH_RATE if the address is over the limit. */
int auth_rate_check(const char *addr);
void auth_rate_reset(void);

#endif
