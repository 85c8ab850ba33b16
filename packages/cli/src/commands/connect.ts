// `vdxp connect`: the folder connector (connector.ts) for systems that can only read and write files; runs
// until SIGINT/SIGTERM, and on a restart after any crash picks up where it stopped.

import { InvalidArgumentError, type Command } from 'commander';
import { FolderConnector } from '../connector.ts';
import type { CliContext } from '../context.ts';
import { resolveFile } from '../files.ts';
import { addHubClientOptions, asClientCliError, hubClient, type HubClientOpts } from '../hub-client.ts';

export function registerConnect(program: Command, ctx: CliContext): void {
  addHubClientOptions(program.command('connect')
    .summary('folder connector: send the outbox, receive into the inbox / kết nối qua thư mục')
    .description('Kết nối hệ thống chỉ đọc/ghi tệp / For systems that can only read and write files. A packet written '
      + 'into --outbox (*.edxml or *.xml; write it under a name starting with "." or another extension, then rename) is sent '
      + 'and moved to sent/ with <name>.receipt.json (document id, time, recipients); a refused one goes to failed/ with '
      + '<name>.reason.json, never retried. Status packets written to the outbox are sent the same way. Received documents '
      + 'and statuses are written to --inbox as <kind>-<deliveryId>.edxml (temporary name, fsync, rename) and only then '
      + 'acknowledged. Killed at any moment and restarted, it loses and duplicates nothing. Runs until Ctrl-C / SIGTERM.')
    .requiredOption('--inbox <dir>', 'where received packets are written')
    .requiredOption('--outbox <dir>', 'where the system puts packets to send')
    .option('--poll <ms>', 'how often the outbox is looked at (ms)', wholeNumber(10, 3_600_000), 1000)
    .option('--wait <seconds>', 'long-poll seconds', wholeNumber(0, 60), 30))
    .action(async (opts: HubClientOpts & { inbox: string; outbox: string; poll: number; wait: number }) => {
      const client = hubClient(ctx, opts);
      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      for (const s of ['SIGINT', 'SIGTERM'] as const) process.once(s, onSignal);
      const connector = new FolderConnector({
        client, inbox: resolveFile(ctx, opts.inbox), outbox: resolveFile(ctx, opts.outbox), outboxPollMs: opts.poll, waitSeconds: opts.wait,
        log: (line) => opts.json ? ctx.out(JSON.stringify({ at: ctx.now().toISOString(), message: line })) : ctx.out(line), now: ctx.now,
      });
      ctx.err(`vdxp connect: ${opts.outbox} → trục / hub → ${opts.inbox}; dừng bằng Ctrl-C / stop with Ctrl-C`);
      try {
        await connector.run(stop.signal);
      } catch (e) {
        throw asClientCliError(e);
      } finally {
        for (const s of ['SIGINT', 'SIGTERM'] as const) process.off(s, onSignal);
      }
    });
}

function wholeNumber(min: number, max: number): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`số nguyên từ ${min} đến ${max} / a whole number from ${min} to ${max}`);
    return n;
  };
}
