// @vdxp/client against a real hub over a real socket: sending (bytes, file, model), resends and retries that
// never make a second document, the receive loop's acks after the handler (fail when it throws or does not
// read), statuses, recall, update, replace, cancellation, progress, and refusals that are not retried.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { parsePacketBytes } from '@vdxp/edxml';
import { edoc, listen, startTestHub, type TestHub } from '../../hub/test-support/testkit.ts';
import { VdxpClient, VdxpClientError, type Progress, type ReceiveEvent } from './index.ts';
import { fileSource, nodeFetch, writeFileDurably } from './node.ts';

let t: TestHub;
let url: string;
let stop: () => Promise<void>;
let dir: string;

before(async () => {
  t = await startTestHub();
  const s = await listen(t.hub);
  url = s.url;
  dir = mkdtempSync(join(tmpdir(), 'vdxp-client-'));
  stop = async () => { await s.app.close(); await t.close(); rmSync(dir, { recursive: true, force: true }); };
});
after(async () => stop());

const client = (name: string, o: Partial<ConstructorParameters<typeof VdxpClient>[0]> = {}): VdxpClient =>
  new VdxpClient({ hub: url, token: t.systems[name]?.token ?? '', retry: { delayMsInitial: 5, delayMsMax: 20 }, ...o });

async function drain(c: VdxpClient, kind: 'edoc' | 'status' = 'edoc'): Promise<Map<string, Buffer>> {
  const got = new Map<string, Buffer>();
  await c.receive(async (p) => {
    got.set(p.item.documentId, Buffer.from(await new Response(p.body).arrayBuffer()));
  }, { once: true, kind });
  return got;
}

describe('@vdxp/client', () => {
  it('sends bytes; the same bytes again answer the same ids with created false', async () => {
    const packet = await edoc('000.00.00.G22', ['000.00.00.G12']);
    const first = await client('gov').send(packet);
    assert.equal(first.created, true);
    assert.equal(first.digest, createHash('sha256').update(packet).digest('hex'));
    const again = await client('gov').send(packet);
    assert.equal(again.created, false);
    assert.equal(again.id, first.id);
    assert.deepEqual(again.deliveries, first.deliveries);
    const got = await drain(client('mof'));
    assert.deepEqual(got.get(first.id), packet);
  });

  it('retries a send whose answer was lost, and the hub keeps one document', async () => {
    let calls = 0;
    // The request reaches the hub and is accepted; the first two answers are lost on the way back.
    const lossy: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (++calls <= 2) {
        await res.body?.cancel();
        throw new TypeError('fetch failed: connection reset');
      }
      return res;
    };
    const retries: number[] = [];
    const packet = await edoc('000.00.00.G22', ['000.00.00.H14']);
    const r = await client('gov', { fetch: lossy, onRetry: (e) => retries.push(e.attempt) }).send(packet);
    assert.equal(calls, 3);
    assert.deepEqual(retries, [1, 2]);
    assert.equal(r.created, false, 'the third attempt is answered as the resend it is');
    const view = await client('gov').document(r.id);
    assert.equal(view.deliveries.length, 1);
    const got = await drain(client('caobang'));
    assert.equal([...got.keys()].filter((id) => id === r.id).length, 1);
    assert.equal(got.size, 1, 'one document, not three');
  });

  it('does not retry a refusal, and says its code and status', async () => {
    let calls = 0;
    const counting: typeof fetch = (input, init) => { calls++; return fetch(input, init); };
    const e = await client('gov', { fetch: counting }).send(await edoc('000.00.00.G22', ['000.00.00.Z99'])).catch((x: unknown) => x);
    assert.ok(e instanceof VdxpClientError);
    assert.equal(e.code, 'VDXP_E_RECIPIENT_UNKNOWN');
    assert.equal(e.status, 422);
    assert.equal(e.retryable, false);
    assert.equal(calls, 1);
    const bad = await new VdxpClient({ hub: url, token: 'vdxp_nope' }).inbox().catch((x: unknown) => x);
    assert.equal((bad as VdxpClientError).code, 'VDXP_E_AUTH_INVALID');
  });

  it('sends a file and a model with upload progress; receives with download progress, byte for byte', async () => {
    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(900_000, 3)]);
    const packet = await edoc('000.00.00.G22', ['000.00.00.H41'], {}, [{ ContentId: 'cid:1', AttachmentName: 'a.pdf', ContentType: 'application/pdf', content: pdf }]);
    const file = join(dir, 'big.edxml');
    writeFileSync(file, packet);
    const up: Progress[] = [];
    const sent = await client('gov').send(await fileSource(file), { onProgress: (p) => up.push(p) });
    assert.equal(sent.bytes, packet.length);
    assert.ok(up.length >= 2, 'several upload reports');
    assert.deepEqual(up.at(-1), { phase: 'upload', bytes: packet.length, total: packet.length });

    const parsed = await parsePacketBytes(await edoc('000.00.00.G22', ['000.00.00.H41']));
    const fromModel = await client('gov').sendModel({ header: parsed.header, attachments: [{ ContentId: 'cid:1', AttachmentName: 'b.txt', ContentType: 'text/plain', content: Buffer.from('Phụ lục') }] });
    assert.equal(fromModel.created, true);

    const down: Progress[] = [];
    const out = join(dir, 'received.edxml');
    const seen: string[] = [];
    await client('nghean').receive(async (p) => {
      if (p.item.documentId === sent.id) await writeFileDurably(out, p.body);
      else await new Response(p.body).arrayBuffer();
      seen.push(p.item.documentId);
    }, { once: true, kind: 'edoc', onProgress: (p) => down.push(p) });
    assert.deepEqual(seen.sort(), [sent.id, fromModel.id].sort());
    assert.deepEqual(readFileSync(out), packet);
    assert.ok(down.some((p) => p.phase === 'download' && p.bytes === packet.length && p.total === packet.length));
    const view = await client('gov').document(sent.id);
    assert.equal(view.deliveries[0]?.state, 'done');
  });

  it('fails (does not ack) a delivery whose handler throws or does not read the packet, and hands it out again', async () => {
    const sent = await client('gov').send(await edoc('000.00.00.G22', ['000.00.00.H14']));
    const events: ReceiveEvent['type'][] = [];
    const r1 = await client('caobang').receive(async () => { throw new Error('disk full'); }, { once: true, onEvent: (e) => events.push(e.type) });
    assert.deepEqual(r1, { acked: 0, failed: 1, gone: 0 });
    let view = await client('gov').document(sent.id);
    assert.equal(view.deliveries[0]?.state, 'queued');
    assert.equal(view.deliveries[0]?.attempts, 1);
    assert.match(view.deliveries[0]?.lastReason ?? '', /disk full/);

    const r2 = await client('caobang').receive(async () => {}, { once: true });
    assert.deepEqual(r2, { acked: 0, failed: 1, gone: 0 }, 'resolving without reading is not storing');
    view = await client('gov').document(sent.id);
    assert.match(view.deliveries[0]?.lastReason ?? '', /without reading the packet/);

    const got = await drain(client('caobang'));
    assert.ok(got.has(sent.id));
    assert.equal((await client('gov').document(sent.id)).deliveries[0]?.state, 'done');
    assert.deepEqual(events, ['received', 'failed']);
    const deliveryId = sent.deliveries[0]?.id ?? '';
    const mine = await client('caobang').delivery(deliveryId);
    assert.deepEqual([mine.state, mine.documentId, mine.from], ['done', sent.id, '000.00.00.G22']);
    const other = await client('mof').delivery(deliveryId).catch((x: unknown) => x);
    assert.equal((other as VdxpClientError).code, 'VDXP_E_DELIVERY_NOT_FOUND');
  });

  it('stops a long-poll when aborted, promptly, and leaves nothing acked', async () => {
    const abort = new AbortController();
    const started = performance.now();
    const loop = client('mof').receive(async () => {}, { signal: abort.signal, waitSeconds: 30 });
    setTimeout(() => abort.abort(), 200);
    const summary = await loop;
    assert.deepEqual(summary, { acked: 0, failed: 0, gone: 0 });
    assert.ok(performance.now() - started < 10_000, 'not the 30 s of the long-poll');
    const e = await client('gov').send(await edoc('000.00.00.G22', ['000.00.00.G12']), { signal: AbortSignal.abort() }).catch((x: unknown) => x);
    assert.equal((e as Error).name, 'AbortError');
  });

  it('wakes a following loop when a document arrives, and stops on abort after it', async () => {
    const abort = new AbortController();
    const got: string[] = [];
    const loop = client('mof').receive(async (p) => {
      await new Response(p.body).arrayBuffer();
      got.push(p.item.documentId);
      abort.abort();
    }, { signal: abort.signal, waitSeconds: 20 });
    const sent = await client('gov').send(await edoc('000.00.00.G22', ['000.00.00.G12']));
    const summary = await loop;
    assert.deepEqual(got, [sent.id]);
    // Aborted inside the handler: the ack is not sent, the delivery comes back to the next loop.
    assert.equal(summary.acked, 0);
    assert.ok((await drain(client('mof'))).has(sent.id));
  });

  it('works the same over nodeFetch (node:http): send, resend, refusal, receive, ack, abort', async () => {
    const gov = client('gov', { fetch: nodeFetch });
    const packet = await edoc('000.00.00.G22', ['000.00.00.G12'], {}, [{ ContentId: 'cid:1', AttachmentName: 'a.bin', ContentType: 'application/octet-stream', content: Buffer.alloc(300_000, 9) }]);
    const file = join(dir, 'node-fetch.edxml');
    writeFileSync(file, packet);
    const first = await gov.send(await fileSource(file));
    assert.equal(first.created, true);
    assert.equal((await gov.send(packet)).id, first.id);
    const refused = await gov.send(await edoc('000.00.00.G22', ['000.00.00.Z99'])).catch((x: unknown) => x);
    assert.equal((refused as VdxpClientError).code, 'VDXP_E_RECIPIENT_UNKNOWN');
    const got = new Map<string, Buffer>();
    await client('mof', { fetch: nodeFetch }).receive(async (p) => { got.set(p.item.documentId, Buffer.from(await new Response(p.body).arrayBuffer())); }, { once: true, kind: 'edoc' });
    assert.deepEqual(got.get(first.id), packet);
    assert.equal((await gov.document(first.id)).deliveries[0]?.state, 'done');
    const abort = new AbortController();
    const loop = client('mof', { fetch: nodeFetch }).receive(async () => {}, { signal: abort.signal, waitSeconds: 30 });
    setTimeout(() => abort.abort(), 100);
    assert.deepEqual(await loop, { acked: 0, failed: 0, gone: 0 });
    const down = await new VdxpClient({ hub: 'http://127.0.0.1:1', token: 'x', fetch: nodeFetch, retry: { attemptsMax: 2, delayMsInitial: 1 } }).inbox().catch((x: unknown) => x);
    assert.deepEqual([(down as VdxpClientError).code, (down as VdxpClientError).retryable], ['VDXP_CLIENT_E_NETWORK', true]);
  });

  it('sends statuses, a recall, an update and a replacement', async () => {
    const gov = client('gov');
    const nghean = client('nghean');
    const a = await gov.send(await edoc('000.00.00.G22', ['000.00.00.H41']));
    await drain(nghean);
    const edxmlId = (await gov.document(a.id)).documentId ?? '';
    for (const code of ['01', '03'] as const) {
      const st = await nghean.sendStatus({ from: '000.00.00.H41', about: '000.00.00.G22', documentId: edxmlId, code, description: 'Đã nhận' });
      assert.equal(st.kind, 'status');
    }
    assert.deepEqual((await gov.document(a.id)).deliveries[0]?.statuses.map((s) => s.statusCode), ['01', '03']);
    const early = await nghean.sendStatus({ from: '000.00.00.H41', about: '000.00.00.G22', documentId: edxmlId, code: '15' }).catch((x: unknown) => x);
    assert.equal((early as VdxpClientError).code, 'VDXP_E_STATUS_TRANSITION');

    const b = await gov.send(await edoc('000.00.00.G22', ['000.00.00.H14']));
    const bId = (await gov.document(b.id)).documentId ?? '';
    const recall = await gov.recall({ from: '000.00.00.G22', recipient: '000.00.00.H14', documentId: bId, reason: 'Gửi nhầm' });
    assert.equal(recall.recall, 'withdrawn');

    const c = await gov.send(await edoc('000.00.00.G22', ['000.00.00.H41']));
    const cId = (await gov.document(c.id)).documentId ?? '';
    const base = (await parsePacketBytes(await edoc('000.00.00.G22', ['000.00.00.H41']))).header;
    const upd = await gov.sendChange({ header: base }, { type: 'update', documentId: cId, reason: 'Thêm nơi nhận', add: ['000.00.00.G12'] });
    assert.deepEqual(upd.deliveries.map((d) => d.recipient).sort(), ['000.00.00.G12', '000.00.00.H41']);
    assert.deepEqual((await gov.document(c.id)).links.map((l) => l.relation), ['updates']);
    const base2 = (await parsePacketBytes(await edoc('000.00.00.G22', ['000.00.00.H41']))).header;
    const rep = await gov.sendChange({ header: base2 }, { type: 'replace', reason: 'Thay thế', replaces: [{ documentId: cId, organIds: ['000.00.00.H41'] }] });
    assert.deepEqual((await gov.document(rep.id)).links.map((l) => l.relation), ['replaces']);
  });

  describe('the fast path (batch fetch and batch ack) and the fallback to one by one', () => {
    // Earlier tests may leave deliveries to mof (an update adds it as a recipient): each test starts from an empty inbox.
    beforeEach(async () => { await drain(client('mof')); });
    /** A fetch that notes each request as "METHOD /path" and can rewrite a request or its answer. */
    const recording = (log: string[], rewrite: (method: string, u: URL, res: () => Promise<Response>) => Promise<Response> = async (_m, _u, res) => res()): typeof fetch =>
      async (input, init) => {
        const u = new URL(input instanceof Request ? input.url : String(input));
        const method = init?.method ?? 'GET';
        log.push(`${method} ${u.pathname}`);
        return rewrite(method, u, () => fetch(u, init));
      };
    const sendMof = async (attachmentBytes: number): Promise<{ id: string; packet: Buffer }> => {
      const packet = await edoc('000.00.00.G22', ['000.00.00.G12'], {}, [{ ContentId: 'cid:1', AttachmentName: 'a.bin', ContentType: 'application/octet-stream', content: Buffer.alloc(attachmentBytes, 5) }]);
      return { id: (await client('gov').send(packet)).id, packet };
    };
    const receiveAll = async (c: VdxpClient): Promise<{ got: Map<string, Buffer>; summary: Awaited<ReturnType<VdxpClient['receive']>> }> => {
      const got = new Map<string, Buffer>();
      const summary = await c.receive(async (p) => { got.set(p.item.documentId, Buffer.from(await new Response(p.body).arrayBuffer())); }, { once: true, kind: 'edoc' });
      return { got, summary };
    };

    it('takes small packets from the inbox answer, fetches a large one alone, and acks the page in one call', async () => {
      const small = [await sendMof(1000), await sendMof(2000), await sendMof(3000)];
      const large = await sendMof(200_000);
      const log: string[] = [];
      const { got, summary } = await receiveAll(client('mof', { fetch: recording(log) }));
      assert.deepEqual(summary, { acked: 4, failed: 0, gone: 0 });
      for (const s of [...small, large]) assert.deepEqual(got.get(s.id), s.packet, 'byte for byte');
      assert.equal(log.filter((l) => l.endsWith('/packet')).length, 1, `only the large one fetched alone: ${log.join(', ')}`);
      assert.deepEqual(log.filter((l) => l.includes('/ack')), ['POST /v1/deliveries/ack'], 'one batch ack for the page');
      for (const s of [...small, large]) assert.equal((await client('gov').document(s.id)).deliveries[0]?.state, 'done');
    });

    it('against an older hub (no inline, no batch ack): one fetch and one ack per packet', async () => {
      const sent = [await sendMof(1000), await sendMof(2000)];
      const log: string[] = [];
      const older = recording(log, async (method, u, res) => {
        if (method === 'POST' && u.pathname === '/v1/deliveries/ack') return Response.json({ error: { code: 'VDXP_E_NOT_FOUND', message: 'No such route' } }, { status: 404 });
        u.searchParams.delete('inline');
        return res();
      });
      const { got, summary } = await receiveAll(client('mof', { fetch: older }));
      assert.deepEqual(summary, { acked: 2, failed: 0, gone: 0 });
      for (const s of sent) assert.deepEqual(got.get(s.id), s.packet);
      assert.equal(log.filter((l) => l.endsWith('/packet')).length, 2);
      assert.equal(log.filter((l) => /^POST \/v1\/deliveries\/[^/]+\/ack$/.test(l) && !l.startsWith('POST /v1/deliveries/ack')).length, 2, log.join(', '));
      assert.ok(!log.includes('POST /v1/deliveries/ack'), 'no batch ack asked of it');
    });

    it('a hub behind a proxy without the batch ack route: acks one by one after the 404; a damaged carried packet is failed, not handled', async () => {
      const ok = await sendMof(1000);
      const damaged = await sendMof(1500);
      const log: string[] = [];
      const proxy = recording(log, async (method, u, res) => {
        if (method === 'POST' && u.pathname === '/v1/deliveries/ack') return Response.json({ error: { code: 'VDXP_E_NOT_FOUND', message: 'No such route' } }, { status: 404 });
        const r = await res();
        if (u.pathname !== '/v1/inbox') return r;
        const page = await r.json() as { items: { documentId: string; packet?: string }[] };
        for (const i of page.items) if (i.documentId === damaged.id && i.packet) i.packet = Buffer.from('hỏng').toString('base64');
        return Response.json(page);
      });
      const events: string[] = [];
      const handled = new Set<string>();
      const summary = await client('mof', { fetch: proxy }).receive(async (p) => { handled.add(p.item.documentId); await new Response(p.body).arrayBuffer(); }, { once: true, kind: 'edoc', onEvent: (e) => events.push(e.type) });
      assert.deepEqual(summary, { acked: 1, failed: 1, gone: 0 });
      assert.ok(handled.has(ok.id) && !handled.has(damaged.id), 'the handler never saw the damaged bytes');
      assert.equal(log.filter((l) => l === 'POST /v1/deliveries/ack').length, 1, 'tried once');
      const view = (await client('gov').document(damaged.id)).deliveries[0];
      assert.deepEqual([view?.state, view?.attempts], ['queued', 1]);
      assert.match(view?.lastReason ?? '', /carried in the inbox answer/);
      assert.equal((await client('gov').document(ok.id)).deliveries[0]?.state, 'done');
      const again = await receiveAll(client('mof'));
      assert.deepEqual(again.got.get(damaged.id), damaged.packet, 'handed out again, whole');
    });

    /** A following loop until `count` documents were acked; stopped then. */
    const follow = async (c: VdxpClient, count: number, o: { prefetch?: number; onHandled?: (documentId: string, deliveryId: string) => Promise<void> } = {}): Promise<{ got: Map<string, Buffer>; summary: Awaited<ReturnType<VdxpClient['receive']>> }> => {
      const got = new Map<string, Buffer>();
      const abort = new AbortController();
      let acked = 0;
      const summary = await c.receive(async (p) => {
        got.set(p.item.documentId, Buffer.from(await new Response(p.body).arrayBuffer()));
        await o.onHandled?.(p.item.documentId, p.deliveryId);
      }, {
        kind: 'edoc', signal: abort.signal, waitSeconds: 1, ...(o.prefetch !== undefined ? { prefetch: o.prefetch } : {}),
        onEvent: (e) => { if (e.type === 'acked' && ++acked >= count) abort.abort(); },
      });
      return { got, summary };
    };

    it('a following loop receives over the inbox stream: acks in batches, each only after its handler, a large packet fetched alone', async () => {
      const sent = [await sendMof(1000), await sendMof(1100), await sendMof(1200), await sendMof(200_000), await sendMof(1300), await sendMof(1400), await sendMof(1500)];
      const log: string[] = [];
      const states: string[] = [];
      const { got, summary } = await follow(client('mof', { fetch: recording(log) }), sent.length, {
        prefetch: 3,
        // While its handler runs, a delivery is not acked yet.
        onHandled: async (_doc, deliveryId) => { states.push((await t.hub.ctx.store.getDelivery(deliveryId))?.state ?? 'missing'); },
      });
      assert.equal(summary.acked, sent.length);
      for (const s of sent) assert.deepEqual(got.get(s.id), s.packet, 'byte for byte');
      assert.ok(states.every((st) => st === 'fetched'), `not acked before its handler ended: ${states.join(', ')}`);
      assert.ok(log.includes('GET /v1/inbox/stream'), log.join(', '));
      assert.ok(!log.includes('GET /v1/inbox'), 'no long-poll while the stream is offered');
      assert.equal(log.filter((l) => l.endsWith('/packet')).length, 1, 'only the large one fetched alone');
      const acks = log.filter((l) => l === 'POST /v1/deliveries/ack').length;
      assert.ok(acks >= 3 && acks < sent.length, `batch acks, each giving credit back (prefetch 3 for 7 documents): ${acks}`);
      for (const s of sent) assert.equal((await client('gov').document(s.id)).deliveries[0]?.state, 'done');
    });

    it('against a hub without the inbox stream (404), a following loop long-polls instead', async () => {
      const sent = [await sendMof(1000), await sendMof(2000)];
      const log: string[] = [];
      // The hub's own answer for a route it does not have.
      const older = recording(log, async (_method, u, res) => { if (u.pathname === '/v1/inbox/stream') u.pathname = '/v1/inbox/stream-unknown'; return res(); });
      const { got, summary } = await follow(client('mof', { fetch: older }), sent.length);
      assert.equal(summary.acked, 2);
      for (const s of sent) assert.deepEqual(got.get(s.id), s.packet);
      assert.equal(log.filter((l) => l === 'GET /v1/inbox/stream').length, 1, 'tried once');
      assert.ok(log.includes('GET /v1/inbox'), log.join(', '));
    });
  });
});
