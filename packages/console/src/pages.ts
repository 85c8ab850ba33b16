// The pages: each renders into the main element from the console API, for the logged-in account's scope.

import { api, query, type User } from './api.ts';
import { chart } from './charts.ts';
import { field, h, table } from './dom.ts';
import { currentLang, formatNumber, formatTime, t, type WordKey } from './i18n.ts';

export interface PageContext {
  user: User;
  main: HTMLElement;
  params: URLSearchParams;
  /** The page's data when it came with the first call (/me), for its first render only. */
  initial?: unknown;
  /** Called again by pages that refresh themselves; cleared when the page changes. */
  every(ms: number, fn: () => Promise<void>): void;
}

interface Overview {
  scope: string | null; today: string; year: number;
  days: { day: string; sent: number; received: number }[];
  months: { month: string; sent: number; received: number }[];
  byGroup: Record<string, { sent: number; received: number }>;
  yearTotals: { sent: number; received: number; overdue: number };
  connected: { agencies: number; connected: number };
  connectionPoints: { systems: number; active24h: number };
  inFlight: number; overdueNow: number;
}

function figure(label: string, value: string, id: string): HTMLElement {
  return h('div', { class: 'figure', 'data-figure': id }, h('div', { class: 'figure-value' }, value), h('div', { class: 'figure-label' }, label));
}

export async function overviewPage(p: PageContext): Promise<void> {
  let initial = p.initial as Overview | undefined;
  const render = async (): Promise<void> => {
    const o = initial ?? await api<Overview>('GET', `/overview${query({ scope: p.params.get('scope') ?? undefined })}`);
    initial = undefined;
    const last30 = o.days.slice(-30);
    const groups = ['central', 'province', 'commune', 'other'];
    p.main.replaceChildren(
      h('h1', {}, t('overview'), ' — ', o.scope ?? t('everything')),
      h('div', { class: 'figures' },
        figure(t('sentToday'), formatNumber(o.yearTotals.sent), 'sent'),
        figure(t('receivedYear'), formatNumber(o.yearTotals.received), 'received'),
        figure(t('inFlight'), formatNumber(o.inFlight), 'in-flight'),
        figure(t('overdueNow'), formatNumber(o.overdueNow), 'overdue'),
        figure(t('connected'), `${formatNumber(o.connected.connected)}/${formatNumber(o.connected.agencies)}`, 'connected'),
        figure(t('activePoints'), `${formatNumber(o.connectionPoints.active24h)}/${formatNumber(o.connectionPoints.systems)}`, 'active-points')),
      h('div', { class: 'charts' },
        chart('bar', t('perDay'), last30.map((d) => d.day.slice(5)), [{ label: t('sent'), data: last30.map((d) => d.sent) }, { label: t('received'), data: last30.map((d) => d.received) }]),
        chart('line', t('perMonth'), o.months.map((m) => m.month), [{ label: t('sent'), data: o.months.map((m) => m.sent) }, { label: t('received'), data: o.months.map((m) => m.received) }]),
        chart('bar', t('byGroup'), groups.map((g) => t(`group_${g}` as WordKey)), [
          { label: t('sent'), data: groups.map((g) => o.byGroup[g]?.sent ?? 0) }, { label: t('received'), data: groups.map((g) => o.byGroup[g]?.received ?? 0) }])),
      h('p', { class: 'muted' }, `${t('updatedAt')} ${formatTime(new Date().toISOString())}`),
    );
  };
  await render();
  p.every(30_000, render);
}

interface OverdueItem {
  deliveryId: string; documentId: string; recipient: string; recipientName: string | null; from: string; fromName: string | null;
  edxmlId: string | null; notation: string | null; subject: string | null; receivedAt: string; businessStatus: string | null; ageDays: number;
}

export async function overduePage(p: PageContext): Promise<void> {
  const filters = { scope: p.params.get('scope') ?? '', from: p.params.get('from') ?? '', to: p.params.get('to') ?? '' };
  const list = await api<{ items: OverdueItem[] }>('GET', `/overdue${query(filters)}`);
  const byAgency = new Map<string, OverdueItem[]>();
  for (const i of list.items) byAgency.set(i.recipient, [...(byAgency.get(i.recipient) ?? []), i]);
  // Agencies with the oldest waiting document first; rows within each already come oldest first.
  const groups = [...byAgency].sort((a, b) => (b[1][0]?.ageDays ?? 0) - (a[1][0]?.ageDays ?? 0) || b[1].length - a[1].length);
  const form = h('form', { class: 'filters', role: 'search' },
    h('label', {}, t('scope'), h('input', { name: 'scope', value: filters.scope, placeholder: p.user.scope ?? '000.00.00.H41', size: '16' })),
    h('label', {}, t('from'), h('input', { name: 'from', type: 'date', value: filters.from })),
    h('label', {}, t('to'), h('input', { name: 'to', type: 'date', value: filters.to })),
    h('button', { type: 'submit' }, t('filter')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    location.hash = `#/overdue${query({ scope: field(form, 'scope'), from: field(form, 'from'), to: field(form, 'to') })}`;
  });
  const exportQuery = (format: string): string => `/console/api/overdue${query({ ...filters, format })}`;
  p.main.replaceChildren(
    h('h1', {}, t('overdue'), ` (${formatNumber(list.items.length)})`),
    form,
    h('p', { class: 'actions' },
      h('a', { href: exportQuery('csv'), download: '', id: 'export-csv', class: 'button' }, t('exportCsv')),
      h('a', { href: exportQuery('xlsx'), download: '', id: 'export-xlsx', class: 'button' }, t('exportXlsx'))),
    list.items.length === 0 ? h('p', { id: 'no-overdue' }, t('noOverdue')) : h('div', {}, ...groups.map(([code, items]) => h('section', { class: 'group', 'data-agency': code },
      h('h2', {}, `${items[0]?.recipientName ?? code} (${code}) — ${formatNumber(items.length)} ${t('documentsCount')}`),
      table([t('ageDays'), t('notation'), t('subject'), t('sender'), t('receivedAt'), t('status')], items.map((i) => [
        String(i.ageDays),
        h('a', { href: `#/documents/${encodeURIComponent(i.documentId)}`, 'data-document': i.documentId }, i.notation ?? i.edxmlId ?? i.documentId),
        i.subject ?? '', i.fromName ?? i.from, formatTime(i.receivedAt), i.businessStatus ?? '—',
      ]))))),
  );
}

interface DocumentHit { id: string; from: string; edxmlId: string | null; notation: string | null; subject: string | null; receivedAt: string }

export async function documentsPage(p: PageContext): Promise<void> {
  const id = p.params.get('id');
  if (id !== null) return documentPage(p, id);
  const filters = { q: p.params.get('q') ?? '', agency: p.params.get('agency') ?? '', from: p.params.get('from') ?? '', to: p.params.get('to') ?? '' };
  const form = h('form', { class: 'filters', role: 'search' },
    h('label', {}, t('search'), h('input', { name: 'q', value: filters.q, placeholder: t('searchHint'), size: '32' })),
    h('label', {}, t('agencyCode'), h('input', { name: 'agency', value: filters.agency, size: '16' })),
    h('label', {}, t('from'), h('input', { name: 'from', type: 'date', value: filters.from })),
    h('label', {}, t('to'), h('input', { name: 'to', type: 'date', value: filters.to })),
    h('button', { type: 'submit' }, t('search')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    location.hash = `#/documents${query({ q: field(form, 'q'), agency: field(form, 'agency'), from: field(form, 'from'), to: field(form, 'to') })}`;
  });
  const found = await api<{ items: DocumentHit[] }>('GET', `/documents${query(filters)}`);
  p.main.replaceChildren(h('h1', {}, t('documents')), form,
    found.items.length === 0 ? h('p', {}, t('noResults')) : table([t('notation'), t('subject'), t('sender'), t('receivedAt')], found.items.map((d) => [
      h('a', { href: `#/documents/${encodeURIComponent(d.id)}`, 'data-document': d.id }, d.notation ?? d.edxmlId ?? d.id), d.subject ?? '', d.from, formatTime(d.receivedAt),
    ])));
}

interface DocumentPageData {
  document: { id: string; fromAgency: string; edxmlId: string | null; subject: string | null; codeNumber: string | null; codeNotation: string | null; receivedAt: string; dueAt: string | null; bytes: number };
  attachments: { name: string | null; bytes: number | null; sha256: string | null; type: string | null }[];
  deliveries: { id: string; recipient: string; recipientName: string | null; addressedTo: string; state: string; businessStatus: string | null; overdue: boolean }[];
  timeline: { at: string; type: string; actor: string | null; recipient: string | null; data: Record<string, unknown> }[];
  evidence: { events: number; ok: boolean; archivedIn: string | null };
}

async function documentPage(p: PageContext, id: string): Promise<void> {
  const d = await api<DocumentPageData>('GET', `/documents/${encodeURIComponent(id)}`);
  const doc = d.document;
  p.main.replaceChildren(
    h('h1', {}, [doc.codeNumber, doc.codeNotation].filter(Boolean).join('/') || doc.id),
    h('dl', { class: 'facts' },
      h('dt', {}, t('subject')), h('dd', {}, doc.subject ?? '—'),
      h('dt', {}, t('sender')), h('dd', {}, doc.fromAgency),
      h('dt', {}, 'DocumentId'), h('dd', {}, doc.edxmlId ?? '—'),
      h('dt', {}, t('receivedAt')), h('dd', {}, formatTime(doc.receivedAt)),
      h('dt', {}, t('evidence')), h('dd', { id: 'evidence', class: d.evidence.ok ? 'ok' : 'bad' }, `${d.evidence.ok ? t('evidenceOk') : t('evidenceBad')} (${d.evidence.events})`)),
    h('h2', {}, t('attachments')),
    d.attachments.length === 0 ? h('p', {}, '—') : table([t('name'), t('size'), 'SHA-256'], d.attachments.map((a) => [a.name ?? '—', a.bytes === null ? '—' : formatNumber(a.bytes), h('code', {}, a.sha256?.slice(0, 16) ?? '—')])),
    h('h2', {}, t('deliveries')),
    table([t('recipient'), t('state'), t('status')], d.deliveries.map((x) => [
      h('a', { href: `#/agencies/${encodeURIComponent(x.recipient)}` }, `${x.recipientName ?? x.recipient} (${x.recipient})`), x.state, `${x.businessStatus ?? '—'}${x.overdue ? ' ⚠' : ''}`,
    ])),
    h('h2', {}, t('timeline')),
    h('ol', { class: 'timeline', id: 'timeline' }, ...d.timeline.map((e) => h('li', { 'data-type': e.type },
      h('time', { datetime: e.at }, formatTime(e.at)), ' ', h('strong', {}, e.type), e.recipient ? ` → ${e.recipient}` : '', e.actor ? ` (${e.actor})` : ''))),
  );
}

interface Agency { code: string; name: string; state: string; successor: string | null; level: number | null }

export async function agenciesPage(p: PageContext): Promise<void> {
  const code = p.params.get('code');
  if (code !== null) return agencyPage(p, code);
  const q = p.params.get('q') ?? '';
  const input = h('input', { name: 'q', value: q, placeholder: `${t('agencyCode')}, ${t('name')}`, size: '32', 'aria-label': t('search') });
  const body = h('tbody', {});
  const more = h('button', { type: 'button', hidden: true }, t('more'));
  let after = '';
  let timer = 0;
  const load = async (reset: boolean): Promise<void> => {
    if (reset) { after = ''; body.replaceChildren(); }
    const r = await api<{ items: Agency[] }>('GET', `/agencies${query({ q: input.value, after, limit: '100' })}`);
    for (const a of r.items) {
      body.append(h('tr', {}, h('td', {}, h('a', { href: `#/agencies/${encodeURIComponent(a.code)}` }, a.code)), h('td', {}, a.name), h('td', {}, a.state + (a.successor ? ` → ${a.successor}` : ''))));
    }
    after = r.items.at(-1)?.code ?? after;
    more.hidden = r.items.length < 100;
  };
  // Each keystroke waits 200 ms for the next: one query per pause, answered from the code index.
  input.addEventListener('input', () => { clearTimeout(timer); timer = window.setTimeout(() => { void load(true); }, 200); });
  more.addEventListener('click', () => { void load(false); });
  p.main.replaceChildren(h('h1', {}, t('agencies')), h('form', { class: 'filters', role: 'search', onsubmit: (e: Event) => { e.preventDefault(); void load(true); } }, input),
    h('table', { id: 'agency-table' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('agencyCode')), h('th', { scope: 'col' }, t('name')), h('th', { scope: 'col' }, t('state')))), body), more,
    ...(p.user.role === 'operator' ? [addAgencyForm(p)] : []));
  await load(true);
}

function addAgencyForm(p: PageContext): HTMLElement {
  const code = h('input', { name: 'code', id: 'add-agency-code', required: true, size: '16', placeholder: p.user.scope ?? '000.00.00.H41', autocomplete: 'off' });
  const name = h('input', { name: 'name', id: 'add-agency-name', required: true, size: '32', autocomplete: 'off' });
  return confirmedAction({
    id: 'add-agency', title: t('addAgency'), fields: [h('label', {}, t('agencyCode'), code), h('label', {}, t('name'), name)],
    warning: () => t('addAgencyWarn', { code: code.value.trim(), name: name.value.trim() }),
    run: () => api<{ agency: Agency }>('POST', '/agencies', { code: code.value.trim(), name: name.value.trim() })
      .then((r) => { location.hash = `#/agencies/${encodeURIComponent(r.agency.code)}`; }),
  });
}

/**
 * A form whose submit opens a confirmation dialog saying what will happen; confirming runs the change and the
 * result is announced (role=status). Ids: #<id>-form, #<id>-dialog, #<id>-warning, #<id>-confirm, #<id>-result.
 */
function confirmedAction(o: { id: string; title: string; fields: HTMLElement[]; warning: () => string; run: () => Promise<unknown> }): HTMLElement {
  const message = h('p', { id: `${o.id}-warning` });
  const result = h('p', { role: 'status', id: `${o.id}-result` });
  const dialog = h('dialog', { id: `${o.id}-dialog`, 'aria-labelledby': `${o.id}-title` },
    h('h2', { id: `${o.id}-title` }, o.title), message,
    h('form', { method: 'dialog' }, h('button', { value: 'cancel' }, t('cancel')), ' ', h('button', { value: 'ok', id: `${o.id}-confirm` }, t('confirm'))));
  dialog.addEventListener('close', () => {
    if (dialog.returnValue !== 'ok') return;
    o.run().then(() => { result.textContent = t('done'); }).catch((e: Error) => { result.textContent = `${t('error')}: ${e.message}`; });
  });
  const form = h('form', { class: 'filters', id: `${o.id}-form` }, ...o.fields, h('button', { type: 'submit' }, o.title));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    message.textContent = o.warning();
    dialog.returnValue = '';
    dialog.showModal();
  });
  return h('section', {}, h('h2', {}, o.title), form, dialog, result);
}

interface HistoryEntry { code: string; kind: string; at: string; effective: string | null; name: string | null; oldName: string | null; successor: string | null; actor: string | null }

interface AgencyPageData {
  agency: Agency; months: { month: string; sent: number; received: number; overdue: number }[]; overdue: OverdueItem[];
  systems: { id: string; name: string; state: string }[]; predecessors: { code: string; name: string; state: string; validTo: string | null }[]; inFlight: number;
  answers: { deliveries: number; accepted: number; finished: number; medianAcceptHours: number | null; medianFinishHours: number | null; truncated: boolean };
  history: HistoryEntry[];
}

function historyText(e: HistoryEntry, code: string): string {
  const day = e.effective === null ? '' : ` (${t('effectiveFrom')} ${formatDay(e.effective)})`;
  if (e.code !== code) return t('historyPredecessor', { code: e.code, name: e.name ?? '', kind: t(e.kind === 'merged' ? 'kindMerged' : 'kindDissolved') }) + day;
  switch (e.kind) {
    case 'added': return t('historyAdded', { name: e.name ?? '' });
    case 'renamed': return t('historyRenamed', { from: e.oldName ?? '', to: e.name ?? '' });
    case 'merged': return t('historyMerged', { successor: e.successor ?? '' }) + day;
    default: return (e.successor === null ? t('historyDissolved') : t('historyDissolvedInto', { successor: e.successor })) + day;
  }
}

/** A day (yyyy-MM-dd, Việt Nam) from an instant. */
function formatDay(iso: string): string {
  return new Date(iso).toLocaleDateString(currentLang() === 'vi' ? 'vi-VN' : 'en-GB', { timeZone: 'Asia/Ho_Chi_Minh' });
}

async function agencyPage(p: PageContext, code: string): Promise<void> {
  const a = await api<AgencyPageData>('GET', `/agencies/${encodeURIComponent(code)}`);
  const hours = (n: number | null): string => (n === null ? t('notComputable') : t('hours', { n: formatNumber(n) }));
  const parts: (HTMLElement | null)[] = [
    h('h1', {}, `${a.agency.name} (${a.agency.code})`),
    h('p', {}, `${t('state')}: ${a.agency.state}${a.agency.successor ? ` → ${a.agency.successor}` : ''}; ${t('inFlight')}: ${formatNumber(a.inFlight)}`),
    h('div', { class: 'figures' },
      figure(t('medianAccept'), hours(a.answers.medianAcceptHours), 'agency-accept'),
      figure(t('medianFinish'), hours(a.answers.medianFinishHours), 'agency-finish')),
    h('p', { class: 'muted' }, t('agencyAnswersNote', { n: formatNumber(a.answers.deliveries), a: formatNumber(a.answers.accepted), f: formatNumber(a.answers.finished) }),
      a.answers.truncated ? ` ${t('truncatedNote')}` : ''),
    a.months.length > 0 ? chart('bar', t('traffic'), a.months.map((m) => m.month), [{ label: t('sent'), data: a.months.map((m) => m.sent) }, { label: t('received'), data: a.months.map((m) => m.received) }]) : null,
    h('h2', {}, t('overdue')),
    a.overdue.length === 0 ? h('p', {}, t('noOverdue')) : table([t('ageDays'), t('notation'), t('subject')], a.overdue.map((i) => [String(i.ageDays),
      h('a', { href: `#/documents/${encodeURIComponent(i.documentId)}` }, i.notation ?? i.documentId), i.subject ?? ''])),
    h('h2', {}, t('systems')),
    a.systems.length === 0 ? h('p', {}, '—') : h('ul', {}, ...a.systems.map((s) => h('li', {}, `${s.name} (${s.id}, ${s.state})`))),
    h('h2', {}, t('predecessors')),
    a.predecessors.length === 0 ? h('p', {}, '—') : h('ul', {}, ...a.predecessors.map((x) => h('li', {}, `${x.name} (${x.code}) — ${x.state} ${formatTime(x.validTo)}`))),
    h('h2', {}, t('history')),
    a.history.length === 0 ? h('p', {}, t('noHistory')) : h('ol', { class: 'timeline', id: 'agency-history' }, ...a.history.map((e) => h('li', { 'data-kind': e.kind },
      h('time', { datetime: e.at }, formatTime(e.at)), ' ', historyText(e, a.agency.code), e.actor ? ` (${e.actor})` : ''))),
  ];
  if (p.user.role === 'operator' && a.agency.state === 'active') parts.push(...registryForms(a));
  p.main.replaceChildren(...parts.filter((x): x is HTMLElement => x !== null));
}

/** An operator's changes to an active agency: rename, merge (successor and date), dissolve; each confirmed first. */
function registryForms(a: AgencyPageData): HTMLElement[] {
  const code = a.agency.code;
  const reload = (): void => { setTimeout(() => { location.reload(); }, 300); };
  const newName = h('input', { name: 'name', id: 'rename-name', required: true, size: '32', value: a.agency.name, autocomplete: 'off' });
  const into = h('input', { name: 'into', id: 'merge-into', required: true, size: '16', autocomplete: 'off' });
  const mergeAt = h('input', { name: 'at', id: 'merge-at', type: 'date' });
  const successor = h('input', { name: 'successor', id: 'dissolve-successor', size: '16', autocomplete: 'off' });
  const dissolveAt = h('input', { name: 'at', id: 'dissolve-at', type: 'date' });
  const at = (input: HTMLInputElement): { at?: string } => (input.value === '' ? {} : { at: input.value });
  return [
    confirmedAction({
      id: 'rename', title: t('rename'), fields: [h('label', {}, t('newName'), newName)],
      warning: () => t('renameWarn', { code, from: a.agency.name, to: newName.value.trim() }),
      run: () => api('POST', `/agencies/${encodeURIComponent(code)}/rename`, { name: newName.value.trim() }).then(reload),
    }),
    confirmedAction({
      id: 'merge', title: t('merge'), fields: [h('label', {}, t('successorCode'), into), h('label', {}, t('effectiveDate'), mergeAt)],
      warning: () => t('mergeWarn', { code, into: into.value.trim(), n: a.inFlight }),
      run: () => api('POST', `/agencies/${encodeURIComponent(code)}/merge`, { into: into.value.trim(), ...at(mergeAt) }).then(reload),
    }),
    confirmedAction({
      id: 'dissolve', title: t('dissolve'), fields: [h('label', {}, t('successorOptional'), successor), h('label', {}, t('effectiveDate'), dissolveAt)],
      warning: () => (successor.value.trim() === '' ? t('dissolveWarn', { code, n: a.inFlight }) : t('mergeWarn', { code, into: successor.value.trim(), n: a.inFlight })),
      run: () => api('POST', `/agencies/${encodeURIComponent(code)}/dissolve`, { ...(successor.value.trim() === '' ? {} : { successor: successor.value.trim() }), ...at(dissolveAt) }).then(reload),
    }),
  ];
}

interface SystemItem {
  id: string; name: string; state: string; vdxpStrict: boolean; agencies: number; sample: { code: string; name: string | null }[];
  lastSeenAt: string | null; protocol: 'native' | 'vdxp' | null; calls24h: number; refusals24h: number; errorRate24h: number | null;
}

export async function systemsPage(p: PageContext): Promise<void> {
  const shown = h('div', { role: 'status', id: 'credentials' });
  const showCredentials = (c: { id: string; token: string; secret: string }): void => {
    shown.replaceChildren(h('p', {}, t('shownOnce'), ' ', h('code', {}, c.id)), h('dl', { class: 'facts' },
      h('dt', {}, 'Token'), h('dd', {}, h('code', { id: 'new-token' }, c.token)), h('dt', {}, 'Secret'), h('dd', {}, h('code', { id: 'new-secret' }, c.secret))));
  };
  const list = h('div', {});
  const percent = (x: number | null): string => (x === null ? '—' : `${(x * 100).toLocaleString(currentLang() === 'vi' ? 'vi-VN' : 'en-GB', { maximumFractionDigits: 1 })} %`);
  const load = async (): Promise<void> => {
    const r = await api<{ items: SystemItem[] }>('GET', '/systems');
    list.replaceChildren(table([t('name'), 'ID', t('state'), t('servedAgencies'), t('protocol'), t('lastSeen'), t('errorRate'), ''], r.items.map((s) => [s.name, h('code', {}, s.id), s.state,
      h('span', {}, `${formatNumber(s.agencies)}: `, ...s.sample.flatMap((a, i) => [i > 0 ? ', ' : '', h('a', { href: `#/agencies/${encodeURIComponent(a.code)}`, title: a.name ?? a.code }, a.code)]),
        s.agencies > s.sample.length ? ', …' : ''),
      h('span', { 'data-protocol': s.id }, s.protocol === null ? '—' : t(s.protocol === 'vdxp' ? 'protocolVdxp' : 'protocolNative')),
      h('span', { 'data-last-seen': s.id }, formatTime(s.lastSeenAt)),
      h('span', { 'data-error-rate': s.id }, `${percent(s.errorRate24h)} (${formatNumber(s.refusals24h)}/${formatNumber(s.calls24h)})`),
      p.user.role === 'operator' ? h('button', { type: 'button', 'data-rotate': s.id, onclick: () => {
        if (!window.confirm(t('rotateConfirm', { id: s.id }))) return;
        void api<{ id: string; token: string; secret: string }>('POST', `/systems/${encodeURIComponent(s.id)}/rotate`).then(showCredentials);
      } }, t('rotate')) : '',
    ]), t('systemsCaption')));
  };
  const parts: HTMLElement[] = [h('h1', {}, t('systemsPage')), shown, list];
  if (p.user.role === 'operator') {
    const result = h('p', { role: 'status', id: 'add-system-result' });
    const form = h('form', { class: 'filters', id: 'add-system-form' },
      h('label', {}, t('systemId'), h('input', { name: 'id', required: true, size: '20', autocomplete: 'off' })),
      h('label', {}, t('name'), h('input', { name: 'name', size: '24', autocomplete: 'off' })),
      h('label', {}, t('agencyCodes'), h('input', { name: 'agencies', required: true, size: '32', placeholder: p.user.scope ?? '000.00.00.H41', autocomplete: 'off' })),
      h('button', { type: 'submit' }, t('addSystem')));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const id = field(form, 'id').trim();
      const agencies = field(form, 'agencies').split(/[\s,;]+/).filter((x) => x !== '');
      if (!window.confirm(t('addSystemConfirm', { id, n: agencies.length }))) return;
      api<{ id: string; token: string; secret: string }>('POST', '/systems', { id, name: field(form, 'name').trim(), agencies })
        .then(async (c) => { showCredentials(c); result.textContent = t('done'); form.reset(); await load(); })
        .catch((err: Error) => { result.textContent = `${t('error')}: ${err.message}`; });
    });
    parts.push(h('section', {}, h('h2', {}, t('addSystem')), form, result));
  }
  p.main.replaceChildren(...parts);
  await load();
}

interface Health {
  engine: string; states: Record<string, number>; inFlight: number; overdueNow: number; registryVersion: number; agencies: number;
  storage: { databaseBytes: number; packetBytes: number }; disk: { freeBytes: number; totalBytes: number } | null;
  recentErrors: { at: string; code: string; status: number; systemId: string | null; method: string; route: string }[]; recentErrorsMax: number;
}

function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let x = n;
  while (x >= 1024 && i < units.length - 1) { x /= 1024; i += 1; }
  return `${x.toLocaleString(currentLang() === 'vi' ? 'vi-VN' : 'en-GB', { maximumFractionDigits: i === 0 ? 0 : 1 })} ${units[i]}`;
}

export async function healthPage(p: PageContext): Promise<void> {
  const render = async (): Promise<void> => {
    const r = await api<Health>('GET', '/health');
    p.main.replaceChildren(h('h1', {}, t('healthPage')),
      h('div', { class: 'figures' },
        figure(t('inFlight'), formatNumber(r.inFlight), 'in-flight'),
        figure(t('overdueNow'), formatNumber(r.overdueNow), 'overdue'),
        figure(t('deadLetters'), formatNumber(r.states['dead'] ?? 0), 'dead'),
        figure(t('agencies'), formatNumber(r.agencies), 'agencies'),
        figure(t('databaseSize'), bytes(r.storage.databaseBytes), 'database-size'),
        figure(t('packetBytes'), bytes(r.storage.packetBytes), 'packet-bytes'),
        r.disk === null ? null : figure(t('diskFree'), `${bytes(r.disk.freeBytes)} / ${bytes(r.disk.totalBytes)}`, 'disk-free')),
      table([t('state'), t('documentsCount')], Object.entries(r.states).map(([k, v]) => [k, formatNumber(v)]), `${t('queues')} (${r.engine})`),
      h('section', { id: 'recent-errors' }, h('h2', {}, t('recentErrors')),
        h('p', { class: 'muted' }, t('recentErrorsNote', { n: r.recentErrorsMax })),
        r.recentErrors.length === 0 ? h('p', {}, t('none')) : table([t('time'), t('errorCode'), 'HTTP', t('systemsPage'), t('call')], r.recentErrors.map((e) => [
          formatTime(e.at), h('code', {}, e.code), String(e.status), e.systemId ?? '—', `${e.method} ${e.route}`]))),
      h('p', { class: 'muted' }, `${t('updatedAt')} ${formatTime(new Date().toISOString())}`));
  };
  await render();
  p.every(15_000, render);
}

interface CalendarData {
  year: number;
  holidays: { day: string; name: string }[];
  entries: { day: string; kind: 'off' | 'working'; note: string | null; updatedAt: number }[];
}

/** Lịch làm việc / Calendar: the year's statutory holidays and the operators' days off and make-up working days. */
export async function calendarPage(p: PageContext, message = ''): Promise<void> {
  const asked = p.params.get('year') ?? '';
  const c = await api<CalendarData>('GET', `/calendar${query({ year: asked })}`);
  // The calendar is the country's: a nationwide operator changes it (the API says so to anyone else).
  const canChange = p.user.role === 'operator' && p.user.scope === null;
  const result = h('p', { role: 'status', id: 'calendar-result' }, message);
  // Shown again with the new entries, the outcome announced in the new page's status line.
  const report = (r: { rescheduled: number }): Promise<void> => calendarPage(p, t('calendarChanged', { n: formatNumber(r.rescheduled) }));
  const yearForm = h('form', { class: 'filters', role: 'search' },
    h('label', {}, t('year'), h('input', { name: 'year', type: 'number', min: '1900', max: '2199', value: String(c.year) })),
    h('button', { type: 'submit' }, t('show')));
  yearForm.addEventListener('submit', (e) => {
    e.preventDefault();
    location.hash = `#/calendar${query({ year: field(yearForm, 'year') })}`;
  });
  const kindText = (k: 'off' | 'working'): string => t(k === 'off' ? 'dayOff' : 'makeUpDay');
  const parts: HTMLElement[] = [
    h('h1', {}, t('calendarPage'), ` ${c.year}`), yearForm, result,
    h('section', {}, h('h2', {}, t('statutoryHolidays')), h('p', { class: 'muted' }, t('statutoryNote')),
      table([t('day'), t('name')], c.holidays.map((x) => [h('time', { datetime: x.day }, x.day), x.name]))),
    h('section', { id: 'calendar-entries' }, h('h2', {}, t('calendarEntries')),
      c.entries.length === 0 ? h('p', {}, t('none')) : table([t('day'), t('kind'), t('note'), ''], c.entries.map((x) => [
        h('time', { datetime: x.day }, x.day), h('span', { 'data-kind': x.kind }, kindText(x.kind)), x.note ?? '',
        canChange ? h('button', { type: 'button', 'data-remove-day': x.day, onclick: () => {
          if (!window.confirm(t('removeDayConfirm', { day: x.day }))) return;
          api<{ rescheduled: number }>('POST', '/calendar', { day: x.day, kind: 'remove' })
            .then(report)
            .catch((e: Error) => { result.textContent = `${t('error')}: ${e.message}`; });
        } }, t('remove')) : '',
      ]))),
  ];
  if (canChange) {
    const day = h('input', { name: 'day', id: 'calendar-day', type: 'date', required: true, min: `${c.year}-01-01`, max: `${c.year}-12-31` });
    const kind = h('select', { name: 'kind', id: 'calendar-kind' }, h('option', { value: 'off' }, t('dayOff')), h('option', { value: 'working' }, t('makeUpDay')));
    const note = h('input', { name: 'note', id: 'calendar-note', size: '32', maxlength: '200', autocomplete: 'off' });
    parts.push(confirmedAction({
      id: 'calendar-add', title: t('addDay'),
      fields: [h('label', {}, t('day'), day), h('label', {}, t('kind'), kind), h('label', {}, t('note'), note)],
      warning: () => t('addDayWarn', { day: day.value, kind: kindText(kind.value === 'working' ? 'working' : 'off') }),
      run: () => api<{ rescheduled: number }>('POST', '/calendar', { day: day.value, kind: kind.value, note: note.value.trim() })
        .then(report),
    }));
  }
  p.main.replaceChildren(...parts);
}

interface Report {
  scope: string | null; month: string; fromDay: string; toDay: string; generatedAt: string; overdueAt: string;
  totals: { sent: number; received: number };
  byGroup: Record<string, { sent: number; received: number }>;
  days: { day: string; sent: number; received: number }[];
  topSenders: { agency: string; name: string | null; value: number }[];
  topRecipients: { agency: string; name: string | null; value: number }[];
  overdueByAgency: { agency: string; name: string | null; count: number; oldestDays: number }[];
  overdueTotal: number;
  answers: { deliveries: number; accepted: number; finished: number; medianAcceptHours: number | null; medianFinishHours: number | null; truncated: boolean };
}

/** Báo cáo / Reports: the month's report for a scope, laid out to print (the nav and the form hide on paper). */
export async function reportsPage(p: PageContext): Promise<void> {
  const filters = { month: p.params.get('month') ?? '', scope: p.params.get('scope') ?? '' };
  const r = await api<Report>('GET', `/report${query(filters)}`);
  const form = h('form', { class: 'filters', role: 'search' },
    h('label', {}, t('month'), h('input', { name: 'month', type: 'month', value: r.month })),
    h('label', {}, t('scope'), h('input', { name: 'scope', value: filters.scope, placeholder: p.user.scope ?? '000.00.00.H41', size: '16' })),
    h('button', { type: 'submit' }, t('show')),
    h('button', { type: 'button', id: 'print-report', onclick: () => { window.print(); } }, t('print')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    location.hash = `#/reports${query({ month: field(form, 'month'), scope: field(form, 'scope') })}`;
  });
  const hours = (n: number | null): string => (n === null ? t('notComputable') : t('hours', { n: formatNumber(n) }));
  const agencyRows = (xs: { agency: string; name: string | null; value: number }[]): (string | HTMLElement)[][] =>
    xs.map((x) => [h('a', { href: `#/agencies/${encodeURIComponent(x.agency)}` }, x.agency), x.name ?? '', formatNumber(x.value)]);
  const groups = ['central', 'province', 'commune', 'other'];
  p.main.replaceChildren(h('article', { class: 'report', id: 'report', 'data-month': r.month },
    h('h1', {}, t('reportTitle', { month: currentLang() === 'vi' ? `${r.month.slice(5)}/${r.month.slice(0, 4)}` : r.month })),
    h('p', { class: 'muted' }, t('reportScope', { scope: r.scope ?? t('everything'), from: r.fromDay, to: r.toDay, at: formatTime(r.generatedAt) })),
    form,
    h('div', { class: 'figures' },
      figure(t('sentMonth'), formatNumber(r.totals.sent), 'report-sent'),
      figure(t('receivedMonth'), formatNumber(r.totals.received), 'report-received'),
      figure(t('overdueMonthEnd'), formatNumber(r.overdueTotal), 'report-overdue'),
      figure(t('medianAccept'), hours(r.answers.medianAcceptHours), 'report-accept'),
      figure(t('medianFinish'), hours(r.answers.medianFinishHours), 'report-finish')),
    h('p', { class: 'muted', id: 'answers-note' }, t('answersNote', { n: formatNumber(r.answers.deliveries), a: formatNumber(r.answers.accepted), f: formatNumber(r.answers.finished) }),
      r.answers.truncated ? ` ${t('truncatedNote')}` : ''),
    h('div', { class: 'charts' },
      chart('bar', t('perDayMonth'), r.days.map((d) => d.day.slice(8)), [{ label: t('sent'), data: r.days.map((d) => d.sent) }, { label: t('received'), data: r.days.map((d) => d.received) }])),
    h('section', { class: 'report-section' }, h('h2', {}, t('byGroup')),
      table([t('level'), t('sent'), t('received')], [
        ...groups.map((g) => [t(`group_${g}` as WordKey), formatNumber(r.byGroup[g]?.sent ?? 0), formatNumber(r.byGroup[g]?.received ?? 0)]),
        [h('strong', {}, t('total')), h('strong', {}, formatNumber(r.totals.sent)), h('strong', {}, formatNumber(r.totals.received))]])),
    h('section', { class: 'report-section', 'data-table': 'top-senders' }, h('h2', {}, t('topSenders')),
      r.topSenders.length === 0 ? h('p', {}, t('none')) : table([t('agencyCode'), t('name'), t('sent')], agencyRows(r.topSenders))),
    h('section', { class: 'report-section', 'data-table': 'top-recipients' }, h('h2', {}, t('topRecipients')),
      r.topRecipients.length === 0 ? h('p', {}, t('none')) : table([t('agencyCode'), t('name'), t('received')], agencyRows(r.topRecipients))),
    h('section', { class: 'report-section', 'data-table': 'overdue-by-agency' }, h('h2', {}, t('overdueByAgency'), ` (${formatTime(r.overdueAt)})`),
      r.overdueByAgency.length === 0 ? h('p', {}, t('none')) : table([t('agencyCode'), t('name'), t('count'), t('oldestDays')],
        r.overdueByAgency.map((x) => [h('a', { href: `#/agencies/${encodeURIComponent(x.agency)}` }, x.agency), x.name ?? '', formatNumber(x.count), formatNumber(x.oldestDays)]))),
  ));
}
