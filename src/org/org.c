/*
 * org.c: the small helpers every part of the organisation module (and
 * users.c) shares: dates in Asia/Shanghai, field and query checks, phone
 * numbers and their masked form, and users as the module sees them.
 * Kept apart from regions.c so that using them links nothing of the CLI.
 */
#include "org/org.h"

#include "platform/clock.h"
#include "platform/db.h"

void org_col_copy(struct db_stmt *st, int i, char *out, size_t n)
{
	const char *s = db_col_text(st, i);
	snprintf(out, n, "%s", s ? s : "");
}

void org_today(char out[ORG_DATE_MAX])
{
	int y, m, d;
	int64_t local = clock_now() / USEC_PER_SEC + ZL_TZ_OFFSET_MIN * 60;
	civil_from_days(local / 86400, &y, &m, &d);
	snprintf(out, ORG_DATE_MAX, "%04d-%02d-%02d", y, m, d);
}

json_t *org_time_json(const char *stored)
{
	int64_t us;
	char out[ZL_TIME_MAX];
	if (!stored || !*stored || time_parse(stored, &us) < 0)
		return json_null();
	time_format_local(us, out);
	return json_string(out);
}

int org_date_check(struct ctx *c, const char *field, const char *s)
{
	int64_t days;
	char zh[160], en[160];
	if (s && strlen(s) == 10 && date_parse(s, &days) == 0)
		return 0;
	snprintf(zh, sizeof(zh), "“%s”应为 YYYY-MM-DD 格式的日期", field);
	snprintf(en, sizeof(en), "'%s' must be a date as YYYY-MM-DD", field);
	verr_add(&c->errs, field, zh, en);
	return -1;
}

int org_text_check(struct ctx *c, const char *field, const char *s, long max)
{
	long n = s ? utf8_len(s) : -1;
	int blank = 1, ctrl = 0;
	char zh[160], en[160];
	for (const char *p = s ? s : ""; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			ctrl = 1;
		if (*p != ' ')
			blank = 0;
	}
	if (n >= 1 && n <= max && !blank && !ctrl)
		return 0;
	if (!s) {
		verr_required(c, field);
		return -1;
	}
	snprintf(zh, sizeof(zh), "“%s”应为 1 到 %ld 个字，且不含控制字符", field, max);
	snprintf(en, sizeof(en), "'%s' must be 1 to %ld characters without control characters", field, max);
	verr_add(&c->errs, field, zh, en);
	return -1;
}

int org_query_flag(struct req *r, const char *name, int *v)
{
	const char *s = req_query(r, name);
	char zh[120], en[120];
	*v = s && (!strcmp(s, "1") || !strcmp(s, "true"));
	if (!s || !*s || *v || !strcmp(s, "0") || !strcmp(s, "false"))
		return 0;
	snprintf(zh, sizeof(zh), "%s 应为 1 或 0", name);
	snprintf(en, sizeof(en), "'%s' must be 1 or 0", name);
	verr_add(&r->ctx.errs, name, zh, en);
	return ZL_E_VALIDATION;
}

int org_query_id(struct req *r, const char *name, int64_t *v)
{
	const char *s = req_query(r, name);
	char zh[120], en[120];
	*v = 0;
	if (!s || !*s || (parse_int64(s, v) == 0 && *v > 0))
		return 0;
	*v = 0;
	snprintf(zh, sizeof(zh), "%s 应为正整数", name);
	snprintf(en, sizeof(en), "'%s' must be a positive integer", name);
	verr_add(&r->ctx.errs, name, zh, en);
	return ZL_E_VALIDATION;
}

int org_opt_id(struct ctx *c, const json_t *o, const char *field, int64_t *v)
{
	json_t *j = json_object_get(o, field);
	char zh[120], en[120];
	*v = 0;
	if (!j || json_is_null(j))
		return 0;
	if (json_is_integer(j) && json_integer_value(j) > 0) {
		*v = json_integer_value(j);
		return 1;
	}
	snprintf(zh, sizeof(zh), "“%s”应为正整数", field);
	snprintf(en, sizeof(en), "'%s' must be a positive integer", field);
	verr_add(&c->errs, field, zh, en);
	return -1;
}

int org_one_of(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		if (!strcmp(s, list[i]))
			return 1;
	return 0;
}

int org_first(json_t *items, json_t **out)
{
	*out = json_array_size(items) ? json_incref(json_array_get(items, 0)) : NULL;
	json_decref(items);
	return *out ? 0 : ZL_E_NOT_FOUND;
}

int org_phone_field(struct ctx *c, const char *field, const char *in, char out[24])
{
	char zh[160], en[160];
	if (org_phone_check(in, out) == 0)
		return 0;
	snprintf(zh, sizeof(zh), "“%s”应为手机号（11 位）或带区号的固定电话", field);
	snprintf(en, sizeof(en), "'%s' must be a mobile number (11 digits) or a landline with its area code",
		 field);
	verr_add(&c->errs, field, zh, en);
	return -1;
}

int org_phone_check(const char *in, char out[24])
{
	char d[24];
	size_t n = 0, area;
	const char *p = in;
	if (!in)
		return -1;
	if (p[0] == '+') {
		if (strncmp(p, "+86", 3) != 0)
			return -1;
		p += 3;
	}
	for (; *p; p++) {
		if (isdigit((unsigned char)*p)) {
			if (n + 1 >= sizeof(d))
				return -1;
			d[n++] = *p;
		} else if (*p != ' ' && *p != '-' && *p != '(' && *p != ')') {
			return -1;
		}
	}
	d[n] = '\0';
	if (n == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9') {
		snprintf(out, 24, "%s", d);
		return 0;
	}
	if (n < 10 || n > 12 || d[0] != '0' || d[1] == '0')
		return -1;
	/* 010 and 02x are three-digit area codes, the rest four */
	area = d[1] == '1' || d[1] == '2' ? 3 : 4;
	if (n - area < 7 || n - area > 8 || d[area] == '0')
		return -1;
	snprintf(out, 24, "%.*s-%s", (int)area, d, d + area);
	return 0;
}

void org_phone_mask(const char *phone, char *out, size_t n)
{
	size_t len = phone ? strlen(phone) : 0;
	const char *dash = phone ? strchr(phone, '-') : NULL;
	size_t keep_head = dash ? (size_t)(dash - phone) + 1 : 3;
	struct buf b = BUF_INIT;
	if (len <= keep_head + 4) {
		for (size_t i = 0; i < len; i++)
			buf_addch(&b, '*');
	} else {
		buf_add(&b, phone, keep_head);
		for (size_t i = keep_head; i < len - 4; i++)
			buf_addch(&b, '*');
		buf_adds(&b, phone + len - 4);
	}
	snprintf(out, n, "%s", b.data);
	buf_release(&b);
}

int org_user_load(struct ctx *c, int64_t id, struct org_user *u)
{
	struct db_stmt *st = NULL;
	int rc = db_prepare(c->db,
			    "SELECT u.id, u.display_name, u.role, u.scope_code, u.disabled_at, u.phone,"
			    " u.position FROM app_user u JOIN region z ON z.code = u.scope_code"
			    " WHERE u.id = ? AND (+z.path LIKE ? OR u.id = ?)",
			    &st);
	if (rc < 0)
		return rc;
	db_bindv(st, "iti", id, c->actor.scope_like, c->actor.user_id);
	rc = db_step(st);
	if (rc == 1) {
		memset(u, 0, sizeof(*u));
		u->id = db_col_int(st, 0);
		org_col_copy(st, 1, u->display_name, sizeof(u->display_name));
		u->role = role_parse(db_col_text(st, 2));
		org_col_copy(st, 3, u->scope_code, sizeof(u->scope_code));
		u->disabled = !db_col_isnull(st, 4);
		org_col_copy(st, 5, u->phone, sizeof(u->phone));
		org_col_copy(st, 6, u->position, sizeof(u->position));
		rc = 0;
	} else if (rc == 0) {
		rc = ZL_E_NOT_FOUND;
	}
	db_done(st);
	return rc;
}

json_t *org_user_brief(struct ctx *c, int64_t id)
{
	struct db_stmt *st = NULL;
	json_t *o = NULL;
	if (id <= 0 || db_prepare(c->db, "SELECT id, display_name, position, phone FROM app_user WHERE id = ?",
				  &st) < 0)
		return json_null();
	db_bind_int(st, 1, id);
	if (db_step(st) == 1)
		o = json_pack("{s:I,s:s,s:s?,s:s?}", "id", (json_int_t)db_col_int(st, 0), "display_name",
			      db_col_text(st, 1), "position", db_col_text(st, 2), "phone", db_col_text(st, 3));
	db_done(st);
	return o ? o : json_null();
}
