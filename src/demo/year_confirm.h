/*
 * year_confirm.h: households confirming the demo town's home visits
 * (农户确认) over the year, by SMS code or signature, through the
 * confirmation service (contacts/confirm.h).
 */
#ifndef ZL_DEMO_YEAR_CONFIRM_H
#define ZL_DEMO_YEAR_CONFIRM_H

#include "year.h"

/* Runs after demo_year(): confirms about half of the year's home visits
 * (a quarter in the villages behind), mostly by SMS code, some by
 * signature, each as the visit's author shortly after it, on the clock set
 * back to that moment; the codes' SMS are marked delivered. In the
 * caller's transaction; leaves the clock at demo_now_us(). 0 or a code. */
int demo_confirm(struct ctx *c, struct rng *r, const struct demo_town *tw);

#endif
