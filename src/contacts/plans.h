/*
 * plans.h: visit plans, the long-term mechanism (长效机制): plan rules (how
 * often a household must be contacted), the due items they give each cadre,
 * station days (驻点日) with check-ins, and the missed ones a leader sees.
 * Due items are computed on read; nothing but rules and check-ins is stored.
 */
#ifndef ZL_PLANS_H
#define ZL_PLANS_H

#include <jansson.h>

#include "platform/http.h"

/*
 * Conventions: as contacts.h. Days are day counts since 1970-01-01 in
 * Asia/Shanghai (clock.h's days_from_civil); a period is [start, end).
 * Scope: households, villages and check-ins outside the actor's scope are
 * ZL_E_NOT_FOUND or absent from lists. *out is a new reference.
 */

/* ---- pure arithmetic (unit-tested without a database) ---- */

enum plan_every { PLAN_WEEK = 0, PLAN_MONTH, PLAN_QUARTER, PLAN_DAYS };

struct plan_period {
	int64_t start, end; /* days; end exclusive */
};

/* The period of kind e (every_days for PLAN_DAYS, periods counted from
 * 1970-01-01) containing day: weeks run Monday..Sunday, months and quarters
 * are calendar ones. */
void plan_period_of(enum plan_every e, int every_days, int64_t day, struct plan_period *p);
/* The period just before p of the same kind. */
void plan_period_prev(enum plan_every e, int every_days, const struct plan_period *p,
		      struct plan_period *prev);

/* A rule as the computation sees it. */
struct plan_rule {
	int64_t id;
	char region_path[ZL_PATH_MAX]; /* "" = everywhere */
	int64_t tag_id;                /* 0 = every household */
	enum plan_every every;
	int every_days;
	int min_contacts;
};

/* 1 if a asks for contacts more often than b (nominal period length /
 * min_contacts: week 7, month 30, quarter 91, N days); on a tie the more
 * specific (tag, then the deeper region) and then the lower id wins. */
int plan_rule_stricter(const struct plan_rule *a, const struct plan_rule *b);
/* The strictest of the n rules that apply to a household whose region has
 * path region_path and which carries the ntags tags; NULL if none does. */
const struct plan_rule *plan_rule_pick(const struct plan_rule *rules, size_t n,
				       const char *region_path, const int64_t *tags, size_t ntags);

/* 1 if day is a station day of a team meeting on weekday (1 = Monday .. 7)
 * every every_weeks (1 or 2) weeks, fortnights counted from the Monday
 * ref_monday; 0 otherwise (also for weekday 0: no station day set). */
int plan_is_station_day(int weekday, int every_weeks, int64_t ref_monday, int64_t day);

/* The contact methods that put a cadre at the village in person and so
 * count towards 驻点天数 (with check-ins): a home visit, a meeting, a
 * reception day. A phone call or a WeChat message from the town does not. */
#define PLAN_PRESENCE_METHODS_SQL "('home_visit', 'meeting', 'reception_day')"
/* 1 if a contact of this method counts as presence at the village. */
int plan_method_is_presence(const char *method);

/* ---- services ---- */

/* The Monday from which fortnightly station days are counted (setting
 * plan.station_reference_monday; 2026-01-05 when unset or malformed). */
int64_t plan_station_reference(struct ctx *c);

/* {items: [rule JSON], next_cursor: null, station_days_per_month}. Rule
 * JSON: id, region {code, name} | null, tag {id, name, name_en} | null,
 * every, every_days, min_contacts, retired, created_at, updated_at. Rules
 * whose region is in scope, above the scope or null. */
int plan_rule_list(struct ctx *c, json_t **out);
/* Creates {region_code? (in scope; null = the whole town, for an actor whose
 * scope is the town or above), tag? (name or id), every (week, month,
 * quarter, days), every_days (1..366, with days only), min_contacts? (1..31,
 * default 1)}. ZL_E_PLAN_RULE_EXISTS for the same region, tag and period. */
int plan_rule_create(struct ctx *c, const json_t *in, json_t **out);
/* PATCH {every?, every_days?, min_contacts?, retired?: bool}. */
int plan_rule_update(struct ctx *c, int64_t id, const json_t *patch, json_t **out);
/* Sets the setting plan.station_days_per_month {station_days_per_month:
 * 0..31}; an actor whose scope is the town or above. */
int plan_settings_update(struct ctx *c, const json_t *in, json_t **out);

/*
 * A cadre's due list: {cadre {id, display_name}, today, window, items,
 * next_cursor: null}. Household item: {kind: "household", household {id,
 * code, head_name}, village {code, name}, cadre {id, display_name}, rule
 * {id, every, every_days, min_contacts, tag}, period_start, period_end
 * (exclusive), due_date (the current period's last day), contacts,
 * required, status ("open" | "done"), overdue, overdue_since (the missed
 * period's last day | null), days_overdue, last_contact_at}. Station item (the cadre's
 * 驻点天数 at each village of a current stationing): {kind: "station_days",
 * village, period_start, period_end, due_date, days, required, status,
 * overdue, overdue_since}. window: "all" (every open item of the current periods and the
 * overdue ones), "today" (due today), "week" (due by Sunday), "overdue"
 * (the period just ended was missed and no contact has come since).
 * cadre 0 is the actor.
 */
int plan_due(struct ctx *c, int64_t cadre, const char *window, json_t **out);
/* Overdue household items in scope: {by, today, total, groups: [{code |
 * id, name, count}], items: [at most limit items, or those of the group
 * named by village / cadre]}. by: "village" or "cadre". */
int plan_overdue(struct ctx *c, const char *by, const char *village, int64_t cadre, int limit,
		 json_t **out);

/* The station days of a village in [from, to) (default: today and 28 days;
 * at most 366): {village, team {weekday, every_weeks, start, end, place,
 * leader} | null, items: [{date, weekday, start, end, place, status
 * ("upcoming", "today", "attended", "missed"), checkins [{user {id,
 * display_name}, at, lat, lng}]}]}. */
int plan_station_days(struct ctx *c, const char *village, const char *from, const char *to,
		      json_t **out);
/* The actor checks in at a village's station day {lat?, lng?}: the day must
 * be today (ZL_E_PLAN_CHECKIN_DATE) and a station day of the village
 * (ZL_E_PLAN_NOT_STATION_DAY); the actor a current member of its station
 * team, stationed there or on the day's duty roster (station_duty, set by a
 * leader: reception.h) (ZL_E_PLAN_NOT_ON_TEAM); once
 * (ZL_E_PLAN_CHECKIN_EXISTS). */
int plan_checkin(struct ctx *c, const char *village, const char *date, const json_t *in,
		 json_t **out);
/* Station days in [from, to) (default: the 1st of this month to today) that
 * have passed without a check-in, of the villages in scope: {from, to,
 * total, by_village [{code, name, count}], items [{village, date, weekday,
 * leader}]}. */
int plan_missed_station_days(struct ctx *c, const char *from, const char *to, json_t **out);

/* /api/v1/plans/..., /api/v1/villages/{code}/station-days,
 * /api/v1/station-days/{village}/{date}/checkin. */
extern const struct route_table plan_routes;

#endif
