// Home: greets the user, shows role and data scope, links to what works
// now and says plainly what is still being built.

import { registerPage, navPages } from '../app.js';
import { t, pick, roleLabel } from '../i18n.js';
import { h, pageHeader } from '../ui.js';

// Modules still being built; a module removes its line when its pages land.
const COMING = [ 'contacts', 'evaluation', 'surveys', 'training'];

registerPage({
  id: 'home',
  path: '#/home',
  title: { zh: '首页', en: 'Home' },
  order: 0,
  render(root, ctx) {
    const u = ctx.user;
    const available = navPages(u).filter((p) => p.id !== 'home');
    root.append(
      pageHeader(t('home.greeting', { name: u.display_name || u.username })),
      h('section', { class: 'card' },
        h('dl', { class: 'facts' },
          h('div', null, h('dt', null, t('home.role')), h('dd', { id: 'home-role' }, roleLabel(u.role))),
          h('div', null, h('dt', null, t('home.scope')),
            h('dd', { id: 'home-scope' }, u.scope_name ? `${u.scope_name}（${u.scope_code}）` : u.scope_code))),
        h('p', { class: 'hint' }, t('home.scope_hint'))),
      h('section', { class: 'card' },
        h('h2', null, t('home.available')),
        h('ul', { class: 'link-list' }, available.map((p) => h('li', null, h('a', { href: p.path }, pick(p.title)))))),
      h('section', { class: 'card' },
        h('h2', null, t('home.coming')),
        h('p', null, t('home.coming_intro')),
        h('ul', { class: 'plain-list' }, COMING.map((k) => h('li', null, t(`home.coming.${k}`))))));
  },
});
