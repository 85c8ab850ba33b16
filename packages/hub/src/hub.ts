// Opens a hub on a data folder: the store, the blob folder (recovered after a crash), the sealing key, and
// the periodic sweep. `vdxp serve` and the tests both start here.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BlobStore } from './blobs.ts';
import { systemClock, systemRandom, type Clock, type Random } from './clock.ts';
import type { HubContext, HubPolicy } from './context.ts';
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

export interface Hub {
  ctx: HubContext;
  /** What start-up recovery found after the previous run. */
  recovery: { completed: number; removedStaged: number; removedOrphans: number };
  startSweeper(intervalMs: number): void;
  close(): Promise<void>;
}

export async function openHub(o: HubOptions): Promise<Hub> {
  mkdirSync(o.dataDir, { recursive: true });
  const store = openSqliteStore(join(o.dataDir, 'vdxp.sqlite'));
  const random = o.random ?? systemRandom;
  const limits = hubLimits(o.limits);
  const blobs = new BlobStore({ root: o.dataDir, random, store, inlinePacketBytesMax: limits.inlinePacketBytesMax });
  await blobs.init();
  const recovery = o.recover === false ? { completed: 0, removedStaged: 0, removedOrphans: 0 }
    : await blobs.recover(await store.allBlobDigests());
  const ctx: HubContext = {
    store, blobs, random, limits,
    clock: o.clock ?? systemClock,
    secrets: SecretBox.fromKeyFile(join(o.dataDir, 'secret.key')),
    emitter: new HubEmitter(),
    notifier: new InboxNotifier(),
    policy: { requireValidSignature: false, ...o.policy },
  };
  let timer: NodeJS.Timeout | undefined;
  let sweeping: Promise<unknown> = Promise.resolve();
  return {
    ctx, recovery,
    startSweeper(intervalMs) {
      timer = setInterval(() => {
        sweeping = sweeping.then(() => sweep(ctx)).catch((e: unknown) => {
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
