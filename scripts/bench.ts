// `npm run bench [name…] [--tiny]`: runs the named benchmarks (all by default) at full size, or tiny.

import { benchEdxml } from './bench/edxml.ts';
import { benchHub } from './bench/hub.ts';
import { benchSim } from './bench/sim.ts';
import { benchVdxp } from './bench/vdxp.ts';

type Bench = (options: { size: 'tiny' | 'full' }) => Promise<unknown>;

/** Every benchmark by name; each lives in bench/<name>.ts and takes a size. */
const BENCHES: Readonly<Record<string, Bench>> = {
  edxml: benchEdxml,
  hub: benchHub,
  // After hub, so the VDXP API's figures print under the native ones.
  vdxp: benchVdxp,
  sim: benchSim,
};

const args = process.argv.slice(2);
const size = args.includes('--tiny') ? 'tiny' : 'full';
const names = args.filter((a) => !a.startsWith('--'));
const unknown = [...names.filter((n) => !(n in BENCHES)), ...args.filter((a) => a.startsWith('--') && a !== '--tiny')];
if (unknown.length > 0) {
  console.error(`bench: unknown ${unknown.join(', ')}; usage: npm run bench [${Object.keys(BENCHES).join('|')}…] [--tiny]`);
  process.exitCode = 2;
} else {
  for (const name of names.length > 0 ? names : Object.keys(BENCHES)) await BENCHES[name]?.({ size });
}
