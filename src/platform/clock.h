/*
 * clock.h: the program's one clock, and time formatting. Every module asks
 * clock_now() for the time; with ZHILIAN_TEST_CLOCK=1 the clock can be set
 * and advanced (POST /api/v1/test/clock) so tests never sleep.
 * Times are microseconds since the Unix epoch, UTC. Stored as RFC 3339 text
 * in UTC ("2026-03-02T01:00:00Z"); shown in Asia/Shanghai (+08:00).
 */
#ifndef ZL_CLOCK_H
#define ZL_CLOCK_H

#include "util.h"

#define USEC_PER_SEC 1000000LL
#define ZL_TZ_OFFSET_MIN (8 * 60) /* Asia/Shanghai has no DST */
#define ZL_TIME_MAX 40            /* buffer size for formatted times */

/* Now, in microseconds since the epoch (UTC). Thread-safe. */
int64_t clock_now(void);
/* Seconds since the epoch. */
int64_t clock_now_sec(void);
/* Monotonic microseconds, for measuring durations only. */
int64_t clock_mono_us(void);

/* Enables the test clock, starting at the real time. */
void clock_test_enable(void);
int clock_test_enabled(void);
/* Sets / advances the test clock; ZL_E_FORBIDDEN if it is not enabled. */
int clock_test_set(int64_t us);
int clock_test_advance(int64_t us);

/* Civil date of a day count since 1970-01-01, and back. */
void civil_from_days(int64_t days, int *y, int *m, int *d);
int64_t days_from_civil(int y, int m, int d);
/* 0 = Sunday .. 6 = Saturday */
int weekday_from_days(int64_t days);

/* "2026-03-02T01:00:00Z": the storage form (UTC, seconds). */
void time_format_utc(int64_t us, char out[ZL_TIME_MAX]);
/* "2026-03-02T09:00:00+08:00": the display form, Asia/Shanghai. */
void time_format_local(int64_t us, char out[ZL_TIME_MAX]);
/* Parses RFC 3339 with "Z" or an offset, optional fraction; 0 or -1. */
int time_parse(const char *s, int64_t *us);
/* Parses "YYYY-MM-DD" as a date; returns the day count. 0 or -1. */
int date_parse(const char *s, int64_t *days);
/* Parses an ISO 8601 duration like "PT26H", "P1DT2H30M", "P2W"; 0 or -1. */
int duration_parse(const char *s, int64_t *us);

#endif
