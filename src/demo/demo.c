/*
 * demo.c: builds the demo town 凤岭镇 (fictional) with two villages and the
 * four demo logins, through the same service functions the API uses.
 */
#include <jansson.h>

#include "demo.h"
#include "org/regions.h"
#include "org/users.h"

#define DEMO_TOWN "440881104000"

const struct demo_login demo_logins[] = {
	{ "admin", "admin", "Demo-2026-A1", "系统管理员 陈立明", DEMO_TOWN },
	{ "leader", "leader", "Demo-2026-L2", "镇领导 黄志强", DEMO_TOWN },
	{ "cadre", "cadre", "Demo-2026-C3", "驻点干部 林秀英", "440881104201" },
	{ "viewer", "viewer", "Demo-2026-V4", "督查员 周建华", DEMO_TOWN },
	{ NULL, NULL, NULL, NULL, NULL },
};

static const struct {
	const char *code, *name, *level, *parent;
} demo_regions[] = {
	{ DEMO_TOWN, "凤岭镇", "town", NULL },
	{ "440881104201", "东坑村", "village", DEMO_TOWN },
	{ "440881104202", "石岭村", "village", DEMO_TOWN },
};

int demo_build(struct ctx *c)
{
	int rc;
	for (size_t i = 0; i < ARRAY_SIZE(demo_regions); i++) {
		rc = region_add(c, demo_regions[i].code, demo_regions[i].name, demo_regions[i].level,
				demo_regions[i].parent);
		if (rc)
			return rc;
	}
	for (const struct demo_login *l = demo_logins; l->role; l++) {
		json_t *in = json_pack("{s:s,s:s,s:s,s:s,s:s,s:b}", "username", l->username,
				       "display_name", l->display_name, "role", l->role, "scope_code",
				       l->scope, "password", l->password, "must_change_password", 0);
		json_t *out = NULL;
		rc = user_create(c, in, &out);
		json_decref(in);
		json_decref(out);
		if (rc)
			return rc;
	}
	return 0;
}

void demo_print_logins(FILE *out)
{
	for (const struct demo_login *l = demo_logins; l->role; l++)
		fprintf(out, "%s: %s / %s\n", l->role, l->username, l->password);
}
