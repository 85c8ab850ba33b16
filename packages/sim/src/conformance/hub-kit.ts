// `vdxp conformance hub`: checks a hub that claims the VDXP wire protocol (docs/vdxp-compat.md), call by call,
// with one system's credentials: it signs as the SDK does, sends a document from the system's agency to
// itself, receives it, acknowledges it, answers it with a status, and checks what a hub must refuse.
// It speaks the protocol from the document alone (vdxp-wire.ts, which imports nothing from the hub), so it judges
// any hub, vdxp's included. Each call is signed afresh (its own timestamp), as a strict system must.

import { createHmac } from 'node:crypto';
import { buildPacketBytes, VN_UTC_OFFSET_MS } from '@vdxp/edxml';
import { sdkHashFile, vdxpTimestamp as protocolTimestamp } from '../vdxp-wire.ts';
import type { ConformanceReport, ScenarioResult } from './client-kit.ts';

export interface HubKitOptions {
  endpoint: string;
  system: string;
  secret: string;
  /** The agency the system sends for (default: the system id, as SDK deployments use the agency code). */
  from?: string;
  /** Where the test document goes (default: back to `from`). */
  to?: string;
  onCheck?: (r: ScenarioResult) => void;
}

interface Answer { status: number; json: Record<string, unknown>; bytes: Buffer }

/** A JSON field as text: strings and numbers as written, anything else empty. */
function text(v: unknown): string {
  return typeof v === 'string' || typeof v === 'number' ? String(v) : '';
}

export class HubConformanceKit {
  readonly #o: HubKitOptions;
  readonly #endpoint: string;
  #last = 0;

  constructor(o: HubKitOptions) {
    this.#o = o;
    this.#endpoint = o.endpoint.replace(/\/+$/, '');
  }

  async #call(name: string, o: { inputs?: Record<string, string>; body?: Uint8Array | string; contentType?: string; secret?: string; method?: 'GET' | 'POST' } = {}): Promise<Answer> {
    const contentType = o.contentType ?? 'application/json';
    this.#last = Math.max(Date.now(), this.#last + 1);
    const signed: Record<string, string> = { 'XroadVnpt-systemid': this.#o.system, 'XroadVnpt-timestamp': protocolTimestamp(this.#last), 'XroadVnpt-Content-Type': contentType };
    for (const [k, v] of Object.entries(o.inputs ?? {})) signed[`XroadVnpt-${k}`] = v;
    const signHeader = JSON.stringify(signed);
    const headers = {
      ...signed,
      'XroadVnpt-sign-header-key': Object.keys(signed).map((k) => k.slice('XroadVnpt-'.length)).join(';'),
      'XroadVnpt-sign-header': signHeader,
      'XroadVnpt-hash-header': createHmac('sha256', Buffer.from(o.secret ?? this.#o.secret, 'utf8')).update(signHeader, 'utf8').digest('hex'),
      'XroadVnpt-version': '3.0.201608',
      'Content-Type': contentType,
    };
    const method = o.method ?? 'POST';
    const res = await fetch(`${this.#endpoint}/${name}`, { method, headers, ...(method === 'POST' ? { body: o.body ?? '{}' } : {}) });
    const bytes = Buffer.from(await res.arrayBuffer());
    let json: Record<string, unknown> = {};
    if (res.headers.get('content-type')?.includes('json')) json = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
    return { status: res.status, json, bytes };
  }

  async run(): Promise<ConformanceReport> {
    const startedAt = new Date().toISOString();
    const results: ScenarioResult[] = [];
    const from = this.#o.from ?? this.#o.system;
    const to = this.#o.to ?? from;
    const check = async (id: string, title: string, fn: () => Promise<{ passed: boolean; reason: string; evidence?: unknown }>): Promise<boolean> => {
      const t0 = performance.now();
      let r;
      try {
        r = await fn();
      } catch (e) {
        r = { passed: false, reason: `the call failed: ${(e as Error).message}` };
      }
      const result: ScenarioResult = { id, title, ...r, seconds: Math.round((performance.now() - t0) / 10) / 100 };
      results.push(result);
      this.#o.onCheck?.(result);
      return result.passed;
    };
    const ok = (a: Answer): boolean => a.json['status'] === 'OK';
    const fail = (a: Answer): boolean => a.json['status'] === 'FAIL' && typeof a.json['ErrorCode'] === 'string' && a.json['ErrorCode'] !== '0';
    const said = (a: Answer): string => `HTTP ${a.status} ${JSON.stringify(a.json).slice(0, 300)}`;

    const at = Date.now();
    const day = new Date(at + VN_UTC_OFFSET_MS).toISOString().slice(0, 10).replaceAll('-', '/');
    const edxmlId = `${from},${day},${at % 1_000_000}/KTTRUC`;
    const packet = await buildPacketBytes({
      header: {
        MessageHeader: {
          From: { OrganId: from }, To: [{ OrganId: to }], DocumentId: edxmlId, Code: { CodeNumber: String(at % 1_000_000), CodeNotation: 'KTTRUC' },
          Subject: 'Kiểm tra phù hợp trục / hub conformance check', ResponseFor: [],
        },
        TraceHeaderList: { TraceHeader: [{ OrganId: from, Timestamp: '2026/01/01 08:00:00' }] },
      },
      attachments: [{ ContentId: 'kt.pdf', AttachmentName: 'kt.pdf', ContentType: 'application/pdf', content: Buffer.from('%PDF-1.4\n% hub conformance\n%%EOF\n') }],
    });
    const send = (bytes: Uint8Array, messagetype: 'edoc' | 'status', hashFile = sdkHashFile(bytes)): Promise<Answer> =>
      this.#call('sendEdoc', { contentType: 'application/octet-stream', inputs: { from, servicetype: 'eDoc', messagetype, 'hash-file': hashFile }, body: bytes });

    await check('auth-refused', 'Từ chối chữ ký sai / refuses a wrong HMAC', async () => {
      const a = await this.#call('getReceivedEdocList', { inputs: { servicetype: 'eDoc', messagetype: 'edoc' }, secret: `${this.#o.secret}-wrong` });
      return { passed: fail(a), reason: fail(a) ? `FAIL ${String(a.json['ErrorCode'])}` : `accepted a call signed with a wrong secret: ${said(a)}`, evidence: a.json };
    });
    await check('agencies', 'Danh sách đơn vị / getAgenciesList', async () => {
      const a = await this.#call('getAgenciesList');
      const data = a.json['data'];
      const good = ok(a) && Array.isArray(data) && data.every((x) => typeof (x as { code?: unknown }).code === 'string');
      return { passed: good, reason: good ? `${(data as unknown[]).length} agencies` : `not an OK answer with data[].code: ${said(a)}` };
    });
    await check('hash-file-refused', 'Từ chối hash-file sai / refuses a packet whose hash-file is wrong', async () => {
      const a = await send(packet, 'edoc', '0'.repeat(64));
      return { passed: fail(a), reason: fail(a) ? `FAIL ${String(a.json['ErrorCode'])}` : `accepted a packet with a wrong hash-file: ${said(a)}`, evidence: a.json };
    });
    let docId = '';
    const sent = await check('send', 'Gửi văn bản / sendEdoc', async () => {
      const a = await send(packet, 'edoc');
      docId = text(a.json['DocId']);
      return { passed: ok(a) && docId !== '', reason: ok(a) ? `DocId ${docId}` : said(a), evidence: a.json };
    });
    await check('resend-same-id', 'Gửi lại cùng gói tin: cùng DocId / a resend gets the same DocId', async () => {
      if (!sent) return { passed: false, reason: 'sendEdoc failed' };
      const a = await send(packet, 'edoc');
      const same = ok(a) && text(a.json['DocId']) === docId;
      return { passed: same, reason: same ? 'the same DocId: no duplicate' : `a resend made ${text(a.json['DocId']) || '?'} (first ${docId}): duplicates`, evidence: a.json };
    });
    let received = '';
    await check('receive', 'Nhận: danh sách, tải về, đúng từng byte / list, get, byte for byte', async () => {
      const list = await this.#call('getReceivedEdocList', { inputs: { servicetype: 'eDoc', messagetype: 'edoc' } });
      const items = (Array.isArray(list.json['data']) ? list.json['data'] : []) as { docId?: string; from?: string }[];
      if (!ok(list)) return { passed: false, reason: said(list) };
      const candidates = items.filter((i) => typeof i.docId === 'string');
      for (const item of candidates) {
        const got = await this.#call('getEdoc', { inputs: { docId: String(item.docId), filePath: '/tmp' } });
        const data = (got.json['data'] as { content?: unknown } | string | undefined);
        const b64 = typeof data === 'string' ? data : typeof data?.content === 'string' ? data.content : '';
        if (ok(got) && Buffer.from(b64, 'base64').equals(Buffer.from(packet))) {
          received = String(item.docId);
          return { passed: true, reason: `listed as ${received}, the bytes as sent` };
        }
      }
      return { passed: false, reason: `none of ${candidates.length} listed document(s) had the bytes sent (is ${to} served by ${this.#o.system}?)` };
    });
    await check('ack', 'Xác nhận đã nhận / updateStatus done removes it from the list', async () => {
      if (!received) return { passed: false, reason: 'nothing was received' };
      const a = await this.#call('updateStatus', { inputs: { docId: received, status: 'done' } });
      if (!ok(a)) return { passed: false, reason: said(a) };
      const list = await this.#call('getReceivedEdocList', { inputs: { servicetype: 'eDoc', messagetype: 'edoc' } });
      const still = ((list.json['data'] ?? []) as { docId?: string }[]).some((i) => i.docId === received);
      return { passed: !still, reason: still ? 'still listed after done' : 'done, and no longer listed' };
    });
    await check('status', 'Trạng thái 01 được chuyển về bên gửi / a status 01 reaches the sender', async () => {
      const status = await buildPacketBytes({ header: { MessageHeader: {
        From: { OrganId: to }, To: [], ResponseFor: [{ OrganId: from, DocumentId: edxmlId }],
        StaffInfo: { Staff: 'Bộ kiểm tra' }, StatusCode: '01', Description: 'Đã nhận', Timestamp: '2026/01/01 08:00:00',
      } } });
      const a = await send(status, 'status');
      if (!ok(a)) return { passed: false, reason: said(a), evidence: a.json };
      const list = await this.#call('getReceivedEdocList', { inputs: { servicetype: 'eDoc', messagetype: 'status' } });
      const items = (list.json['data'] ?? []) as { docId?: string }[];
      for (const i of items) if (i.docId) await this.#call('updateStatus', { inputs: { docId: i.docId, status: 'done' } });
      return { passed: ok(list) && items.length > 0, reason: items.length > 0 ? `${items.length} status item(s) listed and acknowledged` : `no status listed: ${said(list)}` };
    });
    await check('sent-list', 'Danh sách đã gửi / getSentEdocList', async () => {
      const a = await this.#call('getSentEdocList', { inputs: { servicetype: 'eDoc', messagetype: 'edoc', docId } });
      const ok2 = ok(a) && Array.isArray(a.json['data']);
      return { passed: ok2, reason: ok2 ? `${(a.json['data'] as unknown[]).length} row(s)` : said(a) };
    });
    return {
      kit: 'vdxp conformance hub', protocol: 'vdxp', vendorSystem: this.#o.system, vendorAgency: from,
      startedAt, endedAt: new Date().toISOString(), passed: results.every((r) => r.passed), scenarios: results,
    };
  }
}
