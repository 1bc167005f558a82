/*
 * stats.h: contact statistics (联系统计) for the leader's chart: contacts,
 * households reached, confirmed visits and face-to-face contacts per period
 * (week or month, Asia/Shanghai) and per group (method, village or cadre),
 * in the actor's scope. Computed on read in one pass over the contacts of
 * the range (the started_at index), so the cost follows the range, not the
 * history.
 */
#ifndef ZL_CONTACT_STATS_H
#define ZL_CONTACT_STATS_H

#include <jansson.h>

#include "platform/http.h"

/* NULL or "" fields take their default. */
struct contact_stats_query {
	const char *by;       /* "method" (default), "village", "cadre" (the author) */
	const char *interval; /* "month" (default), "week" (Monday..Sunday) */
	const char *from;     /* "YYYY-MM-DD", inclusive; default: 12 months (13 weeks) back */
	const char *to;       /* "YYYY-MM-DD", exclusive; default: the end of the current period */
	const char *village;  /* a region in scope (village or above): its subtree */
	const char *method;   /* one method only */
};
#define CONTACT_STATS_QUERY_INIT { NULL, NULL, NULL, NULL, NULL, NULL }

/* At most this many periods in one answer. */
#define CONTACT_STATS_MAX_PERIODS 160

/*
 * The figures of the contacts in scope started in [from, to) matching q.
 * Each figure is {contacts, households (distinct households reached),
 * confirmed (confirmation != none), presence (face to face: home_visit,
 * meeting, reception_day)}. *out (new reference):
 * {by, interval, from, to, totals: figures,
 *  periods: [{start, end (exclusive, clipped to [from, to)), label
 *             ("2026-03" or the week's Monday), ...figures}],
 *  groups: [{key (method name, village code, or cadre id as text), name,
 *            name_en (methods only), households_total (villages only: its
 *            active households now, for coverage), ...figures}],
 *  items: [{period (its start), group (its key), ...figures}] (non-empty cells only)}.
 * Groups: every method; every village in scope (under q->village), also
 * those with no contact, so the villages behind show; for cadres, the
 * active cadre accounts in scope and every author in the range.
 * Distinct households are counted per cell, per period, per group and in
 * total (they do not add up). ZL_E_VALIDATION with field errors for a bad
 * by, interval, method, date, an empty or too long range (more than
 * CONTACT_STATS_MAX_PERIODS periods) or a village not in scope.
 */
int contact_stats(struct ctx *c, const struct contact_stats_query *q, json_t **out);

/* GET /api/v1/contacts/stats. */
extern const struct route_table contact_stats_routes;

#endif
