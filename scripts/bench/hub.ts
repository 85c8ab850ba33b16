// Benchmark of the hub over real HTTP: end-to-end documents per second with submit and fetch latencies at
// 10 KB and 1 MB, one 500 MB packet streamed in, where the time of a submit goes, this machine's disk, and the
// RabbitMQ peer at the same sizes. `tiny` runs in seconds in the test suite; `full` is the real measurement.
//
// The server runs in a child process (packages/hub/test-support/crash-server.ts), a fresh one on a fresh folder per
// case, so its peak RSS (VmHWM from /proc) is the server's alone, without the load generator's buffers.

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildPacket, buildPacketBytes, parsePacket, type PacketModel } from '@vdxp/edxml';
import { addSystem, importAgencies, openHub, submitPacket, type HubContext } from '@vdxp/hub';
import { CRASH_AGENCIES, CRASH_SYSTEMS } from '../../packages/hub/test-support/crash-server.ts';
import { HubProcess } from '../../packages/hub/test-support/hub-process.ts';
import { startPostgres, type PgCluster } from '../../packages/hub/test-support/postgres.ts';
import { VdxpTestClient } from '../../packages/hub/test-support/vdxp-test-client.ts';

export type BenchSize = 'tiny' | 'full';

export interface DiskFigures { case: 'disk'; writeMBps: number; writeBytes: number; syncWritesPerSec: number; syncWriteBytes: number; syncWrites: number }

/**
 * How the receivers take their documents: `one-by-one` is today's loop (inbox page, then per document a GET of
 * its packet and a POST of its ack); `batch` asks the inbox to carry small packets (`inline=`, handed out with
 * the answer in one transaction), fetches only the larger ones alone, and acks the page in one batch ack;
 * `stream` holds one inbox stream open (`GET /v1/inbox/stream?prefetch=`, small packets in its lines) and acks
 * in one batch ack what each read from the socket brought, which gives the stream its credit back.
 */
export type ReceiveMode = 'one-by-one' | 'batch' | 'stream';
export const RECEIVE_MODES: readonly ReceiveMode[] = ['one-by-one', 'batch', 'stream'];

export interface ExchangeFigures {
  case: 'hub-exchange';
  /** The store the hub ran on, and how many hub processes shared it (the load spread over them). */
  engine: 'sqlite' | 'postgres';
  nodes: number;
  receive: ReceiveMode;
  packetBytes: number;
  documents: number;
  senders: number;
  receivers: number;
  seconds: number;
  docsPerSec: number;
  MBps: number;
  submitP50Ms: number;
  submitP99Ms: number;
  /** One-by-one: a packet's GET. Batch: an inbox answer that carried packets (its long-poll included), or a lone packet's GET. Stream: a read of the stream that brought packets (its wait included), or a lone packet's GET. */
  fetchP50Ms: number;
  fetchP99Ms: number;
  /** HTTP requests the receivers made per document (inbox pages, packet fetches, acks), to compare the two loops. */
  receiveRequestsPerDoc: number;
  serverPeakRssMB: number;
  /**
   * The servers' CPU time (user + system, every thread) per document, in ms: the cost of a document to the hub,
   * which other load on the machine inflates far less than it does docs/s.
   */
  serverCpuMsPerDoc: number;
  /** Fetches answered 500 and made again (the blob was not in place yet). */
  fetchRetries: number;
}

export interface IngestFigures {
  case: 'hub-ingest';
  packetBytes: number;
  seconds: number;
  ingestMBps: number;
  fetchSeconds: number;
  fetchMBps: number;
  /**
   * The server's CPU (all its threads) per MB of packet, each way: on a shared machine a steadier figure than
   * the MB/s, which other processes' load changes.
   */
  ingestServerCpuMsPerMB: number;
  fetchServerCpuMsPerMB: number;
  serverPeakRssMB: number;
  serverRssAtStartMB: number;
}

/**
 * One large packet in-process (no HTTP), read from a file in the page cache in the slices a socket gives:
 * the parser alone, the staging alone (blob writer: copy, digest, write, fsync), and the whole submit. Wall
 * seconds and the CPU seconds of this process's main thread (the one the parse and the hub's JavaScript run
 * on): on a shared machine the CPU figures are the steadier ones.
 */
export interface IngestSplitFigures {
  case: 'hub-ingest-split';
  packetBytes: number;
  parse: SplitPass;
  staging: SplitPass;
  submit: SplitPass;
}
/** `cpuSeconds`: all the process's threads (the main one, the packet I/O thread, libuv's pool). */
export interface SplitPass { seconds: number; MBps: number; mainCpuSeconds: number; cpuSeconds: number }

/**
 * Milliseconds per submit, in-process (no HTTP), by phase. A packet kept inline (up to inlinePacketBytesMax)
 * has no staged file: its "staging write" is the copy into memory, its "staging fsync" the end of the body
 * (digest), its bytes are written in the transaction's SQL, and its "rename" does nothing.
 */
export interface PhaseFigures {
  case: 'hub-submit-phases';
  packetBytes: number;
  submits: number;
  /** Whether the packets were kept in the database (else as files). */
  keptInline: boolean;
  totalMs: number;
  /** Not timed itself: the total less the timed phases (parsing and validation, interleaved with the writes). */
  parseAndValidateMs: number;
  stagingWriteMs: number;
  stagingFsyncMs: number;
  storeReadsMs: number;
  transactionSqlMs: number;
  transactionCommitMs: number;
  blobRenameMs: number;
}

/**
 * Long-poll wake: a receiver's long-poll (GET /v1/inbox?wait=…, real HTTP) is parked, a sender submits one
 * 10 KB document to it; the wake is the time from the document's commit (stamped in the server by the
 * commit's own tick, on the machine's clock) to the moment the receiver has the poll's answer parsed.
 */
export interface WakeFigures {
  case: 'hub-wake';
  samples: number;
  wakeP50Ms: number;
  wakeP99Ms: number;
  wakeMaxMs: number;
}

/**
 * getAgenciesList (VDXP API, signed, real HTTP on loopback) of `agencies` registry rows. serverMs: from sending
 * the request to the last byte of the answer read by a client that does nothing else with it (the server's
 * time plus loopback); endToEndMs: the same call as a client makes it, the answer parsed into objects.
 */
export interface AgencyListFigures {
  case: 'vdxp-agencies-list';
  agencies: number;
  answerBytes: number;
  calls: number;
  /** The first call on a fresh server: no kept answer yet, built page by page from the store. */
  serverFirstMs: number;
  serverP50Ms: number;
  serverMaxMs: number;
  endToEndP50Ms: number;
  endToEndMaxMs: number;
}

export interface PeerFigures { case: 'rabbitmq'; size: number; count: number; seconds: number; msgsPerSec: number; MBps: number }

export interface HubBenchResult {
  size: BenchSize;
  disk: DiskFigures;
  exchange: ExchangeFigures[];
  phases: PhaseFigures[];
  ingest: IngestFigures | undefined;
  ingestSplit: IngestSplitFigures;
  wake: WakeFigures;
  agencies: AgencyListFigures;
  rabbitmq: PeerFigures[] | { skipped: string };
}

interface Plan {
  diskWriteMiB: number;
  syncWrites: number;
  exchange: { packetBytes: number; documents: number }[];
  phaseSubmits: { packetBytes: number; submits: number }[];
  ingestAttachmentMiB: number | undefined;
  /** The in-process split of one large packet (parse, staging, submit). */
  splitAttachmentMiB: number;
  wakeSamples: number;
  /** Agencies imported for getAgenciesList (beside the server's own five), and calls timed each way. */
  listAgencies: number;
  listCalls: number;
  rabbitmq: boolean;
}

const KB = 1024;
const MiB = 1024 * 1024;
const PACKET_BYTES_SMALL = 10 * KB;
const PACKET_BYTES_LARGE = 1 * MiB;
/** RabbitMQ's bench.mjs sends these exact body sizes; our packets are built to the same byte. */
const PLANS: Record<BenchSize, Plan> = {
  tiny: {
    diskWriteMiB: 16, syncWrites: 50,
    exchange: [{ packetBytes: PACKET_BYTES_SMALL, documents: 40 }, { packetBytes: PACKET_BYTES_LARGE, documents: 6 }],
    phaseSubmits: [{ packetBytes: PACKET_BYTES_SMALL, submits: 10 }, { packetBytes: PACKET_BYTES_LARGE, submits: 3 }],
    ingestAttachmentMiB: 3, splitAttachmentMiB: 2, wakeSamples: 20, listAgencies: 2_000, listCalls: 2, rabbitmq: false,
  },
  full: {
    diskWriteMiB: 256, syncWrites: 500,
    exchange: [{ packetBytes: PACKET_BYTES_SMALL, documents: 3000 }, { packetBytes: PACKET_BYTES_LARGE, documents: 300 }],
    phaseSubmits: [{ packetBytes: PACKET_BYTES_SMALL, submits: 300 }, { packetBytes: PACKET_BYTES_LARGE, submits: 60 }],
    // 375 MiB of attachment is 500 MiB of base64 in the packet.
    ingestAttachmentMiB: 375, splitAttachmentMiB: 375, wakeSamples: 500, listAgencies: 111_000, listCalls: 10, rabbitmq: true,
  },
};
const SMALL_WRITE_BYTES = 10 * KB;
const SENDERS = 4;
/** Receiving systems; each document goes to one of them, in turn. */
const RECEIVERS = 2;
/** Packets one receiver fetches and acks at the same time. */
const RECEIVER_PARALLEL = 4;
const INBOX_PAGE_ITEMS = 100;
const FETCH_RETRIES_MAX = 20;
const FETCH_RETRY_PAUSE_MS = 5;
const INBOX_WAIT_SECONDS = 1;
/** Stream receive: the credit each receiver's stream asks for, and how long one stream is asked to last. */
const STREAM_PREFETCH = 100;
const STREAM_SECONDS = 60;
/** Batch receive: the largest packet the receivers ask to be carried inline (the hub caps it with its own limit). */
const INLINE_PACKET_BYTES_ASKED = 1024 * 1024;
const START_TIMEOUT_MS = 30_000;
const REQUEST_TIMEOUT_MS = 120_000;
const CASE_TIMEOUT_MS = 15 * 60_000;
const DD_TIMEOUT_MS = 120_000;
const APT_TIMEOUT_MS = 10 * 60_000;
const RABBITMQ_TIMEOUT_MS = 15 * 60_000;
const INGEST_SLICE_BYTES = 1 * MiB;
/** What one read from a socket gives the hub (Node's stream reads): the split feeds its body in these. */
const SOCKET_CHUNK_BYTES = 64 * KB;
/** A wake sample's long-poll wait: far longer than any wake, so a timeout is a failure, not a sample. */
const WAKE_POLL_SECONDS = 20;
/** Pacing before each wake sample's submit, so the poll is parked in the hub (not a wait for a condition). */
const WAKE_PARK_MS = 30;
/** The peer's own harness: run.sh starts a throwaway broker, client.ts loads it (amqplib in a temp folder). */
const PEER_DIR = new URL('peer-rabbitmq', import.meta.url).pathname;

/** Systems and agencies as crash-server.ts seeds them. */
const SENDING = [
  { system: 'gov', agency: '000.00.00.G22' },
  { system: 'mof', agency: '000.00.00.G12' },
] as const;
const RECEIVING = [
  { system: 'nghean', agency: '000.00.00.H41' },
  { system: 'caobang', agency: '000.00.00.H14' },
] as const;

const round = (n: number, digits = 1): number => Number(n.toFixed(digits));
/** A rate as `round` shows it, except that a positive rate never shows as 0 (a slow, loaded machine's tiny run). */
const rate = (n: number, digits = 1): number => (n > 0 && round(n, digits) === 0 ? Number(n.toPrecision(2)) : round(n, digits));
const toMB = (bytes: number): number => round(bytes / 1e6);
// Only a client's retry pacing and the full-size run's pause before the broker: never a wait for a condition.
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * (sorted.length - 1)))] ?? Number.NaN;
}

// ---------------------------------------------------------------------------------------------------------
// Packets built to an exact size

const ID_PLACEHOLDER = 'BENCHID00000000';

function model(from: string, to: string, subject: string, content: Uint8Array | AsyncIterable<Uint8Array>, edxmlId = `${from},2026/11/23,${ID_PLACEHOLDER}/BENCH`): PacketModel {
  return {
    header: {
      MessageHeader: {
        From: { OrganId: from, OrganName: 'Đơn vị gửi' }, To: [{ OrganId: to }], DocumentId: edxmlId,
        Code: { CodeNumber: '1', CodeNotation: 'BENCH' }, Subject: subject, ResponseFor: [],
      },
      TraceHeaderList: { TraceHeader: [{ OrganId: from, Timestamp: '2026/11/23 08:00:00' }] },
    },
    attachments: [{ ContentId: 'cid:1', AttachmentName: 'cong-van.pdf', ContentType: 'application/pdf', content }],
  };
}

/** A packet of exactly `bytes` bytes whose DocumentId holds a placeholder to patch per document. */
async function template(from: string, to: string, bytes: number): Promise<{ bytes: Buffer; idAt: number }> {
  const pdf = (n: number): Buffer => Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(Math.max(0, n - 9), 0x37)]);
  const subject = 'Công văn đo tốc độ';
  const overhead = (await buildPacketBytes(model(from, to, subject, pdf(9)))).byteLength - 12; // 9 bytes → 12 base64 chars
  const raw = Math.floor((bytes - overhead) / 4) * 3;
  if (raw < 9) throw new Error(`A ${bytes}-byte packet cannot hold an attachment; use at least ${overhead + 12} bytes`);
  const short = bytes - (overhead + (raw / 3) * 4);
  const built = await buildPacketBytes(model(from, to, subject + '.'.repeat(short), pdf(raw)));
  if (built.byteLength !== bytes) throw new Error(`assertion: the template is ${built.byteLength} bytes, not ${bytes}`);
  return { bytes: built, idAt: built.indexOf(ID_PLACEHOLDER) };
}

function stamp(t: { bytes: Buffer; idAt: number }, n: number): Buffer {
  const b = Buffer.from(t.bytes);
  b.write(`BENCHID${String(n).padStart(8, '0')}`, t.idAt, 'latin1');
  return b;
}

// ---------------------------------------------------------------------------------------------------------
// Disk

function dd(args: string[]): string {
  const r = spawnSync('dd', args, { encoding: 'utf8', timeout: DD_TIMEOUT_MS });
  if (r.status !== 0) throw new Error(`dd ${args.join(' ')} failed: ${r.stderr}`);
  return r.stderr;
}

/** GNU dd's last line: "268435456 bytes (268 MB, 256 MiB) copied, 0.51 s, 526 MB/s". */
function parseDd(out: string): { bytes: number; seconds: number; MBps: number } {
  const m = /(\d+) bytes .* copied, ([\d.,]+) s, ([\d.,]+) ([kMGT]?B)\/s/.exec(out);
  if (!m) throw new Error(`Cannot read dd's summary: ${out}`);
  const unit = { B: 1e-6, kB: 1e-3, MB: 1, GB: 1e3, TB: 1e6 }[m[4] as 'B' | 'kB' | 'MB' | 'GB' | 'TB'];
  return { bytes: Number(m[1]), seconds: Number((m[2] ?? '').replace(',', '.')), MBps: Number((m[3] ?? '').replace(',', '.')) * unit };
}

function measureDisk(dir: string, plan: Plan): DiskFigures {
  const file = join(dir, 'dd.tmp');
  try {
    const big = parseDd(dd(['if=/dev/zero', `of=${file}`, 'bs=1M', `count=${plan.diskWriteMiB}`, 'conv=fdatasync']));
    rmSync(file, { force: true });
    const small = parseDd(dd(['if=/dev/zero', `of=${file}`, `bs=${SMALL_WRITE_BYTES / KB}k`, `count=${plan.syncWrites}`, 'oflag=dsync']));
    return {
      case: 'disk', writeMBps: round(big.MBps), writeBytes: big.bytes,
      syncWritesPerSec: Math.round(plan.syncWrites / small.seconds), syncWriteBytes: SMALL_WRITE_BYTES, syncWrites: plan.syncWrites,
    };
  } finally {
    rmSync(file, { force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------
// The hub over HTTP

/** Node flags for the server children (e.g. --cpu-prof --cpu-prof-dir=…), set by benchHub's caller. */
let serverNodeArgs: string[] = [];
/** Sets the Node flags of the server children for callers of `exchange` alone (scripts/profile-hub.ts). */
export function setServerNodeArgs(args: string[]): void { serverNodeArgs = args; }

async function startServer(dir: string): Promise<{ server: HubProcess; url: string; tokens: Record<string, string> }> {
  const server = new HubProcess(dir, { startTimeoutMs: START_TIMEOUT_MS, nodeArgs: serverNodeArgs });
  const ready = await server.ready;
  if (!ready.tokens) throw new Error('assertion: a fresh folder prints its tokens');
  return { server, url: ready.url, tokens: ready.tokens };
}

/** Where an exchange runs: one server on a data folder, or `nodes` servers on one PostgreSQL database. */
export interface BenchEngine { engine: 'sqlite' | 'postgres'; nodes: number }

/** Starts the servers of `e`; requests are spread over them in turn. */
async function startServers(dir: string, e: BenchEngine, cluster: PgCluster | undefined): Promise<{ servers: HubProcess[]; urls: string[]; tokens: Record<string, string> }> {
  if (e.engine === 'sqlite') {
    const { server, url, tokens } = await startServer(dir);
    return { servers: [server], urls: [url], tokens };
  }
  if (cluster === undefined) throw new Error('assertion: a PostgreSQL cluster for the postgres engine');
  const databaseUrl = await cluster.createDatabase('bench');
  process.env['VDXP_KEY_FILE'] = join(dir, 'nodes.key');
  const servers: HubProcess[] = [];
  let tokens: Record<string, string> | undefined;
  // The first node alone (it seeds the registry), then the others.
  for (let i = 0; i < e.nodes; i++) {
    const server = new HubProcess(databaseUrl, { startTimeoutMs: START_TIMEOUT_MS, nodeArgs: serverNodeArgs });
    servers.push(server);
    tokens ??= (await server.ready).tokens;
  }
  const urls = await Promise.all(servers.map(async (x) => (await x.ready).url));
  if (!tokens) throw new Error('assertion: a fresh database prints its tokens');
  return { servers, urls, tokens };
}

async function request(url: string, token: string, init: RequestInit = {}): Promise<Response> {
  const res = await fetch(url, { ...init, headers: { authorization: `Bearer ${token}`, ...init.headers }, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  return res;
}

export async function exchange(
  root: string, packetBytes: number, documents: number, e: BenchEngine = { engine: 'sqlite', nodes: 1 }, cluster?: PgCluster, receive: ReceiveMode = 'one-by-one',
): Promise<ExchangeFigures> {
  const dir = mkdtempSync(join(root, 'exchange-'));
  const { servers, urls, tokens } = await startServers(dir, e, cluster);
  let turn = 0;
  /** Each request to the next node in turn (one node: always the same). */
  const node = (): string => urls[turn++ % urls.length] ?? '';
  try {
    // templates[sender][receiver]
    const templates = await Promise.all(SENDING.map((s) => Promise.all(RECEIVING.map((r) => template(s.agency, r.agency, packetBytes)))));
    const deadline = performance.now() + CASE_TIMEOUT_MS;
    const submitMs: number[] = [];
    const fetchMs: number[] = [];
    let next = 0;
    let acked = 0;
    let fetchedBytes = 0;
    let fetchRetries = 0;
    const cpuAtStart = servers.reduce((sum, x) => sum + (x.cpuMs() ?? Number.NaN), 0);
    const t0 = performance.now();
    const sender = async (k: number): Promise<void> => {
      const s = SENDING[k % SENDING.length];
      if (!s) throw new Error('assertion: a sender');
      for (let n = next++; n < documents; n = next++) {
        if (performance.now() > deadline) throw new Error(`The ${packetBytes}-byte exchange passed its ${CASE_TIMEOUT_MS} ms deadline`);
        const t = templates[k % SENDING.length]?.[n % RECEIVING.length];
        if (!t) throw new Error('assertion: a template');
        const body = stamp(t, n);
        const at = performance.now();
        const res = await request(`${node()}/v1/documents`, tokens[s.system] ?? '', { method: 'POST', body, headers: { 'content-type': 'application/xml' } });
        const json = await res.json() as { bytes?: number };
        submitMs.push(performance.now() - at);
        if (res.status !== 201 || json.bytes !== packetBytes) throw new Error(`Submit answered ${res.status}: ${JSON.stringify(json)}`);
      }
    };
    let receiveRequests = 0;
    /** One packet's GET, made again while the hub answers 5xx (see below); its bytes are counted. */
    const fetchAlone = async (token: string, deliveryId: string): Promise<void> => {
      const at = performance.now();
      receiveRequests++;
      let got = await request(`${node()}/v1/deliveries/${deliveryId}/packet`, token);
      let bytes = (await got.arrayBuffer()).byteLength;
      // A fetch in the moment between a document's commit and its blob's rename got a 500 until the hub
      // waited for the rename; a real client fetches again, so the benchmark does too, and counts it (0 now).
      for (let retry = 1; got.status >= 500 && retry <= FETCH_RETRIES_MAX; retry++) {
        fetchRetries++;
        await sleep(FETCH_RETRY_PAUSE_MS);
        receiveRequests++;
        got = await request(`${node()}/v1/deliveries/${deliveryId}/packet`, token);
        bytes = (await got.arrayBuffer()).byteLength;
      }
      fetchMs.push(performance.now() - at);
      if (got.status !== 200 || bytes !== packetBytes) throw new Error(`Fetch answered ${got.status} with ${bytes} bytes`);
      fetchedBytes += bytes;
    };
    const receiver = async (r: { system: string }, expected: number): Promise<void> => {
      const token = tokens[r.system] ?? '';
      let after = '0';
      let done = 0;
      const inline = receive === 'batch' ? `&inline=${INLINE_PACKET_BYTES_ASKED}` : '';
      /** Acks what arrived in one batch ack (the stream's credit comes back with it). */
      const ackAll = async (ids: string[]): Promise<void> => {
        receiveRequests++;
        const ack = await request(`${node()}/v1/deliveries/ack`, token, {
          method: 'POST', body: JSON.stringify(ids.map((deliveryId) => ({ deliveryId, result: 'done' }))), headers: { 'content-type': 'application/json' },
        });
        const outcome = await ack.json() as { results?: { state?: string }[] };
        if (ack.status !== 200 || outcome.results?.length !== ids.length || outcome.results.some((o) => o.state !== 'done')) {
          throw new Error(`Batch ack answered ${ack.status}: ${JSON.stringify(outcome).slice(0, 300)}`);
        }
        acked += ids.length;
        done += ids.length;
      };
      while (receive === 'stream' && done < expected) {
        if (performance.now() > deadline) throw new Error(`The ${packetBytes}-byte exchange passed its ${CASE_TIMEOUT_MS} ms deadline`);
        receiveRequests++;
        const abort = new AbortController();
        const res = await fetch(`${node()}/v1/inbox/stream?kind=edoc&prefetch=${STREAM_PREFETCH}&inline=${INLINE_PACKET_BYTES_ASKED}&seconds=${STREAM_SECONDS}`, { headers: { authorization: `Bearer ${token}` }, signal: abort.signal });
        if (res.status !== 200 || !res.body) throw new Error(`The inbox stream answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
        const reader = res.body.getReader();
        const decoder = new TextDecoder();
        let buffer = '';
        try {
          while (done < expected) {
            const at = performance.now();
            const chunk = await reader.read();
            if (chunk.done) break;
            buffer += decoder.decode(chunk.value as Uint8Array, { stream: true });
            const lines = buffer.split('\n');
            buffer = lines.pop() ?? '';
            const items = lines.map((l) => JSON.parse(l) as { type: string; item?: { deliveryId: string; bytes: number; packet?: string } })
              .flatMap((l) => (l.type === 'item' && l.item ? [l.item] : []));
            if (items.length === 0) continue;
            const carried = items.filter((i) => i.packet !== undefined);
            if (carried.length > 0) fetchMs.push(performance.now() - at);
            for (const item of carried) {
              const bytes = Buffer.byteLength(item.packet ?? '', 'base64');
              if (bytes !== packetBytes) throw new Error(`A packet of ${bytes} bytes in a stream line, not ${packetBytes}`);
              fetchedBytes += bytes;
            }
            const alone = items.filter((i) => i.packet === undefined);
            await Promise.all(Array.from({ length: RECEIVER_PARALLEL }, async () => {
              for (let item = alone.shift(); item; item = alone.shift()) await fetchAlone(token, item.deliveryId);
            }));
            await ackAll(items.map((i) => i.deliveryId));
          }
        } finally {
          abort.abort();
          await reader.cancel().catch(() => {});
        }
      }
      while (receive !== 'stream' && done < expected) {
        if (performance.now() > deadline) throw new Error(`The ${packetBytes}-byte exchange passed its ${CASE_TIMEOUT_MS} ms deadline`);
        const at = performance.now();
        receiveRequests++;
        const res = await request(`${node()}/v1/inbox?kind=edoc&limit=${INBOX_PAGE_ITEMS}&wait=${INBOX_WAIT_SECONDS}&after=${after}${inline}`, token);
        const page = await res.json() as { items: { deliveryId: string; bytes: number; packet?: string }[]; next: string | null; inlinePacketBytesMax?: number };
        if (res.status !== 200) throw new Error(`Inbox answered ${res.status}`);
        if (receive === 'batch' && page.inlinePacketBytesMax === undefined) throw new Error('The hub does not offer batch receive');
        after = page.next ?? after;
        if (receive === 'batch') {
          const carried = page.items.filter((i) => i.packet !== undefined);
          if (carried.length > 0) fetchMs.push(performance.now() - at);
          for (const item of carried) {
            const bytes = Buffer.byteLength(item.packet ?? '', 'base64');
            if (bytes !== packetBytes) throw new Error(`An inline packet of ${bytes} bytes, not ${packetBytes}`);
            fetchedBytes += bytes;
          }
          const alone = page.items.filter((i) => i.packet === undefined);
          await Promise.all(Array.from({ length: RECEIVER_PARALLEL }, async () => {
            for (let item = alone.shift(); item; item = alone.shift()) await fetchAlone(token, item.deliveryId);
          }));
          if (page.items.length === 0) continue;
          await ackAll(page.items.map((i) => i.deliveryId));
          continue;
        }
        const queue = [...page.items];
        await Promise.all(Array.from({ length: RECEIVER_PARALLEL }, async () => {
          for (let item = queue.shift(); item; item = queue.shift()) {
            await fetchAlone(token, item.deliveryId);
            receiveRequests++;
            const ack = await request(`${node()}/v1/deliveries/${item.deliveryId}/ack`, token, {
              method: 'POST', body: JSON.stringify({ result: 'done' }), headers: { 'content-type': 'application/json' },
            });
            await ack.arrayBuffer();
            if (ack.status !== 200) throw new Error(`Ack answered ${ack.status}`);
            acked++;
            done++;
          }
        }));
      }
    };
    const perReceiver = RECEIVING.map((_, i) => Math.floor(documents / RECEIVING.length) + (i < documents % RECEIVING.length ? 1 : 0));
    await Promise.all([
      ...Array.from({ length: SENDERS }, (_, k) => sender(k)),
      ...RECEIVING.slice(0, RECEIVERS).map((r, i) => receiver(r, perReceiver[i] ?? 0)),
    ]);
    const seconds = (performance.now() - t0) / 1000;
    const serverCpuMs = servers.reduce((sum, x) => sum + (x.cpuMs() ?? Number.NaN), 0) - cpuAtStart;
    if (acked !== documents || fetchedBytes !== documents * packetBytes) throw new Error(`assertion: ${acked} acked, ${fetchedBytes} bytes fetched`);
    submitMs.sort((a, b) => a - b);
    fetchMs.sort((a, b) => a - b);
    return {
      case: 'hub-exchange', engine: e.engine, nodes: e.nodes, receive, packetBytes, documents, senders: SENDERS, receivers: RECEIVERS, seconds: round(seconds, 3),
      docsPerSec: rate(documents / seconds, 0), MBps: rate(documents * packetBytes / seconds / 1e6),
      submitP50Ms: round(percentile(submitMs, 0.5), 2), submitP99Ms: round(percentile(submitMs, 0.99), 2),
      fetchP50Ms: round(percentile(fetchMs, 0.5), 2), fetchP99Ms: round(percentile(fetchMs, 0.99), 2),
      receiveRequestsPerDoc: round(receiveRequests / documents, 2),
      serverPeakRssMB: toMB(Math.max(...servers.map((x) => x.peakRssBytes() ?? Number.NaN))), serverCpuMsPerDoc: round(serverCpuMs / documents, 2), fetchRetries,
    };
  } finally {
    for (const x of servers) await x.kill('SIGTERM');
    if (e.engine === 'postgres') delete process.env['VDXP_KEY_FILE'];
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Long-poll wake after a commit, one parked poll and one 10 KB document at a time (see WakeFigures). */
export async function wake(root: string, samples: number): Promise<WakeFigures> {
  const dir = mkdtempSync(join(root, 'wake-'));
  // Commit instants by document id, from the server's stdout, which may come after the poll's answer.
  const stamps = new Map<string, number>();
  const waiting = new Map<string, (at: number) => void>();
  const server = new HubProcess(dir, {
    startTimeoutMs: START_TIMEOUT_MS, nodeArgs: serverNodeArgs, env: { VDXP_BENCH_COMMIT_TIMES: '1' },
    onLine: (m) => {
      if (typeof m['committed'] !== 'string' || typeof m['at'] !== 'number') return;
      stamps.set(m['committed'], m['at']);
      waiting.get(m['committed'])?.(m['at']);
    },
  });
  const stampOf = (id: string): Promise<number> => {
    const at = stamps.get(id);
    if (at !== undefined) return Promise.resolve(at);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`The server printed no commit instant for ${id}`)), REQUEST_TIMEOUT_MS);
      waiting.set(id, (t) => { clearTimeout(timer); waiting.delete(id); resolve(t); });
    });
  };
  try {
    const { url, tokens } = await server.ready;
    const s = SENDING[0];
    const r = RECEIVING[0];
    const tpl = await template(s.agency, r.agency, PACKET_BYTES_SMALL);
    const wakeMs: number[] = [];
    let after = '0';
    for (let n = 0; n < samples; n++) {
      const poll = (async () => {
        const res = await request(`${url}/v1/inbox?kind=edoc&limit=1&wait=${WAKE_POLL_SECONDS}&after=${after}`, tokens?.[r.system] ?? '');
        const page = await res.json() as { items: { documentId: string }[]; next: string | null };
        return { status: res.status, page, at: performance.timeOrigin + performance.now() };
      })();
      await sleep(WAKE_PARK_MS);
      const res = await request(`${url}/v1/documents`, tokens?.[s.system] ?? '', { method: 'POST', body: stamp(tpl, n), headers: { 'content-type': 'application/xml' } });
      const json = await res.json() as { id?: string };
      if (res.status !== 201 || json.id === undefined) throw new Error(`Submit answered ${res.status}: ${JSON.stringify(json)}`);
      const answer = await poll;
      const got = answer.page.items[0]?.documentId;
      if (answer.status !== 200 || got !== json.id) throw new Error(`The long-poll answered ${answer.status} with ${got ?? 'nothing'}, not ${json.id}`);
      after = answer.page.next ?? after;
      wakeMs.push(answer.at - await stampOf(json.id));
    }
    wakeMs.sort((a, b) => a - b);
    return {
      case: 'hub-wake', samples, wakeP50Ms: round(percentile(wakeMs, 0.5), 2), wakeP99Ms: round(percentile(wakeMs, 0.99), 2),
      wakeMaxMs: round(wakeMs.at(-1) ?? Number.NaN, 2),
    };
  } finally {
    await server.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

/** getAgenciesList of a registry of `count` imported agencies, over the VDXP API (see AgencyListFigures). */
export async function agenciesList(root: string, count: number, calls: number): Promise<AgencyListFigures> {
  const dir = mkdtempSync(join(root, 'agencies-'));
  // The registry first, in-process; the server then seeds its systems (and five agencies) on the same folder.
  const hub = await openHub({ dataDir: dir });
  try {
    const drafts = [];
    for (let i = 0; i < count; i++) {
      const l1 = `${String.fromCharCode(65 + (i % 26))}${String(Math.floor(i / 26) % 100).padStart(2, '0')}`;
      const rest = Math.floor(i / 2600);
      drafts.push({
        code: `${String(rest % 1000).padStart(3, '0')}.${String(Math.floor(rest / 1000) % 100).padStart(2, '0')}.01.${l1}`,
        name: `Ủy ban nhân dân xã Thử nghiệm số ${i}`, email: `xa${i}@example.vn`,
      });
    }
    await importAgencies(hub.ctx, drafts, 'bench');
  } finally {
    await hub.close();
  }
  const server = new HubProcess(dir, { startTimeoutMs: START_TIMEOUT_MS, nodeArgs: serverNodeArgs });
  try {
    const { url } = await server.ready;
    const gov = CRASH_SYSTEMS.find((x) => x.name === 'gov');
    if (!gov) throw new Error('assertion: the crash server has sys.gov');
    const client = new VdxpTestClient({ endpoint: url, systemId: gov.id, secret: gov.secret, now: () => Date.now() });
    const serverMs: number[] = [];
    const endToEndMs: number[] = [];
    let answerBytes = 0;
    const expected = count + CRASH_AGENCIES.length;
    for (let n = 0; n < calls; n++) {
      // The whole answer read, nothing done with it.
      let at = performance.now();
      const res = await fetch(`${url}/getAgenciesList`, { method: 'POST', headers: client.sign({}, 'application/json'), body: '{}', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      answerBytes = (await res.arrayBuffer()).byteLength;
      serverMs.push(performance.now() - at);
      if (res.status !== 200) throw new Error(`getAgenciesList answered ${res.status}`);
      // As a client uses it: the answer parsed, every agency an object.
      at = performance.now();
      const r = await client.call('getAgenciesList');
      const data = r.json['data'];
      endToEndMs.push(performance.now() - at);
      if (r.json['status'] !== 'OK' || !Array.isArray(data) || data.length !== expected) {
        throw new Error(`getAgenciesList answered ${r.status} with ${Array.isArray(data) ? data.length : 'no'} agencies, not ${expected}`);
      }
    }
    const serverFirstMs = serverMs[0] ?? Number.NaN;
    serverMs.sort((a, b) => a - b);
    endToEndMs.sort((a, b) => a - b);
    return {
      case: 'vdxp-agencies-list', agencies: expected, answerBytes, calls, serverFirstMs: round(serverFirstMs),
      serverP50Ms: round(percentile(serverMs, 0.5)), serverMaxMs: round(serverMs.at(-1) ?? Number.NaN),
      endToEndP50Ms: round(percentile(endToEndMs, 0.5)), endToEndMaxMs: round(endToEndMs.at(-1) ?? Number.NaN),
    };
  } finally {
    await server.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One large packet streamed from a generator (never whole in memory on either side), then fetched back. */
async function ingest(root: string, attachmentMiB: number): Promise<IngestFigures> {
  const dir = mkdtempSync(join(root, 'ingest-'));
  const { server, url, tokens } = await startServer(dir);
  try {
    const rssAtStart = readRss(server.pid);
    const slice = Buffer.alloc(INGEST_SLICE_BYTES, 0x37);
    slice.write('%PDF-1.7\n');
    async function* content(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < attachmentMiB * MiB / INGEST_SLICE_BYTES; i++) yield slice;
    }
    let sent = 0;
    const hash = createHash('sha256');
    async function* body(): AsyncGenerator<Uint8Array> {
      for await (const part of buildPacket(model(SENDING[0].agency, RECEIVING[0].agency, 'Hồ sơ lớn', content(), `${SENDING[0].agency},2026/11/23,1/BIG`))) {
        sent += part.byteLength;
        hash.update(part);
        yield part;
      }
    }
    const cpu0 = server.cpuMs() ?? Number.NaN;
    const t0 = performance.now();
    const res = await fetch(`${url}/v1/documents`, {
      method: 'POST', body: ReadableStream.from(body()), duplex: 'half',
      headers: { authorization: `Bearer ${tokens[SENDING[0].system] ?? ''}`, 'content-type': 'application/xml' },
      signal: AbortSignal.timeout(CASE_TIMEOUT_MS),
    });
    const json = await res.json() as { bytes?: number; digest?: string; deliveries?: { id: string }[] };
    const seconds = (performance.now() - t0) / 1000;
    if (res.status !== 201 || json.bytes !== sent || json.digest !== hash.digest('hex')) {
      throw new Error(`The large submit answered ${res.status}: ${JSON.stringify(json).slice(0, 500)} after ${sent} bytes sent`);
    }
    const cpu1 = server.cpuMs() ?? Number.NaN;
    const t1 = performance.now();
    const got = await request(`${url}/v1/deliveries/${json.deliveries?.[0]?.id ?? ''}/packet`, tokens[RECEIVING[0].system] ?? '');
    let fetched = 0;
    for await (const chunk of got.body ?? []) fetched += (chunk as Uint8Array).byteLength;
    const fetchSeconds = (performance.now() - t1) / 1000;
    const cpu2 = server.cpuMs() ?? Number.NaN;
    if (got.status !== 200 || fetched !== sent) throw new Error(`The large fetch answered ${got.status} with ${fetched} of ${sent} bytes`);
    return {
      case: 'hub-ingest', packetBytes: sent, seconds: round(seconds, 2), ingestMBps: round(sent / seconds / 1e6),
      fetchSeconds: round(fetchSeconds, 2), fetchMBps: round(sent / fetchSeconds / 1e6),
      ingestServerCpuMsPerMB: round((cpu1 - cpu0) / (sent / 1e6), 2), fetchServerCpuMsPerMB: round((cpu2 - cpu1) / (sent / 1e6), 2),
      serverPeakRssMB: toMB(server.peakRssBytes() ?? Number.NaN), serverRssAtStartMB: toMB(rssAtStart),
    };
  } finally {
    await server.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The CPU seconds (user + system) of this process's main thread so far, from /proc (USER_HZ 100). */
function mainThreadCpuSeconds(): number {
  const stat = readFileSync(`/proc/${process.pid}/task/${process.pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** See IngestSplitFigures. */
export async function ingestSplit(root: string, attachmentMiB: number): Promise<IngestSplitFigures> {
  const dir = mkdtempSync(join(root, 'split-'));
  const hub = await openHub({ dataDir: join(dir, 'data'), limits: { edxml: { packetBytesMax: 4 * attachmentMiB * MiB, attachmentBytesMax: 4 * attachmentMiB * MiB, attachmentsTotalBytesMax: 4 * attachmentMiB * MiB } } });
  try {
    const ctx = hub.ctx;
    await importAgencies(ctx, [{ code: SENDING[0].agency, name: 'Gửi' }, { code: RECEIVING[0].agency, name: 'Nhận' }], 'bench');
    await addSystem(ctx, { id: 'sys.gov', agencies: [SENDING[0].agency] }, 'bench');
    const system = await ctx.store.getSystem('sys.gov');
    if (!system) throw new Error('assertion: the system exists');
    const file = join(dir, 'packet.edxml');
    const slice = Buffer.alloc(INGEST_SLICE_BYTES, 0x37);
    slice.write('%PDF-1.7\n');
    async function* content(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < attachmentMiB * MiB / INGEST_SLICE_BYTES; i++) yield slice;
    }
    const out = await open(file, 'w');
    for await (const part of buildPacket(model(SENDING[0].agency, RECEIVING[0].agency, 'Hồ sơ lớn', content(), `${SENDING[0].agency},2026/11/23,1/SPLIT`))) await out.write(part);
    await out.close();
    const packetBytes = statSync(file).size;
    const body = (): AsyncIterable<Uint8Array> => createReadStream(file, { highWaterMark: SOCKET_CHUNK_BYTES });
    const pass = async (fn: () => Promise<void>): Promise<SplitPass> => {
      const cpu = mainThreadCpuSeconds();
      const all = process.cpuUsage();
      const at = performance.now();
      await fn();
      const seconds = (performance.now() - at) / 1000;
      const used = process.cpuUsage(all);
      return {
        seconds: round(seconds, 2), MBps: rate(packetBytes / seconds / 1e6), mainCpuSeconds: round(mainThreadCpuSeconds() - cpu, 2),
        cpuSeconds: round((used.user + used.system) / 1e6, 2),
      };
    };
    const parse = await pass(async () => { await parsePacket(body(), { limits: ctx.limits.edxml }); });
    const staging = await pass(async () => {
      const w = ctx.blobs.begin();
      for await (const chunk of body()) await w.write(chunk);
      await ctx.blobs.discard(await w.finish());
    });
    const submit = await pass(async () => {
      const r = await submitPacket(ctx, system, body(), { via: 'native' });
      if (!r.created || r.document.bytes !== packetBytes) throw new Error(`assertion: the split's packet was stored whole: ${JSON.stringify(r.document)}`);
    });
    return { case: 'hub-ingest-split', packetBytes, parse, staging, submit };
  } finally {
    await hub.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function readRss(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : Number.NaN;
}

// ---------------------------------------------------------------------------------------------------------
// Where a submit's time goes: the hub in this process, its store and blob folder wrapped with timers.

async function phases(root: string, packetBytes: number, submits: number): Promise<PhaseFigures> {
  const dir = mkdtempSync(join(root, 'phases-'));
  const hub = await openHub({ dataDir: dir });
  try {
    const ctx = hub.ctx;
    await importAgencies(ctx, [{ code: '000.00.00.G22', name: 'Văn phòng Chính phủ' }, { code: '000.00.00.H41', name: 'UBND tỉnh Nghệ An' }], 'bench');
    await addSystem(ctx, { id: 'sys.gov', agencies: ['000.00.00.G22'] }, 'bench');
    await addSystem(ctx, { id: 'sys.nghean', agencies: ['000.00.00.H41'] }, 'bench');
    const system = await ctx.store.getSystem('sys.gov');
    if (!system) throw new Error('assertion: the system exists');
    const t = { storeReads: 0, txSql: 0, txTotal: 0, write: 0, fsync: 0, commit: 0 };
    const timed = instrument(ctx, t);
    const tpl = await template('000.00.00.G22', '000.00.00.H41', packetBytes);
    let total = 0;
    let digest = '';
    for (let n = 0; n < submits; n++) {
      const body = stamp(tpl, n);
      const at = performance.now();
      const r = await submitPacket(timed, system, [body], { via: 'native' });
      total += performance.now() - at;
      if (!r.created) throw new Error('assertion: every bench packet is new');
      digest = r.document.digest;
    }
    const keptInline = (await ctx.store.inlineBlob(digest)) !== undefined;
    const per = (ms: number): number => round(ms / submits, 3);
    const accounted = t.storeReads + t.txTotal + t.write + t.fsync + t.commit;
    return {
      case: 'hub-submit-phases', packetBytes, submits, keptInline, totalMs: per(total), parseAndValidateMs: per(total - accounted),
      stagingWriteMs: per(t.write), stagingFsyncMs: per(t.fsync), storeReadsMs: per(t.storeReads),
      transactionSqlMs: per(t.txSql), transactionCommitMs: per(t.txTotal - t.txSql), blobRenameMs: per(t.commit),
    };
  } finally {
    await hub.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

type Timers = { storeReads: number; txSql: number; txTotal: number; write: number; fsync: number; commit: number };

/** A copy of the context whose store and blob folder add their time to `t` (the hub's code is unchanged). */
function instrument(ctx: HubContext, t: Timers): HubContext {
  const store = new Proxy(ctx.store, {
    get(target, name, receiver) {
      const v = Reflect.get(target, name, receiver) as unknown;
      if (typeof v !== 'function') return v;
      const fn = v as (...a: unknown[]) => Promise<unknown>;
      if (name === 'transaction') {
        return async (body: (tx: unknown) => Promise<unknown>) => {
          const at = performance.now();
          try {
            return await fn.call(target, async (tx: unknown) => {
              const inner = performance.now();
              try { return await body(tx); } finally { t.txSql += performance.now() - inner; }
            });
          } finally {
            t.txTotal += performance.now() - at;
          }
        };
      }
      return async (...args: unknown[]) => {
        const at = performance.now();
        try { return await fn.apply(target, args); } finally { t.storeReads += performance.now() - at; }
      };
    },
  });
  const blobs = new Proxy(ctx.blobs, {
    get(target, name) {
      if (name === 'begin') {
        return () => {
          const w = target.begin();
          const write = w.write.bind(w);
          const finish = w.finish.bind(w);
          w.write = async (chunk) => { const at = performance.now(); try { await write(chunk); } finally { t.write += performance.now() - at; } };
          w.finish = async () => { const at = performance.now(); try { return await finish(); } finally { t.fsync += performance.now() - at; } };
          return w;
        };
      }
      if (name === 'commit') {
        return async (staged: Parameters<typeof target.commit>[0]) => {
          const at = performance.now();
          try { await target.commit(staged); } finally { t.commit += performance.now() - at; }
        };
      }
      // The blob store keeps private fields: its methods must run on the original object.
      const v = Reflect.get(target, name) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { ...ctx, store, blobs };
}

// ---------------------------------------------------------------------------------------------------------
// The RabbitMQ peer

function run(cmd: string, args: string[], timeoutMs: number, env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString('utf8'); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString('utf8'); });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

async function rabbitmq(log: (s: string) => void): Promise<PeerFigures[] | { skipped: string }> {
  if (spawnSync('sh', ['-c', 'command -v rabbitmq-server']).status !== 0) {
    if (process.getuid?.() !== 0) return { skipped: 'rabbitmq-server is not installed and this is not root (apt-get install -y --no-install-recommends rabbitmq-server)' };
    log('bench: installing rabbitmq-server (apt-get)…');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const update = await run('apt-get', ['update', '-qq'], APT_TIMEOUT_MS, env);
    const install = update.code === 0 ? await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'rabbitmq-server'], APT_TIMEOUT_MS, env) : update;
    if (install.code !== 0) return { skipped: `apt-get could not install rabbitmq-server: ${install.stderr.slice(-500)}` };
    // Debian starts the packaged service; the peer runs its own throwaway broker on another port.
  }
  log('bench: running the RabbitMQ peer (scripts/bench/peer-rabbitmq/run.sh)…');
  const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env['PATH'] ?? ''}` };
  const r = await run('bash', [join(PEER_DIR, 'run.sh')], RABBITMQ_TIMEOUT_MS, env);
  const figures = r.stdout.split('\n').flatMap((line): PeerFigures[] => {
    try {
      const j = JSON.parse(line) as { peer?: string; size: number; count: number; seconds: number; msgsPerSec: number; MBps: number };
      return j.peer === 'rabbitmq' ? [{ case: 'rabbitmq', size: j.size, count: j.count, seconds: j.seconds, msgsPerSec: j.msgsPerSec, MBps: j.MBps }] : [];
    } catch {
      return [];
    }
  });
  if (figures.length === 0) return { skipped: `run.sh printed no figures (exit ${r.code}): ${(r.stderr || r.stdout).slice(-800)}` };
  return figures;
}

// ---------------------------------------------------------------------------------------------------------

export async function benchHub(o: {
  size: BenchSize;
  out?: (line: string) => void;
  log?: (line: string) => void;
  /** Node flags for the hub server processes, e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] to see where time goes. */
  serverNodeArgs?: string[];
  /** Beside SQLite, the exchange on PostgreSQL with this many nodes (`npm run bench -- hub --engine postgres --nodes 2`). */
  postgresNodes?: number;
}): Promise<HubBenchResult> {
  serverNodeArgs = o.serverNodeArgs ?? [];
  const out = o.out ?? ((line: string) => { console.log(line); });
  const log = o.log ?? ((line: string) => { console.error(line); });
  const plan = PLANS[o.size];
  const root = mkdtempSync(join(tmpdir(), 'vdxp-bench-hub-'));
  const emit = <T>(figures: T): T => { out(JSON.stringify({ bench: 'hub', size: o.size, ...figures })); return figures; };
  try {
    log(`bench hub (${o.size}): disk…`);
    const disk = emit(measureDisk(root, plan));
    const exchangeFigures: ExchangeFigures[] = [];
    const engines: BenchEngine[] = [{ engine: 'sqlite', nodes: 1 }, ...(o.postgresNodes !== undefined ? [{ engine: 'postgres' as const, nodes: o.postgresNodes }] : [])];
    const cluster = o.postgresNodes !== undefined ? await startPostgres() : undefined;
    try {
      for (const c of plan.exchange) {
        for (const e of engines) {
          // Today's loop and the batch loop side by side: the same documents, harness and server build.
          for (const receive of RECEIVE_MODES) {
            log(`bench hub (${o.size}): exchange of ${c.documents} × ${c.packetBytes} bytes on ${e.engine}${e.engine === 'postgres' ? ` (${e.nodes} nodes)` : ''}, received ${receive}…`);
            exchangeFigures.push(emit(await exchange(root, c.packetBytes, c.documents, e, cluster, receive)));
          }
        }
      }
    } finally {
      await cluster?.destroy();
    }
    const phaseFigures: PhaseFigures[] = [];
    for (const c of plan.phaseSubmits) {
      log(`bench hub (${o.size}): submit phases, ${c.submits} × ${c.packetBytes} bytes…`);
      phaseFigures.push(emit(await phases(root, c.packetBytes, c.submits)));
    }
    let ingestFigures: IngestFigures | undefined;
    if (plan.ingestAttachmentMiB !== undefined) {
      log(`bench hub (${o.size}): one packet of ${plan.ingestAttachmentMiB} MiB attachment…`);
      ingestFigures = emit(await ingest(root, plan.ingestAttachmentMiB));
    }
    log(`bench hub (${o.size}): one packet of ${plan.splitAttachmentMiB} MiB attachment in-process: parse, staging, submit…`);
    const splitFigures = emit(await ingestSplit(root, plan.splitAttachmentMiB));
    log(`bench hub (${o.size}): long-poll wake, ${plan.wakeSamples} samples…`);
    const wakeFigures = emit(await wake(root, plan.wakeSamples));
    log(`bench hub (${o.size}): getAgenciesList of ${plan.listAgencies} agencies, ${plan.listCalls} calls each way…`);
    const agencyFigures = emit(await agenciesList(root, plan.listAgencies, plan.listCalls));
    let peer: PeerFigures[] | { skipped: string } = { skipped: 'the tiny size never runs RabbitMQ' };
    if (plan.rabbitmq) {
      // Let the disk settle after the hub's writes so both see the same machine.
      await sleep(1000);
      peer = await rabbitmq(log);
      if (Array.isArray(peer)) for (const p of peer) emit(p);
      else emit({ case: 'rabbitmq', ...peer });
    }
    const result: HubBenchResult = { size: o.size, disk, exchange: exchangeFigures, phases: phaseFigures, ingest: ingestFigures, ingestSplit: splitFigures, wake: wakeFigures, agencies: agencyFigures, rabbitmq: peer };
    for (const line of table(result)) out(line);
    return result;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function table(r: HubBenchResult): string[] {
  const pad = (s: string | number, n: number): string => String(s).padStart(n);
  const label = (bytes: number): string => (bytes >= MiB ? `${round(bytes / MiB, 0)} MB` : `${round(bytes / KB, 0)} KB`);
  const lines = [
    '',
    `vdxp hub benchmark (${r.size}) — disk: ${r.disk.writeMBps} MB/s sequential (fdatasync), ${r.disk.syncWritesPerSec} synced ${r.disk.syncWriteBytes / KB} KB writes/s`,
    `${'packet'.padEnd(8)} ${'store'.padEnd(13)} ${'receive'.padEnd(10)} ${pad('req/doc', 7)} ${pad('docs', 6)} ${pad('hub docs/s', 11)} ${pad('hub MB/s', 9)} ${pad('submit p50/p99 ms', 18)} ${pad('fetch p50/p99 ms', 17)} ${pad('peak RSS MB', 12)} ${pad('CPU ms/doc', 11)} | ${pad('rabbitmq msg/s', 15)} ${pad('MB/s', 7)}`,
  ];
  for (const e of r.exchange) {
    const peer = Array.isArray(r.rabbitmq) ? r.rabbitmq.find((p) => p.size === e.packetBytes) : undefined;
    lines.push(`${label(e.packetBytes).padEnd(8)} ${(e.engine === 'sqlite' ? 'sqlite' : `postgres×${e.nodes}`).padEnd(13)} ${e.receive.padEnd(10)} ${pad(e.receiveRequestsPerDoc, 7)} ${pad(e.documents, 6)} ${pad(e.docsPerSec, 11)} ${pad(e.MBps, 9)} ${pad(`${e.submitP50Ms} / ${e.submitP99Ms}`, 18)} ${pad(`${e.fetchP50Ms} / ${e.fetchP99Ms}`, 17)} ${pad(e.serverPeakRssMB, 12)} ${pad(e.serverCpuMsPerDoc, 11)} | ${pad(peer?.msgsPerSec ?? '–', 15)} ${pad(peer?.MBps ?? '–', 7)}`);
  }
  for (const b of r.exchange.filter((e) => e.receive !== 'one-by-one')) {
    const one = r.exchange.find((e) => e.receive === 'one-by-one' && e.packetBytes === b.packetBytes && e.engine === b.engine && e.nodes === b.nodes);
    if (one) lines.push(`${label(b.packetBytes)} ${b.engine === 'sqlite' ? 'sqlite' : `postgres×${b.nodes}`}: ${b.receive} receive ${round(b.docsPerSec / one.docsPerSec, 2)}× the docs/s of one by one (${b.receiveRequestsPerDoc} vs ${one.receiveRequestsPerDoc} receive requests per document)`);
  }
  if (!Array.isArray(r.rabbitmq)) lines.push(`rabbitmq: skipped — ${r.rabbitmq.skipped}`);
  if (r.ingest) {
    const i = r.ingest;
    const ratio = (mbps: number): string => `${round(mbps / r.disk.writeMBps, 2)}× the disk`;
    lines.push(`one ${toMB(i.packetBytes)} MB packet: ingest ${i.ingestMBps} MB/s (${i.seconds} s, ${ratio(i.ingestMBps)}, server CPU ${i.ingestServerCpuMsPerMB} ms/MB), fetch ${i.fetchMBps} MB/s (${ratio(i.fetchMBps)}, server CPU ${i.fetchServerCpuMsPerMB} ms/MB), server peak RSS ${i.serverPeakRssMB} MB (${i.serverRssAtStartMB} MB at start)`);
  }
  const sp = r.ingestSplit;
  const passLine = (p: SplitPass): string => `${p.MBps} MB/s (CPU ${p.mainCpuSeconds} s main thread, ${p.cpuSeconds} s all)`;
  lines.push(`one ${toMB(sp.packetBytes)} MB packet in-process: parse alone ${passLine(sp.parse)}, staging alone ${passLine(sp.staging)}, whole submit ${passLine(sp.submit)}`);
  lines.push(`long-poll wake after a commit (10 KB, sqlite, ${r.wake.samples} samples): p50 ${r.wake.wakeP50Ms} ms, p99 ${r.wake.wakeP99Ms} ms, max ${r.wake.wakeMaxMs} ms`);
  const a = r.agencies;
  lines.push(`getAgenciesList of ${a.agencies} agencies (${toMB(a.answerBytes)} MB, ${a.calls} calls): answer read whole ${a.serverP50Ms} ms p50 / ${a.serverMaxMs} max (first, built from the store: ${a.serverFirstMs} ms); parsed by the client ${a.endToEndP50Ms} ms p50 / ${a.endToEndMaxMs} max`);
  lines.push('submit, in-process, ms per packet: total = parse+validate + staging write + staging fsync + store reads + tx SQL + tx commit + blob rename');
  lines.push('(a packet kept inline: staging write = copy into memory, staging fsync = digest, its bytes go in with the tx SQL, no rename)');
  for (const p of r.phases) {
    lines.push(`${label(p.packetBytes).padEnd(8)} ${p.totalMs} = ${p.parseAndValidateMs} + ${p.stagingWriteMs} + ${p.stagingFsyncMs} + ${p.storeReadsMs} + ${p.transactionSqlMs} + ${p.transactionCommitMs} + ${p.blobRenameMs}  ${p.keptInline ? 'inline' : 'file'}`);
  }
  return lines;
}
