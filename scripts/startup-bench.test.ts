// Runs the start-up benchmark at a tiny size so it cannot rot: every start completes, recovery did its work
// on the filled folder, and the figures are present and printed (no timing is asserted: the machine is shared).

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { benchStartup } from './startup-bench.ts';

it('starts vdxp serve on an empty and a filled folder, recovering what a crash left, and prints its figures', async () => {
  const lines: string[] = [];
  const r = await benchStartup({ documents: 2000, out: (l) => { lines.push(l); console.log(l); } });
  assert.equal(r.documents, 2000);
  for (const s of [r.empty, r.filled, r.upgrade]) {
    assert.ok(Number.isFinite(s.readyMs) && s.readyMs > 0, JSON.stringify(s));
    assert.ok(s.peakRssMB > 0, JSON.stringify(s));
  }
  assert.equal(r.empty.recoveryLine, undefined, 'nothing to recover on a fresh folder');
  for (const s of [r.filled, r.upgrade]) assert.match(s.recoveryLine ?? '', /1 gói hoàn tất \/ packets completed, 1 tệp dở bị xóa \/ staged files removed/);
  assert.equal(r.oldDigestSet.digests, 2000, 'every document has its own digest, as in a real store');
  assert.ok(r.databaseMB > 0);
  assert.deepEqual(lines.filter((l) => l.startsWith('{')).map((l) => (JSON.parse(l) as { case: string }).case), ['hub-startup']);
  assert.ok(lines.some((l) => l.startsWith('startup: 2000 documents')));
});
