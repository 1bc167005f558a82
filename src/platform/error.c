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
	{ ZL_E_OUTBOUND_NOT_DEAD, 409, "outbound.not_dead", "只有投递失败（死信）的消息才能重发", "only a dead message can be replayed" },
	{ ZL_E_OUTBOUND_NO_SMS, 503, "outbound.no_sms_gateway", "本系统尚未配置短信网关，无法发送短信", "no SMS gateway is set up ('outbound.sms_url'), so no SMS can be sent" },

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

	{ ZL_E_REGION_EXISTS, 409, "region.exists", "该区划代码已存在", "a region with this code already exists" },
	{ ZL_E_REGION_IN_USE, 409, "region.in_use", "该区域仍被其他记录引用，不能删除，请改为停用", "the region is referred to by other records; retire it instead" },
	{ ZL_E_REGION_ACTIVE_CHILDREN, 409, "region.active_children", "该区域下还有未停用的下级区域", "the region still has active child regions" },
	{ ZL_E_REGION_CYCLE, 409, "region.cycle", "不能把区域移到它自己或它的下级之下", "cannot move a region under itself or its own subtree" },
	{ ZL_E_REGION_RETIRED, 409, "region.retired", "该区域已停用", "the region is retired" },
	{ ZL_E_DEPT_RETIRED, 409, "department.retired", "该部门已撤销，不能再修改", "the department is retired and cannot be changed" },
	{ ZL_E_MEMBER_EXISTS, 409, "member.exists", "此人已是现任成员", "this person is already a current member" },
	{ ZL_E_MEMBER_ENDED, 409, "member.ended", "该成员任期已结束", "this membership has already ended" },
	{ ZL_E_TEAM_LEADER_ROLE, 422, "team.leader_role", "驻点团队须由镇领导（leader 角色）带队", "a station team must be led by a user with the leader role" },
	{ ZL_E_ASSIGN_EXISTS, 409, "assignment.exists", "已有相同的现行分工", "the same assignment is already current" },
	{ ZL_E_ASSIGN_CADRE, 422, "assignment.not_cadre", "只能分配给在职的干部或镇领导", "only an active cadre or leader can be assigned" },
	{ ZL_E_ASSIGN_SCOPE, 422, "assignment.cadre_scope", "该村或农户不在此干部的管辖范围内", "the village or household is outside the cadre's scope" },
	{ ZL_E_ASSIGN_ENDED, 409, "assignment.ended", "该分工已结束", "the assignment has already ended" },
	{ ZL_E_ASSIGN_DATES, 422, "assignment.dates", "日期有误：结束日期须晚于开始日期，且不能与已有分工重叠", "bad dates: the end must follow the start and must not overlap another assignment" },
	{ ZL_E_HANDOVER_SAME, 422, "handover.same_user", "交接双方不能是同一人", "cannot hand over to the same person" },
	{ ZL_E_HANDOVER_NOT_HELD, 422, "handover.not_held", "所列事项不在交出干部的现行职责中", "a listed item is not a current responsibility of the cadre handing over" },

	{ ZL_E_CONTACT_UUID_CONFLICT, 409, "contact.uuid_conflict", "该编号（UUID）的联系记录已存在且内容不同", "a contact with this uuid exists with different content" },
	{ ZL_E_CONTACT_EDIT_CLOSED, 409, "contact.edit_window_closed", "联系记录创建已超过 24 小时，不能直接修改，请提交更正并说明理由", "the 24-hour edit window has closed; submit an amendment with a reason" },
	{ ZL_E_CONTACT_NOT_AUTHOR, 403, "contact.not_author", "只有记录人本人可以修改这条联系记录", "only the author may change this contact" },
	{ ZL_E_CONTACT_PHOTO_TOO_LARGE, 413, "contact.photo_too_large", "照片不能超过 5 MB", "a photo must be at most 5 mb" },
	{ ZL_E_CONTACT_PHOTO_TYPE, 415, "contact.photo_type", "照片须为 JPEG 或 PNG 格式（Content-Type: image/jpeg 或 image/png）", "a photo must be sent as image/jpeg or image/png" },
	{ ZL_E_CONTACT_PHOTO_INVALID, 422, "contact.photo_invalid", "文件内容不是完整的 JPEG 或 PNG 图片", "the file is not a whole jpeg or png image" },
	{ ZL_E_CONFIRM_NOT_HOME_VISIT, 422, "confirm.not_home_visit", "只有走访了农户的入户走访才能由农户确认", "only a home visit with households can be confirmed by a household" },
	{ ZL_E_CONFIRM_DONE, 409, "confirm.already_confirmed", "这次走访已经由农户确认过", "the visit is confirmed already" },
	{ ZL_E_CONFIRM_NOT_PRESENT, 403, "confirm.not_present", "只有记录人或在场的干部可以请农户确认", "only the author or a cadre present can collect the confirmation" },
	{ ZL_E_CONFIRM_WINDOW, 409, "confirm.window_closed", "走访已超过 7 天，不能再请农户确认", "the visit is more than 7 days ago and can no longer be confirmed" },
	{ ZL_E_CONFIRM_NO_PHONE, 422, "confirm.no_phone", "该户没有登记手机号码，请改用签名确认", "the household has no mobile number on file; use a signature instead" },
	{ ZL_E_CONFIRM_THROTTLED, 429, "confirm.send_throttled", "验证码发送过于频繁，请稍后再试", "codes are being sent too often; try again later" },
	{ ZL_E_CONFIRM_NO_CODE, 409, "confirm.no_code", "没有待确认的验证码，请先发送验证码", "no code is waiting; send a code first" },
	{ ZL_E_CONFIRM_CODE_WRONG, 422, "confirm.code_wrong", "验证码不正确", "the code is wrong" },
	{ ZL_E_CONFIRM_CODE_EXPIRED, 410, "confirm.code_expired", "验证码已过期，请重新发送", "the code has expired; send a new one" },
	{ ZL_E_CONFIRM_TOO_MANY, 429, "confirm.too_many_tries", "验证码输错次数过多，请重新发送", "too many wrong codes; send a new one" },
	{ ZL_E_ISSUE_CONVERTED, 409, "contact_issue.converted", "这个问题已经转为诉求", "the issue has become an appeal already" },
	{ ZL_E_ISSUE_CLOSED, 409, "contact_issue.closed", "这个问题已经关闭", "the issue is closed already" },
	{ ZL_E_MEETING_FINAL, 409, "meeting.finalised", "研判会纪要已定稿，不能再修改", "the meeting's minutes are final and can no longer change" },
	{ ZL_E_MEETING_NOT_ON_TEAM, 403, "meeting.not_on_team", "只有该村驻点团队的干部和镇领导可以记录研判会", "only the village team's cadres and leaders can record its meetings" },
	{ ZL_E_MEETING_LEADER_ONLY, 403, "meeting.leader_only", "只有团队负责人可以增加议题", "only the team's leader can add an item" },
	{ ZL_E_MEETING_ITEM_DECIDED, 409, "meeting.item_decided", "这个议题的决定已经执行，不能再改", "the item's decision has been carried out and cannot change" },
	{ ZL_E_PLAN_RULE_EXISTS, 409, "plan.rule_exists", "这个地区和标签已有同样周期的计划规则", "a plan rule for this region, tag and period exists" },
	{ ZL_E_PLAN_NOT_STATION_DAY, 422, "plan.not_station_day", "这一天不是该村的驻点日", "the date is not a station day of the village" },
	{ ZL_E_PLAN_NOT_ON_TEAM, 422, "plan.not_on_team", "只有该村驻点团队的成员或驻村干部可以签到", "only a member of the village's station team or a cadre stationed there can check in" },
	{ ZL_E_PLAN_CHECKIN_DATE, 422, "plan.checkin_date", "只能在驻点日当天签到", "a check-in is only possible on the station day itself" },
	{ ZL_E_PLAN_CHECKIN_EXISTS, 409, "plan.checkin_exists", "今天已在该村签到", "already checked in at this village today" },
	{ ZL_E_RECEPTION_NOT_ON_DUTY, 422, "reception.not_on_duty", "您不在这一天的值班名单上", "you are not on the duty roster of this reception day" },
	{ ZL_E_RECEPTION_NOT_TODAY, 422, "reception.not_today", "只能在接访日当天登记来访群众", "walk-in visitors are registered on the reception day itself" },
	{ ZL_E_RECEPTION_ROSTER_PAST, 422, "reception.roster_past", "已过去的接访日不能再改值班名单", "the roster of a past reception day cannot be changed" },
	{ ZL_E_RECEPTION_NOT_REMOTE, 422, "reception.not_remote", "只有偏远村可以每两周驻点一次", "only a remote village may have its station day every two weeks" },
	{ ZL_E_RECEPTION_TOO_SHORT, 422, "reception.too_short", "驻点日（接访日）至少半天，不少于 3 小时", "a station (reception) day lasts at least half a day: 3 hours or more" },
	{ ZL_E_RECEPTION_NO_SCHEDULE, 422, "reception.no_schedule", "该村驻点团队还没有定驻点日", "the village's station team has no station day set" },

	{ ZL_E_CARD_NOT_VILLAGE, 422, "card.not_village", "该代码不是村级区划，请给出村的代码", "the code is not a village's; give a village code" },
	{ ZL_E_CARD_EMPTY, 422, "card.no_households", "该村没有在册农户，无卡可打印", "the village has no active household to print a card for" },
	{ ZL_E_CARD_RENDER, 500, "card.render", "生成连心卡 PDF 失败", "could not draw the liaison cards" },

	{ ZL_E_IMPORT_BAD_ROWS, 422, "import.bad_rows", "文件中有错误行，未导入任何数据；请按行号修改后重新导入", "the file has bad rows; nothing was imported, fix the listed rows and import again" },
	{ ZL_E_IMPORT_ENCODING, 422, "import.encoding", "无法识别文件编码，请另存为 UTF-8 或 GBK 编码的 CSV 文件", "the file's encoding is not recognised; save it as csv in utf-8 or gbk" },
	{ ZL_E_IMPORT_CSV, 422, "import.csv", "CSV 文件格式有误", "the csv file is malformed" },
	{ ZL_E_IMPORT_HEADER, 422, "import.header", "表头有误：列名未知、重复或缺少必需的列", "the header row is wrong: unknown, repeated or missing columns" },
	{ ZL_E_IMPORT_EMPTY, 422, "import.empty", "文件中没有数据行", "the file has no data rows" },

	{ ZL_E_HOUSEHOLD_CODE_EXISTS, 409, "household.code_exists", "该户编号已被使用", "the household code is already taken" },
	{ ZL_E_TAG_EXISTS, 409, "tag.exists", "已有同名标签", "a tag with this name already exists" },
	{ ZL_E_MEMBER_REMOVED, 409, "household.member_removed", "该成员已移出本户，不能再修改", "the member has been removed from the household and cannot be changed" },
	{ ZL_E_PII_KEY, 500, "pii.key_unavailable", "个人信息密钥未加载，无法处理身份证号和电话", "the personal data key is not loaded" },
	{ ZL_E_PII_KEY_MISMATCH, 500, "pii.key_mismatch", "密钥文件与数据库中的个人信息不匹配", "the key file does not open the personal data in this database" },

	{ ZL_E_APPEAL_ILLEGAL, 409, "appeal.illegal_transition", "诉求当前状态下不能执行该操作", "the action is not allowed in the appeal's current state" },
	{ ZL_E_APPEAL_ACTION_FORBIDDEN, 403, "appeal.action_forbidden", "您的角色不能对诉求执行该操作", "your role may not take this action on the appeal" },
	{ ZL_E_APPEAL_NO_EXTENSION, 409, "appeal.no_extension_request", "没有待批准的延期申请", "the appeal has no extension request to approve" },
	{ ZL_E_APPEAL_MERGE_TARGET, 422, "appeal.merge_target", "不能合并到该诉求：须为同村另一件未办结的诉求", "the appeal cannot be merged into that one; give another open appeal of the same village" },
	{ ZL_E_CATEGORY_EXISTS, 409, "category.exists", "同级已有同名的诉求分类", "a sibling category already has this name" },
	{ ZL_E_CATEGORY_RETIRED, 409, "category.retired", "该诉求分类已停用", "the appeal category is retired" },

	{ ZL_E_PORTAL_RATE, 429, "portal.rate_limited", "操作太频繁了，请过一会儿再试", "too many requests from this address, try again later" },
	{ ZL_E_PORTAL_PHONE, 403, "portal.phone_mismatch", "手机号后四位不对，请核对后再试", "the last four digits of the phone do not match" },
	{ ZL_E_PORTAL_NO_FEEDBACK, 409, "portal.feedback_closed", "这件诉求现在不需要评价：办结后才能评价，且只能评价一次", "the appeal is not waiting for feedback; it can be rated once after it is resolved" },
	{ ZL_E_PORTAL_PHOTO_CLOSED, 409, "portal.photo_closed", "提交满 24 小时后不能再补充照片", "photos can be added only within 24 hours of submission" },
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
