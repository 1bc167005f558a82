/*
 * test_contacts.c: the contact module's logic without a server: the 24-hour
 * edit window at its boundary with the test clock, the canonical form behind
 * the UUID upsert's content hash, and photo type sniffing (good, wrong,
 * truncated).
 */
#include <jansson.h>

#include "unit.h"

#include "contacts/contacts.h"
#include "platform/clock.h"
#include "platform/error.h"

/* 2026-03-02T01:00:00Z */
#define TEST_NOW_US (1772413200LL * USEC_PER_SEC)

static void fixed_clock(void)
{
	clock_test_enable();
	assert_int_equal(clock_test_set(TEST_NOW_US), 0);
}

static void edit_window_boundary(void **state)
{
	int64_t created = TEST_NOW_US;
	(void)state;
	assert_true(contact_editable(created, created));
	assert_true(contact_editable(created, created + CONTACT_EDIT_WINDOW_US - 1));
	assert_false(contact_editable(created, created + CONTACT_EDIT_WINDOW_US));
	assert_false(contact_editable(created, created + 2 * CONTACT_EDIT_WINDOW_US));
	/* with the test clock: one second before and at the end */
	fixed_clock();
	assert_int_equal(clock_test_advance(CONTACT_EDIT_WINDOW_US - USEC_PER_SEC), 0);
	assert_true(contact_editable(created, clock_now()));
	assert_int_equal(clock_test_advance(USEC_PER_SEC), 0);
	assert_false(contact_editable(created, clock_now()));
}

static void hash_of(const char *js, int64_t author, char out[65], int expect_rc)
{
	struct ctx c;
	json_t *in = json_loads(js, 0, NULL);
	assert_non_null(in);
	ctx_init_system(&c, NULL);
	assert_int_equal(contact_content_hash(&c, in, author, out, NULL), expect_rc);
	ctx_release(&c);
	json_decref(in);
}

static void content_hash_canonical(void **state)
{
	char a[65], b[65], d[65];
	(void)state;
	fixed_clock();
	hash_of("{\"uuid\":\"0f8fad5b-d9cb-469f-a165-70867728950e\",\"method\":\"home_visit\","
		"\"started_at\":\"2026-03-02T08:30:00+08:00\",\"duration_min\":30,\"summary\":\"走访\","
		"\"households\":[3,1,2,1],\"cadres\":[9,7],\"lat\":21,\"lng\":112.5,"
		"\"people\":[{\"name\":\"乙\"},{\"member_id\":4},\"甲\"],\"place\":null,\"issues\":[]}",
		5, a, 0);
	/* other key order, uuid, time zone, list order, integer vs real,
	 * null vs absent, empty list vs absent, author among the cadres */
	hash_of("{\"issues\":[],\"people\":[\"乙\",{\"name\":\"甲\"},{\"member_id\":4}],\"lng\":112.5,"
		"\"lat\":21.0,\"cadres\":[7,9,5],\"households\":[1,2,3],\"summary\":\"走访\",\"duration_min\":30,"
		"\"started_at\":\"2026-03-02T00:30:00Z\",\"method\":\"home_visit\","
		"\"uuid\":\"11111111-2222-4333-8444-555555555555\"}",
		5, b, 0);
	assert_string_equal(a, b);
	assert_int_equal(strlen(a), 64);
	/* another author, another summary, another household: another hash */
	hash_of("{\"method\":\"home_visit\",\"started_at\":\"2026-03-02T00:30:00Z\",\"duration_min\":30,"
		"\"summary\":\"走访\",\"households\":[1,2,3],\"cadres\":[7,9],\"lat\":21,\"lng\":112.5,"
		"\"people\":[\"甲\",\"乙\",{\"member_id\":4}]}",
		6, d, 0);
	assert_string_not_equal(a, d);
	hash_of("{\"method\":\"home_visit\",\"started_at\":\"2026-03-02T00:30:00Z\",\"duration_min\":30,"
		"\"summary\":\"走访。\",\"households\":[1,2,3],\"cadres\":[7,9],\"lat\":21,\"lng\":112.5,"
		"\"people\":[\"甲\",\"乙\",{\"member_id\":4}]}",
		5, d, 0);
	assert_string_not_equal(a, d);
	/* malformed input has no hash */
	hash_of("{\"method\":\"home_visit\",\"started_at\":\"2026-03-02T00:30:00Z\",\"duration_min\":0,"
		"\"summary\":\"走访\",\"households\":[1]}",
		5, d, ZL_E_VALIDATION);
	hash_of("{\"method\":\"home_visit\",\"started_at\":\"2026-03-03T00:30:00Z\",\"duration_min\":5,"
		"\"summary\":\"走访\",\"households\":[1]}",
		5, d, ZL_E_VALIDATION); /* a day ahead of the clock */
}

/* ---- photos ---- */

static size_t put_chunk(unsigned char *p, const char *type, const unsigned char *data, uint32_t n)
{
	/* the sniffer does not check CRCs: a zero one will do */
	p[0] = (unsigned char)(n >> 24);
	p[1] = (unsigned char)(n >> 16);
	p[2] = (unsigned char)(n >> 8);
	p[3] = (unsigned char)n;
	memcpy(p + 4, type, 4);
	if (n)
		memcpy(p + 8, data, n);
	memset(p + 8 + n, 0, 4);
	return 12 + n;
}

static size_t make_png(unsigned char *out, uint32_t w, uint32_t h, unsigned char depth)
{
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	unsigned char ihdr[13] = { 0 }, idat[4] = { 0x78, 0x9c, 0x03, 0x00 };
	size_t n = 8;
	memcpy(out, sig, 8);
	for (int i = 0; i < 4; i++) {
		ihdr[i] = (unsigned char)(w >> (24 - 8 * i));
		ihdr[4 + i] = (unsigned char)(h >> (24 - 8 * i));
	}
	ihdr[8] = depth;
	ihdr[9] = 2;
	n += put_chunk(out + n, "IHDR", ihdr, 13);
	n += put_chunk(out + n, "IDAT", idat, 4);
	n += put_chunk(out + n, "IEND", NULL, 0);
	return n;
}

static const unsigned char jpeg[] = {
	0xFF, 0xD8,                                                             /* SOI */
	0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, /* APP0 */
	0xFF, 0xC0, 0x00, 0x0B, 8, 0x00, 0x10, 0x00, 0x20, 1, 1, 0x11, 0,       /* SOF0 16x32 */
	0xFF, 0xDA, 0x00, 0x08, 1, 1, 0x00, 0, 0x3F, 0,                         /* SOS */
	0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56,                               /* data, stuffed, RST0 */
	0xFF, 0xD9                                                              /* EOI */
};

static void photo_sniffing(void **state)
{
	unsigned char png[128], buf[256];
	size_t n = make_png(png, 640, 480, 8);
	const char *text = "just a text file named photo.jpg\n";
	(void)state;
	assert_string_equal(contact_photo_sniff(png, n), "image/png");
	assert_string_equal(contact_photo_sniff(jpeg, sizeof(jpeg)), "image/jpeg");
	/* bytes after a JPEG's EOI are allowed */
	memcpy(buf, jpeg, sizeof(jpeg));
	memset(buf + sizeof(jpeg), 0, 16);
	assert_string_equal(contact_photo_sniff(buf, sizeof(jpeg) + 16), "image/jpeg");

	/* wrong: text, empty, NULL */
	assert_null(contact_photo_sniff((const unsigned char *)text, strlen(text)));
	assert_null(contact_photo_sniff(png, 0));
	assert_null(contact_photo_sniff(NULL, 10));
	/* truncated: every proper prefix fails */
	for (size_t k = 0; k < n; k++)
		assert_null(contact_photo_sniff(png, k));
	for (size_t k = 0; k < sizeof(jpeg); k++)
		assert_null(contact_photo_sniff(jpeg, k));
	/* implausible headers: zero or huge size, bad bit depth */
	n = make_png(png, 0, 480, 8);
	assert_null(contact_photo_sniff(png, n));
	n = make_png(png, 100000, 480, 8);
	assert_null(contact_photo_sniff(png, n));
	n = make_png(png, 640, 480, 3);
	assert_null(contact_photo_sniff(png, n));
	/* a JPEG whose frame has no height, and one without any frame */
	memcpy(buf, jpeg, sizeof(jpeg));
	buf[27] = 0, buf[28] = 0;
	assert_null(contact_photo_sniff(buf, sizeof(jpeg)));
	memcpy(buf, jpeg, 20);
	memcpy(buf + 20, jpeg + 33, sizeof(jpeg) - 33);
	assert_null(contact_photo_sniff(buf, sizeof(jpeg) - 13));
	/* a PNG signature in front of JPEG bytes is neither */
	memcpy(buf, png, 8);
	memcpy(buf + 8, jpeg, sizeof(jpeg));
	assert_null(contact_photo_sniff(buf, 8 + sizeof(jpeg)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(edit_window_boundary),
		cmocka_unit_test(content_hash_canonical),
		cmocka_unit_test(photo_sniffing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
