// The evidence chain's link function, shared by every engine and by `vdxp audit verify`.

import { createHash } from 'node:crypto';

export interface HashedEventFields {
  seq: number;
  at: number;
  type: string;
  actor: string | null;
  documentId: string | null;
  deliveryId: string | null;
  /** The event's data exactly as stored (JSON text), so verification never depends on re-serialisation. */
  dataJson: string;
}

export function eventHash(prevHash: string, e: HashedEventFields): string {
  return createHash('sha256')
    .update([prevHash, e.seq, e.at, e.type, e.actor ?? '', e.documentId ?? '', e.deliveryId ?? '', e.dataJson].join('\n'))
    .digest('hex');
}
