// The demo registry: labelled, consistent (63 legacy province codes, 34 after the merger), routable, and
// seeded idempotently without touching what an operator put there first.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ManualClock } from './clock.ts';
import { DEMO_AGENCIES, DEMO_LABEL, DEMO_MERGERS, DEMO_PROVINCES, DEMO_SYSTEMS, registryIsEmpty, seedDemo } from './demo.ts';
import { openHub, type Hub } from './hub.ts';
import { submitPacket } from './intake.ts';
import { addAgency, authenticateToken, resolveRecipient, systemSecret } from './registry.ts';
import { edoc } from '../test-support/testkit.ts';

let dir: string;
let hub: Hub;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vdxp-demo-'));
  hub = await openHub({ dataDir: dir, clock: new ManualClock() });
});
afterEach(async () => {
  await hub.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('demo registry data', () => {
  it('has the 34 units of 1 July 2025 and accounts for all 63 legacy province codes exactly once', () => {
    assert.equal(DEMO_PROVINCES.length, 34);
    assert.equal(DEMO_PROVINCES.filter((pr) => pr.city).length, 6, 'six centrally-run cities');
    const level1H = [...DEMO_PROVINCES.map((pr) => pr.code), ...DEMO_PROVINCES.flatMap((pr) => pr.absorbed.map(([c]) => c))];
    const expected = Array.from({ length: 63 }, (_, i) => `000.00.00.H${String(i + 1).padStart(2, '0')}`);
    assert.deepEqual([...level1H].sort(), expected);
    const codes = DEMO_AGENCIES.map((a) => a.code);
    assert.equal(new Set(codes).size, codes.length, 'no code twice');
  });

  it('labels every agency and system as demo data', () => {
    for (const a of DEMO_AGENCIES) assert.ok(a.name.startsWith(`${DEMO_LABEL} `), a.name);
    for (const s of DEMO_SYSTEMS) {
      assert.ok(s.name.startsWith(`${DEMO_LABEL} `), s.name);
      assert.ok(s.id.startsWith('demo.'), s.id);
    }
  });
});

describe('seedDemo', () => {
  it('seeds agencies, mergers and systems whose printed credentials work', async () => {
    assert.equal(await registryIsEmpty(hub.ctx), true);
    const r = await seedDemo(hub.ctx);
    assert.equal(r.agenciesAdded, DEMO_AGENCIES.length);
    assert.equal(r.mergersApplied, DEMO_MERGERS.length);
    assert.equal(await hub.ctx.store.countAgencies(), DEMO_AGENCIES.length);
    assert.equal(await registryIsEmpty(hub.ctx), false);
    assert.deepEqual(r.systemsAdded.map((s) => s.id), DEMO_SYSTEMS.map((s) => s.id));
    for (const c of r.systemsAdded) {
      const s = await authenticateToken(hub.ctx, c.token);
      assert.equal(s.id, c.id);
      assert.equal(systemSecret(hub.ctx, s), c.secret);
    }

    // Levels and parents come from the legacy codes: a department at 2, a commune at 3 right under its province.
    const dept = await hub.ctx.store.getAgency('000.00.15.H41');
    assert.deepEqual([dept?.level, dept?.parent], [2, '000.00.00.H41']);
    const commune = await hub.ctx.store.getAgency('000.01.00.H41');
    assert.deepEqual([commune?.level, commune?.parent], [3, '000.00.00.H41']);

    assert.deepEqual(await resolveRecipient(hub.ctx, '000.00.00.H22'), { addressedTo: '000.00.00.H22', recipient: '000.00.00.H60', redirected: true });
    assert.equal((await hub.ctx.store.getAgency('000.00.00.G05'))?.state, 'merged');
  });

  it('lets demo systems exchange at once, through the mergers, one SaaS system receiving for several communes', async () => {
    const r = await seedDemo(hub.ctx);
    const token = (id: string): string => r.systemsAdded.find((s) => s.id === id)?.token ?? '';
    const vpcp = await authenticateToken(hub.ctx, token('demo.vpcp'));
    const sent = await submitPacket(hub.ctx, vpcp, [await edoc('000.00.00.G22', ['000.00.00.G05', '000.01.00.H41', '000.02.00.H24'])], { via: 'native' });
    assert.deepEqual(sent.deliveries.map((d) => d.recipient).sort(), ['000.00.00.G12', '000.01.00.H41', '000.02.00.H24']);
    const saas = await authenticateToken(hub.ctx, token('demo.saas'));
    assert.equal((await hub.ctx.store.inbox(saas.id, { limit: 10 })).length, 2);
    const btc = await authenticateToken(hub.ctx, token('demo.btc'));
    assert.equal((await hub.ctx.store.inbox(btc.id, { limit: 10 }))[0]?.delivery.addressedTo, '000.00.00.G05');
  });

  it('is idempotent: a second run adds nothing and records no event', async () => {
    await seedDemo(hub.ctx);
    const version = await hub.ctx.store.registryVersion();
    const events = (await hub.ctx.store.events(0, 100_000)).length;
    const again = await seedDemo(hub.ctx);
    assert.deepEqual(again, { agenciesAdded: 0, mergersApplied: 0, systemsAdded: [], systemsExisting: DEMO_SYSTEMS.map((s) => s.id) });
    assert.equal(await hub.ctx.store.registryVersion(), version);
    assert.equal((await hub.ctx.store.events(0, 100_000)).length, events);
  });

  it('leaves an operator agency with a demo code alone', async () => {
    await addAgency(hub.ctx, { code: '000.00.00.H22', name: 'UBND tỉnh Hà Giang (thật)' }, 'operator');
    await seedDemo(hub.ctx);
    const a = await hub.ctx.store.getAgency('000.00.00.H22');
    assert.equal(a?.name, 'UBND tỉnh Hà Giang (thật)');
    assert.equal(a?.state, 'active');
  });
});
