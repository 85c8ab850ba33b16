// Where the hub's time goes: runs the bench's end-to-end exchange (real HTTP, a server child process) with the
// server under V8's CPU profiler, then prints the server's self time by area and its heaviest functions.
// `bash scripts/dev.sh node scripts/profile-hub.ts [--bytes 10240] [--documents 2000] [--top 25] [--receive one-by-one|batch|stream]`
// (`--no-profile`: the exchange alone, without the profiler, to compare the receive loops' rates); a tiny run is in
// the suite (profile-hub.test.ts) so it cannot rot.

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exchange, RECEIVE_MODES, setServerNodeArgs, type ReceiveMode } from './bench/hub.ts';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface CpuProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }


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

/** The coarse phase of the table in ARCHITECTURE.md/docs/internals.md ("where the time goes"). */
function phase(areaName: string, fn: string): string {
  if (areaName === 'gc') return 'garbage collection';
  if (fn.startsWith('runBatch ')) return 'transaction control (BEGIN/SAVEPOINT/COMMIT: WAL writes, checkpoints)';
  if (/^(fdatasync|fsync|openFileHandle|close) native/.test(fn)) return 'file open/sync/close calls';
  if (areaName === 'sax' || areaName.startsWith('edxml/')) return 'packet parse, validation, signature reader';
  if (areaName.startsWith('hub/store/')) return 'store SQL (statements, triggers)';
  if (areaName.startsWith('hub/')) return 'hub logic (intake, delivery, evidence, auth, routes)';
  if (['fastify', 'find-my-way', 'light-my-request', 'avvio'].includes(areaName) || /^node:(_http|net|stream|internal)/.test(areaName) || /^(writeUtf8String|writev|writeBuffer|writeLatin1String) native/.test(fn)) return 'HTTP and streams';
  return 'other (crypto, buffers, timers, V8)';
}

export interface ProfileResult {
  docsPerSec: number;
  /** Server CPU (busy, from the profile) per document, ms. */
  busyMsPerDoc: number;
  phases: { phase: string; msPerDoc: number; share: number }[];
}

export async function profileHub(o: {
  bytes: number; documents: number; top: number; receive?: ReceiveMode; profile?: boolean; out?: (line: string) => void;
}): Promise<ProfileResult | undefined> {
  const { bytes, documents, top } = o;
  const receive = o.receive ?? 'one-by-one';
  const profile = o.profile ?? true;
  const out = o.out ?? ((line: string) => { console.log(line); });
  let result: ProfileResult | undefined;
  const root = mkdtempSync(join(tmpdir(), 'vdxp-profile-'));
  const profDir = join(root, 'prof');
  try {
    if (profile) setServerNodeArgs(['--cpu-prof', `--cpu-prof-dir=${profDir}`]);
    const figures = await exchange(root, bytes, documents, undefined, undefined, receive);
    out(`exchange: ${figures.docsPerSec} docs/s, ${figures.MBps} MB/s (${documents} × ${bytes} bytes, received ${receive}, ${figures.receiveRequestsPerDoc} receive requests per document, server ${figures.serverCpuMsPerDoc} ms CPU per document, profiler ${profile ? 'on' : 'off'})`);
    if (!profile) return undefined;
    const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error('the server wrote no .cpuprofile');
    const p = JSON.parse(readFileSync(join(profDir, file), 'utf8')) as CpuProfile;
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    const parentOf = new Map<number, ProfileNode>();
    for (const n of p.nodes) for (const c of n.children ?? []) parentOf.set(c, n);
    const callersOf = new Map<string, Map<string, number>>();
    const self = new Map<number, number>();
    p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
    const byArea = new Map<string, number>();
    const byFn = new Map<string, number>();
    const byPhase = new Map<string, number>();
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
      byPhase.set(phase(a, fn), (byPhase.get(phase(a, fn)) ?? 0) + us);
      const parent = parentOf.get(id);
      if (parent) {
        const caller = `${parent.callFrame.functionName || '(anonymous)'} ${area(parent.callFrame.url, parent.callFrame.functionName)}:${parent.callFrame.lineNumber + 1}`;
        const m = callersOf.get(fn) ?? new Map<string, number>();
        m.set(caller, (m.get(caller) ?? 0) + us);
        callersOf.set(fn, m);
      }
    }
    const perDoc = (us: number): string => (us / documents / 1000).toFixed(3);
    out(`server busy ${(total / 1e6).toFixed(2)} s, idle ${(idle / 1e6).toFixed(2)} s; ${perDoc(total)} ms CPU per document`);
    out('\nwhere the time goes (ms of server CPU per document, share of busy time)');
    const phases = [...byPhase].sort((x, y) => y[1] - x[1]);
    result = {
      docsPerSec: figures.docsPerSec, busyMsPerDoc: total / documents / 1000,
      phases: phases.map(([ph, us]) => ({ phase: ph, msPerDoc: us / documents / 1000, share: us / total })),
    };
    for (const [ph, us] of phases) out(`${perDoc(us).padStart(8)}  ${(100 * us / total).toFixed(1).padStart(5)}%  ${ph}`);
    out('\nself time by area (ms per document, share of busy time)');
    for (const [a, us] of [...byArea].sort((x, y) => y[1] - x[1]).slice(0, top)) out(`${perDoc(us).padStart(8)}  ${(100 * us / total).toFixed(1).padStart(5)}%  ${a}`);
    out('\nheaviest functions (self time)');
    for (const [f, us] of [...byFn].sort((x, y) => y[1] - x[1]).slice(0, top)) {
      out(`${perDoc(us).padStart(8)}  ${(100 * us / total).toFixed(1).padStart(5)}%  ${f}`);
      const callers = [...(callersOf.get(f) ?? [])].sort((x, y) => y[1] - x[1]).slice(0, 3);
      out(`${' '.repeat(17)}called from ${callers.map(([c, t]) => `${c} (${perDoc(t)})`).join(', ')}`);
    }
  } finally {
    setServerNodeArgs([]);
    rmSync(root, { recursive: true, force: true });
  }
  if (!result) throw new Error('assertion: the profile was read');
  return result;
}

if (import.meta.main) {
  const arg = (name: string, fallback: number): number => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const receiveAt = process.argv.indexOf('--receive');
  const receive = (receiveAt >= 0 ? process.argv[receiveAt + 1] : 'one-by-one') as ReceiveMode;
  if (!RECEIVE_MODES.includes(receive)) throw new Error(`--receive ${RECEIVE_MODES.join('|')}`);
  await profileHub({ bytes: arg('--bytes', 10 * 1024), documents: arg('--documents', 2000), top: arg('--top', 25), receive, profile: !process.argv.includes('--no-profile') });
}
