/*
 * timeline.c: a household's timeline, merged newest first from a registry of
 * sources: the household's own events (built in) and whatever later modules
 * (contacts, appeals, survey answers) register, without this file knowing
 * them. The cursor is the (time, source, id) of the last item given.
 */
#include <sodium.h>

#include "households/households_int.h"

#include "platform/clock.h"
#include "platform/error.h"

#define SOURCES_MAX 16
#define TIMELINE_LIMIT_MAX 200

static int household_events_fetch(struct ctx *c, int64_t hid, const struct timeline_window *w, json_t *out);

static const struct timeline_source builtin = { "household", household_events_fetch };
static const struct timeline_source *sources[SOURCES_MAX] = { &builtin };
static size_t nsources = 1;

void household_timeline_register(const struct timeline_source *src)
{
	for (size_t i = 0; i < nsources; i++)
		if (!strcmp(sources[i]->name, src->name)) {
			sources[i] = src;
			return;
		}
	if (nsources == SOURCES_MAX) {
		fprintf(stderr, "zhilian: too many timeline sources; \"%s\" not registered\n", src->name);
		return;
	}
	sources[nsources++] = src;
}

/* The built-in source: household_event rows. */
static int household_events_fetch(struct ctx *c, int64_t hid, const struct timeline_window *w, json_t *out)
{
	struct db_stmt *st = NULL;
	int rc = db_prepare(c->db,
			    w->before_at
				    ? "SELECT id, at, user_id, kind, summary_zh, summary_en, data_json"
				      " FROM household_event WHERE household_id = ?"
				      " AND (at < ? OR (at = ? AND id < ?)) ORDER BY at DESC, id DESC LIMIT ?"
				    : "SELECT id, at, user_id, kind, summary_zh, summary_en, data_json"
				      " FROM household_event WHERE household_id = ?"
				      " ORDER BY at DESC, id DESC LIMIT ?",
			    &st);
	if (rc)
		return rc;
	if (w->before_at)
		db_bindv(st, "ittii", hid, w->before_at, w->before_at, w->before_id, (int64_t)w->limit);
	else
		db_bindv(st, "ii", hid, (int64_t)w->limit);
	while ((rc = db_step(st)) == 1) {
		const char *dj = db_col_text(st, 6);
		json_t *data = dj ? json_loads(dj, 0, NULL) : NULL;
		json_t *o = json_pack("{s:I,s:s,s:s,s:s,s:s}", "id", (json_int_t)db_col_int(st, 0), "at",
				      db_col_text(st, 1), "kind", db_col_text(st, 3), "summary_zh",
				      db_col_text(st, 4), "summary_en", db_col_text(st, 5));
		if (!db_col_isnull(st, 2))
			json_object_set_new(o, "user_id", json_integer(db_col_int(st, 2)));
		if (data)
			json_object_set_new(o, "data", data);
		json_array_append_new(out, o);
	}
	db_done(st);
	return rc < 0 ? rc : 0;
}

/* ---- cursor: "<at>~<source>~<id>", base64url ---- */

static char *cursor_new(const char *at, const char *source, int64_t id)
{
	char *raw = xasprintf("%s~%s~%" PRId64, at, source, id);
	char *s = b64url_new((const unsigned char *)raw, strlen(raw));
	free(raw);
	return s;
}

struct tcursor {
	char at[ZL_TIME_MAX];
	char source[32];
	int64_t id;
};

static int cursor_parse(const char *s, struct tcursor *cur)
{
	unsigned char raw[160];
	size_t n = 0;
	char *a, *b;
	int64_t us;
	if (strlen(s) > 200 ||
	    sodium_base642bin(raw, sizeof(raw) - 1, s, strlen(s), NULL, &n, NULL,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		return -1;
	raw[n] = '\0';
	a = strchr((char *)raw, '~');
	b = a ? strchr(a + 1, '~') : NULL;
	if (!a || !b || (size_t)(a - (char *)raw) >= sizeof(cur->at) || (size_t)(b - a - 1) >= sizeof(cur->source))
		return -1;
	*a = *b = '\0';
	/* lengths checked above */
	memcpy(cur->at, raw, (size_t)(a - (char *)raw) + 1);
	memcpy(cur->source, a + 1, (size_t)(b - a));
	if (time_parse(cur->at, &us) != 0 || parse_int64(b + 1, &cur->id) != 0 || cur->id < 0)
		return -1;
	return 0;
}

/* ---- merge ---- */

struct titem {
	const char *at, *source;
	int64_t id;
	json_t *o;
};

/* Newest first: by time, then source name, then id, all descending. */
static int titem_cmp(const void *pa, const void *pb)
{
	const struct titem *a = pa, *b = pb;
	int r = strcmp(b->at, a->at);
	if (!r)
		r = strcmp(b->source, a->source);
	if (!r)
		r = (b->id > a->id) - (b->id < a->id);
	return r;
}

/* Adds "source", "at" in display form, "summary" and "user". */
static json_t *titem_render(struct ctx *c, const struct titem *t)
{
	json_t *o = json_deep_copy(t->o), *user = json_null();
	json_t *uid = json_object_get(o, "user_id");
	const char *zh = json_string_value(json_object_get(o, "summary_zh"));
	const char *en = json_string_value(json_object_get(o, "summary_en"));
	if (json_is_integer(uid)) {
		char *name = NULL;
		if (db_get_text(c->db, &name, "SELECT display_name FROM app_user WHERE id = ?", "i",
				(int64_t)json_integer_value(uid)) == 1 && name) {
			json_decref(user);
			user = json_pack("{s:I,s:s}", "id", json_integer_value(uid), "display_name", name);
		}
		free(name);
	}
	json_object_del(o, "user_id");
	json_object_set_new(o, "user", user);
	json_object_set_new(o, "source", json_string(t->source));
	json_object_set_new(o, "at", hh_time_json(t->at));
	json_object_set_new(o, "summary", json_string(c->lang == LANG_EN ? (en ? en : "") : (zh ? zh : "")));
	if (!json_object_get(o, "data"))
		json_object_set_new(o, "data", json_null());
	return o;
}

int household_timeline(struct ctx *c, int64_t hid, const char *cursor, int limit, json_t **items,
		       char **next)
{
	struct tcursor cur;
	json_t *all = json_array();
	struct titem *ts = NULL;
	size_t n = 0, i;
	json_t *o;
	int rc;

	*items = NULL;
	*next = NULL;
	if (limit < 1 || limit > TIMELINE_LIMIT_MAX) {
		hh_ferr(c, "limit", "“%s”应为 1 到 200 之间的整数", "'%s' must be an integer from 1 to 200");
		json_decref(all);
		return ZL_E_VALIDATION;
	}
	if (cursor && *cursor && cursor_parse(cursor, &cur) != 0) {
		hh_ferr(c, "cursor", "“%s”无效，请使用上一页返回的 next_cursor",
			"'%s' is invalid; use the next_cursor of the previous page");
		json_decref(all);
		return ZL_E_VALIDATION;
	}
	rc = hh_check(c, hid);
	for (size_t s = 0; !rc && s < nsources; s++) {
		struct timeline_window w = { NULL, 0, limit + 1 };
		json_t *part = json_array();
		if (cursor && *cursor) {
			int cmp = strcmp(sources[s]->name, cur.source);
			/* items at the cursor's very time: a source sorting before
			 * the cursor's keeps them all, the cursor's own keeps
			 * lower ids, one sorting after keeps none */
			w.before_at = cur.at;
			w.before_id = cmp < 0 ? INT64_MAX : cmp == 0 ? cur.id : 0;
		}
		rc = sources[s]->fetch(c, hid, &w, part);
		json_array_foreach(part, i, o) {
			if ((int)i > limit)
				break;
			json_object_set_new(o, "source", json_string(sources[s]->name));
			json_array_append(all, o);
		}
		json_decref(part);
	}
	if (rc)
		goto out;
	n = json_array_size(all);
	ts = xcalloc(n + 1, sizeof(*ts));
	json_array_foreach(all, i, o) {
		ts[i].at = json_string_value(json_object_get(o, "at"));
		ts[i].source = json_string_value(json_object_get(o, "source"));
		ts[i].id = json_integer_value(json_object_get(o, "id"));
		ts[i].o = o;
		if (!ts[i].at)
			ts[i].at = "";
	}
	qsort(ts, n, sizeof(*ts), titem_cmp);
	*items = json_array();
	for (i = 0; i < n && (int)i < limit; i++)
		json_array_append_new(*items, titem_render(c, &ts[i]));
	if (n > (size_t)limit)
		*next = cursor_new(ts[limit - 1].at, ts[limit - 1].source, ts[limit - 1].id);
out:
	free(ts);
	json_decref(all);
	return rc;
}
