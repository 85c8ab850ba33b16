// `vdxp conformance client` end to end: the kit prints the credentials of both protocols, a reference agency
// connects over the VDXP wire protocol with the printed system id and secret on the given port, every scenario
// passes, and report.json and report.html are written; bad ports are usage errors.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { COUNTERPART_AGENCY, ReferenceAgency, SCENARIOS, VdxpLink, VdxpWireClient, VENDOR_AGENCY, selfSignedSigner, type ConformanceReport } from '@vdxp/sim';
import { TEST_NOW, cli } from '../../test-support/cli.ts';
import { runCli } from '../program.ts';

let root: string;
before(() => { root = mkdtempSync(join(tmpdir(), 'vdxp-cli-conformance-')); });
after(() => rmSync(root, { recursive: true, force: true }));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

describe('vdxp conformance client', () => {
  it('serves the kit, a reference agency passes every scenario, and the report is written as JSON and HTML', async () => {
    const port = await freePort();
    let agency: ReferenceAgency | undefined;
    let started: Promise<void> = Promise.resolve();
    let err = '';
    const stderr = new Writable({
      write(chunk: Buffer, _e, done) {
        err += chunk.toString('utf8');
        const vdxp = /VDXP: endpoint (\S+), XroadVnpt-systemid (\S+), secret (\S+)/.exec(err);
        if (vdxp && !agency) {
          assert.match(err, /token \(native API[^)]*\): vdxp_\S+/);
          const [, endpoint = '', systemId = '', secret = ''] = vdxp;
          assert.equal(endpoint, `http://127.0.0.1:${port}`);
          agency = new ReferenceAgency({ link: new VdxpLink(new VdxpWireClient({ endpoint, systemId, secret }), { from: VENDOR_AGENCY }), agency: VENDOR_AGENCY,
            signer: selfSignedSigner('Hệ thống tham chiếu / reference agency') });
          const a = agency;
          started = a.start().then(() => a.send(COUNTERPART_AGENCY, 1));
        }
        done();
      },
    });
    const out: Buffer[] = [];
    const stdout = new Writable({ write(chunk: Buffer, _e, done) { out.push(chunk); done(); } });
    try {
      const code = await runCli(['conformance', 'client', '--port', String(port), '--out', join(root, 'report'), '--timeout', '20s', '--large-bytes', '1048576'],
        { stdout, stderr, now: () => TEST_NOW, cwd: root });
      await started;
      assert.equal(code, 0, err);
      assert.match(Buffer.concat(out).toString('utf8'), new RegExp(`ĐẠT / PASSED: ${SCENARIOS.length}/${SCENARIOS.length} scenarios`));
      const report = JSON.parse(readFileSync(join(root, 'report', 'report.json'), 'utf8')) as ConformanceReport;
      assert.equal(report.passed, true);
      assert.equal(report.protocol, 'vdxp');
      assert.equal(report.scenarios.length, 11);
      const html = readFileSync(join(root, 'report', 'report.html'), 'utf8');
      for (const s of report.scenarios) assert.ok(html.includes(`<code>${s.id}</code>`), s.id);
    } finally {
      await agency?.stop();
    }
  });

  it('refuses a port that is not one', async () => {
    assert.equal((await cli(['conformance', 'client', '--port', '70000'])).code, 2);
    assert.equal((await cli(['conformance', 'client'])).code, 2);
  });
});

describe('vdxp conformance hub', () => {
  it('checks a served vdxp hub over the VDXP protocol: exit 0 and a report; a wrong secret: exit 1', async () => {
    const { addSystem, buildServer, importAgencies, openHub } = await import('@vdxp/hub');
    const dir = join(root, 'hub-data');
    const hub = await openHub({ dataDir: dir });
    const app = buildServer(hub);
    try {
      await importAgencies(hub.ctx, [{ code: '000.00.00.G22', name: 'Văn phòng Chính phủ' }], 'test');
      await addSystem(hub.ctx, { id: '000.00.00.G22', agencies: ['000.00.00.G22'], secret: 'cli-secret' }, 'test');
      const url = await app.listen({ port: 0, host: '127.0.0.1' });
      const good = await cli(['conformance', 'hub', '--endpoint', url, '--system', '000.00.00.G22', '--secret', 'cli-secret', '--out', join(root, 'hub-report')], { cwd: root });
      assert.equal(good.code, 0, good.stderr);
      assert.match(good.stdout, /ĐẠT \/ PASSED: 9\/9 scenarios/);
      assert.ok(readFileSync(join(root, 'hub-report', 'report.html'), 'utf8').includes('<code>resend-same-id</code>'));
      const bad = await cli(['conformance', 'hub', '--endpoint', url, '--system', '000.00.00.G22', '--secret', 'wrong', '--out', join(root, 'hub-report-bad')], { cwd: root });
      assert.equal(bad.code, 1);
    } finally {
      await app.close();
      await hub.close();
    }
  });
});
