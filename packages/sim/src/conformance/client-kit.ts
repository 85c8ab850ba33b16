// `vdxp conformance client`: a conformance hub a vendor points their agency system at, with a scripted
// counterpart agency, running scenarios one after another and watching every call the vendor makes.
//
// The hub is vdxp's own (a fresh folder), served on the given port; the kit drives the counterpart through the
// hub's functions in-process and watches the vendor through the HTTP server's hooks: which packets it
// downloaded to the end, when it acked, what the hub refused it. Every packet the vendor sends is validated
// strictly. Native API only for now: a vendor on the VDXP wire protocol cannot run it yet.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPacketBytes, parsePacketBytes, validatePacket, type BuildAttachment, type Finding, type ParsedPacket } from '@vdxp/edxml';
import {
  ackDelivery, addSystem, buildServer, fetchPacket, importAgencies, inbox, openHub, submitPacket,
  type Hub, type SystemRecord,
} from '@vdxp/hub';

export const VENDOR_AGENCY = '000.00.00.Z01';
export const COUNTERPART_AGENCY = '000.00.00.Z02';
export const VENDOR_SYSTEM = 'conformance.vendor';
const COUNTERPART_SYSTEM = 'conformance.counterpart';

export const SCENARIOS = [
  ['receive-attachments', 'Nhận văn bản có nhiều tệp đính kèm (PDF, DOCX, ZIP) / receive a document with several attachments'],
  ['receive-large', 'Nhận văn bản dung lượng lớn / receive a large document'],
  ['receive-business', 'Nhận thu hồi, cập nhật, thay thế / receive revoke, update and replace'],
  ['status-order', 'Gửi trạng thái 01, 03, 04, 05, 06 đúng thứ tự / answer 01, 03, 04, 05, 06 in a legal order'],
  ['recall', 'Trả lời yêu cầu thu hồi (13) bằng 15 hoặc 16 / answer a recall (13) with 15 or 16'],
  ['send', 'Gửi văn bản tới đơn vị thử nghiệm, hợp lệ chặt chẽ / send a strictly valid document to the test agency'],
  ['restart', 'Tiếp tục sau khi trục khởi động lại / carry on after a hub restart'],
  ['no-duplicate-sends', 'Không gửi trùng (cùng văn bản, DocumentId mới) / no duplicate sends'],
  ['strict-packets', 'Mọi gói tin gửi đi hợp lệ chặt chẽ / every packet sent is strictly valid'],
] as const;
export type ScenarioId = (typeof SCENARIOS)[number][0];

export interface ScenarioResult {
  /** A ScenarioId for the client kit, a check's name for the hub kit. */
  id: string;
  title: string;
  passed: boolean;
  reason: string;
  /** The packet that showed it: its header as parsed, or the hub's refusal. */
  evidence?: unknown;
  seconds: number;
}

export interface ConformanceReport {
  kit: 'vdxp conformance client' | 'vdxp conformance hub';
  protocol: 'native' | 'vdxp';
  vendorSystem: string;
  vendorAgency: string;
  startedAt: string;
  endedAt: string;
  passed: boolean;
  scenarios: ScenarioResult[];
}

export interface ClientKitOptions {
  port: number;
  host?: string;
  /** How long each scenario waits for the vendor (default 120 s). */
  scenarioTimeoutMs?: number;
  /** The large document's size in bytes (default 20 MB). */
  largeBytes?: number;
  /** Told when the hub is ready (the vendor's credentials) and when each scenario starts and ends. */
  onReady?: (info: { url: string; token: string; agency: string; counterpart: string }) => void;
  onScenario?: (event: { id: ScenarioId; title: string; result?: ScenarioResult }) => void;
}

interface Watched {
  /** Delivery id → when its packet response was finished (sent whole). */
  downloaded: Map<string, number>;
  /** Delivery id → when the vendor's ack arrived, and whether its packet had been downloaded whole by then. */
  acks: Map<string, { at: number; downloadedBefore: boolean }>;
  /** The vendor's refused calls. */
  refusals: { at: number; method: string; url: string; status: number; code: string; message: string }[];
}

/** Runs the scenarios against whatever system holds the vendor token; returns the report. */
export class ClientConformanceKit {
  readonly #o: ClientKitOptions;
  readonly #dir: string;
  #hub: Hub | undefined;
  #app: ReturnType<typeof buildServer> | undefined;
  #token = '';
  #url = '';
  /** The port actually served (port 0 picks one at start); a restart listens on the same. */
  #port = 0;
  readonly #watched: Watched = { downloaded: new Map(), acks: new Map(), refusals: [] };
  #serial = 0;

  constructor(o: ClientKitOptions) {
    this.#o = o;
    this.#dir = mkdtempSync(join(tmpdir(), 'vdxp-conformance-'));
  }

  get url(): string { return this.#url; }
  get token(): string { return this.#token; }

  async start(): Promise<void> {
    await this.#open();
    const hub = this.#hubNow();
    await importAgencies(hub.ctx, [
      { code: VENDOR_AGENCY, name: 'Hệ thống đang kiểm tra / system under test' },
      { code: COUNTERPART_AGENCY, name: 'Đơn vị thử nghiệm / test agency' },
    ], 'conformance');
    this.#token = (await addSystem(hub.ctx, { id: VENDOR_SYSTEM, name: 'Vendor system under test', agencies: [VENDOR_AGENCY] }, 'conformance')).token;
    await addSystem(hub.ctx, { id: COUNTERPART_SYSTEM, agencies: [COUNTERPART_AGENCY] }, 'conformance');
    await this.#listen();
    this.#o.onReady?.({ url: this.#url, token: this.#token, agency: VENDOR_AGENCY, counterpart: COUNTERPART_AGENCY });
  }

  async close(): Promise<void> {
    await this.#app?.close();
    await this.#hub?.close();
    rmSync(this.#dir, { recursive: true, force: true });
  }

  async run(): Promise<ConformanceReport> {
    const startedAt = new Date().toISOString();
    const results: ScenarioResult[] = [];
    const run = async (id: ScenarioId, fn: () => Promise<Omit<ScenarioResult, 'id' | 'title' | 'seconds'>>): Promise<void> => {
      const title = SCENARIOS.find(([s]) => s === id)?.[1] ?? id;
      this.#o.onScenario?.({ id, title });
      const t0 = performance.now();
      let r: Omit<ScenarioResult, 'id' | 'title' | 'seconds'>;
      try {
        r = await fn();
      } catch (e) {
        r = { passed: false, reason: `the kit could not run it: ${(e as Error).message}` };
      }
      const result = { id, title, ...r, seconds: Math.round((performance.now() - t0) / 10) / 100 };
      results.push(result);
      this.#o.onScenario?.({ id, title, result });
    };

    let first: { deliveryId: string; edxmlId: string } | undefined;
    await run('receive-attachments', async () => {
      first = await this.#sendToVendor({ attachments: ATTACHMENTS });
      return this.#received(first.deliveryId);
    });
    await run('receive-large', async () => {
      const sent = await this.#sendToVendor({ attachments: [{ ContentId: 'large.pdf', AttachmentName: 'large.pdf', ContentType: 'application/pdf', content: largePdf(this.#o.largeBytes ?? 20 * 1024 * 1024) }] });
      return this.#received(sent.deliveryId);
    });
    await run('receive-business', async () => {
      const base = await this.#sendToVendor({});
      const base2 = await this.#sendToVendor({});
      const failures: string[] = [];
      for (const [type, related] of [[1, base.edxmlId], [2, base2.edxmlId], [3, base2.edxmlId]] as const) {
        const d = await this.#sendToVendor({ businessType: type, related });
        const r = await this.#received(d.deliveryId);
        if (!r.passed) failures.push(`BussinessDocType ${type}: ${r.reason}`);
      }
      return failures.length === 0 ? { passed: true, reason: 'revoke, update and replace each downloaded whole, then acked' } : { passed: false, reason: failures.join('; ') };
    });
    await run('status-order', async () => {
      if (!first) return { passed: false, reason: 'no document was delivered in receive-attachments' };
      return this.#statusOrder(first.deliveryId);
    });
    await run('recall', async () => {
      const d = await this.#sendToVendor({});
      const got = await this.#received(d.deliveryId);
      if (!got.passed) return { passed: false, reason: `the document to recall was not received: ${got.reason}` };
      await this.#counterpartStatus(VENDOR_AGENCY, d.edxmlId, '13', 'Thu hồi để kiểm tra / recalled by the conformance kit');
      const answered = await this.#until(async () => {
        const codes = await this.#statusCodes(d.deliveryId);
        return codes.includes('15') || codes.includes('16') ? codes : undefined;
      });
      return answered ? { passed: true, reason: `answered the recall: ${answered.join(' → ')}` } : { passed: false, reason: 'no 15 or 16 after the recall (13)' };
    });
    await run('send', async () => this.#vendorSends());
    await run('restart', async () => {
      await this.#restart();
      const d = await this.#sendToVendor({});
      const r = await this.#received(d.deliveryId);
      return r.passed ? { passed: true, reason: 'after the restart the document was downloaded whole, then acked' } : r;
    });
    await run('no-duplicate-sends', async () => this.#noDuplicates());
    await run('strict-packets', async () => this.#strictPackets());
    return {
      kit: 'vdxp conformance client', protocol: 'native', vendorSystem: VENDOR_SYSTEM, vendorAgency: VENDOR_AGENCY,
      startedAt, endedAt: new Date().toISOString(), passed: results.every((r) => r.passed), scenarios: results,
    };
  }

  // --- the hub, served with the kit's eyes on it ---------------------------------------------------------

  async #open(): Promise<void> {
    this.#hub = await openHub({ dataDir: join(this.#dir, 'data') });
  }

  async #listen(): Promise<void> {
    const app = buildServer(this.#hubNow());
    const w = this.#watched;
    const vendorCall = (auth: string | undefined): boolean => auth === `Bearer ${this.#token}`;
    const deliveryOf = (url: string, suffix: string): string | undefined => new RegExp(`^/v1/deliveries/([^/?]+)/${suffix}`).exec(url)?.[1];
    app.addHook('onRequest', async (req) => {
      if (!vendorCall(req.headers.authorization)) return;
      const id = req.method === 'POST' ? deliveryOf(req.url, 'ack') : undefined;
      if (id !== undefined) w.acks.set(decodeURIComponent(id), { at: Date.now(), downloadedBefore: w.downloaded.has(decodeURIComponent(id)) });
    });
    app.addHook('onSend', async (req, reply, payload) => {
      if (vendorCall(req.headers.authorization) && reply.statusCode >= 400 && typeof payload === 'string') {
        try {
          const e = (JSON.parse(payload) as { error?: { code?: string; message?: string } }).error;
          w.refusals.push({ at: Date.now(), method: req.method, url: req.url, status: reply.statusCode, code: e?.code ?? '', message: e?.message ?? '' });
        } catch { /* not JSON: not a refusal the kit reads */ }
      }
      return payload;
    });
    app.addHook('onResponse', async (req, reply) => {
      if (!vendorCall(req.headers.authorization) || req.method !== 'GET') return;
      const id = deliveryOf(req.url, 'packet');
      // Finished means every byte was handed to the socket: an agency that dropped the download early did not store it.
      if (id !== undefined && reply.statusCode === 200 && reply.raw.writableFinished) w.downloaded.set(decodeURIComponent(id), Date.now());
    });
    const address = await app.listen({ port: this.#port || this.#o.port, host: this.#o.host ?? '127.0.0.1' });
    this.#app = app;
    this.#url = address;
    this.#port = Number(new URL(address).port);
  }

  async #restart(): Promise<void> {
    await this.#app?.close();
    await this.#hub?.close();
    await this.#open();
    await this.#listen();
  }

  #hubNow(): Hub {
    if (!this.#hub) throw new Error('assertion: the conformance hub is open');
    return this.#hub;
  }

  async #counterpart(): Promise<SystemRecord> {
    const s = await this.#hubNow().ctx.store.getSystem(COUNTERPART_SYSTEM);
    if (!s) throw new Error('assertion: the counterpart system exists');
    return s;
  }

  // --- the counterpart's moves ------------------------------------------------------------------------

  async #sendToVendor(o: { attachments?: BuildAttachment[]; businessType?: 1 | 2 | 3; related?: string }): Promise<{ deliveryId: string; edxmlId: string }> {
    const n = ++this.#serial;
    const now = new Date();
    const day = `${now.getUTCFullYear()}/${String(now.getUTCMonth() + 1).padStart(2, '0')}/${String(now.getUTCDate()).padStart(2, '0')}`;
    const edxmlId = `${COUNTERPART_AGENCY},${day},${n}-${now.getTime()}/KTPH`;
    const bytes = await buildPacketBytes({
      header: {
        MessageHeader: {
          From: { OrganId: COUNTERPART_AGENCY, OrganName: 'Đơn vị thử nghiệm' }, To: [{ OrganId: VENDOR_AGENCY }], DocumentId: edxmlId,
          Code: { CodeNumber: String(n), CodeNotation: 'KTPH' }, Subject: `Văn bản kiểm tra phù hợp số ${n}`, ResponseFor: [],
        },
        TraceHeaderList: {
          TraceHeader: [{ OrganId: COUNTERPART_AGENCY, Timestamp: '2026/01/01 08:00:00' }],
          ...(o.businessType ? { Bussiness: {
            BussinessDocType: String(o.businessType), BussinessDocReason: 'Kiểm tra', DocumentId: o.related ?? '',
            ...(o.businessType === 3 ? { ReplacementInfoList: [{ DocumentId: o.related ?? '' }] } : {}),
          } } : {}),
        },
      },
      attachments: o.attachments ?? [{ ContentId: 'vb.pdf', AttachmentName: 'vb.pdf', ContentType: 'application/pdf', content: Buffer.from(`%PDF-1.4\n% ${n}\n%%EOF\n`) }],
    });
    const r = await submitPacket(this.#hubNow().ctx, await this.#counterpart(), [bytes], { via: 'native' });
    const d = r.deliveries[0];
    if (!d) throw new Error('assertion: the document has a delivery to the vendor');
    return { deliveryId: d.id, edxmlId };
  }

  async #counterpartStatus(to: string, edxmlId: string, code: string, description: string): Promise<void> {
    const bytes = await buildPacketBytes({ header: { MessageHeader: {
      From: { OrganId: COUNTERPART_AGENCY }, To: [], ResponseFor: [{ OrganId: to, DocumentId: edxmlId }],
      StaffInfo: { Staff: 'Bộ kiểm tra' }, StatusCode: code, Description: description, Timestamp: '2026/01/01 08:00:00',
    } } });
    await submitPacket(this.#hubNow().ctx, await this.#counterpart(), [bytes], { via: 'native' });
  }

  // --- what the kit checks -----------------------------------------------------------------------------

  /** Passes when the vendor downloaded the packet to the end and only then acked it done. */
  async #received(deliveryId: string): Promise<{ passed: boolean; reason: string; evidence?: unknown }> {
    const acked = await this.#until(async () => {
      const d = await this.#hubNow().ctx.store.getDelivery(deliveryId);
      return d?.state === 'done' ? d : undefined;
    });
    if (!acked) return { passed: false, reason: `delivery ${deliveryId} was not acked "done" in time`, evidence: { deliveryId } };
    const ack = this.#watched.acks.get(deliveryId);
    if (!ack?.downloadedBefore) {
      return { passed: false, reason: 'acked without storing: the ack came before the packet had been downloaded to the end', evidence: { deliveryId, ack } };
    }
    return { passed: true, reason: 'downloaded whole, then acked' };
  }

  async #statusCodes(deliveryId: string): Promise<string[]> {
    return (await this.#hubNow().ctx.store.statusHistory(deliveryId)).map((s) => s.statusCode);
  }

  async #statusOrder(deliveryId: string): Promise<{ passed: boolean; reason: string; evidence?: unknown }> {
    const codes = await this.#until(async () => {
      const c = await this.#statusCodes(deliveryId);
      return c.includes('06') ? c : undefined;
    });
    const refused = this.#watched.refusals.filter((r) => r.code === 'VDXP_E_STATUS_TRANSITION');
    if (refused.length > 0) return { passed: false, reason: `the hub refused a status out of order: ${refused[0]?.message ?? ''}`, evidence: refused[0] };
    if (!codes) return { passed: false, reason: `no 06 in time; statuses so far: ${(await this.#statusCodes(deliveryId)).join(' → ') || 'none'}` };
    const wanted = ['01', '03', '04', '05', '06'];
    const missing = wanted.filter((c) => !codes.includes(c));
    if (missing.length > 0) return { passed: false, reason: `statuses ${codes.join(' → ')} lack ${missing.join(', ')}` };
    return { passed: true, reason: codes.join(' → ') };
  }

  async #vendorSends(): Promise<{ passed: boolean; reason: string; evidence?: unknown }> {
    const ctx = this.#hubNow().ctx;
    const me = await this.#counterpart();
    const got = await this.#until(async () => (await inbox(ctx, me, { kind: 'edoc' }))[0]);
    if (!got) return { passed: false, reason: `no document from the vendor reached ${COUNTERPART_AGENCY} in time` };
    const p = await fetchPacket(ctx, me, got.delivery.id);
    const chunks: Buffer[] = [];
    for await (const c of p.stream) chunks.push(c as Buffer);
    await ackDelivery(ctx, me, got.delivery.id, 'done');
    const packet = await parsePacketBytes(Buffer.concat(chunks));
    const errors = strictErrors(packet);
    // Answer as a real counterpart would, so the vendor sees statuses come back.
    const edxmlId = packet.header.MessageHeader.DocumentId;
    if (edxmlId) for (const code of ['01', '03']) await this.#counterpartStatus(VENDOR_AGENCY, edxmlId, code, 'Bộ kiểm tra đã nhận / received by the kit');
    if (errors.length > 0) return { passed: false, reason: `the document breaks strict rules: ${errors.map(describe).join('; ')}`, evidence: packet.header };
    return { passed: true, reason: `received ${edxmlId ?? '(no DocumentId)'}, strictly valid`, evidence: packet.header };
  }

  async #vendorPackets(): Promise<{ id: string; packet: ParsedPacket; edxmlId: string | null }[]> {
    const ctx = this.#hubNow().ctx;
    const docs = await ctx.store.listSentDocuments(VENDOR_SYSTEM, { limit: 1000 });
    const out = [];
    for (const d of docs) {
      const stream = await ctx.blobs.open(d.digest, d.bytes);
      const chunks: Buffer[] = [];
      for await (const c of stream) chunks.push(c as Buffer);
      out.push({ id: d.id, packet: await parsePacketBytes(Buffer.concat(chunks)), edxmlId: d.edxmlId });
    }
    return out;
  }

  async #noDuplicates(): Promise<{ passed: boolean; reason: string; evidence?: unknown }> {
    const edocs = (await this.#vendorPackets()).filter((p) => p.packet.kind === 'edoc');
    // The same document sent again under a new DocumentId: same sender, recipients, subject and attachments.
    const seen = new Map<string, { edxmlId: string | null }>();
    for (const p of edocs) {
      const mh = p.packet.header.MessageHeader;
      const key = JSON.stringify([mh.From.OrganId, mh.To.map((t) => t.OrganId).sort(), mh.Subject ?? '', p.packet.attachments.map((a) => a.sha256),
        p.packet.header.TraceHeaderList?.Bussiness?.BussinessDocType ?? '0']);
      const before = seen.get(key);
      if (before && before.edxmlId !== p.edxmlId) {
        return { passed: false, reason: `the same document was sent twice with different DocumentIds: ${before.edxmlId ?? '?'} and ${p.edxmlId ?? '?'} (a retry must resend the same bytes)`, evidence: mh };
      }
      seen.set(key, { edxmlId: p.edxmlId });
    }
    return { passed: true, reason: `${edocs.length} document(s) sent, none twice` };
  }

  async #strictPackets(): Promise<{ passed: boolean; reason: string; evidence?: unknown }> {
    const all = await this.#vendorPackets();
    for (const p of all) {
      const errors = strictErrors(p.packet);
      if (errors.length > 0) return { passed: false, reason: `${p.packet.kind} ${p.edxmlId ?? p.id}: ${errors.map(describe).join('; ')}`, evidence: p.packet.header };
    }
    const refusals = this.#watched.refusals.filter((r) => r.code === 'VDXP_E_PACKET_INVALID');
    if (refusals.length > 0) return { passed: false, reason: `the hub refused a packet: ${refusals[0]?.message ?? ''}`, evidence: refusals[0] };
    return { passed: true, reason: `${all.length} packet(s) sent, all strictly valid` };
  }

  /** Polls `check` until it returns something, or the scenario's time is up (undefined). */
  async #until<T>(check: () => Promise<T | undefined>): Promise<T | undefined> {
    const deadline = performance.now() + (this.#o.scenarioTimeoutMs ?? 120_000);
    for (;;) {
      const v = await check();
      if (v !== undefined) return v;
      if (performance.now() > deadline) return undefined;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function strictErrors(p: ParsedPacket): Finding[] {
  return validatePacket(p, 'strict').filter((f) => f.severity === 'error');
}

function describe(f: Finding): string {
  return `${f.rule} ${f.path}: ${f.message.en}`;
}

const ATTACHMENTS: BuildAttachment[] = [
  { ContentId: 'congvan.pdf', AttachmentName: 'congvan.pdf', ContentType: 'application/pdf', content: Buffer.from('%PDF-1.4\n% conformance\n%%EOF\n') },
  { ContentId: 'phuluc.docx', AttachmentName: 'phuluc.docx', ContentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', content: Buffer.concat([Buffer.from('PK\u0003\u0004'), Buffer.from('[Content_Types].xml word/document.xml')]) },
  { ContentId: 'hoso.zip', AttachmentName: 'hoso.zip', ContentType: 'application/zip', content: Buffer.concat([Buffer.from('PK\u0003\u0004'), Buffer.alloc(64, 1)]) },
];

function largePdf(bytes: number): Buffer {
  const head = Buffer.from('%PDF-1.4\n');
  return Buffer.concat([head, Buffer.alloc(Math.max(0, bytes - head.length), 0x41)]);
}
