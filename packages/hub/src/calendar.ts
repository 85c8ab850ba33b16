// Working days in Việt Nam: Monday to Friday, less the Labour Code's public holidays (2019, art. 112) computed
// for any year (Tết and the Hùng Kings' day from the Vietnamese lunar calendar, UTC+7), less the days off and
// plus the make-up working days an operator records from the Government's yearly decisions. The overdue rule
// ("accepted by the end of the next working day") counts these; a change recomputes the pending answer times.

import { VN_UTC_OFFSET_MS } from '@vdxp/edxml';
import { record, type HubContext } from './context.ts';
import { transition } from './delivery-states.ts';
import { HubError } from './errors.ts';
import type { CalendarDay, StoreOps } from './store/store.ts';

const DAY_MS = 24 * 3600 * 1000;
const TIME_ZONE = 7;

// ---- The lunar calendar: Hồ Ngọc Đức's algorithm (after Jean Meeus, "Astronomical Algorithms"), for UTC+7.

const int = Math.floor;

function jdFromDate(dd: number, mm: number, yy: number): number {
  const a = int((14 - mm) / 12);
  const y = yy + 4800 - a;
  const m = mm + 12 * a - 3;
  let jd = dd + int((153 * m + 2) / 5) + 365 * y + int(y / 4) - int(y / 100) + int(y / 400) - 32045;
  if (jd < 2299161) jd = dd + int((153 * m + 2) / 5) + 365 * y + int(y / 4) - 32083;
  return jd;
}

/** The Julian day of the k-th new moon after 1900-01-01 13:52 UTC, as a day in the time zone. */
function newMoonDay(k: number): number {
  const T = k / 1236.85;
  const T2 = T * T;
  const T3 = T2 * T;
  const dr = Math.PI / 180;
  let jd1 = 2415020.75933 + 29.53058868 * k + 0.0001178 * T2 - 0.000000155 * T3;
  jd1 += 0.00033 * Math.sin((166.56 + 132.87 * T - 0.009173 * T2) * dr);
  const M = 359.2242 + 29.10535608 * k - 0.0000333 * T2 - 0.00000347 * T3;
  const Mpr = 306.0253 + 385.81691806 * k + 0.0107306 * T2 + 0.00001236 * T3;
  const F = 21.2964 + 390.67050646 * k - 0.0016528 * T2 - 0.00000239 * T3;
  let C1 = (0.1734 - 0.000393 * T) * Math.sin(M * dr) + 0.0021 * Math.sin(2 * dr * M);
  C1 = C1 - 0.4068 * Math.sin(Mpr * dr) + 0.0161 * Math.sin(dr * 2 * Mpr);
  C1 -= 0.0004 * Math.sin(dr * 3 * Mpr);
  C1 = C1 + 0.0104 * Math.sin(dr * 2 * F) - 0.0051 * Math.sin(dr * (M + Mpr));
  C1 = C1 - 0.0074 * Math.sin(dr * (M - Mpr)) + 0.0004 * Math.sin(dr * (2 * F + M));
  C1 = C1 - 0.0004 * Math.sin(dr * (2 * F - M)) - 0.0006 * Math.sin(dr * (2 * F + Mpr));
  C1 = C1 + 0.0010 * Math.sin(dr * (2 * F - Mpr)) + 0.0005 * Math.sin(dr * (2 * Mpr + M));
  const deltat = T < -11 ? 0.001 + 0.000839 * T + 0.0002261 * T2 - 0.00000845 * T3 - 0.000000081 * T * T3 : -0.000278 + 0.000265 * T + 0.000262 * T2;
  return int(jd1 + C1 - deltat + 0.5 + TIME_ZONE / 24);
}

/** The sun's longitude at the start of a Julian day, as one of 12 sectors of 30°. */
function sunLongitudeSector(jdn: number): number {
  const T = (jdn - 2451545.5 - TIME_ZONE / 24) / 36525;
  const T2 = T * T;
  const dr = Math.PI / 180;
  const M = 357.52910 + 35999.05030 * T - 0.0001559 * T2 - 0.00000048 * T * T2;
  const L0 = 280.46645 + 36000.76983 * T + 0.0003032 * T2;
  let DL = (1.914600 - 0.004817 * T - 0.000014 * T2) * Math.sin(dr * M);
  DL = DL + (0.019993 - 0.000101 * T) * Math.sin(dr * 2 * M) + 0.000290 * Math.sin(dr * 3 * M);
  let L = (L0 + DL) * dr;
  L -= Math.PI * 2 * int(L / (Math.PI * 2));
  return int((L / Math.PI) * 6);
}

/** The Julian day the 11th lunar month (the one holding the winter solstice) of year `yy` starts. */
function lunarMonth11(yy: number): number {
  const off = jdFromDate(31, 12, yy) - 2415021;
  const k = int(off / 29.530588853);
  let nm = newMoonDay(k);
  if (sunLongitudeSector(nm) >= 9) nm = newMoonDay(k - 1);
  return nm;
}

function leapMonthOffset(a11: number): number {
  const k = int((a11 - 2415021.076998695) / 29.530588853 + 0.5);
  let last: number;
  let i = 1;
  let arc = sunLongitudeSector(newMoonDay(k + i));
  do {
    last = arc;
    i++;
    arc = sunLongitudeSector(newMoonDay(k + i));
  } while (arc !== last && i < 14);
  return i - 1;
}

/** A lunar date (not in a leap month) as a Julian day number, in Việt Nam's time zone. */
function lunarToJd(day: number, month: number, year: number): number {
  let a11: number;
  let b11: number;
  if (month < 11) {
    a11 = lunarMonth11(year - 1);
    b11 = lunarMonth11(year);
  } else {
    a11 = lunarMonth11(year);
    b11 = lunarMonth11(year + 1);
  }
  const k = int(0.5 + (a11 - 2415021.076998695) / 29.530588853);
  let off = month - 11;
  if (off < 0) off += 12;
  // A leap year (13 new moons between the two 11th months): months from the leap one on start a moon later.
  if (b11 - a11 > 365 && off >= leapMonthOffset(a11)) off += 1;
  return newMoonDay(k + off) + day - 1;
}

/** A Julian day number as yyyy-MM-dd (proleptic Gregorian). */
function jdToDay(jd: number): string {
  return new Date((jd - 2440588) * DAY_MS).toISOString().slice(0, 10);
}

/** The solar date (yyyy-MM-dd) of a lunar date of lunar year `year` (not in a leap month). */
export function lunarToSolar(day: number, month: number, year: number): string {
  return jdToDay(lunarToJd(day, month, year));
}

// ---- The statutory holidays and the calendar.

export interface Holiday { day: string; name: string }

/**
 * Labour Code 2019, art. 112(1) for `year`: New Year (1/1), Tết (5 days: the last day of the lunar year and the
 * first four of the new one, the split the yearly decisions usually make), the Hùng Kings' day (10/3 lunar),
 * Victory day (30/4), Labour day (1/5), National day (2/9; the adjacent day and the days in lieu of holidays
 * falling on a weekend are set each year by decision: operators add them as days off).
 */
export function statutoryHolidays(year: number): Holiday[] {
  const tet = lunarToJd(1, 1, year);
  const out: Holiday[] = [
    { day: `${year}-01-01`, name: 'Tết Dương lịch / New Year' },
    ...[-1, 0, 1, 2, 3].map((d) => ({ day: jdToDay(tet + d), name: d < 0 ? 'Tết Nguyên đán (cuối năm) / Lunar New Year\'s Eve' : `Tết Nguyên đán (mùng ${d + 1}) / Lunar New Year` })),
    { day: lunarToSolar(10, 3, year), name: 'Giỗ Tổ Hùng Vương / Hùng Kings\' day' },
    { day: `${year}-04-30`, name: 'Ngày Chiến thắng / Reunification day' },
    { day: `${year}-05-01`, name: 'Quốc tế Lao động / Labour day' },
    { day: `${year}-09-02`, name: 'Quốc khánh / National day' },
  ];
  return out.sort((a, b) => a.day.localeCompare(b.day));
}

const DAY_FORMAT = /^(\d{4})-(\d{2})-(\d{2})$/;

export function checkDay(day: string): void {
  const m = DAY_FORMAT.exec(day);
  if (!m || new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))).toISOString().slice(0, 10) !== day) {
    throw new HubError('VDXP_E_CONSOLE_CALENDAR_INVALID', `${JSON.stringify(day)} không phải ngày yyyy-MM-dd / is not a yyyy-MM-dd date`);
  }
}

/** The calendar the hub decides with: statutory holidays per year (computed once each) and the operator's entries. */
export class WorkCalendar {
  #entries = new Map<string, CalendarDay['kind']>();
  readonly #holidays = new Map<number, Set<string>>();

  /** Replaces the operator's entries (read from the store at open, after a change, and by each sweep). */
  load(days: readonly CalendarDay[]): void {
    this.#entries = new Map(days.map((d) => [d.day, d.kind]));
  }

  async reload(store: Pick<StoreOps, 'calendarDays'>): Promise<void> {
    this.load(await store.calendarDays('0000-01-01', '9999-12-31'));
  }

  isHoliday(day: string): boolean {
    const year = Number(day.slice(0, 4));
    let set = this.#holidays.get(year);
    if (set === undefined) {
      set = new Set(statutoryHolidays(year).map((h) => h.day));
      this.#holidays.set(year, set);
    }
    return set.has(day);
  }

  isWorkingDay(day: string): boolean {
    const entry = this.#entries.get(day);
    if (entry !== undefined) return entry === 'working';
    const weekday = new Date(`${day}T00:00:00Z`).getUTCDay();
    return weekday !== 0 && weekday !== 6 && !this.isHoliday(day);
  }

  /**
   * The end of the next working day in Việt Nam after `t`. Decree 30/2020: receipt is notified the same day, at
   * the latest the next working morning; we give the recipient until the end of the next working day.
   */
  endOfNextWorkingDay(t: number): number {
    const local = new Date(t + VN_UTC_OFFSET_MS);
    let day = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate());
    // A year holds at most a few weeks off in a row; 60 days bounds a calendar an operator filled with days off.
    for (let i = 0; i < 60; i++) {
      day += DAY_MS;
      if (this.isWorkingDay(new Date(day).toISOString().slice(0, 10))) break;
    }
    return day + DAY_MS - VN_UTC_OFFSET_MS - 1;
  }
}

/** Operator entries one calendar may hold (a century of yearly decisions is a few thousand). */
export const CALENDAR_DAYS_MAX = 10_000;

/**
 * Records (kind off/working) or removes (kind null) an operator's entry, then recomputes the answer time of every
 * delivery still waiting for an acceptance, and lifts the overdue flag of those no longer late.
 */
export async function changeCalendar(ctx: HubContext, day: string, kind: CalendarDay['kind'] | null, note: string | null, actor: string): Promise<{ rescheduled: number }> {
  checkDay(day);
  if (kind !== null && kind !== 'off' && kind !== 'working') throw new HubError('VDXP_E_CONSOLE_CALENDAR_INVALID', 'kind: off hoặc working / off or working');
  await ctx.store.transaction(async (tx) => {
    if (kind === null) {
      if (!(await tx.deleteCalendarDay(day))) throw new HubError('VDXP_E_CONSOLE_CALENDAR_INVALID', `Không có ngày ${day} trong lịch / no entry for ${day}`);
    } else {
      if ((await tx.calendarDays('0000-01-01', '9999-12-31')).length >= CALENDAR_DAYS_MAX) {
        throw new HubError('VDXP_E_CONSOLE_CALENDAR_INVALID', `The calendar holds ${CALENDAR_DAYS_MAX} entries already; remove old ones first`);
      }
      await tx.putCalendarDay({ day, kind, note: note?.slice(0, 200) ?? null, updatedAt: ctx.clock.now() });
    }
    await record(ctx, tx, { type: 'calendar:changed', actor, data: { day, kind, note } });
  });
  await ctx.calendar.reload(ctx.store);
  return { rescheduled: await rescheduleAnswers(ctx) };
}

/** Answer times recomputed from the calendar, in batches of one transaction each; returns how many changed. */
export async function rescheduleAnswers(ctx: HubContext, batch = 500): Promise<number> {
  const now = ctx.clock.now();
  let afterSeq = 0;
  let changed = 0;
  for (;;) {
    const page = await ctx.store.awaitingAnswer(afterSeq, batch);
    if (page.length === 0) return changed;
    afterSeq = page[page.length - 1]?.seq ?? afterSeq;
    const stale = page.filter((d) => d.answerDueAt !== ctx.calendar.endOfNextWorkingDay(d.createdAt));
    if (stale.length === 0) continue;
    changed += await ctx.store.transaction(async (tx) => {
      let n = 0;
      for (const d of stale) {
        const due = ctx.calendar.endOfNextWorkingDay(d.createdAt);
        const doc = await tx.getDocument(d.documentId);
        const stillLate = due <= now || (doc?.dueAt !== null && doc?.dueAt !== undefined && doc.dueAt <= now);
        // The compare: still awaiting an acceptance with the answer time read; the sweeper flags it again if late.
        if (await transition(tx, d, 'reschedule', { answerDueAt: due, ...(stillLate ? {} : { overdue: false }) }, { businessStatus: d.businessStatus })) n++;
      }
      return n;
    });
  }
}
