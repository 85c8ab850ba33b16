// Reads a captured ds:Signature element: what it claims (algorithms, digest, key) and whether we can check that.

import { X509Certificate, createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import {
  CANONICALIZATION_METHODS,
  C14N_10,
  DIGEST_METHODS,
  DSIG_NAMESPACE,
  ENVELOPED_SIGNATURE_TRANSFORM,
  EXC_C14N_NAMESPACE,
  SIGNATURE_METHODS,
  isExclusive,
  isOneOf,
} from './algorithms.ts';
import type { CanonicalizationMethod, DigestMethod, SignatureMethod } from './algorithms.ts';
import { attributeValue, childElements, textContent } from './captured-tree.ts';
import type { CapturedElement } from './captured-tree.ts';
import { enterElement } from './namespace-scope.ts';
import type { NamespaceContext } from './namespace-scope.ts';

export type SignatureProblemCode = 'VDXP_E_SIGNATURE_INVALID' | 'VDXP_E_SIGNATURE_UNSUPPORTED';

export interface SignatureProblem {
  readonly code: SignatureProblemCode;
  readonly reason: string;
}

/** What the Signature says, as written (URIs may be ones we do not support). */
export interface SignatureClaims {
  signatureAlgorithm: string | undefined;
  digestAlgorithm: string | undefined;
  /** SignedInfo's CanonicalizationMethod. */
  canonicalization: string | undefined;
  /** The Reference's Transform algorithms, in order. */
  referenceTransforms: string[];
  certificates: X509Certificate[];
}

/** Everything needed to check a Signature we support. */
export interface CheckableSignature {
  readonly signedInfo: CapturedElement;
  /** Context of SignedInfo's parent (the Signature element), for canonicalizing SignedInfo as a subset. */
  readonly signedInfoContext: NamespaceContext;
  readonly canonicalization: CanonicalizationMethod;
  readonly inclusivePrefixes: readonly string[];
  readonly signatureAlgorithm: SignatureMethod;
  readonly signatureValue: Buffer;
  readonly digestAlgorithm: DigestMethod;
  readonly digestValue: Buffer;
  /** How the document (minus the Signature) is canonicalized for the digest. */
  readonly referenceCanonicalization: CanonicalizationMethod;
  readonly referenceInclusivePrefixes: readonly string[];
  /** From KeyInfo/KeyValue/RSAKeyValue, when there is one. */
  readonly keyValue: KeyObject | undefined;
}

export type SignatureReading =
  | { readonly claims: SignatureClaims; readonly checkable: CheckableSignature; readonly problem?: undefined }
  | { readonly claims: SignatureClaims; readonly checkable?: undefined; readonly problem: SignatureProblem };

class Unsupported extends Error {}
class Invalid extends Error {}

function dsigChildren(element: CapturedElement, local: string): CapturedElement[] {
  return childElements(element, DSIG_NAMESPACE, local);
}

function exactlyOne(element: CapturedElement, local: string): CapturedElement {
  const found = dsigChildren(element, local);
  const only = found[0];
  if (found.length !== 1 || only === undefined) {
    throw new Invalid(`${element.start.local} must have exactly one ${local} (found ${found.length})`);
  }
  return only;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** ds:CryptoBinary and base64Binary allow XML whitespace anywhere (xmlsec1 wraps lines at 64). */
export function decodeBase64(text: string, what: string): Buffer {
  const compact = text.replace(/[ \t\r\n]+/g, '');
  if (!BASE64.test(compact)) throw new Invalid(`${what} is not valid base64`);
  return Buffer.from(compact, 'base64');
}

function inclusivePrefixesOf(method: CapturedElement): string[] {
  const list = childElements(method, EXC_C14N_NAMESPACE, 'InclusiveNamespaces')[0];
  const prefixList = list === undefined ? undefined : attributeValue(list, 'PrefixList');
  return prefixList === undefined ? [] : prefixList.split(/[ \t\r\n]+/).filter((p) => p !== '');
}

function readCanonicalizationMethod(method: CapturedElement, where: string): CanonicalizationMethod {
  const algorithm = attributeValue(method, 'Algorithm');
  if (!isOneOf(CANONICALIZATION_METHODS, algorithm)) {
    throw new Unsupported(`${where} ${algorithm ?? '(no Algorithm)'} is not supported`);
  }
  return algorithm;
}

function base64Url(bytes: Buffer): string {
  return bytes.toString('base64url');
}

function readKeyInfo(signature: CapturedElement, claims: SignatureClaims): KeyObject | undefined {
  const keyInfo = dsigChildren(signature, 'KeyInfo')[0];
  if (keyInfo === undefined) return undefined;
  for (const data of dsigChildren(keyInfo, 'X509Data')) {
    for (const element of dsigChildren(data, 'X509Certificate')) {
      try {
        claims.certificates.push(new X509Certificate(decodeBase64(textContent(element), 'X509Certificate')));
      } catch (e) {
        throw new Invalid(`KeyInfo holds an X509Certificate that cannot be read (${(e as Error).message})`);
      }
    }
  }
  const rsa = dsigChildren(keyInfo, 'KeyValue').flatMap((v) => dsigChildren(v, 'RSAKeyValue'))[0];
  if (rsa === undefined) return undefined;
  const modulus = decodeBase64(textContent(exactlyOne(rsa, 'Modulus')), 'RSAKeyValue/Modulus');
  const exponent = decodeBase64(textContent(exactlyOne(rsa, 'Exponent')), 'RSAKeyValue/Exponent');
  try {
    return createPublicKey({ key: { kty: 'RSA', n: base64Url(modulus), e: base64Url(exponent) }, format: 'jwk' });
  } catch (e) {
    throw new Invalid(`KeyInfo/KeyValue/RSAKeyValue is not a usable RSA key (${(e as Error).message})`);
  }
}

/**
 * @param signature the captured Signature element
 * @param parentContext namespace context of the Signature's parent in the document
 */
export function readSignature(signature: CapturedElement, parentContext: NamespaceContext): SignatureReading {
  const claims: SignatureClaims = {
    signatureAlgorithm: undefined,
    digestAlgorithm: undefined,
    canonicalization: undefined,
    referenceTransforms: [],
    certificates: [],
  };
  try {
    const signedInfo = exactlyOne(signature, 'SignedInfo');
    const canonicalizationMethod = exactlyOne(signedInfo, 'CanonicalizationMethod');
    claims.canonicalization = attributeValue(canonicalizationMethod, 'Algorithm');
    const signatureMethod = exactlyOne(signedInfo, 'SignatureMethod');
    claims.signatureAlgorithm = attributeValue(signatureMethod, 'Algorithm');
    const references = dsigChildren(signedInfo, 'Reference');
    const reference = references[0];
    if (reference !== undefined) {
      claims.digestAlgorithm = attributeValue(exactlyOne(reference, 'DigestMethod'), 'Algorithm');
      const transforms = dsigChildren(reference, 'Transforms')[0];
      const transformList = transforms === undefined ? [] : dsigChildren(transforms, 'Transform');
      claims.referenceTransforms = transformList.map((t) => attributeValue(t, 'Algorithm') ?? '');
    }
    const keyValue = readKeyInfo(signature, claims);

    // What we can check in one streaming pass: one same-document reference to the whole packet, enveloped.
    if (references.length !== 1 || reference === undefined) {
      throw new Unsupported(`SignedInfo has ${references.length} References; only one (URI="") is supported`);
    }
    const uri = attributeValue(reference, 'URI');
    if (uri !== '') {
      throw new Unsupported(
        `Reference URI=${uri === undefined ? '(absent)' : JSON.stringify(uri)} is not supported; edXML signatures ` +
          'reference the whole packet with URI=""',
      );
    }
    const [first, second, ...more] = claims.referenceTransforms;
    if (first !== ENVELOPED_SIGNATURE_TRANSFORM || more.length > 0) {
      throw new Unsupported(
        `Reference transforms [${claims.referenceTransforms.join(', ')}] are not supported; expected the ` +
          'enveloped-signature transform, optionally followed by one canonicalization',
      );
    }
    let referenceCanonicalization: CanonicalizationMethod = C14N_10;
    let referenceInclusivePrefixes: string[] = [];
    const secondTransform = transformElement(reference, 1);
    if (second !== undefined && secondTransform !== undefined) {
      referenceCanonicalization = readCanonicalizationMethod(secondTransform, 'Reference transform');
      if (isExclusive(referenceCanonicalization)) referenceInclusivePrefixes = inclusivePrefixesOf(secondTransform);
    }

    const canonicalization = readCanonicalizationMethod(canonicalizationMethod, 'CanonicalizationMethod');
    const signatureAlgorithm = claims.signatureAlgorithm;
    if (!isOneOf(SIGNATURE_METHODS, signatureAlgorithm)) {
      throw new Unsupported(`SignatureMethod ${signatureAlgorithm ?? '(no Algorithm)'} is not supported`);
    }
    if (dsigChildren(signatureMethod, 'HMACOutputLength').length > 0) {
      throw new Unsupported('SignatureMethod with HMACOutputLength is not supported');
    }
    const digestAlgorithm = claims.digestAlgorithm;
    if (!isOneOf(DIGEST_METHODS, digestAlgorithm)) {
      throw new Unsupported(`DigestMethod ${digestAlgorithm ?? '(no Algorithm)'} is not supported`);
    }
    const digestValue = decodeBase64(textContent(exactlyOne(reference, 'DigestValue')), 'DigestValue');
    const signatureValue = decodeBase64(textContent(exactlyOne(signature, 'SignatureValue')), 'SignatureValue');

    return {
      claims,
      checkable: {
        signedInfo,
        signedInfoContext: enterElement(parentContext, signature.start),
        canonicalization,
        inclusivePrefixes: isExclusive(canonicalization) ? inclusivePrefixesOf(canonicalizationMethod) : [],
        signatureAlgorithm,
        signatureValue,
        digestAlgorithm,
        digestValue,
        referenceCanonicalization,
        referenceInclusivePrefixes,
        keyValue,
      },
    };
  } catch (e) {
    if (e instanceof Unsupported) return { claims, problem: { code: 'VDXP_E_SIGNATURE_UNSUPPORTED', reason: e.message } };
    if (e instanceof Invalid) return { claims, problem: { code: 'VDXP_E_SIGNATURE_INVALID', reason: e.message } };
    throw e;
  }
}

function transformElement(reference: CapturedElement, index: number): CapturedElement | undefined {
  const transforms = dsigChildren(reference, 'Transforms')[0];
  return transforms === undefined ? undefined : dsigChildren(transforms, 'Transform')[index];
}
