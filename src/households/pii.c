/*
 * pii.c: personal data at rest: the key file (load, create, lock, recover an
 * interrupted rotation), secretbox encryption, keyed hashes, GB 11643 ID and
 * mobile checks, masking, and `zhilian rotate-key`.
 */
#include <jansson.h>
#include <sodium.h>
#include <sys/file.h>

#include "households/pii.h"
#include "platform/audit.h"
#include "platform/clock.h"
#include "platform/db.h"
#include "platform/error.h"

#define PII_VERSION 1
#define KEY_BYTES crypto_secretbox_KEYBYTES /* 32 */
#define KEY_ID_BYTES 4
#define HEADER_BYTES (1 + KEY_ID_BYTES + crypto_secretbox_NONCEBYTES)
#define KEY_FILE_MAX 130 /* 64 hex, "\r\n", and room to notice junk */
#define ROTATE_BATCH 512

struct pii_key {
	unsigned char master[KEY_BYTES];
	unsigned char hash_key[crypto_generichash_KEYBYTES];
	unsigned char id[KEY_ID_BYTES];
};

/* The process-wide key. Written only by load/unload/rotate, which run before
 * the server's threads start or in a single-threaded CLI; read freely after. */
static struct {
	int loaded;
	struct pii_key k;
	int fd;     /* the key file, held with a flock for the process lifetime */
	char *path;
} g = { 0, { { 0 }, { 0 }, { 0 } }, -1, NULL };

static char key_msg[640];
static int rotate_crash_point;

/* Every encrypted column and the keyed hash beside it. A module that adds an
 * *_enc column adds its row here, or rotate-key refuses to run. */
static const struct pii_column {
	const char *table, *enc, *hash;
} pii_columns[] = {
	{ "household", "phone_enc", "phone_hash" },
	{ "household_member", "id_number_enc", "id_number_hash" },
	{ "household_member", "phone_enc", "phone_hash" },
	{ "appeal", "submitter_name_enc", "submitter_name_hash" },
	{ "appeal", "submitter_phone_enc", "submitter_phone_hash" },
	{ "outbound_endpoint", "secret_enc", "secret_hash" },
	{ "outbound_message", "recipient_enc", "recipient_hash" },
	{ "outbound_message", "text_enc", "text_hash" },
};

static void msg_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void msg_set(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(key_msg, sizeof(key_msg), fmt, ap);
	va_end(ap);
}

const char *pii_key_error(void)
{
	return key_msg;
}

/* ---- keys ---- */

static void key_derive(struct pii_key *k)
{
	unsigned char h[crypto_generichash_BYTES];
	crypto_kdf_derive_from_key(k->hash_key, sizeof(k->hash_key), 1, "zlpiihsh", k->master);
	crypto_generichash(h, sizeof(h), k->master, sizeof(k->master), NULL, 0);
	memcpy(k->id, h, KEY_ID_BYTES);
	sodium_memzero(h, sizeof(h));
}

static void key_id_hex(const unsigned char id[KEY_ID_BYTES], char out[PII_KEY_ID_HEX])
{
	hex_encode(id, KEY_ID_BYTES, out);
}

static int file_exists(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0;
}

/* fsync of the folder holding path, so that a create or rename is durable. */
static void fsync_dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? xstrndup(path, slash == path ? 1 : (size_t)(slash - path)) : xstrdup(".");
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

/* Writes a new key file: O_EXCL, mode 0600, fsync of the file and folder.
 * Returns 0, ZL_E_CONFLICT if it exists, ZL_E_IO. */
static int key_file_write(const char *path, const unsigned char master[KEY_BYTES])
{
	char hex[KEY_BYTES * 2 + 2];
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		msg_set("cannot create key file \"%s\": %s", path, strerror(errno));
		return errno == EEXIST ? ZL_E_CONFLICT : ZL_E_IO;
	}
	hex_encode(master, KEY_BYTES, hex);
	hex[KEY_BYTES * 2] = '\n';
	hex[KEY_BYTES * 2 + 1] = '\0';
	ssize_t n = write(fd, hex, KEY_BYTES * 2 + 1);
	int ok = n == KEY_BYTES * 2 + 1 && fchmod(fd, 0600) == 0 && fsync(fd) == 0;
	sodium_memzero(hex, sizeof(hex));
	if (close(fd) != 0)
		ok = 0;
	if (!ok) {
		msg_set("cannot write key file \"%s\": %s", path, strerror(errno));
		unlink(path);
		return ZL_E_IO;
	}
	fsync_dir_of(path);
	return 0;
}

/* Opens and reads a key file; *fd_out (if not NULL) keeps it open, unlocked.
 * Refuses a file that group or others may read. */
static int key_file_read(const char *path, struct pii_key *k, int *fd_out)
{
	char buf[KEY_FILE_MAX + 1];
	struct stat sb;
	ssize_t n;
	size_t len, bin_len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		msg_set("cannot open key file \"%s\": %s", path, strerror(errno));
		return errno == ENOENT ? ZL_E_NOT_FOUND : ZL_E_IO;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		msg_set("key file \"%s\" is not a regular file", path);
		close(fd);
		return ZL_E_IO;
	}
	if (sb.st_mode & 077) {
		msg_set("key file \"%s\" is readable by group or others (mode %04o); it must be "
			"private: run `chmod 600 %s`", path, (unsigned)(sb.st_mode & 07777), path);
		close(fd);
		return ZL_E_IO;
	}
	n = read(fd, buf, KEY_FILE_MAX);
	len = n > 0 ? (size_t)n : 0;
	buf[len] = '\0';
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	if (len != KEY_BYTES * 2 ||
	    sodium_hex2bin(k->master, KEY_BYTES, buf, len, NULL, &bin_len, NULL) != 0 ||
	    bin_len != KEY_BYTES) {
		msg_set("key file \"%s\" is damaged: it must hold 64 hexadecimal characters", path);
		sodium_memzero(buf, sizeof(buf));
		close(fd);
		return ZL_E_IO;
	}
	sodium_memzero(buf, sizeof(buf));
	key_derive(k);
	if (fd_out)
		*fd_out = fd;
	else
		close(fd);
	return 0;
}

void pii_key_unload(void)
{
	if (g.fd >= 0)
		close(g.fd); /* releases the flock */
	g.fd = -1;
	free(g.path);
	g.path = NULL;
	sodium_memzero(&g.k, sizeof(g.k));
	g.loaded = 0;
}

char *pii_key_path_for(const char *db_path)
{
	const char *env = getenv("ZHILIAN_KEY");
	if (env && *env)
		return xstrdup(env);
	return xasprintf("%s.key", db_path);
}

int pii_key_loaded(void)
{
	return g.loaded;
}

void pii_key_id(char out[PII_KEY_ID_HEX])
{
	if (g.loaded)
		key_id_hex(g.k.id, out);
	else
		out[0] = '\0';
}

int pii_key_load(const char *path, int create)
{
	struct pii_key k;
	struct stat a, b;
	char *newp;
	int fd = -1, rc;

	key_msg[0] = '\0';
	if (sodium_init() < 0) {
		msg_set("libsodium cannot be initialised");
		return ZL_E_INTERNAL;
	}
	newp = xasprintf("%s.new", path);
	rc = file_exists(newp);
	free(newp);
	if (rc) {
		msg_set("\"%s.new\" exists: a key rotation was interrupted; start the program with "
			"its database (zhilian serve, or zhilian rotate-key) to finish or undo it", path);
		return ZL_E_CONFLICT;
	}
	if (create && !file_exists(path)) {
		unsigned char master[KEY_BYTES];
		randombytes_buf(master, sizeof(master));
		rc = key_file_write(path, master);
		sodium_memzero(master, sizeof(master));
		if (rc && rc != ZL_E_CONFLICT) /* another process won the race: load theirs */
			return rc;
	}
	for (int attempt = 0;; attempt++) {
		rc = key_file_read(path, &k, &fd);
		if (rc) {
			if (rc == ZL_E_NOT_FOUND)
				msg_set("key file \"%s\" does not exist; it is made by `zhilian init` or "
					"`zhilian demo` beside the database (or set $ZHILIAN_KEY)", path);
			return rc;
		}
		if (flock(fd, LOCK_SH | LOCK_NB) != 0) {
			msg_set("key file \"%s\" is held by a running `zhilian rotate-key`; try again when "
				"it has finished", path);
			close(fd);
			sodium_memzero(&k, sizeof(k));
			return ZL_E_BUSY;
		}
		/* a rotation may have renamed a new key over the path meanwhile */
		if (fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino &&
		    a.st_dev == b.st_dev)
			break;
		close(fd);
		if (attempt == 3) {
			msg_set("key file \"%s\" keeps changing; is a rotation running?", path);
			return ZL_E_BUSY;
		}
	}
	pii_key_unload();
	g.k = k;
	sodium_memzero(&k, sizeof(k));
	g.fd = fd;
	g.path = xstrdup(path);
	g.loaded = 1;
	return 0;
}

/* ---- blobs ---- */

static int seal(const struct pii_key *k, const char *plain, unsigned char **blob, size_t *blob_len)
{
	size_t n = strlen(plain);
	size_t total = HEADER_BYTES + crypto_secretbox_MACBYTES + n;
	unsigned char *b = xmalloc(total);
	b[0] = PII_VERSION;
	memcpy(b + 1, k->id, KEY_ID_BYTES);
	randombytes_buf(b + 1 + KEY_ID_BYTES, crypto_secretbox_NONCEBYTES);
	crypto_secretbox_easy(b + HEADER_BYTES, (const unsigned char *)plain, n,
			      b + 1 + KEY_ID_BYTES, k->master);
	*blob = b;
	*blob_len = total;
	return 0;
}

static int unseal(const struct pii_key *k, const unsigned char *blob, size_t blob_len, char **plain)
{
	size_t n;
	unsigned char *p;

	*plain = NULL;
	if (!blob || blob_len < HEADER_BYTES + crypto_secretbox_MACBYTES || blob[0] != PII_VERSION ||
	    memcmp(blob + 1, k->id, KEY_ID_BYTES) != 0)
		return ZL_E_INTEGRITY;
	n = blob_len - HEADER_BYTES - crypto_secretbox_MACBYTES;
	p = xmalloc(n + 1);
	if (crypto_secretbox_open_easy(p, blob + HEADER_BYTES, blob_len - HEADER_BYTES,
				       blob + 1 + KEY_ID_BYTES, k->master) != 0) {
		free(p);
		return ZL_E_INTEGRITY;
	}
	p[n] = '\0';
	*plain = (char *)p;
	return 0;
}

int pii_encrypt(const char *plain, unsigned char **blob, size_t *blob_len)
{
	*blob = NULL;
	*blob_len = 0;
	if (!g.loaded)
		return ZL_E_PII_KEY;
	return seal(&g.k, plain ? plain : "", blob, blob_len);
}

int pii_decrypt(const unsigned char *blob, size_t blob_len, char **plain)
{
	*plain = NULL;
	if (!g.loaded)
		return ZL_E_PII_KEY;
	return unseal(&g.k, blob, blob_len, plain);
}

/* ---- keyed hashes ---- */

static void hash_raw(const struct pii_key *k, const void *p, size_t n, char out[PII_HASH_HEX])
{
	unsigned char h[32];
	crypto_generichash(h, sizeof(h), p, n, k->hash_key, sizeof(k->hash_key));
	hex_encode(h, sizeof(h), out);
}

static int all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static void hash_value(const struct pii_key *k, const char *value, char out[PII_HASH_HEX])
{
	struct buf b = BUF_INIT;
	const char *p;
	size_t skip = 0;
	for (p = value ? value : ""; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch >= 0x80 || isalnum(ch))
			buf_addch(&b, (char)(ch < 0x80 ? toupper(ch) : ch));
	}
	/* a country code before a mainland mobile */
	if (b.len == 13 && all_digits(b.data, 13) && !strncmp(b.data, "861", 3))
		skip = 2;
	else if (b.len == 15 && all_digits(b.data, 15) && !strncmp(b.data, "00861", 5))
		skip = 4;
	hash_raw(k, b.data + skip, b.len - skip, out);
	buf_release(&b);
}

void pii_hash(const char *value, char out[PII_HASH_HEX])
{
	if (!g.loaded) {
		memset(out, '0', PII_HASH_HEX - 1);
		out[PII_HASH_HEX - 1] = '\0';
		return;
	}
	hash_value(&g.k, value, out);
}

void pii_hash_bytes(const void *p, size_t n, char out[PII_HASH_HEX])
{
	if (!g.loaded) {
		memset(out, '0', PII_HASH_HEX - 1);
		out[PII_HASH_HEX - 1] = '\0';
		return;
	}
	hash_raw(&g.k, p, n, out);
}

/* ---- validation ---- */

static int province_ok(int code)
{
	static const int codes[] = { 11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41,
				     42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71,
				     81, 82, 83, 91 };
	for (size_t i = 0; i < ARRAY_SIZE(codes); i++)
		if (codes[i] == code)
			return 1;
	return 0;
}

static int id_fail(const char **why_en, const char **why_zh, const char *en, const char *zh)
{
	if (why_en)
		*why_en = en;
	if (why_zh)
		*why_zh = zh;
	return -1;
}

/* Today's date in Asia/Shanghai as a day count. */
static int64_t today_days(void)
{
	int64_t s = clock_now_sec() + ZL_TZ_OFFSET_MIN * 60;
	return (s >= 0 ? s : s - 86399) / 86400;
}

int pii_id_check(const char *id, char birth[11], char *sex, const char **why_en, const char **why_zh)
{
	static const int weights[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
	static const char checks[] = "10X98765432";
	int sum = 0, y, m, d, y2, m2, d2;
	int64_t days;
	char last;

	if (!id || strlen(id) != PII_ID_LEN)
		return id_fail(why_en, why_zh, "an id number has 18 characters", "身份证号应为 18 位");
	if (!all_digits(id, 17))
		return id_fail(why_en, why_zh, "the first 17 characters of an id number are digits",
			       "身份证号前 17 位应为数字");
	last = id[17] == 'x' ? 'X' : id[17];
	if (!(last == 'X' || (last >= '0' && last <= '9')))
		return id_fail(why_en, why_zh, "the last character of an id number is a digit or X",
			       "身份证号最后一位应为数字或 X");
	if (!province_ok((id[0] - '0') * 10 + (id[1] - '0')))
		return id_fail(why_en, why_zh, "the id number starts with an unknown province code",
			       "身份证号前两位不是有效的省级代码");
	y = (id[6] - '0') * 1000 + (id[7] - '0') * 100 + (id[8] - '0') * 10 + (id[9] - '0');
	m = (id[10] - '0') * 10 + (id[11] - '0');
	d = (id[12] - '0') * 10 + (id[13] - '0');
	days = days_from_civil(y, m, d);
	civil_from_days(days, &y2, &m2, &d2);
	if (y < 1900 || m < 1 || m > 12 || d < 1 || y2 != y || m2 != m || d2 != d)
		return id_fail(why_en, why_zh, "the birth date in the id number is not a real date",
			       "身份证号中的出生日期不是有效日期");
	if (days > today_days())
		return id_fail(why_en, why_zh, "the birth date in the id number is in the future",
			       "身份证号中的出生日期晚于今天");
	for (int i = 0; i < 17; i++)
		sum += (id[i] - '0') * weights[i];
	if (checks[sum % 11] != last)
		return id_fail(why_en, why_zh, "the check digit of the id number is wrong",
			       "身份证号校验位不正确");
	if (birth) {
		memcpy(birth, id + 6, 4);
		birth[4] = '-';
		memcpy(birth + 5, id + 10, 2);
		birth[7] = '-';
		memcpy(birth + 8, id + 12, 2);
		birth[10] = '\0';
	}
	if (sex)
		*sex = ((id[16] - '0') % 2) ? 'M' : 'F';
	return 0;
}

void pii_id_normalise(const char *id, char out[PII_ID_LEN + 1])
{
	size_t i = 0;
	for (; id && id[i] && i < PII_ID_LEN; i++)
		out[i] = id[i] == 'x' ? 'X' : id[i];
	out[i] = '\0';
}

int pii_mobile_check(const char *phone, char out[12])
{
	char d[32];
	size_t n = 0;
	const char *p = phone ? phone : "";

	if (*p == '+')
		p++;
	for (; *p; p++) {
		if (*p == ' ' || *p == '-')
			continue;
		if (*p < '0' || *p > '9' || n + 1 >= sizeof(d))
			return -1;
		d[n++] = *p;
	}
	d[n] = '\0';
	p = d;
	if (n == 15 && !strncmp(d, "0086", 4))
		p += 4;
	else if (n == 13 && !strncmp(d, "86", 2))
		p += 2;
	else if (phone && phone[0] == '+')
		return -1; /* another country */
	if (strlen(p) != 11 || p[0] != '1' || p[1] < '3' || p[1] > '9')
		return -1;
	memcpy(out, p, 12);
	return 0;
}

/* Keeps `head` leading and `tail` trailing bytes of s, stars between; all
 * stars when s is not longer than head + tail. */
static void mask(const char *s, size_t head, size_t tail, char *out, size_t n)
{
	size_t len = s ? strlen(s) : 0, i;
	if (!n)
		return;
	for (i = 0; i < len && i + 1 < n; i++) {
		int keep = len > head + tail && (i < head || i >= len - tail);
		out[i] = keep ? s[i] : '*';
	}
	out[i] = '\0';
}

void pii_mask_id(const char *id, char *out, size_t n)
{
	mask(id, 4, 4, out, n);
}

void pii_mask_phone(const char *phone, char *out, size_t n)
{
	mask(phone, 3, 4, out, n);
}

/* ---- start-up: finishing or undoing an interrupted rotation ---- */

/* The key id of one stored value: 1 found, 0 none, negative on error. */
static int sample_key_id(struct db *db, unsigned char id[KEY_ID_BYTES])
{
	for (size_t i = 0; i < ARRAY_SIZE(pii_columns); i++) {
		const struct pii_column *pc = &pii_columns[i];
		struct db_stmt *st = NULL;
		/* identifiers from the constant table above, never from input */
		char *sql = xasprintf("SELECT %s FROM %s WHERE %s IS NOT NULL LIMIT 1", pc->enc,
				      pc->table, pc->enc);
		int rc = db_prepare(db, sql, &st);
		free(sql);
		if (rc)
			return rc;
		rc = db_step(st);
		if (rc == 1) {
			size_t n = 0;
			const unsigned char *b = db_col_blob(st, 0, &n);
			if (b && n > KEY_ID_BYTES)
				memcpy(id, b + 1, KEY_ID_BYTES);
			else
				memset(id, 0, KEY_ID_BYTES);
		}
		db_done(st);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Renames KEY.new over KEY, keeping KEY as KEY.old until that is durable. */
static int rotation_finish_files(const char *path)
{
	char *newp = xasprintf("%s.new", path), *oldp = xasprintf("%s.old", path);
	int rc = 0;
	if (unlink(oldp) != 0 && errno != ENOENT)
		rc = ZL_E_IO;
	if (!rc && file_exists(path) && link(path, oldp) != 0)
		rc = ZL_E_IO;
	if (!rc && rename(newp, path) != 0)
		rc = ZL_E_IO;
	if (rc)
		msg_set("cannot put the new key \"%s\" in place of \"%s\": %s", newp, path, strerror(errno));
	else {
		fsync_dir_of(path);
		unlink(oldp);
		fsync_dir_of(path);
	}
	free(newp);
	free(oldp);
	return rc;
}

static int rotation_recover(struct db *db, const char *path)
{
	char *newp = xasprintf("%s.new", path);
	struct pii_key oldk, newk;
	unsigned char data_id[KEY_ID_BYTES];
	char a[PII_KEY_ID_HEX], b[PII_KEY_ID_HEX], d[PII_KEY_ID_HEX];
	int lock_fd = -1, have_old, rc, found;

	/* nobody else may hold the key while we decide: a live rotation holds
	 * it exclusively, a server or an import shares it */
	rc = key_file_read(file_exists(path) ? path : newp, &oldk, &lock_fd);
	if (rc)
		goto out;
	if (flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
		msg_set("\"%s\" exists and the key file is in use: a `zhilian rotate-key` is running; "
			"try again when it has finished", newp);
		rc = ZL_E_BUSY;
		goto out;
	}
	have_old = file_exists(path) && key_file_read(path, &oldk, NULL) == 0;
	rc = key_file_read(newp, &newk, NULL);
	if (rc)
		goto out;
	found = sample_key_id(db, data_id);
	if (found < 0) {
		rc = found;
		msg_set("cannot read the database to settle the interrupted key rotation");
		goto out;
	}
	if (found && !memcmp(data_id, newk.id, KEY_ID_BYTES)) {
		rc = rotation_finish_files(path);
		if (!rc)
			msg_set("finished an interrupted key rotation: the data was already under the "
				"new key, now in \"%s\"", path);
	} else if (!found || (have_old && !memcmp(data_id, oldk.id, KEY_ID_BYTES))) {
		if (!have_old) {
			msg_set("\"%s\" is missing while \"%s\" exists; restore the key file", path, newp);
			rc = ZL_E_NOT_FOUND;
			goto out;
		}
		if (unlink(newp) != 0) {
			msg_set("cannot remove \"%s\": %s", newp, strerror(errno));
			rc = ZL_E_IO;
			goto out;
		}
		fsync_dir_of(path);
		msg_set("rolled back an interrupted key rotation: the data is still under the key in "
			"\"%s\"; \"%s\" was removed", path, newp);
	} else {
		key_id_hex(data_id, d);
		key_id_hex(have_old ? oldk.id : newk.id, a);
		key_id_hex(newk.id, b);
		msg_set("neither \"%s\" (key %s) nor \"%s\" (key %s) opens the data (key %s); restore "
			"the key file that belongs to this database", path, a, newp, b, d);
		rc = ZL_E_PII_KEY_MISMATCH;
	}
out:
	if (lock_fd >= 0)
		close(lock_fd);
	sodium_memzero(&oldk, sizeof(oldk));
	sodium_memzero(&newk, sizeof(newk));
	free(newp);
	return rc;
}

int pii_key_open(struct db *db, const char *path, int create)
{
	char *newp = xasprintf("%s.new", path);
	char note[sizeof(key_msg)] = "";
	unsigned char data_id[KEY_ID_BYTES];
	char a[PII_KEY_ID_HEX], d[PII_KEY_ID_HEX];
	int rc = 0, found;

	key_msg[0] = '\0';
	pii_key_unload();
	if (sodium_init() < 0) {
		free(newp);
		return ZL_E_INTERNAL;
	}
	if (file_exists(newp)) {
		rc = rotation_recover(db, path);
		if (rc)
			goto out;
		snprintf(note, sizeof(note), "%s", key_msg);
	}
	found = sample_key_id(db, data_id);
	if (found < 0) {
		rc = found;
		msg_set("cannot read the database to check the key");
		goto out;
	}
	if (!file_exists(path)) {
		if (found && !create) {
			key_id_hex(data_id, d);
			msg_set("key file \"%s\" does not exist, but the database holds personal data "
				"encrypted under key %s; restore the key file that belongs to this "
				"database (or set $ZHILIAN_KEY to it)", path, d);
			rc = ZL_E_NOT_FOUND;
			goto out;
		}
		create = 1;
		snprintf(note, sizeof(note), "created the personal data key file \"%s\" (mode 0600); "
			 "keep it with the database's backups", path);
	}
	rc = pii_key_load(path, create);
	if (rc)
		goto out;
	if (found && memcmp(data_id, g.k.id, KEY_ID_BYTES) != 0) {
		key_id_hex(g.k.id, a);
		key_id_hex(data_id, d);
		msg_set("key file \"%s\" (key %s) does not open this database's personal data (key %s); "
			"use the key file that belongs to it", path, a, d);
		pii_key_unload();
		rc = ZL_E_PII_KEY_MISMATCH;
		goto out;
	}
	snprintf(key_msg, sizeof(key_msg), "%s", note);
out:
	free(newp);
	return rc;
}

int pii_key_open_cli(const char *cmd, struct db *db, const char *db_path, int create)
{
	char *path = pii_key_path_for(db_path);
	int rc = pii_key_open(db, path, create);
	if (rc)
		fprintf(stderr, "zhilian %s: personal data key not loaded: %s\n", cmd,
			key_msg[0] ? key_msg : zl_error_info(rc)->en);
	else if (key_msg[0])
		fprintf(stderr, "zhilian %s: %s\n", cmd, key_msg);
	free(path);
	return rc;
}

/* ---- rotation ---- */

void pii_rotate_test_crash(int point)
{
	rotate_crash_point = point;
}

/* Refuses when the schema holds an *_enc column that pii_columns lacks: it
 * would be left under a key that is about to be thrown away. SQLite's
 * catalogue (a PostgreSQL backend reads information_schema.columns). */
static int check_known_columns(struct db *db)
{
	struct db_stmt *st = NULL;
	int rc = db_prepare(db,
			    "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p"
			    " WHERE m.type = 'table' AND p.name LIKE '%\\_enc' ESCAPE '\\'",
			    &st);
	if (rc)
		return rc;
	while ((rc = db_step(st)) == 1) {
		const char *t = db_col_text(st, 0), *col = db_col_text(st, 1);
		size_t i;
		for (i = 0; i < ARRAY_SIZE(pii_columns); i++)
			if (!strcmp(pii_columns[i].table, t) && !strcmp(pii_columns[i].enc, col))
				break;
		if (i == ARRAY_SIZE(pii_columns)) {
			msg_set("encrypted column %s.%s is unknown to rotate-key (add it to pii_columns "
				"in src/households/pii.c); nothing was changed", t, col);
			rc = ZL_E_INTERNAL;
			break;
		}
	}
	db_done(st);
	return rc < 0 ? rc : 0;
}

struct rot_row {
	int64_t id;
	unsigned char *blob;
	size_t len;
};

/* Re-encrypts one column under nk and recomputes its hash, in batches by id
 * so the scan never reads rows it has just written. */
static int rotate_column(struct db *db, const struct pii_column *pc, const struct pii_key *nk,
			 int64_t *values)
{
	char *sel = xasprintf("SELECT id, %s FROM %s WHERE id > ? AND %s IS NOT NULL ORDER BY id LIMIT %d",
			      pc->enc, pc->table, pc->enc, ROTATE_BATCH);
	char *upd = xasprintf("UPDATE %s SET %s = ?, %s = ? WHERE id = ?", pc->table, pc->enc, pc->hash);
	struct rot_row *rows = xcalloc(ROTATE_BATCH, sizeof(*rows));
	int64_t last = 0;
	size_t n = 0;
	int rc = 0;

	do {
		struct db_stmt *st = NULL;
		n = 0;
		rc = db_prepare(db, sel, &st);
		if (rc)
			break;
		db_bind_int(st, 1, last);
		while ((rc = db_step(st)) == 1) {
			size_t len = 0;
			const void *b = db_col_blob(st, 1, &len);
			rows[n].id = db_col_int(st, 0);
			rows[n].blob = xmalloc(len ? len : 1);
			memcpy(rows[n].blob, b, len);
			rows[n].len = len;
			n++;
		}
		db_done(st);
		for (size_t i = 0; rc == 0 && i < n; i++) {
			char *plain = NULL, h[PII_HASH_HEX];
			unsigned char *nb = NULL;
			size_t nlen = 0;
			rc = unseal(&g.k, rows[i].blob, rows[i].len, &plain);
			if (rc) {
				msg_set("%s.%s of row %" PRId64 " does not open under the current key; the "
					"rotation was abandoned and nothing changed", pc->table, pc->enc,
					rows[i].id);
				break;
			}
			seal(nk, plain, &nb, &nlen);
			hash_value(nk, plain, h);
			sodium_memzero(plain, strlen(plain));
			free(plain);
			rc = db_run(db, upd, "bti", nb, nlen, h, rows[i].id);
			free(nb);
			(*values)++;
			last = rows[i].id;
		}
		for (size_t i = 0; i < n; i++)
			free(rows[i].blob);
	} while (rc == 0 && n == ROTATE_BATCH);
	free(rows);
	free(sel);
	free(upd);
	return rc;
}

static int rotate_audit(struct db *db, const struct pii_key *nk, int64_t values)
{
	struct ctx c;
	char a[PII_KEY_ID_HEX], b[PII_KEY_ID_HEX];
	json_t *before, *after;
	int rc;
	ctx_init_system(&c, db);
	key_id_hex(g.k.id, a);
	key_id_hex(nk->id, b);
	before = json_pack("{s:s}", "key_id", a);
	after = json_pack("{s:s,s:I}", "key_id", b, "values", (json_int_t)values);
	rc = audit_log(&c, "pii.rotate_key", "key", b, before, after);
	json_decref(before);
	json_decref(after);
	ctx_release(&c);
	return rc;
}

int pii_rotate(struct db *db, const char *key_path, int64_t *values)
{
	struct pii_key nk;
	char *newp = NULL;
	int64_t count = 0;
	int rc, crash = rotate_crash_point;

	rotate_crash_point = 0;
	key_msg[0] = '\0';
	if (values)
		*values = 0;
	if (!g.loaded || !g.path || strcmp(g.path, key_path) != 0) {
		msg_set("load the key \"%s\" before rotating it", key_path);
		return ZL_E_PII_KEY;
	}
	rc = check_known_columns(db);
	if (rc)
		return rc;
	if (flock(g.fd, LOCK_EX | LOCK_NB) != 0) {
		msg_set("the key file \"%s\" is in use by another zhilian process (the server, an import); "
			"stop it before rotating the key", key_path);
		return ZL_E_BUSY;
	}
	randombytes_buf(nk.master, sizeof(nk.master));
	key_derive(&nk);
	newp = xasprintf("%s.new", key_path);
	rc = key_file_write(newp, nk.master);
	if (rc) {
		if (rc == ZL_E_CONFLICT)
			msg_set("\"%s\" already exists: an earlier rotation was interrupted; run the "
				"command again to settle it first", newp);
		goto unlock;
	}
	if (crash == 1) {
		msg_set("test crash after writing \"%s\"", newp);
		rc = ZL_E_INTERNAL;
		goto out; /* as if killed: files and lock left as they are */
	}
	rc = db_begin(db);
	for (size_t i = 0; rc == 0 && i < ARRAY_SIZE(pii_columns); i++)
		rc = rotate_column(db, &pii_columns[i], &nk, &count);
	/* import fingerprints are keyed too; the next import recomputes them */
	if (rc == 0)
		rc = db_run(db, "UPDATE household SET import_hash = NULL WHERE import_hash IS NOT NULL", "");
	if (rc == 0)
		rc = rotate_audit(db, &nk, count);
	if (rc == 0)
		rc = db_commit(db);
	if (rc) {
		db_rollback(db);
		if (!key_msg[0])
			msg_set("re-encryption failed (%s); nothing was changed", zl_error_info(rc)->en);
		unlink(newp);
		fsync_dir_of(newp);
		goto unlock;
	}
	if (crash == 2) {
		msg_set("test crash after commit");
		rc = ZL_E_INTERNAL;
		goto out;
	}
	rc = rotation_finish_files(key_path);
	if (rc) {
		/* the data is under the new key in KEY.new: the next start
		 * finishes the rename */
		goto out;
	}
	/* the new key, held shared like any loaded key */
	{
		char *path = xstrdup(key_path);
		pii_key_unload();
		rc = pii_key_load(path, 0);
		free(path);
	}
	if (values)
		*values = count;
	goto out;
unlock:
	flock(g.fd, LOCK_SH);
out:
	sodium_memzero(&nk, sizeof(nk));
	free(newp);
	return rc;
}
