// One description of the edXML tree, read by both the parser and the builder so the two cannot drift apart.
// Order in each group is the order the builder writes (the regulation's, as VNPT's SDK writes it); the
// parser accepts any order.

export type Spec = TextSpec | GroupSpec | RepeatSpec | ListSpec;
/** A leaf element holding text. */
export interface TextSpec { readonly t: 'text' }
/** An element with named children; becomes an object. */
export interface GroupSpec { readonly t: 'group'; readonly fields: Readonly<Record<string, Spec>> }
/** An element that may stand several times in its parent; becomes an array under the element's name. */
export interface RepeatSpec { readonly t: 'repeat'; readonly item: TextSpec | GroupSpec }
/** A wrapper element whose children are all one repeated element; becomes an array under the wrapper's name. */
export interface ListSpec { readonly t: 'list'; readonly itemName: string; readonly item: TextSpec | GroupSpec }

const text: TextSpec = { t: 'text' };
const group = (fields: Record<string, Spec>): GroupSpec => ({ t: 'group', fields });
const repeat = (item: TextSpec | GroupSpec): RepeatSpec => ({ t: 'repeat', item });
const list = (itemName: string, item: TextSpec | GroupSpec): ListSpec => ({ t: 'list', itemName, item });

const organization = group({
  OrganId: text, OrganizationInCharge: text, OrganName: text, OrganAdd: text,
  Email: text, Telephone: text, Fax: text, Website: text,
});
const staffInfo = group({ Department: text, Staff: text, Email: text, Mobile: text });
const responseFor = group({ OrganId: text, Code: text, PromulgationDate: text, DocumentId: text });

export const MESSAGE_HEADER: GroupSpec = group({
  From: organization,
  To: repeat(organization),
  DocumentId: text,
  Code: group({ CodeNumber: text, CodeNotation: text }),
  PromulgationInfo: group({ Place: text, PromulgationDate: text }),
  DocumentType: group({ Type: text, TypeDetail: text, TypeName: text }),
  Subject: text,
  Content: text,
  SignerInfo: group({ Competence: text, Position: text, FullName: text }),
  DueDate: text,
  ToPlaces: list('Place', text),
  OtherInfo: group({
    Priority: text, SphereOfPromulgation: text, TyperNotation: text, PromulgationAmount: text,
    PageAmount: text, Direction: text, Appendixes: list('Appendix', text),
  }),
  ResponseFor: repeat(responseFor),
  SteeringType: text,
  StaffInfo: staffInfo,
  StatusCode: text,
  Description: text,
  Timestamp: text,
});

/** The status packet's MessageHeader children, in the order docs/edxml.md gives for them. */
export const STATUS_HEADER_ORDER = ['From', 'ResponseFor', 'StaffInfo', 'StatusCode', 'Description', 'Timestamp'] as const;

export const TRACE_HEADER_LIST: GroupSpec = group({
  TraceHeader: repeat(group({ OrganId: text, Timestamp: text })),
  Bussiness: group({
    DocumentId: text,
    BussinessDocType: text,
    BussinessDocReason: text,
    Paper: text,
    BussinessDocumentInfo: group({
      DocumentInfo: text,
      DocumentReceiver: text,
      ReceiverList: list('Receiver', group({ OrganId: text, ReceiverType: text })),
    }),
    ReplacementInfoList: list('ReplacementInfo', group({ DocumentId: text, OrganIdList: list('OrganId', text) })),
    StaffInfo: staffInfo,
  }),
});

export const MANIFEST_REFERENCE: GroupSpec = group({
  ContentId: text, ContentType: text, Description: text, AttachmentName: text,
});

/** Attachment metadata; ContentTransferEncoded (the base64 payload) is streamed, not part of the tree. */
export const ATTACHMENT: GroupSpec = group({
  ContentId: text, AttachmentName: text, Description: text, ContentType: text,
});
