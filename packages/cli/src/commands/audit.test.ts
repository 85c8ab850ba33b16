// `vdxp audit verify` on a real data folder after an exchange: intact, then one changed byte of a stored event
// (found at its seq) and one changed byte of a stored packet, a file or one kept inline in the database (found
// with its document).

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import { buildPacketBytes } from '@vdxp/edxml';
import { ackDelivery, addSystem, authenticateToken, DEFAULT_HUB_LIMITS, importAgencies, inbox, openHub, submitPacket, type AuditReport } from '@vdxp/hub';
import { cli } from '../../test-support/cli.ts';

let root: string;
let data: string;
/** The document ids and packet digests of the exchange: two small packets (kept inline), then a large one (a file). */
const sent: { id: string; digest: string }[] = [];

function edoc(from: string, to: string, n: number, content = Buffer.from(`Nội dung ${n}`)): Promise<Buffer> {
  return buildPacketBytes({
    header: {
      MessageHeader: {
        From: { OrganId: from }, To: [{ OrganId: to }], DocumentId: `${from},2026/03/01,${n}/CV-AUDIT`,
        Code: { CodeNumber: String(n), CodeNotation: 'CV-AUDIT' }, Subject: `Công văn kiểm tra ${n}`, ResponseFor: [],
      },
      TraceHeaderList: { TraceHeader: [{ OrganId: from, Timestamp: '2026/03/01 08:00:00' }] },
    },
    attachments: [{ ContentId: 'cid:1', AttachmentName: 'cv.txt', ContentType: 'text/plain', content }],
  });
}

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'vdxp-cli-audit-'));
  data = join(root, 'data');
  const hub = await openHub({ dataDir: data });
  try {
    await importAgencies(hub.ctx, [{ code: '000.00.00.G22', name: 'Văn phòng Chính phủ' }, { code: '000.00.00.H41', name: 'UBND tỉnh Nghệ An' }], 'test');
    const gov = await addSystem(hub.ctx, { id: 'sys.gov', agencies: ['000.00.00.G22'] }, 'test');
    const nghean = await addSystem(hub.ctx, { id: 'sys.nghean', agencies: ['000.00.00.H41'] }, 'test');
    const sender = await authenticateToken(hub.ctx, gov.token);
    const receiver = await authenticateToken(hub.ctx, nghean.token);
    const large = Buffer.alloc(DEFAULT_HUB_LIMITS.inlinePacketBytesMax, 0x41);
    for (const packet of [await edoc('000.00.00.G22', '000.00.00.H41', 1), await edoc('000.00.00.G22', '000.00.00.H41', 2), await edoc('000.00.00.G22', '000.00.00.H41', 3, large)]) {
      const r = await submitPacket(hub.ctx, sender, [packet], { via: 'native' });
      sent.push({ id: r.document.id, digest: r.document.digest });
    }
    for (const item of await inbox(hub.ctx, receiver, {})) await ackDelivery(hub.ctx, receiver, item.delivery.id, 'done');
  } finally {
    await hub.close();
  }
});
after(() => rmSync(root, { recursive: true, force: true }));

async function verify(): Promise<{ code: number; stdout: string; report: AuditReport }> {
  const human = await cli(['audit', 'verify', '--data', data]);
  const json = await cli(['audit', 'verify', '--json', '--data', data]);
  assert.equal(json.code, human.code);
  return { code: human.code, stdout: human.stdout, report: JSON.parse(json.stdout) as AuditReport };
}

describe('vdxp audit verify', () => {
  it('finds an untouched folder intact: every event and packet', async () => {
    const r = await verify();
    assert.equal(r.code, 0, r.stdout);
    assert.equal(r.report.ok, true);
    assert.equal(r.report.packets, 3);
    assert.ok(r.report.events >= 9, 'import, two systems, three acceptances, three acks');
    assert.match(r.stdout, new RegExp(`^Toàn vẹn / Intact: ${r.report.events} sự kiện / events, 3 gói tin / packets`, 'm'));
  });

  it('names the seq of an event changed by one byte, and is intact again once it is restored', async () => {
    const db = new DatabaseSync(join(data, 'vdxp.sqlite'));
    try {
      const row = db.prepare("SELECT seq, data FROM events WHERE type = 'system:added' ORDER BY seq DESC LIMIT 1").get() as { seq: number; data: string };
      // One digit of an agency code becomes another: the JSON stays valid, only the chain can tell.
      const at = row.data.search(/\d/);
      const changed = `${row.data.slice(0, at)}${row.data[at] === '9' ? '8' : '9'}${row.data.slice(at + 1)}`;
      db.prepare('UPDATE events SET data = ? WHERE seq = ?').run(changed, row.seq);
      const r = await verify();
      assert.equal(r.code, 1);
      assert.deepEqual(r.report.brokenAt, { seq: row.seq, reason: 'the event was changed after it was written' });
      assert.match(r.stdout, /^HỎNG \/ BROKEN/m);
      assert.match(r.stdout, new RegExp(`The evidence chain breaks at event seq ${row.seq}: the event was changed after it was written`));
      assert.match(r.stdout, /restore from a backup/);
      db.prepare('UPDATE events SET data = ? WHERE seq = ?').run(row.data, row.seq);
    } finally {
      db.close();
    }
    assert.equal((await verify()).code, 0);
  });

  it('names the document whose packet file changed by one byte', async () => {
    const doc = sent[2];
    assert.ok(doc);
    const path = join(data, 'blobs', doc.digest.slice(0, 2), doc.digest);
    const original = readFileSync(path);
    const bytes = Buffer.from(original);
    const i = Math.floor(bytes.length / 2);
    bytes[i] = (bytes[i] ?? 0) ^ 1;
    writeFileSync(path, bytes);
    const r = await verify();
    assert.equal(r.code, 1);
    assert.equal(r.report.brokenAt, undefined, 'the chain itself is intact');
    assert.deepEqual(r.report.packetProblems, [{ documentId: doc.id, reason: 'the stored packet bytes changed' }]);
    assert.match(r.stdout, new RegExp(`Packet of document ${doc.id}: the stored packet bytes changed`));
    writeFileSync(path, original);
    assert.equal((await verify()).code, 0);
  });

  it('names the document whose packet kept in the database changed by one byte, or went missing', async () => {
    const doc = sent[1];
    assert.ok(doc);
    assert.equal(existsSync(join(data, 'blobs', doc.digest.slice(0, 2), doc.digest)), false, 'a small packet has no file');
    const db = new DatabaseSync(join(data, 'vdxp.sqlite'));
    try {
      const row = db.prepare('SELECT bytes FROM blobs_inline WHERE digest = ?').get(doc.digest) as { bytes: Uint8Array } | undefined;
      assert.ok(row, 'a small packet is kept inline');
      const bytes = Buffer.from(row.bytes);
      const i = Math.floor(bytes.length / 2);
      bytes[i] = (bytes[i] ?? 0) ^ 1;
      db.prepare('UPDATE blobs_inline SET bytes = ? WHERE digest = ?').run(bytes, doc.digest);
      const r = await verify();
      assert.equal(r.code, 1);
      assert.equal(r.report.brokenAt, undefined, 'the chain itself is intact');
      assert.deepEqual(r.report.packetProblems, [{ documentId: doc.id, reason: 'the stored packet bytes changed' }]);
      assert.match(r.stdout, new RegExp(`Packet of document ${doc.id}: the stored packet bytes changed`));
      db.prepare('DELETE FROM blobs_inline WHERE digest = ?').run(doc.digest);
      assert.deepEqual((await verify()).report.packetProblems, [{ documentId: doc.id, reason: 'the stored packet is missing' }]);
      db.prepare('INSERT INTO blobs_inline (digest, bytes) VALUES (?, ?)').run(doc.digest, row.bytes);
    } finally {
      db.close();
    }
    assert.equal((await verify()).code, 0);
  });

  it('names a packet file no document references (start-up never scans for these), and is intact once it is gone', async () => {
    const stray = 'f'.repeat(64);
    const path = join(data, 'blobs', 'ff', stray);
    mkdirSync(join(data, 'blobs', 'ff'), { recursive: true, mode: 0o700 });
    writeFileSync(path, 'put here by hand', { mode: 0o600 });
    try {
      const r = await verify();
      assert.equal(r.code, 1);
      assert.deepEqual(r.report.unreferencedFiles, [stray]);
      assert.deepEqual(r.report.packetProblems, []);
      assert.match(r.stdout, new RegExp(`A packet file no document names: blobs/ff/${stray}`));
    } finally {
      rmSync(path);
    }
    assert.equal((await verify()).code, 0);
  });

  it('refuses a folder that holds no hub, with exit 2', async () => {
    const r = await cli(['audit', 'verify', '--data', join(root, 'nothing-here')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no hub data in/);
  });
});
