/*
 * year_reception.c: a year of reception days (接访日) in the demo town: the
 * remote villages marked (they meet every two weeks), the cadres on duty
 * checking in on each station day, the leaders setting the roster on the
 * weeks they are at their other village, walk-in visitors registered as
 * contacts (a quarter of them becoming appeals), and missed station days,
 * more of them in 白沙村 and 长岭村, the villages that are behind.
 */
#include <jansson.h>
#include <string.h>

#include "year_reception.h"
#include "year_meetings.h"
#include "contacts/plans.h"
#include "contacts/reception.h"
#include "org/org.h"
#include "platform/clock.h"
#include "platform/db.h"

#define MIN_US (60 * USEC_PER_SEC)

static const char *const behind[] = { "440881104208", "440881104211" }; /* 白沙村, 长岭村 */

static const char *const raised[] = {
	"反映村道路灯坏了好几盏，晚上出行不便",
	"咨询低保年审需要准备哪些材料",
	"反映邻居建房占用排水沟，下雨积水",
	"咨询新农合缴费和报销比例",
	"反映自来水压力小，早晚经常停水",
	"希望村里组织一次农技培训",
	"咨询子女入学转学的手续",
	"反映村口垃圾收运不及时",
	"咨询宅基地审批的流程",
	"反映田间机耕路被雨水冲坏",
	"咨询高龄津贴的申领办法",
	"反映养殖场气味影响生活",
};

struct vday {
	const char *code;
	int weekday, every_weeks;
	int64_t users[8];
	size_t nusers;
	int64_t *households; /* pairs: household id, its responsible cadre */
	size_t nhouseholds;
};

static int64_t local_us(int64_t day, int minute)
{
	return (day * 1440 + minute - ZL_TZ_OFFSET_MIN) * MIN_US;
}

static void act(struct ctx *c, const struct actor *base, int64_t user, enum role role)
{
	c->actor = *base;
	c->actor.user_id = user;
	c->actor.role = role;
	snprintf(c->actor.username, sizeof(c->actor.username), "demo");
}

static int ids_load(struct db *db, const char *sql, const char *code, int64_t **out, size_t *n, size_t max)
{
	struct db_stmt *st = NULL;
	size_t cap = 0;
	int rc = db_prepare(db, sql, &st);
	*n = 0;
	if (rc < 0)
		return rc;
	db_bind_text(st, 1, code);
	while ((rc = db_step(st)) == 1 && *n < max) {
		if (*n == cap)
			*out = xrealloc(*out, (cap = cap ? cap * 2 : 64) * sizeof(**out));
		(*out)[(*n)++] = db_col_int(st, 0);
	}
	db_done(st);
	return rc < 0 ? rc : 0;
}

/* The village's households with their responsible cadre, as pairs. */
static int pairs_load(struct db *db, const char *code, int64_t **out, size_t *n)
{
	struct db_stmt *st = NULL;
	size_t cap = 0;
	int rc = db_prepare(db, "SELECT h.id, a.user_id FROM household h JOIN household_assignment a ON "
			    "a.household_id = h.id AND a.end_date IS NULL WHERE h.village_code = ? AND "
			    "h.retired_at IS NULL ORDER BY h.id", &st);
	*n = 0;
	if (rc < 0)
		return rc;
	db_bind_text(st, 1, code);
	while ((rc = db_step(st)) == 1) {
		if (*n + 2 > cap)
			*out = xrealloc(*out, (cap = cap ? cap * 2 : 128) * sizeof(**out));
		(*out)[(*n)++] = db_col_int(st, 0);
		(*out)[(*n)++] = db_col_int(st, 1);
	}
	db_done(st);
	return rc < 0 ? rc : 0;
}

/* The remote villages (a team meeting every two weeks) are marked remote,
 * keeping their fixed day, as the town's leader. */
static int mark_remote(struct ctx *c, const struct actor *town, int64_t leader, const char *code)
{
	struct db_stmt *st = NULL;
	json_t *in = NULL, *out = NULL;
	int rc = db_prepare(c->db, "SELECT station_weekday, station_start, station_end, station_place FROM village_team "
			    "WHERE village_code = ? AND kind = 'station' AND station_every_weeks = 2", &st);
	if (rc < 0)
		return rc;
	db_bind_text(st, 1, code);
	if ((rc = db_step(st)) == 1)
		in = json_pack("{s:I,s:i,s:s,s:s,s:s,s:b}", "station_weekday", (json_int_t)db_col_int(st, 0),
			       "station_every_weeks", 2, "station_start", db_col_text(st, 1), "station_end",
			       db_col_text(st, 2), "station_place", db_col_text(st, 3), "remote", 1);
	db_done(st);
	if (rc < 0 || !in)
		return rc < 0 ? rc : 0;
	act(c, town, leader, ROLE_LEADER);
	rc = reception_schedule_put(c, code, in, &out);
	json_decref(in);
	json_decref(out);
	return rc;
}

static int set_roster(struct ctx *c, const struct actor *town, int64_t leader, const struct vday *v,
		      const char *date)
{
	json_t *ids = json_array(), *out = NULL, *in;
	int rc;
	for (size_t i = 0; i < v->nusers; i++)
		if (v->users[i] != leader)
			json_array_append_new(ids, json_integer(v->users[i]));
	in = json_pack("{s:o}", "user_ids", ids);
	act(c, town, leader, ROLE_LEADER);
	rc = reception_roster_put(c, v->code, date, in, &out);
	json_decref(in);
	json_decref(out);
	return rc;
}

static int walk_in(struct ctx *c, struct rng *r, const struct vday *v, const char *date,
		   const int64_t *cats, size_t ncats, int64_t *appeal)
{
	char name[48], phone[12];
	json_t *in, *out = NULL;
	int status = 0, rc;
	gen_name(r, rng_chance(r, 500) ? 'M' : 'F', name, sizeof(name));
	in = json_pack("{s:s,s:s,s:i}", "name", name, "raised", raised[rng_below(r, ARRAY_SIZE(raised))],
		       "duration_min", 10 + (int)rng_below(r, 30));
	if (rng_chance(r, 400)) {
		snprintf(phone, sizeof(phone), "139%08u", (unsigned)rng_below(r, 100000000));
		json_object_set_new(in, "phone", json_string(phone));
	}
	if (v->nhouseholds && rng_chance(r, 500)) {
		/* a household the registering cadre looks after: its contacts are
		 * written by its own cadre, as in the rest of the demo year */
		size_t k = rng_below(r, (uint32_t)(v->nhouseholds / 2)), n = v->nhouseholds / 2;
		for (size_t j = 0; j < n; j++, k = (k + 1) % n)
			if (v->households[2 * k + 1] == c->actor.user_id) {
				json_object_set_new(in, "household_id", json_integer(v->households[2 * k]));
				break;
			}
	}
	if (ncats && rng_chance(r, 250))
		json_object_set_new(in, "appeal", json_pack("{s:I,s:b}", "category_id",
							    (json_int_t)cats[rng_below(r, (uint32_t)ncats)],
							    "public_consent", rng_chance(r, 600)));
	rc = reception_walkin_create(c, v->code, date, in, &out, &status);
	if (!rc && appeal)
		*appeal = json_integer_value(json_object_get(json_object_get(out, "appeal"), "id"));
	json_decref(in);
	json_decref(out);
	return rc;
}

/* One station day: the roster (set when the leader is away), check-ins,
 * walk-ins. */
static int run_day(struct ctx *c, struct rng *r, const struct actor *town, const struct actor *village,
		   int64_t leader, const struct vday *v, size_t vi, int64_t day, const int64_t *cats, size_t ncats)
{
	char date[ORG_DATE_MAX];
	int64_t present[8];
	size_t np = 0;
	int y, m, d, rc = 0, late = !strcmp(v->code, behind[0]) || !strcmp(v->code, behind[1]);
	int leader_away = v->every_weeks == 1 && (day / 7 + (int64_t)vi) % 2;
	civil_from_days(day, &y, &m, &d);
	snprintf(date, sizeof(date), "%04d-%02d-%02d", y, m, d);
	if (leader_away) { /* set on the Monday before */
		demo_clock_set(local_us(day - 2, 17 * 60));
		if ((rc = set_roster(c, town, leader, v, date)))
			return rc;
	}
	if (rng_chance(r, late ? 150 : 12))
		return 0; /* nobody came: a missed station day */
	for (size_t i = 0; i < v->nusers && !rc; i++) {
		int is_leader = v->users[i] == leader;
		json_t *out = NULL;
		if ((is_leader && leader_away) || (np && rng_chance(r, late ? 200 : 50)))
			continue;
		demo_clock_set(local_us(day, 8 * 60 + 35 + (int)rng_below(r, 40)));
		act(c, is_leader ? town : village, v->users[i], is_leader ? ROLE_LEADER : ROLE_CADRE);
		rc = plan_checkin(c, v->code, date, NULL, &out);
		json_decref(out);
		present[np++] = v->users[i];
	}
	for (int k = (int)rng_below(r, late ? 2 : 3); k > 0 && !rc && np; k--) {
		size_t who = rng_below(r, (uint32_t)np);
		demo_clock_set(local_us(day, 9 * 60 + 20 + (int)rng_below(r, 150)));
		act(c, present[who] == leader ? town : village, present[who],
		    present[who] == leader ? ROLE_LEADER : ROLE_CADRE);
		int64_t appeal = 0;
		rc = walk_in(c, r, v, date, cats, ncats, &appeal);
		/* the walk-in's appeal goes through the workflow like any other,
		 * handled by a cadre (the registering one, unless it was the
		 * leader) */
		if (!rc && appeal) {
			int64_t cadre = present[who];
			for (size_t i = 0; cadre == leader && i < v->nusers; i++)
				if (v->users[i] != leader)
					cadre = v->users[i];
			rc = demo_follow_appeal(c, r, village, town, leader, cadre, appeal, clock_now());
		}
	}
	return rc;
}

int demo_reception(struct ctx *c, struct rng *r, const struct demo_town *tw)
{
	struct actor saved = c->actor, town, *vill = xcalloc(tw->nvillages, sizeof(*vill));
	struct vday *v = xcalloc(tw->nvillages, sizeof(*v));
	int64_t *cats = NULL, first = days_from_civil(2026, 1, 5), now = demo_now_us(), ref, last;
	size_t ncats = 0;
	char code[ZL_CODE_MAX];
	int rc;
	snprintf(code, sizeof(code), "%.9s000", tw->codes[0]);
	rc = scope_load(c->db, &town, code);
	if (!rc)
		rc = ids_load(c->db, "SELECT id FROM appeal_category WHERE parent_id IS NULL AND retired_at IS NULL AND "
			      "? IS NOT NULL ORDER BY sort, id", code, &cats, &ncats, 64);
	demo_clock_set(local_us(first, 8 * 60));
	for (size_t i = 0; !rc && i < tw->nvillages; i++) {
		int64_t *u = NULL;
		size_t nu = 0;
		v[i].code = tw->codes[i];
		rc = scope_load(c->db, &vill[i], tw->codes[i]);
		if (!rc)
			rc = mark_remote(c, &town, tw->leaders[i], tw->codes[i]);
		if (!rc)
			rc = db_get_int(c->db, &ref, "SELECT station_weekday FROM village_team WHERE village_code = ? "
					"AND kind = 'station'", "t", tw->codes[i]) == 1 ? 0 : ZL_E_INTERNAL;
		v[i].weekday = (int)ref;
		if (!rc)
			rc = db_get_int(c->db, &ref, "SELECT station_every_weeks FROM village_team WHERE village_code = ? "
					"AND kind = 'station'", "t", tw->codes[i]) == 1 ? 0 : ZL_E_INTERNAL;
		v[i].every_weeks = (int)ref;
		if (!rc)
			rc = ids_load(c->db, "SELECT user_id FROM station_assignment WHERE village_code = ? AND end_date IS NULL "
				      "ORDER BY id", tw->codes[i], &u, &nu, ARRAY_SIZE(v[i].users));
		memcpy(v[i].users, u, nu * sizeof(*u));
		v[i].nusers = nu;
		free(u);
		if (!rc)
			rc = pairs_load(c->db, tw->codes[i], &v[i].households, &v[i].nhouseholds);
	}
	ref = plan_station_reference(c);
	last = days_from_civil(2026, 11, 20);
	for (int64_t day = first; !rc && day < last; day++)
		for (size_t i = 0; !rc && i < tw->nvillages; i++)
			if (plan_is_station_day(v[i].weekday, v[i].every_weeks, ref, day))
				rc = run_day(c, r, &town, &vill[i], tw->leaders[i], &v[i], i, day, cats, ncats);
	demo_clock_set(now);
	c->actor = saved;
	for (size_t i = 0; i < tw->nvillages; i++)
		free(v[i].households);
	free(v);
	free(vill);
	free(cats);
	return rc;
}
