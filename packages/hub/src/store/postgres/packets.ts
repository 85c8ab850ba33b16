// Packet bytes on PostgreSQL: no data folder. A small packet (≤ inlinePacketBytesMax) is held in memory and
// written in its document's transaction (blobs_inline), as on SQLite. A larger one is written while it is
// parsed, as rows of pgPacketChunkBytes under a fresh upload id (packet_chunks, packet_uploads), each row one
// short transaction on any pooled connection, with synchronous_commit off: it costs no WAL flush of its own,
// because the document's transaction, committed synchronously, flushes the WAL up to its commit record, which
// comes after every chunk's (the WAL is one sequence). That transaction adopts the upload (a packets row, the
// upload row deleted), so the 2xx follows the one commit that holds the document, its deliveries, its evidence
// event and its packet bytes. A node that dies mid-upload leaves chunks of an upload nobody adopted; the sweep
// collects uploads idle for pgStagedUploadIdleSeconds (any node may: the upload row is the claim, deleted once,
// either by the adoption or by the collection, never both). There is no commit-to-rename instant to wait for
// (the file engine's `announce`): the bytes become visible with the document.

import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type pg from 'pg';
import type { PacketStore, PacketWriter, StagedBlob } from '../../blobs.ts';
import type { Random } from '../../clock.ts';
import { HubError } from '../../errors.ts';
import type { StoreOps } from '../store.ts';
import { copyInRow, copyOutBytes } from './copy-binary.ts';
import { PostgresOps } from './postgres-store.ts';

export interface PgPacketStoreOptions {
  pool: pg.Pool;
  random: Random;
  inlinePacketBytesMax: number;
  chunkBytes: number;
  readChunks: number;
  /** Bytes of each slice a row is read in (pgPacketReadSliceBytes). */
  readSliceBytes: number;
  /** Uploads untouched this long are abandoned (pgStagedUploadIdleSeconds). */
  stagedIdleMs: number;
}

/** The database's clock in ms: uploads are compared with it, so nodes' clocks never matter. */
const DB_NOW_MS = '(extract(epoch from clock_timestamp()) * 1000)::bigint';
/** Upload ids are uuids (Random.uuid): checked before one is written into a COPY statement. */
const UPLOAD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface PgStaged extends StagedBlob {
  uploadId: string;
  /** Set by keep(): the document's transaction took the upload as this digest's packet. */
  adopted?: boolean;
}

class PgPacketWriter implements PacketWriter, PgStaged {
  readonly uploadId: string;
  digest = '';
  bytes = 0;
  inline: Uint8Array | undefined;
  adopted?: boolean;
  readonly #o: PgPacketStoreOptions;
  readonly #hash = createHash('sha256');
  #held: Buffer | undefined = Buffer.alloc(0);
  /** Bytes past the inline limit not yet written as a chunk (at most chunkBytes). */
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #chunks = 0;
  #spilled = false;

  constructor(o: PgPacketStoreOptions) {
    this.#o = o;
    this.uploadId = o.random.uuid();
  }

  get path(): string {
    return `postgres:packet_uploads/${this.uploadId}`;
  }

  get spilled(): boolean {
    return this.#spilled;
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.#hash.update(chunk);
    const total = this.bytes + chunk.byteLength;
    if (this.#held !== undefined && total <= this.#o.inlinePacketBytesMax) {
      if (total > this.#held.byteLength) {
        const grown = Buffer.allocUnsafe(Math.min(this.#o.inlinePacketBytesMax, Math.max(total, 2 * this.#held.byteLength)));
        this.#held.copy(grown, 0, 0, this.bytes);
        this.#held = grown;
      }
      this.#held.set(chunk, this.bytes);
      this.bytes = total;
      return;
    }
    if (this.#held !== undefined) {
      const held = this.#held.subarray(0, this.bytes);
      this.#held = undefined;
      this.#spilled = true;
      await this.#append(held);
    }
    await this.#append(chunk);
    this.bytes = total;
  }

  async #append(bytes: Uint8Array): Promise<void> {
    let at = 0;
    while (at < bytes.byteLength) {
      const take = Math.min(bytes.byteLength - at, this.#o.chunkBytes - this.#pendingBytes);
      // Copied: a caller may reuse its buffer for the next slice.
      this.#pending.push(Buffer.from(bytes.subarray(at, at + take)));
      this.#pendingBytes += take;
      at += take;
      if (this.#pendingBytes === this.#o.chunkBytes) await this.#flush();
    }
  }

  async #flush(): Promise<void> {
    if (this.#pendingBytes === 0 && this.#chunks > 0) return;
    const row = this.#pending;
    this.#pending = [];
    this.#pendingBytes = 0;
    const n = this.#chunks++;
    const c = await this.#o.pool.connect();
    let broken: Error | undefined;
    try {
      await c.query('BEGIN; SET LOCAL synchronous_commit TO off');
      await c.query(`INSERT INTO packet_uploads (id, touched_at) VALUES ($1, ${DB_NOW_MS})
        ON CONFLICT (id) DO UPDATE SET touched_at = excluded.touched_at`, [this.uploadId]);
      // COPY, not INSERT: the pieces go out as they are, no 1 MiB Bind message is built (copy-binary.ts).
      await copyInRow(c, 'packet_chunks', ['upload_id', 'n', 'bytes'], [this.uploadId, n, row]);
      await c.query('COMMIT');
    } catch (e) {
      await c.query('ROLLBACK').catch((r: unknown) => { broken = r as Error; });
      throw e;
    } finally {
      c.release(broken);
    }
  }

  async finish(): Promise<StagedBlob> {
    this.digest = this.#hash.digest('hex');
    if (this.#held !== undefined) {
      const held = this.#held.subarray(0, this.bytes);
      this.#held = undefined;
      // A large packet of this digest kept already serves this document too (the limit was raised since).
      const kept = await this.#o.pool.query('SELECT 1 FROM packets WHERE digest = $1', [this.digest]);
      if (kept.rowCount === 0) this.inline = held;
      return this;
    }
    await this.#flush();
    return this;
  }

  async abort(): Promise<void> {
    this.#held = undefined;
    this.#pending = [];
    if (this.#spilled) await removeUpload(this.#o.pool, this.uploadId);
  }
}

async function removeUpload(db: pg.Pool | pg.PoolClient, uploadId: string): Promise<void> {
  await db.query('DELETE FROM packet_chunks WHERE upload_id = $1', [uploadId]);
  await db.query('DELETE FROM packet_uploads WHERE id = $1', [uploadId]);
}

export class PgPacketStore implements PacketStore {
  readonly #o: PgPacketStoreOptions;

  constructor(o: PgPacketStoreOptions) {
    this.#o = o;
  }

  begin(): PacketWriter {
    return new PgPacketWriter(this.#o);
  }

  async stage(bytes: Uint8Array): Promise<StagedBlob> {
    const w = this.begin();
    await w.write(bytes);
    return w.finish();
  }

  async keep(tx: StoreOps, staged: StagedBlob): Promise<void> {
    if (!(tx instanceof PostgresOps)) throw new Error('assertion: PostgreSQL packets are kept in a PostgreSQL transaction');
    if (staged.inline !== undefined) {
      await tx.putInlineBlob(staged.digest, staged.inline);
      return;
    }
    // Kept inline already (stored before the limit was lowered): served from there, the upload is dropped.
    staged.inline = await tx.inlineBlob(staged.digest);
    if (staged.inline !== undefined) return;
    const s = staged as PgStaged;
    const taken = await tx.db.query('INSERT INTO packets (digest, upload_id, bytes) VALUES ($1, $2, $3) ON CONFLICT (digest) DO NOTHING',
      [s.digest, s.uploadId, s.bytes]);
    if (taken.rowCount === 0) return; // the same bytes are kept already: this upload is dropped after the commit
    const claimed = await tx.db.query('DELETE FROM packet_uploads WHERE id = $1', [s.uploadId]);
    if (claimed.rowCount !== 1) {
      throw new Error(`Upload ${s.uploadId} was collected as abandoned before its document committed (idle longer than pgStagedUploadIdleSeconds); send the packet again`);
    }
    s.adopted = true;
  }

  async commit(staged: StagedBlob): Promise<void> {
    if (!(staged as PgStaged).adopted) await this.discard(staged);
  }

  async discard(staged: StagedBlob): Promise<void> {
    const s = staged as PgStaged;
    if (s.spilled && !s.adopted) await removeUpload(this.#o.pool, s.uploadId);
  }

  announce(_digest: string): () => void {
    return () => undefined;
  }

  async open(digest: string, bytes: number): Promise<Readable> {
    const inline = await this.#inline(digest);
    if (inline !== undefined) return checkedInline(digest, inline);
    const row = (await this.#o.pool.query<{ upload_id: string }>('SELECT upload_id FROM packets WHERE digest = $1', [digest])).rows[0];
    if (row === undefined) throw new HubError('VDXP_E_BLOB_CORRUPT', `Stored packet ${digest} (${bytes} bytes) cannot be read: it is not in the database`);
    return Readable.from(checkedChunks(digest, this.#chunks(row.upload_id)), { objectMode: false });
  }

  async #inline(digest: string): Promise<Buffer | undefined> {
    return (await this.#o.pool.query<{ bytes: Buffer }>('SELECT bytes FROM blobs_inline WHERE digest = $1', [digest])).rows[0]?.bytes;
  }

  /**
   * The upload's rows in order, readChunks rows per statement, each row as slices of readSliceBytes: memory
   * bounded by one page, no transaction held open. Read with a binary COPY (copy-binary.ts), so the bytes reach
   * here as bytes: a query result would decode them as text (hex, or UTF-8 that mangles them), and a 1 MiB
   * row made node-postgres grow its receive buffer to 2 MiB, by doubling, for every row (the download's peak
   * RSS for a 2 GB packet was above 256 MB). A slice fits in one socket read. A missing or changed row shows in
   * the digest, which every reader checks (checkedChunks, hashOf).
   */
  async *#chunks(uploadId: string): AsyncGenerator<Buffer> {
    if (!UPLOAD_ID.test(uploadId)) throw new HubError('VDXP_E_BLOB_CORRUPT', `Stored packet names an upload id that is not one: ${JSON.stringify(uploadId)}`);
    const rows = Number((await this.#o.pool.query<{ n: string | number }>('SELECT count(*) AS n FROM packet_chunks WHERE upload_id = $1', [uploadId])).rows[0]?.n ?? 0);
    const slice = this.#o.readSliceBytes;
    for (let next = 0; next < rows; next += this.#o.readChunks) {
      // COPY takes no parameters: the upload id is checked above, the numbers are integers.
      const text = `COPY (SELECT substring(bytes FROM s FOR ${slice}) FROM packet_chunks, generate_series(1, octet_length(bytes), ${slice}) AS s
        WHERE upload_id = '${uploadId}' AND n >= ${next} AND n < ${next + this.#o.readChunks} ORDER BY n, s) TO STDOUT (FORMAT binary)`;
      yield* await copyOutBytes(this.#o.pool, text);
    }
  }

  async hashOf(digest: string): Promise<string | undefined> {
    const inline = await this.#inline(digest);
    if (inline !== undefined) return createHash('sha256').update(inline).digest('hex');
    const row = (await this.#o.pool.query<{ upload_id: string }>('SELECT upload_id FROM packets WHERE digest = $1', [digest])).rows[0];
    if (row === undefined) return undefined;
    const hash = createHash('sha256');
    for await (const chunk of this.#chunks(row.upload_id)) hash.update(chunk);
    return hash.digest('hex');
  }

  /**
   * Several nodes stage at once, so a node starting cannot tell a dead node's upload from a live one's: it
   * collects only the idle ones, as the sweep does. Nothing is ever completed: an upload is adopted by its
   * document's commit or not at all.
   */
  async recover(): Promise<{ completed: number; removedStaged: number }> {
    return { completed: 0, removedStaged: await this.collectIdle(this.#o.stagedIdleMs) };
  }

  async collectIdle(idleMs: number): Promise<number> {
    const c = await this.#o.pool.connect();
    let broken: Error | undefined;
    try {
      await c.query('BEGIN');
      // The upload row is the claim: deleting it here and adopting it in a document's transaction exclude
      // each other (one of the two DELETEs finds it).
      const gone = await c.query<{ id: string }>(`DELETE FROM packet_uploads WHERE touched_at < ${DB_NOW_MS} - $1 RETURNING id`, [idleMs]);
      const ids = gone.rows.map((r) => r.id);
      if (ids.length > 0) await c.query('DELETE FROM packet_chunks WHERE upload_id = ANY($1)', [ids]);
      await c.query('COMMIT');
      return ids.length;
    } catch (e) {
      await c.query('ROLLBACK').catch((r: unknown) => { broken = r as Error; });
      throw e;
    } finally {
      c.release(broken);
    }
  }

  async unreferencedFiles(): Promise<string[]> {
    return (await this.#o.pool.query<{ digest: string }>(`SELECT p.digest FROM packets p
      WHERE NOT EXISTS (SELECT 1 FROM documents d WHERE d.digest = p.digest AND d.archived_in IS NULL) ORDER BY p.digest`)).rows.map((r) => r.digest);
  }

  async list(): Promise<string[]> {
    return (await this.#o.pool.query<{ digest: string }>('SELECT digest FROM packets ORDER BY digest')).rows.map((r) => r.digest);
  }

  async stagedCount(): Promise<number> {
    return Number((await this.#o.pool.query<{ n: string | number }>('SELECT count(*) AS n FROM packet_uploads')).rows[0]?.n ?? 0);
  }

  pathOf(digest: string): string {
    return `postgres:packets/${digest}`;
  }

  async removePacket(tx: StoreOps, digest: string): Promise<number> {
    if (!(tx instanceof PostgresOps)) throw new Error('assertion: PostgreSQL packets are removed in a PostgreSQL transaction');
    const gone = (await tx.db.query('DELETE FROM packets WHERE digest = $1 RETURNING upload_id, bytes', [digest])).rows[0] as { upload_id: string; bytes: number } | undefined;
    if (gone === undefined) return 0;
    await tx.db.query('DELETE FROM packet_chunks WHERE upload_id = $1', [gone.upload_id]);
    return Number(gone.bytes);
  }
}

function checkedInline(digest: string, bytes: Buffer): Readable {
  const got = createHash('sha256').update(bytes).digest('hex');
  if (got !== digest) throw new HubError('VDXP_E_BLOB_CORRUPT', `Stored packet ${digest} now hashes to ${got}`);
  return Readable.from([bytes], { objectMode: false });
}

/** Passes chunks on, holding the last back until the digest is checked (as the file engine does). */
async function* checkedChunks(digest: string, chunks: AsyncGenerator<Buffer>): AsyncGenerator<Buffer> {
  const hash = createHash('sha256');
  let held: Buffer | undefined;
  for await (const chunk of chunks) {
    hash.update(chunk);
    if (held !== undefined) yield held;
    held = chunk;
  }
  const got = hash.digest('hex');
  if (got !== digest) throw new HubError('VDXP_E_BLOB_CORRUPT', `Stored packet ${digest} now hashes to ${got}`);
  if (held !== undefined) yield held;
}
