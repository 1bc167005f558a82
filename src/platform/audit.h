/*
 * audit.h: the append-only, hash-chained audit log. Every change (and every
 * reveal of personal data) appends one row in the same transaction as the
 * change. Each row's hash covers its own fields and the previous row's hash,
 * so editing or deleting any row breaks the chain at that point.
 */
#ifndef ZL_AUDIT_H
#define ZL_AUDIT_H

#include <jansson.h>

#include "ctx.h"

/*
 * Appends a row: time (clock_now), c->actor.user_id, c->addr, action
 * ("user.create"), entity ("user"), entity id (text), before and after
 * (borrowed; NULL stores SQL NULL). Must run inside the caller's write
 * transaction. Returns 0 or a ZL_E_* code.
 */
int audit_log(struct ctx *c, const char *action, const char *entity, const char *entity_id,
	      const json_t *before, const json_t *after);

/* Walks the chain. Returns 0 if intact; ZL_E_INTEGRITY with *bad_id set to
 * the first row whose hash does not match. *checked gets the row count. */
int audit_verify(struct db *db, int64_t *bad_id, int64_t *checked);

#endif
