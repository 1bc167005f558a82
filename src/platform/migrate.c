/*
 * migrate.c: brings a database's schema up to date with the numbered
 * migrations compiled into the program (build/gen/migrations.c), each in its
 * own transaction, and tells which schema version a database is at.
 */
#include "clock.h"
#include "db.h"
#include "error.h"

static const char create_sql[] =
	"CREATE TABLE IF NOT EXISTS schema_migrations ("
	"version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)";

int db_schema_latest(void)
{
	int v = 0;
	size_t i;

	for (i = 0; i < zl_nmigrations; i++)
		if (zl_migrations[i].version > v)
			v = zl_migrations[i].version;
	return v;
}

/* Reads only, so that it also works on a read-only connection (restore). */
int db_schema_version(struct db *db, int *version)
{
	int64_t n = 0;
	int ret;

	*version = 0;
	ret = db_get_int(db, &n, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
			 "t", "schema_migrations");
	if (ret < 0 || n == 0)
		return ret < 0 ? ret : 0;
	ret = db_get_int(db, &n, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", NULL);
	if (ret < 0)
		return ret;
	if (n > INT_MAX)
		n = INT_MAX; /* still newer than any program */
	*version = (int)n;
	return 0;
}

/*
 * Applies one migration in one transaction. The version is looked up again
 * under the write lock so that two processes migrating at once cannot both
 * apply it; *did says whether this call applied it.
 */
static int apply_one(struct db *db, const struct migration *m, int *did)
{
	char at[ZL_TIME_MAX];
	int64_t n = 0;
	int ret;

	*did = 0;
	ret = db_begin(db);
	if (ret)
		goto out;
	ret = db_get_int(db, &n, "SELECT count(*) FROM schema_migrations WHERE version = ?", "i",
			 (int64_t)m->version);
	if (ret < 0)
		goto out;
	if (n == 0) {
		ret = db_exec(db, m->sql);
		if (ret)
			goto out;
		time_format_utc(clock_now(), at);
		ret = db_run(db, "INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)",
			     "itt", (int64_t)m->version, m->name, at);
		if (ret)
			goto out;
		*did = 1;
	}
	ret = db_commit(db);
out:
	if (ret) {
		db_rollback(db);
		*did = 0;
		fprintf(stderr, "zhilian: migration '%s' failed (%s); none of it was applied\n", m->name,
			zl_error_info(ret)->en);
	}
	return ret;
}

int db_migrate(struct db *db, int *applied)
{
	int ret, current = 0, did, n = 0;
	size_t i;

	if (applied)
		*applied = 0;
	if (db_in_tx(db)) {
		fprintf(stderr, "zhilian: db_migrate called inside a transaction\n");
		return ZL_E_INTERNAL;
	}
	ret = db_exec(db, create_sql);
	if (ret)
		goto out;
	ret = db_schema_version(db, &current);
	if (ret)
		goto out;
	if (current > db_schema_latest()) {
		ret = ZL_E_SCHEMA_NEWER;
		goto out;
	}
	for (i = 0; i < zl_nmigrations; i++) {
		if (zl_migrations[i].version <= current)
			continue;
		ret = apply_one(db, &zl_migrations[i], &did);
		if (ret)
			goto out;
		n += did;
	}
out:
	if (applied)
		*applied = n;
	return ret;
}
