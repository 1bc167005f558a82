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
 * The portal's track page for a receipt code, as a new string:
 * PUBLIC_URL + "/#/track?code=" + receipt_code, with PUBLIC_URL as for the
 * liaison cards (cards_portal_url: the setting 'public_url', else
 * $ZHILIAN_PUBLIC_URL, else http://127.0.0.1:8080).
 */
char *portal_track_url(struct ctx *c, const char *receipt_code);

/*
 * Asks the residents of appeal id by SMS whether it is really fixed and how
 * satisfied they are (outbound_sms_direct, kind "appeal.feedback_ask" at
 * resolution, "appeal.follow_up" when follow_up is set): the resident of
 * the appeal and of every appeal merged into it (they follow the survivor)
 * who gave a phone, anonymous or not, one SMS per distinct phone; nothing
 * while no gateway is configured (setting 'outbound.sms_url' unset or
 * empty: such SMS could never be sent, and the demo town's made-up
 * residents must never be texted once a gateway is set). The text
 * is Chinese and carries nothing personal: the receipt code that resident
 * holds and the track link for it. A phone that cannot be read or sent to
 * (no personal-data key, a refused text) is skipped with a log line: the
 * ask never blocks the resolution. Runs in the caller's transaction;
 * *asked gets the number of SMS queued. 0 or a storage error.
 */
int portal_feedback_ask(struct ctx *c, int64_t id, int follow_up, int *asked);

/*
 * The follow-up job: every appeal resolved at least PORTAL_FOLLOWUP_DAYS
 * before now_us whose resident has given no feedback gets one
 * appeal_followup row for that resolution (asked again once), the SMS ask
 * (portal_feedback_ask with follow_up; sms_sent_at is stamped with the time
 * it was queued, and stays NULL when nobody gave a phone), a "follow_up"
 * event on its timeline, an audit row, and a notice in the assignee's
 * inbox. Runs in its own transaction on db; returns the number of appeals
 * asked, or a negative code.
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
