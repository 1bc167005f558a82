// Village teams: a village's stationed team (驻点团队) and auxiliary team
// (辅助团队), their members and roles, and the three fixed things (三固定):
// the leader, the station day and hours, the place. Administrators and
// leaders set them; everyone in scope reads. #/org/teams?village=CODE.

import { registerPage, navigate, notify } from '../app.js';
import { api } from '../api.js';
import { t } from '../i18n.js';
import { h, field, pageHeader, dataTable } from '../ui.js';
import {
  tr, TEAM_ROLES, teamRoleLabel, weekdayLabel, formDialog, textField, compact, villages, assignableUsers, userOptions, today,
} from './org-common.js';

const ROUTE = '#/org/teams';

function fixedFacts(team) {
  const day = team.station_weekday
    ? `${weekdayLabel(team.station_weekday)} · ${tr(team.station_every_weeks === 2 ? 'teams.every2' : 'teams.every1')}${team.station_remote ? ` · ${tr('teams.remote_yes')}` : ''}`
    : tr('teams.not_set');
  const hours = team.station_start ? `${team.station_start}–${team.station_end}` : tr('teams.not_set');
  return h('dl', { class: 'facts' },
    h('div', null, h('dt', null, tr('teams.leader')), h('dd', { class: 'team-leader' }, team.leader ? team.leader.display_name : tr('teams.not_set'))),
    h('div', null, h('dt', null, tr('teams.day')), h('dd', { class: 'team-day' }, day)),
    h('div', null, h('dt', null, tr('teams.hours')), h('dd', { class: 'team-hours' }, hours)),
    h('div', null, h('dt', null, tr('teams.place')), h('dd', { class: 'team-place' }, team.station_place || tr('teams.not_set'))));
}

function fixedDialog(village, kind, team, users, done) {
  const leaders = kind === 'station' ? users.filter((u) => u.role === 'leader') : users;
  formDialog({
    title: `${tr(`teams.${kind}`)} · ${tr('teams.edit_fixed')}`,
    fields: [
      field({ name: 'leader_user_id', label: tr('teams.f.leader'), value: team.leader ? String(team.leader.id) : '',
        options: userOptions(leaders, { empty: '—' }) }),
      field({ name: 'station_weekday', label: tr('teams.f.weekday'), value: String(team.station_weekday || ''),
        options: [{ value: '', label: '—' }, ...[1, 2, 3, 4, 5, 6, 7].map((n) => ({ value: String(n), label: weekdayLabel(n) }))] }),
      field({ name: 'station_every_weeks', label: tr('teams.f.every'), value: String(team.station_every_weeks || 1),
        options: [{ value: '1', label: tr('teams.every1') }, { value: '2', label: tr('teams.every2') }] }),
      // 偏远驻点: only a remote village's station team may meet every two weeks
      kind === 'station' ? field({ name: 'station_remote', label: tr('teams.f.remote'), value: team.station_remote ? '1' : '0',
        hint: tr('teams.f.remote_hint'), options: [{ value: '0', label: tr('teams.remote_no') }, { value: '1', label: tr('teams.remote_yes') }] }) : null,
      textField('station_start', tr('teams.f.start'), team.station_start || '08:30', { type: 'time', hint: tr('teams.f.hours_hint') }),
      textField('station_end', tr('teams.f.end'), team.station_end || '12:00', { type: 'time' }),
      textField('station_place', tr('teams.f.place'), team.station_place || ''),
    ],
    onSubmit: (v) => api.put(`/api/v1/villages/${encodeURIComponent(village)}/teams/${kind}`, {
      leader_user_id: v.leader_user_id ? Number(v.leader_user_id) : null,
      station_weekday: v.station_weekday ? Number(v.station_weekday) : null,
      station_every_weeks: Number(v.station_every_weeks || 1),
      ...(kind === 'station' ? { station_remote: v.station_remote === '1' } : {}),
      station_start: v.station_start || null,
      station_end: v.station_end || null,
      station_place: v.station_place || null,
    }),
    done: () => { notify(tr('teams.saved')); done(); },
  });
}

function memberDialog(village, kind, users, done) {
  formDialog({
    title: `${tr(`teams.${kind}`)} · ${tr('teams.add_member')}`,
    fields: [
      field({ name: 'user_id', label: tr('teams.f.user'), value: '', options: userOptions(users, { empty: tr('teams.f.no_user') }) }),
      textField('name', tr('teams.f.name'), ''),
      field({ name: 'team_role', label: tr('teams.f.role'), required: true, value: kind === 'station' ? 'cadre' : 'volunteer',
        options: TEAM_ROLES.map((r) => ({ value: r, label: teamRoleLabel(r) })) }),
      textField('position', tr('teams.f.position'), ''),
      textField('phone', tr('teams.f.phone'), '', { type: 'tel', inputmode: 'tel' }),
      textField('start_date', tr('asg.f.start'), today(), { type: 'date' }),
    ],
    onSubmit: (v) => api.post(`/api/v1/villages/${encodeURIComponent(village)}/teams/${kind}/members`,
      compact({ ...v, user_id: v.user_id ? Number(v.user_id) : '' })),
    done: () => { notify(tr('teams.saved')); done(); },
  });
}

function teamCard(village, kind, team, canWrite, users, again) {
  const columns = [
    { key: 'name', label: tr('teams.f.name'), class: 'col-strong' },
    { key: 'role', label: tr('teams.f.role'), render: (m) => teamRoleLabel(m.team_role) },
    { key: 'position', label: tr('teams.f.position') },
    { key: 'phone', label: tr('teams.f.phone'), render: (m) => (m.phone ? h('a', { href: `tel:${m.phone}` }, m.phone) : '') },
    { key: 'since', label: tr('asg.col.from'), render: (m) => m.start_date },
  ];
  if (canWrite) {
    columns.push({ key: 'end', label: '', class: 'col-actions', render: (m) => h('button', {
      type: 'button', class: 'btn btn-small',
      onclick: () => formDialog({
        title: `${tr('teams.end_member')} · ${m.name}`,
        fields: [textField('end_date', tr('asg.col.to'), today(), { type: 'date', required: true })],
        onSubmit: (v) => api.patch(`/api/v1/villages/${encodeURIComponent(village)}/teams/${kind}/members/${m.id}`, v),
        done: again,
      }),
    }, tr('teams.end_member')) });
  }
  const table = dataTable(columns, { rowKey: (m) => m.id, caption: tr(`teams.${kind}`), class: `team-members team-${kind}` });
  table.add(team.members || []);
  return h('section', { class: 'card', id: `team-${kind}` },
    h('h2', null, tr(`teams.${kind}`)),
    h('h3', null, tr('teams.fixed')),
    fixedFacts(team),
    canWrite ? h('div', { class: 'form-actions' },
      h('button', { type: 'button', class: 'btn', onclick: () => fixedDialog(village, kind, team, users, again) }, tr('teams.edit_fixed')),
      h('button', { type: 'button', class: 'btn', onclick: () => memberDialog(village, kind, users, again) }, tr('teams.add_member'))) : null,
    h('h3', null, tr('teams.members')),
    (team.members || []).length ? table.el : h('p', { class: 'muted' }, tr('teams.no_members')));
}

registerPage({
  id: 'org-teams',
  path: ROUTE,
  title: { zh: '驻点团队', en: 'Village teams' },
  order: 32,
  async render(root, ctx) {
    const me = ctx.user;
    const canWrite = me.role === 'admin' || me.role === 'leader';
    const list = await villages(ctx.signal);
    let village = ctx.query.get('village') || '';
    if (!village && list.length) village = list[0].code; // the first village, rather than an empty page
    const pick = field({ name: 'village', label: tr('teams.village'), value: village,
      options: [{ value: '', label: tr('teams.choose_village') }, ...list.map((v) => ({ value: v.code, label: `${v.name} ${v.code}` }))] });
    pick.input.addEventListener('change', () => navigate(pick.input.value ? `${ROUTE}?village=${encodeURIComponent(pick.input.value)}` : ROUTE));
    root.append(pageHeader(tr('teams.title')), h('section', { class: 'card' }, pick));
    if (!village) return;
    const [teams, users] = await Promise.all([
      api.get(`/api/v1/villages/${encodeURIComponent(village)}/teams`, { signal: ctx.signal }),
      canWrite ? assignableUsers(me, ctx.signal) : [],
    ]);
    const again = () => navigate(location.hash);
    root.append(teamCard(village, 'station', teams.station, canWrite, users, again),
      teamCard(village, 'auxiliary', teams.auxiliary, canWrite, users, again));
  },
});
