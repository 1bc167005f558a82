/*
 * stats.c: contact statistics (联系统计) by period and method, village or
 * cadre. One indexed scan over the contacts of the range, aggregated here so
 * that period bucketing stays portable SQL; distinct households are counted
 * by sorting the (household, group, period) of every row.
 */
#include "contacts/stats.h"

#include "platform/clock.h"
#include "platform/error.h"

static const char *const methods[] = { "home_visit", "phone", "wechat", "meeting",
				       "reception_day", "online", "other" };
static const char *const method_zh[] = { "入户走访", "电话", "微信", "座谈会", "接访日", "网上", "其他" };
static const char *const method_en[] = { "Home visit", "Phone", "WeChat", "Meeting",
					 "Reception day", "Online", "Other" };

/* home_visits: what a household can confirm, so confirmed / home_visits is
 * the share of visits the households vouched for */
enum { F_CONTACTS, F_HOUSEHOLDS, F_CONFIRMED, F_PRESENCE, F_HOME, F_N };
static const char *const fig_names[F_N] = { "contacts", "households", "confirmed", "presence", "home_visits" };

enum by_kind { BY_METHOD, BY_VILLAGE, BY_CADRE };

struct group {
	char *key;
	char *name;
	int64_t *cells; /* nperiods * F_N */
	int64_t tot[F_N];
	int64_t hh_total; /* villages: active households now */
};

/* Groups with a sorted index by key, so rows find theirs in log time. */
struct groups {
	struct group *v;
	size_t n, alloc;
	size_t *order; /* indexes of v sorted by key */
	size_t nperiods;
};

/* A set of uint64 keys (0 is never a key): open addressing, linear probing. */
struct u64set {
	uint64_t *slot;
	size_t cap, n;
};

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* 1 if k was added, 0 if it was there. */
static int u64set_add(struct u64set *s, uint64_t k)
{
	if ((s->n + 1) * 2 > s->cap) {
		struct u64set bigger = { NULL, s->cap ? s->cap * 2 : 1024, 0 };
		bigger.slot = xcalloc(bigger.cap, sizeof(uint64_t));
		for (size_t i = 0; i < s->cap; i++)
			if (s->slot[i])
				u64set_add(&bigger, s->slot[i]);
		free(s->slot);
		*s = bigger;
	}
	size_t i = mix64(k) & (s->cap - 1);
	while (s->slot[i]) {
		if (s->slot[i] == k)
			return 0;
		i = (i + 1) & (s->cap - 1);
	}
	s->slot[i] = k;
	s->n++;
	return 1;
}

static void u64set_release(struct u64set *s)
{
	free(s->slot);
	s->slot = NULL;
	s->cap = s->n = 0;
}

static struct groups *sort_ctx;
static int order_cmp(const void *a, const void *b)
{
	return strcmp(sort_ctx->v[*(const size_t *)a].key, sort_ctx->v[*(const size_t *)b].key);
}

static size_t group_add(struct groups *gs, const char *key, const char *name)
{
	if (gs->n == gs->alloc) {
		gs->alloc = gs->alloc ? gs->alloc * 2 : 16;
		gs->v = xrealloc(gs->v, gs->alloc * sizeof(*gs->v));
		gs->order = xrealloc(gs->order, gs->alloc * sizeof(*gs->order));
	}
	struct group *g = &gs->v[gs->n];
	memset(g, 0, sizeof(*g));
	g->key = xstrdup(key);
	g->name = xstrdup(name ? name : key);
	g->cells = xcalloc(gs->nperiods * F_N + 1, sizeof(int64_t));
	gs->order[gs->n] = gs->n;
	gs->n++;
	sort_ctx = gs;
	qsort(gs->order, gs->n, sizeof(*gs->order), order_cmp);
	return gs->n - 1;
}

/* The group's index, or (size_t)-1. */
static size_t group_find(const struct groups *gs, const char *key)
{
	size_t lo = 0, hi = gs->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int d = strcmp(gs->v[gs->order[mid]].key, key);
		if (!d)
			return gs->order[mid];
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (size_t)-1;
}

static void groups_release(struct groups *gs)
{
	for (size_t i = 0; i < gs->n; i++) {
		free(gs->v[i].key);
		free(gs->v[i].name);
		free(gs->v[i].cells);
	}
	free(gs->v);
	free(gs->order);
	memset(gs, 0, sizeof(*gs));
}

static void ferr(struct ctx *c, const char *field, const char *zh, const char *en)
{
	verr_add(&c->errs, field, zh, en);
}

static int one_of(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, list[i]))
			return (int)i;
	return -1;
}

static int64_t today_local(void)
{
	int64_t s = clock_now() / USEC_PER_SEC + ZL_TZ_OFFSET_MIN * 60;
	return s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
}

/* The calendar start of the period holding day, and the next one's. */
static int64_t period_floor(int week, int64_t day)
{
	int y, m, d;
	if (week)
		return day - (weekday_from_days(day) + 6) % 7;
	civil_from_days(day, &y, &m, &d);
	return days_from_civil(y, m, 1);
}

static int64_t period_next(int week, int64_t start)
{
	int y, m, d;
	if (week)
		return start + 7;
	civil_from_days(start, &y, &m, &d);
	return m == 12 ? days_from_civil(y + 1, 1, 1) : days_from_civil(y, m + 1, 1);
}

static void day_text(int64_t day, char out[16])
{
	int y, m, d;
	civil_from_days(day, &y, &m, &d);
	snprintf(out, 16, "%04d-%02d-%02d", y % 10000, m, d);
}

/* Local day of a stored time "YYYY-MM-DDTHH:MM:SSZ" (fast path), else any
 * RFC 3339 through time_parse. 0 or -1. */
static int stored_local_day(const char *s, int64_t *day)
{
	if (s && strlen(s) == 20 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' && s[19] == 'Z') {
		int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8), hh = atoi(s + 11), mm = atoi(s + 14);
		*day = days_from_civil(y, m, d) + (hh * 60 + mm + ZL_TZ_OFFSET_MIN >= 1440);
		return 0;
	}
	int64_t us;
	if (!s || time_parse(s, &us))
		return -1;
	int64_t sec = us / USEC_PER_SEC + ZL_TZ_OFFSET_MIN * 60;
	*day = sec >= 0 ? sec / 86400 : -((-sec + 86399) / 86400);
	return 0;
}

/* The utc storage form of a local day's midnight. */
static void day_utc(int64_t day, char out[ZL_TIME_MAX])
{
	time_format_utc((day * 86400 - ZL_TZ_OFFSET_MIN * 60) * USEC_PER_SEC, out);
}

static int load_groups(struct ctx *c, enum by_kind by, const char *under_like, struct groups *gs)
{
	struct buf sql = BUF_INIT;
	struct db_stmt *st = NULL;
	int rc;
	if (by == BY_METHOD) {
		for (size_t i = 0; i < ARRAY_SIZE(methods); i++)
			group_add(gs, methods[i], method_zh[i]);
		return 0;
	}
	if (by == BY_VILLAGE) {
		buf_adds(&sql, "SELECT r.code, r.name FROM region r WHERE r.level = 'village'"
			       " AND r.retired_at IS NULL AND +r.path LIKE ?");
		scope_sql(&sql, "r.code");
	} else {
		buf_adds(&sql, "SELECT u.id, u.display_name FROM app_user u WHERE u.role = 'cadre'"
			       " AND u.disabled_at IS NULL AND EXISTS (SELECT 1 FROM region ur"
			       " WHERE ur.code = u.scope_code AND +ur.path LIKE ?)");
		scope_sql(&sql, "u.scope_code");
	}
	rc = db_prepare(c->db, sql.data, &st);
	buf_release(&sql);
	if (rc)
		return rc;
	db_bindv(st, "tt", under_like ? under_like : "/%", c->actor.scope_like);
	while ((rc = db_step(st)) == 1)
		group_add(gs, db_col_text(st, 0), db_col_text(st, 1));
	db_done(st);
	if (rc < 0 || by != BY_VILLAGE)
		return rc < 0 ? rc : 0;
	/* the households of each village, for coverage (reached / households) */
	rc = db_prepare(c->db, "SELECT h.village_code, count(*) FROM household h WHERE h.retired_at IS NULL"
			       " AND h.village_code IN (SELECT zs.code FROM region zs WHERE +zs.path LIKE ?"
			       " AND +zs.path LIKE ?) GROUP BY h.village_code", &st);
	if (rc)
		return rc;
	db_bindv(st, "tt", under_like ? under_like : "/%", c->actor.scope_like);
	while ((rc = db_step(st)) == 1) {
		size_t gi = group_find(gs, db_col_text(st, 0));
		if (gi != (size_t)-1)
			gs->v[gi].hh_total = db_col_int(st, 1);
	}
	db_done(st);
	return rc < 0 ? rc : 0;
}

static json_t *figures(json_t *o, const int64_t *f)
{
	for (int i = 0; i < F_N; i++)
		json_object_set_new(o, fig_names[i], json_integer(f[i]));
	return o;
}

/* Validates q and fills the range; field errors on c. */
static void parse_query(struct ctx *c, const struct contact_stats_query *q, enum by_kind *by,
			int *week, int *method, int64_t *from, int64_t *to)
{
	const char *b = q->by && *q->by ? q->by : "method";
	const char *iv = q->interval && *q->interval ? q->interval : "month";
	static const char *const bys[] = { "method", "village", "cadre" };
	int k = one_of(b, bys, ARRAY_SIZE(bys));
	if (k < 0)
		ferr(c, "by", "“by”应为 method、village 或 cadre", "'by' must be method, village or cadre");
	*by = k < 0 ? BY_METHOD : (enum by_kind)k;
	if (strcmp(iv, "month") && strcmp(iv, "week"))
		ferr(c, "interval", "“interval”应为 month 或 week", "'interval' must be month or week");
	*week = !strcmp(iv, "week");
	*method = -1;
	if (q->method && *q->method && (*method = one_of(q->method, methods, ARRAY_SIZE(methods))) < 0)
		ferr(c, "method", "“method”不是已知的联系方式", "'method' is not a known contact method");

	int64_t today = today_local();
	int64_t end = period_next(*week, period_floor(*week, today));
	int64_t start = end;
	for (int i = 0; i < (*week ? 13 : 12); i++)
		start = period_floor(*week, start - 1);
	int bad_from = q->from && *q->from && date_parse(q->from, &start);
	int bad_to = q->to && *q->to && date_parse(q->to, &end);
	if (bad_from)
		ferr(c, "from", "“from”应为日期，如 2026-03-02", "'from' must be a date like 2026-03-02");
	if (bad_to)
		ferr(c, "to", "“to”应为日期，如 2026-03-02", "'to' must be a date like 2026-03-02");
	if (!bad_from && !bad_to) {
		if (start >= end) {
			ferr(c, "to", "“to”应晚于“from”", "'to' must be after 'from'");
		} else {
			int n = 0;
			for (int64_t p = period_floor(*week, start); p < end && n <= CONTACT_STATS_MAX_PERIODS;
			     p = period_next(*week, p))
				n++;
			if (n > CONTACT_STATS_MAX_PERIODS)
				ferr(c, "from", "时间范围太长：至多 160 个周期", "'from' is too far back: at most 160 periods");
		}
	}
	*from = start;
	*to = end;
}

/* A household reached by a contact of group g in period p. */
struct reach {
	int64_t hh;
	uint32_t g, p;
};

static int reach_cmp(const void *a, const void *b)
{
	const struct reach *x = a, *y = b;
	if (x->hh != y->hh)
		return x->hh < y->hh ? -1 : 1;
	if (x->g != y->g)
		return x->g < y->g ? -1 : 1;
	return (x->p > y->p) - (x->p < y->p);
}

/*
 * Distinct households per cell, group, period and in total, from the
 * (household, group, period) of every contact-household row: sorted, one
 * household's rows are adjacent and within them a group's; periods are
 * told apart with a stamp per period. A sort of the rows costs less than
 * four hash sets of them.
 */
static void count_households(struct reach *r, size_t n, struct groups *gs, int64_t *ptot,
			     int64_t tot[F_N])
{
	size_t np = gs->nperiods, *stamp = xcalloc(np + 1, sizeof(*stamp));
	qsort(r, n, sizeof(*r), reach_cmp);
	for (size_t i = 0, run = 0; i < n; i++) {
		int new_hh = !i || r[i].hh != r[i - 1].hh;
		int new_g = new_hh || r[i].g != r[i - 1].g;
		if (!new_g && r[i].p == r[i - 1].p)
			continue;
		if (new_hh) {
			run++;
			tot[F_HOUSEHOLDS]++;
		}
		if (new_g)
			gs->v[r[i].g].tot[F_HOUSEHOLDS]++;
		gs->v[r[i].g].cells[r[i].p * F_N + F_HOUSEHOLDS]++;
		if (stamp[r[i].p] != run) {
			stamp[r[i].p] = run;
			ptot[r[i].p * F_N + F_HOUSEHOLDS]++;
		}
	}
	free(stamp);
}

int contact_stats(struct ctx *c, const struct contact_stats_query *q, json_t **out)
{
	struct groups gs = { 0 };
	struct u64set contacts = { 0 };
	struct reach *reach = NULL;
	size_t nreach = 0, areach = 0;
	struct buf sql = BUF_INIT;
	struct db_stmt *st = NULL;
	enum by_kind by;
	int week, method, rc = 0;
	int64_t from, to, *pstart = NULL, *pend = NULL, *ptot = NULL, tot[F_N] = { 0 };
	size_t np = 0;
	char *under_like = NULL, from_utc[ZL_TIME_MAX], to_utc[ZL_TIME_MAX];

	*out = NULL;
	parse_query(c, q, &by, &week, &method, &from, &to);
	if (q->village && *q->village) {
		char *path = NULL;
		rc = db_get_text(c->db, &path, "SELECT path FROM region WHERE code = ? AND +path LIKE ?", "tt",
				 q->village, c->actor.scope_like);
		if (rc < 0)
			goto out;
		if (rc == 0 || !path)
			ferr(c, "village", "“village”不是您范围内的区域", "'village' is not a region in your scope");
		else
			under_like = xasprintf("%s%%", path);
		free(path);
		rc = 0;
	}
	if (c->errs.n) {
		rc = ZL_E_VALIDATION;
		goto out;
	}

	for (int64_t p = period_floor(week, from); p < to; p = period_next(week, p))
		np++;
	pstart = xcalloc(np, sizeof(*pstart));
	pend = xcalloc(np, sizeof(*pend));
	ptot = xcalloc(np * F_N, sizeof(*ptot));
	np = 0;
	for (int64_t p = period_floor(week, from); p < to; p = period_next(week, p)) {
		int64_t e = period_next(week, p);
		pstart[np] = p < from ? from : p;
		pend[np++] = e > to ? to : e;
	}
	gs.nperiods = np;
	if ((rc = load_groups(c, by, under_like, &gs)))
		goto out;

	day_utc(from, from_utc);
	day_utc(to, to_utc);
	/*
	 * Scope as a list of region codes rather than scope_sql()'s per-row
	 * EXISTS: the list is read once and the contacts come from the covering
	 * index contact_stats (village_code, started_at, method, author,
	 * confirmation; 0018_stats.sql), so no contact row is read. Same rows
	 * as scope_sql() would give. No order is asked for: a contact's rows
	 * are recognised by its id, whatever order the join gives.
	 */
	buf_adds(&sql, "SELECT k.id, k.started_at, k.method, k.village_code, k.author_user_id,"
		       " k.confirmation, kh.household_id FROM contact k"
		       " LEFT JOIN contact_household kh ON kh.contact_id = k.id"
		       " WHERE k.village_code IN (SELECT zs.code FROM region zs WHERE +zs.path LIKE ?");
	if (under_like)
		buf_adds(&sql, " AND +zs.path LIKE ?");
	buf_adds(&sql, ") AND k.started_at >= ? AND k.started_at < ?");
	if (method >= 0)
		buf_adds(&sql, " AND k.method = ?");
	rc = db_prepare(c->db, sql.data, &st);
	if (rc)
		goto out;
	{
		int i = 1;
		db_bind_text(st, i++, c->actor.scope_like);
		if (under_like)
			db_bind_text(st, i++, under_like);
		db_bind_text(st, i++, from_utc);
		db_bind_text(st, i++, to_utc);
		if (method >= 0)
			db_bind_text(st, i++, methods[method]);
	}

	char key[32];
	int64_t last_id = 0;
	while ((rc = db_step(st)) == 1) {
		int64_t id = db_col_int(st, 0), day;
		size_t gi, pi, lo = 0, hi = np;
		if (stored_local_day(db_col_text(st, 1), &day) || day < from || day >= to)
			continue;
		while (hi - lo > 1) {
			size_t mid = (lo + hi) / 2;
			if (pstart[mid] <= day)
				lo = mid;
			else
				hi = mid;
		}
		pi = lo;
		const char *m = db_col_text(st, 2);
		if (by == BY_METHOD)
			snprintf(key, sizeof(key), "%s", m ? m : "");
		else if (by == BY_VILLAGE)
			snprintf(key, sizeof(key), "%s", db_col_text(st, 3) ? db_col_text(st, 3) : "");
		else
			snprintf(key, sizeof(key), "%" PRId64, db_col_int(st, 4));
		gi = group_find(&gs, key);
		if (gi == (size_t)-1) {
			/* a retired village, an author who is no cadre account */
			char *name = NULL;
			if (by == BY_VILLAGE)
				rc = db_get_text(c->db, &name, "SELECT name FROM region WHERE code = ?", "t", key);
			else if (by == BY_CADRE)
				rc = db_get_text(c->db, &name, "SELECT display_name FROM app_user WHERE id = ?", "t", key);
			if (rc < 0)
				break;
			gi = group_add(&gs, key, name);
			free(name);
		}
		if (id != last_id && u64set_add(&contacts, (uint64_t)id + 1)) {
			const char *conf = db_col_text(st, 5);
			int mk = m ? one_of(m, methods, ARRAY_SIZE(methods)) : -1;
			int64_t add[F_N] = { 1, 0, conf && strcmp(conf, "none") ? 1 : 0, mk == 0 || mk == 3 || mk == 4,
					     mk == 0 };
			int64_t *cell = gs.v[gi].cells + pi * F_N;
			for (int f = 0; f < F_N; f++) {
				cell[f] += add[f];
				gs.v[gi].tot[f] += add[f];
				ptot[pi * F_N + f] += add[f];
				tot[f] += add[f];
			}
		}
		last_id = id;
		if (db_col_isnull(st, 6))
			continue;
		if (nreach == areach) {
			areach = areach ? areach * 2 : 4096;
			reach = xrealloc(reach, areach * sizeof(*reach));
		}
		reach[nreach++] = (struct reach){ db_col_int(st, 6), (uint32_t)gi, (uint32_t)pi };
	}
	db_done(st);
	if (rc < 0)
		goto out;
	rc = 0;
	count_households(reach, nreach, &gs, ptot, tot);

	char d1[16], d2[16];
	json_t *o = json_object(), *periods = json_array(), *groups = json_array(), *items = json_array();
	day_text(from, d1);
	day_text(to, d2);
	json_object_set_new(o, "by", json_string(by == BY_METHOD ? "method" : by == BY_VILLAGE ? "village" : "cadre"));
	json_object_set_new(o, "interval", json_string(week ? "week" : "month"));
	json_object_set_new(o, "from", json_string(d1));
	json_object_set_new(o, "to", json_string(d2));
	json_object_set_new(o, "totals", figures(json_object(), tot));
	for (size_t p = 0; p < np; p++) {
		json_t *e = json_object();
		int y, m, d;
		char label[16];
		day_text(pstart[p], d1);
		day_text(pend[p], d2);
		civil_from_days(pstart[p], &y, &m, &d);
		if (week)
			day_text(period_floor(1, pstart[p]), label);
		else
			snprintf(label, sizeof(label), "%04d-%02d", y % 10000, m);
		json_object_set_new(e, "start", json_string(d1));
		json_object_set_new(e, "end", json_string(d2));
		json_object_set_new(e, "label", json_string(label));
		json_array_append_new(periods, figures(e, ptot + p * F_N));
	}
	for (size_t g = 0; g < gs.n; g++) {
		json_t *e = json_object();
		json_object_set_new(e, "key", json_string(gs.v[g].key));
		json_object_set_new(e, "name", json_string(gs.v[g].name));
		if (by == BY_VILLAGE)
			json_object_set_new(e, "households_total", json_integer(gs.v[g].hh_total));
		if (by == BY_METHOD)
			json_object_set_new(e, "name_en", json_string(method_en[one_of(gs.v[g].key, methods,
										       ARRAY_SIZE(methods))]));
		json_array_append_new(groups, figures(e, gs.v[g].tot));
		for (size_t p = 0; p < np; p++) {
			const int64_t *cell = gs.v[g].cells + p * F_N;
			if (!cell[F_CONTACTS])
				continue;
			json_t *it = json_object();
			day_text(pstart[p], d1);
			json_object_set_new(it, "period", json_string(d1));
			json_object_set_new(it, "group", json_string(gs.v[g].key));
			json_array_append_new(items, figures(it, cell));
		}
	}
	json_object_set_new(o, "periods", periods);
	json_object_set_new(o, "groups", groups);
	json_object_set_new(o, "items", items);
	*out = o;
out:
	free(pstart);
	free(pend);
	free(ptot);
	free(under_like);
	buf_release(&sql);
	free(reach);
	u64set_release(&contacts);
	groups_release(&gs);
	return rc;
}

static int h_stats(struct req *r, struct resp *w)
{
	struct contact_stats_query q = CONTACT_STATS_QUERY_INIT;
	json_t *out = NULL;
	int rc;
	q.by = req_query(r, "by");
	q.interval = req_query(r, "interval");
	q.from = req_query(r, "from");
	q.to = req_query(r, "to");
	q.village = req_query(r, "village");
	q.method = req_query(r, "method");
	if ((rc = contact_stats(&r->ctx, &q, &out)))
		return rc;
	resp_json(w, 200, out);
	return 0;
}

static const struct route routes[] = {
	{ "GET", "/api/v1/contacts/stats", h_stats, "contact.read", 0 },
};

ROUTE_TABLE(contact_stats_routes, "contacts", routes);
