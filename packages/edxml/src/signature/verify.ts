// Verifies the enveloped XML-DSig Signature of an edXML packet in one streaming pass, in bounded memory.
//
// The digest covers the whole packet, yet which canonicalization and hash to use is only known once the Signature
// (in edXMLHeader, near the top) has been read. So events before it are buffered (the header: small, and capped),
// then replayed into the canonicalizer, and everything after — the attachments — streams straight into the hash.

import { createHash, timingSafeEqual, verify as cryptoVerify, X509Certificate } from 'node:crypto';
import type { Hash, KeyObject } from 'node:crypto';
import type { Readable } from 'node:stream';
import { EdxmlError } from '../errors.ts';
import { DIGEST_HASH, DSIG_NAMESPACE, SIGNATURE_HASH } from './algorithms.ts';
import type { CanonicalizationMethod, DigestMethod, SignatureMethod } from './algorithms.ts';
import { Canonicalizer, canonicalizeEvents } from './c14n.ts';
import { TreeBuilder, replay } from './captured-tree.ts';
import { ScopeStack } from './namespace-scope.ts';
import type { NamespaceContext } from './namespace-scope.ts';
import { readSignature } from './signature-reading.ts';
import type { CheckableSignature, SignatureClaims, SignatureProblem, SignatureProblemCode } from './signature-reading.ts';
import { XmlEventReader } from './xml-event-reader.ts';
import type { ReaderLimits } from './xml-event-reader.ts';
import type { XmlEventHandler, XmlStartElement } from './xml-events.ts';

/** Characters of document content kept while waiting for the Signature. edXML puts it in edXMLHeader, and the parser
 * caps everything outside attachments at limits.headerCharsMax (4 Mi chars), so the same figure. */
export const PRE_SIGNATURE_BUFFER_CHARS_MAX = 4 * 1024 * 1024;

/** Characters of the Signature subtree kept in memory. A certificate chain of five is about 10 K. */
export const SIGNATURE_SUBTREE_CHARS_MAX = 1024 * 1024;

/** Where QCVN 102:2016 puts the packet signature (element local names). */
export const EDXML_SIGNATURE_PATH = 'edXML/edXMLEnvelope/edXMLHeader/Signature';

export interface CertificateSummary {
  subject: string;
  issuer: string;
  serialNumber: string;
  validFrom: string;
  validTo: string;
  fingerprint256: string;
  pem: string;
}

interface VerdictCommon {
  present: true;
  /** Element path (local names) of the Signature; {@link EDXML_SIGNATURE_PATH} in a conforming packet. */
  path: string;
  /** Transform algorithms of the Reference, in order. */
  referenceTransforms: readonly string[];
  /** The signer's certificate from KeyInfo: the one whose key verified, else the first. Not checked against any
   * trust anchor or date: that is the caller's policy. */
  certificate: CertificateSummary | undefined;
}

export interface ValidSignatureVerdict extends VerdictCommon {
  valid: true;
  signatureAlgorithm: SignatureMethod;
  digestAlgorithm: DigestMethod;
  /** SignedInfo's CanonicalizationMethod. */
  canonicalization: CanonicalizationMethod;
}

export interface InvalidSignatureVerdict extends VerdictCommon {
  valid: false;
  code: SignatureProblemCode;
  reason: string;
  /** As written in the Signature, possibly unsupported or absent. */
  signatureAlgorithm: string | undefined;
  digestAlgorithm: string | undefined;
  canonicalization: string | undefined;
}

export type SignatureVerdict = { present: false } | ValidSignatureVerdict | InvalidSignatureVerdict;

export interface VerifyPacketSignatureOptions {
  limits?: Partial<ReaderLimits>;
  /** Check the SignatureValue with this key (say, from the agency registry) instead of the key in KeyInfo. */
  publicKey?: KeyObject | X509Certificate;
}

export function summarizeCertificate(certificate: X509Certificate): CertificateSummary {
  return {
    subject: certificate.subject,
    issuer: certificate.issuer,
    serialNumber: certificate.serialNumber,
    validFrom: certificate.validFrom,
    validTo: certificate.validTo,
    fingerprint256: certificate.fingerprint256,
    pem: certificate.toString(),
  };
}

type PendingEvent =
  | { readonly kind: 'start'; readonly element: XmlStartElement }
  | { readonly kind: 'end' }
  | { readonly kind: 'text'; readonly value: string }
  | { readonly kind: 'pi'; readonly target: string; readonly data: string };

function apply(e: PendingEvent, handler: XmlEventHandler): void {
  if (e.kind === 'start') handler.startElement(e.element);
  else if (e.kind === 'end') handler.endElement();
  else if (e.kind === 'text') handler.text(e.value);
  else handler.processingInstruction(e.target, e.data);
}

function pendingChars(e: PendingEvent): number {
  switch (e.kind) {
    case 'start': {
      let n = e.element.qname.length;
      for (const a of e.element.attributes) n += a.qname.length + a.value.length;
      for (const [p, u] of e.element.namespaceDeclarations) n += p.length + u.length;
      return n;
    }
    case 'end':
      return 1;
    case 'text':
      return e.value.length;
    case 'pi':
      return e.target.length + e.data.length;
  }
}

interface Capture {
  readonly builder: TreeBuilder;
  readonly context: NamespaceContext;
  readonly path: string;
  depth: number;
}

interface SeenSignature {
  readonly path: string;
  readonly claims: SignatureClaims;
  readonly checkable: CheckableSignature | undefined;
  readonly problem: SignatureProblem | undefined;
}

/**
 * Feed the packet bytes as they arrive (`write`), then `end()` for the verdict. Meant to sit beside a parser that
 * is already reading the stream, so a packet is verified, parsed and stored in one pass.
 *
 * Malformed XML, a DTD, or a breached limit throw an EdxmlError (from write or end); a missing, unsupported or
 * failing signature is a verdict.
 */
export class PacketSignatureVerifier {
  readonly #reader: XmlEventReader;
  readonly #publicKey: KeyObject | undefined;
  readonly #scopes = new ScopeStack();
  readonly #path: string[] = [];
  /** Events before the Signature; undefined once replayed, or dropped for exceeding the cap. */
  #pending: PendingEvent[] | undefined = [];
  #pendingChars = 0;
  #capture: Capture | undefined;
  #signature: SeenSignature | undefined;
  #digest: { readonly hash: Hash; readonly canonicalizer: Canonicalizer } | undefined;
  #verdict: SignatureVerdict | undefined;

  constructor(options?: VerifyPacketSignatureOptions) {
    const key = options?.publicKey;
    this.#publicKey = key instanceof X509Certificate ? key.publicKey : key;
    const handler: XmlEventHandler = {
      startElement: (e) => this.#startElement(e),
      endElement: () => this.#endElement(),
      text: (value) => (this.#capture ? this.#capture.builder.text(value) : this.#forward({ kind: 'text', value })),
      // A URI="" reference never covers comments, so only the Signature's own ones are kept (for SignedInfo).
      comment: (value) => this.#capture?.builder.comment(value),
      processingInstruction: (target, data) =>
        this.#capture
          ? this.#capture.builder.processingInstruction(target, data)
          : this.#forward({ kind: 'pi', target, data }),
    };
    this.#reader = new XmlEventReader(handler, { limits: options?.limits });
  }

  write(chunk: Uint8Array): void {
    if (this.#verdict !== undefined) throw new Error('PacketSignatureVerifier: write after end');
    this.#reader.write(chunk);
  }

  end(): SignatureVerdict {
    if (this.#verdict !== undefined) return this.#verdict;
    this.#reader.end();
    this.#verdict = this.#conclude();
    return this.#verdict;
  }

  #startElement(e: XmlStartElement): void {
    const capture = this.#capture;
    if (capture !== undefined) {
      capture.depth++;
      capture.builder.startElement(e);
      return;
    }
    if (this.#signature === undefined && e.uri === DSIG_NAMESPACE && e.local === 'Signature') {
      // The first ds:Signature is the packet's; the enveloped transform removes exactly it from the digest.
      const builder = new TreeBuilder(SIGNATURE_SUBTREE_CHARS_MAX);
      builder.startElement(e);
      this.#capture = { builder, context: this.#scopes.current, path: [...this.#path, e.local].join('/'), depth: 1 };
      return;
    }
    this.#scopes.push(e);
    this.#path.push(e.local);
    this.#forward({ kind: 'start', element: e });
  }

  #endElement(): void {
    const capture = this.#capture;
    if (capture !== undefined) {
      capture.builder.endElement();
      capture.depth--;
      if (capture.depth === 0) {
        this.#capture = undefined;
        this.#signatureCaptured(capture);
      }
      return;
    }
    this.#scopes.pop();
    this.#path.pop();
    this.#forward({ kind: 'end' });
  }

  #forward(event: PendingEvent): void {
    if (this.#digest !== undefined) {
      apply(event, this.#digest.canonicalizer);
      return;
    }
    if (this.#pending === undefined) return;
    this.#pendingChars += pendingChars(event);
    if (this.#pendingChars > PRE_SIGNATURE_BUFFER_CHARS_MAX) {
      this.#pending = undefined;
      return;
    }
    this.#pending.push(event);
  }

  #signatureCaptured(capture: Capture): void {
    const root = capture.builder.root;
    if (root === undefined) {
      this.#signature = {
        path: capture.path,
        claims: { signatureAlgorithm: undefined, digestAlgorithm: undefined, canonicalization: undefined, referenceTransforms: [], certificates: [] },
        checkable: undefined,
        problem: {
          code: 'VDXP_E_SIGNATURE_UNSUPPORTED',
          reason: `The Signature element is larger than ${SIGNATURE_SUBTREE_CHARS_MAX} characters (SIGNATURE_SUBTREE_CHARS_MAX)`,
        },
      };
      return;
    }
    const reading = readSignature(root, capture.context);
    let problem = reading.problem;
    const pending = this.#pending;
    if (problem === undefined && pending === undefined) {
      problem = {
        code: 'VDXP_E_SIGNATURE_UNSUPPORTED',
        reason:
          `The Signature comes after more than ${PRE_SIGNATURE_BUFFER_CHARS_MAX} characters of the packet ` +
          '(PRE_SIGNATURE_BUFFER_CHARS_MAX); a streaming verifier needs it in edXMLHeader, before body and attachments',
      };
    }
    this.#signature = { path: capture.path, claims: reading.claims, checkable: reading.checkable, problem };
    this.#pending = undefined;
    if (problem !== undefined || reading.checkable === undefined || pending === undefined) return;

    const hash = createHash(DIGEST_HASH[reading.checkable.digestAlgorithm]);
    const canonicalizer = new Canonicalizer((s) => hash.update(s, 'utf8'), {
      method: reading.checkable.referenceCanonicalization,
      inclusivePrefixes: reading.checkable.referenceInclusivePrefixes,
      omitComments: true,
    });
    for (const event of pending) apply(event, canonicalizer);
    this.#digest = { hash, canonicalizer };
  }

  #conclude(): SignatureVerdict {
    const signature = this.#signature;
    if (signature === undefined) return { present: false };
    const { claims } = signature;
    const invalid = (problem: SignatureProblem, certificate = claims.certificates[0]): InvalidSignatureVerdict => ({
      present: true,
      valid: false,
      code: problem.code,
      reason: problem.reason,
      path: signature.path,
      signatureAlgorithm: claims.signatureAlgorithm,
      digestAlgorithm: claims.digestAlgorithm,
      canonicalization: claims.canonicalization,
      referenceTransforms: claims.referenceTransforms,
      certificate: certificate === undefined ? undefined : summarizeCertificate(certificate),
    });
    const checkable = signature.checkable;
    if (signature.problem !== undefined || checkable === undefined || this.#digest === undefined) {
      return invalid(signature.problem ?? { code: 'VDXP_E_SIGNATURE_UNSUPPORTED', reason: 'The Signature cannot be checked' });
    }

    const candidates: { key: KeyObject; certificate: X509Certificate | undefined }[] = [];
    if (this.#publicKey !== undefined) candidates.push({ key: this.#publicKey, certificate: undefined });
    else {
      for (const certificate of claims.certificates) candidates.push({ key: certificate.publicKey, certificate });
      if (checkable.keyValue !== undefined) candidates.push({ key: checkable.keyValue, certificate: undefined });
    }
    if (candidates.length === 0) {
      return invalid({
        code: 'VDXP_E_SIGNATURE_UNSUPPORTED',
        reason: 'KeyInfo carries no X509Certificate or RSAKeyValue to check the signature with (pass options.publicKey)',
      });
    }

    const signedInfo = Buffer.from(
      canonicalizeEvents((h) => replay(checkable.signedInfo, h), {
        method: checkable.canonicalization,
        inclusivePrefixes: checkable.inclusivePrefixes,
        subsetContext: checkable.signedInfoContext,
      }),
      'utf8',
    );
    const hashName = SIGNATURE_HASH[checkable.signatureAlgorithm];
    const signer = candidates.find(({ key }) => rsaVerifies(hashName, signedInfo, key, checkable.signatureValue));

    const digest = this.#digest.hash.digest();
    const digestMatches = digest.length === checkable.digestValue.length && timingSafeEqual(digest, checkable.digestValue);
    const certificate = signer?.certificate ?? claims.certificates[0];
    const failures: string[] = [];
    if (!digestMatches) failures.push('The packet does not match the signed DigestValue: it was changed after signing.');
    if (signer === undefined) {
      const keyTypes = [...new Set(candidates.map(({ key }) => key.asymmetricKeyType))].join(', ');
      failures.push(
        keyTypes === 'rsa'
          ? "The SignatureValue does not verify with the signer's key: SignedInfo was changed, or the key is not the signer's."
          : `The signer's key is ${keyTypes} but the SignatureMethod is RSA.`,
      );
    }
    if (failures.length > 0) return invalid({ code: 'VDXP_E_SIGNATURE_INVALID', reason: failures.join(' ') }, certificate);
    return {
      present: true,
      valid: true,
      path: signature.path,
      signatureAlgorithm: checkable.signatureAlgorithm,
      digestAlgorithm: checkable.digestAlgorithm,
      canonicalization: checkable.canonicalization,
      referenceTransforms: claims.referenceTransforms,
      certificate: certificate === undefined ? undefined : summarizeCertificate(certificate),
    };
  }
}

function rsaVerifies(hashName: string, data: Buffer, key: KeyObject, signature: Buffer): boolean {
  if (key.asymmetricKeyType !== 'rsa') return false;
  try {
    return cryptoVerify(hashName, data, key, signature);
  } catch {
    // OpenSSL refuses some inputs outright (a signature longer than the modulus): that is a failed check too.
    return false;
  }
}

export type PacketByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array> | Readable;

/** Reads the whole source (never holding it) and returns the verdict; see {@link PacketSignatureVerifier}. */
export async function verifyPacketSignature(
  source: PacketByteSource,
  options?: VerifyPacketSignatureOptions,
): Promise<SignatureVerdict> {
  const verifier = new PacketSignatureVerifier(options);
  for await (const chunk of source as AsyncIterable<unknown>) {
    if (!(chunk instanceof Uint8Array)) {
      throw new TypeError('verifyPacketSignature reads bytes: give it a stream without an encoding set');
    }
    verifier.write(chunk);
  }
  return verifier.end();
}

/** For callers who treat a bad signature as an error: the EdxmlError a verdict amounts to, if any. */
export function signatureVerdictError(verdict: SignatureVerdict): EdxmlError | undefined {
  if (!verdict.present || verdict.valid) return undefined;
  return new EdxmlError(verdict.code, `The packet signature does not hold: ${verdict.reason}`, { path: verdict.path });
}
