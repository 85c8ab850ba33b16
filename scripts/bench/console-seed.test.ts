// The console benchmark's fast seed must leave what the store's own writes leave: the same documents,
// deliveries, statuses and counters, and the same rollups and word index the triggers would have kept, with the
// triggers back in place afterwards (a write after the seed still reaches the rollups).

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { ManualClock, openHub } from '@vdxp/hub';
import { overview } from '../../packages/hub/src/console.ts';
import { addUser, userView } from '../../packages/hub/src/users.ts';
import { seedSqliteFast, seededTables, seedThroughStore, traffic } from './console-seed.ts';
import { registry } from './console.ts';

const DAY_MS = 24 * 3600 * 1000;

it('seeds the same tables, rollups and word index straight into the file as through the store', async () => {
  const now = Date.UTC(2026, 10, 23, 3, 0, 0);
  const clock = new ManualClock(now);
  const agencies = registry(2);
  const dirs = [mkdtempSync(join(tmpdir(), 'vdxp-seed-store-')), mkdtempSync(join(tmpdir(), 'vdxp-seed-fast-'))];
  try {
    const hubs = [];
    for (const dir of dirs) {
      const hub = await openHub({ dataDir: dir, clock, limits: { passwordScryptCost: 1024, passwordScryptParallelization: 1 } });
      await hub.ctx.store.putAgencies(agencies, now - 400 * DAY_MS);
      hubs.push(hub);
    }
    const [storeHub, fastHub] = hubs as [typeof hubs[0], typeof hubs[0]];
    // Enough documents for every branch: waiting, late, finished, due dates; several batches.
    const plan = (): ReturnType<typeof traffic> => traffic({ codes: agencies.map((a) => a.code), busy: agencies.filter((a) => a.level === 1).map((a) => a.code), documents: 3_000, now, batch: 700, answerDueAt: (t) => storeHub.ctx.calendar.endOfNextWorkingDay(t) });
    const viaStore = await seedThroughStore(storeHub.ctx.store, plan());
    await storeHub.close();
    await fastHub.close();
    const viaFast = seedSqliteFast(join(dirs[1]!, 'vdxp.sqlite'), plan());
    assert.equal(viaFast, viaStore);
    const a = seededTables(join(dirs[0]!, 'vdxp.sqlite'));
    const b = seededTables(join(dirs[1]!, 'vdxp.sqlite'));
    for (const table of Object.keys(a)) assert.deepEqual(b[table], a[table], table);
    // The shape asked of the traffic: every state the console shows is there.
    const deliveries = a['deliveries']!;
    const metrics = new Set(a['counters']!.map((r) => r[2]));
    assert.deepEqual([...metrics].sort(), ['delivered', 'overdue', 'received', 'sent']);
    assert.ok(deliveries.some((r) => r[6] === 'queued') && deliveries.some((r) => r[8] === '06') && deliveries.some((r) => r[8] === '03'));
    assert.ok(a['word_matches']!.length === 3_000, 'every subject has the words');
    assert.ok(a['counter_scope_rollup']!.length > 0 && a['triggers']!.length > 5);

    // The triggers are back: a counter written after the fast seed moves the nationwide rollup.
    const hub = await openHub({ dataDir: dirs[1]!, clock, limits: { passwordScryptCost: 1024, passwordScryptParallelization: 1 } });
    try {
      await addUser(hub.ctx, { username: 'n', role: 'leader', scope: null, password: 'a password here' }, 'test');
      const user = userView((await hub.ctx.store.getUser('n'))!);
      const before = await overview(hub.ctx, user);
      assert.ok(before.yearTotals.sent > 0 && before.overdueNow > 0 && before.inFlight > 0, JSON.stringify({ ...before, days: [], months: [] }));
      await hub.ctx.store.bumpCounter('2026-11-23', agencies[0]!.code, 'sent', 5);
      const after = await overview(hub.ctx, user);
      assert.equal(after.yearTotals.sent, before.yearTotals.sent + 5);
    } finally {
      await hub.close();
    }
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
});
