// How the live simulator talks to a hub: the few native-API calls an agency system makes.
//
// TO BE REPLACED at merge by @vdxp/client (issue 10 part A, packages/client): this is a minimal fetch-based
// stand-in so the simulator can run before that client lands on main. It keeps to the public native API
// (docs: /openapi.json), nothing else.

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

export class FetchNativeTransport implements NativeTransport {
  readonly #base: string;
  constructor(hubUrl: string) { this.#base = hubUrl.replace(/\/+$/, ''); }

  async submit(token: string, packet: Uint8Array, signal?: AbortSignal): Promise<SubmitAnswer> {
    const res = await this.#call('POST', '/v1/documents', token, { body: packet, contentType: 'application/xml', ...(signal ? { signal } : {}) });
    return { ...(await res.json() as Omit<SubmitAnswer, 'status'>), status: res.status };
  }

  async inbox(token: string, q: { after?: string; waitSeconds?: number; limit?: number }, signal?: AbortSignal): Promise<{ items: InboxEntry[]; next: string | null }> {
    const params = new URLSearchParams();
    if (q.after !== undefined) params.set('after', q.after);
    if (q.waitSeconds !== undefined) params.set('wait', String(q.waitSeconds));
    if (q.limit !== undefined) params.set('limit', String(q.limit));
    const res = await this.#call('GET', `/v1/inbox?${params.toString()}`, token, signal ? { signal } : {});
    return await res.json() as { items: InboxEntry[]; next: string | null };
  }

  async fetchPacket(token: string, deliveryId: string, signal?: AbortSignal): Promise<Uint8Array> {
    const res = await this.#call('GET', `/v1/deliveries/${encodeURIComponent(deliveryId)}/packet`, token, signal ? { signal } : {});
    return new Uint8Array(await res.arrayBuffer());
  }

  async ack(token: string, deliveryId: string, result: 'done' | 'fail', signal?: AbortSignal): Promise<void> {
    const res = await this.#call('POST', `/v1/deliveries/${encodeURIComponent(deliveryId)}/ack`, token, {
      body: JSON.stringify({ result }), contentType: 'application/json', ...(signal ? { signal } : {}),
    });
    await res.arrayBuffer();
  }

  async #call(method: string, path: string, token: string, o: { body?: Uint8Array | string; contentType?: string; signal?: AbortSignal }): Promise<Response> {
    const res = await fetch(`${this.#base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(o.contentType ? { 'content-type': o.contentType } : {}) },
      ...(o.body !== undefined ? { body: o.body } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
    if (res.ok) return res;
    const text = await res.text();
    // Not a hub code: an answer without the hub's JSON error (a proxy's page, say) is named by its status.
    let code = `HTTP_${res.status}`;
    let message = text.slice(0, 500);
    try {
      const j = JSON.parse(text) as { code?: string; message?: string; error?: { code?: string; message?: string } };
      code = j.code ?? j.error?.code ?? code;
      message = j.message ?? j.error?.message ?? message;
    } catch { /* not JSON: keep the text */ }
    throw new HubRefusal(code, res.status, message);
  }
}
