/*
 * open311_int.h: what the files of the Open311 module share: the handlers of
 * /api/v1/apikeys (apikeys.c) that open311.c lists in the one route table,
 * and the time helper both use.
 */
#ifndef ZL_OPEN311_INT_H
#define ZL_OPEN311_INT_H

#include "open311.h"

/* A stored UTC time as local RFC 3339 (+08:00), or null when absent. */
json_t *o311_local_time(const char *utc);

int apikey_h_list(struct req *r, struct resp *w);
int apikey_h_create(struct req *r, struct resp *w);
int apikey_h_revoke(struct req *r, struct resp *w);

#endif
