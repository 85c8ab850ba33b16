// The public face of @vdxp/edxml: the few names vendors and the hub may use.

export { EDXML_ERRORS, EdxmlError, isEdxmlError, type EdxmlErrorCode } from './errors.ts';
export { DEFAULT_LIMITS, withLimits, type EdxmlLimits } from './limits.ts';
export * from './model.ts';
export {
  parsePacket, parsePacketBytes, XMLDSIG_NS,
  type AttachmentSinkFactory, type AttachmentStart, type ByteSource, type ParseOptions,
} from './parse.ts';
export { buildPacket, buildPacketBytes, packetKind, type BuildAttachment, type PacketModel } from './build.ts';
export {
  STATUS_CODES, STATUS_INFO, STATUS_PARTIES, isStatusCode, statusTransitionError,
  type StatusCode, type StatusInfo, type StatusParty,
} from './status.ts';
export { RULES, SEVERITIES, VALIDATION_MODES, hasErrors, isEdxmlTimestamp, validatePacket, type Finding, type Rule, type RuleId, type Severity, type ValidationMode } from './validate.ts';
export * from './agency-code.ts';
export * from './document-id.ts';
export * from './sniff.ts';
export * from './zip.ts';
export * from './signature/index.ts';
export { EXAMPLES_DIR } from './examples.ts';
export { VN_UTC_OFFSET_MS, edxmlTimestamp } from './vietnam-time.ts';
