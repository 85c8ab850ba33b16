// Server and registry lifecycle: shutdown does not wait for long-polls; systems registered by another code
// of an agency act for its registry code.

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { addSystem, importAgencies } from './registry.ts';
import { listen, startTestHub } from './testkit.ts';

it('closes promptly while a client long-polls', async () => {
  const t = await startTestHub();
  const { app, url } = await listen(t.hub);
  try {
    const poll = fetch(`${url}/v1/inbox?wait=50`, { headers: { authorization: `Bearer ${t.systems['gov']?.token}` } });
    await new Promise((r) => setTimeout(r, 100));
    const started = performance.now();
    await app.close();
    const ms = performance.now() - started;
    assert.ok(ms < 5000, `close took ${ms.toFixed(0)} ms`);
    const res = await poll;
    assert.equal(res.status, 200);
    assert.deepEqual(((await res.json()) as { items: unknown[] }).items, []);
  } finally {
    await t.close();
  }
});

it('stores a system\'s agencies under their registry codes', async () => {
  const t = await startTestHub();
  try {
    await importAgencies(t.hub.ctx, [{ code: '000.00.00.G05', name: 'Bộ thử', otherCodes: ['G05'] }], 'test');
    await addSystem(t.hub.ctx, { id: 'sys.g05', agencies: ['G05'] }, 'test');
    assert.deepEqual(await t.hub.ctx.store.systemAgencies('sys.g05'), ['000.00.00.G05']);
  } finally {
    await t.close();
  }
});
