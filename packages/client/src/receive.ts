// The receive loop: long-poll the inbox, stream each packet to the caller's handler, and acknowledge `done`
// only after the handler resolved having read the packet to its end; a handler that throws gets the delivery
// `fail`ed (handed out again later, dead-lettered by the hub after its attempt limit), never lost. A crash
// between the handler and the ack hands the packet out again: handlers must be idempotent by deliveryId.

import type { InboxItem, VdxpClient } from './client.ts';
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

export async function receive(client: VdxpClient, handler: (p: ReceivedPacket) => Promise<void>, o: ReceiveOptions = {}): Promise<ReceiveSummary> {
  const stop = o.signal ?? new AbortController().signal;
  const summary: ReceiveSummary = { acked: 0, failed: 0, gone: 0 };
  const emit = o.onEvent ?? (() => {});
  let after: string | null = null;
  let unreachable = 0;
  while (!stop.aborted) {
    let page;
    try {
      page = await client.inbox({
        ...(o.kind ? { kind: o.kind } : {}), after, limit: o.limit ?? PAGE_DEFAULT, waitSeconds: o.once ? 0 : o.waitSeconds ?? WAIT_SECONDS_DEFAULT,
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
    for (const item of page.items) {
      if (stop.aborted) break;
      const outcome = await receiveOne(client, handler, item, stop, o.onProgress, emit);
      if (outcome !== 'stopped') summary[outcome]++;
    }
    after = page.next;
  }
  return summary;
}

async function receiveOne(
  client: VdxpClient, handler: (p: ReceivedPacket) => Promise<void>, item: InboxItem, stop: AbortSignal,
  onProgress: ProgressListener | undefined, emit: (e: ReceiveEvent) => void,
): Promise<'acked' | 'failed' | 'gone' | 'stopped'> {
  let download;
  try {
    download = await client.fetchPacket(item.deliveryId, { signal: stop, ...(onProgress ? { onProgress } : {}) });
  } catch (e) {
    if (stop.aborted || isAbort(e)) return 'stopped';
    if (isGone(e)) {
      emit({ type: 'gone', item, code: e.code });
      return 'gone';
    }
    throw e;
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
    return await ackOr(client, item, 'fail', stop, emit, describe(error)) ?? 'failed';
  }
  return await ackOr(client, item, 'done', stop, emit) ?? 'acked';
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
