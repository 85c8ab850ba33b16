// `vdxp simulate` on real data folders: the registry with its credentials file, a history written through the
// hub's code (counted per day, the evidence chain intact, repeated by a seed), live traffic against a served
// hub, and usage errors.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildServer, openHub, stats, verifyAudit } from '@vdxp/hub';
import { SIM_LABEL, type HistoryReport, type LiveReport } from '@vdxp/sim';
import { TEST_NOW, cli } from '../../test-support/cli.ts';

let root: string;
before(() => { root = mkdtempSync(join(tmpdir(), 'vdxp-cli-simulate-')); });
after(() => rmSync(root, { recursive: true, force: true }));

describe('vdxp simulate', () => {
  it('seeds the simulated registry and keeps the new systems\' tokens in a private file; a second run adds nothing', async () => {
    const data = join(root, 'seed');
    const creds = join(root, 'seed-credentials.json');
    const first = await cli(['simulate', '--data', data, '--credentials', creds]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /\[MÔ PHỎNG\] Sổ đăng ký \/ Registry: \d+ agencies added, 29 merged or dissolved, 94 systems added/);
    const file = JSON.parse(readFileSync(creds, 'utf8')) as { simulated: boolean; systems: { id: string; token: string }[] };
    assert.equal(file.simulated, true);
    assert.equal(file.systems.length, 94);
    assert.equal(statSync(creds).mode & 0o777, 0o600);
    const second = await cli(['simulate', '--data', data]);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /0 agencies added, 0 merged or dissolved, 0 systems added \(94 existed\)/);
  });

  it('writes a history through the hub\'s code: counted per Việt Nam day, the evidence chain intact, nothing unexpected refused', async () => {
    const data = join(root, 'history');
    const r = await cli(['simulate', '--data', data, '--history', '3d', '--rate', '0.01', '--seed', '2', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const { history } = JSON.parse(r.stdout) as { history: HistoryReport };
    assert.ok(history.documents > 20, JSON.stringify(history));
    assert.ok(history.deliveries >= history.documents && history.statuses > 0 && history.fetches > 0);
    for (const code of Object.keys(history.refused)) assert.ok(['VDXP_E_STATUS_TRANSITION', 'VDXP_E_DELIVERY_GONE'].includes(code), code);
    // The span ends at the start of the command's day (TEST_NOW, 2026-03-01 in Việt Nam).
    assert.equal(history.to, '2026-02-28T17:00:00.000Z');
    const hub = await openHub({ dataDir: data, recover: false, clock: { now: () => TEST_NOW.getTime() } });
    try {
      const s = await stats(hub.ctx, { fromDay: '2026-02-26', toDay: '2026-02-28' });
      const sent = s.rows.reduce((n, row) => n + row.totals.sent, 0);
      assert.equal(sent, history.documents, "every document (updates and replacements among them) counted as sent on its day");
      assert.deepEqual(s.days.map((d) => d.day).sort(), ['2026-02-26', '2026-02-27', '2026-02-28']);
      assert.ok(s.rows.every((row) => row.name === null || row.name.startsWith(SIM_LABEL)), 'every agency is labelled simulated');
      const audit = await verifyAudit(hub.ctx);
      assert.equal(audit.ok, true, JSON.stringify(audit.brokenAt ?? audit.packetProblems.slice(0, 3)));
    } finally {
      await hub.close();
    }
  });

  it('repeats a history from its seed (one step at a time): the same figures, day by day and agency by agency', async () => {
    const figures = async (name: string): Promise<unknown> => {
      const data = join(root, name);
      const r = await cli(['simulate', '--data', data, '--history', '2d', '--rate', '0.005', '--seed', '9', '--in-flight', '1', '--json']);
      assert.equal(r.code, 0, r.stderr);
      const { history } = JSON.parse(r.stdout) as { history: HistoryReport };
      const hub = await openHub({ dataDir: data, recover: false });
      try {
        const s = await stats(hub.ctx, { fromDay: '2026-02-27', toDay: '2026-02-28' });
        return { counts: [history.documents, history.deliveries, history.fetches, history.statuses, history.recalls, history.overdueFlagged], rows: s.rows };
      } finally {
        await hub.close();
      }
    };
    const a = await figures('repeat-a');
    assert.deepEqual(await figures('repeat-b'), a);
  });

  it('runs the simulated systems live against a served hub with the credentials file', async () => {
    const data = join(root, 'live');
    const creds = join(root, 'live-credentials.json');
    assert.equal((await cli(['simulate', '--data', data, '--credentials', creds])).code, 0);
    const hub = await openHub({ dataDir: data });
    const app = buildServer(hub);
    try {
      const url = await app.listen({ port: 0, host: '127.0.0.1' });
      const r = await cli(['simulate', '--hub', url, '--credentials', creds, '--rate', '5', '--duration', '2s', '--speed', '100000', '--json']);
      assert.equal(r.code, 0, r.stderr);
      const report = JSON.parse(r.stdout) as LiveReport;
      assert.ok(report.sent > 0 && report.fetched > 0, JSON.stringify(report));
    } finally {
      await app.close();
      await hub.close();
    }
  });

  it('refuses what it cannot do with a usage error', async () => {
    for (const argv of [
      ['simulate', '--data', join(root, 'bad'), '--history', '12x'],
      ['simulate', '--data', join(root, 'bad'), '--history', '9y'],
      ['simulate', '--hub', 'http://127.0.0.1:1'],
      ['simulate', '--hub', 'http://127.0.0.1:1', '--history', '1d', '--credentials', 'x.json'],
      ['simulate', '--rate', '-1'],
      ['simulate', '--data', join(root, 'bad'), '--history', '1d', '--through', 'sideways'],
    ]) {
      const r = await cli(argv);
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
    }
  });
});
