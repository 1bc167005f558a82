/*
 * db.h: the storage interface. Small on purpose, so that a PostgreSQL
 * backend can later sit behind the same calls: SQL uses "?" placeholders,
 * portable types (INTEGER, TEXT, BLOB, REAL) and no SQLite-only syntax in
 * module code. Each worker thread has its own connection (db_thread()), and
 * each connection caches its prepared statements by SQL text.
 *
 * Errors are translated here: SQLITE_BUSY becomes ZL_E_BUSY, a constraint
 * violation ZL_E_CONFLICT, a full disk ZL_E_DB_FULL; nothing raw escapes.
 */
#ifndef ZL_DB_H
#define ZL_DB_H

#include "util.h"

struct db;
struct db_stmt;

struct db_opts {
	int sync_full;       /* synchronous=FULL instead of NORMAL */
	int busy_timeout_ms; /* 0 means the default, 5000 */
	int readonly;
};

/* Opens (creating if needed) a database with WAL, foreign_keys=ON,
 * busy_timeout and the synchronous level. *out is owned by the caller. */
int db_open(const char *path, const struct db_opts *opts, struct db **out);
void db_close(struct db *db);
const char *db_path(const struct db *db);

/*
 * Per-thread connections for the server: db_thread_setup() records the path
 * and options once; db_thread() opens this thread's connection on first use
 * and returns it (NULL if it cannot be opened). Connections are closed by
 * db_thread_close_all() at shutdown.
 */
void db_thread_setup(const char *path, const struct db_opts *opts);
struct db *db_thread(void);
void db_thread_close_all(void);

/* Transactions. db_begin takes the write lock at once (BEGIN IMMEDIATE). */
int db_begin(struct db *db);
int db_begin_read(struct db *db);
int db_commit(struct db *db);
void db_rollback(struct db *db);
int db_in_tx(struct db *db);
/* Runs fn (a cheap, non-blocking call such as server_tick_wake) once the
 * transaction open on db commits; forgotten if it rolls back; run at once
 * when no transaction is open. At most four different functions wait. */
void db_after_commit(struct db *db, void (*fn)(void));

/* For services called both inside a caller's transaction (the router's, the
 * CLI's) and on their own: db_tx_join() opens a write transaction unless one
 * is open (*own says whether it did); db_tx_end() commits it when rc is not
 * negative, else rolls back, only when own, and passes rc (or the commit's
 * error) on. */
int db_tx_join(struct db *db, int *own);
int db_tx_end(struct db *db, int own, int rc);

/* Runs SQL without parameters (one or more statements). */
int db_exec(struct db *db, const char *sql);

/*
 * Prepared statements. db_prepare() returns the cached statement for this
 * SQL text, reset and with bindings cleared; the caller calls db_done() when
 * finished (which resets it, keeping it in the cache). Never finalize it.
 * Indexes of binds and columns: binds start at 1, columns at 0 (SQLite's).
 */
int db_prepare(struct db *db, const char *sql, struct db_stmt **out);
void db_bind_int(struct db_stmt *st, int i, int64_t v);
void db_bind_double(struct db_stmt *st, int i, double v);
void db_bind_text(struct db_stmt *st, int i, const char *s); /* NULL binds NULL */
void db_bind_blob(struct db_stmt *st, int i, const void *p, size_t n);
void db_bind_null(struct db_stmt *st, int i);
/*
 * Binds by a type string, one letter a value, from index 1:
 *   i int64_t, t const char * (NULL is NULL), d double, n NULL (no argument),
 *   b const void *, size_t
 */
void db_bindv(struct db_stmt *st, const char *types, ...);
/* Steps: 1 a row is ready, 0 done, negative a ZL_E_* error. */
int db_step(struct db_stmt *st);
int64_t db_col_int(struct db_stmt *st, int col);
double db_col_double(struct db_stmt *st, int col);
const char *db_col_text(struct db_stmt *st, int col); /* NULL for NULL */
const void *db_col_blob(struct db_stmt *st, int col, size_t *n);
int db_col_isnull(struct db_stmt *st, int col);
int db_col_count(struct db_stmt *st);
const char *db_col_name(struct db_stmt *st, int col);
void db_done(struct db_stmt *st);

/* Prepare, bind by types, step once, done. For INSERT/UPDATE/DELETE.
 * Returns 0 or a ZL_E_* code. */
int db_run(struct db *db, const char *sql, const char *types, ...);
/* Prepare, bind, step once and read column 0 as an integer into *out.
 * Returns 1 if a row was found, 0 if none, negative on error. */
int db_get_int(struct db *db, int64_t *out, const char *sql, const char *types, ...);
/* Same, column 0 as a newly allocated string (NULL for SQL NULL). */
int db_get_text(struct db *db, char **out, const char *sql, const char *types, ...);

int64_t db_last_id(struct db *db);
int db_changes(struct db *db);
/* SQLite's last message, for logs only (never shown to users). */
const char *db_errmsg(struct db *db);

/* Microseconds this thread has spent in db_step, for /metrics. */
int64_t db_thread_time_us(void);
/* Total over all threads. */
int64_t db_total_time_us(void);

/* The numbered files of migrations/, compiled into the program by the build
 * (build/gen/migrations.c), in ascending version order. */
struct migration {
	int version;
	const char *name;
	const char *sql;
};
extern const struct migration zl_migrations[];
extern const size_t zl_nmigrations;

/* Migrations (migrate.c): applies every numbered migration newer than the
 * schema version, each in one transaction. ZL_E_SCHEMA_NEWER if the database
 * comes from a newer version of the program. *applied may be NULL. */
int db_migrate(struct db *db, int *applied);
int db_schema_version(struct db *db, int *version);
int db_schema_latest(void);

/* Online backup of db into a new file at path (SQLite backup API). */
int db_backup(struct db *db, const char *path);
/* Checks a backup file's integrity, then copies it over the database at
 * dest_path. The server must not be running. */
int db_restore(const char *backup_path, const char *dest_path);
/* integrity_check + foreign_key_check; problems are appended to report. */
int db_check(struct db *db, struct buf *report);

#endif
