// `vdxp audit verify`: recompute the hash-chained evidence log and every stored packet's digest; exit 1 when
// anything was changed, naming the first broken link.

import type { Command } from 'commander';
import { verifyAudit } from '@vdxp/hub';
import { EXIT_CODES, type CliContext } from '../context.ts';
import { addDataOption, withHub } from '../hub-access.ts';

export function registerAudit(program: Command, ctx: CliContext): void {
  const audit = program.command('audit')
    .summary('check the evidence log and stored packets / kiểm tra chứng cứ')
    .description('Kiểm tra nhật ký chứng cứ và các gói tin đã lưu / Audit the evidence trail.');

  addDataOption(audit.command('verify')
    .summary('verify the evidence chain and every stored packet / kiểm tra toàn vẹn')
    .description('Recompute the hash chain of the evidence log from its first event, and the digest of every stored '
      + 'packet against the one its acceptance recorded, and list packet files no document names. Exit 1 when anything was '
      + 'changed, naming the first broken link. '
      + 'Safe beside a running hub.')
    .option('--json', 'the report as JSON'))
    .action(async (opts: { data: string; json?: boolean }) => {
      const report = await withHub(ctx, opts.data, 'existing', (hub) => verifyAudit(hub.ctx));
      if (!report.ok) ctx.fail(EXIT_CODES.failed);
      if (opts.json) return ctx.out(JSON.stringify(report));
      const counts = `${report.events} sự kiện / events, ${report.packets} gói tin / packets`;
      if (report.ok) {
        ctx.out(`Toàn vẹn / Intact: ${counts}; chuỗi chứng cứ và mọi gói tin khớp / the evidence chain and every packet match.`);
        return;
      }
      ctx.out(`HỎNG / BROKEN: ${counts} đã kiểm tra / checked.`);
      if (report.brokenAt) {
        ctx.out(`  Chuỗi chứng cứ gãy tại sự kiện / The evidence chain breaks at event seq ${report.brokenAt.seq}: ${report.brokenAt.reason}`);
      }
      for (const p of report.packetProblems) ctx.out(`  Gói tin / Packet of document ${p.documentId}: ${p.reason}`);
      for (const d of report.unreferencedFiles) ctx.out(`  Tệp gói tin không thuộc văn bản nào / A packet file no document names: blobs/${d.slice(0, 2)}/${d}`);
      ctx.out('Dữ liệu đã bị thay đổi ngoài hub: khôi phục từ bản sao lưu và giữ nguyên thư mục này làm chứng cứ. / '
        + 'The data was changed outside the hub: restore from a backup and keep this folder as evidence.');
    });
}
