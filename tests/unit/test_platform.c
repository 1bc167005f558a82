/*
 * test_platform.c: the router, problem+json, the clock and time formats,
 * CSRF, idempotency records, cursors, buffers and the error table.
 * Includes server.c to reach its static functions.
 */
#include "../../src/platform/server.c"

#include "unit.h"

static int h_dummy(struct req *r, struct resp *w)
{
	UNUSED(r);
	UNUSED(w);
	return 0;
}

static const struct route test_list[] = {
	{ "GET", "/api/v1/users", h_dummy, "user.read", 0 },
	{ "POST", "/api/v1/users", h_dummy, "user.write", 0 },
	{ "GET", "/api/v1/users/{id}", h_dummy, "user.read", 0 },
	{ "PATCH", "/api/v1/users/{id}", h_dummy, "user.write", 0 },
	{ "GET", "/api/v1/users/me", h_dummy, NULL, ROUTE_SELF },
	{ "GET", "/api/v1/regions/{code}/children/{kind}", h_dummy, NULL, 0 },
	{ "GET", "/open311/v2/requests.{format}", h_dummy, NULL, ROUTE_PUBLIC },
	{ "GET", "/open311/v2/requests/{id}.{format}", h_dummy, NULL, ROUTE_PUBLIC },
};
ROUTE_TABLE(test_table, "test", test_list);

static struct router *test_router(void)
{
	const struct route_table *t[] = { &test_table };
	return router_new(t, 1);
}

static void router_matches_literals_and_params(void **state)
{
	struct router *rt = test_router();
	struct route_match m;
	UNUSED(state);

	assert_int_equal(router_match(rt, "GET", "/api/v1/users", &m), 0);
	assert_string_equal(m.route->perm, "user.read");
	route_match_release(&m);

	assert_int_equal(router_match(rt, "GET", "/api/v1/users/42", &m), 0);
	assert_ptr_equal(m.route, &test_list[2]);
	assert_int_equal(m.nparams, 1);
	assert_int_equal(m.params[0].name_len, 2);
	assert_memory_equal(m.params[0].name, "id", 2);
	assert_string_equal(m.params[0].value, "42");
	route_match_release(&m);

	/* a literal segment beats a parameter */
	assert_int_equal(router_match(rt, "GET", "/api/v1/users/me", &m), 0);
	assert_ptr_equal(m.route, &test_list[4]);
	route_match_release(&m);

	assert_int_equal(router_match(rt, "GET", "/api/v1/regions/440881104201/children/group", &m), 0);
	assert_int_equal(m.nparams, 2);
	assert_string_equal(m.params[0].value, "440881104201");
	assert_string_equal(m.params[1].value, "group");
	route_match_release(&m);

	/* parameters inside a segment */
	assert_int_equal(router_match(rt, "GET", "/open311/v2/requests.json", &m), 0);
	assert_string_equal(m.params[0].value, "json");
	route_match_release(&m);
	assert_int_equal(router_match(rt, "GET", "/open311/v2/requests/A1.b.xml", &m), 0);
	assert_string_equal(m.params[0].value, "A1.b");
	assert_string_equal(m.params[1].value, "xml");
	route_match_release(&m);

	/* HEAD is answered by GET routes */
	assert_int_equal(router_match(rt, "HEAD", "/api/v1/users", &m), 0);
	route_match_release(&m);
	router_free(rt);
}

static void router_404_and_405(void **state)
{
	struct router *rt = test_router();
	struct route_match m;
	UNUSED(state);

	assert_int_equal(router_match(rt, "GET", "/api/v1/nothing", &m), ZL_E_NOT_FOUND);
	assert_int_equal(router_match(rt, "GET", "/api/v1/users/", &m), ZL_E_NOT_FOUND);
	assert_int_equal(router_match(rt, "GET", "/api/v1/users/1/x", &m), ZL_E_NOT_FOUND);
	assert_int_equal(router_match(rt, "GET", "/api/v1", &m), ZL_E_NOT_FOUND);
	assert_int_equal(router_match(rt, "GET", "/open311/v2/requests.", &m), ZL_E_NOT_FOUND);
	assert_int_equal(router_match(rt, "GET", "", &m), ZL_E_NOT_FOUND);

	assert_int_equal(router_match(rt, "DELETE", "/api/v1/users", &m), ZL_E_METHOD);
	assert_string_equal(m.allow, "GET, POST");
	assert_int_equal(router_match(rt, "PUT", "/api/v1/users/7", &m), ZL_E_METHOD);
	assert_string_equal(m.allow, "GET, PATCH");
	router_free(rt);
}

static void problem_json_shape_and_language(void **state)
{
	struct ctx c;
	json_t *p;
	UNUSED(state);
	memset(&c, 0, sizeof(c));
	c.request_id = "r1";

	p = problem_json(ZL_E_AUTH_LOCKED, &c, "/api/v1/session");
	assert_string_equal(json_string_value(json_object_get(p, "type")), "urn:zhilian:problem:auth.locked");
	assert_int_equal(json_integer_value(json_object_get(p, "status")), 423);
	assert_string_equal(json_string_value(json_object_get(p, "code")), "auth.locked");
	assert_string_equal(json_string_value(json_object_get(p, "instance")), "/api/v1/session");
	assert_string_equal(json_string_value(json_object_get(p, "request_id")), "r1");
	assert_non_null(strstr(json_string_value(json_object_get(p, "title")), "锁定"));
	assert_null(json_object_get(p, "errors"));
	json_decref(p);

	c.lang = LANG_EN;
	verr_add(&c.errs, "password", "密码太短", "'password' is too short");
	p = problem_json(ZL_E_VALIDATION, &c, NULL);
	assert_int_equal(json_integer_value(json_object_get(p, "status")), 422);
	assert_string_equal(json_string_value(json_object_get(p, "title")), "some fields are invalid");
	assert_int_equal(json_array_size(json_object_get(p, "errors")), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(p, "errors"), 0), "field")), "password");
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(p, "errors"), 0), "message")),
			    "'password' is too short");
	json_decref(p);

	/* a detail replaces the generic text, in the chosen language */
	ctx_detail(&c, "没有该用户", "no user \"x\"");
	p = problem_json(ZL_E_NOT_FOUND, &c, NULL);
	assert_string_equal(json_string_value(json_object_get(p, "detail")), "no user \"x\"");
	json_decref(p);
	ctx_release(&c);
}

static void error_table_is_complete(void **state)
{
	size_t n;
	const struct zl_error_info *t = zl_error_table(&n);
	UNUSED(state);
	for (size_t i = 0; i < n; i++) {
		assert_true(t[i].http_status >= 200 && t[i].http_status < 600);
		assert_true(strlen(t[i].zh) > 0 && strlen(t[i].en) > 0);
		for (size_t j = i + 1; j < n; j++) {
			assert_int_not_equal(t[i].code, t[j].code);
			assert_string_not_equal(t[i].name, t[j].name);
		}
	}
	/* unknown codes fall back to the internal error */
	assert_int_equal(zl_error_info(-99999)->http_status, 500);
}

static void clock_formats_and_parses(void **state)
{
	char out[ZL_TIME_MAX];
	int64_t us, days;
	UNUSED(state);

	assert_int_equal(time_parse("2026-03-02T09:00:00+08:00", &us), 0);
	time_format_utc(us, out);
	assert_string_equal(out, "2026-03-02T01:00:00Z");
	time_format_local(us, out);
	assert_string_equal(out, "2026-03-02T09:00:00+08:00");
	/* a local time just after midnight is the previous day in UTC */
	assert_int_equal(time_parse("2026-01-01T07:59:59.5+08:00", &us), 0);
	time_format_utc(us, out);
	assert_string_equal(out, "2025-12-31T23:59:59Z");
	assert_int_equal(us % USEC_PER_SEC, 500000);
	/* before the epoch */
	assert_int_equal(time_parse("1969-12-31T23:59:59Z", &us), 0);
	assert_int_equal(us, -USEC_PER_SEC);
	time_format_utc(us, out);
	assert_string_equal(out, "1969-12-31T23:59:59Z");

	assert_int_equal(time_parse("2026-02-29T00:00:00Z", &us), -1);
	assert_int_equal(time_parse("2024-02-29T00:00:00Z", &us), 0);
	assert_int_equal(time_parse("2026-03-02 09:00:00", &us), -1); /* no offset */
	assert_int_equal(time_parse("2026-03-02T24:00:00Z", &us), -1);
	assert_int_equal(time_parse("2026-03-02T09:00:00+08:00x", &us), -1);
	assert_int_equal(time_parse("", &us), -1);

	assert_int_equal(date_parse("2025-10-01", &days), 0);
	assert_int_equal(weekday_from_days(days), 3); /* a Wednesday */
	assert_int_equal(date_parse("2025-13-01", &days), -1);

	assert_int_equal(duration_parse("PT26H", &us), 0);
	assert_int_equal(us, 26 * 3600 * USEC_PER_SEC);
	assert_int_equal(duration_parse("P1DT2H30M", &us), 0);
	assert_int_equal(us, (86400 + 2 * 3600 + 1800) * USEC_PER_SEC);
	assert_int_equal(duration_parse("P2W", &us), 0);
	assert_int_equal(us, 14 * 86400 * USEC_PER_SEC);
	assert_int_equal(duration_parse("PT", &us), -1);
	assert_int_equal(duration_parse("26H", &us), -1);
	assert_int_equal(duration_parse("P1H", &us), -1); /* hours need the T */
}

static void test_clock_is_settable_only_when_enabled(void **state)
{
	int64_t t;
	UNUSED(state);
	/* this process has not enabled it yet */
	if (!clock_test_enabled())
		assert_int_equal(clock_test_set(0), ZL_E_FORBIDDEN);
	clock_test_enable();
	assert_int_equal(time_parse("2026-03-02T09:00:00+08:00", &t), 0);
	assert_int_equal(clock_test_set(t), 0);
	assert_int_equal(clock_now(), t);
	assert_int_equal(clock_now(), t); /* frozen: no drift */
	assert_int_equal(clock_test_advance(26 * 3600 * USEC_PER_SEC), 0);
	assert_int_equal(clock_now(), t + 26 * 3600 * USEC_PER_SEC);
	assert_int_equal(clock_now_sec(), (t + 26 * 3600 * USEC_PER_SEC) / USEC_PER_SEC);
}

static void csrf_rules(void **state)
{
	UNUSED(state);
	assert_true(csrf_ok("GET", 1, NULL, "abc"));          /* safe methods need none */
	assert_true(csrf_ok("POST", 0, NULL, ""));            /* bearer tokens need none */
	assert_false(csrf_ok("POST", 1, NULL, "abc"));        /* missing */
	assert_false(csrf_ok("DELETE", 1, "abd", "abc"));     /* wrong */
	assert_false(csrf_ok("PATCH", 1, "abc", ""));         /* session without token */
	assert_false(csrf_ok("POST", 1, "abcd", "abc"));      /* prefix is not enough */
	assert_true(csrf_ok("PATCH", 1, "abc", "abc"));
}

static void idempotency_replays_and_rejects_mismatch(void **state)
{
	struct db *db = unit_db();
	struct req r;
	struct resp w, w2;
	struct idem id;
	UNUSED(state);

	memset(&r, 0, sizeof(r));
	memset(&w, 0, sizeof(w));
	memset(&w2, 0, sizeof(w2));
	buf_init(&w.body);
	buf_init(&w2.body);
	r.ctx.db = db;
	r.ctx.addr = "127.0.0.1";
	r.ctx.actor.user_id = 7;
	r.method = "POST";
	r.path = "/api/v1/users";
	r.body = "{\"a\":1}";
	r.body_len = strlen(r.body);

	idem_prepare(&r, "key-1", &id);
	assert_string_equal(id.actor, "u:7");
	assert_int_equal(idem_lookup(&r, &id, &w2), 0); /* nothing stored yet */

	resp_created(&w, json_pack("{s:i}", "id", 5), "/api/v1/users/5");
	assert_int_equal(idem_store(&r, &id, &w), 0);

	assert_int_equal(idem_lookup(&r, &id, &w2), 1);
	assert_int_equal(w2.status, 201);
	assert_string_equal(w2.body.data, "{\"id\":5}");
	assert_string_equal(resp_location(&w2), "/api/v1/users/5");

	/* same key, different body */
	r.body = "{\"a\":2}";
	r.body_len = strlen(r.body);
	idem_prepare(&r, "key-1", &id);
	assert_int_equal(idem_lookup(&r, &id, &w2), ZL_E_IDEM_MISMATCH);

	/* same key from another user is another record */
	r.ctx.actor.user_id = 8;
	idem_prepare(&r, "key-1", &id);
	assert_int_equal(idem_lookup(&r, &id, &w2), 0);

	/* GET is never idempotency-recorded */
	r.method = "GET";
	idem_prepare(&r, "key-1", &id);
	assert_null(id.key);

	buf_release(&w.body);
	for (size_t i = 0; i < w.nheaders; i++) {
		free(w.headers[i].name);
		free(w.headers[i].value);
	}
	buf_release(&w2.body);
	for (size_t i = 0; i < w2.nheaders; i++) {
		free(w2.headers[i].name);
		free(w2.headers[i].value);
	}
	pool_free(&r);
	db_close(db);
}

static void cursors_round_trip(void **state)
{
	int64_t v;
	char *c = cursor_encode(123456789);
	UNUSED(state);
	assert_int_equal(cursor_decode(c, &v), 0);
	assert_int_equal(v, 123456789);
	free(c);
	assert_int_equal(cursor_decode("", &v), -1);
	assert_int_equal(cursor_decode("!!", &v), -1);
	assert_int_equal(cursor_decode("MTIz", &v), -1); /* "123" lacks the marker */
}

static void buffers_and_strings(void **state)
{
	struct buf b = BUF_INIT;
	char *s;
	size_t n;
	UNUSED(state);
	assert_non_null(b.data);
	assert_string_equal(b.data, "");
	buf_addf(&b, "%s-%d", "a", 1);
	buf_adds(&b, "中文");
	assert_string_equal(b.data, "a-1中文");
	s = buf_detach(&b, &n);
	assert_int_equal(n, strlen("a-1中文"));
	assert_string_equal(b.data, "");
	free(s);
	assert_int_equal(utf8_len("中文ab"), 4);
	assert_int_equal(utf8_len("\xe4\xb8"), -1);
	assert_int_equal(utf8_len("\xc0\x80"), -1); /* overlong */
	assert_true(str_ct_eq("abc", "abc"));
	assert_false(str_ct_eq("abc", "abd"));
	assert_false(str_ct_eq("abc", "ab"));
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(router_matches_literals_and_params),
		cmocka_unit_test(router_404_and_405),
		cmocka_unit_test(problem_json_shape_and_language),
		cmocka_unit_test(error_table_is_complete),
		cmocka_unit_test(clock_formats_and_parses),
		cmocka_unit_test(test_clock_is_settable_only_when_enabled),
		cmocka_unit_test(csrf_rules),
		cmocka_unit_test(idempotency_replays_and_rejects_mismatch),
		cmocka_unit_test(cursors_round_trip),
		cmocka_unit_test(buffers_and_strings),
	};
	return cmocka_run_group_tests_name("platform", tests, NULL, NULL);
}
