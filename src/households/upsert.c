/*
 * upsert.c: household_upsert_import(), the one call the CSV/XLSX importer
 * makes per household: create, leave alone (same fingerprint) or update the
 * household, its tags and members. Built for 100,000 calls in one
 * transaction: cached prepared statements, no audit rows (the importer
 * writes one for the whole import), one event row per change.
 */
#include "households/households_int.h"

#include "platform/clock.h"
#include "platform/error.h"

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Appends "name=<length>:<value>;" (or "name=-;" for none) to the
 * canonical form: no value can run into the next. */
static void canon(struct buf *b, const char *name, const char *v)
{
	char digits[24];
	size_t n, k = sizeof(digits);
	buf_adds(b, name);
	if (!v || !*v) {
		buf_add(b, "=-;", 3);
		return;
	}
	/* "=<length>:" without printf: this runs a million times per import */
	n = strlen(v);
	do {
		digits[--k] = (char)('0' + n % 10);
		n /= 10;
	} while (n && k);
	buf_addch(b, '=');
	buf_add(b, digits + k, sizeof(digits) - k);
	buf_addch(b, ':');
	buf_adds(b, v);
	buf_addch(b, ';');
}

/*
 * The fingerprint: a keyed hash of h's canonical form, the normalised
 * values (ID numbers upper case, mobiles as 11 digits, relations and sex
 * canonical, birth dates derived) in a fixed order, tags sorted, members in
 * the order given. The same file imported again gives the same
 * fingerprint; nothing in it can be guessed from the hash. It is the
 * canonical JSON of h in all but syntax, written out directly: the import
 * calls this 100,000 times.
 */
static void fingerprint(const struct hh_in *hi, char out[PII_HASH_HEX])
{
	const char *names[HH_TAGS_MAX];
	struct buf b = BUF_INIT;
	char coord[64];
	buf_adds(&b, "household-import-v1;");
	canon(&b, "code", hi->code);
	canon(&b, "village_code", hi->village_code);
	canon(&b, "group_code", strcmp(hi->region_code, hi->village_code) ? hi->region_code : NULL);
	canon(&b, "address", hi->address);
	canon(&b, "head_name", hi->head_name);
	canon(&b, "phone", hi->phone);
	if (hi->has_coords)
		snprintf(coord, sizeof(coord), "%.7f,%.7f", hi->lat, hi->lng);
	canon(&b, "coords", hi->has_coords ? coord : NULL);
	canon(&b, "notes", hi->notes);
	for (size_t i = 0; i < hi->tags.n; i++)
		names[i] = hi->tags.name[i];
	qsort(names, hi->tags.n, sizeof(names[0]), name_cmp);
	for (size_t i = 0; i < hi->tags.n; i++)
		canon(&b, "tag", names[i]);
	for (size_t i = 0; i < hi->nmembers; i++) {
		const struct member_in *m = &hi->members[i];
		buf_adds(&b, "member;");
		canon(&b, "name", m->name);
		canon(&b, "relation", m->relation);
		canon(&b, "id_number", m->id_number);
		canon(&b, "phone", m->phone);
		canon(&b, "birth_date", m->birth);
		canon(&b, "sex", m->sex);
		canon(&b, "occupation", m->occupation);
		canon(&b, "remarks", m->remarks);
	}
	pii_hash_bytes(b.data, b.len, out);
	buf_release(&b);
}

/* ---- the household row ---- */

struct stored {
	char *village, *region, *head, *address, *notes, *phone_hash;
	int has_coords;
	double lat, lng;
};

static void stored_release(struct stored *s)
{
	free(s->village);
	free(s->region);
	free(s->head);
	free(s->address);
	free(s->notes);
	free(s->phone_hash);
}

static int stored_load(struct ctx *c, int64_t id, struct stored *s)
{
	struct db_stmt *st = NULL;
	int rc = db_prepare(c->db,
			    "SELECT village_code, region_code, head_name, address, notes, phone_hash, lat, lng"
			    " FROM household WHERE id = ?",
			    &st);
	memset(s, 0, sizeof(*s));
	if (rc)
		return rc;
	db_bind_int(st, 1, id);
	rc = db_step(st);
	if (rc == 1) {
		s->village = hh_col_dup(st, 0);
		s->region = hh_col_dup(st, 1);
		s->head = hh_col_dup(st, 2);
		s->address = hh_col_dup(st, 3);
		s->notes = hh_col_dup(st, 4);
		s->phone_hash = hh_col_dup(st, 5);
		s->has_coords = !db_col_isnull(st, 6) && !db_col_isnull(st, 7);
		s->lat = db_col_double(st, 6);
		s->lng = db_col_double(st, 7);
		rc = 0;
	} else if (rc == 0) {
		rc = ZL_E_NOT_FOUND;
	}
	db_done(st);
	return rc;
}

static int same_text(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

static void note(struct buf *zh, struct buf *en, json_t *fields, const char *field, const char *label)
{
	buf_addf(zh, "%s%s", zh->len ? "、" : "", label);
	buf_addf(en, "%s%s", en->len ? ", " : "", field);
	json_array_append_new(fields, json_string(field));
}

/* Updates the household row where it differs from hi; always stores the new
 * fingerprint. Changed field names go to fields. */
static int household_apply(struct ctx *c, int64_t id, const struct hh_in *hi, const char *fp,
			   const char *now, json_t *fields, struct buf *zh, struct buf *en)
{
	struct stored s;
	struct db_stmt *st = NULL;
	char ph[PII_HASH_HEX];
	unsigned char *blob = NULL;
	size_t blen = 0;
	int phone_changed, rc = stored_load(c, id, &s);
	if (rc)
		return rc;
	if (hi->phone[0])
		pii_hash(hi->phone, ph);
	if (!same_text(s.region, hi->region_code))
		note(zh, en, fields, "region", "所在村组");
	if (!same_text(s.head, hi->head_name))
		note(zh, en, fields, "head_name", "户主");
	phone_changed = hi->phone[0] ? !same_text(s.phone_hash, ph) : s.phone_hash != NULL;
	if (phone_changed)
		note(zh, en, fields, "phone", "电话");
	if (!same_text(s.address, hi->address))
		note(zh, en, fields, "address", "地址");
	if (s.has_coords != hi->has_coords || (hi->has_coords && (s.lat != hi->lat || s.lng != hi->lng)))
		note(zh, en, fields, "coordinates", "坐标");
	if (!same_text(s.notes, hi->notes))
		note(zh, en, fields, "notes", "备注");
	stored_release(&s);

	if (!json_array_size(fields))
		return db_run(c->db, "UPDATE household SET import_hash = ? WHERE id = ?", "ti", fp, id);
	rc = db_prepare(c->db,
			"UPDATE household SET village_code = ?, region_code = ?, head_name = ?, address = ?,"
			" lat = ?, lng = ?, notes = ?, import_hash = ?, updated_at = ? WHERE id = ?",
			&st);
	if (rc)
		return rc;
	db_bindv(st, "tttt", hi->village_code, hi->region_code, hi->head_name, hi->address);
	if (hi->has_coords) {
		db_bind_double(st, 5, hi->lat);
		db_bind_double(st, 6, hi->lng);
	} else {
		db_bind_null(st, 5);
		db_bind_null(st, 6);
	}
	db_bind_text(st, 7, hi->notes);
	db_bind_text(st, 8, fp);
	db_bind_text(st, 9, now);
	db_bind_int(st, 10, id);
	rc = db_step(st);
	db_done(st);
	if (rc < 0 || !phone_changed)
		return rc < 0 ? rc : 0;
	if (hi->phone[0]) {
		char mask[PII_MASK_MAX];
		rc = pii_encrypt(hi->phone, &blob, &blen);
		if (rc)
			return rc;
		pii_mask_phone(hi->phone, mask, sizeof(mask));
		rc = db_run(c->db, "UPDATE household SET phone_enc = ?, phone_hash = ?, phone_mask = ? WHERE id = ?",
			    "btti", blob, blen, ph, mask, id);
		free(blob);
		return rc;
	}
	return db_run(c->db, "UPDATE household SET phone_enc = NULL, phone_hash = NULL, phone_mask = NULL"
			     " WHERE id = ?", "i", id);
}

/* ---- members ---- */

static struct member_row *match_member(struct member_row *rows, size_t n, const struct member_in *m)
{
	if (m->id_number[0]) {
		char h[PII_HASH_HEX];
		pii_hash(m->id_number, h);
		for (size_t i = 0; i < n; i++)
			if (!rows[i].matched && rows[i].id_hash && !strcmp(rows[i].id_hash, h))
				return &rows[i];
	}
	/* by name and relation, unless both sides carry (different) ID numbers */
	for (size_t i = 0; i < n; i++)
		if (!rows[i].matched && same_text(rows[i].name, m->name) &&
		    same_text(rows[i].relation, m->relation) && !(rows[i].id_hash && m->id_number[0]))
			return &rows[i];
	return NULL;
}

static int members_apply(struct ctx *c, int64_t id, const struct hh_in *hi, const char *now, int *changed)
{
	struct member_row *rows = NULL;
	size_t n = 0;
	int rc = hh_members_current(c, id, &rows, &n);
	for (size_t i = 0; !rc && i < hi->nmembers; i++) {
		const struct member_in *m = &hi->members[i];
		struct member_row *r = match_member(rows, n, m);
		if (r) {
			unsigned ch = 0;
			r->matched = 1;
			rc = hh_member_update_row(c, id, r, m, now, &ch);
			if (ch)
				*changed = 1;
		} else {
			int64_t mid = 0;
			rc = hh_member_insert(c, id, m, now, &mid);
			if (!rc) {
				char *zh = xasprintf("导入新增成员：%s（%s）", m->name, m->relation);
				char *en = xasprintf("member added by import: %s (%s)", m->name, m->relation);
				json_t *data = json_pack("{s:I}", "member_id", (json_int_t)mid);
				rc = hh_event(c, id, "member.add", zh, en, data);
				json_decref(data);
				free(zh);
				free(en);
			}
			*changed = 1;
		}
	}
	for (size_t i = 0; !rc && i < n; i++) {
		if (rows[i].matched)
			continue;
		rc = hh_member_remove_row(c, id, rows[i].id, rows[i].name, rows[i].relation,
					  "导入名单中已无此人 (not in the imported file)", now);
		*changed = 1;
	}
	hh_member_rows_free(rows, n);
	return rc;
}

/* ---- the contract ---- */

static int import_update(struct ctx *c, int64_t id, const struct hh_in *hi, const char *fp, int *changed)
{
	struct buf zh = BUF_INIT, en = BUF_INIT;
	json_t *fields = json_array(), *added = NULL, *removed = NULL;
	char now[ZL_TIME_MAX];
	int members_changed = 0, rc;

	hh_now(now);
	rc = household_apply(c, id, hi, fp, now, fields, &zh, &en);
	if (!rc)
		rc = hh_tags_apply(c, id, &hi->tags, &added, &removed);
	if (!rc && (json_array_size(added) || json_array_size(removed))) {
		note(&zh, &en, fields, "tags", "标签");
		hh_tag_changes_text(&zh, &en, added, removed);
	}
	if (!rc)
		rc = members_apply(c, id, hi, now, &members_changed);
	if (!rc && json_array_size(fields)) {
		char *ezh = xasprintf("导入更新：%s", zh.data), *een = xasprintf("updated by import: %s", en.data);
		json_t *data = json_pack("{s:O,s:O,s:O}", "fields", fields, "tags_added", added, "tags_removed",
					 removed);
		rc = hh_event(c, id, "household.import", ezh, een, data);
		json_decref(data);
		free(ezh);
		free(een);
	}
	if (!rc && (json_array_size(fields) || members_changed)) {
		*changed = 1;
		rc = hh_touch(c, id, now);
	}
	json_decref(fields);
	json_decref(added);
	json_decref(removed);
	buf_release(&zh);
	buf_release(&en);
	return rc;
}

int household_upsert_import(struct ctx *c, const json_t *h, int64_t *id, int *changed)
{
	struct hh_in hi;
	struct db_stmt *st = NULL;
	char fp[PII_HASH_HEX], now[ZL_TIME_MAX], *stored_fp = NULL, *region = NULL;
	int rc;

	*id = 0;
	*changed = 0;
	if (!pii_key_loaded())
		return ZL_E_PII_KEY;
	rc = hh_in_parse(c, h, HH_IMPORT, &hi);
	if (rc)
		goto out;
	fingerprint(&hi, fp);
	rc = db_prepare(c->db, "SELECT id, import_hash, region_code FROM household WHERE code = ?", &st);
	if (rc)
		goto out;
	db_bind_text(st, 1, hi.code);
	rc = db_step(st);
	if (rc == 1) {
		*id = db_col_int(st, 0);
		stored_fp = hh_col_dup(st, 1);
		region = hh_col_dup(st, 2);
	}
	db_done(st);
	if (rc < 0)
		goto out;
	if (rc == 0) {
		char zh[160], en[160];
		hh_now(now);
		rc = hh_insert(c, &hi, fp, now, id);
		if (rc)
			goto out;
		snprintf(zh, sizeof(zh), "导入建档：户主 %s，成员 %zu 人", hi.head_name, hi.nmembers);
		snprintf(en, sizeof(en), "household file imported: head %s, %zu member(s)", hi.head_name,
			 hi.nmembers);
		rc = hh_event(c, *id, "household.import", zh, en, NULL);
		*changed = rc == 0;
		goto out;
	}
	rc = scope_contains(c, region);
	if (rc < 0)
		goto out;
	if (rc == 0) {
		*id = 0;
		hh_ferr(c, "code", "“%s”已被您管辖范围以外的户使用", "'%s' is used by a household outside your scope");
		rc = ZL_E_VALIDATION;
		goto out;
	}
	rc = 0;
	if (stored_fp && !strcmp(stored_fp, fp))
		goto out;
	rc = import_update(c, *id, &hi, fp, changed);
out:
	free(stored_fp);
	free(region);
	hh_in_release(&hi);
	return rc;
}
