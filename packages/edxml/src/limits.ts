// Every bound the edxml package enforces, in one place, units last in the name. Callers may lower or raise
// them per call (ParseOptions.limits); the hub names its own on top of these.

export interface EdxmlLimits {
  /** Whole packet, as read from the stream. */
  packetBytesMax: number;
  /** Characters of XML outside attachment payloads (header, manifest, attachment metadata). */
  headerCharsMax: number;
  /** Element nesting depth. */
  depthMax: number;
  /** Attachment elements in AttachmentEncoded. */
  attachmentsMax: number;
  /** Decoded bytes of one attachment. */
  attachmentBytesMax: number;
  /** Decoded bytes of all attachments together. */
  attachmentsTotalBytesMax: number;
  /** Characters of one text field of the header (Subject, Content…). */
  fieldCharsMax: number;
  /** Repeated header elements of one kind (To, ResponseFor, TraceHeader, Receiver…). */
  repeatedElementsMax: number;
  /** Decoded bytes kept from the start of each attachment for sniffing. */
  attachmentHeadBytes: number;
  /** Decompressed bytes allowed when unwrapping a one-file zip (zip-bomb guard). */
  unzipBytesMax: number;
  /** Compression ratio allowed when unwrapping a zip (zip-bomb guard). */
  unzipRatioMax: number;
}

export const DEFAULT_LIMITS: Readonly<EdxmlLimits> = Object.freeze({
  packetBytesMax: 2 * 1024 * 1024 * 1024,
  headerCharsMax: 4 * 1024 * 1024,
  depthMax: 32,
  attachmentsMax: 200,
  attachmentBytesMax: 1536 * 1024 * 1024,
  attachmentsTotalBytesMax: 1536 * 1024 * 1024,
  fieldCharsMax: 256 * 1024,
  repeatedElementsMax: 10_000,
  attachmentHeadBytes: 4096,
  unzipBytesMax: 1024 * 1024 * 1024,
  unzipRatioMax: 200,
});

export function withLimits(overrides?: Partial<EdxmlLimits>): EdxmlLimits {
  return { ...DEFAULT_LIMITS, ...overrides };
}
