// The XML-DSig identifiers this module understands, written once as closed sets from which the types derive.

export const DSIG_NAMESPACE = 'http://www.w3.org/2000/09/xmldsig#';
export const EXC_C14N_NAMESPACE = 'http://www.w3.org/2001/10/xml-exc-c14n#';
export const XML_NAMESPACE = 'http://www.w3.org/XML/1998/namespace';
export const XMLNS_NAMESPACE = 'http://www.w3.org/2000/xmlns/';
export const ENVELOPED_SIGNATURE_TRANSFORM = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

export const C14N_10 = 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315';
export const C14N_10_WITH_COMMENTS = 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments';
export const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
export const EXC_C14N_WITH_COMMENTS = 'http://www.w3.org/2001/10/xml-exc-c14n#WithComments';

export const CANONICALIZATION_METHODS = [C14N_10, C14N_10_WITH_COMMENTS, EXC_C14N, EXC_C14N_WITH_COMMENTS] as const;
export type CanonicalizationMethod = (typeof CANONICALIZATION_METHODS)[number];

export const RSA_SHA1 = 'http://www.w3.org/2000/09/xmldsig#rsa-sha1';
export const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
export const RSA_SHA384 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384';
export const RSA_SHA512 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512';

export const SIGNATURE_METHODS = [RSA_SHA1, RSA_SHA256, RSA_SHA384, RSA_SHA512] as const;
export type SignatureMethod = (typeof SIGNATURE_METHODS)[number];

export const SHA1 = 'http://www.w3.org/2000/09/xmldsig#sha1';
export const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';
export const SHA384 = 'http://www.w3.org/2001/04/xmldsig-more#sha384';
export const SHA512 = 'http://www.w3.org/2001/04/xmlenc#sha512';

export const DIGEST_METHODS = [SHA1, SHA256, SHA384, SHA512] as const;
export type DigestMethod = (typeof DIGEST_METHODS)[number];

/** node:crypto's name for the hash behind each identifier. */
export type NodeHashName = 'sha1' | 'sha256' | 'sha384' | 'sha512';

export const DIGEST_HASH: Readonly<Record<DigestMethod, NodeHashName>> = {
  [SHA1]: 'sha1',
  [SHA256]: 'sha256',
  [SHA384]: 'sha384',
  [SHA512]: 'sha512',
};

export const SIGNATURE_HASH: Readonly<Record<SignatureMethod, NodeHashName>> = {
  [RSA_SHA1]: 'sha1',
  [RSA_SHA256]: 'sha256',
  [RSA_SHA384]: 'sha384',
  [RSA_SHA512]: 'sha512',
};

export function isOneOf<T extends string>(set: readonly T[], value: string | undefined): value is T {
  return value !== undefined && (set as readonly string[]).includes(value);
}

export function isExclusive(method: CanonicalizationMethod): boolean {
  return method === EXC_C14N || method === EXC_C14N_WITH_COMMENTS;
}

export function keepsComments(method: CanonicalizationMethod): boolean {
  return method === C14N_10_WITH_COMMENTS || method === EXC_C14N_WITH_COMMENTS;
}
