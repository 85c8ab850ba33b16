// Signs an edXML packet, streaming: an enveloped rsa-sha256 Signature becomes the last child of edXMLHeader.
//
// Two passes over the source, because the Signature goes near the top but signs everything below it: pass 1
// canonicalizes and hashes the packet and notes where edXMLHeader ends; pass 2 copies the bytes unchanged and inserts
// the Signature there. Hence a re-readable source (a file path, or a function that opens the stream anew); a raw
// SHA-256 of both passes must agree, so a source that changed in between is an error, not a bad signature.

import { createHash, createPrivateKey, sign as cryptoSign, X509Certificate } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { EdxmlError } from '../errors.ts';
import { EDXML_NS } from '../model.ts';
import {
  C14N_10,
  DSIG_NAMESPACE,
  ENVELOPED_SIGNATURE_TRANSFORM,
  EXC_C14N,
  RSA_SHA256,
  SHA256,
} from './algorithms.ts';
import { Canonicalizer, canonicalizeEvents, escapeAttribute } from './c14n.ts';
import { TreeBuilder, replay } from './captured-tree.ts';
import { ScopeStack } from './namespace-scope.ts';
import type { NamespaceContext } from './namespace-scope.ts';
import { readSignature } from './signature-reading.ts';
import { summarizeCertificate } from './verify.ts';
import type { CertificateSummary, PacketByteSource } from './verify.ts';
import { XmlEventReader, readXmlString } from './xml-event-reader.ts';
import type { ReaderLimits } from './xml-event-reader.ts';
import type { XmlEventHandler, XmlStartElement } from './xml-events.ts';

/**
 * Exclusive c14n is the default: SignedInfo's canonical form then depends on SignedInfo alone. Under inclusive
 * c14n it also carries every namespace in scope in the packet (the edXML default namespace and `xmlns:edXML`),
 * which verifiers that canonicalize a detached copy of SignedInfo get wrong — the classic interop failure. Every
 * XML-DSig stack in use (xmlsec, Java, .NET, Santuario) implements both; inclusive stays available for receivers
 * that only know the legacy "c14n 2001".
 */
export const SIGNING_CANONICALIZATIONS = [EXC_C14N, C14N_10] as const;
export type SigningCanonicalization = (typeof SIGNING_CANONICALIZATIONS)[number];
export const DEFAULT_SIGNING_CANONICALIZATION: SigningCanonicalization = EXC_C14N;

/** A file path, or a function returning a fresh stream of the same bytes each time it is called. */
export type ReReadablePacketSource = string | URL | (() => PacketByteSource);

export interface PacketSigningKey {
  /** RSA private key (KeyObject or PEM). */
  privateKey: KeyObject | string | Buffer;
  /** The signer's X.509 certificate (X509Certificate, PEM or DER), written into KeyInfo. */
  certificate: X509Certificate | string | Buffer;
}

export interface SignPacketOptions {
  canonicalization?: SigningCanonicalization;
  limits?: Partial<ReaderLimits>;
}

export interface SignPacketResult {
  signatureAlgorithm: typeof RSA_SHA256;
  digestAlgorithm: typeof SHA256;
  canonicalization: SigningCanonicalization;
  /** Base64 SHA-256 of the canonical packet, as written in DigestValue. */
  digestValue: string;
  certificate: CertificateSummary;
  bytesRead: number;
  bytesWritten: number;
}

const SIGNATURE_PARENT_PATH = 'edXML/edXMLEnvelope/edXMLHeader';

function openSource(source: ReReadablePacketSource): PacketByteSource {
  return typeof source === 'function' ? source() : createReadStream(source);
}

async function* bytesOf(source: PacketByteSource): AsyncGenerator<Uint8Array> {
  for await (const chunk of source as AsyncIterable<unknown>) {
    if (!(chunk instanceof Uint8Array)) throw new TypeError('signPacket reads bytes: give it streams without an encoding');
    yield chunk;
  }
}

/** Pass 1: canonical digest of the packet, and where and in what namespace context the Signature will go. */
class DigestPass implements XmlEventHandler {
  readonly hash = createHash('sha256');
  readonly #canonicalizer: Canonicalizer;
  readonly #scopes = new ScopeStack();
  readonly #path: string[] = [];
  #reader: XmlEventReader | undefined;
  headerContext: NamespaceContext | undefined;
  headerChildren = 0;
  headerEndOffset = -1;

  constructor(canonicalization: SigningCanonicalization) {
    this.#canonicalizer = new Canonicalizer((s) => this.hash.update(s, 'utf8'), { method: canonicalization, omitComments: true });
  }

  attach(reader: XmlEventReader): void {
    this.#reader = reader;
  }

  startElement(e: XmlStartElement): void {
    if (e.uri === DSIG_NAMESPACE && e.local === 'Signature') {
      throw new EdxmlError(
        'VDXP_E_SIGNATURE_UNSUPPORTED',
        `The packet already carries a Signature (at ${[...this.#path, e.local].join('/')}); remove it before signing again`,
      );
    }
    if (this.#path.length === 0 && (e.local !== 'edXML' || e.uri !== EDXML_NS)) {
      throw new EdxmlError('VDXP_E_XML_ROOT', `The root element is {${e.uri}}${e.local}, not edXML in ${EDXML_NS}`);
    }
    if (this.#insideHeader()) this.headerChildren++;
    this.#scopes.push(e);
    this.#path.push(e.local);
    if (this.headerContext === undefined && this.#atHeader() && e.uri === EDXML_NS) this.headerContext = this.#scopes.current;
    this.#canonicalizer.startElement(e);
  }

  endElement(): void {
    if (this.headerEndOffset === -1 && this.headerContext !== undefined && this.#atHeader()) {
      this.headerEndOffset = this.#reader?.endTagByteOffset ?? -1;
    }
    this.#scopes.pop();
    this.#path.pop();
    this.#canonicalizer.endElement();
  }

  text(value: string): void {
    this.#canonicalizer.text(value);
  }

  comment(): void {
    // A URI="" reference never covers comments.
  }

  processingInstruction(target: string, data: string): void {
    this.#canonicalizer.processingInstruction(target, data);
  }

  #atHeader(): boolean {
    return this.#path.length === 3 && this.#path.join('/') === SIGNATURE_PARENT_PATH;
  }

  #insideHeader(): boolean {
    return this.headerEndOffset === -1 && this.headerContext !== undefined && this.#atHeader();
  }
}

function signatureXml(canonicalization: SigningCanonicalization, digest: string, value: string, certificate: string): string {
  const algorithm = (uri: string): string => `Algorithm="${escapeAttribute(uri)}"`;
  return (
    `<Signature xmlns="${DSIG_NAMESPACE}">` +
    '<SignedInfo>' +
    `<CanonicalizationMethod ${algorithm(canonicalization)}/>` +
    `<SignatureMethod ${algorithm(RSA_SHA256)}/>` +
    '<Reference URI="">' +
    `<Transforms><Transform ${algorithm(ENVELOPED_SIGNATURE_TRANSFORM)}/><Transform ${algorithm(canonicalization)}/></Transforms>` +
    `<DigestMethod ${algorithm(SHA256)}/>` +
    `<DigestValue>${digest}</DigestValue>` +
    '</Reference>' +
    '</SignedInfo>' +
    `<SignatureValue>${value}</SignatureValue>` +
    `<KeyInfo><X509Data><X509Certificate>${certificate}</X509Certificate></X509Data></KeyInfo>` +
    '</Signature>'
  );
}

/** SignedInfo canonicalized exactly as a verifier will, by the same code path that verifies. */
function canonicalSignedInfo(unsignedSignature: string, headerContext: NamespaceContext): Buffer {
  const builder = new TreeBuilder(Number.MAX_SAFE_INTEGER);
  readXmlString(unsignedSignature, builder);
  const root = builder.root;
  if (root === undefined) throw new Error('signPacket: the Signature it built did not parse');
  const reading = readSignature(root, headerContext);
  if (reading.checkable === undefined) throw new Error(`signPacket built a Signature it cannot read: ${reading.problem.reason}`);
  const { checkable } = reading;
  return Buffer.from(
    canonicalizeEvents((h) => replay(checkable.signedInfo, h), {
      method: checkable.canonicalization,
      inclusivePrefixes: checkable.inclusivePrefixes,
      subsetContext: checkable.signedInfoContext,
    }),
    'utf8',
  );
}

function loadSigner(signer: PacketSigningKey): { key: KeyObject; certificate: X509Certificate } {
  const key = typeof signer.privateKey === 'string' || Buffer.isBuffer(signer.privateKey)
    ? createPrivateKey(signer.privateKey)
    : signer.privateKey;
  if (key.type !== 'private' || key.asymmetricKeyType !== 'rsa') {
    throw new EdxmlError(
      'VDXP_E_SIGNATURE_UNSUPPORTED',
      `Signing needs an RSA private key (rsa-sha256); got a ${key.type} ${key.asymmetricKeyType ?? ''} key`,
    );
  }
  const certificate = signer.certificate instanceof X509Certificate ? signer.certificate : new X509Certificate(signer.certificate);
  if (!certificate.checkPrivateKey(key)) {
    throw new Error('signPacket: the private key does not belong to the certificate; a receiver would reject the signature');
  }
  return { key, certificate };
}

/**
 * Writes `source` to `output` with an enveloped Signature (rsa-sha256, sha256, {@link DEFAULT_SIGNING_CANONICALIZATION}
 * unless told) inserted as the last child of edXMLHeader; `output` is ended when done. The source is read twice and
 * never held in memory. Refuses a packet that is already signed or has no edXMLHeader. If it throws after output
 * began (the source changed between the passes), what was written must be discarded.
 */
export async function signPacket(
  source: ReReadablePacketSource,
  signer: PacketSigningKey,
  output: Writable,
  options?: SignPacketOptions,
): Promise<SignPacketResult> {
  const { key, certificate } = loadSigner(signer);
  const canonicalization = options?.canonicalization ?? DEFAULT_SIGNING_CANONICALIZATION;

  const pass = new DigestPass(canonicalization);
  const reader = new XmlEventReader(pass, { limits: options?.limits, trackEndTagOffsets: true });
  pass.attach(reader);
  const rawFirst = createHash('sha256');
  for await (const chunk of bytesOf(openSource(source))) {
    rawFirst.update(chunk);
    reader.write(chunk);
  }
  reader.end();
  if (pass.headerContext === undefined || pass.headerEndOffset < 0 || pass.headerChildren === 0) {
    throw new EdxmlError('VDXP_E_HEADER_MISSING', `The packet has no non-empty ${SIGNATURE_PARENT_PATH} to put the Signature in`, {
      path: SIGNATURE_PARENT_PATH,
    });
  }

  const digestValue = pass.hash.digest('base64');
  const certificateBase64 = certificate.raw.toString('base64');
  const signedInfo = canonicalSignedInfo(signatureXml(canonicalization, digestValue, '', certificateBase64), pass.headerContext);
  const signatureValue = cryptoSign('sha256', signedInfo, key).toString('base64');
  const signature = Buffer.from(signatureXml(canonicalization, digestValue, signatureValue, certificateBase64), 'utf8');

  const insertAt = pass.headerEndOffset;
  const rawSecond = createHash('sha256');
  let bytesRead = 0;
  let bytesWritten = 0;
  await pipeline(async function* () {
    for await (const chunk of bytesOf(openSource(source))) {
      rawSecond.update(chunk);
      const start = bytesRead;
      bytesRead += chunk.length;
      if (start <= insertAt && insertAt < bytesRead) {
        const cut = insertAt - start;
        if (cut > 0) yield chunk.subarray(0, cut);
        yield signature;
        yield chunk.subarray(cut);
        bytesWritten += chunk.length + signature.length;
      } else {
        yield chunk;
        bytesWritten += chunk.length;
      }
    }
  }, output);
  if (!rawSecond.digest().equals(rawFirst.digest())) {
    throw new Error('signPacket: the source gave different bytes on the second read; discard the output');
  }

  return {
    signatureAlgorithm: RSA_SHA256,
    digestAlgorithm: SHA256,
    canonicalization,
    digestValue,
    certificate: summarizeCertificate(certificate),
    bytesRead,
    bytesWritten,
  };
}
