// How operator commands reach a hub's data folder: open it beside a possibly running hub (no crash recovery:
// that belongs to the serving process), turn the hub's refusals into CLI failures, and name the actor.

import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { HubError, openHub, type Hub } from '@vdxp/hub';
import { CliError, EXIT_CODES, type CliContext } from './context.ts';

export const DATA_DIR_DEFAULT = './data';

/** The database file openHub keeps in a data folder; its presence says the folder holds a hub. */
const DATABASE_FILE = 'vdxp.sqlite';

export function addDataOption(command: Command): Command {
  return command.option('--data <dir>', 'thư mục dữ liệu của hub / the hub\'s data folder', DATA_DIR_DEFAULT);
}

/** Who did it, for the evidence log: every operator action is an event. */
export function operatorActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    // No passwd entry (some containers): still say it came from the command line.
    return 'cli';
  }
}

/**
 * Runs `fn` on the hub in `dataDir`, closing it afterwards. `create` lets a command that adds to the registry
 * start a new folder; `existing` refuses a folder without a hub, so a typo in --data is not a silent empty hub.
 */
export async function withHub<T>(ctx: CliContext, dataDir: string, mode: 'create' | 'existing', fn: (hub: Hub) => Promise<T>): Promise<T> {
  const dir = resolve(ctx.cwd, dataDir);
  const fresh = !existsSync(join(dir, DATABASE_FILE));
  if (fresh && mode === 'existing') {
    throw new CliError(`không có dữ liệu hub trong ${dir}; kiểm tra --data, hoặc tạo bằng "vdxp serve --data ${dataDir}" / `
      + `no hub data in ${dir}: check --data, or create it with "vdxp serve --data ${dataDir}"`, EXIT_CODES.usage);
  }
  let hub: Hub;
  try {
    hub = await openHub({ dataDir: dir, recover: false });
  } catch (e) {
    const why = e instanceof HubError ? `${e.code}: ${e.message}` : (e as Error).message;
    throw new CliError(`không mở được dữ liệu hub trong ${dir} / cannot open the hub data in ${dir}: ${why}`, EXIT_CODES.usage, { cause: e });
  }
  if (fresh) ctx.err(`vdxp: đã tạo thư mục dữ liệu mới / created a new data folder: ${dir}`);
  for (const w of hub.warnings) ctx.err(`vdxp: ${w}`);
  try {
    return await fn(hub);
  } catch (e) {
    throw asCliError(e);
  } finally {
    await hub.close();
  }
}

/** A hub refusal becomes exit 1 with its stable code; anything else passes through untouched. */
export function asCliError(e: unknown): unknown {
  if (e instanceof HubError) return new CliError(`${e.code}: ${e.message}`, EXIT_CODES.failed, { cause: e });
  return e;
}

/** `a,b , c` → ['a', 'b', 'c']; empty items dropped. */
export function commaList(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter((s) => s !== '');
}
