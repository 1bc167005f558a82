/*
 * notify.h: the per-user inbox. Modules tell a user what they need to know
 * (a handover, a new assignment, a warning) with notify_user() inside the
 * transaction of the change; the user reads the inbox through
 * GET /api/v1/notifications and marks items read.
 */
#ifndef ZL_NOTIFY_H
#define ZL_NOTIFY_H

#include "http.h"

/*
 * Appends a notification for user_id: kind is a stable machine name
 * ("handover.in"), title_zh/title_en what the inbox shows (both required),
 * entity/entity_id what it is about (may be NULL), e.g. "handover", "12".
 * Must run inside the caller's write transaction, so the notice exists if
 * and only if the change does. Returns 0, ZL_E_VALIDATION for an empty kind
 * or title, or a storage error (ZL_E_CONFLICT for an unknown user).
 */
int notify_user(struct ctx *c, int64_t user_id, const char *kind, const char *title_zh,
		const char *title_en, const char *entity, const char *entity_id);

/*
 * The caller's notifications, newest first, at most p->limit, with ids
 * below p->after when it is set; only unread ones when unread_only. *items
 * is a new array, *next the cursor value for the next page (0: none), and
 * *unread (may be NULL) the caller's total of unread notifications.
 */
int notify_list(struct ctx *c, const struct page *p, int unread_only, json_t **items, int64_t *next,
		int64_t *unread);

/* Marks one of the caller's notifications read (again: no change) and gives
 * it in *out (new reference). ZL_E_NOT_FOUND if it is not the caller's. */
int notify_mark_read(struct ctx *c, int64_t id, json_t **out);

/* GET /api/v1/notifications, POST /api/v1/notifications/{id}/read. */
extern const struct route_table notify_routes;

#endif
