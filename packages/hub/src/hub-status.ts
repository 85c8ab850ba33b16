// Status packets the hub writes itself (a recall it carried out before the recipient fetched the document),
// in the same edXML form recipients use, so every client reads them the same way.

import { buildPacketBytes, edxmlTimestamp, type EdxmlHeader } from '@vdxp/edxml';
import type { DocumentRow } from './store/store.ts';

export async function buildHubStatus(o: {
  recipientAgency: string; answered: DocumentRow; statusCode: string; description: string; now: number;
}): Promise<Buffer> {
  const h = o.answered.header as EdxmlHeader;
  const mh = h.MessageHeader;
  return buildPacketBytes({ header: { MessageHeader: {
    From: { OrganId: o.recipientAgency },
    To: [],
    ResponseFor: [{
      OrganId: o.answered.fromAgency,
      ...(mh.Code?.CodeNumber !== undefined ? { Code: `${mh.Code.CodeNumber}/${mh.Code.CodeNotation ?? ''}` } : {}),
      ...(mh.PromulgationInfo?.PromulgationDate !== undefined ? { PromulgationDate: mh.PromulgationInfo.PromulgationDate } : {}),
      DocumentId: o.answered.edxmlId ?? '',
    }],
    StaffInfo: { Department: 'vdxp', Staff: 'Trục liên thông vdxp' },
    StatusCode: o.statusCode,
    Description: o.description,
    Timestamp: edxmlTimestamp(o.now),
  } } });
}
