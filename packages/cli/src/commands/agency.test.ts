// `vdxp agency` in-process against a real data folder: add, list, show, merge, dissolve, imports (refused
// whole on a malformed row), and an import of 111,000 agencies.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openHub } from '@vdxp/hub';
import { cli } from '../../test-support/cli.ts';
import type { AgencyView } from './agency.ts';

let root: string;
before(() => { root = mkdtempSync(join(tmpdir(), 'vdxp-cli-agency-')); });
after(() => rmSync(root, { recursive: true, force: true }));

let folders = 0;
const freshData = (): string => join(root, `data-${++folders}`);

async function agencyCount(data: string): Promise<number> {
  const hub = await openHub({ dataDir: data, recover: false });
  try {
    return await hub.ctx.store.countAgencies();
  } finally {
    await hub.close();
  }
}

interface Shown extends AgencyView { routesTo: string | null; systems: string[] }

describe('vdxp agency add, list, show, merge, rename, dissolve', () => {
  let data: string;
  const run = (...args: string[]): ReturnType<typeof cli> => cli([...args, '--data', data]);
  const show = async (code: string): Promise<Shown> => {
    const r = await run('agency', 'show', code, '--json');
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as Shown;
  };
  before(() => { data = freshData(); });

  it('adds agencies, reading level and parent from legacy codes, and says what to do next', async () => {
    const a = await run('agency', 'add', '--code', '000.00.00.H41', '--name', 'UBND tỉnh Nghệ An', '--email', 'vt@nghean.example');
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stderr, /created a new data folder/);
    assert.match(a.stdout, /Added agency 000\.00\.00\.H41: UBND tỉnh Nghệ An \(cấp \/ level 1/);
    assert.match(a.stdout, /vdxp system add --id <id> --agencies 000\.00\.00\.H41/);
    for (const [code, name] of [['000.00.15.H41', 'Sở Nội vụ'], ['000.00.02.H41', 'Sở Tài chính'], ['000.00.00.H14', 'UBND tỉnh Cao Bằng']] as const) {
      assert.equal((await run('agency', 'add', '--code', code, '--name', name)).code, 0);
    }
    const dept = await show('000.00.15.H41');
    assert.deepEqual([dept.level, dept.parent, dept.state, dept.routesTo], [2, '000.00.00.H41', 'active', '000.00.15.H41']);
    assert.equal((await show('000.00.00.H41')).email, 'vt@nghean.example');
  });

  it('refuses a duplicate code, an unknown parent, and a code with spaces, with exit 1 and the stable code', async () => {
    const dup = await run('agency', 'add', '--code', '000.00.00.H41', '--name', 'again');
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /VDXP_E_AGENCY_EXISTS/);
    const orphan = await run('agency', 'add', '--code', 'X1', '--name', 'x', '--parent', 'NOPE');
    assert.equal(orphan.code, 1);
    assert.match(orphan.stderr, /VDXP_E_AGENCY_UNKNOWN: .*add it first/);
    const spaced = await run('agency', 'add', '--code', 'A B', '--name', 'x');
    assert.equal(spaced.code, 1);
    assert.match(spaced.stderr, /VDXP_E_BAD_REQUEST/);
  });

  it('lists everything or the units under a parent, with a hint when more exist', async () => {
    const all = await run('agency', 'list', '--json');
    assert.equal((JSON.parse(all.stdout) as AgencyView[]).length, 4);
    const under = await run('agency', 'list', '--parent', '000.00.00.H41', '--json');
    assert.deepEqual((JSON.parse(under.stdout) as AgencyView[]).map((a) => a.code).sort(), ['000.00.02.H41', '000.00.15.H41']);
    const one = await run('agency', 'list', '--limit', '1');
    assert.equal(one.code, 0);
    assert.match(one.stdout, /^000\.00\.00\.H41 {2}1 {2}UBND tỉnh Nghệ An$/m);
    assert.match(one.stdout, /Showing 1 of 4; use --limit for more/);
    const underOne = await run('agency', 'list', '--parent', '000.00.00.H41', '--limit', '1');
    assert.match(underOne.stdout, /Showing 1; use --limit/);
    assert.equal((await run('agency', 'list', '--limit', '0')).code, 2);
    const none = await run('agency', 'list', '--parent', '000.00.00.H14');
    assert.match(none.stdout, /No units directly under 000\.00\.00\.H14/);
  });

  it('merges: documents then go to the successor, which show and list say', async () => {
    const r = await run('agency', 'merge', '000.00.02.H41', '--into', '000.00.15.H41');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /documents addressed to 000\.00\.02\.H41 now go to 000\.00\.15\.H41/);
    const merged = await show('000.00.02.H41');
    assert.deepEqual([merged.state, merged.successor, merged.routesTo], ['merged', '000.00.15.H41', '000.00.15.H41']);
    assert.ok(merged.validTo !== null);
    const list = await run('agency', 'list', '--parent', '000.00.00.H41');
    assert.match(list.stdout, /000\.00\.02\.H41 {2}2 {2}Sở Tài chính {2}\[đã hợp nhất \/ merged → 000\.00\.15\.H41\]/);
    const self = await run('agency', 'merge', '000.00.15.H41', '--into', '000.00.15.H41');
    assert.equal(self.code, 1);
    assert.match(self.stderr, /cannot succeed itself/);
  });

  it('renames: the code stays, the name changes, the history keeps both', async () => {
    const r = await run('agency', 'rename', '000.00.15.H41', '--name', 'Sở Nội vụ tỉnh Nghệ An (mới)');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Renamed 000\.00\.15\.H41 to: Sở Nội vụ tỉnh Nghệ An \(mới\)/);
    assert.equal((await show('000.00.15.H41')).name, 'Sở Nội vụ tỉnh Nghệ An (mới)');
    const hub = await openHub({ dataDir: data, recover: false });
    try {
      const renamed = (await hub.ctx.store.agencyHistory('000.00.15.H41', 10)).filter((e) => e.kind === 'renamed');
      assert.deepEqual(renamed.map((e) => e.name), ['Sở Nội vụ tỉnh Nghệ An (mới)']);
      assert.ok(renamed[0]?.oldName !== null);
    } finally {
      await hub.close();
    }
    const empty = await run('agency', 'rename', '000.00.15.H41', '--name', ' ');
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /VDXP_E_BAD_REQUEST|1 to 500 characters/);
  });

  it('dissolves with or without a successor; without one its documents are refused', async () => {
    const r = await run('agency', 'dissolve', '000.00.00.H14');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /documents addressed to it are refused/);
    assert.equal((await show('000.00.00.H14')).routesTo, null);
    const human = await run('agency', 'show', '000.00.00.H14');
    assert.match(human.stdout, /Văn bản đến \/ Documents go to: +bị từ chối \/ refused/);
    const unknown = await run('agency', 'dissolve', 'NOPE', '--successor', '000.00.00.H41');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /VDXP_E_AGENCY_UNKNOWN/);
  });

  it('show names an unknown code with exit 1, and a missing data folder with exit 2', async () => {
    const r = await run('agency', 'show', '000.00.99.H41');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /No agency 000\.00\.99\.H41; see "vdxp agency list"/);
    const missing = await cli(['agency', 'list', '--data', join(root, 'no-such-folder')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no hub data in .*no-such-folder: check --data/);
  });
});

describe('vdxp agency import', () => {
  it('imports JSON and CSV, updating agencies already there', async () => {
    const data = freshData();
    const json = join(root, 'registry.json');
    writeFileSync(json, JSON.stringify([
      { code: '000.00.00.G22', name: 'Văn phòng Chính phủ', otherCodes: ['G22'] },
      { code: '000.00.00.G12', name: 'Bộ Tài chính', email: 'vanthu@mof.example' },
    ]));
    const a = await cli(['agency', 'import', json, '--data', data]);
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stdout, /Imported 2 agencies from registry\.json in \d+\.\d s \(registry version \d+\)/);
    const csv = join(root, 'more.csv');
    writeFileSync(csv, 'code,name,parent,level\n000.00.00.G12,Bộ Tài chính (đổi tên),,\n000.00.10.G12,"Cục Thuế, Bộ Tài chính",000.00.00.G12,2\n');
    const b = await cli(['agency', 'import', csv, '--data', data]);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(await agencyCount(data), 3);
    const byOther = await cli(['agency', 'show', 'G22', '--json', '--data', data]);
    assert.equal((JSON.parse(byOther.stdout) as AgencyView).code, '000.00.00.G22', 'other codes resolve');
    const renamed = await cli(['agency', 'show', '000.00.00.G12', '--json', '--data', data]);
    assert.equal((JSON.parse(renamed.stdout) as AgencyView).name, 'Bộ Tài chính (đổi tên)');
  });

  it('refuses a file with a malformed row, naming it, and writes nothing', async () => {
    const data = freshData();
    const csv = join(root, 'bad.csv');
    writeFileSync(csv, 'code,name\n000.00.00.H41,Nghệ An\n000.00.00.H14,\n');
    const r = await cli(['agency', 'import', csv, '--data', data]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /VDXP_E_IMPORT_INVALID: hàng 2 \(dòng 3\): thiếu tên \(name\) \/ row 2 \(line 3\): name is missing/);
    const spaced = join(root, 'spaced.json');
    writeFileSync(spaced, JSON.stringify([{ code: 'A', name: 'a' }, { code: 'B C', name: 'b' }]));
    const s = await cli(['agency', 'import', spaced, '--data', data]);
    assert.equal(s.code, 1);
    assert.match(s.stderr, /Row 2: Agency code "B C"/);
    assert.equal(await agencyCount(data), 0);
    const unreadable = await cli(['agency', 'import', join(root, 'absent.csv'), '--data', data]);
    assert.equal(unreadable.code, 2);
    assert.match(unreadable.stderr, /cannot read/);
  });

  it('imports 111,000 agencies from CSV (the size of the national directory)', async (t) => {
    const data = freshData();
    const rows = ['code,name,otherCodes'];
    const count = 111_000;
    for (let i = 0; i < count; i++) {
      // Unique level-4 legacy codes under one province: 999 × 99 per level-2 group.
      const code = `${String((i % 999) + 1).padStart(3, '0')}.${String((Math.floor(i / 999) % 99) + 1).padStart(2, '0')}.${String(Math.floor(i / 98_901) + 1).padStart(2, '0')}.H41`;
      // Few rows carry other codes: without an index on agency_codes(agency) each row's upsert scans that table,
      // so 10% of rows with other codes took 62 s instead of 2 s (reported to the hub's owner).
      rows.push(i % 1000 === 990 ? `${code},"Đơn vị thử số ${i}, tỉnh Nghệ An",X${i};Y${i}` : `${code},Đơn vị thử số ${i},`);
    }
    const csv = join(root, 'national.csv');
    writeFileSync(csv, `${rows.join('\n')}\n`);
    const started = performance.now();
    const r = await cli(['agency', 'import', csv, '--data', data]);
    const seconds = (performance.now() - started) / 1000;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Imported 111000 agencies/);
    assert.equal(await agencyCount(data), count);
    t.diagnostic(`vdxp agency import of ${count} agencies (parse + one transaction): ${seconds.toFixed(2)} s — ${r.stdout.split('\n')[0] ?? ''}`);
    const byOther = await cli(['agency', 'show', 'Y110990', '--json', '--data', data]);
    assert.equal((JSON.parse(byOther.stdout) as AgencyView).name, 'Đơn vị thử số 110990, tỉnh Nghệ An');
  });
});
