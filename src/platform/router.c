/*
 * router.c: matches a method and path against the route tables of every
 * module. Patterns are split on '/'; a segment may hold literal text and
 * {params} ("{id}", "requests.{format}", "{id}.{format}"). Where several
 * routes match, the one with the fewest parameters wins, so "/users/me"
 * beats "/users/{id}". The path arrives percent-decoded (libmicrohttpd does
 * that), so parameters are taken as they are.
 */
#include "http.h"

struct router {
	const struct route **routes;
	const char **modules;
	size_t n;
};

struct router *router_new(const struct route_table *const *tables, size_t ntables)
{
	struct router *rt = xcalloc(1, sizeof(*rt));
	size_t total = 0, k = 0;
	for (size_t i = 0; i < ntables; i++)
		total += tables[i]->n;
	rt->routes = xcalloc(total, sizeof(*rt->routes));
	rt->modules = xcalloc(total, sizeof(*rt->modules));
	for (size_t i = 0; i < ntables; i++)
		for (size_t j = 0; j < tables[i]->n; j++) {
			rt->routes[k] = &tables[i]->routes[j];
			rt->modules[k++] = tables[i]->module;
		}
	rt->n = total;
	return rt;
}

void router_free(struct router *rt)
{
	if (!rt)
		return;
	free(rt->routes);
	free(rt->modules);
	free(rt);
}

void router_each(const struct router *rt, void (*fn)(const struct route *, const char *, void *),
		 void *arg)
{
	for (size_t i = 0; i < rt->n; i++)
		fn(rt->routes[i], rt->modules[i], arg);
}

/* Matches one pattern segment against one path segment, recording params. */
static int match_segment(const char *pat, size_t plen, const char *seg, size_t slen,
			 struct route_match *m)
{
	size_t pi = 0, si = 0;
	while (pi < plen) {
		if (pat[pi] == '{') {
			const char *close = memchr(pat + pi, '}', plen - pi);
			size_t name_start, name_len, lit_start, lit_len, end;
			if (!close)
				return 0;
			name_start = pi + 1;
			name_len = (size_t)(close - pat) - name_start;
			lit_start = (size_t)(close - pat) + 1;
			lit_len = 0;
			while (lit_start + lit_len < plen && pat[lit_start + lit_len] != '{')
				lit_len++;
			if (lit_len == 0) {
				end = slen;
			} else {
				/* the parameter runs to the last occurrence of the literal */
				size_t j = slen >= lit_len ? slen - lit_len + 1 : 0;
				int found = 0;
				while (j-- > si + 1) {
					if (memcmp(seg + j, pat + lit_start, lit_len) == 0) {
						found = 1;
						break;
					}
				}
				if (!found)
					return 0;
				end = j;
			}
			if (end <= si || m->nparams >= ROUTE_MAX_PARAMS)
				return 0;
			m->params[m->nparams].name = pat + name_start;
			m->params[m->nparams].name_len = name_len;
			m->params[m->nparams].value = xstrndup(seg + si, end - si);
			m->nparams++;
			si = end;
			pi = lit_start;
		} else {
			if (si >= slen || pat[pi] != seg[si])
				return 0;
			pi++;
			si++;
		}
	}
	return si == slen;
}

static int match_path(const char *pattern, const char *path, struct route_match *m)
{
	const char *p = pattern, *s = path;
	for (;;) {
		const char *pe, *se;
		if (*p != '/' || *s != '/')
			return *p == *s;
		p++;
		s++;
		pe = strchr(p, '/');
		se = strchr(s, '/');
		if (!pe)
			pe = p + strlen(p);
		if (!se)
			se = s + strlen(s);
		if (!match_segment(p, (size_t)(pe - p), s, (size_t)(se - s), m))
			return 0;
		p = pe;
		s = se;
		if (!*p || !*s)
			return !*p && !*s;
	}
}

void route_match_release(struct route_match *m)
{
	for (size_t i = 0; i < m->nparams; i++)
		free(m->params[i].value);
	m->nparams = 0;
}

static void allow_add(char *allow, size_t size, const char *method)
{
	size_t len = strlen(allow);
	const char *p = allow;
	size_t ml = strlen(method);
	while ((p = strstr(p, method))) {
		if ((p == allow || p[-1] == ' ') && (p[ml] == ',' || p[ml] == '\0'))
			return;
		p += ml;
	}
	snprintf(allow + len, size - len, "%s%s", len ? ", " : "", method);
}

int router_match(const struct router *rt, const char *method, const char *path,
		 struct route_match *m)
{
	struct route_match best, cur;
	int have = 0, path_known = 0;
	const char *want = strcmp(method, "HEAD") == 0 ? "GET" : method;

	memset(m, 0, sizeof(*m));
	memset(&best, 0, sizeof(best));
	for (size_t i = 0; i < rt->n; i++) {
		const struct route *r = rt->routes[i];
		memset(&cur, 0, sizeof(cur));
		if (!match_path(r->pattern, path, &cur)) {
			route_match_release(&cur);
			continue;
		}
		if (strcmp(r->method, want) != 0) {
			path_known = 1;
			allow_add(m->allow, sizeof(m->allow), r->method);
			route_match_release(&cur);
			continue;
		}
		cur.route = r;
		if (!have || cur.nparams < best.nparams) {
			if (have)
				route_match_release(&best);
			best = cur;
			have = 1;
		} else {
			route_match_release(&cur);
		}
	}
	if (have) {
		char allow[sizeof(m->allow)];
		memcpy(allow, m->allow, sizeof(allow));
		*m = best;
		memcpy(m->allow, allow, sizeof(allow));
		return 0;
	}
	if (path_known)
		return ZL_E_METHOD;
	return ZL_E_NOT_FOUND;
}
