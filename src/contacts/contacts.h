/*
 * contacts.h: contacts with the masses (联系记录: contact, any recorded
 * contact whatever its channel): the service the HTTP handlers
 * (contact_routes) and later modules (plans, confirmation, appeals, demo)
 * call, the UUID upsert that makes offline resends harmless, amendments,
 * and photos stored as content-addressed files beside the database.
 */
#ifndef ZL_CONTACTS_H
#define ZL_CONTACTS_H

#include <jansson.h>

#include "platform/files.h"
#include "platform/http.h"

/*
 * Conventions for every function below.
 * - Scope: a contact whose village_code is outside the actor's scope is
 *   ZL_E_NOT_FOUND, exactly like one that does not exist; lists leave it out.
 * - Writes run inside the caller's transaction and write one audit row per
 *   change (ids, method, times and counts; never names or the summary text).
 * - Bad input: ZL_E_VALIDATION with one field error per bad field, named as
 *   in the JSON ("households[1]", "people[0].member_id").
 * - *out is a new reference the caller owns.
 *
 * Contact JSON: id, uuid, author {id, display_name}, method, started_at
 * (display form), duration_min, place, lat, lng, gps_accuracy_m, village
 * {code, name}, summary, follow_up_date, confirmation, conflict (object or
 * null), households [{id, code, head_name}], cadres [{id, display_name}],
 * issue_count, photo_count, amendment_count, editable_until, created_at,
 * updated_at. contact_get adds people [{member_id|null, name}], issues [{id,
 * text, status, appeal_id}], photos [{sha256, mime, bytes, url,
 * created_at}], amendments [{id, user, at, reason, before, after}] and
 * amended: the amendable fields with every amendment applied in order (null
 * when there is none).
 *
 * The record stays honest: after the edit window the contact row never
 * changes; lists, filters, last_contact_at and (later) plan counting use the
 * original values, so an amendment cannot move a contact into another
 * period after the fact; the amended view is for reading.
 */

#define CONTACT_EDIT_WINDOW_US (24LL * 3600 * 1000000)
#define CONTACT_FUTURE_SLACK_US (5LL * 60 * 1000000) /* phone clocks run fast */
#define CONTACT_PHOTO_MAX FILE_IMAGE_MAX

/*
 * Creates a contact authored by the actor from {uuid?, method, started_at
 * (RFC 3339, at most 5 minutes ahead of clock_now()), duration_min
 * (1..1440), place?, lat?+lng? (together), gps_accuracy_m?, village_code?
 * (derived from the households when absent; required without households),
 * households?: [id] (in scope, one village), people?: [{member_id} |
 * {name}], cadres?: [user id] (active staff users besides the author),
 * summary (1..4000 characters), follow_up_date?, issues?: [text |
 * {text}]}.
 * With a uuid already stored: the same content (content_hash over the
 * canonical input, contact_content_hash) gives the stored contact and
 * *status 200; other content is ZL_E_CONTACT_UUID_CONFLICT naming the uuid.
 * A household no longer assigned to the author on the contact's date
 * (another cadre took it meanwhile) does not refuse the contact: it is
 * stored with conflict set and *status 201 like any new one.
 */
int contact_create(struct ctx *c, const json_t *in, json_t **out, int *status);

/* One contact in scope, with people, issues, photos and amendments. */
int contact_get(struct ctx *c, int64_t id, json_t **out);

/* List filters; NULL / 0 fields do not filter. Dates "YYYY-MM-DD" in
 * Asia/Shanghai: from inclusive, to exclusive (the project's rule). */
struct contact_filter {
	const char *region;   /* village or any region: that subtree */
	int64_t cadre;        /* author or a cadre present */
	int64_t household;
	const char *method;
	const char *from, *to;
	int conflict;         /* 1: only contacts with a sync conflict */
};
#define CONTACT_FILTER_INIT { NULL, 0, 0, NULL, NULL, NULL, 0 }

/* Contacts in scope matching f, newest first (started_at, then id, both
 * descending); p->after is the id of the last item of the previous page.
 * *next is that id for the next page or 0. */
int contact_list(struct ctx *c, const struct contact_filter *f, const struct page *p, json_t **items,
		 int64_t *next);

/* 1 if a contact created at created_us may still be edited at now_us (the
 * window is [created, created + 24 h)), else 0. */
int contact_editable(int64_t created_us, int64_t now_us);

/*
 * PATCH by the author within the edit window: method, started_at,
 * duration_min, place, lat, lng, gps_accuracy_m, summary, follow_up_date
 * (null clears an optional one), households, people, cadres (whole lists).
 * ZL_E_CONTACT_NOT_AUTHOR, ZL_E_CONTACT_EDIT_CLOSED. Gives the contact.
 */
int contact_update(struct ctx *c, int64_t id, const json_t *patch, json_t **out);

/* An amendment {reason (1..500), changes: {the scalar fields of PATCH}} by
 * the author, a leader or an admin, at any time; stored beside the
 * original, which stays unchanged. Gives the contact. */
int contact_amend(struct ctx *c, int64_t id, const json_t *in, json_t **out);

/*
 * The canonical form of a create input (uuid left out; author, times in
 * storage form, lists sorted, nulls dropped, numbers normalised) and its
 * SHA-256 hex in hash (65 bytes). Field errors for malformed input:
 * ZL_E_VALIDATION. *canon (may be NULL) is a new reference.
 */
int contact_content_hash(struct ctx *c, const json_t *in, int64_t author, char hash[65],
			 json_t **canon);

/* The image type of data by its content: "image/jpeg" or "image/png" when it
 * is a whole, plausible JPEG (SOI, a frame header with a size, EOI) or PNG
 * (signature, IHDR with a size, IEND); NULL otherwise. */
const char *contact_photo_sniff(const unsigned char *data, size_t len);

/*
 * Attaches a photo (declared type content_type) to a contact the actor
 * authored, within the edit window: ZL_E_CONTACT_PHOTO_TOO_LARGE over 5 MB,
 * ZL_E_CONTACT_PHOTO_TYPE unless declared image/jpeg or image/png,
 * ZL_E_CONTACT_PHOTO_INVALID when the content is not that image. The file
 * goes to <db path>.files/ab/cd/<sha256> (temp file + rename). *created is
 * 0 when the photo was attached already. *out is the photo JSON.
 */
int contact_photo_add(struct ctx *c, int64_t id, const char *content_type, const void *data,
		      size_t len, json_t **out, int *created);

/* The path (new string) and type of a contact's photo, for a reader whose
 * scope covers the contact; ZL_E_NOT_FOUND otherwise. */
int contact_photo_path(struct ctx *c, int64_t id, const char *sha, char **path, const char **mime);

/* Registers the household timeline source "contact" (idempotent). Run from
 * a constructor in routes.c, so linking contact_routes is enough. */
void contacts_init(void);

/* /api/v1/contacts: list, create, read, PATCH, amendments, photos. */
extern const struct route_table contact_routes;

#endif
