/*
 * users.c: the user service and its routes. Accounts carry a role and a data
 * scope; nobody can hand out a role above their own, raise their own role or
 * widen their own scope. Used by the HTTP handlers and by the CLI alike.
 */
#include "org/users.h"
#include "org/org.h"

#include "platform/audit.h"
#include "platform/auth.h"
#include "platform/clock.h"
#include "platform/db.h"
#include "platform/error.h"

#define USERNAME_MIN 3
#define USERNAME_MAX 32
#define DISPLAY_NAME_MAX 64
#define POSITION_MAX 64
#define LIST_DEFAULT 50
#define LIST_MAX 500

/* One app_user row as stored (times in storage form). */
struct user_row {
	int64_t id;
	char *username, *display_name, *role, *scope_code, *disabled_at, *created_at, *updated_at;
	int must_change_password;
	char *phone, *position; /* work phone and 职务, for team lists and liaison cards */
};
#define USER_ROW_INIT { 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL }

#define USER_COLS \
	"id, username, display_name, role, scope_code, must_change_password, disabled_at," \
	" created_at, updated_at, phone, position"

static void user_row_release(struct user_row *u)
{
	free(u->username);
	free(u->display_name);
	free(u->role);
	free(u->scope_code);
	free(u->disabled_at);
	free(u->created_at);
	free(u->updated_at);
	free(u->phone);
	free(u->position);
	*u = (struct user_row)USER_ROW_INIT;
}

static char *col_dup(struct db_stmt *st, int i)
{
	const char *s = db_col_text(st, i);
	return s ? xstrdup(s) : NULL;
}

static void user_row_read(struct db_stmt *st, struct user_row *u)
{
	u->id = db_col_int(st, 0);
	u->username = col_dup(st, 1);
	u->display_name = col_dup(st, 2);
	u->role = col_dup(st, 3);
	u->scope_code = col_dup(st, 4);
	u->must_change_password = db_col_int(st, 5) != 0;
	u->disabled_at = col_dup(st, 6);
	u->created_at = col_dup(st, 7);
	u->updated_at = col_dup(st, 8);
	u->phone = col_dup(st, 9);
	u->position = col_dup(st, 10);
}

/* Loads a user in the actor's scope; ZL_E_NOT_FOUND otherwise. */
static int user_row_load(struct ctx *c, int64_t id, struct user_row *u)
{
	struct buf sql = BUF_INIT;
	struct db_stmt *st = NULL;
	buf_adds(&sql, "SELECT " USER_COLS " FROM app_user WHERE id = ?");
	scope_sql(&sql, "scope_code");
	int rc = db_prepare(c->db, sql.data, &st);
	buf_release(&sql);
	if (rc < 0)
		return rc;
	db_bind_int(st, 1, id);
	db_bind_text(st, 2, c->actor.scope_like);
	rc = db_step(st);
	if (rc == 1) {
		user_row_read(st, u);
		rc = 0;
	} else if (rc == 0) {
		rc = ZL_E_NOT_FOUND;
	}
	db_done(st);
	return rc;
}

static json_t *json_time(const char *stored)
{
	int64_t us;
	char out[ZL_TIME_MAX];
	if (!stored || time_parse(stored, &us) < 0)
		return json_null();
	time_format_local(us, out);
	return json_string(out);
}

static json_t *user_json(const struct user_row *u)
{
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:b, s:b, s:o, s:o, s:s?, s:s?}", "id", (json_int_t)u->id,
			 "username", u->username ? u->username : "", "display_name",
			 u->display_name ? u->display_name : "", "role", u->role ? u->role : "",
			 "scope_code", u->scope_code ? u->scope_code : "", "must_change_password",
			 u->must_change_password, "disabled", u->disabled_at != NULL, "created_at",
			 json_time(u->created_at), "updated_at", json_time(u->updated_at), "phone", u->phone,
			 "position", u->position);
}

/* The audit form: the phone masked, as every personal datum in the log. */
static json_t *user_audit_json(const struct user_row *u)
{
	json_t *j = user_json(u);
	if (u->phone) {
		char masked[32];
		org_phone_mask(u->phone, masked, sizeof(masked));
		json_object_set_new(j, "phone", json_string(masked));
	}
	return j;
}

/*
 * phone (mobile or landline, stored normalised into out) and position
 * (1-64 characters) of a create or patch. For each: 0 absent, 1 a value,
 * 2 JSON null (clear it); field errors are added for bad values.
 */
static int opt_phone(struct ctx *c, const json_t *in, char out[24])
{
	const char *s = NULL;
	json_t *j = json_object_get(in, "phone");
	if (!j)
		return 0;
	if (json_is_null(j))
		return 2;
	if (json_opt_string(c, in, "phone", &s) < 0)
		return 0;
	return org_phone_field(c, "phone", s, out) == 0 ? 1 : 0;
}

static int opt_position(struct ctx *c, const json_t *in, const char **out)
{
	json_t *j = json_object_get(in, "position");
	*out = NULL;
	if (!j)
		return 0;
	if (json_is_null(j))
		return 2;
	if (json_opt_string(c, in, "position", out) < 0)
		return 0;
	return org_text_check(c, "position", *out, POSITION_MAX) == 0 ? 1 : 0;
}

static int str_differs(const char *a, const char *b)
{
	return (a == NULL) != (b == NULL) || (a && strcmp(a, b));
}

/* ---- field checks: each adds its field error and returns -1 ---- */

static int check_username(struct ctx *c, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	int ok = n >= USERNAME_MIN && n <= USERNAME_MAX;
	for (size_t i = 0; ok && i < n; i++) {
		char ch = s[i];
		ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' ||
		     ch == '-';
	}
	if (ok)
		return 0;
	verr_add(&c->errs, "username", "用户名须为 3 到 32 个字符，只含小写字母、数字和 _ . -",
		 "'username' must be 3 to 32 characters of a-z, 0-9, '_', '.' and '-'");
	return -1;
}

static int check_display_name(struct ctx *c, const char *s)
{
	long n = utf8_len(s);
	int blank = 1, ctrl = 0;
	for (const char *p = s; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			ctrl = 1;
		if (*p != ' ')
			blank = 0;
	}
	if (n >= 1 && n <= DISPLAY_NAME_MAX && !blank && !ctrl)
		return 0;
	verr_add(&c->errs, "display_name", "姓名须为 1 到 64 个字符，且不含控制字符",
		 "'display_name' must be 1 to 64 characters without control characters");
	return -1;
}

static enum role check_role(struct ctx *c, const char *s)
{
	enum role r = role_parse(s);
	if (r == ROLE_NONE)
		verr_add(&c->errs, "role", "角色须为 admin、leader、cadre 或 viewer",
			 "'role' must be one of admin, leader, cadre, viewer");
	return r;
}

/* 1 if the region exists and is in the actor's scope, 0 if not (no field
 * error added), negative on a storage error. */
static int region_in_scope(struct ctx *c, const char *code)
{
	return scope_contains(c, code);
}

static void scope_error(struct ctx *c)
{
	verr_add(&c->errs, "scope_code", "区域不存在或不在您的管辖范围内",
		 "'scope_code' does not exist or is outside your scope");
}

static int region_exists(struct ctx *c, const char *code)
{
	int64_t one;
	return db_get_int(c->db, &one, "SELECT 1 FROM region WHERE code = ?", "t", code);
}

/* An optional boolean field: 0 absent, 1 present (value in *v), -1 not a
 * boolean (field error added). */
static int opt_bool(struct ctx *c, const json_t *o, const char *field, int *v)
{
	json_t *j = json_object_get(o, field);
	if (!j || json_is_null(j))
		return 0;
	if (!json_is_boolean(j)) {
		char zh[160], en[160];
		snprintf(zh, sizeof(zh), "“%s”应为 true 或 false", field);
		snprintf(en, sizeof(en), "'%s' must be true or false", field);
		verr_add(&c->errs, field, zh, en);
		return -1;
	}
	*v = json_is_true(j);
	return 1;
}

/* ZL_E_AUTH_PASSWORD_RULE when the password is the only bad field, so that
 * the answer names the rule; ZL_E_VALIDATION otherwise. */
static int validation_code(const struct ctx *c, int password_bad)
{
	if (password_bad) {
		for (size_t i = 0; i < c->errs.n; i++)
			if (strcmp(c->errs.items[i].field, "password") != 0)
				return ZL_E_VALIDATION;
		return ZL_E_AUTH_PASSWORD_RULE;
	}
	return ZL_E_VALIDATION;
}

static int escalation(struct ctx *c)
{
	/* the field errors gathered so far are beside the point now */
	verr_release(&c->errs);
	return ZL_E_USER_ESCALATION;
}

/* ---- the service ---- */

int user_create(struct ctx *c, const json_t *in, json_t **out)
{
	const char *username = NULL, *display_name = NULL, *role_s = NULL, *scope = NULL,
		   *password = NULL, *position = NULL;
	char *hash = NULL, tnow[ZL_TIME_MAX], id_text[24], phone[24] = "";
	int must_change = 1, password_bad = 0, own = 0, rc;
	enum role role = ROLE_NONE;
	int64_t exists = 0, id;
	struct user_row u = USER_ROW_INIT;
	json_t *after = NULL;

	*out = NULL;
	if (!json_is_object(in))
		return ZL_E_BAD_JSON;
	if (json_opt_string(c, in, "username", &username) == 0) {
		if (!username || !*username)
			verr_required(c, "username");
		else
			check_username(c, username);
	}
	if (json_opt_string(c, in, "display_name", &display_name) == 0) {
		if (!display_name || !*display_name)
			verr_required(c, "display_name");
		else
			check_display_name(c, display_name);
	}
	if (json_opt_string(c, in, "role", &role_s) == 0) {
		if (!role_s || !*role_s)
			verr_required(c, "role");
		else
			role = check_role(c, role_s);
	}
	if (json_opt_string(c, in, "scope_code", &scope) == 0) {
		if (!scope || !*scope) {
			verr_required(c, "scope_code");
		} else {
			rc = region_in_scope(c, scope);
			if (rc < 0)
				return rc;
			if (rc == 0)
				scope_error(c);
		}
	}
	if (json_opt_string(c, in, "password", &password) == 0) {
		if (!password || !*password) {
			verr_required(c, "password");
		} else if (password_check_rules(username, password, &c->errs, "password") < 0) {
			password_bad = 1;
		}
	}
	opt_bool(c, in, "must_change_password", &must_change);
	opt_phone(c, in, phone);
	opt_position(c, in, &position);

	if (role != ROLE_NONE && role > c->actor.role)
		return escalation(c);
	if (c->errs.n)
		return validation_code(c, password_bad);

	rc = db_get_int(c->db, &exists, "SELECT 1 FROM app_user WHERE username = ?", "t", username);
	if (rc < 0)
		return rc;
	if (rc == 1)
		return ZL_E_USER_EXISTS;
	rc = password_hash(password, &hash);
	if (rc < 0)
		return rc;

	rc = db_tx_join(c->db, &own);
	if (rc < 0) {
		own = 0;
		goto out;
	}
	/* again under the write lock: another request may have won meanwhile */
	rc = db_get_int(c->db, &exists, "SELECT 1 FROM app_user WHERE username = ?", "t", username);
	if (rc == 1)
		rc = ZL_E_USER_EXISTS;
	if (rc < 0)
		goto out;
	time_format_utc(clock_now(), tnow);
	rc = db_run(c->db,
		    "INSERT INTO app_user(username, display_name, role, scope_code, password_hash,"
		    " must_change_password, created_at, updated_at, phone, position)"
		    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		    "tttttitttt", username, display_name, role_name(role), scope, hash,
		    (int64_t)(must_change != 0), tnow, tnow, phone[0] ? phone : NULL, position);
	if (rc < 0)
		goto out;
	id = db_last_id(c->db);
	rc = user_row_load(c, id, &u);
	if (rc < 0)
		goto out;
	after = user_audit_json(&u);
	snprintf(id_text, sizeof(id_text), "%" PRId64, id);
	rc = audit_log(c, "user.create", "user", id_text, NULL, after);
	json_decref(after);
	after = user_json(&u);
	rc = db_tx_end(c->db, own, rc);
	own = 0;
	if (rc == 0) {
		*out = after;
		after = NULL;
	}
out:
	if (own)
		db_tx_end(c->db, own, rc < 0 ? rc : ZL_E_INTERNAL);
	json_decref(after);
	user_row_release(&u);
	free(hash);
	return rc;
}

int user_get(struct ctx *c, int64_t id, json_t **out)
{
	struct user_row u = USER_ROW_INIT;
	*out = NULL;
	int rc = user_row_load(c, id, &u);
	if (rc == 0)
		*out = user_json(&u);
	user_row_release(&u);
	return rc;
}

/* A LIKE pattern matching s anywhere, with the wildcards in s escaped by
 * '\' (the query says ESCAPE '\'). */
static char *like_pattern_new(const char *s)
{
	struct buf b = BUF_INIT;
	buf_addch(&b, '%');
	for (; *s; s++) {
		if (*s == '%' || *s == '_' || *s == '\\')
			buf_addch(&b, '\\');
		buf_addch(&b, *s);
	}
	buf_addch(&b, '%');
	return buf_detach(&b, NULL);
}

int user_list(struct ctx *c, const struct page *p, const char *q, const char *role,
	      json_t **items, int64_t *next)
{
	struct buf sql = BUF_INIT;
	struct db_stmt *st = NULL;
	char *like = NULL;
	int limit = p && p->limit > 0 ? p->limit : LIST_DEFAULT, n = 0, bind = 1, rc;
	int64_t after = p ? p->after : 0, last = 0;

	*items = NULL;
	*next = 0;
	if (limit > LIST_MAX)
		limit = LIST_MAX;
	if (role && *role && role_parse(role) == ROLE_NONE) {
		check_role(c, role);
		return ZL_E_VALIDATION;
	}
	buf_adds(&sql, "SELECT " USER_COLS " FROM app_user WHERE id > ?");
	if (q && *q) {
		like = like_pattern_new(q);
		buf_adds(&sql, " AND (username LIKE ? ESCAPE '\\' OR display_name LIKE ? ESCAPE '\\')");
	}
	if (role && *role)
		buf_adds(&sql, " AND role = ?");
	scope_sql(&sql, "scope_code");
	buf_adds(&sql, " ORDER BY id LIMIT ?");

	rc = db_prepare(c->db, sql.data, &st);
	if (rc < 0)
		goto out;
	db_bind_int(st, bind++, after);
	if (like) {
		db_bind_text(st, bind++, like);
		db_bind_text(st, bind++, like);
	}
	if (role && *role)
		db_bind_text(st, bind++, role);
	db_bind_text(st, bind++, c->actor.scope_like);
	db_bind_int(st, bind++, (int64_t)limit + 1);

	*items = json_array();
	while ((rc = db_step(st)) == 1) {
		if (n == limit) {
			*next = last; /* there is more after the last one given */
			break;
		}
		struct user_row u = USER_ROW_INIT;
		user_row_read(st, &u);
		json_array_append_new(*items, user_json(&u));
		last = u.id;
		user_row_release(&u);
		n++;
	}
	db_done(st);
	if (rc > 0)
		rc = 0;
out:
	if (rc < 0) {
		json_decref(*items);
		*items = NULL;
		*next = 0;
	}
	buf_release(&sql);
	free(like);
	return rc;
}

int user_update(struct ctx *c, int64_t id, const json_t *patch, json_t **out)
{
	struct user_row u = USER_ROW_INIT, v = USER_ROW_INIT;
	const char *display_name = NULL, *role_s = NULL, *scope = NULL, *password = NULL, *position = NULL;
	char *hash = NULL, tnow[ZL_TIME_MAX], id_text[24], phone[24] = "";
	int disabled = 0, has_disabled = 0, password_bad = 0, own = 0, self, rc, has_phone, has_position;
	enum role role = ROLE_NONE, target_role;
	json_t *before = NULL, *after = NULL;

	*out = NULL;
	if (!json_is_object(patch))
		return ZL_E_BAD_JSON;

	/* The password is checked and hashed before the write transaction;
	 * the username it is checked against never changes. */
	if (json_opt_string(c, patch, "password", &password) < 0)
		password = NULL;
	if (password) {
		rc = user_row_load(c, id, &u);
		if (rc < 0)
			goto out;
		if (!*password) {
			verr_required(c, "password");
		} else if (password_check_rules(u.username, password, &c->errs, "password") < 0) {
			password_bad = 1;
		} else {
			rc = password_hash(password, &hash);
			if (rc < 0)
				goto out;
		}
		user_row_release(&u);
	}

	rc = db_tx_join(c->db, &own);
	if (rc < 0) {
		own = 0;
		goto out;
	}
	rc = user_row_load(c, id, &u);
	if (rc < 0)
		goto out;
	self = c->actor.user_id != 0 && c->actor.user_id == id;
	target_role = role_parse(u.role);
	if (target_role > c->actor.role) {
		rc = escalation(c);
		goto out;
	}

	if (json_opt_string(c, patch, "display_name", &display_name) == 0 && display_name)
		check_display_name(c, display_name);
	if (json_opt_string(c, patch, "role", &role_s) == 0 && role_s)
		role = check_role(c, role_s);
	if (json_opt_string(c, patch, "scope_code", &scope) == 0 && scope) {
		rc = region_in_scope(c, scope);
		if (rc < 0)
			goto out;
		if (rc == 0 && self) {
			/* one's own scope may only narrow; an unknown code is
			 * just a bad value */
			rc = region_exists(c, scope);
			if (rc < 0)
				goto out;
			if (rc == 1) {
				rc = escalation(c);
				goto out;
			}
		}
		if (rc == 0)
			scope_error(c);
		rc = 0;
	}
	has_disabled = opt_bool(c, patch, "disabled", &disabled) == 1;
	has_phone = opt_phone(c, patch, phone);
	has_position = opt_position(c, patch, &position);

	/* Nobody gives a role above their own; for oneself that is also
	 * "nobody raises their own role", since actor.role is one's role. */
	if (role != ROLE_NONE && role > c->actor.role) {
		rc = escalation(c);
		goto out;
	}
	if (self && has_disabled && disabled && !u.disabled_at) {
		verr_release(&c->errs);
		ctx_detail(c, "不能停用自己的账号", "you cannot disable your own account");
		rc = ZL_E_FORBIDDEN;
		goto out;
	}
	if (c->errs.n) {
		rc = validation_code(c, password_bad);
		goto out;
	}

	/* v: the row as it will be */
	v.id = u.id;
	v.username = xstrdup(u.username);
	v.display_name = xstrdup(display_name ? display_name : u.display_name);
	v.role = xstrdup(role != ROLE_NONE ? role_name(role) : u.role);
	v.scope_code = xstrdup(scope ? scope : u.scope_code);
	v.must_change_password = hash ? 1 : u.must_change_password;
	time_format_utc(clock_now(), tnow);
	if (has_disabled)
		v.disabled_at = disabled ? xstrdup(u.disabled_at ? u.disabled_at : tnow) : NULL;
	else
		v.disabled_at = u.disabled_at ? xstrdup(u.disabled_at) : NULL;
	v.created_at = xstrdup(u.created_at);
	v.phone = has_phone == 1 ? xstrdup(phone) : has_phone == 2 || !u.phone ? NULL : xstrdup(u.phone);
	v.position = has_position == 1 ? xstrdup(position)
		     : has_position == 2 || !u.position ? NULL : xstrdup(u.position);

	int fields_changed = strcmp(v.display_name, u.display_name) || strcmp(v.role, u.role) ||
			     strcmp(v.scope_code, u.scope_code) ||
			     (v.disabled_at == NULL) != (u.disabled_at == NULL) ||
			     str_differs(v.phone, u.phone) || str_differs(v.position, u.position);
	int newly_disabled = v.disabled_at && !u.disabled_at;
	if (!fields_changed && !hash) {
		*out = user_json(&u);
		rc = db_tx_end(c->db, own, 0);
		own = 0;
		if (rc < 0) {
			json_decref(*out);
			*out = NULL;
		}
		goto out;
	}

	v.updated_at = xstrdup(tnow);
	rc = db_run(c->db,
		    "UPDATE app_user SET display_name = ?, role = ?, scope_code = ?, disabled_at = ?,"
		    " must_change_password = ?, password_hash = COALESCE(?, password_hash),"
		    " updated_at = ?, phone = ?, position = ? WHERE id = ?",
		    "ttttitttti", v.display_name, v.role, v.scope_code, v.disabled_at,
		    (int64_t)v.must_change_password, hash, tnow, v.phone, v.position, id);
	if (rc < 0)
		goto out;
	if (newly_disabled || hash) {
		rc = db_run(c->db, "UPDATE session SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL",
			    "ti", tnow, id);
		if (rc < 0)
			goto out;
	}
	before = user_audit_json(&u);
	after = user_audit_json(&v);
	snprintf(id_text, sizeof(id_text), "%" PRId64, id);
	if (fields_changed)
		rc = audit_log(c, "user.update", "user", id_text, before, after);
	if (rc == 0 && hash)
		rc = audit_log(c, "user.password_reset", "user", id_text, before, after);
	json_decref(after);
	after = user_json(&v);
	rc = db_tx_end(c->db, own, rc);
	own = 0;
	if (rc == 0) {
		*out = after;
		after = NULL;
	}
out:
	if (own)
		db_tx_end(c->db, own, rc < 0 ? rc : ZL_E_INTERNAL);
	json_decref(before);
	json_decref(after);
	user_row_release(&u);
	user_row_release(&v);
	free(hash);
	return rc;
}

/* ---- routes ---- */

static int h_user_list(struct req *r, struct resp *w)
{
	struct page p;
	json_t *items = NULL;
	int64_t next = 0;
	int rc = req_page(r, &p);
	if (rc < 0)
		return rc;
	rc = user_list(&r->ctx, &p, req_query(r, "q"), req_query(r, "role"), &items, &next);
	if (rc < 0)
		return rc;
	resp_json(w, 200, page_result(items, next));
	return 0;
}

static int h_user_create(struct req *r, struct resp *w)
{
	json_t *in = NULL, *out = NULL;
	int rc = req_json(r, &in);
	if (rc < 0)
		return rc;
	rc = user_create(&r->ctx, in, &out);
	if (rc < 0)
		return rc;
	resp_created_id(w, out, "/api/v1/users/");
	return 0;
}

static int h_user_get(struct req *r, struct resp *w)
{
	json_t *out = NULL;
	int64_t id;
	int rc = req_param_id(r, "id", &id);
	if (rc < 0)
		return rc;
	rc = user_get(&r->ctx, id, &out);
	if (rc < 0)
		return rc;
	resp_json(w, 200, out);
	return 0;
}

static int h_user_update(struct req *r, struct resp *w)
{
	json_t *in = NULL, *out = NULL;
	int64_t id;
	int rc = req_param_id(r, "id", &id);
	if (rc < 0)
		return rc;
	rc = req_json(r, &in);
	if (rc < 0)
		return rc;
	rc = user_update(&r->ctx, id, in, &out);
	if (rc < 0)
		return rc;
	resp_json(w, 200, out);
	return 0;
}

/* POST and PATCH hash passwords before taking the write lock, so they open
 * their own transaction (the service does) instead of the router's. */
static const struct route routes[] = {
	{ "GET", "/api/v1/users", h_user_list, "user.read", 0 },
	{ "POST", "/api/v1/users", h_user_create, "user.write", ROUTE_OWN_TX },
	{ "GET", "/api/v1/users/{id}", h_user_get, "user.read", 0 },
	{ "PATCH", "/api/v1/users/{id}", h_user_update, "user.write", ROUTE_OWN_TX },
};

ROUTE_TABLE(user_routes, "users", routes);
