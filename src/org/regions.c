/*
 * regions.c: the region tree. For now: adding a region (the root town at
 * init, the demo villages); the organisation module grows here.
 */
#include <jansson.h>

#include "regions.h"
#include "platform/audit.h"
#include "platform/clock.h"
#include "platform/db.h"

static int valid_code(const char *code)
{
	size_t n = strlen(code);
	if (n != 12 && n != 15)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)code[i]))
			return 0;
	return 1;
}

static int valid_level(const char *level)
{
	static const char *levels[] = { "province", "city", "county", "town", "village", "group" };
	for (size_t i = 0; i < ARRAY_SIZE(levels); i++)
		if (strcmp(level, levels[i]) == 0)
			return 1;
	return 0;
}

int region_add(struct ctx *c, const char *code, const char *name, const char *level,
	       const char *parent)
{
	char now[ZL_TIME_MAX], path[ZL_PATH_MAX];
	char *ppath = NULL;
	json_t *after;
	long nlen = name ? utf8_len(name) : -1;
	int rc;

	if (!code || !valid_code(code))
		verr_add(&c->errs, "code", "区划代码应为 12 位数字（村民小组 15 位）",
			 "'code' must be 12 digits (15 for a group)");
	if (nlen < 1 || nlen > 64)
		verr_add(&c->errs, "name", "名称应为 1 到 64 个字", "'name' must be 1 to 64 characters");
	if (!level || !valid_level(level))
		verr_add(&c->errs, "level", "级别应为 county、town、village 或 group",
			 "'level' must be county, town, village or group");
	if (c->errs.n)
		return ZL_E_VALIDATION;
	if (parent) {
		rc = db_get_text(c->db, &ppath, "SELECT path FROM region WHERE code = ?", "t", parent);
		if (rc != 1) {
			free(ppath);
			return rc < 0 ? rc : ZL_E_NOT_FOUND;
		}
		snprintf(path, sizeof(path), "%s%s/", ppath, code);
		free(ppath);
	} else {
		snprintf(path, sizeof(path), "/%s/", code);
	}
	time_format_utc(clock_now(), now);
	rc = db_run(c->db,
		    "INSERT INTO region(code, name, level, parent_code, path, created_at) "
		    "VALUES (?,?,?,?,?,?)",
		    "tttttt", code, name, level, parent, path, now);
	if (rc)
		return rc;
	after = json_pack("{s:s,s:s,s:s,s:s?,s:s}", "code", code, "name", name, "level", level,
			  "parent_code", parent, "path", path);
	rc = audit_log(c, "region.create", "region", code, NULL, after);
	json_decref(after);
	return rc;
}
