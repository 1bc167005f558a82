/*
 * test_confirm.c: the pure parts of household confirmation: what counts as a
 * code, the code's keyed hash (never the code itself; bound to its row), and
 * when the next code may be sent (one a minute, five in any 24 hours).
 */
#include "unit.h"

#include "../../src/contacts/confirm.c"

static char keydir[] = "/tmp/zl-confirm-XXXXXX";

static void test_code_valid(void **state)
{
	(void)state;
	assert_true(confirm_code_valid("012345"));
	assert_false(confirm_code_valid("12345"));
	assert_false(confirm_code_valid("1234567"));
	assert_false(confirm_code_valid("12a456"));
	assert_false(confirm_code_valid(" 12345"));
	assert_false(confirm_code_valid(""));
	assert_false(confirm_code_valid(NULL));
}

static void test_code_hash(void **state)
{
	char a[65], b[65], c2[65], d[65], *path;
	(void)state;
	assert_non_null(mkdtemp(keydir));
	path = xasprintf("%s/k.key", keydir);
	assert_int_equal(pii_key_load(path, 1), 0);
	confirm_code_hash(7, "123456", a);
	confirm_code_hash(7, "123456", b);
	confirm_code_hash(8, "123456", c2);
	confirm_code_hash(7, "123457", d);
	assert_string_equal(a, b);           /* deterministic under one key */
	assert_string_not_equal(a, c2);      /* bound to its row */
	assert_string_not_equal(a, d);
	assert_int_equal(strlen(a), 64);
	assert_null(strstr(a, "123456"));
	pii_key_unload();
	unlink(path);
	rmdir(keydir);
	free(path);
}

static void test_resend_at(void **state)
{
	const int64_t now = 1000 * 86400 * USEC_PER_SEC, min = 60 * USEC_PER_SEC;
	struct sends s = { 0, 0, 0 };
	(void)state;
	assert_int_equal(resend_at(&s, now), 0);             /* nothing sent: now */
	s = (struct sends){ 1, now - 10 * USEC_PER_SEC, now - 10 * USEC_PER_SEC };
	assert_int_equal(resend_at(&s, now), now + 50 * USEC_PER_SEC);
	s = (struct sends){ 1, now - min, now - min };
	assert_int_equal(resend_at(&s, now), 0);             /* a minute on: now */
	/* the fifth send of the day: wait until the first is 24 hours old */
	s = (struct sends){ CONFIRM_SENDS_PER_DAY, now - 3 * 3600 * USEC_PER_SEC, now - 5 * min };
	assert_int_equal(resend_at(&s, now), now - 3 * 3600 * USEC_PER_SEC + 86400 * USEC_PER_SEC);
	s = (struct sends){ CONFIRM_SENDS_PER_DAY - 1, now - 3 * 3600 * USEC_PER_SEC, now - 5 * min };
	assert_int_equal(resend_at(&s, now), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_code_valid),
		cmocka_unit_test(test_code_hash),
		cmocka_unit_test(test_resend_at),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
