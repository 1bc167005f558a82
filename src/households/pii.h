/*
 * pii.h: personal data (ID numbers, phone numbers): validation, encryption
 * at rest, keyed hashes for exact look-up, and masking.
 *
 * Values are encrypted with libsodium's secretbox under a 32-byte master key
 * kept in a key file (mode 0600; `zhilian init`/`demo` create it beside the
 * database as FILE.key; `--key` or $ZHILIAN_KEY name another). A second key
 * derived from the master (crypto_kdf) makes the keyed hash (BLAKE2b) that
 * lets "find the member with this ID number" work without decrypting.
 * `zhilian rotate-key` re-encrypts everything under a new key.
 */
#ifndef ZL_PII_H
#define ZL_PII_H

#include "platform/util.h"

#define PII_HASH_HEX 65 /* 32-byte keyed hash as hex, plus NUL */

/* Loads the key file at path (creates it with a new random key when create
 * is set and the file does not exist). Process-wide; thread-safe after load.
 * Returns 0, ZL_E_NOT_FOUND (no file), ZL_E_IO (unreadable, wrong size or
 * permissions wider than 0600). */
int pii_key_load(const char *path, int create);
/* The key file path that goes with a database path: "DB.key", unless
 * $ZHILIAN_KEY is set. New string. */
char *pii_key_path_for(const char *db_path);
int pii_key_loaded(void);

/* Encrypts a UTF-8 string into a new blob (version byte, nonce, box). */
int pii_encrypt(const char *plain, unsigned char **blob, size_t *blob_len);
/* Decrypts a blob into a new string; ZL_E_INTEGRITY if it does not open. */
int pii_decrypt(const unsigned char *blob, size_t blob_len, char **plain);
/* Keyed hash of the normalised value (ID: upper-case X; phone: digits). */
void pii_hash(const char *value, char out[PII_HASH_HEX]);

/*
 * GB 11643 resident ID number: 18 characters, 17 digits and a check
 * character (0-9 or X) computed with the ISO 7064 MOD 11-2 weights; the
 * birth date (characters 7-14) must be a real date not in the future; the
 * 17th digit gives the sex (odd M, even F). Returns 0 and fills birth
 * ("YYYY-MM-DD", 11 bytes) and sex ('M'/'F') when given, or -1 with a
 * reason in English and Chinese (static strings) when invalid.
 */
int pii_id_check(const char *id, char birth[11], char *sex, const char **why_en, const char **why_zh);
/* Mainland mobile number: 11 digits starting with 1[3-9]; spaces, dashes
 * and a leading +86 are accepted and removed into out (12 bytes). */
int pii_mobile_check(const char *phone, char out[12]);

/* Masked forms, computed when a value is stored and kept beside it: IDs keep
 * the first 4 and last 4 characters ("4408**********1234"), mobiles the
 * first 3 and last 4 ("138****5678"); anything shorter is all stars. */
void pii_mask_id(const char *id, char *out, size_t n);
void pii_mask_phone(const char *phone, char *out, size_t n);

#endif
