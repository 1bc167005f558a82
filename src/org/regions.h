/*
 * regions.h: the region tree (县 county > 镇 town > 村 village > 村民小组
 * group, under optional province and city levels), keyed by statistical
 * division codes (统计用区划代码). Each region stores its materialised path,
 * which is what data scope filters on; every other record refers to a region
 * by code, so moving a subtree only rewrites paths.
 *
 * Every function runs inside the caller's write transaction, checks the
 * actor's scope (a region outside it is ZL_E_NOT_FOUND) and audits changes.
 */
#ifndef ZL_REGIONS_H
#define ZL_REGIONS_H

#include <jansson.h>

#include "platform/http.h"

/*
 * The canonical level for a level name: "county", "town", "village",
 * "group", "city", "province", or their Chinese names (县/区/县级市 county,
 * 镇/乡/街道 town, 村/社区/居委会 village, 村民小组/组 group, 市 city, 省
 * province). NULL if unknown. The result is a static string.
 */
const char *region_level_parse(const char *s);

/*
 * Checks a code against the statistical scheme: 12 digits (a group: its
 * village's 12 and a 3-digit suffix), trailing zeros as the level demands
 * (county 6, town 3, a village none); with a parent: the level is the
 * parent's child level and the code extends the parent's (a town's first 6
 * digits are its county's, a village's first 9 its town's, a group's first
 * 12 its village's). level must be canonical; parent_code/parent_level may
 * be NULL. Adds errors for fields "code", "level" and "parent_code" to v;
 * returns 0 or ZL_E_VALIDATION.
 */
int region_code_check(struct verr *v, const char *code, const char *level, const char *parent_code,
		      const char *parent_level);

/*
 * Adds a region under parent (NULL for a root, which only an actor with the
 * whole tree in scope, such as the CLI, may add), computing its path, and
 * audits it. Returns 0, ZL_E_VALIDATION (with field errors) for a bad code,
 * name, level or parent (unknown, out of scope), ZL_E_REGION_RETIRED for a
 * retired parent, ZL_E_REGION_EXISTS for a taken code.
 */
int region_add(struct ctx *c, const char *code, const char *name, const char *level,
	       const char *parent);

/*
 * One region as JSON (new reference): code, name, level, parent_code,
 * parent {code, name, level} | null, path [{code, name, level}] from the
 * root down to it, retired, retired_at, created_at, children (active direct
 * children), descendants {level: count} (active, all depths), households and
 * users (active, within the subtree).
 */
int region_get(struct ctx *c, const char *code, json_t **out);

/*
 * Regions by code. With parent: its children (ZL_E_NOT_FOUND if the parent
 * is outside scope). Without parent but with level: every region of that
 * level in scope. With neither: the actor's scope root and its children.
 * Retired regions only with include_retired. Items carry code, name, level,
 * parent_code, retired, retired_at and children (active direct children).
 * *next is the last code given (as a number) when there is more.
 */
int region_list(struct ctx *c, const struct page *p, const char *parent, const char *level,
		int include_retired, json_t **items, int64_t *next);

/* Renames; a no-op rename audits nothing. */
int region_rename(struct ctx *c, const char *code, const char *name, json_t **out);
/*
 * Moves a region (and its subtree) under another parent of the parent level,
 * rewriting the paths of the whole subtree; the codes stay, so every record
 * stays reachable and falls into the new parent's scope. ZL_E_REGION_CYCLE
 * for a move under itself or its subtree, ZL_E_REGION_RETIRED for a retired
 * parent, ZL_E_VALIDATION for a parent of the wrong level or out of scope.
 */
int region_move(struct ctx *c, const char *code, const char *parent_code, json_t **out);
/* Retires a region; ZL_E_REGION_ACTIVE_CHILDREN while a child is active. */
int region_retire(struct ctx *c, const char *code, json_t **out);
/* Deletes a region that nothing refers to; ZL_E_REGION_IN_USE otherwise. */
int region_delete(struct ctx *c, const char *code);

/*
 * 1 if code's region lies within the subtree of root_code (itself
 * included), 0 if not or if either does not exist, negative on error.
 */
int region_in_subtree(struct db *db, const char *code, const char *root_code);

/* What an import did or, for a dry run, would do. */
struct region_import_result {
	int rows, created, renamed, moved, unchanged;
};
/*
 * Imports the national list's CSV (code, name, level, parent code; UTF-8,
 * optional BOM and header row; rows in any order). Each bad row adds an
 * error whose field is "row N, column C (name)"; then nothing is applied and
 * ZL_E_VALIDATION is returned. An existing code with the same name and
 * parent is unchanged; a new name renames it, a new parent moves it. With
 * dry_run nothing is written.
 */
int region_import(struct ctx *c, const char *data, size_t len, int dry_run,
		  struct region_import_result *res);

/* `zhilian import regions FILE.csv [--dry-run] [--db FILE]`: argv holds the
 * arguments after "regions". Returns the exit code. */
int region_import_cli(int argc, char **argv);

/* GET/POST /api/v1/regions, GET/PATCH/DELETE /api/v1/regions/{code},
 * POST /api/v1/regions/{code}/move and /retire. */
extern const struct route_table region_routes;

#endif
