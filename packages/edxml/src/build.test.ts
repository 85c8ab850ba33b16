// The builder: parse(build(m)) equals m for generated models (property), streaming output, refusals.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { buildPacket, buildPacketBytes, type PacketModel } from './build.ts';
import { EdxmlError } from './errors.ts';
import type { MessageHeader, Organization } from './model.ts';
import { parsePacket, parsePacketBytes } from './parse.ts';

// Text the parser keeps as written: Vietnamese, XML metacharacters, CR/LF inside; no leading/trailing
// whitespace (leaves are trimmed on input, see model.ts) and no characters XML 1.0 cannot carry.
const piece = fc.constantFrom('Công văn', 'số 7816/VPCP-TTĐT', '<b>&amp;</b>', '"\'', ']]>', 'Hà Nội', 'x', '\r\n', '&#13;', 'Ủy ban nhân dân');
const textArb = fc.array(fc.oneof(piece, fc.string({ unit: 'grapheme', maxLength: 8 })), { maxLength: 5 })
  .map((parts) => parts.join(' ').replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '').trim());
const opt = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const idArb = fc.stringMatching(/^[0-9A-Za-z.]{1,13}$/);

const orgArb: fc.Arbitrary<Organization> = fc.record({
  OrganId: idArb, OrganizationInCharge: opt(textArb), OrganName: opt(textArb), OrganAdd: opt(textArb),
  Email: opt(textArb), Telephone: opt(textArb), Fax: opt(textArb), Website: opt(textArb),
}, { requiredKeys: ['OrganId'] });
const responseForArb = fc.record({ OrganId: opt(idArb), Code: opt(textArb), PromulgationDate: opt(textArb), DocumentId: opt(textArb) },
  { requiredKeys: [] });
const staffArb = fc.record({ Department: opt(textArb), Staff: opt(textArb), Email: opt(textArb), Mobile: opt(textArb) }, { requiredKeys: [] });

const edocHeaderArb: fc.Arbitrary<MessageHeader> = fc.record({
  From: orgArb,
  To: fc.array(orgArb, { minLength: 1, maxLength: 3 }),
  DocumentId: opt(textArb),
  Code: opt(fc.record({ CodeNumber: opt(textArb), CodeNotation: opt(textArb) }, { requiredKeys: [] })),
  PromulgationInfo: opt(fc.record({ Place: opt(textArb), PromulgationDate: opt(textArb) }, { requiredKeys: [] })),
  DocumentType: opt(fc.record({ Type: opt(textArb), TypeDetail: opt(textArb), TypeName: opt(textArb) }, { requiredKeys: [] })),
  Subject: opt(textArb),
  Content: opt(textArb),
  SignerInfo: opt(fc.record({ Competence: opt(textArb), Position: opt(textArb), FullName: opt(textArb) }, { requiredKeys: [] })),
  DueDate: opt(textArb),
  ToPlaces: opt(fc.array(textArb, { maxLength: 3 })),
  OtherInfo: opt(fc.record({
    Priority: opt(fc.constantFrom('0', '1', '2', '3', '4')), SphereOfPromulgation: opt(textArb), TyperNotation: opt(textArb),
    PromulgationAmount: opt(textArb), PageAmount: opt(textArb), Direction: opt(fc.constantFrom('true', 'false')),
    Appendixes: opt(fc.array(textArb, { maxLength: 3 })),
  }, { requiredKeys: [] })),
  ResponseFor: fc.array(responseForArb, { maxLength: 2 }),
  SteeringType: opt(fc.constantFrom('0', '1', '2', '3')),
}, { requiredKeys: ['From', 'To', 'ResponseFor'] });

const traceArb = fc.record({
  TraceHeader: fc.array(fc.record({ OrganId: opt(idArb), Timestamp: opt(textArb) }, { requiredKeys: [] }), { maxLength: 3 }),
  Bussiness: opt(fc.record({
    DocumentId: opt(textArb), BussinessDocType: opt(fc.constantFrom('0', '1', '2', '3')), BussinessDocReason: opt(textArb),
    Paper: opt(textArb),
    BussinessDocumentInfo: opt(fc.record({
      DocumentInfo: opt(textArb), DocumentReceiver: opt(textArb),
      ReceiverList: opt(fc.array(fc.record({ OrganId: opt(idArb), ReceiverType: opt(fc.constantFrom('0', '1')) }, { requiredKeys: [] }), { maxLength: 3 })),
    }, { requiredKeys: [] })),
    ReplacementInfoList: opt(fc.array(fc.record({ DocumentId: opt(textArb), OrganIdList: opt(fc.array(idArb, { maxLength: 3 })) }, { requiredKeys: [] }), { maxLength: 2 })),
    StaffInfo: opt(staffArb),
  }, { requiredKeys: [] })),
}, { requiredKeys: ['TraceHeader'] });

const attachmentArb = fc.record({
  ContentId: opt(textArb), AttachmentName: opt(textArb), Description: opt(textArb), ContentType: opt(textArb),
  content: fc.uint8Array({ maxLength: 300 }),
}, { requiredKeys: ['content'] });

/** Drops keys whose value is undefined, as the parser never produces them. */
function defined<T>(v: T): T {
  if (Array.isArray(v)) return v.map(defined) as T;
  if (v instanceof Uint8Array || v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [k, defined(x)])) as T;
}

describe('build', () => {
  it('round-trips generated edoc models with attachments: parse(build(m)) equals m', async () => {
    await fc.assert(fc.asyncProperty(edocHeaderArb, opt(traceArb), fc.array(attachmentArb, { maxLength: 3 }), async (mh, trace, atts) => {
      const model: PacketModel = { header: { MessageHeader: mh, ...(trace ? { TraceHeaderList: trace } : {}) }, attachments: atts };
      const parsed = await parsePacketBytes(await buildPacketBytes(model));
      assert.equal(parsed.kind, 'edoc');
      assert.deepEqual(parsed.header.MessageHeader, defined(mh));
      assert.deepEqual(parsed.header.TraceHeaderList, trace === undefined ? undefined : defined(trace));
      assert.equal(parsed.attachments.length, atts.length);
      atts.forEach((a, i) => {
        const got = parsed.attachments[i];
        assert.equal(got?.sha256, createHash('sha256').update(a.content).digest('hex'));
        assert.equal(got?.bytes, a.content.length);
        assert.deepEqual({ ...defined({ ...a, content: undefined }) }, defined({
          ContentId: got?.ContentId, AttachmentName: got?.AttachmentName, Description: got?.Description, ContentType: got?.ContentType,
        }));
      });
      assert.equal(parsed.header.Manifest.length, atts.length);
      assert.deepEqual(parsed.unknownElements, []);
    }), { numRuns: 150 });
  });

  it('round-trips generated status packets for every code', async () => {
    const statusArb = fc.record({
      From: orgArb, ResponseFor: fc.array(responseForArb, { minLength: 1, maxLength: 1 }), StaffInfo: opt(staffArb),
      StatusCode: fc.constantFrom('01', '02', '03', '04', '05', '06', '13', '15', '16'), Description: opt(textArb), Timestamp: opt(textArb),
    }, { requiredKeys: ['From', 'ResponseFor', 'StatusCode'] });
    await fc.assert(fc.asyncProperty(statusArb, async (h) => {
      const bytes = await buildPacketBytes({ header: { MessageHeader: { ...h, To: [] } } });
      const parsed = await parsePacketBytes(bytes);
      assert.equal(parsed.kind, 'status');
      assert.deepEqual(parsed.header.MessageHeader, defined({ ...h, To: [] }));
      assert.equal(parsed.attachments.length, 0);
      assert.doesNotMatch(bytes.toString('utf8'), /edXMLBody|TraceHeaderList|AttachmentEncoded/);
    }), { numRuns: 100 });
  });

  it('writes status children in the order docs/edxml.md gives', async () => {
    const bytes = await buildPacketBytes({ header: { MessageHeader: {
      Timestamp: '2026/11/23 10:00:00', Description: 'd', StatusCode: '03', StaffInfo: { Staff: 's' },
      ResponseFor: [{ DocumentId: 'x' }], To: [], From: { OrganId: 'A' },
    } } });
    const names = [...bytes.toString('utf8').matchAll(/<edXML:(From|ResponseFor|StaffInfo|StatusCode|Description|Timestamp)>/g)].map((m) => m[1]);
    assert.deepEqual(names, ['From', 'ResponseFor', 'StaffInfo', 'StatusCode', 'Description', 'Timestamp']);
  });

  it('streams: a 64 MiB attachment is built and parsed in slices, never whole', async () => {
    const slice = Buffer.alloc(1024 * 1024, 0x5a);
    const count = 64;
    function* content(): Generator<Uint8Array> { for (let i = 0; i < count; i++) yield slice; }
    let largest = 0;
    async function* measured(): AsyncGenerator<Uint8Array> {
      for await (const part of buildPacket({ header: { MessageHeader: { From: { OrganId: 'A' }, To: [{ OrganId: 'B' }], ResponseFor: [] } },
        attachments: [{ AttachmentName: 'scan.pdf', content: content() }] })) {
        largest = Math.max(largest, part.length);
        yield part;
      }
    }
    const p = await parsePacket(measured());
    const h = createHash('sha256');
    for (let i = 0; i < count; i++) h.update(slice);
    assert.equal(p.attachments[0]?.sha256, h.digest('hex'));
    assert.ok(largest < 1024 * 1024, `largest output slice ${largest} bytes`);
  });

  it('refuses models that no packet can carry', async () => {
    const bad = async (model: PacketModel): Promise<string> => {
      try { await buildPacketBytes(model); } catch (e) { assert.ok(e instanceof EdxmlError); return e.code; }
      return 'accepted';
    };
    assert.equal(await bad({ header: { MessageHeader: { From: { OrganId: '' }, To: [{ OrganId: 'B' }], ResponseFor: [] } } }), 'VDXP_E_MODEL_INVALID');
    assert.equal(await bad({ header: { MessageHeader: { From: { OrganId: 'A' }, To: [], ResponseFor: [] } } }), 'VDXP_E_MODEL_INVALID');
    assert.equal(await bad({ header: { MessageHeader: { From: { OrganId: 'A' }, To: [{ OrganId: 'B' }], ResponseFor: [], Subject: 'bell\u0007' } } }), 'VDXP_E_MODEL_INVALID');
  });
});
