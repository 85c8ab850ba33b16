// How agency commands (send, receive, reply, recall, connect) reach a hub over its native API: --hub and
// --token (or VDXP_HUB and VDXP_TOKEN, so a token stays out of shell history), the client's refusals as CLI
// failures with their stable codes, and a progress line on a terminal only.

import type { Command } from 'commander';
import { VdxpClient, VdxpClientError, type Progress, type ProgressListener } from '@vdxp/client';
import { nodeFetch } from '@vdxp/client/node';
import { CliError, EXIT_CODES, type CliContext } from './context.ts';
import { formatBytes } from './format.ts';

export interface HubClientOpts {
  hub?: string;
  token?: string;
  json?: boolean;
}

export function addHubClientOptions(command: Command): Command {
  return command
    .option('--hub <url>', 'địa chỉ trục / the hub\'s URL (or VDXP_HUB)')
    .option('--token <token>', 'mã truy cập của hệ thống / the system\'s bearer token (or VDXP_TOKEN, which keeps it out of shell history)')
    .option('--json', 'một dòng JSON cho mỗi kết quả / one JSON line per result, for scripts');
}

export function hubClient(ctx: CliContext, opts: HubClientOpts): VdxpClient {
  const env = ctx.env ?? process.env;
  const hub = opts.hub ?? env['VDXP_HUB'];
  const token = opts.token ?? env['VDXP_TOKEN'];
  if (!hub) throw new CliError('cần --hub URL (hoặc VDXP_HUB) / --hub URL (or VDXP_HUB) is needed', EXIT_CODES.usage);
  if (!token) throw new CliError('cần --token (hoặc VDXP_TOKEN) / --token (or VDXP_TOKEN) is needed', EXIT_CODES.usage);
  try {
    return new VdxpClient({ hub, token, fetch: nodeFetch });
  } catch (e) {
    throw new CliError(`--hub "${hub}": không phải URL / not a URL`, EXIT_CODES.usage, { cause: e });
  }
}

/** A client refusal as exit 1 with its code; anything else passes through. */
export function asClientCliError(e: unknown): unknown {
  if (e instanceof VdxpClientError) return new CliError(clientErrorLine(e), EXIT_CODES.failed, { cause: e });
  return e;
}

export function clientErrorLine(e: VdxpClientError): string {
  return `${e.code}${e.status === undefined ? '' : ` (HTTP ${e.status})`}: ${e.message}`;
}

/** A progress line redrawn in place on a terminal; nothing when stderr is a file or a pipe, or with --json. */
export function progressLine(ctx: CliContext, label: string, json: boolean | undefined): { listener: ProgressListener | undefined; done: () => void } {
  const tty = (ctx.stderr as { isTTY?: boolean }).isTTY === true;
  if (!tty || json) return { listener: undefined, done: () => {} };
  let drawn = false;
  return {
    listener: (p: Progress) => {
      drawn = true;
      const pct = p.total ? ` ${Math.floor((100 * p.bytes) / p.total)}%` : '';
      const bar = p.total ? ` [${'#'.repeat(Math.floor((20 * p.bytes) / p.total)).padEnd(20, '.')}]` : '';
      ctx.stderr.write(`\r${label} ${p.phase === 'upload' ? '↑' : '↓'}${bar}${pct} ${formatBytes(p.bytes)}\u001b[K`);
    },
    done: () => { if (drawn) ctx.stderr.write('\r\u001b[K'); },
  };
}
