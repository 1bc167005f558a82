/*
 * year_reception.h: the demo town's year of reception days (接访日): remote
 * villages marked, the cadres on duty checking in, a few rosters set by the
 * leaders, walk-in visitors (some becoming appeals) and missed station days
 * in the villages that are behind.
 */
#ifndef ZL_DEMO_YEAR_RECEPTION_H
#define ZL_DEMO_YEAR_RECEPTION_H

#include "year.h"

/* Runs after demo_year() in the caller's transaction, through the
 * reception and plan services as the right actors with the clock set to
 * each moment; leaves the clock at demo_now_us(). 0 or a ZL_E_* code. */
int demo_reception(struct ctx *c, struct rng *r, const struct demo_town *tw);

#endif
