/*
 * photos.c: photos of appeals: the appeal_photo rows, their event and audit,
 * and the lists in the appeal JSON and the resident's track view. Checking
 * and storing the image is platform/files.c's, as for contacts.
 */
#include "appeals_int.h"

#include "org/org.h"
#include "platform/audit.h"
#include "platform/clock.h"
#include "platform/files.h"

int appeal_photo_add(struct ctx *c, int64_t id, const char *content_type, const void *data, size_t len,
		     const char *url_prefix, json_t **out, int *created)
{
	struct appeal_row a;
	char sha[65], now[ZL_TIME_MAX], idt[24];
	const char *mime, *state;
	int64_t one = 0;
	int rc;

	*out = NULL;
	*created = 0;
	if ((rc = appeal_load(c, id, &a)) || (rc = file_image_check(content_type, data, len, &mime, sha)))
		return rc;
	rc = db_get_int(c->db, &one, "SELECT 1 FROM appeal_photo WHERE appeal_id = ? AND sha256 = ?", "it", id, sha);
	if (rc < 0)
		return rc;
	if (rc == 0) {
		json_t *after = json_pack("{s:s,s:s,s:I}", "sha256", sha, "mime", mime, "bytes", (json_int_t)len);
		if ((rc = file_store(c->db, sha, data, len))) {
			json_decref(after);
			return rc;
		}
		time_format_utc(clock_now(), now);
		state = appeal_state_name(a.state);
		appeal_id_text(id, idt);
		rc = db_run(c->db,
			    "INSERT INTO appeal_photo(appeal_id, sha256, mime, bytes, user_id, created_at)"
			    " VALUES (?,?,?,?,NULLIF(?, 0),?)",
			    "ittiit", id, sha, mime, (int64_t)len, c->actor.user_id, now);
		if (!rc)
			rc = appeal_event_add(c, id, "photo", state, state, json_incref(after));
		if (!rc)
			rc = audit_log(c, "appeal.photo_add", "appeal", idt, NULL, after);
		json_decref(after);
		if (rc)
			return rc;
		*created = 1;
	}
	{
		char *url = xasprintf("%s%s", url_prefix, sha);
		*out = json_pack("{s:s,s:s,s:I,s:s}", "sha256", sha, "mime", mime, "bytes", (json_int_t)len, "url", url);
		free(url);
	}
	return 0;
}

int appeal_photo_path(struct ctx *c, int64_t id, const char *sha, char **path, const char **mime)
{
	struct appeal_row a;
	int rc;
	*path = NULL;
	*mime = NULL;
	if ((rc = appeal_load(c, id, &a)))
		return rc;
	return file_lookup(c->db, "SELECT mime FROM appeal_photo WHERE appeal_id = ? AND sha256 = ?", id, sha, path,
			   mime);
}

int appeal_photos_json(struct ctx *c, int64_t id, const char *url_prefix, json_t **out)
{
	struct db_stmt *st = NULL;
	int rc = db_prepare(c->db, "SELECT sha256, mime, bytes, created_at FROM appeal_photo WHERE appeal_id = ? "
				   "ORDER BY created_at, sha256", &st);
	*out = NULL;
	if (rc)
		return rc;
	db_bindv(st, "i", id);
	*out = json_array();
	while ((rc = db_step(st)) == 1) {
		char *url = xasprintf("%s%s", url_prefix, db_col_text(st, 0));
		json_array_append_new(*out, json_pack("{s:s,s:s,s:I,s:s,s:o}", "sha256", db_col_text(st, 0), "mime",
						      db_col_text(st, 1), "bytes", (json_int_t)db_col_int(st, 2), "url",
						      url, "created_at", org_time_json(db_col_text(st, 3))));
		free(url);
	}
	db_done(st);
	if (rc < 0) {
		json_decref(*out);
		*out = NULL;
		return rc;
	}
	return 0;
}
