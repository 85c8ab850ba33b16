// The crash test: a real hub server (child process) SIGKILLed at random moments while systems submit and
// consume documents over HTTP, restarted on the same folder each time; then a checker proves that every
// document that got a 2xx arrived byte for byte, that nothing acked came back, that resends kept their
// original ids, that the evidence chain verifies and that no packet is orphaned, missing or kept twice (a file
// in blobs/ or a row of blobs_inline, never both). Seeded: the seed chooses the
// packets, the decisions of every loop and the kill delays (the interleaving still depends on timing).
//
// `engine: 'postgres'` runs `nodes` servers on one throwaway PostgreSQL cluster instead: requests go to any
// node that is up, a random node is killed each time while the others keep serving, and the database itself
// is restarted (fast and immediate shutdown, alternately) `databaseRestarts` times during the run.
//
// Receivers take a third of their rounds (seeded) on the inbox stream (`GET /v1/inbox/stream`, a few seconds
// each, acked in small batches; never more than its prefetch handed out and unacked on it), and of the others
// half through the batch calls: the inbox answer carrying small packets (`inline=`, handed out with it) and one
// batch ack per page; the other half one fetch and one ack each.

import { createHash, randomInt } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { buildPacketBytes } from '@vdxp/edxml';
import { verifyAudit } from '../src/audit.ts';
import { CRASH_SYSTEMS, type CrashSystemName } from './crash-server.ts';
import { openHub } from '../src/hub.ts';
import { HubProcess, hubServerErrors } from './hub-process.ts';
import pg from 'pg';
import { startPostgres, type PgCluster } from './postgres.ts';
import { prng } from './prng.ts';

export interface CrashOptions {
  kills: number;
  seed?: number;
  /** Shortest and longest wait between a (re)start being ready and the next kill. */
  killDelayMsMin?: number;
  killDelayMsMax?: number;
  /** Stop and report when the whole run takes longer than this. */
  deadlineMs?: number;
  /** Keep the data folder afterwards (it is printed) instead of removing it. */
  keepData?: boolean;
  log?: (line: string) => void;
  /** 'sqlite' (default): one server on a data folder; 'postgres': `nodes` servers on one database. */
  engine?: 'sqlite' | 'postgres';
  nodes?: number;
  /** PostgreSQL: database restarts spread over the run (fast and immediate shutdown in turn). */
  databaseRestarts?: number;
}

export interface CrashReport {
  engine: 'sqlite' | 'postgres';
  nodes: number;
  databaseRestarts: number;
  /** Counters against rows: the sum of `sent` and of `received`, and the edoc documents and deliveries stored. */
  counters: { sent: number; documents: number; received: number; deliveries: number };
  seed: number;
  seconds: number;
  /** SIGKILLs that hit a live server (counted as sent, not taken from the options). */
  kills: number;
  /** Kills that landed while the server was still starting (during crash recovery). */
  killsDuringStartup: number;
  /** What start-up recovery found, summed over the restarts. */
  recovery: { completed: number; removedStaged: number };
  documentsAccepted: number;
  deliveriesExpected: number;
  submits: number;
  /** Submits whose answer never came (the server died): resent until an answer came. */
  submitsUnanswered: number;
  /** Of those, how many the hub had committed before it died (the resend got the original id back). */
  unansweredButCommitted: number;
  resendsOfAccepted: number;
  resendsRebuilt: number;
  fetches: number;
  fetchesInterrupted: number;
  acks: number;
  acksUnanswered: number;
  /** Batch receive: inbox answers that carried packets, the packets they carried, batch ack calls answered and unanswered. */
  batchInboxes: number;
  packetsCarried: number;
  batchAcks: number;
  batchAcksUnanswered: number;
  /** Inbox stream: rounds whose stream opened, the items they handed out, and the stream rounds that broke (a kill). */
  streamRounds: number;
  streamItems: number;
  streamsBroken: number;
  /** Deliveries handed out again after a fetch the crash interrupted, or whose ack never got through. */
  redeliveredAfterCrash: number;
  /** Deliveries handed out again because the receiver chose not to ack them (the rule: until acked). */
  redeliveredUnacked: number;
  /** Deliveries handed out again after their fetch was answered with an error (not a dead connection). */
  redeliveredAfterError: number;
  /** Packets fetched completely more than once: their bytes were compared each time. */
  redeliveriesCompared: number;
  bytesSent: number;
  bytesReceived: number;
  /** HTTP answers that were neither 2xx nor a dead connection, by route and status. */
  unexpectedStatuses: Record<string, number>;
  /** What the servers logged for the requests they failed (route, code, cause). */
  serverErrors: Record<string, number>;
  audit: { ok: boolean; events: number; packets: number };
  /**
   * Packet bytes on the stopped folder: files in blobs/ and rows of blobs_inline, the digests documents name,
   * files or rows no document names, digests kept nowhere or in both places, and staged files left in tmp/.
   */
  blobs: { files: number; inline: number; referenced: number; orphans: number; missing: number; both: number; staged: number };
  dataDir: string;
  /** Everything that breaks a rule: empty when the hub kept its promises. */
  violations: string[];
}

const KILL_DELAY_MS_MIN = 150;
/** The run stops itself after max(DEADLINE_MS_MIN, kills × DEADLINE_MS_PER_KILL) unless told otherwise. */
const DEADLINE_MS_MIN = 60_000;
const DEADLINE_MS_PER_KILL = 10_000;
const KILL_DELAY_MS_MAX = 900;
/** Chance that a restart is killed again before it is ready, and the longest wait before that kill. */
const STARTUP_KILL_CHANCE = 0.12;
const STARTUP_KILL_DELAY_MS_MAX = 400;
const START_TIMEOUT_MS = 30_000;
const REQUEST_TIMEOUT_MS = 30_000;
/** Pause before retrying a request that found no server (it is restarting). */
const RETRY_PAUSE_MS = 25;
/** Senders wait while this many deliveries are accepted and not yet acked. */
const PENDING_DELIVERIES_MAX = 150;
const INBOX_PAGE_ITEMS = 20;
const INBOX_WAIT_SECONDS = 1;
/** Rounds of inbox reads in the final drain before it gives up (an unbounded loop would hide a bug). */
const DRAIN_ROUNDS_MAX = 500;
const RECENT_ACCEPTED_KEPT = 16;
const VIOLATIONS_KEPT = 200;
/** Attachment sizes: mostly a few KB, some tens to hundreds of KB, a few up to 1 MB. */
const ATTACHMENT_BYTES_MIN = 1024;
const ATTACHMENT_BYTES_SMALL_MAX = 16 * 1024;
const ATTACHMENT_BYTES_MEDIUM_MAX = 200 * 1024;
const ATTACHMENT_BYTES_LARGE_MAX = 1024 * 1024;
const CHANCE_MEDIUM = 0.25;
const CHANCE_LARGE = 0.06;
const CHANCE_NO_ATTACHMENT = 0.1;
const CHANCE_SECOND_ATTACHMENT = 0.15;
/** Each agency of the other systems is a recipient with this chance (at least one is). */
const CHANCE_RECIPIENT = 0.4;
/** A receiver takes this share of its rounds through batch fetch and batch ack (and retries lost acks in one batch). */
const CHANCE_BATCH_ROUND = 0.5;
/** A receiver takes this share of its rounds on the inbox stream (the rest as below). */
const CHANCE_STREAM_ROUND = 1 / 3;
/** Inbox stream rounds: the credit asked for, acks sent per batch, and how long the stream is asked to last. */
const STREAM_PREFETCH = 8;
const STREAM_ACK_BATCH = 3;
const STREAM_SECONDS = 2;
/** Batch rounds ask for packets up to this size inline; the hub caps it (64 KiB by default). */
const INLINE_PACKET_BYTES_ASKED = 1024 * 1024;
/** A receiver leaves this share of fetched packets unacked for now: they must come back. */
const CHANCE_SKIP_ACK = 0.04;
/** A sender resends a packet it already got a 2xx for (same bytes, or rebuilt with the same DocumentId). */
const CHANCE_RESEND_ACCEPTED = 0.03;
const CHANCE_RESEND_REBUILT = 0.015;
/** An unanswered packet is resent rebuilt (same DocumentId, new bytes) instead of byte for byte. */
const CHANCE_UNANSWERED_REBUILT = 0.3;


// Pauses here are a client's pacing (retrying a restarting server, holding back senders) and the seeded kill
// moments the test is about; none stands in for waiting on a condition.
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function seededBytes(rand: () => number, n: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  let x = (Math.floor(rand() * 0xffffffff) | 1) >>> 0;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** Where the servers are now (one per node slot); requests go to any that is up, and wait while none is. */
class Link {
  readonly #urls = new Map<number, string>();
  #waiters: (() => void)[] = [];
  #next = 0;

  up(url: string, slot = 0): void {
    this.#urls.set(slot, url);
    for (const w of this.#waiters.splice(0)) w();
  }

  /** One slot down, or every slot. */
  down(slot?: number): void {
    if (slot === undefined) this.#urls.clear();
    else this.#urls.delete(slot);
  }

  async url(): Promise<string> {
    while (this.#urls.size === 0) await new Promise<void>((r) => this.#waiters.push(r));
    const urls = [...this.#urls.values()];
    return urls[this.#next++ % urls.length] ?? '';
  }
}

interface Answer { status: number; body: Buffer; headers: Headers }

/** One HTTP call; undefined when the connection died or timed out (the answer is unknown). */
async function call(link: Link, token: string, method: string, path: string, body?: Uint8Array | object): Promise<Answer | undefined> {
  const url = await link.url();
  try {
    const res = await fetch(url + path, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': body instanceof Uint8Array ? 'application/xml' : 'application/json' }),
      },
      ...(body === undefined ? {} : { body: body instanceof Uint8Array ? body : JSON.stringify(body) }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    return { status: res.status, body: Buffer.from(await res.arrayBuffer()), headers: res.headers };
  } catch {
    return undefined;
  }
}

interface Packet {
  /** MessageHeader/DocumentId: the identity that survives a rebuild. */
  edxmlId: string;
  sender: CrashSystemName;
  bytes: Buffer;
  digest: string;
  /** Digests of every version sent under this DocumentId. */
  versions: Set<string>;
  rebuild: () => Promise<Buffer>;
}

interface Accepted {
  id: string;
  edxmlId: string;
  digest: string;
  deliveries: { id: string; recipient: string }[];
}

interface DeliveryTrack {
  fetchesStarted: number;
  shas: string[];
  /** Why the last hand-out did not end in an ack: decides how a redelivery is counted. */
  lastEnd: 'interrupted' | 'failed' | 'skipped' | 'acked' | undefined;
  documentId: string;
  digest: string;
}

export async function runCrash(o: CrashOptions): Promise<CrashReport> {
  const seed = (o.seed ?? randomInt(0, 2 ** 31)) >>> 0;
  const log = o.log ?? (() => undefined);
  const killMin = o.killDelayMsMin ?? KILL_DELAY_MS_MIN;
  const killMax = o.killDelayMsMax ?? KILL_DELAY_MS_MAX;
  const started = performance.now();
  const deadline = started + (o.deadlineMs ?? Math.max(DEADLINE_MS_MIN, o.kills * DEADLINE_MS_PER_KILL));
  const dataDir = mkdtempSync(join(tmpdir(), 'vdxp-crash-'));
  const engine = o.engine ?? 'sqlite';
  const nodes = engine === 'postgres' ? Math.max(1, o.nodes ?? 1) : 1;
  const databaseRestartsWanted = engine === 'postgres' ? o.databaseRestarts ?? 0 : 0;
  let cluster: PgCluster | undefined;
  let databaseUrl: string | undefined;
  const keyFile = join(dataDir, 'nodes.key');
  if (engine === 'postgres') {
    cluster = await startPostgres();
    databaseUrl = await cluster.createDatabase('crash');
    process.env['VDXP_KEY_FILE'] = keyFile;
  }
  log(`crash: seed ${seed}, ${o.kills} kills, ${engine === 'postgres' ? `${nodes} nodes on ${databaseUrl}, ${databaseRestartsWanted} database restarts` : `data ${dataDir}`}`);
  let databaseRestarts = 0;

  const violations: string[] = [];
  const violate = (s: string): void => {
    if (violations.length < VIOLATIONS_KEPT) violations.push(s);
    log(`crash: VIOLATION ${s}`);
  };
  const unexpected: Record<string, number> = {};
  const odd = (route: string, a: Answer): void => {
    const key = `${route} ${a.status}`;
    unexpected[key] = (unexpected[key] ?? 0) + 1;
    if (unexpected[key] <= 3) log(`crash: unexpected answer ${key}: ${a.body.toString('utf8').slice(0, 300)}`);
  };
  const r = {
    submits: 0, submitsUnanswered: 0, unansweredButCommitted: 0, resendsOfAccepted: 0, resendsRebuilt: 0,
    fetches: 0, fetchesInterrupted: 0, acks: 0, acksUnanswered: 0, batchInboxes: 0, packetsCarried: 0, batchAcks: 0, batchAcksUnanswered: 0, streamRounds: 0, streamItems: 0, streamsBroken: 0, redeliveredAfterCrash: 0, redeliveredUnacked: 0, redeliveredAfterError: 0,
    redeliveriesCompared: 0, bytesSent: 0, bytesReceived: 0, kills: 0, killsDuringStartup: 0,
  };
  const recovery = { completed: 0, removedStaged: 0 };

  const accepted = new Map<string, Accepted>(); // by document id
  const acceptedByEdxmlId = new Map<string, Accepted>();
  const tracks = new Map<string, DeliveryTrack>(); // by delivery id
  const ackedDone = new Set<string>();
  let deliveriesAccepted = 0;

  const link = new Link();
  const servers: (HubProcess | undefined)[] = Array.from({ length: nodes }, () => undefined);
  let slot = 0;
  let tokens: Record<string, string> = {};
  const tokenOf = (name: string): string => tokens[name] ?? '';

  const start = async (at = slot): Promise<HubProcess> => {
    const p = new HubProcess(databaseUrl ?? dataDir, { startTimeoutMs: START_TIMEOUT_MS });
    servers[at] = p;
    return p;
  };
  const awaitReady = async (p: HubProcess, at = slot): Promise<void> => {
    const ready = await p.ready;
    if (ready.tokens) tokens = ready.tokens;
    recovery.completed += ready.recovery.completed;
    recovery.removedStaged += ready.recovery.removedStaged;
    link.up(ready.url, at);
  };

  const agenciesOf = new Map(CRASH_SYSTEMS.map((s) => [s.name as string, [...s.agencies] as string[]]));
  const allAgencies: string[] = CRASH_SYSTEMS.flatMap((s) => [...s.agencies]);
  let stopSending = false;
  let stopReceiving = false;
  const pendingDeliveries = (): number => deliveriesAccepted - ackedDone.size;

  const record = (p: Packet, a: Answer, kind: 'new' | 'unanswered' | 'resend'): void => {
    const json = JSON.parse(a.body.toString('utf8')) as { id: string; digest: string; deliveries: { id: string; recipient: string }[] };
    const earlier = acceptedByEdxmlId.get(p.edxmlId);
    if (earlier) {
      if (a.status !== 200) violate(`resend of ${p.edxmlId} (document ${earlier.id}) answered ${a.status} with a new document ${json.id}`);
      if (json.id !== earlier.id) violate(`resend of ${p.edxmlId} answered with id ${json.id}, not the original ${earlier.id}`);
      return;
    }
    if (kind === 'new' && a.status !== 201) violate(`a first send of ${p.edxmlId} answered ${a.status} (a resend answer) with document ${json.id}`);
    if (a.status === 200) r.unansweredButCommitted++;
    if (!p.versions.has(json.digest)) violate(`${p.edxmlId}: the hub returned digest ${json.digest}, which no version sent has`);
    if (a.status === 201 && json.digest !== p.digest) violate(`${p.edxmlId}: 201 with digest ${json.digest} but the bytes sent hash to ${p.digest}`);
    if (accepted.has(json.id)) violate(`document id ${json.id} was returned for two DocumentIds`);
    const acc: Accepted = { id: json.id, edxmlId: p.edxmlId, digest: json.digest, deliveries: json.deliveries.map((d) => ({ id: d.id, recipient: d.recipient })) };
    accepted.set(acc.id, acc);
    acceptedByEdxmlId.set(p.edxmlId, acc);
    deliveriesAccepted += acc.deliveries.length;
  };

  /** Sends until an answer comes back; a dead connection means unknown, so the packet goes again. */
  const send = async (p: Packet, kind: 'new' | 'resend', rand: () => number): Promise<void> => {
    let unanswered = false;
    for (;;) {
      if (performance.now() > deadline) throw new Error('deadline passed while sending');
      r.submits++;
      r.bytesSent += p.bytes.byteLength;
      const a = await call(link, tokenOf(p.sender), 'POST', '/v1/documents', p.bytes);
      if (a === undefined || a.status === 503) {
        if (!unanswered) r.submitsUnanswered++;
        unanswered = true;
        await sleep(RETRY_PAUSE_MS);
        if (rand() < CHANCE_UNANSWERED_REBUILT) {
          p.bytes = await p.rebuild();
          p.digest = sha256(p.bytes);
          p.versions.add(p.digest);
        }
        continue;
      }
      if (a.status !== 200 && a.status !== 201) {
        odd('POST /v1/documents', a);
        violate(`a valid packet ${p.edxmlId} was refused with ${a.status}: ${a.body.toString('utf8').slice(0, 200)}`);
        return;
      }
      record(p, a, unanswered ? 'unanswered' : kind);
      return;
    }
  };

  const sender = async (name: CrashSystemName, index: number): Promise<void> => {
    const rand = prng(seed ^ Math.imul(index + 1, 0x9e3779b1));
    const own = agenciesOf.get(name) ?? [];
    const others = allAgencies.filter((a) => !own.includes(a));
    const recent: Packet[] = [];
    let n = 0;
    const makePacket = async (): Promise<Packet> => {
      n++;
      const from = own[Math.floor(rand() * own.length)] ?? '';
      const to = others.filter(() => rand() < CHANCE_RECIPIENT);
      if (to.length === 0) to.push(others[Math.floor(rand() * others.length)] ?? '');
      const edxmlId = `${from},2026/11/23,${n}/CRASH-${name}-${seed}`;
      const attachments: { ContentId: string; AttachmentName: string; ContentType: string; content: Buffer }[] = [];
      const count = rand() < CHANCE_NO_ATTACHMENT ? 0 : rand() < CHANCE_SECOND_ATTACHMENT ? 2 : 1;
      for (let i = 0; i < count; i++) {
        const roll = rand();
        const max = roll < CHANCE_LARGE ? ATTACHMENT_BYTES_LARGE_MAX : roll < CHANCE_LARGE + CHANCE_MEDIUM ? ATTACHMENT_BYTES_MEDIUM_MAX : ATTACHMENT_BYTES_SMALL_MAX;
        const size = ATTACHMENT_BYTES_MIN + Math.floor(rand() * (max - ATTACHMENT_BYTES_MIN));
        attachments.push({
          ContentId: `cid:${i + 1}`, AttachmentName: `tep-${n}-${i + 1}.pdf`, ContentType: 'application/pdf',
          content: Buffer.concat([Buffer.from('%PDF-1.7\n'), seededBytes(rand, size)]),
        });
      }
      let version = 0;
      const build = (): Promise<Buffer> => buildPacketBytes({
        header: {
          MessageHeader: {
            From: { OrganId: from, OrganName: 'Đơn vị gửi' },
            To: to.map((OrganId) => ({ OrganId })),
            DocumentId: edxmlId,
            Code: { CodeNumber: String(n), CodeNotation: 'CRASH' },
            Subject: `Công văn thử sập nguồn số ${n}${version > 0 ? ` (gửi lại lần ${version})` : ''}`,
            ResponseFor: [],
          },
          TraceHeaderList: { TraceHeader: [{ OrganId: from, Timestamp: '2026/11/23 08:00:00' }] },
        },
        attachments,
      });
      const bytes = await build();
      const digest = sha256(bytes);
      return {
        edxmlId, sender: name, bytes, digest, versions: new Set([digest]),
        rebuild: () => { version++; return build(); },
      };
    };
    while (!stopSending) {
      if (pendingDeliveries() > PENDING_DELIVERIES_MAX) { await sleep(RETRY_PAUSE_MS); continue; }
      const roll = rand();
      const old = recent[Math.floor(rand() * recent.length)];
      if (old && roll < CHANCE_RESEND_ACCEPTED + CHANCE_RESEND_REBUILT) {
        if (roll < CHANCE_RESEND_REBUILT) {
          r.resendsRebuilt++;
          old.bytes = await old.rebuild();
          old.digest = sha256(old.bytes);
          old.versions.add(old.digest);
        } else {
          r.resendsOfAccepted++;
        }
        await send(old, 'resend', rand);
        continue;
      }
      const p = await makePacket();
      await send(p, 'new', rand);
      recent.push(p);
      if (recent.length > RECENT_ACCEPTED_KEPT) recent.shift();
    }
    // The answer to the last packets may never have been seen by a client in the real world: resend one
    // already accepted packet after the crashes, byte for byte; the hub must name the original.
    const last = recent.at(-1);
    if (last) { r.resendsOfAccepted++; await send(last, 'resend', rand); }
  };

  const receiver = async (name: CrashSystemName, index: number, draining: boolean): Promise<number> => {
    const rand = prng(seed ^ Math.imul(index + 101, 0x85ebca6b));
    const pendingAcks: string[] = [];
    let handled = 0;
    let emptyRounds = 0;
    for (let round = 0; ; round++) {
      if (performance.now() > deadline) throw new Error('deadline passed while receiving');
      if (draining && round >= DRAIN_ROUNDS_MAX) { violate(`${name}: the inbox did not drain in ${DRAIN_ROUNDS_MAX} rounds`); return handled; }
      if (!draining && stopReceiving && pendingAcks.length === 0) return handled;
      // An ack whose answer was lost goes again before anything else: acks are idempotent. In one batch
      // ack for all of them, or one by one, as the seed decides.
      if (pendingAcks.length > 1 && rand() < CHANCE_BATCH_ROUND) {
        const ids = [...pendingAcks];
        const outcomes = await batchAck(name, ids);
        if (outcomes === undefined) { await sleep(RETRY_PAUSE_MS); continue; }
        pendingAcks.length = 0;
        ids.forEach((id, i) => settleAck(id, outcomes[i]));
      }
      while (pendingAcks.length > 0) {
        const id = pendingAcks[0] ?? '';
        const a = await call(link, tokenOf(name), 'POST', `/v1/deliveries/${id}/ack`, { result: 'done' });
        if (a === undefined || a.status === 503) { await sleep(RETRY_PAUSE_MS); continue; }
        pendingAcks.shift();
        if (a.status !== 200) { odd('POST ack', a); continue; }
        ackedDone.add(id);
        const t = tracks.get(id);
        if (t) t.lastEnd = 'acked';
      }
      if (!draining && stopReceiving) return handled;
      if (!draining && rand() < CHANCE_STREAM_ROUND) {
        handled += await streamRound(name, rand, pendingAcks);
        continue;
      }
      const batch = rand() < CHANCE_BATCH_ROUND;
      const inbox = await call(link, tokenOf(name), 'GET', `/v1/inbox?kind=edoc&limit=${INBOX_PAGE_ITEMS}${draining ? '' : `&wait=${INBOX_WAIT_SECONDS}`}${batch ? `&inline=${INLINE_PACKET_BYTES_ASKED}` : ''}`);
      if (inbox === undefined || inbox.status === 503) { await sleep(RETRY_PAUSE_MS); continue; }
      if (inbox.status !== 200) { odd('GET /v1/inbox', inbox); await sleep(RETRY_PAUSE_MS); continue; }
      const page = JSON.parse(inbox.body.toString('utf8')) as { items: { deliveryId: string; documentId: string; digest: string; bytes: number; state: string; packet?: string }[]; inlinePacketBytesMax?: number };
      const items = page.items;
      if (batch && page.inlinePacketBytesMax === undefined) violate(`${name}: an inbox asked for inline packets answered without inlinePacketBytesMax`);
      if (items.length === 0) {
        if (draining && ++emptyRounds >= 2) return handled;
        continue;
      }
      emptyRounds = 0;
      if (items.some((i) => i.packet !== undefined)) r.batchInboxes++;
      const toAck: string[] = [];
      for (const item of items) {
        if (ackedDone.has(item.deliveryId)) violate(`delivery ${item.deliveryId} (document ${item.documentId}) was acked done and handed out again`);
        let t = tracks.get(item.deliveryId);
        if (!t) {
          t = { fetchesStarted: 0, shas: [], lastEnd: undefined, documentId: item.documentId, digest: item.digest };
          tracks.set(item.deliveryId, t);
        } else if (t.lastEnd === 'skipped') {
          r.redeliveredUnacked++;
        } else if (t.lastEnd === 'interrupted') {
          r.redeliveredAfterCrash++;
        } else if (t.lastEnd === 'failed') {
          r.redeliveredAfterError++;
        }
        if (t.documentId !== item.documentId || t.digest !== item.digest) {
          violate(`delivery ${item.deliveryId} changed: document ${t.documentId}→${item.documentId}, digest ${t.digest}→${item.digest}`);
        }
        t.fetchesStarted++;
        r.fetches++;
        let body: Buffer;
        if (item.packet !== undefined) {
          if (!batch) violate(`delivery ${item.deliveryId}: a packet carried in an answer that did not ask for it`);
          if (item.state !== 'fetched') violate(`delivery ${item.deliveryId}: carried in the answer but in state ${item.state}, not fetched`);
          body = Buffer.from(item.packet, 'base64');
          r.packetsCarried++;
        } else {
          if (batch && item.bytes <= (page.inlinePacketBytesMax ?? 0)) violate(`delivery ${item.deliveryId}: ${item.bytes} bytes, within the inline limit, but not carried`);
          const got = await call(link, tokenOf(name), 'GET', `/v1/deliveries/${item.deliveryId}/packet`);
          if (got === undefined || got.status === 503) { r.fetchesInterrupted++; t.lastEnd = 'interrupted'; break; }
          if (got.status !== 200) { odd('GET packet', got); t.lastEnd = 'failed'; break; }
          if (got.headers.get('x-vdxp-sha256') !== item.digest) violate(`delivery ${item.deliveryId}: x-vdxp-sha256 differs from the inbox digest`);
          body = got.body;
        }
        const sha = sha256(body);
        r.bytesReceived += body.byteLength;
        if (sha !== item.digest) violate(`delivery ${item.deliveryId}: the packet hashes to ${sha}, the inbox says ${item.digest}`);
        if (t.shas.length > 0) {
          r.redeliveriesCompared++;
          if (t.shas.some((s) => s !== sha)) violate(`delivery ${item.deliveryId} was handed out with different bytes (${t.shas.join(', ')} then ${sha})`);
        }
        t.shas.push(sha);
        handled++;
        if (!draining && rand() < CHANCE_SKIP_ACK) { t.lastEnd = 'skipped'; continue; }
        r.acks++;
        if (batch) { toAck.push(item.deliveryId); continue; }
        const a = await call(link, tokenOf(name), 'POST', `/v1/deliveries/${item.deliveryId}/ack`, { result: 'done' });
        if (a === undefined || a.status === 503) { r.acksUnanswered++; t.lastEnd = 'interrupted'; pendingAcks.push(item.deliveryId); break; }
        if (a.status !== 200) { odd('POST ack', a); t.lastEnd = 'failed'; break; }
        ackedDone.add(item.deliveryId);
        t.lastEnd = 'acked';
      }
      if (toAck.length > 0) {
        const outcomes = await batchAck(name, toAck);
        if (outcomes === undefined) {
          r.acksUnanswered += toAck.length;
          for (const id of toAck) { const t = tracks.get(id); if (t) t.lastEnd = 'interrupted'; }
          pendingAcks.push(...toAck);
        } else {
          toAck.forEach((id, i) => settleAck(id, outcomes[i]));
        }
      }
    }
  };

  /**
   * One round on the inbox stream: items checked as the inbox loop checks them, acked `done` in batches of
   * STREAM_ACK_BATCH (some skipped: they must come back), until the stream ends, breaks or receiving stops. The
   * rule checked on the wire: items received on this stream minus acks sent on it never exceed the prefetch.
   * Returns the items handled.
   */
  const streamRound = async (name: CrashSystemName, rand: () => number, pendingAcks: string[]): Promise<number> => {
    const url = await link.url();
    const abort = new AbortController();
    const timeout = setTimeout(() => { abort.abort(); }, (STREAM_SECONDS + 1) * 1000 + REQUEST_TIMEOUT_MS);
    let handled = 0;
    let received = 0;
    let ackSent = 0;
    const toAck: string[] = [];
    const flush = async (): Promise<void> => {
      if (toAck.length === 0) return;
      const ids = toAck.splice(0);
      ackSent += ids.length;
      const outcomes = await batchAck(name, ids);
      if (outcomes === undefined) {
        r.acksUnanswered += ids.length;
        for (const id of ids) { const t = tracks.get(id); if (t) t.lastEnd = 'interrupted'; }
        pendingAcks.push(...ids);
      } else {
        ids.forEach((id, i) => settleAck(id, outcomes[i]));
      }
    };
    try {
      let res: Response;
      try {
        res = await fetch(`${url}/v1/inbox/stream?kind=edoc&prefetch=${STREAM_PREFETCH}&inline=${INLINE_PACKET_BYTES_ASKED}&seconds=${STREAM_SECONDS}`, {
          headers: { authorization: `Bearer ${tokenOf(name)}` }, signal: abort.signal,
        });
      } catch {
        await sleep(RETRY_PAUSE_MS);
        return 0;
      }
      if (res.status !== 200 || !res.body) {
        const body = Buffer.from(await res.arrayBuffer().catch(() => new ArrayBuffer(0)));
        if (res.status !== 503) odd('GET /v1/inbox/stream', { status: res.status, body, headers: res.headers });
        await sleep(RETRY_PAUSE_MS);
        return 0;
      }
      r.streamRounds++;
      const decoder = new TextDecoder();
      let buffer = '';
      let ended = false;
      const reader = res.body.getReader();
      try {
        while (!ended) {
          let chunk: Awaited<ReturnType<typeof reader.read>>;
          try {
            chunk = await reader.read();
          } catch {
            r.streamsBroken++;
            break;
          }
          if (chunk.done) break;
          buffer += decoder.decode(chunk.value as Uint8Array, { stream: true });
          for (let nl = buffer.indexOf('\n'); nl >= 0 && !ended; nl = buffer.indexOf('\n')) {
            const line = JSON.parse(buffer.slice(0, nl)) as { type: string; prefetch?: number; reason?: string; item?: { deliveryId: string; documentId: string; digest: string; bytes: number; state: string; packet?: string } };
            buffer = buffer.slice(nl + 1);
            if (line.type === 'open' && line.prefetch !== STREAM_PREFETCH) violate(`${name}: a stream opened with prefetch ${String(line.prefetch)}, not ${STREAM_PREFETCH}`);
            if (line.type === 'end') { ended = true; if (line.reason === 'error') r.streamsBroken++; break; }
            if (line.type === 'heartbeat') { await flush(); continue; }
            if (line.type !== 'item' || !line.item) continue;
            const item = line.item;
            received++;
            r.streamItems++;
            if (received - ackSent > STREAM_PREFETCH) violate(`${name}: ${received - ackSent} deliveries handed out and unacked on one stream, above its prefetch ${STREAM_PREFETCH}`);
            const body = await receiveItem(name, item, item.packet !== undefined);
            if (body === undefined) { ended = true; break; }
            handled++;
            if (stopReceiving || rand() < CHANCE_SKIP_ACK) {
              const t = tracks.get(item.deliveryId);
              if (t) t.lastEnd = 'skipped';
            } else {
              r.acks++;
              toAck.push(item.deliveryId);
              if (toAck.length >= STREAM_ACK_BATCH) await flush();
            }
            if (stopReceiving) { ended = true; break; }
          }
        }
      } finally {
        abort.abort();
        await reader.cancel().catch(() => {});
      }
      await flush();
      return handled;
    } finally {
      clearTimeout(timeout);
    }
  };

  /**
   * What the inbox loop checks of a delivery handed out, for a stream item: counted, never one acked already,
   * the same document and digest each time, the bytes (carried, or fetched alone) hashing to the digest.
   * Returns the bytes, or undefined when the fetch alone did not get them (the round ends then).
   */
  const receiveItem = async (name: CrashSystemName, item: { deliveryId: string; documentId: string; digest: string; bytes: number; state: string; packet?: string }, carried: boolean): Promise<Buffer | undefined> => {
    if (ackedDone.has(item.deliveryId)) violate(`delivery ${item.deliveryId} (document ${item.documentId}) was acked done and handed out again`);
    let t = tracks.get(item.deliveryId);
    if (!t) {
      t = { fetchesStarted: 0, shas: [], lastEnd: undefined, documentId: item.documentId, digest: item.digest };
      tracks.set(item.deliveryId, t);
    } else if (t.lastEnd === 'skipped') {
      r.redeliveredUnacked++;
    } else if (t.lastEnd === 'interrupted') {
      r.redeliveredAfterCrash++;
    } else if (t.lastEnd === 'failed') {
      r.redeliveredAfterError++;
    }
    if (t.documentId !== item.documentId || t.digest !== item.digest) {
      violate(`delivery ${item.deliveryId} changed: document ${t.documentId}→${item.documentId}, digest ${t.digest}→${item.digest}`);
    }
    t.fetchesStarted++;
    r.fetches++;
    let body: Buffer;
    if (carried) {
      if (item.state !== 'fetched') violate(`delivery ${item.deliveryId}: carried in a stream line but in state ${item.state}, not fetched`);
      body = Buffer.from(item.packet ?? '', 'base64');
      r.packetsCarried++;
    } else {
      const got = await call(link, tokenOf(name), 'GET', `/v1/deliveries/${item.deliveryId}/packet`);
      if (got === undefined || got.status === 503) { r.fetchesInterrupted++; t.lastEnd = 'interrupted'; return undefined; }
      if (got.status !== 200) { odd('GET packet', got); t.lastEnd = 'failed'; return undefined; }
      if (got.headers.get('x-vdxp-sha256') !== item.digest) violate(`delivery ${item.deliveryId}: x-vdxp-sha256 differs from the stream's digest`);
      body = got.body;
    }
    const sha = sha256(body);
    r.bytesReceived += body.byteLength;
    if (sha !== item.digest) violate(`delivery ${item.deliveryId}: the packet hashes to ${sha}, the stream says ${item.digest}`);
    if (t.shas.length > 0) {
      r.redeliveriesCompared++;
      if (t.shas.some((x) => x !== sha)) violate(`delivery ${item.deliveryId} was handed out with different bytes (${t.shas.join(', ')} then ${sha})`);
    }
    t.shas.push(sha);
    return body;
  };

  /** One batch ack of `ids` (all done); undefined when its answer never came (retried later), else an outcome per id. */
  const batchAck = async (name: string, ids: string[]): Promise<({ state?: string; error?: { code: string } } | undefined)[] | undefined> => {
    const a = await call(link, tokenOf(name), 'POST', '/v1/deliveries/ack', ids.map((deliveryId) => ({ deliveryId, result: 'done' })));
    if (a === undefined || a.status === 503) { r.batchAcksUnanswered++; return undefined; }
    if (a.status !== 200) { odd('POST /v1/deliveries/ack', a); return ids.map(() => undefined); }
    r.batchAcks++;
    const results = (JSON.parse(a.body.toString('utf8')) as { results: { deliveryId: string; state?: string; error?: { code: string } }[] }).results;
    if (results.length !== ids.length || results.some((x, i) => x.deliveryId !== ids[i])) violate(`a batch ack of ${ids.length} answered ${results.length} outcomes, or out of order`);
    return results;
  };
  /** What a batch ack's outcome for one delivery means for the checker. */
  const settleAck = (id: string, outcome: { state?: string; error?: { code: string } } | undefined): void => {
    const t = tracks.get(id);
    if (outcome?.state === 'done') {
      ackedDone.add(id);
      if (t) t.lastEnd = 'acked';
      return;
    }
    const key = `POST /v1/deliveries/ack item ${outcome?.error?.code ?? outcome?.state ?? 'missing'}`;
    unexpected[key] = (unexpected[key] ?? 0) + 1;
    if (t) t.lastEnd = 'failed';
  };

  try {
    // The first node alone: it seeds the registry (and prints the tokens); then the others.
    for (let i = 0; i < nodes; i++) await awaitReady(await start(i), i);
    log(`crash: ${nodes} hub node(s) ready (pids ${servers.map((x) => x?.pid).join(', ')}), tokens for ${Object.keys(tokens).join(', ')}`);
    const restartEvery = databaseRestartsWanted > 0 ? Math.max(1, Math.floor(o.kills / (databaseRestartsWanted + 1))) : Infinity;
    const rand = prng(seed);
    const senders = CRASH_SYSTEMS.map((s, i) => sender(s.name, i));
    const receivers = CRASH_SYSTEMS.map((s, i) => receiver(s.name, i, false));
    // Loops that throw (the deadline) must stop the run, not wait for the kills to finish.
    let failed: Error | undefined;
    const watch = [...senders, ...receivers].map((p) => p.catch((e: unknown) => {
      failed ??= e instanceof Error ? e : new Error(String(e));
      stopSending = true;
      stopReceiving = true;
    }));
    for (let k = 1; k <= o.kills && failed === undefined; k++) {
      await sleep(killMin + Math.floor(rand() * (killMax - killMin)));
      if (cluster !== undefined && k % restartEvery === 0 && databaseRestarts < databaseRestartsWanted) {
        // The database itself goes away under load; the nodes answer 503 meanwhile and reconnect after.
        const mode = databaseRestarts % 2 === 0 ? 'fast' : 'immediate';
        await cluster.restart(mode);
        databaseRestarts++;
        log(`crash: database restarted (${mode} shutdown), ${databaseRestarts}/${databaseRestartsWanted}`);
      }
      slot = Math.floor(rand() * nodes);
      link.down(slot);
      if (await servers[slot]?.kill('SIGKILL')) r.kills++;
      const next = await start();
      if (k < o.kills && rand() < STARTUP_KILL_CHANCE) {
        // Kill it again while it is still recovering: recovery itself must survive a crash.
        await Promise.race([next.ready.catch(() => undefined), sleep(Math.floor(rand() * STARTUP_KILL_DELAY_MS_MAX))]);
        let earlyReady = false;
        void next.ready.then(() => { earlyReady = true; }, () => undefined);
        if (await next.kill('SIGKILL')) r.kills++;
        if (!earlyReady) r.killsDuringStartup++;
        k++;
        await awaitReady(await start());
      } else {
        await awaitReady(next);
      }
      if (k % 10 === 0 || k >= o.kills) {
        log(`crash: ${Math.min(k, o.kills)}/${o.kills} kills, ${accepted.size} documents accepted, ${ackedDone.size} deliveries acked, ${r.submitsUnanswered} unanswered submits`);
      }
    }
    stopSending = true;
    await Promise.all(watch.slice(0, senders.length));
    stopReceiving = true;
    await Promise.all(watch);
    if (failed !== undefined) throw failed;

    // A final clean stop and start: recovery runs once more on a quiet folder, then the inboxes drain.
    link.down();
    for (const x of servers) await x?.kill('SIGTERM');
    slot = 0;
    const final = await start();
    await awaitReady(final);
    if (engine === 'sqlite') {
      const staged = readdirSync(join(dataDir, 'tmp')).length;
      if (staged > 0) violate(`${staged} staged files are left in tmp/ after the final start's recovery`);
    }
    await Promise.all(CRASH_SYSTEMS.map((s, i) => receiver(s.name, i, true)));
    link.down();
    await final.kill('SIGTERM');

    // The checker, on the stopped folder.
    for (const doc of accepted.values()) {
      for (const d of doc.deliveries) {
        const t = tracks.get(d.id);
        if (!t || t.shas.length === 0) violate(`LOST: document ${doc.id} (${doc.edxmlId}) got a 2xx but delivery ${d.id} to ${d.recipient} never arrived`);
        else if (t.shas.some((s) => s !== doc.digest)) violate(`document ${doc.id}: delivery ${d.id} arrived with bytes hashing to ${t.shas.join(', ')}, not ${doc.digest}`);
        else if (!ackedDone.has(d.id)) violate(`document ${doc.id}: delivery ${d.id} was never acked done`);
      }
    }
    const expectedDeliveries = new Set([...accepted.values()].flatMap((d) => d.deliveries.map((x) => x.id)));
    for (const [id, t] of tracks) {
      if (!expectedDeliveries.has(id)) violate(`DUPLICATE or unknown: delivery ${id} of document ${t.documentId} was handed out, but no 2xx named it`);
    }

    const stored = engine === 'postgres'
      ? await readPostgres(databaseUrl ?? '', keyFile)
      : readSqlite(dataDir);
    for (const d of stored.duplicates) violate(`DUPLICATE: ${d.n} documents for ${d.edxmlId}`);
    for (const id of stored.edocs) if (!accepted.has(id)) violate(`DUPLICATE or unknown: document ${id} is stored but no 2xx named it`);
    if (stored.edocs.length !== accepted.size) violate(`${stored.edocs.length} edoc documents are stored, ${accepted.size} were accepted`);
    for (const d of stored.notDone) violate(`delivery ${d.id} is ${d.state} after the drain`);
    for (const d of stored.badInline) violate(`inline packet ${d}: its bytes hash to something else`);
    const dbDigests = stored.digests;
    const inline = stored.inline;
    const files = stored.files;
    const c = stored.counters;
    if (c.sent !== c.documents || c.received !== c.deliveries) violate(`counters differ from the rows: ${JSON.stringify(c)}`);
    const orphans = [...files, ...inline].filter((f) => !dbDigests.has(f));
    const missing = [...dbDigests].filter((d) => !files.has(d) && !inline.has(d));
    const both = [...files].filter((f) => inline.has(f));
    for (const f of orphans.slice(0, 10)) violate(`orphan ${inline.has(f) ? 'inline packet' : 'blob file'} ${f}: no document references it`);
    for (const d of missing.slice(0, 10)) violate(`missing packet ${d}: a document references it, but it is neither a file nor inline`);
    for (const d of both.slice(0, 10)) violate(`packet ${d} is kept twice: a file and inline`);
    const stagedAfter = stored.staged;
    if (stagedAfter > 0) violate(`${stagedAfter} staged uploads after the clean stop`);
    recovery.removedStaged += stored.abandonedUploads;

    const hub = await openHub(engine === 'postgres' ? { databaseUrl: databaseUrl ?? '', keyFile, recover: false } : { dataDir, recover: false });
    let audit;
    try {
      audit = await verifyAudit(hub.ctx);
    } finally {
      await hub.close();
    }
    if (!audit.ok) violate(`the evidence chain does not verify: ${JSON.stringify({ brokenAt: audit.brokenAt, packetProblems: audit.packetProblems.slice(0, 5) })}`);

    const report: CrashReport = {
      engine, nodes, databaseRestarts, counters: c,
      seed, seconds: Number(((performance.now() - started) / 1000).toFixed(1)), kills: r.kills, killsDuringStartup: r.killsDuringStartup, recovery,
      documentsAccepted: accepted.size, deliveriesExpected: expectedDeliveries.size,
      submits: r.submits, submitsUnanswered: r.submitsUnanswered, unansweredButCommitted: r.unansweredButCommitted,
      resendsOfAccepted: r.resendsOfAccepted, resendsRebuilt: r.resendsRebuilt,
      fetches: r.fetches, fetchesInterrupted: r.fetchesInterrupted, acks: r.acks, acksUnanswered: r.acksUnanswered,
      batchInboxes: r.batchInboxes, packetsCarried: r.packetsCarried, batchAcks: r.batchAcks, batchAcksUnanswered: r.batchAcksUnanswered,
      streamRounds: r.streamRounds, streamItems: r.streamItems, streamsBroken: r.streamsBroken,
      redeliveredAfterCrash: r.redeliveredAfterCrash, redeliveredUnacked: r.redeliveredUnacked, redeliveredAfterError: r.redeliveredAfterError, redeliveriesCompared: r.redeliveriesCompared,
      bytesSent: r.bytesSent, bytesReceived: r.bytesReceived, unexpectedStatuses: unexpected, serverErrors: hubServerErrors(),
      audit: { ok: audit.ok, events: audit.events, packets: audit.packets },
      blobs: { files: files.size, inline: inline.size, referenced: dbDigests.size, orphans: orphans.length, missing: missing.length, both: both.length, staged: stagedAfter },
      dataDir: o.keepData ? dataDir : '(removed)', violations,
    };
    return report;
  } finally {
    link.down();
    stopSending = true;
    stopReceiving = true;
    for (const x of servers) await x?.kill('SIGKILL');
    if (engine === 'postgres') delete process.env['VDXP_KEY_FILE'];
    if (!o.keepData) {
      await cluster?.destroy();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
}

interface Stored {
  duplicates: { edxmlId: string; n: number }[];
  edocs: string[];
  notDone: { id: string; state: string }[];
  digests: Set<string>;
  inline: Set<string>;
  badInline: string[];
  /** Large packets: files in blobs/ (SQLite) or rows of `packets` (PostgreSQL). */
  files: Set<string>;
  /** Staged files in tmp/, or upload rows left after abandoned uploads were collected. */
  staged: number;
  /** PostgreSQL: uploads of killed nodes, collected here once every node is stopped. */
  abandonedUploads: number;
  counters: { sent: number; documents: number; received: number; deliveries: number };
}

const DUPLICATES_SQL = `SELECT from_agency, edxml_id, business_type, count(*) AS n FROM documents WHERE kind = 'edoc'
  GROUP BY from_agency, edxml_id, business_type HAVING count(*) > 1`;
const COUNTERS_SQL = `SELECT
  (SELECT coalesce(sum(value), 0) FROM counters WHERE metric = 'sent') AS sent,
  (SELECT count(*) FROM documents WHERE kind = 'edoc') AS documents,
  (SELECT coalesce(sum(value), 0) FROM counters WHERE metric = 'received') AS received,
  (SELECT count(*) FROM deliveries WHERE kind = 'edoc') AS deliveries`;

function readSqlite(dataDir: string): Stored {
  const db = new DatabaseSync(join(dataDir, 'vdxp.sqlite'), { readOnly: true });
  try {
    const inline = new Set<string>();
    const badInline: string[] = [];
    for (const row of db.prepare('SELECT digest, bytes FROM blobs_inline').iterate()) {
      const digest = row['digest'] as string;
      inline.add(digest);
      if (sha256(row['bytes'] as Uint8Array) !== digest) badInline.push(digest);
    }
    const c = db.prepare(COUNTERS_SQL).get() ?? {};
    return {
      duplicates: db.prepare(DUPLICATES_SQL).all().map((d) => ({ edxmlId: String(d['edxml_id']), n: Number(d['n']) })),
      edocs: db.prepare("SELECT id FROM documents WHERE kind = 'edoc'").all().map((x) => x['id'] as string),
      notDone: db.prepare("SELECT id, state FROM deliveries WHERE kind = 'edoc' AND state <> 'done'").all().map((d) => ({ id: String(d['id']), state: String(d['state']) })),
      digests: new Set(db.prepare('SELECT DISTINCT digest FROM documents').all().map((x) => x['digest'] as string)),
      inline, badInline,
      files: new Set(readdirSync(join(dataDir, 'blobs')).flatMap((d) => readdirSync(join(dataDir, 'blobs', d)))),
      staged: readdirSync(join(dataDir, 'tmp')).length,
      abandonedUploads: 0,
      counters: { sent: Number(c['sent']), documents: Number(c['documents']), received: Number(c['received']), deliveries: Number(c['deliveries']) },
    };
  } finally {
    db.close();
  }
}

async function readPostgres(url: string, keyFile: string): Promise<Stored> {
  // Every node is stopped: uploads nobody adopted are those of killed nodes; a node's sweep would collect
  // them after pgStagedUploadIdleSeconds, here they are collected at once through the hub's own code.
  const hub = await openHub({ databaseUrl: url, keyFile, recover: false });
  let abandonedUploads: number;
  try {
    abandonedUploads = await hub.ctx.blobs.collectIdle(0);
  } finally {
    await hub.close();
  }
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    const rows = async (sql: string): Promise<Record<string, unknown>[]> => (await db.query(sql)).rows as Record<string, unknown>[];
    const inline = new Set<string>();
    const badInline: string[] = [];
    for (const row of await rows('SELECT digest, bytes FROM blobs_inline')) {
      const digest = row['digest'] as string;
      inline.add(digest);
      if (sha256(row['bytes'] as Buffer) !== digest) badInline.push(digest);
    }
    const c = (await rows(COUNTERS_SQL))[0] ?? {};
    return {
      duplicates: (await rows(DUPLICATES_SQL)).map((d) => ({ edxmlId: String(d['edxml_id']), n: Number(d['n']) })),
      edocs: (await rows("SELECT id FROM documents WHERE kind = 'edoc'")).map((x) => x['id'] as string),
      notDone: (await rows("SELECT id, state FROM deliveries WHERE kind = 'edoc' AND state <> 'done'")).map((d) => ({ id: String(d['id']), state: String(d['state']) })),
      digests: new Set((await rows('SELECT DISTINCT digest FROM documents')).map((x) => x['digest'] as string)),
      inline, badInline,
      files: new Set((await rows('SELECT digest FROM packets')).map((x) => x['digest'] as string)),
      staged: Number((await rows('SELECT count(*) AS n FROM packet_uploads'))[0]?.['n'])
        + Number((await rows('SELECT count(DISTINCT upload_id) AS n FROM packet_chunks c WHERE NOT EXISTS (SELECT 1 FROM packets p WHERE p.upload_id = c.upload_id)'))[0]?.['n']),
      abandonedUploads,
      counters: { sent: Number(c['sent']), documents: Number(c['documents']), received: Number(c['received']), deliveries: Number(c['deliveries']) },
    };
  } finally {
    await db.end();
  }
}
