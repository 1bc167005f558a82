/*
 * cards.c: liaison cards (连心卡). Loads what a card says (the household, its
 * current responsible cadre, the village's station team and its three fixed
 * things) in a few read queries, then draws the cards with cairo and pango
 * into a PDF in memory, four to an A4 landscape sheet with cut marks.
 */
#include <cairo.h>
#include <cairo-pdf.h>
#include <pango/pangocairo.h>
#include <qrencode.h>

#include "households/cards.h"
#include "platform/cli.h"
#include "platform/clock.h"
#include "platform/db.h"
#include "platform/error.h"

#define MISSING "未指定"
#define DEFAULT_PUBLIC_URL "http://127.0.0.1:8080"
#define FONT_FAMILY "Noto Sans CJK SC"

/* Geometry in millimetres: the drawing works in mm (the PDF is scaled once). */
#define PT_PER_MM (72.0 / 25.4)
#define PT (25.4 / 72.0) /* one typographic point in mm */
#define PAGE_W 297.0     /* A4 landscape */
#define PAGE_H 210.0
#define GRID_COLS 2
#define GRID_ROWS 2
#define CARD_W CARDS_CARD_W_MM
#define CARD_H CARDS_CARD_H_MM
#define GRID_X ((PAGE_W - GRID_COLS * CARD_W) / 2)
#define GRID_Y ((PAGE_H - GRID_ROWS * CARD_H) / 2)
#define CUT_GAP 2.0 /* cut marks start this far outside the grid */
#define CUT_LEN 6.0

/* Colours: a dark red that stays dark in a black-and-white print, so the
 * white title on it keeps its contrast. */
#define C_RED 0xA61E1Eu
#define C_RED_TINT 0xF6E7E5u
#define C_INK 0x141414u
#define C_LABEL 0x505050u
#define C_RULE 0xBDBDBDu
#define C_WHITE 0xFFFFFFu

/* ---- what a card says ---- */

/* The village part, the same on every card of a village. */
struct card_village {
	char *code, *name, *town, *issuer;
	char *leader, *leader_position;
	char *station; /* "每周三 09:00–12:00" */
	char *place;
	char *url;
};

/* One household and its responsible cadre (NULLs when nobody is assigned). */
struct card_row {
	char *code, *head;
	char *cadre, *position, *phone, *photo;
};

struct card_set {
	struct card_village v;
	struct card_row *rows;
	size_t n, alloc;
	char *files_dir; /* where a relative photo_path is found */
};
#define CARD_SET_INIT { { 0 }, NULL, 0, 0, NULL }

static void card_set_release(struct card_set *s)
{
	struct card_village *v = &s->v;
	free(v->code);
	free(v->name);
	free(v->town);
	free(v->issuer);
	free(v->leader);
	free(v->leader_position);
	free(v->station);
	free(v->place);
	free(v->url);
	for (size_t i = 0; i < s->n; i++) {
		struct card_row *r = &s->rows[i];
		free(r->code);
		free(r->head);
		free(r->cadre);
		free(r->position);
		free(r->phone);
		free(r->photo);
	}
	free(s->rows);
	free(s->files_dir);
	*s = (struct card_set)CARD_SET_INIT;
}

void cards_pdf_release(struct cards_pdf *p)
{
	buf_release(&p->pdf);
	free(p->filename_ascii);
	free(p->filename_utf8);
	*p = (struct cards_pdf)CARDS_PDF_INIT;
}

/* A text column as a new string; NULL for NULL or blank. */
static char *col_text(struct db_stmt *st, int i)
{
	const char *s = db_col_text(st, i);
	while (s && isspace((unsigned char)*s))
		s++;
	return s && *s ? xstrdup(s) : NULL;
}

/* Sets the error's detail (Chinese, and English from fmt); returns rc. */
static int card_fail(struct ctx *c, int rc, const char *zh, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int card_fail(struct ctx *c, int rc, const char *zh, const char *fmt, ...)
{
	struct buf en = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vaddf(&en, fmt, ap);
	va_end(ap);
	ctx_detail(c, zh, en.data);
	buf_release(&en);
	return rc;
}

static const char *or_missing(const char *s)
{
	return s && *s ? s : MISSING;
}

char *cards_station_text(int weekday, int every_weeks, const char *start, const char *end)
{
	static const char *const days[] = { "一", "二", "三", "四", "五", "六", "日" };
	struct buf b = BUF_INIT;
	if (weekday < 1 || weekday > 7)
		return xstrdup(MISSING);
	buf_addf(&b, "%s周%s", every_weeks == 2 ? "每两周" : "每", days[weekday - 1]);
	if (start && *start && end && *end)
		buf_addf(&b, " %s–%s", start, end);
	else if (start && *start)
		buf_addf(&b, " %s起", start);
	return buf_detach(&b, NULL);
}

char *cards_portal_url(struct ctx *c, const char *village_code)
{
	char *base = NULL, *url;
	const char *env = getenv("ZHILIAN_PUBLIC_URL");
	size_t n;
	if (db_get_text(c->db, &base, "SELECT value FROM setting WHERE key = 'public_url'", "") != 1 ||
	    !base || !*base) {
		free(base);
		base = xstrdup(env && *env ? env : DEFAULT_PUBLIC_URL);
	}
	n = strlen(base);
	while (n > 0 && base[n - 1] == '/')
		base[--n] = '\0';
	url = xasprintf("%s/#/portal/%s", base, village_code);
	free(base);
	return url;
}

/* 镇 → 镇人民政府, 街道 → 街道办事处: who issues the card. */
static char *issuer_of(const char *town)
{
	size_t n = town ? strlen(town) : 0;
	if (!n)
		return NULL;
	if (n >= 6 && !strcmp(town + n - 6, "街道"))
		return xasprintf("%s办事处", town);
	return xasprintf("%s人民政府", town);
}

/*
 * Loads the village part of the cards: names, the station team (驻点团队)
 * with its leader, day, hours and place, and the portal address.
 * scope_like limits which village may be named (404 outside it).
 */
static int village_load(struct ctx *c, const char *code, const char *scope_like, struct card_village *v)
{
	struct db_stmt *st = NULL;
	int rc = db_prepare(c->db,
			    "SELECT r.name, r.level, p.name FROM region r LEFT JOIN region p ON p.code = "
			    "r.parent_code WHERE r.code = ? AND +r.path LIKE ?",
			    &st);
	if (rc < 0)
		return rc;
	db_bindv(st, "tt", code, scope_like);
	rc = db_step(st);
	if (rc == 1) {
		const char *level = db_col_text(st, 1);
		if (!level || strcmp(level, "village")) {
			rc = ZL_E_CARD_NOT_VILLAGE;
		} else {
			v->code = xstrdup(code);
			v->name = col_text(st, 0);
			v->town = col_text(st, 2);
			v->issuer = issuer_of(v->town);
			rc = 0;
		}
	} else if (rc == 0) {
		rc = ZL_E_NOT_FOUND;
	}
	db_done(st);
	if (rc == ZL_E_NOT_FOUND)
		return card_fail(c, rc, "没有该村，或不在您的管辖范围内", "no village \"%s\" in your area", code);
	if (rc == ZL_E_CARD_NOT_VILLAGE)
		return card_fail(c, rc, "该代码不是村级区划，请给出村的 12 位代码",
			    "\"%s\" is not a village; give a 12-digit village code", code);
	if (rc)
		return rc;

	rc = db_prepare(c->db,
			"SELECT t.station_weekday, t.station_every_weeks, t.station_start, t.station_end,"
			" t.station_place, u.display_name, u.position FROM village_team t"
			" LEFT JOIN app_user u ON u.id = t.leader_user_id AND u.disabled_at IS NULL"
			" WHERE t.village_code = ? AND t.kind = 'station'",
			&st);
	if (rc < 0)
		return rc;
	db_bind_text(st, 1, code);
	rc = db_step(st);
	if (rc == 1) {
		char *start = col_text(st, 2), *end = col_text(st, 3);
		v->station = cards_station_text(db_col_isnull(st, 0) ? 0 : (int)db_col_int(st, 0),
						(int)db_col_int(st, 1), start, end);
		v->place = col_text(st, 4);
		v->leader = col_text(st, 5);
		v->leader_position = col_text(st, 6);
		free(start);
		free(end);
		rc = 0;
	}
	db_done(st);
	if (rc < 0)
		return rc;
	if (!v->station)
		v->station = xstrdup(MISSING);
	v->url = cards_portal_url(c, code);
	return 0;
}

/* The household and its current cadre (联系户 assignment still open, the
 * account not disabled), filtered by the actor's scope. */
#define ROW_SQL                                                                                   \
	"SELECT t.code, t.head_name, u.display_name, u.position, u.phone, u.photo_path,"          \
	" t.village_code FROM household t"                                                      \
	" LEFT JOIN household_assignment a ON a.household_id = t.id AND a.end_date IS NULL"     \
	" LEFT JOIN app_user u ON u.id = a.user_id AND u.disabled_at IS NULL"                   \
	" WHERE t.retired_at IS NULL"

static void row_read(struct db_stmt *st, struct card_set *s)
{
	struct card_row *r;
	if (s->n == s->alloc) {
		s->alloc = s->alloc ? 2 * s->alloc : 16;
		s->rows = xrealloc(s->rows, s->alloc * sizeof(*s->rows));
	}
	r = &s->rows[s->n++];
	r->code = col_text(st, 0);
	r->head = col_text(st, 1);
	r->cadre = col_text(st, 2);
	r->position = col_text(st, 3);
	r->phone = col_text(st, 4);
	r->photo = col_text(st, 5);
}

/* Photos are content-addressed files kept beside the database in files/
 * (or under $ZHILIAN_FILES). */
static char *files_dir_of(struct db *db)
{
	const char *env = getenv("ZHILIAN_FILES");
	const char *path = db_path(db), *slash;
	if (env && *env)
		return xstrdup(env);
	slash = path ? strrchr(path, '/') : NULL;
	if (!slash)
		return xstrdup("files");
	return xasprintf("%.*s/files", (int)(slash - path), path);
}

/* Prepares ROW_SQL with one more condition, the scope and an order. */
static int rows_prepare(struct ctx *c, const char *cond, const char *order, struct db_stmt **st)
{
	struct buf sql = BUF_INIT;
	int rc;
	buf_addf(&sql, "%s AND %s", ROW_SQL, cond);
	scope_sql(&sql, "t.region_code");
	buf_adds(&sql, order);
	rc = db_prepare(c->db, sql.data, st);
	buf_release(&sql);
	return rc;
}

static int household_load(struct ctx *c, int64_t id, struct card_set *s)
{
	struct db_stmt *st = NULL;
	char *village = NULL;
	int rc = rows_prepare(c, "t.id = ?", "", &st);
	if (rc < 0)
		return rc;
	db_bindv(st, "it", id, c->actor.scope_like);
	rc = db_step(st);
	if (rc == 1) {
		row_read(st, s);
		village = col_text(st, 6);
		rc = 0;
	} else if (rc == 0) {
		rc = ZL_E_NOT_FOUND;
	}
	db_done(st);
	if (rc == ZL_E_NOT_FOUND)
		return card_fail(c, rc, "没有该农户，或不在您的管辖范围内", "no household %" PRId64 " in your area", id);
	/* The household is in scope, so its village may be named even when the
	 * actor's scope is one group (村民小组) of it. */
	if (!rc)
		rc = village_load(c, village ? village : "", "/%", &s->v);
	free(village);
	return rc;
}

static int village_rows_load(struct ctx *c, const char *code, struct card_set *s)
{
	struct db_stmt *st = NULL;
	int rc = village_load(c, code, c->actor.scope_like, &s->v);
	if (!rc)
		rc = rows_prepare(c, "t.village_code = ?", " ORDER BY t.code", &st);
	if (rc < 0)
		return rc;
	db_bindv(st, "tt", code, c->actor.scope_like);
	while ((rc = db_step(st)) == 1)
		row_read(st, s);
	db_done(st);
	if (rc < 0)
		return rc;
	if (s->n == 0)
		return card_fail(c, ZL_E_CARD_EMPTY, "该村没有在册农户，无卡可打印",
			    "village \"%s\" has no active household to print a card for", code);
	return 0;
}

/* ---- drawing ---- */

struct pen {
	cairo_t *cr;
	PangoLayout *lay;
	PangoFontDescription *fd;
};

enum align { AL_LEFT, AL_CENTER, AL_RIGHT };

static void set_rgb(cairo_t *cr, uint32_t rgb)
{
	cairo_set_source_rgb(cr, ((rgb >> 16) & 0xff) / 255.0, ((rgb >> 8) & 0xff) / 255.0,
			     (rgb & 0xff) / 255.0);
}

static double pen_measure(struct pen *p, double size_mm, int bold, const char *s)
{
	int w;
	pango_font_description_set_absolute_size(p->fd, size_mm * PANGO_SCALE);
	pango_font_description_set_weight(p->fd, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
	pango_layout_set_font_description(p->lay, p->fd);
	pango_layout_set_width(p->lay, -1);
	pango_layout_set_height(p->lay, -1);
	pango_layout_set_ellipsize(p->lay, PANGO_ELLIPSIZE_NONE);
	pango_layout_set_text(p->lay, s, -1);
	pango_layout_get_size(p->lay, &w, NULL);
	return (double)w / PANGO_SCALE;
}

/*
 * Draws text with its (first) baseline at y, within width w (mm; 0 = no
 * limit), aligned in it. Text too wide wraps onto up to `lines` lines, or,
 * for a single line, is first shrunk (down to 80%); what still does not fit
 * is ellipsized, so that nothing ever runs off the card. Returns the width.
 */
static double pen_text(struct pen *p, double x, double y, double w, int lines, double size_pt,
		       int bold, uint32_t rgb, enum align al, const char *s)
{
	double size = size_pt * PT, width = pen_measure(p, size, bold, s), dx = 0;
	if (w > 0 && width > w && lines > 1) {
		pango_layout_set_width(p->lay, (int)(w * PANGO_SCALE));
		pango_layout_set_wrap(p->lay, PANGO_WRAP_WORD_CHAR);
		pango_layout_set_height(p->lay, -lines);
		pango_layout_set_ellipsize(p->lay, PANGO_ELLIPSIZE_END);
		width = w;
	} else if (w > 0 && width > w) {
		double fit = size * w / width * 0.98;
		size = fit >= size * 0.8 ? fit : size * 0.8;
		width = pen_measure(p, size, bold, s);
		if (width > w) {
			pango_layout_set_width(p->lay, (int)(w * PANGO_SCALE));
			pango_layout_set_ellipsize(p->lay, PANGO_ELLIPSIZE_END);
			width = w;
		}
	}
	if (al == AL_RIGHT)
		dx = w - width;
	else if (al == AL_CENTER)
		dx = (w - width) / 2;
	set_rgb(p->cr, rgb);
	cairo_move_to(p->cr, x + dx, y - (double)pango_layout_get_baseline(p->lay) / PANGO_SCALE);
	pango_cairo_show_layout(p->cr, p->lay);
	return width;
}

static double pen_line(struct pen *p, double x, double y, double w, double size_pt, int bold,
		       uint32_t rgb, enum align al, const char *s)
{
	return pen_text(p, x, y, w, 1, size_pt, bold, rgb, al, s);
}

/* Draws s centred on (cx, cy) by its ink (the glyphs themselves). */
static void pen_center(struct pen *p, double cx, double cy, double size_pt, int bold, uint32_t rgb,
		       const char *s)
{
	PangoRectangle ink;
	pen_measure(p, size_pt * PT, bold, s);
	pango_layout_get_extents(p->lay, &ink, NULL);
	set_rgb(p->cr, rgb);
	cairo_move_to(p->cr, cx - (ink.x + ink.width / 2.0) / PANGO_SCALE,
		      cy - (ink.y + ink.height / 2.0) / PANGO_SCALE);
	pango_cairo_show_layout(p->cr, p->lay);
}

static void rounded_rect(cairo_t *cr, double x, double y, double w, double h, double r)
{
	cairo_new_sub_path(cr);
	cairo_arc(cr, x + w - r, y + r, r, -G_PI / 2, 0);
	cairo_arc(cr, x + w - r, y + h - r, r, 0, G_PI / 2);
	cairo_arc(cr, x + r, y + h - r, r, G_PI / 2, G_PI);
	cairo_arc(cr, x + r, y + r, r, G_PI, 3 * G_PI / 2);
	cairo_close_path(cr);
}

/* Dark modules as filled rectangles, one per horizontal run, in one fill
 * (so that no seams show between modules). */
static void draw_qr(cairo_t *cr, const QRcode *qr, double x, double y, double size)
{
	int n = qr->width;
	double m = size / n;
	for (int row = 0; row < n; row++) {
		int col = 0;
		while (col < n) {
			int start;
			if (!(qr->data[row * n + col] & 1)) {
				col++;
				continue;
			}
			start = col;
			while (col < n && (qr->data[row * n + col] & 1))
				col++;
			cairo_rectangle(cr, x + start * m, y + row * m, (col - start) * m, m);
		}
	}
	set_rgb(cr, 0);
	cairo_fill(cr);
}

/* Photos, loaded once per PDF: a cadre serves many households. */
struct photo {
	char *name;
	cairo_surface_t *img; /* NULL when it could not be loaded */
};
struct photo_cache {
	struct photo *items;
	size_t n, alloc;
};
#define PHOTO_CACHE_INIT { NULL, 0, 0 }
#define PHOTO_MAX_PX 480 /* about 450 dpi on the card: more only bloats the PDF */

/* A phone camera's photo scaled down once, so that the PDF embeds a small
 * image; takes img and returns the one to use. */
static cairo_surface_t *photo_shrink(cairo_surface_t *img)
{
	int w = cairo_image_surface_get_width(img), h = cairo_image_surface_get_height(img);
	double k = (double)PHOTO_MAX_PX / (w > h ? w : h);
	cairo_surface_t *small;
	cairo_t *cr;
	if (k >= 1)
		return img;
	small = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)(w * k + 0.5), (int)(h * k + 0.5));
	cr = cairo_create(small);
	cairo_set_source_rgb(cr, 1, 1, 1); /* a transparent background prints white */
	cairo_paint(cr);
	cairo_scale(cr, k, k);
	cairo_set_source_surface(cr, img, 0, 0);
	cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_GOOD);
	cairo_paint(cr);
	cairo_destroy(cr);
	cairo_surface_destroy(img);
	return small;
}

/*
 * The photo named name (a content-addressed file name) in dir, or NULL when
 * there is none or it is not a readable PNG. Names that could leave dir
 * (absolute, or with "..") are refused. The cache keeps the image.
 */
static cairo_surface_t *photo_get(struct photo_cache *pc, const char *dir, const char *name)
{
	struct photo *ph;
	char *path;
	if (!name || name[0] == '/' || strstr(name, ".."))
		return NULL;
	for (size_t i = 0; i < pc->n; i++)
		if (!strcmp(pc->items[i].name, name))
			return pc->items[i].img;
	if (pc->n == pc->alloc) {
		pc->alloc = pc->alloc ? 2 * pc->alloc : 8;
		pc->items = xrealloc(pc->items, pc->alloc * sizeof(*pc->items));
	}
	ph = &pc->items[pc->n++];
	ph->name = xstrdup(name);
	path = xasprintf("%s/%s", dir, name);
	ph->img = cairo_image_surface_create_from_png(path);
	free(path);
	if (cairo_surface_status(ph->img) != CAIRO_STATUS_SUCCESS) {
		cairo_surface_destroy(ph->img);
		ph->img = NULL;
	} else {
		ph->img = photo_shrink(ph->img);
	}
	return ph->img;
}

static void photo_cache_release(struct photo_cache *pc)
{
	for (size_t i = 0; i < pc->n; i++) {
		free(pc->items[i].name);
		if (pc->items[i].img)
			cairo_surface_destroy(pc->items[i].img);
	}
	free(pc->items);
	*pc = (struct photo_cache)PHOTO_CACHE_INIT;
}

/* The first character of the last word: "驻点干部 林秀英" → "林". */
static void surname_of(const char *name, char out[8])
{
	const char *s = name, *sp = strrchr(name, ' ');
	size_t n = 1;
	if (sp && sp[1])
		s = sp + 1;
	while (s[n] && ((unsigned char)s[n] & 0xC0) == 0x80 && n < 6)
		n++;
	memcpy(out, s, n);
	out[n] = '\0';
}

/* The photo, or, without one, the surname drawn in a frame. */
static void draw_photo(struct pen *p, cairo_surface_t *img, const char *cadre, double x, double y,
		       double w, double h)
{
	cairo_t *cr = p->cr;
	cairo_save(cr);
	rounded_rect(cr, x, y, w, h, 1.5);
	if (img) {
		double iw = cairo_image_surface_get_width(img), ih = cairo_image_surface_get_height(img);
		double k = w / iw > h / ih ? w / iw : h / ih;
		cairo_clip(cr);
		cairo_translate(cr, x + (w - iw * k) / 2, y + (h - ih * k) / 2);
		cairo_scale(cr, k, k);
		cairo_set_source_surface(cr, img, 0, 0);
		cairo_paint(cr);
	} else {
		set_rgb(cr, C_RED_TINT);
		cairo_fill_preserve(cr);
		set_rgb(cr, C_RED);
		cairo_set_line_width(cr, 0.3);
		cairo_stroke(cr);
		if (cadre) {
			char sur[8];
			surname_of(cadre, sur);
			pen_center(p, x + w / 2, y + h / 2, 40, 1, C_RED, sur);
		} else {
			pen_center(p, x + w / 2, y + h / 2, 11, 0, C_LABEL, MISSING);
		}
	}
	cairo_restore(cr);
}

/* "13800138000" → "138 0013 8000": grouped the way people read it out. */
static char *phone_text(const char *phone)
{
	size_t n = phone ? strlen(phone) : 0;
	int digits = n == 11;
	for (size_t i = 0; digits && i < n; i++)
		digits = isdigit((unsigned char)phone[i]);
	if (digits && phone[0] == '1')
		return xasprintf("%.3s %.4s %.4s", phone, phone + 3, phone + 7);
	return xstrdup(or_missing(phone));
}

/* A label in the left column and its value after it, on one baseline. */
static void label_row(struct pen *p, double y, const char *label, const char *value, double size_pt,
		      int bold)
{
	pen_line(p, 7, y, 19, 10, 0, C_LABEL, AL_LEFT, label);
	pen_line(p, 26, y, 70, size_pt, bold, C_INK, AL_LEFT, value);
}

/* Where things sit on a card, in mm from its top-left corner. Everything
 * stays 3 mm inside the cut line, so an uneven cut never shows a neighbour. */
#define QR_X 101.0
#define QR_Y 23.0
#define QR_SIZE 28.0 /* a module is about 1 mm: scannable from arm's length */
#define RULE_Y 68.0
#define RIGHT_X (QR_X - 2)
#define RIGHT_W (CARD_W - 5 - RIGHT_X)

static void rule(cairo_t *cr, double x0, double x1, double y)
{
	cairo_set_line_width(cr, 0.25);
	set_rgb(cr, C_RULE);
	cairo_move_to(cr, x0, y);
	cairo_line_to(cr, x1, y);
	cairo_stroke(cr);
}

/* What every card of the village shows alike: the header, the labels, the
 * station team's three fixed things, the QR code and who issues the card. */
static void draw_card_village(struct pen *p, const struct card_village *v, const QRcode *qr)
{
	cairo_t *cr = p->cr;
	char *text;
	double w;

	rounded_rect(cr, 3, 3, CARD_W - 6, 16, 2.5);
	set_rgb(cr, C_RED);
	cairo_fill(cr);
	w = pen_line(p, 7.5, 14.2, 0, 24, 1, C_WHITE, AL_LEFT, "连心卡");
	pen_line(p, 7.5 + w + 2.5, 14.2, 24, 11, 0, C_WHITE, AL_LEFT, "直联服务卡");
	text = xasprintf("%s%s%s", v->town ? v->town : "", v->town ? " · " : "", or_missing(v->name));
	pen_line(p, 62, 14.2, CARD_W - 62 - 7.5, 15, 1, C_WHITE, AL_RIGHT, text);
	free(text);

	pen_line(p, 31, 27.5, 65, 10, 0, C_LABEL, AL_LEFT, "联系干部");
	pen_line(p, 7, 55.2, 30, 10, 0, C_LABEL, AL_LEFT, "联系电话");

	rule(cr, 7, 96, RULE_Y);
	if (v->leader && v->leader_position)
		text = xasprintf("%s（%s）", v->leader, v->leader_position);
	else
		text = xstrdup(or_missing(v->leader));
	label_row(p, 74.5, "驻点团队长", text, 12, 0);
	free(text);
	label_row(p, 81, "驻点日", v->station, 13, 1);
	label_row(p, 87.3, "驻点地点", or_missing(v->place), 12, 0);

	draw_qr(cr, qr, QR_X, QR_Y, QR_SIZE);
	pen_line(p, QR_X - 3, QR_Y + QR_SIZE + 6, QR_SIZE + 6, 12, 1, C_INK, AL_CENTER, "扫码反映诉求");
	rule(cr, RIGHT_X, CARD_W - 5, RULE_Y);
	if (v->issuer)
		pen_line(p, RIGHT_X, 87.3, RIGHT_W, 8, 0, C_LABEL, AL_LEFT, v->issuer);
}

/* What is the household's own: its cadre (photo, name, position, phone in
 * large type for elderly eyes) and whose card it is. */
static void draw_card_household(struct pen *p, const struct card_set *s, const struct card_row *r,
				struct photo_cache *pc)
{
	char *text;
	int has_phone = r->cadre && r->phone;

	draw_photo(p, photo_get(pc, s->files_dir, r->photo), r->cadre, 7, 23, 20, 26.5);
	pen_line(p, 31, 37, 65, 21, 1, C_INK, AL_LEFT, or_missing(r->cadre));
	if (r->cadre)
		pen_text(p, 31, 43.5, 65, 2, 11, 0, C_INK, AL_LEFT, or_missing(r->position));
	text = phone_text(has_phone ? r->phone : NULL);
	pen_line(p, 7, 65.2, 89, has_phone ? 27 : 20, 1, has_phone ? C_RED : C_INK, AL_LEFT, text);
	free(text);

	text = xasprintf("户主 %s", or_missing(r->head));
	pen_line(p, RIGHT_X, 74.5, RIGHT_W, 11.5, 1, C_INK, AL_LEFT, text);
	free(text);
	text = xasprintf("户号 %s", or_missing(r->code));
	pen_line(p, RIGHT_X, 80.8, RIGHT_W, 8, 0, C_LABEL, AL_LEFT, text);
	free(text);
}

/* Cut marks in the margins, on the lines bounding the cards of this page. */
static void draw_cut_marks(cairo_t *cr, size_t used)
{
	int cols = used >= GRID_COLS ? GRID_COLS : (int)used;
	int rows = (int)((used + GRID_COLS - 1) / GRID_COLS);
	double right = GRID_X + cols * CARD_W, bottom = GRID_Y + rows * CARD_H;
	set_rgb(cr, 0);
	cairo_set_line_width(cr, 0.15);
	for (int i = 0; i <= cols; i++) {
		double x = GRID_X + i * CARD_W;
		cairo_move_to(cr, x, GRID_Y - CUT_GAP);
		cairo_line_to(cr, x, GRID_Y - CUT_GAP - CUT_LEN);
		cairo_move_to(cr, x, bottom + CUT_GAP);
		cairo_line_to(cr, x, bottom + CUT_GAP + CUT_LEN);
	}
	for (int i = 0; i <= rows; i++) {
		double y = GRID_Y + i * CARD_H;
		cairo_move_to(cr, GRID_X - CUT_GAP, y);
		cairo_line_to(cr, GRID_X - CUT_GAP - CUT_LEN, y);
		cairo_move_to(cr, right + CUT_GAP, y);
		cairo_line_to(cr, right + CUT_GAP + CUT_LEN, y);
	}
	cairo_stroke(cr);
}

/*
 * A pen drawing on surf in millimetres, with fonts from fm. User units are
 * millimetres, so metric hinting and glyph rounding are off: they would round
 * every advance to a whole millimetre.
 */
static void pen_open(struct pen *p, cairo_surface_t *surf, PangoFontMap *fm)
{
	cairo_font_options_t *fo = cairo_font_options_create();
	PangoContext *pc = pango_font_map_create_context(fm);
	p->cr = cairo_create(surf);
	cairo_scale(p->cr, PT_PER_MM, PT_PER_MM);
	pango_cairo_update_context(p->cr, pc);
	cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
	cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
	pango_cairo_context_set_font_options(pc, fo);
	cairo_font_options_destroy(fo);
	pango_context_set_round_glyph_positions(pc, FALSE);
	p->lay = pango_layout_new(pc);
	g_object_unref(pc);
	pango_layout_set_single_paragraph_mode(p->lay, TRUE);
	p->fd = pango_font_description_from_string(FONT_FAMILY);
}

/* Returns 0 or ZL_E_CARD_RENDER if cairo failed on the way. */
static int pen_close(struct pen *p)
{
	int rc = cairo_status(p->cr) == CAIRO_STATUS_SUCCESS ? 0 : ZL_E_CARD_RENDER;
	pango_font_description_free(p->fd);
	g_object_unref(p->lay);
	cairo_destroy(p->cr);
	return rc;
}

/*
 * The village part of the card, recorded once: painting the same recording
 * surface on every card makes cairo write it to the PDF once, as a form
 * every card refers to, which keeps a village's PDF small and quick.
 */
static cairo_surface_t *village_template_new(const struct card_village *v, const QRcode *qr,
					     PangoFontMap *fm)
{
	cairo_rectangle_t ext = { 0, 0, CARD_W * PT_PER_MM, CARD_H * PT_PER_MM };
	cairo_surface_t *rec = cairo_recording_surface_create(CAIRO_CONTENT_COLOR_ALPHA, &ext);
	struct pen p;
	pen_open(&p, rec, fm);
	draw_card_village(&p, v, qr);
	if (pen_close(&p)) {
		cairo_surface_destroy(rec);
		return NULL;
	}
	return rec;
}

/* The QR's clickable area for PDF viewers, in the page's user space. */
static void qr_link(cairo_t *cr, const char *url)
{
	struct buf attr = BUF_INIT;
	buf_addf(&attr, "rect=[%.2f %.2f %.2f %.2f] uri='", QR_X, QR_Y, QR_SIZE, QR_SIZE);
	for (const char *s = url; *s; s++) {
		if (*s == '\'' || *s == '\\')
			buf_addch(&attr, '\\');
		buf_addch(&attr, *s);
	}
	buf_addch(&attr, '\'');
	cairo_tag_begin(cr, CAIRO_TAG_LINK, attr.data);
	cairo_tag_end(cr, CAIRO_TAG_LINK);
	buf_release(&attr);
}

static cairo_status_t pdf_write(void *closure, const unsigned char *data, unsigned int len)
{
	buf_add(closure, data, len);
	return CAIRO_STATUS_SUCCESS;
}

/*
 * Renders the set into out->pdf. The fonts come from a font map of this
 * render's own (not pango's per-thread default), so that what pango and
 * fontconfig cache for it is freed when the PDF is done rather than kept by
 * every server thread for good.
 */
static int cards_render(const struct card_set *s, struct cards_pdf *out)
{
	struct photo_cache pc = PHOTO_CACHE_INIT;
	struct pen p;
	PangoFontMap *fm;
	cairo_surface_t *surf, *tpl;
	QRcode *qr;
	char *title;
	size_t npages = (s->n + CARDS_PER_PAGE - 1) / CARDS_PER_PAGE;
	int rc;

	qr = QRcode_encodeString(s->v.url, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (!qr)
		return ZL_E_CARD_RENDER;
	fm = pango_cairo_font_map_new();
	tpl = village_template_new(&s->v, qr, fm);
	QRcode_free(qr);
	if (!tpl) {
		g_object_unref(fm);
		return ZL_E_CARD_RENDER;
	}
	surf = cairo_pdf_surface_create_for_stream(pdf_write, &out->pdf, PAGE_W * PT_PER_MM,
						   PAGE_H * PT_PER_MM);
	title = xasprintf("连心卡 %s%s", s->v.town ? s->v.town : "", or_missing(s->v.name));
	cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_TITLE, title);
	cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_CREATOR, "zhilian");
	free(title);
	pen_open(&p, surf, fm);

	for (size_t page = 0; page < npages; page++) {
		size_t first = page * CARDS_PER_PAGE;
		size_t used = s->n - first < CARDS_PER_PAGE ? s->n - first : CARDS_PER_PAGE;
		char *head = xasprintf("%s%s 连心卡 · 第 %zu / %zu 页 · 沿裁切线裁开", s->v.town ? s->v.town : "",
				       or_missing(s->v.name), page + 1, npages);
		pango_cairo_update_layout(p.cr, p.lay);
		pen_line(&p, GRID_X + 6, GRID_Y - 4.5, 150, 7, 0, C_LABEL, AL_LEFT, head);
		free(head);
		draw_cut_marks(p.cr, used);
		for (size_t i = 0; i < used; i++) {
			cairo_save(p.cr);
			cairo_translate(p.cr, GRID_X + (double)(i % GRID_COLS) * CARD_W,
					GRID_Y + (double)(i / GRID_COLS) * CARD_H);
			cairo_save(p.cr);
			cairo_scale(p.cr, 1 / PT_PER_MM, 1 / PT_PER_MM);
			cairo_set_source_surface(p.cr, tpl, 0, 0);
			cairo_paint(p.cr);
			cairo_restore(p.cr);
			qr_link(p.cr, s->v.url);
			pango_cairo_update_layout(p.cr, p.lay);
			draw_card_household(&p, s, &s->rows[first + i], &pc);
			cairo_restore(p.cr);
		}
		cairo_show_page(p.cr);
	}
	rc = pen_close(&p);
	cairo_surface_finish(surf);
	if (!rc && cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS)
		rc = ZL_E_CARD_RENDER;
	cairo_surface_destroy(surf);
	cairo_surface_destroy(tpl);
	g_object_unref(fm);
	photo_cache_release(&pc);
	if (rc) {
		buf_release(&out->pdf);
		return rc;
	}
	out->ncards = s->n;
	out->npages = npages;
	return 0;
}

/* A file-name part: no path separators, quotes or control characters. */
static void name_part(struct buf *b, const char *s, int ascii)
{
	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ascii && !(isalnum(ch) || ch == '-' || ch == '_' || ch == '.'))
			buf_addch(b, '_');
		else if (!ascii && (ch < 0x20 || ch == 0x7f || strchr("/\\\"'*?:<>|", ch)))
			buf_addch(b, '_');
		else
			buf_addch(b, (char)ch);
	}
}

static void set_filenames(struct cards_pdf *out, const struct card_set *s, int one)
{
	struct buf a = BUF_INIT, u = BUF_INIT;
	const char *key = one ? s->rows[0].code : s->v.code;
	buf_adds(&a, one ? "liaison-card-" : "liaison-cards-");
	name_part(&a, key, 1);
	buf_adds(&a, ".pdf");
	buf_adds(&u, "连心卡-");
	name_part(&u, s->v.name, 0);
	buf_addch(&u, '-');
	if (one) {
		name_part(&u, s->rows[0].head, 0);
		buf_addch(&u, '-');
	}
	name_part(&u, key, 0);
	buf_adds(&u, ".pdf");
	out->filename_ascii = buf_detach(&a, NULL);
	out->filename_utf8 = buf_detach(&u, NULL);
}

static int set_render(struct ctx *c, struct card_set *s, int one, struct cards_pdf *out)
{
	int rc;
	if (!s->files_dir)
		s->files_dir = files_dir_of(c->db);
	rc = cards_render(s, out);
	if (rc) {
		ctx_detail(c, "生成连心卡 PDF 失败", "could not draw the liaison cards");
		return rc;
	}
	set_filenames(out, s, one);
	return 0;
}

int cards_household_pdf(struct ctx *c, int64_t household_id, struct cards_pdf *out)
{
	struct card_set s = CARD_SET_INIT;
	int rc = household_load(c, household_id, &s);
	if (!rc)
		rc = set_render(c, &s, 1, out);
	card_set_release(&s);
	return rc;
}

int cards_village_pdf(struct ctx *c, const char *village_code, struct cards_pdf *out)
{
	struct card_set s = CARD_SET_INIT;
	int rc = village_rows_load(c, village_code, &s);
	if (!rc)
		rc = set_render(c, &s, 0, out);
	card_set_release(&s);
	return rc;
}

/* ---- routes ---- */

/* attachment; filename="ascii.pdf"; filename*=UTF-8''%E8%BF%9E... (RFC 5987) */
static void content_disposition(struct resp *w, const struct cards_pdf *p)
{
	struct buf b = BUF_INIT;
	buf_addf(&b, "attachment; filename=\"%s\"; filename*=UTF-8''", p->filename_ascii);
	for (const unsigned char *s = (const unsigned char *)p->filename_utf8; *s; s++) {
		if (isalnum(*s) || strchr("!#$&+-.^_`|~", *s))
			buf_addch(&b, (char)*s);
		else
			buf_addf(&b, "%%%02X", *s);
	}
	resp_header(w, "Content-Disposition", b.data);
	buf_release(&b);
}

int cards_pdf_send(struct resp *w, struct cards_pdf *p)
{
	resp_raw(w, 200, "application/pdf", p->pdf.data, p->pdf.len);
	content_disposition(w, p);
	cards_pdf_release(p);
	return 0;
}

static int h_household_card(struct req *r, struct resp *w)
{
	struct cards_pdf p = CARDS_PDF_INIT;
	int64_t id;
	int rc = req_param_id(r, "id", &id);
	if (rc < 0)
		return rc;
	rc = cards_household_pdf(&r->ctx, id, &p);
	if (rc < 0)
		return rc;
	return cards_pdf_send(w, &p);
}

static int h_village_cards(struct req *r, struct resp *w)
{
	struct cards_pdf p = CARDS_PDF_INIT;
	int rc = cards_village_pdf(&r->ctx, req_param(r, "code"), &p);
	if (rc < 0)
		return rc;
	return cards_pdf_send(w, &p);
}

static const struct route routes[] = {
	{ "GET", "/api/v1/households/{id}/card.pdf", h_household_card, "household.read", 0 },
	{ "GET", "/api/v1/villages/{code}/cards.pdf", h_village_cards, "household.read", 0 },
};

ROUTE_TABLE(card_routes, "cards", routes);

/* ---- the CLI ---- */

static const char cards_help[] =
	"usage: zhilian cards --village CODE -o FILE.pdf [--db FILE]\n"
	"       zhilian cards --household ID -o FILE.pdf [--db FILE]\n"
	"Prints liaison cards (连心卡) to a PDF, four to an A4 landscape sheet with cut\n"
	"marks. Each card names the household's responsible cadre (name, position,\n"
	"phone, photo), the village's station team leader, station day, hours and\n"
	"place, and carries a QR code to the village's resident portal (the\n"
	"'public_url' setting, else $ZHILIAN_PUBLIC_URL, else http://127.0.0.1:8080).\n"
	"  --village CODE     every active household of the village (12-digit code)\n"
	"  --household ID     one household, by its id\n"
	"  -o, --output FILE  the PDF to write (\"-\" for standard output)\n"
	"  --db FILE          database (default $ZHILIAN_DB or zhilian.db)\n";

struct cli_arg {
	const char *village;
	int64_t household;
	struct card_set set;
};

static int cli_load(struct ctx *c, void *p)
{
	struct cli_arg *ca = p;
	int rc = ca->village ? village_rows_load(c, ca->village, &ca->set)
			     : household_load(c, ca->household, &ca->set);
	if (!rc)
		ca->set.files_dir = files_dir_of(c->db);
	return rc;
}

int cards_cli(int argc, char **argv)
{
	struct opt opts[] = { { "--db", 1, NULL, 0 },
			      { "--village", 1, NULL, 0 },
			      { "--household", 1, NULL, 0 },
			      { "--output", 1, NULL, 0 } };
	struct args a = { "cards", opts, ARRAY_SIZE(opts), { 0 }, 0 };
	struct cli_arg ca = { NULL, 0, CARD_SET_INIT };
	struct cards_pdf out = CARDS_PDF_INIT;
	struct db *db = NULL;
	char **av = xcalloc((size_t)argc + 1, sizeof(*av));
	const char *output, *hh;
	int64_t t0;
	int rc;

	/* parse_args knows long options only; -o is the usual short one */
	for (int i = 0; i < argc; i++)
		av[i] = strcmp(argv[i], "-o") ? argv[i] : (char *)"--output";
	rc = parse_args(&a, argc, av, 0);
	free(av);
	if (rc == 1)
		return fputs(cards_help, stdout), 0;
	if (rc)
		return rc;
	ca.village = opt_value(&a, "--village");
	hh = opt_value(&a, "--household");
	output = opt_value(&a, "--output");
	if (!ca.village && !hh)
		return usage_error("cards", "give --village CODE (every household of a village) or "
					    "--household ID (one household)");
	if (ca.village && hh)
		return usage_error("cards", "give either --village or --household, not both");
	if (hh && (parse_int64(hh, &ca.household) || ca.household < 1))
		return usage_error("cards", "--household must be a household id (a positive number), got \"%s\"",
				   hh);
	if (ca.village && !*ca.village)
		return usage_error("cards", "--village must be a village code such as 440881104201");
	if (!output || !*output)
		return usage_error("cards", "give the PDF to write with -o FILE.pdf");

	if (open_db("cards", db_path_of(&a), 1, &db))
		return 1;
	t0 = clock_mono_us();
	rc = with_tx("cards", db, cli_load, &ca);
	if (!rc) {
		rc = cards_render(&ca.set, &out);
		if (rc)
			fprintf(stderr, "zhilian cards: could not draw the cards: %s\n", zl_error_info(rc)->en);
	}
	if (!rc && cli_write_file(output, out.pdf.data, out.pdf.len)) {
		fprintf(stderr, "zhilian cards: cannot write \"%s\": %s\n", output, strerror(errno));
		rc = ZL_E_IO;
	}
	if (!rc)
		fprintf(strcmp(output, "-") ? stdout : stderr,
			"wrote %zu card(s) on %zu page(s) to %s in %.2f s\n", out.ncards, out.npages, output,
			(double)(clock_mono_us() - t0) / USEC_PER_SEC);
	cards_pdf_release(&out);
	card_set_release(&ca.set);
	db_close(db);
	return rc ? 1 : 0;
}
