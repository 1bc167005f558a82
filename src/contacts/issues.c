/*
 * issues.c: the issues raised in contacts after the contact is recorded: the
 * list of open issues in scope, the one action that turns an issue into an
 * appeal (appeal_create with channel 'contact', the issue marked converted),
 * and closing an issue with a reason. Analysis meetings use the same two.
 */
#include "contacts/meetings.h"

#include "appeals/appeals.h"
#include "org/org.h"
#include "platform/audit.h"
#include "platform/clock.h"

#define ISSUE_REASON_MAX 500
#define APPEAL_TITLE_MAX 100

static const char *const issue_states[] = { "open", "converted", "closed" };

#define ISSUE_COLS                                                                                       \
	"SELECT i.id, i.contact_id, i.text, i.status, i.appeal_id, k.village_code, rg.name, k.started_at," \
	" k.author_user_id, au.display_name, i.close_reason, i.closed_at, i.closed_by, cu.display_name,"   \
	" i.created_at, i.updated_at FROM contact_issue i JOIN contact k ON k.id = i.contact_id"            \
	" JOIN region rg ON rg.code = k.village_code JOIN app_user au ON au.id = k.author_user_id"          \
	" LEFT JOIN app_user cu ON cu.id = i.closed_by"

static json_t *id_or_null(struct db_stmt *st, int col)
{
	return db_col_isnull(st, col) ? json_null() : json_integer(db_col_int(st, col));
}

static json_t *text_or_null(struct db_stmt *st, int col)
{
	return db_col_isnull(st, col) ? json_null() : json_string(db_col_text(st, col));
}

static json_t *issue_row(struct db_stmt *st)
{
	json_t *closed_by = db_col_isnull(st, 12) ? json_null()
						   : json_pack("{s:I,s:s?}", "id", (json_int_t)db_col_int(st, 12),
							       "display_name", db_col_text(st, 13));
	return json_pack("{s:I,s:I,s:s,s:s,s:o,s:{s:s,s:s},s:o,s:{s:I,s:s},s:o,s:o,s:o,s:o,s:o}", "id",
			 (json_int_t)db_col_int(st, 0), "contact_id", (json_int_t)db_col_int(st, 1), "text",
			 db_col_text(st, 2), "status", db_col_text(st, 3), "appeal_id", id_or_null(st, 4), "village",
			 "code", db_col_text(st, 5), "name", db_col_text(st, 6), "raised_at",
			 org_time_json(db_col_text(st, 7)), "raised_by", "id", (json_int_t)db_col_int(st, 8),
			 "display_name", db_col_text(st, 9), "close_reason", text_or_null(st, 10), "closed_at",
			 org_time_json(db_col_text(st, 11)), "closed_by", closed_by, "created_at",
			 org_time_json(db_col_text(st, 14)), "updated_at", org_time_json(db_col_text(st, 15)));
}

int contact_issue_get(struct ctx *c, int64_t issue_id, json_t **out)
{
	struct buf sql = BUF_INIT;
	struct db_stmt *st = NULL;
	int rc;
	*out = NULL;
	buf_adds(&sql, ISSUE_COLS " WHERE i.id = ?");
	scope_sql(&sql, "k.village_code");
	if ((rc = db_prepare(c->db, sql.data, &st)) < 0)
		goto out;
	db_bindv(st, "it", issue_id, c->actor.scope_like);
	rc = db_step(st);
	if (rc == 1)
		*out = issue_row(st);
	db_done(st);
	rc = rc == 1 ? 0 : rc == 0 ? ZL_E_NOT_FOUND : rc;
out:
	buf_release(&sql);
	return rc;
}

int contact_issue_list(struct ctx *c, const struct contact_issue_filter *f, const struct page *p,
		       json_t **items, int64_t *next)
{
	struct buf sql = BUF_INIT;
	struct db_stmt *st = NULL;
	const char *status = f->status && *f->status ? f->status : "open";
	const char *village = f->village && *f->village ? f->village : NULL;
	int limit = p->limit > 500 ? 500 : p->limit < 1 ? 50 : p->limit, rc;
	*items = NULL;
	*next = 0;
	if (!org_one_of(status, issue_states, ARRAY_SIZE(issue_states))) {
		verr_add(&c->errs, "status", "“status”应为 open、converted 或 closed",
			 "'status' must be open, converted or closed");
		return ZL_E_VALIDATION;
	}
	buf_adds(&sql, ISSUE_COLS " WHERE i.status = ? AND (? IS NULL OR k.village_code = ?) AND (? = 0 OR i.id < ?)");
	scope_sql(&sql, "k.village_code");
	buf_adds(&sql, " ORDER BY i.id DESC LIMIT ?");
	if ((rc = db_prepare(c->db, sql.data, &st)) < 0)
		goto out;
	db_bindv(st, "tttiiti", status, village, village, p->after, p->after, c->actor.scope_like,
		 (int64_t)limit + 1);
	rc = page_collect(st, limit, issue_row, items, next);
out:
	buf_release(&sql);
	return rc;
}

/* What a change needs of an issue in scope. */
struct issue_head {
	int64_t id, contact_id, appeal_id;
	char status[12];
	char village[ZL_CODE_MAX];
	char *text;
};

static int issue_head_load(struct ctx *c, int64_t contact_id, int64_t issue_id, struct issue_head *h)
{
	struct buf sql = BUF_INIT;
	struct db_stmt *st = NULL;
	int rc;
	memset(h, 0, sizeof(*h));
	buf_adds(&sql, "SELECT i.contact_id, COALESCE(i.appeal_id, 0), i.status, k.village_code, i.text"
		       " FROM contact_issue i JOIN contact k ON k.id = i.contact_id WHERE i.id = ?");
	scope_sql(&sql, "k.village_code");
	if ((rc = db_prepare(c->db, sql.data, &st)) < 0)
		goto out;
	db_bindv(st, "it", issue_id, c->actor.scope_like);
	if ((rc = db_step(st)) == 1) {
		h->id = issue_id;
		h->contact_id = db_col_int(st, 0);
		h->appeal_id = db_col_int(st, 1);
		org_col_copy(st, 2, h->status, sizeof(h->status));
		org_col_copy(st, 3, h->village, sizeof(h->village));
		h->text = xstrdup(db_col_text(st, 4));
	}
	db_done(st);
	if (rc == 1)
		rc = contact_id && contact_id != h->contact_id ? ZL_E_NOT_FOUND : 0;
	else if (rc == 0)
		rc = ZL_E_NOT_FOUND;
out:
	buf_release(&sql);
	return rc;
}

/* ZL_E_ISSUE_CONVERTED (naming the appeal) or ZL_E_ISSUE_CLOSED unless the
 * issue is open. */
static int issue_open_check(struct ctx *c, const struct issue_head *h, int64_t *appeal_id)
{
	char zh[96], en[96];
	if (!strcmp(h->status, "open"))
		return 0;
	if (strcmp(h->status, "converted"))
		return ZL_E_ISSUE_CLOSED;
	if (appeal_id)
		*appeal_id = h->appeal_id;
	snprintf(zh, sizeof(zh), "这个问题已经转为诉求 #%" PRId64, h->appeal_id);
	snprintf(en, sizeof(en), "the issue has become appeal #%" PRId64 " already", h->appeal_id);
	ctx_detail(c, zh, en);
	return ZL_E_ISSUE_CONVERTED;
}

/* A copy of s fit for an appeal's title or description: control characters
 * (line breaks) become spaces, at most max code points. */
static char *appeal_text(const char *s, long max)
{
	struct buf b = BUF_INIT;
	long n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p & 0xC0) != 0x80 && n++ == max)
			break;
		buf_addch(&b, *p < 0x20 || *p == 0x7f ? ' ' : (char)*p);
	}
	return buf_detach(&b, NULL);
}

static json_t *json_string_take(char *s)
{
	json_t *j = json_string(s);
	free(s);
	return j;
}

static void issue_id_text(int64_t id, char out[24])
{
	snprintf(out, 24, "%" PRId64, id);
}

json_t *contact_appeal_input(const json_t *in, const char *text, const char *village)
{
	static const char *const copied[] = { "category_id", "urgency", "title", "description", "public_consent",
					      "submitter_name", "submitter_phone", "anonymous" };
	json_t *a = json_object();
	for (size_t i = 0; i < ARRAY_SIZE(copied); i++) {
		json_t *v = json_object_get(in, copied[i]);
		if (v && !json_is_null(v))
			json_object_set(a, copied[i], v);
	}
	if (!json_object_get(a, "title"))
		json_object_set_new(a, "title", json_string_take(appeal_text(text, APPEAL_TITLE_MAX)));
	if (!json_object_get(a, "description"))
		json_object_set_new(a, "description", json_string_take(appeal_text(text, 4000)));
	json_object_set_new(a, "village_code", json_string(village));
	json_object_set_new(a, "channel", json_string("contact"));
	return a;
}

/* The appeal input for an issue: the caller's fields, defaults from the
 * issue and the contact. NULL with field errors for a foreign household. */
static json_t *convert_input(struct ctx *c, const struct issue_head *h, const json_t *in)
{
	json_t *a = contact_appeal_input(in, h->text, h->village), *hh = json_object_get(in, "household_id");
	int64_t household = 0;
	json_object_set_new(a, "contact_issue_id", json_integer(h->id));
	if (hh && !json_is_null(hh)) {
		int64_t one = 0;
		if (!json_is_integer(hh) ||
		    db_get_int(c->db, &one, "SELECT 1 FROM contact_household WHERE contact_id = ? AND household_id = ?",
			       "ii", h->contact_id, (int64_t)json_integer_value(hh)) != 1) {
			verr_add(&c->errs, "household_id", "“household_id”应为这次联系走访的农户之一",
				 "'household_id' must be one of the contact's households");
			json_decref(a);
			return NULL;
		}
		household = json_integer_value(hh);
	} else {
		db_get_int(c->db, &household, "SELECT MIN(household_id) FROM contact_household WHERE contact_id = ?", "i",
			   h->contact_id);
	}
	if (household)
		json_object_set_new(a, "household_id", json_integer(household));
	return a;
}

int contact_issue_convert(struct ctx *c, int64_t contact_id, int64_t issue_id, const json_t *in,
			  json_t **out, int64_t *appeal_id)
{
	struct issue_head h;
	json_t *ain = NULL, *appeal = NULL, *issue = NULL;
	char now[ZL_TIME_MAX], ids[24];
	int64_t aid;
	int rc;
	*out = NULL;
	if ((rc = issue_head_load(c, contact_id, issue_id, &h)) || (rc = issue_open_check(c, &h, appeal_id)))
		goto out;
	if (!(ain = convert_input(c, &h, in))) {
		rc = ZL_E_VALIDATION;
		goto out;
	}
	if ((rc = appeal_create(c, ain, &appeal)))
		goto out;
	aid = json_integer_value(json_object_get(appeal, "id"));
	time_format_utc(clock_now(), now);
	if ((rc = db_run(c->db, "UPDATE contact_issue SET status = 'converted', appeal_id = ?, updated_at = ?"
				" WHERE id = ? AND status = 'open'", "iti", aid, now, issue_id)))
		goto out;
	if (db_changes(c->db) != 1) {
		rc = ZL_E_CONFLICT;
		goto out;
	}
	issue_id_text(issue_id, ids);
	{
		json_t *before = json_pack("{s:s}", "status", "open");
		json_t *after = json_pack("{s:s,s:I,s:I}", "status", "converted", "appeal_id", (json_int_t)aid,
					  "contact_id", (json_int_t)h.contact_id);
		rc = audit_log(c, "contact_issue.convert", "contact_issue", ids, before, after);
		json_decref(before);
		json_decref(after);
	}
	if (!rc && !(rc = contact_issue_get(c, issue_id, &issue))) {
		*out = json_pack("{s:o,s:o}", "issue", issue, "appeal", appeal);
		appeal = NULL;
	}
out:
	json_decref(ain);
	json_decref(appeal);
	free(h.text);
	return rc;
}

int contact_issue_close(struct ctx *c, int64_t contact_id, int64_t issue_id, const json_t *in,
			json_t **out, int64_t *appeal_id)
{
	struct issue_head h;
	const char *reason = NULL;
	char now[ZL_TIME_MAX], ids[24];
	int rc;
	*out = NULL;
	if ((rc = issue_head_load(c, contact_id, issue_id, &h)) || (rc = issue_open_check(c, &h, appeal_id)))
		goto out;
	if ((rc = json_opt_string(c, in, "reason", &reason)))
		goto out;
	if (org_text_check(c, "reason", reason, ISSUE_REASON_MAX)) {
		rc = ZL_E_VALIDATION;
		goto out;
	}
	time_format_utc(clock_now(), now);
	if ((rc = db_run(c->db, "UPDATE contact_issue SET status = 'closed', close_reason = ?, closed_by = NULLIF(?, 0),"
				" closed_at = ?, updated_at = ? WHERE id = ? AND status = 'open'", "titti", reason,
			 c->actor.user_id, now, now, issue_id)))
		goto out;
	if (db_changes(c->db) != 1) { /* no longer open: someone got there first */
		rc = ZL_E_CONFLICT;
		goto out;
	}
	issue_id_text(issue_id, ids);
	{
		json_t *before = json_pack("{s:s}", "status", "open");
		json_t *after = json_pack("{s:s,s:I}", "status", "closed", "contact_id", (json_int_t)h.contact_id);
		rc = audit_log(c, "contact_issue.close", "contact_issue", ids, before, after);
		json_decref(before);
		json_decref(after);
	}
	if (!rc)
		rc = contact_issue_get(c, issue_id, out);
out:
	free(h.text);
	return rc;
}

/* ---- HTTP ---- */

static int h_list(struct req *r, struct resp *w)
{
	struct contact_issue_filter f = { req_query(r, "village"), req_query(r, "status") };
	struct page p;
	json_t *items = NULL;
	int64_t next = 0;
	int rc = req_page(r, &p);
	if (!rc)
		rc = contact_issue_list(&r->ctx, &f, &p, &items, &next);
	if (rc)
		return rc;
	resp_json(w, 200, page_result(items, next));
	return 0;
}

/* A refusal because the issue became an appeal names the appeal, so the
 * page can open it. */
static int issue_answer(struct req *r, struct resp *w, int rc, int64_t appeal_id)
{
	if (rc == ZL_E_ISSUE_CONVERTED && appeal_id) {
		resp_problem(w, rc, &r->ctx, r->path);
		json_object_set_new(w->json, "appeal_id", json_integer(appeal_id));
		return 0; /* nothing was changed; the problem is the answer */
	}
	return rc;
}

static int issue_call(struct req *r, struct resp *w,
		      int (*fn)(struct ctx *, int64_t, int64_t, const json_t *, json_t **, int64_t *))
{
	json_t *in = NULL, *out = NULL;
	int64_t contact_id, issue_id, appeal_id = 0;
	int rc = req_param_id(r, "id", &contact_id);
	if (!rc)
		rc = req_param_id(r, "issue_id", &issue_id);
	if (!rc)
		rc = req_json(r, &in);
	if (!rc)
		rc = fn(&r->ctx, contact_id, issue_id, in, &out, &appeal_id);
	if (rc)
		return issue_answer(r, w, rc, appeal_id);
	if (fn == contact_issue_convert) {
		char loc[64];
		snprintf(loc, sizeof(loc), "/api/v1/appeals/%" PRId64,
			 (int64_t)json_integer_value(json_object_get(json_object_get(out, "appeal"), "id")));
		resp_created(w, out, loc);
	} else {
		resp_json(w, 200, out);
	}
	return 0;
}

static int h_convert(struct req *r, struct resp *w)
{
	return issue_call(r, w, contact_issue_convert);
}

static int h_close(struct req *r, struct resp *w)
{
	return issue_call(r, w, contact_issue_close);
}

static const struct route routes[] = {
	{ "GET", "/api/v1/contact-issues", h_list, "contact.read", 0 },
	{ "POST", "/api/v1/contacts/{id}/issues/{issue_id}/appeal", h_convert, "appeal.write", 0 },
	{ "POST", "/api/v1/contacts/{id}/issues/{issue_id}/close", h_close, "contact.write", 0 },
};

ROUTE_TABLE(contact_issue_routes, "contact_issues", routes);
