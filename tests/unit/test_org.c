/*
 * test_org.c: the organisation module: division-code validation (formats,
 * prefixes, levels), moving a subtree (paths, scope, households), the region
 * CSV import, teams' fixed-time rule, assignments (one current cadre per
 * household, "who was responsible on date D") and the handover (exactly the
 * right rows move, sums, movers, notifications, rollback).
 */
#include "unit.h"

#include <jansson.h>

#include "org/org.h"
#include "org/regions.h"
#include "platform/clock.h"

#define TOWN "440881104000"
#define VA "440881104201"
#define VB "440881104202"

/* Each test runs in one open transaction, as services expect. */
static struct db *tx_db(struct ctx *c)
{
	struct db *db = unit_db();
	ctx_init_system(c, db);
	assert_int_equal(db_begin(db), 0);
	return db;
}

static void tx_done(struct db *db, struct ctx *c)
{
	db_rollback(db);
	ctx_release(c);
	db_close(db);
}

static int64_t add_user(struct db *db, const char *username, const char *role, const char *scope)
{
	char sql[512];
	snprintf(sql, sizeof(sql),
		 "INSERT INTO app_user(username, display_name, role, scope_code, password_hash, created_at,"
		 " updated_at) VALUES ('%s', '用户%s', '%s', '%s', 'x', '2026-01-01T00:00:00Z',"
		 " '2026-01-01T00:00:00Z')",
		 username, username, role, scope);
	assert_int_equal(db_exec(db, sql), 0);
	return db_last_id(db);
}

static int64_t add_household(struct db *db, const char *code, const char *village, const char *region)
{
	char sql[512];
	snprintf(sql, sizeof(sql),
		 "INSERT INTO household(code, village_code, region_code, head_name, created_at, updated_at)"
		 " VALUES ('%s', '%s', '%s', '户主%s', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
		 code, village, region, code);
	assert_int_equal(db_exec(db, sql), 0);
	return db_last_id(db);
}

static int64_t count(struct db *db, const char *sql)
{
	int64_t n = -1;
	assert_int_equal(db_get_int(db, &n, sql, ""), 1);
	return n;
}

static char *text(struct db *db, const char *sql, const char *arg)
{
	char *s = NULL;
	assert_int_equal(db_get_text(db, &s, sql, "t", arg), 1);
	return s;
}

static int has_error(const struct ctx *c, const char *field)
{
	for (size_t i = 0; i < c->errs.n; i++)
		if (!strcmp(c->errs.items[i].field, field))
			return 1;
	return 0;
}

/* ---------------------------------------------------------------- codes */

static int check(const char *code, const char *level, const char *parent, const char *plevel,
		 const char *want_field)
{
	struct verr v = VERR_INIT;
	int rc = region_code_check(&v, code, level, parent, plevel);
	int found = !want_field;
	for (size_t i = 0; i < v.n; i++)
		if (want_field && !strcmp(v.items[i].field, want_field))
			found = 1;
	verr_release(&v);
	return rc == (want_field ? ZL_E_VALIDATION : 0) && found;
}

static void test_code_validation(void **state)
{
	(void)state;
	/* good codes, each under its proper parent */
	assert_true(check("440881000000", "county", NULL, NULL, NULL));
	assert_true(check("440881104000", "town", "440881000000", "county", NULL));
	assert_true(check("440881104201", "village", "440881104000", "town", NULL));
	assert_true(check("440881104201001", "group", "440881104201", "village", NULL));
	assert_true(check("440800000000", "city", "440000000000", "province", NULL));
	/* format */
	assert_true(check("44088110420", "village", NULL, NULL, "code"));    /* 11 digits */
	assert_true(check("44088110420a", "village", NULL, NULL, "code"));   /* a letter */
	assert_true(check("040881104201", "village", NULL, NULL, "code"));   /* leading zero */
	assert_true(check("", "village", NULL, NULL, "code"));
	assert_true(check("440881104201", "hamlet", NULL, NULL, "level"));
	assert_true(check("440881104201", "group", NULL, NULL, "code"));     /* a group has 15 */
	assert_true(check("440881104201001", "village", NULL, NULL, "code")); /* only a group has 15 */
	assert_true(check("440881104201", "town", NULL, NULL, "code"));      /* a town ends in 000 */
	assert_true(check("440881104000", "county", NULL, NULL, "code"));    /* a county ends in 000000 */
	assert_true(check("440881104000", "village", NULL, NULL, "code"));   /* a village does not */
	assert_true(check("440881104201000", "group", NULL, NULL, "code"));  /* suffix 000 */
	/* prefixes: a town's first 6 are its county's, a village's first 9 its town's */
	assert_true(check("440882104000", "town", "440881000000", "county", "code"));
	assert_true(check("440881105201", "village", "440881104000", "town", "code"));
	assert_true(check("440881104202001", "group", "440881104201", "village", "code"));
	/* levels: the child level of the parent's */
	assert_true(check("440881104201", "village", "440881000000", "county", "level"));
	assert_true(check("440881104000", "town", "440881104000", "town", "level"));
	assert_true(check("440000000000", "province", "440000000000", "province", "level"));

	assert_string_equal(region_level_parse("镇"), "town");
	assert_string_equal(region_level_parse("街道"), "town");
	assert_string_equal(region_level_parse("乡"), "town");
	assert_string_equal(region_level_parse("居委会"), "village");
	assert_string_equal(region_level_parse("社区"), "village");
	assert_string_equal(region_level_parse("村民小组"), "group");
	assert_string_equal(region_level_parse("县级市"), "county");
	assert_string_equal(region_level_parse("区"), "county");
	assert_string_equal(region_level_parse("Town"), "town");
	assert_null(region_level_parse("hamlet"));
	assert_null(region_level_parse(NULL));
}

static void test_region_add_rules(void **state)
{
	struct ctx c;
	struct db *db = tx_db(&c);
	json_t *out = NULL;
	(void)state;

	assert_int_equal(region_add(&c, VA "001", "一组", "group", VA), 0);
	assert_int_equal(region_add(&c, VA "001", "一组", "group", VA), ZL_E_REGION_EXISTS);
	assert_int_equal(region_add(&c, "440881104203", "新村", "village", "440881999000"), ZL_E_VALIDATION);
	assert_true(has_error(&c, "parent_code"));
	verr_release(&c.errs);
	assert_int_equal(region_add(&c, "440881104203", "", "village", TOWN), ZL_E_VALIDATION);
	assert_true(has_error(&c, "name"));
	verr_release(&c.errs);
	/* a scoped actor cannot add outside its subtree, nor a root */
	assert_int_equal(scope_load(db, &c.actor, VA), 0);
	assert_int_equal(region_add(&c, VB "001", "一组", "group", VB), ZL_E_VALIDATION);
	verr_release(&c.errs);
	assert_int_equal(region_add(&c, "440881000000", "县", "county", NULL), ZL_E_VALIDATION);
	verr_release(&c.errs);
	assert_int_equal(region_get(&c, VB, &out), ZL_E_NOT_FOUND);
	assert_int_equal(region_get(&c, VA, &out), 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(out, "descendants"), "group")), 1);
	json_decref(out);

	/* retire: not while a child is active; then no child under it */
	ctx_init_system(&c, db);
	assert_int_equal(region_retire(&c, VA, &out), ZL_E_REGION_ACTIVE_CHILDREN);
	assert_int_equal(region_retire(&c, VA "001", &out), 0);
	assert_true(json_is_true(json_object_get(out, "retired")));
	json_decref(out);
	assert_int_equal(region_retire(&c, VA, &out), 0);
	json_decref(out);
	assert_int_equal(region_add(&c, VA "002", "二组", "group", VA), ZL_E_REGION_RETIRED);
	/* delete: only what nothing refers to */
	add_user(db, "u1", "cadre", VB);
	assert_int_equal(region_delete(&c, VB), ZL_E_REGION_IN_USE);
	assert_int_equal(region_delete(&c, VA), ZL_E_REGION_IN_USE); /* has a child */
	assert_int_equal(region_delete(&c, VA "001"), 0);
	assert_int_equal(count(db, "SELECT COUNT(*) FROM region WHERE code = '" VA "001'"), 0);
	tx_done(db, &c);
}

static void test_move_updates_paths(void **state)
{
	struct ctx c, scoped;
	struct db *db = tx_db(&c);
	json_t *out = NULL;
	char *s;
	int64_t hh;
	(void)state;

	/* a county above the root town, a second town, groups */
	assert_int_equal(region_add(&c, "440881000000", "廉江市", "county", NULL), 0);
	assert_int_equal(region_move(&c, TOWN, "440881000000", &out), 0);
	json_decref(out);
	assert_int_equal(region_add(&c, "440881105000", "石城镇", "town", "440881000000"), 0);
	assert_int_equal(region_add(&c, VA "001", "一组", "group", VA), 0);
	assert_int_equal(region_add(&c, VB "001", "一组", "group", VB), 0);
	hh = add_household(db, "H1", VB, VB "001");

	s = text(db, "SELECT path FROM region WHERE code = ?", VB "001");
	assert_string_equal(s, "/440881000000/" TOWN "/" VB "/" VB "001/");
	free(s);

	/* a user scoped to VB keeps seeing VB's records after the move */
	memset(&scoped, 0, sizeof(scoped));
	scoped.db = db;
	scoped.actor.role = ROLE_CADRE;
	assert_int_equal(region_move(&c, VB, "440881105000", &out), 0);
	json_decref(out);
	s = text(db, "SELECT path FROM region WHERE code = ?", VB "001");
	assert_string_equal(s, "/440881000000/440881105000/" VB "/" VB "001/");
	free(s);
	assert_int_equal(scope_load(db, &scoped.actor, VB), 0);
	assert_int_equal(scope_contains(&scoped, VB "001"), 1);
	assert_int_equal(scope_load(db, &scoped.actor, TOWN), 0);
	assert_int_equal(scope_contains(&scoped, VB "001"), 0);
	assert_int_equal(scope_load(db, &scoped.actor, "440881105000"), 0);
	assert_int_equal(scope_contains(&scoped, VB "001"), 1);
	/* every path of the tree still matches its parent's */
	assert_int_equal(count(db, "SELECT COUNT(*) FROM region r JOIN region p ON p.code = r.parent_code"
				   " WHERE r.path <> p.path || r.code || '/'"), 0);

	/* a group moved to another village takes its households along */
	assert_int_equal(region_move(&c, VB "001", VA, &out), 0);
	json_decref(out);
	s = text(db, "SELECT village_code FROM household WHERE code = ?", "H1");
	assert_string_equal(s, VA);
	free(s);
	(void)hh;

	/* refusals: into its own subtree, wrong level, unknown parent */
	assert_int_equal(region_move(&c, TOWN, VA, &out), ZL_E_REGION_CYCLE);
	assert_int_equal(region_move(&c, TOWN, TOWN, &out), ZL_E_REGION_CYCLE);
	assert_int_equal(region_move(&c, VA, "440881000000", &out), ZL_E_VALIDATION);
	assert_true(has_error(&c, "parent_code"));
	verr_release(&c.errs);
	assert_int_equal(region_move(&c, VA, "440881999000", &out), ZL_E_VALIDATION);
	verr_release(&c.errs);
	assert_int_equal(count(db, "SELECT COUNT(*) FROM region r JOIN region p ON p.code = r.parent_code"
				   " WHERE r.path <> p.path || r.code || '/'"), 0);
	tx_done(db, &c);
}

/* ---------------------------------------------------------------- import */

static void test_import(void **state)
{
	struct ctx c;
	struct db *db = tx_db(&c);
	struct region_import_result res;
	/* children before parents, Chinese levels, a header, CRLF, a BOM */
	static const char good[] =
		"\xEF\xBB\xBF"
		"代码,名称,级别,上级代码\r\n"
		"440881104203001,第一村民小组,村民小组,440881104203\r\n"
		"440881105201,\"石城村\",村,440881105000\r\n"
		"440881104203,新塘村,村,440881104000\r\n"
		"440881105000,石城镇,镇,440881000000\r\n"
		"440881000000,廉江市,县级市,\r\n"
		"440881104000,凤岭镇,town,440881000000\r\n";
	static const char bad[] =
		"440881106000,车板镇,镇,440881000000\n"
		"440881106201,村一,hamlet,440881106000\n"
		"440881107201,村二,村,440881106000\n"
		"440881106202,,村,440881106000\n"
		"440881106203,村四,村\n"
		"440881106204,村五,村,440881999000\n"
		"440881106205,村六\n"
		"440881106201,重复,村,440881106000\n";
	int64_t before;
	(void)state;

	assert_int_equal(region_import(&c, good, sizeof(good) - 1, 1, &res), 0); /* dry run */
	assert_int_equal(res.rows, 6);
	assert_int_equal(res.created, 5);
	assert_int_equal(res.moved, 1); /* the town goes under the new county */
	assert_int_equal(count(db, "SELECT COUNT(*) FROM region"), 3);
	assert_int_equal(region_import(&c, good, sizeof(good) - 1, 0, &res), 0);
	assert_int_equal(count(db, "SELECT COUNT(*) FROM region"), 8);
	char *s = text(db, "SELECT path FROM region WHERE code = ?", "440881104203001");
	assert_string_equal(s, "/440881000000/440881104000/440881104203/440881104203001/");
	free(s);
	/* a second import of the same file changes nothing */
	before = count(db, "SELECT COUNT(*) FROM audit_log");
	assert_int_equal(region_import(&c, good, sizeof(good) - 1, 0, &res), 0);
	assert_int_equal(res.unchanged, 6);
	assert_int_equal(res.created + res.renamed + res.moved, 0);
	assert_int_equal(count(db, "SELECT COUNT(*) FROM audit_log"), before);

	/* a bad file names each bad row and column and applies nothing */
	before = count(db, "SELECT COUNT(*) FROM region");
	assert_int_equal(region_import(&c, bad, sizeof(bad) - 1, 0, &res), ZL_E_VALIDATION);
	assert_int_equal(count(db, "SELECT COUNT(*) FROM region"), before);
	assert_true(has_error(&c, "row 2, column 3 (level)"));
	assert_true(has_error(&c, "row 3, column 1 (code)"));   /* prefix of another town */
	assert_true(has_error(&c, "row 4, column 2 (name)"));
	assert_true(has_error(&c, "row 5, column 4 (parent code)")); /* a village needs one */
	assert_true(has_error(&c, "row 6, column 4 (parent code)"));
	assert_true(has_error(&c, "row 7"));                    /* two columns */
	assert_true(has_error(&c, "row 8, column 1 (code)"));   /* duplicate */
	assert_false(has_error(&c, "row 1, column 1 (code)"));
	verr_release(&c.errs);
	tx_done(db, &c);
}

/* ---------------------------------------------------------------- helpers */

static void test_phone_and_dates(void **state)
{
	char out[24], masked[32];
	(void)state;
	assert_int_equal(org_phone_check("138 0013 8000", out), 0);
	assert_string_equal(out, "13800138000");
	assert_int_equal(org_phone_check("+86-13800138000", out), 0);
	assert_string_equal(out, "13800138000");
	assert_int_equal(org_phone_check("0759-6612345", out), 0);
	assert_string_equal(out, "0759-6612345");
	assert_int_equal(org_phone_check("(020)87654321", out), 0);
	assert_string_equal(out, "020-87654321");
	assert_int_equal(org_phone_check("12800138000", out), -1); /* 12x is no mobile */
	assert_int_equal(org_phone_check("1380013800", out), -1);
	assert_int_equal(org_phone_check("0759-661234", out), -1); /* 6-digit number */
	assert_int_equal(org_phone_check("phone", out), -1);
	assert_int_equal(org_phone_check("+1 2025550100", out), -1);
	org_phone_mask("13800138000", masked, sizeof(masked));
	assert_string_equal(masked, "138****8000");
	org_phone_mask("0759-6612345", masked, sizeof(masked));
	assert_string_equal(masked, "0759-***2345");
}

static void test_team_rules(void **state)
{
	struct ctx c;
	struct db *db = tx_db(&c);
	int64_t leader = add_user(db, "ld", "leader", TOWN), cadre = add_user(db, "cd", "cadre", VA);
	json_t *in, *out = NULL;
	(void)state;

	in = json_pack("{s:I,s:i,s:s,s:s,s:s}", "leader_user_id", (json_int_t)cadre, "station_weekday", 3,
		       "station_start", "08:30", "station_end", "12:00", "station_place", "村委会");
	assert_int_equal(team_put(&c, VA, "station", in, &out), ZL_E_TEAM_LEADER_ROLE);
	json_object_set_new(in, "leader_user_id", json_integer(leader));
	json_object_set_new(in, "station_end", json_string("11:00")); /* 2.5 hours */
	assert_int_equal(team_put(&c, VA, "station", in, &out), ZL_E_VALIDATION);
	assert_true(has_error(&c, "station_end"));
	verr_release(&c.errs);
	json_object_set_new(in, "station_end", json_string("12:00"));
	assert_int_equal(team_put(&c, VA, "station", in, &out), 0);
	assert_int_equal(json_integer_value(json_object_get(out, "station_weekday")), 3);
	json_decref(out);
	/* an auxiliary team may meet for less than half a day, led by anyone */
	json_object_set_new(in, "leader_user_id", json_integer(cadre));
	json_object_set_new(in, "station_end", json_string("10:00"));
	assert_int_equal(team_put(&c, VA, "auxiliary", in, &out), 0);
	json_decref(out);
	assert_int_equal(team_put(&c, VA, "other", in, &out), ZL_E_NOT_FOUND);
	assert_int_equal(team_put(&c, TOWN, "station", in, &out), ZL_E_NOT_FOUND); /* not a village */
	json_decref(in);

	in = json_pack("{s:I,s:s}", "user_id", (json_int_t)cadre, "team_role", "cadre");
	assert_int_equal(team_member_add(&c, VA, "station", in, &out), 0);
	json_decref(out);
	assert_int_equal(team_member_add(&c, VA, "station", in, &out), ZL_E_MEMBER_EXISTS);
	json_decref(in);
	in = json_pack("{s:s,s:s}", "name", "志愿者", "team_role", "astronaut");
	assert_int_equal(team_member_add(&c, VA, "auxiliary", in, &out), ZL_E_VALIDATION);
	assert_true(has_error(&c, "team_role"));
	verr_release(&c.errs);
	json_decref(in);
	tx_done(db, &c);
}

/* ---------------------------------------------------------------- assignments */

static void expect_responsible(struct ctx *c, int64_t hh, const char *date, int64_t user)
{
	json_t *out = NULL;
	assert_int_equal(assignment_responsible(c, hh, date, &out), 0);
	if (user)
		assert_int_equal(json_integer_value(json_object_get(out, "user_id")), user);
	else
		assert_true(json_is_null(json_object_get(out, "user_id")));
	json_decref(out);
}

static void test_one_current_per_household(void **state)
{
	struct ctx c;
	struct db *db = tx_db(&c);
	int64_t a = add_user(db, "a", "cadre", TOWN), b = add_user(db, "b", "cadre", TOWN);
	int64_t narrow = add_user(db, "n", "cadre", VB), viewer = add_user(db, "v", "viewer", TOWN);
	int64_t hh = add_household(db, "H1", VA, VA);
	json_t *out = NULL;
	(void)state;

	assert_int_equal(household_assign(&c, hh, a, "2026-01-01", 0, NULL), 0);
	assert_int_equal(household_assign(&c, hh, a, "2026-01-05", 0, NULL), ZL_E_ASSIGN_EXISTS);
	assert_int_equal(household_assign(&c, hh, b, "2025-12-01", 0, NULL), ZL_E_ASSIGN_DATES);
	verr_release(&c.errs);
	assert_int_equal(household_assign(&c, hh, narrow, "2026-02-01", 0, NULL), ZL_E_ASSIGN_SCOPE);
	assert_int_equal(household_assign(&c, hh, viewer, "2026-02-01", 0, NULL), ZL_E_ASSIGN_CADRE);
	assert_int_equal(household_assign(&c, hh, b, "2026-02-01", 0, &out), 0);
	assert_true(json_is_true(json_object_get(out, "current")));
	json_decref(out);
	assert_int_equal(household_assign(&c, hh, a, "2026-03-01", 0, NULL), 0);
	assert_int_equal(count(db, "SELECT COUNT(*) FROM household_assignment WHERE end_date IS NULL"), 1);
	assert_int_equal(count(db, "SELECT COUNT(*) FROM household_assignment"), 3);
	/* the storage refuses a second current row, whatever the code does */
	assert_int_equal(db_run(db, "INSERT INTO household_assignment(household_id, user_id, start_date,"
				    " created_at) VALUES (?, ?, '2026-04-01', 'x')", "ii", hh, b),
			 ZL_E_CONFLICT);

	expect_responsible(&c, hh, "2025-12-31", 0);
	expect_responsible(&c, hh, "2026-01-01", a);
	expect_responsible(&c, hh, "2026-01-31", a);
	expect_responsible(&c, hh, "2026-02-01", b); /* start inclusive, end exclusive */
	expect_responsible(&c, hh, "2026-02-28", b);
	expect_responsible(&c, hh, "2026-03-01", a);
	assert_int_equal(assignment_responsible(&c, hh, "2026-02-30", &out), ZL_E_VALIDATION);
	verr_release(&c.errs);
	assert_int_equal(assignment_responsible(&c, 9999, "2026-02-01", &out), ZL_E_NOT_FOUND);

	/* stationing: once per village at a time, and within the cadre's scope */
	assert_int_equal(station_assign(&c, a, VA, "2026-01-01", 0, NULL), 0);
	assert_int_equal(station_assign(&c, a, VA, "2026-01-02", 0, NULL), ZL_E_ASSIGN_EXISTS);
	assert_int_equal(station_assign(&c, narrow, VA, "2026-01-01", 0, NULL), ZL_E_ASSIGN_SCOPE);
	assert_int_equal(station_assign(&c, a, TOWN, "2026-01-01", 0, NULL), ZL_E_VALIDATION);
	verr_release(&c.errs);
	assert_int_equal(count(db, "SELECT COUNT(*) FROM notification WHERE kind = 'assignment.station'"), 1);
	tx_done(db, &c);
}

static int mover_calls;
static int test_mover(struct ctx *c, const struct handover *h, json_t *summary)
{
	(void)c;
	mover_calls++;
	json_object_set_new(summary, "test", json_pack("{s:I,s:I}", "households", (json_int_t)h->nhouseholds,
						       "villages", (json_int_t)h->nvillages));
	return 0;
}
static int fail_now;
static int failing_mover(struct ctx *c, const struct handover *h, json_t *summary)
{
	(void)c;
	(void)h;
	(void)summary;
	return fail_now ? ZL_E_CONFLICT : 0;
}
static const struct handover_mover test_movers[] = { { "test", test_mover }, { "failing", failing_mover } };

static json_t *handover_in(int64_t from, int64_t to, const char *date)
{
	return json_pack("{s:I,s:I,s:s,s:s}", "from_user_id", (json_int_t)from, "to_user_id", (json_int_t)to,
			 "effective_date", date, "note", "轮岗");
}

static void test_handover(void **state)
{
	struct ctx c;
	struct db *db = tx_db(&c);
	int64_t a = add_user(db, "a", "cadre", TOWN), b = add_user(db, "b", "leader", TOWN);
	int64_t cva = add_user(db, "c", "cadre", VA), off = add_user(db, "d", "cadre", TOWN);
	int64_t h1 = add_household(db, "H1", VA, VA), h2 = add_household(db, "H2", VA, VA);
	int64_t h3 = add_household(db, "H3", VB, VB), other = add_household(db, "H4", VA, VA);
	json_t *in, *out = NULL, *sum;
	(void)state;

	handover_register(&test_movers[0]);
	handover_register(&test_movers[0]); /* twice: no effect */
	handover_register(&test_movers[1]);
	assert_int_equal(station_assign(&c, a, VA, "2026-01-01", 0, NULL), 0);
	assert_int_equal(station_assign(&c, a, VB, "2026-01-01", 0, NULL), 0);
	assert_int_equal(station_assign(&c, b, VB, "2026-01-01", 0, NULL), 0); /* b is there already */
	assert_int_equal(household_assign(&c, h1, a, "2026-01-01", 0, NULL), 0);
	assert_int_equal(household_assign(&c, h2, a, "2026-01-01", 0, NULL), 0);
	assert_int_equal(household_assign(&c, h3, a, "2026-01-01", 0, NULL), 0);
	assert_int_equal(household_assign(&c, other, off, "2026-01-01", 0, NULL), 0);

	/* refusals first: nothing changes */
	in = handover_in(a, a, "2026-03-01");
	assert_int_equal(handover_run(&c, in, &out), ZL_E_HANDOVER_SAME);
	json_decref(in);
	assert_int_equal(db_run(db, "UPDATE app_user SET disabled_at = 'x' WHERE id = ?", "i", off), 0);
	in = handover_in(a, off, "2026-03-01");
	assert_int_equal(handover_run(&c, in, &out), ZL_E_ASSIGN_CADRE);
	json_decref(in);
	in = handover_in(a, cva, "2026-03-01"); /* cva cannot take VB's station */
	assert_int_equal(handover_run(&c, in, &out), ZL_E_ASSIGN_SCOPE);
	verr_release(&c.errs);
	json_decref(in);
	in = handover_in(a, b, "2025-12-31"); /* before the rows start */
	assert_int_equal(handover_run(&c, in, &out), ZL_E_ASSIGN_DATES);
	verr_release(&c.errs);
	json_decref(in);
	assert_int_equal(count(db, "SELECT COUNT(*) FROM handover"), 0);

	/* a failing mover rolls the whole handover back */
	fail_now = 1;
	assert_int_equal(db_exec(db, "SAVEPOINT h"), 0);
	in = handover_in(a, b, "2026-03-01");
	assert_int_equal(handover_run(&c, in, &out), ZL_E_CONFLICT);
	assert_int_equal(db_exec(db, "ROLLBACK TO h; RELEASE h"), 0);
	fail_now = 0;
	assert_int_equal(count(db, "SELECT COUNT(*) FROM household_assignment WHERE end_date IS NOT NULL"), 0);

	/* the whole scope: both stations and the three households, nothing else */
	mover_calls = 0;
	assert_int_equal(handover_run(&c, in, &out), 0);
	json_decref(in);
	assert_int_equal(mover_calls, 1);
	sum = json_object_get(out, "summary");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(sum, "stations"), "count")), 2);
	assert_int_equal(json_array_size(json_object_get(json_object_get(sum, "stations"), "already_stationed")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(sum, "households"), "count")), 3);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(sum, "test"), "households")), 3);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(sum, "test"), "villages")), 2);
	assert_true(json_is_true(json_object_get(out, "whole_scope")));
	int64_t hid = json_integer_value(json_object_get(out, "id"));
	json_decref(out);
	/* old rows end on the date, new rows carry the handover; nothing deleted */
	assert_int_equal(count(db, "SELECT COUNT(*) FROM household_assignment"), 7);
	assert_int_equal(count(db, "SELECT COUNT(*) FROM household_assignment WHERE end_date = '2026-03-01'"), 3);
	char sql[200];
	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM household_assignment WHERE handover_id = %" PRId64
		 " AND end_date IS NULL", hid);
	assert_int_equal(count(db, sql), 3);
	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM station_assignment WHERE handover_id = %" PRId64, hid);
	assert_int_equal(count(db, sql), 1); /* VA; b was at VB already */
	assert_int_equal(count(db, "SELECT COUNT(*) FROM station_assignment WHERE end_date IS NULL"), 2);
	assert_int_equal(count(db, "SELECT COUNT(*) FROM household_assignment WHERE end_date IS NULL"
				   " AND user_id = (SELECT id FROM app_user WHERE username = 'd')"), 1);
	/* responsible across the boundary */
	expect_responsible(&c, h1, "2026-02-28", a);
	expect_responsible(&c, h1, "2026-03-01", b);
	expect_responsible(&c, h3, "2026-03-01", b);
	/* both notified */
	assert_int_equal(count(db, "SELECT COUNT(*) FROM notification WHERE kind = 'handover.out'"), 1);
	assert_int_equal(count(db, "SELECT COUNT(*) FROM notification WHERE kind = 'handover.in'"), 1);
	assert_int_equal(count(db, "SELECT COUNT(*) FROM audit_log WHERE action = 'handover.create'"), 1);

	/* a listed handover moves exactly the listed things */
	in = handover_in(b, cva, "2026-04-01");
	json_object_set_new(in, "household_ids", json_pack("[I]", (json_int_t)h1));
	assert_int_equal(handover_run(&c, in, &out), 0);
	sum = json_object_get(out, "summary");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(sum, "households"), "count")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(sum, "stations"), "count")), 0);
	assert_false(json_is_true(json_object_get(out, "whole_scope")));
	json_decref(out);
	expect_responsible(&c, h1, "2026-04-01", cva);
	expect_responsible(&c, h2, "2026-04-01", b);
	/* the same again: no longer b's */
	assert_int_equal(handover_run(&c, in, &out), ZL_E_HANDOVER_NOT_HELD);
	assert_true(has_error(&c, "household_ids"));
	verr_release(&c.errs);
	json_decref(in);
	/* by village: the station there and b's households in it, not VB's */
	in = handover_in(b, cva, "2026-05-01");
	json_object_set_new(in, "village_codes", json_pack("[s]", VA));
	assert_int_equal(handover_run(&c, in, &out), 0);
	sum = json_object_get(out, "summary");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(sum, "stations"), "count")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(sum, "households"), "count")), 1);
	json_decref(out);
	json_decref(in);
	expect_responsible(&c, h2, "2026-05-01", cva);
	expect_responsible(&c, h3, "2026-05-01", b);

	/* the new cadre reads the household's whole history, predecessors too */
	{
		struct ctx me;
		struct assignment_filter f = { 0 };
		json_t *items = NULL;
		int64_t next = 0;
		memset(&me, 0, sizeof(me));
		me.db = db;
		me.actor.user_id = cva;
		me.actor.role = ROLE_CADRE;
		assert_int_equal(scope_load(db, &me.actor, VA), 0);
		f.household_id = h1;
		assert_int_equal(household_assignment_list(&me, NULL, &f, &items, &next), 0);
		assert_int_equal(json_array_size(items), 3); /* a, b, cva */
		json_decref(items);
		f.household_id = h3; /* VB: outside the scope, not cva's */
		assert_int_equal(household_assignment_list(&me, NULL, &f, &items, &next), 0);
		assert_int_equal(json_array_size(items), 0);
		json_decref(items);
		assert_int_equal(handover_list(&me, NULL, 0, &items, &next), 0);
		assert_int_equal(json_array_size(items), 2); /* the two to cva */
		json_decref(items);
	}
	tx_done(db, &c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_code_validation),
		cmocka_unit_test(test_region_add_rules),
		cmocka_unit_test(test_move_updates_paths),
		cmocka_unit_test(test_import),
		cmocka_unit_test(test_phone_and_dates),
		cmocka_unit_test(test_team_rules),
		cmocka_unit_test(test_one_current_per_household),
		cmocka_unit_test(test_handover),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
