// The bulk path against the ordinary one: the same seed written in a store bulk-load session with its batches on
// the store's writer thread, and written without either, leaves the same file, table by table and row by row (documents, deliveries, statuses, keys, packets, the
// evidence chain, counters and their rollups, the word index, the console's totals), with every index and
// trigger back; the chain and every packet verify.

import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, it } from 'node:test';
import { openHub, verifyAudit, type Random } from '@vdxp/hub';
import { writeHistory, type HistoryOptions, type HistoryReport } from './history.ts';
import { nationalRegistry } from './registry.ts';
import { seedNational } from './seed.ts';

const root = mkdtempSync(join(tmpdir(), 'vdxp-sim-bulk-'));
after(() => { rmSync(root, { recursive: true, force: true }); });

const END = Date.UTC(2026, 1, 28, 17);
const reg = nationalRegistry(1);

/** Ids and tokens in a fixed order, so two runs that decide alike name their rows alike. */
function countingRandom(): Random {
  let n = 0;
  const hex = (): string => (++n).toString(16).padStart(32, '0');
  return {
    uuid: () => { const h = hex(); return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20)}`; },
    token: (bytes) => hex().repeat(Math.ceil((bytes * 2) / 32)).slice(0, bytes * 2),
  };
}

async function run(name: string, o: Partial<HistoryOptions>): Promise<{ path: string; report: HistoryReport }> {
  const dataDir = join(root, name);
  const hub = await openHub({ dataDir, random: countingRandom(), clock: { now: () => END } });
  try {
    await seedNational(hub.ctx, reg);
    const report = await writeHistory(hub, reg, { days: 5, end: END, seed: 6, rate: 0.012, documentsPerCommit: 25, ...o });
    const audit = await verifyAudit(hub.ctx);
    assert.equal(audit.ok, true, `${name}: ${JSON.stringify(audit.brokenAt ?? audit.packetProblems.slice(0, 3))}`);
    return { path: join(dataDir, 'vdxp.sqlite'), report };
  } finally {
    await hub.close();
  }
}

/** Every table's rows (sorted), the word index's rows and matches, and the schema's indexes and triggers. */
function contents(path: string): Record<string, string[]> {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const out: Record<string, string[]> = {};
    const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'documents_text%'
      AND name <> 'schema_migrations' ORDER BY name`).all().map((r) => String(r['name']));
    const rows = (sql: string): string[] => db.prepare(sql).all().map((r) => JSON.stringify(Object.values(r), (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v))).sort();
    // A system's secret is sealed with a fresh nonce each time: compared by everything else.
    const select = (t: string): string => (t === 'systems' ? 'SELECT id, name, token_hash, state, push_url, vdxp_strict, created_at, updated_at FROM systems'
      : /rollup/.test(t) ? `SELECT * FROM "${t}" WHERE value <> 0` : `SELECT * FROM "${t}"`);
    for (const t of tables) out[t] = rows(select(t));
    out['documents_text'] = rows('SELECT rowid, edxml_id, code_notation, subject FROM documents_text');
    out['documents_text MATCH'] = rows(`SELECT rowid FROM documents_text WHERE documents_text MATCH '"UBND"'`);
    out['schema'] = rows("SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger')");
    return out;
  } finally {
    db.close();
  }
}

it('writes in a bulk-load session, on a writer thread, exactly what it writes without them, and leaves every index and trigger in place', async () => {
  const ordinary = await run('ordinary', { bulk: false, writerThread: false });
  // The defaults: a bulk-load session, batches written on the store's writer thread while the next is decided.
  const bulk = await run('bulk', {});
  const { seconds: _a, documentsPerSecond: _b, stepsPerSecond: _c, peakRssBytes: _d, bulkFinishSeconds: _e, ...r } = bulk.report;
  const { seconds: _f, documentsPerSecond: _g, stepsPerSecond: _h, peakRssBytes: _i, bulkFinishSeconds: _j, ...o } = ordinary.report;
  assert.deepEqual(r, o);
  assert.ok(r.documents > 150 && r.statuses > 100 && r.recalls > 0 && r.updates > 0 && r.overdueFlagged > 0, JSON.stringify(r));
  const a = contents(ordinary.path);
  const b = contents(bulk.path);
  assert.deepEqual(Object.keys(b), Object.keys(a));
  for (const t of Object.keys(a)) {
    const [x, y] = [a[t] ?? [], b[t] ?? []];
    const at = x.findIndex((row, i) => row !== y[i]);
    assert.ok(x.length === y.length && at < 0, `${t}: ${y.length} rows against ${x.length}; first difference ${y[at] ?? '-'} against ${x[at] ?? '-'}`);
  }
  // The comparison compared something: the tables the console reads are full.
  for (const t of ['documents', 'deliveries', 'delivery_statuses', 'events', 'counters', 'counter_rollup', 'counter_scope_rollup', 'documents_text', 'documents_text MATCH']) {
    assert.ok((a[t]?.length ?? 0) > 0, t);
  }
  assert.deepEqual(b['bulk_load'], [], 'the session ended');
  assert.ok(b['schema']?.some((s) => s.includes('counters_rollup_insert')) && b['schema']?.some((s) => s.includes('deliveries_inbox')));
});
