/*
 * portal.c: the resident portal's API (no account): choosers, submission,
 * tracking by receipt code, the resident's feedback, the public board with
 * the village's monthly figures, per-address rate limits, the SMS that asks
 * the resident "is it fixed?" (at resolution and after 7 silent days), and
 * the 7-day follow-up tick. Everything goes through the appeal service
 * (appeals.h).
 */
#include <pthread.h>
#include <sodium.h>

#include "portal.h"
#include "appeals_int.h"

#include "households/cards.h"
#include "households/pii.h"
#include "org/org.h"
#include "platform/audit.h"
#include "platform/files.h"
#include "platform/clock.h"
#include "platform/outbound.h"

/* ---- rate limits: a fixed window per {kind, address} ---- */

#define RL_SLOTS 1024
#define RL_PROBE 8

struct rl_slot {
	char key[80];
	int64_t start; /* the window's start (clock_now), 0 = free */
	int count;
};

static pthread_mutex_t rl_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rl_slot rl_slots[RL_SLOTS];

int portal_rate_check(const char *kind, const char *addr, int max, int64_t window_sec, int64_t *retry_sec)
{
	char key[sizeof(rl_slots[0].key)];
	uint32_t h = 2166136261u; /* FNV-1a */
	int64_t now, window = window_sec * USEC_PER_SEC;
	struct rl_slot *slot = NULL, *spare = NULL;
	int rc = 0, spare_live = 0;

	snprintf(key, sizeof(key), "%s|%s", kind, addr ? addr : "");
	for (const char *p = key; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	pthread_mutex_lock(&rl_lock);
	now = clock_now();
	for (int i = 0; i < RL_PROBE; i++) {
		struct rl_slot *s = &rl_slots[(h + (uint32_t)i) % RL_SLOTS];
		int live = s->start && now >= s->start && now < s->start + window;
		if (s->start && !strcmp(s->key, key)) {
			slot = s;
			break;
		}
		/* a free or finished slot first, else the oldest window */
		if (!live && (!spare || spare_live)) {
			spare = s;
			spare_live = 0;
		} else if (live && (!spare || (spare_live && s->start < spare->start))) {
			spare = s;
			spare_live = 1;
		}
	}
	if (slot && !(now >= slot->start && now < slot->start + window))
		slot->start = 0; /* the window is over (or the test clock went back) */
	if (!slot || !slot->start) {
		slot = slot ? slot : spare;
		snprintf(slot->key, sizeof(slot->key), "%s", key);
		slot->start = now;
		slot->count = 0;
	}
	if (slot->count >= max) {
		rc = ZL_E_PORTAL_RATE;
		if (retry_sec)
			*retry_sec = (slot->start + window - now + USEC_PER_SEC - 1) / USEC_PER_SEC;
	} else {
		slot->count++;
	}
	pthread_mutex_unlock(&rl_lock);
	return rc;
}

void portal_rate_reset(void)
{
	pthread_mutex_lock(&rl_lock);
	memset(rl_slots, 0, sizeof(rl_slots));
	pthread_mutex_unlock(&rl_lock);
}

/* The 429 with a Retry-After and a detail saying how long to wait. */
static int rate_limit(struct req *r, struct resp *w, const char *kind, int max, int64_t window_sec)
{
	int64_t retry = 0;
	char zh[160], en[160], secs[24];
	int rc = portal_rate_check(kind, r->ctx.addr, max, window_sec, &retry);
	if (!rc)
		return 0;
	snprintf(secs, sizeof(secs), "%" PRId64, retry);
	resp_header(w, "Retry-After", secs);
	snprintf(zh, sizeof(zh), "每 %" PRId64 " 分钟最多 %d 次，请 %" PRId64 " 分钟后再试", window_sec / 60, max,
		 (retry + 59) / 60);
	snprintf(en, sizeof(en), "at most %d requests per %" PRId64 " minutes from one address; try again in %" PRId64
		 " minutes", max, window_sec / 60, (retry + 59) / 60);
	ctx_detail(&r->ctx, zh, en);
	return rc;
}

/* The portal acts as the system: user 0, the whole tree, the workflow's
 * permissions (the resident's words are checked by the handlers). */
static void portal_actor(struct ctx *c)
{
	memset(&c->actor, 0, sizeof(c->actor));
	snprintf(c->actor.username, sizeof(c->actor.username), "portal");
	c->actor.role = ROLE_ADMIN;
	snprintf(c->actor.scope_like, sizeof(c->actor.scope_like), "/%%");
}

/* ---- choosers ---- */

/* Answers {items, next_cursor: null} with one object per row of sql. */
static int list_answer(struct req *r, struct resp *w, const char *sql, json_t *(*row)(struct db_stmt *))
{
	struct db_stmt *st = NULL;
	json_t *items;
	int rc = db_prepare(r->ctx.db, sql, &st);
	if (rc)
		return rc;
	items = json_array();
	while ((rc = db_step(st)) == 1)
		json_array_append_new(items, row(st));
	db_done(st);
	if (rc < 0) {
		json_decref(items);
		return rc;
	}
	resp_json(w, 200, page_result(items, 0));
	return 0;
}

static json_t *village_row(struct db_stmt *st)
{
	return json_pack("{s:s,s:s,s:s?}", "code", db_col_text(st, 0), "name", db_col_text(st, 1), "town",
			 db_col_text(st, 2));
}

static int p_villages(struct req *r, struct resp *w)
{
	return list_answer(r, w, "SELECT v.code, v.name, t.name FROM region v LEFT JOIN region t ON t.code = v.parent_code "
				 "WHERE v.level = 'village' AND v.retired_at IS NULL ORDER BY v.code", village_row);
}

static json_t *category_row(struct db_stmt *st)
{
	return json_pack("{s:I,s:o,s:s,s:s?}", "id", (json_int_t)db_col_int(st, 0),
			 "parent_id", db_col_isnull(st, 1) ? json_null() : json_integer(db_col_int(st, 1)),
			 "name", db_col_text(st, 2), "name_en", db_col_text(st, 3));
}

static int p_categories(struct req *r, struct resp *w)
{
	return list_answer(r, w, "SELECT id, parent_id, name, name_en FROM appeal_category WHERE retired_at IS NULL "
				 "ORDER BY sort, id", category_row);
}

/* ---- submission ---- */

/* The title a cadre sees in lists: the first line of the description, at
 * most 30 characters. */
static char *title_from(const char *desc)
{
	struct buf b = BUF_INIT;
	long n = 0;
	const char *p = desc;
	while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
		p++;
	while (*p && *p != '\n' && *p != '\r' && n < 30) {
		size_t len = 1;
		while (p[len] && ((unsigned char)p[len] & 0xc0) == 0x80)
			len++;
		buf_addf(&b, "%.*s", (int)len, p);
		p += len;
		n++;
	}
	if (*p && *p != '\n' && *p != '\r')
		buf_adds(&b, "…");
	return buf_detach(&b, NULL);
}

static int p_submit(struct req *r, struct resp *w)
{
	static const char *const fields[] = { "village_code", "category_id", "description", "submitter_name",
					      "submitter_phone", "anonymous", "public_consent" };
	json_t *in, *body, *out = NULL, *res;
	const char *desc = NULL, *code;
	char *title, loc[96];
	int rc = rate_limit(r, w, "submit", PORTAL_SUBMIT_MAX, PORTAL_SUBMIT_WINDOW_SEC);
	if (rc || (rc = req_json(r, &in)) || (rc = json_opt_string(&r->ctx, in, "description", &desc)))
		return rc;
	if (!desc) {
		verr_required(&r->ctx, "description");
		return ZL_E_VALIDATION;
	}
	body = json_object();
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		json_t *v = json_object_get(in, fields[i]);
		if (v && !(json_is_string(v) && !json_string_length(v) && i >= 3)) /* "" name or phone: not given */
			json_object_set(body, fields[i], v);
	}
	title = title_from(desc);
	/* an empty description is the description's error, not the title's */
	json_object_set_new(body, "title", json_string(*title ? title : "-"));
	json_object_set_new(body, "channel", json_string("portal")); /* allowed to user 0 only */
	free(title);
	portal_actor(&r->ctx);
	rc = appeal_create(&r->ctx, body, &out);
	json_decref(body);
	if (rc)
		return rc;
	code = json_string_value(json_object_get(out, "receipt_code"));
	res = json_pack("{s:s,s:O,s:O,s:s,s:O,s:b,s:b}", "receipt_code", code, "village", json_object_get(out, "village"),
			"category", json_object_get(out, "category"), "state", "submitted", "created_at",
			json_object_get(out, "created_at"), "phone_given", json_is_string(json_object_get(
				json_object_get(out, "submitter"), "phone")),
			"public_consent", json_is_true(json_object_get(out, "public_consent")));
	snprintf(loc, sizeof(loc), "/api/v1/public/track/%s", code);
	json_decref(out);
	resp_created(w, res, loc);
	return 0;
}

/* ---- tracking ---- */

struct tracked {
	int64_t id;        /* the appeal the code names */
	int64_t shown;     /* the one whose state the resident sees (the survivor of a merge) */
	char code[16];
	char last4[5];     /* of the phone given, "" if none */
	int details;       /* the resident proved the phone (or gave none) */
};

/* "7kqm x2hd 9p" -> "7KQM-X2HD-9P"; -1 unless 10 letters and digits. */
static int code_normalise(const char *in, char out[16])
{
	char raw[11];
	int n = 0;
	for (const char *p = in ? in : ""; *p; p++) {
		char ch = *p;
		if (ch == '-' || ch == ' ')
			continue;
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) || n == 10)
			return -1;
		raw[n++] = (char)(ch >= 'a' && ch <= 'z' ? ch - 'a' + 'A' : ch);
	}
	if (n != 10)
		return -1;
	snprintf(out, 16, "%.4s-%.4s-%.2s", raw, raw + 4, raw + 8);
	return 0;
}

/* Finds the appeal by code and checks the phone digits (NULL: not given).
 * ZL_E_VALIDATION, ZL_E_NOT_FOUND, ZL_E_PORTAL_PHONE. */
static int track_find(struct ctx *c, const char *raw, const char *digits, struct tracked *t)
{
	struct db_stmt *st = NULL;
	const char *mask;
	int rc;
	memset(t, 0, sizeof(*t));
	if (code_normalise(raw, t->code)) {
		verr_add(&c->errs, "receipt_code", "回执码是 10 个字母或数字，例如 7KQM-X2HD-9P",
			 "'receipt_code' is 10 letters and digits, e.g. 7KQM-X2HD-9P");
		return ZL_E_VALIDATION;
	}
	if (digits && (strlen(digits) != 4 || strspn(digits, "0123456789") != 4)) {
		verr_add(&c->errs, "phone_last4", "请填写手机号的后 4 位数字", "'phone_last4' must be the last 4 digits of the phone");
		return ZL_E_VALIDATION;
	}
	if ((rc = db_prepare(c->db, "SELECT id, COALESCE(merged_into_id, id), submitter_phone_mask FROM appeal "
				    "WHERE receipt_code = ?", &st)))
		return rc;
	db_bindv(st, "t", t->code);
	rc = db_step(st);
	if (rc == 1) {
		t->id = db_col_int(st, 0);
		t->shown = db_col_int(st, 1);
		mask = db_col_text(st, 2);
		if (mask && strlen(mask) >= 4)
			snprintf(t->last4, sizeof(t->last4), "%s", mask + strlen(mask) - 4);
	}
	db_done(st);
	if (rc < 0)
		return rc;
	if (rc != 1)
		return ZL_E_NOT_FOUND;
	if (t->last4[0] && digits && strcmp(digits, t->last4))
		return ZL_E_PORTAL_PHONE;
	t->details = !t->last4[0] || digits != NULL;
	return 0;
}

/* The actions a resident sees on the timeline; the note (a reason, the
 * resolution) only with details. Internal steps (comments, warnings) are
 * left out. */
static const struct {
	const char *action, *note;
} public_actions[] = {
	{ "submit", NULL }, { "accept", NULL }, { "reject", "reason" }, { "assign", NULL }, { "start", NULL },
	{ "transfer", NULL }, { "wait_resident", "reason" }, { "resume", NULL }, { "approve_extension", NULL },
	{ "escalate", NULL }, { "resolve", "resolution" }, { "follow_up", NULL }, { "feedback", NULL },
	{ "reopen", "reason" }, { "close", NULL }, { "merge_into", NULL },
};

static int timeline(struct ctx *c, const struct tracked *t, json_t **out)
{
	struct db_stmt *st = NULL;
	int rc = db_prepare(c->db, "SELECT at, action, to_state, payload_json FROM appeal_event "
				   "WHERE appeal_id IN (?, ?) ORDER BY id", &st);
	if (rc)
		return rc;
	db_bindv(st, "ii", t->id, t->shown);
	*out = json_array();
	while ((rc = db_step(st)) == 1) {
		const char *action = db_col_text(st, 1), *pj = db_col_text(st, 3);
		for (size_t i = 0; i < ARRAY_SIZE(public_actions); i++) {
			json_t *e, *payload, *note;
			if (strcmp(action, public_actions[i].action))
				continue;
			e = json_pack("{s:o,s:s,s:s?}", "at", org_time_json(db_col_text(st, 0)), "action", action,
				      "state", db_col_text(st, 2));
			payload = t->details && public_actions[i].note && pj ? json_loads(pj, 0, NULL) : NULL;
			note = json_object_get(payload, public_actions[i].note ? public_actions[i].note : "");
			if (json_is_string(note))
				json_object_set(e, "note", note);
			json_decref(payload);
			json_array_append_new(*out, e);
			break;
		}
	}
	db_done(st);
	if (rc < 0) {
		json_decref(*out);
		*out = NULL;
	}
	return rc < 0 ? rc : 0;
}

static json_t *text_or_null(struct db_stmt *st, int col)
{
	return db_col_text(st, col) ? json_string(db_col_text(st, col)) : json_null();
}

/* What the resident sees: the state always; the description, the
 * resolution and the feedback with details. */
static int track_json(struct ctx *c, const struct tracked *t, json_t **out)
{
	struct db_stmt *st = NULL;
	json_t *o = NULL, *events = NULL;
	int rc = db_prepare(c->db, "SELECT s.state, v.code, v.name, cat.id, cat.name, cat.name_en, a.created_at, s.resolved_at, "
				   "a.description, s.resolution, s.feedback, s.feedback_comment, "
				   "(SELECT asked_at FROM appeal_followup f WHERE f.appeal_id = s.id) "
				   "FROM appeal a JOIN appeal s ON s.id = ? JOIN region v ON v.code = a.village_code "
				   "JOIN appeal_category cat ON cat.id = a.category_id WHERE a.id = ?", &st);
	if (rc)
		return rc;
	db_bindv(st, "ii", t->shown, t->id);
	if ((rc = db_step(st)) == 1) {
		o = json_pack("{s:s,s:s,s:b,s:{s:s,s:s},s:{s:I,s:s,s:s?},s:o,s:o,s:b,s:b,s:b}",
			"receipt_code", t->code, "state", db_col_text(st, 0), "merged", t->shown != t->id,
			"village", "code", db_col_text(st, 1), "name", db_col_text(st, 2),
			"category", "id", (json_int_t)db_col_int(st, 3), "name", db_col_text(st, 4), "name_en", db_col_text(st, 5),
			"created_at", org_time_json(db_col_text(st, 6)), "resolved_at", org_time_json(db_col_text(st, 7)),
			"details", t->details, "phone_required", t->last4[0] != 0,
			"feedback_open", !strcmp(db_col_text(st, 0), "resolved"));
		json_object_set_new(o, "follow_up_at", org_time_json(db_col_text(st, 12)));
		if (t->details) {
			json_object_set_new(o, "description", text_or_null(st, 8));
			json_object_set_new(o, "resolution", text_or_null(st, 9));
			json_object_set_new(o, "feedback", text_or_null(st, 10));
			json_object_set_new(o, "feedback_comment", text_or_null(st, 11));
		}
	}
	db_done(st);
	if (rc < 0 || !o)
		return rc < 0 ? rc : ZL_E_NOT_FOUND;
	if ((rc = timeline(c, t, &events))) {
		json_decref(o);
		return rc;
	}
	json_object_set_new(o, "timeline", events);
	if (t->details) {
		json_t *photos = NULL;
		char prefix[64];
		snprintf(prefix, sizeof(prefix), "/api/v1/public/track/%s/photos/", t->code);
		if ((rc = appeal_photos_json(c, t->id, prefix, &photos))) {
			json_decref(o);
			return rc;
		}
		json_object_set_new(o, "photos", photos);
	}
	*out = o;
	return 0;
}

static int p_track(struct req *r, struct resp *w)
{
	struct tracked t;
	json_t *out = NULL;
	const char *digits = req_query(r, "phone_last4");
	int rc = rate_limit(r, w, "track", PORTAL_TRACK_MAX, PORTAL_TRACK_WINDOW_SEC);
	if (digits && !*digits)
		digits = NULL;
	if (rc || (rc = track_find(&r->ctx, req_param(r, "receipt_code"), digits, &t)) ||
	    (rc = track_json(&r->ctx, &t, &out)))
		return rc;
	resp_json(w, 200, out);
	return 0;
}

static int p_feedback(struct req *r, struct resp *w)
{
	struct tracked t;
	json_t *in, *act, *out = NULL, *allowed = NULL, *fixed;
	const char *digits = NULL, *sat = NULL, *comment = NULL;
	char code[16];
	int64_t open = 0;
	int rc = rate_limit(r, w, "track", PORTAL_TRACK_MAX, PORTAL_TRACK_WINDOW_SEC);
	if (rc || (rc = req_json(r, &in)) || (rc = json_opt_string(&r->ctx, in, "phone_last4", &digits)) ||
	    (rc = json_opt_string(&r->ctx, in, "satisfaction", &sat)) ||
	    (rc = json_opt_string(&r->ctx, in, "comment", &comment)))
		return rc;
	if (digits && !*digits)
		digits = NULL;
	if ((rc = track_find(&r->ctx, req_param(r, "receipt_code"), digits, &t)))
		return rc;
	fixed = json_object_get(in, "fixed");
	if (t.last4[0] && !digits)
		verr_add(&r->ctx.errs, "phone_last4", "请填写登记手机号的后 4 位", "'phone_last4' is required: give the last 4 digits of the phone");
	if (!json_is_boolean(fixed))
		verr_add(&r->ctx.errs, "fixed", "请选择问题是否已解决", "'fixed' must be true or false");
	if (!sat)
		verr_required(&r->ctx, "satisfaction");
	if (r->ctx.errs.n)
		return ZL_E_VALIDATION;
	rc = db_get_int(r->ctx.db, &open, "SELECT state = 'resolved' FROM appeal WHERE id = ?", "i", t.shown);
	if (rc < 0)
		return rc;
	if (!open)
		return ZL_E_PORTAL_NO_FEEDBACK;
	act = json_pack("{s:s,s:O,s:s,s:s?}", "action", "feedback", "fixed", fixed, "satisfaction", sat, "comment", comment);
	portal_actor(&r->ctx);
	rc = appeal_action_apply(&r->ctx, t.shown, act, &out, &allowed);
	json_decref(act);
	json_decref(allowed);
	json_decref(out);
	if (rc == ZL_E_APPEAL_ILLEGAL)
		rc = ZL_E_PORTAL_NO_FEEDBACK;
	if (rc)
		return rc;
	snprintf(code, sizeof(code), "%s", t.code);
	if ((rc = track_find(&r->ctx, code, NULL, &t)))
		return rc;
	t.details = 1;
	if ((rc = track_json(&r->ctx, &t, &out)))
		return rc;
	resp_json(w, 200, out);
	return 0;
}

/* ---- photos: added within a day of submission, seen with the digits ---- */

/* The receipt code and the phone digits (?phone_last4=) of a photo request;
 * the digits are required when a phone was given. */
static int photo_track(struct req *r, struct tracked *t)
{
	const char *digits = req_query(r, "phone_last4");
	int rc;
	if (digits && !*digits)
		digits = NULL;
	if ((rc = track_find(&r->ctx, req_param(r, "receipt_code"), digits, t)))
		return rc;
	if (!t->details) {
		verr_add(&r->ctx.errs, "phone_last4", "请填写登记手机号的后 4 位",
			 "'phone_last4' is required: give the last 4 digits of the phone");
		return ZL_E_VALIDATION;
	}
	return 0;
}

static int p_photo_add(struct req *r, struct resp *w)
{
	struct tracked t;
	json_t *out = NULL;
	char cutoff[ZL_TIME_MAX], prefix[64];
	int64_t fresh = 0;
	int created = 0;
	int rc = rate_limit(r, w, "photo", PORTAL_SUBMIT_MAX, PORTAL_SUBMIT_WINDOW_SEC);
	if (rc || (rc = photo_track(r, &t)))
		return rc;
	time_format_utc(clock_now() - (int64_t)PORTAL_PHOTO_HOURS * 3600 * USEC_PER_SEC, cutoff);
	rc = db_get_int(r->ctx.db, &fresh, "SELECT created_at >= ? FROM appeal WHERE id = ?", "ti", cutoff, t.id);
	if (rc < 0)
		return rc;
	if (!fresh) {
		ctx_detail(&r->ctx, "提交满 24 小时后不能再补充照片，请联系村里的干部",
			   "photos can be added only within 24 hours of submission; please contact the village cadre");
		return ZL_E_PORTAL_PHOTO_CLOSED;
	}
	snprintf(prefix, sizeof(prefix), "/api/v1/public/track/%s/photos/", t.code);
	portal_actor(&r->ctx);
	if ((rc = appeal_photo_add(&r->ctx, t.id, req_header(r, "Content-Type"), r->body, r->body_len, prefix, &out,
				   &created)))
		return rc;
	file_answer(w, out, created);
	return 0;
}

static int p_photo_get(struct req *r, struct resp *w)
{
	struct tracked t;
	char *path = NULL;
	const char *mime = NULL;
	int rc = rate_limit(r, w, "track", PORTAL_TRACK_MAX, PORTAL_TRACK_WINDOW_SEC);
	if (rc || (rc = photo_track(r, &t)))
		return rc;
	portal_actor(&r->ctx);
	if ((rc = appeal_photo_path(&r->ctx, t.id, req_param(r, "sha"), &path, &mime)))
		return rc;
	file_send(r, w, path, mime);
	return 0;
}

/* ---- the public board ---- */

/* Personal data a resident may have typed: runs of 6 or more digits (phone
 * and ID numbers, an ID's final X included) become "******". New string. */
static char *redact(const char *s)
{
	struct buf b = BUF_INIT;
	const char *p = s ? s : "";
	while (*p) {
		size_t n = strspn(p, "0123456789");
		if (n >= 6) {
			if (p[n] == 'X' || p[n] == 'x')
				n++;
			buf_adds(&b, "******");
		} else if (n) {
			buf_addf(&b, "%.*s", (int)n, p);
		} else {
			buf_addf(&b, "%c", *p);
			n = 1;
		}
		p += n;
	}
	return buf_detach(&b, NULL);
}

static json_t *redacted(struct db_stmt *st, int col)
{
	char *s;
	json_t *j;
	if (!db_col_text(st, col))
		return json_null();
	s = redact(db_col_text(st, col));
	j = json_string(s);
	free(s);
	return j;
}

static int board_items(struct ctx *c, const char *village, json_t **out)
{
	struct db_stmt *st = NULL;
	int rc = db_prepare(c->db, "SELECT cat.name, cat.name_en, a.description, a.resolution, a.created_at, a.resolved_at, "
				   "a.feedback, a.state FROM appeal a JOIN appeal_category cat ON cat.id = a.category_id "
				   "WHERE a.village_code = ? AND a.public_consent = 1 AND a.state IN ('resolved', 'closed') "
				   "AND a.resolved_at IS NOT NULL AND a.merged_into_id IS NULL "
				   "ORDER BY a.resolved_at DESC, a.id DESC LIMIT 50", &st);
	if (rc)
		return rc;
	db_bindv(st, "t", village);
	*out = json_array();
	while ((rc = db_step(st)) == 1)
		json_array_append_new(*out, json_pack("{s:{s:s,s:s?},s:o,s:o,s:o,s:o,s:o,s:s}",
			"category", "name", db_col_text(st, 0), "name_en", db_col_text(st, 1),
			"description", redacted(st, 2), "resolution", redacted(st, 3),
			"created_at", org_time_json(db_col_text(st, 4)), "resolved_at", org_time_json(db_col_text(st, 5)),
			"feedback", text_or_null(st, 6), "state", db_col_text(st, 7)));
	db_done(st);
	if (rc < 0) {
		json_decref(*out);
		*out = NULL;
	}
	return rc < 0 ? rc : 0;
}

#define BOARD_MONTHS 12

struct month {
	char key[8]; /* "2026-11" (Asia/Shanghai) */
	int64_t received, resolved, on_time, rated, satisfied;
};

/* Adds the per-month counts of one query (month key, then n counts) to m. */
static int month_counts(struct ctx *c, const char *sql, const char *village, const char *since, struct month *m,
			int n)
{
	struct db_stmt *st = NULL;
	int rc = db_prepare(c->db, sql, &st);
	if (rc)
		return rc;
	db_bindv(st, "tt", village, since);
	while ((rc = db_step(st)) == 1) {
		const char *k = db_col_text(st, 0);
		for (int i = 0; k && i < BOARD_MONTHS; i++) {
			if (strcmp(k, m[i].key))
				continue;
			if (n == 1)
				m[i].received = db_col_int(st, 1);
			else {
				m[i].resolved = db_col_int(st, 1);
				m[i].on_time = db_col_int(st, 2);
				m[i].rated = db_col_int(st, 3);
				m[i].satisfied = db_col_int(st, 4);
			}
		}
	}
	db_done(st);
	return rc < 0 ? rc : 0;
}

static json_t *share(int64_t part, int64_t whole)
{
	return whole ? json_real((double)(part * 1000 / whole) / 1000.0) : json_null();
}

static int board_months(struct ctx *c, const char *village, json_t **out)
{
	struct month m[BOARD_MONTHS];
	int64_t local_day = (clock_now() / USEC_PER_SEC + ZL_TZ_OFFSET_MIN * 60) / 86400;
	char since[ZL_TIME_MAX];
	int y, mo, d, rc;

	memset(m, 0, sizeof(m));
	civil_from_days(local_day, &y, &mo, &d);
	mo -= BOARD_MONTHS - 1;
	while (mo < 1) {
		mo += 12;
		y--;
	}
	time_format_utc((days_from_civil(y, mo, 1) * 86400 - ZL_TZ_OFFSET_MIN * 60) * USEC_PER_SEC, since);
	for (int i = 0; i < BOARD_MONTHS; i++) {
		snprintf(m[i].key, sizeof(m[i].key), "%04d-%02d", y, mo);
		if (++mo > 12) {
			mo = 1;
			y++;
		}
	}
	if ((rc = month_counts(c, "SELECT strftime('%Y-%m', created_at, '+8 hours'), count(*) FROM appeal "
				  "WHERE village_code = ? AND created_at >= ? GROUP BY 1", village, since, m, 1)) ||
	    (rc = month_counts(c, "SELECT strftime('%Y-%m', resolved_at, '+8 hours'), count(*), "
				  "COALESCE(sum(due_at IS NOT NULL AND resolved_at <= due_at), 0), "
				  "COALESCE(sum(feedback IS NOT NULL), 0), "
				  "COALESCE(sum(feedback IN ('satisfied', 'basically_satisfied')), 0) FROM appeal "
				  "WHERE village_code = ? AND resolved_at >= ? AND merged_into_id IS NULL GROUP BY 1",
			       village, since, m, 4)))
		return rc;
	*out = json_array();
	for (int i = 0; i < BOARD_MONTHS; i++) {
		json_array_append_new(*out, json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:o,s:o}", "month", m[i].key,
			"received", (json_int_t)m[i].received, "resolved", (json_int_t)m[i].resolved,
			"on_time", (json_int_t)m[i].on_time, "rated", (json_int_t)m[i].rated,
			"satisfied", (json_int_t)m[i].satisfied,
			"on_time_share", share(m[i].on_time, m[i].resolved),
			"satisfaction_share", share(m[i].satisfied, m[i].rated)));
	}
	return 0;
}

static int p_board(struct req *r, struct resp *w)
{
	const char *code = req_param(r, "village_code");
	char *name = NULL;
	json_t *items = NULL, *months = NULL;
	int rc = db_get_text(r->ctx.db, &name, "SELECT name FROM region WHERE code = ? AND level = 'village' "
					      "AND retired_at IS NULL", "t", code);
	if (rc < 0)
		return rc;
	if (rc != 1) {
		free(name);
		return ZL_E_NOT_FOUND;
	}
	if ((rc = board_items(&r->ctx, code, &items)) || (rc = board_months(&r->ctx, code, &months))) {
		json_decref(items);
		free(name);
		return rc;
	}
	resp_json(w, 200, json_pack("{s:{s:s,s:s},s:o,s:o}", "village", "code", code, "name", name, "items", items,
				    "months", months));
	free(name);
	return 0;
}

/* ---- asking the resident by SMS ---- */

#define PORTAL_HASH "#/portal/"

char *portal_track_url(struct ctx *c, const char *receipt_code)
{
	/* the cards' base address (setting, environment, default) ends in
	 * "#/portal/" + the village: the same base serves the track page */
	char *portal = cards_portal_url(c, ""), *url;
	size_t n = strlen(portal);
	if (n >= strlen(PORTAL_HASH) && !strcmp(portal + n - strlen(PORTAL_HASH), PORTAL_HASH))
		portal[n - strlen(PORTAL_HASH)] = '\0';
	url = xasprintf("%s#/track?code=%s", portal, receipt_code);
	free(portal);
	return url;
}

/* One resident to ask: the receipt code they hold and their phone. */
struct ask {
	char code[16];
	char hash[PII_HASH_HEX];
	unsigned char *blob;
	size_t len;
};

static int asks_load(struct ctx *c, int64_t id, struct ask **out, size_t *n)
{
	struct db_stmt *st = NULL;
	size_t cap = 0;
	int rc = db_prepare(c->db, "SELECT receipt_code, COALESCE(submitter_phone_hash, ''), submitter_phone_enc FROM appeal "
				   "WHERE (id = ? OR merged_into_id = ?) AND submitter_phone_enc IS NOT NULL "
				   "ORDER BY id <> ?, id", &st);
	*out = NULL;
	*n = 0;
	if (rc)
		return rc;
	db_bindv(st, "iii", id, id, id);
	while ((rc = db_step(st)) == 1) {
		size_t len = 0;
		const void *blob = db_col_blob(st, 2, &len);
		struct ask *a;
		if (!blob || !len)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 4;
			*out = xrealloc(*out, cap * sizeof(**out));
		}
		a = &(*out)[(*n)++];
		snprintf(a->code, sizeof(a->code), "%s", db_col_text(st, 0));
		snprintf(a->hash, sizeof(a->hash), "%s", db_col_text(st, 1));
		a->blob = xmalloc(len);
		memcpy(a->blob, blob, len);
		a->len = len;
	}
	db_done(st);
	return rc < 0 ? rc : 0;
}

/* 1 if an earlier resident in the list has the same phone (asked once). */
static int ask_repeated(const struct ask *a, size_t i)
{
	for (size_t k = 0; a[i].hash[0] && k < i; k++)
		if (!strcmp(a[k].hash, a[i].hash))
			return 1;
	return 0;
}

int portal_feedback_ask(struct ctx *c, int64_t id, int follow_up, int *asked)
{
	struct ask *a = NULL;
	size_t n = 0;
	char ids[24];
	int rc;

	*asked = 0;
	if (!outbound_sms_ready(c->db))
		return 0; /* nothing that could be sent is queued (the demo town, a town without SMS) */
	rc = asks_load(c, id, &a, &n);
	appeal_id_text(id, ids);
	for (size_t i = 0; !rc && i < n; i++) {
		char *phone = NULL, *url, *text;
		if (ask_repeated(a, i))
			continue;
		url = portal_track_url(c, a[i].code);
		/* nothing personal: the receipt code the resident holds and the link */
		text = follow_up ?
			xasprintf("您反映的问题（查询码 %s）办结已满 7 天，还没收到您的评价。问题真的解决了吗？"
				  "请点链接告诉我们：%s", a[i].code, url) :
			xasprintf("您反映的问题（查询码 %s）已办结。问题真的解决了吗？您满意吗？请点链接告诉我们：%s",
				  a[i].code, url);
		rc = pii_decrypt(a[i].blob, a[i].len, &phone);
		if (!rc)
			rc = outbound_sms_direct(c, phone, text, follow_up ? "appeal.follow_up" : "appeal.feedback_ask",
						 "appeal", ids, NULL);
		if (!rc)
			(*asked)++;
		else if (rc == ZL_E_PII_KEY || rc == ZL_E_VALIDATION || rc == ZL_E_INTEGRITY) {
			/* the ask is a courtesy: it never blocks the resolution or the job */
			fprintf(stderr, "zhilian: appeal %s: feedback SMS not queued: %s\n", ids, zl_error_info(rc)->name);
			verr_release(&c->errs);
			rc = 0;
		}
		if (phone) {
			sodium_memzero(phone, strlen(phone));
			free(phone);
		}
		free(text);
		free(url);
	}
	for (size_t i = 0; i < n; i++)
		free(a[i].blob);
	free(a);
	return rc;
}

/* ---- the 7-day follow-up ---- */

int portal_followup_run(struct db *db, int64_t now_us)
{
	struct ctx c;
	struct db_stmt *st = NULL;
	char now[ZL_TIME_MAX], cutoff[ZL_TIME_MAX], ids[24];
	int64_t *due = NULL;
	size_t n = 0, cap = 0;
	int rc, asked = 0;

	if (!db)
		return ZL_E_BUSY;
	if ((rc = db_begin(db)))
		return rc;
	ctx_init_system(&c, db);
	c.addr = "job";
	time_format_utc(now_us, now);
	time_format_utc(now_us - (int64_t)PORTAL_FOLLOWUP_DAYS * 86400 * USEC_PER_SEC, cutoff);
	rc = db_prepare(db, "SELECT a.id, COALESCE(a.assignee_user_id, 0) FROM appeal a WHERE a.state = 'resolved' "
			    "AND a.feedback IS NULL AND a.resolved_at <= ? AND NOT EXISTS (SELECT 1 FROM appeal_followup f "
			    "WHERE f.appeal_id = a.id AND f.resolved_at = a.resolved_at) ORDER BY a.id", &st);
	if (!rc) {
		db_bindv(st, "t", cutoff);
		while ((rc = db_step(st)) == 1) {
			if (n + 2 > cap) {
				cap = cap ? cap * 2 : 32;
				due = xrealloc(due, cap * sizeof(*due));
			}
			due[n++] = db_col_int(st, 0);
			due[n++] = db_col_int(st, 1);
		}
		db_done(st);
	}
	for (size_t i = 0; rc >= 0 && i < n; i += 2) {
		int sms = 0;
		appeal_id_text(due[i], ids);
		rc = db_run(db, "INSERT INTO appeal_followup(appeal_id, resolved_at, asked_at, notified_user_id) "
				"SELECT id, resolved_at, ?, NULLIF(?, 0) FROM appeal WHERE id = ? ON CONFLICT(appeal_id) DO "
				"UPDATE SET resolved_at = excluded.resolved_at, asked_at = excluded.asked_at, "
				"notified_user_id = excluded.notified_user_id, sms_sent_at = NULL",
			    "tii", now, due[i + 1], due[i]);
		if (!rc && !(rc = portal_feedback_ask(&c, due[i], 1, &sms)) && sms)
			rc = db_run(db, "UPDATE appeal_followup SET sms_sent_at = ? WHERE appeal_id = ?", "ti", now, due[i]);
		if (!rc)
			rc = appeal_event_add(&c, due[i], "follow_up", "resolved", "resolved",
					      json_pack("{s:i,s:i}", "days", PORTAL_FOLLOWUP_DAYS, "sms", sms));
		if (!rc) {
			json_t *after = json_pack("{s:s,s:i}", "asked_at", now, "sms", sms);
			rc = audit_log(&c, "appeal.follow_up", "appeal", ids, NULL, after);
			json_decref(after);
		}
		if (!rc)
			rc = appeal_notify(&c, due[i + 1], "appeal.follow_up", due[i],
					   "诉求 #%" PRId64 " 办结已满 7 天，居民尚未评价，请回访",
					   "appeal #%" PRId64 " was resolved 7 days ago and the resident has not answered; please follow up");
		asked++;
	}
	free(due);
	rc = rc < 0 ? rc : db_commit(db);
	if (rc)
		db_rollback(db);
	ctx_release(&c);
	return rc ? rc : asked;
}

void portal_tick(void)
{
	int rc = portal_followup_run(db_thread(), clock_now());
	if (rc < 0)
		fprintf(stderr, "zhilian: appeal follow-up job failed: %s\n", zl_error_info(rc)->name);
}

static void __attribute__((constructor)) portal_ctor(void)
{
	server_on_tick(portal_tick);
}

static const struct route routes[] = {
	{ "GET", "/api/v1/public/villages", p_villages, NULL, ROUTE_PUBLIC },
	{ "GET", "/api/v1/public/categories", p_categories, NULL, ROUTE_PUBLIC },
	{ "POST", "/api/v1/public/appeals", p_submit, NULL, ROUTE_PUBLIC },
	{ "GET", "/api/v1/public/track/{receipt_code}", p_track, NULL, ROUTE_PUBLIC },
	{ "POST", "/api/v1/public/track/{receipt_code}/feedback", p_feedback, NULL, ROUTE_PUBLIC },
	{ "POST", "/api/v1/public/track/{receipt_code}/photos", p_photo_add, NULL,
	  ROUTE_PUBLIC | ROUTE_RAW | ROUTE_LARGE_BODY },
	{ "GET", "/api/v1/public/track/{receipt_code}/photos/{sha}", p_photo_get, NULL, ROUTE_PUBLIC },
	{ "GET", "/api/v1/public/board/{village_code}", p_board, NULL, ROUTE_PUBLIC },
};
ROUTE_TABLE(portal_routes, "portal", routes);
