/*
 * households.c: the household service: parsing and checking a household,
 * create, get (with reveal), update and move, list with its filters, counts,
 * and the event rows that feed the timeline. Members, tags, the timeline,
 * the import upsert and the HTTP handlers live in their own files.
 */
#include "households/households_int.h"

#include "platform/audit.h"
#include "platform/clock.h"
#include "platform/error.h"

#define HEAD_NAME_MAX 32
#define ADDRESS_MAX 200
#define NOTES_MAX 2000
#define CODE_MAX 32
#define LIST_MAX 500
#define SERIAL_MAX 9999

/* ---- small helpers ---- */

void hh_field(char out[HH_FIELD_MAX], const char *prefix, const char *name)
{
	size_t a = prefix ? strlen(prefix) : 0, b = strlen(name);
	if (a > HH_FIELD_MAX - 1)
		a = HH_FIELD_MAX - 1;
	if (b > HH_FIELD_MAX - 1 - a)
		b = HH_FIELD_MAX - 1 - a;
	memcpy(out, prefix ? prefix : "", a);
	memcpy(out + a, name, b);
	out[a + b] = '\0';
}

void hh_ferr(struct ctx *c, const char *field, const char *fmt_zh, const char *fmt_en)
{
	char zh[256], en[256];
	snprintf(zh, sizeof(zh), fmt_zh, field);
	snprintf(en, sizeof(en), fmt_en, field);
	verr_add(&c->errs, field, zh, en);
}

int hh_text_ok(struct ctx *c, const char *field, const char *s, long min, long max, int multiline)
{
	long n = utf8_len(s);
	int ctrl = 0, blank = 1;
	char zh[200], en[200];
	for (const char *p = s; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		if ((ch < 0x20 && !(multiline && (ch == '\n' || ch == '\r' || ch == '\t'))) || ch == 0x7f)
			ctrl = 1;
		if (ch != ' ' && ch != '\n' && ch != '\r' && ch != '\t')
			blank = 0;
	}
	if (n >= min && n <= max && !ctrl && !(min > 0 && blank))
		return 0;
	snprintf(zh, sizeof(zh), "“%s”应为 %ld 到 %ld 个字，且不含控制字符", field, min, max);
	snprintf(en, sizeof(en), "'%s' must be %ld to %ld characters without control characters", field,
		 min, max);
	verr_add(&c->errs, field, zh, en);
	return -1;
}

int hh_opt_str(struct ctx *c, const json_t *o, const char *prefix, const char *name, int *present,
	       const char **out)
{
	char f[HH_FIELD_MAX];
	json_t *v = json_object_get(o, name);
	*present = v != NULL;
	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (json_is_string(v)) {
		*out = json_string_value(v);
		return 0;
	}
	hh_field(f, prefix, name);
	hh_ferr(c, f, "“%s”应为文本", "'%s' must be a string");
	return -1;
}

json_t *hh_time_json(const char *stored)
{
	int64_t us;
	char out[ZL_TIME_MAX];
	if (!stored || time_parse(stored, &us) < 0)
		return json_null();
	time_format_local(us, out);
	return json_string(out);
}

void hh_now(char out[ZL_TIME_MAX])
{
	time_format_utc(clock_now(), out);
}

void hh_today(char out[11])
{
	int64_t s = clock_now_sec() + ZL_TZ_OFFSET_MIN * 60;
	int y, m, d;
	civil_from_days((s >= 0 ? s : s - 86399) / 86400, &y, &m, &d);
	snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
}

char *hh_col_dup(struct db_stmt *st, int i)
{
	const char *s = db_col_text(st, i);
	return s ? xstrdup(s) : NULL;
}

void hh_id_text(int64_t id, char out[24])
{
	snprintf(out, 24, "%" PRId64, id);
}

/* ---- bind lists: SQL built piece by piece keeps its values in order ---- */

struct binds {
	size_t n;
	struct {
		char t; /* 't' text (owned), 'i' integer */
		int64_t i;
		char *s;
	} v[48];
};

static void bind_t(struct binds *b, const char *s)
{
	if (b->n == ARRAY_SIZE(b->v))
		abort(); /* the filters below never come near */
	b->v[b->n].t = 't';
	b->v[b->n++].s = xstrdup(s);
}

static void bind_i(struct binds *b, int64_t i)
{
	if (b->n == ARRAY_SIZE(b->v))
		abort();
	b->v[b->n].t = 'i';
	b->v[b->n].s = NULL;
	b->v[b->n++].i = i;
}

static void binds_append(struct binds *dst, const struct binds *src)
{
	for (size_t i = 0; i < src->n; i++) {
		if (src->v[i].t == 't')
			bind_t(dst, src->v[i].s);
		else
			bind_i(dst, src->v[i].i);
	}
}

static void binds_release(struct binds *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->v[i].s);
	b->n = 0;
}

static void binds_apply(struct db_stmt *st, const struct binds *b)
{
	for (size_t i = 0; i < b->n; i++) {
		if (b->v[i].t == 't')
			db_bind_text(st, (int)i + 1, b->v[i].s);
		else
			db_bind_int(st, (int)i + 1, b->v[i].i);
	}
}

/* ---- household rows ---- */

/* One household as read with its names and responsible cadre. */
struct hh_row {
	int64_t id, open_appeal_count, member_count, resp_user_id;
	char *code, *village_code, *village_name, *region_code, *region_name, *region_level;
	char *address, *head_name, *phone_mask, *phone_hash, *notes, *last_contact_at;
	char *created_at, *updated_at, *resp_name, *resp_since, *import_hash;
	unsigned char *phone_enc;
	size_t phone_enc_len;
	int has_coords;
	double lat, lng;
};

/* Binds: today, today (the current assignment), then the caller's. */
#define HH_SELECT                                                                                  \
	"SELECT h.id, h.code, h.village_code, v.name, h.region_code, g.name, g.level, h.address,"  \
	" h.lat, h.lng, h.head_name, h.phone_enc, h.phone_mask, h.phone_hash, h.notes,"            \
	" h.last_contact_at, h.open_appeal_count, h.created_at, h.updated_at, a.user_id,"          \
	" u.display_name, a.start_date,"                                                           \
	" (SELECT COUNT(*) FROM household_member m WHERE m.household_id = h.id"                    \
	" AND m.removed_at IS NULL), h.import_hash"                                                \
	" FROM household h JOIN region v ON v.code = h.village_code"                               \
	" JOIN region g ON g.code = h.region_code"                                                 \
	" LEFT JOIN household_assignment a ON a.id = (SELECT a2.id FROM household_assignment a2"  \
	" WHERE a2.household_id = h.id AND a2.start_date <= ? AND (a2.end_date IS NULL"            \
	" OR a2.end_date > ?) ORDER BY a2.start_date DESC, a2.id DESC LIMIT 1)"                    \
	" LEFT JOIN app_user u ON u.id = a.user_id"

static void hh_row_release(struct hh_row *r)
{
	free(r->code);
	free(r->village_code);
	free(r->village_name);
	free(r->region_code);
	free(r->region_name);
	free(r->region_level);
	free(r->address);
	free(r->head_name);
	free(r->phone_mask);
	free(r->phone_hash);
	free(r->notes);
	free(r->last_contact_at);
	free(r->created_at);
	free(r->updated_at);
	free(r->resp_name);
	free(r->resp_since);
	free(r->import_hash);
	free(r->phone_enc);
	memset(r, 0, sizeof(*r));
}

static void hh_row_read(struct db_stmt *st, struct hh_row *r)
{
	size_t n = 0;
	const void *b;
	memset(r, 0, sizeof(*r));
	r->id = db_col_int(st, 0);
	r->code = hh_col_dup(st, 1);
	r->village_code = hh_col_dup(st, 2);
	r->village_name = hh_col_dup(st, 3);
	r->region_code = hh_col_dup(st, 4);
	r->region_name = hh_col_dup(st, 5);
	r->region_level = hh_col_dup(st, 6);
	r->address = hh_col_dup(st, 7);
	r->has_coords = !db_col_isnull(st, 8) && !db_col_isnull(st, 9);
	r->lat = db_col_double(st, 8);
	r->lng = db_col_double(st, 9);
	r->head_name = hh_col_dup(st, 10);
	b = db_col_blob(st, 11, &n);
	if (b && n) {
		r->phone_enc = xmalloc(n);
		memcpy(r->phone_enc, b, n);
		r->phone_enc_len = n;
	}
	r->phone_mask = hh_col_dup(st, 12);
	r->phone_hash = hh_col_dup(st, 13);
	r->notes = hh_col_dup(st, 14);
	r->last_contact_at = hh_col_dup(st, 15);
	r->open_appeal_count = db_col_int(st, 16);
	r->created_at = hh_col_dup(st, 17);
	r->updated_at = hh_col_dup(st, 18);
	r->resp_user_id = db_col_isnull(st, 19) ? 0 : db_col_int(st, 19);
	r->resp_name = hh_col_dup(st, 20);
	r->resp_since = hh_col_dup(st, 21);
	r->member_count = db_col_int(st, 22);
	r->import_hash = hh_col_dup(st, 23);
}

/* Loads a live household in the actor's scope; ZL_E_NOT_FOUND otherwise. */
static int hh_row_load(struct ctx *c, int64_t id, struct hh_row *r)
{
	struct buf sql = BUF_INIT;
	struct db_stmt *st = NULL;
	char today[11];
	int rc;
	hh_today(today);
	buf_adds(&sql, HH_SELECT " WHERE h.id = ? AND h.retired_at IS NULL");
	scope_sql(&sql, "h.region_code");
	rc = db_prepare(c->db, sql.data, &st);
	buf_release(&sql);
	if (rc)
		return rc;
	db_bindv(st, "ttit", today, today, id, c->actor.scope_like);
	rc = db_step(st);
	if (rc == 1) {
		hh_row_read(st, r);
		rc = 0;
	} else if (rc == 0) {
		rc = ZL_E_NOT_FOUND;
	}
	db_done(st);
	return rc;
}

int hh_check(struct ctx *c, int64_t id)
{
	struct buf sql = BUF_INIT;
	int64_t one;
	int rc;
	buf_adds(&sql, "SELECT 1 FROM household h WHERE h.id = ? AND h.retired_at IS NULL");
	scope_sql(&sql, "h.region_code");
	rc = db_get_int(c->db, &one, sql.data, "it", id, c->actor.scope_like);
	buf_release(&sql);
	if (rc < 0)
		return rc;
	return rc == 1 ? 0 : ZL_E_NOT_FOUND;
}

int household_check(struct ctx *c, int64_t id)
{
	return hh_check(c, id);
}

int hh_secret_json(const unsigned char *enc, size_t len, const char *mask, int reveal, json_t **out,
		   int *revealed)
{
	char *plain = NULL;
	int rc;
	*out = NULL;
	if (!enc || !len) {
		*out = json_null();
		return 0;
	}
	if (!reveal) {
		*out = mask ? json_string(mask) : json_null();
		return 0;
	}
	rc = pii_decrypt(enc, len, &plain);
	if (rc)
		return rc;
	*out = json_string(plain);
	free(plain);
	(*revealed)++;
	return 0;
}

static json_t *region_json(const char *code, const char *name)
{
	return json_pack("{s:s,s:s}", "code", code ? code : "", "name", name ? name : "");
}

/* Household JSON; steals tags (an array of names). */
static int hh_row_json(const struct hh_row *r, int reveal, json_t *tags, json_t **out, int *revealed)
{
	json_t *phone = NULL, *o, *resp = json_null();
	int is_group = r->region_level && !strcmp(r->region_level, "group");
	int rc = hh_secret_json(r->phone_enc, r->phone_enc_len, r->phone_mask, reveal, &phone, revealed);
	*out = NULL;
	if (rc) {
		json_decref(tags);
		return rc;
	}
	if (r->resp_user_id) {
		json_decref(resp);
		resp = json_pack("{s:I,s:s,s:s?}", "user_id", (json_int_t)r->resp_user_id,
				 "display_name", r->resp_name ? r->resp_name : "", "since", r->resp_since);
	}
	o = json_pack("{s:I,s:s,s:o,s:o,s:s?,s:o,s:o,s:s,s:o,s:o,s:s?,s:o,s:I,s:o,s:I,s:o,s:o,s:b}",
		      "id", (json_int_t)r->id, "code", r->code, "village",
		      region_json(r->village_code, r->village_name), "group",
		      is_group ? region_json(r->region_code, r->region_name) : json_null(), "address",
		      r->address, "lat", r->has_coords ? json_real(r->lat) : json_null(), "lng",
		      r->has_coords ? json_real(r->lng) : json_null(), "head_name", r->head_name, "phone",
		      phone, "tags", tags, "notes", r->notes, "responsible", resp, "member_count",
		      (json_int_t)r->member_count, "last_contact_at", hh_time_json(r->last_contact_at),
		      "open_appeal_count", (json_int_t)r->open_appeal_count, "created_at",
		      hh_time_json(r->created_at), "updated_at", hh_time_json(r->updated_at), "revealed",
		      reveal);
	if (!o)
		return ZL_E_INTERNAL;
	*out = o;
	return 0;
}

/* One audit row per household shown in full: which fields, not the values. */
static int reveal_audit(struct ctx *c, int64_t id, int phone, int ids, int phones, int members)
{
	char idt[24];
	json_t *fields = json_array(), *after;
	int rc;
	if (phone)
		json_array_append_new(fields, json_string("phone"));
	if (ids)
		json_array_append_new(fields, json_string("members.id_number"));
	if (phones)
		json_array_append_new(fields, json_string("members.phone"));
	after = json_pack("{s:o,s:i}", "fields", fields, "members", members);
	hh_id_text(id, idt);
	rc = audit_log(c, "household.reveal", "household", idt, NULL, after);
	json_decref(after);
	return rc;
}

/* The household as JSON (masked unless reveal), with members if asked. */
static int hh_load_json(struct ctx *c, int64_t id, int reveal, int with_members, json_t **out)
{
	struct hh_row r;
	struct hh_tag_set tags = { 0 };
	json_t *members = NULL;
	int revealed = 0, ids = 0, phones = 0, rc;

	*out = NULL;
	rc = hh_row_load(c, id, &r);
	if (rc)
		return rc;
	rc = hh_tags_load(c, id, &tags);
	if (!rc)
		rc = hh_row_json(&r, reveal, hh_tag_names(&tags), out, &revealed);
	if (!rc && with_members) {
		rc = hh_members_json(c, id, reveal, &members, &ids, &phones);
		if (!rc)
			json_object_set_new(*out, "members", members);
	}
	if (!rc && reveal) {
		int with_values = 0;
		size_t i;
		json_t *m;
		json_array_foreach(members, i, m)
			if (json_is_string(json_object_get(m, "id_number")) ||
			    json_is_string(json_object_get(m, "phone")))
				with_values++;
		rc = reveal_audit(c, id, revealed, ids, phones, with_values);
	}
	if (rc) {
		json_decref(*out);
		*out = NULL;
	}
	hh_tag_set_release(&tags);
	hh_row_release(&r);
	return rc;
}

int household_get(struct ctx *c, int64_t id, int reveal, json_t **out)
{
	*out = NULL;
	if (reveal && !perm_allows(c->actor.role, "household.reveal"))
		return ZL_E_FORBIDDEN;
	return hh_load_json(c, id, reveal, 1, out);
}

/* ---- events ---- */

int hh_event(struct ctx *c, int64_t hid, const char *kind, const char *zh, const char *en,
	     const json_t *data)
{
	char now[ZL_TIME_MAX], *dj = data ? json_dumps(data, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	struct db_stmt *st = NULL;
	int rc;
	hh_now(now);
	rc = db_prepare(c->db,
			"INSERT INTO household_event(household_id, at, user_id, kind, summary_zh,"
			" summary_en, data_json) VALUES (?, ?, ?, ?, ?, ?, ?)",
			&st);
	if (rc) {
		free(dj);
		return rc;
	}
	db_bind_int(st, 1, hid);
	db_bind_text(st, 2, now);
	if (c->actor.user_id)
		db_bind_int(st, 3, c->actor.user_id);
	else
		db_bind_null(st, 3);
	db_bind_text(st, 4, kind);
	db_bind_text(st, 5, zh);
	db_bind_text(st, 6, en);
	db_bind_text(st, 7, dj);
	rc = db_step(st);
	db_done(st);
	free(dj);
	return rc < 0 ? rc : 0;
}

int household_event_add(struct ctx *c, int64_t hid, const char *kind, const char *zh,
			const char *en, const json_t *data)
{
	return hh_event(c, hid, kind, zh, en, data);
}

int hh_touch(struct ctx *c, int64_t hid, const char *now)
{
	return db_run(c->db, "UPDATE household SET updated_at = ? WHERE id = ?", "ti", now, hid);
}

/* ---- parsing a household ---- */

void hh_in_release(struct hh_in *hi)
{
	hh_tag_set_release(&hi->tags);
	free(hi->members);
	memset(hi, 0, sizeof(*hi));
}

static int code_ok(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > CODE_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return 0;
	return 1;
}

/* Resolves village_code / group_code into hi's village and region codes:
 * the region must be live, of the right level and in scope. */
static int region_resolve(struct ctx *c, const char *village, const char *group, struct hh_in *hi)
{
	const char *code = group ? group : village, *field = group ? "group_code" : "village_code";
	const char *want = group ? "group" : "village";
	size_t scope_len = strlen(c->actor.scope_like);
	struct db_stmt *st = NULL;
	int rc;

	/* The scope test is the prefix match of scope_sql(), done here in C:
	 * SQLite re-prepares a statement whenever a value bound to a LIKE
	 * changes, which an import of 100,000 households would pay each time. */
	rc = db_prepare(c->db, "SELECT r.level, r.parent_code, r.path FROM region r WHERE r.code = ?"
			       " AND r.retired_at IS NULL", &st);
	if (rc)
		return rc;
	db_bind_text(st, 1, code);
	rc = db_step(st);
	if (rc == 1) {
		const char *path = db_col_text(st, 2);
		if (!path || scope_len < 1 || c->actor.scope_like[scope_len - 1] != '%' ||
		    strncmp(path, c->actor.scope_like, scope_len - 1) != 0)
			rc = 0; /* outside the scope: as if it did not exist */
	}
	if (rc == 0) {
		hh_ferr(c, field, "“%s”不存在、已停用或不在您的管辖范围内",
			"'%s' does not exist, is retired or is outside your scope");
	} else if (rc == 1) {
		const char *level = db_col_text(st, 0), *parent = db_col_text(st, 1);
		if (!level || strcmp(level, want) != 0) {
			if (group)
				hh_ferr(c, field, "“%s”不是村民小组的代码", "'%s' is not the code of a group");
			else
				hh_ferr(c, field, "“%s”不是村（社区）的代码", "'%s' is not the code of a village");
		} else if (group && village && (!parent || strcmp(parent, village) != 0)) {
			hh_ferr(c, field, "“%s”不属于所填的村", "'%s' is not a group of the given village");
		} else {
			snprintf(hi->village_code, sizeof(hi->village_code), "%s",
				 group ? (parent ? parent : "") : code);
			snprintf(hi->region_code, sizeof(hi->region_code), "%s", code);
		}
		rc = 0;
	}
	db_done(st);
	return rc;
}

static int coord_parse(struct ctx *c, const json_t *o, struct hh_in *hi)
{
	json_t *la = json_object_get(o, "lat"), *ln = json_object_get(o, "lng");
	int bad = 0;
	if (!la && !ln)
		return 0;
	hi->present |= H_COORDS;
	if ((!la || json_is_null(la)) && (!ln || json_is_null(ln)))
		return 0; /* cleared */
	if (!la || !json_is_number(la) || json_number_value(la) < -90 || json_number_value(la) > 90) {
		hh_ferr(c, "lat", "“%s”应为 -90 到 90 之间的纬度", "'%s' must be a latitude from -90 to 90");
		bad = 1;
	}
	if (!ln || !json_is_number(ln) || json_number_value(ln) < -180 || json_number_value(ln) > 180) {
		hh_ferr(c, "lng", "“%s”应为 -180 到 180 之间的经度",
			"'%s' must be a longitude from -180 to 180");
		bad = 1;
	}
	if (bad)
		return -1;
	hi->has_coords = 1;
	hi->lat = json_number_value(la);
	hi->lng = json_number_value(ln);
	return 0;
}

static int members_parse(struct ctx *c, const json_t *arr, struct hh_in *hi)
{
	size_t i, heads = 0;
	json_t *m;
	if (!arr || json_is_null(arr))
		return 0;
	if (!json_is_array(arr) || json_array_size(arr) > HH_MEMBERS_MAX) {
		hh_ferr(c, "members", "“%s”应为成员列表，至多 64 人", "'%s' must be a list of at most 64 members");
		return -1;
	}
	hi->members = xcalloc(json_array_size(arr) + 1, sizeof(*hi->members));
	json_array_foreach(arr, i, m) {
		char prefix[HH_FIELD_MAX], f[HH_FIELD_MAX];
		struct member_in *mi = &hi->members[i];
		snprintf(prefix, sizeof(prefix), "members[%zu].", i);
		if (hh_member_parse(c, m, prefix, 0, mi))
			continue;
		if (mi->relation && !strcmp(mi->relation, "户主") && ++heads > 1) {
			hh_field(f, prefix, "relation");
			hh_ferr(c, f, "“%s”：一户只能有一位户主", "'%s': a household has one head only");
		}
		for (size_t j = 0; mi->id_number[0] && j < i; j++)
			if (!strcmp(hi->members[j].id_number, mi->id_number)) {
				hh_field(f, prefix, "id_number");
				hh_ferr(c, f, "“%s”与本户另一成员的身份证号重复",
					"'%s' repeats another member's id number");
				break;
			}
	}
	hi->nmembers = json_array_size(arr);
	return 0;
}

int hh_in_parse(struct ctx *c, const json_t *o, enum hh_mode mode, struct hh_in *hi)
{
	size_t n0 = c->errs.n;
	const char *s = NULL, *village = NULL, *group = NULL;
	int pr = 0, pv = 0, pg = 0, rc;
	json_t *v;

	memset(hi, 0, sizeof(*hi));
	if (!json_is_object(o))
		return ZL_E_BAD_JSON;

	if (hh_opt_str(c, o, "", "code", &pr, &s) == 0 && pr) {
		hi->present |= H_CODE;
		hi->code = s;
		if (s && !code_ok(s))
			hh_ferr(c, "code", "“%s”应为 1 到 32 位字母、数字或 -", "'%s' must be 1 to 32 letters, digits or '-'");
	}
	if (mode == HH_IMPORT && !hi->code)
		verr_required(c, "code");

	if (hh_opt_str(c, o, "", "village_code", &pv, &village) == 0 &&
	    hh_opt_str(c, o, "", "group_code", &pg, &group) == 0) {
		if (village && !*village)
			village = NULL;
		if (group && !*group)
			group = NULL;
		if (pv || pg)
			hi->present |= H_REGION;
		if (village || group) {
			rc = region_resolve(c, village, group, hi);
			if (rc < 0)
				return rc;
		} else if (mode != HH_PATCH || pv || pg) {
			verr_required(c, "village_code");
		}
	}

	if (hh_opt_str(c, o, "", "head_name", &pr, &s) == 0) {
		if (pr)
			hi->present |= H_HEAD;
		hi->head_name = s;
		if ((pr || mode != HH_PATCH) && (!s || !*s))
			verr_required(c, "head_name");
		else if (s)
			hh_text_ok(c, "head_name", s, 1, HEAD_NAME_MAX, 0);
	}
	if (hh_opt_str(c, o, "", "phone", &pr, &s) == 0 && pr) {
		hi->present |= H_PHONE;
		if (s && *s && pii_mobile_check(s, hi->phone) != 0)
			hh_ferr(c, "phone", "“%s”应为 11 位手机号码", "'%s' must be an 11-digit mainland mobile number");
	}
	if (hh_opt_str(c, o, "", "address", &pr, &s) == 0 && pr) {
		hi->present |= H_ADDRESS;
		hi->address = s && *s ? s : NULL;
		if (hi->address)
			hh_text_ok(c, "address", s, 1, ADDRESS_MAX, 0);
	}
	if (hh_opt_str(c, o, "", "notes", &pr, &s) == 0 && pr) {
		hi->present |= H_NOTES;
		hi->notes = s && *s ? s : NULL;
		if (hi->notes)
			hh_text_ok(c, "notes", s, 1, NOTES_MAX, 1);
	}
	coord_parse(c, o, hi);
	/* a patch resolves its tags knowing the household (retired tags it
	 * already has may stay) */
	if ((v = json_object_get(o, "tags"))) {
		hi->present |= H_TAGS;
		rc = mode == HH_PATCH ? 0 : hh_tags_resolve(c, v, "tags", 0, &hi->tags);
		if (rc && rc != ZL_E_VALIDATION)
			return rc;
	}
	if ((v = json_object_get(o, "members"))) {
		hi->present |= H_MEMBERS;
		if (mode == HH_PATCH)
			hh_ferr(c, "members", "“%s”请通过成员接口修改", "'%s' are changed through the member routes");
		else
			members_parse(c, v, hi);
	}
	return c->errs.n > n0 ? ZL_E_VALIDATION : 0;
}

/* ---- create ---- */

/* Encrypted phone, its hash and mask, or all NULL for "". */
struct pii_val {
	unsigned char *enc;
	size_t len;
	char hash[PII_HASH_HEX];
	char mask[PII_MASK_MAX];
	int set;
};

static int pii_val_phone(const char *phone, struct pii_val *v)
{
	memset(v, 0, sizeof(*v));
	if (!phone || !*phone)
		return 0;
	int rc = pii_encrypt(phone, &v->enc, &v->len);
	if (rc)
		return rc;
	pii_hash(phone, v->hash);
	pii_mask_phone(phone, v->mask, sizeof(v->mask));
	v->set = 1;
	return 0;
}

static void bind_pii(struct db_stmt *st, int i, const struct pii_val *v)
{
	if (v->set) {
		db_bind_blob(st, i, v->enc, v->len);
		db_bind_text(st, i + 1, v->hash);
		db_bind_text(st, i + 2, v->mask);
	} else {
		db_bind_null(st, i);
		db_bind_null(st, i + 1);
		db_bind_null(st, i + 2);
	}
}

static void bind_coords(struct db_stmt *st, int i, int has, double lat, double lng)
{
	if (has) {
		db_bind_double(st, i, lat);
		db_bind_double(st, i + 1, lng);
	} else {
		db_bind_null(st, i);
		db_bind_null(st, i + 1);
	}
}

int hh_insert(struct ctx *c, const struct hh_in *hi, const char *import_hash, const char *now,
	      int64_t *id)
{
	struct db_stmt *st = NULL;
	struct pii_val ph;
	int rc = pii_val_phone(hi->phone, &ph);
	if (rc)
		return rc;
	rc = db_prepare(c->db,
			"INSERT INTO household(code, village_code, region_code, address, lat, lng,"
			" head_name, phone_enc, phone_hash, phone_mask, notes, import_hash, created_at,"
			" updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			&st);
	if (rc)
		goto out;
	db_bindv(st, "tttt", hi->code, hi->village_code, hi->region_code, hi->address);
	bind_coords(st, 5, hi->has_coords, hi->lat, hi->lng);
	db_bind_text(st, 7, hi->head_name);
	bind_pii(st, 8, &ph);
	db_bind_text(st, 11, hi->notes);
	db_bind_text(st, 12, import_hash);
	db_bind_text(st, 13, now);
	db_bind_text(st, 14, now);
	rc = db_step(st);
	db_done(st);
	if (rc == ZL_E_CONFLICT)
		rc = ZL_E_HOUSEHOLD_CODE_EXISTS;
	if (rc < 0)
		goto out;
	*id = db_last_id(c->db);
	rc = 0;
	for (size_t i = 0; !rc && i < hi->tags.n; i++)
		rc = db_run(c->db, "INSERT INTO household_tag(household_id, tag_id, created_at) VALUES (?, ?, ?)",
			    "iit", *id, hi->tags.id[i], now);
	for (size_t i = 0; !rc && i < hi->nmembers; i++) {
		int64_t mid;
		rc = hh_member_insert(c, *id, &hi->members[i], now, &mid);
	}
out:
	free(ph.enc);
	return rc;
}

/* The next free "village code + 4 digits". */
static int code_generate(struct ctx *c, const char *village, char out[CODE_MAX + 1])
{
	char lo[CODE_MAX + 1], hi[CODE_MAX + 1], *last = NULL;
	int64_t serial = 0, one;
	int rc;
	snprintf(lo, sizeof(lo), "%s0000", village);
	snprintf(hi, sizeof(hi), "%s9999", village);
	rc = db_get_text(c->db, &last,
			 "SELECT code FROM household WHERE code >= ? AND code <= ? AND LENGTH(code) = ?"
			 " ORDER BY code DESC LIMIT 1",
			 "tti", lo, hi, (int64_t)strlen(lo));
	if (rc < 0)
		return rc;
	if (rc == 1 && last)
		parse_int64(last + strlen(village), &serial);
	free(last);
	if (serial < 0 || serial > SERIAL_MAX)
		serial = 0;
	for (serial++; serial <= SERIAL_MAX; serial++) {
		snprintf(out, CODE_MAX + 1, "%.20s%04d", village, (int)(serial % 10000));
		rc = db_get_int(c->db, &one, "SELECT 1 FROM household WHERE code = ?", "t", out);
		if (rc <= 0)
			return rc;
	}
	ctx_detail(c, "该村的户编号已用完，请手工填写户编号", "the village has no free household codes; give a code");
	return ZL_E_CONFLICT;
}

int household_create(struct ctx *c, const json_t *in, json_t **out)
{
	struct hh_in hi;
	char code[CODE_MAX + 1], now[ZL_TIME_MAX], idt[24], zh[160], en[160];
	json_t *data = NULL;
	int64_t id = 0, one;
	int rc;

	*out = NULL;
	rc = hh_in_parse(c, in, HH_CREATE, &hi);
	if (rc) {
		hh_in_release(&hi);
		return rc;
	}
	if (hi.code) {
		rc = db_get_int(c->db, &one, "SELECT 1 FROM household WHERE code = ?", "t", hi.code);
		if (rc == 1)
			rc = ZL_E_HOUSEHOLD_CODE_EXISTS;
	} else {
		rc = code_generate(c, hi.village_code, code);
		hi.code = code;
	}
	if (rc < 0)
		goto out;
	hh_now(now);
	rc = hh_insert(c, &hi, NULL, now, &id);
	if (rc)
		goto out;
	snprintf(zh, sizeof(zh), "建立户档案：户主 %s，成员 %zu 人", hi.head_name, hi.nmembers);
	snprintf(en, sizeof(en), "household file created: head %s, %zu member(s)", hi.head_name, hi.nmembers);
	data = json_pack("{s:s,s:I}", "code", hi.code, "members", (json_int_t)hi.nmembers);
	rc = hh_event(c, id, "household.create", zh, en, data);
	if (!rc)
		rc = hh_load_json(c, id, 0, 1, out);
	hh_id_text(id, idt);
	if (!rc)
		rc = audit_log(c, "household.create", "household", idt, NULL, *out);
out:
	if (rc) {
		json_decref(*out);
		*out = NULL;
	}
	json_decref(data);
	hh_in_release(&hi);
	return rc;
}

/* ---- update ---- */

static int str_differs(const char *a, const char *b)
{
	return (a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0);
}

/* "东坑村" or "东坑村 一组" for a region code. */
static char *region_label(struct ctx *c, const char *village, const char *region)
{
	char *v = NULL, *g = NULL, *s;
	db_get_text(c->db, &v, "SELECT name FROM region WHERE code = ?", "t", village);
	if (strcmp(village, region) != 0)
		db_get_text(c->db, &g, "SELECT name FROM region WHERE code = ?", "t", region);
	s = xasprintf("%s%s%s", v ? v : village, g ? " " : "", g ? g : "");
	free(v);
	free(g);
	return s;
}

static int move_event(struct ctx *c, const struct hh_row *r, const struct hh_in *hi)
{
	char *from = region_label(c, r->village_code, r->region_code);
	char *to = region_label(c, hi->village_code, hi->region_code);
	char *zh = xasprintf("迁移：%s → %s", from, to), *en = xasprintf("moved: %s -> %s", from, to);
	json_t *data = json_pack("{s:s,s:s,s:s,s:s}", "from_village", r->village_code, "from_region",
				 r->region_code, "to_village", hi->village_code, "to_region", hi->region_code);
	int rc = hh_event(c, r->id, "household.move", zh, en, data);
	json_decref(data);
	free(from);
	free(to);
	free(zh);
	free(en);
	return rc;
}

void hh_tag_changes_text(struct buf *zh, struct buf *en, const json_t *added, const json_t *removed)
{
	size_t i;
	json_t *t;
	json_array_foreach(added, i, t) {
		buf_addf(zh, " +%s", json_string_value(t));
		buf_addf(en, " +%s", json_string_value(t));
	}
	json_array_foreach(removed, i, t) {
		buf_addf(zh, " −%s", json_string_value(t));
		buf_addf(en, " -%s", json_string_value(t));
	}
}

static int tags_event(struct ctx *c, int64_t hid, json_t *added, json_t *removed)
{
	struct buf zh = BUF_INIT, en = BUF_INIT;
	json_t *data;
	int rc;
	buf_adds(&zh, "标签变更：");
	buf_adds(&en, "tags changed:");
	hh_tag_changes_text(&zh, &en, added, removed);
	data = json_pack("{s:O,s:O}", "added", added, "removed", removed);
	rc = hh_event(c, hid, "tags.update", zh.data, en.data, data);
	json_decref(data);
	buf_release(&zh);
	buf_release(&en);
	return rc;
}

/* Applies the tag list and writes its event and audit row if it changed.
 * *changed is set when it did. */
static int tags_change(struct ctx *c, int64_t hid, const struct hh_tag_set *want, int *changed)
{
	struct hh_tag_set before = { 0 };
	json_t *added = NULL, *removed = NULL, *b = NULL, *a = NULL;
	char idt[24];
	int rc = hh_tags_load(c, hid, &before);
	if (!rc)
		rc = hh_tags_apply(c, hid, want, &added, &removed);
	if (!rc && (json_array_size(added) || json_array_size(removed))) {
		*changed = 1;
		rc = tags_event(c, hid, added, removed);
		b = json_pack("{s:o}", "tags", hh_tag_names(&before));
		a = json_pack("{s:o}", "tags", hh_tag_names(want));
		hh_id_text(hid, idt);
		if (!rc)
			rc = audit_log(c, "household.tags", "household", idt, b, a);
	}
	json_decref(added);
	json_decref(removed);
	json_decref(a);
	json_decref(b);
	hh_tag_set_release(&before);
	return rc;
}

int household_tags_set(struct ctx *c, int64_t hid, const json_t *tags, json_t **out)
{
	struct hh_tag_set want = { 0 };
	char now[ZL_TIME_MAX];
	int changed = 0, rc;
	*out = NULL;
	rc = hh_check(c, hid);
	if (rc)
		return rc;
	if (!tags) {
		verr_required(c, "tags");
		return ZL_E_VALIDATION;
	}
	rc = hh_tags_resolve(c, tags, "tags", hid, &want);
	if (!rc)
		rc = tags_change(c, hid, &want, &changed);
	if (!rc && changed) {
		hh_now(now);
		rc = hh_touch(c, hid, now);
	}
	if (!rc)
		rc = hh_load_json(c, hid, 0, 0, out);
	hh_tag_set_release(&want);
	return rc;
}

/* Field names and Chinese labels of what a patch changes. */
struct change_list {
	json_t *fields;
	struct buf zh, en;
};

static void change_add(struct change_list *cl, const char *field, const char *zh)
{
	json_array_append_new(cl->fields, json_string(field));
	buf_addf(&cl->zh, "%s%s", cl->zh.len ? "、" : "", zh);
	buf_addf(&cl->en, "%s%s", cl->en.len ? ", " : "", field);
}

int household_update(struct ctx *c, int64_t id, const json_t *patch, json_t **out)
{
	struct hh_row r;
	struct hh_in hi;
	struct change_list cl = { json_array(), BUF_INIT, BUF_INIT };
	struct pii_val ph = { 0 };
	json_t *before = NULL, *after = NULL;
	char now[ZL_TIME_MAX], idt[24];
	int rc, moved = 0, phone_changed = 0, tags_changed = 0;
	const char *head, *addr, *notes;
	int has_coords;
	double lat, lng;

	*out = NULL;
	memset(&hi, 0, sizeof(hi));
	if (!json_is_object(patch)) {
		json_decref(cl.fields);
		return ZL_E_BAD_JSON;
	}
	rc = hh_row_load(c, id, &r);
	if (rc) {
		json_decref(cl.fields);
		return rc;
	}
	rc = hh_in_parse(c, patch, HH_PATCH, &hi);
	if (rc && rc != ZL_E_VALIDATION)
		goto out;
	if ((hi.present & H_CODE) && hi.code && strcmp(hi.code, r.code) != 0)
		hh_ferr(c, "code", "“%s”建档后不能修改", "'%s' cannot be changed once the household exists");
	if (hi.present & H_TAGS) {
		rc = hh_tags_resolve(c, json_object_get(patch, "tags"), "tags", id, &hi.tags);
		if (rc && rc != ZL_E_VALIDATION)
			goto out;
	}
	if (c->errs.n) {
		rc = ZL_E_VALIDATION;
		goto out;
	}
	head = (hi.present & H_HEAD) ? hi.head_name : r.head_name;
	addr = (hi.present & H_ADDRESS) ? hi.address : r.address;
	notes = (hi.present & H_NOTES) ? hi.notes : r.notes;
	has_coords = (hi.present & H_COORDS) ? hi.has_coords : r.has_coords;
	lat = (hi.present & H_COORDS) ? hi.lat : r.lat;
	lng = (hi.present & H_COORDS) ? hi.lng : r.lng;
	if ((hi.present & H_REGION) && strcmp(hi.region_code, r.region_code) != 0) {
		moved = 1;
		change_add(&cl, "region", "所在村组");
	} else {
		snprintf(hi.village_code, sizeof(hi.village_code), "%s", r.village_code);
		snprintf(hi.region_code, sizeof(hi.region_code), "%s", r.region_code);
	}
	if (str_differs(head, r.head_name))
		change_add(&cl, "head_name", "户主");
	if (hi.present & H_PHONE) {
		char h[PII_HASH_HEX];
		if (hi.phone[0])
			pii_hash(hi.phone, h);
		phone_changed = hi.phone[0] ? !r.phone_hash || strcmp(h, r.phone_hash) != 0 : r.phone_hash != NULL;
		if (phone_changed)
			change_add(&cl, "phone", "电话");
	}
	if (str_differs(addr, r.address))
		change_add(&cl, "address", "地址");
	if (has_coords != r.has_coords || (has_coords && (lat != r.lat || lng != r.lng)))
		change_add(&cl, "coordinates", "坐标");
	if (str_differs(notes, r.notes))
		change_add(&cl, "notes", "备注");

	hh_now(now);
	if (json_array_size(cl.fields)) {
		rc = hh_load_json(c, id, 0, 0, &before);
		if (rc)
			goto out;
		struct db_stmt *st = NULL;
		rc = db_prepare(c->db,
				"UPDATE household SET village_code = ?, region_code = ?, head_name = ?,"
				" address = ?, lat = ?, lng = ?, notes = ?, updated_at = ? WHERE id = ?",
				&st);
		if (rc)
			goto out;
		db_bindv(st, "tttt", hi.village_code, hi.region_code, head, addr);
		bind_coords(st, 5, has_coords, lat, lng);
		db_bind_text(st, 7, notes);
		db_bind_text(st, 8, now);
		db_bind_int(st, 9, id);
		rc = db_step(st);
		db_done(st);
		if (rc < 0)
			goto out;
		if (phone_changed) {
			rc = pii_val_phone(hi.phone, &ph);
			if (rc)
				goto out;
			rc = db_prepare(c->db, "UPDATE household SET phone_enc = ?, phone_hash = ?,"
					       " phone_mask = ? WHERE id = ?", &st);
			if (rc)
				goto out;
			bind_pii(st, 1, &ph);
			db_bind_int(st, 4, id);
			rc = db_step(st);
			db_done(st);
			if (rc < 0)
				goto out;
		}
		if (moved && (rc = move_event(c, &r, &hi)))
			goto out;
		if (json_array_size(cl.fields) > (size_t)moved) {
			char *zh = xasprintf("修改户信息：%s", cl.zh.data);
			char *en = xasprintf("household changed: %s", cl.en.data);
			json_t *data = json_pack("{s:O}", "fields", cl.fields);
			rc = hh_event(c, id, "household.update", zh, en, data);
			json_decref(data);
			free(zh);
			free(en);
			if (rc)
				goto out;
		}
		rc = hh_load_json(c, id, 0, 0, &after);
		hh_id_text(id, idt);
		if (!rc)
			rc = audit_log(c, "household.update", "household", idt, before, after);
		if (rc)
			goto out;
	}
	if (hi.present & H_TAGS) {
		rc = tags_change(c, id, &hi.tags, &tags_changed);
		if (!rc && tags_changed)
			rc = hh_touch(c, id, now);
		if (rc)
			goto out;
	}
	rc = hh_load_json(c, id, 0, 1, out);
out:
	json_decref(before);
	json_decref(after);
	json_decref(cl.fields);
	buf_release(&cl.zh);
	buf_release(&cl.en);
	free(ph.enc);
	hh_in_release(&hi);
	hh_row_release(&r);
	return rc;
}

/* ---- list, counts ---- */

/* A LIKE pattern with the wildcards of s escaped by '\'. */
static char *like_new(const char *s, int prefix_only)
{
	struct buf b = BUF_INIT;
	if (!prefix_only)
		buf_addch(&b, '%');
	for (; *s; s++) {
		if (*s == '%' || *s == '_' || *s == '\\')
			buf_addch(&b, '\\');
		buf_addch(&b, *s);
	}
	buf_addch(&b, '%');
	return buf_detach(&b, NULL);
}

/* Appends the filter conditions on household alias h. *empty is set when
 * nothing can match (an unknown region). Field errors for bad tags. */
static int filter_sql(struct ctx *c, const struct household_filter *f, struct buf *sql, struct binds *b,
		      int *empty)
{
	char today[11], hash[PII_HASH_HEX];
	int rc;
	*empty = 0;
	hh_today(today);
	if (f->region && *f->region) {
		char *path = NULL;
		rc = db_get_text(c->db, &path, "SELECT path FROM region WHERE code = ?", "t", f->region);
		if (rc < 0)
			return rc;
		if (rc == 0 || !path) {
			*empty = 1;
		} else {
			char *like = xasprintf("%s%%", path);
			buf_adds(sql, " AND EXISTS (SELECT 1 FROM region fr WHERE fr.code = h.region_code"
				      " AND +fr.path LIKE ?)");
			bind_t(b, like);
			free(like);
		}
		free(path);
	}
	if (f->group && *f->group) {
		buf_adds(sql, " AND h.region_code = ?");
		bind_t(b, f->group);
	}
	if (f->ntags) {
		struct hh_tag_set ts = { 0 };
		json_t *arr = json_array();
		for (size_t i = 0; i < f->ntags; i++) {
			int64_t v;
			if (parse_int64(f->tags[i], &v) == 0)
				json_array_append_new(arr, json_integer(v));
			else
				json_array_append_new(arr, json_string(f->tags[i]));
		}
		rc = hh_tags_resolve(c, arr, "tag", -1, &ts);
		json_decref(arr);
		if (rc) {
			hh_tag_set_release(&ts);
			return rc;
		}
		if (f->tag_any) {
			buf_adds(sql, " AND EXISTS (SELECT 1 FROM household_tag ft WHERE ft.household_id = h.id"
				      " AND ft.tag_id IN (");
			for (size_t i = 0; i < ts.n; i++) {
				buf_adds(sql, i ? ", ?" : "?");
				bind_i(b, ts.id[i]);
			}
			buf_adds(sql, "))");
		} else {
			for (size_t i = 0; i < ts.n; i++) {
				buf_adds(sql, " AND EXISTS (SELECT 1 FROM household_tag ft WHERE"
					      " ft.household_id = h.id AND ft.tag_id = ?)");
				bind_i(b, ts.id[i]);
			}
		}
		hh_tag_set_release(&ts);
	}
	if (f->cadre > 0) {
		buf_adds(sql, " AND EXISTS (SELECT 1 FROM household_assignment fa WHERE fa.household_id = h.id"
			      " AND fa.user_id = ? AND fa.start_date <= ? AND (fa.end_date IS NULL"
			      " OR fa.end_date > ?))");
		bind_i(b, f->cadre);
		bind_t(b, today);
		bind_t(b, today);
	}
	if (f->q && *f->q) {
		char *any = like_new(f->q, 0), *pre = like_new(f->q, 1);
		buf_adds(sql, " AND (h.head_name LIKE ? ESCAPE '\\' OR h.code LIKE ? ESCAPE '\\'"
			      " OR EXISTS (SELECT 1 FROM household_member fm WHERE fm.household_id = h.id"
			      " AND fm.removed_at IS NULL AND fm.name LIKE ? ESCAPE '\\'))");
		bind_t(b, any);
		bind_t(b, pre);
		bind_t(b, any);
		free(any);
		free(pre);
	}
	if ((f->id_number && *f->id_number) || (f->phone && *f->phone)) {
		if (!pii_key_loaded())
			return ZL_E_PII_KEY;
	}
	if (f->id_number && *f->id_number) {
		pii_hash(f->id_number, hash);
		buf_adds(sql, " AND EXISTS (SELECT 1 FROM household_member fi WHERE fi.household_id = h.id"
			      " AND fi.removed_at IS NULL AND fi.id_number_hash = ?)");
		bind_t(b, hash);
	}
	if (f->phone && *f->phone) {
		char norm[12];
		pii_hash(pii_mobile_check(f->phone, norm) == 0 ? norm : f->phone, hash);
		buf_adds(sql, " AND (h.phone_hash = ? OR EXISTS (SELECT 1 FROM household_member fp"
			      " WHERE fp.household_id = h.id AND fp.removed_at IS NULL AND fp.phone_hash = ?))");
		bind_t(b, hash);
		bind_t(b, hash);
	}
	if (f->has_open_appeal == 1)
		buf_adds(sql, " AND h.open_appeal_count > 0");
	else if (f->has_open_appeal == 0)
		buf_adds(sql, " AND h.open_appeal_count = 0");
	if (f->not_contacted_days >= 0) {
		char cutoff[ZL_TIME_MAX];
		time_format_utc(clock_now() - (int64_t)f->not_contacted_days * 86400 * USEC_PER_SEC, cutoff);
		buf_adds(sql, " AND (h.last_contact_at IS NULL OR h.last_contact_at < ?)");
		bind_t(b, cutoff);
	}
	return 0;
}

static int list_reveal_check(struct ctx *c, int reveal)
{
	return reveal && !perm_allows(c->actor.role, "household.reveal") ? ZL_E_FORBIDDEN : 0;
}

int household_list(struct ctx *c, const struct household_filter *f, const struct page *p, int reveal,
		   json_t **items, int64_t *next)
{
	struct buf where = BUF_INIT, sql = BUF_INIT;
	struct binds fb = { 0 }, b = { 0 };
	struct db_stmt *st = NULL;
	char today[11];
	int limit = p && p->limit > 0 ? p->limit : 50, n = 0, empty = 0, rc;
	int64_t last = 0;

	*items = NULL;
	*next = 0;
	rc = list_reveal_check(c, reveal);
	if (rc)
		return rc;
	if (limit > LIST_MAX)
		limit = LIST_MAX;
	rc = filter_sql(c, f, &where, &fb, &empty);
	if (rc)
		goto out;
	*items = json_array();
	if (empty)
		goto out;
	hh_today(today);
	bind_t(&b, today);
	bind_t(&b, today);
	bind_i(&b, p ? p->after : 0);
	binds_append(&b, &fb);
	bind_t(&b, c->actor.scope_like);
	bind_i(&b, (int64_t)limit + 1);
	buf_adds(&sql, HH_SELECT " WHERE h.retired_at IS NULL AND h.id > ?");
	buf_adds(&sql, where.data);
	scope_sql(&sql, "h.region_code");
	buf_adds(&sql, " ORDER BY h.id LIMIT ?");

	/* rows first, then their tags: the statement is done before nested queries */
	struct hh_row *rows = xcalloc((size_t)limit + 1, sizeof(*rows));
	rc = db_prepare(c->db, sql.data, &st);
	if (rc) {
		free(rows);
		goto out;
	}
	binds_apply(st, &b);
	while ((rc = db_step(st)) == 1) {
		if (n == limit) {
			*next = last;
			break;
		}
		hh_row_read(st, &rows[n]);
		last = rows[n].id;
		n++;
	}
	db_done(st);
	rc = rc < 0 ? rc : 0;
	for (int i = 0; i < n; i++) {
		struct hh_tag_set tags = { 0 };
		json_t *o = NULL;
		int revealed = 0;
		if (!rc)
			rc = hh_tags_load(c, rows[i].id, &tags);
		if (!rc)
			rc = hh_row_json(&rows[i], reveal, hh_tag_names(&tags), &o, &revealed);
		if (!rc && reveal)
			rc = reveal_audit(c, rows[i].id, revealed, 0, 0, 0);
		if (o)
			json_array_append_new(*items, o);
		hh_tag_set_release(&tags);
		hh_row_release(&rows[i]);
	}
	free(rows);
out:
	if (rc) {
		json_decref(*items);
		*items = NULL;
		*next = 0;
	}
	binds_release(&fb);
	binds_release(&b);
	buf_release(&where);
	buf_release(&sql);
	return rc;
}

/* Runs prefix + filters + scope + suffix, calling row() for each result. */
static int counts_query(struct ctx *c, const char *prefix, const char *where, const struct binds *fb,
			const char *suffix, void (*row)(struct db_stmt *, json_t *), json_t *acc)
{
	struct buf sql = BUF_INIT;
	struct binds b = { 0 };
	struct db_stmt *st = NULL;
	int rc;
	buf_adds(&sql, prefix);
	buf_adds(&sql, where);
	scope_sql(&sql, "h.region_code");
	buf_adds(&sql, suffix);
	binds_append(&b, fb);
	bind_t(&b, c->actor.scope_like);
	rc = db_prepare(c->db, sql.data, &st);
	if (!rc) {
		binds_apply(st, &b);
		while ((rc = db_step(st)) == 1)
			row(st, acc);
		db_done(st);
	}
	binds_release(&b);
	buf_release(&sql);
	return rc < 0 ? rc : 0;
}

static void count_total_row(struct db_stmt *st, json_t *acc)
{
	json_object_set_new(acc, "total", json_integer(db_col_int(st, 0)));
}

static void count_tag_row(struct db_stmt *st, json_t *acc)
{
	char key[24];
	hh_id_text(db_col_int(st, 0), key);
	json_object_set_new(acc, key, json_integer(db_col_int(st, 1)));
}

static void count_village_row(struct db_stmt *st, json_t *acc)
{
	json_array_append_new(acc, json_pack("{s:s,s:s,s:I}", "code", db_col_text(st, 0), "name",
					     db_col_text(st, 1) ? db_col_text(st, 1) : "", "count",
					     (json_int_t)db_col_int(st, 2)));
}

int household_counts(struct ctx *c, const struct household_filter *f, json_t **out)
{
	struct buf where = BUF_INIT;
	struct binds fb = { 0 };
	json_t *o = json_object(), *bytag = json_object(), *villages = json_array(), *tags = NULL;
	int empty = 0, rc;

	*out = NULL;
	json_object_set_new(o, "total", json_integer(0));
	rc = filter_sql(c, f, &where, &fb, &empty);
	if (!rc && !empty)
		rc = counts_query(c, "SELECT COUNT(*) FROM household h WHERE h.retired_at IS NULL", where.data,
				  &fb, "", count_total_row, o);
	if (!rc && !empty)
		rc = counts_query(c, "SELECT ht.tag_id, COUNT(*) FROM household_tag ht JOIN household h"
				     " ON h.id = ht.household_id WHERE h.retired_at IS NULL",
				  where.data, &fb, " GROUP BY ht.tag_id", count_tag_row, bytag);
	if (!rc && !empty)
		rc = counts_query(c, "SELECT h.village_code, v.name, COUNT(*) FROM household h JOIN region v"
				     " ON v.code = h.village_code WHERE h.retired_at IS NULL",
				  where.data, &fb, " GROUP BY h.village_code, v.name ORDER BY h.village_code",
				  count_village_row, villages);
	if (!rc)
		rc = tag_list(c, 1, &tags);
	if (!rc) {
		json_t *arr = json_array(), *t;
		size_t i;
		json_array_foreach(json_object_get(tags, "items"), i, t) {
			char key[24];
			json_t *n;
			hh_id_text(json_integer_value(json_object_get(t, "id")), key);
			n = json_object_get(bytag, key);
			/* a retired tag appears only while households still carry it */
			if (json_is_true(json_object_get(t, "retired")) && !n)
				continue;
			json_array_append_new(arr, json_pack("{s:O,s:O,s:O,s:I}", "id", json_object_get(t, "id"),
							     "name", json_object_get(t, "name"), "name_en",
							     json_object_get(t, "name_en"), "count",
							     (json_int_t)(n ? json_integer_value(n) : 0)));
		}
		json_object_set_new(o, "by_tag", arr);
		json_object_set(o, "by_village", villages);
		*out = o;
		o = NULL;
	}
	json_decref(o);
	json_decref(bytag);
	json_decref(villages);
	json_decref(tags);
	binds_release(&fb);
	buf_release(&where);
	return rc;
}
