/*
 * transfer.h: household files in and out of spreadsheets. The CSV reader
 * (RFC 4180; UTF-8 or GB18030/GBK, as Excel and WPS write it in China), the
 * import (one row per person, grouped into households by 户编号), the
 * export (CSV or XLSX, the same columns), import progress (jobs), and their
 * routes and CLI. The layout is described in the README ("Import and export").
 */
#ifndef ZL_TRANSFER_H
#define ZL_TRANSFER_H

#include <jansson.h>

#include "platform/http.h"

/* ---- the CSV reader: pure functions over a buffer (fuzzed in fuzz/) ---- */

enum csv_encoding { CSV_ENC_UTF8 = 0, CSV_ENC_GB18030 = 1 };

#define CSV_MAX_FIELDS 512        /* fields in one row */
#define CSV_MAX_FIELD (64 * 1024) /* bytes in one field */

/*
 * A parsed file. Field j of row i is csv_field(t, i, j): text, NUL-terminated
 * UTF-8, quotes removed. Rows are records (an embedded newline does not start
 * a new row), so row i is spreadsheet row i + 1. A final line break does not
 * make an empty last row; an empty line elsewhere is a row with one empty
 * field. Release with csv_table_release().
 */
struct csv_table {
	char *text;        /* the fields one after the other, each NUL-terminated */
	size_t *field;     /* offset of each field in text */
	size_t nfields, field_alloc;
	size_t *row;       /* row i is fields row[i] .. row[i+1]-1; row[nrows] = nfields */
	size_t nrows, row_alloc;
	enum csv_encoding encoding; /* what the file was written in */
	int bom;           /* it began with a UTF-8 byte order mark */
};
#define CSV_TABLE_INIT { NULL, NULL, 0, 0, NULL, 0, 0, CSV_ENC_UTF8, 0 }

/* Why a file could not be read: the spreadsheet row (1-based, 0 when not
 * about a row) and a reason (static strings). */
struct csv_error {
	size_t row;
	const char *zh, *en;
};

/*
 * Detects the encoding and turns the file into UTF-8 in *out (a new buffer
 * the caller releases): UTF-8 with or without BOM (the BOM is dropped), else
 * GB18030 (a superset of GBK and GB2312) converted with iconv. Returns 0, or
 * ZL_E_IMPORT_ENCODING with err filled (UTF-16, an Excel workbook instead of
 * CSV, bytes that are neither UTF-8 nor GB18030).
 */
int csv_decode(const char *data, size_t len, struct buf *out, enum csv_encoding *enc, int *bom,
	       struct csv_error *err);

/*
 * csv_decode() then RFC 4180 parsing: comma-separated, fields optionally in
 * double quotes with "" for a quote and line breaks allowed inside, CRLF, LF
 * or CR line ends. A quote inside an unquoted field is kept as text. Returns
 * 0 with *t filled (the caller releases it, also on error), or
 * ZL_E_IMPORT_ENCODING / ZL_E_IMPORT_CSV (unterminated quote, text after a
 * closing quote, a NUL byte, too many fields or too long a field) with err.
 */
int csv_parse(const char *data, size_t len, struct csv_table *t, struct csv_error *err);
/* Converts len bytes between encodings with iconv ("UTF-8", "GB18030"),
 * appending to out. 0; 1 at a byte that cannot be converted (*bad_at, if
 * not NULL, gets its offset); ZL_E_INTERNAL if iconv lacks an encoding. */
int transfer_iconv(const char *to, const char *from, const char *in, size_t len, struct buf *out,
		   size_t *bad_at);
size_t csv_row_len(const struct csv_table *t, size_t row);
const char *csv_field(const struct csv_table *t, size_t row, size_t col);
void csv_table_release(struct csv_table *t);

/* ---- the layout: one row per person ---- */

enum transfer_col {
	TC_CODE,       /* 户编号 household_code (required) */
	TC_VILLAGE,    /* 村代码 village_code (required on the head's row) */
	TC_GROUP,      /* 村民小组 group_code: code or name of a group of the village */
	TC_ADDRESS,    /* 地址 address */
	TC_NAME,       /* 姓名 name (required) */
	TC_RELATION,   /* 与户主关系 relation (required): 户主 配偶 子女 父母 孙子女 兄弟姐妹 其他 */
	TC_ID,         /* 身份证号 id_number */
	TC_PHONE,      /* 联系电话 phone (mobile) */
	TC_SEX,        /* 性别 sex: 男/女/M/F */
	TC_BIRTH,      /* 出生日期 birth_date */
	TC_OCCUPATION, /* 职业 occupation */
	TC_TAGS,       /* 标签 tags, separated by 、 ; ； ， or , */
	TC_NOTES,      /* 备注 notes (the household's) */
	TC_REMARKS,    /* 成员备注 remarks (the member's) */
	TC_LNG,        /* 经度 lng */
	TC_LAT,        /* 纬度 lat */
	TC_N
};

#define TC_REQUIRED 1u  /* the header must have the column */
#define TC_HOUSEHOLD 2u /* a household field: taken from the head's row */

struct transfer_column {
	const char *key;     /* English header and JSON name: "household_code" */
	const char *zh;      /* Chinese header: "户编号" */
	const char *en;      /* English words for messages: "household code" */
	const char *aliases; /* other accepted headers, '|'-separated, or "" */
	unsigned max_chars;  /* longest value in characters */
	unsigned flags;
};
/* The columns in export order. */
extern const struct transfer_column transfer_columns[TC_N];

/* ---- import ---- */

struct import_opts {
	int dry_run;  /* check and count, write nothing */
	int skip_bad; /* apply the good households, list the skipped rows */
	int64_t job_id; /* named in the audit row; 0 when there is no job */
	/* Called as households are applied (may be NULL): done of total. */
	void (*progress)(void *arg, const char *phase, size_t done, size_t total);
	void *progress_arg;
};

/*
 * Imports a households file (the raw bytes) as c->actor, inside the
 * caller's write transaction. Every row is checked first; each bad row gives
 * an error {row, column, field, kind, zh, en}. Then every household without
 * a bad row goes through household_upsert_import() (created, updated or, when
 * its rows are the same as last time, unchanged).
 *
 * *result (always set, a new reference): {dry_run, skip_bad, applied,
 * encoding ("utf-8" | "gb18030"), bom, file_sha256, rows, households,
 * created, updated, unchanged, skipped, bad_rows, errors[] (at most
 * IMPORT_MAX_ERRORS, errors_total gives the count), skipped_rows[],
 * items[] ({code, row, members, action: created|updated|unchanged|skipped},
 * at most IMPORT_MAX_ITEMS, items_truncated)}.
 *
 * A dry run writes nothing (a savepoint is rolled back) and returns 0 with
 * bad rows or not. A real run returns 0 when applied; with bad rows and no
 * skip_bad it writes nothing and returns ZL_E_IMPORT_BAD_ROWS. One audit row
 * (household.import: counts, file hash, encoding; no personal data) for each
 * applied run. A file that cannot be read at all returns
 * ZL_E_IMPORT_ENCODING, ZL_E_IMPORT_CSV, ZL_E_IMPORT_HEADER or
 * ZL_E_IMPORT_EMPTY, with the reason in result's errors (row 0 or 1).
 * Other negative codes are database errors; the caller rolls back.
 */
#define IMPORT_MAX_ERRORS 10000
#define IMPORT_MAX_ITEMS 10000
int household_import(struct ctx *c, const char *data, size_t len, const struct import_opts *o,
		     json_t **result);

/* ---- export ---- */

struct export_opts {
	const char *format;   /* "csv" (default) or "xlsx" */
	const char *encoding; /* csv only: "utf8" (default, with BOM) or "gbk" (GB18030) */
	const char *region;   /* NULL or a region code: its subtree only */
	const char *tag;      /* NULL or a tag name */
	int reveal;           /* full ID and phone numbers: needs household.reveal */
};

/*
 * Writes the households in c->actor's scope (and the filters) into out, in
 * the import layout: one row per member, the head first, household fields on
 * the head's row (code, village and group on every row), so that importing
 * an export of revealed data changes nothing. CSV is UTF-8 with a BOM (what
 * Excel needs) or GB18030; digit strings of 11 or more characters get a
 * leading tab so that Excel keeps them as text (the import trims it). XLSX
 * has a bold frozen header. ID and phone numbers are masked unless reveal.
 * Runs inside the caller's write transaction and audits household.export
 * (filters, counts, revealed or not). *households and *rows may be NULL.
 * Returns 0, ZL_E_VALIDATION (format, encoding, tag), ZL_E_NOT_FOUND (region
 * unknown or out of scope), ZL_E_FORBIDDEN (reveal without the permission),
 * ZL_E_IO (the XLSX writer failed).
 */
int household_export(struct ctx *c, const struct export_opts *o, struct buf *out,
		     size_t *households, size_t *rows);
/* "text/csv; charset=utf-8" and the like, for a format and encoding. */
const char *household_export_type(const struct export_opts *o);

/* ---- jobs: progress of long imports ---- */

/*
 * An import's job is a job row (created before the import's transaction,
 * finished after it) whose progress lives in memory while it runs, so that
 * another request can read it without waiting for the import's transaction:
 * GET /api/v1/jobs/{id} and GET /api/v1/jobs?key=K (the key a client chose
 * and passed as ?job_key=K to the import). Thread-safe.
 */
int job_start(struct db *db, const char *kind, int64_t user_id, const char *key, int64_t *id);
void job_progress(int64_t id, const char *phase, size_t done, size_t total);
/* Records the end: state "done" or "failed", result (borrowed, may be NULL). */
int job_finish(struct db *db, int64_t id, const char *state, const json_t *result);

/* ---- routes and CLI ---- */

/*
 * POST /api/v1/households/import, GET /api/v1/households/export,
 * GET /api/v1/jobs, GET /api/v1/jobs/{id}.
 */
extern const struct route_table transfer_routes;
/* The export route's handler (export.c), listed in transfer_routes. */
int household_export_handler(struct req *r, struct resp *w);

/* `zhilian import KIND FILE ...` (households; regions goes to the org
 * module) and `zhilian export households ...`. Exit codes: 0, 1 (failed or
 * bad rows), 2 (usage). */
int transfer_import_cli(int argc, char **argv);
int transfer_export_cli(int argc, char **argv);

#endif
