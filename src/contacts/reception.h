/*
 * reception.h: reception days (接访日): the station team's fixed day at the
 * village (驻点日, at least half a day; every two weeks only at a remote
 * village), the duty roster of each day, the town-wide schedule a leader
 * reads, walk-in visitors registered as contacts (and appeals) in one step,
 * and the public list of a village's next reception days.
 */
#ifndef ZL_RECEPTION_H
#define ZL_RECEPTION_H

#include <jansson.h>

#include "platform/http.h"

/*
 * Conventions: as plans.h. Days are day counts since 1970-01-01 in
 * Asia/Shanghai; dates in JSON and paths "YYYY-MM-DD". Villages outside the
 * actor's scope are ZL_E_NOT_FOUND. Writes run in the caller's transaction
 * and are audited (ids only: never a visitor's name or phone). *out is a
 * new reference the caller owns.
 */

/* The shortest station day: 3 hours (0017 sets org.station_min_minutes,
 * which teams.c checks too, to it). A town may raise the setting, never
 * lower the rule below this. */
#define RECEPTION_MIN_MINUTES 180
#define RECEPTION_RANGE_MAX 366 /* days in one schedule query */

/* ---- pure arithmetic (unit-tested without a database) ---- */

enum reception_rule {
	RECEPTION_RULE_TOO_SHORT = 1,  /* shorter than the minimum */
	RECEPTION_RULE_NOT_REMOTE = 2, /* every two weeks at a village not remote */
	RECEPTION_RULE_NO_HOURS = 4    /* no hours set */
};
/* "HH:MM" as minutes since midnight, or -1. */
int reception_hhmm(const char *s);
/* The broken rules (enum reception_rule bits; 0 = none) of a schedule from
 * start_min to end_min (minutes; -1 when unset), every every_weeks weeks,
 * at a village that is remote or not, against min_minutes. */
int reception_rule_check(int every_weeks, int remote, int start_min, int end_min, int min_minutes);
/* The station days in [from, to) of a team meeting on weekday (1 = Monday)
 * every every_weeks weeks from ref_monday (plan_is_station_day), at most
 * max of them into out; returns how many there are (may exceed max). */
size_t reception_days(int weekday, int every_weeks, int64_t ref_monday, int64_t from, int64_t to,
		      int64_t *out, size_t max);

/* ---- services ---- */

/*
 * The town-wide schedule for the villages in scope (or one village) over
 * [from, to) (default: 28 days back to 28 days ahead of today; at most 366):
 * {from, to, today, villages: [{code, name, weekday, every_weeks, remote,
 * start, end, place, leader {id, display_name, position} | null, problems:
 * ["too_short" | "not_remote" | "no_hours"]}], items: [{village {code,
 * name}, date, weekday, start, end, place, status (upcoming | today |
 * attended | missed), roster_set, roster: [{user {id, display_name,
 * position}, checked_in, at}], checkins, absent, walk_ins}] by date and
 * village, missed: plan_missed_station_days over [from, min(to, today))}.
 */
int reception_schedule(struct ctx *c, const char *from, const char *to, const char *village, json_t **out);
/*
 * Sets a village's station (reception) day through team_put, keeping the
 * team's leader: {station_weekday (1..7), station_every_weeks? (1 | 2),
 * station_start, station_end ("HH:MM"), station_place, remote? (bool; the
 * current value when absent)}. ZL_E_RECEPTION_TOO_SHORT under the minimum,
 * ZL_E_RECEPTION_NOT_REMOTE for every two weeks at a village not remote,
 * ZL_E_VALIDATION for malformed fields. *out is the village's entry of
 * reception_schedule's villages.
 */
int reception_schedule_put(struct ctx *c, const char *village, const json_t *in, json_t **out);
/* The roster of a station day: {village, date, station_day, roster_set,
 * items: [{user, checked_in, at}]}. Without a roster set by a leader it is
 * the cadres stationed at the village on that date. A bad date is 404. */
int reception_roster_get(struct ctx *c, const char *village, const char *date, json_t **out);
/*
 * A leader sets {user_ids: [id, ...] (1..20 active cadres or leaders whose
 * scope holds the village)} or resets {user_ids: null} (back to the
 * stationed cadres) the roster of a coming station day.
 * ZL_E_RECEPTION_NO_SCHEDULE, ZL_E_PLAN_NOT_STATION_DAY,
 * ZL_E_RECEPTION_ROSTER_PAST (before today). Gives the roster as _get.
 */
int reception_roster_put(struct ctx *c, const char *village, const char *date, const json_t *in,
			 json_t **out);
/*
 * A cadre on duty registers a walk-in visitor on today's reception day:
 * {name (1..32), phone? (mobile), household_id? (of the village; found by
 * the phone when absent and exactly one household of the village has it),
 * raised (what they raised, 1..4000), duration_min? (1..480, 15), uuid?,
 * appeal?: {category_id, title? (1..100; the start of raised), urgency?,
 * public_consent?, anonymous?}}. One contact (method reception_day, place
 * the station place, the visitor among its people, raised as its summary
 * and its issue) and, with appeal, one appeal (channel contact,
 * contact_issue_id; the issue marked converted), in the caller's one
 * transaction: an appeal refused leaves no contact. The phone is kept only
 * in the appeal (encrypted). ZL_E_RECEPTION_NOT_TODAY,
 * ZL_E_PLAN_NOT_STATION_DAY, ZL_E_RECEPTION_NOT_ON_DUTY. A uuid the same
 * cadre used on this village's day already (a phone resending, minutes
 * later) gives the stored walk-in and *status 200, else *status 201.
 * *out: {id, village, date, contact, appeal {id, receipt_code, state} |
 * null, household {id, code, head_name} | null}.
 */
int reception_walkin_create(struct ctx *c, const char *village, const char *date, const json_t *in,
			    json_t **out, int *status);
/* The walk-ins of a village's day: {items: [{id, contact_id, at, author,
 * visitor, summary, household, appeal}], next_cursor: null}. */
int reception_walkin_list(struct ctx *c, const char *village, const char *date, json_t **out);
/*
 * For residents, no sign-in: the next reception days of an active village
 * over weeks weeks (1..26): {village {code, name}, schedule {weekday,
 * every_weeks, start, end, place} | null, items: [{date, weekday, start,
 * end, place, on_duty: [title]}]}. The cadres on duty are given by their
 * title (职务) only, never a name or a phone. ZL_E_NOT_FOUND otherwise.
 */
int reception_public_days(struct ctx *c, const char *village, int weeks, json_t **out);

/* /api/v1/reception-days..., /api/v1/villages/{code}/reception-schedule,
 * /api/v1/public/villages/{code}/reception-days. */
extern const struct route_table reception_routes;

#endif
