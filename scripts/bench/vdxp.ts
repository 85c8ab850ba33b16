// Benchmark of the VDXP-compatible API against the native API on the same hub and the same harness:
// documents per second for the whole loop (send; list, get, done) at 10 KB and 1 MB. `tiny` runs in the
// test suite so the benchmark cannot rot; `full` is the real measurement (npm run bench vdxp).
//
// Server and clients share this process (a fresh hub on a fresh folder per case), so absolute figures are
// below those of bench/hub.ts, whose server has a process of its own; the two columns here differ only in the
// API, which is what this benchmark is for: the cost of HMAC headers, base64 in JSON and list-then-get.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPacketBytes } from '@vdxp/edxml';
import { addSystem, buildServer, importAgencies, openHub } from '@vdxp/hub';
import { sdkHashFile, VdxpTestClient } from '../../packages/hub/test-support/vdxp-test-client.ts';

export type BenchSize = 'tiny' | 'full';
export type Api = 'native' | 'vdxp';

export interface VdxpBenchFigures {
  case: 'exchange';
  api: Api;
  packetBytes: number;
  documents: number;
  seconds: number;
  docsPerSec: number;
  MBps: number;
  sendP50Ms: number;
  sendP99Ms: number;
  /** One list call (getReceivedEdocList, or the native inbox page). */
  listP50Ms: number;
  getP50Ms: number;
  getP99Ms: number;
  /** updateStatus done, or the native ack. */
  doneP50Ms: number;
  /** Gets made again because the packet's file was not in place yet (see RETRY_NOTE). */
  getRetries: number;
}

export interface VdxpBenchResult {
  size: BenchSize;
  figures: VdxpBenchFigures[];
}

const KB = 1024;
const MiB = 1024 * 1024;
const PLANS: Record<BenchSize, { packetBytes: number; documents: number }[]> = {
  tiny: [{ packetBytes: 10 * KB, documents: 20 }, { packetBytes: 1 * MiB, documents: 4 }],
  full: [{ packetBytes: 10 * KB, documents: 2000 }, { packetBytes: 1 * MiB, documents: 200 }],
};
/** Concurrent sending loops, spread over the sending systems. */
const SENDERS = 4;
/** Items one receiving system gets and marks done at the same time. */
const RECEIVER_PARALLEL = 4;
const EMPTY_LIST_PAUSE_MS = 5;
/**
 * RETRY_NOTE: a get that fails is made again and counted. The hub once had a window (between a document's
 * commit and its blob's rename) where gets failed; it waits for the rename now, so this should read 0.
 */
const GET_RETRIES_MAX = 20;
const GET_RETRY_PAUSE_MS = 5;
const CASE_TIMEOUT_MS = 15 * 60_000;
const ID_PLACEHOLDER = 'BENCHID00000000';

const SENDING = [{ id: 'sys.gov', agency: '000.00.00.G22' }, { id: 'sys.mof', agency: '000.00.00.G12' }];
const RECEIVING = [{ id: 'sys.nghean', agency: '000.00.00.H41' }, { id: 'sys.caobang', agency: '000.00.00.H14' }];

const round = (n: number, digits = 1): number => Number(n.toFixed(digits));
/** A rate as `round` shows it, except that a positive rate never shows as 0 (a slow, loaded machine's tiny run). */
const rate = (n: number, digits = 1): number => (n > 0 && round(n, digits) === 0 ? Number(n.toPrecision(2)) : round(n, digits));
// Only a client's pacing: between polls of an empty list (both drivers list without waiting, as the SDK does) and retries.
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const p = (sorted: number[], q: number): number => round(sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))] ?? Number.NaN, 2);

/** A packet of about `bytes` bytes (within a few) whose DocumentId has a placeholder patched per document. */
async function template(from: string, to: string, bytes: number): Promise<{ bytes: Buffer; idAt: number }> {
  const build = (raw: number): Promise<Buffer> => buildPacketBytes({
    header: {
      MessageHeader: {
        From: { OrganId: from, OrganName: 'Đơn vị gửi' }, To: [{ OrganId: to }], DocumentId: `${from},2026/11/23,${ID_PLACEHOLDER}/BENCH`,
        Code: { CodeNumber: '1', CodeNotation: 'BENCH' }, Subject: 'Công văn đo tốc độ', ResponseFor: [],
      },
      TraceHeaderList: { TraceHeader: [{ OrganId: from, Timestamp: '2026/11/23 08:00:00' }] },
    },
    attachments: [{ ContentId: 'cid:1', AttachmentName: 'cong-van.pdf', ContentType: 'application/pdf', content: Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(raw, 0x37)]) }],
  });
  const overhead = (await build(0)).length;
  const built = await build(Math.max(0, Math.floor(((bytes - overhead) * 3) / 4)));
  return { bytes: built, idAt: built.indexOf(ID_PLACEHOLDER) };
}

function stamp(t: { bytes: Buffer; idAt: number }, n: number): Buffer {
  const b = Buffer.from(t.bytes);
  b.write(`BENCHID${String(n).padStart(8, '0')}`, t.idAt, 'latin1');
  return b;
}

/** One API's calls, so both run through the same loop. */
interface Driver {
  send(sender: number, packet: Buffer): Promise<void>;
  list(receiver: number): Promise<string[]>;
  /** The packet's size, or undefined when its file was not in place yet. */
  get(receiver: number, id: string): Promise<number | undefined>;
  done(receiver: number, id: string): Promise<void>;
}

function expectOk(what: string, status: number, json: Record<string, unknown>): void {
  if (status !== 200 || json['status'] !== 'OK') throw new Error(`${what} answered ${status}: ${JSON.stringify(json).slice(0, 300)}`);
}

function vdxpDriver(url: string): Driver {
  const client = (id: string): VdxpTestClient => new VdxpTestClient({ endpoint: url, systemId: id, secret: `${id}-secret`, now: Date.now });
  const senders = SENDING.map((s) => ({ client: client(s.id), agency: s.agency }));
  const receivers = RECEIVING.map((r) => client(r.id));
  const rx = (i: number): VdxpTestClient => receivers[i] ?? assert();
  return {
    async send(k, packet) {
      const s = senders[k % senders.length] ?? assert();
      const r = await s.client.call('sendEdoc', {
        contentType: 'application/octet-stream', body: packet,
        inputs: { from: s.agency, servicetype: 'eDoc', messagetype: 'edoc', 'hash-file': sdkHashFile(packet) },
      });
      expectOk('sendEdoc', r.status, r.json);
    },
    async list(i) {
      const r = await rx(i).receivedList('edoc');
      expectOk('getReceivedEdocList', r.status, r.json);
      return (r.json['data'] as { docId: string }[]).map((d) => d.docId);
    },
    async get(i, id) {
      const r = await rx(i).getEdoc(id);
      if (r.json['ErrorCode'] === 'VDXP_E_BLOB_CORRUPT') return undefined;
      expectOk('getEdoc', r.status, r.json);
      return Buffer.from(r.json['data'] as string, 'base64').length;
    },
    async done(i, id) {
      const r = await rx(i).updateStatus(id, 'done');
      expectOk('updateStatus', r.status, r.json);
    },
  };
}

function nativeDriver(url: string, tokens: Record<string, string>): Driver {
  const call = async (id: string, path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(url + path, { ...init, headers: { authorization: `Bearer ${tokens[id] ?? ''}`, ...init.headers } });
  const rx = (i: number): string => RECEIVING[i]?.id ?? assert();
  return {
    async send(k, packet) {
      const res = await call(SENDING[k % SENDING.length]?.id ?? assert(), '/v1/documents', { method: 'POST', body: packet, headers: { 'content-type': 'application/xml' } });
      const json = await res.json() as Record<string, unknown>;
      if (res.status !== 201) throw new Error(`POST /v1/documents answered ${res.status}: ${JSON.stringify(json)}`);
    },
    async list(i) {
      const res = await call(rx(i), '/v1/inbox?kind=edoc&limit=1000');
      return ((await res.json()) as { items: { deliveryId: string }[] }).items.map((d) => d.deliveryId);
    },
    async get(i, id) {
      const res = await call(rx(i), `/v1/deliveries/${id}/packet`);
      const n = (await res.arrayBuffer()).byteLength;
      if (res.status === 500) return undefined;
      if (res.status !== 200) throw new Error(`packet answered ${res.status}`);
      return n;
    },
    async done(i, id) {
      const res = await call(rx(i), `/v1/deliveries/${id}/ack`, { method: 'POST', body: '{"result":"done"}', headers: { 'content-type': 'application/json' } });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`ack answered ${res.status}`);
    },
  };
}

function assert(): never {
  throw new Error('assertion: index within the fixed sender/receiver lists');
}

export async function exchange(root: string, api: Api, packetBytes: number, documents: number): Promise<VdxpBenchFigures> {
  const dir = mkdtempSync(join(root, `${api}-`));
  const hub = await openHub({ dataDir: dir });
  const app = buildServer(hub);
  try {
    await importAgencies(hub.ctx, [...SENDING, ...RECEIVING].map((s) => ({ code: s.agency, name: `Đơn vị ${s.agency}` })), 'bench');
    const tokens: Record<string, string> = {};
    for (const s of [...SENDING, ...RECEIVING]) tokens[s.id] = (await addSystem(hub.ctx, { id: s.id, agencies: [s.agency], secret: `${s.id}-secret` }, 'bench')).token;
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const driver = api === 'vdxp' ? vdxpDriver(url) : nativeDriver(url, tokens);
    const templates = await Promise.all(SENDING.map((s) => Promise.all(RECEIVING.map((r) => template(s.agency, r.agency, packetBytes)))));
    const actualBytes = templates[0]?.[0]?.bytes.length ?? assert();
    const times = { send: [] as number[], list: [] as number[], get: [] as number[], done: [] as number[] };
    const timed = async <T>(into: number[], f: () => Promise<T>): Promise<T> => {
      const at = performance.now();
      try { return await f(); } finally { into.push(performance.now() - at); }
    };
    const deadline = performance.now() + CASE_TIMEOUT_MS;
    let next = 0;
    let getRetries = 0;
    const t0 = performance.now();
    const sender = async (k: number): Promise<void> => {
      for (let n = next++; n < documents; n = next++) {
        const t = templates[k % SENDING.length]?.[n % RECEIVING.length] ?? assert();
        await timed(times.send, () => driver.send(k, stamp(t, n)));
      }
    };
    const receiver = async (i: number, expected: number): Promise<void> => {
      let done = 0;
      while (done < expected) {
        if (performance.now() > deadline) throw new Error(`The ${api} ${packetBytes}-byte case passed its deadline`);
        const queue = await timed(times.list, () => driver.list(i));
        if (queue.length === 0) await sleep(EMPTY_LIST_PAUSE_MS);
        await Promise.all(Array.from({ length: RECEIVER_PARALLEL }, async () => {
          for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
            let got = await timed(times.get, () => driver.get(i, id));
            for (let retry = 1; got === undefined && retry <= GET_RETRIES_MAX; retry++) {
              getRetries++;
              await sleep(GET_RETRY_PAUSE_MS);
              got = await timed(times.get, () => driver.get(i, id));
            }
            if (got !== actualBytes) throw new Error(`${api}: got ${got} bytes, sent ${actualBytes}`);
            await timed(times.done, () => driver.done(i, id));
            done++;
          }
        }));
      }
    };
    const perReceiver = RECEIVING.map((_, i) => Math.floor(documents / RECEIVING.length) + (i < documents % RECEIVING.length ? 1 : 0));
    await Promise.all([...Array.from({ length: SENDERS }, (_, k) => sender(k)), ...perReceiver.map((n, i) => receiver(i, n))]);
    const seconds = (performance.now() - t0) / 1000;
    for (const list of Object.values(times)) list.sort((a, b) => a - b);
    return {
      case: 'exchange', api, packetBytes: actualBytes, documents, seconds: round(seconds, 3), docsPerSec: rate(documents / seconds, 0),
      MBps: rate((documents * actualBytes) / seconds / 1e6), sendP50Ms: p(times.send, 0.5), sendP99Ms: p(times.send, 0.99),
      listP50Ms: p(times.list, 0.5), getP50Ms: p(times.get, 0.5), getP99Ms: p(times.get, 0.99), doneP50Ms: p(times.done, 0.5), getRetries,
    };
  } finally {
    await app.close();
    await hub.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchVdxp(o: { size: BenchSize; out?: (line: string) => void; log?: (line: string) => void }): Promise<VdxpBenchResult> {
  const out = o.out ?? ((line: string) => { console.log(line); });
  const log = o.log ?? ((line: string) => { console.error(line); });
  const root = mkdtempSync(join(tmpdir(), 'vdxp-bench-vdxp-'));
  const figures: VdxpBenchFigures[] = [];
  try {
    for (const c of PLANS[o.size]) {
      for (const api of ['native', 'vdxp'] as const) {
        log(`bench vdxp (${o.size}): ${api}, ${c.documents} × ${c.packetBytes} bytes…`);
        const f = await exchange(root, api, c.packetBytes, c.documents);
        out(JSON.stringify({ bench: 'vdxp', size: o.size, ...f }));
        figures.push(f);
      }
    }
    for (const line of table(o.size, figures)) out(line);
    return { size: o.size, figures };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function table(size: BenchSize, figures: VdxpBenchFigures[]): string[] {
  const pad = (s: string | number, n: number): string => String(s).padStart(n);
  const label = (bytes: number): string => (bytes >= MiB ? `${round(bytes / MiB, 0)} MB` : `${round(bytes / KB, 0)} KB`);
  const lines = [
    '',
    `vdxp API vs native API (${size}), same hub and harness, in one process — the loop: send; list, get, done`,
    `${'packet'.padEnd(8)} ${pad('docs', 6)} | ${pad('native docs/s', 14)} ${pad('MB/s', 7)} | ${pad('vdxp docs/s', 12)} ${pad('MB/s', 7)} ${pad('send p50', 9)} ${pad('list p50', 9)} ${pad('get p50', 8)} ${pad('done p50', 9)} ms ${pad('get retries n/v', 16)}`,
  ];
  for (const v of figures.filter((f) => f.api === 'vdxp')) {
    const n = figures.find((f) => f.api === 'native' && f.packetBytes === v.packetBytes);
    lines.push(`${label(v.packetBytes).padEnd(8)} ${pad(v.documents, 6)} | ${pad(n?.docsPerSec ?? '–', 14)} ${pad(n?.MBps ?? '–', 7)} | ${pad(v.docsPerSec, 12)} ${pad(v.MBps, 7)} ${pad(v.sendP50Ms, 9)} ${pad(v.listP50Ms, 9)} ${pad(v.getP50Ms, 8)} ${pad(v.doneP50Ms, 9)}    ${pad(`${n?.getRetries ?? '–'} / ${v.getRetries}`, 16)}`);
  }
  return lines;
}
