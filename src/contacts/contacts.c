/*
 * contacts.c: the contact service: input checking and its canonical form
 * (the content hash behind the UUID upsert), create with conflict
 * detection, read, list, the 24-hour edit window and amendments.
 */
#include <sodium.h>

#include "contacts/contacts_int.h"

#include "contacts/diary.h"
#include "households/households.h"
#include "org/org.h"
#include "platform/audit.h"
#include "platform/db.h"
#include "platform/error.h"

#define LIST_MAX 50     /* households or people in one contact */
#define CADRES_MAX 20
#define ISSUES_MAX 20
#define ISSUE_CHARS 500
#define SUMMARY_CHARS 4000
#define PLACE_CHARS 200
#define NAME_CHARS 64
#define REASON_CHARS 500
#define DAY_US (86400LL * USEC_PER_SEC)

static const char *const methods[] = { "home_visit", "phone", "wechat", "meeting",
				       "reception_day", "online", "other" };
static const char *const method_zh[] = { "入户走访", "电话联系", "微信联系", "座谈会",
					 "接访日", "网上联系", "其他联系" };

/* The fields PATCH and amendments may change one by one. */
static const char *const scalar_fields[] = { "method", "started_at", "duration_min", "place", "lat",
					     "lng", "gps_accuracy_m", "summary", "follow_up_date" };

/* ---- small helpers ---- */

void ct_ferr(struct ctx *c, const char *field, const char *fmt_zh, const char *fmt_en)
{
	char zh[240], en[240];
	snprintf(zh, sizeof(zh), fmt_zh, field);
	snprintf(en, sizeof(en), fmt_en, field);
	verr_add(&c->errs, field, zh, en);
}

void ct_id_text(int64_t id, char out[24])
{
	snprintf(out, 24, "%" PRId64, id);
}

static int one_of(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		if (!strcmp(s, list[i]))
			return (int)i;
	return -1;
}

/* 1..max code points, no control characters except newlines and tabs when
 * multiline, not only white space. */
static int text_ok(const char *s, long max, int multiline)
{
	long n = utf8_len(s);
	int blank = 1;
	for (const char *p = s; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		if ((ch < 0x20 && !(multiline && (ch == '\n' || ch == '\r' || ch == '\t'))) || ch == 0x7f)
			return 0;
		if (ch != ' ' && ch != '\n' && ch != '\r' && ch != '\t')
			blank = 0;
	}
	return n >= 1 && n <= max && !blank;
}

static int text_field(struct ctx *c, const char *field, const json_t *v, long max, int multiline,
		      const char **out)
{
	char zh[160], en[160];
	*out = json_string_value(v);
	if (*out && text_ok(*out, max, multiline))
		return 0;
	snprintf(zh, sizeof(zh), "“%%s”应为 1 到 %ld 个字，且不含控制字符", max);
	snprintf(en, sizeof(en), "'%%s' must be 1 to %ld characters without control characters", max);
	ct_ferr(c, field, zh, en);
	return -1;
}

static int number_field(struct ctx *c, const char *field, const json_t *v, double min, double max,
			double *out)
{
	char zh[160], en[160];
	if (json_is_number(v)) {
		*out = json_number_value(v);
		if (*out >= min && *out <= max)
			return 0;
	}
	snprintf(zh, sizeof(zh), "“%%s”应为 %g 到 %g 之间的数", min, max);
	snprintf(en, sizeof(en), "'%%s' must be a number from %g to %g", min, max);
	ct_ferr(c, field, zh, en);
	return -1;
}

/* The Asia/Shanghai date of a UTC time, "YYYY-MM-DD". */
static void local_date(int64_t us, char out[ORG_DATE_MAX])
{
	int y, m, d;
	int64_t s = us / USEC_PER_SEC + ZL_TZ_OFFSET_MIN * 60;
	civil_from_days(s >= 0 ? s / 86400 : (s - 86399) / 86400, &y, &m, &d);
	snprintf(out, ORG_DATE_MAX, "%04d-%02d-%02d", y, m, d);
}

/* "YYYY-MM-DD" (Asia/Shanghai midnight) as storage-form UTC. */
static int date_to_utc(const char *date, char out[ZL_TIME_MAX])
{
	int64_t days;
	if (date_parse(date, &days) != 0)
		return -1;
	time_format_utc((days * 86400 - ZL_TZ_OFFSET_MIN * 60) * USEC_PER_SEC, out);
	return 0;
}

static int int64_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* A JSON array of distinct positive ids, sorted, without skip. */
static json_t *id_list(struct ctx *c, const char *field, const json_t *v, size_t max, int64_t skip)
{
	int64_t ids[LIST_MAX];
	size_t n = 0, i;
	json_t *e, *out;
	char f[64];
	if (!json_is_array(v) || json_array_size(v) > max || max > LIST_MAX) {
		char zh[120], en[120];
		snprintf(zh, sizeof(zh), "“%%s”应为编号的列表，至多 %zu 个", max);
		snprintf(en, sizeof(en), "'%%s' must be a list of at most %zu ids", max);
		ct_ferr(c, field, zh, en);
		return NULL;
	}
	json_array_foreach(v, i, e) {
		if (!json_is_integer(e) || json_integer_value(e) < 1) {
			snprintf(f, sizeof(f), "%s[%zu]", field, i);
			ct_ferr(c, f, "“%s”应为正整数编号", "'%s' must be a positive integer id");
			return NULL;
		}
		ids[n++] = json_integer_value(e);
	}
	qsort(ids, n, sizeof(ids[0]), int64_cmp);
	out = json_array();
	for (i = 0; i < n; i++)
		if ((i == 0 || ids[i] != ids[i - 1]) && ids[i] != skip)
			json_array_append_new(out, json_integer(ids[i]));
	return out;
}

/* people: [{member_id} | {name} | "name"] -> sorted [{member_id} | {name}] */
static int person_cmp(const void *pa, const void *pb)
{
	const json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
	json_int_t x = json_integer_value(json_object_get(a, "member_id"));
	json_int_t y = json_integer_value(json_object_get(b, "member_id"));
	const char *s = json_string_value(json_object_get(a, "name"));
	const char *t = json_string_value(json_object_get(b, "name"));
	if (x != y)
		return (x > y) - (x < y);
	return strcmp(s ? s : "", t ? t : "");
}

static json_t *people_list(struct ctx *c, const json_t *v)
{
	json_t *items[LIST_MAX], *e, *out;
	size_t i, n = 0;
	char f[64];
	if (!json_is_array(v) || json_array_size(v) > LIST_MAX) {
		ct_ferr(c, "people", "“%s”应为列表，至多 50 人", "'%s' must be a list of at most 50 people");
		return NULL;
	}
	json_array_foreach(v, i, e) {
		json_t *mid = json_is_object(e) ? json_object_get(e, "member_id") : NULL;
		const json_t *nm = json_is_string(e) ? e : json_is_object(e) ? json_object_get(e, "name") : NULL;
		const char *name;
		if (mid && !json_is_null(mid)) {
			if (!json_is_integer(mid) || json_integer_value(mid) < 1) {
				snprintf(f, sizeof(f), "people[%zu].member_id", i);
				ct_ferr(c, f, "“%s”应为正整数编号", "'%s' must be a positive integer id");
				goto fail;
			}
			items[n++] = json_pack("{s:I}", "member_id", json_integer_value(mid));
			continue;
		}
		snprintf(f, sizeof(f), json_is_string(e) ? "people[%zu]" : "people[%zu].name", i);
		if (!nm) {
			ct_ferr(c, f, "“%s”应给出成员编号 member_id 或姓名 name",
				"'%s' needs a member_id or a name");
			goto fail;
		}
		if (text_field(c, f, nm, NAME_CHARS, 0, &name))
			goto fail;
		items[n++] = json_pack("{s:s}", "name", name);
	}
	qsort(items, n, sizeof(items[0]), person_cmp);
	out = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(out, items[i]);
	return out;
fail:
	for (i = 0; i < n; i++)
		json_decref(items[i]);
	return NULL;
}

static json_t *issue_list(struct ctx *c, const json_t *v)
{
	json_t *e, *out;
	size_t i;
	char f[64];
	if (!json_is_array(v) || json_array_size(v) > ISSUES_MAX) {
		ct_ferr(c, "issues", "“%s”应为列表，至多 20 条", "'%s' must be a list of at most 20 issues");
		return NULL;
	}
	out = json_array();
	json_array_foreach(v, i, e) {
		const json_t *t = json_is_object(e) ? json_object_get(e, "text") : e;
		const char *s;
		snprintf(f, sizeof(f), json_is_object(e) ? "issues[%zu].text" : "issues[%zu]", i);
		if (text_field(c, f, t, ISSUE_CHARS, 1, &s)) {
			json_decref(out);
			return NULL;
		}
		json_array_append_new(out, json_string(s));
	}
	return out;
}

/*
 * Checks one field of the input and puts its normal form into dst (JSON
 * null or absent removes it). 0, or -1 after a field error. Lists are only
 * accepted when lists is set (create and PATCH, not amendments).
 */
static int field_norm(struct ctx *c, const char *name, const json_t *v, int64_t author, int lists,
		      json_t *dst)
{
	const char *s;
	double d;
	int64_t us;
	json_t *l = NULL;

	if (!v || json_is_null(v)) {
		json_object_del(dst, name);
		return 0;
	}
	if (!strcmp(name, "method")) {
		if (one_of(json_string_value(v), methods, ARRAY_SIZE(methods)) < 0) {
			ct_ferr(c, name, "“%s”应为 home_visit、phone、wechat、meeting、reception_day、online 或 other",
				"'%s' must be home_visit, phone, wechat, meeting, reception_day, online or other");
			return -1;
		}
		json_object_set_new(dst, name, json_string(json_string_value(v)));
	} else if (!strcmp(name, "started_at")) {
		char t[ZL_TIME_MAX];
		if (!json_is_string(v) || time_parse(json_string_value(v), &us) != 0 ||
		    us < 946684800LL * USEC_PER_SEC) {
			ct_ferr(c, name, "“%s”应为带时区的时间，如 2026-03-02T09:00:00+08:00",
				"'%s' must be a time with an offset, like 2026-03-02T09:00:00+08:00");
			return -1;
		}
		if (us > clock_now() + CONTACT_FUTURE_SLACK_US) {
			ct_ferr(c, name, "“%s”不能晚于现在", "'%s' must not be in the future");
			return -1;
		}
		time_format_utc(us, t);
		json_object_set_new(dst, name, json_string(t));
	} else if (!strcmp(name, "duration_min")) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 1440) {
			ct_ferr(c, name, "“%s”应为 1 到 1440 之间的整数（分钟）",
				"'%s' must be a whole number of minutes from 1 to 1440");
			return -1;
		}
		json_object_set_new(dst, name, json_integer(json_integer_value(v)));
	} else if (!strcmp(name, "place")) {
		if (text_field(c, name, v, PLACE_CHARS, 0, &s))
			return -1;
		json_object_set_new(dst, name, json_string(s));
	} else if (!strcmp(name, "summary")) {
		if (text_field(c, name, v, SUMMARY_CHARS, 1, &s))
			return -1;
		json_object_set_new(dst, name, json_string(s));
	} else if (!strcmp(name, "lat") || !strcmp(name, "lng") || !strcmp(name, "gps_accuracy_m")) {
		double lim = name[1] == 'a' ? 90 : name[1] == 'n' ? 180 : 100000;
		if (number_field(c, name, v, name[0] == 'g' ? 0 : -lim, lim, &d))
			return -1;
		json_object_set_new(dst, name, json_real(d));
	} else if (!strcmp(name, "follow_up_date")) {
		int64_t days;
		if (!json_is_string(v) || date_parse(json_string_value(v), &days) != 0) {
			ct_ferr(c, name, "“%s”应为日期，如 2026-03-02", "'%s' must be a date like 2026-03-02");
			return -1;
		}
		json_object_set_new(dst, name, json_string(json_string_value(v)));
	} else if (!strcmp(name, "village_code") && lists) {
		if (!json_is_string(v) || !*json_string_value(v) || strlen(json_string_value(v)) >= ZL_CODE_MAX) {
			ct_ferr(c, name, "“%s”应为区划代码", "'%s' must be a division code");
			return -1;
		}
		json_object_set_new(dst, name, json_string(json_string_value(v)));
	} else if (lists && (!strcmp(name, "households") || !strcmp(name, "cadres") ||
			     !strcmp(name, "people") || !strcmp(name, "issues"))) {
		l = name[0] == 'h'   ? id_list(c, name, v, LIST_MAX, 0)
		    : name[0] == 'c' ? id_list(c, name, v, CADRES_MAX, author)
		    : name[0] == 'p' ? people_list(c, v)
				     : issue_list(c, v);
		if (!l)
			return -1;
		json_object_set_new(dst, name, l);
	} else {
		ct_ferr(c, name, "不能修改“%s”", "'%s' cannot be changed here");
		return -1;
	}
	return 0;
}

/* Checks between fields of a whole (normalised) contact. */
static void cross_check(struct ctx *c, const json_t *o, int create)
{
	static const char *const required[] = { "method", "started_at", "duration_min", "summary" };
	const char *fu = json_string_value(json_object_get(o, "follow_up_date"));
	const char *st = json_string_value(json_object_get(o, "started_at"));
	for (size_t i = 0; i < ARRAY_SIZE(required); i++)
		if (!json_object_get(o, required[i]))
			verr_required(c, required[i]);
	if (!json_object_get(o, "lat") != !json_object_get(o, "lng"))
		ct_ferr(c, json_object_get(o, "lat") ? "lng" : "lat", "“%s”须与经纬度的另一项一起给出",
			"'%s' must be given together with the other coordinate");
	if (json_object_get(o, "gps_accuracy_m") && !json_object_get(o, "lat"))
		ct_ferr(c, "gps_accuracy_m", "没有坐标时不能给出“%s”", "'%s' needs lat and lng");
	if (fu && st) {
		int64_t us;
		char day[ORG_DATE_MAX];
		if (time_parse(st, &us) == 0) {
			local_date(us, day);
			if (strcmp(fu, day) < 0)
				ct_ferr(c, "follow_up_date", "“%s”不能早于联系日期",
					"'%s' must not be before the contact's date");
		}
	}
	if (create && !json_object_get(o, "village_code") &&
	    !json_array_size(json_object_get(o, "households")))
		ct_ferr(c, "village_code", "没有联系户时须给出“%s”", "'%s' is required when no household is named");
}

static const char *const create_fields[] = { "method", "started_at", "duration_min", "place", "lat", "lng",
					     "gps_accuracy_m", "summary", "follow_up_date", "village_code",
					     "households", "people", "cadres", "issues" };

int contact_content_hash(struct ctx *c, const json_t *in, int64_t author, char hash[65], json_t **canon)
{
	json_t *o = json_object();
	unsigned char h[crypto_hash_sha256_BYTES];
	char *s;
	size_t before = c->errs.n;

	if (canon)
		*canon = NULL;
	hash[0] = '\0';
	json_object_set_new(o, "author", json_integer(author));
	for (size_t i = 0; i < ARRAY_SIZE(create_fields); i++)
		field_norm(c, create_fields[i], json_object_get(in, create_fields[i]), author, 1, o);
	/* empty lists and absent ones are the same content */
	for (size_t i = 10; i < ARRAY_SIZE(create_fields); i++)
		if (json_is_array(json_object_get(o, create_fields[i])) &&
		    !json_array_size(json_object_get(o, create_fields[i])))
			json_object_del(o, create_fields[i]);
	cross_check(c, o, 1);
	if (c->errs.n > before) {
		json_decref(o);
		return ZL_E_VALIDATION;
	}
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(10));
	crypto_hash_sha256(h, (const unsigned char *)s, strlen(s));
	free(s);
	hex_encode(h, sizeof(h), hash);
	if (canon)
		*canon = o;
	else
		json_decref(o);
	return 0;
}

int contact_editable(int64_t created_us, int64_t now_us)
{
	return now_us >= created_us - CONTACT_FUTURE_SLACK_US && now_us < created_us + CONTACT_EDIT_WINDOW_US;
}

/* ---- the UUID ---- */

/* A UUID in canonical 8-4-4-4-12 form, lowercased into out; 0 or -1. */
static int uuid_norm(const char *s, char out[37])
{
	if (!s || strlen(s) != 36)
		return -1;
	for (int i = 0; i < 36; i++) {
		int dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return -1;
		out[i] = (char)tolower((unsigned char)s[i]);
	}
	out[36] = '\0';
	return 0;
}

static void uuid_new(char out[37])
{
	unsigned char b[16];
	char hex[33];
	randombytes_buf(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	hex_encode(b, sizeof(b), hex);
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

/* ---- checks against the database ---- */

/* Households in scope and in one village (*village, given or derived);
 * people are members of those households (names copied into the list);
 * cadres are active staff. Field errors; 0, ZL_E_VALIDATION or a storage
 * error. */
static int refs_check(struct ctx *c, json_t *o, char village[ZL_CODE_MAX])
{
	json_t *hh = json_object_get(o, "households"), *people = json_object_get(o, "people");
	json_t *cadres = json_object_get(o, "cadres"), *e;
	const char *given = json_string_value(json_object_get(o, "village_code"));
	size_t i, before = c->errs.n;
	char f[64];
	int rc = 0;

	snprintf(village, ZL_CODE_MAX, "%s", given ? given : "");
	json_array_foreach(hh, i, e) {
		char *v = NULL;
		int64_t hid = json_integer_value(e);
		snprintf(f, sizeof(f), "households[%zu]", i);
		rc = household_check(c, hid);
		if (rc == ZL_E_NOT_FOUND) {
			ct_ferr(c, f, "找不到“%s”所指的农户", "'%s' names no household");
			continue;
		}
		if (rc)
			return rc;
		rc = db_get_text(c->db, &v, "SELECT village_code FROM household WHERE id = ?", "i", hid);
		if (rc < 0)
			return rc;
		if (!village[0])
			snprintf(village, ZL_CODE_MAX, "%s", v ? v : "");
		else if (!v || strcmp(v, village))
			ct_ferr(c, f, "“%s”不属于本次联系的村", "'%s' belongs to another village than the contact");
		free(v);
	}
	rc = 0;
	if (village[0]) {
		int in = scope_contains(c, village);
		if (in < 0)
			return in;
		if (!in)
			ct_ferr(c, "village_code", "找不到“%s”所指的区域", "'%s' names no region in your scope");
	}
	json_array_foreach(people, i, e) {
		json_t *mid = json_object_get(e, "member_id");
		struct db_stmt *st;
		int ok = 0;
		if (!mid)
			continue;
		rc = db_prepare(c->db, "SELECT name, household_id FROM household_member WHERE id = ?", &st);
		if (rc)
			return rc;
		db_bindv(st, "i", (int64_t)json_integer_value(mid));
		if ((rc = db_step(st)) == 1) {
			json_t *h;
			size_t j;
			json_array_foreach(hh, j, h)
				if (json_integer_value(h) == db_col_int(st, 1))
					ok = 1;
			if (ok)
				json_object_set_new(e, "name", json_string(db_col_text(st, 0)));
		}
		db_done(st);
		if (rc < 0)
			return rc;
		if (!ok) {
			snprintf(f, sizeof(f), "people[%zu].member_id", i);
			ct_ferr(c, f, "“%s”不是所列农户的成员", "'%s' is not a member of a listed household");
		}
	}
	json_array_foreach(cadres, i, e) {
		int64_t one = 0;
		rc = db_get_int(c->db, &one,
				"SELECT 1 FROM app_user WHERE id = ? AND disabled_at IS NULL"
				" AND role IN ('cadre', 'leader', 'admin')",
				"i", (int64_t)json_integer_value(e));
		if (rc < 0)
			return rc;
		if (rc == 0) {
			snprintf(f, sizeof(f), "cadres[%zu]", i);
			ct_ferr(c, f, "“%s”不是在职的干部", "'%s' is not an active cadre");
		}
	}
	return c->errs.n > before ? ZL_E_VALIDATION : 0;
}

/*
 * 联系户 conflicts: each household that the author was once responsible
 * for but that another cadre (or nobody) holds on the contact's date, e.g.
 * handed over while the phone was offline. *conflict is NULL when none.
 */
static int conflicts_find(struct ctx *c, const json_t *o, int64_t author, json_t **conflict)
{
	json_t *hh = json_object_get(o, "households"), *e, *list = json_array();
	char day[ORG_DATE_MAX], now[ZL_TIME_MAX];
	int64_t us = 0;
	size_t i;
	int rc = 0;

	*conflict = NULL;
	time_parse(json_string_value(json_object_get(o, "started_at")), &us);
	local_date(us, day);
	json_array_foreach(hh, i, e) {
		int64_t hid = json_integer_value(e), once = 0, who;
		json_t *r = NULL;
		rc = db_get_int(c->db, &once,
				"SELECT 1 FROM household_assignment WHERE household_id = ? AND user_id = ?"
				" AND start_date <= ?",
				"iit", hid, author, day);
		if (rc < 0)
			break;
		if (rc == 0)
			continue;
		if ((rc = assignment_responsible(c, hid, day, &r)))
			break;
		who = json_integer_value(json_object_get(r, "user_id"));
		if (who != author)
			json_array_append_new(list, json_pack("{s:I,s:s,s:O,s:O}", "household_id", (json_int_t)hid,
							      "date", day, "responsible_user_id",
							      json_object_get(r, "user_id"), "responsible_name",
							      json_object_get(r, "user_name")));
		json_decref(r);
		rc = 0;
	}
	if (!rc && json_array_size(list)) {
		time_format_utc(clock_now(), now);
		*conflict = json_pack("{s:s,s:O,s:s}", "kind", "household_reassigned", "households", list,
				      "detected_at", now);
	}
	json_decref(list);
	return rc;
}

/* household.last_contact_at: the newest started_at of its contacts, from
 * scratch (after an edit may have moved a contact back or away). */
static int last_contact_refresh(struct ctx *c, const json_t *hh)
{
	json_t *e;
	size_t i;
	json_array_foreach(hh, i, e) {
		int rc = db_run(c->db,
				"UPDATE household SET last_contact_at = (SELECT MAX(k.started_at) FROM contact k"
				" JOIN contact_household kh ON kh.contact_id = k.id WHERE kh.household_id = ?)"
				" WHERE id = ?",
				"ii", (int64_t)json_integer_value(e), (int64_t)json_integer_value(e));
		if (rc)
			return rc;
	}
	return 0;
}

/* Replaces the households, people and cadres of a contact with o's lists. */
static int lists_write(struct ctx *c, int64_t id, const json_t *o, int replace)
{
	json_t *e;
	size_t i;
	int rc = 0;
	if (replace &&
	    ((rc = db_run(c->db, "DELETE FROM contact_household WHERE contact_id = ?", "i", id)) ||
	     (rc = db_run(c->db, "DELETE FROM contact_person WHERE contact_id = ?", "i", id)) ||
	     (rc = db_run(c->db, "DELETE FROM contact_cadre WHERE contact_id = ?", "i", id))))
		return rc;
	json_array_foreach(json_object_get(o, "households"), i, e)
		if ((rc = db_run(c->db, "INSERT INTO contact_household(contact_id, household_id) VALUES (?,?)",
				 "ii", id, (int64_t)json_integer_value(e))))
			return rc;
	json_array_foreach(json_object_get(o, "people"), i, e) {
		json_t *mid = json_object_get(e, "member_id");
		const char *name = json_string_value(json_object_get(e, "name"));
		if (mid)
			rc = db_run(c->db, "INSERT INTO contact_person(contact_id, member_id, name) VALUES (?,?,?)",
				    "iit", id, (int64_t)json_integer_value(mid), name);
		else
			rc = db_run(c->db, "INSERT INTO contact_person(contact_id, member_id, name) VALUES (?,NULL,?)",
				    "it", id, name);
		if (rc)
			return rc;
	}
	json_array_foreach(json_object_get(o, "cadres"), i, e)
		if ((rc = db_run(c->db, "INSERT INTO contact_cadre(contact_id, user_id) VALUES (?,?)", "ii", id,
				 (int64_t)json_integer_value(e))))
			return rc;
	return 0;
}

/* What an audit row may hold of a contact: no names, place or summary text. */
static json_t *audit_view(const json_t *o)
{
	static const char *const keep[] = { "method", "started_at", "duration_min", "village_code",
					    "households", "cadres", "follow_up_date", "uuid", "content_hash" };
	json_t *a = json_object(), *v;
	for (size_t i = 0; i < ARRAY_SIZE(keep); i++)
		if ((v = json_object_get(o, keep[i])))
			json_object_set(a, keep[i], v);
	if ((v = json_object_get(o, "summary")))
		json_object_set_new(a, "summary_chars", json_integer(utf8_len(json_string_value(v))));
	if ((v = json_object_get(o, "people")))
		json_object_set_new(a, "people_count", json_integer((json_int_t)json_array_size(v)));
	if ((v = json_object_get(o, "issues")))
		json_object_set_new(a, "issue_count", json_integer((json_int_t)json_array_size(v)));
	json_object_set_new(a, "place_set", json_boolean(json_object_get(o, "place") != NULL));
	json_object_set_new(a, "gps_set", json_boolean(json_object_get(o, "lat") != NULL));
	return a;
}

static int audit_contact(struct ctx *c, const char *action, int64_t id, const json_t *before,
			 const json_t *after)
{
	char idt[24];
	json_t *b = before ? audit_view(before) : NULL, *a = after ? audit_view(after) : NULL;
	int rc;
	ct_id_text(id, idt);
	rc = audit_log(c, action, "contact", idt, b, a);
	json_decref(b);
	json_decref(a);
	return rc;
}

/* ---- create ---- */

/* Binds the scalar fields of o in the order of the SQL below (9 values). */
static void bind_scalars(struct db_stmt *st, int first, const json_t *o)
{
	for (size_t i = 0; i < ARRAY_SIZE(scalar_fields); i++) {
		json_t *v = json_object_get(o, scalar_fields[i]);
		int k = first + (int)i;
		if (!v)
			db_bind_null(st, k);
		else if (json_is_integer(v))
			db_bind_int(st, k, json_integer_value(v));
		else if (json_is_real(v))
			db_bind_double(st, k, json_real_value(v));
		else
			db_bind_text(st, k, json_string_value(v));
	}
}

static int contact_load(struct ctx *c, int64_t id, int scoped, int detail, json_t **out);

int contact_create(struct ctx *c, const json_t *in, json_t **out, int *status)
{
	json_t *o = NULL, *conflict = NULL, *e;
	char hash[65], uuid[37], village[ZL_CODE_MAX], now[ZL_TIME_MAX];
	const char *given = NULL;
	struct db_stmt *st = NULL;
	char *stored = NULL;
	int64_t id = 0, author = c->actor.user_id;
	size_t i;
	int rc;

	*out = NULL;
	*status = 201;
	if (!author) {
		ct_ferr(c, "author", "“%s”须为已登录的干部", "'%s' must be a signed-in user");
		return ZL_E_VALIDATION;
	}
	if (json_object_get(in, "uuid") && !json_is_null(json_object_get(in, "uuid"))) {
		given = json_string_value(json_object_get(in, "uuid"));
		if (uuid_norm(given, uuid) != 0)
			ct_ferr(c, "uuid", "“%s”应为 UUID，如 0f8fad5b-d9cb-469f-a165-70867728950e",
				"'%s' must be a uuid like 0f8fad5b-d9cb-469f-a165-70867728950e");
	} else {
		uuid_new(uuid);
	}
	rc = contact_content_hash(c, in, author, hash, &o);
	if (rc || c->errs.n) {
		rc = ZL_E_VALIDATION;
		goto out;
	}
	/* the upsert: a resend of the same content is answered, not stored */
	if (given) {
		rc = db_prepare(c->db, "SELECT id, content_hash FROM contact WHERE uuid = ?", &st);
		if (rc)
			goto out;
		db_bindv(st, "t", uuid);
		if ((rc = db_step(st)) == 1) {
			id = db_col_int(st, 0);
			stored = xstrdup(db_col_text(st, 1));
		}
		db_done(st);
		if (rc < 0)
			goto out;
		if (id) {
			if (strcmp(stored, hash) != 0) {
				char *zh = xasprintf("编号 %s 的联系记录已存在，内容与本次提交不同", uuid);
				char *en = xasprintf("a contact with uuid %s exists with different content", uuid);
				ctx_detail(c, zh, en);
				free(zh);
				free(en);
				rc = ZL_E_CONTACT_UUID_CONFLICT;
				goto out;
			}
			*status = 200;
			rc = contact_load(c, id, 0, 1, out);
			goto out;
		}
	}
	if ((rc = refs_check(c, o, village)))
		goto out;
	if ((rc = conflicts_find(c, o, author, &conflict)))
		goto out;

	time_format_utc(clock_now(), now);
	rc = db_prepare(c->db,
			"INSERT INTO contact(uuid, author_user_id, method, started_at, duration_min, place, lat, lng,"
			" gps_accuracy_m, summary, follow_up_date, village_code, content_hash, conflict_json,"
			" created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
			&st);
	if (rc)
		goto out;
	db_bind_text(st, 1, uuid);
	db_bind_int(st, 2, author);
	bind_scalars(st, 3, o);
	{
		char *cj = conflict ? json_dumps(conflict, JSON_COMPACT) : NULL;
		db_bind_text(st, 12, village);
		db_bind_text(st, 13, hash);
		db_bind_text(st, 14, cj);
		db_bind_text(st, 15, now);
		db_bind_text(st, 16, now);
		rc = db_step(st);
		free(cj);
	}
	db_done(st);
	if (rc < 0)
		goto out;
	id = db_last_id(c->db);
	if ((rc = lists_write(c, id, o, 0)))
		goto out;
	json_array_foreach(json_object_get(o, "issues"), i, e)
		if ((rc = db_run(c->db,
				 "INSERT INTO contact_issue(contact_id, text, status, created_at, updated_at)"
				 " VALUES (?,?,'open',?,?)",
				 "ittt", id, json_string_value(e), now, now)))
			goto out;
	/* a new contact can only move last_contact_at forward: no scan */
	json_array_foreach(json_object_get(o, "households"), i, e)
		if ((rc = db_run(c->db,
				 "UPDATE household SET last_contact_at = ? WHERE id = ?"
				 " AND (last_contact_at IS NULL OR last_contact_at < ?)",
				 "tit", json_string_value(json_object_get(o, "started_at")),
				 (int64_t)json_integer_value(e), json_string_value(json_object_get(o, "started_at")))))
			goto out;
	json_object_set_new(o, "uuid", json_string(uuid));
	json_object_set_new(o, "village_code", json_string(village));
	json_object_set_new(o, "content_hash", json_string(hash));
	if ((rc = audit_contact(c, conflict ? "contact.create_conflict" : "contact.create", id, NULL, o)))
		goto out;
	rc = contact_load(c, id, 0, 1, out);
out:
	free(stored);
	json_decref(o);
	json_decref(conflict);
	return rc;
}

/* ---- read ---- */

#define CONTACT_COLS                                                                                  \
	"SELECT k.id, k.uuid, k.author_user_id, u.display_name, k.method, k.started_at, k.duration_min," \
	" k.place, k.lat, k.lng, k.gps_accuracy_m, k.village_code, r.name, k.summary, k.follow_up_date," \
	" k.confirmation, k.conflict_json, k.created_at, k.updated_at,"                                \
	" (SELECT COUNT(*) FROM contact_issue i WHERE i.contact_id = k.id),"                             \
	" (SELECT COUNT(*) FROM contact_photo p WHERE p.contact_id = k.id),"                             \
	" (SELECT COUNT(*) FROM contact_amendment a WHERE a.contact_id = k.id)"                          \
	" FROM contact k JOIN app_user u ON u.id = k.author_user_id JOIN region r ON r.code = k.village_code"

static json_t *col_text(struct db_stmt *st, int i)
{
	return db_col_isnull(st, i) ? json_null() : json_string(db_col_text(st, i));
}

static json_t *col_real(struct db_stmt *st, int i)
{
	return db_col_isnull(st, i) ? json_null() : json_real(db_col_double(st, i));
}

/* Rows of a two-column query (id, text) for one contact as [{k1, k2}]. */
static int pairs(struct ctx *c, const char *sql, int64_t id, const char *k1, const char *k2, json_t *out)
{
	struct db_stmt *st;
	int rc = db_prepare(c->db, sql, &st);
	if (rc)
		return rc;
	db_bindv(st, "i", id);
	while ((rc = db_step(st)) == 1)
		json_array_append_new(out, json_pack("{s:o,s:o}", k1,
						      db_col_isnull(st, 0) ? json_null() : json_integer(db_col_int(st, 0)),
						      k2, col_text(st, 1)));
	db_done(st);
	return rc < 0 ? rc : 0;
}

/* The amendable fields of a contact in display form. */
static json_t *scalars_view(const json_t *o)
{
	json_t *v = json_object();
	for (size_t i = 0; i < ARRAY_SIZE(scalar_fields); i++) {
		json_t *x = json_object_get(o, scalar_fields[i]);
		json_object_set(v, scalar_fields[i], x ? x : json_null());
	}
	return v;
}

static void display_time(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (json_is_string(v))
		json_object_set_new(o, key, org_time_json(json_string_value(v)));
}

/* Amendments in order, and the amended view (NULL when there is none). */
static int amendments_add(struct ctx *c, int64_t id, json_t *o)
{
	struct db_stmt *st;
	json_t *list = json_array(), *view = NULL;
	int rc = db_prepare(c->db,
			    "SELECT a.id, a.user_id, u.display_name, a.at, a.reason, a.before_json, a.after_json"
			    " FROM contact_amendment a JOIN app_user u ON u.id = a.user_id"
			    " WHERE a.contact_id = ? ORDER BY a.id",
			    &st);
	if (rc) {
		json_decref(list);
		return rc;
	}
	db_bindv(st, "i", id);
	while ((rc = db_step(st)) == 1) {
		json_t *before = json_loads(db_col_text(st, 5), 0, NULL);
		json_t *after = json_loads(db_col_text(st, 6), 0, NULL);
		if (!view)
			view = scalars_view(o); /* started_at still in storage form here */
		json_object_update(view, after);
		display_time(before, "started_at");
		display_time(after, "started_at");
		json_array_append_new(list, json_pack("{s:I,s:{s:I,s:s},s:o,s:s,s:o,s:o}", "id",
						      (json_int_t)db_col_int(st, 0), "user", "id",
						      (json_int_t)db_col_int(st, 1), "display_name",
						      db_col_text(st, 2), "at", org_time_json(db_col_text(st, 3)),
						      "reason", db_col_text(st, 4), "before", before ? before : json_null(),
						      "after", after ? after : json_null()));
	}
	db_done(st);
	if (view)
		display_time(view, "started_at");
	json_object_set_new(o, "amendments", list);
	json_object_set_new(o, "amended", view ? view : json_null());
	return rc < 0 ? rc : 0;
}

static int details_add(struct ctx *c, int64_t id, json_t *o)
{
	json_t *people = json_array(), *issues = json_array(), *photos = json_array();
	struct db_stmt *st;
	int rc;
	json_object_set_new(o, "people", people);
	json_object_set_new(o, "issues", issues);
	json_object_set_new(o, "photos", photos);
	if ((rc = pairs(c, "SELECT member_id, name FROM contact_person WHERE contact_id = ? ORDER BY id", id,
			"member_id", "name", people)))
		return rc;
	if ((rc = db_prepare(c->db,
			     "SELECT id, text, status, appeal_id FROM contact_issue WHERE contact_id = ? ORDER BY id",
			     &st)))
		return rc;
	db_bindv(st, "i", id);
	while ((rc = db_step(st)) == 1)
		json_array_append_new(issues, json_pack("{s:I,s:s,s:s,s:o}", "id", (json_int_t)db_col_int(st, 0),
							"text", db_col_text(st, 1), "status", db_col_text(st, 2),
							"appeal_id",
							db_col_isnull(st, 3) ? json_null() : json_integer(db_col_int(st, 3))));
	db_done(st);
	if (rc < 0)
		return rc;
	if ((rc = db_prepare(c->db,
			     "SELECT sha256, mime, bytes, created_at FROM contact_photo WHERE contact_id = ?"
			     " ORDER BY created_at, sha256",
			     &st)))
		return rc;
	db_bindv(st, "i", id);
	while ((rc = db_step(st)) == 1) {
		char *url = xasprintf("/api/v1/contacts/%" PRId64 "/photos/%s", id, db_col_text(st, 0));
		json_array_append_new(photos, json_pack("{s:s,s:s,s:I,s:s,s:o}", "sha256", db_col_text(st, 0),
							"mime", db_col_text(st, 1), "bytes",
							(json_int_t)db_col_int(st, 2), "url", url, "created_at",
							org_time_json(db_col_text(st, 3))));
		free(url);
	}
	db_done(st);
	return rc < 0 ? rc : 0;
}

/* One contact as JSON; scoped: only within the actor's scope. */
static int contact_load(struct ctx *c, int64_t id, int scoped, int detail, json_t **out)
{
	struct buf sql = BUF_INIT;
	struct db_stmt *st = NULL;
	json_t *o = NULL, *raw = NULL;
	int64_t created = 0;
	char until[ZL_TIME_MAX];
	int rc;

	*out = NULL;
	buf_adds(&sql, CONTACT_COLS " WHERE k.id = ?");
	if (scoped)
		scope_sql(&sql, "k.village_code");
	rc = db_prepare(c->db, sql.data, &st);
	buf_release(&sql);
	if (rc)
		return rc;
	db_bind_int(st, 1, id);
	if (scoped)
		db_bind_text(st, 2, c->actor.scope_like);
	rc = db_step(st);
	if (rc <= 0) {
		db_done(st);
		return rc < 0 ? rc : ZL_E_NOT_FOUND;
	}
	raw = json_object(); /* storage-form scalars, for the amended view */
	for (int i = 0; i < (int)ARRAY_SIZE(scalar_fields); i++) {
		int col = i == 0 ? 4 : i < 7 ? 4 + i : 13 + (i - 7);
		if (db_col_isnull(st, col))
			continue;
		if (i == 2)
			json_object_set_new(raw, scalar_fields[i], json_integer(db_col_int(st, col)));
		else if (i >= 4 && i <= 6)
			json_object_set_new(raw, scalar_fields[i], json_real(db_col_double(st, col)));
		else
			json_object_set_new(raw, scalar_fields[i], json_string(db_col_text(st, col)));
	}
	time_parse(db_col_text(st, 17), &created);
	time_format_local(created + CONTACT_EDIT_WINDOW_US, until);
	o = json_pack("{s:I,s:s,s:{s:I,s:s},s:s,s:o,s:I,s:o,s:o,s:o,s:o,s:{s:s,s:s},s:s,s:o,s:s,s:o,"
		      "s:I,s:I,s:I,s:s,s:o,s:o}",
		      "id", (json_int_t)db_col_int(st, 0), "uuid", db_col_text(st, 1), "author", "id",
		      (json_int_t)db_col_int(st, 2), "display_name", db_col_text(st, 3), "method",
		      db_col_text(st, 4), "started_at", org_time_json(db_col_text(st, 5)), "duration_min",
		      (json_int_t)db_col_int(st, 6), "place", col_text(st, 7), "lat", col_real(st, 8), "lng",
		      col_real(st, 9), "gps_accuracy_m", col_real(st, 10), "village", "code",
		      db_col_text(st, 11), "name", db_col_text(st, 12), "summary", db_col_text(st, 13),
		      "follow_up_date", col_text(st, 14), "confirmation", db_col_text(st, 15), "conflict",
		      db_col_isnull(st, 16) ? json_null() : json_loads(db_col_text(st, 16), 0, NULL),
		      "issue_count", (json_int_t)db_col_int(st, 19), "photo_count",
		      (json_int_t)db_col_int(st, 20), "amendment_count", (json_int_t)db_col_int(st, 21),
		      "editable_until", until, "created_at", org_time_json(db_col_text(st, 17)), "updated_at",
		      org_time_json(db_col_text(st, 18)));
	db_done(st);
	if (!o) {
		json_decref(raw);
		return ZL_E_INTERNAL;
	}
	json_object_set_new(o, "households", json_array());
	json_object_set_new(o, "cadres", json_array());
	rc = pairs(c,
		   "SELECT h.id, h.code FROM contact_household kh JOIN household h ON h.id = kh.household_id"
		   " WHERE kh.contact_id = ? ORDER BY h.id",
		   id, "id", "code", json_object_get(o, "households"));
	if (!rc) {
		/* head names beside the codes */
		json_t *h;
		size_t i;
		json_array_foreach(json_object_get(o, "households"), i, h) {
			char *name = NULL;
			if ((rc = db_get_text(c->db, &name, "SELECT head_name FROM household WHERE id = ?", "i",
					      (int64_t)json_integer_value(json_object_get(h, "id")))) < 0)
				break;
			rc = 0;
			json_object_set_new(h, "head_name", name ? json_string(name) : json_null());
			free(name);
		}
	}
	if (!rc)
		rc = pairs(c,
			   "SELECT u.id, u.display_name FROM contact_cadre kc JOIN app_user u ON u.id = kc.user_id"
			   " WHERE kc.contact_id = ? ORDER BY u.id",
			   id, "id", "display_name", json_object_get(o, "cadres"));
	if (!rc && detail)
		rc = details_add(c, id, o);
	if (!rc && detail)
		rc = amendments_add(c, id, raw);
	if (!rc && detail) {
		json_object_set(o, "amendments", json_object_get(raw, "amendments"));
		json_object_set(o, "amended", json_object_get(raw, "amended"));
	}
	json_decref(raw);
	if (rc) {
		json_decref(o);
		return rc;
	}
	*out = o;
	return 0;
}

int contact_get(struct ctx *c, int64_t id, json_t **out)
{
	return contact_load(c, id, 1, 1, out);
}

/* ---- list ---- */

int contact_list(struct ctx *c, const struct contact_filter *f, const struct page *p, json_t **items,
		 int64_t *next)
{
	struct buf sql = BUF_INIT;
	struct db_stmt *st = NULL;
	const char *bt[8];
	int64_t bi[8], ids[501];
	int kinds[8], nb = 0;
	char from[ZL_TIME_MAX], to[ZL_TIME_MAX];
	char *like = NULL;
	size_t n = 0;
	int rc = 0, limit = p->limit > 500 ? 500 : p->limit < 1 ? 50 : p->limit;

#define BIND_T(v) (kinds[nb] = 't', bt[nb++] = (v))
#define BIND_I(v) (kinds[nb] = 'i', bi[nb++] = (v))
	*items = NULL;
	*next = 0;
	if (f->method && *f->method && one_of(f->method, methods, ARRAY_SIZE(methods)) < 0)
		ct_ferr(c, "method", "“%s”不是已知的联系方式", "'%s' is not a known contact method");
	if (f->from && *f->from && date_to_utc(f->from, from))
		ct_ferr(c, "from", "“%s”应为日期，如 2026-03-02", "'%s' must be a date like 2026-03-02");
	if (f->to && *f->to && date_to_utc(f->to, to))
		ct_ferr(c, "to", "“%s”应为日期，如 2026-03-02", "'%s' must be a date like 2026-03-02");
	if (c->errs.n)
		return ZL_E_VALIDATION;

	buf_adds(&sql, "SELECT k.id FROM contact k WHERE 1 = 1");
	scope_sql(&sql, "k.village_code");
	BIND_T(c->actor.scope_like);
	if (f->region && *f->region) {
		char *path = NULL;
		rc = db_get_text(c->db, &path, "SELECT path FROM region WHERE code = ?", "t", f->region);
		if (rc < 0)
			goto out;
		like = xasprintf("%s%%", path ? path : "\x01none");
		free(path);
		buf_adds(&sql, " AND EXISTS (SELECT 1 FROM region fr WHERE fr.code = k.village_code AND +fr.path LIKE ?)");
		BIND_T(like);
	}
	if (f->cadre) {
		buf_adds(&sql, " AND (k.author_user_id = ? OR EXISTS (SELECT 1 FROM contact_cadre kc"
			       " WHERE kc.contact_id = k.id AND kc.user_id = ?))");
		BIND_I(f->cadre);
		BIND_I(f->cadre);
	}
	if (f->household) {
		buf_adds(&sql, " AND EXISTS (SELECT 1 FROM contact_household kh WHERE kh.contact_id = k.id"
			       " AND kh.household_id = ?)");
		BIND_I(f->household);
	}
	if (f->method && *f->method) {
		buf_adds(&sql, " AND k.method = ?");
		BIND_T(f->method);
	}
	if (f->from && *f->from) {
		buf_adds(&sql, " AND k.started_at >= ?");
		BIND_T(from);
	}
	if (f->to && *f->to) {
		buf_adds(&sql, " AND k.started_at < ?");
		BIND_T(to);
	}
	if (f->conflict)
		buf_adds(&sql, " AND k.conflict_json IS NOT NULL");
	if (p->after) {
		buf_adds(&sql, " AND (k.started_at < (SELECT started_at FROM contact WHERE id = ?)"
			       " OR (k.started_at = (SELECT started_at FROM contact WHERE id = ?) AND k.id < ?))");
		BIND_I(p->after);
		BIND_I(p->after);
		BIND_I(p->after);
	}
	buf_addf(&sql, " ORDER BY k.started_at DESC, k.id DESC LIMIT %d", limit + 1);
#undef BIND_T
#undef BIND_I
	if ((rc = db_prepare(c->db, sql.data, &st)))
		goto out;
	for (int i = 0; i < nb; i++) {
		if (kinds[i] == 't')
			db_bind_text(st, i + 1, bt[i]);
		else
			db_bind_int(st, i + 1, bi[i]);
	}
	while (n <= (size_t)limit && (rc = db_step(st)) == 1)
		ids[n++] = db_col_int(st, 0);
	db_done(st);
	if (rc < 0)
		goto out;
	rc = 0;
	*items = json_array();
	for (size_t i = 0; i < n && i < (size_t)limit; i++) {
		json_t *o = NULL;
		if ((rc = contact_load(c, ids[i], 0, 0, &o)))
			break;
		json_array_append_new(*items, o);
	}
	if (!rc && n > (size_t)limit)
		*next = ids[limit - 1];
	if (rc) {
		json_decref(*items);
		*items = NULL;
	}
out:
	free(like);
	buf_release(&sql);
	return rc;
}

/* ---- the edit window and amendments ---- */

int ct_head_load(struct ctx *c, int64_t id, struct ct_head *h)
{
	struct buf sql = BUF_INIT;
	struct db_stmt *st;
	int rc;
	buf_adds(&sql, "SELECT k.id, k.author_user_id, k.created_at FROM contact k WHERE k.id = ?");
	scope_sql(&sql, "k.village_code");
	rc = db_prepare(c->db, sql.data, &st);
	buf_release(&sql);
	if (rc)
		return rc;
	db_bindv(st, "it", id, c->actor.scope_like);
	rc = db_step(st);
	if (rc == 1) {
		h->id = db_col_int(st, 0);
		h->author = db_col_int(st, 1);
		h->created_us = 0;
		time_parse(db_col_text(st, 2), &h->created_us);
	}
	db_done(st);
	return rc < 0 ? rc : rc == 1 ? 0 : ZL_E_NOT_FOUND;
}

int ct_author_edit_check(struct ctx *c, const struct ct_head *h)
{
	if (h->author != c->actor.user_id)
		return ZL_E_CONTACT_NOT_AUTHOR;
	if (!contact_editable(h->created_us, clock_now()))
		return ZL_E_CONTACT_EDIT_CLOSED;
	return 0;
}

/* The stored contact in the normal form of field_norm (storage-form
 * times), lists included. */
static int stored_form(struct ctx *c, int64_t id, json_t **out)
{
	json_t *o = NULL, *v, *tmp, *e;
	size_t i;
	int rc = contact_load(c, id, 0, 1, &o);
	json_t *n = json_object();
	*out = NULL;
	if (rc) {
		json_decref(n);
		return rc;
	}
	for (i = 0; i < ARRAY_SIZE(scalar_fields); i++)
		if ((v = json_object_get(o, scalar_fields[i])) && !json_is_null(v))
			json_object_set(n, scalar_fields[i], v);
	{
		char t[ZL_TIME_MAX];
		int64_t us = 0;
		time_parse(json_string_value(json_object_get(n, "started_at")), &us);
		time_format_utc(us, t);
		json_object_set_new(n, "started_at", json_string(t));
	}
	json_object_set(n, "village_code", json_object_get(json_object_get(o, "village"), "code"));
	tmp = json_array();
	json_array_foreach(json_object_get(o, "households"), i, e)
		json_array_append(tmp, json_object_get(e, "id"));
	json_object_set_new(n, "households", tmp);
	tmp = json_array();
	json_array_foreach(json_object_get(o, "cadres"), i, e)
		json_array_append(tmp, json_object_get(e, "id"));
	json_object_set_new(n, "cadres", tmp);
	tmp = json_array();
	json_array_foreach(json_object_get(o, "people"), i, e)
		json_array_append_new(tmp, json_is_null(json_object_get(e, "member_id"))
						   ? json_pack("{s:O}", "name", json_object_get(e, "name"))
						   : json_pack("{s:O}", "member_id", json_object_get(e, "member_id")));
	json_object_set_new(n, "people", tmp);
	json_object_set(n, "amended", json_object_get(o, "amended"));
	json_decref(o);
	*out = n;
	return 0;
}

int contact_update(struct ctx *c, int64_t id, const json_t *patch, json_t **out)
{
	static const char *const fields[] = { "method", "started_at", "duration_min", "place", "lat", "lng",
					      "gps_accuracy_m", "summary", "follow_up_date", "households",
					      "people", "cadres" };
	struct ct_head h;
	json_t *before = NULL, *after = NULL, *old_hh = NULL;
	struct db_stmt *st = NULL;
	const char *key;
	json_t *v;
	char village[ZL_CODE_MAX], now[ZL_TIME_MAX];
	int rc, lists = 0;

	*out = NULL;
	if ((rc = ct_head_load(c, id, &h)) || (rc = ct_author_edit_check(c, &h)))
		return rc;
	if ((rc = stored_form(c, id, &before)))
		return rc;
	json_object_del(before, "amended");
	after = json_deep_copy(before);
	json_object_foreach((json_t *)patch, key, v) {
		if (one_of(key, fields, ARRAY_SIZE(fields)) < 0) {
			ct_ferr(c, key, "不能修改“%s”", "'%s' cannot be changed");
			continue;
		}
		lists |= key[0] == 'h' || key[0] == 'p' || key[0] == 'c';
		field_norm(c, key, v, h.author, 1, after);
		if (!json_object_get(after, key) && (key[0] == 'h' || key[0] == 'p' || key[0] == 'c'))
			json_object_set_new(after, key, json_array());
	}
	if (!c->errs.n)
		cross_check(c, after, 0);
	if (c->errs.n) {
		rc = ZL_E_VALIDATION;
		goto out;
	}
	if (json_equal(before, after))
		goto done;
	if (lists) {
		/* the village stays: households must be in it */
		if ((rc = refs_check(c, after, village)))
			goto out;
		if (strcmp(village, json_string_value(json_object_get(before, "village_code")))) {
			ct_ferr(c, "households", "“%s”须属于本次联系的村", "'%s' must belong to the contact's village");
			rc = ZL_E_VALIDATION;
			goto out;
		}
		if ((rc = lists_write(c, id, after, 1)))
			goto out;
	}
	time_format_utc(clock_now(), now);
	if ((rc = db_prepare(c->db,
			     "UPDATE contact SET method = ?, started_at = ?, duration_min = ?, place = ?, lat = ?,"
			     " lng = ?, gps_accuracy_m = ?, summary = ?, follow_up_date = ?, updated_at = ?"
			     " WHERE id = ?",
			     &st)))
		goto out;
	bind_scalars(st, 1, after);
	db_bind_text(st, 10, now);
	db_bind_int(st, 11, id);
	rc = db_step(st);
	db_done(st);
	if (rc < 0)
		goto out;
	/* last_contact_at of the households before and after */
	old_hh = json_deep_copy(json_object_get(before, "households"));
	json_array_extend(old_hh, json_object_get(after, "households"));
	if ((rc = last_contact_refresh(c, old_hh)) || (rc = audit_contact(c, "contact.update", id, before, after)))
		goto out;
done:
	rc = contact_load(c, id, 0, 1, out);
out:
	json_decref(old_hh);
	json_decref(before);
	json_decref(after);
	return rc;
}

int contact_amend(struct ctx *c, int64_t id, const json_t *in, json_t **out)
{
	struct ct_head h;
	json_t *cur = NULL, *changes = json_object_get(in, "changes"), *view, *before = NULL, *after = NULL;
	const char *reason = json_string_value(json_object_get(in, "reason")), *key;
	char now[ZL_TIME_MAX], *bj = NULL, *aj = NULL, idt[24];
	json_t *v;
	int rc;

	*out = NULL;
	if ((rc = ct_head_load(c, id, &h)))
		return rc;
	if (h.author != c->actor.user_id && c->actor.role < ROLE_LEADER)
		return ZL_E_CONTACT_NOT_AUTHOR;
	if (!reason)
		verr_required(c, "reason");
	else if (!text_ok(reason, REASON_CHARS, 1))
		ct_ferr(c, "reason", "“%s”应为 1 到 500 个字", "'%s' must be 1 to 500 characters");
	if (!json_is_object(changes) || !json_object_size(changes))
		ct_ferr(c, "changes", "“%s”应为至少含一项修改的对象", "'%s' must be an object with at least one change");
	if (c->errs.n)
		return ZL_E_VALIDATION;
	if ((rc = stored_form(c, id, &cur)))
		return rc;
	/* amendments build on the amended view, in storage form */
	view = json_object_get(cur, "amended");
	if (json_is_object(view)) {
		json_object_foreach(view, key, v) {
			if (json_is_null(v))
				json_object_del(cur, key);
			else
				json_object_set(cur, key, v);
		}
		if (json_is_string(json_object_get(cur, "started_at"))) {
			int64_t us = 0;
			char t[ZL_TIME_MAX];
			time_parse(json_string_value(json_object_get(cur, "started_at")), &us);
			time_format_utc(us, t);
			json_object_set_new(cur, "started_at", json_string(t));
		}
	}
	json_object_del(cur, "amended");
	before = json_object();
	after = json_object();
	json_object_foreach(changes, key, v) {
		char f[80];
		json_t *old = json_object_get(cur, key);
		snprintf(f, sizeof(f), "changes.%s", key);
		if (one_of(key, scalar_fields, ARRAY_SIZE(scalar_fields)) < 0) {
			ct_ferr(c, f, "更正不能修改“%s”", "'%s' cannot be amended");
			continue;
		}
		json_object_set(before, key, old ? old : json_null());
		if (field_norm(c, key, v, h.author, 0, cur) == 0) {
			json_t *nv = json_object_get(cur, key);
			json_object_set(after, key, nv ? nv : json_null());
		}
	}
	if (!c->errs.n)
		cross_check(c, cur, 0);
	if (c->errs.n) {
		rc = ZL_E_VALIDATION;
		goto out;
	}
	time_format_utc(clock_now(), now);
	bj = json_dumps(before, JSON_COMPACT | JSON_SORT_KEYS);
	aj = json_dumps(after, JSON_COMPACT | JSON_SORT_KEYS);
	if ((rc = db_run(c->db,
			 "INSERT INTO contact_amendment(contact_id, user_id, at, reason, before_json, after_json)"
			 " VALUES (?,?,?,?,?,?)",
			 "iitttt", id, c->actor.user_id, now, reason, bj, aj)))
		goto out;
	ct_id_text(id, idt);
	{
		json_t *ab = audit_view(before), *aa = audit_view(after);
		json_object_set_new(aa, "amendment_id", json_integer(db_last_id(c->db)));
		json_object_set_new(aa, "reason_chars", json_integer(utf8_len(reason)));
		rc = audit_log(c, "contact.amend", "contact", idt, ab, aa);
		json_decref(ab);
		json_decref(aa);
	}
	if (!rc)
		rc = contact_load(c, id, 0, 1, out);
out:
	free(bj);
	free(aj);
	json_decref(before);
	json_decref(after);
	json_decref(cur);
	return rc;
}

/* ---- the household timeline source ---- */

static int timeline_fetch(struct ctx *c, int64_t hid, const struct timeline_window *w, json_t *out)
{
	struct db_stmt *st = NULL;
	int rc = db_prepare(c->db,
			    w->before_at
				    ? "SELECT k.id, k.started_at, k.author_user_id, k.method, k.summary, k.duration_min,"
				      " k.conflict_json IS NOT NULL FROM contact k JOIN contact_household kh"
				      " ON kh.contact_id = k.id WHERE kh.household_id = ?"
				      " AND (k.started_at < ? OR (k.started_at = ? AND k.id < ?))"
				      " ORDER BY k.started_at DESC, k.id DESC LIMIT ?"
				    : "SELECT k.id, k.started_at, k.author_user_id, k.method, k.summary, k.duration_min,"
				      " k.conflict_json IS NOT NULL FROM contact k JOIN contact_household kh"
				      " ON kh.contact_id = k.id WHERE kh.household_id = ?"
				      " ORDER BY k.started_at DESC, k.id DESC LIMIT ?",
			    &st);
	if (rc)
		return rc;
	if (w->before_at)
		db_bindv(st, "ittii", hid, w->before_at, w->before_at, w->before_id, (int64_t)w->limit);
	else
		db_bindv(st, "ii", hid, (int64_t)w->limit);
	while ((rc = db_step(st)) == 1) {
		int m = one_of(db_col_text(st, 3), methods, ARRAY_SIZE(methods));
		char kind[48], *zh, *en;
		const char *sum = db_col_text(st, 4);
		snprintf(kind, sizeof(kind), "contact.%s", db_col_text(st, 3));
		/* the first 60 characters of the summary */
		{
			const char *p = sum;
			long n = 0;
			while (*p && n < 60) {
				p++;
				while ((*p & 0xC0) == 0x80)
					p++;
				n++;
			}
			zh = xasprintf("%s：%.*s%s", m >= 0 ? method_zh[m] : "联系", (int)(p - sum), sum, *p ? "…" : "");
			en = xasprintf("%s: %.*s%s", db_col_text(st, 3), (int)(p - sum), sum, *p ? "…" : "");
		}
		json_array_append_new(out, json_pack("{s:I,s:s,s:s,s:s,s:s,s:I,s:{s:I,s:s,s:I,s:b}}", "id",
						     (json_int_t)db_col_int(st, 0), "at", db_col_text(st, 1),
						     "kind", kind, "summary_zh", zh, "summary_en", en, "user_id",
						     (json_int_t)db_col_int(st, 2), "data", "contact_id",
						     (json_int_t)db_col_int(st, 0), "method", db_col_text(st, 3),
						     "duration_min", (json_int_t)db_col_int(st, 5), "conflict",
						     (int)db_col_int(st, 6)));
		free(zh);
		free(en);
	}
	db_done(st);
	return rc < 0 ? rc : 0;
}

static const struct timeline_source contact_source = { "contact", timeline_fetch };

void contacts_init(void)
{
	household_timeline_register(&contact_source);
	household_timeline_register(&diary_timeline_source);
}
