/*
 * clock.c: the program's one clock (real, or the test clock that tests set
 * and advance), calendar arithmetic and RFC 3339 / ISO 8601 formatting.
 * Calendar conversion is done here rather than with gmtime/localtime so that
 * it is thread-safe and independent of the machine's time zone.
 */
#include "clock.h"
#include "error.h"

static pthread_mutex_t test_lock = PTHREAD_MUTEX_INITIALIZER;
static int test_enabled;
static int64_t test_now;

static int64_t real_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * USEC_PER_SEC + ts.tv_nsec / 1000;
}

int64_t clock_now(void)
{
	int64_t v;
	if (!__atomic_load_n(&test_enabled, __ATOMIC_ACQUIRE))
		return real_now();
	pthread_mutex_lock(&test_lock);
	v = test_now;
	pthread_mutex_unlock(&test_lock);
	return v;
}

int64_t clock_now_sec(void)
{
	int64_t us = clock_now();
	return us >= 0 ? us / USEC_PER_SEC : -((-us + USEC_PER_SEC - 1) / USEC_PER_SEC);
}

int64_t clock_mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * USEC_PER_SEC + ts.tv_nsec / 1000;
}

void clock_test_enable(void)
{
	pthread_mutex_lock(&test_lock);
	if (!test_enabled)
		test_now = real_now();
	__atomic_store_n(&test_enabled, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&test_lock);
}

int clock_test_enabled(void)
{
	return __atomic_load_n(&test_enabled, __ATOMIC_ACQUIRE);
}

int clock_test_set(int64_t us)
{
	if (!clock_test_enabled())
		return ZL_E_FORBIDDEN;
	pthread_mutex_lock(&test_lock);
	test_now = us;
	pthread_mutex_unlock(&test_lock);
	return 0;
}

int clock_test_advance(int64_t us)
{
	if (!clock_test_enabled())
		return ZL_E_FORBIDDEN;
	pthread_mutex_lock(&test_lock);
	test_now += us;
	pthread_mutex_unlock(&test_lock);
	return 0;
}

/* Howard Hinnant's days_from_civil / civil_from_days. */
int64_t days_from_civil(int y, int m, int d)
{
	int64_t yy = y - (m <= 2);
	int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

int weekday_from_days(int64_t z)
{
	return (int)(z >= -4 ? (z + 4) % 7 : (z + 5) % 7 + 6);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static void format(int64_t us, int offset_min, char out[ZL_TIME_MAX])
{
	int64_t s = floor_div(us, USEC_PER_SEC) + (int64_t)offset_min * 60;
	int64_t days = floor_div(s, 86400);
	int64_t sod = s - days * 86400;
	int y, m, d;
	civil_from_days(days, &y, &m, &d);
	if (offset_min == 0)
		snprintf(out, ZL_TIME_MAX, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d,
			 (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60));
	else
		snprintf(out, ZL_TIME_MAX, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", y, m, d,
			 (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60),
			 offset_min < 0 ? '-' : '+', abs(offset_min) / 60, abs(offset_min) % 60);
}

void time_format_utc(int64_t us, char out[ZL_TIME_MAX])
{
	format(us, 0, out);
}

void time_format_local(int64_t us, char out[ZL_TIME_MAX])
{
	format(us, ZL_TZ_OFFSET_MIN, out);
}

static int digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

static int days_in_month(int y, int m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

static int parse_date_part(const char **p, int *y, int *m, int *d)
{
	if (digits(p, 4, y) || **p != '-')
		return -1;
	(*p)++;
	if (digits(p, 2, m) || **p != '-')
		return -1;
	(*p)++;
	if (digits(p, 2, d))
		return -1;
	if (*m < 1 || *m > 12 || *d < 1 || *d > days_in_month(*y, *m))
		return -1;
	return 0;
}

int date_parse(const char *s, int64_t *days)
{
	int y, m, d;
	if (!s || parse_date_part(&s, &y, &m, &d) || *s)
		return -1;
	*days = days_from_civil(y, m, d);
	return 0;
}

int time_parse(const char *s, int64_t *us)
{
	int y, m, d, hh, mm, ss, oh = 0, om = 0, sign = 1;
	int64_t frac = 0;
	if (!s || parse_date_part(&s, &y, &m, &d))
		return -1;
	if (*s != 'T' && *s != 't' && *s != ' ')
		return -1;
	s++;
	if (digits(&s, 2, &hh) || *s++ != ':' || digits(&s, 2, &mm) || *s++ != ':' ||
	    digits(&s, 2, &ss))
		return -1;
	if (hh > 23 || mm > 59 || ss > 60)
		return -1;
	if (*s == '.') {
		int64_t scale = 100000;
		s++;
		if (!isdigit((unsigned char)*s))
			return -1;
		while (isdigit((unsigned char)*s)) {
			frac += (*s - '0') * scale;
			scale /= 10;
			s++;
		}
	}
	if (*s == 'Z' || *s == 'z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		sign = *s == '-' ? -1 : 1;
		s++;
		if (digits(&s, 2, &oh) || *s++ != ':' || digits(&s, 2, &om) || oh > 23 || om > 59)
			return -1;
	} else {
		return -1;
	}
	if (*s)
		return -1;
	if (ss == 60)
		ss = 59;
	*us = ((days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss) -
	       sign * (oh * 3600 + om * 60)) * USEC_PER_SEC + frac;
	return 0;
}

int duration_parse(const char *s, int64_t *us)
{
	int64_t total = 0;
	int in_time = 0, any = 0;
	if (!s || (*s != 'P' && *s != 'p'))
		return -1;
	s++;
	while (*s) {
		int64_t v = 0;
		if (*s == 'T' || *s == 't') {
			if (in_time)
				return -1;
			in_time = 1;
			s++;
			continue;
		}
		if (!isdigit((unsigned char)*s))
			return -1;
		while (isdigit((unsigned char)*s)) {
			v = v * 10 + (*s - '0');
			if (v > 1000000000)
				return -1;
			s++;
		}
		switch (in_time ? (*s | 0x20) : (*s | 0x20) + 'A') {
		case 'w' + 'A': total += v * 7 * 86400; break;
		case 'd' + 'A': total += v * 86400; break;
		case 'h': total += v * 3600; break;
		case 'm': total += v * 60; break;
		case 's': total += v; break;
		default: return -1;
		}
		s++;
		any = 1;
	}
	if (!any)
		return -1;
	*us = total * USEC_PER_SEC;
	return 0;
}
