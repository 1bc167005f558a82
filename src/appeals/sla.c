/*
 * sla.c: working-time arithmetic for appeal deadlines. Pure functions over a
 * calendar of business hours and day exceptions (holidays, 调休 workdays);
 * no database, no clock, so the unit tests can pin every case down.
 */
#include "appeals.h"

#include "platform/clock.h"

#define DAY_US (86400LL * USEC_PER_SEC)
#define MIN_US (60LL * USEC_PER_SEC)
#define TZ_US ((int64_t)ZL_TZ_OFFSET_MIN * MIN_US)
#define SEARCH_DAYS 3660 /* ten years without a working minute: give up */

static const char *const unit_names[] = { "working_hours", "working_days", "natural_hours",
					  "natural_days" };

void sla_calendar_default(struct sla_calendar *cal)
{
	memset(cal, 0, sizeof(*cal));
	cal->nperiods = 2;
	cal->period_start[0] = 8 * 60 + 30;
	cal->period_end[0] = 12 * 60;
	cal->period_start[1] = 14 * 60 + 30;
	cal->period_end[1] = 17 * 60 + 30;
}

static int day_cmp(const void *a, const void *b)
{
	int64_t x = ((const struct sla_day *)a)->day, y = ((const struct sla_day *)b)->day;
	return x < y ? -1 : x > y;
}

void sla_days_sort(struct sla_day *days, size_t n)
{
	if (n)
		qsort(days, n, sizeof(*days), day_cmp);
}

int sla_is_workday(const struct sla_calendar *cal, int64_t day)
{
	struct sla_day key = { day, 0 };
	const struct sla_day *hit = NULL;
	int wd;
	if (cal->ndays)
		hit = bsearch(&key, cal->days, cal->ndays, sizeof(key), day_cmp);
	if (hit)
		return hit->workday;
	wd = weekday_from_days(day);
	return wd != 0 && wd != 6;
}

int sla_unit_parse(const char *s)
{
	for (size_t i = 0; s && i < ARRAY_SIZE(unit_names); i++)
		if (!strcmp(s, unit_names[i]))
			return (int)i;
	return -1;
}

const char *sla_unit_name(enum sla_unit u)
{
	return (unsigned)u < ARRAY_SIZE(unit_names) ? unit_names[u] : "natural_hours";
}

int sla_unit_working(enum sla_unit u)
{
	return u == SLA_WORKING_HOURS || u == SLA_WORKING_DAYS;
}

static int64_t business_day_us(const struct sla_calendar *cal)
{
	int64_t t = 0;
	for (int i = 0; i < cal->nperiods; i++)
		t += (int64_t)(cal->period_end[i] - cal->period_start[i]) * MIN_US;
	return t;
}

int64_t sla_unit_span(const struct sla_calendar *cal, int64_t amount, enum sla_unit u)
{
	switch (u) {
	case SLA_WORKING_HOURS:
	case SLA_NATURAL_HOURS:
		return amount * 3600LL * USEC_PER_SEC;
	case SLA_WORKING_DAYS:
		return amount * business_day_us(cal);
	case SLA_NATURAL_DAYS:
		return amount * DAY_US;
	}
	return 0;
}

/* The local civil day holding t, and where that day starts in UTC. */
static int64_t local_day(int64_t t)
{
	int64_t l = t + TZ_US;
	return l >= 0 ? l / DAY_US : -((-l + DAY_US - 1) / DAY_US);
}

static int64_t day_start_us(int64_t day)
{
	return day * DAY_US - TZ_US;
}

int sla_add_span(const struct sla_calendar *cal, int64_t start_us, int64_t span_us, int working,
		 int64_t *due_us)
{
	int64_t left = span_us, t = start_us, day;
	if (span_us < 0)
		return ZL_E_VALIDATION;
	if (!working || span_us == 0) {
		*due_us = start_us + span_us;
		return 0;
	}
	day = local_day(t);
	for (int n = 0; n < SEARCH_DAYS; n++, day++) {
		if (!sla_is_workday(cal, day))
			continue;
		for (int i = 0; i < cal->nperiods; i++) {
			int64_t ps = day_start_us(day) + cal->period_start[i] * MIN_US;
			int64_t pe = day_start_us(day) + cal->period_end[i] * MIN_US;
			int64_t from = t > ps ? t : ps;
			if (from >= pe)
				continue;
			if (left <= pe - from) {
				*due_us = from + left;
				return 0;
			}
			left -= pe - from;
			t = pe;
		}
	}
	return ZL_E_INTERNAL;
}

int sla_add(const struct sla_calendar *cal, int64_t start_us, int64_t amount, enum sla_unit u,
	    int64_t *due_us)
{
	if (amount < 0)
		return ZL_E_VALIDATION;
	return sla_add_span(cal, start_us, sla_unit_span(cal, amount, u), sla_unit_working(u), due_us);
}

int sla_elapsed(const struct sla_calendar *cal, int64_t start_us, int64_t now_us, enum sla_unit u,
		int64_t *elapsed_us)
{
	int64_t total = 0;
	*elapsed_us = 0;
	if (now_us <= start_us)
		return 0;
	if (!sla_unit_working(u)) {
		*elapsed_us = now_us - start_us;
		return 0;
	}
	for (int64_t day = local_day(start_us), last = local_day(now_us); day <= last; day++) {
		if (!sla_is_workday(cal, day))
			continue;
		for (int i = 0; i < cal->nperiods; i++) {
			int64_t ps = day_start_us(day) + cal->period_start[i] * MIN_US;
			int64_t pe = day_start_us(day) + cal->period_end[i] * MIN_US;
			int64_t from = start_us > ps ? start_us : ps, to = now_us < pe ? now_us : pe;
			if (to > from)
				total += to - from;
		}
	}
	*elapsed_us = total;
	return 0;
}
