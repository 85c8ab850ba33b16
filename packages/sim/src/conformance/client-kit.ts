// `vdxp conformance client`: a conformance hub a vendor points their agency system at, with a scripted
// counterpart agency, running scenarios one after another and watching every call the vendor makes.
//
// The hub is vdxp's own (a fresh folder), served on the given port; the kit drives the counterpart through the
// hub's functions in-process and watches the vendor through the HTTP server's hooks: which packets it
// downloaded to the end, when it acked, what the hub refused it. The vendor may speak either protocol, or both:
// the native API with the printed token, or the VDXP wire protocol (docs/vdxp-compat.md) with the printed system
// id and secret; the hooks watch both (a native call by its token, a VDXP call by its XroadVnpt-systemid). Every
// packet the vendor sends is validated strictly, and every signed one has its XML signature verified strictly.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPacketBytes, parsePacketBytes, validatePacket, type BuildAttachment, type Finding, type PacketSigningKey, type ParsedPacket } from '@vdxp/edxml';
import {
  ackDelivery, addSystem, buildServer, fetchPacket, importAgencies, inbox, openHub, submitPacket,
  type Hub, type SystemRecord,
} from '@vdxp/hub';
import { DOCX_TYPE, minimalDocx, minimalPdf, writeZip } from './files.ts';
import { selfSignedSigner, signBytes, strictSignatureProblem, verifyBytes } from './signing.ts';

export const VENDOR_AGENCY = '000.00.00.Z01';
export const COUNTERPART_AGENCY = '000.00.00.Z02';
export const VENDOR_SYSTEM = 'conformance.vendor';
const COUNTERPART_SYSTEM = 'conformance.counterpart';

export const SCENARIOS = [
  ['receive-attachments', 'Nhận văn bản có nhiều tệp đính kèm (PDF, DOCX, ZIP) / receive a document with several attachments'],
  ['receive-signed', 'Nhận văn bản ký số nguyên vẹn từng byte, trả lại (02) bản có chữ ký sai / receive a signed document byte for byte; return (02) one whose signature fails'],
  ['receive-large', 'Nhận văn bản dung lượng lớn / receive a large document'],
  ['receive-business', 'Nhận thu hồi, cập nhật, thay thế / receive revoke, update and replace'],
  ['status-order', 'Gửi trạng thái 01, 03, 04, 05, 06 đúng thứ tự / answer 01, 03, 04, 05, 06 in a legal order'],
  ['recall', 'Trả lời yêu cầu thu hồi (13) bằng 15 hoặc 16 / answer a recall (13) with 15 or 16'],
  ['send', 'Gửi văn bản tới đơn vị thử nghiệm, hợp lệ chặt chẽ / send a strictly valid document to the test agency'],
  ['send-signed', 'Gửi văn bản ký số, chữ ký được kiểm tra chặt chẽ / send a signed document; its signature is verified strictly'],
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
  /** The protocol the vendor's system spoke (the client kit: what its calls came over; none when it made none). */
  protocol: 'native' | 'vdxp' | 'native+vdxp' | 'none';
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
  onReady?: (info: { url: string; token: string; system: string; secret: string; agency: string; counterpart: string }) => void;
  onScenario?: (event: { id: ScenarioId; title: string; result?: ScenarioResult }) => void;
}

/** What the kit reads of a request in the server's hooks (a Fastify request has it). */
interface SeenRequest {
  headers: Readonly<Record<string, string | string[] | undefined>>;
  method: string;
  url: string;
  routeOptions: { url?: string | undefined };
}

interface Watched {
  /** Delivery id → when its packet response was finished (sent whole). */
  downloaded: Map<string, number>;
  /** Delivery id → when the vendor's ack arrived, and whether its packet had been downloaded whole by then. */
  acks: Map<string, { at: number; downloadedBefore: boolean }>;
  /** The vendor's refused calls. */
  refusals: { at: number; method: string; url: string; status: number; code: string; message: string }[];
  /** The protocols the vendor's calls came over. */
  protocols: Set<'native' | 'vdxp'>;
}

/** Runs the scenarios against whatever system holds the vendor's credentials (the token, or the VDXP secret); returns the report. */
export class ClientConformanceKit {
  readonly #o: ClientKitOptions;
  readonly #dir: string;
  #hub: Hub | undefined;
  #app: ReturnType<typeof buildServer> | undefined;
  #token = '';
  #secret = '';
  #url = '';
  /** The test agency's signing key: a certificate made for this run. */
  #signer: PacketSigningKey | undefined;
  /** The port actually served (port 0 picks one at start); a restart listens on the same. */
  #port = 0;
  readonly #watched: Watched = { downloaded: new Map(), acks: new Map(), refusals: [], protocols: new Set() };
  #serial = 0;

  constructor(o: ClientKitOptions) {
    this.#o = o;
    this.#dir = mkdtempSync(join(tmpdir(), 'vdxp-conformance-'));
  }

  get url(): string { return this.#url; }
  get token(): string { return this.#token; }
  /** The vendor system's VDXP secret (its XroadVnpt-systemid is VENDOR_SYSTEM). */
  get secret(): string { return this.#secret; }

  async start(): Promise<void> {
    await this.#open();
    const hub = this.#hubNow();
    await importAgencies(hub.ctx, [
      { code: VENDOR_AGENCY, name: 'Hệ thống đang kiểm tra / system under test' },
      { code: COUNTERPART_AGENCY, name: 'Đơn vị thử nghiệm / test agency' },
    ], 'conformance');
    const vendor = await addSystem(hub.ctx, { id: VENDOR_SYSTEM, name: 'Vendor system under test', agencies: [VENDOR_AGENCY] }, 'conformance');
    this.#token = vendor.token;
    this.#secret = vendor.secret;
    await addSystem(hub.ctx, { id: COUNTERPART_SYSTEM, agencies: [COUNTERPART_AGENCY] }, 'conformance');
    this.#signer = selfSignedSigner('Đơn vị thử nghiệm (kiểm tra phù hợp) / conformance test agency');
    await this.#listen();
    this.#o.onReady?.({ url: this.#url, token: this.#token, system: VENDOR_SYSTEM, secret: this.#secret, agency: VENDOR_AGENCY, counterpart: COUNTERPART_AGENCY });
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
      first = await this.#sendToVendor({ attachments: [...ATTACHMENTS] });
      return this.#received(first.deliveryId);
    });
    await run('receive-signed', async () => this.#receiveSigned());
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
    await run('send-signed', async () => this.#sentSigned());
    await run('restart', async () => {
      await this.#restart();
      const d = await this.#sendToVendor({});
      const r = await this.#received(d.deliveryId);
      return r.passed ? { passed: true, reason: 'after the restart the document was downloaded whole, then acked' } : r;
    });
    await run('no-duplicate-sends', async () => this.#noDuplicates());
    await run('strict-packets', async () => this.#strictPackets());
    const spoke = (['native', 'vdxp'] as const).filter((p) => this.#watched.protocols.has(p));
    return {
      kit: 'vdxp conformance client', protocol: spoke.length === 0 ? 'none' : spoke.length === 2 ? 'native+vdxp' : spoke[0] ?? 'none', vendorSystem: VENDOR_SYSTEM, vendorAgency: VENDOR_AGENCY,
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
    const header = (req: SeenRequest, name: string): string | undefined => {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    // Which of the vendor's calls this is: native by its bearer token, VDXP by its systemid. The hub authenticates the
    // call; one it refuses is a refusal in the report, and an ack it refuses never makes a delivery done.
    const vendorCall = (req: SeenRequest): 'native' | 'vdxp' | undefined => {
      if (req.headers.authorization === `Bearer ${this.#token}`) return 'native';
      if (header(req, 'xroadvnpt-systemid') === VENDOR_SYSTEM) return 'vdxp';
      return undefined;
    };
    const deliveryOf = (url: string, suffix: string): string | undefined => {
      const id = new RegExp(`^/v1/deliveries/([^/?]+)/${suffix}`).exec(url)?.[1];
      return id === undefined ? undefined : decodeURIComponent(id);
    };
    const vdxpCall = (req: SeenRequest): string => req.routeOptions.url ?? '';
    const vdxpDocId = (req: SeenRequest): string | undefined => header(req, 'xroadvnpt-docid')?.trim();
    app.addHook('onRequest', async (req) => {
      const via = vendorCall(req);
      if (via === undefined) return;
      w.protocols.add(via);
      const id = via === 'native'
        ? (req.method === 'POST' ? deliveryOf(req.url, 'ack') : undefined)
        : (vdxpCall(req) === '/updateStatus' && header(req, 'xroadvnpt-status')?.trim().toLowerCase() === 'done' ? vdxpDocId(req) : undefined);
      if (id !== undefined) w.acks.set(id, { at: Date.now(), downloadedBefore: w.downloaded.has(id) });
    });
    app.addHook('onSend', async (req, reply, payload) => {
      const via = vendorCall(req);
      // Native refusals are 4xx/5xx; VDXP's FAIL is HTTP 200 with the code in x-vdxp-error-code (docs/vdxp-compat.md).
      const vdxpCode = reply.getHeader('x-vdxp-error-code');
      if ((via === 'native' && reply.statusCode >= 400) || (via === 'vdxp' && typeof vdxpCode === 'string')) {
        let code = typeof vdxpCode === 'string' ? vdxpCode : '';
        let message = '';
        if (typeof payload === 'string') {
          try {
            const j = JSON.parse(payload) as { error?: { code?: string; message?: string }; ErrorCode?: string; ErrorDesc?: string };
            code ||= j.error?.code ?? j.ErrorCode ?? '';
            message = j.error?.message ?? j.ErrorDesc ?? '';
          } catch { /* not JSON: the code from the header is all there is */ }
        }
        if (code !== '') w.refusals.push({ at: Date.now(), method: req.method, url: req.url, status: reply.statusCode, code, message });
      }
      return payload;
    });
    app.addHook('onResponse', async (req, reply) => {
      const via = vendorCall(req);
      if (via === undefined || reply.statusCode !== 200 || !reply.raw.writableFinished) return;
      // Finished means every byte was handed to the socket: an agency that dropped the download early did not store it.
      const id = via === 'native'
        ? (req.method === 'GET' ? deliveryOf(req.url, 'packet') : undefined)
        : (['/getEdoc', '/downloadEdoc'].includes(vdxpCall(req)) && reply.getHeader('x-vdxp-error-code') === undefined ? vdxpDocId(req) : undefined);
      if (id !== undefined) w.downloaded.set(id, Date.now());
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

  #signerNow(): PacketSigningKey {
    if (!this.#signer) throw new Error('assertion: the kit was started');
    return this.#signer;
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

  /** `sign`: signed by the test agency; `broken`: its subject edited after signing, so the signature fails. */
  async #sendToVendor(o: { attachments?: BuildAttachment[]; businessType?: 1 | 2 | 3; related?: string; sign?: 'intact' | 'broken' }): Promise<{ deliveryId: string; edxmlId: string }> {
    const n = ++this.#serial;
    const now = new Date();
    const day = `${now.getUTCFullYear()}/${String(now.getUTCMonth() + 1).padStart(2, '0')}/${String(now.getUTCDate()).padStart(2, '0')}`;
    const edxmlId = `${COUNTERPART_AGENCY},${day},${n}-${now.getTime()}/KTPH`;
    const subject = `Văn bản kiểm tra phù hợp số ${n}`;
    let bytes = await buildPacketBytes({
      header: {
        MessageHeader: {
          From: { OrganId: COUNTERPART_AGENCY, OrganName: 'Đơn vị thử nghiệm' }, To: [{ OrganId: VENDOR_AGENCY }], DocumentId: edxmlId,
          Code: { CodeNumber: String(n), CodeNotation: 'KTPH' }, Subject: subject, ResponseFor: [],
        },
        TraceHeaderList: {
          TraceHeader: [{ OrganId: COUNTERPART_AGENCY, Timestamp: '2026/01/01 08:00:00' }],
          ...(o.businessType ? { Bussiness: {
            BussinessDocType: String(o.businessType), BussinessDocReason: 'Kiểm tra', DocumentId: o.related ?? '',
            ...(o.businessType === 3 ? { ReplacementInfoList: [{ DocumentId: o.related ?? '' }] } : {}),
          } } : {}),
        },
      },
      attachments: o.attachments ?? [{ ContentId: 'vb.pdf', AttachmentName: 'vb.pdf', ContentType: 'application/pdf', content: minimalPdf(`Van ban kiem tra phu hop so ${n}`) }],
    });
    if (o.sign) {
      bytes = await signBytes(bytes, this.#signerNow());
      if (o.sign === 'broken') bytes = Buffer.from(bytes.toString('utf8').replace(subject, `${subject} (đã sửa sau khi ký)`), 'utf8');
      const v = await verifyBytes(bytes);
      if (v.present && v.valid !== (o.sign === 'intact')) throw new Error(`assertion: the kit's ${o.sign} signed packet verifies ${String(v.present && v.valid)}`);
    }
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

  async #vendorPackets(): Promise<{ id: string; packet: ParsedPacket; edxmlId: string | null; bytes: Buffer }[]> {
    const ctx = this.#hubNow().ctx;
    const docs = await ctx.store.listSentDocuments(VENDOR_SYSTEM, { limit: 1000 });
    const out = [];
    for (const d of docs) {
      const stream = await ctx.blobs.open(d.digest, d.bytes);
      const chunks: Buffer[] = [];
      for await (const c of stream) chunks.push(c as Buffer);
      const bytes = Buffer.concat(chunks);
      out.push({ id: d.id, packet: await parsePacketBytes(bytes), edxmlId: d.edxmlId, bytes });
    }
    return out;
  }

  /**
   * An intact signed document must be answered as received (not 02): the vendor checked the signature over the
   * bytes as delivered. One whose signature fails must be returned with 02 (Decree 30/2020: a reason given).
   */
  async #receiveSigned(): Promise<{ passed: boolean; reason: string; evidence?: unknown }> {
    const intact = await this.#sendToVendor({ sign: 'intact', attachments: [ATTACHMENTS[0] as BuildAttachment] });
    const broken = await this.#sendToVendor({ sign: 'broken' });
    const got = await this.#received(intact.deliveryId);
    if (!got.passed) return { ...got, reason: `the signed document ${intact.edxmlId}: ${got.reason}` };
    const answers = await this.#until(async () => {
      const a = { intact: await this.#statusCodes(intact.deliveryId), broken: await this.#statusCodes(broken.deliveryId) };
      return a.intact.length > 0 && a.broken.length > 0 ? a : undefined;
    });
    // The evidence: each document and the status packets the vendor answered it with (code and stated reason).
    const answered = async (d: { deliveryId: string; edxmlId: string }): Promise<unknown> => ({
      ...d, answers: (await this.#hubNow().ctx.store.statusHistory(d.deliveryId)).map((e) => ({ statusCode: e.statusCode, description: e.description })),
    });
    const evidence = async (): Promise<unknown> => ({ intact: await answered(intact), signatureBroken: await answered(broken) });
    if (!answers) {
      return { passed: false, reason: `no status answered both signed documents in time (intact: ${(await this.#statusCodes(intact.deliveryId)).join(' → ') || 'none'}; signature broken: ${(await this.#statusCodes(broken.deliveryId)).join(' → ') || 'none'})`, evidence: await evidence() };
    }
    if (answers.intact.includes('02')) {
      return { passed: false, reason: `returned (02) the intact signed document ${intact.edxmlId}: the signature verifies over the packet as delivered, so the bytes the system checked were not those bytes`, evidence: await evidence() };
    }
    if (!answers.broken.includes('02')) {
      return { passed: false, reason: `answered ${answers.broken.join(' → ')} to ${broken.edxmlId}, whose signature does not verify; it must be returned with 02 and a reason`, evidence: await evidence() };
    }
    return { passed: true, reason: `the signed document downloaded whole, acked, answered ${answers.intact.join(' → ')}; the one whose signature fails returned with 02`, evidence: await evidence() };
  }

  /** At least one signed document from the vendor, and every signed packet it sent verified strictly. */
  async #sentSigned(): Promise<{ passed: boolean; reason: string; evidence?: unknown }> {
    const checked = await this.#until(async () => {
      const out: { edxmlId: string | null; kind: string; problem: string | undefined; header: unknown }[] = [];
      for (const p of await this.#vendorPackets()) {
        const v = await verifyBytes(p.bytes);
        if (v.present) out.push({ edxmlId: p.edxmlId, kind: p.packet.kind, problem: strictSignatureProblem(v), header: p.packet.header.MessageHeader });
      }
      return out.some((c) => c.kind === 'edoc') ? out : undefined;
    });
    if (!checked) return { passed: false, reason: `no signed document from the vendor reached ${COUNTERPART_AGENCY} in time` };
    const bad = checked.find((c) => c.problem !== undefined);
    if (bad) return { passed: false, reason: `${bad.kind} ${bad.edxmlId ?? '?'}: ${bad.problem ?? ''}`, evidence: bad.header };
    return { passed: true, reason: `${checked.length} signed packet(s), every signature valid, enveloped, SHA-256, with a certificate valid today`, evidence: checked[0]?.header };
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

/** receive-attachments' files: a real PDF, a real DOCX (an OOXML zip) and a zip of two files, made in code. */
export const ATTACHMENTS: readonly BuildAttachment[] = [
  { ContentId: 'congvan.pdf', AttachmentName: 'congvan.pdf', ContentType: 'application/pdf', content: minimalPdf('Cong van kiem tra phu hop / conformance letter') },
  { ContentId: 'phuluc.docx', AttachmentName: 'phuluc.docx', ContentType: DOCX_TYPE, content: minimalDocx('Phụ lục kèm theo công văn kiểm tra phù hợp') },
  { ContentId: 'hoso.zip', AttachmentName: 'hoso.zip', ContentType: 'application/zip', content: writeZip([
    { name: 'bang-ke.csv', content: Buffer.from('stt,tai lieu\n1,Cong van\n2,Phu luc\n') },
    { name: 'ghi-chú.txt', content: Buffer.from('Hồ sơ kèm theo / enclosed file') },
  ]) },
];

function largePdf(bytes: number): Buffer {
  const head = Buffer.from('%PDF-1.4\n');
  return Buffer.concat([head, Buffer.alloc(Math.max(0, bytes - head.length), 0x41)]);
}
