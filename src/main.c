/*
 * main.c: the command line. One table of subcommands; each parses its own
 * options and calls the same service functions as the HTTP handlers.
 */
#include <jansson.h>
#include <sodium.h>

#include "appeals/appeals.h"
#include "appeals/portal.h"
#include "contacts/confirm.h"
#include "contacts/contacts.h"
#include "contacts/diary.h"
#include "contacts/meetings.h"
#include "contacts/plans.h"
#include "contacts/reception.h"
#include "contacts/stats.h"
#include "demo/demo.h"
#include "households/cards.h"
#include "households/households.h"
#include "households/pii.h"
#include "households/transfer.h"
#include "open311/open311.h"
#include "org/org.h"
#include "org/regions.h"
#include "org/users.h"
#include "platform/audit.h"
#include "platform/auth.h"
#include "platform/cli.h"
#include "platform/clock.h"
#include "platform/db.h"
#include "platform/http.h"
#include "platform/notify.h"
#include "platform/outbound.h"

#define ZHILIAN_VERSION "0.1.0"

static const struct route_table *const route_tables[] = {
	&server_routes, &auth_routes, &audit_routes, &user_routes,
	&region_routes, &department_routes, &team_routes, &assignment_routes, &notify_routes, &outbound_routes,
	&card_routes, &transfer_routes, &household_routes, &contact_routes, &confirm_routes, &contact_stats_routes,
	&appeal_routes, &portal_routes, &plan_routes, &open311_routes,
	&contact_issue_routes, &meeting_routes, &reception_routes,
	&diary_routes, &records_routes,
};

static int random_password(char out[24])
{
	static const char alphabet[] = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	for (int i = 0; i < 16; i++)
		out[i] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
	out[16] = '\0';
	return 0;
}

/* ---- subcommands ---- */
static const char serve_help[] =
	"usage: zhilian serve [--db FILE] [--listen ADDR:PORT] [--web DIR] [--threads N]\n"
	"                     [--max-body BYTES] [--max-upload BYTES] [--signin-limit N] [--sync-full]\n"
	"                     [--quiet]\n"
	"Serves the web pages and the API. Applies pending migrations first.\n"
	"  --db FILE          database (default $ZHILIAN_DB or zhilian.db)\n"
	"  --listen ADDR:PORT address to listen on (default $ZHILIAN_LISTEN or 127.0.0.1:8080)\n"
	"  --web DIR          static pages (default: web/ beside the program's build folder)\n"
	"  --threads N        worker threads (default: one per core)\n"
	"  --max-body BYTES   largest request body (default 1048576)\n"
	"  --max-upload BYTES largest uploaded file, e.g. a household import (default 67108864)\n"
	"  --signin-limit N   sign-in attempts allowed per address in 5 minutes (default 20, at most 200;\n"
	"                     raise it when a whole office signs in from one address)\n"
	"  --sync-full        synchronous=FULL: survive power loss at some cost in speed\n"
	"  --quiet            log only server errors, not every request\n"
	"Environment: ZHILIAN_TEST_CLOCK=1 enables POST /api/v1/test/clock (tests only).\n";

static char *default_web_dir(void)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	struct stat sb;
	if (n > 0) {
		char *slash;
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			char *dir;
			*slash = '\0';
			dir = xasprintf("%s/../web", exe);
			if (stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode))
				return dir;
			free(dir);
		}
	}
	return xstrdup("web");
}

static int cmd_serve(int argc, char **argv)
{
	struct opt opts[] = { { "--db", 1, NULL, 0 },      { "--listen", 1, NULL, 0 },
			      { "--web", 1, NULL, 0 },     { "--threads", 1, NULL, 0 },
			      { "--max-body", 1, NULL, 0 }, { "--max-upload", 1, NULL, 0 },
			      { "--signin-limit", 1, NULL, 0 }, { "--sync-full", 0, NULL, 0 },
			      { "--quiet", 0, NULL, 0 } };
	struct args a = { "serve", opts, ARRAY_SIZE(opts), { 0 }, 0 };
	struct server_opts so = { 0 };
	struct db_opts dbo = { 0 };
	struct db *db = NULL;
	char *web = NULL;
	const char *v;
	int64_t n;
	int rc = parse_args(&a, argc, argv, 0);
	if (rc == 1)
		return fputs(serve_help, stdout), 0;
	if (rc)
		return rc;
	so.db_path = db_path_of(&a);
	so.listen = opt_value(&a, "--listen");
	if (!so.listen)
		so.listen = getenv("ZHILIAN_LISTEN") && *getenv("ZHILIAN_LISTEN") ? getenv("ZHILIAN_LISTEN")
										   : "127.0.0.1:8080";
	if ((v = opt_value(&a, "--threads"))) {
		if (parse_int64(v, &n) || n < 1 || n > 256)
			return usage_error("serve", "--threads must be a number from 1 to 256, got \"%s\"", v);
		so.threads = (unsigned)n;
	}
	so.max_body = 1024 * 1024;
	so.max_upload = 64 * 1024 * 1024;
	if ((v = opt_value(&a, "--max-upload"))) {
		if (parse_int64(v, &n) || n < 1024 || n > 4LL * 1024 * 1024 * 1024)
			return usage_error("serve", "--max-upload must be a byte count from 1024 to 4294967296, got \"%s\"", v);
		so.max_upload = (size_t)n;
	}
	if ((v = opt_value(&a, "--max-body"))) {
		if (parse_int64(v, &n) || n < 1024 || n > 1024LL * 1024 * 1024)
			return usage_error("serve", "--max-body must be a byte count from 1024 to 1073741824, got \"%s\"", v);
		so.max_body = (size_t)n;
	}
	if ((v = opt_value(&a, "--signin-limit")) &&
	    (parse_int64(v, &n) || n < 1 || n > AUTH_RATE_LIMIT_MAX || auth_rate_set_limit((int)n)))
		return usage_error("serve", "--signin-limit must be a number from 1 to 200, got \"%s\"", v);
	dbo.sync_full = opt_set(&a, "--sync-full");
	so.dbo = &dbo;
	so.quiet = opt_set(&a, "--quiet");
	web = opt_value(&a, "--web") ? xstrdup(opt_value(&a, "--web")) : default_web_dir();
	so.web_dir = web;
	if ((v = getenv("ZHILIAN_TEST_CLOCK")) && strcmp(v, "1") == 0) {
		clock_test_enable();
		fprintf(stderr, "zhilian: test clock enabled (POST /api/v1/test/clock)\n");
	}
	rc = open_db("serve", so.db_path, 1, &db);
	if (rc) {
		free(web);
		return 1;
	}
	/* the personal data key, held for the server's lifetime */
	rc = pii_key_open_cli("serve", db, so.db_path, 0);
	db_close(db);
	if (rc) {
		free(web);
		return 1;
	}
	server_on_tick(outbound_tick); /* after the jobs that notify, so one tick delivers */
	rc = server_run(&so, route_tables, ARRAY_SIZE(route_tables));
	free(web);
	return rc ? 1 : 0;
}

static const char migrate_help[] =
	"usage: zhilian migrate [--db FILE]\n"
	"Applies the migrations the database lacks, each in one transaction, and\n"
	"prints the schema version. A database from a newer program is refused.\n";

static int cmd_migrate(int argc, char **argv)
{
	struct opt opts[] = { { "--db", 1, NULL, 0 } };
	struct args a = { "migrate", opts, ARRAY_SIZE(opts), { 0 }, 0 };
	struct db *db = NULL;
	int applied = 0, v = 0, rc = parse_args(&a, argc, argv, 0);
	if (rc == 1)
		return fputs(migrate_help, stdout), 0;
	if (rc)
		return rc;
	rc = db_open(db_path_of(&a), NULL, &db);
	if (rc) {
		fprintf(stderr, "zhilian migrate: cannot open \"%s\"\n", db_path_of(&a));
		return 1;
	}
	rc = db_migrate(db, &applied);
	db_schema_version(db, &v);
	if (rc == ZL_E_SCHEMA_NEWER)
		fprintf(stderr, "zhilian migrate: database \"%s\" has schema version %d, newer than this "
				"program's %d; upgrade zhilian before using it\n", db_path_of(&a), v,
			db_schema_latest());
	else if (rc)
		fprintf(stderr, "zhilian migrate: failed: %s\n", zl_error_info(rc)->en);
	else
		printf("applied %d migration(s); schema version %d\n", applied, v);
	db_close(db);
	return rc ? 1 : 0;
}

static const char init_help[] =
	"usage: zhilian init [--db FILE] [--code CODE] [--name NAME] [--admin USERNAME]\n"
	"Creates a new database for a town: the schema, the root region and the first\n"
	"administrator, whose one-time password is printed (it must be changed at the\n"
	"first sign-in).\n"
	"  --code CODE      the town's 12-digit division code (default 440881104000)\n"
	"  --name NAME      the town's name (default 凤岭镇)\n"
	"  --admin USERNAME the administrator's username (default admin)\n";

struct init_arg {
	const char *code, *name, *admin;
	char password[24];
};

static int init_fn(struct ctx *c, void *p)
{
	struct init_arg *ia = p;
	json_t *in, *out = NULL;
	int rc = region_add(c, ia->code, ia->name, "town", NULL);
	if (rc)
		return rc;
	random_password(ia->password);
	in = json_pack("{s:s,s:s,s:s,s:s,s:s,s:b}", "username", ia->admin, "display_name", "系统管理员",
		       "role", "admin", "scope_code", ia->code, "password", ia->password,
		       "must_change_password", 1);
	rc = user_create(c, in, &out);
	json_decref(in);
	json_decref(out);
	return rc;
}

static int cmd_init(int argc, char **argv)
{
	struct opt opts[] = { { "--db", 1, NULL, 0 }, { "--code", 1, NULL, 0 }, { "--name", 1, NULL, 0 },
			      { "--admin", 1, NULL, 0 } };
	struct args a = { "init", opts, ARRAY_SIZE(opts), { 0 }, 0 };
	struct init_arg ia = { 0 };
	struct db *db = NULL;
	struct stat sb;
	int rc = parse_args(&a, argc, argv, 0);
	if (rc == 1)
		return fputs(init_help, stdout), 0;
	if (rc)
		return rc;
	if (stat(db_path_of(&a), &sb) == 0) {
		fprintf(stderr, "zhilian init: \"%s\" already exists; choose another --db or remove it\n",
			db_path_of(&a));
		return 1;
	}
	ia.code = opt_value(&a, "--code") ? opt_value(&a, "--code") : "440881104000";
	ia.name = opt_value(&a, "--name") ? opt_value(&a, "--name") : "凤岭镇";
	ia.admin = opt_value(&a, "--admin") ? opt_value(&a, "--admin") : "admin";
	if (open_db("init", db_path_of(&a), 0, &db))
		return 1;
	if (pii_key_open_cli("init", db, db_path_of(&a), 1)) {
		db_close(db);
		unlink(db_path_of(&a));
		return 1;
	}
	rc = with_tx("init", db, init_fn, &ia);
	db_close(db);
	if (rc) {
		unlink(db_path_of(&a));
		return 1;
	}
	printf("created %s for %s (%s)\n", db_path_of(&a), ia.name, ia.code);
	printf("admin: %s / %s  (change it at the first sign-in)\n", ia.admin, ia.password);
	return 0;
}

static const char demo_help[] =
	"usage: zhilian demo [--db FILE] | zhilian demo --logins\n"
	"Builds a demo database with a fictional town and one login per role, and\n"
	"prints the logins as \"role: username / password\". Refuses to touch an\n"
	"existing file. --logins only prints the logins.\n";

static int demo_fn(struct ctx *c, void *p)
{
	UNUSED(p);
	return demo_build(c);
}

static int cmd_demo(int argc, char **argv)
{
	struct opt opts[] = { { "--db", 1, NULL, 0 }, { "--logins", 0, NULL, 0 } };
	struct args a = { "demo", opts, ARRAY_SIZE(opts), { 0 }, 0 };
	struct db *db = NULL;
	struct stat sb;
	int rc = parse_args(&a, argc, argv, 0);
	if (rc == 1)
		return fputs(demo_help, stdout), 0;
	if (rc)
		return rc;
	if (opt_set(&a, "--logins")) {
		demo_print_logins(stdout);
		return 0;
	}
	if (stat(db_path_of(&a), &sb) == 0) {
		fprintf(stderr, "zhilian demo: \"%s\" already exists; the demo only builds a new database "
				"(remove it or choose another --db)\n", db_path_of(&a));
		return 1;
	}
	if (open_db("demo", db_path_of(&a), 0, &db))
		return 1;
	if (pii_key_open_cli("demo", db, db_path_of(&a), 1)) {
		db_close(db);
		unlink(db_path_of(&a));
		return 1;
	}
	rc = with_tx("demo", db, demo_fn, NULL);
	/* flag the year's overdue appeals now, as the server's first tick would */
	if (!rc) {
		int flagged = appeal_sla_run(db, demo_now_us()); /* how many it flagged, or < 0 */
		if (flagged < 0) {
			fprintf(stderr, "zhilian demo: time-limit check failed: %s\n", zl_error_info(flagged)->en);
			rc = flagged;
		}
	}
	db_close(db);
	if (rc) {
		unlink(db_path_of(&a));
		return 1;
	}
	printf("demo database %s created\n", db_path_of(&a));
	demo_print_logins(stdout);
	return 0;
}

static const char backup_help[] =
	"usage: zhilian backup [--db FILE] [--no-key] OUT\n"
	"Copies the live database to OUT with SQLite's online backup, safe while the\n"
	"server runs, and the personal data key file to OUT.key (mode 0600), without\n"
	"which the ID numbers and phones in the copy cannot be read. OUT must not\n"
	"exist. --no-key leaves the key out (keep it safe some other way).\n";

/* Copies a small file (the key) to dst, which must not exist, with mode. */
static int copy_file(const char *src, const char *dst, mode_t mode)
{
	char buf[4096];
	int in = open(src, O_RDONLY | O_CLOEXEC), out = -1, rc = -1;
	ssize_t n;
	if (in < 0)
		return -1;
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (out < 0)
		goto done;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			goto done;
	rc = n == 0 && fsync(out) == 0 ? 0 : -1;
done:
	if (out >= 0)
		close(out);
	close(in);
	return rc;
}

static int cmd_backup(int argc, char **argv)
{
	struct opt opts[] = { { "--db", 1, NULL, 0 }, { "--no-key", 0, NULL, 0 } };
	struct args a = { "backup", opts, ARRAY_SIZE(opts), { 0 }, 0 };
	char *key_src, *key_dst;
	struct db *db = NULL;
	int rc = parse_args(&a, argc, argv, 1);
	if (rc == 1)
		return fputs(backup_help, stdout), 0;
	if (rc)
		return rc;
	if (a.npos != 1)
		return usage_error("backup", "give the backup file to write, e.g. zhilian backup zhilian-2026-11-26.db");
	if (open_db("backup", db_path_of(&a), 1, &db))
		return 1;
	rc = db_backup(db, a.pos[0]);
	db_close(db);
	if (rc) {
		fprintf(stderr, "zhilian backup: cannot write \"%s\": %s\n", a.pos[0],
			rc == ZL_E_CONFLICT ? "the file already exists" : zl_error_info(rc)->en);
		return 1;
	}
	printf("backed up %s to %s\n", db_path_of(&a), a.pos[0]);
	if (opt_set(&a, "--no-key"))
		return 0;
	key_src = pii_key_path_for(db_path_of(&a));
	key_dst = xasprintf("%s.key", a.pos[0]);
	rc = copy_file(key_src, key_dst, 0600);
	if (rc)
		fprintf(stderr, "zhilian backup: the database is copied, but the key file \"%s\" could not "
				"be copied to \"%s\": %s; copy it by hand\n", key_src, key_dst, strerror(errno));
	else
		printf("copied the personal data key to %s (mode 0600)\n", key_dst);
	free(key_src);
	free(key_dst);
	return rc ? 1 : 0;
}

static const char restore_help[] =
	"usage: zhilian restore [--db FILE] BACKUP\n"
	"Checks BACKUP's integrity and foreign keys, then replaces the database with\n"
	"it, and the key file with BACKUP.key when there is one (the old key is kept\n"
	"as FILE.key.old). Stop the server first.\n";

static int cmd_restore(int argc, char **argv)
{
	struct opt opts[] = { { "--db", 1, NULL, 0 } };
	struct args a = { "restore", opts, ARRAY_SIZE(opts), { 0 }, 0 };
	int rc = parse_args(&a, argc, argv, 1);
	if (rc == 1)
		return fputs(restore_help, stdout), 0;
	if (rc)
		return rc;
	if (a.npos != 1)
		return usage_error("restore", "give the backup file to restore from");
	rc = db_restore(a.pos[0], db_path_of(&a));
	if (rc) {
		fprintf(stderr, "zhilian restore: \"%s\" not restored: %s\n", a.pos[0],
			rc == ZL_E_INTEGRITY ? "it fails the integrity check" : zl_error_info(rc)->en);
		return 1;
	}
	printf("restored %s from %s\n", db_path_of(&a), a.pos[0]);
	{
		char *key_src = xasprintf("%s.key", a.pos[0]), *key_dst = pii_key_path_for(db_path_of(&a));
		char *old = xasprintf("%s.old", key_dst), *tmp = xasprintf("%s.restore-tmp", key_dst);
		struct stat sb;
		if (stat(key_src, &sb) == 0) {
			unlink(tmp);
			rc = copy_file(key_src, tmp, 0600);
			if (!rc && stat(key_dst, &sb) == 0) {
				unlink(old);
				rc = link(key_dst, old);
			}
			if (!rc)
				rc = rename(tmp, key_dst);
			if (rc)
				fprintf(stderr, "zhilian restore: could not put the key \"%s\" in place as \"%s\": %s\n",
					key_src, key_dst, strerror(errno));
			else
				printf("restored the personal data key %s\n", key_dst);
		}
		free(key_src);
		free(key_dst);
		free(old);
		free(tmp);
	}
	return rc ? 1 : 0;
}

static const char check_help[] =
	"usage: zhilian check [--db FILE]\n"
	"Runs SQLite's integrity and foreign-key checks and verifies the audit log's\n"
	"hash chain. Exits 0 when all is well, 1 with the problems listed otherwise.\n";

static int cmd_check(int argc, char **argv)
{
	struct opt opts[] = { { "--db", 1, NULL, 0 } };
	struct args a = { "check", opts, ARRAY_SIZE(opts), { 0 }, 0 };
	struct buf report = BUF_INIT;
	struct db *db = NULL;
	int64_t bad = 0, checked = 0;
	int rc = parse_args(&a, argc, argv, 0), arc;
	if (rc == 1)
		return fputs(check_help, stdout), 0;
	if (rc)
		return rc;
	if (open_db("check", db_path_of(&a), 1, &db))
		return 1;
	rc = db_check(db, &report);
	arc = audit_verify(db, &bad, &checked);
	db_close(db);
	if (rc)
		printf("database: problems found\n%s", report.data);
	else
		printf("database: integrity ok, foreign keys ok\n");
	if (arc == ZL_E_INTEGRITY)
		printf("audit log: chain broken at row %" PRId64 " (%" PRId64 " rows checked)\n", bad, checked);
	else if (arc)
		printf("audit log: cannot be read: %s\n", zl_error_info(arc)->en);
	else
		printf("audit log: %" PRId64 " rows, chain intact\n", checked);
	buf_release(&report);
	return rc || arc ? 1 : 0;
}

static const char user_help[] =
	"usage: zhilian user add USERNAME --role ROLE --scope CODE [--name NAME] [--password P]\n"
	"       zhilian user passwd USERNAME [--password P]\n"
	"       zhilian user list\n"
	"       zhilian user disable USERNAME\n"
	"All take [--db FILE]. ROLE is admin, leader, cadre or viewer; CODE is the\n"
	"region code of the user's data scope. Without --password a random one is\n"
	"printed; either way the user must change it at the first sign-in.\n";

struct user_arg {
	const char *verb, *username, *role, *scope, *name, *password;
	char generated[24];
	int64_t id;
};

static int lookup_user(struct ctx *c, const char *username, int64_t *id)
{
	int rc = db_get_int(c->db, id, "SELECT id FROM app_user WHERE username = ?", "t", username);
	if (rc == 0) {
		char en[160];
		snprintf(en, sizeof(en), "no user \"%s\"", username);
		ctx_detail(c, "没有该用户", en);
		return ZL_E_NOT_FOUND;
	}
	return rc < 0 ? rc : 0;
}

static int user_fn(struct ctx *c, void *p)
{
	struct user_arg *ua = p;
	json_t *in = NULL, *out = NULL;
	int rc;
	const char *pw = ua->password;
	if (!pw && strcmp(ua->verb, "disable") != 0) {
		random_password(ua->generated);
		pw = ua->generated;
	}
	if (strcmp(ua->verb, "add") == 0) {
		in = json_pack("{s:s,s:s,s:s?,s:s?,s:s}", "username", ua->username, "display_name",
			       ua->name ? ua->name : ua->username, "role", ua->role, "scope_code",
			       ua->scope, "password", pw);
		rc = user_create(c, in, &out);
		if (!rc)
			ua->id = json_integer_value(json_object_get(out, "id"));
	} else {
		rc = lookup_user(c, ua->username, &ua->id);
		if (rc)
			return rc;
		if (strcmp(ua->verb, "passwd") == 0)
			in = json_pack("{s:s}", "password", pw);
		else
			in = json_pack("{s:b}", "disabled", 1);
		rc = user_update(c, ua->id, in, &out);
	}
	json_decref(in);
	json_decref(out);
	if (!rc && !ua->password && ua->generated[0])
		ua->password = ua->generated;
	return rc;
}

static int user_list_print(struct db *db)
{
	struct ctx c;
	struct page pg = { 500, 0 };
	int rc;
	ctx_init_system(&c, db);
	printf("%-6s %-20s %-8s %-14s %-9s %s\n", "id", "username", "role", "scope", "status", "name");
	do {
		json_t *items = NULL, *u;
		int64_t next = 0;
		size_t i;
		rc = user_list(&c, &pg, NULL, NULL, &items, &next);
		if (rc)
			break;
		json_array_foreach(items, i, u) {
			printf("%-6" JSON_INTEGER_FORMAT " %-20s %-8s %-14s %-9s %s\n",
			       json_integer_value(json_object_get(u, "id")),
			       json_string_value(json_object_get(u, "username")),
			       json_string_value(json_object_get(u, "role")),
			       json_string_value(json_object_get(u, "scope_code")),
			       json_is_true(json_object_get(u, "disabled")) ? "disabled" : "active",
			       json_string_value(json_object_get(u, "display_name")));
		}
		json_decref(items);
		pg.after = next;
	} while (pg.after);
	if (rc)
		cli_print_error("user list", rc, &c);
	ctx_release(&c);
	return rc;
}

static int cmd_user(int argc, char **argv)
{
	struct opt opts[] = { { "--db", 1, NULL, 0 },   { "--role", 1, NULL, 0 },
			      { "--scope", 1, NULL, 0 }, { "--name", 1, NULL, 0 },
			      { "--password", 1, NULL, 0 } };
	struct args a = { "user", opts, ARRAY_SIZE(opts), { 0 }, 0 };
	struct user_arg ua = { 0 };
	struct db *db = NULL;
	int rc = parse_args(&a, argc, argv, 2);
	if (rc == 1)
		return fputs(user_help, stdout), 0;
	if (rc)
		return rc;
	if (a.npos == 0)
		return usage_error("user", "give a verb: add, passwd, list or disable");
	ua.verb = a.pos[0];
	if (strcmp(ua.verb, "list") == 0) {
		if (a.npos != 1)
			return usage_error("user", "\"user list\" takes no USERNAME");
		if (open_db("user", db_path_of(&a), 1, &db))
			return 1;
		rc = user_list_print(db);
		db_close(db);
		return rc ? 1 : 0;
	}
	if (strcmp(ua.verb, "add") && strcmp(ua.verb, "passwd") && strcmp(ua.verb, "disable"))
		return usage_error("user", "unknown verb \"%s\"; use add, passwd, list or disable", ua.verb);
	if (a.npos != 2)
		return usage_error("user", "\"user %s\" needs a USERNAME", ua.verb);
	ua.username = a.pos[1];
	ua.role = opt_value(&a, "--role");
	ua.scope = opt_value(&a, "--scope");
	ua.name = opt_value(&a, "--name");
	ua.password = opt_value(&a, "--password");
	if (strcmp(ua.verb, "add") == 0 && (!ua.role || !ua.scope))
		return usage_error("user", "\"user add\" needs --role (admin, leader, cadre or viewer) and "
					   "--scope (a region code such as 440881104000)");
	if (open_db("user", db_path_of(&a), 1, &db))
		return 1;
	rc = with_tx("user", db, user_fn, &ua);
	db_close(db);
	if (rc)
		return 1;
	if (strcmp(ua.verb, "add") == 0)
		printf("added user %s (id %" PRId64 ")\n", ua.username, ua.id);
	else if (strcmp(ua.verb, "disable") == 0)
		printf("disabled user %s; their sessions have ended\n", ua.username);
	if (strcmp(ua.verb, "disable") != 0)
		printf("password for %s: %s  (must be changed at the next sign-in)\n", ua.username, ua.password);
	return 0;
}

static const char routes_help[] =
	"usage: zhilian routes\n"
	"Prints every HTTP route as JSON: module, method, pattern, permission and\n"
	"whether it is public or about the caller (self).\n";

static void route_json(const struct route *r, const char *module, void *arg)
{
	json_array_append_new(arg, json_pack("{s:s,s:s,s:s,s:s?,s:b,s:b}", "module", module, "method",
					     r->method, "pattern", r->pattern, "perm", r->perm,
					     "public", (r->flags & ROUTE_PUBLIC) != 0, "self",
					     (r->flags & ROUTE_SELF) != 0));
}

static int cmd_routes(int argc, char **argv)
{
	struct args a = { "routes", NULL, 0, { 0 }, 0 };
	struct router *rt;
	json_t *arr;
	char *s;
	int rc = parse_args(&a, argc, argv, 0);
	if (rc == 1)
		return fputs(routes_help, stdout), 0;
	if (rc)
		return rc;
	rt = router_new(route_tables, ARRAY_SIZE(route_tables));
	arr = json_array();
	router_each(rt, route_json, arr);
	s = json_dumps(arr, JSON_INDENT(1));
	puts(s);
	free(s);
	json_decref(arr);
	router_free(rt);
	return 0;
}

static int cmd_version(int argc, char **argv)
{
	UNUSED(argc);
	UNUSED(argv);
	printf("zhilian %s (schema %d)\n", ZHILIAN_VERSION, db_schema_latest());
	return 0;
}

static int cmd_help(int argc, char **argv);

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "serve", cmd_serve, "serve the web pages and the API" },
	{ "init", cmd_init, "create a new database for a town and its first administrator" },
	{ "demo", cmd_demo, "build the demo database and print its logins" },
	{ "migrate", cmd_migrate, "apply pending schema migrations" },
	{ "backup", cmd_backup, "copy the live database to a file" },
	{ "restore", cmd_restore, "replace the database with a checked backup" },
	{ "check", cmd_check, "check integrity, foreign keys and the audit chain" },
	{ "user", cmd_user, "add, list, disable users or reset a password" },
	{ "cards", cards_cli, "print liaison cards (连心卡) of a village or household to PDF" },
	{ "records", records_cli, "print a village's station log or team record book for a month (PDF)" },
	{ "import", transfer_import_cli, "import households (or regions) from a CSV file" },
	{ "export", transfer_export_cli, "export households to CSV or XLSX" },
	{ "apikey", apikey_cli, "add, list or revoke Open311 API keys" },
	{ "rotate-key", rotate_key_cli, "re-encrypt ID numbers and phones under a new key" },
	{ "routes", cmd_routes, "list the HTTP routes as JSON" },
	{ "version", cmd_version, "print the version" },
	{ "help", cmd_help, "show this help" },
};

static int cmd_help(int argc, char **argv)
{
	UNUSED(argc);
	UNUSED(argv);
	printf("zhilian (直联): township liaison with the masses\n\nusage: zhilian COMMAND [options]\n\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		printf("  %-11s %s\n", commands[i].name, commands[i].summary);
	printf("\nEvery command takes --help. --db FILE (or $ZHILIAN_DB) picks the database.\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (sodium_init() < 0) {
		fprintf(stderr, "zhilian: libsodium failed to initialise\n");
		return 1;
	}
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return cmd_help(0, NULL) + (argc < 2 ? 2 : 0);
	if (strcmp(argv[1], "--version") == 0)
		return cmd_version(0, NULL);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 2, argv + 2);
	fprintf(stderr, "zhilian: unknown command \"%s\"; run `zhilian help` for the list\n", argv[1]);
	return 2;
}
