// One-file zip unwrapping: the minimal example's Java-style attachment, zips written here in every supported layout, refusals,
// truncation at every byte, and zip bombs stopped with bounded memory.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setImmediate } from 'node:timers/promises';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { crc32, createDeflateRaw, deflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { EdxmlError } from './errors.ts';
import { EXAMPLES_DIR } from './examples.ts';
import type { EdxmlLimits } from './limits.ts';
import { unwrapSingleFileZip, unwrapSingleFileZipBuffer, type ZipInnerFile } from './zip.ts';

const MINIMAL = new URL('edoc-minimal-free-ids.edxml', EXAMPLES_DIR);
const MiB = 1024 * 1024;

// ---- a small zip writer ------------------------------------------------------------------------------------

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
}
function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}
function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
}

interface TestEntry {
  /** A string is written as UTF-8 with flag bit 11; a Buffer as raw bytes without the flag. */
  name: string | Buffer;
  data?: Buffer;
  /** Already compressed data with its CRC and size (large test payloads built as streams). */
  raw?: { body: Buffer; crc: number; size: number };
  method?: number;
  /** Data descriptor after the data (flag bit 3), with or without its signature, or with 64-bit sizes. */
  descriptor?: 'signed' | 'unsigned' | 'zip64';
  extraFlags?: number;
  /** A wrong CRC written everywhere the entry's CRC goes (header or descriptor, and central directory). */
  crc?: number;
}

interface ZipOptions {
  /** The central directory's entries, when it should disagree with the local headers (default: the same). */
  central?: TestEntry[];
}

function writeZip(entries: TestEntry[], options: ZipOptions = {}): Buffer {
  const out: Buffer[] = [];
  const records: { entry: TestEntry; offset: number; body: Buffer; crc: number; size: number }[] = [];
  let offset = 0;
  for (const e of entries) {
    const method = e.method ?? 8;
    const data = e.data ?? Buffer.alloc(0);
    const body = e.raw?.body ?? (method === 8 ? deflateRawSync(data) : data);
    const crc = e.crc ?? e.raw?.crc ?? crc32(data);
    const size = e.raw?.size ?? data.length;
    const name = typeof e.name === 'string' ? Buffer.from(e.name, 'utf8') : e.name;
    const flags = (typeof e.name === 'string' ? 0x0800 : 0) | (e.descriptor ? 0x08 : 0) | (e.extraFlags ?? 0);
    const sizes = e.descriptor ? [u32(0), u32(0), u32(0)] : [u32(crc), u32(body.length), u32(size)];
    const local = Buffer.concat([u32(0x04034b50), u16(20), u16(flags), u16(method), u16(0), u16(0x21), ...sizes, u16(name.length), u16(0), name]);
    const descriptor = e.descriptor === 'signed' ? Buffer.concat([u32(0x08074b50), u32(crc), u32(body.length), u32(size)])
      : e.descriptor === 'unsigned' ? Buffer.concat([u32(crc), u32(body.length), u32(size)])
        : e.descriptor === 'zip64' ? Buffer.concat([u32(0x08074b50), u32(crc), u64(body.length), u64(size)])
          : Buffer.alloc(0);
    out.push(local, body, descriptor);
    records.push({ entry: e, offset, body, crc, size });
    offset += local.length + body.length + descriptor.length;
  }
  const listed = options.central ?? entries;
  const central = Buffer.concat(listed.map((e, i) => {
    const r = records[i] ?? records[0];
    assert.ok(r);
    const name = typeof e.name === 'string' ? Buffer.from(e.name, 'utf8') : e.name;
    const flags = (typeof e.name === 'string' ? 0x0800 : 0) | (e.descriptor ? 0x08 : 0);
    return Buffer.concat([
      u32(0x02014b50), u16(20), u16(20), u16(flags), u16(e.method ?? 8), u16(0), u16(0x21), u32(e.crc ?? r.crc), u32(r.body.length), u32(r.size),
      u16(name.length), u16(0), u16(0), u16(0), u16(0), u32(0), u32(r.offset), name,
    ]);
  }));
  const end = Buffer.concat([u32(0x06054b50), u16(0), u16(0), u16(listed.length), u16(listed.length), u32(central.length), u32(offset), u16(0)]);
  return Buffer.concat([...out, central, end]);
}

/** Hands `bytes` over in slices of `size`, one per turn of the event loop, as a network or file stream would. */
async function* chunked(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < bytes.length; at += size) {
    await setImmediate();
    yield bytes.subarray(at, at + size);
  }
}

interface Unwrapped { name: string; method: string; declaredBytes: number | undefined; content: Buffer; wrapper: boolean }

async function unwrapAll(zip: Buffer, chunkSize = 64 * 1024, limits?: Partial<EdxmlLimits>): Promise<Unwrapped | null> {
  const file = await unwrapSingleFileZip(chunked(zip, chunkSize), limits);
  if (file === null) return null;
  const parts: Buffer[] = [];
  for await (const c of file.stream) parts.push(c as Buffer);
  const outcome = await file.outcome;
  return { name: file.name, method: file.method, declaredBytes: file.declaredBytes, content: Buffer.concat(parts), wrapper: outcome.wrapper };
}

function zipError(code: 'VDXP_E_ZIP_INVALID' | 'VDXP_E_ZIP_BOMB', message?: RegExp) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof EdxmlError, `expected an EdxmlError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    return true;
  };
}

const TEXT = Buffer.from('Kính gửi: Ủy ban nhân dân tỉnh Nghệ An. '.repeat(200));

// ---- tests ---------------------------------------------------------------------------------------------------

describe('the minimal example\'s attachment', () => {
  const base64 = /<edXML:ContentTransferEncoded[^>]*>([^<]*)</.exec(readFileSync(MINIMAL, 'utf8'))?.[1] ?? '';
  const zip = Buffer.from(base64, 'base64');

  it('is a Java-style zip (deflate, data descriptor) whose end record lacks its last byte', () => {
    assert.equal(zip.readUInt16LE(6) & 0x08, 0x08);
    const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    assert.equal(zip.length - end, 21); // a complete end record has 22 bytes
  });

  it('unwraps to the one text file, however the bytes are sliced', async () => {
    for (const size of [1, 3, 7, 64, zip.length]) {
      const u = await unwrapAll(zip, size);
      assert.deepEqual(u, { name: 'ghi-chu.txt', method: 'deflate', declaredBytes: undefined, content: Buffer.from('xin chào'), wrapper: true });
    }
    const file = await unwrapSingleFileZip([zip]);
    assert.ok(file);
    file.stream.resume();
    assert.deepEqual(await file.outcome, { wrapper: true, bytes: Buffer.byteLength('xin chào'), crc32: crc32(Buffer.from('xin chào')) });
  });

  it('unwraps from a buffer too', async () => {
    assert.deepEqual(await unwrapSingleFileZipBuffer(zip), { name: 'ghi-chu.txt', content: Buffer.from('xin chào') });
  });
});

describe('supported layouts', () => {
  it('reads stored entries and gives their declared size', async () => {
    const u = await unwrapAll(writeZip([{ name: 'Công văn số 12.txt', data: TEXT, method: 0 }]), 100);
    assert.deepEqual(u, { name: 'Công văn số 12.txt', method: 'stored', declaredBytes: TEXT.length, content: TEXT, wrapper: true });
  });

  it('reads deflate entries with sizes in the header, or in a descriptor with or without signature, or zip64-wide', async () => {
    for (const descriptor of [undefined, 'signed', 'unsigned', 'zip64'] as const) {
      const u = await unwrapAll(writeZip([{ name: 'a.pdf', data: TEXT, ...(descriptor ? { descriptor } : {}) }]), 50);
      assert.ok(u, descriptor);
      assert.equal(u.content.equals(TEXT), true, descriptor);
      assert.equal(u.wrapper, true, descriptor);
      assert.equal(u.declaredBytes, descriptor ? undefined : TEXT.length);
    }
  });

  it('unwraps any content in any layout whatever the slicing (property)', async () => {
    await fc.assert(fc.asyncProperty(
      fc.uint8Array({ maxLength: 3000 }), fc.constantFrom(0, 8), fc.constantFrom(undefined, 'signed', 'unsigned', 'zip64'), fc.integer({ min: 1, max: 700 }),
      async (data, method, descriptor, size) => {
        // A stored entry with a descriptor cannot be streamed (its length is unknown): covered below.
        const d = method === 0 ? undefined : descriptor;
        const zip = writeZip([{ name: 'f.bin', data: Buffer.from(data), method, ...(d ? { descriptor: d } : {}) }]);
        const u = await unwrapAll(zip, size);
        assert.ok(u);
        assert.equal(u.content.equals(Buffer.from(data)), true);
        assert.equal(u.wrapper, true);
      },
    ), { numRuns: 150 });
  });

  it('skips directory entries before and after the file', async () => {
    const zip = writeZip([
      { name: 'hồ sơ/', method: 0 }, { name: 'hồ sơ/con/', descriptor: 'signed' },
      { name: 'hồ sơ/con/QĐ 12.docx', data: TEXT, descriptor: 'signed' }, { name: 'khác/', method: 0 },
    ]);
    const u = await unwrapAll(zip, 33);
    assert.ok(u);
    assert.equal(u.name, 'hồ sơ/con/QĐ 12.docx');
    assert.equal(u.wrapper, true);
  });

  it('decodes names without the UTF-8 flag as UTF-8 when valid, else CP437', async () => {
    assert.equal((await unwrapAll(writeZip([{ name: Buffer.from('Báo cáo.txt'), data: TEXT }])))?.name, 'Báo cáo.txt');
    assert.equal((await unwrapAll(writeZip([{ name: Buffer.from([0x63, 0x61, 0x66, 0x82, 0x2e, 0x74, 0x78, 0x74]), data: TEXT }])))?.name, 'café.txt');
  });

  it('says there is no file in an empty or directories-only zip', async () => {
    assert.equal(await unwrapAll(writeZip([])), null);
    assert.equal(await unwrapAll(writeZip([{ name: 'a/', method: 0 }, { name: 'a/b/', method: 0 }])), null);
    assert.equal(await unwrapSingleFileZipBuffer(writeZip([])), null);
  });
});

describe('not a one-file wrapper', () => {
  it('reports a second file, after streaming the first', async () => {
    const zip = writeZip([{ name: 'a.txt', data: TEXT, descriptor: 'signed' }, { name: 'b.txt', data: Buffer.from('b') }]);
    const file = await unwrapSingleFileZip(chunked(zip, 100));
    assert.ok(file);
    const parts: Buffer[] = [];
    for await (const c of file.stream) parts.push(c as Buffer);
    assert.equal(Buffer.concat(parts).equals(TEXT), true);
    const outcome = await file.outcome;
    assert.equal(outcome.wrapper, false);
    if (!outcome.wrapper) assert.match(outcome.reason, /b\.txt/);
    assert.equal(await unwrapSingleFileZipBuffer(zip), null);
  });

  it('does not care how the second entry is stored: encrypted or unknown method still just means "two files"', async () => {
    const zip = writeZip([{ name: 'a.txt', data: TEXT }, { name: 'b.txt', data: TEXT, method: 12, extraFlags: 0x01 }]);
    assert.equal((await unwrapAll(zip))?.wrapper, false);
  });

  it('believes a central directory that lists more files than the local headers show', async () => {
    const a = { name: 'a.txt', data: TEXT };
    const zip = writeZip([a], { central: [a, { name: 'hidden.exe', data: TEXT }] });
    assert.equal((await unwrapAll(zip))?.wrapper, false);
  });
});

describe('refusals', () => {
  it('refuses what is not a zip', async () => {
    await assert.rejects(unwrapSingleFileZip([Buffer.from('%PDF-1.7')]), zipError('VDXP_E_ZIP_INVALID', /does not start/));
    await assert.rejects(unwrapSingleFileZip([]), zipError('VDXP_E_ZIP_INVALID', /empty/));
  });

  it('refuses encryption, unknown methods and zip64 sizes that are missing', async () => {
    await assert.rejects(unwrapAll(writeZip([{ name: 'a.txt', data: TEXT, extraFlags: 0x01 }])), zipError('VDXP_E_ZIP_INVALID', /encrypted/));
    await assert.rejects(unwrapAll(writeZip([{ name: 'a.txt', data: TEXT, method: 99 }])), zipError('VDXP_E_ZIP_INVALID', /method 99/));
    await assert.rejects(unwrapAll(writeZip([{ name: 'a.txt', data: TEXT, method: 9 }])), zipError('VDXP_E_ZIP_INVALID', /method 9;/));
    const zip64 = writeZip([{ name: 'a.txt', data: TEXT }]);
    zip64.writeUInt32LE(0xffffffff, 18);
    await assert.rejects(unwrapAll(zip64), zipError('VDXP_E_ZIP_INVALID', /zip64/));
  });

  it('refuses a wrong CRC-32, in the descriptor, the header, or from damaged stored data', async () => {
    for (const descriptor of [undefined, 'signed', 'unsigned'] as const) {
      const zip = writeZip([{ name: 'a.txt', data: TEXT, crc: crc32(TEXT) ^ 1, ...(descriptor ? { descriptor } : {}) }]);
      await assert.rejects(unwrapAll(zip, 100), zipError('VDXP_E_ZIP_INVALID', /CRC-32/), descriptor);
    }
    const stored = writeZip([{ name: 'a.txt', data: TEXT, method: 0 }]);
    stored.writeUInt8(stored.readUInt8(30 + 5 + 10) ^ 0xff, 30 + 5 + 10);
    await assert.rejects(unwrapAll(stored), zipError('VDXP_E_ZIP_INVALID', /CRC-32/));
  });

  it('fails the stream and the outcome alike, so a pipeline sees the error', async () => {
    const zip = writeZip([{ name: 'a.txt', data: TEXT, crc: 1, descriptor: 'signed' }]);
    const file = await unwrapSingleFileZip(chunked(zip, 100));
    assert.ok(file);
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    await assert.rejects(pipeline(file.stream, sink), zipError('VDXP_E_ZIP_INVALID', /CRC-32/));
    await assert.rejects(file.outcome, zipError('VDXP_E_ZIP_INVALID', /CRC-32/));
  });

  it('refuses damaged deflate data and sizes that disagree with the data', async () => {
    const zip = writeZip([{ name: 'a.txt', data: TEXT }]);
    zip.fill(0xff, 40, 60);
    await assert.rejects(unwrapAll(zip), zipError('VDXP_E_ZIP_INVALID'));
    const sizes = writeZip([{ name: 'a.txt', data: TEXT }]);
    sizes.writeUInt32LE(TEXT.length + 1, 22);
    await assert.rejects(unwrapAll(sizes), zipError('VDXP_E_ZIP_INVALID', /sizes/));
  });

  it('refuses a stored entry whose size only comes after its data', async () => {
    await assert.rejects(unwrapAll(writeZip([{ name: 'a.txt', data: TEXT, method: 0, descriptor: 'signed' }])), zipError('VDXP_E_ZIP_INVALID', /deflate/));
  });

  it('refuses a central directory that disagrees with the local header', async () => {
    const a = { name: 'a.txt', data: TEXT };
    await assert.rejects(unwrapAll(writeZip([a], { central: [{ ...a, name: 'other.txt' }] })), zipError('VDXP_E_ZIP_INVALID', /central directory disagrees/));
    await assert.rejects(unwrapAll(writeZip([a], { central: [{ ...a, crc: 7 }] })), zipError('VDXP_E_ZIP_INVALID', /central directory disagrees/));
    await assert.rejects(unwrapAll(writeZip([a], { central: [] })), zipError('VDXP_E_ZIP_INVALID', /does not list/));
  });

  it('refuses a zip truncated anywhere before its end record, with a clear code and never a hang', async () => {
    for (const zip of [
      writeZip([{ name: 'a.txt', data: TEXT.subarray(0, 300), descriptor: 'signed' }]),
      writeZip([{ name: 'a.txt', data: TEXT.subarray(0, 300), method: 0 }, { name: 'd/', method: 0 }]),
    ]) {
      const endRecord = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
      for (let cut = 0; cut < endRecord + 4; cut++) {
        await assert.rejects(unwrapAll(zip.subarray(0, cut), 13), zipError('VDXP_E_ZIP_INVALID'), `cut at ${cut}`);
      }
      assert.equal((await unwrapAll(zip.subarray(0, endRecord + 4)))?.wrapper, true);
    }
  });
});

describe('streaming and zip bombs', () => {
  // 200 MiB of zeros deflate to about 200 KiB: built once, as a stream, so the test itself stays small.
  const built = new Map<boolean, Promise<{ zip: Buffer; crc: number }>>();
  function zerosZip(bytes: number, descriptor: boolean): Promise<{ zip: Buffer; crc: number }> {
    const key = descriptor;
    let z = built.get(key);
    if (!z) built.set(key, z = buildZerosZip(bytes, descriptor));
    return z;
  }
  async function buildZerosZip(bytes: number, descriptor: boolean): Promise<{ zip: Buffer; crc: number }> {
    const deflate = createDeflateRaw({ level: 9 });
    const parts: Buffer[] = [];
    deflate.on('data', (c: Buffer) => parts.push(c));
    const block = Buffer.alloc(MiB);
    let crc = 0;
    for (let left = bytes; left > 0; left -= block.length) {
      crc = crc32(block, crc);
      if (!deflate.write(block)) await once(deflate, 'drain');
    }
    deflate.end();
    await once(deflate, 'end');
    const zip = writeZip([{ name: 'zeros.bin', raw: { body: Buffer.concat(parts), crc, size: bytes }, ...(descriptor ? { descriptor: 'signed' } : {}) }]);
    return { zip, crc };
  }

  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;

  /** Reads the file to its end (or error), returning the bytes read and the most memory held at any 8 MiB mark. */
  async function drain(file: ZipInnerFile): Promise<{ bytes: number; peak: number; error: unknown }> {
    gc();
    const base = process.memoryUsage().arrayBuffers;
    let bytes = 0;
    let peak = 0;
    let nextMark = 0;
    try {
      for await (const c of file.stream) {
        bytes += (c as Buffer).length;
        if (bytes >= nextMark) {
          gc();
          peak = Math.max(peak, process.memoryUsage().arrayBuffers - base);
          nextMark += 8 * MiB;
        }
      }
      return { bytes, peak, error: undefined };
    } catch (error) {
      return { bytes, peak, error };
    }
  }

  it('streams 200 MiB through with little memory when the limits allow it', async () => {
    const { zip, crc } = await zerosZip(200 * MiB, true);
    const file = await unwrapSingleFileZip(chunked(zip, 64 * 1024), { unzipBytesMax: 256 * MiB, unzipRatioMax: 2000 });
    assert.ok(file);
    const { bytes, peak, error } = await drain(file);
    assert.equal(error, undefined);
    assert.equal(bytes, 200 * MiB);
    assert.ok(peak < 16 * MiB, `peak ${peak} bytes`);
    assert.deepEqual(await file.outcome, { wrapper: true, bytes: 200 * MiB, crc32: crc });
  });

  it('stops at limits.unzipBytesMax with VDXP_E_ZIP_BOMB, having read little beyond it', async () => {
    for (const descriptor of [true, false]) {
      const { zip } = await zerosZip(200 * MiB, descriptor);
      if (!descriptor) {
        // Declared sizes over the limit are refused on opening, before anything is inflated.
        await assert.rejects(unwrapSingleFileZip([zip], { unzipBytesMax: 32 * MiB, unzipRatioMax: 2000 }), zipError('VDXP_E_ZIP_BOMB', /unzipBytesMax/));
        await assert.rejects(unwrapSingleFileZip([zip]), zipError('VDXP_E_ZIP_BOMB', /unzipRatioMax/));
        continue;
      }
      const file = await unwrapSingleFileZip(chunked(zip, 64 * 1024), { unzipBytesMax: 32 * MiB, unzipRatioMax: 2000 });
      assert.ok(file);
      const { bytes, peak, error } = await drain(file);
      zipError('VDXP_E_ZIP_BOMB', /unzipBytesMax/)(error);
      assert.ok(bytes <= 32 * MiB, `read ${bytes} bytes`);
      assert.ok(peak < 16 * MiB, `peak ${peak} bytes`);
      await assert.rejects(file.outcome, zipError('VDXP_E_ZIP_BOMB'));
    }
  });

  it('stops a bomb by its ratio at the default limits, after about a MiB', async () => {
    const { zip } = await zerosZip(200 * MiB, true);
    const file = await unwrapSingleFileZip(chunked(zip, 64 * 1024));
    assert.ok(file);
    const { bytes, error } = await drain(file);
    zipError('VDXP_E_ZIP_BOMB', /unzipRatioMax/)(error);
    assert.ok(bytes < 2 * MiB, `read ${bytes} bytes`);
  });

  it('passes the input\'s own error through, and stops reading the input when the reader gives up', async () => {
    const zip = writeZip([{ name: 'a.txt', data: TEXT, descriptor: 'signed' }]);
    const failing = async function* (): AsyncGenerator<Buffer> {
      yield zip.subarray(0, 60);
      await setImmediate();
      throw new Error('disk read failed');
    };
    const file = await unwrapSingleFileZip(failing());
    assert.ok(file);
    await assert.rejects(pipeline(file.stream, new Writable({ write: (_c, _e, cb) => cb() })), /disk read failed/);

    // A stored entry of 1 MiB whose bytes trickle in: the consumer gives up before it is read, or after a bit.
    const header = writeZip([{ name: 'big.bin', data: Buffer.alloc(MiB), method: 0 }]).subarray(0, 30 + 'big.bin'.length);
    for (const readFirst of [false, true]) {
      let closed = false;
      const trickle = async function* (): AsyncGenerator<Buffer> {
        try {
          yield header;
          for (;;) {
            await setImmediate();
            yield Buffer.alloc(1024);
          }
        } finally {
          closed = true;
        }
      };
      const second = await unwrapSingleFileZip(trickle());
      assert.ok(second);
      if (readFirst) await once(second.stream, 'data');
      second.stream.destroy();
      await assert.rejects(second.outcome, /closed before its end/);
      await setImmediate();
      assert.equal(closed, true, `readFirst ${readFirst}`);
    }
  });
});
