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
  const waitMs = Math.min(q.waitSeconds ?? 0, ctx.limits.longPollSecondsMax) * 1000;
  if (waitMs <= 0) return read();
  // Real elapsed time, not the hub's clock: a long-poll waits on the wall, whatever time tests pretend it is.
  const deadline = performance.now() + waitMs;
  // Wake on a notification for one of our agencies; re-read, since it may have been for another kind. Armed
  // before the first read, so a commit between the read's snapshot and the wait is not missed; the agencies
  // are read (and the recipients heard meanwhile checked against them) only when the inbox was empty. One read
  // per empty arrival, not two: the wakes of ~100 long-polling systems made these reads the hub's largest cost.
  const watch = ctx.notifier.watch();
  let items: InboxItem[];
  try {
    items = await read();
    if (items.length === 0) watch.narrow(new Set(await ctx.store.systemAgencies(system.id)));
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

/** An inbox item and, when the answer carries it, its packet's bytes (digest checked). */
export interface InboxEntry extends InboxItem {
  packet?: Buffer;
}

export interface InboxWithPackets {
  entries: InboxEntry[];
  /** The cursor past the last item considered (an item dropped because it left the inbox meanwhile included). */
  nextSeq: number | undefined;
  /** The largest packet this answer would carry inline: the smaller of the caller's and the hub's. */
  inlinePacketBytesMax: number;
}

/**
 * Batch fetch: the inbox page (long-poll as `inbox`) with the packets of up to `inlinePacketBytes` bytes each
 * carried in the answer, and their hand-out recorded in ONE transaction, as `fetchPacket` records one: the
 * packets are read first (a packet that cannot be read, or whose document was archived, stays an item to fetch
 * alone, which then says why), then each first hand-out is a compare-and-set queued → fetched with its
 * `delivery:fetched` event. A delivery recalled, expired or acked in between is not handed out: it leaves the
 * answer. The carried bytes stop at limits.inboxInlineBytesMax: the page ends before the packet that would pass
 * it, and the next page starts there. Larger packets stay items, fetched one by one.
 */
export async function inboxWithPackets(ctx: HubContext, system: SystemRecord, q: InboxQuery & { inlinePacketBytes: number }): Promise<InboxWithPackets> {
  return handOutPage(ctx, system, await inbox(ctx, system, q), q.inlinePacketBytes, q.signal);
}

/**
 * The hand-out half of `inboxWithPackets`, for items read already (the inbox stream reads its own): the small
 * packets read and handed out in one transaction, as described there.
 */
export async function handOutPage(ctx: HubContext, system: SystemRecord, items: readonly InboxItem[], inlinePacketBytes: number, signal?: AbortSignal): Promise<InboxWithPackets> {
  const inlinePacketBytesMax = Math.max(0, Math.min(inlinePacketBytes, ctx.limits.inboxInlinePacketBytesMax));
  const nextOf = (list: readonly InboxItem[]): number | undefined => list.at(-1)?.delivery.seq;
  if (inlinePacketBytesMax === 0) return { entries: [...items], nextSeq: nextOf(items), inlinePacketBytesMax };
  const entries: InboxEntry[] = [];
  let budget = ctx.limits.inboxInlineBytesMax;
  for (const item of items) {
    const doc = item.document;
    if (doc.bytes > inlinePacketBytesMax || doc.archivedIn !== undefined) { entries.push(item); continue; }
    if (doc.bytes > budget) break;
    const packet = await readPacket(ctx, doc);
    if (packet === undefined) { entries.push(item); continue; }
    budget -= doc.bytes;
    entries.push({ ...item, packet });
  }
  const nextSeq = nextOf(entries);
  const carried = entries.filter((e) => e.packet !== undefined);
  if (carried.length === 0) return { entries, nextSeq, inlinePacketBytesMax };
  // The caller went away (its long-poll's connection closed): nobody to hand anything out to.
  if (signal?.aborted) return { entries: [], nextSeq, inlinePacketBytesMax };
  const now = ctx.clock.now();
  const { handedOut, firsts } = await ctx.store.transaction(async (tx) => {
    const handedOut = new Set<string>();
    const firsts: string[] = [];
    for (const e of carried) {
      const d = await readDelivery(tx, e.delivery.id);
      if (d.state === 'fetched') { handedOut.add(d.id); continue; }
      // Done meanwhile (another consumer acked it), or withdrawn: nothing to hand out.
      if (d.state !== 'queued' || !(await transition(tx, d, 'fetch', { firstFetchedAt: now }))) continue;
      await record(ctx, tx, { type: 'delivery:fetched', actor: system.id, documentId: d.documentId, deliveryId: d.id, data: { recipient: d.recipient } });
      handedOut.add(d.id);
      firsts.push(d.id);
    }
    return { handedOut, firsts };
  });
  for (const id of firsts) ctx.emitter.emit('delivery:fetched', { deliveryId: id });
  const kept = entries.flatMap((e): InboxEntry[] => {
    if (e.packet === undefined) return [e];
    if (!handedOut.has(e.delivery.id)) return [];
    return [{ ...e, delivery: { ...e.delivery, state: 'fetched' as const, fetchedAt: e.delivery.fetchedAt ?? now } }];
  });
  return { entries: kept, nextSeq, inlinePacketBytesMax };
}

/** A small packet's bytes, digest checked; undefined when it cannot be read (the single fetch says why). */
async function readPacket(ctx: HubContext, doc: DocumentRow): Promise<Buffer | undefined> {
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of await ctx.blobs.open(doc.digest, doc.bytes)) chunks.push(chunk as Buffer);
    const bytes = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    return bytes?.byteLength === doc.bytes ? bytes : undefined;
  } catch (e) {
    if (e instanceof HubError) return undefined;
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
  const out = await ctx.store.transaction(async (tx) => ackIn(ctx, tx, system, await readDelivery(tx, deliveryId), result, reason));
  afterAcks(ctx, [out]);
  return { delivery: out.delivery, changed: out.changed };
}

interface AckDecision extends AckResult { dead: boolean; result: 'done' | 'fail' }

/** One ack decided and written inside the caller's transaction; VDXP_E_DELIVERY_GONE (nothing written) when it cannot take it. */
async function ackIn(ctx: HubContext, tx: StoreOps, system: SystemRecord, d: DeliveryRow, result: 'done' | 'fail', reason: string | undefined): Promise<AckDecision> {
  const now = ctx.clock.now();
  const unchanged = { delivery: d, changed: false, dead: false, result };
  if (result === 'done') {
    if (d.state === 'done') return unchanged;
    if (!(await transition(tx, d, 'ackDone', { ackedAt: now, firstFetchedAt: now }))) throw gone(await readDelivery(tx, d.id));
    await record(ctx, tx, { type: 'delivery:acked', actor: system.id, documentId: d.documentId, deliveryId: d.id, data: { result } });
    if (d.kind === 'edoc') await tx.bumpCounter(vnDay(now), d.recipient, 'delivered', 1);
    return { delivery: { ...d, state: 'done' as const, ackedAt: now, fetchedAt: d.fetchedAt ?? now }, changed: true, dead: false, result };
  }
  if (d.state === 'queued') return unchanged;
  const attempts = d.attempts + 1;
  const dead = attempts >= ctx.limits.deliveryAttemptsMax;
  if (!(await transition(tx, d, dead ? 'deadLetter' : 'ackFail', { attempts, lastReason: reason ?? null }))) throw gone(await readDelivery(tx, d.id));
  await record(ctx, tx, { type: dead ? 'delivery:dead' : 'delivery:acked', actor: system.id, documentId: d.documentId, deliveryId: d.id, data: { result, attempts, reason: reason ?? null } });
  return { delivery: { ...d, state: dead ? 'dead' as const : 'queued' as const, attempts }, changed: true, dead, result };
}

/** After the acks' commit: their events, and a wake for the recipients of deliveries a fail queued again. */
function afterAcks(ctx: HubContext, decisions: readonly AckDecision[]): void {
  const requeued = new Set<string>();
  for (const out of decisions) {
    if (!out.changed) continue;
    ctx.emitter.emit('delivery:acked', { deliveryId: out.delivery.id, result: out.result });
    if (out.dead) ctx.emitter.emit('delivery:dead', { deliveryId: out.delivery.id });
    if (out.result === 'fail' && !out.dead) requeued.add(out.delivery.recipient);
  }
  if (requeued.size > 0) ctx.notifier.notify([...requeued]);
}

export interface AckRequest {
  deliveryId: string;
  result: 'done' | 'fail';
  reason?: string;
}

/** One item of a batch ack: what a single ack answers, or the code it would have been refused with. */
export type BatchAckOutcome = { deliveryId: string } & ({ ok: true; delivery: DeliveryRow; changed: boolean } | { ok: false; error: HubError });

/**
 * Batch ack: every item decided as `ackDelivery` decides it, all written in ONE transaction. An item that a
 * single ack would refuse (not this system's: VDXP_E_DELIVERY_NOT_FOUND; recalled, expired or dead:
 * VDXP_E_DELIVERY_GONE) gets that code as its outcome and changes nothing; the others are recorded all the
 * same, since each ack is independent and a refused one is final (a retry of the batch answers the same).
 * Any other failure (the store's) rolls back the whole batch, which is then safe to send again: acks are
 * idempotent. Items are taken in order, so the same delivery twice is one ack and then its replay.
 */
export async function ackDeliveries(ctx: HubContext, system: SystemRecord, acks: readonly AckRequest[]): Promise<BatchAckOutcome[]> {
  if (acks.length === 0) return [];
  const agencies = new Set(await ctx.store.systemAgencies(system.id));
  const notFound = (id: string): HubError => new HubError('VDXP_E_DELIVERY_NOT_FOUND', `No delivery ${id} for system ${system.id}`);
  const { outcomes, decisions } = await ctx.store.transaction(async (tx) => {
    const outcomes: BatchAckOutcome[] = [];
    const decisions: AckDecision[] = [];
    for (const a of acks) {
      const d = await tx.getDelivery(a.deliveryId);
      if (!d || !agencies.has(d.recipient)) { outcomes.push({ deliveryId: a.deliveryId, ok: false, error: notFound(a.deliveryId) }); continue; }
      try {
        const out = await ackIn(ctx, tx, system, d, a.result, a.reason);
        decisions.push(out);
        outcomes.push({ deliveryId: a.deliveryId, ok: true, delivery: out.delivery, changed: out.changed });
      } catch (e) {
        // Only a refusal that wrote nothing (the compare-and-set lost) is an item's outcome; anything else aborts all.
        if (!(e instanceof HubError) || e.code !== 'VDXP_E_DELIVERY_GONE') throw e;
        outcomes.push({ deliveryId: a.deliveryId, ok: false, error: e });
      }
    }
    return { outcomes, decisions };
  });
  afterAcks(ctx, decisions);
  return outcomes;
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
