// Every call of the VDXP-compatible API over a real socket, driven by a client written from the protocol
// description: signing, the receive loop, statuses and recall, the registry calls, and every refusal.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { parsePacketBytes } from '@vdxp/edxml';
import { HUB_ERRORS } from '../../errors.ts';
import { addSystem, importAgencies, rotateSystemCredentials, setSystemVdxpStrict } from '../../registry.ts';
import { edoc, inlinePackets, listen, startTestHub, statusPacket, type TestHub } from '../../../test-support/testkit.ts';
import { protocolTimestamp, sdkHashFile, standardHashFile, VdxpTestClient, type CallResult, type Json } from '../../../test-support/vdxp-test-client.ts';

let t: TestHub;
let url: string;
let close: () => Promise<void>;
const client: Record<string, VdxpTestClient> = {};
/** Every FAIL code met, to prove each VDXP_E_VDXP_* code is produced for real. */
const seen = new Set<string>();

const RECEIVED_FIELDS = ['created_time', 'docId', 'from', 'messageType', 'serviceType', 'status', 'status_desc', 'to', 'updated_time'];
const SENT_FIELDS = ['fromCode', 'messageType', 'notation', 'receiveStatus', 'receiveStatusDesc', 'receivedTime', 'receiverDocId', 'sendStatus',
  'sendStatusDesc', 'senderDocId', 'sentTime', 'serviceType', 'title', 'toCode'];

before(async () => {
  t = await startTestHub();
  await importAgencies(t.hub.ctx, [{ code: '000.00.00.G09', name: 'Bộ Thử nghiệm', otherCodes: ['G09'] }], 'test');
  await addSystem(t.hub.ctx, { id: '000.00.00.G09', agencies: ['000.00.00.G09'], secret: 'g09-secret' }, 'test');
  const s = await listen(t.hub);
  url = s.url;
  close = async () => { await s.app.close(); await t.close(); };
  const now = (): number => t.clock.now();
  for (const [name, id] of [['gov', 'sys.gov'], ['mof', 'sys.mof'], ['nghean', 'sys.nghean'], ['caobang', 'sys.caobang']] as const) {
    client[name] = new VdxpTestClient({ endpoint: url, systemId: id, secret: `${name}-secret`, now });
  }
  client['g09'] = new VdxpTestClient({ endpoint: url, systemId: '000.00.00.G09', secret: 'g09-secret', now });
});
after(async () => close());

const c = (name: string): VdxpTestClient => client[name] as VdxpTestClient;

function okAnswer(r: CallResult): Json {
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.equal(r.json['status'], 'OK', JSON.stringify(r.json));
  assert.equal(r.json['ErrorCode'], '0');
  assert.equal(r.json['ErrorDesc'], 'Thanh cong');
  return r.json;
}

function failAnswer(r: CallResult, code: string, httpStatus = 200): string {
  assert.match(r.headers.get('content-type') ?? '', /application\/json/, 'a FAIL is JSON, never an HTML page');
  assert.equal(r.status, httpStatus, JSON.stringify(r.json));
  assert.equal(r.json['status'], 'FAIL');
  assert.equal(r.json['ErrorCode'], code, JSON.stringify(r.json));
  const desc = r.json['ErrorDesc'];
  assert.ok(typeof desc === 'string' && desc.length > 10, 'a readable description');
  assert.match(desc, /^[\x20-\x7e]*$/, 'ErrorDesc is written without diacritics');
  seen.add(code);
  return desc;
}

interface Received { docId: string; messageType: string; from: string; to: string; status: string; status_desc: string }

async function listOf(name: string, messagetype: 'edoc' | 'status'): Promise<Received[]> {
  const data = okAnswer(await c(name).receivedList(messagetype))['data'];
  assert.ok(Array.isArray(data));
  return data as Received[];
}

async function getPacket(name: string, docId: string): Promise<Buffer> {
  const r = await c(name).getEdoc(docId);
  const data = okAnswer(r)['data'];
  assert.equal(typeof data, 'string');
  return Buffer.from(data as string, 'base64');
}

/** Takes every pending item of a kind: get, then done (the loop a receiving system runs). */
async function drain(name: string, messagetype: 'edoc' | 'status'): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const item of await listOf(name, messagetype)) {
    out.push(await getPacket(name, item.docId));
    okAnswer(await c(name).updateStatus(item.docId, 'done'));
  }
  return out;
}

async function edxmlIdOf(docId: string): Promise<string> {
  return (await t.hub.ctx.store.getDocument(docId))?.edxmlId ?? assert.fail('document stored');
}

describe('sending and receiving', () => {
  it('sends a document with attachments; the recipient lists, gets the exact bytes, marks processing, downloads, and is done', async () => {
    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(50_000, 9)]);
    const packet = await edoc('000.00.00.G22', ['000.00.00.H41'], {}, [
      { ContentId: 'cid:1', AttachmentName: 'cong-van.pdf', ContentType: 'application/pdf', content: pdf },
      { ContentId: 'cid:2', AttachmentName: 'phu-luc.txt', ContentType: 'text/plain', content: Buffer.from('Phụ lục kèm theo') },
    ]);
    const sent = okAnswer(await c('gov').sendEdoc(packet, { from: '000.00.00.G22' }));
    assert.match(String(sent['DocId']), /^[0-9a-f-]{36}$/);

    const count = okAnswer(await c('nghean').call('countReceiveEdoc', { method: 'GET' }));
    assert.equal(count['count'], 1);
    const [item, ...rest] = await listOf('nghean', 'edoc');
    assert.equal(rest.length, 0);
    assert.ok(item);
    assert.deepEqual(Object.keys(item).sort(), RECEIVED_FIELDS);
    assert.deepEqual([item.messageType, item.from, item.to, item.status], ['edoc', '000.00.00.G22', '000.00.00.H41', 'pending']);

    assert.deepEqual(await getPacket('nghean', item.docId), packet, 'getEdoc gives the stored bytes, byte for byte');
    const parsed = await parsePacketBytes(await getPacket('nghean', item.docId));
    assert.equal(parsed.attachments.length, 2);
    assert.equal((await listOf('nghean', 'edoc'))[0]?.status, 'fetched', 'still listed after getEdoc, until done');

    okAnswer(await c('nghean').updateStatus(item.docId, 'processing'));
    assert.equal((await listOf('nghean', 'edoc'))[0]?.status, 'processing');
    const events = await t.hub.ctx.store.events(0, 10_000);
    assert.ok(events.some((e) => e.type === 'delivery:processing' && e.deliveryId === item.docId), 'processing is an evidence event');

    const download = await c('nghean').call('downloadEdoc', { method: 'GET', inputs: { docId: item.docId } });
    assert.equal(download.status, 200);
    assert.deepEqual(download.bytes, packet);

    okAnswer(await c('nghean').updateStatus(item.docId, 'done', 'docid'));
    assert.deepEqual(await listOf('nghean', 'edoc'), []);
    assert.equal(okAnswer(await c('nghean').call('countReceiveEdoc'))['count'], 0);
    okAnswer(await c('nghean').updateStatus(item.docId, 'done'));

    const sentList = okAnswer(await c('gov').call('getSentEdocList', { inputs: { servicetype: 'eDoc', messagetype: 'edoc', docId: String(sent['DocId']) } }))['data'] as Json[];
    assert.equal(sentList.length, 1);
    assert.deepEqual(Object.keys(sentList[0] ?? {}).sort(), SENT_FIELDS);
    assert.equal(sentList[0]?.['receiverDocId'], item.docId);
    assert.equal(sentList[0]?.['sendStatus'], 'done');
  });

  it('fail puts a listed item back; a resend answers the same DocId', async () => {
    const packet = await edoc('000.00.00.G22', ['000.00.00.G12']);
    const first = okAnswer(await c('gov').sendEdoc(packet, { from: '000.00.00.G22' }));
    const again = okAnswer(await c('gov').sendEdoc(packet, { from: '000.00.00.G22', hashFile: standardHashFile(packet) }));
    assert.equal(again['DocId'], first['DocId'], 'standard 64-digit hash-file is accepted too, and a resend is not a copy');
    const [item] = await listOf('mof', 'edoc');
    assert.ok(item);
    await getPacket('mof', item.docId);
    okAnswer(await c('mof').updateStatus(item.docId, 'fail'));
    const back = await listOf('mof', 'edoc');
    assert.equal(back[0]?.docId, item.docId);
    assert.equal(back[0]?.status, 'fail');
    await drain('mof', 'edoc');
    assert.deepEqual(await listOf('mof', 'edoc'), []);
  });

  it('takes the older multipart form (part file_doc) and the SDK 2.0.1 body that ends with an extra CRLF', async () => {
    const packet = await edoc('000.00.00.G22', ['000.00.00.H14']);
    okAnswer(await c('gov').sendEdocMultipart(packet, { from: '000.00.00.G22' }));
    const trailed = await edoc('000.00.00.G22', ['000.00.00.H14']);
    okAnswer(await c('gov').sendEdoc(trailed, { from: '000.00.00.G22', body: Buffer.concat([trailed, Buffer.from('\r\n')]) }));
    const got = await drain('caobang', 'edoc');
    assert.deepEqual(got, [packet, trailed], 'the stored packets are the files, without multipart framing or the trailer');
  });

  it('accepts a from that is the systemid itself', async () => {
    const sent = okAnswer(await c('g09').sendEdoc(await edoc('000.00.00.G09', ['000.00.00.G12']), { from: '000.00.00.G09' }));
    assert.equal((await t.hub.ctx.store.getDocument(String(sent['DocId'])))?.fromAgency, '000.00.00.G09');
    await drain('mof', 'edoc');
  });
});

describe('business statuses', () => {
  it('carries 01→06 back to the sender as status packets, and the sender sees them in getSentEdocList', async () => {
    const sent = okAnswer(await c('gov').sendEdoc(await edoc('000.00.00.G22', ['000.00.00.H41']), { from: '000.00.00.G22' }));
    const docId = String(sent['DocId']);
    await drain('nghean', 'edoc');
    const edxmlId = await edxmlIdOf(docId);
    for (const code of ['01', '03', '04', '05', '06']) {
      const st = await statusPacket('000.00.00.H41', '000.00.00.G22', edxmlId, code);
      okAnswer(await c('nghean').sendEdoc(st, { from: '000.00.00.H41', messagetype: 'status' }));
    }
    assert.equal(okAnswer(await c('gov').call('countReceiveStatus', { method: 'GET' }))['count'], 5);
    const statuses = await listOf('gov', 'status');
    assert.deepEqual(statuses.map((s) => [s.messageType, s.from]), Array(5).fill(['status', '000.00.00.H41']));
    const packets = await drain('gov', 'status');
    const codes = await Promise.all(packets.map(async (p) => (await parsePacketBytes(p)).header.MessageHeader.StatusCode));
    assert.deepEqual(codes, ['01', '03', '04', '05', '06']);
    const row = (okAnswer(await c('gov').call('getSentEdocList', { inputs: { servicetype: 'eDoc', messagetype: 'edoc', docId } }))['data'] as Json[])[0];
    assert.equal(row?.['receiveStatus'], '06');
    assert.equal(row?.['receiveStatusDesc'], 'Hoan thanh');
  });

  it('recalls after fetch: 13 goes to the recipient, its 15 comes back', async () => {
    const sent = okAnswer(await c('gov').sendEdoc(await edoc('000.00.00.G22', ['000.00.00.H14']), { from: '000.00.00.G22' }));
    const docId = String(sent['DocId']);
    const [item] = await listOf('caobang', 'edoc');
    assert.ok(item);
    await getPacket('caobang', item.docId);
    const edxmlId = await edxmlIdOf(docId);
    okAnswer(await c('gov').sendEdoc(await statusPacket('000.00.00.G22', '000.00.00.H14', edxmlId, '13', 'Gửi nhầm'), { from: '000.00.00.G22', messagetype: 'status' }));
    const asked = await drain('caobang', 'status');
    assert.equal((await parsePacketBytes(asked[0] ?? Buffer.alloc(0))).header.MessageHeader.StatusCode, '13');
    okAnswer(await c('caobang').sendEdoc(await statusPacket('000.00.00.H14', '000.00.00.G22', edxmlId, '15'), { from: '000.00.00.H14', messagetype: 'status' }));
    const answered = await drain('gov', 'status');
    assert.equal((await parsePacketBytes(answered[0] ?? Buffer.alloc(0))).header.MessageHeader.StatusCode, '15');
    const row = (okAnswer(await c('gov').call('getSentEdocList', { inputs: { servicetype: 'eDoc', messagetype: 'edoc', docId } }))['data'] as Json[])[0];
    assert.deepEqual([row?.['sendStatus'], row?.['receiveStatus']], ['recalled', '15']);
    failAnswer(await c('caobang').updateStatus(item.docId, 'done'), 'VDXP_E_DELIVERY_GONE');
  });

  it('refuses a packet whose kind is not the messagetype', async () => {
    failAnswer(await c('gov').sendEdoc(await edoc('000.00.00.G22', ['000.00.00.H41']), { from: '000.00.00.G22', messagetype: 'status' }), 'VDXP_E_PACKET_INVALID');
  });
});

describe('authentication and refusals', () => {
  it('refuses, for a strict system, a wrong secret, a stale or malformed timestamp, and a replayed signature; tolerates skew within the window', async () => {
    // Lenient (the default) systems keep a signature valid: sdk-clients.test.ts drives that.
    assert.equal(await setSystemVdxpStrict(t.hub.ctx, 'sys.gov', true, 'test'), true);
    failAnswer(await c('gov').call('countReceiveEdoc', { secret: 'not-the-secret' }), 'VDXP_E_VDXP_SIGNATURE');
    const window = t.hub.ctx.limits.vdxpReplayWindowSeconds * 1000;
    const stale = protocolTimestamp(t.clock.now() - window - 1000);
    const desc = failAnswer(await c('gov').call('countReceiveEdoc', { timestamp: stale }), 'VDXP_E_VDXP_TIMESTAMP');
    assert.match(desc, /gio Viet Nam/, 'the message shows the hub\'s time, so an operator sees the skew');
    failAnswer(await c('gov').call('countReceiveEdoc', { timestamp: protocolTimestamp(t.clock.now() + window + 1000) }), 'VDXP_E_VDXP_TIMESTAMP');
    failAnswer(await c('gov').call('countReceiveEdoc', { timestamp: '2026-11-23T08:00:00' }), 'VDXP_E_VDXP_TIMESTAMP');
    failAnswer(await c('gov').call('countReceiveEdoc', { timestamp: '31022026T080000+0000' }), 'VDXP_E_VDXP_TIMESTAMP');
    okAnswer(await c('gov').call('countReceiveEdoc', { timestamp: protocolTimestamp(t.clock.now() - window + 2000) }));
    okAnswer(await c('gov').call('countReceiveEdoc', { timestamp: protocolTimestamp(t.clock.now() + window - 2000) }));

    const first = await c('gov').call('countReceiveEdoc');
    okAnswer(first);
    failAnswer(await c('gov').send('countReceiveEdoc', 'POST', first.sent, '{}'), 'VDXP_E_VDXP_REPLAY');
    t.clock.advance(window + 1000);
    failAnswer(await c('gov').send('countReceiveEdoc', 'POST', first.sent, '{}'), 'VDXP_E_VDXP_TIMESTAMP');
    assert.equal(await setSystemVdxpStrict(t.hub.ctx, 'sys.gov', false, 'test'), true);
    okAnswer(await c('gov').send('countReceiveEdoc', 'POST', first.sent, '{}'));
  });

  it('takes a rotated secret at once and refuses the old one, whose key the hub had kept from the last call', async () => {
    await addSystem(t.hub.ctx, { id: 'sys.rotating', agencies: ['000.00.00.G09'], secret: 'before-rotation' }, 'test');
    const as = (secret: string): VdxpTestClient => new VdxpTestClient({ endpoint: url, systemId: 'sys.rotating', secret, now: () => t.clock.now() });
    okAnswer(await as('before-rotation').call('countReceiveEdoc'));
    okAnswer(await as('before-rotation').call('countReceiveEdoc'));
    await rotateSystemCredentials(t.hub.ctx, 'sys.rotating', 'test', 'after-rotation');
    failAnswer(await as('before-rotation').call('countReceiveEdoc'), 'VDXP_E_VDXP_SIGNATURE');
    okAnswer(await as('after-rotation').call('countReceiveEdoc'));
  });

  it('refuses headers that were not signed, or changed after signing, and malformed or missing signatures', async () => {
    failAnswer(await c('nghean').call('getEdoc', { inputs: { filePath: '/x' }, tamper: (h) => { h['XroadVnpt-docId'] = 'injected'; } }), 'VDXP_E_VDXP_UNSIGNED_HEADER');
    failAnswer(await c('gov').call('getSentEdocList', { inputs: { messagetype: 'edoc' }, tamper: (h) => { h['XroadVnpt-messagetype'] = 'status'; } }), 'VDXP_E_VDXP_UNSIGNED_HEADER');
    failAnswer(await c('gov').call('countReceiveEdoc', { tamper: (h) => { h['XroadVnpt-sign-header'] = '{not json'; } }), 'VDXP_E_VDXP_SIGN_HEADER');
    failAnswer(await c('gov').call('countReceiveEdoc', { tamper: (h) => { h['XroadVnpt-sign-header'] = '{"XroadVnpt-systemid":"sys.gov"}'; } }), 'VDXP_E_VDXP_SIGN_HEADER');
    failAnswer(await c('gov').call('countReceiveEdoc', { tamper: (h) => { delete h['XroadVnpt-hash-header']; } }), 'VDXP_E_AUTH_MISSING');
    const stranger = new VdxpTestClient({ endpoint: url, systemId: 'sys.nobody', secret: 'x', now: () => t.clock.now() });
    failAnswer(await stranger.call('countReceiveEdoc'), 'VDXP_E_AUTH_INVALID');
  });

  it('refuses a forged from, in the header or in the packet, with the axis\' own text', async () => {
    const desc = failAnswer(await c('gov').sendEdoc(await edoc('000.00.00.H41', ['000.00.00.G12']), { from: '000.00.00.H41' }), 'VDXP_E_FROM_NOT_ALLOWED');
    assert.equal(desc, 'Don vi gui 000.00.00.H41 khong dung voi ma da dang ky: sys.gov');
    const inPacket = failAnswer(await c('gov').sendEdoc(await edoc('000.00.00.H41', ['000.00.00.G12']), { from: '000.00.00.G22' }), 'VDXP_E_FROM_NOT_ALLOWED');
    assert.equal(inPacket, 'Don vi gui 000.00.00.H41 khong dung voi ma da dang ky: sys.gov');
  });

  it('refuses unknown docIds, in JSON, downloadEdoc with the error\'s HTTP status', async () => {
    failAnswer(await c('nghean').getEdoc('no-such-doc'), 'VDXP_E_DELIVERY_NOT_FOUND');
    failAnswer(await c('nghean').updateStatus('no-such-doc', 'done'), 'VDXP_E_DELIVERY_NOT_FOUND');
    failAnswer(await c('nghean').updateStatus('no-such-doc', 'processing'), 'VDXP_E_DELIVERY_NOT_FOUND');
    failAnswer(await c('nghean').call('downloadEdoc', { method: 'GET', inputs: { docId: 'no-such-doc' } }), 'VDXP_E_DELIVERY_NOT_FOUND', 404);
    failAnswer(await c('gov').call('getSentEdocList', { inputs: { docId: 'no-such-doc' } }), 'VDXP_E_DOCUMENT_NOT_FOUND');
    failAnswer(await c('nghean').updateStatus('x', 'maybe'), 'VDXP_E_BAD_REQUEST');
    failAnswer(await c('nghean').call('getEdoc'), 'VDXP_E_BAD_REQUEST');
  });

  it('refuses a body that does not match hash-file, leaving nothing behind', async () => {
    const blobs = await t.hub.ctx.blobs.list();
    const inline = inlinePackets.digests(t.dir);
    const sentBefore = (await t.hub.ctx.store.listSentDocuments('sys.gov', { limit: 10_000 })).length;
    const packet = await edoc('000.00.00.G22', ['000.00.00.H41']);
    const tampered = Buffer.from(packet);
    tampered[tampered.indexOf('Công văn')] = 0x63;
    failAnswer(await c('gov').sendEdoc(packet, { from: '000.00.00.G22', body: tampered }), 'VDXP_E_VDXP_HASH_FILE');
    failAnswer(await c('gov').sendEdoc(packet, { from: '000.00.00.G22', hashFile: 'xyz' }), 'VDXP_E_BAD_REQUEST');
    assert.deepEqual(await t.hub.ctx.blobs.list(), blobs);
    assert.deepEqual(inlinePackets.digests(t.dir), inline);
    assert.equal(await t.hub.ctx.blobs.stagedCount(), 0);
    assert.equal((await t.hub.ctx.store.listSentDocuments('sys.gov', { limit: 10_000 })).length, sentBefore);
    assert.deepEqual(await listOf('nghean', 'edoc'), []);
  });

  it('never hands out a stored packet that went missing or changed as if intact', async () => {
    const sent = okAnswer(await c('gov').sendEdoc(await edoc('000.00.00.G22', ['000.00.00.G12']), { from: '000.00.00.G22' }));
    const digest = (await t.hub.ctx.store.getDocument(String(sent['DocId'])))?.digest ?? assert.fail('stored');
    const [item] = await listOf('mof', 'edoc');
    assert.ok(item);
    // This small packet is kept inline, in the database.
    const original = inlinePackets.get(t.dir, digest) ?? assert.fail('kept inline');
    inlinePackets.set(t.dir, digest, undefined);
    failAnswer(await c('mof').getEdoc(item.docId), 'VDXP_E_BLOB_CORRUPT');
    failAnswer(await c('mof').call('downloadEdoc', { method: 'GET', inputs: { docId: item.docId } }), 'VDXP_E_BLOB_CORRUPT', 500);
    inlinePackets.set(t.dir, digest, Buffer.concat([original.subarray(0, original.length - 1), Buffer.from('!')]));
    // An inline packet is checked whole before the answer starts: a proper FAIL, for both calls.
    failAnswer(await c('mof').getEdoc(item.docId), 'VDXP_E_BLOB_CORRUPT');
    failAnswer(await c('mof').call('downloadEdoc', { method: 'GET', inputs: { docId: item.docId } }), 'VDXP_E_BLOB_CORRUPT', 500);
    inlinePackets.set(t.dir, digest, original);
    assert.deepEqual(await getPacket('mof', item.docId), original);
    okAnswer(await c('mof').updateStatus(item.docId, 'done'));

    // A packet file of several chunks changed to the same length: the answer has started, so it is cut off
    // before its last bytes, and Content-Length tells the client it is incomplete.
    const big = await edoc('000.00.00.G22', ['000.00.00.G12'], {}, [{ ContentId: 'cid:1', AttachmentName: 'a.pdf', ContentType: 'application/pdf', content: Buffer.alloc(600_000, 7) }]);
    const bigSent = okAnswer(await c('gov').sendEdoc(big, { from: '000.00.00.G22' }));
    const bigPath = t.hub.ctx.blobs.pathOf((await t.hub.ctx.store.getDocument(String(bigSent['DocId'])))?.digest ?? '');
    const [bigItem] = await listOf('mof', 'edoc');
    assert.ok(bigItem);
    const changed = Buffer.from(big);
    changed[changed.length - 20] = 0x20;
    writeFileSync(bigPath, changed);
    await assert.rejects(c('mof').call('downloadEdoc', { method: 'GET', inputs: { docId: bigItem.docId } }));
    await assert.rejects(c('mof').getEdoc(bigItem.docId));
    writeFileSync(bigPath, big);
    okAnswer(await c('mof').updateStatus(bigItem.docId, 'done'));
  });

  it('refuses a malformed multipart body', async () => {
    const packet = await edoc('000.00.00.G22', ['000.00.00.H41']);
    const noFileDoc = Buffer.from('--b\r\nContent-Disposition: form-data; name="other"\r\n\r\nx\r\n--b--\r\n');
    failAnswer(await c('gov').call('sendEdoc', {
      contentType: 'multipart/form-data; boundary=b', body: noFileDoc,
      inputs: { from: '000.00.00.G22', servicetype: 'eDoc', messagetype: 'edoc', 'hash-file': sdkHashFile(packet) },
    }), 'VDXP_E_VDXP_MULTIPART');
  });

  it('answers unknown calls and wrong methods in JSON, never HTML', async () => {
    failAnswer(await c('gov').call('getEverything'), 'VDXP_E_NOT_FOUND');
    failAnswer(await c('gov').call('sendEdoc', { method: 'GET' }), 'VDXP_E_NOT_FOUND');
    const bare = await fetch(`${url}/getReceivedEdocList`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{broken' });
    assert.match(bare.headers.get('content-type') ?? '', /json/);
    assert.equal(((await bare.json()) as Json)['ErrorCode'], 'VDXP_E_AUTH_MISSING');
  });
});

describe('registry calls', () => {
  it('lists agencies with the protocol\'s fields, QĐ20 codes by level, and what changed since a version', async () => {
    const list = okAnswer(await c('gov').call('getAgenciesList'))['data'] as Json[];
    const g22 = list.find((a) => a['code'] === '000.00.00.G22');
    assert.deepEqual(g22, { id: '000.00.00.G22', pid: '', code: '000.00.00.G22', name: 'Văn phòng Chính phủ', mail: '', oldCode: '' });
    assert.equal(list.find((a) => a['code'] === '000.00.15.H41')?.['pid'], '000.00.00.H41');
    const qd20 = okAnswer(await c('gov').call('getAgenciesListQD20', { inputs: { level: '1' } }))['data'] as Json[];
    assert.deepEqual(qd20.find((a) => a['id'] === '000.00.00.G09'), { id: '000.00.00.G09', code: 'G09', name: 'Bộ Thử nghiệm', mail: '', code102: '000.00.00.G09' });
    assert.ok(!qd20.some((a) => a['id'] === '000.00.15.H41'), 'level 2 is not level 1');
    const all = okAnswer(await c('gov').call('getSynchronizeUnit'))['data'] as Json[];
    assert.deepEqual(Object.keys(all[0] ?? {}).sort(), ['centerCode', 'code', 'deleted', 'id', 'isAgency', 'mail', 'modifyDate', 'name', 'pid', 'version'].sort());
    const latest = Math.max(...all.map((a) => a['version'] as number));
    assert.deepEqual(okAnswer(await c('gov').call('getSynchronizeUnit', { inputs: { afterVersion: String(latest) } }))['data'], []);
    failAnswer(await c('gov').call('getSynchronizeUnit', { inputs: { afterVersion: 'yesterday' } }), 'VDXP_E_BAD_REQUEST');
  });

  it('lets a system register and delete units under an agency it acts for, and no other', async () => {
    const body = JSON.stringify({ id: '1234', pcode: '000.00.00.H41', code: '000.00.31.H41', name: 'UBND xã Thử', mail: 'xa@example.vn', mobile: '0900', fax: '' });
    const before1 = Math.max(...(okAnswer(await c('gov').call('getSynchronizeUnit'))['data'] as Json[]).map((a) => a['version'] as number));
    failAnswer(await c('caobang').call('registerAgency', { body }), 'VDXP_E_VDXP_AGENCY_FORBIDDEN');
    okAnswer(await c('nghean').call('registerAgency', { body }));
    okAnswer(await c('nghean').call('registerAgency', { body }));
    failAnswer(await c('nghean').call('registerAgency', { body: '{"code": "x"}' }), 'VDXP_E_BAD_REQUEST');
    okAnswer(await c('nghean').sendEdoc(await edoc('000.00.31.H41', ['000.00.00.G22']), { from: '000.00.31.H41' }));
    await drain('gov', 'edoc');

    failAnswer(await c('caobang').call('deleteAgency', { inputs: { AgencyCode: '000.00.31.H41' } }), 'VDXP_E_VDXP_AGENCY_FORBIDDEN');
    okAnswer(await c('nghean').call('deleteAgency', { inputs: { AgencyCode: '000.00.31.H41' } }));
    failAnswer(await c('nghean').call('deleteAgency', { inputs: { AgencyCode: 'no.such' } }), 'VDXP_E_AGENCY_UNKNOWN');
    const changed = okAnswer(await c('gov').call('getSynchronizeUnit', { inputs: { afterVersion: String(before1) } }))['data'] as Json[];
    assert.deepEqual(changed.map((a) => [a['code'], a['deleted'], a['pid']]), [['000.00.31.H41', true, '000.00.00.H41']]);
    assert.ok(!(okAnswer(await c('gov').call('getAgenciesList'))['data'] as Json[]).some((a) => a['code'] === '000.00.31.H41'));
    failAnswer(await c('gov').sendEdoc(await edoc('000.00.00.G22', ['000.00.31.H41']), { from: '000.00.00.G22' }), 'VDXP_E_RECIPIENT_INACTIVE');
  });
});

describe('limits', () => {
  it('refuses, rather than forgets, when the replay cache is full', async () => {
    const small = await startTestHub({ limits: { vdxpReplayCacheMax: 2 } });
    const s = await listen(small.hub);
    try {
      await setSystemVdxpStrict(small.hub.ctx, 'sys.gov', true, 'test');
      const gov = new VdxpTestClient({ endpoint: s.url, systemId: 'sys.gov', secret: 'gov-secret', now: () => small.clock.now() });
      okAnswer(await gov.call('countReceiveEdoc'));
      okAnswer(await gov.call('countReceiveEdoc'));
      failAnswer(await gov.call('countReceiveEdoc'), 'VDXP_E_VDXP_BUSY');
      small.clock.advance((small.hub.ctx.limits.vdxpReplayWindowSeconds + 1) * 1000);
      okAnswer(await gov.call('countReceiveEdoc'));
    } finally {
      await s.app.close();
      await small.close();
    }
  });
});

it('produced every VDXP_E_VDXP_* code for real', () => {
  const own = Object.keys(HUB_ERRORS).filter((code) => code.startsWith('VDXP_E_VDXP_'));
  assert.ok(own.length >= 9);
  assert.deepEqual(own.filter((code) => !seen.has(code)), []);
});
