// Durations on the command line (`--older-than 90d`, `--archive-after 12h`): a whole number and one unit.

import { InvalidArgumentError } from 'commander';

const UNIT_MS = { s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 } as const;

/** `90d` → milliseconds (not seconds, as the serve limit flags take); s, m, h and d. A commander argument parser: a bad value is a usage error. */
export function durationMsArg(value: string): number {
  const m = /^(\d{1,6})([smhd])$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError('a duration such as 90d, 12h, 30m or 45s / khoảng thời gian, ví dụ 90d');
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

/** The largest whole unit: 7776000000 → 90d. */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) if (ms % UNIT_MS[unit] === 0 && ms > 0) return `${ms / UNIT_MS[unit]}${unit}`;
  return `${ms} ms`;
}
