// Payload sniffing on real headers: images and PDF built byte by byte, Office and OpenDocument zips written in
// memory, OLE2 compound files, text and XML in their encodings, and the attachments of the example packets.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { crc32, deflateRawSync } from 'node:zlib';
import { EXAMPLES_DIR } from './examples.ts';
import { PAYLOAD_TYPE_INFO, PAYLOAD_TYPES, sniffPayload, type PayloadType } from './sniff.ts';

/** The decoded payloads of an example packet, in order. */
const payloads = (file: string): Buffer[] => [...readFileSync(new URL(file, EXAMPLES_DIR), 'utf8')
  .matchAll(/<(?:\w+:)?ContentTransferEncoded\b[^>]*>([^<]*)</g)].map((m) => Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64'));

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
}
function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

interface Entry { name: string; data: Buffer; method?: 0 | 8; descriptor?: boolean }

/** A minimal zip writer (local headers, optional data descriptors, central directory, end record). */
function zip(entries: Entry[]): Buffer {
  const out: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const method = e.method ?? 8;
    const body = method === 8 ? deflateRawSync(e.data) : e.data;
    const name = Buffer.from(e.name, 'utf8');
    const crc = crc32(e.data);
    const flags = 0x0800 | (e.descriptor ? 0x08 : 0);
    const sizes = e.descriptor ? [u32(0), u32(0), u32(0)] : [u32(crc), u32(body.length), u32(e.data.length)];
    const local = Buffer.concat([u32(0x04034b50), u16(20), u16(flags), u16(method), u16(0), u16(0x21), ...sizes, u16(name.length), u16(0), name]);
    const descriptor = e.descriptor ? Buffer.concat([u32(0x08074b50), u32(crc), u32(body.length), u32(e.data.length)]) : Buffer.alloc(0);
    out.push(local, body, descriptor);
    central.push(Buffer.concat([
      u32(0x02014b50), u16(20), u16(20), u16(flags), u16(method), u16(0), u16(0x21), u32(crc), u32(body.length), u32(e.data.length),
      u16(name.length), u16(0), u16(0), u16(0), u16(0), u32(0), u32(offset), name,
    ]));
    offset += local.length + body.length + descriptor.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.concat([u32(0x06054b50), u16(0), u16(0), u16(entries.length), u16(entries.length), u32(cd.length), u32(offset), u16(0)]);
  return Buffer.concat([...out, cd, end]);
}

const CONTENT_TYPES = (main: string) => Buffer.from(
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
  '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>' +
  `<Override PartName="${main}" ContentType="application/vnd.openxmlformats-officedocument.main+xml"/>` +
  '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>',
);
const RELS = Buffer.from('<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"/>');

function ooxml(main: string, descriptor: boolean): Buffer {
  return zip([
    { name: '[Content_Types].xml', data: CONTENT_TYPES(main), descriptor },
    { name: '_rels/.rels', data: RELS, descriptor },
    { name: main.slice(1), data: Buffer.from('<?xml version="1.0"?><document/>'), descriptor },
  ]);
}

function odf(mime: string): Buffer {
  return zip([
    { name: 'mimetype', data: Buffer.from(mime), method: 0 },
    { name: 'META-INF/manifest.xml', data: Buffer.from('<manifest:manifest/>') },
    { name: 'content.xml', data: Buffer.from('<office:document-content/>') },
  ]);
}

/** A compound file: the 512-byte header, then one directory sector holding the given streams. */
function ole2(streams: string[]): Buffer {
  const header = Buffer.alloc(512);
  Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]).copy(header);
  header.writeUInt16LE(0x3e, 0x18);
  header.writeUInt16LE(3, 0x1a);
  header.writeUInt16LE(0xfffe, 0x1c);
  header.writeUInt16LE(9, 0x1e);
  header.writeUInt32LE(0, 0x30); // directory in sector 0, right after the header
  const entry = (name: string, type: number): Buffer => {
    const e = Buffer.alloc(128);
    const n = Buffer.from(`${name}\0`, 'utf16le');
    n.copy(e);
    e.writeUInt16LE(n.length, 64);
    e[66] = type;
    return e;
  };
  const entries = [entry('Root Entry', 5), ...streams.map((s) => entry(s, 2))];
  while (entries.length % 4 !== 0) entries.push(Buffer.alloc(128));
  return Buffer.concat([header, ...entries]);
}

function chunk(type: string, data: Buffer): Buffer {
  const t = Buffer.from(type, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([t, data])));
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  return Buffer.concat([len, t, data, crc]);
}

function png(): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(1, 0);
  ihdr.writeUInt32BE(1, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // truecolour
  const idat = deflateRawSync(Buffer.from([0, 255, 0, 0]));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]);
}

function bmp(): Buffer {
  const b = Buffer.alloc(58);
  b.write('BM', 0, 'latin1');
  b.writeUInt32LE(58, 2);
  b.writeUInt32LE(54, 10); // pixel data offset
  b.writeUInt32LE(40, 14); // BITMAPINFOHEADER
  b.writeInt32LE(1, 18);
  b.writeInt32LE(1, 22);
  b.writeUInt16LE(1, 26);
  b.writeUInt16LE(24, 28);
  return b;
}

function expectType(head: Uint8Array, type: PayloadType): void {
  const r = sniffPayload(head);
  assert.equal(r.type, type);
  assert.equal(r.mime, PAYLOAD_TYPE_INFO[type].mime);
  assert.equal(r.extension, PAYLOAD_TYPE_INFO[type].extension);
}

describe('sniffPayload', () => {
  it('has mime and extension for every type', () => {
    for (const t of PAYLOAD_TYPES) assert.ok(PAYLOAD_TYPE_INFO[t].mime.includes('/'), t);
    assert.equal(sniffPayload(png()).extension, 'png');
    assert.equal(sniffPayload(Buffer.alloc(0)).extension, undefined);
  });

  it('recognises images by their signatures', () => {
    expectType(png(), 'png');
    expectType(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, ...Buffer.from('JFIF\0', 'latin1')]), 'jpeg');
    expectType(Buffer.from('GIF89a\x01\x00\x01\x00\x80\x00\x00', 'latin1'), 'gif');
    expectType(Buffer.from('GIF87a\x01\x00\x01\x00', 'latin1'), 'gif');
    expectType(Buffer.from([0x49, 0x49, 0x2a, 0x00, 0x08, 0x00, 0x00, 0x00]), 'tiff');
    expectType(Buffer.from([0x4d, 0x4d, 0x00, 0x2a, 0x00, 0x00, 0x00, 0x08]), 'tiff');
    expectType(bmp(), 'bmp');
    expectType(Buffer.concat([Buffer.from('RIFF'), Buffer.from([0x24, 0, 0, 0]), Buffer.from('WEBPVP8 ')]), 'webp');
  });

  it('does not take text starting with "BM" or "RIFF" for an image', () => {
    expectType(Buffer.from('BMW giao xe cho Sở Tài chính ngày 01/07/2025, văn bản kèm theo.'), 'text');
    expectType(Buffer.from('RIFF is a container format used by WAVE and AVI.'), 'text');
  });

  it('recognises a PDF, also behind a few bytes of junk', () => {
    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n%'), Buffer.from([0xe2, 0xe3, 0xcf, 0xd3]), Buffer.from('\n1 0 obj\n<</Type/Catalog/Pages 2 0 R>>\nendobj\n')]);
    expectType(pdf, 'pdf');
    expectType(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf, 0x0d, 0x0a]), pdf]), 'pdf');
  });

  it('tells docx, xlsx and pptx from their entry names, with and without data descriptors', () => {
    for (const descriptor of [false, true]) {
      expectType(ooxml('/word/document.xml', descriptor), 'docx');
      expectType(ooxml('/xl/workbook.xml', descriptor), 'xlsx');
      expectType(ooxml('/ppt/presentation.xml', descriptor), 'pptx');
    }
  });

  it('reads [Content_Types].xml when the head ends before the next entry', () => {
    for (const [main, type] of [['/word/document.xml', 'docx'], ['/xl/workbook.xml', 'xlsx'], ['/ppt/presentation.xml', 'pptx']] as const) {
      const z = ooxml(main, true);
      const second = z.indexOf(Buffer.from([0x50, 0x4b, 0x03, 0x04]), 4);
      // Cut inside the deflate data of [Content_Types].xml: its end is missing, the main part name is not.
      expectType(z.subarray(0, second - 40), type);
    }
  });

  it('tells odt, ods and odp from the leading mimetype entry', () => {
    expectType(odf('application/vnd.oasis.opendocument.text'), 'odt');
    expectType(odf('application/vnd.oasis.opendocument.spreadsheet'), 'ods');
    expectType(odf('application/vnd.oasis.opendocument.presentation'), 'odp');
    expectType(odf('application/epub+zip'), 'zip');
  });

  it('calls other zips zip, the zipped attachments of the examples included (one declared application/pdf)', () => {
    expectType(zip([{ name: 'a.txt', data: Buffer.from('a') }, { name: 'b.pdf', data: Buffer.from('%PDF-1.4') }]), 'zip');
    const [minimal] = payloads('edoc-minimal-free-ids.edxml');
    const [declaredPdf] = payloads('edoc-zip-declared-pdf.edxml');
    assert.ok(minimal && declaredPdf);
    expectType(minimal, 'zip');
    expectType(declaredPdf, 'zip');
    expectType(Buffer.from([0x50, 0x4b, 0x05, 0x06, ...Buffer.alloc(18)]), 'zip');
  });

  it('tells the complete example\'s PDF, Word document and UTF-8 text apart', () => {
    const [pdf, docx, text] = payloads('edoc-cong-van.edxml');
    assert.ok(pdf && docx && text);
    expectType(pdf, 'pdf');
    expectType(docx, 'docx');
    expectType(text, 'text');
  });

  it('tells doc, xls and ppt when the compound file directory is in the head, and says ole2 otherwise', () => {
    expectType(ole2(['1Table', 'WordDocument', '\u0005SummaryInformation']), 'doc');
    expectType(ole2(['Workbook', '\u0005SummaryInformation']), 'xls');
    expectType(ole2(['Book']), 'xls');
    expectType(ole2(['Current User', 'PowerPoint Document']), 'ppt');
    expectType(ole2(['WordDocument', 'Workbook']), 'ole2'); // an embedded object: cannot tell which is the document
    expectType(ole2(['__substg1.0_0037001F']), 'ole2'); // an Outlook message
    expectType(ole2(['WordDocument']).subarray(0, 512), 'ole2'); // directory beyond the head
  });

  it('recognises XML with or without a declaration, in UTF-8, UTF-16 or a declared 8-bit encoding', () => {
    expectType(Buffer.from('<?xml version="1.0" encoding="UTF-8"?>\n<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"/>'), 'xml');
    expectType(Buffer.from('\ufeff  <?xml version="1.0"?><a/>'), 'xml');
    expectType(Buffer.from('<edXML:edXML xmlns:edXML="x">Công văn</edXML:edXML>'), 'xml');
    expectType(Buffer.from('\ufeff<?xml version="1.0" encoding="UTF-16"?><a/>', 'utf16le'), 'xml');
    expectType(Buffer.from('\ufeff<?xml version="1.0" encoding="UTF-16"?><a/>', 'utf16le').swap16(), 'xml');
    expectType(Buffer.concat([Buffer.from('<?xml version="1.0" encoding="windows-1258"?><a>'), Buffer.from([0xd0, 0xe0, 0x20, 0xf2])]), 'xml');
    expectType(Buffer.from('<html><body>not XML for us</body></html>'), 'text');
  });

  it('calls valid UTF-8 without controls text, even when the head cuts a character in half', () => {
    const vi = Buffer.from('Kính gửi: Ủy ban nhân dân tỉnh Nghệ An\r\n\tV/v triển khai văn bản điện tử\f\n');
    expectType(vi, 'text');
    expectType(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), vi]), 'text');
    const cut = Buffer.from('Trích yếu: Đề án');
    expectType(cut.subarray(0, cut.length - 1), 'text'); // 'á' is two bytes: its first stays
    expectType(Buffer.from('\u001b[31mERROR\u001b[0m log line\n'), 'text');
  });

  it('calls binary or non-UTF-8 data unknown', () => {
    expectType(Buffer.alloc(0), 'unknown');
    expectType(Buffer.from('text\0with a NUL'), 'unknown');
    expectType(Buffer.from([0x01, 0x02, 0x03, 0x04, 0x05]), 'unknown');
    expectType(Buffer.from([0x43, 0xf4, 0x6e, 0x67, 0x20, 0x76, 0xe3, 0x6e]), 'unknown'); // windows-1258 "Công văn"
    expectType(Buffer.from('Kính gửi', 'utf16le'), 'unknown');
  });

  it('looks at no more than limits.attachmentHeadBytes', () => {
    const head = Buffer.concat([Buffer.from('a'.repeat(5000)), Buffer.from([0])]);
    expectType(head, 'text');
    assert.equal(sniffPayload(head, { attachmentHeadBytes: 8192 }).type, 'unknown');
    assert.equal(sniffPayload(Buffer.concat([Buffer.from('ab'), png()]), { attachmentHeadBytes: 2 }).type, 'text');
  });
});
