// The archive file format: a plain ustar tar (readable for decades with `tar`, no vdxp needed) written and read
// by hand in bounded memory, and its standalone verification. Entries, in this order:
//   events.jsonl      every event of the segment as stored (data is the stored JSON text the chain hashes)
//   documents.jsonl   each archived document's row with its deliveries and status history
//   packets/<sha256>  each archived packet's bytes, once per digest
//   archive.json      format, segment range, the hash before it and at its end, counts, the jsonl files' SHA-256
// archive.json comes last so the writer never holds the segment; a reader checks it against what it streamed.

import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { eventHash } from './store/event-hash.ts';
import type { DeliveryRow, DocumentRow, EventRow, StatusEntry } from './store/store.ts';

export const ARCHIVE_FORMAT = 'vdxp-archive';
export const ARCHIVE_VERSION = 1;
export const ARCHIVE_EXTENSION = '.vdxa';
const BLOCK = 512;
/** Writes are gathered up to this size: one event line per write() was a system call per event. */
const WRITE_BUFFER_BYTES = 256 * 1024;
/** archive.json is a few hundred bytes; anything near this is not one of ours. */
const MANIFEST_BYTES_MAX = 64 * 1024;
/** Problems listed in one report; the rest are counted. */
const PROBLEMS_MAX = 100;

export interface ArchiveManifest {
  format: typeof ARCHIVE_FORMAT;
  version: number;
  firstSeq: number;
  lastSeq: number;
  /** The hash the segment's first event links to: the genesis or the previous archive's `hash`. */
  prevHash: string;
  /** The hash of event lastSeq; the live chain, or the next archive, continues from it. */
  hash: string;
  createdAt: number;
  events: number;
  documents: number;
  packets: number;
  packetBytes: number;
  /** SHA-256 (hex) of the events.jsonl and documents.jsonl entries. */
  sha256: { events: string; documents: string };
}

export interface ArchivedDocument {
  document: DocumentRow;
  deliveries: DeliveryRow[];
  statuses: StatusEntry[];
}

/** One event as an archive line: the stored fields, with data as its stored JSON text. */
export function eventLine(e: EventRow): string {
  return `${JSON.stringify({ seq: e.seq, at: e.at, type: e.type, actor: e.actor, documentId: e.documentId, deliveryId: e.deliveryId, data: e.dataJson, prevHash: e.prevHash, hash: e.hash })}\n`;
}

/** Writes a tar through a file handle; an entry's header is written once its size is known (pwrite at its place). */
export class TarWriter {
  readonly #fh: FileHandle;
  readonly #mtimeSeconds: number;
  #pos = 0;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #entry: { name: string; at: number; size: number; hash: Hash | undefined } | undefined;

  constructor(fh: FileHandle, mtime: number) {
    this.#fh = fh;
    this.#mtimeSeconds = Math.floor(mtime / 1000);
  }

  /** Starts an entry; with `hashed`, end() returns the SHA-256 of its content. */
  async begin(name: string, hashed = false): Promise<void> {
    if (this.#entry) throw new Error(`assertion: entry ${this.#entry.name} is still open`);
    if (Buffer.byteLength(name) > 99) throw new Error(`assertion: tar entry name ${name} fits 99 bytes`);
    await this.#flush();
    this.#entry = { name, at: this.#pos, size: 0, hash: hashed ? createHash('sha256') : undefined };
    await this.#append(Buffer.alloc(BLOCK));
  }

  async write(chunk: Uint8Array): Promise<void> {
    const e = this.#entry;
    if (!e) throw new Error('assertion: an entry is open');
    e.size += chunk.byteLength;
    e.hash?.update(chunk);
    await this.#append(chunk);
  }

  async end(): Promise<{ size: number; sha256: string | undefined }> {
    const e = this.#entry;
    if (!e) throw new Error('assertion: an entry is open');
    this.#entry = undefined;
    const pad = (BLOCK - (e.size % BLOCK)) % BLOCK;
    if (pad > 0) await this.#append(Buffer.alloc(pad));
    await this.#flush();
    await writeAll(this.#fh, tarHeader(e.name, e.size, this.#mtimeSeconds), e.at);
    return { size: e.size, sha256: e.hash?.digest('hex') };
  }

  /** The end-of-archive marker: two zero blocks. */
  async finish(): Promise<void> {
    await this.#append(Buffer.alloc(2 * BLOCK));
    await this.#flush();
  }

  async #append(chunk: Uint8Array): Promise<void> {
    if (chunk.byteLength >= WRITE_BUFFER_BYTES) {
      await this.#flush();
      await writeAll(this.#fh, chunk, this.#pos);
      this.#pos += chunk.byteLength;
      return;
    }
    this.#pending.push(Buffer.from(chunk));
    this.#pendingBytes += chunk.byteLength;
    if (this.#pendingBytes >= WRITE_BUFFER_BYTES) await this.#flush();
  }

  async #flush(): Promise<void> {
    if (this.#pendingBytes === 0) return;
    const all = Buffer.concat(this.#pending, this.#pendingBytes);
    this.#pending = [];
    this.#pendingBytes = 0;
    await writeAll(this.#fh, all, this.#pos);
    this.#pos += all.byteLength;
  }
}

async function writeAll(fh: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.byteLength) done += (await fh.write(bytes, done, bytes.byteLength - done, position + done)).bytesWritten;
}

function tarHeader(name: string, size: number, mtimeSeconds: number): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, 'utf8');
  h.write('0000600\0', 100, 'ascii');
  h.write('0000000\0', 108, 'ascii');
  h.write('0000000\0', 116, 'ascii');
  if (size < 8 ** 11) h.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'ascii');
  else {
    // GNU base-256 size (GNU tar and bsdtar read it): events.jsonl of a large segment may pass 8 GiB.
    h[124] = 0x80;
    h.writeBigUInt64BE(BigInt(size), 128);
  }
  h.write(`${mtimeSeconds.toString(8).padStart(11, '0')}\0`, 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write('0', 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

interface EntrySink {
  write(chunk: Buffer): void;
  end(): void;
}

/** Streams a tar: each entry's content goes to the sink `onEntry` returns. Holds at most one block of header. */
class TarReader {
  readonly #onEntry: (name: string, size: number) => EntrySink;
  readonly #onProblem: (reason: string) => void;
  #header = Buffer.alloc(0);
  #entry: { sink: EntrySink; left: number; pad: number } | undefined;
  #offset = 0;
  ended = false;
  broken = false;

  constructor(onEntry: (name: string, size: number) => EntrySink, onProblem: (reason: string) => void) {
    this.#onEntry = onEntry;
    this.#onProblem = onProblem;
  }

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length && !this.ended && !this.broken) {
      const e = this.#entry;
      if (e && e.left > 0) {
        const n = Math.min(e.left, chunk.length - at);
        e.sink.write(chunk.subarray(at, at + n));
        e.left -= n;
        at += n;
        if (e.left === 0) e.sink.end();
        continue;
      }
      if (e && e.pad > 0) {
        const n = Math.min(e.pad, chunk.length - at);
        e.pad -= n;
        at += n;
        continue;
      }
      this.#entry = undefined;
      const n = Math.min(BLOCK - this.#header.length, chunk.length - at);
      this.#header = Buffer.concat([this.#header, chunk.subarray(at, at + n)]);
      at += n;
      if (this.#header.length < BLOCK) continue;
      const h = this.#header;
      this.#header = Buffer.alloc(0);
      const headerAt = this.#offset + at - BLOCK;
      if (h.every((b) => b === 0)) { this.ended = true; continue; }
      const parsed = parseHeader(h);
      if (typeof parsed === 'string') { this.#onProblem(`file: the tar header at byte ${headerAt} ${parsed}`); this.broken = true; continue; }
      const sink = this.#onEntry(parsed.name, parsed.size);
      this.#entry = { sink, left: parsed.size, pad: (BLOCK - (parsed.size % BLOCK)) % BLOCK };
      if (parsed.size === 0) sink.end();
    }
    this.#offset += chunk.length;
  }

  close(): void {
    if (this.broken) return;
    if (this.#entry && this.#entry.left > 0) this.#onProblem('file: it ends inside an entry (truncated)');
    else if (!this.ended) this.#onProblem('file: it has no end-of-archive marker (truncated)');
  }
}

function parseHeader(h: Buffer): { name: string; size: number } | string {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (h[i] ?? 0);
  const stored = parseInt(h.toString('ascii', 148, 156).replace(/[\0 ]+$/, ''), 8);
  if (stored !== sum) return 'fails its checksum';
  if (h.toString('ascii', 257, 262) !== 'ustar') return 'is not a ustar header';
  const field = (from: number, to: number): string => { const s = h.subarray(from, to); const z = s.indexOf(0); return s.toString('utf8', 0, z < 0 ? s.length : z); };
  const prefix = field(345, 500);
  const name = prefix === '' ? field(0, 100) : `${prefix}/${field(0, 100)}`;
  const size = (h[124] ?? 0) & 0x80 ? Number(h.readBigUInt64BE(128)) : parseInt(h.toString('ascii', 124, 136).replace(/[\0 ]+$/, ''), 8);
  if (!Number.isSafeInteger(size) || size < 0) return 'has no valid size';
  return { name, size };
}

/** Splits an entry into lines, holding at most `maxBytes` of one line. */
class LineSink implements EntrySink {
  readonly hash = createHash('sha256');
  readonly #onLine: (line: string, n: number) => void;
  readonly #maxBytes: number;
  readonly #onProblem: (reason: string) => void;
  #parts: Buffer[] = [];
  #partBytes = 0;
  #n = 0;
  #tooLong = false;

  constructor(onLine: (line: string, n: number) => void, maxBytes: number, onProblem: (reason: string) => void) {
    this.#onLine = onLine;
    this.#maxBytes = maxBytes;
    this.#onProblem = onProblem;
  }

  write(chunk: Buffer): void {
    this.hash.update(chunk);
    let at = 0;
    for (let nl = chunk.indexOf(0x0a, at); nl >= 0; nl = chunk.indexOf(0x0a, at)) {
      this.#take(chunk.subarray(at, nl));
      this.#emit();
      at = nl + 1;
    }
    this.#take(chunk.subarray(at));
  }

  end(): void {
    if (this.#partBytes > 0 || this.#tooLong) this.#emit();
  }

  #take(part: Buffer): void {
    if (this.#tooLong || part.length === 0) return;
    if (this.#partBytes + part.length > this.#maxBytes) { this.#tooLong = true; this.#parts = []; this.#partBytes = 0; return; }
    this.#parts.push(Buffer.from(part));
    this.#partBytes += part.length;
  }

  #emit(): void {
    this.#n++;
    if (this.#tooLong) this.#onProblem(`line ${this.#n} is longer than limits.archiveLineBytesMax`);
    else this.#onLine(Buffer.concat(this.#parts, this.#partBytes).toString('utf8'), this.#n);
    this.#parts = [];
    this.#partBytes = 0;
    this.#tooLong = false;
  }
}

export interface ArchiveProblem {
  /** Where: `event <seq>`, `document <id>`, `packet <sha256>`, `archive.json` or `file`. */
  at: string;
  reason: string;
}

export interface ArchiveFileReport {
  ok: boolean;
  /** SHA-256 (hex) of the whole file, as a checkpoint records it. */
  sha256: string;
  manifest: ArchiveManifest | undefined;
  events: number;
  documents: number;
  packets: number;
  problems: ArchiveProblem[];
  /** Problems found beyond the ones listed. */
  moreProblems: number;
}

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Checks one archive file on its own, streaming it once: the events form a chain (each hash recomputed, each
 * prev_hash the previous hash); every archived document was accepted in the segment with the digest its row
 * names; every packet hashes to its name and every accepted digest has one; archive.json matches all that (range,
 * start and end hash, counts, the SHA-256 of both jsonl entries). Whether the file is the one the live store cut
 * is a separate check (verifyArchive in archive.ts), against the checkpoint's SHA-256.
 */
export async function verifyArchiveFile(path: string, lineBytesMax: number): Promise<ArchiveFileReport> {
  const problems: ArchiveProblem[] = [];
  let moreProblems = 0;
  const problem = (at: string, reason: string): void => {
    if (problems.length < PROBLEMS_MAX) problems.push({ at, reason });
    else moreProblems++;
  };
  const order = ['events.jsonl', 'documents.jsonl', 'packets/', 'archive.json'];
  let stage = -1;
  let events = 0;
  let first: { seq: number; prevHash: string } | undefined;
  let prev: { seq: number; hash: string } | undefined;
  let chainBroken = false;
  const accepted = new Map<string, string>();
  const rows = new Set<string>();
  const needed = new Map<string, string>();
  const present = new Set<string>();
  let packets = 0;
  let manifestText = '';
  let eventsSha: string | undefined;
  let documentsSha: string | undefined;

  const onEntry = (name: string, size: number): EntrySink => {
    const want = name.startsWith('packets/') ? 2 : order.indexOf(name);
    if (want < 0) { problem('file', `unexpected entry ${name}`); return ignore; }
    if (want < stage || (want === stage && want !== 2)) problem('file', `entry ${name} is out of order or repeated`);
    stage = want;
    if (name === 'events.jsonl') {
      const sink: LineSink = new LineSink((line) => { events++; checkEvent(line); }, lineBytesMax, (r) => problem('file', `events.jsonl: ${r}`));
      return { write: (c) => sink.write(c), end: () => { sink.end(); eventsSha = sink.hash.digest('hex'); } };
    }
    if (name === 'documents.jsonl') {
      const sink: LineSink = new LineSink((line, n) => checkDocument(line, n), lineBytesMax, (r) => problem('file', `documents.jsonl: ${r}`));
      return { write: (c) => sink.write(c), end: () => { sink.end(); documentsSha = sink.hash.digest('hex'); } };
    }
    if (name === 'archive.json') {
      if (size > MANIFEST_BYTES_MAX) { problem('archive.json', 'it is too large to be a manifest'); return ignore; }
      return { write: (c) => { manifestText += c.toString('utf8'); }, end: () => undefined };
    }
    const digest = name.slice('packets/'.length);
    packets++;
    const hash = createHash('sha256');
    return {
      write: (c) => { hash.update(c); },
      end: () => {
        if (!HEX64.test(digest)) { problem('file', `entry ${name} is not named by a SHA-256`); return; }
        present.add(digest);
        if (hash.digest('hex') !== digest) problem(`packet ${digest}`, 'its bytes changed: they no longer hash to its name');
      },
    };
  };

  const checkEvent = (line: string): void => {
    let e: { seq: number; at: number; type: string; actor: string | null; documentId: string | null; deliveryId: string | null; data: string; prevHash: string; hash: string };
    try {
      e = JSON.parse(line) as typeof e;
    } catch {
      problem(`event after ${prev?.seq ?? 'the start'}`, 'the line is not JSON');
      chainBroken = true;
      return;
    }
    const where = `event ${e.seq}`;
    first ??= { seq: e.seq, prevHash: e.prevHash };
    if (!chainBroken) {
      if (prev !== undefined && e.seq !== prev.seq + 1) { problem(where, `event ${prev.seq + 1} is missing`); chainBroken = true; }
      else if (prev !== undefined && e.prevHash !== prev.hash) { problem(where, 'prev_hash does not name the previous event'); chainBroken = true; }
      else if (eventHash(e.prevHash, { ...e, dataJson: e.data }) !== e.hash) { problem(where, 'the event was changed after it was written'); chainBroken = true; }
    }
    if (e.type === 'document:accepted' && typeof e.documentId === 'string') {
      try {
        const digest = (JSON.parse(e.data) as { digest?: unknown }).digest;
        if (typeof digest === 'string') accepted.set(e.documentId, digest);
      } catch { /* a changed event: the hash check above reports it */ }
    }
    prev = { seq: e.seq, hash: e.hash };
  };

  const checkDocument = (line: string, n: number): void => {
    let d: ArchivedDocument;
    try {
      d = JSON.parse(line) as ArchivedDocument;
    } catch {
      problem(`document line ${n}`, 'the line is not JSON');
      return;
    }
    const id = d.document?.id;
    const digest = id === undefined ? undefined : accepted.get(id);
    if (id === undefined || digest === undefined) { problem(`document ${id ?? `line ${n}`}`, 'no acceptance event of the segment names it'); return; }
    rows.add(id);
    if (d.document.digest !== digest) problem(`document ${id}`, 'its row names another digest than its acceptance event');
    else if (!needed.has(digest)) needed.set(digest, id);
  };

  const fileHash = createHash('sha256');
  const reader = new TarReader(onEntry, (r) => problem('file', r.replace(/^file: /, '')));
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: WRITE_BUFFER_BYTES })) {
      fileHash.update(chunk as Buffer);
      reader.push(chunk as Buffer);
    }
    reader.close();
  } catch (e) {
    problem('file', `cannot be read: ${(e as Error).message}`);
  }

  for (const id of accepted.keys()) if (!rows.has(id)) problem(`document ${id}`, 'accepted in the segment, but its row is missing');
  for (const [digest, id] of needed) if (!present.has(digest)) problem(`packet ${digest}`, `the packet of document ${id} is missing`);
  let manifest: ArchiveManifest | undefined;
  try {
    manifest = JSON.parse(manifestText) as ArchiveManifest;
  } catch {
    problem('archive.json', 'it is missing or not JSON');
  }
  if (manifest !== undefined) {
    const expect: [string, unknown, unknown][] = [
      ['format', manifest.format, ARCHIVE_FORMAT], ['version', manifest.version, ARCHIVE_VERSION],
      ['firstSeq', manifest.firstSeq, first?.seq], ['lastSeq', manifest.lastSeq, prev?.seq],
      ['prevHash', manifest.prevHash, first?.prevHash], ['hash', manifest.hash, prev?.hash],
      ['events', manifest.events, events], ['documents', manifest.documents, rows.size], ['packets', manifest.packets, packets],
      ['sha256.events', manifest.sha256?.events, eventsSha], ['sha256.documents', manifest.sha256?.documents, documentsSha],
    ];
    for (const [field, got, want] of expect) if (got !== want) problem('archive.json', `${field} is ${JSON.stringify(got)}, the content says ${JSON.stringify(want)}`);
  }
  return {
    ok: problems.length === 0, sha256: fileHash.digest('hex'), manifest, events, documents: rows.size, packets, problems, moreProblems,
  };
}

const ignore: EntrySink = { write: () => undefined, end: () => undefined };
