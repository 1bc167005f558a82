/*
 * sla_job.c: the time-limit job. On every server tick (and after the test
 * clock moves) it flags appeals that have used the warning share of their
 * time, flags overdue ones and escalates them to the leader above, and
 * notifies the people concerned. Each flag is set once per deadline.
 */
#include "appeals_int.h"

#include "org/org.h"
#include "platform/audit.h"
#include "platform/clock.h"

struct due_row {
	int64_t id, assignee, deadline, total;
	int state, working, warned, overdue;
	char village[ZL_CODE_MAX];
};

static double warn_share(struct db *db)
{
	char *v = NULL;
	double share = 0.8;
	if (db_get_text(db, &v, "SELECT value FROM setting WHERE key = 'appeal.warn_share'", "") == 1 && v) {
		char *end;
		double d = strtod(v, &end);
		if (*v && !*end && d > 0 && d < 1)
			share = d;
	}
	free(v);
	return share;
}

/* The open, running appeals with a flag still to set. */
static int load_rows(struct db *db, const struct sla_calendar *cal, struct due_row **rows, size_t *n)
{
	struct db_stmt *st = NULL;
	size_t alloc = 0;
	int rc = db_prepare(db, "SELECT id, state, accept_due_at, due_at, accept_amount, accept_unit, resolve_amount, "
				"resolve_unit, extension_sec, warned_at IS NOT NULL, overdue_at IS NOT NULL, village_code, "
				"COALESCE(assignee_user_id, 0) FROM appeal WHERE state IN ('submitted', 'accepted', "
				"'assigned', 'in_progress', 'reopened') AND paused_since IS NULL AND "
				"(warned_at IS NULL OR overdue_at IS NULL) ORDER BY id", &st);
	*rows = NULL;
	*n = 0;
	if (rc)
		return rc;
	while ((rc = db_step(st)) == 1) {
		struct due_row r;
		int submitted = !strcmp(db_col_text(st, 1), "submitted");
		enum sla_unit u = sla_unit_parse(db_col_text(st, submitted ? 5 : 7));
		memset(&r, 0, sizeof(r));
		r.id = db_col_int(st, 0);
		r.state = appeal_state_parse(db_col_text(st, 1));
		r.deadline = appeal_time_col(st, submitted ? 2 : 3);
		r.working = sla_unit_working(u);
		r.total = sla_unit_span(cal, db_col_int(st, submitted ? 4 : 6), u) +
			  (submitted ? 0 : db_col_int(st, 8) * USEC_PER_SEC);
		r.warned = (int)db_col_int(st, 9);
		r.overdue = (int)db_col_int(st, 10);
		org_col_copy(st, 11, r.village, sizeof(r.village));
		r.assignee = db_col_int(st, 12);
		if (!r.deadline)
			continue;
		if (*n == alloc) {
			alloc = alloc ? alloc * 2 : 64;
			*rows = xrealloc(*rows, alloc * sizeof(**rows));
		}
		(*rows)[(*n)++] = r;
	}
	db_done(st);
	if (rc < 0) {
		free(*rows);
		*rows = NULL;
		*n = 0;
	}
	return rc < 0 ? rc : 0;
}

static int flag_warning(struct ctx *c, const struct due_row *r, const char *now, int64_t used_permille)
{
	char ids[24];
	const char *state = appeal_state_name(r->state);
	json_t *after = json_pack("{s:s,s:I}", "warned_at", now, "used_permille", (json_int_t)used_permille);
	int rc = db_run(c->db, "UPDATE appeal SET warned_at = ? WHERE id = ?", "ti", now, r->id);
	if (!rc)
		rc = appeal_event_add(c, r->id, "warn", state, state, json_incref(after));
	appeal_id_text(r->id, ids);
	if (!rc)
		rc = audit_log(c, "appeal.warn", "appeal", ids, NULL, after);
	json_decref(after);
	if (!rc)
		rc = appeal_notify(c, r->assignee ? r->assignee : appeal_escalation_target(c->db, r->village),
				   "appeal.warning", r->id, "诉求 #%" PRId64 " 即将超期，请尽快办理",
				   "appeal #%" PRId64 " is close to its time limit");
	return rc;
}

static int flag_overdue(struct ctx *c, const struct due_row *r, const char *now)
{
	char ids[24];
	const char *state = appeal_state_name(r->state);
	int64_t leader = appeal_escalation_target(c->db, r->village);
	json_t *after = json_pack("{s:s,s:o}", "overdue_at", now, "escalated_to",
				  leader ? json_integer(leader) : json_null());
	int rc = db_run(c->db, "UPDATE appeal SET overdue_at = ?, warned_at = COALESCE(warned_at, ?), "
			       "escalated_at = COALESCE(escalated_at, ?), escalation_level = escalation_level + 1, "
			       "escalated_to_user_id = COALESCE(NULLIF(?, 0), escalated_to_user_id) WHERE id = ?",
			"tttii", now, now, now, leader, r->id);
	if (!rc)
		rc = appeal_event_add(c, r->id, "overdue", state, state, NULL);
	if (!rc)
		rc = appeal_event_add(c, r->id, "escalate", state, state,
				      json_pack("{s:b,s:o}", "auto", 1, "to_user_id",
						leader ? json_integer(leader) : json_null()));
	appeal_id_text(r->id, ids);
	if (!rc)
		rc = audit_log(c, "appeal.overdue", "appeal", ids, NULL, after);
	json_decref(after);
	if (!rc)
		rc = appeal_notify(c, r->assignee, "appeal.overdue", r->id, "您承办的诉求 #%" PRId64 " 已超期，已提级督办",
				   "appeal #%" PRId64 " you handle is overdue and was escalated");
	if (!rc && leader != r->assignee)
		rc = appeal_notify(c, leader, "appeal.escalated", r->id, "诉求 #%" PRId64 " 已超期，提级至您督办",
				   "appeal #%" PRId64 " is overdue and was escalated to you");
	return rc;
}

int appeal_sla_run(struct db *db, int64_t now_us)
{
	struct sla_calendar cal;
	struct due_row *rows = NULL;
	struct ctx c;
	size_t n = 0;
	char now[ZL_TIME_MAX];
	double share;
	int rc, changed = 0;

	memset(&cal, 0, sizeof(cal));
	if (!db)
		return ZL_E_BUSY;
	if ((rc = db_begin(db)))
		return rc;
	ctx_init_system(&c, db);
	c.addr = "job";
	time_format_utc(now_us, now);
	share = warn_share(db);
	if ((rc = appeal_calendar_load(db, &cal)))
		goto out;
	if ((rc = load_rows(db, &cal, &rows, &n)))
		goto out;
	for (size_t i = 0; i < n && !rc; i++) {
		const struct due_row *r = &rows[i];
		int64_t left = 0;
		if (now_us >= r->deadline) {
			if (!r->overdue && !(rc = flag_overdue(&c, r, now)))
				changed++;
			continue;
		}
		if (r->warned || r->total <= 0)
			continue;
		sla_elapsed(&cal, now_us, r->deadline, r->working ? SLA_WORKING_HOURS : SLA_NATURAL_HOURS, &left);
		if ((double)(r->total - left) >= share * (double)r->total &&
		    !(rc = flag_warning(&c, r, now, (r->total - left) * 1000 / r->total)))
			changed++;
	}
out:
	appeal_calendar_release(&cal);
	free(rows);
	if (!rc)
		rc = db_commit(db);
	if (rc)
		db_rollback(db);
	ctx_release(&c);
	return rc ? rc : changed;
}

void appeal_tick(void)
{
	int rc = appeal_sla_run(db_thread(), clock_now());
	if (rc < 0)
		fprintf(stderr, "zhilian: appeal time-limit job failed: %s\n", zl_error_info(rc)->name);
}
