// `npm run bench [name…] [--tiny] [--engine postgres --nodes 1|2]`: runs the named benchmarks (all by default) at
// full size, or tiny; with --engine postgres the hub's exchange also runs on that many nodes on PostgreSQL,
// side by side with SQLite (and the RabbitMQ peer at full size).

import { benchConsole } from './bench/console.ts';
import { benchEdxml } from './bench/edxml.ts';
import { benchHub } from './bench/hub.ts';
import { benchSim } from './bench/sim.ts';
import { benchVdxp } from './bench/vdxp.ts';

type Bench = (options: { size: 'tiny' | 'full'; postgresNodes?: number }) => Promise<unknown>;

/** Every benchmark by name; each lives in bench/<name>.ts and takes a size. */
const BENCHES: Readonly<Record<string, Bench>> = {
  edxml: benchEdxml,
  hub: benchHub,
  // After hub, so the VDXP API's figures print under the native ones.
  vdxp: benchVdxp,
  // 2,000,000 documents over 111,000 agencies at full size: seeding takes a while.
  console: benchConsole,
  sim: benchSim,
};

const args = process.argv.slice(2);
const size = args.includes('--tiny') ? 'tiny' : 'full';
/** `--engine postgres` and `--nodes N` take a value; what follows them is not a benchmark's name. */
const valueOf = (flag: string): string | undefined => { const i = args.indexOf(flag); return i >= 0 ? args[i + 1] : undefined; };
const engine = valueOf('--engine');
const nodes = Number(valueOf('--nodes') ?? 1);
const values = new Set([valueOf('--engine'), valueOf('--nodes')].filter((v) => v !== undefined));
const names = args.filter((a) => !a.startsWith('--') && !values.has(a));
const unknown = [...names.filter((n) => !(n in BENCHES)), ...args.filter((a) => a.startsWith('--') && !['--tiny', '--engine', '--nodes'].includes(a))];
if (engine !== undefined && engine !== 'postgres' && engine !== 'sqlite') unknown.push(`--engine ${engine}`);
if (!Number.isSafeInteger(nodes) || nodes < 1) unknown.push(`--nodes ${valueOf('--nodes')}`);
if (unknown.length > 0) {
  console.error(`bench: unknown ${unknown.join(', ')}; usage: npm run bench [${Object.keys(BENCHES).join('|')}…] [--tiny]`);
  process.exitCode = 2;
} else {
  for (const name of names.length > 0 ? names : Object.keys(BENCHES)) await BENCHES[name]?.({ size, ...(engine === 'postgres' ? { postgresNodes: nodes } : {}) });
}
