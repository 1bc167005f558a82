// cards.js: download buttons for liaison cards (连心卡), the printable PDF of
// one household's card or of a whole village's (four to an A4 sheet). Not a
// page of its own: the household detail page and the village views import
// householdCardButton() / villageCardsButton(). The PDF is fetched first, so
// that an error (outside the scope, no households) shows as a message
// instead of a broken download.

import { acceptLanguage, pick } from '../i18n.js';
import { ApiError } from '../api.js';
import { notify } from '../app.js';
import { busy, h } from '../ui.js';

// The few words these buttons need, in both languages (pick() chooses).
const TEXT = {
  household: { zh: '打印连心卡', en: 'Print liaison card' },
  village: { zh: '打印全村连心卡', en: "Print the village's liaison cards" },
  busy: { zh: '正在生成…', en: 'Preparing…' },
  done: { zh: '已下载 ', en: 'Downloaded ' },
  hint: { zh: '四张一页（A4 横向），沿裁切线裁开', en: 'Four to an A4 landscape sheet; cut along the marks' },
};

/** The file name a Content-Disposition header offers (RFC 5987 first). */
export function dispositionName(header, fallback) {
  const star = /filename\*=UTF-8''([^;]+)/i.exec(header || '');
  if (star) {
    try { return decodeURIComponent(star[1].trim()); } catch (_) { /* fall through */ }
  }
  const plain = /filename="([^"]+)"/i.exec(header || '');
  return plain ? plain[1] : fallback;
}

/** Fetches a PDF and hands it to the browser as a download. */
export async function downloadPdf(path, fallbackName) {
  const res = await fetch(path, {
    credentials: 'same-origin',
    cache: 'no-store',
    headers: { Accept: 'application/pdf, application/problem+json', 'Accept-Language': acceptLanguage() },
  });
  if (!res.ok) {
    let problem = { status: res.status };
    try { problem = await res.json(); } catch (_) { /* not JSON */ }
    throw new ApiError(res.status, problem);
  }
  const name = dispositionName(res.headers.get('Content-Disposition'), fallbackName);
  const url = URL.createObjectURL(await res.blob());
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
  return name;
}

function cardButton(label, path, fallbackName) {
  const btn = h('button', { type: 'button', class: 'btn', title: pick(TEXT.hint) }, label);
  btn.addEventListener('click', async () => {
    const restore = busy(btn, pick(TEXT.busy));
    try {
      notify(pick(TEXT.done) + await downloadPdf(path, fallbackName));
    } catch (e) {
      notify(e instanceof ApiError ? e.detail || e.title : String(e), 'error');
    } finally {
      restore();
    }
  });
  return btn;
}

/** A button that downloads one household's card: household is {id, code}. */
export function householdCardButton(household) {
  return cardButton(pick(TEXT.household), `/api/v1/households/${encodeURIComponent(household.id)}/card.pdf`,
    `liaison-card-${household.code || household.id}.pdf`);
}

/** A button that downloads the cards of every active household of a village. */
export function villageCardsButton(villageCode) {
  return cardButton(pick(TEXT.village), `/api/v1/villages/${encodeURIComponent(villageCode)}/cards.pdf`,
    `liaison-cards-${villageCode}.pdf`);
}
