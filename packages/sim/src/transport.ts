// How the live simulator talks to a hub: the few native-API calls an agency system makes, over @vdxp/client
// (its retries with backoff, which never duplicate a document: the same bytes answer the same ids).

import { VdxpClient, VdxpClientError, type ClientOptions } from '@vdxp/client';

export interface SubmitAnswer {
  status: number;
  id: string;
  deliveries: { id: string; recipient: string; addressedTo: string }[];
  recall?: 'withdrawn' | 'requested';
}

export interface InboxEntry {
  deliveryId: string;
  documentId: string;
  kind: 'edoc' | 'status';
  from: string;
  to: string;
  edxmlDocumentId: string | null;
  statusCode: string | null;
}

/** A refusal by the hub: its stable code and HTTP status. */
export class HubRefusal extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, status: number, message: string) {
    super(`${code} (${status}): ${message}`);
    this.name = 'HubRefusal';
    this.code = code;
    this.status = status;
  }
}

export interface NativeTransport {
  submit(token: string, packet: Uint8Array, signal?: AbortSignal): Promise<SubmitAnswer>;
  inbox(token: string, q: { after?: string; waitSeconds?: number; limit?: number }, signal?: AbortSignal): Promise<{ items: InboxEntry[]; next: string | null }>;
  /** The packet's bytes, read to the end. */
  fetchPacket(token: string, deliveryId: string, signal?: AbortSignal): Promise<Uint8Array>;
  ack(token: string, deliveryId: string, result: 'done' | 'fail', signal?: AbortSignal): Promise<void>;
}

/** The simulator's transport: one @vdxp/client per system token; a hub refusal becomes a HubRefusal. */
export class ClientNativeTransport implements NativeTransport {
  readonly #hub: string;
  readonly #fetch: ClientOptions['fetch'];
  readonly #clients = new Map<string, VdxpClient>();

  /** `fetch`: e.g. `nodeFetch` from `@vdxp/client/node`; default the global fetch. */
  constructor(hubUrl: string, o: { fetch?: ClientOptions['fetch'] } = {}) {
    this.#hub = hubUrl;
    this.#fetch = o.fetch;
  }

  #client(token: string): VdxpClient {
    let c = this.#clients.get(token);
    if (c === undefined) {
      c = new VdxpClient({ hub: this.#hub, token, ...(this.#fetch ? { fetch: this.#fetch } : {}) });
      this.#clients.set(token, c);
    }
    return c;
  }

  async submit(token: string, packet: Uint8Array, signal?: AbortSignal): Promise<SubmitAnswer> {
    const r = await refusals(() => this.#client(token).send(packet, signal ? { signal } : {}));
    return { status: r.created ? 201 : 200, id: r.id, deliveries: r.deliveries, ...(r.recall ? { recall: r.recall } : {}) };
  }

  async inbox(token: string, q: { after?: string; waitSeconds?: number; limit?: number }, signal?: AbortSignal): Promise<{ items: InboxEntry[]; next: string | null }> {
    return refusals(() => this.#client(token).inbox(q, signal ? { signal } : {}));
  }

  async fetchPacket(token: string, deliveryId: string, signal?: AbortSignal): Promise<Uint8Array> {
    return refusals(async () => {
      const d = await this.#client(token).fetchPacket(deliveryId, signal ? { signal } : {});
      return new Uint8Array(await new Response(d.body).arrayBuffer());
    });
  }

  async ack(token: string, deliveryId: string, result: 'done' | 'fail', signal?: AbortSignal): Promise<void> {
    await refusals(() => this.#client(token).ack(deliveryId, result, undefined, signal ? { signal } : {}));
  }
}

/** The hub's refusals (an answer with a code) as HubRefusal; what got no answer passes through. */
async function refusals<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    if (e instanceof VdxpClientError && e.status !== undefined && !e.retryable) throw new HubRefusal(e.code, e.status, e.message);
    throw e;
  }
}
