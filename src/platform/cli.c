/*
 * cli.c: what every subcommand needs: option parsing, the database path,
 * opening and migrating the database with clear messages, running work in
 * one transaction as the system actor, and printing service errors.
 */
#include "cli.h"
#include "db.h"

int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "zhilian %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(see: zhilian %s --help)\n", cmd);
	return 2;
}

/* Returns 0, 1 when --help was asked, or 2 on a usage error. */
int parse_args(struct args *a, int argc, char **argv, size_t max_pos)
{
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)
			return 1;
		if (strncmp(arg, "--", 2) == 0) {
			size_t k;
			const char *eq = strchr(arg, '=');
			size_t nlen = eq ? (size_t)(eq - arg) : strlen(arg);
			for (k = 0; k < a->nopts; k++)
				if (strlen(a->opts[k].name) == nlen && strncmp(a->opts[k].name, arg, nlen) == 0)
					break;
			if (k == a->nopts)
				return usage_error(a->cmd, "unknown option \"%.*s\"", (int)nlen, arg);
			a->opts[k].set = 1;
			if (a->opts[k].takes_value) {
				if (eq)
					a->opts[k].value = eq + 1;
				else if (i + 1 < argc)
					a->opts[k].value = argv[++i];
				else
					return usage_error(a->cmd, "option \"%s\" needs a value", a->opts[k].name);
			} else if (eq) {
				return usage_error(a->cmd, "option \"%s\" takes no value", a->opts[k].name);
			}
		} else {
			if (a->npos >= max_pos || a->npos >= ARRAY_SIZE(a->pos))
				return usage_error(a->cmd, "unexpected argument \"%s\"", arg);
			a->pos[a->npos++] = arg;
		}
	}
	return 0;
}

const char *opt_value(const struct args *a, const char *name)
{
	for (size_t k = 0; k < a->nopts; k++)
		if (strcmp(a->opts[k].name, name) == 0)
			return a->opts[k].value;
	return NULL;
}

int opt_set(const struct args *a, const char *name)
{
	for (size_t k = 0; k < a->nopts; k++)
		if (strcmp(a->opts[k].name, name) == 0)
			return a->opts[k].set;
	return 0;
}

const char *db_path_of(const struct args *a)
{
	const char *v = opt_value(a, "--db");
	if (v)
		return v;
	v = getenv("ZHILIAN_DB");
	return v && *v ? v : "zhilian.db";
}

/* Prints a service error the way a person at a terminal needs it. */
void cli_print_error(const char *cmd, int rc, struct ctx *c)
{
	const struct zl_error_info *e = zl_error_info(rc);
	fprintf(stderr, "zhilian %s: %s (%s)\n", cmd, c && c->detail_en ? c->detail_en : e->en, e->name);
	if (c)
		for (size_t i = 0; i < c->errs.n; i++)
			fprintf(stderr, "  %s: %s / %s\n", c->errs.items[i].field, c->errs.items[i].en,
				c->errs.items[i].zh);
}

/* Opens and migrates the database; prints a clear message on failure. */
int open_db(const char *cmd, const char *path, int must_exist, struct db **db)
{
	struct stat sb;
	int rc;
	if (must_exist && stat(path, &sb) != 0) {
		fprintf(stderr, "zhilian %s: database \"%s\" does not exist; create it with "
				"`zhilian init --db %s` or `zhilian demo --db %s`\n", cmd, path, path, path);
		return ZL_E_NOT_FOUND;
	}
	rc = db_open(path, NULL, db);
	if (rc) {
		fprintf(stderr, "zhilian %s: cannot open database \"%s\": %s\n", cmd, path,
			zl_error_info(rc)->en);
		return rc;
	}
	rc = db_migrate(*db, NULL);
	if (rc == ZL_E_SCHEMA_NEWER) {
		int v = 0;
		db_schema_version(*db, &v);
		fprintf(stderr, "zhilian %s: database \"%s\" has schema version %d, newer than this "
				"program's %d; upgrade zhilian before using it\n", cmd, path, v,
			db_schema_latest());
	} else if (rc) {
		fprintf(stderr, "zhilian %s: cannot migrate \"%s\": %s\n", cmd, path, zl_error_info(rc)->en);
	}
	if (rc) {
		db_close(*db);
		*db = NULL;
	}
	return rc;
}

/* Runs fn inside one transaction with the system actor. */
int with_tx(const char *cmd, struct db *db, int (*fn)(struct ctx *, void *), void *arg)
{
	struct ctx c;
	int rc;
	ctx_init_system(&c, db);
	rc = db_begin(db);
	if (!rc)
		rc = fn(&c, arg);
	if (!rc)
		rc = db_commit(db);
	if (rc) {
		db_rollback(db);
		cli_print_error(cmd, rc, &c);
	}
	ctx_release(&c);
	return rc;
}

int cli_write_file(const char *path, const void *data, size_t len)
{
	char *tmp;
	FILE *f;
	int ok;
	if (!strcmp(path, "-"))
		return fwrite(data, 1, len, stdout) == len && fflush(stdout) == 0 ? 0 : -1;
	tmp = xasprintf("%s.tmp%ld", path, (long)getpid());
	if (!(f = fopen(tmp, "wb"))) {
		free(tmp);
		return -1;
	}
	ok = fwrite(data, 1, len, f) == len;
	ok = (fclose(f) == 0) && ok;
	if (ok)
		ok = rename(tmp, path) == 0;
	if (!ok)
		unlink(tmp);
	free(tmp);
	return ok ? 0 : -1;
}
