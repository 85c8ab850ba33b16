// deploy/haproxy.cfg as shipped: two `vdxp serve --database` processes on a throwaway PostgreSQL cluster behind a
// real HAProxy (Debian's package). Documents go in and out through the balancer; one node is SIGKILLed under
// traffic and every request still succeeds (retried on the other node), then it comes back and takes traffic.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, it } from 'node:test';
import { addSystem, importAgencies, openHub } from '../packages/hub/src/index.ts';
import { freePort, startPostgres, type PgCluster } from '../packages/hub/test-support/postgres.ts';
import { edoc } from '../packages/hub/test-support/testkit.ts';
import { waitFor } from '../packages/hub/test-support/wait-for.ts';

const MAIN = new URL('../packages/cli/src/main.ts', import.meta.url).pathname;
const CONFIG = new URL('../deploy/haproxy.cfg', import.meta.url).pathname;
const HAPROXY = '/usr/sbin/haproxy';

let cluster: PgCluster;
let dir: string;
const children: ChildProcess[] = [];
before(async () => {
  cluster = await startPostgres();
  dir = mkdtempSync(join(tmpdir(), 'vdxp-deploy-'));
});
after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await cluster.destroy();
  rmSync(dir, { recursive: true, force: true });
});

async function node(databaseUrl: string, keyFile: string, port: number): Promise<ChildProcess> {
  const p = spawn(process.execPath, [MAIN, 'serve', '--database', databaseUrl, '--key-file', keyFile, '--port', String(port), '--no-demo'], { stdio: ['ignore', 'pipe', 'ignore'] });
  children.push(p);
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: p.stdout }).on('line', (l) => { if (/serving at/.test(l)) resolve(); });
    p.once('exit', (c) => reject(new Error(`node exited with ${c}`)));
  });
  return p;
}

it('serves two nodes behind HAProxy and keeps every request working when one is killed', { skip: existsSync(HAPROXY) ? false : `${HAPROXY} is missing: bash scripts/dev.sh test installs haproxy (apt) as root` }, async () => {
  const databaseUrl = await cluster.createDatabase('deploy');
  const keyFile = join(dir, 'nodes.key');
  const seed = await openHub({ databaseUrl, keyFile, recover: false });
  await importAgencies(seed.ctx, [{ code: '000.00.00.G22', name: 'Gửi' }, { code: '000.00.00.H41', name: 'Nhận' }], 'test');
  const sender = (await addSystem(seed.ctx, { id: 'sys.send', agencies: ['000.00.00.G22'] }, 'test')).token;
  const receiver = (await addSystem(seed.ctx, { id: 'sys.recv', agencies: ['000.00.00.H41'] }, 'test')).token;
  await seed.close();
  const [p1, p2, lb] = [await freePort(), await freePort(), await freePort()];
  const n1 = await node(databaseUrl, keyFile, p1);
  await node(databaseUrl, keyFile, p2);
  const haproxy = spawn(HAPROXY, ['-f', CONFIG, '-db'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, VDXP_LB_BIND: `127.0.0.1:${lb}`, VDXP_NODE1: `127.0.0.1:${p1}`, VDXP_NODE2: `127.0.0.1:${p2}` },
  });
  children.push(haproxy);
  const base = `http://127.0.0.1:${lb}`;
  await waitFor(async () => (await fetch(`${base}/readyz`).catch(() => undefined))?.status === 200, { what: 'HAProxy to pass requests', timeoutMs: 20_000 });

  const send = async (): Promise<number> => (await fetch(`${base}/v1/documents`, {
    method: 'POST', headers: { authorization: `Bearer ${sender}`, 'content-type': 'application/xml' }, body: await edoc('000.00.00.G22', ['000.00.00.H41']),
  })).status;
  const statuses: number[] = [];
  for (let i = 0; i < 10; i++) statuses.push(await send());
  n1.kill('SIGKILL');
  // Right after the kill, before the health check notices: a refused connection is retried on node 2.
  for (let i = 0; i < 20; i++) statuses.push(await send());
  assert.deepEqual(statuses, Array.from({ length: 30 }, () => 201), 'every send through the balancer was accepted');
  const inbox = (await (await fetch(`${base}/v1/inbox?limit=100`, { headers: { authorization: `Bearer ${receiver}` } })).json()) as { items: { deliveryId: string }[] };
  assert.equal(inbox.items.length, 30);
  for (const item of inbox.items) {
    const got = await fetch(`${base}/v1/deliveries/${item.deliveryId}/packet`, { headers: { authorization: `Bearer ${receiver}` } });
    await got.arrayBuffer();
    assert.equal(got.status, 200);
    const ack = await fetch(`${base}/v1/deliveries/${item.deliveryId}/ack`, {
      method: 'POST', headers: { authorization: `Bearer ${receiver}`, 'content-type': 'application/json' }, body: JSON.stringify({ result: 'done' }),
    });
    assert.equal(ack.status, 200);
  }
  // The killed node comes back and the balancer sends it traffic again (its health check passes).
  await node(databaseUrl, keyFile, p1);
  await waitFor(async () => (await fetch(`http://127.0.0.1:${p1}/readyz`)).status === 200, { what: 'node 1 to be back' });
  for (let i = 0; i < 5; i++) assert.equal(await send(), 201);
});
