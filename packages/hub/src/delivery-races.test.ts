// The interleavings found under load, each forced at the exact instant it bit: a write that lands between the
// read that found a candidate and the transaction that acts on it must win over a decision from the stale read.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ackDelivery, fetchPacket, sweep } from './delivery.ts';
import { submitPacket } from './intake.ts';
import type { StoreOps, SystemRecord } from './store/store.ts';
import { edoc, inlinePackets, startTestHub, statusPacket, type TestHub } from '../test-support/testkit.ts';

let t: TestHub;
const sys = async (id: string): Promise<SystemRecord> => {
  const s = await t.hub.ctx.store.getSystem(id);
  assert.ok(s, id);
  return s;
};

/**
 * Runs `fn` with the hub's store replaced by one whose `op`, called outside a transaction, first answers and
 * then lets `between` run before its caller goes on: the other writer lands right after the read.
 */
async function withWriteAfterRead<K extends keyof StoreOps>(op: K, between: () => Promise<unknown>, fn: () => Promise<void>): Promise<void> {
  const real = t.hub.ctx.store;
  let fired = false;
  const wrapped = new Proxy(real, {
    get(target, prop, receiver): unknown {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (prop === op && typeof value === 'function') {
        return async (...args: unknown[]) => {
          const out = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          if (!fired) { fired = true; await between(); }
          return out;
        };
      }
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  t.hub.ctx.store = wrapped;
  try {
    await fn();
  } finally {
    t.hub.ctx.store = real;
  }
  assert.ok(fired, `${String(op)} was read`);
}

async function sendTo(recipient: string): Promise<{ documentId: string; deliveryId: string; edxmlId: string }> {
  const sent = await submitPacket(t.hub.ctx, await sys('sys.gov'), [await edoc('000.00.00.G22', [recipient])], { via: 'native' });
  const deliveryId = sent.deliveries[0]?.id;
  assert.ok(deliveryId);
  return { documentId: sent.document.id, deliveryId, edxmlId: sent.document.edxmlId ?? '' };
}

async function recall(edxmlId: string, recipient: string): Promise<Awaited<ReturnType<typeof submitPacket>>> {
  return submitPacket(t.hub.ctx, await sys('sys.gov'), [await statusPacket('000.00.00.G22', recipient, edxmlId, '13', 'Thu hồi')], { via: 'native' });
}

before(async () => { t = await startTestHub(); });
after(async () => t.close());

describe('a write between the read that decides and the transaction that acts', () => {
  it('the sweeper does not expire a delivery acked done after it was listed as expired', async () => {
    const { deliveryId } = await sendTo('000.00.00.G12');
    const mof = await sys('sys.mof');
    t.clock.advance(t.hub.ctx.limits.deliveryTtlSeconds * 1000 + 1);
    await withWriteAfterRead('expiredDeliveries', () => ackDelivery(t.hub.ctx, mof, deliveryId, 'done'), async () => {
      const r = await sweep(t.hub.ctx);
      assert.equal(r.expired, 0, 'the ack won');
    });
    const d = await t.hub.ctx.store.getDelivery(deliveryId);
    assert.equal(d?.state, 'done');
    const types = (await t.hub.ctx.store.events(0, 10_000)).filter((e) => e.deliveryId === deliveryId).map((e) => e.type);
    assert.ok(types.includes('delivery:acked') && !types.includes('delivery:expired'), types.join());
  });

  it('a recall whose recipient fetched between its read and its transaction is passed on, not withdrawn', async () => {
    const { deliveryId, edxmlId } = await sendTo('000.00.00.H14');
    const caobang = await sys('sys.caobang');
    let handedOut = false;
    await withWriteAfterRead('findDelivery', async () => {
      const p = await fetchPacket(t.hub.ctx, caobang, deliveryId);
      p.stream.resume();
      handedOut = true;
    }, async () => {
      const r = await recall(edxmlId, '000.00.00.H14');
      assert.equal(r.recall, 'requested');
      assert.equal(r.deliveries.length, 1, 'the 13 goes on to the recipient');
    });
    assert.ok(handedOut);
    const d = await t.hub.ctx.store.getDelivery(deliveryId);
    assert.deepEqual([d?.state, d?.businessStatus], ['fetched', '13']);
    assert.deepEqual((await t.hub.ctx.store.statusHistory(deliveryId)).map((s) => s.statusCode), ['13']);
  });

  it('a recall withdraws a delivery its recipient never got, and then a fetch is refused', async () => {
    const { deliveryId, edxmlId } = await sendTo('000.00.00.H14');
    const r = await recall(edxmlId, '000.00.00.H14');
    assert.equal(r.recall, 'withdrawn');
    assert.deepEqual(r.deliveries, [], 'nothing goes to the recipient');
    await assert.rejects(fetchPacket(t.hub.ctx, await sys('sys.caobang'), deliveryId), { code: 'VDXP_E_DELIVERY_GONE' });
    const d = await t.hub.ctx.store.getDelivery(deliveryId);
    assert.deepEqual([d?.state, d?.businessStatus, d?.fetchedAt], ['recalled', '15', null]);
    assert.deepEqual((await t.hub.ctx.store.statusHistory(deliveryId)).map((s) => s.statusCode), ['13', '15']);
  });

  it('a delivery fetched, failed and queued again is asked, not withdrawn: its bytes were handed out', async () => {
    const { deliveryId, edxmlId } = await sendTo('000.00.00.H14');
    const caobang = await sys('sys.caobang');
    (await fetchPacket(t.hub.ctx, caobang, deliveryId)).stream.resume();
    assert.equal((await ackDelivery(t.hub.ctx, caobang, deliveryId, 'fail', 'disk full')).delivery.state, 'queued');
    const r = await recall(edxmlId, '000.00.00.H14');
    assert.equal(r.recall, 'requested');
    assert.equal((await t.hub.ctx.store.getDelivery(deliveryId))?.state, 'queued');
  });

  it('a packet that cannot be read is not counted as fetched', async () => {
    const { deliveryId, documentId } = await sendTo('000.00.00.H14');
    const digest = (await t.hub.ctx.store.getDocument(documentId))?.digest ?? '';
    const kept = inlinePackets.get(t.dir, digest);
    assert.ok(kept);
    inlinePackets.set(t.dir, digest, undefined);
    try {
      await assert.rejects(fetchPacket(t.hub.ctx, await sys('sys.caobang'), deliveryId), { code: 'VDXP_E_BLOB_CORRUPT' });
      const d = await t.hub.ctx.store.getDelivery(deliveryId);
      assert.deepEqual([d?.state, d?.fetchedAt], ['queued', null]);
      assert.ok(!(await t.hub.ctx.store.events(0, 10_000)).some((e) => e.deliveryId === deliveryId && e.type === 'delivery:fetched'));
    } finally {
      inlinePackets.set(t.dir, digest, kept);
    }
  });

  it('the overdue flag is not set on a delivery answered after it was listed as a candidate', async () => {
    const { deliveryId, edxmlId } = await sendTo('000.00.00.H14');
    t.clock.advance(5 * 24 * 3600 * 1000);
    const caobang = await sys('sys.caobang');
    const answer = async (): Promise<void> => {
      await submitPacket(t.hub.ctx, caobang, [await statusPacket('000.00.00.H14', '000.00.00.G22', edxmlId, '03', 'Đã tiếp nhận')], { via: 'native' });
    };
    await withWriteAfterRead('overdueCandidates', answer, async () => {
      await sweep(t.hub.ctx);
    });
    const d = await t.hub.ctx.store.getDelivery(deliveryId);
    assert.deepEqual([d?.businessStatus, d?.overdue], ['03', false]);
  });

  it('a recall whose transaction rolls back announces nothing (metrics count only what committed)', async () => {
    const { deliveryId, edxmlId } = await sendTo('000.00.00.H14');
    const heard: string[] = [];
    const listen = (name: 'delivery:recalled' | 'status:relayed') => (): void => { heard.push(name); };
    t.hub.ctx.emitter.on('delivery:recalled', listen('delivery:recalled'));
    t.hub.ctx.emitter.on('status:relayed', listen('status:relayed'));
    const real = t.hub.ctx.store;
    // The status history write fails after the withdrawal was written in the same transaction.
    t.hub.ctx.store = new Proxy(real, {
      get(target, prop, receiver): unknown {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (prop !== 'transaction' || typeof value !== 'function') return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        return <T>(fn: (tx: StoreOps) => Promise<T>): Promise<T> => target.transaction((tx) => fn(new Proxy(tx, {
          get(o, p, r): unknown {
            if (p === 'addStatus') return () => Promise.reject(new Error('disk full'));
            const v = Reflect.get(o, p, r) as unknown;
            return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(o) : v;
          },
        })));
      },
    });
    try {
      await assert.rejects(recall(edxmlId, '000.00.00.H14'), /disk full/);
    } finally {
      t.hub.ctx.store = real;
    }
    assert.deepEqual(heard, []);
    assert.deepEqual([(await real.getDelivery(deliveryId))?.state, (await real.statusHistory(deliveryId)).length], ['queued', 0]);
    const r = await recall(edxmlId, '000.00.00.H14');
    assert.equal(r.recall, 'withdrawn');
    assert.deepEqual(heard.sort(), ['delivery:recalled', 'status:relayed']);
  });
});
