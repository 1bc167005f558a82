/*
 * records_pdf.c: the monthly paper records of a village, printed from the
 * contact log and the diary: the station log (驻点日志, day by day) and the
 * team record book (驻点团队记录本: the team, the month's figures, the
 * analysis meetings and the issues raised). The data is read into a list of
 * blocks first, then laid out twice with pango and cairo (once to count the
 * pages, once into the PDF), so that every page says "第 n / N 页".
 */
#include <cairo.h>
#include <cairo-pdf.h>
#include <pango/pangocairo.h>

#include "contacts/contacts_int.h"
#include "contacts/diary.h"
#include "contacts/plans.h"

#include "org/org.h"
#include "platform/cli.h"
#include "platform/error.h"

#define FONT_FAMILY "Noto Sans CJK SC"
#define PT_PER_MM (72.0 / 25.4)
#define PT (25.4 / 72.0)
#define PAGE_W 210.0 /* A4 portrait, mm */
#define PAGE_H 297.0
#define MARGIN_X 18.0
#define TOP 24.0
#define BOTTOM (PAGE_H - 20.0)
#define TEXT_W (PAGE_W - 2 * MARGIN_X)

#define C_INK 0x141414u
#define C_LABEL 0x5A5A5Au
#define C_RED 0xA61E1Eu
#define C_RULE 0xBDBDBDu
#define C_SHADE 0xF2EDEBu

/* ---- the document as blocks ---- */

enum blk_kind {
	B_TITLE,   /* the big title, centred */
	B_SUB,     /* a centred line under it */
	B_H1,      /* a section heading */
	B_H2,      /* a day or a meeting */
	B_PARA,    /* pango markup, wrapped, split across pages line by line */
	B_HEAD,    /* a table's header row (repeated after a page break) */
	B_ROW,     /* a table row (markup cells) */
	B_GAP      /* vertical space, mm in size */
};

#define COLS_MAX 5

struct blk {
	enum blk_kind kind;
	char *text; /* markup for B_PARA, plain for headings */
	char *cells[COLS_MAX];
	const double *widths; /* B_HEAD / B_ROW: column widths in mm (sum TEXT_W) */
	int ncells;
	double indent, size; /* mm; points */
};

struct doc {
	struct blk *b;
	size_t n, alloc;
	char *header_left, *header_right; /* on every page */
	char *title;                      /* PDF metadata */
};

static struct blk *blk_add(struct doc *d, enum blk_kind k)
{
	struct blk *b;
	if (d->n == d->alloc) {
		d->alloc = d->alloc ? 2 * d->alloc : 64;
		d->b = xrealloc(d->b, d->alloc * sizeof(*d->b));
	}
	b = &d->b[d->n++];
	memset(b, 0, sizeof(*b));
	b->kind = k;
	b->size = 10;
	return b;
}

static void doc_release(struct doc *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->b[i].text);
		for (int j = 0; j < d->b[i].ncells; j++)
			free(d->b[i].cells[j]);
	}
	free(d->b);
	free(d->header_left);
	free(d->header_right);
	free(d->title);
	memset(d, 0, sizeof(*d));
}

static void add_text(struct doc *d, enum blk_kind k, double size, const char *s)
{
	struct blk *b = blk_add(d, k);
	b->size = size;
	b->text = xstrdup(s);
}

/* A paragraph of markup (taken) at indent mm. */
static void add_para(struct doc *d, double indent, char *markup)
{
	struct blk *b = blk_add(d, B_PARA);
	b->indent = indent;
	b->text = markup;
}

static void add_gap(struct doc *d, double mm)
{
	blk_add(d, B_GAP)->size = mm;
}

/* A table row of n markup cells (taken). */
static void add_row(struct doc *d, enum blk_kind k, const double *widths, int n, char **cells)
{
	struct blk *b = blk_add(d, k);
	b->widths = widths;
	b->ncells = n;
	for (int i = 0; i < n; i++)
		b->cells[i] = cells[i];
}

/* Appends s to b escaped for pango markup. */
static void esc(struct buf *b, const char *s)
{
	char *e = g_markup_escape_text(s ? s : "", -1);
	buf_adds(b, e);
	g_free(e);
}

static char *esc_new(const char *s)
{
	struct buf b = BUF_INIT;
	esc(&b, s);
	return buf_detach(&b, NULL);
}

/* "<span foreground='#5A5A5A'>label</span>value" (value escaped). */
static char *labelled(const char *label, const char *value)
{
	struct buf b = BUF_INIT;
	buf_addf(&b, "<span foreground='#%06X'>", C_LABEL);
	esc(&b, label);
	buf_adds(&b, "</span>");
	esc(&b, value);
	return buf_detach(&b, NULL);
}

/* ---- layout ---- */

struct pen {
	cairo_t *cr;
	PangoLayout *lay;
	PangoFontDescription *fd;
	const struct doc *d;
	int page, npages; /* npages 0 while counting */
	double y;
	const struct blk *thead; /* the table header to repeat, or NULL */
};

static void set_rgb(cairo_t *cr, uint32_t rgb)
{
	cairo_set_source_rgb(cr, ((rgb >> 16) & 0xff) / 255.0, ((rgb >> 8) & 0xff) / 255.0,
			     (rgb & 0xff) / 255.0);
}

/* Sets up the layout for markup at size points, bold or not, wrapped in w
 * mm (0: one line, no wrap). */
static void pen_setup(struct pen *p, double size, int bold, double w, const char *markup)
{
	pango_font_description_set_absolute_size(p->fd, size * PT * PANGO_SCALE);
	pango_font_description_set_weight(p->fd, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
	pango_layout_set_font_description(p->lay, p->fd);
	pango_layout_set_width(p->lay, w > 0 ? (int)(w * PANGO_SCALE) : -1);
	pango_layout_set_wrap(p->lay, PANGO_WRAP_WORD_CHAR);
	pango_layout_set_markup(p->lay, markup, -1);
}

static double pen_height(struct pen *p)
{
	int h;
	pango_layout_get_size(p->lay, NULL, &h);
	return (double)h / PANGO_SCALE;
}

/* Shows the set-up layout with its top-left at x, y. */
static void pen_show(struct pen *p, double x, double y, uint32_t rgb)
{
	set_rgb(p->cr, rgb);
	cairo_move_to(p->cr, x, y);
	pango_cairo_show_layout(p->cr, p->lay);
}

static void rule(cairo_t *cr, double x0, double x1, double y, double width, uint32_t rgb)
{
	cairo_set_line_width(cr, width);
	set_rgb(cr, rgb);
	cairo_move_to(cr, x0, y);
	cairo_line_to(cr, x1, y);
	cairo_stroke(cr);
}

static void draw_row(struct pen *p, const struct blk *b, int head);

/* Ends the page (if one is open) and starts the next with its header and
 * footer; a table under way gets its header row again. */
static void page_new(struct pen *p)
{
	char *foot;
	PangoRectangle ink;
	if (p->page)
		cairo_show_page(p->cr);
	p->page++;
	pen_setup(p, 8.5, 0, 0, "");
	pango_layout_set_text(p->lay, p->d->header_left, -1);
	pen_show(p, MARGIN_X, 10.5, C_LABEL);
	pango_layout_set_text(p->lay, p->d->header_right, -1);
	pango_layout_get_extents(p->lay, NULL, &ink);
	pen_show(p, PAGE_W - MARGIN_X - (double)ink.width / PANGO_SCALE, 10.5, C_LABEL);
	rule(p->cr, MARGIN_X, PAGE_W - MARGIN_X, 16, 0.3, C_RED);
	if (p->npages)
		foot = xasprintf("第 %d / %d 页", p->page, p->npages);
	else
		foot = xasprintf("第 %d 页", p->page);
	pango_layout_set_text(p->lay, foot, -1);
	free(foot);
	pango_layout_get_extents(p->lay, NULL, &ink);
	pen_show(p, (PAGE_W - (double)ink.width / PANGO_SCALE) / 2, PAGE_H - 13, C_LABEL);
	p->y = TOP;
	if (p->thead)
		draw_row(p, p->thead, 1);
}

/* Room for h mm more on this page, else a new page. */
static void need(struct pen *p, double h)
{
	if (p->y + h > BOTTOM)
		page_new(p);
}

static void draw_para(struct pen *p, const struct blk *b)
{
	PangoLayoutIter *it;
	PangoLayout *lay;
	double w = TEXT_W - b->indent;
	pen_setup(p, b->size, 0, w, b->text);
	/* a page break in the middle redraws the header with p->lay */
	lay = pango_layout_copy(p->lay);
	it = pango_layout_get_iter(lay);
	do {
		PangoRectangle log;
		PangoLayoutLine *line = pango_layout_iter_get_line_readonly(it);
		double h, base;
		pango_layout_iter_get_line_extents(it, NULL, &log);
		h = (double)log.height / PANGO_SCALE;
		need(p, h);
		base = (double)(pango_layout_iter_get_baseline(it) - log.y) / PANGO_SCALE;
		set_rgb(p->cr, C_INK);
		cairo_move_to(p->cr, MARGIN_X + b->indent + (double)log.x / PANGO_SCALE, p->y + base);
		pango_cairo_show_layout_line(p->cr, line);
		p->y += h;
	} while (pango_layout_iter_next_line(it));
	pango_layout_iter_free(it);
	g_object_unref(lay);
	p->y += 1.2;
}

#define CELL_PAD 1.6

/* A table row: cells wrapped in their columns, the row kept on one page;
 * the header row shaded and bold. */
static void draw_row(struct pen *p, const struct blk *b, int head)
{
	double h = 0, x = MARGIN_X;
	for (int i = 0; i < b->ncells; i++) {
		pen_setup(p, head ? 9 : 9.5, head, b->widths[i] - 2 * CELL_PAD, b->cells[i]);
		double ch = pen_height(p);
		if (ch > h)
			h = ch;
	}
	h += 2 * CELL_PAD;
	if (!head && p->y + h > BOTTOM) {
		page_new(p); /* draws the header row again */
	}
	if (head) {
		cairo_rectangle(p->cr, MARGIN_X, p->y, TEXT_W, h);
		set_rgb(p->cr, C_SHADE);
		cairo_fill(p->cr);
	}
	for (int i = 0; i < b->ncells; i++) {
		pen_setup(p, head ? 9 : 9.5, head, b->widths[i] - 2 * CELL_PAD, b->cells[i]);
		pen_show(p, x + CELL_PAD, p->y + CELL_PAD, C_INK);
		x += b->widths[i];
	}
	p->y += h;
	rule(p->cr, MARGIN_X, PAGE_W - MARGIN_X, p->y, head ? 0.35 : 0.2, C_RULE);
}

static void draw_heading(struct pen *p, const struct blk *b)
{
	int title = b->kind == B_TITLE || b->kind == B_SUB;
	double h;
	for (int pass = 0; pass < 2; pass++) {
		pen_setup(p, b->size, b->kind != B_SUB, title ? TEXT_W : 0, "");
		pango_layout_set_text(p->lay, b->text, -1);
		if (title)
			pango_layout_set_alignment(p->lay, PANGO_ALIGN_CENTER);
		h = pen_height(p);
		if (pass == 0) {
			p->thead = NULL;
			p->y += b->kind == B_H1 ? 3 : b->kind == B_H2 ? 1.5 : 0;
			need(p, h + 14); /* keep a heading with what follows (uses the layout) */
		}
	}
	pen_show(p, MARGIN_X, p->y, b->kind == B_H1 || b->kind == B_TITLE ? C_RED : C_INK);
	pango_layout_set_alignment(p->lay, PANGO_ALIGN_LEFT);
	p->y += h + (b->kind == B_H1 ? 1 : 0.6);
	if (b->kind == B_H1)
		rule(p->cr, MARGIN_X, PAGE_W - MARGIN_X, p->y, 0.3, C_RULE);
	p->y += b->kind == B_TITLE ? 1 : 1.5;
}

/* Lays the document out on surf; returns the number of pages. */
static int doc_layout(const struct doc *d, cairo_surface_t *surf, PangoFontMap *fm, int npages, int *ok)
{
	struct pen p = { 0 };
	cairo_font_options_t *fo = cairo_font_options_create();
	PangoContext *pc = pango_font_map_create_context(fm);
	p.d = d;
	p.npages = npages;
	p.cr = cairo_create(surf);
	cairo_scale(p.cr, PT_PER_MM, PT_PER_MM);
	pango_cairo_update_context(p.cr, pc);
	/* user units are millimetres: hinting would round advances to them */
	cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
	cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
	pango_cairo_context_set_font_options(pc, fo);
	cairo_font_options_destroy(fo);
	pango_context_set_round_glyph_positions(pc, FALSE);
	p.lay = pango_layout_new(pc);
	g_object_unref(pc);
	p.fd = pango_font_description_from_string(FONT_FAMILY);

	page_new(&p);
	for (size_t i = 0; i < d->n; i++) {
		const struct blk *b = &d->b[i];
		switch (b->kind) {
		case B_TITLE:
		case B_SUB:
		case B_H1:
		case B_H2:
			draw_heading(&p, b);
			break;
		case B_PARA:
			draw_para(&p, b);
			break;
		case B_HEAD:
			need(&p, 20);
			p.thead = b;
			draw_row(&p, b, 1);
			break;
		case B_ROW:
			draw_row(&p, b, 0);
			break;
		case B_GAP:
			p.y += b->size;
			break;
		}
		if (b->kind != B_HEAD && b->kind != B_ROW)
			p.thead = NULL;
	}
	cairo_show_page(p.cr);
	*ok = cairo_status(p.cr) == CAIRO_STATUS_SUCCESS;
	pango_font_description_free(p.fd);
	g_object_unref(p.lay);
	cairo_destroy(p.cr);
	return p.page;
}

static cairo_status_t pdf_write(void *closure, const unsigned char *data, unsigned int len)
{
	if (closure)
		buf_add(closure, data, len);
	return CAIRO_STATUS_SUCCESS;
}

/* Two passes: the first counts the pages (its output is dropped), the second
 * writes the PDF with "第 n / N 页". */
static int doc_render(const struct doc *d, struct cards_pdf *out)
{
	PangoFontMap *fm = pango_cairo_font_map_new();
	int ok = 1, ok2 = 1, npages;
	cairo_surface_t *surf = cairo_pdf_surface_create_for_stream(pdf_write, NULL, PAGE_W * PT_PER_MM,
								     PAGE_H * PT_PER_MM);
	npages = doc_layout(d, surf, fm, 0, &ok);
	cairo_surface_destroy(surf);
	surf = cairo_pdf_surface_create_for_stream(pdf_write, &out->pdf, PAGE_W * PT_PER_MM, PAGE_H * PT_PER_MM);
	cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_TITLE, d->title);
	cairo_pdf_surface_set_metadata(surf, CAIRO_PDF_METADATA_CREATOR, "zhilian");
	out->npages = (size_t)doc_layout(d, surf, fm, npages, &ok2);
	cairo_surface_finish(surf);
	if (cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS)
		ok2 = 0;
	cairo_surface_destroy(surf);
	g_object_unref(fm);
	if (!ok || !ok2) {
		buf_release(&out->pdf);
		return ZL_E_CARD_RENDER;
	}
	return 0;
}

/* ---- what the records say ---- */

static const char *const method_codes[] = { "home_visit", "phone", "wechat", "meeting",
					    "reception_day", "online", "other" };
static const char *const method_names[] = { "入户走访", "电话", "微信", "座谈会", "接访日", "网上", "其他" };

static const char *label_of(const char *code, const char *const *codes, const char *const *names, size_t n)
{
	for (size_t i = 0; code && i < n; i++)
		if (!strcmp(code, codes[i]))
			return names[i];
	return code ? code : "";
}
#define LABEL(code, list) label_of((code), list##_codes, list##_names, ARRAY_SIZE(list##_codes))

static const char *const confirm_codes[] = { "none", "signature", "sms_code" };
static const char *const confirm_names[] = { "未确认", "户主签名确认", "短信验证码确认" };
static const char *const state_codes[] = { "submitted", "accepted", "rejected", "assigned", "in_progress",
					   "waiting_resident", "resolved", "reopened", "closed" };
static const char *const state_names[] = { "已提交", "已受理", "不予受理", "已交办", "办理中",
					   "待群众补充", "已办结", "重新办理", "已关闭" };
static const char *const role_codes[] = { "leader", "cadre", "department_head", "party_member", "deputy",
					  "cppcc_member", "village_committee", "service_centre",
					  "graduate_official", "legal_adviser", "volunteer", "other" };
static const char *const role_names[] = { "团队长", "驻点干部", "部门负责人", "党员", "人大代表", "政协委员",
					  "村委干部", "服务中心人员", "大学生村官", "法律顾问", "志愿者", "其他" };
static const char *const decision_codes[] = { "solve_village", "appeal", "close" };
static const char *const decision_names[] = { "村级解决", "上报为诉求", "说明理由后关闭" };
static const char *const wd_names[] = { "星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六" };

/* The facts both records start from. */
struct village_month {
	char code[ZL_CODE_MAX];
	char *name, *town, *station, *place, *leader;
	char month[8];
	int year, mon;
	char from[DIARY_DATE_BUF], to[DIARY_DATE_BUF];  /* dates, to exclusive */
	char from_utc[ZL_TIME_MAX], to_utc[ZL_TIME_MAX]; /* the same in storage form */
	int64_t day0, ndays;                              /* first day, days in the month */
	int64_t team_day;                                 /* the station team's first day */
};

static void vm_release(struct village_month *v)
{
	free(v->name);
	free(v->town);
	free(v->station);
	free(v->place);
	free(v->leader);
}

/* A stored UTC time as local day count and "HH:MM". */
static int64_t local_day(const char *stored, char hm[8])
{
	int64_t us = 0, sec;
	time_parse(stored ? stored : "", &us);
	sec = us / USEC_PER_SEC + ZL_TZ_OFFSET_MIN * 60;
	if (hm)
		snprintf(hm, 8, "%02d:%02d", (int)(sec % 86400 / 3600), (int)(sec % 3600 / 60));
	return sec >= 0 ? sec / 86400 : (sec - 86399) / 86400;
}

static char *col_dup(struct db_stmt *st, int i)
{
	const char *s = db_col_text(st, i);
	return xstrdup(s ? s : "");
}

static int vm_load(struct ctx *c, const char *code, const char *month, struct village_month *v)
{
	struct db_stmt *st = NULL;
	int rc;
	if (!month || diary_month_range(month, v->from, v->to)) {
		ct_ferr(c, "month", "“%s”应为月份，如 2026-10", "'%s' must be a month like 2026-10");
		return ZL_E_VALIDATION;
	}
	snprintf(v->month, sizeof(v->month), "%s", month);
	sscanf(month, "%4d-%2d", &v->year, &v->mon);
	v->day0 = days_from_civil(v->year, v->mon, 1);
	v->ndays = days_from_civil(v->mon == 12 ? v->year + 1 : v->year, v->mon == 12 ? 1 : v->mon + 1, 1) - v->day0;
	time_format_utc((v->day0 * 86400 - ZL_TZ_OFFSET_MIN * 60) * USEC_PER_SEC, v->from_utc);
	time_format_utc(((v->day0 + v->ndays) * 86400 - ZL_TZ_OFFSET_MIN * 60) * USEC_PER_SEC, v->to_utc);

	rc = db_prepare(c->db,
			"SELECT r.name, r.level, p.name FROM region r LEFT JOIN region p ON p.code = r.parent_code"
			" WHERE r.code = ? AND +r.path LIKE ?",
			&st);
	if (rc < 0)
		return rc;
	db_bindv(st, "tt", code ? code : "", c->actor.scope_like);
	rc = db_step(st);
	if (rc == 1 && strcmp(db_col_text(st, 1), "village")) {
		ct_ferr(c, "village", "“%s”应为村的 12 位代码（这是别的层级的区划）",
			"'%s' must be a village code (this region is of another level)");
		rc = ZL_E_VALIDATION;
	} else if (rc == 1) {
		snprintf(v->code, sizeof(v->code), "%s", code);
		v->name = col_dup(st, 0);
		v->town = col_dup(st, 2);
		rc = 0;
	} else if (rc == 0) {
		ctx_detail(c, "没有该村，或不在您的管辖范围内", "no such village in your area");
		rc = ZL_E_NOT_FOUND;
	}
	db_done(st);
	if (rc)
		return rc;

	rc = db_prepare(c->db,
			"SELECT t.station_weekday, t.station_every_weeks, t.station_start, t.station_end,"
			" t.station_place, u.display_name, u.position, t.created_at FROM village_team t"
			" LEFT JOIN app_user u ON u.id = t.leader_user_id WHERE t.village_code = ? AND t.kind = 'station'",
			&st);
	if (rc < 0)
		return rc;
	db_bind_text(st, 1, code);
	if ((rc = db_step(st)) == 1) {
		v->station = cards_station_text(db_col_isnull(st, 0) ? 0 : (int)db_col_int(st, 0),
						(int)db_col_int(st, 1), db_col_text(st, 2), db_col_text(st, 3));
		v->place = col_dup(st, 4);
		if (db_col_text(st, 5) && db_col_text(st, 6))
			v->leader = xasprintf("%s（%s）", db_col_text(st, 5), db_col_text(st, 6));
		else
			v->leader = col_dup(st, 5);
		v->team_day = local_day(db_col_text(st, 7), NULL);
	} else {
		v->team_day = INT64_MAX; /* no team: no station days */
	}
	db_done(st);
	if (rc < 0)
		return rc;
	if (!v->station)
		v->station = cards_station_text(0, 1, NULL, NULL);
	return 0;
}

/* The title block both records open with. */
static void doc_open(struct doc *d, const struct village_month *v, const char *what)
{
	char *s;
	d->header_left = xasprintf("%s%s · %s", v->town, v->name, what);
	d->header_right = xasprintf("%d年%d月", v->year, v->mon);
	d->title = xasprintf("%s %s%s %d年%d月", what, v->town, v->name, v->year, v->mon);
	add_text(d, B_TITLE, 22, what);
	s = xasprintf("%s %s（%s）· %d年%d月", v->town, v->name, v->code, v->year, v->mon);
	add_text(d, B_SUB, 11, s);
	free(s);
	add_gap(d, 3);
	add_para(d, 0, labelled("驻点团队长：", v->leader && *v->leader ? v->leader : "未指定"));
	add_para(d, 0, labelled("驻点日：", v->station));
	add_para(d, 0, labelled("驻点地点：", v->place && *v->place ? v->place : "未指定"));
}

/* ---- the station log ---- */

/* One day of the log: what happened, as blocks gathered per kind. */
struct day {
	struct doc station, contacts, diary;
};

static int station_days(struct ctx *c, const struct village_month *v, struct day *days)
{
	json_t *out = NULL, *it;
	size_t i;
	int rc = plan_station_days(c, v->code, v->from, v->to, &out);
	if (rc)
		return rc;
	json_array_foreach(json_object_get(out, "items"), i, it) {
		int64_t day;
		const char *status = json_string_value(json_object_get(it, "status"));
		struct buf b = BUF_INIT;
		json_t *ck;
		size_t j;
		/* station days before the team existed were never due */
		if (date_parse(json_string_value(json_object_get(it, "date")), &day) || day < v->day0 ||
		    day >= v->day0 + v->ndays || day < v->team_day)
			continue;
		if (!strcmp(status, "missed")) {
			buf_addf(&b, "<span foreground='#%06X'>驻点日：无人签到（缺）</span>", C_RED);
		} else if (!json_array_size(json_object_get(it, "checkins"))) {
			char *l = labelled("驻点日：", "尚未到期");
			buf_adds(&b, l);
			free(l);
		} else {
			char *l = labelled("驻点日签到：", "");
			buf_adds(&b, l);
			free(l);
			json_array_foreach(json_object_get(it, "checkins"), j, ck) {
				char hm[8];
				const char *at = json_string_value(json_object_get(ck, "at"));
				int64_t us = 0;
				if (j)
					buf_adds(&b, "，");
				esc(&b, json_string_value(json_object_get(json_object_get(ck, "user"), "display_name")));
				if (at && !time_parse(at, &us)) {
					int64_t sec = us / USEC_PER_SEC + ZL_TZ_OFFSET_MIN * 60;
					snprintf(hm, sizeof(hm), "%02d:%02d", (int)(sec % 86400 / 3600),
						 (int)(sec % 3600 / 60));
					buf_addf(&b, " %s", hm);
				}
			}
		}
		add_para(&days[day - v->day0].station, 0, buf_detach(&b, NULL));
	}
	json_decref(out);
	return 0;
}

/* Names of the rows of sql (bound to id) joined with "、" into b; the
 * first column is the name, an optional second one goes in brackets. */
static int names_join(struct ctx *c, struct buf *b, const char *sql, int64_t id)
{
	struct db_stmt *st = NULL;
	int rc = db_prepare(c->db, sql, &st), n = 0;
	if (rc < 0)
		return rc;
	db_bind_int(st, 1, id);
	while ((rc = db_step(st)) == 1) {
		if (n++)
			buf_adds(b, "、");
		esc(b, db_col_text(st, 0));
		if (db_col_count(st) > 1 && db_col_text(st, 1)) {
			buf_adds(b, "（");
			esc(b, db_col_text(st, 1));
			buf_adds(b, "）");
		}
	}
	db_done(st);
	return rc < 0 ? rc : n;
}

/* The issues of a contact: "① text（已转诉求 CODE）". */
static int issues_join(struct ctx *c, struct buf *b, int64_t id)
{
	static const char *const circled[] = { "①", "②", "③", "④", "⑤", "⑥", "⑦", "⑧", "⑨", "⑩" };
	struct db_stmt *st = NULL;
	int rc = db_prepare(c->db,
			    "SELECT i.text, i.status, a.receipt_code FROM contact_issue i LEFT JOIN appeal a ON"
			    " a.id = i.appeal_id WHERE i.contact_id = ? ORDER BY i.id",
			    &st),
	    n = 0;
	if (rc < 0)
		return rc;
	db_bind_int(st, 1, id);
	while ((rc = db_step(st)) == 1) {
		const char *status = db_col_text(st, 1);
		buf_adds(b, n < 10 ? circled[n] : "·");
		n++;
		esc(b, db_col_text(st, 0));
		if (!strcmp(status, "converted")) {
			buf_adds(b, "（已转诉求");
			if (db_col_text(st, 2)) {
				buf_adds(b, " ");
				esc(b, db_col_text(st, 2));
			}
			buf_adds(b, "）");
		} else if (!strcmp(status, "closed")) {
			buf_adds(b, "（已关闭）");
		}
		buf_adds(b, " ");
	}
	db_done(st);
	return rc < 0 ? rc : n;
}

/* Appends "label names" (the rows of a join, or a contact's issues when sql
 * is NULL) to b, after a wide space when b is not empty; nothing when there
 * are no rows. */
static int joined_add(struct ctx *c, struct buf *b, const char *label, const char *sql, int64_t id)
{
	struct buf t = BUF_INIT;
	char *l = labelled(label, "");
	int rc;
	rc = sql ? names_join(c, &t, sql, id) : issues_join(c, &t, id);
	if (rc > 0) {
		if (b->len)
			buf_adds(b, "　");
		buf_adds(b, l);
		buf_add(b, t.data, t.len);
	}
	free(l);
	buf_release(&t);
	return rc < 0 ? rc : 0;
}

/* A paragraph of one join at indent mm, unless it has no rows. */
static int joined_para(struct ctx *c, struct doc *d, double indent, const char *label, const char *sql,
		       int64_t id)
{
	struct buf b = BUF_INIT;
	int rc = joined_add(c, &b, label, sql, id);
	if (b.len)
		add_para(d, indent, buf_detach(&b, NULL));
	buf_release(&b);
	return rc;
}

/* A contact of the log, read before its lists are. */
struct log_contact {
	int64_t id, day;
	char hm[8];
	char *head, *summary; /* markup */
};

static int station_contacts(struct ctx *c, const struct village_month *v, struct day *days)
{
	struct db_stmt *st = NULL;
	struct log_contact *k = NULL;
	size_t n = 0, alloc = 0;
	int rc = db_prepare(c->db,
			    "SELECT k.id, k.started_at, k.method, k.duration_min, k.place, k.summary,"
			    " k.confirmation, u.display_name FROM contact k JOIN app_user u ON u.id = k.author_user_id"
			    " WHERE k.village_code = ? AND k.started_at >= ? AND k.started_at < ?"
			    " ORDER BY k.started_at, k.id",
			    &st);
	if (rc < 0)
		return rc;
	db_bindv(st, "ttt", v->code, v->from_utc, v->to_utc);
	while ((rc = db_step(st)) == 1) {
		struct log_contact *e;
		struct buf b = BUF_INIT;
		if (n == alloc) {
			alloc = alloc ? 2 * alloc : 64;
			k = xrealloc(k, alloc * sizeof(*k));
		}
		e = &k[n];
		e->id = db_col_int(st, 0);
		e->day = local_day(db_col_text(st, 1), e->hm) - v->day0;
		if (e->day < 0 || e->day >= v->ndays)
			continue;
		buf_addf(&b, "<b>%s  %s</b>  %d 分钟", e->hm, LABEL(db_col_text(st, 2), method),
			 (int)db_col_int(st, 3));
		if (db_col_text(st, 4) && *db_col_text(st, 4)) {
			buf_adds(&b, " · ");
			esc(&b, db_col_text(st, 4));
		}
		buf_addf(&b, "<span foreground='#%06X'>　记录人 </span>", C_LABEL);
		esc(&b, db_col_text(st, 7));
		buf_addf(&b, "<span foreground='#%06X'>　〔%s〕</span>",
			 strcmp(db_col_text(st, 6), "none") ? C_INK : C_LABEL, LABEL(db_col_text(st, 6), confirm));
		e->head = buf_detach(&b, NULL);
		e->summary = labelled("情况：", db_col_text(st, 5));
		n++;
	}
	db_done(st);
	rc = rc < 0 ? rc : 0;
	for (size_t i = 0; i < n; i++) {
		struct doc *d = &days[k[i].day].contacts;
		struct buf who = BUF_INIT;
		add_para(d, 0, k[i].head);
		if (!rc)
			rc = joined_add(c, &who, "农户：",
					"SELECT h.head_name FROM contact_household l JOIN household h ON"
					" h.id = l.household_id WHERE l.contact_id = ? ORDER BY h.code",
					k[i].id);
		if (!rc)
			rc = joined_add(c, &who, "群众：",
					"SELECT name FROM contact_person WHERE contact_id = ? ORDER BY id", k[i].id);
		if (!rc)
			rc = joined_add(c, &who, "干部：",
					"SELECT u.display_name FROM contact k JOIN app_user u ON u.id = k.author_user_id"
					" OR u.id IN (SELECT user_id FROM contact_cadre WHERE contact_id = k.id)"
					" WHERE k.id = ? ORDER BY u.id = k.author_user_id DESC, u.id",
					k[i].id);
		if (who.len)
			add_para(d, 6, buf_detach(&who, NULL));
		buf_release(&who);
		add_para(d, 6, k[i].summary);
		if (!rc)
			rc = joined_para(c, d, 6, "反映问题：", NULL, k[i].id);
		add_gap(d, 0.8);
	}
	free(k);
	return rc;
}

static void tags_text(struct buf *b, const char *tags_json)
{
	json_t *tags = json_loads(tags_json ? tags_json : "[]", 0, NULL), *t;
	size_t i;
	json_array_foreach(tags, i, t) {
		buf_adds(b, "〔");
		esc(b, json_string_value(t));
		buf_adds(b, "〕");
	}
	json_decref(tags);
}

static int station_diary(struct ctx *c, const struct village_month *v, struct day *days)
{
	struct db_stmt *st = NULL;
	int rc = db_prepare(c->db,
			    "SELECT t.date, u.display_name, t.text, t.tags_json FROM diary_entry t JOIN app_user u"
			    " ON u.id = t.author_user_id WHERE t.village_code = ? AND t.date >= ? AND t.date < ?"
			    " AND (? = 0 OR t.author_user_id = ?) ORDER BY t.date, t.id",
			    &st);
	/* a cadre's copy carries their own diary only, as the diary API does */
	int64_t only = diary_reads_all(c) ? 0 : c->actor.user_id;
	if (rc < 0)
		return rc;
	db_bindv(st, "tttii", v->code, v->from, v->to, only, only);
	while ((rc = db_step(st)) == 1) {
		int64_t day;
		struct buf b = BUF_INIT;
		if (date_parse(db_col_text(st, 0), &day) || day < v->day0 || day >= v->day0 + v->ndays)
			continue;
		buf_addf(&b, "<b>民情日记</b><span foreground='#%06X'> · </span>", C_LABEL);
		esc(&b, db_col_text(st, 1));
		buf_adds(&b, " ");
		tags_text(&b, db_col_text(st, 3));
		add_para(&days[day - v->day0].diary, 0, buf_detach(&b, NULL));
		add_para(&days[day - v->day0].diary, 6, esc_new(db_col_text(st, 2)));
	}
	db_done(st);
	return rc < 0 ? rc : 0;
}

/* Moves the blocks of from to the end of to. */
static void doc_move(struct doc *to, struct doc *from)
{
	for (size_t i = 0; i < from->n; i++)
		*blk_add(to, from->b[i].kind) = from->b[i];
	free(from->b);
	memset(from, 0, sizeof(*from));
}

static int station_log(struct ctx *c, const struct village_month *v, struct doc *d)
{
	struct day *days = xcalloc((size_t)v->ndays, sizeof(*days));
	int rc = station_days(c, v, days), any = 0;
	if (!rc)
		rc = station_contacts(c, v, days);
	if (!rc)
		rc = station_diary(c, v, days);
	add_gap(d, 2);
	for (int64_t i = 0; i < v->ndays; i++) {
		struct day *dy = &days[i];
		int y, m, dd;
		char *h;
		if (!rc && (dy->station.n || dy->contacts.n || dy->diary.n)) {
			civil_from_days(v->day0 + i, &y, &m, &dd);
			h = xasprintf("%d月%d日 %s%s", m, dd, wd_names[weekday_from_days(v->day0 + i)],
				      dy->station.n ? " · 驻点日" : "");
			add_text(d, B_H2, 12, h);
			free(h);
			doc_move(d, &dy->station);
			doc_move(d, &dy->contacts);
			doc_move(d, &dy->diary);
			add_gap(d, 1.5);
			any = 1;
		}
		doc_release(&dy->station);
		doc_release(&dy->contacts);
		doc_release(&dy->diary);
	}
	free(days);
	if (!rc && !any)
		add_para(d, 0, labelled("", "本月没有驻点签到、联系记录或民情日记。"));
	return rc;
}

/* ---- the team record book ---- */

static const double w_members[] = { 32, 34, 72, 36 };
static const double w_figures[] = { 100, 74 };
static const double w_issues[] = { 22, 96, 56 };
static const double w_items[] = { 10, 100, 64 };

static int team_members(struct ctx *c, const struct village_month *v, struct doc *d, const char *kind)
{
	struct db_stmt *st = NULL;
	char *cells[4];
	int rc = db_prepare(c->db,
			    "SELECT m.name, m.team_role, COALESCE(m.position, u.position), m.start_date, m.end_date"
			    " FROM team_member m JOIN village_team t ON t.id = m.team_id"
			    " LEFT JOIN app_user u ON u.id = m.user_id WHERE t.village_code = ? AND t.kind = ?"
			    " AND m.start_date < ? AND (m.end_date IS NULL OR m.end_date >= ?)"
			    " ORDER BY m.team_role = 'leader' DESC, m.start_date, m.id",
			    &st),
	    n = 0;
	if (rc < 0)
		return rc;
	db_bindv(st, "tttt", v->code, kind, v->to, v->from);
	while ((rc = db_step(st)) == 1) {
		if (!n++) {
			cells[0] = xstrdup("姓名");
			cells[1] = xstrdup("团队角色");
			cells[2] = xstrdup("职务");
			cells[3] = xstrdup("在队时间");
			add_row(d, B_HEAD, w_members, 4, cells);
		}
		cells[0] = esc_new(db_col_text(st, 0));
		cells[1] = xstrdup(LABEL(db_col_text(st, 1), role));
		cells[2] = esc_new(db_col_text(st, 2) ? db_col_text(st, 2) : "");
		cells[3] = xasprintf("%s 起%s%s", db_col_text(st, 3), db_col_text(st, 4) ? "\n至 " : "",
				     db_col_text(st, 4) ? db_col_text(st, 4) : "");
		add_row(d, B_ROW, w_members, 4, cells);
	}
	db_done(st);
	if (rc >= 0 && !n)
		add_para(d, 0, labelled("", "（本月无成员记录）"));
	return rc < 0 ? rc : 0;
}

static int count(struct ctx *c, int64_t *out, const char *sql, const struct village_month *v)
{
	int rc = db_get_int(c->db, out, sql, "ttt", v->code, v->from_utc, v->to_utc);
	return rc < 0 ? rc : 0;
}

static void figure(struct doc *d, const char *label, char *value)
{
	char *cells[2] = { esc_new(label), value };
	add_row(d, B_ROW, w_figures, 2, cells);
}

static int team_figures(struct ctx *c, const struct village_month *v, struct doc *d)
{
	struct db_stmt *st = NULL;
	int64_t by_method[ARRAY_SIZE(method_codes)] = { 0 }, total = 0, reached = 0, households = 0;
	int64_t confirmed = 0, issues = 0, converted = 0, raised = 0, resolved = 0, diary = 0;
	int64_t held = 0, missed = 0, upcoming = 0;
	json_t *sd = NULL, *it;
	size_t i;
	char *cells[2];
	int rc = db_prepare(c->db,
			    "SELECT method, count(*) FROM contact WHERE village_code = ? AND started_at >= ?"
			    " AND started_at < ? GROUP BY method",
			    &st);
	if (rc < 0)
		return rc;
	db_bindv(st, "ttt", v->code, v->from_utc, v->to_utc);
	while ((rc = db_step(st)) == 1)
		for (i = 0; i < ARRAY_SIZE(method_codes); i++)
			if (!strcmp(db_col_text(st, 0), method_codes[i]))
				by_method[i] = db_col_int(st, 1), total += db_col_int(st, 1);
	db_done(st);
	if (rc < 0)
		return rc;
#define IN_MONTH "k.village_code = ? AND k.started_at >= ? AND k.started_at < ?"
	if ((rc = count(c, &reached,
			"SELECT count(DISTINCT l.household_id) FROM contact k JOIN contact_household l ON"
			" l.contact_id = k.id WHERE " IN_MONTH, v)) ||
	    (rc = count(c, &confirmed, "SELECT count(*) FROM contact k WHERE " IN_MONTH
				       " AND k.confirmation <> 'none'", v)) ||
	    (rc = count(c, &issues, "SELECT count(*) FROM contact k JOIN contact_issue i ON i.contact_id = k.id"
				    " WHERE " IN_MONTH, v)) ||
	    (rc = count(c, &converted, "SELECT count(*) FROM contact k JOIN contact_issue i ON i.contact_id ="
				       " k.id WHERE " IN_MONTH " AND i.status = 'converted'", v)) ||
	    (rc = count(c, &households, "SELECT count(*) FROM household WHERE village_code = ? AND"
					" (retired_at IS NULL OR retired_at >= ?) AND created_at < ?", v)) ||
	    (rc = count(c, &raised, "SELECT count(*) FROM appeal WHERE village_code = ? AND created_at >= ?"
				    " AND created_at < ?", v)) ||
	    (rc = count(c, &resolved, "SELECT count(*) FROM appeal WHERE village_code = ? AND resolved_at >= ?"
				      " AND resolved_at < ?", v)))
		return rc;
#undef IN_MONTH
	rc = db_get_int(c->db, &diary, "SELECT count(*) FROM diary_entry WHERE village_code = ? AND date >= ?"
				       " AND date < ?", "ttt", v->code, v->from, v->to);
	if (rc < 0)
		return rc;
	if ((rc = plan_station_days(c, v->code, v->from, v->to, &sd)))
		return rc;
	json_array_foreach(json_object_get(sd, "items"), i, it) {
		const char *s = json_string_value(json_object_get(it, "status"));
		int64_t day;
		if (date_parse(json_string_value(json_object_get(it, "date")), &day) || day < v->team_day)
			continue;
		held += !strcmp(s, "attended");
		missed += !strcmp(s, "missed");
		upcoming += !strcmp(s, "upcoming") || !strcmp(s, "today");
	}
	json_decref(sd);

	cells[0] = xstrdup("项目");
	cells[1] = xstrdup("本月");
	add_row(d, B_HEAD, w_figures, 2, cells);
	figure(d, "联系群众（合计）", xasprintf("<b>%" PRId64 "</b> 次", total));
	for (i = 0; i < ARRAY_SIZE(method_codes); i++)
		if (by_method[i]) {
			char *l = xasprintf("　其中：%s", method_names[i]);
			figure(d, l, xasprintf("%" PRId64 " 次", by_method[i]));
			free(l);
		}
	figure(d, "走访到的农户 / 在册农户",
	       xasprintf("<b>%" PRId64 "</b> / %" PRId64 " 户（%.0f%%）", reached, households,
			 households ? 100.0 * (double)reached / (double)households : 0.0));
	figure(d, "农户确认的联系", xasprintf("%" PRId64 " 次", confirmed));
	figure(d, "联系中反映的问题", xasprintf("%" PRId64 " 条（转为诉求 %" PRId64 " 条）", issues, converted));
	figure(d, "诉求：本月提出 / 本月办结", xasprintf("%" PRId64 " / %" PRId64 " 件", raised, resolved));
	{
		char later[64] = "";
		if (upcoming)
			snprintf(later, sizeof(later), "（另有 %" PRId64 " 天未到期）", upcoming);
		figure(d, "驻点日：已到 / 缺",
		       xasprintf("<b>%" PRId64 "</b> / %s%" PRId64 "%s 天%s", held,
				 missed ? "<span foreground='#A61E1E'><b>" : "", missed, missed ? "</b></span>" : "",
				 later));
	}
	figure(d, "民情日记", xasprintf("%" PRId64 " 篇", diary));
	return 0;
}

/* 1 when the database has the analysis meetings (migration 0015). */
static int have_meetings(struct ctx *c)
{
	struct db_stmt *st = NULL;
	int rc = db_prepare(c->db, "SELECT 1 FROM meeting_item WHERE 0 = 1", &st);
	if (rc < 0)
		return 0;
	db_done(st);
	return 1;
}

static int team_meetings(struct ctx *c, const struct village_month *v, struct doc *d)
{
	struct db_stmt *st = NULL, *items = NULL;
	int rc, n = 0;
	if (!have_meetings(c)) {
		add_para(d, 0, labelled("", "（本系统尚未启用分析研判会议记录）"));
		return 0;
	}
	rc = db_prepare(c->db,
			"SELECT m.id, m.title, m.held_at, m.place, m.state FROM meeting m WHERE m.village_code = ?"
			" AND m.held_at >= ? AND m.held_at < ? ORDER BY m.held_at, m.id",
			&st);
	if (rc < 0)
		return rc;
	db_bindv(st, "ttt", v->code, v->from_utc, v->to_utc);
	while ((rc = db_step(st)) == 1) {
		int64_t id = db_col_int(st, 0);
		int y, m, dd, k = 0;
		char hm[8], *h;
		civil_from_days(local_day(db_col_text(st, 2), hm), &y, &m, &dd);
		h = xasprintf("%d月%d日 %s  %s%s", m, dd, hm, db_col_text(st, 1) ? db_col_text(st, 1) : "分析研判会",
			      strcmp(db_col_text(st, 4), "final") ? "（纪要未定稿）" : "");
		add_text(d, B_H2, 11.5, h);
		free(h);
		n++;
		if (db_col_text(st, 3) && *db_col_text(st, 3))
			add_para(d, 0, labelled("地点：", db_col_text(st, 3)));
		if ((rc = joined_para(c, d, 0, "参会：",
				      "SELECT u.display_name FROM meeting_attendee a JOIN app_user u ON u.id ="
				      " a.user_id WHERE a.meeting_id = ? ORDER BY u.display_name",
				      id)) < 0)
			break;
		rc = db_prepare(c->db,
				"SELECT i.seq, i.text, i.decision, u.display_name, i.due_date, i.reason, i.note,"
				" a.receipt_code FROM meeting_item i LEFT JOIN app_user u ON u.id = i.owner_user_id"
				" LEFT JOIN appeal a ON a.id = i.result_appeal_id WHERE i.meeting_id = ? ORDER BY i.seq, i.id",
				&items);
		if (rc < 0)
			break;
		db_bind_int(items, 1, id);
		while ((rc = db_step(items)) == 1) {
			struct buf b = BUF_INIT;
			char *cells[3];
			const char *dec = db_col_text(items, 2);
			if (!k++) {
				cells[0] = xstrdup("#");
				cells[1] = xstrdup("议题");
				cells[2] = xstrdup("决定");
				add_row(d, B_HEAD, w_items, 3, cells);
			}
			if (!dec)
				buf_adds(&b, "未议定");
			else
				buf_adds(&b, LABEL(dec, decision));
			if (dec && !strcmp(dec, "solve_village") && db_col_text(items, 3)) {
				buf_adds(&b, "：");
				esc(&b, db_col_text(items, 3));
				if (db_col_text(items, 4))
					buf_addf(&b, "，%s 前", db_col_text(items, 4));
			} else if (dec && !strcmp(dec, "appeal") && db_col_text(items, 7)) {
				buf_addf(&b, "：%s", db_col_text(items, 7));
			} else if (dec && !strcmp(dec, "close") && db_col_text(items, 5)) {
				buf_adds(&b, "：");
				esc(&b, db_col_text(items, 5));
			}
			if (db_col_text(items, 6) && *db_col_text(items, 6)) {
				buf_adds(&b, "\n");
				esc(&b, db_col_text(items, 6));
			}
			cells[0] = xasprintf("%d", (int)db_col_int(items, 0));
			cells[1] = esc_new(db_col_text(items, 1));
			cells[2] = buf_detach(&b, NULL);
			add_row(d, B_ROW, w_items, 3, cells);
		}
		db_done(items);
		if (rc < 0)
			break;
		if (!k)
			add_para(d, 0, labelled("", "（无议题）"));
	}
	db_done(st);
	if (rc >= 0 && !n)
		add_para(d, 0, labelled("", "本月没有召开分析研判会议。"));
	return rc < 0 ? rc : 0;
}

static int team_issues(struct ctx *c, const struct village_month *v, struct doc *d)
{
	struct db_stmt *st = NULL;
	int rc = db_prepare(c->db,
			    "SELECT k.started_at, i.text, i.status, a.receipt_code, a.state, k.method, u.display_name"
			    " FROM contact k JOIN contact_issue i ON i.contact_id = k.id JOIN app_user u ON u.id ="
			    " k.author_user_id LEFT JOIN appeal a ON a.id = i.appeal_id WHERE k.village_code = ?"
			    " AND k.started_at >= ? AND k.started_at < ? ORDER BY k.started_at, i.id",
			    &st),
	    n = 0;
	char *cells[3];
	if (rc < 0)
		return rc;
	db_bindv(st, "ttt", v->code, v->from_utc, v->to_utc);
	while ((rc = db_step(st)) == 1) {
		int y, m, dd;
		const char *status = db_col_text(st, 2);
		struct buf b = BUF_INIT;
		if (!n++) {
			cells[0] = xstrdup("日期");
			cells[1] = xstrdup("问题（来源）");
			cells[2] = xstrdup("处理");
			add_row(d, B_HEAD, w_issues, 3, cells);
		}
		civil_from_days(local_day(db_col_text(st, 0), NULL), &y, &m, &dd);
		cells[0] = xasprintf("%d月%d日", m, dd);
		esc(&b, db_col_text(st, 1));
		buf_addf(&b, "<span foreground='#%06X'>（%s · ", C_LABEL, LABEL(db_col_text(st, 5), method));
		esc(&b, db_col_text(st, 6));
		buf_adds(&b, "）</span>");
		cells[1] = buf_detach(&b, NULL);
		if (!strcmp(status, "converted") && db_col_text(st, 3))
			cells[2] = xasprintf("已转诉求 %s\n%s", db_col_text(st, 3), LABEL(db_col_text(st, 4), state));
		else if (!strcmp(status, "converted"))
			cells[2] = xstrdup("已转诉求");
		else if (!strcmp(status, "closed"))
			cells[2] = xstrdup("已关闭");
		else
			cells[2] = xasprintf("<span foreground='#%06X'>待处理</span>", C_RED);
		add_row(d, B_ROW, w_issues, 3, cells);
	}
	db_done(st);
	if (rc >= 0 && !n)
		add_para(d, 0, labelled("", "本月联系中没有反映问题。"));
	return rc < 0 ? rc : 0;
}

static int team_book(struct ctx *c, const struct village_month *v, struct doc *d)
{
	int rc;
	add_text(d, B_H1, 13, "一、驻点团队");
	rc = team_members(c, v, d, "station");
	if (!rc) {
		add_text(d, B_H2, 11, "辅助团队");
		rc = team_members(c, v, d, "auxiliary");
	}
	if (!rc) {
		add_text(d, B_H1, 13, "二、本月工作概况");
		rc = team_figures(c, v, d);
	}
	if (!rc) {
		add_text(d, B_H1, 13, "三、分析研判会议");
		rc = team_meetings(c, v, d);
	}
	if (!rc) {
		add_text(d, B_H1, 13, "四、联系中反映的问题");
		rc = team_issues(c, v, d);
	}
	return rc;
}

/* ---- the service ---- */

int records_kind_parse(const char *s, enum records_kind *k)
{
	if (s && !strcmp(s, "station-log"))
		*k = RECORDS_STATION_LOG;
	else if (s && !strcmp(s, "team-book"))
		*k = RECORDS_TEAM_BOOK;
	else
		return -1;
	return 0;
}

/* Loads the record into d (the reading part: runs in a transaction). */
static int records_load(struct ctx *c, const char *village, const char *month, enum records_kind kind,
			struct doc *d, struct village_month *v)
{
	int rc = vm_load(c, village, month, v);
	if (rc)
		return rc;
	doc_open(d, v, kind == RECORDS_STATION_LOG ? "驻点日志" : "驻点团队记录本");
	return kind == RECORDS_STATION_LOG ? station_log(c, v, d) : team_book(c, v, d);
}

static void set_names(struct cards_pdf *out, const struct village_month *v, enum records_kind kind)
{
	out->filename_ascii = xasprintf("%s-%s-%s.pdf", kind == RECORDS_STATION_LOG ? "station-log" : "team-book",
					v->code, v->month);
	out->filename_utf8 = xasprintf("%s-%s-%d年%d月.pdf",
				       kind == RECORDS_STATION_LOG ? "驻点日志" : "驻点团队记录本", v->name,
				       v->year, v->mon);
}

int records_pdf(struct ctx *c, const char *village, const char *month, enum records_kind kind,
		struct cards_pdf *out)
{
	struct doc d = { 0 };
	struct village_month v = { 0 };
	int rc = records_load(c, village, month, kind, &d, &v);
	if (!rc && (rc = doc_render(&d, out)))
		ctx_detail(c, "生成 PDF 失败", "could not draw the pdf");
	if (!rc)
		set_names(out, &v, kind);
	doc_release(&d);
	vm_release(&v);
	return rc;
}

/* ---- routes ---- */

static int h_records(struct req *r, struct resp *w, enum records_kind kind)
{
	struct cards_pdf p = CARDS_PDF_INIT;
	int rc = records_pdf(&r->ctx, req_param(r, "code"), req_query(r, "month"), kind, &p);
	if (rc < 0)
		return rc;
	cards_pdf_send(w, &p);
	return 0;
}

static int h_station_log(struct req *r, struct resp *w)
{
	return h_records(r, w, RECORDS_STATION_LOG);
}

static int h_team_book(struct req *r, struct resp *w)
{
	return h_records(r, w, RECORDS_TEAM_BOOK);
}

static const struct route routes[] = {
	{ "GET", "/api/v1/villages/{code}/records/station-log.pdf", h_station_log, "records.read", 0 },
	{ "GET", "/api/v1/villages/{code}/records/team-book.pdf", h_team_book, "records.read", 0 },
};

ROUTE_TABLE(records_routes, "records", routes);

/* ---- the CLI ---- */

static const char records_help[] =
	"usage: zhilian records --village CODE --month YYYY-MM --kind station-log|team-book\n"
	"                       -o FILE.pdf [--db FILE]\n"
	"Prints a village's monthly record to an A4 PDF, from the contact log and the\n"
	"people's-condition diary (民情日记):\n"
	"  station-log  驻点日志: each day the team was at the village: station-day\n"
	"               check-ins, the contacts (method, households, cadres, summary,\n"
	"               issues, confirmation) and the diary entries\n"
	"  team-book    驻点团队记录本: the station and auxiliary teams, the month's\n"
	"               figures, the analysis meetings (分析研判) and the issues raised\n"
	"  --village CODE     the village (12-digit code)\n"
	"  --month YYYY-MM    the month, e.g. 2026-10\n"
	"  --kind KIND        station-log or team-book\n"
	"  -o, --output FILE  the PDF to write (\"-\" for standard output)\n"
	"  --db FILE          database (default $ZHILIAN_DB or zhilian.db)\n";

struct cli_arg {
	const char *village, *month;
	enum records_kind kind;
	struct doc d;
	struct village_month v;
};

static int cli_load(struct ctx *c, void *p)
{
	struct cli_arg *ca = p;
	return records_load(c, ca->village, ca->month, ca->kind, &ca->d, &ca->v);
}

int records_cli(int argc, char **argv)
{
	struct opt opts[] = { { "--db", 1, NULL, 0 },
			      { "--village", 1, NULL, 0 },
			      { "--month", 1, NULL, 0 },
			      { "--kind", 1, NULL, 0 },
			      { "--output", 1, NULL, 0 } };
	struct args a = { "records", opts, ARRAY_SIZE(opts), { 0 }, 0 };
	struct cli_arg ca = { 0 };
	struct cards_pdf out = CARDS_PDF_INIT;
	struct db *db = NULL;
	char **av = xcalloc((size_t)argc + 1, sizeof(*av));
	char from[DIARY_DATE_BUF], to[DIARY_DATE_BUF];
	const char *output, *kind;
	int rc;

	for (int i = 0; i < argc; i++) /* parse_args knows long options only */
		av[i] = strcmp(argv[i], "-o") ? argv[i] : (char *)"--output";
	rc = parse_args(&a, argc, av, 0);
	free(av);
	if (rc == 1)
		return fputs(records_help, stdout), 0;
	if (rc)
		return rc;
	ca.village = opt_value(&a, "--village");
	ca.month = opt_value(&a, "--month");
	kind = opt_value(&a, "--kind");
	output = opt_value(&a, "--output");
	if (!ca.village || !*ca.village)
		return usage_error("records", "give the village with --village CODE (12 digits, e.g. 440881104201)");
	if (!ca.month || diary_month_range(ca.month, from, to))
		return usage_error("records", "give the month with --month YYYY-MM (e.g. 2026-10)%s%s%s",
				   ca.month ? ", got \"" : "", ca.month ? ca.month : "", ca.month ? "\"" : "");
	if (records_kind_parse(kind, &ca.kind))
		return usage_error("records", "--kind must be station-log (驻点日志) or team-book (驻点团队记录本)");
	if (!output || !*output)
		return usage_error("records", "give the PDF to write with -o FILE.pdf");
	if (open_db("records", db_path_of(&a), 1, &db))
		return 1;
	rc = with_tx("records", db, cli_load, &ca);
	if (!rc && (rc = doc_render(&ca.d, &out)))
		fprintf(stderr, "zhilian records: could not draw the pdf: %s\n", zl_error_info(rc)->en);
	if (!rc && cli_write_file(output, out.pdf.data, out.pdf.len)) {
		fprintf(stderr, "zhilian records: cannot write \"%s\": %s\n", output, strerror(errno));
		rc = ZL_E_IO;
	}
	if (!rc)
		fprintf(strcmp(output, "-") ? stdout : stderr, "wrote %zu page(s) to %s\n", out.npages, output);
	cards_pdf_release(&out);
	doc_release(&ca.d);
	vm_release(&ca.v);
	db_close(db);
	return rc ? 1 : 0;
}
