// Time and randomness, injected so that tests and the seeded simulation control them.

import { randomBytes, randomUUID } from 'node:crypto';
import { VN_UTC_OFFSET_MS } from '@vdxp/edxml';

export interface Clock {
  now(): number;
}

export interface Random {
  uuid(): string;
  token(bytes: number): string;
}

export const systemClock: Clock = { now: () => Date.now() };

export const systemRandom: Random = {
  uuid: () => randomUUID(),
  token: (bytes) => randomBytes(bytes).toString('base64url'),
};

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  #t: number;
  constructor(start = Date.UTC(2026, 10, 23, 1, 0, 0)) { this.#t = start; }
  now(): number { return this.#t; }
  advance(ms: number): void { this.#t += ms; }
  set(t: number): void { this.#t = t; }
}

/** The calendar day in Việt Nam (UTC+7, no daylight saving) as yyyy-MM-dd. */
export function vnDay(t: number): string {
  return new Date(t + VN_UTC_OFFSET_MS).toISOString().slice(0, 10);
}

// The end of the next working day (holidays included) is the calendar's: calendar.ts, WorkCalendar.

/** Parses an edXML date `yyyy/MM/dd` as the end of that day in Việt Nam; undefined if it is not one. */
export function edxmlDateEnd(s: string | undefined): number | undefined {
  const m = /^(\d{4})\/(\d{2})\/(\d{2})$/.exec(s ?? '');
  if (!m) return undefined;
  const day = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (Number.isNaN(day) || new Date(day).getUTCDate() !== Number(m[3])) return undefined;
  return day + 24 * 3600 * 1000 - VN_UTC_OFFSET_MS - 1;
}
