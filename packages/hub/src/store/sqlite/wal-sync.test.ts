// The embedded engine's durability off the event loop (sqlite-store.ts: WalSync, Checkpoints), on a real file:
// a write is answered only after its log is synced, a failed sync stops the store, and the checkpointer thread
// moves committed pages into the database file so the writer's COMMITs never do.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { openSqliteStore } from './sqlite-store.ts';

const CHECKPOINT_WAIT_MS_MAX = 20_000;
const POLL_MS = 20;

function tempStore(): { path: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'vdxp-walsync-'));
  return { dir, path: join(dir, 'test.sqlite') };
}

test('a write whose log cannot be synced is refused, and so is everything after it', async () => {
  const { dir, path } = tempStore();
  const store = openSqliteStore(path);
  try {
    await store.transaction((tx) => tx.bumpCounter('2026-12-02', '000.00.00.G22', 'sent', 1));
    assert.equal((await store.counters({}))[0]?.value, 1);
    // The log file vanishes under the hub (an operator's mistake, a failing disk): the next sync cannot open it.
    unlinkSync(`${path}-wal`);
    await assert.rejects(store.transaction((tx) => tx.bumpCounter('2026-12-02', '000.00.00.G22', 'sent', 1)), /could not be synced/);
    await assert.rejects(store.bumpCounter('2026-12-02', '000.00.00.G22', 'sent', 1), /could not be synced/);
    await assert.rejects(store.counters({}), /could not be synced/);
    const settled = store.settled();
    assert.ok(settled, 'a failed store has something to say to every answer');
    await assert.rejects(settled, /could not be synced/);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('reads do not wait for the log; settled() and writes do, and a reopened store has every answered write', async () => {
  const { dir, path } = tempStore();
  let store = openSqliteStore(path);
  try {
    const writes = Array.from({ length: 50 }, (_, i) => store.transaction((tx) => tx.bumpCounter('2026-12-02', `000.00.00.H${String(i).padStart(2, '0')}`, 'sent', i + 1)));
    await Promise.all(writes);
    await store.settled();
    await store.close();
    store = openSqliteStore(path);
    const rows = await store.counters({});
    assert.equal(rows.length, 50);
    assert.equal(rows.reduce((s, r) => s + r.value, 0), (50 * 51) / 2);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the checkpointer thread copies the log into the database file once the store has written enough', async () => {
  const { dir, path } = tempStore();
  const store = openSqliteStore(path);
  try {
    const before = statSync(path).size;
    // Enough writing commits to start the checkpointer (CHECKPOINTER_START_AFTER_COMMITS) and kick it.
    for (let i = 0; i < 400; i++) {
      await store.transaction((tx) => tx.bumpCounter(`2026-${String(1 + (i % 12)).padStart(2, '0')}-01`, `000.00.${String(i).padStart(2, '0')}.H41`, 'sent', 1));
    }
    // Nothing on this connection checkpoints (wal_autocheckpoint = 0): only the thread can grow the file.
    const deadline = Date.now() + CHECKPOINT_WAIT_MS_MAX;
    while (statSync(path).size <= before && Date.now() < deadline) await sleep(POLL_MS);
    assert.ok(statSync(path).size > before, `the database file grew from ${before} bytes (the log was checkpointed)`);
    assert.equal((await store.counters({})).length, 400);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a process with nothing else to do closes a store whose checkpointer thread runs, and exits', () => {
  const { dir, path } = tempStore();
  try {
    // The thread is unref'd while the store is open; if close() waited for it unref'd, the process would end with
    // that wait unsettled (Node exits 13 and never prints "closed").
    const script = `import { openSqliteStore } from ${JSON.stringify(fileURLToPath(new URL('./sqlite-store.ts', import.meta.url)))};
      const store = openSqliteStore(${JSON.stringify(path)});
      for (let i = 0; i < 300; i++) await store.transaction((tx) => tx.bumpCounter('2026-12-02', 'A' + i, 'sent', 1));
      await store.close();
      console.log('closed');`;
    const file = join(dir, 'close.mjs');
    writeFileSync(file, script);
    const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: CHECKPOINT_WAIT_MS_MAX });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'closed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
