/*
 * appeals.h: appeals (诉求: a resident's request or complaint) from
 * submission to a confirmed solution: the workflow as one table of
 * {state, action} -> {to state, permission, required fields}, categories with
 * default departments and time limits, the holiday calendar and the
 * working-time arithmetic deadlines follow, and the time-limit job that
 * flags warnings and overdue appeals and escalates them.
 *
 * Conventions (as org.h and households.h): service functions run inside the
 * caller's write transaction and never open one; an appeal outside the
 * actor's scope (by village_code) is ZL_E_NOT_FOUND; every change writes one
 * appeal_event row and one audit row; *out is a new JSON reference the
 * caller owns; bad input adds field errors to c->errs and returns
 * ZL_E_VALIDATION. Only the job (appeal_tick) opens its own transaction.
 */
#ifndef ZL_APPEALS_H
#define ZL_APPEALS_H

#include <jansson.h>

#include "platform/http.h"

/* ---- working-time arithmetic (sla.c): pure functions, no database ---- */

enum sla_unit {
	SLA_WORKING_HOURS = 0,
	SLA_WORKING_DAYS = 1,
	SLA_NATURAL_HOURS = 2,
	SLA_NATURAL_DAYS = 3
};
#define SLA_MAX_PERIODS 4

/* A calendar day that differs from the Monday-Friday week. */
struct sla_day {
	int64_t day;  /* days since 1970-01-01 (civil date in Asia/Shanghai) */
	int workday;  /* 1: an adjusted workday (调休), 0: a holiday */
};

/*
 * Business hours and exceptions. periods are minutes after local midnight,
 * [start, end), ascending and not overlapping (default 08:30-12:00 and
 * 14:30-17:30). days is sorted by day (sla_calendar_sort) and borrowed.
 */
struct sla_calendar {
	int nperiods;
	int period_start[SLA_MAX_PERIODS];
	int period_end[SLA_MAX_PERIODS];
	const struct sla_day *days;
	size_t ndays;
};

/* The default business hours and no exceptions. */
void sla_calendar_default(struct sla_calendar *cal);
/* Sorts an array of days for the calendar's look-ups. */
void sla_days_sort(struct sla_day *days, size_t n);
/* 1 if the civil day is a working day: Monday-Friday unless a holiday, or a
 * weekend day marked workday. */
int sla_is_workday(const struct sla_calendar *cal, int64_t day);
/* "working_hours" -> SLA_WORKING_HOURS; -1 for anything else. */
int sla_unit_parse(const char *s);
const char *sla_unit_name(enum sla_unit u);
/* 1 for the working units (they follow the calendar), 0 for natural ones. */
int sla_unit_working(enum sla_unit u);
/* The length of amount units as counted time in microseconds: working time
 * for the working units (a working day is the business hours of one day),
 * wall-clock time for natural units. */
int64_t sla_unit_span(const struct sla_calendar *cal, int64_t amount, enum sla_unit u);

/*
 * The deadline after amount units from start_us: natural units add wall
 * time; working units count only business hours of working days (weekends
 * and holidays skipped, 调休 workdays counted), so a start outside business
 * hours counts from the next period. An amount that ends exactly at a
 * period's end gives that end (17:30, not the next morning). Returns 0 with
 * *due_us set, ZL_E_VALIDATION for a negative amount, ZL_E_INTERNAL if no
 * working time exists within ten years (no business hours).
 */
int sla_add(const struct sla_calendar *cal, int64_t start_us, int64_t amount, enum sla_unit u,
	    int64_t *due_us);
/* Like sla_add with a counted span in microseconds (working time when
 * working is set). */
int sla_add_span(const struct sla_calendar *cal, int64_t start_us, int64_t span_us, int working,
		 int64_t *due_us);
/*
 * The counted time between start_us and now_us (0 if now is not after
 * start): business time for working units, wall time for natural units, in
 * *elapsed_us. The share used of a limit is elapsed / sla_unit_span().
 * Returns 0.
 */
int sla_elapsed(const struct sla_calendar *cal, int64_t start_us, int64_t now_us, enum sla_unit u,
		int64_t *elapsed_us);

/* ---- calendar (calendar.c) ---- */

/*
 * Loads business hours (setting 'appeal.business_hours', "08:30-12:00,14:30-17:30"
 * by default) and every calendar_day row into cal. The days are owned by cal:
 * free them with appeal_calendar_release(). 0 or a storage error.
 */
int appeal_calendar_load(struct db *db, struct sla_calendar *cal);
void appeal_calendar_release(struct sla_calendar *cal);
/* {"year", "items": [{day, kind, name}]} for one year (2000-2100). */
int calendar_list(struct ctx *c, int year, json_t **out);
/* Sets a day {kind: holiday|workday, name?}; the day as JSON. Audited. */
int calendar_put(struct ctx *c, const char *day, const json_t *in, json_t **out);
/* Removes a day's exception (it follows the week again); ZL_E_NOT_FOUND if
 * the day has none. */
int calendar_delete(struct ctx *c, const char *day);

/* ---- categories (categories.c) ---- */

/*
 * Category JSON: {id, parent_id, name, name_en, default_department_id, sort,
 * retired, limits: {emergency|urgent|general|complex: {accept: {amount,
 * unit}, resolve: {amount, unit}}}, created_at, updated_at}.
 * create: {name (1-32), name_en?, parent_id?, default_department_id?, sort?,
 * limits?}; limits not given are copied from the parent, or the 12345
 * defaults. update: PATCH of the same fields and retired (bool); a limits
 * object replaces only the urgencies it names. ZL_E_CATEGORY_EXISTS for a
 * name used by a sibling, ZL_E_CATEGORY_RETIRED to file under a retired one.
 */
int category_list(struct ctx *c, int include_retired, json_t **out);
int category_get(struct ctx *c, int64_t id, json_t **out);
int category_create(struct ctx *c, const json_t *in, json_t **out);
int category_update(struct ctx *c, int64_t id, const json_t *patch, json_t **out);

/* The limits of a category for an urgency (from the category, else its
 * nearest ancestor with limits, else the 12345 defaults). */
struct appeal_limits {
	int64_t accept_amount;
	enum sla_unit accept_unit;
	int64_t resolve_amount;
	enum sla_unit resolve_unit;
};
int category_limits(struct db *db, int64_t category_id, const char *urgency, struct appeal_limits *l);

/* ---- the workflow (workflow.c) ---- */

enum appeal_state {
	APPEAL_SUBMITTED, APPEAL_ACCEPTED, APPEAL_REJECTED, APPEAL_ASSIGNED, APPEAL_IN_PROGRESS,
	APPEAL_WAITING_RESIDENT, APPEAL_RESOLVED, APPEAL_REOPENED, APPEAL_CLOSED,
	APPEAL_NSTATES
};
#define APPEAL_STATE_SAME (-1)     /* the action keeps the state */
#define APPEAL_STATE_BY_INPUT (-2) /* feedback: closed, or reopened when dissatisfied */

/* One row of the workflow table. */
struct appeal_transition {
	enum appeal_state from;
	const char *action;
	int to;                 /* an appeal_state, APPEAL_STATE_SAME or _BY_INPUT */
	const char *perm;       /* "appeal.write" or "appeal.supervise" */
	const char *required[3]; /* body fields that must be present */
};

const char *appeal_state_name(enum appeal_state s);
/* -1 for an unknown name. */
int appeal_state_parse(const char *s);
/* 1 while the appeal is open (not rejected or closed). */
int appeal_state_open(enum appeal_state s);
/* The names of every action the workflow knows, NULL-terminated. */
extern const char *const appeal_actions[];
/* The table row for {state, action}, or NULL when the action is not allowed
 * in that state. */
const struct appeal_transition *appeal_transition_find(enum appeal_state s, const char *action);
/*
 * How the actor stands to an appeal (accountability: a cadre answers for
 * the appeals that are theirs, and only those).
 *   OWN:      assigned to the actor, or to a department the actor is a
 *             current member of (department_member with no end_date);
 *   UNROUTED: nobody's yet (no assignee and no department);
 *   NONE:     somebody else's.
 */
enum appeal_tie { APPEAL_TIE_NONE = 0, APPEAL_TIE_UNROUTED = 1, APPEAL_TIE_OWN = 2 };

/*
 * 1 if role r, standing tie to the appeal, may take the table row t (NULL:
 * 0): the role must hold t's permission; leaders and admins (whose scope
 * holds the appeal: the caller loaded it in scope) may take every action
 * they hold; a cadre may comment on any appeal in scope, take the intake
 * actions (accept, reject, assign, transfer, merge_into) on an unrouted
 * one, and everything else only on an appeal of their own.
 */
int appeal_action_permitted(const struct appeal_transition *t, enum role r, enum appeal_tie tie);
/* The actions allowed in state s to role r standing tie to the appeal (as
 * appeal_action_permitted), as a new JSON array of names in the table's
 * order; approve_extension only while an extension is pending. */
json_t *appeal_allowed_actions(enum appeal_state s, enum role r, enum appeal_tie tie, int extension_pending);

/* ---- the service (appeals.c) ---- */

/*
 * Submits an appeal on a resident's behalf: {village_code (a village in
 * scope), category_id (active), urgency? (general), title (1-100),
 * description (1-4000), channel? (cadre | phone | contact; default cadre;
 * portal | open311 only for a caller with no signed-in user, i.e. the
 * resident channels),
 * household_id? (in scope, in that village), contact_issue_id?,
 * submitter_name?, submitter_phone? (mobile), anonymous? (bool),
 * public_consent? (bool)}. Routing: the category's default department and
 * the household's responsible cadre (联系户). Gives a receipt code and sets
 * accept_due_at. 0, ZL_E_VALIDATION, ZL_E_PII_KEY (a name or phone without
 * the key), ZL_E_CATEGORY_RETIRED.
 */
int appeal_create(struct ctx *c, const json_t *in, json_t **out);
/* One appeal (JSON as in docs/openapi.yaml: state, deadlines, flags,
 * allowed_actions for the actor by state, role and appeal_tie, submitter
 * masked). */
int appeal_get(struct ctx *c, int64_t id, json_t **out);

/* Filters of appeal_list; zero / NULL fields do not filter. */
struct appeal_filter {
	const char *region;     /* subtree of this region code */
	const char *state;
	int64_t category_id;
	int64_t assignee_id;
	int mine;               /* assigned to the actor */
	int64_t department_id;
	int overdue;            /* 1: flagged overdue */
	int escalated;          /* 1: escalated */
	const char *due_before; /* RFC 3339: due_at before this */
};
/* Appeals in scope matching f, newest first (ids below p->after). */
int appeal_list(struct ctx *c, const struct appeal_filter *f, const struct page *p, json_t **items,
		int64_t *next);
/* The events of an appeal in order, oldest first. */
int appeal_events(struct ctx *c, int64_t id, json_t **items);

/*
 * Applies {action, ...} to an appeal by the workflow table. Errors:
 * ZL_E_APPEAL_ILLEGAL (the action is not allowed in the state) and
 * ZL_E_APPEAL_ACTION_FORBIDDEN (the caller may not take it: the role, or a
 * cadre's appeal_tie, as appeal_action_permitted) with *allowed set
 * to the actions the actor may take (a new array the caller frees; NULL on
 * other errors); ZL_E_VALIDATION for missing or bad fields;
 * ZL_E_APPEAL_NO_EXTENSION; ZL_E_APPEAL_MERGE_TARGET. *out is the appeal.
 * resolve also asks the residents by SMS (portal_feedback_ask, portal.h).
 */
int appeal_action_apply(struct ctx *c, int64_t id, const json_t *in, json_t **out, json_t **allowed);

/* ---- photos (photos.c; files as for contacts, platform/files.h) ---- */

/*
 * Attaches a photo (declared type content_type) to an appeal in the actor's
 * scope: ZL_E_CONTACT_PHOTO_TOO_LARGE over 5 MB, ZL_E_CONTACT_PHOTO_TYPE
 * unless image/jpeg or image/png, ZL_E_CONTACT_PHOTO_INVALID when the
 * content is not that image. A new photo writes an appeal_photo row (user_id
 * NULL for the portal's user 0), a "photo" event and an audit row, and sets
 * *created; the same photo again changes nothing. *out is {sha256, mime,
 * bytes, url} with url = url_prefix followed by the sha.
 */
int appeal_photo_add(struct ctx *c, int64_t id, const char *content_type, const void *data, size_t len,
		     const char *url_prefix, json_t **out, int *created);
/* The file (new string) and type of an appeal's photo, for a reader whose
 * scope holds the appeal; ZL_E_NOT_FOUND otherwise. */
int appeal_photo_path(struct ctx *c, int64_t id, const char *sha, char **path, const char **mime);
/* The appeal's photos, oldest first, as a new array of {sha256, mime, bytes,
 * url (url_prefix + sha), created_at}. No scope check: the caller has one. */
int appeal_photos_json(struct ctx *c, int64_t id, const char *url_prefix, json_t **out);

/*
 * The time-limit job: flags warnings (setting 'appeal.warn_share', 0.8),
 * flags overdue appeals and escalates them to the village's station team
 * leader, else the nearest leader whose scope holds the village; notifies
 * the assignee and that leader. Each flag is set once. Runs in its own
 * transaction on this thread's connection (db_thread()); called by the
 * server's tick and after the test clock moves. Returns the number of
 * appeals it changed, or a negative code.
 */
int appeal_sla_run(struct db *db, int64_t now_us);
void appeal_tick(void);

/* Registers the tick, the household timeline source and the handover mover
 * (called from a constructor in routes.c, so main.c needs no change). */
void appeals_init(void);

/* /api/v1/appeals, /api/v1/appeal-categories, /api/v1/calendar. */
extern const struct route_table appeal_routes;

#endif
