// Interoperability both ways with xmlsec1 (libxml2's canonicalizer), the reference implementation of XML-DSig.
//
// URI="" needs no ID attributes, so no --id-attr. --trusted-pem makes xmlsec1 take the key from our KeyInfo
// certificate and check it against the (self-signed) trust anchor; --pubkey-cert-pem ignores KeyInfo.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { C14N_10, EXC_C14N, RSA_SHA1, RSA_SHA256, SHA1, SHA256 } from './algorithms.ts';
import type { SignatureVerdict } from './verify.ts';
import { XMLSEC1, edocPacket, makeTestSigner, runXmlsec, signString, tamperAt, verifyString, xmlsecSign } from '../../test-support/signature.ts';
import type { TestSigner } from '../../test-support/signature.ts';

const C14N_TEMPLATE = readFileSync(new URL('./fixtures/template-c14n-rsa-sha1.edxml', import.meta.url), 'utf8');
const EXC_TEMPLATE = readFileSync(new URL('./fixtures/template-exc-c14n-rsa-sha256.edxml', import.meta.url), 'utf8');

const withCrlf = (xml: string): string => xml.replace(/\n/g, '\r\n');
/** The fixture's packet without its Signature template: the same awkward content, for us to sign. */
const unsignedFixture = C14N_TEMPLATE.replace(/\s*<Signature [\s\S]*<\/Signature>/, '');

function validity(verdict: SignatureVerdict): string {
  if (!verdict.present) return 'absent';
  return verdict.valid ? 'valid' : `${verdict.code}: ${verdict.reason}`;
}

describe('xmlsec1 interoperability', () => {
  let signer: TestSigner;
  before(() => {
    // Missing tools must fail the suite loudly, never skip it.
    assert.match(execFileSync(XMLSEC1, ['--version'], { encoding: 'utf8' }), /xmlsec1/);
    signer = makeTestSigner();
  });
  after(() => signer.cleanup());

  const xmlsecVerifies = (xml: string, keyOption: '--trusted-pem' | '--pubkey-cert-pem'): { ok: boolean; output: string } => {
    const run = runXmlsec(signer.dir, ['--verify', keyOption, signer.certPath], xml, 'to-verify.xml');
    return { ok: run.status === 0 && /^OK$/m.test(run.output), output: run.output };
  };

  describe('xmlsec1 signs, we verify', () => {
    const cases = [
      { name: 'Canonical XML 1.0 + rsa-sha1 (the legacy form)', template: C14N_TEMPLATE, signature: RSA_SHA1, digest: SHA1, c14n: C14N_10 },
      { name: 'exclusive c14n + rsa-sha256, ds: prefix, PrefixList', template: EXC_TEMPLATE, signature: RSA_SHA256, digest: SHA256, c14n: EXC_C14N },
    ] as const;
    for (const c of cases) {
      for (const lineEnds of ['LF', 'CRLF'] as const) {
        it(`${c.name}, ${lineEnds} line ends`, async () => {
          const signed = xmlsecSign(signer.dir, signer, lineEnds === 'CRLF' ? withCrlf(c.template) : c.template);
          const verdict = await verifyString(signed);
          assert.equal(validity(verdict), 'valid');
          assert.ok(verdict.present && verdict.valid);
          assert.equal(verdict.signatureAlgorithm, c.signature);
          assert.equal(verdict.digestAlgorithm, c.digest);
          assert.equal(verdict.canonicalization, c.c14n);
          assert.equal(verdict.certificate?.pem.trim(), signer.certificate.trim());

          const tampered = tamperAt(signed, signed.indexOf('</edXML:ContentTransferEncoded>') - 10);
          assert.match(validity(await verifyString(tampered)), /VDXP_E_SIGNATURE_INVALID: The packet does not match/);
        });
      }
    }

    it('with an RSAKeyValue instead of a certificate', async () => {
      const signed = xmlsecSign(signer.dir, signer, EXC_TEMPLATE.replace('<ds:X509Data/>', '<ds:KeyValue/>'));
      assert.match(signed, /<ds:RSAKeyValue>/);
      const verdict = await verifyString(signed);
      assert.equal(validity(verdict), 'valid');
      assert.equal(verdict.present && verdict.certificate, undefined);
    });
  });

  describe('we sign, xmlsec1 verifies', () => {
    const packets = [
      { name: 'an edoc packet with mixed prefixed and unprefixed names', xml: edocPacket() },
      { name: 'the fixture packet (entities, CDATA, PIs, attribute whitespace, xmlns="")', xml: unsignedFixture },
      { name: 'the fixture packet with CRLF line ends', xml: withCrlf(unsignedFixture) },
    ];
    for (const canonicalization of [EXC_C14N, C14N_10] as const) {
      for (const p of packets) {
        it(`${p.name}, ${canonicalization}`, async () => {
          const { signed } = await signString(p.xml, signer, { canonicalization });
          const trusted = xmlsecVerifies(signed, '--trusted-pem');
          assert.ok(trusted.ok, trusted.output);
          const pubkey = xmlsecVerifies(signed, '--pubkey-cert-pem');
          assert.ok(pubkey.ok, pubkey.output);
        });
      }
    }

    it('and xmlsec1 rejects what we signed once it is tampered with', async () => {
      const { signed } = await signString(edocPacket(), signer);
      const tampered = signed.replace('000.00.00.G22', '000.00.00.G12');
      assert.notEqual(tampered, signed);
      const run = xmlsecVerifies(tampered, '--trusted-pem');
      assert.equal(run.ok, false, run.output);
    });
  });
});
