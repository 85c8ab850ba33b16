// The native API client: one method per call, each retried with backoff when it got no answer (or a 5xx or
// 429) and never when the hub refused. Every call is safe to repeat: a packet is keyed by its bytes (a resend
// answers 200 with the original ids), acks and fetches are idempotent. Global fetch and web streams only.

import type { PacketModel } from '@vdxp/edxml';
import type { Schemas } from './api-types.ts';
import { VdxpClientError, isAbort } from './errors.ts';
import { countedStream, counting, modelSource, type PacketSource, type ProgressListener } from './sources.ts';
import { receive, type ReceiveOptions, type ReceiveSummary, type ReceivedPacket } from './receive.ts';
import { businessModel, statusModel, type BusinessChange, type StatusDraft } from './packets.ts';

export type SubmitResult = Schemas['SubmitResult'] & { /** true: a new document; false: a resend of one (same bytes or DocumentId). */ created: boolean };
export type InboxItem = Schemas['InboxItem'];
export type InboxPage = Schemas['InboxPage'];
export type Delivery = Schemas['Delivery'];
export type AckResult = Schemas['AckResult'];
export type AckRequest = Schemas['AckRequest'];
export type AckOutcome = Schemas['AckOutcome'];
export type DocumentView = Schemas['DocumentView'];
export type InboxStreamLine = Schemas['InboxStreamLine'];

export interface InboxStreamQuery {
  /** Credit: deliveries handed out on the stream and not yet acked, at most (the hub refuses more than its limit). */
  prefetch: number;
  kind?: 'edoc' | 'status';
  /** Packets up to this many bytes (the hub caps it) come in their item line, handed out with it. */
  inline?: number;
  /** How long the stream lasts (the hub caps it). */
  seconds?: number;
}

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attemptsMax: number;
  /** The first wait; doubled each time, with jitter. */
  delayMsInitial: number;
  delayMsMax: number;
}

export const RETRY_DEFAULT: RetryPolicy = { attemptsMax: 6, delayMsInitial: 250, delayMsMax: 15_000 };

export interface ClientOptions {
  /** The hub's base URL, e.g. https://hub.example.gov.vn */
  hub: string | URL;
  /** The system's bearer token (`vdxp system add`). */
  token: string;
  retry?: Partial<RetryPolicy>;
  /** For tests and custom transports; default the global fetch. */
  fetch?: typeof fetch;
  /** Called before each retry: for logs. */
  onRetry?: (e: { attempt: number; delayMs: number; error: VdxpClientError }) => void;
}

export interface CallOptions {
  signal?: AbortSignal;
  onProgress?: ProgressListener;
}

export interface InboxQuery {
  kind?: 'edoc' | 'status';
  after?: string | null;
  limit?: number;
  /** Long-poll seconds (the hub caps it). */
  waitSeconds?: number;
  /**
   * Batch fetch: packets of up to this many bytes (the hub caps it) come in the answer (`item.packet`, base64),
   * handed out with it. A hub that offers it answers `inlinePacketBytesMax`; an older one ignores the ask.
   */
  inline?: number;
}

export interface PacketDownload {
  deliveryId: string;
  digest: string;
  bytes: number;
  /** The packet bytes; read it to the end or cancel it. */
  body: ReadableStream<Uint8Array>;
}

export class VdxpClient {
  readonly #base: URL;
  readonly #token: string;
  readonly #retry: RetryPolicy;
  readonly #fetch: typeof fetch;
  readonly #onRetry: ClientOptions['onRetry'];

  constructor(o: ClientOptions) {
    this.#base = new URL(o.hub);
    this.#token = o.token;
    this.#retry = { ...RETRY_DEFAULT, ...o.retry };
    this.#fetch = o.fetch ?? globalThis.fetch.bind(globalThis);
    this.#onRetry = o.onRetry;
  }

  /** Sends a packet (edoc or status). Safe to call again with the same bytes: the hub answers the same ids. */
  async send(packet: PacketSource, o: CallOptions = {}): Promise<SubmitResult> {
    const res = await this.#call('POST', '/v1/documents', o.signal, () => ({
      headers: { 'content-type': 'application/xml' },
      body: packet instanceof Uint8Array && !o.onProgress ? packet : countedStream(packet, o.onProgress),
    }));
    return { ...await json<Schemas['SubmitResult']>(res), created: res.status === 201 };
  }

  /** Builds the packet from a model (`@vdxp/edxml`) while sending it. */
  sendModel(model: PacketModel, o: CallOptions = {}): Promise<SubmitResult> {
    return this.send(modelSource(model), o);
  }

  /** A status (01–06, 13, 15, 16) about a document this system sent or received. */
  sendStatus(draft: StatusDraft, o: CallOptions = {}): Promise<SubmitResult> {
    return this.sendModel(statusModel(draft), o);
  }

  /**
   * Recalls a sent document from one recipient (status 13): withdrawn at once if never fetched
   * (`recall: "withdrawn"`), else asked of the recipient, who answers 15 (agreed) or 16 (refused).
   */
  recall(r: { from: string; recipient: string; documentId: string; reason: string; staff?: string; now?: Date }, o: CallOptions = {}): Promise<SubmitResult> {
    return this.sendStatus({ from: r.from, about: r.recipient, documentId: r.documentId, code: '13', description: r.reason, ...(r.staff ? { staff: r.staff } : {}), ...(r.now ? { now: r.now } : {}) }, o);
  }

  /** Revokes (1), updates (2) or replaces (3) earlier documents with a new packet built from `model`. */
  sendChange(model: PacketModel, change: BusinessChange, o: CallOptions = {}): Promise<SubmitResult> {
    return this.sendModel(businessModel(model, change), o);
  }

  async inbox(q: InboxQuery = {}, o: { signal?: AbortSignal } = {}): Promise<InboxPage> {
    const params = new URLSearchParams();
    if (q.kind) params.set('kind', q.kind);
    if (q.after) params.set('after', q.after);
    if (q.limit !== undefined) params.set('limit', String(q.limit));
    if (q.waitSeconds !== undefined) params.set('wait', String(q.waitSeconds));
    if (q.inline !== undefined) params.set('inline', String(q.inline));
    const res = await this.#call('GET', `/v1/inbox?${params.toString()}`, o.signal);
    return json<InboxPage>(res);
  }

  /**
   * Opens the inbox stream (`GET /v1/inbox/stream`): resolves once the hub answered (retried as any call until
   * then; an older hub refuses it with 404 VDXP_E_NOT_FOUND), then yields its lines as they come. The lines end
   * with the hub's `end` line, or with a VDXP_CLIENT_E_NETWORK error when the connection broke: open another.
   */
  async openStream(q: InboxStreamQuery, o: { signal?: AbortSignal } = {}): Promise<AsyncIterable<InboxStreamLine>> {
    const params = new URLSearchParams({ prefetch: String(q.prefetch) });
    if (q.kind) params.set('kind', q.kind);
    if (q.inline !== undefined) params.set('inline', String(q.inline));
    if (q.seconds !== undefined) params.set('seconds', String(q.seconds));
    const res = await this.#call('GET', `/v1/inbox/stream?${params.toString()}`, o.signal);
    if (!res.body) throw new VdxpClientError('VDXP_CLIENT_E_RESPONSE', 'The inbox stream came without a body', { status: res.status });
    return ndjsonLines(res.body);
  }

  /** The packet of a delivery as a stream; its length is checked against the hub's count as it ends. */
  async fetchPacket(deliveryId: string, o: CallOptions = {}): Promise<PacketDownload> {
    const res = await this.#call('GET', `/v1/deliveries/${encodeURIComponent(deliveryId)}/packet`, o.signal);
    const bytes = Number(res.headers.get('content-length'));
    const digest = res.headers.get('x-vdxp-sha256') ?? '';
    if (!res.body || !Number.isSafeInteger(bytes) || !/^[0-9a-f]{64}$/.test(digest)) {
      await res.body?.cancel();
      throw new VdxpClientError('VDXP_CLIENT_E_RESPONSE', `The packet of delivery ${deliveryId} came without its length or digest`, { status: res.status });
    }
    return { deliveryId, digest, bytes, body: counting(res.body, 'download', bytes, o.onProgress) };
  }

  /** One of this system's deliveries, in any state (what answering it needs: its sender and DocumentId). */
  async delivery(deliveryId: string, o: { signal?: AbortSignal } = {}): Promise<Delivery> {
    return json<Delivery>(await this.#call('GET', `/v1/deliveries/${encodeURIComponent(deliveryId)}`, o.signal));
  }

  /** Transport acknowledgement: `done` once the packet is stored, `fail` to have it handed out again. */
  async ack(deliveryId: string, result: 'done' | 'fail', reason?: string, o: { signal?: AbortSignal } = {}): Promise<AckResult> {
    const res = await this.#call('POST', `/v1/deliveries/${encodeURIComponent(deliveryId)}/ack`, o.signal, () => ({
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(reason === undefined ? { result } : { result, reason: reason.slice(0, REASON_CHARS_MAX) }),
    }));
    return json<AckResult>(res);
  }

  /**
   * Several acks in one call and one transaction: an outcome per ack, in order (`state`/`changed` as `ack`
   * answers, or `error.code` as it would have refused that one). Idempotent like `ack`, so safe to retry.
   */
  async ackMany(acks: readonly AckRequest[], o: { signal?: AbortSignal } = {}): Promise<AckOutcome[]> {
    const res = await this.#call('POST', '/v1/deliveries/ack', o.signal, () => ({
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(acks.map((a) => (a.reason === undefined ? a : { ...a, reason: a.reason.slice(0, REASON_CHARS_MAX) }))),
    }));
    const answer = await json<Schemas['AckBatchResult']>(res);
    if (!Array.isArray(answer.results) || answer.results.length !== acks.length) {
      throw new VdxpClientError('VDXP_CLIENT_E_RESPONSE', `The batch ack answered ${String(answer.results?.length)} outcomes for ${acks.length} acks`, { status: res.status });
    }
    return answer.results;
  }

  /** A document this system sent (every recipient) or received (its own delivery): states and status timeline. */
  async document(id: string, o: { signal?: AbortSignal } = {}): Promise<DocumentView> {
    return json<DocumentView>(await this.#call('GET', `/v1/documents/${encodeURIComponent(id)}`, o.signal));
  }

  /** The receive loop: see receive.ts. */
  receive(handler: (packet: ReceivedPacket) => Promise<void>, o: ReceiveOptions = {}): Promise<ReceiveSummary> {
    return receive(this, handler, o);
  }

  /** One HTTP call with the retry policy; `init` is called per attempt so a body stream is opened afresh. */
  async #call(method: string, path: string, signal: AbortSignal | undefined, init?: () => { headers: Record<string, string>; body: NonNullable<RequestInit['body']> }): Promise<Response> {
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted();
      let error: VdxpClientError;
      try {
        const req = init?.();
        const res = await this.#fetch(new URL(path, this.#base), {
          method,
          headers: { authorization: `Bearer ${this.#token}`, accept: 'application/json', ...req?.headers },
          ...(req ? { body: req.body, duplex: 'half' } : {}),
          ...(signal ? { signal } : {}),
        });
        if (res.ok) return res;
        error = await refusal(res);
      } catch (e) {
        if (isAbort(e) || (e instanceof VdxpClientError && !e.retryable)) throw e;
        error = e instanceof VdxpClientError ? e : new VdxpClientError('VDXP_CLIENT_E_NETWORK', `${method} ${path}: ${(e as Error).message}`, { retryable: true, cause: e });
      }
      if (!error.retryable || attempt >= this.#retry.attemptsMax) throw error;
      const delayMs = backoffMs(this.#retry, attempt);
      this.#onRetry?.({ attempt, delayMs, error });
      await sleep(delayMs, signal);
    }
  }
}

/** The lines of an NDJSON body, parsed; a broken connection is a retryable VDXP_CLIENT_E_NETWORK error. */
async function* ndjsonLines(body: ReadableStream<Uint8Array>): AsyncGenerator<InboxStreamLine> {
  const decoder = new TextDecoder();
  let buffer = '';
  const reader = body.getReader();
  try {
    for (;;) {
      let chunk;
      try {
        chunk = await reader.read();
      } catch (e) {
        if (isAbort(e)) throw e;
        throw new VdxpClientError('VDXP_CLIENT_E_NETWORK', `The inbox stream broke: ${(e as Error).message}`, { retryable: true, cause: e });
      }
      if (chunk.done) return;
      buffer += decoder.decode(chunk.value, { stream: true });
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line.trim() === '') continue;
        let parsed: InboxStreamLine;
        try {
          parsed = JSON.parse(line) as InboxStreamLine;
        } catch (e) {
          throw new VdxpClientError('VDXP_CLIENT_E_RESPONSE', `A line of the inbox stream is not JSON: ${line.slice(0, 100)}`, { cause: e });
        }
        yield parsed;
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

/** An ack's reason is kept by the hub for the operator: a line, not a stack. */
const REASON_CHARS_MAX = 500;

/** Full jitter: a fleet of clients that lost the hub together does not come back together. */
export function backoffMs(p: RetryPolicy, attempt: number): number {
  const cap = Math.min(p.delayMsMax, p.delayMsInitial * 2 ** (attempt - 1));
  return Math.round(cap / 2 + Math.random() * cap / 2);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const done = (): void => { signal?.removeEventListener('abort', abort); resolve(); };
    const timer = setTimeout(done, ms);
    const abort = (): void => { clearTimeout(timer); reject(signal?.reason as Error); };
    signal?.addEventListener('abort', abort, { once: true });
  });
}

async function refusal(res: Response): Promise<VdxpClientError> {
  const retryable = res.status >= 500 || res.status === 429 || res.status === 408;
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  const e = (body as Partial<Schemas['Error']> | undefined)?.error;
  if (!e || typeof e.code !== 'string') {
    return new VdxpClientError('VDXP_CLIENT_E_RESPONSE', `HTTP ${res.status} without a vdxp error body`, { status: res.status, retryable });
  }
  return new VdxpClientError(e.code, e.message, { status: res.status, retryable, ...(e.details ? { details: e.details } : {}) });
}

async function json<T>(res: Response): Promise<T> {
  try {
    return await res.json() as T;
  } catch (e) {
    throw new VdxpClientError('VDXP_CLIENT_E_RESPONSE', `The hub's answer is not JSON: ${(e as Error).message}`, { status: res.status, cause: e });
  }
}
