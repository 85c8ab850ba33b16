// The console at national scale: a registry of ~111,000 agencies and N documents (2,000,000 at full size) over
// 12 months, seeded directly through the store, then each console query timed (p50/p99 of repeated runs with
// varied arguments): the overview (nationwide and a province), a province's overdue list, an agency's page and
// a document search; and, when Chromium is there, a cold load of the overview page until its figures show.

import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { ManualClock, openHub, type Hub } from '@vdxp/hub';
import { prng, seedSqliteFast, traffic } from './console-seed.ts';
import { agencyPage, overdueList, overview, searchDocuments } from '../../packages/hub/src/console.ts';
import type { AgencyInput } from '../../packages/hub/src/store/store.ts';
import { addUser, userView } from '../../packages/hub/src/users.ts';
import { buildServer } from '../../packages/hub/src/http/server.ts';
import { CONSOLE_DIST_DIR } from '../../packages/hub/src/http/console.ts';

const DAY_MS = 24 * 3600 * 1000;
const SIZES = { tiny: { documents: 2_000, unitsPerDepartment: 2, runs: 5 }, full: { documents: 2_000_000, unitsPerDepartment: 99, runs: 50 } } as const;
const PROVINCES = 34;
const DEPARTMENTS = 30;
const MINISTRIES = 30;
const SEED_BATCH = 20_000;
/** The file a kept folder (`dataDir`) holds once seeded. */
const SEEDED_MARK = 'console-bench-seeded';

export interface ConsoleBenchResult {
  agencies: number;
  documents: number;
  deliveries: number;
  seedSeconds: number;
  databaseMB: number;
  queries: { name: string; p50Ms: number; p99Ms: number; runs: number; rows: number }[];
  coldLoadMs: number | null;
  peakRssMB: number;
}

const pad = (n: number, w: number): string => String(n).padStart(w, '0');

export function registry(unitsPerDepartment: number): AgencyInput[] {
  const base = { otherCodes: [], email: null, phone: null, state: 'active' as const, successor: null, validFrom: null, validTo: null };
  const out: AgencyInput[] = [];
  for (let m = 1; m <= MINISTRIES; m++) {
    const g = `000.00.00.G${pad(m, 2)}`;
    out.push({ ...base, code: g, name: `Bộ ${m}`, parent: null, level: 1 });
    // Units of a ministry, 99 to a legacy group: `000.UU.DD.Gmm`.
    for (let d = 0; d < unitsPerDepartment * 3; d++) {
      out.push({ ...base, code: `000.${pad(1 + (d % 99), 2)}.${pad(1 + Math.floor(d / 99), 2)}.G${pad(m, 2)}`, name: `Đơn vị ${d + 1} của Bộ ${m}`, parent: g, level: 3 });
    }
  }
  for (let p = 1; p <= PROVINCES; p++) {
    const h = `000.00.00.H${pad(p, 2)}`;
    out.push({ ...base, code: h, name: `UBND tỉnh ${p}`, parent: null, level: 1 });
    for (let d = 1; d <= DEPARTMENTS; d++) {
      const dep = `000.00.${pad(d, 2)}.H${pad(p, 2)}`;
      out.push({ ...base, code: dep, name: `Sở ${d} tỉnh ${p}`, parent: h, level: 2 });
      for (let u = 1; u <= unitsPerDepartment; u++) out.push({ ...base, code: `000.${pad(u, 2)}.${pad(d, 2)}.H${pad(p, 2)}`, name: `Xã ${u}-${d} tỉnh ${p}`, parent: dep, level: 3 });
    }
  }
  return out;
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

export async function benchConsole(o: { size: 'tiny' | 'full'; documents?: number; dataDir?: string; out?: (line: string) => void }): Promise<ConsoleBenchResult> {
  const out = o.out ?? ((l: string) => { console.log(l); });
  const size = SIZES[o.size];
  const documents = o.documents ?? size.documents;
  // `dataDir`: the seeded folder is kept, and a later run on it times the queries again without seeding.
  const dir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'vdxp-console-bench-'));
  const reuse = o.dataDir !== undefined && existsSync(join(dir, SEEDED_MARK));
  const now = Date.UTC(2026, 10, 23, 3, 0, 0);
  const clock = new ManualClock(now);
  const limits = { passwordScryptCost: 1024, passwordScryptParallelization: 1 };
  let hub = await openHub({ dataDir: dir, clock, limits });
  let closed = false;
  const calendar = hub.ctx.calendar;
  try {
    const started = performance.now();
    const agencies = registry(size.unitsPerDepartment);
    const busyBodies = agencies.filter((a) => a.level === 1).map((a) => a.code);
    let deliveries: number;
    if (reuse) {
      deliveries = Object.values(await hub.ctx.store.deliveryStateCounts()).reduce((a, b) => a + b, 0);
      out(`console bench: reusing the seeded folder ${dir}`);
    } else {
      const at = now - 400 * DAY_MS;
      for (let i = 0; i < agencies.length; i += 20_000) await hub.ctx.store.putAgencies(agencies.slice(i, i + 20_000), at);
      await hub.ctx.store.putSystem({ id: 'bench', name: 'bench', tokenHash: 'x', secret: 'x', state: 'active', pushUrl: null, vdxpStrict: false, createdAt: at, updatedAt: at });
      await hub.ctx.store.setSystemAgencies('bench', agencies.filter((_a, i) => i % 3 === 0).map((a) => a.code).slice(0, hub.ctx.limits.systemAgenciesMax));
      await addUser(hub.ctx, { username: 'bench', role: 'leader', scope: null, password: 'bench password' }, 'bench');
      // The traffic goes straight into the file with the hub closed (console-seed.ts; its test checks it leaves the
      // tables the store's own writes leave), then the hub opens on it again.
      await hub.close();
      closed = true;
      const seedStarted = performance.now();
      deliveries = seedSqliteFast(join(dir, 'vdxp.sqlite'), traffic({ codes: agencies.map((a) => a.code), busy: busyBodies, documents, now, batch: SEED_BATCH, answerDueAt: (t) => calendar.endOfNextWorkingDay(t) }));
      out(`console bench: ${documents} documents and ${deliveries} deliveries written in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`);
      writeFileSync(join(dir, SEEDED_MARK), `${documents}\n`, { mode: 0o600 });
      hub = await openHub({ dataDir: dir, clock, limits });
      closed = false;
    }
    const seedSeconds = reuse ? 0 : (performance.now() - started) / 1000;
    const databaseMB = Math.round(statSync(join(dir, 'vdxp.sqlite')).size / 1e6);
    out(`console bench: seeded ${agencies.length} agencies, ${documents} documents, ${deliveries} deliveries in ${seedSeconds.toFixed(1)} s (${databaseMB} MB)`);

    const national = userView((await hub.ctx.store.getUser('bench'))!);
    const random = prng(7);
    const province = (): string => `000.00.00.H${pad(1 + Math.floor(random() * PROVINCES), 2)}`;
    const someAgency = (): string => agencies[Math.floor(random() * agencies.length)]?.code ?? '';
    const busyBody = (): string => busyBodies[Math.floor(random() * busyBodies.length)] ?? '';
    const words = ['Công văn', 'kế hoạch', 'báo cáo', 'UBND', '/QĐ-', 'số 1'];
    const cases: [string, () => Promise<number>][] = [
      ['overview nationwide', async () => (await overview(hub.ctx, national)).days.length],
      ['overview of a province', async () => (await overview(hub.ctx, national, province())).days.length],
      ['overdue list of a province', async () => (await overdueList(hub.ctx, national, { scope: province(), limit: 100 })).items.length],
      ['agency page', async () => (await agencyPage(hub.ctx, national, someAgency())).months.length],
      ['document search by words', async () => (await searchDocuments(hub.ctx, national, { q: words[Math.floor(random() * words.length)] ?? '', limit: 50 })).items.length],
      ['document search by agency', async () => (await searchDocuments(hub.ctx, national, { agency: someAgency(), limit: 50 })).items.length],
      // A ministry's or a provincial committee's: thousands of documents each.
      ['agency page, a busy body', async () => (await agencyPage(hub.ctx, national, busyBody())).months.length],
      ['document search, a busy body', async () => (await searchDocuments(hub.ctx, national, { agency: busyBody(), limit: 50 })).items.length],
      // The Health page's reads (http/console.ts /health): delivery states, in flight and overdue, registry, storage.
      ['health page reads', async () => {
        const [states] = await Promise.all([hub.ctx.store.deliveryStateCounts(), hub.ctx.store.pendingCounts(null, now), hub.ctx.store.countAgencies(), hub.ctx.store.storageSize()]);
        return Object.keys(states).length;
      }],
    ];
    const queries: ConsoleBenchResult['queries'] = [];
    for (const [name, run] of cases) {
      const times: number[] = [];
      let rows = 0;
      for (let i = 0; i < size.runs; i++) {
        const t0 = performance.now();
        rows = await run();
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      const q = { name, p50Ms: Math.max(0.01, +percentile(times, 0.5).toFixed(2)), p99Ms: Math.max(0.01, +percentile(times, 0.99).toFixed(2)), runs: size.runs, rows };
      queries.push(q);
      out(`  ${name.padEnd(28)} p50 ${q.p50Ms.toFixed(1).padStart(8)} ms   p99 ${q.p99Ms.toFixed(1).padStart(8)} ms   (${q.runs} runs, ${q.rows} rows)`);
    }
    const coldLoadMs = await coldLoad(hub, out);
    const peakRssMB = Math.round(process.resourceUsage().maxRSS / 1024);
    const result: ConsoleBenchResult = { agencies: agencies.length, documents, deliveries, seedSeconds: +seedSeconds.toFixed(1), databaseMB, queries, coldLoadMs, peakRssMB };
    out(JSON.stringify({ case: 'console', ...result }));
    return result;
  } finally {
    if (!closed) await hub.close();
    if (o.dataDir === undefined) rmSync(dir, { recursive: true, force: true });
  }
}

/** A cold load of the overview in Chromium (fresh profile, nothing cached) until its figures show; null without Chromium or the built console. */
async function coldLoad(hub: Hub, out: (l: string) => void): Promise<number | null> {
  if (!existsSync('/usr/bin/chromium') || !existsSync(join(CONSOLE_DIST_DIR, 'index.html'))) {
    out('  cold load: skipped (no /usr/bin/chromium, or the pages are not built: `npm run bench console` builds them, or `npm run build -w packages/console`)');
    return null;
  }
  const { chromium } = await import('playwright-core');
  const app = buildServer(hub);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const profile = mkdtempSync(join(tmpdir(), 'vdxp-bench-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const login = await fetch(`${url}/console/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'bench', password: 'bench password' }) });
    const token = (login.headers.get('set-cookie') ?? '').split(';')[0]?.split('=')[1] ?? '';
    await browser.addCookies([{ name: 'vdxp_session', value: token, url: `${url}/console/` }]);
    const page = await browser.newPage();
    const t0 = performance.now();
    await page.goto(`${url}/console/#/overview`);
    await page.waitForSelector('[data-figure=received]');
    const ms = Math.round(performance.now() - t0);
    // The charts follow, once Chart.js's own chunk has arrived (charts.ts).
    for (const i of [0, 1, 2]) await page.locator('figure.chart').nth(i).and(page.locator('[data-drawn]')).waitFor();
    const charts = Math.round(performance.now() - t0);
    out(`  cold load of the overview page until its figures show: ${ms} ms (its three charts drawn at ${charts} ms)`);
    // Where the page waited: the navigation and each request, from the page's own clock (ms since navigation start).
    const timing = JSON.parse(await page.evaluate(`JSON.stringify([
      ...performance.getEntriesByType('navigation').map((e) => ['page', e.startTime, e.responseEnd, e.domContentLoadedEventEnd]),
      ...performance.getEntriesByType('resource').map((e) => [e.name.replace(location.origin, ''), e.startTime, e.responseEnd, e.transferSize])])`)) as [string, number, number, number][];
    out(`  where it waited: ${timing.map(([n, a, b]) => `${n} ${Math.round(a)}→${Math.round(b)}`).join(', ')}`);
    return ms;
  } finally {
    await browser.close();
    await app.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
