/*
 * households.h: household files (民情档案: household file, everything known
 * about a household and its members): the service the HTTP handlers
 * (household_routes), the importer and later modules call, the tag list,
 * and the household timeline with its registry of sources.
 */
#ifndef ZL_HOUSEHOLDS_H
#define ZL_HOUSEHOLDS_H

#include <jansson.h>

#include "platform/http.h"

/*
 * Conventions for every function below.
 * - Scope: a household whose region (group or village) is outside the
 *   actor's scope is ZL_E_NOT_FOUND, exactly like one that does not exist;
 *   lists and counts leave it out.
 * - Writes run inside the caller's transaction (the router's, or the CLI's
 *   with_tx) and write one household_event row and one audit row per
 *   change; audit JSON carries masked ID numbers and phones only.
 *   Writing personal data needs the key (pii.h): ZL_E_PII_KEY otherwise.
 * - Bad input: ZL_E_VALIDATION with one field error per bad field in
 *   c->errs, named as in the JSON ("head_name", "members[1].id_number").
 * - *out is a new reference the caller owns.
 *
 * Household JSON: id, code, village {code, name}, group {code, name} | null,
 * address, lat, lng, head_name, phone (masked "138****5678" unless
 * revealed), tags [names], notes, responsible {user_id, display_name,
 * since} | null (the current 联系户 cadre), member_count (current members),
 * last_contact_at, open_appeal_count, created_at, updated_at, revealed
 * (bool); household_get adds members [member JSON].
 * Member JSON: id, name, relation, id_number and phone (masked unless
 * revealed), birth_date, age, sex ("M"/"F"), occupation, remarks,
 * removed_at, removed_reason, created_at, updated_at.
 */

/* Relations to the head: 户主, 配偶, 子女, 父母, 孙子女, 兄弟姐妹, 祖父母,
 * 儿媳, 女婿, 其他. Common spellings (儿子, 妻子, 母亲, 孙女 ...) are mapped
 * to these. Returns the canonical static string, or NULL if unknown. */
const char *household_relation_normalise(const char *s);

/*
 * Creates a household from {code?, village_code | group_code, head_name,
 * phone?, address?, lat?, lng?, tags?: [name or id], notes?, members?:
 * [member]}. Without a code one is made: the village code and a 4-digit
 * serial. A member is {name, relation, id_number?, phone?, birth_date?,
 * sex?, occupation?, remarks?}; birth_date and sex, when given, must agree
 * with the ID number, and are derived from it when not.
 * Returns 0, ZL_E_VALIDATION, ZL_E_HOUSEHOLD_CODE_EXISTS.
 */
int household_create(struct ctx *c, const json_t *in, json_t **out);

/* One household with its members. reveal: ID numbers and phones in full,
 * for a role holding "household.reveal" (ZL_E_FORBIDDEN otherwise); writes
 * an audit row "household.reveal" naming the fields shown (not the values),
 * so it must then run inside a write transaction. */
int household_get(struct ctx *c, int64_t id, int reveal, json_t **out);

/* Applies a PATCH of village_code/group_code (a move), head_name, phone,
 * address, lat/lng, notes, tags (the full list). The code cannot change.
 * An empty or no-op patch changes nothing. Returns the household. */
int household_update(struct ctx *c, int64_t id, const json_t *patch, json_t **out);

/* List filters; every field is optional (NULL / 0 / -1 = not filtering). */
struct household_filter {
	const char *region;     /* village or group code: that subtree */
	const char *group;      /* exactly this group */
	const char *tags[16];   /* names or ids */
	size_t ntags;
	int tag_any;            /* 1: any of the tags; 0: all of them */
	int64_t cadre;          /* user id of the current responsible cadre */
	const char *q;          /* head or member name substring, or code prefix */
	const char *id_number;  /* exact, through the keyed hash */
	const char *phone;      /* exact (household's or a member's) */
	int has_open_appeal;    /* -1 any, 0 none open, 1 some open */
	int not_contacted_days; /* -1 off; else never contacted or not for N days */
};
#define HOUSEHOLD_FILTER_INIT { NULL, NULL, { NULL }, 0, 0, 0, NULL, NULL, NULL, -1, -1 }

/* Households in scope matching f, by ascending id after p->after, at most
 * p->limit (items without members). reveal as household_get: one audit row
 * per household shown. *next is the next cursor value or 0. An unknown tag
 * is a field error "tag". */
int household_list(struct ctx *c, const struct household_filter *f, const struct page *p, int reveal,
		   json_t **items, int64_t *next);

/* {total, by_tag: [{id, name, name_en, count}], by_village: [{code, name,
 * count}]} over the households in scope matching f. */
int household_counts(struct ctx *c, const struct household_filter *f, json_t **out);

/* Members. add: the member JSON; update: a PATCH of the member's fields
 * (null clears an optional one) giving the member; ZL_E_MEMBER_REMOVED for
 * a removed member. remove: sets removed_at and the reason (required, at
 * most 200 characters); never deletes. ZL_E_NOT_FOUND when the member is not
 * the household's. */
int household_member_add(struct ctx *c, int64_t hid, const json_t *in, json_t **out);
int household_member_update(struct ctx *c, int64_t hid, int64_t mid, const json_t *patch, json_t **out);
int household_member_remove(struct ctx *c, int64_t hid, int64_t mid, const char *reason, json_t **out);

/* Replaces the household's tags with a JSON array of names or ids; gives
 * the household. */
int household_tags_set(struct ctx *c, int64_t hid, const json_t *tags, json_t **out);

/*
 * The import contract (the importer calls it once per household, inside its
 * own transaction; it writes one audit row for the whole import).
 * h = {code, village_code, group_code|null, address, head_name, phone|null,
 * lat|null, lng|null, tags: [names], notes|null, members: [{name, relation,
 * id_number|null, phone|null, birth_date|null, sex|null, occupation|null,
 * remarks|null}]}. Keyed by code:
 *   absent -> created (*changed = 1);
 *   present with the same import fingerprint (a keyed hash of the
 *     normalised canonical JSON of h) -> nothing (*changed = 0);
 *   present and different -> household, tags and members updated (members
 *     matched by ID number, else by name and relation; new ones added; those
 *     no longer listed removed with a reason), *changed = 1 if anything
 *     differed.
 * A code in use by a household outside the caller's scope is a field error
 * on "code". Writes household_event rows, no audit rows. Returns 0,
 * ZL_E_VALIDATION (field errors as above), or a storage error.
 */
int household_upsert_import(struct ctx *c, const json_t *h, int64_t *id, int *changed);

/* 0 if the household exists and is in the actor's scope, else
 * ZL_E_NOT_FOUND: for modules that hang records on a household. */
int household_check(struct ctx *c, int64_t id);

/* Appends a household_event row (timeline) inside the caller's transaction;
 * data (may be NULL) is borrowed and must hold masked values only. */
int household_event_add(struct ctx *c, int64_t hid, const char *kind, const char *summary_zh,
			const char *summary_en, const json_t *data);

/* ---- tags ---- */
/* {items: [{id, name, name_en, sort, retired, created_at}], next_cursor:
 * null}; retired tags only when include_retired. */
int tag_list(struct ctx *c, int include_retired, json_t **out);
/* {name, name_en?, sort?}: name 1-16 characters, unique (ZL_E_TAG_EXISTS). */
int tag_create(struct ctx *c, const json_t *in, json_t **out);
/* PATCH {name?, name_en?, sort?, retired?: bool}. A retired tag stays on the
 * households that have it but cannot be given to more. */
int tag_update(struct ctx *c, int64_t id, const json_t *patch, json_t **out);

/* ---- the household timeline ---- */
/*
 * The timeline merges records from several sources, newest first. A source
 * appends to `out` at most w->limit JSON objects for household hid that come
 * strictly before the window's position, newest first:
 *   {"id": int (the source's row id), "at": storage-form UTC text,
 *    "kind": "contact.visit", "summary_zh", "summary_en",
 *    "user_id": int (optional), "data": object (optional)}
 * "Before the position" means: at < w->before_at, or at == w->before_at and
 * id < w->before_id; with before_at NULL, from the newest. In SQL:
 *   (at < ? OR (at = ? AND id < ?)) ORDER BY at DESC, id DESC LIMIT ?
 * The timeline adds "source", the display time, "summary" in the reader's
 * language and "user" {id, display_name}. Sources must check nothing about
 * scope (the household was checked) and return 0 or a negative code.
 */
struct timeline_window {
	const char *before_at;
	int64_t before_id;
	int limit;
};
struct timeline_source {
	const char *name; /* unique, e.g. "contact"; "household" is built in */
	int (*fetch)(struct ctx *c, int64_t hid, const struct timeline_window *w, json_t *out);
};
/* Registers a source (the struct must outlive the program; at most 15
 * besides the built-in one). Call at start-up, before the server's threads
 * run: e.g. from a module init called by main, or a constructor. */
void household_timeline_register(const struct timeline_source *src);
/* One page of the timeline: limit 1..200, cursor NULL or a next_cursor from
 * the previous page (ZL_E_VALIDATION with a field error "cursor" if bad).
 * *next is a new string or NULL at the end. */
int household_timeline(struct ctx *c, int64_t hid, const char *cursor, int limit, json_t **items,
		       char **next);

/* GET/POST /api/v1/households, counts, one household, members, tags,
 * timeline; GET/POST/PATCH /api/v1/tags. */
extern const struct route_table household_routes;

#endif
