// The parser against every example packet (slice boundaries anywhere in their payloads), the tolerance real traffic needs, and hostile input.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { EdxmlError } from './errors.ts';
import { EXAMPLES_DIR } from './examples.ts';
import { parsePacket, parsePacketBytes } from './parse.ts';

const example = (name: string): Buffer => readFileSync(new URL(name, EXAMPLES_DIR));
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

/** Each attachment payload of a packet file, decoded without the parser: the base64 text between the tags. */
function payloadsOf(raw: Buffer): { bytes: Buffer; textEnd: number; lastGroupStart: number }[] {
  const text = raw.toString('latin1'); // one character per byte: indexes are byte offsets
  return [...text.matchAll(/<(?:\w+:)?ContentTransferEncoded\b[^>]*>([^<]*)</g)].map((m) => {
    const b64 = m[1] ?? '';
    const textStart = (m.index ?? 0) + m[0].length - 1 - b64.length;
    // Where the last four base64 characters begin, line breaks between them included.
    let lastGroupStart = textStart + b64.length;
    for (let seen = 0; seen < 4 && lastGroupStart > textStart;) if (!/\s/.test(text[--lastGroupStart] ?? '')) seen++;
    return { bytes: Buffer.from(b64.replace(/\s+/g, ''), 'base64'), textEnd: textStart + b64.length, lastGroupStart };
  });
}
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const cutAt = (raw: Buffer, at: readonly number[]): Buffer[] => [0, ...at].map((a, i) => raw.subarray(a, [...at, raw.length][i]));

describe('examples', () => {
  const statusFiles: Record<string, string> = {
    'status-01-arrived.edxml': '01', 'status-02-rejected.edxml': '02', 'status-03-accepted.edxml': '03',
    'status-04-assigned.edxml': '04', 'status-05-processing.edxml': '05', 'status-06-finished.edxml': '06',
    'status-13-recall.edxml': '13', 'status-15-recall-agreed.edxml': '15', 'status-16-recall-refused.edxml': '16',
  };
  const edocFiles = ['edoc-cong-van.edxml', 'edoc-crlf-prefixed.edxml', 'edoc-minimal-free-ids.edxml', 'edoc-zip-declared-pdf.edxml'];

  it('covers every file in the examples folder', () => {
    const files = readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith('.edxml')).sort();
    assert.deepEqual(files, [...Object.keys(statusFiles), ...edocFiles].sort());
  });

  for (const [file, code] of Object.entries(statusFiles)) {
    it(`parses ${file} as status ${code}`, async () => {
      const raw = example(file);
      assert.ok(raw.includes('\r\n\t\t\t<edXML:OrganId>'), 'CRLF line ends and tabs, as SDK-written packets have');
      const p = await parsePacketBytes(raw);
      const mh = p.header.MessageHeader;
      assert.equal(p.kind, 'status');
      assert.equal(mh.StatusCode, code);
      assert.equal(p.attachments.length, 0);
      assert.equal(p.header.TraceHeaderList, undefined);
      assert.deepEqual(p.unknownElements, []);
      const [sender, answered] = code === '13' ? ['000.00.00.G01', '000.00.00.H29'] : ['000.00.00.H29', '000.00.00.G01'];
      assert.equal(mh.From.OrganId, sender);
      assert.equal(mh.ResponseFor.length, 1);
      assert.equal(mh.ResponseFor[0]?.OrganId, answered);
      assert.equal(mh.ResponseFor[0]?.DocumentId, '000.00.00.G01,2026/03/02,215/VP-HC');
      assert.equal(mh.ResponseFor[0]?.Code, '215/VP-HC');
      assert.equal(mh.ResponseFor[0]?.PromulgationDate, '2026/03/02');
      assert.match(mh.Timestamp ?? '', /^\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}$/);
      assert.ok((mh.Description ?? '').length > 0);
      assert.equal(mh.StaffInfo?.Staff, 'Nguyễn Văn Mẫu');
    });
  }

  it('reads every organisation field of a status packet, Vietnamese intact', async () => {
    const p = await parsePacketBytes(example('status-02-rejected.edxml'));
    assert.deepEqual(p.header.MessageHeader.From, {
      OrganId: '000.00.00.H29', OrganizationInCharge: 'Ủy ban nhân dân tỉnh Thử nghiệm', OrganName: 'Ủy ban nhân dân tỉnh Thử nghiệm',
      OrganAdd: 'Số 9 đường Thử Nghiệm, thành phố Thử nghiệm, tỉnh Thử nghiệm', Email: 'vanthu@tinhthunghiem.gov.vn',
      Telephone: '0200 3800 100', Fax: '0200 3800 101', Website: 'tinhthunghiem.gov.vn',
    });
    assert.deepEqual(p.header.MessageHeader.StaffInfo, {
      Department: 'Văn thư', Staff: 'Nguyễn Văn Mẫu', Email: 'mau.nv@tinhthunghiem.gov.vn', Mobile: '0900000001',
    });
    assert.equal(p.header.MessageHeader.Description, 'Từ chối tiếp nhận: văn bản gửi nhầm nơi nhận, đề nghị gửi lại Sở Nội vụ.');
  });

  it('reads every header field of the complete edoc and its three attachments', async () => {
    const raw = example('edoc-cong-van.edxml');
    const p = await parsePacketBytes(raw);
    const mh = p.header.MessageHeader;
    assert.equal(p.kind, 'edoc');
    assert.deepEqual(mh.To, [
      { OrganId: '000.00.00.H29', OrganName: 'Ủy ban nhân dân tỉnh Thử nghiệm' }, { OrganId: '000.00.15.H29', OrganName: 'Ủy ban nhân dân huyện Ví Dụ' },
    ]);
    assert.equal(mh.From.OrganizationInCharge, 'Bộ Thử nghiệm');
    assert.equal(mh.DocumentId, '000.00.00.G01,2026/03/02,215/VP-HC');
    assert.deepEqual(mh.Code, { CodeNumber: '215', CodeNotation: 'VP-HC' });
    assert.deepEqual(mh.PromulgationInfo, { Place: 'Hà Nội', PromulgationDate: '2026/03/02' });
    assert.deepEqual(mh.DocumentType, { Type: '1', TypeName: 'Công văn' });
    assert.equal(mh.Subject, 'Về việc thử nghiệm liên thông văn bản điện tử giữa các cơ quan');
    assert.deepEqual(mh.SignerInfo, { Competence: 'TL. Bộ trưởng', Position: 'Chánh Văn phòng', FullName: 'Trần Thị Mẫu' });
    assert.equal(mh.DueDate, '2026/03/20');
    assert.deepEqual(mh.ToPlaces, ['Như trên', 'Lưu: VT, HC']);
    assert.deepEqual(mh.OtherInfo, {
      Priority: '1', SphereOfPromulgation: 'Toàn quốc', TyperNotation: 'HC', PromulgationAmount: '3', PageAmount: '1', Direction: 'false',
      Appendixes: ['Danh sách cơ quan'],
    });
    assert.equal(mh.SteeringType, '0');
    assert.deepEqual(p.header.TraceHeaderList, {
      TraceHeader: [{ OrganId: '000.00.00.G01', Timestamp: '2026/03/02 08:30:00' }], Bussiness: { BussinessDocType: '0', Paper: '0' },
    });
    assert.deepEqual(p.header.Manifest.map((r) => r.AttachmentName), ['Công văn 215-VP-HC.pdf', 'Hướng dẫn kết nối.docx', 'Danh sách cơ quan.txt']);
    const payloads = payloadsOf(raw);
    assert.equal(payloads.length, 3);
    assert.deepEqual(p.attachments.map((a) => [a.ContentId, a.bytes, a.sha256]),
      payloads.map((x, i) => [`cid:${i + 1}`, x.bytes.length, sha256(x.bytes)]));
    assert.match(Buffer.from(p.attachments[2]?.head ?? []).toString('utf8'), /Ủy ban nhân dân huyện Ví Dụ/);
    assert.deepEqual(p.unknownElements, []);
  });

  it('reads CRLF, tabs and mixed prefixed and unprefixed names, payload elements included', async () => {
    const raw = example('edoc-crlf-prefixed.edxml');
    assert.equal(raw.toString('latin1').replaceAll('\r\n', '').includes('\n'), false, 'every line ends in CRLF');
    const p = await parsePacketBytes(raw);
    const mh = p.header.MessageHeader;
    assert.equal(mh.From.OrganId, '000.00.00.H29');
    assert.deepEqual(mh.To, [{ OrganId: '000.00.00.G01', OrganName: 'Văn phòng Bộ Thử nghiệm' }]);
    assert.equal(mh.DocumentId, '000.00.00.H29,2026/03/10,48/BC-UBND');
    assert.deepEqual(mh.ResponseFor, [{ OrganId: '000.00.00.G01', Code: '215/VP-HC', PromulgationDate: '2026/03/02', DocumentId: '000.00.00.G01,2026/03/02,215/VP-HC' }]);
    assert.deepEqual(p.header.TraceHeaderList?.TraceHeader, [{ OrganId: '000.00.00.H29', Timestamp: '2026/03/10 14:05:09' }]);
    const payloads = payloadsOf(raw);
    assert.deepEqual(p.attachments.map((a) => [a.AttachmentName, a.ContentType, a.bytes, a.sha256]), [
      ['Báo cáo 48-BC-UBND.pdf', 'application/pdf', payloads[0]?.bytes.length, sha256(payloads[0]?.bytes ?? Buffer.alloc(0))],
      ['Số liệu.txt', 'text/plain', payloads[1]?.bytes.length, sha256(payloads[1]?.bytes ?? Buffer.alloc(0))],
    ]);
    assert.deepEqual(p.unknownElements, []);
  });

  it('parses the minimal packet: free-form ids, prefixed payload element, zipped attachment', async () => {
    const raw = example('edoc-minimal-free-ids.edxml');
    const [payload] = payloadsOf(raw);
    const expected = payload?.bytes ?? Buffer.alloc(0);
    const received: Buffer[] = [];
    const p = await parsePacketBytes(raw, {
      onAttachment: () => new Writable({ write(c: Buffer, _e, cb) { received.push(c); cb(); } }),
    });
    const mh = p.header.MessageHeader;
    assert.equal(p.kind, 'edoc');
    assert.equal(mh.From.OrganId, 'vxp.saas.03');
    assert.deepEqual(mh.To, [{ OrganId: 'vxp.saas.03', OrganName: 'Hệ thống thử B' }]);
    assert.equal(mh.DocumentId, 'thu-nghiem-07');
    assert.deepEqual(mh.Code, { CodeNumber: '07', CodeNotation: 'THU' });
    assert.equal(mh.Subject, 'Gói tin thử tối giản');
    assert.equal(mh.PromulgationInfo, undefined);
    assert.equal(p.header.TraceHeaderList, undefined);
    assert.equal(p.header.ManifestVersion, '1.0');
    assert.deepEqual(p.header.Manifest, [{ ContentId: 'cid:thu-nghiem-07', ContentType: 'text/plain', AttachmentName: 'ghi-chu.txt' }]);
    assert.equal(p.attachments.length, 1);
    const a = p.attachments[0];
    assert.equal(a?.AttachmentName, 'ghi-chu.txt');
    assert.equal(a?.ContentType, 'application/zip');
    assert.ok(expected.length > 100);
    assert.equal(a?.bytes, expected.length);
    assert.equal(a?.sha256, sha256(expected));
    assert.deepEqual(Buffer.concat(received), expected);
    assert.deepEqual(Buffer.from(a?.head ?? []), expected.subarray(0, 4096));
    assert.equal(p.signaturePresent, false);
  });

  it('gives the same result whatever the input slicing (one byte at a time)', async () => {
    for (const file of ['status-01-arrived.edxml', 'edoc-crlf-prefixed.edxml']) {
      const raw = example(file);
      const whole = await parsePacketBytes(raw);
      const bytes = function* (): Generator<Uint8Array> { for (const b of raw) yield Uint8Array.of(b); };
      assert.deepEqual(await parsePacket(bytes()), whole, file);
    }
  });

  it('decodes every payload the same when a slice ends anywhere in or around its last 4-character group', async () => {
    let payloadsSeen = 0;
    for (const file of edocFiles) {
      const raw = example(file);
      const whole = await parsePacketBytes(raw);
      const payloads = payloadsOf(raw);
      assert.deepEqual(whole.attachments.map((a) => a.sha256), payloads.map((x) => sha256(x.bytes)), file);
      const expected = whole.attachments.map((a) => [a.bytes, a.sha256]);
      for (const { lastGroupStart, textEnd } of payloads) {
        payloadsSeen++;
        const from = lastGroupStart - 2;
        const to = textEnd + 2;
        for (let i = from; i <= to; i++) {
          for (let j = i; j <= to; j++) {
            const p = await parsePacket(cutAt(raw, i === j ? [i] : [i, j]));
            assert.deepEqual(p.attachments.map((a) => [a.bytes, a.sha256]), expected, `${file} cut at ${i}${i === j ? '' : ` and ${j}`}`);
          }
        }
      }
    }
    // The examples end their payloads in "==", "=", no padding, and "=" CRLF "=": each kind is reached.
    assert.ok(payloadsSeen >= 7, `${payloadsSeen} payloads`);
  });

  it('decodes every payload the same at random slicings (seeded)', async () => {
    let seed = 20260302; // xorshift32: the same cuts on every run
    const next = (): number => { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; return (seed >>>= 0); };
    for (const file of edocFiles) {
      const raw = example(file);
      const expected = (await parsePacketBytes(raw)).attachments.map((a) => [a.bytes, a.sha256]);
      for (let run = 0; run < 100; run++) {
        const at = Array.from({ length: 1 + (next() % 12) }, () => next() % (raw.length + 1)).sort((a, b) => a - b);
        const p = await parsePacket(cutAt(raw, at));
        assert.deepEqual(p.attachments.map((a) => [a.bytes, a.sha256]), expected, `${file} cut at ${at.join(',')}`);
      }
    }
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

  it('decodes a payload whose padding is split by character references, CDATA or a comment, at every two-way cut', async () => {
    const forms = ['QUJD&#13;&#10;RA=&#13;&#10;=', '<![CDATA[QUJDRA=]]>=', 'QUJDRA=<!-- = -->=', 'QUJD\r\n\tRA\r\n=\r\n=\r\n'];
    for (const form of forms) {
      const xml = Buffer.from(minimal(`<AttachmentEncoded><Attachment><ContentTransferEncoded>${form}</ContentTransferEncoded></Attachment></AttachmentEncoded>`));
      const from = xml.indexOf(form) - 1;
      const to = from + form.length + 2;
      for (let i = from; i <= to; i++) {
        for (let j = i; j <= to; j++) {
          const p = await parsePacket(cutAt(xml, [i, j]));
          assert.equal(p.attachments[0]?.sha256, sha256(Buffer.from('ABCD')), `${JSON.stringify(form)} cut at ${i} and ${j}`);
        }
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
