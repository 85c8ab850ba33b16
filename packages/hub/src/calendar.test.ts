// The working-day calendar: lunar dates against known ones, the Labour Code holidays of a year, the operator's
// days off and make-up working days, and overdue flags that follow a calendar change.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { VN_UTC_OFFSET_MS } from '@vdxp/edxml';
import { changeCalendar, lunarToSolar, statutoryHolidays, WorkCalendar } from './calendar.ts';
import { sweep } from './delivery.ts';
import { edoc, listen, startTestHub, type TestHub } from '../test-support/testkit.ts';
import { addUser } from './users.ts';

/** A time in Việt Nam as milliseconds since the epoch. */
const vn = (iso: string): number => Date.parse(`${iso}Z`) - VN_UTC_OFFSET_MS;

describe('lunar calendar (UTC+7)', () => {
  it('puts Tết and the Hùng Kings\' day on their published dates', () => {
    const tet: Record<number, string> = { 2020: '2020-01-25', 2023: '2023-01-22', 2024: '2024-02-10', 2025: '2025-01-29', 2026: '2026-02-17', 2027: '2027-02-06', 2028: '2028-01-26' };
    for (const [y, day] of Object.entries(tet)) assert.equal(lunarToSolar(1, 1, Number(y)), day, `Tết ${y}`);
    // 2023 has a leap second month: the third month (Hùng Kings) starts a moon later.
    assert.equal(lunarToSolar(10, 3, 2023), '2023-04-29');
    assert.equal(lunarToSolar(10, 3, 2024), '2024-04-18');
    assert.equal(lunarToSolar(10, 3, 2025), '2025-04-07');
    // 2033: Việt Nam's Tết (UTC+7) is the one computed for its own time zone.
    assert.equal(lunarToSolar(1, 1, 2033), '2033-01-31');
  });

  it('lists the Labour Code\'s holidays for any year', () => {
    const days = statutoryHolidays(2025).map((h) => h.day);
    assert.deepEqual(days, ['2025-01-01', '2025-01-28', '2025-01-29', '2025-01-30', '2025-01-31', '2025-02-01', '2025-04-07', '2025-04-30', '2025-05-01', '2025-09-02']);
    assert.equal(statutoryHolidays(2100).length, 10);
  });
});

describe('working days', () => {
  it('skips weekends, holidays and days off; counts make-up working days', () => {
    const c = new WorkCalendar();
    // Friday 2026-04-24 10:00 → Monday 27th (Sunday 26th is the Hùng Kings' day anyway).
    assert.equal(c.endOfNextWorkingDay(vn('2026-04-24T10:00:00')), vn('2026-04-27T23:59:59.999'));
    // Wednesday 29th → Thursday 30th and Friday 1 May are holidays → Monday 4 May.
    assert.equal(c.endOfNextWorkingDay(vn('2026-04-29T10:00:00')), vn('2026-05-04T23:59:59.999'));
    // Tết 2026: Friday 13 Feb → the holidays run 16–20 Feb → Monday 23 Feb.
    assert.equal(c.endOfNextWorkingDay(vn('2026-02-13T16:00:00')), vn('2026-02-23T23:59:59.999'));
    c.load([{ day: '2026-05-02', kind: 'working', note: 'làm bù', updatedAt: 0 }, { day: '2026-04-27', kind: 'off', note: 'nghỉ bù', updatedAt: 0 }]);
    assert.equal(c.endOfNextWorkingDay(vn('2026-04-29T10:00:00')), vn('2026-05-02T23:59:59.999'), 'a make-up working Saturday');
    assert.equal(c.endOfNextWorkingDay(vn('2026-04-24T10:00:00')), vn('2026-04-28T23:59:59.999'), 'a day off given by decision');
    // A clock in another zone changes nothing: times are instants, days are Việt Nam's.
    assert.equal(c.isWorkingDay('2026-05-02'), true);
  });
});

describe('calendar changes on a hub', () => {
  let t: TestHub;
  let url: string;
  let stop: () => Promise<void>;
  before(async () => {
    t = await startTestHub({ limits: { passwordScryptCost: 1024, passwordScryptParallelization: 1 } });
    const s = await listen(t.hub);
    url = s.url;
    stop = async () => { await s.app.close(); await t.close(); };
  });
  after(async () => stop());

  it('uses holidays for new answer times, and recomputes overdue flags when an operator adds a day off', async () => {
    t.clock.set(vn('2026-04-28T09:00:00'));
    const res = await fetch(`${url}/v1/documents`, { method: 'POST', headers: { authorization: `Bearer ${t.systems['gov']?.token}` }, body: await edoc('000.00.00.G22', ['000.00.00.H41']) });
    const sent = (await res.json()) as { deliveries: { id: string }[] };
    const id = sent.deliveries[0]?.id ?? '';
    assert.equal((await t.hub.ctx.store.getDelivery(id))?.answerDueAt, vn('2026-04-29T23:59:59.999'));
    t.clock.set(vn('2026-04-30T08:00:00'));
    assert.equal((await sweep(t.hub.ctx)).overdue, 1);
    assert.equal((await t.hub.ctx.store.getDelivery(id))?.overdue, true);
    // The Government gives 29 April off: the answer is due on 4 May, so it is not late any more.
    const r = await changeCalendar(t.hub.ctx, '2026-04-29', 'off', 'Nghỉ bù theo quyết định', 'test');
    assert.equal(r.rescheduled, 1);
    const d = await t.hub.ctx.store.getDelivery(id);
    assert.equal(d?.answerDueAt, vn('2026-05-04T23:59:59.999'));
    assert.equal(d?.overdue, false);
    assert.ok((await t.hub.ctx.store.events(0, 1000)).some((e) => e.type === 'calendar:changed'));
    // Removed again: late again, flagged by the next sweep.
    await changeCalendar(t.hub.ctx, '2026-04-29', null, null, 'test');
    assert.equal((await sweep(t.hub.ctx)).overdue, 1);
  });

  it('serves the calendar to the console, and lets only a nationwide operator change it', async () => {
    await addUser(t.hub.ctx, { username: 'ops', role: 'operator', scope: null, password: 'mật khẩu dài' }, 'test');
    await addUser(t.hub.ctx, { username: 'ops.nghean', role: 'operator', scope: '000.00.00.H41', password: 'mật khẩu dài' }, 'test');
    const session = async (username: string): Promise<{ cookie: string; csrf: string }> => {
      const r = await fetch(`${url}/console/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: 'mật khẩu dài' }) });
      return { cookie: (r.headers.get('set-cookie') ?? '').split(';')[0] ?? '', csrf: ((await r.json()) as { csrf: string }).csrf };
    };
    const post = async (s: { cookie: string; csrf: string }, body: object): Promise<{ status: number; code?: string }> => {
      const r = await fetch(`${url}/console/api/calendar`, { method: 'POST', headers: { cookie: s.cookie, 'x-csrf-token': s.csrf, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const j = (await r.json()) as { error?: { code: string } };
      return { status: r.status, ...(j.error ? { code: j.error.code } : {}) };
    };
    const ops = await session('ops');
    assert.equal((await post(ops, { day: '2026-05-02', kind: 'working', note: 'Làm bù' })).status, 200);
    assert.deepEqual(await post(ops, { day: '2026-02-30', kind: 'off' }), { status: 400, code: 'VDXP_E_CONSOLE_CALENDAR_INVALID' });
    assert.deepEqual(await post(ops, { day: '2026-05-03', kind: 'holiday' }), { status: 400, code: 'VDXP_E_CONSOLE_CALENDAR_INVALID' });
    assert.equal((await post(await session('ops.nghean'), { day: '2026-05-03', kind: 'off' })).code, 'VDXP_E_CONSOLE_SCOPE');
    const year = (await (await fetch(`${url}/console/api/calendar?year=2026`, { headers: { cookie: ops.cookie } })).json()) as { holidays: { day: string }[]; entries: { day: string; kind: string }[] };
    assert.equal(year.holidays.length, 10);
    assert.deepEqual(year.entries.map((e) => [e.day, e.kind]), [['2026-05-02', 'working']]);
  });
});
