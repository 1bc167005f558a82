/*
 * members.c: household members: parsing and checking a member (ID number
 * with its birth date and sex, mobile, relation to the head), adding,
 * changing and removing (never deleting) one, and their JSON.
 */
#include "households/households_int.h"

#include "platform/audit.h"
#include "platform/clock.h"
#include "platform/error.h"

#define MEMBER_NAME_MAX 32
#define OCCUPATION_MAX 64
#define REMARKS_MAX 500
#define REASON_MAX 200

#define MEMBER_COLS                                                                                \
	"id, name, relation, id_number_enc, id_number_mask, phone_enc, phone_mask, birth_date, sex," \
	" occupation, remarks, removed_at, removed_reason, created_at, updated_at, id_number_hash,"  \
	" phone_hash"

/* ---- relations ---- */

static const struct {
	const char *canon;
	const char *alias[16];
} relations[] = {
	{ "户主", { "本人", "户主本人", "head", NULL } },
	{ "配偶", { "妻子", "丈夫", "妻", "夫", "老婆", "老公", "spouse", NULL } },
	{ "子女", { "儿子", "女儿", "长子", "次子", "三子", "长女", "次女", "三女", "子", "女", "养子", "养女",
		    "继子", "继女", "child", NULL } },
	{ "父母", { "父亲", "母亲", "父", "母", "parent", NULL } },
	{ "孙子女", { "孙子", "孙女", "外孙", "外孙子", "外孙女", "grandchild", NULL } },
	{ "兄弟姐妹", { "哥哥", "弟弟", "姐姐", "妹妹", "兄", "弟", "姐", "妹", "兄弟", "姐妹", "sibling", NULL } },
	{ "祖父母", { "祖父", "祖母", "爷爷", "奶奶", "外祖父", "外祖母", "grandparent", NULL } },
	{ "儿媳", { "媳妇", "daughter-in-law", NULL } },
	{ "女婿", { "son-in-law", NULL } },
	{ "其他", { "其它", "other", NULL } },
};

const char *household_relation_normalise(const char *s)
{
	if (!s)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(relations); i++) {
		if (!strcmp(s, relations[i].canon))
			return relations[i].canon;
		for (size_t j = 0; relations[i].alias[j]; j++)
			if (!strcasecmp(s, relations[i].alias[j]))
				return relations[i].canon;
	}
	return NULL;
}

/* ---- parsing ---- */

static int birth_ok(const char *s)
{
	int64_t days, now = (clock_now_sec() + ZL_TZ_OFFSET_MIN * 60) / 86400;
	return strlen(s) == 10 && date_parse(s, &days) == 0 && days >= days_from_civil(1900, 1, 1) &&
	       days <= now;
}

/* "M"/"F" from M, F, 男, 女 (any case); NULL otherwise. */
static const char *sex_parse(const char *s)
{
	if (!strcasecmp(s, "M") || !strcmp(s, "男"))
		return "M";
	if (!strcasecmp(s, "F") || !strcmp(s, "女"))
		return "F";
	return NULL;
}

/* A string field of a member: 1 present (value or "" for null), 0 absent,
 * -1 a field error. */
static int mfield(struct ctx *c, const json_t *o, const char *prefix, const char *name, const char **out)
{
	int present = 0;
	if (hh_opt_str(c, o, prefix, name, &present, out))
		return -1;
	if (present && !*out)
		*out = "";
	return present;
}

static void id_number_parse(struct ctx *c, const char *f, const char *s, struct member_in *m)
{
	const char *why_en = NULL, *why_zh = NULL;
	char birth[11], sex = 0, zh[200], en[200];
	if (pii_id_check(s, birth, &sex, &why_en, &why_zh) != 0) {
		snprintf(zh, sizeof(zh), "“%s”无效：%s", f, why_zh);
		snprintf(en, sizeof(en), "'%s' is invalid: %s", f, why_en);
		verr_add(&c->errs, f, zh, en);
		return;
	}
	pii_id_normalise(s, m->id_number);
	/* what the ID number says; checked against given values below */
	snprintf(m->birth, sizeof(m->birth), "%s", birth);
	m->sex[0] = sex;
	m->sex[1] = '\0';
	m->birth_derived = m->sex_derived = 1;
}

int hh_member_parse(struct ctx *c, const json_t *o, const char *prefix, int patch, struct member_in *m)
{
	size_t n0 = c->errs.n;
	const char *s = NULL, *birth = NULL, *sex = NULL;
	char f[HH_FIELD_MAX];
	int r;

	memset(m, 0, sizeof(*m));
	if (!json_is_object(o)) {
		snprintf(f, sizeof(f), "%.*s", (int)(prefix && *prefix ? strlen(prefix) - 1 : 0), prefix ? prefix : "");
		hh_ferr(c, *f ? f : "member", "“%s”应为对象", "'%s' must be an object");
		return ZL_E_VALIDATION;
	}
	hh_field(f, prefix, "name");
	if ((r = mfield(c, o, prefix, "name", &s)) >= 0 && (r || !patch)) {
		m->present |= M_NAME;
		m->name = s;
		if (!s || !*s)
			verr_required(c, f);
		else
			hh_text_ok(c, f, s, 1, MEMBER_NAME_MAX, 0);
	}
	hh_field(f, prefix, "relation");
	if ((r = mfield(c, o, prefix, "relation", &s)) >= 0 && (r || !patch)) {
		m->present |= M_RELATION;
		if (!s || !*s)
			verr_required(c, f);
		else if (!(m->relation = household_relation_normalise(s)))
			hh_ferr(c, f, "“%s”应为 户主、配偶、子女、父母、孙子女、兄弟姐妹、祖父母、儿媳、女婿 或 其他",
				"'%s' must be one of 户主, 配偶, 子女, 父母, 孙子女, 兄弟姐妹, 祖父母, 儿媳, 女婿, 其他");
	}
	hh_field(f, prefix, "id_number");
	if (mfield(c, o, prefix, "id_number", &s) == 1) {
		m->present |= M_ID;
		if (*s)
			id_number_parse(c, f, s, m);
	}
	hh_field(f, prefix, "phone");
	if (mfield(c, o, prefix, "phone", &s) == 1) {
		m->present |= M_PHONE;
		if (*s && pii_mobile_check(s, m->phone) != 0)
			hh_ferr(c, f, "“%s”应为 11 位手机号码", "'%s' must be an 11-digit mainland mobile number");
	}
	hh_field(f, prefix, "birth_date");
	if (mfield(c, o, prefix, "birth_date", &birth) == 1) {
		m->present |= M_BIRTH;
		if (*birth && !birth_ok(birth))
			hh_ferr(c, f, "“%s”应为 1900 年以来、不晚于今天的日期，如 1968-05-12",
				"'%s' must be a date from 1900 to today, such as 1968-05-12");
		else if (*birth && m->birth_derived && strcmp(birth, m->birth) != 0)
			hh_ferr(c, f, "“%s”与身份证号中的出生日期不符",
				"'%s' does not agree with the birth date in the id number");
		else if (!m->birth_derived)
			snprintf(m->birth, sizeof(m->birth), "%s", birth);
	}
	hh_field(f, prefix, "sex");
	if (mfield(c, o, prefix, "sex", &sex) == 1) {
		const char *v = *sex ? sex_parse(sex) : "";
		m->present |= M_SEX;
		if (!v)
			hh_ferr(c, f, "“%s”应为 M（男）或 F（女）", "'%s' must be M or F");
		else if (*v && m->sex_derived && strcmp(v, m->sex) != 0)
			hh_ferr(c, f, "“%s”与身份证号显示的性别不符",
				"'%s' does not agree with the sex given by the id number");
		else if (!m->sex_derived)
			snprintf(m->sex, sizeof(m->sex), "%s", v);
	}
	if (m->birth_derived)
		m->present |= M_BIRTH | M_SEX;
	hh_field(f, prefix, "occupation");
	if (mfield(c, o, prefix, "occupation", &s) == 1) {
		m->present |= M_OCCUPATION;
		m->occupation = s;
		if (*s)
			hh_text_ok(c, f, s, 1, OCCUPATION_MAX, 0);
	}
	hh_field(f, prefix, "remarks");
	if (mfield(c, o, prefix, "remarks", &s) == 1) {
		m->present |= M_REMARKS;
		m->remarks = s;
		if (*s)
			hh_text_ok(c, f, s, 1, REMARKS_MAX, 1);
	}
	return c->errs.n > n0 ? ZL_E_VALIDATION : 0;
}

/* ---- storage ---- */

static const char *nz(const char *s)
{
	return s && *s ? s : NULL;
}

/* Binds encrypted value, hash and mask at i, i+1, i+2 (NULLs for ""). */
static int bind_secret(struct db_stmt *st, int i, const char *v, int is_id, unsigned char **blob)
{
	size_t len = 0;
	char hash[PII_HASH_HEX], mask[PII_MASK_MAX];
	int rc;
	*blob = NULL;
	if (!v || !*v) {
		db_bind_null(st, i);
		db_bind_null(st, i + 1);
		db_bind_null(st, i + 2);
		return 0;
	}
	rc = pii_encrypt(v, blob, &len);
	if (rc)
		return rc;
	pii_hash(v, hash);
	if (is_id)
		pii_mask_id(v, mask, sizeof(mask));
	else
		pii_mask_phone(v, mask, sizeof(mask));
	db_bind_blob(st, i, *blob, len);
	db_bind_text(st, i + 1, hash);
	db_bind_text(st, i + 2, mask);
	return 0;
}

int hh_member_insert(struct ctx *c, int64_t hid, const struct member_in *m, const char *now, int64_t *mid)
{
	struct db_stmt *st = NULL;
	unsigned char *idb = NULL, *phb = NULL;
	int rc = db_prepare(c->db,
			    "INSERT INTO household_member(household_id, name, relation, id_number_enc,"
			    " id_number_hash, id_number_mask, phone_enc, phone_hash, phone_mask, birth_date,"
			    " sex, occupation, remarks, created_at, updated_at)"
			    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			    &st);
	if (rc)
		return rc;
	db_bindv(st, "itt", hid, m->name, m->relation);
	rc = bind_secret(st, 4, m->id_number, 1, &idb);
	if (!rc)
		rc = bind_secret(st, 7, m->phone, 0, &phb);
	if (!rc) {
		db_bind_text(st, 10, nz(m->birth));
		db_bind_text(st, 11, nz(m->sex));
		db_bind_text(st, 12, nz(m->occupation));
		db_bind_text(st, 13, nz(m->remarks));
		db_bind_text(st, 14, now);
		db_bind_text(st, 15, now);
		rc = db_step(st);
		rc = rc < 0 ? rc : 0;
	}
	db_done(st);
	free(idb);
	free(phb);
	if (!rc)
		*mid = db_last_id(c->db);
	return rc;
}

/* ---- JSON ---- */

static json_t *age_json(const char *birth)
{
	int64_t b, now = (clock_now_sec() + ZL_TZ_OFFSET_MIN * 60) / 86400;
	int by, bm, bd, ny, nm, nd, age;
	if (!birth || date_parse(birth, &b) != 0)
		return json_null();
	civil_from_days(b, &by, &bm, &bd);
	civil_from_days(now, &ny, &nm, &nd);
	age = ny - by - ((nm < bm || (nm == bm && nd < bd)) ? 1 : 0);
	return json_integer(age < 0 ? 0 : age);
}

/* A secret column pair of the statement's row as JSON. */
static int secret_json(struct db_stmt *st, int enc_col, int mask_col, int reveal, json_t **out, int *shown)
{
	size_t n = 0;
	const unsigned char *b = db_col_blob(st, enc_col, &n);
	return hh_secret_json(b, n, db_col_text(st, mask_col), reveal, out, shown);
}

/* The member at the statement's row (MEMBER_COLS). */
static int member_json(struct db_stmt *st, int reveal, json_t **out, int *ids, int *phones)
{
	json_t *idj = NULL, *phj = NULL;
	int rc = secret_json(st, 3, 4, reveal, &idj, ids);
	if (!rc)
		rc = secret_json(st, 5, 6, reveal, &phj, phones);
	if (rc) {
		json_decref(idj);
		*out = NULL;
		return rc;
	}
	*out = json_pack("{s:I,s:s,s:s,s:o,s:o,s:s?,s:o,s:s?,s:s?,s:s?,s:o,s:s?,s:o,s:o}", "id",
			 (json_int_t)db_col_int(st, 0), "name", db_col_text(st, 1), "relation",
			 db_col_text(st, 2), "id_number", idj, "phone", phj, "birth_date",
			 db_col_text(st, 7), "age", age_json(db_col_text(st, 7)), "sex", db_col_text(st, 8),
			 "occupation", db_col_text(st, 9), "remarks", db_col_text(st, 10), "removed_at",
			 hh_time_json(db_col_text(st, 11)), "removed_reason", db_col_text(st, 12),
			 "created_at", hh_time_json(db_col_text(st, 13)), "updated_at",
			 hh_time_json(db_col_text(st, 14)));
	return *out ? 0 : ZL_E_INTERNAL;
}

int hh_members_json(struct ctx *c, int64_t hid, int reveal, json_t **out, int *ids, int *phones)
{
	struct db_stmt *st = NULL;
	int dummy_ids = 0, dummy_phones = 0;
	int rc = db_prepare(c->db,
			    "SELECT " MEMBER_COLS " FROM household_member WHERE household_id = ?"
			    " ORDER BY CASE WHEN removed_at IS NULL THEN 0 ELSE 1 END, id",
			    &st);
	*out = NULL;
	if (rc)
		return rc;
	db_bind_int(st, 1, hid);
	*out = json_array();
	while ((rc = db_step(st)) == 1) {
		json_t *m = NULL;
		rc = member_json(st, reveal, &m, ids ? ids : &dummy_ids, phones ? phones : &dummy_phones);
		if (rc)
			break;
		json_array_append_new(*out, m);
	}
	db_done(st);
	if (rc < 0) {
		json_decref(*out);
		*out = NULL;
		return rc;
	}
	return 0;
}

/* ---- the stored members ---- */

static void member_row_release(struct member_row *r)
{
	free(r->name);
	free(r->relation);
	free(r->id_hash);
	free(r->phone_hash);
	free(r->birth);
	free(r->sex);
	free(r->occupation);
	free(r->remarks);
}

static void member_row_read(struct db_stmt *st, struct member_row *r)
{
	memset(r, 0, sizeof(*r));
	r->id = db_col_int(st, 0);
	r->name = hh_col_dup(st, 1);
	r->relation = hh_col_dup(st, 2);
	r->birth = hh_col_dup(st, 7);
	r->sex = hh_col_dup(st, 8);
	r->occupation = hh_col_dup(st, 9);
	r->remarks = hh_col_dup(st, 10);
	r->id_hash = hh_col_dup(st, 15);
	r->phone_hash = hh_col_dup(st, 16);
}

void hh_member_rows_free(struct member_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		member_row_release(&rows[i]);
	free(rows);
}

int hh_members_current(struct ctx *c, int64_t hid, struct member_row **rows, size_t *n)
{
	struct db_stmt *st = NULL;
	size_t alloc = 8;
	int rc = db_prepare(c->db,
			    "SELECT " MEMBER_COLS " FROM household_member WHERE household_id = ?"
			    " AND removed_at IS NULL ORDER BY id",
			    &st);
	*rows = NULL;
	*n = 0;
	if (rc)
		return rc;
	db_bind_int(st, 1, hid);
	*rows = xcalloc(alloc, sizeof(**rows));
	while ((rc = db_step(st)) == 1) {
		if (*n == alloc) {
			alloc *= 2;
			*rows = xrealloc(*rows, alloc * sizeof(**rows));
		}
		member_row_read(st, &(*rows)[(*n)++]);
	}
	db_done(st);
	if (rc < 0) {
		hh_member_rows_free(*rows, *n);
		*rows = NULL;
		*n = 0;
		return rc;
	}
	return 0;
}

/* One member of household hid (household checked for scope first), as a
 * row and as masked JSON; *removed set if it has been removed. */
static int member_load(struct ctx *c, int64_t hid, int64_t mid, struct member_row *r, json_t **masked,
		       int *removed)
{
	struct db_stmt *st = NULL;
	int ids = 0, phones = 0;
	int rc = hh_check(c, hid);
	*masked = NULL;
	if (rc)
		return rc;
	rc = db_prepare(c->db, "SELECT " MEMBER_COLS " FROM household_member WHERE id = ? AND household_id = ?",
			&st);
	if (rc)
		return rc;
	db_bindv(st, "ii", mid, hid);
	rc = db_step(st);
	if (rc == 1) {
		member_row_read(st, r);
		*removed = !db_col_isnull(st, 11);
		rc = member_json(st, 0, masked, &ids, &phones);
		if (rc)
			member_row_release(r);
	} else if (rc == 0) {
		rc = ZL_E_NOT_FOUND;
	}
	db_done(st);
	return rc;
}

static int member_masked(struct ctx *c, int64_t hid, int64_t mid, json_t **out)
{
	struct member_row r;
	int removed = 0;
	int rc = member_load(c, hid, mid, &r, out, &removed);
	if (!rc)
		member_row_release(&r);
	return rc;
}

/* Rules across a household's current members: one head, no repeated ID
 * number. except: a member id to leave out (the one being changed). */
static int member_household_rules(struct ctx *c, int64_t hid, int64_t except, const struct member_in *m)
{
	int64_t one;
	int rc;
	if ((m->present & M_RELATION) && m->relation && !strcmp(m->relation, "户主")) {
		rc = db_get_int(c->db, &one,
				"SELECT 1 FROM household_member WHERE household_id = ? AND id <> ?"
				" AND removed_at IS NULL AND relation = ?",
				"iit", hid, except, "户主");
		if (rc < 0)
			return rc;
		if (rc == 1)
			hh_ferr(c, "relation", "“%s”：本户已有户主", "'%s': the household already has a head");
	}
	if ((m->present & M_ID) && m->id_number[0]) {
		char h[PII_HASH_HEX];
		pii_hash(m->id_number, h);
		rc = db_get_int(c->db, &one,
				"SELECT 1 FROM household_member WHERE household_id = ? AND id <> ?"
				" AND removed_at IS NULL AND id_number_hash = ?",
				"iit", hid, except, h);
		if (rc < 0)
			return rc;
		if (rc == 1)
			hh_ferr(c, "id_number", "“%s”：本户已有此身份证号的成员",
				"'%s': a member of the household has this id number");
	}
	return c->errs.n ? ZL_E_VALIDATION : 0;
}

static int member_audit(struct ctx *c, const char *action, int64_t hid, int64_t mid, json_t *before,
			json_t *after)
{
	char idt[24];
	json_t *b = before ? json_pack("{s:I,s:O}", "member_id", (json_int_t)mid, "member", before) : NULL;
	json_t *a = after ? json_pack("{s:I,s:O}", "member_id", (json_int_t)mid, "member", after) : NULL;
	int rc;
	hh_id_text(hid, idt);
	rc = audit_log(c, action, "household", idt, b, a);
	json_decref(b);
	json_decref(a);
	return rc;
}

int household_member_add(struct ctx *c, int64_t hid, const json_t *in, json_t **out)
{
	struct member_in m;
	char now[ZL_TIME_MAX], *zh = NULL, *en = NULL;
	json_t *data = NULL;
	int64_t mid = 0;
	int rc;

	*out = NULL;
	rc = hh_check(c, hid);
	if (rc)
		return rc;
	if (!json_is_object(in))
		return ZL_E_BAD_JSON;
	rc = hh_member_parse(c, in, "", 0, &m);
	if (!rc)
		rc = member_household_rules(c, hid, 0, &m);
	if (rc)
		return rc;
	hh_now(now);
	rc = hh_member_insert(c, hid, &m, now, &mid);
	if (!rc)
		rc = hh_touch(c, hid, now);
	if (!rc)
		rc = member_masked(c, hid, mid, out);
	if (rc)
		goto out;
	zh = xasprintf("新增成员：%s（%s）", m.name, m.relation);
	en = xasprintf("member added: %s (%s)", m.name, m.relation);
	data = json_pack("{s:I}", "member_id", (json_int_t)mid);
	rc = hh_event(c, hid, "member.add", zh, en, data);
	if (!rc)
		rc = member_audit(c, "household.member_add", hid, mid, NULL, *out);
out:
	if (rc) {
		json_decref(*out);
		*out = NULL;
	}
	json_decref(data);
	free(zh);
	free(en);
	return rc;
}

static const struct {
	unsigned bit;
	const char *field, *zh;
} member_fields[] = {
	{ M_NAME, "name", "姓名" },       { M_RELATION, "relation", "与户主关系" },
	{ M_ID, "id_number", "身份证号" }, { M_PHONE, "phone", "电话" },
	{ M_BIRTH, "birth_date", "出生日期" }, { M_SEX, "sex", "性别" },
	{ M_OCCUPATION, "occupation", "职业" }, { M_REMARKS, "remarks", "备注" },
};

static int differs(const char *stored, const char *given)
{
	const char *a = stored ? stored : "", *b = given ? given : "";
	return strcmp(a, b) != 0;
}

static int hash_differs(const char *stored_hash, const char *value)
{
	char h[PII_HASH_HEX];
	if (!value || !*value)
		return stored_hash != NULL;
	pii_hash(value, h);
	return !stored_hash || strcmp(stored_hash, h) != 0;
}

/* Which of m's present fields differ from the stored row. */
static unsigned member_changes(const struct member_row *r, const struct member_in *m)
{
	unsigned ch = 0;
	if ((m->present & M_NAME) && differs(r->name, m->name))
		ch |= M_NAME;
	if ((m->present & M_RELATION) && differs(r->relation, m->relation))
		ch |= M_RELATION;
	if ((m->present & M_ID) && hash_differs(r->id_hash, m->id_number))
		ch |= M_ID;
	if ((m->present & M_PHONE) && hash_differs(r->phone_hash, m->phone))
		ch |= M_PHONE;
	if ((m->present & M_BIRTH) && differs(r->birth, m->birth))
		ch |= M_BIRTH;
	if ((m->present & M_SEX) && differs(r->sex, m->sex))
		ch |= M_SEX;
	if ((m->present & M_OCCUPATION) && differs(r->occupation, m->occupation))
		ch |= M_OCCUPATION;
	if ((m->present & M_REMARKS) && differs(r->remarks, m->remarks))
		ch |= M_REMARKS;
	return ch;
}

/* Binds a secret's encrypted value, hash and mask from index *i on
 * (NULLs for ""); *blob is the caller's to free. */
static int bind_secret_at(struct db_stmt *st, int *i, const char *v, int is_id, unsigned char **blob)
{
	int rc = bind_secret(st, *i, v, is_id, blob);
	*i += 3;
	return rc;
}

/* Writes the changed fields of m to member mid: only those columns, so the
 * statement's shape follows the change (at most 2^8 shapes). */
static int member_write(struct ctx *c, int64_t mid, const struct member_in *m, unsigned ch, const char *now)
{
	static const struct {
		unsigned bit;
		const char *set;
	} cols[] = {
		{ M_NAME, "name = ?" },
		{ M_RELATION, "relation = ?" },
		{ M_ID, "id_number_enc = ?, id_number_hash = ?, id_number_mask = ?" },
		{ M_PHONE, "phone_enc = ?, phone_hash = ?, phone_mask = ?" },
		{ M_BIRTH, "birth_date = ?" },
		{ M_SEX, "sex = ?" },
		{ M_OCCUPATION, "occupation = ?" },
		{ M_REMARKS, "remarks = ?" },
	};
	struct buf sql = BUF_INIT;
	struct db_stmt *st = NULL;
	unsigned char *idb = NULL, *phb = NULL;
	int i = 1, rc;

	buf_adds(&sql, "UPDATE household_member SET ");
	for (size_t k = 0; k < ARRAY_SIZE(cols); k++)
		if (ch & cols[k].bit)
			buf_addf(&sql, "%s, ", cols[k].set);
	buf_adds(&sql, "updated_at = ? WHERE id = ?");
	rc = db_prepare(c->db, sql.data, &st);
	buf_release(&sql);
	if (rc)
		return rc;
	if (ch & M_NAME)
		db_bind_text(st, i++, m->name);
	if (ch & M_RELATION)
		db_bind_text(st, i++, m->relation);
	if (ch & M_ID)
		rc = bind_secret_at(st, &i, m->id_number, 1, &idb);
	if (!rc && (ch & M_PHONE))
		rc = bind_secret_at(st, &i, m->phone, 0, &phb);
	if (!rc) {
		if (ch & M_BIRTH)
			db_bind_text(st, i++, nz(m->birth));
		if (ch & M_SEX)
			db_bind_text(st, i++, nz(m->sex));
		if (ch & M_OCCUPATION)
			db_bind_text(st, i++, nz(m->occupation));
		if (ch & M_REMARKS)
			db_bind_text(st, i++, nz(m->remarks));
		db_bind_text(st, i++, now);
		db_bind_int(st, i, mid);
		rc = db_step(st);
		rc = rc < 0 ? rc : 0;
	}
	db_done(st);
	free(idb);
	free(phb);
	return rc;
}

/* "姓名、电话" and "name, phone" for the changed bits. */
static void change_labels(unsigned ch, struct buf *zh, struct buf *en, json_t *fields)
{
	for (size_t i = 0; i < ARRAY_SIZE(member_fields); i++) {
		if (!(ch & member_fields[i].bit))
			continue;
		buf_addf(zh, "%s%s", zh->len ? "、" : "", member_fields[i].zh);
		buf_addf(en, "%s%s", en->len ? ", " : "", member_fields[i].field);
		if (fields)
			json_array_append_new(fields, json_string(member_fields[i].field));
	}
}

int hh_member_update_row(struct ctx *c, int64_t hid, const struct member_row *r, const struct member_in *m,
			 const char *now, unsigned *changed)
{
	struct buf zh = BUF_INIT, en = BUF_INIT;
	json_t *fields = json_array(), *data = NULL;
	char *ezh = NULL, *een = NULL;
	unsigned ch = member_changes(r, m);
	int rc = 0;
	*changed = ch;
	if (!ch)
		goto out;
	rc = member_write(c, r->id, m, ch, now);
	if (rc)
		goto out;
	change_labels(ch, &zh, &en, fields);
	ezh = xasprintf("修改成员 %s：%s", r->name, zh.data);
	een = xasprintf("member changed: %s: %s", r->name, en.data);
	data = json_pack("{s:I,s:O}", "member_id", (json_int_t)r->id, "fields", fields);
	rc = hh_event(c, hid, "member.update", ezh, een, data);
out:
	json_decref(fields);
	json_decref(data);
	buf_release(&zh);
	buf_release(&en);
	free(ezh);
	free(een);
	return rc;
}

int household_member_update(struct ctx *c, int64_t hid, int64_t mid, const json_t *patch, json_t **out)
{
	struct member_row r;
	struct member_in m;
	json_t *before = NULL;
	char now[ZL_TIME_MAX];
	unsigned ch = 0;
	int removed = 0, rc;

	*out = NULL;
	rc = member_load(c, hid, mid, &r, &before, &removed);
	if (rc)
		return rc;
	if (removed) {
		rc = ZL_E_MEMBER_REMOVED;
		goto out;
	}
	if (!json_is_object(patch)) {
		rc = ZL_E_BAD_JSON;
		goto out;
	}
	rc = hh_member_parse(c, patch, "", 1, &m);
	if (rc)
		goto out;
	/* the stored birth date and sex agree with the stored ID number; a
	 * patch may not part them */
	if (!(m.present & M_ID) && r.id_hash) {
		if ((m.present & M_BIRTH) && differs(r.birth, m.birth))
			hh_ferr(c, "birth_date", "“%s”与身份证号中的出生日期不符",
				"'%s' does not agree with the birth date in the id number");
		if ((m.present & M_SEX) && differs(r.sex, m.sex))
			hh_ferr(c, "sex", "“%s”与身份证号显示的性别不符",
				"'%s' does not agree with the sex given by the id number");
	}
	rc = member_household_rules(c, hid, mid, &m);
	if (rc)
		goto out;
	hh_now(now);
	rc = hh_member_update_row(c, hid, &r, &m, now, &ch);
	if (!rc && ch)
		rc = hh_touch(c, hid, now);
	if (!rc)
		rc = member_masked(c, hid, mid, out);
	if (!rc && ch)
		rc = member_audit(c, "household.member_update", hid, mid, before, *out);
out:
	if (rc) {
		json_decref(*out);
		*out = NULL;
	}
	json_decref(before);
	member_row_release(&r);
	return rc;
}

int hh_member_remove_row(struct ctx *c, int64_t hid, int64_t mid, const char *name, const char *relation,
			 const char *reason, const char *now)
{
	char *zh, *en;
	json_t *data;
	int rc = db_run(c->db,
			"UPDATE household_member SET removed_at = ?, removed_reason = ?, updated_at = ?"
			" WHERE id = ? AND removed_at IS NULL",
			"ttti", now, reason, now, mid);
	if (rc)
		return rc;
	zh = xasprintf("移除成员：%s（%s），原因：%s", name, relation, reason);
	en = xasprintf("member removed: %s (%s), reason: %s", name, relation, reason);
	data = json_pack("{s:I,s:s}", "member_id", (json_int_t)mid, "reason", reason);
	rc = hh_event(c, hid, "member.remove", zh, en, data);
	json_decref(data);
	free(zh);
	free(en);
	return rc;
}

int household_member_remove(struct ctx *c, int64_t hid, int64_t mid, const char *reason, json_t **out)
{
	struct member_row r;
	json_t *before = NULL;
	char now[ZL_TIME_MAX];
	int removed = 0, rc;

	*out = NULL;
	rc = member_load(c, hid, mid, &r, &before, &removed);
	if (rc)
		return rc;
	if (removed) {
		rc = ZL_E_MEMBER_REMOVED;
		goto out;
	}
	if (!reason || !*reason)
		verr_required(c, "reason");
	else
		hh_text_ok(c, "reason", reason, 1, REASON_MAX, 0);
	if (c->errs.n) {
		rc = ZL_E_VALIDATION;
		goto out;
	}
	hh_now(now);
	rc = hh_member_remove_row(c, hid, mid, r.name, r.relation, reason, now);
	if (!rc)
		rc = hh_touch(c, hid, now);
	if (!rc)
		rc = member_masked(c, hid, mid, out);
	if (!rc)
		rc = member_audit(c, "household.member_remove", hid, mid, before, *out);
out:
	if (rc) {
		json_decref(*out);
		*out = NULL;
	}
	json_decref(before);
	member_row_release(&r);
	return rc;
}
