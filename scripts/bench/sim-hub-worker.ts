// The embedded hub of the live simulator benchmark, in a worker thread of its own: the simulated systems (94
// long-poll loops, packet making, statuses) then run on another event loop, as `vdxp serve` and
// `vdxp simulate --hub` do in two processes, instead of taking turns with the hub on one.
// Receives { dataDir }, seeds the simulated registry, serves on a free port and posts { url, tokens }; closes
// on a 'close' message and posts { closed, cpuMs }: the CPU its thread spent serving.

import { parentPort, workerData } from 'node:worker_threads';
import { buildServer, openHub } from '@vdxp/hub';
import { nationalRegistry, seedNational } from '@vdxp/sim';

const port = parentPort;
if (!port) throw new Error('sim-hub-worker runs as a worker thread');
const { dataDir, seed } = workerData as { dataDir: string; seed: number };
const hub = await openHub({ dataDir });
const app = buildServer(hub);
const seeded = await seedNational(hub.ctx, nationalRegistry(seed));
const url = await app.listen({ port: 0, host: '127.0.0.1' });
// The hub thread's CPU from here on (seeding left out): what serving the simulated traffic cost it.
const cpu0 = process.threadCpuUsage();
port.on('message', (m: unknown) => {
  if (m !== 'close') return;
  const cpu = process.threadCpuUsage(cpu0);
  void (async () => {
    await app.close();
    await hub.close();
    port.postMessage({ closed: true, cpuMs: (cpu.user + cpu.system) / 1000 });
    port.close();
  })();
});
port.postMessage({ url, tokens: seeded.systemsAdded.map((c) => [c.id, c.token] as const) });
