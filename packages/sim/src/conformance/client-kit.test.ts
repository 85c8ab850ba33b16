// The conformance kit's proof, over both protocols: a reference agency on the native API (@vdxp/client) and one
// on the VDXP wire protocol (as SDKVXP speaks it) each pass every scenario; an agency with one fault fails exactly
// the scenarios that fault breaks (06 before 03; acks without storing; a resend under a new DocumentId; a
// re-encoded copy of what it receives; a document edited after signing). The attachments the vendor receives are
// real files, and the report's HTML names every scenario with its reason and the packet that showed it.

import { strict as assert } from 'node:assert';
import { Writable } from 'node:stream';
import { crc32, inflateRawSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { parsePacketBytes } from '@vdxp/edxml';
import { ClientNativeTransport } from '../transport.ts';
import { VdxpWireClient } from '../vdxp-wire.ts';
import { ClientConformanceKit, COUNTERPART_AGENCY, SCENARIOS, VENDOR_AGENCY, VENDOR_SYSTEM, type ConformanceReport, type ScenarioId } from './client-kit.ts';
import { MixedLink, NativeLink, ReferenceAgency, VdxpLink, type AgencyFaults, type AgencyLink } from './reference-agency.ts';
import { reportHtml } from './report.ts';
import { selfSignedSigner } from './signing.ts';

/** One protocol, or both at once: `vdxp>native` sends over the VDXP wire protocol and receives over the native API. */
type Protocol = 'native' | 'vdxp' | 'vdxp>native' | 'native>vdxp';

async function runKit(protocol: Protocol, faults: AgencyFaults): Promise<{ report: ConformanceReport; kept: Map<string, Uint8Array> }> {
  const kit = new ClientConformanceKit({ port: 0, scenarioTimeoutMs: 10_000, largeBytes: 1024 * 1024 });
  await kit.start();
  // The port is chosen at start; after the restart scenario the kit listens on the same one.
  const native = (): AgencyLink => new NativeLink(new ClientNativeTransport(kit.url), kit.token);
  const vdxp = (): AgencyLink => new VdxpLink(new VdxpWireClient({ endpoint: kit.url, systemId: VENDOR_SYSTEM, secret: kit.secret }), { from: VENDOR_AGENCY });
  const link = protocol === 'native' ? native()
    : protocol === 'vdxp' ? vdxp()
      : protocol === 'vdxp>native' ? new MixedLink({ sending: vdxp(), receiving: native() }) : new MixedLink({ sending: native(), receiving: vdxp() });
  const agency = new ReferenceAgency({ link, agency: VENDOR_AGENCY, faults, signer: selfSignedSigner('Hệ thống tham chiếu / reference agency') });
  try {
    await agency.start();
    await agency.send(COUNTERPART_AGENCY, 1);
    return { report: await kit.run(), kept: new Map(agency.kept) };
  } finally {
    await agency.stop();
    await kit.close();
  }
}

const failed = (r: ConformanceReport): string[] => r.scenarios.filter((s) => !s.passed).map((s) => s.id);
const reason = (r: ConformanceReport, id: ScenarioId): string => r.scenarios.find((s) => s.id === id)?.reason ?? '';

/** The files of a zip, read from its central directory, each inflated and checked against its CRC-32. */
function unzip(zip: Buffer): Map<string, Buffer> {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(end >= 0, 'an end of central directory record');
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const files = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    assert.equal(zip.readUInt32LE(at), 0x02014b50, 'a central directory header');
    const [method, crc, size, nameLength, extraLength, commentLength, local] = [zip.readUInt16LE(at + 10), zip.readUInt32LE(at + 16), zip.readUInt32LE(at + 20),
      zip.readUInt16LE(at + 28), zip.readUInt16LE(at + 30), zip.readUInt16LE(at + 32), zip.readUInt32LE(at + 42)];
    const name = zip.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    assert.equal(zip.readUInt32LE(local), 0x04034b50, `${name}: a local header`);
    const dataAt = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const data = zip.subarray(dataAt, dataAt + size);
    const content = method === 8 ? inflateRawSync(data) : Buffer.from(data);
    assert.equal(crc32(content), crc, `${name}: its CRC-32`);
    files.set(name, content);
    at += 46 + nameLength + extraLength + commentLength;
  }
  return files;
}

/** The attachments' decoded bytes, by name, of the kept packet that carries `name`. */
async function attachmentsWith(kept: Map<string, Uint8Array>, name: string): Promise<Map<string, Buffer>> {
  for (const bytes of kept.values()) {
    const parts = new Map<number, Buffer[]>();
    const p = await parsePacketBytes(bytes, { onAttachment: (a) => {
      const chunks: Buffer[] = [];
      parts.set(a.index, chunks);
      return new Writable({ write(c: Buffer, _e, done) { chunks.push(c); done(); } });
    } });
    if (p.attachments.some((a) => a.AttachmentName === name)) {
      return new Map(p.attachments.map((a) => [a.AttachmentName ?? '', Buffer.concat(parts.get(a.index) ?? [])]));
    }
  }
  return new Map();
}

const RECEIVING = ['receive-attachments', 'receive-signed', 'receive-large', 'receive-business', 'recall', 'restart'];

for (const protocol of ['native', 'vdxp'] as const) {
  describe(`vdxp conformance client, a vendor on the ${protocol === 'native' ? 'native API' : 'VDXP wire protocol'}`, () => {
    it('passes the reference agency in every scenario; it received real PDF, DOCX and zip files', async () => {
      const { report: r, kept } = await runKit(protocol, {});
      assert.deepEqual(failed(r), [], JSON.stringify(r.scenarios.filter((s) => !s.passed), null, 2));
      assert.equal(r.passed, true);
      assert.equal(r.protocol, protocol);
      assert.deepEqual(r.scenarios.map((s) => s.id), SCENARIOS.map(([id]) => id));
      assert.match(reason(r, 'receive-signed'), /returned with 02/);
      assert.match(reason(r, 'send-signed'), /every signature valid/);

      const files = await attachmentsWith(kept, 'phuluc.docx');
      assert.deepEqual([...files.keys()], ['congvan.pdf', 'phuluc.docx', 'hoso.zip'], 'the agency kept the document with several attachments');
      const pdf = files.get('congvan.pdf')?.toString('latin1') ?? '';
      assert.match(pdf, /^%PDF-1\.4\n/);
      assert.match(pdf, /startxref\n\d+\n%%EOF\n$/);
      assert.equal(pdf.slice(Number(/startxref\n(\d+)/.exec(pdf)?.[1])).slice(0, 4), 'xref', 'startxref points at the xref table');
      const docx = unzip(files.get('phuluc.docx') ?? Buffer.alloc(0));
      assert.deepEqual([...docx.keys()], ['[Content_Types].xml', '_rels/.rels', 'word/document.xml']);
      assert.match(docx.get('[Content_Types].xml')?.toString('utf8') ?? '', /PartName="\/word\/document\.xml"/);
      assert.match(docx.get('word/document.xml')?.toString('utf8') ?? '', /Phụ lục kèm theo/);
      assert.deepEqual([...unzip(files.get('hoso.zip') ?? Buffer.alloc(0)).keys()], ['bang-ke.csv', 'ghi-chú.txt']);

      const html = reportHtml(r);
      for (const [id] of SCENARIOS) assert.ok(html.includes(`<code>${id}</code>`), id);
      assert.ok(html.includes(`giao thức / protocol: ${protocol}`));
    });

    it('fails an agency that answers 06 before 03 in status-order only, naming the refusal', async () => {
      const { report: r } = await runKit(protocol, { finishedBeforeRegistered: true });
      assert.deepEqual(failed(r), ['status-order']);
      assert.match(reason(r, 'status-order'), /refused a status out of order/);
    });

    it('fails an agency that acks before storing in every receiving scenario', async () => {
      const { report: r } = await runKit(protocol, { ackWithoutStoring: true });
      assert.deepEqual(failed(r), RECEIVING);
      assert.match(reason(r, 'receive-attachments'), /acked without storing/);
    });

    it('fails an agency that resends with a new DocumentId in no-duplicate-sends only', async () => {
      const { report: r } = await runKit(protocol, { resendWithNewDocumentId: true });
      assert.deepEqual(failed(r), ['no-duplicate-sends']);
    });

    it('fails an agency that keeps a re-encoded copy in receive-signed only, and one that edits after signing in send-signed only', async () => {
      const { report: r } = await runKit(protocol, { alterReceivedBytes: true, editAfterSigning: true });
      assert.deepEqual(failed(r), ['receive-signed', 'send-signed']);
      assert.match(reason(r, 'receive-signed'), /returned \(02\) the intact signed document/);
      assert.match(reason(r, 'send-signed'), /the signature does not verify/);
      const html = reportHtml(r);
      assert.ok(html.includes('KHÔNG ĐẠT / FAIL</td><td><code>send-signed</code>'));
      assert.ok(html.includes('gói tin / packet'), 'the failing packet is shown');
      // The packet that showed it: the vendor's 02, with its stated reason, in the JSON and in the page.
      assert.match(JSON.stringify(r.scenarios.find((s) => s.id === 'receive-signed')?.evidence), /"statusCode":"02","description":"Chữ ký số không hợp lệ/);
      assert.ok(html.includes('Chữ ký số không hợp lệ'));
    });
  });
}

// Some vendors' systems speak both protocols at once (an old SDKVXP integration for sending, the native API for
// receiving, or the other way round). The kit watches every call whichever way it came: the reference agency
// still passes, the report says both protocols, and a fault is still caught on the side that makes it.
for (const mix of ['vdxp>native', 'native>vdxp'] as const) {
  const [sends, receives] = mix.split('>');
  describe(`vdxp conformance client, a vendor that sends over ${sends} and receives over ${receives}`, () => {
    it('passes the reference agency in every scenario; the report says native+vdxp', async () => {
      const { report: r } = await runKit(mix, {});
      assert.deepEqual(failed(r), [], JSON.stringify(r.scenarios.filter((s) => !s.passed), null, 2));
      assert.equal(r.passed, true);
      assert.equal(r.protocol, 'native+vdxp');
      assert.ok(reportHtml(r).includes('giao thức / protocol: native+vdxp'));
    });

    it('fails an agency that resends with a new DocumentId in no-duplicate-sends only, and one that acks before storing in every receiving scenario', async () => {
      const { report: resends } = await runKit(mix, { resendWithNewDocumentId: true });
      assert.deepEqual(failed(resends), ['no-duplicate-sends']);
      const { report: acks } = await runKit(mix, { ackWithoutStoring: true });
      assert.deepEqual(failed(acks), RECEIVING);
    });
  });
}
