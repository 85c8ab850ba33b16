// Test helpers for the signature tests: throwaway keys from the openssl CLI, packets, xmlsec1, in-memory streams.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { signPacket } from '../src/signature/sign.ts';
import type { SignPacketOptions, SignPacketResult } from '../src/signature/sign.ts';
import { verifyPacketSignature } from '../src/signature/verify.ts';
import type { SignatureVerdict, VerifyPacketSignatureOptions } from '../src/signature/verify.ts';

export const XMLSEC1 = '/usr/bin/xmlsec1';

export interface TestSigner {
  dir: string;
  keyPath: string;
  certPath: string;
  privateKey: string;
  certificate: string;
  cleanup(): void;
}

/** A fresh self-signed RSA (or EC) key pair valid for a day, made by the openssl CLI in a temp dir. Throws (and so
 * fails the test) when openssl is missing. */
export function makeTestSigner(subject = '/C=VN/O=VDXP Test/CN=Van thu UBND Tinh Nghe An', keyType = 'rsa:2048'): TestSigner {
  const dir = mkdtempSync(join(tmpdir(), 'vdxp-signature-'));
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  const newKey = keyType === 'ec' ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'] : ['-newkey', keyType];
  execFileSync('openssl', ['req', '-x509', ...newKey, '-nodes', '-subj', subject, '-days', '1', '-keyout', keyPath, '-out', certPath], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return {
    dir,
    keyPath,
    certPath,
    privateKey: readFileSync(keyPath, 'utf8'),
    certificate: readFileSync(certPath, 'utf8'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Splits bytes into chunks of `size` (default: a few odd sizes, so chunk edges land everywhere). */
export function* chunksOf(bytes: Uint8Array, size = 4093): Generator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

export async function signString(xml: string, signer: TestSigner, options?: SignPacketOptions): Promise<{ signed: string; result: SignPacketResult }> {
  const bytes = Buffer.from(xml, 'utf8');
  const parts: Buffer[] = [];
  const output = new Writable({
    write(chunk: Buffer, _encoding, callback): void {
      parts.push(chunk);
      callback();
    },
  });
  const result = await signPacket(() => chunksOf(bytes, 1000), { privateKey: signer.privateKey, certificate: signer.certificate }, output, options);
  return { signed: Buffer.concat(parts).toString('utf8'), result };
}

export function verifyString(xml: string | Buffer, options?: VerifyPacketSignatureOptions): Promise<SignatureVerdict> {
  return verifyPacketSignature(chunksOf(typeof xml === 'string' ? Buffer.from(xml, 'utf8') : xml, 777), options);
}

export interface XmlsecRun {
  status: number | null;
  output: string;
}

/** Runs xmlsec1 on `xml` (written to a temp file in `dir`). Throws when xmlsec1 cannot be started at all. */
export function runXmlsec(dir: string, args: readonly string[], xml: string, fileName = 'input.xml'): XmlsecRun {
  const input = join(dir, fileName);
  writeFileSync(input, xml);
  const run = spawnSync(XMLSEC1, [...args, input], { encoding: 'utf8' });
  if (run.error !== undefined) throw new Error(`xmlsec1 could not run (apt-get install -y xmlsec1): ${run.error.message}`);
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** xmlsec1 --sign of a template; returns the signed document. */
export function xmlsecSign(dir: string, signer: TestSigner, template: string): string {
  const output = join(dir, 'xmlsec-signed.xml');
  const run = runXmlsec(dir, ['--sign', '--privkey-pem', `${signer.keyPath},${signer.certPath}`, '--output', output], template, 'template.xml');
  if (run.status !== 0) throw new Error(`xmlsec1 --sign failed: ${run.output}`);
  return readFileSync(output, 'utf8');
}

export const EDXML_NS = 'http://www.mic.gov.vn/TBT/QCVN_102_2016';

/** A document packet in the style of real traffic: default namespace on the root, `edXML:` prefix on the envelope,
 * Vietnamese text, an entity, a comment, and the attachments unprefixed (with one prefixed child). */
export function edocPacket(options?: { subject?: string; attachmentBase64?: string; headerExtra?: string }): string {
  const subject = options?.subject ?? 'V/v triển khai Nghị định 30/2020/NĐ-CP &amp; hướng dẫn';
  const base64 = options?.attachmentBase64 ?? Buffer.from('Nội dung văn bản thử nghiệm. '.repeat(40)).toString('base64');
  return `<?xml version="1.0" encoding="UTF-8"?>
<edXML xmlns="${EDXML_NS}">
  <edXML:edXMLEnvelope xmlns:edXML="${EDXML_NS}">
    <edXML:edXMLHeader>
      <edXML:MessageHeader>
        <edXML:From>
          <edXML:OrganId>000.00.00.H41</edXML:OrganId>
          <edXML:OrganName>UBND Tỉnh Nghệ An</edXML:OrganName>
        </edXML:From>
        <edXML:To>
          <edXML:OrganId>000.00.00.G22</edXML:OrganId>
          <edXML:OrganName>Văn phòng Chính phủ</edXML:OrganName>
        </edXML:To>
        <edXML:DocumentId>000.00.00.H41,2025/07/01,123/UBND-VX</edXML:DocumentId>
        <edXML:Code><edXML:CodeNumber>123</edXML:CodeNumber><edXML:CodeNotation>UBND-VX</edXML:CodeNotation></edXML:Code>
        <edXML:Subject>${subject}</edXML:Subject>
        <!-- a comment: never covered by the digest -->
        <OtherInfo><Priority>0</Priority></OtherInfo>
      </edXML:MessageHeader>
      <edXML:TraceHeaderList>
        <edXML:TraceHeader><edXML:OrganId>000.00.00.H41</edXML:OrganId><edXML:Timestamp>2025/07/01 08:00:00</edXML:Timestamp></edXML:TraceHeader>
      </edXML:TraceHeaderList>${options?.headerExtra ?? ''}
    </edXML:edXMLHeader>
    <edXML:edXMLBody>
      <edXML:edXMLManifest version="1.0">
        <edXML:Reference>
          <edXML:ContentId>cid:1</edXML:ContentId>
          <edXML:ContentType>application/pdf</edXML:ContentType>
          <edXML:AttachmentName>van-ban.pdf</edXML:AttachmentName>
        </edXML:Reference>
      </edXML:edXMLManifest>
    </edXML:edXMLBody>
  </edXML:edXMLEnvelope>
  <AttachmentEncoded>
    <Attachment>
      <ContentId>cid:1</ContentId>
      <AttachmentName>van-ban.pdf</AttachmentName>
      <ContentType>application/pdf</ContentType>
      <edXML:ContentTransferEncoded xmlns:edXML="${EDXML_NS}">${base64}</edXML:ContentTransferEncoded>
    </Attachment>
  </AttachmentEncoded>
</edXML>
`;
}

/** Changes one character at `index` to another one that keeps the document well-formed. */
export function tamperAt(text: string, index: number): string {
  const c = text[index];
  if (c === undefined) throw new Error(`tamperAt: index ${index} is outside the text`);
  return text.slice(0, index) + (c === 'A' ? 'B' : 'A') + text.slice(index + 1);
}
