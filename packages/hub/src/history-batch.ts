// Batch intake for `vdxp simulate --history`: months of traffic written at the store's speed, not at one
// transaction per step. Each step (accept an edoc or a status, fetch and ack, the sweep) is decided here as
// intake.ts, delivery.ts and delivery-states.ts decide it — the same checks and refusals (same HubError codes),
// the same rows, events (types, actors, data), counters and transitions — but its writes go into a batch that
// `StoreOps.writeBatch` commits every `documentsPerCommit` documents in one transaction, events chained there.
//
// What it assumes, and the hub's per-document path does not: it is the only writer of the store while it runs
// (it keeps the deliveries it touches in memory and decides from them); packets are small (inline) and
// unsigned; a packet body may be shared by many documents (content-addressed by digest), so no
// `bytes:<system>:<sha256>` resend key is written — the DocumentId and status keys are; a fetch does not
// stream the packet back (the body is one the batch stored itself).

import { createHash } from 'node:crypto';
import { isStatusCode, STATUS_INFO, statusTransitionError, type EdxmlHeader, type StatusCode } from '@vdxp/edxml';
import { edxmlDateEnd, vnDay } from './clock.ts';
import type { HubContext } from './context.ts';
import { canTake, ANSWERABLE_STATES, TRANSITIONS, type TransitionName } from './delivery-states.ts';
import { isOverdue } from './delivery.ts';
import { HubError } from './errors.ts';
import { buildHubStatus } from './hub-status.ts';
import { resolveRecipient, type ResolvedRecipient } from './registry.ts';
import type { Agency, BatchWriter, DeliveryRow, DeliveryState, DocumentRow, EventInput, SystemRecord, WriteBatch } from './store/store.ts';

/** A packet body, stored once by digest whatever number of documents name it. */
export interface BatchBody {
  digest: string;
  bytes: Uint8Array;
}

export function batchBody(bytes: Uint8Array): BatchBody {
  return { digest: createHash('sha256').update(bytes).digest('hex'), bytes };
}

export interface BatchAccepted {
  created: boolean;
  documentId: string;
  deliveries: { id: string; recipient: string; addressedTo: string }[];
  recall?: 'withdrawn' | 'requested';
}

/** What a delivery's later steps need of its document. */
interface DocInfo {
  id: string;
  fromAgency: string;
  edxmlId: string | null;
  dueAt: number | null;
  header: unknown;
  row?: DocumentRow;
}

interface Live {
  row: Omit<DeliveryRow, 'seq'>;
  statuses: string[];
  doc: DocInfo;
}

const BUSINESS_TYPES = { 0: 'new', 1: 'revoke', 2: 'update', 3: 'replace' } as const;

/** A batch handed to the writer and not yet written: what the store cannot answer for until it is. */
interface InFlight {
  written: Promise<unknown>;
  deliveries: Map<string, Live>;
  byEdxmlId: Map<string, DocInfo>;
  keys: Map<string, string>;
}

export class HistoryBatch {
  readonly #ctx: HubContext;
  readonly #documentsPerCommit: number;
  #batch: WriteBatch = emptyBatch();
  readonly #bodies = new Set<string>();
  /** Deliveries the batch decides from; dropped on `release`, read back from the store when needed again. */
  readonly #live = new Map<string, Live>();
  /** Deliveries created or changed since the last commit (new ones are inserted with their state then). */
  #created = new Map<string, Live>();
  #changed = new Map<string, Live>();
  /** This batch's documents by sender and DocumentId (uncommitted: the store cannot answer for them yet). */
  #pendingByEdxmlId = new Map<string, DocInfo>();
  #pendingKeys = new Map<string, string>();
  /** With a writer: the batch being written while the next one is decided (one at a time, in order). */
  readonly #writer: BatchWriter | undefined;
  #inFlight: InFlight | undefined;
  readonly #actsFor = new Map<string, boolean>();
  /** The registry does not change while history is written: each code is looked up once. */
  readonly #agencies = new Map<string, Agency | null>();
  readonly #recipients = new Map<string, ResolvedRecipient | HubError>();
  #commits = 0;

  /**
   * `writer` (Store.batchWriter): batches go to it and the next one is decided while it writes one; without,
   * each is written by StoreOps.writeBatch before the batch goes on.
   */
  constructor(ctx: HubContext, o: { documentsPerCommit?: number; writer?: BatchWriter } = {}) {
    this.#ctx = ctx;
    this.#documentsPerCommit = o.documentsPerCommit ?? 5000;
    this.#writer = o.writer;
  }

  /** Transactions committed so far. */
  get commits(): number {
    return this.#commits;
  }

  /** An edoc from `system`, received at `at`: `header` is the packet's parsed header, `body` its bytes. */
  async edoc(system: SystemRecord, header: EdxmlHeader, body: BatchBody, at: number): Promise<BatchAccepted> {
    const ctx = this.#ctx;
    const mh = header.MessageHeader;
    const from = await this.#from(system, mh.From.OrganId);
    const bussiness = header.TraceHeaderList?.Bussiness;
    const btText = bussiness?.BussinessDocType ?? '0';
    const businessType = Number(btText) as 0 | 1 | 2 | 3;
    if (!(businessType in BUSINESS_TYPES) || !/^[0-3]$/.test(btText)) throw new HubError('VDXP_E_PACKET_INVALID', `BussinessDocType must be 0, 1, 2 or 3, not "${btText}"`);
    const edxmlId = mh.DocumentId ?? null;
    const keys = edxmlId ? [`docid:${from}:${edxmlId}:${businessType}`] : [];
    for (const k of keys) {
      const earlier = await this.#documentIdByKey(k);
      if (earlier !== undefined) return this.#replay(earlier);
    }
    const addressed = new Set(mh.To.map((t) => t.OrganId).filter((c) => c !== ''));
    const receiverList = bussiness?.BussinessDocumentInfo?.ReceiverList ?? [];
    if (businessType === 2) for (const r of receiverList) if (r.ReceiverType === '1' && r.OrganId) addressed.add(r.OrganId);
    if (addressed.size === 0) throw new HubError('VDXP_E_PACKET_INVALID', 'An edoc packet needs at least one MessageHeader/To/OrganId');
    if (addressed.size > ctx.limits.recipientsMax) throw new HubError('VDXP_E_RECIPIENTS_TOO_MANY', `At most ${ctx.limits.recipientsMax} recipients per packet (got ${addressed.size})`);
    const recipients: ResolvedRecipient[] = [];
    const seen = new Set<string>();
    for (const code of addressed) {
      const r = await this.#resolve(code);
      if (!seen.has(r.recipient)) recipients.push(r);
      seen.add(r.recipient);
    }
    const related = businessType !== 0 && bussiness?.DocumentId ? await this.#findEdoc(from, bussiness.DocumentId) : undefined;
    const replaced: DocInfo[] = [];
    if (businessType === 3) {
      for (const info of bussiness?.ReplacementInfoList ?? []) {
        const d = info.DocumentId ? await this.#findEdoc(from, info.DocumentId) : undefined;
        if (d) replaced.push(d);
      }
    }
    const removed = new Set(businessType === 2 ? receiverList.filter((r) => r.ReceiverType === '0' && r.OrganId).map((r) => r.OrganId as string) : []);
    const doc = this.#document(system, from, body, header, at, {
      kind: 'edoc', businessType, edxmlId, statusCode: null, answers: related?.id ?? null, dueAt: edxmlDateEnd(mh.DueDate) ?? null,
      subject: mh.Subject ?? null, codeNumber: mh.Code?.CodeNumber ?? null, codeNotation: mh.Code?.CodeNotation ?? null,
    }, keys);
    const deliveries = recipients.map((r) => this.#delivery(doc, r.recipient, r.addressedTo, at));
    this.#accepted(doc.row as DocumentRow, system.id, 'native', deliveries);
    const day = vnDay(at);
    this.#count(day, from, 'sent');
    for (const d of deliveries) this.#count(day, d.row.recipient, 'received');
    if (related && (businessType === 1 || businessType === 2)) {
      this.#batch.links.push({ documentId: doc.id, relatedId: related.id, relation: businessType === 1 ? 'revokes' : 'updates' });
      const targets = businessType === 1 ? new Set(recipients.map((r) => r.recipient)) : removed;
      if (targets.size > 0) {
        for (const d of await this.#deliveriesOf(related.id)) {
          if (targets.has(d.row.recipient)) this.#withdraw(d, system.id, `withdrawn by ${BUSINESS_TYPES[businessType]} ${doc.id}`, at);
        }
      }
    }
    for (const r of replaced) this.#batch.links.push({ documentId: doc.id, relatedId: r.id, relation: 'replaces' });
    await this.#maybeCommit();
    return { created: true, documentId: doc.id, deliveries: deliveries.map((d) => ({ id: d.row.id, recipient: d.row.recipient, addressedTo: d.row.addressedTo })) };
  }

  /**
   * A status packet from `system` about delivery `deliveryId` (the one its ResponseFor names: intake finds it
   * from the answered document and the party; the caller here names it). Checked and applied as planStatus does.
   */
  async status(system: SystemRecord, header: EdxmlHeader, body: BatchBody, deliveryId: string, at: number): Promise<BatchAccepted> {
    const mh = header.MessageHeader;
    const fromAgency = await this.#from(system, mh.From.OrganId);
    const code = mh.StatusCode ?? '';
    if (!isStatusCode(code)) throw new HubError('VDXP_E_PACKET_INVALID', `StatusCode "${code}" is not one of 01–06, 13, 15, 16`);
    const current = await this.#get(deliveryId);
    if (!current) throw new HubError('VDXP_E_STATUS_DOCUMENT_UNKNOWN', `No delivery ${deliveryId} is known to the hub`);
    const answered = current.doc;
    const fromSender = STATUS_INFO[code].sentBy === 'sender';
    const party = current.row.recipient;
    if (fromSender ? answered.fromAgency !== fromAgency : party !== fromAgency) {
      throw new HubError('VDXP_E_STATUS_NOT_PARTY', `${fromAgency} was not a party to ${answered.edxmlId ?? answered.id}`, { details: { agency: fromAgency } });
    }
    const onceKey = ['01', '02', '03', '04', '05', '06'].includes(code) ? `status:${deliveryId}:${code}` : undefined;
    // The key is written with the status it keeps once, so a code the delivery never took has none: only a
    // code it took may be a resend (a second run over the same span) to look up.
    if (onceKey && current.statuses.includes(code)) {
      const earlier = await this.#documentIdByKey(onceKey);
      if (earlier !== undefined) return this.#replay(earlier);
    }
    const illegal = statusTransitionError(current.statuses as StatusCode[], code);
    if (illegal) throw new HubError('VDXP_E_STATUS_TRANSITION', `Status ${code} refused: ${illegal}`, { details: { history: current.statuses, statusCode: code, deliveryId } });
    if (!fromSender && !ANSWERABLE_STATES.includes(current.row.state)) {
      throw new HubError('VDXP_E_STATUS_TRANSITION', `Status ${code} refused: the delivery is ${current.row.state}`, { details: { deliveryId } });
    }
    const withdrawn = code === '13' && canTake(current.row, 'withdraw');
    const target = fromSender ? party : answered.fromAgency;
    const doc = this.#document(system, fromAgency, body, header, at, {
      kind: 'status', businessType: 0, edxmlId: answered.edxmlId, statusCode: code, answers: answered.id, dueAt: null,
      subject: mh.Subject ?? null, codeNumber: mh.Code?.CodeNumber ?? null, codeNotation: mh.Code?.CodeNotation ?? null,
    }, onceKey ? [onceKey] : []);
    const deliveries = withdrawn ? [] : [this.#delivery(doc, target, target, at)];
    this.#accepted(doc.row as DocumentRow, system.id, 'native', deliveries);
    const day = vnDay(at);
    this.#count(day, fromAgency, 'statuses_sent');
    if (withdrawn) this.#withdraw(current, system.id, 'recall (13) before the recipient fetched it', at);
    this.#batch.statuses.push({ deliveryId, statusCode: code, documentId: doc.id, description: mh.Description ?? null, at });
    current.statuses.push(code);
    if (code === '15' && !fromSender) this.#apply(current, 'recallAgreed', { businessStatus: code });
    else this.#apply(current, 'businessStatus', { businessStatus: withdrawn ? '15' : code });
    this.#event({ type: 'status:relayed', actor: system.id, documentId: answered.id, deliveryId, at,
      data: { statusCode: code, statusDocument: doc.id, from: fromAgency, to: target } });
    if (code === '02') this.#count(day, party, 'rejected');
    if (withdrawn) {
      const description = 'Trục đã thu hồi văn bản trước khi đơn vị nhận tải về / withdrawn by the hub before fetch';
      this.#batch.statuses.push({ deliveryId, statusCode: '15', documentId: null, description, at });
      current.statuses.push('15');
      await this.#hubRecallAnswer(current, party, at);
    }
    await this.#maybeCommit();
    return {
      created: true, documentId: doc.id, deliveries: deliveries.map((d) => ({ id: d.row.id, recipient: d.row.recipient, addressedTo: d.row.addressedTo })),
      ...(code === '13' ? { recall: withdrawn ? 'withdrawn' as const : 'requested' as const } : {}),
    };
  }

  /** The recipient's system fetches the packet and acks it done, as fetchPacket then ackDelivery would. */
  async fetchAndAck(system: SystemRecord, deliveryId: string, at: number): Promise<void> {
    const d = await this.#get(deliveryId);
    if (!d || !(await this.#acts(system.id, d.row.recipient))) throw new HubError('VDXP_E_DELIVERY_NOT_FOUND', `No delivery ${deliveryId} for system ${system.id}`);
    const handedOut = d.row.state === 'fetched' || d.row.state === 'done';
    if (!canTake(d.row, 'fetch') && !handedOut) throw new HubError('VDXP_E_DELIVERY_GONE', `Delivery ${deliveryId} is ${d.row.state}`, { details: { state: d.row.state } });
    if (!handedOut) {
      this.#apply(d, 'fetch', { fetchedAt: d.row.fetchedAt ?? at });
      this.#event({ type: 'delivery:fetched', actor: system.id, documentId: d.row.documentId, deliveryId, at, data: { recipient: d.row.recipient } });
    }
    if (d.row.state === 'done') return;
    this.#apply(d, 'ackDone', { ackedAt: at, fetchedAt: d.row.fetchedAt ?? at });
    this.#event({ type: 'delivery:acked', actor: system.id, documentId: d.row.documentId, deliveryId, at, data: { result: 'done' } });
    if (d.row.kind === 'edoc') this.#count(vnDay(at), d.row.recipient, 'delivered');
  }

  /**
   * The sweep at `now`: expires deliveries past their time-to-live and flags overdue answers. Candidates come
   * from the store's own queries (the overdue rule in SQL) after a commit; each is decided again with
   * isOverdue on the row the batch holds, as the sweeper decides inside its transaction.
   */
  async sweep(now: number, page = 5000): Promise<{ expired: number; overdue: number }> {
    let expired = 0;
    let overdue = 0;
    for (;;) {
      await this.commit();
      const list = await this.#ctx.store.expiredDeliveries(now, page);
      const before = expired;
      for (const c of list) {
        const d = await this.#get(c.id, false);
        if (!d || d.row.expiresAt > now || !canTake(d.row, 'expire')) continue;
        this.#apply(d, 'expire', {});
        this.#event({ type: 'delivery:expired', actor: 'hub', documentId: d.row.documentId, deliveryId: d.row.id, at: now, data: { expiresAt: d.row.expiresAt } });
        expired++;
      }
      // A full page that changed nothing would come back the same: stop rather than loop.
      if (list.length < page || expired === before) break;
    }
    for (;;) {
      await this.commit();
      const list = await this.#ctx.store.overdueCandidates(now, page);
      const before = overdue;
      for (const c of list) {
        const d = await this.#get(c.id, false);
        if (!d || !isOverdue(d.row as DeliveryRow, d.doc.dueAt, now)) continue;
        this.#apply(d, 'overdue', { overdue: true });
        this.#count(vnDay(now), d.row.recipient, 'overdue');
        this.#event({ type: 'delivery:overdue', actor: 'hub', documentId: d.row.documentId, deliveryId: d.row.id, at: now,
          data: { recipient: d.row.recipient, answerDueAt: d.row.answerDueAt, businessStatus: d.row.businessStatus } });
        overdue++;
      }
      if (list.length < page || overdue === before) break;
    }
    await this.commit();
    return { expired, overdue };
  }

  /** The caller has no more steps for this delivery: it need not be kept in memory (it is read back if needed). */
  release(deliveryId: string): void {
    this.#live.delete(deliveryId);
  }

  /** Commits what the batch holds, in one transaction, and waits until every batch handed to the writer is written. */
  async commit(): Promise<void> {
    await this.#send();
    const f = this.#inFlight;
    if (f) {
      await f.written;
      if (this.#inFlight === f) this.#inFlight = undefined;
    }
  }

  /** Hands the batch to be written: with a writer, returns once the one before it is written, not this one. */
  async #send(): Promise<void> {
    const b = this.#batch;
    if (b.documents.length === 0 && b.events.length === 0 && b.counters.length === 0) return;
    for (const [id, d] of this.#created) {
      b.deliveries.push({ ...d.row });
      this.#changed.delete(id);
    }
    for (const d of this.#changed.values()) {
      const r = d.row;
      b.deliveryUpdates.push({ id: r.id, state: r.state, attempts: r.attempts, businessStatus: r.businessStatus, lastReason: r.lastReason,
        fetchedAt: r.fetchedAt, ackedAt: r.ackedAt, answerDueAt: r.answerDueAt, overdue: r.overdue });
    }
    this.#batch = emptyBatch();
    if (this.#writer) {
      // The batch's rows are copied into it above: the next batch may change the same deliveries meanwhile.
      const before = this.#inFlight;
      const deliveries = this.#created;
      for (const [id, d] of this.#changed) deliveries.set(id, d);
      const f: InFlight = { written: Promise.resolve(), deliveries, byEdxmlId: this.#pendingByEdxmlId, keys: this.#pendingKeys };
      this.#created = new Map();
      this.#changed = new Map();
      this.#pendingByEdxmlId = new Map();
      this.#pendingKeys = new Map();
      if (before) await before.written;
      f.written = this.#writer.write(b);
      // A failure is met by whoever waits next; until then it must not count as unhandled.
      f.written.catch(() => undefined);
      this.#inFlight = f;
    } else {
      await this.#ctx.store.writeBatch(b);
      this.#created.clear();
      this.#changed.clear();
      this.#pendingByEdxmlId.clear();
      this.#pendingKeys.clear();
    }
    this.#commits++;
  }

  async #maybeCommit(): Promise<void> {
    if (this.#batch.documents.length >= this.#documentsPerCommit) await this.#send();
  }

  async #from(system: SystemRecord, organId: string): Promise<string> {
    let from = this.#agencies.get(organId);
    if (from === undefined) {
      from = await this.#ctx.store.findAgency(organId) ?? null;
      this.#agencies.set(organId, from);
    }
    if (!from || !(await this.#acts(system.id, from.code))) {
      throw new HubError('VDXP_E_FROM_NOT_ALLOWED', `Don vi gui ${organId} khong dung voi ma da dang ky: ${system.id}`, { details: { from: organId, systemId: system.id } });
    }
    return from.code;
  }

  async #acts(systemId: string, agency: string): Promise<boolean> {
    const k = `${systemId}\u0000${agency}`;
    let v = this.#actsFor.get(k);
    if (v === undefined) {
      v = await this.#ctx.store.systemActsFor(systemId, agency);
      this.#actsFor.set(k, v);
    }
    return v;
  }

  /** The registry does not change while history is written: each code is resolved once. */
  async #resolve(code: string): Promise<ResolvedRecipient> {
    let r = this.#recipients.get(code);
    if (r === undefined) {
      try {
        r = await resolveRecipient(this.#ctx, code);
      } catch (e) {
        if (!(e instanceof HubError)) throw e;
        r = e;
      }
      this.#recipients.set(code, r);
    }
    if (r instanceof HubError) throw r;
    return r;
  }

  async #documentIdByKey(key: string): Promise<string | undefined> {
    return this.#pendingKeys.get(key) ?? this.#inFlight?.keys.get(key) ?? await this.#ctx.store.documentIdByKey(key);
  }

  async #findEdoc(from: string, edxmlId: string): Promise<DocInfo | undefined> {
    const k = `${from}\u0000${edxmlId}`;
    const pending = this.#pendingByEdxmlId.get(k) ?? this.#inFlight?.byEdxmlId.get(k);
    if (pending) return pending;
    const row = await this.#ctx.store.findDocumentByEdxmlId(from, edxmlId);
    return row && docInfo(row);
  }

  async #replay(documentId: string): Promise<BatchAccepted> {
    await this.commit();
    const deliveries = await this.#ctx.store.deliveriesOfDocument(documentId);
    return { created: false, documentId, deliveries: deliveries.map((d) => ({ id: d.id, recipient: d.recipient, addressedTo: d.addressedTo })) };
  }

  /** A delivery as the batch last decided it, or as stored; kept in memory for the next step unless `keep` is false. */
  async #get(id: string, keep = true): Promise<Live | undefined> {
    const held = this.#live.get(id) ?? this.#created.get(id) ?? this.#changed.get(id) ?? this.#inFlight?.deliveries.get(id);
    if (held) {
      if (keep) this.#live.set(id, held);
      return held;
    }
    const row = await this.#ctx.store.getDelivery(id);
    if (!row) return undefined;
    const doc = await this.#ctx.store.getDocument(row.documentId);
    if (!doc) throw new Error(`assertion: document ${row.documentId} of delivery ${id} exists`);
    const { seq: _seq, ...rest } = row;
    const live: Live = { row: rest, statuses: (await this.#ctx.store.statusHistory(id)).map((s) => s.statusCode), doc: docInfo(doc) };
    if (keep) this.#live.set(id, live);
    return live;
  }

  async #deliveriesOf(documentId: string): Promise<Live[]> {
    await this.commit();
    const out: Live[] = [];
    for (const d of await this.#ctx.store.deliveriesOfDocument(documentId)) {
      const live = await this.#get(d.id);
      if (live) out.push(live);
    }
    return out;
  }

  #document(system: SystemRecord, from: string, body: BatchBody, header: unknown, at: number,
    fields: Pick<DocumentRow, 'kind' | 'businessType' | 'edxmlId' | 'statusCode' | 'answers' | 'dueAt' | 'subject' | 'codeNumber' | 'codeNotation'>,
    keys: string[]): DocInfo {
    if (body.bytes.byteLength > this.#ctx.limits.inlinePacketBytesMax) throw new Error(`assertion: a batch packet is stored inline (at most ${this.#ctx.limits.inlinePacketBytesMax} bytes)`);
    if (!this.#bodies.has(body.digest)) {
      this.#batch.inlineBlobs.push({ digest: body.digest, bytes: body.bytes });
      this.#bodies.add(body.digest);
    }
    const row: Omit<DocumentRow, 'seq'> = {
      id: timeOrderedUuid(this.#ctx.random.uuid(), at), fromAgency: from, senderSystem: system.id, digest: body.digest, bytes: body.bytes.byteLength,
      header, signature: { present: false }, receivedAt: at, ...fields,
    };
    this.#batch.documents.push({ doc: row, keys });
    for (const k of keys) this.#pendingKeys.set(k, row.id);
    const info: DocInfo = { id: row.id, fromAgency: from, edxmlId: row.edxmlId, dueAt: row.dueAt, header, row: { ...row, seq: 0 } };
    if (row.kind === 'edoc' && row.edxmlId !== null) this.#pendingByEdxmlId.set(`${from}\u0000${row.edxmlId}`, info);
    return info;
  }

  #delivery(doc: DocInfo, recipient: string, addressedTo: string, at: number): Live {
    const kind = doc.row?.kind ?? 'edoc';
    const live: Live = {
      row: {
        id: timeOrderedUuid(this.#ctx.random.uuid(), at), documentId: doc.id, kind, recipient, addressedTo, state: 'queued', attempts: 0, businessStatus: null,
        lastReason: null, createdAt: at, fetchedAt: null, ackedAt: null, expiresAt: at + this.#ctx.limits.deliveryTtlSeconds * 1000,
        answerDueAt: kind === 'edoc' ? this.#ctx.calendar.endOfNextWorkingDay(at) : null, overdue: false,
      },
      statuses: [], doc,
    };
    this.#created.set(live.row.id, live);
    // An edoc's delivery has its recipient's steps to come; a status's is only ever fetched, or swept.
    if (kind === 'edoc') this.#live.set(live.row.id, live);
    return live;
  }

  #accepted(doc: DocumentRow, actor: string, via: string, deliveries: Live[]): void {
    this.#event({
      type: 'document:accepted', actor, documentId: doc.id, at: doc.receivedAt,
      data: {
        digest: doc.digest, bytes: doc.bytes, kind: doc.kind, from: doc.fromAgency, via,
        businessType: doc.businessType, statusCode: doc.statusCode, answers: doc.answers,
        deliveries: deliveries.map((d) => ({ id: d.row.id, recipient: d.row.recipient, addressedTo: d.row.addressedTo })),
        signature: { present: false, valid: null },
      },
    });
  }

  /** A transition of delivery-states.ts's table, applied to the batch's row (the only writer: the compare holds). */
  #apply(d: Live, name: TransitionName, patch: Partial<Omit<DeliveryRow, 'id' | 'seq' | 'state'>>): void {
    const t: { from: readonly DeliveryState[]; to?: DeliveryState } = TRANSITIONS[name];
    if (!canTake(d.row, name)) throw new Error(`assertion: delivery ${d.row.id} (${d.row.state}) may take ${name}`);
    Object.assign(d.row, patch);
    if (t.to !== undefined) d.row.state = t.to;
    if (!this.#created.has(d.row.id)) this.#changed.set(d.row.id, d);
  }

  #withdraw(d: Live, actor: string, reason: string, at: number): void {
    this.#apply(d, 'withdraw', { lastReason: reason });
    this.#event({ type: 'delivery:recalled', actor, documentId: d.row.documentId, deliveryId: d.row.id, at, data: { reason, before: 'fetch' } });
  }

  /** The status 15 packet the hub writes to the sender when it withdrew a document before fetch (intake's `extra`). */
  async #hubRecallAnswer(d: Live, party: string, at: number): Promise<void> {
    const answered = d.doc.row ?? await this.#ctx.store.getDocument(d.doc.id);
    if (!answered) throw new Error(`assertion: document ${d.doc.id} exists`);
    const bytes = await buildHubStatus({ recipientAgency: party, answered, statusCode: '15', now: at,
      description: 'Trục liên thông đã thu hồi văn bản trước khi đơn vị nhận tải về (withdrawn by the hub before fetch)' });
    const body = batchBody(bytes);
    const doc = this.#document({ id: 'hub' } as SystemRecord, party, body, { madeBy: 'hub' }, at, {
      kind: 'status', businessType: 0, edxmlId: d.doc.edxmlId, statusCode: '15', answers: d.doc.id, dueAt: null, subject: null, codeNumber: null, codeNotation: null,
    }, []);
    const delivery = this.#delivery(doc, d.doc.fromAgency, d.doc.fromAgency, at);
    this.#event({ type: 'document:accepted', actor: 'hub', documentId: doc.id, at, data: {
      digest: body.digest, bytes: body.bytes.byteLength, kind: 'status', from: party, via: 'hub', statusCode: '15', answers: d.doc.id,
      deliveries: [{ id: delivery.row.id, recipient: delivery.row.recipient, addressedTo: delivery.row.addressedTo }],
    } });
  }

  #event(e: EventInput): void {
    this.#batch.events.push({ ...e, documentId: e.documentId ?? null, deliveryId: e.deliveryId ?? null });
  }

  #count(day: string, agency: string, metric: string): void {
    this.#batch.counters.push({ day, agency, metric, by: 1 });
  }
}

/**
 * A UUID of version 7 (RFC 9562) at `at`: the random one given, its first 48 bits replaced by the time in ms.
 * Ids in time order make a batch append to the id indexes (documents, deliveries, statuses and events by
 * document) instead of scattering over them: with random ids each batch rewrote tens of thousands of pages.
 */
export function timeOrderedUuid(random: string, at: number): string {
  const hex = Math.max(0, Math.floor(at)).toString(16).padStart(12, '0').slice(-12);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${random.slice(15)}`;
}

function docInfo(row: DocumentRow): DocInfo {
  return { id: row.id, fromAgency: row.fromAgency, edxmlId: row.edxmlId, dueAt: row.dueAt, header: row.header, row };
}

function emptyBatch(): WriteBatch {
  return { inlineBlobs: [], documents: [], links: [], deliveries: [], deliveryUpdates: [], statuses: [], events: [], counters: [] };
}
