// Opens a hub on a data folder (SQLite + blob folder: its permissions checked, recovered after a crash) or on a
// PostgreSQL database shared with other nodes (packets in the database, a sealing key file every node shares,
// long-polls woken across nodes), with the periodic sweep. `vdxp serve`, the CLI commands and the tests all
// start here.

import { join } from 'node:path';
import { BlobStore } from './blobs.ts';
import { WorkCalendar } from './calendar.ts';
import { systemClock, systemRandom, type Clock, type Random } from './clock.ts';
import type { HubContext, HubPolicy } from './context.ts';
import { checkPrivateDir, ensurePrivateDir, touchPrivateFile } from './data-folder.ts';
import { sweep } from './delivery.ts';
import { HubEmitter, InboxNotifier } from './events.ts';
import { hubLimits, type HubLimits } from './limits.ts';
import { HubError } from './errors.ts';
import { SecretBox } from './secrets.ts';
import { listenInbox, type InboxListener } from './store/postgres/listener.ts';
import { PgPacketStore } from './store/postgres/packets.ts';
import { openPostgresStore } from './store/postgres/postgres-store.ts';
import { PgReplayClaims } from './store/postgres/replay.ts';
import { openSqliteStore } from './store/sqlite/sqlite-store.ts';

export interface HubOptions {
  /** The embedded hub's folder; ignored for the store when `databaseUrl` is given. */
  dataDir?: string;
  /** postgres://…: a hub node on a database other nodes may share (no data folder needed). */
  databaseUrl?: string;
  /**
   * The sealing key file (systems' VDXP secrets). Default: `secret.key` in the data folder. With `databaseUrl`
   * and no data folder it must be given, and every node must be given the same key (checked at start).
   */
  keyFile?: string;
  clock?: Clock;
  random?: Random;
  limits?: Partial<Omit<HubLimits, 'edxml'>> & { edxml?: Partial<HubLimits['edxml']> };
  policy?: Partial<HubPolicy>;
  /**
   * Complete or remove what a crash left staged (default true). Only the serving process may do this: an
   * operator command opening the same folder beside a running hub must pass false, or it would remove the
   * hub's in-flight uploads.
   */
  recover?: boolean;
  /** The embedded engine's log sync (see SqliteStoreOptions.sync); the default is right for every real use. */
  sqliteSync?: 'threadpool' | 'commit';
}

/** How long a starting node waits for its LISTEN connection before it serves without it (it keeps trying). */
const LISTEN_READY_WAIT_MS = 10_000;

/** What a data folder holds that others must not reach; checked at every open (others' write refuses, read warns). */
const DATA_FOLDER_ENTRIES = ['vdxp.sqlite', 'vdxp.sqlite-wal', 'vdxp.sqlite-shm', 'secret.key', 'blobs', 'tmp'];
const DATABASE_FILE = 'vdxp.sqlite';

export interface Hub {
  ctx: HubContext;
  /** What start-up recovery found after the previous run. */
  recovery: { completed: number; removedStaged: number };
  /** Things the operator should hear at start (others can read the data folder). */
  warnings: string[];
  /** The embedded engine's data folder (the Health page's disk free); null on PostgreSQL. */
  dataDir: string | null;
  startSweeper(intervalMs: number): void;
  close(): Promise<void>;
}

export async function openHub(o: HubOptions): Promise<Hub> {
  if (o.databaseUrl !== undefined) return openPostgresHub({ ...o, databaseUrl: o.databaseUrl });
  if (o.dataDir === undefined) throw new Error('assertion: openHub is given a data folder or a database URL');
  const dataDir = o.dataDir;
  // A new folder is created 0700; an existing one is checked before anything in it is opened or created.
  ensurePrivateDir(dataDir);
  const { warnings } = checkPrivateDir(dataDir, DATA_FOLDER_ENTRIES);
  // SQLite would create the file 0644 & ~umask, and its -wal and -shm copy the database file's mode.
  touchPrivateFile(join(dataDir, DATABASE_FILE));
  const store = openSqliteStore(join(dataDir, DATABASE_FILE), o.sqliteSync !== undefined ? { sync: o.sqliteSync } : {});
  const random = o.random ?? systemRandom;
  const limits = hubLimits(o.limits);
  const blobs = new BlobStore({
    root: dataDir, random, store, inlinePacketBytesMax: limits.inlinePacketBytesMax, blobSliceBytes: limits.blobSliceBytes, blobSlicesPerUploadMax: limits.blobSlicesPerUploadMax,
    blobSyncEveryBytes: limits.blobSyncEveryBytes,
  });
  blobs.init();
  const recovery = o.recover === false ? { completed: 0, removedStaged: 0 } : await blobs.recover();
  const ctx: HubContext = {
    store, blobs, random, limits,
    clock: o.clock ?? systemClock,
    secrets: SecretBox.fromKeyFile(o.keyFile ?? join(dataDir, 'secret.key')),
    emitter: new HubEmitter(),
    notifier: new InboxNotifier(),
    policy: { requireValidSignature: false, ...o.policy },
    calendar: new WorkCalendar(),
  };
  await ctx.calendar.reload(store);
  return hubAround(ctx, recovery, warnings, dataDir, async () => { await store.close(); }, async () => undefined);
}

/**
 * A node on PostgreSQL. The sealing key cannot live in the database: sealing exists so that a copy of the
 * database (a backup, a replica, a dump) does not give away the systems' VDXP secrets. So it is a file every
 * node is given (`--key-file`, VDXP_KEY_FILE; secret.key in `--data` if that is given); the database keeps only
 * an HMAC of it, and a node whose key differs refuses to start (VDXP_E_KEY_MISMATCH).
 */
async function openPostgresHub(o: HubOptions & { databaseUrl: string }): Promise<Hub> {
  const keyFile = o.keyFile ?? (o.dataDir !== undefined ? join(o.dataDir, 'secret.key') : undefined);
  if (keyFile === undefined) {
    throw new HubError('VDXP_E_KEY_MISMATCH', 'A hub on PostgreSQL needs the sealing key file every node shares: give --key-file <file> '
      + '(or VDXP_KEY_FILE); the first node creates it when it does not exist, copy it to the others');
  }
  const random = o.random ?? systemRandom;
  const limits = hubLimits(o.limits);
  const store = await openPostgresStore(o.databaseUrl, { poolConnectionsMax: limits.pgPoolConnectionsMax });
  let listener: InboxListener | undefined;
  try {
    const secrets = SecretBox.fromKeyFile(keyFile);
    await store.pool.query("INSERT INTO hub_meta (key, value) VALUES ('key_check', $1) ON CONFLICT (key) DO NOTHING", [secrets.fingerprint()]);
    const kept = (await store.pool.query<{ value: string }>("SELECT value FROM hub_meta WHERE key = 'key_check'")).rows[0]?.value;
    if (kept !== secrets.fingerprint()) {
      throw new HubError('VDXP_E_KEY_MISMATCH', `The key in ${keyFile} is not the one this database's secrets were sealed with: `
        + 'give this node the same key file as the other nodes (a new key would make every system\'s VDXP secret unreadable)');
    }
    const blobs = new PgPacketStore({
      pool: store.pool, random, inlinePacketBytesMax: limits.inlinePacketBytesMax, chunkBytes: limits.pgPacketChunkBytes,
      readChunks: limits.pgPacketReadChunks, readSliceBytes: limits.pgPacketReadSliceBytes, stagedIdleMs: limits.pgStagedUploadIdleSeconds * 1000,
    });
    const recovery = o.recover === false ? { completed: 0, removedStaged: 0 } : await blobs.recover();
    const replayClaims = new PgReplayClaims(store.pool);
    const ctx: HubContext = {
      store, blobs, random, limits, replayClaims,
      clock: o.clock ?? systemClock,
      secrets,
      emitter: new HubEmitter(),
      notifier: new InboxNotifier(),
      policy: { requireValidSignature: false, ...o.policy },
      calendar: new WorkCalendar(),
    };
    await ctx.calendar.reload(store);
    // Only a serving node needs the wake; an operator command opening the database does not.
    if (o.recover !== false) {
      const l = listenInbox(o.databaseUrl, { notify: (agency) => ctx.notifier.notify([agency]), reconnected: () => ctx.notifier.wakeAll() });
      listener = l;
      // Its first LISTEN normally takes a round trip; if the database is slow to take it, serve anyway: the
      // listener keeps trying, and long-polls still end at their time until it is in place.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([l.ready, new Promise<void>((r) => { timer = setTimeout(r, LISTEN_READY_WAIT_MS); })]);
      clearTimeout(timer);
    }
    return hubAround(ctx, recovery, [], null, async () => {
      await listener?.close();
      await store.close();
    }, async () => {
      await blobs.collectIdle(limits.pgStagedUploadIdleSeconds * 1000);
      await replayClaims.prune(ctx.clock.now());
    });
  } catch (e) {
    await listener?.close();
    await store.close();
    throw e;
  }
}

function hubAround(ctx: HubContext, recovery: Hub['recovery'], warnings: string[], dataDir: string | null, closeStore: () => Promise<void>, housekeeping: () => Promise<void>): Hub {
  let timer: NodeJS.Timeout | undefined;
  let sweeping: Promise<unknown> = Promise.resolve();
  return {
    ctx, recovery, warnings, dataDir,
    startSweeper(intervalMs) {
      // On PostgreSQL every node sweeps: each change is a compare-and-set, so two sweeps of one delivery make one.
      timer = setInterval(() => {
        // The calendar is read again first: `vdxp calendar` may have changed it beside the running hub.
        sweeping = sweeping.then(async () => { await ctx.calendar.reload(ctx.store); await sweep(ctx); await housekeeping(); }).catch((e: unknown) => {
          console.error('vdxp: the periodic sweep failed; it will run again', e);
        });
      }, intervalMs);
      timer.unref();
    },
    async close() {
      if (timer) clearInterval(timer);
      await sweeping;
      await closeStore();
    },
  };
}
