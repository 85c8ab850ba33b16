// Stable error codes of the edxml package. Each has the HTTP status a server should answer with and a line in
// docs/errors.md (a test keeps the three in step). Outside problems are EdxmlError results, never crashes.

export const EDXML_ERRORS = {
  VDXP_E_XML_MALFORMED: { status: 400, title: 'The packet is not well-formed XML' },
  VDXP_E_XML_DTD: { status: 400, title: 'DTDs and entity declarations are refused (XXE, entity expansion)' },
  VDXP_E_XML_DEPTH: { status: 400, title: 'Elements are nested deeper than limits.depthMax' },
  VDXP_E_XML_ROOT: { status: 400, title: 'The root element is not edXML in the QCVN 102:2016 namespace' },
  VDXP_E_XML_TRUNCATED: { status: 400, title: 'The packet ended before its root element was closed' },
  VDXP_E_HEADER_TOO_LARGE: { status: 413, title: 'The XML outside attachments exceeds limits.headerCharsMax' },
  VDXP_E_FIELD_TOO_LARGE: { status: 413, title: 'A header field exceeds limits.fieldCharsMax' },
  VDXP_E_REPEAT_TOO_MANY: { status: 413, title: 'A repeated header element exceeds limits.repeatedElementsMax' },
  VDXP_E_PACKET_TOO_LARGE: { status: 413, title: 'The packet exceeds limits.packetBytesMax' },
  VDXP_E_ATTACHMENTS_TOO_MANY: { status: 413, title: 'More attachments than limits.attachmentsMax' },
  VDXP_E_ATTACHMENT_TOO_LARGE: { status: 413, title: 'An attachment, or all together, exceed the attachment byte limits' },
  VDXP_E_BASE64_INVALID: { status: 400, title: 'An attachment is not valid base64' },
  VDXP_E_HEADER_MISSING: { status: 422, title: 'A field every packet needs is missing (From/OrganId, a recipient, a status code)' },
  VDXP_E_SINK_FAILED: { status: 500, title: 'The attachment sink given to the parser failed' },
  VDXP_E_ZIP_INVALID: { status: 422, title: 'A zip payload is damaged or uses a feature that is not supported' },
  VDXP_E_ZIP_BOMB: { status: 422, title: 'A zip payload expands beyond limits.unzipBytesMax or limits.unzipRatioMax' },
  VDXP_E_AGENCY_CODE_INVALID: { status: 400, title: 'An agency code is not of the legacy NNN.NN.NN.XNN form where that form is required' },
  VDXP_E_DOCUMENT_ID_INVALID: { status: 400, title: 'A DocumentId is not of the form OrganId,yyyy/MM/dd,Number/Notation' },
  VDXP_E_SIGNATURE_INVALID: { status: 422, title: 'An XML signature is present but does not verify' },
  VDXP_E_SIGNATURE_UNSUPPORTED: { status: 422, title: 'An XML signature uses an algorithm or form that is not supported' },
  VDXP_E_MODEL_INVALID: { status: 400, title: 'A model given to the builder lacks what every packet needs' },
} as const satisfies Record<string, { status: number; title: string }>;

export type EdxmlErrorCode = keyof typeof EDXML_ERRORS;

export class EdxmlError extends Error {
  readonly code: EdxmlErrorCode;
  /** Where in the packet, as an element path (`edXML/edXMLEnvelope/…`) or a field path, when known. */
  readonly path: string | undefined;

  constructor(code: EdxmlErrorCode, message: string, options?: { path?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EdxmlError';
    this.code = code;
    this.path = options?.path;
  }

  get status(): number {
    return EDXML_ERRORS[this.code].status;
  }
}

export function isEdxmlError(e: unknown): e is EdxmlError {
  return e instanceof EdxmlError;
}
