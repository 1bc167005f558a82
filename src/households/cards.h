/*
 * cards.h: liaison cards (连心卡): printable PDF cards that tell a household
 * who its responsible cadre is and how to reach them, with the village
 * station team's three fixed things (三固定: people, day, place) and a QR
 * code to the village's resident portal. One card per household, four to an
 * A4 sheet with cut marks. HTTP (card_routes) and CLI (`zhilian cards`) call
 * the same functions.
 */
#ifndef ZL_CARDS_H
#define ZL_CARDS_H

#include "platform/http.h"

/* Page and card geometry, in millimetres: four cards of CARDS_CARD_W x
 * CARDS_CARD_H (a little under A6, so that an office printer's margins stay
 * clear) on an A4 landscape sheet. */
#define CARDS_CARD_W_MM 136.0
#define CARDS_CARD_H_MM 92.0
#define CARDS_PER_PAGE 4

/*
 * What one PDF holds: the cards themselves (out->pdf, the caller releases it
 * with buf_release), the number of cards and pages, and the file names to
 * offer for saving it: an ASCII one ("liaison-cards-440881104201.pdf") and a
 * UTF-8 one ("连心卡-东坑村-440881104201.pdf"), both owned by the struct.
 */
struct cards_pdf {
	struct buf pdf;
	size_t ncards, npages;
	char *filename_ascii;
	char *filename_utf8;
};
#define CARDS_PDF_INIT { BUF_INIT, 0, 0, NULL, NULL }
void cards_pdf_release(struct cards_pdf *p);
/* Answers 200 with the PDF as a download named p's file name (an ASCII
 * fallback and the UTF-8 name, RFC 6266/5987), then releases p. 0. */
struct resp;
int cards_pdf_send(struct resp *w, struct cards_pdf *p);

/*
 * The card of one active household in the actor's scope. Returns 0 and fills
 * out; ZL_E_NOT_FOUND when the household does not exist, is retired or is
 * outside the scope; ZL_E_CARD_RENDER when cairo fails. A household with no
 * responsible cadre yet, or a village without a station team, still gets a
 * card, reading "未指定" where the facts are missing.
 */
int cards_household_pdf(struct ctx *c, int64_t household_id, struct cards_pdf *out);

/*
 * The cards of every active household of a village (ordered by household
 * code), four to a page. ZL_E_NOT_FOUND when the village does not exist or
 * is outside the scope, ZL_E_CARD_NOT_VILLAGE when the code names a region
 * of another level, ZL_E_CARD_EMPTY when it has no active household.
 */
int cards_village_pdf(struct ctx *c, const char *village_code, struct cards_pdf *out);

/*
 * The address the QR code opens: PUBLIC_URL + "/#/portal/" + village_code,
 * where PUBLIC_URL is the setting 'public_url', else $ZHILIAN_PUBLIC_URL,
 * else "http://127.0.0.1:8080" (a trailing '/' is dropped). New string.
 */
char *cards_portal_url(struct ctx *c, const char *village_code);

/*
 * The station day as printed: "每周三 09:00–12:00", "每两周周三 14:30–17:30",
 * "每周三" without hours, "未指定" without a weekday (1 = Monday .. 7 =
 * Sunday; every_weeks 1 or 2). start and end may be NULL. New string.
 */
char *cards_station_text(int weekday, int every_weeks, const char *start, const char *end);

/* GET /api/v1/households/{id}/card.pdf, GET /api/v1/villages/{code}/cards.pdf */
extern const struct route_table card_routes;

/* `zhilian cards --village CODE | --household ID -o FILE.pdf [--db FILE]` */
int cards_cli(int argc, char **argv);

#endif
