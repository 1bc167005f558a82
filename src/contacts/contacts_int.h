/*
 * contacts_int.h: what the files of the contacts module share among
 * themselves (field errors, the contact row's header). Other modules use
 * contacts.h.
 */
#ifndef ZL_CONTACTS_INT_H
#define ZL_CONTACTS_INT_H

#include "contacts/contacts.h"
#include "platform/clock.h"

/* Adds a field error; fmt_zh/fmt_en take the field name as their one %s. */
void ct_ferr(struct ctx *c, const char *field, const char *fmt_zh, const char *fmt_en);

/* What photos and the edit checks need of a contact in scope. */
struct ct_head {
	int64_t id;
	int64_t author;
	int64_t created_us;
};
/* Loads a contact in the actor's scope; ZL_E_NOT_FOUND otherwise. */
int ct_head_load(struct ctx *c, int64_t id, struct ct_head *h);
/* ZL_E_CONTACT_NOT_AUTHOR unless the actor wrote it; ZL_E_CONTACT_EDIT_CLOSED
 * after the window. */
int ct_author_edit_check(struct ctx *c, const struct ct_head *h);
/* Decimal text of an id, for audit entity ids. */
void ct_id_text(int64_t id, char out[24]);

#endif
