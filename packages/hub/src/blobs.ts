// Packet bytes, content-addressed by SHA-256, kept in one of two places decided by size. A packet up to
// `inlinePacketBytesMax` is held in memory while it is parsed and written to the database in the transaction of
// its document (store: putInlineBlob), so the WAL commit makes it durable. A larger one is staged in tmp/ and
// fsynced while it is parsed (the file and tmp/, so it survives a crash under its staged name), and moved to
// blobs/<first two hex>/<sha256> only after the database committed its document, so a crash can leave a staged
// file (recovered or removed at start) but never a blob that no document references. A digest lives in one
// place, never both. Files are 0600 and folders 0700 (data-folder.ts).

import { createHash } from 'node:crypto';
import { createReadStream, existsSync, rmSync, statSync } from 'node:fs';
import { chmod, mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { BlobIo, type StagingSink } from './blob-io.ts';
import type { Random } from './clock.ts';
import { ensurePrivateDir, PRIVATE_DIR_MODE } from './data-folder.ts';
import { HubError } from './errors.ts';
import type { StoreOps } from './store/store.ts';

/**
 * Where packet bytes are kept: the one interface intake, delivery, audit and archive use. Two engines: this
 * file's BlobStore (small packets in the database, large ones as files in the data folder) and, on PostgreSQL,
 * store/postgres/packets.ts (small ones the same, large ones as chunks in the database).
 */
export interface PacketStore {
  /** A writer for one body: held in memory up to the inline limit, staged past it. */
  begin(): PacketWriter;
  /** Stages bytes already in memory (hub-made packets). */
  stage(bytes: Uint8Array): Promise<StagedBlob>;
  /** Inside the transaction of the document that names it: makes the staged packet commit with the document. */
  keep(tx: StoreOps, staged: StagedBlob): Promise<void>;
  /** After that transaction committed: whatever must follow (a file's rename); only then may 2xx be sent. */
  commit(staged: StagedBlob): Promise<void>;
  /** The document was not created (a resend, a refusal): drop what was staged. */
  discard(staged: StagedBlob): Promise<void>;
  /** Readers of `digest` wait until the returned function is called (the commit-to-rename instant of files). */
  announce(digest: string): () => void;
  /** Streams a packet, its digest checked on the way out (VDXP_E_BLOB_CORRUPT on a mismatch or a missing one). */
  open(digest: string, bytes: number): Promise<Readable>;
  /** The SHA-256 of the packet as kept now, or undefined when it is nowhere. */
  hashOf(digest: string): Promise<string | undefined>;
  /** At start (serving process only): completes or removes what a crash left staged. */
  recover(): Promise<{ completed: number; removedStaged: number }>;
  /** Periodically: removes staged uploads untouched for `idleMs` (only where other processes may stage too). */
  collectIdle(idleMs: number): Promise<number>;
  /** Large packets no live document names (for `vdxp audit verify`). */
  unreferencedFiles(): Promise<string[]>;
  /** The digest of every large packet. */
  list(): Promise<string[]>;
  stagedCount(): Promise<number>;
  /** Where a large packet is (a file path, or a name for messages), for operators and tests. */
  pathOf(digest: string): string;
  /** Inside a transaction that checked no live document names `digest`: removes its large packet; the bytes freed. */
  removePacket(tx: StoreOps, digest: string): Promise<number>;
}

export interface PacketWriter extends StagedBlob {
  write(chunk: Uint8Array): Promise<void>;
  finish(): Promise<StagedBlob>;
  abort(): Promise<void>;
}

export interface StagedBlob {
  readonly path: string;
  digest: string;
  bytes: number;
  /** The bytes when the packet is kept in the database with its document; undefined when it is a file. */
  inline: Uint8Array | undefined;
  /** Whether `path` was written (the body outgrew the inline limit): only then is there a file to move or remove. */
  readonly spilled: boolean;
}

export class BlobWriter implements PacketWriter {
  readonly path: string;
  digest = '';
  bytes = 0;
  inline: Uint8Array | undefined;
  readonly #inlineBytesMax: number;
  readonly #fileOf: (digest: string) => string;
  readonly #io: BlobIo;
  /** The body so far, while it fits the inline limit; undefined once it spilled to the staged file. */
  #held: Buffer | undefined = Buffer.alloc(0);
  /** The staged file's writer on the I/O thread, which hashes what it writes (the held bytes first). */
  #sink: StagingSink | undefined;

  constructor(path: string, inlineBytesMax: number, fileOf: (digest: string) => string, io: BlobIo) {
    this.path = path;
    this.#inlineBytesMax = inlineBytesMax;
    this.#fileOf = fileOf;
    this.#io = io;
  }

  get spilled(): boolean {
    return this.#sink !== undefined;
  }

  async write(chunk: Uint8Array): Promise<void> {
    const total = this.bytes + chunk.byteLength;
    if (this.#held !== undefined && total <= this.#inlineBytesMax) {
      // Copied: a caller may reuse its buffer for the next chunk. Doubling keeps the copies linear.
      if (total > this.#held.byteLength) {
        const grown = Buffer.allocUnsafe(Math.min(this.#inlineBytesMax, Math.max(total, 2 * this.#held.byteLength)));
        this.#held.copy(grown, 0, 0, this.bytes);
        this.#held = grown;
      }
      this.#held.set(chunk, this.bytes);
      this.bytes = total;
      return;
    }
    if (this.#held !== undefined) {
      // Past the limit: what was held goes to the staged file first, and the body continues there as before.
      const held = this.#held.subarray(0, this.bytes);
      this.#held = undefined;
      this.#sink = this.#io.create(this.path);
      // Once per upload: the staged file exists (0600) before the body goes on, and a folder that refuses it
      // refuses the upload now.
      await this.#sink.opened;
      await this.#sink.write(held);
    }
    await this.#sink?.write(chunk);
    this.bytes = total;
  }

  /**
   * Ends the body. A staged file is flushed to disk (after this its bytes survive a crash); held bytes become
   * `inline`, unless a file of the same digest is kept already (the limit was raised since): then that file
   * serves this document too, and nothing new is written.
   */
  async finish(): Promise<StagedBlob> {
    if (this.#held !== undefined) {
      const held = this.#held.subarray(0, this.bytes);
      this.#held = undefined;
      this.digest = createHash('sha256').update(held).digest('hex');
      // Synchronous on purpose: 1.5 µs here, against 0.13 ms for fs/promises' stat of a missing file (its
      // thread-pool round trip and ENOENT error), which was a tenth of a 10 KB submit.
      if (!existsSync(this.#fileOf(this.digest))) this.inline = held;
      return this;
    }
    const written = await this.#sink?.finish();
    if (written === undefined || written.bytes !== this.bytes) throw new Error(`assertion: the staged file holds the ${this.bytes} bytes written`);
    this.digest = written.digest;
    return this;
  }

  async abort(): Promise<void> {
    this.#held = undefined;
    await this.#sink?.abort();
  }
}

export interface BlobStoreOptions {
  root: string;
  random: Random;
  /** Where inline packets are read back (they are written inside intake's transaction, through its `tx`). */
  store: Pick<StoreOps, 'inlineBlob' | 'digestReferenced'>;
  inlinePacketBytesMax: number;
  /** Staged writes and fetch reads move in slices of this size, through the packet I/O thread (blob-io.ts). */
  blobSliceBytes: number;
  /** Slices one upload may have out at once (memory per upload: this × blobSliceBytes). */
  blobSlicesPerUploadMax: number;
  /** A staged file is fdatasynced in the background each time this many bytes were written (limits.ts). */
  blobSyncEveryBytes: number;
}

export class BlobStore implements PacketStore {
  readonly #root: string;
  readonly #random: Random;
  readonly #store: Pick<StoreOps, 'inlineBlob' | 'digestReferenced'>;
  readonly #inlineBytesMax: number;
  readonly #inFlight = new Map<string, { count: number; done: Promise<void>; resolve: () => void }>();
  readonly #io: BlobIo;

  constructor(o: BlobStoreOptions) {
    this.#io = new BlobIo({ sliceBytes: o.blobSliceBytes, slicesMax: o.blobSlicesPerUploadMax, syncEveryBytes: o.blobSyncEveryBytes });
    this.#root = o.root;
    this.#random = o.random;
    this.#store = o.store;
    this.#inlineBytesMax = o.inlinePacketBytesMax;
  }

  init(): void {
    ensurePrivateDir(join(this.#root, 'tmp'));
    ensurePrivateDir(join(this.#root, 'blobs'));
  }

  /** A writer for one body: held in memory up to the inline limit, staged to tmp/ past it. */
  begin(): BlobWriter {
    return new BlobWriter(join(this.#root, 'tmp', `${this.#random.uuid()}.part`), this.#inlineBytesMax, (d) => this.pathOf(d), this.#io);
  }

  /** Stages bytes already in memory (hub-made packets): inline when small, as they always are. */
  async stage(bytes: Uint8Array): Promise<StagedBlob> {
    const w = this.begin();
    await w.write(bytes);
    return w.finish();
  }

  pathOf(digest: string): string {
    return join(this.#root, 'blobs', digest.slice(0, 2), digest);
  }

  /**
   * Writes a small packet's bytes in its document's transaction. A large packet whose digest is kept inline
   * already (stored before the limit was lowered) is served from that row, and its staged file is dropped after
   * the commit, so a digest never lives in both places.
   */
  async keep(tx: StoreOps, staged: StagedBlob): Promise<void> {
    if (staged.inline !== undefined) await tx.putInlineBlob(staged.digest, staged.inline);
    else staged.inline = await tx.inlineBlob(staged.digest);
  }

  /** One process serves a data folder: what is staged is its own, and recover() at start handles it. */
  async collectIdle(_idleMs: number): Promise<number> {
    return 0;
  }

  /** File I/O inside the transaction, on purpose (archive.ts says why); synchronous, so nothing runs in between. */
  async removePacket(_tx: StoreOps, digest: string): Promise<number> {
    const file = this.pathOf(digest);
    try {
      const size = statSync(file).size;
      rmSync(file);
      return size;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      return 0;
    }
  }

  /**
   * Moves a staged blob into place. Call after the document that names it has committed. The rename is not
   * synced: the staged file and its name were (BlobWriter.finish), so if a crash loses the rename, start-up
   * finds the staged file, whose digest a document names, and moves it again (recover). That took one fsync per
   * large packet off the upload's answer. An inline one is in place already (its document's commit wrote it);
   * its staged file, if intake found the digest kept inline before (the limit was lowered since), is dropped.
   */
  async commit(staged: StagedBlob): Promise<void> {
    if (staged.inline !== undefined) {
      await this.discard(staged);
      return;
    }
    const final = this.pathOf(staged.digest);
    if (await exists(final)) {
      await this.discard(staged);
      return;
    }
    try {
      await rename(staged.path, final);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      // The first packet of its folder (one of 256): made then, not checked on every commit (a mkdir and a stat).
      const dir = join(this.#root, 'blobs', staged.digest.slice(0, 2));
      // mkdir's mode passes through the umask, which can only narrow 0700.
      if ((await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE })) !== undefined) await chmod(dir, PRIVATE_DIR_MODE);
      await rename(staged.path, final);
    }
  }

  async discard(staged: Pick<StagedBlob, 'path' | 'spilled'>): Promise<void> {
    if (staged.spilled) await rm(staged.path, { force: true });
  }

  /**
   * Says that a document naming `digest` is about to commit, so a reader that sees the document before the
   * blob is moved into place waits for it instead of failing. Call the returned function once the blob is in
   * place (or the document was refused).
   */
  announce(digest: string): () => void {
    let entry = this.#inFlight.get(digest);
    if (entry === undefined) {
      let resolve: () => void = () => undefined;
      const done = new Promise<void>((r) => { resolve = r; });
      entry = { count: 0, done, resolve };
      this.#inFlight.set(digest, entry);
    }
    entry.count++;
    const e = entry;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--e.count === 0) {
        this.#inFlight.delete(digest);
        e.resolve();
      }
    };
  }

  /**
   * Opens a packet for streaming, checking its digest on the way out: a mismatch is VDXP_E_BLOB_CORRUPT. It is
   * looked for first where a packet of `bytes` bytes is kept, then in the other place (the limit may have
   * changed since it was stored). A missing packet is refused here, before a caller has sent any header.
   */
  async open(digest: string, bytes: number): Promise<Readable> {
    const small = bytes <= this.#inlineBytesMax;
    const inline = small ? await this.#store.inlineBlob(digest) : undefined;
    if (inline !== undefined) return checkedInline(digest, inline);
    await this.#inFlight.get(digest)?.done;
    let file: FileHandle;
    try {
      file = await open(this.pathOf(digest), 'r');
    } catch (e) {
      const other = small ? undefined : await this.#store.inlineBlob(digest);
      if (other !== undefined) return checkedInline(digest, other);
      throw new HubError('VDXP_E_BLOB_CORRUPT', `Stored packet ${digest} cannot be read`, { cause: e });
    }
    // Read and hashed on the I/O thread in large slices; the last is held back until the digest is checked, so a
    // changed packet of the same length never reaches a client complete: it is cut off before its end.
    return this.#io.read(file, digest);
  }

  /** The SHA-256 of a stored packet as it is now (inline or file), or undefined when it is in neither place. */
  async hashOf(digest: string): Promise<string | undefined> {
    const inline = await this.#store.inlineBlob(digest);
    if (inline !== undefined) return createHash('sha256').update(inline).digest('hex');
    if (!(await exists(this.pathOf(digest)))) return undefined;
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(this.pathOf(digest))) hash.update(chunk as Buffer);
    return hash.digest('hex');
  }

  /**
   * After a crash: staged files whose document committed are moved into place; the rest are removed. The work
   * is bounded by the staged files (uploads in flight when the hub stopped), never by what the store holds:
   * each is hashed (its name is a random id; its digest is only known from its bytes) and looked up by that
   * digest. Final blobs are not scanned: a file reaches blobs/ only by a rename after its document committed,
   * so no crash leaves one that no document names (`vdxp audit verify` looks for such files on request).
   * Inline packets need nothing: they committed with their document or not at all.
   */
  async recover(): Promise<{ completed: number; removedStaged: number }> {
    let completed = 0;
    let removedStaged = 0;
    const tmp = join(this.#root, 'tmp');
    for (const name of await readdir(tmp)) {
      const path = join(tmp, name);
      const hash = createHash('sha256');
      for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
      const digest = hash.digest('hex');
      // A digest its document keeps inline needs no file (one staged before the limit was lowered).
      if (await this.#store.digestReferenced(digest) && !(await exists(this.pathOf(digest))) && (await this.#store.inlineBlob(digest)) === undefined) {
        await this.commit({ path, digest, bytes: 0, inline: undefined, spilled: true });
        completed++;
      } else {
        await rm(path, { force: true });
        removedStaged++;
      }
    }
    return { completed, removedStaged };
  }

  /**
   * Packet files no document names, found by walking blobs/ one subfolder at a time and asking the store per
   * file (memory bounded by one subfolder's names, not by the store). For operators (`vdxp audit verify`), not
   * start-up: the design leaves none, so one is a sign of changes made outside the hub.
   */
  async unreferencedFiles(): Promise<string[]> {
    const out: string[] = [];
    for await (const digest of this.#files()) if (!(await this.#store.digestReferenced(digest))) out.push(digest);
    return out;
  }

  /** The digest of every packet file. */
  async list(): Promise<string[]> {
    const out: string[] = [];
    for await (const digest of this.#files()) out.push(digest);
    return out;
  }

  async *#files(): AsyncGenerator<string> {
    const root = join(this.#root, 'blobs');
    for (const dir of await readdir(root)) yield* await readdir(join(root, dir));
  }

  async stagedCount(): Promise<number> {
    return (await readdir(join(this.#root, 'tmp'))).length;
  }
}

/** All the bytes are at hand, so a changed inline packet is refused before anything is sent, not cut off. */
function checkedInline(digest: string, bytes: Uint8Array): Readable {
  const got = createHash('sha256').update(bytes).digest('hex');
  if (got !== digest) throw new HubError('VDXP_E_BLOB_CORRUPT', `Stored packet ${digest} now hashes to ${got}`);
  return Readable.from([Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)], { objectMode: false });
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}
