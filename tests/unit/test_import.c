/*
 * test_import.c: the CSV reader (RFC 4180 edge cases, encodings) and the
 * household import's row checks: every kind of bad row, the header, scope,
 * grouping into households, dry run and re-import. Includes import.c to
 * reach its static helpers.
 */
#include "unit.h"

#include <iconv.h>
#include <sodium.h>

#include "../../src/households/import.c"

/* ---- helpers ---- */

static struct csv_table parse_ok(const char *s)
{
	struct csv_table t;
	struct csv_error e;
	assert_int_equal(csv_parse(s, strlen(s), &t, &e), 0);
	return t;
}

static int parse_fails(const char *s, size_t len, size_t *row)
{
	struct csv_table t;
	struct csv_error e;
	int rc = csv_parse(s, len, &t, &e);
	assert_non_null(e.zh);
	assert_non_null(e.en);
	*row = e.row;
	csv_table_release(&t);
	return rc;
}

/* UTF-8 -> GB18030 with iconv, for GBK test input. */
static char *to_gbk(const char *utf8, size_t *len)
{
	iconv_t cd = iconv_open("GB18030", "UTF-8");
	size_t inleft = strlen(utf8), outleft = inleft * 2 + 8;
	char *out = xcalloc(1, outleft + 1), *op = out, *ip = (char *)(uintptr_t)utf8;
	assert_true(cd != (iconv_t)-1);
	assert_true(iconv(cd, &ip, &inleft, &op, &outleft) != (size_t)-1);
	iconv_close(cd);
	*len = (size_t)(op - out);
	return out;
}

/* A valid GB 11643 ID number: area 440881, a birth date, a serial whose
 * last digit gives the sex. */
static void make_id(char out[19], const char *birth8, int serial, int male)
{
	static const int w[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
	static const char check[] = "10X98765432";
	int sum = 0;
	snprintf(out, 19, "440881%s%02d%d", birth8, serial % 100, (serial % 5) * 2 + (male ? 1 : 0));
	for (int i = 0; i < 17; i++)
		sum += (out[i] - '0') * w[i];
	out[17] = check[sum % 11];
	out[18] = '\0';
}

static char key_path[64];

static int setup_key(void **state)
{
	int fd;
	UNUSED(state);
	assert_true(sodium_init() >= 0);
	snprintf(key_path, sizeof(key_path), "/tmp/zhilian-test-import-XXXXXX");
	fd = mkstemp(key_path);
	assert_true(fd >= 0);
	close(fd);
	unlink(key_path);
	assert_int_equal(pii_key_load(key_path, 1), 0);
	return 0;
}

static int teardown_key(void **state)
{
	UNUSED(state);
	pii_key_unload();
	unlink(key_path);
	return 0;
}

/* A database with a group 一组 under village 201. */
static struct db *test_db(void)
{
	struct db *db = unit_db();
	assert_int_equal(db_exec(db, "INSERT INTO region(code,name,level,parent_code,path,created_at) VALUES"
				     "('440881104201001','一组','group','440881104201',"
				     "'/440881104000/440881104201/440881104201001/','2026-01-01T00:00:00Z')"),
			 0);
	return db;
}

/* Runs an import in a transaction (committed unless it fails). */
static int run_import(struct db *db, struct ctx *c, const char *csv, int dry, int skip, json_t **res)
{
	struct import_opts o = { dry, skip, 0, NULL, NULL };
	int rc;
	assert_int_equal(db_begin(db), 0);
	rc = household_import(c, csv, strlen(csv), &o, res);
	if (rc == 0)
		assert_int_equal(db_commit(db), 0);
	else
		db_rollback(db);
	return rc;
}

static int has_error(const json_t *res, size_t row, const char *field, const char *kind)
{
	const json_t *e;
	size_t i;
	json_array_foreach(json_object_get(res, "errors"), i, e) {
		if ((size_t)json_integer_value(json_object_get(e, "row")) == row &&
		    !strcmp(json_string_value(json_object_get(e, "kind")), kind) &&
		    (!field || !strcmp(json_string_value(json_object_get(e, "field")), field)))
			return 1;
	}
	return 0;
}

static void dump_errors(const json_t *res)
{
	char *s = json_dumps(json_object_get(res, "errors"), JSON_INDENT(1));
	fprintf(stderr, "%s\n", s);
	free(s);
}

#define ASSERT_ERROR(res, row, field, kind)                                     \
	do {                                                                    \
		if (!has_error(res, row, field, kind))                          \
			dump_errors(res);                                       \
		assert_true(has_error(res, row, field, kind));                  \
	} while (0)

static int64_t count(struct db *db, const char *sql)
{
	int64_t n = -1;
	assert_int_equal(db_get_int(db, &n, sql, ""), 1);
	return n;
}

#define HEADER "户编号,村代码,村民小组,地址,姓名,与户主关系,身份证号,联系电话,性别,出生日期,职业,标签,备注,经度,纬度\n"

/* ---- CSV reader ---- */

static void test_csv_basic(void **state)
{
	struct csv_table t = parse_ok("a,b,c\n1,2,3\n");
	UNUSED(state);
	assert_int_equal(t.nrows, 2);
	assert_int_equal(csv_row_len(&t, 0), 3);
	assert_string_equal(csv_field(&t, 1, 2), "3");
	assert_null(csv_field(&t, 1, 3));
	assert_null(csv_field(&t, 2, 0));
	assert_int_equal(t.encoding, CSV_ENC_UTF8);
	assert_int_equal(t.bom, 0);
	csv_table_release(&t);
}

static void test_csv_quotes(void **state)
{
	struct csv_table t = parse_ok("\"a,b\",\"say \"\"hi\"\"\",\"\"\r\n\"line1\r\nline2\",x,\"\"\"\"\r\n");
	UNUSED(state);
	assert_int_equal(t.nrows, 2);
	assert_string_equal(csv_field(&t, 0, 0), "a,b");
	assert_string_equal(csv_field(&t, 0, 1), "say \"hi\"");
	assert_string_equal(csv_field(&t, 0, 2), "");
	assert_string_equal(csv_field(&t, 1, 0), "line1\r\nline2"); /* one row, not two */
	assert_string_equal(csv_field(&t, 1, 1), "x");
	assert_string_equal(csv_field(&t, 1, 2), "\"");
	csv_table_release(&t);
}

static void test_csv_line_ends(void **state)
{
	struct csv_table t = parse_ok("a\r\nb\nc\rd");
	UNUSED(state);
	assert_int_equal(t.nrows, 4);
	assert_string_equal(csv_field(&t, 2, 0), "c");
	assert_string_equal(csv_field(&t, 3, 0), "d"); /* no final line break */
	csv_table_release(&t);

	t = parse_ok("a,b\n\nc,d\n"); /* an empty line in the middle is a row of one empty field */
	assert_int_equal(t.nrows, 3);
	assert_int_equal(csv_row_len(&t, 1), 1);
	assert_string_equal(csv_field(&t, 1, 0), "");
	csv_table_release(&t);

	t = parse_ok("a,b,\n,\n"); /* trailing commas are empty fields */
	assert_int_equal(csv_row_len(&t, 0), 3);
	assert_string_equal(csv_field(&t, 0, 2), "");
	assert_int_equal(csv_row_len(&t, 1), 2);
	csv_table_release(&t);

	t = parse_ok("a,b,");
	assert_int_equal(t.nrows, 1);
	assert_int_equal(csv_row_len(&t, 0), 3);
	csv_table_release(&t);

	t = parse_ok("5'10\",x\n"); /* a quote inside an unquoted field is text */
	assert_string_equal(csv_field(&t, 0, 0), "5'10\"");
	csv_table_release(&t);

	t = parse_ok("");
	assert_int_equal(t.nrows, 0);
	assert_null(csv_field(&t, 0, 0));
	csv_table_release(&t);
}

static void test_csv_errors(void **state)
{
	size_t row;
	struct buf big = BUF_INIT;
	UNUSED(state);
	assert_int_equal(parse_fails("a,b\n\"open,c\n", 12, &row), ZL_E_IMPORT_CSV);
	assert_int_equal(row, 2);
	assert_int_equal(parse_fails("a\nb\n\"x\"y,z\n", 10, &row), ZL_E_IMPORT_CSV);
	assert_int_equal(row, 3);
	assert_int_equal(parse_fails("a,b\nc\0d,e\n", 10, &row), ZL_E_IMPORT_CSV);
	assert_int_equal(row, 2);
	assert_int_equal(parse_fails("\"a\0b\"\n", 6, &row), ZL_E_IMPORT_CSV);
	for (int i = 0; i <= CSV_MAX_FIELDS; i++)
		buf_adds(&big, "x,");
	assert_int_equal(parse_fails(big.data, big.len, &row), ZL_E_IMPORT_CSV);
	assert_int_equal(row, 1);
	buf_reset(&big);
	buf_adds(&big, "a\n\"");
	for (int i = 0; i < CSV_MAX_FIELD + 10; i++)
		buf_addch(&big, 'y');
	buf_adds(&big, "\"\n");
	assert_int_equal(parse_fails(big.data, big.len, &row), ZL_E_IMPORT_CSV);
	assert_int_equal(row, 2);
	buf_release(&big);
}

/* ---- encodings ---- */

static void test_encoding_utf8(void **state)
{
	struct csv_table t = parse_ok("户编号,姓名\nH1,陈大明\n");
	UNUSED(state);
	assert_int_equal(t.encoding, CSV_ENC_UTF8);
	assert_int_equal(t.bom, 0);
	assert_string_equal(csv_field(&t, 1, 1), "陈大明");
	csv_table_release(&t);

	t = parse_ok("\xEF\xBB\xBF户编号,姓名\r\nH1,陈大明\r\n");
	assert_int_equal(t.encoding, CSV_ENC_UTF8);
	assert_int_equal(t.bom, 1);
	assert_string_equal(csv_field(&t, 0, 0), "户编号"); /* the BOM is not part of the first header */
	csv_table_release(&t);
}

static void test_encoding_gbk(void **state)
{
	/* "户编号,姓名\r\nH1,陈大明\r\n" as Excel saves it in China (GBK) */
	static const char gbk[] = "\xBB\xA7\xB1\xE0\xBA\xC5,\xD0\xD5\xC3\xFB\r\nH1,\xB3\xC2\xB4\xF3\xC3\xF7\r\n";
	struct csv_table t;
	struct csv_error e;
	size_t n;
	char *g;
	UNUSED(state);
	assert_int_equal(csv_parse(gbk, sizeof(gbk) - 1, &t, &e), 0);
	assert_int_equal(t.encoding, CSV_ENC_GB18030);
	assert_string_equal(csv_field(&t, 0, 0), "户编号");
	assert_string_equal(csv_field(&t, 1, 1), "陈大明");
	csv_table_release(&t);

	/* GB18030 beyond GBK (4-byte sequences), with a quoted comma */
	g = to_gbk("姓名,备注\n𠀀,\"甲,乙\"\n", &n);
	assert_int_equal(csv_parse(g, n, &t, &e), 0);
	assert_int_equal(t.encoding, CSV_ENC_GB18030);
	assert_string_equal(csv_field(&t, 1, 0), "𠀀");
	assert_string_equal(csv_field(&t, 1, 1), "甲,乙");
	csv_table_release(&t);
	free(g);
}

static void test_encoding_refused(void **state)
{
	size_t row;
	UNUSED(state);
	assert_int_equal(parse_fails("\xFF\xFEh\0i\0", 6, &row), ZL_E_IMPORT_ENCODING);   /* UTF-16 */
	assert_int_equal(parse_fails("PK\3\4rest", 8, &row), ZL_E_IMPORT_ENCODING);      /* xlsx */
	assert_int_equal(parse_fails("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8, &row), ZL_E_IMPORT_ENCODING);
	assert_int_equal(parse_fails("\xEF\xBB\xBF" "a\n\xB3\xC2\n", 8, &row), ZL_E_IMPORT_ENCODING);
	assert_int_equal(row, 2); /* a BOM promises UTF-8 */
	assert_int_equal(parse_fails("a\nb\n\x80\x80\xFF\n", 8, &row), ZL_E_IMPORT_ENCODING);
	assert_int_equal(row, 3);
}

static void test_utf8_validity(void **state)
{
	UNUSED(state);
	assert_int_equal(utf8_valid_upto((const unsigned char *)"\xC0\xAF", 2), 0);       /* overlong */
	assert_int_equal(utf8_valid_upto((const unsigned char *)"\xED\xA0\x80", 3), 0);   /* surrogate */
	assert_int_equal(utf8_valid_upto((const unsigned char *)"\xF4\x90\x80\x80", 4), 0); /* > U+10FFFF */
	assert_int_equal(utf8_valid_upto((const unsigned char *)"a\xE6\x88", 3), 1);      /* cut short */
	assert_int_equal(utf8_valid_upto((const unsigned char *)"\xF0\x9F\x98\x80", 4), 4);
}

/* ---- values ---- */

static void test_values(void **state)
{
	char out[11];
	int64_t today = days_from_civil(2026, 3, 2);
	char sex;
	UNUSED(state);
	assert_int_equal(date_parse_loose("1980-03-05", today, out), 0);
	assert_string_equal(out, "1980-03-05");
	assert_int_equal(date_parse_loose("1980/3/5", today, out), 0);
	assert_string_equal(out, "1980-03-05");
	assert_int_equal(date_parse_loose("19800305", today, out), 0);
	assert_int_equal(date_parse_loose("1980年3月5日", today, out), 0);
	assert_string_equal(out, "1980-03-05");
	assert_int_equal(date_parse_loose("1980-02-30", today, out), -1);
	assert_int_equal(date_parse_loose("80-3-5", today, out), -1);
	assert_int_equal(date_parse_loose("1980-03-05x", today, out), -1);
	assert_int_equal(date_parse_loose("2027-01-01", today, out), -2);
	assert_int_equal(sex_parse("男", &sex), 0);
	assert_int_equal(sex, 'M');
	assert_int_equal(sex_parse("f", &sex), 0);
	assert_int_equal(sex, 'F');
	assert_int_equal(sex_parse("未知", &sex), -1);
	assert_true(excel_number("4.40881E+17"));
	assert_true(excel_number("4E+11"));
	assert_false(excel_number("440881197003050130"));
	assert_false(excel_number("E+17"));
	{
		char s[] = " \t\xE3\x80\x80 陈大明\xC2\xA0 \r\n";
		assert_string_equal(trim(s), "陈大明");
	}
	assert_int_equal(column_lookup("户编号"), TC_CODE);
	assert_int_equal(column_lookup("HOUSEHOLD_CODE"), TC_CODE);
	assert_int_equal(column_lookup("身份证号码"), TC_ID);
	assert_int_equal(column_lookup("手机号"), TC_PHONE);
	assert_int_equal(column_lookup("年龄"), -1);
}

/* ---- the import ---- */

static void test_header(void **state)
{
	struct db *db = test_db();
	struct ctx c;
	json_t *res = NULL;
	UNUSED(state);
	ctx_init_system(&c, db);
	/* unknown, repeated and missing columns: named, nothing read */
	assert_int_equal(run_import(db, &c, "户编号,村代码,姓名,年龄,户号\nH1,440881104201,甲,30,H1\n", 1, 0, &res),
			 ZL_E_IMPORT_HEADER);
	ASSERT_ERROR(res, 1, "", "header_unknown");
	ASSERT_ERROR(res, 1, "household_code", "header_repeated");
	ASSERT_ERROR(res, 1, "relation", "header_missing");
	{
		const json_t *e = json_array_get(json_object_get(res, "errors"), 0);
		assert_non_null(strstr(json_string_value(json_object_get(e, "zh")), "年龄"));
	}
	json_decref(res);
	assert_int_equal(run_import(db, &c, "", 1, 0, &res), ZL_E_IMPORT_EMPTY);
	json_decref(res);
	assert_int_equal(run_import(db, &c, HEADER "\n,,,\n", 1, 0, &res), ZL_E_IMPORT_EMPTY);
	json_decref(res);
	/* English headers in another order, an unnamed empty column */
	assert_int_equal(run_import(db, &c, "name,relation,,village_code,household_code\n甲,head,,440881104201,E1\n",
				    1, 0, &res), 0);
	assert_int_equal(json_integer_value(json_object_get(res, "bad_rows")), 0);
	assert_int_equal(json_integer_value(json_object_get(res, "created")), 1);
	json_decref(res);
	assert_int_equal(run_import(db, &c, "name,relation,,village_code,household_code\n甲,head,x,440881104201,E1\n",
				    1, 0, &res), 0);
	ASSERT_ERROR(res, 2, "", "unnamed_column");
	json_decref(res);
	ctx_release(&c);
	db_close(db);
}

static void test_bad_rows(void **state)
{
	struct db *db = test_db();
	struct ctx c;
	struct buf f = BUF_INIT;
	json_t *res = NULL;
	char id[19], id2[19], bad_check[19], bad_birth[19], id_male[19];
	int64_t before;
	UNUSED(state);
	ctx_init_system(&c, db);
	make_id(id, "19700305", 11, 1);
	make_id(id2, "19720708", 12, 0);
	memcpy(bad_check, id, 19);
	bad_check[17] = bad_check[17] == '0' ? '1' : '0';
	make_id(bad_birth, "19701345", 13, 1);
	make_id(id_male, "19650101", 14, 1);
	buf_adds(&f, HEADER);
	buf_adds(&f, "B01,440881104201,,,,户主,,,,,,,,,\n");                                /* 2 required */
	buf_adds(&f, "B02,440881199999,,,甲,户主,,,,,,,,,\n");                               /* 3 village */
	buf_adds(&f, "B03,440881104201,九组,,乙,户主,,,,,,,,,\n");                           /* 4 group */
	buf_addf(&f, "B04,440881104201,,,丙,户主,%s,,,,,,,,\n", bad_check);                   /* 5 check digit */
	buf_addf(&f, "B05,440881104201,,,丁,户主,%s,,,,,,,,\n", bad_birth);                   /* 6 ID birth */
	buf_addf(&f, "B06,440881104201,,,戊,户主,%s,,女,,,,,,\n", id_male);                   /* 7 sex vs ID */
	buf_adds(&f, "B07,440881104201,,,己,户主,,12345,,,,,,,\n");                          /* 8 mobile */
	buf_adds(&f, "B08,440881104201,,,庚,户主,,,,1980-02-30,,,,,\n");                     /* 9 date */
	buf_adds(&f, "B09,440881104201,,,辛,户主,,,,,,,,200,20\n");                          /* 10 lng */
	buf_adds(&f, "B10,440881104201,,,壬,户主,,,,,,低保户、富豪,,,\n");                   /* 11 tag */
	buf_adds(&f, "B11,440881104201,,,癸,户主,,,,,,,,,\n");                               /* 12 */
	buf_adds(&f, "B11,440881104201,,,子,户主,,,,,,,,,\n");                               /* 13 two heads */
	buf_adds(&f, "B12,440881104201,,,丑,配偶,,,,,,,,,\n");                               /* 14 no head */
	buf_addf(&f, "B13,440881104201,,,寅,户主,%s,,,,,,,,\n", id);                          /* 15 */
	buf_addf(&f, "B14,440881104201,,,卯,户主,%s,,,,,,,,\n", id);                          /* 16 same ID */
	buf_adds(&f, "B15,440881104201,,一号,辰,户主,,,,,,,,,\n");                           /* 17 */
	buf_adds(&f, "B15,440881104201,,二号,巳,子女,,,,,,,,,\n");                           /* 18 conflict */
	buf_adds(&f, "B16,440881104201,,,午午午午午午午午午午午午午午午午午午午午午午午午午午午午午午"
		     "午午午午午午午午午午午午午午午午午午午午午午,户主,,,,,,,,,\n");            /* 19 too long */
	buf_adds(&f, "B17,440881104201,,,未,表叔,,,,,,,,,\n");                               /* 20 relation */
	buf_adds(&f, "B18,440881104201,x\n");                                               /* 21 columns */
	buf_adds(&f, "B19,440881104201,,,申,户主,4.40881E+17,,,,,,,,\n");                    /* 22 excel */
	buf_adds(&f, "B20,440881104201,,,酉,户主,4408**********1234,,,,,,,,\n");             /* 23 masked */
	buf_adds(&f, "B 21,440881104201,,,戌,户主,,,,,,,,,\n");                              /* 24 code */
	buf_adds(&f, "B22,440881104201,,,亥,户主,,,,2099-01-01,,,,,\n");                     /* 25 future */
	buf_adds(&f, "B23,440881104201,,,甲,户主,,,不详,,,,,,\n");                           /* 26 sex */
	buf_addf(&f, "B24,440881104201,,,乙,户主,%s,,,1972-07-09,,,,,\n", id2);               /* 27 birth vs ID */
	buf_adds(&f, "B25,440881104201,,,丙,户主,,,,,,,,110.5,\n");                          /* 28 lat missing */
	buf_adds(&f, "B26,,,,丁,户主,,,,,,,,,\n");                                           /* 29 village missing */
	buf_adds(&f, "B27,440881104201,,,戊,户主,,,,,,,,,\n");                               /* 30 good */
	buf_adds(&f, "B27,440881104202,,,己,子女,,,,,,,,,\n");                               /* 31 conflict village */

	before = count(db, "SELECT count(*) FROM household");
	assert_int_equal(run_import(db, &c, f.data, 1, 0, &res), 0); /* a dry run succeeds */
	ASSERT_ERROR(res, 2, "name", "required");
	ASSERT_ERROR(res, 3, "village_code", "village");
	ASSERT_ERROR(res, 4, "group_code", "group");
	ASSERT_ERROR(res, 5, "id_number", "id_check");
	ASSERT_ERROR(res, 6, "id_number", "id_birth");
	ASSERT_ERROR(res, 7, "sex", "id_sex");
	ASSERT_ERROR(res, 8, "phone", "mobile");
	ASSERT_ERROR(res, 9, "birth_date", "date");
	ASSERT_ERROR(res, 10, "lng", "coords");
	ASSERT_ERROR(res, 11, "tags", "tag");
	ASSERT_ERROR(res, 13, "relation", "head_many");
	ASSERT_ERROR(res, 14, "relation", "head_none");
	ASSERT_ERROR(res, 16, "id_number", "duplicate_id");
	ASSERT_ERROR(res, 18, "address", "conflict");
	ASSERT_ERROR(res, 19, "name", "too_long");
	ASSERT_ERROR(res, 20, "relation", "relation");
	ASSERT_ERROR(res, 21, "", "columns");
	ASSERT_ERROR(res, 22, "id_number", "excel_number");
	ASSERT_ERROR(res, 23, "id_number", "masked");
	ASSERT_ERROR(res, 24, "household_code", "code");
	ASSERT_ERROR(res, 25, "birth_date", "date");
	ASSERT_ERROR(res, 26, "sex", "sex");
	ASSERT_ERROR(res, 27, "birth_date", "id_birth_date");
	ASSERT_ERROR(res, 28, "lat", "coords");
	ASSERT_ERROR(res, 29, "village_code", "required");
	ASSERT_ERROR(res, 31, "village_code", "conflict");
	assert_false(has_error(res, 12, NULL, "head_many")); /* the first head is fine */
	assert_false(has_error(res, 15, NULL, "duplicate_id")); /* the first of the two IDs is fine */
	assert_false(has_error(res, 20, NULL, "head_none")); /* one error for a bad relation */
	assert_false(has_error(res, 30, NULL, "conflict"));
	assert_int_equal(json_integer_value(json_object_get(res, "rows")), 30);
	assert_int_equal(json_integer_value(json_object_get(res, "created")), 1); /* B13 */
	/* all but the rows 12 (B11's first head), 15 (B13), 17 (B15's head) and 30 (B27's head) */
	assert_int_equal(json_integer_value(json_object_get(res, "bad_rows")), 26);
	assert_true(json_is_true(json_object_get(res, "dry_run")));
	assert_false(json_is_true(json_object_get(res, "applied")));
	/* the errors come sorted by row, each with both languages */
	{
		const json_t *e;
		size_t i, last = 0;
		json_array_foreach(json_object_get(res, "errors"), i, e) {
			size_t row = (size_t)json_integer_value(json_object_get(e, "row"));
			assert_true(row >= last);
			last = row;
			assert_non_null(json_string_value(json_object_get(e, "zh")));
			assert_non_null(json_string_value(json_object_get(e, "en")));
		}
	}
	json_decref(res);
	assert_int_equal(count(db, "SELECT count(*) FROM household"), before);

	/* a real run without skip_bad writes nothing */
	assert_int_equal(run_import(db, &c, f.data, 0, 0, &res), ZL_E_IMPORT_BAD_ROWS);
	assert_false(json_is_true(json_object_get(res, "applied")));
	json_decref(res);
	assert_int_equal(count(db, "SELECT count(*) FROM household"), before);
	assert_int_equal(count(db, "SELECT count(*) FROM audit_log WHERE action = 'household.import'"), 0);
	buf_release(&f);
	ctx_release(&c);
	db_close(db);
}

static void test_import_and_reimport(void **state)
{
	struct db *db = test_db();
	struct ctx c;
	struct buf f = BUF_INIT;
	json_t *res = NULL;
	char id1[19], id2[19], id3[19];
	UNUSED(state);
	ctx_init_system(&c, db);
	make_id(id1, "19700305", 1, 1);
	make_id(id2, "19720708", 2, 0);
	make_id(id3, "20000101", 3, 1);
	buf_adds(&f, "\xEF\xBB\xBF" HEADER);
	/* the head's row is not first; household fields only on the head's row or repeated */
	buf_addf(&f, "H1,,,,李秀兰,妻子,%s,,,,,,,,\n", id2);
	buf_addf(&f, "H1,440881104201,一组,\"东坑村1号, 东巷\",陈大明,户主,%s,138 1234 5678,男,,农民,低保户；留守老人,\"说 \"\"明\"\"\",110.655,21.936\n", id1);
	buf_addf(&f, "H1,440881104201,440881104201001,,陈小明,子女,\t%s\xE3\x80\x80,,,2000/1/1,学生,,,,\n", id3);
	buf_adds(&f, "H2,\xE3\x80\x80东村,,,王五,户主,,,,,,,,,\n"); /* an ideographic space before */
	if (run_import(db, &c, f.data, 0, 0, &res))
		dump_errors(res);
	assert_int_equal(json_integer_value(json_object_get(res, "bad_rows")), 0);
	assert_int_equal(json_integer_value(json_object_get(res, "created")), 2);
	assert_int_equal(json_integer_value(json_object_get(res, "households")), 2);
	assert_true(json_is_true(json_object_get(res, "applied")));
	assert_string_equal(json_string_value(json_object_get(res, "encoding")), "utf-8");
	assert_true(json_is_true(json_object_get(res, "bom")));
	json_decref(res);
	assert_int_equal(count(db, "SELECT count(*) FROM household_member m JOIN household h ON h.id = "
				   "m.household_id WHERE h.code = 'H1' AND m.removed_at IS NULL"), 3);
	assert_int_equal(count(db, "SELECT count(*) FROM household WHERE code = 'H1' AND "
				   "region_code = '440881104201001' AND head_name = '陈大明'"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM household_tag t JOIN household h ON h.id = "
				   "t.household_id WHERE h.code = 'H1'"), 2);
	assert_int_equal(count(db, "SELECT count(*) FROM household WHERE code = 'H2' AND "
				   "village_code = '440881104201'"), 1); /* the village by its name */
	assert_int_equal(count(db, "SELECT count(*) FROM audit_log WHERE action = 'household.import'"), 1);
	{ /* the audit row holds counts, not personal data */
		char *after = NULL;
		assert_int_equal(db_get_text(db, &after, "SELECT after_json FROM audit_log WHERE action = "
						       "'household.import'", ""), 1);
		assert_null(strstr(after, id1));
		assert_null(strstr(after, "陈大明"));
		assert_non_null(strstr(after, "\"created\":2") ? after : strstr(after, "\"created\": 2"));
		free(after);
	}

	/* the same file again: nothing changes */
	assert_int_equal(run_import(db, &c, f.data, 0, 0, &res), 0);
	assert_int_equal(json_integer_value(json_object_get(res, "unchanged")), 2);
	assert_int_equal(json_integer_value(json_object_get(res, "created")), 0);
	assert_int_equal(json_integer_value(json_object_get(res, "updated")), 0);
	json_decref(res);

	/* the same data in GBK, with CRLF and LF-only rows mixed: still unchanged */
	{
		size_t n;
		char *g = to_gbk(f.data + 3, &n);
		struct import_opts o = { 1, 0, 0, NULL, NULL };
		assert_int_equal(db_begin(db), 0);
		assert_int_equal(household_import(&c, g, n, &o, &res), 0);
		db_rollback(db);
		assert_string_equal(json_string_value(json_object_get(res, "encoding")), "gb18030");
		assert_int_equal(json_integer_value(json_object_get(res, "unchanged")), 2);
		json_decref(res);
		free(g);
	}

	/* a changed address: updated, in a dry run first */
	{
		char *p = strstr(f.data, "东巷");
		memcpy(p, "西巷", strlen("西巷"));
	}
	assert_int_equal(run_import(db, &c, f.data, 1, 0, &res), 0);
	assert_int_equal(json_integer_value(json_object_get(res, "updated")), 1);
	assert_int_equal(json_integer_value(json_object_get(res, "unchanged")), 1);
	json_decref(res);
	assert_int_equal(count(db, "SELECT count(*) FROM household WHERE address LIKE '%东巷'"), 1);
	buf_release(&f);
	ctx_release(&c);
	db_close(db);
}

static void test_skip_bad(void **state)
{
	struct db *db = test_db();
	struct ctx c;
	json_t *res = NULL;
	const json_t *rows;
	UNUSED(state);
	ctx_init_system(&c, db);
	assert_int_equal(run_import(db, &c,
				    HEADER "S1,440881104201,,,甲,户主,,,,,,,,,\n"
					   "S2,440881104201,,,乙,户主,,,,,,,,,\n"
					   "S2,440881104201,,,丙,子女,,1234,,,,,,,\n"
					   "S3,440881104201,,,丁,户主,,,,,,,,,\n",
				    0, 1, &res),
			 0);
	assert_int_equal(json_integer_value(json_object_get(res, "created")), 2);
	assert_int_equal(json_integer_value(json_object_get(res, "skipped")), 1);
	rows = json_object_get(res, "skipped_rows");
	assert_int_equal(json_array_size(rows), 2); /* the whole household S2 */
	assert_int_equal(json_integer_value(json_array_get(rows, 0)), 3);
	assert_int_equal(json_integer_value(json_array_get(rows, 1)), 4);
	ASSERT_ERROR(res, 4, "phone", "mobile");
	json_decref(res);
	assert_int_equal(count(db, "SELECT count(*) FROM household WHERE code IN ('S1', 'S3')"), 2);
	assert_int_equal(count(db, "SELECT count(*) FROM household WHERE code = 'S2'"), 0);
	ctx_release(&c);
	db_close(db);
}

static void test_scope(void **state)
{
	struct db *db = test_db();
	struct ctx c;
	json_t *res = NULL;
	UNUSED(state);
	ctx_init_system(&c, db);
	assert_int_equal(run_import(db, &c, HEADER "W1,440881104202,,,甲,户主,,,,,,,,,\n", 0, 0, &res), 0);
	json_decref(res);
	/* a cadre of village 201 */
	c.actor.role = ROLE_CADRE;
	c.actor.user_id = 0;
	assert_int_equal(scope_load(db, &c.actor, "440881104201"), 0);
	assert_int_equal(run_import(db, &c,
				    HEADER "W2,440881104202,,,乙,户主,,,,,,,,,\n"
					   "W1,440881104201,,,丙,户主,,,,,,,,,\n"
					   "W3,440881104201,,,丁,户主,,,,,,,,,\n",
				    1, 0, &res),
			 0);
	ASSERT_ERROR(res, 2, "village_code", "village"); /* another village: as if unknown */
	ASSERT_ERROR(res, 3, "household_code", "scope");  /* W1 lives in village 202 */
	assert_false(has_error(res, 4, NULL, "village"));
	assert_int_equal(json_integer_value(json_object_get(res, "created")), 1);
	json_decref(res);
	ctx_release(&c);
	db_close(db);
}

static void test_progress(void **state)
{
	struct db *db = test_db();
	struct ctx c;
	json_t *res = NULL;
	int64_t job = 0;
	json_t *j = NULL;
	UNUSED(state);
	ctx_init_system(&c, db);
	assert_int_equal(job_start(db, "import.households", 0, "k1", &job), 0);
	assert_true(job > 0);
	job_progress(job, "applying", 3, 10);
	assert_int_equal(job_json(&c, job, &j), 0);
	assert_string_equal(json_string_value(json_object_get(j, "state")), "running");
	assert_int_equal(json_integer_value(json_object_get(j, "done")), 3);
	assert_int_equal(json_integer_value(json_object_get(j, "total")), 10);
	json_decref(j);
	res = json_pack("{s:i}", "created", 4);
	assert_int_equal(job_finish(db, job, "done", res), 0);
	json_decref(res);
	assert_int_equal(job_json(&c, job, &j), 0);
	assert_string_equal(json_string_value(json_object_get(j, "state")), "done");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "result"), "created")), 4);
	json_decref(j);
	c.actor.role = ROLE_CADRE;
	c.actor.user_id = 99;
	assert_int_equal(job_json(&c, job, &j), ZL_E_NOT_FOUND); /* someone else's job */
	ctx_release(&c);
	db_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_basic),
		cmocka_unit_test(test_csv_quotes),
		cmocka_unit_test(test_csv_line_ends),
		cmocka_unit_test(test_csv_errors),
		cmocka_unit_test(test_encoding_utf8),
		cmocka_unit_test(test_encoding_gbk),
		cmocka_unit_test(test_encoding_refused),
		cmocka_unit_test(test_utf8_validity),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_bad_rows),
		cmocka_unit_test(test_import_and_reimport),
		cmocka_unit_test(test_skip_bad),
		cmocka_unit_test(test_scope),
		cmocka_unit_test(test_progress),
	};
	return cmocka_run_group_tests(tests, setup_key, teardown_key);
}
