/*
 * meetings.h: what happens to the issues raised in contacts (an issue becomes
 * an appeal in one action, or is closed with a reason) and the village team's
 * analysis meeting (分析研判: analysis meeting), whose agenda is drawn from
 * the village's open appeals and open contact issues and whose minutes link
 * each decision to what it produced.
 *
 * Conventions (as contacts.h): functions run inside the caller's write
 * transaction (the router's, the CLI's, the demo's) and never open one; a
 * record whose village is outside the actor's scope is ZL_E_NOT_FOUND; every
 * change writes one audit row (ids, states and decisions, never the issue
 * text); bad input adds field errors and returns ZL_E_VALIDATION; *out is a
 * new JSON reference the caller owns.
 */
#ifndef ZL_CONTACTS_MEETINGS_H
#define ZL_CONTACTS_MEETINGS_H

#include <jansson.h>

#include "platform/http.h"

/* ---- contact issues (issues.c) ---- */

/*
 * Issue JSON: {id, contact_id, text, status (open | converted | closed),
 * appeal_id, village {code, name}, raised_at (the contact's start),
 * raised_by {id, display_name}, close_reason, closed_at, closed_by {id,
 * display_name} | null, created_at, updated_at}.
 */
int contact_issue_get(struct ctx *c, int64_t issue_id, json_t **out);

/* Filters of contact_issue_list; NULL does not filter. */
struct contact_issue_filter {
	const char *village; /* exact village code */
	const char *status;  /* open | converted | closed; NULL: open */
};
/* Issues in scope, newest first (ids below p->after); *next is the id to
 * continue after, or 0. ZL_E_VALIDATION for an unknown status. */
int contact_issue_list(struct ctx *c, const struct contact_issue_filter *f, const struct page *p,
		       json_t **items, int64_t *next);

/*
 * Turns an open issue into an appeal in one action: {category_id, urgency?,
 * title? (default: the issue text, cut to 100 characters), description?
 * (default: the issue text), household_id? (one of the contact's households;
 * default the contact's first household), public_consent?}. The appeal is
 * made by appeal_create() with channel 'contact', the contact's village and
 * contact_issue_id; the issue becomes 'converted' with appeal_id. contact_id
 * 0 accepts the issue of any contact; otherwise the issue must belong to it
 * (ZL_E_NOT_FOUND). Errors: ZL_E_ISSUE_CONVERTED (*appeal_id, when not NULL,
 * gets the appeal it became), ZL_E_ISSUE_CLOSED, and appeal_create's.
 * *out is {issue, appeal}.
 */
int contact_issue_convert(struct ctx *c, int64_t contact_id, int64_t issue_id, const json_t *in,
			  json_t **out, int64_t *appeal_id);

/* The appeal_create() input for a raised matter: the fields category_id,
 * urgency, title, description and public_consent copied from in, title
 * (cut to 100 characters) and description defaulting to text (line breaks
 * made spaces), village_code and channel 'contact'. A new object. */
json_t *contact_appeal_input(const json_t *in, const char *text, const char *village);

/* Closes an open issue with {reason (1..500)}: ZL_E_ISSUE_CONVERTED (with
 * *appeal_id as above), ZL_E_ISSUE_CLOSED. *out is the issue. */
int contact_issue_close(struct ctx *c, int64_t contact_id, int64_t issue_id, const json_t *in,
			json_t **out, int64_t *appeal_id);

/* /api/v1/contact-issues and /api/v1/contacts/{id}/issues/{issue_id}/... */
extern const struct route_table contact_issue_routes;

/* ---- analysis meetings (meetings.c) ---- */

/*
 * Meeting JSON: {id, village {code, name}, title, held_at, place, state
 * (draft | final), attendees [{id, display_name}], items [Item],
 * decided_count, item_count, created_by {id, display_name}, finalised_at,
 * finalised_by, created_at, updated_at}. Lists leave out items and
 * attendees.
 * Item: {id, seq, kind (appeal | issue | free), appeal_id, contact_issue_id,
 * text, decision (null | solve_village | appeal | close), owner {id,
 * display_name} | null, due_date, reason, note, result_appeal_id,
 * closed_issue_id, decided_by, decided_at, source: the appeal {id,
 * receipt_code, state, title} or issue {id, status, appeal_id} as it is now}.
 *
 * Who may write: a leader or an admin whose scope holds the village, or a
 * cadre on the village's station or auxiliary team (a current member, the
 * team's leader, or stationed there); others ZL_E_MEETING_NOT_ON_TEAM.
 * Adding a free item is for the leader (role leader or admin, or the station
 * team's leader): ZL_E_MEETING_LEADER_ONLY. A finalised meeting refuses
 * every change: ZL_E_MEETING_FINAL.
 */

/* The agenda a new meeting of the village held at held_at (stored or
 * display form; NULL: now) would get: {village, items [Item without ids]}.
 * Open appeals of the village (not rejected, resolved or closed) submitted
 * before held_at, then open contact issues of the village raised before
 * held_at that no meeting has decided yet. */
int meeting_agenda(struct ctx *c, const char *village, const char *held_at, json_t **out);

/* Creates a meeting {village_code, held_at (RFC 3339), place? (<=100),
 * title? (<=100), attendees: [user id] (1..50 active users)} with the drawn
 * agenda. *out is the meeting. */
int meeting_create(struct ctx *c, const json_t *in, json_t **out);
int meeting_get(struct ctx *c, int64_t id, json_t **out);
/* Meetings in scope, newest held first (then id); village NULL: all. */
int meeting_list(struct ctx *c, const char *village, const struct page *p, json_t **items, int64_t *next);
/* PATCH of title, place, held_at and attendees of a draft meeting. */
int meeting_update(struct ctx *c, int64_t id, const json_t *patch, json_t **out);
/* A free item {text (1..500)} added by the leader. *out is the meeting. */
int meeting_item_add(struct ctx *c, int64_t id, const json_t *in, json_t **out);

/*
 * Records the decision on an item: {decision, note?, ...}:
 * - solve_village: owner_user_id (an active user), due_date (YYYY-MM-DD).
 * - appeal: an issue item becomes an appeal by contact_issue_convert() (the
 *   same body: category_id, urgency?, title?, description?, household_id?,
 *   public_consent?); an appeal item is linked as it is; a free item becomes
 *   an appeal of the village (channel 'contact', title and description from
 *   the item unless given). result_appeal_id is the appeal.
 * - close: reason (1..500); an issue item closes the issue
 *   (contact_issue_close), an appeal item closes the appeal by the workflow
 *   (only a resolved one: ZL_E_APPEAL_ILLEGAL otherwise).
 * A solve_village decision may be changed until the meeting is final; a
 * decision that produced a record (an appeal, a closed issue) may not
 * (ZL_E_MEETING_ITEM_DECIDED). *out is the meeting; *appeal_id as for
 * contact_issue_convert.
 */
int meeting_item_decide(struct ctx *c, int64_t id, int64_t item_id, const json_t *in, json_t **out,
			int64_t *appeal_id);

/* Locks the minutes (state final). *out is the meeting. */
int meeting_finalise(struct ctx *c, int64_t id, json_t **out);

/* /api/v1/meetings */
extern const struct route_table meeting_routes;

#endif
