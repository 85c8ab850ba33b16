// The folder connector's crash driver: a real `vdxp connect` process against a real hub server (in this
// process), SIGKILLed at seeded random moments while documents arrive for it, packet files (some refused)
// appear in its outbox and "the agency's system" takes received files away. At the end every document must be
// in the inbox (or taken) exactly once, every outbox file in sent/ with a receipt or in failed/ with a reason,
// and the hub must hold each sent file once. Used by connector-crash.test.ts (small) and `npm run crash --
// --connector --kills N` (long).

import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { VdxpClient } from '@vdxp/client';
import { edoc, listen, startTestHub } from '../../hub/test-support/testkit.ts';
import { prng } from '../../hub/test-support/prng.ts';
import { waitFor } from '../../hub/test-support/wait-for.ts';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

export interface ConnectorCrashOptions {
  kills: number;
  seed?: number;
  /** Documents sent to the connector's agency; default 3 per kill. */
  documents?: number;
  /** Packet files written to its outbox (every fifth one refused by the hub); default 3 per kill. */
  files?: number;
  log?: (line: string) => void;
}

export interface ConnectorCrashReport {
  seed: number;
  kills: number;
  documents: number;
  files: number;
  received: number;
  sent: number;
  failed: number;
  seconds: number;
  violations: string[];
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const packets = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).filter((n) => !n.startsWith('.') && n.endsWith('.edxml')) : []);

export async function runConnectorCrash(o: ConnectorCrashOptions): Promise<ConnectorCrashReport> {
  const seed = o.seed ?? Math.floor(Math.random() * 2 ** 31);
  const random = prng(seed);
  const log = o.log ?? (() => {});
  const started = performance.now();
  const documents = o.documents ?? o.kills * 3;
  const files = o.files ?? o.kills * 3;
  const t = await startTestHub();
  const server = await listen(t.hub);
  const root = mkdtempSync(join(tmpdir(), 'vdxp-connector-crash-'));
  const inbox = join(root, 'inbox');
  const outbox = join(root, 'outbox');
  const taken = join(root, 'taken');
  mkdirSync(outbox, { recursive: true });
  mkdirSync(taken);
  const token = t.systems['nghean']?.token ?? '';
  const gov = new VdxpClient({ hub: server.url, token: t.systems['gov']?.token ?? '' });
  let child: ChildProcess | undefined;
  const spawnConnector = (): ChildProcess => spawn(process.execPath, [
    '--no-warnings', MAIN, 'connect', '--hub', server.url, '--token', token, '--inbox', inbox, '--outbox', outbox, '--poll', '20', '--wait', '1',
  ], { stdio: 'ignore' });
  const violations: string[] = [];
  try {
    child = spawnConnector();
    const sentDigests = new Set<string>();
    const goodFiles = new Map<string, string>();
    const badFiles = new Set<string>();
    let trafficDone = false;
    const sender = (async () => {
      for (let i = 0; i < documents; i++) {
        const big = random() < 0.1;
        const packet = await edoc('000.00.00.G22', ['000.00.00.H41'], {}, big
          ? [{ ContentId: 'cid:1', AttachmentName: 'lon.bin', ContentType: 'application/octet-stream', content: Buffer.alloc(200_000 + Math.floor(random() * 200_000), i % 251) }]
          : []);
        sentDigests.add(sha(packet));
        await gov.send(packet);
        await delay(Math.floor(random() * 30));
      }
    })();
    const writer = (async () => {
      for (let i = 0; i < files; i++) {
        const bad = i % 5 === 4;
        const packet = await edoc('000.00.00.H41', [bad ? '000.00.00.Z99' : '000.00.00.G22']);
        const name = `out-${String(i).padStart(5, '0')}.edxml`;
        // A complete file only: written under a hidden name, then renamed.
        writeFileSync(join(outbox, `.${name}.tmp`), packet);
        renameSync(join(outbox, `.${name}.tmp`), join(outbox, name));
        if (bad) badFiles.add(name);
        else goodFiles.set(name, sha(packet));
        await delay(Math.floor(random() * 30));
      }
    })();
    // The agency's system: takes received files away now and then.
    const consumer = (async () => {
      while (!trafficDone) {
        for (const n of packets(inbox)) renameSync(join(inbox, n), join(taken, n));
        await delay(20 + Math.floor(random() * 80));
      }
    })();
    for (let k = 0; k < o.kills; k++) {
      await delay(60 + Math.floor(random() * 250));
      const c = child;
      const exited = new Promise((resolve) => c.once('exit', resolve));
      c.kill('SIGKILL');
      await exited;
      child = spawnConnector();
      if ((k + 1) % 20 === 0) log(`connector-crash: ${k + 1}/${o.kills} kills`);
    }
    await Promise.all([sender, writer]);
    // Quiet end: the last connector works everything off.
    const allDone = async (): Promise<boolean> => {
      if (packets(outbox).length > 0) return false;
      const page = await new VdxpClient({ hub: server.url, token }).inbox({ kind: 'edoc', limit: 1 });
      return page.items.length === 0;
    };
    await waitFor(allDone, { timeoutMs: 120_000, what: 'the connector to work off its outbox and inbox' });
    trafficDone = true;
    await consumer;
    const last = child;
    const exited = new Promise((resolve) => last.once('exit', resolve));
    last.kill('SIGTERM');
    await exited;
    child = undefined;

    // Every document exactly once in inbox ∪ taken.
    const seen = new Map<string, number>();
    for (const dir of [inbox, taken]) {
      for (const n of packets(dir).filter((x) => x.startsWith('edoc-'))) {
        const d = sha(readFileSync(join(dir, n)));
        seen.set(d, (seen.get(d) ?? 0) + 1);
      }
    }
    for (const d of sentDigests) if (!seen.has(d)) violations.push(`lost: document ${d.slice(0, 12)} never reached the inbox`);
    for (const [d, n] of seen) {
      if (n > 1) violations.push(`duplicated: document ${d.slice(0, 12)} written ${n} times`);
      if (!sentDigests.has(d)) violations.push(`unknown: a file ${d.slice(0, 12)} nobody sent`);
    }
    const leftovers = readdirSync(inbox).filter((n) => n.endsWith('.part'));
    if (leftovers.length > 0) violations.push(`temporary files left in the inbox: ${leftovers.join(', ')}`);

    // Every outbox file in sent/ (with its receipt) or failed/ (with its reason), and once on the hub.
    const sentDir = join(outbox, 'sent');
    const failedDir = join(outbox, 'failed');
    const receiptIds = new Set<string>();
    for (const [name, digest] of goodFiles) {
      if (!existsSync(join(sentDir, name))) { violations.push(`outbox: ${name} is not in sent/`); continue; }
      const receiptPath = join(sentDir, `${name}.receipt.json`);
      if (!existsSync(receiptPath)) { violations.push(`outbox: ${name} has no receipt`); continue; }
      const receipt = JSON.parse(readFileSync(receiptPath, 'utf8')) as { documentId: string; digest: string; recipients: string[] };
      if (receipt.digest !== digest) violations.push(`outbox: ${name}'s receipt names another packet`);
      if (receiptIds.has(receipt.documentId)) violations.push(`outbox: two receipts name document ${receipt.documentId}`);
      receiptIds.add(receipt.documentId);
    }
    for (const name of badFiles) {
      if (!existsSync(join(failedDir, name)) || !existsSync(join(failedDir, `${name}.reason.json`))) violations.push(`outbox: refused ${name} is not in failed/ with its reason`);
    }
    const onHub = new Map<string, number>();
    await gov.receive(async (p) => {
      const bytes = new Uint8Array(await new Response(p.body).arrayBuffer());
      const d = sha(bytes);
      onHub.set(d, (onHub.get(d) ?? 0) + 1);
    }, { once: true, kind: 'edoc' });
    for (const [name, digest] of goodFiles) {
      const n = onHub.get(digest) ?? 0;
      if (n !== 1) violations.push(`hub: ${name} arrived ${n} times at its recipient`);
    }
    return {
      seed, kills: o.kills, documents, files, received: seen.size, sent: receiptIds.size, failed: packets(failedDir).length,
      seconds: Math.round((performance.now() - started) / 100) / 10, violations,
    };
  } finally {
    child?.kill('SIGKILL');
    await server.app.close();
    await t.close();
    rmSync(root, { recursive: true, force: true });
  }
}
