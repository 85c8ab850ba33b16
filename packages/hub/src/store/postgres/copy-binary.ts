// Packet bytes in and out of PostgreSQL by binary COPY, run as node-postgres "submittables". Out:
// `COPY (…) TO STDOUT (FORMAT binary)`, whose CopyData messages arrive as Buffers, no string in between. In:
// `COPY … FROM STDIN (FORMAT binary)`, the bytes sent as the pieces they came in (copyInRow, below).
// Why not queries: node-postgres decodes every DataRow field as UTF-8 text, even with `binary: true`
// (pg-protocol's parser has no binary mode), so a bytea read as a query result is either hex text twice its
// size decoded on the JS heap (text format) or mangled wherever its bytes are not UTF-8 (binary format: a 1 MiB
// row boundary cutting a Vietnamese character changed the packet). COPY's binary format is PostgreSQL's own,
// documented in "COPY: Binary Format": a signature, flags and a header extension, then per row a field count
// and each field as a length and its bytes, then -1.

import type pg from 'pg';

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
/** Signature, flags (int32), header extension length (int32). */
const HEADER_BYTES = SIGNATURE.byteLength + 8;

/**
 * Decodes the binary COPY stream of rows of ONE bytea column, fed in messages of any size: each field's bytes are
 * handed on as slices of the messages (no copy), only the few bytes of a header or length cut by a message
 * boundary are held.
 */
export class BinaryCopyDecoder {
  #held: Buffer = Buffer.alloc(0);
  #headerLeft = HEADER_BYTES;
  #extensionLeft = -1;
  /** Bytes of the current field still to come; -1 between fields. */
  #fieldLeft = -1;
  #expectCount = true;
  #ended = false;

  get ended(): boolean {
    return this.#ended;
  }

  /** Feeds one message; returns the field bytes it held. */
  push(message: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let at = 0;
    const need = (n: number): Buffer | undefined => {
      // n header bytes, from what is held and this message; undefined (and held) when the message ends first.
      const take = Math.min(n - this.#held.byteLength, message.byteLength - at);
      const got = this.#held.byteLength === 0 && take === n ? message.subarray(at, at + n) : Buffer.concat([this.#held, message.subarray(at, at + take)]);
      at += take;
      if (got.byteLength < n) { this.#held = got; return undefined; }
      this.#held = Buffer.alloc(0);
      return got;
    };
    while (at < message.byteLength) {
      if (this.#ended) throw new Error('COPY binary: bytes after the end marker');
      if (this.#headerLeft > 0) {
        const h = need(HEADER_BYTES);
        if (h === undefined) return out;
        if (!h.subarray(0, SIGNATURE.byteLength).equals(SIGNATURE)) throw new Error('COPY binary: not the binary signature');
        this.#headerLeft = 0;
        this.#extensionLeft = h.readUInt32BE(SIGNATURE.byteLength + 4);
        continue;
      }
      if (this.#extensionLeft > 0) {
        const skip = Math.min(this.#extensionLeft, message.byteLength - at);
        at += skip;
        this.#extensionLeft -= skip;
        continue;
      }
      if (this.#fieldLeft > 0) {
        const take = Math.min(this.#fieldLeft, message.byteLength - at);
        out.push(message.subarray(at, at + take));
        at += take;
        this.#fieldLeft -= take;
        if (this.#fieldLeft === 0) { this.#fieldLeft = -1; this.#expectCount = true; }
        continue;
      }
      if (this.#expectCount) {
        const c = need(2);
        if (c === undefined) return out;
        const count = c.readInt16BE(0);
        if (count === -1) { this.#ended = true; continue; }
        if (count !== 1) throw new Error(`COPY binary: ${count} fields in a row, expected 1`);
        this.#expectCount = false;
        continue;
      }
      const l = need(4);
      if (l === undefined) return out;
      const length = l.readInt32BE(0);
      if (length < 0) throw new Error('COPY binary: a NULL field');
      this.#fieldLeft = length;
      if (length === 0) { this.#fieldLeft = -1; this.#expectCount = true; }
    }
    return out;
  }
}

/** The submittable: runs `text` (a COPY … TO STDOUT (FORMAT binary) of one bytea column) and collects its bytes. */
class CopyOutQuery {
  readonly text: string;
  readonly done: Promise<Buffer[]>;
  #resolve!: (b: Buffer[]) => void;
  #reject!: (e: Error) => void;
  #decoder = new BinaryCopyDecoder();
  #out: Buffer[] = [];
  #error: Error | undefined;

  constructor(text: string) {
    this.text = text;
    this.done = new Promise((resolve, reject) => { this.#resolve = resolve; this.#reject = reject; });
  }

  submit(connection: { query(text: string): void }): void {
    connection.query(this.text);
  }

  handleCopyData(msg: { chunk: Buffer }): void {
    if (this.#error !== undefined) return;
    try {
      // Copied: the slices are views of node-postgres's receive buffer, which it reuses for later messages.
      for (const b of this.#decoder.push(msg.chunk)) this.#out.push(Buffer.from(b));
    } catch (e) {
      this.#error = e as Error;
    }
  }

  handleError(err: Error): void {
    // The server's error is final: no ReadyForQuery reaches this query after it.
    this.#reject(err);
  }

  handleReadyForQuery(): void {
    if (this.#error === undefined && !this.#decoder.ended) this.#error = new Error('COPY binary: the stream ended before its end marker');
    if (this.#error !== undefined) this.#reject(this.#error);
    else this.#resolve(this.#out);
  }

  // Messages a COPY OUT does not produce, should the text be something else: refused when ReadyForQuery comes.
  handleCommandComplete(): void { /* nothing: the rows came as CopyData */ }
  handleRowDescription(): void { this.#error ??= new Error('COPY binary: a query result instead of COPY data'); }
  handleDataRow(): void { this.#error ??= new Error('COPY binary: a query result instead of COPY data'); }
  handleEmptyQuery(): void { this.#error ??= new Error('COPY binary: an empty query'); }
  handlePortalSuspended(): void { /* nothing */ }
}

/**
 * Runs a `COPY (SELECT <one bytea column> …) TO STDOUT (FORMAT binary)` on a pooled connection and returns the
 * column's bytes, row after row, as slices (their concatenation is the rows' bytes in order). COPY takes no
 * parameters: callers build `text` from values they checked (uuids, integers). A connection that failed mid-COPY
 * is not returned to the pool.
 */
export async function copyOutBytes(pool: pg.Pool, text: string): Promise<Buffer[]> {
  const c = await pool.connect();
  const q = new CopyOutQuery(text);
  let broken: Error | undefined;
  try {
    (c as unknown as { query(s: CopyOutQuery): void }).query(q);
    return await q.done;
  } catch (e) {
    broken = e as Error;
    throw e;
  } finally {
    // Not reused after any failure (a new connection is cheap next to a packet).
    c.release(broken);
  }
}

interface CopyConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}

/** The submittable of a COPY … FROM STDIN (FORMAT binary): sends the prepared messages once the server asks. */
class CopyInQuery {
  readonly text: string;
  readonly done: Promise<void>;
  #messages: Buffer[];
  #resolve!: () => void;
  #reject!: (e: Error) => void;
  #error: Error | undefined;

  constructor(text: string, messages: Buffer[]) {
    this.text = text;
    this.#messages = messages;
    this.done = new Promise((resolve, reject) => { this.#resolve = resolve; this.#reject = reject; });
  }

  submit(connection: CopyConnection): void {
    connection.query(this.text);
  }

  handleCopyInResponse(connection: CopyConnection): void {
    // One CopyData per piece: node-postgres copies each into a message of its size, never one of the whole row.
    for (const m of this.#messages) connection.sendCopyFromChunk(m);
    this.#messages = [];
    connection.endCopyFrom();
  }

  handleError(err: Error): void {
    this.#messages = [];
    this.#reject(err);
  }

  handleReadyForQuery(): void {
    if (this.#error !== undefined) this.#reject(this.#error);
    else this.#resolve();
  }

  handleCommandComplete(): void { /* the rows are in */ }
  handleRowDescription(): void { this.#error ??= new Error('COPY binary: a query result instead of COPY IN'); }
  handleDataRow(): void { this.#error ??= new Error('COPY binary: a query result instead of COPY IN'); }
  handleEmptyQuery(): void { this.#error ??= new Error('COPY binary: an empty query'); }
  handleCopyData(): void { this.#error ??= new Error('COPY binary: COPY OUT instead of COPY IN'); }
  handlePortalSuspended(): void { /* nothing */ }
}

/**
 * Writes one row (text, integer, bytea) with `COPY <table> (<columns>) FROM STDIN (FORMAT binary)` on a client
 * (in its transaction), the bytea sent as the given pieces, each its own CopyData message: no buffer of the whole
 * row is built, where a bytea query parameter is copied into a Bind message of its full size (twice, growing).
 */
export async function copyInRow(client: pg.PoolClient, table: string, columns: [string, string, string], row: [string, number, Buffer[]]): Promise<void> {
  const [text, int, pieces] = row;
  const textBytes = Buffer.from(text, 'utf8');
  const bytes = pieces.reduce((n, p) => n + p.byteLength, 0);
  const head = Buffer.alloc(HEADER_BYTES + 2 + 4 + textBytes.byteLength + 4 + 4 + 4);
  let at = SIGNATURE.copy(head, 0);
  at = head.writeInt32BE(0, at); // flags
  at = head.writeInt32BE(0, at); // header extension length
  at = head.writeInt16BE(3, at); // fields in the row
  at = head.writeInt32BE(textBytes.byteLength, at);
  at += textBytes.copy(head, at);
  at = head.writeInt32BE(4, at);
  at = head.writeInt32BE(int, at);
  head.writeInt32BE(bytes, at);
  const end = Buffer.alloc(2);
  end.writeInt16BE(-1);
  const q = new CopyInQuery(`COPY ${table} (${columns.join(', ')}) FROM STDIN (FORMAT binary)`, [head, ...pieces, end]);
  (client as unknown as { query(s: CopyInQuery): void }).query(q);
  await q.done;
}
