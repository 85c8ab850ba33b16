// A real hub server as a child process, for the crash test and the benchmark: `node crash-server.ts <dataDir>`,
// or `node crash-server.ts postgres://…` for a node on a shared database (key file: VDXP_KEY_FILE; start the
// first node alone, since it seeds the registry).
// Seeds a small fixed registry on a new folder (printing the bearer tokens once), then serves on 127.0.0.1.
//
// Lines on stdout, one JSON object each: {"tokens":{…}} on the first start of a folder only, then
// {"ready":true,"port":N,"pid":P,"recovery":{…}} once it listens; with VDXP_BENCH_COMMIT_TIMES=1, also
// {"committed":documentId,"at":ms} per new document, `at` its commit instant on the machine's clock
// (performance.timeOrigin + performance.now(), comparable across processes); on stderr, {"serverError":…} per failed request. It exits on SIGTERM (cleanly) and when its
// stdin closes (the parent died), so a killed driver never leaves a server behind.

import { openHub } from '../src/hub.ts';
import { buildServer } from '../src/http/server.ts';
import { addSystem, importAgencies } from '../src/registry.ts';

export const CRASH_AGENCIES = [
  { code: '000.00.00.G22', name: 'Văn phòng Chính phủ' },
  { code: '000.00.00.G12', name: 'Bộ Tài chính' },
  { code: '000.00.00.H41', name: 'UBND tỉnh Nghệ An' },
  { code: '000.00.15.H41', name: 'Sở Nội vụ tỉnh Nghệ An' },
  { code: '000.00.00.H14', name: 'UBND tỉnh Cao Bằng' },
];

/** Every system both sends and receives; nghean acts for two agencies, as SaaS systems do. */
export const CRASH_SYSTEMS = [
  { name: 'gov', id: 'sys.gov', agencies: ['000.00.00.G22'], secret: 'crash-gov-secret' },
  { name: 'mof', id: 'sys.mof', agencies: ['000.00.00.G12'], secret: 'crash-mof-secret' },
  { name: 'nghean', id: 'sys.nghean', agencies: ['000.00.00.H41', '000.00.15.H41'], secret: 'crash-nghean-secret' },
  { name: 'caobang', id: 'sys.caobang', agencies: ['000.00.00.H14'], secret: 'crash-caobang-secret' },
] as const;

export type CrashSystemName = (typeof CRASH_SYSTEMS)[number]['name'];

/** How often the server checks that its parent is still there (stdin closing covers most cases already). */
const PARENT_CHECK_INTERVAL_MS = 1000;

async function main(): Promise<void> {
  const dataDir = process.argv[2];
  if (!dataDir) {
    console.error('usage: node crash-server.ts <dataDir> [port]');
    process.exit(2);
  }
  const port = Number(process.argv[3] ?? 0);
  const hub = dataDir.startsWith('postgres://') || dataDir.startsWith('postgresql://')
    ? await openHub({ databaseUrl: dataDir, ...(process.env['VDXP_KEY_FILE'] ? { keyFile: process.env['VDXP_KEY_FILE'] } : {}) })
    : await openHub({ dataDir });
  if ((await hub.ctx.store.listSystems()).length === 0) {
    await importAgencies(hub.ctx, CRASH_AGENCIES, 'crash-server');
    const tokens: Record<string, string> = {};
    for (const s of CRASH_SYSTEMS) {
      tokens[s.name] = (await addSystem(hub.ctx, { id: s.id, agencies: [...s.agencies], secret: s.secret }, 'crash-server')).token;
    }
    process.stdout.write(`${JSON.stringify({ tokens })}\n`);
  }
  if (process.env['VDXP_BENCH_COMMIT_TIMES'] === '1') {
    // Emitted by intake right after it committed the document and woke the inbox waiters (same tick).
    hub.ctx.emitter.on('document:accepted', ({ documentId }) => {
      const at = performance.timeOrigin + performance.now();
      process.stdout.write(`${JSON.stringify({ committed: documentId, at })}\n`);
    });
  }
  const app = buildServer(hub);
  // The hub answers unexpected failures with a bare 500; the driver wants their cause, so each goes to
  // stderr as one JSON line ({"serverError":…}) that HubProcess counts.
  app.addHook('onError', async (req, _reply, error) => {
    const e = error as Error & { code?: unknown; cause?: unknown };
    const cause = e.cause instanceof Error ? `${(e.cause as Error & { code?: string }).code ?? ''} ${e.cause.message}`.trim() : undefined;
    process.stderr.write(`${JSON.stringify({ serverError: {
      route: `${req.method} ${req.routeOptions.url ?? req.url}`, code: e.code ?? e.name, message: e.message,
      ...(cause ? { cause } : {}),
    } })}\n`);
  });
  const address = await app.listen({ port, host: '127.0.0.1' });
  const listening = Number(new URL(address).port);
  process.stdout.write(`${JSON.stringify({ ready: true, port: listening, pid: process.pid, recovery: hub.recovery })}\n`);

  let stopping = false;
  const stop = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await app.close();
    await hub.close();
    process.exit(code);
  };
  process.on('SIGTERM', () => { void stop(0); });
  process.stdin.on('end', () => { void stop(0); });
  process.stdin.on('error', () => { void stop(0); });
  process.stdin.resume();
  const parent = process.ppid;
  setInterval(() => { if (process.ppid !== parent) void stop(0); }, PARENT_CHECK_INTERVAL_MS).unref();
}

if (import.meta.main) {
  main().catch((e: unknown) => {
    console.error('crash-server: failed to start', e);
    process.exit(1);
  });
}
