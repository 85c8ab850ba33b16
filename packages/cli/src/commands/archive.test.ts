// `vdxp archive` and `vdxp audit verify --archive` on a real data folder: an archive made at the command's clock,
// the live chain verified after the cut, the file verified against the live checkpoint and alone, a changed
// byte reported; `serve --archive-after` says it archives, and bad durations are usage errors.

import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildPacketBytes } from '@vdxp/edxml';
import { ManualClock, ackDelivery, addSystem, authenticateToken, importAgencies, inbox, openHub, submitPacket, type ArchiveReport, type ArchiveRun, type AuditReport } from '@vdxp/hub';
import { TEST_NOW, cli } from '../../test-support/cli.ts';
import { startServe } from './serve.ts';

let root: string;
let data: string;

function edoc(n: number): Promise<Buffer> {
  return buildPacketBytes({
    header: {
      MessageHeader: {
        From: { OrganId: '000.00.00.G22' }, To: [{ OrganId: '000.00.00.H41' }], DocumentId: `000.00.00.G22,2025/10/01,${n}/CV-ARCHIVE`,
        Code: { CodeNumber: String(n), CodeNotation: 'CV-ARCHIVE' }, Subject: `Công văn lưu trữ ${n}`, ResponseFor: [],
      },
      TraceHeaderList: { TraceHeader: [{ OrganId: '000.00.00.G22', Timestamp: '2025/10/01 08:00:00' }] },
    },
    attachments: [{ ContentId: 'cid:1', AttachmentName: 'cv.txt', ContentType: 'text/plain', content: Buffer.from(`Nội dung ${n}`) }],
  });
}

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'vdxp-cli-archive-'));
  data = join(root, 'data');
  // Five months before the commands' clock (TEST_NOW, 2026-03-01).
  const hub = await openHub({ dataDir: data, clock: new ManualClock(Date.UTC(2025, 9, 1, 1, 0, 0)) });
  try {
    await importAgencies(hub.ctx, [{ code: '000.00.00.G22', name: 'Văn phòng Chính phủ' }, { code: '000.00.00.H41', name: 'UBND tỉnh Nghệ An' }], 'test');
    const sender = await authenticateToken(hub.ctx, (await addSystem(hub.ctx, { id: 'sys.gov', agencies: ['000.00.00.G22'] }, 'test')).token);
    const receiver = await authenticateToken(hub.ctx, (await addSystem(hub.ctx, { id: 'sys.nghean', agencies: ['000.00.00.H41'] }, 'test')).token);
    for (const n of [1, 2]) await submitPacket(hub.ctx, sender, [await edoc(n)], { via: 'native' });
    for (const item of await inbox(hub.ctx, receiver, {})) await ackDelivery(hub.ctx, receiver, item.delivery.id, 'done');
    await submitPacket(hub.ctx, sender, [await edoc(3)], { via: 'native' });
  } finally {
    await hub.close();
  }
});
after(() => rmSync(root, { recursive: true, force: true }));

describe('vdxp archive', () => {
  let file: string;

  it('archives the ended documents older than the duration, prints what it did, and the live chain still verifies', async () => {
    const r = await cli(['archive', '--older-than', '90d', '--data', data]);
    assert.equal(r.code, 0, r.stderr);
    const archiveDir = join(data, 'archive');
    const files = readdirSync(archiveDir);
    assert.equal(files.length, 1);
    file = join(archiveDir, files[0] ?? '');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.match(r.stdout, new RegExp(`^Đã lưu trữ / Archived 2 văn bản / documents, 2 gói tin / packets \\(\\d+ B\\), events 1–\\d+ → ${file} \\(\\d+ B, sha256 [0-9a-f]{64}\\); giải phóng / freed \\d+ B$`, 'm'));
    const cutoff = new Date(TEST_NOW.getTime() - 90 * 24 * 3600 * 1000).toISOString();
    const again = await cli(['archive', '--older-than', '90d', '--json', '--data', data]);
    const run = JSON.parse(again.stdout) as ArchiveRun;
    assert.deepEqual([run.archives, new Date(run.cutoff).toISOString()], [[], cutoff], 'the third document is still handed out');

    const audit = await cli(['audit', 'verify', '--json', '--data', data]);
    assert.equal(audit.code, 0, audit.stdout);
    const report = JSON.parse(audit.stdout) as AuditReport;
    assert.equal(report.archives.checkpoints, 1);
    assert.equal(report.packets, 1);
    assert.match((await cli(['audit', 'verify', '--data', data])).stdout, /^Toàn vẹn \/ Intact: .*archived events in 1 tệp \/ files/m);
  });

  it('verifies the archive file against the live checkpoint, and alone when no hub data is at hand', async () => {
    const r = await cli(['audit', 'verify', '--archive', file, '--data', data]);
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /^Toàn vẹn \/ Intact: \d+ sự kiện \/ events 1–\d+, 2 văn bản \/ documents, 2 gói tin \/ packets; sha256 [0-9a-f]{64}; điểm kiểm tra của kho sống \/ the live checkpoint: matches\.$/m);
    const alone = await cli(['audit', 'verify', '--archive', file, '--json', '--data', join(root, 'elsewhere')]);
    assert.equal(alone.code, 0);
    assert.equal((JSON.parse(alone.stdout) as ArchiveReport).checkpoint, 'not checked');
  });

  it('names a changed byte, and exits 1', async () => {
    const copy = join(root, 'copy.vdxa');
    copyFileSync(file, copy);
    const bytes = readFileSync(copy);
    const at = bytes.indexOf('Công văn lưu trữ 1') + 1;
    bytes[at] = 0x78;
    writeFileSync(copy, bytes);
    const r = await cli(['audit', 'verify', '--archive', copy, '--data', data]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^HỎNG \/ BROKEN: .*the live checkpoint: differs\.$/m);
    assert.match(r.stdout, /^ {2}archive\.json: sha256\.documents is "[0-9a-f]{64}", the content says "[0-9a-f]{64}"$/m);
    assert.match(r.stdout, /^ {2}checkpoint: the file's sha256 is [0-9a-f]{64}, the live checkpoint \(.+\.vdxa\) recorded [0-9a-f]{64}$/m);
  });

  it('refuses a malformed duration or a folder without a hub as usage errors', async () => {
    const bad = await cli(['archive', '--older-than', '90 days', '--data', data]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /a duration such as 90d/);
    assert.equal((await cli(['serve', '--archive-after', '3x'])).code, 2);
    assert.equal((await cli(['archive', '--older-than', '1d', '--data', join(root, 'nothing-here')])).code, 2);
  });

  it('serve --archive-after says it archives, and where', async () => {
    const lines: string[] = [];
    const handle = await startServe({ dataDir: data, port: 0, host: '127.0.0.1', demo: false, out: (l) => lines.push(l), archiveAfterMs: 90 * 24 * 3600 * 1000 });
    await handle.close();
    assert.ok(lines.some((l) => /Lưu trữ \/ Archival:\s+hourly: documents ended and received 90d ago → .*archive$/.test(l)), lines.join('\n'));
  });
});
