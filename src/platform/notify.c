/*
 * notify.c: the inbox. A notification is written in the transaction of the
 * change it reports; each user reads only their own, newest first.
 */
#include "notify.h"

#include "clock.h"
#include "db.h"
#include "outbound.h"

#define NOTE_COLS "id, kind, title_zh, title_en, entity, entity_id, created_at, read_at"

static json_t *time_or_null(const char *stored)
{
	int64_t us;
	char out[ZL_TIME_MAX];
	if (!stored || time_parse(stored, &us) < 0)
		return json_null();
	time_format_local(us, out);
	return json_string(out);
}

static json_t *note_json(struct ctx *c, struct db_stmt *st)
{
	const char *zh = db_col_text(st, 2), *en = db_col_text(st, 3);
	return json_pack("{s:I,s:s,s:s,s:s,s:s,s:s?,s:s?,s:o,s:b,s:o}", "id",
			 (json_int_t)db_col_int(st, 0), "kind", db_col_text(st, 1), "title",
			 c->lang == LANG_EN ? en : zh, "title_zh", zh, "title_en", en, "entity",
			 db_col_text(st, 4), "entity_id", db_col_text(st, 5), "created_at",
			 time_or_null(db_col_text(st, 6)), "read", !db_col_isnull(st, 7), "read_at",
			 time_or_null(db_col_text(st, 7)));
}

int notify_user(struct ctx *c, int64_t user_id, const char *kind, const char *title_zh,
		const char *title_en, const char *entity, const char *entity_id)
{
	char now[ZL_TIME_MAX];
	int rc;
	if (!kind || !*kind || !title_zh || !*title_zh || !title_en || !*title_en || user_id <= 0)
		return ZL_E_VALIDATION;
	time_format_utc(clock_now(), now);
	rc = db_run(c->db,
		    "INSERT INTO notification(user_id, kind, title_zh, title_en, entity, entity_id,"
		    " created_at) VALUES (?,?,?,?,?,?,?)",
		    "itttttt", user_id, kind, title_zh, title_en, entity, entity_id, now);
	if (rc < 0)
		return rc;
	/* the outbound copies (webhooks, email, SMS) in the same transaction */
	return outbound_enqueue(c, db_last_id(c->db), user_id, kind, title_zh, title_en, entity, entity_id,
				now);
}

int notify_list(struct ctx *c, const struct page *p, int unread_only, json_t **items, int64_t *next,
		int64_t *unread)
{
	struct db_stmt *st = NULL;
	int limit = p && p->limit > 0 ? p->limit : 50, n = 0, rc;
	int64_t after = p ? p->after : 0, last = 0;
	const char *sql;

	*items = NULL;
	*next = 0;
	if (unread_only)
		sql = "SELECT " NOTE_COLS " FROM notification WHERE user_id = ? AND read_at IS NULL"
		      " AND (? = 0 OR id < ?) ORDER BY id DESC LIMIT ?";
	else
		sql = "SELECT " NOTE_COLS " FROM notification WHERE user_id = ?"
		      " AND (? = 0 OR id < ?) ORDER BY id DESC LIMIT ?";
	rc = db_prepare(c->db, sql, &st);
	if (rc < 0)
		return rc;
	db_bindv(st, "iiii", c->actor.user_id, after, after, (int64_t)limit + 1);
	*items = json_array();
	while ((rc = db_step(st)) == 1) {
		if (n == limit) {
			*next = last;
			break;
		}
		last = db_col_int(st, 0);
		json_array_append_new(*items, note_json(c, st));
		n++;
	}
	db_done(st);
	if (rc >= 0 && unread)
		rc = db_get_int(c->db, unread,
				"SELECT COUNT(*) FROM notification WHERE user_id = ? AND read_at IS NULL",
				"i", c->actor.user_id);
	if (rc < 0) {
		json_decref(*items);
		*items = NULL;
		*next = 0;
		return rc;
	}
	return 0;
}

int notify_mark_read(struct ctx *c, int64_t id, json_t **out)
{
	struct db_stmt *st = NULL;
	char now[ZL_TIME_MAX];
	int rc;

	*out = NULL;
	time_format_utc(clock_now(), now);
	rc = db_run(c->db,
		    "UPDATE notification SET read_at = ? WHERE id = ? AND user_id = ? AND read_at IS NULL",
		    "tii", now, id, c->actor.user_id);
	if (rc < 0)
		return rc;
	rc = db_prepare(c->db, "SELECT " NOTE_COLS " FROM notification WHERE id = ? AND user_id = ?", &st);
	if (rc < 0)
		return rc;
	db_bindv(st, "ii", id, c->actor.user_id);
	rc = db_step(st);
	if (rc == 1) {
		*out = note_json(c, st);
		rc = 0;
	} else if (rc == 0) {
		rc = ZL_E_NOT_FOUND;
	}
	db_done(st);
	return rc;
}

/* ---- routes ---- */

static int h_list(struct req *r, struct resp *w)
{
	struct page p;
	json_t *items = NULL, *body;
	int64_t next = 0, unread = 0;
	const char *u = req_query(r, "unread");
	int rc = req_page(r, &p);
	if (rc < 0)
		return rc;
	if (u && strcmp(u, "0") && strcmp(u, "1") && strcmp(u, "true") && strcmp(u, "false")) {
		verr_add(&r->ctx.errs, "unread", "unread 应为 1 或 0", "'unread' must be 1 or 0");
		return ZL_E_VALIDATION;
	}
	rc = notify_list(&r->ctx, &p, u && (!strcmp(u, "1") || !strcmp(u, "true")), &items, &next,
			 &unread);
	if (rc < 0)
		return rc;
	body = page_result(items, next);
	json_object_set_new(body, "unread_count", json_integer(unread));
	resp_json(w, 200, body);
	return 0;
}

static int h_read(struct req *r, struct resp *w)
{
	json_t *out = NULL;
	int64_t id;
	int rc = req_param_id(r, "id", &id);
	if (rc < 0)
		return rc;
	rc = notify_mark_read(&r->ctx, id, &out);
	if (rc < 0)
		return rc;
	resp_json(w, 200, out);
	return 0;
}

static const struct route routes[] = {
	{ "GET", "/api/v1/notifications", h_list, NULL, ROUTE_SELF },
	{ "POST", "/api/v1/notifications/{id}/read", h_read, NULL, ROUTE_SELF },
};

ROUTE_TABLE(notify_routes, "notifications", routes);
