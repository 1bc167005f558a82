/*
 * confirm.h: a household confirms a home visit (农户确认), either with a
 * signature drawn on the cadre's phone (a PNG kept in the platform's file
 * store) or with a 6-digit code sent by SMS to the household's phone and
 * typed back by the cadre. The contact's confirmation column says how
 * (none|signature|sms_code); contact_confirmation keeps who, when and the
 * attempts. Confirmed visits are the strongest evidence for evaluation.
 */
#ifndef ZL_CONFIRM_H
#define ZL_CONFIRM_H

#include <jansson.h>

#include "platform/http.h"

#define CONFIRM_WINDOW_US (7LL * 24 * 3600 * 1000000)    /* after started_at */
#define CONFIRM_SIGNATURE_MAX (512 * 1024)               /* bytes */
#define CONFIRM_CODE_TTL_US (10LL * 60 * 1000000)        /* a code is valid 10 minutes */
#define CONFIRM_CODE_TRIES 5                             /* wrong codes before it locks */
#define CONFIRM_RESEND_US (60LL * 1000000)               /* one send a minute */
#define CONFIRM_SENDS_PER_DAY 5                          /* per contact, in any 24 hours */

/*
 * Rules shared by every function below.
 * - The contact must be in the actor's scope (else ZL_E_NOT_FOUND), a home
 *   visit with at least one household (ZL_E_CONFIRM_NOT_HOME_VISIT).
 * - Collecting a confirmation (sign, send a code, check a code) is for the
 *   contact's author or a cadre listed as present
 *   (ZL_E_CONFIRM_NOT_PRESENT), before started_at + 7 days
 *   (ZL_E_CONFIRM_WINDOW), on a contact not yet confirmed
 *   (ZL_E_CONFIRM_DONE).
 * - The household is in->household_id, one of the contact's households;
 *   it may be left out when the contact has only one. member_name (1..50
 *   characters) is optional.
 * - Writes run inside the caller's transaction and are audited (the phone
 *   number masked; never the code or the member's name).
 * - *out is a new reference the caller owns: the confirmation JSON below.
 *   The changes take out == NULL when the caller needs no answer (the demo).
 *
 * Confirmation JSON: {contact_id, status: none|pending|confirmed, method:
 * none|signature|sms_code, household {id, code, head_name} | null,
 * member_name, confirmed_at, confirmed_by {id, display_name} | null,
 * signature {url, sha256, bytes} | null, code {phone_mask, sent_at,
 * expires_at, attempts, tries_left, state: pending|expired|locked} | null
 * (the latest code while unconfirmed), resend_at (when another code may be
 * sent, or null), sends_left (codes left in the last 24 hours), deadline
 * (started_at + 7 days), can_confirm (the actor may collect it now), and
 * households [{id, code, head_name, phone_mask, has_phone}] to choose from.
 */

/* The confirmation of a contact in scope (anyone who can read it). */
int confirm_json(struct ctx *c, int64_t contact_id, json_t **out);

/*
 * Confirms with a signature: data (len bytes) must be a whole PNG
 * (content_type image/png: ZL_E_CONTACT_PHOTO_TYPE otherwise;
 * ZL_E_CONTACT_PHOTO_INVALID when the content is not one) of at most
 * CONFIRM_SIGNATURE_MAX bytes (ZL_E_CONTACT_PHOTO_TOO_LARGE). The file is
 * stored content-addressed beside the database (files.h).
 */
int confirm_signature(struct ctx *c, int64_t contact_id, int64_t household_id, const char *member_name,
		      const char *content_type, const void *data, size_t len, json_t **out);

/* The signature file of a confirmed contact in scope: *path (new string)
 * and *mime; ZL_E_NOT_FOUND when there is none. */
int confirm_signature_path(struct ctx *c, int64_t contact_id, char **path, const char **mime);

/*
 * Sends a new 6-digit code by SMS to the household's phone (decrypted here,
 * never shown: the answer has it masked) through outbound_sms_direct(); an
 * earlier pending code of the contact is superseded. The code is valid
 * CONFIRM_CODE_TTL_US. ZL_E_CONFIRM_NO_PHONE when the household has no
 * mobile number, ZL_E_CONFIRM_THROTTLED within a minute of the last send or
 * after CONFIRM_SENDS_PER_DAY sends in 24 hours, ZL_E_PII_KEY without the
 * personal-data key. in: {household_id?, member_name?}. code_out (may be
 * NULL; 7 bytes) gets the code: for the demo, which plays the household;
 * the HTTP handler never passes it on.
 */
int confirm_code_send(struct ctx *c, int64_t contact_id, const json_t *in, json_t **out, char *code_out);

/*
 * Checks a code typed back ({code: "123456"}) against the contact's latest
 * code. A right code confirms the contact. ZL_E_CONFIRM_NO_CODE when none
 * was sent (or a newer one replaced it), ZL_E_CONFIRM_CODE_EXPIRED after 10
 * minutes, ZL_E_CONFIRM_TOO_MANY once CONFIRM_CODE_TRIES wrong codes were
 * typed (the code is locked; send a new one), ZL_E_CONFIRM_CODE_WRONG for a
 * wrong one (the detail says how many tries are left).
 * A wrong code is counted and audited in the caller's transaction: the
 * caller must commit it also when this returns ZL_E_CONFIRM_CODE_WRONG or
 * ZL_E_CONFIRM_TOO_MANY (confirm_persists() says so).
 */
int confirm_code_check(struct ctx *c, int64_t contact_id, const json_t *in, json_t **out);

/* 1 if a confirm_code_check() result carries a write to commit. */
int confirm_persists(int rc);

/* The code's keyed hash (pii_hash_bytes over the row id and the code):
 * what the table keeps instead of the code. out: PII_HASH_HEX bytes. */
void confirm_code_hash(int64_t row_id, const char *code, char out[65]);

/* 1 if s is exactly six ASCII digits. */
int confirm_code_valid(const char *s);

/* GET /api/v1/contacts/{id}/confirmation, POST .../confirmation/signature
 * (a raw PNG body; ?household_id=&member_name=), GET
 * .../confirmation/signature, POST .../confirmation/code (send) and POST
 * .../confirmation/code/check. */
extern const struct route_table confirm_routes;

#endif
