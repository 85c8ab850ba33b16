// A throwaway PostgreSQL 15 cluster on loopback for tests, benchmarks and the crash test: initdb in a temp
// folder, the server on a free port with its unix socket in that folder, one fresh database per test where
// asked. As root the server runs as the `postgres` user (initdb refuses root); as anyone else, as that user.

import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/** Debian's postgresql-15 (scripts/dev.sh installs it when missing); VDXP_PG_BIN points elsewhere. */
export const PG_BIN = process.env['VDXP_PG_BIN'] ?? '/usr/lib/postgresql/15/bin';
/** A cluster start or stop on a loaded 2-core machine: seconds, not minutes. */
const PG_CTL_TIMEOUT_SECONDS = 60;

export interface PgCluster {
  readonly port: number;
  /** Folder of the server's unix socket. */
  readonly socketDir: string;
  /** A URL on loopback TCP for database `db`. */
  url(db?: string): string;
  /** A new empty database; its URL. */
  createDatabase(prefix?: string): Promise<string>;
  /** Stops the server: 'fast' (clients told, clean checkpoint) or 'immediate' (a crash; WAL replay at start). */
  stop(mode: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  restart(mode: 'fast' | 'immediate'): Promise<void>;
  /** Stops the server and removes its folder. */
  destroy(): Promise<void>;
}

/** Whether the PostgreSQL server binaries are here; a test that needs them says so when they are not. */
export function postgresAvailable(): boolean {
  return existsSync(join(PG_BIN, 'initdb')) && existsSync(join(PG_BIN, 'pg_ctl'));
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

let databases = 0;
const clusters = new Set<string>();
let exitHookInstalled = false;

export async function startPostgres(): Promise<PgCluster> {
  if (!postgresAvailable()) {
    throw new Error(`PostgreSQL 15 server binaries are missing in ${PG_BIN}: run "bash scripts/dev.sh test" (installs postgresql-15 as root) or apt-get install postgresql-15`);
  }
  const root = userInfo().uid === 0;
  const dir = mkdtempSync(join(tmpdir(), 'vdxp-pg-'));
  if (root) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
  }
  const as = (cmd: string, args: string[]): Promise<unknown> => (root
    ? run('runuser', ['-u', 'postgres', '--', join(PG_BIN, cmd), ...args], { cwd: dir })
    : run(join(PG_BIN, cmd), args, { cwd: dir }));
  const data = join(dir, 'data');
  await as('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync']);
  const port = await freePort();
  // Durability settings stay at their defaults (fsync, synchronous_commit on): the tests rely on a commit
  // surviving an immediate shutdown. Connections: 3 nodes × their pools plus listeners, with room.
  writeFileSync(join(data, 'postgresql.auto.conf'), [
    `port = ${port}`, `listen_addresses = '127.0.0.1'`, `unix_socket_directories = '${dir}'`, 'max_connections = 200',
    'shared_buffers = 64MB', `log_min_messages = warning`, '',
  ].join('\n'));
  if (root) execFileSync('chown', ['postgres:postgres', join(data, 'postgresql.auto.conf')]);
  const log = join(dir, 'server.log');
  const pgctl = (args: string[]): Promise<unknown> => as('pg_ctl', ['-D', data, '-l', log, '-t', String(PG_CTL_TIMEOUT_SECONDS), ...args]);
  const start = async (): Promise<void> => { await pgctl(['-w', 'start']); };
  const stop = async (mode: 'fast' | 'immediate'): Promise<void> => { await pgctl(['-w', '-m', mode, 'stop']); };
  await start();
  clusters.add(dir);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // Last resort: no server outlives the test process that started it.
    process.once('exit', () => {
      for (const d of clusters) {
        try {
          execFileSync(root ? 'runuser' : join(PG_BIN, 'pg_ctl'), root
            ? ['-u', 'postgres', '--', join(PG_BIN, 'pg_ctl'), '-D', join(d, 'data'), '-m', 'immediate', 'stop']
            : ['-D', join(d, 'data'), '-m', 'immediate', 'stop'], { stdio: 'ignore' });
        } catch { /* already stopped */ }
        rmSync(d, { recursive: true, force: true });
      }
    });
  }
  const url = (db = 'postgres'): string => `postgres://postgres@127.0.0.1:${port}/${db}`;
  return {
    port,
    socketDir: dir,
    url,
    async createDatabase(prefix = 't') {
      const name = `${prefix}_${process.pid}_${++databases}`;
      const c = new pg.Client({ connectionString: url() });
      await c.connect();
      try {
        await c.query(`CREATE DATABASE ${name}`);
      } finally {
        await c.end();
      }
      return url(name);
    },
    stop,
    start,
    async restart(mode) {
      await stop(mode);
      await start();
    },
    async destroy() {
      await stop('immediate').catch(() => undefined);
      clusters.delete(dir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
