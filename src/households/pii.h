/*
 * pii.h: personal data (ID numbers, phone numbers): validation, encryption
 * at rest, keyed hashes for exact look-up, masking, and key rotation.
 *
 * Values are encrypted with libsodium's secretbox under a 32-byte master key
 * kept in a key file (mode 0600; `zhilian init`/`demo` create it beside the
 * database as FILE.key; $ZHILIAN_KEY names another). A second key derived
 * from the master (crypto_kdf) makes the keyed hash (BLAKE2b) that lets
 * "find the member with this ID number" work without decrypting.
 * `zhilian rotate-key` re-encrypts everything under a new key.
 *
 * Key file: 64 hex characters and a newline. A process that has loaded the
 * key holds a shared flock on the file for its lifetime, so rotate-key (which
 * needs it exclusively) refuses to run beside a server or an import.
 * Blob: 1 version byte (1), 4-byte key id (the first bytes of a BLAKE2b hash
 * of the master key, so that rotation and start-up can tell keys apart),
 * 24-byte nonce, then the secretbox (MAC and ciphertext).
 */
#ifndef ZL_PII_H
#define ZL_PII_H

#include "platform/util.h"

struct db;

#define PII_HASH_HEX 65   /* 32-byte keyed hash as hex, plus NUL */
#define PII_KEY_ID_HEX 9  /* 4-byte key id as hex, plus NUL */
#define PII_ID_LEN 18     /* resident ID number */
#define PII_MASK_MAX 40   /* enough for any masked ID or phone */

/* Loads the key file at path (creates it with a new random key, O_EXCL and
 * mode 0600, when create is set and the file does not exist). Process-wide;
 * thread-safe after load; a second call replaces the loaded key.
 * Returns 0, ZL_E_NOT_FOUND (no file), ZL_E_IO (unreadable, wrong size or
 * permissions wider than 0600), ZL_E_BUSY (another process holds the file
 * exclusively: a rotation is running) or ZL_E_CONFLICT (PATH.new exists: an
 * interrupted rotation that only pii_key_open() can resolve, since it needs
 * the data). pii_key_error() says why in English, naming the file. */
int pii_key_load(const char *path, int create);
/*
 * The start-up call: like pii_key_load() but with the database at hand.
 * First resolves an interrupted `rotate-key` (PATH.new beside the key): the
 * key id of a stored value tells which key the data is under; the rotation
 * is finished (PATH.new renamed over PATH) or rolled back (PATH.new
 * removed). A missing key file is created when create is set, or when the
 * database holds no encrypted value yet (a database from before this
 * feature). Finally checks that the key opens the stored data:
 * ZL_E_PII_KEY_MISMATCH otherwise. Must run outside a transaction.
 */
int pii_key_open(struct db *db, const char *path, int create);
/* For CLI subcommands: pii_key_open() on pii_key_path_for(db_path), printing
 * "zhilian CMD: ..." with the reason and the fix on failure. 0 or a code. */
int pii_key_open_cli(const char *cmd, struct db *db, const char *db_path, int create);
/* Why the last load failed, or what start-up recovery did (English); "" if
 * nothing to say. Static storage, valid until the next load. */
const char *pii_key_error(void);
/* The key file path that goes with a database path: "DB.key", unless
 * $ZHILIAN_KEY is set. New string. */
char *pii_key_path_for(const char *db_path);
int pii_key_loaded(void);
/* The loaded key's id as 8 hex characters ("" when none is loaded). */
void pii_key_id(char out[PII_KEY_ID_HEX]);
/* Forgets the key and releases the file lock (tests; rotation). */
void pii_key_unload(void);

/* Encrypts a UTF-8 string into a new blob the caller frees. Returns 0 or
 * ZL_E_PII_KEY when no key is loaded. */
int pii_encrypt(const char *plain, unsigned char **blob, size_t *blob_len);
/* Decrypts a blob into a new string the caller frees; ZL_E_INTEGRITY if it
 * does not open (tampered, or made under another key), ZL_E_PII_KEY when no
 * key is loaded. */
int pii_decrypt(const unsigned char *blob, size_t blob_len, char **plain);
/* Keyed hash of the normalised value (upper case; only letters and digits
 * kept; a "86"/"0086" before an 11-digit mobile dropped), so that an ID
 * ending in "x" or "X", and "138 0013 8000" or "+86 13800138000", hash
 * alike. All zeros without a key (never stored: writes need the key). */
void pii_hash(const char *value, char out[PII_HASH_HEX]);
/* Keyed hash of raw bytes (no normalisation): import fingerprints. */
void pii_hash_bytes(const void *p, size_t n, char out[PII_HASH_HEX]);

/*
 * GB 11643 resident ID number: 18 characters, 17 digits and a check
 * character (0-9 or X, a lower-case x is accepted) computed with the
 * ISO 7064 MOD 11-2 weights; the first two digits a province code; the
 * birth date (characters 7-14) must be a real date from 1900 on and not in
 * the future (clock_now(), Asia/Shanghai); the 17th digit gives the sex
 * (odd M, even F). Returns 0 and fills birth ("YYYY-MM-DD", 11 bytes) and
 * sex ('M'/'F') when they are not NULL, or -1 with a reason in English and
 * Chinese (static strings; either pointer may be NULL) when invalid.
 */
int pii_id_check(const char *id, char birth[11], char *sex, const char **why_en, const char **why_zh);
/* Copies an ID number with a lower-case x made upper case (19 bytes). */
void pii_id_normalise(const char *id, char out[PII_ID_LEN + 1]);
/* Mainland mobile number: 11 digits starting with 1[3-9]; spaces, dashes
 * and a leading +86, 0086 or 86 are accepted and removed into out (12
 * bytes). Returns 0 or -1. */
int pii_mobile_check(const char *phone, char out[12]);

/* Masked forms, computed when a value is stored and kept beside it: IDs keep
 * the first 4 and last 4 characters ("4408**********1234"), mobiles the
 * first 3 and last 4 ("138****5678"); an ID of 8 characters or fewer and a
 * phone of 7 or fewer are all stars. out is always NUL-terminated. */
void pii_mask_id(const char *id, char *out, size_t n);
void pii_mask_phone(const char *phone, char *out, size_t n);

/*
 * Key rotation (`zhilian rotate-key`). With the key loaded from key_path
 * (pii_key_open), takes the key file exclusively (ZL_E_BUSY if another
 * process uses it), writes a new key to KEY.new (0600, fsync), then in ONE
 * transaction re-encrypts every *_enc column and recomputes every *_hash
 * beside it (household.import_hash is cleared: the next import recomputes
 * it), commits, and renames KEY.new over the key file (the old key kept as
 * KEY.old until the rename is durable). On return the new key is loaded.
 * A column ending in _enc that this file does not know makes it refuse
 * before touching anything (ZL_E_INTERNAL, pii_key_error() names it).
 * *values gets the number of values re-encrypted (may be NULL).
 */
int pii_rotate(struct db *db, const char *key_path, int64_t *values);
/* Tests only: make the next pii_rotate() stop as if killed, at point 1
 * (KEY.new written, nothing committed) or 2 (committed, not renamed). */
void pii_rotate_test_crash(int point);
/* `zhilian rotate-key [--db FILE]`. */
int rotate_key_cli(int argc, char **argv);

#endif
