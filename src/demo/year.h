/*
 * year.h: the demo town's year of work (2026-01-05 .. 2026-11-20): the
 * cadres' contacts with their households and the appeals with their
 * workflow, recorded through the contacts and appeals services as the
 * right actors, on the test clock set to each moment.
 */
#ifndef ZL_DEMO_YEAR_H
#define ZL_DEMO_YEAR_H

#include "demo.h"
#include "gen.h"
#include "platform/ctx.h"

/* Moves the program's clock (the test clock, enabled here) to us. The demo
 * runs in its own short-lived process, so nothing else sees the clock. */
void demo_clock_set(int64_t us);

/* What the year needs of the town demo.c built. */
struct demo_town {
	size_t nvillages;
	const char *const *codes;   /* village codes */
	const int64_t *leaders;     /* the leader linking each village */
	const int64_t (*cadres)[5]; /* the village's cadres */
	const int *ncadres;
	int64_t admin;              /* takes phone calls (党政办) */
};

/* Records the year's contacts and appeals, in time order, from r. Runs in
 * the caller's transaction; leaves the clock at demo_now_us(). 0 or a
 * ZL_E_* code. */
int demo_year(struct ctx *c, struct rng *r, const struct demo_town *t);

#endif
