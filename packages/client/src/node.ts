// Node helpers of @vdxp/client: a packet file as a re-openable source, and writing a received packet to a
// file durably (temp name, fsync, rename, folder fsync) before the loop acks it.

import { createReadStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ReopenableSource } from './sources.ts';

/** Read slice of a packet file: a 1 GiB packet is 4096 reads, each far below any memory bound. */
const FILE_SLICE_BYTES = 256 * 1024;

/** A packet file, opened again for each attempt. */
export async function fileSource(path: string): Promise<ReopenableSource> {
  const { size } = await stat(path);
  return { size, stream: () => createReadStream(path, { highWaterMark: FILE_SLICE_BYTES }) as AsyncIterable<Uint8Array> };
}

/**
 * Writes the stream to `path` so that after a crash the file is either whole or absent: a temporary name
 * beside it, fsync, rename, fsync of the folder. `mode` defaults to 0600 (packets are official documents).
 */
export async function writeFileDurably(path: string, body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>, mode = 0o600): Promise<number> {
  const tmp = `${path}.${Math.random().toString(36).slice(2, 10)}.part`;
  const fh = await open(tmp, 'wx', mode);
  let bytes = 0;
  try {
    for await (const chunk of body) {
      await fh.write(chunk);
      bytes += chunk.byteLength;
    }
    await fh.sync();
  } catch (e) {
    await fh.close();
    await rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  await rename(tmp, path);
  await syncDir(dirname(path));
  return bytes;
}

export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
