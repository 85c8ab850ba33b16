// Runs the store contract on a real PostgreSQL 15 server (a throwaway cluster on loopback, one database per
// test), and what only this engine has: migrations under a lock, refusal of a newer schema, one chain and
// exact counters under concurrent connections.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { startPostgres, type PgCluster } from '../../../test-support/postgres.ts';
import { eventHash } from '../event-hash.ts';
import { storeContract } from '../store.contract.ts';
import { GENESIS_HASH } from '../store.ts';
import { knownMigrations, openPostgresStore } from './postgres-store.ts';

let cluster: PgCluster;
before(async () => { cluster = await startPostgres(); });
after(async () => { await cluster.destroy(); });

storeContract('postgres', async () => {
  const store = await openPostgresStore(await cluster.createDatabase());
  return { store, close: () => store.close() };
});

describe('postgres engine', () => {
  it('migrates once when several nodes open the same database at the same moment', async () => {
    const url = await cluster.createDatabase();
    const stores = await Promise.all(Array.from({ length: 4 }, () => openPostgresStore(url)));
    try {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      const applied = (await c.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name')).rows.map((r) => r.name);
      await c.end();
      assert.ok(applied.length >= 2, 'the baseline and the ports of later SQLite migrations');
      assert.deepEqual(applied, knownMigrations());
    } finally {
      for (const s of stores) await s.close();
    }
  });

  it('refuses a schema newer than it knows, saying what to do', async () => {
    const url = await cluster.createDatabase();
    const first = await openPostgresStore(url);
    await first.pool.query("INSERT INTO schema_migrations (name, applied_at) VALUES ('999_from_the_future.sql', 0)");
    await first.close();
    await assert.rejects(openPostgresStore(url), (e: Error & { code?: string }) => e.code === 'VDXP_E_SCHEMA_NEWER' && /999_from_the_future/.test(e.message));
  });

  it('keeps one evidence chain and exact counters when many connections write at once', async () => {
    const url = await cluster.createDatabase();
    const stores = await Promise.all(Array.from({ length: 3 }, () => openPostgresStore(url)));
    try {
      const writes = stores.flatMap((s, n) => Array.from({ length: 40 }, (_, i) => s.transaction(async (tx) => {
        await tx.appendEvent({ at: i, type: 't', actor: `node${n}`, data: { i } });
        await tx.bumpCounter('2026-12-01', '000.00.15.H41', 'sent', 1);
      })));
      const bumps = stores.flatMap((s) => Array.from({ length: 30 }, () => s.bumpCounter('2026-12-01', '000.03.15.H41', 'received', 2)));
      await Promise.all([...writes, ...bumps]);
      const events = await stores[0]!.events(0, 1000);
      assert.equal(events.length, 120);
      let prev = GENESIS_HASH;
      events.forEach((e, i) => {
        assert.equal(e.seq, i + 1, 'seqs without gaps');
        assert.equal(e.prevHash, prev, `event ${e.seq} follows the one before`);
        assert.equal(eventHash(e.prevHash, e), e.hash);
        prev = e.hash;
      });
      assert.deepEqual((await stores[1]!.counters({})).map((c) => [c.agency, c.value]), [['000.00.15.H41', 120], ['000.03.15.H41', 180]]);
      // The rollups the counters' triggers keep, nationwide and per scope, are as exact as the counters.
      const sums = async (within: string | null): Promise<[string, number][]> =>
        (await stores[2]!.counterSums({ fromDay: '2026-12-01', toDay: '2026-12-01', within })).map((r) => [r.metric, r.value]);
      assert.deepEqual(await sums(null), [['received', 180], ['sent', 120]]);
      assert.deepEqual(await sums('___.__.__.H41'), [['received', 180], ['sent', 120]]);
      assert.deepEqual(await sums('___.__.15.H41'), [['received', 180], ['sent', 120]]);
      assert.deepEqual(await sums('___.03.15.H41'), [['received', 180]]);
    } finally {
      for (const s of stores) await s.close();
    }
  });

  it('lets exactly one of two nodes win a compare-and-set on one delivery', async () => {
    const url = await cluster.createDatabase();
    const [a, b] = await Promise.all([openPostgresStore(url), openPostgresStore(url)]);
    try {
      await a.insertDocument({
        id: 'd', kind: 'edoc', businessType: 0, fromAgency: 'A', senderSystem: 's', edxmlId: null, subject: null, codeNumber: null,
        codeNotation: null, statusCode: null, answers: null, dueAt: null, digest: 'd'.repeat(64), bytes: 1, header: {}, signature: {}, receivedAt: 1,
      }, []);
      for (let i = 0; i < 30; i++) {
        await a.insertDelivery({
          id: `x${i}`, documentId: 'd', kind: 'edoc', recipient: 'R', addressedTo: 'R', state: 'fetched', attempts: 0, businessStatus: null,
          lastReason: null, createdAt: 1, fetchedAt: 1, ackedAt: null, expiresAt: 9, answerDueAt: null, overdue: false,
        });
      }
      for (let i = 0; i < 30; i++) {
        const won = await Promise.all([a, b].map((s) => s.transaction((tx) => tx.setDeliveryIf(`x${i}`, { states: ['fetched'] }, { state: 'done', ackedAt: 2 }))));
        assert.equal(won.filter(Boolean).length, 1, `delivery x${i}: one ack wins`);
      }
    } finally {
      await a.close();
      await b.close();
    }
  });
});
