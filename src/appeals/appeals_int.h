/*
 * appeals_int.h: what the files of the appeals module share and nobody
 * else needs: the loaded appeal row, events, notifications and the
 * household count.
 */
#ifndef ZL_APPEALS_INT_H
#define ZL_APPEALS_INT_H

#include "appeals.h"

/* The fields of an appeal the workflow and the job work with. */
struct appeal_row {
	int64_t id;
	int state; /* enum appeal_state */
	char village_code[ZL_CODE_MAX];
	int64_t household_id, category_id, assignee, department, merged_into;
	char urgency[16];
	struct appeal_limits lim;
	int64_t accept_due, due, paused_since; /* microseconds, 0 = none */
	int64_t paused_total_sec, extension_sec, ext_requested_days, escalation_level;
	int overdue, warned, escalated;
	enum appeal_tie tie; /* how the actor who loaded it stands to it */
};

/* A select-list column: 1 if the appeal "a" is the actor's own (assigned to
 * them or to a department they are a current member of). Binds the actor's
 * user id twice, before the statement's other parameters. */
#define APPEAL_OWN_COL \
	"(COALESCE(a.assignee_user_id = ?, 0) OR EXISTS (SELECT 1 FROM department_member m " \
	"WHERE m.department_id = a.department_id AND m.user_id = ? AND m.end_date IS NULL))"
/* The tie from that column and the appeal's assignee and department (0:
 * none). */
enum appeal_tie appeal_tie_of(int own, int64_t assignee, int64_t department);

/* Loads an appeal in the actor's scope; ZL_E_NOT_FOUND otherwise. */
int appeal_load(struct ctx *c, int64_t id, struct appeal_row *a);
/* Appends an appeal_event by the actor (the system when user_id is 0);
 * steals payload (may be NULL; masked values only). */
int appeal_event_add(struct ctx *c, int64_t id, const char *action, const char *from, const char *to,
		     json_t *payload);
/* household.open_appeal_count += delta (nothing without a household). */
int appeal_open_count_adjust(struct ctx *c, int64_t household_id, int delta);
/* Notifies user_id (nothing for 0) about appeal id; the formats take the
 * id as their one PRId64 argument. */
int appeal_notify(struct ctx *c, int64_t user_id, const char *kind, int64_t id, const char *zh_fmt,
		  const char *en_fmt);
/* The leader an overdue appeal of the village goes to: the station team's
 * leader, else the leader whose scope is the nearest region above; 0 if
 * none. */
int64_t appeal_escalation_target(struct db *db, const char *village_code);
/* A stored time column in microseconds (0 for NULL). */
int64_t appeal_time_col(struct db_stmt *st, int col);
void appeal_id_text(int64_t id, char out[24]);

#endif
