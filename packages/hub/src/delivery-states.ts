// The delivery state machine: the one module that changes a delivery. Each change is a compare-and-set on the
// states it may leave, so two writers (two requests, the sweeper, or later two hub processes) can never both
// win: the loser learns it from the row count and decides again from what is stored now.

import type { DeliveryExpectation, DeliveryPatch, DeliveryRow, DeliveryState, StoreOps } from './store/store.ts';
import { ANSWERABLE_STATES, DELIVERY_STATES, PENDING_STATES } from './store/store.ts';

export { ANSWERABLE_STATES, FINAL_STATES, PENDING_STATES } from './store/store.ts';

interface Transition {
  from: readonly DeliveryState[];
  /** Undefined: the state stays (a change of another column, still guarded by the state). */
  to?: DeliveryState;
  /** Only a delivery never handed out may take it. */
  neverFetched?: boolean;
}

/**
 * Every change a delivery can take. `fetch` records the first hand-out (queued → fetched); a repeated fetch of a
 * fetched or done delivery changes nothing. `fail` is legal only after a hand-out, so a replayed fail (the
 * VDXP SDK replays its calls) cannot count twice. `withdraw` is the hub taking back a document its recipient
 * never got (recall 13, revoke, update); once fetched, the recipient must agree (15: `recallAgreed`).
 */
export const TRANSITIONS = {
  fetch: { from: ['queued'], to: 'fetched' },
  ackDone: { from: PENDING_STATES, to: 'done' },
  ackFail: { from: ['fetched'], to: 'queued' },
  deadLetter: { from: ['fetched'], to: 'dead' },
  expire: { from: PENDING_STATES, to: 'expired' },
  withdraw: { from: ['queued'], to: 'recalled', neverFetched: true },
  recallAgreed: { from: ANSWERABLE_STATES, to: 'recalled' },
  /** VDXP `updateStatus processing`: the recipient says it is storing the packet. */
  processing: { from: PENDING_STATES },
  /** A business status (01–06, 13, 15, 16): its legality is the status layer's; the compare is on the status read. */
  businessStatus: { from: DELIVERY_STATES },
  /** The overdue flag, set once by the sweeper. */
  overdue: { from: ANSWERABLE_STATES },
  /** The calendar changed: a new answer time (and the overdue flag lifted when no longer late). */
  reschedule: { from: ANSWERABLE_STATES },
} as const satisfies Record<string, Transition>;

export type TransitionName = keyof typeof TRANSITIONS;

/** May delivery `d`, as read, take this change? `transition` checks the same again where it writes. */
export function canTake(d: Pick<DeliveryRow, 'state' | 'fetchedAt'>, name: TransitionName): boolean {
  const t: Transition = TRANSITIONS[name];
  return t.from.includes(d.state) && !(t.neverFetched === true && d.fetchedAt !== null);
}

/**
 * Applies `name` to delivery `d` if it is still in a state the change may leave (and meets `extra`, e.g. the
 * business status it was read with). Returns false, changing nothing, when another writer got there first.
 */
export async function transition(
  tx: StoreOps, d: Pick<DeliveryRow, 'id'>, name: TransitionName, patch: Omit<DeliveryPatch, 'state'> = {},
  extra: Omit<DeliveryExpectation, 'states' | 'neverFetched'> = {},
): Promise<boolean> {
  const t: Transition = TRANSITIONS[name];
  const expect: DeliveryExpectation = { ...extra, states: t.from, ...(t.neverFetched ? { neverFetched: true } : {}) };
  return tx.setDeliveryIf(d.id, expect, t.to === undefined ? patch : { ...patch, state: t.to });
}
