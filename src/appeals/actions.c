/*
 * actions.c: applies one workflow action to an appeal: checks the table
 * (state, then role, then required fields), performs the action's effect
 * (deadlines, pause, extension, routing, feedback, merge, the resident's
 * SMS ask at resolution), and records the event, the audit row, the
 * household count and the notifications.
 */
#include "appeals_int.h"
#include "portal.h"

#include "org/org.h"
#include "platform/audit.h"
#include "platform/clock.h"

#define MAX_EXTENSION_DAYS 60

struct act {
	struct ctx *c;
	struct appeal_row a;
	const json_t *in;
	const char *action;
	int to;             /* the resulting state */
	int64_t now;
	char now_s[ZL_TIME_MAX];
	json_t *payload;    /* what the event records */
	struct sla_calendar cal;
};

static int set_time(struct act *x, const char *col, int64_t us)
{
	char sql[96], t[ZL_TIME_MAX];
	time_format_utc(us, t);
	snprintf(sql, sizeof(sql), "UPDATE appeal SET %s = ? WHERE id = ?", col); /* col is a literal */
	return db_run(x->c->db, sql, "ti", t, x->a.id);
}

static json_t *time_json(int64_t us)
{
	char t[ZL_TIME_MAX];
	time_format_local(us, t);
	return json_string(t);
}

/* A new resolve deadline from now (accept, reopen); the old flags belong to
 * the old deadline. */
static int restart_due(struct act *x)
{
	int64_t due;
	int rc = sla_add(&x->cal, x->now, x->a.lim.resolve_amount, x->a.lim.resolve_unit, &due);
	if (rc || (rc = set_time(x, "due_at", due)))
		return rc;
	json_object_set_new(x->payload, "due_at", time_json(due));
	return db_run(x->c->db, "UPDATE appeal SET warned_at = NULL, overdue_at = NULL WHERE id = ?", "i", x->a.id);
}

static int text_field(struct act *x, const char *field, long max, const char **out)
{
	const char *s = NULL;
	int rc = json_opt_string(x->c, x->in, field, &s);
	if (rc)
		return rc;
	if (org_text_check(x->c, field, s, max))
		return ZL_E_VALIDATION;
	json_object_set_new(x->payload, field, json_string(s));
	*out = s;
	return 0;
}

/* An active user who may work on appeals, whose scope holds the village. */
static int assignee_check(struct act *x, int64_t uid)
{
	int64_t ok = 0;
	int rc = db_get_int(x->c->db, &ok,
		"SELECT 1 FROM app_user u JOIN region r ON r.code = u.scope_code WHERE u.id = ? AND u.disabled_at IS NULL "
		"AND u.role IN ('cadre', 'leader', 'admin') AND (SELECT path FROM region WHERE code = ?) LIKE r.path || '%'",
		"it", uid, x->a.village_code);
	if (rc < 0)
		return rc;
	if (rc != 1) {
		verr_add(&x->c->errs, "user_id", "该用户不能承办此诉求：须为本村管辖范围内的在职干部",
			 "'user_id' must be an active cadre whose scope holds the appeal's village");
		return ZL_E_VALIDATION;
	}
	return 0;
}

static int department_check(struct act *x, int64_t dept)
{
	int64_t ok = 0;
	int rc = db_get_int(x->c->db, &ok, "SELECT 1 FROM department WHERE id = ? AND retired_at IS NULL", "i", dept);
	if (rc < 0)
		return rc;
	if (rc != 1) {
		verr_add(&x->c->errs, "department_id", "部门不存在或已撤销", "'department_id' is not an active department");
		return ZL_E_VALIDATION;
	}
	return 0;
}

static int do_assign(struct act *x)
{
	int64_t uid = 0, dept = 0;
	int hu = org_opt_id(x->c, x->in, "user_id", &uid), hd = org_opt_id(x->c, x->in, "department_id", &dept), rc;
	if (hu < 0 || hd < 0)
		return ZL_E_VALIDATION;
	if (!hu && !hd) {
		if (!x->a.assignee) {
			verr_add(&x->c->errs, "user_id", "请指定承办人 user_id 或承办部门 department_id",
				 "give 'user_id' or 'department_id'");
			return ZL_E_VALIDATION;
		}
		uid = x->a.assignee; /* confirm the routed cadre */
	}
	if (uid && (rc = assignee_check(x, uid)))
		return rc;
	if (dept && (rc = department_check(x, dept)))
		return rc;
	if (uid) {
		if ((rc = db_run(x->c->db, "UPDATE appeal SET assignee_user_id = ? WHERE id = ?", "ii", uid, x->a.id)))
			return rc;
		json_object_set_new(x->payload, "user_id", json_integer(uid));
		if (uid != x->c->actor.user_id &&
		    (rc = appeal_notify(x->c, uid, "appeal.assigned", x->a.id, "诉求 #%" PRId64 " 已交由您承办",
					"appeal #%" PRId64 " has been assigned to you")))
			return rc;
	}
	if (dept) {
		if ((rc = db_run(x->c->db, "UPDATE appeal SET department_id = ? WHERE id = ?", "ii", dept, x->a.id)))
			return rc;
		json_object_set_new(x->payload, "department_id", json_integer(dept));
	}
	return 0;
}

static int do_transfer(struct act *x)
{
	int64_t dept = 0;
	const char *reason;
	int rc;
	if (org_opt_id(x->c, x->in, "department_id", &dept) <= 0) {
		if (!x->c->errs.n)
			verr_required(x->c, "department_id");
		return ZL_E_VALIDATION;
	}
	if ((rc = text_field(x, "reason", 500, &reason)) || (rc = department_check(x, dept)))
		return rc;
	json_object_set_new(x->payload, "department_id", json_integer(dept));
	json_object_set_new(x->payload, "from_department_id", x->a.department ? json_integer(x->a.department) : json_null());
	/* the new department picks its own cadre */
	return db_run(x->c->db, "UPDATE appeal SET department_id = ?, assignee_user_id = NULL WHERE id = ?", "ii", dept,
		      x->a.id);
}

/* Moves the resolve deadline by a counted span (pause, extension). */
static int push_due(struct act *x, int64_t span)
{
	int64_t due;
	int rc;
	if (!x->a.due || span <= 0)
		return 0;
	rc = sla_add_span(&x->cal, x->a.due, span, sla_unit_working(x->a.lim.resolve_unit), &due);
	if (rc)
		return rc;
	x->a.due = due;
	json_object_set_new(x->payload, "due_at", time_json(due));
	if ((rc = set_time(x, "due_at", due)))
		return rc;
	/* a deadline moved past now re-arms the warning and the overdue flag */
	if (due > x->now)
		rc = db_run(x->c->db, "UPDATE appeal SET warned_at = NULL, overdue_at = NULL WHERE id = ?", "i", x->a.id);
	return rc;
}

static int do_resume(struct act *x)
{
	int64_t lost = 0;
	int rc;
	if (x->a.paused_since)
		sla_elapsed(&x->cal, x->a.paused_since, x->now, x->a.lim.resolve_unit, &lost);
	json_object_set_new(x->payload, "paused_sec", json_integer(lost / USEC_PER_SEC));
	if ((rc = push_due(x, lost)))
		return rc;
	return db_run(x->c->db, "UPDATE appeal SET paused_since = NULL, paused_total_sec = paused_total_sec + ? WHERE id = ?",
		      "ii", lost / USEC_PER_SEC, x->a.id);
}

static int do_request_extension(struct act *x)
{
	json_t *d = json_object_get(x->in, "days");
	const char *reason;
	int rc;
	if (!json_is_integer(d) || json_integer_value(d) < 1 || json_integer_value(d) > MAX_EXTENSION_DAYS) {
		verr_add(&x->c->errs, "days", "延期天数应为 1 到 60 的整数", "'days' must be a whole number from 1 to 60");
		return ZL_E_VALIDATION;
	}
	if ((rc = text_field(x, "reason", 500, &reason)))
		return rc;
	json_object_set_new(x->payload, "days", json_integer(json_integer_value(d)));
	return db_run(x->c->db, "UPDATE appeal SET extension_requested_days = ? WHERE id = ?", "ii",
		      (int64_t)json_integer_value(d), x->a.id);
}

static int do_approve_extension(struct act *x)
{
	enum sla_unit u = sla_unit_working(x->a.lim.resolve_unit) ? SLA_WORKING_DAYS : SLA_NATURAL_DAYS;
	int64_t span;
	int rc;
	if (!x->a.ext_requested_days)
		return ZL_E_APPEAL_NO_EXTENSION;
	span = sla_unit_span(&x->cal, x->a.ext_requested_days, u);
	json_object_set_new(x->payload, "days", json_integer(x->a.ext_requested_days));
	json_object_set_new(x->payload, "unit", json_string(sla_unit_name(u)));
	if (!x->a.due)
		return ZL_E_APPEAL_ILLEGAL;
	if ((rc = push_due(x, span)))
		return rc;
	return db_run(x->c->db, "UPDATE appeal SET extension_sec = extension_sec + ?, extension_requested_days = NULL "
				"WHERE id = ?", "ii", span / USEC_PER_SEC, x->a.id);
}

static int do_feedback(struct act *x)
{
	static const char *const values[] = { "satisfied", "basically_satisfied", "dissatisfied" };
	const char *sat = NULL, *comment = NULL;
	json_t *fixed = json_object_get(x->in, "fixed");
	int rc;
	if ((rc = json_opt_string(x->c, x->in, "satisfaction", &sat)) ||
	    (rc = json_opt_string(x->c, x->in, "comment", &comment)))
		return rc;
	if (!org_one_of(sat, values, ARRAY_SIZE(values)))
		verr_add(&x->c->errs, "satisfaction", "满意度应为 satisfied、basically_satisfied 或 dissatisfied",
			 "'satisfaction' must be satisfied, basically_satisfied or dissatisfied");
	if (comment)
		org_text_check(x->c, "comment", comment, 500);
	if (fixed && !json_is_boolean(fixed))
		verr_add(&x->c->errs, "fixed", "应为 true 或 false", "'fixed' must be true or false");
	if (x->c->errs.n)
		return ZL_E_VALIDATION;
	json_object_set_new(x->payload, "satisfaction", json_string(sat));
	if (comment)
		json_object_set_new(x->payload, "comment", json_string(comment));
	if (fixed)
		json_object_set_new(x->payload, "fixed", json_boolean(json_is_true(fixed)));
	/* "not fixed" or dissatisfied reopens the appeal (FixMyStreet's questionnaire) */
	x->to = (!strcmp(sat, "dissatisfied") || json_is_false(fixed)) ? APPEAL_REOPENED : APPEAL_CLOSED;
	return db_run(x->c->db, "UPDATE appeal SET feedback = ?, feedback_comment = ? WHERE id = ?", "tti", sat, comment,
		      x->a.id);
}

static int do_escalate(struct act *x)
{
	const char *reason;
	int64_t target = appeal_escalation_target(x->c->db, x->a.village_code);
	int rc;
	if ((rc = text_field(x, "reason", 500, &reason)))
		return rc;
	if (target == x->c->actor.user_id)
		target = 0; /* a leader escalating their own village's appeal: nobody above in the data */
	json_object_set_new(x->payload, "to_user_id", target ? json_integer(target) : json_null());
	json_object_set_new(x->payload, "level", json_integer(x->a.escalation_level + 1));
	if ((rc = db_run(x->c->db, "UPDATE appeal SET escalation_level = escalation_level + 1, escalated_at = "
				   "COALESCE(escalated_at, ?), escalated_to_user_id = COALESCE(NULLIF(?, 0), escalated_to_user_id) "
				   "WHERE id = ?", "tii", x->now_s, target, x->a.id)))
		return rc;
	if ((rc = appeal_notify(x->c, target, "appeal.escalated", x->a.id, "诉求 #%" PRId64 " 已提级督办",
				"appeal #%" PRId64 " was escalated to you")))
		return rc;
	return appeal_notify(x->c, x->a.assignee, "appeal.escalated", x->a.id, "您承办的诉求 #%" PRId64 " 已提级督办",
			     "appeal #%" PRId64 " you handle was escalated");
}

static int do_merge(struct act *x)
{
	struct appeal_row other;
	int64_t oid = 0;
	int rc;
	if (org_opt_id(x->c, x->in, "other_id", &oid) <= 0) {
		if (!x->c->errs.n)
			verr_required(x->c, "other_id");
		return ZL_E_VALIDATION;
	}
	rc = appeal_load(x->c, oid, &other);
	if (rc == ZL_E_NOT_FOUND || (!rc && (oid == x->a.id || !appeal_state_open(other.state) || other.merged_into ||
					     strcmp(other.village_code, x->a.village_code))))
		return ZL_E_APPEAL_MERGE_TARGET;
	if (rc)
		return rc;
	json_object_set_new(x->payload, "other_id", json_integer(oid));
	if ((rc = db_run(x->c->db, "UPDATE appeal SET merged_into_id = ? WHERE id = ?", "ii", oid, x->a.id)))
		return rc;
	/* appeals merged earlier into this one follow the survivor too */
	if ((rc = db_run(x->c->db, "UPDATE appeal SET merged_into_id = ? WHERE merged_into_id = ?", "ii", oid, x->a.id)))
		return rc;
	return appeal_event_add(x->c, oid, "merged_from", appeal_state_name(other.state), appeal_state_name(other.state),
				json_pack("{s:I}", "appeal_id", (json_int_t)x->a.id));
}

static int effect(struct act *x)
{
	const char *s;
	const char *a = x->action;
	if (!strcmp(a, "accept")) {
		int rc = set_time(x, "accepted_at", x->now);
		return rc ? rc : restart_due(x);
	}
	if (!strcmp(a, "reject") || !strcmp(a, "reopen") || !strcmp(a, "wait_resident")) {
		int rc = text_field(x, "reason", 500, &s);
		if (rc)
			return rc;
		if (!strcmp(a, "wait_resident"))
			return set_time(x, "paused_since", x->now);
		return !strcmp(a, "reopen") ? restart_due(x) : 0;
	}
	if (!strcmp(a, "comment"))
		return text_field(x, "comment", 2000, &s);
	if (!strcmp(a, "assign"))
		return do_assign(x);
	if (!strcmp(a, "transfer"))
		return do_transfer(x);
	if (!strcmp(a, "start"))
		return x->a.assignee ? 0 :
		       db_run(x->c->db, "UPDATE appeal SET assignee_user_id = NULLIF(?, 0) WHERE id = ?", "ii",
			      x->c->actor.user_id, x->a.id);
	if (!strcmp(a, "resume"))
		return do_resume(x);
	if (!strcmp(a, "request_extension"))
		return do_request_extension(x);
	if (!strcmp(a, "approve_extension"))
		return do_approve_extension(x);
	if (!strcmp(a, "resolve")) {
		int rc = text_field(x, "resolution", 2000, &s);
		int asked = 0;
		if (rc || (rc = set_time(x, "resolved_at", x->now)) ||
		    (rc = db_run(x->c->db, "UPDATE appeal SET resolution = ? WHERE id = ?", "ti", s, x->a.id)))
			return rc;
		/* the resident (and those of appeals merged into it) asked by SMS */
		rc = portal_feedback_ask(x->c, x->a.id, 0, &asked);
		json_object_set_new(x->payload, "sms", json_integer(asked));
		return rc;
	}
	if (!strcmp(a, "feedback")) {
		int rc = do_feedback(x);
		return rc || x->to != APPEAL_REOPENED ? rc : restart_due(x);
	}
	if (!strcmp(a, "escalate"))
		return do_escalate(x);
	if (!strcmp(a, "merge_into"))
		return do_merge(x);
	return 0; /* close */
}

static int action_known(const char *a)
{
	for (size_t i = 0; appeal_actions[i]; i++)
		if (a && !strcmp(a, appeal_actions[i]))
			return 1;
	return 0;
}

int appeal_action_apply(struct ctx *c, int64_t id, const json_t *in, json_t **out, json_t **allowed)
{
	struct act x;
	const struct appeal_transition *t;
	json_t *after = NULL;
	char ids[24], audit_action[48];
	int rc;

	*allowed = NULL;
	memset(&x, 0, sizeof(x));
	x.c = c;
	x.in = in;
	if ((rc = json_opt_string(c, in, "action", &x.action)))
		return rc;
	if ((rc = appeal_load(c, id, &x.a)))
		return rc;
	if (!action_known(x.action)) {
		verr_add(&c->errs, "action", "未知的操作", "'action' is not a workflow action");
		return ZL_E_VALIDATION;
	}
	t = appeal_transition_find(x.a.state, x.action);
	if (!appeal_action_permitted(t, c->actor.role, x.a.tie)) {
		if (t && perm_allows(c->actor.role, t->perm))
			ctx_detail(c, "该诉求没有交由您或您所在的部门承办，您只能执行所列的操作",
				   "the appeal is not assigned to you or to a department of yours; you may take only the actions listed");
		*allowed = appeal_allowed_actions(x.a.state, c->actor.role, x.a.tie, x.a.ext_requested_days > 0);
		return t ? ZL_E_APPEAL_ACTION_FORBIDDEN : ZL_E_APPEAL_ILLEGAL;
	}
	for (int i = 0; i < 3 && t->required[i]; i++)
		if (!json_object_get(in, t->required[i]))
			verr_required(c, t->required[i]);
	if (c->errs.n)
		return ZL_E_VALIDATION;
	x.to = t->to == APPEAL_STATE_SAME ? x.a.state : t->to;
	x.now = clock_now();
	time_format_utc(x.now, x.now_s);
	x.payload = json_object();
	if ((rc = appeal_calendar_load(c->db, &x.cal)))
		goto out;
	if ((rc = effect(&x)))
		goto out;
	if (x.to != x.a.state) {
		if ((rc = db_run(c->db, "UPDATE appeal SET state = ? WHERE id = ?", "ti", appeal_state_name(x.to), id)))
			goto out;
		rc = appeal_open_count_adjust(c, x.a.household_id,
					      appeal_state_open(x.to) - appeal_state_open(x.a.state));
		if (rc)
			goto out;
	}
	if ((rc = db_run(c->db, "UPDATE appeal SET updated_at = ? WHERE id = ?", "ti", x.now_s, id)))
		goto out;
	rc = appeal_event_add(c, id, x.action, appeal_state_name(x.a.state), appeal_state_name(x.to),
			      json_incref(x.payload));
	if (rc || (rc = appeal_get(c, id, &after)))
		goto out;
	appeal_id_text(id, ids);
	snprintf(audit_action, sizeof(audit_action), "appeal.%s", x.action);
	{
		json_t *before = json_pack("{s:s}", "state", appeal_state_name(x.a.state));
		json_t *aft = json_pack("{s:s,s:O}", "state", appeal_state_name(x.to), "payload", x.payload);
		rc = audit_log(c, audit_action, "appeal", ids, before, aft);
		json_decref(before);
		json_decref(aft);
	}
out:
	appeal_calendar_release(&x.cal);
	json_decref(x.payload);
	if (rc) {
		json_decref(after);
		return rc;
	}
	*out = after;
	return 0;
}
