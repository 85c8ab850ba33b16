// One-file zip wrappers: stream the single file out of a zip attachment, with bounded memory and zip-bomb guards.
//
// One producer zips every attachment on its own (ContentType application/zip, the original name kept in
// AttachmentName; docs/edxml.md). Payloads reach hundreds of MB, so the zip is read front to back as a stream, the
// way it was written: local header, data, data descriptor (flag bit 3: sizes only known after the data, as
// Java's ZipOutputStream writes them and the real sample has them), then whatever follows. Whether the zip
// held only this one file is known only after its data, so the answer comes in `outcome` once the stream ends.
//
// What follows the file is read only as far as needed: another file entry means "not a wrapper"; the central
// directory is cross-checked against the local header (name, CRC, sizes, offset), so readers that trust the
// directory cannot be shown another file than the one we hand out. The end-of-central-directory record is
// required to begin but not read: a real producer's zips (the minimal example imitates them) lack the
// last byte of it, and nothing in it matters once the directory has been checked.

import { Readable, type Writable } from 'node:stream';
import { crc32, createInflateRaw } from 'node:zlib';
import { EdxmlError, isEdxmlError } from './errors.ts';
import { type EdxmlLimits, withLimits } from './limits.ts';
import type { ByteSource } from './parse.ts';

export const ZIP_METHODS = ['stored', 'deflate'] as const;
export type ZipMethod = (typeof ZIP_METHODS)[number];

export interface ZipInnerFile {
  /** The entry's path in the zip (UTF-8, or CP437 as the zip spec says). Display only: never a filesystem path. */
  readonly name: string;
  readonly method: ZipMethod;
  /** Size declared in the local header; undefined when a data descriptor gives it after the data. */
  readonly declaredBytes: number | undefined;
  /**
   * The file's bytes, checked against limits.unzipBytesMax and limits.unzipRatioMax as they flow. Fails with an
   * EdxmlError (VDXP_E_ZIP_INVALID, VDXP_E_ZIP_BOMB) or the input's own error. Read it to its end, then await
   * `outcome`: until then nothing says the zip held only this file.
   */
  readonly stream: Readable;
  /** Settles when `stream` ends: rejects with the stream's error, or if the stream is destroyed before its end. */
  readonly outcome: Promise<ZipUnwrapOutcome>;
}

export type ZipUnwrapOutcome =
  /** The zip held this file only (directory entries aside); `bytes` and `crc32` were checked against the zip. */
  | { readonly wrapper: true; readonly bytes: number; readonly crc32: number }
  /** Another file follows: the bytes streamed are the first file only, and the zip should be kept as it is. */
  | { readonly wrapper: false; readonly reason: string };

/**
 * Opens a zip read from `input` and returns its first file, or null when the zip holds no file at all (empty,
 * or directories only). Throws VDXP_E_ZIP_INVALID when the input does not start like a zip or the first file
 * uses what is not supported (encryption, methods other than stored and deflate, zip64 without its sizes).
 */
export async function unwrapSingleFileZip(input: ByteSource, limits?: Partial<EdxmlLimits>): Promise<ZipInnerFile | null> {
  const lim = withLimits(limits);
  const r = new ByteReader(input);
  const budget: Budget = { ...lim, total: 0 };
  try {
    for (;;) {
      const at = r.position;
      const sig = await r.peekSignature();
      if (sig === SIG_LOCAL) {
        const entry = await readLocalHeader(r);
        assertSupported(entry);
        if (!entry.isDirectory) {
          checkDeclared(entry, budget); // before any sink is opened for it
          return openFile(r, entry, budget);
        }
        await drainDirectory(r, entry, budget);
      } else if (sig === SIG_CENTRAL || sig === SIG_END || sig === SIG_END64) {
        await r.close();
        return null;
      } else if (sig === undefined) {
        throw at === 0 ? invalid('the payload is empty or shorter than a zip signature') : truncated(`the zip ends at byte ${at}, before any file`);
      } else {
        throw invalid(at === 0 ? 'it does not start with a zip local file header (PK\\3\\4)' : `expected a local file header at byte ${at}`);
      }
    }
  } catch (e) {
    await r.close();
    throw e;
  }
}

/** For small payloads held in memory: the single file's name and bytes, or null when the zip is no one-file wrapper. */
export async function unwrapSingleFileZipBuffer(bytes: Uint8Array, limits?: Partial<EdxmlLimits>): Promise<{ name: string; content: Buffer } | null> {
  const file = await unwrapSingleFileZip([bytes], limits);
  if (file === null) return null;
  const parts: Buffer[] = [];
  for await (const chunk of file.stream) parts.push(chunk as Buffer);
  const outcome = await file.outcome;
  return outcome.wrapper ? { name: file.name, content: Buffer.concat(parts) } : null;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_DESCRIPTOR = 0x08074b50;
const SIG_END = 0x06054b50;
const SIG_END64 = 0x06064b50;
const SIG_DIGITAL_SIGNATURE = 0x05054b50;

const FLAG_ENCRYPTED = 0x0001;
const FLAG_DESCRIPTOR = 0x0008;
const FLAG_STRONG_ENCRYPTION = 0x0040;
const FLAG_UTF8 = 0x0800;
const FLAG_MASKED_HEADER = 0x2000;

const METHOD_STORED = 0;
const METHOD_DEFLATE = 8;
const ZIP64_EXTRA = 0x0001;
const UNICODE_PATH_EXTRA = 0x7075;
const U32_MAX = 0xffffffff;

/**
 * Output below this is never refused for its ratio: small files legitimately compress far beyond any ratio
 * (a page of repeated table cells), while a bomb has to reach megabytes to hurt. Deflate's own maximum is
 * about 1032:1, so a bomb crosses unzipRatioMax (200) long before limits.unzipBytesMax at default settings.
 */
const RATIO_CHECK_AFTER_BYTES = 1024 * 1024;

interface LocalEntry {
  /** Offset of the local header in the zip. */
  offset: number;
  nameBytes: Buffer;
  name: string;
  isDirectory: boolean;
  flags: number;
  method: number;
  crc32: number;
  compressedBytes: number;
  uncompressedBytes: number;
  hasDescriptor: boolean;
}

interface DataTotals {
  crc32: number;
  compressedBytes: number;
  uncompressedBytes: number;
}

interface Budget extends EdxmlLimits {
  /** Bytes inflated so far from all entries of this zip. */
  total: number;
}

function openFile(r: ByteReader, entry: LocalEntry, budget: Budget): ZipInnerFile {
  const { promise: outcome, resolve, reject } = Promise.withResolvers<ZipUnwrapOutcome>();
  // The stream reports the same failure; a caller that only reads the stream must not get an unhandled rejection.
  outcome.catch(() => undefined);
  let settled = false;
  async function* bytes(): AsyncGenerator<Buffer> {
    try {
      const totals = yield* entryData(r, entry, budget);
      await checkEntryEnd(r, entry, totals);
      const result = await readAfterFile(r, entry, totals, budget);
      settled = true;
      resolve(result);
    } catch (e) {
      settled = true;
      reject(e);
      throw e;
    } finally {
      await r.close();
    }
  }
  const stream = Readable.from(bytes(), { objectMode: false });
  // A stream destroyed before it was read never runs the generator, so its end is watched here instead.
  stream.once('close', () => {
    if (settled) return;
    settled = true;
    reject(new Error(`The stream of ${entry.name} was closed before its end, so the zip was not checked`));
    void r.close();
  });
  return {
    name: entry.name,
    method: entry.method === METHOD_STORED ? 'stored' : 'deflate',
    declaredBytes: entry.hasDescriptor ? undefined : entry.uncompressedBytes,
    stream,
    outcome,
  };
}

async function drainDirectory(r: ByteReader, entry: LocalEntry, budget: Budget): Promise<void> {
  const data = entryData(r, entry, budget);
  let step = await data.next();
  for (; !step.done; step = await data.next()) {
    if (step.value.length > 0) {
      await data.return({ crc32: 0, compressedBytes: 0, uncompressedBytes: 0 });
      throw invalid(`the directory entry ${entry.name} carries data`);
    }
  }
  await checkEntryEnd(r, entry, step.value);
}

/** After the file: another file (not a wrapper), directories (skipped), or the central directory. */
async function readAfterFile(r: ByteReader, file: LocalEntry, totals: DataTotals, budget: Budget): Promise<ZipUnwrapOutcome> {
  for (;;) {
    const at = r.position;
    const sig = await r.peekSignature();
    if (sig === SIG_LOCAL) {
      const next = await readLocalHeader(r);
      if (!next.isDirectory) return { wrapper: false, reason: `the zip holds another file after ${file.name}: ${next.name}` };
      assertSupported(next);
      await drainDirectory(r, next, budget);
    } else if (sig === SIG_CENTRAL) {
      return checkCentralDirectory(r, file, totals);
    } else if (sig === SIG_END || sig === SIG_END64) {
      throw invalid(`the central directory does not list ${file.name}`);
    } else if (sig === undefined) {
      throw truncated(`the zip ends at byte ${at}, before its central directory`);
    } else {
      throw invalid(`expected the central directory after ${file.name} at byte ${at}, found 0x${sig.toString(16).padStart(8, '0')}`);
    }
  }
}

async function checkCentralDirectory(r: ByteReader, file: LocalEntry, totals: DataTotals): Promise<ZipUnwrapOutcome> {
  let files = 0;
  for (;;) {
    const at = r.position;
    const sig = await r.peekSignature();
    if (sig !== SIG_CENTRAL) {
      if (files === 0) throw invalid(`the central directory does not list ${file.name}`);
      if (sig === SIG_END || sig === SIG_END64 || sig === SIG_DIGITAL_SIGNATURE) return { wrapper: true, bytes: totals.uncompressedBytes, crc32: totals.crc32 };
      if (sig === undefined) throw truncated(`the zip ends at byte ${at}, inside its central directory`);
      throw invalid(`expected a central directory record at byte ${at}`);
    }
    const h = await r.read(46, 'a central directory header');
    const nameBytes = await r.read(h.readUInt16LE(28), 'a central directory name');
    const extra = await r.read(h.readUInt16LE(30), 'a central directory extra field');
    await r.skip(h.readUInt16LE(32), 'a central directory comment');
    if (isDirectoryName(nameBytes)) continue;
    files += 1;
    if (files > 1) return { wrapper: false, reason: `the central directory lists another file besides ${file.name}` };
    // Zip64 gives, in this order, only the values whose 32-bit field is saturated.
    const wide = zip64Values(extra, [h.readUInt32LE(24), h.readUInt32LE(20), h.readUInt32LE(42)]);
    const [uncompressed, compressed, offset] = wide;
    const agrees = nameBytes.equals(file.nameBytes) && h.readUInt32LE(16) === totals.crc32 &&
      uncompressed === totals.uncompressedBytes && compressed === totals.compressedBytes && offset === file.offset;
    if (!agrees) throw invalid(`the central directory disagrees with the local header of ${file.name} (name, CRC-32, sizes or offset)`);
  }
}

async function readLocalHeader(r: ByteReader): Promise<LocalEntry> {
  const offset = r.position;
  const h = await r.read(30, 'a local file header');
  const flags = h.readUInt16LE(6);
  const nameBytes = Buffer.from(await r.read(h.readUInt16LE(26), 'an entry name'));
  const extra = await r.read(h.readUInt16LE(28), 'an extra field');
  let compressedBytes = h.readUInt32LE(18);
  let uncompressedBytes = h.readUInt32LE(22);
  if (compressedBytes === U32_MAX || uncompressedBytes === U32_MAX) {
    // In a local header zip64 carries both sizes, uncompressed first.
    const z = extraField(extra, ZIP64_EXTRA);
    if (z === undefined || z.length < 16) throw invalid(`the entry ${decodeName(nameBytes, flags, extra)} is zip64 but its sizes are missing`);
    uncompressedBytes = u64(z, 0);
    compressedBytes = u64(z, 8);
  }
  return {
    offset, nameBytes, name: decodeName(nameBytes, flags, extra), isDirectory: isDirectoryName(nameBytes),
    flags, method: h.readUInt16LE(8), crc32: h.readUInt32LE(14), compressedBytes, uncompressedBytes,
    hasDescriptor: (flags & FLAG_DESCRIPTOR) !== 0,
  };
}

function assertSupported(e: LocalEntry): void {
  if (e.flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION | FLAG_MASKED_HEADER)) throw invalid(`the entry ${e.name} is encrypted`);
  if (e.method !== METHOD_STORED && e.method !== METHOD_DEFLATE) {
    throw invalid(`the entry ${e.name} uses compression method ${e.method}; only 0 (stored) and 8 (deflate) are supported`);
  }
}

/** Streams one entry's data, counted and checked against the limits; returns what was measured. */
async function* entryData(r: ByteReader, entry: LocalEntry, budget: Budget): AsyncGenerator<Buffer, DataTotals> {
  checkDeclared(entry, budget);
  return entry.method === METHOD_STORED ? yield* storedData(r, entry, budget) : yield* inflatedData(r, entry, budget);
}

async function* storedData(r: ByteReader, entry: LocalEntry, budget: Budget): AsyncGenerator<Buffer, DataTotals> {
  // With a data descriptor a stored entry's length is unknown: readable only when the header still gives it
  // (some writers do). Otherwise it is taken as empty, and the descriptor check refuses it if it is not.
  let left = entry.compressedBytes;
  let crc = 0;
  let out = 0;
  while (left > 0) {
    const chunk = await r.next(left);
    if (chunk === undefined) throw truncated(`the zip ends inside the data of ${entry.name}`);
    left -= chunk.length;
    out += chunk.length;
    crc = crc32(chunk, crc);
    budget.total += chunk.length;
    checkBudget(budget, entry, budget.total, out, out);
    yield chunk;
  }
  return { crc32: crc, compressedBytes: out, uncompressedBytes: out };
}

async function* inflatedData(r: ByteReader, entry: LocalEntry, budget: Budget): AsyncGenerator<Buffer, DataTotals> {
  const inflater = createInflateRaw();
  // Without a descriptor the compressed size bounds the input; with one, the deflate stream's own end does, and
  // zlib's bytesWritten (input it actually consumed) says where in the last chunk the descriptor begins.
  const bound = entry.hasDescriptor ? Number.POSITIVE_INFINITY : entry.compressedBytes;
  let fed = 0;
  let inputEnded = false;
  let feedError: Error | undefined;
  const feeding = (async () => {
    while (fed < bound) {
      const chunk = await r.next(bound - fed);
      if (chunk === undefined) {
        inputEnded = true; // zlib then reports the deflate stream unfinished (Z_BUF_ERROR)
        break;
      }
      await writeAndWait(inflater, chunk);
      fed += chunk.length;
      const unused = fed - inflater.bytesWritten;
      if (unused > 0) {
        r.unshift(chunk.subarray(chunk.length - unused));
        fed -= unused;
        return;
      }
    }
    inflater.end();
  })().catch((e: unknown) => {
    feedError = e instanceof Error ? e : new Error(String(e));
    inflater.destroy(feedError);
  });

  let crc = 0;
  let out = 0;
  try {
    for await (const chunk of inflater as AsyncIterable<Buffer>) {
      out += chunk.length;
      crc = crc32(chunk, crc);
      budget.total += chunk.length;
      checkBudget(budget, entry, budget.total, out, inflater.bytesWritten);
      yield chunk;
    }
  } catch (e) {
    if (isEdxmlError(e)) throw e;
    if (feedError !== undefined) throw feedError;
    if ((e as { code?: unknown }).code === 'Z_BUF_ERROR') {
      throw inputEnded ? truncated(`the zip ends inside the data of ${entry.name}`, e)
        : invalid(`the deflate data of ${entry.name} runs past the ${entry.compressedBytes} bytes its header gives`, e);
    }
    throw invalid(`the deflate data of ${entry.name} is damaged (${(e as Error).message})`, e);
  } finally {
    inflater.destroy();
  }
  await feeding;
  if (feedError !== undefined) throw feedError;
  if (!entry.hasDescriptor && fed !== entry.compressedBytes) {
    throw invalid(`the deflate data of ${entry.name} ends after ${fed} bytes, its header says ${entry.compressedBytes}`);
  }
  return { crc32: crc, compressedBytes: fed, uncompressedBytes: out };
}

/** Declared sizes can lie, so they are re-checked as bytes flow; but a declared bomb need not be inflated. */
function checkDeclared(entry: LocalEntry, budget: Budget): void {
  if (!entry.hasDescriptor) checkBudget(budget, entry, budget.total + entry.uncompressedBytes, entry.uncompressedBytes, entry.compressedBytes);
}

function checkBudget(budget: Budget, entry: LocalEntry, total: number, out: number, consumed: number): void {
  if (total > budget.unzipBytesMax) {
    throw new EdxmlError('VDXP_E_ZIP_BOMB', `The zip expands beyond limits.unzipBytesMax (${budget.unzipBytesMax} bytes) at ${entry.name}; send the file unzipped`);
  }
  if (out >= RATIO_CHECK_AFTER_BYTES && out > consumed * budget.unzipRatioMax) {
    throw new EdxmlError(
      'VDXP_E_ZIP_BOMB',
      `${entry.name} expands more than limits.unzipRatioMax (${budget.unzipRatioMax}:1): ${out} bytes from ${consumed}; send the file unzipped`,
    );
  }
}

/** Checks the measured data against the data descriptor (flag bit 3) or else the local header. */
async function checkEntryEnd(r: ByteReader, entry: LocalEntry, totals: DataTotals): Promise<void> {
  const declared = entry.hasDescriptor ? await readDescriptor(r, entry, totals) : entry;
  if (declared.compressedBytes !== totals.compressedBytes || declared.uncompressedBytes !== totals.uncompressedBytes) {
    throw invalid(
      `the sizes of ${entry.name} do not match: declared ${declared.compressedBytes} compressed / ${declared.uncompressedBytes} bytes, ` +
      `found ${totals.compressedBytes} / ${totals.uncompressedBytes}`,
    );
  }
  if (declared.crc32 !== totals.crc32) throw invalid(`the CRC-32 of ${entry.name} does not match its data: the file is damaged`);
}

// Descriptor layouts, most common first: with or without its optional signature, 32- or 64-bit (zip64) sizes.
const DESCRIPTOR_LAYOUTS = [[4, 4], [4, 8], [0, 4], [0, 8]] as const;

const NEXT_RECORD_SIGNATURES: readonly number[] = [SIG_LOCAL, SIG_CENTRAL, SIG_END, SIG_END64];

/**
 * The layout is not announced, so the one whose sizes equal what was measured is taken, preferring one that a
 * zip record follows (an empty file's 64-bit sizes 2 and 0 also read as 32-bit 2 and 0). A CRC mismatch is
 * then reported as such; when no layout matches, the sizes are reported as wrong.
 */
async function readDescriptor(r: ByteReader, entry: LocalEntry, totals: DataTotals): Promise<DataTotals> {
  const b = await r.peek(28);
  let first: DataTotals | undefined;
  let matching: { d: DataTotals; length: number } | undefined;
  for (const [sig, width] of DESCRIPTOR_LAYOUTS) {
    const length = sig + 4 + 2 * width;
    if (b.length < length || (sig === 4 && b.readUInt32LE(0) !== SIG_DESCRIPTOR)) continue;
    // Not u64(): a wrong layout may read garbage beyond 2^53, which must only fail to match, not throw.
    const read = (at: number): number => (width === 4 ? b.readUInt32LE(at) : Number(b.readBigUInt64LE(at)));
    const d = { crc32: b.readUInt32LE(sig), compressedBytes: read(sig + 4), uncompressedBytes: read(sig + 4 + width) };
    first ??= d;
    if (d.compressedBytes !== totals.compressedBytes || d.uncompressedBytes !== totals.uncompressedBytes) continue;
    const followed = b.length >= length + 4 && NEXT_RECORD_SIGNATURES.includes(b.readUInt32LE(length));
    if (followed) {
      matching = { d, length };
      break;
    }
    matching ??= { d, length };
  }
  if (matching) {
    await r.skip(matching.length, 'a data descriptor');
    return matching.d;
  }
  if (first === undefined) throw truncated(`the zip ends inside the data descriptor of ${entry.name}`);
  if (entry.method === METHOD_STORED && entry.compressedBytes === 0) {
    throw invalid(`the stored entry ${entry.name} gives its size only after its data, which cannot be read as a stream; zip it with deflate`);
  }
  return first;
}

function isDirectoryName(nameBytes: Buffer): boolean {
  return nameBytes.length > 0 && nameBytes[nameBytes.length - 1] === 0x2f; // '/'
}

function extraField(extra: Buffer, id: number): Buffer | undefined {
  for (let at = 0; at + 4 <= extra.length;) {
    const size = extra.readUInt16LE(at + 2);
    if (extra.readUInt16LE(at) === id) return extra.subarray(at + 4, Math.min(at + 4 + size, extra.length));
    at += 4 + size;
  }
  return undefined;
}

/** Replaces saturated 32-bit values by the zip64 extra field's 64-bit ones, taken in order. */
function zip64Values(extra: Buffer, values: number[]): number[] {
  if (!values.includes(U32_MAX)) return values;
  const z = extraField(extra, ZIP64_EXTRA) ?? Buffer.alloc(0);
  let at = 0;
  return values.map((v) => {
    if (v !== U32_MAX || at + 8 > z.length) return v;
    at += 8;
    return u64(z, at - 8);
  });
}

function u64(b: Buffer, at: number): number {
  const v = b.readBigUInt64LE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid('a zip64 size is larger than can be handled');
  return Number(v);
}

// Bytes 0x80–0xFF of code page 437, the zip spec's encoding for names without the UTF-8 flag.
const CP437_HIGH = 'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

/**
 * UTF-8 when flagged (bit 11) or given by an Info-ZIP Unicode path field that matches the raw name; then
 * UTF-8 when the bytes are valid UTF-8 (many tools write it without the flag); CP437, as specified, otherwise.
 */
function decodeName(bytes: Buffer, flags: number, extra: Buffer): string {
  if (flags & FLAG_UTF8) return new TextDecoder('utf-8').decode(bytes);
  const unicode = extraField(extra, UNICODE_PATH_EXTRA);
  if (unicode !== undefined && unicode.length > 5 && unicode[0] === 1 && unicode.readUInt32LE(1) === crc32(bytes)) {
    return new TextDecoder('utf-8').decode(unicode.subarray(5));
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return Array.from(bytes, (c) => (c < 0x80 ? String.fromCharCode(c) : CP437_HIGH.charAt(c - 0x80))).join('');
  }
}

function writeAndWait(w: Writable, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    // A destroyed inflater may never call back; its close must still end the wait.
    const onClose = (): void => reject(new Error('The inflater closed'));
    w.once('close', onClose);
    w.write(chunk, (err) => {
      w.off('close', onClose);
      if (err) reject(err);
      else resolve();
    });
  });
}

function invalid(what: string, cause?: unknown): EdxmlError {
  return new EdxmlError('VDXP_E_ZIP_INVALID', `The zip payload is invalid: ${what}; re-create it (deflate or stored, no encryption)`, { cause });
}

function truncated(what: string, cause?: unknown): EdxmlError {
  return new EdxmlError('VDXP_E_ZIP_INVALID', `The zip payload is truncated: ${what}; resend the whole file`, { cause });
}

/** Reads a byte source front to back with a little look-ahead; `unshift` gives back what zlib did not consume. */
class ByteReader {
  readonly #source: AsyncIterator<Uint8Array> | Iterator<Uint8Array>;
  #chunks: Buffer[] = [];
  #buffered = 0;
  #done = false;
  /** Offset in the zip of the next byte to be handed out. */
  position = 0;

  constructor(source: ByteSource) {
    this.#source = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
  }

  async #pull(): Promise<boolean> {
    while (!this.#done) {
      const step = await this.#source.next();
      if (step.done === true) {
        this.#done = true;
        return false;
      }
      const c = step.value;
      if (c.byteLength === 0) continue;
      this.#chunks.push(Buffer.from(c.buffer, c.byteOffset, c.byteLength));
      this.#buffered += c.byteLength;
      return true;
    }
    return false;
  }

  /** The next `n` bytes without consuming them; fewer only at the end of the input. */
  async peek(n: number): Promise<Buffer> {
    while (this.#buffered < n && (await this.#pull()));
    const first = this.#chunks[0];
    if (first === undefined) return Buffer.alloc(0);
    if (first.length >= n || this.#chunks.length === 1) return first.subarray(0, n);
    const merged = Buffer.concat(this.#chunks);
    this.#chunks = [merged];
    return merged.subarray(0, n);
  }

  /** The next four bytes as a little-endian signature, or undefined at the end of the input. */
  async peekSignature(): Promise<number | undefined> {
    const b = await this.peek(4);
    return b.length === 4 ? b.readUInt32LE(0) : undefined;
  }

  async read(n: number, what: string): Promise<Buffer> {
    const b = await this.peek(n);
    if (b.length < n) throw truncated(`the zip ends at byte ${this.position + b.length}, inside ${what}`);
    this.#consume(n);
    return b;
  }

  async skip(n: number, what: string): Promise<void> {
    for (let left = n; left > 0;) {
      const c = await this.next(left);
      if (c === undefined) throw truncated(`the zip ends at byte ${this.position}, inside ${what}`);
      left -= c.length;
    }
  }

  /** Up to `max` bytes (at least one), or undefined at the end of the input. */
  async next(max: number): Promise<Buffer | undefined> {
    if (this.#buffered === 0 && !(await this.#pull())) return undefined;
    const first = this.#chunks[0];
    if (first === undefined) return undefined;
    const c = first.length <= max ? first : first.subarray(0, max);
    this.#consume(c.length);
    return c;
  }

  unshift(b: Buffer): void {
    if (b.length === 0) return;
    this.#chunks.unshift(b);
    this.#buffered += b.length;
    this.position -= b.length;
  }

  /** Stops reading; the source is told (a file stream closes its descriptor). */
  async close(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    this.#chunks = [];
    this.#buffered = 0;
    try {
      await this.#source.return?.();
    } catch {
      // The source failing while being closed changes nothing for the zip.
    }
  }

  #consume(n: number): void {
    this.position += n;
    this.#buffered -= n;
    while (n > 0) {
      const first = this.#chunks[0];
      if (first === undefined) break;
      if (first.length <= n) {
        this.#chunks.shift();
        n -= first.length;
      } else {
        this.#chunks[0] = first.subarray(n);
        n = 0;
      }
    }
  }
}
