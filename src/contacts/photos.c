/*
 * photos.c: contact photos. The type is judged by the content (a whole JPEG
 * or PNG), never by a name or a header alone; files live outside the
 * database under their SHA-256 (<db path>.files/ab/cd/<sha>), written to a
 * temporary file and renamed, so a reader never sees half a photo.
 */
#include <sodium.h>

#include "contacts/contacts_int.h"

#include "platform/audit.h"
#include "platform/db.h"
#include "platform/error.h"

#define IMAGE_SIDE_MAX 20000 /* pixels; larger is not a phone photo */

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static unsigned be16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* Signature, IHDR first with a plausible size and format, chunks that fit,
 * IEND at the end. */
static int png_ok(const unsigned char *d, size_t len)
{
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	size_t pos = 8;
	uint32_t w, h;
	if (len < 8 + 25 + 12 || memcmp(d, sig, 8) != 0)
		return 0;
	if (be32(d + 8) != 13 || memcmp(d + 12, "IHDR", 4) != 0)
		return 0;
	w = be32(d + 16);
	h = be32(d + 20);
	if (w < 1 || h < 1 || w > IMAGE_SIDE_MAX || h > IMAGE_SIDE_MAX)
		return 0;
	/* bit depth 1, 2, 4, 8 or 16; colour type 0, 2, 3, 4 or 6 */
	if (!(d[24] == 1 || d[24] == 2 || d[24] == 4 || d[24] == 8 || d[24] == 16) ||
	    !(d[25] == 0 || d[25] == 2 || d[25] == 3 || d[25] == 4 || d[25] == 6))
		return 0;
	while (pos + 12 <= len) {
		uint32_t n = be32(d + pos);
		if (n > len - pos - 12)
			return 0; /* truncated */
		if (memcmp(d + pos + 4, "IEND", 4) == 0)
			return pos + 12 + n == len;
		pos += 12 + (size_t)n;
	}
	return 0;
}

/* SOF markers carry the frame size: C0-CF except C4 (DHT), C8 (JPG), CC (DAC). */
static int is_sof(unsigned m)
{
	return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
}

/* SOI, segments that fit, a frame header with a size, entropy-coded data,
 * EOI. Bytes after EOI (some cameras add them) are allowed. */
static int jpeg_ok(const unsigned char *d, size_t len)
{
	size_t pos = 2;
	int sof = 0;
	if (len < 4 || d[0] != 0xFF || d[1] != 0xD8 || d[2] != 0xFF)
		return 0;
	while (pos + 2 <= len) {
		unsigned m, n;
		if (d[pos] != 0xFF)
			return 0;
		while (pos + 1 < len && d[pos + 1] == 0xFF)
			pos++; /* fill bytes */
		if (pos + 2 > len)
			return 0;
		m = d[pos + 1];
		if (m == 0xD9)
			return sof;
		if ((m >= 0xD0 && m <= 0xD7) || m == 0x01) {
			pos += 2;
			continue;
		}
		if (pos + 4 > len)
			return 0;
		n = be16(d + pos + 2);
		if (n < 2 || pos + 2 + n > len)
			return 0;
		if (is_sof(m)) {
			if (n < 8 || be16(d + pos + 5) < 1 || be16(d + pos + 7) < 1 ||
			    be16(d + pos + 5) > IMAGE_SIDE_MAX || be16(d + pos + 7) > IMAGE_SIDE_MAX)
				return 0;
			sof = 1;
		}
		pos += 2 + n;
		if (m == 0xDA) {
			/* entropy-coded data up to the next marker that is not a
			 * stuffed zero or a restart */
			while (pos + 1 < len && !(d[pos] == 0xFF && d[pos + 1] != 0 &&
						  !(d[pos + 1] >= 0xD0 && d[pos + 1] <= 0xD7)))
				pos++;
			if (pos + 1 >= len)
				return 0;
		}
	}
	return 0;
}

const char *contact_photo_sniff(const unsigned char *data, size_t len)
{
	if (!data)
		return NULL;
	if (png_ok(data, len))
		return "image/png";
	if (jpeg_ok(data, len))
		return "image/jpeg";
	return NULL;
}

/* "image/jpeg; charset=x" -> "image/jpeg" when it is one of ours. */
static const char *declared_type(const char *ct)
{
	static const char *const types[] = { "image/jpeg", "image/png" };
	for (size_t i = 0; ct && i < ARRAY_SIZE(types); i++) {
		size_t n = strlen(types[i]);
		if (!strncasecmp(ct, types[i], n) && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' '))
			return types[i];
	}
	return NULL;
}

/* <db path>.files/ab/cd/<sha> as a new string; NULL for an in-memory db. */
static char *photo_file(struct ctx *c, const char *sha, int make_dirs)
{
	const char *db = db_path(c->db);
	char *dir;
	if (!db || !*db || !strcmp(db, ":memory:"))
		return NULL;
	if (make_dirs) {
		dir = xasprintf("%s.files", db);
		mkdir(dir, 0750);
		free(dir);
		dir = xasprintf("%s.files/%.2s", db, sha);
		mkdir(dir, 0750);
		free(dir);
		dir = xasprintf("%s.files/%.2s/%.2s", db, sha, sha + 2);
		mkdir(dir, 0750);
		free(dir);
	}
	return xasprintf("%s.files/%.2s/%.2s/%s", db, sha, sha + 2, sha);
}

/* Writes the file unless it exists: temp file, fsync, rename. */
static int photo_write(const char *path, const void *data, size_t len)
{
	struct stat sb;
	char *tmp;
	const char *p = data;
	size_t left = len;
	int fd, rc = 0;
	if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && (size_t)sb.st_size == len)
		return 0; /* the same content is there: its name is its hash */
	tmp = xasprintf("%s.%08x.tmp", path, randombytes_random());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd < 0) {
		free(tmp);
		return ZL_E_IO;
	}
	while (left) {
		ssize_t n = write(fd, p, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = errno == ENOSPC ? ZL_E_DB_FULL : ZL_E_IO;
			break;
		}
		p += n;
		left -= (size_t)n;
	}
	if (!rc && fsync(fd) != 0)
		rc = ZL_E_IO;
	if (close(fd) != 0 && !rc)
		rc = ZL_E_IO;
	if (!rc && rename(tmp, path) != 0)
		rc = ZL_E_IO;
	if (rc)
		unlink(tmp);
	free(tmp);
	return rc;
}

int contact_photo_add(struct ctx *c, int64_t id, const char *content_type, const void *data, size_t len,
		      json_t **out, int *created)
{
	struct ct_head h;
	unsigned char hash[crypto_hash_sha256_BYTES];
	char sha[65], now[ZL_TIME_MAX], idt[24];
	const char *declared, *sniffed;
	char *path = NULL;
	int64_t one = 0;
	int rc;

	*out = NULL;
	*created = 0;
	if ((rc = ct_head_load(c, id, &h)) || (rc = ct_author_edit_check(c, &h)))
		return rc;
	if (len > CONTACT_PHOTO_MAX)
		return ZL_E_CONTACT_PHOTO_TOO_LARGE;
	if (!(declared = declared_type(content_type)))
		return ZL_E_CONTACT_PHOTO_TYPE;
	sniffed = contact_photo_sniff(data, len);
	if (!sniffed || strcmp(sniffed, declared) != 0)
		return ZL_E_CONTACT_PHOTO_INVALID;
	crypto_hash_sha256(hash, data, len);
	hex_encode(hash, sizeof(hash), sha);
	rc = db_get_int(c->db, &one, "SELECT 1 FROM contact_photo WHERE contact_id = ? AND sha256 = ?", "it", id, sha);
	if (rc < 0)
		return rc;
	if (rc == 0) {
		if (!(path = photo_file(c, sha, 1)))
			return ZL_E_IO;
		rc = photo_write(path, data, len);
		free(path);
		if (rc)
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
	char *m = NULL;
	int rc;
	*path = NULL;
	*mime = NULL;
	if (!sha || strlen(sha) != 64 || strspn(sha, "0123456789abcdef") != 64)
		return ZL_E_NOT_FOUND;
	if ((rc = ct_head_load(c, id, &h)))
		return rc;
	rc = db_get_text(c->db, &m, "SELECT mime FROM contact_photo WHERE contact_id = ? AND sha256 = ?", "it", id, sha);
	if (rc < 0)
		return rc;
	if (rc == 0 || !m) {
		free(m);
		return ZL_E_NOT_FOUND;
	}
	*mime = !strcmp(m, "image/png") ? "image/png" : "image/jpeg";
	free(m);
	*path = photo_file(c, sha, 0);
	return *path ? 0 : ZL_E_NOT_FOUND;
}
