// Node helpers of @vdxp/client: a fetch over node:http that keeps memory bounded for streamed uploads, a
// packet file as a re-openable source, and writing a received packet to a file durably (temp name, fsync,
// rename, folder fsync) before the loop acks it.

import { createReadStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { ReopenableSource } from './sources.ts';

/**
 * `fetch` for Node over node:http(s), for `new VdxpClient({ fetch: nodeFetch })`. Node's global fetch (undici)
 * reads a streamed request body ahead of the socket: measured (scripts/client-memory.ts, 160 MiB file, a slow
 * receiver in the same process) its RSS grew by 170 MiB whether the body was Readable.toWeb, ReadableStream.from
 * or a pull stream, where node:http with pipeline grew by 12 MiB. Only what the client uses is supported:
 * method, headers, a string/bytes/web-stream body, signal.
 */
export const nodeFetch: typeof fetch = (input, init) => new Promise<Response>((resolve, reject) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  const request = url.protocol === 'https:' ? https.request : http.request;
  const headers = new Headers(init?.headers);
  const req = request(url, { method: init?.method ?? 'GET', headers: Object.fromEntries(headers), ...(init?.signal ? { signal: init.signal } : {}) });
  req.once('error', reject);
  req.once('response', (res) => {
    const h = new Headers();
    for (const [k, v] of Object.entries(res.headers)) for (const one of Array.isArray(v) ? v : v === undefined ? [] : [v]) h.append(k, one);
    const status = res.statusCode ?? 0;
    const empty = status === 204 || status === 205 || status === 304 || init?.method === 'HEAD';
    if (empty) res.resume();
    resolve(new Response(empty ? null : Readable.toWeb(res) as ReadableStream<Uint8Array>, { status, headers: h }));
  });
  const body = init?.body;
  if (body === undefined || body === null) req.end();
  else if (typeof body === 'string' || body instanceof Uint8Array) req.end(body);
  else if (body instanceof ReadableStream) pipeline(Readable.fromWeb(body as WebReadableStream<Uint8Array>), req).catch((e: unknown) => { req.destroy(e as Error); });
  else reject(new TypeError('nodeFetch: the body must be a string, bytes or a ReadableStream'));
});

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
