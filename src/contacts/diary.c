/*
 * diary.c: the people's-condition diary (民情日记): a cadre's dated notes,
 * each belonging to one village and optionally linked to contacts and
 * households; the service (create, read, list, a 24-hour edit window) and
 * its HTTP face. The rules are in diary.h.
 */
#include "contacts/contacts_int.h"
#include "contacts/diary.h"
#include "households/households.h"

#include "org/org.h"
#include "platform/audit.h"
#include "platform/error.h"

/* Whether the actor reads every entry in scope or only their own. */
int diary_reads_all(const struct ctx *c)
{
	return c->actor.role != ROLE_CADRE;
}

/* ---- input ---- */

/* What an entry holds, checked. ids are sorted and distinct. */
struct diary_in {
	char date[ORG_DATE_MAX];
	const char *text;
	json_t *tags; /* owned */
	int64_t contacts[DIARY_LINKS_MAX], households[DIARY_LINKS_MAX];
	size_t ncontacts, nhouseholds;
	char village[ZL_CODE_MAX];
};

static void diary_in_release(struct diary_in *d)
{
	json_decref(d->tags);
	d->tags = NULL;
}

static int int64_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static int64_t today_days(void)
{
	return (clock_now() / USEC_PER_SEC + ZL_TZ_OFFSET_MIN * 60) / 86400;
}

/* 1..DIARY_TEXT_MAX characters of UTF-8, not blank; line breaks and tabs
 * allowed, other control characters not. */
static void text_check(struct ctx *c, const char *s)
{
	long n = utf8_len(s);
	int blank = 1;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p < 0x20 && *p != '\n' && *p != '\r' && *p != '\t') || *p == 0x7f)
			n = -1;
		if (!isspace(*p))
			blank = 0;
	}
	if (n < 1 || n > DIARY_TEXT_MAX || blank)
		ct_ferr(c, "text", "“%s”应为 1 到 4000 个字，不能全是空白，不含控制字符",
			"'%s' must be 1 to 4000 characters, not only spaces, without control characters");
}

static void date_check(struct ctx *c, const char *s, char out[ORG_DATE_MAX])
{
	int64_t days, today = today_days();
	if (!s || date_parse(s, &days) || strlen(s) != 10) {
		ct_ferr(c, "date", "“%s”应为日期，如 2026-10-08", "'%s' must be a date like 2026-10-08");
		return;
	}
	if (days > today)
		ct_ferr(c, "date", "“%s”不能晚于今天", "'%s' must not be after today");
	else if (days < today - DIARY_BACKDATE_DAYS)
		ct_ferr(c, "date", "“%s”不能早于一年以前", "'%s' must lie within the last year");
	else
		snprintf(out, ORG_DATE_MAX, "%s", s);
}

/* Free tags, trimmed of nothing: each 1..16 characters, no control
 * characters or spaces only; duplicates dropped, order kept. */
static json_t *tags_check(struct ctx *c, const json_t *v)
{
	json_t *out = json_array(), *e;
	size_t i;
	if (!v || json_is_null(v))
		return out;
	if (!json_is_array(v) || json_array_size(v) > DIARY_TAGS_MAX) {
		ct_ferr(c, "tags", "“%s”应为至多 8 个标签的列表", "'%s' must be a list of at most 8 tags");
		return out;
	}
	json_array_foreach(v, i, e) {
		const char *s = json_string_value(e);
		char field[32];
		int dup = 0;
		size_t j;
		json_t *o;
		snprintf(field, sizeof(field), "tags[%zu]", i);
		if (!s || org_text_check(c, field, s, DIARY_TAG_MAX_CHARS))
			continue;
		json_array_foreach(out, j, o)
			dup |= !strcmp(json_string_value(o), s);
		if (!dup)
			json_array_append_new(out, json_string(s));
	}
	return out;
}

/* A list of distinct positive ids into ids (sorted); field errors else. */
static size_t ids_check(struct ctx *c, const char *field, const json_t *v, int64_t *ids)
{
	size_t n = 0, i;
	json_t *e;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v) || json_array_size(v) > DIARY_LINKS_MAX) {
		ct_ferr(c, field, "“%s”应为至多 50 个编号的列表", "'%s' must be a list of at most 50 ids");
		return 0;
	}
	json_array_foreach(v, i, e) {
		int64_t id = json_is_integer(e) ? json_integer_value(e) : 0;
		int dup = 0;
		if (id < 1) {
			char f[40];
			snprintf(f, sizeof(f), "%s[%zu]", field, i);
			ct_ferr(c, f, "“%s”应为正整数编号", "'%s' must be a positive id");
			continue;
		}
		for (size_t j = 0; j < n; j++)
			dup |= ids[j] == id;
		if (!dup)
			ids[n++] = id;
	}
	qsort(ids, n, sizeof(*ids), int64_cmp);
	return n;
}

/* The village of each linked record in scope into vill (one village for
 * all, else a field error); a record outside scope is a field error. */
static int links_village(struct ctx *c, const char *field, const char *sql, const int64_t *ids, size_t n,
			 char vill[ZL_CODE_MAX])
{
	struct buf q = BUF_INIT;
	struct db_stmt *st = NULL;
	int rc = 0;
	buf_adds(&q, sql);
	scope_sql(&q, "t.village_code");
	for (size_t i = 0; rc >= 0 && i < n; i++) {
		char f[40];
		snprintf(f, sizeof(f), "%s[%zu]", field, i);
		if ((rc = db_prepare(c->db, q.data, &st)) < 0)
			break;
		db_bindv(st, "it", ids[i], c->actor.scope_like);
		rc = db_step(st);
		if (rc == 1) {
			const char *v = db_col_text(st, 0);
			if (!*vill)
				snprintf(vill, ZL_CODE_MAX, "%s", v);
			else if (strcmp(vill, v))
				ct_ferr(c, f, "“%s”属于另一个村：一篇日记只属于一个村",
					"'%s' belongs to another village; an entry belongs to one village");
			rc = 0;
		} else if (rc == 0) {
			ct_ferr(c, f, "“%s”不存在，或不在您的管辖范围内", "'%s' does not exist in your area");
		}
		db_done(st);
	}
	buf_release(&q);
	return rc < 0 ? rc : 0;
}

/* The villages the author is stationed at (驻点) now: station assignments,
 * station-team memberships and leaderships, in scope; then the author's
 * scope itself when it is a village. Sets *n and the first in out. */
static int author_village(struct ctx *c, char out[ZL_CODE_MAX], int *n)
{
	struct buf q = BUF_INIT;
	struct db_stmt *st = NULL;
	int64_t one;
	int rc;
	*n = 0;
	buf_adds(&q, "SELECT DISTINCT t.village_code FROM ("
		     "SELECT village_code FROM station_assignment WHERE user_id = ? AND end_date IS NULL"
		     " UNION SELECT v.village_code FROM team_member m JOIN village_team v ON v.id = m.team_id"
		     " WHERE m.user_id = ? AND m.end_date IS NULL AND v.kind = 'station'"
		     " UNION SELECT village_code FROM village_team WHERE leader_user_id = ? AND kind = 'station'"
		     ") t WHERE 1 = 1");
	scope_sql(&q, "t.village_code");
	buf_adds(&q, " ORDER BY t.village_code");
	rc = db_prepare(c->db, q.data, &st);
	buf_release(&q);
	if (rc < 0)
		return rc;
	db_bindv(st, "iiit", c->actor.user_id, c->actor.user_id, c->actor.user_id, c->actor.scope_like);
	while ((rc = db_step(st)) == 1)
		if ((*n)++ == 0)
			snprintf(out, ZL_CODE_MAX, "%s", db_col_text(st, 0));
	db_done(st);
	if (rc < 0 || *n)
		return rc < 0 ? rc : 0;
	rc = db_get_int(c->db, &one, "SELECT 1 FROM region WHERE code = ? AND level = 'village'", "t",
			c->actor.scope);
	if (rc == 1) {
		snprintf(out, ZL_CODE_MAX, "%s", c->actor.scope);
		*n = 1;
	}
	return rc < 0 ? rc : 0;
}

/*
 * Checks an entry's fields from in (all of them: a PATCH merges first) into
 * d and settles its village. fallback is the stored village (for a PATCH)
 * used when several stations would fit. ZL_E_VALIDATION with field errors.
 */
static int diary_in_check(struct ctx *c, const json_t *in, const char *fallback, struct diary_in *d)
{
	static const char *const fields[] = { "date", "text", "tags", "contacts", "households",
					      "village_code" };
	const char *key, *vc = NULL;
	char linked[ZL_CODE_MAX] = "";
	json_t *v;
	int rc;

	if (!json_is_object(in)) {
		ctx_detail(c, "请求体应为 JSON 对象", "the body must be a json object");
		return ZL_E_BAD_REQUEST;
	}
	json_object_foreach((json_t *)in, key, v)
		if (!org_one_of(key, fields, ARRAY_SIZE(fields)))
			ct_ferr(c, key, "不认识的字段“%s”", "unknown field '%s'");
	v = json_object_get(in, "date");
	if (!json_is_string(v))
		verr_required(c, "date");
	else
		date_check(c, json_string_value(v), d->date);
	v = json_object_get(in, "text");
	if (!json_is_string(v))
		verr_required(c, "text");
	else
		text_check(c, d->text = json_string_value(v));
	d->tags = tags_check(c, json_object_get(in, "tags"));
	d->ncontacts = ids_check(c, "contacts", json_object_get(in, "contacts"), d->contacts);
	d->nhouseholds = ids_check(c, "households", json_object_get(in, "households"), d->households);
	v = json_object_get(in, "village_code");
	if (v && !json_is_null(v) && !(vc = json_string_value(v)))
		ct_ferr(c, "village_code", "“%s”应为村的 12 位代码", "'%s' must be a 12-digit village code");
	if (c->errs.n)
		return ZL_E_VALIDATION;

	if ((rc = links_village(c, "contacts", "SELECT t.village_code FROM contact t WHERE t.id = ?",
				d->contacts, d->ncontacts, linked)) < 0 ||
	    (rc = links_village(c, "households", "SELECT t.village_code FROM household t WHERE t.id = ?",
				d->households, d->nhouseholds, linked)) < 0)
		return rc;
	if (c->errs.n)
		return ZL_E_VALIDATION;

	if (vc) {
		int64_t one;
		rc = db_get_int(c->db, &one, "SELECT 1 FROM region WHERE code = ? AND level = 'village'", "t", vc);
		if (rc < 0)
			return rc;
		if (rc == 0 || (rc = scope_contains(c, vc)) == 0)
			ct_ferr(c, "village_code", "“%s”不是您管辖范围内的村", "'%s' is not a village in your area");
		else if (rc < 0)
			return rc;
		else if (*linked && strcmp(linked, vc))
			ct_ferr(c, "village_code", "“%s”与所关联的联系记录或农户不在同一个村",
				"'%s' is not the village of the linked contacts and households");
		else
			snprintf(d->village, sizeof(d->village), "%s", vc);
	} else if (*linked) {
		snprintf(d->village, sizeof(d->village), "%s", linked);
	} else {
		int n = 0;
		if ((rc = author_village(c, d->village, &n)) < 0)
			return rc;
		if (n > 1 && fallback)
			snprintf(d->village, sizeof(d->village), "%s", fallback);
		else if (n > 1)
			ct_ferr(c, "village_code", "您在多个村驻点，请用“%s”指明这篇日记属于哪个村",
				"you are stationed at several villages; name the entry's village in '%s'");
		else if (n == 0 && fallback)
			snprintf(d->village, sizeof(d->village), "%s", fallback);
		else if (n == 0)
			ct_ferr(c, "village_code", "您没有驻点村，请用“%s”指明这篇日记属于哪个村",
				"you have no station village; name the entry's village in '%s'");
	}
	return c->errs.n ? ZL_E_VALIDATION : 0;
}

/* ---- storage ---- */

static int links_write(struct ctx *c, int64_t id, const struct diary_in *d)
{
	int rc = db_run(c->db, "DELETE FROM diary_contact WHERE entry_id = ?", "i", id);
	if (!rc)
		rc = db_run(c->db, "DELETE FROM diary_household WHERE entry_id = ?", "i", id);
	for (size_t i = 0; !rc && i < d->ncontacts; i++)
		rc = db_run(c->db, "INSERT INTO diary_contact(entry_id, contact_id) VALUES (?, ?)", "ii", id,
			    d->contacts[i]);
	for (size_t i = 0; !rc && i < d->nhouseholds; i++)
		rc = db_run(c->db, "INSERT INTO diary_household(entry_id, household_id) VALUES (?, ?)", "ii",
			    id, d->households[i]);
	return rc;
}

static json_t *ids_json(const int64_t *ids, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_integer(ids[i]));
	return a;
}

/* What an audit row may hold: no text, only its length. */
static json_t *audit_json(const struct diary_in *d)
{
	return json_pack("{s:s,s:s,s:I,s:O,s:o,s:o}", "date", d->date, "village_code", d->village,
			 "text_chars", (json_int_t)utf8_len(d->text), "tags", d->tags, "contacts",
			 ids_json(d->contacts, d->ncontacts), "households",
			 ids_json(d->households, d->nhouseholds));
}

/* ---- reading ---- */

#define ENTRY_SQL                                                                                   \
	"SELECT t.id, t.author_user_id, u.display_name, t.date, t.village_code, r.name, t.text,"      \
	" t.tags_json, t.created_at, t.updated_at FROM diary_entry t"                                \
	" JOIN app_user u ON u.id = t.author_user_id JOIN region r ON r.code = t.village_code"

static json_t *entry_links(struct ctx *c, int64_t id, int households)
{
	struct db_stmt *st = NULL;
	json_t *a = json_array();
	const char *sql = households
		? "SELECT h.id, h.code, h.head_name FROM diary_household l JOIN household h ON h.id ="
		  " l.household_id WHERE l.entry_id = ? ORDER BY h.code"
		: "SELECT k.id, k.method, k.started_at, substr(k.summary, 1, 60) FROM diary_contact l"
		  " JOIN contact k ON k.id = l.contact_id WHERE l.entry_id = ? ORDER BY k.started_at, k.id";
	if (db_prepare(c->db, sql, &st) < 0)
		return a;
	db_bind_int(st, 1, id);
	while (db_step(st) == 1) {
		if (households)
			json_array_append_new(a, json_pack("{s:I,s:s,s:s}", "id", (json_int_t)db_col_int(st, 0),
							   "code", db_col_text(st, 1), "head_name",
							   db_col_text(st, 2)));
		else
			json_array_append_new(a, json_pack("{s:I,s:s,s:o,s:s}", "id", (json_int_t)db_col_int(st, 0),
							   "method", db_col_text(st, 1), "started_at",
							   org_time_json(db_col_text(st, 2)), "summary",
							   db_col_text(st, 3)));
	}
	db_done(st);
	return a;
}

/* The entry JSON of the current row of an ENTRY_SQL statement. */
static json_t *entry_json(struct ctx *c, struct db_stmt *st)
{
	int64_t id = db_col_int(st, 0), author = db_col_int(st, 1), created = 0;
	json_t *tags = json_loads(db_col_text(st, 7), 0, NULL);
	char until[ZL_TIME_MAX];
	time_parse(db_col_text(st, 8), &created);
	time_format_local(created + DIARY_EDIT_WINDOW_US, until);
	if (!json_is_array(tags)) {
		json_decref(tags);
		tags = json_array();
	}
	return json_pack("{s:I,s:{s:I,s:s},s:s,s:{s:s,s:s},s:s,s:o,s:o,s:o,s:b,s:s,s:o,s:o}", "id",
			 (json_int_t)id, "author", "id", (json_int_t)author, "display_name", db_col_text(st, 2),
			 "date", db_col_text(st, 3), "village", "code", db_col_text(st, 4), "name",
			 db_col_text(st, 5), "text", db_col_text(st, 6), "tags", tags, "contacts",
			 entry_links(c, id, 0), "households", entry_links(c, id, 1), "editable",
			 author == c->actor.user_id && clock_now() < created + DIARY_EDIT_WINDOW_US,
			 "editable_until", until, "created_at", org_time_json(db_col_text(st, 8)),
			 "updated_at", org_time_json(db_col_text(st, 9)));
}

/* Loads an entry the actor may read; ZL_E_NOT_FOUND otherwise. *author and
 * *created_us may be NULL. */
static int entry_load(struct ctx *c, int64_t id, json_t **out, int64_t *author, int64_t *created_us)
{
	struct buf q = BUF_INIT;
	struct db_stmt *st = NULL;
	int rc;
	buf_adds(&q, ENTRY_SQL " WHERE t.id = ? AND (? OR t.author_user_id = ?)");
	scope_sql(&q, "t.village_code");
	rc = db_prepare(c->db, q.data, &st);
	buf_release(&q);
	if (rc < 0)
		return rc;
	db_bindv(st, "iiit", id, (int64_t)diary_reads_all(c), c->actor.user_id, c->actor.scope_like);
	rc = db_step(st);
	if (rc == 1) {
		if (out)
			*out = entry_json(c, st);
		if (author)
			*author = db_col_int(st, 1);
		if (created_us)
			time_parse(db_col_text(st, 8), created_us);
		rc = 0;
	} else if (rc == 0) {
		rc = ZL_E_NOT_FOUND;
	}
	db_done(st);
	return rc;
}

int diary_get(struct ctx *c, int64_t id, json_t **out)
{
	*out = NULL;
	return entry_load(c, id, out, NULL, NULL);
}

/* ---- writing ---- */

/* After the row is written: the links, the audit row (before from old when
 * given) and the entry as *out. */
static int entry_finish(struct ctx *c, int64_t id, const char *action, const struct diary_in *old,
			const struct diary_in *d, json_t **out)
{
	json_t *before = old ? audit_json(old) : NULL, *after = audit_json(d);
	char idtext[24];
	int rc = links_write(c, id, d);
	ct_id_text(id, idtext);
	if (!rc)
		rc = audit_log(c, action, "diary_entry", idtext, before, after);
	if (!rc)
		rc = entry_load(c, id, out, NULL, NULL);
	json_decref(before);
	json_decref(after);
	return rc;
}

int diary_create(struct ctx *c, const json_t *in, json_t **out)
{
	struct diary_in d = { 0 };
	char now[ZL_TIME_MAX], *tags = NULL;
	int64_t id = 0;
	int rc;
	*out = NULL;
	if ((rc = diary_in_check(c, in, NULL, &d)))
		goto out;
	time_format_utc(clock_now(), now);
	tags = json_dumps(d.tags, JSON_COMPACT);
	rc = db_run(c->db,
		    "INSERT INTO diary_entry(author_user_id, date, village_code, text, tags_json, created_at,"
		    " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
		    "itttttt", c->actor.user_id, d.date, d.village, d.text, tags, now, now);
	if (rc)
		goto out;
	id = db_last_id(c->db);
	rc = entry_finish(c, id, "diary.create", NULL, &d, out);
out:
	free(tags);
	diary_in_release(&d);
	return rc;
}

/* The stored entry as the input of a PATCH: date, text, tags and ids. */
static json_t *entry_as_input(const json_t *e)
{
	json_t *in = json_pack("{s:O,s:O,s:O,s:[],s:[]}", "date", json_object_get(e, "date"), "text",
			       json_object_get(e, "text"), "tags", json_object_get(e, "tags"), "contacts",
			       "households");
	const char *lists[] = { "contacts", "households" };
	for (size_t k = 0; k < 2; k++) {
		json_t *v, *to = json_object_get(in, lists[k]);
		size_t i;
		json_array_foreach(json_object_get(e, lists[k]), i, v)
			json_array_append(to, json_object_get(v, "id"));
	}
	return in;
}

int diary_update(struct ctx *c, int64_t id, const json_t *patch, json_t **out)
{
	struct diary_in d = { 0 }, old = { 0 };
	json_t *cur = NULL, *in = NULL;
	const char *key;
	json_t *v;
	char now[ZL_TIME_MAX], *tags = NULL;
	int64_t author = 0, created = 0;
	int rc;
	*out = NULL;
	if ((rc = entry_load(c, id, &cur, &author, &created)))
		goto out;
	if (author != c->actor.user_id) {
		ctx_detail(c, "只有作者本人可以修改这篇民情日记", "only the author may change this diary entry");
		rc = ZL_E_FORBIDDEN;
		goto out;
	}
	if (clock_now() >= created + DIARY_EDIT_WINDOW_US) {
		ctx_detail(c, "民情日记写好 24 小时后不能再修改（它已记入驻点日志），请另写一篇补记",
			   "a diary entry cannot be changed 24 hours after it was written (it is part of "
			   "the station log); write a new entry instead");
		rc = ZL_E_CONFLICT;
		goto out;
	}
	if (!json_is_object(patch)) {
		ctx_detail(c, "请求体应为 JSON 对象", "the body must be a json object");
		rc = ZL_E_BAD_REQUEST;
		goto out;
	}
	in = entry_as_input(cur);
	json_object_foreach((json_t *)patch, key, v)
		json_object_set(in, key, v);
	/* the stored village stays unless the links or village_code move it */
	if ((rc = diary_in_check(c, in, json_string_value(json_object_get(json_object_get(cur, "village"), "code")),
				 &d)))
		goto out;
	/* the stored state, for the audit row */
	old.tags = json_incref(json_object_get(cur, "tags"));
	snprintf(old.date, sizeof(old.date), "%s", json_string_value(json_object_get(cur, "date")));
	snprintf(old.village, sizeof(old.village), "%s",
		 json_string_value(json_object_get(json_object_get(cur, "village"), "code")));
	old.text = json_string_value(json_object_get(cur, "text"));
	{
		json_t *src = entry_as_input(cur);
		old.ncontacts = ids_check(c, "contacts", json_object_get(src, "contacts"), old.contacts);
		old.nhouseholds = ids_check(c, "households", json_object_get(src, "households"), old.households);
		json_decref(src);
	}
	time_format_utc(clock_now(), now);
	tags = json_dumps(d.tags, JSON_COMPACT);
	rc = db_run(c->db,
		    "UPDATE diary_entry SET date = ?, village_code = ?, text = ?, tags_json = ?, updated_at = ?"
		    " WHERE id = ?",
		    "ttttti", d.date, d.village, d.text, tags, now, id);
	if (!rc)
		rc = entry_finish(c, id, "diary.update", &old, &d, out);
out:
	free(tags);
	json_decref(cur);
	json_decref(in);
	diary_in_release(&d);
	diary_in_release(&old);
	return rc;
}

/* ---- listing ---- */

int diary_month_range(const char *s, char from[DIARY_DATE_BUF], char to[DIARY_DATE_BUF])
{
	int y, m;
	char tail;
	if (!s || strlen(s) != 7 || sscanf(s, "%4d-%2d%c", &y, &m, &tail) != 2 || s[4] != '-' ||
	    !isdigit((unsigned char)s[5]) || y < 2000 || y > 2100 || m < 1 || m > 12)
		return -1;
	snprintf(from, DIARY_DATE_BUF, "%04d-%02d-01", y, m);
	snprintf(to, DIARY_DATE_BUF, "%04d-%02d-01", m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1);
	return 0;
}

int diary_list(struct ctx *c, const struct diary_filter *f, const struct page *p, json_t **items,
	       int64_t *next)
{
	struct buf q = BUF_INIT;
	struct db_stmt *st = NULL;
	const char *tv[8];
	int64_t iv[8];
	char kinds[9] = "", from[DIARY_DATE_BUF] = "", to[DIARY_DATE_BUF] = "", *like = NULL;
	int nb = 0, rc = 0, limit = p->limit > 500 ? 500 : p->limit < 1 ? 50 : p->limit;
	int64_t author = f->user_id;
	size_t n = 0;
	int64_t d;

	*items = NULL;
	*next = 0;
#define BIND_T(v) (kinds[nb] = 't', tv[nb++] = (v))
#define BIND_I(v) (kinds[nb] = 'i', iv[nb++] = (v))
	if (!diary_reads_all(c) && (author && author != c->actor.user_id)) {
		ctx_detail(c, "驻点干部只能查看自己的民情日记", "a cadre reads only their own diary");
		return ZL_E_FORBIDDEN;
	}
	if (!diary_reads_all(c) || (f->mine && !author && !(f->village && *f->village)))
		author = c->actor.user_id;
	if (f->month && *f->month) {
		if (diary_month_range(f->month, from, to))
			ct_ferr(c, "month", "“%s”应为月份，如 2026-10", "'%s' must be a month like 2026-10");
	} else {
		if (f->from && *f->from && !date_parse(f->from, &d) && strlen(f->from) == 10)
			snprintf(from, sizeof(from), "%s", f->from);
		else if (f->from && *f->from)
			ct_ferr(c, "from", "“%s”应为日期，如 2026-10-01", "'%s' must be a date like 2026-10-01");
		if (f->to && *f->to && !date_parse(f->to, &d) && strlen(f->to) == 10)
			snprintf(to, sizeof(to), "%s", f->to);
		else if (f->to && *f->to)
			ct_ferr(c, "to", "“%s”应为日期，如 2026-11-01", "'%s' must be a date like 2026-11-01");
	}
	if (c->errs.n)
		return ZL_E_VALIDATION;

	buf_adds(&q, "SELECT t.id FROM diary_entry t WHERE 1 = 1");
	scope_sql(&q, "t.village_code");
	BIND_T(c->actor.scope_like);
	if (author) {
		buf_adds(&q, " AND t.author_user_id = ?");
		BIND_I(author);
	}
	if (f->village && *f->village) {
		char *path = NULL;
		if ((rc = db_get_text(c->db, &path, "SELECT path FROM region WHERE code = ?", "t", f->village)) < 0)
			return rc;
		like = xasprintf("%s%%", path ? path : "\x01none");
		free(path);
		buf_adds(&q, " AND EXISTS (SELECT 1 FROM region fr WHERE fr.code = t.village_code AND +fr.path LIKE ?)");
		BIND_T(like);
	}
	if (*from) {
		buf_adds(&q, " AND t.date >= ?");
		BIND_T(from);
	}
	if (*to) {
		buf_adds(&q, " AND t.date < ?");
		BIND_T(to);
	}
	if (f->tag && *f->tag) {
		buf_adds(&q, " AND EXISTS (SELECT 1 FROM json_each(t.tags_json) j WHERE j.value = ?)");
		BIND_T(f->tag);
	}
	if (f->household) {
		buf_adds(&q, " AND EXISTS (SELECT 1 FROM diary_household l WHERE l.entry_id = t.id AND"
			     " l.household_id = ?)");
		BIND_I(f->household);
	}
	if (p->after) {
		buf_adds(&q, " AND (t.date < (SELECT date FROM diary_entry WHERE id = ?) OR (t.date ="
			     " (SELECT date FROM diary_entry WHERE id = ?) AND t.id < ?))");
		BIND_I(p->after);
		BIND_I(p->after);
		BIND_I(p->after);
	}
	buf_addf(&q, " ORDER BY t.date DESC, t.id DESC LIMIT %d", limit + 1);
#undef BIND_T
#undef BIND_I
	rc = db_prepare(c->db, q.data, &st);
	buf_release(&q);
	if (rc < 0)
		goto out;
	for (int i = 0; i < nb; i++) {
		if (kinds[i] == 't')
			db_bind_text(st, i + 1, tv[i]);
		else
			db_bind_int(st, i + 1, iv[i]);
	}
	{
		int64_t ids[501];
		while (n <= (size_t)limit && (rc = db_step(st)) == 1)
			ids[n++] = db_col_int(st, 0);
		db_done(st);
		if (rc < 0)
			goto out;
		rc = 0;
		*items = json_array();
		for (size_t i = 0; i < n && i < (size_t)limit; i++) {
			json_t *o = NULL;
			if ((rc = entry_load(c, ids[i], &o, NULL, NULL)))
				break;
			json_array_append_new(*items, o);
		}
		if (!rc && n > (size_t)limit)
			*next = ids[limit - 1];
	}
out:
	free(like);
	if (rc) {
		json_decref(*items);
		*items = NULL;
	}
	return rc;
}

/* ---- routes ---- */

static int h_list(struct req *r, struct resp *w)
{
	struct diary_filter f = DIARY_FILTER_INIT;
	struct page p;
	json_t *items = NULL;
	int64_t next = 0;
	int rc = req_page(r, &p);
	int r1 = org_query_id(r, "user_id", &f.user_id), r2 = org_query_id(r, "household", &f.household);
	int r3 = 0;
	if (req_query(r, "mine"))
		r3 = org_query_flag(r, "mine", &f.mine);
	if (rc || r1 || r2 || r3)
		return rc && rc != ZL_E_VALIDATION ? rc : ZL_E_VALIDATION;
	f.village = req_query(r, "village");
	f.from = req_query(r, "from");
	f.to = req_query(r, "to");
	f.month = req_query(r, "month");
	f.tag = req_query(r, "tag");
	if ((rc = diary_list(&r->ctx, &f, &p, &items, &next)))
		return rc;
	resp_json(w, 200, page_result(items, next));
	return 0;
}

static int h_create(struct req *r, struct resp *w)
{
	json_t *in = NULL, *out = NULL;
	int rc = req_json(r, &in);
	if (!rc)
		rc = diary_create(&r->ctx, in, &out);
	if (rc)
		return rc;
	resp_created_id(w, out, "/api/v1/diary/");
	return 0;
}

static int h_get(struct req *r, struct resp *w)
{
	json_t *out = NULL;
	int64_t id;
	int rc = req_param_id(r, "id", &id);
	if (!rc)
		rc = diary_get(&r->ctx, id, &out);
	return resp_result(w, rc, 200, out);
}

static int h_update(struct req *r, struct resp *w)
{
	json_t *in = NULL, *out = NULL;
	int64_t id;
	int rc = req_param_id(r, "id", &id);
	if (!rc)
		rc = req_json(r, &in);
	if (!rc)
		rc = diary_update(&r->ctx, id, in, &out);
	return resp_result(w, rc, 200, out);
}

static const struct route routes[] = {
	{ "GET", "/api/v1/diary", h_list, "diary.read", 0 },
	{ "POST", "/api/v1/diary", h_create, "diary.write", 0 },
	{ "GET", "/api/v1/diary/{id}", h_get, "diary.read", 0 },
	{ "PATCH", "/api/v1/diary/{id}", h_update, "diary.write", 0 },
};

ROUTE_TABLE(diary_routes, "diary", routes);

/* ---- the household timeline ---- */

static int diary_timeline_fetch(struct ctx *c, int64_t hid, const struct timeline_window *w, json_t *out)
{
	struct db_stmt *st = NULL;
	/* a cadre's diary is their own: others' entries stay out */
	int64_t only = diary_reads_all(c) ? 0 : c->actor.user_id;
	int rc = db_prepare(c->db,
			    "SELECT e.id, e.created_at, e.author_user_id, e.date, e.text FROM diary_entry e"
			    " JOIN diary_household dh ON dh.entry_id = e.id WHERE dh.household_id = ?"
			    " AND (? = 0 OR e.author_user_id = ?)"
			    " AND (? IS NULL OR e.created_at < ? OR (e.created_at = ? AND e.id < ?))"
			    " ORDER BY e.created_at DESC, e.id DESC LIMIT ?",
			    &st);
	if (rc)
		return rc;
	db_bindv(st, "iiitttii", hid, only, only, w->before_at, w->before_at, w->before_at, w->before_id,
		 (int64_t)w->limit);
	while ((rc = db_step(st)) == 1) {
		const char *text = db_col_text(st, 4), *p = text;
		long n = 0;
		char *zh, *en;
		while (*p && n < 60) { /* the first 60 characters */
			p++;
			while ((*p & 0xC0) == 0x80)
				p++;
			n++;
		}
		zh = xasprintf("民情日记（%s）：%.*s%s", db_col_text(st, 3), (int)(p - text), text, *p ? "…" : "");
		en = xasprintf("Diary (%s): %.*s%s", db_col_text(st, 3), (int)(p - text), text, *p ? "…" : "");
		json_array_append_new(out, json_pack("{s:I,s:s,s:s,s:s,s:s,s:I,s:{s:I,s:s}}", "id",
						     (json_int_t)db_col_int(st, 0), "at", db_col_text(st, 1), "kind",
						     "diary.entry", "summary_zh", zh, "summary_en", en, "user_id",
						     (json_int_t)db_col_int(st, 2), "data", "diary_id",
						     (json_int_t)db_col_int(st, 0), "date", db_col_text(st, 3)));
		free(zh);
		free(en);
	}
	db_done(st);
	return rc < 0 ? rc : 0;
}

const struct timeline_source diary_timeline_source = { "diary", diary_timeline_fetch };
