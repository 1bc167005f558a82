/*
 * meetings.c: the village team's analysis meeting (分析研判): an agenda drawn
 * from the village's open appeals and the contact issues no meeting has
 * decided yet, minutes with one decision per item (solve at village level,
 * send up as an appeal, close with a reason) linked to what each produced,
 * and finalisation that locks the minutes. Also the /api/v1/meetings routes.
 */
#include "contacts/meetings.h"

#include "appeals/appeals.h"
#include "org/org.h"
#include "platform/audit.h"
#include "platform/clock.h"

#define MEETING_TEXT_MAX 100
#define MEETING_ITEM_MAX 500
#define MEETING_ATTENDEES_MAX 50
#define AGENDA_MAX 200

static const char *const decisions[] = { "solve_village", "appeal", "close" };

static void id_text(int64_t id, char out[24])
{
	snprintf(out, 24, "%" PRId64, id);
}

static json_t *id_or_null(struct db_stmt *st, int col)
{
	return db_col_isnull(st, col) ? json_null() : json_integer(db_col_int(st, col));
}

static json_t *text_or_null(struct db_stmt *st, int col)
{
	return db_col_isnull(st, col) ? json_null() : json_string(db_col_text(st, col));
}

/* A meeting in scope. */
struct mt_head {
	int64_t id;
	char village[ZL_CODE_MAX];
	int final;
};

static int head_load(struct ctx *c, int64_t id, struct mt_head *h)
{
	struct buf sql = BUF_INIT;
	struct db_stmt *st = NULL;
	int rc;
	memset(h, 0, sizeof(*h));
	buf_adds(&sql, "SELECT m.village_code, m.state = 'final' FROM meeting m WHERE m.id = ?");
	scope_sql(&sql, "m.village_code");
	if ((rc = db_prepare(c->db, sql.data, &st)) == 0) {
		db_bindv(st, "it", id, c->actor.scope_like);
		if ((rc = db_step(st)) == 1) {
			h->id = id;
			org_col_copy(st, 0, h->village, sizeof(h->village));
			h->final = (int)db_col_int(st, 1);
		}
		db_done(st);
		rc = rc == 1 ? 0 : rc == 0 ? ZL_E_NOT_FOUND : rc;
	}
	buf_release(&sql);
	return rc;
}

/* Leaders and admins (whose scope holds the village) write; a cadre only on
 * the village's team: a current member of either team, the station team's
 * leader, or stationed there. */
static int write_check(struct ctx *c, const char *village)
{
	int64_t one = 0;
	int rc;
	if (c->actor.role >= ROLE_LEADER)
		return 0;
	rc = db_get_int(c->db, &one,
			"SELECT 1 FROM team_member m JOIN village_team v ON v.id = m.team_id WHERE v.village_code = ?"
			" AND m.user_id = ? AND m.end_date IS NULL UNION ALL SELECT 1 FROM village_team WHERE"
			" village_code = ? AND leader_user_id = ? UNION ALL SELECT 1 FROM station_assignment WHERE"
			" village_code = ? AND user_id = ? AND end_date IS NULL",
			"tititi", village, c->actor.user_id, village, c->actor.user_id, village, c->actor.user_id);
	if (rc < 0)
		return rc;
	return rc == 1 ? 0 : ZL_E_MEETING_NOT_ON_TEAM;
}

/* A free item is the leader's: role leader or admin, or the station team's
 * leader. */
static int leader_check(struct ctx *c, const char *village)
{
	int64_t one = 0;
	int rc;
	if (c->actor.role >= ROLE_LEADER)
		return 0;
	rc = db_get_int(c->db, &one, "SELECT 1 FROM village_team WHERE village_code = ? AND kind = 'station'"
				     " AND leader_user_id = ?", "ti", village, c->actor.user_id);
	if (rc < 0)
		return rc;
	return rc == 1 ? 0 : ZL_E_MEETING_LEADER_ONLY;
}

/* For a change: the meeting in scope, still a draft, and the actor on the
 * team. */
static int change_check(struct ctx *c, int64_t id, struct mt_head *h)
{
	int rc = head_load(c, id, h);
	if (rc)
		return rc;
	if (h->final)
		return ZL_E_MEETING_FINAL;
	return write_check(c, h->village);
}

static int village_ok(struct ctx *c, const char *code)
{
	int64_t one = 0;
	if (!code || scope_contains(c, code) != 1)
		return 0;
	return db_get_int(c->db, &one, "SELECT 1 FROM region WHERE code = ? AND level = 'village' AND retired_at IS NULL",
			  "t", code) == 1;
}

/* ---- the agenda ---- */

/* Draws the agenda of village at held (storage form): appends item JSON to
 * items, or inserts the rows when meeting_id is set. */
static int agenda_draw(struct ctx *c, const char *village, const char *held, int64_t meeting_id, json_t *items)
{
	static const char *const sql[2] = {
		"SELECT 'appeal', a.id, a.title FROM appeal a WHERE a.village_code = ? AND a.created_at <= ?"
		" AND a.state NOT IN ('rejected', 'resolved', 'closed') AND a.merged_into_id IS NULL ORDER BY a.id LIMIT ?",
		"SELECT 'issue', i.id, i.text FROM contact_issue i JOIN contact k ON k.id = i.contact_id"
		" WHERE k.village_code = ? AND k.started_at <= ? AND i.status = 'open' AND NOT EXISTS (SELECT 1"
		" FROM meeting_item mi WHERE mi.contact_issue_id = i.id AND mi.decision IS NOT NULL)"
		" ORDER BY i.id LIMIT ?",
	};
	char now[ZL_TIME_MAX];
	int64_t seq = 0;
	int rc = 0;
	time_format_utc(clock_now(), now);
	for (int k = 0; k < 2 && !rc; k++) {
		struct db_stmt *st = NULL;
		struct {
			int64_t id;
			char *text;
		} rows[AGENDA_MAX];
		size_t n = 0;
		if ((rc = db_prepare(c->db, sql[k], &st)) < 0)
			break;
		db_bindv(st, "tti", village, held, (int64_t)(AGENDA_MAX - seq));
		while (n < AGENDA_MAX && (rc = db_step(st)) == 1) {
			rows[n].id = db_col_int(st, 1);
			rows[n++].text = xstrdup(db_col_text(st, 2));
		}
		db_done(st);
		rc = rc < 0 ? rc : 0;
		for (size_t i = 0; i < n; i++) {
			const char *kind = k == 0 ? "appeal" : "issue";
			seq++;
			if (!rc && meeting_id)
				rc = db_run(c->db,
					    "INSERT INTO meeting_item(meeting_id, seq, kind, appeal_id, contact_issue_id, text,"
					    " created_at, updated_at) VALUES (?, ?, ?, NULLIF(?, 0), NULLIF(?, 0), ?, ?, ?)",
					    "iitiitt" "t", meeting_id, seq, kind, k == 0 ? rows[i].id : 0,
					    k == 1 ? rows[i].id : 0, rows[i].text, now, now);
			else if (!rc)
				json_array_append_new(items, json_pack("{s:I,s:s,s:o,s:o,s:s}", "seq", (json_int_t)seq,
								       "kind", kind, "appeal_id",
								       k == 0 ? json_integer(rows[i].id) : json_null(),
								       "contact_issue_id",
								       k == 1 ? json_integer(rows[i].id) : json_null(),
								       "text", rows[i].text));
			free(rows[i].text);
		}
	}
	return rc;
}

/* held_at as storage form; NULL or "" is now. -1 if it does not parse. */
static int held_parse(const char *s, char out[ZL_TIME_MAX])
{
	int64_t us = clock_now();
	if (s && *s && time_parse(s, &us))
		return -1;
	time_format_utc(us, out);
	return 0;
}

static json_t *village_json(struct ctx *c, const char *code)
{
	char *name = NULL;
	json_t *o;
	db_get_text(c->db, &name, "SELECT name FROM region WHERE code = ?", "t", code);
	o = json_pack("{s:s,s:s?}", "code", code, "name", name);
	free(name);
	return o;
}

int meeting_agenda(struct ctx *c, const char *village, const char *held_at, json_t **out)
{
	char held[ZL_TIME_MAX];
	json_t *items;
	int rc;
	*out = NULL;
	if (!village || !*village) {
		verr_required(c, "village");
		return ZL_E_VALIDATION;
	}
	if (held_parse(held_at, held)) {
		verr_add(&c->errs, "held_at", "“held_at”应为带时区的时间，如 2026-03-02T15:00:00+08:00",
			 "'held_at' must be a time with an offset, like 2026-03-02T15:00:00+08:00");
		return ZL_E_VALIDATION;
	}
	if (!village_ok(c, village))
		return ZL_E_NOT_FOUND;
	items = json_array();
	if ((rc = agenda_draw(c, village, held, 0, items))) {
		json_decref(items);
		return rc;
	}
	*out = json_pack("{s:o,s:o}", "village", village_json(c, village), "items", items);
	return 0;
}

/* ---- reading ---- */

static json_t *user_ref(struct db_stmt *st, int id_col, int name_col)
{
	if (db_col_isnull(st, id_col))
		return json_null();
	return json_pack("{s:I,s:s?}", "id", (json_int_t)db_col_int(st, id_col), "display_name",
			 db_col_text(st, name_col));
}

static json_t *item_row(struct db_stmt *st)
{
	const char *kind = db_col_text(st, 2);
	json_t *source = json_null(), *result = json_null();
	if (!strcmp(kind, "appeal") && !db_col_isnull(st, 17))
		source = json_pack("{s:I,s:s,s:s,s:s}", "id", (json_int_t)db_col_int(st, 3), "receipt_code",
				   db_col_text(st, 17), "state", db_col_text(st, 18), "title", db_col_text(st, 19));
	else if (!strcmp(kind, "issue") && !db_col_isnull(st, 20))
		source = json_pack("{s:I,s:I,s:s,s:o}", "id", (json_int_t)db_col_int(st, 4), "contact_id",
				   (json_int_t)db_col_int(st, 20), "status", db_col_text(st, 21), "appeal_id",
				   id_or_null(st, 22));
	if (!db_col_isnull(st, 23))
		result = json_pack("{s:I,s:s,s:s}", "id", (json_int_t)db_col_int(st, 12), "receipt_code",
				   db_col_text(st, 23), "state", db_col_text(st, 24));
	return json_pack("{s:I,s:I,s:s,s:o,s:o,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "id",
			 (json_int_t)db_col_int(st, 0), "seq", (json_int_t)db_col_int(st, 1), "kind", kind,
			 "appeal_id", id_or_null(st, 3), "contact_issue_id", id_or_null(st, 4), "text",
			 db_col_text(st, 5), "decision", text_or_null(st, 6), "owner", user_ref(st, 7, 8), "due_date",
			 text_or_null(st, 9), "reason", text_or_null(st, 10), "note", text_or_null(st, 11),
			 "result_appeal_id", id_or_null(st, 12), "result_appeal", result, "closed_issue_id",
			 id_or_null(st, 13), "decided_by", user_ref(st, 14, 15), "decided_at",
			 org_time_json(db_col_text(st, 16)), "source", source);
}

static int items_load(struct ctx *c, int64_t id, json_t *items)
{
	struct db_stmt *st = NULL;
	int rc = db_prepare(c->db,
			    "SELECT mi.id, mi.seq, mi.kind, mi.appeal_id, mi.contact_issue_id, mi.text, mi.decision,"
			    " mi.owner_user_id, ou.display_name, mi.due_date, mi.reason, mi.note, mi.result_appeal_id,"
			    " mi.closed_issue_id, mi.decided_by, du.display_name, mi.decided_at, a.receipt_code, a.state,"
			    " a.title, ci.contact_id, ci.status, ci.appeal_id, ra.receipt_code, ra.state"
			    " FROM meeting_item mi LEFT JOIN app_user ou ON ou.id = mi.owner_user_id"
			    " LEFT JOIN app_user du ON du.id = mi.decided_by LEFT JOIN appeal a ON a.id = mi.appeal_id"
			    " LEFT JOIN contact_issue ci ON ci.id = mi.contact_issue_id"
			    " LEFT JOIN appeal ra ON ra.id = mi.result_appeal_id WHERE mi.meeting_id = ? ORDER BY mi.seq",
			    &st);
	if (rc < 0)
		return rc;
	db_bind_int(st, 1, id);
	while ((rc = db_step(st)) == 1)
		json_array_append_new(items, item_row(st));
	db_done(st);
	return rc < 0 ? rc : 0;
}

#define MEETING_COLS                                                                                          \
	"SELECT m.id, m.village_code, rg.name, m.title, m.held_at, m.place, m.state, m.created_by, cu.display_name," \
	" m.finalised_at, m.finalised_by, fu.display_name, m.created_at, m.updated_at,"                          \
	" (SELECT COUNT(*) FROM meeting_item x WHERE x.meeting_id = m.id),"                                      \
	" (SELECT COUNT(*) FROM meeting_item x WHERE x.meeting_id = m.id AND x.decision IS NOT NULL)"             \
	" FROM meeting m JOIN region rg ON rg.code = m.village_code LEFT JOIN app_user cu ON cu.id = m.created_by" \
	" LEFT JOIN app_user fu ON fu.id = m.finalised_by"

static json_t *meeting_row(struct db_stmt *st)
{
	return json_pack("{s:I,s:{s:s,s:s},s:o,s:o,s:o,s:s,s:o,s:o,s:o,s:o,s:o,s:I,s:I}", "id",
			 (json_int_t)db_col_int(st, 0), "village", "code", db_col_text(st, 1), "name",
			 db_col_text(st, 2), "title", text_or_null(st, 3), "held_at", org_time_json(db_col_text(st, 4)),
			 "place", text_or_null(st, 5), "state", db_col_text(st, 6), "created_by", user_ref(st, 7, 8),
			 "finalised_at", org_time_json(db_col_text(st, 9)), "finalised_by", user_ref(st, 10, 11),
			 "created_at", org_time_json(db_col_text(st, 12)), "updated_at",
			 org_time_json(db_col_text(st, 13)), "item_count", (json_int_t)db_col_int(st, 14),
			 "decided_count", (json_int_t)db_col_int(st, 15));
}

int meeting_get(struct ctx *c, int64_t id, json_t **out)
{
	struct buf sql = BUF_INIT;
	struct db_stmt *st = NULL;
	json_t *o = NULL, *people, *items;
	int rc;
	*out = NULL;
	buf_adds(&sql, MEETING_COLS " WHERE m.id = ?");
	scope_sql(&sql, "m.village_code");
	if ((rc = db_prepare(c->db, sql.data, &st)) < 0)
		goto out;
	db_bindv(st, "it", id, c->actor.scope_like);
	if ((rc = db_step(st)) == 1)
		o = meeting_row(st);
	db_done(st);
	if (rc != 1) {
		rc = rc ? rc : ZL_E_NOT_FOUND;
		goto out;
	}
	people = json_array();
	items = json_array();
	json_object_set_new(o, "attendees", people);
	json_object_set_new(o, "items", items);
	if ((rc = db_prepare(c->db, "SELECT u.id, u.display_name FROM meeting_attendee ma JOIN app_user u"
				    " ON u.id = ma.user_id WHERE ma.meeting_id = ? ORDER BY u.id", &st)) < 0)
		goto out;
	db_bind_int(st, 1, id);
	while ((rc = db_step(st)) == 1)
		json_array_append_new(people, user_ref(st, 0, 1));
	db_done(st);
	if (rc < 0 || (rc = items_load(c, id, items)))
		goto out;
	*out = o;
	o = NULL;
out:
	json_decref(o);
	buf_release(&sql);
	return rc;
}

int meeting_list(struct ctx *c, const char *village, const struct page *p, json_t **items, int64_t *next)
{
	struct buf sql = BUF_INIT;
	struct db_stmt *st = NULL;
	int limit = p->limit > 500 ? 500 : p->limit < 1 ? 50 : p->limit, rc;
	if (village && !*village)
		village = NULL;
	*items = NULL;
	*next = 0;
	buf_adds(&sql, MEETING_COLS " WHERE (? IS NULL OR m.village_code = ?) AND (? = 0 OR m.held_at <"
			      " (SELECT held_at FROM meeting WHERE id = ?) OR (m.held_at = (SELECT held_at FROM"
			      " meeting WHERE id = ?) AND m.id < ?))");
	scope_sql(&sql, "m.village_code");
	buf_adds(&sql, " ORDER BY m.held_at DESC, m.id DESC LIMIT ?");
	if ((rc = db_prepare(c->db, sql.data, &st)) < 0)
		goto out;
	db_bindv(st, "ttiiiiti", village, village, p->after, p->after, p->after, p->after, c->actor.scope_like,
		 (int64_t)limit + 1);
	rc = page_collect(st, limit, meeting_row, items, next);
out:
	buf_release(&sql);
	return rc;
}

/* ---- writing ---- */

/* Optional text field of 1..max characters; 0, or -1 with a field error
 * (also for a value that is not a string). */
static int opt_text(struct ctx *c, const json_t *in, const char *field, long max, const char **out)
{
	*out = NULL;
	if (json_opt_string(c, in, field, out))
		return -1;
	return *out ? org_text_check(c, field, *out, max) : 0;
}

/* Checks attendees: 1..50 ids of active users, no repeats. *ids gets them
 * (caller frees), *n the count. 0 or -1 with a field error. */
static int attendees_read(struct ctx *c, const json_t *v, int64_t **ids, size_t *n)
{
	size_t i, j;
	json_t *e;
	*ids = NULL;
	*n = 0;
	if (!json_is_array(v) || json_array_size(v) < 1 || json_array_size(v) > MEETING_ATTENDEES_MAX) {
		verr_add(&c->errs, "attendees", "“attendees”应为 1 到 50 个用户编号的列表",
			 "'attendees' must be a list of 1 to 50 user ids");
		return -1;
	}
	*ids = xcalloc(json_array_size(v), sizeof(**ids));
	json_array_foreach(v, i, e) {
		int64_t one = 0, id = json_is_integer(e) ? json_integer_value(e) : 0;
		char f[40];
		int dup = 0;
		for (j = 0; j < *n; j++)
			dup |= (*ids)[j] == id;
		if (id <= 0 || dup ||
		    db_get_int(c->db, &one, "SELECT 1 FROM app_user WHERE id = ? AND disabled_at IS NULL", "i", id) != 1) {
			snprintf(f, sizeof(f), "attendees[%zu]", i);
			verr_add(&c->errs, f, "参会人应为有效的用户，且不重复", "attendee must be an active user, listed once");
			continue;
		}
		(*ids)[(*n)++] = id;
	}
	if (*n == json_array_size(v))
		return 0;
	free(*ids);
	*ids = NULL;
	return -1;
}

static int attendees_store(struct ctx *c, int64_t id, const int64_t *ids, size_t n)
{
	int rc = db_run(c->db, "DELETE FROM meeting_attendee WHERE meeting_id = ?", "i", id);
	for (size_t i = 0; !rc && i < n; i++)
		rc = db_run(c->db, "INSERT INTO meeting_attendee(meeting_id, user_id) VALUES (?, ?)", "ii", id, ids[i]);
	return rc;
}

static int meeting_audit(struct ctx *c, const char *action, const char *entity, int64_t id, json_t *before,
			 json_t *after)
{
	char ids[24];
	int rc;
	id_text(id, ids);
	rc = audit_log(c, action, entity, ids, before, after);
	json_decref(before);
	json_decref(after);
	return rc;
}

int meeting_create(struct ctx *c, const json_t *in, json_t **out)
{
	const char *village = NULL, *held_at = NULL, *place = NULL, *title = NULL;
	char held[ZL_TIME_MAX], now[ZL_TIME_MAX];
	int64_t *people = NULL, id;
	size_t npeople = 0;
	int rc;
	*out = NULL;
	/* every field is checked, so that all their errors are reported at once */
	json_opt_string(c, in, "village_code", &village);
	json_opt_string(c, in, "held_at", &held_at);
	opt_text(c, in, "place", MEETING_TEXT_MAX, &place);
	opt_text(c, in, "title", MEETING_TEXT_MAX, &title);
	if (!village)
		verr_required(c, "village_code");
	else if (!village_ok(c, village))
		verr_add(&c->errs, "village_code", "村代码不存在或不在您的管辖范围内",
			 "'village_code' is not a village in your scope");
	if (!held_at)
		verr_required(c, "held_at");
	else if (held_parse(held_at, held))
		verr_add(&c->errs, "held_at", "“held_at”应为带时区的时间，如 2026-03-02T15:00:00+08:00",
			 "'held_at' must be a time with an offset, like 2026-03-02T15:00:00+08:00");
	attendees_read(c, json_object_get(in, "attendees"), &people, &npeople);
	if (c->errs.n) {
		rc = ZL_E_VALIDATION;
		goto out;
	}
	if ((rc = write_check(c, village)))
		goto out;
	time_format_utc(clock_now(), now);
	if ((rc = db_run(c->db, "INSERT INTO meeting(village_code, title, held_at, place, created_by, created_at,"
				" updated_at) VALUES (?, ?, ?, ?, NULLIF(?, 0), ?, ?)", "ttttitt", village, title, held,
			 place, c->actor.user_id, now, now)))
		goto out;
	id = db_last_id(c->db);
	if ((rc = attendees_store(c, id, people, npeople)) || (rc = agenda_draw(c, village, held, id, NULL)))
		goto out;
	if ((rc = meeting_get(c, id, out)))
		goto out;
	rc = meeting_audit(c, "meeting.create", "meeting", id, NULL,
			   json_pack("{s:s,s:s,s:I,s:O}", "village_code", village, "held_at", held, "attendees",
				     (json_int_t)npeople, "item_count", json_object_get(*out, "item_count")));
out:
	if (rc) {
		json_decref(*out);
		*out = NULL;
	}
	free(people);
	return rc;
}

int meeting_update(struct ctx *c, int64_t id, const json_t *patch, json_t **out)
{
	struct mt_head h;
	const char *place = NULL, *title = NULL, *held_at = NULL;
	char held[ZL_TIME_MAX], now[ZL_TIME_MAX];
	json_t *att = json_object_get(patch, "attendees"), *changed = json_object();
	int64_t *people = NULL;
	size_t npeople = 0;
	int rc;
	*out = NULL;
	if ((rc = change_check(c, id, &h)))
		goto out;
	opt_text(c, patch, "place", MEETING_TEXT_MAX, &place);
	opt_text(c, patch, "title", MEETING_TEXT_MAX, &title);
	if (!json_opt_string(c, patch, "held_at", &held_at) && held_at && held_parse(held_at, held))
		verr_add(&c->errs, "held_at", "“held_at”应为带时区的时间，如 2026-03-02T15:00:00+08:00",
			 "'held_at' must be a time with an offset, like 2026-03-02T15:00:00+08:00");
	if (att)
		attendees_read(c, att, &people, &npeople);
	if (c->errs.n) {
		rc = ZL_E_VALIDATION;
		goto out;
	}
	time_format_utc(clock_now(), now);
	if (json_object_get(patch, "place")) {
		rc = db_run(c->db, "UPDATE meeting SET place = ? WHERE id = ?", "ti", place, id);
		json_object_set_new(changed, "place", json_true());
	}
	if (!rc && json_object_get(patch, "title")) {
		rc = db_run(c->db, "UPDATE meeting SET title = ? WHERE id = ?", "ti", title, id);
		json_object_set_new(changed, "title", json_true());
	}
	if (!rc && held_at) {
		rc = db_run(c->db, "UPDATE meeting SET held_at = ? WHERE id = ?", "ti", held, id);
		json_object_set_new(changed, "held_at", json_string(held));
	}
	if (!rc && att) {
		rc = attendees_store(c, id, people, npeople);
		json_object_set_new(changed, "attendees", json_integer((json_int_t)npeople));
	}
	if (!rc)
		rc = db_run(c->db, "UPDATE meeting SET updated_at = ? WHERE id = ?", "ti", now, id);
	if (!rc)
		rc = meeting_audit(c, "meeting.update", "meeting", id, NULL, json_incref(changed));
	if (!rc)
		rc = meeting_get(c, id, out);
out:
	json_decref(changed);
	free(people);
	return rc;
}

int meeting_item_add(struct ctx *c, int64_t id, const json_t *in, json_t **out)
{
	struct mt_head h;
	const char *text = NULL;
	char now[ZL_TIME_MAX];
	int64_t seq = 0, item_id;
	int rc;
	*out = NULL;
	if ((rc = change_check(c, id, &h)) || (rc = leader_check(c, h.village)))
		return rc;
	if (json_opt_string(c, in, "text", &text) || org_text_check(c, "text", text, MEETING_ITEM_MAX))
		return ZL_E_VALIDATION;
	time_format_utc(clock_now(), now);
	if ((rc = db_get_int(c->db, &seq, "SELECT COALESCE(MAX(seq), 0) + 1 FROM meeting_item WHERE meeting_id = ?",
			     "i", id)) < 0 ||
	    (rc = db_run(c->db, "INSERT INTO meeting_item(meeting_id, seq, kind, text, created_at, updated_at)"
				" VALUES (?, ?, 'free', ?, ?, ?)", "iittt", id, seq, text, now, now)))
		return rc;
	item_id = db_last_id(c->db);
	if ((rc = db_run(c->db, "UPDATE meeting SET updated_at = ? WHERE id = ?", "ti", now, id)))
		return rc;
	if ((rc = meeting_audit(c, "meeting.item_add", "meeting_item", item_id, NULL, json_pack("{s:I,s:I,s:s}", "meeting_id", (json_int_t)id, "seq", (json_int_t)seq,
						"kind", "free"))))
		return rc;
	return meeting_get(c, id, out);
}

/* An item of a meeting. */
struct mt_item {
	int64_t id, appeal_id, issue_id;
	char kind[8];
	char decision[16];
	char *text;
};

static int item_load(struct ctx *c, int64_t meeting_id, int64_t item_id, struct mt_item *it)
{
	struct db_stmt *st = NULL;
	int rc;
	memset(it, 0, sizeof(*it));
	if ((rc = db_prepare(c->db, "SELECT kind, COALESCE(appeal_id, 0), COALESCE(contact_issue_id, 0),"
				    " COALESCE(decision, ''), text FROM meeting_item WHERE id = ? AND meeting_id = ?",
			     &st)) < 0)
		return rc;
	db_bindv(st, "ii", item_id, meeting_id);
	if ((rc = db_step(st)) == 1) {
		it->id = item_id;
		org_col_copy(st, 0, it->kind, sizeof(it->kind));
		it->appeal_id = db_col_int(st, 1);
		it->issue_id = db_col_int(st, 2);
		org_col_copy(st, 3, it->decision, sizeof(it->decision));
		it->text = xstrdup(db_col_text(st, 4));
	}
	db_done(st);
	return rc == 1 ? 0 : rc == 0 ? ZL_E_NOT_FOUND : rc;
}

/* What the decision asks for, checked. */
struct decision_in {
	const char *decision, *due_date, *reason, *note;
	int64_t owner;
};

static int decision_read(struct ctx *c, const char *village, const json_t *in, struct decision_in *d)
{
	memset(d, 0, sizeof(*d));
	json_opt_string(c, in, "decision", &d->decision);
	opt_text(c, in, "note", MEETING_ITEM_MAX, &d->note);
	if (!d->decision) {
		if (!c->errs.n)
			verr_required(c, "decision");
	} else if (!org_one_of(d->decision, decisions, ARRAY_SIZE(decisions))) {
		verr_add(&c->errs, "decision", "“decision”应为 solve_village、appeal 或 close",
			 "'decision' must be solve_village, appeal or close");
	} else if (!strcmp(d->decision, "solve_village")) {
		int64_t one = 0;
		int set = org_opt_id(c, in, "owner_user_id", &d->owner);
		if (set == 0)
			verr_required(c, "owner_user_id");
		/* who solves it in the village: an active cadre (or leader) whose
		 * scope holds the village, as for an appeal's assignee */
		else if (set == 1 &&
			 db_get_int(c->db, &one,
				    "SELECT 1 FROM app_user u JOIN region r ON r.code = u.scope_code WHERE u.id = ? AND "
				    "u.disabled_at IS NULL AND u.role IN ('cadre', 'leader', 'admin') AND (SELECT path FROM "
				    "region WHERE code = ?) LIKE r.path || '%'",
				    "it", d->owner, village) != 1)
			verr_add(&c->errs, "owner_user_id", "负责人应为本村管辖范围内的在职干部",
				 "'owner_user_id' must be an active cadre whose scope holds the village");
		if (!json_opt_string(c, in, "due_date", &d->due_date)) {
			if (!d->due_date)
				verr_required(c, "due_date");
			else
				org_date_check(c, "due_date", d->due_date);
		}
	} else if (!strcmp(d->decision, "close")) {
		if (!json_opt_string(c, in, "reason", &d->reason))
			org_text_check(c, "reason", d->reason, MEETING_ITEM_MAX);
	}
	return c->errs.n ? ZL_E_VALIDATION : 0;
}

/* Carries out an "appeal" or "close" decision: the appeal made or linked in
 * *result_appeal, the issue closed in *closed_issue. */
static int decision_apply(struct ctx *c, const char *village, const struct mt_item *it, const struct decision_in *d,
			  const json_t *in, int64_t *result_appeal, int64_t *closed_issue, int64_t *appeal_id)
{
	json_t *res = NULL;
	int rc = 0;
	if (!strcmp(d->decision, "appeal")) {
		if (!strcmp(it->kind, "issue")) {
			if (!(rc = contact_issue_convert(c, 0, it->issue_id, in, &res, appeal_id)))
				*result_appeal = json_integer_value(json_object_get(json_object_get(res, "appeal"), "id"));
		} else if (!strcmp(it->kind, "appeal")) {
			*result_appeal = it->appeal_id; /* already on its way up: linked */
		} else {
			json_t *ain = contact_appeal_input(in, it->text, village);
			if (!(rc = appeal_create(c, ain, &res)))
				*result_appeal = json_integer_value(json_object_get(res, "id"));
			json_decref(ain);
		}
	} else if (!strcmp(d->decision, "close")) {
		if (!strcmp(it->kind, "issue")) {
			json_t *cin = json_pack("{s:s}", "reason", d->reason);
			if (!(rc = contact_issue_close(c, 0, it->issue_id, cin, &res, appeal_id)))
				*closed_issue = it->issue_id;
			json_decref(cin);
		} else if (!strcmp(it->kind, "appeal")) {
			json_t *ain = json_pack("{s:s}", "action", "close"), *allowed = NULL;
			rc = appeal_action_apply(c, it->appeal_id, ain, &res, &allowed);
			if (rc == ZL_E_APPEAL_ILLEGAL)
				ctx_detail(c, "诉求办结后才能关闭；请改为交由诉求流程办理",
					   "an appeal closes only once it is resolved; leave it to the appeal workflow");
			json_decref(allowed);
			json_decref(ain);
		}
	}
	json_decref(res);
	return rc;
}

int meeting_item_decide(struct ctx *c, int64_t id, int64_t item_id, const json_t *in, json_t **out,
			int64_t *appeal_id)
{
	struct mt_head h;
	struct mt_item it;
	struct decision_in d;
	char now[ZL_TIME_MAX];
	int64_t result_appeal = 0, closed_issue = 0;
	int rc;
	*out = NULL;
	memset(&it, 0, sizeof(it));
	if ((rc = change_check(c, id, &h)) || (rc = item_load(c, id, item_id, &it)))
		goto out;
	if (it.decision[0] && strcmp(it.decision, "solve_village")) {
		rc = ZL_E_MEETING_ITEM_DECIDED;
		goto out;
	}
	if ((rc = decision_read(c, h.village, in, &d)) ||
	    (rc = decision_apply(c, h.village, &it, &d, in, &result_appeal, &closed_issue, appeal_id)))
		goto out;
	time_format_utc(clock_now(), now);
	if ((rc = db_run(c->db,
			 "UPDATE meeting_item SET decision = ?, owner_user_id = NULLIF(?, 0), due_date = ?, reason = ?,"
			 " note = ?, result_appeal_id = NULLIF(?, 0), closed_issue_id = NULLIF(?, 0), decided_by ="
			 " NULLIF(?, 0), decided_at = ?, updated_at = ? WHERE id = ?",
			 "titttiiitti", d.decision, d.owner, d.due_date, d.reason, d.note, result_appeal, closed_issue,
			 c->actor.user_id, now, now, item_id)) ||
	    (rc = db_run(c->db, "UPDATE meeting SET updated_at = ? WHERE id = ?", "ti", now, id)))
		goto out;
	{
		json_t *before = it.decision[0] ? json_pack("{s:s}", "decision", it.decision) : NULL;
		json_t *after = json_pack("{s:I,s:s}", "meeting_id", (json_int_t)id, "decision", d.decision);
		if (result_appeal)
			json_object_set_new(after, "result_appeal_id", json_integer(result_appeal));
		if (closed_issue)
			json_object_set_new(after, "closed_issue_id", json_integer(closed_issue));
		if (d.owner)
			json_object_set_new(after, "owner_user_id", json_integer(d.owner));
		if ((rc = meeting_audit(c, "meeting.decide", "meeting_item", item_id, before, after)))
			goto out;
	}
	rc = meeting_get(c, id, out);
out:
	free(it.text);
	return rc;
}

int meeting_finalise(struct ctx *c, int64_t id, json_t **out)
{
	struct mt_head h;
	char now[ZL_TIME_MAX];
	int rc;
	*out = NULL;
	if ((rc = change_check(c, id, &h)))
		return rc;
	time_format_utc(clock_now(), now);
	if ((rc = db_run(c->db, "UPDATE meeting SET state = 'final', finalised_at = ?, finalised_by = NULLIF(?, 0),"
				" updated_at = ? WHERE id = ? AND state = 'draft'", "titi", now, c->actor.user_id, now,
			 id)))
		return rc;
	if ((rc = meeting_get(c, id, out)))
		return rc;
	rc = meeting_audit(c, "meeting.finalise", "meeting", id, json_pack("{s:s}", "state", "draft"),
			   json_pack("{s:s,s:O,s:O}", "state", "final", "item_count", json_object_get(*out, "item_count"),
				     "decided_count", json_object_get(*out, "decided_count")));
	if (rc) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

/* ---- HTTP ---- */

static void meeting_location(struct resp *w, json_t *out)
{
	resp_created_id(w, out, "/api/v1/meetings/");
}

static int h_list(struct req *r, struct resp *w)
{
	struct page p;
	json_t *items = NULL;
	int64_t next = 0;
	int rc = req_page(r, &p);
	if (!rc)
		rc = meeting_list(&r->ctx, req_query(r, "village"), &p, &items, &next);
	if (rc)
		return rc;
	resp_json(w, 200, page_result(items, next));
	return 0;
}

static int h_agenda(struct req *r, struct resp *w)
{
	json_t *out = NULL;
	int rc = meeting_agenda(&r->ctx, req_query(r, "village"), req_query(r, "held_at"), &out);
	return resp_result(w, rc, 200, out);
}

static int h_create(struct req *r, struct resp *w)
{
	json_t *in = NULL, *out = NULL;
	int rc = req_json(r, &in);
	if (!rc)
		rc = meeting_create(&r->ctx, in, &out);
	if (rc)
		return rc;
	meeting_location(w, out);
	return 0;
}

/* {id} (and a JSON body for fn_body) for one of the service's calls. */
static int id_call(struct req *r, int (*fn)(struct ctx *, int64_t, json_t **),
		   int (*fn_body)(struct ctx *, int64_t, const json_t *, json_t **), json_t **out)
{
	json_t *in = NULL;
	int64_t id;
	int rc = req_param_id(r, "id", &id);
	if (!rc && fn_body && !(rc = req_json(r, &in)))
		rc = fn_body(&r->ctx, id, in, out);
	else if (!rc)
		rc = fn(&r->ctx, id, out);
	return rc;
}

static int h_get(struct req *r, struct resp *w)
{
	json_t *out = NULL;
	int rc = id_call(r, meeting_get, NULL, &out);
	return resp_result(w, rc, 200, out);
}

static int h_update(struct req *r, struct resp *w)
{
	json_t *out = NULL;
	int rc = id_call(r, NULL, meeting_update, &out);
	return resp_result(w, rc, 200, out);
}

static int h_item_add(struct req *r, struct resp *w)
{
	json_t *out = NULL;
	int rc = id_call(r, NULL, meeting_item_add, &out);
	if (rc)
		return rc;
	meeting_location(w, out);
	return 0;
}

static int h_decide(struct req *r, struct resp *w)
{
	json_t *in = NULL, *out = NULL;
	int64_t id, item_id, appeal_id = 0;
	int rc = req_param_id(r, "id", &id);
	if (!rc)
		rc = req_param_id(r, "item_id", &item_id);
	if (!rc)
		rc = req_json(r, &in);
	if (!rc)
		rc = meeting_item_decide(&r->ctx, id, item_id, in, &out, &appeal_id);
	if (rc == ZL_E_ISSUE_CONVERTED && appeal_id) {
		resp_problem(w, rc, &r->ctx, r->path);
		json_object_set_new(w->json, "appeal_id", json_integer(appeal_id));
		return 0; /* nothing was changed; the problem is the answer */
	}
	return resp_result(w, rc, 200, out);
}

static int h_finalise(struct req *r, struct resp *w)
{
	json_t *out = NULL;
	int rc = id_call(r, meeting_finalise, NULL, &out);
	return resp_result(w, rc, 200, out);
}

static const struct route routes[] = {
	{ "GET", "/api/v1/meetings", h_list, "meeting.read", 0 },
	{ "POST", "/api/v1/meetings", h_create, "meeting.write", 0 },
	{ "GET", "/api/v1/meetings/agenda", h_agenda, "meeting.read", 0 },
	{ "GET", "/api/v1/meetings/{id}", h_get, "meeting.read", 0 },
	{ "PATCH", "/api/v1/meetings/{id}", h_update, "meeting.write", 0 },
	{ "POST", "/api/v1/meetings/{id}/items", h_item_add, "meeting.write", 0 },
	{ "POST", "/api/v1/meetings/{id}/items/{item_id}/decision", h_decide, "meeting.write", 0 },
	{ "POST", "/api/v1/meetings/{id}/finalise", h_finalise, "meeting.write", 0 },
};

ROUTE_TABLE(meeting_routes, "meetings", routes);
