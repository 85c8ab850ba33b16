// End to end over a real socket: two agencies exchange a document with attachments, statuses flow back,
// recall before and after fetch, resend, strangers, mergers, and the error codes of the native API.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { parsePacketBytes } from '@vdxp/edxml';
import { verifyAudit } from './audit.ts';
import { sweep } from './delivery.ts';
import { mergeAgency } from './registry.ts';
import { edoc, inlinePackets, listen, startTestHub, statusPacket, type TestHub } from '../test-support/testkit.ts';
import { waitFor } from '../test-support/wait-for.ts';

let t: TestHub;
let url: string;
let close: () => Promise<void>;

interface Json { [k: string]: unknown }

async function call(token: string, method: string, path: string, body?: Uint8Array | Json): Promise<{ status: number; json: Json; bytes: Buffer; headers: Headers }> {
  const res = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body && !(body instanceof Uint8Array) ? { 'content-type': 'application/json' } : body ? { 'content-type': 'application/xml' } : {}) },
    ...(body ? { body: body instanceof Uint8Array ? body : JSON.stringify(body) } : {}),
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  const isJson = res.headers.get('content-type')?.includes('json') ?? false;
  return { status: res.status, json: isJson ? JSON.parse(bytes.toString('utf8')) as Json : {}, bytes, headers: res.headers };
}

const tok = (name: string): string => t.systems[name]?.token ?? '';
const errCode = (r: { json: Json }): unknown => (r.json['error'] as Json | undefined)?.['code'];

interface InboxItem { deliveryId: string; documentId: string; kind: string; from: string; statusCode: string | null; edxmlDocumentId: string }
async function inboxOf(name: string, kind = 'edoc'): Promise<InboxItem[]> {
  const r = await call(tok(name), 'GET', `/v1/inbox?kind=${kind}&limit=100`);
  assert.equal(r.status, 200);
  return r.json['items'] as InboxItem[];
}

before(async () => {
  t = await startTestHub();
  const s = await listen(t.hub);
  url = s.url;
  close = async () => { await s.app.close(); await t.close(); };
});
after(async () => close());

describe('exchange', () => {
  it('delivers a document with attachments, byte for byte, and statuses 01→06 come back to the sender', async () => {
    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(100_000, 7)]);
    const packet = await edoc('000.00.00.G22', ['000.00.00.H41', '000.00.00.H14'], {}, [
      { ContentId: 'cid:1', AttachmentName: 'cong-van.pdf', ContentType: 'application/pdf', content: pdf },
      { ContentId: 'cid:2', AttachmentName: 'phu-luc.txt', ContentType: 'text/plain', content: Buffer.from('Phụ lục') },
    ]);
    const sent = await call(tok('gov'), 'POST', '/v1/documents', packet);
    assert.equal(sent.status, 201, JSON.stringify(sent.json));
    const deliveries = sent.json['deliveries'] as { id: string; recipient: string }[];
    assert.deepEqual(deliveries.map((d) => d.recipient).sort(), ['000.00.00.H14', '000.00.00.H41']);
    assert.equal(sent.json['digest'], createHash('sha256').update(packet).digest('hex'));

    const items = await inboxOf('nghean');
    const item = items.find((i) => i.documentId === sent.json['id']);
    assert.ok(item, 'the recipient sees the delivery');
    const got = await call(tok('nghean'), 'GET', `/v1/deliveries/${item.deliveryId}/packet`);
    assert.equal(got.status, 200);
    assert.deepEqual(got.bytes, packet);
    assert.equal(got.headers.get('x-vdxp-sha256'), sent.json['digest']);
    const parsed = await parsePacketBytes(got.bytes);
    assert.equal(parsed.attachments[0]?.sha256, createHash('sha256').update(pdf).digest('hex'));

    // Not acked yet: still handed out.
    assert.ok((await inboxOf('nghean')).some((i) => i.deliveryId === item.deliveryId));
    const ack = await call(tok('nghean'), 'POST', `/v1/deliveries/${item.deliveryId}/ack`, { result: 'done' });
    assert.equal(ack.status, 200);
    assert.equal(ack.json['state'], 'done');
    const again = await call(tok('nghean'), 'POST', `/v1/deliveries/${item.deliveryId}/ack`, { result: 'done' });
    assert.equal(again.json['changed'], false);
    assert.ok(!(await inboxOf('nghean')).some((i) => i.deliveryId === item.deliveryId));

    const edxmlId = item.edxmlDocumentId;
    for (const code of ['01', '03', '04', '05', '06']) {
      const st = await call(tok('nghean'), 'POST', '/v1/documents', await statusPacket('000.00.00.H41', '000.00.00.G22', edxmlId, code));
      assert.equal(st.status, 201, `${code}: ${JSON.stringify(st.json)}`);
    }
    const statuses = await inboxOf('gov', 'status');
    assert.deepEqual(statuses.filter((s) => s.edxmlDocumentId === edxmlId).map((s) => s.statusCode), ['01', '03', '04', '05', '06']);
    const view = await call(tok('gov'), 'GET', `/v1/documents/${String(sent.json['id'])}`);
    const dv = (view.json['deliveries'] as { recipient: string; state: string; businessStatus: string; statuses: { statusCode: string }[] }[])
      .find((d) => d.recipient === '000.00.00.H41');
    assert.equal(dv?.state, 'done');
    assert.equal(dv?.businessStatus, '06');
    assert.deepEqual(dv?.statuses.map((s) => s.statusCode), ['01', '03', '04', '05', '06']);
  });

  it('refuses illegal transitions and statuses from strangers', async () => {
    const sent = await call(tok('gov'), 'POST', '/v1/documents', await edoc('000.00.00.G22', ['000.00.00.H41']));
    const id = (await inboxOf('nghean')).find((i) => i.documentId === sent.json['id'])?.edxmlDocumentId ?? '';
    const early = await call(tok('nghean'), 'POST', '/v1/documents', await statusPacket('000.00.00.H41', '000.00.00.G22', id, '06'));
    assert.equal(early.status, 409);
    assert.equal(errCode(early), 'VDXP_E_STATUS_TRANSITION');
    const stranger = await call(tok('caobang'), 'POST', '/v1/documents', await statusPacket('000.00.00.H14', '000.00.00.G22', id, '01'));
    assert.equal(stranger.status, 403);
    assert.equal(errCode(stranger), 'VDXP_E_STATUS_NOT_PARTY');
    const unknown = await call(tok('nghean'), 'POST', '/v1/documents', await statusPacket('000.00.00.H41', '000.00.00.G22', 'nope', '01'));
    assert.equal(errCode(unknown), 'VDXP_E_STATUS_DOCUMENT_UNKNOWN');
    const noRecall = await call(tok('nghean'), 'POST', '/v1/documents', await statusPacket('000.00.00.H41', '000.00.00.G22', id, '15'));
    assert.equal(errCode(noRecall), 'VDXP_E_STATUS_TRANSITION');
  });

  it('recalls before fetch at once, and after fetch through 13 → 15', async () => {
    const before1 = await call(tok('gov'), 'POST', '/v1/documents', await edoc('000.00.00.G22', ['000.00.00.H14']));
    const item = (await inboxOf('caobang')).find((i) => i.documentId === before1.json['id']);
    assert.ok(item);
    const recall = await call(tok('gov'), 'POST', '/v1/documents', await statusPacket('000.00.00.G22', '000.00.00.H14', item.edxmlDocumentId, '13', 'Gửi nhầm'));
    assert.equal(recall.status, 201, JSON.stringify(recall.json));
    assert.equal(recall.json['recall'], 'withdrawn');
    assert.ok(!(await inboxOf('caobang')).some((i) => i.documentId === before1.json['id']), 'withdrawn from the inbox');
    assert.ok(!(await inboxOf('caobang', 'status')).some((i) => i.edxmlDocumentId === item.edxmlDocumentId), 'the recipient never sees the 13');
    const gone = await call(tok('caobang'), 'GET', `/v1/deliveries/${item.deliveryId}/packet`);
    assert.equal(gone.status, 410);
    const told = (await inboxOf('gov', 'status')).find((s) => s.edxmlDocumentId === item.edxmlDocumentId);
    assert.equal(told?.statusCode, '15', 'the sender is told by a status 15');

    const after1 = await call(tok('gov'), 'POST', '/v1/documents', await edoc('000.00.00.G22', ['000.00.00.H14']));
    const item2 = (await inboxOf('caobang')).find((i) => i.documentId === after1.json['id']);
    assert.ok(item2);
    await call(tok('caobang'), 'GET', `/v1/deliveries/${item2.deliveryId}/packet`);
    const r2 = await call(tok('gov'), 'POST', '/v1/documents', await statusPacket('000.00.00.G22', '000.00.00.H14', item2.edxmlDocumentId, '13', 'Gửi nhầm'));
    assert.equal(r2.json['recall'], 'requested');
    const request = (await inboxOf('caobang', 'status')).find((s) => s.edxmlDocumentId === item2.edxmlDocumentId);
    assert.equal(request?.statusCode, '13');
    const agree = await call(tok('caobang'), 'POST', '/v1/documents', await statusPacket('000.00.00.H14', '000.00.00.G22', item2.edxmlDocumentId, '15'));
    assert.equal(agree.status, 201, JSON.stringify(agree.json));
    const view = await call(tok('gov'), 'GET', `/v1/documents/${String(after1.json['id'])}`);
    const d = (view.json['deliveries'] as { state: string; businessStatus: string }[])[0];
    assert.equal(d?.state, 'recalled');
    assert.equal(d?.businessStatus, '15');
  });

  it('answers a resend with the original ids, by bytes and by DocumentId', async () => {
    const packet = await edoc('000.00.00.G22', ['000.00.00.G12']);
    const first = await call(tok('gov'), 'POST', '/v1/documents', packet);
    const second = await call(tok('gov'), 'POST', '/v1/documents', packet);
    assert.equal(first.status, 201);
    assert.equal(second.status, 200);
    assert.equal(second.json['id'], first.json['id']);
    assert.deepEqual(second.json['deliveries'], first.json['deliveries']);
    const parsed = await parsePacketBytes(packet);
    const sameId = await edoc('000.00.00.G22', ['000.00.00.G12'], { DocumentId: parsed.header.MessageHeader.DocumentId ?? '', Subject: 'khác' });
    const third = await call(tok('gov'), 'POST', '/v1/documents', sameId);
    assert.equal(third.status, 200);
    assert.equal(third.json['id'], first.json['id']);
    assert.equal((await inboxOf('mof')).filter((i) => i.documentId === first.json['id']).length, 1);
  });

  it('routes a merged recipient to its successor and tells the sender', async () => {
    await mergeAgency(t.hub.ctx, '000.00.00.H99', '000.00.00.H41', 'test');
    const sent = await call(tok('gov'), 'POST', '/v1/documents', await edoc('000.00.00.G22', ['000.00.00.H99']));
    assert.equal(sent.status, 201);
    assert.deepEqual(sent.json['deliveries'], [{ id: (sent.json['deliveries'] as { id: string }[])[0]?.id, recipient: '000.00.00.H41', addressedTo: '000.00.00.H99' }]);
    assert.equal((sent.json['warnings'] as { code: string }[])[0]?.code, 'VDXP_W_RECIPIENT_REDIRECTED');
  });

  it('fail hands a delivery out again; too many failures dead-letter it; a fail with no hand-out since changes nothing', async () => {
    const sent = await call(tok('gov'), 'POST', '/v1/documents', await edoc('000.00.00.G22', ['000.00.00.G12']));
    const item = (await inboxOf('mof')).find((i) => i.documentId === sent.json['id']);
    assert.ok(item);
    const ack = (result: string): ReturnType<typeof call> => call(tok('mof'), 'POST', `/v1/deliveries/${item.deliveryId}/ack`, { result, reason: 'disk' });
    const fetchIt = async (): Promise<void> => assert.equal((await call(tok('mof'), 'GET', `/v1/deliveries/${item.deliveryId}/packet`)).status, 200);
    const max = t.hub.ctx.limits.deliveryAttemptsMax;
    for (let i = 1; i < max; i++) {
      await fetchIt();
      const r = await ack('fail');
      assert.deepEqual([r.json['state'], r.json['attempts'], r.json['changed']], ['queued', i, true]);
      const replayed = await ack('fail');
      assert.deepEqual([replayed.json['state'], replayed.json['attempts'], replayed.json['changed']], ['queued', i, false], 'a replayed fail does not count');
    }
    await fetchIt();
    const last = await ack('fail');
    assert.equal(last.json['state'], 'dead');
    assert.equal((await ack('fail')).status, 410, 'a dead delivery takes no more acks');
    const view = await call(tok('gov'), 'GET', `/v1/documents/${String(sent.json['id'])}`);
    assert.equal((view.json['deliveries'] as { state: string }[])[0]?.state, 'dead');
  });

  it('long-polls: a waiting inbox returns as soon as a document arrives', async () => {
    const now = await call(tok('caobang'), 'GET', '/v1/inbox?kind=edoc');
    const cursor = (now.json['next'] as string | null) ?? '0';
    const before = t.hub.ctx.notifier.waiting;
    const waiting = call(tok('caobang'), 'GET', `/v1/inbox?kind=edoc&wait=20&after=${cursor}`);
    // Submit only once the request is parked, so the answer comes from the wake-up, not from the first read.
    await waitFor(() => t.hub.ctx.notifier.waiting > before, { what: 'the inbox request to wait' });
    const started = performance.now();
    const sent = await call(tok('gov'), 'POST', '/v1/documents', await edoc('000.00.00.G22', ['000.00.00.H14']));
    const r = await waiting;
    const ms = performance.now() - started;
    assert.deepEqual((r.json['items'] as InboxItem[]).map((i) => i.documentId), [sent.json['id']]);
    assert.ok(ms < 2000, `woke after ${ms.toFixed(0)} ms`);
    const empty = await call(tok('caobang'), 'GET', `/v1/inbox?kind=status&wait=1&after=${String(r.json['next'])}`);
    assert.deepEqual(empty.json['items'], []);
  });

  it('flags overdue answers in the sweep and counts them', async () => {
    const sent = await call(tok('gov'), 'POST', '/v1/documents', await edoc('000.00.00.G22', ['000.00.00.G12']));
    assert.equal(sent.status, 201);
    t.clock.advance(5 * 24 * 3600 * 1000);
    const r = await sweep(t.hub.ctx);
    assert.ok(r.overdue >= 1);
    const view = await call(tok('gov'), 'GET', `/v1/documents/${String(sent.json['id'])}`);
    assert.equal((view.json['deliveries'] as { overdue: boolean }[])[0]?.overdue, true);
    const stats = await call(tok('gov'), 'GET', '/v1/stats?from=2026-11-01&to=2026-12-31');
    const mof = (stats.json['rows'] as { agency: string; totals: { overdue: number; received: number } }[]).find((x) => x.agency === '000.00.00.G12');
    assert.ok((mof?.totals.overdue ?? 0) >= 1);
    assert.ok((mof?.totals.received ?? 0) >= 1);
  });

  it('keeps an evidence chain that verifies', async () => {
    const report = await verifyAudit(t.hub.ctx);
    assert.equal(report.ok, true, JSON.stringify(report));
    assert.ok(report.events > 10);
  });
});

describe('refusals', () => {
  it('answers every refusal with a stable code and leaves nothing behind', async () => {
    const before1 = await t.hub.ctx.blobs.list();
    const inlineBefore = inlinePackets.digests(t.dir);
    const cases: [string, Uint8Array, number, string][] = [
      ['gov', await edoc('000.00.00.G22', ['000.00.00.X00']), 422, 'VDXP_E_RECIPIENT_UNKNOWN'],
      ['gov', await edoc('000.00.00.H41', ['000.00.00.G12']), 403, 'VDXP_E_FROM_NOT_ALLOWED'],
      ['gov', Buffer.from('<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"><edXMLEnvelope>'), 400, 'VDXP_E_XML_TRUNCATED'],
      ['gov', Buffer.from('<!DOCTYPE x []><edXML/>'), 400, 'VDXP_E_XML_DTD'],
      ['gov', await statusPacket('000.00.00.G22', '000.00.00.H41', 'x', '09'), 422, 'VDXP_E_PACKET_INVALID'],
    ];
    for (const [who, body, status, code] of cases) {
      const r = await call(tok(who), 'POST', '/v1/documents', body);
      assert.equal(r.status, status, `${code}: ${JSON.stringify(r.json)}`);
      assert.equal(errCode(r), code);
    }
    assert.deepEqual(await t.hub.ctx.blobs.list(), before1);
    assert.deepEqual(inlinePackets.digests(t.dir), inlineBefore);
    assert.equal(await t.hub.ctx.blobs.stagedCount(), 0);
    const noAuth = await fetch(`${url}/v1/inbox`);
    assert.equal(noAuth.status, 401);
    assert.equal(((await noAuth.json()) as { error: { code: string } }).error.code, 'VDXP_E_AUTH_MISSING');
    const bad = await call('vdxp_wrong', 'GET', '/v1/inbox');
    assert.equal(errCode(bad), 'VDXP_E_AUTH_INVALID');
    const notMine = await call(tok('mof'), 'GET', '/v1/deliveries/nope/packet');
    assert.equal(errCode(notMine), 'VDXP_E_DELIVERY_NOT_FOUND');
    const badAck = await call(tok('mof'), 'POST', '/v1/deliveries/nope/ack', { result: 'maybe' });
    assert.equal(errCode(badAck), 'VDXP_E_BAD_REQUEST');
    const route = await call(tok('mof'), 'GET', '/v1/nothing');
    assert.equal(errCode(route), 'VDXP_E_NOT_FOUND');
  });

  it('serves health, readiness, metrics and the API description', async () => {
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    assert.equal((await fetch(`${url}/readyz`)).status, 200);
    const m = await (await fetch(`${url}/metrics`)).text();
    assert.match(m, /vdxp_documents_accepted_total\{kind="edoc"\} \d+/);
    const api = (await (await fetch(`${url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    assert.ok(api.paths['/v1/documents']);
    assert.match(await (await fetch(`${url}/docs`)).text(), /Tài liệu API/);
  });
});
