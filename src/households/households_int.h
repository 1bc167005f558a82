/*
 * households_int.h: what the files of the household module share among
 * themselves (rows, parsed input, events, tag sets). Not for other modules:
 * they use households.h.
 */
#ifndef ZL_HOUSEHOLDS_INT_H
#define ZL_HOUSEHOLDS_INT_H

#include <jansson.h>

#include "households/households.h"
#include "households/pii.h"
#include "platform/clock.h"
#include "platform/db.h"

#define HH_TAGS_MAX 32
#define HH_MEMBERS_MAX 64
#define HH_FIELD_MAX 64

/* ---- small helpers (households.c) ---- */

/* "members[2].phone" from a prefix ("members[2].", may be "") and a name. */
void hh_field(char out[HH_FIELD_MAX], const char *prefix, const char *name);
/* Adds a field error whose messages name the field: fmt_zh/fmt_en take the
 * field name as their one %s. */
void hh_ferr(struct ctx *c, const char *field, const char *fmt_zh, const char *fmt_en);
/* A text of min..max code points without control characters (newlines
 * allowed when multiline); adds a field error and returns -1 otherwise. */
int hh_text_ok(struct ctx *c, const char *field, const char *s, long min, long max, int multiline);
/* Reads an optional string field (JSON null gives NULL, *present set); -1
 * after a field error. */
int hh_opt_str(struct ctx *c, const json_t *o, const char *prefix, const char *name, int *present,
	       const char **out);
/* Stored UTC text -> display JSON string, or JSON null. */
json_t *hh_time_json(const char *stored);
/* Now, in storage form; today's date in Asia/Shanghai ("YYYY-MM-DD"). */
void hh_now(char out[ZL_TIME_MAX]);
void hh_today(char out[11]);
char *hh_col_dup(struct db_stmt *st, int i);
/* Decimal text of an id, for audit entity ids. */
void hh_id_text(int64_t id, char out[24]);

/* ---- tags (tags.c) ---- */
struct hh_tag_set {
	size_t n;
	int64_t id[HH_TAGS_MAX];
	char *name[HH_TAGS_MAX];
};
void hh_tag_set_release(struct hh_tag_set *t);
/* Resolves a JSON array of tag names or ids (NULL or null: none). Unknown
 * tags are field errors under `field`; so are retired ones when hid is 0 (a
 * new household) or when household hid (> 0) does not already carry them;
 * hid -1 (filters) accepts retired tags. 0, ZL_E_VALIDATION (errors added)
 * or a storage code. */
int hh_tags_resolve(struct ctx *c, const json_t *arr, const char *field, int64_t hid,
		    struct hh_tag_set *out);
/* The household's tags, sorted like the tag list. */
int hh_tags_load(struct ctx *c, int64_t hid, struct hh_tag_set *out);
/* Replaces the household's tags; added and removed (new arrays of names, may
 * be NULL) say what changed. */
int hh_tags_apply(struct ctx *c, int64_t hid, const struct hh_tag_set *want, json_t **added,
		  json_t **removed);
json_t *hh_tag_names(const struct hh_tag_set *t);

/* ---- members (members.c) ---- */
enum {
	M_NAME = 1 << 0,
	M_RELATION = 1 << 1,
	M_ID = 1 << 2,
	M_PHONE = 1 << 3,
	M_BIRTH = 1 << 4,
	M_SEX = 1 << 5,
	M_OCCUPATION = 1 << 6,
	M_REMARKS = 1 << 7
};
/* A member as given (create, patch, import); strings borrowed from the JSON
 * or static; "" for a cleared field. */
struct member_in {
	unsigned present;
	const char *name, *relation, *occupation, *remarks;
	char id_number[PII_ID_LEN + 1];
	char phone[12];
	char birth[11];
	char sex[2];
	int birth_derived, sex_derived;
};
/* Parses and checks one member object. patch: nothing is required and
 * absent fields stay absent. Field errors are named prefix + field. 0 or
 * ZL_E_VALIDATION. */
int hh_member_parse(struct ctx *c, const json_t *o, const char *prefix, int patch, struct member_in *m);
/* Inserts a member row (encrypting) for household hid. */
int hh_member_insert(struct ctx *c, int64_t hid, const struct member_in *m, const char *now, int64_t *mid);
/* Members of a household as JSON, current first; reveal decrypts, counting
 * the ID numbers and phones shown in full. */
int hh_members_json(struct ctx *c, int64_t hid, int reveal, json_t **out, int *ids, int *phones);
/* The current members as stored, for the import's matching. */
struct member_row {
	int64_t id;
	char *name, *relation, *id_hash, *phone_hash, *birth, *sex, *occupation, *remarks;
	int matched;
};
int hh_members_current(struct ctx *c, int64_t hid, struct member_row **rows, size_t *n);
void hh_member_rows_free(struct member_row *rows, size_t n);
/* Applies m's present fields to stored member r (no checks, no audit: the
 * PATCH's path and the import's); writes the event when something changed.
 * *changed gets the M_* bits that changed. */
int hh_member_update_row(struct ctx *c, int64_t hid, const struct member_row *r, const struct member_in *m,
			 const char *now, unsigned *changed);
/* Marks a member removed with the reason and writes the event. */
int hh_member_remove_row(struct ctx *c, int64_t hid, int64_t mid, const char *name, const char *relation,
			 const char *reason, const char *now);

/* ---- households (households.c) ---- */
enum {
	H_CODE = 1 << 0,
	H_REGION = 1 << 1,
	H_HEAD = 1 << 2,
	H_PHONE = 1 << 3,
	H_ADDRESS = 1 << 4,
	H_COORDS = 1 << 5,
	H_NOTES = 1 << 6,
	H_TAGS = 1 << 7,
	H_MEMBERS = 1 << 8
};
enum hh_mode { HH_CREATE, HH_PATCH, HH_IMPORT };
struct hh_in {
	unsigned present;
	const char *code, *head_name, *address, *notes;
	char village_code[ZL_CODE_MAX], region_code[ZL_CODE_MAX];
	char phone[12];
	int has_coords;
	double lat, lng;
	struct hh_tag_set tags;
	struct member_in *members;
	size_t nmembers;
};
void hh_in_release(struct hh_in *hi);
/* Parses and checks a household object (in a patch, tags are only marked
 * present: the caller resolves them knowing the household); 0,
 * ZL_E_VALIDATION (field errors added), ZL_E_BAD_JSON or a storage code. */
int hh_in_parse(struct ctx *c, const json_t *o, enum hh_mode mode, struct hh_in *hi);
/* Inserts the household, its tags and members; import_hash may be NULL. */
int hh_insert(struct ctx *c, const struct hh_in *hi, const char *import_hash, const char *now,
	      int64_t *id);
/* Appends a household_event row; data (may be NULL) is borrowed. */
int hh_event(struct ctx *c, int64_t hid, const char *kind, const char *zh, const char *en,
	     const json_t *data);
/* An encrypted value as JSON: null when none, the mask, or (reveal) the
 * decrypted value, counting it in *revealed. */
int hh_secret_json(const unsigned char *enc, size_t len, const char *mask, int reveal, json_t **out,
		   int *revealed);
/* Appends " +added ... -removed" (tag names) to a change summary. */
void hh_tag_changes_text(struct buf *zh, struct buf *en, const json_t *added, const json_t *removed);
/* Sets updated_at. */
int hh_touch(struct ctx *c, int64_t hid, const char *now);
/* 0 if household id exists, is not retired and is in scope; ZL_E_NOT_FOUND. */
int hh_check(struct ctx *c, int64_t id);

#endif
