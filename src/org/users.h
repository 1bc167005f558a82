/*
 * users.h: the user service: accounts with a role and a data scope. The HTTP
 * handlers (user_routes) and the CLI (`zhilian user add|passwd|list|disable`)
 * call the same functions. Users are disabled, never deleted.
 */
#ifndef ZL_USERS_H
#define ZL_USERS_H

#include <jansson.h>

#include "platform/http.h"

/*
 * A user as JSON (what every function below gives in *out, a new reference
 * the caller owns): id, username, display_name, role, scope_code, phone
 * and position (work contact printed on liaison cards; null when unset),
 * must_change_password (bool), disabled (bool), created_at and updated_at
 * in display form. Never the password hash. Create and update accept phone
 * (mobile or landline) and position (1-64 characters); null clears them.
 *
 * Every function opens its own write transaction when the caller holds none
 * (argon2id hashing is done before it, so the write lock is not held during
 * it), and joins the caller's otherwise. Every change is audited with the
 * user JSON before and after.
 */

/*
 * Creates a user from {username, display_name, role, scope_code, password,
 * must_change_password?}. username is [a-z0-9_.-]{3,32}; display_name 1-64
 * characters; role one of admin, leader, cadre, viewer; scope_code a region
 * inside the actor's scope; password per password_check_rules().
 * must_change_password defaults to true (an admin chose the password) unless
 * the input says false. Returns 0, ZL_E_VALIDATION with field errors in
 * c->errs (ZL_E_AUTH_PASSWORD_RULE when only the password is bad),
 * ZL_E_USER_EXISTS, ZL_E_USER_ESCALATION for a role above the actor's own.
 */
int user_create(struct ctx *c, const json_t *in, json_t **out);

/* One user; ZL_E_NOT_FOUND when absent or outside the actor's scope. */
int user_get(struct ctx *c, int64_t id, json_t **out);

/*
 * Users in the actor's scope by ascending id, after p->after, at most
 * p->limit (p may be NULL: from the start, 50). q (may be NULL) matches
 * username or display name by substring; role (may be NULL) filters by role
 * (ZL_E_VALIDATION if unknown). *items is a new array; *next is the cursor
 * value for the next page (the last id given) or 0 when there is none.
 */
int user_list(struct ctx *c, const struct page *p, const char *q, const char *role,
	      json_t **items, int64_t *next);

/*
 * Applies a PATCH of display_name, role, scope_code, disabled (bool) and
 * password (an admin's reset: sets must_change_password). Disabling or
 * resetting the password ends the user's sessions. Returns ZL_E_NOT_FOUND
 * (absent or out of scope), ZL_E_VALIDATION, ZL_E_AUTH_PASSWORD_RULE,
 * ZL_E_USER_ESCALATION (a role above the actor's own, raising one's own
 * role, moving one's own scope outside the current one, or changing a user
 * whose role is above the actor's), ZL_E_FORBIDDEN (disabling oneself).
 * An empty or no-op patch changes nothing and audits nothing.
 */
int user_update(struct ctx *c, int64_t id, const json_t *patch, json_t **out);

/* GET/POST /api/v1/users, GET/PATCH /api/v1/users/{id}. */
extern const struct route_table user_routes;

#endif
