// `vdxp inspect` in-process: every example packet, attachments measured and sniffed, signatures judged, refusals coded.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { EXAMPLES_DIR, STATUS_CODES, buildPacketBytes, signPacket } from '@vdxp/edxml';
import { cli } from '../../test-support/cli.ts';
import type { Inspection } from './inspect.ts';

const example = (name: string): string => new URL(name, EXAMPLES_DIR).pathname;
const MINIMAL = example('edoc-minimal-free-ids.edxml');
const PDF = Buffer.from('%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n', 'latin1');

let dir: string;
before(() => { dir = mkdtempSync(join(tmpdir(), 'vdxp-cli-inspect-')); });
after(() => rmSync(dir, { recursive: true, force: true }));

async function inspectJson(file: string): Promise<Inspection> {
  const r = await cli(['inspect', '--json', file]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Inspection;
}

async function edocWithPdf(): Promise<Buffer> {
  return buildPacketBytes({
    header: {
      MessageHeader: {
        From: { OrganId: '000.00.00.G22', OrganName: 'Văn phòng Chính phủ' }, To: [{ OrganId: '000.00.00.H41' }, { OrganId: '000.00.00.H14' }],
        DocumentId: '000.00.00.G22,2026/03/01,12/VPCP-TTĐT', Code: { CodeNumber: '12', CodeNotation: 'VPCP-TTĐT' },
        Subject: 'Về việc thử nghiệm', OtherInfo: { Priority: '3' }, ResponseFor: [],
      },
      TraceHeaderList: { TraceHeader: [{ OrganId: '000.00.00.G22', Timestamp: '2026/03/01 10:00:00' }], Bussiness: { BussinessDocType: '2' } },
    },
    attachments: [{ ContentId: 'cid:1', AttachmentName: 'công văn.pdf', ContentType: 'application/msword', content: PDF }],
  });
}

describe('vdxp inspect', () => {
  it('reads the minimal example: parties, free-form ids, the zipped attachment measured and sniffed, no signature', async () => {
    const i = await inspectJson(MINIMAL);
    const raw = readFileSync(MINIMAL, 'utf8');
    const payload = Buffer.from(/ContentTransferEncoded[^>]*>([^<]+)</.exec(raw)?.[1] ?? '', 'base64');
    assert.equal(i.kind, 'edoc');
    assert.equal(i.from, 'vxp.saas.03');
    assert.deepEqual(i.to, ['vxp.saas.03']);
    assert.equal(i.documentId, 'thu-nghiem-07');
    assert.equal(i.code, '07/THU');
    assert.equal(i.subject, 'Gói tin thử tối giản');
    assert.equal(i.statusCode, null);
    assert.equal(i.packetBytes, readFileSync(MINIMAL).length);
    assert.deepEqual(i.attachments, [{
      index: 1, name: 'ghi-chu.txt', contentId: 'cid:thu-nghiem-07', declaredType: 'application/zip',
      sniffedType: 'application/zip', sniffedFormat: 'zip', bytes: payload.length,
      sha256: createHash('sha256').update(payload).digest('hex'),
    }]);
    assert.deepEqual(i.signature, { present: false });
  });

  it('says a zip declared application/pdf is a zip', async () => {
    const i = await inspectJson(example('edoc-zip-declared-pdf.edxml'));
    assert.deepEqual(i.attachments.map((a) => [a.name, a.declaredType, a.sniffedType, a.sniffedFormat]),
      [['Quyết định 07-QĐ-UBND.pdf', 'application/pdf', 'application/zip', 'zip']]);
  });

  it('reads each status example: every code once, answered document, no recipients', async () => {
    const codes: string[] = [];
    for (const name of readdirSync(EXAMPLES_DIR).filter((n) => n.startsWith('status-'))) {
      const i = await inspectJson(example(name));
      assert.equal(i.kind, 'status', name);
      assert.equal(i.statusCode, name.slice('status-'.length, 'status-'.length + 2), name);
      codes.push(i.statusCode ?? '');
      assert.deepEqual(i.responseFor, ['000.00.00.G01,2026/03/02,215/VP-HC']);
      assert.equal(i.from, name.startsWith('status-13') ? '000.00.00.G01' : '000.00.00.H29');
      assert.deepEqual(i.to, []);
      assert.deepEqual(i.attachments, []);
    }
    assert.deepEqual(codes.sort(), [...STATUS_CODES]);
  });

  it('prints a readable Vietnamese-first report', async () => {
    const r = await cli(['inspect', example('status-02-rejected.edxml')]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Nơi gửi \/ From: +000\.00\.00\.H29 \(Ủy ban nhân dân tỉnh Thử nghiệm\)/);
    assert.match(r.stdout, /Trạng thái \/ Status: +02 Từ chối tiếp nhận \/ Rejected/);
    assert.match(r.stdout, /Lý do \/ Description: +Từ chối tiếp nhận: văn bản gửi nhầm nơi nhận/);
    assert.match(r.stdout, /Chữ ký số \/ Signature: +không có \/ none/);
  });

  it('measures, hashes and sniffs a built attachment, and says when the declared type is wrong', async () => {
    const file = join(dir, 'pdf.edxml');
    writeFileSync(file, await edocWithPdf());
    const i = await inspectJson(file);
    assert.deepEqual(i.to, ['000.00.00.H41', '000.00.00.H14']);
    assert.equal(i.priority, '3');
    assert.equal(i.businessType, '2');
    assert.equal(i.attachments[0]?.bytes, PDF.length);
    assert.equal(i.attachments[0]?.sha256, createHash('sha256').update(PDF).digest('hex'));
    assert.equal(i.attachments[0]?.declaredType, 'application/msword');
    assert.equal(i.attachments[0]?.sniffedType, 'application/pdf');
    const human = await cli(['inspect', file]);
    assert.match(human.stdout, /Độ khẩn \/ Priority: +3 hỏa tốc \/ express/);
    assert.match(human.stdout, /1\. công văn\.pdf <cid:1>/);
    assert.match(human.stdout, /khai báo \/ declared: application\/msword · thực tế \/ sniffed: application\/pdf \(pdf\)/);
  });

  it('with no file, inspects every example shipped with @vdxp/edxml as a demo', async () => {
    const r = await cli(['inspect']);
    assert.equal(r.code, 0, r.stderr);
    const names = readdirSync(EXAMPLES_DIR).filter((n) => n.endsWith('.edxml'));
    assert.equal(names.length, 13);
    for (const n of names) assert.ok(r.stdout.includes(`${n}\n`), n);
    assert.equal(r.stdout.match(/Nơi gửi \/ From:/g)?.length, names.length);
  });

  it('refuses a broken packet with its code and exit 1, and goes on with the next file', async () => {
    const file = join(dir, 'dtd.edxml');
    writeFileSync(file, '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><edXML/>');
    const r = await cli(['inspect', file, MINIMAL]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /VDXP_E_XML_DTD/);
    assert.match(r.stdout, /vxp\.saas\.03/);
    const j = await cli(['inspect', '--json', file]);
    assert.equal(j.code, 1);
    assert.equal((JSON.parse(j.stdout) as { refusal: { code: string } }).refusal.code, 'VDXP_E_XML_DTD');
  });

  it('exits 2 when the file cannot be read', async () => {
    const r = await cli(['inspect', join(dir, 'absent.edxml')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cannot read .*absent\.edxml/);
    assert.equal((await cli(['inspect', dir])).code, 2);
  });

  it('verifies a signature in a second streaming pass: valid, then tampered', async () => {
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/C=VN/O=VDXP Test/CN=Van thu VPCP',
      '-days', '1', '-keyout', keyPath, '-out', certPath], { stdio: 'ignore' });
    const unsigned = join(dir, 'unsigned.edxml');
    writeFileSync(unsigned, await edocWithPdf());
    const parts: Buffer[] = [];
    const sink = new Writable({ write(chunk: Buffer, _e, done) { parts.push(chunk); done(); } });
    await signPacket(unsigned, { privateKey: readFileSync(keyPath), certificate: readFileSync(certPath) }, sink);
    const signed = join(dir, 'signed.edxml');
    writeFileSync(signed, Buffer.concat(parts));

    const good = await inspectJson(signed);
    assert.equal(good.signature.present, true);
    assert.ok(good.signature.present && good.signature.valid, JSON.stringify(good.signature));
    assert.ok(good.signature.valid && good.signature.algorithm === 'rsa-sha256');
    assert.match(good.signature.valid ? good.signature.signer ?? '' : '', /CN=Van thu VPCP/);

    const tampered = join(dir, 'tampered.edxml');
    writeFileSync(tampered, Buffer.concat(parts).toString('utf8').replace('Về việc thử nghiệm', 'Về việc khác'));
    const bad = await inspectJson(tampered);
    assert.ok(bad.signature.present && !bad.signature.valid);
    assert.equal(bad.signature.present && !bad.signature.valid ? bad.signature.code : '', 'VDXP_E_SIGNATURE_INVALID');
    const human = await cli(['inspect', tampered]);
    assert.equal(human.code, 0);
    assert.match(human.stdout, /Chữ ký số \/ Signature: +KHÔNG hợp lệ \/ INVALID — VDXP_E_SIGNATURE_INVALID/);
  });
});
