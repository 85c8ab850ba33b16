// PostgreSQL packet bytes: the binary COPY decoder fed in every cut, and packets of arbitrary bytes (not UTF-8,
// rows cut inside multi-byte characters) stored as chunks and read back through a real PostgreSQL 15, byte for
// byte, with a changed row refused before the last bytes go out.

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { systemRandom } from '../../clock.ts';
import { startPostgres, type PgCluster } from '../../../test-support/postgres.ts';
import { BinaryCopyDecoder, copyInRow, copyOutBytes } from './copy-binary.ts';
import { PgPacketStore } from './packets.ts';
import { openPostgresStore, type PostgresStore } from './postgres-store.ts';

/** A COPY … (FORMAT binary) stream of one-column rows, as PostgreSQL writes it. */
function copyStream(fields: Buffer[], extension = Buffer.alloc(0)): Buffer {
  const int16 = (n: number): Buffer => { const b = Buffer.alloc(2); b.writeInt16BE(n); return b; };
  const int32 = (n: number): Buffer => { const b = Buffer.alloc(4); b.writeInt32BE(n); return b; };
  return Buffer.concat([
    Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), int32(0), int32(extension.byteLength), extension,
    ...fields.flatMap((f) => [int16(1), int32(f.byteLength), f]), int16(-1),
  ]);
}

function decode(messages: Buffer[]): { bytes: Buffer; ended: boolean } {
  const d = new BinaryCopyDecoder();
  const out = messages.flatMap((m) => d.push(m).map((b) => Buffer.from(b)));
  return { bytes: Buffer.concat(out), ended: d.ended };
}

describe('binary COPY decoder', () => {
  const fields = [Buffer.from('Công văn số 1'), Buffer.alloc(0), randomBytes(37), Buffer.from([0xff, 0x00, 0xfe])];
  const stream = copyStream(fields, Buffer.from('ext'));
  const want = Buffer.concat(fields);

  it('gives the fields\' bytes whatever the message boundaries: every cut in two, and byte by byte', () => {
    for (let cut = 0; cut <= stream.byteLength; cut++) {
      const got = decode([stream.subarray(0, cut), stream.subarray(cut)]);
      assert.deepEqual([got.bytes, got.ended], [want, true], `cut at ${cut}`);
    }
    const bytes = decode([...stream].map((b) => Buffer.from([b])));
    assert.deepEqual([bytes.bytes, bytes.ended], [want, true]);
  });

  it('refuses what is not a one-column binary COPY stream', () => {
    assert.throws(() => decode([Buffer.from('col1\tcol2\nlonger than a binary header\n')]), /signature/);
    const twoColumns = Buffer.concat([copyStream([]).subarray(0, 19), Buffer.from([0, 2])]);
    assert.throws(() => decode([twoColumns]), /2 fields/);
    assert.equal(decode([stream.subarray(0, stream.byteLength - 2)]).ended, false, 'no end marker: not ended');
  });
});

describe('PostgreSQL packet store', () => {
  let cluster: PgCluster;
  let store: PostgresStore;
  before(async () => {
    cluster = await startPostgres();
    store = await openPostgresStore(await cluster.createDatabase('packets'), { poolConnectionsMax: 3 });
  });
  after(async () => {
    await store.close();
    await cluster.destroy();
  });

  const packets = (): PgPacketStore => new PgPacketStore({
    pool: store.pool, random: systemRandom, inlinePacketBytesMax: 1024, chunkBytes: 64 * 1024, readChunks: 3, readSliceBytes: 1000, stagedIdleMs: 3_600_000,
  });

  async function put(p: PgPacketStore, bytes: Buffer): Promise<string> {
    const w = p.begin();
    // In uneven writes, as a request body arrives.
    for (let at = 0; at < bytes.byteLength; at += 7777) await w.write(bytes.subarray(at, at + 7777));
    const staged = await w.finish();
    await store.transaction(async (tx) => { await p.keep(tx, staged); });
    await p.commit(staged);
    return staged.digest;
  }

  const read = async (p: PgPacketStore, digest: string, size: number): Promise<Buffer> => {
    const parts: Buffer[] = [];
    for await (const c of await p.open(digest, size)) parts.push(c as Buffer);
    return Buffer.concat(parts);
  };

  it('returns arbitrary bytes exactly: random bytes, and UTF-8 text whose rows end inside a character', async () => {
    const p = packets();
    // 'ệ' is 3 bytes: 64 KiB rows cut it, as 1 MiB rows cut a Vietnamese packet.
    const text = Buffer.from('Ủy ban nhân dân tỉnh Nghệ An. '.repeat(12_000));
    for (const bytes of [randomBytes(300 * 1024 + 5), text]) {
      const digest = await put(p, bytes);
      assert.equal(digest, createHash('sha256').update(bytes).digest('hex'));
      const back = await read(p, digest, bytes.byteLength);
      assert.equal(back.byteLength, bytes.byteLength);
      assert.ok(back.equals(bytes), 'byte for byte');
      assert.equal(await p.hashOf(digest), digest);
    }
  });

  it('refuses a packet whose stored row changed, before its last bytes are handed out', async () => {
    const p = packets();
    const bytes = randomBytes(200 * 1024);
    const digest = await put(p, bytes);
    await store.pool.query(`UPDATE packet_chunks SET bytes = set_byte(bytes, 5, get_byte(bytes, 5) # 1)
      WHERE upload_id = (SELECT upload_id FROM packets WHERE digest = $1) AND n = 1`, [digest]);
    let handed = 0;
    await assert.rejects(async () => {
      for await (const c of await p.open(digest, bytes.byteLength)) handed += (c as Buffer).byteLength;
    }, (e: Error & { code?: string }) => e.code === 'VDXP_E_BLOB_CORRUPT');
    assert.ok(handed < bytes.byteLength, `${handed} of ${bytes.byteLength} bytes handed out`);
    assert.notEqual(await p.hashOf(digest), digest);
  });

  it('fails a COPY the server refuses, either way, and the pool goes on serving', async () => {
    await assert.rejects(copyOutBytes(store.pool, 'COPY (SELECT bytes FROM no_such_table) TO STDOUT (FORMAT binary)'), /no_such_table/);
    await assert.rejects(copyOutBytes(store.pool, "COPY (SELECT 'a'::text, 'b'::text) TO STDOUT (FORMAT binary)"), /2 fields/);
    const c = await store.pool.connect();
    try {
      // A row the table refuses (the same upload and number twice): the COPY fails, nothing of it stays.
      await c.query('BEGIN');
      await copyInRow(c, 'packet_chunks', ['upload_id', 'n', 'bytes'], ['twice', 0, [Buffer.from('a')]]);
      await assert.rejects(copyInRow(c, 'packet_chunks', ['upload_id', 'n', 'bytes'], ['twice', 0, [Buffer.from('b'), Buffer.from('c')]]), /duplicate key/);
      await c.query('ROLLBACK');
    } finally {
      c.release();
    }
    assert.equal((await store.pool.query<{ n: number }>("SELECT count(*) AS n FROM packet_chunks WHERE upload_id = 'twice'")).rows[0]?.n, 0);
    assert.equal((await store.pool.query<{ one: number }>('SELECT 1 AS one')).rows[0]?.one, 1);
  });
});
