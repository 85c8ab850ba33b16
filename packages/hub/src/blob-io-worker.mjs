// The thread behind blob-io.ts: it hashes (SHA-256) and writes the slices of staged packets, and reads and hashes
// the packets being fetched, so neither the digest nor the file calls run on the thread that parses and serves.
// Slices live in a SharedArrayBuffer per operation (a transferred ArrayBuffer cost ~0.7 ms per MiB to post; a
// slot number costs nothing). Each operation's steps run in the order they arrived; the file calls themselves go
// to libuv's thread pool.

//
// Plain JavaScript on purpose: a worker that loads a .ts file loads Node's type stripper (amaro, WebAssembly)
// into its own isolate, which measured 57.6 MB of RSS against 17.6 MB for this file as JavaScript, and the
// 2 GB packet's bound is 256 MB. The messages are typed in blob-io.ts (BlobIoRequest, BlobIoReply).

import { createHash } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parentPort } from 'node:worker_threads';

/** data-folder.ts's PRIVATE_FILE_MODE (not imported: that would load the type stripper here). */
const PRIVATE_FILE_MODE = 0o600;

/**
 * One operation: { hash, slots (SharedArrayBuffer), sliceBytes, file (Promise<FileHandle>: opened here for a
 * staged write, handed over by the main thread for a read), at (offset), tail (its steps, one after another),
 * failed, closed, made (the file was made here, so abort may remove it; a name that existed is never touched),
 * syncEveryBytes, unsynced (bytes written since the last background fdatasync began), syncing (that fdatasync,
 * a Promise that never rejects, or null), named (the fsync of a staged file's folder, begun once the file exists,
 * so that its name survives a crash too; a Promise that never rejects), syncError (the first failure of either,
 * reported by the finish) }.
 */

const port = parentPort;
if (port === null) throw new Error('blob-io-worker.mjs runs as a worker thread');
/** @type {Map<number, any>} */
const ops = new Map();

function reply(m) {
  port?.postMessage(m);
}

/** Queues `fn` after the operation's earlier steps; the first failure is reported once and ends the operation. */
function step(id, op, fn) {
  op.tail = op.tail.then(async () => {
    if (op.failed) return;
    try {
      await fn();
    } catch (e) {
      op.failed = true;
      const err = /** @type {NodeJS.ErrnoException} */ (e);
      reply({ t: 'error', id, message: err.message, ...(err.code !== undefined ? { code: err.code } : {}) });
      await close(op);
    }
  });
}

async function syncFolder(path) {
  const d = await open(path, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

async function close(op) {
  if (op.closed) return;
  op.closed = true;
  await op.syncing;
  await op.named;
  const f = await op.file.catch(() => undefined);
  await f?.close().catch(() => undefined);
}

function slot(op, n, length) {
  return new Uint8Array(op.slots, n * op.sliceBytes, length);
}

port.on('message', (m) => {
  switch (m.t) {
    case 'create': {
      // 0600 & ~umask: never more than the owner's; the umask can only take bits away.
      const file = open(m.path, 'wx', PRIVATE_FILE_MODE);
      file.catch(() => undefined);
      const op = {
        hash: createHash('sha256'), slots: m.slots, sliceBytes: m.sliceBytes, file, at: 0, tail: Promise.resolve(), failed: false, closed: false, made: false,
        syncEveryBytes: m.syncEveryBytes, unsynced: 0, syncing: null, named: undefined, syncError: undefined,
      };
      // The folder's fsync (the new name) runs beside the body's writes, not after the last of them: by the
      // finish it is usually done, so it no longer adds a sync to the upload's answer (it did, after the rename).
      op.named = file.then(() => syncFolder(dirname(m.path)), () => undefined).catch((e) => { op.syncError ??= e; });
      ops.set(m.id, op);
      step(m.id, op, async () => {
        await file;
        op.made = true;
        reply({ t: 'opened', id: m.id });
      });
      return;
    }
    case 'write': {
      const op = ops.get(m.id);
      if (!op) return;
      const view = slot(op, m.slot, m.length);
      // Hashed on arrival, in order; the write then goes to the thread pool while the next slice is hashed.
      if (!op.failed) op.hash.update(view);
      const at = op.at;
      op.at += m.length;
      step(m.id, op, async () => {
        const f = await op.file;
        let done = 0;
        while (done < view.byteLength) done += (await f.write(view, done, view.byteLength - done, at + done)).bytesWritten;
        // Not awaited: the next slices are written while the disk takes these (the thread pool runs both).
        op.unsynced += view.byteLength;
        if (op.unsynced >= op.syncEveryBytes && op.syncing === null) {
          op.unsynced = 0;
          op.syncing = f.datasync().then(() => undefined, (e) => { op.syncError ??= e; }).finally(() => { op.syncing = null; });
        }
      });
      // The slot goes back to its writer once written (or once the operation failed: it is not needed then).
      op.tail = op.tail.then(() => reply({ t: 'free', id: m.id, slot: m.slot }));
      return;
    }
    case 'finish': {
      const op = ops.get(m.id);
      if (!op) return;
      step(m.id, op, async () => {
        const f = await op.file;
        await op.syncing;
        await f.sync();
        await op.named;
        if (op.syncError) throw op.syncError;
        op.closed = true;
        await f.close();
        reply({ t: 'finished', id: m.id, digest: op.hash.digest('hex'), bytes: op.at });
      });
      op.tail = op.tail.then(() => { ops.delete(m.id); });
      return;
    }
    case 'abort': {
      const op = ops.get(m.id);
      ops.delete(m.id);
      void (op?.tail ?? Promise.resolve())
        .then(async () => {
          if (op) await close(op);
          if (op?.made) await rm(m.path, { force: true });
        })
        .then(() => reply({ t: 'aborted', id: m.id }), (e) => reply({ t: 'aborted', id: m.id, message: e.message }));
      return;
    }
    case 'read': {
      ops.set(m.id, { hash: createHash('sha256'), slots: m.slots, sliceBytes: m.sliceBytes, file: Promise.resolve(m.file), at: 0, tail: Promise.resolve(), failed: false, closed: false, made: false });
      return;
    }
    case 'more': {
      const op = ops.get(m.id);
      if (!op) return;
      step(m.id, op, async () => {
        if (op.closed) return;
        const f = await op.file;
        const view = slot(op, m.slot, op.sliceBytes);
        let got = 0;
        for (let n = -1; n !== 0 && got < view.byteLength; got += n) n = (await f.read(view, got, view.byteLength - got, op.at + got)).bytesRead;
        if (got === 0) {
          await close(op);
          ops.delete(m.id);
          reply({ t: 'end', id: m.id, digest: op.hash.digest('hex'), bytes: op.at });
          return;
        }
        op.hash.update(view.subarray(0, got));
        op.at += got;
        reply({ t: 'chunk', id: m.id, slot: m.slot, length: got });
      });
      return;
    }
    case 'cancel': {
      const op = ops.get(m.id);
      if (!op) return;
      op.failed = true;
      ops.delete(m.id);
      void op.tail.then(() => close(op));
      return;
    }
  }
});
