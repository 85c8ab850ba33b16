// Writes the project's example packets (packages/edxml/examples/): written by us, deterministic, covering
// what real traffic shows. `node scripts/examples/make.ts` rewrites them; make.test.ts keeps them in step.

import { writeFileSync } from 'node:fs';
import { crc32, deflateRawSync } from 'node:zlib';

const NS = 'http://www.mic.gov.vn/TBT/QCVN_102_2016';
export const EXAMPLES_OUT = new URL('../../packages/edxml/examples/', import.meta.url);

// ---- payloads -------------------------------------------------------------------------------------------

const u16 = (n: number): Buffer => { const b = Buffer.alloc(2); b.writeUInt16LE(n); return b; };
const u32 = (n: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32LE(n >>> 0); return b; };
// 2026-03-02 08:30:00 as a DOS date and time, so the bytes do not depend on the day they are made.
const DOS_TIME = (8 << 11) | (30 << 5);
const DOS_DATE = ((2026 - 1980) << 9) | (3 << 5) | 2;

interface ZipEntry { name: string; data: Buffer; descriptor?: boolean }

/**
 * A zip of deflated entries. `descriptor` writes sizes after the data, as Java's ZipOutputStream does;
 * `cutEndRecord` drops the end record's last byte, as one real producer's zips lack it.
 */
function zipOf(entries: ZipEntry[], options: { cutEndRecord?: boolean } = {}): Buffer {
  const out: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const body = deflateRawSync(e.data, { level: 9 });
    const name = Buffer.from(e.name, 'utf8');
    const crc = crc32(e.data);
    const flags = 0x0800 | (e.descriptor ? 0x08 : 0);
    const sizes = e.descriptor ? [u32(0), u32(0), u32(0)] : [u32(crc), u32(body.length), u32(e.data.length)];
    const local = Buffer.concat([u32(0x04034b50), u16(20), u16(flags), u16(8), u16(DOS_TIME), u16(DOS_DATE), ...sizes, u16(name.length), u16(0), name]);
    const descriptor = e.descriptor ? Buffer.concat([u32(0x08074b50), u32(crc), u32(body.length), u32(e.data.length)]) : Buffer.alloc(0);
    out.push(local, body, descriptor);
    central.push(Buffer.concat([
      u32(0x02014b50), u16(20), u16(20), u16(flags), u16(8), u16(DOS_TIME), u16(DOS_DATE), u32(crc), u32(body.length), u32(e.data.length),
      u16(name.length), u16(0), u16(0), u16(0), u16(0), u32(0), u32(offset), name,
    ]));
    offset += local.length + body.length + descriptor.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.concat([u32(0x06054b50), u16(0), u16(0), u16(entries.length), u16(entries.length), u32(cd.length), u32(offset), u16(0)]);
  const whole = Buffer.concat([...out, cd, end]);
  return options.cutEndRecord ? whole.subarray(0, whole.length - 1) : whole;
}

/** A one-page PDF whose text is plain ASCII (Vietnamese would need embedded fonts). */
function pdfOf(title: string): Buffer {
  const stream = `BT /F1 14 Tf 72 760 Td (${title}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let body = '%PDF-1.4\n%\xE2\xE3\xCF\xD3\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => { offsets.push(body.length); body += `${i + 1} 0 obj\n${o}\nendobj\n`; });
  const xref = body.length;
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}

/** A Word document: just the parts that make it one (content types, relationships, the body). */
function docxOf(paragraph: string): Buffer {
  const xml = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n';
  return zipOf([
    { name: '[Content_Types].xml', data: Buffer.from(`${xml}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
      '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>' +
      '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>') },
    { name: '_rels/.rels', data: Buffer.from(`${xml}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
      '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>') },
    { name: 'word/document.xml', data: Buffer.from(`${xml}<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">` +
      `<w:body><w:p><w:r><w:t>${paragraph}</w:t></w:r></w:p></w:body></w:document>`) },
  ]);
}

/** base64 folded at 76 characters, as MIME writers do (or at `width`). */
const folded = (bytes: Buffer, eol: string, width = 76): string =>
  (bytes.toString('base64').match(new RegExp(`.{1,${width}}`, 'g')) ?? []).join(eol);

// ---- the parties ----------------------------------------------------------------------------------------

const MINISTRY = { id: '000.00.00.G01', name: 'Văn phòng Bộ Thử nghiệm' };
const PROVINCE = { id: '000.00.00.H29', name: 'Ủy ban nhân dân tỉnh Thử nghiệm' };
const DISTRICT = { id: '000.00.15.H29', name: 'Ủy ban nhân dân huyện Ví Dụ' };
/** The document every status example answers. */
const ANSWERED = { code: '215/VP-HC', date: '2026/03/02', id: `${MINISTRY.id},2026/03/02,215/VP-HC` };

// ---- the packets ----------------------------------------------------------------------------------------

export interface Example {
  file: string;
  /** One line for the README. */
  what: string;
  bytes: Buffer;
}

const crlf = (s: string): string => s.replace(/\r?\n/g, '\r\n');

function congVan(): Example {
  const letter = pdfOf('Cong van 215/VP-HC: thu nghiem lien thong van ban dien tu');
  const guide = docxOf('Hướng dẫn kết nối trục liên thông văn bản: mỗi cơ quan đăng ký mã định danh trước ngày 15/3/2026.');
  const list = Buffer.from('STT\tCơ quan\tMã định danh\r\n1\tỦy ban nhân dân tỉnh Thử nghiệm\t000.00.00.H29\r\n2\tỦy ban nhân dân huyện Ví Dụ\t000.00.15.H29\r\n', 'utf8');
  const att = (id: string, name: string, type: string, b: Buffer): string =>
    `<Attachment>\n<ContentId>${id}</ContentId>\n<AttachmentName>${name}</AttachmentName>\n<ContentType>${type}</ContentType>\n` +
    `<ContentTransferEncoded>${folded(b, '\n')}</ContentTransferEncoded>\n</Attachment>\n`;
  const ref = (id: string, type: string, name: string): string =>
    `<edXML:Reference><edXML:ContentId>${id}</edXML:ContentId><edXML:ContentType>${type}</edXML:ContentType>` +
    `<edXML:AttachmentName>${name}</edXML:AttachmentName></edXML:Reference>\n`;
  const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<edXML xmlns="${NS}">
<edXML:edXMLEnvelope xmlns:edXML="${NS}">
<edXML:edXMLHeader>
<edXML:MessageHeader>
<edXML:From><edXML:OrganId>${MINISTRY.id}</edXML:OrganId><edXML:OrganizationInCharge>Bộ Thử nghiệm</edXML:OrganizationInCharge><edXML:OrganName>${MINISTRY.name}</edXML:OrganName><edXML:OrganAdd>Số 1 phố Ví Dụ, quận Ba Đình, Hà Nội</edXML:OrganAdd><edXML:Email>vanthu@thunghiem.gov.vn</edXML:Email><edXML:Telephone>024 3800 0001</edXML:Telephone><edXML:Fax>024 3800 0002</edXML:Fax><edXML:Website>thunghiem.gov.vn</edXML:Website></edXML:From>
<edXML:To><edXML:OrganId>${PROVINCE.id}</edXML:OrganId><edXML:OrganName>${PROVINCE.name}</edXML:OrganName></edXML:To>
<edXML:To><edXML:OrganId>${DISTRICT.id}</edXML:OrganId><edXML:OrganName>${DISTRICT.name}</edXML:OrganName></edXML:To>
<edXML:DocumentId>${ANSWERED.id}</edXML:DocumentId>
<edXML:Code><edXML:CodeNumber>215</edXML:CodeNumber><edXML:CodeNotation>VP-HC</edXML:CodeNotation></edXML:Code>
<edXML:PromulgationInfo><edXML:Place>Hà Nội</edXML:Place><edXML:PromulgationDate>${ANSWERED.date}</edXML:PromulgationDate></edXML:PromulgationInfo>
<edXML:DocumentType><edXML:Type>1</edXML:Type><edXML:TypeName>Công văn</edXML:TypeName></edXML:DocumentType>
<edXML:Subject>Về việc thử nghiệm liên thông văn bản điện tử giữa các cơ quan</edXML:Subject>
<edXML:Content>Đề nghị các cơ quan kiểm tra việc nhận, gửi văn bản qua trục và báo cáo kết quả trước ngày 20/3/2026.</edXML:Content>
<edXML:SignerInfo><edXML:Competence>TL. Bộ trưởng</edXML:Competence><edXML:Position>Chánh Văn phòng</edXML:Position><edXML:FullName>Trần Thị Mẫu</edXML:FullName></edXML:SignerInfo>
<edXML:DueDate>2026/03/20</edXML:DueDate>
<edXML:ToPlaces><edXML:Place>Như trên</edXML:Place><edXML:Place>Lưu: VT, HC</edXML:Place></edXML:ToPlaces>
<edXML:OtherInfo><edXML:Priority>1</edXML:Priority><edXML:SphereOfPromulgation>Toàn quốc</edXML:SphereOfPromulgation><edXML:TyperNotation>HC</edXML:TyperNotation><edXML:PromulgationAmount>3</edXML:PromulgationAmount><edXML:PageAmount>1</edXML:PageAmount><edXML:Direction>false</edXML:Direction><edXML:Appendixes><edXML:Appendix>Danh sách cơ quan</edXML:Appendix></edXML:Appendixes></edXML:OtherInfo>
<edXML:SteeringType>0</edXML:SteeringType>
</edXML:MessageHeader>
<edXML:TraceHeaderList><edXML:TraceHeader><edXML:OrganId>${MINISTRY.id}</edXML:OrganId><edXML:Timestamp>2026/03/02 08:30:00</edXML:Timestamp></edXML:TraceHeader><edXML:Bussiness><edXML:BussinessDocType>0</edXML:BussinessDocType><edXML:Paper>0</edXML:Paper></edXML:Bussiness></edXML:TraceHeaderList>
</edXML:edXMLHeader>
<edXML:edXMLBody>
<edXML:edXMLManifest version="1.0">
${ref('cid:1', 'application/pdf', 'Công văn 215-VP-HC.pdf')}${ref('cid:2', DOCX, 'Hướng dẫn kết nối.docx')}${ref('cid:3', 'text/plain', 'Danh sách cơ quan.txt')}</edXML:edXMLManifest>
</edXML:edXMLBody>
</edXML:edXMLEnvelope>
<AttachmentEncoded>
${att('cid:1', 'Công văn 215-VP-HC.pdf', 'application/pdf', letter)}${att('cid:2', 'Hướng dẫn kết nối.docx', DOCX, guide)}${att('cid:3', 'Danh sách cơ quan.txt', 'text/plain', list)}</AttachmentEncoded>
</edXML>
`;
  return { file: 'edoc-cong-van.edxml', what: 'a complete edoc: every header field, Vietnamese text, a PDF, a Word document and a text file', bytes: Buffer.from(xml) };
}

function crlfPrefixed(): Example {
  const reportA = pdfOf('Bao cao ket qua thu nghiem');
  // 55 bytes are 76 base64 characters ending in "=="; folded at 75, a line break falls between the two "=".
  const line = Buffer.from('Kết quả: đã nhận đủ 3 tệp.', 'utf8');
  const reportB = Buffer.concat([line, Buffer.alloc(53 - line.length, 0x2e), Buffer.from('\r\n')]);
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<edXML:edXML xmlns:edXML="${NS}">
\t<edXML:edXMLEnvelope>
\t\t<edXML:edXMLHeader>
\t\t\t<MessageHeader xmlns="${NS}">
\t\t\t\t<From>
\t\t\t\t\t<OrganId>${PROVINCE.id}</OrganId>
\t\t\t\t\t<OrganName>${PROVINCE.name}</OrganName>
\t\t\t\t</From>
\t\t\t\t<edXML:To>
\t\t\t\t\t<edXML:OrganId>${MINISTRY.id}</edXML:OrganId>
\t\t\t\t\t<edXML:OrganName>${MINISTRY.name}</edXML:OrganName>
\t\t\t\t</edXML:To>
\t\t\t\t<DocumentId>${PROVINCE.id},2026/03/10,48/BC-UBND</DocumentId>
\t\t\t\t<Code>
\t\t\t\t\t<CodeNumber>48</CodeNumber>
\t\t\t\t\t<CodeNotation>BC-UBND</CodeNotation>
\t\t\t\t</Code>
\t\t\t\t<PromulgationInfo>
\t\t\t\t\t<Place>Thành phố Thử nghiệm</Place>
\t\t\t\t\t<PromulgationDate>2026/03/10</PromulgationDate>
\t\t\t\t</PromulgationInfo>
\t\t\t\t<DocumentType>
\t\t\t\t\t<Type>2</Type>
\t\t\t\t\t<TypeName>Báo cáo</TypeName>
\t\t\t\t</DocumentType>
\t\t\t\t<Subject>Báo cáo kết quả thử nghiệm liên thông văn bản</Subject>
\t\t\t\t<SignerInfo>
\t\t\t\t\t<Competence>TM. Ủy ban nhân dân</Competence>
\t\t\t\t\t<Position>Phó Chủ tịch</Position>
\t\t\t\t\t<FullName>Lê Văn Thử</FullName>
\t\t\t\t</SignerInfo>
\t\t\t\t<OtherInfo>
\t\t\t\t\t<Priority>0</Priority>
\t\t\t\t</OtherInfo>
\t\t\t\t<ResponseFor>
\t\t\t\t\t<OrganId>${MINISTRY.id}</OrganId>
\t\t\t\t\t<Code>${ANSWERED.code}</Code>
\t\t\t\t\t<PromulgationDate>${ANSWERED.date}</PromulgationDate>
\t\t\t\t\t<DocumentId>${ANSWERED.id}</DocumentId>
\t\t\t\t</ResponseFor>
\t\t\t</MessageHeader>
\t\t\t<edXML:TraceHeaderList>
\t\t\t\t<edXML:TraceHeader>
\t\t\t\t\t<edXML:OrganId>${PROVINCE.id}</edXML:OrganId>
\t\t\t\t\t<edXML:Timestamp>2026/03/10 14:05:09</edXML:Timestamp>
\t\t\t\t</edXML:TraceHeader>
\t\t\t</edXML:TraceHeaderList>
\t\t</edXML:edXMLHeader>
\t\t<edXML:edXMLBody>
\t\t\t<edXML:edXMLManifest version="1.0">
\t\t\t\t<edXML:Reference>
\t\t\t\t\t<edXML:ContentId>cid:bao-cao</edXML:ContentId>
\t\t\t\t\t<edXML:ContentType>application/pdf</edXML:ContentType>
\t\t\t\t\t<edXML:AttachmentName>Báo cáo 48-BC-UBND.pdf</edXML:AttachmentName>
\t\t\t\t</edXML:Reference>
\t\t\t\t<edXML:Reference>
\t\t\t\t\t<edXML:ContentId>cid:so-lieu</edXML:ContentId>
\t\t\t\t\t<edXML:ContentType>text/plain</edXML:ContentType>
\t\t\t\t\t<edXML:AttachmentName>Số liệu.txt</edXML:AttachmentName>
\t\t\t\t</edXML:Reference>
\t\t\t</edXML:edXMLManifest>
\t\t</edXML:edXMLBody>
\t</edXML:edXMLEnvelope>
\t<AttachmentEncoded xmlns="${NS}">
\t\t<edXML:Attachment>
\t\t\t<ContentId>cid:bao-cao</ContentId>
\t\t\t<edXML:AttachmentName>Báo cáo 48-BC-UBND.pdf</edXML:AttachmentName>
\t\t\t<ContentType>application/pdf</ContentType>
\t\t\t<edXML:ContentTransferEncoded>
${folded(reportA, '\n')}
\t\t\t</edXML:ContentTransferEncoded>
\t\t</edXML:Attachment>
\t\t<Attachment>
\t\t\t<ContentId>cid:so-lieu</ContentId>
\t\t\t<AttachmentName>Số liệu.txt</AttachmentName>
\t\t\t<ContentType>text/plain</ContentType>
\t\t\t<ContentTransferEncoded>${folded(reportB, '\n', 75)}</ContentTransferEncoded>
\t\t</Attachment>
\t</AttachmentEncoded>
</edXML:edXML>
`;
  return {
    file: 'edoc-crlf-prefixed.edxml',
    what: 'CRLF line ends and tabs, prefixed and unprefixed names mixed (root, header, payload elements), base64 folded with CRLF',
    bytes: Buffer.from(crlf(xml)),
  };
}

function zipDeclaredPdf(): Example {
  const zip = zipOf([{ name: 'Quyết định 07-QĐ-UBND.pdf', data: pdfOf('Quyet dinh 07/QD-UBND'), descriptor: true }]);
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<edXML xmlns="${NS}">
<edXMLEnvelope>
<edXMLHeader>
<MessageHeader>
<From><OrganId>${DISTRICT.id}</OrganId><OrganName>${DISTRICT.name}</OrganName></From>
<To><OrganId>${PROVINCE.id}</OrganId><OrganName>${PROVINCE.name}</OrganName></To>
<DocumentId>${DISTRICT.id},2026/03/12,07/QĐ-UBND</DocumentId>
<Code><CodeNumber>07</CodeNumber><CodeNotation>QĐ-UBND</CodeNotation></Code>
<PromulgationInfo><Place>Huyện Ví Dụ</Place><PromulgationDate>2026/03/12</PromulgationDate></PromulgationInfo>
<DocumentType><Type>3</Type><TypeName>Quyết định</TypeName></DocumentType>
<Subject>Quyết định thành lập tổ thử nghiệm liên thông</Subject>
<SignerInfo><Competence>TM. Ủy ban nhân dân</Competence><Position>Chủ tịch</Position><FullName>Phạm Thị Ví Dụ</FullName></SignerInfo>
<OtherInfo><Priority>0</Priority></OtherInfo>
</MessageHeader>
<TraceHeaderList><TraceHeader><OrganId>${DISTRICT.id}</OrganId><Timestamp>2026/03/12 09:00:00</Timestamp></TraceHeader></TraceHeaderList>
</edXMLHeader>
<edXMLBody><edXMLManifest version="1.0"><Reference><ContentId>cid:qd-07</ContentId><ContentType>application/pdf</ContentType><AttachmentName>Quyết định 07-QĐ-UBND.pdf</AttachmentName></Reference></edXMLManifest></edXMLBody>
</edXMLEnvelope>
<AttachmentEncoded>
<Attachment><ContentId>cid:qd-07</ContentId><AttachmentName>Quyết định 07-QĐ-UBND.pdf</AttachmentName><ContentType>application/pdf</ContentType><ContentTransferEncoded>${zip.toString('base64')}</ContentTransferEncoded></Attachment>
</AttachmentEncoded>
</edXML>
`;
  return { file: 'edoc-zip-declared-pdf.edxml', what: 'an attachment declared application/pdf whose bytes are a zip holding the PDF (sniffing says zip)', bytes: Buffer.from(xml) };
}

function minimal(): Example {
  const zip = zipOf([{ name: 'ghi-chu.txt', data: Buffer.from('xin chào', 'utf8'), descriptor: true }], { cutEndRecord: true });
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<edXML xmlns="${NS}">
  <edXML:edXMLEnvelope xmlns:edXML="${NS}">
    <edXML:edXMLHeader>
      <edXML:MessageHeader>
        <edXML:From>
          <edXML:OrganId>vxp.saas.03</edXML:OrganId>
          <edXML:OrganName>Hệ thống thử A</edXML:OrganName>
        </edXML:From>
        <edXML:To>
          <edXML:OrganId>vxp.saas.03</edXML:OrganId>
          <edXML:OrganName>Hệ thống thử B</edXML:OrganName>
        </edXML:To>
        <edXML:DocumentId>thu-nghiem-07</edXML:DocumentId>
        <edXML:Code>
          <edXML:CodeNumber>07</edXML:CodeNumber>
          <edXML:CodeNotation>THU</edXML:CodeNotation>
        </edXML:Code>
        <edXML:Subject>Gói tin thử tối giản</edXML:Subject>
      </edXML:MessageHeader>
    </edXML:edXMLHeader>
    <edXML:edXMLBody>
      <edXML:edXMLManifest version="1.0">
        <edXML:Reference>
          <edXML:ContentId>cid:thu-nghiem-07</edXML:ContentId>
          <edXML:ContentType>text/plain</edXML:ContentType>
          <edXML:AttachmentName>ghi-chu.txt</edXML:AttachmentName>
        </edXML:Reference>
      </edXML:edXMLManifest>
    </edXML:edXMLBody>
  </edXML:edXMLEnvelope>
  <AttachmentEncoded>
    <Attachment>
      <ContentId>cid:thu-nghiem-07</ContentId>
      <AttachmentName>ghi-chu.txt</AttachmentName>
      <ContentType>application/zip</ContentType>
      <edXML:ContentTransferEncoded xmlns:edXML="${NS}">${zip.toString('base64')}</edXML:ContentTransferEncoded>
    </Attachment>
  </AttachmentEncoded>
</edXML>
`;
  return {
    file: 'edoc-minimal-free-ids.edxml',
    what: 'a minimal, incomplete edoc: free-form OrganIds (vxp.saas.03) and DocumentId, prefixed payload element, a Java-style zip whose end record lacks its last byte',
    bytes: Buffer.from(xml),
  };
}

const STATUSES: readonly { code: string; slug: string; description: string; at: string }[] = [
  { code: '01', slug: 'arrived', description: 'Văn bản đã đến hệ thống quản lý văn bản của cơ quan.', at: '2026/03/02 08:31:12' },
  { code: '02', slug: 'rejected', description: 'Từ chối tiếp nhận: văn bản gửi nhầm nơi nhận, đề nghị gửi lại Sở Nội vụ.', at: '2026/03/02 09:02:40' },
  { code: '03', slug: 'accepted', description: 'Đã tiếp nhận, vào sổ văn bản đến số 1024.', at: '2026/03/02 09:15:03' },
  { code: '04', slug: 'assigned', description: 'Đã phân công Văn phòng Ủy ban xử lý.', at: '2026/03/02 10:40:00' },
  { code: '05', slug: 'processing', description: 'Đang xử lý, dự kiến trả lời trước hạn.', at: '2026/03/03 14:20:55' },
  { code: '06', slug: 'finished', description: 'Đã hoàn thành xử lý, có văn bản trả lời số 48/BC-UBND.', at: '2026/03/10 14:05:09' },
  { code: '13', slug: 'recall', description: 'Đề nghị thu hồi: văn bản ban hành sai thể thức, sẽ gửi văn bản thay thế.', at: '2026/03/02 11:00:00' },
  { code: '15', slug: 'recall-agreed', description: 'Đồng ý thu hồi văn bản.', at: '2026/03/02 11:30:00' },
  { code: '16', slug: 'recall-refused', description: 'Không đồng ý thu hồi: văn bản đã được chuyển xử lý.', at: '2026/03/02 11:30:00' },
];

function status(s: (typeof STATUSES)[number]): Example {
  // A recall (13) comes from the document's sender; every other status from its recipient.
  const [from, other] = s.code === '13' ? [MINISTRY, PROVINCE] : [PROVINCE, MINISTRY];
  const address = from === MINISTRY ? 'Số 1 phố Ví Dụ, quận Ba Đình, Hà Nội' : 'Số 9 đường Thử Nghiệm, thành phố Thử nghiệm, tỉnh Thử nghiệm';
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<edXML xmlns="${NS}">
  <edXML:edXMLEnvelope xmlns:edXML="${NS}">
    <edXML:edXMLHeader>
      <edXML:MessageHeader>
        <edXML:From>
\t\t\t<edXML:OrganId>${from.id}</edXML:OrganId>
\t\t\t<edXML:OrganName>${from.name}</edXML:OrganName>
\t\t\t<edXML:OrganizationInCharge>${from.name}</edXML:OrganizationInCharge>
\t\t\t<edXML:OrganAdd>${address}</edXML:OrganAdd>
\t\t\t<edXML:Email>vanthu@${from === MINISTRY ? 'thunghiem' : 'tinhthunghiem'}.gov.vn</edXML:Email>
\t\t\t<edXML:Telephone>0200 3800 100</edXML:Telephone>
\t\t\t<edXML:Fax>0200 3800 101</edXML:Fax>
\t\t\t<edXML:Website>${from === MINISTRY ? 'thunghiem' : 'tinhthunghiem'}.gov.vn</edXML:Website>
        </edXML:From>
        <edXML:ResponseFor>
\t\t\t<edXML:OrganId>${other.id}</edXML:OrganId>
\t\t\t<edXML:Code>${ANSWERED.code}</edXML:Code>
\t\t\t<edXML:PromulgationDate>${ANSWERED.date}</edXML:PromulgationDate>
\t\t\t<edXML:DocumentId>${ANSWERED.id}</edXML:DocumentId>
        </edXML:ResponseFor>
\t\t<edXML:StaffInfo>
\t\t\t<edXML:Department>Văn thư</edXML:Department>
\t\t\t<edXML:Staff>Nguyễn Văn Mẫu</edXML:Staff>
\t\t\t<edXML:Email>mau.nv@${from === MINISTRY ? 'thunghiem' : 'tinhthunghiem'}.gov.vn</edXML:Email>
\t\t\t<edXML:Mobile>0900000001</edXML:Mobile>
\t\t</edXML:StaffInfo>
        <edXML:StatusCode>${s.code}</edXML:StatusCode>
        <edXML:Description>${s.description}</edXML:Description>
        <edXML:Timestamp>${s.at}</edXML:Timestamp>
      </edXML:MessageHeader>
    </edXML:edXMLHeader>
  </edXML:edXMLEnvelope>
</edXML>
`;
  return { file: `status-${s.code}-${s.slug}.edxml`, what: `status ${s.code}, CRLF line ends and tabs`, bytes: Buffer.from(crlf(xml)) };
}

/** Every example, in a stable order, with the README that lists them. */
export function makeExamples(): Example[] {
  const examples = [congVan(), crlfPrefixed(), zipDeclaredPdf(), minimal(), ...STATUSES.map(status)];
  const readme = '# Example packets\n\nWritten by the vdxp project (generated by `scripts/examples/make.ts`; do not edit by hand).\n' +
    'Tests use them, and `vdxp inspect` with no file shows them. The parties are fictional.\n\n| file | what it shows |\n|---|---|\n' +
    examples.map((e) => `| ${e.file} | ${e.what} |`).join('\n') + '\n';
  return [...examples, { file: 'README.md', what: 'this list', bytes: Buffer.from(readme) }];
}

if (import.meta.main) {
  for (const e of makeExamples()) writeFileSync(new URL(e.file, EXAMPLES_OUT), e.bytes);
}
