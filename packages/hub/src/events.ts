// The hub's lifecycle as a typed event map. Every event is also appended to the hash-chained log inside the
// transaction that caused it; this in-process emitter only wakes long-polls and feeds metrics after commit.

import { EventEmitter } from 'node:events';

export interface HubEvents {
  'document:accepted': [{ documentId: string; kind: 'edoc' | 'status'; recipients: string[]; bytes: number }];
  'delivery:fetched': [{ deliveryId: string }];
  'delivery:acked': [{ deliveryId: string; result: 'done' | 'fail' }];
  'delivery:dead': [{ deliveryId: string }];
  'delivery:expired': [{ deliveryId: string }];
  'delivery:recalled': [{ deliveryId: string }];
  'status:relayed': [{ deliveryId: string; statusCode: string }];
  'delivery:overdue': [{ deliveryId: string }];
  'registry:changed': [{ version: number }];
}

export class HubEmitter extends EventEmitter<HubEvents> {}

/** Recipients a watch armed before its agencies are known keeps at most (see `watch`). */
const HEARD_RECIPIENTS_MAX = 10_000;

/** Long-poll waiters: each waits for a delivery to one of its agencies, or for its time to run out. */
export class InboxNotifier {
  readonly #waiters = new Set<{ agencies: Set<string> | undefined; heard?: (recipients: readonly string[]) => void; wake: () => void }>();
  readonly #listeners = new Set<(recipients: readonly string[]) => void>();
  #closed = false;

  /** True once the server is shutting down: long-polls answer at once instead of holding the shutdown up. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Wakes every waiter and makes later waits return at once. */
  close(): void {
    this.#closed = true;
    for (const w of this.#waiters) w.wake();
  }

  wait(agencies: Set<string>, ms: number, signal?: AbortSignal): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter = { agencies, wake: () => done() };
      const timer = setTimeout(() => done(), ms);
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      signal?.addEventListener('abort', done);
      this.#waiters.add(waiter);
    });
  }

  /**
   * Wakes every waiter to look at its inbox again: after wakes may have been missed (the cross-node listener
   * reconnected after a database restart). A waiter that finds nothing waits again for what time it has left.
   */
  wakeAll(): void {
    for (const w of this.#waiters) w.wake();
  }

  /**
   * A waiter armed now and kept across re-reads: a wake that comes while the caller reads its inbox (the
   * commit landed after the read's snapshot) is kept, and the next `next` returns at once. Without it such a
   * wake was lost and the long-poll slept its whole time (across nodes the notification often races the read).
   * Armed without agencies, it keeps the recipients it hears of until `narrow` names the agencies (a long-poll
   * arms it before its first read and reads its agencies only when it has to wait): a recipient heard before
   * that is among them counts as a wake.
   */
  watch(agencies?: Set<string>): { next: (ms: number, signal?: AbortSignal) => Promise<void>; narrow: (agencies: Set<string>) => void; close: () => void } {
    let woken = this.#closed;
    let resolveNext: (() => void) | undefined;
    let heard: string[] | undefined = agencies === undefined ? [] : undefined;
    const waiter: { agencies: Set<string> | undefined; heard?: (recipients: readonly string[]) => void; wake: () => void } = {
      agencies,
      wake: () => { woken = true; resolveNext?.(); },
      heard: (recipients) => {
        if (heard === undefined) return;
        // Bounded: past this many, any recipient may be ours; wake rather than keep them all.
        if (heard.length + recipients.length > HEARD_RECIPIENTS_MAX) { woken = true; heard = undefined; return; }
        heard.push(...recipients);
      },
    };
    this.#waiters.add(waiter);
    return {
      narrow: (named) => {
        waiter.agencies = named;
        if (heard?.some((r) => named.has(r))) woken = true;
        heard = undefined;
      },
      next: (ms, signal) => {
        if (woken || signal?.aborted) { woken = false; return Promise.resolve(); }
        return new Promise<void>((resolve) => {
          const done = (): void => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', done);
            resolveNext = undefined;
            woken = false;
            resolve();
          };
          const timer = setTimeout(done, ms);
          signal?.addEventListener('abort', done);
          resolveNext = done;
        });
      },
      close: () => { this.#waiters.delete(waiter); },
    };
  }

  notify(recipients: readonly string[]): void {
    for (const w of this.#waiters) {
      if (w.agencies === undefined) w.heard?.(recipients);
      else if (recipients.some((r) => w.agencies?.has(r) === true)) w.wake();
    }
    for (const l of this.#listeners) l(recipients);
  }

  /** Calls `listener` with the agencies of every notification (push notices); returns the unsubscribe. */
  onNotify(listener: (recipients: readonly string[]) => void): () => void {
    this.#listeners.add(listener);
    return () => { this.#listeners.delete(listener); };
  }

  get waiting(): number {
    return this.#waiters.size;
  }
}
