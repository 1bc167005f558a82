/*
 * audit.c: the append-only, hash-chained audit log: appending a row inside
 * the caller's transaction, verifying the chain, and GET /api/v1/audit for
 * reading it newest first.
 */
#include <sodium.h>

#include "audit.h"
#include "clock.h"
#include "db.h"
#include "error.h"
#include "http.h"

#define AUDIT_HASH_HEX (crypto_hash_sha256_BYTES * 2)

static const char zero_hash[AUDIT_HASH_HEX + 1] =
	"0000000000000000000000000000000000000000000000000000000000000000";

/* One row as hashed: every field that a reader would trust. */
struct audit_row {
	int64_t id;
	const char *at;
	const char *user_id; /* decimal text, NULL for the system */
	const char *username;
	const char *addr;
	const char *request_id;
	const char *action;
	const char *entity;
	const char *entity_id;
	const char *before;
	const char *after;
	const char *prev_hash;
};

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;

static void sodium_start(void)
{
	if (sodium_init() < 0) {
		fprintf(stderr, "zhilian: libsodium cannot be initialised\n");
		abort();
	}
}

/*
 * Each field is encoded as "<length>:<bytes>;" and SQL NULL as "-;", after a
 * version tag, so that no two different rows share an encoding: moving
 * bytes between neighbouring fields, or turning NULL into "", changes it.
 */
static void hash_field(crypto_hash_sha256_state *h, const char *s)
{
	char len[32];
	int n;

	if (!s) {
		crypto_hash_sha256_update(h, (const unsigned char *)"-;", 2);
		return;
	}
	n = snprintf(len, sizeof(len), "%zu:", strlen(s));
	crypto_hash_sha256_update(h, (const unsigned char *)len, (unsigned long long)n);
	crypto_hash_sha256_update(h, (const unsigned char *)s, strlen(s));
	crypto_hash_sha256_update(h, (const unsigned char *)";", 1);
}

static void row_hash(const struct audit_row *r, char out[AUDIT_HASH_HEX + 1])
{
	static const char tag[] = "zhilian-audit-v1;";
	unsigned char md[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_state h;
	char id[32];

	pthread_once(&sodium_once, sodium_start);
	snprintf(id, sizeof(id), "%" PRId64, r->id);
	crypto_hash_sha256_init(&h);
	crypto_hash_sha256_update(&h, (const unsigned char *)tag, sizeof(tag) - 1);
	hash_field(&h, id);
	hash_field(&h, r->at);
	hash_field(&h, r->user_id);
	hash_field(&h, r->username);
	hash_field(&h, r->addr);
	hash_field(&h, r->request_id);
	hash_field(&h, r->action);
	hash_field(&h, r->entity);
	hash_field(&h, r->entity_id);
	hash_field(&h, r->before);
	hash_field(&h, r->after);
	hash_field(&h, r->prev_hash);
	crypto_hash_sha256_final(&h, md);
	hex_encode(md, sizeof(md), out);
}

static char *dump_json(const json_t *j)
{
	return j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
}

int audit_log(struct ctx *c, const char *action, const char *entity, const char *entity_id,
	      const json_t *before, const json_t *after)
{
	struct audit_row row = { 0 };
	struct db_stmt *st = NULL;
	char prev[AUDIT_HASH_HEX + 1], hash[AUDIT_HASH_HEX + 1], at[ZL_TIME_MAX], uid[32];
	char *bj = NULL, *aj = NULL;
	int64_t prev_id = 0;
	int ret;

	if (!c || !c->db || !action || !entity) {
		ret = ZL_E_INTERNAL;
		goto out;
	}
	/* the chain must grow under the write lock, or two rows share a parent */
	if (!db_in_tx(c->db)) {
		fprintf(stderr, "zhilian: audit_log(\"%s\") called outside a transaction\n", action);
		ret = ZL_E_INTERNAL;
		goto out;
	}
	snprintf(prev, sizeof(prev), "%s", zero_hash);
	ret = db_prepare(c->db, "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1", &st);
	if (ret)
		goto out;
	ret = db_step(st);
	if (ret < 0)
		goto out;
	if (ret == 1) {
		const char *h = db_col_text(st, 1);

		prev_id = db_col_int(st, 0);
		snprintf(prev, sizeof(prev), "%s", h ? h : "");
	}
	db_done(st);
	st = NULL;

	if ((before && !(bj = dump_json(before))) || (after && !(aj = dump_json(after)))) {
		ret = ZL_E_INTERNAL;
		goto out;
	}
	time_format_utc(clock_now(), at);
	row.id = prev_id + 1;
	row.at = at;
	if (c->actor.user_id) {
		snprintf(uid, sizeof(uid), "%" PRId64, c->actor.user_id);
		row.user_id = uid;
		row.username = c->actor.username;
	} else {
		row.username = "system";
	}
	row.addr = c->addr;
	row.request_id = c->request_id;
	row.action = action;
	row.entity = entity;
	row.entity_id = entity_id;
	row.before = bj;
	row.after = aj;
	row.prev_hash = prev;
	row_hash(&row, hash);

	ret = db_prepare(c->db,
			 "INSERT INTO audit_log(id, at, user_id, username, addr, request_id, action, "
			 "entity, entity_id, before_json, after_json, prev_hash, hash) "
			 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &st);
	if (ret)
		goto out;
	db_bind_int(st, 1, row.id);
	db_bind_text(st, 2, row.at);
	if (c->actor.user_id)
		db_bind_int(st, 3, c->actor.user_id);
	else
		db_bind_null(st, 3);
	db_bind_text(st, 4, row.username);
	db_bind_text(st, 5, row.addr);
	db_bind_text(st, 6, row.request_id);
	db_bind_text(st, 7, row.action);
	db_bind_text(st, 8, row.entity);
	db_bind_text(st, 9, row.entity_id);
	db_bind_text(st, 10, row.before);
	db_bind_text(st, 11, row.after);
	db_bind_text(st, 12, row.prev_hash);
	db_bind_text(st, 13, hash);
	ret = db_step(st);
	if (ret > 0)
		ret = 0;
out:
	db_done(st);
	free(bj);
	free(aj);
	return ret;
}

int audit_verify(struct db *db, int64_t *bad_id, int64_t *checked)
{
	struct db_stmt *st = NULL;
	char prev[AUDIT_HASH_HEX + 1], hash[AUDIT_HASH_HEX + 1], uid[32];
	int64_t n = 0, bad = 0;
	int ret, began = 0;

	if (bad_id)
		*bad_id = 0;
	if (checked)
		*checked = 0;
	/* one snapshot, so rows appended meanwhile are not half seen */
	if (!db_in_tx(db)) {
		ret = db_begin_read(db);
		if (ret)
			goto out;
		began = 1;
	}
	ret = db_prepare(db,
			 "SELECT id, at, user_id, username, addr, request_id, action, entity, entity_id, "
			 "before_json, after_json, prev_hash, hash FROM audit_log ORDER BY id", &st);
	if (ret)
		goto out;
	snprintf(prev, sizeof(prev), "%s", zero_hash);
	while ((ret = db_step(st)) == 1) {
		struct audit_row row;
		const char *stored_prev, *stored_hash;

		n++;
		row.id = db_col_int(st, 0);
		row.at = db_col_text(st, 1);
		row.user_id = NULL;
		if (!db_col_isnull(st, 2)) {
			snprintf(uid, sizeof(uid), "%" PRId64, db_col_int(st, 2));
			row.user_id = uid;
		}
		row.username = db_col_text(st, 3);
		row.addr = db_col_text(st, 4);
		row.request_id = db_col_text(st, 5);
		row.action = db_col_text(st, 6);
		row.entity = db_col_text(st, 7);
		row.entity_id = db_col_text(st, 8);
		row.before = db_col_text(st, 9);
		row.after = db_col_text(st, 10);
		stored_prev = db_col_text(st, 11);
		stored_hash = db_col_text(st, 12);
		/* hash what the row claims as its parent; compare with the real one below */
		row.prev_hash = stored_prev;
		row_hash(&row, hash);
		if (!stored_prev || strcmp(stored_prev, prev) || !stored_hash || strcmp(stored_hash, hash)) {
			bad = row.id;
			break;
		}
		memcpy(prev, hash, sizeof(prev));
	}
	if (ret < 0)
		goto out;
	ret = bad ? ZL_E_INTEGRITY : 0;
out:
	db_done(st);
	if (began)
		db_rollback(db); /* read only: ends the snapshot */
	if (bad_id)
		*bad_id = bad;
	if (checked)
		*checked = n;
	return ret;
}

/* ---- GET /api/v1/audit ---- */

struct audit_filter {
	int64_t user_id;     /* 0: any */
	const char *entity;  /* NULL: any */
	const char *action;
	char from[ZL_TIME_MAX]; /* storage form, "" for none; inclusive */
	char to[ZL_TIME_MAX];
};

static json_t *json_text_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *item_json(struct db_stmt *st)
{
	json_t *o = json_object(), *j;
	const char *at = db_col_text(st, 1);
	char shown[ZL_TIME_MAX];
	int64_t us;
	int col;

	json_object_set_new(o, "id", json_integer(db_col_int(st, 0)));
	if (at && !time_parse(at, &us)) {
		time_format_local(us, shown);
		json_object_set_new(o, "at", json_string(shown));
	} else {
		json_object_set_new(o, "at", json_text_or_null(at));
	}
	json_object_set_new(o, "user_id",
			    db_col_isnull(st, 2) ? json_null() : json_integer(db_col_int(st, 2)));
	json_object_set_new(o, "username", json_text_or_null(db_col_text(st, 3)));
	json_object_set_new(o, "addr", json_text_or_null(db_col_text(st, 4)));
	json_object_set_new(o, "request_id", json_text_or_null(db_col_text(st, 5)));
	json_object_set_new(o, "action", json_text_or_null(db_col_text(st, 6)));
	json_object_set_new(o, "entity", json_text_or_null(db_col_text(st, 7)));
	json_object_set_new(o, "entity_id", json_text_or_null(db_col_text(st, 8)));
	for (col = 9; col <= 10; col++) {
		const char *text = db_col_text(st, col);

		j = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
		json_object_set_new(o, col == 9 ? "before" : "after", j ? j : json_null());
	}
	json_object_set_new(o, "hash", json_text_or_null(db_col_text(st, 11)));
	return o;
}

/* Rows matching f with id below pg->after (if set), newest first. *items is
 * new; *next is the cursor of the following page, 0 if none. */
static int audit_query(struct db *db, const struct audit_filter *f, const struct page *pg,
		       json_t **items, int64_t *next)
{
	struct buf sql = BUF_INIT;
	struct db_stmt *st = NULL;
	json_t *arr = json_array();
	int64_t last = 0;
	int ret, i = 1, n = 0;

	*items = NULL;
	*next = 0;
	buf_adds(&sql, "SELECT id, at, user_id, username, addr, request_id, action, entity, entity_id, "
		       "before_json, after_json, hash FROM audit_log WHERE 1 = 1");
	if (pg->after > 0)
		buf_adds(&sql, " AND id < ?");
	if (f->user_id)
		buf_adds(&sql, " AND user_id = ?");
	if (f->entity)
		buf_adds(&sql, " AND entity = ?");
	if (f->action)
		buf_adds(&sql, " AND action = ?");
	if (f->from[0])
		buf_adds(&sql, " AND at >= ?");
	if (f->to[0])
		buf_adds(&sql, " AND at <= ?");
	buf_adds(&sql, " ORDER BY id DESC LIMIT ?");
	ret = db_prepare(db, sql.data, &st);
	if (ret)
		goto out;
	if (pg->after > 0)
		db_bind_int(st, i++, pg->after);
	if (f->user_id)
		db_bind_int(st, i++, f->user_id);
	if (f->entity)
		db_bind_text(st, i++, f->entity);
	if (f->action)
		db_bind_text(st, i++, f->action);
	if (f->from[0])
		db_bind_text(st, i++, f->from);
	if (f->to[0])
		db_bind_text(st, i++, f->to);
	db_bind_int(st, i, (int64_t)pg->limit + 1); /* one more tells if a next page exists */
	while ((ret = db_step(st)) == 1) {
		if (n == pg->limit) {
			*next = last;
			break;
		}
		last = db_col_int(st, 0);
		json_array_append_new(arr, item_json(st));
		n++;
	}
	if (ret < 0)
		goto out;
	*items = arr;
	arr = NULL;
	ret = 0;
out:
	db_done(st);
	json_decref(arr);
	buf_release(&sql);
	return ret;
}

static int parse_time_arg(struct ctx *c, const char *name, const char *v, char out[ZL_TIME_MAX])
{
	char zh[128], en[128];
	int64_t us;

	out[0] = '\0';
	if (!v || !*v)
		return 0;
	if (!time_parse(v, &us)) {
		time_format_utc(us, out);
		return 0;
	}
	snprintf(zh, sizeof(zh), "“%s”应为 RFC 3339 时间，例如 2026-03-02T09:00:00+08:00", name);
	snprintf(en, sizeof(en), "'%s' must be an rfc 3339 time such as 2026-03-02T09:00:00+08:00", name);
	verr_add(&c->errs, name, zh, en);
	return ZL_E_VALIDATION;
}

static int audit_list(struct req *r, struct resp *w)
{
	struct ctx *c = &r->ctx;
	struct audit_filter f = { 0 };
	struct page pg;
	json_t *items = NULL;
	const char *v;
	int64_t next = 0;
	int ret, bad = 0;

	ret = req_page(r, &pg);
	if (ret == ZL_E_VALIDATION)
		bad = 1; /* go on, so that every bad argument is reported at once */
	else if (ret)
		return ret;
	v = req_query(r, "user");
	if (v && *v && (parse_int64(v, &f.user_id) || f.user_id <= 0)) {
		verr_add(&c->errs, "user", "“user”应为用户编号（正整数）",
			 "'user' must be a user id (a positive integer)");
		f.user_id = 0;
		bad = 1;
	}
	v = req_query(r, "entity");
	f.entity = v && *v ? v : NULL;
	v = req_query(r, "action");
	f.action = v && *v ? v : NULL;
	if (parse_time_arg(c, "from", req_query(r, "from"), f.from))
		bad = 1;
	if (parse_time_arg(c, "to", req_query(r, "to"), f.to))
		bad = 1;
	if (f.from[0] && f.to[0] && strcmp(f.from, f.to) > 0) {
		verr_add(&c->errs, "to", "“to”不能早于“from”", "'to' must not be earlier than 'from'");
		bad = 1;
	}
	if (bad)
		return ZL_E_VALIDATION;
	ret = audit_query(c->db, &f, &pg, &items, &next);
	if (ret)
		return ret;
	resp_json(w, 200, page_result(items, next));
	return 0;
}

/* The audit log is read here and written only through audit_log(). */
static const struct route routes[] = {
	{ "GET", "/api/v1/audit", audit_list, "audit.read", 0 },
};
ROUTE_TABLE(audit_routes, "audit", routes);
