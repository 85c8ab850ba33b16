// getAgenciesList answers from the bytes of its last answer while the registry version is unchanged, and
// never after a change: not one made through the store directly (as the CLI beside the hub or another node
// does, with no event in this process), nor one that landed between the pages of an answer.

import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { AGENCIES, listen, startTestHub, type TestHub } from '../../../test-support/testkit.ts';
import { VdxpTestClient, type CallResult } from '../../../test-support/vdxp-test-client.ts';

/** Small pages, so a registry of a few agencies is answered in several pages. */
const PAGE_ROWS = 2;
let t: TestHub;
let gov: VdxpTestClient;
let close: () => Promise<void>;

before(async () => {
  t = await startTestHub({ limits: { vdxpAgencyListPageRows: PAGE_ROWS } });
  const s = await listen(t.hub);
  gov = new VdxpTestClient({ endpoint: s.url, systemId: 'sys.gov', secret: 'gov-secret', now: () => t.clock.now() });
  close = async () => { await s.app.close(); await t.close(); };
});
after(async () => close());

const names = (r: CallResult): Map<string, string> => new Map((r.json['data'] as { code: string; name: string }[]).map((a) => [a.code, a.name]));
/** A kept answer is sent whole, with its length; a built one is streamed (chunked, no length). */
const kept = (r: CallResult): boolean => r.headers.get('content-length') !== null;

async function rename(code: string, name: string): Promise<void> {
  const a = await t.hub.ctx.store.getAgency(code);
  assert.ok(a, code);
  await t.hub.ctx.store.putAgency({ ...a, name }, t.clock.now());
}

it('answers again from the kept bytes while the registry is unchanged', async () => {
  const first = await gov.call('getAgenciesList');
  const second = await gov.call('getAgenciesList');
  assert.equal(first.status, 200);
  assert.equal(kept(first), false, 'the first answer is built page by page');
  assert.equal(kept(second), true, 'the second is the kept one');
  assert.deepEqual(second.bytes, first.bytes);
  assert.equal(names(second).size, AGENCIES.length);
});

it('answers anew after a change made through the store alone (no event in this process)', async () => {
  await gov.call('getAgenciesList');
  await rename('000.00.00.H14', 'UBND tỉnh Cao Bằng (đổi tên)');
  const after1 = await gov.call('getAgenciesList');
  assert.equal(kept(after1), false);
  assert.equal(names(after1).get('000.00.00.H14'), 'UBND tỉnh Cao Bằng (đổi tên)');
  const after2 = await gov.call('getAgenciesList');
  assert.equal(kept(after2), true);
  assert.deepEqual(after2.bytes, after1.bytes);
});

it('never answers with an answer the registry changed under, between its pages', async () => {
  await gov.call('getAgenciesList');
  const store = t.hub.ctx.store;
  const agencyListPage = store.agencyListPage.bind(store);
  let pages = 0;
  // A change committed while the answer is between its first and second page.
  store.agencyListPage = async (o) => {
    const page = await agencyListPage(o);
    if (++pages === 1) await rename('000.00.00.G12', 'Bộ Tài chính (giữa hai trang)');
    return page;
  };
  try {
    await rename('000.00.00.G22', 'Văn phòng Chính phủ (trước)');
    const torn = await gov.call('getAgenciesList');
    assert.equal(kept(torn), false);
    assert.equal(pages > 1, true, 'the answer was read in several pages');
  } finally {
    store.agencyListPage = agencyListPage;
  }
  const next = await gov.call('getAgenciesList');
  assert.equal(kept(next), false, 'the torn answer was not kept');
  assert.equal(names(next).get('000.00.00.G12'), 'Bộ Tài chính (giữa hai trang)');
  assert.equal(names(next).get('000.00.00.G22'), 'Văn phòng Chính phủ (trước)');
});
