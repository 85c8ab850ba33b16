// The packet I/O thread (blob-io.ts): staged bytes land whole with their digest, refusals leave no file, reads
// come back byte for byte with the digest checked before the last slice, and an idle thread never keeps a
// process alive nor lets it leave while an operation is open. Small slices make every path run many times.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BlobIo } from './blob-io.ts';
import { HubError } from './errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'vdxp-blob-io-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const SLICE_BYTES = 4096;
const io = new BlobIo({ sliceBytes: SLICE_BYTES, slicesMax: 2 });
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** `bytes` cut into chunks of uneven sizes (1 byte to over two slices), as a socket might give them. */
function chunks(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0, i = 0; at < bytes.byteLength; i++) {
    const n = [1, 100, SLICE_BYTES - 1, SLICE_BYTES, 2 * SLICE_BYTES + 7, 65_536][i % 6] ?? 1;
    out.push(bytes.subarray(at, at + n));
    at += n;
  }
  return out;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<{ bytes: Buffer; error: unknown }> {
  const got: Buffer[] = [];
  try {
    for await (const c of stream) got.push(c as Buffer);
    return { bytes: Buffer.concat(got), error: undefined };
  } catch (e) {
    return { bytes: Buffer.concat(got), error: e };
  }
}

describe('staging through the packet I/O thread', () => {
  it('writes every byte in order, whatever the chunk sizes, fsyncs, and returns their SHA-256; the file is 0600', async () => {
    for (const size of [0, 1, SLICE_BYTES, 3 * SLICE_BYTES + 1, 300_001]) {
      const body = randomBytes(size);
      const path = join(dir, `staged-${size}`);
      const sink = io.create(path);
      for (const c of chunks(body)) await sink.write(c);
      const r = await sink.finish();
      assert.equal(r.bytes, size);
      assert.equal(r.digest, sha256(body), `digest of ${size} bytes`);
      assert.ok(readFileSync(path).equals(body), `bytes of ${size}`);
      assert.equal(statSync(path).mode & 0o777 & ~0o600, 0, 'no bits beyond the owner\'s read and write');
    }
  });

  it('lets the caller reuse its buffer once write returned (the bytes were copied)', async () => {
    const path = join(dir, 'reused');
    const sink = io.create(path);
    const buf = Buffer.alloc(1000);
    const expected: Buffer[] = [];
    for (let i = 0; i < 50; i++) {
      buf.fill(i);
      expected.push(Buffer.from(buf));
      await sink.write(buf);
    }
    await sink.finish();
    assert.ok(readFileSync(path).equals(Buffer.concat(expected)));
  });

  it('removes the file on abort, midway or after finish', async () => {
    const midway = join(dir, 'aborted-midway');
    const a = io.create(midway);
    await a.write(randomBytes(5 * SLICE_BYTES));
    await a.abort();
    assert.equal(existsSync(midway), false);
    const finished = join(dir, 'aborted-finished');
    const b = io.create(finished);
    await b.write(randomBytes(100));
    await b.finish();
    await b.abort();
    assert.equal(existsSync(finished), false);
  });

  it('with a background fdatasync every slice, still writes every byte in order, and abort midway removes the file', async () => {
    const syncing = new BlobIo({ sliceBytes: SLICE_BYTES, slicesMax: 3, syncEveryBytes: SLICE_BYTES });
    const body = randomBytes(40 * SLICE_BYTES + 123);
    const path = join(dir, 'synced-along');
    const sink = syncing.create(path);
    for (const c of chunks(body)) await sink.write(c);
    const r = await sink.finish();
    assert.equal(r.digest, sha256(body));
    assert.equal(r.bytes, body.byteLength);
    assert.ok(readFileSync(path).equals(body));
    const midway = join(dir, 'synced-aborted');
    const a = syncing.create(midway);
    for (let i = 0; i < 20; i++) await a.write(randomBytes(SLICE_BYTES));
    await a.abort();
    assert.equal(existsSync(midway), false);
  });

  it('refuses with the file system\'s error code and leaves nothing when the file cannot be made', async () => {
    const taken = join(dir, 'taken');
    writeFileSync(taken, 'earlier');
    const sink = io.create(taken);
    await assert.rejects(async () => {
      for (let i = 0; i < 10; i++) await sink.write(randomBytes(SLICE_BYTES));
      await sink.finish();
    }, { code: 'EEXIST' });
    await sink.abort();
    assert.equal(readFileSync(taken, 'utf8'), 'earlier', 'an existing file is never written over, nor removed');
    const missing = io.create(join(dir, 'no-such-folder', 'x'));
    await missing.write(randomBytes(10));
    await assert.rejects(missing.finish(), { code: 'ENOENT' });
    await missing.abort();
  });
});

describe('reading through the packet I/O thread', () => {
  it('streams a file byte for byte in slices and closes it', async () => {
    for (const size of [0, 1, SLICE_BYTES, 5 * SLICE_BYTES + 3]) {
      const body = randomBytes(size);
      const path = join(dir, `read-${size}`);
      writeFileSync(path, body);
      const r = await readAll(io.read(await open(path, 'r'), sha256(body)));
      assert.equal(r.error, undefined);
      assert.ok(r.bytes.equals(body), `bytes of ${size}`);
    }
  });

  it('cuts off a changed file of the same length before its last slice, with VDXP_E_BLOB_CORRUPT', async () => {
    const body = randomBytes(6 * SLICE_BYTES + 10);
    const path = join(dir, 'changed');
    const changed = Buffer.from(body);
    changed[3] = (changed[3] ?? 0) ^ 0xff;
    writeFileSync(path, changed);
    const r = await readAll(io.read(await open(path, 'r'), sha256(body)));
    assert.ok(r.error instanceof HubError && r.error.code === 'VDXP_E_BLOB_CORRUPT', String(r.error));
    assert.ok(r.bytes.byteLength < body.byteLength, `only ${r.bytes.byteLength} of ${body.byteLength} bytes left`);
  });

  it('stops reading when the reader goes away, and goes on serving others', async () => {
    const body = randomBytes(20 * SLICE_BYTES);
    const path = join(dir, 'abandoned');
    writeFileSync(path, body);
    const s = io.read(await open(path, 'r'), sha256(body));
    for await (const _ of s) break;
    assert.ok(s.destroyed);
    const again = await readAll(io.read(await open(path, 'r'), sha256(body)));
    assert.ok(again.bytes.equals(body));
  });
});

describe('the thread and the process', () => {
  it('keeps a process alive while an operation is open, and lets it exit once none is', () => {
    const script = `
      import { BlobIo } from ${JSON.stringify(new URL('./blob-io.ts', import.meta.url).pathname)};
      const io = new BlobIo({ sliceBytes: 4096, slicesMax: 2 });
      const sink = io.create(${JSON.stringify(join(dir, 'child'))});
      await sink.write(Buffer.alloc(10000, 1));
      console.log((await sink.finish()).digest);
    `;
    const file = join(dir, 'child.mjs');
    writeFileSync(file, script);
    const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), sha256(Buffer.alloc(10000, 1)), 'finished before the process left');
  });
});
