// The simulated national registry: its shape (34 provinces, 3,321 communes, no districts), its codes, the
// legacy directory's merges, and that a seed repeats it.

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { parseAgencyCode } from '@vdxp/edxml';
import { openHub, resolveRecipient } from '@vdxp/hub';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMUNES_TOTAL, legacyDirectory, nationalRegistry, SIM_LABEL } from './registry.ts';
import { seedNational } from './seed.ts';

describe('nationalRegistry', () => {
  const reg = nationalRegistry(7);

  it('has the 34 provinces and cities, 3,321 communes and wards directly under them, and the centre', () => {
    const provinces = reg.agencies.filter((a) => a.role === 'province');
    assert.equal(provinces.length, 34);
    const communes = reg.agencies.filter((a) => a.role === 'commune');
    assert.equal(communes.length, COMMUNES_TOTAL);
    assert.equal(COMMUNES_TOTAL, 3321);
    for (const c of communes) {
      const parsed = parseAgencyCode(c.code);
      assert.equal(parsed.form, 'legacy');
      // No districts: the structural parent of a commune's code is its province.
      assert.equal(parsed.form === 'legacy' ? parsed.parent : undefined, c.home, c.code);
      assert.equal(c.parent, c.home);
    }
    assert.ok(reg.centre.includes('000.00.00.G22'), 'the Government Office');
    assert.ok(reg.agencies.some((a) => a.role === 'party'), 'Party bodies');
    assert.ok(reg.agencies.some((a) => a.name.includes('Mặt trận Tổ quốc')), 'the Front');
    assert.equal(reg.mergedProvinces.length, 29, '63 provinces before the merger, 34 after');
  });

  it('gives every agency a unique code in the legacy form, a labelled name, and exactly one system', () => {
    const codes = reg.agencies.map((a) => a.code);
    assert.equal(new Set(codes).size, codes.length);
    for (const a of reg.agencies) {
      assert.equal(parseAgencyCode(a.code).form, 'legacy', a.code);
      assert.ok(a.name.startsWith(SIM_LABEL), a.name);
    }
    const served = reg.systems.flatMap((s) => s.agencies);
    assert.equal(served.length, codes.length);
    assert.deepEqual(new Set(served), new Set(codes));
  });

  it('repeats from a seed: same codes and names; another seed changes names, never codes', () => {
    assert.deepEqual(nationalRegistry(7).agencies, reg.agencies);
    const other = nationalRegistry(8);
    assert.deepEqual(other.agencies.map((a) => a.code), reg.agencies.map((a) => a.code));
    assert.notDeepEqual(other.agencies.map((a) => a.name), reg.agencies.map((a) => a.name));
  });

  it('makes a legacy directory of 111,000 agencies whose codes never collide with today\'s, with merges to existing successors', () => {
    const legacy = legacyDirectory(reg, 7);
    assert.equal(legacy.agencies.length, 111_000);
    const today = new Set(reg.agencies.map((a) => a.code));
    const codes = new Set(legacy.agencies.map((a) => a.code));
    assert.equal(codes.size, legacy.agencies.length);
    for (const c of codes) assert.ok(!today.has(c), c);
    const merged = legacy.changes.filter((c) => c.state === 'merged');
    assert.ok(merged.length > 9000, `old communes merged: ${merged.length}`);
    for (const c of legacy.changes) {
      assert.ok(codes.has(c.code));
      assert.ok(today.has(c.successor), c.successor);
    }
  });
});

describe('seedNational', () => {
  it('puts the registry and a legacy directory into a hub, where an old commune routes to its successor; a second run changes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vdxp-sim-'));
    const hub = await openHub({ dataDir: dir });
    try {
      const reg = nationalRegistry(3);
      const first = await seedNational(hub.ctx, reg, { legacy: { seed: 3, total: 3000 } });
      assert.equal(first.systemsAdded.length, reg.systems.length);
      assert.ok(first.changesApplied > 29);
      const legacy = legacyDirectory(reg, 3, 3000);
      const oldCommune = legacy.changes.find((c) => c.state === 'merged');
      assert.ok(oldCommune);
      const routed = await resolveRecipient(hub.ctx, oldCommune.code);
      assert.deepEqual(routed, { addressedTo: oldCommune.code, recipient: oldCommune.successor, redirected: true });
      const mergedProvince = reg.mergedProvinces[0];
      assert.ok(mergedProvince);
      assert.equal((await resolveRecipient(hub.ctx, mergedProvince.code)).recipient, mergedProvince.into);
      const second = await seedNational(hub.ctx, reg, { legacy: { seed: 3, total: 3000 } });
      assert.deepEqual([second.agenciesAdded, second.changesApplied, second.systemsAdded.length], [0, 0, 0]);
      assert.equal(second.systemsExisting.length, reg.systems.length);
    } finally {
      await hub.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
