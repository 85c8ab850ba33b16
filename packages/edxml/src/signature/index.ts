// The public face of XML signatures for edXML packets: streaming verification and signing, and the algorithm sets.

export {
  C14N_10,
  C14N_10_WITH_COMMENTS,
  CANONICALIZATION_METHODS,
  DIGEST_METHODS,
  DSIG_NAMESPACE,
  ENVELOPED_SIGNATURE_TRANSFORM,
  EXC_C14N,
  EXC_C14N_WITH_COMMENTS,
  RSA_SHA1,
  RSA_SHA256,
  RSA_SHA384,
  RSA_SHA512,
  SHA1,
  SHA256,
  SHA384,
  SHA512,
  SIGNATURE_METHODS,
  type CanonicalizationMethod,
  type DigestMethod,
  type SignatureMethod,
} from './algorithms.ts';
export {
  EDXML_SIGNATURE_PATH,
  PRE_SIGNATURE_BUFFER_CHARS_MAX,
  PacketSignatureVerifier,
  SIGNATURE_SUBTREE_CHARS_MAX,
  signatureVerdictError,
  verifyPacketSignature,
  type CertificateSummary,
  type InvalidSignatureVerdict,
  type PacketByteSource,
  type SignatureVerdict,
  type ValidSignatureVerdict,
  type VerifyPacketSignatureOptions,
} from './verify.ts';
export {
  DEFAULT_SIGNING_CANONICALIZATION,
  SIGNING_CANONICALIZATIONS,
  signPacket,
  type PacketSigningKey,
  type ReReadablePacketSource,
  type SignPacketOptions,
  type SignPacketResult,
  type SigningCanonicalization,
} from './sign.ts';
export type { SignatureProblemCode } from './signature-reading.ts';
