// Batch receive over a real socket, on both store engines: the inbox answer that carries small packets and
// hands them out in one transaction (GET /v1/inbox?inline=N), and the batch ack (POST /v1/deliveries/ack) with
// an outcome per item. Recall before and after the batch hand-out, the per-answer byte cap, a packet that
// cannot be read, replays, and the refusals of a malformed or too large batch.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { verifyAudit } from './audit.ts';
import { openHub, type Hub, type HubOptions } from './hub.ts';
import { DEFAULT_HUB_LIMITS, operatorLimits } from './limits.ts';
import { addSystem, importAgencies } from './registry.ts';
import type { Store } from './store/store.ts';
import { startPostgres, type PgCluster } from '../test-support/postgres.ts';
import { AGENCIES, edoc, inlinePackets, listen, statusPacket } from '../test-support/testkit.ts';

interface Json { [k: string]: unknown }
interface Item { deliveryId: string; documentId: string; edxmlDocumentId: string; bytes: number; digest: string; state: string; packet?: string }
interface Outcome { deliveryId: string; state?: string; attempts?: number; changed?: boolean; error?: { code: string } }

/** Small limits so that a few packets show every edge: 3 KB carried at most, 12 KB per answer, 4 acks per call. */
const LIMITS = { inboxInlinePacketBytesMax: 3_000, inboxInlineBytesMax: 12_000, ackBatchItemsMax: 4 };
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

interface Fixture {
  hub: Hub;
  url: string;
  tokens: Record<string, string>;
  /** The SQLite folder, to damage a kept packet behind the hub's back (undefined on PostgreSQL). */
  dir: string | undefined;
  close(): Promise<void>;
}

async function fixture(options: Partial<HubOptions>, dir: string | undefined, cleanup: () => Promise<void>): Promise<Fixture> {
  const hub = await openHub({ ...options, limits: LIMITS });
  await importAgencies(hub.ctx, AGENCIES, 'test');
  const tokens: Record<string, string> = {
    gov: (await addSystem(hub.ctx, { id: 'sys.gov', agencies: ['000.00.00.G22'], secret: 'gov-secret' }, 'test')).token,
    nghean: (await addSystem(hub.ctx, { id: 'sys.nghean', agencies: ['000.00.00.H41'], secret: 'nghean-secret' }, 'test')).token,
    caobang: (await addSystem(hub.ctx, { id: 'sys.caobang', agencies: ['000.00.00.H14'], secret: 'caobang-secret' }, 'test')).token,
  };
  const s: { app: FastifyInstance; url: string } = await listen(hub);
  return { hub, url: s.url, tokens, dir, async close() { await s.app.close(); await hub.close(); await cleanup(); } };
}

function suite(name: string, open: () => Promise<Fixture>): void {
  describe(name, () => {
    let f: Fixture;
    before(async () => { f = await open(); });
    after(async () => f.close());

    const call = async (who: string, method: string, path: string, body?: Uint8Array | Json | unknown[]): Promise<{ status: number; json: Json; bytes: Buffer }> => {
      const res = await fetch(f.url + path, {
        method,
        headers: { authorization: `Bearer ${f.tokens[who] ?? ''}`, ...(body === undefined ? {} : { 'content-type': body instanceof Uint8Array ? 'application/xml' : 'application/json' }) },
        ...(body === undefined ? {} : { body: body instanceof Uint8Array ? body : JSON.stringify(body) }),
      });
      const bytes = Buffer.from(await res.arrayBuffer());
      return { status: res.status, json: res.headers.get('content-type')?.includes('json') ? JSON.parse(bytes.toString('utf8')) as Json : {}, bytes };
    };
    const send = async (to: string, attachmentBytes: number): Promise<{ id: string; packet: Buffer; edxmlId: string }> => {
      const packet = await edoc('000.00.00.G22', [to], {}, attachmentBytes > 0
        ? [{ ContentId: 'cid:1', AttachmentName: 'tep.pdf', ContentType: 'application/pdf', content: Buffer.alloc(attachmentBytes, 0x41) }]
        : []);
      const r = await call('gov', 'POST', '/v1/documents', packet);
      assert.equal(r.status, 201, JSON.stringify(r.json));
      const id = r.json['id'] as string;
      return { id, packet, edxmlId: (await f.hub.ctx.store.getDocument(id))?.edxmlId ?? '' };
    };
    const page = async (who: string, query: string): Promise<{ items: Item[]; next: string | null; inlinePacketBytesMax?: number }> => {
      const r = await call(who, 'GET', `/v1/inbox?kind=edoc&${query}`);
      assert.equal(r.status, 200, JSON.stringify(r.json));
      return r.json as never;
    };
    const events = async (type: string, deliveryId: string): Promise<number> =>
      (await f.hub.ctx.store.events(0, 100_000)).filter((e) => e.type === type && e.deliveryId === deliveryId).length;
    const ackBatch = async (who: string, acks: unknown[]): Promise<Outcome[]> => {
      const r = await call(who, 'POST', '/v1/deliveries/ack', acks);
      assert.equal(r.status, 200, JSON.stringify(r.json));
      return r.json['results'] as Outcome[];
    };
    /** Counts the store's transactions while `fn` runs (the hub reads ctx.store at each call). */
    const countingTransactions = async (fn: () => Promise<void>): Promise<number> => {
      const real = f.hub.ctx.store;
      let n = 0;
      f.hub.ctx.store = new Proxy(real, {
        get(target, prop, receiver): unknown {
          const v = Reflect.get(target, prop, receiver) as unknown;
          if (prop === 'transaction') return (fn2: Parameters<Store['transaction']>[0]) => { n++; return target.transaction(fn2); };
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      });
      try { await fn(); } finally { f.hub.ctx.store = real; }
      return n;
    };

    it('carries small packets byte for byte and hands them out in one transaction; a large one stays an item; batch ack records all in one', async () => {
      const small = [await send('000.00.00.H41', 500), await send('000.00.00.H41', 1000)];
      const large = await send('000.00.00.H41', 6000);
      const plain = await page('nghean', 'limit=100');
      assert.equal(plain.items.length, 3);
      assert.ok(plain.items.every((i) => i.packet === undefined && i.state === 'queued'), 'without inline: today\'s answer');
      assert.equal(plain.inlinePacketBytesMax, undefined);

      let got: Awaited<ReturnType<typeof page>> | undefined;
      const tx = await countingTransactions(async () => { got = await page('nghean', 'limit=100&inline=1000000'); });
      assert.ok(got);
      assert.equal(tx, 1, 'the hand-out of both small packets is one transaction');
      assert.equal(got.inlinePacketBytesMax, LIMITS.inboxInlinePacketBytesMax, 'the caller\'s cap, capped by the hub\'s');
      const byDoc = new Map(got.items.map((i) => [i.documentId, i]));
      for (const s of small) {
        const item = byDoc.get(s.id);
        assert.ok(item?.packet !== undefined, `document ${s.id} carried`);
        const bytes = Buffer.from(item.packet, 'base64');
        assert.ok(bytes.equals(s.packet), 'byte for byte');
        assert.equal(item.digest, sha256(bytes));
        assert.equal(item.state, 'fetched');
        assert.equal(await events('delivery:fetched', item.deliveryId), 1);
      }
      const big = byDoc.get(large.id);
      assert.ok(big && big.packet === undefined && big.state === 'queued', 'larger than the cap: an item to fetch alone');
      assert.equal(got.next, String(Math.max(...(await f.hub.ctx.store.inbox('sys.nghean', { limit: 100 })).map((i) => i.delivery.seq))));

      // Again (a crash lost the answer): the same packets, no second hand-out event.
      const again = await page('nghean', 'limit=100&inline=1000000');
      for (const s of small) {
        const item = again.items.find((i) => i.documentId === s.id);
        assert.ok(item?.packet !== undefined && Buffer.from(item.packet, 'base64').equals(s.packet));
        assert.equal(await events('delivery:fetched', item.deliveryId), 1, 'a repeated hand-out records nothing');
      }
      const bigPacket = await call('nghean', 'GET', `/v1/deliveries/${big.deliveryId}/packet`);
      assert.equal(bigPacket.status, 200);
      assert.ok(bigPacket.bytes.equals(large.packet));

      const ids = got.items.map((i) => i.deliveryId);
      let outcomes: Outcome[] = [];
      const ackTx = await countingTransactions(async () => { outcomes = await ackBatch('nghean', ids.map((deliveryId) => ({ deliveryId, result: 'done' }))); });
      assert.equal(ackTx, 1, 'one transaction for the batch');
      assert.deepEqual(outcomes.map((o) => [o.deliveryId, o.state, o.changed]), ids.map((id) => [id, 'done', true]));
      for (const id of ids) assert.equal(await events('delivery:acked', id), 1);
      const replay = await ackBatch('nghean', ids.map((deliveryId) => ({ deliveryId, result: 'done' })));
      assert.deepEqual(replay.map((o) => [o.state, o.changed]), ids.map(() => ['done', false]), 'idempotent: a replay changes nothing');
      for (const id of ids) assert.equal(await events('delivery:acked', id), 1);
      assert.equal((await page('nghean', 'inline=100000')).items.length, 0, 'nothing left');
    });

    it('ends the page where the carried bytes would pass the cap per answer; the next page carries the rest', async () => {
      const sent = [];
      for (let i = 0; i < 7; i++) sent.push(await send('000.00.00.H14', 1000));
      assert.ok(sent.every((s) => s.packet.byteLength <= LIMITS.inboxInlinePacketBytesMax && s.packet.byteLength * 7 > LIMITS.inboxInlineBytesMax), 'small packets that do not all fit one answer');
      const first = await page('caobang', 'limit=100&inline=100000');
      const carried = first.items.reduce((n, i) => n + i.bytes, 0);
      assert.ok(first.items.length >= 2 && first.items.length < 7, `a cut page: ${first.items.length}`);
      assert.ok(carried <= LIMITS.inboxInlineBytesMax && carried + (sent[0]?.packet.byteLength ?? 0) > LIMITS.inboxInlineBytesMax, `${carried} bytes carried`);
      assert.ok(first.items.every((i) => i.packet !== undefined));
      const second = await page('caobang', `limit=100&inline=100000&after=${first.next ?? ''}`);
      const all = [...first.items, ...second.items];
      assert.deepEqual(all.map((i) => i.documentId).sort(), sent.map((s) => s.id).sort(), 'every document once, none twice');
      const outcomes = await ackBatch('caobang', all.slice(0, 4).map((i) => ({ deliveryId: i.deliveryId, result: 'done' })));
      assert.ok(outcomes.every((o) => o.changed === true));
      const rest = await ackBatch('caobang', all.slice(4).map((i) => ({ deliveryId: i.deliveryId, result: 'done' })));
      assert.ok(rest.every((o) => o.state === 'done'));
    });

    it('a recall before the batch hand-out withdraws (the delivery leaves the answer), after it is asked of the recipient', async () => {
      const early = await send('000.00.00.H41', 200);
      const late = await send('000.00.00.H41', 200);
      // The recall lands between the inbox read and the hand-out's transaction: while the packets are read.
      const blobs = f.hub.ctx.blobs;
      const realOpen = blobs.open.bind(blobs);
      let recalled: Json | undefined;
      blobs.open = async (digest, bytes) => {
        blobs.open = realOpen;
        const r = await call('gov', 'POST', '/v1/documents', await statusPacket('000.00.00.G22', '000.00.00.H41', early.edxmlId, '13', 'Gửi nhầm'));
        recalled = r.json;
        return realOpen(digest, bytes);
      };
      let got;
      try { got = await page('nghean', 'limit=100&inline=100000'); } finally { blobs.open = realOpen; }
      assert.equal(recalled?.['recall'], 'withdrawn', 'never handed out: withdrawn at once');
      assert.ok(!got.items.some((i) => i.documentId === early.id), 'the withdrawn delivery is not handed out');
      const lateItem = got.items.find((i) => i.documentId === late.id);
      assert.ok(lateItem?.packet !== undefined && lateItem.state === 'fetched');
      const r = await call('gov', 'POST', '/v1/documents', await statusPacket('000.00.00.G22', '000.00.00.H41', late.edxmlId, '13', 'Gửi nhầm'));
      assert.equal(r.json['recall'], 'requested', 'handed out by the batch: the recipient is asked');
      const earlyDelivery = (await f.hub.ctx.store.inbox('sys.nghean', { limit: 100, states: ['recalled'] })).find((i) => i.document.id === early.id);
      assert.ok(earlyDelivery, 'recalled');
      assert.equal(await events('delivery:fetched', earlyDelivery.delivery.id), 0);
      assert.deepEqual((await ackBatch('nghean', [{ deliveryId: lateItem.deliveryId, result: 'done' }])).map((o) => o.state), ['done']);
    });

    it('batch ack: each item answered as alone (done, fail, not found, gone), one bad item does not stop the others', async () => {
      const a = await send('000.00.00.H41', 100);
      const b = await send('000.00.00.H41', 100);
      const c = await send('000.00.00.H41', 100);
      const other = await send('000.00.00.H14', 100);
      const items = (await page('nghean', 'limit=100&inline=100000')).items;
      const id = (doc: string): string => items.find((i) => i.documentId === doc)?.deliveryId ?? '';
      await call('gov', 'POST', '/v1/documents', await statusPacket('000.00.00.G22', '000.00.00.H41', c.edxmlId, '13', 'Thu hồi'));
      await call('nghean', 'POST', '/v1/documents', await statusPacket('000.00.00.H41', '000.00.00.G22', c.edxmlId, '15', 'Đồng ý thu hồi'));
      const otherId = (await page('caobang', 'limit=100')).items.find((i) => i.documentId === other.id)?.deliveryId ?? '';
      const outcomes = await ackBatch('nghean', [
        { deliveryId: id(a.id), result: 'done' },
        { deliveryId: id(b.id), result: 'fail', reason: 'đĩa đầy' },
        { deliveryId: id(c.id), result: 'done' },
        { deliveryId: otherId, result: 'done' },
      ]);
      assert.deepEqual(outcomes.map((o) => o.deliveryId), [id(a.id), id(b.id), id(c.id), otherId], 'in the order sent');
      assert.deepEqual([outcomes[0]?.state, outcomes[0]?.changed], ['done', true]);
      assert.deepEqual([outcomes[1]?.state, outcomes[1]?.attempts, outcomes[1]?.changed], ['queued', 1, true]);
      assert.equal(outcomes[2]?.error?.code, 'VDXP_E_DELIVERY_GONE', 'recalled (15): gone');
      assert.equal(outcomes[3]?.error?.code, 'VDXP_E_DELIVERY_NOT_FOUND', 'another system\'s delivery');
      assert.equal((await ackBatch('nghean', [{ deliveryId: 'no-such-delivery', result: 'done' }]))[0]?.error?.code, 'VDXP_E_DELIVERY_NOT_FOUND');
      assert.equal((await f.hub.ctx.store.getDelivery(otherId))?.state, 'queued', 'untouched');
      // The failed one comes back, carried again; acked with the same delivery twice in one batch: one ack.
      const back = (await page('nghean', 'limit=100&inline=100000')).items.find((i) => i.documentId === b.id);
      assert.ok(back?.packet !== undefined);
      const twice = await ackBatch('nghean', [{ deliveryId: back.deliveryId, result: 'done' }, { deliveryId: back.deliveryId, result: 'done' }]);
      assert.deepEqual(twice.map((o) => [o.state, o.changed]), [['done', true], ['done', false]]);
      assert.equal(await events('delivery:acked', back.deliveryId), 2, 'the fail and one done');
      await ackBatch('caobang', [{ deliveryId: otherId, result: 'done' }]);
    });

    it('refuses a malformed or too large batch whole, recording nothing', async () => {
      const a = await send('000.00.00.H41', 100);
      const item = (await page('nghean', 'limit=100&inline=100000')).items.find((i) => i.documentId === a.id);
      assert.ok(item);
      for (const body of [{ deliveryId: item.deliveryId, result: 'done' }, [{ deliveryId: item.deliveryId, result: 'done' }, { deliveryId: item.deliveryId, result: 'maybe' }], [{ result: 'done' }], [{ deliveryId: item.deliveryId, result: 'fail', reason: 3 }]]) {
        const r = await call('nghean', 'POST', '/v1/deliveries/ack', body);
        assert.equal(r.status, 400, JSON.stringify(body));
        assert.equal((r.json['error'] as Json)['code'], 'VDXP_E_BAD_REQUEST');
      }
      const tooMany = await call('nghean', 'POST', '/v1/deliveries/ack', Array.from({ length: LIMITS.ackBatchItemsMax + 1 }, () => ({ deliveryId: item.deliveryId, result: 'done' })));
      assert.equal(tooMany.status, 413);
      assert.equal((tooMany.json['error'] as Json)['code'], 'VDXP_E_ACK_BATCH_TOO_LARGE');
      assert.equal((await f.hub.ctx.store.getDelivery(item.deliveryId))?.state, 'fetched', 'nothing recorded');
      assert.equal((await call('nghean', 'GET', '/v1/inbox?inline=-1')).status, 400);
      const none = await page('nghean', 'limit=100&inline=0');
      assert.equal(none.inlinePacketBytesMax, 0, 'asked for nothing inline: the hub still says it offers batch receive');
      assert.ok(none.items.every((i) => i.packet === undefined));
      await ackBatch('nghean', [{ deliveryId: item.deliveryId, result: 'done' }]);
    });

    if (name === 'sqlite') {
      it('a packet that no longer reads back is not carried nor handed out: fetched alone, it says why', async () => {
        const a = await send('000.00.00.H14', 100);
        const b = await send('000.00.00.H14', 100);
        const dir = f.dir ?? '';
        const digest = sha256(a.packet);
        inlinePackets.set(dir, digest, Buffer.from('damaged'));
        const items = (await page('caobang', 'limit=100&inline=100000')).items;
        const bad = items.find((i) => i.documentId === a.id);
        assert.ok(bad && bad.packet === undefined && bad.state === 'queued', 'not carried, not handed out');
        assert.ok(items.find((i) => i.documentId === b.id)?.packet !== undefined, 'the other one is');
        const alone = await call('caobang', 'GET', `/v1/deliveries/${bad.deliveryId}/packet`);
        assert.equal((alone.json['error'] as Json | undefined)?.['code'], 'VDXP_E_BLOB_CORRUPT');
        inlinePackets.set(dir, digest, a.packet);
        const fixed = (await page('caobang', 'limit=100&inline=100000')).items;
        assert.ok(fixed.every((i) => i.packet !== undefined), JSON.stringify(fixed.map((i) => [i.documentId, i.state, i.bytes, i.packet?.length])));
        await ackBatch('caobang', fixed.map((i) => ({ deliveryId: i.deliveryId, result: 'done' })));
      });
    }

    it('the evidence chain verifies after it all', async () => {
      const audit = await verifyAudit(f.hub.ctx);
      assert.equal(audit.ok, true, JSON.stringify(audit).slice(0, 500));
    });
  });
}

describe('limits', () => {
  it('an operator may turn batch fetch off, but not carry a packet larger than an answer may hold', () => {
    assert.equal(operatorLimits({ inboxInlinePacketBytesMax: 0 }).inboxInlinePacketBytesMax, 0);
    assert.throws(() => operatorLimits({ inboxInlinePacketBytesMax: DEFAULT_HUB_LIMITS.inboxInlineBytesMax + 1 }), { code: 'VDXP_E_LIMIT_INVALID' });
    assert.throws(() => operatorLimits({ ackBatchItemsMax: 0 }), { code: 'VDXP_E_LIMIT_INVALID' });
    assert.throws(() => operatorLimits({ ackBatchItemsMax: DEFAULT_HUB_LIMITS.pageSizeMax - 1 }), { code: 'VDXP_E_LIMIT_INVALID' }, 'a page\'s acks fit one call');
    assert.equal(operatorLimits({ ackBatchItemsMax: 50, pageSizeMax: 50, pageSizeDefault: 50 }).ackBatchItemsMax, 50);
  });
});

suite('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vdxp-batch-'));
  return fixture({ dataDir: dir }, dir, async () => { rmSync(dir, { recursive: true, force: true }); });
});

let cluster: PgCluster | undefined;
suite('postgres', async () => {
  cluster = await startPostgres();
  const work = mkdtempSync(join(tmpdir(), 'vdxp-batch-pg-'));
  const c = cluster;
  return fixture({ databaseUrl: await c.createDatabase('batch'), keyFile: join(work, 'nodes.key') }, undefined, async () => {
    await c.destroy();
    rmSync(work, { recursive: true, force: true });
  });
});
