// The inbox stream: one long-lived answer that hands a system's deliveries out as they are queued, with credit
// as a broker's prefetch gives it. At most `prefetch` deliveries handed out on one stream are not yet acked;
// an ack (single or batch, on any node) gives its credit back and the stream sends more. Nothing about the
// delivery promise changes: a hand-out is the batch fetch's (`handOutPage`: small packets read and handed out
// in one transaction, larger ones items to fetch alone), a delivery stays pending until acked `done`, and a
// stream that drops (its client, its node) only leaves deliveries handed out, which the next stream (or
// long-poll) of the system hands out again from the start of the inbox.
//
// Credit comes back at once for an ack made on this node (the emitter), and within limits.streamCreditRecheckMs
// for one made on another node, an expiry or a recall: a waiting stream re-reads its outstanding deliveries'
// states on that timer. New deliveries wake it through the notifier that wakes long-polls (across nodes on
// PostgreSQL). A delivery failed (`fail`) is queued again and comes round on the same stream: the stream reads
// forward from a cursor, and after each wait also from the start for queued deliveries it does not hold.

import type { HubContext } from './context.ts';
import { handOutPage, type InboxEntry } from './delivery.ts';
import type { HubEmitter } from './events.ts';
import { PENDING_STATES, type SystemRecord } from './store/store.ts';

export interface InboxStreamOptions {
  /** Credit: deliveries handed out on this stream and not yet acked, at most (1..limits.streamPrefetchMax, checked by the caller). */
  prefetch: number;
  kind?: 'edoc' | 'status';
  /** Packets up to this many bytes (capped by limits.inboxInlinePacketBytesMax) are carried in their line. */
  inlinePacketBytes: number;
  /** How long the stream lasts (capped by limits.streamSecondsMax). */
  seconds: number;
  /** Aborted when the client went away: the stream stops without a last line. */
  signal: AbortSignal;
}

/** What the stream says, in order: `open`, then hand-outs and heartbeats, then `end` (unless the client left). */
export type InboxStreamEvent =
  | { type: 'open'; prefetch: number; inlinePacketBytesMax: number; heartbeatSeconds: number; seconds: number }
  | { type: 'items'; entries: InboxEntry[] }
  | { type: 'heartbeat'; outstanding: number }
  | { type: 'end'; reason: 'time' | 'shutdown' };

type Release = (deliveryId: string) => void;

/** Per emitter (one per hub): the streams holding each delivery, told when an event of this node ends its credit. */
const holders = new WeakMap<HubEmitter, Map<string, Set<Release>>>();

function holdersOf(emitter: HubEmitter): Map<string, Set<Release>> {
  let map = holders.get(emitter);
  if (map !== undefined) return map;
  const held = new Map<string, Set<Release>>();
  map = held;
  holders.set(emitter, held);
  const release = ({ deliveryId }: { deliveryId: string }): void => {
    for (const r of held.get(deliveryId) ?? []) r(deliveryId);
  };
  // `acked` covers done and fail (queued again: handed out anew); the others end the delivery.
  emitter.on('delivery:acked', release);
  emitter.on('delivery:dead', release);
  emitter.on('delivery:expired', release);
  emitter.on('delivery:recalled', release);
  return held;
}

/**
 * Runs one stream: calls `write` for each event (awaiting it: the caller's backpressure) until the stream's
 * time is up, the hub shuts down or the client goes away. Store errors are thrown (the caller ends the answer).
 */
export async function streamInbox(ctx: HubContext, system: SystemRecord, o: InboxStreamOptions, write: (e: InboxStreamEvent) => Promise<void>): Promise<void> {
  const limits = ctx.limits;
  const inlinePacketBytesMax = Math.max(0, Math.min(o.inlinePacketBytes, limits.inboxInlinePacketBytesMax));
  const seconds = Math.max(1, Math.min(o.seconds, limits.streamSecondsMax));
  const heartbeatMs = limits.streamHeartbeatSeconds * 1000;
  const recheckMs = limits.streamCreditRecheckMs;
  const endAt = performance.now() + seconds * 1000;
  const held = holdersOf(ctx.emitter);
  /** Deliveries handed out on this stream and not acked yet, with their attempts at the hand-out. */
  const outstanding = new Map<string, number>();
  let cursor = 0;
  let rescan = false;
  let wakeLocal: (() => void) | undefined;
  let wokenLocally = false;
  const release: Release = (id) => {
    if (!outstanding.delete(id)) return;
    held.get(id)?.delete(release);
    if (held.get(id)?.size === 0) held.delete(id);
    rescan = true;
    wokenLocally = true;
    wakeLocal?.();
  };
  const hold = (id: string, attempts: number): void => {
    outstanding.set(id, attempts);
    let set = held.get(id);
    if (set === undefined) { set = new Set(); held.set(id, set); }
    set.add(release);
  };

  /** Reads and hands out up to the credit left; the number of items read (0: nothing to send now). */
  const handOut = async (credit: number): Promise<number> => {
    const read = (afterSeq: number, limit: number, states?: typeof PENDING_STATES) => ctx.store.inbox(system.id, {
      ...(o.kind ? { kind: o.kind } : {}), afterSeq, limit, ...(states ? { states } : {}),
    });
    let items = (await read(cursor, credit)).filter((i) => !outstanding.has(i.delivery.id));
    const forward = items.length > 0;
    if (!forward && rescan) {
      // Behind the cursor: deliveries queued again (a fail) or never handed out (a large one another stream
      // showed). Those this stream holds are skipped; handed-out ones of other streams are not queued.
      const limit = credit + outstanding.size;
      items = (await read(0, limit, ['queued'])).filter((i) => !outstanding.has(i.delivery.id) && i.delivery.seq <= cursor).slice(0, credit);
      rescan = items.length > 0;
    }
    if (items.length === 0) return 0;
    const page = await handOutPage(ctx, system, items, inlinePacketBytesMax, o.signal);
    if (forward && page.nextSeq !== undefined) cursor = Math.max(cursor, page.nextSeq);
    if (page.entries.length === 0) return items.length;
    // No line leaves before what it shows is durable (as every answer: http/server.ts).
    await ctx.store.settled();
    if (o.signal.aborted) return items.length;
    for (const e of page.entries) hold(e.delivery.id, e.delivery.attempts);
    await write({ type: 'items', entries: page.entries });
    return items.length;
  };

  /** Gives back the credit of deliveries no longer handed out as they were: acked (on any node), failed, ended. */
  const recheck = async (): Promise<void> => {
    for (const [id, attempts] of [...outstanding]) {
      const d = await ctx.store.getDelivery(id);
      if (!d || !PENDING_STATES.includes(d.state) || d.attempts !== attempts) release(id);
    }
  };

  const agencies = new Set(await ctx.store.systemAgencies(system.id));
  // Armed before the first read, so a delivery queued meanwhile still wakes the stream.
  const watch = ctx.notifier.watch(agencies);
  try {
    await write({ type: 'open', prefetch: o.prefetch, inlinePacketBytesMax, heartbeatSeconds: limits.streamHeartbeatSeconds, seconds });
    let lastLineAt = performance.now();
    let lastCheckAt = performance.now();
    for (;;) {
      if (o.signal.aborted) return;
      if (ctx.notifier.closed) { await write({ type: 'end', reason: 'shutdown' }); return; }
      if (performance.now() >= endAt) { await write({ type: 'end', reason: 'time' }); return; }
      const credit = o.prefetch - outstanding.size;
      if (credit > 0 && await handOut(credit) > 0) { lastLineAt = performance.now(); continue; }
      if (outstanding.size > 0 && performance.now() - lastCheckAt >= recheckMs) {
        lastCheckAt = performance.now();
        const before = outstanding.size;
        await recheck();
        if (outstanding.size < before) continue;
      }
      if (performance.now() - lastLineAt >= heartbeatMs) {
        await write({ type: 'heartbeat', outstanding: outstanding.size });
        lastLineAt = performance.now();
      }
      const now = performance.now();
      const until = Math.min(endAt, lastLineAt + heartbeatMs, outstanding.size > 0 ? lastCheckAt + recheckMs : Infinity);
      await wait(Math.max(1, until - now));
      // Whatever woke it (a new delivery, a freed credit, the timer), look behind the cursor too.
      rescan = true;
    }
  } finally {
    watch.close();
    for (const id of [...outstanding.keys()]) {
      held.get(id)?.delete(release);
      if (held.get(id)?.size === 0) held.delete(id);
    }
  }

  /** Until a notification for the system's agencies, a credit given back on this node, `ms`, or the client leaving. */
  async function wait(ms: number): Promise<void> {
    if (wokenLocally) { wokenLocally = false; return; }
    const stop = new AbortController();
    const onAbort = (): void => { stop.abort(); };
    o.signal.addEventListener('abort', onAbort, { once: true });
    try {
      await Promise.race([
        watch.next(ms, stop.signal),
        new Promise<void>((resolve) => { wakeLocal = resolve; }),
      ]);
    } finally {
      wakeLocal = undefined;
      wokenLocally = false;
      stop.abort();
      o.signal.removeEventListener('abort', onAbort);
    }
  }
}
