// Test support, not product: a client that behaves as SDKVXP 2.0.1 runs in agency systems today. Its
// timestamp is the machine's local wall-clock time in whatever zone that machine runs, written with no zone;
// timestamp (and so each signature) is fixed when the "service object" is made, and one object serves every
// call for the life of a gateway. Written from docs/vdxp-compat.md and the observations, importing
// nothing from the hub's compat API, so the tests judge the hub by how the SDK really behaves.

import { createHmac } from 'node:crypto';
import { sdkHashFile, type CallResult, type Json } from './vdxp-test-client.ts';

/**
 * `ddMMyyyy'T'HHmmss'+'SSSS` of the instant `t` as a clock set to `timeZone` shows it: what Java's
 * SimpleDateFormat writes with the JVM's default zone (the four digits are milliseconds, not an offset).
 */
export function sdkTimestamp(t: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
  }).formatToParts(new Date(t));
  const part = (type: Intl.DateTimeFormatPartTypes): string => {
    const v = parts.find((p) => p.type === type)?.value;
    if (v === undefined) throw new Error(`Intl.DateTimeFormat gave no ${type} for ${timeZone}`);
    return v;
  };
  const ms = String(new Date(t).getUTCMilliseconds()).padStart(4, '0');
  return `${part('day')}${part('month')}${part('year')}T${part('hour')}${part('minute')}${part('second')}+${ms}`;
}

/** One SDK "service object": endpoint, systemid, secret, and the timestamp taken when it was made. */
export class SdkServiceObject {
  readonly endpoint: string;
  readonly systemId: string;
  readonly secret: string;
  /** Fixed at construction, as SDKVXP 2.0.1 does; every call of this object signs it again. */
  readonly timestamp: string;

  /** `madeAt` is the machine's clock when the object is made; `timeZone` the zone that machine runs in. */
  constructor(o: { endpoint: string; systemId: string; secret: string; madeAt: number; timeZone: string }) {
    this.endpoint = o.endpoint.replace(/\/$/, '');
    this.systemId = o.systemId;
    this.secret = o.secret;
    this.timestamp = sdkTimestamp(o.madeAt, o.timeZone);
  }

  /**
   * The headers of a call: the signed JSON in the SDK's key order (systemid, the call's inputs, timestamp,
   * Content-Type) and its HMAC. The same inputs give the same headers on every call of the object.
   */
  headers(inputs: Record<string, string>, contentType: string): Record<string, string> {
    const signed: Record<string, string> = { 'XroadVnpt-systemid': this.systemId };
    for (const [k, v] of Object.entries(inputs)) signed[`XroadVnpt-${k}`] = v;
    signed['XroadVnpt-timestamp'] = this.timestamp;
    signed['XroadVnpt-Content-Type'] = contentType;
    const signHeader = JSON.stringify(signed);
    return {
      ...signed,
      'XroadVnpt-sign-header-key': Object.keys(signed).map((k) => k.slice('XroadVnpt-'.length)).join(';'),
      'XroadVnpt-sign-header': signHeader,
      'XroadVnpt-hash-header': createHmac('sha256', Buffer.from(this.secret, 'utf8')).update(signHeader, 'utf8').digest('hex'),
      'XroadVnpt-version': '3.0.201608',
      'User-Agent': 'JAVASDKAgent/1.0.0 XRoad/VPCP',
      'Content-Type': contentType,
    };
  }

  async call(name: string, inputs: Record<string, string> = {}, body: Uint8Array | string = '{}', contentType = 'application/json'): Promise<CallResult> {
    return this.send(name, this.headers(inputs, contentType), body);
  }

  /** Sends headers exactly as given: what someone who captured a call can do with it. */
  async send(name: string, headers: Record<string, string>, body: Uint8Array | string): Promise<CallResult> {
    const res = await fetch(`${this.endpoint}/${name}`, { method: 'POST', headers, body });
    const bytes = Buffer.from(await res.arrayBuffer());
    const isJson = res.headers.get('content-type')?.includes('json') ?? false;
    return { status: res.status, json: isJson ? JSON.parse(bytes.toString('utf8')) as Json : {}, bytes, headers: res.headers, sent: headers };
  }

  /** SDK 2.0.1 writes the file, then CRLF, and signs hash-file over the file alone. */
  sendEdoc(packet: Uint8Array, from: string, messagetype: 'edoc' | 'status' = 'edoc'): Promise<CallResult> {
    return this.call('sendEdoc', { from, servicetype: 'eDoc', messagetype, 'hash-file': sdkHashFile(packet) },
      Buffer.concat([packet, Buffer.from('\r\n')]), 'application/octet-stream');
  }

  getReceivedEdocList(messagetype: 'edoc' | 'status'): Promise<CallResult> {
    return this.call('getReceivedEdocList', { servicetype: 'eDoc', messagetype }, '');
  }

  getEdoc(docId: string): Promise<CallResult> {
    return this.call('getEdoc', { docId, filePath: '/opt/qlvb/edoc/in' });
  }

  updateStatus(docId: string, status: 'done' | 'fail' | 'processing'): Promise<CallResult> {
    return this.call('updateStatus', { docId, status });
  }

  getSentEdocList(messagetype: 'edoc' | 'status', docId: string): Promise<CallResult> {
    return this.call('getSentEdocList', { servicetype: 'eDoc', messagetype, docId }, '');
  }

  countReceiveEdoc(): Promise<CallResult> {
    return this.call('countReceiveEdoc');
  }

  countReceiveStatus(): Promise<CallResult> {
    return this.call('countReceiveStatus');
  }

  getAgenciesList(): Promise<CallResult> {
    return this.call('getAgenciesList', {}, '');
  }

  registerAgency(agency: { pcode: string; code: string; name: string; mail?: string }): Promise<CallResult> {
    return this.call('registerAgency', {}, JSON.stringify({ id: '0', mobile: '', fax: '', mail: '', ...agency }));
  }

  deleteAgency(code: string): Promise<CallResult> {
    return this.call('deleteAgency', { AgencyCode: code });
  }
}
