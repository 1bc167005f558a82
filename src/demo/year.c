/*
 * year.c: a year of work in the demo town, 2026-01-05 .. 2026-11-20 (fixed,
 * so the demo's shape never depends on the real date): each cadre's contacts
 * with the households they look after (mostly home visits; fewer around the
 * Spring Festival, more in spring ploughing, the harvests and before
 * National Day; monthly for 低保户/特困供养/独居老人, quarterly for the rest;
 * 白沙村 and 长岭村 behind) and the appeals of the year through their
 * workflow (新圩村 and 塘尾村 slower and less satisfied). Everything is
 * planned first, then replayed in time order through the services with the
 * clock set to each moment, so times, deadlines and audit rows agree.
 */
#include <jansson.h>

#include "year.h"
#include "appeals/appeals.h"
#include "contacts/contacts.h"
#include "platform/clock.h"
#include "platform/db.h"

#define MIN_US (60 * USEC_PER_SEC)
#define HOUR_US (60 * MIN_US)
#define DAY_US (24 * HOUR_US)

/* Villages behind on contacts and villages doing worse on appeals. */
static const char *const behind[] = { "440881104208", "440881104211" }; /* 白沙村, 长岭村 */
static const char *const worse[] = { "440881104203", "440881104212" };  /* 新圩村, 塘尾村 */

static int64_t day_first, day_last; /* the year's days, inclusive */

static int64_t local_us(int64_t day, int minute)
{
	return day * DAY_US + (int64_t)(minute - ZL_TZ_OFFSET_MIN) * MIN_US;
}

int64_t demo_now_us(void)
{
	return local_us(days_from_civil(2026, 11, 20), 18 * 60);
}

void demo_clock_set(int64_t us)
{
	clock_test_enable();
	clock_test_set(us);
}

static int in_list(const char *code, const char *const *list)
{
	return !strcmp(code, list[0]) || !strcmp(code, list[1]);
}

/* ---- seasons: a weight for each day of the year ---- */

struct season {
	int64_t *prefix; /* prefix[i] = sum of the weights of days before day_first + i */
	int64_t ndays;
};

static unsigned day_weight(int64_t day)
{
	/* Jan .. Dec: the Spring Festival in February, spring ploughing in
	 * March, the early rice harvest in July, the weeks before National Day,
	 * the late rice harvest in November */
	static const unsigned month_w[12] = { 90, 45, 115, 100, 95, 100, 120, 95, 140, 85, 125, 90 };
	int y, m, d, wd = weekday_from_days(day);
	unsigned w;
	civil_from_days(day, &y, &m, &d);
	w = month_w[m - 1];
	if (m == 2 && d >= 12 && d <= 24) /* 2026-02-17 is the Spring Festival */
		w /= 6;
	if (m == 10 && d <= 8) /* the National Day holiday */
		w /= 5;
	if (wd == 0 || wd == 6)
		w = w * 35 / 100;
	return w ? w : 1;
}

static void season_init(struct season *s)
{
	s->ndays = day_last - day_first + 1;
	s->prefix = xcalloc((size_t)s->ndays + 1, sizeof(int64_t));
	for (int64_t i = 0; i < s->ndays; i++)
		s->prefix[i + 1] = s->prefix[i] + day_weight(day_first + i);
}

/* A day in [a, b] (clamped to the year) by the season's weights. */
static int64_t season_pick(const struct season *s, struct rng *r, int64_t a, int64_t b)
{
	int64_t lo, hi, x;
	if (a < day_first)
		a = day_first;
	if (b > day_last)
		b = day_last;
	lo = a - day_first;
	hi = b - day_first + 1;
	x = s->prefix[lo] + rng_below(r, (uint32_t)(s->prefix[hi] - s->prefix[lo]));
	while (hi - lo > 1) { /* the last i in [lo, hi) with prefix[i] <= x */
		int64_t mid = (lo + hi) / 2;
		if (s->prefix[mid] <= x)
			lo = mid;
		else
			hi = mid;
	}
	return day_first + lo;
}

/* ---- what to say ---- */

enum method { M_HOME, M_PHONE, M_WECHAT, M_MEETING, M_RECEPTION, M_N };
static const char *const method_names[M_N] = { "home_visit", "phone", "wechat", "meeting", "reception_day" };
static const unsigned method_share[M_N] = { 52, 20, 14, 7, 7 }; /* percent */

static const struct {
	const char *text;
	int from, to; /* months, inclusive */
	unsigned methods; /* bit mask of enum method; 0: any */
} summaries[] = {
	{ "走访了解家庭近况", 1, 12, 0 },
	{ "了解家庭生产生活情况，无特殊困难", 1, 12, 1u << M_HOME },
	{ "宣传医保缴费政策", 9, 12, 0 },
	{ "提醒缴纳明年城乡居民医保", 10, 12, (1u << M_PHONE) | (1u << M_WECHAT) },
	{ "春节前走访慰问，送上慰问品", 1, 2, 1u << M_HOME },
	{ "了解外出务工人员返乡和再就业情况", 2, 3, 0 },
	{ "了解春耕用水需求", 3, 4, 0 },
	{ "宣传耕地地力保护补贴申领", 3, 5, 0 },
	{ "宣传森林防火，清明祭扫注意用火安全", 3, 4, 0 },
	{ "宣传防汛防台风安全知识，查看房屋安全", 5, 9, 1u << M_HOME },
	{ "台风过后回访，了解受灾情况", 7, 9, (1u << M_HOME) | (1u << M_PHONE) },
	{ "了解早稻收割和销售情况", 7, 8, 0 },
	{ "了解子女就学和助学政策需求", 8, 9, 0 },
	{ "国庆前走访，排查邻里矛盾", 9, 9, 1u << M_HOME },
	{ "了解晚稻收割情况", 10, 11, 0 },
	{ "宣传城乡居民养老保险政策", 1, 12, 0 },
	{ "看望老人，检查用电用气安全", 1, 12, 1u << M_HOME },
	{ "电话回访，了解近况", 1, 12, 1u << M_PHONE },
	{ "微信联系，转发村务公开通知", 1, 12, 1u << M_WECHAT },
	{ "参加村民小组会，通报村务和惠民政策", 1, 12, 1u << M_MEETING },
	{ "驻点日来访，咨询政策办理事项", 1, 12, 1u << M_RECEPTION },
	{ "驻点日来访，反映村道破损问题", 1, 12, 1u << M_RECEPTION },
};

static int pick_summary(struct rng *r, int month, enum method m)
{
	int fit[ARRAY_SIZE(summaries)], n = 0;
	for (size_t i = 0; i < ARRAY_SIZE(summaries); i++)
		if (month >= summaries[i].from && month <= summaries[i].to &&
		    (!summaries[i].methods || (summaries[i].methods & (1u << m))))
			fit[n++] = (int)i;
	return fit[rng_below(r, (uint32_t)n)]; /* the first is always there */
}

static enum method pick_method(struct rng *r)
{
	return (enum method)rng_weighted(r, method_share, M_N, sizeof(method_share[0]));
}

/* ---- the plan: everything that happens, then sorted by time ---- */

struct hh {
	int64_t id, cadre;
	int v, monthly;
};

enum ev_kind { EV_CONTACT, EV_APPEAL };
struct ev {
	int64_t t;     /* when it is recorded */
	uint32_t seq;  /* plan order: ties and an appeal's steps stay in order */
	uint8_t kind;
	uint8_t method, summary, step;
	int32_t idx;   /* household (contact) or appeal */
	int64_t start; /* contact: started_at */
	int16_t minutes;
	int32_t more[2]; /* meeting: other households (-1 none) */
};

struct plan {
	struct ev *ev;
	size_t n, alloc;
};

static struct ev *ev_add(struct plan *p, int64_t t, enum ev_kind kind, int32_t idx)
{
	struct ev *e;
	if (p->n == p->alloc) {
		p->alloc = p->alloc ? p->alloc * 2 : 4096;
		p->ev = xrealloc(p->ev, p->alloc * sizeof(*p->ev));
	}
	e = &p->ev[p->n];
	memset(e, 0, sizeof(*e));
	e->t = t;
	e->seq = (uint32_t)p->n++;
	e->kind = (uint8_t)kind;
	e->idx = idx;
	e->more[0] = e->more[1] = -1;
	return e;
}

static int ev_cmp(const void *a, const void *b)
{
	const struct ev *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* One contact of household h on a day of [a, b] by the seasons. */
static void plan_contact(struct plan *p, struct rng *r, const struct season *s, const struct hh *hs, size_t nh,
			 size_t h, int64_t a, int64_t b)
{
	static const int16_t dur_lo[M_N] = { 20, 5, 5, 60, 10 }, dur_hi[M_N] = { 60, 15, 10, 120, 30 };
	enum method m = pick_method(r);
	int64_t day = season_pick(s, r, a, b);
	int y, mo, d, minute;
	struct ev *e;
	civil_from_days(day, &y, &mo, &d);
	if (m == M_PHONE || m == M_WECHAT)
		minute = 8 * 60 + 30 + (int)rng_below(r, 12 * 60);
	else
		minute = (rng_chance(r, 550) ? 8 * 60 + 40 : 14 * 60 + 40) + (int)rng_below(r, 150);
	e = ev_add(p, 0, EV_CONTACT, (int32_t)h);
	e->method = (uint8_t)m;
	e->minutes = (int16_t)(dur_lo[m] + (int)rng_below(r, (uint32_t)(dur_hi[m] - dur_lo[m] + 1)));
	e->summary = (uint8_t)pick_summary(r, mo, m);
	e->start = local_us(day, minute);
	/* recorded on the phone a few minutes after it ended */
	e->t = e->start + e->minutes * MIN_US + (int64_t)(2 + rng_below(r, 25)) * MIN_US;
	if (m == M_MEETING) /* a group meeting: the next households of the same cadre */
		for (size_t j = h + 1, k = 0; j < nh && k < 2 && j < h + 40; j++)
			if (hs[j].cadre == hs[h].cadre && rng_chance(r, 500))
				e->more[k++] = (int32_t)j;
}

static void plan_contacts(struct plan *p, struct rng *r, const struct season *s, const struct hh *hs, size_t nh,
			  const char *const *codes)
{
	for (size_t h = 0; h < nh; h++) {
		int late = in_list(codes[hs[h].v], behind);
		if (hs[h].monthly) {
			for (int m = 1; m <= 11; m++) {
				int64_t a = days_from_civil(2026, m, 1), b = days_from_civil(2026, m + 1, 1) - 1;
				if (rng_chance(r, late ? 620 : 965))
					plan_contact(p, r, s, hs, nh, h, a, b);
			}
		} else {
			/* the fourth quarter is under way: some are still to come */
			static const unsigned keep[4] = { 940, 930, 935, 800 }, keep_late[4] = { 560, 520, 560, 420 };
			for (int q = 0; q < 4; q++) {
				int64_t a = days_from_civil(2026, 3 * q + 1, 1), b = days_from_civil(2026, 3 * q + 4, 1) - 1;
				if (rng_chance(r, late ? keep_late[q] : keep[q]))
					plan_contact(p, r, s, hs, nh, h, a, b);
			}
		}
		for (int k = late ? 0 : (int)rng_below(r, 2); k > 0; k--) /* extra visits when there is cause */
			plan_contact(p, r, s, hs, nh, h, day_first, day_last);
	}
}

/* ---- appeals ---- */

static const struct {
	const char *title, *description, *resolution;
	int category; /* appeal_category id (migrations/0007) */
	unsigned weight;
} topics[] = {
	{ "村道路面破损", "村道多处坑洼，雨天积水，电动车容易摔倒，希望尽快修补。", "已组织施工队修补坑洼路面，恢复通行。", 1, 12 },
	{ "路灯不亮", "村口到小学的路灯坏了两盏，晚上接孩子很不安全。", "已联系供电所更换灯具，路灯恢复照明。", 1, 6 },
	{ "桥头护栏缺失", "桥头护栏被车撞坏，一直没有修，存在安全隐患。", "已设置警示标志并重新安装护栏。", 1, 4 },
	{ "自来水水压低", "最近一个月自来水水压很低，楼上基本没水。", "已排查管网，更换减压阀后水压恢复正常。", 2, 9 },
	{ "经常停电", "这周停了三次电，冰箱里的东西都坏了。", "供电所已更换老化线路，近期未再停电。", 2, 7 },
	{ "水管爆裂", "巷子里的水管爆裂，水流了一地。", "已关阀抢修，更换爆裂管段。", 2, 4 },
	{ "垃圾清运不及时", "村头垃圾点好几天没人清运，气味很大。", "已督促保洁公司每日清运，并增加一个垃圾桶。", 3, 10 },
	{ "水沟堵塞发臭", "屋后排水沟堵塞，污水漫出来，蚊子很多。", "已组织清淤疏通排水沟。", 3, 6 },
	{ "养殖场异味", "附近养猪场气味太大，影响日常生活。", "已会同环保部门检查，督促养殖场整改粪污处理。", 3, 3 },
	{ "低保申请咨询", "家里老人生病花费大，想了解能不能申请低保。", "已上门讲解政策并协助提交申请材料。", 4, 5 },
	{ "养老金未到账", "这个月的养老金还没有到账，想问一下原因。", "已核实为银行卡信息变更，协助更新后已补发。", 4, 4 },
	{ "求职就业帮扶", "孩子毕业一年还没找到工作，希望推荐就业岗位。", "已推荐镇内企业岗位两个，并登记参加技能培训。", 5, 4 },
	{ "宅基地边界争议", "和邻居对宅基地边界有争议，希望村里帮忙测量。", "已会同自然资源所现场测量，双方认可结果。", 6, 5 },
	{ "承包地被占用", "自家承包地被人堆放建筑材料，协商无果。", "已调解，对方清走材料并赔礼道歉。", 6, 2 },
	{ "邻居噪音扰民", "邻居家晚上打牌到很晚，吵得老人睡不着。", "已上门调解，邻居承诺晚上十点后不再打扰。", 7, 4 },
	{ "排水纠纷", "邻居家排水流到我家院子，多次沟通没有结果。", "已调解，双方共同出资修建排水沟。", 7, 4 },
	{ "夜间有人偷摘果子", "果园晚上经常被人偷摘，希望加强巡逻。", "已安排治保会夜间巡逻，并加装监控。", 8, 4 },
	{ "村卫生站缺药", "卫生站常用的降压药经常缺货。", "已联系卫生院调配药品，保障常用药供应。", 9, 3 },
	{ "校车接送问题", "村里孩子上学路远，希望开通校车。", "已协调教育部门调整校车路线，增加一个停靠点。", 9, 2 },
	{ "村务公开不及时", "村里的补贴发放名单没有公示。", "已督促村委会在公开栏和微信群公示名单。", 10, 3 },
	{ "其他咨询", "想了解办理老人优待证需要什么材料。", "已告知所需材料并协助在线办理。", 11, 1 },
};

enum step { S_CREATE, S_REJECT, S_ACCEPT, S_ASSIGN, S_START, S_WAIT, S_RESUME, S_RESOLVE, S_FEEDBACK,
	    S_CLOSE, S_ESCALATE, S_RESTART, S_RESOLVE2, S_FEEDBACK2 };

struct appeal_plan {
	int v, topic, channel; /* channel: 0 cadre, 1 phone, 2 portal */
	int32_t hh;            /* household index or -1 */
	int64_t assignee, id;
	uint8_t sat, sat2;     /* 0 satisfied, 1 basically, 2 dissatisfied */
	char urgency[12];
};

static int64_t work_add(const struct sla_calendar *cal, int64_t t, int64_t minutes)
{
	int64_t out = t;
	sla_add_span(cal, t, minutes * MIN_US, 1, &out);
	return out;
}

static int pick_topic(struct rng *r)
{
	return (int)rng_weighted(r, &topics[0].weight, ARRAY_SIZE(topics), sizeof(topics[0]));
}

/* The steps of one appeal as events; steps after the demo's now never
 * happen, which leaves the recent appeals open somewhere along the way. */
static void plan_appeal(struct plan *p, struct rng *r, const struct sla_calendar *cal, struct db *db,
			struct appeal_plan *a, int32_t ai, int64_t t0, int bad)
{
	struct appeal_limits lim;
	int64_t t, due, span, end;
	unsigned frac;
	if (category_limits(db, topics[a->topic].category, a->urgency, &lim))
		return;
	ev_add(p, t0, EV_APPEAL, ai)->step = S_CREATE;
	if (rng_chance(r, 40)) { /* outside the town's remit */
		ev_add(p, work_add(cal, t0, 30 + rng_below(r, 60)), EV_APPEAL, ai)->step = S_REJECT;
		return;
	}
	span = sla_unit_span(cal, lim.accept_amount, lim.accept_unit) / MIN_US;
	t = work_add(cal, t0, span * (bad ? 40 + rng_below(r, 90) : 15 + rng_below(r, 60)) / 100 + 1);
	ev_add(p, t, EV_APPEAL, ai)->step = S_ACCEPT;
	if (sla_add(cal, t, lim.resolve_amount, lim.resolve_unit, &due))
		return;
	t += (5 + rng_below(r, 30)) * MIN_US;
	ev_add(p, t, EV_APPEAL, ai)->step = S_ASSIGN;
	/* done at a share of the time limit: the slow villages often past it */
	span = sla_unit_span(cal, lim.resolve_amount, lim.resolve_unit);
	frac = bad ? 40 + rng_below(r, 90) : 15 + rng_below(r, 65);
	if (sla_add_span(cal, t, span / 100 * frac, sla_unit_working(lim.resolve_unit), &end))
		return;
	t += (end - t) / 100 * (5 + rng_below(r, 20));
	ev_add(p, t, EV_APPEAL, ai)->step = S_START;
	if (rng_chance(r, 60) && end - t > 6 * HOUR_US) { /* waits for the resident's papers: the clock pauses */
		int64_t w = t + (end - t) / 4, back = w + (int64_t)(1 + rng_below(r, 3)) * DAY_US;
		ev_add(p, w, EV_APPEAL, ai)->step = S_WAIT;
		ev_add(p, back, EV_APPEAL, ai)->step = S_RESUME;
		end += back - w;
		due += back - w;
	}
	t = end;
	if (t > due + 2 * HOUR_US) { /* past the limit: the linked leader steps in before it is done */
		int64_t late = (60 + rng_below(r, 600)) * MIN_US;
		ev_add(p, due + (late < (t - due) / 2 ? late : (t - due) / 2), EV_APPEAL, ai)->step = S_ESCALATE;
	}
	ev_add(p, t, EV_APPEAL, ai)->step = S_RESOLVE;
	t += (int64_t)(4 + rng_below(r, 60)) * HOUR_US;
	if (rng_chance(r, 120)) { /* nobody answered the follow-up: closed a week later */
		ev_add(p, t + 6 * DAY_US, EV_APPEAL, ai)->step = S_CLOSE;
		return;
	}
	{
		unsigned x = rng_below(r, 100);
		a->sat = x < (bad ? 45u : 72u) ? 0 : x < (bad ? 72u : 94u) ? 1 : 2;
	}
	ev_add(p, t, EV_APPEAL, ai)->step = S_FEEDBACK;
	if (a->sat != 2)
		return;
	/* dissatisfied: reopened; the cadre goes back and tries again */
	t = work_add(cal, t, 60 + rng_below(r, 600));
	ev_add(p, t, EV_APPEAL, ai)->step = S_RESTART;
	t = work_add(cal, t, (2 + rng_below(r, bad ? 8 : 4)) * 360);
	ev_add(p, t, EV_APPEAL, ai)->step = S_RESOLVE2;
	a->sat2 = rng_chance(r, bad ? 650 : 850) ? (uint8_t)rng_below(r, 2) : 2;
	ev_add(p, t + (int64_t)(6 + rng_below(r, 48)) * HOUR_US, EV_APPEAL, ai)->step = S_FEEDBACK2;
}

static void plan_appeals(struct plan *p, struct rng *r, const struct season *s, struct db *db,
			 const struct sla_calendar *cal, const struct demo_town *tw, const struct hh *hs, size_t nh,
			 struct appeal_plan **out, size_t *nout)
{
	size_t n = 0, alloc = 0, first = 0;
	struct appeal_plan *ap = NULL;
	for (size_t v = 0; v < tw->nvillages; v++) {
		int bad = in_list(tw->codes[v], worse);
		size_t last = first, count;
		while (last < nh && hs[last].v == (int)v)
			last++;
		count = (last - first) / 8 + rng_below(r, 8) + (bad ? 10 : 0);
		for (size_t i = 0; i < count; i++) {
			struct appeal_plan *a;
			int64_t day = season_pick(s, r, day_first, day_last), t0;
			unsigned x = rng_below(r, 100);
			if (n == alloc) {
				alloc = alloc ? alloc * 2 : 256;
				ap = xrealloc(ap, alloc * sizeof(*ap));
			}
			a = &ap[n];
			memset(a, 0, sizeof(*a));
			a->v = (int)v;
			a->topic = pick_topic(r);
			a->channel = x < 55 ? 0 : x < 80 ? 1 : 2;
			a->hh = last > first ? (int32_t)(first + rng_below(r, (uint32_t)(last - first))) : -1;
			if (a->channel == 2 && rng_chance(r, 400))
				a->hh = -1; /* residents on the portal rarely say which household */
			a->assignee = a->hh >= 0 ? hs[a->hh].cadre : tw->cadres[v][rng_below(r, (uint32_t)tw->ncadres[v])];
			x = rng_below(r, 100);
			snprintf(a->urgency, sizeof(a->urgency), "%s", x < 6 ? "urgent" : x < 10 ? "complex" : "general");
			t0 = a->channel == 2 ? local_us(day, 7 * 60 + (int)rng_below(r, 15 * 60))
					     : local_us(day, 8 * 60 + 40 + (int)rng_below(r, 8 * 60));
			plan_appeal(p, r, cal, db, a, (int32_t)n, t0, bad);
			n++;
		}
		first = last;
	}
	*out = ap;
	*nout = n;
}

/* ---- replay ---- */

struct actors {
	struct actor *village; /* per village: a cadre actor with the village's scope */
	struct actor town;     /* a town leader's scope */
};

static void act_as(struct ctx *c, const struct actor *base, int64_t user, enum role role)
{
	c->actor = *base;
	c->actor.user_id = user;
	c->actor.role = role;
	snprintf(c->actor.username, sizeof(c->actor.username), "demo");
}

static int run_contact(struct ctx *c, const struct actors *as, const struct hh *hs, const struct ev *e)
{
	static const char *const places[M_N] = { "农户家中", NULL, NULL, "村委会会议室", "村党群服务中心" };
	char start[ZL_TIME_MAX];
	json_t *in, *hh = json_array(), *out = NULL;
	int status = 0, rc;
	json_array_append_new(hh, json_integer(hs[e->idx].id));
	for (int k = 0; k < 2; k++)
		if (e->more[k] >= 0)
			json_array_append_new(hh, json_integer(hs[e->more[k]].id));
	time_format_local(e->start, start);
	in = json_pack("{s:s,s:s,s:i,s:o,s:s}", "method", method_names[e->method], "started_at", start,
		       "duration_min", (int)e->minutes, "households", hh, "summary", summaries[e->summary].text);
	if (places[e->method])
		json_object_set_new(in, "place", json_string(places[e->method]));
	act_as(c, &as->village[hs[e->idx].v], hs[e->idx].cadre, ROLE_CADRE);
	rc = contact_create(c, in, &out, &status);
	json_decref(in);
	json_decref(out);
	return rc;
}

static int appeal_step(struct ctx *c, int64_t id, json_t *in)
{
	json_t *out = NULL, *allowed = NULL;
	int rc = appeal_action_apply(c, id, in, &out, &allowed);
	json_decref(in);
	json_decref(out);
	json_decref(allowed);
	return rc;
}

static int run_appeal(struct ctx *c, struct rng *r, const struct actors *as, const struct demo_town *tw,
		      struct appeal_plan *a, const struct hh *hs, enum step step)
{
	static const char *const sat_names[] = { "satisfied", "basically_satisfied", "dissatisfied" };
	static const char *const sat_words[] = { "处理得很及时，谢谢", "基本解决了", "问题还没有彻底解决" };
	const struct actor *vb = &as->village[a->v];
	int64_t leader = tw->leaders[a->v];
	if (step == S_CREATE) {
		json_t *in = json_pack("{s:s,s:i,s:s,s:s,s:s,s:s}", "village_code", tw->codes[a->v], "category_id",
				       topics[a->topic].category, "urgency", a->urgency, "title",
				       topics[a->topic].title, "description", topics[a->topic].description, "channel",
				       a->channel == 0 ? "cadre" : a->channel == 1 ? "phone" : "portal");
		json_t *out = NULL;
		int rc;
		if (a->hh >= 0)
			json_object_set_new(in, "household_id", json_integer(hs[a->hh].id));
		if (a->channel != 0) {
			char phone[12];
			gen_mobile(r, phone);
			json_object_set_new(in, "submitter_phone", json_string(phone));
		}
		if (a->channel == 0)
			act_as(c, vb, a->assignee, ROLE_CADRE);
		else if (a->channel == 1)
			act_as(c, &as->town, tw->admin, ROLE_ADMIN);
		else
			act_as(c, &as->town, 0, ROLE_ADMIN); /* the portal acts as the system */
		rc = appeal_create(c, in, &out);
		a->id = out ? json_integer_value(json_object_get(out, "id")) : 0;
		json_decref(in);
		json_decref(out);
		return rc;
	}
	switch (step) {
	case S_REJECT:
		act_as(c, vb, leader, ROLE_LEADER);
		return appeal_step(c, a->id, json_pack("{s:s,s:s}", "action", "reject", "reason",
						       "不属于本镇受理范围，已告知向县有关部门反映"));
	case S_ACCEPT:
		act_as(c, vb, leader, ROLE_LEADER);
		return appeal_step(c, a->id, json_pack("{s:s}", "action", "accept"));
	case S_ASSIGN:
		act_as(c, vb, leader, ROLE_LEADER);
		return appeal_step(c, a->id, json_pack("{s:s,s:I}", "action", "assign", "user_id", (json_int_t)a->assignee));
	case S_START:
	case S_RESTART:
		act_as(c, vb, a->assignee, ROLE_CADRE);
		return appeal_step(c, a->id, json_pack("{s:s}", "action", "start"));
	case S_WAIT:
		act_as(c, vb, a->assignee, ROLE_CADRE);
		return appeal_step(c, a->id, json_pack("{s:s,s:s}", "action", "wait_resident", "reason", "等待村民提供相关材料"));
	case S_RESUME:
		act_as(c, vb, a->assignee, ROLE_CADRE);
		return appeal_step(c, a->id, json_pack("{s:s}", "action", "resume"));
	case S_RESOLVE:
	case S_RESOLVE2:
		act_as(c, vb, a->assignee, ROLE_CADRE);
		return appeal_step(c, a->id, json_pack("{s:s,s:s}", "action", "resolve", "resolution",
						       step == S_RESOLVE ? topics[a->topic].resolution
									 : "再次上门核实，问题已彻底处理"));
	case S_CLOSE:
		act_as(c, vb, a->assignee, ROLE_CADRE);
		return appeal_step(c, a->id, json_pack("{s:s}", "action", "close"));
	case S_ESCALATE:
		act_as(c, vb, leader, ROLE_LEADER);
		return appeal_step(c, a->id, json_pack("{s:s,s:s}", "action", "escalate", "reason", "超过办理时限，提级督办"));
	case S_FEEDBACK:
	case S_FEEDBACK2: {
		int s = step == S_FEEDBACK ? a->sat : a->sat2;
		act_as(c, &as->town, 0, ROLE_ADMIN); /* the resident answers the follow-up */
		return appeal_step(c, a->id, json_pack("{s:s,s:s,s:s}", "action", "feedback", "satisfaction",
						       sat_names[s], "comment", sat_words[s]));
	}
	default:
		return 0;
	}
}

static int load_households(struct db *db, const struct demo_town *tw, struct hh **out, size_t *nout)
{
	struct db_stmt *st = NULL;
	size_t n = 0, alloc = 0;
	struct hh *hs = NULL;
	int rc = db_prepare(db,
			    "SELECT h.id, h.village_code, a.user_id, EXISTS (SELECT 1 FROM household_tag ht JOIN tag t "
			    "ON t.id = ht.tag_id WHERE ht.household_id = h.id AND t.name IN ('低保户', '特困供养', "
			    "'独居老人')) FROM household h JOIN household_assignment a ON a.household_id = h.id "
			    "AND a.end_date IS NULL ORDER BY h.village_code, h.id",
			    &st);
	while (!rc && db_step(st) == 1) {
		const char *v = db_col_text(st, 1);
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 1024;
			hs = xrealloc(hs, alloc * sizeof(*hs));
		}
		hs[n].id = db_col_int(st, 0);
		hs[n].cadre = db_col_int(st, 2);
		hs[n].monthly = (int)db_col_int(st, 3);
		hs[n].v = 0;
		for (size_t i = 0; v && i < tw->nvillages; i++)
			if (!strcmp(v, tw->codes[i]))
				hs[n].v = (int)i;
		n++;
	}
	db_done(st);
	*out = hs;
	*nout = n;
	return rc ? rc : n ? 0 : ZL_E_INTERNAL;
}

int demo_year(struct ctx *c, struct rng *r, const struct demo_town *tw)
{
	struct season s;
	struct plan p = { NULL, 0, 0 };
	struct sla_calendar cal;
	struct actors as;
	struct appeal_plan *ap = NULL;
	struct hh *hs = NULL;
	struct actor saved = c->actor;
	size_t nh = 0, na = 0;
	int64_t now = demo_now_us();
	int rc;

	day_first = days_from_civil(2026, 1, 6);
	day_last = days_from_civil(2026, 11, 20);
	memset(&cal, 0, sizeof(cal));
	as.village = xcalloc(tw->nvillages, sizeof(*as.village));
	{
		char town[ZL_CODE_MAX];
		snprintf(town, sizeof(town), "%.9s000", tw->codes[0]);
		rc = scope_load(c->db, &as.town, town);
	}
	for (size_t v = 0; !rc && v < tw->nvillages; v++)
		rc = scope_load(c->db, &as.village[v], tw->codes[v]);
	if (!rc)
		rc = load_households(c->db, tw, &hs, &nh);
	if (!rc)
		rc = appeal_calendar_load(c->db, &cal);
	if (rc)
		goto out;
	season_init(&s);
	plan_contacts(&p, r, &s, hs, nh, tw->codes);
	plan_appeals(&p, r, &s, c->db, &cal, tw, hs, nh, &ap, &na);
	qsort(p.ev, p.n, sizeof(*p.ev), ev_cmp);
	for (size_t i = 0; i < p.n && !rc && p.ev[i].t <= now; i++) {
		const struct ev *e = &p.ev[i];
		demo_clock_set(e->t);
		if (e->kind == EV_CONTACT)
			rc = run_contact(c, &as, hs, e);
		else if (ap[e->idx].id || e->step == S_CREATE)
			rc = run_appeal(c, r, &as, tw, &ap[e->idx], hs, (enum step)e->step);
	}
	free(s.prefix);
out:
	demo_clock_set(now);
	c->actor = saved;
	appeal_calendar_release(&cal);
	free(p.ev);
	free(ap);
	free(hs);
	free(as.village);
	return rc;
}
