/*
 * test_plans.c: the plan module's logic: period and due-date arithmetic
 * across week, month, quarter and year ends (also through plan_due with the
 * test clock at the Asia/Shanghai midnight), the strictest-rule choice,
 * station days of weekly and fortnightly villages, the 驻点天数 count (only
 * presence counts) and the reception-day schedule arithmetic and rules.
 */
#include <jansson.h>
#include <string.h>

#include "unit.h"

#include "contacts/plans.h"
#include "contacts/reception.h"
#include "platform/clock.h"
#include "platform/error.h"

static int64_t D(int y, int m, int d)
{
	return days_from_civil(y, m, d);
}

static void period_is(enum plan_every e, int n, int64_t day, int64_t start, int64_t end)
{
	struct plan_period p;
	plan_period_of(e, n, day, &p);
	assert_int_equal(p.start, start);
	assert_int_equal(p.end, end);
}

static void periods(void **state)
{
	struct plan_period p, q;
	(void)state;
	/* months: last day, first day, February of a common and a leap year */
	period_is(PLAN_MONTH, 0, D(2026, 1, 31), D(2026, 1, 1), D(2026, 2, 1));
	period_is(PLAN_MONTH, 0, D(2026, 2, 1), D(2026, 2, 1), D(2026, 3, 1));
	period_is(PLAN_MONTH, 0, D(2026, 2, 28), D(2026, 2, 1), D(2026, 3, 1));
	period_is(PLAN_MONTH, 0, D(2028, 2, 29), D(2028, 2, 1), D(2028, 3, 1));
	period_is(PLAN_MONTH, 0, D(2026, 12, 31), D(2026, 12, 1), D(2027, 1, 1));
	/* quarters: both sides of each quarter end, and the year end */
	period_is(PLAN_QUARTER, 0, D(2026, 3, 31), D(2026, 1, 1), D(2026, 4, 1));
	period_is(PLAN_QUARTER, 0, D(2026, 4, 1), D(2026, 4, 1), D(2026, 7, 1));
	period_is(PLAN_QUARTER, 0, D(2026, 9, 30), D(2026, 7, 1), D(2026, 10, 1));
	period_is(PLAN_QUARTER, 0, D(2026, 10, 1), D(2026, 10, 1), D(2027, 1, 1));
	period_is(PLAN_QUARTER, 0, D(2026, 12, 31), D(2026, 10, 1), D(2027, 1, 1));
	/* weeks run Monday to Sunday (2026-03-02 is a Monday), across a month end */
	period_is(PLAN_WEEK, 0, D(2026, 3, 2), D(2026, 3, 2), D(2026, 3, 9));
	period_is(PLAN_WEEK, 0, D(2026, 3, 1), D(2026, 2, 23), D(2026, 3, 2));
	period_is(PLAN_WEEK, 0, D(2026, 12, 31), D(2026, 12, 28), D(2027, 1, 4));
	/* N days from 1970-01-01 */
	period_is(PLAN_DAYS, 10, 25, 20, 30);
	period_is(PLAN_DAYS, 10, 30, 30, 40);
	/* the previous period */
	plan_period_of(PLAN_QUARTER, 0, D(2026, 1, 15), &p);
	plan_period_prev(PLAN_QUARTER, 0, &p, &q);
	assert_int_equal(q.start, D(2025, 10, 1));
	assert_int_equal(q.end, D(2026, 1, 1));
	plan_period_of(PLAN_MONTH, 0, D(2026, 3, 10), &p);
	plan_period_prev(PLAN_MONTH, 0, &p, &q);
	assert_int_equal(q.start, D(2026, 2, 1));
	assert_int_equal(q.end, D(2026, 3, 1));
}

static struct plan_rule rule(int64_t id, const char *path, int64_t tag, enum plan_every e, int n, int min)
{
	struct plan_rule r;
	memset(&r, 0, sizeof(r));
	r.id = id;
	snprintf(r.region_path, sizeof(r.region_path), "%s", path);
	r.tag_id = tag;
	r.every = e;
	r.every_days = n;
	r.min_contacts = min;
	return r;
}

static void strictest_rule(void **state)
{
	const char *vpath = "/440881104000/440881104201/";
	struct plan_rule rs[] = {
		rule(1, "", 0, PLAN_QUARTER, 0, 1),                            /* everyone, quarterly */
		rule(2, "", 10, PLAN_MONTH, 0, 1),                             /* tag 10 monthly */
		rule(3, "/440881104000/440881104202/", 0, PLAN_WEEK, 0, 1),  /* other village weekly */
		rule(4, vpath, 20, PLAN_MONTH, 0, 2),                          /* tag 20 twice a month here */
		rule(5, "", 30, PLAN_DAYS, 20, 1),                             /* tag 30 every 20 days */
		rule(6, vpath, 10, PLAN_MONTH, 0, 1),                          /* same as 2, deeper region */
	};
	int64_t none[1] = { 0 }, t10[] = { 10 }, t20[] = { 99, 20 }, t30_10[] = { 10, 30 };
	(void)state;
	assert_int_equal(plan_rule_pick(rs, 6, vpath, none, 0)->id, 1);
	/* monthly beats quarterly; the deeper region wins the tie */
	assert_int_equal(plan_rule_pick(rs, 2, vpath, t10, 1)->id, 2);
	assert_int_equal(plan_rule_pick(rs, 6, vpath, t10, 1)->id, 6);
	/* twice a month beats once a month */
	assert_int_equal(plan_rule_pick(rs, 6, vpath, t20, 2)->id, 4);
	/* every 20 days beats monthly */
	assert_int_equal(plan_rule_pick(rs, 6, vpath, t30_10, 2)->id, 5);
	/* a rule for another village does not apply; the weekly one does there */
	assert_int_equal(plan_rule_pick(rs, 6, "/440881104000/440881104202/", none, 0)->id, 3);
	/* no rule applies */
	assert_null(plan_rule_pick(rs + 1, 1, vpath, none, 0));
	assert_true(plan_rule_stricter(&rs[2], &rs[0]));
	assert_false(plan_rule_stricter(&rs[0], &rs[2]));
}

static void station_days(void **state)
{
	int64_t ref = D(2026, 1, 5); /* a Monday */
	int n = 0;
	(void)state;
	/* weekly on Wednesdays: every Wednesday of March 2026 (4, 11, 18, 25) */
	for (int64_t d = D(2026, 3, 1); d < D(2026, 4, 1); d++)
		n += plan_is_station_day(3, 1, ref, d);
	assert_int_equal(n, 4);
	assert_true(plan_is_station_day(3, 1, ref, D(2026, 3, 4)));
	assert_false(plan_is_station_day(3, 1, ref, D(2026, 3, 5)));
	/* fortnightly on Thursdays from the week of 2026-01-05: 01-08, 01-22, ... */
	assert_true(plan_is_station_day(4, 2, ref, D(2026, 1, 8)));
	assert_false(plan_is_station_day(4, 2, ref, D(2026, 1, 15)));
	assert_true(plan_is_station_day(4, 2, ref, D(2026, 1, 22)));
	assert_true(plan_is_station_day(4, 2, ref, D(2026, 3, 5)));   /* 8 weeks on */
	assert_false(plan_is_station_day(4, 2, ref, D(2026, 3, 12)));
	/* before the reference Monday the fortnights continue backwards */
	assert_true(plan_is_station_day(4, 2, ref, D(2025, 12, 25)));
	assert_false(plan_is_station_day(4, 2, ref, D(2026, 1, 1)));
	/* Sunday is 7; no weekday set means no station day */
	assert_true(plan_is_station_day(7, 1, ref, D(2026, 3, 8)));
	assert_false(plan_is_station_day(0, 1, ref, D(2026, 3, 8)));
	n = 0;
	for (int64_t d = D(2026, 3, 1); d < D(2026, 4, 1); d++)
		n += plan_is_station_day(4, 2, ref, d);
	assert_int_equal(n, 2); /* 03-05 and 03-19 */
}

/* ---- plan_due on a database with the test clock ---- */

static struct db *plan_db(void)
{
	struct db *db = unit_db();
	assert_int_equal(db_exec(db,
		"INSERT INTO app_user(id, username, display_name, role, scope_code, password_hash, created_at, updated_at) "
		"VALUES (7, 'c7', '干部七', 'cadre', '440881104201', 'x', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z');"
		"INSERT INTO household(id, code, village_code, region_code, head_name, created_at, updated_at) VALUES "
		"(1, '4408811042010001', '440881104201', '440881104201', '甲', '2025-06-01T00:00:00Z', '2025-06-01T00:00:00Z'),"
		"(2, '4408811042010002', '440881104201', '440881104201', '乙', '2025-06-01T00:00:00Z', '2025-06-01T00:00:00Z');"
		"INSERT INTO household_tag(household_id, tag_id, created_at) SELECT 2, id, '2025-06-01T00:00:00Z' "
		"FROM tag WHERE name = '低保户';"
		"INSERT INTO household_assignment(household_id, user_id, start_date, created_at) VALUES "
		"(1, 7, '2025-06-01', '2025-06-01T00:00:00Z'), (2, 7, '2025-06-01', '2025-06-01T00:00:00Z');"), 0);
	return db;
}

static void add_contact(struct db *db, int64_t id, const char *at, int64_t hid)
{
	char sql[600];
	snprintf(sql, sizeof(sql),
		 "INSERT INTO contact(id, uuid, author_user_id, method, started_at, duration_min, village_code, "
		 "summary, content_hash, created_at, updated_at) VALUES (%lld, 'u%lld', 7, 'home_visit', '%s', 30, "
		 "'440881104201', 's', 'h', '%s', '%s'); INSERT INTO contact_household VALUES (%lld, %lld);",
		 (long long)id, (long long)id, at, at, at, (long long)id, (long long)hid);
	assert_int_equal(db_exec(db, sql), 0);
}

static json_t *item_of(json_t *due, int64_t hid)
{
	size_t i;
	json_t *it;
	json_array_foreach(json_object_get(due, "items"), i, it)
		if (json_integer_value(json_object_get(json_object_get(it, "household"), "id")) == hid)
			return it;
	return NULL;
}

static json_t *due(struct db *db, const char *window)
{
	struct ctx c;
	json_t *out = NULL;
	ctx_init_system(&c, db);
	assert_int_equal(plan_due(&c, 7, window, &out), 0);
	ctx_release(&c);
	return out;
}

static const char *str(json_t *it, const char *k)
{
	return json_string_value(json_object_get(it, k));
}

static void due_with_clock(void **state)
{
	struct db *db = plan_db();
	json_t *d, *it;
	int64_t us;
	(void)state;
	clock_test_enable();
	/* 2026-03-31 23:59:59 in Shanghai: both items are due today, the last
	 * day of the month and of the quarter */
	assert_int_equal(time_parse("2026-03-31T15:59:59Z", &us), 0);
	assert_int_equal(clock_test_set(us), 0);
	add_contact(db, 1, "2025-12-20T02:00:00Z", 1); /* last quarter: 1 is not overdue */
	d = due(db, "today");
	assert_string_equal(str(d, "today"), "2026-03-31");
	it = item_of(d, 1);
	assert_non_null(it);
	assert_string_equal(str(it, "due_date"), "2026-03-31");
	assert_string_equal(str(it, "period_start"), "2026-01-01");
	assert_string_equal(str(json_object_get(it, "rule"), "every"), "quarter");
	assert_false(json_is_true(json_object_get(it, "overdue")));
	it = item_of(d, 2);
	assert_non_null(it); /* 低保户: the monthly rule is the stricter */
	assert_string_equal(str(json_object_get(it, "rule"), "every"), "month");
	assert_string_equal(str(it, "period_start"), "2026-03-01");
	assert_true(json_is_true(json_object_get(it, "overdue"))); /* February was missed too */
	json_decref(d);

	/* one second later it is 2026-04-01 in Shanghai (still 03-31 in UTC):
	 * new quarter and month; both missed the period just ended */
	assert_int_equal(clock_test_advance(USEC_PER_SEC), 0);
	d = due(db, "overdue");
	assert_string_equal(str(d, "today"), "2026-04-01");
	it = item_of(d, 1);
	assert_non_null(it);
	assert_string_equal(str(it, "overdue_since"), "2026-03-31");
	assert_string_equal(str(it, "due_date"), "2026-06-30");
	assert_int_equal(json_integer_value(json_object_get(it, "days_overdue")), 1);
	assert_string_equal(str(it, "period_end"), "2026-07-01");
	assert_non_null(item_of(d, 2));
	json_decref(d);
	d = due(db, "week"); /* 1 is due 06-30, 2 on 04-30: neither this week */
	assert_null(item_of(d, 1));
	assert_null(item_of(d, 2));
	json_decref(d);

	/* a contact at 00:30 on 04-01 in Shanghai (16:30 UTC on 03-31) closes both
	 * the overdue and the current item of household 1 */
	add_contact(db, 2, "2026-03-31T16:30:00Z", 1);
	d = due(db, "all");
	assert_null(item_of(d, 1));
	assert_non_null(item_of(d, 2));
	json_decref(d);
	/* the month ends on 04-30: household 2 is due that day */
	assert_int_equal(time_parse("2026-04-30T04:00:00Z", &us), 0);
	assert_int_equal(clock_test_set(us), 0);
	d = due(db, "today");
	it = item_of(d, 2);
	assert_non_null(it);
	assert_string_equal(str(it, "due_date"), "2026-04-30");
	json_decref(d);
	db_close(db);
}

static void bad_window(void **state)
{
	struct db *db = plan_db();
	struct ctx c;
	json_t *out = NULL;
	(void)state;
	ctx_init_system(&c, db);
	assert_int_equal(plan_due(&c, 7, "month", &out), ZL_E_VALIDATION);
	assert_null(out);
	ctx_release(&c);
	db_close(db);
}

/* ---- 驻点天数: presence only ---- */

static void add_contact_by(struct db *db, int64_t id, const char *method, const char *at, int64_t author,
			   int64_t present)
{
	char sql[700];
	snprintf(sql, sizeof(sql),
		 "INSERT INTO contact(id, uuid, author_user_id, method, started_at, duration_min, village_code, "
		 "summary, content_hash, created_at, updated_at) VALUES (%lld, 'p%lld', %lld, '%s', '%s', 30, "
		 "'440881104201', 's', 'h', '%s', '%s');",
		 (long long)id, (long long)id, (long long)author, method, at, at, at);
	assert_int_equal(db_exec(db, sql), 0);
	if (present) {
		snprintf(sql, sizeof(sql), "INSERT INTO contact_cadre VALUES (%lld, %lld);", (long long)id,
			 (long long)present);
		assert_int_equal(db_exec(db, sql), 0);
	}
}

static int station_days_of(struct db *db)
{
	json_t *d = due(db, "all"), *it;
	size_t i;
	int n = -1;
	json_array_foreach(json_object_get(d, "items"), i, it)
		if (!strcmp(str(it, "kind"), "station_days"))
			n = (int)json_integer_value(json_object_get(it, "days"));
	json_decref(d);
	return n;
}

static void presence_count(void **state)
{
	struct db *db = plan_db();
	int64_t us;
	(void)state;
	assert_true(plan_method_is_presence("home_visit"));
	assert_true(plan_method_is_presence("meeting"));
	assert_true(plan_method_is_presence("reception_day"));
	assert_false(plan_method_is_presence("phone"));
	assert_false(plan_method_is_presence("wechat"));
	assert_false(plan_method_is_presence("online"));
	assert_false(plan_method_is_presence(NULL));
	assert_int_equal(db_exec(db,
		"INSERT INTO app_user(id, username, display_name, role, scope_code, password_hash, created_at, updated_at) "
		"VALUES (8, 'c8', '干部八', 'cadre', '440881104201', 'x', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z');"
		"INSERT INTO station_assignment(user_id, village_code, start_date, created_at) VALUES "
		"(7, '440881104201', '2025-06-01', '2025-06-01T00:00:00Z');"
		/* the item stays on the due list (open) while the count is checked */
		"UPDATE setting SET value = '20' WHERE key = 'plan.station_days_per_month';"), 0);
	clock_test_enable();
	assert_int_equal(time_parse("2026-05-20T04:00:00Z", &us), 0);
	assert_int_equal(clock_test_set(us), 0);
	assert_int_equal(station_days_of(db), 0);
	/* calls and messages from the town are no presence */
	add_contact_by(db, 10, "phone", "2026-05-04T02:00:00Z", 7, 0);
	add_contact_by(db, 11, "wechat", "2026-05-05T02:00:00Z", 7, 0);
	add_contact_by(db, 12, "online", "2026-05-06T02:00:00Z", 7, 0);
	add_contact_by(db, 13, "other", "2026-05-06T03:00:00Z", 7, 0);
	assert_int_equal(station_days_of(db), 0);
	/* a home visit; a meeting the cadre attended (another's record); a
	 * reception day; two visits on one day count once */
	add_contact_by(db, 14, "home_visit", "2026-05-07T02:00:00Z", 7, 0);
	add_contact_by(db, 15, "home_visit", "2026-05-07T06:00:00Z", 7, 0);
	add_contact_by(db, 16, "meeting", "2026-05-08T02:00:00Z", 8, 7);
	add_contact_by(db, 17, "reception_day", "2026-05-13T02:00:00Z", 7, 0);
	assert_int_equal(station_days_of(db), 3);
	/* a phone call someone else logged with the cadre present: still none */
	add_contact_by(db, 18, "phone", "2026-05-14T02:00:00Z", 8, 7);
	assert_int_equal(station_days_of(db), 3);
	/* a check-in on a day without a contact counts; on a day with one, not
	 * twice; one of last month does not count in May */
	assert_int_equal(db_exec(db,
		"INSERT INTO station_checkin(village_code, date, user_id, at) VALUES "
		"('440881104201', '2026-05-20', 7, '2026-05-20T01:00:00Z'),"
		"('440881104201', '2026-05-13', 7, '2026-05-13T01:00:00Z'),"
		"('440881104201', '2026-04-29', 7, '2026-04-29T01:00:00Z');"), 0);
	assert_int_equal(station_days_of(db), 4);
	/* a contact at 23:30 on 05-31 in Shanghai (15:30 UTC) is in May; at
	 * 00:30 on 06-01 (16:30 UTC on 05-31) it is not */
	add_contact_by(db, 19, "home_visit", "2026-05-31T15:30:00Z", 7, 0);
	add_contact_by(db, 20, "home_visit", "2026-05-31T16:30:00Z", 7, 0);
	assert_int_equal(station_days_of(db), 5);
	db_close(db);
}

/* ---- reception days: the schedule's arithmetic and rules ---- */

static void reception_schedule_arithmetic(void **state)
{
	int64_t ref = D(2026, 1, 5), out[16];
	(void)state;
	/* weekly on Wednesdays: a month with five (2026-09: 2, 9, 16, 23, 30) */
	assert_int_equal(reception_days(3, 1, ref, D(2026, 9, 1), D(2026, 10, 1), out, 16), 5);
	assert_int_equal(out[0], D(2026, 9, 2));
	assert_int_equal(out[4], D(2026, 9, 30));
	/* fortnightly on Wednesdays from the week of 2026-01-05: 01-07, 01-21,
	 * 02-04: the fortnight runs over the month end */
	assert_int_equal(reception_days(3, 2, ref, D(2026, 1, 1), D(2026, 2, 28), out, 16), 4);
	assert_int_equal(out[0], D(2026, 1, 7));
	assert_int_equal(out[1], D(2026, 1, 21));
	assert_int_equal(out[2], D(2026, 2, 4));
	assert_int_equal(out[3], D(2026, 2, 18));
	/* and over the year end: 2026-12-30 is 51 weeks after 01-07 (odd: not
	 * one), 12-23 and 2027-01-06 are */
	assert_int_equal(reception_days(3, 2, ref, D(2026, 12, 20), D(2027, 1, 10), out, 16), 2);
	assert_int_equal(out[0], D(2026, 12, 23));
	assert_int_equal(out[1], D(2027, 1, 6));
	/* February of a common year has exactly four of every weekday; [from,
	 * to) leaves out the end; max limits what is written, not the count */
	assert_int_equal(reception_days(7, 1, ref, D(2027, 2, 1), D(2027, 3, 1), out, 16), 4);
	assert_int_equal(reception_days(1, 1, ref, D(2026, 3, 2), D(2026, 3, 9), out, 16), 1);
	assert_int_equal(reception_days(1, 1, ref, D(2026, 3, 3), D(2026, 3, 9), out, 16), 0);
	assert_int_equal(reception_days(3, 1, ref, D(2026, 1, 1), D(2027, 1, 1), out, 2), 52);
	assert_int_equal(reception_days(0, 1, ref, D(2026, 1, 1), D(2027, 1, 1), out, 16), 0);

	/* hours: half a day is three hours at least */
	assert_int_equal(reception_hhmm("08:30"), 510);
	assert_int_equal(reception_hhmm("8:30"), -1);
	assert_int_equal(reception_hhmm("24:00"), -1);
	assert_int_equal(reception_hhmm(NULL), -1);
	assert_int_equal(reception_rule_check(1, 0, 9 * 60, 12 * 60, 180), 0);
	assert_int_equal(reception_rule_check(1, 0, 9 * 60, 12 * 60 - 1, 180), RECEPTION_RULE_TOO_SHORT);
	assert_int_equal(reception_rule_check(1, 0, 9 * 60, 12 * 60, 210), RECEPTION_RULE_TOO_SHORT);
	/* a lower setting never lowers the rule under three hours */
	assert_int_equal(reception_rule_check(1, 0, 9 * 60, 11 * 60, 60), RECEPTION_RULE_TOO_SHORT);
	assert_int_equal(reception_rule_check(1, 0, -1, 12 * 60, 180), RECEPTION_RULE_NO_HOURS);
	/* every two weeks only for a remote village */
	assert_int_equal(reception_rule_check(2, 0, 510, 720, 180), RECEPTION_RULE_NOT_REMOTE);
	assert_int_equal(reception_rule_check(2, 1, 510, 720, 180), 0);
	assert_int_equal(reception_rule_check(1, 1, 510, 720, 180), 0);
	assert_int_equal(reception_rule_check(2, 0, 510, 600, 180), RECEPTION_RULE_NOT_REMOTE | RECEPTION_RULE_TOO_SHORT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(periods),
		cmocka_unit_test(strictest_rule),
		cmocka_unit_test(station_days),
		cmocka_unit_test(due_with_clock),
		cmocka_unit_test(bad_window),
		cmocka_unit_test(presence_count),
		cmocka_unit_test(reception_schedule_arithmetic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
