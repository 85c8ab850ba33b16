// How operator commands reach a hub: its data folder (--data), or the PostgreSQL database its nodes share
// (--database / VDXP_DATABASE_URL, with the nodes' --key-file / VDXP_KEY_FILE). Opened beside possibly running
// hubs (no crash recovery: that belongs to the serving process); a change made here is in the database every
// node reads, so it takes effect on all of them at once. Also turns the hub's refusals into CLI failures and
// names the actor.

import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { HubError, openHub, type Hub } from '@vdxp/hub';
import { CliError, EXIT_CODES, type CliContext } from './context.ts';

export const DATA_DIR_DEFAULT = './data';

/** The database file openHub keeps in a data folder; its presence says the folder holds a hub. */
const DATABASE_FILE = 'vdxp.sqlite';

export function addDataOption(command: Command): Command {
  return addDatabaseOptions(command.option('--data <dir>', 'thư mục dữ liệu của hub / the hub\'s data folder', DATA_DIR_DEFAULT));
}

/** --database and --key-file, for every command that opens a hub (serve adds them itself, beside its --data). */
export function addDatabaseOptions(command: Command): Command {
  return command
    .addOption(new Option('--database <url>', 'cơ sở dữ liệu PostgreSQL của các nút / the nodes\' PostgreSQL database, postgres://user@host:port/db (instead of --data)')
      .env('VDXP_DATABASE_URL'))
    .addOption(new Option('--key-file <file>', 'khóa niêm phong dùng chung của các nút / the sealing key file every node shares (with --database)')
      .env('VDXP_KEY_FILE'));
}

/** Where a command finds its hub: the options addDataOption adds. */
export interface HubLocation {
  data: string;
  database?: string;
  keyFile?: string;
}

/** The database URL with its password hidden, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://…';
  }
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
export async function withHub<T>(ctx: CliContext, where: HubLocation, mode: 'create' | 'existing', fn: (hub: Hub) => Promise<T>): Promise<T> {
  if (where.database !== undefined) return withDatabaseHub(ctx, { ...where, database: where.database }, fn);
  const dataDir = where.data;
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
  return runOn(hub, fn);
}

/** The same on the nodes' database: every node sees the change at once (they read it from there). */
async function withDatabaseHub<T>(ctx: CliContext, where: HubLocation & { database: string }, fn: (hub: Hub) => Promise<T>): Promise<T> {
  let hub: Hub;
  try {
    hub = await openHub({ databaseUrl: where.database, recover: false, ...(where.keyFile !== undefined ? { keyFile: resolve(ctx.cwd, where.keyFile) } : {}) });
  } catch (e) {
    const why = e instanceof HubError ? `${e.code}: ${e.message}` : (e as Error).message;
    throw new CliError(`không mở được cơ sở dữ liệu / cannot open the hub database ${redactUrl(where.database)}: ${why}`, EXIT_CODES.usage, { cause: e });
  }
  return runOn(hub, fn);
}

/** Runs `fn` on an open hub and closes it, whatever happens; hub refusals become CLI failures. */
async function runOn<T>(hub: Hub, fn: (hub: Hub) => Promise<T>): Promise<T> {
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
