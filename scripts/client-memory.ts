// `bash scripts/dev.sh node scripts/client-memory.ts [--mb 512] [--global-fetch]`: @vdxp/client streams both ways in bounded
// memory. A hub server runs in a child process; this process writes a packet of one attachment of --mb MiB
// (streamed from the builder to a file), sends it with the client from the file, receives it back into a
// file with the receive loop, checks the digest, and prints throughput and this process's peak RSS (sampled)
// against its RSS before, and the hub's peak RSS. The suite runs it tiny (client-memory.test.ts).

import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { buildPacket } from '@vdxp/edxml';
import { VdxpClient } from '@vdxp/client';
import { fileSource, nodeFetch, writeFileDurably } from '@vdxp/client/node';
import { HubProcess } from '../packages/hub/test-support/hub-process.ts';

export interface ClientMemoryReport {
  packetBytes: number;
  sendMiBps: number;
  receiveMiBps: number;
  clientRssBeforeMiB: number;
  clientRssPeakSendMiB: number;
  clientRssPeakMiB: number;
  hubRssPeakMiB: number | null;
  digestsMatch: boolean;
}

const MiB = 1024 * 1024;
const round = (n: number): number => Math.round(n * 10) / 10;

async function* attachmentBytes(bytes: number): AsyncGenerator<Uint8Array> {
  const slice = Buffer.alloc(MiB);
  for (let i = 0; i < slice.length; i++) slice[i] = (i * 31 + 7) & 0xff;
  for (let left = bytes; left > 0; left -= slice.length) yield left >= slice.length ? slice : slice.subarray(0, left);
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return h.digest('hex');
}

/** `globalFetch`: Node's own fetch (undici) instead of nodeFetch, to compare. */
export async function runClientMemory(attachmentMiB: number, globalFetch = false): Promise<ClientMemoryReport> {
  const dir = mkdtempSync(join(tmpdir(), 'vdxp-client-memory-'));
  const hub = new HubProcess(join(dir, 'data'), { startTimeoutMs: 60_000 });
  try {
    const ready = await hub.ready;
    const tokens = ready.tokens ?? {};
    const file = join(dir, 'large.edxml');
    await pipeline(Readable.from(buildPacket({
      header: {
        MessageHeader: {
          From: { OrganId: '000.00.00.G22' }, To: [{ OrganId: '000.00.00.G12' }],
          DocumentId: `000.00.00.G22,2026/12/02,${Date.now()}/LARGE`, Subject: 'Gói tin lớn / large packet', ResponseFor: [],
        },
        TraceHeaderList: { TraceHeader: [{ OrganId: '000.00.00.G22', Timestamp: '2026/12/02 09:00:00' }] },
      },
      attachments: [{ ContentId: 'cid:1', AttachmentName: 'lon.bin', ContentType: 'application/octet-stream', content: attachmentBytes(attachmentMiB * MiB) }],
    })), createWriteStream(file));
    const sentDigest = await sha256File(file);
    global.gc?.();
    const rssBefore = process.memoryUsage.rss();
    let peak = rssBefore;
    const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()); }, 20);
    try {
      const source = await fileSource(file);
      const sender = new VdxpClient({ hub: ready.url, token: tokens['gov'] ?? '', ...(globalFetch ? {} : { fetch: nodeFetch }) });
      let t0 = performance.now();
      const sent = await sender.send(source);
      const sendSeconds = (performance.now() - t0) / 1000;
      peak = Math.max(peak, process.memoryUsage.rss());
      const sendPeak = peak;
      const out = join(dir, 'received.edxml');
      t0 = performance.now();
      await new VdxpClient({ hub: ready.url, token: tokens['mof'] ?? '', ...(globalFetch ? {} : { fetch: nodeFetch }) }).receive(async (p) => { await writeFileDurably(out, p.body); }, { once: true, kind: 'edoc' });
      const receiveSeconds = (performance.now() - t0) / 1000;
      peak = Math.max(peak, process.memoryUsage.rss());
      const hubPeak = hub.peakRssBytes();
      return {
        packetBytes: sent.bytes, sendMiBps: round(sent.bytes / MiB / sendSeconds), receiveMiBps: round(sent.bytes / MiB / receiveSeconds),
        clientRssBeforeMiB: round(rssBefore / MiB), clientRssPeakSendMiB: round(sendPeak / MiB), clientRssPeakMiB: round(peak / MiB), hubRssPeakMiB: hubPeak === undefined ? null : round(hubPeak / MiB),
        digestsMatch: sent.digest === sentDigest && (await sha256File(out)) === sentDigest,
      };
    } finally {
      clearInterval(sampler);
    }
  } finally {
    await hub.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { mb: { type: 'string' }, 'global-fetch': { type: 'boolean' } } });
  const mb = Number(values.mb ?? 512);
  const r = await runClientMemory(mb, values['global-fetch'] ?? false);
  console.log(JSON.stringify(r));
  console.error(`client-memory: ${round(r.packetBytes / MiB)} MiB packet — send ${r.sendMiBps} MiB/s, receive ${r.receiveMiBps} MiB/s; `
    + `client RSS ${r.clientRssBeforeMiB} → peak ${r.clientRssPeakSendMiB} MiB sending, ${r.clientRssPeakMiB} MiB receiving, hub peak ${r.hubRssPeakMiB ?? '?'} MiB; digests ${r.digestsMatch ? 'match' : 'DIFFER'}`);
  if (!r.digestsMatch) process.exit(1);
}
