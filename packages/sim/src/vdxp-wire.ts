// The agency side of the VDXP wire protocol (docs/vdxp-compat.md), as deployed systems speak it through VNPT's
// SDKVXP 2.0.1: one "service object" per endpoint, systemid and secret, whose timestamp (Việt Nam time, the four
// digits after '+' being milliseconds) is fixed when it is made and signed again on every call; the signed JSON in
// the SDK's key order (systemid, the call's inputs, timestamp, Content-Type); sendEdoc writes the file then CRLF
// and signs hash-file, the SHA-256 in hex without zero padding, over the file alone. Written from the protocol
// document, importing nothing from the hub, so what it does is what a vendor's system does.

import { createHash, createHmac } from 'node:crypto';
import { VN_UTC_OFFSET_MS } from '@vdxp/edxml';

/** A FAIL answer (or an HTTP error) of a VDXP call: the hub's ErrorCode and its text. */
export class VdxpRefusal extends Error {
  readonly code: string;
  readonly status: number;
  constructor(call: string, code: string, status: number, message: string) {
    super(`${call}: ${code} (HTTP ${status}): ${message}`);
    this.name = 'VdxpRefusal';
    this.code = code;
    this.status = status;
  }
}

export interface ReceivedItem {
  docId: string;
  messageType: 'edoc' | 'status';
  from: string;
  to: string;
  status: string;
}

/** A JSON field as text: strings and numbers as written, anything else empty. */
function text(v: unknown): string {
  return typeof v === 'string' || typeof v === 'number' ? String(v) : '';
}

/** `ddMMyyyy'T'HHmmss'+'SSSS` of `t` in Việt Nam time. */
export function vdxpTimestamp(t: number): string {
  const d = new Date(t + VN_UTC_OFFSET_MS);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getUTCDate())}${p(d.getUTCMonth() + 1)}${d.getUTCFullYear()}T${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}+${p(d.getUTCMilliseconds(), 4)}`;
}

/** SHA-256 as SDKVXP writes `hash-file`: each byte in hex without zero padding. */
export function sdkHashFile(bytes: Uint8Array): string {
  return [...createHash('sha256').update(bytes).digest()].map((b) => b.toString(16)).join('');
}

export class VdxpWireClient {
  readonly endpoint: string;
  readonly systemId: string;
  readonly #secret: string;
  readonly #timestamp: string;

  constructor(o: { endpoint: string; systemId: string; secret: string; now?: number }) {
    this.endpoint = o.endpoint.replace(/\/+$/, '');
    this.systemId = o.systemId;
    this.#secret = o.secret;
    this.#timestamp = vdxpTimestamp(o.now ?? Date.now());
  }

  #headers(inputs: Record<string, string>, contentType: string): Record<string, string> {
    const signed: Record<string, string> = { 'XroadVnpt-systemid': this.systemId };
    for (const [k, v] of Object.entries(inputs)) signed[`XroadVnpt-${k}`] = v;
    signed['XroadVnpt-timestamp'] = this.#timestamp;
    signed['XroadVnpt-Content-Type'] = contentType;
    const signHeader = JSON.stringify(signed);
    return {
      ...signed,
      'XroadVnpt-sign-header-key': Object.keys(signed).map((k) => k.slice('XroadVnpt-'.length)).join(';'),
      'XroadVnpt-sign-header': signHeader,
      'XroadVnpt-hash-header': createHmac('sha256', Buffer.from(this.#secret, 'utf8')).update(signHeader, 'utf8').digest('hex'),
      'XroadVnpt-version': '3.0.201608',
      'User-Agent': 'JAVASDKAgent/1.0.0 XRoad/VPCP',
      'Content-Type': contentType,
    };
  }

  /** One call; the JSON answer when it is OK, else a VdxpRefusal. */
  async call(name: string, inputs: Record<string, string> = {}, body: Uint8Array | string = '{}', contentType = 'application/json', signal?: AbortSignal): Promise<Record<string, unknown>> {
    const res = await fetch(`${this.endpoint}/${name}`, { method: 'POST', headers: this.#headers(inputs, contentType), body, ...(signal ? { signal } : {}) });
    const answer = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(answer) as Record<string, unknown>;
    } catch {
      throw new VdxpRefusal(name, 'NOT_JSON', res.status, answer.slice(0, 200));
    }
    if (json['status'] !== 'OK') throw new VdxpRefusal(name, text(json['ErrorCode']) || '?', res.status, text(json['ErrorDesc']));
    return json;
  }

  /** sendEdoc as SDKVXP 2.0.1 sends it: the file then CRLF, hash-file over the file alone. Returns DocId. */
  async sendEdoc(packet: Uint8Array, from: string, messagetype: 'edoc' | 'status', signal?: AbortSignal): Promise<string> {
    const a = await this.call('sendEdoc', { from, servicetype: 'eDoc', messagetype, 'hash-file': sdkHashFile(packet) },
      Buffer.concat([packet, Buffer.from('\r\n')]), 'application/octet-stream', signal);
    return text(a['DocId']);
  }

  async getReceivedEdocList(messagetype: 'edoc' | 'status', signal?: AbortSignal): Promise<ReceivedItem[]> {
    const a = await this.call('getReceivedEdocList', { servicetype: 'eDoc', messagetype }, '', 'application/json', signal);
    return Array.isArray(a['data']) ? a['data'] as ReceivedItem[] : [];
  }

  /** getEdoc: the packet, decoded from the answer's base64. */
  async getEdoc(docId: string, signal?: AbortSignal): Promise<Buffer> {
    const a = await this.call('getEdoc', { docId, filePath: '/opt/qlvb/edoc/in' }, '{}', 'application/json', signal);
    const data = a['data'] as { content?: unknown } | string | undefined;
    const b64 = typeof data === 'string' ? data : typeof data?.content === 'string' ? data.content : '';
    return Buffer.from(b64, 'base64');
  }

  async updateStatus(docId: string, status: 'done' | 'fail' | 'processing', signal?: AbortSignal): Promise<void> {
    await this.call('updateStatus', { docId, status }, '{}', 'application/json', signal);
  }
}
