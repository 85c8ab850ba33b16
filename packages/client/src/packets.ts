// Models of the packets an agency system writes besides its documents: statuses (incl. a recall, 13) and
// the business changes of an edoc (revoke 1, update 2, replace 3), in the form VNPT's samples use.

import { edxmlTimestamp, type PacketModel } from '@vdxp/edxml';

export interface StatusDraft {
  /** Our agency code (the status's From). */
  from: string;
  /**
   * ResponseFor/OrganId: the document's sender for statuses a recipient sends (01–06, 15, 16); the recipient
   * for a recall (13), which the sender sends.
   */
  about: string;
  /** The edXML DocumentId of the document concerned. */
  documentId: string;
  code: '01' | '02' | '03' | '04' | '05' | '06' | '13' | '15' | '16';
  description?: string;
  staff?: string;
  department?: string;
  /** The status's Timestamp (Việt Nam time in the packet); default now. */
  now?: Date;
}

export function statusModel(d: StatusDraft): PacketModel {
  return { header: { MessageHeader: {
    From: { OrganId: d.from },
    To: [],
    ResponseFor: [{ OrganId: d.about, DocumentId: d.documentId }],
    StaffInfo: { Staff: d.staff ?? 'Văn thư', ...(d.department ? { Department: d.department } : {}) },
    StatusCode: d.code,
    ...(d.description !== undefined ? { Description: d.description } : {}),
    Timestamp: edxmlTimestamp((d.now ?? new Date()).getTime()),
  } } };
}

export type BusinessChange =
  | { type: 'revoke'; documentId: string; reason: string }
  | { type: 'update'; documentId: string; reason: string; add?: string[]; remove?: string[] }
  | { type: 'replace'; replaces: { documentId: string; organIds: string[] }[]; reason: string };

const DOC_TYPE = { revoke: '1', update: '2', replace: '3' } as const;

/** The model with its TraceHeaderList/Bussiness saying what it changes. */
export function businessModel(model: PacketModel, c: BusinessChange): PacketModel {
  const receivers = c.type === 'update'
    ? [...(c.add ?? []).map((OrganId) => ({ OrganId, ReceiverType: '1' })), ...(c.remove ?? []).map((OrganId) => ({ OrganId, ReceiverType: '0' }))]
    : [];
  return {
    ...model,
    header: {
      ...model.header,
      TraceHeaderList: {
        TraceHeader: model.header.TraceHeaderList?.TraceHeader ?? [],
        Bussiness: {
          BussinessDocType: DOC_TYPE[c.type],
          BussinessDocReason: c.reason,
          ...(c.type === 'replace'
            ? { ReplacementInfoList: c.replaces.map((r) => ({ DocumentId: r.documentId, OrganIdList: r.organIds })) }
            : { DocumentId: c.documentId }),
          ...(receivers.length > 0 ? { BussinessDocumentInfo: { ReceiverList: receivers } } : {}),
        },
      },
    },
  };
}
