// A client of the axis' wire protocol written from docs/vdxp-compat.md alone, with its own signing code and
// nothing imported from the hub's compat API, so the tests judge the hub by the protocol, not by itself.

import { createHash, createHmac } from 'node:crypto';

export interface Json { [k: string]: unknown }

export interface CallOptions {
  method?: 'GET' | 'POST';
  /** Inputs sent as `XroadVnpt-<key>` and signed. */
  inputs?: Record<string, string>;
  body?: Uint8Array | string;
  /** The body's Content-Type, also sent (and signed) as XroadVnpt-Content-Type. */
  contentType?: string;
  /** Overrides the formatted timestamp (stale or malformed ones). */
  timestamp?: string;
  /** Signs with another secret (a wrong one). */
  secret?: string;
  /** Changes headers after signing (an attacker's edits). */
  tamper?: (headers: Record<string, string>) => void;
}

export interface CallResult {
  status: number;
  json: Json;
  bytes: Buffer;
  headers: Headers;
  /** The headers as sent, to replay them. */
  sent: Record<string, string>;
}

/** SHA-256 as SDKVXP writes `hash-file`: each byte in hex without zero padding. */
export function sdkHashFile(bytes: Uint8Array): string {
  return [...createHash('sha256').update(bytes).digest()].map((b) => b.toString(16)).join('');
}

export function standardHashFile(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Việt Nam's offset, written out here on purpose rather than imported from @vdxp/edxml: this client is the
 * hub's independent oracle, and a wrong shared constant would otherwise agree with itself.
 */
const VIETNAM_UTC_OFFSET_MS = 7 * 3600 * 1000;

/** `ddMMyyyy'T'HHmmss'+'SSSS` in Việt Nam local time (UTC+7), the four digits being milliseconds. */
export function protocolTimestamp(t: number): string {
  const d = new Date(t + VIETNAM_UTC_OFFSET_MS);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getUTCDate())}${p(d.getUTCMonth() + 1)}${d.getUTCFullYear()}T${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}+${p(d.getUTCMilliseconds(), 4)}`;
}

export class VdxpTestClient {
  readonly endpoint: string;
  readonly systemId: string;
  readonly secret: string;
  readonly #now: () => number;
  #last = 0;

  constructor(o: { endpoint: string; systemId: string; secret: string; now: () => number }) {
    this.endpoint = o.endpoint.replace(/\/$/, '');
    this.systemId = o.systemId;
    this.secret = o.secret;
    this.#now = o.now;
  }

  /** Each call gets its own millisecond, so two calls never carry the same signature. */
  #timestamp(): string {
    this.#last = Math.max(this.#now(), this.#last + 1);
    return protocolTimestamp(this.#last);
  }

  /** The headers of one call, signed as the protocol says: JSON of the XroadVnpt-* inputs, HMAC-SHA256 hex. */
  sign(o: CallOptions, contentType: string): Record<string, string> {
    const signed: Record<string, string> = {
      'XroadVnpt-systemid': this.systemId,
      'XroadVnpt-timestamp': o.timestamp ?? this.#timestamp(),
      'XroadVnpt-Content-Type': contentType,
    };
    for (const [k, v] of Object.entries(o.inputs ?? {})) signed[`XroadVnpt-${k}`] = v;
    const signHeader = JSON.stringify(signed);
    const hash = createHmac('sha256', Buffer.from(o.secret ?? this.secret, 'utf8')).update(signHeader, 'utf8').digest('hex');
    return {
      ...signed,
      'XroadVnpt-sign-header-key': Object.keys(signed).map((k) => k.slice('XroadVnpt-'.length)).join(';'),
      'XroadVnpt-sign-header': signHeader,
      'XroadVnpt-hash-header': hash,
      'XroadVnpt-version': '3.0.201608',
      'User-Agent': 'JAVASDKAgent/1.0.0 XRoad/VPCP',
      'Content-Type': contentType,
    };
  }

  async call(name: string, o: CallOptions = {}): Promise<CallResult> {
    const contentType = o.contentType ?? 'application/json';
    const headers = this.sign(o, contentType);
    o.tamper?.(headers);
    const method = o.method ?? 'POST';
    return this.send(name, method, headers, method === 'GET' ? undefined : (o.body ?? '{}'));
  }

  /** Sends headers exactly as given (to replay a captured call). */
  async send(name: string, method: string, headers: Record<string, string>, body: Uint8Array | string | undefined): Promise<CallResult> {
    const res = await fetch(`${this.endpoint}/${name}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    const bytes = Buffer.from(await res.arrayBuffer());
    const isJson = res.headers.get('content-type')?.includes('json') ?? false;
    return { status: res.status, json: isJson ? JSON.parse(bytes.toString('utf8')) as Json : {}, bytes, headers: res.headers, sent: headers };
  }

  /** sendEdoc with the raw body (application/octet-stream), hash-file in the SDK's unpadded hex unless given. */
  sendEdoc(packet: Uint8Array, o: { from: string; messagetype?: 'edoc' | 'status'; hashFile?: string; body?: Uint8Array } & Omit<CallOptions, 'inputs' | 'body'>): Promise<CallResult> {
    return this.call('sendEdoc', {
      ...o,
      contentType: 'application/octet-stream',
      inputs: { from: o.from, servicetype: 'eDoc', messagetype: o.messagetype ?? 'edoc', 'hash-file': o.hashFile ?? sdkHashFile(packet) },
      body: o.body ?? packet,
    });
  }

  /** sendEdoc in the older multipart form: the packet is the part `file_doc`. */
  sendEdocMultipart(packet: Uint8Array, o: { from: string; messagetype?: 'edoc' | 'status'; boundary?: string }): Promise<CallResult> {
    const boundary = o.boundary ?? `===${Date.now()}===`;
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nnot the file\r\n`),
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file_doc"; filename="packet.edxml"\r\nContent-Type: application/octet-stream\r\n\r\n`),
      packet,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    return this.call('sendEdoc', {
      contentType: `multipart/form-data; boundary=${boundary}`,
      inputs: { from: o.from, servicetype: 'eDoc', messagetype: o.messagetype ?? 'edoc', 'hash-file': sdkHashFile(packet) },
      body,
    });
  }

  receivedList(messagetype: 'edoc' | 'status'): Promise<CallResult> {
    return this.call('getReceivedEdocList', { inputs: { servicetype: 'eDoc', messagetype } });
  }

  getEdoc(docId: string): Promise<CallResult> {
    return this.call('getEdoc', { inputs: { docId, filePath: '/tmp/ignored' } });
  }

  updateStatus(docId: string, status: string, key: 'docId' | 'docid' = 'docId'): Promise<CallResult> {
    return this.call('updateStatus', { inputs: { [key]: docId, status } });
  }
}
