/*
 * year_meetings.c: a year of analysis meetings (分析研判) in the demo town.
 * For each village, about every two weeks: residents raise a few issues on
 * the station day (reception-day contacts by the village's cadres), then
 * the team led by the linked town leader meets, decides each item of the
 * drawn agenda and finalises the minutes. Issues sent up become appeals
 * that the workflow then takes to a confirmed solution.
 */
#include <jansson.h>

#include "year_meetings.h"
#include "appeals/appeals.h"
#include "contacts/contacts.h"
#include "contacts/meetings.h"
#include "platform/clock.h"
#include "platform/db.h"

#define MIN_US (60 * USEC_PER_SEC)
#define HOUR_US (60 * MIN_US)
#define DAY_US (24 * HOUR_US)

static const struct {
	const char *text;
	int category; /* appeal_category id (migrations/0007) */
} raised[] = {
	{ "反映村道有坑洼，雨天积水", 1 },      { "反映巷口路灯坏了两盏", 1 },
	{ "反映自来水水压低，楼上没水", 2 },    { "反映近期经常停电", 2 },
	{ "反映垃圾点清运不及时", 3 },          { "反映屋后水沟堵塞发臭", 3 },
	{ "咨询低保申请条件", 4 },              { "咨询城乡居民医保缴费", 4 },
	{ "希望推荐就近就业岗位", 5 },          { "与邻居宅基地边界有争议", 6 },
	{ "邻居晚上打牌吵闹，影响老人休息", 7 }, { "希望加强夜间巡逻", 8 },
	{ "村卫生站常用药缺货", 9 },            { "补贴发放名单没有公示", 10 },
};

static const char *const close_reasons[] = {
	"当场解释政策，群众表示理解",
	"群众已自行解决，无需再办",
	"与上次反映的问题重复，已合并跟进",
};

static const char *const solve_notes[] = {
	"由村委会组织处理，下次研判会反馈",
	"驻点干部跟进，办结后回访",
	"协调村民小组长现场处理",
};

static int64_t local_us(int64_t day, int minute)
{
	return day * DAY_US + (int64_t)(minute - ZL_TZ_OFFSET_MIN) * MIN_US;
}

static void act_as(struct ctx *c, const struct actor *base, int64_t user, enum role role)
{
	c->actor = *base;
	c->actor.user_id = user;
	c->actor.role = role;
	snprintf(c->actor.username, sizeof(c->actor.username), "demo");
}

static int raised_category(const char *text)
{
	for (size_t i = 0; i < ARRAY_SIZE(raised); i++)
		if (!strcmp(raised[i].text, text))
			return raised[i].category;
	return 11; /* 其他 */
}

/* Residents raise one to three issues on the station day before the meeting. */
static int raise_issues(struct ctx *c, struct rng *r, const struct actor *vb, const struct demo_town *tw,
			size_t v, int64_t day)
{
	int64_t start = local_us(day, 9 * 60 + (int)rng_below(r, 120));
	json_t *issues = json_array(), *in, *out = NULL;
	char when[ZL_TIME_MAX];
	int n = 1 + (int)rng_below(r, 3), status = 0, rc;
	for (int i = 0; i < n; i++)
		json_array_append_new(issues, json_string(raised[rng_below(r, ARRAY_SIZE(raised))].text));
	time_format_local(start, when);
	in = json_pack("{s:s,s:s,s:i,s:s,s:s,s:s,s:o}", "method", "reception_day", "started_at", when, "duration_min",
		       20 + (int)rng_below(r, 30), "village_code", tw->codes[v], "place", "村党群服务中心", "summary",
		       "驻点日接待来访群众，记录反映的问题", "issues", issues);
	demo_clock_set(start + 50 * MIN_US);
	act_as(c, vb, tw->cadres[v][rng_below(r, (uint32_t)tw->ncadres[v])], ROLE_CADRE);
	rc = contact_create(c, in, &out, &status);
	json_decref(in);
	json_decref(out);
	return rc;
}

static int step(struct ctx *c, int64_t id, int64_t at, json_t *in)
{
	json_t *out = NULL, *allowed = NULL;
	int rc = 0;
	if (at <= demo_now_us()) {
		demo_clock_set(at);
		rc = appeal_action_apply(c, id, in, &out, &allowed);
	}
	json_decref(in);
	json_decref(out);
	json_decref(allowed);
	return rc;
}

int demo_follow_appeal(struct ctx *c, struct rng *r, const struct actor *vb, const struct actor *town,
			 int64_t leader, int64_t cadre, int64_t id, int64_t t)
{
	int rc;
	t += (int64_t)(1 + rng_below(r, 20)) * HOUR_US;
	act_as(c, vb, leader, ROLE_LEADER);
	if ((rc = step(c, id, t, json_pack("{s:s}", "action", "accept"))) ||
	    (rc = step(c, id, t + 10 * MIN_US, json_pack("{s:s,s:I}", "action", "assign", "user_id", (json_int_t)cadre))))
		return rc;
	t += (int64_t)(1 + rng_below(r, 2)) * DAY_US;
	act_as(c, vb, cadre, ROLE_CADRE);
	if ((rc = step(c, id, t, json_pack("{s:s}", "action", "start"))))
		return rc;
	t += (int64_t)(2 + rng_below(r, 6)) * DAY_US;
	if ((rc = step(c, id, t, json_pack("{s:s,s:s}", "action", "resolve", "resolution", "已按研判会决定办理完毕"))))
		return rc;
	act_as(c, town, 0, ROLE_ADMIN); /* the resident answers the follow-up */
	return step(c, id, t + (int64_t)(6 + rng_below(r, 40)) * HOUR_US,
		    json_pack("{s:s,s:s}", "action", "feedback", "satisfaction",
			      rng_chance(r, 750) ? "satisfied" : "basically_satisfied"));
}

/* Decides one item; *appeal_id gets an appeal the decision sent up. */
static int decide(struct ctx *c, struct rng *r, const struct demo_town *tw, size_t v, int64_t mid,
		  const json_t *it, int64_t held, int64_t *appeal_id, int64_t *owner)
{
	const char *kind = json_string_value(json_object_get(it, "kind"));
	int64_t item = json_integer_value(json_object_get(it, "id")), aid = 0;
	unsigned x = rng_below(r, 100);
	json_t *in, *out = NULL;
	int rc;
	*appeal_id = 0;
	*owner = tw->cadres[v][rng_below(r, (uint32_t)tw->ncadres[v])];
	if (!strcmp(kind, "issue") && x >= 74 && x < 90) {
		in = json_pack("{s:s,s:i,s:s}", "decision", "appeal", "category_id",
			       raised_category(json_string_value(json_object_get(it, "text"))), "urgency", "general");
	} else if (!strcmp(kind, "issue") && x >= 90) {
		in = json_pack("{s:s,s:s}", "decision", "close", "reason", close_reasons[rng_below(r, ARRAY_SIZE(close_reasons))]);
	} else if (!strcmp(kind, "appeal") && x >= 70) {
		in = json_pack("{s:s}", "decision", "appeal");
	} else {
		char due[12];
		int y, m, d;
		civil_from_days((held + 8 * HOUR_US) / DAY_US + 7 + rng_below(r, 14), &y, &m, &d);
		snprintf(due, sizeof(due), "%04d-%02d-%02d", y, m, d);
		in = json_pack("{s:s,s:I,s:s,s:s}", "decision", "solve_village", "owner_user_id", (json_int_t)*owner,
			       "due_date", due, "note", solve_notes[rng_below(r, ARRAY_SIZE(solve_notes))]);
	}
	rc = meeting_item_decide(c, mid, item, in, &out, &aid);
	if (!rc && !strcmp(kind, "issue") && !strcmp(json_string_value(json_object_get(in, "decision")), "appeal")) {
		json_t *items = json_object_get(out, "items"), *e;
		size_t i;
		json_array_foreach(items, i, e)
			if (json_integer_value(json_object_get(e, "id")) == item)
				*appeal_id = json_integer_value(json_object_get(e, "result_appeal_id"));
	}
	json_decref(in);
	json_decref(out);
	return rc;
}

static int hold_meeting(struct ctx *c, struct rng *r, const struct actor *vb, const struct actor *town,
			const struct demo_town *tw, size_t v, int64_t day)
{
	int64_t held = local_us(day, 15 * 60 + 30), leader = tw->leaders[v], mid;
	json_t *att = json_array(), *in, *m = NULL, *e;
	char when[ZL_TIME_MAX];
	struct { int64_t appeal, cadre; } sent[16];
	size_t i, nsent = 0;
	int rc;
	json_array_append_new(att, json_integer(leader));
	for (int k = 0; k < tw->ncadres[v]; k++)
		if (rng_chance(r, 850))
			json_array_append_new(att, json_integer(tw->cadres[v][k]));
	time_format_local(held, when);
	in = json_pack("{s:s,s:s,s:s,s:o}", "village_code", tw->codes[v], "held_at", when, "place", "村委会会议室",
		       "attendees", att);
	demo_clock_set(held);
	act_as(c, vb, leader, ROLE_LEADER);
	rc = meeting_create(c, in, &m);
	json_decref(in);
	if (rc)
		return rc;
	mid = json_integer_value(json_object_get(m, "id"));
	demo_clock_set(held + 60 * MIN_US);
	json_array_foreach(json_object_get(m, "items"), i, e) {
		int64_t aid = 0, owner = 0;
		act_as(c, vb, leader, ROLE_LEADER);
		if ((rc = decide(c, r, tw, v, mid, e, held, &aid, &owner)))
			break;
		if (aid && nsent < ARRAY_SIZE(sent)) {
			sent[nsent].appeal = aid;
			sent[nsent++].cadre = owner;
		}
	}
	json_decref(m);
	m = NULL;
	/* the minutes of the last fortnight may still be open */
	if (!rc && held + 3 * DAY_US < demo_now_us()) {
		demo_clock_set(held + 90 * MIN_US);
		act_as(c, vb, leader, ROLE_LEADER);
		rc = meeting_finalise(c, mid, &m);
		json_decref(m);
	}
	for (i = 0; !rc && i < nsent; i++)
		rc = demo_follow_appeal(c, r, vb, town, leader, sent[i].cadre, sent[i].appeal, held + 2 * HOUR_US);
	return rc;
}

int demo_meetings(struct ctx *c, struct rng *r, const struct demo_town *tw)
{
	struct actor saved = c->actor, town, vb;
	int64_t now = demo_now_us(), last = (now + 8 * HOUR_US) / DAY_US;
	char code[ZL_CODE_MAX];
	int rc;
	snprintf(code, sizeof(code), "%.9s000", tw->codes[0]);
	rc = scope_load(c->db, &town, code);
	for (size_t v = 0; !rc && v < tw->nvillages; v++) {
		/* the first meeting in the second or third week of January, on a weekday */
		int64_t day = days_from_civil(2026, 1, 12) + (int64_t)(v % 5), prev = days_from_civil(2026, 1, 5);
		if ((rc = scope_load(c->db, &vb, tw->codes[v])))
			break;
		while (!rc && day < last) {
			int64_t station = prev + 1 + rng_below(r, (uint32_t)(day - prev - 1));
			rc = raise_issues(c, r, &vb, tw, v, station);
			if (!rc && rng_chance(r, 400))
				rc = raise_issues(c, r, &vb, tw, v, day);
			if (!rc)
				rc = hold_meeting(c, r, &vb, &town, tw, v, day);
			prev = day;
			day += 13 + rng_below(r, 3);
			while (weekday_from_days(day) == 0 || weekday_from_days(day) == 6)
				day++;
		}
	}
	demo_clock_set(now);
	c->actor = saved;
	return rc;
}
