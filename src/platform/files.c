/*
 * files.c: uploaded images beside the database (files.h). The type is
 * judged by the content (a whole JPEG or PNG), never by a name or a header
 * alone; files live under their SHA-256 (<db path>.files/ab/cd/<sha>),
 * written to a temporary file and renamed, so a reader never sees half a
 * photo.
 */
#include <sodium.h>

#include "platform/files.h"

#include "platform/error.h"
#include "platform/util.h"

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

const char *file_image_sniff(const unsigned char *data, size_t len)
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

int file_sha_valid(const char *sha)
{
	return sha && strlen(sha) == 64 && strspn(sha, "0123456789abcdef") == 64;
}

/* <db path>.files/ab/cd/<sha> as a new string; NULL for an in-memory db. */
static char *photo_file(const struct db *dbh, const char *sha, int make_dirs)
{
	const char *db = db_path(dbh);
	char *dir;
	if (!db || !*db || !strcmp(db, ":memory:") || !file_sha_valid(sha))
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

char *file_path(const struct db *db, const char *sha)
{
	return photo_file(db, sha, 0);
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

int file_store(const struct db *db, const char *sha, const void *data, size_t len)
{
	char *path = photo_file(db, sha, 1);
	int rc;
	if (!path)
		return ZL_E_IO;
	rc = photo_write(path, data, len);
	free(path);
	return rc;
}

int file_image_check(const char *content_type, const void *data, size_t len, const char **mime, char sha[65])
{
	unsigned char hash[crypto_hash_sha256_BYTES];
	const char *declared, *sniffed;
	*mime = NULL;
	sha[0] = '\0';
	if (len > FILE_IMAGE_MAX)
		return ZL_E_CONTACT_PHOTO_TOO_LARGE;
	if (!(declared = declared_type(content_type)))
		return ZL_E_CONTACT_PHOTO_TYPE;
	sniffed = file_image_sniff(data, len);
	if (!sniffed || strcmp(sniffed, declared) != 0)
		return ZL_E_CONTACT_PHOTO_INVALID;
	crypto_hash_sha256(hash, data, len);
	hex_encode(hash, sizeof(hash), sha);
	*mime = sniffed;
	return 0;
}

int file_lookup(struct db *db, const char *sql, int64_t owner, const char *sha, char **path, const char **mime)
{
	char *m = NULL;
	int rc;
	*path = NULL;
	*mime = NULL;
	if (!file_sha_valid(sha))
		return ZL_E_NOT_FOUND;
	rc = db_get_text(db, &m, sql, "it", owner, sha);
	if (rc < 0)
		return rc;
	if (rc == 0 || !m) {
		free(m);
		return ZL_E_NOT_FOUND;
	}
	*mime = !strcmp(m, "image/png") ? "image/png" : "image/jpeg";
	free(m);
	*path = file_path(db, sha);
	return *path ? 0 : ZL_E_NOT_FOUND;
}

void file_send(struct req *r, struct resp *w, char *path, const char *mime)
{
	w->status = 200;
	w->content_type = mime;
	w->file_path = req_strdup(r, path);
	free(path);
	/* the server adds "no-store" to every API answer; "private" says that
	 * no shared cache may keep a resident's photo either way */
	resp_header(w, "Cache-Control", "private");
}

void file_answer(struct resp *w, json_t *out, int created)
{
	if (created)
		resp_created(w, out, json_string_value(json_object_get(out, "url")));
	else
		resp_json(w, 200, out);
}
