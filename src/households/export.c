/*
 * export.c: households out to a spreadsheet in the import's layout: CSV
 * (UTF-8 with BOM, or GB18030) or XLSX (libxlsxwriter); ID and phone numbers
 * masked unless revealed; every export audited. Also its route and CLI.
 */
#include <xlsxwriter.h>

#include "households/pii.h"
#include "households/transfer.h"
#include "platform/audit.h"
#include "platform/cli.h"
#include "platform/clock.h"
#include "platform/db.h"

#define XLSX_MAX_ROWS 1048575 /* Excel's limit, less the header */

/* Where the rows go: CSV text (UTF-8) or an XLSX worksheet. */
struct sink {
	int xlsx;
	struct buf *csv;
	lxw_workbook *wb;
	lxw_worksheet *ws;
	lxw_format *bold;
	lxw_row_t row;
};

/* One exported row; lat and lng are numbers (is_num). */
struct xrow {
	const char *v[TC_N];
	double num[TC_N];
	int is_num[TC_N];
};

/* Shortest decimal form that reads back as the same double, so that a
 * re-import hashes alike. */
static void fmt_double(double d, char *out, size_t n)
{
	for (int prec = 6; prec <= 17; prec++) {
		snprintf(out, n, "%.*g", prec, d);
		if (strtod(out, NULL) == d)
			return;
	}
}

/* 11 or more digits: Excel would show it as 4.40881E+17 and lose digits. */
static int long_digits(const char *s)
{
	size_t n = strlen(s);
	return n >= 11 && strspn(s, "0123456789X") == n;
}

static void csv_cell(struct buf *b, const char *s)
{
	int tab = long_digits(s);
	size_t n = strlen(s);
	if (!tab && !strpbrk(s, ",\"\r\n") && !(n && (s[0] == ' ' || s[n - 1] == ' '))) {
		buf_add(b, s, n);
		return;
	}
	buf_addch(b, '"');
	if (tab)
		buf_addch(b, '\t');
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			buf_addch(b, '"');
		buf_addch(b, *p);
	}
	buf_addch(b, '"');
}

static int sink_row(struct sink *k, const struct xrow *r)
{
	if (!k->xlsx) {
		for (int col = 0; col < TC_N; col++) {
			char num[40];
			if (col)
				buf_addch(k->csv, ',');
			if (r->is_num[col]) {
				fmt_double(r->num[col], num, sizeof(num));
				buf_adds(k->csv, num);
			} else if (r->v[col]) {
				csv_cell(k->csv, r->v[col]);
			}
		}
		buf_adds(k->csv, "\r\n");
		return 0;
	}
	if (k->row > XLSX_MAX_ROWS)
		return ZL_E_VALIDATION;
	for (int col = 0; col < TC_N; col++) {
		lxw_error e = LXW_NO_ERROR;
		if (r->is_num[col])
			e = worksheet_write_number(k->ws, k->row, (lxw_col_t)col, r->num[col], NULL);
		else if (r->v[col] && *r->v[col])
			e = worksheet_write_string(k->ws, k->row, (lxw_col_t)col, r->v[col], k->row ? NULL : k->bold);
		if (e != LXW_NO_ERROR)
			return ZL_E_IO;
	}
	k->row++;
	return 0;
}

/* Column widths in characters (a Chinese character is two). */
static const double xlsx_widths[TC_N] = {
	[TC_CODE] = 18, [TC_VILLAGE] = 14, [TC_GROUP] = 16, [TC_ADDRESS] = 32, [TC_NAME] = 10,
	[TC_RELATION] = 11, [TC_ID] = 21, [TC_PHONE] = 14, [TC_SEX] = 6, [TC_BIRTH] = 12,
	[TC_OCCUPATION] = 12, [TC_TAGS] = 24, [TC_NOTES] = 32, [TC_REMARKS] = 24, [TC_LNG] = 12, [TC_LAT] = 12,
};

static int sink_open(struct sink *k, int xlsx, const char *path, struct buf *csv)
{
	memset(k, 0, sizeof(*k));
	k->xlsx = xlsx;
	k->csv = csv;
	if (!xlsx)
		return 0;
	{
		lxw_workbook_options wo = { 1, NULL, 0 };
		k->wb = workbook_new_opt(path, &wo);
	}
	if (!k->wb || !(k->ws = workbook_add_worksheet(k->wb, "households")) ||
	    !(k->bold = workbook_add_format(k->wb)))
		return ZL_E_IO;
	format_set_bold(k->bold);
	/* constant memory mode streams the rows: widths and panes come first */
	for (int col = 0; col < TC_N; col++)
		worksheet_set_column(k->ws, (lxw_col_t)col, (lxw_col_t)col, xlsx_widths[col], NULL);
	worksheet_freeze_panes(k->ws, 1, 0);
	return 0;
}

/* ---- the query ---- */

struct xq {
	struct buf where; /* FROM household h WHERE ...: one '?' for scope, then filters */
	const char *region_like, *tag;
	char *region_path;
};

static void xq_bind(struct xq *q, struct ctx *c, struct db_stmt *st)
{
	int i = 1;
	db_bind_text(st, i++, c->actor.scope_like);
	if (q->region_like)
		db_bind_text(st, i++, q->region_like);
	if (q->tag)
		db_bind_text(st, i++, q->tag);
}

static int xq_prepare(struct xq *q, struct ctx *c, const char *select, const char *join,
		      const char *order, struct db_stmt **st)
{
	struct buf sql = BUF_INIT;
	int rc;
	buf_addf(&sql, "%s FROM household h %s WHERE %s ORDER BY h.code%s", select, join, q->where.data, order);
	rc = db_prepare(c->db, sql.data, st);
	buf_release(&sql);
	if (!rc)
		xq_bind(q, c, *st);
	return rc;
}

static int xq_init(struct xq *q, struct ctx *c, const struct export_opts *o)
{
	int rc;
	memset(q, 0, sizeof(*q));
	buf_init(&q->where);
	buf_adds(&q->where, "h.retired_at IS NULL");
	scope_sql(&q->where, "h.region_code");
	if (o->region) {
		if ((rc = scope_contains(c, o->region)) <= 0)
			return rc < 0 ? rc : ZL_E_NOT_FOUND;
		rc = db_get_text(c->db, &q->region_path, "SELECT path || '%' FROM region WHERE code = ?", "t",
				 o->region);
		if (rc <= 0)
			return rc < 0 ? rc : ZL_E_NOT_FOUND;
		q->region_like = q->region_path;
		buf_adds(&q->where, " AND EXISTS (SELECT 1 FROM region rf WHERE rf.code = h.region_code "
				    "AND +rf.path LIKE ?)");
	}
	if (o->tag) {
		int64_t one;
		rc = db_get_int(c->db, &one, "SELECT 1 FROM tag WHERE name = ?", "t", o->tag);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			verr_add(&c->errs, "tag", "没有这个标签", "no such tag");
			return ZL_E_VALIDATION;
		}
		q->tag = o->tag;
		buf_adds(&q->where, " AND EXISTS (SELECT 1 FROM household_tag ft JOIN tag t2 ON t2.id = ft.tag_id "
				    "WHERE ft.household_id = h.id AND t2.name = ?)");
	}
	return 0;
}

static void xq_release(struct xq *q)
{
	buf_release(&q->where);
	free(q->region_path);
}

/* A personal value for the sheet: the mask, or the plain text when revealing
 * (a new string in *plain the caller frees). */
static int pii_value(struct db_stmt *st, int mask_col, int enc_col, int reveal, const char **out, char **plain)
{
	size_t n = 0;
	const void *blob;
	*plain = NULL;
	*out = db_col_text(st, mask_col);
	if (!reveal || db_col_isnull(st, enc_col))
		return 0;
	blob = db_col_blob(st, enc_col, &n);
	if (pii_decrypt(blob, n, plain))
		return ZL_E_INTEGRITY;
	*out = *plain;
	return 0;
}

static const char *sex_text(const char *s, int en)
{
	if (!s)
		return NULL;
	if (!strcmp(s, "M"))
		return en ? "M" : "男";
	if (!strcmp(s, "F"))
		return en ? "F" : "女";
	return s;
}

struct xstats {
	size_t households, rows;
};

/* The rows of one household (sh's current row): its current members from
 * sm, the head first, advancing *rm; a household left without a member gets
 * one row for its head, by name. */
static int household_rows(struct db_stmt *sh, struct db_stmt *sm, int *rm, const char *tags, int reveal,
			  int en, struct sink *k, struct xstats *xs)
{
	int64_t hid = db_col_int(sh, 0);
	for (int first = 1;; first = 0) {
		int member = *rm == 1 && db_col_int(sm, 0) == hid, rc = 0;
		char *plain[3] = { NULL, NULL, NULL };
		struct xrow r;
		if (!member && !first)
			return 0;
		memset(&r, 0, sizeof(r));
		r.v[TC_CODE] = db_col_text(sh, 1);
		r.v[TC_VILLAGE] = db_col_text(sh, 2);
		if (strcmp(db_col_text(sh, 3), db_col_text(sh, 2)) != 0)
			r.v[TC_GROUP] = db_col_text(sh, 3);
		if (member) {
			r.v[TC_NAME] = db_col_text(sm, 1);
			r.v[TC_RELATION] = db_col_text(sm, 2);
			rc = pii_value(sm, 3, 4, reveal, &r.v[TC_ID], &plain[0]);
			if (!rc)
				rc = pii_value(sm, 5, 6, reveal, &r.v[TC_PHONE], &plain[1]);
			r.v[TC_SEX] = sex_text(db_col_text(sm, 7), en);
			r.v[TC_BIRTH] = db_col_text(sm, 8);
			r.v[TC_OCCUPATION] = db_col_text(sm, 9);
			r.v[TC_REMARKS] = db_col_text(sm, 10);
		} else {
			r.v[TC_NAME] = db_col_text(sh, 10);
			r.v[TC_RELATION] = "户主";
		}
		if (first) { /* the head's row carries the household's fields */
			r.v[TC_ADDRESS] = db_col_text(sh, 4);
			r.v[TC_NOTES] = db_col_text(sh, 7);
			r.v[TC_TAGS] = tags;
			if (!db_col_isnull(sh, 5) && !db_col_isnull(sh, 6)) {
				r.is_num[TC_LNG] = r.is_num[TC_LAT] = 1;
				r.num[TC_LNG] = db_col_double(sh, 5);
				r.num[TC_LAT] = db_col_double(sh, 6);
			}
			if (!r.v[TC_PHONE] && !rc)
				rc = pii_value(sh, 8, 9, reveal, &r.v[TC_PHONE], &plain[2]);
		}
		if (!rc)
			rc = sink_row(k, &r);
		xs->rows++;
		for (size_t i = 0; i < ARRAY_SIZE(plain); i++)
			free(plain[i]);
		if (rc || !member)
			return rc;
		*rm = db_step(sm);
	}
}

/* The three streams are ordered by household code and joined here. */
static int export_rows(struct ctx *c, struct xq *q, int reveal, struct sink *k, struct xstats *xs)
{
	struct db_stmt *sh = NULL, *sm = NULL, *stg = NULL;
	struct buf tags = BUF_INIT;
	int rm = 0, rt = 0, rc;

	rc = xq_prepare(q, c, "SELECT h.id, h.code, h.village_code, h.region_code, h.address, h.lng, h.lat, "
			      "h.notes, h.phone_mask, h.phone_enc, h.head_name", "", "", &sh);
	if (!rc)
		rc = xq_prepare(q, c, "SELECT m.household_id, m.name, m.relation, m.id_number_mask, "
				      "m.id_number_enc, m.phone_mask, m.phone_enc, m.sex, m.birth_date, "
				      "m.occupation, m.remarks",
				"JOIN household_member m ON m.household_id = h.id AND m.removed_at IS NULL",
				", CASE WHEN m.relation = '户主' THEN 0 ELSE 1 END, m.id", &sm);
	if (!rc)
		rc = xq_prepare(q, c, "SELECT ht.household_id, t.name",
				"JOIN household_tag ht ON ht.household_id = h.id JOIN tag t ON t.id = ht.tag_id",
				", t.sort, t.name", &stg);
	if (rc)
		goto out;
	rm = db_step(sm);
	rt = db_step(stg);
	while ((rc = db_step(sh)) == 1 && rm >= 0 && rt >= 0) {
		int64_t hid = db_col_int(sh, 0);
		buf_reset(&tags);
		for (; rt == 1 && db_col_int(stg, 0) == hid; rt = db_step(stg))
			buf_addf(&tags, "%s%s", tags.len ? "、" : "", db_col_text(stg, 1));
		xs->households++;
		if ((rc = household_rows(sh, sm, &rm, tags.data, reveal, c->lang == LANG_EN, k, xs)))
			goto out;
	}
	if (rc == 0 && (rm < 0 || rt < 0))
		rc = rm < 0 ? rm : rt;
out:
	if (sh)
		db_done(sh);
	if (sm)
		db_done(sm);
	if (stg)
		db_done(stg);
	buf_release(&tags);
	return rc;
}

static int check_opts(struct ctx *c, const struct export_opts *o, int *xlsx, int *gbk)
{
	*xlsx = o->format && !strcmp(o->format, "xlsx");
	*gbk = o->encoding && !strcmp(o->encoding, "gbk");
	if (o->format && strcmp(o->format, "csv") && strcmp(o->format, "xlsx"))
		verr_add(&c->errs, "format", "format 应为 csv 或 xlsx", "'format' must be csv or xlsx");
	if (o->encoding && strcmp(o->encoding, "utf8") && strcmp(o->encoding, "gbk"))
		verr_add(&c->errs, "encoding", "encoding 应为 utf8 或 gbk", "'encoding' must be utf8 or gbk");
	else if (*gbk && *xlsx)
		verr_add(&c->errs, "encoding", "XLSX 文件总是 Unicode，encoding 只用于 CSV",
			 "'encoding' applies to csv only; xlsx is always unicode");
	if (c->errs.n)
		return ZL_E_VALIDATION;
	if (o->reveal && !perm_allows(c->actor.role, "household.reveal"))
		return ZL_E_FORBIDDEN;
	return 0;
}

static int file_slurp(const char *path, struct buf *out)
{
	FILE *f = fopen(path, "rb");
	char tmp[1 << 16];
	size_t n;
	if (!f)
		return ZL_E_IO;
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_add(out, tmp, n);
	n = (size_t)ferror(f);
	fclose(f);
	return n ? ZL_E_IO : 0;
}

static int export_audit(struct ctx *c, const struct export_opts *o, int xlsx, int gbk, const struct xstats *xs)
{
	json_t *after = json_pack("{s:s,s:s?,s:o,s:o,s:I,s:I,s:b}", "format", xlsx ? "xlsx" : "csv", "encoding",
				  xlsx ? NULL : gbk ? "gbk" : "utf8", "region", o->region ? json_string(o->region) : json_null(),
				  "tag", o->tag ? json_string(o->tag) : json_null(), "households",
				  (json_int_t)xs->households, "rows", (json_int_t)xs->rows, "revealed", o->reveal != 0);
	int rc = audit_log(c, "household.export", "household", NULL, NULL, after);
	json_decref(after);
	return rc;
}

int household_export(struct ctx *c, const struct export_opts *o, struct buf *out, size_t *households,
		     size_t *rows)
{
	struct xq q;
	struct sink k;
	struct xstats xs = { 0, 0 };
	struct buf csv = BUF_INIT;
	struct xrow head;
	char path[256];
	int xlsx, gbk, have_tmp = 0, rc = check_opts(c, o, &xlsx, &gbk);
	if (rc)
		return rc;
	if ((rc = xq_init(&q, c, o)))
		goto out;
	if (xlsx) { /* libxlsxwriter 1.1 writes to a file only */
		const char *tmp = getenv("TMPDIR");
		int fd;
		snprintf(path, sizeof(path), "%s/zhilian-export-XXXXXX",
			 tmp && *tmp && strlen(tmp) < 200 ? tmp : "/tmp");
		if ((fd = mkstemp(path)) < 0) {
			rc = ZL_E_IO;
			goto out;
		}
		close(fd);
		have_tmp = 1;
	}
	memset(&head, 0, sizeof(head));
	for (int col = 0; col < TC_N; col++)
		head.v[col] = c->lang == LANG_EN ? transfer_columns[col].key : transfer_columns[col].zh;
	if (!xlsx && !gbk)
		buf_adds(&csv, "\xEF\xBB\xBF");
	rc = sink_open(&k, xlsx, path, &csv); /* on failure k.wb is NULL or to be closed below */
	if (!rc)
		rc = sink_row(&k, &head);
	if (!rc)
		rc = export_rows(c, &q, o->reveal, &k, &xs);
	if (rc == ZL_E_VALIDATION)
		verr_add(&c->errs, "format", "行数超过 XLSX 的上限（1048576 行），请导出 CSV",
			 "too many rows for xlsx (1048576 at most); export csv");
	if (xlsx) {
		if (!rc && xs.rows)
			worksheet_autofilter(k.ws, 0, 0, (lxw_row_t)xs.rows, TC_N - 1);
		if (k.wb && workbook_close(k.wb) != LXW_NO_ERROR && !rc)
			rc = ZL_E_IO;
		if (!rc)
			rc = file_slurp(path, out);
	} else if (!rc) {
		if (gbk)
			rc = transfer_iconv("GB18030", "UTF-8", csv.data, csv.len, out, NULL);
		else
			buf_add(out, csv.data, csv.len);
		if (rc > 0) /* UTF-8 that GB18030 cannot hold: there is none */
			rc = ZL_E_INTERNAL;
	}
	if (!rc)
		rc = export_audit(c, o, xlsx, gbk, &xs);
out:
	if (have_tmp)
		unlink(path);
	xq_release(&q);
	buf_release(&csv);
	if (households)
		*households = xs.households;
	if (rows)
		*rows = xs.rows;
	return rc;
}

const char *household_export_type(const struct export_opts *o)
{
	if (o->format && !strcmp(o->format, "xlsx"))
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
	if (o->encoding && !strcmp(o->encoding, "gbk"))
		return "text/csv; charset=gb18030";
	return "text/csv; charset=utf-8";
}

/* ---- the route ---- */

static const char *nonempty(const char *s)
{
	return s && *s ? s : NULL;
}

int household_export_handler(struct req *r, struct resp *w)
{
	struct export_opts o = { nonempty(req_query(r, "format")), nonempty(req_query(r, "encoding")),
				 nonempty(req_query(r, "region")), nonempty(req_query(r, "tag")), 0 };
	const char *reveal = req_query(r, "reveal");
	struct buf out = BUF_INIT;
	char disp[96], day[ZL_TIME_MAX];
	int rc;
	if (reveal && *reveal && strcmp(reveal, "0") && strcmp(reveal, "1")) {
		verr_add(&r->ctx.errs, "reveal", "reveal 应为 0 或 1", "'reveal' must be 0 or 1");
		return ZL_E_VALIDATION;
	}
	o.reveal = reveal && !strcmp(reveal, "1");
	rc = db_begin(r->ctx.db);
	if (!rc)
		rc = household_export(&r->ctx, &o, &out, NULL, NULL);
	if (!rc)
		rc = db_commit(r->ctx.db);
	if (rc) {
		if (db_in_tx(r->ctx.db))
			db_rollback(r->ctx.db);
		buf_release(&out);
		return rc;
	}
	time_format_local(clock_now(), day);
	snprintf(disp, sizeof(disp), "attachment; filename=\"households-%.4s%.2s%.2s.%s\"", day, day + 5,
		 day + 8, o.format && !strcmp(o.format, "xlsx") ? "xlsx" : "csv");
	w->status = 200;
	w->content_type = household_export_type(&o);
	buf_release(&w->body);
	w->body = out;
	resp_header(w, "Content-Disposition", disp);
	return 0;
}

/* ---- CLI: zhilian export households ---- */

static const char export_help[] =
	"usage: zhilian export households -o FILE [--format csv|xlsx] [--encoding utf8|gbk]\n"
	"                                 [--reveal] [--region CODE] [--tag NAME] [--db FILE]\n"
	"Writes the household files in the import's layout (one row per person), so\n"
	"that the file can be edited and imported again. ID and phone numbers are\n"
	"masked unless --reveal. Each export is recorded in the audit log.\n"
	"  -o, --output FILE  where to write (- for standard output)\n"
	"  --format F         csv (default; xlsx when FILE ends in .xlsx) or xlsx\n"
	"  --encoding E       csv only: utf8 with BOM (default, what Excel needs) or gbk\n"
	"  --reveal           full ID and phone numbers\n"
	"  --region CODE      only this region's subtree (a village, a group)\n"
	"  --tag NAME         only households with this tag, e.g. 低保户\n"
	"  --db FILE          database (default $ZHILIAN_DB or zhilian.db)\n";

struct export_cli_arg {
	struct export_opts o;
	struct buf out;
	size_t households, rows;
};

static int export_fn(struct ctx *c, void *p)
{
	struct export_cli_arg *a = p;
	return household_export(c, &a->o, &a->out, &a->households, &a->rows);
}

static int export_households(int argc, char **argv)
{
	struct opt opts[] = { { "--db", 1, NULL, 0 },     { "--output", 1, NULL, 0 }, { "--format", 1, NULL, 0 },
			      { "--encoding", 1, NULL, 0 }, { "--reveal", 0, NULL, 0 }, { "--region", 1, NULL, 0 },
			      { "--tag", 1, NULL, 0 } };
	struct args a = { "export", opts, ARRAY_SIZE(opts), { 0 }, 0 };
	struct export_cli_arg ea;
	struct db *db = NULL;
	const char *file;
	int rc;
	for (int i = 0; i < argc; i++) /* -o is --output */
		if (!strcmp(argv[i], "-o"))
			argv[i] = (char *)(uintptr_t)"--output";
	rc = parse_args(&a, argc, argv, 0);
	if (rc == 1)
		return fputs(export_help, stdout), 0;
	if (rc)
		return rc;
	if (!(file = opt_value(&a, "--output")))
		return usage_error("export", "give the file to write with -o FILE (.csv or .xlsx)");
	memset(&ea, 0, sizeof(ea));
	buf_init(&ea.out);
	ea.o.format = opt_value(&a, "--format");
	if (!ea.o.format) {
		size_t n = strlen(file);
		ea.o.format = n > 5 && !strcasecmp(file + n - 5, ".xlsx") ? "xlsx" : "csv";
	}
	ea.o.encoding = opt_value(&a, "--encoding");
	ea.o.reveal = opt_set(&a, "--reveal");
	ea.o.region = opt_value(&a, "--region");
	ea.o.tag = opt_value(&a, "--tag");
	if (open_db("export", db_path_of(&a), 1, &db))
		return 1;
	if (ea.o.reveal && pii_key_open_cli("export", db, db_path_of(&a), 0)) {
		db_close(db);
		return 1;
	}
	rc = with_tx("export", db, export_fn, &ea);
	db_close(db);
	if (!rc && cli_write_file(file, ea.out.data, ea.out.len)) {
		fprintf(stderr, "zhilian export: cannot write \"%s\": %s\n", file, strerror(errno));
		rc = ZL_E_IO;
	}
	if (!rc && strcmp(file, "-"))
		printf("exported %zu households, %zu rows to %s (%s%s)\n", ea.households, ea.rows, file,
		       ea.o.format, ea.o.reveal ? ", revealed" : ", masked");
	buf_release(&ea.out);
	return rc ? 1 : 0;
}

int transfer_export_cli(int argc, char **argv)
{
	if (argc < 1 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
		fputs(export_help, argc < 1 ? stderr : stdout);
		return argc < 1 ? 2 : 0;
	}
	if (!strcmp(argv[0], "households"))
		return export_households(argc - 1, argv + 1);
	return usage_error("export", "unknown kind \"%s\"; use households", argv[0]);
}
