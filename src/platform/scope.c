/*
 * scope.c: the acting context (struct ctx) and its helpers: roles by name,
 * the request language, and the data scope, a subtree of the region tree
 * matched by the prefix of each region's materialised path.
 */
#include "util.h"
#include "ctx.h"
#include "db.h"

void ctx_init_system(struct ctx *c, struct db *db)
{
	memset(c, 0, sizeof(*c));
	c->db = db;
	c->actor.user_id = 0;
	snprintf(c->actor.username, sizeof(c->actor.username), "system");
	c->actor.role = ROLE_ADMIN;
	/* The whole tree: every path starts with '/'. No region code names
	 * "everything", so scope stays empty. */
	c->actor.scope[0] = '\0';
	snprintf(c->actor.scope_like, sizeof(c->actor.scope_like), "/%%");
	c->addr = "cli";
	c->request_id = NULL;
	c->lang = LANG_ZH;
	c->errs = (struct verr)VERR_INIT;
}

void ctx_release(struct ctx *c)
{
	verr_release(&c->errs);
	free(c->detail_zh);
	free(c->detail_en);
	c->detail_zh = NULL;
	c->detail_en = NULL;
}

void ctx_detail(struct ctx *c, const char *zh, const char *en)
{
	free(c->detail_zh);
	free(c->detail_en);
	c->detail_zh = zh ? xstrdup(zh) : NULL;
	c->detail_en = en ? xstrdup(en) : NULL;
}

static const char *const role_names[] = {
	[ROLE_NONE] = "none",
	[ROLE_VIEWER] = "viewer",
	[ROLE_CADRE] = "cadre",
	[ROLE_LEADER] = "leader",
	[ROLE_ADMIN] = "admin",
};

const char *role_name(enum role r)
{
	if ((int)r < 0 || (size_t)r >= ARRAY_SIZE(role_names))
		return "none";
	return role_names[r];
}

enum role role_parse(const char *s)
{
	if (!s)
		return ROLE_NONE;
	for (size_t i = ROLE_VIEWER; i < ARRAY_SIZE(role_names); i++)
		if (!strcmp(s, role_names[i]))
			return (enum role)i;
	return ROLE_NONE;
}

/* q-value of one Accept-Language item's parameters, in thousandths. */
static int lang_q(const char *p, const char *end)
{
	while (p < end) {
		while (p < end && (*p == ';' || *p == ' ' || *p == '\t'))
			p++;
		if (end - p >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
			p += 2;
			int q = 0, scale = 1000, seen = 0;
			if (p < end && (*p == '0' || *p == '1')) {
				q = (*p - '0') * 1000;
				p++;
				seen = 1;
			}
			if (p < end && *p == '.') {
				p++;
				while (p < end && isdigit((unsigned char)*p)) {
					scale /= 10;
					if (scale > 0)
						q += (*p - '0') * scale;
					p++;
				}
			}
			if (!seen)
				return 0;
			return q > 1000 ? 1000 : q;
		}
		while (p < end && *p != ';')
			p++;
	}
	return 1000;
}

enum lang lang_from_header(const char *h)
{
	if (!h)
		return LANG_ZH;
	const char *best = NULL;
	size_t best_len = 0;
	int best_q = -1;
	const char *p = h;
	while (*p) {
		const char *item_end = strchr(p, ',');
		if (!item_end)
			item_end = p + strlen(p);
		const char *t = p;
		while (t < item_end && (*t == ' ' || *t == '\t'))
			t++;
		const char *tag_end = t;
		while (tag_end < item_end && *tag_end != ';' && *tag_end != ' ' && *tag_end != '\t')
			tag_end++;
		if (tag_end > t) {
			int q = lang_q(tag_end, item_end);
			/* the first of equal q wins */
			if (q > best_q) {
				best = t;
				best_len = (size_t)(tag_end - t);
				best_q = q;
			}
		}
		p = *item_end ? item_end + 1 : item_end;
	}
	if (best && best_q > 0 && best_len >= 2 && !strncasecmp(best, "en", 2) &&
	    (best_len == 2 || best[2] == '-' || best[2] == '_'))
		return LANG_EN;
	return LANG_ZH;
}

/*
 * The unary + in "+zs.path LIKE ?" keeps SQLite from treating the LIKE as a
 * candidate for its index optimisation: with a bound pattern that makes it
 * re-prepare the statement whenever the bound scope changes, which cost a
 * third of the demo build's time. The region row is found by its code, so no
 * index on path is needed here.
 */
void scope_sql(struct buf *sql, const char *region_col)
{
	buf_addf(sql, " AND EXISTS (SELECT 1 FROM region zs WHERE zs.code = %s AND +zs.path LIKE ?)",
		 region_col);
}

int scope_contains(struct ctx *c, const char *region_code)
{
	int64_t one = 0;
	if (!region_code || !*region_code)
		return 0;
	int rc = db_get_int(c->db, &one, "SELECT 1 FROM region WHERE code = ? AND +path LIKE ?", "tt",
			    region_code, c->actor.scope_like);
	if (rc < 0)
		return rc;
	return rc == 1;
}

int scope_load(struct db *db, struct actor *a, const char *region_code)
{
	char *path = NULL;
	if (!region_code || !*region_code || strlen(region_code) >= sizeof(a->scope))
		return ZL_E_NOT_FOUND;
	int rc = db_get_text(db, &path, "SELECT path FROM region WHERE code = ?", "t", region_code);
	if (rc < 0)
		return rc;
	if (rc == 0 || !path) {
		free(path);
		return ZL_E_NOT_FOUND;
	}
	if (strlen(path) > ZL_PATH_MAX) {
		free(path);
		return ZL_E_INTERNAL;
	}
	snprintf(a->scope, sizeof(a->scope), "%s", region_code);
	snprintf(a->scope_like, sizeof(a->scope_like), "%s%%", path);
	free(path);
	return 0;
}
