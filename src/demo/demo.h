/*
 * demo.h: the demo database: a fictional town with its villages and one
 * login per role. Later modules add their own demo records here, always
 * from a fixed seed so the same command gives the same data.
 */
#ifndef ZL_DEMO_H
#define ZL_DEMO_H

#include "platform/ctx.h"

struct demo_login {
	const char *role, *username, *password, *display_name, *scope, *position, *phone;
};
/* The fixed demo logins, terminated by a NULL role. */
extern const struct demo_login demo_logins[];

/* Fills an empty, migrated database with the demo town. One transaction.
 * Returns 0 or a ZL_E_* code (c->errs says what was wrong). */
int demo_build(struct ctx *c);
/* The demo's "now": the end of its year of contacts and appeals,
 * 2026-11-20 18:00 in Asia/Shanghai (microseconds since the epoch). */
int64_t demo_now_us(void);
/* Prints "role: username / password" for each demo login. */
void demo_print_logins(FILE *out);

#endif
