/*
 * test_households.c: personal data (GB 11643 ID check digits, mobiles,
 * masking, keyed hashes, encryption and tamper detection, the key file,
 * rotate-key with interrupted rotations) and the household service (field
 * errors, derived birth date and sex, the import upsert, the timeline merge).
 */
#include <jansson.h>
#include <sodium.h>
#include <sys/file.h>

#include "unit.h"

#include "households/households.h"
#include "households/pii.h"
#include "platform/clock.h"
#include "platform/error.h"

/* 2026-03-02T01:00:00Z: every date below is relative to it */
#define TEST_NOW_US (1772413200LL * USEC_PER_SEC)

static char tmpdir[64];

/* cmocka's fail_msg() calls its cli_print_error(), which the CLI helpers
 * (platform/cli.c) also define; print_message() and fail() do not clash. */
#define failf(...)                                                                                 \
	do {                                                                                       \
		print_message(__VA_ARGS__);                                                        \
		print_message("\n");                                                               \
		fail();                                                                            \
	} while (0)

static void fixed_clock(void)
{
	clock_test_enable();
	assert_int_equal(clock_test_set(TEST_NOW_US), 0);
}

/* The 18-character ID number for a 17-digit body (ISO 7064 MOD 11-2). */
static void make_id(const char *body17, char out[19])
{
	static const int w[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
	int sum = 0;
	for (int i = 0; i < 17; i++)
		sum += (body17[i] - '0') * w[i];
	memcpy(out, body17, 17);
	out[17] = "10X98765432"[sum % 11];
	out[18] = '\0';
}

static char *key_path(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}

static void fresh_dir(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/zl-hh-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
}

static void rm_dir(void)
{
	char *cmd = xasprintf("rm -rf '%s'", tmpdir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

/* A loaded key in a fresh temporary folder. */
static char *with_key(const char *name)
{
	char *p;
	fresh_dir();
	p = key_path(name);
	assert_int_equal(pii_key_load(p, 1), 0);
	return p;
}

/* ---- ID numbers ---- */

static void id_valid_generated(void **state)
{
	static const struct {
		const char *body, *birth;
		char sex;
	} cases[] = {
		{ "44088119900307123", "1990-03-07", 'M' }, { "44088120000229002", "2000-02-29", 'F' },
		{ "11010519491231002", "1949-12-31", 'F' }, { "65010219851111345", "1985-11-11", 'M' },
		{ "81000019200101000", "1920-01-01", 'F' }, { "44088120260302007", "2026-03-02", 'M' },
	};
	UNUSED(state);
	fixed_clock();
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char id[19], birth[11] = "", sex = 0;
		const char *en = NULL, *zh = NULL;
		make_id(cases[i].body, id);
		assert_int_equal(pii_id_check(id, birth, &sex, &en, &zh), 0);
		assert_string_equal(birth, cases[i].birth);
		assert_int_equal(sex, cases[i].sex);
	}
	/* the published example, whose check character is X, also lower case */
	assert_int_equal(pii_id_check("11010519491231002X", NULL, NULL, NULL, NULL), 0);
	assert_int_equal(pii_id_check("11010519491231002x", NULL, NULL, NULL, NULL), 0);
	char norm[19];
	pii_id_normalise("11010519491231002x", norm);
	assert_string_equal(norm, "11010519491231002X");
}

static void expect_bad_id(const char *id, const char *why_part)
{
	const char *en = NULL, *zh = NULL;
	char birth[11] = "unchanged", sex = '?';
	assert_int_equal(pii_id_check(id, birth, &sex, &en, &zh), -1);
	assert_non_null(en);
	assert_non_null(zh);
	if (!strstr(en, why_part))
		failf("%s: reason \"%s\" lacks \"%s\"", id, en, why_part);
	assert_string_equal(birth, "unchanged");
}

static void id_invalid(void **state)
{
	char id[19];
	UNUSED(state);
	fixed_clock();
	make_id("44088119900307123", id);
	id[17] = id[17] == '9' ? '0' : (id[17] == 'X' ? '1' : id[17] + 1);
	expect_bad_id(id, "check digit");
	make_id("44088119990230123", id); /* 30 February */
	expect_bad_id(id, "not a real date");
	make_id("44088119991301123", id); /* month 13 */
	expect_bad_id(id, "not a real date");
	make_id("44088118991231123", id); /* before 1900 */
	expect_bad_id(id, "not a real date");
	make_id("44088120260303123", id); /* tomorrow */
	expect_bad_id(id, "future");
	expect_bad_id("44088119900307123", "18 characters");
	expect_bad_id("4408811990030712345", "18 characters");
	expect_bad_id("", "18 characters");
	expect_bad_id("44088119900A071234", "first 17");
	expect_bad_id("44088119900307123Y", "last character");
	make_id("00088119900307123", id);
	expect_bad_id(id, "province");
	expect_bad_id(NULL, "18 characters");
}

static void mobiles(void **state)
{
	char out[12];
	UNUSED(state);
	assert_int_equal(pii_mobile_check("13800138000", out), 0);
	assert_string_equal(out, "13800138000");
	assert_int_equal(pii_mobile_check("138 0013 8000", out), 0);
	assert_string_equal(out, "13800138000");
	assert_int_equal(pii_mobile_check("+86 139-0000-1111", out), 0);
	assert_string_equal(out, "13900001111");
	assert_int_equal(pii_mobile_check("008619912345678", out), 0);
	assert_string_equal(out, "19912345678");
	assert_int_equal(pii_mobile_check("1380013800", out), -1);   /* 10 digits */
	assert_int_equal(pii_mobile_check("138001380001", out), -1); /* 12 */
	assert_int_equal(pii_mobile_check("12800138000", out), -1);  /* 12x */
	assert_int_equal(pii_mobile_check("0759-2345678", out), -1); /* landline */
	assert_int_equal(pii_mobile_check("+1 415 555 0100", out), -1);
	assert_int_equal(pii_mobile_check("1380013800a", out), -1);
	assert_int_equal(pii_mobile_check("", out), -1);
}

static void masking(void **state)
{
	char out[PII_MASK_MAX], small[6];
	UNUSED(state);
	pii_mask_id("440881199003071234", out, sizeof(out));
	assert_string_equal(out, "4408**********1234");
	pii_mask_id("11010519491231002X", out, sizeof(out));
	assert_string_equal(out, "1101**********002X");
	pii_mask_phone("13812345678", out, sizeof(out));
	assert_string_equal(out, "138****5678");
	pii_mask_id("12345678", out, sizeof(out));
	assert_string_equal(out, "********");
	pii_mask_phone("1234567", out, sizeof(out));
	assert_string_equal(out, "*******");
	pii_mask_phone("", out, sizeof(out));
	assert_string_equal(out, "");
	pii_mask_id("440881199003071234", small, sizeof(small));
	assert_string_equal(small, "4408*");
}

/* ---- keys, hashes, blobs ---- */

static void keyed_lookup(void **state)
{
	char a[PII_HASH_HEX], b[PII_HASH_HEX], c[PII_HASH_HEX];
	char *p = with_key("one.key"), *q;
	UNUSED(state);
	pii_hash("13800138000", a);
	pii_hash("13800138000", b);
	assert_string_equal(a, b);
	pii_hash("138 0013 8000", b);
	assert_string_equal(a, b);
	pii_hash("+86 138-0013-8000", b);
	assert_string_equal(a, b);
	pii_hash("13800138001", b);
	assert_string_not_equal(a, b);
	pii_hash("11010519491231002x", b);
	pii_hash("11010519491231002X", c);
	assert_string_equal(b, c);
	assert_int_equal(strlen(a), 64);
	/* another key, another hash of the same value */
	q = key_path("two.key");
	assert_int_equal(pii_key_load(q, 1), 0);
	pii_hash("13800138000", b);
	assert_string_not_equal(a, b);
	/* and back: the same key gives the same hash again */
	assert_int_equal(pii_key_load(p, 0), 0);
	pii_hash("13800138000", b);
	assert_string_equal(a, b);
	pii_key_unload();
	free(p);
	free(q);
	rm_dir();
}

static void encrypt_round_trip_and_tamper(void **state)
{
	unsigned char *blob = NULL;
	size_t len = 0;
	char *plain = NULL, *p = with_key("k.key"), *q;
	UNUSED(state);
	assert_int_equal(pii_encrypt("440881199003071234", &blob, &len), 0);
	assert_int_equal(len, 1 + 4 + 24 + 16 + 18);
	assert_int_equal(blob[0], 1);
	assert_null(memmem(blob, len, "4408811990", 10)); /* not in the clear */
	assert_int_equal(pii_decrypt(blob, len, &plain), 0);
	assert_string_equal(plain, "440881199003071234");
	free(plain);
	/* two encryptions of one value differ (fresh nonce) */
	{
		unsigned char *b2 = NULL;
		size_t l2 = 0;
		assert_int_equal(pii_encrypt("440881199003071234", &b2, &l2), 0);
		assert_int_equal(l2, len);
		assert_memory_not_equal(b2, blob, len);
		free(b2);
	}
	/* any flipped byte: box, MAC, nonce, version */
	size_t spots[] = { len - 1, 1 + 4 + 24, 1 + 4 + 3, 0 };
	for (size_t i = 0; i < ARRAY_SIZE(spots); i++) {
		blob[spots[i]] ^= 0x01;
		assert_int_equal(pii_decrypt(blob, len, &plain), ZL_E_INTEGRITY);
		assert_null(plain);
		blob[spots[i]] ^= 0x01;
	}
	assert_int_equal(pii_decrypt(blob, 10, &plain), ZL_E_INTEGRITY);
	/* under another key it does not open */
	q = key_path("other.key");
	assert_int_equal(pii_key_load(q, 1), 0);
	assert_int_equal(pii_decrypt(blob, len, &plain), ZL_E_INTEGRITY);
	/* without a key, nothing */
	pii_key_unload();
	assert_int_equal(pii_decrypt(blob, len, &plain), ZL_E_PII_KEY);
	free(blob);
	assert_int_equal(pii_encrypt("x", &blob, &len), ZL_E_PII_KEY);
	assert_null(blob);
	free(p);
	free(q);
	rm_dir();
}

static void key_file_rules(void **state)
{
	struct stat sb;
	char *p, *q;
	FILE *f;
	UNUSED(state);
	p = with_key("z.db.key");
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(sb.st_size, 65);
	pii_key_unload();
	/* readable by others: refused, and the message says what to do */
	assert_int_equal(chmod(p, 0644), 0);
	assert_int_equal(pii_key_load(p, 0), ZL_E_IO);
	assert_non_null(strstr(pii_key_error(), "chmod 600"));
	assert_false(pii_key_loaded());
	assert_int_equal(chmod(p, 0640), 0);
	assert_int_equal(pii_key_load(p, 1), ZL_E_IO);
	assert_int_equal(chmod(p, 0600), 0);
	assert_int_equal(pii_key_load(p, 0), 0);
	pii_key_unload();
	/* damaged */
	q = key_path("bad.key");
	f = fopen(q, "w");
	fputs("not a key\n", f);
	fclose(f);
	assert_int_equal(chmod(q, 0600), 0);
	assert_int_equal(pii_key_load(q, 0), ZL_E_IO);
	assert_non_null(strstr(pii_key_error(), "64 hexadecimal"));
	free(q);
	/* missing */
	q = key_path("none.key");
	assert_int_equal(pii_key_load(q, 0), ZL_E_NOT_FOUND);
	assert_non_null(strstr(pii_key_error(), "does not exist"));
	free(q);
	/* the path for a database */
	unsetenv("ZHILIAN_KEY");
	q = pii_key_path_for("/srv/zhilian.db");
	assert_string_equal(q, "/srv/zhilian.db.key");
	free(q);
	free(p);
	rm_dir();
}

/* ---- the service ---- */

static json_t *household_json(const char *code, const char *village, const char *phone, const char *id1,
			      const char *id2)
{
	return json_pack("{s:s?,s:s,s:s,s:s?,s:[s],s:[{s:s,s:s,s:s?},{s:s,s:s,s:s?,s:s}]}", "code", code,
			 "village_code", village, "head_name", "王建国", "phone", phone, "tags", "低保户",
			 "members", "name", "王建国", "relation", "户主", "id_number", id1, "name", "李秀兰",
			 "relation", "妻子", "id_number", id2, "phone", "13900001111");
}

static int64_t create_household(struct db *db, const json_t *in)
{
	struct ctx c;
	json_t *out = NULL;
	int64_t id;
	ctx_init_system(&c, db);
	assert_int_equal(db_begin(db), 0);
	int rc = household_create(&c, in, &out);
	if (rc) {
		for (size_t i = 0; i < c.errs.n; i++)
			print_message("%s: %s\n", c.errs.items[i].field, c.errs.items[i].en);
		failf("household_create: %d", rc);
	}
	assert_int_equal(db_commit(db), 0);
	id = json_integer_value(json_object_get(out, "id"));
	json_decref(out);
	ctx_release(&c);
	return id;
}

/* household_get with reveal, as the system actor, in its own transaction */
static json_t *get_revealed(struct db *db, int64_t id)
{
	struct ctx c;
	json_t *out = NULL;
	ctx_init_system(&c, db);
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(household_get(&c, id, 1, &out), 0);
	assert_int_equal(db_commit(db), 0);
	ctx_release(&c);
	return out;
}

static int64_t count_by_phone(struct db *db, const char *phone, const char *id_number)
{
	struct ctx c;
	struct household_filter f = HOUSEHOLD_FILTER_INIT;
	struct page p = { 100, 0 };
	json_t *items = NULL;
	int64_t next = 0, n;
	f.phone = phone;
	f.id_number = id_number;
	ctx_init_system(&c, db);
	assert_int_equal(household_list(&c, &f, &p, 0, &items, &next), 0);
	n = (int64_t)json_array_size(items);
	json_decref(items);
	ctx_release(&c);
	return n;
}

static int has_field_error(const struct ctx *c, const char *field)
{
	for (size_t i = 0; i < c->errs.n; i++)
		if (!strcmp(c->errs.items[i].field, field))
			return 1;
	return 0;
}

static void create_checks_fields(void **state)
{
	struct db *db = unit_db();
	struct ctx c;
	json_t *in, *out = NULL, *m;
	char id1[19], id2[19];
	char *p = with_key("k.key");
	UNUSED(state);
	fixed_clock();
	make_id("44088119580716161", id1);
	make_id("44088119600102002", id2);
	ctx_init_system(&c, db);
	assert_int_equal(db_begin(db), 0);
	in = json_pack("{s:s,s:s,s:s,s:f,s:[s],s:[{s:s,s:s,s:s,s:s,s:s},{s:s,s:s},{s:s,s:s,s:s}]}",
		       "village_code", "440881104299", "head_name", "", "phone", "12345", "lat", 95.0,
		       "tags", "没有这个标签", "members", "name", "甲", "relation", "户主", "id_number", id1,
		       "birth_date", "1958-07-17", "sex", "F", "name", "乙", "relation", "表亲", "name", "丙",
		       "relation", "子女", "id_number", "440881199003071230");
	assert_int_equal(household_create(&c, in, &out), ZL_E_VALIDATION);
	const char *want[] = { "village_code", "head_name", "phone", "lat", "lng", "tags",
			       "members[0].birth_date", "members[0].sex", "members[1].relation",
			       "members[2].id_number" };
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		if (!has_field_error(&c, want[i]))
			failf("no field error for %s", want[i]);
	assert_null(out);
	json_decref(in);
	verr_release(&c.errs);

	/* birth date and sex derived from the ID number */
	in = household_json(NULL, "440881104201", "13800138000", id1, id2);
	assert_int_equal(household_create(&c, in, &out), 0);
	assert_string_equal(json_string_value(json_object_get(out, "code")), "4408811042010001");
	assert_string_equal(json_string_value(json_object_get(out, "phone")), "138****8000");
	m = json_array_get(json_object_get(out, "members"), 0);
	assert_string_equal(json_string_value(json_object_get(m, "birth_date")), "1958-07-16");
	assert_string_equal(json_string_value(json_object_get(m, "sex")), "M");
	assert_int_equal(json_integer_value(json_object_get(m, "age")), 67);
	{
		char mask[PII_MASK_MAX];
		pii_mask_id(id1, mask, sizeof(mask));
		assert_string_equal(json_string_value(json_object_get(m, "id_number")), mask);
		assert_int_equal(strncmp(mask, "4408**********161", 17), 0);
	}
	m = json_array_get(json_object_get(out, "members"), 1);
	assert_string_equal(json_string_value(json_object_get(m, "relation")), "配偶");
	assert_string_equal(json_string_value(json_object_get(m, "sex")), "F");
	json_decref(out);
	/* the next code follows; a taken code is refused */
	assert_int_equal(household_create(&c, in, &out), 0);
	assert_string_equal(json_string_value(json_object_get(out, "code")), "4408811042010002");
	json_decref(out);
	json_object_set_new(in, "code", json_string("4408811042010002"));
	assert_int_equal(household_create(&c, in, &out), ZL_E_HOUSEHOLD_CODE_EXISTS);
	json_decref(in);
	assert_int_equal(db_commit(db), 0);
	ctx_release(&c);
	pii_key_unload();
	db_close(db);
	free(p);
	rm_dir();
}

static int64_t stored_member_id(struct db *db, int64_t hid, const char *name, int removed)
{
	int64_t id = 0;
	assert_int_equal(db_get_int(db, &id,
				    removed ? "SELECT id FROM household_member WHERE household_id = ? AND name = ?"
					      " AND removed_at IS NOT NULL"
					    : "SELECT id FROM household_member WHERE household_id = ? AND name = ?"
					      " AND removed_at IS NULL",
				    "it", hid, name),
			 1);
	return id;
}

static void import_upsert(void **state)
{
	struct db *db = unit_db();
	struct ctx c;
	json_t *h;
	char id1[19], id2[19], *p = with_key("k.key");
	int64_t id = 0, again = 0, wife, events0, events1;
	int changed = -1;
	UNUSED(state);
	fixed_clock();
	make_id("44088119580716161", id1);
	make_id("44088119600102002", id2);
	ctx_init_system(&c, db);
	assert_int_equal(db_begin(db), 0);
	h = household_json("HH-0001", "440881104201", "13800138000", id1, id2);
	assert_int_equal(household_upsert_import(&c, h, &id, &changed), 0);
	assert_true(id > 0);
	assert_int_equal(changed, 1);
	wife = stored_member_id(db, id, "李秀兰", 0);
	db_get_int(db, &events0, "SELECT COUNT(*) FROM household_event WHERE household_id = ?", "i", id);

	/* the same again: nothing */
	assert_int_equal(household_upsert_import(&c, h, &again, &changed), 0);
	assert_int_equal(again, id);
	assert_int_equal(changed, 0);
	db_get_int(db, &events1, "SELECT COUNT(*) FROM household_event WHERE household_id = ?", "i", id);
	assert_int_equal(events1, events0);

	/* the wife's phone changes, the head's member row goes, a child comes:
	 * matched by ID number, so the wife keeps her row */
	json_t *members = json_object_get(h, "members");
	json_object_set_new(json_array_get(members, 1), "phone", json_string("13900002222"));
	json_array_remove(members, 0);
	json_array_append_new(members, json_pack("{s:s,s:s}", "name", "王小明", "relation", "儿子"));
	json_object_set_new(h, "tags", json_pack("[s,s]", "独居老人", "残疾人"));
	assert_int_equal(household_upsert_import(&c, h, &again, &changed), 0);
	assert_int_equal(changed, 1);
	assert_int_equal(again, id);
	assert_int_equal(stored_member_id(db, id, "李秀兰", 0), wife);
	stored_member_id(db, id, "王建国", 1);
	stored_member_id(db, id, "王小明", 0);
	assert_int_equal(count_by_phone(db, "13900002222", NULL), 1);
	assert_int_equal(count_by_phone(db, "13900001111", NULL), 0);
	assert_int_equal(count_by_phone(db, NULL, id1), 0); /* removed members do not match */
	assert_int_equal(count_by_phone(db, NULL, id2), 1);

	/* and that file again: nothing */
	assert_int_equal(household_upsert_import(&c, h, &again, &changed), 0);
	assert_int_equal(changed, 0);

	/* bad input comes back as field errors */
	json_object_set_new(h, "village_code", json_string("440881104999"));
	json_object_del(h, "code");
	assert_int_equal(household_upsert_import(&c, h, &again, &changed), ZL_E_VALIDATION);
	assert_true(has_field_error(&c, "code"));
	assert_true(has_field_error(&c, "village_code"));
	json_decref(h);
	assert_int_equal(db_commit(db), 0);
	ctx_release(&c);
	pii_key_unload();
	db_close(db);
	free(p);
	rm_dir();
}

static void relations(void **state)
{
	UNUSED(state);
	assert_string_equal(household_relation_normalise("户主"), "户主");
	assert_string_equal(household_relation_normalise("妻子"), "配偶");
	assert_string_equal(household_relation_normalise("女儿"), "子女");
	assert_string_equal(household_relation_normalise("外孙女"), "孙子女");
	assert_string_equal(household_relation_normalise("Spouse"), "配偶");
	assert_null(household_relation_normalise("表亲"));
	assert_null(household_relation_normalise(NULL));
}

/* ---- rotation ---- */

struct rot_fixture {
	struct db *db;
	char *key;
	int64_t hid;
	char id1[19], id2[19];
	unsigned char key_before[65];
};

static void read_file(const char *path, unsigned char out[65])
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	memset(out, 0, 65);
	assert_int_equal(fread(out, 1, 64, f), 64);
	fclose(f);
}

static void rot_setup(struct rot_fixture *fx)
{
	fixed_clock();
	fx->db = unit_db();
	fx->key = with_key("z.db.key");
	make_id("44088119580716161", fx->id1);
	make_id("44088119600102002", fx->id2);
	json_t *in = household_json(NULL, "440881104201", "13800138000", fx->id1, fx->id2);
	fx->hid = create_household(fx->db, in);
	json_decref(in);
	read_file(fx->key, fx->key_before);
}

static void rot_teardown(struct rot_fixture *fx)
{
	pii_key_unload();
	db_close(fx->db);
	free(fx->key);
	rm_dir();
}

/* Everything reads back in the clear and is found by its hash. */
static void assert_data_intact(struct rot_fixture *fx)
{
	json_t *h = get_revealed(fx->db, fx->hid), *m = json_object_get(h, "members");
	assert_string_equal(json_string_value(json_object_get(h, "phone")), "13800138000");
	assert_string_equal(json_string_value(json_object_get(json_array_get(m, 0), "id_number")), fx->id1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(m, 1), "id_number")), fx->id2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(m, 1), "phone")), "13900001111");
	json_decref(h);
	assert_int_equal(count_by_phone(fx->db, "13800138000", NULL), 1);
	assert_int_equal(count_by_phone(fx->db, "13900001111", NULL), 1);
	assert_int_equal(count_by_phone(fx->db, NULL, fx->id1), 1);
	assert_int_equal(count_by_phone(fx->db, NULL, fx->id2), 1);
}

static int exists(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0;
}

static void rotate_key(void **state)
{
	struct rot_fixture fx;
	unsigned char after[65];
	char before_id[PII_KEY_ID_HEX], after_id[PII_KEY_ID_HEX], *side;
	int64_t n = 0, audits = 0;
	struct stat sb;
	UNUSED(state);
	rot_setup(&fx);
	pii_key_id(before_id);
	assert_int_equal(pii_rotate(fx.db, fx.key, &n), 0);
	assert_int_equal(n, 4); /* household phone, two ID numbers, one member phone */
	pii_key_id(after_id);
	assert_string_not_equal(before_id, after_id);
	read_file(fx.key, after);
	assert_memory_not_equal(after, fx.key_before, 64);
	assert_int_equal(stat(fx.key, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	side = xasprintf("%s.new", fx.key);
	assert_false(exists(side));
	free(side);
	side = xasprintf("%s.old", fx.key);
	assert_false(exists(side));
	free(side);
	assert_data_intact(&fx);
	db_get_int(fx.db, &audits, "SELECT COUNT(*) FROM audit_log WHERE action = 'pii.rotate_key'", "");
	assert_int_equal(audits, 1);
	/* a fresh start with the new key file opens the data */
	assert_int_equal(pii_key_open(fx.db, fx.key, 0), 0);
	assert_data_intact(&fx);
	rot_teardown(&fx);
}

static void rotate_interrupted_before_commit(void **state)
{
	struct rot_fixture fx;
	unsigned char now[65];
	char *side;
	UNUSED(state);
	rot_setup(&fx);
	pii_rotate_test_crash(1);
	assert_int_equal(pii_rotate(fx.db, fx.key, NULL), ZL_E_INTERNAL);
	side = xasprintf("%s.new", fx.key);
	assert_true(exists(side));
	/* the plain loader will not guess */
	pii_key_unload();
	assert_int_equal(pii_key_load(fx.key, 0), ZL_E_CONFLICT);
	/* start-up with the database rolls back: the data is under the old key */
	assert_int_equal(pii_key_open(fx.db, fx.key, 0), 0);
	assert_non_null(strstr(pii_key_error(), "rolled back"));
	assert_false(exists(side));
	read_file(fx.key, now);
	assert_memory_equal(now, fx.key_before, 64);
	assert_data_intact(&fx);
	free(side);
	rot_teardown(&fx);
}

static void rotate_interrupted_after_commit(void **state)
{
	struct rot_fixture fx;
	unsigned char now[65], newkey[65];
	char *side;
	UNUSED(state);
	rot_setup(&fx);
	pii_rotate_test_crash(2);
	assert_int_equal(pii_rotate(fx.db, fx.key, NULL), ZL_E_INTERNAL);
	side = xasprintf("%s.new", fx.key);
	assert_true(exists(side));
	read_file(side, newkey);
	/* start-up finishes: the data is already under the new key */
	assert_int_equal(pii_key_open(fx.db, fx.key, 0), 0);
	assert_non_null(strstr(pii_key_error(), "finished"));
	assert_false(exists(side));
	read_file(fx.key, now);
	assert_memory_equal(now, newkey, 64);
	assert_data_intact(&fx);
	free(side);
	rot_teardown(&fx);
}

static void key_must_match_data(void **state)
{
	struct rot_fixture fx;
	char *other, *missing;
	UNUSED(state);
	rot_setup(&fx);
	pii_key_unload();
	other = key_path("other.key");
	assert_int_equal(pii_key_load(other, 1), 0);
	assert_int_equal(pii_key_open(fx.db, other, 0), ZL_E_PII_KEY_MISMATCH);
	assert_false(pii_key_loaded());
	/* no key file for a database holding encrypted data: not made up */
	missing = key_path("missing.key");
	assert_int_equal(pii_key_open(fx.db, missing, 0), ZL_E_NOT_FOUND);
	assert_false(exists(missing));
	/* a rotation refuses while another process shares the key */
	assert_int_equal(pii_key_open(fx.db, fx.key, 0), 0);
	int fd = open(fx.key, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_SH), 0);
	assert_int_equal(pii_rotate(fx.db, fx.key, NULL), ZL_E_BUSY);
	close(fd);
	assert_data_intact(&fx);
	free(other);
	free(missing);
	rot_teardown(&fx);
}

/* ---- timeline ---- */

/* A fake source: three items at the same second as the household's
 * events, to test the merge order and the cursor across sources. */
static int fake_fetch(struct ctx *c, int64_t hid, const struct timeline_window *w, json_t *out)
{
	char at[ZL_TIME_MAX];
	UNUSED(c);
	UNUSED(hid);
	time_format_utc(TEST_NOW_US, at);
	for (int64_t id = 3; id >= 1 && (int)json_array_size(out) < w->limit; id--) {
		if (w->before_at && !(strcmp(at, w->before_at) < 0 ||
				      (!strcmp(at, w->before_at) && id < w->before_id)))
			continue;
		json_array_append_new(out, json_pack("{s:I,s:s,s:s,s:s,s:s}", "id", (json_int_t)id, "at", at,
						     "kind", "contact.visit", "summary_zh", "走访",
						     "summary_en", "visit"));
	}
	return 0;
}

static void timeline_merge(void **state)
{
	static const struct timeline_source fake = { "contact", fake_fetch };
	struct db *db = unit_db();
	struct ctx c;
	char *p = with_key("k.key"), *cursor = NULL, id1[19], id2[19];
	json_t *in, *items = NULL, *m = NULL, *out = NULL;
	int64_t hid, mid;
	int seen = 0, household = 0;
	UNUSED(state);
	fixed_clock();
	make_id("44088119580716161", id1);
	make_id("44088119600102002", id2);
	in = household_json(NULL, "440881104201", NULL, id1, id2);
	hid = create_household(db, in);
	json_decref(in);
	ctx_init_system(&c, db);
	assert_int_equal(db_begin(db), 0);
	mid = stored_member_id(db, hid, "李秀兰", 0);
	in = json_pack("{s:s}", "occupation", "务农");
	assert_int_equal(household_member_update(&c, hid, mid, in, &out), 0);
	json_decref(in);
	json_decref(out);
	assert_int_equal(household_member_remove(&c, hid, mid, "", &out), ZL_E_VALIDATION);
	assert_true(has_field_error(&c, "reason"));
	verr_release(&c.errs);
	assert_int_equal(household_member_remove(&c, hid, mid, "外出务工迁出", &out), 0);
	json_decref(out);
	in = json_object();
	assert_int_equal(household_member_update(&c, hid, mid, in, &out), ZL_E_MEMBER_REMOVED);
	json_decref(in);
	assert_int_equal(db_commit(db), 0);
	household_timeline_register(&fake);

	/* pages of two until the end: 3 household events + 3 fake, each once */
	do {
		char *next = NULL;
		size_t i;
		json_t *it;
		assert_int_equal(household_timeline(&c, hid, cursor, 2, &items, &next), 0);
		json_array_foreach(items, i, it) {
			const char *src = json_string_value(json_object_get(it, "source"));
			assert_non_null(json_object_get(it, "summary"));
			if (!strcmp(src, "household"))
				household++;
			seen++;
		}
		json_decref(items);
		free(cursor);
		cursor = next;
	} while (cursor);
	assert_int_equal(household, 3);
	assert_int_equal(seen, 6);
	/* newest first; the member changes are there */
	assert_int_equal(household_timeline(&c, hid, NULL, 10, &items, &cursor), 0);
	assert_null(cursor);
	assert_string_equal(json_string_value(json_object_get(json_array_get(items, 0), "kind")), "member.remove");
	assert_string_equal(json_string_value(json_object_get(json_array_get(items, 1), "kind")), "member.update");
	json_decref(items);
	assert_int_equal(household_timeline(&c, hid, "garbage!", 10, &items, &cursor), ZL_E_VALIDATION);
	verr_release(&c.errs);
	assert_int_equal(household_timeline(&c, hid + 100, NULL, 10, &items, &cursor), ZL_E_NOT_FOUND);
	json_decref(m);
	ctx_release(&c);
	pii_key_unload();
	db_close(db);
	free(p);
	rm_dir();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(id_valid_generated),
		cmocka_unit_test(id_invalid),
		cmocka_unit_test(mobiles),
		cmocka_unit_test(masking),
		cmocka_unit_test(keyed_lookup),
		cmocka_unit_test(encrypt_round_trip_and_tamper),
		cmocka_unit_test(key_file_rules),
		cmocka_unit_test(relations),
		cmocka_unit_test(create_checks_fields),
		cmocka_unit_test(import_upsert),
		cmocka_unit_test(rotate_key),
		cmocka_unit_test(rotate_interrupted_before_commit),
		cmocka_unit_test(rotate_interrupted_after_commit),
		cmocka_unit_test(key_must_match_data),
		cmocka_unit_test(timeline_merge),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
