/*
 * error.h: the one project-wide list of error codes. Functions that can fail
 * return int: 0 for success, a negative ZL_E_* code otherwise. Each code has
 * one row in error.c giving its HTTP status, stable machine name and its
 * Chinese and English messages. Codes are grouped by module and never
 * renumbered once landed; add new ones at the end of their group.
 */
#ifndef ZL_ERROR_H
#define ZL_ERROR_H

#include "util.h"

enum zl_err {
	ZL_OK = 0,
	/* platform: -1 .. -99 */
	ZL_E_INTERNAL = -1,        /* 500 internal */
	ZL_E_BAD_REQUEST = -2,     /* 400 request.bad */
	ZL_E_VALIDATION = -3,      /* 422 request.invalid (with field errors) */
	ZL_E_NOT_FOUND = -4,       /* 404 not_found */
	ZL_E_METHOD = -5,          /* 405 method_not_allowed */
	ZL_E_UNAUTHENTICATED = -6, /* 401 auth.required */
	ZL_E_FORBIDDEN = -7,       /* 403 auth.forbidden */
	ZL_E_CSRF = -8,            /* 403 auth.csrf */
	ZL_E_CONFLICT = -9,        /* 409 conflict */
	ZL_E_BUSY = -10,           /* 503 db.busy */
	ZL_E_TOO_LARGE = -11,      /* 413 request.too_large */
	ZL_E_IDEM_MISMATCH = -12,  /* 422 idempotency.mismatch */
	ZL_E_IDEM_PENDING = -13,   /* 409 idempotency.in_progress */
	ZL_E_RATE_LIMITED = -14,   /* 429 rate_limited */
	ZL_E_DB = -15,             /* 500 db.error */
	ZL_E_MEDIA_TYPE = -16,     /* 415 request.media_type */
	ZL_E_SCHEMA_NEWER = -17,   /* 500 db.schema_newer */
	ZL_E_IO = -18,             /* 500 io */
	ZL_E_INTEGRITY = -19,      /* 500 db.integrity */
	ZL_E_DB_FULL = -20,        /* 507 db.full */
	ZL_E_BAD_JSON = -21,       /* 400 request.bad_json */

	/* outbound delivery (webhooks, email, SMS): -30 .. -39 */
	ZL_E_OUTBOUND_NOT_DEAD = -30, /* 409 outbound.not_dead */
	ZL_E_OUTBOUND_NO_SMS = -31,   /* 503 outbound.no_sms_gateway */

	/* identity and access: -100 .. -199 */
	ZL_E_AUTH_FAILED = -100,        /* 401 auth.failed */
	ZL_E_AUTH_LOCKED = -101,        /* 423 auth.locked */
	ZL_E_AUTH_PASSWORD_RULE = -102, /* 422 auth.password_rule */
	ZL_E_AUTH_MUST_CHANGE = -103,   /* 403 auth.password_change_required */
	ZL_E_AUTH_EXPIRED = -104,       /* 401 auth.session_expired */
	ZL_E_AUTH_RATE = -105,          /* 429 auth.rate_limited */
	ZL_E_AUTH_OLD_PASSWORD = -106,  /* 422 auth.old_password */

	/* users and organisation: -200 .. -299 */
	ZL_E_USER_EXISTS = -200,      /* 409 user.exists */
	ZL_E_USER_ESCALATION = -201,  /* 403 user.escalation */
	ZL_E_USER_SCOPE = -202,       /* 422 user.scope */
	ZL_E_TOKEN_NAME_EXISTS = -203, /* 409 token.exists */

	/* org: regions, departments, teams, assignments, handover: -210 .. -249 */
	ZL_E_REGION_EXISTS = -210,          /* 409 region.exists */
	ZL_E_REGION_IN_USE = -211,          /* 409 region.in_use */
	ZL_E_REGION_ACTIVE_CHILDREN = -212, /* 409 region.active_children */
	ZL_E_REGION_CYCLE = -213,           /* 409 region.cycle */
	ZL_E_REGION_RETIRED = -214,         /* 409 region.retired */
	ZL_E_DEPT_RETIRED = -220,           /* 409 department.retired */
	ZL_E_MEMBER_EXISTS = -221,          /* 409 member.exists */
	ZL_E_MEMBER_ENDED = -222,           /* 409 member.ended */
	ZL_E_TEAM_LEADER_ROLE = -225,       /* 422 team.leader_role */
	ZL_E_ASSIGN_EXISTS = -230,          /* 409 assignment.exists */
	ZL_E_ASSIGN_CADRE = -231,           /* 422 assignment.not_cadre */
	ZL_E_ASSIGN_SCOPE = -232,           /* 422 assignment.cadre_scope */
	ZL_E_ASSIGN_ENDED = -233,           /* 409 assignment.ended */
	ZL_E_ASSIGN_DATES = -234,           /* 422 assignment.dates */
	ZL_E_HANDOVER_SAME = -240,          /* 422 handover.same_user */
	ZL_E_HANDOVER_NOT_HELD = -241,      /* 422 handover.not_held */

	/* contacts (联系记录): -400 .. -449 */
	ZL_E_CONTACT_UUID_CONFLICT = -400,    /* 409 contact.uuid_conflict */
	ZL_E_CONTACT_EDIT_CLOSED = -401,      /* 409 contact.edit_window_closed */
	ZL_E_CONTACT_NOT_AUTHOR = -402,       /* 403 contact.not_author */
	ZL_E_CONTACT_PHOTO_TOO_LARGE = -403,  /* 413 contact.photo_too_large */
	ZL_E_CONTACT_PHOTO_TYPE = -404,       /* 415 contact.photo_type */
	ZL_E_CONTACT_PHOTO_INVALID = -405,    /* 422 contact.photo_invalid */

	/* household confirmation of a home visit (确认): -410 .. -419 */
	ZL_E_CONFIRM_NOT_HOME_VISIT = -410, /* 422 confirm.not_home_visit */
	ZL_E_CONFIRM_DONE = -411,           /* 409 confirm.already_confirmed */
	ZL_E_CONFIRM_NOT_PRESENT = -412,    /* 403 confirm.not_present */
	ZL_E_CONFIRM_WINDOW = -413,         /* 409 confirm.window_closed */
	ZL_E_CONFIRM_NO_PHONE = -414,       /* 422 confirm.no_phone */
	ZL_E_CONFIRM_THROTTLED = -415,      /* 429 confirm.send_throttled */
	ZL_E_CONFIRM_NO_CODE = -416,        /* 409 confirm.no_code */
	ZL_E_CONFIRM_CODE_WRONG = -417,     /* 422 confirm.code_wrong */
	ZL_E_CONFIRM_CODE_EXPIRED = -418,   /* 410 confirm.code_expired */
	ZL_E_CONFIRM_TOO_MANY = -419,       /* 429 confirm.too_many_tries */

	/* contact issues and analysis meetings (分析研判): -420 .. -429 */
	ZL_E_ISSUE_CONVERTED = -420,      /* 409 contact_issue.converted */
	ZL_E_ISSUE_CLOSED = -421,         /* 409 contact_issue.closed */
	ZL_E_MEETING_FINAL = -422,        /* 409 meeting.finalised */
	ZL_E_MEETING_NOT_ON_TEAM = -423,  /* 403 meeting.not_on_team */
	ZL_E_MEETING_LEADER_ONLY = -424,  /* 403 meeting.leader_only */
	ZL_E_MEETING_ITEM_DECIDED = -425, /* 409 meeting.item_decided */

	/* plans and station days (走访计划, 驻点日): -450 .. -499 */
	ZL_E_PLAN_RULE_EXISTS = -450,       /* 409 plan.rule_exists */
	ZL_E_PLAN_NOT_STATION_DAY = -451,   /* 422 plan.not_station_day */
	ZL_E_PLAN_NOT_ON_TEAM = -452,       /* 422 plan.not_on_team */
	ZL_E_PLAN_CHECKIN_DATE = -453,      /* 422 plan.checkin_date */
	ZL_E_PLAN_CHECKIN_EXISTS = -454,    /* 409 plan.checkin_exists */
	/* reception days (接访日): -455 .. -469 */
	ZL_E_RECEPTION_NOT_ON_DUTY = -455,  /* 422 reception.not_on_duty */
	ZL_E_RECEPTION_NOT_TODAY = -456,    /* 422 reception.not_today */
	ZL_E_RECEPTION_ROSTER_PAST = -457,  /* 422 reception.roster_past */
	ZL_E_RECEPTION_NOT_REMOTE = -458,   /* 422 reception.not_remote */
	ZL_E_RECEPTION_TOO_SHORT = -459,    /* 422 reception.too_short */
	ZL_E_RECEPTION_NO_SCHEDULE = -460,  /* 422 reception.no_schedule */

	/* liaison cards (连心卡): -380 .. -399 */
	ZL_E_CARD_NOT_VILLAGE = -380, /* 422 card.not_village */
	ZL_E_CARD_EMPTY = -381,       /* 422 card.no_households */
	ZL_E_CARD_RENDER = -382,      /* 500 card.render */

	/* household import and export: -350 .. -379 */
	ZL_E_IMPORT_BAD_ROWS = -350, /* 422 import.bad_rows */
	ZL_E_IMPORT_ENCODING = -351, /* 422 import.encoding */
	ZL_E_IMPORT_CSV = -352,      /* 422 import.csv */
	ZL_E_IMPORT_HEADER = -353,   /* 422 import.header */
	ZL_E_IMPORT_EMPTY = -354,    /* 422 import.empty */

	/* households: household files, members, tags, personal data: -300 .. -349 */
	ZL_E_HOUSEHOLD_CODE_EXISTS = -300, /* 409 household.code_exists */
	ZL_E_TAG_EXISTS = -301,            /* 409 tag.exists */
	ZL_E_MEMBER_REMOVED = -302,        /* 409 household.member_removed */
	ZL_E_PII_KEY = -303,               /* 500 pii.key_unavailable */
	ZL_E_PII_KEY_MISMATCH = -304,      /* 500 pii.key_mismatch */

	/* appeals: workflow, categories, calendar: -500 .. -549 */
	ZL_E_APPEAL_ILLEGAL = -500,          /* 409 appeal.illegal_transition */
	ZL_E_APPEAL_ACTION_FORBIDDEN = -501, /* 403 appeal.action_forbidden */
	ZL_E_APPEAL_NO_EXTENSION = -502,     /* 409 appeal.no_extension_request */
	ZL_E_APPEAL_MERGE_TARGET = -503,     /* 422 appeal.merge_target */
	ZL_E_CATEGORY_EXISTS = -504,         /* 409 category.exists */
	ZL_E_CATEGORY_RETIRED = -505,        /* 409 category.retired */

	/* resident portal: -550 .. -579 */
	ZL_E_PORTAL_RATE = -550,        /* 429 portal.rate_limited */
	ZL_E_PORTAL_PHONE = -551,       /* 403 portal.phone_mismatch */
	ZL_E_PORTAL_NO_FEEDBACK = -552, /* 409 portal.feedback_closed */
	ZL_E_PORTAL_PHOTO_CLOSED = -553 /* 409 portal.photo_closed */
};

struct zl_error_info {
	int code;
	int http_status;
	const char *name; /* stable machine name, e.g. "auth.locked" */
	const char *zh;   /* message for people, Chinese */
	const char *en;   /* message for people, English: lowercase, no full stop */
};

/* Looks up a code; unknown codes give the ZL_E_INTERNAL row. Never NULL. */
const struct zl_error_info *zl_error_info(int code);
/* The whole table, for tests and documentation. */
const struct zl_error_info *zl_error_table(size_t *n);

/*
 * Validation errors gathered while checking input. A service function adds
 * one per bad field, then returns ZL_E_VALIDATION; the HTTP layer renders
 * them as problem+json errors[], the CLI prints them one per line.
 */
struct verr_item {
	char *field;
	char *zh;
	char *en;
};
struct verr {
	struct verr_item *items;
	size_t n, alloc;
};
#define VERR_INIT { NULL, 0, 0 }
void verr_add(struct verr *v, const char *field, const char *zh, const char *en);
void verr_release(struct verr *v);

#endif
