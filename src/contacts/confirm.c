/*
 * confirm.c: a household confirms a home visit (confirm.h): a signature PNG
 * in the platform's file store or an SMS code typed back; who may collect it
 * and when, the code's keyed hash, expiry, tries and send throttle, the
 * confirmation JSON, and the HTTP routes.
 */
#include <sodium.h>

#include "contacts/confirm.h"
#include "contacts/contacts_int.h"

#include "households/pii.h"
#include "org/org.h"
#include "platform/audit.h"
#include "platform/db.h"
#include "platform/error.h"
#include "platform/files.h"
#include "platform/outbound.h"

#define MEMBER_NAME_MAX 50

/* What every rule needs of the contact. */
struct cf_head {
	int64_t id, author, started_us;
	int home_visit;
	int confirmed; /* contact.confirmation is not 'none' */
};

/* The contact in scope (ct_head_load: ZL_E_NOT_FOUND otherwise) and what
 * the rules need of it. */
static int head_load(struct ctx *c, int64_t id, struct cf_head *h)
{
	struct ct_head ch;
	struct db_stmt *st;
	int rc;
	memset(h, 0, sizeof(*h));
	if ((rc = ct_head_load(c, id, &ch)))
		return rc;
	h->id = ch.id;
	h->author = ch.author;
	if ((rc = db_prepare(c->db, "SELECT started_at, method, confirmation FROM contact WHERE id = ?", &st)))
		return rc;
	db_bind_int(st, 1, id);
	if ((rc = db_step(st)) == 1) {
		time_parse(db_col_text(st, 0), &h->started_us);
		h->home_visit = !strcmp(db_col_text(st, 1), "home_visit");
		h->confirmed = strcmp(db_col_text(st, 2), "none") != 0;
	}
	db_done(st);
	return rc < 0 ? rc : rc == 1 ? 0 : ZL_E_NOT_FOUND;
}

static int household_count(struct ctx *c, int64_t contact_id, int64_t *n)
{
	int rc = db_get_int(c->db, n, "SELECT COUNT(*) FROM contact_household WHERE contact_id = ?", "i", contact_id);
	return rc < 0 ? rc : 0;
}

/* 1 if the actor wrote the contact or is listed as present, 0, or <0. */
static int actor_present(struct ctx *c, const struct cf_head *h)
{
	int64_t one = 0;
	if (c->actor.user_id > 0 && c->actor.user_id == h->author)
		return 1;
	return db_get_int(c->db, &one, "SELECT 1 FROM contact_cadre WHERE contact_id = ? AND user_id = ?", "ii", h->id,
			  c->actor.user_id);
}

/* May the actor collect a confirmation of h now? 0 or the reason. */
static int collect_check(struct ctx *c, const struct cf_head *h)
{
	int64_t n = 0;
	int rc = household_count(c, h->id, &n);
	if (rc)
		return rc;
	if (!h->home_visit || n == 0)
		return ZL_E_CONFIRM_NOT_HOME_VISIT;
	if (h->confirmed)
		return ZL_E_CONFIRM_DONE;
	if ((rc = actor_present(c, h)) <= 0)
		return rc < 0 ? rc : ZL_E_CONFIRM_NOT_PRESENT;
	if (clock_now() >= h->started_us + CONFIRM_WINDOW_US)
		return ZL_E_CONFIRM_WINDOW;
	return 0;
}

/* The household that confirms: want (0: the contact's only one). */
static int household_pick(struct ctx *c, int64_t contact_id, int64_t want, int64_t *hid)
{
	int64_t n = 0;
	int rc;
	if (want > 0) {
		rc = db_get_int(c->db, &n, "SELECT 1 FROM contact_household WHERE contact_id = ? AND household_id = ?",
				"ii", contact_id, want);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			verr_add(&c->errs, "household_id", "这户不是本次走访的农户",
				 "'household_id' is not a household of this visit");
			return ZL_E_VALIDATION;
		}
		*hid = want;
		return 0;
	}
	if ((rc = household_count(c, contact_id, &n)))
		return rc;
	if (n != 1) {
		verr_add(&c->errs, "household_id", "本次走访有多户，请选择确认的农户",
			 "'household_id' is required when the visit has several households");
		return ZL_E_VALIDATION;
	}
	rc = db_get_int(c->db, hid, "SELECT household_id FROM contact_household WHERE contact_id = ?", "i", contact_id);
	return rc < 0 ? rc : 0;
}

/* NULL or empty is fine (no name); otherwise 1..50 characters, one line. */
static int member_name_check(struct ctx *c, const char *name)
{
	long n;
	if (!name || !*name)
		return 0;
	n = utf8_len(name);
	for (const char *p = name; n > 0 && *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			n = -1;
	if (n < 1 || n > MEMBER_NAME_MAX) {
		verr_add(&c->errs, "member_name", "确认人姓名应为 1 到 50 个字的一行文字",
			 "'member_name' must be one line of 1 to 50 characters");
		return ZL_E_VALIDATION;
	}
	return 0;
}

static void audit_id(int64_t id, char out[24])
{
	ct_id_text(id, out);
}

/* Marks the contact confirmed by method (once) and audits it with after
 * (which it takes). */
static int mark_confirmed(struct ctx *c, int64_t contact_id, const char *method, json_t *after)
{
	char idt[24];
	int rc = db_run(c->db, "UPDATE contact SET confirmation = ? WHERE id = ? AND confirmation = 'none'", "ti",
			method, contact_id);
	if (!rc && db_changes(c->db) != 1)
		rc = ZL_E_CONFIRM_DONE;
	if (!rc) {
		audit_id(contact_id, idt);
		rc = audit_log(c, "contact.confirm", "contact", idt, NULL, after);
	}
	json_decref(after);
	return rc;
}

/* A pending code of the contact is no longer the one to type. */
static int supersede_pending(struct ctx *c, int64_t contact_id)
{
	return db_run(c->db,
		      "UPDATE contact_confirmation SET state = 'superseded' WHERE contact_id = ? AND state = 'pending'",
		      "i", contact_id);
}

/* ---- signature ---- */

static int is_png_type(const char *ct)
{
	return ct && !strncasecmp(ct, "image/png", 9) && (ct[9] == '\0' || ct[9] == ';' || ct[9] == ' ');
}

int confirm_signature(struct ctx *c, int64_t contact_id, int64_t household_id, const char *member_name,
		      const char *content_type, const void *data, size_t len, json_t **out)
{
	struct cf_head h;
	char sha[65], now[ZL_TIME_MAX];
	const char *mime = NULL;
	int64_t hid = 0, row;
	int rc;

	if (out)
		*out = NULL;
	if ((rc = head_load(c, contact_id, &h)) || (rc = collect_check(c, &h)))
		return rc;
	rc = household_pick(c, contact_id, household_id, &hid);
	if (member_name_check(c, member_name) || rc)
		return rc && rc != ZL_E_VALIDATION ? rc : ZL_E_VALIDATION;
	if (len > CONFIRM_SIGNATURE_MAX) {
		ctx_detail(c, "签名图片不能超过 512 KB", "the signature must be at most 512 kb");
		return ZL_E_CONTACT_PHOTO_TOO_LARGE;
	}
	if (!is_png_type(content_type)) {
		ctx_detail(c, "签名须以 PNG 图片上传（Content-Type: image/png）",
			   "the signature must be sent as a png image (content-type image/png)");
		return ZL_E_CONTACT_PHOTO_TYPE;
	}
	if ((rc = file_image_check(content_type, data, len, &mime, sha)))
		return rc;
	if ((rc = file_store(c->db, sha, data, len)) || (rc = supersede_pending(c, contact_id)))
		return rc;
	time_format_utc(clock_now(), now);
	rc = db_run(c->db,
		    "INSERT INTO contact_confirmation(contact_id, household_id, method, state, member_name, user_id,"
		    " signature_sha256, signature_bytes, created_at, confirmed_at)"
		    " VALUES (?, ?, 'signature', 'confirmed', ?, ?, ?, ?, ?, ?)",
		    "iitititt", contact_id, hid, member_name && *member_name ? member_name : NULL, c->actor.user_id,
		    sha, (int64_t)len, now, now);
	if (rc)
		return rc == ZL_E_CONFLICT ? ZL_E_CONFIRM_DONE : rc;
	row = db_last_id(c->db);
	rc = mark_confirmed(c, contact_id, "signature",
			    json_pack("{s:s,s:I,s:I,s:s,s:I,s:b}", "method", "signature", "confirmation_id",
				      (json_int_t)row, "household_id", (json_int_t)hid, "sha256", sha, "bytes",
				      (json_int_t)len, "member_named", member_name && *member_name));
	return rc || !out ? rc : confirm_json(c, contact_id, out);
}

int confirm_signature_path(struct ctx *c, int64_t contact_id, char **path, const char **mime)
{
	struct cf_head h;
	char *sha = NULL;
	int rc;
	*path = NULL;
	*mime = NULL;
	if ((rc = head_load(c, contact_id, &h)))
		return rc;
	rc = db_get_text(c->db, &sha,
			 "SELECT signature_sha256 FROM contact_confirmation WHERE contact_id = ? AND state = 'confirmed'"
			 " AND method = 'signature'",
			 "i", contact_id);
	if (rc < 0)
		return rc;
	if (rc == 0 || !sha) {
		free(sha);
		return ZL_E_NOT_FOUND;
	}
	rc = file_lookup(c->db,
			 "SELECT 'image/png' FROM contact_confirmation WHERE contact_id = ? AND signature_sha256 = ?",
			 contact_id, sha, path, mime);
	free(sha);
	return rc;
}

/* ---- SMS code ---- */

int confirm_code_valid(const char *s)
{
	return s && strlen(s) == 6 && strspn(s, "0123456789") == 6;
}

void confirm_code_hash(int64_t row_id, const char *code, char out[65])
{
	char *msg = xasprintf("contact_confirmation:%" PRId64 ":%s", row_id, code);
	pii_hash_bytes(msg, strlen(msg), out);
	sodium_memzero(msg, strlen(msg));
	free(msg);
}

/* The household's mobile number, decrypted (a new string) and masked. */
static int household_phone(struct ctx *c, int64_t hid, char **phone, char mask[PII_MASK_MAX])
{
	struct db_stmt *st;
	char *plain = NULL, digits[12];
	int rc = db_prepare(c->db, "SELECT phone_enc, phone_mask FROM household WHERE id = ?", &st);
	*phone = NULL;
	mask[0] = '\0';
	if (rc)
		return rc;
	db_bind_int(st, 1, hid);
	rc = db_step(st);
	if (rc == 1 && !db_col_isnull(st, 0)) {
		size_t n = 0;
		const void *blob = db_col_blob(st, 0, &n);
		rc = pii_decrypt(blob, n, &plain);
	} else if (rc >= 0) {
		rc = ZL_E_CONFIRM_NO_PHONE;
	}
	db_done(st);
	if (rc)
		return rc;
	if (pii_mobile_check(plain, digits)) {
		sodium_memzero(plain, strlen(plain));
		free(plain);
		return ZL_E_CONFIRM_NO_PHONE;
	}
	sodium_memzero(plain, strlen(plain));
	free(plain);
	pii_mask_phone(digits, mask, PII_MASK_MAX);
	*phone = xstrdup(digits);
	sodium_memzero(digits, sizeof(digits));
	return 0;
}

/* The sends of the last 24 hours: how many, the oldest and the latest. */
struct sends {
	int64_t n, oldest_us, latest_us;
};

static int sends_load(struct ctx *c, int64_t contact_id, int64_t now, struct sends *s)
{
	struct db_stmt *st;
	char since[ZL_TIME_MAX];
	int rc;
	memset(s, 0, sizeof(*s));
	time_format_utc(now - 24 * 3600 * USEC_PER_SEC, since);
	rc = db_prepare(c->db,
			"SELECT COUNT(*), MIN(created_at), MAX(created_at) FROM contact_confirmation"
			" WHERE contact_id = ? AND method = 'sms_code' AND created_at > ?",
			&st);
	if (rc)
		return rc;
	db_bindv(st, "it", contact_id, since);
	rc = db_step(st);
	if (rc == 1) {
		s->n = db_col_int(st, 0);
		if (s->n) {
			time_parse(db_col_text(st, 1), &s->oldest_us);
			time_parse(db_col_text(st, 2), &s->latest_us);
		}
	}
	db_done(st);
	return rc < 0 ? rc : 0;
}

/* When another code may be sent (0: now). */
static int64_t resend_at(const struct sends *s, int64_t now)
{
	int64_t t = 0;
	if (s->n >= CONFIRM_SENDS_PER_DAY)
		t = s->oldest_us + 24 * 3600 * USEC_PER_SEC;
	if (s->n && s->latest_us + CONFIRM_RESEND_US > t)
		t = s->latest_us + CONFIRM_RESEND_US;
	return t > now ? t : 0;
}

static int throttle_check(struct ctx *c, int64_t contact_id, int64_t now)
{
	struct sends s;
	int64_t t;
	int rc = sends_load(c, contact_id, now, &s);
	if (rc)
		return rc;
	if (!(t = resend_at(&s, now)))
		return 0;
	{
		int64_t secs = (t - now + USEC_PER_SEC - 1) / USEC_PER_SEC;
		char *zh, *en;
		if (s.n >= CONFIRM_SENDS_PER_DAY) {
			zh = xasprintf("24 小时内最多发送 %d 次验证码，请改用签名确认或 %" PRId64 " 分钟后再试",
				       CONFIRM_SENDS_PER_DAY, (secs + 59) / 60);
			en = xasprintf("at most %d codes in 24 hours; use a signature or try again in %" PRId64
				       " minutes", CONFIRM_SENDS_PER_DAY, (secs + 59) / 60);
		} else {
			zh = xasprintf("请在 %" PRId64 " 秒后再发送验证码", secs);
			en = xasprintf("send another code in %" PRId64 " seconds", secs);
		}
		ctx_detail(c, zh, en);
		free(zh);
		free(en);
	}
	return ZL_E_CONFIRM_THROTTLED;
}

static void make_code(char code[7])
{
	snprintf(code, 7, "%06u", (unsigned)randombytes_uniform(1000000));
}

/* The SMS text: the visit's date and the code, nothing more personal. */
static char *code_text(int64_t started_us, const char *code)
{
	int y, m, d;
	civil_from_days((started_us / USEC_PER_SEC + ZL_TZ_OFFSET_MIN * 60) / 86400, &y, &m, &d);
	return xasprintf("您好，驻点干部%d月%d日到您家走访。如属实，请把验证码 %s 告诉干部以确认，10分钟内有效。", m, d,
			 code);
}

int confirm_code_send(struct ctx *c, int64_t contact_id, const json_t *in, json_t **out, char *code_out)
{
	struct cf_head h;
	char code[7], hash[65], now_s[ZL_TIME_MAX], exp_s[ZL_TIME_MAX], mask[PII_MASK_MAX], idt[24];
	const char *member = NULL;
	char *phone = NULL, *text = NULL;
	int64_t hid = 0, want = 0, row = 0, msg = 0, now = clock_now();
	int rc;

	if (out)
		*out = NULL;
	if ((rc = head_load(c, contact_id, &h)) || (rc = collect_check(c, &h)))
		return rc;
	{
		int r1 = org_opt_id(c, in, "household_id", &want);
		int r2 = json_opt_string(c, in, "member_name", &member);
		if (r1 < 0 || r2)
			return ZL_E_VALIDATION;
	}
	rc = household_pick(c, contact_id, want, &hid);
	if (member_name_check(c, member) || rc)
		return rc && rc != ZL_E_VALIDATION ? rc : ZL_E_VALIDATION;
	if ((rc = throttle_check(c, contact_id, now)))
		return rc;
	if (!pii_key_loaded())
		return ZL_E_PII_KEY;
	if (!outbound_sms_ready(c->db))
		return ZL_E_OUTBOUND_NO_SMS; /* a code that cannot arrive: sign on the screen instead */
	if ((rc = household_phone(c, hid, &phone, mask)))
		return rc;
	make_code(code);
	time_format_utc(now, now_s);
	time_format_utc(now + CONFIRM_CODE_TTL_US, exp_s);
	if ((rc = supersede_pending(c, contact_id)))
		goto out;
	rc = db_run(c->db,
		    "INSERT INTO contact_confirmation(contact_id, household_id, method, state, member_name, user_id,"
		    " phone_mask, code_hash, expires_at, created_at) VALUES (?, ?, 'sms_code', 'pending', ?, ?, ?, '', ?, ?)",
		    "iitittt", contact_id, hid, member && *member ? member : NULL, c->actor.user_id, mask, exp_s, now_s);
	if (rc)
		goto out;
	row = db_last_id(c->db);
	confirm_code_hash(row, code, hash);
	text = code_text(h.started_us, code);
	audit_id(contact_id, idt);
	rc = outbound_sms_direct(c, phone, text, "contact.confirm_code", "contact", idt, &msg);
	if (!rc)
		rc = db_run(c->db, "UPDATE contact_confirmation SET code_hash = ?, message_id = ? WHERE id = ?", "tii",
			    hash, msg, row);
	if (!rc) {
		json_t *a = json_pack("{s:I,s:I,s:s,s:s,s:I}", "confirmation_id", (json_int_t)row, "household_id",
				      (json_int_t)hid, "phone_mask", mask, "expires_at", exp_s, "message_id",
				      (json_int_t)msg);
		rc = audit_log(c, "contact.confirm_code_sent", "contact", idt, NULL, a);
		json_decref(a);
	}
	if (!rc && out)
		rc = confirm_json(c, contact_id, out);
	if (!rc && code_out)
		memcpy(code_out, code, 7);
out:
	if (text) {
		sodium_memzero(text, strlen(text));
		free(text);
	}
	if (phone) {
		sodium_memzero(phone, strlen(phone));
		free(phone);
	}
	sodium_memzero(code, sizeof(code));
	return rc;
}

int confirm_persists(int rc)
{
	return rc == 0 || rc == ZL_E_CONFIRM_CODE_WRONG || rc == ZL_E_CONFIRM_TOO_MANY;
}

/* The contact's latest code. */
struct code_row {
	int64_t id, household_id, attempts, expires_us;
	char state[16];
	char hash[65];
};

static int code_row_load(struct ctx *c, int64_t contact_id, struct code_row *r)
{
	struct db_stmt *st;
	int rc = db_prepare(c->db,
			    "SELECT id, household_id, attempts, expires_at, state, code_hash FROM contact_confirmation"
			    " WHERE contact_id = ? AND method = 'sms_code' ORDER BY id DESC LIMIT 1",
			    &st);
	memset(r, 0, sizeof(*r));
	if (rc)
		return rc;
	db_bind_int(st, 1, contact_id);
	rc = db_step(st);
	if (rc == 1) {
		r->id = db_col_int(st, 0);
		r->household_id = db_col_int(st, 1);
		r->attempts = db_col_int(st, 2);
		time_parse(db_col_text(st, 3), &r->expires_us);
		snprintf(r->state, sizeof(r->state), "%s", db_col_text(st, 4));
		snprintf(r->hash, sizeof(r->hash), "%s", db_col_text(st, 5) ? db_col_text(st, 5) : "");
	}
	db_done(st);
	return rc < 0 ? rc : rc == 1 ? 0 : ZL_E_NOT_FOUND;
}

/* A wrong code: counted, audited, locked at the last try. */
static int code_wrong(struct ctx *c, int64_t contact_id, const struct code_row *r)
{
	int64_t tries = r->attempts + 1, left = CONFIRM_CODE_TRIES - tries;
	char idt[24];
	json_t *a;
	int rc = db_run(c->db, "UPDATE contact_confirmation SET attempts = ?, state = ? WHERE id = ?", "iti", tries,
			left > 0 ? "pending" : "locked", r->id);
	if (rc)
		return rc;
	audit_id(contact_id, idt);
	a = json_pack("{s:I,s:I,s:b}", "confirmation_id", (json_int_t)r->id, "attempts", (json_int_t)tries, "locked",
		      left <= 0);
	rc = audit_log(c, "contact.confirm_code_wrong", "contact", idt, NULL, a);
	json_decref(a);
	if (rc)
		return rc;
	if (left <= 0)
		return ZL_E_CONFIRM_TOO_MANY;
	{
		char *zh = xasprintf("验证码不正确，还可再试 %" PRId64 " 次", left);
		char *en = xasprintf("the code is wrong; %" PRId64 " tries left", left);
		ctx_detail(c, zh, en);
		free(zh);
		free(en);
	}
	return ZL_E_CONFIRM_CODE_WRONG;
}

int confirm_code_check(struct ctx *c, int64_t contact_id, const json_t *in, json_t **out)
{
	struct cf_head h;
	struct code_row r;
	const char *code = NULL;
	char hash[65], now_s[ZL_TIME_MAX];
	int64_t now = clock_now();
	int rc;

	if (out)
		*out = NULL;
	if ((rc = head_load(c, contact_id, &h)) || (rc = collect_check(c, &h)))
		return rc;
	if ((rc = json_req_string(c, in, "code", &code)))
		return rc;
	if (!confirm_code_valid(code)) {
		verr_add(&c->errs, "code", "验证码应为 6 位数字", "'code' must be 6 digits");
		return ZL_E_VALIDATION;
	}
	rc = code_row_load(c, contact_id, &r);
	if (rc == ZL_E_NOT_FOUND || (!rc && strcmp(r.state, "pending") && strcmp(r.state, "locked")))
		return ZL_E_CONFIRM_NO_CODE;
	if (rc)
		return rc;
	if (!strcmp(r.state, "locked"))
		return ZL_E_CONFIRM_TOO_MANY;
	if (now >= r.expires_us)
		return ZL_E_CONFIRM_CODE_EXPIRED;
	confirm_code_hash(r.id, code, hash);
	if (!r.hash[0] || !str_ct_eq(hash, r.hash))
		return code_wrong(c, contact_id, &r);
	time_format_utc(now, now_s);
	rc = db_run(c->db, "UPDATE contact_confirmation SET state = 'confirmed', confirmed_at = ? WHERE id = ?", "ti",
		    now_s, r.id);
	if (rc)
		return rc == ZL_E_CONFLICT ? ZL_E_CONFIRM_DONE : rc;
	rc = mark_confirmed(c, contact_id, "sms_code",
			    json_pack("{s:s,s:I,s:I,s:I}", "method", "sms_code", "confirmation_id", (json_int_t)r.id,
				      "household_id", (json_int_t)r.household_id, "attempts", (json_int_t)r.attempts));
	return rc || !out ? rc : confirm_json(c, contact_id, out);
}

/* ---- reading ---- */

static json_t *time_local_or_null(const char *utc)
{
	int64_t us;
	char out[ZL_TIME_MAX];
	if (!utc || time_parse(utc, &us))
		return json_null();
	time_format_local(us, out);
	return json_string(out);
}

static json_t *time_json(int64_t us)
{
	char out[ZL_TIME_MAX];
	if (!us)
		return json_null();
	time_format_local(us, out);
	return json_string(out);
}

/* The contact's households, to choose from. Also picks *one's JSON by id. */
static int households_json(struct ctx *c, int64_t contact_id, int64_t pick, json_t **items, json_t **picked)
{
	struct db_stmt *st;
	int rc = db_prepare(c->db,
			    "SELECT h.id, h.code, h.head_name, h.phone_mask, h.phone_enc IS NOT NULL FROM contact_household kh"
			    " JOIN household h ON h.id = kh.household_id WHERE kh.contact_id = ? ORDER BY h.id",
			    &st);
	*items = json_array();
	*picked = json_null();
	if (rc)
		return rc;
	db_bind_int(st, 1, contact_id);
	while ((rc = db_step(st)) == 1) {
		int64_t id = db_col_int(st, 0);
		const char *mask = db_col_text(st, 3);
		json_array_append_new(*items, json_pack("{s:I,s:s,s:s,s:o,s:b}", "id", (json_int_t)id, "code",
							db_col_text(st, 1), "head_name", db_col_text(st, 2),
							"phone_mask", mask ? json_string(mask) : json_null(),
							"has_phone", (int)db_col_int(st, 4)));
		if (id == pick) {
			json_decref(*picked);
			*picked = json_pack("{s:I,s:s,s:s}", "id", (json_int_t)id, "code", db_col_text(st, 1),
					    "head_name", db_col_text(st, 2));
		}
	}
	db_done(st);
	return rc < 0 ? rc : 0;
}

/* Fills o with the confirmed row's fields; *found = 1 when there is one. */
static int confirmed_json(struct ctx *c, int64_t contact_id, json_t *o, int64_t *hid, int *found)
{
	struct db_stmt *st;
	int rc = db_prepare(c->db,
			    "SELECT r.method, r.household_id, r.member_name, r.confirmed_at, r.user_id, u.display_name,"
			    " r.signature_sha256, r.signature_bytes FROM contact_confirmation r"
			    " JOIN app_user u ON u.id = r.user_id WHERE r.contact_id = ? AND r.state = 'confirmed'",
			    &st);
	*found = 0;
	if (rc)
		return rc;
	db_bind_int(st, 1, contact_id);
	rc = db_step(st);
	if (rc == 1) {
		const char *name = db_col_text(st, 2), *sha = db_col_text(st, 6);
		*found = 1;
		*hid = db_col_int(st, 1);
		json_object_set_new(o, "method", json_string(db_col_text(st, 0)));
		json_object_set_new(o, "member_name", name ? json_string(name) : json_null());
		json_object_set_new(o, "confirmed_at", time_local_or_null(db_col_text(st, 3)));
		json_object_set_new(o, "confirmed_by", json_pack("{s:I,s:s}", "id", (json_int_t)db_col_int(st, 4),
								 "display_name", db_col_text(st, 5)));
		if (sha) {
			char *url = xasprintf("/api/v1/contacts/%" PRId64 "/confirmation/signature", contact_id);
			json_object_set_new(o, "signature", json_pack("{s:s,s:s,s:I}", "url", url, "sha256", sha, "bytes",
								      (json_int_t)db_col_int(st, 7)));
			free(url);
		}
	}
	db_done(st);
	return rc < 0 ? rc : 0;
}

/* The latest code while unconfirmed: its JSON, or null. *pending = 1 when
 * it can still be typed. */
static int code_json(struct ctx *c, int64_t contact_id, int64_t now, json_t **code, int64_t *hid, int *pending)
{
	struct db_stmt *st;
	int rc = db_prepare(c->db,
			    "SELECT phone_mask, created_at, expires_at, attempts, state, household_id, member_name"
			    " FROM contact_confirmation WHERE contact_id = ? AND method = 'sms_code'"
			    " ORDER BY id DESC LIMIT 1",
			    &st);
	*code = json_null();
	*pending = 0;
	if (rc)
		return rc;
	db_bind_int(st, 1, contact_id);
	rc = db_step(st);
	if (rc == 1 && strcmp(db_col_text(st, 4), "superseded") != 0) {
		int64_t exp = 0, tries = db_col_int(st, 3);
		const char *state = db_col_text(st, 4);
		time_parse(db_col_text(st, 2), &exp);
		if (!strcmp(state, "pending") && now >= exp)
			state = "expired";
		*pending = !strcmp(state, "pending");
		*hid = db_col_int(st, 5);
		json_decref(*code);
		*code = json_pack("{s:s?,s:o,s:o,s:I,s:I,s:s,s:s?}", "phone_mask", db_col_text(st, 0), "sent_at",
				  time_local_or_null(db_col_text(st, 1)), "expires_at",
				  time_local_or_null(db_col_text(st, 2)), "attempts", (json_int_t)tries, "tries_left",
				  (json_int_t)(tries < CONFIRM_CODE_TRIES ? CONFIRM_CODE_TRIES - tries : 0), "state",
				  state, "member_name", db_col_text(st, 6));
	}
	db_done(st);
	return rc < 0 ? rc : 0;
}

int confirm_json(struct ctx *c, int64_t contact_id, json_t **out)
{
	struct cf_head h;
	struct sends s;
	json_t *o = NULL, *code = NULL, *items = NULL, *picked = NULL;
	int64_t hid = 0, now = clock_now();
	int found = 0, pending = 0, can = 0, rc;

	if (out)
		*out = NULL;
	if ((rc = head_load(c, contact_id, &h)))
		return rc;
	o = json_pack("{s:I,s:s,s:s,s:n,s:n,s:n,s:n,s:n,s:n,s:n}", "contact_id", (json_int_t)contact_id, "status",
		      "none", "method", "none", "household", "member_name", "confirmed_at", "confirmed_by",
		      "signature", "code", "resend_at");
	if ((rc = confirmed_json(c, contact_id, o, &hid, &found)))
		goto out;
	if (!found) {
		if ((rc = code_json(c, contact_id, now, &code, &hid, &pending)) ||
		    (rc = sends_load(c, contact_id, now, &s)))
			goto out;
		json_object_set(o, "code", code);
		json_object_set_new(o, "resend_at", time_json(resend_at(&s, now)));
		json_object_set_new(o, "sends_left", json_integer(s.n < CONFIRM_SENDS_PER_DAY ?
								   CONFIRM_SENDS_PER_DAY - s.n : 0));
		if (pending)
			json_object_set_new(o, "status", json_string("pending"));
		if (!json_is_null(code))
			json_object_set(o, "member_name", json_object_get(code, "member_name"));
		if (perm_allows(c->actor.role, "contact.write")) {
			rc = collect_check(c, &h);
			can = rc == 0;
			if (rc == ZL_E_DB || rc == ZL_E_BUSY || rc == ZL_E_INTERNAL)
				goto out;
			rc = 0;
		}
	} else {
		json_object_set_new(o, "status", json_string("confirmed"));
		json_object_set_new(o, "sends_left", json_integer(0));
	}
	if ((rc = households_json(c, contact_id, hid, &items, &picked)))
		goto out;
	json_object_set(o, "household", picked);
	json_object_set(o, "households", items);
	json_object_set_new(o, "deadline", time_json(h.started_us + CONFIRM_WINDOW_US));
	json_object_set_new(o, "can_confirm", json_boolean(can));
	/* whether a code can be sent at all (an SMS gateway is set up) */
	json_object_set_new(o, "sms_available", json_boolean(outbound_sms_ready(c->db)));
	*out = o;
	o = NULL;
out:
	json_decref(o);
	json_decref(code);
	json_decref(items);
	json_decref(picked);
	return rc;
}

/* ---- HTTP ---- */

/* {id}: a contact id, or the UUID a phone gave a contact it recorded (the
 * record page knows only that until the outbox has sent it). A UUID not in
 * scope is ZL_E_NOT_FOUND like an unknown one. */
static int contact_param(struct req *r, int64_t *id)
{
	const char *p = req_param(r, "id");
	struct buf sql = BUF_INIT;
	int rc;
	if (!p || strlen(p) != 36 || strspn(p, "0123456789abcdefABCDEF-") != 36)
		return req_param_id(r, "id", id);
	buf_adds(&sql, "SELECT k.id FROM contact k WHERE k.uuid = lower(?)");
	scope_sql(&sql, "k.village_code");
	rc = db_get_int(r->ctx.db, id, sql.data, "tt", p, r->ctx.actor.scope_like);
	buf_release(&sql);
	return rc < 0 ? rc : rc == 1 ? 0 : ZL_E_NOT_FOUND;
}

static int h_get(struct req *r, struct resp *w)
{
	json_t *out = NULL;
	int64_t id;
	int rc = contact_param(r, &id);
	if (!rc)
		rc = confirm_json(&r->ctx, id, &out);
	return resp_result(w, rc, 200, out);
}

static int h_sign(struct req *r, struct resp *w)
{
	json_t *out = NULL;
	int64_t id, hid = 0;
	int rc = contact_param(r, &id);
	if (!rc)
		rc = org_query_id(r, "household_id", &hid);
	if (!rc)
		rc = confirm_signature(&r->ctx, id, hid, req_query(r, "member_name"), req_header(r, "Content-Type"),
				       r->body, r->body_len, &out);
	if (rc)
		return rc;
	{
		char loc[96];
		snprintf(loc, sizeof(loc), "/api/v1/contacts/%" PRId64 "/confirmation", id);
		resp_created(w, out, loc);
	}
	return 0;
}

static int h_sign_get(struct req *r, struct resp *w)
{
	char *path = NULL;
	const char *mime = NULL;
	int64_t id;
	int rc = contact_param(r, &id);
	if (!rc)
		rc = confirm_signature_path(&r->ctx, id, &path, &mime);
	if (rc)
		return rc;
	file_send(r, w, path, mime);
	return 0;
}

/* {id} and the JSON body. */
static int id_and_body(struct req *r, int64_t *id, json_t **in)
{
	int rc = contact_param(r, id);
	return rc ? rc : req_json(r, in);
}

static int h_code_send(struct req *r, struct resp *w)
{
	json_t *in = NULL, *out = NULL;
	int64_t id;
	int rc = id_and_body(r, &id, &in);
	if (!rc)
		rc = confirm_code_send(&r->ctx, id, in, &out, NULL);
	return resp_result(w, rc, 202, out);
}

/* Own transaction: a wrong code is counted (committed) and still answers
 * with its problem. */
static int h_code_check(struct req *r, struct resp *w)
{
	json_t *in = NULL, *out = NULL;
	int64_t id;
	int rc = id_and_body(r, &id, &in);
	if (!rc)
		rc = db_begin(r->ctx.db);
	if (rc)
		return rc;
	rc = confirm_code_check(&r->ctx, id, in, &out);
	if (confirm_persists(rc)) {
		int crc = db_commit(r->ctx.db);
		if (crc) {
			db_rollback(r->ctx.db);
			json_decref(out);
			return crc;
		}
	} else {
		db_rollback(r->ctx.db);
	}
	return resp_result(w, rc, 200, out);
}

static const struct route routes[] = {
	{ "GET", "/api/v1/contacts/{id}/confirmation", h_get, "contact.read", 0 },
	{ "POST", "/api/v1/contacts/{id}/confirmation/signature", h_sign, "contact.write", ROUTE_RAW },
	{ "GET", "/api/v1/contacts/{id}/confirmation/signature", h_sign_get, "contact.read", 0 },
	{ "POST", "/api/v1/contacts/{id}/confirmation/code", h_code_send, "contact.write", 0 },
	{ "POST", "/api/v1/contacts/{id}/confirmation/code/check", h_code_check, "contact.write", ROUTE_OWN_TX },
};

ROUTE_TABLE(confirm_routes, "contacts", routes);
