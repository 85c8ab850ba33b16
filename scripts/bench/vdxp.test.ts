// Runs the VDXP-API benchmark at its tiny size so it cannot rot: both APIs, both sizes, every figure sane.

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { benchVdxp } from './vdxp.ts';

it('measures the VDXP API beside the native one at the tiny size', async () => {
  const lines: string[] = [];
  const r = await benchVdxp({ size: 'tiny', out: (l) => lines.push(l), log: () => undefined });
  assert.deepEqual(r.figures.map((f) => `${f.api} ${f.documents}`), ['native 20', 'vdxp 20', 'native 4', 'vdxp 4']);
  for (const f of r.figures) {
    for (const k of ['docsPerSec', 'MBps', 'sendP50Ms', 'sendP99Ms', 'listP50Ms', 'getP50Ms', 'getP99Ms', 'doneP50Ms'] as const) {
      assert.ok(Number.isFinite(f[k]) && f[k] > 0, `${f.api} ${f.packetBytes} ${k} = ${f[k]}`);
    }
    assert.ok(f.sendP50Ms <= f.sendP99Ms && f.getP50Ms <= f.getP99Ms, JSON.stringify(f));
    assert.equal(f.getRetries, 0, 'no get had to be made again');
  }
  const sizes = [...new Set(r.figures.map((f) => f.packetBytes))];
  assert.equal(sizes.length, 2);
  assert.ok(Math.abs((sizes[0] ?? 0) - 10 * 1024) < 64 && Math.abs((sizes[1] ?? 0) - 1024 * 1024) < 64, `packet sizes ${sizes.join(', ')}`);
  assert.equal(lines.filter((l) => l.startsWith('{')).length, 4);
  assert.ok(lines.some((l) => l.includes('vdxp docs/s')), 'the side-by-side table is printed');
});
