/*
 * metrics.h: request counters, the latency histogram, database time and
 * open connections, rendered as Prometheus text for GET /metrics.
 */
#ifndef ZL_METRICS_H
#define ZL_METRICS_H

#include "util.h"

/* Records one finished request (route is the matched pattern). Thread-safe. */
void metrics_request(const char *method, const char *route, int status, int64_t duration_us);
/* +1 when a connection opens, -1 when it closes. */
void metrics_connection(int delta);
/* Appends the Prometheus text exposition to out. */
void metrics_render(struct buf *out);

#endif
