// The folder connector, small size of its crash test: a real `vdxp connect` process SIGKILLed at random
// moments under traffic both ways loses and duplicates nothing (`npm run crash -- --connector --kills 200`
// is the long run; CONNECTOR_CRASH_SEED replays one).

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { runConnectorCrash } from '../test-support/connector-crash.ts';

const KILLS = 8;

it(`vdxp connect killed ${KILLS} times under traffic loses and duplicates nothing`, async () => {
  const seed = process.env['CONNECTOR_CRASH_SEED'];
  const report = await runConnectorCrash({ kills: KILLS, ...(seed ? { seed: Number(seed) } : {}) });
  const context = `seed ${report.seed} (replay: npm run crash -- --connector --kills ${KILLS} --seed ${report.seed})\n${JSON.stringify(report, null, 2)}`;
  assert.deepEqual(report.violations, [], context);
  assert.equal(report.received, report.documents, context);
  assert.equal(report.sent + report.failed, report.files, context);
  assert.ok(report.failed > 0, 'refused files were part of the run');
});
