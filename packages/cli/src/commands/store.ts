// `vdxp store copy --from <data dir> --to <database url>`: moves an embedded hub onto PostgreSQL (registry,
// systems with working credentials, documents, deliveries with their state, statuses, counters, the evidence
// chain, every packet, console users and the calendar; console sessions are dropped, said in the output), streamed with a progress line, resumable by running it again, and checked at the
// end with `audit verify` on the target.

import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { copyStore, openHub, verifyAudit } from '@vdxp/hub';
import { CliError, EXIT_CODES, type CliContext } from '../context.ts';
import { asCliError, redactUrl } from '../hub-access.ts';

export function registerStore(program: Command, ctx: CliContext): void {
  const store = program.command('store')
    .summary('move a hub between engines / chuyển kho dữ liệu')
    .description('Kho dữ liệu của hub / The hub\'s store.');

  store.command('copy')
    .summary('copy an embedded hub (data folder) onto PostgreSQL / chép sang PostgreSQL')
    .description('Copy everything an embedded hub holds (registry, systems, documents, deliveries and their state, statuses, '
      + 'counters, the evidence chain, every packet, console users and the calendar; not console sessions: people log in again) from --from (a data folder; stop its hub first) to --to (a PostgreSQL '
      + 'database the nodes will share; start them after). Systems\' VDXP secrets are re-sealed under --key-file, the key '
      + 'every node is given (created if missing). Interrupted? Run the same command again: it resumes, skipping what is '
      + 'there. Ends with "audit verify" on the target; exit 1 if it does not verify.')
    .requiredOption('--from <dir>', 'thư mục dữ liệu nguồn / the source data folder')
    .addOption(new Option('--to <url>', 'cơ sở dữ liệu đích / the target database, postgres://user@host:port/db').env('VDXP_DATABASE_URL').makeOptionMandatory())
    .addOption(new Option('--key-file <file>', 'khóa niêm phong của các nút / the nodes\' sealing key file').env('VDXP_KEY_FILE').makeOptionMandatory())
    .action(async (opts: { from: string; to: string; keyFile: string }) => {
      const fromDir = resolve(ctx.cwd, opts.from);
      if (!existsSync(join(fromDir, 'vdxp.sqlite'))) {
        throw new CliError(`không có dữ liệu hub trong ${fromDir} / no hub data in ${fromDir}: check --from`, EXIT_CODES.usage);
      }
      const keyFile = resolve(ctx.cwd, opts.keyFile);
      let last = '';
      let result;
      try {
        result = await copyStore({
          fromDir, toUrl: opts.to, keyFile,
          progress: (p) => {
            // One line per table, and one per 10,000 rows or 100 packet files within it.
            const line = `vdxp: chép / copying ${p.table}: ${p.rows}${p.total >= 0 ? `/${p.total}` : ''}`;
            const step = p.total < 0 ? 100 : 10_000;
            if (p.table !== last || p.rows % step < (p.total < 0 ? 1 : 500) || p.rows === p.total) ctx.err(line);
            last = p.table;
          },
        });
      } catch (e) {
        throw asCliError(e);
      }
      const rows = Object.entries(result.tables).map(([t, n]) => `${t} ${n}`).join(', ');
      ctx.out(`Đã chép / Copied to ${redactUrl(opts.to)}: ${rows}; ${result.packetFiles} tệp gói tin / packet files `
        + `(${result.packetBytes} B), ${result.packetFilesSkipped} đã có / already there.`);
      if (result.sessionsDropped > 0) {
        ctx.out(`${result.sessionsDropped} phiên đăng nhập bảng điều khiển không được chép: người dùng đăng nhập lại / `
          + `console sessions not copied: their users log in again on the target.`);
      }
      const hub = await openHub({ databaseUrl: opts.to, keyFile, recover: false });
      try {
        const report = await verifyAudit(hub.ctx);
        if (!report.ok) {
          ctx.fail(EXIT_CODES.failed);
          ctx.out(`HỎNG / BROKEN on the target: ${JSON.stringify({ brokenAt: report.brokenAt, packetProblems: report.packetProblems.slice(0, 10) })}`);
          return;
        }
        ctx.out(`Toàn vẹn / Intact on the target: ${report.events} sự kiện / events, ${report.packets} gói tin / packets. `
          + `Khởi động các nút / Start the nodes: vdxp serve --database <url> --key-file ${keyFile}`);
      } finally {
        await hub.close();
      }
    });
}
