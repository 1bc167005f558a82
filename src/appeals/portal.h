/*
 * portal.h: the resident portal (no account): the village and category
 * choosers, submitting an appeal, tracking it by its receipt code, answering
 * "is it fixed, are you satisfied?", the public board (公开栏) of a village,
 * and the 7-day follow-up of resolved appeals nobody has answered.
 *
 * Every route is ROUTE_PUBLIC. The handlers act as the portal (a system
 * actor, user 0, the whole tree in scope) through the appeal service, so a
 * submission lands in the same workflow as any other channel. Lookups and
 * submissions are rate-limited per client address on the program's clock.
 */
#ifndef ZL_PORTAL_H
#define ZL_PORTAL_H

#include "platform/http.h"

/* Requests per address per window before 429 portal.rate_limited. */
#define PORTAL_TRACK_MAX 30   /* track lookups and feedback answers */
#define PORTAL_TRACK_WINDOW_SEC (10 * 60)
#define PORTAL_SUBMIT_MAX 10  /* new appeals */
#define PORTAL_SUBMIT_WINDOW_SEC (60 * 60)
#define PORTAL_FOLLOWUP_DAYS 7
/* A resident adds photos within this many hours of submitting (counted
 * against PORTAL_SUBMIT_MAX per window, as kind "photo"). */
#define PORTAL_PHOTO_HOURS 24

/*
 * Counts one request of kind ("track", "submit") from addr against max per
 * window_sec seconds (a fixed window on clock_now()). 0 if allowed,
 * ZL_E_PORTAL_RATE when the window is full, with *retry_sec (may be NULL)
 * the seconds until it ends. Thread-safe; in memory only.
 */
int portal_rate_check(const char *kind, const char *addr, int max, int64_t window_sec, int64_t *retry_sec);
/* Forgets every count (tests). */
void portal_rate_reset(void);

/*
 * The follow-up job: every appeal resolved at least PORTAL_FOLLOWUP_DAYS
 * before now_us whose resident has given no feedback gets one
 * appeal_followup row for that resolution (asked again once), a
 * "follow_up" event on its timeline, an audit row, and a notice in the
 * assignee's inbox. SMS hook: the gateway sends the rows whose sms_sent_at
 * is NULL (text: the portal's track link with the receipt code) and stamps
 * sms_sent_at. Runs in its own transaction on db; returns the number of
 * appeals asked, or a negative code.
 */
int portal_followup_run(struct db *db, int64_t now_us);
/* server_on_tick() wrapper of portal_followup_run (registered at start-up
 * by a constructor in portal.c, so main.c needs only the route table). */
void portal_tick(void);

/*
 * GET  /api/v1/public/villages, /api/v1/public/categories,
 * POST /api/v1/public/appeals,
 * GET  /api/v1/public/track/{receipt_code}?phone_last4=,
 * POST /api/v1/public/track/{receipt_code}/feedback,
 * POST /api/v1/public/track/{receipt_code}/photos?phone_last4= (raw image,
 *      within PORTAL_PHOTO_HOURS of submission),
 * GET  /api/v1/public/track/{receipt_code}/photos/{sha}?phone_last4=,
 * GET  /api/v1/public/board/{village_code}.
 */
extern const struct route_table portal_routes;

#endif
