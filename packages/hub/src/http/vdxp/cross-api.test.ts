// One store, two APIs: a document sent through the VDXP-compatible API is received through the native one
// (Authorization: Bearer) and its statuses come back; and the reverse.

import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { parsePacketBytes } from '@vdxp/edxml';
import { edoc, listen, startTestHub, statusPacket, type TestHub } from '../../../test-support/testkit.ts';
import { VdxpTestClient, type Json } from '../../../test-support/vdxp-test-client.ts';

let t: TestHub;
let url: string;
let close: () => Promise<void>;

before(async () => {
  t = await startTestHub();
  const s = await listen(t.hub);
  url = s.url;
  close = async () => { await s.app.close(); await t.close(); };
});
after(async () => close());

async function native(name: string, method: string, path: string, body?: Uint8Array | Json): Promise<{ status: number; json: Json; bytes: Buffer }> {
  const res = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${t.systems[name]?.token ?? ''}`, ...(body && !(body instanceof Uint8Array) ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: body instanceof Uint8Array ? body : JSON.stringify(body) } : {}),
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  return { status: res.status, json: res.headers.get('content-type')?.includes('json') ? JSON.parse(bytes.toString('utf8')) as Json : {}, bytes };
}

interface NativeItem { deliveryId: string; documentId: string; statusCode: string | null; edxmlDocumentId: string }

async function nativeInbox(name: string, kind: 'edoc' | 'status'): Promise<NativeItem[]> {
  const r = await native(name, 'GET', `/v1/inbox?kind=${kind}&limit=100`);
  assert.equal(r.status, 200);
  return r.json['items'] as NativeItem[];
}

const vdxp = (name: string): VdxpTestClient => new VdxpTestClient({ endpoint: url, systemId: `sys.${name}`, secret: `${name}-secret`, now: () => t.clock.now() });

function ok(r: { json: Json }): Json {
  assert.equal(r.json['status'], 'OK', JSON.stringify(r.json));
  return r.json;
}

it('sent through the VDXP API, received through the native API; statuses sent natively reach the VDXP sender', async () => {
  const gov = vdxp('gov');
  const packet = await edoc('000.00.00.G22', ['000.00.00.H41'], {}, [{ ContentId: 'cid:1', AttachmentName: 'a.pdf', ContentType: 'application/pdf', content: Buffer.from('%PDF-1.4 x') }]);
  const docId = String(ok(await gov.sendEdoc(packet, { from: '000.00.00.G22' }))['DocId']);

  const item = (await nativeInbox('nghean', 'edoc')).find((i) => i.documentId === docId);
  assert.ok(item, 'the native inbox names the document by the DocId the VDXP sender got');
  const got = await native('nghean', 'GET', `/v1/deliveries/${item.deliveryId}/packet`);
  assert.deepEqual(got.bytes, packet);
  assert.equal((await native('nghean', 'POST', `/v1/deliveries/${item.deliveryId}/ack`, { result: 'done' })).json['state'], 'done');

  for (const code of ['01', '03']) {
    const st = await native('nghean', 'POST', '/v1/documents', await statusPacket('000.00.00.H41', '000.00.00.G22', item.edxmlDocumentId, code));
    assert.equal(st.status, 201, JSON.stringify(st.json));
  }
  const statuses = ok(await gov.receivedList('status'))['data'] as { docId: string }[];
  const codes: string[] = [];
  for (const s of statuses) {
    const data = ok(await gov.getEdoc(s.docId))['data'] as string;
    codes.push((await parsePacketBytes(Buffer.from(data, 'base64'))).header.MessageHeader.StatusCode ?? '');
    ok(await gov.updateStatus(s.docId, 'done'));
  }
  assert.deepEqual(codes, ['01', '03']);
  const row = (ok(await gov.call('getSentEdocList', { inputs: { docId } }))['data'] as Json[])[0];
  assert.deepEqual([row?.['sendStatus'], row?.['receiveStatus']], ['done', '03']);
});

it('sent through the native API, received through the VDXP API; statuses sent through VDXP reach the native sender', async () => {
  const packet = await edoc('000.00.00.G12', ['000.00.00.H14']);
  const sent = await native('mof', 'POST', '/v1/documents', packet);
  assert.equal(sent.status, 201);
  const caobang = vdxp('caobang');
  const [item, ...rest] = ok(await caobang.receivedList('edoc'))['data'] as { docId: string; from: string }[];
  assert.equal(rest.length, 0);
  assert.equal(item?.from, '000.00.00.G12');
  assert.equal(item.docId, (sent.json['deliveries'] as { id: string }[])[0]?.id, 'the VDXP docId is the native delivery id');
  assert.deepEqual(Buffer.from(ok(await caobang.getEdoc(item.docId))['data'] as string, 'base64'), packet);
  ok(await caobang.updateStatus(item.docId, 'done'));

  const edxmlId = (await parsePacketBytes(packet)).header.MessageHeader.DocumentId ?? '';
  ok(await caobang.sendEdoc(await statusPacket('000.00.00.H14', '000.00.00.G12', edxmlId, '01'), { from: '000.00.00.H14', messagetype: 'status' }));
  const back = (await nativeInbox('mof', 'status')).filter((s) => s.edxmlDocumentId === edxmlId);
  assert.deepEqual(back.map((s) => s.statusCode), ['01']);
  const view = await native('mof', 'GET', `/v1/documents/${String(sent.json['id'])}`);
  const d = (view.json['deliveries'] as { state: string; businessStatus: string }[])[0];
  assert.deepEqual([d?.state, d?.businessStatus], ['done', '01'], 'the VDXP done and status are the native delivery\'s');
});
