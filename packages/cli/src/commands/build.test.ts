// `vdxp build` in-process: from flags and from a JSON model, attachments streamed from disk, output checked
// by parsing it back; model mistakes named; usage and file errors.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parsePacketBytes, validatePacket } from '@vdxp/edxml';
import { cli } from '../../test-support/cli.ts';

const PDF = Buffer.from('%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n', 'latin1');

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vdxp-cli-build-'));
  writeFileSync(join(dir, 'congvan.pdf'), PDF);
  writeFileSync(join(dir, 'ghi chu, 2.txt'), 'Ghi chú kèm theo\n');
});
after(() => rmSync(dir, { recursive: true, force: true }));

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('vdxp build', () => {
  it('builds an edoc from flags with streamed attachments, to a file', async () => {
    const r = await cli(['build', '--from', '000.00.00.G22', '--to', '000.00.00.H41, 000.00.00.H14', '--subject', 'Về việc thử nghiệm',
      '--code-number', '12', '--code-notation', 'VPCP-TTĐT', '--attach', 'congvan.pdf', '--attach', 'ghi chu, 2.txt,text/plain',
      '-o', 'out.edxml'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /out\.edxml: .*2 tệp đính kèm \/ attachments/);
    const bytes = readFileSync(join(dir, 'out.edxml'));
    const p = await parsePacketBytes(bytes);
    const mh = p.header.MessageHeader;
    assert.equal(p.kind, 'edoc');
    assert.equal(mh.From.OrganId, '000.00.00.G22');
    assert.deepEqual(mh.To.map((t) => t.OrganId), ['000.00.00.H41', '000.00.00.H14']);
    assert.equal(mh.Subject, 'Về việc thử nghiệm');
    assert.deepEqual(mh.Code, { CodeNumber: '12', CodeNotation: 'VPCP-TTĐT' });
    // Derived from the sender, today in Vietnam (the test clock) and the code.
    assert.equal(mh.DocumentId, '000.00.00.G22,2026/03/01,12/VPCP-TTĐT');
    assert.deepEqual(p.header.TraceHeaderList?.TraceHeader, [{ OrganId: '000.00.00.G22', Timestamp: '2026/03/01 10:20:30' }]);
    assert.deepEqual(p.attachments.map((a) => [a.ContentId, a.AttachmentName, a.ContentType, a.bytes, a.sha256]), [
      ['cid:1', 'congvan.pdf', 'application/pdf', PDF.length, sha256(PDF)],
      ['cid:2', 'ghi chu, 2.txt', 'text/plain', Buffer.byteLength('Ghi chú kèm theo\n'), sha256(Buffer.from('Ghi chú kèm theo\n'))],
    ]);
    assert.deepEqual(p.header.Manifest.map((m) => m.ContentId), ['cid:1', 'cid:2']);
    assert.equal(validatePacket(p, 'lenient').filter((f) => f.severity !== 'info').length, 0);
    assert.deepEqual(readdirSync(dir).filter((n) => n.includes('partial')), []);
  });

  it('builds a status packet from flags, to stdout', async () => {
    const r = await cli(['build', '--from', '000.00.00.H41', '--status', '02', '--description', 'Gửi nhầm nơi nhận',
      '--response-for', '000.00.00.G22,2015/09/30,7816/VPCP-TTĐT']);
    assert.equal(r.code, 0, r.stderr);
    const p = await parsePacketBytes(r.stdoutBytes);
    const mh = p.header.MessageHeader;
    assert.equal(p.kind, 'status');
    assert.equal(mh.StatusCode, '02');
    assert.equal(mh.Description, 'Gửi nhầm nơi nhận');
    assert.equal(mh.Timestamp, '2026/03/01 10:20:30');
    assert.deepEqual(mh.ResponseFor, [{
      OrganId: '000.00.00.G22', Code: '7816/VPCP-TTĐT', PromulgationDate: '2015/09/30', DocumentId: '000.00.00.G22,2015/09/30,7816/VPCP-TTĐT',
    }]);
    assert.deepEqual(validatePacket(p, 'strict').filter((f) => f.severity === 'error'), []);
  });

  it('builds from a JSON model, flags overriding it, numbers taken as text', async () => {
    writeFileSync(join(dir, 'model.json'), JSON.stringify({
      header: {
        MessageHeader: {
          From: { OrganId: '000.00.00.G22', OrganName: 'Văn phòng Chính phủ' },
          To: [{ OrganId: '000.00.00.H41' }],
          DocumentId: '000.00.00.G22,2015/09/30,7816/VPCP-TTĐT',
          Code: { CodeNumber: 7816, CodeNotation: 'VPCP-TTĐT' },
          PromulgationInfo: { Place: 'Hà Nội', PromulgationDate: '2015/09/30' },
          Subject: 'Trích yếu cũ',
          SignerInfo: { Position: 'Thứ trưởng', FullName: 'Nguyễn Văn A' },
          OtherInfo: { Priority: 0, Direction: false },
          DueDate: null,
        },
        TraceHeaderList: { TraceHeader: [{ OrganId: '000.00.00.G22', Timestamp: '2015/09/30 10:15:00' }], Bussiness: { BussinessDocType: '0' } },
      },
    }));
    const r = await cli(['build', '--model', 'model.json', '--subject', 'Trích yếu mới', '--attach', 'congvan.pdf,application/pdf'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const p = await parsePacketBytes(r.stdoutBytes);
    const mh = p.header.MessageHeader;
    assert.equal(mh.Subject, 'Trích yếu mới');
    assert.equal(mh.From.OrganName, 'Văn phòng Chính phủ');
    assert.deepEqual(mh.Code, { CodeNumber: '7816', CodeNotation: 'VPCP-TTĐT' });
    assert.deepEqual(mh.OtherInfo, { Priority: '0', Direction: 'false' });
    assert.equal(mh.DueDate, undefined);
    assert.deepEqual(p.header.TraceHeaderList?.TraceHeader, [{ OrganId: '000.00.00.G22', Timestamp: '2015/09/30 10:15:00' }]);
    assert.deepEqual(validatePacket(p, 'strict'), []);
  });

  it('names what a model gets wrong, with VDXP_E_MODEL_INVALID and exit 1, writing nothing', async () => {
    const cases: [unknown, RegExp][] = [
      [{ header: { MessageHeader: { From: { OrganId: 'A' }, To: [{ OrganId: 'B' }], Subjet: 'typo' } } }, /header\.MessageHeader\.Subjet/],
      [{ header: { MessageHeader: { From: { OrganId: 'A' }, To: { OrganId: 'B' } } } }, /shape|header\.MessageHeader\.To/],
      [{ header: { MessageHeader: { From: { OrganId: 'A' }, To: [{ OrganId: 'B' }], Code: '12/UBND' } } }, /header\.MessageHeader\.Code/],
      [{ header: { MessageHeader: { From: { OrganId: 'A' }, To: [] } } }, /at least one MessageHeader\.To/],
      [{ header: { MessageHeader: { From: { OrganId: 'A' }, To: [{ OrganId: 'B' }], StatusCode: '03', ResponseFor: [{ DocumentId: 'x' }] } } },
        /header\.MessageHeader\.To/],
      [{ MessageHeader: {} }, /"header" object/],
      ['{ not json', /not JSON/],
    ];
    for (const [model, message] of cases) {
      writeFileSync(join(dir, 'bad.json'), typeof model === 'string' ? model : JSON.stringify(model));
      const r = await cli(['build', '--model', 'bad.json', '-o', 'bad.edxml'], { cwd: dir });
      assert.equal(r.code, 1, JSON.stringify(model));
      assert.match(r.stderr, /VDXP_E_MODEL_INVALID/);
      assert.match(r.stderr, message);
      assert.equal(existsSync(join(dir, 'bad.edxml')), false);
    }
  });

  it('exits 2 for usage mistakes and unreadable files', async () => {
    const cases: [string[], RegExp][] = [
      [['build', '--subject', 'x'], /--model <file> or --from <code>/],
      [['build', '--from', 'A', '--status', '03'], /needs --response-for/],
      [['build', '--from', 'A', '--status', '03', '--response-for', 'x', '--to', 'B'], /--to does not apply/],
      [['build', '--from', 'A', '--to', 'B', '--attach', 'missing.pdf'], /cannot read attachment .*missing\.pdf/],
      [['build', '--model', 'missing.json'], /cannot read .*missing\.json/],
      [['build', '--from', 'A', '--to', 'B', '-o', 'no/such/dir/out.edxml'], /cannot write/],
      [['build', '--from'], /argument missing/],
    ];
    for (const [argv, message] of cases) {
      const r = await cli(argv, { cwd: dir });
      assert.equal(r.code, 2, argv.join(' '));
      assert.match(r.stderr, message);
    }
  });
});
