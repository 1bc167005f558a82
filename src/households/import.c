/*
 * import.c: households from a spreadsheet. The CSV reader (RFC 4180, UTF-8
 * or GB18030 as Excel and WPS write it in China), the checks that give each
 * bad row its row number, column and reason, the import through the household
 * service, the progress of import jobs, and the import route and CLI.
 */
#include <iconv.h>
#include <sodium.h>

#include "households/households.h"
#include "households/pii.h"
#include "households/transfer.h"
#include "org/regions.h"
#include "platform/audit.h"
#include "platform/cli.h"
#include "platform/clock.h"
#include "platform/db.h"

const struct transfer_column transfer_columns[TC_N] = {
	[TC_CODE] = { "household_code", "户编号", "household code", "户号|户代码|code", 32, TC_REQUIRED },
	[TC_VILLAGE] = { "village_code", "村代码", "village code", "村|村编码|村委会|village", 64,
			 TC_REQUIRED | TC_HOUSEHOLD },
	[TC_GROUP] = { "group_code", "村民小组", "group", "小组|组|group", 64, TC_HOUSEHOLD },
	[TC_ADDRESS] = { "address", "地址", "address", "住址|家庭住址", 200, TC_HOUSEHOLD },
	[TC_NAME] = { "name", "姓名", "name", "", 50, TC_REQUIRED },
	[TC_RELATION] = { "relation", "与户主关系", "relation to the head", "关系|家庭关系", 20, TC_REQUIRED },
	[TC_ID] = { "id_number", "身份证号", "id number", "身份证号码|公民身份号码|身份证", 40, 0 },
	[TC_PHONE] = { "phone", "联系电话", "phone", "电话|手机|手机号|手机号码|联系方式", 40, 0 },
	[TC_SEX] = { "sex", "性别", "sex", "gender", 10, 0 },
	[TC_BIRTH] = { "birth_date", "出生日期", "birth date", "出生年月日|生日", 20, 0 },
	[TC_OCCUPATION] = { "occupation", "职业", "occupation", "", 50, 0 },
	[TC_TAGS] = { "tags", "标签", "tags", "户类型|类别", 500, TC_HOUSEHOLD },
	[TC_NOTES] = { "notes", "备注", "notes", "户备注", 1000, TC_HOUSEHOLD },
	[TC_REMARKS] = { "remarks", "成员备注", "member remarks", "", 500, 0 },
	[TC_LNG] = { "lng", "经度", "longitude", "longitude", 30, TC_HOUSEHOLD },
	[TC_LAT] = { "lat", "纬度", "latitude", "latitude", 30, TC_HOUSEHOLD },
};

/* ======================================================================
 * The CSV reader
 * ====================================================================== */

/* Length of the longest valid UTF-8 prefix (no overlong forms, no
 * surrogates, nothing above U+10FFFF). */
static size_t utf8_valid_upto(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned char c = s[i];
		size_t k;
		uint32_t cp;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			k = 1;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			k = 2;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			k = 3;
			cp = c & 0x07;
		} else {
			return i;
		}
		if (n - i <= k)
			return i;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xC0) != 0x80)
				return i;
			cp = (cp << 6) | (s[i + j] & 0x3F);
		}
		if ((k == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
		    (k == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
			return i;
		i += k + 1;
	}
	return n;
}

/* The line (1-based) a byte offset is on: the row, unless quoted fields
 * before it hold line breaks. */
static size_t line_of(const char *s, size_t off)
{
	size_t line = 1;
	for (const char *p = s; (p = memchr(p, '\n', (size_t)(s + off - p))); p++)
		line++;
	return line;
}

static int csv_fail(struct csv_error *err, int code, size_t row, const char *zh, const char *en)
{
	err->row = row;
	err->zh = zh;
	err->en = en;
	return code;
}

int transfer_iconv(const char *to, const char *from, const char *in, size_t len, struct buf *out,
		   size_t *bad_at)
{
	iconv_t cd = iconv_open(to, from);
	char *ip = (char *)(uintptr_t)in;
	size_t inleft = len;
	if (cd == (iconv_t)-1)
		return ZL_E_INTERNAL;
	buf_grow(out, len + len / 2 + 16);
	while (inleft) {
		char *op = out->data + out->len;
		size_t oleft = out->alloc - out->len - 1;
		size_t r = iconv(cd, &ip, &inleft, &op, &oleft);
		out->len = (size_t)(op - out->data);
		out->data[out->len] = '\0';
		if (r != (size_t)-1)
			continue;
		if (errno == E2BIG) {
			buf_grow(out, inleft * 2 + 16);
			continue;
		}
		iconv_close(cd);
		if (bad_at)
			*bad_at = (size_t)(ip - in);
		return 1;
	}
	iconv_close(cd);
	return 0;
}

static int gb18030_to_utf8(const char *data, size_t len, struct buf *out, struct csv_error *err)
{
	size_t bad = 0;
	int rc = transfer_iconv("UTF-8", "GB18030", data, len, out, &bad);
	if (rc == ZL_E_INTERNAL)
		return csv_fail(err, rc, 0, "系统缺少 GB18030 编码转换", "gb18030 conversion is not available");
	if (rc)
		return csv_fail(err, ZL_E_IMPORT_ENCODING, line_of(data, bad),
				"文件中有既不是 UTF-8 也不是 GBK/GB18030 的字节，请另存为 UTF-8 或 GBK 编码的 CSV",
				"the file has bytes that are neither utf-8 nor gbk/gb18030; save it as csv in utf-8 or gbk");
	return 0;
}

/* csv_decode() without a copy of a file that is UTF-8 already: *text and
 * *text_len point into data then, into out after a conversion. */
static int decode_view(const char *data, size_t len, struct buf *out, const char **text, size_t *text_len,
		       enum csv_encoding *enc, int *bom, struct csv_error *err)
{
	const unsigned char *u = (const unsigned char *)data;
	size_t ok;
	int rc;
	*enc = CSV_ENC_UTF8;
	*bom = 0;
	err->row = 0;
	err->zh = err->en = NULL;
	if ((len >= 4 && memcmp(u, "PK\3\4", 4) == 0) ||
	    (len >= 8 && memcmp(u, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) == 0))
		return csv_fail(err, ZL_E_IMPORT_ENCODING, 0,
				"这是 Excel 工作簿（.xlsx/.xls），不是 CSV 文件：请在 Excel 或 WPS 中“另存为”CSV（逗号分隔）",
				"this is an excel workbook (.xlsx or .xls), not a csv file; save it as csv (comma delimited) first");
	if (len >= 2 && ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF)))
		return csv_fail(err, ZL_E_IMPORT_ENCODING, 0,
				"文件是 UTF-16 编码（Excel 的“Unicode 文本”）：请另存为“CSV UTF-8（逗号分隔）”",
				"the file is utf-16 (excel's unicode text); save it as csv utf-8 (comma delimited)");
	if (len >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF) {
		*bom = 1;
		data += 3;
		u += 3;
		len -= 3;
	}
	ok = utf8_valid_upto(u, len);
	*text = data;
	*text_len = len;
	if (ok == len)
		return 0;
	if (*bom)
		return csv_fail(err, ZL_E_IMPORT_ENCODING, line_of(data, ok),
				"文件以 UTF-8 标记开头，但含有不是 UTF-8 的字节",
				"the file starts with a utf-8 byte order mark but has bytes that are not utf-8");
	*enc = CSV_ENC_GB18030;
	ok = out->len;
	if ((rc = gb18030_to_utf8(data, len, out, err)))
		return rc;
	*text = out->data + ok;
	*text_len = out->len - ok;
	return 0;
}

int csv_decode(const char *data, size_t len, struct buf *out, enum csv_encoding *enc, int *bom,
	       struct csv_error *err)
{
	const char *text;
	size_t n;
	int rc = decode_view(data, len, out, &text, &n, enc, bom, err);
	if (!rc && *enc == CSV_ENC_UTF8)
		buf_add(out, text, n);
	return rc;
}

static void csv_push_field(struct csv_table *t, size_t off)
{
	if (t->nfields == t->field_alloc) {
		t->field_alloc = t->field_alloc ? t->field_alloc * 2 : 256;
		t->field = xrealloc(t->field, t->field_alloc * sizeof(*t->field));
	}
	t->field[t->nfields++] = off;
	t->row[t->nrows] = t->nfields;
}

static void csv_push_row(struct csv_table *t)
{
	if (t->nrows + 2 > t->row_alloc) {
		t->row_alloc = t->row_alloc ? t->row_alloc * 2 : 64;
		t->row = xrealloc(t->row, t->row_alloc * sizeof(*t->row));
	}
	t->row[t->nrows++] = t->nfields;
	t->row[t->nrows] = t->nfields;
}

/* One quoted field from s[*p] (just after the opening quote) into text. */
static int csv_quoted(const char *s, size_t n, size_t *p, struct buf *text, size_t row,
		      struct csv_error *err)
{
	size_t i = *p;
	for (;;) {
		const char *q = i < n ? memchr(s + i, '"', n - i) : NULL;
		size_t end = q ? (size_t)(q - s) : n;
		if (memchr(s + i, '\0', end - i))
			return csv_fail(err, ZL_E_IMPORT_CSV, row, "文件中含有空字符（NUL），不是文本文件",
					"the file holds a nul byte; it is not a text file");
		buf_add(text, s + i, end - i);
		if (!q)
			return csv_fail(err, ZL_E_IMPORT_CSV, row, "引号没有闭合：以双引号开始的内容须以双引号结束",
					"a quoted field is not closed: a field that starts with a double quote must end with one");
		if (end + 1 < n && s[end + 1] == '"') {
			buf_addch(text, '"');
			i = end + 2;
			continue;
		}
		i = end + 1;
		break;
	}
	if (i < n && s[i] != ',' && s[i] != '\r' && s[i] != '\n')
		return csv_fail(err, ZL_E_IMPORT_CSV, row, "右引号后面还有内容：内容中的双引号须写成两个双引号",
				"text follows a closing quote; a quote inside a quoted field is written as two quotes");
	*p = i;
	return 0;
}

int csv_parse(const char *data, size_t len, struct csv_table *t, struct csv_error *err)
{
	struct buf u = BUF_INIT, text = BUF_INIT;
	size_t p = 0, n;
	const char *s;
	int rc;

	*t = (struct csv_table)CSV_TABLE_INIT;
	rc = decode_view(data, len, &u, &s, &n, &t->encoding, &t->bom, err);
	if (rc)
		goto out;
	buf_grow(&text, n + n / 8 + 16);
	while (p < n) {
		csv_push_row(t);
		for (;;) {
			size_t start = text.len;
			if (t->nfields - t->row[t->nrows - 1] >= CSV_MAX_FIELDS) {
				rc = csv_fail(err, ZL_E_IMPORT_CSV, t->nrows, "该行的列数过多（超过 512 列）",
					      "the row has more than 512 columns");
				goto out;
			}
			if (p < n && s[p] == '"') {
				p++;
				rc = csv_quoted(s, n, &p, &text, t->nrows, err);
				if (rc)
					goto out;
			} else {
				size_t q = p;
				while (q < n && s[q] != ',' && s[q] != '\r' && s[q] != '\n' && s[q])
					q++;
				if (q < n && !s[q]) {
					rc = csv_fail(err, ZL_E_IMPORT_CSV, t->nrows, "文件中含有空字符（NUL），不是文本文件",
						      "the file holds a nul byte; it is not a text file");
					goto out;
				}
				buf_add(&text, s + p, q - p);
				p = q;
			}
			if (text.len - start > CSV_MAX_FIELD) {
				rc = csv_fail(err, ZL_E_IMPORT_CSV, t->nrows, "单元格内容过长（超过 64 KB）",
					      "a field is longer than 64 kb");
				goto out;
			}
			buf_addch(&text, '\0');
			csv_push_field(t, start);
			if (p < n && s[p] == ',') {
				p++;
				continue;
			}
			if (p < n && s[p] == '\r')
				p++;
			if (p < n && s[p] == '\n')
				p++;
			break;
		}
	}
	if (!t->row) /* an empty file: keep row[0] valid */
		t->row = xcalloc(1, sizeof(*t->row));
	t->text = buf_detach(&text, NULL);
out:
	buf_release(&u);
	buf_release(&text);
	return rc;
}

size_t csv_row_len(const struct csv_table *t, size_t row)
{
	return row < t->nrows ? t->row[row + 1] - t->row[row] : 0;
}

const char *csv_field(const struct csv_table *t, size_t row, size_t col)
{
	if (row >= t->nrows || col >= csv_row_len(t, row))
		return NULL;
	return t->text + t->field[t->row[row] + col];
}

void csv_table_release(struct csv_table *t)
{
	free(t->text);
	free(t->field);
	free(t->row);
	*t = (struct csv_table)CSV_TABLE_INIT;
}

/* ======================================================================
 * Checking the rows
 * ====================================================================== */

struct region_c {
	char *code, *name, *parent;
	int village; /* else a group */
};

struct tag_c {
	char *name;
};

struct ierr {
	size_t row;
	int col; /* TC_* or -1 */
	int filecol; /* column in the file (0-based) or -1 */
	const char *kind;
	char *zh, *en;
};

struct irow {
	size_t line;          /* spreadsheet row */
	char *v[TC_N];        /* trimmed values in the table's text, NULL if empty */
	const char *relation; /* canonical */
	const struct region_c *village, *group;
	char id[PII_ID_LEN + 1], phone[12], birth[11], sex;
	double lat, lng;
	size_t *tagv, ntags; /* indices into the tag cache, in the cache's order */
	int bad;
};

struct ihh {
	const char *code;
	size_t first, n;  /* range of order[] */
	size_t head;      /* row index of the head, or SIZE_MAX */
	int bad;
	int exists;       /* a household with this code is on file */
	const char *action;
};

struct imp {
	struct ctx *c;
	const struct import_opts *o;
	struct csv_table t;
	int filecol_of[CSV_MAX_FIELDS]; /* file column -> TC_*, or -1 for an unnamed column */
	const char *header[TC_N];       /* the header as written in the file, or NULL */
	size_t ncols;
	struct irow *rows;
	size_t nrows;
	size_t *order; /* row indices by household code, then row */
	size_t norder;
	struct ihh *hh;
	size_t nhh;
	struct ierr *errs;
	size_t nerrs, errs_alloc;
	struct region_c *regions;
	size_t nregions;
	struct tag_c *tags;
	size_t ntags;
	int64_t today;
	size_t bad_rows, created, updated, unchanged, skipped;
	char sha256[65];
};

static void err_add(struct imp *im, size_t row, int col, const char *kind, char *zh, char *en)
{
	struct ierr *e;
	if (im->nerrs == im->errs_alloc) {
		im->errs_alloc = im->errs_alloc ? im->errs_alloc * 2 : 64;
		im->errs = xrealloc(im->errs, im->errs_alloc * sizeof(*im->errs));
	}
	e = &im->errs[im->nerrs++];
	e->row = row;
	e->col = col;
	e->filecol = -1;
	e->kind = kind;
	e->zh = zh;
	e->en = en;
}

/* A bad value in a row: marks the row bad; zh and en are new strings. */
static void row_err(struct imp *im, struct irow *r, int col, const char *kind, char *zh, char *en)
{
	r->bad = 1;
	err_add(im, r->line, col, kind, zh, en);
}

/* The column's name as the file writes it, for messages. */
static const char *colname(const struct imp *im, int col)
{
	return im->header[col] ? im->header[col] : transfer_columns[col].zh;
}

static void err_required(struct imp *im, struct irow *r, int col)
{
	row_err(im, r, col, "required", xasprintf("必须填写“%s”", colname(im, col)),
		xasprintf("'%s' is required", transfer_columns[col].key));
}

/* Trims ASCII white space, no-break spaces, ideographic spaces (U+3000) and
 * stray byte order marks at both ends, in place. */
static char *trim(char *s)
{
	static const char *const wide[] = { "\xE3\x80\x80", "\xC2\xA0", "\xEF\xBB\xBF" };
	size_t n;
	for (;;) {
		int moved = 0;
		while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
			s++, moved = 1;
		for (size_t i = 0; i < ARRAY_SIZE(wide); i++)
			if (strncmp(s, wide[i], strlen(wide[i])) == 0)
				s += strlen(wide[i]), moved = 1;
		if (!moved)
			break;
	}
	n = strlen(s);
	for (;;) {
		int moved = 0;
		while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
			n--, moved = 1;
		for (size_t i = 0; i < ARRAY_SIZE(wide); i++) {
			size_t w = strlen(wide[i]);
			if (n >= w && memcmp(s + n - w, wide[i], w) == 0)
				n -= w, moved = 1;
		}
		if (!moved)
			break;
	}
	s[n] = '\0';
	return s;
}

/* "4.40881E+17": what Excel makes of a long digit string in a General cell. */
static int excel_number(const char *s)
{
	const char *e = strpbrk(s, "eE");
	if (!e || !isdigit((unsigned char)s[0]) || (e[1] != '+' && e[1] != '-'))
		return 0;
	for (const char *p = s; p < e; p++)
		if (!isdigit((unsigned char)*p) && *p != '.')
			return 0;
	for (const char *p = e + 2; *p; p++)
		if (!isdigit((unsigned char)*p))
			return 0;
	return e[2] != '\0';
}

static void err_excel_number(struct imp *im, struct irow *r, int col)
{
	row_err(im, r, col, "excel_number",
		xasprintf("“%s”已被 Excel 转成科学计数法（如 4.40881E+17），请把该列设为“文本”格式后重新填写",
			  colname(im, col)),
		xasprintf("excel turned '%s' into a number in scientific notation; format the column as "
			  "text and enter it again", transfer_columns[col].key));
}

/* ---- the header ---- */

static int alias_match(const char *aliases, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = aliases; *p;) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);
		if (len == n && strncasecmp(p, name, n) == 0)
			return 1;
		p += len + (bar ? 1 : 0);
	}
	return 0;
}

static int column_lookup(const char *name)
{
	for (int i = 0; i < TC_N; i++) {
		const struct transfer_column *tc = &transfer_columns[i];
		if (!strcasecmp(name, tc->key) || !strcmp(name, tc->zh) || alias_match(tc->aliases, name))
			return i;
	}
	return -1;
}

static int header_read(struct imp *im)
{
	size_t n = csv_row_len(&im->t, 0);
	size_t before = im->nerrs;
	im->ncols = n;
	for (size_t i = 0; i < n; i++) {
		char *name = trim(im->t.text + im->t.field[im->t.row[0] + i]);
		int col;
		im->filecol_of[i] = -1;
		if (!*name)
			continue; /* an unnamed column: its cells must stay empty */
		col = column_lookup(name);
		if (col < 0) {
			struct buf allowed = BUF_INIT;
			for (int k = 0; k < TC_N; k++)
				buf_addf(&allowed, "%s%s", k ? ", " : "", transfer_columns[k].key);
			err_add(im, 1, -1, "header_unknown",
				xasprintf("第 %zu 列的列名“%s”无法识别；可用的列名：户编号、村代码、村民小组、地址、姓名、与户主关系、"
					  "身份证号、联系电话、性别、出生日期、职业、标签、备注、成员备注、经度、纬度", i + 1, name),
				xasprintf("column %zu: unknown column \"%s\"; known columns: %s", i + 1, name,
					  allowed.data));
			im->errs[im->nerrs - 1].filecol = (int)i;
			buf_release(&allowed);
			continue;
		}
		if (im->header[col]) {
			err_add(im, 1, col, "header_repeated",
				xasprintf("第 %zu 列“%s”与前面的“%s”是同一列", i + 1, name, im->header[col]),
				xasprintf("column %zu: \"%s\" repeats the column \"%s\"", i + 1, name,
					  im->header[col]));
			continue;
		}
		im->header[col] = name;
		im->filecol_of[i] = col;
	}
	for (int k = 0; k < TC_N; k++)
		if ((transfer_columns[k].flags & TC_REQUIRED) && !im->header[k])
			err_add(im, 1, k, "header_missing",
				xasprintf("缺少必需的列“%s”（或 %s）", transfer_columns[k].zh, transfer_columns[k].key),
				xasprintf("the required column \"%s\" (%s) is missing", transfer_columns[k].key,
					  transfer_columns[k].zh));
	return im->nerrs > before ? ZL_E_IMPORT_HEADER : 0;
}

/* ---- the caches: villages and groups in scope, tags ---- */

static int region_cmp(const void *a, const void *b)
{
	return strcmp(((const struct region_c *)a)->code, ((const struct region_c *)b)->code);
}

static int caches_load(struct imp *im)
{
	struct buf sql = BUF_INIT;
	struct db_stmt *st = NULL;
	size_t alloc = 0;
	int rc;
	buf_adds(&sql, "SELECT r.code, r.name, r.level, r.parent_code FROM region r "
		       "WHERE r.level IN ('village', 'group') AND r.retired_at IS NULL");
	scope_sql(&sql, "r.code");
	rc = db_prepare(im->c->db, sql.data, &st);
	buf_release(&sql);
	if (rc)
		return rc;
	db_bind_text(st, 1, im->c->actor.scope_like);
	while ((rc = db_step(st)) == 1) {
		struct region_c *r;
		if (im->nregions == alloc) {
			alloc = alloc ? alloc * 2 : 64;
			im->regions = xrealloc(im->regions, alloc * sizeof(*im->regions));
		}
		r = &im->regions[im->nregions++];
		r->code = xstrdup(db_col_text(st, 0));
		r->name = xstrdup(db_col_text(st, 1));
		r->village = strcmp(db_col_text(st, 2), "village") == 0;
		r->parent = xstrdup(db_col_text(st, 3) ? db_col_text(st, 3) : "");
	}
	db_done(st);
	if (rc < 0)
		return rc;
	if (im->nregions)
		qsort(im->regions, im->nregions, sizeof(*im->regions), region_cmp);

	alloc = 0;
	rc = db_prepare(im->c->db, "SELECT name FROM tag WHERE retired_at IS NULL ORDER BY sort, name", &st);
	if (rc)
		return rc;
	while ((rc = db_step(st)) == 1) {
		if (im->ntags == alloc) {
			alloc = alloc ? alloc * 2 : 16;
			im->tags = xrealloc(im->tags, alloc * sizeof(*im->tags));
		}
		im->tags[im->ntags++].name = xstrdup(db_col_text(st, 0));
	}
	db_done(st);
	return rc < 0 ? rc : 0;
}

static const struct region_c *region_find(const struct imp *im, const char *code)
{
	struct region_c key = { (char *)(uintptr_t)code, NULL, NULL, 0 };
	if (!im->nregions)
		return NULL;
	return bsearch(&key, im->regions, im->nregions, sizeof(key), region_cmp);
}

/* A village in scope by code, or by name when exactly one has it. */
static const struct region_c *village_find(const struct imp *im, const char *v)
{
	const struct region_c *r = region_find(im, v), *found = NULL;
	if (r)
		return r->village ? r : NULL;
	for (size_t i = 0; i < im->nregions; i++)
		if (im->regions[i].village && !strcmp(im->regions[i].name, v)) {
			if (found)
				return NULL;
			found = &im->regions[i];
		}
	return found;
}

/* A group of the village by code or by name. */
static const struct region_c *group_find(const struct imp *im, const struct region_c *village,
					 const char *v)
{
	const struct region_c *r = region_find(im, v);
	if (r)
		return !r->village && !strcmp(r->parent, village->code) ? r : NULL;
	for (size_t i = 0; i < im->nregions; i++)
		if (!im->regions[i].village && !strcmp(im->regions[i].parent, village->code) &&
		    !strcmp(im->regions[i].name, v))
			return &im->regions[i];
	return NULL;
}

/* ---- values ---- */

/* The household service knows the Chinese relations and their common
 * spellings; English headers bring English words. */
static const struct {
	const char *en, *canon;
} relations_en[] = {
	{ "head", "户主" },	  { "spouse", "配偶" },	    { "child", "子女" },	 { "parent", "父母" },
	{ "grandchild", "孙子女" }, { "sibling", "兄弟姐妹" }, { "grandparent", "祖父母" }, { "other", "其他" },
};
#define RELATION_HEAD "户主"

static const char *relation_parse(const char *v)
{
	const char *canon = household_relation_normalise(v);
	for (size_t i = 0; !canon && i < ARRAY_SIZE(relations_en); i++)
		if (!strcasecmp(relations_en[i].en, v))
			canon = household_relation_normalise(relations_en[i].canon);
	return canon;
}

static int sex_parse(const char *v, char *out)
{
	static const char *const male = "男|M|male", *const female = "女|F|female";
	if (alias_match(male, v))
		*out = 'M';
	else if (alias_match(female, v))
		*out = 'F';
	else
		return -1;
	return 0;
}

/* Reads up to max digits; returns how many. */
static int digits(const char **p, int max, int *out)
{
	int n = 0, v = 0;
	while (n < max && isdigit((unsigned char)**p)) {
		v = v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	*out = v;
	return n;
}

static int valid_ymd(int y, int m, int d)
{
	int cy, cm, cd;
	if (y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1 || d > 31)
		return 0;
	civil_from_days(days_from_civil(y, m, d), &cy, &cm, &cd);
	return cy == y && cm == m && cd == d;
}

/* Skips a date separator: - / . or the Chinese word; -1 if there is none. */
static int date_sep(const char **p, const char *word)
{
	if (**p == '-' || **p == '/' || **p == '.') {
		(*p)++;
		return 0;
	}
	if (strncmp(*p, word, strlen(word)) != 0)
		return -1;
	*p += strlen(word);
	return 0;
}

/* Accepts 1980-03-05, 1980/3/5, 1980.3.5, 19800305 and 1980年3月5日; writes
 * YYYY-MM-DD. 0, -1 (not a date) or -2 (in the future). */
static int date_parse_loose(const char *v, int64_t today, char out[11])
{
	const char *p = v;
	int y, m, d;
	if (strlen(v) == 8 && strspn(v, "0123456789") == 8) {
		y = (v[0] - '0') * 1000 + (v[1] - '0') * 100 + (v[2] - '0') * 10 + (v[3] - '0');
		m = (v[4] - '0') * 10 + (v[5] - '0');
		d = (v[6] - '0') * 10 + (v[7] - '0');
	} else {
		if (digits(&p, 4, &y) != 4 || date_sep(&p, "年") || digits(&p, 2, &m) < 1 ||
		    date_sep(&p, "月") || digits(&p, 2, &d) < 1)
			return -1;
		if (strncmp(p, "日", strlen("日")) == 0)
			p += strlen("日");
		if (*p)
			return -1;
	}
	if (!valid_ymd(y, m, d))
		return -1;
	if (days_from_civil(y, m, d) > today)
		return -2;
	snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u, (unsigned)d % 100u);
	return 0;
}

/* Strict decimal number; 0 or -1. */
static int number_parse(const char *v, double *out)
{
	char *end;
	errno = 0;
	*out = strtod(v, &end);
	if (end == v || *end || errno || *out != *out)
		return -1;
	for (const char *p = v; *p; p++)
		if (!isdigit((unsigned char)*p) && *p != '.' && *p != '-' && *p != '+')
			return -1;
	return 0;
}

/* Which of the ID checks failed, for the error's kind. */
static const char *id_kind(const char *id)
{
	int y, m, d;
	const char *p = id + 6;
	if (strlen(id) != PII_ID_LEN || strspn(id, "0123456789") < PII_ID_LEN - 1 ||
	    !(isdigit((unsigned char)id[17]) || id[17] == 'X'))
		return "id_format";
	digits(&p, 4, &y);
	digits(&p, 2, &m);
	digits(&p, 2, &d);
	if (!valid_ymd(y, m, d))
		return "id_birth";
	return "id_check";
}

static int tagidx_cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}

/* Splits a tags cell on 、 ; ； ， , and looks each name up. */
static void tags_parse(struct imp *im, struct irow *r, const char *v)
{
	static const char *const seps[] = { "、", "；", "，", ";", "," };
	const char *p = v;
	while (*p) {
		size_t len = strlen(p), seplen = 0;
		char *name;
		for (size_t i = 0; i < ARRAY_SIZE(seps); i++) {
			const char *q = strstr(p, seps[i]);
			if (q && (size_t)(q - p) < len) {
				len = (size_t)(q - p);
				seplen = strlen(seps[i]);
			}
		}
		name = trim(xstrndup(p, len));
		if (*name) {
			size_t k;
			for (k = 0; k < im->ntags; k++)
				if (!strcmp(im->tags[k].name, name))
					break;
			if (k == im->ntags) {
				row_err(im, r, TC_TAGS, "tag", xasprintf("未知的标签“%s”", name),
					xasprintf("unknown tag \"%s\"", name));
			} else {
				size_t j;
				for (j = 0; j < r->ntags && r->tagv[j] != k; j++)
					;
				if (j == r->ntags) {
					r->tagv = xrealloc(r->tagv, (r->ntags + 1) * sizeof(*r->tagv));
					r->tagv[r->ntags++] = k;
				}
			}
		}
		free(name);
		p += len + seplen;
	}
	if (r->ntags > 1)
		qsort(r->tagv, r->ntags, sizeof(*r->tagv), tagidx_cmp);
}

/* A masked value ("4408**********1234") from an export made without reveal. */
static int masked(struct imp *im, struct irow *r, int col)
{
	if (!strchr(r->v[col], '*'))
		return 0;
	row_err(im, r, col, "masked",
		xasprintf("“%s”是打码后的号码（导出时没有选择显示完整号码），请填写完整号码或留空", colname(im, col)),
		xasprintf("'%s' is a masked number (from an export without reveal); give the full number or "
			  "leave it empty", transfer_columns[col].key));
	return 1;
}

static void check_id(struct imp *im, struct irow *r)
{
	const char *v = r->v[TC_ID], *why_en = NULL, *why_zh = NULL;
	char birth[11], sex = 0, norm[64];
	size_t n = 0;
	for (const char *p = v; *p && n + 1 < sizeof(norm); p++)
		if (*p != ' ' && *p != '-')
			norm[n++] = *p == 'x' ? 'X' : *p;
	norm[n] = '\0';
	if (masked(im, r, TC_ID))
		return;
	if (excel_number(norm)) {
		err_excel_number(im, r, TC_ID);
		return;
	}
	if (pii_id_check(norm, birth, &sex, &why_en, &why_zh)) {
		row_err(im, r, TC_ID, id_kind(norm), xasprintf("身份证号有误：%s", why_zh ? why_zh : "无效"),
			xasprintf("'id_number' is invalid: %s", why_en ? why_en : "invalid"));
		return;
	}
	pii_id_normalise(norm, r->id);
	if (r->sex && r->sex != sex)
		row_err(im, r, TC_SEX, "id_sex",
			xasprintf("性别与身份证号不符（身份证号为%s性）", sex == 'M' ? "男" : "女"),
			xasprintf("'sex' disagrees with the id number (which says %s)",
				  sex == 'M' ? "male" : "female"));
	if (r->birth[0] && strcmp(r->birth, birth) != 0)
		row_err(im, r, TC_BIRTH, "id_birth_date",
			xstrdup("出生日期与身份证号中的出生日期不符"),
			xstrdup("'birth_date' disagrees with the birth date in the id number"));
	if (!r->sex)
		r->sex = sex;
	if (!r->birth[0])
		memcpy(r->birth, birth, sizeof(r->birth));
}

static void check_coords(struct imp *im, struct irow *r)
{
	static const struct {
		int col;
		double lim;
		const char *zh, *en;
	} c[] = { { TC_LNG, 180, "经度", "lng" }, { TC_LAT, 90, "纬度", "lat" } };
	double *out[2] = { &r->lng, &r->lat };
	for (size_t i = 0; i < 2; i++) {
		const char *v = r->v[c[i].col];
		if (!v)
			continue;
		if (number_parse(v, out[i]) || *out[i] < -c[i].lim || *out[i] > c[i].lim) {
			row_err(im, r, c[i].col, "coords",
				xasprintf("%s应为 %g 到 %g 之间的数（度），如 %s", c[i].zh, -c[i].lim, c[i].lim,
					  i ? "21.936" : "110.655"),
				xasprintf("'%s' must be a number of degrees from %g to %g", c[i].en, -c[i].lim,
					  c[i].lim));
		}
	}
	if (!r->v[TC_LNG] != !r->v[TC_LAT])
		row_err(im, r, r->v[TC_LNG] ? TC_LAT : TC_LNG, "coords", xstrdup("经度和纬度要么都填，要么都不填"),
			xstrdup("give both 'lng' and 'lat' or neither"));
}

/* The checks that need only the row itself. */
static void row_check(struct imp *im, struct irow *r)
{
	static const int required[] = { TC_CODE, TC_NAME, TC_RELATION };
	const char *v;
	for (size_t i = 0; i < ARRAY_SIZE(required); i++)
		if (!r->v[required[i]])
			err_required(im, r, required[i]);
	for (int col = 0; col < TC_N; col++) {
		long n;
		if (!r->v[col])
			continue;
		n = utf8_len(r->v[col]);
		if (n > (long)transfer_columns[col].max_chars) {
			row_err(im, r, col, "too_long",
				xasprintf("“%s”不能超过 %u 个字（现有 %ld 个）", colname(im, col),
					  transfer_columns[col].max_chars, n),
				xasprintf("'%s' must be at most %u characters (it has %ld)", transfer_columns[col].key,
					  transfer_columns[col].max_chars, n));
			r->v[col] = NULL; /* reported once; not checked further */
		}
	}
	if ((v = r->v[TC_CODE])) {
		if (excel_number(v))
			err_excel_number(im, r, TC_CODE);
		else if (strspn(v, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_") != strlen(v))
			row_err(im, r, TC_CODE, "code",
				xstrdup("户编号只能包含字母、数字、“-”和“_”，最长 32 位"),
				xstrdup("'household_code' may hold only letters, digits, '-' and '_', at most 32"));
	}
	if ((v = r->v[TC_RELATION]) && !(r->relation = relation_parse(v)))
		row_err(im, r, TC_RELATION, "relation",
			xasprintf("与户主关系应为 户主、配偶、子女、父母、孙子女、兄弟姐妹、祖父母、儿媳、女婿 或 其他，"
				  "而不是“%s”", v),
			xasprintf("'relation' must be 户主 (head), 配偶 (spouse), 子女 (child), 父母 (parent), "
				  "孙子女 (grandchild), 兄弟姐妹 (sibling), 祖父母 (grandparent), 儿媳, 女婿 or "
				  "其他 (other), not \"%s\"", v));
	if ((v = r->v[TC_VILLAGE])) {
		if (excel_number(v))
			err_excel_number(im, r, TC_VILLAGE);
		else if (!(r->village = village_find(im, v)))
			row_err(im, r, TC_VILLAGE, "village",
				xasprintf("村代码“%s”不存在或不在您的管辖范围内", v),
				xasprintf("village \"%s\" does not exist or is outside your area", v));
	}
	if ((v = r->v[TC_SEX]) && sex_parse(v, &r->sex))
		row_err(im, r, TC_SEX, "sex", xasprintf("性别应为 男 或 女（或 M、F），而不是“%s”", v),
			xasprintf("'sex' must be 男 or 女 (or M, F), not \"%s\"", v));
	if ((v = r->v[TC_BIRTH])) {
		int d = date_parse_loose(v, im->today, r->birth);
		if (d == -1)
			row_err(im, r, TC_BIRTH, "date",
				xstrdup("出生日期不是有效日期，应写成 1980-03-05 这样的格式"),
				xstrdup("'birth_date' is not a date; write it as 1980-03-05"));
		else if (d == -2)
			row_err(im, r, TC_BIRTH, "date", xstrdup("出生日期不能晚于今天"),
				xstrdup("'birth_date' cannot be in the future"));
	}
	if (r->v[TC_ID])
		check_id(im, r);
	if ((v = r->v[TC_PHONE]) && !masked(im, r, TC_PHONE)) {
		if (excel_number(v))
			err_excel_number(im, r, TC_PHONE);
		else if (pii_mobile_check(v, r->phone))
			row_err(im, r, TC_PHONE, "mobile",
				xstrdup("联系电话不是有效的手机号：应为 1 开头的 11 位数字，如 13812345678"),
				xstrdup("'phone' is not a mobile number: 11 digits starting with 1, such as 13812345678"));
	}
	check_coords(im, r);
	if ((v = r->v[TC_TAGS]))
		tags_parse(im, r, v);
}

/* ---- households: grouping and the checks across rows ---- */

struct sortkey {
	const char *s;
	size_t line, idx;
};

static int sortkey_cmp(const void *a, const void *b)
{
	const struct sortkey *x = a, *y = b;
	int c = strcmp(x->s, y->s);
	if (c)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* The same ID number on two rows: every later row is an error. */
static void check_duplicate_ids(struct imp *im)
{
	struct sortkey *k = xmalloc((im->nrows + 1) * sizeof(*k));
	size_t n = 0;
	for (size_t i = 0; i < im->nrows; i++)
		if (im->rows[i].id[0])
			k[n++] = (struct sortkey){ im->rows[i].id, im->rows[i].line, i };
	qsort(k, n, sizeof(*k), sortkey_cmp);
	for (size_t i = 1; i < n; i++) {
		size_t first = i - 1;
		while (first > 0 && !strcmp(k[first - 1].s, k[i].s))
			first--;
		if (strcmp(k[i - 1].s, k[i].s) != 0)
			continue;
		row_err(im, &im->rows[k[i].idx], TC_ID, "duplicate_id",
			xasprintf("身份证号与第 %zu 行重复", k[first].line),
			xasprintf("the id number is the same as on row %zu", k[first].line));
	}
	free(k);
}

static int tags_equal(const struct irow *a, const struct irow *b)
{
	return a->ntags == b->ntags && (!a->ntags || !memcmp(a->tagv, b->tagv, a->ntags * sizeof(*a->tagv)));
}

/* Does a household field of a non-head row disagree with the head's row? */
static int field_conflicts(const struct irow *r, const struct irow *head, int col)
{
	switch (col) {
	case TC_VILLAGE:
		return r->village && head->village ? r->village != head->village
						    : strcmp(r->v[col], head->v[col] ? head->v[col] : "") != 0;
	case TC_GROUP:
		return r->group && head->group ? r->group != head->group
					       : strcmp(r->v[col], head->v[col] ? head->v[col] : "") != 0;
	case TC_LNG:
		return !head->v[col] || r->lng != head->lng;
	case TC_LAT:
		return !head->v[col] || r->lat != head->lat;
	case TC_TAGS:
		return !tags_equal(r, head);
	default:
		return !head->v[col] || strcmp(r->v[col], head->v[col]) != 0;
	}
}

static void group_resolve(struct imp *im, struct irow *r, const struct region_c *village)
{
	const char *v = r->v[TC_GROUP];
	if (!v || !village)
		return;
	if (!(r->group = group_find(im, village, v)))
		row_err(im, r, TC_GROUP, "group",
			xasprintf("村民小组“%s”不是村“%s”（%s）的小组", v, village->name, village->code),
			xasprintf("group \"%s\" is not a group of village \"%s\" (%s)", v, village->name,
				  village->code));
}

/* An existing household with this code outside the actor's scope? */
static int check_code_scope(struct imp *im, struct ihh *h, struct irow *head)
{
	char *village = NULL;
	const struct region_c *v;
	int rc = db_get_text(im->c->db, &village, "SELECT village_code FROM household WHERE code = ?", "t",
			     h->code);
	if (rc <= 0)
		return rc;
	h->exists = 1;
	v = village ? region_find(im, village) : NULL;
	if (!v || !v->village)
		row_err(im, head, TC_CODE, "scope",
			xasprintf("户编号“%s”已被您管辖范围以外的农户使用", h->code),
			xasprintf("household code \"%s\" is used by a household outside your area", h->code));
	free(village);
	return 0;
}

static int household_rows_check(struct imp *im, struct ihh *h)
{
	struct irow *head = NULL;
	for (size_t i = h->first; i < h->first + h->n; i++) {
		struct irow *r = &im->rows[im->order[i]];
		if (!r->relation || strcmp(r->relation, RELATION_HEAD) != 0)
			continue;
		if (head) {
			row_err(im, r, TC_RELATION, "head_many",
				xasprintf("户“%s”有多个户主（另见第 %zu 行）", h->code, head->line),
				xasprintf("household \"%s\" has more than one head (see also row %zu)", h->code,
					  head->line));
			continue;
		}
		head = r;
		h->head = im->order[i];
	}
	if (!head) {
		struct irow *r = &im->rows[im->order[h->first]];
		/* a household whose only head row had a bad relation already has its error */
		for (size_t i = h->first; i < h->first + h->n; i++)
			if (!im->rows[im->order[i]].relation && im->rows[im->order[i]].v[TC_RELATION])
				return 0;
		row_err(im, r, TC_RELATION, "head_none",
			xasprintf("户“%s”没有户主：须有一行的与户主关系为“户主”", h->code),
			xasprintf("household \"%s\" has no head: one row must have relation 户主 (head)", h->code));
		return 0;
	}
	if (!head->v[TC_VILLAGE])
		err_required(im, head, TC_VILLAGE);
	group_resolve(im, head, head->village);
	for (size_t i = h->first; i < h->first + h->n; i++) {
		struct irow *r = &im->rows[im->order[i]];
		if (r == head)
			continue;
		group_resolve(im, r, head->village);
		for (int col = 0; col < TC_N; col++) {
			if (!(transfer_columns[col].flags & TC_HOUSEHOLD) || !r->v[col] ||
			    !field_conflicts(r, head, col))
				continue;
			row_err(im, r, col, "conflict",
				xasprintf("“%s”与户主所在的第 %zu 行不一致：户的信息以户主行为准，其他行请留空或填写相同内容",
					  colname(im, col), head->line),
				xasprintf("'%s' differs from the head's row %zu; leave it empty on the other "
					  "rows or repeat the head's value", transfer_columns[col].key, head->line));
		}
	}
	return check_code_scope(im, h, head);
}

static int rows_read(struct imp *im)
{
	im->rows = xcalloc(im->t.nrows, sizeof(*im->rows));
	for (size_t i = 1; i < im->t.nrows; i++) {
		struct irow *r = &im->rows[im->nrows];
		size_t n = csv_row_len(&im->t, i);
		int any = 0;
		memset(r, 0, sizeof(*r));
		r->line = i + 1;
		for (size_t j = 0; j < n; j++)
			if (*trim(im->t.text + im->t.field[im->t.row[i] + j]))
				any = 1;
		if (!any)
			continue; /* a blank row */
		im->nrows++;
		if (n != im->ncols) {
			row_err(im, r, -1, "columns",
				xasprintf("该行有 %zu 列，表头有 %zu 列（内容中的逗号须放在双引号里）", n, im->ncols),
				xasprintf("the row has %zu columns but the header has %zu (a comma inside a value "
					  "needs double quotes around the value)", n, im->ncols));
			continue;
		}
		for (size_t j = 0; j < n; j++) {
			char *v = trim(im->t.text + im->t.field[im->t.row[i] + j]); /* again: the start */
			if (!*v)
				continue;
			if (im->filecol_of[j] < 0) {
				row_err(im, r, -1, "unnamed_column",
					xasprintf("第 %zu 列没有列名，但该行在此列有内容", j + 1),
					xasprintf("column %zu has no header but this row has a value in it", j + 1));
				continue;
			}
			r->v[im->filecol_of[j]] = v;
		}
		row_check(im, r);
	}
	return 0;
}

static int households_group(struct imp *im)
{
	struct sortkey *k = xmalloc((im->nrows + 1) * sizeof(*k));
	size_t n = 0;
	int rc = 0;
	for (size_t i = 0; i < im->nrows; i++)
		if (im->rows[i].v[TC_CODE])
			k[n++] = (struct sortkey){ im->rows[i].v[TC_CODE], im->rows[i].line, i };
	qsort(k, n, sizeof(*k), sortkey_cmp);
	im->order = xmalloc((n + 1) * sizeof(*im->order));
	im->hh = xcalloc(n + 1, sizeof(*im->hh));
	for (size_t i = 0; i < n; i++) {
		im->order[i] = k[i].idx;
		if (i == 0 || strcmp(k[i - 1].s, k[i].s) != 0)
			im->hh[im->nhh++] = (struct ihh){ k[i].s, i, 0, SIZE_MAX, 0, 0, NULL };
		im->hh[im->nhh - 1].n++;
	}
	im->norder = n;
	free(k);
	check_duplicate_ids(im);
	for (size_t i = 0; i < im->nhh && !rc; i++)
		rc = household_rows_check(im, &im->hh[i]);
	return rc;
}

/* ======================================================================
 * Applying
 * ====================================================================== */

static json_t *jstr(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

static json_t *member_json(const struct irow *r)
{
	char sex[2] = { r->sex, '\0' };
	return json_pack("{s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o}", "name", r->v[TC_NAME], "relation", r->relation,
			 "id_number", jstr(r->id), "phone", jstr(r->phone), "birth_date", jstr(r->birth),
			 "sex", jstr(sex), "occupation", jstr(r->v[TC_OCCUPATION]), "remarks",
			 jstr(r->v[TC_REMARKS]));
}

/* What household_upsert_import() takes: the head first, then the others in
 * file order; tags in the tag list's order. */
static json_t *household_json(const struct imp *im, const struct ihh *h)
{
	const struct irow *head = &im->rows[h->head];
	json_t *members = json_array(), *tags = json_array();
	json_array_append_new(members, member_json(head));
	for (size_t i = h->first; i < h->first + h->n; i++)
		if (im->order[i] != h->head)
			json_array_append_new(members, member_json(&im->rows[im->order[i]]));
	for (size_t i = 0; i < head->ntags; i++)
		json_array_append_new(tags, json_string(im->tags[head->tagv[i]].name));
	return json_pack("{s:s,s:s,s:o,s:o,s:s,s:o,s:o,s:o,s:o,s:o,s:o}", "code", h->code, "village_code",
			 head->village->code, "group_code", jstr(head->group ? head->group->code : NULL),
			 "address", jstr(head->v[TC_ADDRESS]), "head_name", head->v[TC_NAME], "phone",
			 jstr(head->phone), "lat", head->v[TC_LAT] ? json_real(head->lat) : json_null(), "lng",
			 head->v[TC_LNG] ? json_real(head->lng) : json_null(), "tags", tags, "notes",
			 jstr(head->v[TC_NOTES]), "members", members);
}

/* The household service's field errors, onto the rows they are about:
 * "members[2].id_number" (or "members.2.id_number") is the third member's
 * row; any other field is the head's row. */
static void service_errors(struct imp *im, struct ihh *h)
{
	struct verr *v = &im->c->errs;
	for (size_t i = 0; i < v->n; i++) {
		const char *f = v->items[i].field, *dot;
		struct irow *r = &im->rows[h->head];
		int col = -1;
		if (!strncmp(f, "members", 7) && (f[7] == '[' || f[7] == '.')) {
			size_t m = strtoul(f + 8, NULL, 10), seen = 1;
			if (m > 0) /* members[0] is the head */
				for (size_t k = h->first; k < h->first + h->n; k++)
					if (im->order[k] != h->head && seen++ == m)
						r = &im->rows[im->order[k]];
			f = (dot = strrchr(f, '.')) ? dot + 1 : f;
		}
		col = !strcmp(f, "head_name") ? TC_NAME : !strcmp(f, "code") ? TC_CODE : column_lookup(f);
		row_err(im, r, col, "service", xstrdup(v->items[i].zh), xstrdup(v->items[i].en));
	}
	verr_release(v);
}

/* Applies one household inside a savepoint, so that a failure takes back
 * only its own writes. Negative only for errors that end the import. */
static int household_apply(struct imp *im, struct ihh *h)
{
	json_t *j = household_json(im, h);
	int64_t id = 0;
	int changed = 0, rc = db_run(im->c->db, "SAVEPOINT import_household", "");
	if (!rc)
		rc = household_upsert_import(im->c, j, &id, &changed);
	json_decref(j);
	if (rc == 0) {
		db_run(im->c->db, "RELEASE import_household", "");
		h->action = !changed ? "unchanged" : h->action;
		return 0;
	}
	db_run(im->c->db, "ROLLBACK TO import_household", "");
	db_run(im->c->db, "RELEASE import_household", "");
	if (rc != ZL_E_VALIDATION && rc != ZL_E_CONFLICT && rc != ZL_E_NOT_FOUND &&
	    rc != ZL_E_HOUSEHOLD_CODE_EXISTS)
		return rc;
	if (!im->c->errs.n) {
		const struct zl_error_info *e = zl_error_info(rc);
		verr_add(&im->c->errs, "code", im->c->detail_zh ? im->c->detail_zh : e->zh,
			 im->c->detail_en ? im->c->detail_en : e->en);
	}
	service_errors(im, h);
	h->bad = 1;
	return 0;
}

static void progress(struct imp *im, const char *phase, size_t done)
{
	if (im->o->progress)
		im->o->progress(im->o->progress_arg, phase, done, im->nhh);
}

static int households_apply(struct imp *im)
{
	int rc = 0;
	if (im->o->dry_run && (rc = db_exec(im->c->db, "SAVEPOINT import_dry_run")))
		return rc;
	for (size_t i = 0; i < im->nhh && !rc; i++) {
		struct ihh *h = &im->hh[i];
		if (h->bad)
			continue;
		h->action = h->exists ? "updated" : "created";
		rc = household_apply(im, h);
		progress(im, "applying", i + 1);
	}
	if (im->o->dry_run) {
		db_exec(im->c->db, "ROLLBACK TO import_dry_run");
		db_exec(im->c->db, "RELEASE import_dry_run");
	}
	return rc;
}

/* ======================================================================
 * The import
 * ====================================================================== */

static int ierr_cmp(const void *a, const void *b)
{
	const struct ierr *x = a, *y = b;
	if (x->row != y->row)
		return x->row < y->row ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return x->filecol < y->filecol ? -1 : x->filecol > y->filecol;
}

static json_t *errors_json(struct imp *im)
{
	json_t *arr = json_array();
	int en = im->c->lang == LANG_EN;
	if (im->nerrs > 1)
		qsort(im->errs, im->nerrs, sizeof(*im->errs), ierr_cmp);
	for (size_t i = 0; i < im->nerrs && i < IMPORT_MAX_ERRORS; i++) {
		const struct ierr *e = &im->errs[i];
		const char *key = e->col >= 0 ? transfer_columns[e->col].key : "";
		json_array_append_new(arr, json_pack("{s:I,s:o,s:s,s:s,s:s,s:s,s:s}", "row", (json_int_t)e->row,
						     "column", e->col >= 0 ? json_string(colname(im, e->col)) : json_null(),
						     "field", key, "kind", e->kind, "message", en ? e->en : e->zh,
						     "zh", e->zh, "en", e->en));
	}
	return arr;
}

static json_t *result_json(struct imp *im, const char *encoding, int applied)
{
	json_t *items = json_array(), *skipped = json_array();
	size_t households = 0;
	for (size_t i = 0; i < im->nrows; i++)
		im->bad_rows += im->rows[i].bad != 0;
	for (size_t i = 0; i < im->nhh; i++) {
		struct ihh *h = &im->hh[i];
		households++;
		if (h->bad) {
			h->action = "skipped";
			im->skipped++;
			for (size_t k = h->first; k < h->first + h->n; k++)
				json_array_append_new(skipped, json_integer((json_int_t)im->rows[im->order[k]].line));
		} else if (h->action) {
			im->created += !strcmp(h->action, "created");
			im->updated += !strcmp(h->action, "updated");
			im->unchanged += !strcmp(h->action, "unchanged");
		}
		if (i < IMPORT_MAX_ITEMS && h->action)
			json_array_append_new(items, json_pack("{s:s,s:I,s:I,s:s}", "code", h->code, "row",
							       (json_int_t)im->rows[im->order[h->first]].line,
							       "members", (json_int_t)h->n, "action", h->action));
	}
	return json_pack("{s:b,s:b,s:b,s:s,s:b,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:I,s:o,s:o,s:b}",
			 "dry_run", im->o->dry_run, "skip_bad", im->o->skip_bad, "applied", applied,
			 "encoding", encoding, "bom", im->t.bom, "file_sha256", im->sha256,
			 "rows", (json_int_t)im->nrows, "households", (json_int_t)households,
			 "created", (json_int_t)im->created, "updated", (json_int_t)im->updated,
			 "unchanged", (json_int_t)im->unchanged, "skipped", (json_int_t)im->skipped,
			 "bad_rows", (json_int_t)im->bad_rows, "errors_total", (json_int_t)im->nerrs,
			 "errors", errors_json(im), "job_id", (json_int_t)im->o->job_id,
			 "skipped_rows", skipped, "items", items, "items_truncated", im->nhh > IMPORT_MAX_ITEMS);
}

static void imp_release(struct imp *im)
{
	for (size_t i = 0; i < im->nerrs; i++) {
		free(im->errs[i].zh);
		free(im->errs[i].en);
	}
	free(im->errs);
	for (size_t i = 0; i < im->nrows; i++)
		free(im->rows[i].tagv);
	free(im->rows);
	free(im->order);
	free(im->hh);
	for (size_t i = 0; i < im->nregions; i++) {
		free(im->regions[i].code);
		free(im->regions[i].name);
		free(im->regions[i].parent);
	}
	free(im->regions);
	for (size_t i = 0; i < im->ntags; i++)
		free(im->tags[i].name);
	free(im->tags);
	csv_table_release(&im->t);
}

static int import_audit(struct imp *im, const char *encoding)
{
	char id[32];
	json_t *after = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:s,s:s,s:b,s:I}", "rows", (json_int_t)im->nrows,
				  "households", (json_int_t)im->nhh, "created", (json_int_t)im->created,
				  "updated", (json_int_t)im->updated, "unchanged", (json_int_t)im->unchanged,
				  "skipped", (json_int_t)im->skipped, "bad_rows", (json_int_t)im->bad_rows,
				  "file_sha256", im->sha256, "encoding", encoding, "skip_bad", im->o->skip_bad,
				  "job_id", (json_int_t)im->o->job_id);
	int rc;
	if (im->o->job_id)
		snprintf(id, sizeof(id), "%" PRId64, im->o->job_id);
	rc = audit_log(im->c, "household.import", im->o->job_id ? "job" : "file",
		       im->o->job_id ? id : im->sha256, NULL, after);
	json_decref(after);
	return rc;
}

int household_import(struct ctx *c, const char *data, size_t len, const struct import_opts *o,
		     json_t **result)
{
	struct imp im;
	struct csv_error cerr;
	unsigned char h[crypto_hash_sha256_BYTES];
	const char *encoding;
	int rc;

	memset(&im, 0, sizeof(im));
	im.c = c;
	im.o = o;
	im.today = (clock_now_sec() + ZL_TZ_OFFSET_MIN * 60) / 86400;
	*result = NULL;
	crypto_hash_sha256(h, (const unsigned char *)data, len);
	hex_encode(h, sizeof(h), im.sha256);
	progress(&im, "checking", 0);

	rc = csv_parse(data, len, &im.t, &cerr);
	encoding = im.t.encoding == CSV_ENC_GB18030 ? "gb18030" : "utf-8";
	if (rc) {
		err_add(&im, cerr.row, -1, rc == ZL_E_IMPORT_ENCODING ? "encoding" : "csv", xstrdup(cerr.zh),
			xstrdup(cerr.en));
		goto out;
	}
	if (im.t.nrows == 0) {
		rc = ZL_E_IMPORT_EMPTY;
		err_add(&im, 0, -1, "empty", xstrdup("文件是空的：第一行应为表头，其后每人一行"),
			xstrdup("the file is empty: a header row, then one row per person"));
		goto out;
	}
	if ((rc = header_read(&im)))
		goto out;
	if ((rc = caches_load(&im)) || (rc = rows_read(&im)))
		goto out;
	if (im.nrows == 0) {
		rc = ZL_E_IMPORT_EMPTY;
		err_add(&im, 0, -1, "empty", xstrdup("表头下面没有数据行"), xstrdup("there are no rows below the header"));
		goto out;
	}
	if ((rc = households_group(&im)))
		goto out;
	for (size_t i = 0; i < im.nhh; i++)
		for (size_t k = im.hh[i].first; k < im.hh[i].first + im.hh[i].n; k++)
			im.hh[i].bad |= im.rows[im.order[k]].bad;
	if (im.nerrs && !o->skip_bad && !o->dry_run) {
		rc = ZL_E_IMPORT_BAD_ROWS;
		goto out;
	}
	if ((rc = households_apply(&im)))
		goto out;
	if (!o->dry_run && !o->skip_bad && im.nerrs) /* the household service refused some */
		rc = ZL_E_IMPORT_BAD_ROWS;
out:
	if (rc == 0 || (rc <= ZL_E_IMPORT_BAD_ROWS && rc >= ZL_E_IMPORT_EMPTY)) {
		*result = result_json(&im, encoding, rc == 0 && !o->dry_run);
		if (rc == 0 && !o->dry_run)
			rc = import_audit(&im, encoding);
		progress(&im, "finishing", im.nhh);
	}
	imp_release(&im);
	return rc;
}

/* ======================================================================
 * Jobs: progress kept in memory while an import runs
 * ====================================================================== */

#define JOB_SLOTS 128
#define JOB_KEY_MAX 64

struct job_slot {
	int64_t id, user_id;
	char key[JOB_KEY_MAX + 1];
	char phase[16];
	size_t total, done;
	int running;
	int64_t stamp;
};
static struct job_slot job_slots[JOB_SLOTS];
static pthread_mutex_t job_lock = PTHREAD_MUTEX_INITIALIZER;

int job_start(struct db *db, const char *kind, int64_t user_id, const char *key, int64_t *id)
{
	char now[ZL_TIME_MAX];
	struct job_slot *slot = NULL;
	int rc;
	time_format_utc(clock_now(), now);
	rc = db_begin(db);
	if (!rc && user_id)
		rc = db_run(db, "INSERT INTO job(kind, user_id, state, total, done, created_at) "
				"VALUES (?, ?, 'running', 0, 0, ?)", "tit", kind, user_id, now);
	else if (!rc)
		rc = db_run(db, "INSERT INTO job(kind, user_id, state, total, done, created_at) "
				"VALUES (?, NULL, 'running', 0, 0, ?)", "tt", kind, now);
	if (rc) {
		db_rollback(db);
		return rc;
	}
	*id = db_last_id(db);
	if ((rc = db_commit(db))) {
		db_rollback(db);
		return rc;
	}
	pthread_mutex_lock(&job_lock);
	for (size_t i = 0; i < JOB_SLOTS; i++) {
		struct job_slot *s = &job_slots[i];
		if (!s->id || (!s->running && (!slot || slot->running || s->stamp < slot->stamp)))
			slot = s;
		if (!s->id)
			break;
	}
	if (!slot) /* every slot runs an import: take the oldest */
		slot = &job_slots[0];
	memset(slot, 0, sizeof(*slot));
	slot->id = *id;
	slot->user_id = user_id;
	snprintf(slot->key, sizeof(slot->key), "%s", key ? key : "");
	snprintf(slot->phase, sizeof(slot->phase), "checking");
	slot->running = 1;
	slot->stamp = clock_mono_us();
	pthread_mutex_unlock(&job_lock);
	return 0;
}

static struct job_slot *job_slot_of(int64_t id)
{
	for (size_t i = 0; i < JOB_SLOTS; i++)
		if (job_slots[i].id == id)
			return &job_slots[i];
	return NULL;
}

void job_progress(int64_t id, const char *phase, size_t done, size_t total)
{
	struct job_slot *s;
	pthread_mutex_lock(&job_lock);
	if ((s = job_slot_of(id))) {
		snprintf(s->phase, sizeof(s->phase), "%s", phase);
		s->done = done;
		s->total = total;
	}
	pthread_mutex_unlock(&job_lock);
}

int job_finish(struct db *db, int64_t id, const char *state, const json_t *result)
{
	char now[ZL_TIME_MAX];
	char *res = result ? json_dumps(result, JSON_COMPACT) : NULL;
	int64_t total = 0, done = 0;
	struct job_slot *s;
	int rc;
	pthread_mutex_lock(&job_lock);
	if ((s = job_slot_of(id))) {
		total = (int64_t)s->total;
		done = (int64_t)s->done;
	}
	pthread_mutex_unlock(&job_lock);
	time_format_utc(clock_now(), now);
	rc = db_begin(db);
	if (!rc)
		rc = db_run(db, "UPDATE job SET state = ?, total = ?, done = ?, result_json = ?, finished_at = ? "
				"WHERE id = ?", "tiitti", state, total, done, res, now, id);
	if (!rc)
		rc = db_commit(db);
	if (rc)
		db_rollback(db);
	/* only now: a reader must not see it stopped while the row says running */
	pthread_mutex_lock(&job_lock);
	if ((s = job_slot_of(id))) {
		s->running = 0;
		s->stamp = clock_mono_us();
	}
	pthread_mutex_unlock(&job_lock);
	free(res);
	return rc;
}

/* A job as JSON: the row, with the live progress while it runs. */
static int job_json(struct ctx *c, int64_t id, json_t **out)
{
	struct db_stmt *st;
	struct job_slot *s, live = { 0 };
	char created[ZL_TIME_MAX], finished[ZL_TIME_MAX];
	int64_t t;
	json_t *result = NULL;
	int rc = db_prepare(c->db, "SELECT kind, user_id, state, total, done, result_json, created_at, "
				   "finished_at FROM job WHERE id = ?", &st);
	if (rc)
		return rc;
	db_bind_int(st, 1, id);
	rc = db_step(st);
	if (rc <= 0 || (c->actor.role != ROLE_ADMIN && db_col_int(st, 1) != c->actor.user_id)) {
		db_done(st);
		return rc < 0 ? rc : ZL_E_NOT_FOUND;
	}
	pthread_mutex_lock(&job_lock);
	if ((s = job_slot_of(id)))
		live = *s;
	pthread_mutex_unlock(&job_lock);
	if (db_col_text(st, 5))
		result = json_loads(db_col_text(st, 5), 0, NULL);
	created[0] = finished[0] = '\0';
	if (!time_parse(db_col_text(st, 6), &t))
		time_format_local(t, created);
	if (db_col_text(st, 7) && !time_parse(db_col_text(st, 7), &t))
		time_format_local(t, finished);
	if (live.running) {
		json_decref(result);
		*out = json_pack("{s:I,s:s,s:s,s:s,s:I,s:I,s:n,s:s,s:n}", "id", (json_int_t)id, "kind",
				 db_col_text(st, 0), "state", "running", "phase", live.phase, "total",
				 (json_int_t)live.total, "done", (json_int_t)live.done, "result", "created_at",
				 created, "finished_at");
	} else {
		/* a row left running with nobody running it: the server stopped during the import */
		int lost = !strcmp(db_col_text(st, 2), "running");
		*out = json_pack("{s:I,s:s,s:s,s:s,s:I,s:I,s:o,s:s,s:o}", "id", (json_int_t)id, "kind",
				 db_col_text(st, 0), "state", lost ? "failed" : db_col_text(st, 2), "phase",
				 lost ? "interrupted" : "done", "total",
				 (json_int_t)db_col_int(st, 3), "done", (json_int_t)db_col_int(st, 4), "result",
				 result ? result : json_null(), "created_at", created, "finished_at",
				 finished[0] ? json_string(finished) : json_null());
	}
	db_done(st);
	return 0;
}

/* ======================================================================
 * Routes
 * ====================================================================== */

static int csv_type_ok(const char *ct)
{
	static const char *const types[] = { "text/csv", "text/plain", "application/csv",
					     "application/octet-stream", "application/vnd.ms-excel" };
	if (!ct)
		return 0;
	while (*ct == ' ')
		ct++;
	for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
		size_t n = strlen(types[i]);
		if (!strncasecmp(ct, types[i], n) && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' '))
			return 1;
	}
	return 0;
}

/* ?name=1|true|0|false; absent is 0. */
static int query_flag(struct req *r, const char *name, int *out)
{
	const char *v = req_query(r, name);
	char zh[96], en[96];
	*out = 0;
	if (!v || !*v || !strcmp(v, "0") || !strcmp(v, "false"))
		return 0;
	if (!strcmp(v, "1") || !strcmp(v, "true")) {
		*out = 1;
		return 0;
	}
	snprintf(zh, sizeof(zh), "“%s”应为 0 或 1", name);
	snprintf(en, sizeof(en), "'%s' must be 0 or 1", name);
	verr_add(&r->ctx.errs, name, zh, en);
	return ZL_E_VALIDATION;
}

static void import_progress(void *arg, const char *phase, size_t done, size_t total)
{
	job_progress(*(const int64_t *)arg, phase, done, total);
}

/*
 * Runs an import in its own transaction and records the end in the job:
 * the whole result (its messages name rows and columns, never ID or phone
 * numbers), with "code" and "status" when it failed. *res as
 * household_import() gives it (may be NULL).
 */
static int import_run(struct ctx *c, const char *body, size_t len, struct import_opts *o, json_t **res)
{
	json_t *stored;
	int rc = db_begin(c->db);
	*res = NULL;
	if (!rc) {
		rc = household_import(c, body, len, o, res);
		if (rc == 0 && !o->dry_run)
			rc = db_commit(c->db);
		if (db_in_tx(c->db))
			db_rollback(c->db);
	}
	stored = *res ? json_deep_copy(*res) : json_object();
	if (rc)
		json_object_update_new(stored, json_pack("{s:s,s:i}", "code", zl_error_info(rc)->name, "status",
							 zl_error_info(rc)->http_status));
	job_finish(c->db, o->job_id, rc == 0 ? "done" : "failed", stored);
	json_decref(stored);
	return rc;
}

/* An import that goes on after its request has been answered (?async=1):
 * its own thread and database connection, the request's actor. */
struct import_task {
	char *db_path, *body, *addr, *request_id;
	size_t len;
	struct actor actor;
	enum lang lang;
	struct import_opts o;
	int64_t job;
};

static void *import_thread(void *arg)
{
	struct import_task *t = arg;
	struct db *db = NULL;
	struct ctx c;
	json_t *res = NULL;
	if (db_open(t->db_path, NULL, &db) == 0) {
		memset(&c, 0, sizeof(c));
		c.db = db;
		c.actor = t->actor;
		c.addr = t->addr;
		c.request_id = t->request_id;
		c.lang = t->lang;
		t->o.progress_arg = &t->job;
		import_run(&c, t->body, t->len, &t->o, &res);
		json_decref(res);
		ctx_release(&c);
		db_close(db);
	} else {
		fprintf(stderr, "zhilian: import job %" PRId64 ": cannot open the database\n", t->job);
	}
	free(t->db_path);
	free(t->body);
	free(t->addr);
	free(t->request_id);
	free(t);
	return NULL;
}

static int import_start_async(struct req *r, const struct import_opts *o, int64_t job)
{
	struct import_task *t = xcalloc(1, sizeof(*t));
	pthread_attr_t attr;
	pthread_t th;
	int err;
	t->db_path = xstrdup(db_path(r->ctx.db));
	t->body = xmalloc(r->body_len + 1);
	memcpy(t->body, r->body, r->body_len + 1);
	t->len = r->body_len;
	t->addr = xstrdup(r->ctx.addr ? r->ctx.addr : "");
	t->request_id = xstrdup(r->request_id);
	t->actor = r->ctx.actor;
	t->lang = r->ctx.lang;
	t->o = *o;
	t->job = job;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	err = pthread_create(&th, &attr, import_thread, t);
	pthread_attr_destroy(&attr);
	if (err) {
		free(t->db_path);
		free(t->body);
		free(t->addr);
		free(t->request_id);
		free(t);
		return ZL_E_INTERNAL;
	}
	return 0;
}

static int h_import(struct req *r, struct resp *w)
{
	static const char keychars[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_";
	struct import_opts o = { 0 };
	const char *key = req_query(r, "job_key");
	json_t *res = NULL, *jr;
	int64_t job = 0;
	int async = 0, rc;

	if (!csv_type_ok(req_header(r, "Content-Type"))) {
		ctx_detail(&r->ctx, "请求内容类型应为 text/csv，内容为 CSV 文件本身",
			   "content type must be text/csv, with the csv file as the body");
		return ZL_E_MEDIA_TYPE;
	}
	if ((rc = query_flag(r, "dry_run", &o.dry_run)) || (rc = query_flag(r, "skip_bad", &o.skip_bad)) ||
	    (rc = query_flag(r, "async", &async)))
		return rc;
	if (key && (!*key || strlen(key) > JOB_KEY_MAX || strspn(key, keychars) != strlen(key))) {
		verr_add(&r->ctx.errs, "job_key", "job_key 应为 1 到 64 个字母、数字、“-”或“_”",
			 "'job_key' must be 1 to 64 letters, digits, '-' or '_'");
		return ZL_E_VALIDATION;
	}
	if ((rc = job_start(r->ctx.db, "import.households", r->ctx.actor.user_id, key, &job)))
		return rc;
	o.job_id = job;
	o.progress = import_progress;
	o.progress_arg = &job;
	if (async) {
		char loc[48];
		if ((rc = import_start_async(r, &o, job))) {
			job_finish(r->ctx.db, job, "failed", NULL);
			return rc;
		}
		snprintf(loc, sizeof(loc), "/api/v1/jobs/%" PRId64, job);
		resp_json(w, 202, json_pack("{s:I,s:s}", "job_id", (json_int_t)job, "state", "running"));
		resp_header(w, "Location", loc);
		return 0;
	}
	rc = import_run(&r->ctx, r->body, r->body_len, &o, &res);
	if (rc == 0) {
		resp_json(w, 200, res);
		return 0;
	}
	if (!res)
		return rc;
	/* a problem that carries the whole result, its errors[] the bad rows */
	jr = problem_json(rc, &r->ctx, r->path);
	json_object_update(jr, res);
	json_decref(res);
	resp_json(w, zl_error_info(rc)->http_status, jr);
	w->content_type = "application/problem+json; charset=utf-8";
	return 0;
}

static int h_job_get(struct req *r, struct resp *w)
{
	int64_t id;
	json_t *j = NULL;
	int rc = req_param_id(r, "id", &id);
	if (rc || (rc = job_json(&r->ctx, id, &j)))
		return rc;
	resp_json(w, 200, j);
	return 0;
}

/* The caller's jobs, newest first; ?key= finds the job an import started
 * with ?job_key= (while it runs and for a while after). */
static int h_job_list(struct req *r, struct resp *w)
{
	const char *key = req_query(r, "key");
	json_t *items = json_array(), *j;
	struct page pg;
	struct db_stmt *st;
	int64_t next = 0, ids[501];
	size_t n = 0;
	int rc = req_page(r, &pg);
	if (rc)
		goto fail;
	if (key) {
		pthread_mutex_lock(&job_lock);
		for (size_t i = 0; i < JOB_SLOTS && *key; i++)
			if (job_slots[i].id && job_slots[i].user_id == r->ctx.actor.user_id &&
			    !strcmp(job_slots[i].key, key))
				ids[0] = job_slots[i].id, n = 1;
		pthread_mutex_unlock(&job_lock);
	} else {
		rc = db_prepare(r->ctx.db, "SELECT id FROM job WHERE user_id = ? AND (? = 0 OR id < ?) "
					   "ORDER BY id DESC LIMIT ?", &st);
		if (rc)
			goto fail;
		db_bindv(st, "iiii", r->ctx.actor.user_id, pg.after, pg.after, (int64_t)pg.limit + 1);
		while ((rc = db_step(st)) == 1)
			ids[n++] = db_col_int(st, 0);
		db_done(st);
		if (rc < 0)
			goto fail;
		if (n > (size_t)pg.limit) {
			n = (size_t)pg.limit;
			next = ids[n - 1];
		}
	}
	for (size_t i = 0; i < n; i++) {
		if ((rc = job_json(&r->ctx, ids[i], &j)))
			goto fail;
		json_array_append_new(items, j);
	}
	resp_json(w, 200, page_result(items, next));
	return 0;
fail:
	json_decref(items);
	return rc;
}

static const struct route route_list[] = {
	{ "POST", "/api/v1/households/import", h_import, "household.import", ROUTE_OWN_TX | ROUTE_RAW | ROUTE_LARGE_BODY },
	{ "GET", "/api/v1/households/export", household_export_handler, "household.export", ROUTE_OWN_TX },
	{ "GET", "/api/v1/jobs", h_job_list, NULL, 0 },
	{ "GET", "/api/v1/jobs/{id}", h_job_get, NULL, 0 },
};
ROUTE_TABLE(transfer_routes, "transfer", route_list);

/* ======================================================================
 * CLI: zhilian import KIND FILE
 * ====================================================================== */

static const char import_help[] =
	"usage: zhilian import households FILE [--dry-run] [--skip-bad] [--db FILE]\n"
	"       zhilian import regions FILE [--dry-run] [--db FILE]\n"
	"Imports household files (民情档案) from a CSV file in UTF-8 or GBK/GB18030 (as\n"
	"Excel and WPS save it): a header row, then one row per person, grouped into\n"
	"households by 户编号; see the README for the columns. Every row is checked\n"
	"first and each bad one printed as \"row N, column C: reason\"; then nothing is\n"
	"written, unless --skip-bad. Importing the same file again changes nothing.\n"
	"FILE - reads standard input.\n"
	"  --dry-run   check, and count what would be created, updated or unchanged;\n"
	"              write nothing (exit 1 when a row is bad)\n"
	"  --skip-bad  apply the households that have no bad row, list the others\n"
	"  --db FILE   database (default $ZHILIAN_DB or zhilian.db)\n"
	"`import regions` takes the national division list (see its --help).\n";

/* Reads a whole file ("-": standard input) into out; prints why not. */
static int read_all(const char *cmd, const char *path, struct buf *out)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	char tmp[1 << 16];
	size_t n;
	int bad;
	if (!f) {
		fprintf(stderr, "zhilian %s: cannot read \"%s\": %s\n", cmd, path, strerror(errno));
		return ZL_E_IO;
	}
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_add(out, tmp, n);
	bad = ferror(f);
	if (f != stdin)
		fclose(f);
	if (bad) {
		fprintf(stderr, "zhilian %s: cannot read \"%s\"\n", cmd, path);
		return ZL_E_IO;
	}
	return 0;
}

struct bar {
	int tty, shown;
	int64_t last;
};

/* A progress bar on a terminal's stderr, redrawn at most ten times a second. */
static void bar_draw(void *arg, const char *phase, size_t done, size_t total)
{
	struct bar *b = arg;
	int64_t now = clock_mono_us();
	char line[64];
	size_t fill;
	if (!b->tty || (done < total && now - b->last < 100000) || !strcmp(phase, "finishing"))
		return;
	b->last = now;
	fill = total ? done * 40 / total : 0;
	memset(line, '#', fill);
	memset(line + fill, '.', 40 - fill);
	line[40] = '\0';
	fprintf(stderr, "\r%-9s [%s] %3zu%% %zu/%zu households", phase, line, total ? done * 100 / total : 0,
		done, total);
	fflush(stderr);
	b->shown = 1;
}

static void print_row_errors(const json_t *res)
{
	const json_t *e;
	size_t i, total = (size_t)json_integer_value(json_object_get(res, "errors_total"));
	json_array_foreach(json_object_get(res, "errors"), i, e) {
		size_t row = (size_t)json_integer_value(json_object_get(e, "row"));
		const char *col = json_string_value(json_object_get(e, "column"));
		const char *en = json_string_value(json_object_get(e, "en"));
		const char *zh = json_string_value(json_object_get(e, "zh"));
		if (row && col)
			fprintf(stderr, "row %zu, column %s: %s / %s\n", row, col, en, zh);
		else if (row)
			fprintf(stderr, "row %zu: %s / %s\n", row, en, zh);
		else
			fprintf(stderr, "%s / %s\n", en, zh);
	}
	if (total > json_array_size(json_object_get(res, "errors")))
		fprintf(stderr, "... and %zu more\n", total - json_array_size(json_object_get(res, "errors")));
}

struct import_cli_arg {
	const char *data;
	size_t len;
	struct import_opts o;
	struct bar bar;
	json_t *res;
};

static int import_fn(struct ctx *c, void *p)
{
	struct import_cli_arg *a = p;
	int rc = household_import(c, a->data, a->len, &a->o, &a->res);
	if (a->bar.shown)
		fputc('\n', stderr);
	if (a->res)
		print_row_errors(a->res);
	return rc;
}

static void print_summary(const char *file, const json_t *res, int64_t us)
{
#define N(k) ((long long)json_integer_value(json_object_get(res, k)))
	int dry = json_is_true(json_object_get(res, "dry_run"));
	printf("%s: %lld rows, %lld households (%s%s) in %.1f s\n", file, N("rows"), N("households"),
	       json_string_value(json_object_get(res, "encoding")),
	       json_is_true(json_object_get(res, "bom")) ? " with BOM" : "", (double)us / 1e6);
	printf("%s%lld created, %lld updated, %lld unchanged, %lld skipped; %lld bad rows\n",
	       dry ? "dry run, would be: " : "", N("created"), N("updated"), N("unchanged"), N("skipped"),
	       N("bad_rows"));
	if (dry)
		printf("dry run: nothing was written\n");
	else if (!json_is_true(json_object_get(res, "applied")))
		printf("nothing was imported: fix the rows above, or use --skip-bad to import the good households\n");
#undef N
}

static int import_households(int argc, char **argv)
{
	struct opt opts[] = { { "--db", 1, NULL, 0 }, { "--dry-run", 0, NULL, 0 }, { "--skip-bad", 0, NULL, 0 } };
	struct args a = { "import", opts, ARRAY_SIZE(opts), { 0 }, 0 };
	struct import_cli_arg ia = { 0 };
	struct buf data = BUF_INIT;
	struct db *db = NULL;
	int64_t t0 = clock_mono_us();
	int rc = parse_args(&a, argc, argv, 1);
	if (rc == 1)
		return fputs(import_help, stdout), 0;
	if (rc)
		return rc;
	if (a.npos != 1)
		return usage_error("import", "give the CSV file: zhilian import households FILE.csv");
	if (read_all("import", a.pos[0], &data))
		return 1;
	if (open_db("import", db_path_of(&a), 1, &db) ||
	    pii_key_open_cli("import", db, db_path_of(&a), 0)) {
		if (db)
			db_close(db);
		buf_release(&data);
		return 1;
	}
	ia.data = data.data;
	ia.len = data.len;
	ia.o.dry_run = opt_set(&a, "--dry-run");
	ia.o.skip_bad = opt_set(&a, "--skip-bad");
	ia.bar.tty = isatty(STDERR_FILENO);
	ia.o.progress = bar_draw;
	ia.o.progress_arg = &ia.bar;
	rc = with_tx("import", db, import_fn, &ia);
	db_close(db);
	if (ia.res)
		print_summary(a.pos[0], ia.res, clock_mono_us() - t0);
	if (!rc && ia.o.dry_run && json_integer_value(json_object_get(ia.res, "bad_rows")))
		rc = ZL_E_IMPORT_BAD_ROWS;
	json_decref(ia.res);
	buf_release(&data);
	return rc ? 1 : 0;
}

int transfer_import_cli(int argc, char **argv)
{
	if (argc < 1 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
		fputs(import_help, argc < 1 ? stderr : stdout);
		return argc < 1 ? 2 : 0;
	}
	if (!strcmp(argv[0], "households"))
		return import_households(argc - 1, argv + 1);
	if (!strcmp(argv[0], "regions"))
		return region_import_cli(argc - 1, argv + 1);
	return usage_error("import", "unknown kind \"%s\"; use households or regions", argv[0]);
}
