// Signing for the conformance kit: a throwaway self-signed RSA certificate made in code (a few lines of DER, no
// openssl on the vendor's machine), signing a packet in memory with @vdxp/edxml's signPacket, and the strict
// check the kit applies to every signed packet a vendor sends.

import { createSign, generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { Writable } from 'node:stream';
import { EDXML_SIGNATURE_PATH, ENVELOPED_SIGNATURE_TRANSFORM, RSA_SHA1, SHA1, signPacket, verifyPacketSignature, type PacketSigningKey, type SignatureVerdict } from '@vdxp/edxml';

// --- DER, as little as an X.509 v3 certificate needs --------------------------------------------------------

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
const der = (tag: number, ...parts: Buffer[]): Buffer => { const body = Buffer.concat(parts); return Buffer.concat([Buffer.from([tag]), length(body.length), body]); };
const seq = (...parts: Buffer[]): Buffer => der(0x30, ...parts);
const integer = (b: Buffer): Buffer => der(0x02, (b[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
function oid(dotted: string): Buffer {
  const [a = 0, b = 0, ...rest] = dotted.split('.').map(Number);
  const out = [40 * a + b];
  for (const n of rest) {
    const groups: number[] = [];
    for (let v = n; ; v = Math.floor(v / 128)) { groups.unshift(v % 128); if (v < 128) break; }
    out.push(...groups.map((g, i) => (i < groups.length - 1 ? g | 0x80 : g)));
  }
  return der(0x06, Buffer.from(out));
}
const name = (cn: string): Buffer => seq(der(0x31, seq(oid('2.5.4.6'), der(0x13, Buffer.from('VN')))), der(0x31, seq(oid('2.5.4.3'), der(0x0c, Buffer.from(cn, 'utf8')))));
const generalizedTime = (t: Date): Buffer => der(0x18, Buffer.from(`${t.toISOString().slice(0, 19).replace(/[-:T]/g, '')}Z`));
const SHA256_WITH_RSA = seq(oid('1.2.840.113549.1.1.11'), der(0x05));

/**
 * A fresh RSA-2048 key and a self-signed certificate for `commonName`, valid from an hour ago for `days`. For the
 * kit's test agency and the reference agencies only: a real system signs with the certificate its CA issued.
 */
export function selfSignedSigner(commonName: string, days = 30): PacketSigningKey & { certificate: X509Certificate } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const now = Date.now();
  const tbs = seq(
    der(0xa0, integer(Buffer.from([2]))),
    integer(Buffer.concat([Buffer.from([0x01]), randomBytes(15)])),
    SHA256_WITH_RSA,
    name(commonName),
    seq(generalizedTime(new Date(now - 3600_000)), generalizedTime(new Date(now + days * 86_400_000))),
    name(commonName),
    publicKey.export({ type: 'spki', format: 'der' }),
  );
  const signature = createSign('sha256').update(tbs).sign(privateKey);
  const certificate = new X509Certificate(seq(tbs, SHA256_WITH_RSA, der(0x03, Buffer.from([0]), signature)));
  return { privateKey, certificate };
}

/** Signs packet bytes in memory (rsa-sha256, exclusive c14n, the Signature last in edXMLHeader). */
export async function signBytes(packet: Uint8Array, signer: PacketSigningKey): Promise<Buffer> {
  const parts: Buffer[] = [];
  const out = new Writable({ write(chunk: Buffer, _e, done) { parts.push(chunk); done(); } });
  await signPacket(() => [packet], signer, out);
  return Buffer.concat(parts);
}

export async function verifyBytes(packet: Uint8Array): Promise<SignatureVerdict> {
  return verifyPacketSignature([packet]);
}

/**
 * What the kit calls a strictly valid signature: present where QCVN 102 puts it, enveloped, verifying over the
 * exact bytes, not SHA-1, with a certificate in KeyInfo that is valid today. Undefined when it holds, else why not.
 */
export function strictSignatureProblem(v: SignatureVerdict, now = Date.now()): string | undefined {
  if (!v.present) return 'the packet carries no XML signature';
  if (!v.valid) return `the signature does not verify: ${v.code}: ${v.reason}`;
  if (v.path !== EDXML_SIGNATURE_PATH) return `the Signature is at ${v.path}, not ${EDXML_SIGNATURE_PATH}`;
  if (!v.referenceTransforms.includes(ENVELOPED_SIGNATURE_TRANSFORM)) return 'the Reference is not an enveloped signature';
  if (v.signatureAlgorithm === RSA_SHA1 || v.digestAlgorithm === SHA1) return 'SHA-1 is not accepted';
  if (!v.certificate) return 'KeyInfo carries no X.509 certificate';
  if (Date.parse(v.certificate.validFrom) > now || Date.parse(v.certificate.validTo) < now) {
    return `the certificate is not valid today (${v.certificate.validFrom} to ${v.certificate.validTo})`;
  }
  return undefined;
}
