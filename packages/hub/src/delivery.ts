// The receiving side: a system's inbox (with long-poll), fetching a packet, acknowledging it, and the sweep
// that expires and flags what waited too long. A delivery is handed out again until it is acked done.

import type { Readable } from 'node:stream';
import { vnDay } from './clock.ts';
import { record, type HubContext } from './context.ts';
import { HubError } from './errors.ts';
import { canTake, transition } from './delivery-states.ts';
import type { DeliveryRow, DeliveryState, DocumentRow, InboxItem, StoreOps, SystemRecord } from './store/store.ts';

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
  // Wake on a notification for one of our agencies; re-read, since it may have been for another kind. Armed
  // before the re-read, so a commit between the read's snapshot and the wait is not missed.
  const watch = ctx.notifier.watch(agencies);
  try {
    items = await read();
    while (items.length === 0 && !q.signal?.aborted && !ctx.notifier.closed) {
      const left = deadline - performance.now();
      if (left <= 0) break;
      await watch.next(left, q.signal);
      items = await read();
    }
  } finally {
    watch.close();
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

/** A delivery of this system's, with its document: what a recipient needs to answer it. */
export async function deliveryOf(ctx: HubContext, system: SystemRecord, deliveryId: string): Promise<{ delivery: DeliveryRow; document: DocumentRow }> {
  const delivery = await ownDelivery(ctx, system, deliveryId);
  const document = await ctx.store.getDocument(delivery.documentId);
  if (!document) throw new Error(`assertion: document ${delivery.documentId} of delivery ${delivery.id} exists`);
  return { delivery, document };
}

export interface FetchedPacket {
  delivery: DeliveryRow;
  digest: string;
  bytes: number;
  stream: Readable;
}

/**
 * Hands out the packet bytes (digest checked while streaming). The packet is opened first, so a delivery whose
 * packet cannot be read is not counted as fetched; the first hand-out is then recorded by compare-and-set, and
 * a delivery withdrawn in between (recall before fetch) is refused rather than handed out.
 */
export async function fetchPacket(ctx: HubContext, system: SystemRecord, deliveryId: string): Promise<FetchedPacket> {
  const seen = await ownDelivery(ctx, system, deliveryId);
  if (!canTake(seen, 'fetch') && !HANDED_OUT.includes(seen.state)) throw gone(seen);
  const doc = await ctx.store.getDocument(seen.documentId);
  if (!doc) throw new Error(`assertion: document ${seen.documentId} of delivery ${seen.id} exists`);
  if (doc.archivedIn !== undefined) throw new HubError('VDXP_E_DOCUMENT_ARCHIVED', `Document ${doc.id} was archived in ${doc.archivedIn}`, { details: { archivedIn: doc.archivedIn } });
  const stream = await ctx.blobs.open(doc.digest, doc.bytes);
  try {
    const { delivery, first } = await ctx.store.transaction(async (tx) => {
      const d = await readDelivery(tx, deliveryId);
      if (HANDED_OUT.includes(d.state)) return { delivery: d, first: false };
      const now = ctx.clock.now();
      if (!(await transition(tx, d, 'fetch', { firstFetchedAt: now }))) throw gone(await readDelivery(tx, deliveryId));
      await record(ctx, tx, { type: 'delivery:fetched', actor: system.id, documentId: d.documentId, deliveryId: d.id, data: { recipient: d.recipient } });
      return { delivery: { ...d, state: 'fetched' as const, fetchedAt: d.fetchedAt ?? now }, first: true };
    });
    if (first) ctx.emitter.emit('delivery:fetched', { deliveryId: delivery.id });
    return { delivery, digest: doc.digest, bytes: doc.bytes, stream };
  } catch (e) {
    stream.destroy();
    throw e;
  }
}

/** States in which the packet was handed out already: fetching again changes nothing. */
const HANDED_OUT: readonly DeliveryState[] = ['fetched', 'done'];

async function readDelivery(tx: StoreOps, id: string): Promise<DeliveryRow> {
  const d = await tx.getDelivery(id);
  if (!d) throw new Error(`assertion: delivery ${id} exists`);
  return d;
}

export interface AckResult {
  delivery: DeliveryRow;
  /** false when the ack changed nothing: the same ack given before, or a fail with no hand-out since the last. */
  changed: boolean;
}

/**
 * The recipient's transport acknowledgement. `done` twice is one `done`; `fail` hands the delivery out again
 * (or dead-letters it after `deliveryAttemptsMax` failures) and counts only after a hand-out, so a replayed
 * fail is answered with the state as it is and changes nothing.
 */
export async function ackDelivery(ctx: HubContext, system: SystemRecord, deliveryId: string, result: 'done' | 'fail', reason?: string): Promise<AckResult> {
  await ownDelivery(ctx, system, deliveryId);
  const out = await ctx.store.transaction(async (tx) => {
    const d = await readDelivery(tx, deliveryId);
    const now = ctx.clock.now();
    const unchanged = { delivery: d, changed: false, dead: false };
    if (result === 'done') {
      if (d.state === 'done') return unchanged;
      if (!(await transition(tx, d, 'ackDone', { ackedAt: now, firstFetchedAt: now }))) throw gone(await readDelivery(tx, deliveryId));
      await record(ctx, tx, { type: 'delivery:acked', actor: system.id, documentId: d.documentId, deliveryId: d.id, data: { result } });
      if (d.kind === 'edoc') await tx.bumpCounter(vnDay(now), d.recipient, 'delivered', 1);
      return { delivery: { ...d, state: 'done' as const, ackedAt: now, fetchedAt: d.fetchedAt ?? now }, changed: true, dead: false };
    }
    if (d.state === 'queued') return unchanged;
    const attempts = d.attempts + 1;
    const dead = attempts >= ctx.limits.deliveryAttemptsMax;
    if (!(await transition(tx, d, dead ? 'deadLetter' : 'ackFail', { attempts, lastReason: reason ?? null }))) throw gone(await readDelivery(tx, deliveryId));
    await record(ctx, tx, { type: dead ? 'delivery:dead' : 'delivery:acked', actor: system.id, documentId: d.documentId, deliveryId: d.id, data: { result, attempts, reason: reason ?? null } });
    return { delivery: { ...d, state: dead ? 'dead' as const : 'queued' as const, attempts }, changed: true, dead };
  });
  if (out.changed) {
    ctx.emitter.emit('delivery:acked', { deliveryId, result });
    if (out.dead) ctx.emitter.emit('delivery:dead', { deliveryId });
    if (result === 'fail' && !out.dead) ctx.notifier.notify([out.delivery.recipient]);
  }
  return { delivery: out.delivery, changed: out.changed };
}

function gone(d: DeliveryRow): HubError {
  return new HubError('VDXP_E_DELIVERY_GONE', `Delivery ${d.id} is ${d.state}`, { details: { state: d.state } });
}

export interface SweepResult {
  expired: number;
  overdue: number;
}

/**
 * Expires deliveries past their time-to-live and flags overdue answers. Run periodically, or once in tests. The
 * candidates are read outside any transaction; each is decided again inside its own, from what is stored then,
 * and changed by compare-and-set, so an ack or an answer that landed in between wins.
 */
export async function sweep(ctx: HubContext, batch = 500): Promise<SweepResult> {
  const now = ctx.clock.now();
  let expired = 0;
  let overdue = 0;
  for (const candidate of await ctx.store.expiredDeliveries(now, batch)) {
    const done = await ctx.store.transaction(async (tx) => {
      const d = await tx.getDelivery(candidate.id);
      if (!d || d.expiresAt > now || !(await transition(tx, d, 'expire'))) return false;
      await record(ctx, tx, { type: 'delivery:expired', actor: 'hub', documentId: d.documentId, deliveryId: d.id, data: { expiresAt: d.expiresAt } });
      return true;
    });
    if (!done) continue;
    ctx.emitter.emit('delivery:expired', { deliveryId: candidate.id });
    expired++;
  }
  for (const candidate of await ctx.store.overdueCandidates(now, batch)) {
    const flagged = await ctx.store.transaction(async (tx) => {
      const d = await tx.getDelivery(candidate.id);
      const doc = d && await tx.getDocument(d.documentId);
      if (!d || !doc || !isOverdue(d, doc.dueAt, now)) return false;
      if (!(await transition(tx, d, 'overdue', { overdue: true }, { overdue: false, businessStatus: d.businessStatus }))) return false;
      await tx.bumpCounter(vnDay(now), d.recipient, 'overdue', 1);
      await record(ctx, tx, { type: 'delivery:overdue', actor: 'hub', documentId: d.documentId, deliveryId: d.id, data: {
        recipient: d.recipient, answerDueAt: d.answerDueAt, businessStatus: d.businessStatus,
      } });
      return true;
    });
    if (!flagged) continue;
    ctx.emitter.emit('delivery:overdue', { deliveryId: candidate.id });
    overdue++;
  }
  return { expired, overdue };
}

/**
 * The overdue rule, decided on a delivery read inside the flagging transaction (the store's candidate query
 * is the same rule in SQL, to find them): no acceptance (01/02/03) by its answer time, or a DueDate passed
 * without 06 (nor 02 or 15, which end it otherwise).
 */
export function isOverdue(d: DeliveryRow, dueAt: number | null, now: number): boolean {
  if (d.overdue || d.kind !== 'edoc' || !canTake(d, 'overdue')) return false;
  const unanswered = d.answerDueAt !== null && d.answerDueAt <= now && (d.businessStatus === null || d.businessStatus === '13');
  const pastDue = dueAt !== null && dueAt <= now && !['06', '02', '15'].includes(d.businessStatus ?? '');
  return unanswered || pastDue;
}
