/*
 * workflow.c: the appeal state machine as one table. Each row says which
 * action is allowed in which state, where it leads, which permission it
 * needs and which fields it requires; everything else (409 lists, buttons on
 * the page, the unit tests) is derived from this table and from one rule of
 * accountability: a cadre works only on appeals that are theirs.
 */
#include "appeals.h"

static const char *const state_names[APPEAL_NSTATES] = {
	"submitted", "accepted", "rejected", "assigned", "in_progress",
	"waiting_resident", "resolved", "reopened", "closed",
};

const char *const appeal_actions[] = {
	"accept", "reject", "assign", "transfer", "start", "wait_resident", "resume",
	"request_extension", "approve_extension", "resolve", "feedback", "close", "reopen",
	"escalate", "merge_into", "comment", NULL,
};

#define W "appeal.write"
#define S "appeal.supervise"
#define SAME APPEAL_STATE_SAME

/* The rows of one state are kept together, in the order the page shows the
 * buttons. "assign" needs user_id or department_id: checked in appeals.c. */
static const struct appeal_transition table[] = {
	{ APPEAL_SUBMITTED, "accept", APPEAL_ACCEPTED, W, { NULL } },
	{ APPEAL_SUBMITTED, "reject", APPEAL_REJECTED, W, { "reason" } },
	{ APPEAL_SUBMITTED, "transfer", SAME, W, { "department_id", "reason" } },
	{ APPEAL_SUBMITTED, "merge_into", APPEAL_CLOSED, W, { "other_id" } },
	{ APPEAL_SUBMITTED, "escalate", SAME, S, { "reason" } },
	{ APPEAL_SUBMITTED, "comment", SAME, W, { "comment" } },

	{ APPEAL_ACCEPTED, "assign", APPEAL_ASSIGNED, W, { NULL } },
	{ APPEAL_ACCEPTED, "transfer", APPEAL_ACCEPTED, W, { "department_id", "reason" } },
	{ APPEAL_ACCEPTED, "request_extension", SAME, W, { "days", "reason" } },
	{ APPEAL_ACCEPTED, "approve_extension", SAME, S, { NULL } },
	{ APPEAL_ACCEPTED, "merge_into", APPEAL_CLOSED, W, { "other_id" } },
	{ APPEAL_ACCEPTED, "escalate", SAME, S, { "reason" } },
	{ APPEAL_ACCEPTED, "comment", SAME, W, { "comment" } },

	{ APPEAL_ASSIGNED, "start", APPEAL_IN_PROGRESS, W, { NULL } },
	{ APPEAL_ASSIGNED, "assign", APPEAL_ASSIGNED, W, { NULL } },
	{ APPEAL_ASSIGNED, "transfer", APPEAL_ACCEPTED, W, { "department_id", "reason" } },
	{ APPEAL_ASSIGNED, "request_extension", SAME, W, { "days", "reason" } },
	{ APPEAL_ASSIGNED, "approve_extension", SAME, S, { NULL } },
	{ APPEAL_ASSIGNED, "merge_into", APPEAL_CLOSED, W, { "other_id" } },
	{ APPEAL_ASSIGNED, "escalate", SAME, S, { "reason" } },
	{ APPEAL_ASSIGNED, "comment", SAME, W, { "comment" } },

	{ APPEAL_IN_PROGRESS, "resolve", APPEAL_RESOLVED, W, { "resolution" } },
	{ APPEAL_IN_PROGRESS, "wait_resident", APPEAL_WAITING_RESIDENT, W, { "reason" } },
	{ APPEAL_IN_PROGRESS, "assign", APPEAL_ASSIGNED, W, { NULL } },
	{ APPEAL_IN_PROGRESS, "transfer", APPEAL_ACCEPTED, W, { "department_id", "reason" } },
	{ APPEAL_IN_PROGRESS, "request_extension", SAME, W, { "days", "reason" } },
	{ APPEAL_IN_PROGRESS, "approve_extension", SAME, S, { NULL } },
	{ APPEAL_IN_PROGRESS, "merge_into", APPEAL_CLOSED, W, { "other_id" } },
	{ APPEAL_IN_PROGRESS, "escalate", SAME, S, { "reason" } },
	{ APPEAL_IN_PROGRESS, "comment", SAME, W, { "comment" } },

	{ APPEAL_WAITING_RESIDENT, "resume", APPEAL_IN_PROGRESS, W, { NULL } },
	{ APPEAL_WAITING_RESIDENT, "escalate", SAME, S, { "reason" } },
	{ APPEAL_WAITING_RESIDENT, "comment", SAME, W, { "comment" } },

	{ APPEAL_RESOLVED, "feedback", APPEAL_STATE_BY_INPUT, W, { "satisfaction" } },
	{ APPEAL_RESOLVED, "close", APPEAL_CLOSED, W, { NULL } },
	{ APPEAL_RESOLVED, "reopen", APPEAL_REOPENED, S, { "reason" } },
	{ APPEAL_RESOLVED, "comment", SAME, W, { "comment" } },

	{ APPEAL_REOPENED, "start", APPEAL_IN_PROGRESS, W, { NULL } },
	{ APPEAL_REOPENED, "assign", APPEAL_ASSIGNED, W, { NULL } },
	{ APPEAL_REOPENED, "transfer", APPEAL_ACCEPTED, W, { "department_id", "reason" } },
	{ APPEAL_REOPENED, "request_extension", SAME, W, { "days", "reason" } },
	{ APPEAL_REOPENED, "approve_extension", SAME, S, { NULL } },
	{ APPEAL_REOPENED, "escalate", SAME, S, { "reason" } },
	{ APPEAL_REOPENED, "comment", SAME, W, { "comment" } },

	{ APPEAL_REJECTED, "comment", SAME, W, { "comment" } },
	{ APPEAL_CLOSED, "comment", SAME, W, { "comment" } },
};

const char *appeal_state_name(enum appeal_state s)
{
	return (unsigned)s < APPEAL_NSTATES ? state_names[s] : "submitted";
}

int appeal_state_parse(const char *s)
{
	for (int i = 0; s && i < APPEAL_NSTATES; i++)
		if (!strcmp(s, state_names[i]))
			return i;
	return -1;
}

int appeal_state_open(enum appeal_state s)
{
	return s != APPEAL_REJECTED && s != APPEAL_CLOSED;
}

const struct appeal_transition *appeal_transition_find(enum appeal_state s, const char *action)
{
	for (size_t i = 0; action && i < ARRAY_SIZE(table); i++)
		if (table[i].from == s && !strcmp(table[i].action, action))
			return &table[i];
	return NULL;
}

/* Intake: what somebody must do before an appeal is anybody's work. */
static int intake_action(const char *a)
{
	static const char *const intake[] = { "accept", "reject", "assign", "transfer", "merge_into" };
	for (size_t i = 0; i < ARRAY_SIZE(intake); i++)
		if (!strcmp(a, intake[i]))
			return 1;
	return 0;
}

int appeal_action_permitted(const struct appeal_transition *t, enum role r, enum appeal_tie tie)
{
	if (!t || !perm_allows(r, t->perm))
		return 0;
	if (r >= ROLE_LEADER || tie == APPEAL_TIE_OWN || !strcmp(t->action, "comment"))
		return 1;
	return tie == APPEAL_TIE_UNROUTED && intake_action(t->action);
}

json_t *appeal_allowed_actions(enum appeal_state s, enum role r, enum appeal_tie tie, int extension_pending)
{
	json_t *a = json_array();
	for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
		if (table[i].from != s || !appeal_action_permitted(&table[i], r, tie))
			continue;
		/* approving needs a request to approve: never offer a button that fails */
		if (!extension_pending && !strcmp(table[i].action, "approve_extension"))
			continue;
		json_array_append_new(a, json_string(table[i].action));
	}
	return a;
}
