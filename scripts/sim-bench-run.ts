// `bash scripts/dev.sh node scripts/sim-bench-run.ts [history|live] [--documents N] [--through batch|intake] [--hub worker|inline] [--rate DOCS/S] [--seconds N]`:
// one part of the simulator benchmark at full size, as `npm run bench sim` runs it, with its knobs: the history's
// size and way through the hub, where the live run's hub runs (its own thread, or the simulator's), and the live
// run's asked rate and length (default 50 documents a second for 60 s).

import { benchSim } from './bench/sim.ts';

const args = process.argv.slice(2);
const valueOf = (flag: string): string | undefined => { const i = args.indexOf(flag); return i >= 0 ? args[i + 1] : undefined; };
const only = args.find((a) => a === 'history' || a === 'live');
const documents = valueOf('--documents') === undefined ? undefined : Number(valueOf('--documents'));
const through = valueOf('--through');
const hub = valueOf('--hub');
const rate = valueOf('--rate') === undefined ? undefined : Number(valueOf('--rate'));
const seconds = valueOf('--seconds') === undefined ? undefined : Number(valueOf('--seconds'));
if ((documents !== undefined && !(Number.isSafeInteger(documents) && documents > 0))
  || (through !== undefined && through !== 'batch' && through !== 'intake') || (hub !== undefined && hub !== 'worker' && hub !== 'inline')
  || (rate !== undefined && !(rate > 0 && rate <= 1000)) || (seconds !== undefined && !(Number.isSafeInteger(seconds) && seconds > 0))) {
  console.error('usage: scripts/sim-bench-run.ts [history|live] [--documents N] [--through batch|intake] [--hub worker|inline] [--rate DOCS/S] [--seconds N]');
  process.exitCode = 2;
} else {
  await benchSim({
    size: 'full', ...(only === 'history' || only === 'live' ? { only } : {}), ...(documents !== undefined ? { historyDocuments: documents } : {}),
    ...(through === 'batch' || through === 'intake' ? { through } : {}), ...(hub === 'worker' || hub === 'inline' ? { liveHub: hub } : {}),
    ...(rate !== undefined ? { liveRatePerSecond: rate } : {}), ...(seconds !== undefined ? { liveSeconds: seconds } : {}),
  });
}
