/*
 * year_confirm.c: the demo town's households confirming their home visits
 * (农户确认), after demo_year(): about half of the year's home visits, more
 * in the villages doing well and fewer in those behind, mostly by an SMS
 * code typed back a minute or two later (now and then after a wrong try),
 * some by a signature drawn on the cadre's phone. Recorded through the
 * confirmation service as the visit's author, on the clock of each moment.
 */
#include <cairo.h>
#include <jansson.h>

#include "year_confirm.h"
#include "contacts/confirm.h"
#include "platform/clock.h"
#include "platform/db.h"
#include "platform/error.h"

#define MIN_US (60 * USEC_PER_SEC)
#define SIGNATURE_STYLES 48 /* distinct signature images; the file store keeps each once */

/* Villages behind on contacts (year.c) confirm fewer; the rest more. */
static const char *const behind[] = { "440881104208", "440881104211" }; /* 白沙村, 长岭村 */

struct visit {
	int64_t id, author, household, end_us;
	char village[ZL_CODE_MAX];
	int has_phone;
};

/* The home visits with households, in time order, with their first
 * household and whether it has a phone. */
static int load_visits(struct db *db, struct visit **out, size_t *n)
{
	struct db_stmt *st;
	size_t cap = 1024;
	int rc = db_prepare(db,
			    "SELECT k.id, k.author_user_id, k.started_at, k.duration_min, k.village_code,"
			    " (SELECT MIN(kh.household_id) FROM contact_household kh WHERE kh.contact_id = k.id)"
			    " FROM contact k WHERE k.method = 'home_visit' AND k.confirmation = 'none'"
			    " AND EXISTS (SELECT 1 FROM contact_household kh WHERE kh.contact_id = k.id)"
			    " ORDER BY k.started_at, k.id",
			    &st);
	*out = NULL;
	*n = 0;
	if (rc)
		return rc;
	*out = xmalloc(cap * sizeof(**out));
	while ((rc = db_step(st)) == 1) {
		struct visit *v;
		int64_t start = 0;
		if (*n == cap)
			*out = xrealloc(*out, (cap *= 2) * sizeof(**out));
		v = &(*out)[(*n)++];
		v->id = db_col_int(st, 0);
		v->author = db_col_int(st, 1);
		time_parse(db_col_text(st, 2), &start);
		v->end_us = start + db_col_int(st, 3) * MIN_US;
		snprintf(v->village, sizeof(v->village), "%s", db_col_text(st, 4));
		v->household = db_col_int(st, 5);
		v->has_phone = 0;
	}
	db_done(st);
	for (size_t i = 0; rc == 0 && i < *n; i++) {
		int64_t one = 0;
		rc = db_get_int(db, &one, "SELECT phone_enc IS NOT NULL FROM household WHERE id = ?", "i",
				(*out)[i].household);
		(*out)[i].has_phone = rc == 1 && one;
		rc = rc < 0 ? rc : 0;
	}
	return rc;
}

static cairo_status_t png_sink(void *closure, const unsigned char *data, unsigned int len)
{
	buf_add(closure, data, len);
	return CAIRO_STATUS_SUCCESS;
}

/* A small PNG of a hand-written-looking stroke, one of SIGNATURE_STYLES. */
static void signature_png(unsigned style, struct buf *out)
{
	struct rng r;
	cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 240, 80);
	cairo_t *cr = cairo_create(s);
	double x = 16, y = 46;
	rng_seed(&r, 0x5167u + style);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	cairo_set_source_rgb(cr, 0.07, 0.07, 0.07);
	cairo_set_line_width(cr, 2.4);
	cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
	cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
	for (int glyph = 0; glyph < 3; glyph++) { /* three characters of a name */
		cairo_move_to(cr, x, y);
		for (int k = 0; k < 4; k++) {
			double dx = 8 + rng_below(&r, 18), dy = (double)rng_below(&r, 44) - 22;
			cairo_curve_to(cr, x + dx / 3, y - dy, x + 2 * dx / 3, y + dy, x + dx, y + dy / 2);
			x += dx;
			y = 46 + dy / 2;
		}
		cairo_stroke(cr);
		x += 12;
	}
	cairo_destroy(cr);
	cairo_surface_write_to_png_stream(s, png_sink, out);
	cairo_surface_destroy(s);
}

/* The signature images, made once each. */
static struct buf pngs[SIGNATURE_STYLES];

static int confirm_one(struct ctx *c, struct rng *r, const struct visit *v, int by_sms)
{
	int64_t at = v->end_us + (int64_t)(1 + rng_below(r, 10)) * MIN_US;
	int rc;
	demo_clock_set(at);
	if (!by_sms) {
		struct buf *png = &pngs[v->household % SIGNATURE_STYLES];
		if (!png->len)
			signature_png((unsigned)(v->household % SIGNATURE_STYLES), png);
		rc = confirm_signature(c, v->id, v->household, NULL, "image/png", png->data, png->len, NULL);
	} else {
		char code[7];
		json_t *in = json_pack("{s:I}", "household_id", (json_int_t)v->household);
		rc = confirm_code_send(c, v->id, in, NULL, code);
		json_decref(in);
		if (!rc && rng_chance(r, 60)) { /* misheard once */
			json_t *bad = json_pack("{s:s}", "code", code[0] == '9' ? "000000" : "999999");
			demo_clock_set(at + MIN_US);
			rc = confirm_code_check(c, v->id, bad, NULL);
			json_decref(bad);
			rc = rc == ZL_E_CONFIRM_CODE_WRONG ? 0 : rc ? rc : ZL_E_INTERNAL;
			verr_release(&c->errs);
		}
		if (!rc) {
			json_t *right = json_pack("{s:s}", "code", code);
			demo_clock_set(at + (int64_t)(2 + rng_below(r, 3)) * MIN_US);
			rc = confirm_code_check(c, v->id, right, NULL);
			json_decref(right);
		}
	}
	return rc;
}

int demo_confirm(struct ctx *c, struct rng *r, const struct demo_town *tw)
{
	struct actor saved = c->actor;
	struct visit *vs = NULL;
	size_t n = 0;
	int64_t now = demo_now_us();
	int rc;
	char sent_cut[ZL_TIME_MAX];

	UNUSED(tw);
	/* the demo town's year had an SMS gateway for the codes (they are marked
	 * delivered below); the demo database itself has none set up, so the
	 * setting lives only while the year's confirmations are written */
	rc = db_run(c->db, "INSERT INTO setting(key, value) VALUES ('outbound.sms_url', 'http://sms.invalid/?to={phone}')",
		    "");
	if (!rc)
		rc = load_visits(c->db, &vs, &n);
	for (size_t i = 0; !rc && i < n; i++) {
		const struct visit *v = &vs[i];
		int slow = !strcmp(v->village, behind[0]) || !strcmp(v->village, behind[1]);
		if (v->end_us + 15 * MIN_US > now || !rng_chance(r, slow ? 220 : 480))
			continue;
		/* the author, with the whole town in scope: one scope pattern for
		 * every visit keeps SQLite from re-preparing the scoped queries */
		c->actor = saved;
		c->actor.user_id = v->author;
		c->actor.role = ROLE_CADRE;
		snprintf(c->actor.username, sizeof(c->actor.username), "demo");
		rc = confirm_one(c, r, v, v->has_phone && !rng_chance(r, 200));
	}
	/* the year's codes were delivered back then */
	time_format_utc(now, sent_cut);
	if (!rc)
		rc = db_run(c->db,
			    "UPDATE outbound_message SET state = 'sent', attempts = 1, sent_at = created_at"
			    " WHERE kind = 'contact.confirm_code' AND state = 'pending' AND created_at < ?",
			    "t", sent_cut);
	if (!rc)
		rc = db_run(c->db, "DELETE FROM setting WHERE key = 'outbound.sms_url'", "");
	demo_clock_set(now);
	c->actor = saved;
	free(vs);
	for (size_t i = 0; i < SIGNATURE_STYLES; i++)
		buf_release(&pngs[i]);
	return rc;
}
