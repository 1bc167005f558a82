/*
 * regions.c: the region tree: code validation by the statistical scheme,
 * create, rename, move (rewriting the materialised paths of a subtree),
 * retire, delete, the national-list CSV import, and the routes. Also the
 * small helpers the whole org module shares (dates, phones, users).
 */
#include "org/regions.h"
#include "org/org.h"

#include "platform/audit.h"
#include "platform/cli.h"
#include "platform/clock.h"
#include "platform/db.h"

#define REGION_NAME_MAX 64

static const char *const levels[] = { "province", "city", "county", "town", "village", "group" };

/* Digits of a code that a child's code repeats, by the child's level. */
static const size_t prefix_len[] = { 0, 2, 4, 6, 9, 12 };

static int level_rank(const char *level)
{
	for (size_t i = 0; level && i < ARRAY_SIZE(levels); i++)
		if (strcmp(level, levels[i]) == 0)
			return (int)i;
	return -1;
}

const char *region_level_parse(const char *s)
{
	static const struct {
		const char *name, *level;
	} names[] = {
		{ "省", "province" },	 { "自治区", "province" }, { "直辖市", "province" },
		{ "市", "city" },	 { "地级市", "city" },	  { "州", "city" },
		{ "盟", "city" },	 { "县", "county" },	  { "区", "county" },
		{ "县级市", "county" }, { "市辖区", "county" },  { "自治县", "county" },
		{ "旗", "county" },	 { "镇", "town" },	  { "乡", "town" },
		{ "街道", "town" },	 { "民族乡", "town" },	  { "苏木", "town" },
		{ "村", "village" },	 { "社区", "village" },	  { "居委会", "village" },
		{ "村委会", "village" }, { "嘎查", "village" },   { "村民小组", "group" },
		{ "组", "group" },	 { "小组", "group" },
	};
	if (!s)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(levels); i++)
		if (strcasecmp(s, levels[i]) == 0)
			return levels[i];
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strcmp(s, names[i].name) == 0)
			return names[i].level;
	return NULL;
}

static int zeros(const char *s, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (s[i] != '0')
			return 0;
	return 1;
}

static int code_shape_ok(const char *code)
{
	size_t n = strlen(code);
	if ((n != 12 && n != 15) || code[0] < '1' || code[0] > '9')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)code[i]))
			return 0;
	return 1;
}

/* The trailing part each level leaves zero (or must not). */
static int level_shape_ok(const char *code, int rank)
{
	switch (rank) {
	case 0: return zeros(code, 2, 12);
	case 1: return zeros(code, 4, 12) && !zeros(code, 2, 4);
	case 2: return zeros(code, 6, 12) && !zeros(code, 4, 6);
	case 3: return zeros(code, 9, 12) && !zeros(code, 6, 9);
	case 4: return !zeros(code, 9, 12);
	default: return !zeros(code, 12, 15);
	}
}

int region_code_check(struct verr *v, const char *code, const char *level, const char *parent_code,
		      const char *parent_level)
{
	static const char *const shape_zh[] = {
		"省级代码应为前 2 位加 10 个 0", "地级代码应为前 4 位加 8 个 0",
		"县级代码应为前 6 位加 6 个 0（如 440881000000）", "乡镇级代码应为前 9 位加 3 个 0（如 440881104000）",
		"村级代码后 3 位不能全为 0（如 440881104201）", "村民小组代码的后 3 位不能全为 0",
	};
	static const char *const shape_en[] = {
		"a province's 'code' is 2 digits and 10 zeros", "a city's 'code' is 4 digits and 8 zeros",
		"a county's 'code' is 6 digits and 6 zeros (e.g. 440881000000)",
		"a town's 'code' is 9 digits and 3 zeros (e.g. 440881104000)",
		"a village's 'code' must not end in 000 (e.g. 440881104201)",
		"a group's 'code' must not end in 000",
	};
	int rank = level_rank(level), prank = level_rank(parent_level);
	size_t before = v->n;
	char zh[256], en[256];

	if (!code || !*code) {
		verr_add(v, "code", "必须填写区划代码", "'code' is required");
	} else if (!code_shape_ok(code)) {
		verr_add(v, "code", "区划代码应为 12 位数字（村民小组为所属村代码加 3 位，共 15 位）",
			 "'code' must be 12 digits (a group: its village's 12 and 3 more)");
	}
	if (rank < 0)
		verr_add(v, "level", "级别应为 county（县）、town（镇）、village（村）或 group（组）",
			 "'level' must be county, town, village or group");
	if (v->n > before)
		return ZL_E_VALIDATION;

	if (rank == 5 && strlen(code) != 15)
		verr_add(v, "code", "村民小组代码应为所属村的 12 位代码加 3 位序号",
			 "a group's 'code' is its village's 12-digit code and a 3-digit suffix");
	else if (rank != 5 && strlen(code) != 12)
		verr_add(v, "code", "只有村民小组的代码是 15 位", "only a group's 'code' has 15 digits");
	else if (!level_shape_ok(code, rank))
		verr_add(v, "code", shape_zh[rank], shape_en[rank]);

	if (parent_code && *parent_code && prank >= 0) {
		if (rank == 0 || prank != rank - 1) {
			snprintf(zh, sizeof(zh), "上级区域是“%s”级，其下级应为“%s”级", parent_level,
				 prank + 1 < (int)ARRAY_SIZE(levels) ? levels[prank + 1] : "（无）");
			snprintf(en, sizeof(en), "'level' must be the child level of the parent's: under a '%s' "
				 "comes a '%s'", parent_level,
				 prank + 1 < (int)ARRAY_SIZE(levels) ? levels[prank + 1] : "(nothing)");
			verr_add(v, "level", zh, en);
		} else if (v->n == before && strncmp(code, parent_code, prefix_len[rank]) != 0) {
			snprintf(zh, sizeof(zh), "代码前 %zu 位应与上级区域（%s）相同", prefix_len[rank], parent_code);
			snprintf(en, sizeof(en), "'code' must begin with the first %zu digits of its parent %s",
				 prefix_len[rank], parent_code);
			verr_add(v, "code", zh, en);
		}
	}
	return v->n > before ? ZL_E_VALIDATION : 0;
}

/* ---- rows ---- */

struct region_row {
	char code[ZL_CODE_MAX];
	char name[4 * REGION_NAME_MAX + 1];
	char level[16];
	char parent[ZL_CODE_MAX]; /* "" for a root */
	char path[ZL_PATH_MAX + 1];
	char retired_at[ZL_TIME_MAX]; /* "" when active */
	char created_at[ZL_TIME_MAX];
};

#define REGION_COLS "r.code, r.name, r.level, r.parent_code, r.path, r.retired_at, r.created_at"

static void region_row_read(struct db_stmt *st, struct region_row *r)
{
	org_col_copy(st, 0, r->code, sizeof(r->code));
	org_col_copy(st, 1, r->name, sizeof(r->name));
	org_col_copy(st, 2, r->level, sizeof(r->level));
	org_col_copy(st, 3, r->parent, sizeof(r->parent));
	org_col_copy(st, 4, r->path, sizeof(r->path));
	org_col_copy(st, 5, r->retired_at, sizeof(r->retired_at));
	org_col_copy(st, 6, r->created_at, sizeof(r->created_at));
}

/* Loads a region (within the actor's scope when scoped); ZL_E_NOT_FOUND. */
static int region_load(struct ctx *c, const char *code, int scoped, struct region_row *r)
{
	struct db_stmt *st = NULL;
	int rc;
	if (!code || !*code)
		return ZL_E_NOT_FOUND;
	rc = db_prepare(c->db,
			scoped ? "SELECT " REGION_COLS " FROM region r WHERE r.code = ? AND +r.path LIKE ?"
			       : "SELECT " REGION_COLS " FROM region r WHERE r.code = ?",
			&st);
	if (rc < 0)
		return rc;
	db_bind_text(st, 1, code);
	if (scoped)
		db_bind_text(st, 2, c->actor.scope_like);
	rc = db_step(st);
	if (rc == 1) {
		region_row_read(st, r);
		rc = 0;
	} else if (rc == 0) {
		rc = ZL_E_NOT_FOUND;
	}
	db_done(st);
	return rc;
}

/* out = parent_path + code + "/"; -1 if it would not fit (never in a tree
 * of six levels). */
static int path_join(char out[ZL_PATH_MAX + 1], const char *parent_path, const char *code)
{
	size_t a = strlen(parent_path), b = strlen(code);
	if (a + b + 1 > ZL_PATH_MAX)
		return -1;
	memcpy(out, parent_path, a);
	memcpy(out + a, code, b);
	out[a + b] = '/';
	out[a + b + 1] = '\0';
	return 0;
}

static json_t *region_brief(const struct region_row *r)
{
	return json_pack("{s:s,s:s,s:s}", "code", r->code, "name", r->name, "level", r->level);
}

/* The list item form; children is the count of active direct children. */
static json_t *region_item(const struct region_row *r, int64_t children)
{
	return json_pack("{s:s,s:s,s:s,s:s?,s:b,s:o,s:o,s:I}", "code", r->code, "name", r->name, "level",
			 r->level, "parent_code", r->parent[0] ? r->parent : NULL, "retired",
			 r->retired_at[0] != 0, "retired_at",
			 org_time_json(r->retired_at[0] ? r->retired_at : NULL), "created_at",
			 org_time_json(r->created_at), "children", (json_int_t)children);
}

/* What the audit log keeps of a region. */
static json_t *region_audit(const struct region_row *r)
{
	return json_pack("{s:s,s:s,s:s,s:s?,s:s,s:b}", "code", r->code, "name", r->name, "level", r->level,
			 "parent_code", r->parent[0] ? r->parent : NULL, "path", r->path, "retired",
			 r->retired_at[0] != 0);
}

static int count_of(struct db *db, int64_t *n, const char *sql, const char *a, const char *b)
{
	int rc = b ? db_get_int(db, n, sql, "tt", a, b) : db_get_int(db, n, sql, "t", a);
	if (rc == 0)
		*n = 0;
	return rc < 0 ? rc : 0;
}

static int audit_change(struct ctx *c, const char *action, const struct region_row *before,
			const struct region_row *after)
{
	json_t *b = before ? region_audit(before) : NULL, *a = after ? region_audit(after) : NULL;
	const char *code = after ? after->code : before->code;
	int rc = audit_log(c, action, "region", code, b, a);
	json_decref(b);
	json_decref(a);
	return rc;
}

/* ---- the service ---- */

int region_add(struct ctx *c, const char *code, const char *name, const char *level_in,
	       const char *parent)
{
	struct region_row pr, r;
	const char *level = level_in ? region_level_parse(level_in) : NULL;
	char now[ZL_TIME_MAX];
	int64_t one;
	int rc, has_parent = parent && *parent, parent_ok = 0;

	org_text_check(c, "name", name, REGION_NAME_MAX);
	if (has_parent) {
		rc = region_load(c, parent, 1, &pr);
		if (rc == ZL_E_NOT_FOUND)
			verr_add(&c->errs, "parent_code", "上级区域不存在或不在您的管辖范围内",
				 "'parent_code' does not exist or is outside your scope");
		else if (rc < 0)
			return rc;
		parent_ok = rc == 0;
	} else if (c->actor.scope[0] || (level && level_rank(level) > 3)) {
		/* only the CLI adds a root, and a village or group is never one */
		verr_required(c, "parent_code");
	}
	if (level_in && !level)
		level = "?";
	region_code_check(&c->errs, code, level, parent_ok ? pr.code : NULL, parent_ok ? pr.level : NULL);
	if (c->errs.n)
		return ZL_E_VALIDATION;
	if (parent_ok && pr.retired_at[0])
		return ZL_E_REGION_RETIRED;
	rc = db_get_int(c->db, &one, "SELECT 1 FROM region WHERE code = ?", "t", code);
	if (rc < 0)
		return rc;
	if (rc == 1)
		return ZL_E_REGION_EXISTS;

	memset(&r, 0, sizeof(r));
	snprintf(r.code, sizeof(r.code), "%s", code);
	snprintf(r.name, sizeof(r.name), "%s", name);
	snprintf(r.level, sizeof(r.level), "%s", level);
	snprintf(r.parent, sizeof(r.parent), "%s", has_parent ? parent : "");
	if (path_join(r.path, has_parent ? pr.path : "/", code) < 0)
		return ZL_E_INTERNAL;
	time_format_utc(clock_now(), now);
	rc = db_run(c->db,
		    "INSERT INTO region(code, name, level, parent_code, path, created_at) "
		    "VALUES (?,?,?,?,?,?)",
		    "tttttt", code, name, level, has_parent ? parent : NULL, r.path, now);
	if (rc == ZL_E_CONFLICT)
		return ZL_E_REGION_EXISTS;
	if (rc)
		return rc;
	return audit_change(c, "region.create", NULL, &r);
}

int region_get(struct ctx *c, const char *code, json_t **out)
{
	struct region_row r, pr;
	struct db_stmt *st = NULL;
	json_t *o = NULL, *path, *desc;
	char like[ZL_PATH_MAX + 2];
	int64_t children = 0, households = 0, users = 0;
	int rc;

	*out = NULL;
	rc = region_load(c, code, 1, &r);
	if (rc < 0)
		return rc;
	snprintf(like, sizeof(like), "%s%%", r.path);
	rc = count_of(c->db, &children,
		      "SELECT COUNT(*) FROM region WHERE parent_code = ? AND retired_at IS NULL", r.code, NULL);
	if (!rc)
		rc = count_of(c->db, &households,
			      "SELECT COUNT(*) FROM household h JOIN region z ON z.code = h.region_code"
			      " WHERE +z.path LIKE ? AND h.retired_at IS NULL", like, NULL);
	if (!rc)
		rc = count_of(c->db, &users,
			      "SELECT COUNT(*) FROM app_user u JOIN region z ON z.code = u.scope_code"
			      " WHERE +z.path LIKE ? AND u.disabled_at IS NULL", like, NULL);
	if (rc)
		return rc;
	o = region_item(&r, children);
	json_object_set_new(o, "households", json_integer(households));
	json_object_set_new(o, "users", json_integer(users));
	if (r.parent[0] && region_load(c, r.parent, 0, &pr) == 0)
		json_object_set_new(o, "parent", region_brief(&pr));
	else
		json_object_set_new(o, "parent", json_null());

	/* the ancestors are the regions whose path is a prefix of this one's */
	path = json_array();
	json_object_set_new(o, "path", path);
	rc = db_prepare(c->db,
			"SELECT " REGION_COLS " FROM region r WHERE ? LIKE (r.path || '%')"
			" ORDER BY length(r.path)", &st);
	if (rc < 0)
		goto out;
	db_bind_text(st, 1, r.path);
	while ((rc = db_step(st)) == 1) {
		region_row_read(st, &pr);
		json_array_append_new(path, region_brief(&pr));
	}
	db_done(st);
	if (rc < 0)
		goto out;

	desc = json_object();
	json_object_set_new(o, "descendants", desc);
	rc = db_prepare(c->db,
			"SELECT level, COUNT(*) FROM region WHERE +path LIKE ? AND code <> ?"
			" AND retired_at IS NULL GROUP BY level", &st);
	if (rc < 0)
		goto out;
	db_bindv(st, "tt", like, r.code);
	while ((rc = db_step(st)) == 1)
		json_object_set_new(desc, db_col_text(st, 0), json_integer(db_col_int(st, 1)));
	db_done(st);
out:
	if (rc < 0) {
		json_decref(o);
		return rc;
	}
	*out = o;
	return 0;
}

int region_list(struct ctx *c, const struct page *p, const char *parent, const char *level_in,
		int include_retired, json_t **items, int64_t *next)
{
	struct buf sql = BUF_INIT;
	struct db_stmt *st = NULL;
	struct region_row r;
	const char *level = NULL;
	char after[32] = "";
	int limit = p && p->limit > 0 ? p->limit : 50, n = 0, bind = 1, rc;

	*items = NULL;
	*next = 0;
	if (level_in && *level_in) {
		level = region_level_parse(level_in);
		if (!level) {
			verr_add(&c->errs, "level", "级别应为 county、town、village 或 group",
				 "'level' must be county, town, village or group");
			return ZL_E_VALIDATION;
		}
	}
	if (parent && *parent) {
		rc = region_load(c, parent, 1, &r);
		if (rc < 0)
			return rc;
	}
	if (p && p->after > 0)
		snprintf(after, sizeof(after), "%" PRId64, p->after);

	buf_adds(&sql, "SELECT " REGION_COLS ", (SELECT COUNT(*) FROM region ch WHERE ch.parent_code ="
		       " r.code AND ch.retired_at IS NULL) FROM region r WHERE r.code > ? AND +r.path LIKE ?");
	if (parent && *parent)
		buf_adds(&sql, " AND r.parent_code = ?");
	else if (!level && c->actor.scope[0])
		buf_adds(&sql, " AND (r.code = ? OR r.parent_code = ?)");
	else if (!level)
		buf_adds(&sql, " AND (r.parent_code IS NULL OR r.parent_code IN"
			       " (SELECT code FROM region WHERE parent_code IS NULL))");
	if (level)
		buf_adds(&sql, " AND r.level = ?");
	if (!include_retired)
		buf_adds(&sql, " AND r.retired_at IS NULL");
	buf_adds(&sql, " ORDER BY r.code LIMIT ?");
	rc = db_prepare(c->db, sql.data, &st);
	buf_release(&sql);
	if (rc < 0)
		return rc;
	db_bind_text(st, bind++, after);
	db_bind_text(st, bind++, c->actor.scope_like);
	if (parent && *parent) {
		db_bind_text(st, bind++, parent);
	} else if (!level && c->actor.scope[0]) {
		db_bind_text(st, bind++, c->actor.scope);
		db_bind_text(st, bind++, c->actor.scope);
	}
	if (level)
		db_bind_text(st, bind++, level);
	db_bind_int(st, bind++, (int64_t)limit + 1);
	*items = json_array();
	while ((rc = db_step(st)) == 1) {
		if (n == limit) {
			parse_int64(r.code, next);
			break;
		}
		region_row_read(st, &r);
		json_array_append_new(*items, region_item(&r, db_col_int(st, 7)));
		n++;
	}
	db_done(st);
	if (rc < 0) {
		json_decref(*items);
		*items = NULL;
		*next = 0;
		return rc;
	}
	return 0;
}

int region_rename(struct ctx *c, const char *code, const char *name, json_t **out)
{
	struct region_row r, v;
	int rc;
	*out = NULL;
	rc = region_load(c, code, 1, &r);
	if (rc < 0)
		return rc;
	if (!name)
		verr_required(c, "name");
	else if (org_text_check(c, "name", name, REGION_NAME_MAX) == 0 && strcmp(name, r.name)) {
		v = r;
		snprintf(v.name, sizeof(v.name), "%s", name);
		rc = db_run(c->db, "UPDATE region SET name = ? WHERE code = ?", "tt", name, code);
		if (!rc)
			rc = audit_change(c, "region.update", &r, &v);
		if (rc)
			return rc;
	}
	if (c->errs.n)
		return ZL_E_VALIDATION;
	return region_get(c, code, out);
}

/* Rewrites the parent and the paths of code's subtree; no checks. */
static int region_reparent(struct ctx *c, const struct region_row *r, const struct region_row *pr,
			   struct region_row *v)
{
	char like[ZL_PATH_MAX + 2];
	int rc;
	*v = *r;
	snprintf(v->parent, sizeof(v->parent), "%s", pr->code);
	if (path_join(v->path, pr->path, r->code) < 0)
		return ZL_E_INTERNAL;
	snprintf(like, sizeof(like), "%s%%", r->path);
	rc = db_run(c->db, "UPDATE region SET parent_code = ? WHERE code = ?", "tt", pr->code, r->code);
	if (!rc)
		rc = db_run(c->db,
			    "UPDATE region SET path = ? || substr(path, ?) WHERE +path LIKE ?", "tit",
			    v->path, (int64_t)strlen(r->path) + 1, like);
	/* a group's households belong to the village it now hangs under */
	if (!rc && strcmp(r->level, "group") == 0)
		rc = db_run(c->db, "UPDATE household SET village_code = ? WHERE region_code = ?", "tt",
			    pr->code, r->code);
	return rc;
}

int region_move(struct ctx *c, const char *code, const char *parent_code, json_t **out)
{
	struct region_row r, pr, v;
	int rc;
	*out = NULL;
	rc = region_load(c, code, 1, &r);
	if (rc < 0)
		return rc;
	if (!parent_code || !*parent_code) {
		verr_required(c, "parent_code");
		return ZL_E_VALIDATION;
	}
	rc = region_load(c, parent_code, 1, &pr);
	if (rc == ZL_E_NOT_FOUND) {
		verr_add(&c->errs, "parent_code", "上级区域不存在或不在您的管辖范围内",
			 "'parent_code' does not exist or is outside your scope");
		return ZL_E_VALIDATION;
	}
	if (rc < 0)
		return rc;
	if (strncmp(pr.path, r.path, strlen(r.path)) == 0)
		return ZL_E_REGION_CYCLE;
	if (level_rank(pr.level) != level_rank(r.level) - 1) {
		char zh[200], en[200];
		snprintf(zh, sizeof(zh), "“%s”级区域的上级应为“%s”级，而 %s 是“%s”级", r.level,
			 level_rank(r.level) > 0 ? levels[level_rank(r.level) - 1] : "（无）", pr.code, pr.level);
		snprintf(en, sizeof(en), "a '%s' goes under a '%s'; 'parent_code' %s is a '%s'", r.level,
			 level_rank(r.level) > 0 ? levels[level_rank(r.level) - 1] : "(nothing)", pr.code,
			 pr.level);
		verr_add(&c->errs, "parent_code", zh, en);
		return ZL_E_VALIDATION;
	}
	if (pr.retired_at[0])
		return ZL_E_REGION_RETIRED;
	if (strcmp(r.parent, pr.code) != 0) {
		rc = region_reparent(c, &r, &pr, &v);
		if (!rc)
			rc = audit_change(c, "region.move", &r, &v);
		if (rc)
			return rc;
	}
	return region_get(c, code, out);
}

int region_retire(struct ctx *c, const char *code, json_t **out)
{
	struct region_row r, v;
	char now[ZL_TIME_MAX];
	int64_t n = 0;
	int rc;
	*out = NULL;
	rc = region_load(c, code, 1, &r);
	if (rc < 0)
		return rc;
	if (!r.retired_at[0]) {
		rc = count_of(c->db, &n, "SELECT COUNT(*) FROM region WHERE parent_code = ? AND retired_at IS NULL",
			      code, NULL);
		if (rc)
			return rc;
		if (n > 0)
			return ZL_E_REGION_ACTIVE_CHILDREN;
		time_format_utc(clock_now(), now);
		v = r;
		snprintf(v.retired_at, sizeof(v.retired_at), "%s", now);
		rc = db_run(c->db, "UPDATE region SET retired_at = ? WHERE code = ?", "tt", now, code);
		if (!rc)
			rc = audit_change(c, "region.retire", &r, &v);
		if (rc)
			return rc;
	}
	return region_get(c, code, out);
}

int region_delete(struct ctx *c, const char *code)
{
	struct region_row r;
	int64_t n = 0;
	int rc = region_load(c, code, 1, &r);
	if (rc < 0)
		return rc;
	rc = count_of(c->db, &n, "SELECT COUNT(*) FROM region WHERE parent_code = ?", code, NULL);
	if (rc)
		return rc;
	if (n > 0)
		return ZL_E_REGION_IN_USE;
	/* every table that refers to a region does so by a foreign key, so the
	 * database itself refuses to delete a region still in use */
	rc = db_run(c->db, "DELETE FROM region WHERE code = ?", "t", code);
	if (rc == ZL_E_CONFLICT)
		return ZL_E_REGION_IN_USE;
	if (rc)
		return rc;
	return audit_change(c, "region.delete", &r, NULL);
}

int region_in_subtree(struct db *db, const char *code, const char *root_code)
{
	int64_t one;
	if (!code || !root_code)
		return 0;
	int rc = db_get_int(db, &one,
			    "SELECT 1 FROM region r, region a WHERE r.code = ? AND a.code = ?"
			    " AND r.path LIKE (a.path || '%')",
			    "tt", code, root_code);
	return rc < 0 ? rc : rc == 1;
}

/* ---- import of the national list ---- */

enum { COL_CODE, COL_NAME, COL_LEVEL, COL_PARENT, NCOLS };
static const char *const col_names[NCOLS] = { "code", "name", "level", "parent code" };

struct import_row {
	int row;            /* 1-based record number in the file */
	char *f[NCOLS];     /* trimmed fields, never NULL */
	int nf;
	const char *level;  /* canonical */
	int rank;
	enum { IMP_NEW, IMP_SAME, IMP_CHANGE } what;
	int rename, move;
};

struct import_set {
	struct import_row *rows;
	size_t n, alloc;
	struct import_row **by_code; /* sorted by code, for look-ups */
	int bad;                    /* rows with an error */
};

static void import_set_release(struct import_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		for (int k = 0; k < NCOLS; k++)
			free(s->rows[i].f[k]);
	free(s->rows);
	free(s->by_code);
	memset(s, 0, sizeof(*s));
}

static char *trimmed(const char *p, size_t n)
{
	while (n && (*p == ' ' || *p == '\t'))
		p++, n--;
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	return xstrndup(p, n);
}

/* RFC 4180 CSV: quoted fields may hold commas, quotes ("") and newlines.
 * Blank records are skipped but counted, so row numbers match the file. */
static void csv_parse(const char *d, size_t len, struct import_set *s)
{
	size_t i = 0;
	int row = 0;
	if (len >= 3 && !memcmp(d, "\xEF\xBB\xBF", 3))
		i = 3;
	while (i < len) {
		struct import_row r;
		struct buf field = BUF_INIT;
		int nf = 0, end = 0, blank = 1;
		memset(&r, 0, sizeof(r));
		row++;
		while (!end) {
			int quoted = 0;
			buf_reset(&field);
			while (i < len && (d[i] == ' ' || d[i] == '\t'))
				buf_addch(&field, d[i++]);
			if (i < len && d[i] == '"') {
				quoted = 1;
				buf_reset(&field);
				i++;
				while (i < len) {
					if (d[i] == '"' && i + 1 < len && d[i + 1] == '"') {
						buf_addch(&field, '"');
						i += 2;
					} else if (d[i] == '"') {
						i++;
						break;
					} else {
						buf_addch(&field, d[i++]);
					}
				}
			}
			while (i < len && d[i] != ',' && d[i] != '\n' && d[i] != '\r')
				buf_addch(&field, d[i++]);
			if (field.len || quoted)
				blank = 0;
			if (nf < NCOLS)
				r.f[nf] = trimmed(field.data, field.len);
			nf++;
			if (i < len && d[i] == ',') {
				i++;
				continue;
			}
			if (i < len && d[i] == '\r')
				i++;
			if (i < len && d[i] == '\n')
				i++;
			end = 1;
		}
		buf_release(&field);
		if (blank && nf == 1) {
			free(r.f[0]);
			continue;
		}
		for (int k = 0; k < NCOLS; k++)
			if (!r.f[k])
				r.f[k] = xstrdup("");
		r.row = row;
		r.nf = nf;
		if (s->n == s->alloc) {
			s->alloc = s->alloc ? 2 * s->alloc : 64;
			s->rows = xrealloc(s->rows, s->alloc * sizeof(*s->rows));
		}
		s->rows[s->n++] = r;
	}
}

static void row_error(struct ctx *c, struct import_set *s, struct import_row *r, int col,
		      const char *zh, const char *en)
{
	char field[96], zhm[512];
	if (col >= 0)
		snprintf(field, sizeof(field), "row %d, column %d (%s)", r->row, col + 1, col_names[col]);
	else
		snprintf(field, sizeof(field), "row %d", r->row);
	snprintf(zhm, sizeof(zhm), "第 %d 行：%s", r->row, zh);
	verr_add(&c->errs, field, zhm, en);
	s->bad++;
}

static int by_code_cmp(const void *a, const void *b)
{
	const struct import_row *x = *(struct import_row *const *)a, *y = *(struct import_row *const *)b;
	int d = strcmp(x->f[COL_CODE], y->f[COL_CODE]);
	return d ? d : x->row - y->row;
}

static struct import_row *find_row(struct import_set *s, const char *code)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int d = strcmp(s->by_code[mid]->f[COL_CODE], code);
		if (d == 0) {
			/* the first occurrence */
			while (mid > 0 && !strcmp(s->by_code[mid - 1]->f[COL_CODE], code))
				mid--;
			return s->by_code[mid];
		}
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Field checks of one row that need nothing but the row itself. */
static void import_check_fields(struct ctx *c, struct import_set *s, struct import_row *r)
{
	char zh[300], en[300];
	int bad = s->bad;
	if (r->nf < 3 || r->nf > NCOLS) {
		snprintf(zh, sizeof(zh), "应有 4 列（代码、名称、级别、上级代码），实有 %d 列", r->nf);
		snprintf(en, sizeof(en), "expected 4 columns (code, name, level, parent code), found %d", r->nf);
		row_error(c, s, r, -1, zh, en);
		return;
	}
	for (int k = 0; k < NCOLS; k++)
		if (utf8_len(r->f[k]) < 0) {
			row_error(c, s, r, k, "不是有效的 UTF-8 文本，请将文件另存为 UTF-8 编码",
				  "not valid UTF-8; save the file as UTF-8");
			return;
		}
	r->level = region_level_parse(r->f[COL_LEVEL]);
	r->rank = level_rank(r->level);
	if (!r->level) {
		snprintf(zh, sizeof(zh), "级别“%s”无法识别，应为 县/镇/村/村民小组 或 county/town/village/group",
			 r->f[COL_LEVEL]);
		snprintf(en, sizeof(en), "level \"%s\" is unknown; use county, town, village or group "
			 "(县, 镇, 村, 村民小组)", r->f[COL_LEVEL]);
		row_error(c, s, r, COL_LEVEL, zh, en);
	}
	long nl = utf8_len(r->f[COL_NAME]);
	if (nl < 1 || nl > REGION_NAME_MAX)
		row_error(c, s, r, COL_NAME, "名称应为 1 到 64 个字", "the name must be 1 to 64 characters");
	if (!code_shape_ok(r->f[COL_CODE])) {
		snprintf(zh, sizeof(zh), "代码“%s”应为 12 位数字（村民小组 15 位）", r->f[COL_CODE]);
		snprintf(en, sizeof(en), "code \"%s\" must be 12 digits (15 for a group)", r->f[COL_CODE]);
		row_error(c, s, r, COL_CODE, zh, en);
	}
	if (r->f[COL_PARENT][0] && !code_shape_ok(r->f[COL_PARENT])) {
		snprintf(zh, sizeof(zh), "上级代码“%s”应为 12 位数字", r->f[COL_PARENT]);
		snprintf(en, sizeof(en), "parent code \"%s\" must be 12 digits", r->f[COL_PARENT]);
		row_error(c, s, r, COL_PARENT, zh, en);
	}
	if (s->bad > bad)
		r->rank = -1; /* marks the row as bad for the later passes */
}

/* Checks a row against its parent (in the file or the database) and the
 * region of the same code, if any; decides what applying it does. */
static int import_check_row(struct ctx *c, struct import_set *s, struct import_row *r)
{
	struct region_row existing, dbp;
	struct import_row *fp = NULL, *first;
	const char *parent = r->f[COL_PARENT], *plevel = NULL;
	struct verr v = VERR_INIT;
	char zh[300], en[300];
	int rc, have_existing;

	first = find_row(s, r->f[COL_CODE]);
	if (first != r) {
		snprintf(zh, sizeof(zh), "代码 %s 与第 %d 行重复", r->f[COL_CODE], first->row);
		snprintf(en, sizeof(en), "code %s appears again (first in row %d)", r->f[COL_CODE], first->row);
		row_error(c, s, r, COL_CODE, zh, en);
		return 0;
	}
	rc = region_load(c, r->f[COL_CODE], 0, &existing);
	if (rc < 0 && rc != ZL_E_NOT_FOUND)
		return rc;
	have_existing = rc == 0;

	if (*parent) {
		fp = find_row(s, parent);
		if (fp && fp->rank < 0)
			return 0; /* the parent's row is bad: reported there */
		if (fp) {
			plevel = fp->level;
		} else {
			rc = region_load(c, parent, 0, &dbp);
			if (rc == ZL_E_NOT_FOUND) {
				snprintf(zh, sizeof(zh), "上级代码 %s 既不在文件中，也不在数据库中", parent);
				snprintf(en, sizeof(en), "parent code %s is neither in the file nor in the database", parent);
				row_error(c, s, r, COL_PARENT, zh, en);
				return 0;
			}
			if (rc < 0)
				return rc;
			if (dbp.retired_at[0]) {
				snprintf(zh, sizeof(zh), "上级区域 %s 已停用", parent);
				snprintf(en, sizeof(en), "parent region %s is retired", parent);
				row_error(c, s, r, COL_PARENT, zh, en);
				return 0;
			}
			plevel = dbp.level;
		}
	} else if (!have_existing && (c->actor.scope[0] || r->rank > 3)) {
		row_error(c, s, r, COL_PARENT, "必须填写上级代码", "the parent code is required");
		return 0;
	}

	region_code_check(&v, r->f[COL_CODE], r->level, *parent ? parent : NULL, plevel);
	for (size_t i = 0; i < v.n; i++) {
		int col = !strcmp(v.items[i].field, "level") ? COL_LEVEL : COL_CODE;
		row_error(c, s, r, col, v.items[i].zh, v.items[i].en);
	}
	verr_release(&v);
	if (!have_existing) {
		r->what = IMP_NEW;
		return 0;
	}
	if (strcmp(existing.level, r->level) != 0) {
		snprintf(zh, sizeof(zh), "%s 已作为“%s”级存在，级别不能改变", existing.code, existing.level);
		snprintf(en, sizeof(en), "%s exists as a '%s'; its level cannot change", existing.code,
			 existing.level);
		row_error(c, s, r, COL_LEVEL, zh, en);
		return 0;
	}
	r->rename = strcmp(existing.name, r->f[COL_NAME]) != 0;
	r->move = *parent && strcmp(existing.parent, parent) != 0;
	r->what = r->rename || r->move ? IMP_CHANGE : IMP_SAME;
	return 0;
}

static int by_rank_cmp(const void *a, const void *b)
{
	const struct import_row *x = *(struct import_row *const *)a, *y = *(struct import_row *const *)b;
	return x->rank != y->rank ? x->rank - y->rank : x->row - y->row;
}

static int import_apply(struct ctx *c, struct import_set *s)
{
	struct import_row **order = xmalloc((s->n ? s->n : 1) * sizeof(*order));
	int rc = 0;
	for (size_t i = 0; i < s->n; i++)
		order[i] = &s->rows[i];
	/* parents first: a parent's level always ranks above its children's */
	qsort(order, s->n, sizeof(*order), by_rank_cmp);
	for (size_t i = 0; i < s->n && !rc; i++) {
		struct import_row *r = order[i];
		json_t *out = NULL;
		if (r->what == IMP_NEW) {
			rc = region_add(c, r->f[COL_CODE], r->f[COL_NAME], r->level,
					r->f[COL_PARENT][0] ? r->f[COL_PARENT] : NULL);
			continue;
		}
		if (r->rename)
			rc = region_rename(c, r->f[COL_CODE], r->f[COL_NAME], &out);
		json_decref(out);
		out = NULL;
		if (!rc && r->move)
			rc = region_move(c, r->f[COL_CODE], r->f[COL_PARENT], &out);
		json_decref(out);
		if (rc && c->errs.n == 0) {
			char en[160], zh[160];
			snprintf(en, sizeof(en), "row %d could not be applied: %s", r->row, zl_error_info(rc)->en);
			snprintf(zh, sizeof(zh), "第 %d 行无法导入：%s", r->row, zl_error_info(rc)->zh);
			ctx_detail(c, zh, en);
		}
	}
	free(order);
	return rc;
}

int region_import(struct ctx *c, const char *data, size_t len, int dry_run,
		  struct region_import_result *res)
{
	struct import_set s;
	int rc = 0;
	size_t start = 0;

	memset(&s, 0, sizeof(s));
	memset(res, 0, sizeof(*res));
	csv_parse(data, len, &s);
	/* a first row whose code is not a number is a header */
	if (s.n && !isdigit((unsigned char)s.rows[0].f[COL_CODE][0]))
		start = 1;
	if (start) {
		for (int k = 0; k < NCOLS; k++)
			free(s.rows[0].f[k]);
		memmove(s.rows, s.rows + 1, (s.n - 1) * sizeof(*s.rows));
		s.n--;
	}
	res->rows = (int)s.n;
	if (s.n == 0) {
		ctx_detail(c, "文件中没有区划数据行", "the file has no region rows");
		rc = ZL_E_VALIDATION;
		goto out;
	}
	for (size_t i = 0; i < s.n; i++)
		import_check_fields(c, &s, &s.rows[i]);
	s.by_code = xmalloc(s.n * sizeof(*s.by_code));
	for (size_t i = 0; i < s.n; i++)
		s.by_code[i] = &s.rows[i];
	qsort(s.by_code, s.n, sizeof(*s.by_code), by_code_cmp);
	for (size_t i = 0; i < s.n && !rc; i++)
		if (s.rows[i].rank >= 0)
			rc = import_check_row(c, &s, &s.rows[i]);
	if (rc)
		goto out;
	if (s.bad) {
		char zh[128], en[128];
		snprintf(zh, sizeof(zh), "%d 处错误，未导入任何数据", s.bad);
		snprintf(en, sizeof(en), "%d error(s) in the file; nothing was imported", s.bad);
		ctx_detail(c, zh, en);
		rc = ZL_E_VALIDATION;
		goto out;
	}
	for (size_t i = 0; i < s.n; i++) {
		struct import_row *r = &s.rows[i];
		res->created += r->what == IMP_NEW;
		res->unchanged += r->what == IMP_SAME;
		res->renamed += r->rename;
		res->moved += r->move;
	}
	if (!dry_run)
		rc = import_apply(c, &s);
out:
	import_set_release(&s);
	return rc;
}

/* ---- CLI: zhilian import regions ---- */

static const char import_help[] =
	"usage: zhilian import regions FILE.csv [--dry-run] [--db FILE]\n"
	"Imports regions from a CSV in the national list's layout: code, name, level,\n"
	"parent code (UTF-8; a header row is optional; rows in any order). Levels may\n"
	"be English (county, town, village, group) or Chinese (县/区/县级市, 镇/乡/街道,\n"
	"村/社区/居委会, 村民小组/组). The whole file is one transaction: a bad row is\n"
	"reported as \"row N, column C: reason\" and nothing is applied. A row whose\n"
	"code exists with the same name and parent changes nothing; a new name renames\n"
	"the region and a new parent moves it, so importing a file twice is harmless.\n"
	"  --dry-run   check the file and say what would change, changing nothing\n"
	"  --db FILE   database (default $ZHILIAN_DB or zhilian.db)\n";

struct import_arg {
	const char *data;
	size_t len;
	int dry_run;
	struct region_import_result res;
};

static int import_fn(struct ctx *c, void *p)
{
	struct import_arg *a = p;
	return region_import(c, a->data, a->len, a->dry_run, &a->res);
}

static int read_file(const char *path, struct buf *out)
{
	char chunk[65536];
	size_t n;
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(out, chunk, n);
	n = (size_t)ferror(f);
	fclose(f);
	return n ? -1 : 0;
}

int region_import_cli(int argc, char **argv)
{
	struct opt opts[] = { { "--db", 1, NULL, 0 }, { "--dry-run", 0, NULL, 0 } };
	struct args a = { "import regions", opts, ARRAY_SIZE(opts), { 0 }, 0 };
	struct import_arg ia;
	struct buf data = BUF_INIT;
	struct db *db = NULL;
	int rc = parse_args(&a, argc, argv, 1);
	if (rc == 1)
		return fputs(import_help, stdout), 0;
	if (rc)
		return rc;
	if (a.npos != 1)
		return usage_error("import regions", "give the CSV file to import, e.g. zhilian import regions regions.csv");
	if (read_file(a.pos[0], &data) < 0) {
		fprintf(stderr, "zhilian import regions: cannot read \"%s\": %s\n", a.pos[0], strerror(errno));
		buf_release(&data);
		return 1;
	}
	if (open_db("import regions", db_path_of(&a), 1, &db)) {
		buf_release(&data);
		return 1;
	}
	memset(&ia, 0, sizeof(ia));
	ia.data = data.data;
	ia.len = data.len;
	ia.dry_run = opt_set(&a, "--dry-run");
	rc = with_tx("import regions", db, import_fn, &ia);
	db_close(db);
	buf_release(&data);
	if (rc)
		return 1;
	printf("%s%s: %d row(s): %s %d, renamed %d, moved %d, unchanged %d%s\n",
	       ia.dry_run ? "dry run of " : "imported ", a.pos[0], ia.res.rows,
	       ia.dry_run ? "would create" : "created", ia.res.created, ia.res.renamed, ia.res.moved,
	       ia.res.unchanged, ia.dry_run ? "; nothing was changed" : "");
	return 0;
}

/* ---- routes ---- */

static int h_list(struct req *r, struct resp *w)
{
	struct page p;
	json_t *items = NULL;
	int64_t next = 0;
	int retired, rc = req_page(r, &p);
	if (!rc)
		rc = org_query_flag(r, "include_retired", &retired);
	if (!rc)
		rc = region_list(&r->ctx, &p, req_query(r, "parent"), req_query(r, "level"), retired, &items,
				 &next);
	if (rc < 0)
		return rc;
	resp_json(w, 200, page_result(items, next));
	return 0;
}

static int h_get(struct req *r, struct resp *w)
{
	json_t *out = NULL;
	int rc = region_get(&r->ctx, req_param(r, "code"), &out);
	if (rc < 0)
		return rc;
	resp_json(w, 200, out);
	return 0;
}

static int h_create(struct req *r, struct resp *w)
{
	json_t *in = NULL, *out = NULL;
	const char *code = NULL, *name = NULL, *level = NULL, *parent = NULL;
	char loc[80];
	int rc = req_json(r, &in);
	if (rc < 0)
		return rc;
	json_opt_string(&r->ctx, in, "code", &code);
	json_opt_string(&r->ctx, in, "name", &name);
	json_opt_string(&r->ctx, in, "level", &level);
	json_opt_string(&r->ctx, in, "parent_code", &parent);
	if (!level && !json_object_get(in, "level"))
		verr_required(&r->ctx, "level");
	if (r->ctx.errs.n)
		return ZL_E_VALIDATION;
	rc = region_add(&r->ctx, code, name, level, parent);
	if (!rc)
		rc = region_get(&r->ctx, code, &out);
	if (rc < 0)
		return rc;
	snprintf(loc, sizeof(loc), "/api/v1/regions/%s", code);
	resp_created(w, out, loc);
	return 0;
}

static int h_update(struct req *r, struct resp *w)
{
	json_t *in = NULL, *out = NULL;
	const char *name = NULL;
	int rc = req_json(r, &in);
	if (rc < 0)
		return rc;
	if (json_opt_string(&r->ctx, in, "name", &name))
		return ZL_E_VALIDATION;
	rc = region_rename(&r->ctx, req_param(r, "code"), name, &out);
	if (rc < 0)
		return rc;
	resp_json(w, 200, out);
	return 0;
}

static int h_move(struct req *r, struct resp *w)
{
	json_t *in = NULL, *out = NULL;
	const char *parent = NULL;
	int rc = req_json(r, &in);
	if (rc < 0)
		return rc;
	if (json_opt_string(&r->ctx, in, "parent_code", &parent))
		return ZL_E_VALIDATION;
	rc = region_move(&r->ctx, req_param(r, "code"), parent, &out);
	if (rc < 0)
		return rc;
	resp_json(w, 200, out);
	return 0;
}

static int h_retire(struct req *r, struct resp *w)
{
	json_t *out = NULL;
	int rc = region_retire(&r->ctx, req_param(r, "code"), &out);
	if (rc < 0)
		return rc;
	resp_json(w, 200, out);
	return 0;
}

static int h_delete(struct req *r, struct resp *w)
{
	int rc = region_delete(&r->ctx, req_param(r, "code"));
	if (rc < 0)
		return rc;
	resp_no_content(w);
	return 0;
}

static const struct route routes[] = {
	{ "GET", "/api/v1/regions", h_list, "region.read", 0 },
	{ "POST", "/api/v1/regions", h_create, "region.write", 0 },
	{ "GET", "/api/v1/regions/{code}", h_get, "region.read", 0 },
	{ "PATCH", "/api/v1/regions/{code}", h_update, "region.write", 0 },
	{ "DELETE", "/api/v1/regions/{code}", h_delete, "region.write", 0 },
	{ "POST", "/api/v1/regions/{code}/move", h_move, "region.write", 0 },
	{ "POST", "/api/v1/regions/{code}/retire", h_retire, "region.write", 0 },
};

ROUTE_TABLE(region_routes, "regions", routes);
