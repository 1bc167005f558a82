/*
 * outbound_send.c: the delivery side of the outbound queue: the back-off
 * schedule, webhook signatures, and the tick job that sends due messages
 * with libcurl (webhook POST, SMTP, an SMS gateway) outside any transaction.
 */
#include "outbound.h"

#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>

#include "clock.h"
#include "db.h"
#include "households/pii.h"

#define BATCH 100
#define SEND_TIMEOUT_S 5L
/* A run stops starting sends after this long (wall clock), so a tick (and
 * the test clock's POST, and shutdown) never waits on a long queue of slow
 * endpoints; what is left is still due on the next tick. */
#define RUN_BUDGET_S 20
#define ERR_MAX 300

int64_t outbound_backoff(int attempts)
{
	static const int64_t delay[] = { 30, 120, 600, 3600, 6 * 3600 };
	if (attempts < 1 || attempts >= OUTBOUND_MAX_ATTEMPTS)
		return -1;
	return delay[attempts - 1];
}

void outbound_sign(const char *key, const void *body, size_t len, char out[OUTBOUND_SIG_MAX])
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)key, strlen(key));
	crypto_auth_hmacsha256_update(&st, body, len);
	crypto_auth_hmacsha256_final(&st, mac);
	memcpy(out, "sha256=", 7);
	hex_encode(mac, sizeof(mac), out + 7);
}

int outbound_filter_matches(const char *filter, const char *kind)
{
	const char *p = filter;
	size_t klen = kind ? strlen(kind) : 0;
	if (!filter || !kind)
		return 0;
	while (*p) {
		const char *s, *e;
		while (*p == ' ' || *p == ',')
			p++;
		s = p;
		while (*p && *p != ',')
			p++;
		e = p;
		while (e > s && e[-1] == ' ')
			e--;
		size_t n = (size_t)(e - s);
		if (n == 1 && *s == '*')
			return 1;
		if (n == klen && !memcmp(s, kind, n))
			return 1;
		/* "appeal.*" selects every kind that starts with "appeal." */
		if (n >= 2 && s[n - 1] == '*' && s[n - 2] == '.' && klen > n - 1 && !memcmp(s, kind, n - 1))
			return 1;
	}
	return 0;
}

/* ---- the due messages, copied out of the database ---- */

struct due {
	int64_t id, endpoint_id;
	int attempts;
	char *kind, *payload, *ep_kind, *target, *server_url;
	char *text; /* a direct SMS's text, decrypted (NULL: the notice's title) */
	unsigned char *secret_enc;
	size_t secret_len;
};

static char *col_dup(struct db_stmt *st, int i)
{
	const char *s = db_col_text(st, i);
	return s ? xstrdup(s) : NULL;
}

static void due_free(struct due *d, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(d[i].kind);
		free(d[i].payload);
		free(d[i].ep_kind);
		free(d[i].target);
		free(d[i].server_url);
		free(d[i].text);
		free(d[i].secret_enc);
	}
	free(d);
}

static int load_due(struct db *db, const char *now, struct due **out, size_t *n)
{
	struct db_stmt *st = NULL;
	struct due *d = xcalloc(BATCH, sizeof(*d));
	/* a message without an endpoint is an SMS to recipient_enc through the
	 * default gateway (outbound_sms_direct); endpoint_id 0 stands for it */
	/* taken in turns across endpoints (the first due of each, then the
	 * second...), so a backlog to one failing endpoint never starves the
	 * others of the batch */
	int rc = db_prepare(db, "SELECT m.id, coalesce(m.endpoint_id, 0), m.attempts, m.kind, m.payload_json, "
				"coalesce(e.kind, 'sms'), e.target, e.server_url, e.secret_enc, m.recipient_enc, m.text_enc, "
				"row_number() OVER (PARTITION BY m.endpoint_id ORDER BY m.next_attempt_at, m.id) AS turn "
				"FROM outbound_message m LEFT JOIN outbound_endpoint e ON e.id = m.endpoint_id "
				"WHERE m.state = 'pending' AND m.next_attempt_at <= ? AND "
				"(e.active = 1 OR m.endpoint_id IS NULL) ORDER BY turn, m.next_attempt_at, m.id LIMIT ?", &st);
	*out = NULL;
	*n = 0;
	if (rc < 0) {
		free(d);
		return rc;
	}
	db_bindv(st, "ti", now, (int64_t)BATCH);
	while (*n < BATCH && (rc = db_step(st)) == 1) {
		struct due *x = &d[(*n)++];
		const void *blob;
		x->id = db_col_int(st, 0);
		x->endpoint_id = db_col_int(st, 1);
		x->attempts = (int)db_col_int(st, 2);
		x->kind = col_dup(st, 3);
		x->payload = col_dup(st, 4);
		x->ep_kind = col_dup(st, 5);
		x->target = col_dup(st, 6);
		x->server_url = col_dup(st, 7);
		if ((blob = db_col_blob(st, 8, &x->secret_len)) && x->secret_len) {
			x->secret_enc = xmalloc(x->secret_len);
			memcpy(x->secret_enc, blob, x->secret_len);
		}
		if (!x->endpoint_id) {
			size_t len = 0;
			free(x->target);
			x->target = NULL;
			/* a phone that no longer opens (no key) is sent as failed */
			if ((blob = db_col_blob(st, 9, &len)) && len && pii_decrypt(blob, len, &x->target) < 0)
				x->target = NULL;
			if ((blob = db_col_blob(st, 10, &len)) && len && pii_decrypt(blob, len, &x->text) < 0)
				x->text = NULL;
		}
	}
	db_done(st);
	if (rc < 0) {
		due_free(d, *n);
		*n = 0;
		return rc;
	}
	*out = d;
	return 0;
}

/* ---- settings ---- */

struct send_cfg {
	char *smtp_url, *smtp_from, *smtp_user, *smtp_password;
	char *sms_url, *sms_method, *sms_body;
};

static char *setting(struct db *db, const char *key)
{
	char *v = NULL;
	if (db_get_text(db, &v, "SELECT value FROM setting WHERE key = ?", "t", key) != 1 || (v && !*v)) {
		free(v);
		return NULL;
	}
	return v;
}

static void cfg_load(struct db *db, struct send_cfg *g)
{
	g->smtp_url = setting(db, "outbound.smtp_url");
	g->smtp_from = setting(db, "outbound.smtp_from");
	g->smtp_user = setting(db, "outbound.smtp_user");
	g->smtp_password = setting(db, "outbound.smtp_password");
	g->sms_url = setting(db, "outbound.sms_url");
	g->sms_method = setting(db, "outbound.sms_method");
	g->sms_body = setting(db, "outbound.sms_body");
}

static void cfg_free(struct send_cfg *g)
{
	free(g->smtp_url);
	free(g->smtp_from);
	free(g->smtp_user);
	free(g->smtp_password);
	free(g->sms_url);
	free(g->sms_method);
	free(g->sms_body);
}

/* ---- transports: 0 on success, else -1 with err filled ---- */

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

static CURL *easy_new(void)
{
	CURL *h = curl_easy_init();
	if (!h)
		return NULL;
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, SEND_TIMEOUT_S);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, SEND_TIMEOUT_S);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	return h;
}

/* Performs h; success is CURLE_OK and, for HTTP, a 2xx status. */
static int perform(CURL *h, int http, struct buf *err)
{
	long status = 0;
	CURLcode cc = curl_easy_perform(h);
	if (cc != CURLE_OK) {
		buf_addf(err, "%s", curl_easy_strerror(cc));
		return -1;
	}
	if (http) {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		if (status < 200 || status > 299) {
			buf_addf(err, "HTTP %ld", status);
			return -1;
		}
	}
	return 0;
}

static int send_webhook(const struct due *d, struct buf *err)
{
	char sig[OUTBOUND_SIG_MAX], *secret = NULL;
	struct curl_slist *hdr = NULL;
	struct buf line = BUF_INIT;
	CURL *h;
	int rc;

	if (d->secret_enc && pii_decrypt(d->secret_enc, d->secret_len, &secret) < 0) {
		buf_adds(err, "the endpoint secret cannot be decrypted (personal data key)");
		return -1;
	}
	if (!(h = easy_new())) {
		free(secret);
		buf_adds(err, "curl_easy_init failed");
		return -1;
	}
	hdr = curl_slist_append(hdr, "Content-Type: application/json");
	hdr = curl_slist_append(hdr, "User-Agent: zhilian-outbound/1");
	hdr = curl_slist_append(hdr, "Expect:");
	buf_addf(&line, "X-Zhilian-Event: %s", d->kind);
	hdr = curl_slist_append(hdr, line.data);
	buf_reset(&line);
	buf_addf(&line, "X-Zhilian-Delivery: %" PRId64, d->id);
	hdr = curl_slist_append(hdr, line.data);
	if (secret) {
		outbound_sign(secret, d->payload, strlen(d->payload), sig);
		buf_reset(&line);
		buf_addf(&line, "X-Zhilian-Signature: %s", sig);
		hdr = curl_slist_append(hdr, line.data);
		sodium_memzero(secret, strlen(secret));
		free(secret);
	}
	curl_easy_setopt(h, CURLOPT_URL, d->target);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, d->payload);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(d->payload));
	rc = perform(h, 1, err);
	curl_easy_cleanup(h);
	curl_slist_free_all(hdr);
	buf_release(&line);
	return rc;
}

/* The title fields of a payload (borrowed from p). */
static const char *payload_str(json_t *p, const char *field)
{
	const char *s = json_string_value(json_object_get(p, field));
	return s ? s : "";
}

static void add_base64(struct buf *b, const void *data, size_t len, int wrap)
{
	size_t n = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
	char *tmp = xmalloc(n);
	sodium_bin2base64(tmp, n, data, len, sodium_base64_VARIANT_ORIGINAL);
	for (size_t i = 0, l = strlen(tmp); i < l; i += 76) {
		buf_add(b, tmp + i, l - i < 76 ? l - i : 76);
		if (wrap)
			buf_adds(b, "\r\n");
	}
	free(tmp);
}

static void rfc5322_date(int64_t us, struct buf *b)
{
	static const char *const wd[] = { "Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed" };
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	int64_t s = us / USEC_PER_SEC, days = s / 86400, sod = s % 86400;
	int y, m, d;
	civil_from_days(days, &y, &m, &d);
	buf_addf(b, "%s, %d %s %04d %02d:%02d:%02d +0000", wd[days % 7], d, mon[m - 1], y, (int)(sod / 3600),
		 (int)(sod / 60 % 60), (int)(sod % 60));
}

/* The whole mail (headers and a base64 text body). */
static void build_mail(const struct due *d, const char *from, struct buf *m)
{
	json_t *p = json_loads(d->payload, 0, NULL);
	struct buf subj = BUF_INIT, body = BUF_INIT;
	buf_addf(&subj, "[直联] %s", payload_str(p, "title_zh"));
	buf_addf(&body, "%s\n%s\n\n", payload_str(p, "title_zh"), payload_str(p, "title_en"));
	buf_addf(&body, "event: %s\n", d->kind);
	if (*payload_str(p, "entity"))
		buf_addf(&body, "entity: %s %s\n", payload_str(p, "entity"), payload_str(p, "entity_id"));
	buf_addf(&body, "time: %s\n", payload_str(p, "created_at"));
	buf_adds(m, "Date: ");
	rfc5322_date(clock_now(), m);
	buf_addf(m, "\r\nFrom: <%s>\r\nTo: <%s>\r\nSubject: =?UTF-8?B?", from, d->target);
	add_base64(m, subj.data, subj.len, 0);
	buf_addf(m, "?=\r\nMessage-ID: <outbound-%" PRId64 "-%d@zhilian>\r\n", d->id, d->attempts);
	buf_adds(m, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n"
		    "Content-Transfer-Encoding: base64\r\n");
	buf_addf(m, "X-Zhilian-Event: %s\r\n\r\n", d->kind);
	add_base64(m, body.data, body.len, 1);
	buf_release(&subj);
	buf_release(&body);
	json_decref(p);
}

struct reader {
	const char *p;
	size_t left;
};

static size_t read_mail(char *out, size_t size, size_t n, void *arg)
{
	struct reader *r = arg;
	size_t k = size * n < r->left ? size * n : r->left;
	memcpy(out, r->p, k);
	r->p += k;
	r->left -= k;
	return k;
}

static int send_email(const struct due *d, const struct send_cfg *g, struct buf *err)
{
	const char *url = d->server_url ? d->server_url : g->smtp_url;
	const char *from = g->smtp_from ? g->smtp_from : "zhilian@localhost";
	struct buf mail = BUF_INIT, addr = BUF_INIT;
	struct curl_slist *rcpt = NULL;
	struct reader rd;
	CURL *h;
	int rc;

	if (!url) {
		buf_adds(err, "no SMTP server: set 'outbound.smtp_url' or the endpoint's server_url");
		return -1;
	}
	if (!(h = easy_new())) {
		buf_adds(err, "curl_easy_init failed");
		return -1;
	}
	build_mail(d, from, &mail);
	rd.p = mail.data;
	rd.left = mail.len;
	buf_addf(&addr, "<%s>", d->target);
	rcpt = curl_slist_append(rcpt, addr.data);
	buf_reset(&addr);
	buf_addf(&addr, "<%s>", from);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, addr.data);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
	if (g->smtp_user)
		curl_easy_setopt(h, CURLOPT_USERNAME, g->smtp_user);
	if (g->smtp_password)
		curl_easy_setopt(h, CURLOPT_PASSWORD, g->smtp_password);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, read_mail);
	curl_easy_setopt(h, CURLOPT_READDATA, &rd);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	rc = perform(h, 0, err);
	curl_easy_cleanup(h);
	curl_slist_free_all(rcpt);
	buf_release(&mail);
	buf_release(&addr);
	return rc;
}

/* tmpl with {phone} and {text} replaced by their URL-encoded values. */
static void fill_template(CURL *h, const char *tmpl, const char *phone, const char *text, struct buf *out)
{
	char *ep = curl_easy_escape(h, phone, 0), *et = curl_easy_escape(h, text, 0);
	for (const char *p = tmpl; *p;) {
		if (!strncmp(p, "{phone}", 7)) {
			buf_adds(out, ep ? ep : "");
			p += 7;
		} else if (!strncmp(p, "{text}", 6)) {
			buf_adds(out, et ? et : "");
			p += 6;
		} else {
			buf_addch(out, *p++);
		}
	}
	curl_free(ep);
	curl_free(et);
}

static int send_sms(const struct due *d, const struct send_cfg *g, struct buf *err)
{
	const char *tmpl = d->server_url ? d->server_url : g->sms_url;
	int post = g->sms_method && !strcasecmp(g->sms_method, "POST");
	struct buf url = BUF_INIT, body = BUF_INIT, text = BUF_INIT;
	json_t *p;
	CURL *h;
	int rc;

	if (!tmpl) {
		buf_adds(err, "no SMS gateway: set 'outbound.sms_url' or the endpoint's server_url");
		return -1;
	}
	if (!(h = easy_new())) {
		buf_adds(err, "curl_easy_init failed");
		return -1;
	}
	if (!d->target || (!d->endpoint_id && !d->text)) {
		buf_adds(err, "the recipient's phone or the text cannot be decrypted: is the personal-data key loaded?");
		curl_easy_cleanup(h);
		return -1;
	}
	p = json_loads(d->payload, 0, NULL);
	/* a direct SMS carries its own text; an endpoint's, the notice's title */
	buf_addf(&text, "【直联】%s", d->text ? d->text : payload_str(p, "title_zh"));
	json_decref(p);
	fill_template(h, tmpl, d->target, text.data, &url);
	curl_easy_setopt(h, CURLOPT_URL, url.data);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	if (post) {
		fill_template(h, g->sms_body ? g->sms_body : "phone={phone}&text={text}", d->target, text.data,
			      &body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.data);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)body.len);
	}
	rc = perform(h, 1, err);
	curl_easy_cleanup(h);
	buf_release(&url);
	buf_release(&body);
	buf_release(&text);
	return rc;
}

/* ---- the job ---- */

static int record(struct db *db, const struct due *d, int ok, const char *err, int64_t now_us)
{
	char now[ZL_TIME_MAX], next[ZL_TIME_MAX];
	int attempts = d->attempts + 1, rc;
	int64_t wait = outbound_backoff(attempts);
	char msg[ERR_MAX + 1];

	time_format_utc(now_us, now);
	snprintf(msg, sizeof(msg), "%s", err ? err : "");
	if ((rc = db_begin(db)) < 0)
		return rc;
	if (ok)
		rc = db_run(db, "UPDATE outbound_message SET state = 'sent', attempts = ?, sent_at = ?, "
				"last_error = NULL WHERE id = ? AND state = 'pending'", "iti", (int64_t)attempts, now, d->id);
	else if (wait < 0)
		rc = db_run(db, "UPDATE outbound_message SET state = 'dead', attempts = ?, last_error = ?, dead_at = ? "
				"WHERE id = ? AND state = 'pending'", "itti", (int64_t)attempts, msg, now, d->id);
	else {
		time_format_utc(now_us + wait * USEC_PER_SEC, next);
		rc = db_run(db, "UPDATE outbound_message SET attempts = ?, next_attempt_at = ?, last_error = ? "
				"WHERE id = ? AND state = 'pending'", "itti", (int64_t)attempts, next, msg, d->id);
	}
	if (rc < 0) {
		db_rollback(db);
		return rc;
	}
	return db_commit(db);
}

static double monotonic_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int endpoint_failed(const int64_t *ids, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id)
			return 1;
	return 0;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_start(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Deletes up to 1000 sent messages older than 'outbound.keep_days' days (0
 * or less: keep them all), in one short transaction. */
static int purge_sent(struct db *db, int64_t now_us)
{
	char *v = setting(db, "outbound.keep_days"), before[ZL_TIME_MAX];
	int64_t days = 30;
	int rc;
	if (v && parse_int64(v, &days))
		days = 30;
	free(v);
	if (days <= 0)
		return 0;
	time_format_utc(now_us - days * 24 * 3600 * USEC_PER_SEC, before);
	if ((rc = db_begin(db)) < 0)
		return rc;
	rc = db_run(db, "DELETE FROM outbound_message WHERE id IN (SELECT id FROM outbound_message WHERE "
			"state = 'sent' AND sent_at < ? LIMIT 1000)", "t", before);
	if (rc < 0) {
		db_rollback(db);
		return rc;
	}
	return db_commit(db);
}

int outbound_run(struct db *db, int64_t now_us)
{
	char now[ZL_TIME_MAX];
	struct send_cfg g = { 0 };
	struct due *d = NULL;
	int64_t failed[BATCH];
	size_t n = 0, nfailed = 0;
	int rc, attempted = 0;
	double start = monotonic_s();

	pthread_once(&curl_once, curl_start);
	time_format_utc(now_us, now);
	if ((rc = load_due(db, now, &d, &n)) < 0)
		return rc;
	if (n)
		cfg_load(db, &g);
	for (size_t i = 0; i < n && rc >= 0 && monotonic_s() - start < RUN_BUDGET_S; i++) {
		struct buf err = BUF_INIT;
		int sent;
		/* one failure per endpoint and run: the rest wait for the next tick
		 * instead of each timing out against the same dead host */
		if (endpoint_failed(failed, nfailed, d[i].endpoint_id))
			continue;
		if (!strcmp(d[i].ep_kind, "webhook"))
			sent = send_webhook(&d[i], &err);
		else if (!strcmp(d[i].ep_kind, "email"))
			sent = send_email(&d[i], &g, &err);
		else
			sent = send_sms(&d[i], &g, &err);
		rc = record(db, &d[i], sent == 0, err.data, now_us);
		attempted++;
		if (sent != 0)
			failed[nfailed++] = d[i].endpoint_id;
		if (sent != 0)
			fprintf(stderr, "zhilian: outbound message %" PRId64 " to endpoint %" PRId64 " failed: %s\n",
				d[i].id, d[i].endpoint_id, err.data);
		buf_release(&err);
	}
	cfg_free(&g);
	due_free(d, n);
	if (rc >= 0)
		rc = purge_sent(db, now_us);
	return rc < 0 ? rc : attempted;
}

void outbound_tick(void)
{
	int rc = outbound_run(db_thread(), clock_now());
	if (rc < 0)
		fprintf(stderr, "zhilian: outbound delivery job failed: %s\n", zl_error_info(rc)->name);
}
