// Benchmark of `vdxp simulate`: (1) history written into a store through the hub's code — documents and steps
// per second, peak RSS, and what 2,000,000 documents would take at that pace; (2) the live simulation against
// one embedded hub over real HTTP at the national peak (50 documents a second with statuses): the rate reached,
// submit latency, accepted → acked lag, and how fast a console read (/v1/stats) answers meanwhile.
// `tiny` runs in seconds in the test suite; `full` is the real measurement.

import { mkdtempSync, rmSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildServer, openHub } from '@vdxp/hub';
import { ClientNativeTransport, nationalRegistry, runLive, seedNational, writeHistory, type HistoryReport, type LiveReport } from '@vdxp/sim';

export type BenchSize = 'tiny' | 'full';

/** The documents a year of national traffic holds, which the issue asks to be written "in minutes". */
export const HISTORY_TARGET_DOCUMENTS = 2_000_000;

const PLANS = {
  tiny: { history: { days: 2, rate: 0.01 }, live: { ratePerSecond: 10, durationMs: 2000 } },
  // A year's span cut at 100,000 documents: the first ~2 weeks of national traffic, with the statuses they draw.
  full: { history: { days: 365, rate: 1, documentsMax: 100_000 }, live: { ratePerSecond: 50, durationMs: 60_000 } },
} as const;

export interface SimBenchResult {
  history?: HistoryReport & { case: 'sim-history'; projectedSecondsFor2M: number };
  live?: LiveReport & { case: 'sim-live'; hub: LiveHub; statsReadP50Ms: number; statsReadP99Ms: number; statsReads: number; simThreadCpuMsPerDocument: number; hubThreadCpuMsPerDocument?: number };
}

export async function benchSim(o: {
  size: BenchSize; out?: (line: string) => void; log?: (line: string) => void; only?: 'history' | 'live'; liveHub?: LiveHub; historyDocuments?: number; through?: 'batch' | 'intake';
  /** The live run's asked rate (documents a second) and length, instead of the size's. */
  liveRatePerSecond?: number; liveSeconds?: number;
}): Promise<SimBenchResult> {
  const out = o.out ?? ((line: string) => { console.log(line); });
  const root = mkdtempSync(join(tmpdir(), 'vdxp-bench-sim-'));
  try {
    const result: SimBenchResult = {};
    if (o.only !== 'live') {
      const h = await benchHistory(o.size, join(root, 'history'), o.historyDocuments, o.through);
      result.history = h;
      out(JSON.stringify({ bench: 'sim', size: o.size, ...h }));
      out(`sim history (${h.through}, ${h.commits} transactions): ${h.documents} docs, ${h.statuses} statuses, ${h.fetches} fetch+ack in ${h.seconds.toFixed(1)} s = ${h.documentsPerSecond.toFixed(1)} docs/s, `
        + `${h.stepsPerSecond.toFixed(0)} steps/s, peak RSS ${(h.peakRssBytes / 1e6).toFixed(0)} MB; 2,000,000 docs at this pace: ${(h.projectedSecondsFor2M / 60).toFixed(0)} min`);
    }
    if (o.only !== 'history') {
      const plan = { ...PLANS[o.size].live, ...(o.liveRatePerSecond !== undefined ? { ratePerSecond: o.liveRatePerSecond } : {}), ...(o.liveSeconds !== undefined ? { durationMs: o.liveSeconds * 1000 } : {}) };
      const live = await benchLive(plan, join(root, 'live'), o.liveHub ?? 'worker');
      result.live = live;
      out(JSON.stringify({ bench: 'sim', size: o.size, ...live }));
      out(`sim live (hub ${live.hub === 'worker' ? 'in a worker thread' : 'on the simulator\'s thread'}): asked ${live.askedPerSecond} docs/s, reached ${live.sentPerSecond} docs/s (${live.behind} behind), submit p50/p99 ${live.submitP50Ms}/${live.submitP99Ms} ms, `
        + `accepted→acked p50/p99 ${live.deliveryLagP50Ms}/${live.deliveryLagP99Ms} ms, ${live.statusesSent} statuses, ${live.networkRetries} network retries; /v1/stats p50/p99 ${live.statsReadP50Ms}/${live.statsReadP99Ms} ms; `
        + `CPU per document: simulator ${live.simThreadCpuMsPerDocument} ms${live.hubThreadCpuMsPerDocument !== undefined ? `, hub ${live.hubThreadCpuMsPerDocument} ms` : ' (hub included)'}`);
    }
    return result;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function benchHistory(size: BenchSize, dir: string, documents?: number, through?: 'batch' | 'intake'): Promise<NonNullable<SimBenchResult['history']>> {
  const plan = { ...PLANS[size].history, ...(documents !== undefined ? { documentsMax: documents } : {}) };
  const reg = nationalRegistry(1);
  const hub = await openHub({ dataDir: dir });
  try {
    await seedNational(hub.ctx, reg);
    const r = await writeHistory(hub, reg, { days: plan.days, seed: 1, rate: plan.rate, ...('documentsMax' in plan ? { documentsMax: plan.documentsMax } : {}), ...(through ? { through } : {}) });
    return { case: 'sim-history', ...r, projectedSecondsFor2M: Math.round(HISTORY_TARGET_DOCUMENTS / r.documentsPerSecond) };
  } finally {
    await hub.close();
  }
}

/** The hub under the live simulation: in a worker thread (its own event loop, as a separate `vdxp serve` has), or on the simulator's own. */
export type LiveHub = 'worker' | 'inline';

interface ServedHub {
  url: string;
  tokens: Map<string, string>;
  /** Stops the hub; the CPU its thread spent serving, when it had a thread of its own. */
  close: () => Promise<number | undefined>;
}

async function serveInline(dir: string): Promise<ServedHub> {
  const hub = await openHub({ dataDir: dir });
  const app = buildServer(hub);
  try {
    const seeded = await seedNational(hub.ctx, nationalRegistry(1));
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    return { url, tokens: new Map(seeded.systemsAdded.map((c) => [c.id, c.token])), close: async () => { await app.close(); await hub.close(); return undefined; } };
  } catch (e) {
    await app.close();
    await hub.close();
    throw e;
  }
}

async function serveInWorker(dir: string): Promise<ServedHub> {
  const worker = new Worker(new URL('./sim-hub-worker.ts', import.meta.url), { workerData: { dataDir: dir, seed: 1 } });
  const first = await new Promise<{ url: string; tokens: [string, string][] }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the hub's worker exited (${code}) before serving`)));
  });
  return {
    url: first.url, tokens: new Map(first.tokens),
    close: async () => {
      const closed = new Promise<number>((resolve) => { worker.once('message', (m: { cpuMs: number }) => resolve(m.cpuMs)); });
      worker.postMessage('close');
      const cpuMs = await closed;
      await worker.terminate();
      return cpuMs;
    },
  };
}

async function benchLive(plan: { ratePerSecond: number; durationMs: number }, dir: string, where: LiveHub): Promise<NonNullable<SimBenchResult['live']>> {
  const reg = nationalRegistry(1);
  const served = await (where === 'worker' ? serveInWorker(dir) : serveInline(dir));
  let closed = false;
  try {
    const { url, tokens } = served;
    const anyToken = [...tokens.values()][0] ?? '';
    // The console reads the counters the API writes: time such a read while the traffic runs.
    const statsMs: number[] = [];
    let probing = true;
    const probe = (async () => {
      while (probing) {
        const t0 = performance.now();
        const res = await fetch(`${url}/v1/stats`, { headers: { authorization: `Bearer ${anyToken}` } });
        await res.arrayBuffer();
        statsMs.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    let r: LiveReport;
    const simCpu0 = process.threadCpuUsage();
    try {
      r = await runLive({ transport: new ClientNativeTransport(url), registry: reg, tokens, seed: 1, ...plan, speed: 3600 });
    } finally {
      probing = false;
      await probe;
    }
    statsMs.sort((a, b) => a - b);
    const pct = (p: number): number => Math.round((statsMs[Math.min(statsMs.length - 1, Math.floor(p * statsMs.length))] ?? 0) * 100) / 100;
    const simCpu = process.threadCpuUsage(simCpu0);
    const hubCpuMs = await served.close();
    closed = true;
    // CPU per document sent (with its deliveries, fetches, acks and statuses): unlike rates, little changed by
    // what else the machine runs. With the hub inline, the simulator's thread figure holds both.
    const perDocument = (ms: number): number => Math.round((ms / Math.max(1, r.sent)) * 100) / 100;
    return {
      case: 'sim-live', hub: where, ...r, statsReadP50Ms: pct(0.5), statsReadP99Ms: pct(0.99), statsReads: statsMs.length,
      simThreadCpuMsPerDocument: perDocument((simCpu.user + simCpu.system) / 1000),
      ...(hubCpuMs !== undefined ? { hubThreadCpuMsPerDocument: perDocument(hubCpuMs) } : {}),
    };
  } finally {
    if (!closed) await served.close();
  }
}
