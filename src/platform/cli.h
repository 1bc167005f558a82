/*
 * cli.h: helpers shared by the CLI subcommands of every module, so that each
 * `zhilian X` parses options, finds the database and reports errors alike.
 */
#ifndef ZL_CLI_H
#define ZL_CLI_H

#include "ctx.h"

struct db;

struct opt {
	const char *name;  /* "--db" */
	int takes_value;
	const char *value; /* filled by parse_args */
	int set;
};

struct args {
	const char *cmd; /* "user", for messages */
	struct opt *opts;
	size_t nopts;
	const char *pos[8]; /* positional arguments */
	size_t npos;
};

/* Prints "zhilian CMD: <message>" and a pointer to --help; returns 2. */
int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Returns 0, 1 when --help was asked, or 2 after printing a usage error.
 * At most max_pos positional arguments are accepted. */
int parse_args(struct args *a, int argc, char **argv, size_t max_pos);
const char *opt_value(const struct args *a, const char *name);
int opt_set(const struct args *a, const char *name);
/* --db, else $ZHILIAN_DB, else "zhilian.db". */
const char *db_path_of(const struct args *a);
/* Prints a service error with its field errors, English then Chinese. */
void cli_print_error(const char *cmd, int rc, struct ctx *c);
/* Opens and migrates the database, printing a clear message on failure
 * (missing file when must_exist, newer schema). 0 or a ZL_E_* code. */
int open_db(const char *cmd, const char *path, int must_exist, struct db **db);
/* Runs fn(c, arg) in one write transaction as the system actor; prints the
 * error and rolls back on failure. Returns fn's result. */
int with_tx(const char *cmd, struct db *db, int (*fn)(struct ctx *, void *), void *arg);

/* Writes len bytes to path through a temporary file beside it and a rename,
 * so a failed run never leaves half a file where the old one was; "-" is
 * standard output. 0 or -1 (errno set). */
int cli_write_file(const char *path, const void *data, size_t len);

#endif
