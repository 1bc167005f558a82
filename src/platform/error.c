/*
 * error.c: the one table of error codes: HTTP status, stable machine name,
 * and the message for people in Chinese and English. Also the validation
 * error list (struct verr).
 */
#include "error.h"

static const struct zl_error_info table[] = {
	{ ZL_OK, 200, "ok", "成功", "ok" },
	{ ZL_E_INTERNAL, 500, "internal", "服务器内部错误，请稍后重试", "internal server error, please try again later" },
	{ ZL_E_BAD_REQUEST, 400, "request.bad", "请求格式不正确", "the request is malformed" },
	{ ZL_E_VALIDATION, 422, "request.invalid", "提交的内容有误，请按提示修改", "some fields are invalid" },
	{ ZL_E_NOT_FOUND, 404, "not_found", "找不到该资源", "not found" },
	{ ZL_E_METHOD, 405, "method_not_allowed", "该地址不支持此请求方法", "method not allowed for this path" },
	{ ZL_E_UNAUTHENTICATED, 401, "auth.required", "请先登录", "sign-in required" },
	{ ZL_E_FORBIDDEN, 403, "auth.forbidden", "您没有执行此操作的权限", "you do not have permission for this action" },
	{ ZL_E_CSRF, 403, "auth.csrf", "安全令牌缺失或无效，请刷新页面后重试", "missing or invalid csrf token" },
	{ ZL_E_CONFLICT, 409, "conflict", "与已有记录冲突", "conflicts with an existing record" },
	{ ZL_E_BUSY, 503, "db.busy", "系统繁忙，请稍后重试", "the database is busy, please retry" },
	{ ZL_E_TOO_LARGE, 413, "request.too_large", "提交的内容过大", "request body too large" },
	{ ZL_E_IDEM_MISMATCH, 422, "idempotency.mismatch", "同一幂等键已用于不同的请求内容", "idempotency key reused with a different request body" },
	{ ZL_E_IDEM_PENDING, 409, "idempotency.in_progress", "相同的请求正在处理中", "a request with this idempotency key is in progress" },
	{ ZL_E_RATE_LIMITED, 429, "rate_limited", "请求过于频繁，请稍后再试", "too many requests, slow down" },
	{ ZL_E_DB, 500, "db.error", "数据库错误", "database error" },
	{ ZL_E_MEDIA_TYPE, 415, "request.media_type", "请求内容类型应为 application/json", "content type must be application/json" },
	{ ZL_E_SCHEMA_NEWER, 500, "db.schema_newer", "数据库来自更新版本的程序，请升级程序", "the database comes from a newer version of zhilian; upgrade the program" },
	{ ZL_E_IO, 500, "io", "读写文件出错", "input/output error" },
	{ ZL_E_INTEGRITY, 500, "db.integrity", "数据完整性检查未通过", "integrity check failed" },
	{ ZL_E_DB_FULL, 507, "db.full", "存储空间已满，本次修改未保存", "storage is full; nothing was changed" },
	{ ZL_E_BAD_JSON, 400, "request.bad_json", "请求内容不是有效的 JSON 对象", "body is not a valid json object" },

	{ ZL_E_AUTH_FAILED, 401, "auth.failed", "用户名或密码错误", "wrong username or password" },
	{ ZL_E_AUTH_LOCKED, 423, "auth.locked", "登录失败次数过多，账号已锁定 15 分钟", "too many failed sign-ins; locked for 15 minutes" },
	{ ZL_E_AUTH_PASSWORD_RULE, 422, "auth.password_rule", "密码不符合要求", "password does not meet the rules" },
	{ ZL_E_AUTH_MUST_CHANGE, 403, "auth.password_change_required", "请先修改初始密码", "change your password first" },
	{ ZL_E_AUTH_EXPIRED, 401, "auth.session_expired", "登录已过期，请重新登录", "session expired, sign in again" },
	{ ZL_E_AUTH_RATE, 429, "auth.rate_limited", "登录尝试过于频繁，请稍后再试", "too many sign-in attempts, try again later" },
	{ ZL_E_AUTH_OLD_PASSWORD, 422, "auth.old_password", "原密码不正确", "current password is wrong" },

	{ ZL_E_USER_EXISTS, 409, "user.exists", "用户名已存在", "username already taken" },
	{ ZL_E_USER_ESCALATION, 403, "user.escalation", "不能提升自己的角色或扩大自己的数据范围，也不能授予高于自己的角色", "cannot raise your own role or widen your own scope, nor grant a role above yours" },
	{ ZL_E_USER_SCOPE, 422, "user.scope", "数据范围不在您的管辖区域内", "scope is outside your region" },
	{ ZL_E_TOKEN_NAME_EXISTS, 409, "token.exists", "已有同名的有效令牌", "a live token with this name exists" },
};

const struct zl_error_info *zl_error_info(int code)
{
	for (size_t i = 0; i < ARRAY_SIZE(table); i++)
		if (table[i].code == code)
			return &table[i];
	return &table[1];
}

const struct zl_error_info *zl_error_table(size_t *n)
{
	*n = ARRAY_SIZE(table);
	return table;
}

void verr_add(struct verr *v, const char *field, const char *zh, const char *en)
{
	if (v->n == v->alloc) {
		v->alloc = v->alloc ? v->alloc * 2 : 4;
		v->items = xrealloc(v->items, v->alloc * sizeof(*v->items));
	}
	v->items[v->n].field = xstrdup(field ? field : "");
	v->items[v->n].zh = xstrdup(zh);
	v->items[v->n].en = xstrdup(en);
	v->n++;
}

void verr_release(struct verr *v)
{
	for (size_t i = 0; i < v->n; i++) {
		free(v->items[i].field);
		free(v->items[i].zh);
		free(v->items[i].en);
	}
	free(v->items);
	v->items = NULL;
	v->n = v->alloc = 0;
}
