/*
 * appeals.c: the appeal service: submission on a resident's behalf with
 * routing and the accept deadline, reading and listing in scope, and the
 * actions of the workflow table with their effects on deadlines (pause,
 * extension), the household's open-appeal count, events and audit rows.
 */
#include <sodium.h>

#include "appeals.h"
#include "appeals_int.h"

#include "households/households.h"
#include "households/pii.h"
#include "org/org.h"
#include "platform/audit.h"
#include "platform/clock.h"
#include "platform/notify.h"

static const char *const urgencies[] = { "emergency", "urgent", "general", "complex" };
static const char *const cadre_channels[] = { "cadre", "phone", "contact" };
/* Channels where the resident files without an account: only callers with no
 * signed-in user (the public portal, Open311) may name them. */
static const char *const resident_channels[] = { "portal", "open311" };

/* ---- small helpers ---- */

int64_t appeal_time_col(struct db_stmt *st, int col)
{
	int64_t us = 0;
	const char *s = db_col_text(st, col);
	return s && !time_parse(s, &us) ? us : 0;
}

enum appeal_tie appeal_tie_of(int own, int64_t assignee, int64_t department)
{
	if (own)
		return APPEAL_TIE_OWN;
	return assignee || department ? APPEAL_TIE_NONE : APPEAL_TIE_UNROUTED;
}

void appeal_id_text(int64_t id, char out[24])
{
	snprintf(out, 24, "%" PRId64, id);
}

/* 10 characters of a 31-letter alphabet without 0/O/1/I/L: 49 bits, read
 * aloud in groups "7KQM-X2HD-9P". */
static void receipt_code(char out[16])
{
	static const char alphabet[] = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
	int k = 0;
	for (int i = 0; i < 10; i++) {
		if (i == 4 || i == 8)
			out[k++] = '-';
		out[k++] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
	}
	out[k] = '\0';
}

int appeal_load(struct ctx *c, int64_t id, struct appeal_row *a)
{
	struct buf sql = BUF_INIT;
	struct db_stmt *st = NULL;
	int rc;
	memset(a, 0, sizeof(*a));
	buf_adds(&sql, "SELECT a.id, a.state, a.village_code, COALESCE(a.household_id, 0), a.category_id, "
		       "a.urgency, COALESCE(a.assignee_user_id, 0), COALESCE(a.department_id, 0), "
		       "a.accept_amount, a.accept_unit, a.resolve_amount, a.resolve_unit, a.accept_due_at, "
		       "a.due_at, a.paused_since, a.paused_total_sec, a.extension_sec, "
		       "COALESCE(a.extension_requested_days, 0), COALESCE(a.merged_into_id, 0), a.overdue_at, "
		       "a.warned_at, a.escalated_at, a.escalation_level, " APPEAL_OWN_COL " "
		       "FROM appeal a WHERE a.id = ?");
	scope_sql(&sql, "a.village_code");
	rc = db_prepare(c->db, sql.data, &st);
	buf_release(&sql);
	if (rc)
		return rc;
	db_bindv(st, "iiit", c->actor.user_id, c->actor.user_id, id, c->actor.scope_like);
	rc = db_step(st);
	if (rc == 1) {
		a->id = db_col_int(st, 0);
		a->state = appeal_state_parse(db_col_text(st, 1));
		org_col_copy(st, 2, a->village_code, sizeof(a->village_code));
		a->household_id = db_col_int(st, 3);
		a->category_id = db_col_int(st, 4);
		org_col_copy(st, 5, a->urgency, sizeof(a->urgency));
		a->assignee = db_col_int(st, 6);
		a->department = db_col_int(st, 7);
		a->lim.accept_amount = db_col_int(st, 8);
		a->lim.accept_unit = sla_unit_parse(db_col_text(st, 9));
		a->lim.resolve_amount = db_col_int(st, 10);
		a->lim.resolve_unit = sla_unit_parse(db_col_text(st, 11));
		a->accept_due = appeal_time_col(st, 12);
		a->due = appeal_time_col(st, 13);
		a->paused_since = appeal_time_col(st, 14);
		a->paused_total_sec = db_col_int(st, 15);
		a->extension_sec = db_col_int(st, 16);
		a->ext_requested_days = db_col_int(st, 17);
		a->merged_into = db_col_int(st, 18);
		a->overdue = !db_col_isnull(st, 19);
		a->warned = !db_col_isnull(st, 20);
		a->escalated = !db_col_isnull(st, 21);
		a->escalation_level = db_col_int(st, 22);
		a->tie = appeal_tie_of((int)db_col_int(st, 23), a->assignee, a->department);
	}
	db_done(st);
	if (rc < 0)
		return rc;
	return rc == 1 ? 0 : ZL_E_NOT_FOUND;
}

int appeal_event_add(struct ctx *c, int64_t id, const char *action, const char *from, const char *to,
		     json_t *payload)
{
	char now[ZL_TIME_MAX], *pj = payload ? json_dumps(payload, JSON_COMPACT) : NULL;
	int rc;
	time_format_utc(clock_now(), now);
	rc = db_run(c->db, "INSERT INTO appeal_event(appeal_id, at, user_id, action, from_state, to_state, "
			   "payload_json) VALUES (?, ?, NULLIF(?, 0), ?, ?, ?, ?)",
		    "itittt" "t", id, now, c->actor.user_id, action, from, to, pj);
	free(pj);
	json_decref(payload);
	return rc;
}

int appeal_open_count_adjust(struct ctx *c, int64_t household_id, int delta)
{
	if (!household_id || !delta)
		return 0;
	return db_run(c->db, "UPDATE household SET open_appeal_count = MAX(0, open_appeal_count + ?) WHERE id = ?",
		      "ii", (int64_t)delta, household_id);
}

int appeal_notify(struct ctx *c, int64_t user_id, const char *kind, int64_t id, const char *zh_fmt,
		  const char *en_fmt)
{
	char zh[160], en[160], ids[24];
	if (!user_id)
		return 0;
	snprintf(zh, sizeof(zh), zh_fmt, id);
	snprintf(en, sizeof(en), en_fmt, id);
	appeal_id_text(id, ids);
	return notify_user(c, user_id, kind, zh, en, "appeal", ids);
}

int64_t appeal_escalation_target(struct db *db, const char *village_code)
{
	int64_t uid = 0;
	if (db_get_int(db, &uid, "SELECT t.leader_user_id FROM village_team t JOIN app_user u ON u.id = t.leader_user_id "
				 "WHERE t.village_code = ? AND t.kind = 'station' AND u.disabled_at IS NULL",
		       "t", village_code) == 1 && uid > 0)
		return uid;
	uid = 0;
	if (db_get_int(db, &uid, "SELECT u.id FROM app_user u JOIN region r ON r.code = u.scope_code "
				 "WHERE u.role = 'leader' AND u.disabled_at IS NULL AND "
				 "(SELECT path FROM region WHERE code = ?) LIKE r.path || '%' "
				 "ORDER BY length(r.path) DESC, u.id LIMIT 1", "t", village_code) != 1)
		return 0;
	return uid;
}

/* ---- JSON ---- */

#define APPEAL_COLS \
	"a.id, a.receipt_code, a.channel, a.village_code, rg.name, a.household_id, a.contact_issue_id, " \
	"a.category_id, cat.name, cat.name_en, a.urgency, a.title, a.description, a.submitter_name_mask, " \
	"a.submitter_phone_mask, a.anonymous, a.state, a.assignee_user_id, u.display_name, a.department_id, " \
	"d.name, a.accept_due_at, a.accepted_at, a.due_at, a.paused_since, a.paused_total_sec, a.extension_sec, " \
	"a.extension_requested_days, a.overdue_at, a.warned_at, a.escalated_at, a.escalation_level, " \
	"a.escalated_to_user_id, a.merged_into_id, a.resolution, a.resolved_at, a.feedback, a.feedback_comment, " \
	"a.public_consent, a.created_at, a.updated_at, a.accept_unit, a.accept_amount, a.resolve_unit, " \
	"a.resolve_amount, " APPEAL_OWN_COL " "
#define APPEAL_FROM \
	"FROM appeal a JOIN region rg ON rg.code = a.village_code " \
	"JOIN appeal_category cat ON cat.id = a.category_id " \
	"LEFT JOIN app_user u ON u.id = a.assignee_user_id LEFT JOIN department d ON d.id = a.department_id "

static json_t *int_or_null(struct db_stmt *st, int col)
{
	return db_col_isnull(st, col) ? json_null() : json_integer(db_col_int(st, col));
}

static json_t *row_json(struct ctx *c, struct db_stmt *st)
{
	int anonymous = (int)db_col_int(st, 15);
	enum appeal_state s = appeal_state_parse(db_col_text(st, 16));
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(db_col_int(st, 0)));
	json_object_set_new(o, "receipt_code", json_string(db_col_text(st, 1)));
	json_object_set_new(o, "channel", json_string(db_col_text(st, 2)));
	json_object_set_new(o, "village", json_pack("{s:s,s:s}", "code", db_col_text(st, 3), "name", db_col_text(st, 4)));
	json_object_set_new(o, "household_id", int_or_null(st, 5));
	json_object_set_new(o, "contact_issue_id", int_or_null(st, 6));
	json_object_set_new(o, "category", json_pack("{s:I,s:s,s:s?}", "id", (json_int_t)db_col_int(st, 7),
						     "name", db_col_text(st, 8), "name_en", db_col_text(st, 9)));
	json_object_set_new(o, "urgency", json_string(db_col_text(st, 10)));
	json_object_set_new(o, "title", json_string(db_col_text(st, 11)));
	json_object_set_new(o, "description", json_string(db_col_text(st, 12)));
	json_object_set_new(o, "anonymous", json_boolean(anonymous));
	json_object_set_new(o, "submitter", json_pack("{s:s?,s:s?}", "name", anonymous ? NULL : db_col_text(st, 13),
						      "phone", db_col_text(st, 14)));
	json_object_set_new(o, "state", json_string(db_col_text(st, 16)));
	json_object_set_new(o, "assignee", db_col_isnull(st, 17) ? json_null() :
			    json_pack("{s:I,s:s}", "id", (json_int_t)db_col_int(st, 17), "display_name", db_col_text(st, 18)));
	json_object_set_new(o, "department", db_col_isnull(st, 19) ? json_null() :
			    json_pack("{s:I,s:s}", "id", (json_int_t)db_col_int(st, 19), "name", db_col_text(st, 20)));
	json_object_set_new(o, "limits", json_pack("{s:{s:I,s:s},s:{s:I,s:s}}",
		"accept", "amount", (json_int_t)db_col_int(st, 42), "unit", db_col_text(st, 41),
		"resolve", "amount", (json_int_t)db_col_int(st, 44), "unit", db_col_text(st, 43)));
	json_object_set_new(o, "accept_due_at", org_time_json(db_col_text(st, 21)));
	json_object_set_new(o, "accepted_at", org_time_json(db_col_text(st, 22)));
	json_object_set_new(o, "due_at", org_time_json(db_col_text(st, 23)));
	json_object_set_new(o, "paused", json_boolean(!db_col_isnull(st, 24)));
	json_object_set_new(o, "paused_since", org_time_json(db_col_text(st, 24)));
	json_object_set_new(o, "paused_total_sec", json_integer(db_col_int(st, 25)));
	json_object_set_new(o, "extension_sec", json_integer(db_col_int(st, 26)));
	json_object_set_new(o, "extension_requested_days", int_or_null(st, 27));
	json_object_set_new(o, "overdue", json_boolean(!db_col_isnull(st, 28)));
	json_object_set_new(o, "overdue_at", org_time_json(db_col_text(st, 28)));
	json_object_set_new(o, "warned_at", org_time_json(db_col_text(st, 29)));
	json_object_set_new(o, "escalated", json_boolean(db_col_int(st, 31) > 0));
	json_object_set_new(o, "escalated_at", org_time_json(db_col_text(st, 30)));
	json_object_set_new(o, "escalation_level", json_integer(db_col_int(st, 31)));
	json_object_set_new(o, "escalated_to", db_col_isnull(st, 32) ? json_null() : org_user_brief(c, db_col_int(st, 32)));
	json_object_set_new(o, "merged_into_id", int_or_null(st, 33));
	json_object_set_new(o, "resolution", db_col_text(st, 34) ? json_string(db_col_text(st, 34)) : json_null());
	json_object_set_new(o, "resolved_at", org_time_json(db_col_text(st, 35)));
	json_object_set_new(o, "feedback", db_col_text(st, 36) ? json_string(db_col_text(st, 36)) : json_null());
	json_object_set_new(o, "feedback_comment", db_col_text(st, 37) ? json_string(db_col_text(st, 37)) : json_null());
	json_object_set_new(o, "public_consent", json_boolean(db_col_int(st, 38)));
	json_object_set_new(o, "created_at", org_time_json(db_col_text(st, 39)));
	json_object_set_new(o, "updated_at", org_time_json(db_col_text(st, 40)));
	json_object_set_new(o, "allowed_actions",
			    appeal_allowed_actions(s, c->actor.role,
						   appeal_tie_of((int)db_col_int(st, 45), db_col_int(st, 17), db_col_int(st, 19)),
						   !db_col_isnull(st, 27) && db_col_int(st, 27) > 0));
	return o;
}

int appeal_get(struct ctx *c, int64_t id, json_t **out)
{
	struct buf sql = BUF_INIT;
	struct db_stmt *st = NULL;
	int rc;
	buf_adds(&sql, "SELECT " APPEAL_COLS APPEAL_FROM "WHERE a.id = ?");
	scope_sql(&sql, "a.village_code");
	rc = db_prepare(c->db, sql.data, &st);
	buf_release(&sql);
	if (rc)
		return rc;
	db_bindv(st, "iiit", c->actor.user_id, c->actor.user_id, id, c->actor.scope_like);
	rc = db_step(st);
	if (rc == 1)
		*out = row_json(c, st);
	db_done(st);
	if (rc < 0)
		return rc;
	if (rc != 1)
		return ZL_E_NOT_FOUND;
	{
		json_t *photos = NULL;
		char *prefix = xasprintf("/api/v1/appeals/%" PRId64 "/photos/", id);
		rc = appeal_photos_json(c, id, prefix, &photos);
		free(prefix);
		if (rc) {
			json_decref(*out);
			*out = NULL;
			return rc;
		}
		json_object_set_new(*out, "photos", photos);
	}
	return 0;
}

/* ---- list ---- */

struct bind {
	char t; /* 'i' or 't' */
	int64_t i;
	const char *s;
};

int appeal_list(struct ctx *c, const struct appeal_filter *f, const struct page *p, json_t **items,
		int64_t *next)
{
	struct buf sql = BUF_INIT;
	struct db_stmt *st = NULL;
	struct bind b[18];
	size_t nb = 0;
	int64_t last = 0, due_us;
	char due[ZL_TIME_MAX];
	int rc, n = 0;

	if (f->state && appeal_state_parse(f->state) < 0) {
		verr_add(&c->errs, "state", "状态不存在", "'state' is not an appeal state");
		return ZL_E_VALIDATION;
	}
	if (f->due_before && time_parse(f->due_before, &due_us)) {
		verr_add(&c->errs, "due_before", "时间格式应为 RFC 3339", "'due_before' must be an rfc 3339 time");
		return ZL_E_VALIDATION;
	}
	buf_adds(&sql, "SELECT " APPEAL_COLS APPEAL_FROM "WHERE 1 = 1");
	b[nb++] = (struct bind){ 'i', c->actor.user_id, NULL }; /* APPEAL_OWN_COL */
	b[nb++] = (struct bind){ 'i', c->actor.user_id, NULL };
	scope_sql(&sql, "a.village_code");
	b[nb++] = (struct bind){ 't', 0, c->actor.scope_like };
	if (p->after) {
		buf_adds(&sql, " AND a.id < ?");
		b[nb++] = (struct bind){ 'i', p->after, NULL };
	}
	if (f->region) {
		buf_adds(&sql, " AND rg.path LIKE (SELECT path FROM region WHERE code = ?) || '%'");
		b[nb++] = (struct bind){ 't', 0, f->region };
	}
	if (f->state) {
		buf_adds(&sql, " AND a.state = ?");
		b[nb++] = (struct bind){ 't', 0, f->state };
	}
	if (f->category_id) {
		buf_adds(&sql, " AND (a.category_id = ? OR cat.parent_id = ?)");
		b[nb++] = (struct bind){ 'i', f->category_id, NULL };
		b[nb++] = (struct bind){ 'i', f->category_id, NULL };
	}
	if (f->assignee_id || f->mine) {
		buf_adds(&sql, " AND a.assignee_user_id = ?");
		b[nb++] = (struct bind){ 'i', f->mine ? c->actor.user_id : f->assignee_id, NULL };
	}
	if (f->department_id) {
		buf_adds(&sql, " AND a.department_id = ?");
		b[nb++] = (struct bind){ 'i', f->department_id, NULL };
	}
	if (f->overdue)
		buf_adds(&sql, " AND a.overdue_at IS NOT NULL");
	if (f->escalated)
		buf_adds(&sql, " AND a.escalation_level > 0");
	if (f->due_before) {
		time_format_utc(due_us, due);
		buf_adds(&sql, " AND a.due_at < ?");
		b[nb++] = (struct bind){ 't', 0, due };
	}
	buf_adds(&sql, " ORDER BY a.id DESC LIMIT ?");
	b[nb++] = (struct bind){ 'i', p->limit + 1, NULL };
	rc = db_prepare(c->db, sql.data, &st);
	buf_release(&sql);
	if (rc)
		return rc;
	for (size_t i = 0; i < nb; i++) {
		if (b[i].t == 'i')
			db_bind_int(st, (int)i + 1, b[i].i);
		else
			db_bind_text(st, (int)i + 1, b[i].s);
	}
	*items = json_array();
	*next = 0;
	while ((rc = db_step(st)) == 1) {
		if (n == p->limit) {
			*next = last;
			break;
		}
		last = db_col_int(st, 0);
		json_array_append_new(*items, row_json(c, st));
		n++;
	}
	db_done(st);
	if (rc < 0) {
		json_decref(*items);
		*items = NULL;
		return rc;
	}
	return 0;
}

int appeal_events(struct ctx *c, int64_t id, json_t **items)
{
	struct appeal_row a;
	struct db_stmt *st = NULL;
	int rc = appeal_load(c, id, &a);
	if (rc)
		return rc;
	/* a survivor's history includes the appeals merged into it */
	rc = db_prepare(c->db, "SELECT e.id, e.appeal_id, e.at, e.user_id, e.action, e.from_state, e.to_state, "
			       "e.payload_json FROM appeal_event e WHERE e.appeal_id = ? OR e.appeal_id IN "
			       "(SELECT id FROM appeal WHERE merged_into_id = ?) ORDER BY e.id", &st);
	if (rc)
		return rc;
	db_bindv(st, "ii", id, id);
	*items = json_array();
	while ((rc = db_step(st)) == 1) {
		const char *pj = db_col_text(st, 7);
		json_t *payload = pj ? json_loads(pj, 0, NULL) : NULL;
		json_array_append_new(*items, json_pack("{s:I,s:I,s:o,s:o,s:s,s:s?,s:s?,s:o}",
			"id", (json_int_t)db_col_int(st, 0), "appeal_id", (json_int_t)db_col_int(st, 1),
			"at", org_time_json(db_col_text(st, 2)),
			"user", db_col_isnull(st, 3) ? json_null() : org_user_brief(c, db_col_int(st, 3)),
			"action", db_col_text(st, 4), "from_state", db_col_text(st, 5), "to_state", db_col_text(st, 6),
			"payload", payload ? payload : json_object()));
	}
	db_done(st);
	if (rc < 0) {
		json_decref(*items);
		*items = NULL;
		return rc;
	}
	return 0;
}

/* ---- create ---- */

/* Encrypts an optional personal value into the appeal's columns. */
static int secret_store(struct ctx *c, int64_t id, const char *name, const char *phone)
{
	unsigned char *blob = NULL;
	size_t len = 0;
	char mask[PII_MASK_MAX], hash[PII_HASH_HEX];
	int rc = 0;
	if (name) {
		long n = utf8_len(name);
		const char *p = name;
		size_t first = 1;
		while (p[first] && ((unsigned char)p[first] & 0xc0) == 0x80)
			first++;
		snprintf(mask, sizeof(mask), "%.*s%s", (int)first, name, n > 2 ? "**" : "*");
		pii_hash(name, hash);
		if (!(rc = pii_encrypt(name, &blob, &len)))
			rc = db_run(c->db, "UPDATE appeal SET submitter_name_enc = ?, submitter_name_hash = ?, "
					   "submitter_name_mask = ? WHERE id = ?", "btti", blob, len, hash, mask, id);
		free(blob);
		blob = NULL;
		if (rc)
			return rc;
	}
	if (phone) {
		pii_mask_phone(phone, mask, sizeof(mask));
		pii_hash(phone, hash);
		if (!(rc = pii_encrypt(phone, &blob, &len)))
			rc = db_run(c->db, "UPDATE appeal SET submitter_phone_enc = ?, submitter_phone_hash = ?, "
					   "submitter_phone_mask = ? WHERE id = ?", "btti", blob, len, hash, mask, id);
		free(blob);
	}
	return rc;
}

/* Reads and checks the submission; fills the ids. 0 or ZL_E_VALIDATION. */
struct submission {
	const char *village, *title, *description, *channel, *urgency, *name, *phone;
	int64_t category, household, contact_issue;
	int anonymous, consent;
	char mobile[12];
};

static int flag_field(struct ctx *c, const json_t *in, const char *field, int *v)
{
	json_t *j = json_object_get(in, field);
	char zh[120], en[120];
	*v = 0;
	if (!j || json_is_null(j))
		return 0;
	if (json_is_boolean(j)) {
		*v = json_is_true(j);
		return 0;
	}
	snprintf(zh, sizeof(zh), "“%s”应为 true 或 false", field);
	snprintf(en, sizeof(en), "'%s' must be true or false", field);
	verr_add(&c->errs, field, zh, en);
	return -1;
}

static int submission_read(struct ctx *c, const json_t *in, struct submission *s)
{
	int64_t v = 0;
	int rc;
	memset(s, 0, sizeof(*s));
	if ((rc = json_opt_string(c, in, "village_code", &s->village)) ||
	    (rc = json_opt_string(c, in, "title", &s->title)) ||
	    (rc = json_opt_string(c, in, "description", &s->description)) ||
	    (rc = json_opt_string(c, in, "channel", &s->channel)) ||
	    (rc = json_opt_string(c, in, "urgency", &s->urgency)) ||
	    (rc = json_opt_string(c, in, "submitter_name", &s->name)) ||
	    (rc = json_opt_string(c, in, "submitter_phone", &s->phone)))
		return rc;
	if (!s->village)
		verr_required(c, "village_code");
	else if (scope_contains(c, s->village) != 1 ||
		 db_get_int(c->db, &v, "SELECT 1 FROM region WHERE code = ? AND level = 'village' AND retired_at IS NULL",
			    "t", s->village) != 1)
		verr_add(&c->errs, "village_code", "村代码不存在或不在您的管辖范围内",
			 "'village_code' is not a village in your scope");
	org_text_check(c, "title", s->title, 100);
	org_text_check(c, "description", s->description, 4000);
	if (!s->channel)
		s->channel = "cadre";
	else if (!org_one_of(s->channel, cadre_channels, ARRAY_SIZE(cadre_channels)) &&
		 !(c->actor.user_id == 0 &&
		   org_one_of(s->channel, resident_channels, ARRAY_SIZE(resident_channels))))
		verr_add(&c->errs, "channel", "渠道应为 cadre、phone 或 contact", "'channel' must be cadre, phone or contact");
	if (!s->urgency)
		s->urgency = "general";
	else if (!org_one_of(s->urgency, urgencies, ARRAY_SIZE(urgencies)))
		verr_add(&c->errs, "urgency", "紧急程度应为 emergency、urgent、general 或 complex",
			 "'urgency' must be emergency, urgent, general or complex");
	if (org_opt_id(c, in, "category_id", &s->category) == 0)
		verr_required(c, "category_id");
	org_opt_id(c, in, "household_id", &s->household);
	org_opt_id(c, in, "contact_issue_id", &s->contact_issue);
	flag_field(c, in, "anonymous", &s->anonymous);
	flag_field(c, in, "public_consent", &s->consent);
	if (s->name)
		org_text_check(c, "submitter_name", s->name, 32);
	if (s->phone && pii_mobile_check(s->phone, s->mobile))
		verr_add(&c->errs, "submitter_phone", "手机号应为 11 位，以 1 开头", "'submitter_phone' must be an 11-digit mobile number");
	if (c->errs.n)
		return ZL_E_VALIDATION;
	rc = db_get_int(c->db, &v, "SELECT retired_at IS NOT NULL FROM appeal_category WHERE id = ?", "i", s->category);
	if (rc != 1) {
		verr_add(&c->errs, "category_id", "诉求分类不存在", "'category_id' is not an appeal category");
		return ZL_E_VALIDATION;
	}
	if (v)
		return ZL_E_CATEGORY_RETIRED;
	if (s->household) {
		char *hv = NULL;
		if (household_check(c, s->household) ||
		    db_get_text(c->db, &hv, "SELECT village_code FROM household WHERE id = ?", "i", s->household) != 1 ||
		    !hv || strcmp(hv, s->village))
			verr_add(&c->errs, "household_id", "农户不存在或不属于该村", "'household_id' is not a household of that village");
		free(hv);
		if (c->errs.n)
			return ZL_E_VALIDATION;
	}
	return 0;
}

int appeal_create(struct ctx *c, const json_t *in, json_t **out)
{
	struct submission s;
	struct appeal_limits lim;
	struct sla_calendar cal;
	char now[ZL_TIME_MAX], accept_due[ZL_TIME_MAX], code[16], ids[24];
	int64_t now_us = clock_now(), due_us, dept = 0, assignee = 0, id = 0;
	json_t *after;
	int rc;

	if ((rc = submission_read(c, in, &s)))
		return rc;
	if ((s.name || s.phone) && !pii_key_loaded())
		return ZL_E_PII_KEY;
	if ((rc = category_limits(c->db, s.category, s.urgency, &lim)))
		return rc;
	db_get_int(c->db, &dept, "SELECT COALESCE(default_department_id, 0) FROM appeal_category WHERE id = ?", "i",
		   s.category);
	if (s.household) {
		json_t *resp = NULL;
		if (assignment_responsible(c, s.household, NULL, &resp) == 0) {
			json_t *u = json_object_get(resp, "user_id");
			assignee = json_is_integer(u) ? json_integer_value(u) : 0;
		}
		json_decref(resp);
	}
	if ((rc = appeal_calendar_load(c->db, &cal)))
		return rc;
	rc = sla_add(&cal, now_us, lim.accept_amount, lim.accept_unit, &due_us);
	appeal_calendar_release(&cal);
	if (rc)
		return rc;
	time_format_utc(now_us, now);
	time_format_utc(due_us, accept_due);
	for (int tries = 0; tries < 5; tries++) {
		receipt_code(code);
		rc = db_run(c->db,
			"INSERT INTO appeal(receipt_code, channel, village_code, household_id, contact_issue_id, category_id, "
			"urgency, title, description, anonymous, public_consent, state, assignee_user_id, department_id, "
			"accept_amount, accept_unit, resolve_amount, resolve_unit, accept_due_at, created_by, created_at, "
			"updated_at) VALUES (?, ?, ?, NULLIF(?, 0), NULLIF(?, 0), ?, ?, ?, ?, ?, ?, 'submitted', NULLIF(?, 0), "
			"NULLIF(?, 0), ?, ?, ?, ?, ?, NULLIF(?, 0), ?, ?)",
			"tttiiitttiiiiititti" "tt", code, s.channel, s.village, s.household, s.contact_issue, s.category,
			s.urgency, s.title, s.description, (int64_t)s.anonymous, (int64_t)s.consent, assignee, dept,
			lim.accept_amount, sla_unit_name(lim.accept_unit), lim.resolve_amount,
			sla_unit_name(lim.resolve_unit), accept_due, c->actor.user_id, now, now);
		if (rc != ZL_E_CONFLICT)
			break;
	}
	if (rc)
		return rc;
	id = db_last_id(c->db);
	if ((rc = secret_store(c, id, s.name, s.phone ? s.mobile : NULL)))
		return rc;
	if ((rc = appeal_open_count_adjust(c, s.household, 1)))
		return rc;
	if ((rc = appeal_get(c, id, &after)))
		return rc;
	rc = appeal_event_add(c, id, "submit", NULL, "submitted",
			      json_pack("{s:s,s:s}", "channel", s.channel, "receipt_code", code));
	appeal_id_text(id, ids);
	if (!rc)
		rc = audit_log(c, "appeal.create", "appeal", ids, NULL, after);
	if (!rc && assignee && assignee != c->actor.user_id)
		rc = appeal_notify(c, assignee, "appeal.new", id, "新诉求 #%" PRId64 " 来自您联系的农户",
				   "new appeal #%" PRId64 " from a household you look after");
	if (rc) {
		json_decref(after);
		return rc;
	}
	*out = after;
	return 0;
}
