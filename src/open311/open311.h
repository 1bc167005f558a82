/*
 * open311.h: Open311 GeoReport v2 under /open311/v2/ (discovery, services,
 * service definitions, requests, tokens; JSON and XML) and the API keys that
 * outside clients use to post requests (/api/v1/apikeys, `zhilian apikey`).
 */
#ifndef ZL_OPEN311_H
#define ZL_OPEN311_H

#include <jansson.h>

#include "platform/http.h"

/* ---- API keys (apikeys.c) ---- */

/* Creates a key {name (1-64), rate_per_minute? (1-10000, default 60)}. *out
 * is {id, name, prefix, rate_per_minute, created_at, key}: the only time the
 * whole key is shown. Audited (the key itself never). Runs in the caller's
 * transaction. */
int apikey_create(struct ctx *c, const json_t *in, json_t **out);
/* Every key, newest first: {id, name, prefix, created_by, created_at,
 * revoked_at, last_used_at, rate_per_minute}. */
int apikey_list(struct ctx *c, json_t **items);
/* Revokes a key; ZL_E_NOT_FOUND if unknown, ZL_E_CONFLICT if already revoked. */
int apikey_revoke(struct ctx *c, int64_t id);
/*
 * Checks a key given by a client: 0 with *id and *rate set (last_used_at
 * is stamped), ZL_E_FORBIDDEN for a missing, unknown or revoked key. Runs in
 * the caller's transaction.
 */
int apikey_check(struct ctx *c, const char *key, int64_t *id, int64_t *rate);
/* The per-key rate limit (in memory, on the program's clock, one-minute
 * windows): 0 if one more request is allowed, ZL_E_RATE_LIMITED otherwise. */
int apikey_rate_take(int64_t id, int64_t per_minute);

/* `zhilian apikey add NAME [--rate N] | list | revoke ID [--db FILE]`. */
int apikey_cli(int argc, char **argv);

/* /open311/v2/... (public) and /api/v1/apikeys (apikey.read/apikey.write). */
extern const struct route_table open311_routes;

#endif
