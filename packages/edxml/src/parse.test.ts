// The parser against every real sample, the tolerance real traffic needs, and hostile input.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { EdxmlError } from './errors.ts';
import { parsePacket, parsePacketBytes } from './parse.ts';

const SAMPLES = new URL('../../../../shared/samples/edxml/', import.meta.url);
const sample = (name: string): Buffer => readFileSync(new URL(name, SAMPLES));
const NS = 'http://www.mic.gov.vn/TBT/QCVN_102_2016';

async function refusal(input: string | Buffer | Iterable<Uint8Array>, options = {}): Promise<EdxmlError> {
  try {
    if (typeof input === 'string' || Buffer.isBuffer(input)) await parsePacketBytes(input, options);
    else await parsePacket(input, options);
  } catch (e) {
    assert.ok(e instanceof EdxmlError, `expected an EdxmlError, got ${String(e)}`);
    return e;
  }
  assert.fail('the packet was accepted');
}

const minimal = (body = '', extraHeader = ''): string => `<?xml version="1.0"?><edXML xmlns="${NS}"><edXMLEnvelope>` +
  `<edXMLHeader><MessageHeader><From><OrganId>A</OrganId></From><To><OrganId>B</OrganId></To>${extraHeader}` +
  `</MessageHeader></edXMLHeader></edXMLEnvelope>${body}</edXML>`;

describe('samples', () => {
  const statusFiles: Record<string, string> = {
    'vnpt-sdk_status.edxml': '01', 'vnpt-sdk_status_inbox_01.edxml': '01', 'vnpt-sdk_status_rejection_02.edxml': '02',
    'vnpt-sdk_status_acceptance_03.edxml': '03', 'vnpt-sdk_status_assignment_04.edxml': '04',
    'vnpt-sdk_status_processing_05.edxml': '05', 'vnpt-sdk_status_finish_06.edxml': '06',
    'vnpt-sdk_status_cancellation_13.edxml': '13', 'vnpt-sdk_status_change-acceptance_15.edxml': '15',
    'vnpt-sdk_status_change-rejection_16.edxml': '16',
  };

  it('covers every file in the samples folder', () => {
    const files = readdirSync(SAMPLES).filter((f) => f.endsWith('.edxml')).sort();
    assert.deepEqual(files, [...Object.keys(statusFiles), 'pvn-gw_minimal_test_edxml_with_content.edxml'].sort());
  });

  for (const [file, code] of Object.entries(statusFiles)) {
    it(`parses ${file} as status ${code}`, async () => {
      const p = await parsePacketBytes(sample(file));
      const mh = p.header.MessageHeader;
      assert.equal(p.kind, 'status');
      assert.equal(mh.StatusCode, code);
      assert.equal(p.attachments.length, 0);
      assert.equal(p.header.TraceHeaderList, undefined);
      assert.deepEqual(p.unknownElements, []);
      const [sender, answered] = code === '13' ? ['000.00.00.G22', '000.00.00.H41'] : ['000.00.00.H41', '000.00.00.G22'];
      assert.equal(mh.From.OrganId, sender);
      assert.equal(mh.ResponseFor.length, 1);
      assert.equal(mh.ResponseFor[0]?.OrganId, answered);
      assert.equal(mh.ResponseFor[0]?.DocumentId, '000.00.00.G22,2015/09/30,7816/VPCP-TTĐT');
      assert.equal(mh.ResponseFor[0]?.Code, '7816/VPCP-TTĐT');
      assert.match(mh.Timestamp ?? '', /^\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}$/);
      assert.ok((mh.Description ?? '').length > 0);
      assert.ok(mh.StaffInfo?.Staff);
    });
  }

  it('reads every organisation field of the first status sample, Vietnamese intact', async () => {
    const p = await parsePacketBytes(sample('vnpt-sdk_status.edxml'));
    assert.deepEqual(p.header.MessageHeader.From, {
      OrganId: '000.00.00.H41', OrganizationInCharge: 'UBND Tỉnh Nghệ An', OrganName: 'UBND Tỉnh Nghệ An',
      OrganAdd: 'Số 03, đường Trường Thi, Thành phố Vinh, Tỉnh Nghệ An, Việt Nam', Email: 'nghean@gov.vn',
      Telephone: '0383 840418', Fax: '0383 843049', Website: 'www.nghean.vn',
    });
    assert.deepEqual(p.header.MessageHeader.StaffInfo, {
      Department: 'Văn thư văn phòng', Staff: 'Nguyễn Thị Ngọc Trâm', Email: 'vanthuvanphong@gov.vn', Mobile: '84912000001',
    });
  });

  it('parses the minimal packet: free-form ids, prefixed payload element, zipped attachment', async () => {
    const raw = sample('pvn-gw_minimal_test_edxml_with_content.edxml');
    const b64 = /ContentTransferEncoded[^>]*>([^<]+)</.exec(raw.toString('utf8'))?.[1] ?? '';
    const expected = Buffer.from(b64, 'base64');
    const received: Buffer[] = [];
    const p = await parsePacketBytes(raw, {
      onAttachment: () => new Writable({ write(c: Buffer, _e, cb) { received.push(c); cb(); } }),
    });
    const mh = p.header.MessageHeader;
    assert.equal(p.kind, 'edoc');
    assert.equal(mh.From.OrganId, 'vxp.saas.03');
    assert.deepEqual(mh.To, [{ OrganId: 'vxp.saas.03', OrganName: 'Test To' }]);
    assert.equal(mh.DocumentId, 'test-123');
    assert.deepEqual(mh.Code, { CodeNumber: '123', CodeNotation: 'TEST' });
    assert.equal(mh.Subject, 'Test Subject');
    assert.equal(mh.PromulgationInfo, undefined);
    assert.equal(p.header.ManifestVersion, '1.0');
    assert.deepEqual(p.header.Manifest, [{ ContentId: 'cid:test-123', ContentType: 'text/plain', AttachmentName: 'test.txt' }]);
    assert.equal(p.attachments.length, 1);
    const a = p.attachments[0];
    assert.equal(a?.AttachmentName, 'test.txt');
    assert.equal(a?.ContentType, 'application/zip');
    assert.equal(a?.bytes, expected.length);
    assert.equal(a?.sha256, createHash('sha256').update(expected).digest('hex'));
    assert.deepEqual(Buffer.concat(received), expected);
    assert.deepEqual(Buffer.from(a?.head ?? []), expected.subarray(0, 4096));
    assert.equal(p.signaturePresent, false);
  });

  it('gives the same result whatever the input slicing (one byte at a time)', async () => {
    const raw = sample('vnpt-sdk_status.edxml');
    const whole = await parsePacketBytes(raw);
    const bytes = function* (): Generator<Uint8Array> { for (const b of raw) yield Uint8Array.of(b); };
    assert.deepEqual(await parsePacket(bytes()), whole);
  });
});

describe('tolerance', () => {
  it('accepts any element order, mixed prefixes and unknown elements', async () => {
    const xml = `<e:edXML xmlns:e="${NS}"><AttachmentEncoded xmlns="${NS}"><Attachment><ContentTransferEncoded>aGk=</ContentTransferEncoded>` +
      `<AttachmentName>a.txt</AttachmentName></Attachment></AttachmentEncoded><e:edXMLEnvelope><e:edXMLBody/>` +
      `<e:edXMLHeader><e:TraceHeaderList><e:Bussiness><e:BussinessDocType>2</e:BussinessDocType><e:BussinessDocumentInfo>` +
      `<e:ReceiverList><e:Receiver><e:ReceiverType>1</e:ReceiverType><e:OrganId>X</e:OrganId></e:Receiver></e:ReceiverList>` +
      `</e:BussinessDocumentInfo></e:Bussiness><e:TraceHeader><e:Timestamp>2026/11/23 08:00:00</e:Timestamp><e:OrganId>A</e:OrganId>` +
      `</e:TraceHeader></e:TraceHeaderList><e:MessageHeader><e:Subject>S</e:Subject><e:Novelty>?</e:Novelty><e:To><e:OrganId>B</e:OrganId></e:To>` +
      `<e:From><e:OrganId>A</e:OrganId></e:From><e:To><e:OrganId>C</e:OrganId></e:To></e:MessageHeader></e:edXMLHeader></e:edXMLEnvelope></e:edXML>`;
    const p = await parsePacketBytes(xml);
    assert.deepEqual(p.header.MessageHeader.To.map((t) => t.OrganId), ['B', 'C']);
    assert.equal(p.header.TraceHeaderList?.Bussiness?.BussinessDocType, '2');
    assert.deepEqual(p.header.TraceHeaderList?.Bussiness?.BussinessDocumentInfo?.ReceiverList, [{ ReceiverType: '1', OrganId: 'X' }]);
    assert.deepEqual(p.header.TraceHeaderList?.TraceHeader, [{ Timestamp: '2026/11/23 08:00:00', OrganId: 'A' }]);
    assert.equal(p.attachments[0]?.AttachmentName, 'a.txt');
    assert.equal(p.attachments[0]?.bytes, 2);
    assert.deepEqual(p.unknownElements, ['edXML/edXMLEnvelope/edXMLHeader/MessageHeader/Novelty']);
  });

  it('notices an XML signature and skips its subtree', async () => {
    const sig = '<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo><Subject>not ours</Subject></SignedInfo></Signature>';
    const seen: boolean[] = [];
    const p = await parsePacketBytes(minimal('', '').replace('</MessageHeader>', `</MessageHeader>${sig}`), {
      onHeaderEnd: (h) => seen.push(h.signaturePresent),
    });
    assert.deepEqual(seen, [true], 'onHeaderEnd tells, once, whether the header was signed');
    assert.equal(p.signaturePresent, true);
    assert.equal(p.header.MessageHeader.Subject, undefined);
  });

  it('decodes payloads written with character references, CDATA or comments, whatever the slicing', async () => {
    const data = Buffer.from('Tệp đính kèm '.repeat(4000));
    const b64 = data.toString('base64');
    const lines = (b64.match(/.{1,76}/g) ?? []);
    const forms = [
      lines.join('&#13;\n'),
      `<![CDATA[${b64.slice(0, 1000)}]]>${b64.slice(1000, 5000)}<!-- note -->${b64.slice(5000)}`,
      b64,
    ];
    for (const form of forms) {
      const xml = Buffer.from(minimal(`<AttachmentEncoded><Attachment><ContentTransferEncoded>${form}</ContentTransferEncoded></Attachment></AttachmentEncoded>`));
      for (const size of [7, 4096, 1 << 20]) {
        const slices = function* (): Generator<Uint8Array> { for (let at = 0; at < xml.length; at += size) yield xml.subarray(at, at + size); };
        const p = await parsePacket(slices());
        assert.equal(p.attachments[0]?.sha256, createHash('sha256').update(data).digest('hex'), `form ${forms.indexOf(form)}, slices of ${size}`);
      }
    }
  });

  it('keeps base64 split by line breaks and slices', async () => {
    const data = Buffer.from('Công văn số 1 — đính kèm'.repeat(50));
    const folded = (data.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');
    const p = await parsePacketBytes(minimal(`<AttachmentEncoded><Attachment><ContentTransferEncoded>${folded}</ContentTransferEncoded></Attachment></AttachmentEncoded>`));
    assert.equal(p.attachments[0]?.sha256, createHash('sha256').update(data).digest('hex'));
  });
});

describe('hostile input', () => {
  it('refuses a DTD (billion laughs, XXE) before any entity is read', async () => {
    const laughs = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>' +
      `<edXML xmlns="${NS}">&lol2;</edXML>`;
    assert.equal((await refusal(laughs)).code, 'VDXP_E_XML_DTD');
    const xxe = `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><edXML xmlns="${NS}">&e;</edXML>`;
    assert.equal((await refusal(xxe)).code, 'VDXP_E_XML_DTD');
  });

  it('refuses a wrong root or namespace', async () => {
    assert.equal((await refusal('<edXML><x/></edXML>')).code, 'VDXP_E_XML_ROOT');
    assert.equal((await refusal(`<Packet xmlns="${NS}"/>`)).code, 'VDXP_E_XML_ROOT');
  });

  it('refuses truncated and empty input', async () => {
    const full = minimal();
    for (const cut of [0, 10, 60, full.length - 3]) {
      assert.equal((await refusal(full.slice(0, cut))).code, 'VDXP_E_XML_TRUNCATED', `cut at ${cut}`);
    }
  });

  it('knows only XML\'s own entities', async () => {
    assert.equal((await refusal(minimal('', '<Subject>a&nbsp;b</Subject>'))).code, 'VDXP_E_XML_MALFORMED');
    const p = await parsePacketBytes(minimal('', '<Subject>a &amp; b &lt;c&gt; &#273;</Subject>'));
    assert.equal(p.header.MessageHeader.Subject, 'a & b <c> đ');
  });

  it('refuses malformed XML and invalid UTF-8', async () => {
    assert.equal((await refusal(minimal().replace('</From>', '</Frm>'))).code, 'VDXP_E_XML_MALFORMED');
    assert.equal((await refusal(Buffer.concat([Buffer.from(minimal().slice(0, 100)), Buffer.from([0xc3, 0x28]), Buffer.from('>')]))).code,
      'VDXP_E_XML_MALFORMED');
  });

  it('refuses deep nesting', async () => {
    const deep = '<a>'.repeat(100) + '</a>'.repeat(100);
    assert.equal((await refusal(minimal('', deep))).code, 'VDXP_E_XML_DEPTH');
  });

  it('refuses invalid base64', async () => {
    for (const bad of ['ab$d', 'aGk=aGk=', 'a', 'aGk==='])
      assert.equal((await refusal(minimal(`<AttachmentEncoded><Attachment><ContentTransferEncoded>${bad}</ContentTransferEncoded></Attachment></AttachmentEncoded>`))).code,
        'VDXP_E_BASE64_INVALID', bad);
  });

  it('enforces header, field, repeat, attachment and packet limits', async () => {
    const att = (n: number, b64 = 'aGk='): string => '<AttachmentEncoded>' +
      `<Attachment><ContentTransferEncoded>${b64}</ContentTransferEncoded></Attachment>`.repeat(n) + '</AttachmentEncoded>';
    assert.equal((await refusal(minimal('', `<Subject>${'x'.repeat(5000)}</Subject>`), { limits: { fieldCharsMax: 1000 } })).code, 'VDXP_E_FIELD_TOO_LARGE');
    assert.equal((await refusal(minimal('', `<Content>${'x'.repeat(5000)}</Content>`), { limits: { headerCharsMax: 2000 } })).code, 'VDXP_E_HEADER_TOO_LARGE');
    assert.equal((await refusal(minimal('', '<To><OrganId>C</OrganId></To>'.repeat(20)), { limits: { repeatedElementsMax: 10 } })).code, 'VDXP_E_REPEAT_TOO_MANY');
    assert.equal((await refusal(minimal(att(5)), { limits: { attachmentsMax: 4 } })).code, 'VDXP_E_ATTACHMENTS_TOO_MANY');
    assert.equal((await refusal(minimal(att(1, 'aGVsbG8gd29ybGQ=')), { limits: { attachmentBytesMax: 5 } })).code, 'VDXP_E_ATTACHMENT_TOO_LARGE');
    assert.equal((await refusal(minimal(att(3)), { limits: { attachmentsTotalBytesMax: 5 } })).code, 'VDXP_E_ATTACHMENT_TOO_LARGE');
    assert.equal((await refusal(minimal(), { limits: { packetBytesMax: 100 } })).code, 'VDXP_E_PACKET_TOO_LARGE');
  });

  it('refuses a packet without From/OrganId or MessageHeader', async () => {
    assert.equal((await refusal(minimal().replace('<OrganId>A</OrganId>', ''))).code, 'VDXP_E_HEADER_MISSING');
    assert.equal((await refusal(`<edXML xmlns="${NS}"/>`)).code, 'VDXP_E_HEADER_MISSING');
  });

  it('reports a failing sink as VDXP_E_SINK_FAILED and stops', async () => {
    const e = await refusal(minimal('<AttachmentEncoded><Attachment><ContentTransferEncoded>aGk=</ContentTransferEncoded></Attachment></AttachmentEncoded>'), {
      onAttachment: () => new Writable({ write(_c, _e, cb) { cb(new Error('disk full')); } }),
    });
    assert.equal(e.code, 'VDXP_E_SINK_FAILED');
  });
});
