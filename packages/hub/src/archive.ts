// Retention: documents whose deliveries have all ended are moved, with a prefix of the evidence chain, into
// self-contained archive files (archive-file.ts) and out of the live store, which keeps their rows and
// timelines and a checkpoint of the chain. `vdxp archive`, and `vdxp serve --archive-after` hourly, run it.
//
// One cut, and why each crash leaves the old state or the new one:
//   1. the segment: events [first live .. S], S before the first event at/after the cutoff and before the
//      acceptance of the oldest document that may not go yet (store.archivableSegment);
//   2. the file, written to .<name>.tmp (0600), fsynced, renamed, the folder fsynced, then read back and
//      verified whole. A crash up to here leaves a file no checkpoint names: the store is untouched, and the
//      next run rewrites the same name (or names another range);
//   3. ONE transaction: the archive:created event, the segment's events deleted, the checkpoint (file name,
//      SHA-256, end hash), the documents marked archived, their inline packets deleted. All or nothing;
//   4. after it, packet files no live document names are removed, each under a transaction (so a document
//      naming the same digest commits either before the check, and the file stays, or after the removal, and
//      intake puts its own file in place). A crash here leaves files the next run removes first.
// Only one run works on a data folder at a time (a lock file naming its process), so two runs never write
// the same file name or cut the same segment.

import { statSync } from 'node:fs';
import { chmod, mkdir, open, readdir, readFile, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ARCHIVE_EXTENSION, ARCHIVE_FORMAT, ARCHIVE_VERSION, TarWriter, eventLine, verifyArchiveFile,
  type ArchiveFileReport, type ArchiveManifest, type ArchiveProblem, type ArchivedDocument,
} from './archive-file.ts';
import { record, type HubContext } from './context.ts';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, syncDir } from './data-folder.ts';
import { GENESIS_HASH, type ArchiveSegment, type Checkpoint, type StatusEntry, type Store } from './store/store.ts';

/** How often `vdxp serve --archive-after` looks for something to archive. */
export const ARCHIVE_INTERVAL_MS = 3600_000;
/** The archive folder inside a data folder. */
export const ARCHIVE_DIR_NAME = 'archive';
const LOCK_FILE = '.lock';
/** Rows read per store call while a file is written: events, then documents (each with its deliveries). */
const EVENT_PAGE = 5000;
const DOCUMENT_PAGE = 500;
/** Packet files removed per transaction after a cut: each holds the write lock for its few unlinks. */
const REMOVE_BATCH = 100;

export class ArchiveError extends Error {
  override readonly name = 'ArchiveError';
}

export interface ArchiveOptions {
  /** data/archive of the hub's data folder. */
  archiveDir: string;
  /** Documents received, and events written, this long before the hub's clock are archived. */
  olderThanMs: number;
  /** Who ran it, for the evidence log. */
  actor: string;
  /** A segment shorter than this is left for a later run (the schedule's limits.archiveScheduledEventsMin). */
  eventsMin?: number;
}

export interface ArchiveMade {
  file: string;
  path: string;
  sha256: string;
  firstSeq: number;
  lastSeq: number;
  events: number;
  documents: number;
  packets: number;
  /** Bytes of the packets written into the file. */
  packetBytes: number;
  /** Bytes removed from the live store: inline packets and packet files no live document names. */
  bytesFreed: number;
  fileBytes: number;
}

export interface ArchiveRun {
  cutoff: number;
  archives: ArchiveMade[];
  /** True when the run stopped at limits.archiveFilesPerRunMax with more to archive. */
  more: boolean;
  /** Archive files no checkpoint names (left by an interrupted run, or copied in); never removed by vdxp. */
  unnamedFiles: string[];
  /** Bytes of packet files an interrupted run had cut but not yet removed, removed by this one. */
  leftoverBytes: number;
}

export const archiveFileName = (s: Pick<ArchiveSegment, 'firstSeq' | 'lastSeq'>): string =>
  `${String(s.firstSeq).padStart(12, '0')}-${String(s.lastSeq).padStart(12, '0')}${ARCHIVE_EXTENSION}`;

/** Archives everything archivable at the hub's clock minus `olderThanMs`, one file per segment. */
export async function archive(ctx: HubContext, o: ArchiveOptions): Promise<ArchiveRun> {
  if (!Number.isFinite(o.olderThanMs) || o.olderThanMs < 0) throw new ArchiveError('the archival age must be a duration of zero or more');
  // Tightened even when it exists: an archive holds the documents themselves.
  await mkdir(o.archiveDir, { recursive: true, mode: PRIVATE_DIR_MODE });
  await chmod(o.archiveDir, PRIVATE_DIR_MODE);
  const release = await takeLock(o.archiveDir);
  try {
    for (const name of await readdir(o.archiveDir)) if (name.endsWith('.tmp')) await rm(join(o.archiveDir, name), { force: true });
    // A crash after the last cut's commit may have left some of its packet files: finish removing them.
    const last = (await ctx.store.checkpoints()).at(-1);
    const leftoverBytes = last === undefined ? 0 : await removeUnnamedFiles(ctx, await ctx.store.unnamedDigestsOf(last.file));
    const cutoff = ctx.clock.now() - o.olderThanMs;
    const archives: ArchiveMade[] = [];
    let more = false;
    for (;;) {
      if (archives.length >= ctx.limits.archiveFilesPerRunMax) { more = (await ctx.store.archivableSegment(cutoff, 1)) !== undefined; break; }
      const made = await archiveSegment(ctx, o, cutoff);
      if (made === undefined) break;
      archives.push(made);
    }
    const named = new Set((await ctx.store.checkpoints()).map((c) => c.file));
    const unnamedFiles = (await readdir(o.archiveDir)).filter((n) => n.endsWith(ARCHIVE_EXTENSION) && !named.has(n)).sort();
    return { cutoff, archives, more, unnamedFiles, leftoverBytes };
  } finally {
    await release();
  }
}

async function archiveSegment(ctx: HubContext, o: ArchiveOptions, cutoff: number): Promise<ArchiveMade | undefined> {
  const segment = await ctx.store.archivableSegment(cutoff, ctx.limits.archiveEventsMax);
  if (segment === undefined || segment.lastSeq - segment.firstSeq + 1 < (o.eventsMin ?? 1)) return undefined;
  // The file's own check covers the chain inside the segment; this is its link to what was cut before.
  const continues = (await ctx.store.checkpoints()).at(-1)?.hash ?? GENESIS_HASH;
  if (segment.prevHash !== continues) {
    throw new ArchiveError(`event ${segment.firstSeq} does not continue the last checkpoint: run "vdxp audit verify"; nothing was archived`);
  }
  const file = archiveFileName(segment);
  const path = join(o.archiveDir, file);
  const tmp = join(o.archiveDir, `.${file}.tmp`);
  const createdAt = ctx.clock.now();
  let manifest: ArchiveManifest;
  const fh = await open(tmp, 'w', PRIVATE_FILE_MODE);
  try {
    // Explicitly: the mode open() was given is narrowed by the umask, and the file must be exactly 0600.
    await fh.chmod(PRIVATE_FILE_MODE);
    manifest = await writeArchive(ctx, new TarWriter(fh, createdAt), segment, createdAt);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  await rename(tmp, path);
  await syncDir(o.archiveDir);
  // Read back from the disk and checked whole before anything is cut: the cut never names a bad file.
  const check = await verifyArchiveFile(path, ctx.limits.archiveLineBytesMax);
  if (!check.ok) throw new ArchiveError(`the archive just written does not verify (${describeProblems(check.problems)}); nothing was cut`);
  const checkpoint: Checkpoint = {
    firstSeq: segment.firstSeq, lastSeq: segment.lastSeq, prevHash: segment.prevHash, hash: manifest.hash,
    file, sha256: check.sha256, documents: manifest.documents, createdAt,
  };
  const cut = await ctx.store.transaction(async (tx) => {
    await record(ctx, tx, { type: 'archive:created', actor: o.actor, data: {
      file, sha256: check.sha256, firstSeq: segment.firstSeq, lastSeq: segment.lastSeq, prevHash: segment.prevHash, hash: manifest.hash,
      documents: manifest.documents, packets: manifest.packets,
    } });
    return tx.cutArchive(checkpoint);
  });
  const bytesFreed = cut.inlineBytes + await removeUnnamedFiles(ctx, cut.unnamedDigests);
  return {
    file, path, sha256: check.sha256, firstSeq: segment.firstSeq, lastSeq: segment.lastSeq, events: manifest.events,
    documents: manifest.documents, packets: manifest.packets, packetBytes: manifest.packetBytes, bytesFreed, fileBytes: statSync(path).size,
  };
}

/** Removes the packet files of these digests that no live document names; returns the bytes freed. */
async function removeUnnamedFiles(ctx: HubContext, digests: readonly string[]): Promise<number> {
  let bytesFreed = 0;
  for (let i = 0; i < digests.length; i += REMOVE_BATCH) {
    const batch = digests.slice(i, i + REMOVE_BATCH);
    bytesFreed += await ctx.store.transaction(async (tx) => {
      let freed = 0;
      for (const digest of batch) {
        if (await tx.digestReferenced(digest)) continue;
        freed += await ctx.blobs.removePacket(tx, digest);
      }
      return freed;
    });
  }
  return bytesFreed;
}

async function writeArchive(ctx: HubContext, w: TarWriter, s: ArchiveSegment, createdAt: number): Promise<ArchiveManifest> {
  const store = ctx.store;
  await w.begin('events.jsonl', true);
  let events = 0;
  let hash = s.prevHash;
  for (let after = s.firstSeq - 1; after < s.lastSeq;) {
    const page = await store.events(after, EVENT_PAGE);
    const first = page[0];
    if (first === undefined || first.seq !== after + 1) throw new ArchiveError(`event ${after + 1} left the live chain while it was archived; archive again`);
    for (const e of page) {
      if (e.seq > s.lastSeq) break;
      await w.write(Buffer.from(eventLine(e)));
      events++;
      hash = e.hash;
      after = e.seq;
    }
  }
  const eventsEntry = await w.end();

  await w.begin('documents.jsonl', true);
  const digests = new Map<string, number>();
  let documents = 0;
  for (let after = 0; ;) {
    const page = await store.documentsAcceptedIn(s.firstSeq, s.lastSeq, after, DOCUMENT_PAGE);
    if (page.length === 0) break;
    for (const document of page) {
      const deliveries = await store.deliveriesOfDocument(document.id);
      const statuses: StatusEntry[] = [];
      for (const d of deliveries) statuses.push(...(await store.statusHistory(d.id)));
      const line: ArchivedDocument = { document, deliveries, statuses };
      await w.write(Buffer.from(`${JSON.stringify(line)}\n`));
      documents++;
      digests.set(document.digest, document.bytes);
      after = document.seq;
    }
  }
  const documentsEntry = await w.end();

  let packetBytes = 0;
  for (const [digest, bytes] of digests) {
    await w.begin(`packets/${digest}`);
    // BlobStore.open checks the digest while streaming: a packet that changed is refused, not archived.
    for await (const chunk of await ctx.blobs.open(digest, bytes)) await w.write(chunk as Buffer);
    packetBytes += (await w.end()).size;
  }

  const manifest: ArchiveManifest = {
    format: ARCHIVE_FORMAT, version: ARCHIVE_VERSION, firstSeq: s.firstSeq, lastSeq: s.lastSeq, prevHash: s.prevHash, hash, createdAt,
    events, documents, packets: digests.size, packetBytes,
    sha256: { events: eventsEntry.sha256 ?? '', documents: documentsEntry.sha256 ?? '' },
  };
  await w.begin('archive.json');
  await w.write(Buffer.from(`${JSON.stringify(manifest, null, 1)}\n`));
  await w.end();
  await w.finish();
  return manifest;
}

export interface ArchiveReport extends ArchiveFileReport {
  /** With the live store: whether a checkpoint names this file's range, end hash and SHA-256. */
  checkpoint: 'matches' | 'differs' | 'absent' | 'not checked';
}

/**
 * `vdxp audit verify --archive FILE`: the file on its own (archive-file.ts), and with the live store, that a
 * checkpoint ends at the file's last event with its end hash, start hash, document count and SHA-256: so a
 * file rewritten consistently (every hash recomputed) is still found out.
 */
export async function verifyArchive(path: string, lineBytesMax: number, store?: Pick<Store, 'checkpoints'>): Promise<ArchiveReport> {
  const r = await verifyArchiveFile(path, lineBytesMax);
  if (store === undefined || r.manifest === undefined) return { ...r, checkpoint: 'not checked' };
  const m = r.manifest;
  const c = (await store.checkpoints()).find((x) => x.lastSeq === m.lastSeq);
  const problems: ArchiveProblem[] = [...r.problems];
  let checkpoint: ArchiveReport['checkpoint'] = 'matches';
  if (c === undefined) {
    checkpoint = 'absent';
    problems.push({ at: 'checkpoint', reason: `no checkpoint of the live store ends at event ${m.lastSeq}: this file was never cut from it` });
  } else {
    const fields: [string, unknown, unknown][] = [
      ['sha256', r.sha256, c.sha256], ['hash', m.hash, c.hash], ['prevHash', m.prevHash, c.prevHash], ['firstSeq', m.firstSeq, c.firstSeq],
      ['documents', r.documents, c.documents],
    ];
    for (const [field, got, want] of fields) {
      if (got === want) continue;
      checkpoint = 'differs';
      problems.push({ at: 'checkpoint', reason: `the file's ${field} is ${String(got)}, the live checkpoint (${c.file}) recorded ${String(want)}` });
    }
  }
  return { ...r, problems, ok: problems.length === 0, checkpoint };
}

/**
 * Runs `archive` every `intervalMs`, never two at once, cutting only segments of at least
 * limits.archiveScheduledEventsMin events (unless `eventsMin` says otherwise); stop() waits for a run in progress.
 */
export interface ArchiveSchedule {
  stop(): Promise<void>;
}

export function startArchiveSchedule(ctx: HubContext, o: ArchiveOptions & {
  intervalMs?: number;
  /** Told after every run, with its result or its failure. */
  onRun: (run: ArchiveRun | undefined, error?: unknown) => void;
}): ArchiveSchedule {
  let running: Promise<void> | undefined;
  const tick = (): void => {
    if (running !== undefined) return;
    running = archive(ctx, { eventsMin: ctx.limits.archiveScheduledEventsMin, ...o }).then((run) => { o.onRun(run); }, (e: unknown) => { o.onRun(undefined, e); })
      .finally(() => { running = undefined; });
  };
  const timer = setInterval(tick, o.intervalMs ?? ARCHIVE_INTERVAL_MS);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

export function describeProblems(problems: readonly ArchiveProblem[]): string {
  return problems.slice(0, 3).map((p) => `${p.at}: ${p.reason}`).join('; ');
}

/**
 * One archiving process per data folder: a lock file holding the process id, created exclusively. A lock whose
 * process is gone (a crash) is taken over; one held by a live process (or this one) refuses the run.
 */
async function takeLock(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    try {
      const fh = await open(path, 'wx', PRIVATE_FILE_MODE);
      await fh.chmod(PRIVATE_FILE_MODE);
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      return () => unlink(path).catch(() => undefined);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw e;
    }
    const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (Number.isSafeInteger(pid) && pid > 0 && processAlive(pid)) {
      throw new ArchiveError(`another archive run (process ${pid}) is working on ${dir}; try again when it ends`);
    }
    await rm(path, { force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
