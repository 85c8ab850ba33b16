// The receive loop: long-poll the inbox, stream each packet to the caller's handler, and acknowledge `done`
// only after the handler resolved having read the packet to its end; a handler that throws gets the delivery
// `fail`ed (handed out again later, dead-lettered by the hub after its attempt limit), never lost. A crash
// between the handler and the ack hands the packet out again: handlers must be idempotent by deliveryId.
//
// The fast path, used when the hub offers it (its inbox answer names `inlinePacketBytesMax`): the inbox answer
// carries the small packets (handed out with it), only larger ones are fetched alone, and the page's acks go
// in one batch ack after the last handler of the page; against an older hub, one fetch and one ack each.
//
// The streaming path, tried first when the hub offers it (`GET /v1/inbox/stream`; an older hub answers 404 and
// the loop long-polls as above): one long-lived answer hands deliveries out as they are queued, at most
// `prefetch` unacked at once. Each goes through the handler in order; the acks of those handled go in one
// batch ack whenever the handler has caught up with what arrived (or the credit is all used), which gives the
// credit back. A stream that ends or breaks is opened again; what it left unacked comes again.

import type { InboxItem, InboxStreamLine, VdxpClient } from './client.ts';
import { sleep } from './client.ts';
import { VdxpClientError, isAbort } from './errors.ts';
import type { ProgressListener } from './sources.ts';

export interface ReceivedPacket {
  item: InboxItem;
  deliveryId: string;
  digest: string;
  bytes: number;
  /** The packet bytes, streamed; read it to its end (or use `bytes()`), else the delivery is failed. */
  body: ReadableStream<Uint8Array>;
  /** Aborted when the loop is asked to stop. */
  signal: AbortSignal;
}

export type ReceiveEvent =
  | { type: 'received'; item: InboxItem }
  | { type: 'acked'; item: InboxItem }
  | { type: 'failed'; item: InboxItem; error: unknown }
  /** Recalled, expired or dead before we got it, or acked by another process meanwhile. */
  | { type: 'gone'; item: InboxItem; code: string }
  /** The hub could not be reached (after the client's own retries): the loop waits and tries again. */
  | { type: 'unreachable'; error: VdxpClientError; delayMs: number };

export interface ReceiveOptions {
  signal?: AbortSignal;
  kind?: 'edoc' | 'status';
  /** Long-poll seconds per inbox call; default 30. */
  waitSeconds?: number;
  /** Page size; default 50. */
  limit?: number;
  /** Take what is waiting now, then return (no long-poll). */
  once?: boolean;
  /** Ask for small packets in the inbox answer and ack a page at once when the hub offers it; default true. */
  batch?: boolean;
  /** Receive over the inbox stream when the hub offers it (not with `once`, nor with `batch: false`); default true. */
  stream?: boolean;
  /** The stream's credit: deliveries handed out and not yet acked at once; default 50. */
  prefetch?: number;
  onEvent?: (e: ReceiveEvent) => void;
  onProgress?: ProgressListener;
}

export interface ReceiveSummary {
  acked: number;
  failed: number;
  gone: number;
}

const WAIT_SECONDS_DEFAULT = 30;
const PAGE_DEFAULT = 50;
/** Longest pause between inbox calls while the hub is unreachable: a hub down for an hour is caught up soon after. */
const UNREACHABLE_DELAY_MS_MAX = 60_000;
/** The largest packet the loop asks to be carried in the inbox answer; the hub caps it with its own limit. */
const INLINE_PACKET_BYTES_ASKED = 1024 * 1024;
/** Stopped mid-page: the acks of the packets already handled still go, within this long (else they come back). */
const ACK_FLUSH_MS_MAX = 5_000;

export async function receive(client: VdxpClient, handler: (p: ReceivedPacket) => Promise<void>, o: ReceiveOptions = {}): Promise<ReceiveSummary> {
  const stop = o.signal ?? new AbortController().signal;
  const summary: ReceiveSummary = { acked: 0, failed: 0, gone: 0 };
  const emit = o.onEvent ?? (() => {});
  if (o.stream !== false && o.batch !== false && !o.once) {
    if (await receiveStreaming(client, handler, o, summary, stop, emit) === 'streamed') return summary;
  }
  let after: string | null = null;
  let unreachable = 0;
  while (!stop.aborted) {
    let page;
    try {
      page = await client.inbox({
        ...(o.kind ? { kind: o.kind } : {}), after, limit: o.limit ?? PAGE_DEFAULT, waitSeconds: o.once ? 0 : o.waitSeconds ?? WAIT_SECONDS_DEFAULT,
        ...(o.batch === false ? {} : { inline: INLINE_PACKET_BYTES_ASKED }),
      }, { signal: stop });
      unreachable = 0;
    } catch (e) {
      if (stop.aborted || isAbort(e)) break;
      if (!(e instanceof VdxpClientError) || !e.retryable || o.once) throw e;
      const delayMs = Math.min(UNREACHABLE_DELAY_MS_MAX, 1000 * 2 ** unreachable++);
      emit({ type: 'unreachable', error: e, delayMs });
      try { await sleep(delayMs, stop); } catch { break; }
      continue;
    }
    if (page.items.length === 0) {
      if (o.once) break;
      // Back to the start: deliveries failed or handed out and never acked behind the cursor come round again.
      after = null;
      continue;
    }
    // The hub names its inline limit only when it carries packets and takes batch acks.
    const batch = o.batch !== false && page.inlinePacketBytesMax !== undefined;
    const acks: PendingAck[] = [];
    for (const item of page.items) {
      if (stop.aborted) break;
      const outcome = await receiveOne(client, handler, item, stop, o.onProgress, emit);
      if (outcome === 'stopped') continue;
      if (outcome === 'gone') { summary.gone++; continue; }
      if (batch) { acks.push(outcome); continue; }
      const r = await ackOr(client, item, outcome.result, stop, emit, outcome.reason);
      if (r !== 'stopped') summary[r ?? (outcome.result === 'done' ? 'acked' : 'failed')]++;
    }
    if (acks.length > 0) {
      // Stopped mid-page: what was handled before the stop is still acked (briefly), rather than handed out again.
      const signal = stop.aborted ? AbortSignal.timeout(ACK_FLUSH_MS_MAX) : stop;
      for (const [outcome, n] of await ackBatch(client, acks, signal, emit)) summary[outcome] += n;
    }
    after = page.next;
  }
  return summary;
}

/**
 * The streaming receive (see the top of this file): 'unsupported' when the hub has no inbox stream, so that
 * the caller long-polls instead; 'streamed' when asked to stop.
 */
async function receiveStreaming(
  client: VdxpClient, handler: (p: ReceivedPacket) => Promise<void>, o: ReceiveOptions, summary: ReceiveSummary,
  stop: AbortSignal, emit: (e: ReceiveEvent) => void,
): Promise<'streamed' | 'unsupported'> {
  const prefetch = o.prefetch ?? PAGE_DEFAULT;
  let unreachable = 0;
  while (!stop.aborted) {
    let lines: AsyncIterable<InboxStreamLine>;
    try {
      lines = await client.openStream({ prefetch, inline: INLINE_PACKET_BYTES_ASKED, ...(o.kind ? { kind: o.kind } : {}) }, { signal: stop });
    } catch (e) {
      if (stop.aborted || isAbort(e)) break;
      if (e instanceof VdxpClientError && e.status === 404 && e.code === 'VDXP_E_NOT_FOUND') return 'unsupported';
      if (!(e instanceof VdxpClientError) || !e.retryable) throw e;
      const delayMs = Math.min(UNREACHABLE_DELAY_MS_MAX, 1000 * 2 ** unreachable++);
      emit({ type: 'unreachable', error: e, delayMs });
      try { await sleep(delayMs, stop); } catch { break; }
      continue;
    }
    // The lines are read on their own while the handler works, so that the acks can go when it catches up.
    const queue: InboxItem[] = [];
    let ended = false;
    let broke: unknown;
    let wake: (() => void) | undefined;
    const onStop = (): void => { wake?.(); };
    stop.addEventListener('abort', onStop, { once: true });
    const pump = (async () => {
      try {
        for await (const line of lines) {
          if (line.type === 'item' && line.item) { queue.push(line.item); wake?.(); }
          if (line.type === 'end' && line.reason === 'error') broke = new VdxpClientError(line.error?.code ?? 'VDXP_CLIENT_E_RESPONSE', line.error?.message ?? 'The inbox stream ended on an error', { retryable: true });
        }
      } catch (e) {
        broke = e;
      } finally {
        ended = true;
        wake?.();
      }
    })();
    const acks: PendingAck[] = [];
    const flush = async (): Promise<void> => {
      const batch = acks.splice(0);
      // Stopped: what was handled before the stop is still acked (briefly), rather than handed out again.
      const signal = stop.aborted ? AbortSignal.timeout(ACK_FLUSH_MS_MAX) : stop;
      for (const [outcome, n] of await ackBatch(client, batch, signal, emit)) summary[outcome] += n;
    };
    try {
      for (;;) {
        const item = stop.aborted ? undefined : queue.shift();
        if (item === undefined) {
          if (acks.length > 0) { await flush(); continue; }
          if (ended || stop.aborted) break;
          await new Promise<void>((resolve) => { wake = resolve; if (queue.length > 0 || ended || stop.aborted) resolve(); });
          wake = undefined;
          continue;
        }
        const outcome = await receiveOne(client, handler, item, stop, o.onProgress, emit);
        if (outcome === 'stopped') continue;
        if (outcome === 'gone') { summary.gone++; continue; }
        acks.push(outcome);
        if (acks.length >= prefetch) await flush();
      }
      if (acks.length > 0) await flush();
    } finally {
      stop.removeEventListener('abort', onStop);
    }
    await pump;
    if (stop.aborted) break;
    if (broke === undefined || isAbort(broke)) { unreachable = 0; continue; }
    if (!(broke instanceof VdxpClientError)) throw broke instanceof Error ? broke : new Error('The inbox stream failed', { cause: broke });
    if (!broke.retryable) throw broke;
    // Broken mid-way (the node went away): open another after a pause, as for an unreachable hub.
    const delayMs = Math.min(UNREACHABLE_DELAY_MS_MAX, 250 * 2 ** unreachable++);
    emit({ type: 'unreachable', error: broke, delayMs });
    try { await sleep(delayMs, stop); } catch { break; }
  }
  return 'streamed';
}

/** A handled delivery waiting for its ack: `done`, or `fail` with the handler's reason. */
interface PendingAck { item: InboxItem; result: 'done' | 'fail'; reason?: string }

/**
 * The page's acks in one call; a hub without batch ack (404 VDXP_E_NOT_FOUND: no such route) gets them one by
 * one. Returns what each became: acked, failed (the fail was recorded), gone (recalled, expired, not ours).
 */
async function ackBatch(client: VdxpClient, acks: PendingAck[], signal: AbortSignal, emit: (e: ReceiveEvent) => void): Promise<Map<'acked' | 'failed' | 'gone', number>> {
  const counts = new Map<'acked' | 'failed' | 'gone', number>([['acked', 0], ['failed', 0], ['gone', 0]]);
  const count = (k: 'acked' | 'failed' | 'gone'): void => { counts.set(k, (counts.get(k) ?? 0) + 1); };
  let results;
  try {
    results = await client.ackMany(acks.map((a) => ({ deliveryId: a.item.deliveryId, result: a.result, ...(a.reason !== undefined ? { reason: a.reason } : {}) })), { signal });
  } catch (e) {
    if (signal.aborted || isAbort(e)) return counts;
    if (!(e instanceof VdxpClientError && e.status === 404 && e.code === 'VDXP_E_NOT_FOUND')) throw e;
    for (const a of acks) {
      const r = await ackOr(client, a.item, a.result, signal, emit, a.reason);
      if (r !== 'stopped') count(r ?? (a.result === 'done' ? 'acked' : 'failed'));
    }
    return counts;
  }
  acks.forEach((a, i) => {
    const r = results[i];
    if (r?.error !== undefined || r === undefined) {
      emit({ type: 'gone', item: a.item, code: r?.error?.code ?? 'VDXP_CLIENT_E_RESPONSE' });
      count('gone');
      return;
    }
    if (a.result === 'done') emit({ type: 'acked', item: a.item });
    count(a.result === 'done' ? 'acked' : 'failed');
  });
  return counts;
}

/** One delivery through the handler: what to ack, or gone (nothing to ack), or stopped (no ack at all). */
async function receiveOne(
  client: VdxpClient, handler: (p: ReceivedPacket) => Promise<void>, item: InboxItem, stop: AbortSignal,
  onProgress: ProgressListener | undefined, emit: (e: ReceiveEvent) => void,
): Promise<PendingAck | 'gone' | 'stopped'> {
  let download;
  try {
    download = item.packet !== undefined
      ? await carried(item, onProgress)
      : await client.fetchPacket(item.deliveryId, { signal: stop, ...(onProgress ? { onProgress } : {}) });
  } catch (e) {
    if (stop.aborted || isAbort(e)) return 'stopped';
    if (isGone(e)) {
      emit({ type: 'gone', item, code: e.code });
      return 'gone';
    }
    if (item.packet === undefined) throw e;
    // A carried packet that does not match its digest or length: handed out again, as a failed handler would be.
    emit({ type: 'failed', item, error: e });
    return { item, result: 'fail', reason: describe(e) };
  }
  emit({ type: 'received', item });
  const watched = readToEnd(download.body);
  try {
    await handler({ item, deliveryId: item.deliveryId, digest: download.digest, bytes: download.bytes, body: watched.body, signal: stop });
    if (!watched.ended()) throw new Error('the handler resolved without reading the packet to its end');
  } catch (error) {
    await watched.body.cancel().catch(() => {});
    // Stopping mid-handler: no ack at all; the delivery stays handed out and comes back.
    if (stop.aborted) return 'stopped';
    emit({ type: 'failed', item, error });
    return { item, result: 'fail', reason: describe(error) };
  }
  // Asked to stop while the handler ran: no ack for this one (as a single ack would have been aborted).
  if (stop.aborted) return 'stopped';
  return { item, result: 'done' };
}

/** A packet the inbox answer carried, checked against the item's length and digest like a download. */
async function carried(item: InboxItem, onProgress: ProgressListener | undefined): Promise<{ digest: string; bytes: number; body: ReadableStream<Uint8Array> }> {
  const binary = atob(item.packet ?? '');
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  const digest = [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))].map((b) => b.toString(16).padStart(2, '0')).join('');
  if (bytes.byteLength !== item.bytes || digest !== item.digest) {
    throw new VdxpClientError('VDXP_CLIENT_E_RESPONSE', `The packet of delivery ${item.deliveryId} carried in the inbox answer is ${bytes.byteLength} bytes hashing to ${digest}, not ${item.bytes} bytes hashing to ${item.digest}`);
  }
  onProgress?.({ phase: 'download', bytes: bytes.byteLength, total: bytes.byteLength });
  return { digest, bytes: bytes.byteLength, body: ReadableStream.from([bytes]) };
}

/** Acks; undefined when recorded, else what happened instead. */
async function ackOr(client: VdxpClient, item: InboxItem, result: 'done' | 'fail', stop: AbortSignal, emit: (e: ReceiveEvent) => void, reason?: string): Promise<'gone' | 'stopped' | undefined> {
  try {
    await client.ack(item.deliveryId, result, reason, { signal: stop });
    if (result === 'done') emit({ type: 'acked', item });
    return undefined;
  } catch (e) {
    if (stop.aborted || isAbort(e)) return 'stopped';
    if (isGone(e)) {
      emit({ type: 'gone', item, code: e.code });
      return 'gone';
    }
    throw e;
  }
}

function isGone(e: unknown): e is VdxpClientError {
  return e instanceof VdxpClientError && (e.status === 410 || e.status === 404);
}

function describe(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/** The stream passed through, noting whether it was read to its end. */
function readToEnd(inner: ReadableStream<Uint8Array>): { body: ReadableStream<Uint8Array>; ended: () => boolean } {
  const reader = inner.getReader();
  let ended = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) {
        ended = true;
        controller.close();
      } else controller.enqueue(value);
    },
    async cancel(reason) {
      await reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
  return { body, ended: () => ended };
}
