/*
 * test_diary.c: the diary's month arithmetic, the record kinds, the village an
 * entry belongs to and the 24-hour edit window on the test clock, and that a
 * village's month renders as a one-page PDF when nothing happened in it.
 */
#include "unit.h"

#include <jansson.h>

#include "contacts/diary.h"
#include "platform/clock.h"
#include "platform/error.h"

#define T(y, m, d, hh) ((days_from_civil(y, m, d) * 86400 + (hh) * 3600 - 8 * 3600) * USEC_PER_SEC)

static void test_month_range(void **state)
{
	char from[DIARY_DATE_BUF], to[DIARY_DATE_BUF];
	(void)state;
	assert_int_equal(diary_month_range("2026-10", from, to), 0);
	assert_string_equal(from, "2026-10-01");
	assert_string_equal(to, "2026-11-01");
	assert_int_equal(diary_month_range("2026-12", from, to), 0);
	assert_string_equal(to, "2027-01-01");
	assert_int_equal(diary_month_range("2026-02", from, to), 0);
	assert_string_equal(to, "2026-03-01");
	const char *bad[] = { "2026-13", "2026-00", "2026-1", "26-10", "2026-10-01", "2026/10", "", "1999-12",
			      "2026-1x" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(diary_month_range(bad[i], from, to), -1);
}

static void test_kinds(void **state)
{
	enum records_kind k;
	(void)state;
	assert_int_equal(records_kind_parse("station-log", &k), 0);
	assert_int_equal(k, RECORDS_STATION_LOG);
	assert_int_equal(records_kind_parse("team-book", &k), 0);
	assert_int_equal(k, RECORDS_TEAM_BOOK);
	assert_int_equal(records_kind_parse("diary", &k), -1);
	assert_int_equal(records_kind_parse(NULL, &k), -1);
}

/* A cadre whose scope is village 201 and who has no station assignment: the
 * scope itself is the entry's village. */
static void cadre_ctx(struct ctx *c, struct db *db)
{
	assert_int_equal(db_exec(db, "INSERT INTO app_user(id, username, display_name, role, scope_code,"
				     " password_hash, created_at, updated_at) VALUES (7, 'c7', '林秀英', 'cadre',"
				     " '440881104201', 'x', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')"),
			 0);
	ctx_init_system(c, db);
	c->actor.user_id = 7;
	c->actor.role = ROLE_CADRE;
	assert_int_equal(scope_load(db, &c->actor, "440881104201"), 0);
}

static void test_edit_window(void **state)
{
	struct db *db = unit_db();
	struct ctx c;
	json_t *in, *out = NULL, *patch;
	int64_t id;
	(void)state;
	cadre_ctx(&c, db);
	clock_test_enable();
	assert_int_equal(clock_test_set(T(2026, 10, 8, 20)), 0);
	assert_int_equal(db_begin(db), 0);

	in = json_pack("{s:s,s:s,s:[s,s]}", "date", "2026-10-08", "text", "今天走访了三户。", "tags", "民生", "民生");
	assert_int_equal(diary_create(&c, in, &out), 0);
	json_decref(in);
	id = json_integer_value(json_object_get(out, "id"));
	assert_string_equal(json_string_value(json_object_get(json_object_get(out, "village"), "code")),
			    "440881104201");
	assert_int_equal(json_array_size(json_object_get(out, "tags")), 1);
	json_decref(out);

	/* a date after today, or another village's code, is refused */
	in = json_pack("{s:s,s:s}", "date", "2026-10-09", "text", "明天");
	assert_int_equal(diary_create(&c, in, &out), ZL_E_VALIDATION);
	json_decref(in);
	verr_release(&c.errs);
	in = json_pack("{s:s,s:s,s:s}", "date", "2026-10-08", "text", "x", "village_code", "440881104202");
	assert_int_equal(diary_create(&c, in, &out), ZL_E_VALIDATION);
	json_decref(in);
	verr_release(&c.errs);

	/* changed just before the window closes, refused just after */
	patch = json_pack("{s:s}", "text", "改过的");
	assert_int_equal(clock_test_set(T(2026, 10, 9, 19) + 59 * 60 * USEC_PER_SEC), 0);
	assert_int_equal(diary_update(&c, id, patch, &out), 0);
	assert_string_equal(json_string_value(json_object_get(out, "text")), "改过的");
	json_decref(out);
	assert_int_equal(clock_test_set(T(2026, 10, 9, 20)), 0);
	assert_int_equal(diary_update(&c, id, patch, &out), ZL_E_CONFLICT);
	json_decref(patch);

	/* another cadre of the village cannot read it */
	c.actor.user_id = 8;
	assert_int_equal(diary_get(&c, id, &out), ZL_E_NOT_FOUND);
	db_rollback(db);
	ctx_release(&c);
	db_close(db);
}

static void test_empty_month_prints(void **state)
{
	struct db *db = unit_db();
	struct ctx c;
	struct cards_pdf pdf = CARDS_PDF_INIT;
	(void)state;
	cadre_ctx(&c, db);
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(records_pdf(&c, "440881104201", "2026-03", RECORDS_STATION_LOG, &pdf), 0);
	assert_true(pdf.pdf.len > 1000 && !memcmp(pdf.pdf.data, "%PDF-", 5));
	assert_int_equal(pdf.npages, 1);
	assert_string_equal(pdf.filename_ascii, "station-log-440881104201-2026-03.pdf");
	cards_pdf_release(&pdf);
	assert_int_equal(records_pdf(&c, "440881104202", "2026-03", RECORDS_TEAM_BOOK, &pdf), ZL_E_NOT_FOUND);
	assert_int_equal(records_pdf(&c, "440881104201", "2026-3", RECORDS_TEAM_BOOK, &pdf), ZL_E_VALIDATION);
	db_rollback(db);
	ctx_release(&c);
	db_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_month_range),
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_edit_window),
		cmocka_unit_test(test_empty_month_prints),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
