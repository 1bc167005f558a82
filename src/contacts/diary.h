/*
 * diary.h: the people's-condition diary (民情日记: a cadre's dated notes,
 * linked to contacts and households), and the monthly records it prints
 * into with the contact log: the station log (驻点日志) and the team record
 * book (驻点团队记录本) of a village, as PDF. HTTP (diary_routes,
 * records_routes) and the CLI (`zhilian records`) call the same functions.
 */
#ifndef ZL_DIARY_H
#define ZL_DIARY_H

#include <jansson.h>

#include "households/cards.h"
#include "platform/http.h"

/*
 * Conventions: as contacts.h. An entry belongs to one village (its
 * village_code), which decides its scope. Who reads what:
 * - a cadre reads only the entries they wrote (another's is ZL_E_NOT_FOUND);
 * - leaders, admins and viewers read every entry whose village is in scope;
 * - only the author changes an entry, within DIARY_EDIT_WINDOW_US of its
 *   creation. After that the entry stays as written (ZL_E_CONFLICT with a
 *   detail): it prints into the station log, and a later thought is a new
 *   dated entry, so the printed record and the screen never disagree.
 * Writes run inside the caller's transaction and audit one row each (ids,
 * date, village, tag and link counts, the text's length; never the text).
 *
 * Entry JSON: id, author {id, display_name}, date ("YYYY-MM-DD"), village
 * {code, name}, text, tags [string], contacts [{id, method, started_at,
 * summary (its first 60 characters)}], households [{id, code, head_name}],
 * editable (the actor may PATCH it now), editable_until, created_at,
 * updated_at.
 */

#define DIARY_EDIT_WINDOW_US (24LL * 3600 * 1000000)
#define DIARY_TEXT_MAX 4000
#define DIARY_TAGS_MAX 8
#define DIARY_TAG_MAX_CHARS 16
#define DIARY_LINKS_MAX 50
#define DIARY_BACKDATE_DAYS 366 /* how far back a date may lie */

/*
 * Creates an entry authored by the actor from {date (YYYY-MM-DD, not after
 * today, at most DIARY_BACKDATE_DAYS back), text (1..4000 characters; line
 * breaks allowed), tags? [1..16 characters, at most 8, duplicates dropped],
 * contacts? [id], households? [id] (in scope, at most 50 each), village_code?}.
 * The village: village_code when given (a village in scope), else the one
 * village of the linked contacts and households, else the author's station
 * village (驻点: a current station assignment or station-team membership),
 * else the author's scope when it is a village; links in another village
 * than the entry's, or several candidate villages without village_code, are
 * field errors. *out is the new entry.
 */
int diary_create(struct ctx *c, const json_t *in, json_t **out);

/* One entry the actor may read (see above); ZL_E_NOT_FOUND otherwise. */
int diary_get(struct ctx *c, int64_t id, json_t **out);

/* List filters. mine: only the actor's own entries (forced for cadres).
 * user_id: one author (a cadre may name only themself: ZL_E_FORBIDDEN
 * otherwise); village: a region code, its subtree; from (inclusive), to
 * (exclusive): dates; month "YYYY-MM" (instead of from/to); tag; household. */
struct diary_filter {
	int mine;
	int64_t user_id;
	const char *village;
	const char *from, *to, *month;
	const char *tag;
	int64_t household;
};
#define DIARY_FILTER_INIT { 1, 0, NULL, NULL, NULL, NULL, NULL, 0 }

/* Entries the actor may read matching f, newest first (date, then id, both
 * descending); cursor as contact_list. */
int diary_list(struct ctx *c, const struct diary_filter *f, const struct page *p, json_t **items,
	       int64_t *next);

/* PATCH {date?, text?, tags?, contacts?, households?, village_code?} (lists
 * replace the whole list) by the author within the window; the village is
 * derived again as for create when the links change. ZL_E_FORBIDDEN for
 * another reader who may see it, ZL_E_CONFLICT after the window. */
int diary_update(struct ctx *c, int64_t id, const json_t *patch, json_t **out);

/* "YYYY-MM" (years 2000..2100) → the first day of that month (from) and of
 * the next (to), as "YYYY-MM-DD"; 0, or -1 for anything else. */
#define DIARY_DATE_BUF 24
int diary_month_range(const char *s, char from[DIARY_DATE_BUF], char to[DIARY_DATE_BUF]);

/* /api/v1/diary: list, create, read, PATCH. */
extern const struct route_table diary_routes;

/* The one rule of who reads whose diary: 1 when the actor reads every entry
 * in scope (leaders, admins, viewers), 0 for a cadre, who reads only their
 * own (the API, the household timeline and the printed station log alike). */
int diary_reads_all(const struct ctx *c);

/* The household timeline source "diary": entries linked to the household,
 * kind "diary.entry", at their creation time; a cadre sees their own
 * entries only (as in the diary list), other roles every linked entry.
 * Registered by contacts_init(). */
struct timeline_source;
extern const struct timeline_source diary_timeline_source;

/* ---- monthly records (records_pdf.c) ---- */

enum records_kind {
	RECORDS_STATION_LOG = 0, /* 驻点日志: day by day */
	RECORDS_TEAM_BOOK = 1    /* 驻点团队记录本: the team, figures, meetings, issues */
};

/* "station-log" / "team-book" → kind; 0 or -1. */
int records_kind_parse(const char *s, enum records_kind *k);

/*
 * Draws the record of kind for the village (12-digit code, in scope) and
 * month ("YYYY-MM") into out (A4 portrait, a header with the village and
 * month on every page, "第 n / N 页" at the foot). ZL_E_NOT_FOUND outside
 * the scope or for no such village; ZL_E_VALIDATION for a bad month or a
 * region that is not a village; ZL_E_CARD_RENDER when cairo fails. The file
 * names are "station-log-CODE-2026-10.pdf" and "驻点日志-东坑村-2026年10月.pdf"
 * (team-book / 驻点团队记录本 alike). The monthly meetings come from the
 * table analysis_meeting only when the database has it.
 */
int records_pdf(struct ctx *c, const char *village, const char *month, enum records_kind kind,
		struct cards_pdf *out);

/* GET /api/v1/villages/{code}/records/{kind}.pdf?month=YYYY-MM */
extern const struct route_table records_routes;

/* `zhilian records --village CODE --month YYYY-MM --kind station-log|team-book
 * -o FILE.pdf [--db FILE]` */
int records_cli(int argc, char **argv);

#endif
