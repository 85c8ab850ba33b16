// The document calls of the VDXP API mapped onto the hub's own functions, so both APIs share one store and
// one set of rules. Ids: `DocId` from sendEdoc and `senderDocId` are the hub's document id (one per packet);
// the `docId` a receiver lists, fetches and acknowledges is the hub's delivery id (one per recipient), so a
// system acting for two recipients of one document gets, and acknowledges, each copy on its own.

import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { STATUS_INFO, isStatusCode } from '@vdxp/edxml';
import { vnDay } from '../../clock.ts';
import { record, type HubContext } from '../../context.ts';
import { ackDelivery, inbox } from '../../delivery.ts';
import { canTake, transition } from '../../delivery-states.ts';
import { HubError } from '../../errors.ts';
import { submitPacket, type SubmitResult } from '../../intake.ts';
import type { DeliveryRow, DocumentRow, InboxItem, SystemRecord } from '../../store/store.ts';
import { toAscii, vnTime } from './answer.ts';
import { hashFileMatches, withoutSdkTrailer } from './hash-file.ts';
import { fileDocPart, multipartBoundary } from './multipart.ts';

/** lastReason of a delivery its recipient reported as being stored (updateStatus processing). */
export const PROCESSING = 'processing: the recipient reported it is storing the packet (VDXP updateStatus)';

export type Kind = 'edoc' | 'status';

export async function sendEdoc(ctx: HubContext, system: SystemRecord, req: IncomingMessage, o: { from: string; kind: Kind | undefined; hashFile: string }): Promise<SubmitResult> {
  if (o.from !== system.id) {
    const agency = await ctx.store.findAgency(o.from);
    if (!agency || !(await ctx.store.systemActsFor(system.id, agency.code))) {
      throw new HubError('VDXP_E_FROM_NOT_ALLOWED', `Don vi gui ${o.from} khong dung voi ma da dang ky: ${system.id}`, { details: { from: o.from, systemId: system.id } });
    }
  }
  const boundary = multipartBoundary(req.headers['content-type']);
  const body = boundary === undefined ? req : fileDocPart(req, boundary, ctx.limits.vdxpPartHeaderBytesMax);
  return submitPacket(ctx, system, withoutSdkTrailer(body, o.hashFile), {
    via: 'vdxp',
    ...(o.kind ? { expectKind: o.kind } : {}),
    beforeCommit: (digest) => {
      if (!hashFileMatches(o.hashFile, digest)) {
        throw new HubError('VDXP_E_VDXP_HASH_FILE', `hash-file ${o.hashFile} khong khop voi noi dung gui (the body's SHA-256 is ${digest}); khong luu gi`, { details: { hashFile: o.hashFile, digest } });
      }
    },
  });
}

/** The transport state of a pending delivery as a receiving system sees it in its list. */
function listStatus(d: DeliveryRow): { status: string; status_desc: string } {
  if (d.lastReason === PROCESSING) return { status: 'processing', status_desc: 'Dang xu ly (he thong nhan dang luu)' };
  if (d.state === 'fetched') return { status: 'fetched', status_desc: 'Da tai ve, chua xac nhan done' };
  if (d.attempts > 0) return { status: 'fail', status_desc: `Nhan loi ${d.attempts} lan, gui lai` };
  return { status: 'pending', status_desc: 'Cho nhan' };
}

/** Inclusive bounds on the Việt Nam day a document arrived, from `fromDate`/`toDate`. */
export function dayParam(value: string | undefined, name: string): string | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const v = value.trim();
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v) ?? /^(\d{4})\/(\d{2})\/(\d{2})$/.exec(v);
  const vn = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(v) ?? /^(\d{2})-(\d{2})-(\d{4})$/.exec(v);
  const [y, mo, d] = m ? [m[1], m[2], m[3]] : vn ? [vn[3], vn[2], vn[1]] : [];
  const day = `${y ?? ''}-${mo ?? ''}-${d ?? ''}`;
  if (y === undefined || Number.isNaN(Date.parse(`${day}T00:00:00Z`)) || new Date(`${day}T00:00:00Z`).toISOString().slice(0, 10) !== day) {
    throw new HubError('VDXP_E_BAD_REQUEST', `${name} "${value}" khong phai ngay yyyy-MM-dd hoac dd/MM/yyyy (is not a date)`);
  }
  return day;
}

function receivedItem(item: InboxItem): Record<string, unknown> {
  const { delivery: d, document: doc } = item;
  return {
    docId: d.id, serviceType: 'eDoc', messageType: d.kind, created_time: vnTime(d.createdAt),
    updated_time: vnTime(Math.max(d.createdAt, d.fetchedAt ?? 0)), from: doc.fromAgency, to: d.recipient, ...listStatus(d),
  };
}

/** getReceivedEdocList: every pending delivery (queued or fetched, so listed until done), oldest first. */
export async function* receivedPages(ctx: HubContext, system: SystemRecord, kind: Kind | undefined, fromDay?: string, toDay?: string): AsyncGenerator<unknown[]> {
  const limit = ctx.limits.pageSizeMax;
  let afterSeq = 0;
  for (;;) {
    const items = await inbox(ctx, system, { ...(kind ? { kind } : {}), afterSeq, limit });
    yield items.filter((i) => {
      const day = vnDay(i.delivery.createdAt);
      return (fromDay === undefined || day >= fromDay) && (toDay === undefined || day <= toDay);
    }).map(receivedItem);
    const last = items.at(-1);
    if (items.length < limit || last === undefined) return;
    afterSeq = last.delivery.seq;
  }
}

/**
 * The packet's chunks, ready to send. The first is read before answering, so a packet that cannot be read at
 * all (its file missing, or a one-chunk packet whose digest no longer matches) is a proper FAIL rather than an
 * answer cut off after its head. The blob store already holds each stream's last chunk back until the digest
 * is checked, so a longer changed packet is cut off before its end: a client that trusts Content-Length never
 * takes it for the stored packet.
 */
export async function opened(stream: Readable): Promise<AsyncGenerator<Buffer>> {
  const it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const first = await it.next();
  return (async function* rest(): AsyncGenerator<Buffer> {
    try {
      for (let r = first; r.done !== true; r = await it.next()) yield r.value;
    } finally {
      await it.return?.();
    }
  })();
}

/**
 * The JSON answer of getEdoc as chunks: the packet's base64 is written as it is read, never held whole. Each chunk
 * is encoded where it lies (its first bytes completing the group the last one left open), not copied first.
 */
export async function* base64Answer(head: string, stream: AsyncIterable<Buffer>, tail: string): AsyncGenerator<string> {
  yield head;
  let carry: Buffer = Buffer.alloc(0);
  for await (const chunk of stream) {
    let from = 0;
    let lead = '';
    if (carry.length > 0) {
      from = Math.min(3 - carry.length, chunk.length);
      const group = Buffer.concat([carry, chunk.subarray(0, from)]);
      if (group.length < 3) {
        carry = group;
        continue;
      }
      lead = group.toString('base64');
    }
    const whole = from + (chunk.length - from) - ((chunk.length - from) % 3);
    yield lead + chunk.toString('base64', from, whole);
    carry = Buffer.from(chunk.subarray(whole));
  }
  yield carry.toString('base64') + tail;
}

/**
 * updateStatus: `done` and `fail` are the hub's acknowledgements (fail hands the delivery out again);
 * `processing` records that the receiver is storing it: an evidence event, and its list status.
 */
export async function updateStatus(ctx: HubContext, system: SystemRecord, docId: string, status: string): Promise<void> {
  const s = status.trim().toLowerCase();
  if (s === 'done') {
    await ackDelivery(ctx, system, docId, 'done');
    return;
  }
  if (s === 'fail') {
    await ackDelivery(ctx, system, docId, 'fail', 'updateStatus fail (VDXP API)');
    return;
  }
  if (s !== 'processing') throw new HubError('VDXP_E_BAD_REQUEST', `status "${status}" phai la done, fail hoac processing (must be done, fail or processing)`);
  const d = await ctx.store.getDelivery(docId);
  if (!d || !(await ctx.store.systemActsFor(system.id, d.recipient))) {
    throw new HubError('VDXP_E_DELIVERY_NOT_FOUND', `Khong co van ban ${docId} cho he thong ${system.id} (no delivery ${docId} for this system)`);
  }
  await ctx.store.transaction(async (tx) => {
    const current = await tx.getDelivery(docId);
    if (current?.lastReason === PROCESSING && canTake(current, 'processing')) return;
    if (!current || !(await transition(tx, current, 'processing', { lastReason: PROCESSING }))) {
      throw new HubError('VDXP_E_DELIVERY_GONE', `Van ban ${docId} dang o trang thai ${current?.state ?? 'unknown'} (is no longer pending)`, { details: { state: current?.state ?? null } });
    }
    await record(ctx, tx, { type: 'delivery:processing', actor: system.id, documentId: current.documentId, deliveryId: docId, data: { via: 'vdxp' } });
  });
}

const SEND_STATUS: Record<DeliveryRow['state'], string> = {
  queued: 'Da gui, cho don vi nhan tai ve',
  fetched: 'Don vi nhan da tai ve, chua xac nhan',
  done: 'Don vi nhan da nhan thanh cong',
  dead: 'Don vi nhan bao loi qua nhieu lan, da dung gui',
  expired: 'Het han, don vi nhan khong tai ve',
  recalled: 'Da thu hoi',
};

function sentRows(doc: DocumentRow, deliveries: DeliveryRow[]): Record<string, unknown>[] {
  const notation = [doc.codeNumber, doc.codeNotation].filter((x) => x).join('/');
  return deliveries.map((d) => ({
    serviceType: 'eDoc', messageType: doc.kind, senderDocId: doc.id, receiverDocId: d.id, fromCode: doc.fromAgency, toCode: d.recipient,
    title: doc.subject ?? '', notation, sentTime: vnTime(doc.receivedAt), receivedTime: vnTime(d.ackedAt ?? d.fetchedAt),
    sendStatus: d.state, sendStatusDesc: SEND_STATUS[d.state],
    receiveStatus: d.businessStatus ?? '',
    receiveStatusDesc: d.businessStatus !== null && isStatusCode(d.businessStatus) ? toAscii(STATUS_INFO[d.businessStatus].vi) : '',
  }));
}

/**
 * getSentEdocList: one row per recipient of each document this system sent (through either API): transport
 * state in sendStatus, the latest business status (01–06, 13, 15, 16) in receiveStatus. With `docId`, that
 * document only.
 */
export async function* sentPages(ctx: HubContext, system: SystemRecord, kind: Kind | undefined, docId: string | undefined): AsyncGenerator<unknown[]> {
  if (docId !== undefined) {
    const doc = await ctx.store.getDocument(docId);
    if (!doc || (doc.senderSystem !== system.id && !(await ctx.store.systemActsFor(system.id, doc.fromAgency)))) {
      throw new HubError('VDXP_E_DOCUMENT_NOT_FOUND', `Khong co van ban ${docId} do he thong ${system.id} gui (no document ${docId} sent by this system)`);
    }
    yield sentRows(doc, await ctx.store.deliveriesOfDocument(doc.id));
    return;
  }
  const limit = ctx.limits.pageSizeMax;
  let afterSeq = 0;
  for (;;) {
    const docs = await ctx.store.listSentDocuments(system.id, { afterSeq, limit, ...(kind ? { kind } : {}) });
    const rows: Record<string, unknown>[] = [];
    for (const doc of docs) rows.push(...sentRows(doc, await ctx.store.deliveriesOfDocument(doc.id)));
    yield rows;
    const last = docs.at(-1);
    if (docs.length < limit || last === undefined) return;
    afterSeq = last.seq;
  }
}
