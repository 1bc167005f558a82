/*
 * test_audit.c: the hash-chained audit log: appending, verifying, detecting
 * edited and deleted rows, the append-only triggers, and the list query
 * behind GET /api/v1/audit. Includes audit.c to reach its static functions.
 */
#include "unit.h"

#include "platform/audit.c"

static const char zeros[] = "0000000000000000000000000000000000000000000000000000000000000000";

/* Appends n rows as the system, each in its own transaction. */
static void append_rows(struct db *db, int n)
{
	struct ctx c;
	int i;

	ctx_init_system(&c, db);
	for (i = 0; i < n; i++) {
		char id[16];
		json_t *before = json_pack("{s:i, s:s}", "n", i, "name", "旧");
		json_t *after = json_pack("{s:s, s:i}", "name", "新", "n", i + 1);

		snprintf(id, sizeof(id), "%d", i + 1);
		assert_int_equal(db_begin(db), 0);
		assert_int_equal(audit_log(&c, "thing.update", "thing", id, before, after), 0);
		assert_int_equal(db_commit(db), 0);
		json_decref(before);
		json_decref(after);
	}
	ctx_release(&c);
}

static void expect_bad(struct db *db, int64_t want_bad)
{
	int64_t bad = -1, checked = -1;

	assert_int_equal(audit_verify(db, &bad, &checked), ZL_E_INTEGRITY);
	assert_int_equal(bad, want_bad);
	assert_true(checked >= 1);
}

static void test_append_and_verify(void **state)
{
	struct db *db = unit_db();
	struct db_stmt *st = NULL;
	char prev[65];
	int64_t bad = -1, checked = -1, expect_id = 1;

	(void)state;
	assert_int_equal(audit_verify(db, &bad, &checked), 0); /* empty log */
	assert_int_equal(checked, 0);
	append_rows(db, 5);
	assert_int_equal(audit_verify(db, &bad, &checked), 0);
	assert_int_equal(bad, 0);
	assert_int_equal(checked, 5);

	/* ids run 1..n and each row names the previous row's hash */
	snprintf(prev, sizeof(prev), "%s", zeros);
	assert_int_equal(db_prepare(db, "SELECT id, prev_hash, hash, user_id, username, addr, before_json, "
				    "after_json, at FROM audit_log ORDER BY id", &st), 0);
	while (db_step(st) == 1) {
		int64_t us;

		assert_int_equal(db_col_int(st, 0), expect_id);
		assert_string_equal(db_col_text(st, 1), prev);
		assert_int_equal(strlen(db_col_text(st, 2)), 64);
		assert_string_not_equal(db_col_text(st, 2), prev);
		assert_true(db_col_isnull(st, 3)); /* the system has no user id */
		assert_string_equal(db_col_text(st, 4), "system");
		assert_string_equal(db_col_text(st, 5), "cli");
		assert_int_equal(time_parse(db_col_text(st, 8), &us), 0);
		if (expect_id == 1) {
			/* compact, keys sorted */
			assert_string_equal(db_col_text(st, 6), "{\"n\":0,\"name\":\"旧\"}");
			assert_string_equal(db_col_text(st, 7), "{\"n\":1,\"name\":\"新\"}");
		}
		snprintf(prev, sizeof(prev), "%s", db_col_text(st, 2));
		expect_id++;
	}
	db_done(st);
	assert_int_equal(expect_id, 6);
	db_close(db);
}

static void test_user_actor_and_nulls(void **state)
{
	struct db *db = unit_db();
	struct ctx c;
	char *s = NULL;
	int64_t uid = 0;

	(void)state;
	ctx_init_system(&c, db);
	c.actor.user_id = 17;
	snprintf(c.actor.username, sizeof(c.actor.username), "zhangsan");
	c.addr = "192.0.2.7";
	c.request_id = "req-1";
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(audit_log(&c, "session.reveal", "household", NULL, NULL, NULL), 0);
	assert_int_equal(db_commit(db), 0);
	assert_int_equal(db_get_int(db, &uid, "SELECT user_id FROM audit_log WHERE id = 1", NULL), 1);
	assert_int_equal(uid, 17);
	assert_int_equal(db_get_text(db, &s, "SELECT username || '|' || addr || '|' || request_id FROM audit_log", NULL), 1);
	assert_string_equal(s, "zhangsan|192.0.2.7|req-1");
	free(s);
	assert_int_equal(db_get_int(db, &uid, "SELECT count(*) FROM audit_log WHERE entity_id IS NULL "
				    "AND before_json IS NULL AND after_json IS NULL", NULL), 1);
	assert_int_equal(uid, 1);
	assert_int_equal(audit_verify(db, NULL, NULL), 0);
	ctx_release(&c);
	db_close(db);
}

static void test_outside_tx_refused(void **state)
{
	struct db *db = unit_db();
	struct ctx c;
	int64_t n = -1;

	(void)state;
	ctx_init_system(&c, db);
	assert_int_equal(audit_log(&c, "x.y", "x", "1", NULL, NULL), ZL_E_INTERNAL);
	assert_int_equal(db_get_int(db, &n, "SELECT count(*) FROM audit_log", NULL), 1);
	assert_int_equal(n, 0);
	ctx_release(&c);
	db_close(db);
}

static void test_rolled_back_change_leaves_no_row(void **state)
{
	struct db *db = unit_db();
	struct ctx c;
	int64_t n = -1;

	(void)state;
	append_rows(db, 2);
	ctx_init_system(&c, db);
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(audit_log(&c, "x.y", "x", "1", NULL, NULL), 0);
	db_rollback(db);
	append_rows(db, 1);
	assert_int_equal(db_get_int(db, &n, "SELECT max(id) FROM audit_log", NULL), 1);
	assert_int_equal(n, 3);
	assert_int_equal(audit_verify(db, NULL, &n), 0);
	assert_int_equal(n, 3);
	ctx_release(&c);
	db_close(db);
}

static void test_triggers_reject_changes(void **state)
{
	struct db *db = unit_db();
	char *s = NULL;
	int64_t n = -1;

	(void)state;
	append_rows(db, 3);
	assert_int_equal(db_run(db, "UPDATE audit_log SET after_json = ? WHERE id = 2", "t", "{}"), ZL_E_CONFLICT);
	assert_int_equal(db_run(db, "DELETE FROM audit_log WHERE id = 2", NULL), ZL_E_CONFLICT);
	assert_int_equal(db_get_int(db, &n, "SELECT count(*) FROM audit_log", NULL), 1);
	assert_int_equal(n, 3);
	assert_int_equal(db_get_text(db, &s, "SELECT after_json FROM audit_log WHERE id = 2", NULL), 1);
	assert_string_equal(s, "{\"n\":2,\"name\":\"新\"}");
	free(s);
	assert_int_equal(audit_verify(db, NULL, NULL), 0);
	db_close(db);
}

static void test_edit_detected(void **state)
{
	struct db *db = unit_db();

	(void)state;
	append_rows(db, 5);
	assert_int_equal(db_exec(db, "DROP TRIGGER audit_log_no_update"), 0);
	assert_int_equal(db_run(db, "UPDATE audit_log SET after_json = ? WHERE id = 3", "t",
				"{\"n\":3,\"name\":\"改\"}"), 0);
	expect_bad(db, 3);
	db_close(db);
}

static void test_edit_of_each_field_detected(void **state)
{
	static const char *const edits[] = {
		"UPDATE audit_log SET at = '2020-01-01T00:00:00Z' WHERE id = 2",
		"UPDATE audit_log SET user_id = 5 WHERE id = 2",
		"UPDATE audit_log SET username = 'admin' WHERE id = 2",
		"UPDATE audit_log SET addr = NULL WHERE id = 2",
		"UPDATE audit_log SET addr = '' WHERE id = 2",
		"UPDATE audit_log SET request_id = '' WHERE id = 2", /* NULL -> "" */
		"UPDATE audit_log SET action = 'thing.create' WHERE id = 2",
		"UPDATE audit_log SET entity = 'thin', entity_id = 'g2' WHERE id = 2", /* shifted boundary */
		"UPDATE audit_log SET before_json = NULL WHERE id = 2",
		"UPDATE audit_log SET hash = prev_hash WHERE id = 2",
		"UPDATE audit_log SET id = 20 WHERE id = 2",
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(edits); i++) {
		struct db *db = unit_db();
		int64_t bad = -1;

		append_rows(db, 3);
		assert_int_equal(db_exec(db, "DROP TRIGGER audit_log_no_update"), 0);
		assert_int_equal(db_exec(db, edits[i]), 0);
		assert_int_equal(db_changes(db), 1);
		assert_int_equal(audit_verify(db, &bad, NULL), ZL_E_INTEGRITY);
		/* the moved row is found where it now sits, after row 3 */
		assert_int_equal(bad, strstr(edits[i], "SET id") ? 3 : 2);
		db_close(db);
	}
}

static void test_delete_detected_at_next(void **state)
{
	struct db *db = unit_db();

	(void)state;
	append_rows(db, 5);
	assert_int_equal(db_exec(db, "DROP TRIGGER audit_log_no_delete"), 0);
	assert_int_equal(db_run(db, "DELETE FROM audit_log WHERE id = 3", NULL), 0);
	expect_bad(db, 4);
	db_close(db);

	/* the first row too: the next one no longer starts from zeros */
	db = unit_db();
	append_rows(db, 2);
	assert_int_equal(db_exec(db, "DROP TRIGGER audit_log_no_delete"), 0);
	assert_int_equal(db_run(db, "DELETE FROM audit_log WHERE id = 1", NULL), 0);
	expect_bad(db, 2);
	db_close(db);
}

static void test_hash_encoding_unambiguous(void **state)
{
	struct audit_row a = { 0 }, b;
	char ha[65], hb[65];

	(void)state;
	a.id = 1;
	a.at = "2026-03-02T01:00:00Z";
	a.username = "system";
	a.action = "x.y";
	a.entity = "ab";
	a.entity_id = "c";
	a.prev_hash = zeros;
	row_hash(&a, ha);
	assert_int_equal(strlen(ha), 64);
	b = a;
	row_hash(&b, hb);
	assert_string_equal(ha, hb); /* deterministic */
	b.entity = "a";
	b.entity_id = "bc";
	row_hash(&b, hb);
	assert_string_not_equal(ha, hb);
	b = a;
	b.addr = "";
	row_hash(&b, hb);
	assert_string_not_equal(ha, hb); /* "" is not NULL */
	b = a;
	b.id = 2;
	row_hash(&b, hb);
	assert_string_not_equal(ha, hb);
}

/* ---- the list query ---- */

static void add_row(struct db *db, int64_t user_id, const char *action, const char *entity)
{
	struct ctx c;
	json_t *after = json_pack("{s:s}", "k", "v");

	ctx_init_system(&c, db);
	c.actor.user_id = user_id;
	snprintf(c.actor.username, sizeof(c.actor.username), "u%" PRId64, user_id);
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(audit_log(&c, action, entity, "1", NULL, after), 0);
	assert_int_equal(db_commit(db), 0);
	json_decref(after);
	ctx_release(&c);
}

static json_t *query(struct db *db, const struct audit_filter *f, int limit, int64_t after, int64_t *next)
{
	struct page pg = { limit, after };
	json_t *items = NULL;

	assert_int_equal(audit_query(db, f, &pg, &items, next), 0);
	assert_true(json_is_array(items));
	return items;
}

static void test_query_filters_and_pages(void **state)
{
	struct db *db = unit_db();
	struct audit_filter f = { 0 };
	json_t *items, *it;
	int64_t next = -1;

	(void)state;
	add_row(db, 1, "user.create", "user");     /* 1 */
	add_row(db, 2, "user.update", "user");     /* 2 */
	add_row(db, 1, "region.create", "region"); /* 3 */
	add_row(db, 1, "user.update", "user");     /* 4 */
	add_row(db, 2, "region.update", "region"); /* 5 */

	/* newest first, in pages of two */
	items = query(db, &f, 2, 0, &next);
	assert_int_equal(json_array_size(items), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(items, 0), "id")), 5);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(items, 1), "id")), 4);
	assert_int_equal(next, 4);
	json_decref(items);
	items = query(db, &f, 2, next, &next);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(items, 0), "id")), 3);
	assert_int_equal(next, 2);
	json_decref(items);
	items = query(db, &f, 2, next, &next);
	assert_int_equal(json_array_size(items), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(items, 0), "id")), 1);
	assert_int_equal(next, 0);
	json_decref(items);

	/* an item's fields */
	items = query(db, &f, 1, 0, &next);
	it = json_array_get(items, 0);
	assert_int_equal(json_integer_value(json_object_get(it, "user_id")), 2);
	assert_string_equal(json_string_value(json_object_get(it, "username")), "u2");
	assert_string_equal(json_string_value(json_object_get(it, "action")), "region.update");
	assert_string_equal(json_string_value(json_object_get(it, "entity")), "region");
	assert_string_equal(json_string_value(json_object_get(it, "entity_id")), "1");
	assert_string_equal(json_string_value(json_object_get(it, "addr")), "cli");
	assert_true(json_is_null(json_object_get(it, "request_id")));
	assert_true(json_is_null(json_object_get(it, "before")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(it, "after"), "k")), "v");
	assert_int_equal(strlen(json_string_value(json_object_get(it, "hash"))), 64);
	/* shown in Asia/Shanghai */
	assert_non_null(strstr(json_string_value(json_object_get(it, "at")), "+08:00"));
	json_decref(items);

	/* filters combine */
	f.user_id = 1;
	items = query(db, &f, 50, 0, &next);
	assert_int_equal(json_array_size(items), 3);
	json_decref(items);
	f.entity = "user";
	items = query(db, &f, 50, 0, &next);
	assert_int_equal(json_array_size(items), 2);
	json_decref(items);
	f.action = "user.update";
	items = query(db, &f, 50, 0, &next);
	assert_int_equal(json_array_size(items), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(items, 0), "id")), 4);
	json_decref(items);

	db_close(db);
}

static void test_query_time_range(void **state)
{
	struct db *db = unit_db();
	struct audit_filter f = { 0 };
	struct ctx c;
	json_t *items;
	int64_t next = 0;

	(void)state;
	add_row(db, 1, "a.b", "a");
	/* place the row at a known time, then filter around it */
	assert_int_equal(db_exec(db, "DROP TRIGGER audit_log_no_update"), 0);
	assert_int_equal(db_exec(db, "UPDATE audit_log SET at = '2026-03-02T01:00:00Z'"), 0);
	ctx_init_system(&c, db);
	assert_int_equal(parse_time_arg(&c, "from", "2026-03-02T09:00:00+08:00", f.from), 0);
	assert_string_equal(f.from, "2026-03-02T01:00:00Z");
	assert_int_equal(parse_time_arg(&c, "to", "2026-03-02T09:00:00+08:00", f.to), 0);
	items = query(db, &f, 50, 0, &next);
	assert_int_equal(json_array_size(items), 1); /* both ends inclusive */
	assert_string_equal(json_string_value(json_object_get(json_array_get(items, 0), "at")),
			    "2026-03-02T09:00:00+08:00");
	json_decref(items);
	assert_int_equal(parse_time_arg(&c, "from", "2026-03-02T01:00:01Z", f.from), 0);
	f.to[0] = '\0';
	items = query(db, &f, 50, 0, &next);
	assert_int_equal(json_array_size(items), 0);
	json_decref(items);

	assert_int_equal(c.errs.n, 0);
	assert_int_equal(parse_time_arg(&c, "from", "yesterday", f.from), ZL_E_VALIDATION);
	assert_int_equal(c.errs.n, 1);
	assert_string_equal(c.errs.items[0].field, "from");
	assert_non_null(c.errs.items[0].zh);
	assert_non_null(strstr(c.errs.items[0].en, "'from'"));
	ctx_release(&c);
	db_close(db);
}

static void test_route_table(void **state)
{
	(void)state;
	assert_int_equal(audit_routes.n, 1);
	assert_string_equal(audit_routes.routes[0].method, "GET");
	assert_string_equal(audit_routes.routes[0].pattern, "/api/v1/audit");
	assert_string_equal(audit_routes.routes[0].perm, "audit.read");
	assert_ptr_equal(audit_routes.routes[0].handler, audit_list);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_and_verify),
		cmocka_unit_test(test_user_actor_and_nulls),
		cmocka_unit_test(test_outside_tx_refused),
		cmocka_unit_test(test_rolled_back_change_leaves_no_row),
		cmocka_unit_test(test_triggers_reject_changes),
		cmocka_unit_test(test_edit_detected),
		cmocka_unit_test(test_edit_of_each_field_detected),
		cmocka_unit_test(test_delete_detected_at_next),
		cmocka_unit_test(test_hash_encoding_unambiguous),
		cmocka_unit_test(test_query_filters_and_pages),
		cmocka_unit_test(test_query_time_range),
		cmocka_unit_test(test_route_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
