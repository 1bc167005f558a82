/*
 * files.h: uploaded images kept outside the database, content-addressed:
 * the type judged by the content (a whole JPEG or PNG), the size limit, and
 * files stored under their SHA-256 beside the database
 * (<db path>.files/ab/cd/<sha>), written to a temporary file and renamed so
 * a reader never sees half a file. Contacts and appeals attach photos this way.
 */
#ifndef ZL_FILES_H
#define ZL_FILES_H

#include <stddef.h>

#include "platform/db.h"
#include "platform/http.h"

/* The largest photo accepted, in bytes. */
#define FILE_IMAGE_MAX (5 * 1024 * 1024)

/* "image/png" or "image/jpeg" (static strings) when data is a whole image
 * of that kind, else NULL (also for NULL data). */
const char *file_image_sniff(const unsigned char *data, size_t len);

/*
 * Checks an uploaded photo: ZL_E_CONTACT_PHOTO_TOO_LARGE over
 * FILE_IMAGE_MAX, ZL_E_CONTACT_PHOTO_TYPE unless content_type is image/jpeg
 * or image/png (parameters allowed), ZL_E_CONTACT_PHOTO_INVALID unless the
 * content is a whole image of the declared type. 0 with *mime (static) and
 * sha (64 lower-case hex digits and a NUL) set.
 */
int file_image_check(const char *content_type, const void *data, size_t len, const char **mime, char sha[65]);

/* 1 if sha is 64 lower-case hex digits (a name file_store may have made). */
int file_sha_valid(const char *sha);

/* The file of sha beside db's file, as a new string; NULL for an in-memory
 * database (it has nowhere to keep files) or an invalid sha. */
char *file_path(const struct db *db, const char *sha);

/*
 * Stores data as the file of sha (making the directories), unless a file of
 * that length is there already (its name is its hash). 0, ZL_E_IO (also for
 * an in-memory database), ZL_E_DB_FULL when the disk is full. A file stored
 * inside a transaction that later rolls back stays; it is harmless (the
 * same upload finds it again).
 */
int file_store(const struct db *db, const char *sha, const void *data, size_t len);

/*
 * Looks up a stored photo: sql selects its mime type with two parameters,
 * the owner's id and the sha ("SELECT mime FROM x_photo WHERE x_id = ? AND
 * sha256 = ?"). 0 with *path (a new string) and *mime (static) set;
 * ZL_E_NOT_FOUND for an invalid sha, no row, or an in-memory database.
 */
int file_lookup(struct db *db, const char *sql, int64_t owner, const char *sha, char **path, const char **mime);

/* Answers the file at path (a new string, freed here) with its type and
 * "Cache-Control: private": no shared cache keeps a resident's photo. */
void file_send(struct req *r, struct resp *w, char *path, const char *mime);

/* Answers an upload: 201 with Location (out's "url") when created, else
 * 200. Steals out. */
void file_answer(struct resp *w, json_t *out, int created);

#endif
