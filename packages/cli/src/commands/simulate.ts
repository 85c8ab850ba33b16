// `vdxp simulate`: the nation in a box. Seeds the simulated national registry into a data folder (with its
// systems' credentials written to a file), writes months of national traffic into it through the hub's own
// code (`--history 12m`), or runs the simulated agency systems live against a hub URL (`--hub URL`).

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { writePrivateFile } from '@vdxp/hub';
import {
  ClientNativeTransport, LEGACY_AGENCIES_DEFAULT, SIM_LABEL, nationalRegistry, runLive, seedNational, startOfVnDay, writeHistory,
  type HistoryReport, type LiveReport,
} from '@vdxp/sim';
import { CliError, EXIT_CODES, type CliContext } from '../context.ts';
import { durationMsArg } from '../duration.ts';
import { addDataOption, withHub, type HubLocation } from '../hub-access.ts';

/** The longest history one run writes, in days (two years: the console's widest view). */
const HISTORY_DAYS_MAX = 731;

interface SimulateOptions extends HubLocation {
  history?: number;
  hub?: string;
  credentials?: string;
  seed: number;
  rate?: number;
  documents?: number;
  legacy?: boolean;
  duration: number;
  speed: number;
  inFlight?: number;
  through?: 'batch' | 'intake';
  batch?: number;
  json?: boolean;
}

interface CredentialsFile {
  simulated: true;
  label: string;
  seed: number;
  systems: { id: string; token: string; secret: string }[];
}

export function registerSimulate(program: Command, ctx: CliContext): void {
  addDataOption(program.command('simulate')
    .summary('simulated national traffic / mô phỏng liên thông toàn quốc')
    .description(`The nation in a box (every name is labelled ${SIM_LABEL}). With --data only: seed the simulated national registry `
      + '(Government Office, ministries, the 34 provinces and cities with 3,321 communes and wards, Party and Front bodies) and its '
      + 'systems; --credentials FILE keeps the new systems\' tokens. With --history 12m: also write that span of traffic into the '
      + 'store through the hub\'s own code, ending today, so "vdxp serve" shows a console full of figures. With --hub URL: run the '
      + 'simulated systems live against a hub over its native API, with the tokens from --credentials.')
    .option('--history <span>', 'write this much history: 12m, 30d, 2w, 1y / số liệu lịch sử', spanDaysArg)
    .option('--hub <url>', 'run live against this hub / chạy trực tiếp với trục này')
    .option('--credentials <file>', 'JSON file of the simulated systems\' tokens (written when seeding, read with --hub)')
    .option('--seed <n>', 'the same seed makes the same registry and traffic', intArg, 1)
    .option('--rate <x>', 'history: times the national volume (1 ≈ 200,000 documents a month); live: documents per second', positiveArg)
    .option('--documents <n>', 'history: stop after this many documents', intArg)
    .option('--legacy', `also import the legacy directory (${LEGACY_AGENCIES_DEFAULT.toLocaleString('en')} agencies, merged and dissolved towards today's units)`)
    .option('--duration <d>', 'live: how long to send (e.g. 10m, 30s)', durationMsArg, 60_000)
    .option('--speed <x>', 'live: simulated time per wall-clock time for the recipients\' delays', positiveArg, 3600)
    .option('--in-flight <n>', 'history --through intake: steps run at once (group commit); live: submits in flight', intArg)
    .option('--through <way>', 'history: batch (many documents per transaction, the default) or intake (one transaction per step, the live path)', throughArg)
    .option('--batch <n>', 'history: documents (edocs and statuses) per transaction (default 5000)', intArg)
    .option('--json', 'the result as JSON'))
    .action(async (opts: SimulateOptions) => {
      if (opts.history !== undefined && opts.hub !== undefined) throw new CliError('--history ghi vào --data, --hub chạy trực tiếp: chọn một / --history writes into --data and --hub runs live: choose one', EXIT_CODES.usage);
      if (opts.hub !== undefined) return live(ctx, opts);
      const reg = nationalRegistry(opts.seed);
      await withHub(ctx, opts, 'create', async (hub) => {
        const seeded = await seedNational(hub.ctx, reg, opts.legacy ? { legacy: { seed: opts.seed, total: LEGACY_AGENCIES_DEFAULT } } : {});
        if (opts.credentials !== undefined && seeded.systemsAdded.length > 0) {
          const file: CredentialsFile = { simulated: true, label: SIM_LABEL, seed: opts.seed, systems: seeded.systemsAdded.map(({ id, token, secret }) => ({ id, token, secret })) };
          writePrivateFile(resolve(ctx.cwd, opts.credentials), `${JSON.stringify(file, null, 2)}\n`);
        }
        if (!opts.json) {
          ctx.out(`${SIM_LABEL} Sổ đăng ký / Registry: ${seeded.agenciesAdded} agencies added, ${seeded.changesApplied} merged or dissolved, `
            + `${seeded.systemsAdded.length} systems added (${seeded.systemsExisting.length} existed)`
            + (opts.credentials !== undefined && seeded.systemsAdded.length > 0 ? `; tokens in ${opts.credentials}` : ''));
          if (seeded.systemsAdded.length > 0 && opts.credentials === undefined) ctx.out('  (không lưu token / tokens not kept: give --credentials FILE to run live later, or rotate with "vdxp system rotate-secret")');
        }
        if (opts.history === undefined) {
          if (opts.json) ctx.out(JSON.stringify({ seeded: { ...seeded, systemsAdded: seeded.systemsAdded.map((s) => s.id), legacyCodes: seeded.legacyCodes.length } }));
          return;
        }
        const end = startOfVnDay(ctx.now().getTime());
        const report = await writeHistory(hub, reg, {
          days: opts.history, end, seed: opts.seed, rate: opts.rate ?? 1,
          ...(opts.documents !== undefined ? { documentsMax: opts.documents } : {}),
          ...(opts.inFlight !== undefined ? { inFlight: opts.inFlight } : {}),
          ...(opts.through !== undefined ? { through: opts.through } : {}),
          ...(opts.batch !== undefined ? { documentsPerCommit: opts.batch } : {}),
          ...(opts.legacy ? { legacyCodes: seeded.legacyCodes } : {}),
          onProgress: (p) => {
            if (!opts.json && /\/(01|11|21)$/.test(p.day)) ctx.err(`  ${p.day}: ${p.documents} documents, ${p.steps} steps, ${p.seconds.toFixed(0)} s`);
          },
        });
        if (opts.json) ctx.out(JSON.stringify({ seeded: { agenciesAdded: seeded.agenciesAdded, systemsAdded: seeded.systemsAdded.length }, history: report }));
        else printHistory(ctx, report);
      });
    });
}

function throughArg(v: string): 'batch' | 'intake' {
  if (v !== 'batch' && v !== 'intake') throw new CliError(`--through: batch hoặc intake, không phải "${v}" / batch or intake, not "${v}"`, EXIT_CODES.usage);
  return v;
}

function printHistory(ctx: CliContext, r: HistoryReport): void {
  ctx.out(`${SIM_LABEL} Lịch sử / History ${r.from.slice(0, 10)} → ${r.to.slice(0, 10)}: ${r.documents} documents, ${r.deliveries} deliveries, `
    + `${r.fetches} fetched and acked, ${r.statuses} statuses, ${r.recalls} recalls, ${r.updates} updates or replacements, ${r.overdueFlagged} overdue`);
  ctx.out(`  Thời gian / Took ${r.seconds.toFixed(1)} s: ${r.documentsPerSecond.toFixed(1)} documents/s, ${r.stepsPerSecond.toFixed(0)} steps/s, `
    + `${r.through === 'batch' ? `${r.commits} transactions, ` : 'one transaction per step, '}peak RSS ${(r.peakRssBytes / 1048576).toFixed(0)} MB`
    + (r.bulkFinishSeconds > 0 ? `; chỉ mục và số liệu tổng hợp dựng lại / indexes and rollups built at the end in ${r.bulkFinishSeconds.toFixed(1)} s` : ''));
  const refused = Object.entries(r.refused);
  if (refused.length > 0) ctx.out(`  Bị từ chối đúng luật / Refused by the rules: ${refused.map(([c, n]) => `${c} ×${n}`).join(', ')}`);
  if (r.resent > 0) ctx.out(`  Đã có từ trước / Accepted before (same seed and span): ${r.resent}`);
}

async function live(ctx: CliContext, opts: SimulateOptions): Promise<void> {
  if (opts.credentials === undefined) {
    throw new CliError('--hub cần --credentials FILE (tạo bằng "vdxp simulate --data DIR --credentials FILE") / --hub needs --credentials FILE '
      + '(made by "vdxp simulate --data DIR --credentials FILE")', EXIT_CODES.usage);
  }
  let file: CredentialsFile;
  try {
    file = JSON.parse(readFileSync(resolve(ctx.cwd, opts.credentials), 'utf8')) as CredentialsFile;
    if (file.simulated !== true || !Array.isArray(file.systems)) throw new Error('not a credentials file written by vdxp simulate');
  } catch (e) {
    throw new CliError(`không đọc được / cannot read ${opts.credentials}: ${(e as Error).message}`, EXIT_CODES.usage, { cause: e });
  }
  const reg = nationalRegistry(file.seed);
  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.once('SIGINT', onSignal);
  let report: LiveReport;
  try {
    report = await runLive({
      transport: new ClientNativeTransport(opts.hub ?? ''), registry: reg, tokens: new Map(file.systems.map((s) => [s.id, s.token])),
      seed: opts.seed, ratePerSecond: opts.rate ?? 1, durationMs: opts.duration, speed: opts.speed, signal: abort.signal,
      ...(opts.inFlight !== undefined ? { inFlightMax: opts.inFlight } : {}),
      onTick: (s) => { if (!opts.json) ctx.err(`  ${s.seconds.toFixed(0)} s: ${s.sent} sent, ${s.fetched} received, ${s.statusesSent} statuses`); },
    });
  } catch (e) {
    throw new CliError(`mô phỏng dừng / the simulation stopped: ${(e as Error).message}`, EXIT_CODES.failed, { cause: e });
  } finally {
    process.removeListener('SIGINT', onSignal);
  }
  if (opts.json) return ctx.out(JSON.stringify(report));
  ctx.out(`${SIM_LABEL} ${report.seconds} s: ${report.sent} documents sent (${report.sentPerSecond}/s of ${report.askedPerSecond} asked, ${report.behind} behind), `
    + `${report.deliveries} deliveries, ${report.fetched} received, ${report.statusesSent} statuses sent, ${report.statusesReceived} received, ${report.recalls} recalls`);
  ctx.out(`  submit p50/p99 ${report.submitP50Ms}/${report.submitP99Ms} ms; accepted → acked p50/p99 ${report.deliveryLagP50Ms}/${report.deliveryLagP99Ms} ms; `
    + `${report.unackedAtEnd} unacked at the end; down for a simulated hour: ${report.downSystem ?? 'none'}`);
}

function intArg(value: string): number {
  if (!/^\d{1,9}$/.test(value.trim())) throw new InvalidArgumentError('a whole number / một số nguyên');
  return Number(value);
}

function positiveArg(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('a positive number / một số dương');
  return n;
}

/** `12m` → 365 days, `30d`, `2w`, `1y`: a whole number of days, at most HISTORY_DAYS_MAX. */
function spanDaysArg(value: string): number {
  const m = /^(\d{1,4})([dwmy])$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError('a span such as 12m, 30d, 2w or 1y / khoảng thời gian, ví dụ 12m');
  const n = Number(m[1]);
  const days = m[2] === 'd' ? n : m[2] === 'w' ? n * 7 : m[2] === 'm' ? Math.round((n * 365) / 12) : n * 365;
  if (days < 1 || days > HISTORY_DAYS_MAX) throw new InvalidArgumentError(`from 1 day to ${HISTORY_DAYS_MAX} days`);
  return days;
}
