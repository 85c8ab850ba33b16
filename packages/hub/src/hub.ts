// Opens a hub on a data folder: its permissions checked, the store, the blob folder (recovered after a crash),
// the sealing key, and the periodic sweep. `vdxp serve`, the CLI commands and the tests all start here.

import { join } from 'node:path';
import { BlobStore } from './blobs.ts';
import { WorkCalendar } from './calendar.ts';
import { systemClock, systemRandom, type Clock, type Random } from './clock.ts';
import type { HubContext, HubPolicy } from './context.ts';
import { checkPrivateDir, ensurePrivateDir, touchPrivateFile } from './data-folder.ts';
import { sweep } from './delivery.ts';
import { HubEmitter, InboxNotifier } from './events.ts';
import { hubLimits, type HubLimits } from './limits.ts';
import { SecretBox } from './secrets.ts';
import { openSqliteStore } from './store/sqlite/sqlite-store.ts';

export interface HubOptions {
  dataDir: string;
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
}

/** What a data folder holds that others must not reach; checked at every open (others' write refuses, read warns). */
const DATA_FOLDER_ENTRIES = ['vdxp.sqlite', 'vdxp.sqlite-wal', 'vdxp.sqlite-shm', 'secret.key', 'blobs', 'tmp'];
const DATABASE_FILE = 'vdxp.sqlite';

export interface Hub {
  ctx: HubContext;
  /** What start-up recovery found after the previous run. */
  recovery: { completed: number; removedStaged: number };
  /** Things the operator should hear at start (others can read the data folder). */
  warnings: string[];
  startSweeper(intervalMs: number): void;
  close(): Promise<void>;
}

export async function openHub(o: HubOptions): Promise<Hub> {
  // A new folder is created 0700; an existing one is checked before anything in it is opened or created.
  ensurePrivateDir(o.dataDir);
  const { warnings } = checkPrivateDir(o.dataDir, DATA_FOLDER_ENTRIES);
  // SQLite would create the file 0644 & ~umask, and its -wal and -shm copy the database file's mode.
  touchPrivateFile(join(o.dataDir, DATABASE_FILE));
  const store = openSqliteStore(join(o.dataDir, DATABASE_FILE));
  const random = o.random ?? systemRandom;
  const limits = hubLimits(o.limits);
  const blobs = new BlobStore({ root: o.dataDir, random, store, inlinePacketBytesMax: limits.inlinePacketBytesMax });
  blobs.init();
  const recovery = o.recover === false ? { completed: 0, removedStaged: 0 } : await blobs.recover();
  const ctx: HubContext = {
    store, blobs, random, limits,
    clock: o.clock ?? systemClock,
    secrets: SecretBox.fromKeyFile(join(o.dataDir, 'secret.key')),
    emitter: new HubEmitter(),
    notifier: new InboxNotifier(),
    policy: { requireValidSignature: false, ...o.policy },
    calendar: new WorkCalendar(),
  };
  await ctx.calendar.reload(store);
  let timer: NodeJS.Timeout | undefined;
  let sweeping: Promise<unknown> = Promise.resolve();
  return {
    ctx, recovery, warnings,
    startSweeper(intervalMs) {
      timer = setInterval(() => {
        // The calendar is read again first: `vdxp calendar` may have changed it beside the running hub.
        sweeping = sweeping.then(async () => { await ctx.calendar.reload(ctx.store); await sweep(ctx); }).catch((e: unknown) => {
          console.error('vdxp: the periodic sweep failed; it will run again', e);
        });
      }, intervalMs);
      timer.unref();
    },
    async close() {
      if (timer) clearInterval(timer);
      await sweeping;
      await store.close();
    },
  };
}
