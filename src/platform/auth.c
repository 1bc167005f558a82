/*
 * auth.c: who is calling and what they may do. Passwords (argon2id), sign-in
 * with lockout and a per-address rate limit, cookie sessions with idle and
 * absolute timeouts, bearer API tokens, and the one permission table.
 */
#include <jansson.h>
#include <sodium.h>

#include "util.h"
#include "audit.h"
#include "auth.h"
#include "clock.h"
#include "ctx.h"
#include "db.h"
#include "error.h"
#include "http.h"

#define SHA256_HEX (crypto_hash_sha256_BYTES * 2 + 1)
#define AUTH_SECRET_BYTES 32
#define AUTH_TOUCH_SEC 60      /* last_seen_at / last_used_at written at most this often */
#define PASSWORD_MIN_CHARS 10
#define PASSWORD_MAX_CHARS 256
#define TOKEN_PREFIX "zl_"
#define TOKEN_PREFIX_SHOWN 10  /* "zl_" and 7 characters, to recognise a token */
#define TOKEN_NAME_MAX 64

/* ---- libsodium ---- */

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;

static void sodium_setup(void)
{
	if (sodium_init() < 0) {
		fprintf(stderr, "zhilian: libsodium cannot be initialised\n");
		abort();
	}
}

static void sodium_ready(void)
{
	pthread_once(&sodium_once, sodium_setup);
}

static void sha256_hex(const char *s, char out[SHA256_HEX])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	sodium_ready();
	crypto_hash_sha256(h, (const unsigned char *)s, strlen(s));
	hex_encode(h, sizeof(h), out);
}

/* A new random secret: n random bytes, base64url without padding. */
static char *random_secret_new(size_t n)
{
	unsigned char raw[64];
	sodium_ready();
	if (n > sizeof(raw))
		n = sizeof(raw);
	randombytes_buf(raw, n);
	char *s = b64url_new(raw, n);
	sodium_memzero(raw, sizeof(raw));
	return s;
}

/* ---- small shared helpers ---- */

/* A stored UTC time as display text, or JSON null. */
static json_t *json_time(const char *stored)
{
	int64_t us;
	char out[ZL_TIME_MAX];
	if (!stored || time_parse(stored, &us) < 0)
		return json_null();
	time_format_local(us, out);
	return json_string(out);
}

/* ---- passwords ---- */

int password_check_rules(const char *username, const char *password, struct verr *v,
			 const char *field)
{
	int bad = 0;
	long n = password ? utf8_len(password) : 0;
	if (!field)
		field = "password";
	if (n < 0) {
		if (v)
			verr_add(v, field, "密码不是有效的 UTF-8 文本", "password is not valid utf-8");
		return ZL_E_AUTH_PASSWORD_RULE;
	}
	if (n < PASSWORD_MIN_CHARS) {
		if (v)
			verr_add(v, field, "密码至少需要 10 个字符", "password must be at least 10 characters");
		bad = 1;
	} else if (n > PASSWORD_MAX_CHARS) {
		if (v)
			verr_add(v, field, "密码不能超过 256 个字符", "password must be at most 256 characters");
		bad = 1;
	}
	/* Usernames are ASCII, so ASCII case folding is enough. */
	if (password && username && *username && strcasestr(password, username)) {
		if (v)
			verr_add(v, field, "密码不能包含用户名", "password must not contain the username");
		bad = 1;
	}
	return bad ? ZL_E_AUTH_PASSWORD_RULE : 0;
}

int password_hash(const char *password, char **out)
{
	char h[crypto_pwhash_STRBYTES];
	*out = NULL;
	sodium_ready();
	if (!password)
		return ZL_E_INTERNAL;
	if (crypto_pwhash_str(h, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
		fprintf(stderr, "zhilian: password hashing ran out of memory\n");
		return ZL_E_INTERNAL;
	}
	*out = xstrdup(h);
	return 0;
}

int password_verify(const char *hash, const char *password)
{
	sodium_ready();
	if (!hash || !password)
		return 0;
	return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

/*
 * Verified against when the typed username does not exist, so that an
 * unknown name costs the same argon2id work as a wrong password. Same
 * parameters as password_hash(); nobody knows the password.
 */
static const char dummy_hash[crypto_pwhash_STRBYTES] =
	"$argon2id$v=19$m=65536,t=2,p=1$7EWKQIudZWhP7SkGBtmwag$A07bygz4P5eITbdGDAHXIZQrbAMlEmfMhDBA0/s716U";

/* ---- the permission table ---- */

#define R(x) (1u << (x))
#define R_ALL (R(ROLE_VIEWER) | R(ROLE_CADRE) | R(ROLE_LEADER) | R(ROLE_ADMIN))
#define R_STAFF (R(ROLE_CADRE) | R(ROLE_LEADER) | R(ROLE_ADMIN))
#define R_LEAD (R(ROLE_LEADER) | R(ROLE_ADMIN))
#define R_ADMIN R(ROLE_ADMIN)

/*
 * Which roles hold each permission. Modules add rows here. A viewer holds
 * only "*.read" permissions: perm_allows() refuses a viewer anything else
 * even if a row here says otherwise, and the unit tests check the table.
 */
static const struct perm_row {
	const char *perm;
	unsigned roles;
} perm_table[] = {
	{ "audit.read", R_ADMIN },
	{ "token.read", R_ALL },
	{ "token.write", R_STAFF },
	{ "user.read", R_LEAD },
	{ "user.write", R_ADMIN },
	{ "region.read", R_ALL },
	{ "region.write", R_ADMIN },
	{ "department.read", R_ALL },
	{ "department.write", R_LEAD },
	{ "team.read", R_ALL },
	{ "team.write", R_LEAD },
	{ "assignment.read", R_ALL },
	{ "assignment.write", R_LEAD },
	{ "household.read", R_ALL },
	{ "household.write", R_STAFF },
	{ "household.reveal", R_STAFF },
	{ "household.import", R_STAFF },
	{ "household.export", R_STAFF },
	{ "tag.write", R_ADMIN },
	{ "appeal.read", R_ALL },
	{ "appeal.write", R_STAFF },
	{ "appeal.supervise", R_LEAD },
	{ "category.read", R_ALL },
	{ "category.write", R_ADMIN },
	{ "calendar.read", R_ALL },
	{ "calendar.write", R_ADMIN },
	{ "contact.read", R_ALL },
	{ "contact.write", R_STAFF },
	{ "meeting.read", R_ALL },
	{ "meeting.write", R_STAFF }, /* meetings.c checks the village team */
	{ "plan.read", R_ALL },
	{ "plan.write", R_LEAD },
	{ "checkin.write", R_STAFF }, /* admins hold every permission; plans.c checks the team */
	{ "diary.read", R_ALL },     /* diary.c: cadres read only their own entries */
	{ "diary.write", R_STAFF },
	{ "records.read", R_STAFF }, /* station log and team record book PDFs: not viewers */
	{ "apikey.read", R_ADMIN },
	{ "apikey.write", R_ADMIN },
	{ "outbound.read", R_ADMIN },
	{ "outbound.write", R_ADMIN },
};

static int perm_is_read(const char *perm)
{
	size_t n = strlen(perm);
	return n > 5 && !strcmp(perm + n - 5, ".read");
}

int perm_allows(enum role r, const char *perm)
{
	if (r < ROLE_VIEWER || r > ROLE_ADMIN)
		return 0;
	if (!perm || !*perm)
		return 1;
	if (r == ROLE_VIEWER && !perm_is_read(perm))
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(perm_table); i++)
		if (!strcmp(perm_table[i].perm, perm))
			return (perm_table[i].roles & R(r)) != 0;
	return 0; /* an unknown permission is held by nobody */
}

const char *perm_name(size_t i)
{
	return i < ARRAY_SIZE(perm_table) ? perm_table[i].perm : NULL;
}

/* ---- per-address login rate limit ---- */

#define RATE_DEFAULT 20
#define RATE_MAX AUTH_RATE_LIMIT_MAX /* the times a slot can hold */
#define RATE_WINDOW_US (5 * 60 * USEC_PER_SEC)
#define RATE_SLOTS 2048
#define RATE_PROBE 16

/* One address: the times of its last RATE_MAX attempts (0 = unused). */
struct rate_slot {
	char addr[64];
	int64_t last;
	int64_t at[RATE_MAX];
};

static pthread_mutex_t rate_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rate_slot rate_slots[RATE_SLOTS];
static int rate_limit = RATE_DEFAULT;

int auth_rate_set_limit(int n)
{
	if (n < 1 || n > AUTH_RATE_LIMIT_MAX)
		return -1;
	pthread_mutex_lock(&rate_lock);
	rate_limit = n;
	pthread_mutex_unlock(&rate_lock);
	return 0;
}

static int rate_in_window(int64_t t, int64_t now)
{
	return t != 0 && t > now - RATE_WINDOW_US && t <= now;
}

static uint32_t rate_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

int auth_rate_check(const char *addr)
{
	char key[sizeof(rate_slots[0].addr)];
	int rc = 0;
	snprintf(key, sizeof(key), "%s", addr ? addr : "");

	pthread_mutex_lock(&rate_lock);
	int64_t now = clock_now();
	uint32_t h = rate_hash(key);
	struct rate_slot *slot = NULL, *free_slot = NULL, *victim = NULL;
	/* Open addressing over a short probe; a slot whose attempts have all
	 * left the window is free, and when none is, the slot used least
	 * recently is evicted. */
	for (size_t i = 0; i < RATE_PROBE; i++) {
		struct rate_slot *s = &rate_slots[(h + i) % RATE_SLOTS];
		if (s->addr[0] && !strcmp(s->addr, key)) {
			slot = s;
			break;
		}
		if (!s->addr[0] || !rate_in_window(s->last, now)) {
			if (!free_slot)
				free_slot = s;
		} else if (!victim || s->last < victim->last) {
			victim = s;
		}
	}
	if (!slot) {
		slot = free_slot ? free_slot : victim;
		memset(slot, 0, sizeof(*slot));
		snprintf(slot->addr, sizeof(slot->addr), "%s", key);
	}

	int count = 0, spare = -1;
	for (int i = 0; i < RATE_MAX; i++) {
		if (rate_in_window(slot->at[i], now))
			count++;
		else if (spare < 0)
			spare = i;
	}
	if (count >= rate_limit || spare < 0) {
		rc = ZL_E_AUTH_RATE;
	} else {
		slot->at[spare] = now;
		slot->last = now;
	}
	pthread_mutex_unlock(&rate_lock);
	return rc;
}

void auth_rate_reset(void)
{
	pthread_mutex_lock(&rate_lock);
	memset(rate_slots, 0, sizeof(rate_slots));
	pthread_mutex_unlock(&rate_lock);
}

/* ---- resolving the caller ---- */

/* Fills the actor from a user's row values. */
static int actor_fill(struct db *db, struct actor *a, int64_t user_id, const char *username,
		      const char *role, const char *scope_code, int must_change)
{
	memset(a, 0, sizeof(*a));
	a->user_id = user_id;
	snprintf(a->username, sizeof(a->username), "%s", username ? username : "");
	a->role = role_parse(role);
	a->must_change_password = must_change != 0;
	if (a->role == ROLE_NONE)
		return ZL_E_UNAUTHENTICATED;
	int rc = scope_load(db, a, scope_code);
	if (rc == ZL_E_NOT_FOUND)
		rc = ZL_E_UNAUTHENTICATED;
	if (rc < 0)
		memset(a, 0, sizeof(*a));
	return rc;
}

#define USER_COLS "u.username, u.role, u.scope_code, u.must_change_password, u.disabled_at"

/* The columns USER_COLS names, read from position first on. */
struct user_row {
	char username[ZL_NAME_MAX], role[16], scope[ZL_CODE_MAX];
	int must_change, disabled;
};

/* Copies a text column into a fixed buffer ("" for NULL). */
static void col_copy(struct db_stmt *st, int col, char *out, size_t n)
{
	const char *v = db_col_text(st, col);
	snprintf(out, n, "%s", v ? v : "");
}

static void user_row_read(struct db_stmt *st, int first, struct user_row *u)
{
	col_copy(st, first, u->username, sizeof(u->username));
	col_copy(st, first + 1, u->role, sizeof(u->role));
	col_copy(st, first + 2, u->scope, sizeof(u->scope));
	u->must_change = (int)db_col_int(st, first + 3);
	u->disabled = !db_col_isnull(st, first + 4);
}

static int resolve_cookie(struct ctx *c, const char *cookie, char *csrf)
{
	char hash[SHA256_HEX];
	char tcreated[ZL_TIME_MAX] = "", tseen[ZL_TIME_MAX] = "";
	char csrf_buf[AUTH_CSRF_MAX + 1] = "";
	struct user_row u;
	int64_t sid, uid;
	struct db_stmt *st = NULL;

	sha256_hex(cookie, hash);
	int rc = db_prepare(c->db,
			    "SELECT s.id, s.user_id, s.csrf, s.created_at, s.last_seen_at, " USER_COLS
			    " FROM session s JOIN app_user u ON u.id = s.user_id"
			    " WHERE s.token_hash = ? AND s.ended_at IS NULL",
			    &st);
	if (rc < 0)
		return rc;
	db_bind_text(st, 1, hash);
	rc = db_step(st);
	if (rc <= 0) {
		db_done(st);
		return rc < 0 ? rc : ZL_E_UNAUTHENTICATED;
	}
	sid = db_col_int(st, 0);
	uid = db_col_int(st, 1);
	col_copy(st, 2, csrf_buf, sizeof(csrf_buf));
	col_copy(st, 3, tcreated, sizeof(tcreated));
	col_copy(st, 4, tseen, sizeof(tseen));
	user_row_read(st, 5, &u);
	db_done(st);

	int64_t now = clock_now(), created, seen;
	char tnow[ZL_TIME_MAX];
	time_format_utc(now, tnow);
	if (time_parse(tcreated, &created) < 0 || time_parse(tseen, &seen) < 0)
		return ZL_E_UNAUTHENTICATED;
	if (now - created >= (int64_t)AUTH_ABSOLUTE_SEC * USEC_PER_SEC ||
	    now - seen >= (int64_t)AUTH_IDLE_SEC * USEC_PER_SEC) {
		/* A failed write only leaves an already dead session unmarked. */
		db_run(c->db, "UPDATE session SET ended_at = ? WHERE id = ? AND ended_at IS NULL", "ti",
		       tnow, sid);
		return ZL_E_AUTH_EXPIRED;
	}
	if (u.disabled)
		return ZL_E_UNAUTHENTICATED;
	rc = actor_fill(c->db, &c->actor, uid, u.username, u.role, u.scope, u.must_change);
	if (rc < 0)
		return rc;
	c->actor.session_id = sid;
	if (csrf)
		snprintf(csrf, AUTH_CSRF_MAX + 1, "%s", csrf_buf);
	/* Touch at most once a minute: a write per request would serialise
	 * every reader on the write lock. Outside a transaction this is its
	 * own autocommit write; failing it only shortens the idle time. */
	if (now - seen > (int64_t)AUTH_TOUCH_SEC * USEC_PER_SEC)
		db_run(c->db, "UPDATE session SET last_seen_at = ? WHERE id = ?", "ti", tnow, sid);
	return 0;
}

/* The secret of "Bearer <secret>", or NULL. */
static const char *bearer_secret(const char *authorization, char *out, size_t outsz)
{
	const char *p = authorization;
	if (!p)
		return NULL;
	while (*p == ' ')
		p++;
	if (strncasecmp(p, "Bearer", 6) != 0 || (p[6] != ' ' && p[6] != '\t'))
		return NULL;
	p += 6;
	while (*p == ' ' || *p == '\t')
		p++;
	size_t n = strlen(p);
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	if (n == 0 || n >= outsz)
		return NULL;
	memcpy(out, p, n);
	out[n] = '\0';
	return out;
}

static int resolve_bearer(struct ctx *c, const char *secret)
{
	char hash[SHA256_HEX];
	char tused[ZL_TIME_MAX] = "";
	struct user_row u;
	int64_t tid, uid;
	struct db_stmt *st = NULL;

	sha256_hex(secret, hash);
	int rc = db_prepare(c->db,
			    "SELECT t.id, t.user_id, t.last_used_at, " USER_COLS
			    " FROM api_token t JOIN app_user u ON u.id = t.user_id"
			    " WHERE t.token_hash = ? AND t.revoked_at IS NULL AND u.disabled_at IS NULL",
			    &st);
	if (rc < 0)
		return rc;
	db_bind_text(st, 1, hash);
	rc = db_step(st);
	if (rc <= 0) {
		db_done(st);
		return rc < 0 ? rc : ZL_E_UNAUTHENTICATED;
	}
	tid = db_col_int(st, 0);
	uid = db_col_int(st, 1);
	col_copy(st, 2, tused, sizeof(tused));
	user_row_read(st, 3, &u); /* disabled users are excluded by the query */
	db_done(st);

	rc = actor_fill(c->db, &c->actor, uid, u.username, u.role, u.scope, u.must_change);
	if (rc < 0)
		return rc;
	c->actor.via_token = 1;

	int64_t now = clock_now(), used;
	if (!*tused || time_parse(tused, &used) < 0 ||
	    now - used > (int64_t)AUTH_TOUCH_SEC * USEC_PER_SEC) {
		char tnow[ZL_TIME_MAX];
		time_format_utc(now, tnow);
		db_run(c->db, "UPDATE api_token SET last_used_at = ? WHERE id = ?", "ti", tnow, tid);
	}
	return 0;
}

int auth_resolve(struct ctx *c, const char *cookie, const char *authorization, int *via_cookie,
		 char csrf[AUTH_CSRF_MAX + 1])
{
	int rc = ZL_E_UNAUTHENTICATED, expired = 0;
	char secret[256];

	memset(&c->actor, 0, sizeof(c->actor));
	if (via_cookie)
		*via_cookie = 0;
	if (csrf)
		csrf[0] = '\0';

	if (cookie && *cookie) {
		rc = resolve_cookie(c, cookie, csrf);
		if (rc == 0) {
			if (via_cookie)
				*via_cookie = 1;
			return 0;
		}
		if (rc != ZL_E_UNAUTHENTICATED && rc != ZL_E_AUTH_EXPIRED)
			return rc;
		expired = rc == ZL_E_AUTH_EXPIRED;
		memset(&c->actor, 0, sizeof(c->actor));
	}
	if (bearer_secret(authorization, secret, sizeof(secret))) {
		rc = resolve_bearer(c, secret);
		sodium_memzero(secret, sizeof(secret));
		if (rc == 0)
			return 0;
		memset(&c->actor, 0, sizeof(c->actor));
		if (rc != ZL_E_UNAUTHENTICATED)
			return rc;
	}
	return expired ? ZL_E_AUTH_EXPIRED : ZL_E_UNAUTHENTICATED;
}

/* ---- signing in ---- */

/* 1 if the typed name is locked at `now`, 0 if not, negative on error. */
static int login_locked(struct db *db, const char *name, int64_t now)
{
	char *until = NULL;
	int64_t t;
	int rc = db_get_text(db, &until, "SELECT locked_until FROM login_failure WHERE username = ?",
			     "t", name);
	if (rc <= 0)
		return rc;
	rc = until && time_parse(until, &t) == 0 && t > now;
	free(until);
	return rc;
}


/* Counts one failure for the typed name and locks it when the count reaches
 * AUTH_LOCK_FAILURES. Runs inside the caller's write transaction. */
static int login_failure_add(struct ctx *c, const char *name, int64_t now)
{
	struct db_stmt *st = NULL;
	int64_t failures = 0, until_us;
	char tnow[ZL_TIME_MAX], tuntil[ZL_TIME_MAX];
	int rc = db_prepare(c->db, "SELECT failures, locked_until FROM login_failure WHERE username = ?",
			    &st);
	if (rc < 0)
		return rc;
	db_bind_text(st, 1, name);
	rc = db_step(st);
	if (rc == 1) {
		failures = db_col_int(st, 0);
		const char *until = db_col_text(st, 1);
		/* A lock that has run out starts the count again. */
		if (until && time_parse(until, &until_us) == 0 && until_us <= now)
			failures = 0;
	}
	db_done(st);
	if (rc < 0)
		return rc;

	failures++;
	time_format_utc(now, tnow);
	int lock = failures >= AUTH_LOCK_FAILURES;
	if (lock)
		time_format_utc(now + (int64_t)AUTH_LOCK_SEC * USEC_PER_SEC, tuntil);
	rc = db_run(c->db,
		    "INSERT INTO login_failure(username, failures, locked_until, last_failure_at)"
		    " VALUES (?, ?, ?, ?) ON CONFLICT(username) DO UPDATE SET"
		    " failures = excluded.failures, locked_until = excluded.locked_until,"
		    " last_failure_at = excluded.last_failure_at",
		    "titt", name, failures, lock ? tuntil : NULL, tnow);
	if (rc < 0 || !lock)
		return rc;
	/* Nobody is signed in here; the row says which name was locked. */
	json_t *after = json_pack("{s:s, s:I, s:o}", "username", name, "failures", (json_int_t)failures,
				  "locked_until", json_time(tuntil));
	rc = audit_log(c, "session.lock", "login", name, NULL, after);
	json_decref(after);
	return rc;
}

/* The "user" object of the session answers. */
static int session_user_json(struct db *db, int64_t id, json_t **out)
{
	struct db_stmt *st = NULL;
	*out = NULL;
	int rc = db_prepare(db,
			    "SELECT id, username, display_name, role, scope_code, must_change_password"
			    " FROM app_user WHERE id = ?",
			    &st);
	if (rc < 0)
		return rc;
	db_bind_int(st, 1, id);
	rc = db_step(st);
	if (rc == 1) {
		*out = json_pack("{s:I, s:s, s:s, s:s, s:s, s:b}", "id", (json_int_t)db_col_int(st, 0),
				 "username", db_col_text(st, 1), "display_name", db_col_text(st, 2),
				 "role", db_col_text(st, 3), "scope_code", db_col_text(st, 4),
				 "must_change_password", db_col_int(st, 5) != 0);
		rc = *out ? 0 : ZL_E_INTERNAL;
	} else if (rc == 0) {
		rc = ZL_E_NOT_FOUND;
	}
	db_done(st);
	return rc;
}

int auth_login(struct ctx *c, const char *username, const char *password, char **cookie_secret,
	       char **csrf, int64_t *user_id)
{
	char name[128];
	char *hash = NULL, *secret = NULL, *csrf_new = NULL;
	char uname[ZL_NAME_MAX] = "", role[16] = "", scope[ZL_CODE_MAX] = "";
	char th[SHA256_HEX], tnow[ZL_TIME_MAX], sid_text[24];
	int64_t uid = 0, must_change = 0, sid;
	int found = 0, disabled = 0, ok, own = 0, rc;
	struct db_stmt *st = NULL;
	json_t *after = NULL;

	*cookie_secret = NULL;
	*csrf = NULL;
	*user_id = 0;
	if (!username)
		username = "";
	if (!password)
		password = "";

	rc = auth_rate_check(c->addr);
	if (rc < 0)
		return rc;

	/* Failures are counted by the name as typed (folded to lowercase, as
	 * usernames are), whether or not such a user exists. */
	snprintf(name, sizeof(name), "%s", username);
	for (char *p = name; *p; p++)
		*p = (char)tolower((unsigned char)*p);

	/* Reads and the argon2id work happen outside any transaction, so the
	 * write lock is held only for the short bookkeeping below. */
	rc = login_locked(c->db, name, clock_now());
	if (rc < 0)
		goto out;
	if (rc == 1) {
		rc = ZL_E_AUTH_LOCKED;
		goto out;
	}
	rc = db_prepare(c->db,
			"SELECT id, password_hash, disabled_at, username, role, scope_code,"
			" must_change_password FROM app_user WHERE username = ?",
			&st);
	if (rc < 0)
		goto out;
	db_bind_text(st, 1, name);
	rc = db_step(st);
	if (rc == 1) {
		found = 1;
		uid = db_col_int(st, 0);
		hash = xstrdup(db_col_text(st, 1) ? db_col_text(st, 1) : "");
		disabled = !db_col_isnull(st, 2);
		snprintf(uname, sizeof(uname), "%s", db_col_text(st, 3) ? db_col_text(st, 3) : "");
		snprintf(role, sizeof(role), "%s", db_col_text(st, 4) ? db_col_text(st, 4) : "");
		snprintf(scope, sizeof(scope), "%s", db_col_text(st, 5) ? db_col_text(st, 5) : "");
		must_change = db_col_int(st, 6);
	}
	db_done(st);
	if (rc < 0)
		goto out;

	if (found) {
		ok = password_verify(hash, password) && !disabled;
	} else {
		password_verify(dummy_hash, password);
		ok = 0;
	}

	rc = db_tx_join(c->db, &own);
	if (rc < 0) {
		own = 0;
		goto out;
	}
	int64_t now = clock_now();
	if (!ok) {
		rc = login_failure_add(c, name, now);
		rc = db_tx_end(c->db, own, rc);
		own = 0;
		if (rc == 0)
			rc = ZL_E_AUTH_FAILED;
		goto out;
	}
	/* Someone else's failures may have locked the name meanwhile. */
	rc = login_locked(c->db, name, now);
	if (rc == 1)
		rc = ZL_E_AUTH_LOCKED;
	if (rc < 0)
		goto out;
	rc = db_run(c->db, "DELETE FROM login_failure WHERE username = ?", "t", name);
	if (rc < 0)
		goto out;

	secret = random_secret_new(AUTH_SECRET_BYTES);
	csrf_new = random_secret_new(AUTH_SECRET_BYTES);
	sha256_hex(secret, th);
	time_format_utc(now, tnow);
	rc = db_run(c->db,
		    "INSERT INTO session(token_hash, user_id, csrf, addr, created_at, last_seen_at)"
		    " VALUES (?, ?, ?, ?, ?, ?)",
		    "titttt", th, uid, csrf_new, c->addr, tnow, tnow);
	if (rc < 0)
		goto out;
	sid = db_last_id(c->db);

	rc = actor_fill(c->db, &c->actor, uid, uname, role, scope, (int)must_change);
	if (rc < 0)
		goto out;
	c->actor.session_id = sid;
	snprintf(sid_text, sizeof(sid_text), "%" PRId64, sid);
	after = json_pack("{s:I, s:s, s:o, s:o}", "user_id", (json_int_t)uid, "auth", "cookie", "addr",
			  c->addr ? json_string(c->addr) : json_null(), "created_at", json_time(tnow));
	rc = audit_log(c, "session.create", "session", sid_text, NULL, after);
	if (rc < 0)
		goto out;
	rc = db_tx_end(c->db, own, 0);
	own = 0;
	if (rc < 0)
		goto out;

	*cookie_secret = secret;
	*csrf = csrf_new;
	*user_id = uid;
	secret = csrf_new = NULL;
out:
	if (own)
		db_tx_end(c->db, own, rc < 0 ? rc : ZL_E_INTERNAL);
	json_decref(after);
	free(hash);
	free(secret);
	free(csrf_new);
	return rc;
}

/* ---- session handlers ---- */

static void cookie_header(struct resp *w, const char *value, int clear)
{
	char h[256];
	const char *secure = getenv("ZHILIAN_SECURE_COOKIES");
	snprintf(h, sizeof(h), "%s=%s; Path=/;%s HttpOnly; SameSite=Strict%s", AUTH_COOKIE, value,
		 clear ? " Max-Age=0;" : "", secure && !strcmp(secure, "1") ? "; Secure" : "");
	resp_header(w, "Set-Cookie", h);
}

static int h_session_create(struct req *r, struct resp *w)
{
	struct ctx *c = &r->ctx;
	json_t *in = NULL, *user = NULL;
	const char *username = NULL, *password = NULL;
	char *secret = NULL, *csrf = NULL;
	int64_t uid = 0;

	int rc = req_json(r, &in);
	if (rc < 0)
		return rc;
	json_req_string(c, in, "username", &username);
	json_req_string(c, in, "password", &password);
	if (c->errs.n)
		return ZL_E_VALIDATION;
	rc = auth_login(c, username, password, &secret, &csrf, &uid);
	if (rc < 0)
		return rc;
	rc = session_user_json(c->db, uid, &user);
	if (rc < 0)
		goto out;
	cookie_header(w, secret, 0);
	resp_json(w, 200, json_pack("{s:o, s:s}", "user", user, "csrf_token", csrf));
	user = NULL;
out:
	json_decref(user);
	free(secret);
	free(csrf);
	return rc;
}

static int h_session_get(struct req *r, struct resp *w)
{
	struct ctx *c = &r->ctx;
	json_t *user = NULL, *csrf = json_null(), *expires = json_null();
	struct db_stmt *st = NULL;

	int rc = session_user_json(c->db, c->actor.user_id, &user);
	if (rc < 0)
		goto out;
	if (c->actor.session_id) {
		rc = db_prepare(c->db, "SELECT csrf, created_at, last_seen_at FROM session WHERE id = ?",
				&st);
		if (rc < 0)
			goto out;
		db_bind_int(st, 1, c->actor.session_id);
		rc = db_step(st);
		if (rc == 1) {
			int64_t created, seen;
			json_decref(csrf);
			csrf = json_string(db_col_text(st, 0) ? db_col_text(st, 0) : "");
			if (time_parse(db_col_text(st, 1) ? db_col_text(st, 1) : "", &created) == 0 &&
			    time_parse(db_col_text(st, 2) ? db_col_text(st, 2) : "", &seen) == 0) {
				int64_t abs_end = created + (int64_t)AUTH_ABSOLUTE_SEC * USEC_PER_SEC;
				int64_t idle_end = seen + (int64_t)AUTH_IDLE_SEC * USEC_PER_SEC;
				char t[ZL_TIME_MAX];
				time_format_local(abs_end < idle_end ? abs_end : idle_end, t);
				json_decref(expires);
				expires = json_string(t);
			}
		}
		db_done(st);
		if (rc < 0)
			goto out;
		rc = 0;
	}
	resp_json(w, 200, json_pack("{s:o, s:o, s:s, s:o}", "user", user, "csrf_token", csrf, "auth",
				    c->actor.session_id ? "cookie" : "token", "expires_at", expires));
	return 0;
out:
	json_decref(user);
	json_decref(csrf);
	json_decref(expires);
	return rc;
}

static int h_session_delete(struct req *r, struct resp *w)
{
	struct ctx *c = &r->ctx;
	char tnow[ZL_TIME_MAX], sid_text[24];
	int rc = 0;

	if (c->actor.session_id) {
		time_format_utc(clock_now(), tnow);
		rc = db_run(c->db, "UPDATE session SET ended_at = ? WHERE id = ? AND ended_at IS NULL",
			    "ti", tnow, c->actor.session_id);
		if (rc < 0)
			return rc;
		snprintf(sid_text, sizeof(sid_text), "%" PRId64, c->actor.session_id);
		json_t *before = json_pack("{s:I, s:n}", "user_id", (json_int_t)c->actor.user_id,
					   "ended_at");
		json_t *after = json_pack("{s:I, s:o}", "user_id", (json_int_t)c->actor.user_id,
					  "ended_at", json_time(tnow));
		rc = audit_log(c, "session.delete", "session", sid_text, before, after);
		json_decref(before);
		json_decref(after);
		if (rc < 0)
			return rc;
	}
	cookie_header(w, "", 1);
	resp_no_content(w);
	return 0;
}

/* Changes the caller's own password. Hashing happens before the write
 * transaction, so the route manages its own (ROUTE_OWN_TX). */
static int password_change(struct ctx *c, const char *old_pw, const char *new_pw)
{
	char *hash = NULL, *new_hash = NULL, tnow[ZL_TIME_MAX], id_text[24];
	int64_t must_change = 0;
	int own = 0, rc;
	struct db_stmt *st = NULL;
	json_t *before = NULL, *after = NULL;

	if (c->actor.user_id <= 0)
		return ZL_E_UNAUTHENTICATED;
	rc = db_prepare(c->db, "SELECT password_hash, must_change_password FROM app_user WHERE id = ?",
			&st);
	if (rc < 0)
		return rc;
	db_bind_int(st, 1, c->actor.user_id);
	rc = db_step(st);
	if (rc == 1) {
		hash = xstrdup(db_col_text(st, 0) ? db_col_text(st, 0) : "");
		must_change = db_col_int(st, 1);
	}
	db_done(st);
	if (rc <= 0) {
		rc = rc < 0 ? rc : ZL_E_UNAUTHENTICATED;
		goto out;
	}
	if (!password_verify(hash, old_pw)) {
		rc = ZL_E_AUTH_OLD_PASSWORD;
		goto out;
	}
	rc = password_check_rules(c->actor.username, new_pw, &c->errs, "new_password");
	if (rc == 0 && !strcmp(old_pw, new_pw)) {
		verr_add(&c->errs, "new_password", "新密码不能与旧密码相同",
			 "new password must differ from the old one");
		rc = ZL_E_AUTH_PASSWORD_RULE;
	}
	if (rc < 0)
		goto out;
	rc = password_hash(new_pw, &new_hash);
	if (rc < 0)
		goto out;

	rc = db_tx_join(c->db, &own);
	if (rc < 0) {
		own = 0;
		goto out;
	}
	time_format_utc(clock_now(), tnow);
	/* Only if nobody changed the hash since it was verified. */
	rc = db_run(c->db,
		    "UPDATE app_user SET password_hash = ?, must_change_password = 0, updated_at = ?"
		    " WHERE id = ? AND password_hash = ?",
		    "ttit", new_hash, tnow, c->actor.user_id, hash);
	if (rc == 0 && db_changes(c->db) != 1)
		rc = ZL_E_CONFLICT;
	if (rc == 0)
		rc = db_run(c->db,
			    "UPDATE session SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL"
			    " AND id <> ?",
			    "tii", tnow, c->actor.user_id, c->actor.session_id);
	if (rc == 0) {
		snprintf(id_text, sizeof(id_text), "%" PRId64, c->actor.user_id);
		before = json_pack("{s:b}", "must_change_password", must_change != 0);
		after = json_pack("{s:b, s:b}", "must_change_password", 0, "other_sessions_ended", 1);
		rc = audit_log(c, "user.password_change", "user", id_text, before, after);
	}
	rc = db_tx_end(c->db, own, rc);
	own = 0;
	if (rc == 0)
		c->actor.must_change_password = 0;
out:
	if (own)
		db_tx_end(c->db, own, ZL_E_INTERNAL);
	json_decref(before);
	json_decref(after);
	if (hash)
		sodium_memzero(hash, strlen(hash));
	free(hash);
	free(new_hash);
	return rc;
}

static int h_password_change(struct req *r, struct resp *w)
{
	struct ctx *c = &r->ctx;
	json_t *in = NULL;
	const char *old_pw = NULL, *new_pw = NULL;
	int rc = req_json(r, &in);
	if (rc < 0)
		return rc;
	json_req_string(c, in, "old_password", &old_pw);
	json_req_string(c, in, "new_password", &new_pw);
	if (c->errs.n)
		return ZL_E_VALIDATION;
	rc = password_change(c, old_pw, new_pw);
	if (rc < 0)
		return rc;
	resp_no_content(w);
	return 0;
}

/* ---- API tokens ---- */

#define TOKEN_COLS \
	"t.id, t.user_id, u.username, t.name, t.prefix, t.created_at, t.last_used_at, t.revoked_at"

/* A token as listed (never the secret), from a row of TOKEN_COLS. */
static json_t *token_json(struct db_stmt *st)
{
	return json_pack("{s:I, s:I, s:s, s:s, s:s, s:o, s:o, s:o}", "id",
			 (json_int_t)db_col_int(st, 0), "user_id", (json_int_t)db_col_int(st, 1),
			 "username", db_col_text(st, 2) ? db_col_text(st, 2) : "", "name",
			 db_col_text(st, 3) ? db_col_text(st, 3) : "", "prefix",
			 db_col_text(st, 4) ? db_col_text(st, 4) : "", "created_at",
			 json_time(db_col_text(st, 5)), "last_used_at", json_time(db_col_text(st, 6)),
			 "revoked_at", json_time(db_col_text(st, 7)));
}

static int token_load(struct ctx *c, int64_t id, json_t **out, char scope[ZL_CODE_MAX])
{
	struct db_stmt *st = NULL;
	*out = NULL;
	int rc = db_prepare(c->db,
			    "SELECT " TOKEN_COLS ", u.scope_code FROM api_token t"
			    " JOIN app_user u ON u.id = t.user_id WHERE t.id = ?",
			    &st);
	if (rc < 0)
		return rc;
	db_bind_int(st, 1, id);
	rc = db_step(st);
	if (rc == 1) {
		*out = token_json(st);
		snprintf(scope, ZL_CODE_MAX, "%s", db_col_text(st, 8) ? db_col_text(st, 8) : "");
		rc = 0;
	} else if (rc == 0) {
		rc = ZL_E_NOT_FOUND;
	}
	db_done(st);
	return rc;
}

static int token_name_check(struct ctx *c, const char *name)
{
	if (!name || !*name) {
		verr_required(c, "name");
		return ZL_E_VALIDATION;
	}
	long n = utf8_len(name);
	int ctrl = 0;
	for (const char *p = name; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			ctrl = 1;
	if (n < 1 || n > TOKEN_NAME_MAX || ctrl) {
		verr_add(&c->errs, "name", "名称须为 1 到 64 个字符，且不含控制字符",
			 "'name' must be 1 to 64 characters without control characters");
		return ZL_E_VALIDATION;
	}
	return 0;
}

int auth_token_create(struct ctx *c, const char *name, json_t **out)
{
	char *rnd = NULL, *token = NULL, th[SHA256_HEX], prefix[TOKEN_PREFIX_SHOWN + 1];
	char tnow[ZL_TIME_MAX], id_text[24], scope[ZL_CODE_MAX];
	int64_t id = 0, exists = 0;
	int own = 0;
	json_t *after = NULL;

	*out = NULL;
	if (c->actor.user_id <= 0)
		return ZL_E_FORBIDDEN; /* the system actor owns no tokens */
	int rc = token_name_check(c, name);
	if (rc < 0)
		return rc;
	rc = db_tx_join(c->db, &own);
	if (rc < 0)
		return rc;
	rc = db_get_int(c->db, &exists,
			"SELECT 1 FROM api_token WHERE user_id = ? AND name = ? AND revoked_at IS NULL",
			"it", c->actor.user_id, name);
	if (rc < 0)
		goto out;
	if (rc == 1) {
		rc = ZL_E_TOKEN_NAME_EXISTS;
		goto out;
	}
	rnd = random_secret_new(AUTH_SECRET_BYTES);
	token = xasprintf("%s%s", TOKEN_PREFIX, rnd);
	snprintf(prefix, sizeof(prefix), "%s", token);
	sha256_hex(token, th);
	time_format_utc(clock_now(), tnow);
	rc = db_run(c->db,
		    "INSERT INTO api_token(user_id, name, prefix, token_hash, created_at)"
		    " VALUES (?, ?, ?, ?, ?)",
		    "itttt", c->actor.user_id, name, prefix, th, tnow);
	if (rc == ZL_E_CONFLICT)
		rc = ZL_E_TOKEN_NAME_EXISTS;
	if (rc < 0)
		goto out;
	id = db_last_id(c->db);
	rc = token_load(c, id, &after, scope);
	if (rc < 0)
		goto out;
	snprintf(id_text, sizeof(id_text), "%" PRId64, id);
	rc = audit_log(c, "token.create", "token", id_text, NULL, after);
	if (rc < 0)
		goto out;
	rc = db_tx_end(c->db, own, 0);
	own = 0;
	if (rc < 0)
		goto out;
	*out = json_pack("{s:I, s:s, s:s, s:s, s:o}", "id", (json_int_t)id, "name", name, "prefix",
			 prefix, "token", token, "created_at", json_time(tnow));
out:
	if (own)
		db_tx_end(c->db, own, rc < 0 ? rc : ZL_E_INTERNAL);
	json_decref(after);
	if (token)
		sodium_memzero(token, strlen(token));
	free(token);
	free(rnd);
	return rc;
}

int auth_token_revoke(struct ctx *c, int64_t id)
{
	char scope[ZL_CODE_MAX] = "", tnow[ZL_TIME_MAX], id_text[24];
	json_t *before = NULL, *after = NULL;
	int own = 0;

	int rc = db_tx_join(c->db, &own);
	if (rc < 0)
		return rc;
	rc = token_load(c, id, &before, scope);
	if (rc < 0)
		goto out;
	/* Someone else's token, or out of an admin's scope, does not exist. */
	if (json_integer_value(json_object_get(before, "user_id")) != c->actor.user_id) {
		if (c->actor.role != ROLE_ADMIN) {
			rc = ZL_E_NOT_FOUND;
			goto out;
		}
		rc = scope_contains(c, scope);
		if (rc <= 0) {
			rc = rc < 0 ? rc : ZL_E_NOT_FOUND;
			goto out;
		}
	}
	rc = 0;
	if (!json_is_null(json_object_get(before, "revoked_at")))
		goto out; /* already revoked: nothing changes */
	time_format_utc(clock_now(), tnow);
	rc = db_run(c->db, "UPDATE api_token SET revoked_at = ? WHERE id = ?", "ti", tnow, id);
	if (rc < 0)
		goto out;
	rc = token_load(c, id, &after, scope);
	if (rc < 0)
		goto out;
	snprintf(id_text, sizeof(id_text), "%" PRId64, id);
	rc = audit_log(c, "token.revoke", "token", id_text, before, after);
out:
	rc = db_tx_end(c->db, own, rc);
	json_decref(before);
	json_decref(after);
	return rc;
}

/* The caller's live tokens, or (all) every live token in an admin's scope. */
static int token_list(struct ctx *c, int all, json_t **items)
{
	struct buf sql = BUF_INIT;
	struct db_stmt *st = NULL;
	*items = json_array();
	buf_adds(&sql, "SELECT " TOKEN_COLS " FROM api_token t JOIN app_user u ON u.id = t.user_id"
		       " WHERE t.revoked_at IS NULL");
	if (all)
		scope_sql(&sql, "u.scope_code");
	else
		buf_adds(&sql, " AND t.user_id = ?");
	buf_adds(&sql, " ORDER BY t.id");
	int rc = db_prepare(c->db, sql.data, &st);
	if (rc < 0)
		goto out;
	if (all)
		db_bind_text(st, 1, c->actor.scope_like);
	else
		db_bind_int(st, 1, c->actor.user_id);
	while ((rc = db_step(st)) == 1)
		json_array_append_new(*items, token_json(st));
	db_done(st);
out:
	buf_release(&sql);
	if (rc < 0) {
		json_decref(*items);
		*items = NULL;
	}
	return rc < 0 ? rc : 0;
}

static int h_token_create(struct req *r, struct resp *w)
{
	struct ctx *c = &r->ctx;
	json_t *in = NULL, *out = NULL;
	const char *name = NULL;
	int rc = req_json(r, &in);
	if (rc < 0)
		return rc;
	rc = json_opt_string(c, in, "name", &name);
	if (rc < 0)
		return rc;
	rc = auth_token_create(c, name, &out);
	if (rc < 0)
		return rc;
	resp_created_id(w, out, "/api/v1/tokens/");
	return 0;
}

static int h_token_list(struct req *r, struct resp *w)
{
	struct ctx *c = &r->ctx;
	json_t *items = NULL;
	const char *all = req_query(r, "all");
	int rc = token_list(c, all && !strcmp(all, "1") && c->actor.role == ROLE_ADMIN, &items);
	if (rc < 0)
		return rc;
	resp_json(w, 200, page_result(items, 0));
	return 0;
}

static int h_token_revoke(struct req *r, struct resp *w)
{
	int64_t id;
	int rc = req_param_id(r, "id", &id);
	if (rc < 0)
		return rc;
	rc = auth_token_revoke(&r->ctx, id);
	if (rc < 0)
		return rc;
	resp_no_content(w);
	return 0;
}

static const struct route routes[] = {
	{ "POST", "/api/v1/session", h_session_create, NULL, ROUTE_PUBLIC | ROUTE_OWN_TX | ROUTE_NO_IDEM },
	{ "GET", "/api/v1/session", h_session_get, NULL, ROUTE_SELF },
	{ "DELETE", "/api/v1/session", h_session_delete, NULL, ROUTE_SELF },
	{ "POST", "/api/v1/session/password", h_password_change, NULL, ROUTE_SELF | ROUTE_OWN_TX },
	{ "GET", "/api/v1/tokens", h_token_list, "token.read", 0 },
	{ "POST", "/api/v1/tokens", h_token_create, "token.write", ROUTE_NO_IDEM },
	{ "DELETE", "/api/v1/tokens/{id}", h_token_revoke, "token.write", 0 },
};

ROUTE_TABLE(auth_routes, "auth", routes);
