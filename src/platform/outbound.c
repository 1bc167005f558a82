/*
 * outbound.c: the outbound queue's write side and its admin API: queueing a
 * notification for every matching endpoint (from notify_user), endpoints,
 * the message list (the dead letters) and replay. Sending is in
 * outbound_send.c.
 */
#include "outbound.h"

#include <sodium.h>

#include "audit.h"
#include "clock.h"
#include "db.h"
#include "households/pii.h"

#define EP_COLS "id, kind, target, server_url, secret_enc IS NOT NULL, events, active, created_at, updated_at"
#define MSG_COLS "id, endpoint_id, notification_id, kind, state, attempts, next_attempt_at, last_error, " \
		 "created_at, sent_at, payload_json, recipient_mask, dead_at"
#define SECRET_MIN 16
#define SECRET_MAX 256

static json_t *time_json(const char *stored)
{
	int64_t us;
	char out[ZL_TIME_MAX];
	if (!stored || time_parse(stored, &us) < 0)
		return json_null();
	time_format_local(us, out);
	return json_string(out);
}

int outbound_enqueue(struct ctx *c, int64_t notification_id, int64_t user_id, const char *kind,
		     const char *title_zh, const char *title_en, const char *entity,
		     const char *entity_id, const char *created_utc)
{
	struct db_stmt *st = NULL;
	json_t *payload;
	char *text;
	int64_t *ids = NULL;
	size_t n = 0, alloc = 0;
	int rc;

	/* the filters are matched in C (outbound_filter_matches), so that the
	 * rule lives in one place */
	if ((rc = db_prepare(c->db, "SELECT id, events FROM outbound_endpoint WHERE active = 1 ORDER BY id", &st)) < 0)
		return rc;
	while ((rc = db_step(st)) == 1) {
		if (!outbound_filter_matches(db_col_text(st, 1), kind))
			continue;
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 8;
			ids = xrealloc(ids, alloc * sizeof(*ids));
		}
		ids[n++] = db_col_int(st, 0);
	}
	db_done(st);
	if (rc < 0 || n == 0) {
		free(ids);
		return rc < 0 ? rc : 0;
	}
	payload = json_pack("{s:s,s:I,s:I,s:s,s:s,s:s?,s:s?,s:o}", "event", kind, "notification_id",
			    (json_int_t)notification_id, "user_id", (json_int_t)user_id, "title_zh", title_zh,
			    "title_en", title_en, "entity", entity, "entity_id", entity_id, "created_at",
			    time_json(created_utc));
	text = json_dumps(payload, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(payload);
	for (size_t i = 0; i < n && rc >= 0; i++)
		rc = db_run(c->db,
			    "INSERT INTO outbound_message(endpoint_id, notification_id, kind, payload_json, state, "
			    "attempts, next_attempt_at, created_at) VALUES (?, ?, ?, ?, 'pending', 0, ?, ?)",
			    "iitttt", ids[i], notification_id, kind, text, created_utc, created_utc);
	free(text);
	free(ids);
	if (rc >= 0)
		db_after_commit(c->db, server_tick_wake);
	return rc < 0 ? rc : 0;
}

int outbound_sms_ready(struct db *db)
{
	char *url = NULL;
	int set = db_get_text(db, &url, "SELECT value FROM setting WHERE key = 'outbound.sms_url'", "") == 1 && url &&
		  *url;
	free(url);
	return set;
}

int outbound_sms_direct(struct ctx *c, const char *phone, const char *text, const char *kind,
			const char *entity, const char *entity_id, int64_t *id)
{
	char mobile[12], mask[PII_MASK_MAX], hash[PII_HASH_HEX], text_hash[PII_HASH_HEX], now[ZL_TIME_MAX];
	unsigned char *blob = NULL, *text_blob = NULL;
	size_t blob_len = 0, text_len = 0;
	json_t *payload;
	char *json;
	long n = text ? utf8_len(text) : -1;
	int rc;

	if (!phone || pii_mobile_check(phone, mobile))
		verr_add(&c->errs, "phone", "手机号应为 11 位大陆手机号", "'phone' must be an 11-digit mainland mobile number");
	if (n < 1 || n > 300)
		verr_add(&c->errs, "text", "短信内容应为 1-300 个字", "'text' must be 1-300 characters");
	if (!kind || !*kind)
		verr_add(&c->errs, "kind", "缺少消息类型", "'kind' is required");
	if (c->errs.n)
		return ZL_E_VALIDATION;
	if ((rc = pii_encrypt(mobile, &blob, &blob_len)) < 0)
		return rc;
	if ((rc = pii_encrypt(text, &text_blob, &text_len)) < 0) {
		free(blob);
		return rc;
	}
	pii_hash(mobile, hash);
	pii_hash(text, text_hash);
	pii_mask_phone(mobile, mask, sizeof(mask));
	time_format_utc(clock_now(), now);
	/* the text itself only encrypted: it may carry a code */
	payload = json_pack("{s:s,s:I,s:s?,s:s?,s:o}", "event", kind, "text_chars", (json_int_t)n, "entity", entity,
			    "entity_id", entity_id, "created_at", time_json(now));
	json = json_dumps(payload, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(payload);
	rc = db_run(c->db,
		    "INSERT INTO outbound_message(endpoint_id, kind, payload_json, state, attempts, next_attempt_at, "
		    "created_at, recipient_enc, recipient_hash, recipient_mask, text_enc, text_hash) VALUES (NULL, ?, ?, "
		    "'pending', 0, ?, ?, ?, ?, ?, ?, ?)", "ttttbttbt", kind, json, now, now, blob, blob_len, hash, mask,
		    text_blob, text_len, text_hash);
	free(json);
	free(blob);
	free(text_blob);
	if (rc < 0)
		return rc;
	if (id)
		*id = db_last_id(c->db);
	db_after_commit(c->db, server_tick_wake);
	return 0;
}

/* ---- endpoints ---- */

static json_t *endpoint_json(struct db_stmt *st)
{
	return json_pack("{s:I,s:s,s:s,s:s?,s:b,s:s,s:b,s:o,s:o}", "id", (json_int_t)db_col_int(st, 0), "kind",
			 db_col_text(st, 1), "target", db_col_text(st, 2), "server_url", db_col_text(st, 3),
			 "has_secret", (int)db_col_int(st, 4), "events", db_col_text(st, 5), "active",
			 (int)db_col_int(st, 6), "created_at", time_json(db_col_text(st, 7)), "updated_at",
			 time_json(db_col_text(st, 8)));
}

/* One row by id through sql ("... WHERE id = ?") made JSON by row(). */
static int load_one(struct ctx *c, const char *sql, json_t *(*row)(struct db_stmt *), int64_t id, json_t **out)
{
	struct db_stmt *st = NULL;
	int rc = db_prepare(c->db, sql, &st);
	*out = NULL;
	if (rc < 0)
		return rc;
	db_bindv(st, "i", id);
	if ((rc = db_step(st)) == 1)
		*out = row(st);
	db_done(st);
	return rc == 1 ? 0 : rc < 0 ? rc : ZL_E_NOT_FOUND;
}

static int endpoint_load(struct ctx *c, int64_t id, json_t **out)
{
	return load_one(c, "SELECT " EP_COLS " FROM outbound_endpoint WHERE id = ?", endpoint_json, id, out);
}

/* The endpoint as the audit log keeps it: a phone number masked. */
/* A URL with its query replaced by "?…": gateway and webhook URLs often
 * carry an API key there, which the audit log must not keep. */
static void mask_query(json_t *o, const char *field)
{
	const char *u = json_string_value(json_object_get(o, field)), *q = u ? strchr(u, '?') : NULL;
	char *m;
	if (!q)
		return;
	m = xasprintf("%.*s?…", (int)(q - u), u);
	json_object_set_new(o, field, json_string(m));
	free(m);
}

static json_t *endpoint_audit(const json_t *ep)
{
	json_t *a = json_deep_copy(ep);
	if (!strcmp(json_string_value(json_object_get(a, "kind")), "sms")) {
		char masked[PII_MASK_MAX];
		pii_mask_phone(json_string_value(json_object_get(a, "target")), masked, sizeof(masked));
		json_object_set_new(a, "target", json_string(masked));
	} else if (!strcmp(json_string_value(json_object_get(a, "kind")), "webhook")) {
		mask_query(a, "target");
	}
	mask_query(a, "server_url");
	return a;
}

int outbound_endpoint_list(struct ctx *c, json_t **items)
{
	struct db_stmt *st = NULL;
	/* with what waits and what died, so that messages held by an inactive
	 * endpoint (they wait until it is active again) do not go unseen */
	int rc = db_prepare(c->db, "SELECT " EP_COLS ", (SELECT count(*) FROM outbound_message m WHERE m.endpoint_id = "
				   "outbound_endpoint.id AND m.state = 'pending'), (SELECT count(*) FROM "
				   "outbound_message m WHERE m.endpoint_id = outbound_endpoint.id AND m.state = 'dead') "
				   "FROM outbound_endpoint ORDER BY id", &st);
	*items = NULL;
	if (rc < 0)
		return rc;
	*items = json_array();
	while ((rc = db_step(st)) == 1) {
		json_t *ep = endpoint_json(st);
		json_object_set_new(ep, "pending", json_integer(db_col_int(st, 9)));
		json_object_set_new(ep, "dead", json_integer(db_col_int(st, 10)));
		json_array_append_new(*items, ep);
	}
	db_done(st);
	if (rc < 0) {
		json_decref(*items);
		*items = NULL;
		return rc;
	}
	return 0;
}

static int has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

static int prefix_is(const char *s, const char *p)
{
	return !strncasecmp(s, p, strlen(p));
}

static void check_target(struct ctx *c, const char *kind, const char *t)
{
	size_t n = strlen(t);
	if (!n || n > 500 || has_ctl(t)) {
		verr_add(&c->errs, "target", "目标应为 1-500 个字符", "'target' must be 1-500 characters");
	} else if (!strcmp(kind, "webhook")) {
		if (!prefix_is(t, "http://") && !prefix_is(t, "https://"))
			verr_add(&c->errs, "target", "网络回调地址应以 http:// 或 https:// 开头",
				 "'target' must be an http:// or https:// url");
	} else if (!strcmp(kind, "email")) {
		const char *at = strchr(t, '@');
		if (!at || at == t || !at[1] || strchr(at + 1, '@') || strpbrk(t, " <>,;\"()"))
			verr_add(&c->errs, "target", "邮箱地址无效", "'target' is not a valid email address");
	} else {
		size_t digits = 0;
		for (const char *p = t; *p; p++)
			if (*p >= '0' && *p <= '9')
				digits++;
			else if (!(*p == '+' && p == t))
				digits = 99;
		if (digits < 5 || digits > 20)
			verr_add(&c->errs, "target", "手机号码无效", "'target' is not a valid phone number");
	}
}

static void check_server_url(struct ctx *c, const char *kind, const char *u)
{
	if (strlen(u) > 500 || has_ctl(u)) {
		verr_add(&c->errs, "server_url", "服务器地址过长或含控制字符", "'server_url' is too long or has control characters");
	} else if (!strcmp(kind, "email")) {
		if (!prefix_is(u, "smtp://") && !prefix_is(u, "smtps://"))
			verr_add(&c->errs, "server_url", "邮件服务器地址应以 smtp:// 或 smtps:// 开头",
				 "'server_url' must be an smtp:// or smtps:// url");
	} else if (!strcmp(kind, "sms")) {
		if ((!prefix_is(u, "http://") && !prefix_is(u, "https://")) || !strstr(u, "{phone}"))
			verr_add(&c->errs, "server_url", "短信网关地址应以 http(s):// 开头并含 {phone}",
				 "'server_url' must be an http(s):// url template with {phone}");
	} else {
		verr_add(&c->errs, "server_url", "网络回调不使用服务器地址", "'server_url' is not used by a webhook");
	}
}

static void check_events(struct ctx *c, const char *e)
{
	size_t n = strlen(e);
	int ok = n > 0 && n <= 500;
	for (const char *p = e; ok && *p; p++)
		ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("._*-, ", *p);
	if (!ok)
		verr_add(&c->errs, "events", "事件应为 * 或以逗号分隔的通知类型",
			 "'events' must be * or a comma list of notification kinds");
}

/* The secret given (validated) or a new random one; NULL when neither applies. */
static int take_secret(struct ctx *c, const json_t *in, const char *kind, int generate, char **secret)
{
	const char *s = NULL;
	int rc;
	*secret = NULL;
	/* "secret": true asks the server for a new one (it is shown once) */
	if (json_is_true(json_object_get(in, "secret")))
		generate = 1;
	else if ((rc = json_opt_string(c, in, "secret", &s)))
		return rc;
	if (s && strcmp(kind, "webhook")) {
		verr_add(&c->errs, "secret", "只有网络回调使用密钥", "'secret' is only used by a webhook");
	} else if (s) {
		size_t n = strlen(s);
		if (n < SECRET_MIN || n > SECRET_MAX || has_ctl(s))
			verr_add(&c->errs, "secret", "密钥应为 16-256 个字符", "'secret' must be 16-256 characters");
		else
			*secret = xstrdup(s);
	} else if (generate && strcmp(kind, "webhook") && json_is_true(json_object_get(in, "secret"))) {
		verr_add(&c->errs, "secret", "只有网络回调使用密钥", "'secret' is only used by a webhook");
	} else if (generate && !strcmp(kind, "webhook")) {
		unsigned char rnd[32];
		*secret = xmalloc(sizeof(rnd) * 2 + 1);
		randombytes_buf(rnd, sizeof(rnd));
		hex_encode(rnd, sizeof(rnd), *secret);
	}
	return 0;
}

static int opt_bool(struct ctx *c, const json_t *in, const char *field, int *out)
{
	json_t *v = json_object_get(in, field);
	if (!v)
		return 0;
	if (!json_is_boolean(v)) {
		verr_add(&c->errs, field, "应为 true 或 false", "a boolean (true or false) is required");
		return 0;
	}
	*out = json_is_true(v);
	return 0;
}

static int store_secret(struct ctx *c, int64_t id, const char *secret)
{
	unsigned char *blob = NULL;
	size_t len = 0;
	char hash[PII_HASH_HEX];
	int rc = pii_encrypt(secret, &blob, &len);
	if (rc < 0)
		return rc;
	pii_hash(secret, hash);
	rc = db_run(c->db, "UPDATE outbound_endpoint SET secret_enc = ?, secret_hash = ? WHERE id = ?", "bti", blob,
		    len, hash, id);
	free(blob);
	return rc;
}

static int finish(struct ctx *c, const char *action, int64_t id, json_t *before, const char *secret, json_t **out)
{
	json_t *after = NULL, *ab = NULL, *aa = NULL;
	char ids[24];
	int rc = endpoint_load(c, id, &after);
	if (rc < 0)
		return rc;
	snprintf(ids, sizeof(ids), "%" PRId64, id);
	ab = before ? endpoint_audit(before) : NULL;
	aa = endpoint_audit(after);
	rc = audit_log(c, action, "outbound_endpoint", ids, ab, aa);
	json_decref(ab);
	json_decref(aa);
	if (rc < 0) {
		json_decref(after);
		return rc;
	}
	if (secret)
		json_object_set_new(after, "secret", json_string(secret));
	*out = after;
	return 0;
}

int outbound_endpoint_create(struct ctx *c, const json_t *in, json_t **out)
{
	const char *kind = NULL, *target = NULL, *server_url = NULL, *events = NULL;
	char now[ZL_TIME_MAX], *secret = NULL;
	int active = 1, rc;
	int64_t id;

	*out = NULL;
	if ((rc = json_opt_string(c, in, "kind", &kind)) || (rc = json_opt_string(c, in, "target", &target)) ||
	    (rc = json_opt_string(c, in, "server_url", &server_url)) ||
	    (rc = json_opt_string(c, in, "events", &events)) || (rc = opt_bool(c, in, "active", &active)))
		return rc;
	if (!kind)
		verr_required(c, "kind");
	else if (strcmp(kind, "webhook") && strcmp(kind, "email") && strcmp(kind, "sms"))
		verr_add(&c->errs, "kind", "类型应为 webhook、email 或 sms", "'kind' must be webhook, email or sms");
	else {
		if (!target)
			verr_required(c, "target");
		else
			check_target(c, kind, target);
		if (server_url)
			check_server_url(c, kind, server_url);
		if ((rc = take_secret(c, in, kind, 1, &secret)))
			return rc;
	}
	if (events)
		check_events(c, events);
	if (c->errs.n) {
		free(secret);
		return ZL_E_VALIDATION;
	}
	time_format_utc(clock_now(), now);
	rc = db_run(c->db, "INSERT INTO outbound_endpoint(kind, target, server_url, events, active, created_at, "
			   "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)", "ttttitt", kind, target, server_url,
		    events ? events : "*", (int64_t)active, now, now);
	id = db_last_id(c->db);
	if (rc >= 0 && secret)
		rc = store_secret(c, id, secret);
	if (rc >= 0)
		rc = finish(c, "outbound.endpoint_create", id, NULL, secret, out);
	if (secret)
		sodium_memzero(secret, strlen(secret));
	free(secret);
	return rc < 0 ? rc : 0;
}

int outbound_endpoint_update(struct ctx *c, int64_t id, const json_t *patch, json_t **out)
{
	const char *target = NULL, *server_url = NULL, *events = NULL, *kind;
	json_t *before = NULL, *su = json_object_get(patch, "server_url");
	char now[ZL_TIME_MAX], *secret = NULL;
	int active = -1, rc;

	*out = NULL;
	if ((rc = endpoint_load(c, id, &before)) < 0)
		return rc;
	kind = json_string_value(json_object_get(before, "kind"));
	if ((rc = json_opt_string(c, patch, "target", &target)) ||
	    (su && !json_is_null(su) && (rc = json_opt_string(c, patch, "server_url", &server_url))) ||
	    (rc = json_opt_string(c, patch, "events", &events)) || (rc = opt_bool(c, patch, "active", &active)) ||
	    (rc = take_secret(c, patch, kind, 0, &secret)))
		goto out;
	if (json_object_get(patch, "kind"))
		verr_add(&c->errs, "kind", "类型不能修改", "'kind' cannot be changed");
	if (target)
		check_target(c, kind, target);
	if (server_url)
		check_server_url(c, kind, server_url);
	if (events)
		check_events(c, events);
	if (c->errs.n) {
		rc = ZL_E_VALIDATION;
		goto out;
	}
	time_format_utc(clock_now(), now);
	rc = db_run(c->db, "UPDATE outbound_endpoint SET target = COALESCE(?, target), server_url = CASE WHEN ? "
			   "THEN ? ELSE server_url END, events = COALESCE(?, events), active = CASE WHEN ? < 0 THEN "
			   "active ELSE ? END, updated_at = ? WHERE id = ?", "tittiiti", target,
		    (int64_t)(su != NULL), server_url, events, (int64_t)active, (int64_t)active, now, id);
	if (rc >= 0 && secret)
		rc = store_secret(c, id, secret);
	if (rc >= 0)
		rc = finish(c, "outbound.endpoint_update", id, before, secret, out);
out:
	json_decref(before);
	if (secret)
		sodium_memzero(secret, strlen(secret));
	free(secret);
	return rc < 0 ? rc : 0;
}

/* ---- messages ---- */

static json_t *message_json(struct db_stmt *st)
{
	json_t *payload = json_loads(db_col_text(st, 10), 0, NULL);
	/* endpoint_id null: an SMS to a person (recipient, masked) */
	return json_pack("{s:I,s:o,s:s?,s:o,s:o,s:s,s:s,s:I,s:o,s:s?,s:o,s:o,s:o}", "id",
			 (json_int_t)db_col_int(st, 0), "endpoint_id",
			 db_col_isnull(st, 1) ? json_null() : json_integer(db_col_int(st, 1)), "recipient",
			 db_col_text(st, 11), "dead_at", time_json(db_col_text(st, 12)), "notification_id",
			 db_col_isnull(st, 2) ? json_null() : json_integer(db_col_int(st, 2)), "kind",
			 db_col_text(st, 3), "state", db_col_text(st, 4), "attempts", (json_int_t)db_col_int(st, 5),
			 "next_attempt_at", time_json(db_col_text(st, 6)), "last_error", db_col_text(st, 7),
			 "created_at", time_json(db_col_text(st, 8)), "sent_at", time_json(db_col_text(st, 9)),
			 "payload", payload ? payload : json_null());
}

int outbound_message_list(struct ctx *c, const struct page *p, const char *state, int64_t endpoint_id,
			  json_t **items, int64_t *next)
{
	struct db_stmt *st = NULL;
	int limit = p && p->limit > 0 ? p->limit : 50, rc;
	int64_t after = p ? p->after : 0;

	*items = NULL;
	*next = 0;
	if (state && strcmp(state, "pending") && strcmp(state, "sent") && strcmp(state, "dead")) {
		verr_add(&c->errs, "state", "状态应为 pending、sent 或 dead", "'state' must be pending, sent or dead");
		return ZL_E_VALIDATION;
	}
	rc = db_prepare(c->db, "SELECT " MSG_COLS " FROM outbound_message WHERE (? IS NULL OR state = ?) AND "
			       "(? = 0 OR endpoint_id = ?) AND (? = 0 OR id < ?) ORDER BY id DESC LIMIT ?", &st);
	if (rc < 0)
		return rc;
	db_bindv(st, "ttiiiii", state, state, endpoint_id, endpoint_id, after, after, (int64_t)limit + 1);
	return page_collect(st, limit, message_json, items, next);
}

static int message_load(struct ctx *c, int64_t id, json_t **out)
{
	return load_one(c, "SELECT " MSG_COLS " FROM outbound_message WHERE id = ?", message_json, id, out);
}

int outbound_message_replay(struct ctx *c, int64_t id, json_t **out)
{
	json_t *before = NULL, *ab, *aa;
	char now[ZL_TIME_MAX], ids[24];
	int rc;

	*out = NULL;
	if ((rc = message_load(c, id, &before)) < 0)
		return rc;
	if (strcmp(json_string_value(json_object_get(before, "state")), "dead")) {
		json_decref(before);
		return ZL_E_OUTBOUND_NOT_DEAD;
	}
	time_format_utc(clock_now(), now);
	rc = db_run(c->db, "UPDATE outbound_message SET state = 'pending', attempts = 0, next_attempt_at = ?, "
			   "dead_at = NULL WHERE id = ?", "ti", now, id);
	if (rc >= 0)
		rc = message_load(c, id, out);
	if (rc >= 0) {
		/* the audit keeps the delivery state, not the payload */
		ab = json_pack("{s:O,s:O}", "state", json_object_get(before, "state"), "attempts",
			       json_object_get(before, "attempts"));
		aa = json_pack("{s:O,s:O}", "state", json_object_get(*out, "state"), "attempts",
			       json_object_get(*out, "attempts"));
		snprintf(ids, sizeof(ids), "%" PRId64, id);
		rc = audit_log(c, "outbound.replay", "outbound_message", ids, ab, aa);
		json_decref(ab);
		json_decref(aa);
	}
	json_decref(before);
	if (rc < 0) {
		json_decref(*out);
		*out = NULL;
	}
	return rc < 0 ? rc : 0;
}

/* ---- routes ---- */

static int h_ep_list(struct req *r, struct resp *w)
{
	json_t *items = NULL;
	int rc = outbound_endpoint_list(&r->ctx, &items);
	if (rc < 0)
		return rc;
	resp_json(w, 200, page_result(items, 0));
	return 0;
}

static int h_ep_create(struct req *r, struct resp *w)
{
	json_t *in, *out = NULL;
	int rc = req_json(r, &in);
	if (rc < 0 || (rc = outbound_endpoint_create(&r->ctx, in, &out)) < 0)
		return rc;
	resp_created_id(w, out, "/api/v1/outbound/endpoints/");
	return 0;
}

static int h_ep_update(struct req *r, struct resp *w)
{
	json_t *in, *out = NULL;
	int64_t id;
	int rc = req_param_id(r, "id", &id);
	if (rc < 0 || (rc = req_json(r, &in)) < 0 || (rc = outbound_endpoint_update(&r->ctx, id, in, &out)) < 0)
		return rc;
	resp_json(w, 200, out);
	return 0;
}

static int h_msg_list(struct req *r, struct resp *w)
{
	struct page p;
	json_t *items = NULL;
	int64_t next = 0, ep = 0;
	const char *e = req_query(r, "endpoint_id");
	int rc = req_page(r, &p);
	if (rc < 0)
		return rc;
	if (e && (parse_int64(e, &ep) || ep < 1)) {
		verr_add(&r->ctx.errs, "endpoint_id", "endpoint_id 应为正整数", "'endpoint_id' must be a positive integer");
		return ZL_E_VALIDATION;
	}
	if ((rc = outbound_message_list(&r->ctx, &p, req_query(r, "state"), ep, &items, &next)) < 0)
		return rc;
	resp_json(w, 200, page_result(items, next));
	return 0;
}

static int h_msg_replay(struct req *r, struct resp *w)
{
	json_t *out = NULL;
	int64_t id;
	int rc = req_param_id(r, "id", &id);
	if (rc < 0 || (rc = outbound_message_replay(&r->ctx, id, &out)) < 0)
		return rc;
	resp_json(w, 200, out);
	return 0;
}

static const struct route routes[] = {
	{ "GET", "/api/v1/outbound/endpoints", h_ep_list, "outbound.read", 0 },
	{ "POST", "/api/v1/outbound/endpoints", h_ep_create, "outbound.write", ROUTE_NO_IDEM },
	{ "PATCH", "/api/v1/outbound/endpoints/{id}", h_ep_update, "outbound.write", ROUTE_NO_IDEM },
	{ "GET", "/api/v1/outbound/messages", h_msg_list, "outbound.read", 0 },
	{ "POST", "/api/v1/outbound/messages/{id}/replay", h_msg_replay, "outbound.write", 0 },
};

ROUTE_TABLE(outbound_routes, "outbound", routes);
