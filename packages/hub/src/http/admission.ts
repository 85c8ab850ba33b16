// Admission: what one node lets in at once, so that one runaway or hostile client cannot take it from the others.
// - Connections: `limits.httpConnectionsMax` open at once (Node's server.maxConnections closes one more as it
//   arrives), so sockets never use up the descriptors the store and packet files need.
// - Calls per system: `limits.callsInFlightPerSystemMax` authenticated calls of one system in flight on this
//   node (long-polls included, either API); one more is refused with VDXP_E_TOO_MANY_CALLS (429) and
//   `Retry-After: 1` before a packet body is read or the store is touched. Counted per node, in memory: with several
//   nodes a system may have this many on each.

import type { ServerResponse } from 'node:http';
import type { HubContext } from '../context.ts';
import { HubError } from '../errors.ts';

const inFlight = new WeakMap<HubContext, Map<string, number>>();

function callsOf(ctx: HubContext): Map<string, number> {
  let calls = inFlight.get(ctx);
  if (calls === undefined) {
    calls = new Map();
    inFlight.set(ctx, calls);
  }
  return calls;
}

/** Counts the call against its system until its answer is sent or its connection drops; refuses one too many. */
export function admitCall(ctx: HubContext, res: ServerResponse, systemId: string): void {
  const calls = callsOf(ctx);
  const now = calls.get(systemId) ?? 0;
  const max = ctx.limits.callsInFlightPerSystemMax;
  if (now >= max) {
    res.setHeader('retry-after', '1');
    throw new HubError('VDXP_E_TOO_MANY_CALLS', `System ${systemId} has ${now} calls in flight on this node; at most ${max} (limits.callsInFlightPerSystemMax)`, {
      details: { systemId, callsInFlightPerSystemMax: max },
    });
  }
  calls.set(systemId, now + 1);
  // 'close' comes once, after the answer was sent or when the connection dropped first.
  res.once('close', () => {
    const left = (calls.get(systemId) ?? 1) - 1;
    if (left > 0) calls.set(systemId, left);
    else calls.delete(systemId);
  });
}

/** Calls in flight per system on this node (for tests and /metrics). */
export function callsInFlight(ctx: HubContext): ReadonlyMap<string, number> {
  return inFlight.get(ctx) ?? new Map();
}
