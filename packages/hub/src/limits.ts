// Every bound the hub enforces, in one place, units last in the name. The edxml limits (packet shape) are
// taken from @vdxp/edxml and may be overridden here per deployment.

import { DEFAULT_LIMITS as EDXML_DEFAULTS, type EdxmlLimits } from '@vdxp/edxml';
import { HubError } from './errors.ts';

export interface HubLimits {
  edxml: EdxmlLimits;
  /** Recipients of one packet after de-duplication. */
  recipientsMax: number;
  /** Items in one inbox or list page. */
  pageSizeMax: number;
  pageSizeDefault: number;
  /** Longest a long-poll may wait. */
  longPollSecondsMax: number;
  /**
   * Batch fetch (`GET /v1/inbox?inline=N`): the largest packet an inbox answer carries inline (base64), handed
   * out in the answer's one transaction; larger ones stay items to fetch one by one. 0 turns batch fetch off.
   */
  inboxInlinePacketBytesMax: number;
  /** Batch fetch: packet bytes (before base64) one inbox answer carries inline at most; the page ends there. */
  inboxInlineBytesMax: number;
  /**
   * Inbox stream (`GET /v1/inbox/stream?prefetch=N`): the largest credit a stream may ask for, i.e. deliveries
   * handed out on one stream and not yet acked (what one hand-out reads at most, and what the stream holds).
   */
  streamPrefetchMax: number;
  /** Inbox stream: how long one stream lasts at most before it ends with an `end` line (the client reconnects). */
  streamSecondsMax: number;
  /** Inbox stream: a `heartbeat` line after this long without one, so the idle timer never cuts a quiet stream. Below httpIdleSecondsMax. */
  streamHeartbeatSeconds: number;
  /**
   * Inbox stream: how often a waiting stream re-reads the states of its outstanding deliveries, so that an ack
   * made on another node (or an expiry, a recall) gives its credit back; a local ack gives it back at once.
   */
  streamCreditRecheckMs: number;
  /** Batch ack (`POST /v1/deliveries/ack`): acks in one call, recorded in one transaction; at least pageSizeMax, so a page's acks fit one call. */
  ackBatchItemsMax: number;
  /**
   * HTTP: a connection on which no byte moved either way for this long is cut (a stalled client, a slowloris
   * body, a reader that stopped reading). There is no whole-request timer: a 2 GB packet on a slow link takes
   * as long as it takes while bytes keep flowing. A long-poll's own wait is added for its request.
   */
  httpIdleSecondsMax: number;
  /** HTTP: a request's line and headers must all arrive within this long of its first byte (slowloris headers). */
  httpHeadersSecondsMax: number;
  /**
   * HTTP: open connections this node keeps at once (each is a file descriptor); a connection beyond it is closed
   * as it arrives, before it can take a descriptor the store or a packet file needs. Keep it well below the
   * process's `ulimit -n`.
   */
  httpConnectionsMax: number;
  /**
   * Calls one system has in flight on this node at once (long-polls included), over either API; one more is
   * refused with VDXP_E_TOO_MANY_CALLS (429, Retry-After), so one runaway client cannot take the node from the
   * others. Generous: a receiver's page of fetches and acks in parallel stays far below it.
   */
  callsInFlightPerSystemMax: number;
  /** Failures (ack fail) after which a delivery is dead-lettered. */
  deliveryAttemptsMax: number;
  /** Time a delivery may wait for its recipient before it expires. */
  deliveryTtlSeconds: number;
  /** Merger chains followed when routing to a successor. */
  successorHopsMax: number;
  /** JSON bodies of the native API (acks, admin calls). */
  jsonBodyBytesMax: number;
  /** Status packets: a small header only. */
  statusPacketBytesMax: number;
  /**
   * Packets up to this size are kept in the database, in the transaction of their document, instead of as a
   * file; larger ones are staged and moved into blobs/. Decided by size alone, so a digest lives in one place.
   */
  inlinePacketBytesMax: number;
  /**
   * Data folder: a large packet's bytes move between the body, its staged file and a fetch in slices of this
   * size, hashed and written (or read) on the packet I/O thread (blob-io.ts) while the parser goes on.
   */
  blobSliceBytes: number;
  /** Data folder: slices one upload may have out with the I/O thread at once (its memory: this × blobSliceBytes). */
  blobSlicesPerUploadMax: number;
  /**
   * Data folder: while a large packet is staged, its file is fdatasynced in the background each time this many
   * bytes were written since the last one began, so the disk writes while the body arrives and the fsync before
   * the commit waits only for the tail.
   */
  blobSyncEveryBytes: number;
  /** Agencies one system may act for. */
  systemAgenciesMax: number;
  /** Agencies in one import file. */
  importAgenciesMax: number;
  /** VDXP API, strict systems and registerAgency: how far a signed XroadVnpt-timestamp may be from the hub's clock, either way (skew and replay window). */
  vdxpReplayWindowSeconds: number;
  /** VDXP API: signatures remembered within the window, to refuse their reuse where it is refused (in memory, one process). */
  vdxpReplayCacheMax: number;
  /** VDXP API: the headers of one part of a multipart sendEdoc body. */
  vdxpPartHeaderBytesMax: number;
  /** VDXP API: registry rows read per page while an agency list streams (memory held vs. queries made). */
  vdxpRegistryPageRows: number;
  /**
   * VDXP API: agencies per page of getAgenciesList's first answer, which the database writes as the answer's text
   * (~170 bytes an agency, so ~3.4 MB a page): 111,000 agencies in 6 statements rather than 56, a third less time.
   */
  vdxpAgencyListPageRows: number;
  /** The largest getAgenciesList answer kept whole to answer again while the registry is unchanged (111,000 agencies: ~19 MB). */
  vdxpAgencyListCacheBytesMax: number;
  /**
   * Events in one archive file. Bounds what one cut holds in memory (a digest per archived document), its
   * planning scans, and how long its transaction keeps the write lock (it deletes this many events).
   */
  archiveEventsMax: number;
  /** Archive files one `vdxp archive` run (or one scheduled run) writes at most; the next run continues. */
  archiveFilesPerRunMax: number;
  /**
   * Events a scheduled (hourly) run waits for before it cuts: without it, a steady hub would get one small file
   * per hour, each hour's worth of events turning 90 days old. `vdxp archive` cuts whatever is old enough.
   */
  archiveScheduledEventsMin: number;
  /** The longest line of an archive's events.jsonl or documents.jsonl that verification reads (it holds one line). */
  archiveLineBytesMax: number;
  /** PostgreSQL: a large packet is kept as rows of this many bytes (what one upload or download holds per row). */
  pgPacketChunkBytes: number;
  /** PostgreSQL: chunks read per query while a packet streams out (memory held vs. round trips). */
  pgPacketReadChunks: number;
  /**
   * PostgreSQL: a row streams out in slices of this many bytes. Below one socket read (64 KiB), so
   * node-postgres's receive buffer never grows to hold a message (it doubles per message otherwise).
   */
  pgPacketReadSliceBytes: number;
  /**
   * PostgreSQL: an upload whose last chunk is older than this was abandoned (its node died, its client went
   * away) and its chunks are collected by the sweep. Far above any pause between two chunks of a live upload.
   */
  pgStagedUploadIdleSeconds: number;
  /** PostgreSQL: connections one hub node keeps in its pool (plus one for LISTEN). */
  pgPoolConnectionsMax: number;
  /** Console passwords: scrypt's cost N (a power of two), block size r and parallelization p; memory is 128·N·r bytes. */
  passwordScryptCost: number;
  passwordScryptBlockSize: number;
  passwordScryptParallelization: number;
  /** Console passwords: the shortest accepted, and the longest read (a longer one is refused before hashing). */
  passwordCharsMin: number;
  passwordCharsMax: number;
  /** How long a console session lasts after login. */
  consoleSessionSeconds: number;
  /** Failed logins counted per account and per address within the window before further tries are refused. */
  loginFailuresPerAccountMax: number;
  loginFailuresPerAddressMax: number;
  loginFailureWindowSeconds: number;
  /** Rows in one console list page (overdue, documents, agencies). */
  consolePageRowsMax: number;
  /** Rows in one CSV or .xlsx export. */
  consoleExportRowsMax: number;
  /** Events shown on one document's timeline. */
  consoleTimelineEventsMax: number;
  /** An agency page's median answer times are taken over at most this many of its newest deliveries (a year's). */
  consoleAnswerSampleDeliveriesMax: number;
  /** Agencies in each "top N" table of the monthly report (senders, recipients, overdue). */
  consoleReportAgencyRowsMax: number;
  /** A node writes one system's last seen and call tally at most this often (kept in memory in between). */
  systemActivityFlushSeconds: number;
  /** Refusals each node keeps in memory for the Health page's "recent errors" (the oldest drops out). */
  recentErrorsMax: number;
  /** Push notices: how long one POST to a system's push URL may take. */
  pushTimeoutSeconds: number;
  /** Push notices: failed POSTs in a row after which the hub stops until the next queued delivery (the system still polls). */
  pushAttemptsMax: number;
  /** Push notices: the longest wait between two retries. */
  pushDelaySecondsMax: number;
  /** Push notices: deliveries one notice lists (the rest: `more: true`). */
  pushDeliveriesPerNoticeMax: number;
}

export const DEFAULT_HUB_LIMITS: Readonly<HubLimits> = Object.freeze({
  edxml: { ...EDXML_DEFAULTS, packetBytesMax: 1024 * 1024 * 1024 },
  recipientsMax: 1000,
  pageSizeMax: 1000,
  pageSizeDefault: 100,
  longPollSecondsMax: 60,
  // The same as inlinePacketBytesMax: what the database keeps is read back in one query, and a 64 KiB packet
  // is ~87 KiB of base64. 4 MiB per answer bounds what one inbox call holds (the packets, then their base64
  // and the JSON: ~3.5× that at its peak), whatever the page size.
  inboxInlinePacketBytesMax: 64 * 1024,
  inboxInlineBytesMax: 4 * 1024 * 1024,
  ackBatchItemsMax: 1000,
  streamPrefetchMax: 1000,
  // Five minutes: a node's restart or a change of load balancer moves a stream within that much, and a
  // reconnect costs one inbox read.
  streamSecondsMax: 300,
  streamHeartbeatSeconds: 10,
  streamCreditRecheckMs: 1000,
  httpIdleSecondsMax: 30,
  httpHeadersSecondsMax: 30,
  httpConnectionsMax: 10_000,
  callsInFlightPerSystemMax: 512,
  deliveryAttemptsMax: 10,
  deliveryTtlSeconds: 30 * 24 * 3600,
  successorHopsMax: 8,
  jsonBodyBytesMax: 1024 * 1024,
  statusPacketBytesMax: 1024 * 1024,
  // Measured in-process on the benchmark machine (2 CPUs, 4,400 synced 10 KB writes/s), file vs inline: one
  // submit at a time, 10 KB 4.5 → 2.3 ms, 64 KB 5.3 → 2.9, 256 KB 7.6 → 5.4, 1 MB 11.5 → 11.9; with 8 submits
  // at once, docs/s 10 KB 446 → 608, 32 KB ~390 → ~450, 64 KB ~330 → ~365 (±15% run to run), 96 KB ~306 →
  // ~295, 256 KB ~236 → ~193. Past ~64 KB, SQLite writing the bytes synchronously on the one JavaScript thread
  // costs more under load than a file's write, fsync and rename in libuv's thread pool beside it (turning WAL
  // checkpoints off did not change that). It also bounds memory: at most this much is held per upload.
  inlinePacketBytesMax: 64 * 1024,
  // 1 MiB writes reach the disk's sequential speed (64 KiB ones did not: 8,000 calls per 500 MB); 4 slices let
  // the parser fill one while the I/O thread hashes one and the thread pool writes the others.
  blobSliceBytes: 1024 * 1024,
  blobSlicesPerUploadMax: 4,
  // Without it a 524 MB packet was all dirty pages when its fsync began: 1.1 s of writing after the last byte
  // arrived (the disk's whole sequential time). 8–32 MiB made write + fsync of 400 MiB 314 → 418–445 MB/s.
  blobSyncEveryBytes: 32 * 1024 * 1024,
  systemAgenciesMax: 20_000,
  importAgenciesMax: 500_000,
  vdxpReplayWindowSeconds: 300,
  vdxpReplayCacheMax: 200_000,
  vdxpPartHeaderBytesMax: 16 * 1024,
  vdxpRegistryPageRows: 2_000,
  vdxpAgencyListPageRows: 20_000,
  vdxpAgencyListCacheBytesMax: 64 * 1024 * 1024,
  // The cut's transaction holds the write lock while it marks documents, drops their inline packets and deletes
  // the events: measured (scripts/archive-measure.ts, 2 CPUs at load ~16) 1.9 s for 10,003 events / 5,000
  // inline documents (0.6 s marking, 1.0 s dropping 56 MiB of inline packets), 21 s for 40,003 / 20,000.
  // 10,000 keeps intake's wait near a second even on a loaded machine.
  archiveEventsMax: 10_000,
  archiveFilesPerRunMax: 100,
  archiveScheduledEventsMin: 1_000,
  // A document line carries its deliveries (up to recipientsMax) with their statuses: ~0.5 KB each.
  archiveLineBytesMax: 16 * 1024 * 1024,
  // 1 MiB rows: a 2 GB packet is ~2,000 INSERTs of a few ms each; node-postgres sends a Buffer parameter in
  // binary, and the download asks for binary results, so one row in flight costs a few MiB of memory.
  pgPacketChunkBytes: 1024 * 1024,
  pgPacketReadChunks: 4,
  // `scripts/pg-read-measure.ts --mb 400` (1 MiB rows read back by binary COPY, no HTTP; shared machine): peak RSS
  // over the idle process +92 MB with whole rows, +71 MB with 64 KiB slices, +44 MB with 16 KiB slices.
  pgPacketReadSliceBytes: 16 * 1024,
  pgStagedUploadIdleSeconds: 3600,
  pgPoolConnectionsMax: 10,
  // OWASP's password storage cheat sheet lists N=2^17 r=8 p=1 (128 MiB) as the minimum and N=2^15 r=8 p=3 as an
  // equal-cost choice at 32 MiB: that one, so four logins at once stay far below the hub's memory.
  passwordScryptCost: 2 ** 15,
  passwordScryptBlockSize: 8,
  passwordScryptParallelization: 3,
  passwordCharsMin: 10,
  passwordCharsMax: 256,
  consoleSessionSeconds: 8 * 3600,
  loginFailuresPerAccountMax: 5,
  loginFailuresPerAddressMax: 30,
  loginFailureWindowSeconds: 15 * 60,
  consolePageRowsMax: 500,
  consoleExportRowsMax: 100_000,
  consoleTimelineEventsMax: 2_000,
  consoleAnswerSampleDeliveriesMax: 2_000,
  consoleReportAgencyRowsMax: 20,
  systemActivityFlushSeconds: 60,
  recentErrorsMax: 50,
  pushTimeoutSeconds: 10,
  // 1, 2, 4 … 300 s: eight failures span about ten minutes.
  pushAttemptsMax: 8,
  pushDelaySecondsMax: 300,
  pushDeliveriesPerNoticeMax: 100,
});

export function hubLimits(overrides?: HubLimitsOverrides): HubLimits {
  return { ...DEFAULT_HUB_LIMITS, ...overrides, edxml: { ...DEFAULT_HUB_LIMITS.edxml, ...overrides?.edxml } };
}

/** What an operator may override: any HubLimits number, and any edxml one under `edxml`. */
export type HubLimitsOverrides = Partial<Omit<HubLimits, 'edxml'>> & { edxml?: Partial<EdxmlLimits> };

/**
 * Ranges of the limits an operator sets (flags, config file); openHub itself takes any value, so tests can use
 * extremes. Every limit is a positive integer unless named here; `inlinePacketBytesMax` 0 keeps every packet
 * as a file, `inboxInlinePacketBytesMax` 0 turns batch fetch off. Upper bounds keep times and sizes inside
 * what the hub computes with exactly (milliseconds since the epoch must stay a safe integer: a time to live
 * of 100 years is 3.2e12 ms).
 */
const LIMIT_RANGES: Record<string, { min: number; max: number; integer: boolean }> = {
  inlinePacketBytesMax: { min: 0, max: Number.MAX_SAFE_INTEGER, integer: true },
  inboxInlinePacketBytesMax: { min: 0, max: Number.MAX_SAFE_INTEGER, integer: true },
  blobSliceBytes: { min: 4 * 1024, max: 64 * 1024 * 1024, integer: true },
  blobSlicesPerUploadMax: { min: 1, max: 64, integer: true },
  blobSyncEveryBytes: { min: 64 * 1024, max: Number.MAX_SAFE_INTEGER, integer: true },
  deliveryTtlSeconds: { min: 1, max: 100 * 365 * 24 * 3600, integer: true },
  deliveryAttemptsMax: { min: 1, max: 1_000_000, integer: true },
  'edxml.unzipRatioMax': { min: 1, max: Number.MAX_SAFE_INTEGER, integer: false },
};
const DEFAULT_RANGE = { min: 1, max: Number.MAX_SAFE_INTEGER, integer: true };

function limitError(key: string, message: string): HubError {
  return new HubError('VDXP_E_LIMIT_INVALID', `${key}: ${message}`, { details: { key } });
}

/**
 * Reads a limits config (parsed JSON) into overrides: the keys are HubLimits' names (edxml ones under
 * `"edxml"`), the values numbers. An unknown key, a wrong type or a value out of range is refused with
 * VDXP_E_LIMIT_INVALID naming the key as a path (`edxml.packetBytesMax`).
 */
export function limitsFromConfig(json: unknown): HubLimitsOverrides {
  if (!isPlainObject(json)) throw limitError('(top level)', 'the config must be a JSON object of limits');
  const out: HubLimitsOverrides = {};
  for (const [key, value] of Object.entries(json)) {
    if (key === 'edxml') {
      if (!isPlainObject(value)) throw limitError('edxml', 'must be an object of edxml limits');
      const edxml: Partial<EdxmlLimits> = {};
      for (const [k, v] of Object.entries(value)) {
        if (!(k in DEFAULT_HUB_LIMITS.edxml)) throw limitError(`edxml.${k}`, `unknown edxml limit; known: ${Object.keys(DEFAULT_HUB_LIMITS.edxml).join(', ')}`);
        edxml[k as keyof EdxmlLimits] = checkedValue(`edxml.${k}`, v);
      }
      out.edxml = edxml;
      continue;
    }
    if (!(key in DEFAULT_HUB_LIMITS)) throw limitError(key, `unknown limit; known: ${Object.keys(DEFAULT_HUB_LIMITS).join(', ')}`);
    (out as Record<string, number>)[key] = checkedValue(key, value);
  }
  return out;
}

function checkedValue(key: string, value: unknown): number {
  const range = LIMIT_RANGES[key] ?? DEFAULT_RANGE;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw limitError(key, `must be a number, got ${JSON.stringify(value)}`);
  if (range.integer && !Number.isInteger(value)) throw limitError(key, `must be a whole number, got ${value}`);
  if (value < range.min || value > range.max) throw limitError(key, `must be from ${range.min} to ${range.max}, got ${value}`);
  return value;
}

/**
 * The limits a hub runs with when an operator overrides some: each override in its range, and combinations
 * that make no sense refused (a packet limit below the size kept inline, a default page larger than a page).
 */
export function operatorLimits(overrides: HubLimitsOverrides): HubLimits {
  const checked = limitsFromConfig(overrides);
  const limits = hubLimits(checked);
  if (limits.edxml.packetBytesMax < limits.inlinePacketBytesMax) {
    throw limitError('edxml.packetBytesMax', `${limits.edxml.packetBytesMax} bytes is below inlinePacketBytesMax (${limits.inlinePacketBytesMax}): `
      + 'raise it, or lower inlinePacketBytesMax too');
  }
  if (limits.inboxInlinePacketBytesMax > limits.inboxInlineBytesMax) {
    throw limitError('inboxInlinePacketBytesMax', `${limits.inboxInlinePacketBytesMax} bytes is above inboxInlineBytesMax (${limits.inboxInlineBytesMax}), what one answer carries`);
  }
  if (limits.ackBatchItemsMax < limits.pageSizeMax) {
    throw limitError('ackBatchItemsMax', `${limits.ackBatchItemsMax} is below pageSizeMax (${limits.pageSizeMax}): a page's acks must fit one batch ack`);
  }
  if (limits.streamHeartbeatSeconds >= limits.httpIdleSecondsMax) {
    throw limitError('streamHeartbeatSeconds', `${limits.streamHeartbeatSeconds} s is not below httpIdleSecondsMax (${limits.httpIdleSecondsMax} s): the idle timer would cut quiet streams`);
  }
  if (limits.pageSizeDefault > limits.pageSizeMax) throw limitError('pageSizeDefault', `${limits.pageSizeDefault} is above pageSizeMax (${limits.pageSizeMax})`);
  return limits;
}

/** The limits that differ from the defaults, as `key=value` (edxml ones as `edxml.key`), for a start-up banner. */
export function changedLimits(limits: HubLimits): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(limits)) {
    if (k !== 'edxml' && v !== (DEFAULT_HUB_LIMITS as unknown as Record<string, unknown>)[k]) out.push(`${k}=${String(v)}`);
  }
  for (const [k, v] of Object.entries(limits.edxml)) {
    if (v !== (DEFAULT_HUB_LIMITS.edxml as unknown as Record<string, unknown>)[k]) out.push(`edxml.${k}=${String(v)}`);
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
