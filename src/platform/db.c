/*
 * db.c: the SQLite storage layer behind db.h: connections (one per worker
 * thread), a prepared-statement cache per connection, transactions, the
 * translation of SQLite errors into ZL_E_* codes, backup, restore and check.
 */
#include <sqlite3.h>
#include <stdatomic.h>
#include <jansson.h>

#include "clock.h"
#include "db.h"
#include "error.h"

#define DB_BUSY_DEFAULT_MS 5000
#define DB_CACHE_MIN_SLOTS 64
/* Beyond this many cached statements a connection hands out uncached ones,
 * so that SQL built with a varying shape cannot grow the cache without end. */
#define DB_CACHE_MAX 1024
#define DB_BACKUP_PAGES 256
#define DB_BACKUP_SLEEP_MS 50
#define DB_BACKUP_MAX_BUSY 400 /* consecutive busy steps: 20 s */

/*
 * A statement handed out by db_prepare(). Cached statements live in the
 * connection's hash table until db_close(); while one is "in use" (between
 * db_prepare and db_done) a second db_prepare of the same SQL text does not
 * hand it out again: it prepares a separate, uncached statement that db_done
 * finalizes. Nested use of the same SQL (walking a tree, a helper called
 * inside a loop over the same query) is therefore correct, only slower.
 * Uncached statements in use are kept on db->loose so that db_close() can
 * report leaked ones, as it reports cached ones still in use.
 */
struct db_stmt {
	sqlite3_stmt *st;
	struct db *db;
	char *sql;       /* the cache key, owned; NULL when uncached */
	uint32_t hash;
	int in_use;
	int bind_err;    /* a bind failed: the next db_step fails */
	struct db_stmt *next; /* hash chain, or the loose list */
	struct db_stmt *prev; /* loose list only */
};

struct db {
	sqlite3 *h;
	char *path;
	struct db_stmt **slots;
	size_t nslots, ncached;
	struct db_stmt *loose;
	void (*after_commit[4])(void); /* run once the open transaction commits */
	size_t nafter;
};

static _Thread_local int64_t tl_step_us;
static _Atomic int64_t total_step_us;

/* ---- errors ---- */

#define DB_LOG_DETAIL_MAX 240

static void log_sqlite(sqlite3 *h, int rc, const char *what, const char *detail)
{
	size_t n = detail ? strlen(detail) : 0;
	json_t *o;
	char *line;

	/* the SQL or path the error came from, cut short on a UTF-8 boundary */
	if (n > DB_LOG_DETAIL_MAX) {
		n = DB_LOG_DETAIL_MAX;
		while (n > 0 && ((unsigned char)detail[n] & 0xc0) == 0x80)
			n--;
	}
	o = json_pack("{s:s, s:s, s:s, s:i, s:s#}", "level", "error", "msg", what,
		      "sqlite", h ? sqlite3_errmsg(h) : sqlite3_errstr(rc),
		      "sqlite_code", h ? sqlite3_extended_errcode(h) : rc,
		      "detail", detail ? detail : "", (int)n);
	line = o ? json_dumps(o, JSON_COMPACT) : NULL;
	/* JSON escapes newlines, so this is always one line */
	fprintf(stderr, "%s\n", line ? line : "{\"level\":\"error\",\"msg\":\"db error\"}");
	free(line);
	json_decref(o);
}

/*
 * Translates a SQLite result code. Beyond the documented mapping, a file that
 * cannot be opened is ZL_E_IO and a corrupt file or one that is not a
 * database is ZL_E_INTEGRITY; every unexpected error is logged on one line.
 */
static int db_err(sqlite3 *h, int rc, const char *detail)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return ZL_E_BUSY;
	case SQLITE_CONSTRAINT:
		return ZL_E_CONFLICT;
	case SQLITE_FULL:
		return ZL_E_DB_FULL;
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
		log_sqlite(h, rc, "db i/o error", detail);
		return ZL_E_IO;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		log_sqlite(h, rc, "db corrupt", detail);
		return ZL_E_INTEGRITY;
	default:
		log_sqlite(h, rc, "db error", detail);
		return ZL_E_DB;
	}
}

const char *db_errmsg(struct db *db)
{
	return db ? sqlite3_errmsg(db->h) : "no database";
}

/* ---- statement cache ---- */

static uint32_t sql_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

static struct db_stmt *cache_find(struct db *db, const char *sql, uint32_t h)
{
	struct db_stmt *s;

	if (!db->nslots)
		return NULL;
	for (s = db->slots[h & (db->nslots - 1)]; s; s = s->next)
		if (s->hash == h && !strcmp(s->sql, sql))
			return s;
	return NULL;
}

static void cache_insert(struct db *db, struct db_stmt *s)
{
	size_t i;

	if (db->ncached >= db->nslots) {
		size_t n = db->nslots ? db->nslots * 2 : DB_CACHE_MIN_SLOTS;
		struct db_stmt **slots = xcalloc(n, sizeof(*slots));

		for (i = 0; i < db->nslots; i++) {
			struct db_stmt *e = db->slots[i], *next;

			for (; e; e = next) {
				next = e->next;
				e->next = slots[e->hash & (n - 1)];
				slots[e->hash & (n - 1)] = e;
			}
		}
		free(db->slots);
		db->slots = slots;
		db->nslots = n;
	}
	i = s->hash & (db->nslots - 1);
	s->next = db->slots[i];
	db->slots[i] = s;
	db->ncached++;
}

static void loose_link(struct db *db, struct db_stmt *s)
{
	s->prev = NULL;
	s->next = db->loose;
	if (db->loose)
		db->loose->prev = s;
	db->loose = s;
}

static void loose_unlink(struct db *db, struct db_stmt *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		db->loose = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->next = s->prev = NULL;
}

static void stmt_leaked(const struct db_stmt *s)
{
	fprintf(stderr, "zhilian: db: statement not finished with db_done: %s\n",
		sqlite3_sql(s->st));
}

static int only_space(const char *s)
{
	for (; *s; s++)
		if (!isspace((unsigned char)*s))
			return 0;
	return 1;
}

int db_prepare(struct db *db, const char *sql, struct db_stmt **out)
{
	struct db_stmt *s, *cached;
	sqlite3_stmt *st = NULL;
	const char *tail = NULL;
	uint32_t h = sql_hash(sql);
	int cacheable, rc, ret;

	*out = NULL;
	cached = cache_find(db, sql, h);
	if (cached && !cached->in_use) {
		sqlite3_reset(cached->st);
		sqlite3_clear_bindings(cached->st);
		cached->in_use = 1;
		cached->bind_err = 0;
		*out = cached;
		return 0;
	}
	cacheable = !cached && db->ncached < DB_CACHE_MAX;
	rc = sqlite3_prepare_v3(db->h, sql, -1, cacheable ? SQLITE_PREPARE_PERSISTENT : 0, &st, &tail);
	if (rc != SQLITE_OK) {
		ret = db_err(db->h, rc, sql);
		goto out;
	}
	if (!st || (tail && !only_space(tail))) {
		fprintf(stderr, "zhilian: db: db_prepare needs exactly one statement: %s\n", sql);
		ret = ZL_E_INTERNAL;
		goto out;
	}
	s = xcalloc(1, sizeof(*s));
	s->st = st;
	st = NULL;
	s->db = db;
	s->hash = h;
	s->in_use = 1;
	if (cacheable) {
		s->sql = xstrdup(sql);
		cache_insert(db, s);
	} else {
		loose_link(db, s);
	}
	*out = s;
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

void db_done(struct db_stmt *s)
{
	if (!s)
		return;
	if (!s->sql) {
		loose_unlink(s->db, s);
		sqlite3_finalize(s->st);
		free(s);
		return;
	}
	sqlite3_reset(s->st);
	sqlite3_clear_bindings(s->st);
	s->in_use = 0;
}

/* ---- binding and columns ---- */

static void bind_check(struct db_stmt *s, int i, int rc)
{
	if (rc == SQLITE_OK)
		return;
	fprintf(stderr, "zhilian: db: cannot bind parameter %d (%s): %s\n", i,
		sqlite3_errstr(rc), sqlite3_sql(s->st));
	s->bind_err = 1;
}

void db_bind_int(struct db_stmt *s, int i, int64_t v)
{
	bind_check(s, i, sqlite3_bind_int64(s->st, i, v));
}

void db_bind_double(struct db_stmt *s, int i, double v)
{
	bind_check(s, i, sqlite3_bind_double(s->st, i, v));
}

void db_bind_text(struct db_stmt *s, int i, const char *str)
{
	if (!str)
		bind_check(s, i, sqlite3_bind_null(s->st, i));
	else
		bind_check(s, i, sqlite3_bind_text(s->st, i, str, -1, SQLITE_TRANSIENT));
}

void db_bind_blob(struct db_stmt *s, int i, const void *p, size_t n)
{
	if (!p || !n) /* an empty blob, not NULL */
		bind_check(s, i, sqlite3_bind_zeroblob(s->st, i, 0));
	else
		bind_check(s, i, sqlite3_bind_blob64(s->st, i, p, n, SQLITE_TRANSIENT));
}

void db_bind_null(struct db_stmt *s, int i)
{
	bind_check(s, i, sqlite3_bind_null(s->st, i));
}

static void bind_va(struct db_stmt *s, const char *types, va_list ap)
{
	int i = 1;

	for (; types && *types; types++, i++) {
		switch (*types) {
		case 'i':
			db_bind_int(s, i, va_arg(ap, int64_t));
			break;
		case 't':
			db_bind_text(s, i, va_arg(ap, const char *));
			break;
		case 'd':
			db_bind_double(s, i, va_arg(ap, double));
			break;
		case 'n':
			db_bind_null(s, i);
			break;
		case 'b': {
			const void *p = va_arg(ap, const void *);
			size_t n = va_arg(ap, size_t);

			db_bind_blob(s, i, p, n);
			break;
		}
		default:
			/* the rest of the arguments cannot be read safely */
			fprintf(stderr, "zhilian: db: unknown bind type '%c': %s\n", *types,
				sqlite3_sql(s->st));
			s->bind_err = 1;
			return;
		}
	}
}

void db_bindv(struct db_stmt *s, const char *types, ...)
{
	va_list ap;

	va_start(ap, types);
	bind_va(s, types, ap);
	va_end(ap);
}

static void add_time(int64_t t0)
{
	int64_t dt = clock_mono_us() - t0;

	tl_step_us += dt;
	atomic_fetch_add(&total_step_us, dt);
}

int db_step(struct db_stmt *s)
{
	int64_t t0;
	int rc;

	if (s->bind_err)
		return ZL_E_INTERNAL;
	t0 = clock_mono_us();
	rc = sqlite3_step(s->st);
	add_time(t0);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return db_err(s->db->h, rc, sqlite3_sql(s->st));
}

int64_t db_col_int(struct db_stmt *s, int col)
{
	return sqlite3_column_int64(s->st, col);
}

double db_col_double(struct db_stmt *s, int col)
{
	return sqlite3_column_double(s->st, col);
}

const char *db_col_text(struct db_stmt *s, int col)
{
	return (const char *)sqlite3_column_text(s->st, col);
}

const void *db_col_blob(struct db_stmt *s, int col, size_t *n)
{
	const void *p = sqlite3_column_blob(s->st, col);

	if (n)
		*n = (size_t)sqlite3_column_bytes(s->st, col);
	return p;
}

int db_col_isnull(struct db_stmt *s, int col)
{
	return sqlite3_column_type(s->st, col) == SQLITE_NULL;
}

int db_col_count(struct db_stmt *s)
{
	return sqlite3_column_count(s->st);
}

const char *db_col_name(struct db_stmt *s, int col)
{
	return sqlite3_column_name(s->st, col);
}

/* ---- one-shot helpers ---- */

int db_exec(struct db *db, const char *sql)
{
	char *msg = NULL;
	int64_t t0 = clock_mono_us();
	int rc, ret = 0;

	rc = sqlite3_exec(db->h, sql, NULL, NULL, &msg);
	add_time(t0);
	if (rc != SQLITE_OK)
		ret = db_err(db->h, rc, sql);
	sqlite3_free(msg);
	return ret;
}

int db_run(struct db *db, const char *sql, const char *types, ...)
{
	struct db_stmt *s = NULL;
	va_list ap;
	int ret;

	ret = db_prepare(db, sql, &s);
	if (ret)
		goto out;
	va_start(ap, types);
	bind_va(s, types, ap);
	va_end(ap);
	ret = db_step(s);
	if (ret > 0) /* a statement that answers rows (RETURNING, PRAGMA) */
		ret = 0;
out:
	db_done(s);
	return ret;
}

/* Leaves *out at 0 when there is no row. */
int db_get_int(struct db *db, int64_t *out, const char *sql, const char *types, ...)
{
	struct db_stmt *s = NULL;
	va_list ap;
	int ret;

	*out = 0;
	ret = db_prepare(db, sql, &s);
	if (ret)
		goto out;
	va_start(ap, types);
	bind_va(s, types, ap);
	va_end(ap);
	ret = db_step(s);
	if (ret == 1)
		*out = db_col_int(s, 0);
out:
	db_done(s);
	return ret;
}

int db_get_text(struct db *db, char **out, const char *sql, const char *types, ...)
{
	struct db_stmt *s = NULL;
	va_list ap;
	int ret;

	*out = NULL;
	ret = db_prepare(db, sql, &s);
	if (ret)
		goto out;
	va_start(ap, types);
	bind_va(s, types, ap);
	va_end(ap);
	ret = db_step(s);
	if (ret == 1 && !db_col_isnull(s, 0))
		*out = xstrdup(db_col_text(s, 0));
out:
	db_done(s);
	return ret;
}

int64_t db_last_id(struct db *db)
{
	return sqlite3_last_insert_rowid(db->h);
}

int db_changes(struct db *db)
{
	return sqlite3_changes(db->h);
}

int64_t db_thread_time_us(void)
{
	return tl_step_us;
}

int64_t db_total_time_us(void)
{
	return atomic_load(&total_step_us);
}

/* ---- transactions ---- */

static int run_simple(struct db *db, const char *sql)
{
	return db_run(db, sql, NULL);
}

int db_begin(struct db *db)
{
	return run_simple(db, "BEGIN IMMEDIATE");
}

int db_begin_read(struct db *db)
{
	return run_simple(db, "BEGIN");
}

/* A failed COMMIT rolls the transaction back, so that the connection is
 * never left inside a transaction its caller believes finished. */
int db_commit(struct db *db)
{
	int ret = run_simple(db, "COMMIT");
	size_t n = db->nafter;

	if (ret && db_in_tx(db))
		db_rollback(db);
	db->nafter = 0;
	for (size_t i = 0; !ret && i < n; i++)
		db->after_commit[i]();
	return ret;
}

void db_after_commit(struct db *db, void (*fn)(void))
{
	for (size_t i = 0; i < db->nafter; i++)
		if (db->after_commit[i] == fn)
			return;
	if (!db_in_tx(db)) {
		fn(); /* autocommit: the change is already durable */
		return;
	}
	if (db->nafter < sizeof(db->after_commit) / sizeof(db->after_commit[0]))
		db->after_commit[db->nafter++] = fn;
}

/* Safe to call when no transaction is open. */
void db_rollback(struct db *db)
{
	if (!db)
		return;
	db->nafter = 0;
	if (sqlite3_get_autocommit(db->h))
		return;
	run_simple(db, "ROLLBACK");
}

int db_in_tx(struct db *db)
{
	return !sqlite3_get_autocommit(db->h);
}

/* ---- connections ---- */

int db_open(const char *path, const struct db_opts *opts, struct db **out)
{
	static const struct db_opts defaults;
	struct db *db = NULL;
	sqlite3 *h = NULL;
	int flags, rc, ret;

	*out = NULL;
	if (!opts)
		opts = &defaults;
	flags = opts->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	/* each connection belongs to one thread: no per-connection mutex */
	flags |= SQLITE_OPEN_NOMUTEX;
	rc = sqlite3_open_v2(path, &h, flags, NULL);
	if (rc != SQLITE_OK) {
		ret = db_err(h, rc, path);
		goto out;
	}
	sqlite3_extended_result_codes(h, 1);
	sqlite3_busy_timeout(h, opts->busy_timeout_ms > 0 ? opts->busy_timeout_ms : DB_BUSY_DEFAULT_MS);
	db = xcalloc(1, sizeof(*db));
	db->h = h;
	h = NULL;
	db->path = xstrdup(path);
	if (!opts->readonly) {
		ret = db_exec(db, "PRAGMA journal_mode=WAL");
		if (ret)
			goto out;
	}
	ret = db_exec(db, "PRAGMA foreign_keys=ON");
	if (ret)
		goto out;
	ret = db_exec(db, opts->sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
	if (ret)
		goto out;
	*out = db;
	db = NULL;
out:
	if (h)
		sqlite3_close(h);
	db_close(db);
	return ret;
}

void db_close(struct db *db)
{
	struct db_stmt *s, *next;
	size_t i;
	int rc;

	if (!db)
		return;
	for (i = 0; i < db->nslots; i++) {
		for (s = db->slots[i]; s; s = next) {
			next = s->next;
			if (s->in_use)
				stmt_leaked(s);
			sqlite3_finalize(s->st);
			free(s->sql);
			free(s);
		}
	}
	for (s = db->loose; s; s = next) {
		next = s->next;
		stmt_leaked(s);
		sqlite3_finalize(s->st);
		free(s);
	}
	rc = sqlite3_close(db->h);
	if (rc != SQLITE_OK)
		log_sqlite(db->h, rc, "db close failed", db->path);
	free(db->path);
	free(db->slots);
	free(db);
}

const char *db_path(const struct db *db)
{
	return db->path;
}

/*
 * Per-thread connections. Each thread's slot is reachable from its pthread
 * key (whose destructor closes the connection when the thread exits) and
 * from a global list, through which db_thread_close_all() closes every
 * connection at shutdown. A closed slot stays on the list until its thread
 * exits, so the destructor never touches freed memory; a thread calling
 * db_thread() after db_thread_close_all() opens a new connection.
 */
struct db_slot {
	struct db *db;
	struct db_slot *next, *prev;
};

static pthread_mutex_t thr_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t thr_once = PTHREAD_ONCE_INIT;
static pthread_key_t thr_key;
static char *thr_path;
static struct db_opts thr_opts;
static struct db_slot *thr_slots;

static void slot_destroy(void *p)
{
	struct db_slot *s = p;

	pthread_mutex_lock(&thr_lock);
	if (s->prev)
		s->prev->next = s->next;
	else
		thr_slots = s->next;
	if (s->next)
		s->next->prev = s->prev;
	pthread_mutex_unlock(&thr_lock);
	db_close(s->db);
	free(s);
}

static void key_create(void)
{
	if (pthread_key_create(&thr_key, slot_destroy)) {
		fprintf(stderr, "zhilian: db: cannot create a thread key\n");
		abort();
	}
}

void db_thread_setup(const char *path, const struct db_opts *opts)
{
	pthread_once(&thr_once, key_create);
	pthread_mutex_lock(&thr_lock);
	free(thr_path);
	thr_path = xstrdup(path);
	memset(&thr_opts, 0, sizeof(thr_opts));
	if (opts)
		thr_opts = *opts;
	pthread_mutex_unlock(&thr_lock);
}

struct db *db_thread(void)
{
	struct db_slot *s;
	struct db_opts opts = { 0 };
	struct db *db = NULL;
	char *path = NULL;

	pthread_once(&thr_once, key_create);
	s = pthread_getspecific(thr_key);
	if (s && s->db)
		return s->db;
	pthread_mutex_lock(&thr_lock);
	if (thr_path) {
		path = xstrdup(thr_path);
		opts = thr_opts;
		if (!s) {
			s = xcalloc(1, sizeof(*s));
			s->next = thr_slots;
			if (thr_slots)
				thr_slots->prev = s;
			thr_slots = s;
			pthread_setspecific(thr_key, s);
		}
	}
	pthread_mutex_unlock(&thr_lock);
	if (!path)
		return NULL;
	if (db_open(path, &opts, &db))
		fprintf(stderr, "zhilian: db: cannot open database '%s'\n", path);
	free(path);
	pthread_mutex_lock(&thr_lock);
	s->db = db;
	pthread_mutex_unlock(&thr_lock);
	return db;
}

/* Call only once the worker threads have stopped using their connections. */
void db_thread_close_all(void)
{
	struct db_slot *s;

	pthread_mutex_lock(&thr_lock);
	for (s = thr_slots; s; s = s->next) {
		db_close(s->db);
		s->db = NULL;
	}
	pthread_mutex_unlock(&thr_lock);
}

/* ---- backup, restore, check ---- */

/*
 * Copies the whole of src into the empty database dst. The source is read
 * inside one read transaction, so the copy is one consistent snapshot and,
 * in WAL mode, writers carry on meanwhile and never force a restart; only
 * a lock that is busy for a moment makes it wait and try again. The copy is
 * left in rollback-journal mode so that it is one self-contained file.
 */
static int copy_db(sqlite3 *src, sqlite3 *dst, const char *what)
{
	sqlite3_backup *bk;
	int rc, busy = 0, ret = 0;

	bk = sqlite3_backup_init(dst, "main", src, "main");
	if (!bk)
		return db_err(dst, sqlite3_errcode(dst), what);
	for (;;) {
		rc = sqlite3_backup_step(bk, DB_BACKUP_PAGES);
		if (rc == SQLITE_DONE)
			break;
		if (rc == SQLITE_OK) {
			busy = 0;
			continue;
		}
		if ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && ++busy < DB_BACKUP_MAX_BUSY) {
			sqlite3_sleep(DB_BACKUP_SLEEP_MS);
			continue;
		}
		break;
	}
	sqlite3_backup_finish(bk);
	if (rc != SQLITE_DONE)
		return db_err(dst, rc, what);
	rc = sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		ret = db_err(dst, rc, what);
	return ret;
}

int db_backup(struct db *db, const char *path)
{
	sqlite3 *dst = NULL;
	int fd, rc, ret, created = 0, began = 0;

	/* claim the name atomically: never overwrite an existing file */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (errno == EEXIST) {
			fprintf(stderr, "zhilian: backup target '%s' already exists\n", path);
			ret = ZL_E_CONFLICT;
		} else {
			fprintf(stderr, "zhilian: cannot create '%s': %s\n", path, strerror(errno));
			ret = ZL_E_IO;
		}
		goto out;
	}
	close(fd);
	created = 1;
	rc = sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE, NULL);
	if (rc != SQLITE_OK) {
		ret = db_err(dst, rc, path);
		goto out;
	}
	if (!db_in_tx(db)) {
		/* BEGIN is deferred: the first read takes the snapshot */
		ret = db_begin_read(db);
		if (ret)
			goto out;
		began = 1;
		ret = db_exec(db, "SELECT count(*) FROM sqlite_master");
		if (ret)
			goto out;
	}
	ret = copy_db(db->h, dst, path);
out:
	if (began)
		db_rollback(db); /* nothing was written: ends the read */
	if (dst && sqlite3_close(dst) != SQLITE_OK && !ret)
		ret = db_err(NULL, SQLITE_IOERR, path);
	if (ret && created)
		unlink(path);
	return ret;
}

static void unlink_quiet(const char *base, const char *suffix)
{
	struct buf p = BUF_INIT;

	buf_addf(&p, "%s%s", base, suffix);
	if (unlink(p.data) && errno != ENOENT)
		fprintf(stderr, "zhilian: cannot remove '%s': %s\n", p.data, strerror(errno));
	buf_release(&p);
}

static void sync_dir_of(const char *path)
{
	struct buf dir = BUF_INIT;
	const char *slash = strrchr(path, '/');
	int fd;

	if (!slash)
		buf_adds(&dir, ".");
	else if (slash == path)
		buf_adds(&dir, "/");
	else
		buf_add(&dir, path, (size_t)(slash - path));
	fd = open(dir.data, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	buf_release(&dir);
}

/* Errors met while reading the backup mean it is not a sound backup. */
static int as_integrity(int ret)
{
	return ret == ZL_E_DB ? ZL_E_INTEGRITY : ret;
}

int db_restore(const char *backup_path, const char *dest_path)
{
	static const struct db_opts ro = { .readonly = 1 };
	struct buf report = BUF_INIT, tmp = BUF_INIT;
	struct db *src = NULL;
	sqlite3 *dst = NULL;
	struct stat st;
	int rc, ret, version = 0;

	if (stat(backup_path, &st) || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "zhilian: cannot read backup '%s'\n", backup_path);
		ret = ZL_E_NOT_FOUND;
		goto out;
	}
	ret = db_open(backup_path, &ro, &src);
	if (ret) {
		ret = as_integrity(ret);
		goto out;
	}
	ret = db_check(src, &report);
	if (ret) {
		fprintf(stderr, "zhilian: backup '%s' failed its check:\n%s", backup_path, report.data);
		ret = as_integrity(ret);
		goto out;
	}
	ret = db_schema_version(src, &version);
	if (ret) {
		ret = as_integrity(ret);
		goto out;
	}
	if (version <= 0) {
		fprintf(stderr, "zhilian: '%s' is not a zhilian database\n", backup_path);
		ret = ZL_E_INTEGRITY;
		goto out;
	}
	if (version > db_schema_latest()) {
		fprintf(stderr, "zhilian: backup '%s' has schema version %d, newer than this program's %d\n",
			backup_path, version, db_schema_latest());
		ret = ZL_E_SCHEMA_NEWER;
		goto out;
	}

	buf_addf(&tmp, "%s.restore-tmp", dest_path);
	unlink_quiet(tmp.data, "");
	unlink_quiet(tmp.data, "-journal");
	rc = sqlite3_open_v2(tmp.data, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		ret = db_err(dst, rc, tmp.data);
		goto out;
	}
	ret = copy_db(src->h, dst, tmp.data);
	if (ret)
		goto out;
	rc = sqlite3_close(dst);
	dst = NULL;
	if (rc != SQLITE_OK) {
		ret = db_err(NULL, rc, tmp.data);
		goto out;
	}
	/*
	 * A stale WAL or hot journal left next to the destination would be
	 * replayed into the restored file, so remove them before the rename.
	 */
	unlink_quiet(dest_path, "-wal");
	unlink_quiet(dest_path, "-shm");
	unlink_quiet(dest_path, "-journal");
	if (rename(tmp.data, dest_path)) {
		fprintf(stderr, "zhilian: cannot rename '%s' to '%s': %s\n", tmp.data, dest_path,
			strerror(errno));
		ret = ZL_E_IO;
		goto out;
	}
	sync_dir_of(dest_path);
	ret = 0;
out:
	if (dst)
		sqlite3_close(dst);
	if (ret && tmp.len)
		unlink_quiet(tmp.data, "");
	db_close(src);
	buf_release(&report);
	buf_release(&tmp);
	return ret;
}

int db_check(struct db *db, struct buf *report)
{
	struct buf sink = BUF_INIT;
	struct db_stmt *s = NULL;
	int ret, problems = 0;

	if (!report)
		report = &sink;
	ret = db_prepare(db, "PRAGMA integrity_check", &s);
	if (ret) {
		buf_addf(report, "integrity: cannot be checked: %s\n", db_errmsg(db));
		problems++;
		goto out;
	}
	while ((ret = db_step(s)) == 1) {
		const char *msg = db_col_text(s, 0);

		if (msg && !strcmp(msg, "ok"))
			continue;
		buf_addf(report, "integrity: %s\n", msg ? msg : "(no message)");
		problems++;
	}
	db_done(s);
	s = NULL;
	if (ret < 0) {
		buf_addf(report, "integrity: cannot be checked: %s\n", db_errmsg(db));
		problems++;
		if (ret != ZL_E_INTEGRITY && ret != ZL_E_DB)
			goto out;
	}

	ret = db_prepare(db, "PRAGMA foreign_key_check", &s);
	if (ret) {
		buf_addf(report, "foreign keys: cannot be checked: %s\n", db_errmsg(db));
		problems++;
		goto out;
	}
	while ((ret = db_step(s)) == 1) {
		buf_addf(report, "foreign key: row %s of table \"%s\" refers to a missing row of \"%s\"\n",
			 db_col_isnull(s, 1) ? "(no rowid)" : db_col_text(s, 1),
			 db_col_text(s, 0), db_col_text(s, 2));
		problems++;
	}
	if (ret < 0) {
		buf_addf(report, "foreign keys: cannot be checked: %s\n", db_errmsg(db));
		problems++;
		if (ret != ZL_E_INTEGRITY && ret != ZL_E_DB)
			goto out;
	}
	ret = 0;
out:
	db_done(s);
	buf_release(&sink);
	if (problems && (ret == 0 || ret == ZL_E_DB))
		ret = ZL_E_INTEGRITY;
	return ret;
}

int db_tx_join(struct db *db, int *own)
{
	*own = !db_in_tx(db);
	return *own ? db_begin(db) : 0;
}

int db_tx_end(struct db *db, int own, int rc)
{
	if (!own)
		return rc;
	if (rc < 0) {
		db_rollback(db);
		return rc;
	}
	rc = db_commit(db);
	if (rc < 0)
		db_rollback(db);
	return rc;
}
