// The profiler's tiny run: a real exchange with the server under --cpu-prof, read back into phases that add
// up to the server's busy time.

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { profileHub } from './profile-hub.ts';

it('profiles a small exchange and splits the server time into phases that sum to it', async (t) => {
  const lines: string[] = [];
  const r = await profileHub({ bytes: 10 * 1024, documents: 30, top: 5, receive: 'batch', out: (l) => lines.push(l) });
  assert.ok(r, 'the profiler ran');
  t.diagnostic(lines.join('\n'));
  assert.ok(r.docsPerSec > 0);
  assert.ok(r.busyMsPerDoc > 0);
  const sum = r.phases.reduce((s, p) => s + p.msPerDoc, 0);
  assert.ok(Math.abs(sum - r.busyMsPerDoc) < 1e-6 * Math.max(1, r.busyMsPerDoc), `phases sum ${sum} = busy ${r.busyMsPerDoc}`);
  // A document is parsed and stored: both phases must show.
  for (const name of ['packet parse', 'store SQL']) assert.ok(r.phases.some((p) => p.phase.startsWith(name) && p.msPerDoc > 0), `${name} in ${JSON.stringify(r.phases)}`);
  assert.ok(lines.some((l) => l.trim().startsWith('where the time goes')));
});
