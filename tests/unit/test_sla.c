/*
 * test_sla.c: working-time arithmetic for appeal deadlines across weekends,
 * the shipped holiday calendar (2025 National Day, 2026 Spring Festival),
 * adjusted workdays (调休), the lunch break and natural units.
 */
#include "unit.h"

#include "appeals/appeals.h"
#include "platform/clock.h"

static struct db *db;
static struct sla_calendar cal;

static int setup(void **state)
{
	UNUSED(state);
	db = unit_db();
	assert_int_equal(appeal_calendar_load(db, &cal), 0);
	return 0;
}

static int teardown(void **state)
{
	UNUSED(state);
	appeal_calendar_release(&cal);
	db_close(db);
	return 0;
}

static int64_t t(const char *s)
{
	int64_t us;
	assert_int_equal(time_parse(s, &us), 0);
	return us;
}

/* Asserts start + amount unit gives the expected local time. */
static void check_add(const char *start, int64_t amount, enum sla_unit u, const char *expect)
{
	int64_t due;
	char got[ZL_TIME_MAX];
	assert_int_equal(sla_add(&cal, t(start), amount, u, &due), 0);
	time_format_local(due, got);
	if (strcmp(got, expect))
		fail_msg("%s + %" PRId64 " %s: got %s, want %s", start, amount, sla_unit_name(u), got, expect);
}

static int64_t day(const char *s)
{
	int64_t d;
	assert_int_equal(date_parse(s, &d), 0);
	return d;
}

static void test_calendar_days(void **state)
{
	UNUSED(state);
	assert_true(cal.ndays >= 100);
	assert_true(sla_is_workday(&cal, day("2024-02-04")));  /* Sunday, 春节调休 */
	assert_true(sla_is_workday(&cal, day("2024-10-12")));  /* Saturday, 国庆调休 */
	assert_false(sla_is_workday(&cal, day("2025-10-08"))); /* Wednesday, 国庆中秋 */
	assert_true(sla_is_workday(&cal, day("2025-10-11")));  /* Saturday worked */
	assert_true(sla_is_workday(&cal, day("2026-02-14")));  /* Saturday worked */
	assert_false(sla_is_workday(&cal, day("2026-02-23")));  /* Monday, 春节 */
	assert_false(sla_is_workday(&cal, day("2026-03-07")));  /* an ordinary Saturday */
	assert_true(sla_is_workday(&cal, day("2026-03-09")));   /* an ordinary Monday */
}

/* The last working day before the 2025 National Day holiday: 16:00-17:30
 * uses 1.5 hours, Oct 1-8 are off, Thu Oct 9 opens at 08:30 + 0.5 h. */
static void test_national_day_2025(void **state)
{
	int64_t used;
	UNUSED(state);
	check_add("2025-09-30T16:00:00+08:00", 2, SLA_WORKING_HOURS, "2025-10-09T09:00:00+08:00");
	/* the accept limit (2 working hours) of an appeal made during the holiday */
	check_add("2025-10-03T10:00:00+08:00", 2, SLA_WORKING_HOURS, "2025-10-09T10:30:00+08:00");
	/* 7 working days from Tue 30 Sep 16:00 end at the same time on the 7th
	 * working day after: Oct 9, 10, 11 (Sat worked), 13, 14, 15, 16 */
	check_add("2025-09-30T16:00:00+08:00", 7, SLA_WORKING_DAYS, "2025-10-16T16:00:00+08:00");
	assert_int_equal(sla_elapsed(&cal, t("2025-09-30T16:00:00+08:00"), t("2025-10-09T09:00:00+08:00"),
				     SLA_WORKING_HOURS, &used), 0);
	assert_int_equal(used, 2 * 3600 * USEC_PER_SEC);
}

/* 2026 Spring Festival: Sat Feb 14 is worked, Feb 15-23 are off. */
static void test_spring_festival_2026(void **state)
{
	UNUSED(state);
	check_add("2026-02-13T16:00:00+08:00", 2, SLA_WORKING_HOURS, "2026-02-14T09:00:00+08:00");
	check_add("2026-02-14T16:00:00+08:00", 2, SLA_WORKING_HOURS, "2026-02-24T09:00:00+08:00");
	/* Thu 12th 10:00 + 7 working days: 13, 14 (Sat), 24, 25, 26, 27, 28 (Sat) */
	check_add("2026-02-12T10:00:00+08:00", 7, SLA_WORKING_DAYS, "2026-02-28T10:00:00+08:00");
	/* natural units ignore the calendar */
	check_add("2026-02-14T16:00:00+08:00", 24, SLA_NATURAL_HOURS, "2026-02-15T16:00:00+08:00");
	check_add("2026-02-14T16:00:00+08:00", 2, SLA_NATURAL_DAYS, "2026-02-16T16:00:00+08:00");
}

static void test_business_hours(void **state)
{
	int64_t used;
	UNUSED(state);
	/* lunch break 12:00-14:30 is not counted */
	check_add("2026-03-02T11:00:00+08:00", 2, SLA_WORKING_HOURS, "2026-03-02T15:30:00+08:00");
	check_add("2026-03-02T12:40:00+08:00", 1, SLA_WORKING_HOURS, "2026-03-02T15:30:00+08:00");
	/* a limit that ends exactly at closing time ends then, not next morning */
	check_add("2026-03-02T16:30:00+08:00", 1, SLA_WORKING_HOURS, "2026-03-02T17:30:00+08:00");
	/* before opening, in the evening, at the weekend: from the next period */
	check_add("2026-03-02T07:00:00+08:00", 1, SLA_WORKING_HOURS, "2026-03-02T09:30:00+08:00");
	check_add("2026-03-02T20:00:00+08:00", 1, SLA_WORKING_HOURS, "2026-03-03T09:30:00+08:00");
	check_add("2026-03-07T10:00:00+08:00", 1, SLA_WORKING_HOURS, "2026-03-09T09:30:00+08:00");
	check_add("2026-03-06T17:00:00+08:00", 1, SLA_WORKING_HOURS, "2026-03-09T09:00:00+08:00");
	/* zero adds nothing; negative is refused */
	check_add("2026-03-07T10:00:00+08:00", 0, SLA_WORKING_HOURS, "2026-03-07T10:00:00+08:00");
	{
		int64_t due;
		assert_int_equal(sla_add(&cal, t("2026-03-02T10:00:00+08:00"), -1, SLA_WORKING_HOURS, &due),
				 ZL_E_VALIDATION);
	}
	/* a working day is the business hours of one day (6.5 h by default) */
	assert_int_equal(sla_unit_span(&cal, 1, SLA_WORKING_DAYS), (int64_t)(6.5 * 3600) * USEC_PER_SEC);
	assert_int_equal(sla_elapsed(&cal, t("2026-03-02T11:00:00+08:00"), t("2026-03-02T15:00:00+08:00"),
				     SLA_WORKING_HOURS, &used), 0);
	assert_int_equal(used, (int64_t)(1.5 * 3600) * USEC_PER_SEC);
	assert_int_equal(sla_elapsed(&cal, t("2026-03-02T11:00:00+08:00"), t("2026-03-02T15:00:00+08:00"),
				     SLA_NATURAL_HOURS, &used), 0);
	assert_int_equal(used, 4 * 3600 * USEC_PER_SEC);
	assert_int_equal(sla_elapsed(&cal, t("2026-03-02T15:00:00+08:00"), t("2026-03-02T11:00:00+08:00"),
				     SLA_WORKING_HOURS, &used), 0);
	assert_int_equal(used, 0);
}

/* Configured hours (setting appeal.business_hours) and an edited calendar. */
static void test_configured_hours(void **state)
{
	struct sla_calendar c2;
	int64_t due;
	char got[ZL_TIME_MAX];
	UNUSED(state);
	assert_int_equal(db_exec(db, "INSERT INTO setting(key, value) VALUES ('appeal.business_hours', '09:00-17:00');"
				     "INSERT INTO calendar_day(day, kind, name) VALUES ('2026-03-03', 'holiday', 'test')"), 0);
	assert_int_equal(appeal_calendar_load(db, &c2), 0);
	assert_int_equal(c2.nperiods, 1);
	assert_int_equal(sla_add(&c2, t("2026-03-02T16:00:00+08:00"), 2, SLA_WORKING_HOURS, &due), 0);
	time_format_local(due, got);
	assert_string_equal(got, "2026-03-04T10:00:00+08:00");
	appeal_calendar_release(&c2);
	/* a malformed setting falls back to the default */
	assert_int_equal(db_exec(db, "UPDATE setting SET value = '25:00-12:00' WHERE key = 'appeal.business_hours';"
				     "DELETE FROM calendar_day WHERE name = 'test'"), 0);
	assert_int_equal(appeal_calendar_load(db, &c2), 0);
	assert_int_equal(c2.nperiods, 2);
	appeal_calendar_release(&c2);
	assert_int_equal(db_exec(db, "DELETE FROM setting WHERE key = 'appeal.business_hours'"), 0);
}

static void test_units(void **state)
{
	UNUSED(state);
	assert_int_equal(sla_unit_parse("working_days"), SLA_WORKING_DAYS);
	assert_int_equal(sla_unit_parse("weeks"), -1);
	assert_int_equal(sla_unit_parse(NULL), -1);
	assert_string_equal(sla_unit_name(SLA_NATURAL_DAYS), "natural_days");
	assert_true(sla_unit_working(SLA_WORKING_HOURS));
	assert_false(sla_unit_working(SLA_NATURAL_HOURS));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_calendar_days),
		cmocka_unit_test(test_national_day_2025),
		cmocka_unit_test(test_spring_festival_2026),
		cmocka_unit_test(test_business_hours),
		cmocka_unit_test(test_configured_hours),
		cmocka_unit_test(test_units),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
