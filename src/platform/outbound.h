/*
 * outbound.h: outbound delivery of notifications (webhooks, email, SMS).
 * notify_user() queues one outbound_message per active endpoint whose event
 * filter matches, in the transaction of the change; the server's tick sends
 * due messages outside any transaction and retries with back-off, so a
 * request never waits on delivery and the queue survives a restart.
 */
#ifndef ZL_OUTBOUND_H
#define ZL_OUTBOUND_H

#include <jansson.h>

#include "http.h"

/* Sends after a failed attempt: 30 s, 2 min, 10 min, 1 h, 6 h; then dead. */
#define OUTBOUND_MAX_ATTEMPTS 6

/*
 * Seconds to wait after the attempts-th failed attempt (1-based), or -1 when
 * the message is dead (attempts >= OUTBOUND_MAX_ATTEMPTS or attempts < 1).
 */
int64_t outbound_backoff(int attempts);

/*
 * The signature header value for a webhook body: "sha256=" and the lower-case
 * hex HMAC-SHA256 (libsodium crypto_auth_hmacsha256) of body under key.
 * out must hold OUTBOUND_SIG_MAX bytes.
 */
#define OUTBOUND_SIG_MAX 72
void outbound_sign(const char *key, const void *body, size_t len, char out[OUTBOUND_SIG_MAX]);

/*
 * 1 if an endpoint's filter ("*", or a comma list of kinds and "prefix.*"
 * entries, spaces ignored) selects the notification kind, else 0.
 */
int outbound_filter_matches(const char *filter, const char *kind);

/*
 * Queues the notification notification_id (already inserted) for every
 * active endpoint whose filter matches kind. Called by notify_user() inside
 * the caller's write transaction, so nothing is queued for a rolled-back
 * change. The payload is {event, notification_id, user_id, title_zh,
 * title_en, entity, entity_id, created_at}. Returns 0 or a storage error.
 */
int outbound_enqueue(struct ctx *c, int64_t notification_id, int64_t user_id, const char *kind,
		     const char *title_zh, const char *title_en, const char *entity,
		     const char *entity_id, const char *created_utc);

/*
 * Queues one SMS to a person who is not an endpoint (a resident who gave a
 * phone with an appeal, a household asked to confirm a visit): phone (an
 * 11-digit mainland mobile; kept in the queue encrypted with the
 * personal-data key and shown masked), text (1..300 characters; the sender
 * puts "【直联】" in front), kind (a stable name such as
 * "appeal.feedback_ask" or "contact.confirm_code"), entity/entity_id (what it
 * is about; may be NULL). The tick sends it through the default gateway
 * (setting 'outbound.sms_url', 'outbound.sms_method', 'outbound.sms_body')
 * with the same retries and dead-letter list as endpoint messages; the text
 * is kept in the queue (so never put more personal data in it than the
 * person needs). Runs inside the caller's write transaction and wakes the
 * sender after it commits. *id (may be NULL) gets the message id. 0,
 * ZL_E_VALIDATION (a bad phone or text), ZL_E_PII_KEY, or a storage error.
 */
int outbound_sms_direct(struct ctx *c, const char *phone, const char *text, const char *kind,
			const char *entity, const char *entity_id, int64_t *id);
/* 1 when the setting 'outbound.sms_url' names a gateway, else 0: a feature
 * that only makes sense if the SMS arrives (a code to type back) answers
 * ZL_E_OUTBOUND_NO_SMS without one; one that can wait (a follow-up ask)
 * skips the SMS. */
int outbound_sms_ready(struct db *db);

/*
 * Sends the messages due at now_us (at most a batch of 100, for at most
 * about 20 s, and after one failure no more to that endpoint in this run) on
 * db, which must not be in a transaction: each send happens outside any
 * transaction and each outcome is written in its own short one. Returns the
 * number of messages attempted, or a storage error.
 */
int outbound_run(struct db *db, int64_t now_us);

/* The server_on_tick() job: outbound_run(db_thread(), clock_now()). main.c's
 * cmd_serve registers it before server_run(). */
void outbound_tick(void);

/*
 * Endpoint JSON: {id, kind, target, server_url, events, active, has_secret,
 * created_at, updated_at}, and in the list the messages it holds: pending
 * (waiting; an inactive endpoint's wait until it is active again) and dead; the secret itself is shown only once, by create
 * (as "secret"), never by a read. create: {kind: webhook|email|sms, target,
 * server_url?, events? ("*"), active? (true), secret? (webhook only: 16-256
 * characters; generated when absent)}. update: PATCH of target, server_url,
 * events, active and secret (a string, or true for a new one the server
 * makes; a new secret is echoed once). Audited (the
 * secret never, a phone number masked). Webhook secrets need the personal
 * data key (ZL_E_PII_KEY without one).
 */
int outbound_endpoint_list(struct ctx *c, json_t **items);
int outbound_endpoint_create(struct ctx *c, const json_t *in, json_t **out);
int outbound_endpoint_update(struct ctx *c, int64_t id, const json_t *patch, json_t **out);

/*
 * Messages newest first, filtered by state (NULL: all; pending|sent|dead)
 * and endpoint_id (0: all): {id, endpoint_id, notification_id, kind, state,
 * attempts, next_attempt_at, last_error, created_at, sent_at, payload}.
 */
int outbound_message_list(struct ctx *c, const struct page *p, const char *state, int64_t endpoint_id,
			  json_t **items, int64_t *next);
/* A dead message back to pending, due now, with its attempts reset; audited.
 * ZL_E_OUTBOUND_NOT_DEAD for a pending or sent one. */
int outbound_message_replay(struct ctx *c, int64_t id, json_t **out);

/* GET/POST /api/v1/outbound/endpoints, PATCH /api/v1/outbound/endpoints/{id},
 * GET /api/v1/outbound/messages, POST /api/v1/outbound/messages/{id}/replay. */
extern const struct route_table outbound_routes;

#endif
