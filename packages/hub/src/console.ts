// What the console shows, computed live from the store for one account's scope: the overview's figures, the
// overdue list (and its CSV/.xlsx rows), a document's timeline across its recipients, the registry and one
// agency's page. Scope is enforced here, below the HTTP routes: every read takes the caller's account.

import { VN_UTC_OFFSET_MS } from '@vdxp/edxml';
import { flushActivity } from './activity.ts';
import { vnDay } from './clock.ts';
import type { HubContext } from './context.ts';
import { HubError } from './errors.ts';
import { inScope, scopePattern } from './scope.ts';
import { eventHash } from './store/event-hash.ts';
import type { Agency, AgencyPattern, CallProtocol, DocumentRow, EventRow, OverdueRow } from './store/store.ts';
import type { UserView } from './users.ts';

const DAY_MS = 24 * 3600 * 1000;

/** The scope a request reads: the one asked for, which must lie inside the account's own, or the account's. */
export function effectiveScope(user: UserView, asked: string | undefined): string | null {
  if (asked === undefined || asked === '') return user.scope;
  if (!inScope(user.scope, asked)) {
    throw new HubError('VDXP_E_CONSOLE_SCOPE', `Phạm vi ${asked} nằm ngoài phạm vi của tài khoản (${user.scope ?? 'toàn quốc'}) / scope ${asked} is outside the account's scope`);
  }
  return asked;
}

/** yyyy-MM-dd (a day in Việt Nam) → its first millisecond; undefined when absent, VDXP_E_BAD_REQUEST when malformed. */
export function vnDayStart(day: string | undefined, name: string): number | undefined {
  if (day === undefined || day === '') return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  const t = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  if (!m || Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== day) throw new HubError('VDXP_E_BAD_REQUEST', `${name} must be a date yyyy-MM-dd`);
  return t - VN_UTC_OFFSET_MS;
}

/** The body kinds the overview counts by: read from the code's level-1 letter and the agency's level. */
export const BODY_GROUPS = ['central', 'province', 'commune', 'other'] as const;
export type BodyGroup = (typeof BODY_GROUPS)[number];

function bodyGroup(letter: string, level: number | null): BodyGroup {
  if (letter === 'G') return 'central';
  if (letter === 'H') return level !== null && level >= 3 ? 'commune' : 'province';
  return 'other';
}

export interface Overview {
  scope: string | null;
  today: string;
  year: number;
  days: { day: string; sent: number; received: number }[];
  months: { month: string; sent: number; received: number }[];
  byGroup: Record<BodyGroup, { sent: number; received: number }>;
  yearTotals: { sent: number; received: number; overdue: number };
  connected: { agencies: number; connected: number };
  /** Connected systems serving an agency in scope, and how many of them called the hub in the last 24 hours. */
  connectionPoints: { systems: number; active24h: number };
  inFlight: number;
  overdueNow: number;
}

export async function overview(ctx: HubContext, user: UserView, askedScope?: string): Promise<Overview> {
  const scope = effectiveScope(user, askedScope);
  const within = scopePattern(scope);
  const now = ctx.clock.now();
  const today = vnDay(now);
  const year = Number(today.slice(0, 4));
  // Summed in the store per day and per level (a few hundred sums), not a row per day, level, body and metric.
  const totals = await ctx.store.counterTotals({ fromDay: `${year}-01-01`, toDay: today, within, metrics: ['sent', 'received', 'overdue'] });
  const days = new Map<string, { sent: number; received: number }>();
  const months = new Map<string, { sent: number; received: number }>();
  const byGroup = Object.fromEntries(BODY_GROUPS.map((g) => [g, { sent: 0, received: 0 }])) as Overview['byGroup'];
  const yearTotals = { sent: 0, received: 0, overdue: 0 };
  for (const s of totals.days) {
    if (s.metric !== 'sent' && s.metric !== 'received') continue;
    const d = days.get(s.day) ?? { sent: 0, received: 0 };
    d[s.metric] += s.value;
    days.set(s.day, d);
    const m = months.get(s.day.slice(0, 7)) ?? { sent: 0, received: 0 };
    m[s.metric] += s.value;
    months.set(s.day.slice(0, 7), m);
  }
  for (const s of totals.groups) {
    if (s.metric === 'overdue') yearTotals.overdue += s.value;
    if (s.metric !== 'sent' && s.metric !== 'received') continue;
    byGroup[bodyGroup(s.letter, s.level)][s.metric] += s.value;
    yearTotals[s.metric] += s.value;
  }
  const { inFlight, overdue } = await ctx.store.pendingCounts(within, now);
  return {
    scope, today, year,
    days: [...days].map(([day, v]) => ({ day, ...v })),
    months: [...months].map(([month, v]) => ({ month, ...v })),
    byGroup, yearTotals,
    connected: await ctx.store.connectedCounts(within),
    connectionPoints: await connectionPoints(ctx, within, now),
    inFlight, overdueNow: overdue,
  };
}

async function connectionPoints(ctx: HubContext, within: AgencyPattern, now: number): Promise<Overview['connectionPoints']> {
  const c = await ctx.store.activeSystemCounts(within, now - DAY_MS);
  return { systems: c.systems, active24h: c.active };
}

export interface SystemItem {
  id: string;
  name: string;
  state: string;
  vdxpStrict: boolean;
  /** How many agencies it acts for, and the first few (codes and names). */
  agencies: number;
  sample: { code: string; name: string | null }[];
  createdAt: string;
  lastSeenAt: string | null;
  /** The protocol of its latest call: native (bearer token) or vdxp (the VDXP-compatible API). */
  protocol: CallProtocol | null;
  /** Its authenticated calls over the last 24 hours (whole hours), how many were refused, and their ratio. */
  calls24h: number;
  refusals24h: number;
  errorRate24h: number | null;
}

const SYSTEM_SAMPLE_AGENCIES = 5;

/** The connected systems a account sees (nationwide: all; scoped: those acting for an agency in its scope) with their activity. */
export async function systemsPage(ctx: HubContext, user: UserView): Promise<{ items: SystemItem[] }> {
  await flushActivity(ctx);
  const now = ctx.clock.now();
  const activity = new Map((await ctx.store.systemActivity(now - DAY_MS)).map((a) => [a.systemId, a]));
  const items: SystemItem[] = [];
  for (const s of await ctx.store.listSystems()) {
    const agencies = await ctx.store.systemAgencies(s.id);
    if (user.scope !== null && !agencies.some((a) => inScope(user.scope, a))) continue;
    const a = activity.get(s.id);
    const calls = a?.calls ?? 0;
    const refusals = a?.refusals ?? 0;
    const sample = agencies.slice(0, SYSTEM_SAMPLE_AGENCIES);
    const names = await agencyNames(ctx, sample);
    items.push({
      id: s.id, name: s.name, state: s.state, vdxpStrict: s.vdxpStrict, agencies: agencies.length,
      sample: sample.map((code) => ({ code, name: names.get(code) ?? null })), createdAt: new Date(s.createdAt).toISOString(),
      lastSeenAt: a?.lastAt == null ? null : new Date(a.lastAt).toISOString(), protocol: a?.protocol ?? null,
      calls24h: calls, refusals24h: refusals, errorRate24h: calls === 0 ? null : refusals / calls,
    });
  }
  return { items };
}

export interface OverdueItem {
  deliveryId: string;
  documentId: string;
  recipient: string;
  recipientName: string | null;
  from: string;
  fromName: string | null;
  edxmlId: string | null;
  notation: string | null;
  subject: string | null;
  receivedAt: string;
  answerDueAt: string | null;
  dueAt: string | null;
  businessStatus: string | null;
  /** Whole days since the document reached the hub. */
  ageDays: number;
}

export interface OverdueQuery { scope?: string; from?: string; to?: string; limit: number }

export async function overdueList(ctx: HubContext, user: UserView, q: OverdueQuery): Promise<{ scope: string | null; now: string; items: OverdueItem[] }> {
  const scope = effectiveScope(user, q.scope);
  const now = ctx.clock.now();
  const fromAt = vnDayStart(q.from, 'from');
  const toDay = vnDayStart(q.to, 'to');
  const rows = await ctx.store.overdueDeliveries({
    within: scopePattern(scope), now, limit: q.limit,
    ...(fromAt !== undefined ? { fromAt } : {}), ...(toDay !== undefined ? { toAt: toDay + DAY_MS } : {}),
  });
  const names = await agencyNames(ctx, rows.flatMap((r) => [r.delivery.recipient, r.document.fromAgency]));
  return { scope, now: new Date(now).toISOString(), items: rows.map((r) => overdueItem(r, names, now)) };
}

function overdueItem(r: OverdueRow, names: Map<string, string | null>, now: number): OverdueItem {
  const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());
  return {
    deliveryId: r.delivery.id, documentId: r.document.id, recipient: r.delivery.recipient, recipientName: names.get(r.delivery.recipient) ?? null,
    from: r.document.fromAgency, fromName: names.get(r.document.fromAgency) ?? null, edxmlId: r.document.edxmlId,
    notation: [r.document.codeNumber, r.document.codeNotation].filter((x) => x !== null && x !== '').join('/') || null,
    subject: r.document.subject, receivedAt: new Date(r.document.receivedAt).toISOString(), answerDueAt: iso(r.delivery.answerDueAt),
    dueAt: iso(r.document.dueAt), businessStatus: r.delivery.businessStatus, ageDays: Math.floor((now - r.document.receivedAt) / DAY_MS),
  };
}

async function agencyNames(ctx: HubContext, codes: string[]): Promise<Map<string, string | null>> {
  const named = new Map((await ctx.store.getAgencies(codes)).map((a) => [a.code, a.name]));
  return new Map([...new Set(codes)].map((c) => [c, named.get(c) ?? null]));
}

/** The overdue list as table rows, the header first (Vietnamese / English), for CSV and .xlsx. */
export function overdueTable(items: OverdueItem[]): (string | number | null)[][] {
  return [
    ['Cơ quan nhận / Recipient', 'Tên cơ quan nhận / Recipient name', 'Số ngày / Age (days)', 'Số ký hiệu / Notation', 'Trích yếu / Subject',
      'Cơ quan gửi / Sender', 'Nhận lúc / Received', 'Hạn tiếp nhận / Answer due', 'Hạn xử lý / Due date', 'Trạng thái / Status', 'Mã văn bản / DocumentId', 'Mã trên trục / Hub id'],
    ...items.map((i) => [i.recipient, i.recipientName, i.ageDays, i.notation, i.subject, i.from, i.receivedAt, i.answerDueAt, i.dueAt, i.businessStatus, i.edxmlId, i.documentId]),
  ];
}

/** RFC 4180 CSV with a UTF-8 byte order mark (spreadsheets then read Vietnamese correctly); formula-looking cells are quoted with a leading '. */
export function csvText(rows: (string | number | null)[][]): string {
  const cell = (v: string | number | null): string => {
    if (v === null) return '';
    let s = String(v);
    if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return '\uFEFF' + rows.map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

export interface TimelineEntry {
  at: string;
  type: string;
  actor: string | null;
  deliveryId: string | null;
  recipient: string | null;
  data: Record<string, unknown>;
}

export interface DocumentPage {
  document: Omit<DocumentRow, 'header' | 'signature' | 'receivedAt' | 'dueAt'> & { receivedAt: string; dueAt: string | null; signature: unknown };
  attachments: { name: string | null; bytes: number | null; sha256: string | null; type: string | null }[];
  deliveries: { id: string; recipient: string; recipientName: string | null; addressedTo: string; state: string; businessStatus: string | null; overdue: boolean }[];
  timeline: TimelineEntry[];
  links: { documentId: string; relatedId: string; relation: string }[];
  /** The evidence chain's verdict for this document's own events: each one's hash recomputes and links to its predecessor. */
  evidence: { events: number; ok: boolean; archivedIn: string | null };
}

export async function documentPage(ctx: HubContext, user: UserView, id: string): Promise<DocumentPage> {
  const doc = await ctx.store.getDocument(id);
  if (!doc) throw new HubError('VDXP_E_DOCUMENT_NOT_FOUND', `Không có văn bản ${id} / no document ${id}`);
  if (!(await ctx.store.documentWithin(id, scopePattern(user.scope)))) {
    throw new HubError('VDXP_E_CONSOLE_SCOPE', `Văn bản ${id} nằm ngoài phạm vi của tài khoản / document ${id} is outside the account's scope`);
  }
  const deliveries = await ctx.store.deliveriesOfDocument(id);
  const names = await agencyNames(ctx, deliveries.map((d) => d.recipient));
  const recipientOf = new Map(deliveries.map((d) => [d.id, d.recipient]));
  const events = await ctx.store.documentEvents(id, ctx.limits.consoleTimelineEventsMax);
  const timeline: TimelineEntry[] = events.map((e) => ({
    at: new Date(e.at).toISOString(), type: e.type, actor: e.actor, deliveryId: e.deliveryId,
    recipient: e.deliveryId === null ? null : recipientOf.get(e.deliveryId) ?? null, data: e.data,
  }));
  // Statuses the recipient's packets carried are events of the status document; the delivery's own history has them.
  for (const d of deliveries) {
    for (const s of await ctx.store.statusHistory(d.id)) {
      timeline.push({ at: new Date(s.at).toISOString(), type: `status:${s.statusCode}`, actor: d.recipient, deliveryId: d.id, recipient: d.recipient,
        data: { statusCode: s.statusCode, description: s.description, statusDocument: s.documentId } });
    }
  }
  timeline.sort((a, b) => a.at.localeCompare(b.at));
  const { header: _h, receivedAt, dueAt, ...rest } = doc;
  return {
    document: { ...rest, receivedAt: new Date(receivedAt).toISOString(), dueAt: dueAt === null ? null : new Date(dueAt).toISOString() },
    attachments: attachmentsOf(doc.header),
    deliveries: deliveries.map((d) => ({ id: d.id, recipient: d.recipient, recipientName: names.get(d.recipient) ?? null, addressedTo: d.addressedTo, state: d.state, businessStatus: d.businessStatus, overdue: d.overdue })),
    timeline,
    links: await ctx.store.documentLinks(id),
    evidence: { events: events.length, ok: await chainHolds(ctx, events), archivedIn: doc.archivedIn ?? null },
  };
}

function attachmentsOf(header: unknown): DocumentPage['attachments'] {
  const list = (header as { attachments?: unknown } | null)?.attachments;
  if (!Array.isArray(list)) return [];
  return list.map((a: Record<string, unknown>) => ({
    name: typeof a['name'] === 'string' ? a['name'] : null, bytes: typeof a['bytes'] === 'number' ? a['bytes'] : null,
    sha256: typeof a['sha256'] === 'string' ? a['sha256'] : null, type: typeof a['sniffedType'] === 'string' ? a['sniffedType'] : (typeof a['contentType'] === 'string' ? a['contentType'] : null),
  }));
}

/**
 * Each of the document's events hashes to its stored hash, and its predecessor in the chain (when still live:
 * an archived one is checked by `vdxp audit verify --archive`) has the hash it names as previous.
 */
async function chainHolds(ctx: HubContext, events: EventRow[]): Promise<boolean> {
  for (const e of events) {
    if (eventHash(e.prevHash, e) !== e.hash) return false;
    const [prev] = await ctx.store.events(e.seq - 2, 1);
    if (prev !== undefined && prev.seq === e.seq - 1 && prev.hash !== e.prevHash) return false;
  }
  return true;
}

export interface DocumentSearch { q?: string; agency?: string; from?: string; to?: string; before?: number; limit: number }

export async function searchDocuments(ctx: HubContext, user: UserView, s: DocumentSearch): Promise<{ items: { id: string; seq: number; from: string; edxmlId: string | null; notation: string | null; subject: string | null; receivedAt: string }[] }> {
  const fromAt = vnDayStart(s.from, 'from');
  const toDay = vnDayStart(s.to, 'to');
  if (s.agency !== undefined && s.agency !== '' && !inScope(user.scope, s.agency)) {
    throw new HubError('VDXP_E_CONSOLE_SCOPE', `Cơ quan ${s.agency} nằm ngoài phạm vi / agency ${s.agency} is outside the account's scope`);
  }
  const rows = await ctx.store.searchDocuments({
    within: scopePattern(user.scope), limit: s.limit,
    ...(s.q !== undefined && s.q !== '' ? { text: s.q } : {}), ...(s.agency !== undefined && s.agency !== '' ? { agency: s.agency } : {}),
    ...(fromAt !== undefined ? { fromAt } : {}), ...(toDay !== undefined ? { toAt: toDay + DAY_MS } : {}), ...(s.before !== undefined ? { beforeSeq: s.before } : {}),
  });
  return { items: rows.map((d) => ({
    id: d.id, seq: d.seq, from: d.fromAgency, edxmlId: d.edxmlId,
    notation: [d.codeNumber, d.codeNotation].filter((x) => x !== null && x !== '').join('/') || null, subject: d.subject, receivedAt: new Date(d.receivedAt).toISOString(),
  })) };
}

export async function searchAgencies(ctx: HubContext, user: UserView, q: { q?: string; after?: string; scope?: string; limit: number }): Promise<{ items: Agency[] }> {
  const within: AgencyPattern = scopePattern(effectiveScope(user, q.scope));
  return { items: await ctx.store.searchAgencies({ within, limit: q.limit, ...(q.q ? { text: q.q } : {}), ...(q.after ? { afterCode: q.after } : {}) }) };
}

export interface AgencyPage {
  agency: Agency;
  months: { month: string; sent: number; received: number; overdue: number }[];
  overdue: OverdueItem[];
  systems: { id: string; name: string; state: string }[];
  /** Agencies merged into it or dissolved with it as successor: its history of mergers. */
  predecessors: { code: string; name: string; state: string; validTo: string | null }[];
  /** Deliveries still pending to it: a merger or dissolution leaves them with it (they are not rerouted). */
  inFlight: number;
  /** Median hours from arrival to its first 01/03 and first 06, over its deliveries received in the last 365 days (the newest consoleAnswerSampleDeliveriesMax; monthlyReport's read). */
  answers: { deliveries: number; accepted: number; finished: number; medianAcceptHours: number | null; medianFinishHours: number | null; truncated: boolean };
  /** Its changes (added, renamed, merged, dissolved) and those of agencies that named it successor, oldest first. */
  history: { code: string; kind: string; at: string; effective: string | null; name: string | null; oldName: string | null; successor: string | null; actor: string | null }[];
}

export async function agencyPage(ctx: HubContext, user: UserView, code: string): Promise<AgencyPage> {
  if (!inScope(user.scope, code)) throw new HubError('VDXP_E_CONSOLE_SCOPE', `Cơ quan ${code} nằm ngoài phạm vi / agency ${code} is outside the account's scope`);
  const agency = await ctx.store.getAgency(code);
  if (!agency) throw new HubError('VDXP_E_AGENCY_UNKNOWN', `Không có cơ quan ${code} / no agency ${code}`);
  const now = ctx.clock.now();
  const today = vnDay(now);
  const fromDay = `${Number(today.slice(0, 4)) - 1}${today.slice(4, 8)}01`;
  const months = new Map<string, { sent: number; received: number; overdue: number }>();
  for (const c of await ctx.store.counters({ fromDay, toDay: today, agencies: [code] })) {
    if (c.metric !== 'sent' && c.metric !== 'received' && c.metric !== 'overdue') continue;
    const m = months.get(c.day.slice(0, 7)) ?? { sent: 0, received: 0, overdue: 0 };
    m[c.metric] += c.value;
    months.set(c.day.slice(0, 7), m);
  }
  // The code as a pattern: a free-form code's own '_' would match any one character, a harmless widening.
  const overdueRows = await ctx.store.overdueDeliveries({ within: code, now, limit: ctx.limits.consolePageRowsMax });
  const names = await agencyNames(ctx, overdueRows.flatMap((r) => [r.delivery.recipient, r.document.fromAgency]));
  const systems = [];
  for (const s of await ctx.store.listSystems()) {
    if (await ctx.store.systemActsFor(s.id, code)) systems.push({ id: s.id, name: s.name, state: s.state });
  }
  const { inFlight } = await ctx.store.pendingCounts(code, now);
  // Its newest deliveries only: a ministry receives tens of thousands a year, and the page answers as fast as any.
  const sample = ctx.limits.consoleAnswerSampleDeliveriesMax;
  const answerRows = await ctx.store.answerTimes({ within: code, fromAt: now - 365 * DAY_MS, toAt: now + 1, limit: sample });
  const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());
  return {
    answers: { deliveries: answerRows.length, ...answerMedians(answerRows), truncated: answerRows.length >= sample },
    history: (await ctx.store.agencyHistory(code, ctx.limits.consolePageRowsMax)).map((e) => ({
      code: e.code, kind: e.kind, at: new Date(e.at).toISOString(), effective: iso(e.effective), name: e.name, oldName: e.oldName, successor: e.successor, actor: e.actor,
    })),
    agency, months: [...months].map(([month, v]) => ({ month, ...v })),
    overdue: overdueRows.map((r) => overdueItem(r, names, now)), systems,
    predecessors: (await ctx.store.agencyPredecessors(code)).map((a) => ({ code: a.code, name: a.name, state: a.state, validTo: a.validTo === null ? null : new Date(a.validTo).toISOString() })),
    inFlight,
  };
}

export interface MonthlyReport {
  scope: string | null;
  month: string;
  /** The month's first and last day (Việt Nam), the last cut at today for the running month. */
  fromDay: string;
  toDay: string;
  /** When the figures were computed, and the instant the overdue list is judged at (the month's end, or now). */
  generatedAt: string;
  overdueAt: string;
  totals: { sent: number; received: number };
  byGroup: Record<BodyGroup, { sent: number; received: number }>;
  days: { day: string; sent: number; received: number }[];
  topSenders: { agency: string; name: string | null; value: number }[];
  topRecipients: { agency: string; name: string | null; value: number }[];
  overdueByAgency: { agency: string; name: string | null; count: number; oldestDays: number }[];
  overdueTotal: number;
  /** Median hours from the document's arrival to its recipient's first 01/03 and first 06, over `deliveries` looked at. */
  answers: { deliveries: number; accepted: number; finished: number; medianAcceptHours: number | null; medianFinishHours: number | null; truncated: boolean };
}

/** Median hours from a delivery's arrival to its first acceptance (01/03) and first finish (06), one decimal. */
function answerMedians(rows: { receivedAt: number; acceptedAt: number | null; finishedAt: number | null }[]): { accepted: number; finished: number; medianAcceptHours: number | null; medianFinishHours: number | null } {
  const hours = (ms: number | null): number | null => (ms === null ? null : Math.round(ms / 360_000) / 10);
  const accepts = rows.filter((r) => r.acceptedAt !== null).map((r) => r.acceptedAt! - r.receivedAt);
  const finishes = rows.filter((r) => r.finishedAt !== null).map((r) => r.finishedAt! - r.receivedAt);
  return { accepted: accepts.length, finished: finishes.length, medianAcceptHours: hours(median(accepts)), medianFinishHours: hours(median(finishes)) };
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * The monthly report a ministry or province sends upward, for one scope: documents sent and received in the
 * month by level, by day and by agency (top N), overdue at the month's end by recipient (judged with the answers
 * known now: a late answer given after the month still takes a row off), and the median time to acceptance and
 * to finish from the recipients' status history.
 */
export async function monthlyReport(ctx: HubContext, user: UserView, month: string | undefined, askedScope?: string): Promise<MonthlyReport> {
  const scope = effectiveScope(user, askedScope);
  const within = scopePattern(scope);
  const now = ctx.clock.now();
  const today = vnDay(now);
  const m = month === undefined || month === '' ? today.slice(0, 7) : month;
  const mm = /^(\d{4})-(\d{2})$/.exec(m);
  if (!mm || Number(mm[2]) < 1 || Number(mm[2]) > 12) throw new HubError('VDXP_E_BAD_REQUEST', 'month must be yyyy-MM');
  const startAt = Date.UTC(Number(mm[1]), Number(mm[2]) - 1, 1) - VN_UTC_OFFSET_MS;
  const endAt = Date.UTC(Number(mm[1]), Number(mm[2]), 1) - VN_UTC_OFFSET_MS;
  if (startAt > now) throw new HubError('VDXP_E_BAD_REQUEST', `Tháng ${m} chưa bắt đầu / month ${m} has not begun`);
  const fromDay = `${m}-01`;
  const toDay = vnDay(Math.min(endAt, now + 1) - 1);
  const sums = await ctx.store.counterSums({ fromDay, toDay, within });
  const byGroup = Object.fromEntries(BODY_GROUPS.map((g) => [g, { sent: 0, received: 0 }])) as MonthlyReport['byGroup'];
  const totals = { sent: 0, received: 0 };
  const days = new Map<string, { sent: number; received: number }>();
  for (let t = startAt; t < Math.min(endAt, now + 1); t += DAY_MS) days.set(vnDay(t), { sent: 0, received: 0 });
  for (const s of sums) {
    if (s.metric !== 'sent' && s.metric !== 'received') continue;
    const d = days.get(s.day) ?? { sent: 0, received: 0 };
    d[s.metric] += s.value;
    days.set(s.day, d);
    byGroup[bodyGroup(s.letter, s.level)][s.metric] += s.value;
    totals[s.metric] += s.value;
  }
  const topN = ctx.limits.consoleReportAgencyRowsMax;
  const senders = await ctx.store.counterTopAgencies({ fromDay, toDay, within, metric: 'sent', limit: topN });
  const recipients = await ctx.store.counterTopAgencies({ fromDay, toDay, within, metric: 'received', limit: topN });
  const overdueAt = Math.min(endAt, now);
  const overdueRows = await ctx.store.overdueDeliveries({ within, now: overdueAt, toAt: overdueAt, limit: ctx.limits.consoleExportRowsMax });
  const byRecipient = new Map<string, { count: number; oldestDays: number }>();
  for (const r of overdueRows) {
    const g = byRecipient.get(r.delivery.recipient) ?? { count: 0, oldestDays: 0 };
    g.count += 1;
    g.oldestDays = Math.max(g.oldestDays, Math.floor((overdueAt - r.document.receivedAt) / DAY_MS));
    byRecipient.set(r.delivery.recipient, g);
  }
  const overdueTop = [...byRecipient].sort((a, b) => b[1].count - a[1].count || b[1].oldestDays - a[1].oldestDays || a[0].localeCompare(b[0])).slice(0, topN);
  const answerRows = await ctx.store.answerTimes({ within, fromAt: startAt, toAt: endAt, limit: ctx.limits.consoleExportRowsMax });
  const medians = answerMedians(answerRows);
  const names = await agencyNames(ctx, [...senders, ...recipients].map((x) => x.agency).concat(overdueTop.map(([c]) => c)));
  return {
    scope, month: m, fromDay, toDay, generatedAt: new Date(now).toISOString(), overdueAt: new Date(overdueAt).toISOString(),
    totals, byGroup, days: [...days].sort((a, b) => a[0].localeCompare(b[0])).map(([day, v]) => ({ day, ...v })),
    topSenders: senders.map((x) => ({ ...x, name: names.get(x.agency) ?? null })),
    topRecipients: recipients.map((x) => ({ ...x, name: names.get(x.agency) ?? null })),
    overdueByAgency: overdueTop.map(([agency, v]) => ({ agency, name: names.get(agency) ?? null, ...v })),
    overdueTotal: overdueRows.length,
    answers: { deliveries: answerRows.length, ...medians, truncated: answerRows.length >= ctx.limits.consoleExportRowsMax },
  };
}
