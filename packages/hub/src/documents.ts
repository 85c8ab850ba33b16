// What a sender sees of its document: each recipient's transport state and business-status timeline, and
// the documents it is linked to (updates, revocations, replacements).

import type { HubContext } from './context.ts';
import { HubError } from './errors.ts';
import type { DocumentRow, SystemRecord } from './store/store.ts';

export interface DocumentView {
  id: string;
  kind: 'edoc' | 'status';
  businessType: number;
  from: string;
  documentId: string | null;
  subject: string | null;
  statusCode: string | null;
  answers: string | null;
  digest: string;
  bytes: number;
  receivedAt: string;
  signature: unknown;
  /** The archive file holding its packet once archived (the packet can no longer be fetched), else null. */
  archivedIn: string | null;
  deliveries: {
    id: string; recipient: string; addressedTo: string; state: string; attempts: number; businessStatus: string | null;
    overdue: boolean; fetchedAt: string | null; ackedAt: string | null; lastReason: string | null;
    statuses: { statusCode: string; description: string | null; at: string; statusDocument: string | null }[];
  }[];
  links: { documentId: string; relatedId: string; relation: string }[];
}

const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());

/** The document as its sender (or a recipient, for its own delivery) may see it. */
export async function documentView(ctx: HubContext, system: SystemRecord, id: string): Promise<DocumentView> {
  const doc = await ctx.store.getDocument(id);
  if (!doc) throw new HubError('VDXP_E_DOCUMENT_NOT_FOUND', `No document ${id}`);
  const isSender = doc.senderSystem === system.id || (await ctx.store.systemActsFor(system.id, doc.fromAgency));
  let deliveries = await ctx.store.deliveriesOfDocument(id);
  if (!isSender) {
    const mine = [];
    for (const d of deliveries) if (await ctx.store.systemActsFor(system.id, d.recipient)) mine.push(d);
    if (mine.length === 0) throw new HubError('VDXP_E_DOCUMENT_NOT_FOUND', `No document ${id} for system ${system.id}`);
    deliveries = mine;
  }
  const out: DocumentView['deliveries'] = [];
  for (const d of deliveries) {
    const statuses = await ctx.store.statusHistory(d.id);
    out.push({
      id: d.id, recipient: d.recipient, addressedTo: d.addressedTo, state: d.state, attempts: d.attempts, businessStatus: d.businessStatus,
      overdue: d.overdue, fetchedAt: iso(d.fetchedAt), ackedAt: iso(d.ackedAt), lastReason: d.lastReason,
      statuses: statuses.map((s) => ({ statusCode: s.statusCode, description: s.description, at: iso(s.at) as string, statusDocument: s.documentId })),
    });
  }
  return { ...summary(doc), deliveries: out, links: await ctx.store.documentLinks(id) };
}

function summary(doc: DocumentRow): Omit<DocumentView, 'deliveries' | 'links'> {
  return {
    id: doc.id, kind: doc.kind, businessType: doc.businessType, from: doc.fromAgency, documentId: doc.edxmlId, subject: doc.subject,
    statusCode: doc.statusCode, answers: doc.answers, digest: doc.digest, bytes: doc.bytes, receivedAt: iso(doc.receivedAt) as string,
    signature: doc.signature, archivedIn: doc.archivedIn ?? null,
  };
}
