// Runs the console benchmark at its tiny size so it cannot rot: the store is seeded, every query answers with
// rows and figures (no time is asserted: the machine is shared), the cold load in Chromium completes.

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { benchConsole } from './console.ts';

it('seeds a small registry and traffic, and times every console query', async () => {
  const lines: string[] = [];
  const r = await benchConsole({ size: 'tiny', out: (l) => lines.push(l) });
  assert.equal(r.documents, 2000);
  assert.ok(r.agencies > 2000 && r.deliveries >= r.documents);
  assert.deepEqual(r.queries.map((q) => q.name), ['overview nationwide', 'overview of a province', 'overdue list of a province', 'agency page', 'document search by words', 'document search by agency', 'agency page, a busy body', 'document search, a busy body', 'health page reads']);
  for (const q of r.queries) assert.ok(q.p50Ms > 0 && q.p50Ms <= q.p99Ms, JSON.stringify(q));
  assert.ok((r.queries[0]?.rows ?? 0) > 300, 'the nationwide overview has a year of days');
  assert.ok((r.queries[4]?.rows ?? 0) > 0, 'the word search finds documents');
  assert.ok(r.coldLoadMs !== null && r.coldLoadMs > 0, 'the page loaded in Chromium');
  assert.ok(r.peakRssMB > 0);
  assert.equal(lines.filter((l) => l.startsWith('{')).length, 1);
});
