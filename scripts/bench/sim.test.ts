// Runs the simulator benchmark at its tiny size so it cannot rot: every figure present, finite and of the size asked.

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { benchSim } from './sim.ts';

it('measures history writing and live traffic at the tiny size', async () => {
  const lines: string[] = [];
  const r = await benchSim({ size: 'tiny', out: (l) => lines.push(l) });
  const positive = (n: number, what: string): void => assert.ok(Number.isFinite(n) && n > 0, `${what} = ${n}`);
  assert.ok(r.history && r.live, 'both parts ran');
  for (const k of ['documents', 'statuses', 'fetches', 'seconds', 'documentsPerSecond', 'stepsPerSecond', 'peakRssBytes', 'projectedSecondsFor2M'] as const) positive(r.history[k], `history ${k}`);
  for (const k of ['sent', 'sentPerSecond', 'submitP50Ms', 'submitP99Ms', 'fetched', 'statsReadP50Ms', 'statsReads'] as const) positive(r.live[k], `live ${k}`);
  assert.ok(r.live.submitP50Ms <= r.live.submitP99Ms && r.live.statsReadP50Ms <= r.live.statsReadP99Ms, JSON.stringify(r.live));
  assert.deepEqual(lines.filter((l) => l.startsWith('{')).map((l) => (JSON.parse(l) as { case: string }).case), ['sim-history', 'sim-live']);
  assert.ok(lines.some((l) => l.startsWith('sim history (batch,')) && lines.some((l) => l.startsWith('sim live (hub in a worker thread):')), 'the readable lines are printed');
  assert.equal(r.history.through, 'batch');
  assert.ok(r.history.commits > 0, 'the history was committed in batches');
  assert.equal(r.live.hub, 'worker', "the hub ran on its own thread, not the simulator's");
});
