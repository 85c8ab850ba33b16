// The validator: each rule fires on a packet that breaks it and stays quiet on one that does not, in both modes.

import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { buildPacketBytes, type PacketModel } from './build.ts';
import { EXAMPLES_DIR } from './examples.ts';
import type { MessageHeader, ParsedPacket } from './model.ts';
import { parsePacketBytes } from './parse.ts';
import { RULES, hasErrors, isEdxmlTimestamp, validatePacket, type Finding, type Severity } from './validate.ts';


// A PDF head: enough for payload sniffing to recognise it.
const PDF = Buffer.from('%PDF-1.4\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n', 'latin1');

function goodEdoc(): PacketModel {
  return {
    header: {
      MessageHeader: {
        From: { OrganId: '000.00.00.G22', OrganName: 'Văn phòng Chính phủ' },
        To: [{ OrganId: '000.00.00.H41', OrganName: 'UBND Tỉnh Nghệ An' }, { OrganId: '000.00.15.H51' }],
        DocumentId: '000.00.00.G22,2015/09/30,7816/VPCP-TTĐT',
        Code: { CodeNumber: '7816', CodeNotation: 'VPCP-TTĐT' },
        PromulgationInfo: { Place: 'Hà Nội', PromulgationDate: '2015/09/30' },
        DocumentType: { Type: '1', TypeName: 'Công văn' },
        Subject: 'Về việc triển khai trục liên thông văn bản quốc gia',
        SignerInfo: { Competence: 'KT. Bộ trưởng', Position: 'Thứ trưởng', FullName: 'Nguyễn Văn A' },
        DueDate: '2015/10/15',
        OtherInfo: { Priority: '1', Direction: 'false' },
        ResponseFor: [],
        SteeringType: '0',
      },
      TraceHeaderList: {
        TraceHeader: [{ OrganId: '000.00.00.G22', Timestamp: '2015/09/30 10:15:00' }],
        Bussiness: { BussinessDocType: '0' },
      },
    },
    attachments: [{ ContentId: 'cid:1', AttachmentName: 'congvan.pdf', ContentType: 'application/pdf', content: PDF }],
  };
}

function goodStatus(code = '03'): PacketModel {
  return {
    header: {
      MessageHeader: {
        From: { OrganId: '000.00.00.H41' },
        To: [],
        ResponseFor: [{
          OrganId: '000.00.00.G22', Code: '7816/VPCP-TTĐT', PromulgationDate: '2015/09/30',
          DocumentId: '000.00.00.G22,2015/09/30,7816/VPCP-TTĐT',
        }],
        StaffInfo: { Department: 'Văn thư', Staff: 'Nguyễn Thị B' },
        StatusCode: code,
        Description: 'Đã tiếp nhận',
        Timestamp: '2015/10/01 08:30:00',
      },
    },
  };
}

type Mutate = (m: PacketModel, mh: MessageHeader) => void;

async function parsed(model: PacketModel, edit?: (xml: string) => string): Promise<ParsedPacket> {
  const bytes = await buildPacketBytes(model);
  return parsePacketBytes(edit ? edit(bytes.toString('utf8')) : bytes);
}

async function packetOf(base: () => PacketModel, mutate?: Mutate, edit?: (xml: string) => string): Promise<ParsedPacket> {
  const m = base();
  mutate?.(m, m.header.MessageHeader);
  return parsed(m, edit);
}

const of = (findings: Finding[], rule: string): Finding[] => findings.filter((f) => f.rule === rule);

interface Case {
  rule: string;
  /** What the broken packet breaks, for the test name. */
  what: string;
  lenient: Severity;
  strict: Severity;
  base?: () => PacketModel;
  mutate?: Mutate;
  edit?: (xml: string) => string;
  /** The path of the first finding. */
  path: string;
}

const cases: Case[] = [
  { rule: 'EDXML-HDR-001', what: 'an edoc whose only To has an empty OrganId', lenient: 'error', strict: 'error', path: 'MessageHeader/To',
    mutate: (_m, mh) => { mh.To = [{ OrganId: '' }]; } },
  { rule: 'EDXML-HDR-002', what: 'a recipient listed twice', lenient: 'warning', strict: 'error', path: 'MessageHeader/To[2]/OrganId',
    mutate: (_m, mh) => { mh.To = [{ OrganId: '000.00.00.H41' }, { OrganId: '000.00.00.H41' }]; } },
  { rule: 'EDXML-HDR-003', what: 'a free-form recipient code', lenient: 'info', strict: 'error', path: 'MessageHeader/To[1]/OrganId',
    mutate: (_m, mh) => { mh.To = [{ OrganId: 'vxp.saas.03' }]; } },
  { rule: 'EDXML-HDR-004', what: 'an edoc without DocumentId', lenient: 'warning', strict: 'error', path: 'MessageHeader/DocumentId',
    mutate: (_m, mh) => { delete mh.DocumentId; } },
  { rule: 'EDXML-HDR-005', what: 'a DocumentId on a date that does not exist', lenient: 'warning', strict: 'error', path: 'MessageHeader/DocumentId',
    mutate: (_m, mh) => { mh.DocumentId = '000.00.00.G22,2015/02/30,7816/VPCP-TTĐT'; } },
  { rule: 'EDXML-HDR-006', what: 'a DocumentId naming another issuer', lenient: 'info', strict: 'warning', path: 'MessageHeader/DocumentId',
    mutate: (_m, mh) => { mh.DocumentId = '000.00.00.G12,2015/09/30,7816/VPCP-TTĐT'; } },
  { rule: 'EDXML-HDR-007', what: 'a number that is not digits', lenient: 'warning', strict: 'error', path: 'MessageHeader/Code/CodeNumber',
    mutate: (_m, mh) => { mh.Code = { CodeNumber: 'bảy', CodeNotation: 'VPCP-TTĐT' }; } },
  { rule: 'EDXML-HDR-008', what: 'an edoc without Subject', lenient: 'warning', strict: 'error', path: 'MessageHeader/Subject',
    mutate: (_m, mh) => { delete mh.Subject; } },
  { rule: 'EDXML-HDR-009', what: 'an edoc without PromulgationInfo', lenient: 'info', strict: 'error', path: 'MessageHeader/PromulgationInfo/Place',
    mutate: (_m, mh) => { delete mh.PromulgationInfo; } },
  { rule: 'EDXML-HDR-010', what: 'a DueDate written dd/MM/yyyy', lenient: 'warning', strict: 'error', path: 'MessageHeader/DueDate',
    mutate: (_m, mh) => { mh.DueDate = '15/10/2015'; } },
  { rule: 'EDXML-HDR-011', what: 'an edoc without SignerInfo', lenient: 'info', strict: 'error', path: 'MessageHeader/SignerInfo/Position',
    mutate: (_m, mh) => { delete mh.SignerInfo; } },
  { rule: 'EDXML-HDR-012', what: 'Priority 5', lenient: 'warning', strict: 'error', path: 'MessageHeader/OtherInfo/Priority',
    mutate: (_m, mh) => { mh.OtherInfo = { Priority: '5' }; } },
  { rule: 'EDXML-HDR-013', what: 'Direction "1"', lenient: 'warning', strict: 'error', path: 'MessageHeader/OtherInfo/Direction',
    mutate: (_m, mh) => { mh.OtherInfo = { Priority: '0', Direction: '1' }; } },
  { rule: 'EDXML-HDR-014', what: 'SteeringType "cao"', lenient: 'warning', strict: 'error', path: 'MessageHeader/SteeringType',
    mutate: (_m, mh) => { mh.SteeringType = 'cao'; } },
  { rule: 'EDXML-TRC-001', what: 'an edoc without TraceHeaderList', lenient: 'info', strict: 'error', path: 'TraceHeaderList/TraceHeader',
    mutate: (m) => { delete m.header.TraceHeaderList; } },
  { rule: 'EDXML-TRC-002', what: 'a TraceHeader Timestamp at 24:00:00', lenient: 'warning', strict: 'error', path: 'TraceHeaderList/TraceHeader[1]/Timestamp',
    mutate: (m) => { m.header.TraceHeaderList = { TraceHeader: [{ OrganId: '000.00.00.G22', Timestamp: '2015/09/30 24:00:00' }] }; } },
  { rule: 'EDXML-BUS-001', what: 'BussinessDocType 4', lenient: 'error', strict: 'error', path: 'TraceHeaderList/Bussiness/BussinessDocType',
    mutate: (m) => { m.header.TraceHeaderList = { TraceHeader: [{ OrganId: '000.00.00.G22', Timestamp: '2015/09/30 10:15:00' }], Bussiness: { BussinessDocType: '4' } }; } },
  { rule: 'EDXML-BUS-002', what: 'an update without ReceiverList', lenient: 'warning', strict: 'error', path: 'TraceHeaderList/Bussiness/BussinessDocumentInfo/ReceiverList',
    mutate: (m) => { m.header.TraceHeaderList = { TraceHeader: [{ OrganId: '000.00.00.G22', Timestamp: '2015/09/30 10:15:00' }], Bussiness: { BussinessDocType: '2' } }; } },
  { rule: 'EDXML-BUS-003', what: 'a replacement without ReplacementInfoList', lenient: 'warning', strict: 'error', path: 'TraceHeaderList/Bussiness/ReplacementInfoList',
    mutate: (m) => { m.header.TraceHeaderList = { TraceHeader: [{ OrganId: '000.00.00.G22', Timestamp: '2015/09/30 10:15:00' }], Bussiness: { BussinessDocType: '3' } }; } },
  { rule: 'EDXML-STA-001', what: 'StatusCode 07', lenient: 'error', strict: 'error', path: 'MessageHeader/StatusCode', base: goodStatus,
    mutate: (_m, mh) => { mh.StatusCode = '07'; } },
  { rule: 'EDXML-STA-002', what: 'a status without ResponseFor', lenient: 'error', strict: 'error', path: 'MessageHeader/ResponseFor', base: goodStatus,
    mutate: (_m, mh) => { mh.ResponseFor = []; } },
  { rule: 'EDXML-STA-003', what: 'a rejection (02) without Description', lenient: 'warning', strict: 'error', path: 'MessageHeader/Description', base: () => goodStatus('02'),
    mutate: (_m, mh) => { delete mh.Description; } },
  { rule: 'EDXML-STA-004', what: 'a status Timestamp without time', lenient: 'warning', strict: 'error', path: 'MessageHeader/Timestamp', base: goodStatus,
    mutate: (_m, mh) => { mh.Timestamp = '2015/10/01'; } },
  { rule: 'EDXML-STA-005', what: 'a status without StaffInfo', lenient: 'info', strict: 'warning', path: 'MessageHeader/StaffInfo/Staff', base: goodStatus,
    mutate: (_m, mh) => { delete mh.StaffInfo; } },
  { rule: 'EDXML-STA-006', what: 'a status that carries To', lenient: 'info', strict: 'warning', path: 'MessageHeader/To', base: goodStatus,
    edit: (xml) => xml.replace('</edXML:From>', '</edXML:From><edXML:To><edXML:OrganId>000.00.00.G22</edXML:OrganId></edXML:To>') },
  { rule: 'EDXML-ATT-001', what: 'an edoc without attachments', lenient: 'info', strict: 'error', path: 'AttachmentEncoded',
    mutate: (m) => { m.attachments = []; } },
  { rule: 'EDXML-ATT-002', what: 'an attachment without AttachmentName', lenient: 'warning', strict: 'error', path: 'AttachmentEncoded/Attachment[1]/AttachmentName',
    mutate: (m) => { m.attachments = [{ ContentId: 'cid:1', ContentType: 'application/pdf', content: PDF }]; } },
  { rule: 'EDXML-ATT-003', what: 'a manifest reference to a missing attachment', lenient: 'warning', strict: 'error', path: 'edXMLManifest/Reference[1]/ContentId',
    mutate: (m) => { m.header.Manifest = [{ ContentId: 'cid:2', ContentType: 'application/pdf', AttachmentName: 'congvan.pdf' }]; } },
  { rule: 'EDXML-ATT-004', what: 'a PDF declared as a Word document', lenient: 'warning', strict: 'warning', path: 'AttachmentEncoded/Attachment[1]/ContentType',
    mutate: (m) => { m.attachments = [{ ContentId: 'cid:1', AttachmentName: 'congvan.doc', ContentType: 'application/msword', content: PDF }]; } },
  { rule: 'EDXML-XML-001', what: 'an unknown element', lenient: 'info', strict: 'info', path: 'edXML/edXMLEnvelope/edXMLHeader/MessageHeader/Extra',
    edit: (xml) => xml.replace('</edXML:MessageHeader>', '<edXML:Extra>x</edXML:Extra></edXML:MessageHeader>') },
];

describe('validatePacket', () => {
  it('finds nothing in a complete edoc and a complete status packet, even strictly', async () => {
    for (const p of [await packetOf(goodEdoc), await packetOf(goodStatus), await packetOf(() => goodStatus('02'))]) {
      assert.deepEqual(validatePacket(p, 'strict'), []);
      assert.deepEqual(validatePacket(p, 'lenient'), []);
    }
  });

  it('has a test case for every rule in the catalogue, and unique ids', () => {
    const ids = RULES.map((r) => r.id);
    assert.equal(new Set(ids).size, ids.length);
    assert.deepEqual(ids.filter((id) => !cases.some((c) => c.rule === id)), []);
  });

  for (const c of cases) {
    it(`${c.rule} fires on ${c.what}: ${c.lenient} lenient, ${c.strict} strict`, async () => {
      const base = c.base ?? goodEdoc;
      assert.deepEqual(of(validatePacket(await packetOf(base), 'strict'), c.rule), [], 'the unbroken packet passes');
      const p = await packetOf(base, c.mutate, c.edit);
      const lenient = of(validatePacket(p, 'lenient'), c.rule);
      const strict = of(validatePacket(p, 'strict'), c.rule);
      assert.ok(lenient.length > 0, 'fires in lenient mode');
      assert.equal(lenient[0]?.path, c.path);
      assert.ok(lenient.every((f) => f.severity === c.lenient));
      assert.ok(strict.every((f) => f.severity === c.strict));
      assert.equal(strict.length, lenient.length);
      for (const f of lenient) {
        assert.ok(f.message.vi.length > 0 && f.message.en.length > 0);
        assert.notEqual(f.message.vi, f.message.en);
      }
    });
  }

  it('lenient errors only for what makes a packet undeliverable', () => {
    const lenientErrors = RULES.filter((r) => r.severity.lenient === 'error').map((r) => r.id).sort();
    assert.deepEqual(lenientErrors, ['EDXML-BUS-001', 'EDXML-HDR-001', 'EDXML-STA-001', 'EDXML-STA-002']);
  });

  it('writes Vietnamese messages with diacritics', async () => {
    const p = await packetOf(goodEdoc, (m, mh) => { mh.To = [{ OrganId: '' }]; m.attachments = []; });
    const vi = validatePacket(p, 'lenient').map((f) => f.message.vi).join(' ');
    assert.match(vi, /nơi nhận/);
    assert.match(vi, /tệp đính kèm/);
  });

  it('checks every DocumentId and date, ResponseFor included, with 1-based paths', async () => {
    const p = await packetOf(goodEdoc, (_m, mh) => {
      mh.ResponseFor = [{ DocumentId: '000.00.00.H41,2015/09/01,12/UBND-VX' }, { DocumentId: 'test-123', PromulgationDate: '2015/13/01' }];
    });
    const f = validatePacket(p, 'strict');
    assert.deepEqual(of(f, 'EDXML-HDR-005').map((x) => x.path), ['MessageHeader/ResponseFor[2]/DocumentId']);
    assert.deepEqual(of(f, 'EDXML-HDR-010').map((x) => x.path), ['MessageHeader/ResponseFor[2]/PromulgationDate']);
  });

  it('checks each Receiver of an update and each ReplacementInfo of a replacement', async () => {
    const trace = [{ OrganId: '000.00.00.G22', Timestamp: '2015/09/30 10:15:00' }];
    const update = await packetOf(goodEdoc, (m) => {
      m.header.TraceHeaderList = { TraceHeader: trace, Bussiness: { BussinessDocType: '2', BussinessDocumentInfo: {
        ReceiverList: [{ OrganId: '000.00.00.H41', ReceiverType: '1' }, { OrganId: '000.00.00.H14', ReceiverType: '2' }],
      } } };
    });
    assert.deepEqual(of(validatePacket(update, 'strict'), 'EDXML-BUS-002').map((x) => x.path),
      ['TraceHeaderList/Bussiness/BussinessDocumentInfo/ReceiverList/Receiver[2]/ReceiverType']);
    const replace = await packetOf(goodEdoc, (m) => {
      m.header.TraceHeaderList = { TraceHeader: trace, Bussiness: { BussinessDocType: '3', ReplacementInfoList: [
        { DocumentId: '000.00.00.G22,2015/09/01,7000/VPCP-TTĐT', OrganIdList: ['000.00.00.H41'] },
      ] } };
    });
    assert.deepEqual(of(validatePacket(replace, 'strict'), 'EDXML-BUS-003'), []);
  });

  it('flags a manifest ContentType that disagrees with its attachment, and an unreferenced attachment', async () => {
    const p = await packetOf(goodEdoc, (m) => {
      m.header.Manifest = [{ ContentId: 'cid:1', ContentType: 'text/plain', AttachmentName: 'congvan.pdf' }];
      m.attachments?.push({ ContentId: 'cid:2', AttachmentName: 'phuluc.pdf', ContentType: 'application/pdf', content: PDF });
    });
    assert.deepEqual(of(validatePacket(p, 'lenient'), 'EDXML-ATT-003').map((x) => x.path),
      ['edXMLManifest/Reference[1]/ContentType', 'AttachmentEncoded/Attachment[2]/ContentId']);
  });

  it('accepts declared types that fit the payload: aliases, parameters, containers, text', async () => {
    const zipHead = Buffer.from([0x50, 0x4b, 0x03, 0x04, ...Buffer.alloc(40)]);
    const fits: [string, Buffer][] = [
      ['Application/PDF; name="a.pdf"', PDF], ['application/x-pdf', PDF], ['application/octet-stream', PDF],
      ['application/x-zip-compressed', zipHead], ['application/vnd.openxmlformats-officedocument.wordprocessingml.document', zipHead],
      ['text/csv', Buffer.from('a,b\n1,2\n')], ['text/xml', Buffer.from('<?xml version="1.0"?><a/>')],
      ['application/pdf', Buffer.from([0x00, 0x01, 0x02, 0x03])],
    ];
    for (const [type, content] of fits) {
      const p = await packetOf(goodEdoc, (m) => { m.attachments = [{ ContentId: 'cid:1', AttachmentName: 'x', ContentType: type, content }]; });
      assert.deepEqual(of(validatePacket(p, 'strict'), 'EDXML-ATT-004'), [], type);
    }
    const p = await packetOf(goodEdoc, (m) => { m.attachments = [{ ContentId: 'cid:1', AttachmentName: 'x', ContentType: 'application/pdf', content: zipHead }]; });
    assert.match(of(validatePacket(p, 'lenient'), 'EDXML-ATT-004')[0]?.message.en ?? '', /declared “application\/pdf” but its content is zip/);
  });

  it('reads Timestamps as real instants', () => {
    assert.equal(isEdxmlTimestamp('2015/09/20 11:08:36'), true);
    assert.equal(isEdxmlTimestamp('2024/02/29 23:59:59'), true);
    assert.equal(isEdxmlTimestamp('2023/02/29 10:00:00'), false);
    assert.equal(isEdxmlTimestamp('2015/09/20 11:60:00'), false);
    assert.equal(isEdxmlTimestamp('2015-09-20 11:08:36'), false);
    assert.equal(isEdxmlTimestamp('2015/09/20T11:08:36'), false);
  });
});

describe('examples', () => {
  const files = readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith('.edxml'));
  const example = async (file: string): Promise<ParsedPacket> => parsePacketBytes(readFileSync(new URL(file, EXAMPLES_DIR)));

  it('finds the examples', () => assert.equal(files.length, 13));

  for (const file of files) {
    it(`${file} passes lenient validation with no error`, async () => {
      const findings = validatePacket(await example(file), 'lenient');
      assert.equal(hasErrors(findings), false, JSON.stringify(findings.filter((f) => f.severity === 'error')));
    });
  }

  it('finds nothing at all, even strictly, in the complete edoc, the CRLF one and every status packet', async () => {
    for (const file of files.filter((f) => f.startsWith('status-') || f === 'edoc-cong-van.edxml' || f === 'edoc-crlf-prefixed.edxml')) {
      assert.deepEqual(validatePacket(await example(file), 'strict'), [], file);
    }
  });

  it('warns that the zip declared application/pdf is a zip', async () => {
    const findings = validatePacket(await example('edoc-zip-declared-pdf.edxml'), 'strict');
    assert.deepEqual(findings.map((f) => [f.rule, f.severity, f.path]), [['EDXML-ATT-004', 'warning', 'AttachmentEncoded/Attachment[1]/ContentType']]);
    assert.match(findings[0]?.message.en ?? '', /declared “application\/pdf” but its content is zip/);
  });

  it('says what the minimal example lacks, as warnings and infos', async () => {
    const p = await example('edoc-minimal-free-ids.edxml');
    const findings = validatePacket(p, 'lenient');
    const rules = new Set(findings.map((f) => f.rule));
    for (const rule of ['EDXML-HDR-003', 'EDXML-HDR-005', 'EDXML-HDR-009', 'EDXML-HDR-011', 'EDXML-TRC-001', 'EDXML-ATT-003']) {
      assert.ok(rules.has(rule), `expected ${rule}`);
    }
    assert.equal(hasErrors(validatePacket(p, 'strict')), true);
  });

  it('the rejection (02) and recall (13) examples give their reason', async () => {
    for (const file of ['status-02-rejected.edxml', 'status-13-recall.edxml']) {
      const p = await example(file);
      assert.deepEqual(of(validatePacket(p, 'strict'), 'EDXML-STA-003'), []);
    }
  });
});
