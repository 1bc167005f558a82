/*
 * regions.h: the region tree (县 county > 镇 town > 村 village > 村民小组
 * group), keyed by statistical division codes. Each region stores its
 * materialised path, which is what data scope filters on.
 */
#ifndef ZL_REGIONS_H
#define ZL_REGIONS_H

#include "platform/ctx.h"

/*
 * Adds a region under parent (NULL for a root), computing its path, and
 * audits it. Must run inside the caller's transaction. Returns 0,
 * ZL_E_VALIDATION (with field errors) for a bad code, name or level,
 * ZL_E_NOT_FOUND for an unknown parent, ZL_E_CONFLICT for a taken code.
 */
int region_add(struct ctx *c, const char *code, const char *name, const char *level,
	       const char *parent);

#endif
