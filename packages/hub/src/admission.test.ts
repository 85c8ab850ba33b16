// Admission, over real sockets: one system's calls in flight are capped per node (long-polls included, either
// API) and one more is refused with 429 and Retry-After while other systems go on; a call that ends, or whose
// client goes away, frees its place. Connections beyond httpConnectionsMax are closed as they arrive.

import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { callsInFlight } from './http/admission.ts';
import { edoc, listen, startTestHub, statusPacket, type TestHub } from '../test-support/testkit.ts';
import { VdxpTestClient } from '../test-support/vdxp-test-client.ts';
import { waitFor } from '../test-support/wait-for.ts';

describe('calls in flight per system', () => {
  let t: TestHub;
  let url: string;
  let stop: () => Promise<void>;
  before(async () => {
    t = await startTestHub({ limits: { callsInFlightPerSystemMax: 2 } });
    const s = await listen(t.hub);
    url = s.url;
    stop = async () => { await s.app.close(); await t.close(); };
  });
  after(async () => stop());

  const call = (who: string, path: string, o: { signal?: AbortSignal; method?: string; body?: Uint8Array } = {}): Promise<Response> => fetch(url + path, {
    method: o.method ?? 'GET', headers: { authorization: `Bearer ${t.systems[who]?.token}` }, ...(o.body ? { body: o.body } : {}), ...(o.signal ? { signal: o.signal } : {}),
  });
  const inFlight = (id: string): number => callsInFlight(t.hub.ctx).get(id) ?? 0;

  it('refuses the one call too many with 429 and Retry-After; other systems go on; an answered or dropped call frees its place', async () => {
    const dropped = new AbortController();
    const polls = [call('mof', '/v1/inbox?wait=20'), call('mof', '/v1/inbox?wait=20', { signal: dropped.signal })];
    await waitFor(() => inFlight('sys.mof') === 2, { what: 'two long-polls in flight' });

    const third = await call('mof', '/v1/stats');
    assert.equal(third.status, 429);
    assert.equal(third.headers.get('retry-after'), '1');
    const body = (await third.json()) as { error: { code: string; details: { callsInFlightPerSystemMax: number } } };
    assert.equal(body.error.code, 'VDXP_E_TOO_MANY_CALLS');
    assert.equal(body.error.details.callsInFlightPerSystemMax, 2);
    assert.equal(inFlight('sys.mof'), 2, 'the refused call took no place');

    // A refused packet leaves nothing: the hub did not read it, so nothing was stored or delivered.
    const packet = await edoc('000.00.00.G12', ['000.00.00.H14']);
    const refusedSend = await call('mof', '/v1/documents', { method: 'POST', body: packet });
    assert.equal(refusedSend.status, 429);
    const nothing = (await (await call('caobang', '/v1/inbox')).json()) as { items: unknown[] };
    assert.equal(nothing.items.length, 0);

    // Another system is not held back by mof's calls.
    assert.equal((await call('gov', '/v1/stats')).status, 200);

    // The client that goes away frees its place.
    dropped.abort();
    await polls[1]?.catch(() => undefined);
    await waitFor(() => inFlight('sys.mof') === 1, { what: 'the dropped long-poll left' });
    const sent = await call('mof', '/v1/documents', { method: 'POST', body: packet });
    assert.equal(sent.status, 201);
    const doc = (await (await call('caobang', '/v1/inbox')).json()) as { items: { deliveryId: string; edxmlDocumentId: string }[] };
    assert.equal(doc.items.length, 1, 'the document was delivered once');
    // An answered call frees its place: the status to mof wakes its first long-poll.
    const status = await statusPacket('000.00.00.H14', '000.00.00.G12', doc.items[0]?.edxmlDocumentId ?? '', '01');
    assert.equal((await call('caobang', '/v1/documents', { method: 'POST', body: status })).status, 201);
    const first = await polls[0];
    assert.equal(first?.status, 200);
    await waitFor(() => inFlight('sys.mof') === 0, { what: 'every call of mof ended' });
    assert.equal((await call('mof', '/v1/stats')).status, 200);
  });

  it('counts the VDXP API\'s calls too: a system at its cap is answered FAIL with the code', async () => {
    const polls = [call('nghean', '/v1/inbox?wait=20'), call('nghean', '/v1/inbox?wait=20')];
    await waitFor(() => inFlight('sys.nghean') === 2, { what: 'two long-polls in flight' });
    const vdxp = new VdxpTestClient({ endpoint: url, systemId: 'sys.nghean', secret: 'nghean-secret', now: () => t.clock.now() });
    const r = await vdxp.call('getReceivedEdocList', { inputs: { servicetype: 'eDoc', messagetype: 'edoc' } });
    assert.equal(r.json['status'], 'FAIL');
    assert.equal(r.json['ErrorCode'], 'VDXP_E_TOO_MANY_CALLS');
    assert.equal(r.headers.get('x-vdxp-error-code'), 'VDXP_E_TOO_MANY_CALLS');
    // Wake both long-polls (a document to nghean), then the VDXP call goes through.
    assert.equal((await call('gov', '/v1/documents', { method: 'POST', body: await edoc('000.00.00.G22', ['000.00.00.H41']) })).status, 201);
    for (const p of polls) assert.equal((await p).status, 200);
    await waitFor(() => inFlight('sys.nghean') === 0, { what: 'every call of nghean ended' });
    const ok = await vdxp.call('getReceivedEdocList', { inputs: { servicetype: 'eDoc', messagetype: 'edoc' } });
    assert.equal(ok.json['status'], 'OK', JSON.stringify(ok.json));
  });
});

describe('connections per node', () => {
  it('closes a connection beyond httpConnectionsMax as it arrives; once one closes, a new one is served', async () => {
    const t = await startTestHub({ limits: { httpConnectionsMax: 2 } });
    const s = await listen(t.hub);
    const { port } = new URL(s.url);
    const open = (): Promise<Socket> => new Promise((resolve, reject) => {
      const c = connect(Number(port), '127.0.0.1', () => resolve(c));
      c.once('error', reject);
    });
    const closedBy = (c: Socket): Promise<string> => new Promise((resolve) => {
      let got = '';
      c.on('data', (d: Buffer) => { got += d.toString('latin1'); });
      c.once('close', () => resolve(got));
    });
    try {
      const held = [await open(), await open()];
      await waitFor(async () => (await new Promise<number>((r) => { s.app.server.getConnections((_e, n) => r(n)); })) === 2, { what: 'two connections counted' });
      const extra = await open();
      const answer = closedBy(extra);
      extra.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.equal(await answer, '', 'closed without an answer');
      held[0]?.destroy();
      await waitFor(async () => (await new Promise<number>((r) => { s.app.server.getConnections((_e, n) => r(n)); })) === 1, { what: 'one connection left' });
      const res = await fetch(`${s.url}/healthz`, { headers: { connection: 'close' } });
      assert.equal(res.status, 200);
      held[1]?.destroy();
    } finally {
      await s.app.close();
      await t.close();
    }
  });
});
