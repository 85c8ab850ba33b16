// Statistics read from the counters kept in the same transactions as the events that change them, so they
// never drift from the deliveries: per agency and day, rolled up by level on request.

import { vnDay } from './clock.ts';
import type { HubContext } from './context.ts';

export const STAT_METRICS = ['sent', 'received', 'delivered', 'rejected', 'overdue', 'statuses_sent'] as const;
export type StatMetric = (typeof STAT_METRICS)[number];

export interface StatsQuery {
  fromDay?: string;
  toDay?: string;
  agency?: string;
  level?: number;
}

export interface StatsRow {
  agency: string;
  name: string | null;
  level: number | null;
  totals: Record<StatMetric, number>;
}

export async function stats(ctx: HubContext, q: StatsQuery): Promise<{ fromDay: string; toDay: string; rows: StatsRow[]; days: { day: string; totals: Record<StatMetric, number> }[] }> {
  const toDay = q.toDay ?? vnDay(ctx.clock.now());
  const fromDay = q.fromDay ?? toDay.slice(0, 8) + '01';
  const counters = await ctx.store.counters({ fromDay, toDay, ...(q.agency ? { agencies: [q.agency] } : {}) });
  const zero = (): Record<StatMetric, number> => Object.fromEntries(STAT_METRICS.map((m) => [m, 0])) as Record<StatMetric, number>;
  const byAgency = new Map<string, Record<StatMetric, number>>();
  const byDay = new Map<string, Record<StatMetric, number>>();
  for (const c of counters) {
    if (!(STAT_METRICS as readonly string[]).includes(c.metric)) continue;
    const m = c.metric as StatMetric;
    const a = byAgency.get(c.agency) ?? zero();
    a[m] += c.value;
    byAgency.set(c.agency, a);
  }
  const rows: StatsRow[] = [];
  const agencies = new Map((await ctx.store.getAgencies([...byAgency.keys()])).map((a) => [a.code, a]));
  for (const [code, totals] of byAgency) {
    const agency = agencies.get(code);
    if (q.level !== undefined && agency?.level !== q.level) continue;
    rows.push({ agency: code, name: agency?.name ?? null, level: agency?.level ?? null, totals });
  }
  const included = new Set(rows.map((r) => r.agency));
  for (const c of counters) {
    if (!included.has(c.agency) || !(STAT_METRICS as readonly string[]).includes(c.metric)) continue;
    const d = byDay.get(c.day) ?? zero();
    d[c.metric as StatMetric] += c.value;
    byDay.set(c.day, d);
  }
  rows.sort((a, b) => b.totals.overdue - a.totals.overdue || b.totals.received - a.totals.received || a.agency.localeCompare(b.agency));
  return { fromDay, toDay, rows, days: [...byDay].map(([day, totals]) => ({ day, totals })) };
}
