/*
 * year_diary.h: the demo town's people's-condition diaries (民情日记): a few
 * entries a month by each village cadre over the year, most written on the
 * evening of a day with contacts and linked to them and their households,
 * and a monthly note by each town leader about each village they link.
 */
#ifndef ZL_DEMO_YEAR_DIARY_H
#define ZL_DEMO_YEAR_DIARY_H

#include "year.h"

/* Runs after demo_year() in the caller's transaction, through diary_create
 * as each author with the clock set to the moment of writing; leaves the
 * clock at demo_now_us(). 0 or a ZL_E_* code. */
int demo_diary(struct ctx *c, struct rng *r, const struct demo_town *tw);

#endif
