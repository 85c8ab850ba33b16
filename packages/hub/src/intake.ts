// Intake: one packet in, durably stored and fanned out to deliveries, or refused leaving nothing behind.
// The body is parsed and kept in one streaming pass: held in memory up to `inlinePacketBytesMax`, staged to
// disk (fsynced) past it. The database transaction then records document, deliveries, status effects,
// counters and evidence together, and a small packet's bytes with them; a large packet's file is moved into
// place after the commit, and only then does the caller get its 2xx.

import {
  isStatusCode, PacketSignatureVerifier, parsePacket, STATUS_INFO, statusTransitionError, validatePacket,
  type ByteSource, type MessageHeader, type ParsedPacket, type StatusCode,
} from '@vdxp/edxml';
import type { StagedBlob } from './blobs.ts';
import { edxmlDateEnd, vnDay } from './clock.ts';
import { record, type HubContext } from './context.ts';
import { HubError } from './errors.ts';
import { resolveRecipient, type ResolvedRecipient } from './registry.ts';
import type { DeliveryRow, DocumentRow, StoreOps, SystemRecord } from './store/store.ts';
import { buildHubStatus } from './hub-status.ts';
import { ANSWERABLE_STATES, canTake, transition } from './delivery-states.ts';

export interface Warning {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

export interface SubmitResult {
  /** false when the packet was a resend of an accepted one: the original ids come back. */
  created: boolean;
  document: DocumentRow;
  deliveries: { id: string; recipient: string; addressedTo: string }[];
  warnings: Warning[];
  /** Status 13: whether the hub withdrew the document before it was fetched, or passed the request on. */
  recall?: 'withdrawn' | 'requested';
}

export interface SignatureVerdictLike {
  present: boolean;
  valid?: boolean;
}

export interface SubmitOptions {
  /** The API that carried it, for the evidence log. */
  via: 'native' | 'vdxp';
  /** The VDXP API says edoc or status up front; a mismatch is refused. */
  expectKind?: 'edoc' | 'status';
  /**
   * Runs once the whole body is read and staged, before anything is committed, with the SHA-256 (hex) of the
   * bytes stored. Throwing refuses the packet and leaves nothing behind (the VDXP API checks `hash-file` here,
   * since it can only know the body's digest after streaming it).
   */
  beforeCommit?: (digest: string) => void | Promise<void>;
}

const BUSINESS_TYPES = { 0: 'new', 1: 'revoke', 2: 'update', 3: 'replace' } as const;

export async function submitPacket(ctx: HubContext, system: SystemRecord, body: ByteSource, options: SubmitOptions): Promise<SubmitResult> {
  const staged = ctx.blobs.begin();
  // The XML signature is verified in the same pass: the verifier sees every chunk the parser sees, when the
  // header holds a Signature. The parser hears of each chunk before it parses it, so the first slices are held
  // until the header's end says whether to verify: an unsigned small packet (one slice) is then read once, not
  // twice. Past VERIFIER_HOLD_BYTES_MAX without the header's end, the held slices go to the verifier and the
  // rest as it comes, until an unsigned header's end stops it (attachments are never read twice).
  const verifier = new PacketSignatureVerifier();
  let signed: boolean | undefined;
  let held: Uint8Array[] | undefined = [];
  let heldBytes = 0;
  const releaseHeld = (): void => {
    for (const c of held ?? []) verifier.write(c);
    held = undefined;
  };
  let release = (): void => undefined;
  try {
    const packet = await parsePacket(slices(body), {
      limits: ctx.limits.edxml,
      onHeaderEnd: ({ signaturePresent }) => {
        signed = signaturePresent;
        if (signed) releaseHeld();
        held = undefined;
      },
      onChunk: async (chunk) => {
        if (held !== undefined) {
          held.push(chunk);
          heldBytes += chunk.byteLength;
          if (heldBytes > VERIFIER_HOLD_BYTES_MAX) releaseHeld();
        } else if (signed !== false) verifier.write(chunk);
        await staged.write(chunk);
      },
    });
    await staged.finish();
    await options.beforeCommit?.(staged.digest);
    if (signed === undefined) releaseHeld();
    const signature: SignatureVerdictLike = signed === false ? { present: false } : verifier.end();
    // From the commit until the rename below, the document exists but its file is still staged: readers wait.
    // An inline packet commits with its document, so there is no such instant.
    if (staged.inline === undefined) release = ctx.blobs.announce(staged.digest);
    const result = await accept(ctx, system, packet, staged, signature, options);
    if (result.created) {
      await ctx.blobs.commit(staged);
      ctx.notifier.notify(result.deliveries.map((d) => d.recipient));
      ctx.emitter.emit('document:accepted', {
        documentId: result.document.id, kind: result.document.kind, recipients: result.deliveries.map((d) => d.recipient), bytes: staged.bytes,
      });
    } else {
      await ctx.blobs.discard(staged);
    }
    return result;
  } catch (e) {
    await staged.abort();
    throw e;
  } finally {
    release();
  }
}

const BODY_SLICE_BYTES = 64 * 1024;
/** Packet bytes held back from the signature verifier until the header's end says whether it is needed: a slice. */
const VERIFIER_HOLD_BYTES_MAX = BODY_SLICE_BYTES;

/**
 * Bounded slices of the body: the signature verifier is fed each slice before the parser sees it, so a body
 * handed over in one big buffer would make it read the whole packet before the parser could say the header
 * was unsigned.
 */
async function* slices(body: ByteSource): AsyncGenerator<Uint8Array> {
  for await (const chunk of body) {
    for (let at = 0; at < chunk.byteLength; at += BODY_SLICE_BYTES) yield chunk.subarray(at, at + BODY_SLICE_BYTES);
  }
}

/** Queues what to announce once the transaction committed (nothing, if it rolls back). */
type AfterCommit = (announce: () => void) => void;

interface Plan {
  doc: Omit<DocumentRow, 'seq'>;
  keys: string[];
  recipients: ResolvedRecipient[];
  warnings: Warning[];
  /**
   * Runs first in the transaction and decides from what is stored then: a recall (13) withdraws the delivery at
   * once when its recipient never got it, and then the hub answers instead of relaying.
   */
  decide?: (tx: StoreOps) => Promise<{ withdrawn: boolean }>;
  /** The plan's writes; what they announce (metrics, long-polls) goes to `afterCommit`, run once it committed. */
  effects: (tx: StoreOps, doc: DocumentRow, deliveries: DeliveryRow[], afterCommit: AfterCommit) => Promise<void>;
  /** Hub-made status packets, delivered only when the hub withdrew (the recall answered by the hub). */
  extra?: { staged: StagedBlob; make: (tx: StoreOps) => Promise<{ document: DocumentRow; deliveries: DeliveryRow[] }> }[];
  /** A recall (13): the answer says whether it was withdrawn or passed on. */
  recall?: boolean;
}

async function accept(ctx: HubContext, system: SystemRecord, packet: ParsedPacket, staged: StagedBlob, signature: SignatureVerdictLike, options: SubmitOptions): Promise<SubmitResult> {
  const mh = packet.header.MessageHeader;
  const bytesKey = `bytes:${system.id}:${staged.digest}`;
  const earlier = await ctx.store.documentIdByKey(bytesKey);
  if (earlier !== undefined) return replay(ctx, earlier);

  if (options.expectKind && options.expectKind !== packet.kind) {
    throw new HubError('VDXP_E_PACKET_INVALID', `The call says ${options.expectKind} but the packet is a ${packet.kind} packet`);
  }
  // Lenient validation: only what makes a packet undeliverable is refused; the rest comes back as warnings.
  const findings = validatePacket(packet, 'lenient');
  const errors = findings.filter((f) => f.severity === 'error');
  if (errors.length > 0) {
    throw new HubError('VDXP_E_PACKET_INVALID', `The packet breaks ${errors.length} rule(s): ${errors.map((f) => `${f.rule} ${f.path}: ${f.message.en}`).join('; ')}`, {
      details: { findings: errors },
    });
  }
  const validationWarnings: Warning[] = findings.filter((f) => f.severity === 'warning').map((f) => ({
    code: f.rule, message: f.message.en, details: { path: f.path, vi: f.message.vi },
  }));
  if (ctx.policy.requireValidSignature && signature.valid !== true) {
    throw new HubError('VDXP_E_SIGNATURE_REQUIRED_VALID', signature.present ? 'The XML signature does not verify' : 'The packet carries no XML signature');
  }
  const from = await ctx.store.findAgency(mh.From.OrganId);
  if (!from || !(await ctx.store.systemActsFor(system.id, from.code))) {
    throw new HubError('VDXP_E_FROM_NOT_ALLOWED', `Don vi gui ${mh.From.OrganId} khong dung voi ma da dang ky: ${system.id}`, {
      details: { from: mh.From.OrganId, systemId: system.id },
    });
  }
  const now = ctx.clock.now();
  const base = {
    id: ctx.random.uuid(), fromAgency: from.code, senderSystem: system.id, digest: staged.digest, bytes: staged.bytes,
    header: packet.header, signature, receivedAt: now, subject: mh.Subject ?? null,
    codeNumber: mh.Code?.CodeNumber ?? null, codeNotation: mh.Code?.CodeNotation ?? null,
  };
  const plan = packet.kind === 'status'
    ? await planStatus(ctx, system, mh, base, bytesKey)
    : await planEdoc(ctx, packet, mh, base, bytesKey);

  for (const key of plan.keys.slice(1)) {
    const id = await ctx.store.documentIdByKey(key);
    if (id !== undefined) return replay(ctx, id);
  }

  const releaseExtras = (plan.extra ?? []).filter((x) => x.staged.inline === undefined).map((x) => ctx.blobs.announce(x.staged.digest));
  const announce: (() => void)[] = [];
  try {
    const out = await ctx.store.transaction(async (tx) => {
      announce.length = 0;
      for (const key of plan.keys) {
        const id = await tx.documentIdByKey(key);
        if (id !== undefined) return { replayOf: id, doc: undefined };
      }
      const { withdrawn } = plan.decide ? await plan.decide(tx) : { withdrawn: false };
      const doc = await tx.insertDocument(plan.doc, plan.keys);
      await ctx.blobs.keep(tx, staged);
      const deliveries: DeliveryRow[] = [];
      if (!withdrawn) {
        for (const r of plan.recipients) {
          deliveries.push(await tx.insertDelivery({
            id: ctx.random.uuid(), documentId: doc.id, kind: doc.kind, recipient: r.recipient, addressedTo: r.addressedTo,
            state: 'queued', attempts: 0, businessStatus: null, lastReason: null, createdAt: now, fetchedAt: null, ackedAt: null,
            expiresAt: now + ctx.limits.deliveryTtlSeconds * 1000,
            answerDueAt: doc.kind === 'edoc' ? ctx.calendar.endOfNextWorkingDay(now) : null, overdue: false,
          }));
        }
      }
      await record(ctx, tx, {
        type: 'document:accepted', actor: system.id, documentId: doc.id,
        data: {
          digest: doc.digest, bytes: doc.bytes, kind: doc.kind, from: doc.fromAgency, via: options.via,
          businessType: doc.businessType, statusCode: doc.statusCode, answers: doc.answers,
          deliveries: deliveries.map((d) => ({ id: d.id, recipient: d.recipient, addressedTo: d.addressedTo })),
          signature: { present: signature.present, valid: signature.valid ?? null },
        },
      });
      const day = vnDay(now);
      await tx.bumpCounter(day, doc.fromAgency, doc.kind === 'edoc' ? 'sent' : 'statuses_sent', 1);
      if (doc.kind === 'edoc') for (const d of deliveries) await tx.bumpCounter(day, d.recipient, 'received', 1);
      await plan.effects(tx, doc, deliveries, (fn) => announce.push(fn));
      const extras = [];
      if (withdrawn) for (const x of plan.extra ?? []) extras.push(await x.make(tx));
      return { doc, deliveries, extras, withdrawn };
    });
    if (out.doc === undefined) {
      for (const x of plan.extra ?? []) await ctx.blobs.discard(x.staged);
      return await replay(ctx, out.replayOf);
    }
    for (const x of plan.extra ?? []) await (out.withdrawn ? ctx.blobs.commit(x.staged) : ctx.blobs.discard(x.staged));
    for (const x of out.extras) ctx.notifier.notify(x.deliveries.map((d) => d.recipient));
    for (const fn of announce) fn();
    return {
      created: true, document: out.doc, warnings: [...plan.warnings, ...validationWarnings],
      deliveries: out.deliveries.map((d) => ({ id: d.id, recipient: d.recipient, addressedTo: d.addressedTo })),
      ...(plan.recall ? { recall: out.withdrawn ? 'withdrawn' as const : 'requested' as const } : {}),
    };
  } catch (e) {
    for (const x of plan.extra ?? []) await ctx.blobs.discard(x.staged);
    throw e;
  } finally {
    for (const release of releaseExtras) release();
  }
}

async function replay(ctx: HubContext, documentId: string): Promise<SubmitResult> {
  const document = await ctx.store.getDocument(documentId);
  if (!document) throw new Error(`assertion: document ${documentId} named by an idempotency key exists`);
  const deliveries = await ctx.store.deliveriesOfDocument(documentId);
  return {
    created: false, document, warnings: [{ code: 'VDXP_W_RESEND', message: 'This packet was accepted before; the original ids are returned' }],
    deliveries: deliveries.map((d) => ({ id: d.id, recipient: d.recipient, addressedTo: d.addressedTo })),
  };
}

type Base = Omit<DocumentRow, 'seq' | 'kind' | 'businessType' | 'edxmlId' | 'statusCode' | 'answers' | 'dueAt'>;

async function planEdoc(ctx: HubContext, packet: ParsedPacket, mh: MessageHeader, base: Base, bytesKey: string): Promise<Plan> {
  const warnings: Warning[] = [];
  const bussiness = packet.header.TraceHeaderList?.Bussiness;
  const btText = bussiness?.BussinessDocType ?? '0';
  const businessType = Number(btText);
  if (!(businessType in BUSINESS_TYPES) || !/^[0-3]$/.test(btText)) {
    throw new HubError('VDXP_E_PACKET_INVALID', `BussinessDocType must be 0, 1, 2 or 3, not "${btText}"`);
  }
  const addressed = new Set(mh.To.map((t) => t.OrganId).filter((c) => c !== ''));
  const receiverList = bussiness?.BussinessDocumentInfo?.ReceiverList ?? [];
  if (businessType === 2) for (const r of receiverList) if (r.ReceiverType === '1' && r.OrganId) addressed.add(r.OrganId);
  if (addressed.size === 0) throw new HubError('VDXP_E_PACKET_INVALID', 'An edoc packet needs at least one MessageHeader/To/OrganId');
  if (addressed.size > ctx.limits.recipientsMax) {
    throw new HubError('VDXP_E_RECIPIENTS_TOO_MANY', `At most ${ctx.limits.recipientsMax} recipients per packet (got ${addressed.size})`);
  }
  const recipients: ResolvedRecipient[] = [];
  const seen = new Set<string>();
  for (const code of addressed) {
    const r = await resolveRecipient(ctx, code);
    if (r.redirected) {
      warnings.push({
        code: 'VDXP_W_RECIPIENT_REDIRECTED', message: `${code} was merged or dissolved; the document goes to its successor ${r.recipient}`,
        details: { addressedTo: code, recipient: r.recipient },
      });
    }
    if (!seen.has(r.recipient)) recipients.push(r);
    seen.add(r.recipient);
  }
  const edxmlId = mh.DocumentId ?? null;
  const keys = [bytesKey];
  if (edxmlId) keys.push(`docid:${base.fromAgency}:${edxmlId}:${businessType}`);

  const related = businessType !== 0 && bussiness?.DocumentId ? await ctx.store.findDocumentByEdxmlId(base.fromAgency, bussiness.DocumentId) : undefined;
  if (businessType !== 0 && businessType !== 3 && !related) {
    warnings.push({ code: 'VDXP_W_RELATED_UNKNOWN', message: `Bussiness/DocumentId "${bussiness?.DocumentId ?? ''}" names no document this agency sent through the hub` });
  }
  const replaced: DocumentRow[] = [];
  if (businessType === 3) {
    for (const info of bussiness?.ReplacementInfoList ?? []) {
      const d = info.DocumentId ? await ctx.store.findDocumentByEdxmlId(base.fromAgency, info.DocumentId) : undefined;
      if (d) replaced.push(d);
      else warnings.push({ code: 'VDXP_W_RELATED_UNKNOWN', message: `Replaced document "${info.DocumentId ?? ''}" is not known to the hub` });
    }
  }
  const removed = new Set(businessType === 2 ? receiverList.filter((r) => r.ReceiverType === '0' && r.OrganId).map((r) => r.OrganId as string) : []);

  return {
    doc: {
      ...base, kind: 'edoc', businessType, edxmlId, statusCode: null, answers: related?.id ?? null, dueAt: edxmlDateEnd(mh.DueDate) ?? null,
    },
    keys, recipients, warnings,
    effects: async (tx, doc, _deliveries, afterCommit) => {
      if (related && (businessType === 1 || businessType === 2)) {
        await tx.linkDocuments(doc.id, related.id, businessType === 1 ? 'revokes' : 'updates');
        const targets = businessType === 1 ? new Set(recipients.map((r) => r.recipient)) : removed;
        for (const d of await tx.deliveriesOfDocument(related.id)) {
          if (targets.has(d.recipient)) await withdraw(ctx, tx, d, doc.senderSystem, `withdrawn by ${BUSINESS_TYPES[businessType]} ${doc.id}`, afterCommit);
        }
      }
      for (const r of replaced) await tx.linkDocuments(doc.id, r.id, 'replaces');
    },
  };
}

/** Takes a delivery back if its recipient never got it (compare-and-set); says whether it did. */
async function withdraw(ctx: HubContext, tx: StoreOps, d: DeliveryRow, actor: string, reason: string, afterCommit: AfterCommit): Promise<boolean> {
  if (!(await transition(tx, d, 'withdraw', { lastReason: reason }))) return false;
  await record(ctx, tx, { type: 'delivery:recalled', actor, documentId: d.documentId, deliveryId: d.id, data: { reason, before: 'fetch' } });
  afterCommit(() => ctx.emitter.emit('delivery:recalled', { deliveryId: d.id }));
  return true;
}

async function planStatus(ctx: HubContext, system: SystemRecord, mh: MessageHeader, base: Base, bytesKey: string): Promise<Plan> {
  const code = mh.StatusCode ?? '';
  if (!isStatusCode(code)) throw new HubError('VDXP_E_PACKET_INVALID', `StatusCode "${code}" is not one of 01–06, 13, 15, 16`);
  const rf = mh.ResponseFor[0];
  if (!rf?.DocumentId || !rf.OrganId) {
    throw new HubError('VDXP_E_PACKET_INVALID', 'A status packet needs ResponseFor with OrganId and DocumentId');
  }
  const info = STATUS_INFO[code];
  const fromSender = info.sentBy === 'sender';
  const originalSender = fromSender ? base.fromAgency : ((await ctx.store.findAgency(rf.OrganId))?.code ?? rf.OrganId);
  const answered = await ctx.store.findDocumentByEdxmlId(originalSender, rf.DocumentId);
  if (!answered) {
    throw new HubError('VDXP_E_STATUS_DOCUMENT_UNKNOWN', `No document ${rf.DocumentId} sent by ${originalSender} is known to the hub`, {
      details: { documentId: rf.DocumentId, organId: originalSender },
    });
  }
  const party = fromSender ? ((await ctx.store.findAgency(rf.OrganId))?.code ?? rf.OrganId) : base.fromAgency;
  const delivery = await ctx.store.findDelivery(answered.id, party);
  if (!delivery) {
    throw new HubError('VDXP_E_STATUS_NOT_PARTY', fromSender
      ? `${party} was not a recipient of ${rf.DocumentId}`
      : `${base.fromAgency} was not a recipient of ${rf.DocumentId}, so it cannot report a status on it`, {
      details: { documentId: rf.DocumentId, agency: party },
    });
  }
  // A recipient that resends the status it last gave gets the original back (exactly-once effect).
  const onceKey = ['01', '02', '03', '04', '05', '06'].includes(code) ? `status:${delivery.id}:${code}` : undefined;
  if (onceKey) {
    const earlier = await ctx.store.documentIdByKey(onceKey);
    if (earlier !== undefined) return { ...replayPlan(), keys: [bytesKey, onceKey] };
  }
  const now = ctx.clock.now();
  const target = fromSender ? party : answered.fromAgency;
  // Read again inside the transaction: what decides a write is read where the write happens.
  let current = delivery;
  let withdrawn = false;
  const plan: Plan = {
    doc: { ...base, kind: 'status', businessType: 0, edxmlId: rf.DocumentId, statusCode: code, answers: answered.id, dueAt: null },
    keys: onceKey ? [bytesKey, onceKey] : [bytesKey],
    recipients: [{ addressedTo: target, recipient: target, redirected: false }],
    warnings: [],
    decide: async (tx) => {
      current = await tx.getDelivery(delivery.id) ?? delivery;
      const history = (await tx.statusHistory(current.id)).map((s) => s.statusCode as StatusCode);
      const illegal = statusTransitionError(history, code);
      if (illegal) {
        throw new HubError('VDXP_E_STATUS_TRANSITION', `Status ${code} refused: ${illegal}`, { details: { history, statusCode: code, deliveryId: current.id } });
      }
      if (!fromSender && !ANSWERABLE_STATES.includes(current.state)) {
        throw new HubError('VDXP_E_STATUS_TRANSITION', `Status ${code} refused: the delivery is ${current.state}`, { details: { deliveryId: current.id } });
      }
      withdrawn = code === '13' && canTake(current, 'withdraw');
      return { withdrawn };
    },
    effects: async (tx, doc, _deliveries, afterCommit) => {
      if (withdrawn && !(await withdraw(ctx, tx, current, system.id, 'recall (13) before the recipient fetched it', afterCommit))) throw changedMeanwhile();
      await tx.addStatus({ deliveryId: current.id, statusCode: code, documentId: doc.id, description: mh.Description ?? null, at: now });
      const changed = code === '15' && !fromSender
        ? await transition(tx, current, 'recallAgreed', { businessStatus: code }, { businessStatus: current.businessStatus })
        : await transition(tx, current, 'businessStatus', { businessStatus: withdrawn ? '15' : code }, { businessStatus: current.businessStatus });
      if (!changed) throw changedMeanwhile();
      await record(ctx, tx, {
        type: 'status:relayed', actor: system.id, documentId: answered.id, deliveryId: current.id,
        data: { statusCode: code, statusDocument: doc.id, from: base.fromAgency, to: target },
      });
      if (code === '02') await tx.bumpCounter(vnDay(now), current.recipient, 'rejected', 1);
      if (withdrawn) {
        await tx.addStatus({ deliveryId: current.id, statusCode: '15', documentId: null, description: 'Trục đã thu hồi văn bản trước khi đơn vị nhận tải về / withdrawn by the hub before fetch', at: now });
      }
      afterCommit(() => ctx.emitter.emit('status:relayed', { deliveryId: current.id, statusCode: code }));
    },
    ...(code === '13' ? { recall: true } : {}),
  };
  function changedMeanwhile(): HubError {
    return new HubError('VDXP_E_STATUS_TRANSITION', `Status ${code} refused: the delivery changed meanwhile; send it again`, { details: { deliveryId: current.id } });
  }
  if (code === '13') {
    // Tell the sender through the same channel recipients use: a status 15 packet, marked as the hub's. Made
    // before the transaction, which alone can decide whether it withdraws; dropped after it when it did not.
    const bytes = await buildHubStatus({ recipientAgency: party, answered, statusCode: '15', now,
      description: 'Trục liên thông đã thu hồi văn bản trước khi đơn vị nhận tải về (withdrawn by the hub before fetch)' });
    const stagedExtra = await ctx.blobs.stage(bytes);
    plan.extra = [{
      staged: stagedExtra,
      make: async (tx) => {
        const document = await tx.insertDocument({
          id: ctx.random.uuid(), kind: 'status', businessType: 0, fromAgency: party, senderSystem: 'hub', edxmlId: rf.DocumentId ?? null,
          subject: null, codeNumber: null, codeNotation: null, statusCode: '15', answers: answered.id, dueAt: null,
          digest: stagedExtra.digest, bytes: stagedExtra.bytes, header: { madeBy: 'hub' }, signature: { present: false }, receivedAt: now,
        }, []);
        await ctx.blobs.keep(tx, stagedExtra);
        const d = await tx.insertDelivery({
          id: ctx.random.uuid(), documentId: document.id, kind: 'status', recipient: answered.fromAgency, addressedTo: answered.fromAgency,
          state: 'queued', attempts: 0, businessStatus: null, lastReason: null, createdAt: now, fetchedAt: null, ackedAt: null,
          expiresAt: now + ctx.limits.deliveryTtlSeconds * 1000, answerDueAt: null, overdue: false,
        });
        await record(ctx, tx, { type: 'document:accepted', actor: 'hub', documentId: document.id, data: {
          digest: document.digest, bytes: document.bytes, kind: 'status', from: party, via: 'hub', statusCode: '15', answers: answered.id,
          deliveries: [{ id: d.id, recipient: d.recipient, addressedTo: d.addressedTo }],
        } });
        return { document, deliveries: [d] };
      },
    }];
  }
  return plan;

  function replayPlan(): Omit<Plan, 'keys'> {
    // Only the keys matter: accept() finds the earlier document by them and returns it.
    return { doc: { ...base, kind: 'status', businessType: 0, edxmlId: null, statusCode: code, answers: null, dueAt: null }, recipients: [], warnings: [], effects: async () => {} };
  }
}
