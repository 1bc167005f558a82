// i18n.js: every string the web pages show, in Chinese (zh, the default)
// and English (en). The shell and the platform pages keep their strings in
// the two tables below; a later module's page registers its own with
// addStrings({zh: {...}, en: {...}}) using keys prefixed by its module name
// ("appeals.title"). t(key, vars) looks a key up in the chosen language,
// falls back to Chinese, then to the key itself, and fills {name} holes.
// This file touches no DOM at import time so that node can check it.

export const LANGS = ['zh', 'en'];
const STORAGE_KEY = 'zl.lang';

const tables = {
  zh: {
    'app.name': '直联',
    'app.subtitle': '乡镇驻点直联系统',
    'app.loading': '正在加载…',
    'app.boot_failed': '无法启动：',
    'app.module_failed': '有一个功能模块没有加载成功，请刷新页面。',
    'lang.switch_to': 'English',
    'lang.switch_label': '切换到英文界面',
    'nav.label': '主导航',
    'nav.menu': '菜单',
    'nav.menu_close': '关闭菜单',
    'nav.signed_in_as': '当前用户',
    'nav.logout': '退出登录',
    'nav.skip': '跳到主要内容',

    'role.admin': '管理员',
    'role.leader': '镇领导',
    'role.cadre': '驻点干部',
    'role.viewer': '只读用户',

    'common.loading': '正在加载…',
    'common.load_more': '加载更多',
    'common.search': '查询',
    'common.reset': '清空条件',
    'common.save': '保存',
    'common.cancel': '取消',
    'common.close': '关闭',
    'common.confirm': '确定',
    'common.edit': '编辑',
    'common.all': '全部',
    'common.empty': '没有符合条件的记录。',
    'common.shown': '已显示 {n} 条',
    'common.shown_all': '共 {n} 条，已全部显示',
    'common.retry': '重试',
    'common.working': '正在处理…',
    'common.optional': '选填',
    'common.required': '必填',
    'common.never': '从未',

    'error.network': '无法连接服务器',
    'error.network_detail': '请检查网络连接后重试。',
    'error.http': '请求失败（{status}）',
    'error.request_id': '请求编号',
    'error.fix_fields': '请按提示修改下面标出的内容。',
    'error.forbidden_title': '没有权限',
    'error.forbidden_page': '您的角色不能使用这个页面。',
    'error.not_found_title': '页面不存在',
    'error.not_found_page': '地址有误，或者这个功能还没有上线。',
    'error.go_home': '回到首页',
    'error.page_failed': '页面出错了',

    'login.title': '登录',
    'login.heading': '登录直联',
    'login.intro': '乡镇驻点普遍直接联系群众工作平台',
    'login.username': '用户名',
    'login.password': '密码',
    'login.show_password': '显示密码',
    'login.submit': '登录',
    'login.busy': '正在登录…',
    'login.need_username': '请输入用户名',
    'login.need_password': '请输入密码',
    'login.expired': '登录已失效，请重新登录。',
    'login.signed_out': '您已安全退出。',
    'login.hint': '忘记密码或账号被锁定，请联系本镇系统管理员。',

    'password.title': '修改密码',
    'password.forced': '为了账号安全，请先设置一个新密码，然后才能继续使用。',
    'password.old': '当前密码',
    'password.new': '新密码',
    'password.repeat': '再次输入新密码',
    'password.rules': '至少 10 个字符，不能包含用户名。',
    'password.too_short': '新密码至少需要 10 个字符',
    'password.contains_username': '新密码不能包含用户名',
    'password.mismatch': '两次输入的新密码不一致',
    'password.submit': '确认修改',
    'password.done': '密码已修改。',
    'password.relogin': '密码已修改，请用新密码重新登录。',

    'home.title': '首页',
    'home.greeting': '{name}，您好',
    'home.role': '角色',
    'home.scope': '数据范围',
    'home.scope_hint': '您只能看到这个区域及其下级区域的数据。',
    'home.available': '现在可以使用',
    'home.coming': '正在建设',
    'home.coming_intro': '以下功能正在开发，完成后会出现在菜单中：',
    'home.coming.org': '区域、部门和干部驻点安排',
    'home.coming.households': '民情档案',
    'home.coming.contacts': '联系记录、走访计划和民情日记',
    'home.coming.appeals': '群众诉求受理与办理',
    'home.coming.evaluation': '评估考核与“三率”统计',
    'home.coming.surveys': '问卷调查',
    'home.coming.training': '培训与资源倾斜',

    'users.title': '用户管理',
    'users.search': '搜索',
    'users.search_placeholder': '用户名或姓名',
    'users.role_filter': '角色',
    'users.new': '新建用户',
    'users.readonly': '您可以查看本区域的用户，但不能修改。',
    'users.col.username': '用户名',
    'users.col.display_name': '姓名',
    'users.col.role': '角色',
    'users.col.scope': '数据范围',
    'users.col.status': '状态',
    'users.col.actions': '操作',
    'users.status.active': '正常',
    'users.status.disabled': '已停用',
    'users.status.must_change': '待修改密码',
    'users.field.username': '用户名',
    'users.field.username_hint': '登录用，建议用字母和数字，创建后不能修改。',
    'users.field.display_name': '姓名',
    'users.field.role': '角色',
    'users.field.scope_code': '数据范围（区划代码）',
    'users.field.scope_hint': '12 位统计用区划代码，例如 440881104000。用户只能看到该区域及其下级。',
    'users.field.password': '初始密码',
    'users.field.password_hint': '至少 10 个字符，不能包含用户名。用户首次登录时必须修改。',
    'users.field.disabled': '停用此账号（停用后不能登录）',
    'users.field.reset_password': '重置密码',
    'users.field.reset_hint': '留空表示不修改密码。',
    'users.create_title': '新建用户',
    'users.create_submit': '创建用户',
    'users.created': '已创建用户 {username}。该用户首次登录时必须修改密码。',
    'users.edit_title': '编辑用户：{username}',
    'users.updated': '已保存用户 {username} 的修改。',
    'users.nothing_changed': '没有任何修改。',

    'audit.title': '审计日志',
    'audit.intro': '系统中每一次修改都记录在这里，记录不能修改或删除。',
    'audit.filters': '筛选条件',
    'audit.filter.user': '用户编号',
    'audit.filter.entity': '对象类型',
    'audit.filter.action': '操作',
    'audit.filter.from': '开始日期',
    'audit.filter.to': '结束日期',
    'audit.col.time': '时间',
    'audit.col.user': '用户',
    'audit.col.addr': '地址',
    'audit.col.action': '操作',
    'audit.col.entity': '对象',
    'audit.col.id': '编号',
    'audit.col.details': '变更',
    'audit.show_diff': '查看变更',
    'audit.hide_diff': '收起变更',
    'audit.diff.field': '字段',
    'audit.diff.before': '修改前',
    'audit.diff.after': '修改后',
    'audit.diff.none': '这条记录没有保存变更内容。',
    'audit.diff.changed': '已修改',
    'audit.hash': '校验值',
    'audit.system': '系统',
    'audit.bad_range': '开始日期不能晚于结束日期',

    'tokens.title': '我的 API 令牌',
    'tokens.intro': 'API 令牌让其他程序以您的身份调用直联接口。只交给可信的程序使用，不再需要时请立即吊销。',
    'tokens.name': '令牌名称',
    'tokens.name_hint': '写明用途，例如“统计报表导出”。',
    'tokens.create': '创建令牌',
    'tokens.secret_title': '新令牌已创建',
    'tokens.secret_warning': '请现在复制并妥善保存。这个密钥只显示这一次，离开本页后无法再次查看。',
    'tokens.secret_label': '令牌密钥',
    'tokens.copy': '复制',
    'tokens.copied': '已复制到剪贴板',
    'tokens.copy_failed': '无法自动复制，请手动选中后复制。',
    'tokens.secret_done': '我已保存，关闭',
    'tokens.col.name': '名称',
    'tokens.col.prefix': '前缀',
    'tokens.col.created': '创建时间',
    'tokens.col.last_used': '最近使用',
    'tokens.col.status': '状态',
    'tokens.col.actions': '操作',
    'tokens.status.active': '有效',
    'tokens.status.revoked': '已吊销',
    'tokens.revoke': '吊销',
    'tokens.revoke_confirm': '确定吊销令牌“{name}”吗？使用它的程序将立即无法访问。',
    'tokens.revoked': '已吊销令牌“{name}”。',
    'tokens.none': '您还没有 API 令牌。',
    'tokens.viewer_note': '只读用户不能创建或吊销令牌。',
  },
  en: {
    'app.name': 'Zhilian',
    'app.subtitle': 'Township liaison system',
    'app.loading': 'Loading…',
    'app.boot_failed': 'Could not start: ',
    'app.module_failed': 'A part of the application did not load. Please reload the page.',
    'lang.switch_to': '中文',
    'lang.switch_label': 'Switch to Chinese',
    'nav.label': 'Main navigation',
    'nav.menu': 'Menu',
    'nav.menu_close': 'Close menu',
    'nav.signed_in_as': 'Signed in as',
    'nav.logout': 'Sign out',
    'nav.skip': 'Skip to main content',

    'role.admin': 'Administrator',
    'role.leader': 'Leader',
    'role.cadre': 'Cadre',
    'role.viewer': 'Viewer',

    'common.loading': 'Loading…',
    'common.load_more': 'Load more',
    'common.search': 'Search',
    'common.reset': 'Clear filters',
    'common.save': 'Save',
    'common.cancel': 'Cancel',
    'common.close': 'Close',
    'common.confirm': 'OK',
    'common.edit': 'Edit',
    'common.all': 'All',
    'common.empty': 'No matching records.',
    'common.shown': '{n} shown',
    'common.shown_all': 'All {n} shown',
    'common.retry': 'Try again',
    'common.working': 'Working…',
    'common.optional': 'optional',
    'common.required': 'required',
    'common.never': 'never',

    'error.network': 'Cannot reach the server',
    'error.network_detail': 'Check the connection and try again.',
    'error.http': 'Request failed ({status})',
    'error.request_id': 'Request ID',
    'error.fix_fields': 'Please correct the fields marked below.',
    'error.forbidden_title': 'Not allowed',
    'error.forbidden_page': 'Your role may not use this page.',
    'error.not_found_title': 'Page not found',
    'error.not_found_page': 'The address is wrong, or this part is not available yet.',
    'error.go_home': 'Go to the home page',
    'error.page_failed': 'The page failed',

    'login.title': 'Sign in',
    'login.heading': 'Sign in to Zhilian',
    'login.intro': 'Township cadres in direct contact with every household',
    'login.username': 'Username',
    'login.password': 'Password',
    'login.show_password': 'Show password',
    'login.submit': 'Sign in',
    'login.busy': 'Signing in…',
    'login.need_username': 'Enter your username',
    'login.need_password': 'Enter your password',
    'login.expired': 'You are no longer signed in. Please sign in again.',
    'login.signed_out': 'You have signed out.',
    'login.hint': 'Forgot your password or locked out? Ask your town\u2019s administrator.',

    'password.title': 'Change password',
    'password.forced': 'Please set a new password before you continue.',
    'password.old': 'Current password',
    'password.new': 'New password',
    'password.repeat': 'Repeat the new password',
    'password.rules': 'At least 10 characters, not containing your username.',
    'password.too_short': 'The new password needs at least 10 characters',
    'password.contains_username': 'The new password must not contain your username',
    'password.mismatch': 'The two new passwords are not the same',
    'password.submit': 'Change password',
    'password.done': 'Your password has been changed.',
    'password.relogin': 'Password changed. Please sign in with the new password.',

    'home.title': 'Home',
    'home.greeting': 'Hello, {name}',
    'home.role': 'Role',
    'home.scope': 'Data scope',
    'home.scope_hint': 'You see this region and the regions under it, and nothing else.',
    'home.available': 'Available now',
    'home.coming': 'Being built',
    'home.coming_intro': 'These parts are being built and will appear in the menu when ready:',
    'home.coming.org': 'Regions, departments and cadre stations',
    'home.coming.households': 'Household files',
    'home.coming.contacts': 'Contacts, visit plans and diaries',
    'home.coming.appeals': 'Appeals from residents',
    'home.coming.evaluation': 'Evaluation and the three rates',
    'home.coming.surveys': 'Surveys',
    'home.coming.training': 'Training and resource leaning',

    'users.title': 'Users',
    'users.search': 'Search',
    'users.search_placeholder': 'Username or name',
    'users.role_filter': 'Role',
    'users.new': 'New user',
    'users.readonly': 'You can see the users in your region but not change them.',
    'users.col.username': 'Username',
    'users.col.display_name': 'Name',
    'users.col.role': 'Role',
    'users.col.scope': 'Scope',
    'users.col.status': 'Status',
    'users.col.actions': 'Actions',
    'users.status.active': 'Active',
    'users.status.disabled': 'Disabled',
    'users.status.must_change': 'Must change password',
    'users.field.username': 'Username',
    'users.field.username_hint': 'Used to sign in; letters and digits are best. It cannot be changed later.',
    'users.field.display_name': 'Name',
    'users.field.role': 'Role',
    'users.field.scope_code': 'Scope (division code)',
    'users.field.scope_hint': '12-digit statistical division code, e.g. 440881104000. The user sees that region and the regions under it.',
    'users.field.password': 'Initial password',
    'users.field.password_hint': 'At least 10 characters, not containing the username. The user must change it at first sign-in.',
    'users.field.disabled': 'Disable this account (it can no longer sign in)',
    'users.field.reset_password': 'Reset password',
    'users.field.reset_hint': 'Leave empty to keep the current password.',
    'users.create_title': 'New user',
    'users.create_submit': 'Create user',
    'users.created': 'User {username} created. They must change the password at first sign-in.',
    'users.edit_title': 'Edit user: {username}',
    'users.updated': 'Changes to {username} saved.',
    'users.nothing_changed': 'Nothing was changed.',

    'audit.title': 'Audit log',
    'audit.intro': 'Every change in the system is recorded here; records cannot be changed or deleted.',
    'audit.filters': 'Filters',
    'audit.filter.user': 'User ID',
    'audit.filter.entity': 'Entity',
    'audit.filter.action': 'Action',
    'audit.filter.from': 'From',
    'audit.filter.to': 'To',
    'audit.col.time': 'Time',
    'audit.col.user': 'User',
    'audit.col.addr': 'Address',
    'audit.col.action': 'Action',
    'audit.col.entity': 'Entity',
    'audit.col.id': 'ID',
    'audit.col.details': 'Changes',
    'audit.show_diff': 'Show changes',
    'audit.hide_diff': 'Hide changes',
    'audit.diff.field': 'Field',
    'audit.diff.before': 'Before',
    'audit.diff.after': 'After',
    'audit.diff.none': 'This record holds no change details.',
    'audit.diff.changed': 'changed',
    'audit.hash': 'Hash',
    'audit.system': 'system',
    'audit.bad_range': 'The start date is after the end date',

    'tokens.title': 'My API tokens',
    'tokens.intro': 'An API token lets another program use the Zhilian API as you. Give it only to programs you trust, and revoke it as soon as it is no longer needed.',
    'tokens.name': 'Token name',
    'tokens.name_hint': 'Say what it is for, e.g. \u201creport export\u201d.',
    'tokens.create': 'Create token',
    'tokens.secret_title': 'New token created',
    'tokens.secret_warning': 'Copy it now and keep it safe. The secret is shown only this once and cannot be seen again after you leave this page.',
    'tokens.secret_label': 'Token secret',
    'tokens.copy': 'Copy',
    'tokens.copied': 'Copied to the clipboard',
    'tokens.copy_failed': 'Could not copy automatically; select the text and copy it by hand.',
    'tokens.secret_done': 'I have saved it, close',
    'tokens.col.name': 'Name',
    'tokens.col.prefix': 'Prefix',
    'tokens.col.created': 'Created',
    'tokens.col.last_used': 'Last used',
    'tokens.col.status': 'Status',
    'tokens.col.actions': 'Actions',
    'tokens.status.active': 'Active',
    'tokens.status.revoked': 'Revoked',
    'tokens.revoke': 'Revoke',
    'tokens.revoke_confirm': 'Revoke the token \u201c{name}\u201d? Programs using it lose access at once.',
    'tokens.revoked': 'Token \u201c{name}\u201d revoked.',
    'tokens.none': 'You have no API tokens.',
    'tokens.viewer_note': 'Viewers cannot create or revoke tokens.',
  },
};

function storedLang() {
  try {
    const s = globalThis.localStorage && globalThis.localStorage.getItem(STORAGE_KEY);
    if (LANGS.includes(s)) return s;
  } catch (_) { /* storage blocked: use the default */ }
  return 'zh';
}

let lang = storedLang();
const listeners = new Set();

/** The language in use: "zh" or "en". */
export function getLang() { return lang; }

/** Switches the language, remembers it and tells the listeners. */
export function setLang(next) {
  if (!LANGS.includes(next) || next === lang) return;
  lang = next;
  try { globalThis.localStorage && globalThis.localStorage.setItem(STORAGE_KEY, next); } catch (_) { /* ignore */ }
  for (const fn of listeners) fn(lang);
}

/** Calls fn(lang) after each language switch; returns an unsubscribe function. */
export function onLangChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** The Accept-Language header value matching the chosen language. */
export function acceptLanguage() { return lang === 'en' ? 'en' : 'zh-CN'; }

/** The value of <html lang>. */
export function htmlLang() { return lang === 'en' ? 'en' : 'zh-CN'; }

/**
 * Registers a module's strings: addStrings({zh: {'appeals.title': '诉求'}, en: {...}}).
 * A key that is already taken with a different text is reported and kept.
 */
export function addStrings(strings) {
  for (const l of LANGS) {
    const add = (strings && strings[l]) || {};
    for (const [k, v] of Object.entries(add)) {
      if (k in tables[l] && tables[l][k] !== v) {
        console.warn(`i18n: key ${k} (${l}) already registered; keeping the first`);
        continue;
      }
      tables[l][k] = v;
    }
  }
}

/** Translates key into the current language, filling {name} holes from vars. */
export function t(key, vars) {
  let s = tables[lang][key];
  if (s === undefined) s = tables.zh[key];
  if (s === undefined) {
    console.warn(`i18n: missing key ${key}`);
    s = key;
  }
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  return s;
}

/** Does the key exist (in Chinese, the reference language)? */
export function has(key) { return key in tables.zh; }

/**
 * Picks a language from {zh, en} (as page titles are given) or translates a
 * key if given a string.
 */
export function pick(v) {
  if (v == null) return '';
  if (typeof v === 'string') return has(v) ? t(v) : v;
  return v[lang] ?? v.zh ?? '';
}

/** Role code to its label ("admin" -> 管理员). */
export function roleLabel(role) {
  return has(`role.${role}`) ? t(`role.${role}`) : String(role ?? '');
}

/** For tests: a copy of both tables. */
export function _tables() {
  return { zh: { ...tables.zh }, en: { ...tables.en } };
}
