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
