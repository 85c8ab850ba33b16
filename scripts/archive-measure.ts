// Measures one archive run on a fresh hub: N small documents (kept inline) and M of 1 MiB (files), all acked,
// then archived at a clock 100 days later. Prints the run's time, the cut transaction's share, file size and
// peak RSS. Usage: bash scripts/dev.sh node scripts/archive-measure.ts [small=2000] [large=20]

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ManualClock, ackDelivery, addSystem, archive, authenticateToken, importAgencies, inbox, openHub, submitPacket, verifyArchive, verifyAudit } from '@vdxp/hub';
import { buildPacketBytes } from '@vdxp/edxml';

const small = Number(process.argv[2] ?? 2000);
const large = Number(process.argv[3] ?? 20);
const dir = mkdtempSync(join(tmpdir(), 'vdxp-archive-measure-'));
const clock = new ManualClock();
const hub = await openHub({ dataDir: dir, clock });
try {
  await importAgencies(hub.ctx, [{ code: '000.00.00.G22', name: 'G22' }, { code: '000.00.00.H41', name: 'H41' }], 'measure');
  const gov = await authenticateToken(hub.ctx, (await addSystem(hub.ctx, { id: 'sys.gov', agencies: ['000.00.00.G22'] }, 'm')).token);
  const rcv = await authenticateToken(hub.ctx, (await addSystem(hub.ctx, { id: 'sys.h41', agencies: ['000.00.00.H41'] }, 'm')).token);
  for (let i = 0; i < small + large; i++) {
    const content = i < small ? Buffer.from(`Nội dung ${i} `.repeat(500)) : Buffer.alloc(1024 * 1024, i & 0xff);
    const packet = await buildPacketBytes({ header: { MessageHeader: {
      From: { OrganId: '000.00.00.G22' }, To: [{ OrganId: '000.00.00.H41' }], DocumentId: `000.00.00.G22,2026/11/23,${i}/M`,
      Code: { CodeNumber: String(i), CodeNotation: 'M' }, Subject: `Đo ${i}`, ResponseFor: [] } },
    attachments: [{ ContentId: 'cid:1', AttachmentName: 'a.txt', ContentType: 'text/plain', content }] });
    await submitPacket(hub.ctx, gov, [packet], { via: 'native' });
  }
  for (;;) {
    const items = await inbox(hub.ctx, rcv, { limit: 1000 });
    if (items.length === 0) break;
    for (const it of items) await ackDelivery(hub.ctx, rcv, it.delivery.id, 'done');
  }
  clock.advance(100 * 24 * 3600 * 1000);
  let cutMs = 0;
  const timed = { ...hub.ctx, store: { ...hub.ctx.store, transaction: async <T>(fn: Parameters<typeof hub.ctx.store.transaction<T>>[0]) => {
    const t0 = performance.now();
    try { return await hub.ctx.store.transaction(fn); } finally { cutMs += performance.now() - t0; }
  } } };
  const t0 = performance.now();
  const run = await archive(timed, { archiveDir: join(dir, 'archive'), olderThanMs: 90 * 24 * 3600 * 1000, actor: 'measure' });
  const total = performance.now() - t0;
  const t1 = performance.now();
  const report = await verifyArchive(run.archives[0]?.path ?? '', hub.ctx.limits.archiveLineBytesMax, hub.ctx.store);
  const verifyMs = performance.now() - t1;
  const audit = await verifyAudit(hub.ctx);
  const a = run.archives;
  console.log(JSON.stringify({
    small, large, files: a.length, documents: a.reduce((n, x) => n + x.documents, 0), events: a.reduce((n, x) => n + x.events, 0),
    fileMiB: +(a.reduce((n, x) => n + x.fileBytes, 0) / 2 ** 20).toFixed(1), freedMiB: +(a.reduce((n, x) => n + x.bytesFreed, 0) / 2 ** 20).toFixed(1),
    archiveMs: Math.round(total), transactionsMs: Math.round(cutMs), verifyMs: Math.round(verifyMs), verifyOk: report.ok, auditOk: audit.ok,
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  }));
  console.log(run.archives[0]?.path);
} finally {
  await hub.close();
  if (process.env['KEEP'] === undefined) rmSync(dir, { recursive: true, force: true });
}
