// `vdxp serve`: the embedded hub — SQLite and a content-addressed packet folder under --data, the native API,
// docs and metrics on one port, the periodic sweep, a demo registry on first run, and a graceful stop on
// SIGINT/SIGTERM. startServe does the work and returns a handle, so tests run it in-process.

import { join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { InvalidArgumentError, Option, type Command } from 'commander';
import {
  ARCHIVE_DIR_NAME, DEMO_LABEL, DEMO_SYSTEM_PREFIX, HubError, PushNotifier, buildServer, openHub, registryIsEmpty, seedDemo, seedDemoUsers, startArchiveSchedule,
  type DemoSeedResult, type Hub, type HubLimits, type TlsOptions,
} from '@vdxp/hub';
import { readFileSync } from 'node:fs';
import { CliError, EXIT_CODES, type CliContext } from '../context.ts';
import { durationArg, durationMsArg, formatDuration } from '../duration.ts';
import { labelled } from '../format.ts';
import { DATA_DIR_DEFAULT, redactUrl } from '../hub-access.ts';
import { byteSizeArg, countArg, limitsBanner, serveLimits, type LimitFlags } from '../serve-limits.ts';
import { credentialLines } from './system.ts';

export const PORT_DEFAULT = 8080;
/** Loopback by default: a first `vdxp serve` with demo credentials must not be reachable from the network. */
export const HOST_DEFAULT = '127.0.0.1';
/** How often expiry and overdue flags are swept. */
export const SWEEP_INTERVAL_MS = 60_000;

export interface ServeOptions {
  dataDir: string;
  /** A node on this PostgreSQL database (shared with other nodes) instead of the data folder's SQLite. */
  databaseUrl?: string;
  /** The sealing key file the nodes share (with databaseUrl). */
  keyFile?: string;
  port: number;
  host: string;
  /** true: seed the demo registry (idempotent); false: never; undefined: only into an empty registry, on SQLite. */
  demo?: boolean;
  /** Fastify's request log on stdout (the command turns it on; tests keep it off). */
  logger?: boolean;
  /** Where the banner goes, one line per call. */
  out: (line: string) => void;
  /** HTTPS, and with a client CA mutual TLS (see TlsOptions in @vdxp/hub). */
  tls?: TlsOptions;
  /** Refuse packets without a valid XML signature (default: record the verdict only). */
  requireValidSignature?: boolean;
  /** The limits to run with (serveLimits checks an operator's); the defaults when absent. */
  limits?: HubLimits;
  /** Archive, hourly, documents ended and received this long ago (`vdxp archive`); off when absent. */
  archiveAfterMs?: number;
}

export interface ServeHandle {
  /** Base URL a client on this machine reaches the hub at (the real port when --port 0). */
  url: string;
  port: number;
  hub: Hub;
  /** What the demo seeding did, when it ran. */
  demo: DemoSeedResult | undefined;
  /** Demo console accounts created by this run, with their only clear copy of the password. */
  demoUsers: Awaited<ReturnType<typeof seedDemoUsers>>;
  /** Stops taking requests, lets those in flight finish, then closes the hub. Idempotent. */
  close(): Promise<void>;
}

export function registerServe(program: Command, ctx: CliContext): void {
  program.command('serve')
    .summary('run the hub / chạy trục')
    .description('Chạy trục liên thông trên máy này / Run the hub: SQLite and a packet folder under --data, the native '
      + 'API, /docs, /openapi.json and /metrics. Listens on 127.0.0.1 (this machine only) unless --host says otherwise; '
      + 'use --host 0.0.0.0 to expose it. On a new, empty data folder it seeds a demo registry and prints its '
      + 'credentials. Stops cleanly on Ctrl+C or SIGTERM.')
    .option('--data <dir>', 'thư mục dữ liệu / data folder', DATA_DIR_DEFAULT)
    .addOption(new Option('--database <url>', 'chạy một nút trên PostgreSQL dùng chung / run a node on a shared PostgreSQL database, postgres://user@host:port/db (no data folder)')
      .env('VDXP_DATABASE_URL'))
    .addOption(new Option('--key-file <file>', 'khóa niêm phong dùng chung của các nút / the sealing key file every node shares (with --database; created if missing)')
      .env('VDXP_KEY_FILE'))
    .option('--port <n>', `port (0: any free port, printed at start)`, portArg, PORT_DEFAULT)
    .option('--host <host>', `address to listen on: ${HOST_DEFAULT} by default (this machine only), 0.0.0.0 to expose`, HOST_DEFAULT)
    .option('--demo', 'seed the demo registry (the default when the registry is empty)')
    .option('--no-demo', 'do not seed the demo registry')
    .option('--tls-cert <file>', 'PEM certificate: serve HTTPS (with --tls-key)')
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .option('--tls-client-ca <file>', 'PEM CA of client certificates: mutual TLS, the certificate CN must be the system id')
    .option('--require-signature', 'refuse packets without a valid XML signature / từ chối gói tin không có chữ ký số hợp lệ')
    .option('--config <file>', 'JSON file of limits by their HubLimits names, e.g. {"deliveryAttemptsMax": 5, "edxml": {"packetBytesMax": 536870912}}; flags override it')
    .option('--packet-bytes-max <size>', 'largest packet accepted: bytes or 512MiB, 1GiB (default 1 GiB)', byteSizeArg)
    .option('--delivery-attempts-max <n>', 'failed deliveries before a delivery is dead-lettered (default 10)', countArg)
    .option('--delivery-ttl <duration>', 'how long a delivery waits for its recipient: seconds or 12h, 30d (default 30d)', durationArg)
    .option('--archive-after <duration>', 'archive hourly the documents ended and received this long ago, e.g. 90d (off by default) / lưu trữ định kỳ', durationMsArg)
    .action(async (opts: LimitFlags & { data: string; database?: string; keyFile?: string; port: number; host: string; demo?: boolean; tlsCert?: string; tlsKey?: string; tlsClientCa?: string; requireSignature?: boolean; archiveAfter?: number }) => {
      if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined) || (opts.tlsClientCa !== undefined && opts.tlsCert === undefined)) {
        throw new CliError('--tls-cert và --tls-key đi cùng nhau; --tls-client-ca cần cả hai / --tls-cert and --tls-key go together; --tls-client-ca needs both', EXIT_CODES.usage);
      }
      const read = (f: string): Buffer => readFileSync(resolve(ctx.cwd, f));
      const limits = serveLimits(opts, ctx.cwd);
      const handle = await startServe({
        limits,
        dataDir: resolve(ctx.cwd, opts.data), port: opts.port, host: opts.host, logger: true, out: ctx.out,
        ...(opts.database !== undefined ? { databaseUrl: opts.database } : {}),
        ...(opts.keyFile !== undefined ? { keyFile: resolve(ctx.cwd, opts.keyFile) } : {}),
        ...(opts.demo !== undefined ? { demo: opts.demo } : {}),
        ...(opts.tlsCert !== undefined && opts.tlsKey !== undefined ? { tls: {
          cert: read(opts.tlsCert), key: read(opts.tlsKey), ...(opts.tlsClientCa !== undefined ? { clientCa: read(opts.tlsClientCa) } : {}),
        } } : {}),
        ...(opts.requireSignature === true ? { requireValidSignature: true } : {}),
        ...(opts.archiveAfter !== undefined ? { archiveAfterMs: opts.archiveAfter } : {}),
      });
      const signal = await shutdownSignal();
      ctx.out(`vdxp: nhận / got ${signal}; đang dừng, chờ các yêu cầu dở dang / stopping, letting requests in flight finish…`);
      await handle.close();
      ctx.out('vdxp: đã dừng / stopped');
    });
}

function portArg(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65_535) throw new InvalidArgumentError('a port number from 0 to 65535');
  return n;
}

/** Opens the hub on the data folder, seeds the demo registry if asked, listens, starts the sweep, prints the banner. */
export async function startServe(o: ServeOptions): Promise<ServeHandle> {
  let hub: Hub;
  try {
    hub = await openHub({
      ...(o.databaseUrl !== undefined ? { databaseUrl: o.databaseUrl, ...(o.keyFile !== undefined ? { keyFile: o.keyFile } : {}) } : { dataDir: o.dataDir }),
      policy: { requireValidSignature: o.requireValidSignature ?? false }, ...(o.limits ? { limits: o.limits } : {}),
    });
  } catch (e) {
    if (e instanceof HubError && ['VDXP_E_DATA_FOLDER_UNSAFE', 'VDXP_E_SCHEMA_NEWER', 'VDXP_E_KEY_MISMATCH'].includes(e.code)) {
      throw new CliError(`${e.code}: ${e.message}`, EXIT_CODES.usage, { cause: e });
    }
    throw e;
  }
  const app = buildServer(hub, { logger: o.logger ?? false, ...(o.tls ? { tls: o.tls } : {}) });
  let demo: DemoSeedResult | undefined;
  let demoUsers: Awaited<ReturnType<typeof seedDemoUsers>> = [];
  let port: number;
  try {
    // Nodes starting together on a new database would each seed it: on PostgreSQL only an explicit --demo does.
    const seed = o.demo ?? (o.databaseUrl === undefined && (await registryIsEmpty(hub.ctx)));
    demo = seed ? await seedDemo(hub.ctx, 'serve:demo') : undefined;
    if (seed) demoUsers = await seedDemoUsers(hub.ctx, 'serve:demo');
    await app.listen({ port: o.port, host: o.host });
    port = (app.server.address() as AddressInfo).port;
  } catch (e) {
    await app.close();
    await hub.close();
    const code = (e as { code?: unknown }).code;
    if (code === 'EADDRINUSE') throw new CliError(`cổng ${o.port} đang bận; chọn --port khác / port ${o.port} is in use: choose another --port`, EXIT_CODES.usage, { cause: e });
    if (code === 'EACCES') throw new CliError(`không được dùng cổng ${o.port}; chọn cổng trên 1024 / port ${o.port} is not allowed: choose one above 1024`, EXIT_CODES.usage, { cause: e });
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new CliError(`máy này không có địa chỉ ${o.host} / this machine has no address ${o.host}: check --host`, EXIT_CODES.usage, { cause: e });
    throw e;
  }
  hub.startSweeper(SWEEP_INTERVAL_MS);
  // Push notices to systems that registered a URL; a restart sends one to each that has deliveries waiting.
  const push = new PushNotifier(hub.ctx, { log: (line) => { console.error(line); } });
  await push.start();
  const archiver = o.archiveAfterMs === undefined ? undefined : startArchiveSchedule(hub.ctx, {
    archiveDir: join(o.dataDir, ARCHIVE_DIR_NAME), olderThanMs: o.archiveAfterMs, actor: 'hub',
    onRun: (run, error) => {
      if (error !== undefined) console.error('vdxp: the scheduled archive failed; it will run again', error);
      for (const a of run?.archives ?? []) o.out(`vdxp: đã lưu trữ / archived ${a.documents} documents, ${a.packets} packets → ${a.path}; freed ${a.bytesFreed} B`);
    },
  });
  const url = `${o.tls ? 'https' : 'http'}://${urlHost(o.host)}:${port}`;
  await printBanner(o, hub, url, demo);
  if (demoUsers.length > 0) {
    o.out(`${DEMO_LABEL} Bảng điều khiển / Console: ${url}/console/ — tài khoản thử, mật khẩu chỉ hiện lần này / demo accounts, passwords shown only this once:`);
    for (const u of demoUsers) o.out(`  ${u.username} / ${u.password}  (${u.role}, ${u.scope ?? 'toàn quốc / everything'})`);
  }
  let closing: Promise<void> | undefined;
  return {
    url, port, hub, demo, demoUsers,
    close() {
      closing ??= (async () => {
        await app.close();
        await push.close();
        await archiver?.stop();
        await hub.close();
      })();
      return closing;
    },
  };
}

/** Resolves with the first of `signals`, then stops listening for them (a second Ctrl+C then ends the process). */
export function shutdownSignal(signals: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM']): Promise<NodeJS.Signals> {
  return new Promise((resolvePromise) => {
    const handler = (s: NodeJS.Signals): void => {
      for (const x of signals) process.off(x, handler);
      resolvePromise(s);
    };
    for (const s of signals) process.on(s, handler);
  });
}

/** A host a local client can use: the wildcard addresses are reached on loopback; IPv6 goes in brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

const isLoopback = (host: string): boolean => host === 'localhost' || host === '::1' || host.startsWith('127.');

async function printBanner(o: ServeOptions, hub: Hub, url: string, demo: DemoSeedResult | undefined): Promise<void> {
  const out = o.out;
  const where = o.databaseUrl !== undefined ? '--database <url> --key-file <file>' : `--data ${o.dataDir}`;
  out(`vdxp đang phục vụ / vdxp is serving at ${url}`);
  for (const line of labelled([
    ['  Dữ liệu / Data', o.databaseUrl !== undefined
      ? `${redactUrl(o.databaseUrl)} (PostgreSQL, gói tin trong CSDL / packets in the database; khóa / key ${o.keyFile ?? '?'})`
      : `${o.dataDir} (SQLite + thư mục gói tin / packet folder)`],
    ['  API gốc / Native API', `${url}/v1/`],
    ['  Tài liệu / Docs', `${url}/docs`],
    ['  OpenAPI', `${url}/openapi.json`],
    ['  Số đo / Metrics', `${url}/metrics`],
    ['  Bảng điều khiển / Console', `${url}/console/`],
    ['  Lưu trữ / Archival', o.archiveAfterMs === undefined ? 'tắt / off (--archive-after 90d)'
      : `hourly: documents ended and received ${formatDuration(o.archiveAfterMs)} ago → ${join(o.dataDir, ARCHIVE_DIR_NAME)}`],
  ])) out(line);
  for (const line of limitsBanner(hub.ctx.limits)) out(line);
  for (const w of hub.warnings) out(`  ${w}`);
  out(isLoopback(o.host)
    ? `  Chỉ máy này truy cập được (${o.host}); mở ra mạng bằng --host 0.0.0.0. / Reachable from this machine only; use --host 0.0.0.0 to expose it.`
    : `  Đang mở ra mạng trên ${o.host}: đặt sau TLS và tường lửa. / Exposed on ${o.host}: put it behind TLS and a firewall.`);
  const r = hub.recovery;
  if (r.completed + r.removedStaged > 0) {
    out(`  Khôi phục sau sự cố / Crash recovery: ${r.completed} gói hoàn tất / packets completed, ${r.removedStaged} tệp dở bị xóa / `
      + 'staged files removed');
  }

  if (demo !== undefined && demo.systemsAdded.length > 0) {
    out('');
    out(`${DEMO_LABEL} Đã tạo danh bạ thử: ${demo.agenciesAdded} cơ quan, ${demo.systemsAdded.length} hệ thống — dữ liệu minh họa, không dùng thật. / `
      + `Seeded a demo registry: ${demo.agenciesAdded} agencies, ${demo.systemsAdded.length} systems — illustration only, not for real use.`);
    for (const s of demo.systemsAdded) {
      out(`  ${s.name} — cơ quan / agencies: ${s.agencies.join(', ')}`);
      for (const line of credentialLines(s)) out(`  ${line}`);
    }
    const first = demo.systemsAdded[0];
    if (first !== undefined) out(`  Thử / Try: curl -H "Authorization: Bearer ${first.token}" ${url}/v1/inbox`);
    out('  Lưu lại ngay: mã truy cập chỉ hiện lần này. / Save these now: the tokens are shown only this once.');
  } else {
    const systems = await hub.ctx.store.listSystems();
    const demoIds = systems.filter((s) => s.id.startsWith(DEMO_SYSTEM_PREFIX)).map((s) => s.id);
    if (demoIds.length > 0) {
      out(`${DEMO_LABEL} Danh bạ thử đã có (${demoIds.join(', ')}); mã truy cập chỉ hiện ở lần chạy đầu. Cấp mới / New credentials: `
        + `vdxp system rotate-secret <id> ${where}`);
    } else if (systems.length === 0) {
      out(`Chưa có hệ thống nào / No systems yet: vdxp agency import <tệp / file> ${where}; `
        + `vdxp system add --id <id> --agencies <mã / codes> ${where}`);
    }
  }
  out('Dừng bằng Ctrl+C / Stop with Ctrl+C.');
}
