// Durations on the command line (`--older-than 90d`, `--archive-after 12h`, `--delivery-ttl 30d`): a whole
// number and one unit, read and printed with one table.

import { InvalidArgumentError } from 'commander';

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/** `90d` → milliseconds (the archival ages); s, m, h and d, the unit required. A commander argument parser: a bad value is a usage error. */
export function durationMsArg(value: string): number {
  const m = /^(\d{1,6})([smhd])$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError('a duration such as 90d, 12h, 30m or 45s / khoảng thời gian, ví dụ 90d');
  return Number(m[1]) * UNIT_SECONDS[m[2] as keyof typeof UNIT_SECONDS] * 1000;
}

/** `2592000`, `3600s`, `90m`, `12h`, `30d` → seconds (the serve limit flags, named in seconds like HubLimits). */
export function durationArg(value: string): number {
  const m = /^(\d+)\s*([a-z]?)$/i.exec(value.trim());
  const unit = (m?.[2] ?? '').toLowerCase();
  if (!m || (unit !== '' && !(unit in UNIT_SECONDS))) throw new InvalidArgumentError('a duration: a whole number of seconds, or with s, m, h or d (e.g. 30d)');
  return Number(m[1]) * (unit === '' ? 1 : UNIT_SECONDS[unit as keyof typeof UNIT_SECONDS]);
}

/** `30d`, `12h`, `90m` or seconds: the largest unit that divides the value. */
export function formatSeconds(s: number): string {
  for (const unit of ['d', 'h', 'm'] as const) if (s % UNIT_SECONDS[unit] === 0) return `${s / UNIT_SECONDS[unit]}${unit}`;
  return `${s}s`;
}

/** The largest whole unit: 7776000000 → 90d; what is not whole seconds (or not positive) stays in ms. */
export function formatDuration(ms: number): string {
  return ms > 0 && ms % 1000 === 0 ? formatSeconds(ms / 1000) : `${ms} ms`;
}
