// `vdxp calendar` in-process against a real data folder: a year's holidays, entries added and removed, refusals.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { cli } from '../../test-support/cli.ts';

let root: string;
let data: string;
before(async () => {
  root = mkdtempSync(join(tmpdir(), 'vdxp-cli-calendar-'));
  data = join(root, 'data');
  assert.equal((await cli(['agency', 'add', '--code', '000.00.00.H41', '--name', 'UBND tỉnh Nghệ An', '--data', data])).code, 0);
});
after(() => rmSync(root, { recursive: true, force: true }));

it('lists a year\'s holidays, records and removes the operator\'s days', async () => {
  const listed = await cli(['calendar', 'list', '--year', '2027', '--data', data]);
  assert.equal(listed.code, 0);
  assert.match(listed.stdout, /2027-02-06 {2}Tết Nguyên đán \(mùng 1\)/);
  assert.equal((await cli(['calendar', 'add', '2027-02-11', '--kind', 'off', '--note', 'QĐ nghỉ Tết', '--data', data])).code, 0);
  assert.equal((await cli(['calendar', 'add', '2027-02-20', '--kind', 'working', '--data', data])).code, 0);
  const json = JSON.parse((await cli(['calendar', 'list', '--year', '2027', '--json', '--data', data])).stdout) as { entries: { day: string; kind: string }[] };
  assert.deepEqual(json.entries.map((e) => [e.day, e.kind]), [['2027-02-11', 'off'], ['2027-02-20', 'working']]);
  assert.equal((await cli(['calendar', 'remove', '2027-02-20', '--data', data])).code, 0);
  const again = await cli(['calendar', 'remove', '2027-02-20', '--data', data]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /VDXP_E_CONSOLE_CALENDAR_INVALID/);
  assert.equal((await cli(['calendar', 'add', '2027-02-30', '--kind', 'off', '--data', data])).code, 1);
  assert.equal((await cli(['calendar', 'add', '2027-02-12', '--kind', 'maybe', '--data', data])).code, 2);
});
