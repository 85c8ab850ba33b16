// Where the hub's time goes: runs the bench's end-to-end exchange (real HTTP, a server child process) with the
// server under V8's CPU profiler, then prints the server's self time by area and its heaviest functions.
// `bash scripts/dev.sh node scripts/profile-hub.ts [--bytes 10240] [--documents 2000] [--top 25] [--receive one-by-one|batch]`
// (`--no-profile`: the exchange alone, without the profiler, to compare the receive loops' rates)

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exchange, RECEIVE_MODES, setServerNodeArgs, type ReceiveMode } from './bench/hub.ts';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface CpuProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const bytes = arg('--bytes', 10 * 1024);
const documents = arg('--documents', 2000);
const top = arg('--top', 25);
const receiveAt = process.argv.indexOf('--receive');
const receive = (receiveAt >= 0 ? process.argv[receiveAt + 1] : 'one-by-one') as ReceiveMode;
if (!RECEIVE_MODES.includes(receive)) throw new Error(`--receive ${RECEIVE_MODES.join('|')}`);
const profile = !process.argv.includes('--no-profile');

/** The area a function belongs to, from its script's path. */
function area(url: string, name: string): string {
  if (url === '') return name === '(garbage collector)' ? 'gc' : name === '(idle)' || name === '(program)' ? name : 'native';
  const m = /packages\/([a-z]+)\/src\/(.*)$/.exec(url);
  if (m) return `${m[1]}/${m[2]?.replace(/^store\/(sqlite|postgres)\/.*/, 'store/$1')}`;
  const dep = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dep) return dep[1] ?? url;
  if (url.startsWith('node:')) return url.split('/')[0] ?? url;
  return url;
}

const root = mkdtempSync(join(tmpdir(), 'vdxp-profile-'));
const profDir = join(root, 'prof');
try {
  if (profile) setServerNodeArgs(['--cpu-prof', `--cpu-prof-dir=${profDir}`]);
  const figures = await exchange(root, bytes, documents, undefined, undefined, receive);
  console.log(`exchange: ${figures.docsPerSec} docs/s, ${figures.MBps} MB/s (${documents} × ${bytes} bytes, received ${receive}, ${figures.receiveRequestsPerDoc} receive requests per document, profiler ${profile ? 'on' : 'off'})`);
  const file = profile ? readdirSync(profDir).find((f) => f.endsWith('.cpuprofile')) : undefined;
  if (profile && !file) throw new Error('the server wrote no .cpuprofile');
  if (file) report(JSON.parse(readFileSync(join(profDir, file), 'utf8')) as CpuProfile);
} finally {
  rmSync(root, { recursive: true, force: true });
}

function report(p: CpuProfile): void {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const byArea = new Map<string, number>();
  const byFn = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of self) {
    const n = byId.get(id);
    if (!n) continue;
    const a = area(n.callFrame.url, n.callFrame.functionName);
    if (a === '(idle)') { idle += us; continue; }
    total += us;
    byArea.set(a, (byArea.get(a) ?? 0) + us);
    const fn = `${n.callFrame.functionName || '(anonymous)'} ${a}:${n.callFrame.lineNumber + 1}`;
    byFn.set(fn, (byFn.get(fn) ?? 0) + us);
  }
  const perDoc = (us: number): string => (us / documents / 1000).toFixed(3);
  console.log(`server busy ${(total / 1e6).toFixed(2)} s, idle ${(idle / 1e6).toFixed(2)} s; ${perDoc(total)} ms CPU per document`);
  console.log('\nself time by area (ms per document, share of busy time)');
  for (const [a, us] of [...byArea].sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`${perDoc(us).padStart(8)}  ${(100 * us / total).toFixed(1).padStart(5)}%  ${a}`);
  console.log('\nheaviest functions (self time)');
  for (const [f, us] of [...byFn].sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`${perDoc(us).padStart(8)}  ${(100 * us / total).toFixed(1).padStart(5)}%  ${f}`);
}
