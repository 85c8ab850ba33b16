// `vdxp archive --older-than 90d`: move documents whose deliveries have all ended, with their stretch of the
// evidence chain, into archive files under data/archive/, out of the live store; print what it did.

import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ARCHIVE_DIR_NAME, ArchiveError, archive } from '@vdxp/hub';
import { CliError, EXIT_CODES, type CliContext } from '../context.ts';
import { durationMsArg } from '../duration.ts';
import { addDataOption, operatorActor, withHub } from '../hub-access.ts';

export function registerArchive(program: Command, ctx: CliContext): void {
  addDataOption(program.command('archive')
    .summary('archive ended documents older than a duration / lưu trữ văn bản đã xong')
    .description('Move documents whose deliveries have all ended (done, dead, expired, recalled) and that were received '
      + 'before the cutoff, with their part of the evidence chain, into self-contained files in <data>/archive/ '
      + '(0600); their packets leave the live store, their metadata and timeline stay. Check a file with '
      + '"vdxp audit verify --archive FILE". Safe beside a running hub.')
    .requiredOption('--older-than <duration>', 'e.g. 90d, 12h: documents received, and events written, before now minus this', durationMsArg)
    .option('--json', 'the result as JSON'))
    .action(async (opts: { data: string; olderThan: number; json?: boolean }) => {
      const run = await withHub(ctx, opts, 'existing', async (hub) => {
        // The command's clock (injected in tests) decides the cutoff, as the hub's does in `serve`.
        const clocked = { ...hub.ctx, clock: { now: () => ctx.now().getTime() } };
        try {
          return await archive(clocked, { archiveDir: join(resolve(ctx.cwd, opts.data), ARCHIVE_DIR_NAME), olderThanMs: opts.olderThan, actor: operatorActor() });
        } catch (e) {
          if (e instanceof ArchiveError) throw new CliError(`không lưu trữ được / cannot archive: ${e.message}`, EXIT_CODES.failed, { cause: e });
          throw e;
        }
      });
      if (opts.json) return ctx.out(JSON.stringify(run));
      const cutoff = new Date(run.cutoff).toISOString();
      if (run.archives.length === 0) ctx.out(`Không có gì để lưu trữ / Nothing to archive: no ended document received before ${cutoff}.`);
      for (const a of run.archives) {
        ctx.out(`Đã lưu trữ / Archived ${a.documents} văn bản / documents, ${a.packets} gói tin / packets (${a.packetBytes} B), `
          + `events ${a.firstSeq}–${a.lastSeq} → ${a.path} (${a.fileBytes} B, sha256 ${a.sha256}); giải phóng / freed ${a.bytesFreed} B`);
      }
      if (run.archives.length > 1) {
        const sum = (f: (a: (typeof run.archives)[number]) => number): number => run.archives.reduce((n, a) => n + f(a), 0);
        ctx.out(`Tổng / Total: ${sum((a) => a.documents)} documents, ${sum((a) => a.packets)} packets, ${sum((a) => a.bytesFreed)} B freed, ${run.archives.length} files`);
      }
      if (run.leftoverBytes > 0) ctx.out(`Đã dọn / Removed ${run.leftoverBytes} B of packet files an interrupted run had archived but not removed.`);
      if (run.more) ctx.out('Còn nữa / More to archive: this run stopped at limits.archiveFilesPerRunMax; run it again.');
      for (const f of run.unnamedFiles) {
        ctx.out(`  Chú ý / Note: ${f} is named by no checkpoint (left by an interrupted run, or copied in): its events are still live; vdxp never removes it.`);
      }
    });
}
