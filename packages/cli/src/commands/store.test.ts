// `vdxp store copy`: an embedded hub with small and large packets, deliveries in several states, statuses and
// counters, a console account with a session and a calendar day, copied onto a real PostgreSQL database; a second run after a simulated interruption resumes; the
// target serves the same inboxes, packets and credentials, and its evidence chain verifies.

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import pg from 'pg';
import { DatabaseSync } from 'node:sqlite';
import { ackDelivery, addUser, changeCalendar, fetchPacket, inbox, login, openHub, submitPacket, systemSecret } from '@vdxp/hub';
import { startPostgres, type PgCluster } from '../../../hub/test-support/postgres.ts';
import { edoc, startTestHub, type TestHub } from '../../../hub/test-support/testkit.ts';
import { cli } from '../../test-support/cli.ts';

let cluster: PgCluster;
let source: TestHub;
before(async () => { cluster = await startPostgres(); });
after(async () => { await cluster.destroy(); });

const digestOf = async (s: NodeJS.ReadableStream): Promise<string> => {
  const h = createHash('sha256');
  for await (const c of s) h.update(c as Buffer);
  return h.digest('hex');
};

it('copies an embedded hub onto PostgreSQL, resumes after an interruption, and the target serves it all', async () => {
  source = await startTestHub();
  const ctx = source.hub.ctx;
  const gov = (await ctx.store.getSystem('sys.gov'))!;
  const nghean = (await ctx.store.getSystem('sys.nghean'))!;
  const large = randomBytes(300 * 1024);
  const sent = [];
  for (let i = 0; i < 6; i++) {
    const attachments = i % 3 === 0 ? [{ ContentId: 'cid:1', AttachmentName: 'a.pdf', ContentType: 'application/pdf', content: Buffer.concat([large, Buffer.from([i])]) }] : [];
    sent.push((await submitPacket(ctx, gov, [await edoc('000.00.00.G22', ['000.00.00.H41', '000.00.00.H14'], {}, attachments)], { via: 'native' })).document);
  }
  const first = (await inbox(ctx, nghean, { kind: 'edoc' }))[0]!;
  await digestOf((await fetchPacket(ctx, nghean, first.delivery.id)).stream);
  await ackDelivery(ctx, nghean, first.delivery.id, 'done');
  const password = 'mat-khau-lanh-dao-1';
  await addUser(ctx, { username: 'lanhdao', role: 'leader', scope: '000.00.00.H41', password }, 'test');
  await login(ctx, { username: 'lanhdao', password, address: '127.0.0.1' });
  await changeCalendar(ctx, '2026-12-24', 'off', 'Nghỉ bù', 'test');
  const url = await cluster.createDatabase();
  const keyFile = join(source.dir, 'nodes.key');
  const args = ['store', 'copy', '--from', source.dir, '--to', url, '--key-file', keyFile];
  await source.hub.close();
  const sqlite = new DatabaseSync(join(source.dir, 'vdxp.sqlite'), { readOnly: true });
  const sourceEvents = Number(sqlite.prepare('SELECT count(*) AS n FROM events').get()?.['n']);
  assert.equal(Number(sqlite.prepare('SELECT count(*) AS n FROM sessions').get()?.['n']), 1);
  sqlite.close();

  const run1 = await cli(args);
  assert.equal(run1.code, 0, run1.stdout + run1.stderr);
  assert.match(run1.stdout, /users 1, calendar_days 1/);
  assert.match(run1.stdout, /1 phiên đăng nhập .* console sessions not copied/);
  assert.match(run1.stderr, /copying documents: 6\/6/, 'a progress line per table');
  assert.match(run1.stdout, /Intact on the target/);
  // An interruption: rows and a packet lost on the target, and an upload left half-written; run again.
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    await db.query("DELETE FROM events WHERE seq > 5");
    await db.query("UPDATE deliveries SET state = 'queued' WHERE id = $1", [first.delivery.id]);
    const gone = (await db.query<{ digest: string; upload_id: string }>('DELETE FROM packets WHERE digest = (SELECT min(digest) FROM packets) RETURNING digest, upload_id')).rows[0]!;
    await db.query('DELETE FROM packet_chunks WHERE upload_id = $1 AND n > 0', [gone.upload_id]);
    const run2 = await cli(args);
    assert.equal(run2.code, 0, run2.stdout + run2.stderr);
    assert.match(run2.stdout, /1 tệp gói tin \/ packet files .* 1 đã có \/ already there/, run2.stdout);
    assert.equal(Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM events')).rows[0]?.n), sourceEvents, 'the lost events are back');
    assert.equal(Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM sessions')).rows[0]?.n), 0, 'sessions are not copied');
    const counts = await db.query<{ sent: string; docs: string; rec: string; dels: string }>(`SELECT
      (SELECT sum(value) FROM counters WHERE metric = 'sent') AS sent, (SELECT count(*) FROM documents WHERE kind = 'edoc') AS docs,
      (SELECT sum(value) FROM counters WHERE metric = 'received') AS rec, (SELECT count(*) FROM deliveries WHERE kind = 'edoc') AS dels`);
    assert.deepEqual(Object.values(counts.rows[0]!).map(Number), [6, 6, 12, 12]);
  } finally {
    await db.end();
  }

  const node = await openHub({ databaseUrl: url, keyFile });
  try {
    const n = (await node.ctx.store.getSystem('sys.nghean'))!;
    assert.equal(systemSecret(node.ctx, n), 'nghean-secret', 'the VDXP secret still opens (re-sealed under the nodes\' key)');
    const session = await login(node.ctx, { username: 'lanhdao', password, address: '127.0.0.1' });
    assert.deepEqual([session.user.role, session.user.scope], ['leader', '000.00.00.H41'], 'the account logs in on the target with its password');
    assert.deepEqual((await node.ctx.store.calendarDays('2026-12-24', '2026-12-24')).map((d) => [d.kind, d.note]), [['off', 'Nghỉ bù']]);
    const items = await inbox(node.ctx, n, { kind: 'edoc' });
    assert.deepEqual(items.map((x) => x.delivery.id), (await (async () => {
      const h = await openHub({ dataDir: source.dir, recover: false });
      try { return (await inbox(h.ctx, nghean, { kind: 'edoc' })).map((x) => x.delivery.id); } finally { await h.close(); }
    })()), 'the same pending deliveries, the acked one not among them');
    for (const doc of sent) {
      const d = (await node.ctx.store.deliveriesOfDocument(doc.id)).find((x) => x.recipient === '000.00.00.H41')!;
      if (d.state === 'done') continue;
      assert.equal(await digestOf((await fetchPacket(node.ctx, n, d.id)).stream), doc.digest, `document ${doc.id}, ${doc.bytes} bytes`);
    }
  } finally {
    await node.close();
    rmSync(source.dir, { recursive: true, force: true });
  }
});
