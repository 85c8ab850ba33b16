// Retention on a real data folder at an injected clock: an archive made, verified on its own and against the
// live checkpoint, the live chain verified after the cut, a second archive continuing the first, a changed byte
// of an archived event, document row or packet reported, a crash between the file and the cut, a packet shared
// with a live document kept, the timeline still shown, the schedule and the one-run-at-a-time lock.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { ARCHIVE_DIR_NAME, ArchiveError, archive, startArchiveSchedule, verifyArchive, type ArchiveRun } from './archive.ts';
import { verifyAudit } from './audit.ts';
import { ackDelivery, fetchPacket, inbox } from './delivery.ts';
import { documentView } from './documents.ts';
import { describeError } from './errors.ts';
import { submitPacket } from './intake.ts';
import { authenticateToken } from './registry.ts';
import type { DocumentRow } from './store/store.ts';
import { edoc, inlinePackets, startTestHub, type TestHub } from '../test-support/testkit.ts';

const DAY_MS = 24 * 3600 * 1000;
const OLDER_THAN_MS = 90 * DAY_MS;
/** A body that makes a packet larger than the inline limit, so it is kept as a file. */
const LARGE = Buffer.alloc(70 * 1024, 0x41);

async function send(t: TestHub, n: { large?: boolean } = {}): Promise<DocumentRow> {
  const gov = await authenticateToken(t.hub.ctx, t.systems['gov']?.token);
  const packet = await edoc('000.00.00.G22', ['000.00.00.H41'], {}, n.large ? [{ ContentId: 'cid:1', AttachmentName: 'a.txt', ContentType: 'text/plain', content: LARGE }] : []);
  return (await submitPacket(t.hub.ctx, gov, [packet], { via: 'native' })).document;
}

/** The recipient acknowledges what it was handed: everything, or only `only`. */
async function ackAll(t: TestHub, only?: DocumentRow): Promise<void> {
  const nghean = await authenticateToken(t.hub.ctx, t.systems['nghean']?.token);
  for (const item of await inbox(t.hub.ctx, nghean, {})) {
    if (only === undefined || item.document.id === only.id) await ackDelivery(t.hub.ctx, nghean, item.delivery.id, 'done');
  }
}

/** Acks everything sent so far, moves the clock past the archival age, and sends one document too new to archive. */
async function endAndAge(t: TestHub): Promise<void> {
  await ackAll(t);
  t.clock.advance(100 * DAY_MS);
  await send(t);
}

const archiveDir = (t: TestHub): string => join(t.dir, ARCHIVE_DIR_NAME);
const run = (t: TestHub): Promise<ArchiveRun> => archive(t.hub.ctx, { archiveDir: archiveDir(t), olderThanMs: OLDER_THAN_MS, actor: 'test' });
const verifyFile = (t: TestHub, path: string, live = true) => verifyArchive(path, t.hub.ctx.limits.archiveLineBytesMax, live ? t.hub.ctx.store : undefined);

describe('archive', () => {
  it('archives ended documents older than the cutoff, keeps their timeline, and both chains verify; a second archive continues the first', async () => {
    const t = await startTestHub();
    try {
      const small = await send(t);
      const large = await send(t, { large: true });
      await ackAll(t);
      const pending = await send(t);
      t.clock.advance(100 * DAY_MS);
      const recent = await send(t);
      await ackAll(t, recent);

      const first = await run(t);
      assert.equal(first.archives.length, 1);
      const a = first.archives[0];
      assert.ok(a);
      assert.equal(a.documents, 2, 'the small and the large document: the pending one stops the cut');
      assert.equal(a.packets, 2);
      assert.equal(a.bytesFreed, small.bytes + large.bytes, 'the inline row and the file');
      assert.equal(statSync(a.path).mode & 0o777, 0o600);
      assert.equal(statSync(archiveDir(t)).mode & 0o777, 0o700);
      assert.deepEqual(readdirSync(archiveDir(t)), [a.file], 'no temporary file or lock stays behind');

      assert.equal((await t.hub.ctx.store.getDocument(small.id))?.archivedIn, a.file);
      assert.equal((await t.hub.ctx.store.getDocument(large.id))?.archivedIn, a.file);
      assert.equal((await t.hub.ctx.store.getDocument(pending.id))?.archivedIn, undefined, 'still handed out');
      assert.equal(inlinePackets.get(t.dir, small.digest), undefined, 'the inline packet left the live store');
      assert.equal(existsSync(t.hub.ctx.blobs.pathOf(large.digest)), false, 'the packet file left the live store');
      assert.equal((await t.hub.ctx.store.events(0, 1))[0]?.seq, a.lastSeq + 1, 'the live chain starts after the cut');

      const audit = await verifyAudit(t.hub.ctx);
      assert.equal(audit.ok, true, JSON.stringify(audit));
      assert.deepEqual(audit.archives, { checkpoints: 1, events: a.events, documents: 2 });
      assert.equal(audit.packets, 2, 'the pending and the recent document are still re-hashed live');
      const report = await verifyFile(t, a.path);
      assert.equal(report.ok, true, JSON.stringify(report.problems));
      assert.equal(report.checkpoint, 'matches');
      assert.equal(report.sha256, a.sha256);
      assert.deepEqual([report.manifest?.firstSeq, report.manifest?.lastSeq], [1, a.lastSeq]);

      // The timeline stays: the sender still sees each recipient's state and statuses; the packet is gone (410).
      const gov = await authenticateToken(t.hub.ctx, t.systems['gov']?.token);
      const view = await documentView(t.hub.ctx, gov, small.id);
      assert.equal(view.archivedIn, a.file);
      assert.deepEqual(view.deliveries.map((d) => [d.recipient, d.state]), [['000.00.00.H41', 'done']]);
      const nghean = await authenticateToken(t.hub.ctx, t.systems['nghean']?.token);
      const delivery = view.deliveries[0]?.id ?? '';
      const refused = await fetchPacket(t.hub.ctx, nghean, delivery).then(() => undefined, (e: unknown) => describeError(e));
      assert.deepEqual([refused?.code, refused?.status], ['VDXP_E_DOCUMENT_ARCHIVED', 410]);
      const live = await fetchPacket(t.hub.ctx, nghean, (await t.hub.ctx.store.deliveriesOfDocument(recent.id))[0]?.id ?? '');
      live.stream.resume();

      // Nothing more is old enough: a run makes no file and changes nothing.
      assert.deepEqual((await run(t)).archives, []);

      // The pending document ends; time passes and the recent one is old enough too.
      await ackAll(t, pending);
      t.clock.advance(100 * DAY_MS);
      await send(t);
      const second = await run(t);
      const b = second.archives[0];
      assert.ok(b);
      assert.equal(b.firstSeq, a.lastSeq + 1, 'the second archive continues the first');
      assert.equal(b.documents, 2);
      const rb = await verifyFile(t, b.path);
      assert.equal(rb.ok, true, JSON.stringify(rb.problems));
      assert.equal(rb.manifest?.prevHash, report.manifest?.hash, 'its chain starts at the hash the first ends with');
      assert.equal((await verifyFile(t, a.path)).ok, true, 'the first still matches its checkpoint');
      const after = await verifyAudit(t.hub.ctx);
      assert.equal(after.ok, true, JSON.stringify(after));
      assert.equal(after.archives.checkpoints, 2);
      assert.deepEqual(second.unnamedFiles, []);

      // A checkpoint changed in the store: the live chain no longer continues it, and the file no longer matches it.
      const db = new DatabaseSync(join(t.dir, 'vdxp.sqlite'));
      try {
        db.prepare('UPDATE archive_checkpoints SET hash = ? WHERE last_seq = ?').run('f'.repeat(64), b.lastSeq);
        assert.deepEqual((await verifyAudit(t.hub.ctx)).brokenAt, { seq: b.lastSeq + 1, reason: 'prev_hash does not name the previous event' });
        assert.equal((await verifyFile(t, b.path)).checkpoint, 'differs');
        db.prepare('UPDATE archive_checkpoints SET hash = ? WHERE last_seq = ?').run(rb.manifest?.hash ?? '', b.lastSeq);
      } finally {
        db.close();
      }
      assert.equal((await verifyAudit(t.hub.ctx)).ok, true);
    } finally {
      await t.close();
    }
  });

  it('reports a changed byte of an archived event, document row or packet, and a consistently rewritten file', async () => {
    const t = await startTestHub();
    try {
      await send(t);
      const large = await send(t, { large: true });
      await endAndAge(t);
      const a = (await run(t)).archives[0];
      assert.ok(a);
      const original = readFileSync(a.path);
      const tampered = (edit: (b: Buffer) => void): Buffer => { const b = Buffer.from(original); edit(b); return b; };
      const check = async (bytes: Buffer, live = true) => {
        writeFileSync(a.path, bytes);
        try { return await verifyFile(t, a.path, live); } finally { writeFileSync(a.path, original); }
      };
      const at = (needle: string, from = 0): number => {
        const i = original.indexOf(needle, from);
        assert.ok(i >= 0, needle);
        return i;
      };

      // An event: one digit of an agency code in a system:added event's stored data.
      const event = at('"type":"system:added"');
      const seq = Number(/"seq":(\d+)/.exec(original.toString('utf8', original.lastIndexOf('{"seq":', event), event))?.[1]);
      const digit = at('000.00.00', event);
      const r1 = await check(tampered((b) => { b[digit] = 0x39; }));
      assert.equal(r1.ok, false);
      assert.deepEqual(r1.problems[0], { at: `event ${seq}`, reason: 'the event was changed after it was written' });

      // A document row: its subject, which no hash in the chain covers; the manifest's SHA-256 of the rows does.
      const subject = at('"subject":"C') + '"subject":"'.length;
      const r2 = await check(tampered((b) => { b[subject] = 0x4b; }));
      assert.equal(r2.ok, false);
      assert.ok(r2.problems.some((p) => p.at === 'archive.json' && p.reason.startsWith('sha256.documents is')), JSON.stringify(r2.problems));
      assert.equal(r2.checkpoint, 'differs');

      // A packet byte, in the middle of the large packet.
      const packet = at(`packets/${large.digest}`) + 512 + Math.floor(large.bytes / 2);
      const r3 = await check(tampered((b) => { b[packet] = (b[packet] ?? 0) ^ 1; }));
      assert.deepEqual(r3.problems.filter((p) => p.at.startsWith('packet')), [{ at: `packet ${large.digest}`, reason: 'its bytes changed: they no longer hash to its name' }]);

      // The manifest's creation time: the file is consistent on its own, but it is not the file that was cut.
      const created = at('"createdAt": ') + '"createdAt": '.length + 3;
      const rewritten = tampered((b) => { b[created] = b[created] === 0x30 ? 0x31 : 0x30; });
      assert.equal((await check(rewritten, false)).ok, true, 'alone it cannot tell');
      const r4 = await check(rewritten);
      assert.equal(r4.ok, false);
      assert.equal(r4.checkpoint, 'differs');
      assert.match(r4.problems[0]?.reason ?? '', /^the file's sha256 is [0-9a-f]{64}, the live checkpoint/);

      // A truncated file.
      const r5 = await check(original.subarray(0, original.length - 2048), false);
      assert.equal(r5.ok, false);
      assert.ok(r5.problems.some((p) => p.at === 'file' && /truncated|archive.json/.test(p.reason)) || r5.problems.some((p) => p.at === 'archive.json'), JSON.stringify(r5.problems));

      assert.equal((await verifyFile(t, a.path)).ok, true, 'the restored file verifies again');
    } finally {
      await t.close();
    }
  });

  it('after a crash between writing the file and the cut, the store is untouched, verifies, and the next run redoes the archive', async () => {
    const t = await startTestHub();
    try {
      const doc = await send(t, { large: true });
      await endAndAge(t);
      const before = await t.hub.ctx.store.events(0, 1);
      const crashing = { ...t.hub.ctx, store: { ...t.hub.ctx.store, transaction: () => Promise.reject(new Error('simulated crash before the cut')) } };
      await assert.rejects(archive(crashing, { archiveDir: archiveDir(t), olderThanMs: OLDER_THAN_MS, actor: 'test' }), /simulated crash/);
      const left = readdirSync(archiveDir(t));
      assert.equal(left.length, 1, 'the file was written; the lock was released');
      assert.deepEqual(await t.hub.ctx.store.checkpoints(), []);
      assert.deepEqual(await t.hub.ctx.store.events(0, 1), before, 'no event was cut');
      assert.equal((await t.hub.ctx.store.getDocument(doc.id))?.archivedIn, undefined);
      assert.ok(existsSync(t.hub.ctx.blobs.pathOf(doc.digest)), 'the packet is still live');
      const audit = await verifyAudit(t.hub.ctx);
      assert.equal(audit.ok, true, JSON.stringify(audit));
      assert.equal((await verifyFile(t, join(archiveDir(t), left[0] ?? ''))).checkpoint, 'absent', 'a file no cut names is not taken for one');

      const redo = await run(t);
      assert.equal(redo.archives[0]?.file, left[0], 'the same segment, the same name, rewritten');
      assert.deepEqual(redo.unnamedFiles, []);
      assert.equal((await verifyAudit(t.hub.ctx)).ok, true);
      assert.equal((await verifyFile(t, redo.archives[0]?.path ?? '')).ok, true);
    } finally {
      await t.close();
    }
  });

  it('archives nothing when the live chain does not continue the last checkpoint', async () => {
    const t = await startTestHub();
    try {
      await send(t);
      await endAndAge(t);
      const db = new DatabaseSync(join(t.dir, 'vdxp.sqlite'));
      try {
        db.prepare(`INSERT INTO archive_checkpoints (last_seq, first_seq, prev_hash, hash, file, sha256, documents, created_at)
          VALUES (0, 0, ?, ?, 'forged.vdxa', ?, 0, 0)`).run('0'.repeat(64), 'f'.repeat(64), 'e'.repeat(64));
      } finally {
        db.close();
      }
      await assert.rejects(run(t), (e: unknown) => e instanceof ArchiveError && /event 1 does not continue the last checkpoint/.test(e.message));
      assert.deepEqual(readdirSync(archiveDir(t)), [], 'no file was written');
      assert.equal((await verifyAudit(t.hub.ctx)).ok, false);
    } finally {
      await t.close();
    }
  });

  it('after a crash between the cut and the removal of packet files, the next run removes them', async () => {
    const t = await startTestHub();
    try {
      const large = await send(t, { large: true });
      await endAndAge(t);
      const bytes = readFileSync(t.hub.ctx.blobs.pathOf(large.digest));
      assert.equal((await run(t)).archives[0]?.documents, 1);
      // As if the process had died right after the cut's commit: the file is still there.
      mkdirSync(dirname(t.hub.ctx.blobs.pathOf(large.digest)), { recursive: true });
      writeFileSync(t.hub.ctx.blobs.pathOf(large.digest), bytes);
      const next = await run(t);
      assert.deepEqual([next.archives, next.leftoverBytes], [[], large.bytes]);
      assert.equal(existsSync(t.hub.ctx.blobs.pathOf(large.digest)), false);
      assert.equal((await verifyAudit(t.hub.ctx)).ok, true);
    } finally {
      await t.close();
    }
  });

  it('keeps a packet, inline or file, that a live document also names', async () => {
    const t = await startTestHub();
    try {
      const small = await send(t);
      const large = await send(t, { large: true });
      await ackAll(t);
      // Content-addressed: a live document naming the same digests (written as intake would, minus the event).
      await t.hub.ctx.store.transaction(async (tx) => {
        for (const d of [small, large]) {
          const { seq: _seq, ...row } = d;
          await tx.insertDocument({ ...row, id: `twin-${d.id}` }, []);
        }
      });
      t.clock.advance(100 * DAY_MS);
      await send(t);
      const a = (await run(t)).archives[0];
      assert.equal(a?.documents, 2);
      assert.equal(a.bytesFreed, 0);
      assert.ok(inlinePackets.get(t.dir, small.digest), 'the inline packet stays');
      assert.ok(existsSync(t.hub.ctx.blobs.pathOf(large.digest)), 'the file stays');
      assert.equal(await t.hub.ctx.blobs.hashOf(large.digest), large.digest);
      const store = t.hub.ctx.store;
      assert.ok(await store.digestReferenced(small.digest) && await store.digestReferenced(large.digest), 'start-up recovery keeps them too');
      assert.equal((await verifyAudit(t.hub.ctx)).ok, true);
    } finally {
      await t.close();
    }
  });

  it('runs on a schedule at the hub\'s clock, and one run at a time per data folder', async () => {
    const t = await startTestHub();
    try {
      await send(t);
      await endAndAge(t);
      // A lock held by a live process (this one) refuses; one left by a process that is gone is taken over.
      const dir = archiveDir(t);
      await archive(t.hub.ctx, { archiveDir: dir, olderThanMs: 1000 * DAY_MS, actor: 'test' });
      writeFileSync(join(dir, '.lock'), `${process.pid}\n`);
      await assert.rejects(run(t), (e: unknown) => e instanceof ArchiveError && /another archive run \(process \d+\)/.test(e.message));
      writeFileSync(join(dir, '.lock'), '2147483646\n');

      // A segment shorter than the schedule's minimum waits for more (one small file an hour is not wanted).
      assert.deepEqual((await archive(t.hub.ctx, { archiveDir: dir, olderThanMs: OLDER_THAN_MS, actor: 'hub', eventsMin: t.hub.ctx.limits.archiveScheduledEventsMin })).archives, []);

      const runs: (ArchiveRun | undefined)[] = [];
      const made = new Promise<ArchiveRun>((resolve, reject) => {
        const schedule = startArchiveSchedule(t.hub.ctx, {
          archiveDir: dir, olderThanMs: OLDER_THAN_MS, actor: 'hub', intervalMs: 5, eventsMin: 1,
          onRun: (r, error) => {
            runs.push(r);
            if (error !== undefined) { void schedule.stop().then(() => reject(error as Error)); return; }
            if (r && r.archives.length > 0) void schedule.stop().then(() => resolve(r));
          },
        });
      });
      const r = await made;
      assert.equal(r.archives[0]?.documents, 1);
      assert.equal(r.cutoff, t.clock.now() - OLDER_THAN_MS, 'the cutoff comes from the hub\'s injected clock');
      const events = await t.hub.ctx.store.events(0, 1000);
      assert.equal(events.filter((e) => e.type === 'archive:created').length, 1);
      assert.equal(events.find((e) => e.type === 'archive:created')?.actor, 'hub');
      assert.equal(existsSync(join(dir, '.lock')), false);
    } finally {
      await t.close();
    }
  });
});
