// The typed edXML model: field names are the protocol's own element names (QCVN 102:2016), `Bussiness` included.
// Every leaf is kept as the exact text the producer wrote; formats are checked by validate.ts, not here.

export const EDXML_NS = 'http://www.mic.gov.vn/TBT/QCVN_102_2016';

export const PACKET_KINDS = ['edoc', 'status'] as const;
export type PacketKind = (typeof PACKET_KINDS)[number];

export interface Organization {
  OrganId: string;
  OrganizationInCharge?: string;
  OrganName?: string;
  OrganAdd?: string;
  Email?: string;
  Telephone?: string;
  Fax?: string;
  Website?: string;
}

export interface Code {
  CodeNumber?: string;
  CodeNotation?: string;
}

export interface PromulgationInfo {
  Place?: string;
  PromulgationDate?: string;
}

export interface DocumentType {
  Type?: string;
  TypeDetail?: string;
  TypeName?: string;
}

export interface SignerInfo {
  Competence?: string;
  Position?: string;
  FullName?: string;
}

export interface OtherInfo {
  Priority?: string;
  SphereOfPromulgation?: string;
  TyperNotation?: string;
  PromulgationAmount?: string;
  PageAmount?: string;
  Direction?: string;
  Appendixes?: string[];
}

/** The document this packet answers (status packets) or relates to (edocs). `Code` is plain text here. */
export interface ResponseFor {
  OrganId?: string;
  Code?: string;
  PromulgationDate?: string;
  DocumentId?: string;
}

export interface StaffInfo {
  Department?: string;
  Staff?: string;
  Email?: string;
  Mobile?: string;
}

export interface TraceHeader {
  OrganId?: string;
  Timestamp?: string;
}

export interface Receiver {
  OrganId?: string;
  /** 0 = removed from the recipients, 1 = added (update packets). */
  ReceiverType?: string;
}

export interface BussinessDocumentInfo {
  DocumentInfo?: string;
  DocumentReceiver?: string;
  ReceiverList?: Receiver[];
}

export interface ReplacementInfo {
  DocumentId?: string;
  OrganIdList?: string[];
}

/** The protocol's spelling, kept. BussinessDocType: 0 new, 1 revoke, 2 update, 3 replace. */
export interface Bussiness {
  DocumentId?: string;
  BussinessDocType?: string;
  BussinessDocReason?: string;
  Paper?: string;
  BussinessDocumentInfo?: BussinessDocumentInfo;
  ReplacementInfoList?: ReplacementInfo[];
  StaffInfo?: StaffInfo;
}

/** MessageHeader of both packet kinds: edoc fields and status fields side by side, all optional but From. */
export interface MessageHeader {
  From: Organization;
  To: Organization[];
  DocumentId?: string;
  Code?: Code;
  PromulgationInfo?: PromulgationInfo;
  DocumentType?: DocumentType;
  Subject?: string;
  Content?: string;
  SignerInfo?: SignerInfo;
  DueDate?: string;
  ToPlaces?: string[];
  OtherInfo?: OtherInfo;
  ResponseFor: ResponseFor[];
  SteeringType?: string;
  // status packets
  StaffInfo?: StaffInfo;
  StatusCode?: string;
  Description?: string;
  Timestamp?: string;
}

export interface TraceHeaderList {
  TraceHeader: TraceHeader[];
  Bussiness?: Bussiness;
}

export interface ManifestReference {
  ContentId?: string;
  ContentType?: string;
  Description?: string;
  AttachmentName?: string;
}

/** An attachment as declared in AttachmentEncoded (its bytes are streamed to a sink, never kept here). */
export interface AttachmentHeader {
  ContentId?: string;
  AttachmentName?: string;
  Description?: string;
  ContentType?: string;
}

/** What the parser measured of one attachment's decoded bytes. */
export interface AttachmentSummary extends AttachmentHeader {
  /** Position in AttachmentEncoded, from 0. */
  index: number;
  /** Decoded size in bytes. */
  bytes: number;
  /** Lowercase hex SHA-256 of the decoded bytes. */
  sha256: string;
  /** The first decoded bytes (at most limits.attachmentHeadBytes), for payload sniffing. */
  head: Uint8Array;
}

export interface EdxmlHeader {
  MessageHeader: MessageHeader;
  TraceHeaderList?: TraceHeaderList;
  /** edXMLManifest/@version, when present. */
  ManifestVersion?: string;
  Manifest: ManifestReference[];
}

export interface ParsedPacket {
  kind: PacketKind;
  header: EdxmlHeader;
  attachments: AttachmentSummary[];
  /** Whether the header carries an XML-DSig Signature element (verification is signature/verify.ts's job). */
  signaturePresent: boolean;
  /** Element paths the parser did not know and skipped (lenient), or repeats it ignored; at most 100. */
  unknownElements: string[];
}
