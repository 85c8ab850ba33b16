// `vdxp audit verify`: recompute the hash-chained evidence log and every stored packet's digest; exit 1 when
// anything was changed, naming the first broken link. With --archive FILE: one archive file, on its own and
// against the live store's checkpoint when the data folder is there.

import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_HUB_LIMITS, verifyArchive, verifyAudit, type ArchiveReport } from '@vdxp/hub';
import { EXIT_CODES, type CliContext } from '../context.ts';
import { addDataOption, withHub, type HubLocation } from '../hub-access.ts';

const BROKEN_ADVICE = 'Dữ liệu đã bị thay đổi ngoài hub: khôi phục từ bản sao lưu và giữ nguyên thư mục này làm chứng cứ. / '
  + 'The data was changed outside the hub: restore from a backup and keep this folder as evidence.';

export function registerAudit(program: Command, ctx: CliContext): void {
  const audit = program.command('audit')
    .summary('check the evidence log and stored packets / kiểm tra chứng cứ')
    .description('Kiểm tra nhật ký chứng cứ và các gói tin đã lưu / Audit the evidence trail.');

  addDataOption(audit.command('verify')
    .summary('verify the evidence chain and every stored packet / kiểm tra toàn vẹn')
    .description('Recompute the hash chain of the evidence log from its first event (or from the last archive checkpoint), '
      + 'and the digest of every stored packet against the one its acceptance recorded, and list packet files no document '
      + 'names. With --archive FILE, check one archive file instead: its chain, documents and packets, and that the live '
      + 'store\'s checkpoint names its end hash and SHA-256 (when --data holds a hub). Exit 1 when anything was changed, '
      + 'naming the first broken link. '
      + 'Safe beside a running hub.')
    .option('--archive <file>', 'an archive file made by "vdxp archive" / tệp lưu trữ')
    .option('--json', 'the report as JSON'))
    .action(async (opts: { data: string; json?: boolean; archive?: string }) => {
      if (opts.archive !== undefined) return verifyArchiveCommand(ctx, opts.archive, opts, opts.json === true);
      const report = await withHub(ctx, opts, 'existing', (hub) => verifyAudit(hub.ctx));
      if (!report.ok) ctx.fail(EXIT_CODES.failed);
      if (opts.json) return ctx.out(JSON.stringify(report));
      const counts = `${report.events} sự kiện / events, ${report.packets} gói tin / packets`;
      const archived = report.archives.checkpoints === 0 ? ''
        : `; ${report.archives.events} sự kiện đã lưu trữ / archived events in ${report.archives.checkpoints} tệp / files (check each with --archive)`;
      if (report.ok) {
        ctx.out(`Toàn vẹn / Intact: ${counts}; chuỗi chứng cứ và mọi gói tin khớp / the evidence chain and every packet match${archived}.`);
        return;
      }
      ctx.out(`HỎNG / BROKEN: ${counts} đã kiểm tra / checked.`);
      if (report.brokenAt) {
        ctx.out(`  Chuỗi chứng cứ gãy tại sự kiện / The evidence chain breaks at event seq ${report.brokenAt.seq}: ${report.brokenAt.reason}`);
      }
      for (const p of report.packetProblems) ctx.out(`  Gói tin / Packet of document ${p.documentId}: ${p.reason}`);
      for (const d of report.unreferencedFiles) ctx.out(`  Tệp gói tin không thuộc văn bản nào / A packet file no document names: blobs/${d.slice(0, 2)}/${d}`);
      ctx.out(BROKEN_ADVICE);
    });
}

async function verifyArchiveCommand(ctx: CliContext, file: string, where: HubLocation, json: boolean): Promise<void> {
  const data = where.data;
  const path = resolve(ctx.cwd, file);
  // The live checkpoint is checked when the data folder holds a hub; an archive copied elsewhere is checked alone.
  const live = where.database !== undefined || existsSync(join(resolve(ctx.cwd, data), 'vdxp.sqlite'));
  const report: ArchiveReport = live
    ? await withHub(ctx, where, 'existing', (hub) => verifyArchive(path, hub.ctx.limits.archiveLineBytesMax, hub.ctx.store))
    : await verifyArchive(path, DEFAULT_HUB_LIMITS.archiveLineBytesMax);
  if (!report.ok) ctx.fail(EXIT_CODES.failed);
  if (json) return ctx.out(JSON.stringify(report));
  const m = report.manifest;
  const what = `${report.events} sự kiện / events${m ? ` ${m.firstSeq}–${m.lastSeq}` : ''}, ${report.documents} văn bản / documents, `
    + `${report.packets} gói tin / packets; sha256 ${report.sha256}`;
  const against = report.checkpoint === 'not checked'
    ? `không có dữ liệu hub ở ${data}: chỉ kiểm tra tệp / no hub data at ${data}: the file was checked alone`
    : `điểm kiểm tra của kho sống / the live checkpoint: ${report.checkpoint}`;
  if (report.ok) {
    ctx.out(`Toàn vẹn / Intact: ${what}; ${against}.`);
    return;
  }
  ctx.out(`HỎNG / BROKEN: ${what}; ${against}.`);
  for (const p of report.problems) ctx.out(`  ${p.at}: ${p.reason}`);
  if (report.moreProblems > 0) ctx.out(`  … ${report.moreProblems} more`);
  ctx.out(BROKEN_ADVICE);
}
