/*
 * test_appeals.c: the appeal workflow: every state against every action
 * (allowed ones succeed and land in the right state, the others are 409 with
 * the state's allowed actions), roles, scope, accountability (a cadre works
 * only on their own appeals), pause and extension moving the deadline, the
 * household's open-appeal count, the time-limit job and the track link.
 */
#include "unit.h"

#include <jansson.h>

#include "appeals/appeals.h"
#include "appeals/portal.h"
#include "platform/clock.h"

#define VA "440881104201"
#define VB "440881104202"

static struct db *db;

static int64_t t(const char *s)
{
	int64_t us;
	assert_int_equal(time_parse(s, &us), 0);
	return us;
}

static int setup(void **state)
{
	UNUSED(state);
	db = unit_db();
	clock_test_enable();
	assert_int_equal(clock_test_set(t("2026-03-02T09:00:00+08:00")), 0);
	assert_int_equal(db_exec(db,
		"INSERT INTO app_user(id, username, display_name, role, scope_code, password_hash, created_at, updated_at) VALUES "
		"(1, 'admin', '管理员', 'admin', '440881104000', 'x', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),"
		"(2, 'cadre', '林秀英', 'cadre', '440881104201', 'x', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),"
		"(3, 'leader', '黄志强', 'leader', '440881104000', 'x', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),"
		"(4, 'cadreb', '陈', 'cadre', '440881104202', 'x', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');"
		"INSERT INTO department(id, name, kind, region_code, created_at, updated_at) VALUES "
		"(1, '农业农村办', 'town_office', '440881104000', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),"
		"(2, '综治办', 'town_office', '440881104000', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');"
		"INSERT INTO village_team(village_code, kind, leader_user_id, created_at, updated_at) VALUES "
		"('440881104201', 'station', 3, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');"
		"INSERT INTO household(id, code, village_code, region_code, head_name, created_at, updated_at) VALUES "
		"(1, '4408811042010001', '440881104201', '440881104201', '张三', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');"),
		0);
	return 0;
}

static int teardown(void **state)
{
	UNUSED(state);
	db_close(db);
	return 0;
}

static void ctx_as(struct ctx *c, int64_t uid, enum role r, const char *scope)
{
	ctx_init_system(c, db);
	c->actor.user_id = uid;
	c->actor.role = r;
	assert_int_equal(scope_load(db, &c->actor, scope), 0);
}

/* The services run inside the caller's transaction, as under the router. */
static int apply_tx(struct ctx *c, int64_t id, const json_t *in, json_t **out, json_t **allowed)
{
	int rc;
	assert_int_equal(db_begin(db), 0);
	rc = appeal_action_apply(c, id, in, out, allowed);
	if (rc)
		db_rollback(db);
	else
		assert_int_equal(db_commit(db), 0);
	return rc;
}

static int create_tx(struct ctx *c, const json_t *in, json_t **out)
{
	int rc;
	assert_int_equal(db_begin(db), 0);
	rc = appeal_create(c, in, out);
	if (rc)
		db_rollback(db);
	else
		assert_int_equal(db_commit(db), 0);
	return rc;
}

static int64_t new_appeal(int64_t household)
{
	struct ctx c;
	json_t *in = json_pack("{s:s,s:i,s:s,s:s}", "village_code", VA, "category_id", 3, "title", "村口垃圾未清运",
			       "description", "垃圾堆放三天无人清理");
	json_t *out = NULL;
	int64_t id;
	if (household)
		json_object_set_new(in, "household_id", json_integer(household));
	ctx_as(&c, 1, ROLE_ADMIN, UNIT_ROOT_CODE);
	assert_int_equal(create_tx(&c, in, &out), 0);
	id = json_integer_value(json_object_get(out, "id"));
	assert_string_equal(json_string_value(json_object_get(out, "state")), "submitted");
	json_decref(in);
	json_decref(out);
	ctx_release(&c);
	return id;
}

static char *state_of(int64_t id)
{
	char *s = NULL;
	assert_int_equal(db_get_text(db, &s, "SELECT state FROM appeal WHERE id = ?", "i", id), 1);
	return s;
}

/* Written out by hand (not read from the table) so the test checks it. */
static const struct {
	const char *state;
	const char *allowed; /* for an admin, in the table's order */
} expected_allowed[] = {
	{ "submitted", "accept,reject,transfer,merge_into,escalate,comment" },
	{ "accepted", "assign,transfer,request_extension,approve_extension,merge_into,escalate,comment" },
	{ "rejected", "comment" },
	{ "assigned", "start,assign,transfer,request_extension,approve_extension,merge_into,escalate,comment" },
	{ "in_progress", "resolve,wait_resident,assign,transfer,request_extension,approve_extension,merge_into,escalate,comment" },
	{ "waiting_resident", "resume,escalate,comment" },
	{ "resolved", "feedback,close,reopen,comment" },
	{ "reopened", "start,assign,transfer,request_extension,approve_extension,escalate,comment" },
	{ "closed", "comment" },
};

static const char *expected_to(const char *from, const char *action)
{
	static const struct {
		const char *action, *to;
	} to[] = {
		{ "accept", "accepted" }, { "reject", "rejected" }, { "assign", "assigned" }, { "start", "in_progress" },
		{ "wait_resident", "waiting_resident" }, { "resume", "in_progress" }, { "resolve", "resolved" },
		{ "feedback", "closed" }, { "close", "closed" }, { "reopen", "reopened" }, { "merge_into", "closed" },
	};
	if (!strcmp(action, "transfer"))
		return !strcmp(from, "submitted") ? "submitted" : "accepted";
	for (size_t i = 0; i < ARRAY_SIZE(to); i++)
		if (!strcmp(to[i].action, action))
			return to[i].to;
	return from;
}

static json_t *act(struct ctx *c, int64_t id, json_t *in);

static char *join(const json_t *arr)
{
	struct buf b = BUF_INIT;
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v) {
		if (i)
			buf_addch(&b, ',');
		buf_adds(&b, json_string_value(v));
	}
	return buf_detach(&b, NULL);
}

static int listed(const char *list, const char *action)
{
	size_t n = strlen(action);
	for (const char *p = list; (p = strstr(p, action)); p += n)
		if ((p == list || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return 1;
	return 0;
}

static void test_every_state_every_action(void **state)
{
	struct ctx c;
	UNUSED(state);
	ctx_as(&c, 1, ROLE_ADMIN, UNIT_ROOT_CODE);
	for (size_t s = 0; s < ARRAY_SIZE(expected_allowed); s++) {
		const char *from = expected_allowed[s].state;
		for (size_t a = 0; appeal_actions[a]; a++) {
			const char *action = appeal_actions[a];
			int64_t id = new_appeal(0), other = new_appeal(0);
			json_t *in = json_pack("{s:s,s:s,s:i,s:I,s:i,s:s,s:s,s:s,s:i}", "action", action, "reason", "理由",
					       "department_id", 2, "other_id", (json_int_t)other, "days", 2,
					       "satisfaction", "satisfied", "resolution", "已清运", "comment", "备注",
					       "user_id", 2);
			json_t *out = NULL, *allowed = NULL;
			char *got;
			int rc;
			assert_int_equal(db_run(db, "UPDATE appeal SET state = ?, due_at = '2026-03-11T01:00:00Z', "
						    "assignee_user_id = 2, extension_requested_days = 2, paused_since = "
						    "CASE WHEN ? = 'waiting_resident' THEN '2026-03-02T01:00:00Z' END WHERE id = ?",
						"tti", from, from, id), 0);
			rc = apply_tx(&c, id, in, &out, &allowed);
			got = state_of(id);
			if (listed(expected_allowed[s].allowed, action)) {
				if (rc)
					fail_msg("%s in %s: rc %d, want success", action, from, rc);
				assert_null(allowed);
				assert_string_equal(got, expected_to(from, action));
				assert_string_equal(json_string_value(json_object_get(out, "state")), got);
			} else {
				char *list;
				if (rc != ZL_E_APPEAL_ILLEGAL)
					fail_msg("%s in %s: rc %d, want illegal transition", action, from, rc);
				assert_non_null(allowed);
				list = join(allowed);
				assert_string_equal(list, expected_allowed[s].allowed);
				assert_string_equal(got, from); /* nothing changed */
				free(list);
			}
			free(got);
			json_decref(in);
			json_decref(out);
			json_decref(allowed);
		}
	}
	ctx_release(&c);
}

static void test_roles_and_scope(void **state)
{
	struct ctx cadre, other, leader;
	json_t *in = json_pack("{s:s}", "action", "approve_extension"), *out = NULL, *allowed = NULL;
	int64_t id = new_appeal(0);
	char *list;
	UNUSED(state);
	ctx_as(&cadre, 2, ROLE_CADRE, VA);
	ctx_as(&other, 4, ROLE_CADRE, VB);
	ctx_as(&leader, 3, ROLE_LEADER, UNIT_ROOT_CODE);
	assert_int_equal(db_run(db, "UPDATE appeal SET state = 'in_progress', due_at = '2026-03-11T01:00:00Z', "
				    "extension_requested_days = 1, assignee_user_id = 2 WHERE id = ?", "i", id), 0);
	/* a cadre may not approve an extension: 403 with what the cadre may do */
	assert_int_equal(apply_tx(&cadre, id, in, &out, &allowed), ZL_E_APPEAL_ACTION_FORBIDDEN);
	list = join(allowed);
	assert_string_equal(list, "resolve,wait_resident,assign,transfer,request_extension,merge_into,comment");
	free(list);
	json_decref(allowed);
	allowed = NULL;
	/* the other village's cadre does not see it at all */
	assert_int_equal(appeal_get(&other, id, &out), ZL_E_NOT_FOUND);
	assert_int_equal(apply_tx(&other, id, in, &out, &allowed), ZL_E_NOT_FOUND);
	assert_null(allowed);
	/* the leader may */
	assert_int_equal(apply_tx(&leader, id, in, &out, &allowed), 0);
	json_decref(out);
	/* bad input: unknown action, missing required field */
	json_decref(in);
	in = json_pack("{s:s}", "action", "fly");
	assert_int_equal(apply_tx(&cadre, id, in, &out, &allowed), ZL_E_VALIDATION);
	json_decref(in);
	in = json_pack("{s:s}", "action", "resolve");
	verr_release(&cadre.errs);
	assert_int_equal(apply_tx(&cadre, id, in, &out, &allowed), ZL_E_VALIDATION);
	assert_string_equal(cadre.errs.items[0].field, "resolution");
	assert_false(perm_allows(ROLE_VIEWER, "appeal.write"));
	assert_true(perm_allows(ROLE_VIEWER, "appeal.read"));
	json_decref(in);
	ctx_release(&cadre);
	ctx_release(&other);
	ctx_release(&leader);
}

/* The rule by itself, over every row of the table: leaders and admins keep
 * every action their role holds; a cadre comments anywhere, takes intake on
 * an unrouted appeal, and works only on their own; a viewer does nothing. */
static void test_accountability_rule(void **state)
{
	static const char *const intake[] = { "accept", "reject", "assign", "transfer", "merge_into" };
	UNUSED(state);
	assert_false(appeal_action_permitted(NULL, ROLE_ADMIN, APPEAL_TIE_OWN));
	for (int s = 0; s < APPEAL_NSTATES; s++) {
		for (size_t a = 0; appeal_actions[a]; a++) {
			const struct appeal_transition *tr = appeal_transition_find((enum appeal_state)s, appeal_actions[a]);
			int write, is_intake = 0;
			if (!tr)
				continue;
			write = !strcmp(tr->perm, "appeal.write");
			for (size_t i = 0; i < ARRAY_SIZE(intake); i++)
				is_intake |= !strcmp(tr->action, intake[i]);
			for (int tie = APPEAL_TIE_NONE; tie <= APPEAL_TIE_OWN; tie++) {
				assert_true(appeal_action_permitted(tr, ROLE_ADMIN, (enum appeal_tie)tie));
				assert_true(appeal_action_permitted(tr, ROLE_LEADER, (enum appeal_tie)tie));
				assert_false(appeal_action_permitted(tr, ROLE_VIEWER, (enum appeal_tie)tie));
			}
			assert_int_equal(appeal_action_permitted(tr, ROLE_CADRE, APPEAL_TIE_OWN), write);
			assert_int_equal(appeal_action_permitted(tr, ROLE_CADRE, APPEAL_TIE_NONE),
					 write && !strcmp(tr->action, "comment"));
			assert_int_equal(appeal_action_permitted(tr, ROLE_CADRE, APPEAL_TIE_UNROUTED),
					 write && (is_intake || !strcmp(tr->action, "comment")));
		}
	}
}

static char *allowed_for(struct ctx *c, int64_t id)
{
	json_t *out = NULL;
	char *list;
	assert_int_equal(appeal_get(c, id, &out), 0);
	list = join(json_object_get(out, "allowed_actions"));
	json_decref(out);
	return list;
}

static void expect_allowed(struct ctx *c, int64_t id, const char *want)
{
	char *got = allowed_for(c, id);
	assert_string_equal(got, want);
	free(got);
}

/* Against the database: the assignee, a colleague of the same village, a
 * member of the appeal's department (current, then ended), the leader. */
static void test_accountability(void **state)
{
	struct ctx owner, colleague, leader;
	json_t *in = json_pack("{s:s}", "action", "start"), *out = NULL, *allowed = NULL;
	int64_t id = new_appeal(0), fresh = new_appeal(0);
	char *list;
	UNUSED(state);
	assert_int_equal(db_exec(db,
		"INSERT OR IGNORE INTO app_user(id, username, display_name, role, scope_code, password_hash, created_at, "
		"updated_at) VALUES (5, 'cadrec', '李', 'cadre', '440881104201', 'x', '2026-01-01T00:00:00Z', "
		"'2026-01-01T00:00:00Z');"
		"INSERT INTO department_member(department_id, user_id, start_date) VALUES (1, 5, '2026-01-01');"), 0);
	ctx_as(&owner, 2, ROLE_CADRE, VA);
	ctx_as(&colleague, 5, ROLE_CADRE, VA);
	ctx_as(&leader, 3, ROLE_LEADER, UNIT_ROOT_CODE);
	assert_int_equal(db_run(db, "UPDATE appeal SET state = 'assigned', due_at = '2026-03-11T01:00:00Z', "
				    "assignee_user_id = 2 WHERE id = ?", "i", id), 0);
	/* someone else's appeal: the colleague may only comment */
	expect_allowed(&owner, id, "start,assign,transfer,request_extension,merge_into,comment");
	expect_allowed(&colleague, id, "comment");
	assert_int_equal(apply_tx(&colleague, id, in, &out, &allowed), ZL_E_APPEAL_ACTION_FORBIDDEN);
	list = join(allowed);
	assert_string_equal(list, "comment");
	free(list);
	json_decref(allowed);
	allowed = NULL;
	list = state_of(id);
	assert_string_equal(list, "assigned"); /* nothing changed */
	free(list);
	/* assigned to the colleague's department as well: theirs too */
	assert_int_equal(db_run(db, "UPDATE appeal SET department_id = 1 WHERE id = ?", "i", id), 0);
	expect_allowed(&colleague, id, "start,assign,transfer,request_extension,merge_into,comment");
	json_decref(act(&colleague, id, json_pack("{s:s}", "action", "start")));
	/* the membership ended: no longer theirs */
	assert_int_equal(db_exec(db, "UPDATE department_member SET end_date = '2026-03-01' WHERE user_id = 5"), 0);
	json_decref(in);
	in = json_pack("{s:s,s:s}", "action", "resolve", "resolution", "已清运");
	assert_int_equal(apply_tx(&colleague, id, in, &out, &allowed), ZL_E_APPEAL_ACTION_FORBIDDEN);
	json_decref(allowed);
	allowed = NULL;
	/* the leader keeps every action */
	expect_allowed(&leader, id, "resolve,wait_resident,assign,transfer,request_extension,merge_into,escalate,comment");
	json_decref(act(&leader, id, json_pack("{s:s,s:s}", "action", "resolve", "resolution", "已清运")));
	/* nobody's appeal yet: any cadre of the village takes it in */
	expect_allowed(&colleague, fresh, "accept,reject,transfer,merge_into,comment");
	json_decref(act(&colleague, fresh, json_pack("{s:s}", "action", "accept")));
	expect_allowed(&colleague, fresh, "assign,transfer,merge_into,comment"); /* still nobody's */
	json_decref(act(&colleague, fresh, json_pack("{s:s,s:i}", "action", "assign", "user_id", 2)));
	expect_allowed(&colleague, fresh, "comment");
	json_decref(in);
	ctx_release(&owner);
	ctx_release(&colleague);
	ctx_release(&leader);
}

/* The SMS link: the cards' base address and the track page's route. */
static void test_track_url(void **state)
{
	struct ctx c;
	char *url;
	UNUSED(state);
	ctx_as(&c, 1, ROLE_ADMIN, UNIT_ROOT_CODE);
	unsetenv("ZHILIAN_PUBLIC_URL");
	url = portal_track_url(&c, "7KQM-X2HD-9P");
	assert_string_equal(url, "http://127.0.0.1:8080/#/track?code=7KQM-X2HD-9P");
	free(url);
	assert_int_equal(db_exec(db, "INSERT OR REPLACE INTO setting(key, value) VALUES ('public_url', 'https://zl.example/town/')"), 0);
	url = portal_track_url(&c, "7KQM-X2HD-9P");
	assert_string_equal(url, "https://zl.example/town/#/track?code=7KQM-X2HD-9P");
	free(url);
	assert_int_equal(db_exec(db, "DELETE FROM setting WHERE key = 'public_url'"), 0);
	ctx_release(&c);
}

static json_t *act(struct ctx *c, int64_t id, json_t *in)
{
	json_t *out = NULL, *allowed = NULL;
	int rc = apply_tx(c, id, in, &out, &allowed);
	if (rc)
		fail_msg("action %s: rc %d", json_string_value(json_object_get(in, "action")), rc);
	json_decref(in);
	return out;
}

static void expect_due(int64_t id, const char *want)
{
	char *due = NULL, got[ZL_TIME_MAX];
	assert_int_equal(db_get_text(db, &due, "SELECT due_at FROM appeal WHERE id = ?", "i", id), 1);
	time_format_local(t(due), got);
	free(due);
	assert_string_equal(got, want);
}

/* Pause while waiting on the resident and an approved extension both move
 * the deadline by working time. */
static void test_pause_and_extension(void **state)
{
	struct ctx c;
	json_t *out = NULL, *allowed = NULL, *in;
	int64_t id, v;
	UNUSED(state);
	assert_int_equal(clock_test_set(t("2026-03-02T09:00:00+08:00")), 0);
	id = new_appeal(0);
	ctx_as(&c, 1, ROLE_ADMIN, UNIT_ROOT_CODE);
	json_decref(act(&c, id, json_pack("{s:s}", "action", "accept")));
	expect_due(id, "2026-03-11T09:00:00+08:00"); /* 7 working days */
	json_decref(act(&c, id, json_pack("{s:s,s:i}", "action", "assign", "user_id", 2)));
	json_decref(act(&c, id, json_pack("{s:s}", "action", "start")));
	clock_test_set(t("2026-03-03T09:00:00+08:00"));
	json_decref(act(&c, id, json_pack("{s:s,s:s}", "action", "wait_resident", "reason", "等村民提供照片")));
	clock_test_set(t("2026-03-05T09:00:00+08:00"));
	out = act(&c, id, json_pack("{s:s}", "action", "resume"));
	/* Tue 6 h + Wed 6.5 h + Thu 0.5 h = 13 working hours lost */
	assert_int_equal(json_integer_value(json_object_get(out, "paused_total_sec")), 13 * 3600);
	json_decref(out);
	expect_due(id, "2026-03-13T09:00:00+08:00");
	in = json_pack("{s:s}", "action", "approve_extension");
	assert_int_equal(apply_tx(&c, id, in, &out, &allowed), ZL_E_APPEAL_NO_EXTENSION);
	json_decref(in);
	json_decref(act(&c, id, json_pack("{s:s,s:i,s:s}", "action", "request_extension", "days", 2, "reason", "需协调")));
	json_decref(act(&c, id, json_pack("{s:s}", "action", "approve_extension")));
	expect_due(id, "2026-03-17T09:00:00+08:00"); /* 2 working days = 13 h */
	assert_int_equal(db_get_int(db, &v, "SELECT extension_sec FROM appeal WHERE id = ?", "i", id), 1);
	assert_int_equal(v, 13 * 3600);
	in = json_pack("{s:s,s:i,s:s}", "action", "request_extension", "days", 99, "reason", "x");
	assert_int_equal(apply_tx(&c, id, in, &out, &allowed), ZL_E_VALIDATION);
	json_decref(in);
	ctx_release(&c);
}

static int64_t count(const char *sql, int64_t id)
{
	int64_t v = -1;
	assert_int_equal(db_get_int(db, &v, sql, "i", id), 1);
	return v;
}

static void test_household_count_and_events(void **state)
{
	struct ctx c;
	json_t *items = NULL;
	int64_t a, b;
	UNUSED(state);
	ctx_as(&c, 1, ROLE_ADMIN, UNIT_ROOT_CODE);
	db_run(db, "UPDATE household SET open_appeal_count = 0 WHERE id = 1", "");
	a = new_appeal(1);
	b = new_appeal(1);
	assert_int_equal(count("SELECT open_appeal_count FROM household WHERE id = ?", 1), 2);
	json_decref(act(&c, a, json_pack("{s:s,s:I}", "action", "merge_into", "other_id", (json_int_t)b)));
	assert_int_equal(count("SELECT open_appeal_count FROM household WHERE id = ?", 1), 1);
	json_decref(act(&c, b, json_pack("{s:s,s:s}", "action", "reject", "reason", "不属于受理范围")));
	assert_int_equal(count("SELECT open_appeal_count FROM household WHERE id = ?", 1), 0);
	/* the survivor's history holds both appeals' events */
	assert_int_equal(appeal_events(&c, b, &items), 0);
	assert_int_equal(json_array_size(items), 5); /* submit a, submit b, merge a, merged_from b, reject b */
	json_decref(items);
	assert_int_equal(count("SELECT merged_into_id FROM appeal WHERE id = ?", a), b);
	ctx_release(&c);
}

/* The job: a warning at 80 %, then overdue and escalation to the station
 * team's leader, each once, with notifications. */
static void test_job(void **state)
{
	struct ctx c;
	int64_t id;
	UNUSED(state);
	assert_int_equal(clock_test_set(t("2026-03-02T09:00:00+08:00")), 0);
	id = new_appeal(0);
	ctx_as(&c, 1, ROLE_ADMIN, UNIT_ROOT_CODE);
	/* accept deadline (2 working hours, 11:00): at 10:30 75 % is used */
	assert_int_equal(appeal_sla_run(db, t("2026-03-02T10:30:00+08:00")) >= 0, 1);
	assert_int_equal(count("SELECT warned_at IS NULL FROM appeal WHERE id = ?", id), 1);
	json_decref(act(&c, id, json_pack("{s:s}", "action", "accept")));
	json_decref(act(&c, id, json_pack("{s:s,s:i}", "action", "assign", "user_id", 2)));
	/* due Wed 11th 09:00 after 45.5 h; 80 % is 36.4 h: Mon 9th 15:24 */
	assert_int_equal(appeal_sla_run(db, t("2026-03-09T15:20:00+08:00")) >= 0, 1);
	assert_int_equal(count("SELECT warned_at IS NULL FROM appeal WHERE id = ?", id), 1);
	assert_true(appeal_sla_run(db, t("2026-03-09T15:30:00+08:00")) >= 1);
	assert_int_equal(count("SELECT warned_at IS NOT NULL FROM appeal WHERE id = ?", id), 1);
	assert_int_equal(count("SELECT count(*) FROM notification WHERE user_id = 2 AND kind = 'appeal.warning' "
			       "AND entity_id = CAST(? AS TEXT)", id), 1);
	assert_int_equal(count("SELECT count(*) FROM appeal_event WHERE action = 'warn' AND appeal_id = ?", id), 1);
	appeal_sla_run(db, t("2026-03-10T11:30:00+08:00"));
	assert_int_equal(count("SELECT count(*) FROM appeal_event WHERE action = 'warn' AND appeal_id = ?", id), 1);
	/* past the deadline: overdue, escalated to the station leader (3) */
	assert_true(appeal_sla_run(db, t("2026-03-11T09:01:00+08:00")) >= 1);
	assert_int_equal(count("SELECT overdue_at IS NOT NULL AND escalation_level = 1 AND escalated_to_user_id = 3 "
			       "FROM appeal WHERE id = ?", id), 1);
	assert_int_equal(count("SELECT count(*) FROM notification WHERE user_id = 3 AND kind = 'appeal.escalated' "
			       "AND entity_id = CAST(? AS TEXT)", id), 1);
	assert_int_equal(count("SELECT count(*) FROM notification WHERE user_id = 2 AND kind = 'appeal.overdue' "
			       "AND entity_id = CAST(? AS TEXT)", id), 1);
	appeal_sla_run(db, t("2026-03-12T09:00:00+08:00"));
	assert_int_equal(count("SELECT escalation_level FROM appeal WHERE id = ?", id), 1);
	assert_int_equal(count("SELECT count(*) FROM appeal_event WHERE action = 'overdue' AND appeal_id = ?", id), 1);
	/* waiting on the resident: no flags while paused */
	ctx_release(&c);
}

static void test_create_validation(void **state)
{
	struct ctx c, cb;
	json_t *out = NULL;
	json_t *in = json_pack("{s:s,s:i,s:s,s:s,s:s}", "village_code", VB, "category_id", 999, "title", "",
			       "description", "x", "urgency", "soon");
	UNUSED(state);
	ctx_as(&c, 2, ROLE_CADRE, VA);
	assert_int_equal(create_tx(&c, in, &out), ZL_E_VALIDATION);
	assert_true(c.errs.n >= 3); /* village out of scope, title, urgency */
	json_decref(in);
	ctx_release(&c);
	/* a retired category */
	ctx_as(&cb, 4, ROLE_CADRE, VB);
	db_exec(db, "UPDATE appeal_category SET retired_at = '2026-01-02T00:00:00Z' WHERE id = 11");
	in = json_pack("{s:s,s:i,s:s,s:s}", "village_code", VB, "category_id", 11, "title", "t", "description", "d");
	assert_int_equal(create_tx(&cb, in, &out), ZL_E_CATEGORY_RETIRED);
	db_exec(db, "UPDATE appeal_category SET retired_at = NULL WHERE id = 11");
	assert_int_equal(create_tx(&cb, in, &out), 0);
	/* receipt code: 10 characters in groups, no ambiguous letters */
	{
		const char *code = json_string_value(json_object_get(out, "receipt_code"));
		assert_int_equal(strlen(code), 12);
		assert_null(strpbrk(code, "01OIL"));
		assert_int_equal(code[4], '-');
	}
	json_decref(out);
	json_decref(in);
	ctx_release(&cb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_state_every_action),
		cmocka_unit_test(test_roles_and_scope),
		cmocka_unit_test(test_accountability_rule),
		cmocka_unit_test(test_accountability),
		cmocka_unit_test(test_track_url),
		cmocka_unit_test(test_pause_and_extension),
		cmocka_unit_test(test_household_count_and_events),
		cmocka_unit_test(test_job),
		cmocka_unit_test(test_create_validation),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
