/*
 * apikeys.c: the API keys of Open311 clients: create (the key shown once,
 * only its BLAKE2b hash kept), list, revoke, the check a POST makes, the
 * per-key rate limit in memory, the /api/v1/apikeys routes and the CLI.
 */
#include <inttypes.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "open311_int.h"
#include "platform/audit.h"
#include "platform/cli.h"
#include "platform/clock.h"
#include "platform/db.h"

#define KEY_PREFIX "o311_"
#define KEY_RANDOM 24
#define KEY_SHOWN 10 /* "o311_" and 5 more characters */

static void key_hash(const char *key, char out[65])
{
	unsigned char h[32];
	crypto_generichash(h, sizeof(h), (const unsigned char *)key, strlen(key), NULL, 0);
	hex_encode(h, sizeof(h), out);
}

#define KEY_COLS "id, name, prefix, created_by, created_at, revoked_at, last_used_at, rate_per_minute"

json_t *o311_local_time(const char *utc)
{
	int64_t us;
	char out[ZL_TIME_MAX];
	if (!utc || time_parse(utc, &us))
		return json_null();
	time_format_local(us, out);
	return json_string(out);
}

static json_t *key_row(struct db_stmt *st)
{
	return json_pack("{s:I,s:s,s:s,s:o,s:o,s:o,s:o,s:I}", "id", (json_int_t)db_col_int(st, 0), "name",
			 db_col_text(st, 1), "prefix", db_col_text(st, 2), "created_by",
			 db_col_isnull(st, 3) ? json_null() : json_integer(db_col_int(st, 3)), "created_at",
			 o311_local_time(db_col_text(st, 4)), "revoked_at", o311_local_time(db_col_text(st, 5)),
			 "last_used_at", o311_local_time(db_col_text(st, 6)), "rate_per_minute",
			 (json_int_t)db_col_int(st, 7));
}

static int key_load(struct ctx *c, int64_t id, json_t **out)
{
	struct db_stmt *st;
	int rc = db_prepare(c->db, "SELECT " KEY_COLS " FROM open311_key WHERE id = ?", &st);
	if (rc)
		return rc;
	db_bindv(st, "i", id);
	rc = db_step(st);
	if (rc == 1)
		*out = key_row(st);
	db_done(st);
	return rc == 1 ? 0 : rc < 0 ? rc : ZL_E_NOT_FOUND;
}

int apikey_create(struct ctx *c, const json_t *in, json_t **out)
{
	const char *name = NULL;
	json_t *jr = json_object_get(in, "rate_per_minute");
	int64_t rate = 60;
	unsigned char rnd[KEY_RANDOM];
	char hex[KEY_RANDOM * 2 + 1], key[sizeof(KEY_PREFIX) + sizeof(hex)], hash[65], prefix[KEY_SHOWN + 1];
	char now[ZL_TIME_MAX], ids[24];
	json_t *after;
	int rc;

	*out = NULL;
	if ((rc = json_opt_string(c, in, "name", &name)))
		return rc;
	if (!name || !*name)
		verr_required(c, "name");
	else if (utf8_len(name) < 1 || utf8_len(name) > 64)
		verr_add(&c->errs, "name", "名称应为 1-64 个字符", "'name' must be 1-64 characters");
	if (jr && !json_is_null(jr)) {
		if (!json_is_integer(jr) || json_integer_value(jr) < 1 || json_integer_value(jr) > 10000)
			verr_add(&c->errs, "rate_per_minute", "每分钟限额应为 1-10000 的整数",
				 "'rate_per_minute' must be an integer from 1 to 10000");
		else
			rate = json_integer_value(jr);
	}
	if (c->errs.n)
		return ZL_E_VALIDATION;
	randombytes_buf(rnd, sizeof(rnd));
	hex_encode(rnd, sizeof(rnd), hex);
	snprintf(key, sizeof(key), "%s%s", KEY_PREFIX, hex);
	memcpy(prefix, key, KEY_SHOWN);
	prefix[KEY_SHOWN] = '\0';
	key_hash(key, hash);
	time_format_utc(clock_now(), now);
	rc = db_run(c->db, "INSERT INTO open311_key(name, key_hash, prefix, created_by, created_at, rate_per_minute) "
			   "VALUES (?, ?, ?, NULLIF(?, 0), ?, ?)", "tttiti", name, hash, prefix, c->actor.user_id, now, rate);
	if (rc)
		return rc;
	int64_t id = db_last_id(c->db);
	if ((rc = key_load(c, id, &after)))
		return rc;
	snprintf(ids, sizeof(ids), "%" PRId64, id);
	if ((rc = audit_log(c, "apikey.create", "open311_key", ids, NULL, after))) {
		json_decref(after);
		return rc;
	}
	json_object_set_new(after, "key", json_string(key));
	*out = after;
	return 0;
}

int apikey_list(struct ctx *c, json_t **items)
{
	struct db_stmt *st;
	int rc = db_prepare(c->db, "SELECT " KEY_COLS " FROM open311_key ORDER BY id DESC", &st);
	if (rc)
		return rc;
	*items = json_array();
	while ((rc = db_step(st)) == 1)
		json_array_append_new(*items, key_row(st));
	db_done(st);
	if (rc < 0) {
		json_decref(*items);
		*items = NULL;
		return rc;
	}
	return 0;
}

int apikey_revoke(struct ctx *c, int64_t id)
{
	json_t *before = NULL, *after = NULL;
	char now[ZL_TIME_MAX], ids[24];
	int rc = key_load(c, id, &before);
	if (rc)
		return rc;
	if (!json_is_null(json_object_get(before, "revoked_at"))) {
		json_decref(before);
		return ZL_E_CONFLICT;
	}
	time_format_utc(clock_now(), now);
	rc = db_run(c->db, "UPDATE open311_key SET revoked_at = ? WHERE id = ?", "ti", now, id);
	if (!rc)
		rc = key_load(c, id, &after);
	snprintf(ids, sizeof(ids), "%" PRId64, id);
	if (!rc)
		rc = audit_log(c, "apikey.revoke", "open311_key", ids, before, after);
	json_decref(before);
	json_decref(after);
	return rc;
}

int apikey_check(struct ctx *c, const char *key, int64_t *id, int64_t *rate)
{
	char hash[65], now[ZL_TIME_MAX];
	struct db_stmt *st;
	int rc;
	if (!key || strncmp(key, KEY_PREFIX, strlen(KEY_PREFIX)) || strlen(key) > 128)
		return ZL_E_FORBIDDEN;
	key_hash(key, hash);
	if ((rc = db_prepare(c->db, "SELECT id, rate_per_minute FROM open311_key WHERE key_hash = ? AND revoked_at IS NULL",
			     &st)))
		return rc;
	db_bindv(st, "t", hash);
	rc = db_step(st);
	if (rc == 1) {
		*id = db_col_int(st, 0);
		*rate = db_col_int(st, 1);
	}
	db_done(st);
	if (rc != 1)
		return rc < 0 ? rc : ZL_E_FORBIDDEN;
	time_format_utc(clock_now(), now);
	return db_run(c->db, "UPDATE open311_key SET last_used_at = ? WHERE id = ?", "ti", now, *id);
}

/* ---- rate limit: one fixed one-minute window per key ---- */

#define RATE_SLOTS 256
static struct {
	int64_t id, window, count;
} rate_slot[RATE_SLOTS];
static pthread_mutex_t rate_lock = PTHREAD_MUTEX_INITIALIZER;

int apikey_rate_take(int64_t id, int64_t per_minute)
{
	int64_t window = clock_now() / (60 * (int64_t)1000000);
	size_t i = (size_t)id % RATE_SLOTS;
	int rc = 0;
	pthread_mutex_lock(&rate_lock);
	if (rate_slot[i].id != id || rate_slot[i].window != window) {
		rate_slot[i].id = id;
		rate_slot[i].window = window;
		rate_slot[i].count = 0;
	}
	if (rate_slot[i].count >= per_minute)
		rc = ZL_E_RATE_LIMITED;
	else
		rate_slot[i].count++;
	pthread_mutex_unlock(&rate_lock);
	return rc;
}

/* ---- /api/v1/apikeys ---- */

int apikey_h_list(struct req *r, struct resp *w)
{
	json_t *items = NULL;
	int rc = apikey_list(&r->ctx, &items);
	if (rc)
		return rc;
	resp_json(w, 200, page_result(items, 0));
	return 0;
}

int apikey_h_create(struct req *r, struct resp *w)
{
	json_t *in, *out = NULL;
	int rc = req_json(r, &in);
	if (rc || (rc = apikey_create(&r->ctx, in, &out)))
		return rc;
	resp_created_id(w, out, "/api/v1/apikeys/");
	return 0;
}

int apikey_h_revoke(struct req *r, struct resp *w)
{
	int64_t id;
	int rc = req_param_id(r, "id", &id);
	if (rc || (rc = apikey_revoke(&r->ctx, id)))
		return rc;
	resp_no_content(w);
	return 0;
}

/* ---- CLI ---- */

static const char apikey_help[] =
	"usage: zhilian apikey add NAME [--rate N] [--db FILE]\n"
	"       zhilian apikey list [--db FILE]\n"
	"       zhilian apikey revoke ID [--db FILE]\n"
	"Open311 API keys. `add` prints the new key on its last line (shown once);\n"
	"--rate is the requests allowed per minute (default 60). --db defaults to\n"
	"$ZHILIAN_DB or zhilian.db.\n";

struct cli_arg {
	const char *name, *rate;
	int64_t id;
	json_t *out;
};

static int cli_add(struct ctx *c, void *p)
{
	struct cli_arg *a = p;
	json_t *in = json_pack("{s:s}", "name", a->name);
	int64_t rate;
	if (a->rate) {
		if (parse_int64(a->rate, &rate))
			rate = -1;
		json_object_set_new(in, "rate_per_minute", json_integer(rate));
	}
	int rc = apikey_create(c, in, &a->out);
	json_decref(in);
	return rc;
}

static int cli_list(struct ctx *c, void *p)
{
	return apikey_list(c, &((struct cli_arg *)p)->out);
}

static int cli_revoke(struct ctx *c, void *p)
{
	return apikey_revoke(c, ((struct cli_arg *)p)->id);
}

static const char *text_or(const json_t *o, const char *field, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, field));
	return s ? s : dflt;
}

int apikey_cli(int argc, char **argv)
{
	struct opt opts[] = { { "--db", 1, NULL, 0 }, { "--rate", 1, NULL, 0 } };
	struct args a = { "apikey", opts, ARRAY_SIZE(opts), { 0 }, 0 };
	struct cli_arg ca = { 0 };
	struct db *db = NULL;
	int rc = parse_args(&a, argc, argv, 2);
	if (rc == 1)
		return fputs(apikey_help, stdout), 0;
	if (rc)
		return rc;
	if (a.npos == 0)
		return usage_error("apikey", "missing the action: add NAME, list or revoke ID");
	const char *act = a.pos[0];
	if (!strcmp(act, "add")) {
		if (a.npos != 2)
			return usage_error("apikey", "\"add\" needs the key's NAME, e.g. zhilian apikey add fixmystreet");
		ca.name = a.pos[1];
		ca.rate = opt_value(&a, "--rate");
	} else if (!strcmp(act, "revoke")) {
		if (a.npos != 2 || parse_int64(a.pos[1], &ca.id) || ca.id <= 0)
			return usage_error("apikey", "\"revoke\" needs the key's numeric ID (see zhilian apikey list)");
	} else if (strcmp(act, "list") || a.npos != 1) {
		return usage_error("apikey", "unknown action \"%s\": use add NAME, list or revoke ID", act);
	}
	if (open_db("apikey", db_path_of(&a), 1, &db))
		return 1;
	rc = with_tx("apikey", db, !strcmp(act, "add") ? cli_add : !strcmp(act, "list") ? cli_list : cli_revoke, &ca);
	db_close(db);
	if (rc) {
		json_decref(ca.out);
		return 1;
	}
	if (!strcmp(act, "add")) {
		printf("API key %s (id %" JSON_INTEGER_FORMAT ", %" JSON_INTEGER_FORMAT " requests a minute); "
		       "it is shown only now:\n%s\n",
		       text_or(ca.out, "name", ""), json_integer_value(json_object_get(ca.out, "id")),
		       json_integer_value(json_object_get(ca.out, "rate_per_minute")), text_or(ca.out, "key", ""));
	} else if (!strcmp(act, "list")) {
		size_t i;
		json_t *k;
		printf("%-5s %-24s %-11s %-6s %-25s %s\n", "ID", "NAME", "PREFIX", "RATE", "LAST USED", "REVOKED");
		json_array_foreach(ca.out, i, k)
			printf("%-5" JSON_INTEGER_FORMAT " %-24s %-11s %-6" JSON_INTEGER_FORMAT " %-25s %s\n",
			       json_integer_value(json_object_get(k, "id")), text_or(k, "name", ""),
			       text_or(k, "prefix", ""), json_integer_value(json_object_get(k, "rate_per_minute")),
			       text_or(k, "last_used_at", "-"), text_or(k, "revoked_at", "-"));
	} else {
		printf("revoked API key %" PRId64 "\n", ca.id);
	}
	json_decref(ca.out);
	return 0;
}
