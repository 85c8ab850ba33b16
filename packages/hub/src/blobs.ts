// Content-addressed packet files: blobs/<first two hex>/<sha256>. A packet is staged in tmp/ and fsynced
// while it is parsed, and moved into place only after the database committed its document, so a crash can
// leave a staged file (recovered or removed at start) but never a blob that no document references.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import type { Random } from './clock.ts';
import { HubError } from './errors.ts';

export interface StagedBlob {
  readonly path: string;
  digest: string;
  bytes: number;
}

export class BlobWriter implements StagedBlob {
  readonly path: string;
  digest = '';
  bytes = 0;
  readonly #hash = createHash('sha256');
  #file: FileHandle | undefined;
  #opening: Promise<FileHandle> | undefined;

  constructor(path: string) {
    this.path = path;
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.#opening ??= open(this.path, 'wx');
    this.#file ??= await this.#opening;
    this.#hash.update(chunk);
    this.bytes += chunk.byteLength;
    let at = 0;
    while (at < chunk.byteLength) at += (await this.#file.write(chunk, at)).bytesWritten;
  }

  /** Flushes the file to disk; after this the staged bytes survive a crash. */
  async finish(): Promise<StagedBlob> {
    this.#opening ??= open(this.path, 'wx');
    this.#file ??= await this.#opening;
    await this.#file.sync();
    await this.#file.close();
    this.digest = this.#hash.digest('hex');
    return this;
  }

  async abort(): Promise<void> {
    if (this.#opening) {
      const f = await this.#opening.catch(() => undefined);
      await f?.close().catch(() => undefined);
    }
    await rm(this.path, { force: true });
  }
}

export class BlobStore {
  readonly #root: string;
  readonly #random: Random;
  readonly #inFlight = new Map<string, { count: number; done: Promise<void>; resolve: () => void }>();

  constructor(root: string, random: Random) {
    this.#root = root;
    this.#random = random;
  }

  async init(): Promise<void> {
    await mkdir(join(this.#root, 'tmp'), { recursive: true });
    await mkdir(join(this.#root, 'blobs'), { recursive: true });
  }

  begin(): BlobWriter {
    return new BlobWriter(join(this.#root, 'tmp', `${this.#random.uuid()}.part`));
  }

  /** Stages bytes already in memory (hub-made packets). */
  async stage(bytes: Uint8Array): Promise<StagedBlob> {
    const w = this.begin();
    await w.write(bytes);
    return w.finish();
  }

  pathOf(digest: string): string {
    return join(this.#root, 'blobs', digest.slice(0, 2), digest);
  }

  /** Moves a staged blob into place, durably. Call after the document that names it has committed. */
  async commit(staged: StagedBlob): Promise<void> {
    const dir = join(this.#root, 'blobs', staged.digest.slice(0, 2));
    await mkdir(dir, { recursive: true });
    const final = this.pathOf(staged.digest);
    if (await exists(final)) {
      await rm(staged.path, { force: true });
      return;
    }
    await rename(staged.path, final);
    await syncDir(dir);
  }

  async discard(staged: { path: string }): Promise<void> {
    await rm(staged.path, { force: true });
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
   * Opens a blob for streaming, checking its digest as it goes: a mismatch errors the stream with
   * VDXP_E_BLOB_CORRUPT. A missing file is refused here, before a caller has sent any response header.
   */
  async open(digest: string): Promise<Readable> {
    await this.#inFlight.get(digest)?.done;
    let file: FileHandle;
    try {
      file = await open(this.pathOf(digest), 'r');
    } catch (e) {
      throw new HubError('VDXP_E_BLOB_CORRUPT', `Stored packet ${digest} cannot be read`, { cause: e });
    }
    const hash = createHash('sha256');
    // The last chunk is held back until the digest is checked, so a changed packet of the same length never
    // reaches a client complete: it is cut off before its end, whatever Content-Length promised.
    let held: Buffer | undefined;
    const check = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        const out = held;
        held = chunk;
        cb(null, out);
      },
      flush(cb) {
        const got = hash.digest('hex');
        if (got !== digest) { cb(new HubError('VDXP_E_BLOB_CORRUPT', `Stored packet ${digest} now hashes to ${got}`)); return; }
        cb(null, held);
      },
    });
    const src = file.createReadStream({ highWaterMark: 256 * 1024 });
    src.on('error', (e) => check.destroy(new HubError('VDXP_E_BLOB_CORRUPT', `Stored packet ${digest} cannot be read`, { cause: e })));
    check.on('close', () => { src.destroy(); });
    return src.pipe(check);
  }

  async hashOf(digest: string): Promise<string | undefined> {
    if (!(await exists(this.pathOf(digest)))) return undefined;
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(this.pathOf(digest))) hash.update(chunk as Buffer);
    return hash.digest('hex');
  }

  /**
   * After a crash: staged files whose document committed are moved into place; the rest are removed. Final
   * blobs no document names (none should exist) are removed too and counted.
   */
  async recover(referenced: Set<string>): Promise<{ completed: number; removedStaged: number; removedOrphans: number }> {
    let completed = 0;
    let removedStaged = 0;
    const tmp = join(this.#root, 'tmp');
    for (const name of await readdir(tmp)) {
      const path = join(tmp, name);
      const hash = createHash('sha256');
      for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
      const digest = hash.digest('hex');
      if (referenced.has(digest) && !(await exists(this.pathOf(digest)))) {
        await this.commit({ path, digest, bytes: 0 });
        completed++;
      } else {
        await rm(path, { force: true });
        removedStaged++;
      }
    }
    const orphans = (await this.list()).filter((d) => !referenced.has(d));
    for (const d of orphans) await rm(this.pathOf(d), { force: true });
    return { completed, removedStaged, removedOrphans: orphans.length };
  }

  async list(): Promise<string[]> {
    const out: string[] = [];
    const root = join(this.#root, 'blobs');
    for (const dir of await readdir(root)) out.push(...(await readdir(join(root, dir))));
    return out;
  }

  async stagedCount(): Promise<number> {
    return (await readdir(join(this.#root, 'tmp'))).length;
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
