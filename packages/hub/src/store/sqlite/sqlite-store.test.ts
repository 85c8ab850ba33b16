// Runs the store contract on a real SQLite file, and checks what only this engine has.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { it } from 'node:test';
import { agencyListPageSql } from '../sql-shared.ts';
import { storeContract } from '../store.contract.ts';
import { openSqliteStore, SQLITE_AGENCY_LIST } from './sqlite-store.ts';

storeContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vdxp-store-'));
  const store = openSqliteStore(join(dir, 'test.sqlite'));
  return { store, close: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); } };
});

it('walks getAgenciesList\'s pages on the covering index agencies_listed alone (013), with or without a code in the cursor', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vdxp-store-'));
  const store = openSqliteStore(join(dir, 'test.sqlite'));
  const db = new DatabaseSync(join(dir, 'test.sqlite'));
  try {
    for (const [afterCode, args] of [[false, [0, 10]], [true, [0, '', 10]]] as const) {
      const plan = db.prepare(`EXPLAIN QUERY PLAN ${agencyListPageSql(SQLITE_AGENCY_LIST, afterCode)}`).all(...args).map((r) => String(r['detail']));
      assert.ok(plan.some((d) => /^SEARCH a USING INDEX agencies_listed \(/.test(d)), plan.join(' | '));
      assert.ok(!plan.some((d) => /SCAN a\b|agencies_version_code/.test(d)), plan.join(' | '));
    }
  } finally {
    db.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

it('finishes a bulk-load session a crash left open when the store opens: indexes and triggers back, the deferred work done', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vdxp-store-'));
  const path = join(dir, 'test.sqlite');
  const schema = (db: DatabaseSync): string[] => db.prepare("SELECT type || ' ' || name || ' ' || sql AS s FROM sqlite_master WHERE type IN ('index', 'trigger') ORDER BY name").all()
    .map((r) => String(r['s']));
  try {
    const store = openSqliteStore(path);
    await store.putAgencies([{ code: '000.00.00.H41', name: 'H41', parent: null, level: 1, otherCodes: [], email: null, phone: null, state: 'active', successor: null, validFrom: null, validTo: null }], 1);
    await store.close();
    const db = new DatabaseSync(path);
    const before = schema(db);
    assert.ok(before.some((s) => s.startsWith('trigger counters_rollup_insert')) && before.some((s) => s.startsWith('index deliveries_inbox')));
    await (async () => {
      // The session as the store begins it, rows written, and no end: the process "dies" here (the file is closed as a kill leaves it).
      const { beginBulkLoad, bulkLoadOpen } = await import('./bulk-load.ts');
      beginBulkLoad(db);
      assert.ok(bulkLoadOpen(db));
      assert.ok(!schema(db).some((s) => s.startsWith('trigger counters_rollup_insert') || s.startsWith('index deliveries_inbox')), 'set aside while loading');
      db.exec(`INSERT INTO documents (id, seq, kind, business_type, from_agency, sender_system, edxml_id, subject, code_number, code_notation, status_code, answers,
        due_at, digest, bytes, header, signature, received_at) VALUES ('d1', 1, 'edoc', 0, '000.00.00.H41', 's', 'x', 'Kế hoạch năm', '1', 'VP', NULL, NULL, NULL, 'd', 7, '{}', '{}', 1)`);
      db.exec("INSERT INTO counters (day, agency, metric, value) VALUES ('2026-01-02', '000.00.00.H41', 'sent', 3)");
    })();
    db.close();
    const reopened = openSqliteStore(path);
    try {
      const check = new DatabaseSync(path, { readOnly: true });
      try {
        assert.deepEqual(schema(check), before, 'every index and trigger is back, as it was');
        assert.equal(check.prepare('SELECT count(*) AS n FROM bulk_load').get()?.['n'], 0);
      } finally { check.close(); }
      assert.deepEqual(await reopened.counterSums({ fromDay: '2026-01-01', toDay: '2026-12-31', within: null }), [{ day: '2026-01-02', level: 1, letter: 'H', metric: 'sent', value: 3 }]);
      assert.deepEqual((await reopened.searchDocuments({ within: null, text: 'hoạch', limit: 10 })).map((d) => d.id), ['d1']);
      assert.equal((await reopened.storageSize()).packetBytes, 7);
    } finally { await reopened.close(); }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
