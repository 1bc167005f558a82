/*
 * test_outbound.c: outbound delivery: the back-off schedule, the webhook
 * signature (RFC 4231 / a known HMAC-SHA256 vector), event filters, queueing
 * in the notifying transaction (nothing for a rolled-back change), and the
 * job's retry bookkeeping against a port that refuses connections.
 */
#include "unit.h"

#include <jansson.h>
#include <sodium.h>

#include "households/pii.h"
#include "platform/clock.h"
#include "platform/notify.h"
#include "platform/outbound.h"

#define T0 "2026-03-02T01:00:00Z"

static void test_backoff(void **state)
{
	(void)state;
	assert_int_equal(outbound_backoff(0), -1);
	assert_int_equal(outbound_backoff(1), 30);
	assert_int_equal(outbound_backoff(2), 120);
	assert_int_equal(outbound_backoff(3), 600);
	assert_int_equal(outbound_backoff(4), 3600);
	assert_int_equal(outbound_backoff(5), 6 * 3600);
	assert_int_equal(outbound_backoff(OUTBOUND_MAX_ATTEMPTS), -1);
	assert_int_equal(outbound_backoff(99), -1);
}

static void test_signature(void **state)
{
	char sig[OUTBOUND_SIG_MAX];
	const char *msg = "The quick brown fox jumps over the lazy dog";
	(void)state;
	assert_true(sodium_init() >= 0);
	outbound_sign("key", msg, strlen(msg), sig);
	assert_string_equal(sig, "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
	/* a key longer than the block size is hashed first (RFC 4231 case 6) */
	{
		char key[132];
		memset(key, 0xaa, 131);
		key[131] = '\0';
		msg = "Test Using Larger Than Block-Size Key - Hash Key First";
		outbound_sign(key, msg, strlen(msg), sig);
		assert_string_equal(sig, "sha256=60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
	}
	/* a different body, a different signature */
	outbound_sign("key", "{}", 2, sig);
	assert_string_not_equal(sig, "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
}

static void test_filter(void **state)
{
	(void)state;
	assert_true(outbound_filter_matches("*", "appeal.new"));
	assert_true(outbound_filter_matches("appeal.new", "appeal.new"));
	assert_true(outbound_filter_matches("handover.in, appeal.new", "appeal.new"));
	assert_true(outbound_filter_matches("appeal.*", "appeal.escalated"));
	assert_false(outbound_filter_matches("appeal.*", "appeal"));
	assert_false(outbound_filter_matches("appeal.*", "appeals.x"));
	assert_false(outbound_filter_matches("appeal.new", "appeal.newer"));
	assert_false(outbound_filter_matches("appeal.newer", "appeal.new"));
	assert_false(outbound_filter_matches("", "appeal.new"));
	assert_false(outbound_filter_matches(",,", "appeal.new"));
	assert_false(outbound_filter_matches("handover.*", "appeal.new"));
}

static int64_t count(struct db *db, const char *sql)
{
	int64_t n = -1;
	assert_int_equal(db_get_int(db, &n, sql, ""), 1);
	return n;
}

static struct db *queue_db(struct ctx *c)
{
	struct db *db = unit_db();
	int64_t t0;
	assert_int_equal(time_parse(T0, &t0), 0);
	clock_test_enable();
	clock_test_set(t0);
	ctx_init_system(c, db);
	assert_int_equal(db_exec(db,
		"INSERT INTO app_user(id, username, display_name, role, scope_code, password_hash, created_at, updated_at) "
		"VALUES (7, 'c7', '干部', 'cadre', '440881104201', 'x', '" T0 "', '" T0 "');"
		/* port 1 on loopback refuses at once */
		"INSERT INTO outbound_endpoint(id, kind, target, events, active, created_at, updated_at) VALUES "
		"(1, 'webhook', 'http://127.0.0.1:1/hook', 'appeal.*', 1, '" T0 "', '" T0 "'),"
		"(2, 'webhook', 'http://127.0.0.1:1/other', 'handover.in', 1, '" T0 "', '" T0 "'),"
		"(3, 'webhook', 'http://127.0.0.1:1/off', '*', 0, '" T0 "', '" T0 "');"), 0);
	return db;
}

static void test_enqueue_in_tx(void **state)
{
	struct ctx c;
	struct db *db = queue_db(&c);
	char *payload = NULL;
	json_t *p;
	(void)state;

	/* rolled back: neither the notice nor its outbound copy */
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(notify_user(&c, 7, "appeal.new", "新诉求", "new appeal", "appeal", "5"), 0);
	assert_int_equal(count(db, "SELECT COUNT(*) FROM outbound_message"), 1);
	db_rollback(db);
	assert_int_equal(count(db, "SELECT COUNT(*) FROM outbound_message"), 0);

	/* committed: one message for the matching active endpoint only */
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(notify_user(&c, 7, "appeal.new", "新诉求", "new appeal", "appeal", "5"), 0);
	assert_int_equal(db_commit(db), 0);
	assert_int_equal(count(db, "SELECT COUNT(*) FROM outbound_message WHERE endpoint_id = 1 AND state = "
				   "'pending' AND attempts = 0 AND next_attempt_at = '" T0 "'"), 1);
	assert_int_equal(count(db, "SELECT COUNT(*) FROM outbound_message"), 1);
	assert_int_equal(db_get_text(db, &payload, "SELECT payload_json FROM outbound_message", ""), 1);
	p = json_loads(payload, 0, NULL);
	assert_non_null(p);
	assert_string_equal(json_string_value(json_object_get(p, "event")), "appeal.new");
	assert_int_equal(json_integer_value(json_object_get(p, "user_id")), 7);
	assert_string_equal(json_string_value(json_object_get(p, "entity_id")), "5");
	assert_string_equal(json_string_value(json_object_get(p, "title_en")), "new appeal");
	json_decref(p);
	free(payload);
	ctx_release(&c);
	db_close(db);
}

static void test_retry_bookkeeping(void **state)
{
	struct ctx c;
	struct db *db = queue_db(&c);
	int64_t t0, step[] = { 30, 120, 600, 3600, 6 * 3600 };
	char *err = NULL;
	(void)state;

	assert_int_equal(time_parse(T0, &t0), 0);
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(notify_user(&c, 7, "appeal.escalated", "提级", "escalated", "appeal", "5"), 0);
	assert_int_equal(db_commit(db), 0);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(outbound_run(db, t0), 1);
		assert_int_equal(count(db, "SELECT attempts FROM outbound_message"), i + 1);
		assert_int_equal(count(db, "SELECT state = 'pending' FROM outbound_message"), 1);
		/* not due again before the back-off has passed */
		assert_int_equal(outbound_run(db, t0 + (step[i] - 1) * USEC_PER_SEC), 0);
		t0 += step[i] * USEC_PER_SEC;
	}
	assert_int_equal(outbound_run(db, t0), 1);
	assert_int_equal(count(db, "SELECT state = 'dead' AND attempts = 6 FROM outbound_message"), 1);
	assert_int_equal(db_get_text(db, &err, "SELECT last_error FROM outbound_message", ""), 1);
	assert_non_null(err);
	assert_true(strlen(err) > 0);
	free(err);
	assert_int_equal(outbound_run(db, t0 + 86400 * USEC_PER_SEC), 0);

	/* two due messages to one failing endpoint: one attempt per run */
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(notify_user(&c, 7, "appeal.new", "新诉求", "new appeal", "appeal", "6"), 0);
	assert_int_equal(notify_user(&c, 7, "appeal.new", "新诉求", "new appeal", "appeal", "7"), 0);
	assert_int_equal(db_commit(db), 0);
	assert_int_equal(outbound_run(db, t0), 1);
	assert_int_equal(count(db, "SELECT COUNT(*) FROM outbound_message WHERE state = 'pending' AND attempts = 0"), 1);
	assert_int_equal(outbound_run(db, t0), 1);
	assert_int_equal(count(db, "SELECT COUNT(*) FROM outbound_message WHERE state = 'pending' AND attempts = 1"), 2);
	ctx_release(&c);
	db_close(db);
}


static int after_runs;
static void after_hook(void)
{
	after_runs++;
}

/* db_after_commit: run after COMMIT only, forgotten on rollback, once. */
static void test_after_commit(void **state)
{
	struct db *db = unit_db();
	(void)state;
	after_runs = 0;
	assert_int_equal(db_begin(db), 0);
	db_after_commit(db, after_hook);
	db_after_commit(db, after_hook);
	assert_int_equal(after_runs, 0);
	db_rollback(db);
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_commit(db), 0);
	assert_int_equal(after_runs, 0);
	assert_int_equal(db_begin(db), 0);
	db_after_commit(db, after_hook);
	assert_int_equal(db_commit(db), 0);
	assert_int_equal(after_runs, 1);
	db_after_commit(db, after_hook); /* no transaction: at once */
	assert_int_equal(after_runs, 2);
	db_close(db);
}

/* A direct SMS: validated, the phone encrypted and masked, sent through the
 * default gateway with retries; dead_at when it gives up; sent ones purged
 * after 'outbound.keep_days'. */
static void test_sms_direct(void **state)
{
	struct ctx c;
	struct db *db = queue_db(&c);
	char dir[] = "/tmp/zl-ob-XXXXXX", *key, *err = NULL, *plain = NULL;
	const void *blob;
	size_t len = 0;
	struct db_stmt *st = NULL;
	int64_t t0, id = 0;
	(void)state;

	assert_non_null(mkdtemp(dir));
	key = xasprintf("%s/k.key", dir);
	assert_int_equal(pii_key_load(key, 1), 0);
	assert_int_equal(time_parse(T0, &t0), 0);
	assert_int_equal(db_exec(db, "UPDATE outbound_endpoint SET active = 0;"
				     "INSERT INTO setting(key, value) VALUES ('outbound.sms_url', "
				     "'http://127.0.0.1:1/sms?to={phone}&t={text}') ON CONFLICT(key) DO UPDATE "
				     "SET value = excluded.value"), 0);

	assert_int_equal(db_begin(db), 0);
	assert_int_equal(outbound_sms_direct(&c, "12345", "", "appeal.feedback_ask", NULL, NULL, NULL),
			 ZL_E_VALIDATION);
	assert_int_equal(c.errs.n, 2);
	verr_release(&c.errs);
	assert_int_equal(outbound_sms_direct(&c, "+86 138 0013 8000", "您的诉求已办结", "appeal.feedback_ask",
					     "appeal", "5", &id), 0);
	assert_int_equal(db_commit(db), 0);
	assert_true(id > 0);
	assert_int_equal(count(db, "SELECT COUNT(*) FROM outbound_message WHERE endpoint_id IS NULL AND "
				   "recipient_mask = '138****8000' AND state = 'pending'"), 1);
	/* neither the phone nor the text is in the clear anywhere in the row */
	assert_int_equal(count(db, "SELECT COUNT(*) FROM outbound_message WHERE payload_json LIKE '%13800138000%'"
				   " OR payload_json LIKE '%办结%'"), 0);
	assert_int_equal(db_prepare(db, "SELECT text_enc FROM outbound_message WHERE id = ?", &st), 0);
	db_bindv(st, "i", id);
	assert_int_equal(db_step(st), 1);
	blob = db_col_blob(st, 0, &len);
	assert_int_equal(pii_decrypt(blob, len, &plain), 0);
	db_done(st);
	assert_string_equal(plain, "您的诉求已办结");
	free(plain);
	assert_int_equal(db_prepare(db, "SELECT recipient_enc FROM outbound_message WHERE id = ?", &st), 0);
	db_bindv(st, "i", id);
	assert_int_equal(db_step(st), 1);
	blob = db_col_blob(st, 0, &len);
	assert_int_equal(pii_decrypt(blob, len, &plain), 0);
	db_done(st);
	assert_string_equal(plain, "13800138000");
	free(plain);

	/* the gateway refuses: retried like any message, then dead with its time */
	for (int i = 0; i < OUTBOUND_MAX_ATTEMPTS; i++) {
		assert_int_equal(outbound_run(db, t0), 1);
		if (i < OUTBOUND_MAX_ATTEMPTS - 1)
			t0 += outbound_backoff(i + 1) * USEC_PER_SEC;
	}
	assert_int_equal(count(db, "SELECT COUNT(*) FROM outbound_message WHERE state = 'dead' AND dead_at IS NOT NULL"),
			 1);
	assert_int_equal(db_get_text(db, &err, "SELECT last_error FROM outbound_message", ""), 1);
	assert_non_null(strstr(err, "connect"));
	free(err);

	/* sent messages older than keep_days go; newer ones and dead ones stay */
	assert_int_equal(db_exec(db, "UPDATE outbound_message SET state = 'sent', sent_at = '2026-01-01T00:00:00Z';"
				     "INSERT INTO outbound_message(endpoint_id, kind, payload_json, state, next_attempt_at, "
				     "created_at, sent_at) VALUES (1, 'x', '{}', 'sent', '" T0 "', '" T0 "', '" T0 "'),"
				     "(1, 'x', '{}', 'dead', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z', NULL)"), 0);
	assert_int_equal(outbound_run(db, t0), 0);
	assert_int_equal(count(db, "SELECT COUNT(*) FROM outbound_message"), 2);
	assert_int_equal(count(db, "SELECT COUNT(*) FROM outbound_message WHERE state = 'sent' AND sent_at = '" T0 "'"),
			 1);
	pii_key_unload();
	free(key);
	key = xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(key), 0);
	free(key);
	ctx_release(&c);
	db_close(db);
}

/* A backlog to one endpoint does not fill the batch: every endpoint with a
 * due message gets its turn in the same run. */
static void test_turns_across_endpoints(void **state)
{
	struct ctx c;
	struct db *db = queue_db(&c);
	int64_t t0;
	(void)state;
	assert_int_equal(time_parse(T0, &t0), 0);
	assert_int_equal(db_exec(db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 150) "
				     "INSERT INTO outbound_message(endpoint_id, kind, payload_json, next_attempt_at, created_at) "
				     "SELECT 1, 'appeal.new', '{}', '2026-03-01T00:00:00Z', '" T0 "' FROM n;"
				     "INSERT INTO outbound_message(endpoint_id, kind, payload_json, next_attempt_at, created_at) "
				     "VALUES (2, 'handover.in', '{}', '" T0 "', '" T0 "')"), 0);
	assert_int_equal(outbound_run(db, t0), 2);
	assert_int_equal(count(db, "SELECT attempts FROM outbound_message WHERE endpoint_id = 2"), 1);
	assert_int_equal(count(db, "SELECT COUNT(*) FROM outbound_message WHERE endpoint_id = 1 AND attempts = 1"), 1);
	ctx_release(&c);
	db_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_signature),
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_enqueue_in_tx),
		cmocka_unit_test(test_retry_bookkeeping),
		cmocka_unit_test(test_after_commit),
		cmocka_unit_test(test_sms_direct),
		cmocka_unit_test(test_turns_across_endpoints),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
