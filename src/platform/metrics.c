/*
 * metrics.c: counters kept in memory under one mutex (requests are counted
 * once each, which is cheap next to the work of a request), rendered in the
 * Prometheus text format.
 */
#include "metrics.h"
#include "db.h"

static const double bounds[] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
				 0.1,   0.25,   0.5,   1.0,  2.5,   5.0 };
#define NB (sizeof(bounds) / sizeof(bounds[0]))

struct series {
	char *method, *route;
	int status;
	uint64_t count;
	struct series *next;
};

struct hist {
	char *route;
	uint64_t buckets[NB + 1];
	uint64_t count;
	double sum;
	struct hist *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct series *series;
static struct hist *hists;
static long open_conns;

void metrics_request(const char *method, const char *route, int status, int64_t duration_us)
{
	struct series *s;
	struct hist *h;
	double secs = (double)duration_us / 1e6;
	size_t b;

	pthread_mutex_lock(&lock);
	for (s = series; s; s = s->next)
		if (s->status == status && strcmp(s->route, route) == 0 && strcmp(s->method, method) == 0)
			break;
	if (!s) {
		s = xcalloc(1, sizeof(*s));
		s->method = xstrdup(method);
		s->route = xstrdup(route);
		s->status = status;
		s->next = series;
		series = s;
	}
	s->count++;
	for (h = hists; h; h = h->next)
		if (strcmp(h->route, route) == 0)
			break;
	if (!h) {
		h = xcalloc(1, sizeof(*h));
		h->route = xstrdup(route);
		h->next = hists;
		hists = h;
	}
	for (b = 0; b < NB && secs > bounds[b]; b++)
		;
	h->buckets[b]++;
	h->count++;
	h->sum += secs;
	pthread_mutex_unlock(&lock);
}

void metrics_connection(int delta)
{
	pthread_mutex_lock(&lock);
	open_conns += delta;
	pthread_mutex_unlock(&lock);
}

void metrics_render(struct buf *out)
{
	pthread_mutex_lock(&lock);
	buf_adds(out, "# HELP zhilian_http_requests_total HTTP requests by route, method and status.\n"
		      "# TYPE zhilian_http_requests_total counter\n");
	for (struct series *s = series; s; s = s->next)
		buf_addf(out, "zhilian_http_requests_total{route=\"%s\",method=\"%s\",status=\"%d\"} %" PRIu64 "\n",
			 s->route, s->method, s->status, s->count);
	buf_adds(out, "# HELP zhilian_http_request_duration_seconds Time to answer a request.\n"
		      "# TYPE zhilian_http_request_duration_seconds histogram\n");
	for (struct hist *h = hists; h; h = h->next) {
		uint64_t cum = 0;
		for (size_t b = 0; b < NB; b++) {
			cum += h->buckets[b];
			buf_addf(out, "zhilian_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %" PRIu64 "\n",
				 h->route, bounds[b], cum);
		}
		cum += h->buckets[NB];
		buf_addf(out, "zhilian_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %" PRIu64 "\n",
			 h->route, cum);
		buf_addf(out, "zhilian_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n", h->route, h->sum);
		buf_addf(out, "zhilian_http_request_duration_seconds_count{route=\"%s\"} %" PRIu64 "\n", h->route,
			 h->count);
	}
	buf_addf(out, "# HELP zhilian_http_open_connections Connections open now.\n"
		      "# TYPE zhilian_http_open_connections gauge\n"
		      "zhilian_http_open_connections %ld\n", open_conns);
	pthread_mutex_unlock(&lock);
	buf_addf(out, "# HELP zhilian_db_time_seconds_total Time spent stepping SQL statements.\n"
		      "# TYPE zhilian_db_time_seconds_total counter\n"
		      "zhilian_db_time_seconds_total %.6f\n", (double)db_total_time_us() / 1e6);
}
