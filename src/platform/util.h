/*
 * util.h: memory, growable buffers and string slices used by every module.
 * Out of memory aborts: there is no sensible recovery inside a request, so
 * xmalloc/xrealloc/xstrdup never return NULL.
 */
#ifndef ZL_UTIL_H
#define ZL_UTIL_H

/* The system headers every file may need come first, then banned.h. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define UNUSED(x) ((void)(x))

/* Allocation that never fails: prints a message and aborts on exhaustion. */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a newly allocated string the caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * struct buf: a growable byte buffer. data is never NULL and always
 * NUL-terminated, so it can be used as a C string at any time.
 * Initialise with BUF_INIT or buf_init(); free with buf_release().
 */
struct buf {
	char *data;
	size_t len, alloc;
};
extern char buf_empty[];
#define BUF_INIT { buf_empty, 0, 0 }

void buf_init(struct buf *b);
/* Frees the memory and leaves b as after buf_init(). */
void buf_release(struct buf *b);
/* Hands the memory to the caller (who frees it); b is left empty. */
char *buf_detach(struct buf *b, size_t *len);
void buf_grow(struct buf *b, size_t extra);
void buf_reset(struct buf *b);
void buf_add(struct buf *b, const void *data, size_t len);
void buf_adds(struct buf *b, const char *s);
void buf_addch(struct buf *b, char c);
void buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vaddf(struct buf *b, const char *fmt, va_list ap);

/* struct str: a non-owning slice, for parsing. */
struct str {
	const char *p;
	size_t len;
};
#define STR_LIT(s) ((struct str){ (s), sizeof(s) - 1 })
int str_eq(struct str a, const char *s);

/* Lowercase hex of n bytes into out (2n+1 bytes). */
void hex_encode(const unsigned char *in, size_t n, char *out);
/* Unpadded base64url of n bytes into a new string. */
char *b64url_new(const unsigned char *in, size_t n);

/* Strict integer parse of the whole string; 0 on success, -1 otherwise. */
int parse_int64(const char *s, int64_t *out);

/* Counts UTF-8 code points; -1 if s is not valid UTF-8. */
long utf8_len(const char *s);

/* Constant-time comparison of two NUL-terminated strings. */
int str_ct_eq(const char *a, const char *b);

#include "banned.h"

#endif
