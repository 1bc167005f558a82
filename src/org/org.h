/*
 * org.h: the organisation module's services: departments, village teams
 * (驻点团队 station team and 辅助团队 auxiliary team, with the team's 三固定
 * fixed day, hours and place), assignments (驻点 cadre<->village and 联系户
 * cadre<->household, with full history) and the handover (交接) that moves a
 * rotating cadre's responsibilities to another. The HTTP handlers, the CLI
 * and the demo call these same functions.
 *
 * Conventions for every function below: it runs inside the caller's write
 * transaction (the router's, or with_tx() for the CLI) and never opens one;
 * it checks the actor's data scope (a record outside it is ZL_E_NOT_FOUND);
 * every change is audited in the same transaction; *out, when the function
 * has one, is a new JSON reference the caller owns (it may be NULL where the
 * contract says so, for callers that do not need the answer). Validation
 * failures add field errors to c->errs and return ZL_E_VALIDATION or the
 * more specific code named. Dates are "YYYY-MM-DD" in Asia/Shanghai; a start
 * date is inclusive, an end date exclusive; a missing start or end date is
 * today by clock_now().
 */
#ifndef ZL_ORG_H
#define ZL_ORG_H

#include <jansson.h>

#include "platform/http.h"

#define ORG_DATE_MAX 11 /* "YYYY-MM-DD" and NUL */

/* ---- departments ---- */

/*
 * Creates a department from {name (1-64), kind (town_office,
 * village_committee, station, other), region_code (in scope, not retired),
 * head_user_id? (an active user in scope), phone? (mobile or landline)}.
 */
int department_create(struct ctx *c, const json_t *in, json_t **out);
/* One department with its members (current ones; all with all_members). */
int department_get(struct ctx *c, int64_t id, int all_members, json_t **out);
/* Departments in scope by ascending id; region (subtree, may be NULL), kind
 * (may be NULL), retired ones only with include_retired. */
int department_list(struct ctx *c, const struct page *p, const char *region, const char *kind,
		    int include_retired, json_t **items, int64_t *next);
/* PATCH of name, kind, region_code, head_user_id (null clears), phone (null
 * clears). ZL_E_DEPT_RETIRED for a retired department. A no-op patch changes
 * and audits nothing. */
int department_update(struct ctx *c, int64_t id, const json_t *patch, json_t **out);
/* Retires (never deletes) a department and ends its current memberships
 * today. Retiring a retired department changes nothing. */
int department_retire(struct ctx *c, int64_t id, json_t **out);
/* Members, current ones only unless all. *items is a new array. */
int department_members(struct ctx *c, int64_t id, int all, json_t **items);
/* Adds {user_id, position?, start_date?}; ZL_E_MEMBER_EXISTS if the user is
 * a current member. */
int department_member_add(struct ctx *c, int64_t id, const json_t *in, json_t **out);
/* PATCH of a membership: position, end_date (ends it; ZL_E_MEMBER_ENDED if
 * it has ended already). */
int department_member_update(struct ctx *c, int64_t id, int64_t member_id, const json_t *patch,
			     json_t **out);

/* ---- village teams (驻点团队 / 辅助团队) ---- */

/*
 * Both teams of a village: {village: {code, name}, station: T, auxiliary: T}
 * where T is {id (null until set up), kind, leader: {id, display_name,
 * position, phone} | null, station_weekday (1 = Monday .. 7), station_every_weeks
 * (1 or 2), station_start, station_end ("HH:MM"), station_place, members}.
 * Members are the current ones unless all. ZL_E_NOT_FOUND unless code is a
 * village in scope.
 */
int team_get(struct ctx *c, const char *village_code, int all, json_t **out);
/*
 * Sets one team's leader and its fixed day, hours and place (PUT: absent
 * fields become empty, station_every_weeks defaults to 1). A station team's
 * leader must be an active user with the leader role (ZL_E_TEAM_LEADER_ROLE);
 * its station day lasts at least the setting org.station_min_minutes (210,
 * half a day). *out is the team (T above).
 */
int team_put(struct ctx *c, const char *village_code, const char *kind, const json_t *in,
	     json_t **out);
/* Adds a member {user_id? | name, team_role (0002's list), position?, phone?,
 * start_date?}; the team is created if needed. */
int team_member_add(struct ctx *c, const char *village_code, const char *kind, const json_t *in,
		    json_t **out);
/* PATCH of a member: team_role, position, phone, end_date (ends it). */
int team_member_update(struct ctx *c, const char *village_code, const char *kind, int64_t member_id,
		       const json_t *patch, json_t **out);

/* ---- assignments ---- */

/*
 * Stations user_id (an active cadre or leader) at a village that is within
 * both the actor's and the user's scope, from start_date (NULL: today).
 * handover_id is 0 unless a handover makes it. Notifies the user.
 * ZL_E_ASSIGN_CADRE, ZL_E_ASSIGN_SCOPE, ZL_E_ASSIGN_EXISTS (already current
 * there), ZL_E_ASSIGN_DATES (overlaps an earlier stationing there),
 * ZL_E_REGION_RETIRED. *out may be NULL.
 */
int station_assign(struct ctx *c, int64_t user_id, const char *village_code, const char *start_date,
		   int64_t handover_id, json_t **out);
/* Ends a current stationing on end_date (NULL: today; after its start).
 * ZL_E_ASSIGN_ENDED if it has ended. */
int station_end(struct ctx *c, int64_t id, const char *end_date, json_t **out);
/*
 * Makes user_id the responsible cadre (联系户) of a household from
 * start_date (NULL: today). A household has exactly one current cadre: the
 * current row, if any, ends on start_date in the same transaction
 * (ZL_E_ASSIGN_DATES if it started later; ZL_E_ASSIGN_EXISTS if it is the
 * same cadre). Checks as station_assign. *out may be NULL.
 */
int household_assign(struct ctx *c, int64_t household_id, int64_t user_id, const char *start_date,
		     int64_t handover_id, json_t **out);
/*
 * "Who was responsible for household X on date D": {household_id, date,
 * assignment_id, user_id, user_name, start_date, end_date, handover_id},
 * the ids and names null when nobody was. date NULL: today. The household
 * must be in scope, or the actor its current cadre.
 */
int assignment_responsible(struct ctx *c, int64_t household_id, const char *date, json_t **out);

/* Filters of the assignment lists; zero / NULL fields do not filter. */
struct assignment_filter {
	int64_t user_id;
	int64_t household_id;      /* household list only */
	const char *village_code;  /* exact village */
	int current;               /* 1: current only, 0: all */
	const char *date;          /* in force on that date */
};
int station_list(struct ctx *c, const struct page *p, const struct assignment_filter *f,
		 json_t **items, int64_t *next);
/* Household rows are visible when the household is in scope, and also to
 * the household's current cadre: a new cadre reads the predecessor's rows. */
int household_assignment_list(struct ctx *c, const struct page *p, const struct assignment_filter *f,
			      json_t **items, int64_t *next);
/* One user's stationing and household rows, current first, then past:
 * {user: {id, display_name, role}, stations: [...], households: [...]}. */
int user_assignments(struct ctx *c, int64_t user_id, json_t **out);

/* ---- handover (交接) ---- */

/* What a handover moves, as the movers see it (all borrowed). */
struct handover {
	int64_t id;
	int64_t from_user_id, to_user_id;
	char effective_date[ORG_DATE_MAX];
	int whole_scope;                /* 1: everything the actor can see */
	const int64_t *household_ids;   /* households whose cadre changed */
	size_t nhouseholds;
	const char *const *village_codes; /* villages whose stationing moved */
	size_t nvillages;
};

/*
 * Later modules move their own things (open appeals, visit plans) in the
 * same transaction: each registers a mover at start-up, before the server
 * starts threads. move() adds what it moved to summary under its own key
 * (e.g. "appeals": {"count": 3, "ids": [...]}) and returns 0 or a ZL_E_*
 * code that rolls the whole handover back. The mover struct must outlive
 * the program; registering the same one twice has no effect.
 */
struct handover_mover {
	const char *name;
	int (*move)(struct ctx *c, const struct handover *h, json_t *summary);
};
void handover_register(const struct handover_mover *m);

/*
 * Hands over from {from_user_id, to_user_id, effective_date?, household_ids?,
 * village_codes?, note?}. Without lists: every current stationing and
 * household of the from-cadre in the actor's scope. With lists: the listed
 * households, and the stationing at each listed village together with the
 * from-cadre's households in it. Old rows end on the effective date, new
 * rows carry the handover id; every registered mover runs; the handover row
 * keeps a summary of what moved; both cadres are notified. Errors:
 * ZL_E_HANDOVER_SAME, ZL_E_HANDOVER_NOT_HELD (a listed item is not the
 * from-cadre's), ZL_E_ASSIGN_CADRE (to is not an active cadre or leader),
 * ZL_E_ASSIGN_SCOPE (an item is outside the to-cadre's scope),
 * ZL_E_ASSIGN_DATES (a row starts after the effective date).
 */
int handover_run(struct ctx *c, const json_t *in, json_t **out);
/* One handover; visible when either cadre is in scope or is the actor. */
int handover_get(struct ctx *c, int64_t id, json_t **out);
/* Handovers newest first, those involving user_id when it is not 0. */
int handover_list(struct ctx *c, const struct page *p, int64_t user_id, json_t **items,
		  int64_t *next);

/* ---- helpers shared by the org module (and users.c): org.c ---- */

struct db_stmt;
/* Column i of the current row as text into out (n bytes; "" for NULL). */
void org_col_copy(struct db_stmt *st, int i, char *out, size_t n);

/* Today's date in Asia/Shanghai by clock_now(). */
void org_today(char out[ORG_DATE_MAX]);
/* A stored UTC time as its display form, or JSON null. */
json_t *org_time_json(const char *stored);
/*
 * A mainland phone number: a mobile (11 digits, 1[3-9]...) or a landline
 * (area code 0xx or 0xxx and a 7-8 digit number). Spaces, dashes,
 * parentheses and a leading +86 are dropped; out (24 bytes) gets the digits,
 * landlines as "0759-2345678". 0 or -1.
 */
int org_phone_check(const char *in, char out[24]);
/* The masked form for audit rows: "138****5678", "0759-***5678". */
void org_phone_mask(const char *phone, char *out, size_t n);
/* Adds field's error unless s is "YYYY-MM-DD"; 0 or -1. */
int org_date_check(struct ctx *c, const char *field, const char *s);
/* Adds field's error unless s has 1..max characters of valid UTF-8, no
 * control characters and not only spaces; 0 or -1. */
int org_text_check(struct ctx *c, const char *field, const char *s, long max);

/* Adds field's error unless in is a phone number (org_phone_check); 0 or -1. */
int org_phone_field(struct ctx *c, const char *field, const char *in, char out[24]);
/* An optional positive integer field: 0 absent or null, 1 set (*v), -1 not
 * a positive integer (field error added). */
int org_opt_id(struct ctx *c, const json_t *o, const char *field, int64_t *v);
/* Query flags ("1"/"true", "0"/"false" or absent) and positive integer ids
 * (absent: 0); ZL_E_VALIDATION with a field error otherwise. */
int org_query_flag(struct req *r, const char *name, int *v);
int org_query_id(struct req *r, const char *name, int64_t *v);
/* 1 if s is one of the n strings of list, 0 otherwise (also for NULL). */
int org_one_of(const char *s, const char *const *list, size_t n);
/* The first element of items (which it takes) as a new reference in *out,
 * or ZL_E_NOT_FOUND when items is empty. */
int org_first(json_t *items, json_t **out);

/* A user as the org module needs one (names up to 64 characters). */
struct org_user {
	int64_t id;
	char display_name[4 * ZL_NAME_MAX + 1];
	enum role role;
	char scope_code[ZL_CODE_MAX];
	int disabled;
	char phone[24];
	char position[4 * ZL_NAME_MAX + 1];
};
/* Loads a user whose scope lies within the actor's (or the actor), into u;
 * ZL_E_NOT_FOUND otherwise. */
int org_user_load(struct ctx *c, int64_t id, struct org_user *u);
/* {id, display_name, position, phone} of a user, or JSON null for id 0. */
json_t *org_user_brief(struct ctx *c, int64_t id);

/* Route tables: departments, village teams, assignments and handovers. */
extern const struct route_table department_routes;
extern const struct route_table team_routes;
extern const struct route_table assignment_routes;

#endif
