// The receiving side: a system's inbox (with long-poll), fetching a packet, acknowledging it, and the sweep
// that expires and flags what waited too long. A delivery is handed out again until it is acked done.

import type { Readable } from 'node:stream';
import { vnDay } from './clock.ts';
import { record, type HubContext } from './context.ts';
import { HubError } from './errors.ts';
import type { DeliveryRow, InboxItem, SystemRecord } from './store/store.ts';

export interface InboxQuery {
  kind?: 'edoc' | 'status';
  afterSeq?: number;
  limit?: number;
  waitSeconds?: number;
  signal?: AbortSignal;
}

export async function inbox(ctx: HubContext, system: SystemRecord, q: InboxQuery): Promise<InboxItem[]> {
  const limit = Math.min(Math.max(1, q.limit ?? ctx.limits.pageSizeDefault), ctx.limits.pageSizeMax);
  const read = (): Promise<InboxItem[]> => ctx.store.inbox(system.id, {
    ...(q.kind ? { kind: q.kind } : {}), ...(q.afterSeq !== undefined ? { afterSeq: q.afterSeq } : {}), limit,
  });
  let items = await read();
  const waitMs = Math.min(q.waitSeconds ?? 0, ctx.limits.longPollSecondsMax) * 1000;
  if (items.length > 0 || waitMs <= 0) return items;
  const agencies = new Set(await ctx.store.systemAgencies(system.id));
  // Real elapsed time, not the hub's clock: a long-poll waits on the wall, whatever time tests pretend it is.
  const deadline = performance.now() + waitMs;
  // Wake on a notification for one of our agencies; re-read, since it may have been for another kind.
  while (items.length === 0 && !q.signal?.aborted && !ctx.notifier.closed) {
    const left = deadline - performance.now();
    if (left <= 0) break;
    await ctx.notifier.wait(agencies, left, q.signal);
    items = await read();
  }
  return items;
}

/** The delivery if it is this system's to receive. */
async function ownDelivery(ctx: HubContext, system: SystemRecord, deliveryId: string): Promise<DeliveryRow> {
  const d = await ctx.store.getDelivery(deliveryId);
  if (!d || !(await ctx.store.systemActsFor(system.id, d.recipient))) {
    throw new HubError('VDXP_E_DELIVERY_NOT_FOUND', `No delivery ${deliveryId} for system ${system.id}`);
  }
  return d;
}

export interface FetchedPacket {
  delivery: DeliveryRow;
  digest: string;
  bytes: number;
  stream: Readable;
}

/** Hands out the packet bytes (digest checked while streaming) and records the first fetch. */
export async function fetchPacket(ctx: HubContext, system: SystemRecord, deliveryId: string): Promise<FetchedPacket> {
  const d = await ownDelivery(ctx, system, deliveryId);
  if (!['queued', 'fetched', 'done'].includes(d.state)) {
    throw new HubError('VDXP_E_DELIVERY_GONE', `Delivery ${deliveryId} is ${d.state}`, { details: { state: d.state } });
  }
  const doc = await ctx.store.getDocument(d.documentId);
  if (!doc) throw new Error(`assertion: document ${d.documentId} of delivery ${d.id} exists`);
  if (doc.archivedIn !== undefined) throw new HubError('VDXP_E_DOCUMENT_ARCHIVED', `Document ${doc.id} was archived in ${doc.archivedIn}`, { details: { archivedIn: doc.archivedIn } });
  if (d.state === 'queued') {
    await ctx.store.transaction(async (tx) => {
      const now = ctx.clock.now();
      const current = await tx.getDelivery(d.id);
      if (current?.state !== 'queued') return;
      await tx.updateDelivery(d.id, { state: 'fetched', fetchedAt: current.fetchedAt ?? now });
      await record(ctx, tx, { type: 'delivery:fetched', actor: system.id, documentId: d.documentId, deliveryId: d.id, data: { recipient: d.recipient } });
    });
    ctx.emitter.emit('delivery:fetched', { deliveryId: d.id });
  }
  return { delivery: d, digest: doc.digest, bytes: doc.bytes, stream: await ctx.blobs.open(doc.digest, doc.bytes) };
}

export interface AckResult {
  delivery: DeliveryRow;
  /** false when the same ack was given before (idempotent). */
  changed: boolean;
}

export async function ackDelivery(ctx: HubContext, system: SystemRecord, deliveryId: string, result: 'done' | 'fail', reason?: string): Promise<AckResult> {
  await ownDelivery(ctx, system, deliveryId);
  const out = await ctx.store.transaction(async (tx) => {
    const d = await tx.getDelivery(deliveryId);
    if (!d) throw new Error('assertion: delivery exists');
    const now = ctx.clock.now();
    if (d.state === 'done') {
      if (result === 'fail') throw new HubError('VDXP_E_DELIVERY_GONE', `Delivery ${deliveryId} was acknowledged done already`, { details: { state: d.state } });
      return { delivery: d, changed: false, dead: false };
    }
    if (!['queued', 'fetched'].includes(d.state)) {
      throw new HubError('VDXP_E_DELIVERY_GONE', `Delivery ${deliveryId} is ${d.state}`, { details: { state: d.state } });
    }
    if (result === 'done') {
      await tx.updateDelivery(d.id, { state: 'done', ackedAt: now, fetchedAt: d.fetchedAt ?? now });
      await record(ctx, tx, { type: 'delivery:acked', actor: system.id, documentId: d.documentId, deliveryId: d.id, data: { result } });
      if (d.kind === 'edoc') await tx.bumpCounter(vnDay(now), d.recipient, 'delivered', 1);
      return { delivery: { ...d, state: 'done' as const, ackedAt: now }, changed: true, dead: false };
    }
    const attempts = d.attempts + 1;
    const dead = attempts >= ctx.limits.deliveryAttemptsMax;
    const state = dead ? 'dead' as const : 'queued' as const;
    await tx.updateDelivery(d.id, { state, attempts, lastReason: reason ?? null });
    await record(ctx, tx, { type: dead ? 'delivery:dead' : 'delivery:acked', actor: system.id, documentId: d.documentId, deliveryId: d.id, data: { result, attempts, reason: reason ?? null } });
    return { delivery: { ...d, state, attempts }, changed: true, dead };
  });
  ctx.emitter.emit('delivery:acked', { deliveryId, result });
  if (out.dead) ctx.emitter.emit('delivery:dead', { deliveryId });
  if (result === 'fail' && !out.dead) ctx.notifier.notify([out.delivery.recipient]);
  return { delivery: out.delivery, changed: out.changed };
}

export interface SweepResult {
  expired: number;
  overdue: number;
}

/** Expires deliveries past their time-to-live and flags overdue answers. Run periodically, or once in tests. */
export async function sweep(ctx: HubContext, batch = 500): Promise<SweepResult> {
  const now = ctx.clock.now();
  let expired = 0;
  let overdue = 0;
  for (const d of await ctx.store.expiredDeliveries(now, batch)) {
    await ctx.store.transaction(async (tx) => {
      await tx.updateDelivery(d.id, { state: 'expired' });
      await record(ctx, tx, { type: 'delivery:expired', actor: 'hub', documentId: d.documentId, deliveryId: d.id, data: { expiresAt: d.expiresAt } });
    });
    ctx.emitter.emit('delivery:expired', { deliveryId: d.id });
    expired++;
  }
  for (const d of await ctx.store.overdueCandidates(now, batch)) {
    await ctx.store.transaction(async (tx) => {
      await tx.updateDelivery(d.id, { overdue: true });
      await tx.bumpCounter(vnDay(now), d.recipient, 'overdue', 1);
      await record(ctx, tx, { type: 'delivery:overdue', actor: 'hub', documentId: d.documentId, deliveryId: d.id, data: {
        recipient: d.recipient, answerDueAt: d.answerDueAt, businessStatus: d.businessStatus,
      } });
    });
    ctx.emitter.emit('delivery:overdue', { deliveryId: d.id });
    overdue++;
  }
  return { expired, overdue };
}
