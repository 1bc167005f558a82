/*
 * test_outbound.c: outbound delivery: the back-off schedule, the webhook
 * signature (RFC 4231 / a known HMAC-SHA256 vector), event filters, queueing
 * in the notifying transaction (nothing for a rolled-back change), and the
 * job's retry bookkeeping against a port that refuses connections.
 */
#include "unit.h"

#include <jansson.h>
#include <sodium.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_signature),
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_enqueue_in_tx),
		cmocka_unit_test(test_retry_bookkeeping),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
