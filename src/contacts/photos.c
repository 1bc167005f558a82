/*
 * photos.c: contact photos: the contact's rules (author, edit window,
 * scope), the contact_photo rows and their audit. Checking and storing the
 * image itself is platform/files.c's (content sniffing, the 5 MB limit,
 * content-addressed files beside the database).
 */

#include "contacts/contacts_int.h"

#include "platform/audit.h"
#include "platform/db.h"
#include "platform/error.h"
#include "platform/files.h"

const char *contact_photo_sniff(const unsigned char *data, size_t len)
{
	return file_image_sniff(data, len);
}

int contact_photo_add(struct ctx *c, int64_t id, const char *content_type, const void *data, size_t len,
		      json_t **out, int *created)
{
	struct ct_head h;
	char sha[65], now[ZL_TIME_MAX], idt[24];
	const char *sniffed;
	int64_t one = 0;
	int rc;

	*out = NULL;
	*created = 0;
	if ((rc = ct_head_load(c, id, &h)) || (rc = ct_author_edit_check(c, &h)))
		return rc;
	if ((rc = file_image_check(content_type, data, len, &sniffed, sha)))
		return rc;
	rc = db_get_int(c->db, &one, "SELECT 1 FROM contact_photo WHERE contact_id = ? AND sha256 = ?", "it", id, sha);
	if (rc < 0)
		return rc;
	if (rc == 0) {
		if ((rc = file_store(c->db, sha, data, len)))
			return rc;
		time_format_utc(clock_now(), now);
		rc = db_run(c->db,
			    "INSERT INTO contact_photo(contact_id, sha256, mime, bytes, user_id, created_at)"
			    " VALUES (?,?,?,?,?,?)",
			    "ittiit", id, sha, sniffed, (int64_t)len, c->actor.user_id, now);
		if (rc)
			return rc;
		ct_id_text(id, idt);
		{
			json_t *a = json_pack("{s:s,s:s,s:I}", "sha256", sha, "mime", sniffed, "bytes", (json_int_t)len);
			rc = audit_log(c, "contact.photo_add", "contact", idt, NULL, a);
			json_decref(a);
		}
		if (rc)
			return rc;
		*created = 1;
	}
	{
		char *url = xasprintf("/api/v1/contacts/%" PRId64 "/photos/%s", id, sha);
		*out = json_pack("{s:s,s:s,s:I,s:s}", "sha256", sha, "mime", sniffed, "bytes", (json_int_t)len, "url", url);
		free(url);
	}
	return 0;
}

int contact_photo_path(struct ctx *c, int64_t id, const char *sha, char **path, const char **mime)
{
	struct ct_head h;
	int rc;
	*path = NULL;
	*mime = NULL;
	if ((rc = ct_head_load(c, id, &h)))
		return rc;
	return file_lookup(c->db, "SELECT mime FROM contact_photo WHERE contact_id = ? AND sha256 = ?", id, sha, path,
			   mime);
}
