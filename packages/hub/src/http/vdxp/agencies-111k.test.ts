// getAgenciesList at the size of the real national registry (111,339 agencies answered one axis): all of
// them come back through a streamed answer. The time is printed for the record, not asserted.

import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { importAgencies, type AgencyDraft } from '../../registry.ts';
import { AGENCIES, listen, startTestHub, type TestHub } from '../../../test-support/testkit.ts';
import { VdxpTestClient } from '../../../test-support/vdxp-test-client.ts';

const COUNT = 111_000;
let t: TestHub;
let url: string;
let close: () => Promise<void>;

before(async () => {
  t = await startTestHub();
  // Distinct legacy codes under 26 letters × 100 level-1 bodies, with Vietnamese names and contacts.
  const drafts: AgencyDraft[] = [];
  for (let i = 0; drafts.length < COUNT; i++) {
    const l1 = `${String.fromCharCode(65 + (i % 26))}${String(Math.floor(i / 26) % 100).padStart(2, '0')}`;
    const rest = Math.floor(i / 2600);
    drafts.push({
      code: `${String(rest % 1000).padStart(3, '0')}.${String(Math.floor(rest / 1000) % 100).padStart(2, '0')}.01.${l1}`,
      name: `Ủy ban nhân dân xã Thử nghiệm số ${i}`, email: `xa${i}@example.vn`,
    });
  }
  await importAgencies(t.hub.ctx, drafts, 'test');
  const s = await listen(t.hub);
  url = s.url;
  close = async () => { await s.app.close(); await t.close(); };
});
after(async () => close());

it(`getAgenciesList returns all ${COUNT.toLocaleString('en')} agencies`, async () => {
  const gov = new VdxpTestClient({ endpoint: url, systemId: 'sys.gov', secret: 'gov-secret', now: () => t.clock.now() });
  const started = performance.now();
  const r = await gov.call('getAgenciesList');
  const ms = performance.now() - started;
  assert.equal(r.json['status'], 'OK');
  const data = r.json['data'] as { code: string; name: string }[];
  assert.equal(data.length, COUNT + AGENCIES.length);
  assert.equal(new Set(data.map((a) => a.code)).size, data.length, 'no agency twice');
  assert.equal(data.find((a) => a.code === '000.00.01.A00')?.name, 'Ủy ban nhân dân xã Thử nghiệm số 0');
  console.log(`getAgenciesList: ${data.length} agencies, ${(r.bytes.length / 1e6).toFixed(1)} MB in ${ms.toFixed(0)} ms over HTTP`);
});
