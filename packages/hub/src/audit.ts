// `vdxp audit verify`: recompute the evidence chain from the genesis, or from the last archive checkpoint after
// a cut, and check every stored packet against the digest its acceptance event recorded. Any changed byte of an
// event or a packet is reported, and so is a packet file no document names (start-up never scans for those: no
// crash can leave one). Archived segments are checked file by file (verifyArchive in archive.ts).

import type { HubContext } from './context.ts';
import { eventHash } from './store/event-hash.ts';
import { GENESIS_HASH } from './store/store.ts';

export interface AuditReport {
  ok: boolean;
  events: number;
  packets: number;
  /** Cuts made so far: the live chain starts after the last one's event. */
  archives: { checkpoints: number; events: number; documents: number };
  /** The first broken link, if any. */
  brokenAt?: { seq: number; reason: string };
  packetProblems: { documentId: string; reason: string }[];
  /** Digests of files in blobs/ that no document names: put there, or left behind, by something other than the hub. */
  unreferencedFiles: string[];
}

const PAGE = 5000;

export async function verifyAudit(ctx: HubContext): Promise<AuditReport> {
  let prev = GENESIS_HASH;
  let expectedSeq = 1;
  let events = 0;
  let brokenAt: AuditReport['brokenAt'];
  // The checkpoints continue each other from the genesis; the live chain continues the last one.
  const checkpoints = await ctx.store.checkpoints();
  const archives = { checkpoints: checkpoints.length, events: 0, documents: 0 };
  for (const c of checkpoints) {
    if (brokenAt === undefined && (c.firstSeq !== expectedSeq || c.prevHash !== prev)) {
      brokenAt = { seq: c.firstSeq, reason: `the archive checkpoint ${c.file} does not continue the one before it` };
    }
    archives.events += c.lastSeq - c.firstSeq + 1;
    archives.documents += c.documents;
    prev = c.hash;
    expectedSeq = c.lastSeq + 1;
  }
  const accepted = new Map<string, string>();
  for (let after = 0; ; ) {
    const page = await ctx.store.events(after, PAGE);
    if (page.length === 0) break;
    for (const e of page) {
      events++;
      if (brokenAt === undefined) {
        if (e.seq !== expectedSeq) brokenAt = { seq: e.seq, reason: `event ${expectedSeq} is missing` };
        else if (e.prevHash !== prev) brokenAt = { seq: e.seq, reason: 'prev_hash does not name the previous event' };
        else if (eventHash(prev, { ...e, dataJson: e.dataJson }) !== e.hash) brokenAt = { seq: e.seq, reason: 'the event was changed after it was written' };
      }
      if (e.type === 'document:accepted' && e.documentId && typeof e.data['digest'] === 'string') accepted.set(e.documentId, e.data['digest']);
      prev = e.hash;
      expectedSeq = e.seq + 1;
    }
    after = page.at(-1)?.seq ?? after;
  }
  const packetProblems: AuditReport['packetProblems'] = [];
  const checked = new Map<string, string | undefined>();
  for (const [documentId, digest] of accepted) {
    const doc = await ctx.store.getDocument(documentId);
    if (!doc) { packetProblems.push({ documentId, reason: 'the document row is missing' }); continue; }
    if (doc.digest !== digest) { packetProblems.push({ documentId, reason: 'the document row names another digest than its acceptance event' }); continue; }
    // Its acceptance is live, so no cut took it: a mark saying otherwise would hide its packet from this check.
    if (doc.archivedIn !== undefined) { packetProblems.push({ documentId, reason: `marked archived in ${doc.archivedIn}, but its acceptance event is in the live chain` }); continue; }
    if (!checked.has(digest)) checked.set(digest, await ctx.blobs.hashOf(digest));
    const actual = checked.get(digest);
    if (actual === undefined) packetProblems.push({ documentId, reason: 'the stored packet is missing' });
    else if (actual !== digest) packetProblems.push({ documentId, reason: 'the stored packet bytes changed' });
  }
  // Every archived document is covered by a checkpoint, as many as the cut archived.
  const byFile = new Map(checkpoints.map((c) => [c.file, c.documents]));
  for (const [file, n] of await ctx.store.archivedDocumentCounts()) {
    const want = byFile.get(file);
    if (want === undefined) packetProblems.push({ documentId: `(${n} documents)`, reason: `marked archived in ${file}, which no checkpoint names` });
    else if (want !== n) packetProblems.push({ documentId: `(${n} documents)`, reason: `marked archived in ${file}, whose checkpoint archived ${want}` });
  }
  const unreferencedFiles = await ctx.blobs.unreferencedFiles();
  return {
    ok: brokenAt === undefined && packetProblems.length === 0 && unreferencedFiles.length === 0, events, packets: accepted.size, archives,
    ...(brokenAt ? { brokenAt } : {}), packetProblems, unreferencedFiles,
  };
}
