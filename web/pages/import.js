// import.js: household files in and out of spreadsheets. Choose a CSV file
// (UTF-8 or GBK, as Excel and WPS save it), check it (a dry run that writes
// nothing) and see every bad row with its row number, column and reason;
// then import it with a progress bar (the import runs as a job the page
// polls); export CSV or XLSX, masked unless "full numbers" is chosen (audited).

import { registerPage, notify } from '../app.js';
import { api, ApiError, getCsrf, isAbort } from '../api.js';
import { acceptLanguage, addStrings, t } from '../i18n.js';
import {
  h, field, alertBox, showMessage, hideBox, busy, pageHeader, dataTable, confirmDialog, errorPanel,
} from '../ui.js';
import { downloadPdf as downloadFile } from './cards.js';

addStrings({
  zh: {
    'imp.title': '导入与导出',
    'imp.in': '导入户档案',
    'imp.in_intro': '每人一行，同一户的成员用相同的“户编号”；户的信息（村、小组、地址、标签、备注、经纬度）写在与户主关系为“户主”的那一行。表头可用中文或英文，列的顺序不限。Excel 或 WPS 另存为 CSV 即可（UTF-8 或 GBK 均可）。',
    'imp.file': 'CSV 文件',
    'imp.skip': '跳过有错误的户，只导入无误的户',
    'imp.check': '检查文件（不写入）',
    'imp.apply': '导入',
    'imp.checking': '正在检查…',
    'imp.no_file': '请先选择一个 CSV 文件。',
    'imp.too_large': '文件太大，超过了服务器允许的上传大小。请分村导入，或由管理员用命令行 zhilian import households 导入。',
    'imp.apply_bad_q': '上次检查发现 {n} 行有错误。只导入没有错误的户、跳过有错误的户吗？',
    'imp.phase.checking': '正在检查每一行…',
    'imp.phase.applying': '正在写入：{done} / {total} 户',
    'imp.phase.finishing': '正在保存…',
    'imp.summary': '共 {rows} 行、{households} 户（编码 {encoding}）',
    'imp.would': '检查结果（尚未写入）：将新建 {created} 户，更新 {updated} 户，{unchanged} 户无变化，{skipped} 户有错误。',
    'imp.did': '已导入：新建 {created} 户，更新 {updated} 户，{unchanged} 户无变化，跳过 {skipped} 户。',
    'imp.clean': '没有发现错误，可以导入。',
    'imp.bad': '{n} 行有错误（共 {errors} 处），请在表格中改正后重新检查。',
    'imp.rejected': '文件中有错误行，未导入任何数据。',
    'imp.col.row': '行号',
    'imp.col.column': '列',
    'imp.col.reason': '问题',
    'imp.more_errors': '只显示了前 {shown} 处，共 {total} 处。可下载完整的错误清单。',
    'imp.errors_csv': '下载错误清单',
    'imp.out': '导出户档案',
    'imp.out_intro': '导出的表格与导入格式相同，可以修改后再导入。身份证号和电话默认打码。',
    'imp.format': '格式',
    'imp.encoding': '编码（CSV）',
    'imp.enc.utf8': 'UTF-8（Excel 2016 及以后、WPS）',
    'imp.enc.gbk': 'GBK（旧版 Excel）',
    'imp.region': '村（社区）',
    'imp.tag': '标签',
    'imp.reveal': '导出完整的身份证号和电话',
    'imp.reveal_q': '导出的文件将包含完整的身份证号和电话，这次导出会记入审计日志。请妥善保管文件。确定吗？',
    'imp.export': '导出',
    'imp.exporting': '正在导出…',
    'imp.exported': '已下载 {name}',
  },
  en: {
    'imp.title': 'Import and export',
    'imp.in': 'Import household files',
    'imp.in_intro': 'One row per person; the members of a household share its household code. The household\'s own fields (village, group, address, tags, notes, coordinates) go on the row whose relation is 户主 (head). Headers in Chinese or English, columns in any order. Save from Excel or WPS as CSV (UTF-8 or GBK).',
    'imp.file': 'CSV file',
    'imp.skip': 'Skip households with errors; import the others',
    'imp.check': 'Check the file (writes nothing)',
    'imp.apply': 'Import',
    'imp.checking': 'Checking…',
    'imp.no_file': 'Choose a CSV file first.',
    'imp.too_large': 'The file is larger than the server accepts. Import village by village, or ask an administrator to use zhilian import households.',
    'imp.apply_bad_q': 'The last check found {n} bad rows. Import the households without errors and skip the others?',
    'imp.phase.checking': 'Checking every row…',
    'imp.phase.applying': 'Writing: {done} of {total} households',
    'imp.phase.finishing': 'Saving…',
    'imp.summary': '{rows} rows, {households} households (encoding {encoding})',
    'imp.would': 'Check result (nothing written yet): {created} to create, {updated} to update, {unchanged} unchanged, {skipped} with errors.',
    'imp.did': 'Imported: {created} created, {updated} updated, {unchanged} unchanged, {skipped} skipped.',
    'imp.clean': 'No errors found; ready to import.',
    'imp.bad': '{n} rows have errors ({errors} in all); fix them and check again.',
    'imp.rejected': 'The file has bad rows; nothing was imported.',
    'imp.col.row': 'Row',
    'imp.col.column': 'Column',
    'imp.col.reason': 'Problem',
    'imp.more_errors': 'Showing the first {shown} of {total}. Download the full list.',
    'imp.errors_csv': 'Download the list of errors',
    'imp.out': 'Export household files',
    'imp.out_intro': 'The export has the import\'s columns, so it can be edited and imported again. ID and phone numbers are masked by default.',
    'imp.format': 'Format',
    'imp.encoding': 'Encoding (CSV)',
    'imp.enc.utf8': 'UTF-8 (Excel 2016 and later, WPS)',
    'imp.enc.gbk': 'GBK (older Excel)',
    'imp.region': 'Village',
    'imp.tag': 'Tag',
    'imp.reveal': 'Export full ID and phone numbers',
    'imp.reveal_q': 'The file will hold full ID and phone numbers and the export is recorded in the audit log. Keep the file safe. Go on?',
    'imp.export': 'Export',
    'imp.exporting': 'Exporting…',
    'imp.exported': 'Downloaded {name}',
  },
});

const ERRORS_SHOWN = 500;
const POLL_MS = 300;

/** Sends the file as the body of an import; returns the parsed result. */
async function postCsv(file, query, signal) {
  const url = new URL('/api/v1/households/import', location.origin);
  for (const [k, v] of Object.entries(query)) if (v) url.searchParams.set(k, String(v));
  const headers = {
    'Content-Type': 'text/csv',
    Accept: 'application/json, application/problem+json',
    'Accept-Language': acceptLanguage(),
  };
  if (getCsrf()) headers['X-CSRF-Token'] = getCsrf();
  let res;
  try {
    res = await fetch(url, { method: 'POST', headers, body: await file.arrayBuffer(), credentials: 'same-origin', cache: 'no-store', signal });
  } catch (e) {
    if (isAbort(e)) throw e;
    throw new ApiError(0, { title: t('error.network'), detail: t('error.network_detail'), code: 'network' });
  }
  let data = null;
  try { data = await res.json(); } catch (_) { data = { status: res.status }; }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

const sleep = (ms, signal) => new Promise((resolve, reject) => {
  const timer = setTimeout(resolve, ms);
  signal.addEventListener('abort', () => { clearTimeout(timer); reject(new DOMException('aborted', 'AbortError')); }, { once: true });
});

/** Polls a job until it ends, calling onProgress(job) on the way. */
async function waitJob(id, onProgress, signal) {
  for (;;) {
    const job = await api.get(`/api/v1/jobs/${encodeURIComponent(id)}`, { signal });
    onProgress(job);
    if (job.state !== 'running') return job;
    await sleep(POLL_MS, signal);
  }
}

/** The errors as a CSV file (UTF-8 with BOM, for Excel). */
function errorsCsv(errors) {
  const q = (s) => `"${String(s ?? '').replace(/"/g, '""')}"`;
  const lines = [[t('imp.col.row'), t('imp.col.column'), t('imp.col.reason')].map(q).join(',')];
  for (const e of errors) lines.push([e.row, e.column || '', e.message].map(q).join(','));
  return new Blob(['\uFEFF', lines.join('\r\n'), '\r\n'], { type: 'text/csv' });
}

function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

function importCard(ctx) {
  const fileField = field({ name: 'file', label: t('imp.file'), type: 'file', attrs: { accept: '.csv,text/csv' } });
  const skipField = field({ name: 'skip_bad', label: t('imp.skip'), checkbox: true });
  const checkBtn = h('button', { type: 'button', class: 'btn', id: 'import-check' }, t('imp.check'));
  const applyBtn = h('button', { type: 'button', class: 'btn btn-primary', id: 'import-apply' }, t('imp.apply'));
  const alert = alertBox();
  const status = h('div', { class: 'alert alert-info', role: 'status', id: 'import-result', hidden: true });
  const bar = h('progress', { id: 'import-progress', max: '1', value: '0' });
  const barText = h('span', { class: 'muted' });
  const barWrap = h('p', { hidden: true }, bar, ' ', barText);
  const table = dataTable([
    { key: 'row', label: t('imp.col.row'), class: 'mono' },
    { key: 'column', label: t('imp.col.column') },
    { key: 'message', label: t('imp.col.reason') },
  ], { caption: t('imp.col.reason'), class: 'import-errors' });
  const moreNote = h('p', { class: 'muted', hidden: true });
  const csvBtn = h('button', { type: 'button', class: 'btn btn-small', hidden: true }, t('imp.errors_csv'));
  const errorsArea = h('div', { class: 'list-area', hidden: true, id: 'import-errors' }, table.el, moreNote, csvBtn);
  let lastErrors = [];
  let lastBad = 0;

  const file = () => fileField.input.files && fileField.input.files[0];
  fileField.input.addEventListener('change', () => { lastBad = 0; hideBox(alert); status.hidden = true; errorsArea.hidden = true; });
  csvBtn.addEventListener('click', () => saveBlob(errorsCsv(lastErrors), 'import-errors.csv'));

  function showErrors(errors, total) {
    lastErrors = errors || [];
    table.clear();
    table.add(lastErrors.slice(0, ERRORS_SHOWN));
    errorsArea.hidden = !lastErrors.length;
    csvBtn.hidden = !lastErrors.length;
    moreNote.hidden = (total || 0) <= ERRORS_SHOWN;
    moreNote.textContent = t('imp.more_errors', { shown: Math.min(ERRORS_SHOWN, lastErrors.length), total });
  }

  function showResult(res) {
    const lines = [t('imp.summary', res)];
    if (res.dry_run) lines.push(t('imp.would', res));
    else if (res.applied) lines.push(t('imp.did', res));
    if (res.bad_rows) lines.push(t('imp.bad', { n: res.bad_rows, errors: res.errors_total }));
    else if (res.dry_run) lines.push(t('imp.clean'));
    status.replaceChildren(...lines.map((l) => h('p', null, l)));
    status.hidden = false;
    lastBad = res.bad_rows || 0;
    showErrors(res.errors, res.errors_total);
  }

  function showFailure(e) {
    if (isAbort(e)) return;
    const p = e instanceof ApiError ? e.problem : null;
    if (e instanceof ApiError && e.status === 413) {
      showMessage(alert, e.title, t('imp.too_large'));
    } else if (p && Array.isArray(p.errors) && p.errors.some((x) => 'row' in x)) {
      // the file's own problems: the rows in the table
      showMessage(alert, p.code === 'import.bad_rows' ? t('imp.rejected') : e.title, e.detail);
      if ('rows' in p) showResult({ ...p, dry_run: false, applied: false });
      else showErrors(e.errors, e.errors.length);
    } else {
      showMessage(alert, e.title || t('error.page_failed'), e.detail || String(e.message || e));
    }
  }

  function progress(job) {
    barWrap.hidden = false;
    bar.max = Math.max(job.total || 0, 1);
    bar.value = job.phase === 'applying' ? job.done : (job.phase === 'checking' ? 0 : bar.max);
    barText.textContent = t(`imp.phase.${job.phase === 'applying' ? 'applying' : job.phase === 'checking' ? 'checking' : 'finishing'}`, job);
  }

  async function run(dry) {
    hideBox(alert);
    const f = file();
    if (!f) { showMessage(alert, t('imp.no_file')); fileField.input.focus(); return; }
    let skip = skipField.input.checked;
    if (!dry && lastBad && !skip) {
      if (!await confirmDialog(t('imp.apply_bad_q', { n: lastBad }), { okLabel: t('imp.apply') })) return;
      skip = true;
    }
    const restoreA = busy(checkBtn, dry ? t('imp.checking') : null);
    const restoreB = busy(applyBtn, dry ? null : t('common.working'));
    status.hidden = true;
    try {
      if (dry) {
        showResult(await postCsv(f, { dry_run: 1 }, ctx.signal));
        return;
      }
      const started = await postCsv(f, { skip_bad: skip ? 1 : 0, async: 1 }, ctx.signal);
      progress({ phase: 'checking', total: 0, done: 0 });
      const job = await waitJob(started.job_id, progress, ctx.signal);
      const res = job.result || {};
      if (job.state === 'done') {
        showResult(res);
        notify(t('imp.did', res));
      } else {
        showFailure(new ApiError(res.status || 500, { ...res, title: res.code === 'import.bad_rows' ? t('imp.rejected') : undefined }));
      }
    } catch (e) {
      showFailure(e);
    } finally {
      barWrap.hidden = true;
      restoreA();
      restoreB();
    }
  }
  checkBtn.addEventListener('click', () => run(true));
  applyBtn.addEventListener('click', () => run(false));

  return h('section', { class: 'card', 'aria-labelledby': 'import-in-title' },
    h('h2', { id: 'import-in-title' }, t('imp.in')),
    h('p', { class: 'muted' }, t('imp.in_intro')),
    h('form', { class: 'form', onsubmit: (ev) => ev.preventDefault() }, fileField, skipField,
      h('div', { class: 'form-actions' }, checkBtn, applyBtn)),
    alert, barWrap, status, errorsArea);
}

function exportCard(ctx, villages, tags) {
  const canReveal = ['admin', 'leader', 'cadre'].includes(ctx.user.role);
  const format = field({ name: 'format', label: t('imp.format'), options: [{ value: 'xlsx', label: 'Excel (XLSX)' }, { value: 'csv', label: 'CSV' }] });
  const encoding = field({ name: 'encoding', label: t('imp.encoding'), options: [{ value: 'utf8', label: t('imp.enc.utf8') }, { value: 'gbk', label: t('imp.enc.gbk') }] });
  const region = field({ name: 'region', label: t('imp.region'), options: [{ value: '', label: t('common.all') }, ...villages.map((v) => ({ value: v.code, label: `${v.name}（${v.code}）` }))] });
  const tag = field({ name: 'tag', label: t('imp.tag'), options: [{ value: '', label: t('common.all') }, ...tags.map((x) => ({ value: x.name, label: x.name }))] });
  const reveal = canReveal ? field({ name: 'reveal', label: t('imp.reveal'), checkbox: true }) : null;
  const btn = h('button', { type: 'submit', class: 'btn btn-primary', id: 'export-go' }, t('imp.export'));
  const alert = alertBox();
  const syncEncoding = () => { encoding.hidden = format.input.value !== 'csv'; };
  format.input.addEventListener('change', syncEncoding);
  syncEncoding();

  async function go(ev) {
    ev.preventDefault();
    hideBox(alert);
    const revealed = reveal && reveal.input.checked;
    if (revealed && !await confirmDialog(t('imp.reveal_q'), { okLabel: t('imp.export') })) return;
    const q = new URLSearchParams({ format: format.input.value });
    if (format.input.value === 'csv') q.set('encoding', encoding.input.value);
    if (region.input.value) q.set('region', region.input.value);
    if (tag.input.value) q.set('tag', tag.input.value);
    if (revealed) q.set('reveal', '1');
    const restore = busy(btn, t('imp.exporting'));
    try {
      const name = await downloadFile(`/api/v1/households/export?${q}`, `households.${format.input.value}`);
      notify(t('imp.exported', { name }));
    } catch (e) {
      showMessage(alert, e.title || t('error.page_failed'), e.detail || String(e.message || e));
    } finally {
      restore();
    }
  }

  return h('section', { class: 'card', 'aria-labelledby': 'import-out-title' },
    h('h2', { id: 'import-out-title' }, t('imp.out')),
    h('p', { class: 'muted' }, t('imp.out_intro')),
    h('form', { class: 'form', onsubmit: go }, format, encoding, region, tag, reveal,
      h('div', { class: 'form-actions' }, btn)),
    alert);
}

async function render(root, ctx) {
  let villages = [];
  let tags = [];
  try {
    [villages, tags] = await Promise.all([
      api.get('/api/v1/regions', { query: { level: 'village', limit: 500 }, signal: ctx.signal }).then((r) => r.items || []),
      api.get('/api/v1/tags', { signal: ctx.signal }).then((r) => r.items || []),
    ]);
  } catch (e) {
    if (isAbort(e)) return;
    root.replaceChildren(pageHeader(t('imp.title')), errorPanel(e, () => render(root, ctx)));
    return;
  }
  root.replaceChildren(pageHeader(t('imp.title')), importCard(ctx), exportCard(ctx, villages, tags));
}

registerPage({
  id: 'import',
  path: '#/import',
  title: { zh: '导入与导出', en: 'Import and export' },
  roles: ['admin', 'leader', 'cadre'],
  order: 35,
  render,
});
