// What every hub operation needs, passed explicitly so tests can swap the clock, randomness and limits.

import type { PacketStore } from './blobs.ts';
import type { WorkCalendar } from './calendar.ts';
import type { Clock, Random } from './clock.ts';
import type { HubEmitter, InboxNotifier } from './events.ts';
import type { ReplayClaims } from './http/vdxp/replay-cache.ts';
import type { HubLimits } from './limits.ts';
import type { SecretBox } from './secrets.ts';
import type { EventInput, StoreOps } from './store/store.ts';
import type { Store } from './store/store.ts';

export interface HubPolicy {
  /** Refuse packets whose XML signature is absent or does not verify (default: record the verdict only). */
  requireValidSignature: boolean;
}

export interface HubContext {
  store: Store;
  blobs: PacketStore;
  clock: Clock;
  random: Random;
  limits: HubLimits;
  secrets: SecretBox;
  emitter: HubEmitter;
  notifier: InboxNotifier;
  policy: HubPolicy;
  /** VDXP replay protection shared by every node (PostgreSQL); absent: each process keeps its own, in memory. */
  replayClaims?: ReplayClaims;
  /** Working days: statutory holidays and the operator's entries (calendar.ts). */
  calendar: WorkCalendar;
}

/** Appends an evidence event stamped with the hub's clock. */
export function record(ctx: HubContext, tx: StoreOps, e: Omit<EventInput, 'at'>): Promise<unknown> {
  return tx.appendEvent({ ...e, at: ctx.clock.now() });
}
