// Every bound the hub enforces, in one place, units last in the name. The edxml limits (packet shape) are
// taken from @vdxp/edxml and may be overridden here per deployment.

import { DEFAULT_LIMITS as EDXML_DEFAULTS, type EdxmlLimits } from '@vdxp/edxml';

export interface HubLimits {
  edxml: EdxmlLimits;
  /** Recipients of one packet after de-duplication. */
  recipientsMax: number;
  /** Items in one inbox or list page. */
  pageSizeMax: number;
  pageSizeDefault: number;
  /** Longest a long-poll may wait. */
  longPollSecondsMax: number;
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
  /** Agencies one system may act for. */
  systemAgenciesMax: number;
  /** Agencies in one import file. */
  importAgenciesMax: number;
  /** VDXP API: how far a signed XroadVnpt-timestamp may be from the hub's clock, either way (skew and replay window). */
  vdxpReplayWindowSeconds: number;
  /** VDXP API: signatures remembered to refuse their reuse within the window (in memory, one process). */
  vdxpReplayCacheMax: number;
  /** VDXP API: the headers of one part of a multipart sendEdoc body. */
  vdxpPartHeaderBytesMax: number;
  /** VDXP API: registry rows read per page while an agency list streams (memory held vs. queries made). */
  vdxpRegistryPageRows: number;
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
}

export const DEFAULT_HUB_LIMITS: Readonly<HubLimits> = Object.freeze({
  edxml: { ...EDXML_DEFAULTS, packetBytesMax: 1024 * 1024 * 1024 },
  recipientsMax: 1000,
  pageSizeMax: 1000,
  pageSizeDefault: 100,
  longPollSecondsMax: 60,
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
  systemAgenciesMax: 20_000,
  importAgenciesMax: 500_000,
  vdxpReplayWindowSeconds: 300,
  vdxpReplayCacheMax: 200_000,
  vdxpPartHeaderBytesMax: 16 * 1024,
  vdxpRegistryPageRows: 2_000,
  // The cut's transaction holds the write lock while it marks documents, drops their inline packets and deletes
  // the events: measured (scripts/archive-measure.ts, 2 CPUs at load ~16) 1.9 s for 10,003 events / 5,000
  // inline documents (0.6 s marking, 1.0 s dropping 56 MiB of inline packets), 21 s for 40,003 / 20,000.
  // 10,000 keeps intake's wait near a second even on a loaded machine.
  archiveEventsMax: 10_000,
  archiveFilesPerRunMax: 100,
  archiveScheduledEventsMin: 1_000,
  // A document line carries its deliveries (up to recipientsMax) with their statuses: ~0.5 KB each.
  archiveLineBytesMax: 16 * 1024 * 1024,
});

export function hubLimits(overrides?: Partial<Omit<HubLimits, 'edxml'>> & { edxml?: Partial<EdxmlLimits> }): HubLimits {
  return { ...DEFAULT_HUB_LIMITS, ...overrides, edxml: { ...DEFAULT_HUB_LIMITS.edxml, ...overrides?.edxml } };
}
