// Test helpers: a hub on a fresh temporary folder with a few agencies and systems, served on a real socket.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { buildPacketBytes, type MessageHeader, type PacketModel } from '@vdxp/edxml';
import type { FastifyInstance } from 'fastify';
import { ManualClock } from '../src/clock.ts';
import { openHub, type Hub, type HubOptions } from '../src/hub.ts';
import { buildServer, type ServerOptions } from '../src/http/server.ts';
import { addSystem, importAgencies, type Credentials } from '../src/registry.ts';

export interface TestHub {
  hub: Hub;
  dir: string;
  clock: ManualClock;
  systems: Record<string, Credentials>;
  close(): Promise<void>;
}

export const AGENCIES = [
  { code: '000.00.00.G22', name: 'Văn phòng Chính phủ' },
  { code: '000.00.00.G12', name: 'Bộ Tài chính' },
  { code: '000.00.00.H41', name: 'UBND tỉnh Nghệ An' },
  { code: '000.00.15.H41', name: 'Sở Nội vụ tỉnh Nghệ An' },
  { code: '000.00.00.H14', name: 'UBND tỉnh Cao Bằng' },
  { code: '000.00.00.H99', name: 'Tỉnh sáp nhập thử' },
];

/** Systems: gov (G22), mof (G12), nghean (H41 and its department), caobang (H14). */
export async function startTestHub(options: Partial<HubOptions> = {}): Promise<TestHub> {
  const dir = mkdtempSync(join(tmpdir(), 'vdxp-test-'));
  const clock = new ManualClock();
  const hub = await openHub({ dataDir: dir, clock, ...options });
  await importAgencies(hub.ctx, AGENCIES, 'test');
  const systems: Record<string, Credentials> = {
    gov: await addSystem(hub.ctx, { id: 'sys.gov', agencies: ['000.00.00.G22'], secret: 'gov-secret' }, 'test'),
    mof: await addSystem(hub.ctx, { id: 'sys.mof', agencies: ['000.00.00.G12'], secret: 'mof-secret' }, 'test'),
    nghean: await addSystem(hub.ctx, { id: 'sys.nghean', agencies: ['000.00.00.H41', '000.00.15.H41'], secret: 'nghean-secret' }, 'test'),
    caobang: await addSystem(hub.ctx, { id: 'sys.caobang', agencies: ['000.00.00.H14'], secret: 'caobang-secret' }, 'test'),
  };
  return { hub, dir, clock, systems, async close() { await hub.close(); rmSync(dir, { recursive: true, force: true }); } };
}

export async function listen(hub: Hub, options?: ServerOptions): Promise<{ app: FastifyInstance; url: string }> {
  const app = buildServer(hub, options);
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url: address };
}

/**
 * The inline packets of a hub's data folder, read and written behind its back (as a disk fault or an intruder
 * would) through a second connection: the hub's store has no operation that changes a kept packet.
 */
export const inlinePackets = {
  digests(dir: string): string[] {
    return withDatabase(dir, (db) => db.prepare('SELECT digest FROM blobs_inline ORDER BY digest').all().map((r) => r['digest'] as string));
  },
  get(dir: string, digest: string): Buffer | undefined {
    const bytes = withDatabase(dir, (db) => db.prepare('SELECT bytes FROM blobs_inline WHERE digest = ?').get(digest)?.['bytes'] as Uint8Array | undefined);
    return bytes && Buffer.from(bytes);
  },
  /** Replaces the bytes kept under `digest`, or with undefined removes them. */
  set(dir: string, digest: string, bytes: Uint8Array | undefined): void {
    withDatabase(dir, (db) => {
      if (bytes === undefined) db.prepare('DELETE FROM blobs_inline WHERE digest = ?').run(digest);
      else db.prepare('INSERT INTO blobs_inline (digest, bytes) VALUES (?, ?) ON CONFLICT (digest) DO UPDATE SET bytes = excluded.bytes').run(digest, bytes);
    });
  },
};

function withDatabase<T>(dir: string, fn: (db: DatabaseSync) => T): T {
  const db = new DatabaseSync(join(dir, 'vdxp.sqlite'));
  try {
    db.exec('PRAGMA busy_timeout = 5000');
    return fn(db);
  } finally {
    db.close();
  }
}

let counter = 0;

/** An edoc from `from` to `to`, with a unique DocumentId unless one is given. */
export function edoc(from: string, to: string[], extra: Partial<MessageHeader> = {}, attachments: PacketModel['attachments'] = []): Promise<Buffer> {
  counter++;
  return buildPacketBytes({
    header: {
      MessageHeader: {
        From: { OrganId: from, OrganName: 'Đơn vị gửi' },
        To: to.map((OrganId) => ({ OrganId })),
        DocumentId: `${from},2026/11/23,${counter}/TEST-${process.pid}`,
        Code: { CodeNumber: String(counter), CodeNotation: 'TEST' },
        Subject: `Công văn thử số ${counter}`,
        ResponseFor: [],
        ...extra,
      },
      TraceHeaderList: { TraceHeader: [{ OrganId: from, Timestamp: '2026/11/23 08:00:00' }] },
    },
    attachments,
  });
}

/**
 * A status packet from `from` about `documentId`. `responseOrgan` is ResponseFor/OrganId: the original sender
 * for statuses a recipient sends, the recipient for a recall (13), as in VNPT's samples.
 */
export function statusPacket(from: string, responseOrgan: string, documentId: string, code: string, description = 'Thử trạng thái'): Promise<Buffer> {
  return buildPacketBytes({ header: { MessageHeader: {
    From: { OrganId: from }, To: [],
    ResponseFor: [{ OrganId: responseOrgan, DocumentId: documentId }],
    StaffInfo: { Staff: 'Văn thư' }, StatusCode: code, Description: description, Timestamp: '2026/11/23 09:00:00',
  } } });
}
