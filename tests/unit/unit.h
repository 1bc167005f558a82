/*
 * unit.h: what every cmocka unit test needs: cmocka itself and a fresh
 * in-memory database with every migration applied and a root region.
 */
#ifndef ZL_UNIT_H
#define ZL_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "platform/util.h"
#include "platform/ctx.h"
#include "platform/db.h"

#define UNIT_ROOT_CODE "440881104000"
#define UNIT_ROOT_PATH "/440881104000/"

/* A new in-memory database, migrated, with the root town and one village
 * (440881104201) and a second village (440881104202) beneath it. */
static inline struct db *unit_db(void)
{
	struct db *db = NULL;
	assert_int_equal(db_open(":memory:", NULL, &db), 0);
	assert_int_equal(db_migrate(db, NULL), 0);
	assert_int_equal(db_exec(db,
		"INSERT INTO region(code,name,level,parent_code,path,created_at) VALUES"
		"('440881104000','示范镇','town',NULL,'/440881104000/','2026-01-01T00:00:00Z'),"
		"('440881104201','东村','village','440881104000','/440881104000/440881104201/','2026-01-01T00:00:00Z'),"
		"('440881104202','西村','village','440881104000','/440881104000/440881104202/','2026-01-01T00:00:00Z');"), 0);
	return db;
}

#endif
