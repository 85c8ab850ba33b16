// `bash scripts/dev.sh node scripts/startup-bench.ts [--documents N]`: how long `vdxp serve` takes to answer
// /readyz, and its peak RSS, on a data folder holding N documents (default 1,000,000), against an empty one.
//
// The folder is filled in SQL directly, in big transactions (a million rows in seconds, where a million
// submits would take hours): each document has its own digest, as in a real store, and one delivery; packet
// bytes are not stored, since start-up reads none. Two staged files are left in tmp/ as a crash leaves them:
// one holds the bytes of a stored document's digest (recovery must move it into place), one is unknown
// (recovery must remove it). Also measured: the first start after an upgrade from a version without the
// digest index (the migration builds it), and what the old start-up's Set of every digest cost.

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { addSystem, importAgencies, openHub } from '@vdxp/hub';

const CLI_MAIN = fileURLToPath(new URL('../packages/cli/src/main.ts', import.meta.url));
/** Rows per transaction while filling (one fsync each; synchronous is off while filling anyway). */
const FILL_ROWS_PER_TRANSACTION = 50_000;
/** Longest a start may take before the bench gives up (a million documents start in seconds). */
const START_TIMEOUT_MS = 600_000;
/** How often /readyz is asked once the banner printed. */
const READY_POLL_MS = 20;
const DOCUMENTS_DEFAULT = 1_000_000;
const FROM = '000.00.00.G22';
const TO = '000.00.00.H41';

export interface StartFigures {
  /** From spawning `vdxp serve` to the first /readyz 200, in ms (Node's own start and module loading included). */
  readyMs: number;
  /** VmHWM of the serving process once ready, in MB. */
  peakRssMB: number;
  /** The banner's crash-recovery line, when there was one. */
  recoveryLine: string | undefined;
}

export interface StartupFigures {
  case: 'hub-startup';
  documents: number;
  databaseMB: number;
  fillSeconds: number;
  empty: StartFigures;
  filled: StartFigures;
  /** The first start on a folder an older version filled: the migration builds documents_digest. */
  upgrade: StartFigures;
  /** The old start-up's `SELECT DISTINCT digest FROM documents` into a Set, in a process of its own. */
  oldDigestSet: { ms: number; rssGrowthMB: number; digests: number };
}

const digestOf = (i: number): string => createHash('sha256').update(`packet ${i}`).digest('hex');
const mb = (bytes: number): number => Number((bytes / 1024 / 1024).toFixed(1));

/** A data folder with a registry, then `documents` documents and deliveries inserted in SQL. */
async function fill(dir: string, documents: number): Promise<void> {
  const hub = await openHub({ dataDir: dir });
  try {
    await importAgencies(hub.ctx, [{ code: FROM, name: 'Văn phòng Chính phủ' }, { code: TO, name: 'UBND tỉnh Nghệ An' }], 'bench');
    await addSystem(hub.ctx, { id: 'sys.gov', agencies: [FROM] }, 'bench');
    await addSystem(hub.ctx, { id: 'sys.nghean', agencies: [TO] }, 'bench');
  } finally {
    await hub.close();
  }
  const db = new DatabaseSync(join(dir, 'vdxp.sqlite'));
  try {
    db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF;');
    const doc = db.prepare(`INSERT INTO documents (id, seq, kind, business_type, from_agency, sender_system, edxml_id, subject, code_number,
      code_notation, status_code, answers, due_at, digest, bytes, header, signature, received_at)
      VALUES (?, ?, 'edoc', 0, ?, 'sys.gov', ?, ?, ?, 'CV-BENCH', NULL, NULL, NULL, ?, 2048, ?, '{"present":false}', ?)`);
    const delivery = db.prepare(`INSERT INTO deliveries (id, seq, document_id, kind, recipient, addressed_to, state, attempts, created_at, acked_at, expires_at)
      VALUES (?, ?, ?, 'edoc', ?, ?, 'done', 0, ?, ?, ?)`);
    const t0 = Date.UTC(2026, 0, 1);
    for (let from = 1; from <= documents; from += FILL_ROWS_PER_TRANSACTION) {
      db.exec('BEGIN');
      for (let i = from; i < Math.min(from + FILL_ROWS_PER_TRANSACTION, documents + 1); i++) {
        const id = `bench-doc-${i}`;
        const edxmlId = `${FROM},2026/01/01,${i}/CV-BENCH`;
        const header = JSON.stringify({ MessageHeader: { From: { OrganId: FROM }, To: [{ OrganId: TO }], DocumentId: edxmlId, Subject: `Công văn ${i}` } });
        doc.run(id, i, FROM, edxmlId, `Công văn ${i}`, String(i), digestOf(i), header, t0 + i);
        delivery.run(`bench-dlv-${i}`, i, id, TO, TO, t0 + i, t0 + i + 1000, t0 + i + 30 * 86_400_000);
      }
      db.exec('COMMIT');
    }
    db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
}

/** Leaves two staged files as a crash does: one a document names (to be moved into place), one unknown. */
function stageCrashLeftovers(dir: string, documents: number): void {
  writeFileSync(join(dir, 'tmp', 'crash-known.part'), `packet ${Math.max(1, Math.floor(documents / 2))}`, { mode: 0o600 });
  writeFileSync(join(dir, 'tmp', 'crash-unknown.part'), 'never committed', { mode: 0o600 });
}

/** Spawns `vdxp serve` on `dir`, waits for /readyz 200, reads its peak RSS, stops it with SIGTERM. */
async function timeStart(dir: string): Promise<StartFigures> {
  const started = performance.now();
  const child = spawn(process.execPath, [CLI_MAIN, 'serve', '--data', dir, '--port', '0', '--no-demo'], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_NO_WARNINGS: '1' },
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString('utf8'); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    let url: string | undefined;
    let recoveryLine: string | undefined;
    const timer = setTimeout(() => child.kill('SIGKILL'), START_TIMEOUT_MS);
    for await (const line of createInterface({ input: child.stdout })) {
      url ??= /is serving at (http:\/\/\S+)$/.exec(line)?.[1];
      if (line.includes('Crash recovery')) recoveryLine = line.trim();
      if (line.startsWith('Dừng bằng Ctrl+C')) break;
    }
    clearTimeout(timer);
    if (url === undefined) throw new Error(`vdxp serve did not start. Its stderr:\n${stderr}`);
    for (;;) {
      const res = await fetch(`${url}/readyz`).catch(() => undefined);
      if (res?.status === 200) break;
      await new Promise((r) => setTimeout(r, READY_POLL_MS));
    }
    const readyMs = performance.now() - started;
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
    return { readyMs: Math.round(readyMs), peakRssMB: mb(Number(hwm?.[1] ?? 0) * 1024), recoveryLine };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

/** What the old start-up did before listening: every document's digest into a Set. */
function oldDigestSet(dir: string): StartupFigures['oldDigestSet'] {
  const script = `
    const { DatabaseSync } = require('node:sqlite');
    const db = new DatabaseSync(${JSON.stringify(join(dir, 'vdxp.sqlite'))}, { readOnly: true });
    const before = process.memoryUsage().rss;
    const t = performance.now();
    const set = new Set(db.prepare('SELECT DISTINCT digest FROM documents').all().map((r) => r.digest));
    const ms = performance.now() - t;
    console.log(JSON.stringify({ ms: Math.round(ms), rssGrowthMB: Number(((process.memoryUsage().rss - before) / 1048576).toFixed(1)), digests: set.size }));`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, NODE_NO_WARNINGS: '1' } });
  if (r.status !== 0) throw new Error(`the old digest Set could not be measured: ${r.stderr}`);
  return JSON.parse(r.stdout) as StartupFigures['oldDigestSet'];
}

/** Removes what migration 005 added, as a folder an older version wrote looks. */
function asOlderVersion(dir: string): void {
  const db = new DatabaseSync(join(dir, 'vdxp.sqlite'));
  try {
    db.exec("DROP INDEX documents_digest; DELETE FROM schema_migrations WHERE name = '007_documents_digest_index.sql';");
  } finally {
    db.close();
  }
}

export async function benchStartup(o: { documents: number; out: (line: string) => void }): Promise<StartupFigures> {
  const root = mkdtempSync(join(tmpdir(), 'vdxp-startup-bench-'));
  try {
    const emptyDir = join(root, 'empty');
    await fill(emptyDir, 0);
    const empty = await timeStart(emptyDir);
    const dir = join(root, 'filled');
    const t = performance.now();
    await fill(dir, o.documents);
    const fillSeconds = Number(((performance.now() - t) / 1000).toFixed(1));
    const oldSet = oldDigestSet(dir);
    asOlderVersion(dir);
    stageCrashLeftovers(dir, o.documents);
    const upgrade = await timeStart(dir);
    stageCrashLeftovers(dir, o.documents);
    rmSync(join(dir, 'blobs', digestOf(Math.max(1, Math.floor(o.documents / 2))).slice(0, 2)), { recursive: true, force: true });
    const filled = await timeStart(dir);
    const dbBytes = ['vdxp.sqlite', 'vdxp.sqlite-wal'].map((f) => join(dir, f)).filter((p) => existsSync(p))
      .reduce((sum, p) => sum + Number(spawnSync('stat', ['-c', '%s', p], { encoding: 'utf8' }).stdout.trim()), 0);
    const figures: StartupFigures = {
      case: 'hub-startup', documents: o.documents, databaseMB: mb(dbBytes), fillSeconds, empty, filled, upgrade, oldDigestSet: oldSet,
    };
    o.out(JSON.stringify(figures));
    o.out(`startup: ${o.documents} documents (${figures.databaseMB} MB database): ready in ${filled.readyMs} ms, peak RSS ${filled.peakRssMB} MB; `
      + `empty folder ${empty.readyMs} ms, ${empty.peakRssMB} MB; first start after the upgrade (index built) ${upgrade.readyMs} ms, `
      + `${upgrade.peakRssMB} MB; the old Set of every digest alone: ${oldSet.ms} ms, +${oldSet.rssGrowthMB} MB`);
    return figures;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const at = process.argv.indexOf('--documents');
  const documents = at >= 0 ? Number(process.argv[at + 1]) : DOCUMENTS_DEFAULT;
  if (!Number.isInteger(documents) || documents < 1) {
    console.error('usage: node scripts/startup-bench.ts [--documents N]');
    process.exitCode = 2;
  } else {
    await benchStartup({ documents, out: (l) => console.log(l) });
  }
}
