// Large packets' bytes moved by a worker thread (blob-io-worker.mjs), so that hashing them (SHA-256: native but
// synchronous, ~0.5–1 GB/s here) and the file calls never stall the thread that parses bodies and serves requests.
//
// Staging: the body's chunks (~64 KiB as they come off the socket) are copied into slices of `sliceBytes` that
// are handed to the worker whole (transferred, not copied); it hashes each and writes it at its offset while the
// parser goes on, and gives the slice back once written. At most `slicesMax` slices exist per upload: when all
// are out, the next write waits (backpressure on the body), so memory stays bounded per upload. `finish`
// returns after the file's fsync and its folder's (so the file survives a crash under its name), with the digest
// of exactly the bytes written. Every `syncEveryBytes` written, the
// worker starts an fdatasync beside the writes (one at a time), so the disk writes while the body still arrives
// and that last fsync has only the tail left to write.
//
// Fetch: the worker reads `sliceBytes` at a time from a file handle the main thread opened (so a missing file is
// refused before any answer starts), hashes them, and transfers each slice; the main thread only pushes them on.
// The last slice is held back until the worker's digest matched, so a changed packet never leaves complete.

import { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { rm, type FileHandle } from 'node:fs/promises';
import { HubError } from './errors.ts';

export type BlobIoRequest =
  | { t: 'create'; id: number; path: string; slots: SharedArrayBuffer; sliceBytes: number; syncEveryBytes: number }
  | { t: 'write'; id: number; slot: number; length: number }
  | { t: 'finish'; id: number }
  | { t: 'abort'; id: number; path: string }
  | { t: 'read'; id: number; file: FileHandle; slots: SharedArrayBuffer; sliceBytes: number }
  | { t: 'more'; id: number; slot: number }
  | { t: 'cancel'; id: number };

export type BlobIoReply =
  | { t: 'opened'; id: number }
  | { t: 'free'; id: number; slot: number }
  | { t: 'finished'; id: number; digest: string; bytes: number }
  | { t: 'aborted'; id: number; message?: string }
  | { t: 'chunk'; id: number; slot: number; length: number }
  | { t: 'end'; id: number; digest: string; bytes: number }
  | { t: 'error'; id: number; message: string; code?: string };

type Listener = (m: BlobIoReply | { t: 'lost'; id: number; message: string }) => void;

/**
 * SharedArrayBuffers of slots kept for the next operations (bounds what idle uploads leave allocated: 16 × 4 MiB).
 * Enough for the uploads and fetches a busy hub runs at once: with 1 kept, each other operation made a new 4 MiB
 * buffer that only a garbage collection in both isolates frees, and 1 MB documents drove the server's peak RSS
 * from ~340 to ~930 MB (`npm run bench -- hub`, 300 × 1 MB); with 16, ~400 MB.
 */
const SPARE_SLOT_SETS_MAX = 16;
/** See read(). */
const COPY_OUT_BYTES = 64 * 1024;
const READ_AHEAD_SLICES = 2;

/** One worker per process, started on first use; it keeps the process alive only while an operation is open. */
export class BlobIo {
  readonly sliceBytes: number;
  readonly slicesMax: number;
  /** A staged file's background fdatasync every this many bytes; Infinity: only the fsync at its end. */
  readonly syncEveryBytes: number;
  #worker: Worker | undefined;
  readonly #listeners = new Map<number, Listener>();
  readonly #spare: SharedArrayBuffer[] = [];
  #nextId = 1;

  constructor(o: { sliceBytes: number; slicesMax: number; syncEveryBytes?: number }) {
    this.sliceBytes = o.sliceBytes;
    this.slicesMax = o.slicesMax;
    this.syncEveryBytes = o.syncEveryBytes ?? Number.POSITIVE_INFINITY;
  }

  post(m: BlobIoRequest, transfer: FileHandle[] = []): void {
    this.#start().postMessage(m, transfer);
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const w = new Worker(new URL('./blob-io-worker.mjs', import.meta.url));
    if (this.#listeners.size === 0) w.unref();
    w.on('message', (m: BlobIoReply) => this.#listeners.get(m.id)?.(m));
    const lost = (why: string): void => {
      if (this.#worker !== w) return;
      this.#worker = undefined;
      for (const [id, l] of [...this.#listeners]) l({ t: 'lost', id, message: `the packet I/O thread stopped: ${why}` });
    };
    w.on('error', (e: Error) => lost(e.message));
    w.on('exit', (code) => lost(`exit ${code}`));
    this.#worker = w;
    return w;
  }

  #listen(l: Listener): number {
    const id = this.#nextId++;
    this.#listeners.set(id, l);
    if (this.#listeners.size === 1) this.#worker?.ref();
    return id;
  }

  /** Ends an operation: its slots may serve the next one (the worker no longer touches them). */
  done(id: number, slots: SharedArrayBuffer | undefined): void {
    if (this.#listeners.delete(id) && this.#listeners.size === 0) this.#worker?.unref();
    if (slots !== undefined && this.#spare.length < SPARE_SLOT_SETS_MAX) this.#spare.push(slots);
  }

  #slots(): SharedArrayBuffer {
    return this.#spare.pop() ?? new SharedArrayBuffer(this.slicesMax * this.sliceBytes);
  }

  /** Creates `path` (0600, must not exist) and returns a sink for its bytes. */
  create(path: string): StagingSink {
    const slots = this.#slots();
    const holder: { sink?: StagingSink } = {};
    const id = this.#listen((m) => holder.sink?.receive(m));
    const sink = new StagingSink(this, id, path, slots);
    holder.sink = sink;
    this.post({ t: 'create', id, path, slots, sliceBytes: this.sliceBytes, syncEveryBytes: this.syncEveryBytes });
    return sink;
  }

  /**
   * Streams an open file (the handle is handed to the worker, which closes it) with its digest checked: the
   * worker reads and hashes each slice into a slot; this thread copies it out (the socket may hold a chunk for a
   * while) and gives the slot back. A new SharedArrayBuffer per slice, handed over without a copy, was tried:
   * the worker's small heap rarely collects, so they piled up (peak RSS 706 MB for a 524 MB fetch).
   */
  read(file: FileHandle, digest: string): Readable {
    const slots = this.#slots();
    // Two slices read ahead are enough to keep the worker busy while this thread pushes.
    const free = Array.from({ length: Math.min(READ_AHEAD_SLICES, this.slicesMax) }, (_, i) => i);
    let ended = false;
    let held: Buffer | undefined;
    let id = 0;
    const ask = (): void => {
      for (let slot = free.pop(); slot !== undefined; slot = free.pop()) this.post({ t: 'more', id, slot });
    };
    const end = (reuse: boolean): void => {
      ended = true;
      this.done(id, reuse ? slots : undefined);
    };
    const stream = new Readable({
      // A slice's worth waits here for the socket: the next is asked for while this much is still left to send,
      // not once the stream ran dry (with 64 KiB here, the socket waited for each read and hash of the worker).
      highWaterMark: this.sliceBytes,
      read: () => { if (!ended) ask(); },
      destroy: (err, cb) => {
        if (!ended) {
          this.post({ t: 'cancel', id });
          // The worker may still be reading into a slot: these are not reused.
          end(false);
        }
        cb(err);
      },
    });
    id = this.#listen((m) => {
      if (ended) return;
      if (m.t === 'chunk') {
        // Copied out in pieces of COPY_OUT_BYTES: malloc hands smaller blocks back sooner once collected (a 2 GB
        // fetch peaked at 260 MB RSS with 1 MiB copies).
        let more = true;
        for (let at = 0; at < m.length; at += COPY_OUT_BYTES) {
          const n = Math.min(COPY_OUT_BYTES, m.length - at);
          const piece = Buffer.allocUnsafe(n);
          piece.set(new Uint8Array(slots, m.slot * this.sliceBytes + at, n));
          if (held !== undefined) more = stream.push(held);
          held = piece;
        }
        free.push(m.slot);
        if (more) ask();
      } else if (m.t === 'end') {
        // Reads asked after the end are dropped by the worker, which never touches the slots again.
        end(true);
        if (m.digest !== digest) {
          stream.destroy(new HubError('VDXP_E_BLOB_CORRUPT', `Stored packet ${digest} now hashes to ${m.digest}`));
          return;
        }
        if (held !== undefined) stream.push(held);
        held = undefined;
        stream.push(null);
      } else if (m.t === 'error' || m.t === 'lost') {
        end(false);
        stream.destroy(new HubError('VDXP_E_BLOB_CORRUPT', `Stored packet ${digest} cannot be read: ${m.message}`));
      }
    });
    this.post({ t: 'read', id, file, slots, sliceBytes: this.sliceBytes }, [file]);
    return stream;
  }
}

/** The write side of one staged file; see the top of this file. */
export class StagingSink {
  readonly #io: BlobIo;
  readonly #id: number;
  readonly #path: string;
  readonly #slots: SharedArrayBuffer;
  readonly #free: number[];
  #current: number | undefined;
  #filled = 0;
  #error: Error | undefined;
  #waiting: (() => void) | undefined;
  #finished: { resolve: (r: { digest: string; bytes: number }) => void; reject: (e: Error) => void } | undefined;
  #aborted: (() => void) | undefined;
  /** The worker stopped: the file is closed with it and is removed from here. */
  #lost = false;
  #ended = false;
  #opened: { resolve: () => void; reject: (e: Error) => void } | undefined;
  /** Settles once the file exists (or could not be made). */
  readonly opened: Promise<void>;

  constructor(io: BlobIo, id: number, path: string, slots: SharedArrayBuffer) {
    this.#io = io;
    this.#id = id;
    this.#path = path;
    this.#slots = slots;
    this.#free = Array.from({ length: io.slicesMax }, (_, i) => i);
    this.opened = new Promise<void>((resolve, reject) => { this.#opened = { resolve, reject }; });
    this.opened.catch(() => undefined);
  }

  receive(m: BlobIoReply | { t: 'lost'; id: number; message: string }): void {
    if (m.t === 'opened') this.#opened?.resolve();
    else if (m.t === 'free') this.#free.push(m.slot);
    else if (m.t === 'finished') { this.#end(true); this.#finished?.resolve(m); }
    else if (m.t === 'aborted') { this.#end(true); this.#aborted?.(); }
    else if (m.t === 'error' || m.t === 'lost') {
      const e = Object.assign(new Error(m.message), m.t === 'error' && m.code !== undefined ? { code: m.code } : {});
      this.#error ??= e;
      this.#opened?.reject(e);
      this.#finished?.reject(e);
      if (m.t === 'lost') {
        this.#lost = true;
        if (this.#aborted) void rm(this.#path, { force: true }).finally(() => { this.#end(false); this.#aborted?.(); });
      }
    }
    const w = this.#waiting;
    this.#waiting = undefined;
    w?.();
  }

  #end(reuse: boolean): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#io.done(this.#id, reuse ? this.#slots : undefined);
  }

  /** Copies `chunk` in; waits only when every slot is out with the worker. */
  async write(chunk: Uint8Array): Promise<void> {
    const size = this.#io.sliceBytes;
    let at = 0;
    while (at < chunk.byteLength) {
      if (this.#error) throw this.#error;
      if (this.#current === undefined) {
        const slot = this.#free.pop();
        if (slot === undefined) {
          await new Promise<void>((r) => { this.#waiting = r; });
          continue;
        }
        this.#current = slot;
        this.#filled = 0;
      }
      const n = Math.min(chunk.byteLength - at, size - this.#filled);
      new Uint8Array(this.#slots, this.#current * size + this.#filled, n).set(chunk.subarray(at, at + n));
      this.#filled += n;
      at += n;
      if (this.#filled === size) this.#flush();
    }
  }

  #flush(): void {
    const slot = this.#current;
    if (slot === undefined) return;
    this.#current = undefined;
    if (this.#filled === 0) { this.#free.push(slot); return; }
    this.#io.post({ t: 'write', id: this.#id, slot, length: this.#filled });
  }

  /** Writes what is left, fsyncs and closes the file (its folder was fsynced since it was made): its digest and size. */
  finish(): Promise<{ digest: string; bytes: number }> {
    if (this.#error) return Promise.reject(this.#error);
    this.#flush();
    const p = new Promise<{ digest: string; bytes: number }>((resolve, reject) => { this.#finished = { resolve, reject }; });
    this.#io.post({ t: 'finish', id: this.#id });
    return p;
  }

  /** Closes and removes the file, whatever was written. */
  async abort(): Promise<void> {
    this.#current = undefined;
    // Finished (or the worker stopped): the file is closed, only its name is left to remove.
    if (this.#ended || this.#lost) {
      await rm(this.#path, { force: true });
      this.#end(false);
      return;
    }
    const p = new Promise<void>((r) => { this.#aborted = r; });
    this.#io.post({ t: 'abort', id: this.#id, path: this.#path });
    await p;
  }
}
