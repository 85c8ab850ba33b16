// `npm run crash -- --kills 200 [--seed N] [--keep] [--engine postgres --nodes 3 --db-restarts 6]`: the long
// crash run against real hub servers (one on SQLite, or several nodes on a throwaway PostgreSQL cluster whose
// database is restarted during the run); prints the seed first and the report last, and exits 1 when the hub
// lost, duplicated or changed anything.
// `npm run crash -- --connector --kills 200 [--seed N]`: the same for the folder connector (`vdxp connect`).

import { parseArgs } from 'node:util';
import { runConnectorCrash } from '../packages/cli/test-support/connector-crash.ts';
import { runCrash } from '../packages/hub/test-support/crash-driver.ts';

const KILLS_DEFAULT = 200;

const { values } = parseArgs({
  options: {
    kills: { type: 'string' }, seed: { type: 'string' }, keep: { type: 'boolean' },
    engine: { type: 'string' }, nodes: { type: 'string' }, 'db-restarts': { type: 'string' },
    connector: { type: 'boolean' },
  },
});
const engine = values.engine ?? 'sqlite';
if (engine !== 'sqlite' && engine !== 'postgres') {
  console.error('usage: --engine sqlite|postgres');
  process.exit(2);
}
const nodes = Number(values.nodes ?? (engine === 'postgres' ? 3 : 1));
/** At least 5 restarts of the database in a long run, fast and immediate in turn. */
const databaseRestarts = Number(values['db-restarts'] ?? (engine === 'postgres' ? 6 : 0));
const kills = Number(values.kills ?? KILLS_DEFAULT);
if (!Number.isSafeInteger(kills) || kills < 1) {
  console.error('usage: npm run crash -- [--connector] [--kills N] [--seed N] [--keep]');
  process.exit(2);
}
const seed = values.seed === undefined ? undefined : Number(values.seed);
if (values.connector) {
  const report = await runConnectorCrash({ kills, ...(seed === undefined ? {} : { seed }), log: (line) => { console.error(line); } });
  console.log(JSON.stringify(report));
  if (report.violations.length > 0) {
    console.error(`crash: ${report.violations.length} violations with seed ${report.seed}; replay with --connector --seed ${report.seed}`);
    process.exit(1);
  }
  console.error(`crash: OK — connector, seed ${report.seed}, ${report.kills} kills, ${report.received} documents received, ${report.sent} files sent, ${report.failed} refused, ${report.seconds} s`);
  process.exit(0);
}
const report = await runCrash({
  kills, ...(seed === undefined ? {} : { seed }), keepData: values.keep ?? false, engine, nodes, databaseRestarts,
  log: (line) => { console.error(line); },
});
console.log(JSON.stringify(report));
if (report.violations.length > 0) {
  console.error(`crash: ${report.violations.length} violations with seed ${report.seed}; replay with --seed ${report.seed}`);
  process.exit(1);
}
console.error(`crash: OK — ${report.engine}, ${report.nodes} node(s), seed ${report.seed}, ${report.kills} kills, ${report.databaseRestarts} database restarts, `
  + `${report.documentsAccepted} documents, counters = rows (${report.counters.sent} sent, ${report.counters.received} received), ${report.seconds} s`);
