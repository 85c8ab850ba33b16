// Push notices: a system that registered a URL (`vdxp system set <id> --push-url URL`) gets a small signed POST
// when deliveries are queued for it, and then fetches them as usual (the long-poll stays). A notice is a hint,
// not a delivery: its truth is the system's queued deliveries, read when it is sent. So nothing needs a table
// to survive a restart: on start, every push system with queued deliveries is sent a notice. Notices run
// beside intake, never in its path: intake only wakes the inbox notifier, which queues a notice here.
//
// Signature: `x-vdxp-timestamp: <unix seconds>`, `x-vdxp-signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`,
// with the system's secret (the one `vdxp system add` printed; rotate-secret changes it). A receiver checks
// the HMAC and that the timestamp is recent (@vdxp/client's verifyPushNotice does both).

import { createHmac } from 'node:crypto';
import type { HubContext } from './context.ts';
import { systemSecret } from './registry.ts';

export const PUSH_TIMESTAMP_HEADER = 'x-vdxp-timestamp';
export const PUSH_SIGNATURE_HEADER = 'x-vdxp-signature';

export interface PushNotice {
  type: 'deliveries.queued';
  system: string;
  /** The deliveries queued for the system when the notice was sent, oldest first (at most pushDeliveriesPerNoticeMax). */
  deliveries: { deliveryId: string; documentId: string; kind: 'edoc' | 'status'; to: string }[];
  /** More are queued than the notice lists. */
  more: boolean;
  at: string;
}

export function signPushBody(secret: string, timestampSeconds: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex')}`;
}

/** Systems with a push URL are looked up again after this long: a URL set by `vdxp system set` beside a running hub applies within it. */
export const PUSH_SYSTEMS_REFRESH_MS = 10_000;

interface SystemState {
  running: boolean;
  /** Asked again while a notice was in flight: send one more after it. */
  again: boolean;
}

export interface PushOptions {
  /** For tests: the first retry delay (doubled each time, capped by pushDelaySecondsMax); default 1000 ms. */
  delayMsInitial?: number;
  log?: (line: string) => void;
}

export class PushNotifier {
  readonly #ctx: HubContext;
  readonly #o: PushOptions;
  readonly #states = new Map<string, SystemState>();
  readonly #running = new Set<Promise<void>>();
  readonly #stop = new AbortController();
  #byAgency: Map<string, string[]> | undefined;
  #byAgencyAt = 0;
  #unsubscribe: (() => void) | undefined;
  /** Notices answered 2xx, and those given up after pushAttemptsMax: for tests and metrics. */
  sent = 0;
  dropped = 0;

  constructor(ctx: HubContext, o: PushOptions = {}) {
    this.#ctx = ctx;
    this.#o = o;
  }

  /** Listens for queued deliveries, and sends a notice to every push system that has some waiting now. */
  async start(): Promise<void> {
    this.#unsubscribe = this.#ctx.notifier.onNotify((agencies) => { this.#track(this.#onAgencies(agencies)); });
    for (const s of await this.#ctx.store.listSystems()) if (s.pushUrl !== null && s.state === 'active') this.#schedule(s.id);
  }

  /** Stops retrying and waits for notices in flight (each bounded by pushTimeoutSeconds). */
  async close(): Promise<void> {
    this.#unsubscribe?.();
    this.#stop.abort();
    while (this.#running.size > 0) await Promise.all([...this.#running]);
  }

  #track(p: Promise<void>): void {
    const tracked = p.catch((e: unknown) => { this.#o.log?.(`vdxp: push notice failed: ${(e as Error).message}`); }).finally(() => { this.#running.delete(tracked); });
    this.#running.add(tracked);
  }

  async #onAgencies(agencies: readonly string[]): Promise<void> {
    const map = await this.#systemsByAgency();
    const systems = new Set(agencies.flatMap((a) => map.get(a) ?? []));
    for (const id of systems) this.#schedule(id);
  }

  async #systemsByAgency(): Promise<Map<string, string[]>> {
    const now = performance.now();
    if (this.#byAgency && now - this.#byAgencyAt < PUSH_SYSTEMS_REFRESH_MS) return this.#byAgency;
    const map = new Map<string, string[]>();
    for (const s of await this.#ctx.store.listSystems()) {
      if (s.pushUrl === null || s.state !== 'active') continue;
      for (const a of await this.#ctx.store.systemAgencies(s.id)) map.set(a, [...(map.get(a) ?? []), s.id]);
    }
    this.#byAgency = map;
    this.#byAgencyAt = now;
    return map;
  }

  #schedule(systemId: string): void {
    if (this.#stop.signal.aborted) return;
    const state = this.#states.get(systemId) ?? { running: false, again: false };
    this.#states.set(systemId, state);
    if (state.running) {
      state.again = true;
      return;
    }
    state.running = true;
    this.#track(this.#run(systemId, state).finally(() => { state.running = false; }));
  }

  /** One system's notices, one at a time: sent, retried with backoff, or given up after pushAttemptsMax. */
  async #run(systemId: string, state: SystemState): Promise<void> {
    const limits = this.#ctx.limits;
    let attempt = 0;
    for (;;) {
      state.again = false;
      if (this.#stop.signal.aborted) return;
      const ok = await this.#sendOne(systemId);
      if (ok === 'nothing') {
        // A delivery queued while its inbox was being read is in the next read.
        if (state.again) continue;
        return;
      }
      if (ok === 'sent') {
        this.sent++;
        attempt = 0;
        if (!state.again) return;
        continue;
      }
      attempt++;
      if (attempt >= limits.pushAttemptsMax) {
        this.dropped++;
        this.#o.log?.(`vdxp: push notices to ${systemId} failed ${attempt} times; giving up until the next delivery (the system still gets it by polling)`);
        return;
      }
      const capMs = Math.min(limits.pushDelaySecondsMax * 1000, (this.#o.delayMsInitial ?? 1000) * 2 ** (attempt - 1));
      await pause(capMs / 2 + Math.random() * capMs / 2, this.#stop.signal);
    }
  }

  async #sendOne(systemId: string): Promise<'sent' | 'failed' | 'nothing'> {
    const limits = this.#ctx.limits;
    const system = await this.#ctx.store.getSystem(systemId);
    if (!system || system.pushUrl === null || system.state !== 'active') return 'nothing';
    const items = await this.#ctx.store.inbox(systemId, { limit: limits.pushDeliveriesPerNoticeMax + 1, states: ['queued'] });
    if (items.length === 0) return 'nothing';
    const notice: PushNotice = {
      type: 'deliveries.queued', system: systemId,
      deliveries: items.slice(0, limits.pushDeliveriesPerNoticeMax).map((i) => ({ deliveryId: i.delivery.id, documentId: i.document.id, kind: i.delivery.kind, to: i.delivery.recipient })),
      more: items.length > limits.pushDeliveriesPerNoticeMax, at: new Date(this.#ctx.clock.now()).toISOString(),
    };
    const body = JSON.stringify(notice);
    // Wall-clock seconds: the receiver compares them with its own clock, whatever time the hub's clock tells.
    const timestamp = Math.floor(Date.now() / 1000);
    try {
      const res = await fetch(system.pushUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json', 'user-agent': 'vdxp-push/1',
          [PUSH_TIMESTAMP_HEADER]: String(timestamp), [PUSH_SIGNATURE_HEADER]: signPushBody(systemSecret(this.#ctx, system), timestamp, body),
        },
        body,
        redirect: 'error',
        signal: AbortSignal.any([AbortSignal.timeout(limits.pushTimeoutSeconds * 1000), this.#stop.signal]),
      });
      await res.body?.cancel();
      return res.ok ? 'sent' : 'failed';
    } catch {
      return 'failed';
    }
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => { clearTimeout(timer); signal.removeEventListener('abort', done); resolve(); };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
