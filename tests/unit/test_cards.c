/*
 * test_cards.c: liaison cards (连心卡): the printed station-day text, the
 * portal address behind the QR code, phone grouping and the placeholder
 * surname, file names, and rendering a village and a household to PDF in
 * memory, with scope and the unhappy paths. Includes cards.c for its statics.
 */
#include "unit.h"

/*
 * cli.c defines cli_print_error(), which cmocka also exports and calls for its
 * own summary (a crash at the end of the run). Keep cli.o out of this test by
 * standing in for the CLI helpers cards_cli() uses; the CLI itself is tested
 * in tests/api/test_cards.py.
 */
#define usage_error stub_usage_error
#define parse_args stub_parse_args
#define opt_value stub_opt_value
#define db_path_of stub_db_path_of
#define open_db stub_open_db
#define with_tx stub_with_tx
#define print_error stub_print_error
#include "households/cards.c"
#undef usage_error
#undef parse_args
#undef opt_value
#undef db_path_of
#undef open_db
#undef with_tx
#undef print_error

int stub_usage_error(const char *cmd, const char *fmt, ...)
{
	(void)cmd;
	(void)fmt;
	return 2;
}
int stub_parse_args(struct args *a, int argc, char **argv, size_t max_pos)
{
	(void)a, (void)argc, (void)argv, (void)max_pos;
	return 2;
}
const char *stub_opt_value(const struct args *a, const char *name)
{
	(void)a, (void)name;
	return NULL;
}
const char *stub_db_path_of(const struct args *a)
{
	(void)a;
	return ":memory:";
}
int stub_open_db(const char *cmd, const char *path, int must_exist, struct db **db)
{
	(void)cmd, (void)path, (void)must_exist, (void)db;
	return ZL_E_IO;
}
int stub_with_tx(const char *cmd, struct db *db, int (*fn)(struct ctx *, void *), void *arg)
{
	(void)cmd, (void)db, (void)fn, (void)arg;
	return ZL_E_IO;
}

#define VA "440881104201"
#define VB "440881104202"

static void test_station_text(void **state)
{
	static const struct {
		int weekday, every;
		const char *start, *end, *want;
	} cases[] = {
		{ 3, 1, "09:00", "12:00", "每周三 09:00–12:00" },
		{ 3, 2, "09:00", "12:00", "每两周周三 09:00–12:00" },
		{ 7, 1, NULL, NULL, "每周日" },
		{ 1, 1, "08:30", NULL, "每周一 08:30起" },
		{ 5, 1, "", "", "每周五" },
		{ 0, 1, "09:00", "12:00", "未指定" },
		{ 8, 1, "09:00", "12:00", "未指定" },
		{ -1, 2, NULL, NULL, "未指定" },
	};
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *s = cards_station_text(cases[i].weekday, cases[i].every, cases[i].start, cases[i].end);
		assert_string_equal(s, cases[i].want);
		free(s);
	}
}

static void test_portal_url(void **state)
{
	struct db *db = unit_db();
	struct ctx c;
	char *u;
	(void)state;
	ctx_init_system(&c, db);
	unsetenv("ZHILIAN_PUBLIC_URL");
	u = cards_portal_url(&c, VA);
	assert_string_equal(u, "http://127.0.0.1:8080/#/portal/" VA);
	free(u);
	setenv("ZHILIAN_PUBLIC_URL", "https://env.example.cn//", 1);
	u = cards_portal_url(&c, VA);
	assert_string_equal(u, "https://env.example.cn/#/portal/" VA);
	free(u);
	/* the setting wins over the environment; an empty one does not count */
	assert_int_equal(db_exec(db, "INSERT INTO setting(key, value) VALUES ('public_url', '')"), 0);
	u = cards_portal_url(&c, VA);
	assert_string_equal(u, "https://env.example.cn/#/portal/" VA);
	free(u);
	assert_int_equal(db_exec(db, "UPDATE setting SET value = 'https://zl.example.gov.cn/' WHERE key = 'public_url'"), 0);
	u = cards_portal_url(&c, VB);
	assert_string_equal(u, "https://zl.example.gov.cn/#/portal/" VB);
	free(u);
	unsetenv("ZHILIAN_PUBLIC_URL");
	ctx_release(&c);
	db_close(db);
}

static void test_phone_surname_and_names(void **state)
{
	static const struct {
		const char *in, *want;
	} phones[] = {
		{ "13800138000", "138 0013 8000" },
		{ "0759-6612345", "0759-6612345" },
		{ "23800138000", "23800138000" }, /* not a mobile number */
		{ "1380013800", "1380013800" },
		{ NULL, "未指定" },
		{ "", "未指定" },
	};
	char sur[8];
	struct buf b = BUF_INIT;
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(phones); i++) {
		char *s = phone_text(phones[i].in);
		assert_string_equal(s, phones[i].want);
		free(s);
	}
	surname_of("驻点干部 林秀英", sur);
	assert_string_equal(sur, "林");
	surname_of("欧阳建国", sur);
	assert_string_equal(sur, "欧");
	surname_of("Li Lei", sur);
	assert_string_equal(sur, "L");
	surname_of("陈 ", sur); /* a trailing space is not a word */
	assert_string_equal(sur, "陈");

	name_part(&b, "村/3\"号'*?:<>|\\", 0);
	assert_string_equal(b.data, "村_3_号________");
	buf_reset(&b);
	name_part(&b, "4408-01 A/b.pdf", 1);
	assert_string_equal(b.data, "4408-01_A_b.pdf");
	buf_release(&b);

	char *s = issuer_of("凤岭镇");
	assert_string_equal(s, "凤岭镇人民政府");
	free(s);
	s = issuer_of("西城街道");
	assert_string_equal(s, "西城街道办事处");
	free(s);
	assert_null(issuer_of(NULL));
}

/* Users, a station team for village A and households; returns nothing, the
 * ids are known: households 1..5 active in A (3 without a cadre), 6 retired,
 * 7 in B without a team. */
static void seed(struct db *db)
{
	assert_int_equal(db_exec(db,
		"INSERT INTO app_user(id, username, display_name, role, scope_code, password_hash, created_at,"
		" updated_at, position, phone) VALUES"
		" (10, 'lead', '黄志强', 'leader', '440881104000', 'x', 'T', 'T', '镇党委副书记', '13902220001'),"
		" (11, 'cad', '林秀英', 'cadre', '" VA "', 'x', 'T', 'T', '镇农业农村办主任', '13800138000'),"
		" (12, 'gone', '离任者', 'cadre', '" VA "', 'x', 'T', 'T', '已调离', '13700000000');"
		"UPDATE app_user SET disabled_at = 'T' WHERE id = 12;"
		"INSERT INTO village_team(village_code, kind, leader_user_id, station_weekday, station_every_weeks,"
		" station_start, station_end, station_place, created_at, updated_at) VALUES"
		" ('" VA "', 'station', 10, 3, 1, '09:00', '12:00', '东村村委会', 'T', 'T'),"
		" ('" VA "', 'auxiliary', NULL, NULL, 1, NULL, NULL, NULL, 'T', 'T');"
		"INSERT INTO household(id, code, village_code, region_code, head_name, retired_at, created_at,"
		" updated_at) VALUES"
		" (1, 'A1', '" VA "', '" VA "', '张一', NULL, 'T', 'T'),"
		" (2, 'A2', '" VA "', '" VA "', '张二', NULL, 'T', 'T'),"
		" (3, 'A3', '" VA "', '" VA "', '张三', NULL, 'T', 'T'),"
		" (4, 'A4', '" VA "', '" VA "', '张四', NULL, 'T', 'T'),"
		" (5, 'A5', '" VA "', '" VA "', '张五', NULL, 'T', 'T'),"
		" (6, 'A6', '" VA "', '" VA "', '张六', 'T', 'T', 'T'),"
		" (7, 'B1', '" VB "', '" VB "', '李一', NULL, 'T', 'T');"
		"INSERT INTO household_assignment(household_id, user_id, start_date, end_date, created_at) VALUES"
		" (1, 11, '2026-01-01', NULL, 'T'), (2, 11, '2026-01-01', NULL, 'T'),"
		" (4, 11, '2026-01-01', NULL, 'T'), (5, 12, '2026-01-01', NULL, 'T'),"
		" (3, 11, '2025-01-01', '2026-01-01', 'T'), (7, 11, '2026-01-01', NULL, 'T');"), 0);
}

static size_t count(const struct buf *b, const char *needle)
{
	size_t n = 0, k = strlen(needle);
	for (const char *p = b->data; (p = memmem(p, b->len - (size_t)(p - b->data), needle, k)); p += k)
		n++;
	return n;
}

static void test_load_village(void **state)
{
	struct db *db = unit_db();
	struct card_set s = CARD_SET_INIT;
	struct ctx c;
	(void)state;
	seed(db);
	ctx_init_system(&c, db);
	assert_int_equal(village_rows_load(&c, VA, &s), 0);
	assert_int_equal(s.n, 5); /* the retired household is left out */
	assert_string_equal(s.v.name, "东村");
	assert_string_equal(s.v.town, "示范镇");
	assert_string_equal(s.v.leader, "黄志强");
	assert_string_equal(s.v.leader_position, "镇党委副书记");
	assert_string_equal(s.v.station, "每周三 09:00–12:00");
	assert_string_equal(s.v.place, "东村村委会");
	assert_string_equal(s.rows[0].code, "A1");
	assert_string_equal(s.rows[0].cadre, "林秀英");
	assert_string_equal(s.rows[0].phone, "13800138000");
	assert_null(s.rows[2].cadre); /* only an ended assignment */
	assert_null(s.rows[4].cadre); /* the cadre's account is disabled */
	card_set_release(&s);

	/* no station team: everything about it unassigned, no failure */
	assert_int_equal(village_rows_load(&c, VB, &s), 0);
	assert_int_equal(s.n, 1);
	assert_null(s.v.leader);
	assert_null(s.v.place);
	assert_string_equal(s.v.station, "未指定");
	card_set_release(&s);
	ctx_release(&c);
	db_close(db);
}

static void test_render_village_and_household(void **state)
{
	struct db *db = unit_db();
	struct cards_pdf out = CARDS_PDF_INIT;
	struct ctx c;
	(void)state;
	seed(db);
	ctx_init_system(&c, db);
	assert_int_equal(cards_village_pdf(&c, VA, &out), 0);
	assert_int_equal(out.ncards, 5);
	assert_int_equal(out.npages, 2);
	assert_true(out.pdf.len > 1000);
	assert_memory_equal(out.pdf.data, "%PDF-", 5);
	assert_int_equal(count(&out.pdf, "<< /Type /Page %"), 2);
	assert_int_equal(count(&out.pdf, "/URI (http://127.0.0.1:8080/#/portal/" VA ")"), 5);
	assert_string_equal(out.filename_ascii, "liaison-cards-" VA ".pdf");
	assert_string_equal(out.filename_utf8, "连心卡-东村-" VA ".pdf");
	cards_pdf_release(&out);

	assert_int_equal(cards_household_pdf(&c, 7, &out), 0);
	assert_int_equal(out.ncards, 1);
	assert_int_equal(out.npages, 1);
	assert_int_equal(count(&out.pdf, "<< /Type /Page %"), 1);
	assert_string_equal(out.filename_ascii, "liaison-card-B1.pdf");
	assert_string_equal(out.filename_utf8, "连心卡-西村-李一-B1.pdf");
	cards_pdf_release(&out);
	ctx_release(&c);
	db_close(db);
}

static void test_errors_and_scope(void **state)
{
	struct db *db = unit_db();
	struct cards_pdf out = CARDS_PDF_INIT;
	struct ctx c;
	(void)state;
	seed(db);
	ctx_init_system(&c, db);
	assert_int_equal(cards_village_pdf(&c, "440881104000", &out), ZL_E_CARD_NOT_VILLAGE);
	assert_int_equal(cards_village_pdf(&c, "440881104299", &out), ZL_E_NOT_FOUND);
	assert_non_null(c.detail_en);
	assert_int_equal(cards_household_pdf(&c, 6, &out), ZL_E_NOT_FOUND); /* retired */
	assert_int_equal(cards_household_pdf(&c, 99, &out), ZL_E_NOT_FOUND);
	assert_int_equal(db_exec(db, "UPDATE household SET retired_at = 'T' WHERE id = 7"), 0);
	assert_int_equal(cards_village_pdf(&c, VB, &out), ZL_E_CARD_EMPTY);

	/* an actor whose scope is village B sees nothing of village A */
	assert_int_equal(db_exec(db, "UPDATE household SET retired_at = NULL WHERE id = 7"), 0);
	assert_int_equal(scope_load(db, &c.actor, VB), 0);
	assert_int_equal(cards_household_pdf(&c, 1, &out), ZL_E_NOT_FOUND);
	assert_int_equal(cards_village_pdf(&c, VA, &out), ZL_E_NOT_FOUND);
	assert_int_equal(cards_village_pdf(&c, "440881104000", &out), ZL_E_NOT_FOUND);
	assert_int_equal(cards_household_pdf(&c, 7, &out), 0);
	assert_int_equal(out.npages, 1);
	cards_pdf_release(&out);
	assert_null(out.pdf.len ? out.pdf.data : NULL);
	ctx_release(&c);
	db_close(db);
}

/* A PNG of w x h pixels at dir/name. */
static void write_png(const char *dir, const char *name, int w, int h)
{
	cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
	cairo_t *cr = cairo_create(img);
	char *path = xasprintf("%s/%s", dir, name);
	cairo_set_source_rgb(cr, 0.3, 0.5, 0.8);
	cairo_paint(cr);
	cairo_destroy(cr);
	assert_int_equal(cairo_surface_write_to_png(img, path), CAIRO_STATUS_SUCCESS);
	cairo_surface_destroy(img);
	free(path);
}

static void test_photos(void **state)
{
	struct photo_cache pc = PHOTO_CACHE_INIT;
	char dir[] = "/tmp/zl-cards-XXXXXX";
	cairo_surface_t *img;
	(void)state;
	assert_non_null(mkdtemp(dir));
	write_png(dir, "ab12.png", 300, 400);
	write_png(dir, "big.png", 3000, 2000);

	img = photo_get(&pc, dir, "ab12.png");
	assert_non_null(img);
	assert_int_equal(cairo_image_surface_get_width(img), 300); /* small enough: kept as it is */
	assert_ptr_equal(photo_get(&pc, dir, "ab12.png"), img);   /* loaded once */
	img = photo_get(&pc, dir, "big.png");
	assert_non_null(img);
	assert_int_equal(cairo_image_surface_get_width(img), PHOTO_MAX_PX); /* shrunk */
	assert_int_equal(cairo_image_surface_get_height(img), 320);
	assert_null(photo_get(&pc, dir, "missing.png"));
	assert_null(photo_get(&pc, dir, NULL));
	/* names that could leave the files folder are refused */
	assert_null(photo_get(&pc, dir, "/etc/passwd"));
	assert_null(photo_get(&pc, dir, "../ab12.png"));
	assert_int_equal(pc.n, 3);
	photo_cache_release(&pc);
	assert_int_equal(pc.n, 0);

	char *p1 = xasprintf("%s/ab12.png", dir), *p2 = xasprintf("%s/big.png", dir);
	unlink(p1);
	unlink(p2);
	free(p1);
	free(p2);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_station_text),
		cmocka_unit_test(test_portal_url),
		cmocka_unit_test(test_phone_surname_and_names),
		cmocka_unit_test(test_load_village),
		cmocka_unit_test(test_render_village_and_household),
		cmocka_unit_test(test_errors_and_scope),
		cmocka_unit_test(test_photos),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
