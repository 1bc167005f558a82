/*
 * test_db.c: the storage layer: migrations, the statement cache, error
 * translation, transactions, the one-shot helpers, per-thread connections,
 * backup, restore and the integrity check.
 */
#include <sched.h>
#include <stdatomic.h>

#include "unit.h"

#include "platform/clock.h"
#include "platform/error.h"

/* A fresh directory under /tmp for file databases, removed by rm_tree. */
static char *tmp_dir_new(void)
{
	char *d = xstrdup("/tmp/zl-test-db-XXXXXX");

	assert_non_null(mkdtemp(d));
	return d;
}

static void rm_tree(char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(dir);
}

static char *path_in(const char *dir, const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static int64_t count_rows(struct db *db, const char *sql)
{
	int64_t n = -1;

	assert_int_equal(db_get_int(db, &n, sql, NULL), 1);
	return n;
}

static int file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* ---- migrations ---- */

static void test_migrations_recorded(void **state)
{
	struct db *db = unit_db();
	struct db_stmt *st = NULL;
	int version = -1;
	size_t i = 0;

	(void)state;
	assert_true(zl_nmigrations >= 1);
	assert_int_equal(db_schema_version(db, &version), 0);
	assert_int_equal(version, db_schema_latest());
	assert_int_equal(db_schema_latest(), zl_migrations[zl_nmigrations - 1].version);
	assert_int_equal(count_rows(db, "SELECT count(*) FROM schema_migrations"), (int64_t)zl_nmigrations);

	assert_int_equal(db_prepare(db, "SELECT version, name, applied_at FROM schema_migrations ORDER BY version", &st), 0);
	while (db_step(st) == 1) {
		int64_t us;

		assert_true(i < zl_nmigrations);
		assert_int_equal(db_col_int(st, 0), zl_migrations[i].version);
		assert_string_equal(db_col_text(st, 1), zl_migrations[i].name);
		assert_int_equal(time_parse(db_col_text(st, 2), &us), 0);
		i++;
	}
	db_done(st);
	assert_int_equal(i, zl_nmigrations);
	/* the schema itself is there */
	assert_int_equal(count_rows(db, "SELECT count(*) FROM sqlite_master WHERE name = 'audit_log'"), 1);
	db_close(db);
}

static void test_migrate_again_applies_none(void **state)
{
	struct db *db = unit_db();
	int applied = -1;

	(void)state;
	assert_int_equal(db_migrate(db, &applied), 0);
	assert_int_equal(applied, 0);
	assert_int_equal(count_rows(db, "SELECT count(*) FROM schema_migrations"), (int64_t)zl_nmigrations);
	db_close(db);
}

static void test_migrate_fresh_counts(void **state)
{
	struct db *db = NULL;
	int applied = -1, version = -1;

	(void)state;
	assert_int_equal(db_open(":memory:", NULL, &db), 0);
	assert_int_equal(db_schema_version(db, &version), 0);
	assert_int_equal(version, 0);
	assert_int_equal(db_migrate(db, &applied), 0);
	assert_int_equal(applied, (int)zl_nmigrations);
	db_close(db);
}

static void test_migrate_schema_newer(void **state)
{
	struct db *db = unit_db();
	int version = 0;

	(void)state;
	assert_int_equal(db_run(db, "INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)",
				"itt", (int64_t)999999, "9999_future", "2030-01-01T00:00:00Z"), 0);
	assert_int_equal(db_migrate(db, NULL), ZL_E_SCHEMA_NEWER);
	assert_int_equal(db_schema_version(db, &version), 0);
	assert_int_equal(version, 999999);
	db_close(db);
}

static void test_migration_failure_rolls_back(void **state)
{
	struct db *db = NULL;
	int applied = -1, version = -1;

	(void)state;
	assert_int_equal(db_open(":memory:", NULL, &db), 0);
	/* the first migration creates "region": make it fail half-way */
	assert_int_equal(db_exec(db, "CREATE TABLE region(x)"), 0);
	assert_true(db_migrate(db, &applied) < 0);
	assert_int_equal(applied, 0);
	assert_int_equal(db_in_tx(db), 0);
	assert_int_equal(db_schema_version(db, &version), 0);
	assert_int_equal(version, 0);
	assert_int_equal(count_rows(db, "SELECT count(*) FROM schema_migrations"), 0);
	/* nothing the migration created before failing survives */
	assert_int_equal(count_rows(db, "SELECT count(*) FROM sqlite_master WHERE name = 'app_user'"), 0);
	db_close(db);
}

/* ---- statements ---- */

static void test_stmt_cache_same(void **state)
{
	struct db *db = unit_db();
	struct db_stmt *a = NULL, *b = NULL;
	const char *sql = "SELECT ? IS NULL";

	(void)state;
	assert_int_equal(db_prepare(db, sql, &a), 0);
	db_bind_int(a, 1, 5);
	assert_int_equal(db_step(a), 1);
	assert_int_equal(db_col_int(a, 0), 0);
	db_done(a);
	assert_int_equal(db_prepare(db, sql, &b), 0);
	assert_ptr_equal(a, b);
	/* bindings were cleared: the parameter is NULL again */
	assert_int_equal(db_step(b), 1);
	assert_int_equal(db_col_int(b, 0), 1);
	db_done(b);
	db_close(db);
}

static void test_stmt_nested_same_sql(void **state)
{
	struct db *db = unit_db();
	struct db_stmt *outer = NULL, *inner = NULL, *again = NULL;
	const char *sql = "SELECT code FROM region WHERE parent_code IS ? ORDER BY code";
	int n = 0;

	(void)state;
	assert_int_equal(db_prepare(db, sql, &outer), 0);
	db_bind_text(outer, 1, UNIT_ROOT_CODE);
	while (db_step(outer) == 1) {
		/* same SQL while the outer one is still in use: a different statement */
		assert_int_equal(db_prepare(db, sql, &inner), 0);
		assert_ptr_not_equal(inner, outer);
		db_bind_text(inner, 1, db_col_text(outer, 0));
		assert_int_equal(db_step(inner), 0); /* villages have no children here */
		db_done(inner);
		n++;
	}
	assert_int_equal(n, 2);
	db_done(outer);
	/* the cached one is handed out again once it is done */
	assert_int_equal(db_prepare(db, sql, &again), 0);
	assert_ptr_equal(again, outer);
	db_done(again);
	db_close(db);
}

static void test_prepare_errors(void **state)
{
	struct db *db = unit_db();
	struct db_stmt *st = (struct db_stmt *)&st;

	(void)state;
	assert_int_equal(db_prepare(db, "SELECT nope FROM nowhere", &st), ZL_E_DB);
	assert_null(st);
	/* one statement per prepare */
	assert_int_equal(db_prepare(db, "SELECT 1; SELECT 2", &st), ZL_E_INTERNAL);
	assert_null(st);
	/* a bad bind index fails the step instead of running with a hole */
	assert_int_equal(db_prepare(db, "SELECT ?", &st), 0);
	db_bind_int(st, 7, 1);
	assert_int_equal(db_step(st), ZL_E_INTERNAL);
	db_done(st);
	db_close(db);
}

static void test_bindv_types(void **state)
{
	struct db *db = unit_db();
	struct db_stmt *st = NULL;
	const unsigned char blob[] = { 0, 1, 2, 0xff };
	const void *p;
	size_t n = 0;

	(void)state;
	assert_int_equal(db_prepare(db, "SELECT ?, ?, ?, ?, ?, ?", &st), 0);
	db_bindv(st, "itdnbt", (int64_t)INT64_MAX, "文本", 2.5, blob, sizeof(blob), (const char *)NULL);
	assert_int_equal(db_step(st), 1);
	assert_int_equal(db_col_count(st), 6);
	assert_true(db_col_int(st, 0) == INT64_MAX);
	assert_string_equal(db_col_text(st, 1), "文本");
	assert_true(db_col_double(st, 2) == 2.5);
	assert_true(db_col_isnull(st, 3));
	assert_null(db_col_text(st, 3));
	p = db_col_blob(st, 4, &n);
	assert_int_equal(n, sizeof(blob));
	assert_memory_equal(p, blob, sizeof(blob));
	assert_true(db_col_isnull(st, 5));
	assert_int_equal(db_step(st), 0);
	db_done(st);

	assert_int_equal(db_prepare(db, "SELECT 1 AS one", &st), 0);
	assert_string_equal(db_col_name(st, 0), "one");
	db_done(st);
	db_close(db);
}

/* ---- errors and transactions ---- */

static void test_constraint_is_conflict(void **state)
{
	struct db *db = unit_db();

	(void)state;
	/* duplicate primary key */
	assert_int_equal(db_run(db, "INSERT INTO region(code, name, level, parent_code, path, created_at) "
				"VALUES (?, ?, ?, ?, ?, ?)", "tttttt", UNIT_ROOT_CODE, "again", "town", NULL,
				"/other/", "2026-01-01T00:00:00Z"), ZL_E_CONFLICT);
	/* check constraint */
	assert_int_equal(db_run(db, "INSERT INTO region(code, name, level, parent_code, path, created_at) "
				"VALUES (?, ?, ?, ?, ?, ?)", "tttttt", "1", "x", "planet", NULL, "/1/",
				"2026-01-01T00:00:00Z"), ZL_E_CONFLICT);
	/* foreign key: foreign_keys=ON is set by db_open */
	assert_int_equal(db_run(db, "INSERT INTO region(code, name, level, parent_code, path, created_at) "
				"VALUES (?, ?, ?, ?, ?, ?)", "tttttt", "2", "x", "village", "999", "/2/",
				"2026-01-01T00:00:00Z"), ZL_E_CONFLICT);
	/* NOT NULL */
	assert_int_equal(db_run(db, "INSERT INTO setting(key, value) VALUES (?, ?)", "tn", "k"), ZL_E_CONFLICT);
	assert_int_equal(count_rows(db, "SELECT count(*) FROM region"), 3);
	db_close(db);
}

static void test_rollback_leaves_nothing(void **state)
{
	struct db *db = unit_db();

	(void)state;
	assert_int_equal(db_in_tx(db), 0);
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_in_tx(db), 1);
	assert_int_equal(db_run(db, "INSERT INTO setting(key, value) VALUES (?, ?)", "tt", "a", "1"), 0);
	assert_int_equal(db_changes(db), 1);
	/* migrations seed settings of their own: count only this test's keys */
	assert_int_equal(count_rows(db, "SELECT count(*) FROM setting WHERE key IN ('a', 'b')"), 1);
	db_rollback(db);
	assert_int_equal(db_in_tx(db), 0);
	assert_int_equal(count_rows(db, "SELECT count(*) FROM setting WHERE key IN ('a', 'b')"), 0);
	db_rollback(db); /* harmless outside a transaction */

	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_run(db, "INSERT INTO setting(key, value) VALUES (?, ?)", "tt", "b", "2"), 0);
	assert_int_equal(db_commit(db), 0);
	assert_int_equal(db_in_tx(db), 0);
	assert_int_equal(count_rows(db, "SELECT count(*) FROM setting WHERE key IN ('a', 'b')"), 1);

	assert_int_equal(db_begin_read(db), 0);
	assert_int_equal(db_in_tx(db), 1);
	assert_int_equal(db_commit(db), 0);
	db_close(db);
}

static void test_get_int_text(void **state)
{
	struct db *db = unit_db();
	int64_t n = 42;
	char *s = (char *)"x";

	(void)state;
	assert_int_equal(db_run(db, "INSERT INTO region(code, name, level, parent_code, path, created_at) "
				"VALUES (?, ?, ?, ?, ?, ?)", "tttttt", "440881104203", "南村", "village",
				UNIT_ROOT_CODE, "/440881104000/440881104203/", "2026-01-01T00:00:00Z"), 0);
	assert_true(db_last_id(db) > 0);
	assert_int_equal(db_get_int(db, &n, "SELECT count(*) FROM region WHERE parent_code = ?", "t",
				    UNIT_ROOT_CODE), 1);
	assert_int_equal(n, 3);
	assert_int_equal(db_get_int(db, &n, "SELECT length(path) FROM region WHERE code = ?", "t", "440881104203"), 1);
	assert_int_equal(n, 27);
	n = 42;
	assert_int_equal(db_get_int(db, &n, "SELECT 1 FROM region WHERE code = ?", "t", "nope"), 0);
	assert_int_equal(n, 0);

	assert_int_equal(db_get_text(db, &s, "SELECT name FROM region WHERE code = ?", "t", "440881104201"), 1);
	assert_string_equal(s, "东村");
	free(s);
	s = (char *)"x";
	assert_int_equal(db_get_text(db, &s, "SELECT parent_code FROM region WHERE code = ?", "t", UNIT_ROOT_CODE), 1);
	assert_null(s); /* SQL NULL */
	s = (char *)"x";
	assert_int_equal(db_get_text(db, &s, "SELECT name FROM region WHERE code = ?", "t", "nope"), 0);
	assert_null(s);
	assert_int_equal(db_get_text(db, &s, "SELECT name FROM nowhere", NULL), ZL_E_DB);
	assert_null(s);
	db_close(db);
}

static void test_busy_is_busy(void **state)
{
	char *dir = tmp_dir_new(), *path = path_in(dir, "busy.db");
	struct db_opts quick = { .busy_timeout_ms = 20 };
	struct db *a = NULL, *b = NULL;

	(void)state;
	assert_int_equal(db_open(path, NULL, &a), 0);
	assert_int_equal(db_open(path, &quick, &b), 0);
	assert_int_equal(db_exec(a, "CREATE TABLE t(x)"), 0);
	assert_int_equal(db_begin(a), 0);
	assert_int_equal(db_begin(b), ZL_E_BUSY);
	assert_int_equal(db_in_tx(b), 0);
	/* WAL: a reader is not blocked by the writer */
	assert_int_equal(count_rows(b, "SELECT count(*) FROM t"), 0);
	db_rollback(a);
	assert_int_equal(db_begin(b), 0);
	assert_int_equal(db_commit(b), 0);
	{
		char *mode = NULL;

		assert_int_equal(db_get_text(a, &mode, "PRAGMA journal_mode", NULL), 1);
		assert_string_equal(mode, "wal");
		free(mode);
	}
	db_close(a);
	db_close(b);
	free(path);
	rm_tree(dir);
}

static void test_open_pragmas(void **state)
{
	char *dir = tmp_dir_new(), *path = path_in(dir, "p.db");
	struct db_opts full = { .sync_full = 1 };
	struct db *db = NULL;
	int64_t v = -1;

	(void)state;
	assert_int_equal(db_open(path, NULL, &db), 0);
	assert_string_equal(db_path(db), path);
	assert_int_equal(db_get_int(db, &v, "PRAGMA foreign_keys", NULL), 1);
	assert_int_equal(v, 1);
	assert_int_equal(db_get_int(db, &v, "PRAGMA synchronous", NULL), 1);
	assert_int_equal(v, 1); /* NORMAL */
	assert_int_equal(db_get_int(db, &v, "PRAGMA busy_timeout", NULL), 1);
	assert_int_equal(v, 5000);
	db_close(db);
	assert_int_equal(db_open(path, &full, &db), 0);
	assert_int_equal(db_get_int(db, &v, "PRAGMA synchronous", NULL), 1);
	assert_int_equal(v, 2); /* FULL */
	db_close(db);
	free(path);
	rm_tree(dir);
}

/* ---- per-thread connections ---- */

struct thread_arg {
	struct db *db;
	int64_t n;
};

static void *thread_main(void *p)
{
	struct thread_arg *a = p;

	a->db = db_thread();
	if (a->db && db_get_int(a->db, &a->n, "SELECT count(*) FROM t", NULL) != 1)
		a->n = -1;
	return NULL;
}

static void test_thread_connections(void **state)
{
	char *dir = tmp_dir_new(), *path = path_in(dir, "t.db");
	struct thread_arg arg = { NULL, -1 };
	struct db *mine, *again;
	int64_t before;
	pthread_t t;

	(void)state;
	db_thread_setup(path, NULL);
	mine = db_thread();
	assert_non_null(mine);
	again = db_thread();
	assert_ptr_equal(mine, again);
	assert_int_equal(db_exec(mine, "CREATE TABLE t(x); INSERT INTO t VALUES (1), (2)"), 0);

	before = db_total_time_us();
	assert_int_equal(pthread_create(&t, NULL, thread_main, &arg), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_non_null(arg.db);
	assert_ptr_not_equal(arg.db, mine);
	assert_int_equal(arg.n, 2);
	assert_true(db_total_time_us() >= before);
	assert_true(db_thread_time_us() >= 0);
	assert_true(db_total_time_us() >= db_thread_time_us());

	db_thread_close_all();
	/* a thread asking again after the close gets a new, working connection */
	mine = db_thread();
	assert_non_null(mine);
	assert_int_equal(count_rows(mine, "SELECT count(*) FROM t"), 2);
	db_thread_close_all();
	free(path);
	rm_tree(dir);
}

/* ---- backup, restore, check ---- */

static void corrupt_file(const char *path)
{
	struct stat st;
	unsigned char junk[4096];
	FILE *f;
	size_t i;

	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)(i * 131 + 7);
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_size > 8192);
	f = fopen(path, "r+b");
	assert_non_null(f);
	/* keep the header page, trash the b-tree pages after it */
	assert_int_equal(fseek(f, 4096, SEEK_SET), 0);
	assert_int_equal(fwrite(junk, 1, sizeof(junk), f), sizeof(junk));
	assert_int_equal(fclose(f), 0);
}

static void copy_file(const char *from, const char *to)
{
	char *cmd = xasprintf("cp '%s' '%s'", from, to);

	assert_int_equal(system(cmd), 0);
	free(cmd);
}

static void test_backup_and_check(void **state)
{
	char *dir = tmp_dir_new(), *bk = path_in(dir, "backup.db");
	struct db *db = unit_db(), *copy = NULL;
	struct db_opts ro = { .readonly = 1 };
	struct buf report = BUF_INIT;
	unsigned char hdr[20];
	FILE *f;

	(void)state;
	assert_int_equal(db_run(db, "INSERT INTO setting(key, value) VALUES (?, ?)", "tt", "k", "值"), 0);
	assert_int_equal(db_backup(db, bk), 0);
	/* the copy is one self-contained file (rollback journal, not WAL) */
	f = fopen(bk, "rb");
	assert_non_null(f);
	assert_int_equal(fread(hdr, 1, sizeof(hdr), f), sizeof(hdr));
	fclose(f);
	assert_memory_equal(hdr, "SQLite format 3", 16);
	assert_int_equal(hdr[18], 1);
	assert_int_equal(hdr[19], 1);

	assert_int_equal(db_open(bk, &ro, &copy), 0);
	assert_int_equal(db_check(copy, &report), 0);
	assert_int_equal(report.len, 0);
	assert_int_equal(count_rows(copy, "SELECT count(*) FROM region"), 3);
	assert_int_equal(count_rows(copy, "SELECT count(*) FROM setting WHERE value = '值'"), 1);
	db_close(copy);

	/* never overwrites */
	assert_int_equal(db_backup(db, bk), ZL_E_CONFLICT);
	assert_int_equal(db_check(db, NULL), 0);
	db_close(db);
	free(bk);
	rm_tree(dir);
}

struct writer_arg {
	const char *path;
	atomic_int stop;
	int written;
	int failed;
};

static void *writer_main(void *p)
{
	struct writer_arg *a = p;
	struct db *db = NULL;

	if (db_open(a->path, NULL, &db)) {
		a->failed = 1;
		return NULL;
	}
	while (!atomic_load(&a->stop)) {
		if (db_begin(db) || db_run(db, "INSERT INTO big(v) VALUES (randomblob(512))", NULL) ||
		    db_commit(db)) {
			a->failed = 1;
			break;
		}
		a->written++;
	}
	db_close(db);
	return NULL;
}

/* The backup is one consistent snapshot even while another connection
 * writes all the time, and it finishes (no endless restarts). */
static void test_backup_while_writing(void **state)
{
	char *dir = tmp_dir_new(), *path = path_in(dir, "live.db"), *bk = path_in(dir, "backup.db");
	struct writer_arg arg = { .path = path };
	struct db *db = NULL, *copy = NULL;
	int64_t before = 0, in_copy = 0, after = 0;
	pthread_t t;
	int i;

	(void)state;
	assert_int_equal(db_open(path, NULL, &db), 0);
	assert_int_equal(db_migrate(db, NULL), 0);
	assert_int_equal(db_exec(db, "CREATE TABLE big(v BLOB)"), 0);
	assert_int_equal(db_begin(db), 0);
	for (i = 0; i < 4000; i++) /* about 600 pages: several backup steps */
		assert_int_equal(db_run(db, "INSERT INTO big(v) VALUES (randomblob(512))", NULL), 0);
	assert_int_equal(db_commit(db), 0);
	before = count_rows(db, "SELECT count(*) FROM big");

	assert_int_equal(pthread_create(&t, NULL, writer_main, &arg), 0);
	while (arg.written < 20 && !arg.failed)
		sched_yield();
	assert_int_equal(db_backup(db, bk), 0);
	atomic_store(&arg.stop, 1);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(arg.failed, 0);
	after = count_rows(db, "SELECT count(*) FROM big");

	assert_int_equal(db_open(bk, NULL, &copy), 0);
	assert_int_equal(db_check(copy, NULL), 0);
	in_copy = count_rows(copy, "SELECT count(*) FROM big");
	assert_true(in_copy >= before);
	assert_true(in_copy <= after);
	db_close(copy);
	db_close(db);
	free(path);
	free(bk);
	rm_tree(dir);
}

static void test_check_finds_fk_violation(void **state)
{
	struct db *db = unit_db();
	struct buf report = BUF_INIT;

	(void)state;
	assert_int_equal(db_exec(db, "PRAGMA foreign_keys=OFF"), 0);
	assert_int_equal(db_run(db, "INSERT INTO region(code, name, level, parent_code, path, created_at) "
				"VALUES (?, ?, ?, ?, ?, ?)", "tttttt", "9", "孤村", "village", "404", "/9/",
				"2026-01-01T00:00:00Z"), 0);
	assert_int_equal(db_check(db, &report), ZL_E_INTEGRITY);
	assert_non_null(strstr(report.data, "foreign key"));
	assert_non_null(strstr(report.data, "region"));
	buf_release(&report);
	db_close(db);
}

static void test_restore(void **state)
{
	char *dir = tmp_dir_new(), *bk = path_in(dir, "backup.db"), *dest = path_in(dir, "live.db");
	char *wal = xasprintf("%s-wal", dest), *tmp = xasprintf("%s.restore-tmp", dest);
	struct db *src = unit_db(), *live = NULL;
	char *v = NULL;

	(void)state;
	assert_int_equal(db_run(src, "INSERT INTO setting(key, value) VALUES (?, ?)", "tt", "from", "backup"), 0);
	assert_int_equal(db_backup(src, bk), 0);
	db_close(src);

	/* a live database with other content and a stale WAL beside it */
	assert_int_equal(db_open(dest, NULL, &live), 0);
	assert_int_equal(db_migrate(live, NULL), 0);
	assert_int_equal(db_run(live, "INSERT INTO setting(key, value) VALUES (?, ?)", "tt", "from", "live"), 0);
	db_close(live);
	{
		FILE *f = fopen(wal, "wb");

		assert_non_null(f);
		fputs("stale", f);
		fclose(f);
	}

	assert_int_equal(db_restore(bk, dest), 0);
	assert_false(file_exists(wal));
	assert_false(file_exists(tmp));
	assert_int_equal(db_open(dest, NULL, &live), 0);
	assert_int_equal(db_get_text(live, &v, "SELECT value FROM setting WHERE key = ?", "t", "from"), 1);
	assert_string_equal(v, "backup");
	free(v);
	assert_int_equal(count_rows(live, "SELECT count(*) FROM region"), 3);
	assert_int_equal(db_check(live, NULL), 0);
	db_close(live);

	/* a missing backup */
	free(bk);
	bk = path_in(dir, "absent.db");
	assert_int_equal(db_restore(bk, dest), ZL_E_NOT_FOUND);
	free(wal);
	free(tmp);
	free(bk);
	free(dest);
	rm_tree(dir);
}

static void test_restore_refuses_corrupt(void **state)
{
	char *dir = tmp_dir_new(), *bk = path_in(dir, "backup.db"), *bad = path_in(dir, "bad.db");
	char *dest = path_in(dir, "live.db"), *junk = path_in(dir, "junk.db");
	struct db *db = unit_db(), *live = NULL;
	char *v = NULL;
	int i;
	FILE *f;

	(void)state;
	/* enough rows to span several pages */
	assert_int_equal(db_begin(db), 0);
	for (i = 0; i < 400; i++) {
		char key[32];

		snprintf(key, sizeof(key), "k%03d", i);
		assert_int_equal(db_run(db, "INSERT INTO setting(key, value) VALUES (?, ?)", "tt", key,
					"a value long enough to fill pages quickly"), 0);
	}
	assert_int_equal(db_commit(db), 0);
	assert_int_equal(db_backup(db, bk), 0);
	db_close(db);

	assert_int_equal(db_open(dest, NULL, &live), 0);
	assert_int_equal(db_run(live, "CREATE TABLE marker(x TEXT)", NULL), 0);
	assert_int_equal(db_run(live, "INSERT INTO marker VALUES (?)", "t", "untouched"), 0);
	db_close(live);

	copy_file(bk, bad);
	corrupt_file(bad);
	assert_int_equal(db_restore(bad, dest), ZL_E_INTEGRITY);

	/* not a database at all */
	f = fopen(junk, "wb");
	assert_non_null(f);
	for (i = 0; i < 3000; i++)
		fputc("garbage"[i % 7], f);
	fclose(f);
	assert_int_equal(db_restore(junk, dest), ZL_E_INTEGRITY);

	/* the destination was left alone */
	assert_int_equal(db_open(dest, NULL, &live), 0);
	assert_int_equal(db_get_text(live, &v, "SELECT x FROM marker", NULL), 1);
	assert_string_equal(v, "untouched");
	free(v);
	db_close(live);
	free(bk);
	free(bad);
	free(dest);
	free(junk);
	rm_tree(dir);
}

static void test_restore_refuses_newer_schema(void **state)
{
	char *dir = tmp_dir_new(), *bk = path_in(dir, "backup.db"), *dest = path_in(dir, "live.db");
	struct db *db = unit_db();

	(void)state;
	assert_int_equal(db_run(db, "INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)",
				"itt", (int64_t)db_schema_latest() + 1, "future", "2030-01-01T00:00:00Z"), 0);
	assert_int_equal(db_backup(db, bk), 0);
	db_close(db);
	assert_int_equal(db_restore(bk, dest), ZL_E_SCHEMA_NEWER);
	assert_false(file_exists(dest));
	free(bk);
	free(dest);
	rm_tree(dir);
}

static void test_restore_refuses_foreign_db(void **state)
{
	char *dir = tmp_dir_new(), *bk = path_in(dir, "other.db"), *dest = path_in(dir, "live.db");
	struct db *db = NULL;

	(void)state;
	assert_int_equal(db_open(bk, NULL, &db), 0);
	assert_int_equal(db_exec(db, "CREATE TABLE t(x)"), 0);
	db_close(db);
	assert_int_equal(db_restore(bk, dest), ZL_E_INTEGRITY);
	assert_false(file_exists(dest));
	free(bk);
	free(dest);
	rm_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_migrations_recorded),
		cmocka_unit_test(test_migrate_again_applies_none),
		cmocka_unit_test(test_migrate_fresh_counts),
		cmocka_unit_test(test_migrate_schema_newer),
		cmocka_unit_test(test_migration_failure_rolls_back),
		cmocka_unit_test(test_stmt_cache_same),
		cmocka_unit_test(test_stmt_nested_same_sql),
		cmocka_unit_test(test_prepare_errors),
		cmocka_unit_test(test_bindv_types),
		cmocka_unit_test(test_constraint_is_conflict),
		cmocka_unit_test(test_rollback_leaves_nothing),
		cmocka_unit_test(test_get_int_text),
		cmocka_unit_test(test_busy_is_busy),
		cmocka_unit_test(test_open_pragmas),
		cmocka_unit_test(test_thread_connections),
		cmocka_unit_test(test_backup_and_check),
		cmocka_unit_test(test_backup_while_writing),
		cmocka_unit_test(test_check_finds_fk_violation),
		cmocka_unit_test(test_restore),
		cmocka_unit_test(test_restore_refuses_corrupt),
		cmocka_unit_test(test_restore_refuses_newer_schema),
		cmocka_unit_test(test_restore_refuses_foreign_db),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
