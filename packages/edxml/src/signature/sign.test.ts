// Signing: where the Signature goes, what is left untouched, and the packets and keys it refuses.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { EXAMPLES_DIR } from '../examples.ts';
import { EXC_C14N, RSA_SHA256, SHA256 } from './algorithms.ts';
import { DEFAULT_SIGNING_CANONICALIZATION, signPacket } from './sign.ts';
import { chunksOf, edocPacket, makeTestSigner, signString, verifyString } from '../../test-support/signature.ts';
import type { TestSigner } from '../../test-support/signature.ts';


function collector(): { output: Writable; text: () => string } {
  const parts: Buffer[] = [];
  const output = new Writable({
    write(chunk: Buffer, _encoding, callback): void {
      parts.push(chunk);
      callback();
    },
  });
  return { output, text: () => Buffer.concat(parts).toString('utf8') };
}

describe('signPacket', () => {
  let signer: TestSigner;
  before(() => {
    signer = makeTestSigner();
  });
  after(() => signer.cleanup());

  it('inserts the Signature as the last child of edXMLHeader and leaves every other byte as it was', async () => {
    const packet = edocPacket();
    const { signed, result } = await signString(packet, signer);
    const signature = /<Signature xmlns="http:\/\/www\.w3\.org\/2000\/09\/xmldsig#">.*?<\/Signature>/.exec(signed)?.[0];
    assert.ok(signature !== undefined);
    assert.ok(signed.includes(`${signature}</edXML:edXMLHeader>`), 'directly before the header end tag');
    assert.equal(signed.replace(signature, ''), packet);
    assert.equal(result.bytesRead, Buffer.byteLength(packet));
    assert.equal(result.bytesWritten, Buffer.byteLength(signed));
    assert.equal(result.signatureAlgorithm, RSA_SHA256);
    assert.equal(result.digestAlgorithm, SHA256);
    assert.equal(result.canonicalization, DEFAULT_SIGNING_CANONICALIZATION);
    assert.equal(DEFAULT_SIGNING_CANONICALIZATION, EXC_C14N);
    assert.match(signature, new RegExp(`<DigestValue>${result.digestValue.replace(/[+/]/g, '\\$&')}</DigestValue>`));
  });

  it('signs every example packet (CRLF line ends and mixed prefixes included) so that it verifies', async () => {
    const names = readdirSync(EXAMPLES_DIR).filter((n) => n.endsWith('.edxml'));
    assert.equal(names.length, 13);
    for (const name of names) {
      const original = readFileSync(new URL(name, EXAMPLES_DIR));
      const { output, text } = collector();
      await signPacket(() => chunksOf(original, 512), signer, output);
      const verdict = await verifyString(text());
      assert.ok(verdict.present && verdict.valid, `${name}: ${JSON.stringify(verdict.present && !verdict.valid ? verdict.reason : '')}`);
    }
  });

  it('reads a file path (string or URL) twice', async () => {
    const path = join(signer.dir, 'packet.edxml');
    writeFileSync(path, edocPacket());
    for (const source of [path, pathToFileURL(path)]) {
      const { output, text } = collector();
      const result = await signPacket(source, signer, output);
      assert.equal(result.bytesRead, readFileSync(path).length);
      const verdict = await verifyString(text());
      assert.ok(verdict.present && verdict.valid);
    }
  });

  it('fails when the source gives different bytes on the second read', async () => {
    let reads = 0;
    const source = (): Iterable<Uint8Array> => [Buffer.from(edocPacket({ subject: `read ${++reads}` }))];
    await assert.rejects(signPacket(source, signer, collector().output), /different bytes on the second read/);
    assert.equal(reads, 2);
  });

  it('refuses a packet that is already signed', async () => {
    const { signed } = await signString(edocPacket(), signer);
    await assert.rejects(signString(signed, signer), { code: 'VDXP_E_SIGNATURE_UNSUPPORTED', message: /already carries a Signature/ });
  });

  it('refuses packets with no edXMLHeader, or not edXML at all', async () => {
    const noHeader = edocPacket().replace(/<edXML:edXMLHeader>[\s\S]*<\/edXML:edXMLHeader>/, '');
    await assert.rejects(signString(noHeader, signer), { code: 'VDXP_E_HEADER_MISSING' });
    const emptyHeader = edocPacket().replace(/<edXML:edXMLHeader>[\s\S]*<\/edXML:edXMLHeader>/, '<edXML:edXMLHeader/>');
    await assert.rejects(signString(emptyHeader, signer), { code: 'VDXP_E_HEADER_MISSING' });
    await assert.rejects(signString('<edXML xmlns="urn:other"><edXMLEnvelope/></edXML>', signer), { code: 'VDXP_E_XML_ROOT' });
    await assert.rejects(signString('<edXML xmlns="urn:other"', signer), { code: 'VDXP_E_XML_TRUNCATED' });
  });

  it('refuses a non-RSA key and a key that is not the certificate’s', async () => {
    const ec = makeTestSigner('/CN=EC', 'ec');
    const other = makeTestSigner('/CN=Other');
    try {
      await assert.rejects(signString(edocPacket(), ec), { code: 'VDXP_E_SIGNATURE_UNSUPPORTED', message: /RSA private key/ });
      const mismatched = { ...signer, certificate: other.certificate };
      await assert.rejects(signString(edocPacket(), mismatched), /does not belong to the certificate/);
    } finally {
      ec.cleanup();
      other.cleanup();
    }
  });

  it('writes the same bytes for the same input and key (deterministic PKCS#1 v1.5)', async () => {
    const a = await signString(edocPacket(), signer);
    const b = await signString(edocPacket(), signer);
    assert.equal(createHash('sha256').update(a.signed).digest('hex'), createHash('sha256').update(b.signed).digest('hex'));
  });
});
