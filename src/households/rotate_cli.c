/*
 * rotate_cli.c: `zhilian rotate-key`, the command line around pii_rotate().
 * Its own file so that programs using pii.c without the CLI (the unit tests)
 * do not link the CLI helpers.
 */
#include "households/pii.h"
#include "platform/cli.h"
#include "platform/db.h"
#include "platform/error.h"

static const char rotate_help[] =
	"usage: zhilian rotate-key [--db FILE]\n"
	"Makes a new personal data key and re-encrypts every ID number and phone\n"
	"under it in one transaction, recomputing the look-up hashes; then puts the\n"
	"new key file in place of the old (FILE.key, or $ZHILIAN_KEY). Stop the\n"
	"server first. If the command is killed, the next start of any zhilian\n"
	"command on the database finishes or undoes the rotation; no data is lost.\n"
	"Backups taken before a rotation need the old key file.\n";

int rotate_key_cli(int argc, char **argv)
{
	struct opt opts[] = { { "--db", 1, NULL, 0 } };
	struct args a = { "rotate-key", opts, ARRAY_SIZE(opts), { 0 }, 0 };
	struct db *db = NULL;
	char *path = NULL, before[PII_KEY_ID_HEX], after[PII_KEY_ID_HEX];
	int64_t n = 0;
	int rc = parse_args(&a, argc, argv, 0);
	if (rc == 1)
		return fputs(rotate_help, stdout), 0;
	if (rc)
		return rc;
	if (open_db("rotate-key", db_path_of(&a), 1, &db))
		return 1;
	if (pii_key_open_cli("rotate-key", db, db_path_of(&a), 0)) {
		db_close(db);
		return 1;
	}
	pii_key_id(before);
	path = pii_key_path_for(db_path_of(&a));
	rc = pii_rotate(db, path, &n);
	db_close(db);
	if (rc) {
		fprintf(stderr, "zhilian rotate-key: %s\n", pii_key_error()[0] ? pii_key_error() : zl_error_info(rc)->en);
		free(path);
		return 1;
	}
	pii_key_id(after);
	printf("rotated the personal data key of %s: %" PRId64 " value(s) re-encrypted; key %s -> %s "
	       "in %s\n", db_path_of(&a), n, before, after, path);
	free(path);
	pii_key_unload();
	return 0;
}
