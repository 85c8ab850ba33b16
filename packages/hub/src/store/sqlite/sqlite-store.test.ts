// Runs the store contract on a real SQLite file.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { storeContract } from '../store.contract.ts';
import { openSqliteStore } from './sqlite-store.ts';

storeContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vdxp-store-'));
  const store = openSqliteStore(join(dir, 'test.sqlite'));
  return { store, close: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); } };
});
