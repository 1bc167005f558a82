/*
 * year_meetings.h: the demo town's analysis meetings (分析研判): every
 * village's team meets about twice a month over the year, reviews the
 * issues residents raised on station days and the open appeals, and decides
 * (mostly solved in the village, some sent up as appeals, a few closed).
 */
#ifndef ZL_DEMO_YEAR_MEETINGS_H
#define ZL_DEMO_YEAR_MEETINGS_H

#include "year.h"

/* Runs after demo_year() in the caller's transaction: the issues raised in
 * reception-day contacts, the meetings with their decisions and the appeals
 * they sent up taken through the workflow, through the contacts, meetings
 * and appeals services as the right actors with the clock set to each
 * moment; leaves the clock at demo_now_us(). 0 or a ZL_E_* code. */
int demo_meetings(struct ctx *c, struct rng *r, const struct demo_town *tw);

/* An appeal raised in the village, through the workflow from t: the leader
 * accepts it and assigns it to the cadre, who starts and resolves it; the
 * resident is satisfied or basically satisfied. Steps after demo_now_us()
 * are left undone (the appeal stays open at the demo's "now"). vb is the
 * village's actor base, town the town's. 0 or a ZL_E_* code. */
int demo_follow_appeal(struct ctx *c, struct rng *r, const struct actor *vb, const struct actor *town,
		       int64_t leader, int64_t cadre, int64_t id, int64_t t);

#endif
