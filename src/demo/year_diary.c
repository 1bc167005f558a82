/*
 * year_diary.c: the demo town's people's-condition diaries (民情日记), written
 * through diary_create as each cadre on the evening of the day, so that the
 * station logs of the demo villages print with their diary entries.
 */
#include <jansson.h>

#include "year_diary.h"
#include "contacts/diary.h"
#include "platform/clock.h"
#include "platform/db.h"

/* What the cadre noticed after a visit; %s is the household head. */
static const struct note {
	const char *text, *tag;
} after_visit[] = {
	{ "%s家老人腿脚不便，子女在外务工，下次走访带上村医量血压。", "民生" },
	{ "%s反映村道路灯坏了两盏，晚上出行不安全，已拍照，明天报村委。", "安全" },
	{ "%s家今年种的砂糖橘收成不错，但销路愁，想问镇里有没有电商培训。", "产业" },
	{ "%s与邻居因宅基地边界有争执，双方情绪都有些激动，需请村调委会一起调解。", "矛盾" },
	{ "%s说医保缴费流程不清楚，给他讲了手机缴费的步骤，建议村里再开一次讲解会。", "建议" },
	{ "%s家孩子上学的校车时间改了，接送困难，记下来向教育办反映。", "民生" },
	{ "%s提到屋后水渠淤塞，雨季怕倒灌，约了下周和村干部一起去看。", "环境" },
	{ "%s对低保复核有疑问，解释了政策和材料，答应帮他跟进进度。", "政策" },
	{ "%s家的危房改造已经完工，住进去了，老人很高兴，说了好几次谢谢。", "民生" },
	{ "%s建议村里在篮球场边装几张长凳，方便老人晚上乘凉。", "建议" },
};

/* What the cadre wrote on a day without a linked visit. */
static const struct note general[] = {
	{ "今天在村委会值班，来咨询社保和医保的人比较多，说明政策宣传还要再细一些。", "建议" },
	{ "和村两委碰了一下本月的走访情况，留守老人户还有几户没走到，下周补上。", "民生" },
	{ "村里垃圾收运点周边卫生有改善，但河边仍有乱倒现象，需要加强巡查。", "环境" },
	{ "梳理了本月群众反映的问题，道路和饮水占了一半，准备在分析研判会上提出。", "建议" },
	{ "参加村民小组会议，大家对村道硬底化的意见比较集中，记录在案。", "民生" },
	{ "雨后到几个低洼地段看了看，排水基本正常，个别农户门前积水需要清理。", "安全" },
};

/* A town leader's monthly note on a village; %s is the village's name. */
static const char *const leader_notes[] = {
	"到%s驻点，听取村两委汇报，重点了解了产业发展和矛盾纠纷排查情况，要求对反映的问题逐条建立台账。",
	"%s本月走访覆盖情况总体良好，个别驻点干部联系户走访偏少，已提醒按计划补上。",
	"在%s召开座谈会，群众对饮水工程和村道维护意见较多，请相关部门下周到现场查看。",
	"%s的驻点日签到情况有所改善，但接访日来访登记还不够完整，要求规范记录。",
};

static int64_t local_us(int64_t day, int minutes)
{
	return (day * 86400 + (int64_t)minutes * 60 - ZL_TZ_OFFSET_MIN * 60) * USEC_PER_SEC;
}

static void date_text(int64_t day, char out[16])
{
	int y, m, d;
	civil_from_days(day, &y, &m, &d);
	snprintf(out, 16, "%04d-%02d-%02d", y, m, d);
}

/* The author's latest contact at the village on day before the evening:
 * its id, its first household and that household's head; 0 when none. */
static int day_contact(struct ctx *c, int64_t user, const char *village, int64_t day, int64_t *contact,
		       int64_t *household, char head[64])
{
	struct db_stmt *st = NULL;
	char from[ZL_TIME_MAX], to[ZL_TIME_MAX];
	int rc;
	*contact = *household = 0;
	time_format_utc(local_us(day, 0), from);
	time_format_utc(local_us(day, 20 * 60), to);
	rc = db_prepare(c->db,
			"SELECT k.id, h.id, h.head_name FROM contact k JOIN contact_household l ON l.contact_id = k.id"
			" JOIN household h ON h.id = l.household_id WHERE k.author_user_id = ? AND k.village_code = ?"
			" AND k.started_at >= ? AND k.started_at < ? ORDER BY k.started_at DESC, h.id LIMIT 1",
			&st);
	if (rc < 0)
		return rc;
	db_bindv(st, "ittt", user, village, from, to);
	if ((rc = db_step(st)) == 1) {
		*contact = db_col_int(st, 0);
		*household = db_col_int(st, 1);
		snprintf(head, 64, "%s", db_col_text(st, 2));
	}
	db_done(st);
	return rc < 0 ? rc : 0;
}

static int write_entry(struct ctx *c, int64_t at, json_t *in)
{
	json_t *out = NULL;
	int rc;
	demo_clock_set(at);
	rc = diary_create(c, in, &out);
	json_decref(out);
	json_decref(in);
	verr_release(&c->errs);
	return rc;
}

/* One cadre's entry on day at the village (index v). */
static int cadre_entry(struct ctx *c, struct rng *r, const char *village, int64_t user, int64_t day)
{
	int64_t contact, household;
	char head[64] = "", date[16];
	json_t *in;
	int rc = day_contact(c, user, village, day, &contact, &household, head);
	if (rc)
		return rc;
	date_text(day, date);
	if (contact) {
		const struct note *n = &after_visit[rng_below(r, ARRAY_SIZE(after_visit))];
		char *text = xasprintf(n->text, head);
		in = json_pack("{s:s,s:s,s:[s],s:[I],s:[I]}", "date", date, "text", text, "tags", n->tag,
			       "contacts", (json_int_t)contact, "households", (json_int_t)household);
		free(text);
	} else {
		const struct note *n = &general[rng_below(r, ARRAY_SIZE(general))];
		in = json_pack("{s:s,s:s,s:[s],s:s}", "date", date, "text", n->text, "tags", n->tag,
			       "village_code", village);
	}
	return write_entry(c, local_us(day, 20 * 60 + (int)rng_below(r, 100)), in);
}

int demo_diary(struct ctx *c, struct rng *shared, const struct demo_town *tw)
{
	/* a sequence of its own: the diaries stay the same whatever other demo
	 * parts run before them, and they take nothing from the others' */
	struct rng own, *r = &own;
	struct actor saved = c->actor;
	int64_t now = demo_now_us(), last = days_from_civil(2026, 11, 19);
	int64_t start = days_from_civil(2026, 1, 5); /* the stationing starts */
	int rc = 0;

	UNUSED(shared);
	rng_seed(r, 0x6d696e71696e72ULL); /* "minqinr" */
	for (size_t v = 0; !rc && v < tw->nvillages; v++) {
		char *name = NULL;
		if ((rc = scope_load(c->db, &c->actor, tw->codes[v])) ||
		    (rc = db_get_text(c->db, &name, "SELECT name FROM region WHERE code = ?", "t", tw->codes[v])) < 0)
			break;
		rc = 0;
		for (int m = 1; !rc && m <= 11; m++) {
			int64_t first = days_from_civil(2026, m, 1);
			int64_t len = days_from_civil(2026, m + 1, 1) - first;
			/* the cadres: two to four entries a month each */
			for (int k = 0; !rc && k < tw->ncadres[v]; k++) {
				int n = 2 + (int)rng_below(r, 3);
				c->actor.user_id = tw->cadres[v][k];
				c->actor.role = ROLE_CADRE;
				for (int i = 0; !rc && i < n; i++) {
					int64_t day = first + rng_below(r, (uint32_t)len);
					if (day >= start && day <= last)
						rc = cadre_entry(c, r, tw->codes[v], tw->cadres[v][k], day);
				}
			}
			/* the leader linking the village: one note a month, mid-month */
			if (!rc && first + 14 <= last) {
				char date[16], *text = xasprintf(leader_notes[rng_below(r, ARRAY_SIZE(leader_notes))],
								 name ? name : "");
				c->actor.user_id = tw->leaders[v];
				c->actor.role = ROLE_LEADER;
				date_text(first + 14, date);
				rc = write_entry(c, local_us(first + 14, 21 * 60),
						 json_pack("{s:s,s:s,s:[s],s:s}", "date", date, "text", text, "tags",
							   "建议", "village_code", tw->codes[v]));
				free(text);
			}
		}
		free(name);
	}
	demo_clock_set(now);
	c->actor = saved;
	return rc;
}
