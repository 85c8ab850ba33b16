// Verification: sign-and-verify round trips, tampering, unsupported forms, the streaming object and its limits.

import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, sign as cryptoSign, X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { EXAMPLES_DIR } from '../examples.ts';
import { C14N_10, DSIG_NAMESPACE, EXC_C14N, RSA_SHA256, SHA256 } from './algorithms.ts';
import {
  EDXML_SIGNATURE_PATH,
  PRE_SIGNATURE_BUFFER_CHARS_MAX,
  PacketSignatureVerifier,
  SIGNATURE_SUBTREE_CHARS_MAX,
  signatureVerdictError,
} from './verify.ts';
import type { InvalidSignatureVerdict, SignatureVerdict, ValidSignatureVerdict } from './verify.ts';
import { chunksOf, edocPacket, makeTestSigner, signString, tamperAt, verifyString } from '../../test-support/signature.ts';
import type { TestSigner } from '../../test-support/signature.ts';


function assertValid(verdict: SignatureVerdict): asserts verdict is ValidSignatureVerdict {
  assert.equal(verdict.present, true, 'a signature is found');
  if (verdict.present && !verdict.valid) assert.fail(`expected a valid signature, got ${verdict.code}: ${verdict.reason}`);
}

function assertInvalid(verdict: SignatureVerdict, code: InvalidSignatureVerdict['code'], reason: RegExp): asserts verdict is InvalidSignatureVerdict {
  assert.equal(verdict.present, true, 'a signature is found');
  if (!verdict.present || verdict.valid) return assert.fail('expected an invalid signature, got a valid one');
  assert.equal(verdict.code, code, verdict.reason);
  assert.match(verdict.reason, reason);
}

describe('verifyPacketSignature', () => {
  let signer: TestSigner;
  let other: TestSigner;
  before(() => {
    signer = makeTestSigner();
    other = makeTestSigner('/CN=Someone else');
  });
  after(() => {
    signer.cleanup();
    other.cleanup();
  });

  it('says present: false for every example packet (none is signed), CRLF ones included', async () => {
    const examples = readdirSync(EXAMPLES_DIR).filter((n) => n.endsWith('.edxml'));
    assert.equal(examples.length, 13, `the examples are at ${EXAMPLES_DIR.pathname}`);
    for (const name of examples) {
      assert.deepEqual(await verifyString(readFileSync(new URL(name, EXAMPLES_DIR))), { present: false }, name);
    }
  });

  for (const canonicalization of [EXC_C14N, C14N_10] as const) {
    it(`verifies a packet it signed (${canonicalization}) with mixed prefixed and unprefixed names`, async () => {
      const { signed, result } = await signString(edocPacket(), signer, { canonicalization });
      assert.equal(result.canonicalization, canonicalization);
      const verdict = await verifyString(signed);
      assertValid(verdict);
      assert.equal(verdict.path, EDXML_SIGNATURE_PATH);
      assert.equal(verdict.signatureAlgorithm, RSA_SHA256);
      assert.equal(verdict.digestAlgorithm, SHA256);
      assert.equal(verdict.canonicalization, canonicalization);
      const certificate = new X509Certificate(signer.certificate);
      assert.equal(verdict.certificate?.fingerprint256, certificate.fingerprint256);
      assert.equal(verdict.certificate?.subject, certificate.subject);
      assert.equal(verdict.certificate?.serialNumber, certificate.serialNumber);
      assert.match(verdict.certificate?.pem ?? '', /^-----BEGIN CERTIFICATE-----/);
      assert.equal(signatureVerdictError(verdict), undefined);
    });
  }

  it('fails when one byte of an attachment changes', async () => {
    const { signed } = await signString(edocPacket(), signer);
    const at = signed.indexOf('</edXML:ContentTransferEncoded>') - 100;
    const verdict = await verifyString(tamperAt(signed, at));
    assertInvalid(verdict, 'VDXP_E_SIGNATURE_INVALID', /changed after signing/);
    assert.equal(verdict.certificate?.fingerprint256, new X509Certificate(signer.certificate).fingerprint256);
    const error = signatureVerdictError(verdict);
    assert.equal(error?.code, 'VDXP_E_SIGNATURE_INVALID');
    assert.equal(error?.path, EDXML_SIGNATURE_PATH);
  });

  it('fails when the Subject changes, even by a character outside ASCII', async () => {
    const { signed } = await signString(edocPacket(), signer);
    assertInvalid(await verifyString(signed.replace('Nghị định 30', 'Nghị định 31')), 'VDXP_E_SIGNATURE_INVALID', /DigestValue/);
    assertInvalid(await verifyString(signed.replace('triển khai', 'triên khai')), 'VDXP_E_SIGNATURE_INVALID', /DigestValue/);
  });

  it('fails when SignedInfo changes (a DigestValue made to match tampered content)', async () => {
    const { signed } = await signString(edocPacket(), signer);
    const { signed: other } = await signString(edocPacket({ subject: 'Forged' }), signer);
    const forgedDigest = /<DigestValue>([^<]*)</.exec(other)?.[1] ?? '';
    const swapped = signed
      .replace(/<DigestValue>[^<]*</, `<DigestValue>${forgedDigest}<`)
      .replace(/(<edXML:Subject>)[^<]*/, '$1Forged');
    const verdict = await verifyString(swapped);
    assertInvalid(verdict, 'VDXP_E_SIGNATURE_INVALID', /SignatureValue does not verify/);
    assert.doesNotMatch(verdict.reason, /DigestValue/, 'the content does match the (forged) digest');
  });

  it('fails when the certificate in KeyInfo is not the signer’s', async () => {
    const { signed } = await signString(edocPacket(), signer);
    const foreign = new X509Certificate(other.certificate).raw.toString('base64');
    const verdict = await verifyString(signed.replace(/<X509Certificate>[^<]*</, `<X509Certificate>${foreign}<`));
    assertInvalid(verdict, 'VDXP_E_SIGNATURE_INVALID', /SignatureValue does not verify/);
  });

  it('checks with options.publicKey instead of KeyInfo when given one', async () => {
    const { signed } = await signString(edocPacket(), signer);
    assertValid(await verifyString(signed, { publicKey: new X509Certificate(signer.certificate) }));
    assertInvalid(
      await verifyString(signed, { publicKey: createPublicKey(other.certificate) }),
      'VDXP_E_SIGNATURE_INVALID',
      /SignatureValue/,
    );
  });

  it('ignores whitespace and comments around and inside the Signature where the specs say so', async () => {
    const { signed } = await signString(edocPacket(), signer);
    // Comments outside SignedInfo are not signed; line-wrapped base64 (as xmlsec1 writes it) is fine.
    const wrapped = signed
      .replace(/<SignatureValue>([^<]*)</, (_m, v: string) => `<SignatureValue>\n${v.replace(/(.{64})/g, '$1\n')}<`)
      .replace('<KeyInfo>', '<!-- key --><KeyInfo>')
      .replace('<edXML:OrganId>000.00.00.G22', '<!-- x --><edXML:OrganId>000.00.00.G22');
    assertValid(await verifyString(wrapped));
  });

  it('reports unsupported forms as verdicts, with the algorithms it saw', async () => {
    const { signed } = await signString(edocPacket(), signer);
    const hmac = signed.replace(RSA_SHA256, 'http://www.w3.org/2000/09/xmldsig#hmac-sha1');
    const verdict = await verifyString(hmac);
    assertInvalid(verdict, 'VDXP_E_SIGNATURE_UNSUPPORTED', /SignatureMethod .*hmac-sha1 is not supported/);
    assert.equal(verdict.signatureAlgorithm, 'http://www.w3.org/2000/09/xmldsig#hmac-sha1');
    assert.equal(verdict.digestAlgorithm, SHA256);
    assert.equal(signatureVerdictError(verdict)?.code, 'VDXP_E_SIGNATURE_UNSUPPORTED');

    assertInvalid(await verifyString(signed.replace('URI=""', 'URI="#header"')), 'VDXP_E_SIGNATURE_UNSUPPORTED', /URI="#header"/);
    assertInvalid(
      await verifyString(signed.replace(/<Transforms>.*<\/Transforms>/, '')),
      'VDXP_E_SIGNATURE_UNSUPPORTED',
      /transforms \[\] are not supported/,
    );
    assertInvalid(
      await verifyString(signed.replace(/<KeyInfo>.*<\/KeyInfo>/, '')),
      'VDXP_E_SIGNATURE_UNSUPPORTED',
      /no X509Certificate or RSAKeyValue/,
    );
    assertInvalid(
      await verifyString(signed.replace(/<DigestValue>/, '<DigestValue>!!')),
      'VDXP_E_SIGNATURE_INVALID',
      /DigestValue is not valid base64/,
    );
    assertInvalid(
      await verifyString(signed.replace(/<SignedInfo>.*<\/SignedInfo>/, '')),
      'VDXP_E_SIGNATURE_INVALID',
      /exactly one SignedInfo/,
    );
  });

  it('says unsupported, without holding it, for a Signature larger than SIGNATURE_SUBTREE_CHARS_MAX', async () => {
    const { signed } = await signString(edocPacket(), signer);
    const object = `<Object>${'x'.repeat(SIGNATURE_SUBTREE_CHARS_MAX)}</Object>`;
    const verdict = await verifyString(signed.replace('</KeyInfo>', `</KeyInfo>${object}`));
    assertInvalid(verdict, 'VDXP_E_SIGNATURE_UNSUPPORTED', /SIGNATURE_SUBTREE_CHARS_MAX/);
    assert.equal(verdict.path, EDXML_SIGNATURE_PATH);
  });

  it('refuses an EC signer key as a verdict, not a crash', async () => {
    const ec = makeTestSigner('/CN=EC signer', 'ec');
    try {
      const { signed } = await signString(edocPacket(), signer);
      const ecCert = new X509Certificate(ec.certificate).raw.toString('base64');
      const verdict = await verifyString(signed.replace(/<X509Certificate>[^<]*</, `<X509Certificate>${ecCert}<`));
      assertInvalid(verdict, 'VDXP_E_SIGNATURE_INVALID', /key is ec/);
    } finally {
      ec.cleanup();
    }
  });

  it('verifies a signature whose key is an RSAKeyValue instead of a certificate', async () => {
    const { signed } = await signString(edocPacket(), signer);
    const jwk = createPublicKey(signer.certificate).export({ format: 'jwk' });
    const b64 = (s: string | undefined): string => Buffer.from(s ?? '', 'base64url').toString('base64');
    const keyValue = `<KeyInfo><KeyValue><RSAKeyValue><Modulus>${b64(jwk.n)}</Modulus><Exponent>${b64(jwk.e)}</Exponent></RSAKeyValue></KeyValue></KeyInfo>`;
    const verdict = await verifyString(signed.replace(/<KeyInfo>.*<\/KeyInfo>/, keyValue));
    assertValid(verdict);
    assert.equal(verdict.certificate, undefined);
  });

  it('verifies a signature placed elsewhere and says where it was', async () => {
    const bare = edocPacket();
    const { signed } = await signString(bare, signer);
    const signature = /<Signature .*<\/Signature>/.exec(signed)?.[0] ?? '';
    // Moved into the body: the enveloped transform removes it wherever it is, so the digest still holds.
    const moved = bare.replace('<edXML:edXMLManifest', `${signature}<edXML:edXMLManifest`);
    const verdict = await verifyString(moved);
    assertValid(verdict);
    assert.equal(verdict.path, 'edXML/edXMLEnvelope/edXMLBody/Signature');
  });

  it('verifies whatever the chunking, through the streaming object', async () => {
    const { signed } = await signString(edocPacket(), signer);
    const bytes = Buffer.from(signed, 'utf8');
    for (const size of [1, 2, 3, 64, 65536]) {
      const verifier = new PacketSignatureVerifier();
      for (const chunk of chunksOf(bytes, size)) verifier.write(chunk);
      assertValid(verifier.end());
    }
  });

  it('keeps throwing the first error once the stream proved malformed', async () => {
    const { signed } = await signString(edocPacket(), signer);
    const verifier = new PacketSignatureVerifier();
    const broken = Buffer.from(signed.replace('</edXML:Subject>', '</edXML:Subjekt>'));
    const first = (() => {
      try {
        for (const chunk of chunksOf(broken, 100)) verifier.write(chunk);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    assert.equal((first as { code?: string } | undefined)?.code, 'VDXP_E_XML_MALFORMED');
    assert.throws(() => verifier.write(Buffer.from('<x/>')), (e) => e === first);
    assert.throws(() => verifier.end(), (e) => e === first);
  });

  it('throws EdxmlError on malformed XML rather than giving a verdict', async () => {
    const { signed } = await signString(edocPacket(), signer);
    await assert.rejects(verifyString(signed.replace('</edXML:Subject>', '</edXML:Subjekt>')), { code: 'VDXP_E_XML_MALFORMED' });
    await assert.rejects(verifyString(signed.slice(0, signed.length - 20)), { code: 'VDXP_E_XML_TRUNCATED' });
    await assert.rejects(verifyString(`<!DOCTYPE edXML>${signed.slice(signed.indexOf('<edXML'))}`), { code: 'VDXP_E_XML_DTD' });
  });

  it('says unsupported when the Signature comes after more than PRE_SIGNATURE_BUFFER_CHARS_MAX of content', async () => {
    const bigAttachment = 'QUJD'.repeat(PRE_SIGNATURE_BUFFER_CHARS_MAX / 4 + 1000);
    // Attachments first and the envelope last: a producer's element order the streaming verifier cannot serve.
    const { signed } = await signString(edocPacket({ attachmentBase64: bigAttachment }), signer);
    const signedEnvelope = /<edXML:edXMLEnvelope[\s\S]*<\/edXML:edXMLEnvelope>/.exec(signed)?.[0] ?? '';
    const reordered = signed.replace(signedEnvelope, '').replace('</edXML>', `${signedEnvelope}</edXML>`);
    assert.ok(reordered.indexOf('<Signature ') > PRE_SIGNATURE_BUFFER_CHARS_MAX);
    const verdict = await verifyString(reordered);
    assertInvalid(verdict, 'VDXP_E_SIGNATURE_UNSUPPORTED', /PRE_SIGNATURE_BUFFER_CHARS_MAX/);
    assert.equal(verdict.signatureAlgorithm, RSA_SHA256);
  });

  it('keeps SignedInfo comments under #WithComments and drops them without', async () => {
    // Built by hand: SignedInfo with a comment, signed over its canonical form under each method.
    const key = createPrivateKey(signer.privateKey);
    const { signed } = await signString(edocPacket(), signer);
    const signedInfo = /<SignedInfo>.*<\/SignedInfo>/.exec(signed)?.[0] ?? '';
    for (const method of [EXC_C14N, `${EXC_C14N}WithComments`] as const) {
      const withComment = signedInfo
        .replace(/<CanonicalizationMethod Algorithm="[^"]*"\/>/, `<CanonicalizationMethod Algorithm="${method}"/>`)
        .replace('<SignatureMethod', '<!--note--><SignatureMethod');
      const expectedCanonical = `<SignedInfo xmlns="${DSIG_NAMESPACE}">${withComment.slice('<SignedInfo>'.length)}`
        .replace(/<([A-Za-z]+)( [^>]*)?\/>/g, '<$1$2></$1>')
        .replace(method === EXC_C14N ? '<!--note-->' : '\u0000', '');
      const value = cryptoSign('sha256', Buffer.from(expectedCanonical), key).toString('base64');
      const packet = signed.replace(signedInfo, withComment).replace(/<SignatureValue>[^<]*</, `<SignatureValue>${value}<`);
      assertValid(await verifyString(packet));
    }
  });
});
