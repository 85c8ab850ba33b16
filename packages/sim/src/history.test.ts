// History written in batches against the same history written through the hub's per-document path: the same
// seed gives the same counters (day, agency, metric), delivery states, statuses and evidence events by type;
// the chain verifies; and the console's counters equal the rows they count, read from the SQLite file itself.

import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { openHub, verifyAudit, type Hub } from '@vdxp/hub';
import { startPostgres, type PgCluster } from '../../hub/test-support/postgres.ts';
import { writeHistory, type HistoryReport } from './history.ts';
import { nationalRegistry } from './registry.ts';
import { seedNational } from './seed.ts';

const root = mkdtempSync(join(tmpdir(), 'vdxp-sim-history-'));
let cluster: PgCluster | undefined;
after(async () => {
  await cluster?.destroy();
  rmSync(root, { recursive: true, force: true });
});

const END = Date.UTC(2026, 1, 28, 17); // the start of 2026-03-01 in Việt Nam
const reg = nationalRegistry(1);

interface Figures {
  report: Omit<HistoryReport, 'through' | 'commits' | 'seconds' | 'documentsPerSecond' | 'stepsPerSecond' | 'peakRssBytes' | 'bulkFinishSeconds'>;
  counters: string[];
  states: Record<string, number>;
  events: Record<string, number>;
  rows: Record<string, number>;
}

/** The row counts the counters must equal, in SQL both engines read alike (`overdueTrue`: how each writes the flag). */
const ROWS = (overdueTrue: string): Record<string, string> => ({
  edocs: "SELECT count(*) AS n FROM documents WHERE kind = 'edoc'",
  statusDocs: "SELECT count(*) AS n FROM documents WHERE kind = 'status' AND sender_system <> 'hub'",
  hubStatusDocs: "SELECT count(*) AS n FROM documents WHERE sender_system = 'hub'",
  edocDeliveries: "SELECT count(*) AS n FROM deliveries WHERE kind = 'edoc'",
  delivered: "SELECT count(*) AS n FROM deliveries WHERE kind = 'edoc' AND acked_at IS NOT NULL",
  overdue: `SELECT count(*) AS n FROM deliveries WHERE overdue = ${overdueTrue}`,
  rejected: "SELECT count(*) AS n FROM delivery_statuses WHERE status_code = '02'",
  statuses: 'SELECT count(*) AS n FROM delivery_statuses',
  links: 'SELECT count(*) AS n FROM document_links',
  sentCounted: "SELECT coalesce(sum(value), 0) AS n FROM counters WHERE metric = 'sent'",
  receivedCounted: "SELECT coalesce(sum(value), 0) AS n FROM counters WHERE metric = 'received'",
  deliveredCounted: "SELECT coalesce(sum(value), 0) AS n FROM counters WHERE metric = 'delivered'",
  statusesCounted: "SELECT coalesce(sum(value), 0) AS n FROM counters WHERE metric = 'statuses_sent'",
  overdueCounted: "SELECT coalesce(sum(value), 0) AS n FROM counters WHERE metric = 'overdue'",
  rejectedCounted: "SELECT coalesce(sum(value), 0) AS n FROM counters WHERE metric = 'rejected'",
  rollupSent: "SELECT coalesce(sum(value), 0) AS n FROM counter_rollup WHERE metric = 'sent'",
});

async function run(name: string, through: 'batch' | 'intake', engine: 'sqlite' | 'postgres' = 'sqlite'): Promise<Figures & { commits: number }> {
  const dataDir = join(root, name);
  let hub: Hub;
  let pgRows: (() => Promise<Record<string, number>>) | undefined;
  if (engine === 'postgres') {
    cluster ??= await startPostgres();
    const databaseUrl = await cluster.createDatabase();
    hub = await openHub({ databaseUrl, keyFile: join(root, `${name}.key`) });
    const pool = (hub.ctx.store as unknown as { pool: { query: (sql: string) => Promise<{ rows: { n: unknown }[] }> } }).pool;
    pgRows = async () => {
      const out: Record<string, number> = {};
      for (const [k, sql] of Object.entries(ROWS('true'))) out[k] = Number((await pool.query(sql)).rows[0]?.n);
      return out;
    };
  } else {
    hub = await openHub({ dataDir });
  }
  let commits = 0;
  let report: Figures['report'];
  const events: Record<string, number> = {};
  try {
    await seedNational(hub.ctx, reg);
    const r = await writeHistory(hub, reg, { days: 5, end: END, seed: 6, rate: 0.012, through, documentsPerCommit: 25 });
    const { through: _t, commits: c, seconds: _s, documentsPerSecond: _d, stepsPerSecond: _st, peakRssBytes: _p, bulkFinishSeconds: _b, ...rest } = r;
    report = rest;
    commits = c;
    const audit = await verifyAudit(hub.ctx);
    assert.equal(audit.ok, true, `${through}: ${JSON.stringify(audit.brokenAt ?? audit.packetProblems.slice(0, 3))}`);
    for (let afterSeq = 0; ;) {
      const page = await hub.ctx.store.events(afterSeq, 1000);
      if (page.length === 0) break;
      for (const e of page) events[e.type] = (events[e.type] ?? 0) + 1;
      afterSeq = page.at(-1)?.seq ?? afterSeq;
    }
    const counters = (await hub.ctx.store.counters({})).map((c) => `${c.day} ${c.agency} ${c.metric} ${c.value}`);
    const states = await hub.ctx.store.deliveryStateCounts();
    if (pgRows) {
      const rows = await pgRows();
      await hub.close();
      return { report, counters, states, events, rows, commits };
    }
    await hub.close();
    const db = new DatabaseSync(join(dataDir, 'vdxp.sqlite'), { readOnly: true });
    try {
      const rows: Record<string, number> = {};
      for (const [k, sql] of Object.entries(ROWS('1'))) rows[k] = (db.prepare(sql).get() as { n: number }).n;
      if (through === 'batch') {
        // The batch's ids are UUIDs of version 7 carrying the simulated time, so its inserts append to the id indexes.
        const ids = db.prepare('SELECT id, received_at AS at FROM documents').all() as { id: string; at: number }[];
        for (const { id, at } of ids) {
          assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
          assert.equal(parseInt(id.replace('-', '').slice(0, 12), 16), at, id);
        }
      }
      return { report, counters, states, events, rows, commits };
    } finally {
      db.close();
    }
  } catch (e) {
    await hub.close().catch(() => undefined);
    throw e;
  }
}

let batchOnSqlite: Figures | undefined;

describe('writeHistory in batches', () => {
  it('writes what the per-document path writes, commits many documents at once, and keeps counters equal to rows', async () => {
    const batch = await run('batch', 'batch');
    const intake = await run('intake', 'intake');
    const { commits, ...b } = batch;
    const { commits: _c, ...i } = intake;
    assert.ok(b.report.documents > 150 && b.report.statuses > 100 && b.report.fetches > 100, JSON.stringify(b.report));
    assert.ok(b.report.recalls > 0 && b.report.updates > 0 && b.report.overdueFlagged > 0, `the rarer paths ran: ${JSON.stringify(b.report)}`);
    assert.ok((b.events['delivery:recalled'] ?? 0) > 0, 'a recall withdrew a delivery before fetch (the hub answered 15)');
    // 25 documents (edocs and statuses) per transaction, plus the sweep's commits each day.
    assert.ok(commits > 5 && commits < (b.report.documents + b.report.statuses) / 10, `${commits} transactions for ${b.report.documents + b.report.statuses} documents`);
    assert.deepEqual(b, i);
    const r = b.rows;
    assert.equal(r.sentCounted, r.edocs);
    assert.equal(r.sentCounted, b.report.documents);
    assert.equal(r.receivedCounted, r.edocDeliveries);
    assert.equal(r.deliveredCounted, r.delivered);
    assert.equal(r.statusesCounted, r.statusDocs);
    assert.equal(r.overdueCounted, r.overdue);
    assert.equal(r.rejectedCounted, r.rejected);
    assert.equal(r.rollupSent, r.sentCounted, 'the rollup the nationwide overview reads follows');
    batchOnSqlite = b;
  });

  it('writes the same history on PostgreSQL: multi-row statements, the same figures as on SQLite, the chain verified', async () => {
    assert.ok(batchOnSqlite, 'the SQLite run came first');
    const { commits, ...pg } = await run('batch-pg', 'batch', 'postgres');
    assert.ok(commits > 5, `${commits} transactions`);
    assert.deepEqual(pg, batchOnSqlite);
  });
});
