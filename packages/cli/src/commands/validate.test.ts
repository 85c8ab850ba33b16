// `vdxp validate` in-process: findings and exit codes in both modes, JSON reports, refusals, unreadable files.

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EXAMPLES_DIR } from '@vdxp/edxml';
import { cli } from '../../test-support/cli.ts';
import type { ValidationReport } from './validate.ts';

const example = (name: string): string => new URL(name, EXAMPLES_DIR).pathname;
const MINIMAL = example('edoc-minimal-free-ids.edxml');
const NS = 'http://www.mic.gov.vn/TBT/QCVN_102_2016';

let dir: string;
before(() => { dir = mkdtempSync(join(tmpdir(), 'vdxp-cli-validate-')); });
after(() => rmSync(dir, { recursive: true, force: true }));

function packet(name: string, messageHeader: string): string {
  const file = join(dir, name);
  writeFileSync(file, `<?xml version="1.0"?><edXML xmlns="${NS}"><edXMLEnvelope><edXMLHeader><MessageHeader>${messageHeader}`
    + '</MessageHeader></edXMLHeader></edXMLEnvelope></edXML>');
  return file;
}

describe('vdxp validate', () => {
  it('passes every example leniently with exit 0', async () => {
    const files = readdirSync(EXAMPLES_DIR).filter((n) => n.endsWith('.edxml')).map(example);
    assert.equal(files.length, 13);
    const r = await cli(['validate', ...files]);
    assert.equal(r.code, 0, r.stdout);
    assert.equal(r.stdout.match(/— hợp lệ \/ valid \(nới \/ lenient\): 0 lỗi/g)?.length, files.length);
  });

  it('fails the minimal example strictly with exit 1, naming rules, paths and both languages', async () => {
    const r = await cli(['validate', '--strict', MINIMAL]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /KHÔNG hợp lệ \/ INVALID \(chặt \/ strict\)/);
    assert.match(r.stdout, /lỗi \/ error {2}EDXML-HDR-003 {2}MessageHeader\/From\/OrganId/);
    assert.match(r.stdout, /Mã định danh “vxp\.saas\.03” không theo dạng QCVN 102/);
    assert.match(r.stdout, /Agency code “vxp\.saas\.03” is not of the legacy QCVN 102 form/);
  });

  it('writes one JSON report per packet', async () => {
    const r = await cli(['validate', '--json', MINIMAL, example('status-01-arrived.edxml')]);
    assert.equal(r.code, 0);
    const reports = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as ValidationReport);
    assert.equal(reports.length, 2);
    const [minimal, status] = reports;
    assert.equal(minimal?.mode, 'lenient');
    assert.equal(minimal?.valid, true);
    assert.equal(minimal?.refusal, null);
    assert.equal(minimal?.counts.error, 0);
    assert.ok((minimal?.counts.warning ?? 0) > 0);
    assert.ok(minimal?.findings.some((f) => f.rule === 'EDXML-HDR-005' && f.path === 'MessageHeader/DocumentId' && f.severity === 'warning'));
    assert.equal(status?.valid, true);
  });

  it('exits 1 on a lenient error: an edoc with no recipient, a status with an unknown code', async () => {
    const noRecipient = packet('no-to.edxml', '<From><OrganId>000.00.00.G22</OrganId></From><Subject>x</Subject>');
    const r = await cli(['validate', '--json', noRecipient]);
    assert.equal(r.code, 1);
    const report = JSON.parse(r.stdout) as ValidationReport;
    assert.equal(report.valid, false);
    assert.deepEqual(report.findings.filter((f) => f.severity === 'error').map((f) => f.rule), ['EDXML-HDR-001']);
    const unknownStatus = packet('status-09.edxml', '<From><OrganId>000.00.00.H41</OrganId></From>'
      + '<ResponseFor><DocumentId>000.00.00.G22,2015/09/30,7816/VPCP-TTĐT</DocumentId></ResponseFor><StatusCode>09</StatusCode>');
    const s = await cli(['validate', unknownStatus]);
    assert.equal(s.code, 1);
    assert.match(s.stdout, /lỗi \/ error {2}EDXML-STA-001 {2}MessageHeader\/StatusCode/);
  });

  it('reports a refused packet with its code and exit 1', async () => {
    const file = join(dir, 'truncated.edxml');
    writeFileSync(file, `<?xml version="1.0"?><edXML xmlns="${NS}"><edXMLEnvelope><edXMLHeader>`);
    const r = await cli(['validate', file]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /bị từ chối \/ refused — VDXP_E_XML_TRUNCATED/);
    const j = await cli(['validate', '--json', file]);
    assert.equal(j.code, 1);
    const report = JSON.parse(j.stdout) as ValidationReport;
    assert.equal(report.refusal?.code, 'VDXP_E_XML_TRUNCATED');
    assert.equal(report.valid, false);
  });

  it('exits 2 for an unreadable file and for a missing argument', async () => {
    const r = await cli(['validate', join(dir, 'nowhere.edxml')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cannot read/);
    const usage = await cli(['validate']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /missing required argument/);
  });
});
